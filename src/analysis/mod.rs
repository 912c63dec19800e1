//! Analysis over filtered incidents. No egui here.

/// R-tree over incidents in SWEREF 99 TM metres.
pub mod index;
/// Counts by category, source, hour of day and weekday.
pub mod stats;

pub use index::{DensityLevel, DensityPyramid, IncidentIndex};
pub use stats::Stats;
