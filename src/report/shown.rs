//! The report's counts as its tables show them (issue 21): every table of
//! sections 1–3 goes through one [`CountTable`], so that a count of 1 …
//! N−1 is "<3" and no total, margin or other table gives it back by
//! difference (a second count is hidden, "x", where one would).
//!
//! The relations, each added only when it holds for the data:
//! - each period's categories sum to its total (the three periods are
//!   public totals: the number of incidents selected);
//! - the data sources (title page), the localities, the months and the
//!   months a year earlier sum to their period's total; the evenings and
//!   nights plus the rest of the day too;
//! - the other-sources table: each category's row plus the police's
//!   (not shown) is the category's count, each source's column is the
//!   source's count;
//! - the hour × weekday table: each weekday's eight three-hour bins sum to
//!   the weekday, the weekdays to the total, and the bins of 18–06 over
//!   all days to the evenings and nights;
//! - the årshjul: each category's months sum to its count in the period,
//!   and a calendar month over the categories to that month of the series
//!   when the series holds it once.

use std::collections::BTreeMap;

use crate::analysis::time_patterns::TimePatterns;
use crate::export::privacy::{CountTable, Shown};
use crate::model::{Category, Source};
use crate::store::SwerefPoint;

/// Every count of the report's tables as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportShown {
    /// Current, previous, a year before.
    pub totals: [Shown; 3],
    /// [`Category::ALL`] order, the three periods each.
    pub by_category: Vec<[Shown; 3]>,
    /// [`Source::ALL`] order, current period.
    pub by_source: Vec<Shown>,
    /// In the order of the localities given.
    pub localities: Vec<Shown>,
    /// The monthly series and the same months a year earlier.
    pub series: Vec<Shown>,
    pub year_earlier: Vec<Shown>,
    pub evening_night: Shown,
    /// [`Category::ALL`] × the sources other than the police.
    pub other_sources: Vec<Vec<Shown>>,
    /// Weekday × three-hour bin, and the weekdays.
    pub hour_weekday: [[Shown; 8]; 7],
    pub by_weekday: [Shown; 7],
    /// The årshjul's categories (in its order) × months.
    pub arshjul: Vec<[Shown; 12]>,
    /// The årshjul's category counts (a peak month of a suppressed one is
    /// not shown).
    pub arshjul_count: Vec<Shown>,
}

