//! Before/after evaluation of a measure, with displacement.
//!
//! Counts the incidents that pass the measure's problem filter in three
//! places and two periods, and compares them:
//!
//! - **Periods** (Swedish local dates, inclusive): *after* runs from the
//!   start to the end date, or to the last date with data when the measure
//!   has no end (an end later than the last data date is cut there, and the
//!   notes say so); *before* is the same number of days just before the start.
//! - **Places** (SWEREF 99 TM metres): the measure's *area* (its boundary
//!   included), a *ring* around it — the points outside the area within
//!   `buffer_m` of it — where crime may move to (displacement) or also fall
//!   (diffusion of benefits), and an optional *control* area.
//! - **Weighted displacement quotient** (Bowers & Johnson 2003, "Measuring
//!   the geographical displacement and diffusion of benefit effects of crime
//!   prevention activity", J. Quantitative Criminology 19(3)):
//!   WDQ = (Da/Ca − Db/Cb) / (Ra/Ca − Rb/Cb) with R = area, D = ring,
//!   C = control, a/b = after/before. Left out without a control area, when
//!   the control has no incident in a period (a division by zero) and when the
//!   area changed exactly as the control did (the denominator is zero); each
//!   case with its reason. It is read only when the area fell relative to the
//!   control (denominator below zero).
//! - **Test**: the exact conditional test for two Poisson counts. With
//!   periods of equal length, under "no change" the after count given the
//!   total is Binomial(before + after, ½); the two-sided p-value sums the
//!   probabilities of splits no likelier than the one seen. The rate ratio
//!   after/before has the exact (Clopper–Pearson) 95 % interval carried over
//!   from the binomial proportion: RR = π / (1 − π).
//! - **Summary**: a plain-language Swedish text. Below
//!   [`MIN_EVENTS`] incidents in the area over both periods it says that
//!   they are too few to say anything ("för få för att säga något").

use chrono::{Datelike as _, NaiveDate};
use geo::{BoundingRect as _, Distance as _, Euclidean, Intersects as _, MultiPolygon, Point};
use serde::Serialize;

use crate::analysis::{AnalysisError, StudyArea, check_positive_m};
use crate::jobs::CancelToken;
use crate::model::measure::Measure;
use crate::model::{Filter, Precision};
use crate::store::{Store, SwerefPoint};

/// Fewest incidents in the area over both periods for the summary to draw
/// a conclusion. With fewer, even the most lopsided split is a difference of
/// a handful of events and the rate ratio's 95 % interval spans from well
/// under half to well over double.
pub const MIN_EVENTS: u64 = 10;

/// Significance level of the summary's wording.
pub const ALPHA: f64 = 0.05;

/// Default width of the ring around the area, metres.
pub const DEFAULT_BUFFER_M: f64 = 300.0;

/// The test's name as the outputs state it.
pub const TEST_METHOD: &str = "exact conditional test for two Poisson counts (binomial, equal periods); rate ratio with exact Clopper-Pearson 95 % interval";

/// What to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationRequest {
    /// The measure's name for the summary (may be empty).
    pub name: String,
    /// The measure's area, SWEREF 99 TM.
    pub area: StudyArea,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub buffer_m: f64,
    pub control: Option<StudyArea>,
    /// The problem filter (its dates are ignored).
    pub filter: Filter,
    pub include_coarse: bool,
}

/// Before and after count of one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BeforeAfter {
    pub before: u64,
    pub after: u64,
}

/// The two periods, local dates inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Periods {
    pub before: [NaiveDate; 2],
    pub after: [NaiveDate; 2],
    /// Days in each period.
    pub days: i64,
}

/// Counts of one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// True when the month lies (partly) in the after period.
    pub after: bool,
    pub area: u64,
    pub buffer: u64,
    pub control: Option<u64>,
}

