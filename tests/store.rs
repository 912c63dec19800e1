//! The project store through its public API, checked with SQLite and, when
//! installed, with GDAL (`ogrinfo`, `validate_gpkg.py`).
//!
//! The shared suite at the end runs every behaviour test on both backends
//! (`both!`): the GeoPackage file and, with the `postgres` feature, a
//! PostgreSQL/PostGIS database of the test cluster (tests/pg.rs). The tests
//! above it look at the GeoPackage file itself (SQLite, R-tree, GDAL).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, HourRange, Incident, LonLat, Source, Weekdays, time};
use lagesbild::store::gpkg::SCHEMA_VERSION;
use lagesbild::store::{self, BoxedStore, Project, PushOutcome, Store, StoreError};

use crate::util::{VALIDATE_GPKG, run_gdal, validate_gpkg_script};

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    time::utc_from_local(naive).unwrap()
}

fn incident(at: DateTime<Utc>, lon: f64, lat: f64) -> Incident {
    Incident::new(
        at,
        Category::Skadegorelse,
        Source::Trygghetsvard,
        LonLat::new(lon, lat),
        10.0,
    )
}

fn new_project(dir: &Path) -> (PathBuf, Project) {
    let path = dir.join("projekt.gpkg");
    let project = Project::create(&path, "Sölvesborg test").unwrap();
    (path, project)
}

fn import(project: &mut Project, rows: &[Incident]) -> Vec<PushOutcome> {
    let mut session = project.begin_import("rader.csv").unwrap();
    let outcomes = rows.iter().map(|r| session.push(r).unwrap()).collect();
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    outcomes
}

fn count(project: &Project) -> u64 {
    project.info().unwrap().incident_count
}

fn sql_i64(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn rtreecheck(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// A grid of `n` incidents around Sölvesborg, one hour apart.
fn many(n: usize) -> Vec<Incident> {
    let start = local(2024, 1, 1, 0, 0);
    (0..n)
        .map(|i| {
            incident(
                start + chrono::Duration::hours(i as i64),
                14.4 + (i % 300) as f64 * 0.001,
                56.0 + (i / 300) as f64 * 0.0005,
            )
        })
        .collect()
}

#[test]
fn metadata_and_file_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = new_project(dir.path());
    assert_eq!(
        project.metadata("name").unwrap().as_deref(),
        Some("Sölvesborg test")
    );
    assert_eq!(
        project.metadata("schema_version").unwrap(),
        Some(SCHEMA_VERSION.to_string())
    );
    assert_eq!(
        project.metadata("app_version").unwrap().as_deref(),
        Some(lagesbild::APP_NAME_VERSION)
    );
    let created = project.metadata("created_at").unwrap().unwrap();
    assert!(time::parse_gpkg_datetime(&created).is_some(), "{created}");
    assert_eq!(project.metadata("nothing").unwrap(), None);
    project.set_metadata("synthetic", "true").unwrap();
    project.set_metadata("synthetic", "true").unwrap();
    assert!(project.info().unwrap().synthetic);
    drop(project);
    assert_eq!(sql_i64(&path, "PRAGMA application_id"), 0x4750_4B47);
    assert_eq!(sql_i64(&path, "PRAGMA user_version"), 10300);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    // Only the project file is left in the folder once closed: no temporary,
    // no log (the last connection folds the WAL back in and removes it).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["projekt.gpkg".to_owned()]);
}

#[test]
fn create_refuses_an_existing_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("finns.gpkg");
    std::fs::write(&path, b"keep me").unwrap();
    let err = Project::create(&path, "x").err().unwrap();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("finns.gpkg"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn open_error(path: &Path) -> String {
    let err = Project::open(path).err().expect("open should fail");
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "error should name the file: {text}"
    );
    text
}

#[test]
fn open_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("saknas.gpkg");
    assert!(open_error(&missing).contains("no such file"));
    assert!(!missing.exists());

    let empty = dir.path().join("tom.gpkg");
    std::fs::write(&empty, b"").unwrap();
    assert!(open_error(&empty).contains("empty"));
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "must not write"
    );

    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store/not_a_project.csv");
    assert!(open_error(&csv).contains("not an SQLite/GeoPackage file"));

    let plain = dir.path().join("annan.sqlite");
    rusqlite::Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE t (a INTEGER);")
        .unwrap();
    assert!(open_error(&plain).contains("not a Lägesbild project: no lagesbild_meta table"));

    let (newer, project) = new_project(dir.path());
    drop(project);
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("UPDATE lagesbild_meta SET value = '99' WHERE key = 'schema_version';")
        .unwrap();
    let err = Project::open(&newer).err().unwrap();
    assert!(
        matches!(
            err,
            StoreError::TooNew {
                found: 99,
                supported: SCHEMA_VERSION,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("projekt.gpkg"));
}

#[test]
fn open_refuses_a_read_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, project) = new_project(dir.path());
    drop(project);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    assert!(open_error(&path).contains("read-only"));
}

#[test]
fn older_schema_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (path, project) = new_project(dir.path());
    drop(project);
    // Version 1 had no map layer table; migration 2 makes it (tests/layers.rs
    // checks what it does with old layers).
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "DROP TABLE lagesbild_layers; \
             UPDATE lagesbild_meta SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
    let project = Project::open(&path).unwrap();
    assert_eq!(project.info().unwrap().schema_version, SCHEMA_VERSION);
    assert_eq!(project.layers().unwrap(), []);
}

#[test]
fn dropping_a_session_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = new_project(dir.path());
    import(&mut project, &many(10));
    {
        let mut session = project.begin_import("avbruten.csv").unwrap();
        for row in many(500).iter().skip(10) {
            assert_eq!(session.push(row).unwrap(), PushOutcome::Inserted);
        }
    }
    assert_eq!(count(&project), 10);
    // Into an empty project too (where indexes and triggers are dropped).
    let (path2, mut empty) = {
        let p = dir.path().join("tom.gpkg");
        (p.clone(), Project::create(&p, "tom").unwrap())
    };
    {
        let mut session = empty.begin_import("avbruten.csv").unwrap();
        for row in &many(100) {
            session.push(row).unwrap();
        }
    }
    assert_eq!(count(&empty), 0);
    drop(project);
    drop(empty);
    for p in [&path, &path2] {
        assert_eq!(
            sql_i64(
                p,
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            ),
            6,
            "{p:?}"
        );
        // uid and occurred_at always; import_key is built by the first import
        // into a non-empty table (rolled back here for `path`).
        assert_eq!(
            sql_i64(
                p,
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' \
                 AND name IN ('incidents_uid', 'incidents_occurred_at')"
            ),
            2,
            "{p:?}"
        );
        assert_eq!(
            sql_i64(p, "SELECT count(*) FROM lagesbild_imports"),
            i64::from(p == &path)
        );
    }
}

