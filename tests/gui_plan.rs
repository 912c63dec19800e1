//! The patrol plan in the app (egui_kittest): draw an area and a route with
//! simulated clicks on the map, undo and redo, edit attributes, repair a
//! self-intersecting area, and read the coverage table.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::analysis::coverage::{CoverageParams, coverage_of};
use lagesbild::analysis::engine::{self, AreaChoice, Selection};
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::plan::Tool;
use lagesbild::jobs::CancelToken;
use lagesbild::store;

use crate::gui_util::{app_on, demo, settle};
use crate::util::Dir;

/// Clicks at `(dx, dy)` pixels from the map's centre, far enough in time
/// from the last click not to be a double-click.
fn click_map(h: &mut Harness<'_, LagesbildApp>, dx: f32, dy: f32) {
    let c = h.state().map_rect().expect("the map is shown").center();
    let pos = egui::pos2(c.x + dx, c.y + dy);
    h.event(egui::Event::PointerMoved(pos));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.run_steps(1);
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    h.run_steps(1);
}

fn stored_plan(path: &std::path::Path) -> lagesbild::model::plan::PatrolPlan {
    store::open(path).unwrap().patrol_plan().unwrap()
}

#[test]
fn draw_undo_redo_edit_and_read_the_coverage_table() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let mut h = app_on(path.clone());
    settle(&mut h);
    h.get_by_label("Patrullplan").click();
    h.run_steps(5);
    assert!(h.state().plan().open);
    h.get_by_label_contains("Inga områden eller rutter");

    // An area: four clicks, Enter.
    h.get_by_label("Rita område").click();
    h.run_steps(2);
    assert!(matches!(h.state().plan().tool, Tool::DrawArea(_)));
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
    let plan = stored_plan(&path);
    assert_eq!(plan.areas.len(), 1);
    assert_eq!(plan.areas[0].polygons.0[0].exterior().0.len(), 5);
    assert_eq!(plan.areas[0].attributes.name, "Område 1");

    // A route: three clicks, Enter.
    h.get_by_label("Rita rutt").click();
    h.run_steps(2);
    for (dx, dy) in [(-130.0, 150.0), (0.0, 180.0), (130.0, 150.0)] {
        click_map(&mut h, dx, dy);
    }
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    settle(&mut h);
    let plan = stored_plan(&path);
    assert_eq!(plan.routes.len(), 1);
    assert_eq!(plan.routes[0].line.0.len(), 3);
    let route_id = plan.routes[0].id;

    // Undo the route (Ctrl+Z), redo it (Ctrl+Y): the same route comes back.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert!(stored_plan(&path).routes.is_empty());
    assert_eq!(stored_plan(&path).areas.len(), 1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    settle(&mut h);
    let plan = stored_plan(&path);
    assert_eq!(plan.routes.len(), 1);
    assert_eq!(plan.routes[0].id, route_id);

    // Stops: the route is selected; add two by clicking the map.
    h.get_by_label("Lägg till stopp").click();
    h.run_steps(2);
    click_map(&mut h, -130.0, 150.0);
    settle(&mut h);
    click_map(&mut h, 130.0, 150.0);
    settle(&mut h);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    let plan = stored_plan(&path);
    let dwell: Vec<u32> = plan.routes[0].stops.iter().map(|s| s.dwell_min).collect();
    assert_eq!(dwell, [12, 12]);

    // Attributes of the area: select it by clicking inside it on the map,
    // fill in the form, tick Friday and save.
    click_map(&mut h, 0.0, 0.0);
    assert_eq!(
        h.state().plan().selected,
        plan.areas[0].id.map(lagesbild::model::plan::PlanRef::Area)
    );
    {
        let form = h
            .state_mut()
            .plan_mut()
            .form
            .as_mut()
            .expect("the form is shown");
        form.name = "Centrum".into();
        form.team = "Par 1".into();
        form.weekdays = [false; 7];
        form.whole_day = false;
        form.start_hour = 20;
        form.end_hour = 2;
    }
    h.run_steps(1);
    h.get_by_label("fre").click();
    h.run_steps(1);
    h.get_by_label("Spara ändringar").click();
    settle(&mut h);
    let area = stored_plan(&path).areas[0].clone();
    assert_eq!(area.attributes.name, "Centrum");
    assert_eq!(area.attributes.team, "Par 1");
    assert_eq!(area.attributes.weekdays_text(), "fri");
    assert_eq!(area.attributes.hours_text().as_deref(), Some("20-2"));
    // Undo the attribute change: the old name is back.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert_eq!(stored_plan(&path).areas[0].attributes.name, "Område 1");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    settle(&mut h);

    // The coverage table: one row per item and the plan total, the numbers
    // the core computes over the app's filter.
    let shown = h
        .state()
        .plan()
        .coverage
        .clone()
        .expect("coverage computed");
    h.get_by_label("Hela planen");
    h.get_by_label("Centrum");
    assert!(
        !h.get_all_by_label(&shown.total.incidents.to_string())
            .collect::<Vec<_>>()
            .is_empty()
    );
    let store = store::open(path.as_path()).unwrap();
    let loaded = engine::load(
        store.as_ref(),
        &Selection {
            filter: h.state().filter().clone(),
            include_coarse: false,
            area: AreaChoice::NoArea,
        },
        "p",
        &CancelToken::default(),
    )
    .unwrap();
    let expected = coverage_of(
        &loaded,
        &store.patrol_plan().unwrap(),
        &CoverageParams::default(),
        &CancelToken::default(),
    )
    .unwrap();
    assert_eq!(shown, expected);
    assert_eq!(shown.items.len(), 2);
    assert!(shown.total.incidents >= shown.items.iter().map(|i| i.incidents).max().unwrap());
}