/// The inputs: each period's category counts and total, the current
/// period's points, the localities' counts, the patterns and the counts a
/// year earlier.
pub struct ReportInputs<'a> {
    pub periods: [(&'a BTreeMap<Category, u64>, u64); 3],
    pub cur_points: &'a [SwerefPoint],
    pub localities: &'a [u64],
    pub patterns: &'a TimePatterns,
    pub year_earlier: &'a [u64],
}

/// Adds `parts` = `whole` to `t` when it holds.
fn relate(t: &mut CountTable, parts: &[(usize, u64)], whole: (usize, u64)) {
    if parts.iter().map(|p| p.1).sum::<u64>() == whole.1 {
        let ix: Vec<usize> = parts.iter().map(|p| p.0).collect();
        t.sums_to(&ix, whole.0);
    }
}

/// The report's counts with groups under `limit` suppressed.
pub fn protect(r: &ReportInputs, limit: u32) -> ReportShown {
    let mut t = CountTable::new();
    let p = r.patterns;
    let totals: Vec<(usize, u64)> = r
        .periods
        .iter()
        .map(|(_, n)| (t.public_cell(*n), *n))
        .collect();
    let by_category: Vec<[(usize, u64); 3]> = Category::ALL
        .iter()
        .map(|c| {
            std::array::from_fn(|k| {
                let n = r.periods[k].0.get(c).copied().unwrap_or(0);
                (t.cell(n), n)
            })
        })
        .collect();
    for k in 0..3 {
        let parts: Vec<(usize, u64)> = by_category.iter().map(|c| c[k]).collect();
        relate(&mut t, &parts, totals[k]);
    }
    let cur = totals[0];
    let count = |f: &dyn Fn(&SwerefPoint) -> bool| -> u64 {
        r.cur_points.iter().filter(|q| f(q)).count() as u64
    };
    let by_source: Vec<(usize, u64)> = Source::ALL
        .iter()
        .map(|s| {
            let n = count(&|q| q.source == *s);
            (t.cell(n), n)
        })
        .collect();
    relate(&mut t, &by_source, cur);
    let localities: Vec<(usize, u64)> = r.localities.iter().map(|&n| (t.cell(n), n)).collect();
    relate(&mut t, &localities, cur);
    let series: Vec<(usize, u64)> = p
        .series
        .iter()
        .map(|s| (t.cell(s.count), s.count))
        .collect();
    relate(&mut t, &series, cur);
    let year_earlier: Vec<(usize, u64)> = r.year_earlier.iter().map(|&n| (t.cell(n), n)).collect();
    relate(&mut t, &year_earlier, totals[2]);
    let en_n = p.evening_night.count;
    let en = (t.cell(en_n), en_n);
    let rest_n = cur.1.saturating_sub(en_n);
    let rest = (t.cell(rest_n), rest_n);
    relate(&mut t, &[en, rest], cur);

    // Other sources: category rows (the police not shown), source columns.
    let others: Vec<(usize, Source)> = Source::ALL
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != Source::Polis)
        .map(|(i, s)| (i, *s))
        .collect();
    let other_sources: Vec<Vec<(usize, u64)>> = Category::ALL
        .iter()
        .map(|c| {
            others
                .iter()
                .map(|(_, s)| {
                    let n = count(&|q| q.category == *c && q.source == *s);
                    (t.cell(n), n)
                })
                .collect()
        })
        .collect();
    for (ci, c) in Category::ALL.iter().enumerate() {
        let police = count(&|q| q.category == *c && q.source == Source::Polis);
        let mut parts = other_sources[ci].clone();
        parts.push((t.unseen_cell(police), police));
        let n = count(&|q| q.category == *c);
        if n == by_category[ci][0].1 {
            relate(&mut t, &parts, by_category[ci][0]);
        }
    }
    for (j, (si, _)) in others.iter().enumerate() {
        let col: Vec<(usize, u64)> = other_sources.iter().map(|row| row[j]).collect();
        relate(&mut t, &col, by_source[*si]);
    }

    // Hour × weekday in three-hour bins.
    let bins: Vec<[(usize, u64); 8]> = (0..7)
        .map(|d| {
            std::array::from_fn(|b| {
                let n: u64 = p.hour_weekday[d][b * 3..b * 3 + 3].iter().sum();
                (t.cell(n), n)
            })
        })
        .collect();
    let days: Vec<(usize, u64)> = p.by_weekday.iter().map(|&n| (t.cell(n), n)).collect();
    for d in 0..7 {
        relate(&mut t, &bins[d], days[d]);
    }
    relate(&mut t, &days, cur);
    // 18–06 is the bins 18–21, 21–24, 00–03 and 03–06.
    let night_bins: Vec<(usize, u64)> = bins
        .iter()
        .flat_map(|row| [row[0], row[1], row[6], row[7]])
        .collect();
    relate(&mut t, &night_bins, en);

    // The årshjul.
    let cat_cell = |key: &str| {
        Category::ALL
            .iter()
            .position(|c| c.key() == key)
            .map(|i| by_category[i][0])
    };
    let arshjul: Vec<[(usize, u64); 12]> = p
        .arshjul
        .categories
        .iter()
        .map(|c| std::array::from_fn(|m| (t.cell(c.months[m]), c.months[m])))
        .collect();
    let arshjul_count: Vec<(usize, u64)> = p
        .arshjul
        .categories
        .iter()
        .map(|c| match cat_cell(c.key) {
            Some(cell) if cell.1 == c.count => cell,
            _ => (t.cell(c.count), c.count),
        })
        .collect();
    for (row, whole) in arshjul.iter().zip(&arshjul_count) {
        relate(&mut t, row, *whole);
    }
    for m in 0..12 {
        let month = (m + 1) as u32;
        let matching: Vec<usize> = p
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                use chrono::Datelike as _;
                s.start.month() == month && s.end.month() == month
            })
            .map(|(i, _)| i)
            .collect();
        if let [i] = matching.as_slice() {
            let col: Vec<(usize, u64)> = arshjul.iter().map(|row| row[m]).collect();
            relate(&mut t, &col, series[*i]);
        }
    }

    let s = t.protect(limit);
    let one = |c: &(usize, u64)| s[c.0];
    let list = |v: &[(usize, u64)]| v.iter().map(one).collect::<Vec<_>>();
    ReportShown {
        totals: std::array::from_fn(|k| one(&totals[k])),
        by_category: by_category
            .iter()
            .map(|c| std::array::from_fn(|k| one(&c[k])))
            .collect(),
        by_source: list(&by_source),
        localities: list(&localities),
        series: list(&series),
        year_earlier: list(&year_earlier),
        evening_night: one(&en),
        other_sources: other_sources.iter().map(|row| list(row)).collect(),
        hour_weekday: std::array::from_fn(|d| std::array::from_fn(|b| one(&bins[d][b]))),
        by_weekday: std::array::from_fn(|d| one(&days[d])),
        arshjul: arshjul
            .iter()
            .map(|row| std::array::from_fn(|m| one(&row[m])))
            .collect(),
        arshjul_count: list(&arshjul_count),
    }
}
