//! The hosts' week: which pair walks which route or area on which evening
//! and hours, so that as many incidents as possible fall within reach while
//! hosts are there, judged from the project's history by weekday, hour and
//! place.
//!
//! # Model
//! A *slot* is one evening (a weekday), one shift's hours (e.g. 19:00–03:00,
//! running into the next day) and one beat (a route, reached within a buffer
//! of its line, or an area, reached inside it). A historical incident is
//! *reached* by a slot when it lies in the beat's reach and happened during
//! those hours on that weekday (an incident at 01:30 on a Saturday belongs to
//! Friday's 19:00–03:00 shift). The expected incidents of a set of slots are
//! the incidents reached by at least one of them (each counted once),
//! divided by the weeks the history spans.
//!
//! Each beat keeps its own weekdays and hours (a route walked fri–sat
//! 20–02): it is offered only on evenings among its weekdays, and a slot's
//! hours are the shift's hours while the beat is active; an item with no
//! hours set is active the whole shift.
//!
//! # Algorithm
//! Choose `pairs × shifts_per_pair` slots, each for one pair, a pair at most
//! once an evening, maximising the expected incidents: the planner's fixed
//! assignments ([`Fixed`]) first, then greedy on marginal gain (a slot goes
//! to the free pair with the most shifts still to place), then 1-swaps (one
//! chosen, unfixed slot out, another the same pair can take in) while any
//! raises the total. Coverage is submodular, so greedy alone is within
//! 1 − 1/e of the optimum; the swaps usually close most of the rest.
//! [`WeekModel::evaluate`] recomputes the expected incidents of any set of
//! assignments at once (the app's combo boxes use it).

use chrono::Weekday;
use geo::{BoundingRect as _, Contains as _, Distance as _, Euclidean};
use serde::Serialize;

use crate::analysis::AnalysisError;
use crate::analysis::visits::Shift;
use crate::model::{HourRange, Weekdays};

/// Default reach of a route: metres either side of its line.
pub const DEFAULT_BUFFER_M: f64 = 50.0;

/// Where hosts can be: a route (with its buffer) or an area, SWEREF 99 TM metres.
#[derive(Debug, Clone, PartialEq)]
pub enum BeatShape {
    Route(geo::MultiLineString<f64>),
    Area(geo::MultiPolygon<f64>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Beat {
    pub name: String,
    pub shape: BeatShape,
    /// The weekdays it is walked (an evening must be one of them).
    pub weekdays: Weekdays,
    /// The hours it is walked; `None` = any hour.
    pub hours: Option<HourRange>,
}

impl Beat {
    /// A beat walked any evening, any hour.
    pub fn any_time(name: impl Into<String>, shape: BeatShape) -> Beat {
        Beat {
            name: name.into(),
            shape,
            weekdays: Weekdays::ALL,
            hours: None,
        }
    }

    /// Is the beat walked at this local weekday and minute after midnight?
    /// Hours that wrap past midnight belong to the evening they start on:
    /// fri–sat 20–02 is walked Friday 20:00 to Saturday 02:00 and Saturday
    /// 20:00 to Sunday 02:00 (not Friday 00:00–02:00).
    pub fn active_at(&self, weekday: Weekday, minute: u32) -> bool {
        let hour = ((minute / 60) % 24) as u8;
        match self.hours {
            None => self.weekdays.contains(weekday),
            Some(h) if !h.contains(hour) => false,
            Some(h) if h.start() > h.end() && hour < h.end() => {
                self.weekdays.contains(weekday.pred())
            }
            Some(_) => self.weekdays.contains(weekday),
        }
    }

    /// The part of `shift` on `evening` the beat is walked: from its first
    /// to its last active minute (`None` when it is not walked that evening
    /// or in those hours).
    pub fn hours_in(&self, evening: Weekday, shift: Shift) -> Option<Shift> {
        if !self.weekdays.contains(evening) {
            return None;
        }
        let active = |m: u32| {
            let day = if m >= 1440 { evening.succ() } else { evening };
            self.active_at(day, m % 1440)
        };
        let first = (shift.start_min..shift.end_min).find(|&m| active(m))?;
        let last = (shift.start_min..shift.end_min)
            .rev()
            .find(|&m| active(m))?;
        Some(Shift {
            start_min: first,
            end_min: last + 1,
        })
    }
}

/// One historical incident as the week plan sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PastIncident {
    /// SWEREF 99 TM metres.
    pub xy: [f64; 2],
    /// Local weekday.
    pub weekday: Weekday,
    /// Local minutes after midnight.
    pub minute: u32,
}

/// A pair's evening fixed by the planner: the proposal keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fixed {
    /// 1-based.
    pub pair: usize,
    #[serde(serialize_with = "ser_weekday")]
    pub evening: Weekday,
    /// Index into the beats.
    pub beat: usize,
    /// Index into the shift hours; `None` = the one reaching most.
    pub shift: Option<usize>,
}

