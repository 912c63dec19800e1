//! Hostile inputs (issue 21, "No input crashes it"): deeply nested JSON,
//! 100,000-character fields, 20,000 columns, NUL bytes and invalid UTF-8,
//! through the public importers and the binary. Each must give a clear error
//! naming the file, the line and the reason (or import what is good), never
//! panic or hang, and leave the project exactly as it was. The crashes the
//! fuzz targets (fuzz/, `scripts/fuzz.sh`) found are kept here as regression
//! tests too.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use lagesbild::import::{self, Format, ImportError, ImportOptions, ImportReport};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::view::ViewFile;
use lagesbild::store::{Project, Store};

use crate::util::{Dir, assert_exit, run_cli_in, text};

/// How long one hostile import may take before it counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(120);

/// Runs `f` on its own thread and fails the test when it has not finished
/// within [`HANG_LIMIT`], so a hang is a failure, not a stuck test run.
fn within_limit<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn");
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within {HANG_LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the reader panicked"),
    }
}

/// A project holding two incidents, the "earlier data" every hostile import
/// must leave alone.
fn project_with_data(dir: &Dir) -> PathBuf {
    let path = dir.path("p.gpkg");
    let good = dir.write(
        "good.csv",
        "id,lon,lat,time,category\n1,14.58,56.05,2025-03-14 22:40,vald\n2,14.59,56.06,2025-03-15 22:40,brand\n",
    );
    let mut project = Project::create(&path, "Robust").unwrap();
    let report = import::import_file(
        &mut project,
        &good,
        &ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(report.imported, 2);
    path
}

/// Imports `file` into the project at `project` on a watched thread.
fn import_watched(
    project: &Path,
    file: &Path,
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let (project, file) = (project.to_owned(), file.to_owned());
    let what = format!("importing {}", file.display());
    within_limit(&what, move || {
        let mut store = Project::open(&project).unwrap();
        import::import_file(
            &mut store,
            &file,
            &options,
            &NoProgress,
            &CancelToken::new(),
        )
    })
}

/// What every hostile import must do: a file error naming the file (and a
/// line where one is given), or a report whose every reject names the file
/// and its line; and when nothing was imported, the project file is byte for
/// byte what it was.
#[track_caller]
fn assert_clear(
    project: &Path,
    file: &Path,
    before: &[u8],
    result: &Result<ImportReport, ImportError>,
) -> Option<String> {
    let name = file.display().to_string();
    let unchanged = || {
        assert!(
            std::fs::read(project).unwrap() == before,
            "{name}: the project changed although nothing was imported"
        );
    };
    match result {
        Ok(report) => {
            for r in &report.rejected {
                assert!(r.line >= 1, "{r}");
                assert!(
                    r.to_string().starts_with(&format!("{name}:{}: ", r.line)),
                    "{r}"
                );
                assert!(!r.reason.trim().is_empty(), "{r}");
                assert!(r.reason.len() < 2_000, "reason of {} bytes", r.reason.len());
            }
            if report.imported == 0 {
                unchanged();
            }
            None
        }
        Err(e @ ImportError::File { path, reason, .. }) => {
            assert_eq!(path, file);
            assert!(e.to_string().starts_with(&name), "{e}");
            assert!(!reason.trim().is_empty(), "{e}");
            assert!(reason.len() < 2_000, "reason of {} bytes", reason.len());
            unchanged();
            Some(e.to_string())
        }
        Err(e) => panic!("{name}: not a clear file error: {e:?}"),
    }
}

fn nested(depth: usize, open: &str, close: &str) -> String {
    let mut s = String::with_capacity(depth * (open.len() + close.len()));
    for _ in 0..depth {
        s.push_str(open);
    }
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

/// 100,000 levels of arrays or objects, inside a property (GeoJSON), an
/// event field (Polisen) and as the whole file.
fn deep_json_files(dir: &Dir) -> Vec<(PathBuf, Format)> {
    let deep_array = nested(100_000, "[", "]");
    let deep_object = nested(100_000, "{\"a\":", "}").replace("{\"a\":}", "{\"a\":1}");
    let feature = |props: &str| {
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[\n{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[14.58,56.05]}},\n\"properties\":{{\"time\":\"2025-03-14 22:40\",\"x\":{props}}}}}]}}"
        )
    };
    vec![
        (
            dir.write("deep_property.geojson", feature(&deep_array)),
            Format::GeoJson,
        ),
        (
            dir.write("deep_object.geojson", feature(&deep_object)),
            Format::GeoJson,
        ),
        (
            dir.write("deep_whole.geojson", &deep_array),
            Format::GeoJson,
        ),
        (
            dir.write(
                "deep_polisen.json",
                format!("[\n{{\"id\":1,\"name\":\"x\",\"location\":{deep_array}}}]"),
            ),
            Format::Polisen,
        ),
        (dir.write("deep_whole.json", &deep_array), Format::Polisen),
    ]
}

#[test]
fn deeply_nested_json_is_a_clear_error_never_a_stack_overflow() {
    let dir = Dir::new();
    let project = project_with_data(&dir);
    let before = std::fs::read(&project).unwrap();
    for (file, format) in deep_json_files(&dir) {
        for forced in [None, Some(format)] {
            let options = ImportOptions {
                format: forced,
                ..ImportOptions::default()
            };
            let result = import_watched(&project, &file, options);
            // A file error, or (a feature nested past the limit inside a
            // well-formed file) that feature rejected by its line.
            let message = match assert_clear(&project, &file, &before, &result) {
                // (A file-level refusal of the whole file may name no line.)
                Some(m) => m,
                None => {
                    let report = result.as_ref().unwrap();
                    assert_eq!(
                        (report.imported, report.rejected.len()),
                        (0, 1),
                        "{report:?}"
                    );
                    report.rejected[0].to_string()
                }
            };
            // Nested past serde_json's limit inside a feature: "recursion
            // limit exceeded"; a whole file of nested arrays is refused as
            // no FeatureCollection / no police events before that.
            assert!(
                message.contains("recursion limit") || message.contains("not a "),
                "{message}"
            );
        }
    }
    assert_eq!(
        Project::open(&project)
            .unwrap()
            .info()
            .unwrap()
            .incident_count,
        2
    );
}

#[test]
fn deeply_nested_json_layers_and_view_files_are_clear_errors() {
    let dir = Dir::new();
    let deep = nested(100_000, "[", "]");
    // A GeoJSON map layer.
    let layer = dir.write(
        "deep_layer.geojson",
        format!("{{\"type\":\"FeatureCollection\",\"features\":[{{\"type\":\"Feature\",\"properties\":{{\"a\":{deep}}},\"geometry\":null}}]}}"),
    );
    let path = layer.clone();
    let e = within_limit("layer", move || {
        import::layer_file::read_layer_file(&path, None).map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert!(e.starts_with(&layer.display().to_string()), "{e}");
    assert!(e.contains("recursion limit"), "{e}");

    // A view file, in the library and through `lagesbild view import`.
    // Deep in a member no view reads (unknown members are skipped, so only
    // the recursion limit stops it).
    let views =
        format!("{{\"format\":\"lagesbild-views\",\"version\":1,\"views\":[],\"extra\":{deep}}}");
    let text_views = views.clone();
    // An unknown member is skipped whole, however deep: it reads, and
    // nothing overflows the stack.
    let read = within_limit("views", move || {
        ViewFile::from_json(&text_views).map(|f| f.views.len())
    });
    assert_eq!(read.unwrap(), 0);
    let views = format!("{{\"format\":\"lagesbild-views\",\"version\":1,\"views\":{deep}}}");
    let file = dir.write("deep_views.json", &views);
    let project = project_with_data(&dir);
    let before = std::fs::read(&project).unwrap();
    let out = run_cli_in(
        dir.root(),
        &["view", "import", "p.gpkg", file.to_str().unwrap()],
    );
    assert_exit(&out, 2);
    let (_, err) = text(&out);
    assert!(
        err.contains("deep_views.json") && err.contains("line 1"),
        "{err}"
    );
    assert_eq!(std::fs::read(&project).unwrap(), before);
}

#[test]
fn deeply_nested_json_through_the_cli_leaves_the_project_unchanged() {
    let dir = Dir::new();
    let project = project_with_data(&dir);
    let before = std::fs::read(&project).unwrap();
    for (file, _) in deep_json_files(&dir) {
        let out = run_cli_in(dir.root(), &["import", "p.gpkg", file.to_str().unwrap()]);
        assert_exit(&out, 1);
        // Rejected rows are listed on stdout, file errors on stderr.
        let (out_text, err_text) = text(&out);
        let err = format!("{out_text}{err_text}");
        let name = file.display().to_string();
        assert!(err.contains(&format!("{name}:")), "{err}");
        assert!(
            err.contains("recursion limit") || err.contains("not a "),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(std::fs::read(&project).unwrap(), before, "{name}");
    }
}

#[test]
fn hundred_thousand_character_fields_import_or_are_refused_briefly() {
    let dir = Dir::new();
    let project = project_with_data(&dir);
    let long: String = "å".repeat(100_000);
    let digits: String = "9".repeat(100_000);
    // A long place and description import (free text may be long); a long
    // number, time, category or id is a reject whose reason stays short.
    let csv = format!(
        "id,lon,lat,time,category,place,description\n\
         10,14.58,56.05,2025-03-14 22:40,vald,{long},{long}\n\
         11,{digits},56.05,2025-03-14 22:40,vald,a,b\n\
         12,14.58,56.05,{long},vald,a,b\n\
         13,14.58,56.05,2025-03-14 22:40,{long},a,b\n\
         {long},14.58,56.05,2025-03-14 22:40,vald,a,b\n"
    );
    let file = dir.write("long.csv", &csv);
    let before = std::fs::read(&project).unwrap();
    let result = import_watched(&project, &file, ImportOptions::default());
    assert_clear(&project, &file, &before, &result);
    let report = result.unwrap();
    assert_eq!(
        report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        [3, 4]
    );
    assert!(report.imported >= 3, "{report:?}");

    let geojson = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n\
         {{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[14.58,56.05]}},\"properties\":{{\"time\":\"2025-03-16 22:40\",\"description\":\"{long}\"}}}},\n\
         {{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[14.58,56.05]}},\"properties\":{{\"time\":\"{long}\"}}}}\n]}}"
    );
    let file = dir.write("long.geojson", &geojson);
    let before = std::fs::read(&project).unwrap();
    let result = import_watched(&project, &file, ImportOptions::default());
    assert_clear(&project, &file, &before, &result);
    let report = result.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(
        report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        [3]
    );

    let polisen = format!(
        "[\n{{\"id\":77,\"datetime\":\"2025-03-14 9:58:49 +01:00\",\"name\":\"{long}\",\"summary\":\"{long}\",\"type\":\"{long}\",\"location\":{{\"name\":\"{long}\",\"gps\":\"{long}\"}}}}\n]"
    );
    let file = dir.write("long.json", &polisen);
    let before = std::fs::read(&project).unwrap();
    let result = import_watched(&project, &file, ImportOptions::default());
    assert_clear(&project, &file, &before, &result);
    let report = result.unwrap();
    assert_eq!(report.imported, 0);
    assert_eq!(report.rejected.len(), 1, "{:?}", report.rejected);
    // Cut to 300 characters like the CSV reasons, saying how long it was.
    let reason = &report.rejected[0].reason;
    assert!(
        reason.chars().count() < 360 && reason.contains("reason cut short"),
        "{} characters: {}",
        reason.chars().count(),
        reason.chars().take(80).collect::<String>()
    );
    assert_eq!(std::fs::read(&project).unwrap(), before);
}

#[test]
fn twenty_thousand_columns_import_without_hanging() {
    let dir = Dir::new();
    let project = project_with_data(&dir);
    let mut header = String::from("id,lon,lat,time");
    let mut row = String::from("20,14.58,56.05,2025-03-14 22:40");
    for i in 0..20_000 {
        header.push_str(&format!(",extra{i}"));
        row.push_str(&format!(",{i}"));
    }
    let csv = format!("{header}\n{row}\n{}\n", row.replacen("20,", "21,", 1));
    let file = dir.write("wide.csv", &csv);
    let before = std::fs::read(&project).unwrap();
    let result = import_watched(&project, &file, ImportOptions::default());
    assert_clear(&project, &file, &before, &result);
    assert_eq!(result.unwrap().imported, 2);

    // A row with fewer fields than the 20,004 columns is a reject naming its line.
    let short = format!("{header}\n22,14.58,56.05,2025-03-14 22:40\n");
    let file = dir.write("wide_short.csv", &short);
    let before = std::fs::read(&project).unwrap();
    let result = import_watched(&project, &file, ImportOptions::default());
    assert_clear(&project, &file, &before, &result);

    let mut props = String::new();
    for i in 0..20_000 {
        props.push_str(&format!("\"p{i}\":{i},"));
    }
    let geojson = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[14.58,56.05]}},\"properties\":{{{props}\"time\":\"2025-03-17 22:40\"}}}}]}}"
    );
    let file = dir.write("wide.geojson", &geojson);
    let before = std::fs::read(&project).unwrap();
    let result = import_watched(&project, &file, ImportOptions::default());
    assert_clear(&project, &file, &before, &result);
    assert_eq!(result.unwrap().imported, 1);
}

