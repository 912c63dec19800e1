//! Map layers as GeoPackage feature tables: `lagesbild layer add|list|remove`,
//! the GeoPackage blobs of every geometry type (read and written by GDAL),
//! and the migration of old projects' JSON layers.

use std::path::{Path, PathBuf};
use std::process::Command;

use geo::{Area as _, Geometry, MapCoords as _};
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::model::LonLat;
use lagesbild::model::shape::{Feature, FeatureSet};
use lagesbild::store::gpkg::layers::read_gpkg_file;
use lagesbild::store::{Project, Store as _};
use serde_json::{Value, json};

use crate::util::{self, Dir, assert_exit, assert_valid_gpkg, gdal_tool, run_cli_in, text};

/// A place in Sölvesborg the other map tests use as their centre.
const CENTER: LonLat = LonLat {
    lon: 14.58,
    lat: 56.05,
};

/// WGS 84 [lon, lat] of the point `de`, `dn` metres east and north of CENTER.
fn at(de: f64, dn: f64) -> [f64; 2] {
    let c = sweref_from_wgs84(CENTER);
    let p = wgs84_from_sweref(Sweref99Tm {
        easting: c.easting + de,
        northing: c.northing + dn,
    });
    [p.lon, p.lat]
}

/// A closed ring of the rectangle `w` × `h` metres with lower-left corner
/// (`de`, `dn`), counter-clockwise.
fn rect(de: f64, dn: f64, w: f64, h: f64) -> Vec<[f64; 2]> {
    vec![
        at(de, dn),
        at(de + w, dn),
        at(de + w, dn + h),
        at(de, dn + h),
        at(de, dn),
    ]
}

/// One GeoJSON geometry of every type, by type name.
fn every_geometry() -> Vec<(&'static str, Value)> {
    let line = vec![at(0.0, 0.0), at(300.0, 120.0), at(650.0, -40.0)];
    let holed = vec![
        rect(0.0, 0.0, 1000.0, 500.0),
        rect(200.0, 100.0, 100.0, 100.0),
    ];
    vec![
        (
            "Point",
            json!({"type": "Point", "coordinates": at(10.0, 20.0)}),
        ),
        (
            "LineString",
            json!({"type": "LineString", "coordinates": line}),
        ),
        ("Polygon", json!({"type": "Polygon", "coordinates": holed})),
        (
            "MultiPoint",
            json!({"type": "MultiPoint", "coordinates": [at(0.0, 0.0), at(50.0, 80.0)]}),
        ),
        (
            "MultiLineString",
            json!({"type": "MultiLineString", "coordinates": [line, [at(5.0, 5.0), at(9.0, 900.0)]]}),
        ),
        (
            "MultiPolygon",
            json!({"type": "MultiPolygon", "coordinates": [holed, [rect(2000.0, 0.0, 300.0, 300.0)]]}),
        ),
        (
            "GeometryCollection",
            json!({"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": at(1.0, 2.0)},
                {"type": "LineString", "coordinates": [at(0.0, 0.0), at(10.0, 10.0)]},
            ]}),
        ),
    ]
}

fn feature_collection(features: Vec<Value>) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// The `geo` form of a GeoJSON geometry value.
fn geo_of(value: &Value) -> Geometry<f64> {
    let g: geojson::Geometry = serde_json::from_value(value.clone()).unwrap();
    Geometry::<f64>::try_from(g).unwrap()
}

/// Asserts two geometries have the same structure and coordinates within `eps`.
#[track_caller]
fn assert_close(a: &Geometry<f64>, b: &Geometry<f64>, eps: f64) {
    use geo::CoordsIter as _;
    assert_eq!(
        std::mem::discriminant(a),
        std::mem::discriminant(b),
        "{a:?} vs {b:?}"
    );
    let (ca, cb): (Vec<_>, Vec<_>) = (a.coords_iter().collect(), b.coords_iter().collect());
    assert_eq!(ca.len(), cb.len(), "{a:?} vs {b:?}");
    for (p, q) in ca.iter().zip(&cb) {
        assert!(
            (p.x - q.x).abs() <= eps && (p.y - q.y).abs() <= eps,
            "{p:?} vs {q:?}"
        );
    }
}

