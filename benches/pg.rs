//! The shared PostgreSQL/PostGIS store against the GeoPackage, in the same run:
//! importing 1,000,000 incidents into a new project (issue 20: PG within 3× the
//! GeoPackage) and an analysis on 1,000,000 stored incidents (load the
//! analysis points + a 200 m heatmap; PG within 2×), with the load alone too,
//! both on an open store and opening it each time (as a command does: from
//! the point cache stored in the database, and after a change, from every
//! row), and
//! two imports and edits at once into one database (nothing may be lost);
//! and a writer's imports that do not own the tables, into an empty project
//! and into one holding a million ([`import_writer`]).
//!
//! Needs the test cluster: `eval "$(scripts/pg-test-cluster.sh start)"`, then
//! `cargo bench --bench pg`. Without `LAGESBILD_TEST_PG_URL` the bench fails
//! (it never skips). Each import sample gets a new project (a new database
//! from `lagesbild_template`, a new file); making it is not timed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use lagesbild::analysis::Kernel;
use lagesbild::analysis::engine::{self, AreaChoice, HeatmapRequest, Selection};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source};
use lagesbild::store::{self, BoxedStore};

const N: usize = 1_000_000;

fn cluster_url() -> String {
    std::env::var("LAGESBILD_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "LAGESBILD_TEST_PG_URL is not set: start the test cluster with \
             eval \"$(scripts/pg-test-cluster.sh start)\" before `cargo bench --bench pg`"
        )
    })
}

/// A new PostGIS database from the cluster's template; returns its URL.
fn new_database(tag: &str) -> String {
    new_database_from(tag, "lagesbild_template")
}

