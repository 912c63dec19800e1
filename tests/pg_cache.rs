//! The point cache stored in the shared database (`lagesbild_points_cache`,
//! schema migration 5), against the test cluster (tests/pg.rs): a writer's
//! cold read stores it and a second connection uses it; any change makes it
//! stale; row-level security keeps the sensitive variant from logins
//! without `lagesbild_sensitive`, in plain SQL too; a reader cannot store
//! it; a damaged one is read cold with the same figures; and the analyses
//! from it equal the cold path's and a GeoPackage's.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source, time};
use lagesbild::store::pg::{PgStore, PointsRead, StoredVariant};
use lagesbild::store::{self, BoxedStore, Store, StoreError, SwerefPoint};

use crate::pg::TestDb;

const WRITE: &str = "lagesbild_write";
const READ: &str = "lagesbild_read";
const SENSITIVE: &str = "lagesbild_sensitive";

fn local(d: u32, h: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(2025, 4, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap();
    time::utc_from_local(naive).unwrap()
}

/// 21 incidents, three from each source (skola and socialtjänst among them).
fn rows() -> Vec<Incident> {
    (0..21)
        .map(|i| {
            Incident::new(
                local(1 + i as u32, 20),
                Category::ALL[i % Category::ALL.len()],
                Source::ALL[i % Source::ALL.len()],
                LonLat::new(14.57 + i as f64 * 0.002, 56.05),
                10.0,
            )
        })
        .collect()
}

fn sensitive(s: Source) -> bool {
    matches!(s, Source::Skola | Source::Socialtjanst)
}

fn import(store: &mut BoxedStore, file: &str, rows: &[Incident]) {
    let mut session = store.begin_import(file).unwrap();
    for r in rows {
        session.push(r).unwrap();
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
}

/// The analysis points of every incident (a new connection's first read
/// when `store` is new) and where they came from.
fn points(store: &PgStore) -> (Vec<SwerefPoint>, PointsRead) {
    let p = store
        .analysis_points(&Filter::default(), &CancelToken::new())
        .unwrap();
    (p, store.last_points_read().unwrap())
}

/// The server's message of a refused statement.
fn message(e: postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_else(|| e.to_string())
}

fn open(url: &str) -> PgStore {
    PgStore::open(url).unwrap()
}

/// A new project holding [`rows`], imported by the superuser (which
/// stores no point cache: only a read or the CLI's refresh does).
fn project_with_rows() -> Option<TestDb> {
    let (db, mut admin) = TestDb::with_project()?;
    import(&mut admin, "a.csv", &rows());
    Some(db)
}

/// Stored cache rows of one class, as the superuser sees them.
fn stored_rows(db: &TestDb, sees_sensitive: bool) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM lagesbild.lagesbild_points_cache WHERE sees_sensitive = {sees_sensitive}"
    ))
}

#[test]
fn a_writers_cold_read_is_stored_and_a_second_connection_uses_it() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    let writer = db.login("w", &[WRITE, SENSITIVE]);
    let reader = db.login("r", &[READ, SENSITIVE]);
    // The import by the superuser stored nothing (only the CLI refreshes).
    assert_eq!(stored_rows(&db, true), 0);

    let w = open(&writer);
    let (cold, how) = points(&w);
    assert_eq!(how, PointsRead::Rows);
    assert_eq!(cold.len(), 21);
    assert_eq!(stored_rows(&db, true), 1, "one chunk for 21 points");
    assert_eq!(stored_rows(&db, false), 0, "only the writer's own class");
    let built_by: String = db
        .admin()
        .query_one("SELECT built_by FROM lagesbild.lagesbild_points_cache", &[])
        .unwrap()
        .get(0);
    assert_eq!(built_by, db.role("w"));
    // The same connection again: the stored points, which it keeps from
    // this second read on.
    assert_eq!(points(&w), (cold.clone(), PointsRead::StoredCache));
    assert_eq!(points(&w), (cold.clone(), PointsRead::Memory));

    // A reader's new connection copies the stored points: the same ones.
    let r = open(&reader);
    assert_eq!(points(&r), (cold.clone(), PointsRead::StoredCache));
    assert_eq!(points(&r).1, PointsRead::StoredCache);
    assert_eq!(points(&r).1, PointsRead::Memory);
    // A filter is applied to the stored points as to the rows.
    let evenings = Filter {
        hours: lagesbild::model::HourRange::new(18, 6),
        sources: Some([Source::Polis].into()),
        ..Filter::default()
    };
    let r2 = open(&reader);
    let f = r2.analysis_points(&evenings, &CancelToken::new()).unwrap();
    assert_eq!(r2.last_points_read(), Some(PointsRead::StoredCache));
    let want: Vec<_> = cold
        .iter()
        .filter(|p| p.matches(&evenings))
        .copied()
        .collect();
    assert_eq!(f, want);
    assert_eq!(f.len(), 3);
}

