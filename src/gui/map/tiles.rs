//! Background map sources: the `maps/tiles.toml` catalogue, the [`TileManager`] that
//! builds each source on first use and serves the active one to `walkers::Map`, the
//! offline status, and the attribution box and source chooser.
//!
//! HTTP sources follow OpenStreetMap's tile usage policy for every server: a
//! User-Agent naming the app and its version ([`USER_AGENT`]), at most 2 parallel
//! downloads, and an on-disk HTTP cache per source under the user's cache directory
//! (`<cache>/lagesbild/tiles/<source>`) that honours the servers' expiry headers and
//! falls back to stale copies when the server cannot be reached. The caches are
//! bounded together ([`super::tile_cache`]: `cache_max_mb` in `tiles.toml`, default
//! 500 MB, least recently used out first, damaged files dropped and fetched again),
//! and a full disk is a note on the map ([`TileStatus::CacheTrouble`]).
//!
//! walkers keeps a tile that failed to download as failed and reports only downloads
//! in flight, so the manager watches which visible tiles stay missing: when some have
//! been missing for [`OfflinePolicy::grace`] with nothing downloading, the status is
//! [`TileStatus::Offline`], and the active source's `HttpTiles` is rebuilt at most every
//! [`OfflinePolicy::retry_every`] (the disk cache survives) so tiles load again when the
//! network returns, without a restart. Failed downloads are not logged by us.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use walkers::sources::{Attribution, TileSource};
use walkers::{HttpOptions, HttpTiles, MaxParallelDownloads, TileId, TilePiece, Tiles};

use super::mbtiles::{MbTiles, leak};
use crate::gui::i18n::{Key, Language, tr};
pub use crate::maps::{SourceKind, TileSourceConfig, TilesConfigError, parse_tiles_toml};

/// The User-Agent sent to every tile server (OSM's policy: name the app and version).
pub const USER_AGENT: &str = concat!(
    "Lagesbild/",
    env!("CARGO_PKG_VERSION"),
    " (desktop GIS of the safety unit of Solvesborgs kommun; +https://www.solvesborg.se)"
);

/// Parallel downloads per source (OSM's policy allows at most 2).
pub const MAX_PARALLEL_DOWNLOADS: usize = 2;

/// The default catalogue, compiled in so the app always has OpenStreetMap.
pub const DEFAULT_TILES_TOML: &str = include_str!("../../../maps/tiles.toml");

/// The user's own maps folder (`<data dir>/lagesbild/maps`), where area downloads go.
pub fn user_maps_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("lagesbild").join("maps"))
}

/// The file name looked for in the maps folders.
pub const TILES_TOML: &str = "tiles.toml";

/// The sources the app offers, and what went wrong reading them.
#[derive(Debug)]
pub struct TileCatalog {
    /// Never empty; the first one is the default.
    pub sources: Vec<TileSourceConfig>,
    /// The file the sources came from, `None` for the built-in catalogue.
    pub path: Option<PathBuf>,
    /// Set when the file was broken and the built-in OpenStreetMap entry is used instead.
    pub error: Option<TilesConfigError>,
}

impl TileCatalog {
    /// Finds `tiles.toml` (see [`find_tiles_toml`]) and reads it; never fails: a broken
    /// file gives the built-in OpenStreetMap entry plus the error, a missing one the
    /// built-in catalogue.
    /// Archives (`*.mbtiles`) lying in the folder of `tiles.toml` or in [`user_maps_dir`]
    /// (where area downloads go) are added too, see [`TileCatalog::with_archives_in`].
    pub fn discover() -> Self {
        let found = find_tiles_toml();
        let mut catalog = match &found {
            Some(path) => Self::load_or_fallback(path),
            None => Self::builtin(),
        };
        let toml_dir = found
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        for dir in toml_dir.into_iter().chain(user_maps_dir()) {
            catalog = catalog.with_archives_in(&dir);
        }
        catalog
    }

