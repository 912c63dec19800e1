//! The follow-up window (Uppföljning): register measures (area drawn on the
//! map, a patrol area or a file), evaluate one with a before/after chart per
//! month, and see planned against delivered presence per route stop and
//! week (aggregated: no host's path is ever shown).
//!
//! All store work runs as [`Task`]s; `ui()` only reads their results. The
//! core does the work: [`crate::analysis::evaluate`] and
//! [`crate::analysis::dose`], the same functions the command line calls.

pub mod text;

use std::path::{Path, PathBuf};

use geo::MultiPolygon;

use crate::analysis::dose::{self, DoseParams, PlannedVsDelivered};
use crate::analysis::evaluate::{self, Evaluation};
use crate::gui::i18n::Language;
use crate::gui::map::draw_area::{AreaDraft, AreaPlugin, DraftOutcome};
use crate::gui::tasks::Task;
use crate::jobs::CancelToken;
use crate::model::measure::Measure;
use crate::model::{Filter, LonLat};
use crate::store;
use text::{Key, tr};

/// Where a new measure's area comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AreaSource {
    #[default]
    Drawn,
    /// The patrol area with this index in the list read from the project.
    Patrol(usize),
    File,
}

/// What an evaluation compares the measure's area with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ControlSource {
    #[default]
    None,
    /// Another measure's area, by name.
    Measure(String),
    /// The patrol area with this index in the list read from the project.
    Patrol(usize),
}

/// The new-measure form, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasureForm {
    pub name: String,
    pub start: String,
    pub end: String,
    pub responsible: String,
    pub note: String,
    pub place: String,
    pub area_source: AreaSource,
    pub file_path: String,
    /// Take the problem from the picture's current filter.
    pub use_filter: bool,
}

/// What the project gave the window: its measures and patrol areas.
type Listing = (Vec<Measure>, Vec<(String, MultiPolygon<f64>)>);

/// The follow-up window's state.
#[derive(Default)]
pub struct FollowPanel {
    pub open: bool,
    project: Option<PathBuf>,
    /// The picture's filter, for "the problem is the current filter".
    filter: Filter,
    tab_presence: bool,
    measures: Vec<Measure>,
    patrol_areas: Vec<(String, MultiPolygon<f64>)>,
    form: MeasureForm,
    drawn: Option<MultiPolygon<f64>>,
    draft: AreaDraft,
    draft_outcome: Option<DraftOutcome>,
    /// The last evaluation (measure name, result).
    evaluation: Option<(String, Result<Evaluation, String>)>,
    presence: Option<Result<Vec<PlannedVsDelivered>, String>>,
    message: Option<String>,
    listing: Option<Task<Listing>>,
    saving: Option<Task<Listing>>,
    evaluating: Option<(String, Task<Evaluation>)>,
    /// The ring's width for evaluations; `None` is the core's default.
    ring_m: Option<f64>,
    control: ControlSource,
    presence_task: Option<Task<Vec<PlannedVsDelivered>>>,
    /// The change stamps after the window's own measure writes (live refresh).
    pub own_writes: crate::gui::db::OwnWrites,
}

fn read_listing(path: &Path) -> anyhow::Result<Listing> {
    let s = store::open(path)?;
    let measures = s.measures()?;
    // A store without patrol plans gives no areas to choose from.
    let areas = s
        .patrol_plan()
        .map(|p| {
            p.areas
                .into_iter()
                .map(|a| (a.attributes.name, a.polygons))
                .collect()
        })
        .unwrap_or_default();
    Ok((measures, areas))
}

fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    Filter::parse_date(text).ok()
}

impl FollowPanel {
    /// Sets the open project (re-reading its measures when it changes) and
    /// the picture's filter; the app calls this every frame.
    pub fn set_context(&mut self, ctx: &egui::Context, project: Option<&Path>, filter: &Filter) {
        // Results arrive also while the window is closed.
        self.take_results();
        if self.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        self.filter = filter.clone();
        if self.project.as_deref() != project {
            self.project = project.map(Path::to_path_buf);
            self.measures.clear();
            self.patrol_areas.clear();
            self.evaluation = None;
            self.presence = None;
            self.refresh(ctx);
        }
    }

    /// Re-reads the measures and patrol areas.
    pub fn refresh(&mut self, ctx: &egui::Context) {
        if let Some(path) = self.project.clone() {
            self.listing = Some(Task::spawn(ctx, "read measures", move |_, _| {
                read_listing(&path)
            }));
        }
    }

