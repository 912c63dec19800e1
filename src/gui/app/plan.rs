//! The app's side of the patrol plan ([`crate::gui::plan`]): the menu
//! entry, the window, the per-frame work and read access for tests.

use super::{Action, LagesbildApp};
use crate::gui::plan::PlanState;
use crate::gui::plan::text::{T, tr};
use crate::gui::windows::file_browser::Purpose;

/// What the Patrullplan menu (and the analysis panel's places) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMenu {
    /// Open the route draft window over the strategic places.
    RouteDraft,
    /// Open the week plan window.
    WeekPlan,
}

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
        // The coverage table's reach columns count what the analysis shows.
        let out = self.analysis.output().cloned();
        let key = out
            .as_ref()
            .map_or(0, |o| std::sync::Arc::as_ptr(o) as usize);
        self.plan.set_reach(
            key,
            || {
                out.as_ref()
                    .and_then(|o| o.hotspots.as_ref().ok())
                    .map(|h| h.hotspots.hot_centres())
            },
            || {
                out.as_ref()
                    .and_then(|o| o.places.as_ref().ok())
                    .map(|p| p.places.places.iter().map(|c| c.xy).collect())
            },
        );
        self.plan.frame(ctx, path.as_ref(), &self.state.filter);
        self.plan.shortcuts(ctx);
    }

    /// The "Patrullplan" menu: the plan window, a route draft from the
    /// strategic places, the week plan.
    pub(super) fn plan_menu_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        ui.add_enabled_ui(self.project.is_some(), |ui| {
            ui.menu_button(tr(lang, T::Menu), |ui| {
                if ui
                    .add(egui::Button::selectable(
                        self.plan.open,
                        tr(lang, T::MenuWindow),
                    ))
                    .clicked()
                {
                    actions.push(Action::TogglePlan);
                }
                if ui.button(tr(lang, T::MenuDraft)).clicked() {
                    actions.push(Action::Plan(PlanMenu::RouteDraft));
                }
                if ui.button(tr(lang, T::MenuWeek)).clicked() {
                    actions.push(Action::Plan(PlanMenu::WeekPlan));
                }
            });
        });
    }

    /// The strategic places of the last analysis: (name, WGS 84 position),
    /// in rank order.
    pub fn strategic_places(&self) -> Vec<(String, crate::model::LonLat)> {
        let lang = self.state.language;
        let Some(out) = self.analysis.output() else {
            return vec![];
        };
        let Ok(view) = &out.places else {
            return vec![];
        };
        view.places
            .places
            .iter()
            .zip(&view.positions)
            .map(|(p, pos)| {
                let name = p.name.clone().unwrap_or_else(|| {
                    format!(
                        "{} {}",
                        crate::gui::i18n::tr(lang, crate::gui::i18n::Key::AnPlace),
                        p.rank
                    )
                });
                (name, *pos)
            })
            .collect()
    }

    /// Acts on a Patrullplan menu choice.
    pub(super) fn plan_menu_action(&mut self, ctx: &egui::Context, choice: PlanMenu) {
        match choice {
            PlanMenu::RouteDraft => {
                let places = self.strategic_places();
                self.plan.open_draft(places);
            }
            PlanMenu::WeekPlan => self.plan.open_week(ctx),
        }
    }

    pub(super) fn plan_window_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if self.project.is_none() {
            return;
        }
        let lang = self.state.language;
        if self.plan.open {
            self.plan.window_ui(ctx, lang);
        }
        self.plan.draft_window_ui(ctx, lang);
        self.plan.week_window_ui(ctx, lang);
        if self.plan.draft.take_browse() {
            actions.push(Action::ShowFileBrowser(Purpose::WalkingNetwork));
        }
    }
}
