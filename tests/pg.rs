//! The shared PostgreSQL/PostGIS store against a real server: the throwaway
//! cluster of `scripts/pg-test-cluster.sh` (`LAGESBILD_TEST_PG_URL`, its
//! superuser). Each test makes its own database from `lagesbild_template`
//! (and its own logins), so the tests run in parallel. With
//! `LAGESBILD_REQUIRE_PG=1` (CI, scripts/test.sh) a missing cluster fails
//! every test here instead of skipping it.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source, time};
use lagesbild::store::{self, BoxedStore, PushOutcome, StoreError};

/// A database of its own for one test, dropped at the end.
pub struct TestDb {
    /// The superuser's URL of this database (trusted from 127.0.0.1, no password).
    pub url: String,
    name: String,
    server: String,
    logins: Vec<String>,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The cluster's superuser URL, or `None` (skip) when no cluster runs and
/// `LAGESBILD_REQUIRE_PG=1` is not set.
pub fn cluster_url() -> Option<String> {
    match std::env::var("LAGESBILD_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("LAGESBILD_REQUIRE_PG").as_deref() != Ok("1"),
                "LAGESBILD_TEST_PG_URL is not set but LAGESBILD_REQUIRE_PG=1: start the test \
                 cluster with eval \"$(scripts/pg-test-cluster.sh start)\""
            );
            eprintln!("skipping: no PostgreSQL test cluster (LAGESBILD_TEST_PG_URL unset)");
            None
        }
    }
}

pub fn admin_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"))
}

impl TestDb {
    /// A new, empty PostGIS database (no project in it yet).
    pub fn new() -> Option<TestDb> {
        let template = cluster_url()?;
        let (server, _) = template.rsplit_once('/').expect("a URL with a database");
        let name = format!(
            "lb_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_subsec_micros()
        );
        let mut admin = admin_client(&format!("{server}/postgres"));
        // Copying a template needs it free of other sessions: retry briefly.
        let mut tries = 0;
        loop {
            match admin.batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE lagesbild_template"
            )) {
                Ok(()) => break,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("CREATE DATABASE {name}: {e}"),
            }
        }
        drop(admin);
        Some(TestDb {
            url: format!("{server}/{name}"),
            name,
            server: server.to_owned(),
            logins: Vec::new(),
        })
    }

    /// A new database with a project in it (`store::create`).
    pub fn with_project() -> Option<(TestDb, BoxedStore)> {
        let db = TestDb::new()?;
        let store = store::create(db.url.as_str(), "Sölvesborg test").unwrap();
        Some((db, store))
    }

    pub fn admin(&self) -> postgres::Client {
        admin_client(&self.url)
    }

    /// Makes a login (with a password) granted `roles`; returns its URL.
    pub fn login(&mut self, short: &str, roles: &[&str]) -> String {
        let role = format!("{}_{short}", self.name);
        let password = format!("pw-{short}-{}", self.name);
        let mut admin = self.admin();
        admin
            .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            .unwrap();
        for r in roles {
            admin
                .batch_execute(&format!("GRANT {r} TO {role}"))
                .unwrap();
        }
        self.logins.push(role.clone());
        let host = self
            .server
            .split_once('@')
            .map(|(_, h)| h)
            .expect("user@host in the cluster URL");
        format!("postgresql://{role}:{password}@{host}/{}", self.name)
    }

    /// The login role name made by [`TestDb::login`].
    pub fn role(&self, short: &str) -> String {
        format!("{}_{short}", self.name)
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.admin().query_one(sql, &[]).unwrap().get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) =
            postgres::Client::connect(&format!("{}/postgres", self.server), postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
            for role in &self.logins {
                let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
            }
        }
    }
}

pub(crate) fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    time::utc_from_local(naive).unwrap()
}

fn incident(at: DateTime<Utc>, source: Source, lon: f64, lat: f64) -> Incident {
    Incident::new(
        at,
        Category::Skadegorelse,
        source,
        LonLat::new(lon, lat),
        10.0,
    )
}

pub(crate) fn import(store: &mut BoxedStore, file: &str, rows: &[Incident]) -> Vec<PushOutcome> {
    let mut session = store.begin_import(file).unwrap();
    let out = rows.iter().map(|r| session.push(r).unwrap()).collect();
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    out
}

/// Incidents from every source, a few of them sensitive (skola, socialtjänst).
pub(crate) fn mixed() -> Vec<Incident> {
    let start = local(2025, 3, 1, 20, 0);
    (0..14)
        .map(|i| {
            incident(
                start + Duration::hours(i),
                Source::ALL[i as usize % Source::ALL.len()],
                14.58 + i as f64 * 0.001,
                56.05,
            )
        })
        .collect()
}

fn sensitive(s: Source) -> bool {
    matches!(s, Source::Skola | Source::Socialtjanst)
}

