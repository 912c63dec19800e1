//! The user's own GeoJSON inputs to the analysis commands: a study area
//! (`hotspots --area`) and candidate places (`places --candidates`).
//!
//! Both are read as RFC 7946 (WGS84 longitude/latitude) unless the file has
//! the old (2008) `crs` member naming another system this app knows, e.g.
//! `urn:ogc:def:crs:EPSG::3006` for SWEREF 99 TM. Errors name the file, the
//! feature (1-based, in file order) and the reason; they never quote
//! property values other than a place's name.

use std::path::Path;

use anyhow::Context as _;
use lagesbild::analysis::Candidate;
use lagesbild::crs::{Crs, ToWgs84, sweref_from_wgs84};
use lagesbild::model::LonLat;
use serde_json::Value;

/// A study area: the SWEREF 99 TM bounding box of its polygons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudyArea {
    /// Lower-left corner, SWEREF 99 TM metres.
    pub min: [f64; 2],
    /// Upper-right corner, SWEREF 99 TM metres.
    pub max: [f64; 2],
    /// Polygons read (a MultiPolygon counts each of its parts).
    pub polygons: usize,
}

impl StudyArea {
    /// Width and height in kilometres.
    pub fn size_km(&self) -> [f64; 2] {
        [
            (self.max[0] - self.min[0]) / 1000.0,
            (self.max[1] - self.min[1]) / 1000.0,
        ]
    }
}

/// Reads a study area file; returns it with the file's text (to keep in the project).
pub fn read_area(path: &Path) -> anyhow::Result<(StudyArea, String)> {
    let text = read_text(path)?;
    let area = parse_area(&text).with_context(|| path.display().to_string())?;
    Ok((area, text))
}

/// Reads candidate places.
pub fn read_candidates(path: &Path) -> anyhow::Result<Vec<Candidate>> {
    let text = read_text(path)?;
    parse_candidates(&text).with_context(|| path.display().to_string())
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    String::from_utf8(bytes)
        .map_err(|e| {
            anyhow::anyhow!(
                "not UTF-8 text (byte {}); GeoJSON must be UTF-8",
                e.utf8_error().valid_up_to()
            )
        })
        .with_context(|| path.display().to_string())
}

/// Positions in the file's system to SWEREF 99 TM.
enum Projection {
    /// The file is in SWEREF 99 TM already: kept exactly.
    Sweref,
    /// WGS84 longitude/latitude.
    Wgs84,
    /// Another supported system, through WGS84.
    Other(Box<ToWgs84>),
}

impl Projection {
    fn from_crs(crs: Crs) -> anyhow::Result<Projection> {
        Ok(if crs == Crs::SWEREF99_TM {
            Projection::Sweref
        } else if crs.is_geographic() {
            Projection::Wgs84
        } else {
            Projection::Other(Box::new(ToWgs84::new(crs)?))
        })
    }

    fn sweref(&self, x: f64, y: f64) -> Result<[f64; 2], String> {
        let lon_lat = match self {
            Projection::Sweref => {
                // Sweden lies within about 200–1000 km east and 6100–7700 km north.
                if (0.0..=1_500_000.0).contains(&x) && (5_500_000.0..=8_000_000.0).contains(&y) {
                    return Ok([x, y]);
                }
                return Err(format!(
                    "position ({x}, {y}) is not a SWEREF 99 TM position in Sweden"
                ));
            }
            Projection::Wgs84 => {
                if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
                    return Err(format!(
                        "position ({x}, {y}) is not WGS84 longitude/latitude; a file in \
                         SWEREF 99 TM needs a crs member naming EPSG:3006"
                    ));
                }
                LonLat::new(x, y)
            }
            Projection::Other(to) => to.convert(x, y).map_err(|e| e.to_string())?,
        };
        let p = sweref_from_wgs84(lon_lat);
        if p.easting.is_finite() && p.northing.is_finite() {
            Ok([p.easting, p.northing])
        } else {
            Err(format!(
                "position ({x}, {y}) cannot be converted to SWEREF 99 TM"
            ))
        }
    }
}