/// Good files of each importer, to be damaged with NUL and invalid UTF-8.
fn good_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "nul.csv",
            b"id,lon,lat,time,category,place\n30,14.58,56.05,2025-03-14 22:40,vald,Torget\n31,14.59,56.06,2025-03-15 22:40,brand,Hamnen\n".to_vec(),
        ),
        (
            "nul.geojson",
            b"{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[14.58,56.05]},\"properties\":{\"id\":\"40\",\"time\":\"2025-03-14 22:40\",\"place\":\"Torget\"}}\n]}\n".to_vec(),
        ),
        (
            "nul.json",
            b"[\n{\"id\":50,\"datetime\":\"2025-03-14 9:58:49 +01:00\",\"name\":\"14 mars 09.58, Misshandel, S\xc3\xb6lvesborg\",\"summary\":\"x\",\"url\":\"/a\",\"type\":\"Misshandel\",\"location\":{\"name\":\"S\xc3\xb6lvesborg\",\"gps\":\"56.05,14.58\"}}\n]\n".to_vec(),
        ),
    ]
}

#[test]
fn nul_bytes_and_invalid_utf8_anywhere_are_clear_errors() {
    let dir = Dir::new();
    let project = project_with_data(&dir);
    for (name, good) in good_files() {
        // Every 7th position plus the first and the last, with a NUL, a
        // lone continuation byte, an overlong encoding and a bare 0xFF.
        let mut positions: Vec<usize> = (0..good.len()).step_by(7).collect();
        positions.push(good.len() - 1);
        for pos in positions {
            for bad in [&b"\0"[..], b"\x80", b"\xC0\xAF", b"\xFF"] {
                let mut bytes = good.clone();
                bytes.splice(pos..pos, bad.iter().copied());
                let file = dir.write(name, &bytes);
                let before = std::fs::read(&project).unwrap();
                let result = import_watched(&project, &file, ImportOptions::default());
                assert_clear(&project, &file, &before, &result);
            }
        }
    }
    // What the damage did not touch is still there.
    assert!(
        Project::open(&project)
            .unwrap()
            .info()
            .unwrap()
            .incident_count
            >= 2
    );
}

