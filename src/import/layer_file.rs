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
    let mut set = super::shapes::read_features(path, None)?;
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