#[test]
fn any_change_by_another_login_makes_the_stored_points_stale() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    let writer = db.login("w", &[WRITE, SENSITIVE]);
    let other = db.login("o", &[WRITE, SENSITIVE]);
    let reader = db.login("r", &[READ, SENSITIVE]);
    let cancel = CancelToken::new();
    let fresh_read = |expect: usize| {
        let r = open(&reader);
        let (p, how) = points(&r);
        assert_eq!(p.len(), expect);
        (p, how)
    };
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);
    assert_eq!(fresh_read(21).1, PointsRead::StoredCache);

    // An insert by another login: the stored points are not used, the new
    // incident is there; the reader cannot store, the next writer does.
    let mut o: BoxedStore = store::open(other.as_str()).unwrap();
    let mut extra = rows()[0].clone();
    extra.uid.clear();
    extra.occurred_at = local(28, 23);
    extra.position = LonLat::new(14.66, 56.04);
    let fid = o.add_incident(&extra).unwrap();
    let (p, how) = fresh_read(22);
    assert_eq!(how, PointsRead::Rows);
    assert!(
        p.iter()
            .any(|q| q.occurred_at == extra.occurred_at.timestamp())
    );
    assert_eq!(
        fresh_read(22).1,
        PointsRead::Rows,
        "a reader stores nothing"
    );
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);
    assert_eq!(fresh_read(22).1, PointsRead::StoredCache);

    // An edit: moved in the stored-or-not points.
    let mut moved = o.incident(fid).unwrap().unwrap();
    moved.position = LonLat::new(14.70, 56.06);
    o.update_incident(fid, &moved).unwrap();
    let (p, how) = fresh_read(22);
    assert_eq!(how, PointsRead::Rows);
    let want = SwerefPoint::from_incident_point(&lagesbild::store::IncidentPoint {
        fid,
        occurred_at: moved.occurred_at,
        category: moved.category,
        source: moved.source,
        position: moved.position,
        precision_m: moved.precision_m,
    });
    assert_eq!(p.last(), Some(&want));
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);

    // A delete.
    o.delete_incident(fid).unwrap();
    assert_eq!(fresh_read(21).1, PointsRead::Rows);
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);
    assert_eq!(fresh_read(21).1, PointsRead::StoredCache);

    // Retention (incidents before 10 April go).
    o.apply_retention(Some(local(10, 0)), None).unwrap();
    assert_eq!(fresh_read(12).1, PointsRead::Rows);
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);

    // Plain SQL as another program would write it (QGIS, psql), and TRUNCATE.
    db.admin()
        .batch_execute("UPDATE lagesbild.incidents SET precision_m = 20")
        .unwrap();
    let (p, how) = fresh_read(12);
    assert_eq!(how, PointsRead::Rows);
    assert!(p.iter().all(|q| q.precision_m == 20.0));
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);
    db.admin()
        .batch_execute("TRUNCATE lagesbild.incidents")
        .unwrap();
    assert_eq!(fresh_read(0).1, PointsRead::Rows);
    // An empty project is stored too (one empty chunk), so it is no miss.
    assert_eq!(points(&open(&writer)).1, PointsRead::Rows);
    assert_eq!(fresh_read(0).1, PointsRead::StoredCache);

    // A grant of lagesbild_sensitive changes the class: a login's memory is
    // not reused across it either.
    let plain = db.login("p", &[READ]);
    let p = open(&plain);
    assert_eq!(points(&p).1, PointsRead::Rows);
    assert_eq!(points(&p).1, PointsRead::Rows, "a reader stores nothing");
    assert_eq!(points(&p).1, PointsRead::Memory);
    db.admin()
        .batch_execute(&format!("GRANT {SENSITIVE} TO {}", db.role("p")))
        .unwrap();
    assert_eq!(points(&p).1, PointsRead::StoredCache);
    let _ = cancel;
}

