//! The analysis commands (`heatmap`, `hotspots`, `places`) through the
//! binary, their outputs read back by GDAL's own tools (`gdalinfo`,
//! `gdallocationinfo`, `ogrinfo`, `validate_gpkg.py`) and by serde_json, and
//! compared with the library run on the same incidents.

use std::path::{Path, PathBuf};
use std::process::Command;

use lagesbild::analysis::{
    HeatmapParams, HotspotParams, Hotspots, IncidentIndex, Kernel, analysis_points, heatmap,
    hotspots,
};
use lagesbild::jobs::CancelToken;
use lagesbild::model::{Category, Filter, HourRange};
use lagesbild::store::{Project, Store as _};
use serde_json::Value;

use crate::util::{
    Dir, assert_exit, assert_valid_gpkg, fixture, gdal_tool, ogrinfo_summary, run_cli_in, text,
};

const DEMO_COUNT: &str = "2000";

/// A small synthetic demo project in `dir`, without the study area the demo
/// keeps (these tests compare with the library on the incidents' own grid;
/// `--area` sets one where a test needs it).
fn demo(dir: &Dir) -> PathBuf {
    let out = run_cli_in(
        dir.root(),
        &[
            "demo",
            "--out",
            "demo.gpkg",
            "--count",
            DEMO_COUNT,
            "--seed",
            "11",
        ],
    );
    assert_exit(&out, 0);
    let mut project = Project::open(&dir.path("demo.gpkg")).unwrap();
    lagesbild::analysis::engine::forget_area(&mut project).unwrap();
    dir.path("demo.gpkg")
}

/// Runs the binary, expects success, returns stdout and stderr.
#[track_caller]
fn run_ok(dir: &Dir, args: &[&str]) -> (String, String) {
    let out = run_cli_in(dir.root(), args);
    assert_exit(&out, 0);
    text(&out)
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("valid JSON")
}

/// The library's analysis points for the demo project under `filter`.
fn library_xy(project: &Path, filter: &Filter, include_coarse: bool) -> (Vec<[f64; 2]>, usize) {
    let p = Project::open(project).unwrap();
    let points = p.incident_points(filter, &CancelToken::new()).unwrap();
    let index = IncidentIndex::build(points);
    let (xy, _, coarse) = analysis_points(&index, filter, include_coarse);
    (xy, coarse)
}

/// `Feature Count: N` from an ogrinfo summary.
fn ogr_count(summary: &str) -> usize {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in:\n{summary}"))
}

fn ogr_geometry(summary: &str) -> &str {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("Geometry: "))
        .unwrap_or_else(|| panic!("no geometry type in:\n{summary}"))
        .trim()
}

/// Twice the signed area of a ring of [lon, lat] positions.
fn signed_area2(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum()
}

fn check_position(p: &Value) {
    let a = p.as_array().expect("position array");
    assert_eq!(a.len(), 2, "{p}");
    let (lon, lat) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
    // Lon/lat order, around Sölvesborg.
    assert!(
        (14.0..15.5).contains(&lon) && (55.5..56.5).contains(&lat),
        "{p}"
    );
    for v in [lon, lat] {
        // serde_json prints the shortest text that reads back as v.
        let text = serde_json::to_string(&v).unwrap();
        let decimals = text.split('.').nth(1).map_or(0, str::len);
        assert!(decimals <= 7, "{text} has more than 7 decimals");
    }
}

fn check_polygon(rings: &Value) {
    let rings = rings.as_array().expect("rings");
    assert!(!rings.is_empty());
    for (i, ring) in rings.iter().enumerate() {
        let ring = ring.as_array().expect("ring");
        assert!(ring.len() >= 4);
        assert_eq!(ring.first(), ring.last(), "ring closed");
        ring.iter().for_each(check_position);
        let area = signed_area2(ring);
        if i == 0 {
            assert!(area > 0.0, "exterior ring must be counter-clockwise");
        } else {
            assert!(area < 0.0, "hole must be clockwise");
        }
    }
}

