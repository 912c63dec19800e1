//! The incident filter shared by the CLI, the GUI and the analysis.
//!
//! Dates, hours and weekdays are all in Swedish local time.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::{Category, Incident, Source, time};

/// A bad filter value, with what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("hour range {0:?}: expected START-END with hours 0–24, e.g. 18-6 or 0-24")]
    HourRange(String),
    #[error(
        "weekdays {0:?}: expected a comma list such as fri,sat or mon-fri (sv: mån,tis,ons,tor,fre,lör,sön)"
    )]
    Weekdays(String),
    #[error(
        "unknown category {0:?}; known: skadegorelse, narkotika, vald, ordningsstorning, stold, brand, otrygghet, ovrigt"
    )]
    Category(String),
    #[error(
        "unknown source {0:?}; known: polis, trygghetsvard, skola, socialtjanst, raddningstjanst, medborgare, ovrigt"
    )]
    Source(String),
    #[error("date {0:?}: expected YYYY-MM-DD")]
    Date(String),
    #[error("the from date {from} is after the to date {to}")]
    DateOrder { from: NaiveDate, to: NaiveDate },
}

/// Hours of the local day: `start` inclusive, `end` exclusive, both 0–24,
/// wrapping past midnight when `end <= start` (18-6 is evenings and nights).
/// `0-24` is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HourRange {
    start: u8,
    end: u8,
}

impl HourRange {
    /// Evenings and nights, 18–06: the hosts' working hours.
    pub const EVENINGS_AND_NIGHTS: HourRange = HourRange { start: 18, end: 6 };
    pub const WHOLE_DAY: HourRange = HourRange { start: 0, end: 24 };

    /// `None` when an hour is above 24, or start is 24, or start == end
    /// (which would be ambiguous between "nothing" and "everything").
    pub fn new(start: u8, end: u8) -> Option<Self> {
        (start < 24 && end <= 24 && start != end).then_some(Self { start, end })
    }

    pub fn start(&self) -> u8 {
        self.start
    }

    pub fn end(&self) -> u8 {
        self.end
    }

    /// True for every hour 0–23 in the range.
    pub fn contains(&self, hour: u8) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&hour)
        } else {
            hour >= self.start || hour < self.end
        }
    }

    pub fn is_whole_day(&self) -> bool {
        (0..24).all(|h| self.contains(h))
    }

    /// Number of hours covered.
    pub fn len(&self) -> u8 {
        (0..24).filter(|&h| self.contains(h)).count() as u8
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for HourRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl std::str::FromStr for HourRange {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FilterError::HourRange(s.to_owned());
        let (a, b) = s.trim().split_once(['-', '–']).ok_or_else(err)?;
        let start: u8 = a.trim().parse().map_err(|_| err())?;
        let end: u8 = b.trim().parse().map_err(|_| err())?;
        // "24-x" is "0-x".
        let start = if start == 24 { 0 } else { start };
        HourRange::new(start, end).ok_or_else(err)
    }
}

/// A set of weekdays (bit 0 = Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);
    pub const NONE: Weekdays = Weekdays(0);

    pub fn contains(&self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub fn insert(&mut self, day: Weekday) {
        self.0 |= 1 << day.num_days_from_monday();
    }

    pub fn remove(&mut self, day: Weekday) {
        self.0 &= !(1 << day.num_days_from_monday());
    }

    pub fn is_all(&self) -> bool {
        *self == Self::ALL
    }

    /// Days in the set, Monday first.
    pub fn days(&self) -> impl Iterator<Item = Weekday> + '_ {
        (0..7)
            .map(|i| Weekday::try_from(i as u8).unwrap_or(Weekday::Mon))
            .filter(|d| self.contains(*d))
    }

    fn parse_day(text: &str) -> Option<Weekday> {
        let t = super::fold_name(text);
        const NAMES: [(&[&str], Weekday); 7] = [
            (&["mon", "monday", "man", "mandag"], Weekday::Mon),
            (&["tue", "tues", "tuesday", "tis", "tisdag"], Weekday::Tue),
            (&["wed", "wednesday", "ons", "onsdag"], Weekday::Wed),
            (
                &["thu", "thur", "thurs", "thursday", "tor", "tors", "torsdag"],
                Weekday::Thu,
            ),
            (&["fri", "friday", "fre", "fredag"], Weekday::Fri),
            (&["sat", "saturday", "lor", "lordag"], Weekday::Sat),
            (&["sun", "sunday", "son", "sondag"], Weekday::Sun),
        ];
        NAMES
            .iter()
            .find(|(names, _)| names.contains(&t.as_str()))
            .map(|(_, d)| *d)
    }
}

