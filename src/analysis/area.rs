//! Study areas: polygons (holes allowed) in SWEREF 99 TM metres, and the
//! masks that say which cells of an analysis grid take part.
//!
//! A cell takes part when its centre lies inside the area (the boundary
//! itself is outside, as [`geo::Contains`] has it). Grids over an area start
//! at the area's bounding box's lower-left corner floored to a multiple of the
//! cell size, so results of different runs line up.

use geo::{Area as _, BoundingRect as _, Contains as _, Coord, CoordsIter as _, MultiPolygon};

use crate::analysis::AnalysisError;
use crate::crs::{sweref_from_wgs84_geometry, wgs84_from_sweref_geometry};

/// A study area in SWEREF 99 TM metres.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyArea {
    /// The area's polygons, SWEREF 99 TM metres; holes are left out of it.
    pub polygons: MultiPolygon<f64>,
    /// Where it came from, for notes (e.g. the file name, "drawn in the app").
    pub source: String,
    /// Lower-left and upper-right corner of the polygons.
    min: [f64; 2],
    max: [f64; 2],
}

impl StudyArea {
    /// A study area of `polygons` (SWEREF 99 TM metres). Errors when there is
    /// no polygon, a coordinate is not finite or the area is empty.
    pub fn new(
        polygons: MultiPolygon<f64>,
        source: impl Into<String>,
    ) -> Result<StudyArea, AnalysisError> {
        let invalid = |reason: String| AnalysisError::InvalidParam {
            name: "study_area",
            reason,
        };
        let finite = polygons.0.iter().all(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .all(|r| r.coords().all(|c| c.x.is_finite() && c.y.is_finite()))
        });
        if !finite {
            return Err(invalid("a coordinate is not a finite number".into()));
        }
        let Some(rect) = polygons.bounding_rect() else {
            return Err(invalid("it holds no polygon".into()));
        };
        let area = polygons.unsigned_area();
        if area.is_nan() || area <= 0.0 {
            return Err(invalid("its polygons enclose no area".into()));
        }
        Ok(StudyArea {
            polygons,
            source: source.into(),
            min: [rect.min().x, rect.min().y],
            max: [rect.max().x, rect.max().y],
        })
    }

    /// A study area from polygons in WGS84 longitude/latitude (as files and
    /// the map give them), projected to SWEREF 99 TM.
    pub fn from_wgs84(
        polygons: &MultiPolygon<f64>,
        source: impl Into<String>,
    ) -> Result<StudyArea, AnalysisError> {
        let projected = sweref_from_wgs84_geometry(polygons);
        if let Some((c, _)) = polygons
            .coords_iter()
            .zip(projected.coords_iter())
            .find(|(_, p)| !(p.x.is_finite() && p.y.is_finite()))
        {
            return Err(AnalysisError::InvalidParam {
                name: "study_area",
                reason: format!(
                    "position ({}, {}) cannot be converted to SWEREF 99 TM",
                    c.x, c.y
                ),
            });
        }
        StudyArea::new(projected, source)
    }

    /// The polygons in WGS84 longitude/latitude (for the map).
    pub fn to_wgs84(&self) -> MultiPolygon<f64> {
        wgs84_from_sweref_geometry(&self.polygons)
    }

    /// Lower-left and upper-right corner of the area, SWEREF 99 TM metres.
    pub fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        (self.min, self.max)
    }

    /// Width and height of the bounding box in kilometres.
    pub fn size_km(&self) -> [f64; 2] {
        [
            (self.max[0] - self.min[0]) / 1000.0,
            (self.max[1] - self.min[1]) / 1000.0,
        ]
    }

    /// The area in km² (holes left out).
    pub fn area_km2(&self) -> f64 {
        self.polygons.unsigned_area() / 1e6
    }

    /// Does `p` (SWEREF 99 TM metres) lie inside (not on the boundary)?
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] > self.min[0]
            && p[0] < self.max[0]
            && p[1] > self.min[1]
            && p[1] < self.max[1]
            && self.polygons.contains(&Coord { x: p[0], y: p[1] })
    }

    /// The lower-left corner of a grid of `cell_m` cells over the area: the
    /// bounding box's corner floored to a multiple of the cell size.
    pub fn grid_origin(&self, cell_m: f64) -> [f64; 2] {
        [
            (self.min[0] / cell_m).floor() * cell_m,
            (self.min[1] / cell_m).floor() * cell_m,
        ]
    }

    /// The area as JSON for keeping in a project: a GeoJSON geometry
    /// (MultiPolygon) whose coordinates are SWEREF 99 TM metres, named so by
    /// `crs`, with the source beside it.
    pub fn to_stored_json(&self) -> String {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&self.polygons));
        serde_json::json!({
            "crs": "EPSG:3006",
            "source": self.source,
            "geometry": geometry,
        })
        .to_string()
    }

    /// Reads what [`StudyArea::to_stored_json`] wrote.
    pub fn from_stored_json(text: &str) -> Result<StudyArea, String> {
        #[derive(serde::Deserialize)]
        struct Stored {
            crs: String,
            source: String,
            geometry: geojson::Geometry,
        }
        let stored: Stored = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if stored.crs != "EPSG:3006" {
            return Err(format!("unknown crs {:?}", stored.crs));
        }
        let polygons =
            match geo::Geometry::<f64>::try_from(stored.geometry).map_err(|e| e.to_string())? {
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                _ => return Err("not a polygon".into()),
            };
        StudyArea::new(polygons, stored.source).map_err(|e| e.to_string())
    }
}

