//! The app's state: what is kept between runs, the project shown, the
//! background tasks running, and the map view asked for.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use walkers::{MapMemory, Position, lon_lat};

use crate::gui::i18n::Language;
use crate::gui::panels::LayerSetting;
use crate::gui::tasks::{FilterOutcome, LoadedProject, OpenTarget, Task};
use crate::gui::undo::EditDone;
use crate::import::ImportReport;
use crate::model::{Filter, Incident, LonLat};

/// State kept between runs (eframe storage). `#[serde(default)]` so that
/// files written by older versions still load.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    pub language: Language,
    /// The project open when the app last closed.
    pub last_project: Option<PathBuf>,
    /// Most recent first.
    pub recent_projects: Vec<PathBuf>,
    /// The folder the file browser last showed.
    pub last_folder: Option<PathBuf>,
    pub filter: Filter,
    /// The map view; `None` until the first project zooms the map to itself.
    pub map_memory: Option<MapMemory>,
    /// The layer panel: order (top first), visibility, opacity.
    pub layers: Vec<LayerSetting>,
}

/// The project shown, once loaded.
pub struct ProjectView {
    pub loaded: LoadedProject,
    /// The filter result currently drawn (the last good one while a new one runs).
    pub filtered: Option<FilterOutcome>,
}

/// The incident shown in the details panel, read from the project file.
pub(super) struct DetailView {
    /// Index into the loaded index's points, and its storage id.
    pub(super) index: usize,
    pub(super) fid: i64,
    /// `Ok(None)`: no longer in the project.
    pub(super) incident: Option<Result<Option<Incident>, String>>,
}

/// A finished import, shown in a window until closed.
pub(super) struct ImportOutcome {
    pub(super) reports: Vec<Result<ImportReport, String>>,
    /// Where rejected rows were saved, if any.
    pub(super) rejects_saved: Vec<(PathBuf, Result<PathBuf, String>)>,
}

/// The app's background tasks: at most one of each kind runs at a time
/// (a new load or filter cancels the one before). Each result is taken in
/// by the per-frame logic (`app/frame.rs`) or, for edits, `app/edit.rs`.
#[derive(Default)]
pub(super) struct AppTasks {
    /// Opening a project, and what is being opened.
    pub(super) loading: Option<(OpenTarget, Task<LoadedProject>)>,
    /// Applying the filter to the loaded incidents.
    pub(super) filtering: Option<Task<FilterOutcome>>,
    /// Importing files into the project.
    pub(super) importing: Option<Task<Vec<Result<ImportReport, String>>>>,
    /// Reading the selected incident for the details panel.
    pub(super) reading_incident: Option<Task<Option<Incident>>>,
    /// The store call of an edit, undo or redo.
    pub(super) editing: Option<Task<EditDone>>,
    /// Reading an incident to open in the editor.
    pub(super) opening_editor: Option<Task<Option<Incident>>>,
}

impl AppTasks {
    /// True while any of these tasks runs.
    pub(super) fn any_running(&self) -> bool {
        self.loading.is_some()
            || self.filtering.is_some()
            || self.importing.is_some()
            || self.reading_incident.is_some()
            || self.editing.is_some()
            || self.opening_editor.is_some()
    }

    /// Asks loading, importing and filtering to stop (the app is closing).
    /// An edit is left to finish: it is one short transaction.
    pub(super) fn cancel_background(&self) {
        if let Some((_, task)) = &self.loading {
            task.cancel();
        }
        if let Some(task) = &self.importing {
            task.cancel();
        }
        if let Some(task) = &self.filtering {
            task.cancel();
        }
    }
}

/// A view the map is asked to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ViewRequest {
    /// Fit this box (south-west, north-east corner).
    Extent(LonLat, LonLat),
    /// Centre on a point at this zoom.
    Point(LonLat, f64),
}

impl ViewRequest {
    /// Centre and zoom for a map of `size` points.
    pub fn view(self, size: egui::Vec2) -> (Position, f64) {
        match self {
            ViewRequest::Point(p, zoom) => (lon_lat(p.lon, p.lat), zoom),
            ViewRequest::Extent(min, max) => {
                // The middle in Web Mercator y, not in latitude.
                let y = (merc_y(min.lat) + merc_y(max.lat)) / 2.0;
                let lat = y.sinh().atan().to_degrees();
                (
                    lon_lat((min.lon + max.lon) / 2.0, lat),
                    zoom_to_fit(min, max, size),
                )
            }
        }
    }
}

/// The view last fitted and the map size it was fitted to.
pub(super) struct FittedView {
    pub(super) request: ViewRequest,
    pub(super) size: egui::Vec2,
    pub(super) center: Position,
    pub(super) zoom: f64,
    /// When the view was asked for (egui input time, seconds).
    pub(super) requested_at_s: f64,
}

/// How long after a fit the map refits while its size settles (panels
/// filling in as the filter and the analysis finish, which on a large project
/// or a busy machine takes a few seconds), as long as the user has not moved
/// the map.
pub(super) const REFIT_WINDOW_S: f64 = 10.0;

fn merc_y(lat: f64) -> f64 {
    (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
        .tan()
        .ln()
}

/// The zoom level at which the box fills a view of `size` points (Web
/// Mercator, 256-pixel tiles), with a little margin.
pub fn zoom_to_fit(min: LonLat, max: LonLat, size: egui::Vec2) -> f64 {
    let dlon = (max.lon - min.lon).abs().max(1e-4);
    let dy = (merc_y(max.lat) - merc_y(min.lat)).abs().max(1e-6);
    let zx = (f64::from(size.x) * 360.0 / (256.0 * dlon)).log2();
    let zy = (f64::from(size.y) * std::f64::consts::TAU / (256.0 * dy)).log2();
    (zx.min(zy) - 0.3).clamp(3.0, 18.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_fits_the_municipality() {
        let z = zoom_to_fit(
            LonLat::new(14.45, 55.98),
            LonLat::new(14.80, 56.18),
            egui::vec2(1000.0, 700.0),
        );
        assert!((10.0..12.5).contains(&z), "{z}");
        // A point-sized extent is clamped, not infinite.
        let p = LonLat::new(14.58, 56.05);
        assert_eq!(zoom_to_fit(p, p, egui::vec2(800.0, 600.0)), 18.0);
    }
}