#[test]
fn a_login_without_sensitive_never_gets_the_sensitive_points_from_the_cache() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    let all = rows();
    let trusted = db.login("t", &[WRITE, SENSITIVE]);
    let plain = db.login("p", &[READ]);
    let host = db.login("h", &[WRITE]);
    let visible = all.iter().filter(|r| !sensitive(r.source)).count();

    // The sensitive writer stores its variant; the plain reader reads cold.
    assert_eq!(points(&open(&trusted)).1, PointsRead::Rows);
    assert_eq!(stored_rows(&db, true), 1);
    let (p, how) = points(&open(&plain));
    assert_eq!(how, PointsRead::Rows);
    assert_eq!(p.len(), visible);
    assert!(p.iter().all(|q| !sensitive(q.source)));
    // Plain SQL as that login: the sensitive variant is not there for it.
    let mut sql = postgres::Client::connect(&plain, postgres::NoTls).unwrap();
    let n: i64 = sql
        .query_one("SELECT count(*) FROM lagesbild.lagesbild_points_cache", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);

    // The refresh after an import stores both variants: the one without
    // the sensitive sources read as lagesbild_write, so row-level security
    // made it.
    let t = open(&trusted);
    let variants = t.refresh_stored_points(&CancelToken::new()).unwrap();
    assert_eq!(
        variants,
        vec![
            StoredVariant {
                sees_sensitive: true,
                points: all.len(),
                stored: false
            },
            StoredVariant {
                sees_sensitive: false,
                points: visible,
                stored: true
            }
        ]
    );
    let (q, how) = points(&open(&plain));
    assert_eq!(how, PointsRead::StoredCache);
    assert_eq!(q, p);
    // A host (writer without the role) uses the same variant.
    assert_eq!(points(&open(&host)), (p.clone(), PointsRead::StoredCache));
    // Plain SQL: the plain login sees only its class's rows, and their
    // bytes hold no point from socialtjänst or skola.
    let rows = sql
        .query(
            "SELECT sees_sensitive, data FROM lagesbild.lagesbild_points_cache",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].get::<_, bool>(0));
    let data: &[u8] = rows[0].get(1);
    let mut decoded = Vec::new();
    lagesbild::store::pg::compact::decode_into(data, &Filter::default(), &mut decoded).unwrap();
    assert_eq!(decoded, p);

    // A writer without the role cannot forge or touch the sensitive variant.
    let mut h = postgres::Client::connect(&host, postgres::NoTls).unwrap();
    let forged = h.execute(
        "INSERT INTO lagesbild.lagesbild_points_cache \
         (sees_sensitive, chunk, points, changes, last_change, policy, format, data) \
         VALUES (true, 7, 0, 0, 0, '', 1, '\\x')",
        &[],
    );
    let e = message(forged.unwrap_err());
    assert!(
        e.contains("row-level security"),
        "{e}: refused by the policy"
    );
    for sql in [
        "UPDATE lagesbild.lagesbild_points_cache SET points = 0 WHERE sees_sensitive",
        "DELETE FROM lagesbild.lagesbild_points_cache WHERE sees_sensitive",
    ] {
        assert_eq!(h.execute(sql, &[]).unwrap(), 0, "{sql}");
    }
    assert_eq!(stored_rows(&db, true), 1);
    // Nor relabel its own variant as the sensitive one.
    let e = message(
        h.execute(
            "UPDATE lagesbild.lagesbild_points_cache SET sees_sensitive = true",
            &[],
        )
        .unwrap_err(),
    );
    assert!(e.contains("row-level security"), "{e}");
    assert_eq!(stored_rows(&db, false), 1);
}

