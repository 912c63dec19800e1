//! The app's tile cache as a background for pictures: the HTTP cache that
//! walkers fills while the app shows a tile server
//! (`<cache>/lagesbild/tiles/<source>`, see
//! [`crate::gui::map::tiles::default_cache_root`]), read with the same crate
//! walkers writes it with (`http-cache`'s cacache manager; an entry is keyed
//! `GET:<tile URL>`). Nothing is downloaded: a tile the cache lacks (or
//! holds as an error answer) is drawn from a cached lower zoom level when
//! there is one, else left out so the plain background shows. Entries are
//! used whatever their age: a picture prefers an old tile to none.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use http_cache::{CACacheManager, CacheManager as _};
use walkers::sources::Attribution;
use walkers::{Tile, TileId, TilePiece, Tiles};

use crate::gui::map::mbtiles::piece_of_lower_zoom;
use crate::gui::map::tiles::xyz_tile_url;

/// How many zoom levels below the wanted one a cached tile is looked for.
const LOWER_ZOOMS: u8 = 3;

/// A tile server's cached tiles as a walkers source: see the module docs.
pub struct CachedTiles {
    dir: PathBuf,
    template: String,
    subdomains: Vec<String>,
    attribution_text: &'static str,
    attribution_url: &'static str,
    ctx: egui::Context,
    manager: CACacheManager,
    runtime: tokio::runtime::Runtime,
    /// Decoded tiles; `None` marks one the cache does not have.
    tiles: HashMap<TileId, Option<Tile>>,
    /// Tiles asked for that neither the cache nor a lower zoom could give.
    missing: std::collections::HashSet<TileId>,
    /// Tiles drawn from the cache (at their own zoom or enlarged).
    hits: std::collections::HashSet<TileId>,
}

/// Why a tile cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TileCacheError {
    #[error("{0}: no tile cache here (the app fills it while it shows that map source)")]
    NoCache(PathBuf),
    #[error("starting the cache reader: {0}")]
    Runtime(std::io::Error),
}

impl CachedTiles {
    /// The cache in `dir` of the XYZ server `template` (with `subdomains`).
    pub fn open(
        dir: &Path,
        template: &str,
        subdomains: &[String],
        attribution: &str,
        attribution_url: &str,
        ctx: &egui::Context,
    ) -> Result<CachedTiles, TileCacheError> {
        // cacache keeps its index under `index-v5`; without it nothing was cached.
        if !dir.join("index-v5").is_dir() {
            return Err(TileCacheError::NoCache(dir.to_owned()));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(TileCacheError::Runtime)?;
        Ok(CachedTiles {
            dir: dir.to_owned(),
            template: template.to_owned(),
            subdomains: subdomains.to_vec(),
            // walkers wants 'static text; a few bytes per picture.
            attribution_text: Box::leak(attribution.to_owned().into_boxed_str()),
            attribution_url: Box::leak(attribution_url.to_owned().into_boxed_str()),
            ctx: ctx.clone(),
            manager: CACacheManager {
                path: dir.to_owned(),
                remove_opts: Default::default(),
            },
            runtime,
            tiles: HashMap::new(),
            missing: Default::default(),
            hits: Default::default(),
        })
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Tiles drawn so far that the cache could not give (the plain
    /// background shows there).
    pub fn missing_tiles(&self) -> usize {
        self.missing.len()
    }

    /// Tiles drawn so far from the cache.
    pub fn cached_tiles(&self) -> usize {
        self.hits.len()
    }

    /// The image bytes the cache holds for `tile_id` (a 200 answer), if any.
    pub fn tile_data(&self, tile_id: TileId) -> Option<Vec<u8>> {
        let url = xyz_tile_url(&self.template, &self.subdomains, tile_id);
        let key = format!("GET:{url}");
        let found = self.runtime.block_on(self.manager.get(&key)).ok()??;
        let (response, _policy) = found;
        (response.status == 200 && !response.body.is_empty()).then_some(response.body)
    }

    fn decoded(&mut self, tile_id: TileId) -> Option<Tile> {
        if let Some(t) = self.tiles.get(&tile_id) {
            return t.clone();
        }
        // A unit struct unless walkers' `vector` feature is on.
        #[allow(clippy::default_constructed_unit_structs)]
        let style = walkers::Style::default();
        let tile = self
            .tile_data(tile_id)
            .and_then(|bytes| Tile::new(&bytes, &style, tile_id.zoom, 256, &self.ctx).ok());
        self.tiles.insert(tile_id, tile.clone());
        tile
    }
}

impl Tiles for CachedTiles {
    fn at(&mut self, tile_id: TileId) -> Option<TilePiece> {
        for dz in 0..=LOWER_ZOOMS.min(tile_id.zoom) {
            let (donor, uv) = piece_of_lower_zoom(tile_id, tile_id.zoom - dz);
            if let Some(tile) = self.decoded(donor) {
                self.hits.insert(tile_id);
                return Some(TilePiece::new(tile, uv));
            }
        }
        self.missing.insert(tile_id);
        None
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution_text,
            url: self.attribution_url,
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }
}
