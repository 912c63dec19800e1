//! A regular grid of values in SWEREF 99 TM metres: the heatmap's raster and
//! the hotspot grid share it, and the exporters write it.

use serde::Serialize;

/// A regular grid in SWEREF 99 TM (EPSG:3006). Cell `(ix, iy)` covers
/// `[x0 + ix·cell_m, x0 + (ix+1)·cell_m) × [y0 + iy·cell_m, y0 + (iy+1)·cell_m)`;
/// row `iy = 0` is the southernmost. Values are row-major: `iy * nx + ix`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    /// Easting of the lower-left corner of cell (0, 0), metres.
    pub x0: f64,
    /// Northing of the lower-left corner of cell (0, 0), metres.
    pub y0: f64,
    pub cell_m: f64,
    pub nx: usize,
    pub ny: usize,
    pub values: Vec<f64>,
}

impl Grid {
    /// A grid of zeros.
    pub fn zeros(x0: f64, y0: f64, cell_m: f64, nx: usize, ny: usize) -> Grid {
        Grid {
            x0,
            y0,
            cell_m,
            nx,
            ny,
            values: vec![0.0; nx * ny],
        }
    }

    pub fn index(&self, ix: usize, iy: usize) -> usize {
        iy * self.nx + ix
    }

    pub fn get(&self, ix: usize, iy: usize) -> f64 {
        self.values[self.index(ix, iy)]
    }

    /// Centre of cell (ix, iy) in SWEREF 99 TM metres.
    pub fn cell_center(&self, ix: usize, iy: usize) -> [f64; 2] {
        [
            self.x0 + (ix as f64 + 0.5) * self.cell_m,
            self.y0 + (iy as f64 + 0.5) * self.cell_m,
        ]
    }

    /// Lower-left and upper-right corners of the whole grid, metres.
    pub fn extent(&self) -> ([f64; 2], [f64; 2]) {
        (
            [self.x0, self.y0],
            [
                self.x0 + self.nx as f64 * self.cell_m,
                self.y0 + self.ny as f64 * self.cell_m,
            ],
        )
    }

    /// The cell holding `p`, if inside the grid.
    pub fn cell_of(&self, p: [f64; 2]) -> Option<(usize, usize)> {
        let fx = ((p[0] - self.x0) / self.cell_m).floor();
        let fy = ((p[1] - self.y0) / self.cell_m).floor();
        (fx >= 0.0 && fy >= 0.0 && (fx as usize) < self.nx && (fy as usize) < self.ny)
            .then_some((fx as usize, fy as usize))
    }

    /// Smallest and largest finite value.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        self.values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(None, |acc, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_centres() {
        let g = Grid::zeros(1000.0, 2000.0, 100.0, 3, 2);
        assert_eq!(g.values.len(), 6);
        assert_eq!(g.cell_center(0, 0), [1050.0, 2050.0]);
        assert_eq!(g.cell_center(2, 1), [1250.0, 2150.0]);
        assert_eq!(g.extent(), ([1000.0, 2000.0], [1300.0, 2200.0]));
        assert_eq!(g.cell_of([1000.0, 2000.0]), Some((0, 0)));
        assert_eq!(g.cell_of([1299.9, 2199.9]), Some((2, 1)));
        assert_eq!(g.cell_of([1300.0, 2000.0]), None);
        assert_eq!(g.cell_of([999.9, 2000.0]), None);
        assert_eq!(g.index(2, 1), 5);
    }
}