#[test]
fn a_self_intersecting_area_is_offered_a_repair() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_on(path.clone());
    settle(&mut h);
    h.get_by_label("Patrullplan").click();
    h.run_steps(5);
    h.get_by_label("Rita område").click();
    h.run_steps(2);
    // A bow-tie: the edges cross in the middle.
    for (dx, dy) in [
        (-100.0, -100.0),
        (100.0, 100.0),
        (100.0, -100.0),
        (-100.0, 100.0),
    ] {
        click_map(&mut h, dx, dy);
    }
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(h.state().plan().repair.is_some());
    assert!(h.get_all_by_label_contains("korsar sig självt").count() >= 1);
    assert!(
        stored_plan(&path).areas.is_empty(),
        "nothing stored before the choice"
    );
    h.get_by_label("Reparera området").click();
    settle(&mut h);
    let plan = stored_plan(&path);
    assert_eq!(plan.areas.len(), 1);
    assert_eq!(plan.areas[0].polygons.0.len(), 2, "two triangles");
    assert_eq!(
        lagesbild::model::plan::area_validity(&plan.areas[0].polygons),
        None
    );
}

/// Presses at `from`, moves to `to` in steps, releases (pixels from the map's centre).
fn drag_map(h: &mut Harness<'_, LagesbildApp>, from: (f32, f32), to: (f32, f32)) {
    let c = h.state().map_rect().expect("the map is shown").center();
    let at = |(dx, dy): (f32, f32)| egui::pos2(c.x + dx, c.y + dy);
    h.event(egui::Event::PointerMoved(at(from)));
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: at(from),
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(1);
    for k in 1..=6 {
        let t = k as f32 / 6.0;
        h.event(egui::Event::PointerMoved(at((
            from.0 + (to.0 - from.0) * t,
            from.1 + (to.1 - from.1) * t,
        ))));
        h.run_steps(1);
    }
    h.event(egui::Event::PointerButton {
        pos: at(to),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(2);
}

#[test]
fn vertices_are_dragged_inserted_and_deleted_on_the_map() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_on(path.clone());
    settle(&mut h);
    h.get_by_label("Patrullplan").click();
    h.run_steps(5);
    h.get_by_label("Rita område").click();
    h.run_steps(2);
    for (dx, dy) in [
        (-100.0, -80.0),
        (100.0, -80.0),
        (100.0, 80.0),
        (-100.0, 80.0),
    ] {
        click_map(&mut h, dx, dy);
    }
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    // The new area is selected: its corners and midpoints are handles.
    assert!(h.state().plan().selected.is_some());
    let map_centre = h.state().map_memory().and_then(|m| m.detached());
    let ring = |path: &std::path::Path| {
        stored_plan(path).areas[0].polygons.0[0]
            .exterior()
            .0
            .clone()
    };
    let before = ring(&path);
    assert_eq!(before.len(), 5);

    // Drag the upper-right corner outwards: that vertex moves, the map does not pan.
    drag_map(&mut h, (100.0, -80.0), (140.0, -110.0));
    settle(&mut h);
    let moved = ring(&path);
    assert_eq!(moved.len(), 5);
    assert_ne!(moved[1], before[1]);
    assert_eq!(
        (moved[0], moved[2], moved[3]),
        (before[0], before[2], before[3])
    );
    assert_eq!(
        h.state().map_memory().and_then(|m| m.detached()),
        map_centre
    );

    // Drag the bottom edge's midpoint down: a vertex is inserted.
    drag_map(&mut h, (0.0, 80.0), (0.0, 120.0));
    settle(&mut h);
    assert_eq!(ring(&path).len(), 6);

    // Right-click a corner: it is deleted. Then undo brings it back.
    let c = h.state().map_rect().unwrap().center();
    let pos = egui::pos2(c.x - 100.0, c.y - 80.0);
    h.event(egui::Event::PointerMoved(pos));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Secondary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.run_steps(1);
    }
    settle(&mut h);
    assert_eq!(ring(&path).len(), 5);
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert_eq!(ring(&path).len(), 6);

    // A route started 4 px from the dragged corner snaps onto it exactly.
    h.get_by_label("Rita rutt").click();
    h.run_steps(2);
    click_map(&mut h, 143.0, -107.0);
    click_map(&mut h, 40.0, -150.0);
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    let plan = stored_plan(&path);
    assert_eq!(plan.routes[0].line.0[0], moved[1]);
}
