//! The week plan window ("Veckoplan"): [`crate::analysis::week`]'s proposal
//! of which pair walks which area or route on which evening, as a grid of
//! pairs × evenings with a combo box in each cell. A change in a cell is
//! the planner's choice: it is fixed (marked "låst"), and the expected incidents
//! within reach and their share are recomputed at once
//! ([`WeekModel::evaluate`]); "Föreslå igen" proposes the rest around the
//! fixed cells. The history and the slots are prepared off the UI thread
//! over the app's filter and the plan's areas and routes (each on its own
//! weekdays and hours). The fixed cells are stored in the project
//! ([`crate::store::Store::save_week_fixed`]) after each change, and read
//! back when the week is first prepared, so the next session keeps them.

use std::path::Path;
use std::sync::Arc;

use chrono::Weekday;

use super::PlanState;
use super::text::{T, tr};
use crate::analysis::visits::Shift;
use crate::analysis::week::{
    Assignment, DEFAULT_BUFFER_M, Fixed, WeekModel, WeekParams, WeekPlan, beats_from_plan,
    history_of,
};
use crate::gui::i18n::Language;
use crate::gui::tasks::Task;
use crate::model::Filter;

fn day_name(lang: Language, d: Weekday) -> &'static str {
    let (sv, en) = super::panel::DAYS[d.num_days_from_monday() as usize];
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// A cell the planner chose: pair, evening, beat by name, the slot's shift index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedCell {
    pub pair: usize,
    pub evening: Weekday,
    pub beat: String,
    pub shift: usize,
}

/// The week window's state.
pub struct WeekState {
    pub open: bool,
    pub pairs: usize,
    pub shifts_per_pair: usize,
    /// Shift hours, comma separated, e.g. `19:00-03:00`.
    pub shift_text: String,
    pub buffer_m: f64,
    /// Prepare the model (and propose) when the store is idle.
    recompute: bool,
    task: Option<Task<(WeekModel, Option<Vec<crate::store::WeekFixedCell>>)>>,
    /// The stored fixed cells have been read (once per project).
    fixed_loaded: bool,
    /// The fixed cells changed: store them when idle.
    save_pending: bool,
    save_task: Option<Task<()>>,
    pub model: Option<Arc<WeekModel>>,
    /// The assignments shown: (assignment, fixed by the planner).
    pub assignments: Vec<(Assignment, bool)>,
    /// Their figures.
    pub plan: Option<WeekPlan>,
    /// The planner's choices, kept across proposals.
    pub fixed: Vec<FixedCell>,
    pub error: Option<String>,
    /// The plan generation and filter the model was made for.
    made_for: u64,
    made_filter: Option<Filter>,
    /// The window's language (for the task's messages).
    lang: Language,
    /// The change stamps after the window's own saves (live refresh).
    pub own_writes: crate::gui::db::OwnWrites,
}

impl Default for WeekState {
    fn default() -> Self {
        WeekState {
            open: false,
            pairs: 3,
            shifts_per_pair: 4,
            shift_text: "19:00-03:00".to_owned(),
            buffer_m: DEFAULT_BUFFER_M,
            recompute: false,
            task: None,
            fixed_loaded: false,
            save_pending: false,
            save_task: None,
            model: None,
            assignments: vec![],
            plan: None,
            fixed: vec![],
            error: None,
            made_for: 0,
            made_filter: None,
            lang: Language::Swedish,
            own_writes: Default::default(),
        }
    }
}

impl WeekState {
    /// The language the week window was last shown in (Swedish until then).
    pub(crate) fn lang(&self) -> Language {
        self.lang
    }

    /// Reads the fixed cells again (another user changed them), unless the
    /// planner's own change is still waiting to be saved: that one is kept
    /// and, once saved, is what the project holds.
    pub(crate) fn reread_fixed(&mut self) {
        if self.save_pending || self.save_task.is_some() {
            return;
        }
        self.fixed_loaded = false;
        if self.model.is_some() {
            self.recompute = true;
        }
    }

    /// True while the history and slots are being prepared.
    pub fn is_computing(&self) -> bool {
        self.is_preparing() || self.save_pending || self.save_task.is_some()
    }

    /// True while the history and slots are being read (not while the
    /// fixed cells are saved).
    fn is_preparing(&self) -> bool {
        self.task.is_some() || self.recompute
    }

