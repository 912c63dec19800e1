//! The patrol plan in the app: drawing and editing areas and routes on the
//! map ([`map`]), the side window with attributes, stops and the coverage
//! table ([`panel`]), undo and redo ([`history`]).
//!
//! The plan shown is the one last read from the project; every edit is a
//! [`history::PlanEdit`] applied by a background task (one store
//! transaction), after which the plan is read again. Coverage is computed by
//! another task over the current filter, with
//! [`crate::analysis::coverage::coverage_of`], each time the plan, the
//! filter or the parameters change; the last table stays until the new one
//! arrives. A route can also be drafted from the strategic places
//! ([`draft`]), and the hosts' week proposed and adjusted ([`week`]).

pub mod draft;
pub mod history;
pub mod map;
pub mod panel;
pub mod text;
pub mod week;

use std::collections::VecDeque;
use std::path::PathBuf;

use geo::{Coord, LineString, MultiPolygon, Polygon};

use crate::analysis::coverage::{CoverageParams, PlanCoverage};
use crate::gui::tasks::Task;
use crate::model::plan::{
    PLAN_PALETTE, PatrolArea, PatrolPlan, PatrolRoute, PlanAttributes, PlanRef, RouteStop,
    area_validity,
};
use crate::model::{Filter, HourRange, LonLat};
use history::{JobDone, PlanEdit, PlanHistory, PlanItem, Step};

/// An edit and the direction it is applied in.
type Queued = (PlanEdit, Step);

/// The project's incidents in `filter` with a precise position, as the
/// plan's coverage and week read them (off the UI thread).
fn load_filtered(
    store: &dyn crate::store::Store,
    path: &std::path::Path,
    filter: &Filter,
    cancel: &crate::jobs::CancelToken,
) -> Result<crate::analysis::engine::Loaded, crate::analysis::engine::EngineError> {
    use crate::analysis::engine::{self, AreaChoice, Selection};
    let selection = Selection {
        filter: filter.clone(),
        include_coarse: false,
        area: AreaChoice::NoArea,
    };
    engine::load(store, &selection, &path.display().to_string(), cancel)
}

/// Hot cell centres and strategic places (SWEREF 99 TM) the coverage
/// counts as reached, with the key of the analysis they came from.
type Reach = (usize, Option<Vec<[f64; 2]>>, Option<Vec<[f64; 2]>>);

/// What the map's plan tool is doing.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tool {
    #[default]
    Idle,
    /// Drawing a new area: the vertices so far (WGS 84).
    DrawArea(Vec<LonLat>),
    /// Drawing a new route.
    DrawRoute(Vec<LonLat>),
    /// Drawing a hole into area `id`.
    DrawHole(i64, Vec<LonLat>),
    /// Each click adds a stop to route `id`.
    AddStops(i64),
    /// The next click sets the route draft's base ([`draft`]).
    PickBase,
}

impl Tool {
    pub fn is_drawing(&self) -> bool {
        !matches!(self, Tool::Idle)
    }
}

/// The selected item's attributes as edited in the window, saved with one click.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemForm {
    pub item: PlanRef,
    pub name: String,
    pub color: [u8; 3],
    pub team: String,
    /// Monday first.
    pub weekdays: [bool; 7],
    pub whole_day: bool,
    pub start_hour: u8,
    pub end_hour: u8,
    pub note: String,
    /// (name, dwell minutes) of a route's stops, in order.
    pub stops: Vec<(String, u32)>,
}

impl ItemForm {
    fn of(item: &PlanItem) -> Option<ItemForm> {
        let (reference, a, stops) = match item {
            PlanItem::Area(x) => (x.id.map(PlanRef::Area)?, &x.attributes, vec![]),
            PlanItem::Route(x) => (
                x.id.map(PlanRef::Route)?,
                &x.attributes,
                x.stops
                    .iter()
                    .map(|s| (s.name.clone(), s.dwell_min))
                    .collect(),
            ),
        };
        let mut weekdays = [false; 7];
        for d in a.weekdays.days() {
            weekdays[d.num_days_from_monday() as usize] = true;
        }
        Some(ItemForm {
            item: reference,
            name: a.name.clone(),
            color: a.color,
            team: a.team.clone(),
            weekdays,
            whole_day: a.hours.is_none(),
            start_hour: a.hours.map_or(20, |h| h.start()),
            end_hour: a.hours.map_or(2, |h| h.end() % 24),
            note: a.note.clone(),
            stops,
        })
    }