#[test]
fn a_url_is_a_project_with_postgis_incidents() {
    let Some((db, mut store)) = TestDb::with_project() else {
        return;
    };
    let rows = mixed();
    let out = import(&mut store, "blandat.csv", &rows);
    assert!(out.iter().all(|o| *o == PushOutcome::Inserted));
    drop(store);
    let store = store::open(db.url.as_str()).unwrap();
    let info = store.info().unwrap();
    assert_eq!(info.incident_count, rows.len() as u64);
    assert_eq!(info.name, "Sölvesborg test");
    assert!(
        info.location
            .starts_with("postgresql://postgres@127.0.0.1:"),
        "{}",
        info.location
    );
    let got = store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    for (a, b) in got.iter().zip(&rows) {
        assert_eq!(a.uid, b.uid);
        assert_eq!(a.occurred_at, b.occurred_at);
        assert_eq!(a.position, b.position);
        assert_eq!(a.source, b.source);
    }
    // QGIS reads the table as a PostGIS point layer in WGS 84 with a GiST index.
    let mut admin = db.admin();
    let r = admin
        .query_one(
            "SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'lagesbild' \
             AND f_table_name = 'incidents'",
            &[],
        )
        .unwrap();
    assert_eq!(
        (r.get::<_, String>(0), r.get::<_, i32>(1)),
        ("POINT".to_owned(), 4326)
    );
    let gist: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'lagesbild' \
             AND tablename = 'incidents' AND indexdef LIKE '%USING gist (geom)%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(gist, 1);
    let times: String = admin
        .query_one(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'lagesbild' \
             AND table_name = 'incidents' AND column_name = 'occurred_at'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(times, "timestamp with time zone");
    // A second create is refused; the project is left alone.
    let err = store::create(db.url.as_str(), "Igen").err().unwrap();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
}

#[test]
fn an_empty_database_is_no_project_and_says_how_to_make_one() {
    let Some(db) = TestDb::new() else {
        return;
    };
    let err = store::open(db.url.as_str()).err().unwrap();
    let text = err.to_string();
    assert!(matches!(err, StoreError::NotAProject { .. }), "{text}");
    assert!(text.contains("db init"), "{text}");
}

#[test]
fn db_init_is_idempotent_and_makes_the_roles() {
    let Some(db) = TestDb::new() else {
        return;
    };
    let exe = env!("CARGO_BIN_EXE_lagesbild");
    for expected in ["created the project schema", "up to date"] {
        let out = std::process::Command::new(exe)
            .args(["db", "init", &db.url, "--name", "Kommunen"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(expected), "{stdout}");
    }
    for role in ["lagesbild_read", "lagesbild_write", "lagesbild_sensitive"] {
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) FROM pg_roles WHERE rolname = '{role}'"
            )),
            1
        );
    }
    assert_eq!(
        db.count("SELECT max(version) FROM lagesbild.lagesbild_schema"),
        lagesbild::store::pg::schema::LATEST_VERSION
    );
    let store = store::open(db.url.as_str()).unwrap();
    assert_eq!(store.info().unwrap().name, "Kommunen");
}

#[test]
fn sensitive_sources_are_seen_only_with_lagesbild_sensitive() {
    let Some((mut db, mut store)) = TestDb::with_project() else {
        return;
    };
    let rows = mixed();
    import(&mut store, "blandat.csv", &rows);
    let plain = db.login("plain", &["lagesbild_read"]);
    let trusted = db.login("trusted", &["lagesbild_read", "lagesbild_sensitive"]);
    let all = Filter::default();
    let cancel = CancelToken::new();
    let expect_plain = rows.iter().filter(|r| !sensitive(r.source)).count();
    let p = store::open(plain.as_str()).unwrap();
    let seen = p.incident_points(&all, &cancel).unwrap();
    assert_eq!(seen.len(), expect_plain);
    assert!(seen.iter().all(|i| !sensitive(i.source)));
    assert_eq!(p.info().unwrap().incident_count, expect_plain as u64);
    assert_eq!(p.incidents(&all, &cancel).unwrap().len(), expect_plain);
    // Even asking by id gives nothing.
    let hidden = rows.iter().position(|r| sensitive(r.source)).unwrap();
    let fid = store.incidents(&all, &cancel).unwrap()[hidden].fid.unwrap();
    assert_eq!(p.incident(fid).unwrap(), None);
    let t = store::open(trusted.as_str()).unwrap();
    assert_eq!(t.incident_points(&all, &cancel).unwrap().len(), rows.len());
    assert!(t.incident(fid).unwrap().is_some());
    // The policy is the database's: plain SQL as that login sees the same.
    let mut sql = postgres::Client::connect(&plain, postgres::NoTls).unwrap();
    let n: i64 = sql
        .query_one("SELECT count(*) FROM lagesbild.incidents", &[])
        .unwrap()
        .get(0);
    assert_eq!(n as usize, expect_plain);
    let n: i64 = sql
        .query_one(
            "SELECT count(*) FROM lagesbild.incidents WHERE source IN ('skola', 'socialtjanst')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[test]
fn a_read_only_login_reads_everything_and_changes_nothing() {
    let Some((mut db, mut store)) = TestDb::with_project() else {
        return;
    };
    let rows = mixed();
    import(&mut store, "blandat.csv", &rows);
    let reader = db.login("reader", &["lagesbild_read", "lagesbild_sensitive"]);
    let mut r = store::open(reader.as_str()).unwrap();
    let cancel = CancelToken::new();
    assert_eq!(
        r.analysis_points(&Filter::default(), &cancel)
            .unwrap()
            .len(),
        rows.len()
    );
    let before = db.count("SELECT count(*) FROM lagesbild.incidents");
    let changes = db.count("SELECT count(*) FROM lagesbild.lagesbild_changes");
    let first = r.incidents(&Filter::default(), &cancel).unwrap()[0].clone();
    let mut errors = vec![
        r.set_metadata("name", "x").unwrap_err(),
        r.add_incident(&rows[0]).unwrap_err(),
        r.update_incident(first.fid.unwrap(), &rows[1]).unwrap_err(),
        r.delete_incident(first.fid.unwrap()).unwrap_err(),
        r.begin_import("ny.csv").map(|_| ()).unwrap_err(),
        r.put_views(&[]).unwrap_err(),
    ];
    errors.push(r.remove_view("x").unwrap_err());
    for e in &errors {
        let text = e.to_string();
        assert!(matches!(e, StoreError::PermissionDenied { .. }), "{text}");
        assert!(text.contains("lagesbild_write"), "{text}");
        assert!(!text.contains("pw-"), "no password in {text}");
    }
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), before);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_changes"),
        changes
    );
    // Plain SQL is refused by PostgreSQL itself, not only by the app.
    let mut sql = postgres::Client::connect(&reader, postgres::NoTls).unwrap();
    assert!(
        sql.batch_execute("DELETE FROM lagesbild.incidents")
            .is_err()
    );
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), before);
}