/// What to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekParams {
    pub pairs: usize,
    pub shifts_per_pair: usize,
    /// The hours a shift may have (each slot takes one of them).
    pub shifts: Vec<Shift>,
    /// The evenings hosts may work.
    pub evenings: Vec<Weekday>,
    /// Reach of a route, metres.
    pub buffer_m: f64,
    /// Weeks the history spans (> 0): expected counts are per week.
    pub weeks: f64,
}

/// One planned shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedShift {
    /// 1-based.
    pub pair: usize,
    #[serde(serialize_with = "ser_weekday")]
    pub evening: Weekday,
    /// The hours at the beat (the shift's hours while the beat is walked).
    pub shift: Shift,
    /// Index into the beats.
    pub beat: usize,
    /// Expected incidents per week within reach during this shift.
    pub expected: f64,
    /// Fixed by the planner.
    pub fixed: bool,
    /// Index of the slot in [`WeekModel::slots`].
    #[serde(skip)]
    pub slot: usize,
}

fn ser_weekday<S: serde::Serializer>(d: &Weekday, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string().to_lowercase())
}

/// The proposed week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPlan {
    /// By evening (Monday first), then pair.
    pub shifts: Vec<PlannedShift>,
    /// Expected incidents per week within reach of some planned shift
    /// (each counted once).
    pub expected: f64,
    /// Expected incidents per week in all (of the history given).
    pub total: f64,
    /// `expected / total`.
    pub share: f64,
    /// Incidents of the history used.
    pub incidents: usize,
    /// Pairs that got fewer shifts than asked: (pair, shifts missing) —
    /// no beat is walked on the evenings they are free.
    pub short: Vec<(usize, usize)>,
}

/// A possible shift: one evening, hours and beat, and the incidents it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub evening: Weekday,
    /// Index into [`WeekParams::shifts`].
    pub shift_index: usize,
    /// The hours at the beat.
    pub hours: Shift,
    pub beat: usize,
    /// History indices reached.
    cov: Vec<u32>,
}

impl Slot {
    /// Incidents of the history this slot reaches.
    pub fn reached(&self) -> usize {
        self.cov.len()
    }
}

/// One pair on one evening in a slot, as the planner edits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// 1-based.
    pub pair: usize,
    /// Index into [`WeekModel::slots`].
    pub slot: usize,
}

/// The history and beats prepared for planning: every possible slot with the
/// incidents it reaches, so that proposing and re-evaluating are quick.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekModel {
    pub params: WeekParams,
    pub beat_names: Vec<String>,
    pub slots: Vec<Slot>,
    incidents: usize,
}

/// Beats from layer features (WGS84): LineStrings and MultiLineStrings are
/// routes, Polygons and MultiPolygons areas; named by `name`/`namn`, else
/// "Slinga N" / "Område N"; walked any evening and hour. Points are an
/// error naming the feature.
pub fn beats_from_features(set: &crate::model::shape::FeatureSet) -> Result<Vec<Beat>, String> {
    use crate::crs::sweref_from_wgs84_geometry as sweref;
    let mut beats = Vec::new();
    for (i, f) in set.features.iter().enumerate() {
        let shape = match &f.geometry {
            geo::Geometry::LineString(l) => BeatShape::Route(geo::MultiLineString(vec![sweref(l)])),
            geo::Geometry::MultiLineString(m) => BeatShape::Route(sweref(m)),
            geo::Geometry::Polygon(p) => BeatShape::Area(geo::MultiPolygon(vec![sweref(p)])),
            geo::Geometry::MultiPolygon(m) => BeatShape::Area(sweref(m)),
            _ => {
                return Err(format!(
                    "feature {}: not a route (line) or an area (polygon)",
                    i + 1
                ));
            }
        };
        let name = ["name", "namn"]
            .iter()
            .find_map(|k| f.properties.get(*k))
            .and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.trim().to_owned()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| match shape {
                BeatShape::Route(_) => format!("Slinga {}", i + 1),
                BeatShape::Area(_) => format!("Område {}", i + 1),
            });
        beats.push(Beat::any_time(name, shape));
    }
    if beats.is_empty() {
        return Err("no routes or areas in the file".into());
    }
    Ok(beats)
}