/// The exact test on the area's counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PoissonTest {
    /// Two-sided p-value.
    pub p_value: f64,
    /// after / before; `None` when before is 0.
    pub rate_ratio: Option<f64>,
    /// 95 % interval of the rate ratio; the upper end is `None` (infinite)
    /// when before is 0. `None` altogether when both counts are 0.
    pub ci95: Option<(f64, Option<f64>)>,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub periods: Periods,
    pub area: BeforeAfter,
    pub buffer: BeforeAfter,
    pub control: Option<BeforeAfter>,
    pub buffer_m: f64,
    /// The WDQ, or why it is left out.
    pub wdq: Result<f64, String>,
    pub test: PoissonTest,
    /// Every month the two periods touch, oldest first.
    pub months: Vec<MonthCount>,
    /// True when the area's counts are below [`MIN_EVENTS`].
    pub too_few: bool,
    /// The plain-language Swedish summary.
    pub summary: String,
    /// Things the reader should know (periods cut, coarse incidents left out).
    pub notes: Vec<EvalNote>,
}

/// Something the reader of an evaluation should know. Displayed in English
/// (the command line, `--json`'s `notes`); the app words it in its own language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalNote {
    /// The after period is cut at `last`, the last date with data; the measure ends `end`.
    AfterCut { last: NaiveDate, end: NaiveDate },
    /// This many incidents with a coarse position were left out.
    CoarseLeftOut(usize),
    /// The before period starts `start`, before `first`, the first date with data.
    BeforeData { start: NaiveDate, first: NaiveDate },
}

impl std::fmt::Display for EvalNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalNote::AfterCut { last, end } => write!(
                f,
                "the after period is cut at {last}, the last date with data (the measure ends {end})"
            ),
            EvalNote::CoarseLeftOut(n) => write!(
                f,
                "{n} incident(s) with a coarse position (e.g. placed only at the municipality) left out"
            ),
            EvalNote::BeforeData { start, first } => write!(
                f,
                "the before period starts {start}, before the first date with data ({first}): the before count may be too low"
            ),
        }
    }
}

impl Serialize for EvalNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why an evaluation cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error("there is no incident data to evaluate against")]
    NoData,
    #[error(
        "the measure starts {start}, after the last date with data ({last}); give --end or wait for data"
    )]
    StartAfterData { start: NaiveDate, last: NaiveDate },
    #[error("the end date {end} is before the start date {start}")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
}

/// The periods for `start`..`end` (or the last data date).
pub fn periods(
    start: NaiveDate,
    end: Option<NaiveDate>,
    last_data: Option<NaiveDate>,
    notes: &mut Vec<EvalNote>,
) -> Result<Periods, EvaluateError> {
    let after_end = match (end, last_data) {
        (Some(e), _) if e < start => {
            return Err(EvaluateError::EndBeforeStart { start, end: e });
        }
        (Some(e), Some(last)) if e > last => {
            notes.push(EvalNote::AfterCut { last, end: e });
            last
        }
        (Some(e), _) => e,
        (None, Some(last)) => last,
        (None, None) => return Err(EvaluateError::NoData),
    };
    if after_end < start {
        return Err(EvaluateError::StartAfterData {
            start,
            last: after_end,
        });
    }
    let days = (after_end - start).num_days() + 1;
    let before_start = start - chrono::Days::new(days as u64);
    let before_end = start.pred_opt().unwrap_or(start);
    Ok(Periods {
        before: [before_start, before_end],
        after: [start, after_end],
        days,
    })
}

/// The incidents' place relative to the measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    Area,
    Ring,
    Elsewhere,
}

struct Places<'a> {
    area: &'a MultiPolygon<f64>,
    /// The area's box grown by the ring's width: points outside are neither.
    reach: [f64; 4],
    buffer_m: f64,
}

impl Places<'_> {
    fn place(&self, xy: [f64; 2]) -> Where {
        let [x0, y0, x1, y1] = self.reach;
        if xy[0] < x0 || xy[0] > x1 || xy[1] < y0 || xy[1] > y1 {
            return Where::Elsewhere;
        }
        let p = Point::new(xy[0], xy[1]);
        if self.area.intersects(&p) {
            Where::Area
        } else if Euclidean.distance(self.area, &p) <= self.buffer_m {
            Where::Ring
        } else {
            Where::Elsewhere
        }
    }
}

fn in_area(area: &StudyArea, xy: [f64; 2]) -> bool {
    let (min, max) = area.bounds();
    xy[0] >= min[0]
        && xy[0] <= max[0]
        && xy[1] >= min[1]
        && xy[1] <= max[1]
        && area.polygons.intersects(&Point::new(xy[0], xy[1]))
}

