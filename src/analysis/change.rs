//! The change map: two periods compared cell by cell on a square grid in
//! SWEREF 99 TM metres, each cell classed as more, fewer or no clear change.
//! No egui here; `lagesbild change` and the app's change layer read
//! [`ChangeMap`].
//!
//! # Grid
//! The grid of the hotspots and strategic places (the same origin rule: the
//! study area's box, or the smallest rectangle of cells holding the
//! incidents of both periods; with a study area only cells whose centre lies
//! inside take part). Both periods are counted on the one grid.
//!
//! # Test
//! For a cell with `a` incidents in the period before (`d_a` days) and `b`
//! after (`d_b` days), "no change" means the same daily rate in both. Given
//! `n = a + b`, `b` is then Binomial(`n`, `d_b / (d_a + d_b)`): the exact
//! conditional test for two Poisson counts (Przyborowski & Wilenski 1940),
//! which stays right for small counts where a normal approximation does not.
//! The two-sided p-value is twice the smaller tail, at most 1. Cells with
//! `n` below [`ChangeParams::min_count`] (default 5) are not tested: they
//! are "no clear change" without a p-value (a cell with 0 before and 4 after
//! cannot reach p < 0.05 with equal periods in any case: 2·0.5⁴ = 0.125).
//!
//! Many cells are tested at once, so by default the Benjamini–Hochberg
//! false-discovery rate at α = 0.05 sets the cut-off over the tested cells;
//! without it each cell is tested at α.
//!
//! `ratio` is the after rate over the before rate, `(b / d_b) / (a / d_a)`
//! (none when `a = 0`).

use chrono::{Datelike as _, NaiveDate};
use serde::Serialize;

use crate::analysis::area::StudyArea;
use crate::analysis::hotspots::CountGrid;
use crate::analysis::{AnalysisError, check_positive_m};
use crate::jobs::CancelToken;
use crate::store::SwerefPoint;

/// Largest grid the change map computes.
pub const MAX_CELLS: usize = 16_000_000;

/// What changed in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    /// Clearly more incidents per day after than before.
    More,
    /// Clearly fewer.
    Fewer,
    /// No clear change (or too few incidents to tell).
    NoClearChange,
}

impl ChangeClass {
    pub const ALL: [ChangeClass; 3] = [
        ChangeClass::More,
        ChangeClass::Fewer,
        ChangeClass::NoClearChange,
    ];

    /// `more`, `fewer`, `no_clear_change`.
    pub fn key(self) -> &'static str {
        match self {
            ChangeClass::More => "more",
            ChangeClass::Fewer => "fewer",
            ChangeClass::NoClearChange => "no_clear_change",
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            ChangeClass::More => "Fler",
            ChangeClass::Fewer => "Färre",
            ChangeClass::NoClearChange => "Ingen tydlig förändring",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ChangeClass::More => "More",
            ChangeClass::Fewer => "Fewer",
            ChangeClass::NoClearChange => "No clear change",
        }
    }
}

/// A period of local dates, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `None` when `from` is after `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Period> {
        (from <= to).then_some(Period { from, to })
    }

    /// Days in the period.
    pub fn days(&self) -> u32 {
        ((self.to - self.from).num_days() + 1) as u32
    }

    fn contains_day(&self, local_day: i32) -> bool {
        (self.from.num_days_from_ce()..=self.to.num_days_from_ce()).contains(&local_day)
    }

    fn overlaps(&self, other: &Period) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// Reads `FROM..TO` (ISO dates).
    pub fn parse(text: &str) -> Result<Period, String> {
        let (a, b) = text.split_once("..").ok_or_else(|| {
            format!("{text:?}: write the period as FROM..TO, e.g. 2024-01-01..2024-06-30")
        })?;
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| format!("{text:?}: {:?} is not a date YYYY-MM-DD", s.trim()))
        };
        let (from, to) = (date(a)?, date(b)?);
        Period::new(from, to).ok_or_else(|| format!("{text:?}: {from} is after {to}"))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// The default cell side, metres.