/// Beats from the project's patrol plan: its areas, then its routes (each
/// by its name), each with its own weekdays and hours.
pub fn beats_from_plan(plan: &crate::model::plan::PatrolPlan) -> Vec<Beat> {
    use crate::crs::sweref_from_wgs84_geometry as sweref;
    let beat = |a: &crate::model::plan::PlanAttributes, shape| Beat {
        name: a.name.clone(),
        shape,
        weekdays: a.weekdays,
        hours: a.hours,
    };
    let areas = plan
        .areas
        .iter()
        .map(|a| beat(&a.attributes, BeatShape::Area(sweref(&a.polygons))));
    let routes = plan.routes.iter().map(|r| {
        beat(
            &r.attributes,
            BeatShape::Route(geo::MultiLineString(vec![sweref(&r.line)])),
        )
    });
    areas.chain(routes).collect()
}

/// Whether an incident at `weekday`, `minute` falls in `shift` starting on `evening`.
pub fn in_shift(evening: Weekday, shift: Shift, weekday: Weekday, minute: u32) -> bool {
    let (s, e) = (shift.start_min, shift.end_min);
    (weekday == evening && minute >= s && minute < e.min(1440))
        || (e > 1440 && weekday == evening.succ() && minute < e - 1440)
}

fn reaches(shape: &BeatShape, buffer_m: f64, p: [f64; 2]) -> bool {
    let pt = geo::Point::new(p[0], p[1]);
    match shape {
        BeatShape::Route(m) => m.0.iter().any(|l| Euclidean.distance(l, &pt) <= buffer_m),
        BeatShape::Area(a) => a.contains(&pt),
    }
}

fn bad(name: &'static str, reason: impl Into<String>) -> AnalysisError {
    AnalysisError::InvalidParam {
        name,
        reason: reason.into(),
    }
}

