//! The live refresh of every kind of change, in egui_kittest, on the shared
//! PostGIS database (the test cluster of tests/pg.rs) and on a GeoPackage:
//! a second store moves and recategorises an incident (every count stays),
//! adds a patrol area, a measure and a saved view, and changes the area the
//! user is editing; the app shows each within a few seconds of polling,
//! reloads the whole project only for the incident, and keeps the user's
//! unsaved forms (the incident editor's, the plan window's) with a note.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::model::LonLat;
use lagesbild::model::plan::PlanRef;
use lagesbild::model::view::{SavedView, ViewExtent};
use lagesbild::store::{self, BoxedStore};

use crate::gui_util::{app_on, demo, settle};
use crate::store::measure;
use crate::store::plan_items::area;
use crate::util::Dir;

/// How long a change may take to show (the app polls every 200 ms here).
const WITHIN: Duration = Duration::from_secs(10);

/// Steps frames until `done` holds; fails after [`WITHIN`] naming `what`.
fn shows(h: &mut Harness<'_, LagesbildApp>, what: &str, done: impl Fn(&LagesbildApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < WITHIN,
            "{what}: not shown within {WITHIN:?}"
        );
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(2);
}

fn view(title: &str) -> SavedView {
    SavedView {
        title: title.into(),
        notes: String::new(),
        extent: ViewExtent::from_corners(LonLat::new(14.55, 56.03), LonLat::new(14.62, 56.07)),
        layers: Vec::new(),
        filter: Default::default(),
        analysis: Default::default(),
    }
}

