//! Downloading a map area for offline use into an MBTiles 1.3 archive.
//!
//! Only for sources whose `tiles.toml` entry says `allow_area_download = true` (the catalogue
//! refuses that for OpenStreetMap's servers, whose tile usage policy forbids prefetching).
//! The download is polite: at most [`MAX_PARALLEL_DOWNLOADS`] requests at a time, the app's
//! [`USER_AGENT`], at most [`MAX_AREA_TILES`] tiles. Tiles go into a temporary file next to
//! the target in one transaction and the file is renamed into place only when everything is
//! written, so a cancel or a failure leaves nothing half-written behind.
//!
//! HTTP runs on reqwest and a current-thread tokio runtime inside the calling (task) thread;
//! both crates are already compiled for walkers with these features. No egui in here.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::mbtiles::tms_row_from_xyz;
use super::tiles::{MAX_PARALLEL_DOWNLOADS, SourceKind, TileSourceConfig, USER_AGENT};
use crate::jobs::{CancelToken, Progress};

pub mod dialog;

/// The most tiles one area download may fetch.
pub const MAX_AREA_TILES: u64 = 20_000;

/// Web Mercator's latitude limit.
const MAX_LAT_DEG: f64 = 85.051_128_779_806_59;

/// How long one tile request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A rectangle in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BboxWgs84 {
    pub west_deg: f64,
    pub south_deg: f64,
    pub east_deg: f64,
    pub north_deg: f64,
}

/// One XYZ tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XyzTile {
    pub zoom: u8,
    pub x: u32,
    pub y: u32,
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaDownloadReport {
    /// The archive written.
    pub path: PathBuf,
    /// Tiles stored in it.
    pub tiles_written: u64,
    /// Tiles that failed twice (the first try and one retry) and are missing.
    pub tiles_failed: u64,
}

/// Why an area download did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AreaDownloadError {
    #[error(
        "{name:?}: the source's terms do not allow area downloads (allow_area_download is false in tiles.toml)"
    )]
    NotAllowed { name: String },
    #[error("{name:?}: only tile servers (kind = \"xyz\") can be downloaded")]
    NotATileServer { name: String },
    #[error(
        "the area has {count} tiles at the chosen zoom levels, more than the {max} allowed; choose fewer zoom levels or a smaller area"
    )]
    TooManyTiles { count: u64, max: u64 },
    #[error("zoom levels {min}..={max} are invalid for {name:?} (deepest level {source_max})")]
    BadZooms {
        name: String,
        min: u8,
        max: u8,
        source_max: u8,
    },
    #[error("the area is empty")]
    EmptyArea,
    #[error("all {count} tiles failed to download (is the server reachable?)")]
    AllFailed { count: u64 },
    #[error("cancelled")]
    Cancelled,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
}

/// The tile column/row range `(x_min, x_max, y_min, y_max)` covering `bbox` at `zoom`.
pub fn tile_range(bbox: &BboxWgs84, zoom: u8) -> (u32, u32, u32, u32) {
    let n = 1u64 << zoom;
    let max = (n - 1) as f64;
    let x = |lon: f64| (((lon + 180.0) / 360.0 * n as f64).floor()).clamp(0.0, max) as u32;
    let y = |lat: f64| {
        let lat = lat.clamp(-MAX_LAT_DEG, MAX_LAT_DEG).to_radians();
        let t = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
        (t * n as f64).floor().clamp(0.0, max) as u32
    };
    let (x0, x1) = (x(bbox.west_deg), x(bbox.east_deg));
    let (y0, y1) = (y(bbox.north_deg), y(bbox.south_deg));
    (x0.min(x1), x0.max(x1), y0.min(y1), y0.max(y1))
}

