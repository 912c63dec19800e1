//! The map and what is drawn on it (walkers plugins).

pub mod incidents;
pub mod palette;
