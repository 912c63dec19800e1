//! The app's plan tools on a project in the shared PostGIS database
//! (egui_kittest, the test cluster of tests/pg.rs): an area drawn on the
//! map is stored in `lagesbild.patrol_areas`, undo takes it out again and
//! redo brings it back under its id.

use egui_kittest::kittest::Queryable as _;
use lagesbild::store;

use crate::gui_plan::{click_map, open_plan_menu};
use crate::gui_util::{app_on, settle};
use crate::util::{Dir, assert_exit, run_cli_in};

#[test]
fn an_area_drawn_in_the_app_is_stored_in_the_database_and_undone() {
    let Some((db, _dir)) = demo_on_database() else {
        return;
    };
    let stored = || store::open(db.url.as_str()).unwrap().patrol_plan().unwrap();
    let mut h = app_on(std::path::PathBuf::from(&db.url));
    settle(&mut h);
    open_plan_menu(&mut h, "Planfönstret");
    assert!(h.state().plan().open);
    h.get_by_label("Rita område").click();
    h.run_steps(2);
    for (dx, dy) in [
        (-120.0, -100.0),
        (120.0, -100.0),
        (120.0, 100.0),
        (-120.0, 100.0),
    ] {
        click_map(&mut h, dx, dy);
    }
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    settle(&mut h);
    let plan = stored();
    assert_eq!(plan.areas.len(), 1);
    assert_eq!(plan.areas[0].attributes.name, "Område 1");
    assert_eq!(plan.areas[0].polygons.0[0].exterior().0.len(), 5);
    assert_eq!(db.count("SELECT count(*) FROM lagesbild.patrol_areas"), 1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert!(stored().areas.is_empty(), "undone in the database");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    settle(&mut h);
    assert_eq!(stored().areas, plan.areas, "redone under the same id");
}

/// A database project holding a 300-incident demo (`demo`, then `db push`)
/// and the folder the demo was made in; `None` where PostgreSQL tests do not run.
pub(crate) fn demo_on_database() -> Option<(crate::pg::TestDb, Dir)> {
    let (db, target) = crate::pg::TestDb::with_project()?;
    drop(target);
    let dir = Dir::new();
    let demo = ["demo", "--out", "demo.gpkg", "--count", "300"];
    assert_exit(&run_cli_in(dir.root(), &demo), 0);
    assert_exit(
        &run_cli_in(dir.root(), &["db", "push", "demo.gpkg", &db.url]),
        0,
    );
    Some((db, dir))
}