    /// True while any of the window's tasks runs.
    pub fn is_busy(&self) -> bool {
        self.listing.is_some()
            || self.saving.is_some()
            || self.evaluating.is_some()
            || self.presence_task.is_some()
    }

    /// The new-measure form.
    pub fn form_mut(&mut self) -> &mut MeasureForm {
        &mut self.form
    }

    /// The measures read from the project.
    pub fn measures(&self) -> &[Measure] {
        &self.measures
    }

    /// The ring width evaluations use, metres.
    pub fn ring_m(&self) -> f64 {
        self.ring_m.unwrap_or(evaluate::DEFAULT_BUFFER_M)
    }

    /// Sets the ring width evaluations use (at least 10 m).
    pub fn set_ring_m(&mut self, metres: f64) {
        self.ring_m = Some(metres.max(10.0));
    }

    /// What evaluations compare with.
    pub fn control(&self) -> &ControlSource {
        &self.control
    }

    /// Chooses what evaluations compare with.
    pub fn set_control(&mut self, control: ControlSource) {
        self.control = control;
    }

    /// The chosen control area's name and polygons, if it still exists.
    fn control_area(&self) -> Option<(String, MultiPolygon<f64>)> {
        match &self.control {
            ControlSource::None => None,
            ControlSource::Measure(name) => self
                .measures
                .iter()
                .find(|m| &m.name == name)
                .map(|m| (m.name.clone(), m.area.clone())),
            ControlSource::Patrol(i) => self.patrol_areas.get(*i).cloned(),
        }
    }

    /// The last evaluation, if any.
    pub fn evaluation(&self) -> Option<&Result<Evaluation, String>> {
        self.evaluation.as_ref().map(|(_, e)| e)
    }

    /// The last planned-against-delivered table, if any.
    pub fn presence(&self) -> Option<&Result<Vec<PlannedVsDelivered>, String>> {
        self.presence.as_ref()
    }