impl WeekModel {
    /// Every slot of `beats` × `params.evenings` × `params.shifts` a beat
    /// is walked in, with the incidents of `history` it reaches.
    pub fn new(
        history: &[PastIncident],
        beats: &[Beat],
        params: &WeekParams,
    ) -> Result<WeekModel, AnalysisError> {
        if beats.is_empty() {
            return Err(bad("routes", "no routes or areas to plan over"));
        }
        if params.pairs == 0 || params.shifts_per_pair == 0 {
            return Err(bad("pairs", "at least one pair with at least one shift"));
        }
        if params.shifts.is_empty() || params.evenings.is_empty() {
            return Err(bad("shift", "no shift hours or no evenings to plan"));
        }
        if params.shifts_per_pair > params.evenings.len() {
            return Err(bad(
                "shifts",
                format!(
                    "a pair cannot work {} shifts on {} evenings (one shift an evening)",
                    params.shifts_per_pair,
                    params.evenings.len()
                ),
            ));
        }
        if !(params.weeks.is_finite() && params.weeks > 0.0) {
            return Err(bad("weeks", "the history spans no time"));
        }
        if !(params.buffer_m.is_finite() && params.buffer_m >= 0.0) {
            return Err(bad("buffer", "must be metres (0 or more)"));
        }
        // Which incidents each beat reaches.
        let reach: Vec<Vec<u32>> = beats
            .iter()
            .map(|b| {
                let bbox = match &b.shape {
                    BeatShape::Route(l) => l.bounding_rect(),
                    BeatShape::Area(a) => a.bounding_rect(),
                };
                history
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| {
                        bbox.is_some_and(|r| {
                            h.xy[0] >= r.min().x - params.buffer_m
                                && h.xy[0] <= r.max().x + params.buffer_m
                                && h.xy[1] >= r.min().y - params.buffer_m
                                && h.xy[1] <= r.max().y + params.buffer_m
                        }) && reaches(&b.shape, params.buffer_m, h.xy)
                    })
                    .map(|(i, _)| i as u32)
                    .collect()
            })
            .collect();
        let mut slots = Vec::new();
        for &evening in &params.evenings {
            for (si, &shift) in params.shifts.iter().enumerate() {
                for (bi, r) in reach.iter().enumerate() {
                    let beat = &beats[bi];
                    let Some(hours) = beat.hours_in(evening, shift) else {
                        continue;
                    };
                    let cov: Vec<u32> = r
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let h = &history[i as usize];
                            in_shift(evening, shift, h.weekday, h.minute)
                                && beat.active_at(h.weekday, h.minute)
                        })
                        .collect();
                    slots.push(Slot {
                        evening,
                        shift_index: si,
                        hours,
                        beat: bi,
                        cov,
                    });
                }
            }
        }
        Ok(WeekModel {
            params: params.clone(),
            beat_names: beats.iter().map(|b| b.name.clone()).collect(),
            slots,
            incidents: history.len(),
        })
    }

    /// The slots of `beat` on `evening` (one per shift hours it is walked in).
    pub fn slots_of(&self, evening: Weekday, beat: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.slots.len())
            .filter(move |&j| self.slots[j].evening == evening && self.slots[j].beat == beat)
    }

    /// The slot of a fixed assignment: its shift hours, else the one
    /// reaching most.
    fn slot_of(&self, f: &Fixed) -> Result<usize, AnalysisError> {
        let name = self
            .beat_names
            .get(f.beat)
            .ok_or_else(|| bad("fix", format!("no route or area number {}", f.beat + 1)))?;
        let day = f.evening.to_string().to_lowercase();
        if !self.params.evenings.contains(&f.evening) {
            return Err(bad(
                "fix",
                format!("pair {} on {day}: that evening is not planned", f.pair),
            ));
        }
        self.slots_of(f.evening, f.beat)
            .filter(|&j| f.shift.is_none_or(|s| self.slots[j].shift_index == s))
            .max_by(|&a, &b| {
                self.slots[a]
                    .cov
                    .len()
                    .cmp(&self.slots[b].cov.len())
                    .then(b.cmp(&a))
            })
            .ok_or_else(|| {
                bad(
                    "fix",
                    format!(
                        "pair {} on {day}: {name:?} is not walked that evening or in those hours (its own weekdays and hours)",
                        f.pair
                    ),
                )
            })
    }

    /// The expected incidents of these assignments (each incident counted
    /// once), as a plan; `fixed` marks which assignments the planner fixed.
    pub fn evaluate(&self, assignments: &[(Assignment, bool)]) -> WeekPlan {
        let mut seen = vec![false; self.incidents];
        let mut shifts: Vec<PlannedShift> = assignments
            .iter()
            .filter_map(|(a, fixed)| {
                let s = self.slots.get(a.slot)?;
                for &i in &s.cov {
                    seen[i as usize] = true;
                }
                Some(PlannedShift {
                    pair: a.pair,
                    evening: s.evening,
                    shift: s.hours,
                    beat: s.beat,
                    expected: s.cov.len() as f64 / self.params.weeks,
                    fixed: *fixed,
                    slot: a.slot,
                })
            })
            .collect();
        shifts.sort_by_key(|s| (s.evening.num_days_from_monday(), s.pair));
        let mut per_pair = vec![0usize; self.params.pairs + 1];
        for s in &shifts {
            if let Some(c) = per_pair.get_mut(s.pair) {
                *c += 1;
            }
        }
        let short = (1..=self.params.pairs)
            .filter(|&p| per_pair[p] < self.params.shifts_per_pair)
            .map(|p| (p, self.params.shifts_per_pair - per_pair[p]))
            .collect();
        let covered = seen.iter().filter(|&&c| c).count() as f64;
        let total = self.incidents as f64;
        WeekPlan {
            shifts,
            expected: covered / self.params.weeks,
            total: total / self.params.weeks,
            share: if total > 0.0 { covered / total } else { 0.0 },
            incidents: self.incidents,
            short,
        }
    }

    /// Proposes the week (see the module docs), keeping `fixed`.
    ///
    /// # Errors
    /// A fixed assignment naming no pair, an evening not planned, a beat not
    /// walked then, a pair fixed twice on one evening or more often than its
    /// shifts.
    pub fn propose(&self, fixed: &[Fixed]) -> Result<WeekPlan, AnalysisError> {
        let p = &self.params;
        let mut count = vec![0u32; self.incidents];
        let mut is_chosen = vec![false; self.slots.len()];
        // (slot, pair, fixed)
        let mut chosen: Vec<(usize, usize, bool)> = Vec::new();
        let mut pair_day = vec![[false; 7]; p.pairs + 1];
        let mut pair_count = vec![0usize; p.pairs + 1];
        let day = |d: Weekday| d.num_days_from_monday() as usize;
        for f in fixed {
            if f.pair == 0 || f.pair > p.pairs {
                return Err(bad(
                    "fix",
                    format!("pair {}: there are pairs 1 to {}", f.pair, p.pairs),
                ));
            }
            let j = self.slot_of(f)?;
            if pair_day[f.pair][day(f.evening)] {
                return Err(bad(
                    "fix",
                    format!(
                        "pair {} is fixed twice on {}",
                        f.pair,
                        f.evening.to_string().to_lowercase()
                    ),
                ));
            }
            if pair_count[f.pair] >= p.shifts_per_pair {
                return Err(bad(
                    "fix",
                    format!(
                        "pair {} is fixed on more than its {} shift(s)",
                        f.pair, p.shifts_per_pair
                    ),
                ));
            }
            pair_day[f.pair][day(f.evening)] = true;
            pair_count[f.pair] += 1;
            if !is_chosen[j] {
                for &i in &self.slots[j].cov {
                    count[i as usize] += 1;
                }
            }
            is_chosen[j] = true;
            chosen.push((j, f.pair, true));
        }
        let gain =
            |count: &[u32], s: &Slot| s.cov.iter().filter(|&&i| count[i as usize] == 0).count();
        // The free pair on `d` with the most shifts left (lowest number on a tie).
        let free_pair = |pair_day: &[[bool; 7]], pair_count: &[usize], d: usize| {
            (1..=p.pairs)
                .filter(|&q| !pair_day[q][d] && pair_count[q] < p.shifts_per_pair)
                .max_by(|&a, &b| pair_count[b].cmp(&pair_count[a]).then(b.cmp(&a)))
        };
        let want = p.pairs * p.shifts_per_pair;
        while chosen.len() < want {
            let best = (0..self.slots.len())
                .filter(|&j| {
                    !is_chosen[j]
                        && free_pair(&pair_day, &pair_count, day(self.slots[j].evening)).is_some()
                })
                .max_by(|&a, &b| {
                    gain(&count, &self.slots[a])
                        .cmp(&gain(&count, &self.slots[b]))
                        .then(b.cmp(&a))
                });
            let Some(j) = best else {
                break;
            };
            let d = day(self.slots[j].evening);
            let Some(q) = free_pair(&pair_day, &pair_count, d) else {
                break;
            };
            for &i in &self.slots[j].cov {
                count[i as usize] += 1;
            }
            pair_day[q][d] = true;
            pair_count[q] += 1;
            is_chosen[j] = true;
            chosen.push((j, q, false));
        }
        // 1-swaps of unfixed slots while any improves.
        loop {
            let mut best: Option<(usize, usize, usize)> = None; // (gain, pos, in)
            for (pos, &(out, q, was_fixed)) in chosen.iter().enumerate() {
                if was_fixed {
                    continue;
                }
                for &i in &self.slots[out].cov {
                    count[i as usize] -= 1;
                }
                let lost = gain(&count, &self.slots[out]);
                let out_day = day(self.slots[out].evening);
                for (j, slot) in self.slots.iter().enumerate() {
                    let d = day(slot.evening);
                    if is_chosen[j] || (d != out_day && pair_day[q][d]) {
                        continue;
                    }
                    let g = gain(&count, slot);
                    if g > lost && best.is_none_or(|(bg, _, _)| g - lost > bg) {
                        best = Some((g - lost, pos, j));
                    }
                }
                for &i in &self.slots[out].cov {
                    count[i as usize] += 1;
                }
            }
            let Some((_, pos, j)) = best else {
                break;
            };
            let (out, q, _) = chosen[pos];
            for &i in &self.slots[out].cov {
                count[i as usize] -= 1;
            }
            pair_day[q][day(self.slots[out].evening)] = false;
            is_chosen[out] = false;
            for &i in &self.slots[j].cov {
                count[i as usize] += 1;
            }
            pair_day[q][day(self.slots[j].evening)] = true;
            is_chosen[j] = true;
            chosen[pos] = (j, q, false);
        }
        let assignments: Vec<(Assignment, bool)> = chosen
            .iter()
            .map(|&(slot, pair, f)| (Assignment { pair, slot }, f))
            .collect();
        Ok(self.evaluate(&assignments))
    }
}

