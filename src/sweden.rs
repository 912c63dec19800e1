//! "Inside Sweden" by Sweden's outline, with a margin.
//!
//! The importers' first check is a loose box ([`LonLat::SWEDEN_REGION`]),
//! which takes in much of Norway, Denmark and the Baltic: a file read in the
//! wrong coordinate system can land there and look plausible. The outline in
//! `data/sverige.geojson` (coarse, about 1 km; see `data/README.md`) with a
//! margin of [`MARGIN_M`] tells Sweden and its coastal waters from Norway or
//! the open sea. Positions are cached on a grid of 0.01° cells, so a file of
//! a million rows in one municipality costs a few hundred outline tests.

use std::collections::HashMap;
use std::sync::OnceLock;

use geo::{Distance, Euclidean, Point};

use crate::analysis::area::StudyArea;
use crate::crs::sweref_from_wgs84;
use crate::model::LonLat;

/// How far outside the coarse outline a position still counts as Sweden:
/// the outline can be off by a kilometre or two, small islands are missing
/// (Hanö lies 4 km out), and harbours and fairways lie off the coast.
pub const MARGIN_M: f64 = 10_000.0;

/// Where the outline comes from.
pub const OUTLINE_SOURCE: &str = "data/sverige.geojson (coarse)";

fn outline() -> Option<&'static StudyArea> {
    static OUTLINE: OnceLock<Option<StudyArea>> = OnceLock::new();
    OUTLINE
        .get_or_init(|| {
            crate::analysis::inputs::area_from_geojson_text(
                include_str!("../data/sverige.geojson"),
                OUTLINE_SOURCE,
            )
            .ok()
        })
        .as_ref()
}

/// The exact test: inside the outline or within [`MARGIN_M`] of it. Outside
/// the loose box is never Sweden.
pub fn is_in_sweden(p: LonLat) -> bool {
    if !p.is_in_sweden_region() {
        return false;
    }
    // Without the outline (a broken build), fall back to the box.
    let Some(area) = outline() else {
        return true;
    };
    let xy = sweref_from_wgs84(p);
    if !xy.easting.is_finite() {
        return false;
    }
    if area.contains([xy.easting, xy.northing]) {
        return true;
    }
    Euclidean.distance(&Point::new(xy.easting, xy.northing), &area.polygons) <= MARGIN_M
}

/// [`is_in_sweden`] with a cache of 0.01° cells (about 1 km, well inside the
/// margin), for importers testing many positions.
#[derive(Debug, Default)]
pub struct SwedenTest {
    cells: HashMap<(i32, i32), bool>,
}

impl SwedenTest {
    pub fn new() -> SwedenTest {
        SwedenTest::default()
    }

    pub fn contains(&mut self, p: LonLat) -> bool {
        if !p.is_in_sweden_region() {
            return false;
        }
        let key = (
            (p.lon * 100.0).round() as i32,
            (p.lat * 100.0).round() as i32,
        );
        *self.cells.entry(key).or_insert_with(|| {
            is_in_sweden(LonLat::new(
                f64::from(key.0) / 100.0,
                f64::from(key.1) / 100.0,
            ))
        })
    }
}

/// Counts positions tested against the outline, for the importers' file-level
/// refusal: a file most of whose positions fall outside Sweden was most
/// likely read in the wrong coordinate system (or has its axes swapped), and
/// importing the few rows that happen to land in Sweden would hide that.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutsideTally {
    /// Positions tested.
    pub tested: u64,
    /// Of those, outside Sweden (outline plus margin).
    pub outside: u64,
}

impl OutsideTally {
    pub fn add(&mut self, inside: bool) {
        self.tested += 1;
        if !inside {
            self.outside += 1;
        }
    }

    /// More than half of the tested positions fall outside.
    pub fn mostly_outside(&self) -> bool {
        self.tested > 0 && self.outside * 2 > self.tested
    }

    /// The file-level message: `what` names the rows ("features", "events",
    /// "sample rows"), `read_as` how they were read ("EPSG:3006", "WGS84
    /// longitude, latitude").
    pub fn refusal(&self, what: &str, read_as: &str) -> String {
        format!(
            "{} of {} {what} fall outside Sweden when read as {read_as} (by Sweden's outline, {} km margin): the coordinate system or the axis order is most likely wrong; nothing was imported",
            self.outside,
            self.tested,
            MARGIN_M / 1000.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweden_norway_and_the_sea() {
        // Sölvesborg, Kiruna, Visby, Hanö (an island missing from the outline).
        for (lon, lat) in [
            (14.585, 56.05),
            (20.22, 67.86),
            (18.29, 57.64),
            (14.84, 56.01),
        ] {
            assert!(is_in_sweden(LonLat::new(lon, lat)), "{lon} {lat}");
        }
        // Oslo, Trondheim, Copenhagen, Bornholm, the Baltic off Gotland,
        // Tallinn: inside the loose box but not Sweden.
        for (lon, lat) in [
            (10.75, 59.91),
            (10.40, 63.43),
            (12.57, 55.68),
            (14.92, 55.13),
            (20.3, 57.0),
            (24.75, 59.44),
        ] {
            let p = LonLat::new(lon, lat);
            assert!(p.is_in_sweden_region(), "{lon} {lat}: in the box");
            assert!(!is_in_sweden(p), "{lon} {lat}");
        }
        assert!(!is_in_sweden(LonLat::new(f64::NAN, 56.0)));
        let mut cached = SwedenTest::new();
        assert!(cached.contains(LonLat::new(14.585, 56.05)));
        assert!(!cached.contains(LonLat::new(10.75, 59.91)));
        assert!(cached.contains(LonLat::new(14.586, 56.051)));
    }

    #[test]
    fn tally_refuses_only_a_majority_outside() {
        let mut t = OutsideTally::default();
        assert!(!t.mostly_outside(), "nothing tested");
        t.add(true);
        t.add(false);
        assert!(!t.mostly_outside(), "half is not most");
        t.add(false);
        assert!(t.mostly_outside());
        let msg = t.refusal("features", "EPSG:3006");
        assert!(
            msg.starts_with("2 of 3 features fall outside Sweden when read as EPSG:3006"),
            "{msg}"
        );
    }
}
