//! The patrol plan, the week plan's fixed cells and the measures in the
//! shared PostgreSQL/PostGIS store, against the test cluster (tests/pg.rs):
//! the tables QGIS and GDAL read, a read-only login refused with nothing
//! changed, and migration 3 of a project made before it. The behaviour
//! itself is checked on both backends by the shared suite in tests/store.rs.

use lagesbild::model::plan::{PatrolPlan, PlanRef};
use lagesbild::store::{self, StoreError, WeekFixedCell};

use crate::pg::TestDb;
use crate::store::measure;
use crate::store::plan_items::{area, route};

fn cell() -> WeekFixedCell {
    WeekFixedCell {
        pair: 1,
        evening: chrono::Weekday::Fri,
        item: "Centrum".into(),
        shift: "19:00-03:00".into(),
    }
}

/// Rows of the five tables and of the change log, as the superuser sees them.
fn counts(db: &TestDb) -> Vec<i64> {
    [
        "patrol_areas",
        "patrol_routes",
        "route_stops",
        "measures",
        "lagesbild_week_fixed",
        "lagesbild_changes",
    ]
    .iter()
    .map(|t| db.count(&format!("SELECT count(*) FROM lagesbild.{t}")))
    .collect()
}

#[test]
fn a_read_only_login_reads_the_plan_and_measures_and_changes_nothing() {
    let Some((mut db, mut store)) = TestDb::with_project() else {
        return;
    };
    let a = store.save_patrol_area(&area("Centrum")).unwrap();
    let r = store.save_patrol_route(&route("Slingan")).unwrap();
    store
        .add_measure(&measure("Belysning", (2025, 3, 1)))
        .unwrap();
    store.save_week_fixed(&[cell()]).unwrap();
    let reader_url = db.login("reader", &["lagesbild_read"]);
    let mut reader = store::open(reader_url.as_str()).unwrap();
    // Reading is everyone's.
    assert_eq!(reader.patrol_plan().unwrap(), store.patrol_plan().unwrap());
    assert_eq!(reader.measures().unwrap(), store.measures().unwrap());
    assert_eq!(reader.week_fixed().unwrap(), vec![cell()]);
    let before = counts(&db);
    let plan = PatrolPlan {
        areas: vec![area("Ny")],
        routes: vec![],
    };
    let stored_area = store.patrol_plan().unwrap().areas[0].clone();
    let park = reader.measure("Belysning").unwrap().unwrap();
    let errors = vec![
        reader.save_patrol_area(&area("Ny")).unwrap_err(),
        reader.save_patrol_area(&stored_area).unwrap_err(),
        reader.save_patrol_route(&route("Ny")).unwrap_err(),
        reader.delete_plan_item(PlanRef::Area(a)).unwrap_err(),
        reader.delete_plan_item(PlanRef::Route(r)).unwrap_err(),
        reader.add_patrol_plan(&plan).unwrap_err(),
        reader.merge_patrol_plan(&plan).unwrap_err(),
        reader.save_week_fixed(&[]).unwrap_err(),
        reader
            .add_measure(&measure("Ny", (2025, 1, 1)))
            .unwrap_err(),
        reader
            .update_measure(park.fid.unwrap(), &measure("Ny", (2025, 1, 1)))
            .unwrap_err(),
        reader.remove_measure("Belysning").unwrap_err(),
    ];
    for e in &errors {
        let text = e.to_string();
        assert!(matches!(e, StoreError::PermissionDenied { .. }), "{text}");
        assert!(text.contains("lagesbild_write"), "{text}");
        assert!(!text.contains("pw-"), "no password in {text}");
    }
    assert_eq!(counts(&db), before, "nothing changed, nothing logged");
    // PostgreSQL itself refuses the login's plain SQL, not only the app.
    let mut sql = postgres::Client::connect(&reader_url, postgres::NoTls).unwrap();
    for table in [
        "patrol_areas",
        "route_stops",
        "measures",
        "lagesbild_week_fixed",
    ] {
        assert!(
            sql.batch_execute(&format!("DELETE FROM lagesbild.{table}"))
                .is_err(),
            "{table}"
        );
    }
    assert_eq!(counts(&db), before);
    // A writer may change the plan.
    let writer_url = db.login("writer", &["lagesbild_write"]);
    let mut writer = store::open(writer_url.as_str()).unwrap();
    assert!(writer.delete_plan_item(PlanRef::Route(r)).unwrap());
    writer.add_measure(&measure("Ny", (2025, 1, 1))).unwrap();
    writer.save_week_fixed(&[]).unwrap();
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.route_stops"), 0);
}