/// The history the week plan learns from: the loaded incidents with a
/// finite position (coarse ones only with `include_coarse`), with their
/// local weekday and minute; and the period it spans, from the filter's
/// dates or else the incidents' own (`None` when nothing matched), with its
/// length in weeks.
pub fn history_of(
    loaded: &crate::analysis::engine::Loaded,
    filter: &crate::model::Filter,
    include_coarse: bool,
) -> (Vec<PastIncident>, Option<([chrono::NaiveDate; 2], f64)>) {
    use chrono::{Datelike as _, Timelike as _};
    let history = loaded
        .points
        .iter()
        .filter(|p| p.xy[0].is_finite() && p.xy[1].is_finite())
        .filter(|p| {
            include_coarse || f64::from(p.precision_m) <= crate::model::Precision::COARSE_ABOVE_M
        })
        .filter_map(|p| {
            let t = crate::model::time::local(chrono::DateTime::from_timestamp(p.occurred_at, 0)?);
            Some(PastIncident {
                xy: p.xy,
                weekday: t.weekday(),
                minute: t.hour() * 60 + t.minute(),
            })
        })
        .collect();
    let period = filter
        .from
        .zip(filter.to)
        .map(|(a, b)| [a, b])
        .or_else(|| loaded.period())
        .map(|[a, b]| ([a, b], ((b - a).num_days() + 1) as f64 / 7.0));
    (history, period)
}