#[test]
fn a_writer_without_sensitive_cannot_store_sensitive_incidents() {
    let Some((mut db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let writer = db.login("writer", &["lagesbild_write"]);
    let mut w = store::open(writer.as_str()).unwrap();
    let ok = incident(local(2025, 3, 1, 21, 0), Source::Polis, 14.58, 56.05);
    let school = incident(local(2025, 3, 1, 22, 0), Source::Skola, 14.58, 56.05);
    w.add_incident(&ok).unwrap();
    let err = w.add_incident(&school).unwrap_err();
    assert!(matches!(err, StoreError::PermissionDenied { .. }), "{err}");
    assert!(err.to_string().contains("lagesbild_sensitive"), "{err}");
    // An import with one such row stores nothing of the file.
    let mut session = w.begin_import("skola.csv").unwrap();
    session
        .push(&incident(
            local(2025, 3, 2, 21, 0),
            Source::Polis,
            14.6,
            56.0,
        ))
        .unwrap();
    session.push(&school).unwrap();
    let err = session
        .commit(&NoProgress, &CancelToken::new())
        .unwrap_err();
    assert!(matches!(err, StoreError::PermissionDenied { .. }), "{err}");
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 1);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_imports"),
        0
    );
}

#[test]
fn change_stamp_moves_when_another_connection_commits() {
    let Some((db, mut store)) = TestDb::with_project() else {
        return;
    };
    let watcher = store::open(db.url.as_str()).unwrap();
    let s0 = watcher.change_stamp().unwrap().expect("PG tells changes");
    import(&mut store, "a.csv", &mixed()[..3]);
    let s1 = watcher.change_stamp().unwrap().unwrap();
    assert_ne!(s0, s1);
    // Nothing changed: the same stamp.
    assert_eq!(watcher.change_stamp().unwrap().unwrap(), s1);
    // An uncommitted import is not seen; its commit is.
    let mut session = store.begin_import("b.csv").unwrap();
    session
        .push(&incident(
            local(2025, 4, 1, 21, 0),
            Source::Polis,
            14.6,
            56.0,
        ))
        .unwrap();
    assert_eq!(watcher.change_stamp().unwrap().unwrap(), s1);
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    assert_ne!(watcher.change_stamp().unwrap().unwrap(), s1);
    let s2 = watcher.change_stamp().unwrap().unwrap();
    store
        .add_incident(&incident(
            local(2025, 4, 2, 21, 0),
            Source::Polis,
            14.6,
            56.0,
        ))
        .unwrap();
    assert_ne!(watcher.change_stamp().unwrap().unwrap(), s2);
}