#[test]
fn nul_bytes_and_invalid_utf8_in_gpx_are_clear_errors() {
    use lagesbild::import::presence::parse_gpx;
    let gpx = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"t\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n<trk><trkseg>\n<trkpt lat=\"56.05\" lon=\"14.58\"><time>2025-11-28T19:02:00Z</time></trkpt>\n</trkseg></trk>\n</gpx>\n";
    let path = Path::new("TV03_kväll.gpx");
    assert!(parse_gpx(path, gpx, "TV03").is_ok());
    for pos in 0..gpx.len() {
        for bad in [&b"\0"[..], b"\xFF", b"\xC3"] {
            let mut bytes = gpx.to_vec();
            bytes.splice(pos..pos, bad.iter().copied());
            if let Err(e) = parse_gpx(path, &bytes, "TV03") {
                let e = e.to_string();
                assert!(e.starts_with("TV03_kväll.gpx"), "{e}");
                assert!(e.len() < 500, "{e}");
            }
        }
    }
    let mut bytes = gpx.to_vec();
    bytes.insert(120, 0xFF);
    let e = parse_gpx(path, &bytes, "TV03").unwrap_err().to_string();
    assert!(e.contains("not UTF-8"), "{e}");
    let mut bytes = gpx.to_vec();
    bytes.insert(200, 0);
    let e = parse_gpx(path, &bytes, "TV03").unwrap_err().to_string();
    assert!(e.starts_with("TV03_kväll.gpx:"), "no line: {e}");
}

