//! Analysis over filtered incidents. No egui here.

/// Counts by category, source, hour of day and weekday.
pub mod stats;

pub use stats::Stats;
