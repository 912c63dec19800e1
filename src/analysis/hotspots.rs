//! Getis–Ord Gi* hotspots on a square grid of incident counts, with
//! two-sided normal p-values and Benjamini–Hochberg false-discovery-rate
//! correction, classified as ArcGIS's Hot Spot Analysis does.

use serde::{Deserialize, Serialize};

use crate::analysis::area::{CellMask, StudyArea, cells_to_cover};
use crate::analysis::{AnalysisError, check_positive_m};
use crate::jobs::CancelToken;

/// Most cells a hotspot grid may have.
pub const MAX_CELLS: usize = 16_000_000;

/// Parameters of [`hotspots`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotspotParams {
    /// Side of a grid cell, metres (default 100).
    pub cell_m: f64,
    /// Distance band, metres (default 300): cells whose centres lie within it
    /// (inclusive) are neighbours, the cell itself included.
    pub band_m: f64,
    /// Benjamini–Hochberg false-discovery-rate correction (default on).
    pub fdr: bool,
    /// A study area (SWEREF 99 TM polygons) that fixes the grid and says which
    /// cells take part; `None` = the smallest rectangle of cells holding the
    /// incidents, every cell taking part.
    #[serde(skip)]
    pub study_area: Option<StudyArea>,
}

impl Default for HotspotParams {
    fn default() -> Self {
        HotspotParams {
            cell_m: 100.0,
            band_m: 300.0,
            fdr: true,
            study_area: None,
        }
    }
}

/// A cell's class by the sign of z and the confidence of its p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotClass {
    Hot99,
    Hot95,
    Hot90,
    NotSignificant,
    Cold90,
    Cold95,
    Cold99,
}

impl HotspotClass {
    pub const ALL: [HotspotClass; 7] = [
        HotspotClass::Hot99,
        HotspotClass::Hot95,
        HotspotClass::Hot90,
        HotspotClass::NotSignificant,
        HotspotClass::Cold90,
        HotspotClass::Cold95,
        HotspotClass::Cold99,
    ];

    /// Stable key for files: `hot_99`, …, `not_significant`, …, `cold_99`.
    pub fn key(self) -> &'static str {
        match self {
            HotspotClass::Hot99 => "hot_99",
            HotspotClass::Hot95 => "hot_95",
            HotspotClass::Hot90 => "hot_90",
            HotspotClass::NotSignificant => "not_significant",
            HotspotClass::Cold90 => "cold_90",
            HotspotClass::Cold95 => "cold_95",
            HotspotClass::Cold99 => "cold_99",
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            HotspotClass::Hot99 => "Het punkt, 99 % konfidens",
            HotspotClass::Hot95 => "Het punkt, 95 % konfidens",
            HotspotClass::Hot90 => "Het punkt, 90 % konfidens",
            HotspotClass::NotSignificant => "Inte signifikant",
            HotspotClass::Cold90 => "Kall punkt, 90 % konfidens",
            HotspotClass::Cold95 => "Kall punkt, 95 % konfidens",
            HotspotClass::Cold99 => "Kall punkt, 99 % konfidens",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            HotspotClass::Hot99 => "Hot spot, 99% confidence",
            HotspotClass::Hot95 => "Hot spot, 95% confidence",
            HotspotClass::Hot90 => "Hot spot, 90% confidence",
            HotspotClass::NotSignificant => "Not significant",
            HotspotClass::Cold90 => "Cold spot, 90% confidence",
            HotspotClass::Cold95 => "Cold spot, 95% confidence",
            HotspotClass::Cold99 => "Cold spot, 99% confidence",
        }
    }

    /// Is this a hot or cold spot at any confidence?
    pub fn is_significant(self) -> bool {
        self != HotspotClass::NotSignificant
    }
}

/// One grid cell's count and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HotspotCell {
    pub ix: usize,
    pub iy: usize,
    pub count: u32,
    /// Gi* z-score.
    pub z: f64,
    /// Two-sided p-value of z under the normal distribution.
    pub p: f64,
    pub class: HotspotClass,
}

/// The result of [`hotspots`]: a grid of `nx × ny` cells of side `cell_m`
/// whose cell (0, 0) has its lower-left corner at (`x0`, `y0`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotspots {
    pub x0: f64,
    pub y0: f64,
    pub cell_m: f64,
    pub nx: usize,
    pub ny: usize,
    pub params: HotspotParams,
    /// Every cell that takes part, row-major from the south-west: without a
    /// study area every cell of the grid (`iy * nx + ix`), with one the cells
    /// whose centre lies inside it.
    pub cells: Vec<HotspotCell>,
    /// Incidents in cells that take part.
    pub incidents_used: usize,
    /// Incidents left out for lying outside the study area (in a cell whose
    /// centre lies outside it, or outside its box).
    pub outside_area: usize,
}