// ---------------------------------------------------------------------------
// Opening what is not a project.

fn open_message(path: &Path) -> String {
    let before = std::fs::read(path).ok();
    let e = match lagesbild::store::open(path) {
        Ok(_) => panic!("{} opened as a project", path.display()),
        Err(e) => e.to_string(),
    };
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert_eq!(
        std::fs::read(path).ok(),
        before,
        "opening changed {}",
        path.display()
    );
    e
}

/// Through the binary: `lagesbild stats FILE` fails with exit 2 and the same
/// message, and leaves the file as it was.
fn cli_open_message(dir: &Dir, path: &Path) -> String {
    let before = std::fs::read(path).ok();
    let out = run_cli_in(dir.root(), &["stats", path.to_str().unwrap()]);
    assert_exit(&out, 2);
    let (_, err) = text(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(path).ok(), before);
    err
}

/// A project with `n` incidents, made through the CSV importer.
fn project_with(dir: &Dir, name: &str, n: usize) -> PathBuf {
    let mut csv = String::from("id,lon,lat,time,category\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{i},{:.5},{:.5},2025-03-{:02} 22:40,vald\n",
            14.5 + (i % 100) as f64 * 0.001,
            56.0 + (i / 100) as f64 * 0.001,
            1 + i % 28
        ));
    }
    let file = dir.write(&format!("{name}.csv"), csv);
    let path = dir.path(name);
    let mut project = Project::create(&path, "Robust").unwrap();
    let report = import::import_file(
        &mut project,
        &file,
        &ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(report.imported, n as u64);
    path
}