    /// Adds every `*.mbtiles` file in `dir` that no source lists yet, named
    /// "Offline: <file stem>", with attribution and zoom levels from the archive's own
    /// metadata. Hidden files (an unfinished download's `.part`) are skipped.
    pub fn with_archives_in(mut self, dir: &Path) -> Self {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return self;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("mbtiles"))
                    && p.file_name()
                        .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
                    && p.is_file()
            })
            .collect();
        found.sort();
        for path in found {
            let listed = self.sources.iter().any(|s| {
                matches!(&s.kind, SourceKind::MbTiles { path: p }
                    if p == &path || p.canonicalize().ok() == path.canonicalize().ok())
            });
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = format!("Offline: {stem}");
            if listed || self.sources.iter().any(|s| s.name == name) {
                continue;
            }
            self.sources.push(TileSourceConfig {
                name,
                kind: SourceKind::MbTiles { path },
                attribution: String::new(),
                attribution_url: String::new(),
                max_zoom: 19,
                allow_area_download: false,
            });
        }
        self
    }

    /// Reads `path`; on error, the built-in OpenStreetMap entry plus the error.
    pub fn load_or_fallback(path: &Path) -> Self {
        match Self::load(path) {
            Ok(sources) => Self {
                sources,
                path: Some(path.to_owned()),
                error: None,
            },
            Err(error) => Self {
                sources: vec![TileSourceConfig::openstreetmap()],
                path: Some(path.to_owned()),
                error: Some(error),
            },
        }
    }

    /// The compiled-in copy of `maps/tiles.toml`.
    pub fn builtin() -> Self {
        let sources = parse_tiles_toml(
            DEFAULT_TILES_TOML,
            Path::new("<built-in tiles.toml>"),
            Path::new("maps"),
        )
        .unwrap_or_else(|_| vec![TileSourceConfig::openstreetmap()]);
        Self {
            sources,
            path: None,
            error: None,
        }
    }

    /// Reads and checks `path`; relative MBTiles paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Vec<TileSourceConfig>, TilesConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| TilesConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let maps_dir = path.parent().unwrap_or(Path::new("."));
        parse_tiles_toml(&text, path, maps_dir)
    }
}

/// The `tiles.toml` to use: `$LAGESBILD_MAPS_DIR`, `./maps`, the source tree's
/// `maps/` (at compile time), `<config dir>/lagesbild/maps`, then the
/// installed copy beside the program (`<exe>/../share/lagesbild/maps`, e.g.
/// `/usr/share/lagesbild/maps` from the Debian package); `None` if none exists.
pub fn find_tiles_toml() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("LAGESBILD_MAPS_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    dirs.push(PathBuf::from("maps"));
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("maps"));
    if let Some(config) = dirs::config_dir() {
        dirs.push(config.join("lagesbild").join("maps"));
    }
    if let Some(installed) = installed_maps_dir() {
        dirs.push(installed);
    }
    dirs.into_iter()
        .map(|d| d.join(TILES_TOML))
        .find(|p| p.is_file())
}

/// `<exe>/../share/lagesbild/maps`: where a package puts the maps list
/// (`/usr/share/lagesbild/maps` for `/usr/bin/lagesbild`).
pub fn installed_maps_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let prefix = exe.parent()?.parent()?;
    Some(prefix.join("share").join("lagesbild").join("maps"))
}

/// Only the top-level settings of a `tiles.toml`.
#[derive(Deserialize, Default)]
struct RawSettings {
    cache_max_mb: Option<u64>,
}

/// The tile cache limit in bytes that `catalog`'s `tiles.toml` sets
/// (`cache_max_mb`), else [`super::tile_cache::DEFAULT_CACHE_MAX_MB`].
pub fn cache_limit_bytes(catalog: &TileCatalog) -> u64 {
    let text = match &catalog.path {
        Some(path) if catalog.error.is_none() => std::fs::read_to_string(path).ok(),
        Some(_) => None,
        None => Some(DEFAULT_TILES_TOML.to_owned()),
    };
    let settings: RawSettings = text
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default();
    super::tile_cache::limit_bytes(settings.cache_max_mb)
}

/// The folder under which each HTTP source gets its own cache:
/// `<user cache dir>/lagesbild/tiles`.
pub fn default_cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("lagesbild").join("tiles"))
}

/// A folder name for `name`: lowercase ASCII letters and digits, others as `-`.
pub fn cache_dir_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            'å' | 'ä' | 'Å' | 'Ä' => 'a',
            'ö' | 'Ö' => 'o',
            _ => '-',
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "source".to_owned()
    } else {
        s.to_owned()
    }
}

/// A configured XYZ server as a walkers `TileSource`.
#[derive(Clone)]
struct XyzSource {
    url: Arc<str>,
    subdomains: Arc<[String]>,
    attribution_text: &'static str,
    attribution_url: &'static str,
    max_zoom: u8,
}

/// The URL of `tile_id` from an XYZ template (`{z}`, `{x}`, `{y}`, `{s}`),
/// as the app requests it (and as the HTTP cache keys it).
pub fn xyz_tile_url(template: &str, subdomains: &[String], tile_id: TileId) -> String {
    let mut url = template
        .replace("{z}", &tile_id.zoom.to_string())
        .replace("{x}", &tile_id.x.to_string())
        .replace("{y}", &tile_id.y.to_string());
    if !subdomains.is_empty() {
        let i = (tile_id.x as usize + tile_id.y as usize) % subdomains.len();
        url = url.replace("{s}", &subdomains[i]);
    }
    url
}

impl TileSource for XyzSource {
    fn tile_url(&self, tile_id: TileId) -> String {
        xyz_tile_url(&self.url, &self.subdomains, tile_id)
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution_text,
            url: self.attribution_url,
            logo_light: None,
            logo_dark: None,
        }
    }

    fn max_zoom(&self) -> u8 {
        self.max_zoom
    }
}