/// Evaluates `req` on `points` (any superset of the incidents needed; the
/// request's filter and periods are applied here). `last_data` is the last
/// local date of the project's data.
pub fn evaluate(
    points: &[SwerefPoint],
    last_data: Option<NaiveDate>,
    req: &EvaluationRequest,
) -> Result<Evaluation, EvaluateError> {
    check_positive_m("buffer_m", req.buffer_m)?;
    let mut notes = Vec::new();
    let periods = periods(req.start, req.end, last_data, &mut notes)?;
    let filter = Filter {
        from: Some(periods.before[0]),
        to: Some(periods.after[1]),
        ..req.filter.clone()
    };
    let rect = req.area.polygons.bounding_rect();
    let reach = rect.map_or([0.0; 4], |r| {
        [
            r.min().x - req.buffer_m,
            r.min().y - req.buffer_m,
            r.max().x + req.buffer_m,
            r.max().y + req.buffer_m,
        ]
    });
    let places = Places {
        area: &req.area.polygons,
        reach,
        buffer_m: req.buffer_m,
    };
    let months = month_list(periods.before[0], periods.after[1]);
    let mut month_counts: Vec<MonthCount> = months
        .iter()
        .map(|&(y, m)| MonthCount {
            month: format!("{y:04}-{m:02}"),
            after: month_touches(y, m, periods.after),
            area: 0,
            buffer: 0,
            control: req.control.as_ref().map(|_| 0),
        })
        .collect();
    let mut area = BeforeAfter::default();
    let mut buffer = BeforeAfter::default();
    let mut control = req.control.as_ref().map(|_| BeforeAfter::default());
    let mut coarse = 0usize;
    for p in points {
        if !p.is_projected() || !p.matches(&filter) {
            continue;
        }
        if !req.include_coarse && f64::from(p.precision_m) > Precision::COARSE_ABOVE_M {
            coarse += 1;
            continue;
        }
        let Some(date) = p.date() else { continue };
        let after = date >= periods.after[0];
        let bump = |c: &mut BeforeAfter| {
            if after {
                c.after += 1;
            } else {
                c.before += 1;
            }
        };
        let month = months
            .iter()
            .position(|&(y, m)| y == date.year() && m == date.month());
        match places.place(p.xy) {
            Where::Area => {
                bump(&mut area);
                if let Some(i) = month {
                    month_counts[i].area += 1;
                }
            }
            Where::Ring => {
                bump(&mut buffer);
                if let Some(i) = month {
                    month_counts[i].buffer += 1;
                }
            }
            Where::Elsewhere => {}
        }
        if let (Some(c), Some(ctl)) = (control.as_mut(), req.control.as_ref())
            && in_area(ctl, p.xy)
        {
            bump(c);
            if let Some(i) = month
                && let Some(n) = month_counts[i].control.as_mut()
            {
                *n += 1;
            }
        }
    }
    if coarse > 0 {
        notes.push(EvalNote::CoarseLeftOut(coarse));
    }
    let wdq = wdq(area, buffer, control);
    let test = poisson_test(area.after, area.before);
    let too_few = area.before + area.after < MIN_EVENTS;
    let mut eval = Evaluation {
        periods,
        area,
        buffer,
        control,
        buffer_m: req.buffer_m,
        wdq,
        test,
        months: month_counts,
        too_few,
        summary: String::new(),
        notes,
    };
    eval.summary = summary_sv(&req.name, &eval);
    Ok(eval)
}

/// Why an evaluation from a store failed.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateRunError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Evaluate(#[from] EvaluateError),
}

/// The last local date with any incident in the store.
pub fn last_data_date(store: &dyn Store) -> Result<Option<NaiveDate>, crate::store::StoreError> {
    Ok(store
        .info()?
        .time_range
        .map(|(_, last)| crate::model::time::local(last).date_naive()))
}

/// Loads what `req` needs from `store` (the filter over both periods) and
/// evaluates it: the one way the app and the command line evaluate.
pub fn evaluate_in_store(
    store: &dyn Store,
    req: &EvaluationRequest,
    cancel: &CancelToken,
) -> Result<Evaluation, EvaluateRunError> {
    let range = store.info()?.time_range;
    let local = |t| crate::model::time::local(t).date_naive();
    let last = range.map(|(_, last)| local(last));
    let p = periods(req.start, req.end, last, &mut Vec::new())?;
    let filter = Filter {
        from: Some(p.before[0]),
        to: Some(p.after[1]),
        ..req.filter.clone()
    };
    let points = store.analysis_points(&filter, cancel)?;
    let mut e = evaluate(&points, last, req)?;
    if let Some((first, _)) = range
        && local(first) > p.before[0]
    {
        e.notes.push(EvalNote::BeforeData {
            start: p.before[0],
            first: local(first),
        });
    }
    Ok(e)
}