    /// The attributes the form holds (over `base`, keeping its extras).
    fn attributes(&self, base: &PlanAttributes) -> Result<PlanAttributes, String> {
        let mut weekdays = crate::model::Weekdays::NONE;
        for (i, on) in self.weekdays.iter().enumerate() {
            if *on && let Ok(d) = chrono::Weekday::try_from(i as u8) {
                weekdays.insert(d);
            }
        }
        let hours = if self.whole_day {
            None
        } else {
            Some(
                HourRange::new(self.start_hour % 24, self.end_hour)
                    .ok_or_else(|| format!("{}–{}", self.start_hour, self.end_hour))?,
            )
        };
        Ok(PlanAttributes {
            name: self.name.trim().to_owned(),
            color: self.color,
            team: self.team.trim().to_owned(),
            weekdays,
            hours,
            note: self.note.clone(),
            extra: base.extra.clone(),
        })
    }
}

/// An edited area that crosses itself, waiting for the user: repair or discard.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairOffer {
    pub before: Option<PlanItem>,
    pub area: PatrolArea,
    /// geo's reason, e.g. "exterior ring self-intersects".
    pub reason: String,
}

/// The patrol plan's state in the app.
#[derive(Default)]
pub struct PlanState {
    /// The window is open (and the tools work on the map).
    pub open: bool,
    /// The project the plan was read from.
    pub project: Option<PathBuf>,
    pub plan: PatrolPlan,
    pub selected: Option<PlanRef>,
    pub tool: Tool,
    pub form: Option<ItemForm>,
    pub history: PlanHistory,
    /// Edits waiting for the store, in order.
    queue: VecDeque<(PlanEdit, Step)>,
    /// Read the plan again (no edit) when idle.
    reread: bool,
    /// That read is for another user's change (see [`PlanState::reread_from_others`]).
    from_others: bool,
    /// The change stamps the last read of the plan saw, until the app takes them.
    read_stamps: Option<crate::store::changes::ChangeStamps>,
    job: Option<(Task<JobDone>, Option<Queued>)>,
    pub repair: Option<RepairOffer>,
    pub message: Option<String>,
    pub params: CoverageParams,
    pub coverage: Option<PlanCoverage>,
    coverage_task: Option<Task<PlanCoverage>>,
    /// What the shown (or computing) coverage was made for.
    coverage_for: Option<(Filter, u64, [u64; 3])>,
    /// Bumped on each plan change.
    generation: u64,
    /// A vertex drag in progress on the map.
    pub(crate) drag: Option<map::Drag>,
    /// Screen positions of the selected item's handles, from the last frame.
    pub(crate) handles: Vec<egui::Pos2>,
    /// The route draft window and its task.
    pub draft: draft::DraftState,
    /// The week plan window.
    pub week: week::WeekState,
    /// What the app's analysis shows, for the coverage table's reach
    /// columns: (source key, hot cell centres, strategic places), SWEREF 99 TM.
    reach: Reach,
    /// Bumped when `reach` changes.
    reach_generation: u64,
}

