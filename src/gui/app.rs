//! The app state and its drawing: for now a window with the project summary
//! (the map comes with the next issue).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::i18n::{self, Key, Language, tr};
use super::tasks::{self, OpenTarget, ProjectSummary, Task};
use crate::model::time;

/// State kept between runs (eframe storage). `#[serde(default)]` so that
/// files written by older versions still load.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    pub language: Language,
    /// The project open when the app last closed.
    pub last_project: Option<PathBuf>,
}

/// What the central panel shows.
enum View {
    Loading(OpenTarget, Task<ProjectSummary>),
    Ready(Box<ProjectSummary>),
    Failed(String),
}

/// Something the UI asked for; applied after drawing.
#[must_use]
enum Action {
    SetLanguage(Language),
    Quit,
}

/// The desktop app.
pub struct LagesbildApp {
    state: UiState,
    view: View,
}

const STATE_KEY: &str = "lagesbild_state";

impl LagesbildApp {
    /// Opens `project`, or the last project, or the demo project.
    pub fn new(cc: &eframe::CreationContext<'_>, project: Option<PathBuf>) -> Self {
        let state: UiState = cc
            .storage
            .and_then(|s| eframe::get_value(s, STATE_KEY))
            .unwrap_or_default();
        let target = match project {
            Some(p) => OpenTarget::Path(p),
            None => match &state.last_project {
                Some(p) if p.exists() => OpenTarget::Path(p.clone()),
                _ => OpenTarget::Demo,
            },
        };
        let view = Self::start_loading(&cc.egui_ctx, target);
        Self { state, view }
    }

    fn start_loading(ctx: &egui::Context, target: OpenTarget) -> View {
        let for_task = target.clone();
        let task = Task::spawn(ctx, "load-project", move |cancel| {
            tasks::load_summary(for_task, cancel)
        });
        View::Loading(target, task)
    }

    /// The UI language in use.
    pub fn language(&self) -> Language {
        self.state.language
    }

    /// True while the project is being read.
    pub fn is_loading(&self) -> bool {
        matches!(self.view, View::Loading(..))
    }

    /// The loaded project summary, if any.
    pub fn summary(&self) -> Option<&ProjectSummary> {
        match &self.view {
            View::Ready(s) => Some(s),
            _ => None,
        }
    }

    fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::SetLanguage(lang) => self.state.language = lang,
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn top_bar_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, Key::File), |ui| {
                if ui.button(tr(lang, Key::Quit)).clicked() {
                    actions.push(Action::Quit);
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

    fn summary_ui(ui: &mut egui::Ui, lang: Language, s: &ProjectSummary) {
        let info = &s.info;
        ui.heading(&info.name);
        if info.synthetic {
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
        ui.label(tr(lang, Key::MapComingNote));
        ui.add_space(8.0);
        egui::Grid::new("summary")
            .num_columns(2)
            .spacing([24.0, 4.0])
            .show(ui, |ui| {
                ui.label(tr(lang, Key::Project));
                ui.label(s.path.display().to_string());
                ui.end_row();
                ui.label(tr(lang, Key::Incidents));
                ui.label(i18n::count(lang, info.incident_count));
                ui.end_row();
                if info.coarse_count > 0 {
                    ui.label("");
                    ui.label(format!(
                        "{} {}",
                        i18n::count(lang, info.coarse_count),
                        tr(lang, Key::CoarseIncidents)
                    ));
                    ui.end_row();
                }
                if let Some((first, last)) = info.time_range {
                    ui.label(tr(lang, Key::Period));
                    ui.label(format!(
                        "{} – {} ({})",
                        time::local(first).format("%Y-%m-%d"),
                        time::local(last).format("%Y-%m-%d"),
                        tr(lang, Key::LocalTime)
                    ));
                    ui.end_row();
                }
                if let Some((min, max)) = info.extent {
                    ui.label(tr(lang, Key::Extent));
                    ui.label(format!(
                        "{:.4}–{:.4} °N, {:.4}–{:.4} °E",
                        min.lat, max.lat, min.lon, max.lon
                    ));
                    ui.end_row();
                }
                ui.label(tr(lang, Key::EveningsAndNights));
                ui.label(format!(
                    "{} ({:.0} %)",
                    i18n::count(lang, s.stats.evening_night),
                    s.stats.evening_night_share * 100.0
                ));
                ui.end_row();
            });
        if info.incident_count == 0 {
            ui.add_space(8.0);
            ui.label(tr(lang, Key::NoIncidents));
            return;
        }
        ui.add_space(12.0);
        ui.columns(3, |cols| {
            cols[0].strong(tr(lang, Key::ByCategory));
            let rows: Vec<(&str, u64)> = s
                .stats
                .by_category
                .iter()
                .map(|(c, n)| (i18n::category(lang, *c), *n))
                .collect();
            bars_ui(&mut cols[0], lang, "by_category", &rows);
            cols[1].strong(tr(lang, Key::BySource));
            let rows: Vec<(&str, u64)> = s
                .stats
                .by_source
                .iter()
                .map(|(src, n)| (i18n::source(lang, *src), *n))
                .collect();
            bars_ui(&mut cols[1], lang, "by_source", &rows);
            cols[2].strong(tr(lang, Key::ByHour));
            hour_histogram_ui(&mut cols[2], &s.stats.by_hour);
        });
    }
}

/// A labelled horizontal bar per row.
fn bars_ui(ui: &mut egui::Ui, lang: Language, id: &str, rows: &[(&str, u64)]) {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    egui::Grid::new(id).num_columns(3).show(ui, |ui| {
        for (label, n) in rows {
            ui.label(*label);
            ui.label(i18n::count(lang, *n));
            let width = 120.0 * (*n as f32 / max as f32);
            let (rect, _) = ui.allocate_exact_size(egui::vec2(120.0, 10.0), egui::Sense::hover());
            let bar = egui::Rect::from_min_size(rect.min, egui::vec2(width, rect.height()));
            ui.painter()
                .rect_filled(bar, 2.0, ui.visuals().selection.bg_fill);
            ui.end_row();
        }
    });
}

/// 24 vertical bars, evenings and nights highlighted.
fn hour_histogram_ui(ui: &mut egui::Ui, by_hour: &[u64; 24]) {
    let max = by_hour.iter().copied().max().unwrap_or(0).max(1);
    let size = egui::vec2(ui.available_width().min(360.0), 120.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    let w = rect.width() / 24.0;
    let painter = ui.painter();
    for (h, n) in by_hour.iter().enumerate() {
        let height = (rect.height() - 14.0) * (*n as f32 / max as f32);
        let x = rect.left() + h as f32 * w;
        let bar = egui::Rect::from_min_max(
            egui::pos2(x + 1.0, rect.bottom() - 14.0 - height),
            egui::pos2(x + w - 1.0, rect.bottom() - 14.0),
        );
        let night = !(6..18).contains(&h);
        let color = if night {
            egui::Color32::from_rgb(68, 90, 160)
        } else {
            egui::Color32::from_rgb(170, 180, 200)
        };
        painter.rect_filled(bar, 1.0, color);
        if h % 6 == 0 {
            painter.text(
                egui::pos2(x, rect.bottom()),
                egui::Align2::LEFT_BOTTOM,
                format!("{h:02}"),
                egui::FontId::proportional(10.0),
                ui.visuals().text_color(),
            );
        }
    }
    if let Some(pos) = response.hover_pos() {
        let h = (((pos.x - rect.left()) / w) as usize).min(23);
        response.on_hover_text(format!("{h:02}–{:02}: {}", (h + 1) % 24, by_hour[h]));
    }
}

impl eframe::App for LagesbildApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if let View::Loading(target, task) = &self.view
            && let Some(result) = task.try_take()
        {
            self.view = match result {
                Ok(summary) => {
                    if let OpenTarget::Path(p) = target {
                        self.state.last_project = Some(p.clone());
                    }
                    View::Ready(Box::new(summary))
                }
                Err(err) => View::Failed(format!("{err:#}")),
            };
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let lang = self.state.language;
        let mut actions = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui, &mut actions));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| match &self.view {
                View::Loading(target, _) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(match target {
                            OpenTarget::Demo => tr(lang, Key::LoadingDemo),
                            OpenTarget::Path(_) => tr(lang, Key::Loading),
                        });
                    });
                }
                View::Ready(summary) => Self::summary_ui(ui, lang, summary),
                View::Failed(msg) => {
                    ui.heading(tr(lang, Key::OpenFailed));
                    ui.colored_label(ui.visuals().error_fg_color, msg);
                }
            });
        });
        let ctx = ui.ctx().clone();
        for action in actions {
            self.apply(&ctx, action);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STATE_KEY, &self.state);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let View::Loading(_, task) = &self.view {
            task.cancel();
        }
    }
}