impl Hotspots {
    /// Centres (SWEREF 99 TM) of the hot cells at 95 % confidence or more,
    /// the cells a patrol plan's coverage counts as reached.
    pub fn hot_centres(&self) -> Vec<[f64; 2]> {
        self.cells
            .iter()
            .filter(|c| matches!(c.class, HotspotClass::Hot99 | HotspotClass::Hot95))
            .map(|c| {
                [
                    self.x0 + (c.ix as f64 + 0.5) * self.cell_m,
                    self.y0 + (c.iy as f64 + 0.5) * self.cell_m,
                ]
            })
            .collect()
    }

    /// Lower-left and upper-right corner of cell (ix, iy), SWEREF 99 TM metres.
    pub fn cell_bounds(&self, ix: usize, iy: usize) -> ([f64; 2], [f64; 2]) {
        let x = self.x0 + ix as f64 * self.cell_m;
        let y = self.y0 + iy as f64 * self.cell_m;
        ([x, y], [x + self.cell_m, y + self.cell_m])
    }

    /// Centre of cell (ix, iy), SWEREF 99 TM metres.
    pub fn cell_center(&self, ix: usize, iy: usize) -> [f64; 2] {
        [
            self.x0 + (ix as f64 + 0.5) * self.cell_m,
            self.y0 + (iy as f64 + 0.5) * self.cell_m,
        ]
    }
}

/// The square grid of incident counts shared by hotspots and strategic places.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CountGrid {
    pub x0: f64,
    pub y0: f64,
    pub cell_m: f64,
    pub nx: usize,
    pub ny: usize,
    /// Row-major counts (0 in cells that do not take part).
    pub counts: Vec<u32>,
    /// Row-major: does the cell take part? `None` = every cell does.
    pub mask: Option<Vec<bool>>,
    pub used: usize,
    /// Incidents left out: outside the grid or in a cell that does not take part.
    pub outside: usize,
}

impl CountGrid {
    /// Bins incidents by the issue's rule: x0 = floor(min_x / cell)·cell (same
    /// for y), cell index floor((x − x0) / cell), the smallest rectangle of
    /// cells holding them all; or the same rule on the study area's box, where
    /// only cells whose centre lies inside the area take part (incidents in
    /// the others are left out and counted).
    pub(crate) fn build(
        xy: &[[f64; 2]],
        cell_m: f64,
        study_area: Option<&StudyArea>,
        max_cells: usize,
    ) -> Result<CountGrid, AnalysisError> {
        check_positive_m("cell_m", cell_m)?;
        let (origin, size) = match study_area {
            Some(area) => {
                let origin = area.grid_origin(cell_m);
                (origin, cells_to_cover(origin, area.bounds().1, cell_m))
            }
            None => {
                let mut min = [f64::INFINITY; 2];
                let mut max = [f64::NEG_INFINITY; 2];
                for p in xy {
                    if p[0].is_finite() && p[1].is_finite() {
                        min[0] = min[0].min(p[0]);
                        min[1] = min[1].min(p[1]);
                        max[0] = max[0].max(p[0]);
                        max[1] = max[1].max(p[1]);
                    }
                }
                if min[0] > max[0] {
                    return Err(AnalysisError::NoIncidents);
                }
                let origin = [
                    (min[0] / cell_m).floor() * cell_m,
                    (min[1] / cell_m).floor() * cell_m,
                ];
                (origin, cells_to_cover(origin, max, cell_m))
            }
        };
        let [x0, y0] = origin;
        let [nx, ny] = size;
        if nx * ny > max_cells as f64 {
            return Err(AnalysisError::TooLarge {
                cells: (nx * ny).min(u64::MAX as f64) as u64,
                max_cells: max_cells as u64,
            });
        }
        let (nx, ny) = (nx as usize, ny as usize);
        let mask = study_area.map(|a| CellMask::build(a, x0, y0, cell_m, nx, ny).inside);
        let mut counts = vec![0u32; nx * ny];
        let mut used = 0;
        let mut outside = 0;
        let inv = 1.0 / cell_m;
        for p in xy {
            if !(p[0].is_finite() && p[1].is_finite()) {
                continue;
            }
            let fx = ((p[0] - x0) * inv).floor();
            let fy = ((p[1] - y0) * inv).floor();
            // Division may round onto the next cell where multiplication by
            // the inverse does not, or vice versa; the rule is the division.
            let fx = exact_floor_div(p[0] - x0, cell_m, fx);
            let fy = exact_floor_div(p[1] - y0, cell_m, fy);
            if fx >= 0.0 && fy >= 0.0 && fx < nx as f64 && fy < ny as f64 {
                let i = fy as usize * nx + fx as usize;
                if mask.as_ref().is_none_or(|m| m[i]) {
                    counts[i] += 1;
                    used += 1;
                    continue;
                }
            }
            outside += 1;
        }
        Ok(CountGrid {
            x0,
            y0,
            cell_m,
            nx,
            ny,
            counts,
            mask,
            used,
            outside,
        })
    }

