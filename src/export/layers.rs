//! Analysis results as [`Layer`]s: heatmap density classes (isobands),
//! hotspot cells and strategic places. Only aggregated values go in; never
//! incident descriptions or any per-incident data.

use serde_json::{Map, Value, json};

use super::isobands::isobands;
use super::{Feature, Geometry, Layer, MadeFrom};
use crate::analysis::Grid;

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
            geometry: Geometry::MultiPolygon(band.polygons),
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
