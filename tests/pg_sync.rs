//! The shared store's offline copies and the read-only retention dry run
//! (issue 20), on the test cluster of tests/pg.rs.

use std::path::{Path, PathBuf};

use lagesbild::jobs::CancelToken;
use lagesbild::model::{Category, Incident, LonLat, Source};
use lagesbild::retention::Policy;
use lagesbild::store::police::{PoliceSummary, PoliceVersion};
use lagesbild::store::{self, BoxedStore, StoreError, WeekFixedCell, copy};

use crate::db_sync::{Content, cli, content, rich_project};
use crate::pg::{TestDb, import, local, mixed, tv_track};
use crate::util::{Dir, assert_exit, assert_valid_gpkg, run_cli_in, text};

fn police_event(id: &str, category: Category, description: &str) -> Incident {
    Incident {
        external_id: Some(id.into()),
        description: Some(description.into()),
        place: Some("Sölvesborg".into()),
        ..Incident::new(
            local(2025, 4, 2, 22, 15),
            category,
            Source::Polis,
            LonLat::new(14.5855, 56.0503),
            500.0,
        )
    }
}

/// The db_sync tests' project plus what a round trip lost before: police
/// events edited once (so one earlier version in the history) with a
/// summary, the week plan's fixed cells, retention settings and a
/// description.
fn full_project(dir: &Dir, name: &str) -> PathBuf {
    let path = rich_project(dir, name);
    let mut p = store::open(&path).unwrap();
    let cancel = CancelToken::new();
    let summary = PoliceSummary {
        external_id: "438600".into(),
        published_at: local(2025, 4, 3, 8, 0),
        title: "3 april 08.00, Sammanfattning natt, Blekinge län".into(),
        kind: "Sammanfattning natt".into(),
        location: Some("Blekinge län".into()),
        position: Some(LonLat::new(15.0, 56.2)),
        summary: Some("Lugn natt.".into()),
        url: Some("/aktuellt/handelser/2025/april/3/sammanfattning/".into()),
        import_file: Some("polisen-1.json".into()),
    };
    let first = police_event("438524", Category::Ovrigt, "Först rapporterat");
    let other = police_event("438525", Category::Skadegorelse, "Klotter");
    let done = p
        .upsert_police_events("polisen-1.json", &[first, other], &[summary], &cancel)
        .unwrap();
    assert_eq!(done.inserted, 2);
    let edited = police_event("438524", Category::Stold, "Ändrat av polisen");
    let done = p
        .upsert_police_events("polisen-2.json", &[edited], &[], &cancel)
        .unwrap();
    assert_eq!(done.updated, 1);
    assert_eq!(p.police_history("438524").unwrap().len(), 1);
    p.save_week_fixed(&[WeekFixedCell {
        pair: 1,
        evening: chrono::Weekday::Fri,
        item: "Centrum".into(),
        shift: "19:00-03:00".into(),
    }])
    .unwrap();
    Policy {
        incidents: Some("5y".parse().unwrap()),
        tracks: Some("90d".parse().unwrap()),
    }
    .write(p.as_mut())
    .unwrap();
    p.set_metadata("description", "Trygghetsenhetens lägesbild")
        .unwrap();
    path
}

