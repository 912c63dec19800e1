//! CSV coordinate systems as real files show them (issue 19): with `--crs`
//! (and `--map`) the user's word wins and only rows that do not fit are
//! rejected, by line; without it the majority decides and the odd rows are
//! named; "inside Sweden" is Sweden's outline; a wrong `--crs` that puts the
//! file in Norway refuses it.
//!
//! `trafikverket_swapped.csv` is laid out as Trafikverket's SWEREF 99 TM
//! exports are (X = easting, semicolons), at the gazetteer's places (converted
//! with GDAL's gdaltransform), one row with its values swapped.
//! `karlstad_3010.csv` holds points at Karlstad in SWEREF 99 16 30
//! (EPSG:3010), west of the zone's meridian, so their eastings are negative
//! (converted with gdaltransform from 13.50357 E, 59.3793 N and around).

use lagesbild::crs::Crs;
use lagesbild::import::{self, Field, ImportError, ImportOptions};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::Filter;
use lagesbild::store::{Project, Store};

use crate::util::{Dir, fixture};

fn import(
    dir: &Dir,
    rel: &str,
    options: &ImportOptions,
) -> (Project, Result<import::ImportReport, ImportError>) {
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let r = import::import_file(
        &mut project,
        &fixture(rel),
        options,
        &NoProgress,
        &CancelToken::new(),
    );
    (project, r)
}

#[test]
fn with_crs_and_map_the_users_word_wins_and_the_swapped_row_is_rejected_by_line() {
    let dir = Dir::new();
    let options = ImportOptions {
        crs: Some(Crs::SWEREF99_TM),
        column_map: vec![
            ("X".to_owned(), Field::Easting),
            ("Y".to_owned(), Field::Northing),
        ],
        ..ImportOptions::default()
    };
    let (project, report) = import(&dir, "csv/trafikverket_swapped.csv", &options);
    let report = report.unwrap();
    assert_eq!(report.imported, 6);
    let lines: Vec<u64> = report.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, [5]);
    // Read as easting 6 206 111, northing 483 368: no position in Sweden.
    let reason = &report.rejected[0].reason;
    assert!(reason.contains("outside"), "{reason}");
    let notes = report.notes.join(" ");
    assert!(notes.contains("as mapped"), "{notes}");
    assert!(notes.contains("(line 5)"), "{notes}");
    // The station row lands on Trafikverket's station.
    let station = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some("TRV7"))
        .unwrap();
    assert!(
        (station.position.lon - 14.583114).abs() < 1e-5,
        "{:?}",
        station.position
    );
    assert!(
        (station.position.lat - 56.049444).abs() < 1e-5,
        "{:?}",
        station.position
    );
}

#[test]
fn without_crs_the_majority_decides_and_the_note_names_the_odd_row_and_the_flag() {
    let dir = Dir::new();
    let (_, report) = import(
        &dir,
        "csv/trafikverket_swapped.csv",
        &ImportOptions::default(),
    );
    let report = report.unwrap();
    assert_eq!(report.imported, 6);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 5);
    let notes = report.notes.join(" ");
    assert!(notes.contains("SWEREF 99 TM"), "{notes}");
    assert!(notes.contains("(line 5)"), "{notes}");
    assert!(notes.contains("--crs"), "{notes}");
}

#[test]
fn a_negative_easting_in_a_local_zone_is_read_under_its_crs() {
    let dir = Dir::new();
    let options = ImportOptions {
        crs: Some(Crs::from_epsg(3010).unwrap()),
        ..ImportOptions::default()
    };
    let (project, report) = import(&dir, "csv/karlstad_3010.csv", &options);
    let report = report.unwrap();
    assert_eq!(report.imported, 4, "{:?}", report.rejected);
    let first = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some("K1"))
        .unwrap();
    assert!(
        (first.position.lon - 13.50357).abs() < 1e-4,
        "{:?}",
        first.position
    );
    assert!(
        (first.position.lat - 59.3793).abs() < 1e-4,
        "{:?}",
        first.position
    );
}