    /// The message shown under the form (errors, "saved").
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Uses `ring` (WGS 84) as the drawn area, as finishing a drawing does.
    pub fn set_drawn_area(&mut self, ring: &[LonLat]) {
        let mut coords: Vec<(f64, f64)> = ring.iter().map(|p| (p.lon, p.lat)).collect();
        if let Some(&first) = coords.first() {
            coords.push(first);
        }
        self.drawn = Some(MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(coords),
            vec![],
        )]));
    }

    /// The map plugin that draws the new area and its outline.
    pub fn area_plugin<'a>(&'a mut self, outline: &'a [Vec<LonLat>]) -> AreaPlugin<'a> {
        AreaPlugin {
            outline,
            draft: &mut self.draft,
            outcome: &mut self.draft_outcome,
        }
    }

    /// The rings to outline on the map, WGS 84: the area being registered,
    /// else the area of the measure last evaluated.
    pub fn drawn_outline(&self) -> Vec<Vec<LonLat>> {
        let evaluated = self.evaluation.as_ref().and_then(|(name, _)| {
            self.measures
                .iter()
                .find(|m| &m.name == name)
                .map(|m| &m.area)
        });
        self.drawn
            .as_ref()
            .or(evaluated)
            .into_iter()
            .flat_map(|m| &m.0)
            .map(|p| {
                p.exterior()
                    .0
                    .iter()
                    .map(|c| LonLat::new(c.x, c.y))
                    .collect()
            })
            .collect()
    }

    fn take_results(&mut self) {
        if let Some(r) = self.listing.as_ref().and_then(Task::try_take) {
            self.listing = None;
            match r {
                Ok((m, a)) => {
                    self.measures = m;
                    self.patrol_areas = a;
                }
                Err(e) => self.message = Some(format!("{e:#}")),
            }
        }
        if let Some(r) = self.saving.as_ref().and_then(Task::try_take) {
            self.saving = None;
            match r {
                Ok((m, a)) => {
                    self.measures = m;
                    self.patrol_areas = a;
                    self.message = Some(tr(Language::Swedish, Key::Saved).to_owned());
                    self.form = MeasureForm::default();
                    self.drawn = None;
                }
                // "Locked" in Swedish, like the incident editor (the panel's
                // other messages here are Swedish too).
                Err(e) => {
                    self.message = Some(crate::gui::store_text::error_text(Language::Swedish, &e))
                }
            }
        }
        if let Some((name, task)) = &self.evaluating
            && let Some(r) = task.try_take()
        {
            self.evaluation = Some((name.clone(), r.map_err(|e| format!("{e:#}"))));
            self.evaluating = None;
        }
        if let Some(r) = self.presence_task.as_ref().and_then(Task::try_take) {
            self.presence_task = None;
            self.presence = Some(r.map_err(|e| format!("{e:#}")));
        }
        if let Some(outcome) = self.draft_outcome.take()
            && let DraftOutcome::Finished(ring) = outcome
        {
            self.set_drawn_area(&ring);
        }
    }

    /// Checks the form and starts saving the measure.
    fn save(&mut self, ctx: &egui::Context, lang: Language) {
        let Some(path) = self.project.clone() else {
            return;
        };
        let f = &self.form;
        if f.name.trim().is_empty() {
            self.message = Some(tr(lang, Key::NeedName).to_owned());
            return;
        }
        let (Some(start), end) = (parse_date(&f.start), f.end.trim()) else {
            self.message = Some(tr(lang, Key::BadDate).to_owned());
            return;
        };
        let end = if end.is_empty() {
            None
        } else {
            match parse_date(end) {
                Some(d) => Some(d),
                None => {
                    self.message = Some(tr(lang, Key::BadDate).to_owned());
                    return;
                }
            }
        };
        let area = match f.area_source {
            AreaSource::Drawn => self.drawn.clone().map(Ok),
            AreaSource::Patrol(i) => self.patrol_areas.get(i).map(|(_, a)| Ok(a.clone())),
            AreaSource::File => Some(
                crate::analysis::inputs::read_polygons(Path::new(f.file_path.trim()))
                    .map_err(|e| e.to_string()),
            ),
        };
        let area = match area {
            Some(Ok(a)) => a,
            Some(Err(e)) => {
                self.message = Some(e);
                return;
            }
            None => {
                self.message = Some(tr(lang, Key::NeedArea).to_owned());
                return;
            }
        };
        let problem = if f.use_filter {
            Filter {
                from: None,
                to: None,
                ..self.filter.clone()
            }
        } else {
            Filter::default()
        };
        let measure = Measure {
            fid: None,
            name: f.name.trim().to_owned(),
            problem,
            place: f.place.clone(),
            area,
            start,
            end,
            responsible: f.responsible.clone(),
            note: f.note.clone(),
        };
        self.message = None;
        let own = self.own_writes.clone();
        self.saving = Some(Task::spawn(ctx, "save measure", move |_, _| {
            let mut s = store::open(path.as_path())?;
            s.add_measure(&measure)?;
            own.note(s.as_ref());
            read_listing(&path)
        }));
    }

    fn evaluate(&mut self, ctx: &egui::Context, measure: &Measure) {
        let Some(path) = self.project.clone() else {
            return;
        };
        let m = measure.clone();
        let ring_m = self.ring_m();
        // A measure is not its own control.
        let control = self.control_area().filter(|(name, _)| {
            !matches!(&self.control, ControlSource::Measure(_)) || *name != measure.name
        });
        let task = Task::spawn(ctx, "evaluate measure", move |_, cancel: &CancelToken| {
            let s = store::open(path.as_path())?;
            let control = control
                .map(|(name, area)| {
                    crate::analysis::area::StudyArea::from_wgs84(&area, format!("control {name:?}"))
                })
                .transpose()?;
            let req = evaluate::request_for_measure(&m, ring_m, control)?;
            Ok(evaluate::evaluate_in_store(s.as_ref(), &req, cancel)?)
        });
        self.evaluating = Some((measure.name.clone(), task));
    }

    fn remove(&mut self, ctx: &egui::Context, name: &str) {
        let Some(path) = self.project.clone() else {
            return;
        };
        let name = name.to_owned();
        let own = self.own_writes.clone();
        self.saving = Some(Task::spawn(ctx, "remove measure", move |_, _| {
            let mut s = store::open(path.as_path())?;
            s.remove_measure(&name)?;
            own.note(s.as_ref());
            read_listing(&path)
        }));
    }

    fn load_presence(&mut self, ctx: &egui::Context) {
        let Some(path) = self.project.clone() else {
            return;
        };
        self.presence_task = Some(Task::spawn(ctx, "presence", move |_, _| {
            let s = store::open(path.as_path())?;
            let planned = dose::planned_from_plan(&s.patrol_plan()?);
            let tracks = s.tracks(None, None)?;
            let checkins = s.checkins(None, None)?;
            let params = DoseParams::default();
            let places: Vec<_> = planned.iter().map(|p| p.place.clone()).collect();
            let (visits, _) = dose::visits_by_place(&places, &tracks, &checkins, &params)?;
            let times = tracks
                .iter()
                .flat_map(|t| t.fixes.iter().map(|f| f.at))
                .chain(checkins.iter().map(|c| c.checked_in));
            let dates: Vec<_> = times
                .map(|t| crate::model::time::local(t).date_naive())
                .collect();
            let weeks = match (dates.iter().min(), dates.iter().max()) {
                (Some(a), Some(b)) => dose::weeks_between(*a, *b),
                _ => Vec::new(),
            };
            Ok(dose::planned_vs_delivered(
                &planned, &visits, &weeks, &params,
            ))
        }));
    }

    /// Shows the window (when open).
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) {
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Title))
            .open(&mut open)
            .default_size([540.0, 720.0])
            .vscroll(true)
            .show(ctx, |ui| self.ui(ui, lang));
        self.open = open && self.open;
    }

    /// The window's contents.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        self.take_results();
        if self.is_busy() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
        }
        if self.project.is_none() {
            ui.label(tr(lang, Key::NoProject));
            return;
        }
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab_presence, false, tr(lang, Key::TabMeasures));
            ui.selectable_value(&mut self.tab_presence, true, tr(lang, Key::TabPresence));
        });
        ui.separator();
        if self.tab_presence {
            self.presence_ui(ui, lang);
        } else {
            self.measures_ui(ui, lang);
        }
    }

    /// The ring width and the control area evaluations use.
    fn evaluation_options_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        ui.horizontal(|ui| {
            ui.label(tr(lang, Key::RingWidth));
            let mut ring = self.ring_m();
            if ui
                .add(
                    egui::DragValue::new(&mut ring)
                        .range(10.0..=5000.0)
                        .speed(10.0),
                )
                .changed()
            {
                self.set_ring_m(ring);
            }
        });
        let label = |c: &ControlSource| match c {
            ControlSource::None => tr(lang, Key::ControlNone).to_owned(),
            ControlSource::Measure(name) => format!("{}: {name}", tr(lang, Key::ControlMeasure)),
            ControlSource::Patrol(i) => self.patrol_areas.get(*i).map_or_else(
                || tr(lang, Key::ControlNone).to_owned(),
                |(name, _)| format!("{}: {name}", tr(lang, Key::AreaPatrol)),
            ),
        };
        // A choice whose area is gone (removed, project changed) falls back.
        if !matches!(self.control, ControlSource::None) && self.control_area().is_none() {
            self.control = ControlSource::None;
        }
        let mut choices = vec![ControlSource::None];
        choices.extend(
            self.measures
                .iter()
                .map(|m| ControlSource::Measure(m.name.clone())),
        );
        choices.extend((0..self.patrol_areas.len()).map(ControlSource::Patrol));
        let mut chosen = self.control.clone();
        ui.horizontal(|ui| {
            ui.label(tr(lang, Key::ControlChoice))
                .on_hover_text(tr(lang, Key::ControlHint));
            let combo = egui::ComboBox::from_id_salt("follow_control")
                .selected_text(label(&chosen))
                .show_ui(ui, |ui| {
                    for c in choices {
                        let text = label(&c);
                        ui.selectable_value(&mut chosen, c, text);
                    }
                });
            combo.response.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::accesskit::Role::ComboBox,
                    true,
                    tr(lang, Key::ControlRow),
                )
            });
        });
        self.control = chosen;
    }

    fn measures_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let ctx = ui.ctx().clone();
        ui.strong(tr(lang, Key::Measures));
        if self.listing.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr(lang, Key::Loading));
            });
        } else if self.measures.is_empty() {
            ui.label(tr(lang, Key::NoMeasures));
        }
        if !self.measures.is_empty() {
            self.evaluation_options_ui(ui, lang);
        }
        let mut evaluate = None;
        let mut remove = None;
        egui::Grid::new("follow_measures")
            .striped(true)
            .show(ui, |ui| {
                for m in &self.measures {
                    ui.label(&m.name);
                    ui.label(format!(
                        "{} – {}",
                        m.start,
                        m.end
                            .map_or_else(|| tr(lang, Key::Ongoing).to_owned(), |d| d.to_string())
                    ));
                    ui.label(&m.responsible);
                    if ui
                        .add_enabled(
                            self.evaluating.is_none(),
                            egui::Button::new(tr(lang, Key::Evaluate)),
                        )
                        .on_hover_text(m.problem.describe())
                        .clicked()
                    {
                        evaluate = Some(m.clone());
                    }
                    if ui.small_button(tr(lang, Key::Remove)).clicked() {
                        remove = Some(m.name.clone());
                    }
                    ui.end_row();
                }
            });
        if let Some(m) = evaluate {
            self.evaluate(&ctx, &m);
        }
        if let Some(name) = remove {
            self.remove(&ctx, &name);
        }
        if self.evaluating.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr(lang, Key::Evaluating));
            });
        }
        if let Some((name, result)) = &self.evaluation {
            ui.separator();
            ui.strong(format!("{}: {name}", tr(lang, Key::Evaluation)));
            match result {
                Ok(e) => evaluation_ui(ui, lang, e),
                Err(msg) => {
                    ui.colored_label(ui.visuals().error_fg_color, msg);
                }
            }
        }
        ui.separator();
        egui::CollapsingHeader::new(tr(lang, Key::NewMeasure))
            .default_open(self.measures.is_empty())
            .show(ui, |ui| self.form_ui(ui, lang));
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let ctx = ui.ctx().clone();
        egui::Grid::new("follow_form")
            .num_columns(2)
            .show(ui, |ui| {
                let f = &mut self.form;
                for (key, value) in [
                    (Key::Name, &mut f.name),
                    (Key::Start, &mut f.start),
                    (Key::End, &mut f.end),
                    (Key::Responsible, &mut f.responsible),
                    (Key::Place, &mut f.place),
                    (Key::Note, &mut f.note),
                ] {
                    let label = ui.label(tr(lang, key));
                    ui.text_edit_singleline(value).labelled_by(label.id);
                    ui.end_row();
                }
                ui.label(tr(lang, Key::Problem));
                ui.checkbox(&mut f.use_filter, tr(lang, Key::ProblemFromFilter))
                    .on_hover_text(self.filter.describe());
                ui.end_row();
                ui.label(tr(lang, Key::AreaFrom));
                ui.vertical(|ui| {
                    ui.radio_value(
                        &mut f.area_source,
                        AreaSource::Drawn,
                        tr(lang, Key::AreaDrawn),
                    );
                    for (i, (name, _)) in self.patrol_areas.iter().enumerate() {
                        ui.radio_value(
                            &mut f.area_source,
                            AreaSource::Patrol(i),
                            format!("{}: {name}", tr(lang, Key::AreaPatrol)),
                        );
                    }
                    ui.radio_value(
                        &mut f.area_source,
                        AreaSource::File,
                        tr(lang, Key::AreaFile),
                    );
                });
                ui.end_row();
            });
        match self.form.area_source {
            AreaSource::Drawn => {
                ui.horizontal(|ui| {
                    if self.draft.active {
                        if ui.button(tr(lang, Key::StopDrawing)).clicked() {
                            self.draft.cancel();
                        }
                        ui.label(tr(lang, Key::NotDrawn));
                    } else {
                        if ui.button(tr(lang, Key::DrawArea)).clicked() {
                            self.draft.start();
                        }
                        if self.drawn.is_some() {
                            ui.label(tr(lang, Key::Drawn));
                        }
                    }
                });
            }
            AreaSource::File => {
                ui.horizontal(|ui| {
                    let label = ui.label(tr(lang, Key::FilePath));
                    ui.text_edit_singleline(&mut self.form.file_path)
                        .labelled_by(label.id);
                });
            }
            AreaSource::Patrol(_) => {}
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    self.saving.is_none(),
                    egui::Button::new(tr(lang, Key::Save)),
                )
                .clicked()
            {
                self.save(&ctx, lang);
            }
            if self.saving.is_some() {
                ui.spinner();
                ui.label(tr(lang, Key::Saving));
            }
        });
        if let Some(msg) = &self.message {
            ui.label(msg);
        }
    }

    fn presence_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        ui.strong(tr(lang, Key::Presence));
        ui.label(tr(lang, Key::PresenceNote));
        if ui
            .add_enabled(
                self.presence_task.is_none(),
                egui::Button::new(tr(lang, Key::LoadPresence)),
            )
            .clicked()
        {
            let ctx = ui.ctx().clone();
            self.load_presence(&ctx);
        }
        if self.presence_task.is_some() {
            ui.spinner();
        }
        match &self.presence {
            None => {}
            Some(Err(msg)) => {
                ui.colored_label(ui.visuals().error_fg_color, msg);
            }
            Some(Ok(rows)) if rows.is_empty() => {
                ui.label(tr(lang, Key::NoPresence));
            }
            Some(Ok(rows)) => presence_table_ui(ui, lang, rows),
        }
    }
}