/// Which cells of a grid take part, and which ones the area's boundary
/// crosses (for exact tests of the points in them).
#[derive(Debug, Clone, PartialEq)]
pub struct CellMask {
    pub x0: f64,
    pub y0: f64,
    pub cell_m: f64,
    pub nx: usize,
    pub ny: usize,
    /// Row-major from the south-west: does the cell's centre lie inside?
    pub inside: Vec<bool>,
    /// Row-major: may the boundary pass through the cell?
    edge: Vec<bool>,
}

impl CellMask {
    /// The mask of `area` on the grid of `nx × ny` cells of `cell_m` whose
    /// lower-left corner is (`x0`, `y0`).
    ///
    /// Centres: a scanline through each row of centres, even–odd rule over
    /// every ring (holes and several parts included), and the polygon test
    /// in the cells the boundary may cross. Edge cells: each
    /// boundary segment sampled every half cell, the 3 × 3 cells round each
    /// sample marked (a cell the segment touches holds a point within a
    /// quarter cell of a sample, so it is among them).
    pub fn build(
        area: &StudyArea,
        x0: f64,
        y0: f64,
        cell_m: f64,
        nx: usize,
        ny: usize,
    ) -> CellMask {
        let mut inside = vec![false; nx * ny];
        let mut edge = vec![false; nx * ny];
        let segments: Vec<(Coord<f64>, Coord<f64>)> = area
            .polygons
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines().map(|l| (l.start, l.end)))
            .collect();
        let mut crossings = Vec::new();
        for iy in 0..ny {
            let yc = y0 + (iy as f64 + 0.5) * cell_m;
            crossings.clear();
            for &(a, b) in &segments {
                if (a.y <= yc) != (b.y <= yc) {
                    crossings.push(a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y));
                }
            }
            crossings.sort_by(f64::total_cmp);
            let row = &mut inside[iy * nx..(iy + 1) * nx];
            for pair in crossings.chunks_exact(2) {
                let (lo, hi) = (pair[0], pair[1]);
                // Centres strictly between the two crossings.
                let first = (((lo - x0) / cell_m - 0.5).floor() + 1.0).max(0.0);
                let mut ix = first as usize;
                while ix < nx {
                    let xc = x0 + (ix as f64 + 0.5) * cell_m;
                    if xc >= hi {
                        break;
                    }
                    if xc > lo {
                        row[ix] = true;
                    }
                    ix += 1;
                }
            }
        }
        let mut mark = |x: f64, y: f64| {
            let cx = ((x - x0) / cell_m).floor();
            let cy = ((y - y0) / cell_m).floor();
            for dy in [-1.0, 0.0, 1.0] {
                for dx in [-1.0, 0.0, 1.0] {
                    let (ix, iy) = (cx + dx, cy + dy);
                    if ix >= 0.0 && iy >= 0.0 && ix < nx as f64 && iy < ny as f64 {
                        edge[iy as usize * nx + ix as usize] = true;
                    }
                }
            }
        };
        for &(a, b) in &segments {
            let len = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
            let steps = (len / (cell_m / 2.0)).ceil().max(1.0) as usize;
            for s in 0..=steps {
                let t = s as f64 / steps as f64;
                mark(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
            }
        }
        // Near the boundary the polygon test decides, so a centre on the
        // boundary itself (outside, as `Contains` has it) is told right.
        for (i, _) in edge.iter().enumerate().filter(|(_, e)| **e) {
            let c = [
                x0 + ((i % nx) as f64 + 0.5) * cell_m,
                y0 + ((i / nx) as f64 + 0.5) * cell_m,
            ];
            inside[i] = area.contains(c);
        }
        CellMask {
            x0,
            y0,
            cell_m,
            nx,
            ny,
            inside,
            edge,
        }
    }

    /// Cells that take part.
    pub fn count_inside(&self) -> usize {
        self.inside.iter().filter(|&&b| b).count()
    }

    /// Does cell (ix, iy) take part?
    pub fn cell_inside(&self, ix: usize, iy: usize) -> bool {
        self.inside[iy * self.nx + ix]
    }

    /// Does `p` lie inside `area` (the area this mask was built of)? Exact:
    /// the polygon test runs only for points in cells the boundary may cross.
    pub fn point_inside(&self, area: &StudyArea, p: [f64; 2]) -> bool {
        let fx = ((p[0] - self.x0) / self.cell_m).floor();
        let fy = ((p[1] - self.y0) / self.cell_m).floor();
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            return false;
        }
        let i = fy as usize * self.nx + fx as usize;
        if self.edge[i] {
            area.contains(p)
        } else {
            self.inside[i]
        }
    }
}

