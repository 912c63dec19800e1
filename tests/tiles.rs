//! Background map tiles: a local tile server on 127.0.0.1 serving generated PNG tiles,
//! the walkers `Map` in an egui_kittest harness, the disk cache reused with the server
//! stopped, the offline status and its recovery, MBTiles archives and `tiles.toml`.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::i18n::Language;
use lagesbild::gui::map::area_download::{
    AreaDownloadError, BboxWgs84, MAX_AREA_TILES, count_tiles, download_area, tile_range,
};
use lagesbild::gui::map::mbtiles::{MbTiles, tms_row_from_xyz};
use lagesbild::gui::map::tiles::{
    OfflinePolicy, SourceKind, TileCatalog, TileManager, TileSourceConfig, TileStatus, USER_AGENT,
    attribution_ui, source_picker_ui, status_text,
};
use lagesbild::jobs::{CancelToken, NoProgress};
use walkers::{MapMemory, TileId, Tiles as _};

use crate::util::Dir;

/// A 256×256 PNG in one colour.
fn png_tile(rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(256, 256, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// What the test server saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// (path, user agent) of each request.
    requests: Mutex<Vec<(String, String)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A tiny HTTP/1.1 tile server: `/{z}/{x}/{y}.png` gives a PNG whose colour depends on
/// the tile, each answer after `delay` (so overlapping requests would show), with
/// `Connection: close`. It stops when dropped, after `max_requests`, or after 60 s.
pub(crate) struct TileServer {
    port: u16,
    seen: Arc<Seen>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TileServer {
    pub(crate) fn start(port: u16, delay: Duration) -> TileServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind test server");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Seen::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut handlers = Vec::new();
            let mut accepted = 0;
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline && accepted < 500 {
                match listener.accept() {
                    Ok((stream, _)) => {
                        accepted += 1;
                        let seen = seen2.clone();
                        handlers.push(std::thread::spawn(move || serve(stream, &seen, delay)));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
            drop(listener);
            for h in handlers {
                let _ = h.join();
            }
        });
        TileServer {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn url_template(&self) -> String {
        format!("http://127.0.0.1:{}/{{z}}/{{x}}/{{y}}.png", self.port)
    }

    fn requests(&self) -> Vec<(String, String)> {
        self.seen.requests.lock().unwrap().clone()
    }

    fn max_in_flight(&self) -> usize {
        self.seen.max_in_flight.load(Ordering::SeqCst)
    }

    /// Stops accepting, waits for open connections, and closes the port.
    pub(crate) fn stop(mut self) -> Arc<Seen> {
        self.shutdown();
        self.seen.clone()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread");
        }
    }
}

impl Drop for TileServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve(stream: TcpStream, seen: &Seen, delay: Duration) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut user_agent = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("user-agent")
                {
                    user_agent = value.trim().to_owned();
                }
            }
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
    seen.requests
        .lock()
        .unwrap()
        .push((path.clone(), user_agent));
    std::thread::sleep(delay);
    let numbers: Vec<u8> = path
        .trim_start_matches('/')
        .trim_end_matches(".png")
        .split('/')
        .map(|n| n.parse::<u32>().map_or(0, |n| (n % 251) as u8))
        .collect();
    let body = match numbers.as_slice() {
        [z, x, y] => png_tile([z.wrapping_mul(20), *x, *y]),
        _ => Vec::new(),
    };
    let head = if body.is_empty() {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\
             Cache-Control: public, max-age=86400\r\nConnection: close\r\n\r\n",
            body.len()
        )
    };
    // The request counts as answered before the client can see the answer.
    seen.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

fn write_tiles_toml(dir: &Dir, url: &str) -> PathBuf {
    dir.write(
        "tiles.toml",
        format!(
            "[[source]]\nname = \"Testkarta\"\nkind = \"xyz\"\nurl = \"{url}\"\n\
             attribution = \"© Testkartan\"\nattribution_url = \"https://example.org/\"\n\
             max_zoom = 18\n"
        ),
    )
}

/// The map in a harness: the manager is built on the first frame, as the app does.
pub(crate) struct MapState {
    catalog: Option<TileCatalog>,
    cache_root: Option<PathBuf>,
    policy: OfflinePolicy,
    pub(crate) tiles: Option<TileManager>,
    pub(crate) memory: MapMemory,
}

pub(crate) fn map_harness(
    catalog: TileCatalog,
    cache_root: Option<&Path>,
    policy: OfflinePolicy,
) -> Harness<'static, MapState> {
    let mut memory = MapMemory::default();
    memory.set_zoom(12.0).expect("zoom");
    let state = MapState {
        catalog: Some(catalog),
        cache_root: cache_root.map(Path::to_owned),
        policy,
        tiles: None,
        memory,
    };
    Harness::builder()
        .with_size(egui::vec2(512.0, 384.0))
        .build_ui_state(
            |ui, s: &mut MapState| {
                if s.tiles.is_none()
                    && let Some(catalog) = s.catalog.take()
                {
                    s.tiles = Some(
                        TileManager::new(ui.ctx(), catalog, s.cache_root.clone())
                            .with_policy(s.policy),
                    );
                }
                let Some(tiles) = s.tiles.as_mut() else {
                    return;
                };
                walkers::Map::new(Some(tiles), &mut s.memory, walkers::lon_lat(14.585, 56.051))
                    .show(ui, |_, _, _, _| ());
            },
            state,
        )
}

/// Textured meshes in the last frame's output (tiles are drawn as such).
fn textured_meshes(h: &Harness<'_, MapState>) -> usize {
    fn count(shape: &egui::Shape) -> usize {
        match shape {
            egui::Shape::Mesh(m) if m.texture_id != egui::TextureId::default() => 1,
            egui::Shape::Vec(v) => v.iter().map(count).sum(),
            _ => 0,
        }
    }
    h.output().shapes.iter().map(|c| count(&c.shape)).sum()
}

/// Steps the harness until `done` or `limit`; panics if one frame takes over 1 s.
pub(crate) fn step_until(
    h: &mut Harness<'_, MapState>,
    limit: Duration,
    mut done: impl FnMut(&mut Harness<'_, MapState>) -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let start = Instant::now();
        h.step();
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "a frame took {:?}",
            start.elapsed()
        );
        if done(h) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    false
}

pub(crate) fn status(h: &mut Harness<'_, MapState>) -> TileStatus {
    h.state_mut()
        .tiles
        .as_mut()
        .map_or(TileStatus::Ready, |t| t.status())
}

fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() { files_under(&p) } else { 1 }
        })
        .sum()
}