#[test]
fn a_reader_cannot_store_the_points() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    let reader = db.login("r", &[READ, SENSITIVE]);
    let r = open(&reader);
    assert_eq!(points(&r).1, PointsRead::Rows);
    assert_eq!(stored_rows(&db, true) + stored_rows(&db, false), 0);
    let e = r.refresh_stored_points(&CancelToken::new()).unwrap_err();
    assert!(matches!(e, StoreError::PermissionDenied { .. }), "{e}");
    assert!(e.to_string().contains("lagesbild_write"), "{e}");
    let mut sql = postgres::Client::connect(&reader, postgres::NoTls).unwrap();
    let e = message(
        sql.execute(
            "INSERT INTO lagesbild.lagesbild_points_cache \
             (sees_sensitive, chunk, points, changes, last_change, policy, format, data) \
             VALUES (true, 0, 0, 0, 0, '', 1, '\\x')",
            &[],
        )
        .unwrap_err(),
    );
    assert!(e.contains("permission denied"), "{e}");
    assert_eq!(stored_rows(&db, true) + stored_rows(&db, false), 0);
}

#[test]
fn a_damaged_stored_cache_is_read_cold_with_the_same_points() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    let writer = db.login("w", &[WRITE, SENSITIVE]);
    let reader = db.login("r", &[READ, SENSITIVE]);
    let (good, _) = points(&open(&writer));
    assert_eq!(
        points(&open(&reader)),
        (good.clone(), PointsRead::StoredCache)
    );
    let snapshot = "CREATE TABLE public.keep AS SELECT * FROM lagesbild.lagesbild_points_cache";
    db.admin().batch_execute(snapshot).unwrap();
    for damage in [
        // cut inside the header
        "UPDATE lagesbild.lagesbild_points_cache SET data = substring(data from 1 for 35)",
        // a precision table longer than 256 (the header's last byte: kind 1,
        // count 4, four columns of base 8 and width 1, table length 2)
        "UPDATE lagesbild.lagesbild_points_cache SET data = set_byte(data, 42, 250)",
        // a precision that is not in the table (the data's last byte)
        "UPDATE lagesbild.lagesbild_points_cache \
         SET data = set_byte(data, octet_length(data) - 1, 250)",
        // an unknown kind of chunk
        "UPDATE lagesbild.lagesbild_points_cache SET data = set_byte(data, 0, 9)",
        // fewer points than it says
        "UPDATE lagesbild.lagesbild_points_cache SET points = points + 1",
        // a chunk missing
        "UPDATE lagesbild.lagesbild_points_cache SET chunk = 1",
        // another format
        "UPDATE lagesbild.lagesbild_points_cache SET format = 99",
        // another policy
        "UPDATE lagesbild.lagesbild_points_cache SET policy = 'x'",
    ] {
        db.admin()
            .batch_execute(&format!(
                "DELETE FROM lagesbild.lagesbild_points_cache;
                 INSERT INTO lagesbild.lagesbild_points_cache SELECT * FROM public.keep;
                 {damage}"
            ))
            .unwrap();
        let (p, how) = points(&open(&reader));
        assert_eq!(how, PointsRead::Rows, "{damage}");
        assert_eq!(p, good, "{damage}");
    }
    // Repaired: used again.
    db.admin()
        .batch_execute(
            "DELETE FROM lagesbild.lagesbild_points_cache;
             INSERT INTO lagesbild.lagesbild_points_cache SELECT * FROM public.keep;",
        )
        .unwrap();
    assert_eq!(points(&open(&reader)), (good, PointsRead::StoredCache));
}

