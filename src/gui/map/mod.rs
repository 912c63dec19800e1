//! The map: background tile sources (`tiles`) and offline MBTiles archives (`mbtiles`).

pub mod mbtiles;
pub mod tiles;
