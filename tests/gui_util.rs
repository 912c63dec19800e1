//! What the egui_kittest tests of the desktop app share: a demo project to
//! open, the app on it in a harness (no window, no GPU, no map tiles), and
//! stepping until its background work is done.

use egui_kittest::Harness;
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::UiState;

use crate::util::{Dir, assert_exit, run_cli_in};

/// Steps the harness until the app has had no background work for two
/// frames in a row (a finished task may start the next, e.g. load, then
/// filter, then analysis).
pub fn settle(harness: &mut Harness<'_, LagesbildApp>) {
    for _ in 0..2000 {
        harness.run_steps(1);
        if !harness.state().is_busy() {
            harness.run_steps(2);
            if !harness.state().is_busy() {
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the app did not finish its background work");
}

/// The app on `path` with the persisted `state`, in a window of `size`.
pub fn app_with(
    path: std::path::PathBuf,
    state: UiState,
    size: egui::Vec2,
) -> Harness<'static, LagesbildApp> {
    let state = std::cell::RefCell::new(Some(state));
    Harness::builder().with_size(size).build_eframe(move |cc| {
        let state = state.borrow_mut().take().unwrap_or_default();
        LagesbildApp::with_state(&cc.egui_ctx, state, Some(path.clone())).without_map_tiles()
    })
}

/// The app on `path` with no saved state, in a 1280 × 800 window.
pub fn app_on(path: std::path::PathBuf) -> Harness<'static, LagesbildApp> {
    app_with(path, UiState::default(), egui::vec2(1280.0, 800.0))
}

/// A synthetic demo project of `count` incidents in `dir`, made by the CLI.
pub fn demo(dir: &Dir, count: &str) -> std::path::PathBuf {
    assert_exit(
        &run_cli_in(
            dir.root(),
            &["demo", "--out", "demo.gpkg", "--count", count],
        ),
        0,
    );
    dir.path("demo.gpkg")
}
