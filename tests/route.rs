//! Walking networks, `lagesbild route` (GeoJSON, GPX, visit plans) and
//! `lagesbild week`, through the library and the binary.
//!
//! `tests/fixtures/network/grid.osm.pbf` is a 4 × 4 street grid in Sölvesborg
//! with a footbridge crossing it without shared nodes, a motorway, a foot=no
//! path and a private road; `make_grid.py` beside it says how it was made.

use serde_json::{Value, json};

use crate::util::{Dir, assert_exit, fixture, ogrinfo_summary, run_cli_in, text};
use lagesbild::crs::sweref_from_wgs84;
use lagesbild::model::LonLat;
use lagesbild::network::Network;

const LON0: f64 = 14.580;
const LAT0: f64 = 56.050;
const DLON: f64 = 0.002;
const DLAT: f64 = 0.001;

/// The grid node in row `r`, column `c` (0-based from the south-west), lon/lat.
fn node(r: usize, c: usize) -> (f64, f64) {
    (LON0 + c as f64 * DLON, LAT0 + r as f64 * DLAT)
}

fn sweref(p: (f64, f64)) -> [f64; 2] {
    let s = sweref_from_wgs84(LonLat::new(p.0, p.1));
    [s.easting, s.northing]
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p, q) = (sweref(a), sweref(b));
    (p[0] - q[0]).hypot(p[1] - q[1])
}

fn stops_file(dir: &Dir, name: &str, points: &[((f64, f64), &str)]) -> String {
    let features: Vec<Value> = points
        .iter()
        .map(|((lon, lat), n)| {
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"name": n},
            })
        })
        .collect();
    let v = serde_json::json!({"type": "FeatureCollection", "features": features});
    dir.write(name, v.to_string());
    name.to_owned()
}

fn demo_project(dir: &Dir) {
    let out = run_cli_in(
        dir.root(),
        &["demo", "--out", "p.gpkg", "--count", "1500", "--seed", "3"],
    );
    assert_exit(&out, 0);
}

#[test]
fn the_osm_reader_keeps_walkable_ways_and_connects_only_shared_nodes() {
    let net = Network::read(&fixture("network/grid.osm.pbf")).unwrap();
    // 16 grid nodes + the bridge's 2; 24 grid segments + the bridge.
    assert_eq!((net.node_count(), net.edge_count()), (18, 25));
    // Snapping onto the bridge's end: the bridge connects to nothing else.
    let on_bridge = net.snap(sweref((14.5855, 56.0525))).unwrap();
    let corner = net.snap(sweref(node(0, 0))).unwrap();
    let tree = net.distances(&on_bridge, f64::INFINITY, &[corner]);
    assert_eq!(net.distance_to(&tree, &corner), f64::INFINITY);
}

#[test]
fn bad_network_files_name_the_file() {
    let dir = Dir::new();
    let junk = dir.write("junk.osm.pbf", b"this is not a pbf file at all");
    let err = Network::read(&junk).unwrap_err().to_string();
    assert!(err.contains("junk.osm.pbf"), "{err}");
    let points = dir.write(
        "pts.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[14.58,56.05]},"properties":{}}]}"#,
    );
    let err = Network::read(&points).unwrap_err().to_string();
    assert!(
        err.contains("pts.geojson") && err.contains("feature 1"),
        "{err}"
    );
}

#[test]
fn route_along_the_osm_grid_to_geojson_and_gpx() {
    let dir = Dir::new();
    demo_project(&dir);
    let stops = stops_file(
        &dir,
        "stops.geojson",
        &[
            (node(3, 3), "Nordost"),
            (node(0, 3), "Sydost"),
            (node(3, 0), "Nordväst"),
        ],
    );
    let network = fixture("network/grid.osm.pbf");
    let network = network.to_str().unwrap();
    let base = format!("{},{}", node(0, 0).0, node(0, 0).1);
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--stops",
            &stops,
            "--base",
            &base,
            "--network",
            network,
            "--out",
            "loop.geojson",
        ],
    );
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("exact (Held–Karp)"), "{o}");
    // The loop walks the grid's outline.
    let perimeter = 2.0 * (metres(node(0, 0), node(0, 3)) + metres(node(0, 0), node(3, 0)));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("loop.geojson")).unwrap()).unwrap();
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 4);
    assert_eq!(f[0]["geometry"]["type"], "LineString");
    let p = &f[0]["properties"];
    assert!(
        (p["length_m"].as_f64().unwrap() - perimeter).abs() <= 1.0,
        "{p} vs {perimeter}"
    );
    let walk = p["walk_min"].as_f64().unwrap();
    assert!((walk - perimeter / 4500.0 * 60.0).abs() <= 0.1, "{p}");
    assert!(
        (p["shift_min"].as_f64().unwrap() - walk - 36.0).abs() <= 0.11,
        "{p}"
    );
    assert_eq!(p["along"], "network");
    let orders: Vec<u64> = f[1..]
        .iter()
        .map(|s| s["properties"]["order"].as_u64().unwrap())
        .collect();
    assert_eq!(orders, [1, 2, 3]);
    assert!(f[1..].iter().all(|s| s["properties"]["dwell_min"] == 12.0));
    // Sydost and Nordväst are each next to the base: Nordost is second.
    assert_eq!(f[2]["properties"]["name"], "Nordost");

    // GPX, read back by GDAL's GPX driver: 3 waypoints and one track.
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--stops",
            &stops,
            "--base",
            &base,
            "--network",
            network,
            "--out",
            "loop.gpx",
        ],
    );
    assert_exit(&out, 0);
    if let Some(info) = ogrinfo_summary(&dir.path("loop.gpx")) {
        assert!(
            info.contains("Layer name: waypoints") && info.contains("Feature Count: 3"),
            "{info}"
        );
        assert!(
            info.contains("Layer name: tracks") && info.contains("Feature Count: 1"),
            "{info}"
        );
        assert!(info.contains("Layer name: track_points"), "{info}");
    }
    let gpx = std::fs::read_to_string(dir.path("loop.gpx")).unwrap();
    assert!(gpx.contains("<name>2. Nordost</name>"), "{gpx}");
}

