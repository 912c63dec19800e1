//! Imports into the shared store by a writer that does not own the tables
//! (a `lagesbild_write` login, as the unit works), into an empty project and
//! into one with rows: the GeoPackage's outcomes row by row (inserted,
//! duplicate, conflict and its reason), the same stored incidents, the
//! indexes there and used afterwards, readers seeing none or all of an
//! import, and the bulk load's `SECURITY DEFINER` functions (schema
//! migration 6) refusing what they must. Runs against the test cluster
//! (see tests/pg.rs).

use chrono::{Duration, TimeZone as _, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Incident, LonLat, Source};
use lagesbild::store::{self, BoxedStore, PushOutcome};

use crate::pg::TestDb;

/// `n` incidents numbered from `first`, every source in turn (so some are
/// sensitive), a few minutes apart, over Sölvesborg's town.
fn rows(tag: &str, first: i64, n: i64) -> Vec<Incident> {
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 18, 0, 0).unwrap();
    (first..first + n)
        .map(|i| {
            let mut x = Incident::new(
                start + Duration::minutes(i * 7),
                Category::ALL[i as usize % Category::ALL.len()],
                Source::ALL[i as usize % Source::ALL.len()],
                LonLat::new(
                    14.55 + (i % 97) as f64 * 0.0007,
                    56.03 + (i % 89) as f64 * 0.0004,
                ),
                10.0,
            );
            x.external_id = Some(format!("{tag}-{i}"));
            x
        })
        .collect()
}

/// A file that repeats `old` rows (duplicates), moves others (conflicts:
/// the same source and external id, another time or place), reuses a uid
/// for a different incident (a conflict), and repeats its own rows.
fn file_with_repeats(new: Vec<Incident>, old: &[Incident], repeats: usize) -> Vec<Incident> {
    let mut out = new;
    for (k, x) in old.iter().take(repeats).enumerate() {
        let mut x = x.clone();
        match k % 3 {
            0 => {}
            1 => x.occurred_at += Duration::minutes(30),
            _ => x.position = LonLat::new(x.position.lon + 0.01, x.position.lat),
        }
        out.push(x);
    }
    if let Some(first) = old.first() {
        let mut x = out[0].clone();
        x.external_id = Some("another-id".to_owned());
        x.uid = first.uid.clone();
        out.push(x);
    }
    let own: Vec<Incident> = out.iter().take(repeats / 2).cloned().collect();
    out.extend(own);
    out
}

/// An outcome as both stores can give it: the referred incident by uid.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Outcome {
    Inserted,
    Duplicate(String),
    Conflict(String, String),
}

fn import(store: &mut BoxedStore, file: &str, rows: &[Incident]) -> Vec<Outcome> {
    let mut session = store.begin_import(file).unwrap();
    let raw: Vec<PushOutcome> = rows.iter().map(|r| session.push(r).unwrap()).collect();
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    let uid = |fid: i64| store.incident(fid).unwrap().expect("a stored fid").uid;
    raw.into_iter()
        .map(|o| match o {
            PushOutcome::Inserted => Outcome::Inserted,
            PushOutcome::Duplicate { fid } => Outcome::Duplicate(uid(fid)),
            PushOutcome::Conflict { fid, reason } => Outcome::Conflict(uid(fid), reason),
        })
        .collect()
}

/// Every stored incident by uid: the fields both stores keep.
fn stored(store: &BoxedStore) -> Vec<String> {
    let mut out: Vec<String> = store
        .incidents(&lagesbild::model::Filter::default(), &CancelToken::new())
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {:?} {} {} {:.7} {:.7} {} {}",
                x.uid,
                x.external_id,
                x.source.key(),
                x.occurred_at.timestamp_millis(),
                x.position.lon,
                x.position.lat,
                x.category.key(),
                x.precision_m
            )
        })
        .collect();
    out.sort();
    out
}

