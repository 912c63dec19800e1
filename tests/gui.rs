//! The desktop app, driven through egui_kittest (no window, no GPU).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;

use crate::util::{Dir, assert_exit, run_cli_in};

#[test]
fn summary_window_shows_the_demo_project_and_switches_language() {
    let dir = Dir::new();
    assert_exit(
        &run_cli_in(
            dir.root(),
            &["demo", "--out", "demo.gpkg", "--count", "500"],
        ),
        0,
    );
    let path = dir.path("demo.gpkg");

    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(|cc| LagesbildApp::new(cc, Some(path.clone())));
    // Loading runs on a worker thread: step until it is done.
    for _ in 0..500 {
        harness.run_steps(1);
        if !harness.state().is_loading() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(harness.state().summary().is_some(), "project loaded");
    assert_eq!(harness.state().summary().unwrap().info.incident_count, 500);

    harness.get_by_label("SYNTETISKA DEMODATA – påhittade händelser, inte verkliga");
    harness.get_by_label("Händelser");
    harness.get_by_label("500");
    harness.get_by_label("Våld");

    harness.get_by_label("English").click();
    harness.run_steps(2);
    harness.get_by_label("Incidents");
    harness.get_by_label("Violence");
    harness.get_by_label("SYNTHETIC DEMO DATA – made-up incidents, not real ones");
}

#[test]
fn a_broken_project_shows_a_clear_error() {
    let dir = Dir::new();
    let path = dir.write("broken.gpkg", "this is not a database");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(800.0, 600.0))
        .build_eframe(|cc| LagesbildApp::new(cc, Some(path.clone())));
    for _ in 0..500 {
        harness.run_steps(1);
        if !harness.state().is_loading() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.get_by_label("Projektet kunde inte öppnas");
}