#[test]
fn tiles_are_downloaded_politely_drawn_cached_and_reused_with_the_server_stopped() {
    let dir = Dir::new();
    let server = TileServer::start(0, Duration::from_millis(40));
    let toml = write_tiles_toml(&dir, &server.url_template());
    let cache_root = dir.path("cache");

    let catalog = TileCatalog::load_or_fallback(&toml);
    assert!(catalog.error.is_none(), "{:?}", catalog.error);
    let mut h = map_harness(catalog, Some(&cache_root), OfflinePolicy::default());
    let ready = step_until(&mut h, Duration::from_secs(20), |h| {
        let loaded = h.state().tiles.as_ref().map_or(0, |t| t.loaded_tiles());
        loaded > 0 && status(h) == TileStatus::Ready
    });
    assert!(ready, "tiles did not load: {:?}", status(&mut h));
    h.step();
    let drawn = textured_meshes(&h);
    let loaded = h.state().tiles.as_ref().unwrap().loaded_tiles();

    let requests = server.requests();
    let seen = server.stop();
    assert!(
        requests.len() >= 4,
        "a 512×384 view needs several tiles: {requests:?}"
    );
    assert!(drawn >= 4, "tiles drawn: {drawn}");
    for (path, ua) in &requests {
        assert_eq!(ua, USER_AGENT, "{path}");
        assert!(path.starts_with("/12/"), "{path}");
    }
    let distinct: HashSet<_> = requests.iter().map(|(p, _)| p).collect();
    assert_eq!(distinct.len(), requests.len(), "no tile downloaded twice");
    let max = seen.max_in_flight.load(Ordering::SeqCst);
    assert!((1..=2).contains(&max), "parallel downloads: {max}");

    let cache_dir = h.state().tiles.as_ref().unwrap().cache_dir(0).unwrap();
    assert!(cache_dir.starts_with(&cache_root));
    let cached_files = files_under(&cache_dir);
    eprintln!(
        "tiles: {} requests, at most {max} in flight, {loaded} tiles loaded, {drawn} drawn, {cached_files} cache files",
        requests.len()
    );
    assert!(
        cached_files > 0,
        "nothing cached in {}",
        cache_dir.display()
    );
    drop(h);

    // Second run: the server is gone; the same view comes from the disk cache.
    let mut h = map_harness(
        TileCatalog::load_or_fallback(&toml),
        Some(&cache_root),
        OfflinePolicy::default(),
    );
    // Ready (nothing missing, nothing in flight) with every tile of the view drawn.
    // Not `loaded_tiles`: it counts tiles that arrived after a frame showed them
    // missing, and a tile read from the disk cache may be there by the first frame
    // (how many are is a matter of timing, so a count of them would be flaky).
    let ready = step_until(&mut h, Duration::from_secs(20), |h| {
        status(h) == TileStatus::Ready && textured_meshes(h) == drawn
    });
    assert!(
        ready,
        "cached tiles did not load: {:?}, {} of {drawn} drawn",
        status(&mut h),
        textured_meshes(&h)
    );
    h.step();
    assert_eq!(textured_meshes(&h), drawn);
    assert_eq!(status(&mut h), TileStatus::Ready);
}

