//! Reading a file the user adds as map layers: a GeoJSON file is one layer
//! (read by [`crate::import::shapes::read_features`]), a GeoPackage one layer
//! per feature table (read by [`crate::store::gpkg::layers::read_gpkg_file`]).

use std::path::Path;

use super::ImportError;
use crate::model::shape::FeatureSet;
use crate::store::StoreError;
use crate::store::layers::{name_problem, usable_name};

/// The layers in `path`. For GeoJSON, `name` names the layer (default: the
/// file name without extension, made usable); for a GeoPackage it picks the
/// one feature table to read (default: all but a project's own tables).
pub fn read_layer_file(path: &Path, name: Option<&str>) -> Result<Vec<FeatureSet>, ImportError> {
    let is_gpkg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    if is_gpkg {
        return Ok(crate::store::gpkg::layers::read_gpkg_file(path, name)?);
    }
    let mut set = read_geojson(path)?;
    set.name = match name {
        Some(n) => {
            if let Some(reason) = name_problem(n) {
                return Err(ImportError::Store(StoreError::InvalidLayer {
                    path: path.to_owned(),
                    reason,
                }));
            }
            n.to_owned()
        }
        None => usable_name(&set.name),
    };
    Ok(vec![set])
}

/// TEMPORARY until `shapes::read_features` (helper geom) lands.
fn read_geojson(path: &Path) -> Result<FeatureSet, ImportError> {
    use crate::model::shape::{Feature, ShapeGeometry};
    let shapes = super::shapes::read_shapes(path, None)?;
    let line = |l: &[crate::model::LonLat]| -> geo::LineString<f64> {
        l.iter().map(|p| (p.lon, p.lat)).collect()
    };
    Ok(FeatureSet {
        name: shapes.name.clone(),
        features: shapes
            .shapes
            .iter()
            .map(|s| Feature {
                geometry: match &s.geometry {
                    ShapeGeometry::Point(p) => geo::Point::new(p.lon, p.lat).into(),
                    ShapeGeometry::LineString(l) => line(l).into(),
                    ShapeGeometry::Polygon(r) => {
                        geo::Polygon::new(line(&r[0]), r[1..].iter().map(|x| line(x)).collect())
                            .into()
                    }
                },
                properties: s
                    .label
                    .iter()
                    .map(|l| ("namn".to_owned(), serde_json::Value::from(l.as_str())))
                    .collect(),
            })
            .collect(),
    })
}