fn index_names(db: &TestDb) -> Vec<String> {
    db.admin()
        .query(
            "SELECT indexname::text FROM pg_indexes \
             WHERE schemaname = 'lagesbild' AND tablename = 'incidents' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn plan(db: &TestDb, sql: &str) -> String {
    let mut admin = db.admin();
    admin.batch_execute("SET enable_seqscan = off").unwrap();
    admin
        .query(&format!("EXPLAIN {sql}"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

const ALL_INDEXES: [&str; 5] = [
    "incidents_geom_idx",
    "incidents_import_key_idx",
    "incidents_occurred_at_idx",
    "incidents_pkey",
    "incidents_uid_key",
];

#[test]
fn a_writers_imports_give_the_geopackages_outcomes_empty_and_not() {
    let Some((mut db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let writer = db.login("w", &["lagesbild_write", "lagesbild_sensitive"]);
    let mut pg = store::open(writer.as_str()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = store::create(dir.path().join("same.gpkg").as_path(), "same").unwrap();

    // Into the empty project (bulk loaded), then a large file into it (bulk
    // loaded again: 120,000 rows onto 2,000), then a small one (indexes
    // kept, maintained row by row).
    let a = file_with_repeats(rows("a", 0, 2000), &[], 40);
    let b = file_with_repeats(rows("b", 0, 120_000), &a, 300);
    let c = file_with_repeats(rows("c", 0, 500), &b[119_000..], 90);
    for (name, file) in [("a.csv", &a), ("b.csv", &b), ("c.csv", &c)] {
        let from_pg = import(&mut pg, name, file);
        let from_gpkg = import(&mut gpkg, name, file);
        assert_eq!(from_pg.len(), file.len());
        for (k, (p, g)) in from_pg.iter().zip(&from_gpkg).enumerate() {
            assert_eq!(p, g, "{name} row {k}");
        }
        assert!(from_pg.iter().any(|o| matches!(o, Outcome::Duplicate(_))));
        if name != "a.csv" {
            assert!(from_pg.iter().any(|o| matches!(o, Outcome::Conflict(..))));
        }
        assert_eq!(stored(&pg), stored(&gpkg), "after {name}");
        assert_eq!(index_names(&db), ALL_INDEXES, "after {name}");
    }
    // The first two were bulk loads (logged with the writer's login), the
    // small third one was not.
    let loads: Vec<(String, i64)> = db
        .admin()
        .query(
            "SELECT login, adding FROM lagesbild.lagesbild_bulk_loads ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let role = db.role("w");
    assert_eq!(
        loads,
        [
            (role.clone(), import_counts(&db, "a.csv")),
            (role, import_counts(&db, "b.csv"))
        ]
    );
    // The rebuilt indexes answer queries.
    let by_place = plan(
        &db,
        "SELECT fid FROM lagesbild.incidents \
         WHERE geom && ST_MakeEnvelope(14.56, 56.04, 14.57, 56.05, 4326)",
    );
    assert!(by_place.contains("incidents_geom_idx"), "{by_place}");
    let by_time = plan(
        &db,
        "SELECT fid FROM lagesbild.incidents WHERE occurred_at < '2025-02-01'",
    );
    assert!(by_time.contains("incidents_occurred_at_idx"), "{by_time}");
    let by_key = plan(
        &db,
        "SELECT fid FROM lagesbild.incidents WHERE import_key = 7",
    );
    assert!(by_key.contains("incidents_import_key_idx"), "{by_key}");
}

/// The `inserted` count the import log has for `file`.
fn import_counts(db: &TestDb, file: &str) -> i64 {
    db.admin()
        .query_one(
            "SELECT inserted FROM lagesbild.lagesbild_imports WHERE file_name = $1",
            &[&file],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_reader_during_a_bulk_load_sees_none_or_all_of_it() {
    let Some((mut db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let writer = db.login("w", &["lagesbild_write", "lagesbild_sensitive"]);
    let reader = db.login("r", &["lagesbild_read", "lagesbild_sensitive"]);
    let first = rows("f", 0, 3000);
    let second = rows("s", 0, 110_000);
    for (file, before, after) in [(&first, 0, 3000), (&second, 3000, 113_000)] {
        let done = std::sync::atomic::AtomicBool::new(false);
        let seen = std::thread::scope(|s| {
            let watcher = s.spawn(|| {
                let mut r = postgres::Client::connect(&reader, postgres::NoTls).unwrap();
                let mut seen = Vec::new();
                let mut during = 0;
                loop {
                    let running = !done.load(std::sync::atomic::Ordering::SeqCst);
                    let n: i64 = r
                        .query_one("SELECT count(*) FROM lagesbild.incidents", &[])
                        .unwrap()
                        .get(0);
                    seen.push(n);
                    if !running {
                        break;
                    }
                    during += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                (seen, during)
            });
            let mut w = store::open(writer.as_str()).unwrap();
            import(&mut w, "f.csv", file);
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            watcher.join().unwrap()
        });
        let (counts, during) = seen;
        assert!(during > 0, "the reader looked while the import ran");
        assert!(
            counts.iter().all(|n| *n == before || *n == after),
            "{before} or {after}: {counts:?}"
        );
        assert_eq!(*counts.last().unwrap(), after);
    }
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_bulk_loads"),
        2
    );
    assert_eq!(index_names(&db), ALL_INDEXES);
}

/// Runs `sql` as `url`; the error's SQLSTATE when it fails.
fn state(url: &str, sql: &str) -> Result<(), String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(sql)
        .map_err(|e| e.code().map(|c| c.code().to_owned()).unwrap_or_default())
}

#[test]
fn the_bulk_load_functions_refuse_what_they_must() {
    let Some((mut db, mut store)) = TestDb::with_project() else {
        return;
    };
    let writer = db.login("w", &["lagesbild_write"]);
    let reader = db.login("r", &["lagesbild_read", "lagesbild_sensitive"]);
    let begin = "SELECT lagesbild.lagesbild_bulk_load_begin(5)";
    // Fixed search path, owned by the table's owner, security definer.
    let (fixed, owned, definer): (bool, bool, bool) = {
        let r = db
            .admin()
            .query_one(
                "SELECT p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], \
                        p.proowner = c.relowner, p.prosecdef \
                 FROM pg_proc p, pg_class c \
                 WHERE p.oid = 'lagesbild.lagesbild_bulk_load_begin(bigint)'::regprocedure \
                   AND c.oid = 'lagesbild.incidents'::regclass",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert!(fixed && owned && definer);
    // A reader may not run them, nor after `db init` ran again (which
    // grants EXECUTE on the schema's functions to both roles).
    assert_eq!(state(&reader, begin), Err("42501".to_owned()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .args(["db", "init", &db.url, "--name", "igen"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(state(&reader, begin), Err("42501".to_owned()));
    assert_eq!(
        state(&reader, "SELECT lagesbild.lagesbild_bulk_load_finish()"),
        Err("42501".to_owned())
    );
    // A writer that drops the indexes and does not build them again cannot
    // commit: everything rolls back, the indexes stay.
    assert_eq!(
        state(&writer, &format!("BEGIN; {begin}; COMMIT")),
        Err("23000".to_owned())
    );
    assert_eq!(index_names(&db), ALL_INDEXES);
    assert_eq!(
        state(
            &writer,
            &format!("BEGIN; SET CONSTRAINTS ALL IMMEDIATE; {begin}; COMMIT")
        ),
        Err("23000".to_owned())
    );
    assert_eq!(index_names(&db), ALL_INDEXES);
    // Begun and finished, it commits with the indexes built again.
    state(
        &writer,
        &format!("BEGIN; {begin}; SELECT lagesbild.lagesbild_bulk_load_finish(); COMMIT"),
    )
    .unwrap();
    assert_eq!(index_names(&db), ALL_INDEXES);
    // Nobody writes the bulk-load log but the functions.
    assert_eq!(
        state(
            &writer,
            "INSERT INTO lagesbild.lagesbild_bulk_loads (adding, dropped) VALUES (1, '{}')"
        ),
        Err("42501".to_owned())
    );
    // A small import into a table with rows neither drops nor locks.
    let mut session = store.begin_import("one.csv").unwrap();
    for r in rows("o", 0, 10) {
        session.push(&r).unwrap();
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    let mut w = postgres::Client::connect(&writer, postgres::NoTls).unwrap();
    let mut tx = w.transaction().unwrap();
    let dropped: bool = tx.query_one(begin, &[]).unwrap().get(0);
    assert!(!dropped);
    let locked: i64 = tx
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() \
             AND relation = 'lagesbild.incidents'::regclass AND mode = 'AccessExclusiveLock'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(locked, 0);
    tx.commit().unwrap();
    assert_eq!(index_names(&db), ALL_INDEXES);
}

/// Index oids of `incidents` (new oids: built again).
fn index_oids(db: &TestDb) -> Vec<u32> {
    db.admin()
        .query(
            "SELECT indexrelid::oid FROM pg_index \
             WHERE indrelid = 'lagesbild.incidents'::regclass ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn functions_a_writer_migrated_are_not_used_until_the_owner_runs_db_init() {
    let Some((mut db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    // Back to before migration 6; a writer (not a member of the owner's
    // role) opens the project and so runs it.
    db.admin()
        .batch_execute(
            "DROP TABLE lagesbild.lagesbild_bulk_loads;
             DROP FUNCTION lagesbild.lagesbild_bulk_load_begin(bigint),
                 lagesbild.lagesbild_bulk_load_finish(), lagesbild.lagesbild_bulk_load_check();
             DELETE FROM lagesbild.lagesbild_schema WHERE version >= 6;",
        )
        .unwrap();
    let writer = db.login("w", &["lagesbild_write", "lagesbild_sensitive"]);
    let mut w = store::open(writer.as_str()).unwrap();
    let owned_by_table_owner = |db: &TestDb| -> bool {
        db.admin()
            .query_one(
                "SELECT p.proowner = c.relowner FROM pg_proc p, pg_class c \
                 WHERE p.oid = 'lagesbild.lagesbild_bulk_load_begin(bigint)'::regprocedure \
                   AND c.oid = 'lagesbild.incidents'::regclass",
                &[],
            )
            .unwrap()
            .get(0)
    };
    assert!(!owned_by_table_owner(&db));
    // Its functions cannot drop the owner's indexes: the import keeps them.
    let before = index_oids(&db);
    import(&mut w, "w.csv", &rows("w", 0, 400));
    assert_eq!(index_oids(&db), before);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 400);
    // The owner's `db init` makes them the owner's; the next bulk load is
    // the writer's (a project emptied again).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .args(["db", "init", &db.url, "--name", "igen"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(owned_by_table_owner(&db));
    db.admin()
        .batch_execute("TRUNCATE lagesbild.incidents")
        .unwrap();
    import(&mut w, "w2.csv", &rows("v", 0, 400));
    assert_ne!(index_oids(&db), before);
    assert_eq!(index_names(&db), ALL_INDEXES);
}
