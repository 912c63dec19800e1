//! Retention: how long a project keeps incidents, and the hosts' tracks
//! (their own, usually shorter, time), kept as project settings; what is
//! past its time; and deleting it in one logged transaction
//! ([`crate::store::Store::apply_retention`]).
//!
//! Ages are calendar spans in local Swedish time: `5y` keeps the incidents
//! of the last five years counted from today's local midnight, so an
//! incident is past its time when it happened before that midnight.

use std::fmt;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::jobs::CancelToken;
use crate::model::{Filter, time};
use crate::store::retention::RetentionRun;
use crate::store::{Store, StoreError};

/// Project setting (in the project's metadata) for incidents.
pub const INCIDENTS_KEY: &str = "retention_incidents";
/// Project setting for the hosts' tracks and check-ins.
pub const TRACKS_KEY: &str = "retention_tracks";

/// A span of time: `5y`, `18m` (months), `12w`, `90d` (or `90`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Age {
    pub amount: u32,
    pub unit: AgeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeUnit {
    Days,
    Weeks,
    Months,
    Years,
}

impl std::str::FromStr for Age {
    type Err = String;

    fn from_str(text: &str) -> Result<Age, String> {
        let t = text.trim().to_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        let bad =
            || format!("{text:?} is not an age: write e.g. 5y (years), 18m (months), 12w or 90d");
        let amount: u32 = digits.parse().map_err(|_| bad())?;
        if amount == 0 {
            return Err(format!("{text:?}: an age must be at least one day"));
        }
        let unit = match unit.trim() {
            "" | "d" | "day" | "days" | "dag" | "dagar" => AgeUnit::Days,
            "w" | "week" | "weeks" | "v" | "vecka" | "veckor" => AgeUnit::Weeks,
            "m" | "month" | "months" | "mån" | "månad" | "månader" => AgeUnit::Months,
            "y" | "year" | "years" | "år" => AgeUnit::Years,
            _ => return Err(bad()),
        };
        let too_long = match unit {
            AgeUnit::Days => amount > 365 * 100,
            AgeUnit::Weeks => amount > 52 * 100,
            AgeUnit::Months => amount > 1200,
            AgeUnit::Years => amount > 100,
        };
        if too_long {
            return Err(format!("{text:?}: at most 100 years"));
        }
        Ok(Age { amount, unit })
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            AgeUnit::Days => "d",
            AgeUnit::Weeks => "w",
            AgeUnit::Months => "m",
            AgeUnit::Years => "y",
        };
        write!(f, "{}{u}", self.amount)
    }
}

impl Age {
    /// The first local date still kept on `today`.
    pub fn first_kept_day(self, today: NaiveDate) -> NaiveDate {
        let n = u64::from(self.amount);
        let back = match self.unit {
            AgeUnit::Days => today.checked_sub_days(Days::new(n)),
            AgeUnit::Weeks => today.checked_sub_days(Days::new(n * 7)),
            AgeUnit::Months => today.checked_sub_months(Months::new(self.amount)),
            AgeUnit::Years => today.checked_sub_months(Months::new(self.amount * 12)),
        };
        back.unwrap_or(NaiveDate::MIN)
    }

    /// The instant before which things are past their time: local midnight
    /// starting [`first_kept_day`](Self::first_kept_day).
    pub fn cutoff(self, today: NaiveDate) -> DateTime<Utc> {
        let day = self.first_kept_day(today);
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        // A midnight that does not exist locally (never in Sweden) falls back to UTC.
        time::utc_from_local(midnight).unwrap_or_else(|_| midnight.and_utc())
    }

    /// In Swedish words, e.g. "5 år", "90 dagar".
    pub fn label_sv(self) -> String {
        let n = self.amount;
        let unit = match (self.unit, n == 1) {
            (AgeUnit::Days, true) => "dag",
            (AgeUnit::Days, false) => "dagar",
            (AgeUnit::Weeks, true) => "vecka",
            (AgeUnit::Weeks, false) => "veckor",
            (AgeUnit::Months, true) => "månad",
            (AgeUnit::Months, false) => "månader",
            (AgeUnit::Years, _) => "år",
        };
        format!("{n} {unit}")
    }