#[test]
fn two_imports_and_an_edit_at_once_lose_nothing() {
    let Some((db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let start = local(2025, 5, 1, 0, 0);
    let file = |k: i64| -> Vec<Incident> {
        (0..3000)
            .map(|i| {
                let mut x = incident(
                    start + Duration::minutes(i * 2 + k),
                    Source::Polis,
                    14.5 + (i % 100) as f64 * 0.001,
                    56.0 + k as f64 * 0.01,
                );
                x.external_id = Some(format!("{k}-{i}"));
                x
            })
            .collect()
    };
    let (a, b) = (file(0), file(1));
    // The same 500 rows in both files: stored once.
    let mut b = b;
    b.extend_from_slice(&a[..500]);
    let url = db.url.clone();
    std::thread::scope(|s| {
        for (name, rows) in [("a.csv", &a), ("b.csv", &b)] {
            let url = url.clone();
            s.spawn(move || {
                let mut st = store::open(url.as_str()).unwrap();
                import(&mut st, name, rows);
            });
        }
        let url = url.clone();
        s.spawn(move || {
            let mut st = store::open(url.as_str()).unwrap();
            for k in 0..20 {
                st.add_incident(&incident(
                    start + Duration::days(30) + Duration::minutes(k),
                    Source::Trygghetsvard,
                    14.6,
                    56.1,
                ))
                .unwrap();
            }
        });
    });
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.incidents"),
        3000 + 3000 + 20
    );
    assert_eq!(
        db.count("SELECT count(DISTINCT external_id) FROM lagesbild.incidents"),
        6000
    );
    assert_eq!(
        db.count("SELECT sum(duplicates)::bigint FROM lagesbild.lagesbild_imports"),
        500
    );
}

#[test]
fn passwords_come_from_pgpass_and_service_files_never_from_output() {
    let Some(mut db) = TestDb::new() else {
        return;
    };
    let exe = env!("CARGO_BIN_EXE_lagesbild");
    let url = db.login("admin", &[]);
    // The login makes the project itself (it owns the database's schema).
    let role = db.role("admin");
    db.admin()
        .batch_execute(&format!(
            "GRANT CREATE ON DATABASE {} TO {role}; ALTER ROLE {role} CREATEROLE",
            url.rsplit('/').next().unwrap()
        ))
        .unwrap();
    let (userinfo, hostpart) = url
        .trim_start_matches("postgresql://")
        .split_once('@')
        .unwrap();
    let (user, password) = userinfo.split_once(':').unwrap();
    let (hostport, dbname) = hostpart.split_once('/').unwrap();
    let (host, port) = hostport.split_once(':').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!("# test\n{host}:{port}:*:{user}:{password}\n"),
    )
    .unwrap();
    let service = dir.path().join("pg_service.conf");
    std::fs::write(
        &service,
        format!("[lagesbild]\nhost={host}\nport={port}\ndbname={dbname}\nuser={user}\n"),
    )
    .unwrap();
    let bare = format!("postgresql://{user}@{host}:{port}/{dbname}");
    let run = |args: &[&str], envs: &[(&str, &std::path::Path)]| {
        let mut c = std::process::Command::new(exe);
        c.args(args)
            .env_remove("PGPASSWORD")
            .env("PGPASSFILE", dir.path().join("none"))
            .env("PGSERVICEFILE", dir.path().join("none"));
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // Without a password anywhere: refused, and the message names no secret.
    let out = run(&["db", "init", &bare], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{host}:{port}/{dbname}")), "{err}");
    assert!(!err.contains(password), "{err}");
    // From the password file.
    let out = run(&["db", "init", &bare], &[("PGPASSFILE", &pgpass)]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(password), "{text}");
    // A service file and the password file: `stats service=lagesbild`.
    let out = run(
        &["stats", "service=lagesbild"],
        &[("PGPASSFILE", &pgpass), ("PGSERVICEFILE", &service)],
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(password), "{text}");
    // A service that is not in the file is named in the error.
    let out = run(&["stats", "service=saknas"], &[("PGSERVICEFILE", &service)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("saknas"), "{err}");
}

#[test]
fn sslmode_require_and_verify_full_use_tls() {
    let Some((db, _store)) = TestDb::with_project() else {
        return;
    };
    let cert = std::env::var("LAGESBILD_TEST_PG_CERT").expect("the cluster script exports it");
    let mut admin = db.admin();
    let tls_url = |mode: &str| format!("{}?sslmode={mode}", db.url);
    for url in [
        tls_url("require"),
        format!("{}&sslrootcert={cert}", tls_url("verify-full")).replace("127.0.0.1", "localhost"),
    ] {
        let s = store::open(url.as_str()).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(s.info().unwrap().incident_count, 0);
        // The server sees an encrypted session for this application's connections.
        let encrypted: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
                 WHERE ssl AND datname = current_database()",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(encrypted >= 1, "{url}");
    }
    // A root that did not sign the server's certificate is refused.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other",
        ])
        .arg("-keyout")
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success());
    let url = format!("{}&sslrootcert={}", tls_url("verify-full"), other.display());
    assert!(store::open(url.as_str()).is_err());
}

#[test]
fn analyses_on_the_database_equal_those_on_a_geopackage() {
    use lagesbild::analysis::engine::{
        self, AreaChoice, HeatmapRequest, HotspotRequest, PlacesRequest, Selection,
    };
    use lagesbild::analysis::{Kernel, Stats};
    let Some((_db, mut pg)) = TestDb::with_project() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut gpkg = store::create(dir.path().join("p.gpkg"), "Sölvesborg test").unwrap();
    let rows = lagesbild::demo::generate(lagesbild::demo::DemoParams {
        count: 4_000,
        seed: 7,
    });
    for s in [&mut pg, &mut gpkg] {
        import(s, "demo.csv", &rows);
    }
    let cancel = CancelToken::new();
    let evenings = Filter {
        hours: lagesbild::model::HourRange::new(18, 6),
        ..Filter::default()
    };
    for filter in [Filter::default(), evenings] {
        let a = pg.incident_points(&filter, &cancel).unwrap();
        let b = gpkg.incident_points(&filter, &cancel).unwrap();
        assert_eq!(Stats::compute(&a), Stats::compute(&b));
        assert_eq!(
            pg.analysis_points(&filter, &cancel).unwrap(),
            gpkg.analysis_points(&filter, &cancel).unwrap()
        );
        let selection = Selection {
            filter: filter.clone(),
            include_coarse: false,
            area: AreaChoice::NoArea,
        };
        let la = engine::load(pg.as_ref(), &selection, "pg", &cancel).unwrap();
        let lb = engine::load(gpkg.as_ref(), &selection, "gpkg", &cancel).unwrap();
        assert!(la.points.len() > 1000);
        let heat = HeatmapRequest {
            bandwidth_m: 200.0,
            cell_m: None,
            kernel: Kernel::Quartic,
        };
        assert_eq!(
            la.heatmap(&heat, &cancel).unwrap(),
            lb.heatmap(&heat, &cancel).unwrap()
        );
        let hot = HotspotRequest {
            cell_m: 100.0,
            band_m: 300.0,
            fdr: true,
        };
        assert_eq!(
            la.hotspots(&hot, &cancel).unwrap(),
            lb.hotspots(&hot, &cancel).unwrap()
        );
        let places = PlacesRequest {
            k: 6,
            radius_m: 300.0,
            cell_m: 50.0,
            hours: None,
            candidates: None,
            fixed: vec![],
            network: None,
        };
        assert_eq!(
            la.places(&places, &cancel).unwrap(),
            lb.places(&places, &cancel).unwrap()
        );
    }
}

