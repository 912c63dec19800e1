//! Reading GeoJSON files of shapes: points, lines and polygons such as a
//! municipality's boundary, patrol areas drawn in QGIS, a list of named
//! places, or a partner's layer to show beside the incidents.
//!
//! Unlike the incident importer, one bad feature makes the whole file an
//! error (naming the file, the line and the reason): a layer with holes in it
//! would mislead. Coordinates are WGS84 longitude, latitude (RFC 7946) unless
//! the caller names a coordinate system or the file carries the legacy `crs`
//! member (e.g. `EPSG:3006` from older QGIS exports). Multi-geometries and
//! geometry collections are split into one [`Shape`] each, keeping the
//! feature's label.

use std::path::Path;

use serde_json::Value;

use super::ImportError;
use super::geojson::{
    LineCounter, file_error, file_name, json_reason, legacy_crs, read_json_file, scan,
};
use crate::crs::{Crs, ToWgs84};
use crate::model::LonLat;
pub use crate::model::shape::{Shape, ShapeGeometry, Shapes};

/// Most vertices a shapes file may hold (all features together).
pub const MAX_VERTICES: usize = 5_000_000;

/// Property names read as a feature's label, first match wins.
const LABEL_KEYS: [&str; 6] = ["name", "namn", "Name", "NAMN", "title", "label"];

/// Reads a GeoJSON FeatureCollection (or a single Feature or geometry) of
/// shapes. `crs` overrides the file's own coordinate system.
pub fn read_shapes(path: &Path, crs: Option<Crs>) -> Result<Shapes, ImportError> {
    let bytes = read_json_file(path)?;
    let start = scan::skip_ws(&bytes, 0);
    let root = scan::object_members(&bytes, start).ok_or_else(|| {
        file_error(
            path,
            Some(1),
            "not a GeoJSON object (a FeatureCollection, Feature or geometry)".to_owned(),
        )
    })?;
    let member = |key: &str| root.iter().find(|(k, _, _)| k == key);
    let line_of = |offset: usize| LineCounter::default().line_at(&bytes, offset);

    let file_crs = match member("crs") {
        Some(&(_, s, e)) => {
            let v: Value = serde_json::from_slice(&bytes[s..e]).unwrap_or(Value::Null);
            legacy_crs(path, line_of(s), &v)?
        }
        None => None,
    };
    let to_wgs84 = match crs.or(file_crs) {
        Some(c) if !c.is_geographic() => {
            Some(ToWgs84::new(c).map_err(|e| file_error(path, None, e.to_string()))?)
        }
        _ => None,
    };
    let mut reader = ShapeReader {
        to_wgs84,
        shapes: Vec::new(),
        vertices: 0,
    };

    let root_type = member("type")
        .and_then(|&(_, s, e)| serde_json::from_slice::<Value>(&bytes[s..e]).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    match root_type.as_deref() {
        Some("FeatureCollection") => {
            let Some(&(_, fs, _)) = member("features") else {
                return Err(file_error(
                    path,
                    Some(1),
                    "the FeatureCollection has no features member".to_owned(),
                ));
            };
            let features = scan::array_elements(&bytes, fs).ok_or_else(|| {
                file_error(
                    path,
                    Some(line_of(fs)),
                    "features is not an array".to_owned(),
                )
            })?;
            let mut lines = LineCounter::default();
            for (i, &(s, e)) in features.iter().enumerate() {
                let line = lines.line_at(&bytes, s);
                let at = |reason: String| {
                    file_error(path, Some(line), format!("feature {}: {reason}", i + 1))
                };
                let value: Value =
                    serde_json::from_slice(&bytes[s..e]).map_err(|e| at(json_reason(&e)))?;
                reader.feature(&value).map_err(at)?;
            }
        }
        Some(_) => {
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| file_error(path, None, json_reason(&e)))?;
            reader
                .feature(&value)
                .map_err(|reason| file_error(path, Some(1), reason))?;
        }
        None => {
            return Err(file_error(
                path,
                Some(1),
                "not GeoJSON: the object has no type member".to_owned(),
            ));
        }
    }
    if reader.shapes.is_empty() {
        return Err(file_error(
            path,
            None,
            "the file holds no geometries".to_owned(),
        ));
    }
    let name = file_name(path);
    let name = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => name,
    };
    Ok(Shapes {
        name,
        shapes: reader.shapes,
    })
}

struct ShapeReader {
    to_wgs84: Option<ToWgs84>,
    shapes: Vec<Shape>,
    vertices: usize,
}

