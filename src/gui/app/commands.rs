//! Command handling: what the menus, buttons, keys and panels asked for
//! ([`Action`]s, applied after each frame is drawn) and the work they start.

use std::path::PathBuf;

use walkers::{MapMemory, lon_lat};

use super::{LagesbildApp, SELECTION_ZOOM, ViewRequest, solvesborg};
use crate::gui::analysis::ExportTarget;
use crate::gui::i18n::{Key, Language, tr};
use crate::gui::map::area_download::{self, dialog::AreaDownloadDialog};
use crate::gui::map::tiles;
use crate::gui::tasks::{self, OpenTarget, Task};
use crate::gui::windows::file_browser::{FileBrowser, Purpose};
use crate::model::{Filter, Incident, LonLat};

/// Something the UI asked for; applied after drawing.
#[derive(Debug)]
pub enum Action {
    Open(OpenTarget),
    ShowFileBrowser(Purpose),
    Import(Vec<PathBuf>),
    CancelTask,
    ZoomToProject,
    /// Centre the map on a place found with "Sök plats", at this zoom.
    ShowPlace(LonLat, f64),
    /// Fit the map to the selected incident(s); nothing without a selection.
    ZoomToSelection,
    SetLanguage(Language),
    ToggleFullscreen,
    /// Opens or closes the Tidsmönster window.
    ToggleTimePatterns,
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
    /// Open or close the patrol plan window.
    TogglePlan,
    /// A Patrullplan menu choice: route draft, week plan.
    Plan(super::plan::PlanMenu),
    /// What the details panel asked for.
    Details(crate::gui::panels::DetailsAction),
    /// Add a GeoJSON file to the project as a map layer.
    AddShapeLayer(PathBuf),
    /// Remove the named map layer from the project.
    RemoveShapeLayer(String),
    /// Open the "download map area for offline use" window for the view shown.
    OpenAreaDownload,
    /// Open the follow-up window (measures, evaluation, presence).
    OpenFollowUp,
    /// Show background map source `index` (View > Background map).
    SelectMapSource(usize),
    /// Save a picture of the map (File > Export image).
    ExportImage(super::export_image::ImageSize),
    /// Clear the filter so the saved incident `fid` it hid is shown, and
    /// select it.
    ShowSavedIncident(i64),
    /// Open the analysis section of the side panel and scroll to it (View menu).
    ShowAnalysis,
    /// Open the "save view" window (View menu).
    SaveView,
    /// Start presentation mode (F5, View menu).
    Present,
    /// Open the "Anslut till databas" window (File menu).
    OpenConnectDialog,
    /// Open the views window (View → Views).
    OpenViews,
}

impl LagesbildApp {
    pub(super) fn start_loading(&mut self, ctx: &egui::Context, target: OpenTarget) {
        if let Some((_, task)) = &self.tasks.loading {
            task.cancel();
        }
        let for_task = target.clone();
        let task = Task::spawn(ctx, "load-project", move |progress, cancel| {
            tasks::load_project(for_task, progress, cancel)
        });
        self.tasks.loading = Some((target, task));
    }

    /// Recomputes the filter result off the UI thread; a running one is
    /// cancelled and its result dropped.
    pub(super) fn refilter(&mut self, ctx: &egui::Context) {
        let Some(view) = &self.project else {
            return;
        };
        if let Some(task) = &self.tasks.filtering {
            task.cancel();
        }
        self.filter_generation += 1;
        let generation = self.filter_generation;
        let index = view.loaded.index.clone();
        let filter = self.state.filter.clone();
        self.tasks.filtering = Some(Task::spawn(ctx, "filter", move |_, cancel| {
            tasks::apply_filter(&index, &filter, generation, cancel)
        }));
    }

    /// Changes the filter (as the filter panel does) and recomputes.
    pub fn set_filter(&mut self, ctx: &egui::Context, filter: Filter) {
        self.edit.hidden_fid = None;
        self.state.filter = filter;
        self.analysis.cancel();
        self.refilter(ctx);
    }