#[test]
fn the_plan_and_measures_are_postgis_layers_that_gdal_reads() {
    let Some((db, mut store)) = TestDb::with_project() else {
        return;
    };
    store.save_patrol_area(&area("Centrum")).unwrap();
    store.save_patrol_route(&route("Slingan")).unwrap();
    store
        .add_measure(&measure("Belysning", (2025, 3, 1)))
        .unwrap();
    let mut admin = db.admin();
    for (table, kind) in [
        ("patrol_areas", "MULTIPOLYGON"),
        ("patrol_routes", "LINESTRING"),
        ("route_stops", "POINT"),
        ("measures", "MULTIPOLYGON"),
    ] {
        let r = admin
            .query_one(
                "SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'lagesbild' \
                 AND f_table_name = $1",
                &[&table],
            )
            .unwrap();
        assert_eq!(
            (r.get::<_, String>(0), r.get::<_, i32>(1)),
            (kind.to_owned(), 4326),
            "{table}"
        );
        let gist: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = 'lagesbild' \
                 AND tablename = $1 AND indexdef LIKE '%USING gist (geom)%'",
                &[&table],
            )
            .unwrap()
            .get(0);
        assert_eq!(gist, 1, "{table} has a GiST index");
    }
    let dates: String = admin
        .query_one(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'lagesbild' \
             AND table_name = 'measures' AND column_name = 'start_date'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(dates, "date");
    // GDAL's PostgreSQL driver (what QGIS uses) lists them with their
    // features and attribute columns.
    // postgresql://USER@HOST:PORT/DB as libpq key/value parameters.
    let (user, rest) = db
        .url
        .trim_start_matches("postgresql://")
        .split_once('@')
        .unwrap();
    let (host_port, dbname) = rest.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap();
    let connection =
        format!("PG:host={host} port={port} dbname={dbname} user={user} schemas=lagesbild");
    let Some(out) = crate::util::run_gdal("ogrinfo", &["-ro", "-so", "-al", &connection]) else {
        return;
    };
    let (stdout, stderr) = crate::util::text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for (layer, count, column) in [
        ("patrol_areas", 1, "weekdays: String"),
        ("patrol_routes", 1, "extra: String"),
        ("route_stops", 2, "dwell_min: Integer"),
        ("measures", 1, "start_date: Date"),
    ] {
        let at = stdout
            .find(&format!("Layer name: {layer}\n"))
            .unwrap_or_else(|| panic!("{layer} not listed:\n{stdout}"));
        let part = &stdout[at..];
        let part = &part[..part[1..].find("Layer name:").map_or(part.len(), |i| i + 1)];
        assert!(part.contains(&format!("Feature Count: {count}")), "{part}");
        assert!(
            part.contains("EPSG\",4326") || part.contains("4326"),
            "{part}"
        );
        assert!(part.contains(column), "{column} in\n{part}");
    }
}