#[test]
fn db_init_by_a_plain_login_is_refused_clearly() {
    let Some(mut db) = TestDb::new() else {
        return;
    };
    let url = db.login("nobody", &[]);
    let err = lagesbild::store::pg::init(&url, "x").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::PermissionDenied { .. }), "{text}");
    assert!(text.contains("db init") && !text.contains("pw-"), "{text}");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'lagesbild'"),
        0
    );
}

#[test]
fn a_read_only_login_exports_and_its_export_is_logged_under_its_login() {
    let Some((mut db, mut store)) = TestDb::with_project() else {
        return;
    };
    import(&mut store, "blandat.csv", &mixed());
    let reader = db.login("lasare", &["lagesbild_read"]);
    let dir = crate::util::Dir::new();
    let out = crate::util::run_cli_in(dir.root(), &["hotspots", &reader, "--out", "heta.geojson"]);
    crate::util::assert_exit(&out, 0);
    assert!(dir.path("heta.geojson").is_file());
    let log = store::open(reader.as_str()).unwrap().export_log().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].file, "heta.geojson");
    assert_eq!(log[0].login.as_deref(), Some(db.role("lasare").as_str()));
    // The record cannot be taken back by the login that made it.
    let mut sql = postgres::Client::connect(&reader, postgres::NoTls).unwrap();
    assert!(
        sql.batch_execute("DELETE FROM lagesbild.lagesbild_export_log")
            .is_err()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_export_log"),
        1
    );
}

// --- police events, the hosts' tracks and retention: roles (issue 20) ---

pub(crate) fn tv_track(host: &str, start: DateTime<Utc>) -> lagesbild::model::track::Track {
    use lagesbild::model::track::{Fix, Track};
    Track {
        host: host.into(),
        source: format!("{host}_2025-03-01.gpx"),
        fixes: (0..4)
            .map(|i| Fix {
                at: start + Duration::minutes(i),
                position: LonLat::new(14.58 + i as f64 * 1e-4, 56.05),
            })
            .collect(),
    }
}

#[test]
fn the_hosts_tracks_are_seen_only_by_writers() {
    use lagesbild::model::track::CheckIn;
    let Some((mut db, _admin)) = TestDb::with_project() else {
        return;
    };
    let writer = db.login("writer", &["lagesbild_write"]);
    let reader = db.login("reader", &["lagesbild_read", "lagesbild_sensitive"]);
    let mut w = store::open(writer.as_str()).unwrap();
    let start = local(2025, 3, 1, 20, 0);
    assert_eq!(w.add_tracks(&[tv_track("TV01", start)]).unwrap(), (1, 0));
    let checkin = CheckIn {
        place: "Torget".into(),
        host: "TV01".into(),
        checked_in: start,
        checked_out: start + Duration::minutes(15),
    };
    assert_eq!(
        w.add_checkins(std::slice::from_ref(&checkin)).unwrap(),
        (1, 0)
    );
    assert_eq!(w.track_summaries().unwrap().len(), 1);
    assert_eq!(
        w.checkins(None, None).unwrap(),
        std::slice::from_ref(&checkin)
    );

    let mut r = store::open(reader.as_str()).unwrap();
    let tracks_before = db.count("SELECT count(*) FROM lagesbild.tracks");
    let changes = db.count("SELECT count(*) FROM lagesbild.lagesbild_changes");
    let reads = [
        r.tracks(None, None).map(|_| ()).unwrap_err(),
        r.track_summaries().map(|_| ()).unwrap_err(),
        r.checkins(None, None).map(|_| ()).unwrap_err(),
    ];
    for e in &reads {
        let text = e.to_string();
        assert!(matches!(e, StoreError::PermissionDenied { .. }), "{text}");
        assert!(text.contains("personal data"), "{text}");
        assert!(text.contains("lagesbild_write"), "{text}");
    }
    let writes = [
        r.add_tracks(&[tv_track("TV02", start)]).unwrap_err(),
        r.add_checkins(&[checkin]).unwrap_err(),
        r.prune_tracks(Utc::now()).unwrap_err(),
    ];
    for e in &writes {
        assert!(matches!(e, StoreError::PermissionDenied { .. }), "{e}");
    }
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.tracks"),
        tracks_before
    );
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_changes"),
        changes
    );
    // PostgreSQL itself refuses the reader, not only the app.
    let mut sql = postgres::Client::connect(&reader, postgres::NoTls).unwrap();
    for table in ["tracks", "lagesbild_checkins"] {
        let e = sql
            .query_one(&format!("SELECT count(*) FROM lagesbild.{table}"), &[])
            .unwrap_err();
        assert_eq!(
            e.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{table}: {e}"
        );
    }
    // The reader still sees the police tables and the retention log.
    assert!(r.police_summaries().unwrap().is_empty());
    assert!(r.police_history("1").unwrap().is_empty());
    assert!(r.retention_log().unwrap().is_empty());
    // A second `db init` (as after an upgrade) keeps the tracks from readers.
    lagesbild::store::pg::init(&db.url, "x").unwrap();
    assert!(
        sql.query_one("SELECT count(*) FROM lagesbild.tracks", &[])
            .is_err()
    );
}