fn run_ok(program: &Path, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("run GDAL tool");
    let (o, e) = text(&out);
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{o}\n{e}",
        program.display()
    );
    o
}

fn new_project(dir: &Dir) -> PathBuf {
    let path = dir.path("p.gpkg");
    Project::create(&path, "Test").unwrap();
    path
}

fn cli(dir: &Dir, args: &[&str]) -> std::process::Output {
    run_cli_in(dir.root(), args)
}

/// The names of the project's map layers, bottom first.
pub fn layer_names(path: &Path) -> Vec<String> {
    Project::open(path)
        .unwrap()
        .layers()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect()
}

/// The layer `name` of `gpkg` as GDAL reads it (`ogr2ogr -f GeoJSON` with
/// `options`), as GeoJSON features.
fn gdal_features(gpkg: &Path, name: &str, options: &[&str], dir: &Dir) -> Option<Vec<Value>> {
    let ogr2ogr = gdal_tool("ogr2ogr")?;
    let out = dir.path(&format!("gdal-{}.geojson", name.replace(' ', "_")));
    let _ = std::fs::remove_file(&out);
    let mut args = vec!["-f", "GeoJSON"];
    args.extend_from_slice(options);
    args.extend([out.to_str().unwrap(), gpkg.to_str().unwrap(), name]);
    run_ok(&ogr2ogr, &args);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    Some(v["features"].as_array().unwrap().clone())
}

/// The layer `name` of `gpkg` as GDAL reads it, reprojected by GDAL to
/// SWEREF 99 TM.
fn gdal_features_3006(gpkg: &Path, name: &str, dir: &Dir) -> Option<Vec<Value>> {
    gdal_features(gpkg, name, &["-t_srs", "EPSG:3006"], dir)
}

