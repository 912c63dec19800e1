//! Map layers kept in the project: a municipality's boundary, areas drawn in
//! QGIS, a partner's layer, shown on the map beside the incidents.
//!
//! Each layer is a feature table of the project (in the GeoPackage: a table
//! registered in `gpkg_contents` and `gpkg_geometry_columns`, WGS 84, with an
//! R-tree index, so QGIS and GDAL list it), its attributes typed columns, and
//! its style (colour, opacity, visibility, drawing order) a row of the app's
//! own table. This module holds what every [`super::Store`] shares: the types,
//! the name rules and the default colours; the SQL lives in
//! `store::gpkg::layers`.
//!
//! Adding a layer whose name is taken by a layer replaces its features and
//! keeps its style and place (what a user who re-adds an updated boundary
//! file expects); a name taken by any other table is refused.

use serde::{Deserialize, Serialize};

use crate::model::LonLat;

/// The metadata key under which projects of schema version 1 kept their map
/// layers as one JSON list; migration 2 moves them into tables.
pub const LEGACY_OVERLAYS_KEY: &str = "overlays";

/// Layer colours, in the order layers are added (sRGB): dark, saturated
/// tones that stay apart from the incident palette and read on OSM tiles.
pub const PALETTE: [[u8; 3]; 6] = [
    [94, 60, 153],  // purple
    [27, 120, 55],  // green
    [140, 81, 10],  // brown
    [33, 102, 172], // blue
    [197, 27, 125], // magenta
    [64, 64, 64],   // grey
];

/// How a layer is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerStyle {
    /// sRGB colour of lines, points and (lighter) fills.
    pub color: [u8; 3],
    /// 0 (transparent) to 1 (opaque).
    pub opacity: f32,
    pub visible: bool,
    /// Drawing order: lower first (further down).
    pub order: i64,
}

impl LayerStyle {
    /// The style a new layer gets as the `index`-th layer (0-based).
    pub fn nth(index: usize) -> LayerStyle {
        LayerStyle {
            color: PALETTE[index % PALETTE.len()],
            opacity: 1.0,
            visible: true,
            order: index as i64,
        }
    }

    /// The colour as `#rrggbb`.
    pub fn color_hex(&self) -> String {
        let [r, g, b] = self.color;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// Parses `#rrggbb`.
    pub fn parse_color(text: &str) -> Option<[u8; 3]> {
        let hex = text.strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some([byte(0)?, byte(2)?, byte(4)?])
    }
}

/// One map layer of the project, without its features.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    /// The layer's name, which is also its table name.
    pub name: String,
    /// GeoPackage geometry type: POINT, POLYGON, …, or GEOMETRY when mixed.
    pub geometry_type: String,
    pub feature_count: u64,
    /// The attribute columns, in table order.
    pub columns: Vec<String>,
    /// Lower-left and upper-right corner (WGS 84).
    pub extent: Option<(LonLat, LonLat)>,
    pub style: LayerStyle,
    /// The file it was added from (its file name).
    pub source: String,
}

/// Names a layer cannot have (case-insensitive): the incident table and the
/// prefixes of GeoPackage, SQLite and app tables.
const RESERVED_PREFIXES: [&str; 4] = ["gpkg_", "rtree_", "sqlite_", "lagesbild_"];

/// Longest layer name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Why `name` cannot name a layer, or `None` when it can.
pub fn name_problem(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    if name.trim().is_empty() {
        Some("the layer name is empty".to_owned())
    } else if name.trim() != name {
        Some(format!(
            "the layer name {name:?} starts or ends with a space"
        ))
    } else if name.chars().any(char::is_control) {
        Some(format!("the layer name {name:?} holds a control character"))
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some(format!(
            "the layer name is longer than {MAX_NAME_CHARS} characters"
        ))
    } else if lower == "incidents" || RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        Some(format!(
            "{name:?} is reserved for the project's own tables; choose another --name"
        ))
    } else {
        None
    }
}

