//! Nothing is lost with two writers on one project (issue 21): WAL mode, the
//! busy timeout and the clear "another program is writing" error, checked with
//! two stores in two threads, with the command line against a store that
//! holds a transaction, and with GDAL reading a project that is open.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source, time};
use lagesbild::store::{self, PushOutcome, StoreError, gpkg::BUSY_TIMEOUT};

use crate::util::{Dir, assert_valid_gpkg, ogrinfo_summary, run_cli_in, text};

fn local(d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(2025, 5, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    time::utc_from_local(naive).unwrap()
}

/// Observation number `i` of writer `who`: distinct in time and place.
fn observation(who: u32, i: u32) -> Incident {
    let mut inc = Incident::new(
        local(1 + who, 18 + i / 60 % 6, i % 60),
        Category::Ordningsstorning,
        Source::Trygghetsvard,
        LonLat::new(
            14.50 + f64::from(i % 40) * 0.003,
            56.02 + f64::from(who) * 0.01,
        ),
        10.0,
    );
    inc.uid = format!("writer-{who}-{i}");
    inc
}

fn new_project(dir: &Dir) -> PathBuf {
    let path = dir.path("delad.gpkg");
    let mut project = store::create(path.as_path(), "Delad").unwrap();
    let mut session = project.begin_import("start.csv").unwrap();
    for i in 0..50 {
        assert_eq!(
            session.push(&observation(0, i)).unwrap(),
            PushOutcome::Inserted
        );
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    path
}

fn uids(path: &Path) -> Vec<String> {
    let project = store::open(path).unwrap();
    let mut all: Vec<String> = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .map(|i| i.uid)
        .collect();
    all.sort();
    all
}

fn sql_text(path: &Path, sql: &str) -> String {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn projects_are_in_wal_mode_and_gdal_reads_them_while_open() {
    let dir = Dir::new();
    let path = new_project(&dir);
    assert_eq!(sql_text(&path, "PRAGMA journal_mode"), "wal");
    // The app has the project open and has just written to it.
    let mut app = store::open(path.as_path()).unwrap();
    app.add_incident(&observation(1, 0)).unwrap();
    assert!(dir.path("delad.gpkg-wal").exists());
    // A read-only reader sees every committed row, the app's last one too.
    let reader =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 51);
    drop(reader);
    if let Some(summary) = ogrinfo_summary(&path) {
        assert!(summary.contains("Feature Count: 51"), "{summary}");
    }
    assert_valid_gpkg(&path);
    drop(app);
    // Closed: the log is folded back in and the side files are gone.
    assert!(!dir.path("delad.gpkg-wal").exists());
    assert!(!dir.path("delad.gpkg-shm").exists());
    assert_valid_gpkg(&path);
}

#[test]
fn a_read_only_file_in_wal_mode_is_still_readable_by_gdal() {
    let dir = Dir::new();
    let path = new_project(&dir);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    if let Some(summary) = ogrinfo_summary(&path) {
        assert!(summary.contains("Feature Count: 50"), "{summary}");
    }
    let err = store::open(path.as_path()).err().unwrap();
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[test]
fn two_stores_in_two_threads_never_lose_each_others_writes() {
    let dir = Dir::new();
    let path = new_project(&dir);
    let per_writer = 60u32;
    let start = Arc::new(Barrier::new(2));
    let writers: Vec<_> = [1u32, 2]
        .into_iter()
        .map(|who| {
            let (path, start) = (path.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                let mut project = store::open(path.as_path()).unwrap();
                start.wait();
                for i in 0..per_writer {
                    // Edits of all kinds, interleaved with the other writer's.
                    let fid = project.add_incident(&observation(who, i)).unwrap();
                    if i % 3 == 0 {
                        let mut changed = observation(who, i);
                        changed.place = Some(format!("Plats {who}-{i}"));
                        project.update_incident(fid, &changed).unwrap();
                    }
                    project
                        .set_metadata(&format!("writer_{who}"), &i.to_string())
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let stored = uids(&path);
    assert_eq!(stored.len(), 50 + 2 * per_writer as usize);
    for who in 0..3 {
        let n = if who == 0 { 50 } else { per_writer };
        for i in 0..n {
            assert!(
                stored.binary_search(&format!("writer-{who}-{i}")).is_ok(),
                "writer-{who}-{i} lost"
            );
        }
    }
    let project = store::open(path.as_path()).unwrap();
    let last = (per_writer - 1).to_string();
    assert_eq!(project.metadata("writer_1").unwrap(), Some(last.clone()));
    assert_eq!(project.metadata("writer_2").unwrap(), Some(last));
    let places = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .filter(|i| i.place.as_deref().is_some_and(|p| p.starts_with("Plats ")))
        .count();
    assert_eq!(places, 2 * per_writer.div_ceil(3) as usize);
    assert_eq!(
        sql_text(&path, "SELECT rtreecheck('rtree_incidents_geom')"),
        "ok"
    );
    assert_eq!(sql_text(&path, "PRAGMA integrity_check"), "ok");
}

#[test]
fn a_write_waits_for_the_other_writer_and_then_goes_through() {
    let dir = Dir::new();
    let path = new_project(&dir);
    let mut holder = store::open(path.as_path()).unwrap();
    let (held, release) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let other = {
        let (path, held, release) = (path.clone(), Arc::clone(&held), Arc::clone(&release));
        std::thread::spawn(move || {
            held.wait();
            let started = Instant::now();
            let mut project = store::open(path.as_path()).unwrap();
            release.wait();
            project.add_incident(&observation(2, 0)).unwrap();
            started.elapsed()
        })
    };
    let mut session = holder.begin_import("lång.csv").unwrap();
    session.push(&observation(1, 0)).unwrap();
    held.wait();
    release.wait();
    // The other writer is now waiting for this transaction, well within the timeout.
    std::thread::sleep(Duration::from_millis(700));
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    let waited = other.join().unwrap();
    assert!(waited >= Duration::from_millis(600), "{waited:?}");
    assert!(waited < BUSY_TIMEOUT, "{waited:?}");
    let stored = uids(&path);
    assert!(stored.contains(&"writer-1-0".to_owned()));
    assert!(stored.contains(&"writer-2-0".to_owned()));
}

#[test]
fn a_write_blocked_past_the_timeout_says_another_program_is_writing() {
    let dir = Dir::new();
    let path = new_project(&dir);
    let mut app = store::open(path.as_path()).unwrap();
    // Another program (here a plain SQLite connection) holds the write lock.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let err = app.add_incident(&observation(1, 0)).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("delad.gpkg"), "{message}");
    assert!(
        message.contains("being written by another program") && message.contains("try again"),
        "{message}"
    );
    assert!(waited >= BUSY_TIMEOUT, "gave up after {waited:?}");
    assert!(waited < BUSY_TIMEOUT * 2, "hung for {waited:?}");
    // Reading is never blocked by the writer.
    assert_eq!(app.info().unwrap().incident_count, 50);
    other.execute_batch("ROLLBACK").unwrap();
    // Nothing half-done: the same call simply goes through now.
    app.add_incident(&observation(1, 0)).unwrap();
    assert_eq!(app.info().unwrap().incident_count, 51);
}

#[test]
fn the_cli_says_so_when_the_app_holds_the_lock_and_loses_nothing() {
    let dir = Dir::new();
    let path = new_project(&dir);
    let csv = dir.write(
        "kvall.csv",
        "id,lon,lat,occurred_at,category,source\n\
         K1,14.58,56.05,2025-05-20T22:10:00+02:00,skadegorelse,polis\n\
         K2,14.59,56.06,2025-05-20T23:40:00+02:00,ordningsstorning,polis\n",
    );
    let mut app = store::open(path.as_path()).unwrap();
    // The app is in the middle of a long write.
    let mut session = app.begin_import("appens.csv").unwrap();
    session.push(&observation(1, 0)).unwrap();
    let started = Instant::now();
    let out = run_cli_in(dir.root(), &["import", "delad.gpkg", "kvall.csv"]);
    let waited = started.elapsed();
    let (o, e) = text(&out);
    assert!(!out.status.success(), "{o}\n{e}");
    assert!(
        e.contains("being written by another program") && e.contains("try again"),
        "{e}"
    );
    assert!(waited >= BUSY_TIMEOUT, "gave up after {waited:?}");
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    // Now the command line goes through, and both imports are there.
    let out = run_cli_in(dir.root(), &["import", "delad.gpkg", "kvall.csv"]);
    let (o, e) = text(&out);
    assert!(out.status.success(), "{o}\n{e}");
    drop(app);
    assert_eq!(uids(&path).len(), 53);
    assert_eq!(
        sql_text(&path, "SELECT rtreecheck('rtree_incidents_geom')"),
        "ok"
    );
    let _ = csv;
}

/// The app's edits go straight to the project file: dropping the app without
/// its shutdown (as a kill does) loses nothing, and a project locked by
/// another program gives a clear message while the window keeps drawing.
#[cfg(feature = "gui")]
mod app {
    use std::time::{Duration, Instant};

    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use lagesbild::gui::LagesbildApp;
    use lagesbild::model::{Category, LonLat};
    use lagesbild::store::{self, gpkg::BUSY_TIMEOUT};

    use crate::gui_util::{app_on, demo, settle};
    use crate::util::{Dir, run_cli_in, text};

    const STORTORGET: LonLat = LonLat {
        lon: 14.5838,
        lat: 56.0512,
    };

    /// Opens the editor for a new incident at Stortorget and clicks "Spara".
    fn add_vandalism(harness: &mut Harness<'_, LagesbildApp>) {
        harness.state_mut().add_incident_at(STORTORGET);
        harness.run_steps(2);
        harness
            .state_mut()
            .incident_editor_mut()
            .expect("editor")
            .form_mut()
            .category = Category::Skadegorelse;
        harness.get_by_label("Spara").click();
    }

    fn vandalism_at_stortorget(path: &std::path::Path) -> usize {
        let project = store::open(path).unwrap();
        project
            .incidents(&Default::default(), &Default::default())
            .unwrap()
            .into_iter()
            .filter(|i| {
                i.category == Category::Skadegorelse
                    && (i.position.lon - STORTORGET.lon).abs() < 1e-6
                    && (i.position.lat - STORTORGET.lat).abs() < 1e-6
            })
            .count()
    }

    #[test]
    fn an_edit_is_in_the_file_when_the_app_dies_without_shutting_down() {
        let dir = Dir::new();
        let path = demo(&dir, "300");
        let mut harness = app_on(path.clone());
        settle(&mut harness);
        add_vandalism(&mut harness);
        settle(&mut harness);
        // No on_exit, no save, no destructors: what SIGKILL leaves behind.
        std::mem::forget(harness);
        // Another process reads the edit from the file.
        let out = run_cli_in(dir.root(), &["stats", "demo.gpkg", "--json"]);
        let (o, e) = text(&out);
        assert!(out.status.success(), "{o}\n{e}");
        let stats: serde_json::Value = serde_json::from_str(&o).unwrap();
        assert_eq!(stats["total"], 301, "{o}");
        assert_eq!(vandalism_at_stortorget(&path), 1);
    }

    #[test]
    fn a_locked_project_gives_a_clear_message_and_the_window_keeps_drawing() {
        let dir = Dir::new();
        let path = demo(&dir, "300");
        let mut harness = app_on(path.clone());
        settle(&mut harness);
        // Another program holds the write lock.
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        add_vandalism(&mut harness);
        let started = Instant::now();
        let mut slowest = Duration::ZERO;
        let wanted = "projektet skrivs just nu av ett annat program";
        while harness.query_by_label_contains(wanted).is_none() {
            assert!(
                started.elapsed() < BUSY_TIMEOUT * 3,
                "no lock message after {:?}",
                started.elapsed()
            );
            let frame = Instant::now();
            harness.run_steps(1);
            slowest = slowest.max(frame.elapsed());
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(started.elapsed() >= BUSY_TIMEOUT, "{:?}", started.elapsed());
        // Frames went on while the edit waited for the lock.
        assert!(slowest < Duration::from_secs(1), "a frame took {slowest:?}");
        harness.get_by_label_contains("försök igen");
        assert_eq!(vandalism_at_stortorget(&path), 0);
        // The other program is done: the same "Spara" goes through.
        other.execute_batch("ROLLBACK").unwrap();
        // (Two frames first: the editor window grows to fit the message.)
        harness.run_steps(2);
        harness.get_by_label("Spara").click();
        settle(&mut harness);
        assert_eq!(vandalism_at_stortorget(&path), 1);
    }
}