/// How long tiles may stay missing before the source counts as offline, and how often
/// a failing source is retried.
#[derive(Debug, Clone, Copy)]
pub struct OfflinePolicy {
    /// A visible tile missing this long with nothing downloading counts as failed.
    pub grace: Duration,
    /// Downloads in flight with no tile arriving for this long count as stalled.
    pub stall: Duration,
    /// A failing source's `HttpTiles` is rebuilt at most this often.
    pub retry_every: Duration,
}

impl Default for OfflinePolicy {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(4),
            stall: Duration::from_secs(20),
            retry_every: Duration::from_secs(30),
        }
    }
}

/// A tile that was asked for and has not arrived.
struct Missing {
    first_asked: Instant,
    last_asked: Instant,
}

/// Visible tiles asked for within this window of the latest ask count as on screen.
const VISIBLE_WINDOW: Duration = Duration::from_secs(2);

/// Watches which tiles stay missing (walkers reports only downloads in flight).
struct Tracker {
    missing: HashMap<TileId, Missing>,
    latest_ask: Option<Instant>,
    last_loaded: Option<Instant>,
    /// When the current `HttpTiles` was built.
    built_at: Instant,
    /// Failed count carried over a rebuild until a tile loads or the new attempt fails.
    carried_failed: usize,
    loaded_tiles: u64,
}

impl Tracker {
    fn new(now: Instant) -> Self {
        Self {
            missing: HashMap::new(),
            latest_ask: None,
            last_loaded: None,
            built_at: now,
            carried_failed: 0,
            loaded_tiles: 0,
        }
    }

    fn record(&mut self, tile_id: TileId, loaded: bool, now: Instant) {
        self.latest_ask = Some(now);
        if loaded {
            if self.missing.remove(&tile_id).is_some() {
                self.last_loaded = Some(now);
                self.loaded_tiles += 1;
                self.carried_failed = 0;
            }
        } else {
            self.missing
                .entry(tile_id)
                .and_modify(|m| m.last_asked = now)
                .or_insert(Missing {
                    first_asked: now,
                    last_asked: now,
                });
        }
    }

    /// (visible missing tiles, failed tiles) at `now`.
    fn evaluate(
        &mut self,
        now: Instant,
        in_progress: usize,
        policy: &OfflinePolicy,
    ) -> (usize, usize) {
        let Some(latest) = self.latest_ask else {
            return (0, 0);
        };
        self.missing
            .retain(|_, m| latest.duration_since(m.last_asked) < VISIBLE_WINDOW * 5);
        let visible = || {
            self.missing
                .values()
                .filter(move |m| latest.duration_since(m.last_asked) < VISIBLE_WINDOW)
        };
        let visible_missing = visible().count();
        let last_progress = self
            .last_loaded
            .map_or(self.built_at, |t| t.max(self.built_at));
        let stalled = in_progress == 0 || now.duration_since(last_progress) > policy.stall;
        let failed = if stalled {
            visible()
                .filter(|m| now.duration_since(m.first_asked) > policy.grace)
                .count()
        } else {
            0
        };
        let failed = if failed == 0 && visible_missing > 0 {
            self.carried_failed
        } else {
            failed
        };
        (visible_missing, failed)
    }

    /// Forget download attempts after a rebuild, keeping the failed count on display.
    fn rebuilt(&mut self, now: Instant, failed: usize) {
        self.built_at = now;
        self.carried_failed = failed;
        for m in self.missing.values_mut() {
            m.first_asked = now;
        }
    }
}

/// An HTTP source with its `HttpTiles` and failure watch.
struct HttpEntry {
    source: XyzSource,
    cache_dir: Option<PathBuf>,
    tiles: HttpTiles,
    tracker: Tracker,
    last_eval: Option<(Instant, usize, usize)>,
    rebuilds: u32,
    /// Tiles the current `HttpTiles` has delivered whole (bounded, see [`SHOWN_LIMIT`]).
    shown: HashSet<TileId>,
    /// The `HttpTiles` before the last rebuild and the tiles it had: it keeps drawing
    /// those until the new one has them, so a retry never blanks the map.
    previous: Option<(HttpTiles, HashSet<TileId>)>,
}

/// Tiles remembered as delivered (walkers keeps 256 in memory).
const SHOWN_LIMIT: usize = 1024;

impl HttpEntry {
    fn new(
        config: &TileSourceConfig,
        url: &str,
        subdomains: &[String],
        cache_root: Option<&Path>,
        ctx: &egui::Context,
    ) -> Self {
        let source = XyzSource {
            url: Arc::from(url),
            subdomains: Arc::from(subdomains),
            attribution_text: leak(config.attribution.clone()),
            attribution_url: leak(config.attribution_url.clone()),
            max_zoom: config.max_zoom,
        };
        let cache_dir = cache_root.map(|r| r.join(cache_dir_name(&config.name)));
        let tiles = build_http_tiles(&source, cache_dir.clone(), ctx);
        Self {
            source,
            cache_dir,
            tiles,
            tracker: Tracker::new(Instant::now()),
            last_eval: None,
            rebuilds: 0,
            shown: HashSet::new(),
            previous: None,
        }
    }

