//! The CSV importer end to end: fixture files through `import_file` into a
//! real project file, checked through the store.

use std::path::{Path, PathBuf};

use lagesbild::crs::Crs;
use lagesbild::import::{
    Field, Format, ImportError, ImportOptions, ImportReport, benchdata, import_file,
    write_rejects_csv,
};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source, time};
use lagesbild::store::{Project, Store};

use crate::util::{Dir, fixture};

fn csv_fixture(name: &str) -> PathBuf {
    fixture(&format!("csv/{name}"))
}

fn new_project(dir: &Dir) -> Project {
    Project::create(&dir.path("p.gpkg"), "test").unwrap()
}

fn import(
    project: &mut Project,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    import_file(project, path, options, &NoProgress, &CancelToken::new())
}

fn import_ok(project: &mut Project, name: &str) -> ImportReport {
    import(project, &csv_fixture(name), &ImportOptions::default()).unwrap()
}

fn count(project: &Project) -> u64 {
    project.info().unwrap().incident_count
}

fn incidents(project: &Project) -> Vec<Incident> {
    project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
}

fn by_id(project: &Project, id: &str) -> Incident {
    incidents(project)
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no incident {id}"))
}

fn utc_text(i: &Incident) -> String {
    time::gpkg_datetime(i.occurred_at)
}

/// Distance in metres between two nearby WGS84 points (equirectangular).
fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let lat = a.lat.to_radians();
    let dx = (a.lon - b.lon).to_radians() * lat.cos() * 6_371_000.0;
    let dy = (a.lat - b.lat).to_radians() * 6_371_000.0;
    (dx * dx + dy * dy).sqrt()
}

/// The fixture points, in WGS84 (their SWEREF 99 and RT 90 coordinates in
/// the fixtures were computed with PROJ through GDAL 3.6's `gdaltransform`,
/// EPSG:4326 → EPSG:3006 / 3021 / 3009).
const STORTORGET: LonLat = LonLat {
    lon: 14.5862,
    lat: 56.0510,
};
const STATIONEN: LonLat = LonLat {
    lon: 14.5793,
    lat: 56.0486,
};
const HALLEVIK: LonLat = LonLat {
    lon: 14.7030,
    lat: 56.0100,
};

fn assert_near(got: LonLat, want: LonLat) {
    let d = distance_m(got, want);
    assert!(d < 1.0, "{got:?} is {d:.3} m from {want:?}");
}

fn assert_file_error(r: Result<ImportReport, ImportError>, needle: &str) {
    match r {
        Err(ImportError::File { reason, .. }) => {
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}")
        }
        other => panic!("expected a file error with {needle:?}, got {other:?}"),
    }
}

#[test]
fn comma_utf8_imports_then_duplicates_then_conflicts() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "comma_utf8.csv");
    assert_eq!(report.format, Format::Csv);
    assert_eq!((report.imported, report.duplicates), (3, 0));
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(count(&p), 3);

    let s1 = by_id(&p, "S-1");
    assert_eq!(utc_text(&s1), "2025-03-14T21:40:00.000Z");
    assert_eq!(s1.position, STORTORGET);
    assert_eq!(
        (s1.category, s1.source),
        (Category::Skadegorelse, Source::Trygghetsvard)
    );
    assert_eq!(s1.place.as_deref(), Some("Stortorget"));
    assert_eq!(s1.description.as_deref(), Some("Krossad busskurs"));
    assert_eq!(s1.import_file.as_deref(), Some("comma_utf8.csv"));
    let s2 = by_id(&p, "S-2");
    assert_eq!(utc_text(&s2), "2025-03-14T21:40:00.000Z");
    assert_eq!((s2.category, s2.source), (Category::Vald, Source::Polis));
    let s3 = by_id(&p, "S-3");
    assert_eq!(utc_text(&s3), "2025-07-04T21:30:00.000Z");
    assert_eq!(
        (s3.category, s3.category_text.as_deref()),
        (Category::Ovrigt, Some("Rattfylleri"))
    );
    assert_eq!(
        (s3.source, s3.source_text.as_deref()),
        (Source::Ovrigt, Some("Kustbevakningen"))
    );
    assert_eq!(
        s3.description.as_deref(),
        Some("Bil i diket, \"ingen skadad\"")
    );

    // The same file again: nothing new.
    let again = import_ok(&mut p, "comma_utf8.csv");
    assert_eq!((again.imported, again.duplicates), (0, 3));
    assert_eq!(count(&p), 3);

    // Same source and id, another time: a conflict, not imported.
    let changed = dir.write(
        "changed.csv",
        "id,lon,lat,occurred_at,category,source\nS-2,14.5793,56.0486,2025-03-15T21:40:00Z,vald,polis\n",
    );
    let report = import(&mut p, &changed, &ImportOptions::default()).unwrap();
    assert_eq!(report.imported, 0);
    assert_eq!(report.conflicts.len(), 1, "{report:?}");
    assert_eq!(report.conflicts[0].line, 2);
    assert_eq!(report.conflicts[0].external_id, "S-2");
    assert_eq!(report.conflicts[0].fid, s2.fid.unwrap());
    assert_eq!(utc_text(&by_id(&p, "S-2")), "2025-03-14T21:40:00.000Z");
}