#[test]
fn contents_extent_and_spatial_index_follow_imports() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = new_project(dir.path());
    let big = many(30_000);
    import(&mut project, &big);
    let read_contents = |path: &Path| -> (f64, f64, f64, f64, String) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row(
            "SELECT min_x, min_y, max_x, max_y, last_change FROM gpkg_contents \
             WHERE table_name = 'incidents'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let (x0, y0, x1, y1, changed) = read_contents(&path);
    assert_eq!((x0, y0), (14.4, 56.0));
    assert!((x1 - 14.699).abs() < 1e-9 && (y1 - (56.0 + 99.0 * 0.0005)).abs() < 1e-9);
    assert!(time::parse_gpkg_datetime(&changed).is_some(), "{changed}");
    assert_eq!(rtreecheck(&path), "ok");
    assert_eq!(
        sql_i64(&path, "SELECT count(*) FROM rtree_incidents_geom"),
        30_000
    );

    // A small import into the existing project goes into the R-tree row by
    // row and widens the extent.
    let mut far = incident(local(2025, 1, 1, 12, 0), 15.2, 55.9);
    far.external_id = Some("far".to_owned());
    import(
        &mut project,
        &[far, incident(local(2025, 1, 2, 12, 0), 14.5, 56.02)],
    );
    let (x0, y0, x1, y1, _) = read_contents(&path);
    assert_eq!((x0, y0, x1), (14.4, 55.9, 15.2));
    assert!((y1 - (56.0 + 99.0 * 0.0005)).abs() < 1e-9);
    assert_eq!(rtreecheck(&path), "ok");
    assert_eq!(
        sql_i64(&path, "SELECT count(*) FROM rtree_incidents_geom"),
        30_002
    );
    let hits = sql_i64(
        &path,
        "SELECT count(*) FROM rtree_incidents_geom WHERE minx <= 15.3 AND maxx >= 15.1",
    );
    assert_eq!(hits, 1);

    // A big import (≥ 10 % of the table) into an existing project rebuilds it.
    let more: Vec<Incident> = many(5_000)
        .into_iter()
        .map(|mut i| {
            i.occurred_at += chrono::Duration::days(3_000);
            i
        })
        .collect();
    import(&mut project, &more);
    assert_eq!(count(&project), 35_002);
    drop(project);
    assert_eq!(rtreecheck(&path), "ok");
    assert_eq!(
        sql_i64(&path, "SELECT count(*) FROM rtree_incidents_geom"),
        35_002
    );

    // The triggers are back and work with the registered ST_ functions.
    let project = Project::open(&path).unwrap();
    let conn = project.connection();
    conn.execute_batch(
        "UPDATE incidents SET place = 'Ny plats' WHERE fid = 1; \
         UPDATE incidents SET geom = (SELECT geom FROM incidents WHERE fid = 30001) WHERE fid = 2; \
         DELETE FROM incidents WHERE fid = 3;",
    )
    .unwrap();
    let moved: i64 = conn
        .query_row(
            "SELECT count(*) FROM rtree_incidents_geom WHERE id = 2 AND minx <= 15.2 AND maxx >= 15.2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(moved, 1);
    drop(project);
    assert_eq!(rtreecheck(&path), "ok");
    assert_eq!(
        sql_i64(&path, "SELECT count(*) FROM rtree_incidents_geom"),
        35_001
    );
}

#[test]
fn unknown_keys_read_as_ovrigt() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = new_project(dir.path());
    import(&mut project, &many(2));
    drop(project);
    // Written by a newer app (through our connection: plain SQLite lacks the
    // ST_ functions the R-tree triggers call).
    let project = Project::open(&path).unwrap();
    project
        .connection()
        .execute_batch(
            "UPDATE incidents SET category = 'framtida', source = 'dronare' WHERE fid = 1;",
        )
        .unwrap();
    let got = project.incident(1).unwrap().unwrap();
    assert_eq!(
        (got.category, got.source),
        (Category::Ovrigt, Source::Ovrigt)
    );
    let info = project.info().unwrap();
    assert_eq!(info.by_category[7], (Category::Ovrigt, 1));
    assert_eq!(info.by_source[6], (Source::Ovrigt, 1));
}

fn check_with_gdal(path: &Path, expected_count: usize, extent: Option<&str>) {
    let file = path.to_str().unwrap();
    if let Some(out) = run_gdal("ogrinfo", &["-ro", "-al", "-so", file]) {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "ogrinfo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("Layer name: incidents"), "{text}");
        assert!(text.contains("Geometry: Point"), "{text}");
        assert!(
            text.contains(&format!("Feature Count: {expected_count}\n")),
            "{text}"
        );
        assert!(text.contains("WGS 84"), "{text}");
        assert!(text.contains(r#"ID["EPSG",4326]"#), "{text}");
        if let Some(extent) = extent {
            assert!(text.contains(extent), "{text}");
        }
    }
    if validate_gpkg_script().is_none() {
        return;
    }
    if let Some(out) = run_gdal("python3", &[VALIDATE_GPKG, file]) {
        assert!(
            out.status.success() && out.stderr.is_empty() && out.stdout.is_empty(),
            "validate_gpkg.py: status {:?}\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn gdal_accepts_empty_and_filled_projects() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = new_project(dir.path());
    check_with_gdal(&path, 0, None);
    let rows = many(1_000);
    import(&mut project, &rows);
    let mut small = incident(local(2025, 5, 1, 12, 0), 14.3, 55.95);
    small.description = Some("Beskrivning med åäö".to_owned());
    import(&mut project, &[small]);
    drop(project);
    check_with_gdal(
        &path,
        1_001,
        Some("Extent: (14.300000, 55.950000) - (14.699000, 56.001500)"),
    );
}

#[test]
fn fids_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut project) = new_project(dir.path());
    import(&mut project, &many(3));
    project
        .connection()
        .execute_batch("DELETE FROM incidents WHERE fid = 3;")
        .unwrap();
    let one = many(4).pop().unwrap();
    import(&mut project, std::slice::from_ref(&one));
    let fids: Vec<i64> = project
        .incident_points(&Filter::default(), &CancelToken::new())
        .unwrap()
        .iter()
        .map(|p| p.fid)
        .collect();
    assert_eq!(fids, vec![1, 2, 4]);
    // Emptied completely, the next bulk import still continues after 4.
    project
        .connection()
        .execute_batch("DELETE FROM incidents;")
        .unwrap();
    import(&mut project, &many(2));
    let fids: Vec<i64> = project
        .incident_points(&Filter::default(), &CancelToken::new())
        .unwrap()
        .iter()
        .map(|p| p.fid)
        .collect();
    assert_eq!(fids, vec![5, 6]);
}

// --- the shared suite: every test below runs on the GeoPackage and on PostGIS ---

/// A store backend the shared suite runs on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Backend {
    Gpkg,
    #[cfg(feature = "postgres")]
    Pg,
}

/// A new, empty project on one backend, with what is needed to open it again.
pub(crate) struct Fixture {
    pub store: BoxedStore,
    pub location: String,
    pub kind: Backend,
    _dir: tempfile::TempDir,
    #[cfg(feature = "postgres")]
    pub db: Option<crate::pg::TestDb>,
}

impl Fixture {
    /// `None` only when the PostgreSQL test cluster is missing and allowed to
    /// be (see tests/pg.rs: `LAGESBILD_REQUIRE_PG=1` fails instead).
    pub fn new(kind: Backend) -> Option<Fixture> {
        let dir = tempfile::tempdir().unwrap();
        match kind {
            Backend::Gpkg => {
                let path = dir.path().join("projekt.gpkg");
                let store = store::create(&path, "Sölvesborg test").unwrap();
                Some(Fixture {
                    store,
                    location: path.display().to_string(),
                    kind,
                    _dir: dir,
                    #[cfg(feature = "postgres")]
                    db: None,
                })
            }
            #[cfg(feature = "postgres")]
            Backend::Pg => {
                let (db, store) = crate::pg::TestDb::with_project()?;
                Some(Fixture {
                    store,
                    location: db.url.clone(),
                    kind,
                    _dir: dir,
                    db: Some(db),
                })
            }
        }
    }

    /// Opens the project again (a new connection).
    pub fn reopen(&mut self) {
        self.store = store::open(self.location.as_str()).unwrap();
    }

    pub fn import(&mut self, rows: &[Incident]) -> Vec<PushOutcome> {
        let mut session = self.store.begin_import("rader.csv").unwrap();
        let outcomes = rows.iter().map(|r| session.push(r).unwrap()).collect();
        session.commit(&NoProgress, &CancelToken::new()).unwrap();
        outcomes
    }

    pub fn count(&self) -> u64 {
        self.store.info().unwrap().incident_count
    }

    /// The project file, for the GeoPackage's own checks.
    pub fn gpkg_path(&self) -> Option<PathBuf> {
        (self.kind == Backend::Gpkg).then(|| PathBuf::from(&self.location))
    }

    /// A number from the project's own tables: `sql` for the GeoPackage
    /// (SQLite) or for the database (as its superuser, schema `lagesbild`).
    pub fn sql_i64(&self, sql: &str) -> i64 {
        match self.kind {
            Backend::Gpkg => sql_i64(Path::new(&self.location), sql),
            #[cfg(feature = "postgres")]
            Backend::Pg => {
                let mut c = self.db.as_ref().unwrap().admin();
                c.batch_execute("SET search_path = lagesbild, public")
                    .unwrap();
                c.query_one(&format!("SELECT ({sql})::bigint"), &[])
                    .unwrap()
                    .get(0)
            }
        }
    }
}

/// Runs a shared test `fn name(Backend)` as `name::gpkg` and `name::pg`.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn gpkg() {
                super::$name(super::Backend::Gpkg)
            }
            #[cfg(feature = "postgres")]
            #[test]
            fn pg() {
                super::$name(super::Backend::Pg)
            }
        }
    };
}