    /// (visible missing, failed), evaluated at most every 200 ms.
    fn evaluate(&mut self, now: Instant, policy: &OfflinePolicy) -> (usize, usize) {
        if let Some((at, missing, failed)) = self.last_eval
            && now.duration_since(at) < Duration::from_millis(200)
        {
            return (missing, failed);
        }
        let in_progress = self.tiles.stats().in_progress;
        let (missing, failed) = self.tracker.evaluate(now, in_progress, policy);
        self.last_eval = Some((now, missing, failed));
        (missing, failed)
    }

    fn at(
        &mut self,
        tile_id: TileId,
        policy: &OfflinePolicy,
        ctx: &egui::Context,
    ) -> Option<TilePiece> {
        let now = Instant::now();
        let (missing, failed) = self.evaluate(now, policy);
        if failed > 0 {
            let since = now.duration_since(self.tracker.built_at);
            if since >= policy.retry_every {
                self.rebuild(now, failed, ctx);
            } else {
                ctx.request_repaint_after(policy.retry_every - since);
            }
        } else if missing > 0 {
            // Let the status move on (grace, stall) even when nothing else repaints.
            ctx.request_repaint_after(policy.grace / 2);
        }
        let mut piece = self.tiles.at(tile_id);
        let max_zoom = self.source.max_zoom;
        let mut exact = piece
            .as_ref()
            .is_some_and(|p| is_exact(p, tile_id, max_zoom));
        if exact {
            // The new instance delivers again: the old one is not needed, and must not
            // download alongside it (at most 2 parallel downloads in all).
            if let Some((old, _)) = self.previous.take() {
                drop_in_background(old);
            }
            if self.shown.len() >= SHOWN_LIMIT {
                self.shown.clear();
            }
            self.shown.insert(tile_id);
        } else if let Some((old, had)) = &mut self.previous
            && had.contains(&tile_id)
        {
            // The old instance has this tile in memory: no download is started.
            if let Some(old_piece) = old.at(tile_id)
                && is_exact(&old_piece, tile_id, max_zoom)
            {
                piece = Some(old_piece);
                exact = true;
            }
        }
        if is_valid(tile_id) {
            self.tracker.record(tile_id, exact, now);
        }
        piece
    }

    /// A fresh `HttpTiles` (walkers keeps failed tiles failed); the old one keeps drawing
    /// the tiles it has until the new one delivers (it is offline meanwhile, so it
    /// downloads nothing).
    fn rebuild(&mut self, now: Instant, failed: usize, ctx: &egui::Context) {
        let fresh = build_http_tiles(&self.source, self.cache_dir.clone(), ctx);
        let old = std::mem::replace(&mut self.tiles, fresh);
        let had = std::mem::take(&mut self.shown);
        if had.is_empty() && self.previous.is_some() {
            // The failed instance delivered nothing: the one before it still has the tiles.
            drop_in_background(old);
        } else if let Some((older, _)) = self.previous.replace((old, had)) {
            drop_in_background(older);
        }
        self.tracker.rebuilt(now, failed);
        self.last_eval = None;
        self.rebuilds += 1;
    }

    fn status(&mut self, policy: &OfflinePolicy) -> TileStatus {
        let (missing, failed) = self.evaluate(Instant::now(), policy);
        let in_progress = self.tiles.stats().in_progress;
        if failed > 0 {
            TileStatus::Offline {
                failed_tiles: failed,
            }
        } else if in_progress > 0 || missing > 0 {
            TileStatus::Loading { in_progress }
        } else {
            TileStatus::Ready
        }
    }
}

/// Drops `tiles` on a thread of its own: its download thread may be stuck in a slow
/// lookup, and joining it must not hold up a frame.
fn drop_in_background(tiles: HttpTiles) {
    // If no thread can be started, the tiles are dropped here instead.
    let _ = std::thread::Builder::new()
        .name("lagesbild-tiles-drop".to_owned())
        .spawn(move || drop(tiles));
}

fn build_http_tiles(
    source: &XyzSource,
    cache_dir: Option<PathBuf>,
    ctx: &egui::Context,
) -> HttpTiles {
    HttpTiles::with_options(
        source.clone(),
        HttpOptions {
            cache: cache_dir,
            user_agent: Some(walkers::HeaderValue::from_static(USER_AGENT)),
            max_parallel_downloads:
                MaxParallelDownloads::value_manually_confirmed_with_provider_limits(
                    MAX_PARALLEL_DOWNLOADS,
                ),
            ..Default::default()
        },
        ctx.clone(),
    )
}

