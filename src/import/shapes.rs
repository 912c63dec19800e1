//! Reading GeoJSON layers: points, lines and polygons such as a
//! municipality's boundary, patrol areas drawn in QGIS, a list of named
//! places, or a partner's layer to show beside the incidents.
//!
//! Geometries are parsed by the `geojson` crate and converted to `geo` types
//! ([`crate::model::shape::Feature`]), every GeoJSON type included: Point,
//! LineString, Polygon and their Multi forms. A GeometryCollection is split
//! into one feature per member (nested collections flattened), each with the
//! feature's properties. Properties are kept as they are in the file.
//!
//! Unlike the incident importer, one bad feature makes the whole file an
//! error (naming the file, the line where the feature starts and the
//! reason): a layer with holes in it would mislead. Coordinates are WGS84
//! longitude, latitude (RFC 7946) unless the caller names a coordinate system
//! or the file carries the legacy `crs` member (e.g. `EPSG:3006` from older
//! QGIS exports); other systems are converted to WGS84 here.

use std::path::Path;

use geo::{CoordsIter as _, MapCoords as _};
use serde::Deserialize as _;
use serde_json::{Map, Value};

use super::ImportError;
use super::geojson::{
    LineCounter, Root, WholeJson, file_error, file_name, json_reason, read_json_file,
};
use crate::crs::{Crs, CrsError, ToWgs84};
use crate::model::LonLat;
pub use crate::model::shape::{Feature, FeatureSet};

/// Most vertices a layer file may hold (all features together).
pub const MAX_VERTICES: usize = 5_000_000;

/// A GeoJSON layer file is read whole: the layer is kept whole to be drawn
/// and stored, and that takes several times the file (a 37 MB file of
/// 250,000 points with two properties each peaked at 268 MB), so a file
/// above 64 MB is refused before it is read.
pub const LAYER_JSON: WholeJson = WholeJson {
    max_bytes: 64 * 1024 * 1024,
    what: "a GeoJSON map layer",
    why: "the layer is kept whole to be drawn, several times the file's size",
    instead: "clip or simplify it first (e.g. ogr2ogr -clipsrc, -simplify), or import points as incidents with `lagesbild import`, which streams",
};

/// The GeoJSON geometry type names (RFC 7946 § 1.4).
const GEOMETRY_TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// Reads a GeoJSON FeatureCollection (or a single Feature or geometry) as
/// one layer named after the file. `crs` overrides the file's own
/// coordinate system.
pub fn read_features(path: &Path, crs: Option<Crs>) -> Result<FeatureSet, ImportError> {
    read_capped(path, crs, MAX_VERTICES)
}

/// [`read_features`] of GeoJSON text already in memory (e.g. kept in a
/// project, or compiled into the binary): `path` names it in errors and gives
/// the layer its name, as a file's path would.
pub fn parse_features(
    path: &Path,
    bytes: &[u8],
    crs: Option<Crs>,
) -> Result<FeatureSet, ImportError> {
    features_from_bytes(path, bytes, crs, MAX_VERTICES)
}

/// [`read_features`] with a vertex cap of `max_vertices`.
fn read_capped(
    path: &Path,
    crs: Option<Crs>,
    max_vertices: usize,
) -> Result<FeatureSet, ImportError> {
    let bytes = read_json_file(path, &LAYER_JSON)?;
    features_from_bytes(path, &bytes, crs, max_vertices)
}

