//! The desktop app (feature `gui`): the only module that uses egui.
//!
//! `app` holds the app state and draws it; `tasks` runs loading, filtering
//! and importing off the UI thread; `i18n` holds every visible string
//! (Swedish by default); `windows` the dialogs; `scale_bar` the map's scale;
//! `undo` the history of incident edits.

pub mod analysis;
pub mod app;
/// A shared database: "Anslut till databas" and the live refresh.
pub mod db;
pub mod follow;
pub mod i18n;
/// A foreign GeoPackage (QGIS, ogr2ogr) offered as incidents with a field mapping.
pub mod import_gpkg;
pub mod map;
pub mod panels;
pub mod place_search;
pub mod plan;
pub mod present;
pub mod retention;
pub mod scale_bar;
pub mod store_text;
pub mod tasks;
/// Time patterns window, time slider and change map.
pub mod time;
pub mod undo;
pub mod windows;

use std::path::PathBuf;

pub use app::LagesbildApp;

/// Opens the desktop app on `project`, or on the last project, or on the demo.
pub fn run(project: Option<PathBuf>) -> anyhow::Result<()> {
    crate::log::init("app");
    ::log::info!("the app starts ({})", crate::APP_NAME_VERSION);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Lägesbild")
            .with_app_id("lagesbild")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0]),
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "Lägesbild",
        options,
        Box::new(move |cc| Ok(Box::new(LagesbildApp::new(cc, project)))),
    )
    .map_err(|e| anyhow::anyhow!("could not start the window: {e}"))
}
