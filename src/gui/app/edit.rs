//! Adding, editing and deleting incidents from the window, with undo: the
//! app's side of [`crate::gui::undo`] and of the incident editor
//! ([`crate::gui::windows::incident_editor`]). A child module of `app`, so
//! that app.rs itself only gains fields, actions and a few hooks.
//!
//! Every store call runs as a [`Task`]; when it is done the project is read
//! again (the map view stays) and the edited incident is selected again when
//! it still exists and the filter shows it.

use super::{Action, LagesbildApp};
use crate::gui::i18n::{Key, tr};
use crate::gui::tasks::{OpenTarget, Task};
use crate::gui::undo::{EditDone, EditJob, EditKind, History, Step};
use crate::gui::windows::incident_editor::{EditorOutcome, IncidentEditor};
use crate::model::LonLat;

/// The app's incident-editing state.
#[derive(Default)]
pub(super) struct EditState {
    /// Incident edits that can be undone and redone.
    pub(super) history: History,
    pub(super) editor: Option<IncidentEditor>,
    /// The incident the delete confirmation is about.
    pub(super) confirm_delete: Option<i64>,
    /// Its category and local time, shown in the confirmation.
    pub(super) confirm_summary: String,
    /// Select this incident once the project has been read again.
    pub(super) select_fid: Option<i64>,
    /// A saved incident the filter hides ("sparad men utanför filtret").
    pub(super) hidden_fid: Option<i64>,
    /// Where the map was last right-clicked (its context menu's position).
    pub(super) context_pos: Option<LonLat>,
}

