//! The retention dialog: when a project is opened, what its retention
//! settings put past their time is counted off the UI thread
//! ([`crate::retention::due`]); if anything is, a window asks
//! ("12 händelser äldre än 5 år — ta bort?"). "Ta bort" deletes it in one
//! logged transaction on a worker ([`crate::retention::apply`]) and the app
//! reloads the project; "Inte nu" asks again next time the project opens.

pub mod text;

use std::path::{Path, PathBuf};

use crate::gui::i18n::Language;
use crate::gui::tasks::Task;
use crate::retention::{self, Due, Policy};
use crate::store::retention::RetentionRun;
use text::{Key, tr};

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Delete,
    NotNow,
}

/// The dialog's state.
#[derive(Default)]
pub struct RetentionPrompt {
    project: Option<PathBuf>,
    checking: Option<Task<Due>>,
    /// Something is past its time and the user has not answered.
    pub due: Option<Due>,
    applying: Option<Task<RetentionRun>>,
    /// What the last deletion did (or why it failed), until closed.
    pub outcome: Option<Result<RetentionRun, String>>,
}

impl RetentionPrompt {
    /// Counts what is past its time in the project at `path` (a worker).
    pub fn check(&mut self, ctx: &egui::Context, path: &Path) {
        self.project = Some(path.to_owned());
        self.due = None;
        let path = path.to_owned();
        self.checking = Some(Task::spawn(ctx, "retention-check", move |_, _| {
            let store = crate::store::open(path.as_path())?;
            let policy = Policy::read(store.as_ref())?;
            if policy.is_unset() {
                return Ok(retention::Due {
                    policy,
                    incidents_before: None,
                    incidents: 0,
                    tracks_before: None,
                    tracks: 0,
                    tracks_visible: true,
                });
            }
            Ok(retention::due(store.as_ref(), policy, retention::today())?)
        }));
    }

    /// True while counting or deleting.
    pub fn is_busy(&self) -> bool {
        self.checking.is_some() || self.applying.is_some()
    }

    /// Takes in finished work; true when something was deleted (the app
    /// then reloads the project).
    pub fn poll(&mut self) -> bool {
        if let Some(task) = &self.checking
            && let Some(result) = task.try_take()
        {
            self.checking = None;
            // A project whose settings cannot be read is not asked about;
            // `lagesbild retention` names the bad setting.
            self.due = result.ok().filter(Due::any);
        }
        if let Some(task) = &self.applying
            && let Some(result) = task.try_take()
        {
            self.applying = None;
            let deleted = result.is_ok();
            self.outcome = Some(result.map_err(|e| format!("{e:#}")));
            return deleted;
        }
        false
    }

    fn apply(&mut self, ctx: &egui::Context) {
        let (Some(path), Some(due)) = (self.project.clone(), self.due.take()) else {
            return;
        };
        self.applying = Some(Task::spawn(ctx, "retention-apply", move |_, _| {
            let mut store = crate::store::open(path.as_path())?;
            Ok(retention::apply(
                store.as_mut(),
                due.policy,
                retention::today(),
            )?)
        }));
    }

    /// The question and its two buttons; the user's choice, if made.
    pub fn question_ui(ui: &mut egui::Ui, lang: Language, due: &Due) -> Option<Choice> {
        for line in text::question_lines(lang, due) {
            ui.label(line);
        }
        let mut choice = None;
        ui.horizontal(|ui| {
            if ui.button(tr(lang, Key::Delete)).clicked() {
                choice = Some(Choice::Delete);
            }
            if ui.button(tr(lang, Key::NotNow)).clicked() {
                choice = Some(Choice::NotNow);
            }
        });
        choice
    }

    /// The dialog window, when there is something to ask or tell.
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) {
        if let Some(due) = &self.due {
            let mut choice = None;
            egui::Window::new(tr(lang, Key::Title))
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, |ui| choice = Self::question_ui(ui, lang, due));
            match choice {
                Some(Choice::Delete) => self.apply(ctx),
                Some(Choice::NotNow) => self.due = None,
                None => {}
            }
            return;
        }
        if self.applying.is_some() {
            egui::Window::new(tr(lang, Key::Title))
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(lang, Key::Deleting));
                    });
                });
            return;
        }
        let mut close = false;
        if let Some(outcome) = &self.outcome {
            egui::Window::new(tr(lang, Key::Title))
                .collapsible(false)
                .show(ctx, |ui| {
                    match outcome {
                        Ok(run) => {
                            ui.label(text::done_line(
                                lang,
                                run.incidents_deleted,
                                run.tracks_deleted,
                            ));
                            ui.label(tr(lang, Key::Logged));
                        }
                        Err(e) => {
                            ui.colored_label(
                                ui.visuals().error_fg_color,
                                format!("{}: {e}", tr(lang, Key::Failed)),
                            );
                        }
                    }
                    if ui.button("OK").clicked() {
                        close = true;
                    }
                });
        }
        if close {
            self.outcome = None;
        }
    }
}
