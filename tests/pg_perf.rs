//! The shared store's fast paths keep its semantics: the bulk load of a
//! first import (secondary indexes dropped and built again) leaves the same
//! indexes, or nothing at all when it rolls back; the analysis points kept
//! per connection follow other writers and the login's roles; rows sorted
//! on the client come in the server's `ORDER BY occurred_at, fid` order.
//! Runs against the test cluster (see tests/pg.rs).

use chrono::{Duration, TimeZone as _, Utc};
use lagesbild::jobs::{CancelToken, NoProgress, Progress};
use lagesbild::model::{Category, Filter, HourRange, Incident, LonLat, Source};
use lagesbild::store::points::SwerefPoint;
use lagesbild::store::{self, BoxedStore, StoreError};

use crate::pg::TestDb;

/// `n` incidents from every source in turn (so some are sensitive), an
/// hour apart, spread over Sölvesborg's town.
fn rows(n: i64, tag: &str) -> Vec<Incident> {
    let start = Utc.with_ymd_and_hms(2025, 3, 1, 19, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let mut x = Incident::new(
                start + Duration::hours(i),
                Category::ALL[i as usize % Category::ALL.len()],
                Source::ALL[i as usize % Source::ALL.len()],
                LonLat::new(
                    14.56 + (i % 50) as f64 * 0.001,
                    56.04 + (i % 7) as f64 * 0.002,
                ),
                10.0,
            );
            x.external_id = Some(format!("{tag}-{i}"));
            x
        })
        .collect()
}

fn import(store: &mut BoxedStore, rows: &[Incident]) {
    let mut session = store.begin_import("perf.csv").unwrap();
    for r in rows {
        session.push(r).unwrap();
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
}

/// Every index of `incidents`: (name, oid, definition).
fn indexes(db: &TestDb) -> Vec<(String, u32, String)> {
    db.admin()
        .query(
            "SELECT c.relname::text, c.oid, pg_get_indexdef(c.oid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = 'lagesbild.incidents'::regclass AND i.indisvalid ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn definitions(list: &[(String, u32, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, _, d)| (n.clone(), d.clone()))
        .collect()
}

/// The analysis points as the default (uncached) reading gives them.
fn projected(store: &BoxedStore, filter: &Filter) -> Vec<SwerefPoint> {
    store
        .incident_points(filter, &CancelToken::new())
        .unwrap()
        .iter()
        .map(SwerefPoint::from_incident_point)
        .collect()
}

#[test]
fn a_first_import_by_the_owner_rebuilds_the_indexes_it_dropped() {
    let Some((db, mut store)) = TestDb::with_project() else {
        return;
    };
    let before = indexes(&db);
    assert!(
        before
            .iter()
            .any(|(_, _, d)| d.contains("USING gist (geom)")),
        "{before:?}"
    );
    import(&mut store, &rows(3000, "a"));
    let after = indexes(&db);
    // The same indexes, the same definitions ...
    assert_eq!(definitions(&after), definitions(&before));
    // ... built anew (new oids) except those of the constraints (fid, uid).
    for ((name, old, _), (_, new, _)) in before.iter().zip(&after) {
        let constraint = name == "incidents_pkey" || name == "incidents_uid_key";
        assert_eq!(old == new, constraint, "{name}");
    }
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 3000);
    // The rebuilt GiST index answers a box query.
    let mut admin = db.admin();
    admin.batch_execute("SET enable_seqscan = off").unwrap();
    let plan: String = admin
        .query(
            "EXPLAIN SELECT fid FROM lagesbild.incidents \
             WHERE geom && ST_MakeEnvelope(14.56, 56.04, 14.57, 56.05, 4326)",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    assert!(plan.contains("incidents_geom_idx"), "{plan}");
    // A second import into a table with rows keeps the indexes as they are.
    import(&mut store, &rows(500, "b"));
    assert_eq!(indexes(&db), after);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 3500);
}

#[test]
fn a_writer_that_does_not_own_the_table_bulk_loads_an_empty_one_too() {
    let Some((mut db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let before = indexes(&db);
    let writer = db.login("w", &["lagesbild_write", "lagesbild_sensitive"]);
    let mut w = store::open(writer.as_str()).unwrap();
    import(&mut w, &rows(700, "w"));
    let after = indexes(&db);
    // The same definitions, built anew (through migration 6's functions,
    // owned by the table's owner) except those of the constraints.
    assert_eq!(definitions(&after), definitions(&before));
    for ((name, old, _), (_, new, _)) in before.iter().zip(&after) {
        let constraint = name == "incidents_pkey" || name == "incidents_uid_key";
        assert_eq!(old == new, constraint, "{name}");
    }
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 700);
    // The bulk load is logged with the writer's login.
    let login: String = db
        .admin()
        .query_one("SELECT login FROM lagesbild.lagesbild_bulk_loads", &[])
        .unwrap()
        .get(0);
    assert_eq!(login, db.role("w"));
    // A small import into the table with rows keeps the indexes.
    import(&mut w, &rows(300, "x"));
    assert_eq!(indexes(&db), after);
}

/// Cancels the import once its rows are written and the indexes are being
/// built, so that the rollback comes after the bulk load's drop.
struct CancelAtIndexes(CancelToken);

impl Progress for CancelAtIndexes {
    fn stage(&self, name: &str, _total: u64) {
        if name == "Building indexes" {
            self.0.cancel();
        }
    }
    fn advance(&self, _n: u64) {}
}

#[test]
fn a_bulk_load_that_rolls_back_leaves_the_indexes_and_no_rows() {
    let Some((db, mut store)) = TestDb::with_project() else {
        return;
    };
    let before = indexes(&db);
    let cancel = CancelToken::new();
    let mut session = store.begin_import("perf.csv").unwrap();
    for r in rows(2000, "c") {
        session.push(&r).unwrap();
    }
    let result = session.commit(&CancelAtIndexes(cancel.clone()), &cancel);
    assert!(
        matches!(result, Err(StoreError::Cancelled(_))),
        "{result:?}"
    );
    assert_eq!(indexes(&db), before);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 0);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_imports"),
        0
    );
}