both!(round_trip_of_every_field);
fn round_trip_of_every_field(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let mut full = incident(local(2025, 3, 14, 22, 40), 14.584_912_3, 56.051_234_5);
    full.category = Category::Ovrigt;
    full.category_text = Some("Rattfylleri på Östra Storgatan".to_owned());
    full.source = Source::Ovrigt;
    full.source_text = Some("Kustbevakningen".to_owned());
    full.precision_m = 2_000.0;
    full.place = Some("Stortorget, Sölvesborg".to_owned());
    full.description = Some("Klotter på väggen; \"citat\"\nny rad".to_owned());
    full.import_file = Some("händelser 2025.csv".to_owned());
    full.external_id = Some("5000-K123456-25".to_owned());
    let mut bare = incident(local(2025, 7, 4, 23, 30), 14.6, 56.06);
    bare.occurred_at += chrono::Duration::milliseconds(250);
    assert_eq!(
        fx.import(&[full.clone(), bare.clone()]),
        vec![PushOutcome::Inserted, PushOutcome::Inserted]
    );
    fx.reopen();
    let project = &fx.store;
    let got = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(got.len(), 2);
    let fid = got[0].fid.unwrap();
    full.fid = Some(fid);
    bare.fid = got[1].fid;
    assert_eq!(got[0], full);
    assert_eq!(got[1], bare);
    assert_eq!(project.incident(fid).unwrap(), Some(full.clone()));
    assert_eq!(project.incident(9_999_999).unwrap(), None);

    let points = project
        .incident_points(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(points[0].fid, fid);
    assert_eq!(points[0].position, full.position);
    assert_eq!(points[0].precision_m, 2_000.0);
    assert_eq!(points[1].occurred_at, bare.occurred_at);

    let info = project.info().unwrap();
    assert_eq!(info.name, "Sölvesborg test");
    assert!(!info.synthetic);
    assert_eq!(info.incident_count, 2);
    assert_eq!(info.coarse_count, 1);
    assert_eq!(info.time_range, Some((full.occurred_at, bare.occurred_at)));
    assert_eq!(
        info.extent,
        Some((
            LonLat::new(14.584_912_3, 56.051_234_5),
            LonLat::new(14.6, 56.06)
        ))
    );
    assert_eq!(info.by_category.len(), Category::ALL.len());
    assert_eq!(info.by_category[0], (Category::Skadegorelse, 1));
    assert_eq!(info.by_category[7], (Category::Ovrigt, 1));
    assert_eq!(info.by_category[2], (Category::Vald, 0));
    assert_eq!(info.by_source[1], (Source::Trygghetsvard, 1));
    assert_eq!(info.by_source[6], (Source::Ovrigt, 1));

    if let Some(path) = fx.gpkg_path() {
        assert_eq!(info.location, path.display().to_string());
        assert_eq!(info.schema_version, SCHEMA_VERSION);
        // The time is stored exactly as GeoPackage DATETIME.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let stored: String = conn
            .query_row(
                "SELECT occurred_at FROM incidents WHERE fid = ?1",
                [fid],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, "2025-03-14T21:40:00.000Z");
    } else {
        // A timestamptz, in UTC.
        assert_eq!(
            fx.sql_i64(&format!(
                "SELECT extract(epoch FROM occurred_at) * 1000 FROM incidents WHERE fid = {fid}"
            )),
            full.occurred_at.timestamp_millis()
        );
    }
}

both!(duplicates_and_conflicts_with_external_id);
fn duplicates_and_conflicts_with_external_id(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let mut a = incident(local(2025, 3, 14, 22, 40), 14.58, 56.05);
    a.external_id = Some("K-1".to_owned());
    assert_eq!(fx.import(&[a.clone()]), vec![PushOutcome::Inserted]);
    let fid = fx
        .store
        .incident_points(&Filter::default(), &CancelToken::new())
        .unwrap()[0]
        .fid;

    // Same source and id, same time and place (within 1e-7°): duplicate, even
    // with another uid and other text.
    let mut same = a.clone();
    same.uid = uuid::Uuid::new_v4().to_string();
    same.description = Some("annan text".to_owned());
    same.position.lon += 0.5e-7;
    // Other time: conflict naming both local times.
    let mut later = a.clone();
    later.uid = uuid::Uuid::new_v4().to_string();
    later.occurred_at = local(2025, 3, 14, 23, 10);
    // Other place: conflict with the distance.
    let mut moved = a.clone();
    moved.uid = uuid::Uuid::new_v4().to_string();
    moved.position.lat += 340.0 / 111_195.0;
    // Same id from another source: a different incident.
    let mut other_source = a.clone();
    other_source.uid = uuid::Uuid::new_v4().to_string();
    other_source.source = Source::Polis;

    let out = fx.import(&[same, later, moved, other_source]);
    assert_eq!(out[0], PushOutcome::Duplicate { fid });
    assert_eq!(
        out[1],
        PushOutcome::Conflict {
            fid,
            reason: "time differs: stored 2025-03-14 22:40, file 2025-03-14 23:10".to_owned()
        }
    );
    assert_eq!(
        out[2],
        PushOutcome::Conflict {
            fid,
            reason: "place differs by 340 m".to_owned()
        }
    );
    assert_eq!(out[3], PushOutcome::Inserted);
    assert_eq!(fx.count(), 2);
}

both!(duplicates_without_external_id_and_within_a_session);
fn duplicates_without_external_id_and_within_a_session(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let a = incident(local(2025, 6, 1, 1, 15), 14.58, 56.05);
    let mut a2 = a.clone();
    a2.uid = uuid::Uuid::new_v4().to_string();
    let mut other_category = a.clone();
    other_category.uid = uuid::Uuid::new_v4().to_string();
    other_category.category = Category::Vald;
    let mut with_id = incident(local(2025, 6, 2, 1, 15), 14.0, 56.0);
    with_id.external_id = Some("A-7".to_owned());
    let mut with_id_later = with_id.clone();
    with_id_later.uid = uuid::Uuid::new_v4().to_string();
    with_id_later.occurred_at = local(2025, 6, 2, 1, 16);
    let mut same_uid = incident(local(2020, 1, 1, 0, 0), 15.0, 57.0);
    same_uid.uid = a.uid.clone();

    // All in one session into an empty project.
    let out = fx.import(&[
        a.clone(),
        a2.clone(),
        other_category.clone(),
        with_id.clone(),
        with_id_later.clone(),
        same_uid.clone(),
    ]);
    assert_eq!(out[0], PushOutcome::Inserted);
    let PushOutcome::Duplicate { fid: a_fid } = out[1] else {
        panic!("{:?}", out[1]);
    };
    assert_eq!(out[2], PushOutcome::Inserted);
    assert_eq!(out[3], PushOutcome::Inserted);
    assert!(
        matches!(&out[4], PushOutcome::Conflict { reason, .. } if reason.starts_with("time differs")),
        "{:?}",
        out[4]
    );
    assert!(
        matches!(&out[5], PushOutcome::Conflict { fid, reason } if *fid == a_fid && reason.contains("uid")),
        "{:?}",
        out[5]
    );
    assert_eq!(fx.count(), 3);

    // The same rows again, now against stored rows, plus within-session
    // repeats of a new row.
    let fresh = incident(local(2025, 6, 3, 12, 0), 14.1, 56.1);
    let mut fresh2 = fresh.clone();
    fresh2.uid = uuid::Uuid::new_v4().to_string();
    let out = fx.import(&[a2, other_category, with_id, fresh, fresh2]);
    assert!(matches!(out[0], PushOutcome::Duplicate { fid } if fid == a_fid));
    assert!(matches!(out[1], PushOutcome::Duplicate { .. }));
    assert!(matches!(out[2], PushOutcome::Duplicate { .. }));
    assert_eq!(out[3], PushOutcome::Inserted);
    assert!(matches!(out[4], PushOutcome::Duplicate { .. }));
    assert_eq!(fx.count(), 4);
    assert_eq!(fx.sql_i64("SELECT count(*) FROM lagesbild_imports"), 2);
    assert_eq!(
        fx.sql_i64("SELECT duplicates FROM lagesbild_imports ORDER BY id DESC LIMIT 1"),
        4
    );
    if let Some(path) = fx.gpkg_path() {
        assert_eq!(rtreecheck(&path), "ok");
        assert_eq!(
            sql_i64(&path, "SELECT count(*) FROM rtree_incidents_geom"),
            4
        );
    }
}

both!(non_finite_positions_are_refused);
fn non_finite_positions_are_refused(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let shown = lagesbild::store::Location::parse(&fx.location).display();
    let mut session = fx.store.begin_import("x.csv").unwrap();
    let bad = incident(local(2025, 1, 1, 0, 0), f64::NAN, 56.0);
    let err = session.push(&bad).unwrap_err();
    assert!(matches!(err, StoreError::InvalidIncident { .. }), "{err}");
    let text = err.to_string();
    let db_name = shown.rsplit('/').next().unwrap();
    assert!(text.contains(db_name), "{text}");
}

both!(dropping_a_session_rolls_back_everywhere);
fn dropping_a_session_rolls_back_everywhere(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    // Into an empty project, then into one with rows.
    for (before, rows) in [(0, 100), (10, 500)] {
        if before > 0 {
            fx.import(&many(before));
        }
        {
            let mut session = fx.store.begin_import("avbruten.csv").unwrap();
            for row in many(rows).iter().skip(before) {
                assert_eq!(session.push(row).unwrap(), PushOutcome::Inserted);
            }
        }
        assert_eq!(fx.count(), before as u64);
    }
    assert_eq!(fx.sql_i64("SELECT count(*) FROM lagesbild_imports"), 1);
}

both!(cancelled_commit_rolls_back);
fn cancelled_commit_rolls_back(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let mut session = fx.store.begin_import("x.csv").unwrap();
    for row in &many(1000) {
        session.push(row).unwrap();
    }
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = session.commit(&NoProgress, &cancel).unwrap_err();
    assert!(matches!(err, StoreError::Cancelled(_)), "{err}");
    assert_eq!(fx.count(), 0);
    // The project still works.
    fx.import(&many(3));
    assert_eq!(fx.count(), 3);
    if let Some(path) = fx.gpkg_path() {
        assert_eq!(rtreecheck(&path), "ok");
    }
}

fn fids_of(project: &dyn Store, filter: &Filter) -> Vec<DateTime<Utc>> {
    let points = project
        .incident_points(filter, &CancelToken::new())
        .unwrap();
    let full = project.incidents(filter, &CancelToken::new()).unwrap();
    assert_eq!(
        points.iter().map(|p| p.fid).collect::<Vec<_>>(),
        full.iter().map(|i| i.fid.unwrap()).collect::<Vec<_>>()
    );
    points.iter().map(|p| p.occurred_at).collect()
}

both!(filters_work_in_local_time);
fn filters_work_in_local_time(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    // Pushed out of order: results come oldest first.
    let times = [
        local(2025, 3, 29, 23, 30), // Sat, winter time (UTC+1)
        local(2025, 3, 30, 1, 30),  // Sun, just before the spring change
        local(2025, 3, 30, 3, 30),  // Sun, summer time (UTC+2)
        local(2025, 3, 31, 0, 10),  // Mon 00:10 local = Sun 22:10 UTC
        local(2025, 3, 28, 12, 0),  // Fri noon
        local(2025, 10, 26, 2, 30), // Sun, autumn overlap (first)
        local(2025, 4, 1, 18, 0),   // Tue 18:00
    ];
    let rows: Vec<Incident> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut inc = incident(*t, 14.5 + i as f64 * 0.01, 56.0);
            if i == 6 {
                inc.category = Category::Vald;
                inc.source = Source::Polis;
            }
            inc
        })
        .collect();
    fx.import(&rows);
    let project = fx.store.as_ref();

    let all = fids_of(project, &Filter::default());
    let mut sorted = times.to_vec();
    sorted.sort();
    assert_eq!(all, sorted);

    // Dates are local: 2025-03-30 is Sun 00:00 local (Sat 23:00 UTC) to Mon 00:00.
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let f = Filter {
        from: day(2025, 3, 30),
        to: day(2025, 3, 30),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[1], times[2]]);
    let f = Filter {
        from: day(2025, 3, 31),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[3], times[6], times[5]]);
    let f = Filter {
        to: day(2025, 3, 29),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[4], times[0]]);

    // Hours wrapping midnight, local: 23-2 takes 23:30, 01:30, 00:10, and the
    // autumn 02:30 is outside.
    let f = Filter {
        hours: HourRange::new(23, 2),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[0], times[1], times[3]]);

    // Weekdays, local: Monday 00:10 local is a Sunday in UTC.
    let f = Filter {
        weekdays: Some("mon".parse::<Weekdays>().unwrap()),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[3]]);
    let f = Filter {
        weekdays: Some("sön".parse::<Weekdays>().unwrap()),
        hours: HourRange::new(2, 4),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[2], times[5]]);

    // Category and source.
    let f = Filter {
        categories: Some(BTreeSet::from([Category::Vald])),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[6]]);
    let f = Filter {
        sources: Some(BTreeSet::from([Source::Trygghetsvard])),
        from: day(2025, 4, 1),
        ..Filter::default()
    };
    assert_eq!(fids_of(project, &f), vec![times[5]]);
}

