//! The app: state, the background tasks it runs, and how it is drawn.
//!
//! Drawing reports what the user asked for as [`Action`]s; they are applied
//! after the frame is drawn. Loading, filtering and importing run as
//! [`Task`]s off the UI thread; `ui()` only reads prepared data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use walkers::{MapMemory, Position, lon_lat};

use super::analysis::{AnalysisState, ExportTarget};
use super::i18n::{self, Key, Language, tr};
use super::map::area_download::{
    self,
    dialog::{AreaDownloadDialog, DialogEvent},
};
use super::map::incidents::{IncidentLayer, ShownIf};
use super::map::overlays::OverlayPlugin;
use super::map::palette;
use super::map::stack::LayerStack;
use super::map::tiles::{self, TileCatalog, TileManager};
use super::panels::{
    DetailsPanel, FilterPanel, HistogramPanel, LayerChange, LayerId, LayerSetting, LayersPanel,
    selection_summary_ui, today_local,
};
use super::tasks::{self, FilterOutcome, LoadedProject, OpenTarget, Task};
use super::windows::file_browser::{FileBrowser, Purpose};
use super::windows::incident_editor;
use crate::crs::sweref_from_wgs84;
use crate::import::ImportReport;
use crate::model::{Filter, Incident, LonLat};

mod edit;
mod overlays;

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

/// Something the UI asked for; applied after drawing.
#[derive(Debug)]
pub enum Action {
    Open(OpenTarget),
    ShowFileBrowser(Purpose),
    Import(Vec<PathBuf>),
    CancelTask,
    ZoomToProject,
    /// Fit the map to the selected incident(s); nothing without a selection.
    ZoomToSelection,
    SetLanguage(Language),
    ToggleFullscreen,
    CloseImportReport,
    Quit,
    /// Write an analysis result to a file (File > Export, after the file browser).
    Export(ExportTarget, PathBuf),
    /// Centre the map on a strategic place (index = rank - 1) and select
    /// the incidents it covers.
    FocusPlace(usize),
    /// Opens the editor for a new incident at this position (map context menu).
    AddIncidentAt(LonLat),
    /// Opens the editor on stored incident `fid`.
    EditIncident(i64),
    /// Saves the editor's incident: new (`fid` None) or a change of `fid`.
    SaveIncident {
        fid: Option<i64>,
        incident: Box<Incident>,
    },
    CloseEditor,
    /// Asks whether to delete incident `fid`.
    AskDelete(i64),
    /// Deletes incident `fid` (confirmed; can be undone).
    DeleteIncident(i64),
    CancelDelete,
    Undo,
    Redo,
    /// What the details panel asked for.
    Details(super::panels::DetailsAction),
    /// Add a GeoJSON file to the project as a map layer.
    AddShapeLayer(PathBuf),
    /// Remove the named map layer from the project.
    RemoveShapeLayer(String),
    /// Open the "download map area for offline use" window for the view shown.
    OpenAreaDownload,
    /// Show background map source `index` (View > Background map).
    SelectMapSource(usize),
}

/// The incident shown in the details panel, read from the project file.
struct DetailView {
    /// Index into the loaded index's points, and its storage id.
    index: usize,
    fid: i64,
    reading: Option<Task<Option<Incident>>>,
    /// `Ok(None)`: no longer in the project.
    incident: Option<Result<Option<Incident>, String>>,
}

/// A finished import, shown in a window until closed.
struct ImportOutcome {
    reports: Vec<Result<ImportReport, String>>,
    /// Where rejected rows were saved, if any.
    rejects_saved: Vec<(PathBuf, Result<PathBuf, String>)>,
}

