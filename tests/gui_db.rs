//! Arkiv → "Anslut till databas" and the live refresh, in egui_kittest: the
//! dialog refuses what is no database location and any password, shows the
//! store's error when the database cannot be opened, and the app on a
//! project shows other writers' new incidents within a few seconds without
//! moving the map (two stores on one file). With a test cluster
//! (`LAGESBILD_TEST_PG_URL`, as scripts/test.sh sets it) the dialog opens
//! the database itself.

use std::time::{Duration, Instant};

use chrono::{TimeZone as _, Utc};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Incident, LonLat, Source};

use crate::gui_util::{app_on, demo, settle};
use crate::util::Dir;

fn open_dialog(h: &mut Harness<'_, LagesbildApp>) {
    h.get_by_label("Arkiv").click();
    h.run_steps(2);
    h.get_by_label("Anslut till databas…").click();
    h.run_steps(4);
    assert!(h.state().connect_dialog().is_some(), "the dialog opened");
}

fn connect_to(h: &mut Harness<'_, LagesbildApp>, location: &str) {
    h.get_by_label("Databas").click();
    h.run_steps(1);
    h.get_by_label("Databas").type_text(location);
    h.run_steps(1);
    h.get_by_label("Anslut").click();
    h.run_steps(2);
    settle(h);
}

#[test]
fn the_dialog_refuses_other_text_and_passwords_and_shows_the_store_error() {
    let dir = Dir::new();
    let path = demo(&dir, "100");
    let mut h = app_on(path.clone());
    settle(&mut h);
    open_dialog(&mut h);
    h.get_by_label_contains(".pgpass");

    // A file name is no database location.
    connect_to(&mut h, "projekt.gpkg");
    h.get_by_label_contains("börjar med postgresql://");
    assert_eq!(h.state().project().unwrap().loaded.path, path);

    // A password in the address is refused and taken out of the field.
    let dialog_text =
        |h: &Harness<'_, LagesbildApp>| h.state().connect_dialog().unwrap().text.clone();
    h.state_mut().open_connect_dialog();
    h.run_steps(1);
    connect_to(&mut h, "postgresql://anna:hemligt@127.0.0.1:1/lagesbild");
    h.get_by_label_contains("Skriv inte lösenordet i adressen");
    assert_eq!(
        dialog_text(&h),
        "postgresql://anna@127.0.0.1:1/lagesbild",
        "the password left the field"
    );
    assert!(h.query_by_label_contains("hemligt").is_none());
    assert!(!h.state().connect_dialog().unwrap().is_connecting());

    // Without the password: the store is asked, and its error is shown
    // (nothing listens on port 1), the open project stays.
    h.get_by_label("Anslut").click();
    h.run_steps(2);
    settle(&mut h);
    h.run_steps(2);
    let dialog = h.state().connect_dialog().expect("the dialog stays open");
    let error = dialog.error().expect("an error is shown").to_owned();
    assert!(error.contains("127.0.0.1:1/lagesbild"), "{error}");
    assert!(!error.contains("hemligt"), "{error}");
    h.get_by_label_contains("Kunde inte ansluta: ");
    assert_eq!(h.state().project().unwrap().loaded.path, path);
    assert_eq!(
        h.state().message(),
        None,
        "the dialog shows it, not the side panel"
    );

    // Avbryt closes it.
    h.get_by_label("Avbryt").click();
    h.run_steps(2);
    assert!(h.state().connect_dialog().is_none());
}

