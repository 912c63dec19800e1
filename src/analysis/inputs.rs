//! The user's own files an analysis reads: a study area (polygons) and
//! candidate places (points), both read by the one GeoJSON reader
//! ([`crate::import::shapes::read_features`]: RFC 7946 WGS84, or another
//! system the old `crs` member names) and projected to SWEREF 99 TM. Used by
//! the command line (`--area`, `--candidates`) and the app alike.

use std::path::Path;

use geo::MultiPolygon;

use crate::analysis::{Candidate, StudyArea};
use crate::crs::sweref_from_wgs84;
use crate::model::LonLat;
use crate::model::shape::FeatureSet;

/// Why an input file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Read(#[from] crate::import::ImportError),
    /// Read, but not what the analysis needs; names the file and the feature.
    #[error("{path}: {reason}")]
    Content { path: String, reason: String },
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}

/// Reads a study area: every Polygon and MultiPolygon of the file, together.
pub fn read_area(path: &Path) -> Result<StudyArea, InputError> {
    let set = crate::import::shapes::read_features(path, None)?;
    area_from_features(&set, &file_label(path)).map_err(|reason| InputError::Content {
        path: path.display().to_string(),
        reason,
    })
}

/// Reads candidate places: Point features, named by a `name` or `namn` property.
pub fn read_candidates(path: &Path) -> Result<Vec<Candidate>, InputError> {
    let set = crate::import::shapes::read_features(path, None)?;
    candidates_from_features(&set).map_err(|reason| InputError::Content {
        path: path.display().to_string(),
        reason,
    })
}

/// The study area of a feature set's polygons (WGS84), labelled `source`.
pub fn area_from_features(set: &FeatureSet, source: &str) -> Result<StudyArea, String> {
    let polygons = polygons_from_features(set)?;
    StudyArea::from_wgs84(&polygons, source).map_err(|e| e.to_string())
}

/// Reads an area file's polygons as they are (WGS84), e.g. a measure's area.
pub fn read_polygons(path: &Path) -> Result<MultiPolygon<f64>, InputError> {
    let set = crate::import::shapes::read_features(path, None)?;
    polygons_from_features(&set).map_err(|reason| InputError::Content {
        path: path.display().to_string(),
        reason,
    })
}

/// Every Polygon and MultiPolygon of a feature set (WGS84), together; any
/// other geometry is an error naming the feature.
pub fn polygons_from_features(set: &FeatureSet) -> Result<MultiPolygon<f64>, String> {
    let mut parts = Vec::new();
    for (i, f) in set.features.iter().enumerate() {
        match &f.geometry {
            geo::Geometry::Polygon(p) => parts.push(p.clone()),
            geo::Geometry::MultiPolygon(m) => parts.extend(m.0.iter().cloned()),
            other => {
                return Err(format!(
                    "feature {}: geometry type {} is not an area",
                    i + 1,
                    geometry_name(other)
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err("no polygon: a study area needs Polygon or MultiPolygon features".into());
    }
    Ok(MultiPolygon(parts))
}

/// Candidate places of a feature set's points (WGS84).
pub fn candidates_from_features(set: &FeatureSet) -> Result<Vec<Candidate>, String> {
    let mut out = Vec::new();
    for (i, f) in set.features.iter().enumerate() {
        let geo::Geometry::Point(p) = &f.geometry else {
            return Err(format!(
                "feature {}: geometry type {} is not a place",
                i + 1,
                geometry_name(&f.geometry)
            ));
        };
        let s = sweref_from_wgs84(LonLat::new(p.x(), p.y()));
        if !(s.easting.is_finite() && s.northing.is_finite()) {
            return Err(format!(
                "feature {}: position ({}, {}) cannot be converted to SWEREF 99 TM",
                i + 1,
                p.x(),
                p.y()
            ));
        }
        let name = ["name", "namn"]
            .iter()
            .find_map(|k| f.properties.get(*k))
            .and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.trim().to_owned()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty());
        out.push(Candidate {
            xy: [s.easting, s.northing],
            name,
        });
    }
    if out.is_empty() {
        return Err("no candidate place: the file has no Point feature".into());
    }
    Ok(out)
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::Polygon(_) => "Polygon",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        geo::Geometry::Rect(_) => "Rect",
        geo::Geometry::Triangle(_) => "Triangle",
    }
}

/// A study area kept by earlier versions: the text of the GeoJSON file it
/// was read from (legacy `crs` members included), read by the one reader.
pub fn area_from_geojson_text(text: &str, source: &str) -> Result<StudyArea, String> {
    let set = crate::import::shapes::parse_features(Path::new(source), text.as_bytes(), None)
        .map_err(|e| e.to_string())?;
    area_from_features(&set, source)
}

/// [`StudyArea::source`] of [`default_boundary`]; the app warns that it is coarse.
pub const DEFAULT_BOUNDARY_SOURCE: &str = "data/solvesborgs_kommun.geojson (coarse)";

/// The default study area shipped in `data/`: Sölvesborgs kommun's
/// boundary, coarse (simplified to 2 %, off by up to a few hundred metres
/// along the coast; see `data/README.md`), read by the one reader.
pub fn default_boundary() -> StudyArea {
    let text = include_str!("../../data/solvesborgs_kommun.geojson");
    area_from_geojson_text(text, DEFAULT_BOUNDARY_SOURCE)
        .expect("the shipped boundary is a valid polygon in Sweden")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_boundary_is_soelvesborg() {
        let a = default_boundary();
        // data/README.md: bounding box 14.532–14.864 E, 55.985–56.208 N.
        let ll = a.to_wgs84();
        let r = geo::BoundingRect::bounding_rect(&ll).unwrap();
        let near = |v: f64, want: f64| (v - want).abs() < 0.001;
        assert!(near(r.min().x, 14.532) && near(r.max().x, 14.864), "{r:?}");
        assert!(near(r.min().y, 55.985) && near(r.max().y, 56.208), "{r:?}");
        assert_eq!(a.polygons.0.len(), 1);
        assert_eq!(a.polygons.0[0].exterior().0.len(), 111);
        // A point inside, and one east of its box, are told apart.
        let inner = geo::InteriorPoint::interior_point(&a.polygons).unwrap();
        assert!(a.contains([inner.x(), inner.y()]));
        let (_, max) = a.bounds();
        assert!(!a.contains([max[0] + 1000.0, inner.y()]));
    }
}