/// The desktop app.
pub struct LagesbildApp {
    state: UiState,
    project: Option<ProjectView>,
    loading: Option<(OpenTarget, Task<LoadedProject>)>,
    filtering: Option<Task<FilterOutcome>>,
    filter_generation: u64,
    importing: Option<Task<Vec<Result<ImportReport, String>>>>,
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
    /// The "download map area" window, while open.
    area_download: Option<AreaDownloadDialog>,
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
                Some(p) if p.exists() => OpenTarget::Path(p.clone()),
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
            loading: None,
            filtering: None,
            filter_generation: 0,
            importing: None,
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
            area_download: None,
        };
        app.start_loading(ctx, target);
        app
    }

    fn start_loading(&mut self, ctx: &egui::Context, target: OpenTarget) {
        if let Some((_, task)) = &self.loading {
            task.cancel();
        }
        let for_task = target.clone();
        let task = Task::spawn(ctx, "load-project", move |progress, cancel| {
            tasks::load_project(for_task, progress, cancel)
        });
        self.loading = Some((target, task));
    }

    /// Recomputes the filter result off the UI thread; a running one is
    /// cancelled and its result dropped.
    fn refilter(&mut self, ctx: &egui::Context) {
        let Some(view) = &self.project else {
            return;
        };
        if let Some(task) = &self.filtering {
            task.cancel();
        }
        self.filter_generation += 1;
        let generation = self.filter_generation;
        let index = view.loaded.index.clone();
        let filter = self.state.filter.clone();
        self.filtering = Some(Task::spawn(ctx, "filter", move |_, cancel| {
            tasks::apply_filter(&index, &filter, generation, cancel)
        }));
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
        self.loading.is_some()
    }

    /// True while any background task runs (load, filter, import, reading
    /// the selected incident).
    pub fn is_busy(&self) -> bool {
        self.loading.is_some()
            || self.filtering.is_some()
            || self.importing.is_some()
            || self.analysis.is_busy()
            || self.edit.is_busy()
            || self.overlays.is_busy()
            || self.detail.as_ref().is_some_and(|d| d.reading.is_some())
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

    /// Reads the selected incident from the project when the selection
    /// changed, and hides the panel when it was cleared.
    fn sync_details(&mut self, ctx: &egui::Context) {
        let wanted = self.incident_layer.selected().and_then(|i| {
            let view = self.project.as_ref()?;
            let fid = view.loaded.index.points().get(i)?.fid;
            Some((i, fid, view.loaded.path.clone()))
        });
        match wanted {
            None => {
                if let Some(old) = self.detail.take() {
                    if let Some(task) = old.reading {
                        task.cancel();
                    }
                    self.details.hide_description();
                }
            }
            Some((index, fid, path)) => {
                if self
                    .detail
                    .as_ref()
                    .is_none_or(|d| d.index != index || d.fid != fid)
                {
                    if let Some(task) = self.detail.take().and_then(|d| d.reading) {
                        task.cancel();
                    }
                    let reading = Task::spawn(ctx, "incident-details", move |_, _| {
                        use crate::store::Store as _;
                        let project = crate::store::Project::open(&path)?;
                        Ok(project.incident(fid)?)
                    });
                    self.detail = Some(DetailView {
                        index,
                        fid,
                        reading: Some(reading),
                        incident: None,
                    });
                }
            }
        }
        if let Some(d) = &mut self.detail
            && let Some(result) = d.reading.as_ref().and_then(|t| t.try_take())
        {
            d.reading = None;
            d.incident = Some(result.map_err(|e| format!("{e:#}")));
        }
    }

    /// True when an incident is selected, by click or box.
    pub fn has_selection(&self) -> bool {
        self.incident_layer.selected().is_some() || !self.incident_layer.box_selection().is_empty()
    }

    /// The view showing the selection: one incident centred at zoom
    /// [`SELECTION_ZOOM`], a box selection fitted to its incidents' extent.
    fn selection_view(&self) -> Option<ViewRequest> {
        let data = self.incident_layer.data()?;
        let points = data.index().points();
        if let Some(i) = self.incident_layer.selected() {
            return Some(ViewRequest::Point(points.get(i)?.position, SELECTION_ZOOM));
        }
        let mut min = LonLat::new(f64::INFINITY, f64::INFINITY);
        let mut max = LonLat::new(f64::NEG_INFINITY, f64::NEG_INFINITY);
        for p in self
            .incident_layer
            .box_selection()
            .iter()
            .filter_map(|&i| points.get(i))
        {
            min = LonLat::new(min.lon.min(p.position.lon), min.lat.min(p.position.lat));
            max = LonLat::new(max.lon.max(p.position.lon), max.lat.max(p.position.lat));
        }
        if !(min.is_finite() && max.is_finite()) {
            return None;
        }
        if min == max {
            return Some(ViewRequest::Point(min, SELECTION_ZOOM));
        }
        Some(ViewRequest::Extent(min, max))
    }

    /// The right-hand panel: the layer list ("Lager"), the details of the
    /// selection (when there is one) and the incident legend.
    fn layers_side_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        egui::CollapsingHeader::new(tr(lang, Key::LayersTitle))
            .id_salt("layers_panel")
            .default_open(true)
            .show(ui, |ui| {
                let changes = self.layers.list_ui(ui, lang);
                for change in &changes {
                    if let LayerChange::Remove {
                        id: LayerId::GeoJson(name),
                    } = change
                    {
                        actions.push(Action::RemoveShapeLayer(name.clone()));
                    }
                    if let LayerChange::Visibility {
                        id: LayerId::Incidents,
                        visible: false,
                    } = change
                    {
                        self.incident_layer.clear_selection();
                    }
                }
                if !changes.is_empty() {
                    self.state.layers = self.layers.settings();
                    self.on_layer_changes(&changes);
                }
            });
        self.details_ui(ui, actions);
        if let Some(data) = self.incident_layer.data() {
            ui.separator();
            ui.strong(tr(lang, Key::Legend));
            palette::legend_ui(ui, lang, data.counts_per_category(), data.coarse_count());
        }
    }

    /// The selected incident's details, or the summary of a box selection;
    /// nothing without a selection.
    fn details_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        if self.detail.is_some() || !self.incident_layer.box_selection().is_empty() {
            ui.separator();
        }
        if let Some(d) = &self.detail {
            match &d.incident {
                Some(Ok(Some(incident))) => {
                    if let Some(a) = self.details.ui(ui, lang, incident) {
                        actions.push(Action::Details(a));
                    }
                }
                Some(Ok(None)) => {
                    ui.weak(tr(lang, Key::IncidentGone));
                }
                Some(Err(e)) => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("{}: {e}", tr(lang, Key::IncidentReadFailed)),
                    );
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(lang, Key::LoadingIncident));
                    });
                }
            }
        } else if !self.incident_layer.box_selection().is_empty() {
            let colors: &dyn Fn(crate::model::Category) -> egui::Color32 = &palette::category_color;
            selection_summary_ui(ui, lang, self.incident_layer.box_counts(), Some(colors));
        }
    }

    /// The open project, if any.
    pub fn project(&self) -> Option<&ProjectView> {
        self.project.as_ref()
    }

    /// The filter being applied.
    pub fn filter(&self) -> &Filter {
        &self.state.filter
    }

    /// Changes the filter (as the filter panel does) and recomputes.
    pub fn set_filter(&mut self, ctx: &egui::Context, filter: Filter) {
        self.state.filter = filter;
        self.analysis.cancel();
        self.refilter(ctx);
    }

    /// The last message shown to the user (errors), if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Applies an action as the menus and buttons do.
    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Open(target) => self.start_loading(ctx, target),
            Action::ShowFileBrowser(purpose) => {
                self.file_browser = Some(FileBrowser::new(purpose, self.state.last_folder.clone()));
            }
            Action::Import(files) => self.start_import(ctx, files),
            Action::CancelTask => {
                if let Some(t) = &self.importing {
                    t.cancel();
                }
                if let Some((_, t)) = &self.loading {
                    t.cancel();
                }
            }
            Action::ZoomToProject => self.zoom_to_project = true,
            Action::ZoomToSelection => {
                if let Some(request) = self.selection_view() {
                    self.view_request = Some(request);
                }
            }
            Action::SetLanguage(lang) => self.state.language = lang,
            Action::ToggleFullscreen => {
                let full = ctx.input(|i| i.viewport().fullscreen.unwrap_or(false));
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(!full));
            }
            Action::CloseImportReport => self.import_outcome = None,
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Action::Export(target, path) => {
                self.analysis
                    .start_export(ctx, self.state.language, target, path)
            }
            Action::FocusPlace(i) => self.analysis.focus_place(
                i,
                &mut self.incident_layer,
                self.state.map_memory.as_mut(),
            ),
            Action::Details(a) => self.on_details_action(ctx, a),
            Action::AddShapeLayer(file) => self.add_shape_layer(ctx, file),
            Action::OpenAreaDownload => self.open_area_download(),
            Action::SelectMapSource(i) => {
                if let Some(tiles) = &mut self.tiles {
                    tiles.select(i);
                }
            }
            Action::RemoveShapeLayer(name) => self.remove_shape_layer(ctx, name),
            a @ (Action::AddIncidentAt(_)
            | Action::EditIncident(_)
            | Action::SaveIncident { .. }
            | Action::CloseEditor
            | Action::AskDelete(_)
            | Action::DeleteIncident(_)
            | Action::CancelDelete
            | Action::Undo
            | Action::Redo) => self.apply_edit_action(ctx, a),
        }
    }

    /// Carries out what the details panel asked for: edit opens the
    /// editor, delete asks for confirmation first (and can be undone).
    pub fn on_details_action(
        &mut self,
        ctx: &egui::Context,
        action: crate::gui::panels::details::DetailsAction,
    ) {
        use crate::gui::panels::details::DetailsAction;
        match action {
            DetailsAction::Edit { fid: Some(fid), .. } => self.edit_incident(ctx, fid),
            DetailsAction::Delete { fid: Some(fid), .. } => self.ask_delete(fid),
            DetailsAction::Edit { fid: None, .. } | DetailsAction::Delete { fid: None, .. } => {
                self.message = Some(tr(self.state.language, Key::EditNotFound).to_owned());
            }
        }
    }

    fn start_import(&mut self, ctx: &egui::Context, files: Vec<PathBuf>) {
        let lang = self.state.language;
        if self.importing.is_some() {
            self.message = Some(tr(lang, Key::ImportAlreadyRunning).to_owned());
            return;
        }
        let Some(view) = &self.project else {
            self.message = Some(tr(lang, Key::OpenAProjectFirst).to_owned());
            return;
        };
        if files.is_empty() {
            return;
        }
        let path = view.loaded.path.clone();
        self.importing = Some(Task::spawn(ctx, "import", move |progress, cancel| {
            tasks::import_files(&path, &files, progress, cancel)
        }));
    }

    /// Opens the area download window for the map view shown now.
    fn open_area_download(&mut self) {
        let (Some(tiles), Some(rect)) = (&self.tiles, self.map_rect) else {
            return;
        };
        let source = tiles.active_source().clone();
        if !source.allow_area_download {
            return;
        }
        let memory = self.state.map_memory.as_ref();
        let zoom = memory.map_or(13.0, MapMemory::zoom);
        let centre = memory.and_then(MapMemory::detached).unwrap_or_else(|| {
            self.project
                .as_ref()
                .and_then(|p| p.loaded.info.extent)
                .map_or_else(solvesborg, |(min, max)| {
                    lon_lat((min.lon + max.lon) / 2.0, (min.lat + max.lat) / 2.0)
                })
        });
        let bbox = area_download::view_bbox(
            centre.x(),
            centre.y(),
            zoom,
            f64::from(rect.width()),
            f64::from(rect.height()),
        );
        let maps_dir = tiles::user_maps_dir().unwrap_or_else(|| PathBuf::from("maps"));
        self.area_download = Some(AreaDownloadDialog::new(
            source,
            bbox,
            zoom.floor().clamp(0.0, 22.0) as u8,
            &maps_dir,
        ));
    }

    /// Draws the area download window; a finished archive joins the map chooser.
    fn area_download_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.area_download else {
            return;
        };
        match dialog.show(ctx, self.state.language) {
            DialogEvent::Open => {}
            DialogEvent::Close => self.area_download = None,
            DialogEvent::Downloaded(source) => {
                if let Some(tiles) = &mut self.tiles {
                    tiles.add_source(source);
                }
            }
        }
    }

    fn remember_project(&mut self, path: &Path) {
        self.state.last_project = Some(path.to_path_buf());
        self.state.recent_projects.retain(|p| p != path);
        self.state.recent_projects.insert(0, path.to_path_buf());
        self.state.recent_projects.truncate(RECENT_MAX);
    }

    /// Reads finished tasks.
    fn poll_tasks(&mut self, ctx: &egui::Context) {
        let lang = self.state.language;
        self.poll_shape_job(ctx);
        if let Some((target, task)) = &self.loading
            && let Some(result) = task.try_take()
        {
            let target = target.clone();
            self.loading = None;
            match result {
                Ok(loaded) => {
                    if !matches!(target, OpenTarget::Demo) {
                        self.remember_project(&loaded.path.clone());
                    } else {
                        self.state.last_project = None;
                    }
                    let same = self
                        .project
                        .as_ref()
                        .is_some_and(|p| p.loaded.path == loaded.path);
                    if !same {
                        self.zoom_to_project |=
                            self.state.map_memory.is_none() || self.project.is_some();
                        self.edit.history.clear();
                    }
                    self.set_shape_layers(loaded.overlays.clone());
                    self.project = Some(ProjectView {
                        loaded,
                        filtered: None,
                    });
                    self.refilter(ctx);
                }
                Err(err) => {
                    self.message = Some(format!("{}: {err:#}", tr(lang, Key::OpenFailed)));
                }
            }
        }
        if let Some(task) = &self.filtering
            && let Some(result) = task.try_take()
        {
            self.filtering = None;
            match result {
                Ok(outcome) if outcome.generation == self.filter_generation => {
                    self.incident_layer.set_data(outcome.layer.clone());
                    self.reselect_after_edit();
                    if let Some(view) = &mut self.project {
                        view.filtered = Some(outcome);
                    }
                    self.analysis.filter_changed();
                }
                Ok(_) => {}
                Err(err) => self.message = Some(format!("{err:#}")),
            }
        }
        if let Some(task) = &self.importing
            && let Some(result) = task.try_take()
        {
            self.importing = None;
            match result {
                Ok(reports) => {
                    let rejects_saved = save_rejects(&reports);
                    let imported: u64 = reports
                        .iter()
                        .filter_map(|r| r.as_ref().ok())
                        .map(|r| r.imported)
                        .sum();
                    self.import_outcome = Some(ImportOutcome {
                        reports,
                        rejects_saved,
                    });
                    if imported > 0
                        && let Some(view) = &self.project
                    {
                        let path = view.loaded.path.clone();
                        self.start_loading(ctx, OpenTarget::Path(path));
                    }
                }
                Err(err) => {
                    self.message = Some(format!("{}: {err:#}", tr(lang, Key::ImportFailed)))
                }
            }
        }
        self.analysis.poll(
            ctx,
            lang,
            self.project.as_ref().map(|p| &p.loaded),
            &self.state.filter,
            self.filtering.is_some(),
        );
    }

    fn menu_bar_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, Key::File), |ui| {
                if ui.button(tr(lang, Key::NewProjectMenu)).clicked() {
                    actions.push(Action::ShowFileBrowser(Purpose::NewProject));
                }
                if ui.button(tr(lang, Key::OpenProjectMenu)).clicked() {
                    actions.push(Action::ShowFileBrowser(Purpose::OpenProject));
                }
                ui.menu_button(tr(lang, Key::RecentProjects), |ui| {
                    if self.state.recent_projects.is_empty() {
                        ui.weak(tr(lang, Key::NoRecentProjects));
                    }
                    for p in &self.state.recent_projects {
                        if ui.button(p.display().to_string()).clicked() {
                            actions.push(Action::Open(OpenTarget::Path(p.clone())));
                        }
                    }
                });
                if ui.button(tr(lang, Key::OpenDemo)).clicked() {
                    actions.push(Action::Open(OpenTarget::Demo));
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.project.is_some(),
                        egui::Button::new(tr(lang, Key::ImportMenu)),
                    )
                    .clicked()
                {
                    actions.push(Action::ShowFileBrowser(Purpose::Import));
                }
                if ui
                    .add_enabled(
                        self.project.is_some() && self.overlays.job.is_none(),
                        egui::Button::new(tr(lang, Key::AddShapeLayerMenu)),
                    )
                    .clicked()
                {
                    actions.push(Action::ShowFileBrowser(Purpose::AddLayer));
                }
                ui.menu_button(tr(lang, Key::ExportMenu), |ui| {
                    if self.analysis.output().is_none() {
                        ui.weak(tr(lang, Key::AnExportNothing));
                    }
                    for target in ExportTarget::ALL {
                        let enabled = self.analysis.export_available(target);
                        if ui
                            .add_enabled(enabled, egui::Button::new(target.label(lang)))
                            .clicked()
                        {
                            actions.push(Action::ShowFileBrowser(Purpose::SaveAs(target)));
                        }
                    }
                });
                ui.separator();
                let quit = ui.ctx().format_shortcut(&QUIT_SHORTCUT);
                if ui
                    .add(egui::Button::new(tr(lang, Key::Quit)).shortcut_text(quit))
                    .clicked()
                {
                    actions.push(Action::Quit);
                }
            });
            ui.menu_button(tr(lang, Key::EditMenu), |ui| self.edit_menu_ui(ui, actions));
            ui.menu_button(tr(lang, Key::View), |ui| {
                if ui
                    .add(egui::Button::new(tr(lang, Key::ZoomToProject)).shortcut_text("Home"))
                    .clicked()
                {
                    actions.push(Action::ZoomToProject);
                }
                if ui
                    .add_enabled(
                        self.has_selection(),
                        egui::Button::new(tr(lang, Key::ZoomToSelection)).shortcut_text("Z"),
                    )
                    .clicked()
                {
                    actions.push(Action::ZoomToSelection);
                }
                if ui.button(tr(lang, Key::Fullscreen)).clicked() {
                    actions.push(Action::ToggleFullscreen);
                }
                if let Some(tiles) = &self.tiles {
                    ui.menu_button(tr(lang, Key::MapSource), |ui| {
                        for (i, source) in tiles.sources().iter().enumerate() {
                            if ui
                                .selectable_label(i == tiles.selected(), &source.name)
                                .clicked()
                            {
                                actions.push(Action::SelectMapSource(i));
                            }
                        }
                    });
                }
                let allowed =
                    (self.tiles.as_ref()).is_some_and(|t| t.active_source().allow_area_download);
                if ui
                    .add_enabled(allowed, egui::Button::new(tr(lang, Key::AreaDownloadMenu)))
                    .on_disabled_hover_text(tr(lang, Key::AreaDownloadNotAllowed))
                    .clicked()
                {
                    actions.push(Action::OpenAreaDownload);
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                for (l, label) in [
                    (Language::English, "English"),
                    (Language::Swedish, "Svenska"),
                ] {
                    if ui.selectable_label(lang == l, label).clicked() && lang != l {
                        actions.push(Action::SetLanguage(l));
                    }
                }
                ui.label(format!("{}:", tr(lang, Key::LanguageLabel)));
            });
        });
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        ui.horizontal(|ui| {
            let running = self
                .importing
                .as_ref()
                .map(|t| t.progress())
                .or(self.loading.as_ref().map(|(_, t)| t.progress()));
            if let Some(progress) = running {
                let (stage, done, total) = progress.snapshot();
                let bar = if total > 0 {
                    egui::ProgressBar::new(done as f32 / total as f32)
                } else {
                    egui::ProgressBar::new(0.0).animate(true)
                };
                ui.add(bar.desired_width(220.0).text(stage));
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    actions.push(Action::CancelTask);
                }
                ui.ctx().request_repaint_after(Duration::from_millis(100));
                ui.separator();
            }
            if let Some(view) = &self.project {
                let total = view.loaded.index.len() as u64;
                let shown = view.filtered.as_ref().map_or(total, |f| f.stats.total);
                ui.label(format!(
                    "{} {} {} {}",
                    i18n::count(lang, shown),
                    tr(lang, Key::Of),
                    i18n::count(lang, total),
                    tr(lang, Key::IncidentsLower)
                ));
                if self.filtering.is_some() {
                    ui.spinner();
                }
                if view.loaded.info.synthetic {
                    ui.separator();
                    ui.colored_label(
                        egui::Color32::from_rgb(200, 120, 0),
                        tr(lang, Key::SyntheticShort),
                    );
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(c) = self.cursor {
                    let s = sweref_from_wgs84(c);
                    ui.monospace(format!(
                        "{:.5}° N {:.5}° Ö  |  SWEREF 99 TM N {:.0} E {:.0}",
                        c.lat, c.lon, s.northing, s.easting
                    ));
                }
            });
        });
    }

    fn project_header_ui(&self, ui: &mut egui::Ui) {
        let lang = self.state.language;
        match &self.project {
            Some(view) => {
                ui.heading(&view.loaded.info.name);
                if view.loaded.info.synthetic {
                    egui::Frame::new()
                        .fill(egui::Color32::from_rgb(255, 236, 179))
                        .inner_margin(6.0)
                        .show(ui, |ui| {
                            ui.colored_label(
                                egui::Color32::from_rgb(102, 60, 0),
                                tr(lang, Key::SyntheticBanner),
                            );
                        });
                }
                ui.weak(view.loaded.path.display().to_string());
                if view.loaded.index.is_empty() {
                    ui.label(tr(lang, Key::NoIncidentsGui));
                }
            }
            None if self.loading.is_some() => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(match self.loading.as_ref().map(|(t, _)| t) {
                        Some(OpenTarget::Demo) => tr(lang, Key::LoadingDemo),
                        _ => tr(lang, Key::Loading),
                    });
                });
            }
            None => {
                ui.label(tr(lang, Key::NoProjectOpen));
            }
        }
    }

    fn map_ui(&mut self, ui: &mut egui::Ui) {
        let center = self
            .project
            .as_ref()
            .and_then(|p| p.loaded.info.extent)
            .map_or_else(solvesborg, |(min, max)| {
                lon_lat((min.lon + max.lon) / 2.0, (min.lat + max.lat) / 2.0)
            });
        if self.tiles_enabled && self.tiles.is_none() {
            self.tiles = Some(TileManager::new(
                ui.ctx(),
                TileCatalog::discover(),
                tiles::default_cache_root(),
            ));
        }
        let lang = self.state.language;
        self.incident_layer.lang = lang;
        let Self {
            state,
            tiles,
            incident_layer,
            analysis,
            layers,
            overlays,
            ..
        } = self;
        let (heat_layer, hotspot_layer, places_layer) = analysis.plugins(lang);
        let memory = state.map_memory.get_or_insert_with(MapMemory::default);
        // Not while a project loads: its extent is not known yet.
        if self.zoom_to_project && self.loading.is_none() {
            self.zoom_to_project = false;
            let extent = self.project.as_ref().and_then(|p| p.loaded.info.extent);
            self.view_request = Some(extent.map_or(
                ViewRequest::Point(LonLat::new(center.x(), center.y()), 13.0),
                |(min, max)| ViewRequest::Extent(min, max),
            ));
        }
        let size = ui.available_size();
        let now_s = ui.input(|i| i.time);
        // Refit only while the layout settles after the request, so that a
        // panel growing later (e.g. with the details) does not move the map.
        let refit = self.fitted.as_ref().filter(|f| {
            f.size != size
                && now_s - f.requested_at_s < REFIT_WINDOW_S
                && f.zoom == memory.zoom()
                && memory.detached() == Some(f.center)
        });
        let next = match self.view_request.take() {
            Some(request) => Some((request, now_s)),
            None => refit.map(|f| (f.request, f.requested_at_s)),
        };
        if let Some((request, requested_at_s)) = next {
            let (center, zoom) = request.view(size);
            memory.center_at(center);
            let _ = memory.set_zoom(zoom);
            self.fitted = Some(FittedView {
                request,
                size,
                center,
                zoom: memory.zoom(),
                requested_at_s,
            });
        }
        let keyboard_zoom = ui.input(|i| {
            if i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals) {
                1
            } else if i.key_pressed(egui::Key::Minus) {
                -1
            } else {
                0
            }
        });
        if keyboard_zoom > 0 {
            let _ = memory.zoom_in();
        } else if keyboard_zoom < 0 {
            let _ = memory.zoom_out();
        }
        let pan = ui.input(|i| {
            let step = 80.0;
            let mut v = egui::Vec2::ZERO;
            if i.key_down(egui::Key::ArrowLeft) {
                v.x -= step;
            }
            if i.key_down(egui::Key::ArrowRight) {
                v.x += step;
            }
            if i.key_down(egui::Key::ArrowUp) {
                v.y -= step;
            }
            if i.key_down(egui::Key::ArrowDown) {
                v.y += step;
            }
            v
        });
        let source = tiles.as_ref().map(|t| t.active_source().clone());
        let status = tiles.as_mut().map(|t| t.status());
        let pan_buttons = incident_layer.pan_buttons(ui.ctx());
        // The layer panel decides whether and how opaque the incidents are drawn.
        let incidents_shown = layers.is_shown(&LayerId::Incidents);
        if let Some(entry) = layers.get(&LayerId::Incidents) {
            incident_layer.opacity = entry.opacity;
        }
        // Every layer in the layer panel's order (its first entry on top).
        let mut plugins: Vec<(LayerId, Box<dyn walkers::Plugin + '_>)> = vec![
            (LayerId::Heatmap, Box::new(heat_layer)),
            (LayerId::Hotspots, Box::new(hotspot_layer)),
            (
                LayerId::Incidents,
                Box::new(ShownIf(incidents_shown.then_some(&mut *incident_layer))),
            ),
            (LayerId::StrategicPlaces, Box::new(places_layer)),
        ];
        for overlay in &mut overlays.layers {
            let id = LayerId::GeoJson(overlay.name().to_owned());
            overlay.visible = layers.is_shown(&id);
            if let Some(entry) = layers.get(&id) {
                overlay.opacity = entry.opacity;
            }
        }
        for overlay in &overlays.layers {
            let id = LayerId::GeoJson(overlay.name().to_owned());
            plugins.push((id, Box::new(OverlayPlugin::new([overlay]))));
        }
        let stack = LayerStack::ordered(plugins, layers);
        let context_pos = self.edit.context_pos;
        let output = walkers::Map::new(
            tiles.as_mut().map(|t| t as &mut dyn walkers::Tiles),
            memory,
            center,
        )
        .drag_pan_buttons(pan_buttons)
        .with_plugin(stack)
        .with_plugin(super::scale_bar::ScaleBar { lang })
        .show(ui, |ui, response, projector, _memory| {
            let rect = response.rect;
            if let Some(source) = &source {
                let attr = egui::Rect::from_min_max(
                    rect.right_bottom() - egui::vec2(520.0, 30.0),
                    rect.right_bottom() - egui::vec2(4.0, 4.0),
                );
                ui.scope_builder(
                    egui::UiBuilder::new()
                        .max_rect(attr)
                        .layout(egui::Layout::right_to_left(egui::Align::Max)),
                    |ui| tiles::attribution_ui(ui, source),
                );
            }
            if let Some(status) = &status {
                let note = egui::Rect::from_min_size(
                    rect.left_top() + egui::vec2(8.0, 8.0),
                    egui::vec2(420.0, 60.0),
                );
                ui.scope_builder(egui::UiBuilder::new().max_rect(note), |ui| {
                    tiles::status_ui(ui, lang, status)
                });
            }
            let hover = response.hover_pos().map(|pos| {
                let p = projector.unproject(pos.to_vec2());
                LonLat::new(p.x(), p.y())
            });
            let panned = (pan != egui::Vec2::ZERO)
                .then(|| projector.unproject(rect.center().to_vec2() + pan * 0.25));
            // The context menu acts on the right-clicked place: unproject the
            // absolute pointer position of the click.
            let right_clicked = response
                .secondary_clicked()
                .then(|| response.interact_pointer_pos())
                .flatten()
                .map(|pos| {
                    let p = projector.unproject(pos.to_vec2());
                    LonLat::new(p.x(), p.y())
                });
            let mut add_here = None;
            if let Some(pos) = right_clicked.or(context_pos) {
                response.context_menu(|ui| {
                    add_here = incident_editor::map_context_menu_ui(ui, lang, pos);
                });
            }
            (hover, panned, right_clicked, add_here)
        });
        self.map_rect = Some(output.response.rect);
        let (hover, panned, right_clicked, add_here) = output.inner;
        if right_clicked.is_some() {
            self.edit.context_pos = right_clicked;
        }
        if let Some(p) = panned {
            if let Some(m) = &mut state.map_memory {
                m.center_at(p);
            }
            ui.ctx().request_repaint();
        }
        self.cursor = hover;
        if let Some(pos) = add_here {
            self.add_incident_at(pos);
        }
    }

    fn import_report_ui(&self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(outcome) = &self.import_outcome else {
            return;
        };
        let lang = self.state.language;
        let mut open = true;
        egui::Window::new(tr(lang, Key::ImportReportTitle))
            .open(&mut open)
            .default_size([640.0, 360.0])
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for r in &outcome.reports {
                        match r {
                            Ok(r) => import_report_entry_ui(ui, lang, r),
                            Err(e) => {
                                ui.colored_label(ui.visuals().error_fg_color, e);
                            }
                        }
                        ui.separator();
                    }
                    for (file, saved) in &outcome.rejects_saved {
                        match saved {
                            Ok(p) => ui.label(format!(
                                "{} {}: {}",
                                tr(lang, Key::RejectsSavedTo),
                                file.display(),
                                p.display()
                            )),
                            Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
                        };
                    }
                });
                if ui.button(tr(lang, Key::Close)).clicked() {
                    actions.push(Action::CloseImportReport);
                }
            });
        if !open {
            actions.push(Action::CloseImportReport);
        }
    }
}