#[test]
fn analysis_points_follow_other_writers_and_the_logins_roles() {
    let Some((mut db, mut admin)) = TestDb::with_project() else {
        return;
    };
    let data = rows(140, "d");
    import(&mut admin, &data);
    let reader = db.login("r", &["lagesbild_read"]);
    let r = store::open(reader.as_str()).unwrap();
    let cancel = CancelToken::new();
    let all = Filter::default();
    let evenings = Filter {
        hours: HourRange::new(18, 6),
        ..Filter::default()
    };
    let plain = data
        .iter()
        .filter(|x| !matches!(x.source, Source::Skola | Source::Socialtjanst))
        .count();
    let first = r.analysis_points(&all, &cancel).unwrap();
    assert_eq!(first.len(), plain);
    assert_eq!(first, projected(&r, &all));
    // Read again (from the connection's cache): the same, filters too.
    assert_eq!(r.analysis_points(&all, &cancel).unwrap(), first);
    assert_eq!(
        r.analysis_points(&evenings, &cancel).unwrap(),
        projected(&r, &evenings)
    );
    // Another connection adds, moves and deletes incidents: seen at once.
    let mut extra = rows(1, "e").remove(0);
    extra.source = Source::Polis;
    extra.occurred_at += Duration::days(400);
    let fid = admin.add_incident(&extra).unwrap();
    let after_add = r.analysis_points(&all, &cancel).unwrap();
    assert_eq!(after_add.len(), plain + 1);
    assert_eq!(after_add, projected(&r, &all));
    let mut moved = admin.incident(fid).unwrap().unwrap();
    moved.position = LonLat::new(14.70, 56.10);
    admin.update_incident(fid, &moved).unwrap();
    let after_move = r.analysis_points(&all, &cancel).unwrap();
    assert_ne!(after_move, after_add);
    assert_eq!(after_move, projected(&r, &all));
    admin.delete_incident(fid).unwrap();
    assert_eq!(r.analysis_points(&all, &cancel).unwrap(), first);
    // Row-level security decides, not the cache: a grant of
    // lagesbild_sensitive shows the sensitive incidents on the next read,
    // a revoke hides them again.
    let role = db.role("r");
    let mut sql = db.admin();
    sql.batch_execute(&format!("GRANT lagesbild_sensitive TO {role}"))
        .unwrap();
    let granted = r.analysis_points(&all, &cancel).unwrap();
    assert_eq!(granted.len(), data.len());
    assert_eq!(granted, projected(&r, &all));
    sql.batch_execute(&format!("REVOKE lagesbild_sensitive FROM {role}"))
        .unwrap();
    assert_eq!(r.analysis_points(&all, &cancel).unwrap(), first);
}

#[test]
fn points_sorted_on_the_client_are_in_the_servers_order() {
    let Some((db, mut store)) = TestDb::with_project() else {
        return;
    };
    // Ties in time (broken by fid) and times out of order in the file.
    let mut data = rows(60, "t");
    for (i, x) in data.iter_mut().enumerate() {
        x.occurred_at = Utc.with_ymd_and_hms(2025, 4, 1, 12, 0, 0).unwrap()
            + Duration::milliseconds(((i * 7919) % 13) as i64);
    }
    import(&mut store, &data);
    let want: Vec<i64> = db
        .admin()
        .query(
            "SELECT fid FROM lagesbild.incidents ORDER BY occurred_at, fid",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let got: Vec<i64> = store
        .incident_points(&Filter::default(), &CancelToken::new())
        .unwrap()
        .iter()
        .map(|p| p.fid)
        .collect();
    assert_eq!(got, want);
    let bbox = geo::Rect::new((14.0, 55.0), (15.0, 57.0));
    let got_in: Vec<i64> = store
        .incident_points_in(bbox, &Filter::default(), &CancelToken::new())
        .unwrap()
        .iter()
        .map(|p| p.fid)
        .collect();
    assert_eq!(got_in, want);
}
