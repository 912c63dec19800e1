//! `lagesbild render`: the map as a PNG without a window, read back with the
//! png decoder and GDAL's gdalinfo.

use std::path::Path;

use crate::util::{Dir, assert_exit, gdal_tool, run_cli_in, run_gdal, text};

/// A small demo project in `dir`.
fn demo(dir: &Dir) {
    let out = run_cli_in(
        dir.root(),
        &[
            "demo",
            "--out",
            "demo.gpkg",
            "--count",
            "1500",
            "--seed",
            "7",
        ],
    );
    assert_exit(&out, 0);
}

/// Width, height and straight RGBA bytes of a PNG.
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let img = image::open(path).expect("a readable PNG").to_rgba8();
    (img.width(), img.height(), img.into_raw())
}

fn px(rgba: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * width + x) * 4) as usize;
    [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
}

/// Pixels in the box (x0..x1, y0..y1) that are clearly darker than the
/// plain background (text, outlines).
fn dark_pixels(rgba: &[u8], width: u32, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let [r, g, b, _] = px(rgba, width, x, y);
            if u32::from(r) + u32::from(g) + u32::from(b) < 3 * 110 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn render_writes_the_map_with_title_legend_and_attribution() {
    let dir = Dir::new();
    demo(&dir);
    let out = run_cli_in(
        dir.root(),
        &[
            "render",
            "demo.gpkg",
            "--size",
            "960x540",
            "--out",
            "map.png",
        ],
    );
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("960×540"), "{:?}", text(&out));
    let (w, h, rgba) = read_png(&dir.path("map.png"));
    assert_eq!((w, h), (960, 540));
    // Opaque everywhere, and far from blank: the ground, the study area,
    // cells, heat, markers, text.
    assert!(rgba.chunks_exact(4).all(|p| p[3] == 255));
    let distinct: std::collections::BTreeSet<[u8; 3]> =
        rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    assert!(distinct.len() > 200, "only {} colours", distinct.len());
    // The plain background in an empty corner (no tiles, no network).
    assert_eq!(&px(&rgba, w, 5, h / 2)[..3], &[0xF2, 0xEF, 0xE9]);
    // Title text (top left), legend text (top right) and attribution text
    // (bottom right) are drawn.
    assert!(dark_pixels(&rgba, w, 12, 12, 300, 60) > 150, "no title");
    assert!(
        dark_pixels(&rgba, w, w - 300, 70, w - 12, 300) > 300,
        "no legend"
    );
    assert!(
        dark_pixels(&rgba, w, w - 300, h - 24, w - 8, h - 4) > 50,
        "no attribution"
    );
    // The legend shows the category colours (Skadegörelse's yellow swatch).
    let mut yellow = 0;
    for y in 70..300 {
        for x in w - 300..w - 12 {
            let [r, g, b, _] = px(&rgba, w, x, y);
            if r > 220 && g > 210 && b < 100 {
                yellow += 1;
            }
        }
    }
    assert!(yellow > 20, "no yellow swatch in the legend ({yellow})");
    // GDAL reads it as a 960 × 540 four-band PNG.
    if let Some(gdalinfo) = gdal_tool("gdalinfo") {
        let path = dir.path("map.png");
        let info = run_gdal(gdalinfo.to_str().unwrap(), &[path.to_str().unwrap()]).unwrap();
        let (o, e) = text(&info);
        assert!(info.status.success(), "{o}{e}");
        assert!(o.contains("Driver: PNG"), "{o}");
        assert!(o.contains("Size is 960, 540"), "{o}");
        assert!(o.contains("Band 4"), "{o}");
    }
}

#[test]
fn render_draws_an_offline_archive_under_the_layers_and_names_its_source() {
    let dir = Dir::new();
    demo(&dir);
    // One zoom-0 tile, all one green: every deeper zoom is cut from it.
    let mut tile = Vec::new();
    image::RgbaImage::from_pixel(256, 256, image::Rgba([40, 160, 60, 255]))
        .write_to(
            &mut std::io::Cursor::new(&mut tile),
            image::ImageFormat::Png,
        )
        .unwrap();
    let conn = rusqlite::Connection::open(dir.path("green.mbtiles")).unwrap();
    conn.execute_batch(
        "CREATE TABLE metadata (name text, value text);
         CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);
         INSERT INTO metadata VALUES ('format', 'png'), ('minzoom', '0'), ('maxzoom', '0'),
             ('attribution', 'Gröna kartan');",
    )
    .unwrap();
    conn.execute("INSERT INTO tiles VALUES (0, 0, 0, ?1)", [&tile])
        .unwrap();
    drop(conn);
    let out = run_cli_in(
        dir.root(),
        &[
            "render",
            "demo.gpkg",
            "--size",
            "640x400",
            "--basemap",
            "green.mbtiles",
            "--out",
            "green.png",
        ],
    );
    assert_exit(&out, 0);
    let (w, h, rgba) = read_png(&dir.path("green.png"));
    assert_eq!((w, h), (640, 400));
    assert_eq!(&px(&rgba, w, 5, h / 2)[..3], &[40, 160, 60]);
    assert!(dark_pixels(&rgba, w, w - 200, h - 24, w - 8, h - 4) > 20);
}