pub const DEFAULT_CELL_M: f64 = 250.0;
/// The default least number of incidents (both periods) for a cell to be tested.
pub const DEFAULT_MIN_COUNT: u32 = 5;
/// The default significance level.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// Parameters of [`change_map`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeParams {
    pub before: Period,
    pub after: Period,
    /// Side of a cell, metres.
    pub cell_m: f64,
    /// Cells with fewer incidents in both periods together are not tested.
    pub min_count: u32,
    /// Significance level (default 0.05).
    pub alpha: f64,
    /// Benjamini–Hochberg over the tested cells (default on).
    pub fdr: bool,
    pub study_area: Option<StudyArea>,
}

impl ChangeParams {
    /// Defaults: 250 m cells, at least 5 incidents, α = 0.05 with FDR
    /// ([`DEFAULT_CELL_M`], [`DEFAULT_MIN_COUNT`], [`DEFAULT_ALPHA`]).
    pub fn new(before: Period, after: Period) -> ChangeParams {
        ChangeParams {
            before,
            after,
            cell_m: DEFAULT_CELL_M,
            min_count: DEFAULT_MIN_COUNT,
            alpha: DEFAULT_ALPHA,
            fdr: true,
            study_area: None,
        }
    }
}

/// One cell with incidents in either period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeCell {
    pub ix: usize,
    pub iy: usize,
    pub before: u32,
    pub after: u32,
    /// After rate / before rate; none when there were none before.
    pub ratio: Option<f64>,
    /// Two-sided exact p-value; none for a cell below the minimum count.
    pub p: Option<f64>,
    pub class: ChangeClass,
}

/// The change map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeMap {
    pub x0: f64,
    pub y0: f64,
    pub cell_m: f64,
    pub nx: usize,
    pub ny: usize,
    pub before: Period,
    pub after: Period,
    pub before_days: u32,
    pub after_days: u32,
    /// Incidents counted in each period (inside the study area).
    pub before_total: u64,
    pub after_total: u64,
    /// Incidents of either period left out: outside the study area.
    pub outside_area: usize,
    /// Cells with incidents in either period, row by row from the south-west.
    pub cells: Vec<ChangeCell>,
    /// Cells tested (at least `min_count` incidents).
    pub tested: usize,
    /// The p-value cut-off used (after FDR); a cell with p ≤ it changed clearly.
    pub p_cutoff: f64,
    pub min_count: u32,
    pub alpha: f64,
    pub fdr: bool,
}

impl ChangeMap {
    /// Lower-left and upper-right corner of cell (ix, iy), metres.
    pub fn cell_bounds(&self, ix: usize, iy: usize) -> ([f64; 2], [f64; 2]) {
        let lo = [
            self.x0 + ix as f64 * self.cell_m,
            self.y0 + iy as f64 * self.cell_m,
        ];
        ([lo[0], lo[1]], [lo[0] + self.cell_m, lo[1] + self.cell_m])
    }

    /// Cells per class, in [`ChangeClass::ALL`] order.
    pub fn class_counts(&self) -> [usize; 3] {
        let mut n = [0; 3];
        for c in &self.cells {
            if let Some(i) = ChangeClass::ALL.iter().position(|k| *k == c.class) {
                n[i] += 1;
            }
        }
        n
    }
}