/// Size in cells of a grid from `origin` that covers up to `max` (at least one cell).
pub fn cells_to_cover(origin: [f64; 2], max: [f64; 2], cell_m: f64) -> [f64; 2] {
    [
        (((max[0] - origin[0]) / cell_m).floor() + 1.0).max(1.0),
        (((max[1] - origin[1]) / cell_m).floor() + 1.0).max(1.0),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    /// A concave "C" of 2 × 2 km with a square hole in its lower arm.
    pub(crate) fn c_with_hole(x: f64, y: f64) -> StudyArea {
        let ring = |pts: &[(f64, f64)]| {
            LineString::new(
                pts.iter()
                    .map(|&(dx, dy)| Coord {
                        x: x + dx,
                        y: y + dy,
                    })
                    .collect(),
            )
        };
        let outer = ring(&[
            (0.0, 0.0),
            (2030.0, 0.0),
            (2030.0, 730.0),
            (730.0, 730.0),
            (730.0, 1330.0),
            (2030.0, 1330.0),
            (2030.0, 2030.0),
            (0.0, 2030.0),
            (0.0, 0.0),
        ]);
        let hole = ring(&[
            (1230.0, 230.0),
            (1630.0, 230.0),
            (1630.0, 530.0),
            (1230.0, 530.0),
            (1230.0, 230.0),
        ]);
        StudyArea::new(MultiPolygon(vec![Polygon::new(outer, vec![hole])]), "test").unwrap()
    }

    #[test]
    fn mask_centres_agree_with_the_polygon_test() {
        let area = c_with_hole(474_015.0, 6_211_015.0);
        for cell in [50.0, 100.0, 170.0] {
            let [x0, y0] = area.grid_origin(cell);
            let (_, max) = area.bounds();
            let [nx, ny] = cells_to_cover([x0, y0], max, cell);
            let (nx, ny) = (nx as usize, ny as usize);
            let mask = CellMask::build(&area, x0, y0, cell, nx, ny);
            for iy in 0..ny {
                for ix in 0..nx {
                    let c = [x0 + (ix as f64 + 0.5) * cell, y0 + (iy as f64 + 0.5) * cell];
                    assert_eq!(
                        mask.cell_inside(ix, iy),
                        area.contains(c),
                        "{cell} {ix} {iy}"
                    );
                }
            }
            // Points anywhere (not only centres) agree with the exact test.
            for k in 0..5000 {
                let p = [
                    x0 - 100.0 + (k as f64 * 7.31) % 2300.0,
                    y0 - 100.0 + (k as f64 * 13.7) % 2300.0,
                ];
                assert_eq!(mask.point_inside(&area, p), area.contains(p), "{p:?}");
            }
        }
    }

    #[test]
    fn areas_round_trip_through_storage_and_wgs84() {
        let area = c_with_hole(474_015.0, 6_211_015.0);
        let back = StudyArea::from_stored_json(&area.to_stored_json()).unwrap();
        assert_eq!(back, area);
        let ll = area.to_wgs84();
        let again = StudyArea::from_wgs84(&ll, "x").unwrap();
        assert!((again.area_km2() - area.area_km2()).abs() < 1e-6);
        assert!((area.area_km2() - (2.03 * 2.03 - 1.3 * 0.6 - 0.4 * 0.3)).abs() < 1e-9);
        assert!(StudyArea::new(MultiPolygon(vec![]), "x").is_err());
    }
}