/// A new PostGIS database `bench_TAG_PID` copied from the database
/// `template` (an old one of that name dropped first); returns its URL.
fn new_database_from(tag: &str, template_db: &str) -> String {
    let template = cluster_url();
    let (server, _) = template.rsplit_once('/').expect("a URL with a database");
    let name = format!("bench_{tag}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
        .expect("connect to the test cluster");
    // Two calls: DROP DATABASE cannot run inside the implicit transaction
    // of a multi-statement batch.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop an old bench database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template_db}"))
        .expect("make the bench database");
    format!("{server}/{name}")
}

/// Seeded incidents over Sölvesborg's town (clustered, as real data are),
/// every one with an external id as imported files have.
fn incidents(n: usize) -> Vec<Incident> {
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    let start = chrono::DateTime::from_timestamp(1_704_067_200, 0).unwrap();
    let centres = [
        (14.585, 56.051),
        (14.57, 56.06),
        (14.60, 56.045),
        (14.53, 56.03),
    ];
    (0..n)
        .map(|i| {
            let (cx, cy) = centres[i % centres.len()];
            let mut x = Incident::new(
                start + chrono::Duration::seconds(rng.random_range(0..63_072_000)),
                Category::ALL[i % Category::ALL.len()],
                Source::ALL[i % Source::ALL.len()],
                LonLat::new(
                    cx + rng.random_range(-0.02..0.02),
                    cy + rng.random_range(-0.01..0.01),
                ),
                10.0,
            );
            x.external_id = Some(format!("B-{i}"));
            x
        })
        .collect()
}

fn import_all(store: &mut BoxedStore, rows: &[Incident]) {
    let mut session = store.begin_import("bench.csv").unwrap();
    for r in rows {
        session.push(r).unwrap();
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
}

fn analysis(store: &BoxedStore, heatmap: bool) -> usize {
    let cancel = CancelToken::new();
    let selection = Selection {
        filter: Filter::default(),
        include_coarse: false,
        area: AreaChoice::NoArea,
    };
    let loaded = engine::load(store.as_ref(), &selection, "bench", &cancel).unwrap();
    if heatmap {
        let req = HeatmapRequest {
            bandwidth_m: 200.0,
            cell_m: None,
            kernel: Kernel::Quartic,
        };
        black_box(loaded.heatmap(&req, &cancel).unwrap());
    }
    loaded.points.len()
}

fn bench(c: &mut Criterion) {
    // Fail before generating a million rows when there is no cluster.
    let _ = cluster_url();
    let rows = incidents(N);
    let dir = tempfile::tempdir().unwrap();

    // One import per sample (flat sampling), ten samples.
    let mut g = c.benchmark_group("import_1m");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(30));
    g.bench_function(BenchmarkId::new("gpkg", N), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for k in 0..iters {
                let path = dir.path().join(format!("import-{k}.gpkg"));
                let mut s = store::create(&path, "bench").unwrap();
                let t = Instant::now();
                import_all(&mut s, &rows);
                total += t.elapsed();
                drop(s);
                std::fs::remove_file(&path).unwrap();
            }
            total
        })
    });
    g.bench_function(BenchmarkId::new("postgis", N), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let url = new_database("import");
                let mut s = store::create(url.as_str(), "bench").unwrap();
                let t = Instant::now();
                import_all(&mut s, &rows);
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();

    // One project of each kind with the million rows, for the analyses.
    let path = dir.path().join("analysis.gpkg");
    let mut gpkg = store::create(&path, "bench").unwrap();
    import_all(&mut gpkg, &rows);
    let url = new_database("analysis");
    let mut pg = store::create(url.as_str(), "bench").unwrap();
    import_all(&mut pg, &rows);
    drop(rows);
    // The GeoPackage builds its point cache on the first read; both warm.
    assert_eq!(analysis(&gpkg, false), analysis(&pg, false));

    let mut g = c.benchmark_group("analysis_1m");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(10));
    // Warm: the same open store again and again (the app's case; PostGIS
    // answers from the connection's point cache once nothing changed).
    for (name, store) in [("gpkg", &gpkg), ("postgis", &pg)] {
        g.bench_function(BenchmarkId::new(format!("load_{name}"), N), |b| {
            b.iter(|| black_box(analysis(store, false)))
        });
        g.bench_function(BenchmarkId::new(format!("load_heatmap_{name}"), N), |b| {
            b.iter(|| black_box(analysis(store, true)))
        });
    }
    // Cold: open the project, load, close (each command line run's case:
    // the GeoPackage reads its point cache from the file, PostGIS the point
    // cache stored in the database, which the first analysis above stored).
    let locations = [
        ("gpkg", store::Location::from(path.as_path())),
        ("postgis", store::Location::from(url.as_str())),
    ];
    for (name, location) in &locations {
        g.bench_function(BenchmarkId::new(format!("open_load_{name}"), N), |b| {
            b.iter(|| {
                let s = store::open(location.clone()).unwrap();
                black_box(analysis(&s, false))
            })
        });
    }
    // The first command after a change (the stored points stale): every
    // row over a new connection, projected, and stored again by this
    // writer. Emptying the stored cache before each sample is not timed.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    g.bench_function(BenchmarkId::new("open_load_postgis_after_change", N), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                admin
                    .batch_execute("DELETE FROM lagesbild.lagesbild_points_cache")
                    .unwrap();
                let t = Instant::now();
                let s = store::open(url.as_str()).unwrap();
                black_box(analysis(&s, false));
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
    drop((gpkg, pg));

    concurrent(c);
}

/// Two imports of 100,000 rows (500 of them in both files) and 20 edits at
/// once into one new PostGIS project (issue 20: several writers lose
/// nothing); every sample checks that nothing was lost.
fn concurrent(c: &mut Criterion) {
    const ROWS: usize = 100_000;
    const EDITS: usize = 20;
    let all = incidents(2 * ROWS);
    let a = &all[..ROWS];
    let mut b = all[ROWS..].to_vec();
    b.extend_from_slice(&a[..500]);
    let edit_rows: Vec<Incident> = all[..EDITS]
        .iter()
        .map(|x| {
            let mut x = x.clone();
            x.external_id = None;
            x.uid.clear(); // a new uid for the edit
            x.source = Source::Trygghetsvard;
            x.occurred_at += chrono::Duration::days(800);
            x
        })
        .collect();
    let mut g = c.benchmark_group("concurrent");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(
        BenchmarkId::new("two_imports_and_edits_postgis", 2 * ROWS),
        |bencher| {
            bencher.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let url = new_database("concurrent");
                    drop(store::create(url.as_str(), "bench").unwrap());
                    let t = Instant::now();
                    std::thread::scope(|s| {
                        for rows in [a, &b[..]] {
                            let url = url.as_str();
                            s.spawn(move || {
                                let mut st = store::open(url).unwrap();
                                import_all(&mut st, rows);
                            });
                        }
                        let url = url.as_str();
                        let edit_rows = &edit_rows;
                        s.spawn(move || {
                            let mut st = store::open(url).unwrap();
                            for x in edit_rows {
                                st.add_incident(x).unwrap();
                            }
                        });
                    });
                    total += t.elapsed();
                    let st = store::open(url.as_str()).unwrap();
                    let info = st.info().unwrap();
                    assert_eq!(info.incident_count, (2 * ROWS + EDITS) as u64, "lost rows");
                }
                total
            })
        },
    );
    g.finish();
}