/// The request for a stored measure: its area (projected to SWEREF 99 TM),
/// dates and problem filter.
pub fn request_for_measure(
    m: &Measure,
    buffer_m: f64,
    control: Option<StudyArea>,
) -> Result<EvaluationRequest, AnalysisError> {
    Ok(EvaluationRequest {
        name: m.name.clone(),
        area: StudyArea::from_wgs84(&m.area, format!("measure {:?}", m.name))?,
        start: m.start,
        end: m.end,
        buffer_m,
        control,
        filter: Filter {
            from: None,
            to: None,
            ..m.problem.clone()
        },
        include_coarse: false,
    })
}

/// The weighted displacement quotient, or why it is left out.
pub fn wdq(
    area: BeforeAfter,
    buffer: BeforeAfter,
    control: Option<BeforeAfter>,
) -> Result<f64, String> {
    let Some(c) = control else {
        return Err("no control area was given, so the WDQ (which weighs the area and the ring by the control's change) cannot be computed".into());
    };
    if c.before == 0 || c.after == 0 {
        return Err(format!(
            "the control area has no incident in the {} period (a division by zero)",
            if c.before == 0 { "before" } else { "after" }
        ));
    }
    let (ca, cb) = (c.after as f64, c.before as f64);
    let success = area.after as f64 / ca - area.before as f64 / cb;
    if success == 0.0 {
        return Err(
            "the area changed exactly as the control did (Ra/Ca − Rb/Cb = 0), so the quotient is undefined"
                .into(),
        );
    }
    Ok((buffer.after as f64 / ca - buffer.before as f64 / cb) / success)
}

/// The exact conditional test of `after` against `before` (equal periods).
pub fn poisson_test(after: u64, before: u64) -> PoissonTest {
    let n = after + before;
    let rate_ratio = (before > 0).then(|| after as f64 / before as f64);
    if n == 0 {
        return PoissonTest {
            p_value: 1.0,
            rate_ratio,
            ci95: None,
        };
    }
    let p_value = binom_two_sided(after, n);
    let (lo, hi) = clopper_pearson(after, n, ALPHA);
    let to_ratio = |pi: f64| pi / (1.0 - pi);
    let ci_hi = (hi < 1.0).then(|| to_ratio(hi));
    PoissonTest {
        p_value,
        rate_ratio,
        ci95: Some((to_ratio(lo), ci_hi)),
    }
}

fn ln_pmf(k: u64, n: u64, p: f64) -> f64 {
    let (k, n) = (k as f64, n as f64);
    let ln_choose = libm::lgamma(n + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(n - k + 1.0);
    let term = |count: f64, prob: f64| {
        if count == 0.0 { 0.0 } else { count * prob.ln() }
    };
    ln_choose + term(k, p) + term(n - k, 1.0 - p)
}

/// Two-sided exact binomial p-value of `k` of `n` at p = ½: the probability
/// of every split no likelier than the one seen.
fn binom_two_sided(k: u64, n: u64) -> f64 {
    let seen = ln_pmf(k, n, 0.5);
    let p: f64 = (0..=n)
        .map(|i| ln_pmf(i, n, 0.5))
        .filter(|&l| l <= seen + 1e-7)
        .map(f64::exp)
        .sum();
    p.min(1.0)
}

/// P(X ≥ k) for X ~ Binomial(n, p).
fn upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    (k..=n).map(|i| ln_pmf(i, n, p).exp()).sum::<f64>().min(1.0)
}

/// P(X ≤ k).
fn lower_tail(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    (0..=k).map(|i| ln_pmf(i, n, p).exp()).sum::<f64>().min(1.0)
}

