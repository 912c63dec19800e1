//! The app: state, the background tasks it runs, and how it is drawn.
//!
//! Drawing reports what the user asked for as [`Action`]s; they are applied
//! after the frame is drawn. Loading, filtering and importing run as
//! [`Task`](super::tasks::Task)s off the UI thread; `ui()` only reads
//! prepared data.
//!
//! | file | what it holds |
//! |------|---------------|
//! | `app.rs` | [`LagesbildApp`]: its fields, construction, read access, `eframe::App` |
//! | `app/state.rs` | the state types: kept between runs, the project shown, running tasks, views |
//! | `app/frame.rs` | per-frame logic: finished tasks, shortcuts, dropped files, details |
//! | `app/draw.rs` | drawing: menus, status bar, panels, map, windows |
//! | `app/commands.rs` | [`Action`]s and how they are carried out |
//! | `app/edit.rs` | adding, editing and deleting incidents, with undo |
//! | `app/overlays.rs` | the shape layers the user adds |
//! | `app/present.rs` | saved views and presentation mode (F5) |
//! | `app/plan.rs` | the patrol plan window and map tools |
//! | `app/db.rs` | "Anslut till databas" and the live refresh |
//! | `app/import_gpkg.rs` | a foreign GeoPackage's point layer offered as incidents |

use std::path::PathBuf;

use walkers::{MapMemory, Position, lon_lat};

use super::analysis::AnalysisState;
use super::i18n::Language;
use super::map::area_download::dialog::AreaDownloadDialog;
use super::map::incidents::IncidentLayer;
use super::map::tiles::TileManager;
use super::panels::{DetailsPanel, FilterPanel, HistogramPanel, LayersPanel};
use super::tasks::OpenTarget;
use super::windows::file_browser::FileBrowser;
use crate::model::{Filter, Incident, LonLat};

mod commands;
mod db;
mod draw;
mod edit;
mod export_image;
mod frame;
mod import_gpkg;
mod overlays;
mod plan;
mod present;
mod state;

pub use commands::Action;
use state::{AppTasks, DetailView, FittedView, ImportOutcome};
pub use state::{ProjectView, UiState, ViewRequest, zoom_to_fit};

/// Sölvesborg's town centre: where the map opens without a project extent.
pub fn solvesborg() -> Position {
    lon_lat(14.583, 56.0505)
}

/// Zoom level "zoom to selection" shows a single incident at.
pub const SELECTION_ZOOM: f64 = 16.0;

/// Quits the app (File menu).
pub const QUIT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::Q);

/// How many recent projects the File menu lists.
const RECENT_MAX: usize = 8;

/// The desktop app.
pub struct LagesbildApp {
    state: UiState,
    project: Option<ProjectView>,
    /// The background tasks running (`app/state.rs`).
    tasks: AppTasks,
    filter_generation: u64,
    import_outcome: Option<ImportOutcome>,
    file_browser: Option<FileBrowser>,
    /// A message for the user (errors from tasks), shown until dismissed.
    message: Option<String>,
    /// Cursor position over the map, WGS84.
    cursor: Option<LonLat>,
    /// Zoom to the project's extent on the first frame after loading ends
    /// (the size of the map is known then).
    zoom_to_project: bool,
    /// A view to show on the next map frame (zoom to project / selection).
    view_request: Option<ViewRequest>,
    /// The last view fitted, refitted while the map's size settles (side
    /// panel, window manager) as long as the user has not moved the map.
    fitted: Option<FittedView>,
    /// Where the map was drawn last frame.
    map_rect: Option<egui::Rect>,
    /// Background map tiles, made on the first map frame; `None` without tiles.
    tiles: Option<TileManager>,
    tiles_enabled: bool,
    incident_layer: IncidentLayer,
    filter_panel: FilterPanel,
    histogram: HistogramPanel,
    /// Heatmap, hotspots and strategic places: computation, layers, panel.
    analysis: AnalysisState,
    layers: LayersPanel,
    details: DetailsPanel,
    detail: Option<DetailView>,
    /// Adding, editing and deleting incidents, with undo (`app/edit.rs`).
    edit: edit::EditState,
    overlays: overlays::OverlayState,
    /// The patrol plan: drawing, editing, coverage (`app/plan.rs`).
    plan: crate::gui::plan::PlanState,
    /// The "download map area" window, while open.
    area_download: Option<AreaDownloadDialog>,
    /// Time patterns, time slider and change map (`gui/time`).
    time: crate::gui::time::TimeState,
    /// The follow-up window: measures, evaluation, presence (`gui/follow`).
    follow: super::follow::FollowPanel,
    /// "Sök plats" in the menu bar.
    place_search: crate::gui::place_search::PlaceSearch,
    /// The plain background without tiles: boundary and locality names.
    plain: super::map::plain::PlainMap,
    /// Arkiv → Exportera bild: the running export and its outcome.
    image_export: export_image::ImageExport,
    /// The user closed the note that tiles are missing.
    tile_note_closed: bool,
    /// Open and scroll to the analysis section on the next frame.
    focus_analysis: bool,
    /// Saved views and presentation mode (`app/present.rs`).
    present: present::PresentState,
    /// The retention question at start-up (`gui/retention`).
    retention: crate::gui::retention::RetentionPrompt,
    /// The largest fid before the running or last import.
    import_fid_floor: Option<i64>,
    /// Extent of what the last import added, once known (import report).
    import_extent: Option<Option<(LonLat, LonLat)>>,
    /// Arkiv → "Anslut till databas", while open (`app/db.rs`).
    connect: Option<crate::gui::db::ConnectDialog>,
    /// Other users' changes seen and reloaded (`app/db.rs`).
    live: crate::gui::db::LiveRefresh,
    /// A foreign GeoPackage's point layer offered as incidents
    /// (`app/import_gpkg.rs`), while its dialog is open.
    gpkg_import: Option<crate::gui::import_gpkg::GpkgImportDialog>,
}

