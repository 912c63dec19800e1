//! A before/after evaluation as the aggregated outputs show it (issue 21):
//! `lagesbild evaluate` (text and `--json`) and the report's follow-up
//! table.
//!
//! The counts (area, ring and control, before and after, and each month)
//! go through one [`CountTable`] with the relations a reader can use: the
//! months of a place sum to its two period counts together, the months
//! wholly before the start (plus the unseen part of a month that straddles
//! it) to the before count, and likewise after. The test and the WDQ are
//! computed from the exact counts, but a figure that would give a
//! suppressed count back is not shown: the p-value, rate ratio, interval
//! and "too few" flag when an area count is suppressed (with the before
//! count and the p-value the after count follows), the WDQ when any of the
//! six counts it is made of is.

use chrono::Datelike as _;
use serde_json::{Value, json};

use super::privacy::{CountTable, Shown};
use crate::analysis::evaluate::{
    BeforeAfter, EvalNote, Evaluation, MIN_EVENTS, SummaryCounts, TEST_METHOD, summary_with,
};

/// One month's counts as shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownMonth {
    pub area: Shown,
    pub buffer: Shown,
    pub control: Option<Shown>,
}

/// An evaluation's counts as shown with groups under `min_count`
/// suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownEvaluation {
    pub min_count: u32,
    /// Before, after.
    pub area: [Shown; 2],
    pub buffer: [Shown; 2],
    pub control: Option<[Shown; 2]>,
    pub months: Vec<ShownMonth>,
    /// Why the test (p-value, rate ratio, interval, "too few") is not
    /// shown, when it is not.
    pub test_withheld: Option<String>,
    /// Why the WDQ is not shown, when it was computed but is not shown.
    pub wdq_withheld: Option<String>,
}

/// The reason a derived figure is left out, in Swedish as the summary
/// says it.
fn too_few_text(what: &str, min_count: u32) -> String {
    format!(
        "{what} visas inte: för få händelser (färre än {min_count} i en period), och {} skulle avslöja antalet.",
        if what.starts_with("WDQ") {
            "kvoten"
        } else {
            "testet"
        }
    )
}

/// Adds one place's counts and its relations; returns the cells of
/// (before, after) and of each month.
fn place_cells(
    t: &mut CountTable,
    e: &Evaluation,
    counts: BeforeAfter,
    month: impl Fn(usize) -> u64,
    min_count: u32,
) -> ([usize; 2], Vec<usize>) {
    let before = t.cell(counts.before);
    let after = t.cell(counts.after);
    let n: Vec<u64> = (0..e.months.len()).map(&month).collect();
    let months = t.cells(n.iter().copied());
    // Only relations that hold go in (a false one would mislead the check).
    if n.iter().sum::<u64>() == counts.before + counts.after {
        // The sum of the two periods is known to a reader who sees both;
        // when one of them is small it is not.
        let small = |k: u64| k > 0 && k < u64::from(min_count);
        let sum = counts.before + counts.after;
        let both = if small(counts.before) || small(counts.after) {
            t.unseen_cell(sum)
        } else {
            t.public_cell(sum)
        };
        t.sums_to(&[before, after], both);
        t.sums_to(&months, both);
    }
    // A month that straddles the start holds part of each period.
    let start = e.periods.after[0];
    let key = format!("{:04}-{:02}", start.year(), start.month());
    let straddle = (start.day() != 1)
        .then(|| e.months.iter().position(|m| m.month == key))
        .flatten();
    let part = |after: bool| -> Vec<usize> {
        (0..e.months.len())
            .filter(|&i| Some(i) != straddle && e.months[i].after == after)
            .map(|i| months[i])
            .collect()
    };
    let sum = |after: bool| -> u64 {
        (0..e.months.len())
            .filter(|&i| Some(i) != straddle && e.months[i].after == after)
            .map(&month)
            .sum()
    };
    for (is_after, whole, total) in [(false, before, counts.before), (true, after, counts.after)] {
        let mut parts = part(is_after);
        let known = sum(is_after);
        if known > total {
            continue;
        }
        if straddle.is_some() {
            parts.push(t.unseen_cell(total - known));
        } else if known != total {
            continue;
        }
        t.sums_to(&parts, whole);
    }
    ([before, after], months)
}

