//! The patrol plan end to end: `lagesbild plan import`, `plan export`
//! (GeoJSON and GeoPackage, read by GDAL) and `coverage`, with round trips
//! that lose nothing and bad files that change nothing.

use lagesbild::model::plan::PatrolPlan;
use lagesbild::store;
use serde_json::Value;

use crate::util::{
    Dir, assert_exit, assert_valid_gpkg, fixture, ogrinfo_summary, run_cli_in, text,
};

fn demo(dir: &Dir) -> std::path::PathBuf {
    let out = run_cli_in(dir.root(), &["demo", "--out", "p.gpkg", "--count", "3000"]);
    assert_exit(&out, 0);
    dir.path("p.gpkg")
}

fn plan_of(path: &std::path::Path) -> PatrolPlan {
    store::open(path).unwrap().patrol_plan().unwrap()
}

/// The plan without storage ids and with coordinates rounded to 7 decimals
/// (what GeoJSON keeps), for comparing across projects.
fn comparable(mut plan: PatrolPlan) -> PatrolPlan {
    use geo::MapCoords as _;
    let round = |c: geo::Coord<f64>| {
        geo::coord! {
            x: (c.x * 1e7).round() / 1e7, y: (c.y * 1e7).round() / 1e7
        }
    };
    for a in &mut plan.areas {
        a.id = None;
        a.polygons = a.polygons.map_coords(round);
    }
    for r in &mut plan.routes {
        r.id = None;
        r.line = r.line.map_coords(round);
        for s in &mut r.stops {
            s.id = None;
            s.position = s.position.map_coords(round);
        }
    }
    plan
}

#[test]
fn a_plan_goes_in_and_out_without_loss_and_gdal_reads_it() {
    let dir = Dir::new();
    let project = demo(&dir);
    let file = fixture("plan.geojson");
    let out = run_cli_in(
        dir.root(),
        &["plan", "import", "p.gpkg", file.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("2 area(s), 1 route(s) and 3 stop(s)"));
    let plan = plan_of(&project);
    assert_eq!(plan.areas.len(), 2);
    let centrum = &plan.areas[0].attributes;
    assert_eq!(centrum.name, "Centrum");
    assert_eq!(
        centrum.hours.map(|h| h.to_string()).as_deref(),
        Some("20-2")
    );
    assert_eq!(
        centrum.extra.get("ansvarig"),
        Some(&Value::from("Trygghetsenheten"))
    );
    assert_eq!(plan.areas[0].polygons.0[0].interiors().len(), 1);
    let route = &plan.routes[0];
    let stops: Vec<_> = route
        .stops
        .iter()
        .map(|s| (s.name.as_str(), s.dwell_min))
        .collect();
    assert_eq!(
        stops,
        [("Stortorget", 15), ("Stationen", 12), ("Norra parken", 10)]
    );
    assert_valid_gpkg(&project);
    if let Some(info) = ogrinfo_summary(&project) {
        for layer in ["patrol_areas", "patrol_routes", "route_stops"] {
            assert!(info.contains(&format!("Layer name: {layer}")), "{info}");
        }
        assert!(
            info.contains("Multi Polygon") && info.contains("Line String"),
            "{info}"
        );
        assert!(info.contains("dwell_min: Integer"), "{info}");
    }

    // Out as GeoJSON and as GeoPackage, back into fresh projects.
    for name in ["plan.geojson", "plan.gpkg"] {
        let out = run_cli_in(dir.root(), &["plan", "export", "p.gpkg", "--out", name]);
        assert_exit(&out, 0);
        if let Some(info) = ogrinfo_summary(&dir.path(name)) {
            assert!(
                info.contains("Feature Count: 3") || info.contains("Feature Count: 6"),
                "{info}"
            );
        }
        if name.ends_with(".gpkg") {
            assert_valid_gpkg(&dir.path(name));
        }
        let fresh = format!("fresh-{name}.gpkg");
        let out = run_cli_in(dir.root(), &["demo", "--out", &fresh, "--count", "10"]);
        assert_exit(&out, 0);
        let out = run_cli_in(dir.root(), &["plan", "import", &fresh, name]);
        assert_exit(&out, 0);
        assert_eq!(
            comparable(plan_of(&dir.path(&fresh))),
            comparable(plan.clone()),
            "{name}"
        );
    }
}

#[test]
fn a_bad_plan_file_names_the_feature_and_changes_nothing() {
    let dir = Dir::new();
    let project = demo(&dir);
    let bad = dir.write(
        "bad.geojson",
        r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "OK"}, "geometry": {"type": "Polygon",
          "coordinates": [[[14.57, 56.04], [14.58, 56.04], [14.58, 56.05], [14.57, 56.04]]]}},
        {"type": "Feature", "properties": {"name": "Fel", "hours": "25-3"}, "geometry": {"type": "LineString",
          "coordinates": [[14.57, 56.04], [14.58, 56.04]]}}]}"#,
    );
    let out = run_cli_in(
        dir.root(),
        &["plan", "import", "p.gpkg", bad.to_str().unwrap()],
    );
    assert_exit(&out, 2);
    let err = text(&out).1;
    assert!(
        err.contains("bad.geojson: feature 2: hour range \"25-3\""),
        "{err}"
    );
    assert!(plan_of(&project).is_empty());
    // Nothing to export or measure yet: said, exit 1.
    let out = run_cli_in(
        dir.root(),
        &["plan", "export", "p.gpkg", "--out", "x.geojson"],
    );
    assert_exit(&out, 1);
    assert!(!dir.path("x.geojson").exists());
    let out = run_cli_in(dir.root(), &["coverage", "p.gpkg"]);
    assert_exit(&out, 1);
}