/// The area a map view of `width` × `height` points shows around (`lon_deg`, `lat_deg`) at
/// `zoom` (Web Mercator, 256-point tiles, as walkers draws them).
pub fn view_bbox(lon_deg: f64, lat_deg: f64, zoom: f64, width: f64, height: f64) -> BboxWgs84 {
    let world = 256.0 * zoom.exp2();
    let lat = lat_deg.clamp(-MAX_LAT_DEG, MAX_LAT_DEG).to_radians();
    let cx = (lon_deg + 180.0) / 360.0 * world;
    let cy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * world;
    let lon = |x: f64| (x / world * 360.0 - 180.0).clamp(-180.0, 180.0);
    let lat = |y: f64| {
        let n = std::f64::consts::PI * (1.0 - 2.0 * y / world);
        n.sinh()
            .atan()
            .to_degrees()
            .clamp(-MAX_LAT_DEG, MAX_LAT_DEG)
    };
    BboxWgs84 {
        west_deg: lon(cx - width / 2.0),
        south_deg: lat(cy + height / 2.0),
        east_deg: lon(cx + width / 2.0),
        north_deg: lat(cy - height / 2.0),
    }
}

/// How many tiles cover `bbox` at the zoom levels `zooms`.
pub fn count_tiles(bbox: &BboxWgs84, zooms: RangeInclusive<u8>) -> u64 {
    zooms
        .map(|z| {
            let (x0, x1, y0, y1) = tile_range(bbox, z);
            u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1)
        })
        .sum()
}

fn tiles_of(bbox: &BboxWgs84, zooms: RangeInclusive<u8>) -> Vec<XyzTile> {
    let mut out = Vec::new();
    for zoom in zooms {
        let (x0, x1, y0, y1) = tile_range(bbox, zoom);
        for x in x0..=x1 {
            for y in y0..=y1 {
                out.push(XyzTile { zoom, x, y });
            }
        }
    }
    out
}

fn tile_url(url: &str, subdomains: &[String], t: XyzTile) -> String {
    let mut u = url
        .replace("{z}", &t.zoom.to_string())
        .replace("{x}", &t.x.to_string())
        .replace("{y}", &t.y.to_string());
    if !subdomains.is_empty() {
        let i = (t.x as usize + t.y as usize) % subdomains.len();
        u = u.replace("{s}", &subdomains[i]);
    }
    u
}

/// The MBTiles `format` of a tile image, from its first bytes.
fn image_format(data: &[u8]) -> &'static str {
    if data.starts_with(&[0xff, 0xd8]) {
        "jpg"
    } else if data.starts_with(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        "webp"
    } else {
        "png"
    }
}

/// Removes the temporary file unless the download finished.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Checks that `source` may be downloaded at `zooms` over `bbox` and returns the tile count.
pub fn check_area(
    source: &TileSourceConfig,
    bbox: &BboxWgs84,
    zooms: &RangeInclusive<u8>,
) -> Result<u64, AreaDownloadError> {
    if !source.allow_area_download {
        return Err(AreaDownloadError::NotAllowed {
            name: source.name.clone(),
        });
    }
    if !matches!(source.kind, SourceKind::Xyz { .. }) {
        return Err(AreaDownloadError::NotATileServer {
            name: source.name.clone(),
        });
    }
    if zooms.is_empty() || *zooms.end() > source.max_zoom {
        return Err(AreaDownloadError::BadZooms {
            name: source.name.clone(),
            min: *zooms.start(),
            max: *zooms.end(),
            source_max: source.max_zoom,
        });
    }
    if !(bbox.west_deg < bbox.east_deg && bbox.south_deg < bbox.north_deg) {
        return Err(AreaDownloadError::EmptyArea);
    }
    let count = count_tiles(bbox, zooms.clone());
    if count > MAX_AREA_TILES {
        return Err(AreaDownloadError::TooManyTiles {
            count,
            max: MAX_AREA_TILES,
        });
    }
    Ok(count)
}