/// The system named by the old `crs` member, WGS84 when there is none.
fn crs_of(root: &Value) -> anyhow::Result<Crs> {
    let Some(crs) = root.get("crs") else {
        return Ok(Crs::WGS84);
    };
    if crs.is_null() {
        return Ok(Crs::WGS84);
    }
    let props = crs.get("properties");
    let named = props
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            // The 2008 draft's {"type": "EPSG", "properties": {"code": 3006}}.
            props.and_then(|p| p.get("code")).and_then(|c| {
                c.as_u64()
                    .map(|c| c.to_string())
                    .or(c.as_str().map(str::to_owned))
            })
        })
        .ok_or_else(|| anyhow::anyhow!("the crs member names no system"))?;
    crs_from_name(&named).ok_or_else(|| {
        anyhow::anyhow!("crs {named:?} is not supported; use WGS84 (no crs member) or EPSG:3006")
    })
}

/// `urn:ogc:def:crs:EPSG::3006`, `EPSG:3006`,
/// `http://www.opengis.net/def/crs/EPSG/0/3006`, `3006`, and the CRS84 names.
fn crs_from_name(name: &str) -> Option<Crs> {
    let n = name.trim();
    if n.to_ascii_uppercase().ends_with("CRS84") {
        return Some(Crs::WGS84);
    }
    let digits_start = n.rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    let code: u32 = n[digits_start..].parse().ok()?;
    let upper = n.to_ascii_uppercase();
    if digits_start > 0 && !upper.contains("EPSG") {
        return None;
    }
    Crs::from_epsg(code).ok()
}

fn parse_root(text: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "line {}, column {}: not valid JSON: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )
    })
}

/// serde_json's message without its own " at line L column C" suffix.
fn strip_position(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

/// The features of a FeatureCollection, a single Feature, or a bare geometry
/// (as one feature), with their geometries.
fn features(root: &Value) -> anyhow::Result<Vec<&Value>> {
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            let fs = root
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| anyhow::anyhow!("the FeatureCollection has no features array"))?;
            Ok(fs.iter().collect())
        }
        Some(
            "Feature" | "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
            | "MultiPolygon" | "GeometryCollection",
        ) => Ok(vec![root]),
        Some(other) => anyhow::bail!("type {other:?} is not GeoJSON"),
        None => anyhow::bail!("not GeoJSON (no type member)"),
    }
}

/// The geometry of a feature (or the value itself when it is a geometry).
fn geometry_of(f: &Value) -> Result<&Value, String> {
    match f.get("type").and_then(Value::as_str) {
        Some("Feature") => match f.get("geometry") {
            None | Some(Value::Null) => Err("the feature has no geometry".to_owned()),
            Some(g) => Ok(g),
        },
        Some(_) => Ok(f),
        None => Err("not a feature (no type member)".to_owned()),
    }
}

fn position(v: &Value, proj: &Projection) -> Result<[f64; 2], String> {
    let a = v
        .as_array()
        .filter(|a| a.len() >= 2)
        .ok_or_else(|| "a position is not an array of at least two numbers".to_owned())?;
    let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64()) else {
        return Err("a position is not an array of at least two numbers".to_owned());
    };
    proj.sweref(x, y)
}

/// Adds the polygon's exterior ring to the box; checks every ring.
fn add_polygon(
    rings: &Value,
    proj: &Projection,
    min: &mut [f64; 2],
    max: &mut [f64; 2],
) -> Result<(), String> {
    let rings = rings
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| "a polygon has no rings".to_owned())?;
    for (i, ring) in rings.iter().enumerate() {
        let ring = ring
            .as_array()
            .ok_or_else(|| format!("ring {} is not an array of positions", i + 1))?;
        if ring.len() < 4 {
            return Err(format!(
                "ring {} has {} positions; a closed ring needs at least 4",
                i + 1,
                ring.len()
            ));
        }
        for p in ring {
            let q = position(p, proj)?;
            if i == 0 {
                min[0] = min[0].min(q[0]);
                min[1] = min[1].min(q[1]);
                max[0] = max[0].max(q[0]);
                max[1] = max[1].max(q[1]);
            }
        }
    }
    Ok(())
}