#[test]
fn random_binary_and_truncated_projects_are_refused_clearly() {
    use rand::{RngCore as _, SeedableRng as _};
    let dir = Dir::new();
    let mut bytes = vec![0u8; 64 * 1024];
    rand_chacha::ChaCha8Rng::seed_from_u64(21).fill_bytes(&mut bytes);
    let random = dir.write("slump.gpkg", &bytes);
    assert!(open_message(&random).contains("not an SQLite/GeoPackage file"));
    assert!(cli_open_message(&dir, &random).contains("not an SQLite/GeoPackage file"));
    // Random bytes after a valid SQLite header.
    let mut headed = b"SQLite format 3\0".to_vec();
    headed.extend_from_slice(&bytes);
    let headed = dir.write("huvud.gpkg", &headed);
    let e = open_message(&headed);
    assert!(
        e.contains("not a Lägesbild project") || e.contains("damaged"),
        "{e}"
    );

    let project = project_with(&dir, "hel.gpkg", 3000);
    let whole = std::fs::read(&project).unwrap();
    for fraction in [2, 3, 10] {
        let cut = dir.write("halv.gpkg", &whole[..whole.len() / fraction]);
        let e = open_message(&cut);
        assert!(e.contains("truncated or damaged"), "1/{fraction}: {e}");
        assert!(cli_open_message(&dir, &cut).contains("truncated or damaged"));
    }
    // Cut inside the first page: no database at all.
    let cut = dir.write("stump.gpkg", &whole[..100]);
    let e = open_message(&cut);
    assert!(
        e.contains("not a Lägesbild project") || e.contains("damaged"),
        "{e}"
    );
}

#[test]
fn newer_schema_is_refused_and_the_file_left_alone() {
    let dir = Dir::new();
    let path = project_with(&dir, "ny.gpkg", 5);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("UPDATE lagesbild_meta SET value = '7' WHERE key = 'schema_version';")
        .unwrap();
    let e = open_message(&path);
    assert!(
        e.contains("schema version 7 is newer than this app understands"),
        "{e}"
    );
    let err = cli_open_message(&dir, &path);
    assert!(err.contains("update Lägesbild"), "{err}");
    assert!(!dir.path("ny.gpkg.bak-v7").exists());
}

/// Makes the project at `path` look as version 1 wrote it (no layer table).
fn downgrade_to_v1(path: &Path) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(
            "DROP TABLE lagesbild_layers;
             UPDATE lagesbild_meta SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
}