#[test]
fn a_stop_on_a_bridge_without_shared_nodes_cannot_be_reached() {
    let dir = Dir::new();
    demo_project(&dir);
    let stops = stops_file(&dir, "s.geojson", &[((14.5855, 56.0525), "Bron")]);
    let network = fixture("network/grid.osm.pbf");
    let base = format!("{},{}", node(0, 0).0, node(0, 0).1);
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--stops",
            &stops,
            "--base",
            &base,
            "--network",
            network.to_str().unwrap(),
            "--out",
            "x.geojson",
        ],
    );
    assert_exit(&out, 2);
    let (_, e) = text(&out);
    assert!(e.contains("cannot be reached") && e.contains("Bron"), "{e}");
    assert!(!dir.path("x.geojson").exists());
}

fn visit_json(dir: &Dir, stops: &str, date: &str) -> Value {
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--stops",
            stops,
            "--base",
            "14.583,56.051",
            "--shift",
            "19:00-03:00",
            "--date",
            date,
            "--json",
        ],
    );
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn straight_lines_and_a_night_visit_plan() {
    let dir = Dir::new();
    demo_project(&dir);
    let stops = stops_file(
        &dir,
        "stops.geojson",
        &[
            (node(3, 3), "A"),
            (node(0, 3), "B"),
            (node(3, 0), "C"),
            (node(1, 2), "D"),
            (node(2, 1), "E"),
        ],
    );
    let a = visit_json(&dir, &stops, "2026-12-04");
    assert_eq!(a["along"], "straight_lines");
    let again = visit_json(&dir, &stops, "2026-12-04");
    assert_eq!(a["visit_plan"], again["visit_plan"]);
    let b = visit_json(&dir, &stops, "2026-12-05");
    let order = |v: &Value| -> Vec<u64> {
        v["visit_plan"]["visits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["stop"].as_u64().unwrap())
            .collect()
    };
    assert_ne!(order(&a), order(&b));
    for s in a["visit_plan"]["stops"].as_array().unwrap() {
        let visits = s["visits"].as_array().unwrap();
        assert!(visits.len() >= 3, "{s}");
        for g in s["gaps_min"].as_array().unwrap() {
            let g = g.as_f64().unwrap();
            assert!((90.0..=150.0).contains(&g), "gap {g} in {s}");
        }
    }
    assert_eq!(a["visit_plan"]["visits"][0]["round"], 1);
    // A short round: no warning.
    assert_eq!(a["visit_plan"]["round_warning"], Value::Null, "{a}");
    assert!(a["visit_plan"]["round_min"].as_f64().unwrap() < 108.0);
    // Text output says it is straight lines.
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--stops",
            &stops,
            "--base",
            "14.583,56.051",
            "--shift",
            "19:00-03:00",
            "--date",
            "2026-12-04",
        ],
    );
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(
        o.contains("STRAIGHT LINES") && o.contains("Visit plan 2026-12-04 19:00-03:00"),
        "{o}"
    );
}

