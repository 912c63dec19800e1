//! The desktop app, driven through egui_kittest (no window, no GPU, no tiles).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::Action;
use lagesbild::model::{Filter, HourRange};

use crate::gui_util::{app_on, demo, settle};
use crate::util::Dir;

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