fn schema_version(path: &Path) -> String {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row(
            "SELECT value FROM lagesbild_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn older_schema_is_upgraded_after_a_backup_copy_beside_it() {
    let dir = Dir::new();
    let path = project_with(&dir, "gammal.gpkg", 40);
    downgrade_to_v1(&path);
    let store = lagesbild::store::open(path.as_path()).unwrap();
    assert_eq!(store.info().unwrap().schema_version, 2);
    assert_eq!(store.info().unwrap().incident_count, 40);
    drop(store);
    let backup = dir.path("gammal.gpkg.bak-v1");
    assert!(backup.is_file(), "no backup copy");
    assert_eq!(
        schema_version(&backup),
        "1",
        "the backup is the project as it was"
    );
    // The copy opens as a project (upgraded in its turn: copy it first so the
    // test keeps the untouched backup), with the same incidents.
    let copy = dir.path("återställd.gpkg");
    std::fs::copy(&backup, &copy).unwrap();
    let restored = lagesbild::store::open(copy.as_path()).unwrap();
    assert_eq!(restored.info().unwrap().incident_count, 40);
    drop(restored);
    let out = run_cli_in(dir.root(), &["stats", copy.to_str().unwrap()]);
    assert_exit(&out, 0);

    // A second upgrade never replaces the first backup.
    downgrade_to_v1(&path);
    let first = std::fs::read(&backup).unwrap();
    drop(lagesbild::store::open(path.as_path()).unwrap());
    assert_eq!(std::fs::read(&backup).unwrap(), first);
    assert!(dir.path("gammal.gpkg.bak-v1-2").is_file());
}

/// A GeoPackage that ogr2ogr wrote, as QGIS users hand them over: a point
/// layer `punkter` of five features (one with a time that is no time) and,
/// with `second`, a copy named `fler`; `None` when GDAL is missing and
/// LAGESBILD_REQUIRE_GDAL=0 allows skipping.
fn ogr2ogr_gpkg(dir: &Dir, name: &str, second: bool) -> Option<PathBuf> {
    let ogr2ogr = crate::util::gdal_tool("ogr2ogr")?;
    let out = dir.path(name);
    let mut features = Vec::new();
    for (i, (time, category)) in [
        ("2025-03-14 22:40", "Skadegörelse"),
        ("2025-03-15 23:10", "Våld"),
        ("igår", "Brand"),
        ("2025-04-01 01:05", "Narkotika"),
        ("2025-04-02 19:30", "Stöld"),
    ]
    .into_iter()
    .enumerate()
    {
        features.push(format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"id":"A-{}","tidpunkt":"{time}","kategori":"{category}","plats":"Torget","beskrivning":"Hemlig text"}}}}"#,
            14.58 + i as f64 * 0.001,
            56.05,
            i + 1
        ));
    }
    let src = dir.write(
        "qgis_source.geojson",
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    );
    let mut layers = vec!["punkter"];
    if second {
        layers.push("fler");
    }
    for (i, layer) in layers.into_iter().enumerate() {
        let mut cmd = std::process::Command::new(&ogr2ogr);
        cmd.args(["-f", "GPKG"]);
        if i > 0 {
            cmd.arg("-update");
        }
        cmd.arg(&out).arg(&src).args(["-nln", layer]);
        let o = cmd.output().expect("run ogr2ogr");
        assert!(o.status.success(), "{:?}", text(&o));
    }
    Some(out)
}

#[test]
fn a_foreign_geopackage_is_named_and_offered_as_incidents() {
    let dir = Dir::new();
    let Some(foreign) = ogr2ogr_gpkg(&dir, "qgis.gpkg", true) else {
        return;
    };
    let e = open_message(&foreign);
    assert!(
        e.contains("not a Lägesbild project but a GeoPackage"),
        "{e}"
    );
    assert!(e.contains("\"punkter\"") && e.contains("--layer"), "{e}");
    assert!(cli_open_message(&dir, &foreign).contains("--layer NAME --map"));

    let project = project_with(&dir, "p.gpkg", 2);
    let before = std::fs::read(&project).unwrap();
    // Two point layers and no --layer: a clear question, nothing written.
    let out = run_cli_in(dir.root(), &["import", "p.gpkg", "qgis.gpkg"]);
    assert_exit(&out, 1);
    let (_, err) = text(&out);
    assert!(
        err.contains("2 point layers") && err.contains("--layer"),
        "{err}"
    );
    assert_eq!(std::fs::read(&project).unwrap(), before);
    // A layer that is not there.
    let out = run_cli_in(
        dir.root(),
        &["import", "p.gpkg", "qgis.gpkg", "--layer", "saknas"],
    );
    assert_exit(&out, 1);
    assert!(
        text(&out).1.contains("no layer \"saknas\""),
        "{:?}",
        text(&out)
    );

    // With --layer: the attributes map like CSV columns, --map overrides.
    let out = run_cli_in(
        dir.root(),
        &[
            "import",
            "p.gpkg",
            "qgis.gpkg",
            "--layer",
            "punkter",
            "--map",
            "plats=ignore",
            "--json",
        ],
    );
    let (o, e) = text(&out);
    let report: serde_json::Value = serde_json::from_str(&o).unwrap_or_else(|_| panic!("{o}\n{e}"));
    let file = &report["files"][0];
    assert_eq!(file["format"], "GeoPackage", "{o}");
    let imported = file["imported"].as_u64().unwrap();
    let rejected = file["rejected"].as_array().unwrap().len() as u64;
    assert_eq!((imported, rejected), (4, 1), "{o}");
    let reject = &file["rejected"][0];
    assert_eq!(reject["line"], 3, "the third feature: {reject}");
    let reason = reject["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("layer \"punkter\", feature 3: "),
        "{reason}"
    );
    let store = lagesbild::store::open(project.as_path()).unwrap();
    let all = store
        .incidents(&lagesbild::model::Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(all.len() as u64, 2 + imported);
    let a1 = all
        .iter()
        .find(|i| i.external_id.as_deref() == Some("A-1"))
        .expect("feature A-1 imported");
    assert_eq!(a1.place, None, "--map plats=ignore");
    assert_eq!(a1.category, lagesbild::model::Category::Skadegorelse);
}

