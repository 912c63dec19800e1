//! Strategic places for host presence: choose k places so that the most
//! incidents lie within walking distance of one of them (the maximal covering
//! location problem), with a certified upper bound on the optimum.

use serde::Serialize;

use crate::analysis::hotspots::CountGrid;
use crate::analysis::{AnalysisError, check_positive_m};
use crate::jobs::CancelToken;

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
}

impl Default for PlacesParams {
    fn default() -> Self {
        PlacesParams {
            k: 6,
            radius_m: 300.0,
            cell_m: 100.0,
            max_candidates: 2000,
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
    let grid = CountGrid::build(xy, params.cell_m, None, MAX_CELLS)?;
    cancel.check()?;
    let problem = Problem::build(&grid, candidates, params);
    cancel.check()?;
    let k = params.k.min(problem.m());

    let mut state = State::new(&problem);
    let mut bound = problem.total;
    // Greedy, recording the submodular bound at every prefix.
    for _ in 0..k {
        cancel.check()?;
        bound = bound.min(state.covered + state.top_gains_sum(k));
        let Some(j) = state.best_addition() else {
            break;
        };
        state.add(j);
    }
    bound = bound.min(state.covered + state.top_gains_sum(k));
    // 1-swap local search.
    loop {
        cancel.check()?;
        let Some((out, into)) = state.best_swap() else {
            break;
        };
        state.remove(out);
        state.add(into);
    }
    bound = bound.min(state.covered + state.top_gains_sum(k));
    bound = bound.min(lagrangian_bound(&problem, k, state.covered, cancel)?);
    let bound = bound.max(state.covered);

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
    })
}

/// The covering instance: demand weights and, per candidate, the demand it
/// covers (CSR), plus the inverse lists.
struct Problem {
    w: Vec<f64>,
    total: f64,
    candidates: Vec<Candidate>,
    cov_start: Vec<usize>,
    cov: Vec<u32>,
    by_start: Vec<usize>,
    by: Vec<u32>,
}

impl Problem {
    fn build(grid: &CountGrid, candidates: Option<&[Candidate]>, params: &PlacesParams) -> Problem {
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
        let candidates: Vec<Candidate> = match candidates {
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
        };
        let r2 = params.radius_m * params.radius_m * (1.0 + 1e-9);
        let mut cov_start = Vec::with_capacity(candidates.len() + 1);
        let mut cov = Vec::new();
        cov_start.push(0);
        for c in &candidates {
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
                        if dx * dx + dy * dy <= r2 {
                            cov.push(d);
                        }
                    }
                }
            }
            cov_start.push(cov.len());
        }
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
            w,
            total,
            candidates,
            cov_start,
            cov,
            by_start,
            by,
        }
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
            for j in 0..p.m() {
                if self.is_chosen[j] {
                    continue;
                }
                let delta = self.gain[j] + extra[j] - loss;
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

/// Upper bound on the optimal coverage with k places from the Lagrangian
/// relaxation of the coverage constraints, minimised by subgradient steps
/// (Held–Wolfe–Crowder with Polyak step sizes toward the best known coverage).
fn lagrangian_bound(
    p: &Problem,
    k: usize,
    best_known: f64,
    cancel: &CancelToken,
) -> Result<f64, AnalysisError> {
    const ITERATIONS: usize = 300;
    let nd = p.w.len();
    let m = p.m();
    if nd == 0 || m == 0 {
        return Ok(0.0);
    }
    let mut lambda: Vec<f64> = p.w.clone();
    let mut best = f64::INFINITY;
    let mut theta = 1.0;
    let mut since_improved = 0;
    let mut value = vec![0.0f64; m];
    let mut order: Vec<usize> = (0..m).collect();
    let mut hits = vec![0u32; nd];
    for it in 0..ITERATIONS {
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
            if since_improved >= 10 {
                theta /= 2.0;
                since_improved = 0;
            }
        }
        if best - best_known <= 1e-9 * best.max(1.0) || theta < 1e-6 {
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
    Ok(best)
}
