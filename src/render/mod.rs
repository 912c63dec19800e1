//! Pictures of the map without a window: the app's own map layers drawn
//! through a headless egui pass and a CPU rasteriser into a PNG. Used by
//! `lagesbild render`, the app's Arkiv → Exportera bild and the PDF report.

pub mod map;
pub mod raster;
pub mod text;
pub mod tile_cache;

pub use map::{
    Basemap, PictureSpec, RenderError, Scene, draw, png_bytes, render_to_png, write_png,
};
pub use raster::{Canvas, TextureStore};
