//! GeoJSON and Polisen readers end to end: through `import_file` into a real
//! project, and through the binary.

use std::path::Path;

use lagesbild::import::{self, Format, ImportError, ImportOptions};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Precision, Source};
use lagesbild::store::{Project, Store};

use crate::util::{Dir, assert_exit, assert_valid_gpkg, fixture, run_cli_in, text};

fn import(project: &mut Project, path: &Path, options: &ImportOptions) -> import::ImportReport {
    import::import_file(project, path, options, &NoProgress, &CancelToken::new()).unwrap()
}

#[test]
fn polisen_events_import_as_coarse_police_incidents() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    let path = fixture("json/polisen_blekinge.json");
    let report = import(&mut project, &path, &ImportOptions::default());
    assert_eq!(
        report.format,
        Format::Polisen,
        "detected from the leading ["
    );
    // The "Sammanfattning natt" is no incident: it is kept apart.
    assert_eq!((report.imported, report.summaries), (11, 1));
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert!(
        report.notes.iter().any(|n| n.contains("coarse")),
        "{:?}",
        report.notes
    );

    let info = project.info().unwrap();
    assert_eq!(info.incident_count, 11);
    assert_eq!(info.coarse_count, 11);
    assert!(info.by_source.contains(&(Source::Polis, 11)));

    let stored = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    let rollover = stored
        .iter()
        .find(|i| i.external_id.as_deref() == Some("562990"))
        .unwrap();
    assert_eq!(
        rollover.occurred_at.to_rfc3339(),
        "2024-12-31T22:50:00+00:00",
        "named 31 december, published 2 January 2025"
    );
    assert!(
        stored
            .iter()
            .all(|i| i.place.as_deref() != Some("Blekinge län"))
    );
    let summaries = project.police_summaries().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].kind, "Sammanfattning natt");
    assert!(stored.iter().all(|i| i.description.is_some()));
    assert!(stored.iter().all(|i| i.precision_m >= Precision::TOWN_M));
    assert!(stored.iter().any(|i| i.category == Category::Vald));

    // The same file again: all unchanged.
    let again = import(&mut project, &path, &ImportOptions::default());
    assert_eq!(
        (again.imported, again.updated, again.duplicates),
        (0, 0, 11)
    );
}

#[test]
fn polisen_non_events_are_rejected_with_lines_and_strict_writes_nothing() {
    let dir = Dir::new();
    let path = fixture("json/polisen_bad.json");
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    let report = import(&mut project, &path, &ImportOptions::default());
    assert_eq!(report.imported, 1);
    let lines: Vec<u64> = report.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, [14, 19, 26, 37, 48, 49]);

    let rejects = dir.path("rejects.csv");
    import::write_rejects_csv(&rejects, &report.rejected).unwrap();
    let mut reader = csv::Reader::from_path(&rejects).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(&rows[0][0], "polisen_bad.json");
    assert_eq!(&rows[0][1], "14");
    assert!(
        rows[0][3].contains("Sammanfattning av dygnet"),
        "raw event kept"
    );

    let mut strict = Project::create(&dir.path("strict.gpkg"), "Test").unwrap();
    let options = ImportOptions {
        strict: true,
        ..ImportOptions::default()
    };
    let result = import::import_file(
        &mut strict,
        &path,
        &options,
        &NoProgress,
        &CancelToken::new(),
    );
    let Err(ImportError::Strict {
        rejected, first, ..
    }) = result
    else {
        panic!("{result:?}")
    };
    assert_eq!((rejected, first.line), (6, 14));
    assert_eq!(strict.info().unwrap().incident_count, 0);
}

#[test]
fn geojson_points_import_with_row_errors() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    let path = fixture("json/incidents_wgs84.geojson");
    let report = import(&mut project, &path, &ImportOptions::default());
    assert_eq!(report.format, Format::GeoJson);
    assert_eq!(report.imported, 4);
    assert_eq!(report.rejected.len(), 8);
    assert_eq!(report.rejected[0].line, 59);
    for e in &report.rejected {
        assert!(!e.to_string().contains("Hemlig"), "{e}");
    }
    let stored = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    let a = stored
        .iter()
        .find(|i| i.external_id.as_deref() == Some("A-1"))
        .unwrap();
    assert_eq!(a.occurred_at.to_rfc3339(), "2025-03-14T21:40:00+00:00");
    assert_eq!(a.description.as_deref(), Some("Hemlig text ett"));
    assert_eq!(a.import_file.as_deref(), Some("incidents_wgs84.geojson"));
}

#[test]
fn geojson_with_legacy_sweref_crs_through_the_binary() {
    let dir = Dir::new();
    std::fs::copy(
        fixture("json/incidents_sweref.geojson"),
        dir.path("sweref.geojson"),
    )
    .unwrap();
    let out = run_cli_in(
        dir.root(),
        &["import", "p.gpkg", "sweref.geojson", "--json"],
    );
    assert_exit(&out, 0);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["imported"], 2, "{summary}");
    let report = &summary["files"][0];
    assert_eq!(report["format"], "GeoJson", "{summary}");
    assert!(
        report["notes"].to_string().contains("SWEREF 99 TM"),
        "{summary}"
    );
    let project = Project::open(&dir.path("p.gpkg")).unwrap();
    let (min, max) = project.info().unwrap().extent.unwrap();
    // Stortorget and Hällevik hamn, converted back to WGS84.
    assert!((min.lon - 14.5830).abs() < 1e-5 && (max.lon - 14.7045).abs() < 1e-5);
    assert!((min.lat - 56.0092).abs() < 1e-5 && (max.lat - 56.0505).abs() < 1e-5);
    drop(project);
    assert_valid_gpkg(&dir.path("p.gpkg"));
}

#[test]
fn broken_and_wrong_json_files_are_file_errors_that_write_nothing() {
    let dir = Dir::new();
    for name in ["broken.geojson", "single_feature.geojson"] {
        std::fs::copy(fixture(&format!("json/{name}")), dir.path(name)).unwrap();
    }
    let out = run_cli_in(dir.root(), &["import", "p.gpkg", "broken.geojson"]);
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("broken.geojson:5: broken JSON"), "{stderr}");
    assert!(!dir.path("p.gpkg").exists());

    let out = run_cli_in(dir.root(), &["import", "p.gpkg", "single_feature.geojson"]);
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("not a GeoJSON FeatureCollection"),
        "{stderr}"
    );

    // A police list forced to be read as GeoJSON says what it looks like.
    std::fs::copy(
        fixture("json/polisen_blekinge.json"),
        dir.path("events.json"),
    )
    .unwrap();
    let out = run_cli_in(
        dir.root(),
        &["import", "p.gpkg", "events.json", "--format", "geojson"],
    );
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("--format polisen"), "{stderr}");
}