/// The key of [`UiState`] in eframe's storage.
pub const STATE_KEY: &str = "lagesbild_state";

impl LagesbildApp {
    /// Opens `project`, or the last project, or the demo project.
    pub fn new(cc: &eframe::CreationContext<'_>, project: Option<PathBuf>) -> Self {
        let state: UiState = cc
            .storage
            .and_then(|s| eframe::get_value(s, STATE_KEY))
            .unwrap_or_default();
        Self::with_state(&cc.egui_ctx, state, project)
    }

    /// As [`LagesbildApp::new`], with the persisted state given (tests).
    pub fn with_state(ctx: &egui::Context, state: UiState, project: Option<PathBuf>) -> Self {
        let target = match project {
            Some(p) => OpenTarget::Path(p),
            None => match &state.last_project {
                Some(p) if p.exists() || p.to_str().is_some_and(crate::gui::db::is_database) => {
                    OpenTarget::Path(p.clone())
                }
                _ => OpenTarget::Demo,
            },
        };
        // The analysis layers are listed with their default look first, so
        // that the saved settings then win over those defaults.
        let mut analysis = AnalysisState::default();
        let mut layers = LayersPanel::standard();
        analysis.sync_with_layers_panel(state.language, &mut layers);
        layers.apply_settings(&state.layers);
        let mut app = Self {
            layers,
            details: DetailsPanel::default(),
            detail: None,
            zoom_to_project: state.map_memory.is_none(),
            view_request: None,
            fitted: None,
            map_rect: None,
            state,
            project: None,
            tasks: AppTasks::default(),
            filter_generation: 0,
            import_outcome: None,
            file_browser: None,
            message: None,
            cursor: None,
            tiles: None,
            tiles_enabled: true,
            incident_layer: IncidentLayer::default(),
            filter_panel: FilterPanel::default(),
            histogram: HistogramPanel,
            analysis,
            edit: edit::EditState::default(),
            overlays: overlays::OverlayState::default(),
            plan: crate::gui::plan::PlanState::default(),
            area_download: None,
            time: crate::gui::time::TimeState::default(),
            follow: super::follow::FollowPanel::default(),
            place_search: Default::default(),
            plain: super::map::plain::PlainMap::default_boundary(),
            image_export: export_image::ImageExport::default(),
            tile_note_closed: false,
            focus_analysis: false,
            present: present::PresentState::default(),
            retention: Default::default(),
            import_fid_floor: None,
            import_extent: None,
            connect: None,
            live: Default::default(),
            gpkg_import: None,
        };
        app.start_loading(ctx, target);
        app
    }