/// The counts of `e` as an output shows them.
pub fn protect(e: &Evaluation, min_count: u32) -> ShownEvaluation {
    let mut t = CountTable::new();
    let (area, area_m) = place_cells(&mut t, e, e.area, |i| e.months[i].area, min_count);
    let (buffer, buffer_m) = place_cells(&mut t, e, e.buffer, |i| e.months[i].buffer, min_count);
    let control = e.control.map(|c| {
        place_cells(
            &mut t,
            e,
            c,
            |i| e.months[i].control.unwrap_or(0),
            min_count,
        )
    });
    let s = t.protect(min_count);
    let pair = |c: [usize; 2]| [s[c[0]], s[c[1]]];
    let area = pair(area);
    let buffer = pair(buffer);
    let control_shown = control.as_ref().map(|(c, _)| pair(*c));
    let months = (0..e.months.len())
        .map(|i| ShownMonth {
            area: s[area_m[i]],
            buffer: s[buffer_m[i]],
            control: control
                .as_ref()
                .filter(|_| e.months[i].control.is_some())
                .map(|(_, m)| s[m[i]]),
        })
        .collect();
    let any = |v: &[Shown]| v.iter().any(|s| s.is_suppressed());
    let test_withheld = any(&area).then(|| too_few_text("Förändringen och testet", min_count));
    let mut wdq_parts = vec![area[0], area[1], buffer[0], buffer[1]];
    wdq_parts.extend(control_shown.iter().flatten());
    let wdq_withheld = (e.wdq.is_ok() && any(&wdq_parts)).then(|| too_few_text("WDQ", min_count));
    ShownEvaluation {
        min_count,
        area,
        buffer,
        control: control_shown,
        months,
        test_withheld,
        wdq_withheld,
    }
}

impl ShownEvaluation {
    fn texts(&self, c: [Shown; 2]) -> [String; 2] {
        c.map(|s| s.text(self.min_count))
    }

    /// True when any count is suppressed (the text output adds the legend).
    pub fn any_suppressed(&self) -> bool {
        let months = self.months.iter().flat_map(|m| {
            [Some(m.area), Some(m.buffer), m.control]
                .into_iter()
                .flatten()
        });
        self.area
            .iter()
            .chain(&self.buffer)
            .chain(self.control.iter().flatten())
            .copied()
            .chain(months)
            .any(Shown::is_suppressed)
    }

    /// The Swedish summary with these counts (the measure's `name`).
    pub fn summary(&self, name: &str, e: &Evaluation) -> String {
        summary_with(
            name,
            e,
            &SummaryCounts {
                area: self.texts(self.area),
                buffer: self.texts(self.buffer),
                control: self.control.map(|c| self.texts(c)),
                test_withheld: self.test_withheld.clone(),
                wdq_withheld: self.wdq_withheld.clone(),
            },
        )
    }

    /// The notes of `e` with a count of 1 … N−1 in them written "<N".
    pub fn notes(&self, e: &Evaluation) -> Vec<String> {
        e.notes
            .iter()
            .map(|n| match n {
                EvalNote::CoarseLeftOut(k) if *k > 0 && (*k as u64) < u64::from(self.min_count) => {
                    // The text starts with the count.
                    n.to_string()
                        .replacen(&k.to_string(), &format!("<{}", self.min_count), 1)
                }
                _ => n.to_string(),
            })
            .collect()
    }

