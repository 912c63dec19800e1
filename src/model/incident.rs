//! The incident record.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};

use super::{Category, Source};

/// A WGS84 position, longitude first (as GeoJSON and walkers have it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

impl LonLat {
    pub fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    /// Sweden with a margin of about 50 km (its territorial sea and a little
    /// more). Positions outside are rejected by importers as "far outside Sweden".
    pub const SWEDEN_REGION: (LonLat, LonLat) = (
        LonLat {
            lon: 10.0,
            lat: 54.8,
        },
        LonLat {
            lon: 24.9,
            lat: 69.5,
        },
    );

    pub fn is_finite(&self) -> bool {
        self.lon.is_finite() && self.lat.is_finite()
    }

    /// True inside [`LonLat::SWEDEN_REGION`].
    pub fn is_in_sweden_region(&self) -> bool {
        let (min, max) = Self::SWEDEN_REGION;
        self.is_finite()
            && (min.lon..=max.lon).contains(&self.lon)
            && (min.lat..=max.lat).contains(&self.lat)
    }
}

/// Well-known position precisions, in metres (radius of uncertainty).
pub struct Precision;

impl Precision {
    /// A street address or GPS fix.
    pub const EXACT_M: f64 = 10.0;
    /// The centre of a town or village (e.g. a police event "Sölvesborg").
    pub const TOWN_M: f64 = 2_000.0;
    /// Somewhere in the municipality.
    pub const MUNICIPALITY_M: f64 = 15_000.0;
    /// Somewhere in the county.
    pub const COUNTY_M: f64 = 50_000.0;
    /// Incidents less precise than this are "coarse": drawn as areas, never as
    /// exact points, and left out of the point analyses by default.
    pub const COARSE_ABOVE_M: f64 = 500.0;
}

/// One incident, as stored in a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Storage row id (`fid`); `None` until stored. Stable within a project.
    pub fid: Option<i64>,
    /// Globally unique, stable id (UUID v4 text), kept across exports and stores.
    pub uid: String,
    /// When it happened (UTC; see [`super::time`] for local time).
    pub occurred_at: DateTime<Utc>,
    pub category: Category,
    /// The original category text when it differed from the category's key,
    /// e.g. "Rattfylleri" stored as [`Category::Ovrigt`].
    pub category_text: Option<String>,
    pub source: Source,
    /// The original source text when it did not name a known source.
    pub source_text: Option<String>,
    pub position: LonLat,
    /// Radius of uncertainty of `position`, in metres.
    pub precision_m: f64,
    /// Place name, e.g. "Stortorget".
    pub place: Option<String>,
    /// Free-text description. Sensitive: never logged, never exported unless
    /// the user asks.
    pub description: Option<String>,
    /// File name (not path) the incident was imported from.
    pub import_file: Option<String>,
    /// The incident's id in that file or system (e.g. ärendenummer).
    pub external_id: Option<String>,
}

impl Incident {
    /// A new incident with a fresh uid and no storage id.
    pub fn new(
        occurred_at: DateTime<Utc>,
        category: Category,
        source: Source,
        position: LonLat,
        precision_m: f64,
    ) -> Self {
        Self {
            fid: None,
            uid: new_uid(),
            occurred_at,
            category,
            category_text: None,
            source,
            source_text: None,
            position,
            precision_m,
            place: None,
            description: None,
            import_file: None,
            external_id: None,
        }
    }

    /// Less precise than [`Precision::COARSE_ABOVE_M`].
    pub fn is_coarse(&self) -> bool {
        self.precision_m > Precision::COARSE_ABOVE_M
    }
}

/// The lean, `Copy` form of an incident that analysis and the map need
/// (no strings), so a million of them fit in about 50 MB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IncidentPoint {
    /// The incident's storage id.
    pub fid: i64,
    pub occurred_at: DateTime<Utc>,
    pub category: Category,
    pub source: Source,
    pub position: LonLat,
    pub precision_m: f64,
}

/// Makes incident uids: UUID version 7 (RFC 9562), so ids sort by creation
/// time and a big import appends to the project's uid index instead of
/// scattering over it (about 0.7 s less per million rows than random v4 ids).
///
/// Layout after the 48-bit millisecond timestamp taken when the generator is
/// made: bytes 6–8 are random per generator, bytes 9–12 a 32-bit counter, and
/// bytes 13–15 random per id, so ids from one generator strictly increase and
/// two generators started in the same millisecond still differ. The random
/// bytes come from a ChaCha stream seeded once from the operating system
/// (asking the OS for every id costs about 0.4 s per million).
pub struct UidGenerator {
    rng: ChaCha12Rng,
    millis: u64,
    prefix: [u8; 3],
    counter: u32,
}

impl UidGenerator {
    pub fn new() -> UidGenerator {
        let mut seed = [0u8; 32];
        seed[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        seed[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let mut rng = ChaCha12Rng::from_seed(seed);
        let prefix = rng.random();
        UidGenerator {
            rng,
            millis: Self::now_millis(),
            prefix,
            counter: 0,
        }
    }

    fn now_millis() -> u64 {
        u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
    }

    /// The next uid, lower-case hyphenated text.
    pub fn next_uid(&mut self) -> String {
        if self.counter == u32::MAX {
            // Four billion ids from one generator: move on to a later time.
            self.millis = Self::now_millis().max(self.millis + 1);
            self.counter = 0;
        }
        self.counter += 1;
        let mut tail = [0u8; 10];
        tail[..3].copy_from_slice(&self.prefix);
        tail[3..7].copy_from_slice(&self.counter.to_be_bytes());
        let random: [u8; 3] = self.rng.random();
        tail[7..].copy_from_slice(&random);
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        uuid::Builder::from_unix_timestamp_millis(self.millis, &tail)
            .into_uuid()
            .hyphenated()
            .encode_lower(&mut buf)
            .to_owned()
    }
}

impl Default for UidGenerator {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    static UIDS: RefCell<UidGenerator> = RefCell::new(UidGenerator::new());
}

/// A new incident uid from this thread's [`UidGenerator`].
pub fn new_uid() -> String {
    UIDS.with(|g| g.borrow_mut().next_uid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_version_7_increasing_and_distinct() {
        let mut g = UidGenerator::new();
        let ids: Vec<String> = (0..1000).map(|_| g.next_uid()).collect();
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 7);
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
            assert_eq!(*id, parsed.hyphenated().to_string());
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
        let other = UidGenerator::new().next_uid();
        assert!(!ids.contains(&other));
        assert_ne!(new_uid(), new_uid());
    }

    #[test]
    fn counter_overflow_moves_time_on() {
        let mut g = UidGenerator::new();
        let before = g.next_uid();
        g.counter = u32::MAX;
        let after = g.next_uid();
        assert!(after > before);
    }
}
