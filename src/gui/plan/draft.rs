//! The route draft window ("Ruttutkast"): from the strategic places (all,
//! or the ones ticked), a base (the first ticked place, or a point clicked
//! on the map) and optionally a walking network file, the shortest loop is
//! found off the UI thread ([`crate::analysis::draft_route`]) with progress
//! and cancel, and stored in the plan as a new route with its stops in
//! walking order, selected so that the plan window's tools edit it. It is
//! one plan edit: undo removes it.

use std::path::PathBuf;

use super::text::{T, tr};
use super::{PlanState, Tool};
use crate::analysis::draft_route::{Draft, DraftInput, draft_route};
use crate::analysis::route::{Along, DEFAULT_PACE_KMH, Method};
use crate::gui::i18n::Language;
use crate::gui::plan::history::{PlanEdit, PlanItem};
use crate::gui::tasks::Task;
use crate::model::LonLat;
use crate::model::plan::{DEFAULT_DWELL_MIN, PlanAttributes};

/// One place offered for the draft.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftPlace {
    pub name: String,
    pub position: LonLat,
    /// Ticked: the route stops here.
    pub chosen: bool,
}

/// The route draft's state.
pub struct DraftState {
    pub open: bool,
    pub places: Vec<DraftPlace>,
    /// A base clicked on the map; `None` = the first ticked place.
    pub base: Option<LonLat>,
    /// The walking network file; `None` = straight lines.
    pub network: Option<PathBuf>,
    pub dwell_min: u32,
    pub pace_kmh: f64,
    /// The window asked for the file browser (the app takes it).
    browse: bool,
    task: Option<(Task<Draft>, Language, String)>,
    /// What the last draft gave (or why it failed).
    pub notice: Option<String>,
}

impl Default for DraftState {
    fn default() -> Self {
        DraftState {
            open: false,
            places: vec![],
            base: None,
            network: None,
            dwell_min: DEFAULT_DWELL_MIN,
            pace_kmh: DEFAULT_PACE_KMH,
            browse: false,
            task: None,
            notice: None,
        }
    }
}

impl DraftState {
    /// True while a draft is being computed.
    pub fn is_running(&self) -> bool {
        self.task.is_some()
    }

    /// True once after the window asked for the file browser.
    pub fn take_browse(&mut self) -> bool {
        std::mem::take(&mut self.browse)
    }

    /// The base the draft starts from: the clicked point, else the first
    /// ticked place.
    pub fn base_position(&self) -> Option<LonLat> {
        self.base
            .or_else(|| self.places.iter().find(|p| p.chosen).map(|p| p.position))
    }
}

fn stage_text(lang: Language, stage: &str) -> &'static str {
    match stage {
        "network" => tr(lang, T::DraftReadingNetwork),
        _ => tr(lang, T::DraftComputing),
    }
}

impl PlanState {
    /// Opens the draft window over these places (name, position), all
    /// ticked. A running draft keeps running.
    pub fn open_draft(&mut self, places: Vec<(String, LonLat)>) {
        let d = &mut self.draft;
        d.open = true;
        d.notice = None;
        if d.task.is_none() {
            d.places = places
                .into_iter()
                .map(|(name, position)| DraftPlace {
                    name,
                    position,
                    chosen: true,
                })
                .collect();
        }
    }

    /// Starts the draft over the ticked places (refused while one runs or
    /// when none is ticked).
    pub fn start_draft(&mut self, ctx: &egui::Context, lang: Language) {
        let d = &self.draft;
        if d.task.is_some() {
            return;
        }
        let places: Vec<(String, LonLat)> = d
            .places
            .iter()
            .filter(|p| p.chosen)
            .map(|p| (p.name.clone(), p.position))
            .collect();
        let Some(base) = d.base_position() else {
            self.draft.notice = Some(tr(lang, T::DraftNoPlaces).to_owned());
            return;
        };
        let input = DraftInput {
            places,
            base,
            network: d.network.clone(),
            dwell_min: d.dwell_min,
            pace_kmh: d.pace_kmh,
        };
        let name = format!("{} {}", tr(lang, T::DraftName), self.plan.routes.len() + 1);
        self.draft.notice = None;
        let task = Task::spawn(ctx, "route-draft", move |progress, cancel| {
            Ok(draft_route(&input, progress, cancel)?)
        });
        self.draft.task = Some((task, lang, name));
    }

    /// Cancels a running draft.
    pub fn cancel_draft(&mut self) {
        if let Some((task, ..)) = &self.draft.task {
            task.cancel();
        }
    }