#[test]
fn an_unreachable_server_shows_offline_without_hanging_and_recovers_when_it_returns() {
    let dir = Dir::new();
    // A port that was free a moment ago and has nothing listening now.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let toml = write_tiles_toml(
        &dir,
        &format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"),
    );
    let policy = OfflinePolicy {
        grace: Duration::from_millis(300),
        stall: Duration::from_secs(5),
        retry_every: Duration::from_millis(1500),
    };
    let mut h = map_harness(
        TileCatalog::load_or_fallback(&toml),
        Some(&dir.path("cache")),
        policy,
    );
    let offline = step_until(
        &mut h,
        Duration::from_secs(10),
        |h| matches!(status(h), TileStatus::Offline { failed_tiles } if failed_tiles > 0),
    );
    assert!(offline, "status: {:?}", status(&mut h));
    let text = status_text(Language::Swedish, &status(&mut h)).unwrap();
    assert!(text.starts_with("Offline: "), "{text}");
    assert!(text.contains("kartrutor kunde inte hämtas"), "{text}");
    assert_eq!(textured_meshes(&h), 0, "nothing to draw");

    // The failing source is retried, and stays offline meanwhile.
    let retried = step_until(&mut h, Duration::from_secs(10), |h| {
        h.state().tiles.as_ref().unwrap().retries() >= 1
    });
    assert!(retried);
    assert!(
        matches!(status(&mut h), TileStatus::Offline { .. }),
        "{:?}",
        status(&mut h)
    );

    // The network comes back: tiles load without a restart.
    let server = TileServer::start(port, Duration::ZERO);
    let back = step_until(&mut h, Duration::from_secs(15), |h| {
        status(h) == TileStatus::Ready && h.state().tiles.as_ref().unwrap().loaded_tiles() > 0
    });
    assert!(back, "status: {:?}", status(&mut h));
    h.step();
    assert!(textured_meshes(&h) >= 4);
    assert!(!server.requests().is_empty());
    assert!(server.max_in_flight() <= 2);
}

