//! Counts of incidents by category, source, local hour of day and weekday,
//! and the share in the hosts' working hours (evenings and nights, 18–06).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;

use crate::model::IncidentPoint;
use crate::model::{Category, HourRange, Source, time};

/// Summary counts over a set of incidents. Hours and weekdays are local
/// (Europe/Stockholm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub total: u64,
    /// Incidents with a coarse position (e.g. municipality-level police events).
    pub coarse: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Every category, in [`Category::ALL`] order, zeros included.
    pub by_category: Vec<(Category, u64)>,
    /// Every source, in [`Source::ALL`] order, zeros included.
    pub by_source: Vec<(Source, u64)>,
    /// Index = local hour 0–23.
    pub by_hour: [u64; 24],
    /// Index 0 = Monday.
    pub by_weekday: [u64; 7],
    /// Incidents in local hours 18–06.
    pub evening_night: u64,
    /// `evening_night / total` (0 when there are no incidents).
    pub evening_night_share: f64,
}

impl Stats {
    /// Counts the given incidents.
    ///
    /// # Examples
    /// ```
    /// use lagesbild::analysis::Stats;
    /// let s = Stats::compute(&[]);
    /// assert_eq!(s.total, 0);
    /// assert_eq!(s.evening_night_share, 0.0);
    /// ```
    pub fn compute(points: &[IncidentPoint]) -> Stats {
        let mut by_category: BTreeMap<Category, u64> = BTreeMap::new();
        let mut by_source: BTreeMap<Source, u64> = BTreeMap::new();
        let mut by_hour = [0u64; 24];
        let mut by_weekday = [0u64; 7];
        let mut coarse = 0;
        let mut first: Option<DateTime<Utc>> = None;
        let mut last: Option<DateTime<Utc>> = None;
        for p in points {
            *by_category.entry(p.category).or_default() += 1;
            *by_source.entry(p.source).or_default() += 1;
            let local = time::local(p.occurred_at);
            by_hour[local.hour() as usize] += 1;
            by_weekday[local.weekday().num_days_from_monday() as usize] += 1;
            if p.precision_m > crate::model::Precision::COARSE_ABOVE_M {
                coarse += 1;
            }
            first = Some(first.map_or(p.occurred_at, |f| f.min(p.occurred_at)));
            last = Some(last.map_or(p.occurred_at, |l| l.max(p.occurred_at)));
        }
        let total = points.len() as u64;
        let evening_night: u64 = (0..24u8)
            .filter(|&h| HourRange::EVENINGS_AND_NIGHTS.contains(h))
            .map(|h| by_hour[h as usize])
            .sum();
        Stats {
            total,
            coarse,
            first,
            last,
            by_category: Category::ALL
                .into_iter()
                .map(|c| (c, by_category.get(&c).copied().unwrap_or(0)))
                .collect(),
            by_source: Source::ALL
                .into_iter()
                .map(|s| (s, by_source.get(&s).copied().unwrap_or(0)))
                .collect(),
            by_hour,
            by_weekday,
            evening_night,
            evening_night_share: if total == 0 {
                0.0
            } else {
                evening_night as f64 / total as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LonLat, time::utc_from_local};
    use chrono::NaiveDate;

    fn point(day: u32, hour: u32, category: Category, precision_m: f64) -> IncidentPoint {
        // July 2025: 4th is a Friday.
        let t = utc_from_local(
            NaiveDate::from_ymd_opt(2025, 7, day)
                .unwrap()
                .and_hms_opt(hour, 0, 0)
                .unwrap(),
        )
        .unwrap();
        IncidentPoint {
            fid: 1,
            occurred_at: t,
            category,
            source: Source::Polis,
            position: LonLat::new(14.58, 56.05),
            precision_m,
        }
    }

    #[test]
    fn counts_in_local_time() {
        let pts = [
            point(4, 23, Category::Vald, 10.0),
            point(4, 1, Category::Vald, 10.0),
            point(5, 12, Category::Brand, 15_000.0),
            point(6, 18, Category::Stold, 10.0),
        ];
        let s = Stats::compute(&pts);
        assert_eq!(s.total, 4);
        assert_eq!(s.coarse, 1);
        assert_eq!(s.by_hour[23], 1);
        assert_eq!(s.by_hour[1], 1);
        assert_eq!(s.by_hour[12], 1);
        assert_eq!(s.by_weekday[4], 2); // Friday
        assert_eq!(s.by_weekday[5], 1); // Saturday
        assert_eq!(s.by_weekday[6], 1); // Sunday
        assert_eq!(s.evening_night, 3);
        assert!((s.evening_night_share - 0.75).abs() < 1e-12);
        assert_eq!(s.by_category[2], (Category::Vald, 2));
        assert_eq!(s.by_category.len(), Category::ALL.len());
        assert_eq!(s.by_source[0], (Source::Polis, 4));
        assert_eq!(s.first, Some(pts[1].occurred_at));
        assert_eq!(s.last, Some(pts[3].occurred_at));
    }
}