impl ShapeReader {
    /// A Feature, or a bare geometry.
    fn feature(&mut self, value: &Value) -> Result<(), String> {
        let Value::Object(object) = value else {
            return Err("not a JSON object".to_owned());
        };
        match object.get("type").and_then(Value::as_str) {
            Some("Feature") => {
                let label = object
                    .get("properties")
                    .and_then(Value::as_object)
                    .and_then(|props| {
                        LABEL_KEYS.iter().find_map(|k| match props.get(*k)? {
                            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                    });
                match object.get("geometry") {
                    None | Some(Value::Null) => Err("the feature has no geometry".to_owned()),
                    Some(g) => self.geometry(g, &label),
                }
            }
            Some(_) => self.geometry(value, &None),
            None => Err("the object has no type".to_owned()),
        }
    }

    fn geometry(&mut self, value: &Value, label: &Option<String>) -> Result<(), String> {
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or("the geometry has no type")?;
        if kind == "GeometryCollection" {
            let parts = value
                .get("geometries")
                .and_then(Value::as_array)
                .ok_or("the GeometryCollection has no geometries array")?;
            for part in parts {
                self.geometry(part, label)?;
            }
            return Ok(());
        }
        let coords = value
            .get("coordinates")
            .ok_or_else(|| format!("the {kind} has no coordinates"))?;
        let geometries = match kind {
            "Point" => vec![ShapeGeometry::Point(self.position(coords)?)],
            "MultiPoint" => self
                .list(coords, kind)?
                .iter()
                .map(|c| self.position(c).map(ShapeGeometry::Point))
                .collect::<Result<_, _>>()?,
            "LineString" => vec![ShapeGeometry::LineString(self.line(coords)?)],
            "MultiLineString" => self
                .list(coords, kind)?
                .iter()
                .map(|c| self.line(c).map(ShapeGeometry::LineString))
                .collect::<Result<_, _>>()?,
            "Polygon" => vec![ShapeGeometry::Polygon(self.polygon(coords)?)],
            "MultiPolygon" => self
                .list(coords, kind)?
                .iter()
                .map(|c| self.polygon(c).map(ShapeGeometry::Polygon))
                .collect::<Result<_, _>>()?,
            other => return Err(format!("geometry type {other:?} is not GeoJSON")),
        };
        for geometry in geometries {
            self.vertices += geometry.vertices().count();
            if self.vertices > MAX_VERTICES {
                return Err(format!(
                    "more than {MAX_VERTICES} vertices; simplify the layer (e.g. in QGIS) first"
                ));
            }
            self.shapes.push(Shape {
                label: label.clone(),
                geometry,
            });
        }
        Ok(())
    }

    fn list<'v>(&self, coords: &'v Value, kind: &str) -> Result<&'v Vec<Value>, String> {
        coords
            .as_array()
            .ok_or_else(|| format!("the {kind}'s coordinates are not an array"))
    }