#[test]
fn a_layer_added_by_the_cli_is_read_back_by_gdal_with_attributes_and_areas() {
    let dir = Dir::new();
    let project = new_project(&dir);
    let holed = vec![
        rect(0.0, 0.0, 1000.0, 500.0),
        rect(200.0, 100.0, 100.0, 100.0),
    ];
    dir.write(
        "trygghetsområden.geojson",
        feature_collection(vec![
            json!({"type": "Feature",
                   "properties": {"namn": "Centrum", "nr": 1, "andel": 0.25, "aktiv": true,
                                  "extra": {"kontakt": "A"}, "geom": "x"},
                   "geometry": {"type": "Polygon", "coordinates": holed}}),
            json!({"type": "Feature",
                   "properties": {"namn": "Hamnen", "nr": 2, "andel": 1, "aktiv": false},
                   "geometry": {"type": "Polygon", "coordinates": [rect(1500.0, 0.0, 200.0, 300.0)]}}),
        ]),
    );
    let out = cli(
        &dir,
        &["layer", "add", "p.gpkg", "trygghetsområden.geojson"],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out)
            .0
            .contains("added layer \"trygghetsområden\": 2 feature(s)")
    );

    // Our own reading: typed columns, nested values as JSON text, clean names.
    let store = Project::open(&project).unwrap();
    let info = &store.layers().unwrap()[0];
    assert_eq!(info.name, "trygghetsområden");
    assert_eq!(info.geometry_type, "POLYGON");
    assert_eq!(info.feature_count, 2);
    // In key order (serde_json's map sorts), `geom` renamed.
    assert_eq!(
        info.columns,
        ["aktiv", "andel", "extra", "geom_2", "namn", "nr"]
    );
    let back = store.layer_features("trygghetsområden").unwrap().unwrap();
    assert_eq!(
        back.features[0].properties["extra"],
        json!("{\"kontakt\":\"A\"}")
    );
    assert_eq!(back.features[1].properties["aktiv"], json!(false));
    assert_eq!(back.features[1].properties["andel"], json!(1.0));
    drop(store);

    assert_valid_gpkg(&project);
    let Some(summary) = util::ogrinfo_summary(&project) else {
        return;
    };
    assert!(
        summary.contains("Layer name: trygghetsområden"),
        "{summary}"
    );
    assert!(summary.contains("Geometry: Polygon"), "{summary}");
    assert!(summary.contains("Feature Count: 2"), "{summary}");
    for field in [
        "namn: String",
        "nr: Integer64",
        "andel: Real",
        "aktiv: Integer(Boolean)",
        "extra: String",
    ] {
        assert!(summary.contains(field), "{field}: {summary}");
    }

    // GDAL's reading, reprojected by GDAL: attributes and areas in m².
    let features = gdal_features_3006(&project, "trygghetsområden", &dir).unwrap();
    assert_eq!(features.len(), 2);
    assert_eq!(features[0]["properties"]["namn"], "Centrum");
    assert_eq!(features[0]["properties"]["nr"], 1);
    assert_eq!(features[0]["properties"]["andel"], 0.25);
    assert_eq!(features[0]["properties"]["aktiv"], true);
    assert_eq!(features[1]["properties"]["namn"], "Hamnen");
    let area = |f: &Value| geo_of(&f["geometry"]).unsigned_area();
    // 1000 × 500 less the 100 × 100 hole; 200 × 300. GDAL's PROJ and our
    // projection agree to the millimetre, so the areas to well under 1 m².
    assert!(
        (area(&features[0]) - 490_000.0).abs() < 1.0,
        "{}",
        area(&features[0])
    );
    assert!(
        (area(&features[1]) - 60_000.0).abs() < 1.0,
        "{}",
        area(&features[1])
    );

    // GDAL's SQL answers the same area (SpatiaLite's ST_Area after ST_Transform).
    let Some(ogrinfo) = gdal_tool("ogrinfo") else {
        return;
    };
    let sql = run_ok(
        &ogrinfo,
        &[
            "-ro",
            "-q",
            "-dialect",
            "SQLite",
            "-sql",
            "SELECT namn, ST_Area(ST_Transform(geom, 3006)) AS area_m2 FROM \"trygghetsområden\" ORDER BY nr",
            project.to_str().unwrap(),
        ],
    );
    let areas: Vec<f64> = sql
        .lines()
        .filter_map(|l| l.trim().strip_prefix("area_m2 (Real) = "))
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert_eq!(areas.len(), 2, "{sql}");
    assert!((areas[0] - 490_000.0).abs() < 1.0, "{sql}");
    assert!((areas[1] - 60_000.0).abs() < 1.0, "{sql}");
}

#[test]
fn layers_are_listed_replaced_keeping_their_style_and_removed_by_exact_name() {
    let dir = Dir::new();
    let project = new_project(&dir);
    let point = |de: f64| {
        feature_collection(vec![json!({"type": "Feature", "properties": {"namn": "a"},
            "geometry": {"type": "Point", "coordinates": at(de, 0.0)}})])
    };
    dir.write("a.geojson", point(0.0));
    dir.write("b.geojson", point(10.0));
    assert_exit(&cli(&dir, &["layer", "add", "p.gpkg", "a.geojson"]), 0);
    assert_exit(
        &cli(
            &dir,
            &["layer", "add", "p.gpkg", "b.geojson", "--name", "Gränsen"],
        ),
        0,
    );
    let mut store = Project::open(&project).unwrap();
    let mut style = store.layers().unwrap()[0].style;
    style.visible = false;
    style.opacity = 0.5;
    assert!(store.set_layer_style("a", &style).unwrap());
    drop(store);

    dir.write("a.geojson", point(500.0));
    let out = cli(&dir, &["layer", "add", "p.gpkg", "a.geojson"]);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("replaced layer \"a\""));
    let store = Project::open(&project).unwrap();
    let layers = store.layers().unwrap();
    assert_eq!(
        layers.iter().map(|l| &l.name).collect::<Vec<_>>(),
        ["a", "Gränsen"]
    );
    assert_eq!(
        layers[0].style, style,
        "replacing keeps the style and order"
    );
    assert_ne!(layers[0].style.color, layers[1].style.color);
    let a = store.layer_features("a").unwrap().unwrap();
    assert_close(
        &a.features[0].geometry,
        &geo::Point::from(at(500.0, 0.0)).into(),
        1e-12,
    );
    drop(store);

    let out = cli(&dir, &["layer", "list", "p.gpkg", "--json"]);
    assert_exit(&out, 0);
    let listed: Value = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(listed[0]["name"], "a");
    assert_eq!(listed[0]["visible"], false);
    assert_eq!(listed[1]["name"], "Gränsen");
    assert_eq!(listed[1]["features"], 1);

    // Exact names only.
    let out = cli(&dir, &["layer", "remove", "p.gpkg", "gränsen"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).1.contains("no map layer named \"gränsen\""),
        "{:?}",
        text(&out)
    );
    assert_exit(&cli(&dir, &["layer", "remove", "p.gpkg", "Gränsen"]), 0);
    assert_eq!(layer_names(&project), ["a"]);
    assert_valid_gpkg(&project);
    if let Some(summary) = util::ogrinfo_summary(&project) {
        assert!(!summary.contains("Gränsen"), "{summary}");
    }
}