fn is_valid(tile_id: TileId) -> bool {
    tile_id.zoom <= 30 && {
        let n = 1u64 << tile_id.zoom;
        u64::from(tile_id.x) < n && u64::from(tile_id.y) < n
    }
}

/// Whether `piece` is the tile itself (or, beyond `max_zoom`, the deepest tile there is)
/// rather than a stand-in enlarged from a lower zoom level.
fn is_exact(piece: &TilePiece, tile_id: TileId, max_zoom: u8) -> bool {
    let dzoom = tile_id.zoom.saturating_sub(max_zoom).min(30);
    let expected = 1.0 / (1u32 << dzoom) as f32;
    piece.uv.width() >= expected * 0.999
}

/// What the map can show right now, for a note on the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileStatus {
    /// Every visible tile is shown (or the source is an offline archive).
    Ready,
    /// Tiles are on their way.
    Loading { in_progress: usize },
    /// Visible tiles could not be loaded; retried automatically.
    Offline { failed_tiles: usize },
    /// The source could not be opened at all (e.g. a missing archive).
    Unavailable { reason: String },
    /// Tiles are shown, but the disk cache cannot keep them (a full disk, …).
    CacheTrouble {
        problem: super::tile_cache::CacheProblem,
    },
}

enum Entry {
    NotBuilt,
    Http(Box<HttpEntry>),
    MbTiles(Box<MbTiles>),
    Failed(String),
}

/// The configured sources, built on first use, the active one served to `walkers::Map`.
///
/// ```ignore
/// let mut tiles = TileManager::new(ctx, TileCatalog::discover(), default_cache_root());
/// Map::new(Some(&mut tiles), &mut memory, center).show(ui, |..| ());
/// status_ui(ui, lang, &tiles.status());
/// attribution_ui(ui, tiles.active_source());
/// ```
pub struct TileManager {
    ctx: egui::Context,
    catalog: TileCatalog,
    entries: Vec<Entry>,
    selected: usize,
    cache_root: Option<PathBuf>,
    policy: OfflinePolicy,
    /// Keeps the disk cache within its limit (`None` without a disk cache).
    keeper: Option<super::tile_cache::CacheKeeper>,
}

impl TileManager {
    /// Nothing is built or downloaded until the map first asks for a tile. `cache_root`
    /// is usually [`default_cache_root`]; `None` keeps tiles in memory only.
    pub fn new(ctx: &egui::Context, catalog: TileCatalog, cache_root: Option<PathBuf>) -> Self {
        let entries = catalog.sources.iter().map(|_| Entry::NotBuilt).collect();
        let keeper = cache_root.as_ref().and_then(|root| {
            let wake = ctx.clone();
            // No keeper thread (the system refused one) only means no pruning.
            super::tile_cache::CacheKeeper::start(
                root.clone(),
                cache_limit_bytes(&catalog),
                super::tile_cache::PRUNE_EVERY,
                move || wake.request_repaint(),
            )
            .ok()
        });
        Self {
            ctx: ctx.clone(),
            catalog,
            entries,
            selected: 0,
            cache_root,
            policy: OfflinePolicy::default(),
            keeper,
        }
    }

