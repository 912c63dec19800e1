//! The app's side of a shared database ([`crate::gui::db`]): the
//! "Anslut till databas" window, the live refresh after each frame, and
//! what a finished load tells them.

use std::path::Path;
use std::time::Duration;

use super::{Action, LagesbildApp};
use crate::gui::db::text::T;
use crate::gui::db::{ConnectDialog, ConnectEvent, LOADED_KINDS, without_password};
use crate::gui::tasks::OpenTarget;
use crate::store::changes::ChangeKind;

impl LagesbildApp {
    /// Opens the connection dialog (Arkiv → Anslut till databas), with the
    /// last database used in its field.
    pub fn open_connect_dialog(&mut self) {
        let last = self
            .state
            .recent_projects
            .iter()
            .filter_map(|p| p.to_str())
            .find(|p| crate::gui::db::is_database(p))
            .unwrap_or_default()
            .to_owned();
        self.connect = Some(ConnectDialog::new(&last));
    }

    /// The connection dialog, while open.
    pub fn connect_dialog(&self) -> Option<&ConnectDialog> {
        self.connect.as_ref()
    }

    /// The live refresh's poll interval (tests shorten it).
    pub fn set_live_refresh_interval(&mut self, every: Duration) {
        self.live.set_interval(every);
    }

    /// How many times another writer's change made the app reload.
    pub fn live_refreshes(&self) -> u64 {
        self.live.refreshes()
    }

    /// The number of new incidents from other users the status bar tells
    /// of at egui time `now`, while it does.
    pub fn live_notice(&self, now: f64) -> Option<u64> {
        self.live.notice(now)
    }

    /// Draws the connection dialog and turns its answer into an action.
    pub(super) fn connect_dialog_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(dialog) = &mut self.connect else {
            return;
        };
        match dialog.show(ctx, self.state.language) {
            ConnectEvent::None => {}
            ConnectEvent::Close => self.connect = None,
            ConnectEvent::Connect(location) => {
                actions.push(Action::Open(OpenTarget::Path(location)));
            }
        }
    }

    /// After each frame's logic: read again what another user changed
    /// (once none of the app's own work runs): the project for incidents,
    /// layers and metadata, else only the part that changed.
    pub(super) fn live_refresh_frame(&mut self, ctx: &egui::Context) {
        // The app's own writes, read back by their windows already.
        let own = [
            (ChangeKind::Plan, self.plan.take_read_stamps()),
            (ChangeKind::WeekPlan, self.plan.week.own_writes.take()),
            (ChangeKind::Measures, self.follow.own_writes.take()),
            (ChangeKind::Views, self.present.own_writes.take()),
        ];
        for (kind, stamps) in own {
            if let Some(stamps) = stamps {
                self.live.app_read(&[kind], &stamps);
            }
        }
        let idle = !self.is_busy();
        let now = ctx.input(|i| i.time);
        let loaded = self.project.as_ref().map(|p| &p.loaded);
        let kinds = self.live.frame(ctx, loaded, idle, now);
        if kinds.is_empty() {
            return;
        }
        if kinds.contains(&ChangeKind::Plan) {
            self.plan.reread_from_others();
        }
        if kinds.contains(&ChangeKind::WeekPlan) {
            self.plan.week.reread_fixed();
        }
        if kinds.contains(&ChangeKind::Measures) || kinds.contains(&ChangeKind::Plan) {
            // The follow-up window lists the measures and the patrol areas.
            self.follow.refresh(ctx);
        }
        if kinds.contains(&ChangeKind::Views) && !self.views_window_open() {
            // An open views window keeps what the user works on; it reads
            // the views again when opened.
            self.reread_views(ctx);
        }
        if kinds.iter().any(|k| LOADED_KINDS.contains(k))
            && let Some(view) = &self.project
        {
            let path = view.loaded.path.clone();
            let count = view.loaded.index.len() as u64;
            self.live.refresh_started(count, kinds);
            self.start_loading(ctx, OpenTarget::Path(path));
        }
    }

    /// A load of `target` finished (`Err`: with this message): the dialog
    /// closes or shows the error, the live refresh counts what is new, and
    /// the window title names the project and where it lives. True when
    /// the connection dialog took the outcome (and shows an error itself).
    pub(super) fn project_load_finished(
        &mut self,
        ctx: &egui::Context,
        target: &OpenTarget,
        result: Result<(), String>,
    ) -> bool {
        let now = ctx.input(|i| i.time);
        let loaded = self.project.as_ref().map(|p| &p.loaded);
        let refreshed = self.live.loaded(loaded.filter(|_| result.is_ok()), now);
        if refreshed.is_some_and(|kinds| kinds.contains(&ChangeKind::Incidents)) {
            self.note_incident_changed_meanwhile();
        }
        let mut taken = false;
        if let (OpenTarget::Path(path), Some(dialog)) = (target, &mut self.connect) {
            taken = dialog.is_opening(path);
            if dialog.finished(path, result.clone()) {
                self.connect = None;
            }
        }
        if result.is_ok()
            && let Some(view) = &self.project
        {
            let place = crate::store::Location::from(&view.loaded.path).display();
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(format!(
                "Lägesbild – {} – {place}",
                view.loaded.info.name
            )));
        }
        taken
    }
}

impl LagesbildApp {
    /// After a refresh for other users' changes: when the incident open in
    /// the editor was changed (or deleted) meanwhile, the editor keeps the
    /// user's form and says so.
    fn note_incident_changed_meanwhile(&mut self) {
        let (Some(editor), Some(view)) = (&mut self.edit.editor, &self.project) else {
            return;
        };
        let Some(original) = editor.original() else {
            return;
        };
        let Some(fid) = original.fid else {
            return;
        };
        let now = view.loaded.index.points().iter().find(|p| p.fid == fid);
        let same = now.is_some_and(|p| {
            p.category == original.category
                && p.source == original.source
                && p.occurred_at.timestamp_millis() == original.occurred_at.timestamp_millis()
                && (p.position.lon - original.position.lon).abs() < 1e-7
                && (p.position.lat - original.position.lat).abs() < 1e-7
        });
        if !same {
            let text = crate::gui::db::text::tr(self.state.language, T::IncidentChangedMeanwhile);
            editor.set_note(text.to_owned());
        }
    }
}

/// A project location as it may be remembered: never with a password.
pub(super) fn rememberable(path: &Path) -> std::path::PathBuf {
    match path.to_str() {
        Some(text) => std::path::PathBuf::from(without_password(text)),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::app::UiState;

    #[test]
    fn recent_and_last_projects_never_keep_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.gpkg");
        drop(crate::store::create(&file, "P").unwrap());
        let ctx = egui::Context::default();
        let mut app = LagesbildApp::with_state(&ctx, UiState::default(), Some(file.clone()));
        app.remember_project(Path::new(
            "postgresql://anna:hemligt@db.kommun.se/lagesbild?sslmode=require",
        ));
        app.remember_project(Path::new("service=lagesbild password=hemligt"));
        app.remember_project(&file);
        let saved = serde_json::to_string(&app.state).unwrap();
        assert!(!saved.contains("hemligt"), "{saved}");
        assert_eq!(
            app.state.recent_projects,
            [
                file.clone(),
                std::path::PathBuf::from("service=lagesbild"),
                std::path::PathBuf::from(
                    "postgresql://anna@db.kommun.se/lagesbild?sslmode=require"
                ),
            ]
        );
        // The dialog offers the last database, without its password.
        app.open_connect_dialog();
        assert_eq!(
            app.connect_dialog().unwrap().text,
            "service=lagesbild",
            "the most recent database"
        );
    }
}