#[test]
fn semicolon_decimal_comma_windows_1252_sweref() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "semicolon_cp1252.csv");
    assert_eq!(report.imported, 3, "{report:?}");
    for note in ["Encoding: Windows-1252", "Delimiter: ;"] {
        assert!(report.notes.iter().any(|n| n == note), "{:?}", report.notes);
    }
    assert!(
        report.notes.iter().any(|n| n.starts_with("Decimal comma")),
        "{:?}",
        report.notes
    );
    let k1 = by_id(&p, "K-101");
    assert_near(k1.position, STORTORGET);
    assert_eq!(utc_text(&k1), "2025-03-14T21:40:00.000Z");
    assert_eq!(k1.category, Category::Skadegorelse);
    assert_eq!(k1.source, Source::Trygghetsvard);
    assert_eq!(k1.place.as_deref(), Some("Stortorget"));
    assert_eq!(k1.description.as_deref(), Some("Klotter på väggen"));
    let k2 = by_id(&p, "K-102");
    assert_near(k2.position, STATIONEN);
    assert_eq!(utc_text(&k2), "2025-03-14T22:05:00.000Z");
    let k3 = by_id(&p, "K-103");
    assert_near(k3.position, HALLEVIK);
    assert_eq!(utc_text(&k3), "2025-05-31T23:15:00.000Z");
    assert_eq!(
        (k3.category, k3.source),
        (Category::Ordningsstorning, Source::Socialtjanst)
    );
}

#[test]
fn utf8_with_bom() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "bom_utf8.csv");
    assert_eq!(report.imported, 2);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "Encoding: UTF-8 (with BOM)"),
        "{:?}",
        report.notes
    );
    let all = incidents(&p);
    assert_eq!(all[0].position, STORTORGET);
    assert_eq!(all[1].category, Category::Stold);
}

#[test]
fn sweref99_tm_with_swedish_x_northing() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "sweref_x_northing.csv");
    assert_eq!(report.imported, 3, "{report:?}");
    assert!(
        report.notes.iter().any(|n| n.contains("SWEREF 99 TM")),
        "{:?}",
        report.notes
    );
    assert_near(by_id(&p, "T1").position, STORTORGET);
    assert_near(by_id(&p, "T2").position, STATIONEN);
    assert_near(by_id(&p, "T3").position, HALLEVIK);
}

#[test]
fn rt90_x_y() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "rt90.csv");
    assert_eq!(report.imported, 3, "{report:?}");
    assert!(
        report.notes.iter().any(|n| n.contains("RT 90")),
        "{:?}",
        report.notes
    );
    assert_near(by_id(&p, "R1").position, STORTORGET);
    assert_near(by_id(&p, "R2").position, STATIONEN);
    assert_near(by_id(&p, "R3").position, HALLEVIK);
}

#[test]
fn local_sweref_zone_with_crs_option() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let options = ImportOptions {
        crs: Some(Crs::parse("EPSG:3009").unwrap()),
        ..ImportOptions::default()
    };
    let report = import(&mut p, &csv_fixture("sweref_15_00.csv"), &options).unwrap();
    assert_eq!(report.imported, 3, "{report:?}");
    assert_near(by_id(&p, "L1").position, STORTORGET);
    assert_near(by_id(&p, "L3").position, HALLEVIK);
}

#[test]
fn separate_date_and_time_columns() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "datum_tid.csv");
    assert_eq!(report.imported, 2, "{report:?}");
    let all = incidents(&p);
    assert_eq!(utc_text(&all[0]), "2025-03-14T21:40:00.000Z");
    assert_eq!(utc_text(&all[1]), "2025-03-15T02:05:00.000Z");
    assert_eq!(all[0].description.as_deref(), Some("Fönster krossat"));
}