#[test]
fn a_bad_file_leaves_the_project_unchanged_and_says_where() {
    let dir = Dir::new();
    let project = new_project(&dir);
    dir.write(
        "ok.geojson",
        feature_collection(vec![json!({"type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": at(0.0, 0.0)}})]),
    );
    assert_exit(&cli(&dir, &["layer", "add", "p.gpkg", "ok.geojson"]), 0);
    let before = std::fs::read(&project).unwrap();

    dir.write(
        "broken.geojson",
        "{\"type\": \"FeatureCollection\",\n \"features\": [\n {\"type\": oops}]}",
    );
    let out = cli(&dir, &["layer", "add", "p.gpkg", "broken.geojson"]);
    assert_exit(&out, 2);
    let err = text(&out).1;
    assert!(err.contains("broken.geojson:3"), "{err}");

    let out = cli(
        &dir,
        &[
            "layer",
            "add",
            "p.gpkg",
            "ok.geojson",
            "--name",
            "incidents",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("reserved"), "{:?}", text(&out));

    // SWEREF 99 TM metres in a file that says nothing of its CRS.
    dir.write(
        "metres.geojson",
        feature_collection(vec![json!({"type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": [500_000.0, 6_200_000.0]}})]),
    );
    let out = cli(&dir, &["layer", "add", "p.gpkg", "metres.geojson"]);
    assert_exit(&out, 2);
    assert_eq!(
        std::fs::read(&project).unwrap(),
        before,
        "project unchanged"
    );
    assert_eq!(layer_names(&project), ["ok"]);
}

