//! The spatial index every question about individual incidents near a place
//! goes through: an `rstar` R-tree, bulk loaded, over incident positions in
//! SWEREF 99 TM metres (EPSG:3006).

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use crate::crs::{Sweref99Tm, sweref_from_wgs84};
use crate::jobs::{CancelToken, Cancelled};
use crate::model::IncidentPoint;

type Entry = GeomWithData<[f64; 2], u32>;

/// Incidents with their SWEREF 99 TM positions and an R-tree over them.
/// Query results are indices into [`IncidentIndex::points`].
pub struct IncidentIndex {
    points: Vec<IncidentPoint>,
    xy: Vec<[f64; 2]>,
    tree: RTree<Entry>,
}

impl IncidentIndex {
    /// Projects the incidents to SWEREF 99 TM and bulk loads the tree.
    /// Incidents whose position cannot be projected are kept in `points` but
    /// left out of the tree (their `xy` is NaN).
    ///
    /// # Examples
    /// ```
    /// use lagesbild::analysis::IncidentIndex;
    /// let index = IncidentIndex::build(Vec::new());
    /// assert!(index.is_empty());
    /// assert_eq!(index.within_distance([474_000.0, 6_211_000.0], 300.0).count(), 0);
    /// ```
    pub fn build(points: Vec<IncidentPoint>) -> IncidentIndex {
        let xy: Vec<[f64; 2]> = points
            .iter()
            .map(|p| {
                let Sweref99Tm { easting, northing } = sweref_from_wgs84(p.position);
                [easting, northing]
            })
            .collect();
        let entries: Vec<Entry> = xy
            .iter()
            .enumerate()
            .filter(|(_, p)| p[0].is_finite() && p[1].is_finite())
            .map(|(i, p)| GeomWithData::new(*p, i as u32))
            .collect();
        IncidentIndex {
            points,
            xy,
            tree: RTree::bulk_load(entries),
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The incidents, in the order they were given.
    pub fn points(&self) -> &[IncidentPoint] {
        &self.points
    }

    /// SWEREF 99 TM (easting, northing) of every incident, same order.
    pub fn xy(&self) -> &[[f64; 2]] {
        &self.xy
    }

    /// Indices of the incidents inside the box (SWEREF 99 TM metres, edges
    /// included).
    pub fn in_envelope(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope(&AABB::from_corners(min, max))
            .map(|e| e.data as usize)
    }

    /// Indices of the incidents within `radius_m` metres of `center` (edge
    /// included).
    pub fn within_distance(
        &self,
        center: [f64; 2],
        radius_m: f64,
    ) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_within_distance(center, radius_m * radius_m)
            .map(|e| e.data as usize)
    }

    /// The incident nearest to `p` and its distance in metres.
    pub fn nearest(&self, p: [f64; 2]) -> Option<(usize, f64)> {
        self.tree.nearest_neighbor(&p).map(|e| {
            let q = e.geom();
            (e.data as usize, (q[0] - p[0]).hypot(q[1] - p[1]))
        })
    }
}

/// Finest density cell, in metres: about a block in a town.
pub const FINEST_CELL_M: f64 = 25.0;

/// Most cells the finest density level may have (16 MB of counts); data
/// spread over a larger area gets coarser cells.
const MAX_FINEST_CELLS: f64 = 4_000_000.0;

/// Counts of incidents on one square grid in SWEREF 99 TM metres.
#[derive(Debug, Clone, PartialEq)]
pub struct DensityLevel {
    /// Side of a cell, metres.
    pub cell_m: f64,
    /// South-west corner of cell (0, 0), SWEREF 99 TM (easting, northing).
    pub origin: [f64; 2],
    pub cols: usize,
    pub rows: usize,
    /// Row-major counts, `rows * cols`.
    counts: Vec<u32>,
}

impl DensityLevel {
    /// Count in cell (`col`, `row`); 0 outside the grid.
    pub fn count(&self, col: usize, row: usize) -> u32 {
        if col < self.cols && row < self.rows {
            self.counts[row * self.cols + col]
        } else {
            0
        }
    }

    /// The cell holding `p`, if it lies on the grid.
    pub fn cell_at(&self, p: [f64; 2]) -> Option<(usize, usize)> {
        let c = ((p[0] - self.origin[0]) / self.cell_m).floor();
        let r = ((p[1] - self.origin[1]) / self.cell_m).floor();
        (c >= 0.0 && r >= 0.0 && (c as usize) < self.cols && (r as usize) < self.rows)
            .then_some((c as usize, r as usize))
    }