/// A usable layer name made from `name` (e.g. a file stem or a layer of an
/// old project): control characters dropped, trimmed, shortened, and
/// prefixed when reserved; `"layer"` when nothing is left.
pub fn usable_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).collect();
    let mut out: String = cleaned.trim().chars().take(MAX_NAME_CHARS - 6).collect();
    out = out.trim().to_owned();
    if out.is_empty() {
        return "layer".to_owned();
    }
    if name_problem(&out).is_some() {
        out = format!("layer {out}");
    }
    out
}

/// The layer list as projects of schema version 1 stored it under
/// [`LEGACY_OVERLAYS_KEY`], read only by the migration: a JSON list whose
/// entries are `{"name", "shapes": [{"label", "geometry"}]}`, as released
/// versions wrote it (a shape's label becomes the attribute `name`).
pub(crate) mod legacy {
    use serde::Deserialize;

    use crate::model::LonLat;
    use crate::model::shape::{Feature, FeatureSet};

    #[derive(Deserialize)]
    struct Layer {
        name: String,
        shapes: Vec<Shape>,
    }

    #[derive(Deserialize)]
    struct Shape {
        label: Option<String>,
        geometry: Geometry,
    }

    #[derive(Deserialize)]
    #[serde(tag = "type", content = "coordinates")]
    enum Geometry {
        Point(LonLat),
        LineString(Vec<LonLat>),
        Polygon(Vec<Vec<LonLat>>),
    }

    fn line(points: &[LonLat]) -> geo::LineString<f64> {
        points.iter().map(|p| (p.lon, p.lat)).collect()
    }

    impl Geometry {
        fn to_geo(&self) -> geo::Geometry<f64> {
            match self {
                Geometry::Point(p) => geo::Point::new(p.lon, p.lat).into(),
                Geometry::LineString(points) => line(points).into(),
                Geometry::Polygon(rings) => {
                    let mut rings = rings.iter().map(|r| line(r));
                    let exterior = rings.next().unwrap_or_else(|| line(&[]));
                    geo::Polygon::new(exterior, rings.collect()).into()
                }
            }
        }
    }

    /// One entry of the stored list as a layer.
    pub fn feature_set(entry: serde_json::Value) -> Result<FeatureSet, String> {
        let layer: Layer = serde_json::from_value(entry).map_err(|e| e.to_string())?;
        Ok(FeatureSet {
            name: layer.name,
            features: layer
                .shapes
                .iter()
                .map(|s| Feature {
                    geometry: s.geometry.to_geo(),
                    properties: s
                        .label
                        .iter()
                        .map(|l| ("name".to_owned(), serde_json::Value::from(l.as_str())))
                        .collect(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_problem("Sölvesborgs kommun"), None);
        assert_eq!(name_problem("trygghetsområden 2025"), None);
        for bad in [
            "",
            " a",
            "a ",
            "in\ncidents",
            "incidents",
            "Incidents",
            "gpkg_x",
            "RTREE_a",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&"x".repeat(101)).is_some());
        assert_eq!(usable_name(" a\tb "), "ab");
        assert_eq!(usable_name("incidents"), "layer incidents");
        assert_eq!(usable_name("\n"), "layer");
        assert!(name_problem(&usable_name(&"y".repeat(500))).is_none());
    }

    #[test]
    fn colours() {
        let s = LayerStyle::nth(7);
        assert_eq!(s.color, PALETTE[1]);
        assert_eq!(s.color_hex(), "#1b7837");
        assert_eq!(LayerStyle::parse_color("#1b7837"), Some(PALETTE[1]));
        assert_eq!(LayerStyle::parse_color("1b7837"), None);
        assert_eq!(LayerStyle::parse_color("#1b78"), None);
        assert_eq!(LayerStyle::parse_color("#1b78å7"), None);
    }
}