fn import_report_entry_ui(ui: &mut egui::Ui, lang: Language, r: &ImportReport) {
    ui.strong(r.path.display().to_string());
    ui.label(format!(
        "{}: {}   {}: {}   {}: {}   {}: {}",
        tr(lang, Key::Imported),
        i18n::count(lang, r.imported),
        tr(lang, Key::Duplicates),
        i18n::count(lang, r.duplicates),
        tr(lang, Key::Conflicts),
        i18n::count(lang, r.conflicts.len() as u64),
        tr(lang, Key::Rejected),
        i18n::count(lang, r.rejected.len() as u64),
    ));
    for note in &r.notes {
        ui.weak(note);
    }
    for c in r.conflicts.iter().take(50) {
        ui.label(format!("{}: {} ({})", c.line, c.reason, c.external_id));
    }
    for e in r.rejected.iter().take(50) {
        ui.label(format!("{}: {}", e.line, e.reason));
    }
    if r.rejected.len() > 50 {
        ui.weak(format!("… {}", r.rejected.len() - 50));
    }
}

/// Saves each file's rejected rows beside it as `<name>.avvisade.csv`.
fn save_rejects(
    reports: &[Result<ImportReport, String>],
) -> Vec<(PathBuf, Result<PathBuf, String>)> {
    reports
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|r| !r.rejected.is_empty())
        .map(|r| {
            let mut name = r
                .path
                .file_stem()
                .map(|s| s.to_os_string())
                .unwrap_or_default();
            name.push(".avvisade.csv");
            let out = r.path.with_file_name(name);
            let saved = crate::import::write_rejects_csv(&out, &r.rejected)
                .map(|()| out)
                .map_err(|e| e.to_string());
            (r.path.clone(), saved)
        })
        .collect()
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
struct FittedView {
    request: ViewRequest,
    size: egui::Vec2,
    center: Position,
    zoom: f64,
    /// When the view was asked for (egui input time, seconds).
    requested_at_s: f64,
}