// ---------------------------------------------------------------------------
// Regression tests for what the fuzz targets found (scripts/fuzz.sh).

/// `gpkg_blob`, first run: a blob whose WKB is a geometry without
/// coordinates (type 0x5B04, count 0) behind an envelope. It decodes, writes
/// back with the empty flag and reads again as no geometry, which is what an
/// empty geometry means in a GeoPackage; nothing panics on the way.
#[test]
fn fuzz_gpkg_blob_empty_multipoint() {
    use geo::BoundingRect as _;
    use lagesbild::store::gpkg::blob::{envelope, geometry_blob, parse_geometry, parse_point};
    let blob: [u8; 91] = [
        0x47, 0x50, 0x00, 0x03, 0xe6, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0,
        0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x01, 0x04, 0x5b, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x00, 0x00, 0x00,
        0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
        0x40,
    ];
    assert!(parse_point(&blob).is_err());
    assert_eq!(envelope(&blob).unwrap(), Some([1.0, 3.0, 2.0, 4.0]));
    if let Ok(Some(g)) = parse_geometry(&blob) {
        assert!(g.bounding_rect().is_none(), "{g:?}");
        let written = geometry_blob(4326, &g).unwrap();
        assert_eq!(
            written[3] & 0b0001_0000,
            0b0001_0000,
            "written with the empty flag"
        );
        assert_eq!(parse_geometry(&written).unwrap(), None);
        assert_eq!(envelope(&written).unwrap(), None);
    }
}

/// `gpkg_blob`, second run: a MultiPoint whose second part is a Point cut
/// short inside the blob. The `wkb` crate (0.9.3) panicked on it (an unwrap
/// in its point reader); the decoder now walks the WKB first and refuses it.
#[test]
fn fuzz_gpkg_blob_short_point_in_a_multipoint() {
    use lagesbild::store::gpkg::blob::{envelope, parse_geometry};
    let blob: [u8; 96] = [
        0x47, 0x50, 0x00, 0x03, 0xe6, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0,
        0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x01, 0x04, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
        0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x10, 0x40,
    ];
    let e = parse_geometry(&blob).unwrap_err().to_string();
    assert!(e.starts_with("geometry blob holds bad WKB"), "{e}");
    // The header's envelope is still read without the WKB.
    assert_eq!(envelope(&blob).unwrap(), Some([1.0, 3.0, 2.0, 4.0]));
    // Deeply nested collections are refused, not recursed into.
    let mut deep = vec![b'G', b'P', 0, 0x01, 0xe6, 0x10, 0, 0];
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x01, 0x07, 0, 0, 0, 0x01, 0, 0, 0]);
    }
    let e = parse_geometry(&deep).unwrap_err().to_string();
    assert!(e.contains("nested deeper"), "{e}");
}