/// A study area from GeoJSON text: every Polygon and MultiPolygon in it.
pub fn parse_area(text: &str) -> anyhow::Result<StudyArea> {
    let root = parse_root(text)?;
    let proj = Projection::from_crs(crs_of(&root)?)?;
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    let mut polygons = 0;
    for (i, f) in features(&root)?.into_iter().enumerate() {
        let in_feature = |reason: String| anyhow::anyhow!("feature {}: {reason}", i + 1);
        let g = geometry_of(f).map_err(in_feature)?;
        let coords = g.get("coordinates");
        match (g.get("type").and_then(Value::as_str), coords) {
            (Some("Polygon"), Some(c)) => {
                add_polygon(c, &proj, &mut min, &mut max).map_err(in_feature)?;
                polygons += 1;
            }
            (Some("MultiPolygon"), Some(c)) => {
                let parts = c.as_array().ok_or_else(|| {
                    in_feature("MultiPolygon coordinates are not an array".into())
                })?;
                for part in parts {
                    add_polygon(part, &proj, &mut min, &mut max).map_err(in_feature)?;
                    polygons += 1;
                }
            }
            (Some(t @ ("Polygon" | "MultiPolygon")), None) => {
                return Err(in_feature(format!("the {t} has no coordinates")));
            }
            (Some(other), _) => {
                return Err(in_feature(format!(
                    "geometry type {other} is not an area; expected Polygon or MultiPolygon"
                )));
            }
            (None, _) => return Err(in_feature("the geometry has no type".into())),
        }
    }
    if polygons == 0 {
        anyhow::bail!("no Polygon or MultiPolygon in the file");
    }
    if !(max[0] > min[0] && max[1] > min[1]) {
        anyhow::bail!("the area has no extent (all its positions lie on one line)");
    }
    Ok(StudyArea { min, max, polygons })
}