/// RFC 7946 as the issue asks, plus the provenance member; returns the features.
fn check_rfc7946(v: &Value) -> &Vec<Value> {
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v.get("crs").is_none(), "no crs member");
    let made_from = &v["lagesbild"]["made_from"];
    assert!(made_from.is_object(), "made_from foreign member");
    assert_eq!(made_from["synthetic"], true, "the demo is synthetic");
    assert!(made_from["filter"].is_string());
    assert!(made_from["parameters"]["analysis"].is_string());
    let period = made_from["period"].as_array().expect("period");
    assert_eq!(period.len(), 2);
    let features = v["features"].as_array().expect("features");
    for f in features {
        assert_eq!(f["type"], "Feature");
        let g = &f["geometry"];
        match g["type"].as_str().unwrap() {
            "Point" => check_position(&g["coordinates"]),
            "Polygon" => check_polygon(&g["coordinates"]),
            "MultiPolygon" => g["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .for_each(check_polygon),
            other => panic!("unexpected geometry {other}"),
        }
    }
    features
}

/// Runs a GDAL tool and returns its stdout, or `None` when it is missing.
fn gdal(tool: &str, args: &[&str]) -> Option<String> {
    let exe = gdal_tool(tool)?;
    let out = Command::new(exe)
        .args(args)
        .output()
        .expect("run GDAL tool");
    let (o, e) = text(&out);
    assert!(out.status.success(), "{tool} {args:?} failed:\n{o}\n{e}");
    Some(o)
}