#[test]
fn a_wrong_crs_that_puts_the_file_in_norway_is_refused() {
    let dir = Dir::new();
    // The Karlstad points read in SWEREF 99 12 00 land west of Oslo.
    let options = ImportOptions {
        crs: Some(Crs::from_epsg(3007).unwrap()),
        ..ImportOptions::default()
    };
    let (project, report) = import(&dir, "csv/karlstad_3010.csv", &options);
    let err = report.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("4 of 4 sample rows fall outside Sweden"),
        "{text}"
    );
    assert!(text.contains("check --crs"), "{text}");
    assert_eq!(project.info().unwrap().incident_count, 0);
}

#[test]
fn crs_beside_lon_lat_columns_is_reported_as_unused() {
    let dir = Dir::new();
    let options = ImportOptions {
        crs: Some(Crs::SWEREF99_TM),
        ..ImportOptions::default()
    };
    let (_, report) = import(&dir, "csv/comma_utf8.csv", &options);
    let report = report.unwrap();
    assert!(report.imported > 0);
    let notes = report.notes.join(" ");
    assert!(
        notes.contains("--crs SWEREF 99 TM (EPSG:3006) was not used"),
        "{notes}"
    );
    assert!(notes.contains("read as WGS 84"), "{notes}");
}

#[test]
fn the_report_template_in_data_is_read_without_any_map() {
    let dir = Dir::new();
    let header = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/rapport_mall.csv"),
    )
    .unwrap();
    // One filled-in row at the gazetteer's station, as a host would write it.
    let file = dir.write(
        "rapport.csv",
        format!("{header}R-1;2025-03-14 22:40;otrygghet;trygghetsvard;Stationen;56,049444;14,583114;25;Grupp ungdomar\n"),
    );
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let report = import::import_file(
        &mut project,
        &file,
        &ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(
        report.imported, 1,
        "{:?} {:?}",
        report.rejected, report.notes
    );
    let i = &project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()[0];
    assert_eq!(i.external_id.as_deref(), Some("R-1"));
    assert_eq!(i.category, lagesbild::model::Category::Otrygghet);
    assert_eq!(i.source, lagesbild::model::Source::Trygghetsvard);
    assert_eq!(i.place.as_deref(), Some("Stationen"));
    assert_eq!(i.precision_m, 25.0);
    assert!((i.position.lat - 56.049444).abs() < 1e-9);
    assert!(i.description.is_some());
}

#[test]
fn the_sample_is_taken_through_the_whole_file() {
    // 100 rows in Swedish order (X = northing), then 500 in GIS order
    // (X = easting): the first rows alone would be an even split; the
    // rows sampled through the file give GIS order the majority.
    let dir = Dir::new();
    let places = [
        (473545.0, 6211954.0),
        (480275.5, 6211689.7),
        (481297.7, 6207975.5),
        (479273.7, 6219114.8),
        (485157.1, 6210816.4),
    ];
    let mut text = String::from("id;X;Y;tid\n");
    for i in 0..600 {
        let (e, n) = places[i % places.len()];
        let (x, y) = if i < 100 { (n, e) } else { (e, n) };
        text.push_str(&format!("R{i};{x};{y};2025-03-14 22:40\n"));
    }
    let path = dir.write("mixed.csv", text);
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let report = import::import_file(
        &mut project,
        &path,
        &ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(report.imported, 500);
    assert_eq!(report.rejected.len(), 100);
    assert_eq!(report.rejected[0].line, 2);
    assert_eq!(report.rejected[99].line, 101);
    let notes = report.notes.join(" ");
    assert!(notes.contains("X = easting, Y = northing"), "{notes}");
    assert!(notes.contains("100 of 400 sample rows"), "{notes}");
    assert!(
        notes.contains("(lines 2, 3, 4, 5, 6, 7, 8, 9 and 92 more)"),
        "{notes}"
    );
}