#[test]
fn police_events_need_a_writer_and_a_reader_sees_them() {
    let Some((mut db, _admin)) = TestDb::with_project() else {
        return;
    };
    let reader = db.login("reader", &["lagesbild_read"]);
    let writer = db.login("writer", &["lagesbild_write"]);
    let mut r = store::open(reader.as_str()).unwrap();
    let mut event = incident(local(2025, 3, 1, 21, 0), Source::Polis, 14.58, 56.05);
    event.external_id = Some("438524".to_owned());
    let e = r
        .upsert_police_events(
            "e.json",
            std::slice::from_ref(&event),
            &[],
            &CancelToken::new(),
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::PermissionDenied { .. }), "{e}");
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), 0);
    // A writer without lagesbild_sensitive stores police events.
    let mut w = store::open(writer.as_str()).unwrap();
    let done = w
        .upsert_police_events(
            "e.json",
            std::slice::from_ref(&event),
            &[],
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(done.inserted, 1);
    event.category = Category::Vald;
    let done = w
        .upsert_police_events("f.json", &[event], &[], &CancelToken::new())
        .unwrap();
    assert_eq!(done.updated, 1);
    assert_eq!(r.info().unwrap().incident_count, 1);
    assert_eq!(r.police_history("438524").unwrap().len(), 1);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_imports WHERE file_name = 'f.json'"),
        1
    );
}

#[test]
fn retention_is_refused_without_the_rights_to_do_all_of_it() {
    let Some((mut db, mut admin)) = TestDb::with_project() else {
        return;
    };
    import(&mut admin, "blandat.csv", &mixed());
    admin
        .add_tracks(&[tv_track("TV01", local(2025, 3, 1, 20, 0))])
        .unwrap();
    let cut = local(2026, 1, 1, 0, 0);
    let reader = db.login("reader", &["lagesbild_read", "lagesbild_sensitive"]);
    let plain = db.login("plain", &["lagesbild_write"]);
    let full = db.login("full", &["lagesbild_write", "lagesbild_sensitive"]);
    let incidents = || db.count("SELECT count(*) FROM lagesbild.incidents");
    let all = incidents();
    let changes = db.count("SELECT count(*) FROM lagesbild.lagesbild_changes");

    let mut r = store::open(reader.as_str()).unwrap();
    let e = r.apply_retention(Some(cut), Some(cut)).unwrap_err();
    assert!(matches!(e, StoreError::PermissionDenied { .. }), "{e}");
    assert!(e.to_string().contains("lagesbild_write"), "{e}");
    // A writer who cannot see socialtjänst and skola would leave theirs.
    let mut p = store::open(plain.as_str()).unwrap();
    let e = p.apply_retention(Some(cut), None).unwrap_err();
    assert!(matches!(e, StoreError::PermissionDenied { .. }), "{e}");
    assert!(e.to_string().contains("lagesbild_sensitive"), "{e}");
    assert!(e.to_string().contains("nothing was deleted"), "{e}");
    assert_eq!(incidents(), all);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.tracks"), 4);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_changes"),
        changes
    );
    assert!(r.retention_log().unwrap().is_empty());
    // Tracks alone it may prune.
    let run = p.apply_retention(None, Some(cut)).unwrap();
    assert_eq!(run.tracks_deleted, 1);

    let stamp = r.change_stamp().unwrap();
    let mut f = store::open(full.as_str()).unwrap();
    let run = f.apply_retention(Some(cut), None).unwrap();
    assert_eq!(run.incidents_deleted, all as u64, "sensitive ones too");
    assert_eq!(incidents(), 0);
    assert_ne!(r.change_stamp().unwrap(), stamp, "other users see it");
    let log = r.retention_log().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].login.as_deref(), Some(db.role("plain").as_str()));
    assert_eq!(log[1].login.as_deref(), Some(db.role("full").as_str()));
    // The log is kept: even a writer cannot rewrite it.
    let mut sql = postgres::Client::connect(&full, postgres::NoTls).unwrap();
    assert!(
        sql.batch_execute("DELETE FROM lagesbild.lagesbild_retention_log")
            .is_err()
    );
}

