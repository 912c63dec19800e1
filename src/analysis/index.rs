//! The spatial index every question about individual incidents near a place
//! goes through: an `rstar` R-tree, bulk loaded, over incident positions in
//! SWEREF 99 TM metres (EPSG:3006).

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use crate::crs::{Sweref99Tm, sweref_from_wgs84};
use crate::store::IncidentPoint;

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
}
