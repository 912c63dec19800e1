//! Per-frame logic, run before drawing: finished background tasks are
//! taken in, keyboard shortcuts and dropped files become [`Action`]s, and the
//! selected incident is read for the details panel.

use std::path::{Path, PathBuf};

use super::state::{DetailView, ImportOutcome};
use super::{Action, LagesbildApp, ProjectView, QUIT_SHORTCUT, RECENT_MAX};
use crate::gui::i18n::{Key, tr};
use crate::gui::tasks::{OpenTarget, Task};
use crate::gui::windows::file_browser::Purpose;
use crate::import::ImportReport;

impl LagesbildApp {
    /// The frame's logic before drawing (`eframe::App::logic`).
    pub(super) fn frame_logic(&mut self, ctx: &egui::Context) {
        self.poll_tasks(ctx);
        self.present_logic(ctx);
        self.poll_edit_tasks(ctx);
        self.plan_frame(ctx);
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
        self.live_refresh_frame(ctx);
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

    /// Reads the selected incident from the project when the selection
    /// changed, and hides the panel when it was cleared.
    pub(super) fn sync_details(&mut self, ctx: &egui::Context) {
        let wanted = self.incident_layer.selected().and_then(|i| {
            let view = self.project.as_ref()?;
            let fid = view.loaded.index.points().get(i)?.fid;
            Some((i, fid, view.loaded.path.clone()))
        });
        match wanted {
            None => {
                if self.detail.take().is_some() {
                    if let Some(task) = self.tasks.reading_incident.take() {
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
                    self.detail = None;
                    if let Some(task) = self.tasks.reading_incident.take() {
                        task.cancel();
                    }
                    let reading = Task::spawn(ctx, "incident-details", move |_, _| {
                        let project = crate::store::open(&path)?;
                        Ok(project.incident(fid)?)
                    });
                    self.tasks.reading_incident = Some(reading);
                    self.detail = Some(DetailView {
                        index,
                        fid,
                        incident: None,
                    });
                }
            }
        }
        if let Some(d) = &mut self.detail
            && let Some(result) = self
                .tasks
                .reading_incident
                .as_ref()
                .and_then(|t| t.try_take())
        {
            self.tasks.reading_incident = None;
            d.incident = Some(result.map_err(|e| format!("{e:#}")));
        }
    }

    pub(super) fn remember_project(&mut self, path: &Path) {
        // A database location is remembered without its password.
        let path = super::db::rememberable(path);
        let path = path.as_path();
        self.state.last_project = Some(path.to_path_buf());
        self.state.recent_projects.retain(|p| p != path);
        self.state.recent_projects.insert(0, path.to_path_buf());
        self.state.recent_projects.truncate(RECENT_MAX);
    }

    /// Reads finished tasks.
    pub(super) fn poll_tasks(&mut self, ctx: &egui::Context) {
        let lang = self.state.language;
        self.poll_shape_job(ctx);
        if self.retention.poll()
            && let Some(view) = &self.project
        {
            let path = view.loaded.path.clone();
            self.start_loading(ctx, OpenTarget::Path(path));
        }
        if let Some((target, task)) = &self.tasks.loading
            && let Some(result) = task.try_take()
        {
            let target = target.clone();
            self.tasks.loading = None;
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
                        self.retention.check(ctx, &loaded.path);
                    }
                    self.set_shape_layers(loaded.overlays.clone());
                    self.project = Some(ProjectView {
                        loaded,
                        filtered: None,
                    });
                    self.refilter(ctx);
                    self.project_load_finished(ctx, &target, Ok(()));
                }
                Err(err) => {
                    let foreign = err
                        .downcast_ref::<crate::gui::import_gpkg::ForeignGeoPackage>()
                        .map(|f| f.path.clone());
                    if let Some(file) = foreign {
                        // Not a project but points to import: offer them.
                        self.open_gpkg_import(ctx, file, crate::gui::import_gpkg::Target::New);
                    } else if !self.project_load_finished(ctx, &target, Err(format!("{err:#}"))) {
                        // The connection dialog shows its own error.
                        self.message = Some(format!("{}: {err:#}", tr(lang, Key::OpenFailed)));
                    }
                }
            }
        }
        if let Some(task) = &self.tasks.filtering
            && let Some(result) = task.try_take()
        {
            self.tasks.filtering = None;
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
        if let Some(task) = &self.tasks.importing
            && let Some(result) = task.try_take()
        {
            self.tasks.importing = None;
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
            self.tasks.filtering.is_some(),
        );
        self.time.poll(
            ctx,
            lang,
            self.project.as_ref().map(|p| &p.loaded),
            &self.state.filter,
            self.tasks.filtering.is_some(),
            self.analysis.params().bandwidth_m,
        );
    }
}

/// Where each file's rejected rows were written beside it as they were
/// found (`<name>.avvisade.csv`), or why they could not be.
pub(super) fn save_rejects(
    reports: &[Result<ImportReport, String>],
) -> Vec<(PathBuf, Result<PathBuf, String>)> {
    reports
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| Some((r.path.clone(), r.rejects_file.clone()?)))
        .collect()
}