fn cli_ok(dir: &std::path::Path, args: &[&str]) -> (String, String) {
    let out = crate::util::run_cli_in(dir, args);
    crate::util::assert_exit(&out, 0);
    crate::util::text(&out)
}

#[test]
fn polisen_tracks_dose_and_retention_commands_work_on_the_database() {
    let Some((db, _admin)) = TestDb::with_project() else {
        return;
    };
    let dir = crate::util::Dir::new();
    let url = db.url.as_str();
    let old = crate::util::fixture("polisen/edited_old.json");
    let new = crate::util::fixture("polisen/edited_new.json");
    cli_ok(dir.root(), &["import", url, old.to_str().unwrap()]);
    let (stdout, stderr) = cli_ok(dir.root(), &["import", url, new.to_str().unwrap()]);
    assert!(
        format!("{stdout}{stderr}").contains("updated in place"),
        "{stdout}{stderr}"
    );
    let store = store::open(url).unwrap();
    assert_eq!(store.info().unwrap().incident_count, 2);
    assert_eq!(store.police_history("478801").unwrap().len(), 1);

    // Tracks and the dose at a place, from the database.
    let t0 = local(2025, 3, 1, 20, 0);
    let pts: String = (0..=12)
        .map(|m| {
            let t = (t0 + Duration::minutes(m)).format("%Y-%m-%dT%H:%M:%SZ");
            format!("<trkpt lat=\"56.0510\" lon=\"14.5862\"><time>{t}</time></trkpt>\n")
        })
        .collect();
    let gpx = dir.write(
        "TV01_2025-03-01.gpx",
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"t\" \
             xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n{pts}</trkseg></trk></gpx>\n"
        ),
    );
    let places = dir.write(
        "platser.geojson",
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"name": "Torget"},
            "geometry": {"type": "Point", "coordinates": [14.5862, 56.051]}}]}"#,
    );
    let (stdout, _) = cli_ok(
        dir.root(),
        &["tracks", "import", url, gpx.to_str().unwrap()],
    );
    assert!(stdout.contains("stored 1 track(s)"), "{stdout}");
    let (stdout, _) = cli_ok(
        dir.root(),
        &[
            "dose",
            url,
            "--places",
            places.to_str().unwrap(),
            "--json",
            "--min-count",
            "1",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["places"][0]["name"], "Torget", "{v}");
    assert_eq!(v["places"][0]["visits"], 1, "{v}");
    assert!(!stdout.contains("TV01"), "the dose names no host: {stdout}");

    // Retention: the 2025 events and track are past a 30-day setting.
    let (stdout, _) = cli_ok(
        dir.root(),
        &[
            "retention",
            url,
            "--incidents",
            "30d",
            "--tracks",
            "30d",
            "--apply",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["deleted"]["incidents"], 2, "{v}");
    assert_eq!(v["deleted"]["tracks"], 1, "{v}");
    assert_eq!(store.info().unwrap().incident_count, 0);
    assert_eq!(store.retention_log().unwrap().len(), 1);
}

#[cfg(feature = "harvest")]
#[test]
fn polisen_harvest_stores_into_the_database() {
    use crate::harvest::{Replay, body};
    let Some((db, _admin)) = TestDb::with_project() else {
        return;
    };
    let server = Replay::start(vec![(200, body("polisen/harvest_1.json"))]);
    let dir = crate::util::Dir::new();
    let (stdout, stderr) = cli_ok(
        dir.root(),
        &[
            "polisen",
            "harvest",
            db.url.as_str(),
            "--location",
            "Sölvesborg",
            "--once",
            "--api-url",
            &server.base,
            "--contact",
            "trygghet@example.org",
        ],
    );
    assert!(!stderr.contains("Created"), "{stderr}");
    assert!(stdout.contains("2 new, 0 updated, 0 unchanged"), "{stdout}");
    let store = store::open(db.url.as_str()).unwrap();
    let ids: Vec<String> = store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .filter_map(|i| i.external_id)
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(
        lagesbild::harvest::recent_calls(store.as_ref(), Utc::now())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_version_2_project_is_migrated_by_a_writer_keeping_tracks_from_readers() {
    let Some((mut db, admin)) = TestDb::with_project() else {
        return;
    };
    drop(admin);
    // The project as the first cut of issue 20 left it: schema version 2.
    db.admin()
        .batch_execute(
            "DROP TABLE lagesbild.tracks, lagesbild.lagesbild_checkins,
                 lagesbild.lagesbild_police_history, lagesbild.lagesbild_police_summaries,
                 lagesbild.lagesbild_retention_log;
             DROP TABLE lagesbild.route_stops, lagesbild.patrol_routes, lagesbild.patrol_areas,
                 lagesbild.measures, lagesbild.lagesbild_week_fixed;
             DROP TABLE lagesbild.lagesbild_bulk_loads;
             DROP FUNCTION lagesbild.lagesbild_bulk_load_begin(bigint),
                 lagesbild.lagesbild_bulk_load_finish(), lagesbild.lagesbild_bulk_load_check();
             DELETE FROM lagesbild.lagesbild_schema WHERE version > 2;",
        )
        .unwrap();
    let writer = db.login("writer", &["lagesbild_write"]);
    let reader = db.login("reader", &["lagesbild_read"]);
    let mut w = store::open(writer.as_str()).unwrap();
    assert_eq!(
        db.count("SELECT max(version) FROM lagesbild.lagesbild_schema"),
        lagesbild::store::pg::schema::LATEST_VERSION
    );
    w.add_tracks(&[tv_track("TV01", local(2025, 3, 1, 20, 0))])
        .unwrap();
    let mut event = incident(local(2025, 3, 1, 21, 0), Source::Polis, 14.58, 56.05);
    event.external_id = Some("1".to_owned());
    w.upsert_police_events("e.json", &[event], &[], &CancelToken::new())
        .unwrap();
    let r = store::open(reader.as_str()).unwrap();
    assert!(matches!(
        r.track_summaries(),
        Err(StoreError::PermissionDenied { .. })
    ));
    assert!(r.police_summaries().unwrap().is_empty());
    assert!(r.retention_log().unwrap().is_empty());
    assert_eq!(r.info().unwrap().incident_count, 1);
    // The migrated tables report changes like the others.
    let stamp = r.change_stamp().unwrap();
    w.prune_tracks(Utc::now()).unwrap();
    assert_ne!(r.change_stamp().unwrap(), stamp);
}

fn import_into(store: &mut BoxedStore, rel: &str) -> lagesbild::import::ImportReport {
    lagesbild::import::import_file(
        store.as_mut(),
        &crate::util::fixture(rel),
        &lagesbild::import::ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap()
}

fn category_of_event(store: &BoxedStore, id: &str) -> Category {
    store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some(id))
        .unwrap()
        .category
}

#[test]
fn police_events_travel_by_id_and_tracks_stay_out_of_offline_copies() {
    let Some((db, mut shared)) = TestDb::with_project() else {
        return;
    };
    let dir = crate::util::Dir::new();
    let url = db.url.as_str();
    import_into(&mut shared, "polisen/edited_old.json");
    import_into(&mut shared, "json/polisen_blekinge.json");
    shared
        .add_tracks(&[tv_track("TV01", local(2025, 3, 1, 20, 0))])
        .unwrap();
    let events = shared.info().unwrap().incident_count;
    let summaries = shared.police_summaries().unwrap();
    assert!(!summaries.is_empty());

    // The pull copies the events and summaries, never the tracks, and says so.
    let mote = dir.path("mote.gpkg");
    let (stdout, _) = cli_ok(
        dir.root(),
        &["db", "pull", url, "--out", mote.to_str().unwrap()],
    );
    assert!(
        stdout.contains("tracks and check-ins are not copied into offline copies"),
        "{stdout}"
    );
    assert!(stdout.contains("police summaries:"), "{stdout}");
    let copy = store::open(&mote).unwrap();
    assert_eq!(copy.info().unwrap().incident_count, events);
    assert_eq!(copy.police_summaries().unwrap(), summaries);
    assert!(copy.tracks(None, None).unwrap().is_empty());
    assert_eq!(category_of_event(&copy, "478801"), Category::Ovrigt);
    drop(copy);
    // A pull of other sources takes no police summaries either.
    let skola = dir.path("skola.gpkg");
    cli_ok(
        dir.root(),
        &[
            "db",
            "pull",
            url,
            "--out",
            skola.to_str().unwrap(),
            "--source",
            "skola",
        ],
    );
    assert!(
        store::open(&skola)
            .unwrap()
            .police_summaries()
            .unwrap()
            .is_empty()
    );

    // Meanwhile the Police edited two events and the database harvested them.
    import_into(&mut shared, "polisen/edited_new.json");
    assert_eq!(category_of_event(&shared, "478801"), Category::Vald);
    // Pushing the older copy back does not turn the edit back.
    let out = crate::util::run_cli_in(
        dir.root(),
        &["db", "push", mote.to_str().unwrap(), url, "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?}", crate::util::text(&out)));
    assert_eq!(v["report"]["police_older"], 2, "{v}");
    assert_eq!(v["report"]["police_updated"], 0, "{v}");
    assert_eq!(v["report"]["inserted"], 0, "{v}");
    assert_eq!(v["report"]["conflicts"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(category_of_event(&shared, "478801"), Category::Vald);
    assert_eq!(shared.info().unwrap().incident_count, events);

    // A room's copy with the newer versions updates an older database in
    // place, the database keeping the earlier version; its tracks go along.
    let Some((older, mut old_store)) = TestDb::with_project() else {
        return;
    };
    import_into(&mut old_store, "polisen/edited_old.json");
    let newer = dir.path("nyare.gpkg");
    let mut room = store::create(&newer, "Mötesrum").unwrap();
    import_into(&mut room, "polisen/edited_new.json");
    room.add_tracks(&[tv_track("TV02", local(2025, 3, 2, 20, 0))])
        .unwrap();
    drop(room);
    let (stdout, _) = cli_ok(
        dir.root(),
        &["db", "push", newer.to_str().unwrap(), older.url.as_str()],
    );
    assert!(
        stdout.contains("police events: 2 updated in place"),
        "{stdout}"
    );
    assert_eq!(category_of_event(&old_store, "478801"), Category::Vald);
    let history = old_store.police_history("478801").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].incident.category, Category::Ovrigt);
    assert_eq!(old_store.track_summaries().unwrap().len(), 1);
}