    /// South-west and north-east corner of a cell, SWEREF 99 TM metres.
    pub fn cell_bounds(&self, col: usize, row: usize) -> ([f64; 2], [f64; 2]) {
        let min = [
            self.origin[0] + col as f64 * self.cell_m,
            self.origin[1] + row as f64 * self.cell_m,
        ];
        (min, [min[0] + self.cell_m, min[1] + self.cell_m])
    }

    /// The range of columns and rows of cells touching the box, clamped to
    /// the grid; `None` when the box misses the grid.
    pub fn cell_range(
        &self,
        min: [f64; 2],
        max: [f64; 2],
    ) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
        let lo = |v: f64, o: f64, n: usize| ((v - o) / self.cell_m).floor().clamp(0.0, n as f64);
        let hi = |v: f64, o: f64, n: usize| {
            ((v - o) / self.cell_m).floor().clamp(-1.0, n as f64 - 1.0) + 1.0
        };
        let (c0, c1) = (
            lo(min[0], self.origin[0], self.cols),
            hi(max[0], self.origin[0], self.cols),
        );
        let (r0, r1) = (
            lo(min[1], self.origin[1], self.rows),
            hi(max[1], self.origin[1], self.rows),
        );
        if !(c0 < c1 && r0 < r1) {
            return None;
        }
        Some((c0 as usize..c1 as usize, r0 as usize..r1 as usize))
    }

    /// Sum of the counts of every cell touching the box: an upper bound of
    /// the number of counted incidents inside it.
    pub fn count_touching(&self, min: [f64; 2], max: [f64; 2]) -> u64 {
        let Some((cols, rows)) = self.cell_range(min, max) else {
            return 0;
        };
        rows.map(|r| {
            self.counts[r * self.cols + cols.start..r * self.cols + cols.end]
                .iter()
                .map(|&n| u64::from(n))
                .sum::<u64>()
        })
        .sum()
    }
}

/// Incident counts on nested grids (a pyramid): level 0 has
/// [`FINEST_CELL_M`] cells (coarser if the data spans a very large area),
/// each further level doubles the cell side, up to a single cell. Built once
/// per filter change (off the UI thread: about 10 ms per million incidents),
/// so that a map frame at any zoom touches only the cells in view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DensityPyramid {
    levels: Vec<DensityLevel>,
    total: u64,
}

impl DensityPyramid {
    /// Counts the incidents of `index` for which `include(i)` is true (and
    /// whose position is known).
    ///
    /// # Examples
    /// ```
    /// use lagesbild::analysis::{DensityPyramid, IncidentIndex};
    /// use lagesbild::jobs::CancelToken;
    /// let index = IncidentIndex::build(Vec::new());
    /// let p = DensityPyramid::build(&index, |_| true, &CancelToken::new()).unwrap();
    /// assert_eq!(p.total(), 0);
    /// assert!(p.levels().is_empty());
    /// ```
    pub fn build(
        index: &IncidentIndex,
        include: impl Fn(usize) -> bool,
        cancel: &CancelToken,
    ) -> Result<DensityPyramid, Cancelled> {
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for (i, p) in index.xy.iter().enumerate() {
            if p[0].is_finite() && p[1].is_finite() && include(i) {
                for a in 0..2 {
                    min[a] = min[a].min(p[a]);
                    max[a] = max[a].max(p[a]);
                }
            }
        }
        if !min[0].is_finite() {
            return Ok(DensityPyramid::default());
        }
        cancel.check()?;
        let mut cell_m = FINEST_CELL_M;
        while ((max[0] - min[0]) / cell_m + 1.0) * ((max[1] - min[1]) / cell_m + 1.0)
            > MAX_FINEST_CELLS
        {
            cell_m *= 2.0;
        }
        let origin = [
            (min[0] / cell_m).floor() * cell_m,
            (min[1] / cell_m).floor() * cell_m,
        ];
        let cols = ((max[0] - origin[0]) / cell_m).floor() as usize + 1;
        let rows = ((max[1] - origin[1]) / cell_m).floor() as usize + 1;
        let mut level = DensityLevel {
            cell_m,
            origin,
            cols,
            rows,
            counts: vec![0; cols * rows],
        };
        let mut total = 0u64;
        for (i, p) in index.xy.iter().enumerate() {
            if i % 65_536 == 0 {
                cancel.check()?;
            }
            if !(p[0].is_finite() && p[1].is_finite() && include(i)) {
                continue;
            }
            if let Some((c, r)) = level.cell_at(*p) {
                level.counts[r * cols + c] += 1;
                total += 1;
            }
        }
        let mut levels = vec![level];
        while let Some(last) = levels.last()
            && (last.cols > 1 || last.rows > 1)
        {
            cancel.check()?;
            let (cols, rows) = (last.cols.div_ceil(2), last.rows.div_ceil(2));
            let mut counts = vec![0u32; cols * rows];
            for r in 0..last.rows {
                for c in 0..last.cols {
                    counts[(r / 2) * cols + c / 2] += last.counts[r * last.cols + c];
                }
            }
            let next = DensityLevel {
                cell_m: last.cell_m * 2.0,
                origin: last.origin,
                cols,
                rows,
                counts,
            };
            levels.push(next);
        }
        Ok(DensityPyramid { levels, total })
    }