    /// The fixed cells as the store keeps them (shift by its hours).
    fn stored_cells(&self, model: &WeekModel) -> Vec<crate::store::WeekFixedCell> {
        self.fixed
            .iter()
            .filter_map(|f| {
                Some(crate::store::WeekFixedCell {
                    pair: u32::try_from(f.pair).ok()?,
                    evening: f.evening,
                    item: f.beat.clone(),
                    shift: model.params.shifts.get(f.shift)?.to_string(),
                })
            })
            .collect()
    }

    /// Takes the stored cells whose hours are among the model's shifts.
    fn take_stored(&mut self, model: &WeekModel, cells: Vec<crate::store::WeekFixedCell>) {
        self.fixed = cells
            .into_iter()
            .filter_map(|c| {
                let shift = model
                    .params
                    .shifts
                    .iter()
                    .position(|s| s.to_string() == c.shift)?;
                Some(FixedCell {
                    pair: usize::try_from(c.pair).ok()?,
                    evening: c.evening,
                    beat: c.item,
                    shift,
                })
            })
            .collect();
    }

    fn params(&self) -> Result<WeekParams, String> {
        let shifts = self
            .shift_text
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().parse::<Shift>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WeekParams {
            pairs: self.pairs,
            shifts_per_pair: self.shifts_per_pair,
            shifts,
            evenings: crate::model::Weekdays::ALL.days().collect(),
            buffer_m: self.buffer_m,
            // Set from the history's period by the task.
            weeks: 1.0,
        })
    }

    /// The planner's fixed cells as the model names them (cells whose
    /// area or route is gone are dropped).
    fn fixed_for(&self, model: &WeekModel) -> Vec<Fixed> {
        self.fixed
            .iter()
            .filter_map(|f| {
                Some(Fixed {
                    pair: f.pair,
                    evening: f.evening,
                    beat: model.beat_names.iter().position(|n| *n == f.beat)?,
                    shift: Some(f.shift),
                })
            })
            .filter(|f| f.pair <= model.params.pairs)
            .collect()
    }

    /// Proposes over the model, keeping the fixed cells.
    pub fn propose(&mut self) {
        let Some(model) = self.model.clone() else {
            return;
        };
        let fixed = self.fixed_for(&model);
        match model.propose(&fixed) {
            Ok(plan) => {
                self.assignments = plan
                    .shifts
                    .iter()
                    .map(|s| {
                        (
                            Assignment {
                                pair: s.pair,
                                slot: s.slot,
                            },
                            s.fixed,
                        )
                    })
                    .collect();
                self.plan = Some(plan);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The planner puts `pair` on `slot` (or nothing) on `evening`: the cell
    /// is fixed and the figures are recomputed at once.
    pub fn set_cell(&mut self, pair: usize, evening: Weekday, slot: Option<usize>) {
        let Some(model) = self.model.clone() else {
            return;
        };
        self.assignments
            .retain(|(a, _)| !(a.pair == pair && model.slots[a.slot].evening == evening));
        self.fixed
            .retain(|f| !(f.pair == pair && f.evening == evening));
        if let Some(j) = slot.filter(|&j| j < model.slots.len()) {
            let s = &model.slots[j];
            self.assignments.push((Assignment { pair, slot: j }, true));
            self.fixed.push(FixedCell {
                pair,
                evening,
                beat: model.beat_names[s.beat].clone(),
                shift: s.shift_index,
            });
        }
        self.plan = Some(model.evaluate(&self.assignments));
        self.save_pending = true;
    }

    /// The slot shown in a cell.
    pub fn cell(&self, pair: usize, evening: Weekday) -> Option<(usize, bool)> {
        let model = self.model.as_ref()?;
        self.assignments
            .iter()
            .find(|(a, _)| {
                a.pair == pair && model.slots.get(a.slot).map(|s| s.evening) == Some(evening)
            })
            .map(|(a, f)| (a.slot, *f))
    }
}

fn slot_text(model: &WeekModel, j: usize) -> String {
    let s = &model.slots[j];
    format!("{} {}", model.beat_names[s.beat], s.hours)
}

impl PlanState {
    /// Opens the week window and prepares the proposal.
    pub fn open_week(&mut self, _ctx: &egui::Context) {
        self.week.open = true;
        if self.week.model.is_none() || self.week.made_for != self.generation {
            self.week.recompute = true;
        }
    }

    /// Per frame: starts and takes in the preparation (history, slots).
    pub(super) fn week_frame(&mut self, ctx: &egui::Context, path: &Path, filter: &Filter) {
        let w = &mut self.week;
        if let Some(task) = &w.task
            && let Some(result) = task.try_take()
        {
            w.task = None;
            match result {
                Ok((model, stored)) => {
                    if !w.fixed_loaded {
                        w.fixed_loaded = true;
                        if let Some(cells) = stored {
                            w.take_stored(&model, cells);
                        }
                    }
                    w.model = Some(Arc::new(model));
                    w.propose();
                }
                Err(e) => {
                    w.model = None;
                    w.plan = None;
                    w.assignments.clear();
                    w.error = Some(format!("{e:#}"));
                }
            }
        }
        if let Some(task) = &w.save_task
            && let Some(result) = task.try_take()
        {
            w.save_task = None;
            if let Err(e) = result {
                // "Locked" in the window's language, like the incident editor.
                w.error = Some(crate::gui::store_text::error_text(w.lang, &e));
            }
        }
        if w.save_pending
            && w.save_task.is_none()
            && let Some(model) = w.model.clone()
        {
            w.save_pending = false;
            let cells = w.stored_cells(&model);
            let p = path.to_path_buf();
            let own = w.own_writes.clone();
            w.save_task = Some(Task::spawn(ctx, "week-fixed", move |_, _| {
                let mut store = crate::store::open(&p)?;
                store.save_week_fixed(&cells)?;
                own.note(store.as_ref());
                Ok(())
            }));
        }
        if w.open
            && w.model.is_some()
            && w.task.is_none()
            && (w.made_for != self.generation || w.made_filter.as_ref() != Some(filter))
        {
            // The plan's areas or routes, or the filter, changed.
            w.recompute = true;
        }
        if !w.recompute || w.task.is_some() || self.generation == 0 {
            return;
        }
        w.recompute = false;
        w.made_for = self.generation;
        w.made_filter = Some(filter.clone());
        let params = match w.params() {
            Ok(p) => p,
            Err(e) => {
                w.error = Some(e);
                return;
            }
        };
        let (path, filter, lang) = (path.to_path_buf(), filter.clone(), w.lang);
        w.error = None;
        w.task = Some(Task::spawn(ctx, "week-plan", move |progress, cancel| {
            use crate::jobs::Progress as _;
            progress.stage("history", 0);
            let store = crate::store::open(&path)?;
            let beats = beats_from_plan(&store.patrol_plan()?);
            if beats.is_empty() {
                anyhow::bail!("{}", tr(lang, T::WeekNoItems));
            }
            let loaded = super::load_filtered(store.as_ref(), &path, &filter, cancel)?;
            let (history, period) = history_of(&loaded, &filter, false);
            let Some((_, weeks)) = period else {
                anyhow::bail!("{}", tr(lang, T::WeekNoHistory));
            };
            // A store that keeps no week plans (Unsupported) has none to give.
            let stored = match store.week_fixed() {
                Ok(cells) => Some(cells),
                Err(crate::store::StoreError::Unsupported { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let model = WeekModel::new(&history, &beats, &WeekParams { weeks, ..params })?;
            Ok((model, stored))
        }));
    }

    /// The week window (while open).
    pub fn week_window_ui(&mut self, ctx: &egui::Context, lang: Language) {
        self.week.lang = lang;
        if !self.week.open {
            return;
        }
        let mut open = true;
        egui::Window::new(tr(lang, T::WeekTitle))
            .open(&mut open)
            .default_pos(egui::pos2(60.0, 80.0))
            .default_width(760.0)
            .resizable(true)
            .show(ctx, |ui| {
                egui::ScrollArea::both().show(ui, |ui| self.week_contents_ui(ui, lang));
            });
        if !open {
            self.week.open = false;
        }
    }

    fn week_contents_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let w = &mut self.week;
        ui.label(tr(lang, T::WeekIntro));
        ui.horizontal_wrapped(|ui| {
            ui.label(tr(lang, T::WeekPairs));
            ui.add(egui::DragValue::new(&mut w.pairs).range(1..=10));
            ui.label(tr(lang, T::WeekShiftsPerPair));
            ui.add(egui::DragValue::new(&mut w.shifts_per_pair).range(1..=7));
            ui.label(tr(lang, T::WeekShiftHours));
            ui.add(egui::TextEdit::singleline(&mut w.shift_text).desired_width(140.0));
            ui.label(tr(lang, T::Buffer));
            ui.add(
                egui::DragValue::new(&mut w.buffer_m)
                    .range(0.0..=500.0)
                    .speed(1.0),
            );
        });
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    !w.is_preparing(),
                    egui::Button::new(tr(lang, T::WeekCompute)),
                )
                .clicked()
            {
                w.recompute = true;
            }
            if ui
                .add_enabled(
                    w.model.is_some() && !w.is_preparing(),
                    egui::Button::new(tr(lang, T::WeekPropose)),
                )
                .clicked()
            {
                w.propose();
            }
            if ui
                .add_enabled(
                    !w.fixed.is_empty(),
                    egui::Button::new(tr(lang, T::WeekUnfix)),
                )
                .clicked()
            {
                w.fixed.clear();
                w.save_pending = true;
                w.propose();
            }
            if w.is_preparing() {
                ui.spinner();
                ui.label(tr(lang, T::WeekComputing));
            }
        });
        if let Some(e) = &w.error {
            ui.colored_label(ui.visuals().error_fg_color, e.as_str());
        }
        let Some(model) = w.model.clone() else {
            return;
        };
        ui.separator();
        let mut change: Option<(usize, Weekday, Option<usize>)> = None;
        egui::Grid::new("week_grid")
            .striped(true)
            .num_columns(model.params.evenings.len() + 1)
            .show(ui, |ui| {
                ui.label(egui::RichText::new(tr(lang, T::WeekPair)).strong());
                for &d in &model.params.evenings {
                    ui.label(egui::RichText::new(day_name(lang, d)).strong());
                }
                ui.end_row();
                for pair in 1..=model.params.pairs {
                    ui.label(format!("{} {pair}", tr(lang, T::WeekPair)));
                    for &d in &model.params.evenings {
                        let shown = w.cell(pair, d);
                        let text = match shown {
                            Some((j, fixed)) => format!(
                                "{}{}",
                                slot_text(&model, j),
                                if fixed {
                                    tr(lang, T::WeekFixedMark)
                                } else {
                                    ""
                                },
                            ),
                            None => "–".to_owned(),
                        };
                        let mut picked = shown.map(|(j, _)| j);
                        let before = picked;
                        let combo = egui::ComboBox::from_id_salt(("week_cell", pair, d as u8))
                            .selected_text(text)
                            .width(120.0)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut picked, None, "–");
                                for j in
                                    (0..model.slots.len()).filter(|&j| model.slots[j].evening == d)
                                {
                                    let s = &model.slots[j];
                                    ui.selectable_value(
                                        &mut picked,
                                        Some(j),
                                        format!(
                                            "{} ({:.1}/{})",
                                            slot_text(&model, j),
                                            s.reached() as f64 / model.params.weeks,
                                            tr(lang, T::WeekPerWeek)
                                        ),
                                    );
                                }
                            });
                        let cell_label =
                            format!("{} {pair} {}", tr(lang, T::WeekPair), day_name(lang, d));
                        combo.response.widget_info(|| {
                            egui::WidgetInfo::labeled(
                                egui::accesskit::Role::ComboBox,
                                true,
                                &cell_label,
                            )
                        });
                        if let Some((j, _)) = shown {
                            combo.response.on_hover_text(format!(
                                "{:.1} {}",
                                model.slots[j].reached() as f64 / model.params.weeks,
                                tr(lang, T::WeekExpectedHover)
                            ));
                        }
                        if picked != before {
                            change = Some((pair, d, picked));
                        }
                    }
                    ui.end_row();
                }
            });
        if let Some((pair, d, slot)) = change {
            w.set_cell(pair, d, slot);
        }
        if let Some(plan) = &w.plan {
            ui.separator();
            ui.label(
                egui::RichText::new(
                    tr(lang, T::WeekExpected)
                        .replace("{expected}", &format!("{:.1}", plan.expected))
                        .replace("{total}", &format!("{:.1}", plan.total))
                        .replace("{share}", &format!("{:.1}", plan.share * 100.0)),
                )
                .strong(),
            );
            ui.label(
                egui::RichText::new(
                    tr(lang, T::WeekHistory)
                        .replace("{n}", &plan.incidents.to_string())
                        .replace("{weeks}", &format!("{:.1}", model.params.weeks)),
                )
                .small(),
            );
            for (pair, missing) in &plan.short {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    tr(lang, T::WeekShort)
                        .replace("{pair}", &pair.to_string())
                        .replace("{n}", &missing.to_string()),
                );
            }
        }
    }
}
