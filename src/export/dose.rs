//! Delivered presence ("dose") as `lagesbild dose` shows it (issue 21).
//!
//! A row's visits and dose visits (visits of at least the dose length) are
//! counts of the hosts' presence: 1 … N−1 of them would point at one
//! host's visit, so they are suppressed ("<3", JSON null) by the same
//! [`CountTable`] rule, the dose visits being a part of the visits. The
//! minutes of a row whose visits are suppressed would give the length of
//! those few visits: null too ("–").

use serde_json::Value;

use super::privacy::{CountTable, Shown};

/// A row's (visits, dose visits) as shown; the minutes are shown only when
/// the visits are.
pub fn protect_row(visits: u64, dose_visits: u64, min_count: u32) -> [Shown; 2] {
    let mut t = CountTable::new();
    let v = t.cell(visits);
    let d = t.cell(dose_visits);
    let short = t.unseen_cell(visits.saturating_sub(dose_visits));
    if dose_visits <= visits {
        t.sums_to(&[d, short], v);
    }
    let s = t.protect(min_count);
    [s[v], s[d]]
}

/// Blanks the suppressed counts (and minutes) of each row of the JSON
/// array `rows` (objects with `visits`, `dose_visits`, `minutes`); returns
/// the JSON pointers (RFC 6901, below `prefix`) of the fields set to null.
pub fn blank_rows(rows: &mut Value, prefix: &str, min_count: u32) -> Vec<String> {
    let mut pointers = Vec::new();
    let Some(list) = rows.as_array_mut() else {
        return pointers;
    };
    for (i, row) in list.iter_mut().enumerate() {
        let n = |k: &str| row.get(k).and_then(Value::as_u64).unwrap_or(0);
        let [v, d] = protect_row(n("visits"), n("dose_visits"), min_count);
        let mut blank = |key: &str| {
            if let Some(x) = row.get_mut(key) {
                *x = Value::Null;
                pointers.push(format!("{prefix}/{i}/{key}"));
            }
        };
        if v.is_suppressed() {
            blank("visits");
            blank("minutes");
        }
        if d.is_suppressed() {
            blank("dose_visits");
        }
    }
    pointers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_visit_and_its_minutes_are_left_out() {
        assert_eq!(protect_row(1, 1, 3), [Shown::Small, Shown::Small]);
        assert_eq!(protect_row(7, 2, 3), [Shown::Count(7), Shown::Small]);
        assert_eq!(protect_row(7, 0, 3), [Shown::Count(7), Shown::Count(0)]);
        assert_eq!(protect_row(1, 1, 1), [Shown::Count(1), Shown::Count(1)]);
        let mut rows = serde_json::json!([
            {"name": "a", "visits": 1, "dose_visits": 0, "minutes": 12.5},
            {"name": "b", "visits": 9, "dose_visits": 4, "minutes": 80.0},
        ]);
        let p = blank_rows(&mut rows, "/places", 3);
        assert_eq!(p, vec!["/places/0/visits", "/places/0/minutes"]);
        assert!(rows[0]["minutes"].is_null());
        assert_eq!(rows[1]["minutes"], 80.0);
    }
}