impl LagesbildApp {
    /// Carries out the editing actions (called from `apply`).
    pub(super) fn apply_edit_action(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::AddIncidentAt(pos) => self.add_incident_at(pos),
            Action::EditIncident(fid) => self.edit_incident(ctx, fid),
            Action::SaveIncident { fid, incident } => {
                let job = match fid {
                    Some(fid) => EditJob::Update(fid, incident),
                    None => EditJob::Add(incident),
                };
                if self.start_edit(ctx, job)
                    && let Some(editor) = &mut self.edit.editor
                {
                    editor.set_saving(true);
                }
            }
            Action::CloseEditor => self.edit.editor = None,
            Action::AskDelete(fid) => self.ask_delete(fid),
            Action::DeleteIncident(fid) => {
                self.edit.confirm_delete = None;
                self.start_edit(ctx, EditJob::Delete(fid));
            }
            Action::CancelDelete => self.edit.confirm_delete = None,
            Action::Undo => self.undo(ctx),
            Action::Redo => self.redo(ctx),
            Action::ShowSavedIncident(fid) => {
                self.edit.hidden_fid = None;
                self.edit.select_fid = Some(fid);
                self.set_filter(ctx, crate::model::Filter::default());
            }
            _ => {}
        }
    }

    /// Opens the editor for a new incident at `pos` (what the map's context
    /// menu "Lägg till händelse här" does).
    pub fn add_incident_at(&mut self, pos: LonLat) {
        if self.project.is_none() {
            self.message = Some(tr(self.state.language, Key::OpenAProjectFirst).to_owned());
            return;
        }
        self.edit.editor = Some(IncidentEditor::new_at(pos, chrono::Utc::now()));
    }

    /// Opens the editor on stored incident `fid` (read off the UI thread).
    pub fn edit_incident(&mut self, ctx: &egui::Context, fid: i64) {
        let Some(view) = &self.project else {
            return;
        };
        let path = view.loaded.path.clone();
        self.tasks.opening_editor = Some(Task::spawn(ctx, "read-incident", move |_, _| {
            Ok(crate::store::open(&path)?.incident(fid)?)
        }));
    }

    /// Asks for confirmation to delete incident `fid` (then it can be undone).
    pub fn ask_delete(&mut self, fid: i64) {
        let lang = self.state.language;
        self.edit.confirm_summary = self
            .project
            .as_ref()
            .and_then(|v| v.loaded.index.points().iter().find(|p| p.fid == fid))
            .map(|p| {
                format!(
                    "{}, {}",
                    crate::gui::i18n::category(lang, p.category),
                    crate::model::time::local(p.occurred_at).format("%Y-%m-%d %H:%M")
                )
            })
            .unwrap_or_default();
        self.edit.confirm_delete = Some(fid);
    }

    /// The incident editor, while open.
    pub fn incident_editor(&self) -> Option<&IncidentEditor> {
        self.edit.editor.as_ref()
    }

    /// The incident editor, while open (tests fill in its form).
    pub fn incident_editor_mut(&mut self) -> Option<&mut IncidentEditor> {
        self.edit.editor.as_mut()
    }

    /// The undo history of incident edits.
    pub fn history(&self) -> &History {
        &self.edit.history
    }

    /// The incident waiting for delete confirmation, if any.
    pub fn delete_pending(&self) -> Option<i64> {
        self.edit.confirm_delete
    }

    /// A saved incident that the current filter hides, if any (the app
    /// says so and offers to show it).
    pub fn hidden_saved_incident(&self) -> Option<i64> {
        self.edit.hidden_fid
    }

    /// The fid of the incident selected on the map, if any.
    pub fn selected_fid(&self) -> Option<i64> {
        let i = self.incident_layer.selected()?;
        let data = self.incident_layer.data()?;
        data.index().points().get(i).map(|p| p.fid)
    }

    /// Selects incident `fid` on the map when the current filter shows it.
    pub fn select_fid(&mut self, fid: i64) -> bool {
        let Some(data) = self.incident_layer.data() else {
            return false;
        };
        let found = data
            .index()
            .points()
            .iter()
            .position(|p| p.fid == fid)
            .filter(|&i| data.is_shown(i));
        self.incident_layer.select(found);
        found.is_some()
    }

    /// Reverses the last edit.
    pub fn undo(&mut self, ctx: &egui::Context) {
        if self.edit_refused() {
            return;
        }
        if let Some(edit) = self.edit.history.begin_undo() {
            self.start_edit(ctx, EditJob::Undo(edit));
        }
    }

    /// Applies again the last undone edit.
    pub fn redo(&mut self, ctx: &egui::Context) {
        if self.edit_refused() {
            return;
        }
        if let Some(edit) = self.edit.history.begin_redo() {
            self.start_edit(ctx, EditJob::Redo(edit));
        }
    }

    /// True (with a message) when an edit cannot start now.
    fn edit_refused(&mut self) -> bool {
        let lang = self.state.language;
        if self.tasks.editing.is_some() || self.tasks.importing.is_some() {
            self.message = Some(tr(lang, Key::EditBusy).to_owned());
            return true;
        }
        if self.project.is_none() {
            self.message = Some(tr(lang, Key::OpenAProjectFirst).to_owned());
            return true;
        }
        false
    }

    /// Runs one store call off the UI thread; false when refused.
    fn start_edit(&mut self, ctx: &egui::Context, job: EditJob) -> bool {
        let refused = self.edit_refused();
        let path = match &self.project {
            Some(view) if !refused => view.loaded.path.clone(),
            _ => {
                // An undo or redo taken out of the history goes back.
                match job {
                    EditJob::Undo(e) => self.edit.history.restore(e, Step::Undo),
                    EditJob::Redo(e) => self.edit.history.restore(e, Step::Redo),
                    _ => {}
                }
                return false;
            }
        };
        self.tasks.editing = Some(Task::spawn(ctx, "edit", move |_, _| {
            Ok(crate::gui::undo::run_job(&path, job))
        }));
        true
    }

    /// Files a finished edit, reloads the project and keeps the selection.
    fn on_edit_done(&mut self, ctx: &egui::Context, done: anyhow::Result<EditDone>) {
        let lang = self.state.language;
        let done = match done {
            Ok(d) => d,
            Err(err) => {
                self.message = Some(format!(
                    "{}: {}",
                    tr(lang, Key::EditFailed),
                    crate::gui::store_text::error_text(lang, &err)
                ));
                return;
            }
        };
        match done.result {
            Ok(edit) => {
                self.edit.select_fid = edit.focus_after(done.step);
                self.edit.history.finish(edit, done.step);
                if done.step == Step::Do {
                    self.edit.editor = None;
                }
                self.message = None;
                self.edit.hidden_fid = None;
                // The details panel reads the incident again (same fid,
                // maybe the same place in the index, new values).
                self.detail = None;
                if let Some(view) = &self.project {
                    let path = view.loaded.path.clone();
                    self.start_loading(ctx, OpenTarget::Path(path));
                }
            }
            Err((edit, err)) => {
                let what = match done.step {
                    Step::Do => Key::EditFailed,
                    Step::Undo => Key::EditUndoFailed,
                    Step::Redo => Key::EditRedoFailed,
                };
                let msg = format!(
                    "{}: {}",
                    tr(lang, what),
                    crate::gui::store_text::store_error_text(lang, &err)
                );
                if let Some(edit) = edit {
                    self.edit.history.restore(edit, done.step);
                }
                match &mut self.edit.editor {
                    Some(editor) if done.step == Step::Do && editor.is_saving() => {
                        editor.set_save_error(msg)
                    }
                    _ => self.message = Some(msg),
                }
            }
        }
    }

    /// Reads finished incident edits and editor loads (called from `logic`).
    pub(super) fn poll_edit_tasks(&mut self, ctx: &egui::Context) {
        if let Some(task) = &self.tasks.editing
            && let Some(result) = task.try_take()
        {
            self.tasks.editing = None;
            self.on_edit_done(ctx, result);
        }
        if let Some(task) = &self.tasks.opening_editor
            && let Some(result) = task.try_take()
        {
            self.tasks.opening_editor = None;
            let lang = self.state.language;
            match result {
                Ok(Some(incident)) => {
                    self.edit.editor = Some(IncidentEditor::edit(&incident));
                }
                Ok(None) => self.message = Some(tr(lang, Key::EditNotFound).to_owned()),
                Err(err) => self.message = Some(format!("{}: {err:#}", tr(lang, Key::EditFailed))),
            }
        }
    }

    /// Selects the edited incident once the reloaded project's filter result
    /// is in (called when a filter result is swapped in).
    pub(super) fn reselect_after_edit(&mut self) {
        if self.tasks.loading.is_none()
            && let Some(fid) = self.edit.select_fid.take()
            && !self.select_fid(fid)
        {
            let stored = self
                .incident_layer
                .data()
                .is_some_and(|d| d.index().points().iter().any(|p| p.fid == fid));
            if stored {
                self.edit.hidden_fid = Some(fid);
            }
        }
    }

    /// Undo and redo shortcuts (called from `logic`): Ctrl+Z, Ctrl+Shift+Z
    /// and Ctrl+Y, unless a text field has the keyboard (it undoes its own
    /// typing) or the editor is open.
    pub(super) fn edit_shortcuts(&mut self, ctx: &egui::Context) {
        if self.edit.editor.is_some() || ctx.egui_wants_keyboard_input() {
            return;
        }
        let shift_command = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
        // Ctrl+Shift+Z before Ctrl+Z: shortcuts ignore extra Shift.
        if ctx.input_mut(|i| {
            i.consume_key(shift_command, egui::Key::Z)
                || i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y)
        }) {
            self.redo(ctx);
        } else if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z)) {
            self.undo(ctx);
        }
    }

    /// The Edit menu: undo and redo, named after what they act on.
    pub(super) fn edit_menu_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        let idle = self.tasks.editing.is_none();
        let kind_word = |kind: EditKind| {
            tr(
                lang,
                match kind {
                    EditKind::Add => Key::EditKindAdd,
                    EditKind::Update => Key::EditKindUpdate,
                    EditKind::Delete => Key::EditKindDelete,
                },
            )
        };
        let history = &self.edit.history;
        for (base, next, shortcut, action) in [
            (
                Key::EditUndo,
                history.next_undo().map(|e| e.kind()),
                "Ctrl+Z",
                Action::Undo,
            ),
            (
                Key::EditRedo,
                history.next_redo().map(|e| e.kind()),
                "Ctrl+Shift+Z",
                Action::Redo,
            ),
        ] {
            let text = match next {
                Some(kind) => format!("{} {}", tr(lang, base), kind_word(kind)),
                None => tr(lang, base).to_owned(),
            };
            let enabled = idle && next.is_some();
            let response = ui.add_enabled(
                enabled,
                egui::Button::new(text.as_str()).shortcut_text(shortcut),
            );
            // The accessible name is the action alone, without the shortcut.
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &text));
            if response.clicked() {
                actions.push(action);
            }
        }
    }

    /// The editor window and the delete confirmation, while open.
    pub(super) fn edit_windows_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        if let Some(editor) = &mut self.edit.editor {
            match editor.show(ctx, lang) {
                Some(EditorOutcome::Save { fid, incident }) => {
                    actions.push(Action::SaveIncident { fid, incident })
                }
                Some(EditorOutcome::Cancel) => actions.push(Action::CloseEditor),
                None => {}
            }
        }
        if let Some(fid) = self.edit.confirm_delete {
            let summary = self.edit.confirm_summary.as_str();
            let modal = egui::Modal::new(egui::Id::unique("confirm_delete")).show(ctx, |ui| {
                ui.set_max_width(360.0);
                ui.heading(tr(lang, Key::EditDeleteTitle));
                if !summary.is_empty() {
                    ui.strong(summary);
                }
                ui.label(tr(lang, Key::EditDeleteText));
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, Key::Delete)).clicked() {
                        actions.push(Action::DeleteIncident(fid));
                    }
                    if ui.button(tr(lang, Key::Cancel)).clicked() {
                        actions.push(Action::CancelDelete);
                    }
                });
            });
            if modal.should_close() {
                actions.push(Action::CancelDelete);
            }
        }
    }
}