/// Four stops about 3 km from the base: one round (about 4¾ hours with
/// the stops) takes longer than the 2-hour revisit interval, and both the text and
/// the JSON say so.
#[test]
fn a_round_longer_than_the_revisit_interval_is_warned_about() {
    let dir = Dir::new();
    demo_project(&dir);
    let stops = stops_file(
        &dir,
        "far.geojson",
        &[
            ((14.535, 56.051), "Väst"),
            ((14.583, 56.078), "Norr"),
            ((14.631, 56.051), "Öst"),
            ((14.583, 56.024), "Syd"),
        ],
    );
    let v = visit_json(&dir, &stops, "2026-12-04");
    let round = v["visit_plan"]["round_min"].as_f64().unwrap();
    assert!(round > 120.0, "{v}");
    let w = v["visit_plan"]["round_warning"].as_str().unwrap();
    assert!(
        w.starts_with("one round takes") && w.contains("more than the 120-minute revisit interval"),
        "{w}"
    );
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--stops",
            &stops,
            "--base",
            "14.583,56.051",
            "--shift",
            "19:00-03:00",
            "--date",
            "2026-12-04",
        ],
    );
    assert_exit(&out, 0);
    let (o, e) = text(&out);
    assert!(o.contains("WARNING: one round takes"), "{o}");
    assert!(e.contains("warning: one round takes"), "{e}");
}