    /// Draws the map without background tiles (tests, no network at all).
    pub fn without_map_tiles(mut self) -> Self {
        self.tiles_enabled = false;
        self.tiles = None;
        self
    }

    /// Uses `tiles` for the background map (tests give a catalogue of their own).
    pub fn with_tile_manager(mut self, tiles: TileManager) -> Self {
        self.tiles_enabled = true;
        self.tiles = Some(tiles);
        self
    }

    /// The incident layer (selection, what it drew).
    pub fn incident_layer(&self) -> &IncidentLayer {
        &self.incident_layer
    }

    /// The analysis (parameters, last result, layer styles).
    pub fn analysis(&self) -> &AnalysisState {
        &self.analysis
    }

    /// The analysis, to change parameters or styles as the panel does.
    pub fn analysis_mut(&mut self) -> &mut AnalysisState {
        &mut self.analysis
    }

    /// Time patterns, time slider and change map.
    pub fn time(&self) -> &crate::gui::time::TimeState {
        &self.time
    }

    /// Time patterns, to open the window or step the slider as its buttons do.
    pub fn time_mut(&mut self) -> &mut crate::gui::time::TimeState {
        &mut self.time
    }

    /// The map's view (centre and zoom), once the map has been drawn.
    pub fn map_memory(&self) -> Option<&MapMemory> {
        self.state.map_memory.as_ref()
    }

    /// Where the map was drawn in the last frame.
    pub fn map_rect(&self) -> Option<egui::Rect> {
        self.map_rect
    }

    /// The layer panel (order, visibility, opacity of each map layer).
    pub fn layers(&self) -> &LayersPanel {
        &self.layers
    }

    /// The layer panel, to mark layers available or set their legends.
    pub fn layers_mut(&mut self) -> &mut LayersPanel {
        &mut self.layers
    }

    /// The UI language in use.
    pub fn language(&self) -> Language {
        self.state.language
    }

    /// True while a project is being read.
    pub fn is_loading(&self) -> bool {
        self.tasks.loading.is_some()
    }

    /// True while any background task runs (load, filter, import, reading
    /// the selected incident).
    pub fn is_busy(&self) -> bool {
        self.tasks.any_running()
            || self.analysis.is_busy()
            || self.overlays.is_busy()
            || self.plan.is_busy()
            || self.present.is_busy()
            || self.time.is_busy()
            || self.follow.is_busy()
            || self.image_export.is_busy()
            || self.retention.is_busy()
            || self.gpkg_import.as_ref().is_some_and(|d| d.is_busy())
    }

    /// The retention question (what is past its time, the user's answer).
    pub fn retention(&self) -> &crate::gui::retention::RetentionPrompt {
        &self.retention
    }

    /// The follow-up window (measures, evaluation, presence).
    pub fn follow(&self) -> &super::follow::FollowPanel {
        &self.follow
    }

    /// The follow-up window, to fill its form as a user would.
    pub fn follow_mut(&mut self) -> &mut super::follow::FollowPanel {
        &mut self.follow
    }

    /// Selects incident `i` (an index into the loaded index's points) as a
    /// click on the map does, or clears the selection with `None`.
    pub fn select_incident(&mut self, i: Option<usize>) {
        self.incident_layer.clear_selection();
        self.incident_layer.select(i);
    }

    /// The incident the details panel shows, once read from the project.
    pub fn selected_incident(&self) -> Option<&Incident> {
        match &self.detail {
            Some(DetailView {
                incident: Some(Ok(Some(incident))),
                ..
            }) => Some(incident),
            _ => None,
        }
    }

    /// True when an incident is selected, by click or box.
    pub fn has_selection(&self) -> bool {
        self.incident_layer.selected().is_some() || !self.incident_layer.box_selection().is_empty()
    }

    /// The open project, if any.
    pub fn project(&self) -> Option<&ProjectView> {
        self.project.as_ref()
    }

    /// The filter being applied.
    pub fn filter(&self) -> &Filter {
        &self.state.filter
    }

    /// The last message shown to the user (errors), if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl eframe::App for LagesbildApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.frame_logic(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.layers = self.layers.settings();
        eframe::set_value(storage, STATE_KEY, &self.state);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.tasks.cancel_background();
        if let Some(dialog) = &self.gpkg_import {
            dialog.cancel();
        }
        self.analysis.cancel();
        self.time.cancel();
    }
}
