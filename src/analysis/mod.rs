//! Analysis over filtered incidents. No egui here.

/// A regular grid of values in SWEREF 99 TM metres.
pub mod grid;
/// R-tree over incidents in SWEREF 99 TM metres.
pub mod index;
/// Counts by category, source, hour of day and weekday.
pub mod stats;

pub use grid::Grid;
pub use index::IncidentIndex;
pub use stats::Stats;
