//! Strategic places for host presence: choose k places so that the most
//! incidents lie within walking distance of one of them (the maximal covering
//! location problem), with a certified upper bound on the optimum.

use serde::Serialize;

use crate::analysis::area::StudyArea;
use crate::analysis::hotspots::CountGrid;
use crate::analysis::{AnalysisError, check_positive_m};
use crate::jobs::CancelToken;
use crate::network::Network;

/// Most cells the demand grid may have.
pub const MAX_CELLS: usize = 16_000_000;

/// A place the hosts could stand at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// SWEREF 99 TM metres.
    pub xy: [f64; 2],
    /// The place's name, for user-given places.
    pub name: Option<String>,
}

/// Parameters of [`strategic_places`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacesParams {
    /// Number of places to choose, one per host (default 6).
    pub k: usize,
    /// Walking radius, metres (default 300): demand within it is covered.
    pub radius_m: f64,
    /// Side of the demand grid's cells, metres (default 100, the hotspot grid).
    pub cell_m: f64,
    /// When no candidates are given, the centres of at most this many cells
    /// with the most incidents are the candidates (default 2,000).
    pub max_candidates: usize,
    /// A study area: only grid cells whose centre lies inside it are demand
    /// or candidates, and given candidates outside it are left out. The grid
    /// then starts at the area's box's floored lower-left corner.
    #[serde(skip)]
    pub study_area: Option<StudyArea>,
    /// Places kept in the solution whatever else is chosen (existing
    /// meeting points, `places --fixed`); they count toward `k`.
    #[serde(skip)]
    pub fixed: Vec<Candidate>,
    /// Count walking distance along this network instead of straight
    /// lines (`places --network`): a demand cell is covered when its centre
    /// is within `radius_m` walking of the place, the straight walks from
    /// each to the nearest point of the network included.
    #[serde(skip)]
    pub network: Option<std::sync::Arc<Network>>,
}

impl Default for PlacesParams {
    fn default() -> Self {
        PlacesParams {
            k: 6,
            radius_m: 300.0,
            cell_m: 100.0,
            max_candidates: 2000,
            study_area: None,
            fixed: Vec::new(),
            network: None,
        }
    }
}

/// One chosen place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChosenPlace {
    /// 1-based; places are ranked by marginal gain (see [`ChosenPlace::gain`]).
    pub rank: usize,
    /// SWEREF 99 TM metres.
    pub xy: [f64; 2],
    pub name: Option<String>,
    /// Incidents within the radius of this place, whether or not other places
    /// cover them too.
    pub covered: f64,
    /// Incidents this place adds to the places ranked before it.
    pub gain: f64,
    /// Kept because it was given as fixed.
    pub fixed: bool,
}

/// The result of [`strategic_places`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Places {
    /// The chosen places, best first.
    pub places: Vec<ChosenPlace>,
    /// Incidents within the radius of at least one chosen place.
    pub covered: f64,
    /// All incidents in the demand grid.
    pub total: f64,
    /// `covered / total` (0 when total is 0).
    pub share: f64,
    /// No choice of k candidates covers more than this; `covered / upper_bound`
    /// is a guaranteed lower limit on how close to optimal the answer is.
    pub upper_bound: f64,
    pub params: PlacesParams,
    pub incidents_used: usize,
    /// Incidents left out for lying outside the study area's cells.
    pub outside_area: usize,
    /// Given candidates left out for lying outside the study area.
    pub candidates_outside: usize,
}

impl Places {
    /// `covered / upper_bound`: the answer is at least this fraction of the optimum.
    pub fn optimality_ratio(&self) -> f64 {
        if self.upper_bound > 0.0 {
            (self.covered / self.upper_bound).min(1.0)
        } else {
            1.0
        }
    }
}

