//! A patrol plan's coverage as the aggregated outputs show it (issue 21):
//! `lagesbild coverage` (text and `--json`) and the report's coverage
//! table.
//!
//! Each area's and route's count of incidents reached, and the plan's
//! (each incident once), go through one [`CountTable`]: the plan total is
//! at most the number of incidents measured against (the rest is not
//! shown), and where no incident is reached by two items the item counts
//! sum to the plan total, a relation a reader could use. A share of a
//! suppressed count would give it back and is left out too.

use serde_json::{Value, json};

use super::privacy::{CountTable, Shown};
use crate::analysis::coverage::PlanCoverage;

/// The counts of a [`PlanCoverage`] as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownCoverage {
    pub min_count: u32,
    /// Each item's incidents, in `items` order.
    pub items: Vec<Shown>,
    /// The plan's incidents, each once.
    pub total: Shown,
    /// All incidents measured against.
    pub incidents: Shown,
}

/// The counts of `c` with groups under `min_count` suppressed.
pub fn protect(c: &PlanCoverage, min_count: u32) -> ShownCoverage {
    let mut t = CountTable::new();
    let all = t.public_cell(c.incidents as u64);
    let total = t.cell(c.total.incidents as u64);
    let outside = t.unseen_cell(c.incidents.saturating_sub(c.total.incidents) as u64);
    if c.total.incidents <= c.incidents {
        t.sums_to(&[total, outside], all);
    }
    let items = t.cells(c.items.iter().map(|i| i.incidents as u64));
    if c.items.iter().map(|i| i.incidents).sum::<usize>() == c.total.incidents {
        t.sums_to(&items, total);
    }
    let s = t.protect(min_count);
    ShownCoverage {
        min_count,
        items: items.iter().map(|&i| s[i]).collect(),
        total: s[total],
        incidents: s[all],
    }
}

impl ShownCoverage {
    /// True when any count is suppressed (the text adds the legend).
    pub fn any_suppressed(&self) -> bool {
        self.items
            .iter()
            .chain([&self.total, &self.incidents])
            .any(|s| s.is_suppressed())
    }

    /// `coverage` as `lagesbild coverage --json` writes it: each suppressed
    /// count and its share `null`; returns it with the JSON pointers (RFC
    /// 6901, from the coverage object) of the counts written as null.
    pub fn to_json(&self, c: &PlanCoverage) -> (Value, Vec<String>) {
        let mut value = json!(c);
        let mut suppressed = Vec::new();
        let mut blank = |pointer: String, shares: bool| {
            if let Some(v) = value.pointer_mut(&pointer) {
                *v = Value::Null;
            }
            if shares {
                let share = pointer.replace("/incidents", "/share");
                if let Some(v) = value.pointer_mut(&share) {
                    *v = Value::Null;
                }
            }
            suppressed.push(pointer);
        };
        for (i, s) in self.items.iter().enumerate() {
            if s.is_suppressed() {
                blank(format!("/items/{i}/incidents"), true);
            }
        }
        if self.total.is_suppressed() {
            blank("/total/incidents".to_owned(), true);
        }
        if self.incidents.is_suppressed() {
            blank("/incidents".to_owned(), false);
        }
        (value, suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::coverage::{CoverageTotal, ItemCoverage, ItemKind};

    fn plan(items: &[usize], total: usize, all: usize) -> PlanCoverage {
        PlanCoverage {
            items: items
                .iter()
                .map(|&n| ItemCoverage {
                    kind: ItemKind::Area,
                    id: None,
                    name: "a".into(),
                    team: String::new(),
                    weekdays: "fri".into(),
                    hours: None,
                    incidents: n,
                    share: n as f64 / all as f64,
                    length_m: 100.0,
                    walk_min: 2.0,
                    dwell_min: 0,
                    shift_min: 1440.0,
                    fits_shift: true,
                    hot_cells: None,
                    places: None,
                })
                .collect(),
            total: CoverageTotal {
                incidents: total,
                share: total as f64 / all as f64,
                length_m: 100.0,
                walk_min: 2.0,
            },
            incidents: all,
            buffer_m: 50.0,
            pace_kmh: 4.5,
        }
    }

    #[test]
    fn a_small_item_and_its_share_are_null_and_a_disjoint_total_hides_another() {
        // Disjoint items: 8 + 1 = 9, so 9 less 8 would give the 1 back.
        let c = plan(&[8, 1], 9, 50);
        let s = protect(&c, 3);
        assert_eq!(s.items[1], Shown::Small);
        assert!(
            s.items[0].is_suppressed() || s.total.is_suppressed(),
            "{s:?}"
        );
        let (v, pointers) = s.to_json(&c);
        assert!(v["items"][1]["incidents"].is_null());
        assert!(v["items"][1]["share"].is_null());
        assert!(pointers.contains(&"/items/1/incidents".to_owned()));
        assert_eq!(v["incidents"], json!(50));
        // Overlapping items (the total is less than their sum): no relation,
        // so only the small one goes.
        let s = protect(&plan(&[8, 1], 8, 50), 3);
        assert_eq!(s.items, vec![Shown::Count(8), Shown::Small]);
        // min_count 1: everything shown.
        let s = protect(&c, 1);
        assert!(!s.any_suppressed());
    }
}
