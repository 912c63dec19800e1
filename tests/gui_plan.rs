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
pub(crate) fn click_map(h: &mut Harness<'_, LagesbildApp>, dx: f32, dy: f32) {
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

/// Picks `entry` in the Patrullplan menu.
pub(crate) fn open_plan_menu(h: &mut Harness<'_, LagesbildApp>, entry: &str) {
    // The menu's button (the plan window's title is "Patrullplan" too).
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Patrullplan")
        .click();
    h.run_steps(3);
    h.get_by_label(entry).click();
    h.run_steps(5);
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
    open_plan_menu(&mut h, "Planfönstret");
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
    // The reach columns count the hot cells and strategic places the
    // app's analysis shows.
    let out = h.state().analysis().output().cloned().expect("analysed");
    let params = CoverageParams {
        hot_cells: out.hotspots.as_ref().ok().map(|v| v.hotspots.hot_centres()),
        places: out
            .places
            .as_ref()
            .ok()
            .map(|v| v.places.places.iter().map(|p| p.xy).collect()),
        ..CoverageParams::default()
    };
    assert!(params.places.as_ref().is_some_and(|p| !p.is_empty()));
    let expected = coverage_of(
        &loaded,
        &store.patrol_plan().unwrap(),
        &params,
        &CancelToken::default(),
    )
    .unwrap();
    assert_eq!(shown, expected);
    assert_eq!(shown.items.len(), 2);
    h.get_by_label("Heta");
    h.get_by_label("Platser");
    assert!(
        shown
            .items
            .iter()
            .all(|i| i.hot_cells.is_some() && i.places.is_some())
    );
    assert!(shown.total.incidents >= shown.items.iter().map(|i| i.incidents).max().unwrap());
}

#[test]
fn a_self_intersecting_area_is_offered_a_repair() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_on(path.clone());
    settle(&mut h);
    open_plan_menu(&mut h, "Planfönstret");
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
    open_plan_menu(&mut h, "Planfönstret");
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

/// Steps until the route draft has been computed and stored.
fn settle_plan(h: &mut Harness<'_, LagesbildApp>) {
    for _ in 0..3000 {
        h.run_steps(1);
        let p = h.state().plan();
        if !p.draft.is_running() && !p.is_busy() && !p.week.is_computing() && !h.state().is_busy() {
            h.run_steps(2);
            let p = h.state().plan();
            if !p.draft.is_running() && !p.is_busy() && !p.week.is_computing() {
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the plan's background work did not finish");
}

#[test]
fn a_route_draft_from_the_strategic_places_is_stored_selected_and_undone() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let mut h = app_on(path.clone());
    settle(&mut h);
    let places = h.state().strategic_places();
    assert!(places.len() >= 3, "the analysis gives strategic places");
    open_plan_menu(&mut h, "Ruttutkast från platser …");
    assert!(h.state().plan().draft.open);
    // No network chosen: the window says the legs are straight lines.
    h.get_by_label_contains("Utan gångnät: raka linjer");
    // Leave the last place out, and click the base on the map.
    let (last, _) = places.last().unwrap().clone();
    h.get_by_label(&last).click();
    h.run_steps(2);
    h.get_by_label("Klicka bas på kartan").click();
    h.run_steps(2);
    assert_eq!(h.state().plan().tool, Tool::PickBase);
    // Away from the draft window.
    click_map(&mut h, 250.0, 250.0);
    let base = h.state().plan().draft.base.expect("the click set the base");
    assert_eq!(h.state().plan().tool, Tool::Idle);
    h.get_by_label("Skapa ruttutkast").click();
    settle_plan(&mut h);

    let plan = stored_plan(&path);
    assert_eq!(plan.routes.len(), 1);
    let route = &plan.routes[0];
    let mut names: Vec<String> = route.stops.iter().map(|s| s.name.clone()).collect();
    names.sort();
    let mut want: Vec<String> = places[..places.len() - 1]
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    want.sort();
    assert_eq!(
        names, want,
        "every ticked place is a stop, the unticked one is not"
    );
    assert!(route.stops.iter().all(|s| s.dwell_min == 12));
    // The loop starts and ends at the clicked base.
    let first = route.line.0[0];
    assert!((first.x - base.lon).abs() < 1e-6 && (first.y - base.lat).abs() < 1e-6);
    assert_eq!(route.line.0.first(), route.line.0.last());
    assert_eq!(route.attributes.name, "Ruttutkast 1");
    assert!(
        route.attributes.note.contains("raka linjer"),
        "{}",
        route.attributes.note
    );
    // Selected in the plan window, so its tools edit it.
    assert_eq!(
        h.state().plan().selected,
        route.id.map(lagesbild::model::plan::PlanRef::Route)
    );
    assert!(h.state().plan().open);
    h.get_by_label("Lägg till stopp");
    assert_eq!(
        h.state().plan().form.as_ref().map(|f| f.stops.len()),
        Some(places.len() - 1)
    );

    // Undo removes it.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle_plan(&mut h);
    assert!(stored_plan(&path).routes.is_empty());

    // With a walking network (the OSM grid fixture; the places snap onto
    // its nearest lines) the legs follow it, and the note says so.
    open_plan_menu(&mut h, "Ruttutkast från platser …");
    h.state_mut().plan_mut().draft.network = Some(crate::util::fixture("network/grid.osm.pbf"));
    h.run_steps(2);
    assert!(h.query_by_label_contains("Utan gångnät").is_none());
    h.get_by_label("Skapa ruttutkast").click();
    settle_plan(&mut h);
    let plan = stored_plan(&path);
    assert_eq!(plan.routes.len(), 1);
    assert!(
        plan.routes[0].attributes.note.contains("längs gångnätet"),
        "{}",
        plan.routes[0].attributes.note
    );
    assert!(plan.routes[0].line.0.len() > places.len() + 1);

    // A network file that cannot be read: the reason, naming the file, and nothing stored.
    open_plan_menu(&mut h, "Ruttutkast från platser …");
    h.state_mut().plan_mut().draft.network = Some(dir.path("saknas.geojson"));
    h.get_by_label("Skapa ruttutkast").click();
    settle_plan(&mut h);
    assert_eq!(stored_plan(&path).routes.len(), 1);
    let notice = h.state().plan().draft.notice.clone().unwrap();
    assert!(notice.contains("saknas.geojson"), "{notice}");
    h.get_by_label(&notice);
}

#[test]
fn the_week_plan_window_proposes_changes_and_keeps_fixed_cells() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let out = crate::util::run_cli_in(
        dir.root(),
        &[
            "plan",
            "import",
            "demo.gpkg",
            crate::util::fixture("plan.geojson").to_str().unwrap(),
        ],
    );
    crate::util::assert_exit(&out, 0);
    let mut h = app_on(path.clone());
    settle(&mut h);
    {
        let w = &mut h.state_mut().plan_mut().week;
        w.pairs = 2;
        w.shifts_per_pair = 3;
    }
    open_plan_menu(&mut h, "Veckoplan …");
    settle_plan(&mut h);
    let week = &h.state().plan().week;
    assert!(week.error.is_none(), "{:?}", week.error);
    let model = week.model.clone().expect("the week was prepared");
    let plan = week.plan.clone().expect("a proposal");
    assert_eq!(plan.shifts.len(), 6, "{plan:?}");
    // Every proposed shift is on one of its item's own weekdays and hours.
    let stored = stored_plan(&path);
    let own = |name: &str| {
        stored
            .areas
            .iter()
            .map(|a| &a.attributes)
            .chain(stored.routes.iter().map(|r| &r.attributes))
            .find(|a| a.name == name)
            .cloned()
            .unwrap()
    };
    for s in &plan.shifts {
        let a = own(&model.beat_names[s.beat]);
        assert!(a.weekdays.contains(s.evening), "{s:?}");
        let start_hour = (s.shift.start_min / 60 % 24) as u8;
        assert!(a.active_at(s.evening, start_hour), "{s:?}");
    }
    h.get_by_label_contains("Förväntat inom räckhåll");

    // The planner puts pair 1 on Östra on Monday with the combo box.
    let monday = model
        .slots
        .iter()
        .position(|s| s.evening == chrono::Weekday::Mon && model.beat_names[s.beat] == "Östra")
        .expect("Östra is walked on Mondays");
    let option = format!(
        "Östra {} ({:.1}/v)",
        model.slots[monday].hours,
        model.slots[monday].reached() as f64 / model.params.weeks
    );
    h.get_by_label("Par 1 mån").click();
    h.run_steps(2);
    h.get_by_label(&option).click();
    h.run_steps(2);
    let week = &h.state().plan().week;
    assert_eq!(week.cell(1, chrono::Weekday::Mon), Some((monday, true)));
    // The figures are those of the assignments shown, at once.
    let shown = week.plan.clone().unwrap();
    assert_eq!(shown, model.evaluate(&week.assignments));
    assert!(shown.shifts.iter().any(|s| s.fixed && s.pair == 1));

    // Propose again: the fixed cell stays, the rest is filled around it.
    h.get_by_label("Föreslå igen").click();
    h.run_steps(2);
    let week = &h.state().plan().week;
    assert_eq!(week.cell(1, chrono::Weekday::Mon), Some((monday, true)));
    let again = week.plan.clone().unwrap();
    assert_eq!(again.shifts.iter().filter(|s| s.fixed).count(), 1);
    assert_eq!(again.shifts.len(), 6);
    assert!(
        again.expected <= plan.expected + 1e-9,
        "the free proposal is at least as good"
    );

    // The fixed cell is stored in the project and comes back in a new session.
    settle_plan(&mut h);
    let stored = store::open(&path).unwrap().week_fixed().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].pair, stored[0].evening, stored[0].item.as_str()),
        (1, chrono::Weekday::Mon, "Östra")
    );
    drop(h);
    let mut h = app_on(path.clone());
    settle(&mut h);
    {
        let w = &mut h.state_mut().plan_mut().week;
        w.pairs = 2;
        w.shifts_per_pair = 3;
    }
    open_plan_menu(&mut h, "Veckoplan …");
    settle_plan(&mut h);
    let week = &h.state().plan().week;
    assert_eq!(week.cell(1, chrono::Weekday::Mon), Some((monday, true)));
    assert_eq!(week.plan.as_ref().unwrap().shifts.len(), 6);
    // Unfixing all empties the stored cells.
    h.get_by_label("Lås upp alla").click();
    settle_plan(&mut h);
    assert!(store::open(&path).unwrap().week_fixed().unwrap().is_empty());
}