/// Candidate places from GeoJSON text: Point features, named by their
/// `name` or `namn` property when they have one.
pub fn parse_candidates(text: &str) -> anyhow::Result<Vec<Candidate>> {
    let root = parse_root(text)?;
    let proj = Projection::from_crs(crs_of(&root)?)?;
    let mut out = Vec::new();
    for (i, f) in features(&root)?.into_iter().enumerate() {
        let in_feature = |reason: String| anyhow::anyhow!("feature {}: {reason}", i + 1);
        let g = geometry_of(f).map_err(in_feature)?;
        match g.get("type").and_then(Value::as_str) {
            Some("Point") => {}
            Some(other) => {
                return Err(in_feature(format!(
                    "geometry type {other} is not a place; candidates must be Point features"
                )));
            }
            None => return Err(in_feature("the geometry has no type".into())),
        }
        let c = g
            .get("coordinates")
            .ok_or_else(|| in_feature("the Point has no coordinates".into()))?;
        let xy = position(c, &proj).map_err(in_feature)?;
        let props = f.get("properties");
        let name = ["name", "namn", "Name", "Namn", "NAME", "NAMN"]
            .iter()
            .find_map(|k| props.and_then(|p| p.get(*k)))
            .and_then(|v| match v {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty());
        out.push(Candidate { xy, name });
    }
    if out.is_empty() {
        anyhow::bail!("no Point features in the file");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lagesbild::crs::{Sweref99Tm, wgs84_from_sweref};

    fn lon_lat(e: f64, n: f64) -> [f64; 2] {
        let p = wgs84_from_sweref(Sweref99Tm {
            easting: e,
            northing: n,
        });
        [p.lon, p.lat]
    }

    #[test]
    fn area_in_sweref_keeps_its_box_exactly() {
        let text = r#"{"type":"FeatureCollection",
            "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},
            "features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon",
            "coordinates":[[[470000,6200000],[480000,6200000],[480000,6215000],[470000,6200000]]]}}]}"#;
        let a = parse_area(text).unwrap();
        assert_eq!(a.min, [470_000.0, 6_200_000.0]);
        assert_eq!(a.max, [480_000.0, 6_215_000.0]);
        assert_eq!(a.polygons, 1);
        assert_eq!(a.size_km(), [10.0, 15.0]);
    }

    #[test]
    fn area_in_wgs84_is_projected() {
        let (a, b) = (
            lon_lat(470_000.0, 6_200_000.0),
            lon_lat(480_000.0, 6_215_000.0),
        );
        let text = format!(
            r#"{{"type":"MultiPolygon","coordinates":[[[[{},{}],[{},{}],[{},{}],[{},{}]]]]}}"#,
            a[0], a[1], b[0], a[1], b[0], b[1], a[0], a[1]
        );
        let area = parse_area(&text).unwrap();
        assert!((area.min[1] - 6_200_000.0).abs() < 300.0, "{area:?}");
        assert!((area.max[1] - 6_215_000.0).abs() < 300.0, "{area:?}");
        assert!(area.max[0] > area.min[0] + 9_000.0, "{area:?}");
    }

    #[test]
    fn bad_areas_say_why() {
        let cases = [
            ("{", "not valid JSON"),
            (
                r#"{"type":"Point","coordinates":[14.5,56.0]}"#,
                "feature 1: geometry type Point is not an area",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}"#,
                "feature 1: the feature has no geometry",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[474000,6211000],[475000,6211000],[475000,6212000],[474000,6211000]]]}"#,
                "is not WGS84 longitude/latitude",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[14,56],[15,56],[14,56]]]}"#,
                "ring 1 has 3 positions",
            ),
            (
                r#"{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:2154"}},"coordinates":[]}"#,
                "crs \"EPSG:2154\" is not supported",
            ),
            (
                r#"{"type":"FeatureCollection","features":[]}"#,
                "no Polygon or MultiPolygon",
            ),
        ];
        for (text, want) in cases {
            let err = format!("{:#}", parse_area(text).unwrap_err());
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn crs_names() {
        assert_eq!(
            crs_from_name("urn:ogc:def:crs:EPSG::3006"),
            Some(Crs::SWEREF99_TM)
        );
        assert_eq!(crs_from_name("EPSG:3006"), Some(Crs::SWEREF99_TM));
        assert_eq!(
            crs_from_name("http://www.opengis.net/def/crs/EPSG/0/3006"),
            Some(Crs::SWEREF99_TM)
        );
        assert_eq!(
            crs_from_name("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::WGS84)
        );
        assert_eq!(crs_from_name("3006"), Some(Crs::SWEREF99_TM));
        assert_eq!(crs_from_name("foo:3006"), None);
        assert_eq!(crs_from_name("EPSG:9999"), None);
    }

    #[test]
    fn candidates_with_names() {
        let p = lon_lat(474_000.0, 6_211_000.0);
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[
              {{"type":"Feature","properties":{{"namn":"Stortorget"}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}},
              {{"type":"Feature","properties":null,"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
            p[0], p[1], p[0], p[1]
        );
        let c = parse_candidates(&text).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name.as_deref(), Some("Stortorget"));
        assert_eq!(c[1].name, None);
        assert!((c[0].xy[0] - 474_000.0).abs() < 0.01 && (c[0].xy[1] - 6_211_000.0).abs() < 0.01);
    }

    #[test]
    fn bad_candidates_name_the_feature() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[14.58,56.05]}},
            {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[14.58,56.05],[14.59,56.05]]}}]}"#;
        let err = format!("{:#}", parse_candidates(text).unwrap_err());
        assert!(err.contains("feature 2: geometry type LineString"), "{err}");
        let text = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":["a",56]}}"#;
        let err = format!("{:#}", parse_candidates(text).unwrap_err());
        assert!(err.contains("feature 1: a position is not"), "{err}");
    }
}