    /// Per frame: a finished draft becomes a new route of the plan (one
    /// undoable edit), selected once stored.
    pub(super) fn draft_frame(&mut self) {
        let Some((task, ..)) = &self.draft.task else {
            return;
        };
        let Some(result) = task.try_take() else {
            return;
        };
        let Some((_, lang, name)) = self.draft.task.take() else {
            return;
        };
        match result {
            Ok(draft) => {
                let along = match draft.along {
                    Along::Network => tr(lang, T::DraftAlongNetwork),
                    Along::StraightLines => tr(lang, T::DraftStraight),
                };
                let method = match draft.method {
                    Method::Exact => tr(lang, T::DraftExact),
                    Method::Heuristic => tr(lang, T::DraftHeuristic),
                };
                let summary = format!(
                    "{name}: {} {}, {:.0} m, {:.0} min {} + {} min {} = {:.0} min. {along}; {method}.",
                    draft.route.stops.len(),
                    tr(lang, T::DraftStopsWord),
                    draft.length_m,
                    draft.walk_min,
                    tr(lang, T::DraftWalkWord),
                    draft.route.dwell_min(),
                    tr(lang, T::DraftDwellWord),
                    draft.shift_min,
                );
                let mut route = draft.route;
                route.attributes = PlanAttributes {
                    name,
                    color: self.next_color(),
                    note: summary.clone(),
                    ..PlanAttributes::default()
                };
                self.open = true;
                self.tool = Tool::Idle;
                self.submit(PlanEdit::Put {
                    before: None,
                    after: PlanItem::Route(route),
                });
                self.draft.notice = Some(summary);
                self.draft.open = false;
            }
            Err(e) => {
                let cancelled = matches!(
                    e.downcast_ref::<crate::analysis::draft_route::DraftError>(),
                    Some(crate::analysis::draft_route::DraftError::Analysis(
                        crate::analysis::AnalysisError::Cancelled
                    ))
                );
                self.draft.notice = Some(if cancelled {
                    tr(lang, T::DraftCancelled).to_owned()
                } else {
                    format!("{e:#}")
                });
            }
        }
    }

    /// The draft window (while open).
    pub fn draft_window_ui(&mut self, ctx: &egui::Context, lang: Language) {
        if !self.draft.open {
            return;
        }
        let mut open = true;
        let mut start = false;
        let mut cancel = false;
        egui::Window::new(tr(lang, T::DraftTitle))
            .open(&mut open)
            .default_pos(egui::pos2(ctx.content_rect().right() - 900.0, 60.0))
            .default_width(380.0)
            .resizable(true)
            .show(ctx, |ui| {
                let picking = matches!(self.tool, Tool::PickBase);
                let d = &mut self.draft;
                ui.label(tr(lang, T::DraftIntro));
                if d.places.is_empty() {
                    ui.colored_label(ui.visuals().warn_fg_color, tr(lang, T::DraftNoPlaces));
                }
                egui::ScrollArea::vertical()
                    .max_height(200.0)
                    .show(ui, |ui| {
                        for p in &mut d.places {
                            ui.checkbox(&mut p.chosen, p.name.as_str());
                        }
                    });
                ui.separator();
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr(lang, T::DraftBase));
                    match (d.base, d.places.iter().find(|p| p.chosen)) {
                        (Some(b), _) => {
                            ui.label(format!("{:.5}, {:.5}", b.lon, b.lat));
                        }
                        (None, Some(first)) => {
                            ui.label(format!("{} ({})", tr(lang, T::DraftBaseFirst), first.name));
                        }
                        (None, None) => {
                            ui.label("–");
                        }
                    }
                });
                let mut pick = false;
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .selectable_label(picking, tr(lang, T::DraftPickBase))
                        .clicked()
                    {
                        pick = true;
                    }
                    if d.base.is_some() && ui.button(tr(lang, T::DraftBaseReset)).clicked() {
                        d.base = None;
                    }
                });
                if picking {
                    ui.label(egui::RichText::new(tr(lang, T::DraftPickingBase)).strong());
                }
                ui.separator();
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr(lang, T::DraftNetwork));
                    match &d.network {
                        Some(p) => {
                            ui.label(
                                p.file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default(),
                            )
                            .on_hover_text(p.display().to_string());
                        }
                        None => {
                            ui.label(tr(lang, T::DraftNoNetwork));
                        }
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    if ui.button(tr(lang, T::DraftChooseNetwork)).clicked() {
                        d.browse = true;
                    }
                    if d.network.is_some() && ui.button(tr(lang, T::DraftStraightButton)).clicked()
                    {
                        d.network = None;
                    }
                });
                if d.network.is_none() {
                    ui.colored_label(ui.visuals().warn_fg_color, tr(lang, T::DraftStraightNote));
                }
                ui.horizontal(|ui| {
                    ui.label(tr(lang, T::DraftDwell));
                    ui.add(
                        egui::DragValue::new(&mut d.dwell_min)
                            .range(0..=240)
                            .suffix(" min"),
                    );
                    ui.label(tr(lang, T::Pace));
                    ui.add(
                        egui::DragValue::new(&mut d.pace_kmh)
                            .range(1.0..=10.0)
                            .speed(0.1),
                    );
                });
                ui.separator();
                let chosen = d.places.iter().filter(|p| p.chosen).count();
                match &d.task {
                    Some((task, ..)) => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            let (stage, _, _) = task.progress().snapshot();
                            ui.label(stage_text(lang, &stage));
                            if ui.button(tr(lang, T::Cancel)).clicked() {
                                cancel = true;
                            }
                        });
                    }
                    None => {
                        if ui
                            .add_enabled(chosen > 0, egui::Button::new(tr(lang, T::DraftMake)))
                            .clicked()
                        {
                            start = true;
                        }
                    }
                }
                if let Some(n) = &d.notice {
                    ui.label(n.as_str());
                }
                if pick {
                    self.tool = if picking { Tool::Idle } else { Tool::PickBase };
                }
            });
        if start {
            self.start_draft(ctx, lang);
        }
        if cancel {
            self.cancel_draft();
        }
        if !open {
            self.draft.open = false;
            if matches!(self.tool, Tool::PickBase) {
                self.tool = Tool::Idle;
            }
        }
    }
}
