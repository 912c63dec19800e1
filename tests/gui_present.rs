//! The planner fixes and presentation mode of issue 17, through the whole
//! app in egui_kittest (no window, no GPU, no map tiles): the mouse wheel
//! zooms, an arrow key moves a useful step, and F5 presents the saved views.

use egui::vec2;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::app::UiState;

use crate::gui_util::{app_with, demo, settle};
use crate::util::Dir;

#[test]
fn the_mouse_wheel_zooms_and_an_arrow_key_moves_a_fifth_of_the_map() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let rect = h.state().map_rect().expect("map drawn");
    let zoom = h.state().map_memory().unwrap().zoom();
    h.hover_at(rect.center());
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: vec2(0.0, 3.0),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(4);
    let zoomed = h.state().map_memory().unwrap().zoom();
    assert!(zoomed > zoom + 0.1, "wheel: zoom {zoom} -> {zoomed}");

    // One press of → moves the centre a fifth of the map's width.
    let memory = h.state().map_memory().unwrap();
    let projection = walkers::MercatorProjection;
    let here = walkers::Projector::new(rect, &projection, memory, walkers::lon_lat(0.0, 0.0));
    let before = memory.detached().expect("the user moved the map");
    h.hover_at(rect.center() + vec2(0.0, 300.0));
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    let after = h.state().map_memory().unwrap().detached().unwrap();
    let moved_px = here.project(after).x - here.project(before).x;
    let want = rect.width() / 5.0;
    assert!(
        (moved_px - want).abs() < 2.0,
        "moved {moved_px} px, want {want}"
    );
}