/// An MBTiles archive with the standard schema; `tiles` are XYZ ids with colours.
fn write_mbtiles(path: &Path, metadata: &[(&str, &str)], tiles: &[(TileId, Vec<u8>)]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE metadata (name text, value text);
         CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);
         CREATE UNIQUE INDEX tile_index on tiles (zoom_level, tile_column, tile_row);",
    )
    .unwrap();
    for (k, v) in metadata {
        conn.execute("INSERT INTO metadata VALUES (?1, ?2)", (k, v))
            .unwrap();
    }
    for (id, data) in tiles {
        conn.execute(
            "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
            (id.zoom, id.x, tms_row_from_xyz(id.zoom, id.y), data),
        )
        .unwrap();
    }
}

#[test]
fn an_mbtiles_archive_serves_tiles_with_rows_flipped_and_parents_for_gaps() {
    let dir = Dir::new();
    let path = dir.path("test.mbtiles");
    let north_west = TileId {
        x: 0,
        y: 0,
        zoom: 1,
    };
    let south_west = TileId {
        x: 0,
        y: 1,
        zoom: 1,
    };
    let world = TileId {
        x: 0,
        y: 0,
        zoom: 0,
    };
    let (red, blue, green) = (
        png_tile([255, 0, 0]),
        png_tile([0, 0, 255]),
        png_tile([0, 255, 0]),
    );
    write_mbtiles(
        &path,
        &[
            ("name", "Test"),
            ("format", "png"),
            ("minzoom", "0"),
            ("maxzoom", "1"),
            (
                "attribution",
                r#"<a href="https://example.org/">&copy; Testkartan</a>"#,
            ),
        ],
        &[
            (north_west, red.clone()),
            (south_west, blue.clone()),
            (world, green.clone()),
        ],
    );
    // The flip: XYZ row 0 (north) is TMS row 1.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let stored: Vec<u8> = conn
        .query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = 1 AND tile_row = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, red);
    drop(conn);

    let ctx = egui::Context::default();
    let mut archive = MbTiles::open(&path, &ctx).unwrap();
    let meta = archive.metadata().clone();
    assert_eq!((meta.min_zoom, meta.max_zoom), (0, 1));
    assert_eq!(meta.attribution.as_deref(), Some("© Testkartan"));
    assert_eq!(
        meta.attribution_url.as_deref(),
        Some("https://example.org/")
    );
    assert_eq!(archive.tile_data(north_west).unwrap(), Some(red));
    assert_eq!(archive.tile_data(south_west).unwrap(), Some(blue));
    assert_eq!(
        archive
            .tile_data(TileId {
                x: 1,
                y: 0,
                zoom: 1
            })
            .unwrap(),
        None
    );

    let full = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    let piece = archive.at(north_west).expect("tile");
    assert_eq!(piece.uv, full);
    let walkers::Tile::Raster(texture) = &piece.tile;
    assert_eq!(texture.size(), [256, 256]);
    // Missing at zoom 1: the world tile, its north-east quarter.
    let piece = archive
        .at(TileId {
            x: 1,
            y: 0,
            zoom: 1,
        })
        .expect("parent");
    assert_eq!(
        piece.uv,
        egui::Rect::from_min_max(egui::pos2(0.5, 0.0), egui::pos2(1.0, 0.5))
    );
    // Deeper than maxzoom: the zoom-1 tile enlarged.
    let piece = archive
        .at(TileId {
            x: 1,
            y: 2,
            zoom: 3,
        })
        .expect("enlarged");
    assert_eq!(
        piece.uv,
        egui::Rect::from_min_max(egui::pos2(0.25, 0.5), egui::pos2(0.5, 0.75))
    );
    assert_eq!(archive.attribution().text, "© Testkartan");
    assert_eq!(archive.unreadable_tiles(), 0);

    // Through tiles.toml and the manager: attribution from the archive's metadata.
    let toml = dir.write(
        "tiles.toml",
        "[[source]]\nname = \"Offline\"\nkind = \"mbtiles\"\npath = \"test.mbtiles\"\n",
    );
    let catalog = TileCatalog::load_or_fallback(&toml);
    assert!(catalog.error.is_none(), "{:?}", catalog.error);
    let mut manager = TileManager::new(&ctx, catalog, None);
    assert!(manager.at(north_west).is_some());
    assert_eq!(manager.status(), TileStatus::Ready);
    assert_eq!(manager.active_source().attribution, "© Testkartan");
    assert_eq!(
        manager.active_source().attribution_url,
        "https://example.org/"
    );
}