#[test]
fn analyses_from_the_stored_cache_equal_the_cold_path_and_the_geopackage() {
    use lagesbild::analysis::engine::{
        self, AreaChoice, HeatmapRequest, HotspotRequest, PlacesRequest, Selection,
    };
    use lagesbild::analysis::{Kernel, Stats};
    let Some((mut db, mut pg)) = TestDb::with_project() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = store::create(dir.path().join("p.gpkg"), "Sölvesborg test").unwrap();
    // More than one chunk of 65,536 points.
    let rows = lagesbild::demo::generate(lagesbild::demo::DemoParams {
        count: 70_000,
        seed: 7,
    });
    for s in [&mut pg, &mut gpkg] {
        import(s, "demo.csv", &rows);
    }
    let writer = db.login("w", &[WRITE, SENSITIVE]);
    let cancel = CancelToken::new();
    let cold = open(&writer);
    let stored = open(&writer);
    let (a, how) = points(&cold);
    assert_eq!(how, PointsRead::Rows);
    assert_eq!(stored_rows(&db, true), 2);
    let (b, how) = points(&stored);
    assert_eq!(how, PointsRead::StoredCache);
    assert_eq!(a, b);
    assert_eq!(
        a,
        gpkg.analysis_points(&Filter::default(), &cancel).unwrap()
    );
    let evenings = Filter {
        hours: lagesbild::model::HourRange::new(18, 6),
        from: NaiveDate::from_ymd_opt(2025, 9, 1),
        ..Filter::default()
    };
    let selection = Selection {
        filter: evenings.clone(),
        include_coarse: false,
        area: AreaChoice::NoArea,
    };
    // Stats from the lean incidents (equal on both stores) and from the
    // analysis points of the stored cache.
    assert_eq!(
        Stats::compute(&pg.incident_points(&evenings, &cancel).unwrap()),
        Stats::compute(&gpkg.incident_points(&evenings, &cancel).unwrap())
    );
    let fresh = open(&writer);
    let lc = engine::load(&cold, &selection, "pg", &cancel).unwrap();
    let ls = engine::load(&fresh, &selection, "pg", &cancel).unwrap();
    assert_eq!(fresh.last_points_read(), Some(PointsRead::StoredCache));
    let lg = engine::load(gpkg.as_ref(), &selection, "gpkg", &cancel).unwrap();
    assert!(ls.points.len() > 1000, "{}", ls.points.len());
    assert_eq!(ls.points, lc.points);
    assert_eq!(ls.points, lg.points);
    let heat = HeatmapRequest {
        bandwidth_m: 200.0,
        cell_m: None,
        kernel: Kernel::Quartic,
    };
    let h = ls.heatmap(&heat, &cancel).unwrap();
    assert_eq!(h, lc.heatmap(&heat, &cancel).unwrap());
    assert_eq!(h, lg.heatmap(&heat, &cancel).unwrap());
    let hot = HotspotRequest {
        cell_m: 100.0,
        band_m: 300.0,
        fdr: true,
    };
    let s = ls.hotspots(&hot, &cancel).unwrap();
    assert_eq!(s, lc.hotspots(&hot, &cancel).unwrap());
    assert_eq!(s, lg.hotspots(&hot, &cancel).unwrap());
    let places = PlacesRequest {
        k: 6,
        radius_m: 300.0,
        cell_m: 50.0,
        hours: None,
        candidates: None,
        fixed: vec![],
        network: None,
    };
    let p = ls.places(&places, &cancel).unwrap();
    assert_eq!(p, lc.places(&places, &cancel).unwrap());
    assert_eq!(p, lg.places(&places, &cancel).unwrap());
}

