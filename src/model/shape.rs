//! Layer features: points, lines and polygons in WGS84, e.g. a municipality's
//! boundary, patrol areas or a partner's layer shown beside the incidents.
//! Read from GeoJSON by [`crate::import::shapes`]; kept in the project by
//! the [`crate::store::Store`] as feature tables (see [`crate::store::layers`]); drawn by the app's map.

use geo::{BoundingRect as _, CoordsIter as _};

/// One feature of a map layer: a `geo` geometry in WGS84 (x = longitude,
/// y = latitude) and the feature's attributes as they came from the file.
/// The exports use the same type with SWEREF 99 TM metres
/// ([`crate::export::Layer`] says so).
///
/// This is the core's one in-memory form of a layer feature: readers
/// ([`crate::import::shapes`]) produce it, the project's layer tables store it
/// and the map draws it. Anything measured is first projected to SWEREF 99 TM
/// ([`crate::crs::sweref_from_wgs84_geometry`]).
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

impl FeatureSet {
    /// The WGS84 box around every vertex (`None` for no features).
    pub fn extent(&self) -> Option<geo::Rect<f64>> {
        self.features
            .iter()
            .filter_map(|f| f.geometry.bounding_rect())
            .reduce(|a, b| {
                geo::Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            })
    }

    /// Total number of vertices (a closed ring counts its closing vertex).
    pub fn vertex_count(&self) -> usize {
        self.features
            .iter()
            .map(|f| f.geometry.coords_count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, line_string, point};

    #[test]
    fn extent_and_vertex_count_cover_every_feature() {
        let set = FeatureSet {
            name: "t".into(),
            features: vec![
                Feature {
                    geometry: Geometry::Point(point!(x: 14.6, y: 56.1)),
                    properties: serde_json::json!({"namn": "Stortorget", "nr": 3})
                        .as_object()
                        .cloned()
                        .unwrap(),
                },
                Feature {
                    geometry: Geometry::LineString(
                        line_string![(x: 14.58, y: 56.05), (x: 14.59, y: 56.06)],
                    ),
                    properties: Default::default(),
                },
            ],
        };
        let r = set.extent().unwrap();
        assert_eq!(
            (r.min().x, r.min().y, r.max().x, r.max().y),
            (14.58, 56.05, 14.6, 56.1)
        );
        assert_eq!(set.vertex_count(), 3);
        let empty = FeatureSet {
            name: "e".into(),
            features: vec![],
        };
        assert_eq!(empty.extent(), None);
    }
}