#[test]
fn a_missing_or_vector_archive_is_reported_not_drawn() {
    let dir = Dir::new();
    let ctx = egui::Context::default();
    let missing = dir.path("nowhere.mbtiles");
    let err = MbTiles::open(&missing, &ctx).err().expect("error");
    assert!(err.to_string().contains("nowhere.mbtiles"), "{err}");

    let vector = dir.path("vector.mbtiles");
    write_mbtiles(&vector, &[("format", "pbf")], &[]);
    let err = MbTiles::open(&vector, &ctx).err().expect("error");
    assert!(err.to_string().contains("\"pbf\""), "{err}");

    let not_sqlite = dir.write("text.mbtiles", "hello, not a database");
    assert!(MbTiles::open(&not_sqlite, &ctx).is_err());

    let toml = dir.write(
        "tiles.toml",
        "[[source]]\nname = \"Offline\"\nkind = \"mbtiles\"\npath = \"nowhere.mbtiles\"\n",
    );
    let mut manager = TileManager::new(&ctx, TileCatalog::load_or_fallback(&toml), None);
    assert!(
        manager
            .at(TileId {
                x: 0,
                y: 0,
                zoom: 0
            })
            .is_none()
    );
    match manager.status() {
        TileStatus::Unavailable { reason } => {
            assert!(reason.contains("nowhere.mbtiles"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_malformed_tiles_toml_names_its_line_and_falls_back_to_openstreetmap() {
    let dir = Dir::new();
    let path = dir.write(
        "tiles.toml",
        "[[source]]\nname = \"A\"\nkind = \"xyz\"\nurl = https://x/{z}/{x}/{y}.png\n",
    );
    let catalog = TileCatalog::load_or_fallback(&path);
    let error = catalog.error.as_ref().expect("error").to_string();
    assert!(
        error.starts_with(&format!("{}:4: ", path.display())),
        "{error}"
    );
    assert_eq!(catalog.sources, vec![TileSourceConfig::openstreetmap()]);

    let missing = TileCatalog::load_or_fallback(&dir.path("none.toml"));
    assert!(missing.error.unwrap().to_string().contains("none.toml"));

    // The shipped file is valid and starts with OpenStreetMap.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps/tiles.toml");
    let sources = TileCatalog::load(&shipped).unwrap();
    assert_eq!(sources[0], TileSourceConfig::openstreetmap());
    assert!(
        sources
            .iter()
            .all(|s| matches!(s.kind, SourceKind::Xyz { .. }))
    );
}

#[test]
fn attribution_and_source_picker_ui() {
    let ctx = egui::Context::default();
    let manager = TileManager::new(&ctx, TileCatalog::builtin(), None);
    let mut h = Harness::new_ui_state(
        |ui, m: &mut TileManager| {
            source_picker_ui(ui, Language::Swedish, m);
            attribution_ui(ui, m.active_source());
        },
        manager,
    );
    h.run();
    h.get_by_label("© OpenStreetMap contributors");
    h.get_by_label("Bakgrundskarta").click();
    h.run();
    h.get_by_label("OpenTopoMap").click();
    h.run();
    assert_eq!(h.state().active_source().name, "OpenTopoMap");
    h.get_by_label(
        "Kartdata: © OpenStreetMap-bidragsgivare, SRTM | Kartstil: © OpenTopoMap (CC-BY-SA)",
    );
}

#[test]
fn a_retry_while_offline_does_not_blank_the_tiles_already_shown() {
    let dir = Dir::new();
    let server = TileServer::start(0, Duration::ZERO);
    let toml = write_tiles_toml(&dir, &server.url_template());
    let policy = OfflinePolicy {
        grace: Duration::from_millis(300),
        stall: Duration::from_secs(5),
        retry_every: Duration::from_millis(1000),
    };
    // No disk cache: after a retry only the old instance has the tiles.
    let mut h = map_harness(TileCatalog::load_or_fallback(&toml), None, policy);
    let ready = step_until(&mut h, Duration::from_secs(15), |h| {
        let loaded = h.state().tiles.as_ref().map_or(0, |t| t.loaded_tiles());
        loaded > 0 && status(h) == TileStatus::Ready
    });
    assert!(ready, "{:?}", status(&mut h));
    drop(server);

    // Pan east by half a tile: a new column comes into view and cannot be loaded.
    h.state_mut()
        .memory
        .center_at(walkers::lon_lat(14.585 + 0.045, 56.051));
    let offline = step_until(&mut h, Duration::from_secs(10), |h| {
        matches!(status(h), TileStatus::Offline { .. })
    });
    assert!(offline, "{:?}", status(&mut h));
    h.step();
    let shown = textured_meshes(&h);
    assert!(shown >= 1, "old tiles still drawn: {shown}");
    let mut fewest = usize::MAX;
    let retried = step_until(&mut h, Duration::from_secs(10), |h| {
        fewest = fewest.min(textured_meshes(h));
        h.state().tiles.as_ref().unwrap().retries() >= 2
    });
    assert!(retried);
    assert_eq!(fewest, shown, "tiles blanked during a retry");
}

/// A source in `tiles.toml` that allows area downloads, served by `server`.
fn downloadable_source(dir: &Dir, url: &str) -> TileSourceConfig {
    let path = dir.write(
        "tiles.toml",
        format!(
            "[[source]]\nname = \"Testkarta\"\nkind = \"xyz\"\nurl = \"{url}\"\n\
             attribution = \"© Testkartan\"\nattribution_url = \"https://example.org/\"\n\
             max_zoom = 18\nallow_area_download = true\n"
        ),
    );
    let mut sources = TileCatalog::load(&path).expect("catalogue");
    assert!(sources[0].allow_area_download);
    sources.remove(0)
}

/// Around Sölvesborg's centre (a handful of tiles at zooms 12..=14).
fn solvesborg_centre() -> BboxWgs84 {
    BboxWgs84 {
        west_deg: 14.56,
        south_deg: 56.04,
        east_deg: 14.60,
        north_deg: 56.06,
    }
}

#[test]
fn an_area_download_writes_an_mbtiles_archive_the_reader_and_gdal_open() {
    let server = TileServer::start(0, Duration::from_millis(20));
    let dir = Dir::new();
    let source = downloadable_source(&dir, &server.url_template());
    let out = dir.path("maps").join("centrum.mbtiles");
    let bbox = solvesborg_centre();
    let expected = count_tiles(&bbox, 12..=14);
    let report = download_area(
        &source,
        bbox,
        12..=14,
        &out,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(report.tiles_written, expected);
    assert_eq!(report.tiles_failed, 0);
    assert!(out.is_file());
    // No temporary file is left next to it.
    assert_eq!(files_under(&dir.path("maps")), 1);

    // Politely: every request with the app's User-Agent, never more than 2 at once.
    assert_eq!(server.requests().len() as u64, expected);
    assert!(server.requests().iter().all(|(_, ua)| ua == USER_AGENT));
    assert!(server.max_in_flight() <= 2, "{}", server.max_in_flight());
    assert!(server.max_in_flight() >= 1);

    // Rows are TMS: every downloaded XYZ tile is stored at the flipped row, and is the
    // server's image for that tile.
    let conn = rusqlite::Connection::open(&out).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as u64, expected);
    for (path, _) in server.requests() {
        let n: Vec<u32> = path
            .trim_start_matches('/')
            .trim_end_matches(".png")
            .split('/')
            .map(|s| s.parse().unwrap())
            .collect();
        let (z, x, y) = (n[0] as u8, n[1], n[2]);
        let data: Vec<u8> = conn
            .query_row(
                "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                rusqlite::params![z, x, tms_row_from_xyz(z, y)],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            data,
            png_tile([(z % 251).wrapping_mul(20), (x % 251) as u8, (y % 251) as u8])
        );
    }
    let meta: HashSet<(String, String)> = conn
        .prepare("SELECT name, value FROM metadata")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (k, v) in [
        ("name", "Testkarta"),
        ("format", "png"),
        ("minzoom", "12"),
        ("maxzoom", "14"),
        ("attribution", "© Testkartan"),
        ("bounds", "14.56,56.04,14.6,56.06"),
    ] {
        assert!(
            meta.contains(&(k.to_owned(), v.to_owned())),
            "{k}: {meta:?}"
        );
    }
    drop(conn);

    // The app's own reader opens it and finds a tile at the centre.
    let ctx = egui::Context::default();
    let archive = MbTiles::open(&out, &ctx).unwrap();
    assert_eq!(
        (archive.metadata().min_zoom, archive.metadata().max_zoom),
        (12, 14)
    );
    assert_eq!(archive.unreadable_tiles(), 0);
    let (x0, _, y0, _) = tile_range(&bbox, 13);
    assert!(
        archive
            .tile_data(TileId {
                x: x0,
                y: y0,
                zoom: 13
            })
            .unwrap()
            .is_some()
    );

    // The catalogue offers archives lying in a maps folder (not an unfinished `.part`).
    std::fs::write(dir.path("maps").join(".half.mbtiles.part"), b"x").unwrap();
    std::fs::write(dir.path("maps").join(".hidden.mbtiles"), b"x").unwrap();
    let catalog = TileCatalog::builtin().with_archives_in(&dir.path("maps"));
    let offline: Vec<&TileSourceConfig> = catalog
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::MbTiles { .. }))
        .collect();
    assert_eq!(offline.len(), 1, "{offline:?}");
    assert_eq!(offline[0].name, "Offline: centrum");
    assert_eq!(offline[0].kind, SourceKind::MbTiles { path: out.clone() });
    assert!(!offline[0].allow_area_download);

    // And GDAL reads it as a raster in Web Mercator.
    if let Some(gdalinfo) = crate::util::gdal_tool("gdalinfo") {
        let out = std::process::Command::new(gdalinfo)
            .arg(&out)
            .output()
            .expect("run gdalinfo");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("Driver: MBTiles"), "{text}");
        assert!(
            text.contains("Pseudo-Mercator") || text.contains("3857"),
            "{text}"
        );
    }
}

#[test]
fn area_downloads_are_refused_for_openstreetmap_and_for_too_many_tiles() {
    let dir = Dir::new();
    let out = dir.path("x.mbtiles");
    let osm = TileSourceConfig::openstreetmap();
    let err = download_area(
        &osm,
        solvesborg_centre(),
        12..=14,
        &out,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    assert!(matches!(err, AreaDownloadError::NotAllowed { .. }), "{err}");
    assert!(err.to_string().contains("allow_area_download"), "{err}");

    // Refused before any request (the address is never contacted): the whole municipality
    // down to zoom 18 is some 40,000 tiles.
    let municipality = BboxWgs84 {
        west_deg: 14.40,
        south_deg: 56.00,
        east_deg: 14.70,
        north_deg: 56.15,
    };
    let source = downloadable_source(&dir, "http://127.0.0.1:9/{z}/{x}/{y}.png");
    let err = download_area(
        &source,
        municipality,
        10..=18,
        &out,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    let AreaDownloadError::TooManyTiles { count, max } = err else {
        panic!("{err}");
    };
    assert_eq!(count, count_tiles(&municipality, 10..=18));
    assert!(count > max && max == MAX_AREA_TILES);
    assert!(!out.exists());
    assert_eq!(files_under(dir.root()), 1); // only tiles.toml
}

#[test]
fn a_cancelled_or_failed_area_download_leaves_no_file() {
    let server = TileServer::start(0, Duration::from_millis(100));
    let dir = Dir::new();
    let source = downloadable_source(&dir, &server.url_template());
    let out = dir.path("centrum.mbtiles");
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(250));
        c2.cancel();
    });
    let err = download_area(
        &source,
        solvesborg_centre(),
        12..=14,
        &out,
        &NoProgress,
        &cancel,
    )
    .unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(err, AreaDownloadError::Cancelled), "{err}");
    let asked = server.requests().len();
    assert!(asked >= 1 && (asked as u64) < count_tiles(&solvesborg_centre(), 12..=14));
    assert!(!out.exists());
    assert_eq!(files_under(dir.root()), 1); // only tiles.toml, no temp file

    // A server that answers 404 to every tile: each is tried twice, then the error.
    let broken_url = server
        .url_template()
        .replace("/{z}/{x}/{y}.png", "/missing/{z}/{x}/{y}.png");
    let broken = downloadable_source(&dir, &broken_url);
    let before = server.requests().len();
    let err = download_area(
        &broken,
        solvesborg_centre(),
        12..=12,
        &out,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    let n = count_tiles(&solvesborg_centre(), 12..=12);
    assert!(
        matches!(err, AreaDownloadError::AllFailed { count } if count == n),
        "{err}"
    );
    assert_eq!((server.requests().len() - before) as u64, 2 * n);
    assert!(!out.exists());
    assert_eq!(files_under(dir.root()), 1);
}

/// Every file under `dir` whose path has a `content-v2` folder (the tile
/// cache's content files).
fn content_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            content_files(&p, out);
        } else if p.iter().any(|c| c == "content-v2") {
            out.push(p);
        }
    }
}

