//! The app's side of the patrol plan ([`crate::gui::plan`]): the menu
//! entry, the window, the per-frame work and read access for tests.

use super::{Action, LagesbildApp};
use crate::gui::plan::PlanState;
use crate::gui::plan::text::{T, tr};

impl LagesbildApp {
    /// Opens or closes the plan window.
    pub fn toggle_plan(&mut self) {
        self.plan.open = !self.plan.open;
    }

    /// The patrol plan's state (plan, selection, tool, coverage).
    pub fn plan(&self) -> &PlanState {
        &self.plan
    }

    /// The patrol plan's state, mutable (tests set tools and fields).
    pub fn plan_mut(&mut self) -> &mut PlanState {
        &mut self.plan
    }

    /// Per frame: plan edits and coverage tasks, and the plan's shortcuts
    /// (before the incident edits' Ctrl+Z, which they take while the window is open).
    pub(super) fn plan_frame(&mut self, ctx: &egui::Context) {
        let path = self.project.as_ref().map(|p| p.loaded.path.clone());
        self.plan.frame(ctx, path.as_ref(), &self.state.filter);
        self.plan.shortcuts(ctx);
    }

    /// The "Patrullplan" entry in the menu bar.
    pub(super) fn plan_menu_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        if ui
            .add_enabled(
                self.project.is_some(),
                egui::Button::selectable(self.plan.open, tr(lang, T::Menu)),
            )
            .clicked()
        {
            actions.push(Action::TogglePlan);
        }
    }

    pub(super) fn plan_window_ui(&mut self, ctx: &egui::Context) {
        if self.plan.open && self.project.is_some() {
            self.plan.window_ui(ctx, self.state.language);
        }
    }
}