/// How long after a fit the map refits while its size settles (panels
/// filling in as the filter and the analysis finish, which on a large project
/// or a busy machine takes a few seconds), as long as the user has not moved
/// the map.
const REFIT_WINDOW_S: f64 = 10.0;

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

impl eframe::App for LagesbildApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_tasks(ctx);
        self.poll_edit_tasks(ctx);
        self.edit_shortcuts(ctx);
        // Esc clears the selection unless a dialog takes it (it closes that).
        if self.file_browser.is_none()
            && self.incident_editor().is_none()
            && self.delete_pending().is_none()
            && ctx.input(|i| i.key_pressed(egui::Key::Escape))
        {
            self.incident_layer.clear_selection();
        }
        self.sync_details(ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.apply(ctx, Action::Import(dropped));
        }
        if ctx.input_mut(|i| i.consume_shortcut(&QUIT_SHORTCUT)) {
            self.apply(ctx, Action::Quit);
        }
        // Single keys only when no text field has the keyboard.
        if !ctx.egui_wants_keyboard_input() {
            if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Home)) {
                self.apply(ctx, Action::ZoomToProject);
            }
            if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Z)) {
                self.apply(ctx, Action::ZoomToSelection);
            }
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F11)) {
            self.apply(ctx, Action::ToggleFullscreen);
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::O)) {
            self.apply(ctx, Action::ShowFileBrowser(Purpose::OpenProject));
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::I)) {
            self.apply(ctx, Action::ShowFileBrowser(Purpose::Import));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let lang = self.state.language;
        let ctx = ui.ctx().clone();
        let mut actions = Vec::new();
        let mut filter_changed = None;
        // The layer panel owns the analysis layers' visibility and opacity.
        self.analysis.sync_with_layers_panel(lang, &mut self.layers);
        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui, &mut actions));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui, &mut actions));
        egui::Panel::left("side_panel")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.project_header_ui(ui);
                    if let Some(msg) = &self.message {
                        ui.separator();
                        ui.colored_label(ui.visuals().error_fg_color, msg);
                    }
                    if self.project.is_some() {
                        ui.separator();
                        let colors: &dyn Fn(crate::model::Category) -> egui::Color32 =
                            &palette::category_color;
                        let mut filter = self.state.filter.clone();
                        if self
                            .filter_panel
                            .ui(ui, lang, &mut filter, today_local(), Some(colors))
                        {
                            filter_changed = Some(filter);
                        }
                        if let Some(f) = self.project.as_ref().and_then(|p| p.filtered.as_ref()) {
                            ui.separator();
                            self.histogram.ui(ui, lang, &f.stats);
                        }
                        ui.separator();
                        egui::CollapsingHeader::new(tr(lang, Key::AnalysisTitle))
                            .default_open(true)
                            .show(ui, |ui| {
                                if let Some(i) = self.analysis.panel_ui(ui, lang) {
                                    actions.push(Action::FocusPlace(i));
                                }
                            });
                    }
                });
            });
        if self.project.is_some() {
            egui::Panel::right("layers_panel")
                .resizable(true)
                .default_size(250.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        self.layers_side_ui(ui, &mut actions);
                    })
                });
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| self.map_ui(ui));
        if let Some(i) = self.analysis.take_clicked_place() {
            actions.push(Action::FocusPlace(i));
        }
        self.analysis.export_notice_ui(&ctx, lang);
        self.import_report_ui(&ctx, &mut actions);
        self.area_download_ui(&ctx);
        self.edit_windows_ui(&ctx, &mut actions);
        if let Some(browser) = &mut self.file_browser {
            if let Some(paths) = browser.show(&ctx, lang) {
                let purpose = browser.purpose();
                self.state.last_folder = Some(browser.dir().to_path_buf());
                match purpose {
                    Purpose::OpenProject => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::Open(OpenTarget::Path(p)));
                        }
                    }
                    Purpose::NewProject => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::Open(OpenTarget::New(p)));
                        }
                    }
                    Purpose::Import => actions.push(Action::Import(paths)),
                    Purpose::AddLayer => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::AddShapeLayer(p));
                        }
                    }
                    Purpose::SaveAs(target) => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::Export(target, p));
                        }
                    }
                }
            }
            if !browser.is_open() {
                self.file_browser = None;
            }
        }
        if let Some(filter) = filter_changed {
            self.set_filter(&ctx, filter);
        }
        for action in actions {
            self.apply(&ctx, action);
        }
        // A click on the map this frame selects: start reading it now.
        self.sync_details(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.layers = self.layers.settings();
        eframe::set_value(storage, STATE_KEY, &self.state);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some((_, task)) = &self.loading {
            task.cancel();
        }
        if let Some(task) = &self.importing {
            task.cancel();
        }
        if let Some(task) = &self.filtering {
            task.cancel();
        }
        self.analysis.cancel();
    }
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
