//! Guessing the coordinate system and axis order of a file's coordinate
//! columns from their header names and value ranges.
//!
//! Swedish geodetic convention names northing `X` and easting `Y`; GIS
//! convention the opposite. Northings in Sweden are millions of metres
//! (6.1–7.7 million), eastings are not, so the values settle the order.

use super::{Crs, CrsError};

/// What [`detect_projected`] concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    pub crs: Crs,
    /// True when the first column holds northings (Swedish `X`), false when it
    /// holds eastings.
    pub first_is_northing: bool,
    /// One sentence for the user saying what was assumed and why.
    pub note: String,
}

/// Detects the system and axis order of a pair of projected coordinate
/// columns, named `first_name` and `second_name`, from sample value pairs.
/// `forced`, when given (`--crs`), fixes the system and only the axis order is
/// detected. Errors when the values fit no supported system or are ambiguous
/// (e.g. a local SWEREF 99 zone without `--crs`), saying what to pass.
pub fn detect_projected(
    first_name: &str,
    second_name: &str,
    samples: &[(f64, f64)],
    forced: Option<Crs>,
) -> Result<Detected, CrsError> {
    todo!("{first_name} {second_name} {samples:?} {forced:?}")
}