both!(reads_stop_when_cancelled);
fn reads_stop_when_cancelled(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    fx.import(&many(10));
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = fx
        .store
        .incident_points(&Filter::default(), &cancel)
        .unwrap_err();
    assert!(matches!(err, StoreError::Cancelled(_)));
    assert!(fx.store.incidents(&Filter::default(), &cancel).is_err());
}

both!(fids_of_deleted_incidents_are_not_given_again);
fn fids_of_deleted_incidents_are_not_given_again(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    fx.import(&many(3));
    let fids = |fx: &Fixture| -> Vec<i64> {
        fx.store
            .incident_points(&Filter::default(), &CancelToken::new())
            .unwrap()
            .iter()
            .map(|p| p.fid)
            .collect()
    };
    let first = fids(&fx);
    let last = *first.last().unwrap();
    fx.store.delete_incident(last).unwrap();
    let one = many(4).pop().unwrap();
    fx.import(std::slice::from_ref(&one));
    let added = fid_by_uid(&fx, &one.uid);
    assert!(added > last, "{added} after {last}");
    let single = fx.store.add_incident(&many(5).pop().unwrap()).unwrap();
    assert!(single > added);
}

fn fid_by_uid(fx: &Fixture, uid: &str) -> i64 {
    fx.store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.uid == uid)
        .and_then(|i| i.fid)
        .unwrap()
}

both!(bbox_point_query_matches_a_filtered_scan);
/// The bounding-box query through the store factory gives exactly the
/// points a full scan finds inside the box (edges included) and passing the
/// filter, in the same order.
fn bbox_point_query_matches_a_filtered_scan(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    fx.import(&many(3_000));
    fx.reopen();
    let store = &fx.store;
    let cancel = CancelToken::new();
    // Edges on stored positions: 14.45 is column 50, 56.002 row 4.
    let bbox = geo::Rect::new(
        geo::coord! { x: 14.45, y: 56.001 },
        geo::coord! { x: 14.5, y: 56.002 },
    );
    let filter = Filter {
        hours: Some(HourRange::new(18, 6).unwrap()),
        ..Filter::default()
    };
    let inside = |p: &lagesbild::model::IncidentPoint| {
        (14.45..=14.5).contains(&p.position.lon) && (56.001..=56.002).contains(&p.position.lat)
    };
    let want: Vec<_> = store
        .incident_points(&filter, &cancel)
        .unwrap()
        .into_iter()
        .filter(inside)
        .collect();
    let got = store.incident_points_in(bbox, &filter, &cancel).unwrap();
    assert!(!got.is_empty() && got.len() < 3_000 / 10, "{}", got.len());
    assert_eq!(got, want);
    let all = store
        .incident_points_in(bbox, &Filter::default(), &cancel)
        .unwrap();
    assert!(all.len() > got.len());
    assert!(all.iter().all(inside));
    let far = geo::Rect::new(
        geo::coord! { x: 15.0, y: 57.0 },
        geo::coord! { x: 15.1, y: 57.1 },
    );
    assert!(
        store
            .incident_points_in(far, &Filter::default(), &cancel)
            .unwrap()
            .is_empty()
    );
}