    /// In English words, e.g. "5 years".
    pub fn label_en(self) -> String {
        let n = self.amount;
        let unit = match self.unit {
            AgeUnit::Days => "day",
            AgeUnit::Weeks => "week",
            AgeUnit::Months => "month",
            AgeUnit::Years => "year",
        };
        format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// How long a project keeps things; `None`: for ever (not set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub incidents: Option<Age>,
    pub tracks: Option<Age>,
}

impl Policy {
    /// The project's settings. A setting that does not read as an age is an
    /// error naming it (never silently "keep for ever").
    pub fn read(store: &dyn Store) -> Result<Policy, RetentionError> {
        let get = |key: &str| -> Result<Option<Age>, RetentionError> {
            match store.metadata(key)? {
                None => Ok(None),
                Some(t) if t.trim().is_empty() => Ok(None),
                Some(t) => t
                    .parse()
                    .map(Some)
                    .map_err(|reason| RetentionError::BadSetting {
                        key: key.to_owned(),
                        reason,
                    }),
            }
        };
        Ok(Policy {
            incidents: get(INCIDENTS_KEY)?,
            tracks: get(TRACKS_KEY)?,
        })
    }

    /// Stores both settings (an empty value for "keep for ever").
    pub fn write(&self, store: &mut dyn Store) -> Result<(), RetentionError> {
        let text = |a: Option<Age>| a.map(|a| a.to_string()).unwrap_or_default();
        store.set_metadata(INCIDENTS_KEY, &text(self.incidents))?;
        store.set_metadata(TRACKS_KEY, &text(self.tracks))?;
        Ok(())
    }

    /// True when neither is set.
    pub fn is_unset(&self) -> bool {
        self.incidents.is_none() && self.tracks.is_none()
    }
}

/// What is past its time on a given day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Due {
    pub policy: Policy,
    /// Incidents that happened before this are past their time.
    pub incidents_before: Option<DateTime<Utc>>,
    pub incidents: u64,
    /// Tracks that ended before this are past their time.
    pub tracks_before: Option<DateTime<Utc>>,
    pub tracks: u64,
    /// False when this login may not read the hosts' tracks (a shared
    /// store's `lagesbild_read`): `tracks` is 0 then because they could not
    /// be counted, not because none is due.
    pub tracks_visible: bool,
}

impl Due {
    /// True when something would be deleted.
    pub fn any(&self) -> bool {
        self.incidents > 0 || self.tracks > 0
    }
}

/// Counts what `policy` puts past its time on local date `today`.
pub fn due(store: &dyn Store, policy: Policy, today: NaiveDate) -> Result<Due, RetentionError> {
    let incidents_before = policy.incidents.map(|a| a.cutoff(today));
    let incidents = match policy.incidents {
        Some(age) => {
            let last_day = age
                .first_kept_day(today)
                .pred_opt()
                .unwrap_or(NaiveDate::MIN);
            let filter = Filter {
                to: Some(last_day),
                ..Filter::default()
            };
            store.incident_points(&filter, &CancelToken::new())?.len() as u64
        }
        None => 0,
    };
    let tracks_before = policy.tracks.map(|a| a.cutoff(today));
    let mut tracks_visible = true;
    let tracks = match tracks_before {
        Some(cut) => match store.track_summaries() {
            Ok(s) => s.iter().filter(|t| t.last < cut).count() as u64,
            Err(StoreError::Unsupported { .. }) => 0,
            // A login that may read the project but not the hosts' tracks:
            // the incidents are still counted.
            Err(StoreError::PermissionDenied { .. }) => {
                tracks_visible = false;
                0
            }
            Err(e) => return Err(e.into()),
        },
        None => 0,
    };
    Ok(Due {
        policy,
        incidents_before,
        incidents,
        tracks_before,
        tracks,
        tracks_visible,
    })
}