#[test]
fn a_writers_imports_and_push_leave_the_stored_points_current() {
    let Some((mut db, _admin)) = TestDb::with_project() else {
        return;
    };
    let writer = db.login("w", &[WRITE, SENSITIVE]);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    let mut text = String::from("id,lon,lat,occurred_at,category,source\n");
    for (i, r) in rows().iter().enumerate() {
        text += &format!(
            "C-{i},{:.3},56.05,2025-04-{:02} 20:00,{},{}\n",
            14.57 + i as f64 * 0.002,
            i + 1,
            r.category.key(),
            r.source.key(),
        );
    }
    std::fs::write(&csv, &text).unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lagesbild"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cli(&["import", writer.as_str(), csv.to_str().unwrap()]);
    // Both variants stored by the import, current for a new connection.
    assert_eq!(stored_rows(&db, true), 1);
    assert_eq!(stored_rows(&db, false), 1);
    let (p, how) = points(&open(&writer));
    assert_eq!((p.len(), how), (21, PointsRead::StoredCache));

    // A push of a GeoPackage: stored again for the new incidents.
    let gpkg_path = dir.path().join("m.gpkg");
    let mut g = store::create(gpkg_path.as_path(), "Möte").unwrap();
    let mut more = rows();
    for r in &mut more {
        r.occurred_at += Duration::days(30);
    }
    import(&mut g, "more.csv", &more);
    drop(g);
    cli(&["db", "push", gpkg_path.to_str().unwrap(), writer.as_str()]);
    let (p, how) = points(&open(&writer));
    assert_eq!((p.len(), how), (42, PointsRead::StoredCache));
    let plain = db.login("p", &[READ]);
    let (p, how) = points(&open(&plain));
    assert_eq!((p.len(), how), (30, PointsRead::StoredCache));

    // An import in the app stores them again too.
    let app_csv = dir.path().join("app.csv");
    std::fs::write(
        &app_csv,
        text.replace("C-", "G-").replace("2025-04-", "2025-06-"),
    )
    .unwrap();
    let reports = lagesbild::gui::tasks::import_files(
        std::path::Path::new(&writer),
        &[app_csv],
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(reports[0].as_ref().unwrap().imported, 21);
    let (p, how) = points(&open(&writer));
    assert_eq!((p.len(), how), (63, PointsRead::StoredCache));
    let (p, how) = points(&open(&plain));
    assert_eq!((p.len(), how), (45, PointsRead::StoredCache));
}

#[test]
fn the_class_is_what_row_level_security_decides_by() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    // A login with BYPASSRLS sees every row without lagesbild_sensitive:
    // what it stores is the sensitive variant, never the plain one.
    let bypass = db.login("b", &[WRITE]);
    db.admin()
        .batch_execute(&format!("ALTER ROLE {} BYPASSRLS", db.role("b")))
        .unwrap();
    let (p, how) = points(&open(&bypass));
    assert_eq!((p.len(), how), (21, PointsRead::Rows));
    assert_eq!((stored_rows(&db, true), stored_rows(&db, false)), (1, 0));
    let plain = db.login("p", &[READ]);
    assert_eq!(points(&open(&plain)).0.len(), 15);

    // Another policy on incidents (an upgrade, an administrator's edit):
    // the stored points were read under the old one and are not used.
    let trusted = db.login("t", &[READ, SENSITIVE]);
    assert_eq!(points(&open(&trusted)).1, PointsRead::StoredCache);
    db.admin()
        .batch_execute(
            "ALTER POLICY incidents_sensitive_sources ON lagesbild.incidents \
             USING (source <> 'skola' OR (SELECT pg_has_role('lagesbild_sensitive', 'MEMBER')))",
        )
        .unwrap();
    assert_eq!(points(&open(&trusted)).1, PointsRead::Rows);
    // The plain login now sees socialtjänst, and reads it cold.
    let (p, how) = points(&open(&plain));
    assert_eq!((p.len(), how), (18, PointsRead::Rows));
}

#[test]
fn migration_5_by_a_writer_makes_the_table_with_its_policies() {
    let Some(mut db) = project_with_rows() else {
        return;
    };
    // A project of schema version 4, migrated by a writer's open.
    db.admin()
        .batch_execute(
            "DROP TABLE lagesbild.lagesbild_points_cache;
             DROP TABLE lagesbild.lagesbild_bulk_loads;
             DROP FUNCTION lagesbild.lagesbild_bulk_load_begin(bigint),
                 lagesbild.lagesbild_bulk_load_finish(), lagesbild.lagesbild_bulk_load_check();
             DELETE FROM lagesbild.lagesbild_schema WHERE version >= 5;",
        )
        .unwrap();
    let writer = db.login("w", &[WRITE, SENSITIVE]);
    let plain = db.login("p", &[READ]);
    let w = open(&writer);
    let owner: String = db
        .admin()
        .query_one(
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'lagesbild_points_cache'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(owner, db.role("w"));
    assert_eq!(points(&w).1, PointsRead::Rows);
    assert_eq!(stored_rows(&db, true), 1);
    // The owner's table is under row-level security too (forced), and the
    // plain reader sees none of the sensitive variant.
    let mut sql = postgres::Client::connect(&plain, postgres::NoTls).unwrap();
    let n: i64 = sql
        .query_one("SELECT count(*) FROM lagesbild.lagesbild_points_cache", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    let (p, how) = points(&open(&plain));
    assert_eq!((p.len(), how), (15, PointsRead::Rows));
    let mut o = postgres::Client::connect(&writer, postgres::NoTls).unwrap();
    let e = message(
        o.execute(
            "UPDATE lagesbild.lagesbild_points_cache SET sees_sensitive = false",
            &[],
        )
        .unwrap_err(),
    );
    assert!(e.contains("row-level security"), "{e}");
}