/// Converts one GeoJSON file per geometry type into one GeoPackage with
/// `ogr2ogr -f GPKG`, one table per type.
fn gdal_gpkg_of_every_type(dir: &Dir) -> Option<(PathBuf, Vec<(&'static str, Value)>)> {
    let ogr2ogr = gdal_tool("ogr2ogr")?;
    let gpkg = dir.path("gdal.gpkg");
    let geometries = every_geometry();
    for (i, (ty, g)) in geometries.iter().enumerate() {
        let src = dir.write(
            &format!("{ty}.geojson"),
            feature_collection(vec![
                json!({"type": "Feature", "properties": {"namn": *ty, "n": i}, "geometry": g}),
            ]),
        );
        let mut args = vec!["-f", "GPKG"];
        if i > 0 {
            args.push("-update");
        }
        let table = ty.to_lowercase();
        args.extend([
            "-nln",
            &table,
            gpkg.to_str().unwrap(),
            src.to_str().unwrap(),
        ]);
        run_ok(&ogr2ogr, &args);
    }
    Some((gpkg, geometries))
}

#[test]
fn layers_ogr2ogr_wrote_are_read_by_our_decoder_with_the_same_coordinates() {
    let dir = Dir::new();
    let Some((gpkg, geometries)) = gdal_gpkg_of_every_type(&dir) else {
        return;
    };
    let sets = read_gpkg_file(&gpkg, None).unwrap();
    assert_eq!(sets.len(), geometries.len());
    for (ty, g) in &geometries {
        let set: &FeatureSet = sets.iter().find(|s| s.name == ty.to_lowercase()).unwrap();
        assert_eq!(set.features.len(), 1, "{ty}");
        assert_close(&set.features[0].geometry, &geo_of(g), 1e-12);
        assert_eq!(set.features[0].properties["namn"], json!(ty));
    }
    // One table by name, and a missing one named in the error.
    let one = read_gpkg_file(&gpkg, Some("polygon")).unwrap();
    assert_eq!(one.len(), 1);
    let err = read_gpkg_file(&gpkg, Some("nope")).unwrap_err().to_string();
    assert!(
        err.contains("no feature table \"nope\"") && err.contains("\"polygon\""),
        "{err}"
    );

    // A table in SWEREF 99 TM (as a Swedish GIS unit hands it over) is
    // converted to WGS 84: PROJ and our projection agree to the millimetre.
    let sweref = dir.path("sweref.gpkg");
    let ogr2ogr = gdal_tool("ogr2ogr").unwrap();
    let polygon_file = dir.path("Polygon.geojson");
    run_ok(
        &ogr2ogr,
        &[
            "-f",
            "GPKG",
            "-t_srs",
            "EPSG:3006",
            "-nln",
            "omraden",
            sweref.to_str().unwrap(),
            polygon_file.to_str().unwrap(),
        ],
    );
    let converted = read_gpkg_file(&sweref, None).unwrap();
    let polygon = &geometries.iter().find(|(t, _)| *t == "Polygon").unwrap().1;
    assert_close(&converted[0].features[0].geometry, &geo_of(polygon), 1e-7);

    // And through the CLI: every table becomes a layer, GDAL reads them back.
    let project = new_project(&dir);
    assert_exit(&cli(&dir, &["layer", "add", "p.gpkg", "gdal.gpkg"]), 0);
    assert_eq!(layer_names(&project).len(), geometries.len());
    assert_valid_gpkg(&project);
}

#[test]
fn blobs_of_every_type_we_write_are_read_by_gdal() {
    let dir = Dir::new();
    let project = new_project(&dir);
    let geometries = every_geometry();
    // Through the store, so that a GeometryCollection stays one geometry
    // (the GeoJSON reader splits it into its members).
    let sets: Vec<FeatureSet> = geometries
        .iter()
        .map(|(ty, g)| FeatureSet {
            name: (*ty).to_owned(),
            features: vec![Feature {
                geometry: geo_of(g),
                properties: json!({"typ": *ty}).as_object().unwrap().clone(),
            }],
        })
        .collect();
    Project::open(&project)
        .unwrap()
        .add_layers(&sets, "test")
        .unwrap();
    // Our own decoder reads back exactly what we wrote.
    let store = Project::open(&project).unwrap();
    for set in &sets {
        assert_eq!(store.layer_features(&set.name).unwrap().as_ref(), Some(set));
    }
    drop(store);
    assert_valid_gpkg(&project);
    let Some(summary) = util::ogrinfo_summary(&project) else {
        return;
    };
    for (ty, _) in &geometries {
        assert!(summary.contains(&format!("Layer name: {ty}")), "{summary}");
        assert!(
            summary.contains(&format!("Geometry: {}", gdal_type_name(ty))),
            "{ty}: {summary}"
        );
    }
    for (ty, g) in &geometries {
        let precise = ["-lco", "COORDINATE_PRECISION=15"];
        let features = gdal_features(&project, ty, &precise, &dir).unwrap();
        assert_eq!(features.len(), 1, "{ty}");
        assert_eq!(features[0]["properties"]["typ"], json!(ty));
        assert_close(&geo_of(&features[0]["geometry"]), &geo_of(g), 1e-12);
    }
}

/// How `ogrinfo` names a geometry type.
fn gdal_type_name(ty: &str) -> String {
    let mut out = String::new();
    for (i, c) in ty.chars().enumerate() {
        if i > 0 && c.is_uppercase() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// What projects of schema version 1 stored under the metadata key
/// `overlays`, as that version's `store::overlays` wrote it (serde of its
/// `Vec<Shapes>`).
fn old_overlays_json() -> String {
    let ll = |p: [f64; 2]| json!({"lon": p[0], "lat": p[1]});
    let ring = |r: Vec<[f64; 2]>| r.into_iter().map(ll).collect::<Vec<_>>();
    json!([
        {"name": "Kommungräns", "shapes": [
            {"label": "Sölvesborg", "geometry": {"type": "Polygon", "coordinates": [
                ring(rect(0.0, 0.0, 1000.0, 500.0)), ring(rect(200.0, 100.0, 100.0, 100.0))]}},
        ]},
        {"name": "incidents", "shapes": [
            {"label": null, "geometry": {"type": "Point", "coordinates": ll(at(5.0, 5.0))}},
            {"label": "Väg", "geometry": {"type": "LineString", "coordinates": ring(vec![at(0.0, 0.0), at(9.0, 9.0)])}},
        ]},
    ])
    .to_string()
}

/// Turns the new project at `path` into what schema version 1 left: no
/// layer table, version 1, the layers as JSON under `overlays`.
fn make_version_1(path: &Path, overlays: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TABLE lagesbild_layers; \
         UPDATE lagesbild_meta SET value = '1' WHERE key = 'schema_version';",
    )
    .unwrap();
    conn.execute(
        "INSERT INTO lagesbild_meta (key, value) VALUES ('overlays', ?1)",
        [overlays],
    )
    .unwrap();
}

#[test]
fn a_project_with_old_json_layers_migrates_into_tables() {
    let dir = Dir::new();
    let project = new_project(&dir);
    make_version_1(&project, &old_overlays_json());

    let store = Project::open(&project).unwrap();
    assert_eq!(store.info().unwrap().schema_version, 2);
    assert_eq!(
        store.metadata("overlays").unwrap(),
        None,
        "the JSON list is gone"
    );
    let layers = store.layers().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Kommungräns", "layer incidents"]);
    assert_eq!(layers[0].geometry_type, "POLYGON");
    assert_eq!(layers[1].geometry_type, "GEOMETRY");
    let border = store.layer_features("Kommungräns").unwrap().unwrap();
    assert_eq!(border.features[0].properties["name"], "Sölvesborg");
    let area_m2 = border.features[0]
        .geometry
        .map_coords(|c| {
            let p = sweref_from_wgs84(LonLat::new(c.x, c.y));
            geo::coord! { x: p.easting, y: p.northing }
        })
        .unsigned_area();
    assert!((area_m2 - 490_000.0).abs() < 1.0, "{area_m2}");
    let other = store.layer_features("layer incidents").unwrap().unwrap();
    assert_eq!(other.features.len(), 2);
    assert!(other.features[0].properties.is_empty());
    drop(store);

    assert_valid_gpkg(&project);
    if let Some(summary) = util::ogrinfo_summary(&project) {
        assert!(summary.contains("Layer name: Kommungräns"), "{summary}");
        assert!(summary.contains("name: String"), "{summary}");
    }
    if let Some(features) = gdal_features_3006(&project, "Kommungräns", &dir) {
        let a = geo_of(&features[0]["geometry"]).unsigned_area();
        assert!((a - 490_000.0).abs() < 1.0, "{a}");
    }
}

#[test]
fn a_damaged_old_layer_list_fails_the_migration_and_changes_nothing() {
    let dir = Dir::new();
    let project = new_project(&dir);
    make_version_1(&project, "{not json");
    let before = std::fs::read(&project).unwrap();
    let err = Project::open(&project).err().unwrap().to_string();
    assert!(
        err.contains("map layers of this project cannot be read"),
        "{err}"
    );
    assert_eq!(std::fs::read(&project).unwrap(), before);
}