/// The evaluation: counts, the chart per month, the WDQ and the summary.
fn evaluation_ui(ui: &mut egui::Ui, lang: Language, e: &Evaluation) {
    let [b0, b1] = e.periods.before;
    let [a0, a1] = e.periods.after;
    egui::Grid::new("follow_eval").striped(true).show(ui, |ui| {
        ui.label("");
        ui.label(format!("{} ({b0} – {b1})", tr(lang, Key::Before)));
        ui.label(format!("{} ({a0} – {a1})", tr(lang, Key::After)));
        ui.end_row();
        let mut row = |label: String, before: u64, after: u64| {
            ui.label(label);
            ui.label(before.to_string());
            ui.label(after.to_string());
            ui.end_row();
        };
        row(
            tr(lang, Key::AreaRow).to_owned(),
            e.area.before,
            e.area.after,
        );
        row(
            format!("{} {} m", tr(lang, Key::RingRow), e.buffer_m),
            e.buffer.before,
            e.buffer.after,
        );
        if let Some(c) = e.control {
            row(tr(lang, Key::ControlRow).to_owned(), c.before, c.after);
        }
    });
    ui.label(tr(lang, Key::PerMonth));
    let before: Vec<egui_plot::Bar> = e
        .months
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.after)
        .map(|(i, m)| egui_plot::Bar::new(i as f64, m.area as f64).name(&m.month))
        .collect();
    let after: Vec<egui_plot::Bar> = e
        .months
        .iter()
        .enumerate()
        .filter(|(_, m)| m.after)
        .map(|(i, m)| egui_plot::Bar::new(i as f64, m.area as f64).name(&m.month))
        .collect();
    let months: Vec<String> = e.months.iter().map(|m| m.month.clone()).collect();
    egui_plot::Plot::new("follow_months")
        .height(160.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .legend(egui_plot::Legend::default())
        .x_axis_formatter(move |mark, _range| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                months.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| {
            plot.bar_chart(
                egui_plot::BarChart::new(tr(lang, Key::Before), before)
                    .color(egui::Color32::from_rgb(150, 150, 160))
                    .width(0.7),
            );
            plot.bar_chart(
                egui_plot::BarChart::new(tr(lang, Key::After), after)
                    .color(egui::Color32::from_rgb(40, 110, 200))
                    .width(0.7),
            );
        });
    ui.label(format!(
        "{}: {}",
        tr(lang, Key::Wdq),
        match &e.wdq {
            Ok(w) => format!("{w:.2}"),
            Err(_) => tr(lang, Key::NoControl).to_owned(),
        }
    ));
    ui.add(egui::Label::new(&e.summary).wrap());
    for n in &e.notes {
        ui.small(text::note(lang, n));
    }
}

/// Planned against delivered per stop and week.
fn presence_table_ui(ui: &mut egui::Ui, lang: Language, rows: &[PlannedVsDelivered]) {
    egui::Grid::new("follow_presence")
        .striped(true)
        .show(ui, |ui| {
            for key in [
                Key::Stop,
                Key::Week,
                Key::Planned,
                Key::Delivered,
                Key::Visits,
                Key::DoseVisits,
            ] {
                ui.strong(tr(lang, key));
            }
            ui.end_row();
            for r in rows {
                ui.label(&r.name);
                ui.label(&r.week);
                ui.label(format!("{:.0}", r.planned_minutes));
                let short = r.minutes < r.planned_minutes;
                let text = egui::RichText::new(format!("{:.0}", r.minutes));
                ui.label(if short {
                    text.color(ui.visuals().warn_fg_color)
                } else {
                    text
                });
                ui.label(r.visits.to_string());
                ui.label(r.dose_visits.to_string());
                ui.end_row();
            }
        });
}