/// Finds p in (0, 1) where `f` (monotone) crosses `target`, by bisection.
fn bisect(f: impl Fn(f64) -> f64, target: f64, increasing: bool) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        let above = f(mid) > target;
        if above == increasing {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The exact (Clopper–Pearson) interval of a binomial proportion `k` / `n`.
fn clopper_pearson(k: u64, n: u64, alpha: f64) -> (f64, f64) {
    let lo = if k == 0 {
        0.0
    } else {
        // P(X ≥ k | p) grows with p.
        bisect(|p| upper_tail(k, n, p), alpha / 2.0, true)
    };
    let hi = if k == n {
        1.0
    } else {
        // P(X ≤ k | p) falls as p grows.
        bisect(|p| lower_tail(k, n, p), alpha / 2.0, false)
    };
    (lo, hi)
}

fn month_list(from: NaiveDate, to: NaiveDate) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push((y, m));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

fn month_touches(y: i32, m: u32, period: [NaiveDate; 2]) -> bool {
    (y, m) >= (period[0].year(), period[0].month())
        && (y, m) <= (period[1].year(), period[1].month())
}

/// A number in Swedish style: decimal comma, `digits` decimals.
fn sv_num(x: f64, digits: usize) -> String {
    format!("{x:.digits$}").replace('.', ",")
}

fn sv_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0,001".to_owned()
    } else {
        format!("p = {}", sv_num(p, 3))
    }
}

/// The plain-language Swedish summary of an evaluation.
pub fn summary_sv(name: &str, e: &Evaluation) -> String {
    let exact = |c: BeforeAfter| [c.before.to_string(), c.after.to_string()];
    summary_with(
        name,
        e,
        &SummaryCounts {
            area: exact(e.area),
            buffer: exact(e.buffer),
            control: e.control.map(exact),
            test_withheld: None,
            wdq_withheld: None,
        },
    )
}

/// The counts as a summary states them, and why the test or the WDQ is
/// not stated (a figure that would give a suppressed count back).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryCounts {
    pub area: [String; 2],
    pub buffer: [String; 2],
    pub control: Option<[String; 2]>,
    pub test_withheld: Option<String>,
    pub wdq_withheld: Option<String>,
}