/// Proposes the week (see the module docs) with nothing fixed.
pub fn plan_week(
    history: &[PastIncident],
    beats: &[Beat],
    params: &WeekParams,
) -> Result<WeekPlan, AnalysisError> {
    WeekModel::new(history, beats, params)?.propose(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::*;

    fn at(x: f64, y: f64, weekday: Weekday, hh: u32) -> PastIncident {
        PastIncident {
            xy: [x, y],
            weekday,
            minute: hh * 60,
        }
    }

    fn beats() -> Vec<Beat> {
        vec![
            Beat::any_time(
                "Centrum",
                BeatShape::Route(geo::MultiLineString(vec![geo::LineString::from(vec![
                    (0.0, 0.0),
                    (1000.0, 0.0),
                ])])),
            ),
            Beat::any_time(
                "Hamnen",
                BeatShape::Area(geo::MultiPolygon(vec![geo::Polygon::new(
                    geo::LineString::from(vec![
                        (0.0, 5000.0),
                        (500.0, 5000.0),
                        (500.0, 5500.0),
                        (0.0, 5500.0),
                        (0.0, 5000.0),
                    ]),
                    vec![],
                )])),
            ),
        ]
    }

    #[test]
    fn shifts_run_into_the_next_day() {
        let s: Shift = "19:00-03:00".parse().unwrap();
        assert!(in_shift(Fri, s, Fri, 19 * 60));
        assert!(in_shift(Fri, s, Sat, 2 * 60 + 59));
        assert!(!in_shift(Fri, s, Sat, 3 * 60));
        assert!(!in_shift(Fri, s, Fri, 2 * 60));
        assert!(!in_shift(Fri, s, Fri, 18 * 60 + 59));
        assert!(in_shift(Sun, s, Mon, 60));
    }

    /// Worked by hand: over 2 weeks, Centrum has 6 incidents on Friday
    /// evenings (two of them 01:00 Saturday), 2 on Tuesday; Hamnen has 4 on
    /// Saturday evenings and 3 on Friday evenings; 1 incident lies 80 m off
    /// Centrum's line (out of reach) and 2 at noon. One pair, two shifts:
    /// Friday Centrum (6) + Saturday Hamnen (4) = 10 of 18 incidents,
    /// 5 a week, share 10/18.
    #[test]
    fn a_hand_worked_week() {
        let mut h = hand_worked_history();
        h.push(at(500.0, 80.0, Fri, 21));
        h.push(at(100.0, 0.0, Fri, 12));
        h.push(at(250.0, 5250.0, Sat, 12));
        assert_eq!(h.len(), 18);
        let params = WeekParams {
            pairs: 1,
            shifts_per_pair: 2,
            shifts: vec!["19:00-03:00".parse().unwrap()],
            evenings: vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            buffer_m: 50.0,
            weeks: 2.0,
        };
        let p = plan_week(&h, &beats(), &params).unwrap();
        let got: Vec<(usize, Weekday, usize, f64)> = p
            .shifts
            .iter()
            .map(|s| (s.pair, s.evening, s.beat, s.expected))
            .collect();
        assert_eq!(got, vec![(1, Fri, 0, 3.0), (1, Sat, 1, 2.0)]);
        assert_eq!((p.expected, p.total), (5.0, 9.0));
        assert!((p.share - 10.0 / 18.0).abs() < 1e-12);

        // Two pairs, one shift each: both on Friday (Centrum 6, Hamnen 3)
        // would give 9, but Saturday Hamnen gives 4: Fri Centrum + Sat Hamnen.
        let two = WeekParams {
            pairs: 2,
            shifts_per_pair: 1,
            ..params.clone()
        };
        let p = plan_week(&h, &beats(), &two).unwrap();
        let got: Vec<(usize, Weekday, usize)> = p
            .shifts
            .iter()
            .map(|s| (s.pair, s.evening, s.beat))
            .collect();
        assert_eq!(got, vec![(1, Fri, 0), (2, Sat, 1)]);

        // Three pairs, one shift: the third adds Friday Hamnen (3 more);
        // pairs are given in the order their slots were chosen.
        let three = WeekParams {
            pairs: 3,
            shifts_per_pair: 1,
            ..params
        };
        let p = plan_week(&h, &beats(), &three).unwrap();
        let got: Vec<(usize, Weekday, usize)> = p
            .shifts
            .iter()
            .map(|s| (s.pair, s.evening, s.beat))
            .collect();
        assert_eq!(got, vec![(1, Fri, 0), (3, Fri, 1), (2, Sat, 1)]);
        assert_eq!(p.expected, 6.5);
        assert!(p.short.is_empty());
    }

    fn hand_worked_history() -> Vec<PastIncident> {
        let mut h = Vec::new();
        for _ in 0..4 {
            h.push(at(200.0, 20.0, Fri, 21));
        }
        h.push(at(600.0, -40.0, Sat, 1));
        h.push(at(900.0, 0.0, Sat, 1));
        h.push(at(100.0, 0.0, Tue, 20));
        h.push(at(100.0, 0.0, Tue, 22));
        for _ in 0..4 {
            h.push(at(250.0, 5250.0, Sat, 23));
        }
        for _ in 0..3 {
            h.push(at(250.0, 5250.0, Fri, 20));
        }
        h
    }

    fn one_pair_two_shifts() -> WeekParams {
        WeekParams {
            pairs: 1,
            shifts_per_pair: 2,
            shifts: vec!["19:00-03:00".parse().unwrap()],
            evenings: vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            buffer_m: 50.0,
            weeks: 2.0,
        }
    }

    /// Hamnen walked only on Fridays 20–22: it cannot go to Saturday, and on
    /// Friday it reaches only the 3 incidents at 20:00 — so the pair takes
    /// Friday Centrum (6) and Tuesday Centrum (2): 8 of 15.
    #[test]
    fn each_items_own_weekdays_and_hours_are_honoured() {
        let h = hand_worked_history();
        let mut b = beats();
        b[1].weekdays = "fri".parse().unwrap();
        b[1].hours = HourRange::new(20, 22);
        let model = WeekModel::new(&h, &b, &one_pair_two_shifts()).unwrap();
        // Hamnen has one slot only: Friday, 20:00–22:00.
        let hamnen: Vec<&Slot> = model.slots.iter().filter(|s| s.beat == 1).collect();
        assert_eq!(hamnen.len(), 1);
        assert_eq!(hamnen[0].evening, Fri);
        assert_eq!(hamnen[0].hours.to_string(), "20:00-22:00");
        assert_eq!(hamnen[0].reached(), 3);
        let p = model.propose(&[]).unwrap();
        let got: Vec<(Weekday, usize)> = p.shifts.iter().map(|s| (s.evening, s.beat)).collect();
        assert_eq!(got, vec![(Tue, 0), (Fri, 0)]);
        assert_eq!(p.expected, 4.0);
        // Fixing Hamnen on Saturday is refused with the reason.
        let e = model
            .propose(&[Fixed {
                pair: 1,
                evening: Sat,
                beat: 1,
                shift: None,
            }])
            .unwrap_err();
        assert!(e.to_string().contains("not walked that evening"), "{e}");
    }

    /// The planner fixes pair 1 on Tuesday Centrum (2 incidents): the
    /// proposal keeps it and fills the other shift with the best remaining,
    /// Friday Centrum (6): 8 of 15, 4 a week.
    #[test]
    fn fixed_assignments_are_kept_and_evaluate_recomputes() {
        let h = hand_worked_history();
        let model = WeekModel::new(&h, &beats(), &one_pair_two_shifts()).unwrap();
        let fix = Fixed {
            pair: 1,
            evening: Tue,
            beat: 0,
            shift: None,
        };
        let p = model.propose(&[fix]).unwrap();
        let got: Vec<(Weekday, usize, bool)> = p
            .shifts
            .iter()
            .map(|s| (s.evening, s.beat, s.fixed))
            .collect();
        assert_eq!(got, vec![(Tue, 0, true), (Fri, 0, false)]);
        assert_eq!(p.expected, 4.0);
        assert!((p.share - 8.0 / 15.0).abs() < 1e-12);
        // The planner moves the Friday shift to Saturday Hamnen: 2 + 4 = 6.
        let sat = model.slots_of(Sat, 1).next().unwrap();
        let tue = p.shifts[0].slot;
        let q = model.evaluate(&[
            (Assignment { pair: 1, slot: tue }, true),
            (Assignment { pair: 1, slot: sat }, true),
        ]);
        assert_eq!(q.expected, 3.0);
        assert!((q.share - 6.0 / 15.0).abs() < 1e-12);
        // Fixing one pair twice on an evening, or a pair that does not exist, is refused.
        assert!(model.propose(&[fix, fix]).is_err());
        assert!(model.propose(&[Fixed { pair: 2, ..fix }]).is_err());
    }

    #[test]
    fn every_pair_gets_its_shifts_and_one_an_evening() {
        let h: Vec<PastIncident> = (0..200)
            .map(|i| {
                let d = [Mon, Tue, Wed, Thu, Fri, Sat, Sun][i % 7];
                at(
                    (i * 37 % 1000) as f64,
                    if i % 3 == 0 { 5200.0 } else { 0.0 },
                    d,
                    18 + (i % 6) as u32,
                )
            })
            .collect();
        let params = WeekParams {
            pairs: 3,
            shifts_per_pair: 4,
            shifts: vec![
                "19:00-03:00".parse().unwrap(),
                "17:00-23:00".parse().unwrap(),
            ],
            evenings: vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun],
            buffer_m: 50.0,
            weeks: 4.0,
        };
        let p = plan_week(&h, &beats(), &params).unwrap();
        assert_eq!(p.shifts.len(), 12);
        for pair in 1..=3 {
            let mine: Vec<Weekday> = p
                .shifts
                .iter()
                .filter(|s| s.pair == pair)
                .map(|s| s.evening)
                .collect();
            assert_eq!(mine.len(), 4, "pair {pair}");
            let mut d = mine.clone();
            d.dedup();
            assert_eq!(d.len(), 4, "pair {pair} works one evening twice: {mine:?}");
        }
        assert!(p.share > 0.0 && p.share <= 1.0);
    }

    #[test]
    fn wrapped_hours_belong_to_the_evening_they_start_on() {
        let mut b = beats().remove(0);
        b.weekdays = "fri,sat".parse().unwrap();
        b.hours = HourRange::new(20, 2);
        assert!(b.active_at(Fri, 21 * 60));
        assert!(b.active_at(Sat, 60));
        assert!(b.active_at(Sun, 60));
        assert!(!b.active_at(Fri, 60), "Thursday's night is not walked");
        assert!(!b.active_at(Sat, 3 * 60));
        let s: Shift = "19:00-03:00".parse().unwrap();
        assert_eq!(b.hours_in(Sat, s).unwrap().to_string(), "20:00-02:00");
        assert_eq!(b.hours_in(Thu, s), None);
    }

    #[test]
    fn too_many_shifts_for_the_evenings_is_an_error() {
        let params = WeekParams {
            pairs: 1,
            shifts_per_pair: 3,
            shifts: vec!["19:00-03:00".parse().unwrap()],
            evenings: vec![Fri, Sat],
            buffer_m: 50.0,
            weeks: 1.0,
        };
        assert!(plan_week(&[], &beats(), &params).is_err());
    }
}
