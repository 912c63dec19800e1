//! Small counts out of exported density grids (issue 21): a kernel density
//! around one isolated incident is a bump centred on it, so a heatmap export
//! would give its position back. Every cell that fewer than `min_count`
//! incidents reach (kernel weight above zero at the cell's centre) is set to
//! zero before the grid is written, as the report shows counts under 3 as
//! "<3" and the hotspot export leaves small cells' counts out.

use rstar::RTree;

use crate::analysis::Grid;
use crate::analysis::heatmap::Kernel;

/// The smallest group an aggregated export shows, by default.
pub const DEFAULT_MIN_COUNT: u32 = 3;

/// Sets to zero every cell of `grid` that fewer than `min_count` of the
/// incidents at `xy` (SWEREF 99 TM metres, the ones the grid was computed
/// from) reach with `kernel` of `bandwidth_m`; returns how many cells were
/// zeroed. Cells already zero, and no-data cells (NaN), are left alone.
pub fn suppress_sparse_cells(
    grid: &mut Grid,
    xy: &[[f64; 2]],
    kernel: Kernel,
    bandwidth_m: f64,
    min_count: u32,
) -> usize {
    if min_count <= 1 {
        return 0;
    }
    let finite: Vec<[f64; 2]> = xy
        .iter()
        .copied()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    let tree = RTree::bulk_load(finite);
    let reach = kernel.reach_m(bandwidth_m);
    let mut zeroed = 0;
    for iy in 0..grid.ny {
        for ix in 0..grid.nx {
            let i = grid.index(ix, iy);
            // Zero and no-data (NaN, outside the study area) stay as they are.
            if grid.values[i].is_nan() || grid.values[i] <= 0.0 {
                continue;
            }
            let c = grid.cell_center(ix, iy);
            let reaching = tree
                .locate_within_distance(c, reach * reach)
                .filter(|p| {
                    let d2 = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
                    kernel.value_per_m2(bandwidth_m, d2) > 0.0
                })
                .take(min_count as usize)
                .count();
            if reaching < min_count as usize {
                grid.values[i] = 0.0;
                zeroed += 1;
            }
        }
    }
    zeroed
}

/// [`suppress_sparse_cells`] on a heatmap the analysis engine computed from
/// `loaded` (its incidents, less those outside its study area); returns how
/// many cells were zeroed. The command line and the app both call it.
pub fn suppress_heatmap(
    heatmap: &mut crate::analysis::Heatmap,
    loaded: &crate::analysis::engine::Loaded,
    min_count: u32,
) -> usize {
    let used: Vec<[f64; 2]> = loaded
        .xy()
        .into_iter()
        .filter(|p| loaded.area.as_ref().is_none_or(|a| a.contains(*p)))
        .collect();
    let (kernel, bandwidth_m) = (heatmap.params.kernel, heatmap.params.bandwidth_m);
    suppress_sparse_cells(&mut heatmap.grid, &used, kernel, bandwidth_m, min_count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::heatmap::{HeatmapParams, heatmap};
    use crate::jobs::CancelToken;

    #[test]
    fn an_isolated_incident_leaves_no_trace_and_a_group_of_three_stays() {
        // Three together, one alone 3 km away.
        let xy = [
            [500_000.0, 6_200_000.0],
            [500_020.0, 6_200_010.0],
            [500_010.0, 6_200_030.0],
            [503_000.0, 6_200_000.0],
        ];
        let params = HeatmapParams {
            bandwidth_m: 200.0,
            cell_m: Some(20.0),
            ..HeatmapParams::default()
        };
        let mut h = heatmap(&xy, &[], &params, &CancelToken::new()).unwrap();
        let alone = h.grid.cell_of(xy[3]).unwrap();
        let group = h.grid.cell_of(xy[0]).unwrap();
        assert!(h.grid.get(alone.0, alone.1) > 0.0);
        let zeroed = suppress_sparse_cells(&mut h.grid, &xy, Kernel::Quartic, 200.0, 3);
        assert!(zeroed > 0);
        assert_eq!(h.grid.get(alone.0, alone.1), 0.0);
        assert!(h.grid.get(group.0, group.1) > 0.0);
        // Nowhere within the lone incident's reach is anything left.
        for iy in 0..h.grid.ny {
            for ix in 0..h.grid.nx {
                let c = h.grid.cell_center(ix, iy);
                if (c[0] - xy[3][0]).hypot(c[1] - xy[3][1]) < 200.0 {
                    assert_eq!(h.grid.get(ix, iy), 0.0);
                }
            }
        }
        // No-data cells (outside a study area) stay no-data.
        let mut nodata = h.grid.clone();
        nodata.values[0] = f64::NAN;
        suppress_sparse_cells(&mut nodata, &xy, Kernel::Quartic, 200.0, 3);
        assert!(nodata.values[0].is_nan());
        // min_count 1 keeps everything.
        let mut again = heatmap(&xy, &[], &params, &CancelToken::new()).unwrap();
        assert_eq!(
            suppress_sparse_cells(&mut again.grid, &xy, Kernel::Quartic, 200.0, 1),
            0
        );
    }
}