    /// `lagesbild evaluate --json`: the evaluation with each suppressed
    /// count `null`, `"min_count"`, and `"suppressed"`: the JSON pointers
    /// (RFC 6901) of the counts written as null.
    pub fn to_json(&self, name: &str, e: &Evaluation) -> Value {
        let mut suppressed: Vec<String> = Vec::new();
        let mut pair = |path: &str, c: [Shown; 2]| {
            for (k, s) in ["before", "after"].iter().zip(c) {
                if s.is_suppressed() {
                    suppressed.push(format!("/{path}/{k}"));
                }
            }
            json!({"before": c[0].json(), "after": c[1].json()})
        };
        let area = pair("area", self.area);
        let buffer = pair("buffer", self.buffer);
        let control = self.control.map(|c| pair("control", c));
        let months: Vec<Value> = e
            .months
            .iter()
            .zip(&self.months)
            .enumerate()
            .map(|(i, (m, s))| {
                for (k, v) in [
                    ("area", Some(s.area)),
                    ("buffer", Some(s.buffer)),
                    ("control", s.control),
                ] {
                    if v.is_some_and(Shown::is_suppressed) {
                        suppressed.push(format!("/months/{i}/{k}"));
                    }
                }
                json!({
                    "month": m.month,
                    "after": m.after,
                    "area": s.area.json(),
                    "buffer": s.buffer.json(),
                    "control": s.control.map(Shown::json),
                })
            })
            .collect();
        let (wdq, wdq_note) = match (&e.wdq, &self.wdq_withheld) {
            (Ok(_), Some(why)) => (Value::Null, json!(why)),
            (Ok(w), None) => (json!(w), Value::Null),
            (Err(why), _) => (Value::Null, json!(why)),
        };
        let test = match &self.test_withheld {
            Some(why) => json!({
                "method": TEST_METHOD,
                "p_value": null,
                "rate_ratio": null,
                "ci95": null,
                "note": why,
            }),
            None => json!({
                "method": TEST_METHOD,
                "p_value": e.test.p_value,
                "rate_ratio": e.test.rate_ratio,
                "ci95": e.test.ci95.map(|(lo, hi)| [Some(lo), hi]),
            }),
        };
        json!({
            "area": area,
            "buffer": buffer,
            "control": control,
            "wdq": wdq,
            "wdq_note": wdq_note,
            "buffer_m": e.buffer_m,
            "periods": e.periods,
            "test": test,
            "too_few": self.test_withheld.is_none().then_some(e.too_few),
            "min_events": MIN_EVENTS,
            "months": months,
            "summary": self.summary(name, e),
            "notes": self.notes(e),
            "min_count": self.min_count,
            "suppressed": suppressed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::evaluate::{MonthCount, Periods, poisson_test};
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// An evaluation of the area counts `before`/`after` with months
    /// (month, after, count); the start 2025-02-15 splits February.
    fn eval(before: u64, after: u64, months: &[(&str, bool, u64)]) -> Evaluation {
        let area = BeforeAfter { before, after };
        Evaluation {
            periods: Periods {
                before: [d(2025, 1, 16), d(2025, 2, 14)],
                after: [d(2025, 2, 15), d(2025, 3, 16)],
                days: 30,
            },
            area,
            buffer: BeforeAfter::default(),
            control: None,
            buffer_m: 300.0,
            wdq: Err("no control".into()),
            test: poisson_test(after, before),
            months: months
                .iter()
                .map(|&(m, a, n)| MonthCount {
                    month: m.into(),
                    after: a,
                    area: n,
                    buffer: 0,
                    control: None,
                })
                .collect(),
            too_few: before + after < MIN_EVENTS,
            summary: String::new(),
            notes: vec![EvalNote::CoarseLeftOut(1)],
        }
    }

    #[test]
    fn a_small_month_is_not_given_back_by_the_periods() {
        // January 5 (before), February 1 (straddles the start), March 4:
        // 6 + 4 − 5 − 4 would give February's 1 back.
        let e = eval(
            6,
            4,
            &[
                ("2025-01", false, 5),
                ("2025-02", true, 1),
                ("2025-03", true, 4),
            ],
        );
        let s = protect(&e, 3);
        assert_eq!(s.months[1].area, Shown::Small);
        let hidden = [s.area[0], s.area[1], s.months[0].area, s.months[2].area];
        assert!(hidden.iter().any(|h| h.is_suppressed()), "{s:?}");
        assert!(s.test_withheld.is_some() == s.area.iter().any(|a| a.is_suppressed()));
        // The note's count of 1 is written "<3"; the JSON has null and pointers.
        assert!(s.notes(&e)[0].starts_with("<3 incident(s)"));
        let v = s.to_json("", &e);
        assert!(v["months"][1]["area"].is_null());
        assert!(
            v["suppressed"]
                .as_array()
                .unwrap()
                .contains(&"/months/1/area".into())
        );
        // min_count 1: all shown, the test too.
        let s = protect(&e, 1);
        assert!(!s.any_suppressed() && s.test_withheld.is_none());
        assert_eq!(s.to_json("", &e)["months"][1]["area"], 1);
    }

    #[test]
    fn a_small_area_count_withholds_the_test_and_the_summary_says_so() {
        let e = eval(
            1,
            12,
            &[
                ("2025-01", false, 1),
                ("2025-02", true, 0),
                ("2025-03", true, 12),
            ],
        );
        let s = protect(&e, 3);
        assert_eq!(s.area[0], Shown::Small);
        let v = s.to_json("Insats", &e);
        assert!(
            v["test"]["p_value"].is_null() && v["too_few"].is_null(),
            "{v}"
        );
        let summary = s.summary("Insats", &e);
        assert!(summary.contains("<3 händelser"), "{summary}");
        assert!(summary.contains("visas inte: för få"), "{summary}");
        assert!(
            !summary.contains("p = ") && !summary.contains("p < "),
            "{summary}"
        );
    }
}