both!(edits_add_update_delete_and_log);
fn edits_add_update_delete_and_log(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let mut a = incident(local(2025, 8, 1, 22, 0), 14.58, 56.05);
    a.description = Some("hemlig text".to_owned());
    let fid = fx.store.add_incident(&a).unwrap();
    // The uid is taken now.
    let err = fx.store.add_incident(&a).unwrap_err();
    assert!(matches!(err, StoreError::InvalidIncident { .. }), "{err}");
    assert!(!err.to_string().contains("hemlig"), "{err}");
    let mut b = a.clone();
    b.position = LonLat::new(14.59, 56.06);
    b.category = Category::Vald;
    let before = fx.store.update_incident(fid, &b).unwrap();
    assert_eq!(before.category, Category::Skadegorelse);
    b.fid = Some(fid);
    assert_eq!(fx.store.incident(fid).unwrap(), Some(b.clone()));
    let gone = fx.store.delete_incident(fid).unwrap();
    assert_eq!(gone, b);
    assert_eq!(fx.store.incident(fid).unwrap(), None);
    assert!(matches!(
        fx.store.delete_incident(fid),
        Err(StoreError::NoSuchIncident { .. })
    ));
    // Undo restores it under its fid.
    assert_eq!(fx.store.add_incident(&gone).unwrap(), fid);
    assert_eq!(fx.sql_i64("SELECT count(*) FROM lagesbild_edits"), 4);
    assert_eq!(
        fx.sql_i64("SELECT count(*) FROM lagesbild_edits WHERE changed = 'category,geom'"),
        1
    );
}

both!(metadata_and_views_are_kept);
fn metadata_and_views_are_kept(kind: Backend) {
    use lagesbild::model::view::{SavedView, ViewExtent};
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    fx.store.set_metadata("study_area", "{}").unwrap();
    fx.store.set_metadata("study_area", "{\"a\":1}").unwrap();
    let view = |title: &str, notes: &str| SavedView {
        title: title.into(),
        notes: notes.into(),
        extent: ViewExtent::from_corners(LonLat::new(14.5, 56.0), LonLat::new(14.6, 56.1)),
        layers: vec![],
        filter: Default::default(),
        analysis: Default::default(),
    };
    assert!(fx.store.views().unwrap().is_empty());
    fx.store.put_views(&[view("B", ""), view("A", "")]).unwrap();
    fx.store
        .put_views(&[view("C", ""), view("B", "ny")])
        .unwrap();
    let err = fx
        .store
        .put_views(&[view("D", ""), view("", "")])
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidView { .. }), "{err}");
    fx.reopen();
    assert_eq!(
        fx.store.metadata("study_area").unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    assert_eq!(fx.store.metadata("saknas").unwrap(), None);
    let got = fx.store.views().unwrap();
    let titles: Vec<_> = got.iter().map(|v| v.title.as_str()).collect();
    assert_eq!(titles, ["B", "A", "C"]);
    assert_eq!(got[0].notes, "ny");
    assert!(fx.store.remove_view("A").unwrap());
    assert!(!fx.store.remove_view("A").unwrap());
    assert_eq!(fx.store.views().unwrap().len(), 2);
}

both!(layers_are_stored_replaced_keeping_their_style_and_removed);
fn layers_are_stored_replaced_keeping_their_style_and_removed(kind: Backend) {
    use lagesbild::model::shape::{Feature, FeatureSet};
    use serde_json::json;
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let props = |v: serde_json::Value| v.as_object().unwrap().clone();
    let square = geo::Polygon::new(
        geo::LineString::from(vec![(14.5, 56.0), (14.6, 56.0), (14.6, 56.1), (14.5, 56.0)]),
        vec![],
    );
    let areas = FeatureSet {
        name: "Områden i Sölvesborg".to_owned(),
        features: vec![
            Feature {
                geometry: square.clone().into(),
                properties: props(
                    json!({"namn": "Torget", "antal": 3, "andel": 0.5, "öppen": true}),
                ),
            },
            Feature {
                geometry: geo::Point::new(14.55, 56.05).into(),
                properties: props(json!({"namn": "Punkt", "antal": 4.5})),
            },
        ],
    };
    let line = FeatureSet {
        name: "a".to_owned(),
        features: vec![Feature {
            geometry: geo::LineString::from(vec![(14.5, 56.0), (14.52, 56.01)]).into(),
            properties: props(json!({})),
        }],
    };
    fx.store
        .add_layers(&[areas.clone(), line.clone()], "omraden.geojson")
        .unwrap();
    let layers = fx.store.layers().unwrap();
    assert_eq!(
        layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["Områden i Sölvesborg", "a"]
    );
    assert_eq!(layers[0].feature_count, 2);
    assert_eq!(layers[0].geometry_type, "GEOMETRY");
    assert_eq!(layers[1].geometry_type, "LINESTRING");
    assert_eq!(layers[0].columns, ["andel", "antal", "namn", "öppen"]);
    assert_eq!(layers[0].source, "omraden.geojson");
    assert_eq!(
        layers[0].extent,
        Some((LonLat::new(14.5, 56.0), LonLat::new(14.6, 56.1)))
    );
    let got = fx
        .store
        .layer_features("Områden i Sölvesborg")
        .unwrap()
        .unwrap();
    assert_eq!(got.features[0].geometry, areas.features[0].geometry);
    let p = &got.features[0].properties;
    assert_eq!(
        (&p["namn"], &p["andel"], &p["öppen"]),
        (&json!("Torget"), &json!(0.5), &json!(true))
    );
    // A column with 3 and 4.5 is a floating-point column.
    assert_eq!(p["antal"].as_f64(), Some(3.0));
    assert_eq!(got.features[1].properties["antal"], json!(4.5));
    assert_eq!(fx.store.layer_features("A").unwrap(), None);

    // Restyled, then replaced: the style stays.
    let mut style = layers[1].style;
    style.visible = false;
    style.opacity = 0.5;
    assert!(fx.store.set_layer_style("a", &style).unwrap());
    let mut moved = line.clone();
    moved.features[0].geometry = geo::Point::new(14.56, 56.02).into();
    fx.store.add_layers(&[moved], "ny.geojson").unwrap();
    fx.reopen();
    let layers = fx.store.layers().unwrap();
    assert_eq!(layers[1].style, style);
    assert_eq!(layers[1].geometry_type, "POINT");
    // Bad layers store nothing.
    let err = fx
        .store
        .add_layers(
            &[
                line.clone(),
                FeatureSet {
                    name: "incidents".to_owned(),
                    features: line.features.clone(),
                },
            ],
            "x",
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidLayer { .. }), "{err}");
    assert_eq!(fx.store.layers().unwrap().len(), 2);
    assert!(fx.store.remove_layer("a").unwrap());
    assert!(!fx.store.remove_layer("a").unwrap());
    assert_eq!(fx.store.layers().unwrap().len(), 1);
}

// --- the shared suite: patrol plan, the week plan's fixed cells, measures ---

pub(crate) mod plan_items {
    use geo::{LineString, MultiPolygon, Point, polygon};
    use lagesbild::model::plan::{PatrolArea, PatrolRoute, PlanAttributes, RouteStop};

    pub fn area(name: &str) -> PatrolArea {
        PatrolArea {
            id: None,
            attributes: PlanAttributes {
                name: name.to_owned(),
                team: "Par 1".to_owned(),
                weekdays: "fri,sat".parse().unwrap(),
                hours: Some("20-2".parse().unwrap()),
                note: "Torget och stationen".to_owned(),
                ..PlanAttributes::default()
            },
            polygons: MultiPolygon::new(vec![polygon!(
                exterior: [(x: 14.57, y: 56.04), (x: 14.60, y: 56.04), (x: 14.60, y: 56.06),
                    (x: 14.57, y: 56.06), (x: 14.57, y: 56.04)],
                interiors: [[(x: 14.58, y: 56.045), (x: 14.59, y: 56.045), (x: 14.59, y: 56.05),
                    (x: 14.58, y: 56.045)]],
            )]),
        }
    }

    pub fn route(name: &str) -> PatrolRoute {
        let mut extra = serde_json::Map::new();
        extra.insert("källa".into(), serde_json::Value::from("QGIS"));
        extra.insert("antal".into(), serde_json::Value::from(2.5));
        PatrolRoute {
            id: None,
            attributes: PlanAttributes {
                name: name.into(),
                color: [178, 24, 43],
                extra,
                ..PlanAttributes::default()
            },
            line: LineString::from(vec![
                (14.580_123_456_789, 56.05),
                (14.585, 56.052),
                (14.59, 56.05),
            ]),
            stops: vec![
                RouteStop::new("Stortorget", Point::new(14.58, 56.05)),
                RouteStop {
                    dwell_min: 15,
                    ..RouteStop::new("Stationen", Point::new(14.59, 56.05))
                },
            ],
        }
    }
}