/// The app on `location`; `other` is a second writer's store on it.
fn every_kind_of_change_reaches_the_app(location: PathBuf, mut other: BoxedStore) {
    let mut h = app_on(location);
    h.state_mut()
        .set_live_refresh_interval(Duration::from_millis(200));
    settle(&mut h);
    let info = h.state().project().unwrap().loaded.info.clone();

    // Nothing changes: nothing is read again, for several polls.
    for _ in 0..25 {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    settle(&mut h);
    assert_eq!(h.state().live_refreshes(), 0, "no change, no reload");

    // 1. An incident moved and given another category, and one given back
    // the first one's category: the counts by category stay as they were.
    let points = h.state().project().unwrap().loaded.index.points().to_vec();
    let a = points[0];
    let b = points
        .iter()
        .find(|p| p.category != a.category)
        .copied()
        .expect("two categories in the demo data");
    // The user has the first one open in the editor.
    let ctx = h.ctx.clone();
    h.state_mut().edit_incident(&ctx, a.fid);
    settle(&mut h);
    assert_eq!(
        h.state().incident_editor().and_then(|e| e.fid()),
        Some(a.fid)
    );
    let form = h.state().incident_editor().unwrap().form().clone();
    let moved = LonLat::new(a.position.lon + 0.002, a.position.lat + 0.001);
    let mut first = other.incident(a.fid).unwrap().unwrap();
    first.position = moved;
    first.category = b.category;
    let mut second = other.incident(b.fid).unwrap().unwrap();
    second.category = a.category;
    other.update_incident(a.fid, &first).unwrap();
    other.update_incident(b.fid, &second).unwrap();
    let point_of = |app: &LagesbildApp, fid: i64| {
        app.project().and_then(|p| {
            p.loaded
                .index
                .points()
                .iter()
                .find(|p| p.fid == fid)
                .copied()
        })
    };
    shows(&mut h, "the moved and recategorised incidents", |app| {
        point_of(app, a.fid).is_some_and(|p| p.category == b.category && p.position == moved)
            && point_of(app, b.fid).is_some_and(|p| p.category == a.category)
    });
    // The editor keeps what the user has and says another user changed it.
    let editor = h.state().incident_editor().expect("the editor stays open");
    assert_eq!(editor.form(), &form, "the user's form is kept");
    let note = editor.note().unwrap_or_default();
    assert!(
        note.contains("En annan användare ändrade den här händelsen"),
        "{note:?}"
    );
    h.get_by_label_contains("En annan användare ändrade den här händelsen");
    let now_info = h.state().project().unwrap().loaded.info.clone();
    assert_eq!(now_info.incident_count, info.incident_count);
    assert_eq!(now_info.by_category, info.by_category, "the counts stayed");
    settle(&mut h);
    assert_eq!(
        h.state().live_refreshes(),
        1,
        "one reload for the incidents"
    );

    // 2. A patrol area: the plan is read again, not the whole project.
    let area_id = other.save_patrol_area(&area("Torget")).unwrap();
    shows(&mut h, "the new patrol area", |app| {
        app.plan().plan.areas.iter().any(|a| a.id == Some(area_id))
    });
    h.get_by_label("Uppdaterat från andra användare: patrullplan");

    // 3. A measure, in the follow-up window's list.
    other
        .add_measure(&measure("Belysning", (2025, 1, 1)))
        .unwrap();
    shows(&mut h, "the new measure", |app| {
        app.follow()
            .measures()
            .iter()
            .any(|m| m.name == "Belysning")
    });

    // 4. A saved view.
    other.put_views(&[view("Torget kväll")]).unwrap();
    shows(&mut h, "the new view", |app| {
        app.saved_views().iter().any(|v| v.title == "Torget kväll")
    });
    settle(&mut h);
    assert_eq!(
        h.state().live_refreshes(),
        1,
        "plan, measure and view were read on their own"
    );

    // 5. The user edits the area's name (unsaved) while another user
    // changes its note: the form keeps the user's name, the window says so.
    h.state_mut()
        .plan_mut()
        .select(Some(PlanRef::Area(area_id)));
    h.state_mut().plan_mut().form.as_mut().unwrap().name = "Torget (mitt utkast)".into();
    let mut changed = other.patrol_plan().unwrap().areas.remove(0);
    changed.attributes.note = "Ny anteckning".into();
    other.save_patrol_area(&changed).unwrap();
    shows(&mut h, "the other user's note", |app| {
        app.plan()
            .plan
            .areas
            .iter()
            .any(|a| a.attributes.note == "Ny anteckning")
    });
    let plan = h.state().plan();
    assert_eq!(
        plan.form.as_ref().map(|f| f.name.as_str()),
        Some("Torget (mitt utkast)"),
        "the unsaved edit is kept"
    );
    let note = plan.message.clone().unwrap_or_default();
    assert!(
        note.contains("Dina osparade ändringar finns kvar"),
        "{note}"
    );
    assert_eq!(plan.selected, Some(PlanRef::Area(area_id)));
}

#[test]
fn every_kind_of_change_reaches_the_app_on_the_database() {
    let Some((db, _dir)) = crate::gui_pg_plan::demo_on_database() else {
        return;
    };
    let other = store::open(db.url.as_str()).unwrap();
    every_kind_of_change_reaches_the_app(PathBuf::from(&db.url), other);
}

#[test]
fn every_kind_of_change_reaches_the_app_on_a_geopackage() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let other = store::open(&path).unwrap();
    every_kind_of_change_reaches_the_app(path, other);
}

#[test]
fn the_database_names_each_kind_that_changed_views_and_metadata_too() {
    // The store's own writes note the views' and the metadata's changes.
    let Some((_db, mut store)) = crate::pg::TestDb::with_project() else {
        return;
    };
    let before = store.change_stamps().unwrap();
    store.save_patrol_area(&area("Hamnen")).unwrap();
    let after = store.change_stamps().unwrap();
    assert_eq!(
        after.changed_since(&before),
        [lagesbild::store::changes::ChangeKind::Plan].into()
    );
    store.put_views(&[view("Hamnen")]).unwrap();
    store.set_metadata("description", "ny").unwrap();
    assert_eq!(
        store.change_stamps().unwrap().changed_since(&after),
        [
            lagesbild::store::changes::ChangeKind::Views,
            lagesbild::store::changes::ChangeKind::Project
        ]
        .into()
    );
}
