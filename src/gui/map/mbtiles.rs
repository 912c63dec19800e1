//! Offline raster tiles from an MBTiles archive, as a walkers [`Tiles`] source.
//!
//! walkers has no MBTiles source, so this reads the archive with rusqlite (opened
//! read-only). MBTiles stores rows in the TMS scheme, counted from the south, so the
//! XYZ row `y` of walkers is `tile_row = 2^z - 1 - y`. A tile is read and decoded on
//! the UI thread when it is first drawn (one SQLite read is well under a millisecond;
//! decoding a 256 px PNG about one), at most [`MAX_DECODES_PER_PASS`] per frame so a
//! full screen of new tiles never stalls a frame, and kept in a small LRU of textures.
//! Where the archive has no tile, the nearest lower zoom level that has one is shown
//! enlarged; views deeper than the archive's `maxzoom` enlarge its deepest tiles.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _};
use walkers::sources::Attribution;
use walkers::{Tile, TileId, TilePiece, Tiles};

/// Decoded textures kept at most (256×256 RGBA each, 256 KiB).
const CACHE_CAPACITY: usize = 192;

/// Tiles read and decoded at most per egui pass; the rest follow in the next frames.
pub const MAX_DECODES_PER_PASS: usize = 8;

/// Why an MBTiles archive could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MbTilesError {
    #[error("{path}: cannot open as SQLite: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: not an MBTiles archive: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "{path}: tile format {format:?} is not supported (only raster png and jpg archives are)"
    )]
    UnsupportedFormat { path: PathBuf, format: String },
    #[error("{path}: reading tile {zoom}/{x}/{y}: {source}")]
    Read {
        path: PathBuf,
        zoom: u8,
        x: u32,
        y: u32,
        source: rusqlite::Error,
    },
}

/// What the archive's `metadata` table says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MbTilesMetadata {
    pub name: Option<String>,
    /// Attribution as plain text (HTML tags of the archive's value removed).
    pub attribution: Option<String>,
    /// First link found in the archive's attribution, if any.
    pub attribution_url: Option<String>,
    /// `png` or `jpg`.
    pub format: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
}

/// A read-only MBTiles archive serving raster tiles to a walkers `Map`.
pub struct MbTiles {
    path: PathBuf,
    conn: Connection,
    ctx: egui::Context,
    metadata: MbTilesMetadata,
    attribution_text: &'static str,
    attribution_url: &'static str,
    /// Decoded tiles; `None` marks a tile the archive does not have (or could not decode).
    cache: HashMap<TileId, (Option<Tile>, u64)>,
    clock: u64,
    pass_nr: u64,
    decoded_this_pass: usize,
    /// Tiles that could not be read or decoded (corrupt data); drawn as absent.
    unreadable_tiles: usize,
}