    fn position(&self, c: &Value) -> Result<LonLat, String> {
        let (x, y) = c
            .as_array()
            .filter(|a| a.len() >= 2)
            .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)))
            .ok_or("a position is not [x, y] numbers")?;
        let p = match &self.to_wgs84 {
            Some(t) => t.convert(x, y).map_err(|e| e.to_string())?,
            None if x.abs() > 180.0 || y.abs() > 90.0 => {
                return Err(format!(
                    "coordinates ({x}, {y}) are not longitude, latitude: the file looks projected; export it as WGS84 (EPSG:4326) or name its coordinate system (e.g. EPSG:3006)"
                ));
            }
            None => LonLat::new(x, y),
        };
        if !p.is_in_sweden_region() {
            return Err(format!(
                "position (lon {:.5}, lat {:.5}) is far outside Sweden; is the coordinate system right?",
                p.lon, p.lat
            ));
        }
        Ok(p)
    }

    fn line(&self, coords: &Value) -> Result<Vec<LonLat>, String> {
        let line = self
            .list(coords, "LineString")?
            .iter()
            .map(|c| self.position(c))
            .collect::<Result<Vec<_>, _>>()?;
        if line.len() < 2 {
            return Err("a line has fewer than 2 positions".to_owned());
        }
        Ok(line)
    }

    fn polygon(&self, coords: &Value) -> Result<Vec<Vec<LonLat>>, String> {
        let rings = self.list(coords, "Polygon")?;
        if rings.is_empty() {
            return Err("a polygon has no rings".to_owned());
        }
        rings
            .iter()
            .map(|ring| {
                let ring = self.line(ring)?;
                if ring.len() < 4 || ring.first() != ring.last() {
                    return Err(
                        "a polygon ring must have at least 4 positions and end where it starts"
                            .to_owned(),
                    );
                }
                Ok(ring)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Shapes, ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("områden.geojson");
        std::fs::write(&path, text).unwrap();
        read_shapes(&path, None)
    }

    fn reason(text: &str) -> String {
        match read(text) {
            Err(ImportError::File { line, reason, .. }) => format!("{line:?} {reason}"),
            other => panic!("{other:?}"),
        }
    }

    const SQUARE: &str =
        "[[[14.58,56.05],[14.59,56.05],[14.59,56.06],[14.58,56.06],[14.58,56.05]]]";

    #[test]
    fn reads_every_geometry_type_with_labels() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[
{{"type":"Feature","properties":{{"namn":"Stortorget"}},"geometry":{{"type":"Point","coordinates":[14.583,56.0505]}}}},
{{"type":"Feature","properties":{{"name":"Runda 1"}},"geometry":{{"type":"LineString","coordinates":[[14.58,56.05],[14.59,56.06]]}}}},
{{"type":"Feature","properties":{{"id":7}},"geometry":{{"type":"MultiPolygon","coordinates":[{SQUARE},{SQUARE}]}}}},
{{"type":"Feature","properties":null,"geometry":{{"type":"GeometryCollection","geometries":[{{"type":"Point","coordinates":[14.6,56.1]}}]}}}}
]}}"#
        );
        let shapes = read(&text).unwrap();
        assert_eq!(shapes.name, "områden");
        assert_eq!(shapes.shapes.len(), 5);
        assert_eq!(shapes.shapes[0].label.as_deref(), Some("Stortorget"));
        assert_eq!(
            shapes.shapes[0].geometry,
            ShapeGeometry::Point(LonLat::new(14.583, 56.0505))
        );
        assert_eq!(shapes.shapes[1].label.as_deref(), Some("Runda 1"));
        assert!(
            matches!(shapes.shapes[2].geometry, ShapeGeometry::Polygon(ref r) if r[0].len() == 5)
        );
        assert_eq!(shapes.shapes[2].label, None);
        assert_eq!(shapes.vertex_count(), 1 + 2 + 5 + 5 + 1);
        let (lo, hi) = shapes.extent().unwrap();
        assert_eq!((lo.lon, lo.lat, hi.lon, hi.lat), (14.58, 56.05, 14.6, 56.1));
    }

    #[test]
    fn legacy_crs_member_converts_sweref() {
        let text = r#"{"type":"FeatureCollection",
"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},
"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[474000,6211000]}}]}"#;
        let shapes = read(text).unwrap();
        let ShapeGeometry::Point(p) = shapes.shapes[0].geometry else {
            panic!()
        };
        let back = crate::crs::sweref_from_wgs84(p);
        assert!((back.easting - 474_000.0).abs() < 0.01, "{back:?}");
        assert!((back.northing - 6_211_000.0).abs() < 0.01, "{back:?}");
    }

    #[test]
    fn a_bare_geometry_is_one_shape() {
        let shapes = read(&format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#)).unwrap();
        assert_eq!(shapes.shapes.len(), 1);
    }

    #[test]
    fn bad_files_name_the_line_and_reason() {
        let projected = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[14.58,56.05]}},
{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[474000,6211000]}}]}"#;
        let r = reason(projected);
        assert!(
            r.starts_with("Some(3) feature 2: coordinates (474000, 6211000)"),
            "{r}"
        );
        assert!(r.contains("EPSG:3006"), "{r}");

        let open_ring = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[14.58,56.05],[14.59,56.05],[14.59,56.06],[14.58,56.06]]]}}]}"#;
        assert!(reason(open_ring).contains("end where it starts"));

        let far = r#"{"type":"Point","coordinates":[2.35,48.85]}"#;
        assert!(reason(far).contains("far outside Sweden"));

        let empty = r#"{"type":"FeatureCollection","features":[]}"#;
        assert!(reason(empty).contains("no geometries"));

        assert!(reason(r#"[1,2]"#).contains("not a GeoJSON object"));
        assert!(reason(r#"{"features":[]}"#).contains("no type"));
        let no_geometry = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}"#;
        assert!(reason(no_geometry).contains("feature 1: the feature has no geometry"));
        let unknown = r#"{"type":"Circle","coordinates":[14.58,56.05]}"#;
        assert!(reason(unknown).contains("not GeoJSON"));
    }

    #[test]
    fn shapes_round_trip_through_json() {
        let shapes = read(&format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#)).unwrap();
        let text = serde_json::to_string(&shapes).unwrap();
        let back: Shapes = serde_json::from_str(&text).unwrap();
        assert_eq!(back, shapes);
    }
}