fn features_from_bytes(
    path: &Path,
    bytes: &[u8],
    crs: Option<Crs>,
    max_vertices: usize,
) -> Result<FeatureSet, ImportError> {
    let root = Root::parse(path, bytes)?.ok_or_else(|| {
        file_error(
            path,
            Some(1),
            "not a GeoJSON object (a FeatureCollection, Feature or geometry)".to_owned(),
        )
    })?;
    let positions =
        Positions::new(crs.or(root.crs()?)).map_err(|e| file_error(path, None, e.to_string()))?;
    let mut reader = LayerReader {
        positions,
        features: Vec::new(),
        vertices: 0,
        max_vertices,
    };
    match root.type_name().0.as_deref() {
        Some("FeatureCollection") => {
            let mut lines = LineCounter::default();
            for (i, (s, e)) in root.features()?.into_iter().enumerate() {
                let line = lines.line_at(bytes, s);
                let at = |reason: String| {
                    file_error(path, Some(line), format!("feature {}: {reason}", i + 1))
                };
                let value: Value =
                    serde_json::from_slice(&bytes[s..e]).map_err(|e| at(json_reason(&e)))?;
                reader.feature(&value).map_err(at)?;
            }
        }
        Some(_) => {
            let value: Value = serde_json::from_slice(bytes)
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
    if reader.features.is_empty() {
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
    Ok(FeatureSet {
        name,
        features: reader.features,
    })
}

/// How a GeoJSON file's positions become WGS84 longitude, latitude: kept
/// (RFC 7946), or converted from the coordinate system the caller or the
/// file's legacy `crs` member names (x = easting, y = northing, the order
/// GeoJSON writes them). Every position must lie in or near Sweden. Shared by
/// the layer reader here and the incident reader ([`super::geojson`]).
pub(crate) struct Positions {
    /// `None` for WGS84 lon/lat.
    to_wgs84: Option<ToWgs84>,
}

impl Positions {
    pub(crate) fn new(crs: Option<Crs>) -> Result<Positions, CrsError> {
        let to_wgs84 = match crs {
            Some(c) if !c.is_geographic() => Some(ToWgs84::new(c)?),
            _ => None,
        };
        Ok(Positions { to_wgs84 })
    }

    /// One position (x, y as the file has them) in WGS84.
    pub(crate) fn lon_lat(&self, x: f64, y: f64) -> Result<LonLat, String> {
        let p = self.convert(x, y)?;
        if !p.is_in_sweden_region() {
            return Err(format!(
                "position (lon {:.5}, lat {:.5}) is far outside Sweden; is the coordinate system right?",
                p.lon, p.lat
            ));
        }
        Ok(p)
    }

    /// One position in WGS84 with no test of where it lies; an error when the
    /// numbers cannot be longitude, latitude and no system is named.
    pub(crate) fn convert(&self, x: f64, y: f64) -> Result<LonLat, String> {
        Ok(match &self.to_wgs84 {
            Some(t) => t.convert(x, y).map_err(|e| e.to_string())?,
            None if !(x.abs() <= 180.0 && y.abs() <= 90.0) => {
                return Err(format!(
                    "coordinates ({x}, {y}) are not longitude, latitude; the file looks projected: name its coordinate system (e.g. EPSG:3006, with --crs or a crs member) or export it as WGS84 (EPSG:4326)"
                ));
            }
            None => LonLat::new(x, y),
        })
    }

    /// A GeoJSON geometry as a `geo` geometry in WGS84: checked (a line has
    /// at least 2 positions, a polygon at least one ring, each ring at least
    /// 4 positions and closed), converted by the `geojson` crate, then every
    /// position through [`Positions::lon_lat`].
    pub(crate) fn geometry(&self, g: &geojson::Geometry) -> Result<geo::Geometry<f64>, String> {
        check_geometry(&g.value)?;
        let plain = geo::Geometry::<f64>::try_from(&g.value).map_err(|e| e.to_string())?;
        plain.try_map_coords(|c| {
            self.lon_lat(c.x, c.y)
                .map(|p| geo::coord! { x: p.lon, y: p.lat })
        })
    }
}

/// The geometry of a GeoJSON geometry object (a `serde_json` value), parsed
/// by the `geojson` crate; the reason names what is wrong.
pub(crate) fn parse_geometry(value: &Value) -> Result<geojson::Geometry, String> {
    let kind = value
        .get("type")
        .ok_or("the geometry has no type")?
        .as_str()
        .ok_or("the geometry's type is not text")?;
    if !GEOMETRY_TYPES.contains(&kind) {
        return Err(format!("geometry type {kind:?} is not GeoJSON"));
    }
    geojson::Geometry::deserialize(value).map_err(|e| format!("bad {kind}: {e}"))
}

/// The rules the `geojson` crate leaves to us.
fn check_geometry(value: &geojson::GeometryValue) -> Result<(), String> {
    use geojson::GeometryValue as G;
    fn line(l: &[geojson::Position]) -> Result<(), String> {
        if l.len() < 2 {
            return Err("a line has fewer than 2 positions".to_owned());
        }
        Ok(())
    }
    fn polygon(rings: &[Vec<geojson::Position>]) -> Result<(), String> {
        if rings.is_empty() {
            return Err("a polygon has no rings".to_owned());
        }
        for ring in rings {
            if ring.len() < 4 || ring.first() != ring.last() {
                return Err(
                    "a polygon ring must have at least 4 positions and end where it starts"
                        .to_owned(),
                );
            }
        }
        Ok(())
    }
    match value {
        G::Point { .. } => Ok(()),
        G::MultiPoint { coordinates } if coordinates.is_empty() => {
            Err("the MultiPoint has no points".to_owned())
        }
        G::MultiPoint { .. } => Ok(()),
        G::LineString { coordinates } => line(coordinates),
        G::MultiLineString { coordinates } if coordinates.is_empty() => {
            Err("the MultiLineString has no lines".to_owned())
        }
        G::MultiLineString { coordinates } => coordinates.iter().try_for_each(|l| line(l)),
        G::Polygon { coordinates } => polygon(coordinates),
        G::MultiPolygon { coordinates } if coordinates.is_empty() => {
            Err("the MultiPolygon has no polygons".to_owned())
        }
        G::MultiPolygon { coordinates } => coordinates.iter().try_for_each(|p| polygon(p)),
        G::GeometryCollection { geometries } => {
            geometries.iter().try_for_each(|g| check_geometry(&g.value))
        }
    }
}

/// Collects the features of one file, counting vertices.
struct LayerReader {
    positions: Positions,
    features: Vec<Feature>,
    vertices: usize,
    max_vertices: usize,
}

impl LayerReader {
    /// A Feature, or a bare geometry (a feature without properties).
    fn feature(&mut self, value: &Value) -> Result<(), String> {
        let Value::Object(object) = value else {
            return Err("not a JSON object".to_owned());
        };
        let (geometry, properties) = match object.get("type").and_then(Value::as_str) {
            Some("Feature") => {
                let properties = match object.get("properties") {
                    Some(Value::Object(p)) => p.clone(),
                    None | Some(Value::Null) => Map::new(),
                    Some(_) => return Err("properties is not an object".to_owned()),
                };
                match object.get("geometry") {
                    None | Some(Value::Null) => {
                        return Err("the feature has no geometry".to_owned());
                    }
                    Some(g) => (parse_geometry(g)?, properties),
                }
            }
            Some(_) => (parse_geometry(value)?, Map::new()),
            None => return Err("the object has no type".to_owned()),
        };
        let geometry = self.positions.geometry(&geometry)?;
        let mut parts = Vec::new();
        split_collections(geometry, &mut parts);
        if parts.is_empty() {
            return Err("the GeometryCollection has no geometries".to_owned());
        }
        for geometry in parts {
            self.vertices += geometry.coords_count();
            if self.vertices > self.max_vertices {
                return Err(format!(
                    "more than {} vertices; simplify the layer (e.g. in QGIS) first",
                    self.max_vertices
                ));
            }
            self.features.push(Feature {
                geometry,
                properties: properties.clone(),
            });
        }
        Ok(())
    }
}

/// The geometry itself, or each member of a (nested) GeometryCollection.
fn split_collections(g: geo::Geometry<f64>, out: &mut Vec<geo::Geometry<f64>>) {
    match g {
        geo::Geometry::GeometryCollection(c) => {
            for member in c {
                split_collections(member, out);
            }
        }
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, coord};

    fn read(text: &str) -> Result<FeatureSet, ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("områden.geojson");
        std::fs::write(&path, text).unwrap();
        read_features(&path, None)
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
    fn reads_every_geometry_type_with_properties() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[
{{"type":"Feature","properties":{{"namn":"Stortorget","nr":1}},"geometry":{{"type":"Point","coordinates":[14.583,56.0505]}}}},
{{"type":"Feature","properties":{{"name":"Runda 1"}},"geometry":{{"type":"LineString","coordinates":[[14.58,56.05],[14.59,56.06]]}}}},
{{"type":"Feature","properties":{{"id":7}},"geometry":{{"type":"MultiPolygon","coordinates":[{SQUARE},{SQUARE}]}}}},
{{"type":"Feature","properties":null,"geometry":{{"type":"MultiPoint","coordinates":[[14.6,56.1],[14.61,56.1]]}}}},
{{"type":"Feature","geometry":{{"type":"MultiLineString","coordinates":[[[14.58,56.05],[14.59,56.06]],[[14.6,56.05],[14.61,56.06],[14.62,56.06]]]}}}},
{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[[14.5,56.0],[14.7,56.0],[14.7,56.2],[14.5,56.2],[14.5,56.0]],[[14.55,56.05],[14.55,56.1],[14.6,56.1],[14.55,56.05]]]}}}}
]}}"#
        );
        let set = read(&text).unwrap();
        assert_eq!(set.name, "områden");
        assert_eq!(set.features.len(), 6);
        let f = &set.features;
        assert_eq!(
            f[0].geometry,
            Geometry::Point(geo::point!(x: 14.583, y: 56.0505))
        );
        assert_eq!(f[0].properties["namn"], "Stortorget");
        assert_eq!(f[0].properties["nr"], 1);
        assert!(matches!(&f[1].geometry, Geometry::LineString(l) if l.0.len() == 2));
        assert_eq!(f[1].properties["name"], "Runda 1");
        let Geometry::MultiPolygon(mp) = &f[2].geometry else {
            panic!("{:?}", f[2].geometry)
        };
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[0].exterior().0.len(), 5);
        assert_eq!(mp.0[0].exterior().0[1], coord! { x: 14.59, y: 56.05 });
        assert_eq!(f[2].properties["id"], 7);
        assert!(matches!(&f[3].geometry, Geometry::MultiPoint(p) if p.0.len() == 2));
        assert!(f[3].properties.is_empty());
        assert!(
            matches!(&f[4].geometry, Geometry::MultiLineString(l) if l.0.len() == 2 && l.0[1].0.len() == 3)
        );
        let Geometry::Polygon(p) = &f[5].geometry else {
            panic!("{:?}", f[5].geometry)
        };
        assert_eq!(p.interiors().len(), 1);
        assert_eq!(set.vertex_count(), 1 + 2 + 10 + 2 + 5 + 9);
        let r = set.extent().unwrap();
        assert_eq!(
            (r.min().x, r.min().y, r.max().x, r.max().y),
            (14.5, 56.0, 14.7, 56.2)
        );
    }

    #[test]
    fn geometry_collections_are_split_keeping_the_properties() {
        let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"namn":"Hamnen"},"geometry":{"type":"GeometryCollection","geometries":[
  {"type":"Point","coordinates":[14.6,56.1]},
  {"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[14.58,56.05],[14.59,56.06]]}]}]}}]}"#;
        let set = read(text).unwrap();
        assert_eq!(set.features.len(), 2);
        assert!(matches!(set.features[0].geometry, Geometry::Point(_)));
        assert!(matches!(set.features[1].geometry, Geometry::LineString(_)));
        assert!(
            set.features
                .iter()
                .all(|f| f.properties["namn"] == "Hamnen")
        );

        let empty = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[]}}]}"#;
        assert_eq!(
            reason(empty),
            "Some(2) feature 1: the GeometryCollection has no geometries"
        );
    }

    #[test]
    fn legacy_crs_member_converts_sweref() {
        let text = r#"{"type":"FeatureCollection",
"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},
"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[474000,6211000]}}]}"#;
        let set = read(text).unwrap();
        let Geometry::Point(p) = set.features[0].geometry else {
            panic!()
        };
        let back = crate::crs::sweref_from_wgs84(LonLat::new(p.x(), p.y()));
        assert!((back.easting - 474_000.0).abs() < 0.01, "{back:?}");
        assert!((back.northing - 6_211_000.0).abs() < 0.01, "{back:?}");
    }

    #[test]
    fn the_callers_crs_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt90.geojson");
        // RT 90 2.5 gon V metres, no crs member.
        std::fs::write(&path, r#"{"type":"Point","coordinates":[1408000,6217000]}"#).unwrap();
        let set = read_features(&path, Some(Crs::RT90_25_GON_V)).unwrap();
        let Geometry::Point(p) = set.features[0].geometry else {
            panic!()
        };
        assert!(
            (14.0..15.0).contains(&p.x()) && (55.5..56.5).contains(&p.y()),
            "{p:?}"
        );
    }

    #[test]
    fn a_bare_geometry_is_one_feature() {
        let set = read(&format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#)).unwrap();
        assert_eq!(set.features.len(), 1);
        assert!(set.features[0].properties.is_empty());
        let one = read(
            r#"{"type":"Feature","properties":{"a":"b"},"geometry":{"type":"Point","coordinates":[14.6,56.1]}}"#,
        )
        .unwrap();
        assert_eq!(one.features[0].properties["a"], "b");
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
        let r = reason(open_ring);
        assert!(
            r.starts_with("Some(2) feature 1: ") && r.contains("end where it starts"),
            "{r}"
        );

        let cases = [
            (
                r#"{"type":"Point","coordinates":[2.35,48.85]}"#,
                "Some(1) position (lon 2.35000, lat 48.85000) is far outside Sweden",
            ),
            (
                r#"{"type":"FeatureCollection","features":[]}"#,
                "None the file holds no geometries",
            ),
            (r#"[1,2]"#, "Some(1) not a GeoJSON object"),
            (
                r#"{"features":[]}"#,
                "Some(1) not GeoJSON: the object has no type member",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}"#,
                "Some(1) feature 1: the feature has no geometry",
            ),
            (
                r#"{"type":"Circle","coordinates":[14.58,56.05]}"#,
                "Some(1) geometry type \"Circle\" is not GeoJSON",
            ),
            (
                r#"{"type":"LineString","coordinates":[[14.58,56.05]]}"#,
                "Some(1) a line has fewer than 2 positions",
            ),
            (
                r#"{"type":"Polygon","coordinates":[]}"#,
                "Some(1) a polygon has no rings",
            ),
            (
                r#"{"type":"Point","coordinates":["a",56]}"#,
                "Some(1) bad Point:",
            ),
            (
                r#"{"type":"Point","coordinates":[14.6]}"#,
                "Some(1) bad Point:",
            ),
            (r#"{"type":"Point"}"#, "Some(1) bad Point:"),
            (
                r#"{"type":"Feature","properties":[1],"geometry":{"type":"Point","coordinates":[14.6,56.1]}}"#,
                "Some(1) properties is not an object",
            ),
            (
                "{\"type\":\"FeatureCollection\",\n\"features\":{}}",
                "Some(2) features is not an array",
            ),
            (
                r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2154"}},"features":[]}"#,
                "Some(1) crs \"EPSG:2154\"",
            ),
            (
                "{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":",
                "Some(3) broken JSON",
            ),
        ];
        for (text, want) in cases {
            let got = reason(text);
            assert!(
                got.starts_with(want),
                "{text}: {got:?} should start with {want:?}"
            );
        }
    }

    #[test]
    fn the_vertex_cap_counts_across_features() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.geojson");
        let feature = r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[14.58,56.05],[14.59,56.06]]}}"#;
        let text = format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[\n{}]}}",
            [feature; 6].join(",\n")
        );
        std::fs::write(&path, text).unwrap();
        assert_eq!(read_capped(&path, None, 12).unwrap().vertex_count(), 12);
        match read_capped(&path, None, 11) {
            Err(ImportError::File { line, reason, .. }) => {
                assert_eq!(line, Some(7));
                assert!(
                    reason.starts_with("feature 6: more than 11 vertices; simplify"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