    /// Does cell `i` take part?
    pub(crate) fn takes_part(&self, i: usize) -> bool {
        self.mask.as_ref().is_none_or(|m| m[i])
    }
}

/// floor(a / b) given a guess from a · (1/b): fixes the guess in the rare
/// case the two roundings disagree.
#[inline]
fn exact_floor_div(a: f64, b: f64, guess: f64) -> f64 {
    let lo = guess * b;
    if lo > a || lo + b <= a {
        (a / b).floor()
    } else {
        guess
    }
}

/// Getis–Ord Gi* z-scores, p-values and hot/cold classes on a square grid of
/// incident counts.
///
/// Getis & Ord (1992), *The analysis of spatial association by use of distance
/// statistics*, Geographical Analysis 24(3); Ord & Getis (1995), eq. (10) for
/// Gi*. The numbers equal PySAL esda's `G_Local(star=True, transform='B')`.
///
/// # Parameters
/// - `xy`: incident positions, SWEREF 99 TM metres (non-finite ones are skipped).
/// - `params`: see [`HotspotParams`].
/// - `cancel`: checked between stages.
///
/// # Returns
/// [`Hotspots`] with every cell that takes part, empty ones included.
///
/// # Algorithm
/// Grid: cell (0, 0) has its lower-left corner at (floor(min_x / cell)·cell,
/// floor(min_y / cell)·cell); an incident at (x, y) falls in cell
/// (floor((x − x0)/cell), floor((y − y0)/cell)); the grid is the smallest
/// rectangle of cells holding all incidents, or, with a study area, the same
/// rule applied to the area's box. With a study area only the cells whose
/// centre lies inside it take part: the others are neither observations nor
/// neighbours, and incidents in them are left out (counted in
/// [`Hotspots::outside_area`]).
/// Neighbours of cell i: cells taking part whose centres lie within `band_m`
/// of its centre (inclusive, with a relative tolerance of 1e-9), i itself
/// included, binary weights. With n cells taking part, x̄ and s the mean and
/// population standard deviation of their counts and W_i the number of
/// neighbours:
/// z_i = (Σ_j w_ij x_j − x̄ W_i) / (s · sqrt((n W_i − W_i²) / (n − 1))).
/// p_i = erfc(|z_i| / √2) (two-sided). Classes: significant at 90/95/99 %
/// confidence when p ≤ 0.10/0.05/0.01; with FDR, each level's cutoff is the
/// Benjamini–Hochberg one instead: the largest p_(k) with p_(k) ≤ k·α/n over
/// the sorted p-values of all cells. The sign of z makes it hot or cold.
/// When all cells hold the same count (s = 0) or there is one cell, z = 0 and
/// p = 1 everywhere.
///
/// # Notes
/// The neighbour sums use row prefix sums over the disc of offsets within the
/// band: O(cells · band/cell) after O(n) binning; the FDR step sorts the
/// p-values, O(cells log cells).
///
/// # Examples
/// ```
/// use lagesbild::analysis::{HotspotClass, HotspotParams, hotspots};
/// use lagesbild::jobs::CancelToken;
/// // One incident in each corner of a 2 × 2 km box, 30 in each of the
/// // 3 × 3 cells around (1050, 1050).
/// let mut xy = vec![[50.0, 50.0], [1950.0, 1950.0]];
/// for dx in [-100.0, 0.0, 100.0] {
///     for dy in [-100.0, 0.0, 100.0] {
///         xy.extend(std::iter::repeat_n([1050.0 + dx, 1050.0 + dy], 30));
///     }
/// }
/// let h = hotspots(&xy, &HotspotParams::default(), &CancelToken::new()).unwrap();
/// assert_eq!((h.nx, h.ny), (20, 20));
/// let centre = &h.cells[10 * 20 + 10];
/// assert_eq!(centre.count, 30);
/// assert!((centre.z - 10.833_660_368).abs() < 1e-6);
/// assert_eq!(centre.class, HotspotClass::Hot99);
/// assert_eq!(h.cells[0].class, HotspotClass::NotSignificant);
/// ```
pub fn hotspots(
    xy: &[[f64; 2]],
    params: &HotspotParams,
    cancel: &CancelToken,
) -> Result<Hotspots, AnalysisError> {
    check_positive_m("band_m", params.band_m)?;
    let grid = CountGrid::build(xy, params.cell_m, params.study_area.as_ref(), MAX_CELLS)?;
    cancel.check()?;
    let (nx, ny) = (grid.nx, grid.ny);
    let (sums, weights) = band_sums(
        &grid.counts,
        grid.mask.as_deref(),
        nx,
        ny,
        params.band_m / params.cell_m,
    );
    cancel.check()?;

    // Only the cells that take part are observations.
    let part: Vec<usize> = (0..nx * ny).filter(|&i| grid.takes_part(i)).collect();
    let n = part.len();
    let total: f64 = part.iter().map(|&i| grid.counts[i] as f64).sum();
    let nf = n as f64;
    let mean = total / nf;
    let var = part
        .iter()
        .map(|&i| {
            let d = grid.counts[i] as f64 - mean;
            d * d
        })
        .sum::<f64>()
        / nf;
    let s = var.sqrt();
    let degenerate = n < 2 || s <= 0.0;
    let mut z = vec![0.0f64; n];
    let mut p = vec![1.0f64; n];
    if !degenerate {
        for (k, &i) in part.iter().enumerate() {
            let w = weights[i] as f64;
            let denom = s * ((nf * w - w * w) / (nf - 1.0)).sqrt();
            if denom > 0.0 {
                z[k] = (sums[i] as f64 - mean * w) / denom;
                p[k] = p_two_sided(z[k]);
            }
        }
    }
    cancel.check()?;

    let cutoffs = if params.fdr {
        fdr_cutoffs(&p)
    } else {
        CONFIDENCE_ALPHAS
    };
    let cells = part
        .iter()
        .enumerate()
        .map(|(k, &i)| HotspotCell {
            ix: i % nx,
            iy: i / nx,
            count: grid.counts[i],
            z: z[k],
            p: p[k],
            class: classify(z[k], p[k], &cutoffs),
        })
        .collect();
    Ok(Hotspots {
        x0: grid.x0,
        y0: grid.y0,
        cell_m: grid.cell_m,
        nx,
        ny,
        params: params.clone(),
        cells,
        incidents_used: grid.used,
        outside_area: grid.outside,
    })
}

