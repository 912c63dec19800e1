//! Sweden's outline (data/sverige.geojson, 10 km margin) for every importer:
//! GeoJSON and Polisen JSON as well as CSV refuse a file most of whose
//! positions fall outside Sweden, and reject single rows that do, where the
//! loose box of the first check would have let them through.

use std::path::Path;

use lagesbild::import::{self, ImportError, ImportOptions};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::store::{Project, Store};

use crate::util::{Dir, assert_exit, fixture, run_cli_in, text};

fn import(
    project: &mut Project,
    path: &Path,
    options: &ImportOptions,
) -> Result<import::ImportReport, ImportError> {
    import::import_file(project, path, options, &NoProgress, &CancelToken::new())
}

/// A WGS84 FeatureCollection of points `(lon, lat)`.
fn wgs84_points(points: &[(f64, f64)]) -> String {
    let features: Vec<serde_json::Value> = points
        .iter()
        .enumerate()
        .map(|(i, (lon, lat))| {
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"id": format!("P-{i}"), "tidpunkt": "2025-06-20T23:10:00", "kategori": "Stöld"}
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &serde_json::json!({"type": "FeatureCollection", "features": features}),
    )
    .unwrap()
}

/// Police events in the API's format, one per `gps` text.
fn police_events(gps: &[&str]) -> String {
    let events: Vec<serde_json::Value> = gps
        .iter()
        .enumerate()
        .map(|(i, gps)| {
            serde_json::json!({
                "id": 900_000 + i,
                "datetime": "2025-01-10 20:32:11 +01:00",
                "name": "10 januari 20.15, Skadegörelse, Sölvesborg",
                "summary": "Fönster krossade.",
                "url": "/aktuellt/handelser/x/",
                "type": "Skadegörelse",
                "location": {"name": "Sölvesborg", "gps": gps}
            })
        })
        .collect();
    serde_json::Value::Array(events).to_string()
}

#[test]
fn geojson_read_in_the_wrong_system_is_refused_as_a_whole() {
    // SWEREF 99 TM points in Sölvesborg read as SWEREF 99 16 30 (EPSG:3010)
    // land in the Baltic south-east of Öland: inside the loose box, outside the
    // outline. The whole file is refused and nothing is written.
    let dir = Dir::new();
    std::fs::copy(
        fixture("json/incidents_sweref.geojson"),
        dir.path("sweref.geojson"),
    )
    .unwrap();
    let out = run_cli_in(
        dir.root(),
        &["import", "p.gpkg", "sweref.geojson", "--crs", "EPSG:3010"],
    );
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("2 of 2 sampled point features fall outside Sweden when read as SWEREF 99 16 30 (EPSG:3010)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sweref.geojson"),
        "names the file: {stderr}"
    );
    if dir.path("p.gpkg").exists() {
        let project = Project::open(&dir.path("p.gpkg")).unwrap();
        assert_eq!(project.info().unwrap().incident_count, 0);
    }

    // The same file in its own system imports.
    let out = run_cli_in(dir.root(), &["import", "p.gpkg", "sweref.geojson"]);
    assert_exit(&out, 0);
}

#[test]
fn geojson_rows_in_norway_or_the_sea_are_rejected_by_line() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    // Stortorget-ish, Mjällby, Hanö (an island 4 km out, inside the margin),
    // Oslo (inside the loose box, outside the outline).
    let path = dir.write(
        "mixed.geojson",
        wgs84_points(&[
            (14.583, 56.0505),
            (14.68333, 56.05),
            (14.84, 56.01),
            (10.75, 59.91),
        ]),
    );
    let report = import(&mut project, &path, &ImportOptions::default()).unwrap();
    assert_eq!(report.imported, 3);
    assert_eq!(report.rejected.len(), 1, "{:?}", report.rejected);
    let oslo = &report.rejected[0];
    assert!(
        oslo.reason
            .contains("position (lon 10.75000, lat 59.91000) is outside Sweden (by its outline"),
        "{}",
        oslo.reason
    );
    // The fourth feature of the pretty-printed file (15 lines each, the
    // first on line 3) starts on line 48.
    assert_eq!(oslo.line, 48, "{oslo}");

    // Most rows outside: the file as a whole is refused.
    let path = dir.write(
        "norway.geojson",
        wgs84_points(&[(10.75, 59.91), (10.40, 63.43), (14.583, 56.0505)]),
    );
    let err = import(&mut project, &path, &ImportOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("2 of 3 sampled point features fall outside Sweden when read as WGS84 longitude, latitude"),
        "{text}"
    );
    assert_eq!(project.info().unwrap().incident_count, 3, "nothing added");
}

#[test]
fn polisen_events_with_swapped_gps_are_refused_and_a_foreign_one_rejected() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    // "lon,lat" instead of the API's "lat,lon" throughout.
    let path = dir.write(
        "swapped.json",
        police_events(&[
            "14.58568,56.050608",
            "14.58568,56.050608",
            "14.863073,56.170303",
        ]),
    );
    let err = import(&mut project, &path, &ImportOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("3 of 3 events fall outside Sweden") && text.contains("swapped"),
        "{text}"
    );
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    assert_eq!(project.info().unwrap().incident_count, 0);

    // One event in Copenhagen (inside the loose box) among Swedish ones.
    let path = dir.write(
        "one_foreign.json",
        police_events(&["56.050608,14.58568", "56.170303,14.863073", "55.676,12.568"]),
    );
    let report = import(&mut project, &path, &ImportOptions::default()).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(report.rejected.len(), 1);
    assert!(
        report.rejected[0]
            .reason
            .contains("position (lat 55.676, lon 12.568) is outside Sweden (by its outline"),
        "{}",
        report.rejected[0].reason
    );
}