#[test]
fn day_month_year_dates() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "dmy.csv");
    assert_eq!(report.imported, 3, "{report:?}");
    let all = incidents(&p);
    // 3/4/2025 follows the file's other rows (14/4/2025): 3 April.
    assert_eq!(utc_text(&all[0]), "2025-04-03T20:40:00.000Z");
    assert_eq!(utc_text(&all[1]), "2025-04-14T08:00:00.000Z");
    assert_eq!(utc_text(&all[2]), "2025-12-31T22:59:00.000Z");
    assert!(
        report.notes.iter().any(|n| n.contains("day/month/year")),
        "{:?}",
        report.notes
    );
}

#[test]
fn map_overrides_column_names() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    assert_file_error(
        import(
            &mut p,
            &csv_fixture("mapped.csv"),
            &ImportOptions::default(),
        ),
        "missing",
    );
    let options = ImportOptions {
        column_map: vec![
            ("Löpnummer".to_owned(), Field::Id),
            ("koord ö".to_owned(), Field::Lon),
            ("Koord N".to_owned(), Field::Lat),
            ("När".to_owned(), Field::OccurredAt),
            ("Vad".to_owned(), Field::Category),
        ],
        default_source: Some(Source::Raddningstjanst),
        ..ImportOptions::default()
    };
    let report = import(&mut p, &csv_fixture("mapped.csv"), &options).unwrap();
    assert_eq!(report.imported, 2, "{report:?}");
    let m1 = by_id(&p, "M1");
    assert_eq!(m1.position, STORTORGET);
    assert_eq!(
        (m1.category, m1.source),
        (Category::Brand, Source::Raddningstjanst)
    );
}

#[test]
fn row_errors_are_reported_and_good_rows_import() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    /// File, rows imported, and (line, part of the reason) of each reject.
    type Case<'a> = (&'a str, u64, &'a [(u64, &'a str)]);
    let cases: &[Case] = &[
        ("broken_quoting.csv", 1, &[(3, "broken quoting")]),
        (
            "text_in_numbers.csv",
            1,
            &[
                (3, "column \"lat\": \"norr om torget\" is not a number"),
                (4, "column \"lon\": \"fjorton\" is not a number"),
            ],
        ),
        (
            "impossible_dates.csv",
            1,
            &[(2, "2025-02 has no day 30"), (3, "not a valid time of day")],
        ),
        (
            "africa.csv",
            1,
            &[(
                2,
                "position lon 5.123, lat 10.456 is far outside Sweden (in the sea off Africa?)",
            )],
        ),
        (
            "wrong_field_count.csv",
            1,
            &[
                (3, "expected 4 fields as in the header, found 3"),
                (4, "expected 4 fields as in the header, found 5"),
            ],
        ),
    ];
    let mut total = 0;
    for (name, imported, errors) in cases {
        let path = csv_fixture(name);
        let report = import(&mut p, &path, &ImportOptions::default()).unwrap();
        total += imported;
        assert_eq!(report.imported, *imported, "{name}: {report:?}");
        assert_eq!(
            report.rejected.len(),
            errors.len(),
            "{name}: {:?}",
            report.rejected
        );
        for (e, (line, needle)) in report.rejected.iter().zip(errors.iter()) {
            assert_eq!(e.line, *line, "{name}: {e}");
            assert!(e.reason.contains(needle), "{name}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("{}:{line}: ", path.display())),
                "{e}"
            );
            assert!(e.raw.is_some());
        }
        assert_eq!(count(&p), total);
    }

    // The rejects file keeps line, reason and the raw record.
    let report = import(
        &mut p,
        &csv_fixture("text_in_numbers.csv"),
        &ImportOptions::default(),
    )
    .unwrap();
    let out = dir.path("rejects.csv");
    write_rejects_csv(&out, &report.rejected).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        "file,line,reason,raw\n\
         text_in_numbers.csv,3,\"column \"\"lat\"\": \"\"norr om torget\"\" is not a number\",\"N2,14.5793,norr om torget,2025-03-14 22:40\"\n\
         text_in_numbers.csv,4,\"column \"\"lon\"\": \"\"fjorton\"\" is not a number\",\"N3,fjorton,56.0100,2025-03-14 22:40\"\n"
    );
}

#[test]
fn dst_boundaries() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let report = import_ok(&mut p, "dst.csv");
    assert_eq!(report.imported, 2, "{report:?}");
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 2);
    assert!(
        report.rejected[0]
            .reason
            .contains("2025-03-30 02:30:00 does not exist in Swedish local time"),
        "{}",
        report.rejected[0].reason
    );
    assert_eq!(utc_text(&by_id(&p, "V2")), "2025-10-26T00:30:00.000Z");
    assert_eq!(utc_text(&by_id(&p, "V3")), "2025-03-30T01:00:00.000Z");
    assert!(
        report.notes.iter().any(|n| n.contains("happens twice")),
        "{:?}",
        report.notes
    );
}

