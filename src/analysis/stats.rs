//! Counts by category, source, hour and weekday.
pub struct Stats;