/// Deletes what `policy` puts past its time on `today`, in one logged
/// transaction.
pub fn apply(
    store: &mut dyn Store,
    policy: Policy,
    today: NaiveDate,
) -> Result<RetentionRun, RetentionError> {
    let incidents_before = policy.incidents.map(|a| a.cutoff(today));
    let tracks_before = policy.tracks.map(|a| a.cutoff(today));
    Ok(store.apply_retention(incidents_before, tracks_before)?)
}

/// Today's local date in Sweden.
pub fn today() -> NaiveDate {
    time::local(Utc::now()).date_naive()
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("project setting {key}: {reason}")]
    BadSetting { key: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Incident, LonLat, Source};
    use crate::store;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ages_read_and_print() {
        let a: Age = "5y".parse().unwrap();
        assert_eq!(
            a,
            Age {
                amount: 5,
                unit: AgeUnit::Years
            }
        );
        assert_eq!(a.to_string(), "5y");
        assert_eq!("90".parse::<Age>().unwrap().to_string(), "90d");
        assert_eq!("5 år".parse::<Age>().unwrap().to_string(), "5y");
        assert_eq!("18M".parse::<Age>().unwrap().label_sv(), "18 månader");
        assert!("0d".parse::<Age>().is_err());
        assert!("5x".parse::<Age>().unwrap_err().contains("5y"));
        assert!("".parse::<Age>().is_err());
        assert!("101y".parse::<Age>().is_err());
    }

    #[test]
    fn cutoffs_are_local_midnights_in_the_calendar() {
        let a: Age = "5y".parse().unwrap();
        assert_eq!(a.first_kept_day(d(2026, 12, 1)), d(2021, 12, 1));
        // Leap day: a year before 29 Feb is 28 Feb.
        let y1: Age = "1y".parse().unwrap();
        assert_eq!(y1.first_kept_day(d(2024, 2, 29)), d(2023, 2, 28));
        // Local midnight in winter is 23:00 UTC the day before.
        assert_eq!(
            y1.cutoff(d(2026, 12, 1)).to_rfc3339(),
            "2025-11-30T23:00:00+00:00"
        );
        let w: Age = "2w".parse().unwrap();
        assert_eq!(w.first_kept_day(d(2026, 12, 1)), d(2026, 11, 17));
    }

    #[test]
    fn due_counts_and_apply_deletes_exactly_those_in_one_logged_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.gpkg");
        let mut project = store::create(&path, "t").unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        for t in [
            "2020-01-01T12:00:00Z",
            "2021-11-30T22:59:00Z", // 23:59 local on 30 Nov 2021: past its time
            "2021-11-30T23:00:00Z", // 00:00 local on 1 Dec 2021: kept
            "2025-06-01T12:00:00Z",
        ] {
            let i = Incident::new(
                at(t),
                Category::Vald,
                Source::Polis,
                LonLat::new(14.58, 56.05),
                10.0,
            );
            project.add_incident(&i).unwrap();
        }
        assert!(Policy::read(project.as_ref()).unwrap().is_unset());
        let policy = Policy {
            incidents: Some("5y".parse().unwrap()),
            tracks: Some("90d".parse().unwrap()),
        };
        policy.write(project.as_mut()).unwrap();
        assert_eq!(Policy::read(project.as_ref()).unwrap(), policy);
        let today = d(2026, 12, 1);
        let due = due(project.as_ref(), policy, today).unwrap();
        assert_eq!(due.incidents, 2);
        assert!(due.any());
        let run = apply(project.as_mut(), policy, today).unwrap();
        assert_eq!(run.incidents_deleted, 2);
        assert_eq!(project.info().unwrap().incident_count, 2);
        let again = super::due(project.as_ref(), policy, today).unwrap();
        assert!(!again.any());
        let log = project.retention_log().unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].incidents_deleted, 2);
        assert_eq!(log[0].incidents_before, due.incidents_before);
    }

    #[test]
    fn a_bad_setting_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = store::create(dir.path().join("b.gpkg"), "t").unwrap();
        project.set_metadata(INCIDENTS_KEY, "länge").unwrap();
        let e = Policy::read(project.as_ref()).unwrap_err().to_string();
        assert!(e.contains("retention_incidents"), "{e}");
    }
}