/// A project made before migration 3 (version 2), with a map layer whose
/// table is named `measures`, is migrated when a writer opens it: the plan
/// tables appear with their grants, the layer keeps its name and features.
#[test]
fn migration_3_moves_a_layer_in_the_way_and_grants_the_new_tables() {
    let Some((mut db, mut store)) = TestDb::with_project() else {
        return;
    };
    let set = lagesbild::model::shape::FeatureSet {
        name: "tillfällig".into(),
        features: vec![lagesbild::model::shape::Feature {
            geometry: geo::Point::new(14.58, 56.05).into(),
            properties: Default::default(),
        }],
    };
    store
        .add_layers(std::slice::from_ref(&set), "insatser.geojson")
        .unwrap();
    drop(store);
    // Back to version 2: no plan tables, and the layer stored as `measures`.
    db.admin()
        .batch_execute(
            "DROP TABLE lagesbild.route_stops, lagesbild.patrol_routes, lagesbild.patrol_areas,
                        lagesbild.measures, lagesbild.lagesbild_week_fixed;
             DROP TABLE lagesbild.tracks, lagesbild.lagesbild_checkins,
                        lagesbild.lagesbild_police_history, lagesbild.lagesbild_police_summaries,
                        lagesbild.lagesbild_retention_log;
             DROP TABLE lagesbild.lagesbild_bulk_loads;
             DROP FUNCTION lagesbild.lagesbild_bulk_load_begin(bigint),
                 lagesbild.lagesbild_bulk_load_finish(), lagesbild.lagesbild_bulk_load_check();
             DELETE FROM lagesbild.lagesbild_schema WHERE version >= 3;
             ALTER TABLE lagesbild.\"tillfällig\" RENAME TO measures;
             UPDATE lagesbild.lagesbild_layers SET name = 'measures', table_name = 'measures';",
        )
        .unwrap();
    let writer_url = db.login("writer", &["lagesbild_write"]);
    let mut writer = store::open(writer_url.as_str()).unwrap();
    assert_eq!(
        writer.info().unwrap().schema_version,
        lagesbild::store::pg::schema::LATEST_VERSION
    );
    let layer = writer.layer_features("measures").unwrap().unwrap();
    assert_eq!(layer.features, set.features);
    writer
        .add_measure(&measure("Belysning", (2025, 3, 1)))
        .unwrap();
    writer.save_patrol_route(&route("Slingan")).unwrap();
    writer.save_week_fixed(&[cell()]).unwrap();
    assert_eq!(
        db.count(
            "SELECT count(*) FROM lagesbild.lagesbild_layers WHERE table_name = 'measures_layer'"
        ),
        1
    );
    // Another writer and a reader get the grants the migration gave.
    let other_url = db.login("other", &["lagesbild_write"]);
    let mut other = store::open(other_url.as_str()).unwrap();
    other.save_patrol_area(&area("Centrum")).unwrap();
    other.remove_measure("Belysning").unwrap();
    let reader_url = db.login("reader", &["lagesbild_read"]);
    let reader = store::open(reader_url.as_str()).unwrap();
    let plan = reader.patrol_plan().unwrap();
    assert_eq!((plan.areas.len(), plan.routes.len()), (1, 1));
    assert_eq!(plan.routes[0].stops.len(), 2);
    assert_eq!(reader.week_fixed().unwrap(), vec![cell()]);
    assert!(reader.measures().unwrap().is_empty());
}

/// Two plan imports at once match against the plan one after the other:
/// the same file imported by two users adds its items once.
#[test]
fn two_plan_imports_at_once_add_each_item_once() {
    let Some((db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let plan = PatrolPlan {
        areas: vec![area("A"), area("B")],
        routes: vec![route("Slingan")],
    };
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (url, plan) = (db.url.clone(), plan.clone());
            std::thread::spawn(move || {
                let mut s = store::open(url.as_str()).unwrap();
                s.merge_patrol_plan(&plan).unwrap()
            })
        })
        .collect();
    let merges: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let added: usize = merges.iter().map(|m| m.added.len()).sum();
    let unchanged: usize = merges.iter().map(|m| m.unchanged.len()).sum();
    assert_eq!((added, unchanged), (3, 3), "{merges:?}");
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.patrol_areas"), 2);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.route_stops"), 2);
}