impl PlanState {
    /// True while an edit, a read or the coverage runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || !self.queue.is_empty() || self.reread || self.coverage_task.is_some()
    }

    /// The selected item as stored.
    pub fn selected_item(&self) -> Option<PlanItem> {
        PlanItem::of(&self.plan, self.selected?)
    }

    /// Selects an item (or none) and fills the form from it.
    pub fn select(&mut self, reference: Option<PlanRef>) {
        self.selected = reference.filter(|r| PlanItem::of(&self.plan, *r).is_some());
        self.form = self.selected_item().as_ref().and_then(ItemForm::of);
        self.drag = None;
    }

    /// Queues an edit made by the user. An area that crosses itself is not
    /// stored: it waits in [`PlanState::repair`] for the user's choice.
    pub fn submit(&mut self, edit: PlanEdit) {
        if let PlanEdit::Put {
            before,
            after: PlanItem::Area(area),
        } = &edit
            && let Some(reason) = area_validity(&area.polygons)
        {
            self.repair = Some(RepairOffer {
                before: before.clone(),
                area: area.clone(),
                reason,
            });
            return;
        }
        self.queue.push_back((edit, Step::Do));
    }

    /// Repairs the waiting area ([`crate::model::plan::repair_area`]) and stores it.
    pub fn accept_repair(&mut self, lang: crate::gui::i18n::Language) {
        let Some(offer) = self.repair.take() else {
            return;
        };
        match crate::model::plan::repair_area(&offer.area.polygons) {
            Some(polygons) => {
                let after = PlanItem::Area(PatrolArea {
                    polygons,
                    ..offer.area
                });
                self.queue.push_back((
                    PlanEdit::Put {
                        before: offer.before,
                        after,
                    },
                    Step::Do,
                ));
            }
            None => self.message = Some(text::tr(lang, text::T::RepairFailed).to_owned()),
        }
    }

    pub fn undo(&mut self) {
        if self.job.is_some() || !self.queue.is_empty() {
            return;
        }
        if let Some(e) = self.history.take_undo() {
            self.queue.push_back((e, Step::Undo));
        }
    }

    pub fn redo(&mut self) {
        if self.job.is_some() || !self.queue.is_empty() {
            return;
        }
        if let Some(e) = self.history.take_redo() {
            self.queue.push_back((e, Step::Redo));
        }
    }

    /// Saves the form's attributes (and stop names and dwell times) of the
    /// selected item as one edit.
    pub fn save_form(&mut self) {
        let (Some(form), Some(before)) = (self.form.clone(), self.selected_item()) else {
            return;
        };
        let after = match &before {
            PlanItem::Area(a) => form.attributes(&a.attributes).map(|attributes| {
                PlanItem::Area(PatrolArea {
                    attributes,
                    ..a.clone()
                })
            }),
            PlanItem::Route(r) => form.attributes(&r.attributes).map(|attributes| {
                let stops = r
                    .stops
                    .iter()
                    .zip(&form.stops)
                    .map(|(s, (name, dwell))| RouteStop {
                        name: name.trim().to_owned(),
                        dwell_min: (*dwell).min(crate::model::plan::MAX_DWELL_MIN),
                        ..s.clone()
                    })
                    .collect();
                PlanItem::Route(PatrolRoute {
                    attributes,
                    stops,
                    ..r.clone()
                })
            }),
        };
        match after {
            Ok(after) if after != before => self.submit(PlanEdit::Put {
                before: Some(before),
                after,
            }),
            Ok(_) => {}
            Err(hours) => self.message = Some(format!("{hours}: 0–24")),
        }
    }

    /// Deletes the selected item (undoable).
    pub fn delete_selected(&mut self) {
        if let Some(before) = self.selected_item() {
            self.submit(PlanEdit::Delete { before });
        }
    }

    /// Removes stop `i` of the selected route (undoable).
    pub fn remove_stop(&mut self, i: usize) {
        if let Some(PlanItem::Route(r)) = self.selected_item() {
            let mut after = r.clone();
            if i < after.stops.len() {
                after.stops.remove(i);
                self.submit(PlanEdit::Put {
                    before: Some(PlanItem::Route(r)),
                    after: PlanItem::Route(after),
                });
            }
        }
    }

    fn next_color(&self) -> [u8; 3] {
        PLAN_PALETTE[(self.plan.areas.len() + self.plan.routes.len()) % PLAN_PALETTE.len()]
    }

    /// A drawing finished with these vertices: a new area, route or hole.
    pub(crate) fn finish_drawing(&mut self, lang: crate::gui::i18n::Language) {
        let tool = std::mem::take(&mut self.tool);
        let coords = |v: &[LonLat]| -> Vec<Coord<f64>> {
            v.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect()
        };
        match tool {
            Tool::DrawArea(v) if v.len() >= 3 => {
                let attributes = PlanAttributes {
                    name: format!(
                        "{} {}",
                        text::tr(lang, text::T::NewArea),
                        self.plan.areas.len() + 1
                    ),
                    color: self.next_color(),
                    ..PlanAttributes::default()
                };
                let ring = LineString::from(coords(&v));
                self.submit(PlanEdit::Put {
                    before: None,
                    after: PlanItem::Area(PatrolArea {
                        id: None,
                        attributes,
                        polygons: MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
                    }),
                });
            }
            Tool::DrawRoute(v) if v.len() >= 2 => {
                let attributes = PlanAttributes {
                    name: format!(
                        "{} {}",
                        text::tr(lang, text::T::NewRoute),
                        self.plan.routes.len() + 1
                    ),
                    color: self.next_color(),
                    ..PlanAttributes::default()
                };
                self.submit(PlanEdit::Put {
                    before: None,
                    after: PlanItem::Route(PatrolRoute {
                        id: None,
                        attributes,
                        line: LineString::from(coords(&v)),
                        stops: vec![],
                    }),
                });
            }
            Tool::DrawHole(id, v) if v.len() >= 3 => {
                if let Some(area) = self.plan.area(id).cloned() {
                    let mut after = area.clone();
                    let first = geo::Point::new(v[0].lon, v[0].lat);
                    let target = after
                        .polygons
                        .0
                        .iter()
                        .position(|p| geo::Intersects::intersects(p, &first))
                        .unwrap_or(0);
                    if let Some(p) = after.polygons.0.get_mut(target) {
                        p.interiors_push(LineString::from(coords(&v)));
                    }
                    self.submit(PlanEdit::Put {
                        before: Some(PlanItem::Area(area)),
                        after: PlanItem::Area(after),
                    });
                }
            }
            _ => {}
        }
    }

    /// Adds a stop at `pos` to route `id` (undoable).
    pub(crate) fn add_stop(&mut self, id: i64, pos: LonLat, lang: crate::gui::i18n::Language) {
        let Some(route) = self.plan.route(id).cloned() else {
            return;
        };
        let mut after = route.clone();
        let name = format!(
            "{} {}",
            text::tr(lang, text::T::Stop),
            after.stops.len() + 1
        );
        after
            .stops
            .push(RouteStop::new(name, geo::Point::new(pos.lon, pos.lat)));
        // Show it at once; the store confirms.
        if let Some(r) = self.plan.routes.iter_mut().find(|r| r.id == Some(id)) {
            *r = after.clone();
        }
        self.submit(PlanEdit::Put {
            before: Some(PlanItem::Route(route)),
            after: PlanItem::Route(after),
        });
    }

    /// The hotspot cells and strategic places the coverage table counts as
    /// reached (the app's current analysis; `key` names it, so the same
    /// analysis is not taken twice).
    pub fn set_reach(
        &mut self,
        key: usize,
        hot_cells: impl FnOnce() -> Option<Vec<[f64; 2]>>,
        places: impl FnOnce() -> Option<Vec<[f64; 2]>>,
    ) {
        if self.reach.0 != key || self.reach_generation == 0 {
            self.reach = (key, hot_cells(), places());
            self.reach_generation += 1;
        }
    }

    /// Reads the plan from the project again at the next frame.
    pub fn request_reread(&mut self) {
        self.reread = true;
    }

    /// Reads the plan again because another user changed it: the item the
    /// user is editing keeps the form's unsaved changes, and what is being
    /// drawn stays; the window says so.
    pub fn reread_from_others(&mut self) {
        self.reread = true;
        self.from_others = true;
    }

    /// The change stamps the last read of the plan saw (once; the live
    /// refresh takes them so that the app's own edits are not read twice).
    pub fn take_read_stamps(&mut self) -> Option<crate::store::changes::ChangeStamps> {
        self.read_stamps.take()
    }

    /// After a read for another user's change: keeps the form when it holds
    /// unsaved changes of `before` (the selected item as it was), and says
    /// what happened. False when the form should be filled from the store.
    fn keep_edits_of(&mut self, before: Option<&PlanItem>) -> bool {
        use crate::gui::db::text::{T, tr};
        let lang = self.week.lang();
        if self.tool.is_drawing() {
            self.message = Some(tr(lang, T::PlanDrawingKept).to_owned());
        }
        let Some(before) = before else {
            return false;
        };
        let unsaved = self.form.is_some() && self.form != ItemForm::of(before);
        let now = self.selected_item();
        if now.as_ref() == Some(before) {
            // The user's item did not change.
            return unsaved;
        }
        if now.is_none() {
            self.message = Some(tr(lang, T::PlanItemRemoved).to_owned());
            return false;
        }
        if unsaved {
            self.message = Some(tr(lang, T::PlanFormKept).to_owned());
        }
        unsaved
    }

    /// Per frame: takes in finished work and starts the next (edits first,
    /// then the coverage for the current filter). `project` is the open
    /// project's file, `filter` the app's filter.
    pub fn frame(&mut self, ctx: &egui::Context, project: Option<&PathBuf>, filter: &Filter) {
        if self.project.as_ref() != project {
            *self = PlanState {
                open: self.open,
                params: self.params.clone(),
                project: project.cloned(),
                reread: project.is_some(),
                ..PlanState::default()
            };
        }
        let Some(path) = project.cloned() else {
            return;
        };
        self.draft_frame();
        if self.job.is_none() && self.queue.is_empty() {
            self.week_frame(ctx, &path, filter);
        }
        if let Some((task, _)) = &self.job
            && let Some(result) = task.try_take()
        {
            let Some((_, sent)) = self.job.take() else {
                return;
            };
            match result {
                Ok(done) => {
                    let before = self.selected_item();
                    self.plan = done.plan;
                    self.read_stamps = done.stamps;
                    self.generation += 1;
                    if let Some((edit, step)) = done.edit {
                        self.from_others = false;
                        // Select what the edit made or changed.
                        let made = match (&edit, step) {
                            (PlanEdit::Put { after, .. }, Step::Do | Step::Redo) => {
                                after.reference()
                            }
                            (PlanEdit::Put { before, .. }, Step::Undo) => {
                                before.as_ref().and_then(PlanItem::reference)
                            }
                            (PlanEdit::Delete { before }, Step::Undo) => before.reference(),
                            (PlanEdit::Delete { .. }, _) => None,
                        };
                        self.history.record(edit, step);
                        let keep = match self.tool {
                            Tool::AddStops(id) => Some(PlanRef::Route(id)),
                            _ => made.or(self.selected),
                        };
                        self.select(keep);
                    } else if std::mem::take(&mut self.from_others)
                        && self.keep_edits_of(before.as_ref())
                    {
                        // The form stays as the user left it.
                        self.drag = None;
                    } else {
                        self.select(self.selected);
                    }
                }
                Err(e) => {
                    if let Some((edit, step)) = sent {
                        self.history.restore(edit, step);
                    }
                    self.message = Some(crate::gui::store_text::error_text(self.week.lang(), &e));
                    self.queue.clear();
                    self.reread = true;
                }
            }
        }
        if self.job.is_none() {
            let next = self.queue.pop_front();
            if next.is_some() || self.reread {
                self.reread = false;
                let p = path.clone();
                let sent = next.clone();
                self.job = Some((
                    Task::spawn(ctx, "plan-edit", move |_, _| history::run_job(&p, next)),
                    sent,
                ));
            }
        }
        if let Some(task) = &self.coverage_task
            && let Some(result) = task.try_take()
        {
            self.coverage_task = None;
            match result {
                Ok(c) => self.coverage = Some(c),
                Err(e) => self.message = Some(format!("{e:#}")),
            }
        }
        let wanted = (
            filter.clone(),
            self.generation,
            [
                self.params.buffer_m.to_bits(),
                self.params.pace_kmh.to_bits(),
                self.reach_generation,
            ],
        );
        if self.open
            && self.job.is_none()
            && self.queue.is_empty()
            && self.coverage_task.is_none()
            && self.coverage_for.as_ref() != Some(&wanted)
            && self.generation > 0
        {
            if self.plan.is_empty() {
                self.coverage = None;
                self.coverage_for = Some(wanted);
                return;
            }
            self.coverage_for = Some(wanted);
            let (filter, mut params) = (filter.clone(), self.params.clone());
            params.hot_cells = self.reach.1.clone();
            params.places = self.reach.2.clone();
            self.coverage_task = Some(Task::spawn(ctx, "plan-coverage", move |_, cancel| {
                let store = crate::store::open(&path)?;
                let plan = store.patrol_plan()?;
                let loaded = load_filtered(store.as_ref(), &path, &filter, cancel)?;
                Ok(crate::analysis::coverage::coverage_of(
                    &loaded, &plan, &params, cancel,
                )?)
            }));
        }
    }

    /// Ctrl+Z / Ctrl+Y (and Ctrl+Shift+Z) for plan edits while the window is
    /// open and no text field has the keyboard; Esc/Enter end a tool.
    pub fn shortcuts(&mut self, ctx: &egui::Context) {
        if !self.open || ctx.egui_wants_keyboard_input() {
            return;
        }
        let shift_command = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
        if ctx.input_mut(|i| {
            i.consume_key(shift_command, egui::Key::Z)
                || i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y)
        }) {
            self.redo();
        } else if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z)) {
            self.undo();
        }
    }

    /// No map panning now: a vertex is being dragged, or the pointer went
    /// down on one of the selected item's handles.
    pub fn blocks_panning(&self, ctx: &egui::Context) -> bool {
        if !self.open {
            return false;
        }
        if self.drag.is_some() {
            return true;
        }
        ctx.input(|i| {
            i.pointer.primary_down()
                && i.pointer
                    .press_origin()
                    .is_some_and(|o| self.handles.iter().any(|h| h.distance(o) <= map::HANDLE_PX))
        })
    }
}