/// Files left in `dir` whose names look like our temporary files.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn heatmap_geotiff_is_read_by_gdal_with_our_values() {
    let dir = Dir::new();
    let project = demo(&dir);
    let (stdout, stderr) = run_ok(
        &dir,
        &[
            "heatmap",
            "demo.gpkg",
            "--bandwidth",
            "250",
            "--cell",
            "50",
            "--out",
            "heat.tif",
        ],
    );
    assert!(stdout.contains("Wrote heat.tif"), "{stdout}");
    // The demo has coarse police events: left out with a note.
    let (xy, coarse) = library_xy(&project, &Filter::default(), false);
    assert!(coarse > 0);
    assert!(
        stderr.contains(&format!("{coarse} coarse incident(s)")),
        "{stderr}"
    );

    let params = HeatmapParams {
        bandwidth_m: 250.0,
        cell_m: Some(50.0),
        ..HeatmapParams::default()
    };
    let map = heatmap(&xy, &[], &params, &CancelToken::new()).unwrap();
    let g = &map.grid;
    let tif = dir.path("heat.tif");
    let tif_s = tif.to_str().unwrap();

    let Some(info) = gdal("gdalinfo", &["-json", "-stats", tif_s]) else {
        return;
    };
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["size"], serde_json::json!([g.nx, g.ny]));
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let top = g.y0 + g.ny as f64 * g.cell_m;
    let want = [g.x0, 50.0, 0.0, top, 0.0, -50.0];
    // The command projects with its own fast series, within 0.01 mm of the
    // library's projection; the grid's corner follows the incidents' box.
    for (a, b) in gt.iter().zip(want) {
        assert!((a - b).abs() < 1e-4, "geotransform {gt:?} vs {want:?}");
    }
    let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.trim_end().ends_with(r#"ID["EPSG",3006]]"#), "{wkt}");
    let band = &info["bands"][0];
    assert_eq!(band["type"], "Float32");
    assert_eq!(band["unit"], "incidents/km2");
    let (_, max) = g.min_max().unwrap();
    let gdal_max = band["maximum"].as_f64().unwrap();
    assert!((gdal_max - max).abs() <= max * 1e-6, "{gdal_max} vs {max}");
    let made_from: Value = serde_json::from_str(
        info["metadata"][""]["LAGESBILD_MADE_FROM"]
            .as_str()
            .expect("provenance in the GeoTIFF"),
    )
    .unwrap();
    assert_eq!(made_from["synthetic"], true);
    assert_eq!(made_from["incidents"], xy.len());
    assert_eq!(made_from["coarse_excluded"], coarse);

    // The value at the densest cell's centre, read by GDAL at its SWEREF
    // position, is ours and close to the exact kernel sum (incidents/km²).
    let best = (0..g.values.len())
        .max_by(|&a, &b| g.values[a].total_cmp(&g.values[b]))
        .unwrap();
    let (ix, iy) = (best % g.nx, best / g.nx);
    let [cx, cy] = g.cell_center(ix, iy);
    let (cx_s, cy_s) = (format!("{cx}"), format!("{cy}"));
    let v: f64 = gdal(
        "gdallocationinfo",
        &["-valonly", "-geoloc", tif_s, &cx_s, &cy_s],
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    assert!((v - g.get(ix, iy)).abs() <= g.get(ix, iy) * 1e-6, "{v}");
    let exact: f64 = xy
        .iter()
        .map(|p| {
            let d2 = (p[0] - cx).powi(2) + (p[1] - cy).powi(2);
            Kernel::Quartic.value_per_m2(250.0, d2) * 1e6
        })
        .sum();
    assert!(
        (v - exact).abs() <= exact * 0.02,
        "GDAL reads {v}, the exact kernel sum is {exact}"
    );
    // A point far outside the grid is outside the raster.
    assert!(temp_files(dir.root()).is_empty());
}

#[test]
fn heatmap_png_has_world_file_prj_and_crs_for_gdal() {
    let dir = Dir::new();
    demo(&dir);
    run_ok(
        &dir,
        &[
            "heatmap",
            "demo.gpkg",
            "--kernel",
            "gaussian",
            "--bandwidth",
            "150",
            "--cell",
            "40",
            "--out",
            "heat.png",
        ],
    );
    let prj = std::fs::read_to_string(dir.path("heat.prj")).unwrap();
    assert!(prj.starts_with(r#"PROJCS["SWEREF99_TM""#), "{prj}");
    let pgw = std::fs::read_to_string(dir.path("heat.pgw")).unwrap();
    let pgw: Vec<f64> = pgw.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(&pgw[..4], &[40.0, 0.0, 0.0, -40.0]);
    let Some(info) = gdal(
        "gdalinfo",
        &["-json", dir.path("heat.png").to_str().unwrap()],
    ) else {
        return;
    };
    let info: Value = serde_json::from_str(&info).unwrap();
    let files: Vec<&str> = info["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("heat.pgw")), "{files:?}");
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // The world file names the upper-left pixel's centre; GDAL's transform its corner.
    assert!((gt[0] - (pgw[4] - 20.0)).abs() < 1e-6, "{gt:?} {pgw:?}");
    assert!((gt[3] - (pgw[5] + 20.0)).abs() < 1e-6, "{gt:?} {pgw:?}");
    assert_eq!((gt[1], gt[5]), (40.0, -40.0));
    let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.trim_end().ends_with(r#"ID["EPSG",3006]]"#), "{wkt}");
    assert_eq!(info["bands"].as_array().unwrap().len(), 4, "RGBA");
    let made_from = info["metadata"][""]["LAGESBILD_MADE_FROM"]
        .as_str()
        .expect("provenance in the .aux.xml");
    assert!(made_from.contains(r#""kernel":"gaussian""#), "{made_from}");
}

#[test]
fn heatmap_classes_as_geojson_and_geopackage() {
    let dir = Dir::new();
    let project = demo(&dir);
    let (stdout, _) = run_ok(
        &dir,
        &[
            "heatmap",
            "demo.gpkg",
            "--category",
            "vald,narkotika",
            "--hours",
            "18-6",
            "--classes",
            "4",
            "--out",
            "heat.geojson",
        ],
    );
    assert!(stdout.contains("4 density class polygons"), "{stdout}");
    let filter = Filter {
        categories: Some([Category::Vald, Category::Narkotika].into()),
        hours: Some(HourRange::EVENINGS_AND_NIGHTS),
        ..Filter::default()
    };
    let (xy, coarse) = library_xy(&project, &filter, false);
    let v = read_json(&dir.path("heat.geojson"));
    let features = check_rfc7946(&v);
    assert_eq!(features.len(), 4);
    let made_from = &v["lagesbild"]["made_from"];
    assert_eq!(made_from["incidents"], xy.len());
    assert_eq!(made_from["coarse_excluded"], coarse);
    assert_eq!(made_from["filter"], filter.describe());
    assert_eq!(made_from["parameters"]["bandwidth_m"], 200.0);
    assert_eq!(made_from["parameters"]["cell_m"], 20.0);
    let mut last_max = 0.0;
    for (i, f) in features.iter().enumerate() {
        let p = &f["properties"];
        assert_eq!(p["class"], i + 1);
        let (min, max) = (p["min"].as_f64().unwrap(), p["max"].as_f64().unwrap());
        assert!(min < max && min >= last_max, "{p}");
        last_max = max;
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
    }
    if let Some(summary) = ogrinfo_summary(&dir.path("heat.geojson")) {
        assert_eq!(ogr_count(&summary), 4);
        assert_eq!(ogr_geometry(&summary), "Multi Polygon");
        for field in ["class: Integer", "min: Real", "max: Real"] {
            assert!(summary.contains(field), "{field} in\n{summary}");
        }
    }

    // The same classes into a GeoPackage; a second layer needs another name.
    run_ok(
        &dir,
        &[
            "heatmap",
            "demo.gpkg",
            "--classes",
            "3",
            "--out",
            "out.gpkg",
        ],
    );
    let out = run_cli_in(
        dir.root(),
        &[
            "heatmap",
            "demo.gpkg",
            "--classes",
            "3",
            "--out",
            "out.gpkg",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("--layer"), "{}", text(&out).1);
    run_ok(
        &dir,
        &[
            "heatmap",
            "demo.gpkg",
            "--kernel",
            "gaussian",
            "--out",
            "out.gpkg",
            "--layer",
            "heat_gauss",
        ],
    );
    assert_valid_gpkg(&dir.path("out.gpkg"));
    if let Some(summary) = ogrinfo_summary(&dir.path("out.gpkg")) {
        assert!(summary.contains("Layer name: heatmap"), "{summary}");
        assert!(summary.contains("Layer name: heat_gauss"), "{summary}");
        assert!(summary.contains("Feature Count: 3"), "{summary}");
        assert!(summary.contains("Feature Count: 5"), "{summary}");
        assert!(summary.contains(r#"ID["EPSG",3006]"#), "{summary}");
    }
}

/// The hotspot cell (ix, iy) of a feature.
fn cell_of(f: &Value) -> (usize, usize) {
    let p = &f["properties"];
    (
        p["ix"].as_u64().unwrap() as usize,
        p["iy"].as_u64().unwrap() as usize,
    )
}

fn check_hotspot_features(features: &[Value], h: &Hotspots, min_count: u32) {
    for f in features {
        let (ix, iy) = cell_of(f);
        let cell = &h.cells[iy * h.nx + ix];
        let p = &f["properties"];
        assert_eq!(p["class"], cell.class.key(), "{p}");
        if cell.count >= min_count {
            assert_eq!(p["count"], cell.count);
            assert!((p["z"].as_f64().unwrap() - cell.z).abs() < 1e-9);
            assert!((p["p"].as_f64().unwrap() - cell.p).abs() < 1e-12);
        } else {
            for hidden in ["count", "z", "p"] {
                assert!(p.get(hidden).is_none(), "{hidden} of a small cell: {p}");
            }
        }
        assert_eq!(f["geometry"]["type"], "Polygon");
    }
}

#[test]
fn hotspots_geojson_match_the_library_and_hide_small_cells() {
    let dir = Dir::new();
    let project = demo(&dir);
    let (stdout, _) = run_ok(&dir, &["hotspots", "demo.gpkg", "--out", "hot.geojson"]);
    let (xy, _) = library_xy(&project, &Filter::default(), false);
    let h = hotspots(&xy, &HotspotParams::default(), &CancelToken::new()).unwrap();
    let significant = h.cells.iter().filter(|c| c.class.is_significant()).count();
    assert!(significant > 0);
    assert!(
        stdout.contains(&format!("Wrote hot.geojson (GeoJSON, {significant} cells)")),
        "{stdout}"
    );
    let v = read_json(&dir.path("hot.geojson"));
    let features = check_rfc7946(&v);
    assert_eq!(features.len(), significant);
    check_hotspot_features(features, &h, 3);
    let made_from = &v["lagesbild"]["made_from"];
    assert_eq!(made_from["incidents"], h.incidents_used);
    assert_eq!(made_from["parameters"]["fdr"], true);
    assert_eq!(made_from["parameters"]["grid"]["nx"], h.nx);
    if let Some(summary) = ogrinfo_summary(&dir.path("hot.geojson")) {
        assert_eq!(ogr_count(&summary), significant);
        assert_eq!(ogr_geometry(&summary), "Polygon");
        for field in [
            "ix: Integer",
            "iy: Integer",
            "count: Integer",
            "z: Real",
            "p: Real",
            "class: String",
        ] {
            assert!(summary.contains(field), "{field} in\n{summary}");
        }
    }

    // Every cell, no FDR, a higher min-count: small cells keep only their class.
    run_ok(
        &dir,
        &[
            "hotspots",
            "demo.gpkg",
            "--all-cells",
            "--no-fdr",
            "--min-count",
            "6",
            "--cell",
            "200",
            "--band",
            "500",
            "--out",
            "all.geojson",
        ],
    );
    let params = HotspotParams {
        cell_m: 200.0,
        band_m: 500.0,
        fdr: false,
        study_area: None,
    };
    let h = hotspots(&xy, &params, &CancelToken::new()).unwrap();
    let v = read_json(&dir.path("all.geojson"));
    let features = check_rfc7946(&v);
    assert_eq!(features.len(), h.nx * h.ny);
    check_hotspot_features(features, &h, 6);
    let hidden = features
        .iter()
        .filter(|f| f["properties"].get("count").is_none())
        .count();
    let small = h.cells.iter().filter(|c| c.count < 6).count();
    assert_eq!(hidden, small);
    assert!(hidden > 0 && hidden < features.len());
    if let Some(summary) = ogrinfo_summary(&dir.path("all.geojson")) {
        assert_eq!(ogr_count(&summary), h.nx * h.ny);
    }
}

#[test]
fn hotspots_study_area_is_kept_in_the_project() {
    let dir = Dir::new();
    let project = demo(&dir);
    let area = fixture("export/area_sweref.geojson");
    let (_, stderr) = run_ok(
        &dir,
        &[
            "hotspots",
            "demo.gpkg",
            "--area",
            area.to_str().unwrap(),
            "--all-cells",
            "--out",
            "a.gpkg",
        ],
    );
    assert!(stderr.contains("kept in the project"), "{stderr}");
    assert!(
        stderr.contains("outside the study area left out"),
        "{stderr}"
    );
    assert_valid_gpkg(&dir.path("a.gpkg"));
    // The grid follows the area's box: 470050 → 470000, 6205020 → 6205000;
    // 481930 and 6217980 fall in cells 119 and 129. Only cells whose centre
    // lies inside take part: the area's west and south edges run through the
    // first column's and row's centres, which may fall either side after the
    // file's round trip through WGS 84.
    let (xy, _) = library_xy(&project, &Filter::default(), false);
    let area = lagesbild::analysis::inputs::read_area(&area).unwrap();
    let params = HotspotParams {
        study_area: Some(area),
        ..HotspotParams::default()
    };
    let h = hotspots(&xy, &params, &CancelToken::new()).unwrap();
    assert_eq!((h.x0, h.y0, h.nx, h.ny), (470_000.0, 6_205_000.0, 120, 130));
    // Column 119's centres (481950) lie east of the area: 118 or 119 columns.
    assert!(
        (118 * 130..=119 * 130).contains(&h.cells.len()),
        "{}",
        h.cells.len()
    );
    assert!(h.outside_area > 0);
    // What it was made from is the layer's description.
    let conn = rusqlite::Connection::open(dir.path("a.gpkg")).unwrap();
    let description: String = conn
        .query_row(
            "SELECT description FROM gpkg_contents WHERE table_name = 'hotspots'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let description: Value = serde_json::from_str(&description).unwrap();
    let made_from = &description["made_from"];
    assert_eq!(made_from["synthetic"], true);
    assert_eq!(made_from["incidents"], h.incidents_used);
    let min = &made_from["parameters"]["study_area"]["min"];
    assert!((min[0].as_f64().unwrap() - 470_050.0).abs() < 0.01, "{min}");
    assert!(
        (min[1].as_f64().unwrap() - 6_205_020.0).abs() < 0.01,
        "{min}"
    );
    assert_eq!(made_from["parameters"]["outside_area"], h.outside_area);
    drop(conn);
    if let Some(summary) = ogrinfo_summary(&dir.path("a.gpkg")) {
        assert_eq!(ogr_count(&summary), h.cells.len());
        // The layer's extent is that of the cells taking part.
        let x1 = h.cells.iter().map(|c| c.ix).max().unwrap() as f64 * 100.0 + 470_100.0;
        let y1 = h.cells.iter().map(|c| c.iy).max().unwrap() as f64 * 100.0 + 6_205_100.0;
        assert!(
            summary.contains(&format!(" - ({x1:.6}, {y1:.6})")),
            "{x1} {y1}: {summary}"
        );
    }

    // A later run without --area uses the kept one, whatever the filter.
    let (_, stderr) = run_ok(
        &dir,
        &[
            "hotspots",
            "demo.gpkg",
            "--category",
            "skadegorelse",
            "--out",
            "b.geojson",
        ],
    );
    assert!(
        stderr.contains("Using the study area kept in the project (from area_sweref.geojson"),
        "{stderr}"
    );
    let v = read_json(&dir.path("b.geojson"));
    let grid = &v["lagesbild"]["made_from"]["parameters"]["grid"];
    assert_eq!(
        (&grid["x0"], &grid["y0"], &grid["nx"], &grid["ny"]),
        (
            &Value::from(470_000.0),
            &Value::from(6_205_000.0),
            &Value::from(120),
            &Value::from(130)
        )
    );
    // --no-area ignores it: the grid is the incidents' own box again.
    let (_, stderr) = run_ok(
        &dir,
        &["hotspots", "demo.gpkg", "--no-area", "--out", "c.geojson"],
    );
    assert!(!stderr.contains("study area"), "{stderr}");
    let v = read_json(&dir.path("c.geojson"));
    let h = hotspots(&xy, &HotspotParams::default(), &CancelToken::new()).unwrap();
    assert_eq!(
        v["lagesbild"]["made_from"]["parameters"]["grid"]["nx"],
        h.nx
    );
    assert_eq!(
        v["lagesbild"]["made_from"]["parameters"]["study_area"],
        Value::Null
    );
}

#[test]
fn places_json_summary_layer_and_default_evening_window() {
    let dir = Dir::new();
    demo(&dir);
    let out = run_cli_in(
        dir.root(),
        &[
            "places",
            "demo.gpkg",
            "--hosts",
            "4",
            "--radius",
            "250",
            "--json",
            "--out",
            "places.geojson",
        ],
    );
    assert_exit(&out, 0);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("Time window 18-6"), "{stderr}");
    // Nothing but the JSON on stdout.
    let s: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON value");
    let (covered, total, bound) = (
        s["covered"].as_f64().unwrap(),
        s["total"].as_f64().unwrap(),
        s["upper_bound"].as_f64().unwrap(),
    );
    assert!(covered > 0.0 && covered <= bound && bound <= total, "{s}");
    assert!((s["share"].as_f64().unwrap() - covered / total).abs() < 1e-12);
    let ratio = s["optimality_ratio"].as_f64().unwrap();
    assert!((ratio - covered / bound).abs() < 1e-12 && ratio <= 1.0);
    assert_eq!(s["filter"], "hours 18-6");
    assert_eq!(s["synthetic"], true);
    let list = s["places"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    let gains: f64 = list.iter().map(|p| p["gain"].as_f64().unwrap()).sum();
    assert!(
        (gains - covered).abs() < 1e-9,
        "gains add up to the coverage"
    );

    let v = read_json(&dir.path("places.geojson"));
    let features = check_rfc7946(&v);
    assert_eq!(features.len(), 4);
    for (i, f) in features.iter().enumerate() {
        let p = &f["properties"];
        assert_eq!(p["rank"], i + 1);
        assert_eq!(p["covered"], list[i]["covered"]);
        assert_eq!(p["gain"], list[i]["gain"]);
        assert!(p["share"].as_f64().unwrap() > 0.0);
        assert_eq!(f["geometry"]["coordinates"][0], list[i]["lon"]);
        assert_eq!(f["geometry"]["coordinates"][1], list[i]["lat"]);
    }
    let made_from = &v["lagesbild"]["made_from"];
    assert_eq!(made_from["filter"], "hours 18-6");
    assert_eq!(made_from["parameters"]["upper_bound"], s["upper_bound"]);
    if let Some(summary) = ogrinfo_summary(&dir.path("places.geojson")) {
        assert_eq!(ogr_count(&summary), 4);
        assert_eq!(ogr_geometry(&summary), "Point");
        for field in [
            "rank: Integer",
            "covered: Real",
            "gain: Real",
            "share: Real",
        ] {
            assert!(summary.contains(field), "{field} in\n{summary}");
        }
    }

    // The whole day holds more incidents; text output names the bound.
    let (stdout, _) = run_ok(
        &dir,
        &[
            "places",
            "demo.gpkg",
            "--hours",
            "0-24",
            "--include-coarse",
            "--out",
            "day.gpkg",
        ],
    );
    assert!(stdout.contains("upper bound on the optimum"), "{stdout}");
    assert!(
        stdout.contains("Wrote day.gpkg (GeoPackage, 6 places)"),
        "{stdout}"
    );
    assert_valid_gpkg(&dir.path("day.gpkg"));
    if let Some(summary) = ogrinfo_summary(&dir.path("day.gpkg")) {
        assert_eq!(ogr_count(&summary), 6);
        assert_eq!(ogr_geometry(&summary), "Point");
    }
}

#[test]
fn places_from_named_candidates() {
    let dir = Dir::new();
    demo(&dir);
    let candidates = fixture("export/candidates.geojson");
    let out = run_cli_in(
        dir.root(),
        &[
            "places",
            "demo.gpkg",
            "--hosts",
            "3",
            "--candidates",
            candidates.to_str().unwrap(),
            "--json",
            "--out",
            "named.geojson",
        ],
    );
    assert_exit(&out, 0);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = s["places"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"Stortorget"), "{names:?}");
    assert!(names.contains(&"Stationen"), "{names:?}");
    let v = read_json(&dir.path("named.geojson"));
    let features = check_rfc7946(&v);
    assert_eq!(features.len(), 3);
    for f in features {
        let name = f["properties"]["name"].as_str();
        if let Some(n) = name {
            assert!(names.contains(&n));
        }
    }
    // A named place keeps its own position (to 1e-7°).
    let stortorget = features
        .iter()
        .find(|f| f["properties"]["name"] == "Stortorget")
        .unwrap();
    assert_eq!(
        stortorget["geometry"]["coordinates"],
        serde_json::json!([14.5801768, 56.0493356])
    );
    assert_eq!(
        v["lagesbild"]["made_from"]["parameters"]["candidates"],
        "candidates.geojson"
    );
}

#[test]
fn bad_outputs_and_inputs_are_refused_without_writing() {
    let dir = Dir::new();
    demo(&dir);
    let expect_refusal = |args: &[&str], out_file: &str, wanted: &[&str]| {
        let out = run_cli_in(dir.root(), args);
        assert_exit(&out, 2);
        let (stdout, stderr) = text(&out);
        assert!(stdout.is_empty(), "{stdout}");
        for w in wanted {
            assert!(stderr.contains(w), "{w:?} in {stderr}");
        }
        assert!(
            !dir.path(out_file).exists(),
            "{out_file} must not be written"
        );
    };
    expect_refusal(
        &["heatmap", "demo.gpkg", "--out", "heat.shp"],
        "heat.shp",
        &["--out heat.shp", ".tif, .png, .geojson, .gpkg"],
    );
    expect_refusal(
        &["hotspots", "demo.gpkg", "--out", "hot.tif"],
        "hot.tif",
        &["hotspots writes .geojson, .gpkg"],
    );
    expect_refusal(
        &["places", "demo.gpkg", "--out", "places"],
        "places",
        &["the extension picks the format"],
    );
    let line = fixture("export/area_line.geojson");
    expect_refusal(
        &[
            "hotspots",
            "demo.gpkg",
            "--area",
            line.to_str().unwrap(),
            "--out",
            "h.geojson",
        ],
        "h.geojson",
        &["area_line.geojson: feature 1: geometry type LineString is not an area"],
    );
    let truncated = fixture("export/area_truncated.geojson");
    expect_refusal(
        &[
            "hotspots",
            "demo.gpkg",
            "--area",
            truncated.to_str().unwrap(),
            "--out",
            "h.geojson",
        ],
        "h.geojson",
        &["area_truncated.geojson:1", "JSON"],
    );
    expect_refusal(
        &[
            "hotspots",
            "demo.gpkg",
            "--area",
            "missing.geojson",
            "--out",
            "h.geojson",
        ],
        "h.geojson",
        &["missing.geojson"],
    );
    let bad = fixture("export/candidates_bad.geojson");
    expect_refusal(
        &[
            "places",
            "demo.gpkg",
            "--candidates",
            bad.to_str().unwrap(),
            "--out",
            "p.geojson",
        ],
        "p.geojson",
        &["candidates_bad.geojson: feature 2: geometry type LineString is not a place"],
    );
    expect_refusal(
        &["heatmap", "demo.gpkg", "--bandwidth=-5", "--out", "h.tif"],
        "h.tif",
        &["--bandwidth -5: must be a positive number of metres"],
    );
    expect_refusal(
        &["heatmap", "nope.gpkg", "--out", "h.tif"],
        "h.tif",
        &["nope.gpkg: no such project file"],
    );
    // A bad area is not kept: the next run has no study area.
    let (_, stderr) = run_ok(&dir, &["hotspots", "demo.gpkg", "--out", "ok.geojson"]);
    assert!(!stderr.contains("study area"), "{stderr}");

    // A filter matching nothing: exit 1, nothing written.
    let out = run_cli_in(
        dir.root(),
        &[
            "heatmap",
            "demo.gpkg",
            "--from",
            "2030-01-01",
            "--out",
            "none.tif",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        text(&out).1.contains("No incidents to analyse"),
        "{}",
        text(&out).1
    );
    assert!(!dir.path("none.tif").exists());
    assert!(
        temp_files(dir.root()).is_empty(),
        "{:?}",
        temp_files(dir.root())
    );
}

#[test]
fn include_coarse_keeps_the_coarse_incidents() {
    let dir = Dir::new();
    let project = demo(&dir);
    let (_, stderr) = run_ok(
        &dir,
        &[
            "hotspots",
            "demo.gpkg",
            "--include-coarse",
            "--out",
            "h.geojson",
        ],
    );
    assert!(!stderr.contains("coarse"), "{stderr}");
    let (xy, coarse) = library_xy(&project, &Filter::default(), true);
    assert_eq!(coarse, 0);
    let v = read_json(&dir.path("h.geojson"));
    assert_eq!(v["lagesbild"]["made_from"]["incidents"], xy.len());
    assert_eq!(v["lagesbild"]["made_from"]["coarse_excluded"], 0);
    assert_eq!(xy.len(), DEMO_COUNT.parse::<usize>().unwrap());
}
