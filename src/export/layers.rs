//! Analysis results as [`Layer`]s: heatmap density classes (isobands),
//! hotspot cells and strategic places. Only aggregated values go in; never
//! incident descriptions or any per-incident data.

use serde_json::{Map, Value, json};

use super::isobands::isobands;
use super::{Feature, Layer, MadeFrom};
use crate::analysis::{ClassMethod, Grid, Hotspots, Places, class_breaks};

fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The density classes of `grid` for class `edges` (ascending, n + 1 edges
/// for n classes) as one MultiPolygon feature per non-empty class, with
/// properties `class` (1 = lowest), `min` and `max` (incidents per km²).
pub fn heatmap_layer(grid: &Grid, edges: &[f64], made_from: MadeFrom) -> Layer {
    let features = isobands(grid, edges)
        .into_iter()
        .map(|band| Feature {
            geometry: geo::MultiPolygon(band.polygons).into(),
            properties: props(json!({"class": band.class, "min": band.min, "max": band.max})),
        })
        .collect();
    Layer {
        name: "heatmap".to_owned(),
        title: "Heatmap density classes (incidents per km²)".to_owned(),
        features,
        made_from,
    }
}

/// Class edges for [`heatmap_layer`]: the smallest value above zero, then the
/// upper limits of `classes` quantile classes of the values above zero
/// ([`class_breaks`]). Empty when no value is above zero.
pub fn heatmap_edges(grid: &Grid, classes: usize) -> Vec<f64> {
    let positive: Vec<f64> = grid
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let Some(min) = positive.iter().copied().reduce(f64::min) else {
        return Vec::new();
    };
    let breaks = class_breaks(&positive, classes, ClassMethod::Quantiles);
    std::iter::once(min).chain(breaks).collect()
}

/// Options of [`hotspot_layer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotspotExport {
    /// Every cell of the grid, not only the significant ones.
    pub all_cells: bool,
    /// Cells with fewer incidents than this carry neither `count` nor `z`
    /// nor `p` (z is linear in the counts and p a function of z, so either
    /// would give the count back); they keep `class`. Default 3.
    pub min_count: u32,
}

impl Default for HotspotExport {
    fn default() -> Self {
        HotspotExport {
            all_cells: false,
            min_count: 3,
        }
    }
}

/// One Polygon feature per hotspot cell (by default only significant
/// cells) with properties `ix`, `iy`, `count`, `z`, `p`, `class`
/// ([`HotspotClass::key`](crate::analysis::HotspotClass::key)); see
/// [`HotspotExport`] for what small cells leave out.
pub fn hotspot_layer(h: &Hotspots, options: HotspotExport, made_from: MadeFrom) -> Layer {
    let features = h
        .cells
        .iter()
        .filter(|c| options.all_cells || c.class.is_significant())
        .map(|c| {
            let (lo, hi) = h.cell_bounds(c.ix, c.iy);
            // Counter-clockwise from the lower-left corner.
            let ring = geo::LineString::from(vec![
                (lo[0], lo[1]),
                (hi[0], lo[1]),
                (hi[0], hi[1]),
                (lo[0], hi[1]),
                (lo[0], lo[1]),
            ]);
            let mut p = props(json!({"ix": c.ix, "iy": c.iy}));
            if c.count >= options.min_count {
                p.insert("count".into(), json!(c.count));
                p.insert("z".into(), finite(c.z));
                p.insert("p".into(), finite(c.p));
            }
            p.insert("class".into(), json!(c.class.key()));
            Feature {
                geometry: geo::Polygon::new(ring, vec![]).into(),
                properties: p,
            }
        })
        .collect();
    Layer {
        name: "hotspots".to_owned(),
        title: "Hotspots (Getis–Ord Gi*)".to_owned(),
        features,
        made_from,
    }
}

fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

/// One Point feature per chosen place with properties `rank`, `covered`,
/// `gain`, `share` (of all incidents, covered by this place) and `name` when
/// the place has one.
pub fn places_layer(places: &Places, made_from: MadeFrom) -> Layer {
    let features = places
        .places
        .iter()
        .map(|p| {
            let share = if places.total > 0.0 {
                p.covered / places.total
            } else {
                0.0
            };
            let mut m = props(json!({
                "rank": p.rank,
                "covered": p.covered,
                "gain": p.gain,
                "share": share,
            }));
            if let Some(name) = &p.name {
                m.insert("name".into(), json!(name));
            }
            Feature {
                geometry: geo::Point::new(p.xy[0], p.xy[1]).into(),
                properties: m,
            }
        })
        .collect();
    Layer {
        name: "places".to_owned(),
        title: "Strategic places for host presence".to_owned(),
        features,
        made_from,
    }
}
