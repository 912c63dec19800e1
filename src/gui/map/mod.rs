//! The map: background tile sources (`tiles`), offline MBTiles archives
//! (`mbtiles`), and what is drawn on it as walkers plugins (`incidents`,
//! with the category colours in `palette`).

pub mod analysis_layers;
pub mod area_download;
/// The study area's outline and the tool to draw one.
pub mod draw_area;
pub mod incidents;
pub mod mbtiles;
pub mod overlays;
pub mod palette;
/// The plain background drawn without tiles (also by the window-less render).
pub mod plain;
pub mod stack;
/// The tile servers' disk cache: size limit, least recently used out first.
pub mod tile_cache;
pub mod tiles;