both!(patrol_plans_are_stored_edited_deleted_and_restored);
fn patrol_plans_are_stored_edited_deleted_and_restored(kind: Backend) {
    use lagesbild::model::plan::PlanRef;
    use plan_items::{area, route};
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    assert!(fx.store.patrol_plan().unwrap().is_empty());
    assert!(!fx.store.delete_plan_item(PlanRef::Area(1)).unwrap());
    let a = fx.store.save_patrol_area(&area("Centrum")).unwrap();
    let r = fx
        .store
        .save_patrol_route(&route("Centrumslingan"))
        .unwrap();
    fx.reopen();
    let plan = fx.store.patrol_plan().unwrap();
    assert_eq!(plan.areas.len(), 1);
    let stored = plan.areas[0].clone();
    assert_eq!(stored.id, Some(a));
    assert_eq!(stored.attributes, area("Centrum").attributes);
    assert_eq!(stored.polygons, area("Centrum").polygons, "hole and all");
    let sr = plan.route(r).unwrap().clone();
    assert_eq!(sr.attributes, route("Centrumslingan").attributes);
    assert_eq!(
        sr.line,
        route("Centrumslingan").line,
        "every coordinate bit"
    );
    let stops: Vec<_> = sr
        .stops
        .iter()
        .map(|s| (s.name.as_str(), s.dwell_min))
        .collect();
    assert_eq!(stops, [("Stortorget", 12), ("Stationen", 15)]);
    assert_eq!(sr.stops[1].position, geo::Point::new(14.59, 56.05));

    // An update keeps the id and replaces the stops.
    let mut changed = sr.clone();
    changed.attributes.name = "Ny slinga".into();
    changed.attributes.hours = None;
    changed.stops.remove(0);
    assert_eq!(fx.store.save_patrol_route(&changed).unwrap(), r);
    let plan = fx.store.patrol_plan().unwrap();
    assert_eq!(plan.routes.len(), 1);
    assert_eq!(plan.routes[0].attributes.name, "Ny slinga");
    assert_eq!(plan.routes[0].attributes.hours, None);
    assert_eq!(plan.routes[0].stops.len(), 1);
    assert_eq!(fx.sql_i64("SELECT count(*) FROM route_stops"), 1);

    // A bad item is refused, names itself and changes nothing.
    let mut bad = area("Fel");
    bad.polygons = geo::MultiPolygon::new(vec![]);
    let err = fx.store.save_patrol_area(&bad).unwrap_err();
    assert!(matches!(err, StoreError::InvalidPlan { .. }), "{err}");
    assert!(err.to_string().contains("\"Fel\""), "{err}");
    let mut far = route("Långt bort");
    far.stops[1].position = geo::Point::new(500_000.0, 6_200_000.0);
    let err = fx.store.save_patrol_route(&far).unwrap_err();
    assert!(err.to_string().contains("stop 2"), "{err}");
    assert_eq!(fx.store.patrol_plan().unwrap().areas.len(), 1);
    assert_eq!(fx.store.patrol_plan().unwrap().routes.len(), 1);

    // Delete, then restore under the same id (as undo does).
    assert!(fx.store.delete_plan_item(PlanRef::Area(a)).unwrap());
    assert!(!fx.store.delete_plan_item(PlanRef::Area(a)).unwrap());
    assert!(fx.store.patrol_plan().unwrap().areas.is_empty());
    assert_eq!(fx.store.save_patrol_area(&stored).unwrap(), a);
    assert_eq!(fx.store.patrol_plan().unwrap().areas, vec![stored.clone()]);
    assert!(fx.store.delete_plan_item(PlanRef::Route(r)).unwrap());
    assert_eq!(fx.sql_i64("SELECT count(*) FROM route_stops"), 0);
    // An id given from outside is never handed out again.
    let outside = lagesbild::model::plan::PatrolArea {
        id: Some(a + 1000),
        ..area("Utifrån")
    };
    assert_eq!(fx.store.save_patrol_area(&outside).unwrap(), a + 1000);
    let next = fx.store.save_patrol_area(&area("Nästa")).unwrap();
    assert!(next > a + 1000, "{next}");
    assert_eq!(fx.store.patrol_plan().unwrap().areas.len(), 3);
}

both!(a_plan_import_merges_by_kind_and_name_in_one_transaction);
fn a_plan_import_merges_by_kind_and_name_in_one_transaction(kind: Backend) {
    use lagesbild::model::plan::PatrolPlan;
    use plan_items::{area, route};
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    // One bad item adds nothing, and the message says which.
    let mut bad_route = route("Kort");
    bad_route.line = geo::LineString::from(vec![(14.58, 56.05)]);
    let plan = PatrolPlan {
        areas: vec![area("A"), area("B")],
        routes: vec![bad_route.clone()],
    };
    let err = fx.store.add_patrol_plan(&plan).unwrap_err();
    assert!(err.to_string().contains("route 1"), "{err}");
    let err = fx.store.merge_patrol_plan(&plan).unwrap_err();
    assert!(err.to_string().contains("route 1"), "{err}");
    assert!(fx.store.patrol_plan().unwrap().is_empty());

    let plan = PatrolPlan {
        areas: vec![area("A"), area("B")],
        routes: vec![route("Slingan")],
    };
    let first = fx.store.merge_patrol_plan(&plan).unwrap();
    assert_eq!(
        (
            first.added.len(),
            first.replaced.len(),
            first.unchanged.len()
        ),
        (3, 0, 0)
    );
    let again = fx.store.merge_patrol_plan(&plan).unwrap();
    assert_eq!(
        (
            again.added.len(),
            again.replaced.len(),
            again.unchanged.len()
        ),
        (0, 0, 3)
    );
    assert_eq!(again.unchanged, first.added, "the same ids, skipped");
    // B changed and a new area C: B is replaced under its id, C added.
    let mut changed = plan.clone();
    changed.areas[1].attributes.note = "ny".into();
    changed.areas.push(area("C"));
    let third = fx.store.merge_patrol_plan(&changed).unwrap();
    assert_eq!(third.replaced, vec![first.added[1].clone()]);
    assert_eq!(third.added.len(), 1);
    assert_eq!(third.unchanged.len(), 2);
    // A route's changed stop replaces the route and its stops.
    let mut moved = changed.clone();
    moved.routes[0].stops[0].dwell_min = 30;
    let fourth = fx.store.merge_patrol_plan(&moved).unwrap();
    assert_eq!(fourth.replaced, vec![first.added[2].clone()]);
    fx.reopen();
    let stored = fx.store.patrol_plan().unwrap();
    assert_eq!(stored.areas.len(), 3);
    assert_eq!(stored.routes.len(), 1);
    assert_eq!(stored.areas[1].attributes.note, "ny");
    assert_eq!(stored.routes[0].stops[0].dwell_min, 30);
    assert_eq!(fx.sql_i64("SELECT count(*) FROM route_stops"), 2);
    // An area and a route may share a name: kinds are matched apart.
    let same_name = PatrolPlan {
        areas: vec![],
        routes: vec![route("A")],
    };
    assert_eq!(
        fx.store.merge_patrol_plan(&same_name).unwrap().added.len(),
        1
    );
    // add_patrol_plan always adds.
    assert_eq!(fx.store.add_patrol_plan(&plan).unwrap().len(), 3);
    assert_eq!(fx.store.patrol_plan().unwrap().areas.len(), 5);
}

both!(the_week_plans_fixed_cells_are_kept_and_replaced);
fn the_week_plans_fixed_cells_are_kept_and_replaced(kind: Backend) {
    use lagesbild::store::WeekFixedCell;
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    assert!(fx.store.week_fixed().unwrap().is_empty());
    let cell = |pair, evening, item: &str| WeekFixedCell {
        pair,
        evening,
        item: item.to_owned(),
        shift: "19:00-03:00".to_owned(),
    };
    let cells = vec![
        cell(2, chrono::Weekday::Fri, "Hamnen"),
        cell(1, chrono::Weekday::Fri, "Östra"),
        cell(1, chrono::Weekday::Mon, "Östra"),
    ];
    fx.store.save_week_fixed(&cells).unwrap();
    fx.reopen();
    assert_eq!(
        fx.store.week_fixed().unwrap(),
        vec![cells[2].clone(), cells[1].clone(), cells[0].clone()],
        "by evening, then pair"
    );
    // One pair twice on an evening is refused and changes nothing.
    let twice = vec![cells[0].clone(), cells[0].clone()];
    assert!(fx.store.save_week_fixed(&twice).is_err());
    assert_eq!(fx.store.week_fixed().unwrap().len(), 3);
    fx.store.save_week_fixed(&cells[..1]).unwrap();
    assert_eq!(fx.store.week_fixed().unwrap(), vec![cells[0].clone()]);
    fx.store.save_week_fixed(&[]).unwrap();
    assert!(fx.store.week_fixed().unwrap().is_empty());
}