/// Chooses `params.k` places maximising the incidents within `params.radius_m`
/// of one of them.
///
/// Church & ReVelle (1974), *The maximal covering location problem*, Papers of
/// the Regional Science Association 32; greedy + vertex substitution as in
/// Teitz & Bart (1968); Lagrangian bound as in Galvão & ReVelle (1996).
///
/// # Parameters
/// - `xy`: incident positions, SWEREF 99 TM metres (non-finite ones skipped).
/// - `candidates`: places to choose from; `None` = the centres of the demand
///   grid's cells that hold incidents (the `max_candidates` with most).
/// - `params`: see [`PlacesParams`].
/// - `cancel`: checked between iterations.
///
/// # Returns
/// [`Places`]: the chosen places ranked by marginal gain, total coverage and
/// an upper bound on the optimal coverage.
///
/// # Algorithm
/// Demand: incidents counted on the hotspot grid (cell `cell_m`, same rule as
/// [`crate::analysis::hotspots()`]), each cell's count at its centre; a demand
/// point is covered when its centre lies within `radius_m` (inclusive) of a
/// chosen place. Greedy: add the candidate with the largest marginal gain k
/// times. Then 1-swap local search: replace a chosen place with the candidate
/// that raises coverage most, using incremental coverage counts, until no swap
/// improves. Upper bound: the smallest of (a) f(S_t) + the sum of the k largest
/// marginal gains over candidates, for every greedy prefix S_t and the final
/// solution (valid by submodularity: OPT ≤ f(S) + Σ_{j∈OPT} gain_j(S)), and
/// (b) the Lagrangian relaxation of the coverage constraints y_d ≤ Σ_{j∋d} x_j,
/// L(λ) = Σ_d max(0, w_d − λ_d) + (sum of the k largest Σ_{d∈C(j)} λ_d),
/// minimised by subgradient steps (every L(λ) with λ ≥ 0 bounds OPT).
/// The k best places under each step's prices λ are a solution too; the best
/// three of them are also improved by the swap search, and the best result wins.
/// When that is not yet certified within 99.7 %, candidates are split into
/// groups that share no demand (clusters far apart), each group is solved and
/// bounded for every number of places up to k, and dynamic programming shares
/// the k places among the groups, once over the coverages (a solution) and
/// once over the bounds (a bound at least as tight as the LP's best fractional
/// sharing of places between clusters); see `decompose`.
///
/// # Notes
/// Cost: O(n) binning, O(nnz) greedy where nnz is the total size of the
/// candidates' coverage lists, O(k · (m + nnz_local)) per swap pass, and
/// O(iterations · nnz) for the bound.
///
/// # Examples
/// ```
/// use lagesbild::analysis::{PlacesParams, strategic_places};
/// use lagesbild::jobs::CancelToken;
/// // Two clusters 5 km apart: 20 and 10 incidents.
/// let mut xy = vec![[474_050.0, 6_211_050.0]; 20];
/// xy.extend(vec![[479_050.0, 6_211_050.0]; 10]);
/// let params = PlacesParams { k: 1, ..PlacesParams::default() };
/// let p = strategic_places(&xy, None, &params, &CancelToken::new()).unwrap();
/// assert_eq!(p.places[0].xy, [474_050.0, 6_211_050.0]);
/// assert_eq!((p.covered, p.total, p.upper_bound), (20.0, 30.0, 20.0));
/// ```
pub fn strategic_places(
    xy: &[[f64; 2]],
    candidates: Option<&[Candidate]>,
    params: &PlacesParams,
    cancel: &CancelToken,
) -> Result<Places, AnalysisError> {
    check_positive_m("radius_m", params.radius_m)?;
    check_positive_m("cell_m", params.cell_m)?;
    if params.k == 0 {
        return Err(AnalysisError::InvalidParam {
            name: "k",
            reason: "must choose at least one place".into(),
        });
    }
    if let Some(c) = candidates {
        if c.is_empty() {
            return Err(AnalysisError::InvalidParam {
                name: "candidates",
                reason: "the list of candidate places is empty".into(),
            });
        }
        if let Some((i, bad)) = c
            .iter()
            .enumerate()
            .find(|(_, c)| !(c.xy[0].is_finite() && c.xy[1].is_finite()))
        {
            return Err(AnalysisError::InvalidParam {
                name: "candidates",
                reason: format!("candidate {} has no finite position: {:?}", i + 1, bad.xy),
            });
        }
    } else if params.max_candidates == 0 {
        return Err(AnalysisError::InvalidParam {
            name: "max_candidates",
            reason: "must allow at least one candidate".into(),
        });
    }
    if params.fixed.len() > params.k {
        return Err(AnalysisError::InvalidParam {
            name: "fixed",
            reason: format!(
                "{} fixed places are more than the {} places to choose",
                params.fixed.len(),
                params.k
            ),
        });
    }
    if let Some((i, bad)) = params
        .fixed
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.xy[0].is_finite() && c.xy[1].is_finite()))
    {
        return Err(AnalysisError::InvalidParam {
            name: "fixed",
            reason: format!("fixed place {} has no finite position: {:?}", i + 1, bad.xy),
        });
    }
    if params.network.as_ref().is_some_and(|n| n.edge_count() == 0) {
        return Err(AnalysisError::InvalidParam {
            name: "network",
            reason: "the walking network has no edges".into(),
        });
    }
    let grid = CountGrid::build(xy, params.cell_m, params.study_area.as_ref(), MAX_CELLS)?;
    cancel.check()?;
    let inside: Option<Vec<Candidate>> = match (candidates, &params.study_area) {
        (Some(list), Some(area)) => {
            let kept: Vec<Candidate> = list
                .iter()
                .filter(|c| area.contains(c.xy))
                .cloned()
                .collect();
            if kept.is_empty() {
                return Err(AnalysisError::InvalidParam {
                    name: "candidates",
                    reason: format!(
                        "none of the {} candidate places lies inside the study area",
                        list.len()
                    ),
                });
            }
            Some(kept)
        }
        _ => None,
    };
    let candidates_outside = match (&inside, candidates) {
        (Some(kept), Some(list)) => list.len() - kept.len(),
        _ => 0,
    };
    let candidates = inside.as_deref().or(candidates);
    let problem = Problem::build(&grid, candidates, params, cancel)?;
    cancel.check()?;
    let k = params.k.min(problem.m());
    let fixed = problem.fixed;

    let mut state = State::new(&problem);
    for j in 0..fixed {
        state.add(j);
    }
    let mut bound = problem.total;
    // Greedy, recording the submodular bound at every prefix.
    for _ in fixed..k {
        cancel.check()?;
        bound = bound.min(state.covered + state.top_gains_sum(k));
        let Some(j) = state.best_addition() else {
            break;
        };
        state.add(j);
    }
    bound = bound.min(state.covered + state.top_gains_sum(k));
    local_search(&mut state, cancel)?;
    bound = bound.min(state.covered + state.top_gains_sum(k));
    // The Lagrangian relaxation gives the tighter bound and, as a by-product,
    // other good starting points (the k best places under its prices).
    let lagrange = lagrangian(&problem, k, state.covered, GLOBAL_EFFORT, cancel)?;
    bound = bound.min(lagrange.bound);
    // Other starting points hold no fixed places: with fixed places only
    // the bounds are used (a bound on the free problem bounds this one too).
    let starts = if fixed == 0 {
        &lagrange.solutions[..]
    } else {
        &[]
    };
    for start in starts {
        let mut other = State::new(&problem);
        for &j in start {
            other.add(j);
        }
        local_search(&mut other, cancel)?;
        bound = bound.min(other.covered + other.top_gains_sum(k));
        if other.covered > state.covered {
            state = other;
        }
    }
    // Clusters far apart are separate problems: solving them separately and
    // sharing the places by dynamic programming tightens both sides.
    if state.covered < DECOMPOSE_TARGET * bound {
        let parts = decompose(&problem, k, cancel)?;
        bound = bound.min(parts.bound);
        if fixed == 0 && parts.covered > state.covered {
            let mut other = State::new(&problem);
            for j in parts.chosen {
                other.add(j);
            }
            while other.chosen.len() < k {
                let Some(j) = other.best_addition() else {
                    break;
                };
                other.add(j);
            }
            local_search(&mut other, cancel)?;
            if other.covered > state.covered {
                state = other;
            }
        }
    }

    // Rank by marginal gain in greedy order over the chosen set.
    let chosen = state.chosen.clone();
    let mut ranked = State::new(&problem);
    let mut places = Vec::with_capacity(chosen.len());
    let mut left = chosen;
    while !left.is_empty() {
        let (pos, &j) = left
            .iter()
            .enumerate()
            .max_by(|a, b| {
                ranked.gain[*a.1]
                    .total_cmp(&ranked.gain[*b.1])
                    .then(b.1.cmp(a.1))
            })
            .unwrap_or((0, &left[0]));
        let gain = ranked.gain[j];
        ranked.add(j);
        left.swap_remove(pos);
        places.push(ChosenPlace {
            rank: places.len() + 1,
            xy: problem.candidates[j].xy,
            name: problem.candidates[j].name.clone(),
            covered: problem
                .coverage(j)
                .iter()
                .map(|&d| problem.w[d as usize])
                .sum(),
            gain,
            fixed: j < fixed,
        });
    }
    let covered = ranked.covered;
    Ok(Places {
        places,
        covered,
        total: problem.total,
        share: if problem.total > 0.0 {
            covered / problem.total
        } else {
            0.0
        },
        upper_bound: bound.max(covered),
        params: params.clone(),
        incidents_used: grid.used,
        outside_area: grid.outside,
        candidates_outside,
    })
}

