//! Shape layers kept in the project: GeoJSON layers the user added to the
//! map (a municipality's boundary, areas drawn in QGIS, a partner's layer).
//!
//! They live in the project's metadata as one JSON list, so they travel with
//! the project file and any [`Store`] (a later PostGIS store too) keeps them.
//! Each change rewrites the list in one transaction.

use std::path::PathBuf;

use super::{Store, StoreError};
use crate::model::shape::Shapes;

/// The metadata key holding the list.
pub const OVERLAYS_KEY: &str = "overlays";

/// The project's shape layers, in the order they were added.
pub fn overlays<S: Store + ?Sized>(store: &S) -> Result<Vec<Shapes>, StoreError> {
    match store.metadata(OVERLAYS_KEY)? {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: PathBuf::from(store.info().map(|i| i.location).unwrap_or_default()),
            reason: format!("the stored map layers cannot be read: {e}"),
        }),
    }
}

/// Adds `shapes` as a layer, replacing a layer of the same name.
pub fn add_overlay<S: Store + ?Sized>(store: &mut S, shapes: Shapes) -> Result<(), StoreError> {
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

fn save<S: Store + ?Sized>(store: &mut S, list: &[Shapes]) -> Result<(), StoreError> {
    let text = serde_json::to_string(list).map_err(|e| StoreError::Corrupt {
        path: PathBuf::from(store.info().map(|i| i.location).unwrap_or_default()),
        reason: format!("map layers cannot be written: {e}"),
    })?;
    store.set_metadata(OVERLAYS_KEY, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;
    use crate::model::shape::{Shape, ShapeGeometry};
    use crate::store::Project;

    fn layer(name: &str, lon: f64) -> Shapes {
        Shapes {
            name: name.to_owned(),
            shapes: vec![Shape {
                label: Some("Stortorget".to_owned()),
                geometry: ShapeGeometry::Point(LonLat::new(lon, 56.05)),
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
    fn a_damaged_list_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::create(&dir.path().join("p.gpkg"), "Test").unwrap();
        project.set_metadata(OVERLAYS_KEY, "{not json").unwrap();
        let err = overlays(&project).unwrap_err().to_string();
        assert!(err.contains("stored map layers cannot be read"), "{err}");
    }
}
