//! Shape layers kept in the project: GeoJSON layers the user added to the
//! map (a municipality's boundary, areas drawn in QGIS, a partner's layer).
//!
//! They live in the project's metadata as one JSON list of GeoJSON
//! FeatureCollections (each named by its `name` member), so they travel with
//! the project file and any [`Store`] (a later PostGIS store too) keeps them.
//! Lists written before layers were [`FeatureSet`]s (`{"name", "shapes"}`
//! entries) are still read. Each change rewrites the list in one transaction.

use std::path::PathBuf;

use super::{Store, StoreError};
use crate::model::LonLat;
use crate::model::shape::{Feature, FeatureSet};

/// The metadata key holding the list.
pub const OVERLAYS_KEY: &str = "overlays";

/// The project's shape layers, in the order they were added.
pub fn overlays<S: Store + ?Sized>(store: &S) -> Result<Vec<FeatureSet>, StoreError> {
    let Some(text) = store.metadata(OVERLAYS_KEY)? else {
        return Ok(Vec::new());
    };
    let corrupt = |e: String| StoreError::Corrupt {
        path: PathBuf::from(store.info().map(|i| i.location).unwrap_or_default()),
        reason: format!("the stored map layers cannot be read: {e}"),
    };
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    list.into_iter()
        .map(|entry| {
            if entry.get("shapes").is_some() {
                serde_json::from_value::<legacy::Shapes>(entry)
                    .map(FeatureSet::from)
                    .map_err(|e| e.to_string())
            } else {
                serde_json::from_value::<geojson::FeatureCollection>(entry)
                    .map_err(|e| e.to_string())
                    .and_then(FeatureSet::from_feature_collection)
            }
        })
        .collect::<Result<_, _>>()
        .map_err(corrupt)
}

/// Adds `shapes` as a layer, replacing a layer of the same name.
pub fn add_overlay<S: Store + ?Sized>(store: &mut S, shapes: FeatureSet) -> Result<(), StoreError> {
    let mut list = overlays(store)?;
    match list.iter_mut().find(|l| l.name == shapes.name) {
        Some(same) => *same = shapes,
        None => list.push(shapes),
    }
    save(store, &list)
}

/// Removes the layer named `name`; false when there was none.
pub fn remove_overlay<S: Store + ?Sized>(store: &mut S, name: &str) -> Result<bool, StoreError> {
    let mut list = overlays(store)?;
    let before = list.len();
    list.retain(|l| l.name != name);
    if list.len() == before {
        return Ok(false);
    }
    save(store, &list)?;
    Ok(true)
}

fn save<S: Store + ?Sized>(store: &mut S, list: &[FeatureSet]) -> Result<(), StoreError> {
    let collections: Vec<_> = list.iter().map(FeatureSet::to_feature_collection).collect();
    let text = serde_json::to_string(&collections).map_err(|e| StoreError::Corrupt {
        path: PathBuf::from(store.info().map(|i| i.location).unwrap_or_default()),
        reason: format!("map layers cannot be written: {e}"),
    })?;
    store.set_metadata(OVERLAYS_KEY, &text)
}

/// The stored form before layers were [`FeatureSet`]s.
mod legacy {
    use serde::Deserialize;

    use super::{Feature, FeatureSet, LonLat};

    #[derive(Deserialize)]
    #[serde(tag = "type", content = "coordinates")]
    enum ShapeGeometry {
        Point(LonLat),
        LineString(Vec<LonLat>),
        Polygon(Vec<Vec<LonLat>>),
    }

    #[derive(Deserialize)]
    struct Shape {
        label: Option<String>,
        geometry: ShapeGeometry,
    }

    #[derive(Deserialize)]
    pub(super) struct Shapes {
        name: String,
        shapes: Vec<Shape>,
    }

    fn line(points: Vec<LonLat>) -> geo::LineString<f64> {
        points
            .into_iter()
            .map(|p| geo::coord! { x: p.lon, y: p.lat })
            .collect()
    }

    impl From<Shapes> for FeatureSet {
        fn from(old: Shapes) -> FeatureSet {
            let features = old
                .shapes
                .into_iter()
                .map(|s| {
                    let geometry = match s.geometry {
                        ShapeGeometry::Point(p) => geo::Point::new(p.lon, p.lat).into(),
                        ShapeGeometry::LineString(l) => line(l).into(),
                        ShapeGeometry::Polygon(rings) => {
                            let mut rings = rings.into_iter().map(line);
                            let exterior = rings.next().unwrap_or_else(|| line(Vec::new()));
                            geo::Polygon::new(exterior, rings.collect()).into()
                        }
                    };
                    let mut properties = serde_json::Map::new();
                    if let Some(label) = s.label {
                        properties.insert("name".to_owned(), label.into());
                    }
                    Feature {
                        geometry,
                        properties,
                    }
                })
                .collect();
            FeatureSet {
                name: old.name,
                features,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Project;

    fn layer(name: &str, lon: f64) -> FeatureSet {
        let mut properties = serde_json::Map::new();
        properties.insert("namn".to_owned(), "Stortorget".into());
        FeatureSet {
            name: name.to_owned(),
            features: vec![Feature {
                geometry: geo::Point::new(lon, 56.05).into(),
                properties,
            }],
        }
    }

    #[test]
    fn layers_are_kept_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut project = Project::create(&path, "Test").unwrap();
        assert!(overlays(&project).unwrap().is_empty());
        add_overlay(&mut project, layer("a", 14.58)).unwrap();
        add_overlay(&mut project, layer("b", 14.59)).unwrap();
        add_overlay(&mut project, layer("a", 14.60)).unwrap();
        drop(project);

        let mut project = Project::open(&path).unwrap();
        let list = overlays(&project).unwrap();
        assert_eq!(
            list.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(list[0], layer("a", 14.60));
        assert!(remove_overlay(&mut project, "a").unwrap());
        assert!(!remove_overlay(&mut project, "a").unwrap());
        assert_eq!(overlays(&project).unwrap(), [layer("b", 14.59)]);
    }

    #[test]
    fn lists_stored_before_feature_sets_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::create(&dir.path().join("p.gpkg"), "Test").unwrap();
        let old = r#"[{"name":"gammal","shapes":[
            {"label":"Torget","geometry":{"type":"Point","coordinates":{"lon":14.58,"lat":56.05}}},
            {"label":null,"geometry":{"type":"Polygon","coordinates":[[{"lon":14.5,"lat":56.0},{"lon":14.6,"lat":56.0},{"lon":14.6,"lat":56.1},{"lon":14.5,"lat":56.0}]]}}]}]"#;
        project.set_metadata(OVERLAYS_KEY, old).unwrap();
        let list = overlays(&project).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "gammal");
        assert_eq!(
            list[0].features[0].geometry,
            geo::Point::new(14.58, 56.05).into()
        );
        assert_eq!(list[0].features[0].properties["name"], "Torget");
        let geo::Geometry::Polygon(p) = &list[0].features[1].geometry else {
            panic!()
        };
        assert_eq!(p.exterior().0.len(), 4);
        // Rewritten in the new form when the list changes.
        add_overlay(&mut project, layer("ny", 14.6)).unwrap();
        let list = overlays(&project).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1], layer("ny", 14.6));
    }

    #[test]
    fn a_damaged_list_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::create(&dir.path().join("p.gpkg"), "Test").unwrap();
        project.set_metadata(OVERLAYS_KEY, "{not json").unwrap();
        let err = overlays(&project).unwrap_err().to_string();
        assert!(err.contains("stored map layers cannot be read"), "{err}");
    }
}
