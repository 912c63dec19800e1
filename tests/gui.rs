//! The desktop app, driven through egui_kittest (no window, no GPU, no tiles).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::{Action, UiState};
use lagesbild::model::{Filter, HourRange};

use crate::util::{Dir, assert_exit, run_cli_in};

/// Steps the harness until the app has no background work left.
fn settle(harness: &mut Harness<'_, LagesbildApp>) {
    for _ in 0..1000 {
        harness.run_steps(1);
        if !harness.state().is_busy() {
            harness.run_steps(1);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the app did not finish its background work");
}

fn app_on(path: std::path::PathBuf) -> Harness<'static, LagesbildApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            LagesbildApp::with_state(&cc.egui_ctx, UiState::default(), Some(path.clone()))
                .without_map_tiles()
        })
}

fn demo(dir: &Dir, count: &str) -> std::path::PathBuf {
    assert_exit(
        &run_cli_in(
            dir.root(),
            &["demo", "--out", "demo.gpkg", "--count", count],
        ),
        0,
    );
    dir.path("demo.gpkg")
}

fn shown_count(harness: &Harness<'_, LagesbildApp>) -> u64 {
    harness
        .state()
        .project()
        .and_then(|p| p.filtered.as_ref())
        .map(|f| f.stats.total)
        .expect("a filter result")
}

#[test]
fn opens_the_demo_project_and_switches_language() {
    let dir = Dir::new();
    let mut harness = app_on(demo(&dir, "500"));
    settle(&mut harness);
    let view = harness.state().project().expect("project loaded");
    assert_eq!(view.loaded.info.incident_count, 500);
    assert_eq!(shown_count(&harness), 500);

    harness.get_by_label("SYNTETISKA DEMODATA – påhittade händelser, inte verkliga");
    harness.get_by_label("Arkiv");
    harness.get_by_label("English").click();
    harness.run_steps(2);
    harness.get_by_label("File");
    harness.get_by_label("SYNTHETIC DEMO DATA – made-up incidents, not real ones");
}

#[test]
fn a_filter_changes_the_counts() {
    let dir = Dir::new();
    let mut harness = app_on(demo(&dir, "800"));
    settle(&mut harness);
    let all = shown_count(&harness);
    let evening = harness
        .state()
        .project()
        .and_then(|p| p.filtered.as_ref())
        .map(|f| f.stats.evening_night)
        .unwrap();
    let ctx = harness.ctx.clone();
    harness.state_mut().set_filter(
        &ctx,
        Filter {
            hours: Some(HourRange::EVENINGS_AND_NIGHTS),
            ..Filter::default()
        },
    );
    settle(&mut harness);
    assert_eq!(shown_count(&harness), evening);
    assert!(evening < all);
}

#[test]
fn importing_through_the_menu_path_grows_the_project() {
    let dir = Dir::new();
    let mut harness = app_on(demo(&dir, "300"));
    settle(&mut harness);
    let csv = dir.write(
        "host_reports.csv",
        "id,lon,lat,tidpunkt,kategori,källa\n\
         T-1,14.5830,56.0505,2025-05-02 22:10,ordningsstörning,trygghetsvärd\n\
         T-2,14.5851,56.0512,2025-05-02 23:40,otrygghet,trygghetsvärd\n",
    );
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(&ctx, Action::Import(vec![csv]));
    settle(&mut harness);
    assert_eq!(harness.state().project().unwrap().loaded.index.len(), 302);
    assert_eq!(shown_count(&harness), 302);
    harness.get_by_label("Importrapport");
}

#[test]
fn a_broken_project_shows_a_clear_error() {
    let dir = Dir::new();
    let path = dir.write("broken.gpkg", "this is not a database");
    let mut harness = app_on(path);
    settle(&mut harness);
    let msg = harness
        .state()
        .message()
        .expect("an error message")
        .to_owned();
    assert!(msg.contains("broken.gpkg"), "{msg}");
    assert!(msg.starts_with("Projektet kunde inte öppnas"), "{msg}");
}

#[test]
fn the_filter_panel_drives_the_map_and_counts() {
    let dir = Dir::new();
    let mut harness = app_on(demo(&dir, "800"));
    settle(&mut harness);
    let evening = harness
        .state()
        .project()
        .and_then(|p| p.filtered.as_ref())
        .map(|f| f.stats.evening_night)
        .unwrap();
    assert!(
        harness.state().incident_layer().data().is_some(),
        "layer has data"
    );

    harness.get_by_label("Kvällar och nätter 18–06").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().filter().hours,
        Some(HourRange::EVENINGS_AND_NIGHTS)
    );
    assert_eq!(shown_count(&harness), evening);
    // The incident layer follows the same filter result.
    let counted: u64 = harness
        .state()
        .incident_layer()
        .data()
        .unwrap()
        .counts_per_category()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(counted, evening);
}