/// With the test cluster, the dialog opens the database as a project, the
/// side panel shows where (no user name or password), and it is remembered
/// without a password.
#[cfg(feature = "postgres")]
#[test]
fn the_dialog_opens_a_database_of_the_test_cluster() {
    let Some((db, store)) = crate::pg::TestDb::with_project() else {
        return;
    };
    drop(store);
    let dir = Dir::new();
    let path = demo(&dir, "50");
    let mut h = app_on(path);
    settle(&mut h);
    open_dialog(&mut h);
    h.get_by_label("Databas").click();
    h.run_steps(1);
    h.get_by_label("Databas").type_text(&db.url);
    h.run_steps(1);
    h.get_by_label("Anslut").click();
    h.run_steps(2);
    assert!(h.state().connect_dialog().unwrap().is_connecting());
    // Until the load lands (not `settle`: on the database some of the
    // app's later work, e.g. the plan, is not supported yet).
    let start = Instant::now();
    while h
        .state()
        .connect_dialog()
        .is_some_and(|d| d.is_connecting())
        && start.elapsed() < Duration::from_secs(20)
    {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(2);
    assert!(
        h.state().connect_dialog().is_none(),
        "closed once open: {:?} {:?}",
        h.state().connect_dialog().and_then(|d| d.error()),
        h.state().message()
    );
    let view = h.state().project().unwrap();
    assert_eq!(view.loaded.path.to_str(), Some(db.url.as_str()));
    let shown = lagesbild::store::Location::parse(&db.url).display();
    assert!(!shown.contains("postgres@"), "{shown}");
    h.get_by_label(&shown);
}

fn incident(day: u32, lon: f64) -> Incident {
    Incident::new(
        Utc.with_ymd_and_hms(2025, 3, day, 21, 0, 0).unwrap(),
        Category::Skadegorelse,
        Source::Polis,
        LonLat::new(lon, 56.05),
        10.0,
    )
}

/// Steps until `done` holds and the app is idle, for at most `limit`.
fn step_until(
    h: &mut Harness<'_, LagesbildApp>,
    limit: Duration,
    done: impl Fn(&LagesbildApp) -> bool,
) {
    let start = Instant::now();
    while start.elapsed() < limit {
        h.run_steps(1);
        if done(h.state()) && !h.state().is_busy() {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("not reached within {limit:?}");
}

#[test]
fn another_writers_incidents_appear_with_a_notice_and_the_map_stays() {
    let dir = Dir::new();
    let path = demo(&dir, "200");
    let mut h = app_on(path.clone());
    h.state_mut()
        .set_live_refresh_interval(Duration::from_millis(200));
    settle(&mut h);
    let count = |app: &LagesbildApp| app.project().map_or(0, |p| p.loaded.index.len());
    assert_eq!(count(h.state()), 200);
    let zoom = h.state().map_memory().unwrap().zoom();

    // Nothing changes: no reload, no notice, for several polls.
    for _ in 0..30 {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    let now = h.ctx.input(|i| i.time);
    assert_eq!(h.state().live_notice(now), None);
    assert_eq!(
        h.state().live_refreshes(),
        0,
        "the analysis cache is no change"
    );

    // Another writer (a second store on the same file) imports three.
    let mut other = lagesbild::store::open(&path).unwrap();
    let mut session = other.begin_import("kollega.csv").unwrap();
    for (day, lon) in [(1, 14.581), (2, 14.582), (3, 14.583)] {
        session.push(&incident(day, lon)).unwrap();
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    drop(other);
    // Seen within a few polls; the notice shows as the reload lands.
    let start = Instant::now();
    while count(h.state()) != 203 {
        assert!(start.elapsed() < Duration::from_secs(20), "not seen");
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(1);
    h.get_by_label("3 nya händelser från andra användare");
    let now = h.ctx.input(|i| i.time);
    assert_eq!(h.state().live_notice(now), Some(3));
    settle(&mut h);
    assert_eq!(h.state().live_refreshes(), 1);
    assert_eq!(
        h.state().map_memory().unwrap().zoom(),
        zoom,
        "the view is kept"
    );
    assert_eq!(h.state().project().unwrap().loaded.info.incident_count, 203);
}

#[test]
fn the_apps_own_edit_is_not_told_as_another_users() {
    let dir = Dir::new();
    let path = demo(&dir, "100");
    let mut h = app_on(path);
    h.state_mut()
        .set_live_refresh_interval(Duration::from_millis(100));
    settle(&mut h);
    let ctx = h.ctx.clone();
    h.state_mut().apply(
        &ctx,
        lagesbild::gui::app::Action::SaveIncident {
            fid: None,
            incident: Box::new(incident(4, 14.584)),
        },
    );
    let count = |app: &LagesbildApp| app.project().map_or(0, |p| p.loaded.index.len());
    step_until(&mut h, Duration::from_secs(20), |app| count(app) == 101);
    // Polls go by: the watcher sees the app's own commit, but the app has
    // reloaded it already.
    for _ in 0..40 {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    let now = h.ctx.input(|i| i.time);
    assert_eq!(h.state().live_notice(now), None);
    assert!(h.query_by_label_contains("från andra användare").is_none());
    assert_eq!(
        h.state().live_refreshes(),
        0,
        "no reload for the app's own edit"
    );
    assert_eq!(count(h.state()), 101);
}