impl Default for Weekdays {
    fn default() -> Self {
        Self::ALL
    }
}

impl std::fmt::Display for Weekdays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.days().map(|d| d.to_string().to_lowercase()).collect();
        f.write_str(&names.join(","))
    }
}

impl std::str::FromStr for Weekdays {
    type Err = FilterError;

    /// `fri,sat`, `mon-fri`, `lör,sön`; a range may wrap (`fri-mon`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FilterError::Weekdays(s.to_owned());
        let mut set = Weekdays::NONE;
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some((a, b)) = part.split_once('-') {
                let a = Self::parse_day(a).ok_or_else(err)?;
                let b = Self::parse_day(b).ok_or_else(err)?;
                let mut d = a;
                loop {
                    set.insert(d);
                    if d == b {
                        break;
                    }
                    d = d.succ();
                }
            } else {
                set.insert(Self::parse_day(part).ok_or_else(err)?);
            }
        }
        if set == Weekdays::NONE {
            return Err(err());
        }
        Ok(set)
    }
}

/// Which incidents to look at. `None` (or an empty value) means "no limit".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// First local date included.
    pub from: Option<NaiveDate>,
    /// Last local date included.
    pub to: Option<NaiveDate>,
    /// Categories included; `None` = all.
    pub categories: Option<BTreeSet<Category>>,
    /// Sources included; `None` = all.
    pub sources: Option<BTreeSet<Source>>,
    /// Local hours included; `None` = the whole day.
    pub hours: Option<HourRange>,
    /// Local weekdays included; `None` = every day.
    pub weekdays: Option<Weekdays>,
}