/// Compares the two periods of `params` cell by cell over `points` (the
/// incidents to use: see [`crate::analysis::engine::Loaded::used_points`]).
pub fn change_map(
    points: &[SwerefPoint],
    params: &ChangeParams,
    cancel: &CancelToken,
) -> Result<ChangeMap, AnalysisError> {
    check_positive_m("cell_m", params.cell_m)?;
    if params.before.overlaps(&params.after) {
        return Err(AnalysisError::InvalidParam {
            name: "before/after",
            reason: format!(
                "the periods {} and {} overlap; an incident would count in both",
                params.before, params.after
            ),
        });
    }
    if !(params.alpha > 0.0 && params.alpha < 1.0) {
        return Err(AnalysisError::InvalidParam {
            name: "alpha",
            reason: format!("must lie between 0 and 1, got {:?}", params.alpha),
        });
    }
    let mut xy = Vec::new();
    let mut after_flag = Vec::new();
    for p in points.iter().filter(|p| p.is_projected()) {
        if params.before.contains_day(p.local_day) {
            xy.push(p.xy);
            after_flag.push(false);
        } else if params.after.contains_day(p.local_day) {
            xy.push(p.xy);
            after_flag.push(true);
        }
    }
    cancel.check()?;
    let grid = CountGrid::build(&xy, params.cell_m, params.study_area.as_ref(), MAX_CELLS)?;
    let n_cells = grid.nx * grid.ny;
    let mut before = vec![0u32; n_cells];
    let mut after = vec![0u32; n_cells];
    let mut outside_area = 0;
    for (q, is_after) in xy.iter().zip(&after_flag) {
        let fx = ((q[0] - grid.x0) / grid.cell_m).floor();
        let fy = ((q[1] - grid.y0) / grid.cell_m).floor();
        if fx >= 0.0 && fy >= 0.0 && fx < grid.nx as f64 && fy < grid.ny as f64 {
            let i = fy as usize * grid.nx + fx as usize;
            if grid.takes_part(i) {
                if *is_after {
                    after[i] += 1;
                } else {
                    before[i] += 1;
                }
                continue;
            }
        }
        outside_area += 1;
    }
    cancel.check()?;
    let (da, db) = (params.before.days(), params.after.days());
    let p_after = f64::from(db) / f64::from(da + db);
    let mut cells = Vec::new();
    for i in 0..n_cells {
        let (a, b) = (before[i], after[i]);
        if a + b == 0 {
            continue;
        }
        let ratio =
            (a > 0).then(|| (f64::from(b) / f64::from(db)) / (f64::from(a) / f64::from(da)));
        let p = (a + b >= params.min_count).then(|| binomial_two_sided(b, a + b, p_after));
        cells.push(ChangeCell {
            ix: i % grid.nx,
            iy: i / grid.nx,
            before: a,
            after: b,
            ratio,
            p,
            class: ChangeClass::NoClearChange,
        });
    }
    let tested: Vec<f64> = cells.iter().filter_map(|c| c.p).collect();
    let p_cutoff = if params.fdr {
        bh_cutoff(&tested, params.alpha)
    } else {
        params.alpha
    };
    for c in &mut cells {
        if let Some(p) = c.p
            && p <= p_cutoff
        {
            // Expected after count under no change: n · d_b / (d_a + d_b).
            let expected = f64::from(c.before + c.after) * p_after;
            c.class = if f64::from(c.after) > expected {
                ChangeClass::More
            } else {
                ChangeClass::Fewer
            };
        }
    }
    Ok(ChangeMap {
        x0: grid.x0,
        y0: grid.y0,
        cell_m: grid.cell_m,
        nx: grid.nx,
        ny: grid.ny,
        before: params.before,
        after: params.after,
        before_days: da,
        after_days: db,
        before_total: before.iter().map(|&n| u64::from(n)).sum(),
        after_total: after.iter().map(|&n| u64::from(n)).sum(),
        outside_area,
        tested: tested.len(),
        cells,
        p_cutoff,
        min_count: params.min_count,
        alpha: params.alpha,
        fdr: params.fdr,
    })
}

/// Two-sided exact binomial p-value of `k` successes in `n` trials with
/// success probability `p`: twice the smaller tail, at most 1.
///
/// # Examples
/// ```
/// use lagesbild::analysis::change::binomial_two_sided;
/// // 0 of 5 with p = 1/2: 2 · (1/2)^5 = 0.0625.
/// assert!((binomial_two_sided(0, 5, 0.5) - 0.0625).abs() < 1e-12);
/// ```
pub fn binomial_two_sided(k: u32, n: u32, p: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let pmf = |i: u32| -> f64 {
        let (i, n) = (f64::from(i), f64::from(n));
        let log_choose = libm::lgamma(n + 1.0) - libm::lgamma(i + 1.0) - libm::lgamma(n - i + 1.0);
        (log_choose + i * p.ln() + (n - i) * (1.0 - p).ln()).exp()
    };
    let lower: f64 = (0..=k).map(pmf).sum();
    let upper: f64 = (k..=n).map(pmf).sum();
    (2.0 * lower.min(upper)).min(1.0)
}