    /// Replaces the offline timing (tests use short ones).
    pub fn with_policy(mut self, policy: OfflinePolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn catalog(&self) -> &TileCatalog {
        &self.catalog
    }

    pub fn sources(&self) -> &[TileSourceConfig] {
        &self.catalog.sources
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The active source's entry (attribution filled from an archive's metadata once open).
    pub fn active_source(&self) -> &TileSourceConfig {
        // `sources` is never empty and `selected` always indexes it.
        &self.catalog.sources[self.selected.min(self.catalog.sources.len() - 1)]
    }

    /// Makes source `index` active (ignored if out of range); it is built on first use.
    pub fn select(&mut self, index: usize) {
        if index < self.catalog.sources.len() {
            self.selected = index;
        }
    }

    /// Adds `source` to the chooser (replacing a source of the same name) and returns its
    /// index; it is built on first use. Used for an archive just downloaded.
    pub fn add_source(&mut self, source: TileSourceConfig) -> usize {
        match self
            .catalog
            .sources
            .iter()
            .position(|s| s.name == source.name)
        {
            Some(i) => {
                self.catalog.sources[i] = source;
                self.entries[i] = Entry::NotBuilt;
                i
            }
            None => {
                self.catalog.sources.push(source);
                self.entries.push(Entry::NotBuilt);
                self.catalog.sources.len() - 1
            }
        }
    }

    /// Makes the source called `name` active; false if there is none.
    pub fn select_by_name(&mut self, name: &str) -> bool {
        match self.catalog.sources.iter().position(|s| s.name == name) {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }

    /// The HTTP cache folder of source `index`, if it is a tile server and caching is on.
    pub fn cache_dir(&self, index: usize) -> Option<PathBuf> {
        let source = self.catalog.sources.get(index)?;
        match source.kind {
            SourceKind::Xyz { .. } => self
                .cache_root
                .as_ref()
                .map(|r| r.join(cache_dir_name(&source.name))),
            SourceKind::MbTiles { .. } => None,
        }
    }

    /// How many times the active source's downloads were restarted after failures.
    pub fn retries(&self) -> u32 {
        match self.entries.get(self.selected) {
            Some(Entry::Http(e)) => e.rebuilds,
            _ => 0,
        }
    }

    /// Tiles of the active source that arrived after being shown missing.
    pub fn loaded_tiles(&self) -> u64 {
        match self.entries.get(self.selected) {
            Some(Entry::Http(e)) => e.tracker.loaded_tiles,
            _ => 0,
        }
    }

    /// The active source's state, for a note on the map.
    pub fn status(&mut self) -> TileStatus {
        self.ensure_built();
        let policy = self.policy;
        match self.entries.get_mut(self.selected) {
            Some(Entry::Http(e)) => match e.status(&policy) {
                TileStatus::Ready => match self.keeper.as_mut().and_then(|k| k.problem()) {
                    Some(problem) => TileStatus::CacheTrouble { problem },
                    None => TileStatus::Ready,
                },
                other => other,
            },
            Some(Entry::Failed(reason)) => TileStatus::Unavailable {
                reason: reason.clone(),
            },
            Some(Entry::MbTiles(_)) | Some(Entry::NotBuilt) | None => TileStatus::Ready,
        }
    }

    fn ensure_built(&mut self) {
        let i = self.selected;
        let (Some(entry @ Entry::NotBuilt), Some(config)) =
            (self.entries.get_mut(i), self.catalog.sources.get_mut(i))
        else {
            return;
        };
        *entry = match &config.kind {
            SourceKind::Xyz { url, subdomains } => Entry::Http(Box::new(HttpEntry::new(
                config,
                url,
                subdomains,
                self.cache_root.as_deref(),
                &self.ctx,
            ))),
            SourceKind::MbTiles { path } => match MbTiles::open(path, &self.ctx) {
                Ok(archive) => {
                    let meta = archive.metadata();
                    if config.attribution.is_empty() {
                        config.attribution = meta.attribution.clone().unwrap_or_default();
                        if config.attribution_url.is_empty() {
                            config.attribution_url =
                                meta.attribution_url.clone().unwrap_or_default();
                        }
                    }
                    Entry::MbTiles(Box::new(archive))
                }
                Err(e) => Entry::Failed(e.to_string()),
            },
        };
    }
}

impl Tiles for TileManager {
    fn at(&mut self, tile_id: TileId) -> Option<TilePiece> {
        self.ensure_built();
        let policy = self.policy;
        match self.entries.get_mut(self.selected)? {
            Entry::Http(e) => e.at(tile_id, &policy, &self.ctx),
            Entry::MbTiles(m) => m.at(tile_id),
            Entry::NotBuilt | Entry::Failed(_) => None,
        }
    }

    fn attribution(&self) -> Attribution {
        match self.entries.get(self.selected) {
            Some(Entry::Http(e)) => e.tiles.attribution(),
            Some(Entry::MbTiles(m)) => m.attribution(),
            _ => Attribution {
                text: "",
                url: "",
                logo_light: None,
                logo_dark: None,
            },
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }

    fn stats(&self) -> walkers::Stats {
        match self.entries.get(self.selected) {
            Some(Entry::Http(e)) => e.tiles.stats(),
            _ => walkers::Stats::default(),
        }
    }
}

/// The note for `status`, or `None` when there is nothing to say.
pub fn status_text(lang: Language, status: &TileStatus) -> Option<String> {
    match status {
        TileStatus::Ready => None,
        TileStatus::Loading { .. } => Some(tr(lang, Key::TilesLoading).to_owned()),
        TileStatus::Offline { failed_tiles } => Some(
            tr(lang, Key::TilesOffline)
                .replace("{n}", &crate::gui::i18n::count(lang, *failed_tiles as u64)),
        ),
        TileStatus::Unavailable { reason } => {
            Some(format!("{}: {reason}", tr(lang, Key::TilesUnavailable)))
        }
        TileStatus::CacheTrouble { problem } => Some(cache_trouble_text(lang, problem)),
    }
}

/// The note for a tile cache that cannot keep tiles.
fn cache_trouble_text(lang: Language, problem: &super::tile_cache::CacheProblem) -> String {
    use super::tile_cache::CacheProblem;
    match (lang, problem) {
        (Language::Swedish, CacheProblem::DiskFull { dir }) => format!(
            "Disken är full: kartbilderna visas men sparas inte i kartcachen ({}). \
             Frigör utrymme på disken.",
            dir.display()
        ),
        (Language::English, CacheProblem::DiskFull { dir }) => format!(
            "The disk is full: map tiles are shown but not kept in the tile cache ({}). \
             Free some disk space.",
            dir.display()
        ),
        (Language::Swedish, CacheProblem::Unusable { dir, reason }) => format!(
            "Kartcachen kan inte användas ({}: {reason}); kartbilderna hämtas på nytt varje gång.",
            dir.display()
        ),
        (Language::English, CacheProblem::Unusable { dir, reason }) => format!(
            "The tile cache cannot be used ({}: {reason}); tiles are downloaded every time.",
            dir.display()
        ),
    }
}

/// Draws the status note in a small framed box (nothing when all tiles are shown).
pub fn status_ui(ui: &mut egui::Ui, lang: Language, status: &TileStatus) {
    let Some(text) = status_text(lang, status) else {
        return;
    };
    egui::Frame::popup(ui.style()).show(ui, |ui| {
        if matches!(status, TileStatus::Loading { .. }) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(text);
            });
        } else {
            ui.label(text);
        }
    });
}