    /// Finest level first.
    pub fn levels(&self) -> &[DensityLevel] {
        &self.levels
    }

    /// Number of incidents counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The coarsest level whose cells are at most `max_cell_m` metres, or
    /// the finest level when even its cells are larger.
    pub fn level_at_most(&self, max_cell_m: f64) -> Option<&DensityLevel> {
        self.levels
            .iter()
            .rev()
            .find(|l| l.cell_m <= max_cell_m)
            .or_else(|| self.levels.first())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::wgs84_from_sweref;
    use crate::model::{Category, Source};

    fn at(e: f64, n: f64) -> IncidentPoint {
        IncidentPoint {
            fid: 0,
            occurred_at: chrono::DateTime::UNIX_EPOCH,
            category: Category::Vald,
            source: Source::Polis,
            position: wgs84_from_sweref(Sweref99Tm {
                easting: e,
                northing: n,
            }),
            precision_m: 10.0,
        }
    }

    #[test]
    fn distance_queries_are_in_metres() {
        let c = [474_000.0, 6_211_000.0];
        let idx = IncidentIndex::build(vec![
            at(c[0], c[1]),
            at(c[0] + 299.0, c[1]),
            at(c[0], c[1] + 301.0),
            at(c[0] + 1000.0, c[1] + 1000.0),
        ]);
        let mut near: Vec<usize> = idx.within_distance(c, 300.0).collect();
        near.sort();
        assert_eq!(near, [0, 1]);
        let mut boxed: Vec<usize> = idx
            .in_envelope([c[0] - 1.0, c[1] - 1.0], [c[0] + 1001.0, c[1] + 1001.0])
            .collect();
        boxed.sort();
        assert_eq!(boxed, [0, 1, 2, 3]);
        let (i, d) = idx.nearest([c[0] + 990.0, c[1] + 990.0]).unwrap();
        assert_eq!(i, 3);
        assert!((d - 200f64.sqrt()).abs() < 0.01, "{d}");
    }
    #[test]
    fn pyramid_counts_nest_and_respect_the_filter() {
        let c = [474_000.0, 6_211_000.0];
        let idx = IncidentIndex::build(vec![
            at(c[0] + 5.0, c[1] + 5.0),
            at(c[0] + 15.0, c[1] + 15.0),
            at(c[0] + 3_000.0, c[1] + 1_000.0),
            at(c[0] + 3_001.0, c[1] + 1_001.0),
        ]);
        let p = DensityPyramid::build(&idx, |i| i != 3, &CancelToken::new()).unwrap();
        assert_eq!(p.total(), 3);
        let finest = &p.levels()[0];
        assert_eq!(finest.cell_m, FINEST_CELL_M);
        let top = p.levels().last().unwrap();
        assert_eq!((top.cols, top.rows), (1, 1));
        assert_eq!(top.count(0, 0), 3);
        for level in p.levels() {
            let all = level.count_touching([c[0] - 1e6, c[1] - 1e6], [c[0] + 1e6, c[1] + 1e6]);
            assert_eq!(all, 3, "cell {} m", level.cell_m);
        }
        let (col, row) = finest.cell_at([c[0] + 10.0, c[1] + 10.0]).unwrap();
        assert_eq!(finest.count(col, row), 2);
        // A box around the first two only.
        assert_eq!(
            finest.count_touching([c[0] - 1.0, c[1] - 1.0], [c[0] + 20.0, c[1] + 20.0]),
            2
        );
        assert_eq!(
            finest.count_touching([c[0] + 5e5, c[1]], [c[0] + 6e5, c[1] + 1.0]),
            0
        );
        assert_eq!(p.level_at_most(100.0).unwrap().cell_m, 100.0);
        assert_eq!(p.level_at_most(1.0).unwrap().cell_m, FINEST_CELL_M);
    }

    #[test]
    fn pyramid_build_can_be_cancelled() {
        let idx = IncidentIndex::build(vec![at(474_000.0, 6_211_000.0)]);
        let cancel = CancelToken::new();
        cancel.cancel();
        assert!(DensityPyramid::build(&idx, |_| true, &cancel).is_err());
    }
}