impl MbTiles {
    /// Opens `path` read-only and reads its metadata.
    pub fn open(path: &Path, ctx: &egui::Context) -> Result<Self, MbTilesError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| MbTilesError::Open {
            path: path.to_owned(),
            source,
        })?;
        let metadata = read_metadata(&conn, path)?;
        let attribution_text = leak(metadata.attribution.clone().unwrap_or_default());
        let attribution_url = leak(metadata.attribution_url.clone().unwrap_or_default());
        Ok(Self {
            path: path.to_owned(),
            conn,
            ctx: ctx.clone(),
            metadata,
            attribution_text,
            attribution_url,
            cache: HashMap::new(),
            clock: 0,
            pass_nr: u64::MAX,
            decoded_this_pass: 0,
            unreadable_tiles: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn metadata(&self) -> &MbTilesMetadata {
        &self.metadata
    }

    /// Tiles that could not be read or whose image data could not be decoded.
    pub fn unreadable_tiles(&self) -> usize {
        self.unreadable_tiles
    }

    /// The stored image bytes of the XYZ tile `tile_id` (walkers' numbering), if present.
    pub fn tile_data(&self, tile_id: TileId) -> Result<Option<Vec<u8>>, MbTilesError> {
        if !is_valid(tile_id) {
            return Ok(None);
        }
        let tile_row = tms_row_from_xyz(tile_id.zoom, tile_id.y);
        self.conn
            .prepare_cached(
                "SELECT tile_data FROM tiles \
                 WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    (i64::from(tile_id.zoom), i64::from(tile_id.x), tile_row),
                    |row| row.get::<_, Vec<u8>>(0),
                )
                .optional()
            })
            .map_err(|source| MbTilesError::Read {
                path: self.path.clone(),
                zoom: tile_id.zoom,
                x: tile_id.x,
                y: tile_id.y,
                source,
            })
    }

    /// The decoded tile, from the LRU or (within this pass's budget) from the archive.
    /// `Err(())` means "not known yet": the budget is spent for this pass.
    fn cached_or_load(&mut self, tile_id: TileId) -> Result<Option<Tile>, ()> {
        self.clock += 1;
        if let Some((tile, used)) = self.cache.get_mut(&tile_id) {
            *used = self.clock;
            return Ok(tile.clone());
        }
        let pass_nr = self.ctx.cumulative_pass_nr();
        if pass_nr != self.pass_nr {
            self.pass_nr = pass_nr;
            self.decoded_this_pass = 0;
        }
        if self.decoded_this_pass >= MAX_DECODES_PER_PASS {
            self.ctx.request_repaint();
            return Err(());
        }
        self.decoded_this_pass += 1;
        let tile = match self.tile_data(tile_id) {
            Ok(Some(bytes)) => {
                // A unit struct unless walkers' `vector` feature is on.
                #[allow(clippy::default_constructed_unit_structs)]
                let style = walkers::Style::default();
                let tile = Tile::new(&bytes, &style, tile_id.zoom, 256, &self.ctx).ok();
                if tile.is_none() {
                    self.unreadable_tiles += 1;
                }
                tile
            }
            Ok(None) => None,
            Err(_) => {
                self.unreadable_tiles += 1;
                None
            }
        };
        if self.cache.len() >= CACHE_CAPACITY
            && let Some(oldest) = self
                .cache
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
        {
            self.cache.remove(&oldest);
        }
        self.cache.insert(tile_id, (tile.clone(), self.clock));
        Ok(tile)
    }
}

impl Tiles for MbTiles {
    fn at(&mut self, tile_id: TileId) -> Option<TilePiece> {
        if !is_valid(tile_id) {
            return None;
        }
        let wanted_zoom = tile_id.zoom.min(self.metadata.max_zoom);
        let mut zoom = wanted_zoom;
        loop {
            if zoom < self.metadata.min_zoom {
                return None;
            }
            let (donor, uv) = piece_of_lower_zoom(tile_id, zoom);
            if let Ok(Some(tile)) = self.cached_or_load(donor) {
                return Some(TilePiece::new(tile, uv));
            }
            zoom = zoom.checked_sub(1)?;
        }
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

/// The TMS `tile_row` of XYZ row `y` at `zoom`.
pub fn tms_row_from_xyz(zoom: u8, y: u32) -> i64 {
    (1i64 << zoom) - 1 - i64::from(y)
}

fn is_valid(tile_id: TileId) -> bool {
    tile_id.zoom <= 30 && {
        let n = 1u64 << tile_id.zoom;
        u64::from(tile_id.x) < n && u64::from(tile_id.y) < n
    }
}

/// The tile at `zoom` (≤ `tile_id.zoom`) covering `tile_id`, and the part of it that does.
pub(crate) fn piece_of_lower_zoom(tile_id: TileId, zoom: u8) -> (TileId, egui::Rect) {
    let dzoom = tile_id.zoom.saturating_sub(zoom);
    let n = 1u32 << dzoom;
    let donor = TileId {
        x: tile_id.x >> dzoom,
        y: tile_id.y >> dzoom,
        zoom: tile_id.zoom - dzoom,
    };
    let step = 1.0 / n as f32;
    let (dx, dy) = ((tile_id.x % n) as f32, (tile_id.y % n) as f32);
    let uv = egui::Rect::from_min_max(
        egui::pos2(dx * step, dy * step),
        egui::pos2((dx + 1.0) * step, (dy + 1.0) * step),
    );
    (donor, uv)
}

fn read_metadata(conn: &Connection, path: &Path) -> Result<MbTilesMetadata, MbTilesError> {
    let invalid = |reason: String| MbTilesError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let mut values: HashMap<String, String> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT name, value FROM metadata")
        .map_err(|e| invalid(format!("no readable metadata table ({e})")))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })
        .map_err(|e| invalid(format!("metadata table: {e}")))?;
    for row in rows {
        let (name, value) = row.map_err(|e| invalid(format!("metadata table: {e}")))?;
        if let Some(value) = value {
            values.insert(name, value);
        }
    }
    // The tiles table (or view) must exist with the standard columns.
    conn.prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1")
        .map_err(|e| invalid(format!("no readable tiles table ({e})")))?;

