//! The incident record.

use chrono::{DateTime, Utc};
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
            uid: uuid::Uuid::new_v4().to_string(),
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