/// α for 99, 95 and 90 % confidence.
const CONFIDENCE_ALPHAS: [f64; 3] = [0.01, 0.05, 0.10];

fn classify(z: f64, p: f64, cutoffs: &[f64; 3]) -> HotspotClass {
    let level = cutoffs.iter().position(|&c| p <= c);
    match (level, z > 0.0) {
        (Some(0), true) => HotspotClass::Hot99,
        (Some(1), true) => HotspotClass::Hot95,
        (Some(2), true) => HotspotClass::Hot90,
        (Some(0), false) if z < 0.0 => HotspotClass::Cold99,
        (Some(1), false) if z < 0.0 => HotspotClass::Cold95,
        (Some(2), false) if z < 0.0 => HotspotClass::Cold90,
        _ => HotspotClass::NotSignificant,
    }
}

/// Benjamini–Hochberg cutoffs for α = 0.01, 0.05, 0.10: for each α the largest
/// sorted p_(k) with p_(k) ≤ k·α/n (−1 when none, so nothing is significant).
fn fdr_cutoffs(p: &[f64]) -> [f64; 3] {
    let mut sorted: Vec<f64> = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    CONFIDENCE_ALPHAS.map(|alpha| {
        sorted
            .iter()
            .enumerate()
            .rev()
            .find(|(k, pk)| **pk <= (*k as f64 + 1.0) * alpha / n)
            .map_or(-1.0, |(_, pk)| *pk)
    })
}

/// Neighbour sums Σ_j w_ij x_j and neighbour counts W_i for binary weights
/// over the cells whose centres lie within `band_cells` cell sides; with a
/// mask only cells that take part are neighbours (their counts outside are 0).
fn band_sums(
    counts: &[u32],
    mask: Option<&[bool]>,
    nx: usize,
    ny: usize,
    band_cells: f64,
) -> (Vec<u64>, Vec<u32>) {
    // Half-widths of the disc per row offset dy: |dx| ≤ half[|dy|].
    let limit = band_cells * band_cells * (1.0 + 1e-9);
    let r = band_cells.floor() as usize;
    let r = if ((r + 1) * (r + 1)) as f64 <= limit {
        r + 1
    } else {
        r
    };
    let half: Vec<usize> = (0..=r)
        .map(|dy| {
            let rest = limit - (dy * dy) as f64;
            let mut w = rest.max(0.0).sqrt().floor() as usize;
            while ((w + 1) * (w + 1)) as f64 <= rest {
                w += 1;
            }
            while w > 0 && (w * w) as f64 > rest {
                w -= 1;
            }
            w
        })
        .collect();
    // Row prefix sums: pre[y * (nx + 1) + x] = Σ counts[y][..x], and the same
    // of the mask (cells taking part) when there is one.
    let mut pre = vec![0u64; ny * (nx + 1)];
    let mut pre_mask = mask.map(|_| vec![0u32; ny * (nx + 1)]);
    for y in 0..ny {
        let row = &counts[y * nx..(y + 1) * nx];
        let dst = &mut pre[y * (nx + 1)..(y + 1) * (nx + 1)];
        let mut acc = 0u64;
        for (x, &c) in row.iter().enumerate() {
            acc += c as u64;
            dst[x + 1] = acc;
        }
        if let (Some(m), Some(pm)) = (mask, pre_mask.as_mut()) {
            let dst = &mut pm[y * (nx + 1)..(y + 1) * (nx + 1)];
            let mut acc = 0u32;
            for (x, &inside) in m[y * nx..(y + 1) * nx].iter().enumerate() {
                acc += u32::from(inside);
                dst[x + 1] = acc;
            }
        }
    }
    let mut sums = vec![0u64; nx * ny];
    let mut weights = vec![0u32; nx * ny];
    for y in 0..ny {
        let y_lo = y.saturating_sub(r);
        let y_hi = (y + r).min(ny - 1);
        for yy in y_lo..=y_hi {
            let w = half[y.abs_diff(yy)];
            let pre_row = &pre[yy * (nx + 1)..(yy + 1) * (nx + 1)];
            let mask_row = pre_mask
                .as_ref()
                .map(|pm| &pm[yy * (nx + 1)..(yy + 1) * (nx + 1)]);
            let out = &mut sums[y * nx..(y + 1) * nx];
            let wout = &mut weights[y * nx..(y + 1) * nx];
            for x in 0..nx {
                let lo = x.saturating_sub(w);
                let hi = (x + w + 1).min(nx);
                out[x] += pre_row[hi] - pre_row[lo];
                wout[x] += match mask_row {
                    Some(m) => m[hi] - m[lo],
                    None => (hi - lo) as u32,
                };
            }
        }
    }
    (sums, weights)
}