#[test]
fn render_refuses_bad_sizes_and_missing_projects_and_draws_plain_without_cached_tiles() {
    let dir = Dir::new();
    demo(&dir);
    let out = run_cli_in(
        dir.root(),
        &["render", "demo.gpkg", "--size", "big", "--out", "x.png"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("--size \"big\""), "{:?}", text(&out));
    let out = run_cli_in(
        dir.root(),
        &["render", "demo.gpkg", "--size", "5x5", "--out", "x.png"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("5×5"), "{:?}", text(&out));
    let out = run_cli_in(
        dir.root(),
        &[
            "render",
            "demo.gpkg",
            "--basemap",
            "OpenStreetMap",
            "--out",
            "x.png",
        ],
    );
    // A tile server with nothing in the tile cache: the plain background,
    // said so, and no network wait.
    assert_exit(&out, 0);
    assert!(text(&out).1.contains("no cached tiles"), "{:?}", text(&out));
    std::fs::remove_file(dir.path("x.png")).unwrap();
    let out = run_cli_in(dir.root(), &["render", "nothere.gpkg", "--out", "x.png"]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("nothere.gpkg"), "{:?}", text(&out));
    assert!(!dir.path("x.png").exists());
}

#[test]
fn arkiv_exportera_bild_saves_the_map_next_to_the_project_off_the_ui_thread() {
    use crate::gui_util::{app_on, demo, settle};
    use egui_kittest::kittest::Queryable as _;

    let dir = Dir::new();
    let project = demo(&dir, "600");
    let mut harness = app_on(project);
    settle(&mut harness);
    harness.get_by_label("Arkiv").click();
    harness.run_steps(2);
    harness.get_by_label("Exportera bild…").hover();
    harness.run_steps(2);
    harness.get_by_label("Fönstrets storlek").click();
    harness.run_steps(1);
    // The app is busy meanwhile: the status bar shows the export's
    // progress with "Avbryt" (the UI thread keeps drawing).
    assert!(harness.state().is_exporting_image());
    assert!(harness.state().is_busy());
    let mut saved = None;
    for _ in 0..3000 {
        harness.run_steps(1);
        if harness.query_by_label_contains("Bilden sparades").is_some() {
            saved = std::fs::read_dir(dir.root())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    name.starts_with("demo-karta-") && name.ends_with(".png")
                });
            break;
        }
        assert!(
            harness
                .query_by_label_contains("kunde inte sparas")
                .is_none(),
            "the export failed"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let saved = saved.expect("the picture was saved next to the project");
    assert!(!harness.state().is_exporting_image());
    let (w, h, rgba) = read_png(&saved);
    // The map's size in the 1280 × 800 window (panels around it).
    assert!(w > 300 && w < 1280 && h > 300 && h < 800, "{w}×{h}");
    let distinct: std::collections::BTreeSet<[u8; 3]> =
        rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    assert!(distinct.len() > 100, "only {} colours", distinct.len());
}

// ---- The app's tile cache as the background ----

use crate::tiles::{TileServer, map_harness, status, step_until};
use lagesbild::gui::map::tiles::{OfflinePolicy, TileCatalog, TileStatus};
use lagesbild::model::LonLat;
use lagesbild::model::view::{SavedView, ViewExtent};

/// A view of the inner `share` of the map a 512×384 harness showed at zoom
/// 12 around (14.585, 56.051), moved east by `shift` harness widths.
fn harness_view(title: &str, memory: &walkers::MapMemory, share: f32, shift: f32) -> SavedView {
    let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(512.0, 384.0));
    let projection = walkers::MercatorProjection;
    let p = walkers::Projector::new(rect, &projection, memory, walkers::lon_lat(14.585, 56.051));
    let c = rect.center() + egui::vec2(shift * 512.0, 0.0);
    let half = rect.size() * share / 2.0;
    let a = p.unproject((c - half).to_vec2());
    let b = p.unproject((c + half).to_vec2());
    SavedView {
        title: title.into(),
        notes: String::new(),
        extent: ViewExtent::from_corners(LonLat::new(a.x(), a.y()), LonLat::new(b.x(), b.y())),
        layers: vec![],
        filter: Default::default(),
        analysis: Default::default(),
    }
}

/// Pixels in the colour of the test server's zoom-12 tiles here (red 240,
/// green 206 and blue about 25 from the tile numbers, toned down a little
/// as the app draws tiles): strong yellow, unlike the light plain ground.
fn tile_pixels(rgba: &[u8]) -> usize {
    rgba.chunks(4)
        .filter(|p| p[0] > 180 && p[1] > 150 && p[2] < 60)
        .count()
}

#[test]
fn render_draws_the_apps_tile_cache_and_the_plain_ground_where_it_has_none() {
    let dir = Dir::new();
    demo(&dir);
    // The app's map fills its cache from a tile server on 127.0.0.1 …
    let server = TileServer::start(0, std::time::Duration::from_millis(5));
    std::fs::create_dir_all(dir.path("maps")).unwrap();
    let toml = dir.write(
        "maps/tiles.toml",
        format!(
            "[[source]]\nname = \"Testkarta\"\nkind = \"xyz\"\nurl = \"{}\"\n\
             attribution = \"© Testkartan\"\nattribution_url = \"https://example.org/\"\n\
             max_zoom = 18\n",
            server.url_template()
        ),
    );
    let cache_root = dir.path("cache");
    let mut h = map_harness(
        TileCatalog::load_or_fallback(&toml),
        Some(&cache_root),
        OfflinePolicy::default(),
    );
    let ready = step_until(&mut h, std::time::Duration::from_secs(20), |h| {
        let loaded = h.state().tiles.as_ref().map_or(0, |t| t.loaded_tiles());
        loaded >= 4 && status(h) == TileStatus::Ready
    });
    assert!(ready, "tiles did not load: {:?}", status(&mut h));
    let cache_dir = h.state().tiles.as_ref().unwrap().cache_dir(0).unwrap();
    let memory = h.state().memory.clone();
    drop(h);
    // … then the server is gone: render must not wait for it.
    drop(server.stop());
    let inside = harness_view("I cachen", &memory, 0.8, 0.0);
    let outside = harness_view("Utanför", &memory, 0.8, 3.0);
    lagesbild::store::open(dir.path("demo.gpkg"))
        .unwrap()
        .put_views(&[inside, outside])
        .unwrap();
    let render = |view: &str, out: &str| {
        let started = std::time::Instant::now();
        let o = run_cli_in(
            dir.root(),
            &[
                "render",
                "demo.gpkg",
                "--view",
                view,
                "--size",
                "512x384",
                "--no-analysis",
                "--basemap",
                "Testkarta",
                "--tile-cache",
                cache_dir.to_str().unwrap(),
                "--out",
                out,
            ],
        );
        assert_exit(&o, 0);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "render waited {:?}",
            started.elapsed()
        );
        read_png(&dir.path(out))
    };
    let (w, h, rgba) = render("I cachen", "in.png");
    assert_eq!((w, h), (512, 384));
    let n = tile_pixels(&rgba);
    // (The title, legend and scale bar cover much of a small picture.)
    assert!(
        n > (w * h / 3) as usize,
        "{n} of {} pixels from the cached tiles",
        w * h
    );
    // The attribution is the source's.
    assert!(dark_pixels(&rgba, w, w - 160, h - 24, w - 4, h - 2) > 20);
    // Where the cache has no tiles: the plain ground, no tile colour.
    let (w, h, rgba) = render("Utanför", "out.png");
    // (A yellow incident marker or two may match the tile colour.)
    let n = tile_pixels(&rgba);
    assert!(
        n < (w * h / 100) as usize,
        "{n} tile pixels where none are cached"
    );
    let ground = lagesbild::render::map::PLAIN_GROUND;
    let plain = rgba
        .chunks(4)
        .filter(|p| p[0] == ground.r() && p[1] == ground.g() && p[2] == ground.b())
        .count();
    assert!(plain > (w * h / 3) as usize, "{plain} plain pixels");
}

