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
fn render_refuses_bad_sizes_tile_servers_and_missing_projects_with_a_reason() {
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
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("tile server"), "{:?}", text(&out));
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
    let (w, h, rgba) = read_png(&saved);
    // The map's size in the 1280 × 800 window (panels around it).
    assert!(w > 300 && w < 1280 && h > 300 && h < 800, "{w}×{h}");
    let distinct: std::collections::BTreeSet<[u8; 3]> =
        rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    assert!(distinct.len() > 100, "only {} colours", distinct.len());
}