#[test]
fn damaged_cached_tiles_are_dropped_and_fetched_again_and_the_cache_is_bounded() {
    use lagesbild::gui::map::tile_cache::prune;
    let dir = Dir::new();
    let server = TileServer::start(0, Duration::from_millis(5));
    let toml = write_tiles_toml(&dir, &server.url_template());
    let cache_root = dir.path("cache");
    let load = |h: &mut Harness<'_, MapState>| {
        step_until(h, Duration::from_secs(20), |h| {
            let loaded = h.state().tiles.as_ref().map_or(0, |t| t.loaded_tiles());
            loaded > 0 && status(h) == TileStatus::Ready
        })
    };
    let mut h = map_harness(
        TileCatalog::load_or_fallback(&toml),
        Some(&cache_root),
        OfflinePolicy::default(),
    );
    assert!(load(&mut h), "tiles did not load: {:?}", status(&mut h));
    drop(h);
    let first = server.requests().len();
    let mut files = Vec::new();
    content_files(&cache_root, &mut files);
    assert!(!files.is_empty(), "nothing cached");
    // The disk damages every cached tile (same length, other bytes).
    for f in &files {
        let mut bytes = std::fs::read(f).unwrap();
        for b in bytes.iter_mut().take(64) {
            *b ^= 0x5a;
        }
        std::fs::write(f, bytes).unwrap();
    }
    let report = prune(&cache_root, u64::MAX, true).unwrap();
    assert_eq!(report.corrupt, files.len(), "{report:?}");
    // The map shows the tiles again: fetched anew, not drawn from damaged bytes.
    let mut h = map_harness(
        TileCatalog::load_or_fallback(&toml),
        Some(&cache_root),
        OfflinePolicy::default(),
    );
    assert!(
        load(&mut h),
        "tiles did not load again: {:?}",
        status(&mut h)
    );
    drop(h);
    assert!(
        server.requests().len() >= first * 2,
        "{} requests before, {} after",
        first,
        server.requests().len()
    );
    // Bounded: a limit below the cache's size removes the oldest files.
    let total = prune(&cache_root, u64::MAX, false).unwrap().bytes_before;
    let report = prune(&cache_root, total / 2, false).unwrap();
    assert!(
        report.evicted > 0 && report.bytes_after <= total / 2,
        "{report:?}"
    );
}