/// Benjamini–Hochberg: the largest sorted p_(k) with p_(k) ≤ k·α/m
/// (−1 when none, so nothing is significant).
fn bh_cutoff(p: &[f64], alpha: f64) -> f64 {
    let mut sorted = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .rev()
        .find(|(k, pk)| **pk <= (*k as f64 + 1.0) * alpha / m)
        .map_or(-1.0, |(_, pk)| *pk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{Sweref99Tm, wgs84_from_sweref};
    use crate::model::{Category, IncidentPoint, Source, time::utc_from_local};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn pt(e: f64, n: f64, day: NaiveDate) -> SwerefPoint {
        let mut p = SwerefPoint::from_incident_point(&IncidentPoint {
            fid: 1,
            occurred_at: utc_from_local(day.and_hms_opt(12, 0, 0).unwrap()).unwrap(),
            category: Category::Vald,
            source: Source::Polis,
            position: wgs84_from_sweref(Sweref99Tm {
                easting: e,
                northing: n,
            }),
            precision_m: 10.0,
        });
        // Exact positions for exact cells.
        p.xy = [e, n];
        p
    }

    #[test]
    fn binomial_tails_by_hand() {
        // n = 10, p = 1/2: P(X ≤ 1) = 11/1024, two-sided 22/1024.
        assert!((binomial_two_sided(1, 10, 0.5) - 22.0 / 1024.0).abs() < 1e-12);
        assert!((binomial_two_sided(9, 10, 0.5) - 22.0 / 1024.0).abs() < 1e-12);
        assert!((binomial_two_sided(5, 10, 0.5) - 1.0).abs() < 1e-12);
        // n = 4, p = 1/3 (after period half as long): P(X = 4) = 1/81.
        assert!((binomial_two_sided(4, 4, 1.0 / 3.0) - 2.0 / 81.0).abs() < 1e-12);
        assert_eq!(binomial_two_sided(0, 0, 0.5), 1.0);
    }

    #[test]
    fn benjamini_hochberg_cutoff() {
        // m = 4, α = 0.05: thresholds 0.0125, 0.025, 0.0375, 0.05.
        assert_eq!(bh_cutoff(&[0.01, 0.02, 0.2, 0.035], 0.05), 0.035);
        // 0.03 > 0.025 and 0.04 > 0.0375: only the first passes.
        assert_eq!(bh_cutoff(&[0.01, 0.03, 0.2, 0.04], 0.05), 0.01);
        assert_eq!(bh_cutoff(&[0.03, 0.9], 0.05), -1.0);
        assert_eq!(bh_cutoff(&[], 0.05), -1.0);
    }

    #[test]
    fn cells_more_fewer_and_too_few() {
        let before = Period::new(d(2024, 1, 1), d(2024, 1, 10)).unwrap();
        let after = Period::new(d(2024, 1, 11), d(2024, 1, 20)).unwrap();
        let mut pts = Vec::new();
        // Cell (0, 0): 0 before, 10 after → p = 2/1024: more.
        for k in 0..10 {
            pts.push(pt(1010.0, 1010.0, d(2024, 1, 11 + k)));
        }
        // Cell (1, 0): 10 before, 1 after → p = 2·12/2048: fewer.
        for k in 0..10 {
            pts.push(pt(1110.0, 1010.0, d(2024, 1, 1 + k)));
        }
        pts.push(pt(1110.0, 1010.0, d(2024, 1, 15)));
        // Cell (2, 0): 3 before, 4 after: no clear change (p = 1).
        for k in 0..3 {
            pts.push(pt(1210.0, 1010.0, d(2024, 1, 2 + k)));
        }
        for k in 0..4 {
            pts.push(pt(1210.0, 1010.0, d(2024, 1, 12 + k)));
        }
        // Cell (0, 1): 0 before, 4 after: below the minimum of 5, untested.
        for k in 0..4 {
            pts.push(pt(1010.0, 1110.0, d(2024, 1, 12 + k)));
        }
        // Outside both periods: ignored.
        pts.push(pt(1010.0, 1010.0, d(2024, 2, 1)));
        let mut params = ChangeParams::new(before, after);
        params.cell_m = 100.0;
        let m = change_map(&pts, &params, &CancelToken::new()).unwrap();
        assert_eq!((m.x0, m.y0, m.nx, m.ny), (1000.0, 1000.0, 3, 2));
        assert_eq!((m.before_total, m.after_total), (13, 19));
        assert_eq!(m.cells.len(), 4);
        assert_eq!(m.tested, 3);
        let cell = |ix, iy| m.cells.iter().find(|c| c.ix == ix && c.iy == iy).unwrap();
        let more = cell(0, 0);
        assert_eq!(
            (more.before, more.after, more.class),
            (0, 10, ChangeClass::More)
        );
        assert_eq!(more.ratio, None);
        assert!((more.p.unwrap() - 2.0 / 1024.0).abs() < 1e-12);
        let fewer = cell(1, 0);
        assert_eq!(fewer.class, ChangeClass::Fewer);
        assert!((fewer.ratio.unwrap() - 0.1).abs() < 1e-12);
        assert!((fewer.p.unwrap() - 24.0 / 2048.0).abs() < 1e-12);
        assert_eq!(cell(2, 0).class, ChangeClass::NoClearChange);
        assert!((cell(2, 0).p.unwrap() - 1.0).abs() < 1e-9);
        let few = cell(0, 1);
        assert_eq!((few.p, few.class), (None, ChangeClass::NoClearChange));
        // BH over 3 tests: p = 0.00195, 0.0117, 1 vs 0.0167, 0.0333, 0.05.
        assert!((m.p_cutoff - 24.0 / 2048.0).abs() < 1e-12);
        assert_eq!(m.class_counts(), [1, 1, 2]);
        assert_eq!(m.cell_bounds(1, 0), ([1100.0, 1000.0], [1200.0, 1100.0]));
    }

    #[test]
    fn unequal_periods_are_weighed_by_their_days() {
        // 20 days before, 10 after; 6 before and 3 after is the same rate.
        let before = Period::new(d(2024, 3, 1), d(2024, 3, 20)).unwrap();
        let after = Period::new(d(2024, 4, 1), d(2024, 4, 10)).unwrap();
        let mut pts: Vec<_> = (0..6)
            .map(|k| pt(500.0, 500.0, d(2024, 3, 1 + k)))
            .collect();
        pts.extend((0..3).map(|k| pt(500.0, 500.0, d(2024, 4, 1 + k))));
        let mut params = ChangeParams::new(before, after);
        params.fdr = false;
        let m = change_map(&pts, &params, &CancelToken::new()).unwrap();
        assert_eq!((m.before_days, m.after_days), (20, 10));
        let c = &m.cells[0];
        assert!((c.ratio.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(c.class, ChangeClass::NoClearChange);
        assert_eq!(m.p_cutoff, 0.05);
        assert!(c.p.unwrap() > 0.9, "{c:?}");
    }

    #[test]
    fn overlapping_periods_and_bad_text_are_refused() {
        let a = Period::new(d(2024, 1, 1), d(2024, 1, 10)).unwrap();
        let b = Period::new(d(2024, 1, 10), d(2024, 1, 20)).unwrap();
        let err = change_map(&[], &ChangeParams::new(a, b), &CancelToken::new()).unwrap_err();
        assert!(matches!(err, AnalysisError::InvalidParam { .. }), "{err}");
        assert_eq!(Period::parse("2024-01-01..2024-01-31").unwrap().days(), 31);
        assert!(Period::parse("2024-01-31..2024-01-01").is_err());
        assert!(Period::parse("2024-01-01").is_err());
        assert!(Period::parse("2024-13-01..2024-12-31").is_err());
        let c = Period::new(d(2024, 2, 1), d(2024, 2, 10)).unwrap();
        let err = change_map(&[], &ChangeParams::new(a, c), &CancelToken::new()).unwrap_err();
        assert_eq!(err, AnalysisError::NoIncidents);
    }
}