    /// Applies an action as the menus and buttons do.
    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::ExportImage(size) => self.start_image_export(ctx, size),
            Action::Open(target) => self.start_loading(ctx, target),
            Action::ShowFileBrowser(purpose) => {
                self.file_browser = Some(FileBrowser::new(purpose, self.state.last_folder.clone()));
            }
            Action::Import(files) => self.start_import(ctx, files),
            Action::CancelTask => {
                if let Some(t) = &self.tasks.importing {
                    t.cancel();
                }
                if let Some((_, t)) = &self.tasks.loading {
                    t.cancel();
                }
                self.image_export.cancel();
            }
            Action::ZoomToProject => self.zoom_to_project = true,
            Action::ShowPlace(position, zoom) => {
                self.view_request = Some(ViewRequest::Point(position, zoom));
            }
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
            Action::ToggleTimePatterns => self.time.open = !self.time.open,
            Action::CloseImportReport => self.import_outcome = None,
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Action::Export(target, path) => {
                let project = self.project.as_ref().map(|p| p.loaded.path.clone());
                self.analysis
                    .start_export(ctx, self.state.language, target, path, project)
            }
            Action::FocusPlace(i) => self.analysis.focus_place(
                i,
                &mut self.incident_layer,
                self.state.map_memory.as_mut(),
            ),
            Action::Details(a) => self.on_details_action(ctx, a),
            Action::AddShapeLayer(file) => self.add_shape_layer(ctx, file),
            Action::OpenAreaDownload => self.open_area_download(),
            Action::OpenFollowUp => {
                self.follow.open = true;
                self.follow.refresh(ctx);
            }
            Action::SelectMapSource(i) => {
                if let Some(tiles) = &mut self.tiles {
                    tiles.select(i);
                }
            }
            Action::RemoveShapeLayer(name) => self.remove_shape_layer(ctx, name),
            Action::ShowAnalysis => self.focus_analysis = true,
            Action::SaveView => self.open_save_view_dialog(),
            Action::Present => self.start_presentation(ctx),
            Action::OpenViews => self.open_views_window(ctx),
            Action::TogglePlan => self.toggle_plan(),
            Action::Plan(choice) => self.plan_menu_action(ctx, choice),
            Action::OpenConnectDialog => self.open_connect_dialog(),
            a @ (Action::AddIncidentAt(_)
            | Action::EditIncident(_)
            | Action::SaveIncident { .. }
            | Action::CloseEditor
            | Action::AskDelete(_)
            | Action::DeleteIncident(_)
            | Action::CancelDelete
            | Action::Undo
            | Action::Redo
            | Action::ShowSavedIncident(_)) => self.apply_edit_action(ctx, a),
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

    pub(super) fn start_import(&mut self, ctx: &egui::Context, files: Vec<PathBuf>) {
        let lang = self.state.language;
        // A GeoPackage gets the layer and field dialog (`app/import_gpkg.rs`),
        // which can make a new project: no open project is needed for it.
        let (gpkg, files): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|f| {
            f.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
        });
        if let Some(file) = gpkg.into_iter().next() {
            self.open_gpkg_import(ctx, file, crate::gui::import_gpkg::Target::Current);
        }
        if files.is_empty() {
            return;
        }
        if self.tasks.importing.is_some() {
            self.message = Some(tr(lang, Key::ImportAlreadyRunning).to_owned());
            return;
        }
        let Some(view) = &self.project else {
            self.message = Some(tr(lang, Key::OpenAProjectFirst).to_owned());
            return;
        };
        let path = view.loaded.path.clone();
        self.import_fid_floor = view.loaded.index.points().iter().map(|p| p.fid).max();
        self.import_extent = None;
        self.tasks.importing = Some(Task::spawn(ctx, "import", move |progress, cancel| {
            tasks::import_files(&path, &files, progress, cancel)
        }));
    }

    /// Opens the area download window for the map view shown now.
    pub(super) fn open_area_download(&mut self) {
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

    /// The view showing the selection: one incident centred at zoom
    /// [`SELECTION_ZOOM`], a box selection fitted to its incidents' extent.
    pub(super) fn selection_view(&self) -> Option<ViewRequest> {
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
}
