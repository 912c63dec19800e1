//! Shapes: points, lines and polygons in WGS84, e.g. a municipality's
//! boundary, patrol areas or a partner's layer shown beside the incidents.
//! Read from GeoJSON by [`crate::import::shapes`]; kept in the project by
//! [`crate::store::overlays`].

use serde::{Deserialize, Serialize};

use super::LonLat;

/// One feature of a map layer: a `geo` geometry in WGS84 (x = longitude,
/// y = latitude) and the feature's attributes as they came from the file.
///
/// This is the core's one in-memory form of a layer feature: readers
/// ([`crate::import::shapes`]) produce it, the project's layer tables store it
/// and the map draws it. Anything measured is first projected to SWEREF 99 TM.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub geometry: geo::Geometry<f64>,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// The features of one layer (one file or one layer table).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    /// The layer's name, e.g. the file name without extension.
    pub name: String,
    pub features: Vec<Feature>,
}

/// One geometry in WGS84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum ShapeGeometry {
    Point(LonLat),
    LineString(Vec<LonLat>),
    /// Exterior ring first, then holes; each ring closed (first = last).
    Polygon(Vec<Vec<LonLat>>),
}

/// One shape and the label of the feature it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub label: Option<String>,
    pub geometry: ShapeGeometry,
}

/// The shapes of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shapes {
    /// The layer's name: the file name without extension.
    pub name: String,
    pub shapes: Vec<Shape>,
}

impl Shapes {
    /// Lower-left and upper-right corner of all vertices.
    pub fn extent(&self) -> Option<(LonLat, LonLat)> {
        let mut all = self.shapes.iter().flat_map(|s| s.geometry.vertices());
        let first = *all.next()?;
        Some(all.fold((first, first), |(lo, hi), p| {
            (
                LonLat::new(lo.lon.min(p.lon), lo.lat.min(p.lat)),
                LonLat::new(hi.lon.max(p.lon), hi.lat.max(p.lat)),
            )
        }))
    }

    /// Total number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.shapes
            .iter()
            .map(|s| s.geometry.vertices().count())
            .sum()
    }
}

impl ShapeGeometry {
    /// Every vertex, rings and lines in order.
    pub fn vertices(&self) -> Box<dyn Iterator<Item = &LonLat> + '_> {
        match self {
            ShapeGeometry::Point(p) => Box::new(std::iter::once(p)),
            ShapeGeometry::LineString(line) => Box::new(line.iter()),
            ShapeGeometry::Polygon(rings) => Box::new(rings.iter().flatten()),
        }
    }
}