/// The covering instance: demand weights and, per candidate, the demand it
/// covers (CSR), plus the inverse lists.
struct Problem {
    /// Candidates `0..fixed` are the fixed places.
    fixed: usize,
    w: Vec<f64>,
    total: f64,
    candidates: Vec<Candidate>,
    cov_start: Vec<usize>,
    cov: Vec<u32>,
    by_start: Vec<usize>,
    by: Vec<u32>,
}

impl Problem {
    fn build(
        grid: &CountGrid,
        candidates: Option<&[Candidate]>,
        params: &PlacesParams,
        cancel: &CancelToken,
    ) -> Result<Problem, AnalysisError> {
        let (nx, ny) = (grid.nx, grid.ny);
        let mut demand_of = vec![u32::MAX; nx * ny];
        let mut w = Vec::new();
        let mut cells = Vec::new();
        for (i, &c) in grid.counts.iter().enumerate() {
            if c > 0 {
                demand_of[i] = w.len() as u32;
                w.push(c as f64);
                cells.push(i);
            }
        }
        let center = |i: usize| {
            [
                grid.x0 + ((i % nx) as f64 + 0.5) * grid.cell_m,
                grid.y0 + ((i / nx) as f64 + 0.5) * grid.cell_m,
            ]
        };
        let mut all: Vec<Candidate> = params.fixed.clone();
        all.extend(match candidates {
            Some(list) => list.to_vec(),
            None => {
                let mut order: Vec<usize> = (0..cells.len()).collect();
                order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
                order.truncate(params.max_candidates);
                order
                    .into_iter()
                    .map(|d| Candidate {
                        xy: center(cells[d]),
                        name: None,
                    })
                    .collect()
            }
        });
        // With a network: each demand centre snapped once, and one bounded
        // search tree reused for every candidate.
        let candidates = all;
        let walk = params.network.as_deref().map(|net| {
            let snaps: Vec<Option<crate::network::Snap>> =
                cells.iter().map(|&i| net.snap(center(i))).collect();
            (net, snaps)
        });
        let mut tree = None;
        let r2 = params.radius_m * params.radius_m * (1.0 + 1e-9);
        let mut cov_start = Vec::with_capacity(candidates.len() + 1);
        let mut cov = Vec::new();
        cov_start.push(0);
        for (ci, c) in candidates.iter().enumerate() {
            if ci % 64 == 0 {
                cancel.check()?;
            }
            let from = match &walk {
                Some((net, _)) => match net.snap(c.xy) {
                    Some(s) if s.offset_m <= params.radius_m => {
                        let t = tree.get_or_insert_with(|| crate::network::Distances::new(net, s));
                        net.search(&s, params.radius_m - s.offset_m, &[], t);
                        Some(s)
                    }
                    // Farther from the network than the radius: covers nothing.
                    _ => {
                        cov_start.push(cov.len());
                        continue;
                    }
                },
                None => None,
            };
            let lo_x = ((c.xy[0] - params.radius_m - grid.x0) / grid.cell_m - 0.5).ceil();
            let hi_x = ((c.xy[0] + params.radius_m - grid.x0) / grid.cell_m - 0.5).floor();
            let lo_y = ((c.xy[1] - params.radius_m - grid.y0) / grid.cell_m - 0.5).ceil();
            let hi_y = ((c.xy[1] + params.radius_m - grid.y0) / grid.cell_m - 0.5).floor();
            // One cell of slack on each side for rounding; the distance test decides.
            let lo_x = (lo_x - 1.0).max(0.0) as usize;
            let lo_y = (lo_y - 1.0).max(0.0) as usize;
            let hi_x = (hi_x + 1.0).min(nx as f64 - 1.0);
            let hi_y = (hi_y + 1.0).min(ny as f64 - 1.0);
            if hi_x >= 0.0 && hi_y >= 0.0 {
                for iy in lo_y..=hi_y as usize {
                    for ix in lo_x..=hi_x as usize {
                        let d = demand_of[iy * nx + ix];
                        if d == u32::MAX {
                            continue;
                        }
                        let p = center(iy * nx + ix);
                        let (dx, dy) = (p[0] - c.xy[0], p[1] - c.xy[1]);
                        if dx * dx + dy * dy > r2 {
                            continue;
                        }
                        // Walking is never shorter than the straight line.
                        let covered = match (&walk, &from, &tree) {
                            (Some((net, snaps)), Some(_), Some(t)) => snaps[d as usize]
                                .is_some_and(|s| {
                                    net.distance_to(t, &s) <= params.radius_m * (1.0 + 1e-9)
                                }),
                            _ => true,
                        };
                        if covered {
                            cov.push(d);
                        }
                    }
                }
            }
            cov_start.push(cov.len());
        }
        let mut p = Problem::from_lists(w, candidates, cov_start, cov);
        p.fixed = params.fixed.len();
        Ok(p)
    }

    /// The instance from demand weights and each candidate's coverage list
    /// (CSR); builds the inverse lists.
    fn from_lists(
        w: Vec<f64>,
        candidates: Vec<Candidate>,
        cov_start: Vec<usize>,
        cov: Vec<u32>,
    ) -> Problem {
        // Inverse lists: which candidates cover each demand point.
        let mut by_count = vec![0usize; w.len() + 1];
        for &d in &cov {
            by_count[d as usize + 1] += 1;
        }
        for i in 0..w.len() {
            by_count[i + 1] += by_count[i];
        }
        let by_start = by_count.clone();
        let mut fill = by_count;
        let mut by = vec![0u32; cov.len()];
        for j in 0..candidates.len() {
            for &d in &cov[cov_start[j]..cov_start[j + 1]] {
                by[fill[d as usize]] = j as u32;
                fill[d as usize] += 1;
            }
        }
        let total = w.iter().sum();
        Problem {
            fixed: 0,
            w,
            total,
            candidates,
            cov_start,
            cov,
            by_start,
            by,
        }
    }