impl Filter {
    /// True when no criterion is set.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Checks the combination (e.g. from after to).
    pub fn validate(&self) -> Result<(), FilterError> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(FilterError::DateOrder { from, to });
        }
        Ok(())
    }

    /// The UTC half-open interval `[start, end)` of the date range, for stores
    /// to narrow a query before [`Filter::matches`] checks the rest.
    pub fn utc_bounds(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let start_of = |d: NaiveDate| {
            // Midnight always exists in Stockholm (DST changes at 02:00/03:00).
            d.and_hms_opt(0, 0, 0)
                .and_then(|n| time::utc_from_local(n).ok())
        };
        let start = self.from.and_then(start_of);
        let end = self.to.and_then(|d| d.succ_opt()).and_then(start_of);
        (start, end)
    }

    /// Does the incident pass every criterion?
    pub fn matches(&self, incident: &Incident) -> bool {
        self.matches_parts(incident.occurred_at, incident.category, incident.source)
    }

    /// [`Filter::matches`] on the fields it reads, for callers that keep
    /// incidents in columns.
    pub fn matches_parts(&self, at: DateTime<Utc>, category: Category, source: Source) -> bool {
        if let Some(cats) = &self.categories
            && !cats.contains(&category)
        {
            return false;
        }
        if let Some(srcs) = &self.sources
            && !srcs.contains(&source)
        {
            return false;
        }
        if self.from.is_none()
            && self.to.is_none()
            && self.hours.is_none()
            && self.weekdays.is_none()
        {
            return true;
        }
        let local = time::local(at);
        let date = local.date_naive();
        if self.from.is_some_and(|f| date < f) || self.to.is_some_and(|t| date > t) {
            return false;
        }
        if let Some(h) = self.hours
            && !h.contains(local.hour() as u8)
        {
            return false;
        }
        if let Some(w) = self.weekdays
            && !w.contains(local.weekday())
        {
            return false;
        }
        true
    }

    /// Parses a comma list of category keys or names (`vald,narkotika`).
    pub fn parse_categories(text: &str) -> Result<BTreeSet<Category>, FilterError> {
        text.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                Category::from_key(p)
                    .or_else(|| Category::parse_loose(p))
                    .ok_or_else(|| FilterError::Category(p.to_owned()))
            })
            .collect()
    }

    /// Parses a comma list of source keys or names (`polis,skola`).
    pub fn parse_sources(text: &str) -> Result<BTreeSet<Source>, FilterError> {
        text.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                Source::from_key(p)
                    .or_else(|| Source::parse_loose(p))
                    .ok_or_else(|| FilterError::Source(p.to_owned()))
            })
            .collect()
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_date(text: &str) -> Result<NaiveDate, FilterError> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| FilterError::Date(text.to_owned()))
    }

    /// A one-line human description, e.g. for export metadata.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.from {
            parts.push(format!("from {f}"));
        }
        if let Some(t) = self.to {
            parts.push(format!("to {t}"));
        }
        if let Some(c) = &self.categories {
            let keys: Vec<_> = c.iter().map(|c| c.key()).collect();
            parts.push(format!("categories {}", keys.join(",")));
        }
        if let Some(s) = &self.sources {
            let keys: Vec<_> = s.iter().map(|s| s.key()).collect();
            parts.push(format!("sources {}", keys.join(",")));
        }
        if let Some(h) = self.hours {
            parts.push(format!("hours {h}"));
        }
        if let Some(w) = self.weekdays {
            parts.push(format!("weekdays {w}"));
        }
        if parts.is_empty() {
            "all incidents".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LonLat, time::utc_from_local};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        utc_from_local(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, 15, 0)
                .unwrap(),
        )
        .unwrap()
    }

    fn incident(t: DateTime<Utc>) -> Incident {
        Incident::new(
            t,
            Category::Vald,
            Source::Polis,
            LonLat::new(14.58, 56.05),
            10.0,
        )
    }

    #[test]
    fn hour_ranges() {
        let r: HourRange = "18-2".parse().unwrap();
        assert!(r.contains(18) && r.contains(23) && r.contains(0) && r.contains(1));
        assert!(!r.contains(2) && !r.contains(17));
        assert_eq!(r.len(), 8);
        let day: HourRange = "0-24".parse().unwrap();
        assert!(day.is_whole_day());
        assert_eq!(day.len(), 24);
        let morning: HourRange = "6-9".parse().unwrap();
        assert_eq!(morning.len(), 3);
        assert!(!morning.contains(9));
        assert!("5-5".parse::<HourRange>().is_err());
        assert!("25-3".parse::<HourRange>().is_err());
        assert!("evening".parse::<HourRange>().is_err());
        assert_eq!(HourRange::EVENINGS_AND_NIGHTS.len(), 12);
    }

    #[test]
    fn weekday_lists() {
        let w: Weekdays = "fri,sat".parse().unwrap();
        assert!(w.contains(Weekday::Fri) && w.contains(Weekday::Sat) && !w.contains(Weekday::Sun));
        let sv: Weekdays = "fre, lör".parse().unwrap();
        assert_eq!(w, sv);
        let wrap: Weekdays = "fri-mon".parse().unwrap();
        assert_eq!(wrap.days().count(), 4);
        assert!("funday".parse::<Weekdays>().is_err());
        assert!("".parse::<Weekdays>().is_err());
        assert_eq!(w.to_string(), "fri,sat");
    }

    #[test]
    fn matches_in_local_time() {
        // 2025-07-04 is a Friday; 23:15 local is 21:15 UTC.
        let friday_night = incident(at(2025, 7, 4, 23));
        let f = Filter {
            hours: Some(HourRange::EVENINGS_AND_NIGHTS),
            weekdays: Some("fri".parse().unwrap()),
            ..Filter::default()
        };
        assert!(f.matches(&friday_night));
        let saturday_morning = incident(at(2025, 7, 5, 9));
        assert!(!f.matches(&saturday_morning));
    }

    #[test]
    fn date_range_is_inclusive_local() {
        let f = Filter {
            from: Some(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
            to: Some(NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()),
            ..Filter::default()
        };
        // 00:15 local on 1 Jan is still 31 Dec in UTC.
        assert!(f.matches(&incident(at(2025, 1, 1, 0))));
        assert!(f.matches(&incident(at(2025, 1, 31, 23))));
        assert!(!f.matches(&incident(at(2025, 2, 1, 0))));
        let (start, end) = f.utc_bounds();
        assert_eq!(start.unwrap().to_rfc3339(), "2024-12-31T23:00:00+00:00");
        assert_eq!(end.unwrap().to_rfc3339(), "2025-01-31T23:00:00+00:00");
    }

    #[test]
    fn categories_and_sources() {
        let f = Filter {
            categories: Some(Filter::parse_categories("vald, narkotika").unwrap()),
            sources: Some(Filter::parse_sources("polis").unwrap()),
            ..Filter::default()
        };
        assert!(f.matches(&incident(at(2025, 1, 1, 12))));
        let mut other = incident(at(2025, 1, 1, 12));
        other.category = Category::Brand;
        assert!(!f.matches(&other));
        assert!(Filter::parse_categories("vald,unknown").is_err());
    }

    #[test]
    fn date_order_checked() {
        let f = Filter {
            from: Some(NaiveDate::from_ymd_opt(2025, 2, 1).unwrap()),
            to: Some(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
            ..Filter::default()
        };
        assert!(f.validate().is_err());
    }
}