#[test]
fn week_plan_over_one_area_covering_everything_matches_the_hour_profile() {
    let dir = Dir::new();
    demo_project(&dir);
    dir.write(
        "beats.geojson",
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"Allt"},"geometry":{"type":"Polygon","coordinates":[[[14.0,55.8],[15.5,55.8],[15.5,56.5],[14.0,56.5],[14.0,55.8]]]}},
        {"type":"Feature","properties":{"name":"Torget"},"geometry":{"type":"LineString","coordinates":[[14.583,56.051],[14.586,56.052]]}}]}"#,
    );
    let out = run_cli_in(
        dir.root(),
        &[
            "week",
            "p.gpkg",
            "--routes",
            "beats.geojson",
            "--pairs",
            "1",
            "--shifts-per-pair",
            "7",
            "--include-coarse",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shifts = w["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 7);
    assert!(
        shifts.iter().all(|s| s["name"] == "Allt" && s["pair"] == 1),
        "{w}"
    );
    // Every evening 19–03 over an area holding every incident: the share is
    // that of the hours 19–23 and 0–2 in the stats.
    let out = run_cli_in(dir.root(), &["stats", "p.gpkg", "--json"]);
    assert_exit(&out, 0);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_hour: Vec<f64> = s["by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let night: f64 = [19, 20, 21, 22, 23, 0, 1, 2]
        .iter()
        .map(|&h| by_hour[h])
        .sum();
    let share = w["share"].as_f64().unwrap();
    assert!(
        (share - night / s["total"].as_f64().unwrap()).abs() < 1e-9,
        "{share} vs {night}"
    );

    // Three pairs, four shifts each: twelve shifts, four per pair, one an evening.
    let out = run_cli_in(
        dir.root(),
        &[
            "week",
            "p.gpkg",
            "--routes",
            "beats.geojson",
            "--pairs",
            "3",
            "--shifts-per-pair",
            "4",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shifts = w["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 12);
    for pair in 1..=3u64 {
        let mut days: Vec<&str> = shifts
            .iter()
            .filter(|s| s["pair"] == pair)
            .map(|s| s["evening"].as_str().unwrap())
            .collect();
        assert_eq!(days.len(), 4);
        days.sort_unstable();
        days.dedup();
        assert_eq!(days.len(), 4, "pair {pair} works one evening twice");
    }
    let out = run_cli_in(dir.root(), &["week", "p.gpkg", "--routes", "beats.geojson"]);
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("Expected within reach while present"), "{o}");
}

fn places_json(dir: &Dir, extra: &[&str]) -> Value {
    let mut args = vec![
        "places",
        "p.gpkg",
        "--hours",
        "0-24",
        "--hosts",
        "2",
        "--out",
        "pl.geojson",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = run_cli_in(dir.root(), &args);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn places_keep_fixed_points_and_walk_the_network() {
    let dir = Dir::new();
    demo_project(&dir);
    let straight = places_json(&dir, &[]);
    let network = fixture("network/grid.osm.pbf");
    let walking = places_json(&dir, &["--network", network.to_str().unwrap()]);
    assert_eq!(walking["network"], "grid.osm.pbf");
    // Walking is never shorter than the straight line: a small grid in one
    // corner of town covers fewer incidents than straight-line circles.
    let (s, w) = (
        straight["covered"].as_f64().unwrap(),
        walking["covered"].as_f64().unwrap(),
    );
    assert!(w < s, "walking {w} vs straight {s}");
    assert_eq!(straight["total"], walking["total"]);

    let fixed = stops_file(&dir, "fixed.geojson", &[((14.60, 56.07), "Mötesplatsen")]);
    let kept = places_json(&dir, &["--fixed", &fixed]);
    let places = kept["places"].as_array().unwrap();
    assert_eq!(places.len(), 2);
    let f: Vec<&Value> = places.iter().filter(|p| p["fixed"] == true).collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["name"], "Mötesplatsen");
    assert!(kept["covered"].as_f64().unwrap() <= s);

    let two = stops_file(
        &dir,
        "two.geojson",
        &[
            ((14.60, 56.07), "A"),
            ((14.61, 56.07), "B"),
            ((14.62, 56.07), "C"),
        ],
    );
    let out = run_cli_in(
        dir.root(),
        &[
            "places",
            "p.gpkg",
            "--hosts",
            "2",
            "--fixed",
            &two,
            "--out",
            "x.geojson",
        ],
    );
    assert_exit(&out, 2);
    let (_, e) = text(&out);
    assert!(e.contains("more than --hosts"), "{e}");
}

#[test]
fn week_and_route_from_the_projects_patrol_plan() {
    let dir = Dir::new();
    demo_project(&dir);
    let plan = fixture("plan.geojson");
    let out = run_cli_in(
        dir.root(),
        &["plan", "import", "p.gpkg", plan.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    let out = run_cli_in(
        dir.root(),
        &[
            "week",
            "p.gpkg",
            "--pairs",
            "2",
            "--shifts-per-pair",
            "2",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shifts = w["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 4);
    let names = ["Centrum", "Östra", "Stationsslingan"];
    assert!(
        shifts
            .iter()
            .all(|s| names.contains(&s["name"].as_str().unwrap())),
        "{w}"
    );
    // Each item only on its own weekdays and hours (the fixture: Centrum
    // fri,sat 20-2; Östra mon-fri 18-23; Stationsslingan thu-sat 19-3),
    // within the default 19:00-03:00 shift.
    let own = |name: &str| match name {
        "Centrum" => (vec!["fri", "sat"], "20:00-02:00"),
        "Östra" => (vec!["mon", "tue", "wed", "thu", "fri"], "19:00-23:00"),
        _ => (vec!["thu", "fri", "sat"], "19:00-03:00"),
    };
    for s in shifts {
        let (days, hours) = own(s["name"].as_str().unwrap());
        assert!(days.contains(&s["evening"].as_str().unwrap()), "{s}");
        assert_eq!(s["shift"], hours, "{s}");
    }

    // The planner fixes pair 2 on Östra on Monday: kept, marked, the rest
    // proposed around it; a fix the item's own days forbid is refused.
    let week_fix = |fix: &str| {
        run_cli_in(
            dir.root(),
            &[
                "week",
                "p.gpkg",
                "--pairs",
                "2",
                "--shifts-per-pair",
                "2",
                "--fix",
                fix,
                "--json",
            ],
        )
    };
    let out = week_fix("2:mån=östra");
    assert_exit(&out, 0);
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shifts = w["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 4, "{w}");
    let fixed: Vec<&Value> = shifts.iter().filter(|s| s["fixed"] == true).collect();
    assert_eq!(fixed.len(), 1, "{w}");
    assert_eq!(
        (&fixed[0]["pair"], &fixed[0]["evening"], &fixed[0]["name"]),
        (&json!(2), &json!("mon"), &json!("Östra"))
    );
    let out = week_fix("1:sön=Centrum");
    assert_exit(&out, 2);
    let (_, e) = text(&out);
    assert!(e.contains("not walked that evening"), "{e}");
    let out = week_fix("1:fre");
    assert_exit(&out, 2);
    let (_, e) = text(&out);
    assert!(
        e.contains("--fix \"1:fre\"") && e.contains("PAIR:DAY=NAME"),
        "{e}"
    );

    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--route",
            "Stationsslingan",
            "--base",
            "14.5801768,56.0493356",
            "--out",
            "r.geojson",
        ],
    );
    assert_exit(&out, 0);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("r.geojson")).unwrap()).unwrap();
    let mut dwell: Vec<(String, f64)> = v["features"].as_array().unwrap()[1..]
        .iter()
        .map(|f| {
            (
                f["properties"]["name"].as_str().unwrap().to_owned(),
                f["properties"]["dwell_min"].as_f64().unwrap(),
            )
        })
        .collect();
    dwell.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        dwell,
        [
            ("Norra parken".to_owned(), 10.0),
            ("Stationen".to_owned(), 12.0),
            ("Stortorget".to_owned(), 15.0)
        ]
    );
    let out = run_cli_in(
        dir.root(),
        &[
            "route",
            "p.gpkg",
            "--route",
            "Nej",
            "--base",
            "14.58,56.05",
            "--out",
            "n.geojson",
        ],
    );
    assert_exit(&out, 2);
    let (_, e) = text(&out);
    assert!(
        e.contains("no route named \"Nej\"") && e.contains("Stationsslingan"),
        "{e}"
    );
}