/// What `content` compares, plus the week plan, the police summaries and
/// history (fids left out: each store has its own) and the settings a push
/// carries.
#[derive(Debug, PartialEq)]
struct Everything {
    week: Vec<WeekFixedCell>,
    summaries: Vec<PoliceSummary>,
    history: Vec<PoliceVersion>,
    settings: Vec<(&'static str, Option<String>)>,
}

fn everything(store: &BoxedStore) -> (Content, Everything) {
    let mut history: Vec<PoliceVersion> = ["438524", "438525", "438600"]
        .iter()
        .flat_map(|id| store.police_history(id).unwrap())
        .collect();
    for v in &mut history {
        v.incident.fid = None;
    }
    let settings = copy::PUSHED_METADATA
        .iter()
        .map(|k| (*k, store.metadata(k).unwrap()))
        .collect();
    let rest = Everything {
        week: store.week_fixed().unwrap(),
        summaries: store.police_summaries().unwrap(),
        history,
        settings,
    };
    (content(store), rest)
}

fn open(path: &Path) -> BoxedStore {
    store::open(path).unwrap()
}

/// `retention URL` without `--apply` by a login that may read the project
/// but not the hosts' tracks: the incidents past their time are counted and
/// the tracks said to be out of its sight; `--apply` is still refused and
/// deletes nothing. The writer's dry run counts both.
#[test]
fn a_reader_dry_runs_retention_for_the_incidents_and_is_told_tracks_are_hidden() {
    let Some((mut db, mut admin)) = TestDb::with_project() else {
        return;
    };
    import(&mut admin, "blandat.csv", &mixed());
    admin
        .add_tracks(&[tv_track("TV01", local(2025, 3, 1, 20, 0))])
        .unwrap();
    drop(admin);
    let reader = db.login("reader", &["lagesbild_read", "lagesbild_sensitive"]);
    let writer = db.login("writer", &["lagesbild_write", "lagesbild_sensitive"]);
    let dir = Dir::new();
    let all = db.count("SELECT count(*) FROM lagesbild.incidents");

    // The writer sets the policy (nothing deleted without --apply).
    let out = run_cli_in(
        dir.root(),
        &[
            "retention",
            &writer,
            "--incidents",
            "30d",
            "--tracks",
            "30d",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{all} incidents from before")),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 tracks that ended before"),
        "the writer sees the track: {stdout}"
    );

    // The reader's dry run: incidents counted, tracks not visible.
    let out = run_cli_in(dir.root(), &["retention", &reader]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{all} incidents from before")),
        "{stdout}"
    );
    assert!(
        stdout.contains("not visible to this login") && stdout.contains("lagesbild_write"),
        "{stdout}"
    );
    assert!(!stdout.contains("tracks that ended before 20"), "{stdout}");
    let out = run_cli_in(dir.root(), &["retention", &reader, "--json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["due"]["incidents"], all, "{v}");
    assert!(v["due"]["tracks"].is_null(), "{v}");
    assert_eq!(v["tracks_visible"], false, "{v}");

    // --apply stays refused for the reader, and nothing is deleted.
    let changes = db.count("SELECT count(*) FROM lagesbild.lagesbild_changes");
    let out = run_cli_in(dir.root(), &["retention", &reader, "--apply"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("lagesbild_write"), "{stderr}");
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.incidents"), all);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.tracks"), 4);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_changes"),
        changes
    );
    // The store refuses the same way.
    let mut r = store::open(reader.as_str()).unwrap();
    assert!(matches!(
        r.apply_retention(Some(local(2026, 1, 1, 0, 0)), None),
        Err(StoreError::PermissionDenied { .. })
    ));
}

/// GeoPackage → `db push` → PostGIS → `db pull` → GeoPackage: every kind of
/// item comes back as it was (incidents with every field, police events
/// with their history and summaries, layers with their features and looks,
/// plan, week plan, views, measures, study area, description, retention
/// settings); the hosts' tracks reach the database and are never pulled;
/// the database keeps its own name. A second push sends nothing.
#[test]
fn a_geopackage_pushed_and_pulled_back_loses_nothing() {
    let Some((db, target)) = TestDb::with_project() else {
        return;
    };
    drop(target);
    let dir = Dir::new();
    let file = full_project(&dir, "mote.gpkg");
    let push = cli(
        &dir,
        &["db", "push", file.to_str().unwrap(), &db.url, "--json"],
    );
    let (stdout, stderr) = text(&push);
    assert_exit(&push, 0);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(report["complete"], true, "{stdout}");
    let r = &report["report"];
    assert_eq!(
        r["inserted"], 7,
        "five incidents and two police events: {stdout}"
    );
    assert_eq!(r["police_history"]["sent"], 1, "{stdout}");
    assert_eq!(r["police_summaries"]["sent"], 1, "{stdout}");
    assert_eq!(r["week_plan"]["sent"], 1, "{stdout}");
    assert_eq!(
        r["metadata"]["sent"], 4,
        "description, area, two retention settings: {stdout}"
    );
    assert!(r["not_copied"].as_array().unwrap().is_empty(), "{stdout}");

    let back = dir.path("tillbaka.gpkg");
    let pull = cli(
        &dir,
        &["db", "pull", &db.url, "--out", back.to_str().unwrap()],
    );
    assert_exit(&pull, 0);
    assert_valid_gpkg(&back);
    let ((a, a_rest), (b, b_rest)) = (everything(&open(&file)), everything(&open(&back)));
    assert_eq!(a.incidents, b.incidents, "every field of every incident");
    assert_eq!(a.features, b.features);
    // Everything of a layer but its drawing order (renumbered on top of the database's).
    fn looks(c: &Content) -> Vec<String> {
        c.layers
            .iter()
            .map(|(name, kind, n, style, source)| {
                let (color, opacity, visible) = (style.color, style.opacity, style.visible);
                format!("{name} {kind} {n} {source} {color:?} {opacity} {visible}")
            })
            .collect()
    }
    assert_eq!(looks(&a), looks(&b));
    assert_eq!(a.plan, b.plan);
    assert_eq!(a.views, b.views);
    assert_eq!(a.measures, b.measures);
    assert_eq!(a.area, b.area, "the study area");
    assert!(a.area.is_some());
    assert_eq!(
        a_rest, b_rest,
        "week plan, police summaries and history, settings"
    );
    assert_eq!(b_rest.history.len(), 1);
    assert_eq!(b_rest.history[0].incident.category, Category::Ovrigt);
    // Tracks go into the database and never out of it.
    assert!(b.tracks.is_empty() && b.checkins.is_empty());
    let shared = store::open(db.url.as_str()).unwrap();
    assert_eq!(shared.tracks(None, None).unwrap(), a.tracks);
    assert_eq!(
        b.name.as_deref(),
        Some("Sölvesborg test"),
        "the database's own name"
    );

    // The same file again: nothing new anywhere.
    let again = cli(
        &dir,
        &["db", "push", file.to_str().unwrap(), &db.url, "--json"],
    );
    assert_exit(&again, 0);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let r = &report["report"];
    assert_eq!(r["inserted"], 0);
    assert_eq!(r["police_history"]["sent"], 0);
    assert_eq!(r["police_history"]["duplicates"], 1);
    assert_eq!(r["week_plan"]["duplicates"], 1);
    assert_eq!(r["metadata"]["duplicates"], 4);
    assert_eq!(
        db.count("SELECT count(*) FROM lagesbild.lagesbild_police_history"),
        1
    );
}

/// A push into a database that has another study area keeps the
/// database's and says so; the exit code says not everything went.
#[test]
fn a_push_never_replaces_the_databases_own_study_area() {
    let Some((db, mut target)) = TestDb::with_project() else {
        return;
    };
    target
        .set_metadata(
            lagesbild::analysis::engine::STUDY_AREA_KEY,
            "{\"theirs\": true}",
        )
        .unwrap();
    drop(target);
    let dir = Dir::new();
    let file = full_project(&dir, "mote.gpkg");
    let push = cli(&dir, &["db", "push", file.to_str().unwrap(), &db.url]);
    assert_exit(&push, 1);
    let (stdout, _) = text(&push);
    assert!(
        stdout.contains("not sent: project setting \"study_area\": the target has another"),
        "{stdout}"
    );
    let shared = store::open(db.url.as_str()).unwrap();
    assert_eq!(
        shared
            .metadata(lagesbild::analysis::engine::STUDY_AREA_KEY)
            .unwrap()
            .as_deref(),
        Some("{\"theirs\": true}")
    );
}