#[test]
fn strict_mode_leaves_the_project_unchanged() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    import_ok(&mut p, "comma_utf8.csv");
    let before = count(&p);
    let options = ImportOptions {
        strict: true,
        ..ImportOptions::default()
    };
    match import(&mut p, &csv_fixture("text_in_numbers.csv"), &options) {
        Err(ImportError::Strict {
            rejected, first, ..
        }) => {
            assert_eq!(rejected, 2);
            assert_eq!(first.line, 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&p), before);
}

#[test]
fn bad_files_leave_the_project_unchanged() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    import_ok(&mut p, "comma_utf8.csv");
    let before = count(&p);
    let o = ImportOptions::default();
    let zero = dir.write("zero.csv", b"");
    let binary = dir.write(
        "data.csv",
        b"PK\x03\x04\x00\x00\x08\x00id,lon,lat\x00\x00\xff",
    );
    assert_file_error(import(&mut p, &zero, &o), "empty file");
    assert_file_error(import(&mut p, &csv_fixture("empty.csv"), &o), "empty file");
    assert_file_error(import(&mut p, &binary, &o), "not a text file");
    assert_file_error(
        import(&mut p, &csv_fixture("header_only.csv"), &o),
        "no data rows",
    );
    assert_file_error(
        import(&mut p, &csv_fixture("projected_in_lonlat_columns.csv"), &o),
        "not degrees",
    );
    let r = import(&mut p, &csv_fixture("missing_columns.csv"), &o);
    assert_file_error(r, "missing a time column");
    let r = import(&mut p, &csv_fixture("missing_columns.csv"), &o);
    assert_file_error(r, "the header has \"id\", \"plats\", \"beskrivning\"");
    // Every row bad: Ok with nothing imported.
    let report = import(
        &mut p,
        &csv_fixture("africa.csv"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(count(&p), before + 1);
    let all_bad = dir.write(
        "all_bad.csv",
        "id,lon,lat,time\nX1,5.1,10.4,2025-03-14 22:40\n",
    );
    let report = import(&mut p, &all_bad, &o).unwrap();
    assert_eq!((report.imported, report.rejected.len()), (0, 1));
    assert_eq!(count(&p), before + 1);
}

#[test]
fn benchmark_csv_is_seeded_and_imports_both_ways() {
    let dir = Dir::new();
    let a = dir.path("a.csv");
    let b = dir.path("b.csv");
    benchdata::write_benchmark_csv(&a, 500, 7).unwrap();
    benchdata::write_benchmark_csv(&b, 500, 7).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(text.starts_with("id,lon,lat,x,y,occurred_at,category,source\n"));
    assert_eq!(text.lines().count(), 501);

    let mut p = new_project(&dir);
    let report = import(&mut p, &a, &ImportOptions::default()).unwrap();
    assert_eq!(report.imported, 500, "{:?}", report.rejected);
    let by_lonlat = incidents(&p);
    let (min, max) = benchdata::AREA;
    for i in &by_lonlat {
        assert!(
            (min.lon..=max.lon).contains(&i.position.lon)
                && (min.lat..=max.lat).contains(&i.position.lat)
        );
    }

    // The x/y columns hold the same points.
    let dir2 = Dir::new();
    let mut p2 = new_project(&dir2);
    let options = ImportOptions {
        column_map: vec![
            ("lon".to_owned(), Field::Ignore),
            ("lat".to_owned(), Field::Ignore),
        ],
        ..ImportOptions::default()
    };
    let report = import(&mut p2, &a, &options).unwrap();
    assert_eq!(report.imported, 500, "{:?}", report.rejected);
    let mut by_lonlat = by_lonlat;
    let mut by_xy = incidents(&p2);
    by_lonlat.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    by_xy.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    for (x, y) in by_lonlat.iter().zip(&by_xy) {
        assert_eq!(x.external_id, y.external_id);
        // lon/lat have 6 decimals (≤ 0.07 m), x/y 2 decimals.
        assert!(distance_m(x.position, y.position) < 0.1, "{x:?} {y:?}");
    }
}

#[test]
fn projected_values_in_lonlat_columns_with_crs_option() {
    let dir = Dir::new();
    let mut p = new_project(&dir);
    let options = ImportOptions {
        crs: Some(Crs::SWEREF99_TM),
        ..ImportOptions::default()
    };
    let path = csv_fixture("projected_in_lonlat_columns.csv");
    let report = import(&mut p, &path, &options).unwrap();
    assert_eq!(report.imported, 1, "{report:?}");
    assert_near(incidents(&p)[0].position, STORTORGET);
}