/// Two-sided p-value of a standard normal z: erfc(|z|/√2).
pub fn p_two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Complementary error function (libm's, a port of FreeBSD's msun: error
/// under 1 ulp).
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

#[cfg(test)]
#[allow(clippy::erasing_op, clippy::identity_op, clippy::needless_range_loop)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn run(xy: &[[f64; 2]], params: &HotspotParams) -> Hotspots {
        hotspots(xy, params, &CancelToken::new()).unwrap()
    }

    /// A rectangular study area.
    fn rect(min: [f64; 2], max: [f64; 2]) -> Option<StudyArea> {
        let r = geo::Rect::new(
            geo::coord! {x: min[0], y: min[1]},
            geo::coord! {x: max[0], y: max[1]},
        );
        Some(StudyArea::new(geo::MultiPolygon(vec![r.to_polygon()]), "test").unwrap())
    }

    /// Gi* straight from the formula, over all pairs of cells.
    fn gi_star_naive(counts: &[u32], nx: usize, cell_m: f64, band_m: f64) -> Vec<f64> {
        let n = counts.len();
        let x: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let mean = x.iter().sum::<f64>() / n as f64;
        let s = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        (0..n)
            .map(|i| {
                let (xi, yi) = ((i % nx) as f64 * cell_m, (i / nx) as f64 * cell_m);
                let mut w = 0.0;
                let mut sum = 0.0;
                for j in 0..n {
                    let (xj, yj) = ((j % nx) as f64 * cell_m, (j / nx) as f64 * cell_m);
                    if ((xi - xj).powi(2) + (yi - yj).powi(2)).sqrt() <= band_m + 1e-6 {
                        w += 1.0;
                        sum += x[j];
                    }
                }
                let nf = n as f64;
                (sum - mean * w) / (s * ((nf * w - w * w) / (nf - 1.0)).sqrt())
            })
            .collect()
    }

    #[test]
    fn no_incidents_is_an_error() {
        assert_eq!(
            hotspots(&[], &HotspotParams::default(), &CancelToken::new()),
            Err(AnalysisError::NoIncidents)
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        let p = HotspotParams {
            band_m: 0.0,
            ..HotspotParams::default()
        };
        assert!(matches!(
            hotspots(&[[1.0, 1.0]], &p, &CancelToken::new()),
            Err(AnalysisError::InvalidParam { name: "band_m", .. })
        ));
        let p = HotspotParams {
            cell_m: f64::NAN,
            ..HotspotParams::default()
        };
        assert!(matches!(
            hotspots(&[[1.0, 1.0]], &p, &CancelToken::new()),
            Err(AnalysisError::InvalidParam { name: "cell_m", .. })
        ));
        let p = HotspotParams {
            cell_m: 0.001,
            ..HotspotParams::default()
        };
        assert!(matches!(
            hotspots(&[[0.0, 0.0], [1000.0, 1000.0]], &p, &CancelToken::new()),
            Err(AnalysisError::TooLarge { .. })
        ));
        let cancel = CancelToken::new();
        cancel.cancel();
        assert_eq!(
            hotspots(&[[1.0, 1.0]], &HotspotParams::default(), &cancel),
            Err(AnalysisError::Cancelled)
        );
    }

    #[test]
    fn one_cell_or_equal_counts_give_zero_z() {
        let h = run(&[[474_010.0, 6_211_010.0]], &HotspotParams::default());
        assert_eq!((h.nx, h.ny, h.cells.len()), (1, 1, 1));
        assert_eq!((h.cells[0].z, h.cells[0].p), (0.0, 1.0));
        assert_eq!(h.cells[0].class, HotspotClass::NotSignificant);
        let h = run(&[[50.0, 50.0], [150.0, 50.0]], &HotspotParams::default());
        assert!(h.cells.iter().all(|c| c.z == 0.0 && c.p == 1.0));
    }

    #[test]
    fn grid_follows_the_rule() {
        let h = run(
            &[[-150.0, 1.0], [120.0, -0.5], [199.999, 99.0]],
            &HotspotParams::default(),
        );
        assert_eq!((h.x0, h.y0), (-200.0, -100.0));
        assert_eq!((h.nx, h.ny), (4, 2));
        assert_eq!(h.cells[1 * 4 + 0].count, 1);
        assert_eq!(h.cells[0 * 4 + 3].count, 1);
        assert_eq!(h.cells[1 * 4 + 3].count, 1);
        let h = run(
            &[[474_050.0, 6_211_000.0], [474_299.9, 6_211_100.0]],
            &HotspotParams::default(),
        );
        assert_eq!((h.x0, h.y0, h.nx, h.ny), (474_000.0, 6_211_000.0, 3, 2));
        let count = |ix: usize, iy: usize| h.cells[iy * h.nx + ix].count;
        assert_eq!((count(0, 0), count(2, 1), count(1, 0)), (1, 1, 0));
        assert_eq!(h.cells.len(), 6);
        assert!(
            h.cells
                .iter()
                .enumerate()
                .all(|(i, c)| (c.ix, c.iy) == (i % 3, i / 3))
        );
        assert_eq!(h.incidents_used, 2);
        assert_eq!(
            h.cell_bounds(2, 1),
            ([474_200.0, 6_211_100.0], [474_300.0, 6_211_200.0])
        );
        assert_eq!(h.cell_center(0, 0), [474_050.0, 6_211_050.0]);
    }

    #[test]
    fn study_area_fixes_the_grid() {
        let params = HotspotParams {
            study_area: rect([1000.0, 2000.0], [1990.0, 2490.0]),
            ..HotspotParams::default()
        };
        let h = run(&[[1500.0, 2100.0], [5000.0, 5000.0]], &params);
        assert_eq!((h.x0, h.y0, h.nx, h.ny), (1000.0, 2000.0, 10, 5));
        assert_eq!((h.incidents_used, h.outside_area), (1, 1));
        assert_eq!(h.cells[1 * 10 + 5].count, 1);
        // A box ending on the last centres: those centres lie on the
        // boundary, not inside, so that column and row do not take part.
        let params = HotspotParams {
            study_area: rect([1000.0, 2000.0], [1950.0, 2450.0]),
            ..HotspotParams::default()
        };
        let h = run(&[[1500.0, 2100.0], [1960.0, 2100.0]], &params);
        assert_eq!((h.nx, h.ny, h.cells.len()), (10, 5, 9 * 4));
        assert_eq!((h.incidents_used, h.outside_area), (1, 1));
    }

    #[test]
    fn hand_worked_row_of_three() {
        // Counts 0, 3, 0; band = one cell, so neighbours are the cell and its
        // left and right. n = 3, mean 1, s = √2.
        // End cells: W = 2, Σ = 3: z = (3 − 2)/(√2·√((6 − 4)/2)) = 1/√2.
        // Middle: W = 3, Σ = 3: z = 0.
        let params = HotspotParams {
            band_m: 100.0,
            study_area: rect([0.0, 0.0], [299.0, 99.0]),
            ..HotspotParams::default()
        };
        let h = run(&[[150.0, 50.0]; 3], &params);
        let z: Vec<f64> = h.cells.iter().map(|c| c.z).collect();
        let want = [0.5f64.sqrt(), 0.0, 0.5f64.sqrt()];
        for (a, b) in z.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{z:?}");
        }
    }

    #[test]
    fn hand_worked_five_by_five() {
        // 25 incidents in the centre cell of a 5×5 grid, band = one cell (the
        // cell and its four edge neighbours). n = 25, mean 1, s = √24.
        // Centre and its 4 neighbours: W = 5, Σ = 25: z = 20/(√24·√(100/24)) = 2.
        // Corner: W = 3, Σ = 0: z = −3/√66. Edge middle (not next to centre)
        // W = 4: z = −4/√84. Diagonal to centre: W = 5: z = −0.5.
        let params = HotspotParams {
            band_m: 100.0,
            fdr: false,
            study_area: rect([0.0, 0.0], [499.0, 499.0]),
            ..HotspotParams::default()
        };
        let h = run(&[[250.0, 250.0]; 25], &params);
        let z = |ix: usize, iy: usize| h.cells[iy * 5 + ix].z;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(z(2, 2), 2.0) && close(z(2, 1), 2.0) && close(z(3, 2), 2.0));
        assert!(close(z(0, 0), -3.0 / 66f64.sqrt()));
        assert!(close(z(4, 4), -3.0 / 66f64.sqrt()));
        assert!(close(z(2, 0), -4.0 / 84f64.sqrt()));
        assert!(close(z(1, 1), -0.5));
        // p(|z| = 2) = 0.0455: hot at 95 % without FDR ...
        let c = h.cells[2 * 5 + 2];
        assert!((c.p - 0.045_500_263_896_358_41).abs() < 1e-12, "{}", c.p);
        assert_eq!(c.class, HotspotClass::Hot95);
        assert_eq!(h.cells[0].class, HotspotClass::NotSignificant);
        // ... but with FDR over 25 cells, 5 p-values of 0.0455 are not enough
        // (BH needs p_(5) ≤ 5·0.10/25 = 0.02 even at 90 %).
        let h = run(
            &[[250.0, 250.0]; 25],
            &HotspotParams {
                fdr: true,
                ..params
            },
        );
        assert!(
            h.cells
                .iter()
                .all(|c| c.class == HotspotClass::NotSignificant)
        );
    }

    #[test]
    fn matches_naive_gi_star() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut xy = Vec::new();
        for _ in 0..3 {
            let c = [rng.random_range(0.0..2000.0), rng.random_range(0.0..1500.0)];
            for _ in 0..300 {
                xy.push([
                    c[0] + rng.random_range(-250.0..250.0),
                    c[1] + rng.random_range(-250.0..250.0),
                ]);
            }
        }
        for _ in 0..200 {
            xy.push([rng.random_range(0.0..2000.0), rng.random_range(0.0..1500.0)]);
        }
        for (cell_m, band_m) in [
            (100.0, 300.0),
            (100.0, 100.0),
            (50.0, 220.0),
            (100.0, std::f64::consts::SQRT_2 * 100.0),
        ] {
            let params = HotspotParams {
                cell_m,
                band_m,
                ..HotspotParams::default()
            };
            let h = run(&xy, &params);
            let counts: Vec<u32> = h.cells.iter().map(|c| c.count).collect();
            let want = gi_star_naive(&counts, h.nx, cell_m, band_m);
            for (c, w) in h.cells.iter().zip(&want) {
                assert!((c.z - w).abs() < 1e-9, "{cell_m} {band_m}: {} vs {w}", c.z);
                assert!((c.p - p_two_sided(*w)).abs() < 1e-12);
            }
            assert_eq!(counts.iter().sum::<u32>() as usize, xy.len());
            assert!(h.cells.iter().any(|c| c.class == HotspotClass::Hot99));
        }
    }

    #[test]
    fn gi_star_over_a_concave_area_with_a_hole_uses_only_the_inside_cells() {
        let area = crate::analysis::area::tests::c_with_hole(474_015.0, 6_211_015.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut xy = Vec::new();
        // A cluster in the upper arm, one in the notch (outside), spread elsewhere.
        for _ in 0..400 {
            xy.push([
                474_400.0 + rng.random_range(-200.0..200.0),
                6_212_700.0 + rng.random_range(-150.0..150.0),
            ]);
            xy.push([
                475_600.0 + rng.random_range(-300.0..300.0),
                6_212_050.0 + rng.random_range(-200.0..200.0),
            ]);
        }
        for _ in 0..600 {
            xy.push([
                rng.random_range(473_900.0..476_200.0),
                rng.random_range(6_210_900.0..6_213_200.0),
            ]);
        }
        let (cell_m, band_m) = (100.0, 250.0);
        let params = HotspotParams {
            cell_m,
            band_m,
            fdr: false,
            study_area: Some(area.clone()),
        };
        let h = run(&xy, &params);

        // Independently: the grid from the box's floored corner, the cells whose
        // centre the polygon contains, the incidents in them, and Gi* from the
        // formula over those cells only.
        let (min, max) = area.bounds();
        let x0 = (min[0] / cell_m).floor() * cell_m;
        let y0 = (min[1] / cell_m).floor() * cell_m;
        let nx = ((max[0] - x0) / cell_m).floor() as usize + 1;
        let ny = ((max[1] - y0) / cell_m).floor() as usize + 1;
        let mut inside = Vec::new();
        for iy in 0..ny {
            for ix in 0..nx {
                let c = [
                    x0 + (ix as f64 + 0.5) * cell_m,
                    y0 + (iy as f64 + 0.5) * cell_m,
                ];
                if geo::Contains::contains(&area.polygons, &geo::coord! {x: c[0], y: c[1]}) {
                    inside.push((ix, iy, c));
                }
            }
        }
        let mut counts = vec![0.0f64; inside.len()];
        let mut outside = 0;
        for p in &xy {
            let ix = ((p[0] - x0) / cell_m).floor();
            let iy = ((p[1] - y0) / cell_m).floor();
            match inside
                .iter()
                .position(|&(cx, cy, _)| cx as f64 == ix && cy as f64 == iy)
            {
                Some(k) => counts[k] += 1.0,
                None => outside += 1,
            }
        }
        let n = inside.len() as f64;
        let mean = counts.iter().sum::<f64>() / n;
        let s = (counts.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let mut want = Vec::new();
        for &(_, _, ci) in &inside {
            let (mut w, mut sum) = (0.0, 0.0);
            for (k, &(_, _, cj)) in inside.iter().enumerate() {
                if ((ci[0] - cj[0]).powi(2) + (ci[1] - cj[1]).powi(2)).sqrt() <= band_m {
                    w += 1.0;
                    sum += counts[k];
                }
            }
            want.push((sum - mean * w) / (s * ((n * w - w * w) / (n - 1.0)).sqrt()));
        }

        assert!(outside > 300, "{outside}");
        assert_eq!((h.x0, h.y0, h.nx, h.ny), (x0, y0, nx, ny));
        assert_eq!(h.cells.len(), inside.len());
        assert!(
            h.cells.len() < nx * ny * 3 / 4,
            "{} of {}",
            h.cells.len(),
            nx * ny
        );
        assert_eq!(
            (h.incidents_used, h.outside_area),
            (xy.len() - outside, outside)
        );
        for ((c, &(ix, iy, _)), (z, count)) in
            h.cells.iter().zip(&inside).zip(want.iter().zip(&counts))
        {
            assert_eq!((c.ix, c.iy, c.count as f64), (ix, iy, *count));
            assert!((c.z - z).abs() < 1e-9, "({ix}, {iy}): {} vs {z}", c.z);
            assert!((c.p - p_two_sided(*z)).abs() < 1e-12);
        }
        assert!(h.cells.iter().any(|c| c.class == HotspotClass::Hot99));
        // The same incidents without the area give other z-scores: the cells
        // outside would shift them.
        let plain = run(
            &xy,
            &HotspotParams {
                study_area: None,
                ..params
            },
        );
        assert_ne!(plain.cells.len(), h.cells.len());
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values: CPython's math.erfc (correctly rounded to ~1 ulp).
        let cases = [
            (0.0, 1.0),
            (0.1, 0.8875370839817152),
            (0.3, 0.6713732405408726),
            (0.46875, 0.507386526782062),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (2.0, 0.004677734981047265),
            (3.0, 2.2090496998585438e-05),
            (4.0, 1.541725790028002e-08),
            (4.5, 1.9661604415428873e-10),
            (5.0, 1.5374597944280351e-12),
            (6.0, 2.1519736712498916e-17),
            (10.0, 2.088487583762545e-45),
            (-1.0, 1.842700792949715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-14,
                "erfc({x}) = {got}, want {want}"
            );
        }
        assert_eq!(erfc(30.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
        assert!((p_two_sided(1.959_963_984_540_054) - 0.05).abs() < 1e-15);
        assert!((p_two_sided(-2.575_829_303_548_900_4) - 0.01).abs() < 1e-15);
    }

    #[test]
    fn fdr_cutoffs_follow_benjamini_hochberg() {
        // n = 10: at α = 0.05 the thresholds are 0.005, 0.01, …; p_(3) = 0.012
        // ≤ 0.015 is the largest that passes, so p_(1..3) are significant.
        let p = [0.001, 0.008, 0.012, 0.3, 0.04, 0.5, 0.6, 0.7, 0.8, 0.9];
        let [c99, c95, c90] = fdr_cutoffs(&p);
        assert_eq!(c95, 0.012);
        // α = 0.01: thresholds 0.001, 0.002, …: only p_(1) = 0.001.
        assert_eq!(c99, 0.001);
        // α = 0.10: 0.04 ≤ 4·0.01 = 0.04 passes.
        assert_eq!(c90, 0.04);
        assert_eq!(fdr_cutoffs(&[0.5, 0.9]), [-1.0, -1.0, -1.0]);
    }

    #[test]
    fn classes_have_keys_and_labels() {
        let keys: Vec<&str> = HotspotClass::ALL.iter().map(|c| c.key()).collect();
        assert_eq!(keys[0], "hot_99");
        assert_eq!(keys[6], "cold_99");
        assert!(HotspotClass::ALL.iter().all(|c| !c.label_sv().is_empty()));
        assert_eq!(
            classify(-3.0, 0.001, &CONFIDENCE_ALPHAS),
            HotspotClass::Cold99
        );
        assert_eq!(classify(1.8, 0.07, &CONFIDENCE_ALPHAS), HotspotClass::Hot90);
        assert_eq!(
            classify(0.0, 0.0, &CONFIDENCE_ALPHAS),
            HotspotClass::NotSignificant
        );
    }
}
