//! The compact form of an incident that the analyses read: its SWEREF 99 TM
//! position and the local date and hour the filter looks at, computed once
//! (a store may keep them, as the GeoPackage's point cache does), so that
//! loading a million of them is a copy and filtering is integer compares.

use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _, Utc, Weekday};

use crate::crs::sweref_from_wgs84;
use crate::model::{Category, Filter, Source, time};

use super::IncidentPoint;

/// One incident for analysis. 36 bytes encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwerefPoint {
    /// SWEREF 99 TM metres; NaN when the position cannot be projected.
    pub xy: [f64; 2],
    /// Seconds since 1970 (UTC).
    pub occurred_at: i64,
    /// Local date as days from the Common Era ([`Datelike::num_days_from_ce`]).
    pub local_day: i32,
    /// Local hour, 0–23.
    pub hour: u8,
    /// Local weekday, 0 = Monday.
    pub weekday: u8,
    pub category: Category,
    pub source: Source,
    /// Radius of uncertainty, metres.
    pub precision_m: f32,
}

/// Size of one encoded point.
pub const ENCODED_LEN: usize = 36;

/// The version of the encoding and of the derivation of its fields, stored
/// beside every stored point cache (the GeoPackage's and the database's):
/// bumped whenever [`SwerefPoint::encode`] or [`SwerefPoint::from_incident_point`]
/// changes, so a cache of an older build is not read.
pub const ENCODING_FORMAT: i64 = 1;

/// Points per stored chunk (BLOB or bytea): 65,536 × 36 bytes, about 2.4 MB.
pub const CHUNK_POINTS: usize = 1 << 16;

/// Appends the encoding of every point of `points` to `out`.
pub fn encode_all(points: &[SwerefPoint], out: &mut Vec<u8>) {
    out.reserve(points.len() * ENCODED_LEN);
    for p in points {
        p.encode(out);
    }
}

/// Appends the points encoded in `bytes` that pass `filter` to `out`;
/// `None` when `bytes` is not a whole number of encodings or one of them is
/// not a point (what was appended before stays: the caller discards `out`).
pub fn decode_into(bytes: &[u8], filter: &Filter, out: &mut Vec<SwerefPoint>) -> Option<()> {
    if !bytes.len().is_multiple_of(ENCODED_LEN) {
        return None;
    }
    let keep_all = filter.is_empty();
    out.reserve(bytes.len() / ENCODED_LEN);
    for b in bytes.chunks_exact(ENCODED_LEN) {
        let p = SwerefPoint::decode(b)?;
        if keep_all || p.matches(filter) {
            out.push(p);
        }
    }
    Some(())
}

impl SwerefPoint {
    /// Projects and dates a lean incident.
    pub fn from_incident_point(p: &IncidentPoint) -> SwerefPoint {
        let s = sweref_from_wgs84(p.position);
        let xy = if s.easting.is_finite() && s.northing.is_finite() {
            [s.easting, s.northing]
        } else {
            [f64::NAN, f64::NAN]
        };
        let local = time::local(p.occurred_at);
        SwerefPoint {
            xy,
            occurred_at: p.occurred_at.timestamp(),
            local_day: local.date_naive().num_days_from_ce(),
            hour: local.hour() as u8,
            weekday: local.weekday().num_days_from_monday() as u8,
            category: p.category,
            source: p.source,
            precision_m: p.precision_m as f32,
        }
    }

    /// Can the position be used (projected to SWEREF 99 TM)?
    pub fn is_projected(&self) -> bool {
        self.xy[0].is_finite() && self.xy[1].is_finite()
    }

