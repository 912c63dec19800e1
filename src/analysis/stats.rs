//! Counts of incidents by category, source, local hour of day and weekday,
//! and the share in the hosts' working hours (evenings and nights, 18–06).

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;

use crate::model::IncidentPoint;
use crate::model::{Category, HourRange, Source, time};
use crate::store::SwerefPoint;

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
        Stats::count(points.iter().map(|p| {
            let local = time::local(p.occurred_at);
            Counted {
                category: p.category,
                source: p.source,
                hour: local.hour() as u8,
                weekday: local.weekday().num_days_from_monday() as u8,
                coarse: p.precision_m > crate::model::Precision::COARSE_ABOVE_M,
                occurred_at: p.occurred_at,
            }
        }))
    }

    /// Counts the given analysis points (the form the stores keep ready,
    /// [`crate::store::Store::analysis_points`]): the same counts as
    /// [`Stats::compute`] of the same incidents, whose local hour, weekday
    /// and precision the points carry (the first and last time to the
    /// second; coarse as the analyses decide it, on the point's precision).
    pub fn compute_analysis(points: &[SwerefPoint]) -> Stats {
        Stats::count(points.iter().map(|p| Counted {
            category: p.category,
            source: p.source,
            hour: p.hour,
            weekday: p.weekday,
            coarse: f64::from(p.precision_m) > crate::model::Precision::COARSE_ABOVE_M,
            occurred_at: DateTime::from_timestamp(p.occurred_at, 0).unwrap_or_default(),
        }))
    }

    fn count(points: impl ExactSizeIterator<Item = Counted>) -> Stats {
        let total = points.len() as u64;
        let mut by_category = [0u64; Category::ALL.len()];
        let mut by_source = [0u64; Source::ALL.len()];
        let mut by_hour = [0u64; 24];
        let mut by_weekday = [0u64; 7];
        let mut coarse = 0;
        let mut first: Option<DateTime<Utc>> = None;
        let mut last: Option<DateTime<Utc>> = None;
        for p in points {
            by_category[p.category.index()] += 1;
            by_source[p.source.index()] += 1;
            by_hour[usize::from(p.hour) % 24] += 1;
            by_weekday[usize::from(p.weekday) % 7] += 1;
            if p.coarse {
                coarse += 1;
            }
            first = Some(first.map_or(p.occurred_at, |f| f.min(p.occurred_at)));
            last = Some(last.map_or(p.occurred_at, |l| l.max(p.occurred_at)));
        }
        let evening_night: u64 = (0..24u8)
            .filter(|&h| HourRange::EVENINGS_AND_NIGHTS.contains(h))
            .map(|h| by_hour[h as usize])
            .sum();
        Stats {
            total,
            coarse,
            first,
            last,
            by_category: Category::ALL.into_iter().zip(by_category).collect(),
            by_source: Source::ALL.into_iter().zip(by_source).collect(),
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

/// What one incident adds to the counts.
struct Counted {
    category: Category,
    source: Source,
    hour: u8,
    weekday: u8,
    coarse: bool,
    occurred_at: DateTime<Utc>,
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

    #[test]
    fn the_analysis_points_give_the_same_counts() {
        let mut pts = Vec::new();
        for day in 1..=31 {
            for hour in [0, 5, 6, 12, 17, 18, 23] {
                let category = Category::ALL[(day as usize + hour as usize) % Category::ALL.len()];
                let precision = [10.0, 500.0, 500.5, 15_000.0][day as usize % 4];
                let mut p = point(day, hour, category, precision);
                p.source = Source::ALL[day as usize % Source::ALL.len()];
                pts.push(p);
            }
        }
        // The hours around the switch to winter time (27 October 2024).
        for h in 0..4 {
            let mut p = pts[0];
            p.occurred_at =
                chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 10, 27, h, 30, 0).unwrap();
            pts.push(p);
        }
        let sweref: Vec<SwerefPoint> = pts.iter().map(SwerefPoint::from_incident_point).collect();
        let a = Stats::compute(&pts);
        assert_eq!(Stats::compute_analysis(&sweref), a);
        // 500.5 and 15,000 m on 16 of the days; 500 m is not coarse.
        assert_eq!(a.coarse, 16 * 7);
        assert_eq!(Stats::compute_analysis(&[]), Stats::compute(&[]));
    }
}