/// The cluster's server URL with `login:password@` in place of its user.
fn as_login(url: &str, login: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{login}:{password}@{host}")
}

/// Imports of 1,000,000 incidents by a writer that does not own the tables
/// (a `lagesbild_write` login, as the unit works) into an empty project
/// (`import_1m_writer`) and of a second million into a project holding the
/// first (`import_1m_nonempty`, by the same writer), each beside the
/// GeoPackage's same import in the same run (issue 20: within 3×). Making
/// each sample's project (a new file or a copy of one holding the first
/// million; a new database, or one from a template holding it) is not
/// timed. `cargo bench --bench pg -- import_1m_` runs these and `import_1m`.
fn import_writer(c: &mut Criterion) {
    let template = cluster_url();
    let (server, _) = template.rsplit_once('/').expect("a URL with a database");
    let login = format!("bench_writer_{}", std::process::id());
    let mut admin = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
        .expect("connect to the test cluster");
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {login}; CREATE ROLE {login} LOGIN PASSWORD 'bench';"
        ))
        .expect("make the writer login");
    let writer = |url: &str| {
        let (_, db) = url.rsplit_once('/').expect("a URL with a database");
        format!("{}/{db}", as_login(server, &login, "bench"))
    };
    let rows = incidents(N);
    // The second million: new incidents (new uids and external ids), a day later.
    let more: Vec<Incident> = rows
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut x = x.clone();
            x.uid = lagesbild::model::new_uid();
            x.external_id = Some(format!("C-{i}"));
            x.occurred_at += chrono::Duration::days(1);
            x
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();

    // A project of each kind holding the first million, copied per sample.
    let base_path = dir.path().join("base.gpkg");
    import_all(&mut store::create(&base_path, "bench").unwrap(), &rows);
    let base_url = new_database("base");
    let (_, base_db) = base_url.rsplit_once('/').expect("a URL with a database");
    drop(store::create(base_url.as_str(), "bench").unwrap());
    admin
        .batch_execute(&format!(
            "GRANT lagesbild_write, lagesbild_sensitive TO {login}"
        ))
        .expect("grant the writer its roles");
    import_all(&mut store::open(writer(&base_url).as_str()).unwrap(), &rows);

    for (group, first) in [("import_1m_writer", true), ("import_1m_nonempty", false)] {
        let data = if first { &rows } else { &more };
        let mut g = c.benchmark_group(group);
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(30));
        g.bench_function(BenchmarkId::new("gpkg", N), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for k in 0..iters {
                    let path = dir.path().join(format!("{group}-{k}.gpkg"));
                    let mut s = if first {
                        store::create(&path, "bench").unwrap()
                    } else {
                        std::fs::copy(&base_path, &path).unwrap();
                        store::open(path.as_path()).unwrap()
                    };
                    let t = Instant::now();
                    import_all(&mut s, data);
                    total += t.elapsed();
                    drop(s);
                    std::fs::remove_file(&path).unwrap();
                }
                total
            })
        });
        g.bench_function(BenchmarkId::new("postgis_writer", N), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let url = if first {
                        let url = new_database("writer");
                        drop(store::create(url.as_str(), "bench").unwrap());
                        url
                    } else {
                        new_database_from("nonempty", base_db)
                    };
                    let mut s = store::open(writer(&url).as_str()).unwrap();
                    let t = Instant::now();
                    import_all(&mut s, data);
                    total += t.elapsed();
                }
                total
            })
        });
        g.finish();
    }
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {base_db} WITH (FORCE)"));
    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {login}"));
}

criterion_group!(benches, bench, import_writer);
criterion_main!(benches);