    /// The local date.
    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(self.local_day)
    }

    /// When it happened.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.occurred_at, 0)
    }

    /// Does the point pass `filter`? The same answer as
    /// [`Filter::matches_parts`] on the incident's time, category and source.
    pub fn matches(&self, filter: &Filter) -> bool {
        if let Some(c) = &filter.categories
            && !c.contains(&self.category)
        {
            return false;
        }
        if let Some(s) = &filter.sources
            && !s.contains(&self.source)
        {
            return false;
        }
        if filter
            .from
            .is_some_and(|d| self.local_day < d.num_days_from_ce())
            || filter
                .to
                .is_some_and(|d| self.local_day > d.num_days_from_ce())
        {
            return false;
        }
        if let Some(h) = filter.hours
            && !h.contains(self.hour)
        {
            return false;
        }
        if let Some(w) = filter.weekdays
            && !Weekday::try_from(self.weekday).is_ok_and(|d| w.contains(d))
        {
            return false;
        }
        true
    }

    /// Appends the 36-byte little-endian encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.xy[0].to_le_bytes());
        out.extend_from_slice(&self.xy[1].to_le_bytes());
        out.extend_from_slice(&self.occurred_at.to_le_bytes());
        out.extend_from_slice(&self.local_day.to_le_bytes());
        out.extend_from_slice(&self.precision_m.to_le_bytes());
        out.extend_from_slice(&[
            self.category.index() as u8,
            self.source.index() as u8,
            self.hour,
            self.weekday,
        ]);
    }

    /// Reads one encoding; `None` when it is not one.
    pub fn decode(b: &[u8]) -> Option<SwerefPoint> {
        if b.len() != ENCODED_LEN {
            return None;
        }
        let f64_at = |i: usize| f64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        Some(SwerefPoint {
            xy: [f64_at(0), f64_at(8)],
            occurred_at: i64::from_le_bytes(b[16..24].try_into().ok()?),
            local_day: i32::from_le_bytes(b[24..28].try_into().ok()?),
            precision_m: f32::from_le_bytes(b[28..32].try_into().ok()?),
            category: *Category::ALL.get(usize::from(b[32]))?,
            source: *Source::ALL.get(usize::from(b[33]))?,
            hour: b[34],
            weekday: b[35],
        })
    }
}

/// Projects and dates every lean incident, in order, on all cores (up to
/// eight threads; one for small inputs).
pub fn project_all(lean: &[IncidentPoint]) -> Vec<SwerefPoint> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = lean.len().div_ceil(threads).max(50_000);
    let parts: Vec<Vec<SwerefPoint>> = std::thread::scope(|s| {
        let handles: Vec<_> = lean
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(SwerefPoint::from_incident_point).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HourRange, LonLat, Weekdays};
    use chrono::TimeZone as _;
    use std::collections::BTreeSet;

    #[test]
    fn matching_and_encoding_agree_with_the_incident() {
        let filters = [
            Filter::default(),
            Filter {
                hours: Some(HourRange::EVENINGS_AND_NIGHTS),
                ..Filter::default()
            },
            Filter {
                from: NaiveDate::from_ymd_opt(2025, 3, 30),
                to: NaiveDate::from_ymd_opt(2025, 10, 26),
                categories: Some(BTreeSet::from([Category::Vald, Category::Narkotika])),
                ..Filter::default()
            },
            Filter {
                weekdays: Some({
                    let mut w = Weekdays::ALL;
                    w.remove(Weekday::Sat);
                    w
                }),
                sources: Some(BTreeSet::from([Source::Polis])),
                ..Filter::default()
            },
        ];
        for h in 0..(24 * 400) {
            let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
                + chrono::Duration::minutes(h * 61);
            let p = IncidentPoint {
                fid: h,
                occurred_at: at,
                category: Category::ALL[(h % 8) as usize],
                source: Source::ALL[(h % 7) as usize],
                position: LonLat::new(14.58, 56.05),
                precision_m: 25.0,
            };
            let s = SwerefPoint::from_incident_point(&p);
            for f in &filters {
                assert_eq!(
                    s.matches(f),
                    f.matches_parts(at, p.category, p.source),
                    "{at} {f:?}"
                );
            }
            let mut bytes = Vec::new();
            s.encode(&mut bytes);
            assert_eq!(bytes.len(), ENCODED_LEN);
            assert_eq!(SwerefPoint::decode(&bytes), Some(s));
            assert_eq!(
                s.time(),
                Some(at - chrono::Duration::nanoseconds(at.timestamp_subsec_nanos().into()))
            );
        }
    }
}