/// Found by the `gpkg_blob` fuzz target: a polygon ring of NaN coordinates.
/// Its first and last points never compare equal, so `geo` closed the ring
/// again on every read and a written blob did not read back as itself. A
/// coordinate that is NaN or infinite (other than the GeoPackage empty point)
/// is now refused as damage.
#[test]
fn fuzz_gpkg_blob_polygon_of_nan_coordinates() {
    use lagesbild::store::gpkg::blob::{BlobError, envelope, parse_geometry, parse_point};
    let blob: [u8; 155] = [
        0x47, 0x50, 0x00, 0x03, 0xe6, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x01, 0x03, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
        0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    assert_eq!(parse_geometry(&blob), Err(BlobError::NotFinite));
    assert!(parse_point(&blob).is_err());
    // The header's envelope is still read without the WKB.
    assert!(envelope(&blob).is_ok());
    // The GeoPackage empty point (POINT(NaN NaN) without the empty flag)
    // still reads as no geometry, and one NaN coordinate is refused.
    let mut point = lagesbild::store::gpkg::blob::point_blob(4326, f64::NAN, f64::NAN).to_vec();
    assert_eq!(parse_geometry(&point), Ok(None));
    point[13..21].copy_from_slice(&f64::INFINITY.to_le_bytes());
    assert_eq!(parse_geometry(&point), Err(BlobError::NotFinite));
}

/// Found by the `gpkg_blob` fuzz target: a MultiPoint M (EWKB flag) whose
/// parts are plain 2D points. The `wkb` crate reads the parts with their
/// parent's dimension and panicked past the end of the blob; parts of another
/// dimension are now refused before it reads them.
#[test]
fn fuzz_gpkg_blob_parts_of_another_dimension() {
    use lagesbild::store::gpkg::blob::parse_geometry;
    let blob: [u8; 156] = [
        0x47, 0x50, 0x00, 0x03, 0xe6, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0,
        0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x01, 0x04, 0x00, 0x00, 0x40,
        0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x40, 0x01, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07,
        0x15, 0x15, 0x15, 0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x73, 0x15, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x40, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x10, 0x40,
    ];
    let e = parse_geometry(&blob).unwrap_err().to_string();
    assert!(e.contains("coordinates per point"), "{e}");
}

/// Found by the `gpkg_blob` fuzz target: a collection holding a polygon of
/// three empty rings. The `wkb` crate wrote it as a ring count of 0 followed
/// by two ring counts, which read back as another geometry; rings without
/// points are now dropped on read and before writing.
#[test]
fn fuzz_gpkg_blob_polygon_of_empty_rings() {
    use lagesbild::store::gpkg::blob::{geometry_blob, parse_geometry};
    let blob: [u8; 187] = [
        0x47, 0x50, 0x00, 0x03, 0xe6, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2d, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xcd, 0xcc, 0xcc, 0xcc, 0xcc, 0x0c, 0x4c, 0x40, 0x01, 0x07, 0x00, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0xf0, 0x40, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x01, 0x02, 0x00, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x40, 0x01, 0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x01, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x2d, 0x40, 0x52, 0x4c, 0x41, 0xcc, 0x9c, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x4c, 0x40, 0x33, 0x33, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x40, 0x33, 0x33,
        0x33, 0x33, 0x33, 0x00, 0x00, 0x00, 0xbc,
    ];
    let g = parse_geometry(&blob).unwrap().unwrap();
    let written = geometry_blob(4326, &g).unwrap();
    let back = parse_geometry(&written).unwrap().unwrap();
    assert_eq!(back, g);
    assert_eq!(geometry_blob(4326, &back).unwrap(), written);
    let geo::Geometry::GeometryCollection(gc) = g else {
        panic!("a collection: {g:?}")
    };
    assert_eq!(gc.0[2], geo::Geometry::Polygon(geo::Polygon::empty()));
}

/// Found by the `view_file` fuzz target: a view whose bandwidth was
/// 1099999999999999999999990.0. serde_json's default float parsing is
/// best-effort, so the written `1.0999999999999999e24` read back as a
/// neighbouring float and a written view file did not read back as itself;
/// floats are now parsed exactly (serde_json's `float_roundtrip`).
#[test]
fn fuzz_view_file_a_float_reads_back_as_written() {
    use lagesbild::model::view::ViewFile;
    let text = r#"{"format": "lagesbild-views", "version": 1, "views": [{
        "title": "Kväll i centrum",
        "extent": {"min": {"lon": 14.55, "lat": 56.03}, "max": {"lon": 14.62, "lat": 56.07}},
        "analysis": {"bandwidth_m": 1099999999999999999999990.0, "k": 3}}]}"#;
    let file = ViewFile::from_json(text).unwrap();
    let json = file.to_json();
    let again = ViewFile::from_json(&json).unwrap();
    assert_eq!(again.to_json(), json);
    assert_eq!(
        again.views[0].analysis.bandwidth_m,
        file.views[0].analysis.bandwidth_m
    );
}
