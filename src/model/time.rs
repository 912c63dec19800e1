//! Swedish local time (Europe/Stockholm) at the edges, UTC inside.
//!
//! Every hour-of-day and weekday question is answered in local time, so an
//! incident at 23:30 local time on a Friday in July (21:30 UTC) counts as a
//! Friday-night incident, and the same clock time in January too.

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::{Europe::Stockholm, Tz};

/// The time zone all local-time logic uses.
pub const ZONE: Tz = Stockholm;

/// Why a local clock time does not name exactly one instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    /// In the spring-forward gap (e.g. 2025-03-30 02:30 never happened).
    #[error("{0} does not exist in Swedish local time (clocks jump forward at 02:00)")]
    Nonexistent(NaiveDateTime),
}

/// The instant a Swedish wall-clock time names.
///
/// In the autumn overlap (e.g. 2025-10-26 02:30 happens twice) the first
/// occurrence (summer time, CEST) is taken: the reading nearest to how police and
/// municipal systems write such times. A time in the spring gap is an error.
pub fn utc_from_local(naive: NaiveDateTime) -> Result<DateTime<Utc>, LocalTimeError> {
    match ZONE.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(LocalTimeError::Nonexistent(naive)),
    }
}

/// The instant in Swedish local time.
pub fn local(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&ZONE)
}

/// Local hour of day, 0–23.
pub fn local_hour(t: DateTime<Utc>) -> u8 {
    local(t).hour() as u8
}

/// Local weekday.
pub fn local_weekday(t: DateTime<Utc>) -> Weekday {
    local(t).weekday()
}

/// Formats an instant as GeoPackage writes a DATETIME: UTC, milliseconds, `Z`
/// (`2025-03-14T21:40:00.000Z`).
pub fn gpkg_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses a GeoPackage DATETIME (`YYYY-MM-DDTHH:MM:SS[.SSS]Z`).
pub fn parse_gpkg_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn naive(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn winter_and_summer_offsets() {
        let w = utc_from_local(naive(2025, 3, 14, 22, 40)).unwrap();
        assert_eq!(gpkg_datetime(w), "2025-03-14T21:40:00.000Z");
        let s = utc_from_local(naive(2025, 7, 4, 23, 30)).unwrap();
        assert_eq!(gpkg_datetime(s), "2025-07-04T21:30:00.000Z");
        assert_eq!(local_hour(s), 23);
        assert_eq!(local_weekday(s), Weekday::Fri);
    }

    #[test]
    fn spring_gap_is_an_error() {
        assert!(utc_from_local(naive(2025, 3, 30, 2, 30)).is_err());
        let before = utc_from_local(naive(2025, 3, 30, 1, 59)).unwrap();
        let after = utc_from_local(naive(2025, 3, 30, 3, 0)).unwrap();
        assert_eq!((after - before).num_minutes(), 1);
    }

    #[test]
    fn autumn_overlap_takes_summer_time() {
        let t = utc_from_local(naive(2025, 10, 26, 2, 30)).unwrap();
        assert_eq!(gpkg_datetime(t), "2025-10-26T00:30:00.000Z");
        assert_eq!(local_hour(t), 2);
    }

    #[test]
    fn gpkg_round_trip() {
        let t = utc_from_local(naive(2024, 12, 31, 23, 59)).unwrap();
        assert_eq!(parse_gpkg_datetime(&gpkg_datetime(t)), Some(t));
        assert_eq!(
            parse_gpkg_datetime("2025-03-14T21:40:00Z"),
            parse_gpkg_datetime("2025-03-14T21:40:00.000Z")
        );
    }
}