/// The error note when `tiles.toml` was broken (the built-in OpenStreetMap is in use).
pub fn config_error_ui(ui: &mut egui::Ui, lang: Language, catalog: &TileCatalog) {
    if let Some(error) = &catalog.error {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.label(tr(lang, Key::TilesConfigError));
            ui.label(error.to_string());
        });
    }
}

/// The active source's attribution as a link in a small framed box; the app places it
/// at the map's bottom-right and always shows it.
pub fn attribution_ui(ui: &mut egui::Ui, source: &TileSourceConfig) {
    egui::Frame::popup(ui.style())
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| {
            ui.style_mut().override_text_style = Some(egui::TextStyle::Small);
            if source.attribution_url.is_empty() {
                ui.label(&source.attribution);
            } else {
                ui.hyperlink_to(&source.attribution, &source.attribution_url);
            }
        });
}

/// A chooser of the background map; selecting builds the source on first use.
pub fn source_picker_ui(ui: &mut egui::Ui, lang: Language, manager: &mut TileManager) {
    let mut selected = manager.selected();
    egui::ComboBox::from_label(tr(lang, Key::MapSource))
        .selected_text(manager.active_source().name.as_str())
        .show_ui(ui, |ui| {
            for (i, source) in manager.sources().iter().enumerate() {
                ui.selectable_value(&mut selected, i, source.name.as_str());
            }
        });
    if selected != manager.selected() {
        manager.select(selected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<TileSourceConfig>, TilesConfigError> {
        parse_tiles_toml(text, Path::new("maps/tiles.toml"), Path::new("/m"))
    }

    fn line_and_reason(err: TilesConfigError) -> (usize, String) {
        match err {
            TilesConfigError::Invalid { line, reason, .. } => (line, reason),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_default_catalogue_has_osm_first_and_opentopomap() {
        let sources = parse(DEFAULT_TILES_TOML).unwrap();
        assert_eq!(sources[0], TileSourceConfig::openstreetmap());
        let topo = &sources[1];
        assert_eq!(topo.name, "OpenTopoMap");
        assert_eq!(topo.max_zoom, 17);
        assert!(!topo.allow_area_download);
        assert_eq!(
            topo.attribution,
            "Kartdata: © OpenStreetMap-bidragsgivare, SRTM | Kartstil: © OpenTopoMap (CC-BY-SA)"
        );
        assert_eq!(sources.len(), 2, "the other examples are commented out");
        assert_eq!(TileCatalog::builtin().sources, sources);
    }

    #[test]
    fn urls_are_filled_in() {
        let s = XyzSource {
            url: Arc::from("https://{s}.t.example/{z}/{x}/{y}.png"),
            subdomains: Arc::from(vec!["a".to_owned(), "b".to_owned()]),
            attribution_text: "",
            attribution_url: "",
            max_zoom: 19,
        };
        let id = TileId {
            x: 3,
            y: 4,
            zoom: 5,
        };
        assert_eq!(s.tile_url(id), "https://b.t.example/5/3/4.png");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let text = "[[source]]\nname = \"A\"\nkind = \"xyz\"\nurl = \"https://x/{z}/{x}/{y}\nmax_zoom = 3\n";
        let (line, reason) = line_and_reason(parse(text).unwrap_err());
        assert_eq!(line, 4, "{reason}");
        let text = "[[source]]\nname = \"A\"\nkind = \"wms\"\n";
        let (line, reason) = line_and_reason(parse(text).unwrap_err());
        assert_eq!(line, 3, "{reason}");
        assert!(reason.contains("xyz"), "{reason}");
    }

    #[test]
    fn checks_name_the_entry_line() {
        let text = "\n[[source]]\nname = \"A\"\nkind = \"xyz\"\nurl = \"https://x/{z}/{x}/{y}.png\"\nattribution = \"a\"\n\n[[source]]\nname = \"B\"\nkind = \"xyz\"\nurl = \"https://x/{z}/{x}.png\"\nattribution = \"b\"\n";
        let (line, reason) = line_and_reason(parse(text).unwrap_err());
        assert_eq!(line, 8, "{reason}");
        assert!(reason.contains("{y}"), "{reason}");

        let osm_bulk = "[[source]]\nname = \"O\"\nkind = \"xyz\"\nurl = \"https://tile.openstreetmap.org/{z}/{x}/{y}.png\"\nattribution = \"© OpenStreetMap contributors\"\nallow_area_download = true\n";
        let (_, reason) = line_and_reason(parse(osm_bulk).unwrap_err());
        assert!(reason.contains("forbids"), "{reason}");

        let no_attribution =
            "[[source]]\nname = \"A\"\nkind = \"xyz\"\nurl = \"https://x/{z}/{x}/{y}.png\"\n";
        let (_, reason) = line_and_reason(parse(no_attribution).unwrap_err());
        assert!(reason.contains("attribution"), "{reason}");

        let (line, _) = line_and_reason(parse("# nothing\n").unwrap_err());
        assert_eq!(line, 1);
    }

    #[test]
    fn mbtiles_paths_are_resolved_against_the_maps_folder() {
        let text = "[[source]]\nname = \"Offline\"\nkind = \"mbtiles\"\npath = \"a.mbtiles\"\n";
        let s = parse(text).unwrap();
        assert_eq!(
            s[0].kind,
            SourceKind::MbTiles {
                path: PathBuf::from("/m/a.mbtiles")
            }
        );
        assert_eq!(s[0].attribution, "");
        let abs =
            "[[source]]\nname = \"Offline\"\nkind = \"mbtiles\"\npath = \"/data/b.mbtiles\"\n";
        assert_eq!(
            parse(abs).unwrap()[0].kind,
            SourceKind::MbTiles {
                path: PathBuf::from("/data/b.mbtiles")
            }
        );
    }

    #[test]
    fn cache_folders_are_plain_names() {
        assert_eq!(cache_dir_name("OpenStreetMap"), "openstreetmap");
        assert_eq!(
            cache_dir_name("Kommunens baskarta (Sölvesborg)"),
            "kommunens-baskarta--solvesborg"
        );
        assert_eq!(cache_dir_name("../.."), "source");
    }

    #[test]
    fn exact_tiles_are_told_from_enlarged_ones() {
        let ctx = egui::Context::default();
        let tex = ctx.load_texture(
            "t",
            egui::ColorImage::new([1, 1], vec![egui::Color32::WHITE]),
            Default::default(),
        );
        let full = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        let quarter = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(0.5, 0.5));
        let id = TileId {
            x: 0,
            y: 0,
            zoom: 18,
        };
        let piece = |uv| TilePiece::new(walkers::Tile::Raster(tex.clone()), uv);
        assert!(is_exact(&piece(full), id, 19));
        assert!(!is_exact(&piece(quarter), id, 19));
        let deep = TileId {
            x: 0,
            y: 0,
            zoom: 20,
        };
        assert!(is_exact(&piece(quarter), deep, 19));
    }

    #[test]
    fn tracker_reports_failures_after_the_grace_only_when_nothing_downloads() {
        let policy = OfflinePolicy {
            grace: Duration::from_secs(4),
            stall: Duration::from_secs(20),
            retry_every: Duration::from_secs(30),
        };
        let t0 = Instant::now();
        let mut tr = Tracker::new(t0);
        let a = TileId {
            x: 0,
            y: 0,
            zoom: 1,
        };
        let b = TileId {
            x: 1,
            y: 0,
            zoom: 1,
        };
        tr.record(a, false, t0);
        tr.record(b, false, t0);
        assert_eq!(tr.evaluate(t0 + Duration::from_secs(1), 0, &policy), (2, 0));
        let t5 = t0 + Duration::from_secs(5);
        tr.record(a, false, t5);
        tr.record(b, false, t5);
        assert_eq!(tr.evaluate(t5, 2, &policy), (2, 0), "downloads in flight");
        assert_eq!(tr.evaluate(t5, 0, &policy), (2, 2));
        // Stalled downloads count as failed too.
        let t25 = t0 + Duration::from_secs(25);
        tr.record(a, false, t25);
        tr.record(b, false, t25);
        assert_eq!(tr.evaluate(t25, 2, &policy), (2, 2));
        // A rebuild keeps the count on display until a tile arrives.
        tr.rebuilt(t25, 2);
        assert_eq!(tr.evaluate(t25, 0, &policy), (2, 2));
        tr.record(a, true, t25);
        assert_eq!(tr.evaluate(t25, 0, &policy), (1, 0));
        assert_eq!(tr.loaded_tiles, 1);
    }
}