/// The summary with the counts (and the test and WDQ, or why they are
/// left out) as `c` states them.
pub fn summary_with(name: &str, e: &Evaluation, c: &SummaryCounts) -> String {
    let mut s = String::new();
    let [b0, b1] = e.periods.before;
    let [a0, a1] = e.periods.after;
    let title = if name.trim().is_empty() {
        "Området".to_owned()
    } else {
        format!("Insatsen ”{}”", name.trim())
    };
    s.push_str(&format!(
        "{title}: {} händelser i området under {} dagar före starten ({b0}–{b1}) och {} under lika många dagar efter ({a0}–{a1}). ",
        c.area[0], e.periods.days, c.area[1]
    ));
    if let Some(why) = &c.test_withheld {
        s.push_str(why);
        s.push(' ');
    } else if e.too_few {
        s.push_str(&format!(
            "Det är för få för att säga något: med färre än {MIN_EVENTS} händelser sammanlagt kan skillnaden lika gärna vara slumpen. "
        ));
    } else {
        let change = if e.area.before > 0 {
            let pct = (e.area.after as f64 / e.area.before as f64 - 1.0) * 100.0;
            if pct < 0.0 {
                format!("en minskning med {} %", sv_num(-pct, 0))
            } else if pct > 0.0 {
                format!("en ökning med {} %", sv_num(pct, 0))
            } else {
                "oförändrat".to_owned()
            }
        } else {
            "en ökning från noll".to_owned()
        };
        let ci = match e.test.ci95 {
            Some((lo, Some(hi))) => format!(
                "kvot efter/före {}, 95 % konfidensintervall {}–{}",
                e.test.rate_ratio.map_or("–".to_owned(), |r| sv_num(r, 2)),
                sv_num(lo, 2),
                sv_num(hi, 2)
            ),
            _ => "kvoten kan inte beräknas när före är noll".to_owned(),
        };
        if e.test.p_value < ALPHA {
            s.push_str(&format!(
                "Det är {change}, och skillnaden är för stor för att vara slumpen ({}; {ci}). ",
                sv_p(e.test.p_value)
            ));
        } else {
            s.push_str(&format!(
                "Det är {change}, men skillnaden kan vara slumpen ({}; {ci}): ingen säker förändring. ",
                sv_p(e.test.p_value)
            ));
        }
    }
    s.push_str(&format!(
        "I ringen {} m runt området: {} före och {} efter. ",
        sv_num(e.buffer_m, 0),
        c.buffer[0],
        c.buffer[1]
    ));
    if let (Some(counts), Some(why)) = (&c.control, &c.wdq_withheld) {
        s.push_str(&format!(
            "I kontrollområdet: {} före och {} efter. {why}",
            counts[0], counts[1]
        ));
        return s.trim_end().to_owned();
    }
    let control_counts = c.control.clone().unwrap_or_default();
    match (&e.control, &e.wdq) {
        (None, _) => s.push_str(
            "Den viktade förskjutningskvoten (WDQ) beräknas inte: inget kontrollområde angavs, och utan det går det inte att skilja insatsens verkan från den allmänna utvecklingen.",
        ),
        (Some(c), Err(_)) => {
            s.push_str(&format!(
                "I kontrollområdet: {} före och {} efter. ",
                control_counts[0], control_counts[1]
            ));
            if c.before == 0 || c.after == 0 {
                s.push_str("WDQ beräknas inte: kontrollområdet saknar händelser i en av perioderna (division med noll).");
            } else {
                s.push_str("WDQ beräknas inte: området förändrades precis som kontrollområdet (nämnaren är noll).");
            }
        }
        (Some(c), Ok(w)) => {
            s.push_str(&format!(
                "I kontrollområdet: {} före och {} efter. WDQ = {}",
                control_counts[0],
                control_counts[1],
                sv_num(*w, 2)
            ));
            let success = e.area.after as f64 / c.after as f64 - e.area.before as f64 / c.before as f64;
            if success > 0.0 {
                s.push_str(": området ökade jämfört med kontrollområdet, så kvoten säger inget om förskjutning.");
            } else if e.too_few {
                s.push_str(", men med så få händelser säger kvoten inget säkert.");
            } else if *w > 1.0 {
                s.push_str(": spridning av positiva effekter till ringen, större än effekten i området.");
            } else if *w > 0.0 {
                s.push_str(": spridning av positiva effekter till ringen (diffusion of benefits).");
            } else if *w == 0.0 {
                s.push_str(": varken förskjutning eller spridning till ringen.");
            } else if *w >= -1.0 {
                s.push_str(": viss förskjutning till ringen, men mindre än minskningen i området.");
            } else {
                s.push_str(": förskjutningen till ringen är större än minskningen i området.");
            }
        }
    }
    s.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Source};
    use chrono::{NaiveTime, TimeZone as _};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A square `side` metres with lower-left corner `(x, y)`.
    fn square(x: f64, y: f64, side: f64) -> StudyArea {
        let p = geo::Rect::new((x, y), (x + side, y + side)).to_polygon();
        StudyArea::new(MultiPolygon(vec![p]), "test").unwrap()
    }

    /// An incident at `xy` on local date `date` at 21:00.
    fn point(xy: [f64; 2], date: NaiveDate, category: Category) -> SwerefPoint {
        let local = date.and_time(NaiveTime::from_hms_opt(21, 0, 0).unwrap());
        let t = crate::model::time::ZONE
            .from_local_datetime(&local)
            .single()
            .unwrap()
            .with_timezone(&chrono::Utc);
        SwerefPoint {
            xy,
            occurred_at: t.timestamp(),
            local_day: date.num_days_from_ce(),
            hour: 21,
            weekday: date.weekday().num_days_from_monday() as u8,
            category,
            source: Source::Polis,
            precision_m: 10.0,
        }
    }

    fn request(control: Option<StudyArea>) -> EvaluationRequest {
        EvaluationRequest {
            name: "Belysning".into(),
            area: square(0.0, 0.0, 100.0),
            start: d(2025, 3, 1),
            end: Some(d(2025, 3, 31)),
            buffer_m: 300.0,
            control,
            filter: Filter::default(),
            include_coarse: false,
        }
    }

    #[test]
    fn periods_are_equal_and_local_dates_inclusive() {
        let mut notes = Vec::new();
        // 1–31 March: 31 days; before is 29 Jan – 28 Feb 2025 (31 days).
        let p = periods(
            d(2025, 3, 1),
            Some(d(2025, 3, 31)),
            Some(d(2025, 12, 31)),
            &mut notes,
        )
        .unwrap();
        assert_eq!(p.days, 31);
        assert_eq!(p.before, [d(2025, 1, 29), d(2025, 2, 28)]);
        assert_eq!(p.after, [d(2025, 3, 1), d(2025, 3, 31)]);
        assert!(notes.is_empty());
        // No end: after runs to the last data date.
        let p = periods(d(2025, 3, 1), None, Some(d(2025, 3, 10)), &mut notes).unwrap();
        assert_eq!((p.days, p.before[0]), (10, d(2025, 2, 19)));
        // An end past the data is cut, and said.
        let p = periods(
            d(2025, 3, 1),
            Some(d(2025, 6, 1)),
            Some(d(2025, 3, 10)),
            &mut notes,
        )
        .unwrap();
        assert_eq!(p.after[1], d(2025, 3, 10));
        assert_eq!(notes.len(), 1);
        assert!(matches!(
            periods(d(2025, 3, 1), None, Some(d(2025, 2, 1)), &mut notes),
            Err(EvaluateError::StartAfterData { .. })
        ));
    }

    /// The hand-worked case: the area (a 100 m square at the origin), the ring
    /// (outside, within 300 m) and a control square far away.
    ///
    /// before (29 Jan–28 Feb): area 12, ring 4, control 20
    /// after  (1–31 Mar):      area 3,  ring 6, control 20
    /// WDQ = (6/20 − 4/20) / (3/20 − 12/20) = 0.1 / −0.45 = −0.2222…
    #[test]
    fn counts_and_wdq_match_the_hand_worked_case() {
        let control = square(10_000.0, 0.0, 500.0);
        let mut pts = Vec::new();
        let before = d(2025, 2, 10);
        let after = d(2025, 3, 10);
        pts.extend((0..12).map(|_| point([50.0, 50.0], before, Category::Vald)));
        pts.extend((0..3).map(|_| point([100.0, 50.0], after, Category::Vald))); // on the edge: area
        pts.extend((0..4).map(|_| point([350.0, 50.0], before, Category::Vald))); // 250 m out
        pts.extend((0..6).map(|_| point([50.0, 399.0], after, Category::Vald))); // 299 m out
        pts.push(point([50.0, 401.0], after, Category::Vald)); // 301 m: neither
        pts.extend((0..20).map(|_| point([10_100.0, 100.0], before, Category::Vald)));
        pts.extend((0..20).map(|_| point([10_100.0, 100.0], after, Category::Vald)));
        // Outside both periods and of another category: not counted.
        pts.push(point([50.0, 50.0], d(2025, 1, 28), Category::Vald));
        pts.push(point([50.0, 50.0], d(2025, 4, 1), Category::Vald));
        let e = evaluate(&pts, Some(d(2025, 12, 31)), &request(Some(control))).unwrap();
        assert_eq!(
            e.area,
            BeforeAfter {
                before: 12,
                after: 3
            }
        );
        assert_eq!(
            e.buffer,
            BeforeAfter {
                before: 4,
                after: 6
            }
        );
        assert_eq!(
            e.control,
            Some(BeforeAfter {
                before: 20,
                after: 20
            })
        );
        let w = e.wdq.clone().unwrap();
        assert!((w - (-0.1 / 0.45)).abs() < 1e-12, "{w}");
        // Per month: January (before, 0 here), February (before), March (after).
        let months: Vec<_> = e
            .months
            .iter()
            .map(|m| (m.month.as_str(), m.after, m.area, m.buffer))
            .collect();
        assert_eq!(
            months,
            [
                ("2025-01", false, 0, 0),
                ("2025-02", false, 12, 4),
                ("2025-03", true, 3, 6)
            ]
        );
        assert_eq!(e.months[1].control, Some(20));
        // 15 events: enough to say something. 3 of 15 at p = ½: p ≈ 0.0352.
        assert!(!e.too_few);
        assert!(
            (e.test.p_value - 0.035_156_25).abs() < 1e-9,
            "{}",
            e.test.p_value
        );
        assert!(e.summary.contains("minskning med 75 %"), "{}", e.summary);
        assert!(
            e.summary.contains("för stor för att vara slumpen"),
            "{}",
            e.summary
        );
        assert!(e.summary.contains("WDQ = -0,22"), "{}", e.summary);
        assert!(e.summary.contains("viss förskjutning"), "{}", e.summary);

        // The problem filter narrows the counts.
        let mut req = request(Some(square(10_000.0, 0.0, 500.0)));
        req.filter.categories = Some([Category::Brand].into());
        let e = evaluate(&pts, Some(d(2025, 12, 31)), &req).unwrap();
        assert_eq!(e.area, BeforeAfter::default());
        assert!(e.wdq.is_err());
    }

    #[test]
    fn the_wording_follows_the_counts() {
        // 4 before, 1 after: a big drop, but too few to say anything.
        let mut pts: Vec<_> = (0..4)
            .map(|_| point([50.0, 50.0], d(2025, 2, 10), Category::Vald))
            .collect();
        pts.push(point([50.0, 50.0], d(2025, 3, 10), Category::Vald));
        let e = evaluate(&pts, Some(d(2025, 12, 31)), &request(None)).unwrap();
        assert!(e.too_few);
        assert!(
            e.summary.contains("för få för att säga något"),
            "{}",
            e.summary
        );
        assert!(!e.summary.contains("slumpen ("), "{}", e.summary);
        // Without a control the WDQ is left out and the summary says why.
        assert!(e.wdq.as_ref().unwrap_err().contains("no control area"));
        assert!(
            e.summary.contains("inget kontrollområde angavs"),
            "{}",
            e.summary
        );

        // 40 before, 36 after: enough events, no sure change.
        let mut pts: Vec<_> = (0..40)
            .map(|_| point([50.0, 50.0], d(2025, 2, 10), Category::Vald))
            .collect();
        pts.extend((0..36).map(|_| point([50.0, 50.0], d(2025, 3, 10), Category::Vald)));
        let e = evaluate(&pts, Some(d(2025, 12, 31)), &request(None)).unwrap();
        assert!(!e.too_few);
        assert!(!e.summary.contains("för få"), "{}", e.summary);
        assert!(
            e.summary.contains("ingen säker förändring"),
            "{}",
            e.summary
        );
        assert!(e.summary.contains("minskning med 10 %"), "{}", e.summary);
    }

    #[test]
    fn wdq_guards_its_divisions() {
        let a = BeforeAfter {
            before: 10,
            after: 5,
        };
        let r = BeforeAfter {
            before: 2,
            after: 2,
        };
        assert!(
            wdq(
                a,
                r,
                Some(BeforeAfter {
                    before: 0,
                    after: 4
                })
            )
            .unwrap_err()
            .contains("before")
        );
        assert!(
            wdq(
                a,
                r,
                Some(BeforeAfter {
                    before: 4,
                    after: 0
                })
            )
            .unwrap_err()
            .contains("after")
        );
        // Ra/Ca = Rb/Cb: 5/10 = 10/20.
        let err = wdq(
            a,
            r,
            Some(BeforeAfter {
                before: 20,
                after: 10,
            }),
        )
        .unwrap_err();
        assert!(err.contains("= 0"), "{err}");
    }

    #[test]
    fn the_exact_test_matches_hand_values() {
        // 0 of 10 at ½: 2 × 1/1024.
        let t = poisson_test(0, 10);
        assert!((t.p_value - 2.0 / 1024.0).abs() < 1e-12);
        assert_eq!(t.rate_ratio, Some(0.0));
        let (lo, hi) = t.ci95.unwrap();
        assert_eq!(lo, 0.0);
        // Clopper–Pearson upper bound of 0/10 is 1 − 0.025^(1/10) = 0.30850;
        // as a ratio 0.30850 / 0.69150 = 0.44613.
        assert!((hi.unwrap() - 0.446_13).abs() < 1e-4, "{hi:?}");
        // An even split: p = 1.
        assert!((poisson_test(5, 5).p_value - 1.0).abs() < 1e-12);
        // 3 of 15: 2 × P(X ≤ 3) = 2 × 576/32768.
        assert!((poisson_test(3, 12).p_value - 1152.0 / 32768.0).abs() < 1e-12);
        // Nothing at all.
        let t = poisson_test(0, 0);
        assert_eq!((t.p_value, t.ci95), (1.0, None));
        // Before 0: the ratio and the upper bound are infinite.
        let t = poisson_test(4, 0);
        assert_eq!(t.rate_ratio, None);
        assert_eq!(t.ci95.unwrap().1, None);
    }
}