#[test]
fn coverage_json_counts_each_incident_once() {
    let dir = Dir::new();
    demo(&dir);
    let file = fixture("plan.geojson");
    assert_exit(
        &run_cli_in(
            dir.root(),
            &["plan", "import", "p.gpkg", file.to_str().unwrap()],
        ),
        0,
    );
    let out = run_cli_in(
        dir.root(),
        &["coverage", "p.gpkg", "--json", "--buffer", "80", "--reach"],
    );
    assert_exit(&out, 0);
    let v: Value = serde_json::from_str(&text(&out).0).unwrap();
    let c = &v["coverage"];
    assert_eq!(c["buffer_m"], 80.0);
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let sum: u64 = items.iter().map(|i| i["incidents"].as_u64().unwrap()).sum();
    let total = c["total"]["incidents"].as_u64().unwrap();
    assert!(total > 0 && total <= sum, "{total} {sum}");
    for i in items {
        for key in [
            "name",
            "incidents",
            "share",
            "length_m",
            "walk_min",
            "fits_shift",
        ] {
            assert!(!i[key].is_null(), "{key} in {i}");
        }
        assert!(i["hot_cells"].is_u64() && i["places"].is_u64(), "{i}");
    }
    let route = &items[2];
    assert_eq!(route["kind"], "route");
    assert_eq!(route["dwell_min"], 37);
    // A filter narrows what is measured.
    let out = run_cli_in(
        dir.root(),
        &["coverage", "p.gpkg", "--json", "--category", "vald"],
    );
    assert_exit(&out, 0);
    let w: Value = serde_json::from_str(&text(&out).0).unwrap();
    assert!(w["coverage"]["incidents"].as_u64() < c["incidents"].as_u64());
}

#[test]
fn importing_the_same_plan_file_twice_does_not_duplicate_it() {
    let dir = Dir::new();
    let path = demo(&dir);
    let file = fixture("plan.geojson");
    let import = |file: &str| run_cli_in(dir.root(), &["plan", "import", "p.gpkg", file]);
    let out = import(file.to_str().unwrap());
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("3 added, 0 replaced"), "{o}");
    let first = plan_of(&path);
    // The same file again: everything identical, skipped, nothing new.
    let out = import(file.to_str().unwrap());
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(
        o.contains("0 added, 0 replaced (same kind and name), 3 unchanged"),
        "{o}"
    );
    assert!(o.contains("unchanged: route \"Stationsslingan\""), "{o}");
    assert_eq!(plan_of(&path), first);
    // A changed copy (Centrum's hours, a new route): Centrum replaced under
    // its id, the new route added, the rest skipped.
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let features = v["features"].as_array_mut().unwrap();
    features[0]["properties"]["hours"] = Value::from("21-3");
    let mut extra = features[2].clone();
    extra["properties"]["name"] = Value::from("Hamnslingan");
    extra["properties"]["plan_id"] = Value::from(9);
    features.push(extra);
    std::fs::write(dir.path("changed.geojson"), v.to_string()).unwrap();
    let out = import("changed.geojson");
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("1 added, 1 replaced"), "{o}");
    assert!(o.contains("replaced: area \"Centrum\""), "{o}");
    let now = plan_of(&path);
    assert_eq!(now.areas.len(), first.areas.len());
    assert_eq!(now.routes.len(), first.routes.len() + 1);
    let centrum = now
        .areas
        .iter()
        .find(|a| a.attributes.name == "Centrum")
        .unwrap();
    assert_eq!(centrum.id, first.areas[0].id);
    assert_eq!(centrum.attributes.hours_text().as_deref(), Some("21-3"));
    // GDAL sees the same counts.
    if let Some(info) = ogrinfo_summary(&path) {
        let layer = |name: &str| {
            info.split("Layer name: ")
                .find(|l| l.starts_with(name))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(layer("patrol_areas").contains("Feature Count: 2"), "{info}");
        assert!(
            layer("patrol_routes").contains("Feature Count: 2"),
            "{info}"
        );
    }
}