    let format = values
        .get("format")
        .map(|f| f.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "png".to_owned());
    let format = match format.as_str() {
        "png" => "png".to_owned(),
        "jpg" | "jpeg" => "jpg".to_owned(),
        _ => {
            return Err(MbTilesError::UnsupportedFormat {
                path: path.to_owned(),
                format,
            });
        }
    };

    let zoom_value = |key: &str| -> Result<Option<u8>, MbTilesError> {
        match values.get(key) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<u8>() {
                Ok(z) if z <= 30 => Ok(Some(z)),
                _ => Err(invalid(format!(
                    "metadata {key} = {v:?} is not a zoom level 0–30"
                ))),
            },
        }
    };
    let (min_meta, max_meta) = (zoom_value("minzoom")?, zoom_value("maxzoom")?);
    let (min_zoom, max_zoom) = match (min_meta, max_meta) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            let (lo, hi): (Option<i64>, Option<i64>) = conn
                .query_row(
                    "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| invalid(format!("tiles table: {e}")))?;
            let clamp = |z: Option<i64>, default: u8| {
                z.and_then(|z| u8::try_from(z).ok())
                    .map_or(default, |z| z.min(30))
            };
            (
                min_meta.unwrap_or(clamp(lo, 0)),
                max_meta.unwrap_or(clamp(hi, 0)),
            )
        }
    };
    if min_zoom > max_zoom {
        return Err(invalid(format!(
            "minzoom {min_zoom} is greater than maxzoom {max_zoom}"
        )));
    }
    let raw_attribution = values.get("attribution").cloned();
    let attribution = raw_attribution
        .as_deref()
        .map(strip_html)
        .filter(|a| !a.is_empty());
    let attribution_url = raw_attribution.as_deref().and_then(first_href);
    Ok(MbTilesMetadata {
        name: values.get("name").cloned(),
        attribution,
        attribution_url,
        format,
        min_zoom,
        max_zoom,
    })
}

/// `text` without HTML tags, entities `&amp;` `&copy;` decoded, whitespace collapsed.
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    let out = out.replace("&copy;", "©").replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `href="…"` of an HTML attribution.
fn first_href(text: &str) -> Option<String> {
    let start = text.find("href=\"")? + "href=\"".len();
    let len = text[start..].find('"')?;
    let url = &text[start..start + len];
    (url.starts_with("http://") || url.starts_with("https://")).then(|| url.to_owned())
}

/// walkers' `Attribution` wants `&'static str`; sources are built once per app run.
pub(crate) fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tms_rows_count_from_the_south() {
        assert_eq!(tms_row_from_xyz(0, 0), 0);
        assert_eq!(tms_row_from_xyz(1, 0), 1);
        assert_eq!(tms_row_from_xyz(1, 1), 0);
        assert_eq!(tms_row_from_xyz(10, 300), 1023 - 300);
    }

    #[test]
    fn lower_zoom_piece_covers_the_right_quarter() {
        let id = TileId {
            x: 3,
            y: 2,
            zoom: 2,
        };
        let (donor, uv) = piece_of_lower_zoom(id, 1);
        assert_eq!(
            donor,
            TileId {
                x: 1,
                y: 1,
                zoom: 1
            }
        );
        assert_eq!(uv.min, egui::pos2(0.5, 0.0));
        assert_eq!(uv.max, egui::pos2(1.0, 0.5));
        let (same, full) = piece_of_lower_zoom(id, 2);
        assert_eq!(same, id);
        assert_eq!(
            full,
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
        );
    }

    #[test]
    fn html_attribution_becomes_text_and_link() {
        let html = r#"<a href="https://www.openmaptiles.org/">&copy; OpenMapTiles</a> <a href="https://www.openstreetmap.org/copyright">&copy; OpenStreetMap contributors</a>"#;
        assert_eq!(
            strip_html(html),
            "© OpenMapTiles © OpenStreetMap contributors"
        );
        assert_eq!(
            first_href(html).as_deref(),
            Some("https://www.openmaptiles.org/")
        );
        assert_eq!(strip_html("© Kommunen"), "© Kommunen");
        assert_eq!(first_href("© Kommunen"), None);
    }
}