pub(crate) fn measure(name: &str, start: (i32, u32, u32)) -> lagesbild::model::measure::Measure {
    use geo::polygon;
    lagesbild::model::measure::Measure {
        fid: None,
        name: name.into(),
        problem: Filter {
            categories: Some(Filter::parse_categories("skadegorelse,narkotika").unwrap()),
            hours: Some("18-2".parse().unwrap()),
            weekdays: Some("fri,sat".parse().unwrap()),
            ..Filter::default()
        },
        place: "Stadsparken".into(),
        area: geo::MultiPolygon(vec![polygon![
            (x: 14.58, y: 56.05), (x: 14.59, y: 56.05), (x: 14.59, y: 56.06),
            (x: 14.58, y: 56.06), (x: 14.58, y: 56.05)
        ]]),
        start: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
        end: None,
        responsible: "Tekniska förvaltningen".into(),
        note: "ny belysning i parken".into(),
    }
}

both!(measures_are_added_read_replaced_and_removed);
fn measures_are_added_read_replaced_and_removed(kind: Backend) {
    use lagesbild::model::measure::Measure;
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let without_fid = |m: &Measure| Measure {
        fid: None,
        ..m.clone()
    };
    assert!(fx.store.measures().unwrap().is_empty());
    assert_eq!(fx.store.measure("Belysning").unwrap(), None);
    let park = fx
        .store
        .add_measure(&measure("Belysning", (2025, 3, 1)))
        .unwrap();
    fx.store
        .add_measure(&measure("Ökad närvaro", (2024, 9, 1)))
        .unwrap();
    fx.store
        .add_measure(&measure("Avspärrning", (2025, 3, 1)))
        .unwrap();
    // Names are trimmed and kept apart exactly (case counts).
    fx.store
        .add_measure(&measure(" belysning ", (2025, 3, 1)))
        .unwrap();
    fx.reopen();
    let got = fx.store.measure("Belysning").unwrap().unwrap();
    assert_eq!(got.fid, Some(park));
    assert_eq!(without_fid(&got), measure("Belysning", (2025, 3, 1)));
    let names: Vec<String> = fx
        .store
        .measures()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        ["Ökad närvaro", "Avspärrning", "Belysning", "belysning"],
        "by start date, then name"
    );
    // The same name again, or a bad measure, is refused and changes nothing.
    let err = fx
        .store
        .add_measure(&measure("Belysning", (2026, 1, 1)))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidMeasure { .. }), "{err}");
    assert!(err.to_string().contains("exists already"), "{err}");
    let mut bad = measure("Fel", (2025, 3, 1));
    bad.end = NaiveDate::from_ymd_opt(2025, 2, 1);
    let err = fx.store.add_measure(&bad).unwrap_err();
    assert!(matches!(err, StoreError::InvalidMeasure { .. }), "{err}");
    assert_eq!(fx.store.measures().unwrap().len(), 4);
    // An update replaces every field under the fid; its name may not be
    // another's, and a fid that is gone is refused.
    let mut changed = measure("Belysning och vandring", (2025, 3, 1));
    changed.end = NaiveDate::from_ymd_opt(2025, 6, 30);
    changed.note = "belysning + trygghetsvandring".into();
    changed.problem = Filter::default();
    fx.store.update_measure(park, &changed).unwrap();
    assert_eq!(fx.store.measure("Belysning").unwrap(), None);
    let got = fx.store.measure("Belysning och vandring").unwrap().unwrap();
    assert_eq!((got.fid, without_fid(&got)), (Some(park), changed.clone()));
    let err = fx
        .store
        .update_measure(park, &measure("Avspärrning", (2025, 3, 1)));
    assert!(err.unwrap_err().to_string().contains("exists already"));
    let err = fx
        .store
        .update_measure(park + 1000, &measure("Ny", (2025, 3, 1)))
        .unwrap_err();
    assert!(err.to_string().contains("no measure with fid"), "{err}");
    assert!(fx.store.remove_measure("Belysning och vandring").unwrap());
    assert!(!fx.store.remove_measure("Belysning och vandring").unwrap());
    assert_eq!(fx.store.measures().unwrap().len(), 3);
}

both!(plan_and_measure_changes_move_the_change_stamp);
fn plan_and_measure_changes_move_the_change_stamp(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let watcher = store::open(fx.location.as_str()).unwrap();
    let mut last = watcher.change_stamp().unwrap().unwrap();
    let mut moved = |what: &str| {
        let now = watcher.change_stamp().unwrap().unwrap();
        assert_ne!(now, last, "{what} is not seen by another connection");
        last = now;
    };
    let a = fx.store.save_patrol_area(&plan_items::area("A")).unwrap();
    moved("a new area");
    let r = fx.store.save_patrol_route(&plan_items::route("R")).unwrap();
    moved("a new route");
    fx.store
        .delete_plan_item(lagesbild::model::plan::PlanRef::Area(a))
        .unwrap();
    moved("a deleted area");
    fx.store
        .delete_plan_item(lagesbild::model::plan::PlanRef::Route(r))
        .unwrap();
    moved("a deleted route");
    fx.store.add_measure(&measure("M", (2025, 1, 1))).unwrap();
    moved("a new measure");
    fx.store
        .save_week_fixed(&[store::WeekFixedCell {
            pair: 1,
            evening: chrono::Weekday::Fri,
            item: "A".into(),
            shift: "19:00-03:00".into(),
        }])
        .unwrap();
    moved("a fixed week cell");
}

// --- police events, tracks and check-ins, retention (both backends) ---

fn import_police(fx: &mut Fixture, rel: &str) -> lagesbild::import::ImportReport {
    lagesbild::import::import_file(
        fx.store.as_mut(),
        &crate::util::fixture(rel),
        &lagesbild::import::ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap()
}

fn police_event(fx: &Fixture, id: &str) -> Incident {
    fx.store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some(id))
        .unwrap()
}

both!(police_events_are_kept_by_id_with_their_history);
fn police_events_are_kept_by_id_with_their_history(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let first = import_police(&mut fx, "polisen/edited_old.json");
    assert_eq!((first.imported, first.updated), (2, 0));
    let before = police_event(&fx, "478801");
    assert_eq!(before.category, Category::Ovrigt);
    let stamp = fx.store.change_stamp().unwrap();
    let second = import_police(&mut fx, "polisen/edited_new.json");
    assert_eq!(
        (second.imported, second.updated, second.duplicates),
        (0, 2, 0),
        "{second:?}"
    );
    assert!(second.conflicts.is_empty());
    if stamp.is_some() {
        assert_ne!(fx.store.change_stamp().unwrap(), stamp);
    }
    fx.reopen();
    let after = police_event(&fx, "478801");
    assert_eq!(after.category, Category::Vald);
    assert_eq!(after.category_text.as_deref(), Some("Våldtäkt"));
    assert_eq!((after.fid, &after.uid), (before.fid, &before.uid));
    assert_eq!(fx.count(), 2);
    let history = fx.store.police_history("478801").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].reason, "updated");
    let mut old = before.clone();
    old.import_file = history[0].incident.import_file.clone();
    old.source_text = None;
    assert_eq!(history[0].incident, old);
    assert!(fx.store.police_history("1").unwrap().is_empty());
    // Again: unchanged, no new history.
    let third = import_police(&mut fx, "polisen/edited_new.json");
    assert_eq!((third.imported, third.updated, third.duplicates), (0, 0, 2));
    assert_eq!(fx.store.police_history("478801").unwrap().len(), 1);

    // A failed batch (one event with no finite position) changes nothing.
    let mut changed = after.clone();
    changed.category = Category::Stold;
    let mut bad = after.clone();
    bad.external_id = Some("999".to_owned());
    bad.position = LonLat::new(f64::NAN, 56.0);
    let err = fx
        .store
        .upsert_police_events("x.json", &[changed.clone(), bad], &[], &CancelToken::new())
        .unwrap_err();
    assert!(err.to_string().contains("not a finite number"), "{err}");
    let cancel = CancelToken::new();
    cancel.cancel();
    assert!(
        fx.store
            .upsert_police_events("x.json", &[changed], &[], &cancel)
            .is_err()
    );
    assert_eq!(police_event(&fx, "478801").category, Category::Vald);
    assert_eq!(fx.store.police_history("478801").unwrap().len(), 1);
}