/// Runs `args` with `project` in place of `{}`; stdout as JSON (without the
/// project's name, which the two stores name differently) or as text.
fn run_on(dir: &crate::util::Dir, project: &str, args: &[&str]) -> serde_json::Value {
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "{}" { project } else { a })
        .collect();
    let out = crate::util::run_cli_in(dir.root(), &args);
    let (stdout, stderr) = crate::util::text(&out);
    assert!(
        out.status.success(),
        "{args:?} on {project}: {stdout}\n{stderr}"
    );
    match serde_json::from_str::<serde_json::Value>(&stdout) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("project");
            }
            v
        }
        Err(_) => serde_json::Value::String(stdout),
    }
}

/// The command line on a database URL: `plan import`, `plan list`,
/// `measure add|list|remove`, and the analyses that read the plan or a
/// measure (`coverage`, `route --route`, `week`, `evaluate --measure`) give
/// what they give on a GeoPackage of the same data.
#[test]
fn plan_and_measure_commands_on_a_url_equal_those_on_a_file() {
    let Some((db, store)) = TestDb::with_project() else {
        return;
    };
    drop(store);
    let dir = crate::util::Dir::new();
    let cli = |args: &[&str]| {
        let out = crate::util::run_cli_in(dir.root(), args);
        let (stdout, stderr) = crate::util::text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        stdout
    };
    cli(&["demo", "--out", "demo.gpkg", "--count", "600"]);
    cli(&["db", "push", "demo.gpkg", &db.url]);
    let plan_file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plan.geojson");
    dir.write(
        "centrum.geojson",
        r#"{"type": "Polygon", "coordinates": [[[14.5760, 56.0470], [14.5860, 56.0470], [14.5860, 56.0530], [14.5760, 56.0530], [14.5760, 56.0470]]]}"#,
    );
    for project in [db.url.as_str(), "demo.gpkg"] {
        let first = cli(&["plan", "import", project, plan_file]);
        assert!(first.contains("3 added"), "{first}");
        let again = cli(&["plan", "import", project, plan_file]);
        assert!(again.contains("3 unchanged"), "{again}");
        for (name, start) in [("Belysning", "2025-03-01"), ("Vandring", "2024-09-01")] {
            cli(&[
                "measure",
                "add",
                project,
                "--name",
                name,
                "--area",
                "centrum.geojson",
                "--start",
                start,
                "--category",
                "skadegorelse",
                "--hours",
                "18-2",
            ]);
        }
        let removed = cli(&["measure", "remove", project, "Vandring"]);
        assert!(
            removed.contains("removed measure \"Vandring\""),
            "{removed}"
        );
    }
    let list = run_on(&dir, &db.url, &["plan", "list", "{}", "--json"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Centrum", "Östra", "Stationsslingan"]);
    assert_eq!(list[2]["stops"].as_array().unwrap().len(), 3);
    let table = run_on(&dir, &db.url, &["plan", "list", "{}"]);
    assert!(
        table.as_str().unwrap().contains("Stationsslingan"),
        "{table}"
    );
    let commands: [&[&str]; 6] = [
        &["plan", "list", "{}"],
        &["measure", "list", "{}"],
        &["coverage", "{}", "--json"],
        &[
            "route",
            "{}",
            "--route",
            "Stationsslingan",
            "--base",
            "14.5801,56.0493",
            "--shift",
            "19:00-03:00",
            "--date",
            "2025-03-07",
            "--json",
        ],
        &["week", "{}", "--json"],
        &["evaluate", "{}", "--measure", "Belysning", "--json"],
    ];
    for args in commands {
        let on_db = run_on(&dir, &db.url, args);
        let on_file = run_on(&dir, "demo.gpkg", args);
        assert_eq!(on_db, on_file, "{args:?}");
    }
    let coverage = run_on(&dir, &db.url, &["coverage", "{}", "--json"]);
    assert!(
        coverage["coverage"]["incidents"].as_u64().unwrap() > 0,
        "{coverage}"
    );
}