#[test]
fn arkiv_exportera_bild_can_be_cancelled_from_the_status_bar() {
    use crate::gui_util::{app_on, demo, settle};
    use egui_kittest::kittest::Queryable as _;

    let dir = Dir::new();
    let project = demo(&dir, "600");
    let mut harness = app_on(project);
    settle(&mut harness);
    harness.get_by_label("Arkiv").click();
    harness.run_steps(2);
    harness.get_by_label("Exportera bild…").hover();
    harness.run_steps(2);
    // A4 at 300 dpi: long enough to cancel while it runs.
    harness.get_by_label("A4 liggande, 300 dpi").click();
    harness.run_steps(3);
    assert!(harness.state().is_exporting_image());
    // "Avbryt" in the status bar (the export window has one too).
    let cancel = harness
        .get_all_by_label("Avbryt")
        .next()
        .expect("a cancel button while exporting");
    cancel.click();
    let mut done = false;
    for _ in 0..3000 {
        harness.run_steps(1);
        if !harness.state().is_exporting_image() {
            done = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(done, "the export did not stop");
    harness.run_steps(2);
    harness.get_by_label("Exporten avbröts; ingen bild sparades.");
    let pngs = std::fs::read_dir(dir.root())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".png")
        })
        .count();
    assert_eq!(pngs, 0, "no picture written after a cancel");
}