    /// Groups of candidates that share no demand with other groups (connected
    /// components of "covers a common demand point"), each listed ascending.
    fn components(&self) -> Vec<Vec<usize>> {
        let m = self.m();
        let mut parent: Vec<usize> = (0..m).collect();
        fn root(parent: &mut [usize], mut a: usize) -> usize {
            while parent[a] != a {
                parent[a] = parent[parent[a]];
                a = parent[a];
            }
            a
        }
        for d in 0..self.w.len() {
            let list = self.covering(d);
            if let Some((&first, rest)) = list.split_first() {
                for &c in rest {
                    let (a, b) = (
                        root(&mut parent, first as usize),
                        root(&mut parent, c as usize),
                    );
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        let mut slot = vec![usize::MAX; m];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for j in 0..m {
            let r = root(&mut parent, j);
            if slot[r] == usize::MAX {
                slot[r] = groups.len();
                groups.push(Vec::new());
            }
            groups[slot[r]].push(j);
        }
        groups
    }

    /// The instance restricted to `cands` and the demand they cover, with
    /// local indices (candidate `i` of the result is `cands[i]`).
    fn restricted(&self, cands: &[usize], local_of: &mut [u32]) -> Problem {
        let mut w = Vec::new();
        let mut touched = Vec::new();
        let mut cov_start = Vec::with_capacity(cands.len() + 1);
        let mut cov = Vec::new();
        cov_start.push(0);
        for &j in cands {
            for &d in self.coverage(j) {
                let d = d as usize;
                if local_of[d] == u32::MAX {
                    local_of[d] = w.len() as u32;
                    w.push(self.w[d]);
                    touched.push(d);
                }
                cov.push(local_of[d]);
            }
            cov_start.push(cov.len());
        }
        for d in touched {
            local_of[d] = u32::MAX;
        }
        let candidates = cands.iter().map(|&j| self.candidates[j].clone()).collect();
        Problem::from_lists(w, candidates, cov_start, cov)
    }

    fn m(&self) -> usize {
        self.candidates.len()
    }

    fn coverage(&self, j: usize) -> &[u32] {
        &self.cov[self.cov_start[j]..self.cov_start[j + 1]]
    }

    fn covering(&self, d: usize) -> &[u32] {
        &self.by[self.by_start[d]..self.by_start[d + 1]]
    }
}

/// A current solution with incremental coverage counts and marginal gains.
struct State<'a> {
    p: &'a Problem,
    chosen: Vec<usize>,
    is_chosen: Vec<bool>,
    /// How many chosen places cover each demand point.
    count: Vec<u32>,
    /// Marginal gain of adding each candidate.
    gain: Vec<f64>,
    covered: f64,
}

impl<'a> State<'a> {
    fn new(p: &'a Problem) -> State<'a> {
        let gain = (0..p.m())
            .map(|j| p.coverage(j).iter().map(|&d| p.w[d as usize]).sum())
            .collect();
        State {
            p,
            chosen: Vec::new(),
            is_chosen: vec![false; p.m()],
            count: vec![0; p.w.len()],
            gain,
            covered: 0.0,
        }
    }

    fn add(&mut self, j: usize) {
        let p = self.p;
        for &d in p.coverage(j) {
            let d = d as usize;
            if self.count[d] == 0 {
                self.covered += p.w[d];
                for &c in p.covering(d) {
                    self.gain[c as usize] -= p.w[d];
                }
            }
            self.count[d] += 1;
        }
        self.chosen.push(j);
        self.is_chosen[j] = true;
    }

    fn remove(&mut self, j: usize) {
        let p = self.p;
        for &d in p.coverage(j) {
            let d = d as usize;
            self.count[d] -= 1;
            if self.count[d] == 0 {
                self.covered -= p.w[d];
                for &c in p.covering(d) {
                    self.gain[c as usize] += p.w[d];
                }
            }
        }
        self.chosen.retain(|&c| c != j);
        self.is_chosen[j] = false;
    }

    /// The unchosen candidate with the largest positive gain (lowest index on ties).
    fn best_addition(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for j in 0..self.p.m() {
            if self.is_chosen[j] {
                continue;
            }
            if best.is_none_or(|b| self.gain[j] > self.gain[b]) {
                best = Some(j);
            }
        }
        best
    }

    /// Sum of the k largest marginal gains over unchosen candidates.
    fn top_gains_sum(&self, k: usize) -> f64 {
        let mut g: Vec<f64> = (0..self.p.m())
            .filter(|&j| !self.is_chosen[j])
            .map(|j| self.gain[j].max(0.0))
            .collect();
        if g.len() > k {
            g.select_nth_unstable_by(k, |a, b| b.total_cmp(a));
            g.truncate(k);
        }
        g.iter().sum()
    }

    /// The swap (chosen out, unchosen in) that raises coverage most, if any does.
    fn best_swap(&self) -> Option<(usize, usize)> {
        let p = self.p;
        let mut best: Option<(f64, usize, usize)> = None;
        let mut extra = vec![0.0f64; p.m()];
        let mut touched: Vec<usize> = Vec::new();
        for &out in &self.chosen {
            if out < p.fixed {
                continue;
            }
            // Demand only `out` covers: lost when it goes, regained by
            // candidates that cover it too.
            let mut loss = 0.0;
            for &d in p.coverage(out) {
                let d = d as usize;
                if self.count[d] == 1 {
                    loss += p.w[d];
                    for &c in p.covering(d) {
                        let c = c as usize;
                        if extra[c] == 0.0 {
                            touched.push(c);
                        }
                        extra[c] += p.w[d];
                    }
                }
            }
            for (j, (g, e)) in self.gain.iter().zip(&extra).enumerate() {
                if self.is_chosen[j] {
                    continue;
                }
                let delta = g + e - loss;
                if delta > 1e-9 * p.total.max(1.0) && best.is_none_or(|(b, _, _)| delta > b) {
                    best = Some((delta, out, j));
                }
            }
            for c in touched.drain(..) {
                extra[c] = 0.0;
            }
        }
        best.map(|(_, out, into)| (out, into))
    }
}

/// Improves `state` by the best 1-swap until no swap raises coverage.
fn local_search(state: &mut State, cancel: &CancelToken) -> Result<(), AnalysisError> {
    loop {
        cancel.check()?;
        let Some((out, into)) = state.best_swap() else {
            return Ok(());
        };
        state.remove(out);
        state.add(into);
    }
}

/// What [`lagrangian`] found.
struct Lagrange {
    /// Upper bound on the optimal coverage.
    bound: f64,
    /// The best few distinct k-sets met on the way (best first), as starting
    /// points for local search.
    solutions: Vec<Vec<usize>>,
}

/// How long [`lagrangian`] searches.
#[derive(Debug, Clone, Copy)]
struct Effort {
    /// Most subgradient steps.
    iterations: usize,
    /// Steps without a better bound before the step size is halved.
    patience: usize,
    /// Stop once the bound is within this much of the best known coverage.
    enough: f64,
    /// Stop once the step size has been halved below this.
    min_theta: f64,
}

/// For the whole instance.
const GLOBAL_EFFORT: Effort = Effort {
    iterations: 300,
    patience: 10,
    enough: 0.0,
    min_theta: 1e-6,
};

/// For one group of [`decompose`]: small, so it can afford more.
const GROUP_EFFORT: Effort = Effort {
    iterations: 2000,
    patience: 40,
    enough: 0.0,
    min_theta: 1e-3,
};

/// How many Lagrangian solutions are kept for local search.
const LAGRANGE_STARTS: usize = 3;

/// Upper bound on the optimal coverage with k places from the Lagrangian
/// relaxation of the coverage constraints, minimised by subgradient steps
/// (Held–Wolfe–Crowder with Polyak step sizes toward the best known coverage);
/// each step's k best places are evaluated as a solution too.
fn lagrangian(
    p: &Problem,
    k: usize,
    best_known: f64,
    effort: Effort,
    cancel: &CancelToken,
) -> Result<Lagrange, AnalysisError> {
    let nd = p.w.len();
    let m = p.m();
    if nd == 0 || m == 0 {
        return Ok(Lagrange {
            bound: 0.0,
            solutions: Vec::new(),
        });
    }
    let mut best_known = best_known;
    let mut solutions: Vec<(f64, Vec<usize>)> = Vec::new();
    let mut stamp = vec![u32::MAX; nd];
    let mut lambda: Vec<f64> = p.w.clone();
    let mut best = f64::INFINITY;
    let mut theta = 1.0;
    let mut since_improved = 0;
    let mut value = vec![0.0f64; m];
    let mut order: Vec<usize> = (0..m).collect();
    let mut hits = vec![0u32; nd];
    for it in 0..effort.iterations {
        if it % 16 == 0 {
            cancel.check()?;
        }
        for (j, v) in value.iter_mut().enumerate() {
            *v = p.coverage(j).iter().map(|&d| lambda[d as usize]).sum();
        }
        let kk = k.min(m);
        if kk < m {
            order.select_nth_unstable_by(kk - 1, |&a, &b| value[b].total_cmp(&value[a]));
        }
        let top = &order[..kk];
        // The k best places under these prices, as a solution.
        let covered: f64 = {
            let mut f = 0.0;
            for &j in top {
                for &d in p.coverage(j) {
                    if stamp[d as usize] != it as u32 {
                        stamp[d as usize] = it as u32;
                        f += p.w[d as usize];
                    }
                }
            }
            f
        };
        best_known = best_known.max(covered);
        let mut set = top.to_vec();
        set.sort_unstable();
        if !solutions.iter().any(|(_, s)| *s == set) {
            solutions.push((covered, set));
            solutions.sort_by(|a, b| b.0.total_cmp(&a.0));
            solutions.truncate(LAGRANGE_STARTS);
        }
        let mut l: f64 = top.iter().map(|&j| value[j]).sum();
        l +=
            p.w.iter()
                .zip(&lambda)
                .map(|(w, lam)| (w - lam).max(0.0))
                .sum::<f64>();
        if l < best - 1e-12 {
            best = l;
            since_improved = 0;
        } else {
            since_improved += 1;
            if since_improved >= effort.patience {
                theta /= 2.0;
                since_improved = 0;
            }
        }
        if best - best_known <= (1e-9 * best.max(1.0)).max(effort.enough)
            || theta < effort.min_theta
        {
            break;
        }
        // Subgradient of L at λ: −1[λ_d < w_d] + #{chosen j covering d}.
        hits.iter_mut().for_each(|h| *h = 0);
        for &j in top {
            for &d in p.coverage(j) {
                hits[d as usize] += 1;
            }
        }
        let mut norm2 = 0.0;
        for d in 0..nd {
            let g = hits[d] as f64 - if lambda[d] < p.w[d] { 1.0 } else { 0.0 };
            norm2 += g * g;
        }
        if norm2 == 0.0 {
            break;
        }
        let step = theta * (l - best_known).max(0.0) / norm2;
        for d in 0..nd {
            let g = hits[d] as f64 - if lambda[d] < p.w[d] { 1.0 } else { 0.0 };
            lambda[d] = (lambda[d] - step * g).clamp(0.0, p.w[d]);
        }
    }
    Ok(Lagrange {
        bound: best,
        solutions: solutions.into_iter().map(|(_, s)| s).collect(),
    })
}

/// The decomposition stops refining its bounds once the solution is certified
/// within this fraction of the bound.
const DECOMPOSE_TARGET: f64 = 0.997;

/// What [`decompose`] found.
struct Decomposed {
    /// Coverage of `chosen`.
    covered: f64,
    /// At most k candidates (global indices).
    chosen: Vec<usize>,
    /// Upper bound on the optimal coverage with k places.
    bound: f64,
}

/// One group of candidates that shares no demand with the others: the best
/// coverage found and an upper bound for every number of places in it.
struct Curve {
    sub: Problem,
    /// Global index of each local candidate.
    map: Vec<usize>,
    /// `lower[i]`: coverage of `sets[i]`, `i` places (local indices).
    lower: Vec<f64>,
    sets: Vec<Vec<usize>>,
    /// `upper[i]`: no `i` places in the group cover more.
    upper: Vec<f64>,
    /// Whether the Lagrangian bound has been computed for `i` places.
    refined: Vec<bool>,
}

/// Splits the instance into groups of candidates that share no demand
/// (clusters far apart), solves each group for every number of places up to k
/// (greedy growth with swap search, later also from the Lagrangian's
/// solutions) with a bound for each, and shares the k places among the groups
/// by dynamic programming: once over the coverages (the solution), once over
/// the bounds (valid since the optimum puts some number of places in each
/// group and covers at most that group's bound there). This removes the
/// fractional sharing of places between clusters that weakens the global LP
/// bound. Lagrangian bounds are computed lazily, only for the group sizes the
/// bound's best sharing uses, until the solution is within
/// [`DECOMPOSE_TARGET`] of the bound or nothing is left to refine.
fn decompose(p: &Problem, k: usize, cancel: &CancelToken) -> Result<Decomposed, AnalysisError> {
    let mut local_of = vec![u32::MAX; p.w.len()];
    let mut curves = Vec::new();
    for cands in p.components() {
        cancel.check()?;
        let sub = p.restricted(&cands, &mut local_of);
        let kc = k.min(sub.m());
        let mut lower = vec![0.0; kc + 1];
        let mut sets = vec![Vec::new(); kc + 1];
        let mut upper = vec![sub.total; kc + 1];
        upper[0] = 0.0;
        let mut refined = vec![false; kc + 1];
        refined[0] = true;
        {
            let mut state = State::new(&sub);
            for i in 1..=kc {
                // Valid for any set S: OPT_i ≤ f(S) + the i largest gains at S.
                let before = state.covered + state.top_gains_sum(i);
                let Some(j) = state.best_addition() else {
                    break;
                };
                state.add(j);
                local_search(&mut state, cancel)?;
                lower[i] = state.covered;
                sets[i] = state.chosen.clone();
                upper[i] = upper[i]
                    .min(before)
                    .min(state.covered + state.top_gains_sum(i));
                if lower[i] >= sub.total {
                    // Everything in the group is covered: more places add nothing.
                    for rest in i..=kc {
                        lower[rest] = lower[i];
                        sets[rest] = sets[i].clone();
                        upper[rest] = sub.total;
                        refined[rest] = true;
                    }
                    break;
                }
            }
        }
        curves.push(Curve {
            sub,
            map: cands,
            lower,
            sets,
            upper,
            refined,
        });
    }
    loop {
        cancel.check()?;
        let (lb, _) = share_places(&curves, k, |c, i| c.lower[i]);
        let (ub, alloc) = share_places(&curves, k, |c, i| c.upper[i]);
        if lb >= DECOMPOSE_TARGET * ub {
            break;
        }
        // Each group's share of the slack the target leaves: a closer bound
        // there would not change the certificate much.
        let groups_used = alloc.iter().filter(|&&i| i > 0).count().max(1);
        let effort = Effort {
            enough: (1.0 - DECOMPOSE_TARGET) * ub / (4 * groups_used) as f64,
            ..GROUP_EFFORT
        };
        let mut refined_any = false;
        for (curve, &i) in curves.iter_mut().zip(&alloc) {
            if i == 0 || curve.refined[i] {
                continue;
            }
            refined_any = true;
            curve.refined[i] = true;
            let lagrange = lagrangian(&curve.sub, i, curve.lower[i], effort, cancel)?;
            curve.upper[i] = curve.upper[i].min(lagrange.bound);
            for start in &lagrange.solutions {
                let mut other = State::new(&curve.sub);
                for &j in start {
                    other.add(j);
                }
                local_search(&mut other, cancel)?;
                if other.covered > curve.lower[i] {
                    curve.lower[i] = other.covered;
                    curve.sets[i] = other.chosen.clone();
                }
            }
        }
        if !refined_any {
            break;
        }
    }
    let (covered, alloc) = share_places(&curves, k, |c, i| c.lower[i]);
    let (bound, _) = share_places(&curves, k, |c, i| c.upper[i]);
    let chosen = curves
        .iter()
        .zip(&alloc)
        .flat_map(|(c, &i)| c.sets[i].iter().map(|&j| c.map[j]))
        .collect();
    Ok(Decomposed {
        covered,
        chosen,
        bound,
    })
}

/// The best sharing of at most `k` places among the curves by `value(curve,
/// places)`: the total and the number of places per curve.
fn share_places(
    curves: &[Curve],
    k: usize,
    value: impl Fn(&Curve, usize) -> f64,
) -> (f64, Vec<usize>) {
    // best[s]: the best total with at most s places in the curves so far.
    let mut best = vec![0.0f64; k + 1];
    let mut choice = vec![vec![0usize; k + 1]; curves.len()];
    for (ci, curve) in curves.iter().enumerate() {
        let kc = curve.lower.len() - 1;
        let mut next = best.clone();
        for s in 0..=k {
            for i in 1..=kc.min(s) {
                let v = best[s - i] + value(curve, i);
                if v > next[s] {
                    next[s] = v;
                    choice[ci][s] = i;
                }
            }
        }
        best = next;
    }
    let mut alloc = vec![0usize; curves.len()];
    let mut s = k;
    for ci in (0..curves.len()).rev() {
        alloc[ci] = choice[ci][s];
        s -= alloc[ci];
    }
    (best[k], alloc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn run(xy: &[[f64; 2]], params: &PlacesParams) -> Places {
        strategic_places(xy, None, params, &CancelToken::new()).unwrap()
    }

    #[test]
    fn a_study_area_limits_demand_and_candidates() {
        // The concave area with a hole; 50 incidents in its notch (outside),
        // 20 in its upper arm (inside).
        let area = crate::analysis::area::tests::c_with_hole(474_015.0, 6_211_015.0);
        let mut xy = vec![[475_600.0, 6_212_050.0]; 50];
        xy.extend(vec![[474_400.0, 6_212_700.0]; 20]);
        let params = PlacesParams {
            k: 1,
            study_area: Some(area.clone()),
            ..PlacesParams::default()
        };
        let p = run(&xy, &params);
        assert_eq!((p.total, p.covered, p.outside_area), (20.0, 20.0, 50));
        assert!(area.contains(p.places[0].xy), "{:?}", p.places[0].xy);
        // Without the area the notch wins.
        let plain = run(
            &xy,
            &PlacesParams {
                study_area: None,
                ..params.clone()
            },
        );
        assert_eq!(plain.covered, 50.0);
        // A given candidate outside is left out and counted.
        let candidates = [
            Candidate {
                xy: [475_600.0, 6_212_050.0],
                name: Some("notch".into()),
            },
            Candidate {
                xy: [474_400.0, 6_212_650.0],
                name: Some("arm".into()),
            },
        ];
        let p = strategic_places(&xy, Some(&candidates), &params, &CancelToken::new()).unwrap();
        assert_eq!(p.candidates_outside, 1);
        assert_eq!(p.places[0].name.as_deref(), Some("arm"));
        let outside = &candidates[..1];
        assert!(matches!(
            strategic_places(&xy, Some(outside), &params, &CancelToken::new()),
            Err(AnalysisError::InvalidParam {
                name: "candidates",
                ..
            })
        ));
    }

    /// Points at cell centres along a row (cell 100 m): `(x, count)`.
    fn row(cells: &[(f64, usize)]) -> Vec<[f64; 2]> {
        cells
            .iter()
            .flat_map(|&(x, n)| std::iter::repeat_n([x, 50.0], n))
            .collect()
    }

    /// Best coverage over all k-subsets of the candidates, by brute force.
    fn brute_force(p: &Problem, k: usize) -> f64 {
        fn rec(p: &Problem, k: usize, start: usize, chosen: &mut Vec<usize>, best: &mut f64) {
            if chosen.len() == k || start == p.m() {
                let mut covered = vec![false; p.w.len()];
                for &j in chosen.iter() {
                    for &d in p.coverage(j) {
                        covered[d as usize] = true;
                    }
                }
                let f: f64 = covered
                    .iter()
                    .zip(&p.w)
                    .filter(|(c, _)| **c)
                    .map(|(_, w)| w)
                    .sum();
                *best = best.max(f);
                return;
            }
            for j in start..p.m() {
                chosen.push(j);
                rec(p, k, j + 1, chosen, best);
                chosen.pop();
            }
        }
        let mut best = 0.0;
        rec(p, k.min(p.m()), 0, &mut Vec::new(), &mut best);
        best
    }

    #[test]
    fn no_incidents_and_bad_parameters() {
        let cancel = CancelToken::new();
        let params = PlacesParams::default();
        assert_eq!(
            strategic_places(&[], None, &params, &cancel),
            Err(AnalysisError::NoIncidents)
        );
        let bad = PlacesParams {
            k: 0,
            ..params.clone()
        };
        assert!(matches!(
            strategic_places(&[[0.0, 0.0]], None, &bad, &cancel),
            Err(AnalysisError::InvalidParam { name: "k", .. })
        ));
        let bad = PlacesParams {
            radius_m: -1.0,
            ..params.clone()
        };
        assert!(matches!(
            strategic_places(&[[0.0, 0.0]], None, &bad, &cancel),
            Err(AnalysisError::InvalidParam {
                name: "radius_m",
                ..
            })
        ));
        assert!(matches!(
            strategic_places(&[[0.0, 0.0]], Some(&[]), &params, &cancel),
            Err(AnalysisError::InvalidParam {
                name: "candidates",
                ..
            })
        ));
        let nan = [Candidate {
            xy: [f64::NAN, 0.0],
            name: None,
        }];
        assert!(matches!(
            strategic_places(&[[0.0, 0.0]], Some(&nan), &params, &cancel),
            Err(AnalysisError::InvalidParam {
                name: "candidates",
                ..
            })
        ));
        cancel.cancel();
        assert_eq!(
            strategic_places(&[[0.0, 0.0]], None, &params, &cancel),
            Err(AnalysisError::Cancelled)
        );
    }

    #[test]
    fn one_incident() {
        let p = run(&[[474_020.0, 6_211_070.0]], &PlacesParams::default());
        assert_eq!(p.places.len(), 1);
        assert_eq!(p.places[0].xy, [474_050.0, 6_211_050.0]);
        assert_eq!(
            (p.covered, p.total, p.share, p.upper_bound),
            (1.0, 1.0, 1.0, 1.0)
        );
        assert_eq!(
            (p.places[0].rank, p.places[0].gain, p.places[0].covered),
            (1, 1.0, 1.0)
        );
        assert_eq!(p.incidents_used, 1);
    }

    #[test]
    fn local_search_beats_greedy_on_a_known_case() {
        // Cells (centre x, count): -250:5, 50:6, 350:1, 650:6, 950:5; radius
        // 300 covers the neighbouring cells. Candidate 350 covers 6+1+6 = 13,
        // the most, so greedy takes it and then one end (+5): 18. The optimum
        // is {50, 650}: 5+6+1 + 6+5 = 23, everything.
        let xy = row(&[(-250.0, 5), (50.0, 6), (350.0, 1), (650.0, 6), (950.0, 5)]);
        let params = PlacesParams {
            k: 2,
            ..PlacesParams::default()
        };
        let p = run(&xy, &params);
        assert_eq!((p.covered, p.total, p.upper_bound), (23.0, 23.0, 23.0));
        let mut xs: Vec<f64> = p.places.iter().map(|c| c.xy[0]).collect();
        xs.sort_by(f64::total_cmp);
        assert_eq!(xs, [50.0, 650.0]);
        // Ranked by marginal gain: 50 covers 12, 650 covers 11 (plus 350 already).
        assert_eq!(p.places[0].xy[0], 50.0);
        assert_eq!((p.places[0].covered, p.places[0].gain), (12.0, 12.0));
        assert_eq!((p.places[1].covered, p.places[1].gain), (12.0, 11.0));
        // The greedy prefix alone would have stopped at 18.
        let grid = CountGrid::build(&xy, 100.0, None, MAX_CELLS).unwrap();
        let prob = Problem::build(&grid, None, &params, &CancelToken::new()).unwrap();
        let mut s = State::new(&prob);
        for _ in 0..2 {
            let j = s.best_addition().unwrap();
            s.add(j);
        }
        assert_eq!(s.covered, 18.0);
    }

    #[test]
    fn radius_is_inclusive() {
        // 300 m between the two centres: one place covers both.
        let xy = row(&[(50.0, 2), (350.0, 1)]);
        let p = run(
            &xy,
            &PlacesParams {
                k: 1,
                ..PlacesParams::default()
            },
        );
        assert_eq!(p.covered, 3.0);
        let p = run(
            &xy,
            &PlacesParams {
                k: 1,
                radius_m: 299.0,
                ..PlacesParams::default()
            },
        );
        assert_eq!(p.covered, 2.0);
    }

    #[test]
    fn fixed_places_stay_in_the_solution() {
        // 20 incidents at x 50, 10 at x 2050: one place alone takes the 20.
        let xy = row(&[(50.0, 20), (2050.0, 10)]);
        let fixed = vec![Candidate {
            xy: [2050.0, 50.0],
            name: Some("Mötesplatsen".into()),
        }];
        let params = PlacesParams {
            k: 1,
            fixed: fixed.clone(),
            ..PlacesParams::default()
        };
        let p = strategic_places(&xy, None, &params, &CancelToken::new()).unwrap();
        assert_eq!(p.places.len(), 1);
        assert!(p.places[0].fixed);
        assert_eq!(p.places[0].name.as_deref(), Some("Mötesplatsen"));
        assert_eq!(p.covered, 10.0);
        // With two places, the fixed one plus the best other.
        let params = PlacesParams {
            k: 2,
            fixed,
            ..PlacesParams::default()
        };
        let p = strategic_places(&xy, None, &params, &CancelToken::new()).unwrap();
        assert_eq!(p.covered, 30.0);
        assert_eq!(p.places.iter().filter(|c| c.fixed).count(), 1);
        assert!(p.upper_bound >= p.covered);
        // More fixed places than places to choose is an error.
        let params = PlacesParams {
            k: 1,
            fixed: vec![
                Candidate {
                    xy: [0.0, 0.0],
                    name: None,
                },
                Candidate {
                    xy: [1.0, 0.0],
                    name: None,
                },
            ],
            ..PlacesParams::default()
        };
        assert!(strategic_places(&xy, None, &params, &CancelToken::new()).is_err());
    }

    #[test]
    fn walking_distance_on_a_network_can_leave_a_near_cell_uncovered() {
        // Incidents in the cell centred (50, 250), 200 m north of the place
        // at (50, 50), across a river: the only walk goes 300 m east, 200 m
        // north and 300 m west (800 m), beyond the 300 m radius.
        let xy = vec![[50.0, 250.0]; 5];
        let cands = [Candidate {
            xy: [50.0, 50.0],
            name: None,
        }];
        let around = Network::from_lines(&[vec![
            [50.0, 50.0],
            [350.0, 50.0],
            [350.0, 250.0],
            [50.0, 250.0],
        ]]);
        let straight = PlacesParams {
            k: 1,
            ..PlacesParams::default()
        };
        let p = strategic_places(&xy, Some(&cands), &straight, &CancelToken::new()).unwrap();
        assert_eq!(p.covered, 5.0);
        let walking = PlacesParams {
            k: 1,
            network: Some(std::sync::Arc::new(around)),
            ..PlacesParams::default()
        };
        let p = strategic_places(&xy, Some(&cands), &walking, &CancelToken::new()).unwrap();
        assert_eq!(p.covered, 0.0);
        // A bridge straight across: covered again.
        let bridge = Network::from_lines(&[
            vec![[50.0, 50.0], [350.0, 50.0], [350.0, 250.0], [50.0, 250.0]],
            vec![[50.0, 50.0], [50.0, 250.0]],
        ]);
        let walking = PlacesParams {
            k: 1,
            network: Some(std::sync::Arc::new(bridge)),
            ..PlacesParams::default()
        };
        let p = strategic_places(&xy, Some(&cands), &walking, &CancelToken::new()).unwrap();
        assert_eq!(p.covered, 5.0);
    }

    #[test]
    fn user_candidates_keep_their_names() {
        let xy = row(&[(50.0, 4), (2050.0, 7)]);
        let cands = [
            Candidate {
                xy: [0.0, 0.0],
                name: Some("Torget".into()),
            },
            Candidate {
                xy: [2000.0, 100.0],
                name: Some("Stationen".into()),
            },
            Candidate {
                xy: [9000.0, 0.0],
                name: Some("Hamnen".into()),
            },
        ];
        let params = PlacesParams {
            k: 5,
            ..PlacesParams::default()
        };
        let p = strategic_places(&xy, Some(&cands), &params, &CancelToken::new()).unwrap();
        assert_eq!(p.places.len(), 3);
        assert_eq!(p.places[0].name.as_deref(), Some("Stationen"));
        assert_eq!(p.places[1].name.as_deref(), Some("Torget"));
        assert_eq!((p.places[2].gain, p.places[2].covered), (0.0, 0.0));
        assert_eq!((p.covered, p.share), (11.0, 1.0));
    }

    #[test]
    fn max_candidates_keeps_the_busiest_cells() {
        let xy = row(&[(50.0, 1), (1050.0, 3), (2050.0, 2)]);
        let params = PlacesParams {
            k: 3,
            max_candidates: 2,
            ..PlacesParams::default()
        };
        let p = run(&xy, &params);
        assert_eq!(p.places.len(), 2);
        assert_eq!(p.covered, 5.0);
        assert_eq!(p.places[0].xy[0], 1050.0);
    }

    /// 2–5 square clusters with centres in `0..size`, each of up to
    /// `max_per` points (at least 5) spread up to 50..`max_spread` metres.
    fn random_clusters(
        rng: &mut ChaCha8Rng,
        size: [f64; 2],
        max_spread: f64,
        max_per: i32,
    ) -> Vec<[f64; 2]> {
        let mut xy = Vec::new();
        for _ in 0..rng.random_range(2..6) {
            let c = [
                rng.random_range(0.0..size[0]),
                rng.random_range(0.0..size[1]),
            ];
            let spread = rng.random_range(50.0..max_spread);
            for _ in 0..rng.random_range(5..max_per) {
                xy.push([
                    c[0] + rng.random_range(-spread..spread),
                    c[1] + rng.random_range(-spread..spread),
                ]);
            }
        }
        xy
    }

    #[test]
    fn near_optimal_and_bound_valid_on_small_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for trial in 0..30 {
            let xy = random_clusters(&mut rng, [2000.0, 2000.0], 400.0, 60);
            let k = rng.random_range(1..5);
            let params = PlacesParams {
                k,
                radius_m: rng.random_range(150.0..400.0),
                max_candidates: 18,
                ..PlacesParams::default()
            };
            let p = run(&xy, &params);
            let grid = CountGrid::build(&xy, params.cell_m, None, MAX_CELLS).unwrap();
            let opt = brute_force(
                &Problem::build(&grid, None, &params, &CancelToken::new()).unwrap(),
                k,
            );
            assert!(p.covered <= opt + 1e-9, "trial {trial}");
            assert!(
                p.covered >= 0.995 * opt,
                "trial {trial}: {} vs {opt}",
                p.covered
            );
            assert!(
                p.upper_bound >= opt - 1e-9,
                "trial {trial}: bound {} < {opt}",
                p.upper_bound
            );
            assert_eq!(p.total, xy.len() as f64);
            let gains: f64 = p.places.iter().map(|c| c.gain).sum();
            assert!((gains - p.covered).abs() < 1e-9);
            assert!(p.places.windows(2).all(|w| w[0].gain >= w[1].gain));
        }
    }

    use crate::analysis::synthetic::clustered_xy as synthetic;

    /// Checks covered / upper bound ≥ 0.995 for each k.
    fn assert_certified(xy: &[[f64; 2]], ks: impl IntoIterator<Item = usize>) {
        for k in ks {
            let params = PlacesParams {
                k,
                ..PlacesParams::default()
            };
            let p = run(xy, &params);
            assert!(
                p.optimality_ratio() >= 0.995,
                "k = {k}: covered {} of bound {} ({:.4})",
                p.covered,
                p.upper_bound,
                p.optimality_ratio()
            );
            assert_eq!(p.places.len(), k);
        }
    }

    #[test]
    fn certified_on_clustered_data() {
        // Debug-speed sample; the full k = 1..=30 run at 100,000 is the
        // ignored test below and the benchmark's report.
        assert_certified(&synthetic(10_000, 2026), [1, 6, 12]);
    }

    /// Run with `cargo test --release -- --ignored certified_up_to_30`.
    #[test]
    #[ignore = "about 10 s in release"]
    fn certified_up_to_30_on_benchmark_data() {
        assert_certified(&synthetic(100_000, 2026), 1..=30);
    }

    #[test]
    fn decomposition_is_valid_against_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let mut decomposed_groups = 0;
        for trial in 0..40 {
            // Clusters far apart (separate groups) and some close (shared demand).
            let xy = random_clusters(&mut rng, [5000.0, 1500.0], 500.0, 80);
            let k = rng.random_range(1..5);
            let params = PlacesParams {
                k,
                radius_m: rng.random_range(150.0..400.0),
                max_candidates: 16,
                ..PlacesParams::default()
            };
            let grid = CountGrid::build(&xy, params.cell_m, None, MAX_CELLS).unwrap();
            let prob = Problem::build(&grid, None, &params, &CancelToken::new()).unwrap();
            decomposed_groups += prob.components().len();
            let opt = brute_force(&prob, k);
            let d = decompose(&prob, k, &CancelToken::new()).unwrap();
            assert!(d.chosen.len() <= k, "trial {trial}");
            let mut s = State::new(&prob);
            for &j in &d.chosen {
                s.add(j);
            }
            assert!((s.covered - d.covered).abs() < 1e-9, "trial {trial}");
            assert!(d.covered <= opt + 1e-9, "trial {trial}");
            assert!(d.bound >= opt - 1e-9, "trial {trial}: {} < {opt}", d.bound);
            assert!(
                d.covered >= 0.99 * opt,
                "trial {trial}: {} vs {opt}",
                d.covered
            );
        }
        assert!(decomposed_groups > 80, "{decomposed_groups}");
    }
}