both!(police_summaries_are_kept_apart_and_an_old_incident_moved_out);
fn police_summaries_are_kept_apart_and_an_old_incident_moved_out(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    // As the foundation's importer stored it: an incident at the county centre.
    let mut old = Incident::new(
        "2025-01-19T05:30:00Z".parse().unwrap(),
        Category::Ovrigt,
        Source::Polis,
        LonLat::new(15.0, 56.3),
        lagesbild::model::Precision::COUNTY_M,
    );
    old.external_id = Some("563455".to_owned());
    old.category_text = Some("Sammanfattning natt".to_owned());
    fx.store.add_incident(&old).unwrap();
    let report = import_police(&mut fx, "json/polisen_blekinge.json");
    assert_eq!(report.imported, 11);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("taken out of the incidents"))
    );
    let ids: Vec<String> = fx
        .store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .filter_map(|i| i.external_id)
        .collect();
    assert!(!ids.contains(&"563455".to_owned()));
    assert_eq!(fx.count(), 11);
    assert_eq!(
        fx.store.police_history("563455").unwrap()[0].reason,
        "summary"
    );
    let summaries = fx.store.police_summaries().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].external_id, "563455");
    assert!(
        summaries[0].title.contains("Sammanfattning"),
        "{summaries:?}"
    );
    // The same file again changes nothing.
    let again = import_police(&mut fx, "json/polisen_blekinge.json");
    assert_eq!((again.imported, again.updated), (0, 0), "{again:?}");
    assert_eq!(fx.store.police_summaries().unwrap(), summaries);
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn track(host: &str, start: &str, n: i64) -> lagesbild::model::track::Track {
    use lagesbild::model::track::{Fix, Track};
    Track {
        host: host.into(),
        source: format!("{host}.gpx"),
        fixes: (0..n)
            .map(|i| Fix {
                at: utc(start) + chrono::Duration::minutes(i),
                position: LonLat::new(14.58 + i as f64 * 1e-4, 56.05),
            })
            .collect(),
    }
}

both!(tracks_and_checkins_are_stored_once_read_by_date_and_pruned);
fn tracks_and_checkins_are_stored_once_read_by_date_and_pruned(kind: Backend) {
    use lagesbild::model::track::CheckIn;
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    assert!(fx.store.track_summaries().unwrap().is_empty());
    let a = track("TV01", "2025-01-10T19:00:00Z", 5);
    let b = track("TV02", "2025-03-10T19:00:00Z", 3);
    // Fixes out of order are stored in time order.
    let mut shuffled = a.clone();
    shuffled.fixes.reverse();
    assert_eq!(fx.store.add_tracks(&[shuffled, b.clone()]).unwrap(), (2, 0));
    assert_eq!(
        fx.store.add_tracks(std::slice::from_ref(&a)).unwrap(),
        (0, 1)
    );
    fx.reopen();
    assert_eq!(fx.store.tracks(None, None).unwrap(), [a.clone(), b.clone()]);
    let march = fx
        .store
        .tracks(NaiveDate::from_ymd_opt(2025, 3, 1), None)
        .unwrap();
    assert_eq!(march, std::slice::from_ref(&b));
    let january = fx
        .store
        .tracks(None, NaiveDate::from_ymd_opt(2025, 1, 31))
        .unwrap();
    assert_eq!(january, std::slice::from_ref(&a));
    let list = fx.store.track_summaries().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (
            list[0].host.as_str(),
            list[0].source.as_str(),
            list[0].fixes
        ),
        ("TV01", "TV01.gpx", 5)
    );
    assert_eq!(
        (list[0].first, list[0].last),
        (utc("2025-01-10T19:00:00Z"), utc("2025-01-10T19:04:00Z"))
    );
    // A name is refused and nothing is stored, the good track beside it neither.
    let err = fx
        .store
        .add_tracks(&[
            track("TV09", "2025-04-01T19:00:00Z", 2),
            track("Anna", "2025-04-01T19:00:00Z", 2),
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidTrack { .. }), "{err}");
    assert_eq!(fx.store.track_summaries().unwrap().len(), 2);

    let c = CheckIn {
        place: "Torget".into(),
        host: "TV03".into(),
        checked_in: utc("2025-01-11T19:00:00Z"),
        checked_out: utc("2025-01-11T19:20:00Z"),
    };
    let later = CheckIn {
        place: "Parken".into(),
        checked_in: utc("2025-03-11T19:00:00Z"),
        checked_out: utc("2025-03-11T19:30:00Z"),
        ..c.clone()
    };
    assert_eq!(
        fx.store
            .add_checkins(&[c.clone(), c.clone(), later.clone()])
            .unwrap(),
        (2, 1)
    );
    let backwards = CheckIn {
        checked_out: utc("2025-01-11T18:00:00Z"),
        ..c.clone()
    };
    assert!(matches!(
        fx.store.add_checkins(&[backwards]),
        Err(StoreError::InvalidTrack { .. })
    ));
    assert_eq!(
        fx.store.checkins(None, None).unwrap(),
        [c.clone(), later.clone()]
    );
    assert_eq!(
        fx.store
            .checkins(NaiveDate::from_ymd_opt(2025, 2, 1), None)
            .unwrap(),
        std::slice::from_ref(&later)
    );
    assert_eq!(
        fx.store.prune_tracks(utc("2025-02-01T00:00:00Z")).unwrap(),
        (1, 1)
    );
    assert_eq!(fx.store.tracks(None, None).unwrap(), [b]);
    assert_eq!(fx.store.checkins(None, None).unwrap(), [later]);
}

both!(retention_deletes_what_is_past_its_time_in_one_logged_run);
fn retention_deletes_what_is_past_its_time_in_one_logged_run(kind: Backend) {
    let Some(mut fx) = Fixture::new(kind) else {
        return;
    };
    let times = [
        local(2019, 5, 1, 12, 0),
        local(2020, 6, 1, 22, 0),
        local(2024, 1, 1, 0, 0),
        local(2025, 6, 1, 21, 0),
    ];
    let rows: Vec<Incident> = times
        .iter()
        .enumerate()
        .map(|(i, &t)| incident(t, 14.58 + i as f64 * 0.001, 56.05))
        .collect();
    fx.import(&rows);
    // An old police event with an earlier version: its history goes with it.
    let mut event = Incident::new(
        local(2019, 7, 1, 20, 0),
        Category::Ovrigt,
        Source::Polis,
        LonLat::new(14.59, 56.06),
        100.0,
    );
    event.external_id = Some("77".to_owned());
    fx.store
        .upsert_police_events(
            "a.json",
            std::slice::from_ref(&event),
            &[],
            &CancelToken::new(),
        )
        .unwrap();
    event.category = Category::Vald;
    fx.store
        .upsert_police_events("b.json", &[event], &[], &CancelToken::new())
        .unwrap();
    assert_eq!(fx.store.police_history("77").unwrap().len(), 1);
    fx.store
        .add_tracks(&[
            track("TV01", "2024-01-10T19:00:00Z", 3),
            track("TV02", "2025-09-10T19:00:00Z", 3),
        ])
        .unwrap();
    assert!(fx.store.retention_log().unwrap().is_empty());
    let stamp = fx.store.change_stamp().unwrap();
    let cut = local(2021, 1, 1, 0, 0);
    let tracks_cut = utc("2025-01-01T00:00:00Z");
    let run = fx
        .store
        .apply_retention(Some(cut), Some(tracks_cut))
        .unwrap();
    assert_eq!(
        (
            run.incidents_deleted,
            run.tracks_deleted,
            run.checkins_deleted
        ),
        (3, 1, 0)
    );
    if stamp.is_some() {
        assert_ne!(fx.store.change_stamp().unwrap(), stamp);
    }
    fx.reopen();
    assert_eq!(fx.count(), 2);
    assert!(fx.store.police_history("77").unwrap().is_empty());
    assert_eq!(fx.store.track_summaries().unwrap().len(), 1);
    let log = fx.store.retention_log().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].incidents_before, Some(cut));
    assert_eq!(log[0].tracks_before, Some(tracks_cut));
    assert_eq!((log[0].incidents_deleted, log[0].tracks_deleted), (3, 1));
    // Logged to the millisecond.
    assert_eq!(log[0].at.timestamp_millis(), run.at.timestamp_millis());
    // Only incidents this time; the tracks are left alone.
    let run = fx.store.apply_retention(Some(cut), None).unwrap();
    assert_eq!(run.incidents_deleted, 0);
    assert_eq!(fx.store.retention_log().unwrap().len(), 2);
    assert_eq!(fx.store.track_summaries().unwrap().len(), 1);
}