/// Downloads the tiles of `source` covering `bbox` at `zooms` into the MBTiles file `out`
/// (replacing it). See the module documentation for the rules it follows.
pub fn download_area(
    source: &TileSourceConfig,
    bbox: BboxWgs84,
    zooms: RangeInclusive<u8>,
    out: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<AreaDownloadReport, AreaDownloadError> {
    let count = check_area(source, &bbox, &zooms)?;
    let SourceKind::Xyz { url, subdomains } = &source.kind else {
        return Err(AreaDownloadError::NotATileServer {
            name: source.name.clone(),
        });
    };
    let tiles = tiles_of(&bbox, zooms.clone());
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "area.mbtiles".to_owned());
    let temp = TempFile {
        path: out.with_file_name(format!(".{file_name}.part")),
        keep: false,
    };
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AreaDownloadError::Io { path, source }
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    match std::fs::remove_file(&temp.path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(&temp.path)(e)),
        _ => {}
    }
    let sql_err = |source| AreaDownloadError::Sqlite {
        path: temp.path.clone(),
        source,
    };
    let mut conn = rusqlite::Connection::open(&temp.path).map_err(sql_err)?;
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )
    .map_err(sql_err)?;
    let tx = conn.transaction().map_err(sql_err)?;

    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| AreaDownloadError::Client(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AreaDownloadError::Client(e.to_string()))?;

    progress.stage("download", count);
    let mut written = 0u64;
    let mut failed = 0u64;
    let mut format: Option<&'static str> = None;
    runtime.block_on(async {
        let fetch = |t: XyzTile| {
            let client = &client;
            let u = tile_url(url, subdomains, t);
            async move {
                for attempt in 0..2 {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    let Ok(resp) = client.get(&u).send().await else {
                        continue;
                    };
                    if !resp.status().is_success() {
                        continue;
                    }
                    if let Ok(bytes) = resp.bytes().await
                        && !bytes.is_empty()
                    {
                        return Some(bytes.to_vec());
                    }
                }
                None
            }
        };
        debug_assert_eq!(MAX_PARALLEL_DOWNLOADS, 2);
        for pair in tiles.chunks(MAX_PARALLEL_DOWNLOADS) {
            if cancel.is_cancelled() {
                return Err(AreaDownloadError::Cancelled);
            }
            let (a, b) = tokio::join!(fetch(pair[0]), async {
                match pair.get(1) {
                    Some(t) => fetch(*t).await,
                    None => None,
                }
            });
            for (t, data) in pair.iter().zip([a, b]) {
                match data {
                    Some(data) => {
                        format.get_or_insert_with(|| image_format(&data));
                        tx.execute(
                            "INSERT OR REPLACE INTO tiles VALUES (?1, ?2, ?3, ?4)",
                            rusqlite::params![t.zoom, t.x, tms_row_from_xyz(t.zoom, t.y), data],
                        )
                        .map_err(sql_err)?;
                        written += 1;
                    }
                    None => failed += 1,
                }
                progress.advance(1);
            }
        }
        Ok(())
    })?;
    if cancel.is_cancelled() {
        return Err(AreaDownloadError::Cancelled);
    }
    if written == 0 {
        return Err(AreaDownloadError::AllFailed { count });
    }
    let bounds = format!(
        "{},{},{},{}",
        bbox.west_deg,
        bbox.south_deg.max(-MAX_LAT_DEG),
        bbox.east_deg,
        bbox.north_deg.min(MAX_LAT_DEG)
    );
    let center = format!(
        "{},{},{}",
        (bbox.west_deg + bbox.east_deg) / 2.0,
        (bbox.south_deg + bbox.north_deg) / 2.0,
        zooms.start()
    );
    let metadata = [
        ("name", source.name.clone()),
        ("format", format.unwrap_or("png").to_owned()),
        ("bounds", bounds),
        ("center", center),
        ("minzoom", zooms.start().to_string()),
        ("maxzoom", zooms.end().to_string()),
        ("attribution", source.attribution.clone()),
        ("type", "baselayer".to_owned()),
        ("version", "1.3".to_owned()),
        (
            "description",
            format!("Downloaded for offline use by {USER_AGENT}"),
        ),
    ];
    for (k, v) in metadata {
        tx.execute("INSERT INTO metadata VALUES (?1, ?2)", [k, v.as_str()])
            .map_err(sql_err)?;
    }
    tx.commit().map_err(sql_err)?;
    conn.close().map_err(|(_, e)| sql_err(e))?;
    let mut temp = temp;
    std::fs::rename(&temp.path, out).map_err(io_err(out))?;
    temp.keep = true;
    Ok(AreaDownloadReport {
        path: out.to_path_buf(),
        tiles_written: written,
        tiles_failed: failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solvesborg() -> BboxWgs84 {
        BboxWgs84 {
            west_deg: 14.52,
            south_deg: 56.03,
            east_deg: 14.62,
            north_deg: 56.07,
        }
    }

    #[test]
    fn the_whole_world_at_zoom_n_has_4_to_the_n_tiles() {
        let world = BboxWgs84 {
            west_deg: -180.0,
            south_deg: -90.0,
            east_deg: 180.0,
            north_deg: 90.0,
        };
        assert_eq!(count_tiles(&world, 0..=0), 1);
        assert_eq!(count_tiles(&world, 0..=2), 1 + 4 + 16);
        assert_eq!(tile_range(&world, 3), (0, 7, 0, 7));
    }

    #[test]
    fn solvesborg_lands_on_the_known_tile() {
        // Sölvesborg (14.58 E, 56.05 N) is tile 10/553/318: x = floor(194.58 / 360 * 1024) = 553,
        // y = floor((1 - ln(tan 56.05° + sec 56.05°) / pi) / 2 * 1024) = floor(318.5) = 318.
        let (x0, x1, y0, y1) = tile_range(&solvesborg(), 10);
        assert!(x0 <= 553 && 553 <= x1, "{x0}..{x1}");
        assert!(y0 <= 318 && 318 <= y1, "{y0}..{y1}");
        assert!(count_tiles(&solvesborg(), 10..=12) < 100);
    }

    #[test]
    fn a_view_of_one_tile_at_zoom_1_is_the_north_west_quarter() {
        // Centre of tile 1/0/0 is (-90, 66.51326) and the tile is 256 points square.
        let b = view_bbox(-90.0, 66.513_260_443_111_86, 1.0, 256.0, 256.0);
        assert!(
            (b.west_deg + 180.0).abs() < 1e-9 && b.east_deg.abs() < 1e-9,
            "{b:?}"
        );
        assert!(b.south_deg.abs() < 1e-9, "{b:?}");
        assert!((b.north_deg - MAX_LAT_DEG).abs() < 1e-9, "{b:?}");
        // A slightly smaller view lies inside that one tile, and in 4 tiles at zoom 2.
        let inner = view_bbox(-90.0, 66.513_260_443_111_86, 1.0, 250.0, 250.0);
        assert_eq!(count_tiles(&inner, 1..=1), 1);
        assert_eq!(tile_range(&inner, 1), (0, 0, 0, 0));
        assert_eq!(count_tiles(&inner, 2..=2), 4);
    }

    #[test]
    fn osm_and_huge_areas_are_refused() {
        let osm = TileSourceConfig::openstreetmap();
        let err = check_area(&osm, &solvesborg(), &(10..=12)).unwrap_err();
        assert!(matches!(err, AreaDownloadError::NotAllowed { .. }), "{err}");
        let allowed = TileSourceConfig {
            allow_area_download: true,
            ..TileSourceConfig::openstreetmap()
        };
        let err = check_area(&allowed, &solvesborg(), &(10..=19)).unwrap_err();
        assert!(
            matches!(err, AreaDownloadError::TooManyTiles { count, .. } if count > MAX_AREA_TILES),
            "{err}"
        );
        assert!(err.to_string().contains("fewer zoom levels"));
    }
}
