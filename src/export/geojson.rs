//! The GeoJSON writer, RFC 7946: WGS84 longitude/latitude order (converted
//! from SWEREF 99 TM), no `crs` member, exterior rings counter-clockwise and
//! holes clockwise, coordinates with at most 7 decimals (about 1 cm), and the
//! foreign member `lagesbild` on the FeatureCollection saying what the layer
//! was made from ([`super::MadeFrom`]).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::{ExportError, Feature, Geometry, Layer, io_err};
use crate::crs::{Sweref99Tm, wgs84_from_sweref};

/// Decimals kept in coordinates.
pub const DECIMALS: i32 = 7;

/// Rounds to [`DECIMALS`] decimals.
pub fn round_coord(v: f64) -> f64 {
    let scale = 10f64.powi(DECIMALS);
    (v * scale).round() / scale
}

/// Twice the signed area of a closed ring (positive = counter-clockwise with
/// x east and y north).
pub fn signed_area2(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// Why a geometry cannot be written.
#[derive(Debug)]
struct BadCoordinate([f64; 2]);

fn lon_lat(p: [f64; 2]) -> Result<[f64; 2], BadCoordinate> {
    let ll = wgs84_from_sweref(Sweref99Tm {
        easting: p[0],
        northing: p[1],
    });
    if !ll.is_finite() {
        return Err(BadCoordinate(p));
    }
    Ok([round_coord(ll.lon), round_coord(ll.lat)])
}

fn push_position(out: &mut String, p: [f64; 2]) {
    // Rust's `{}` prints the shortest text that reads back as the same
    // number, so a value rounded to 7 decimals prints with at most 7.
    let _ = write!(out, "[{},{}]", p[0], p[1]);
}

/// Converts a ring to lon/lat and orients it: counter-clockwise for the
/// exterior, clockwise for holes.
fn ring_lon_lat(ring: &[[f64; 2]], exterior: bool) -> Result<Vec<[f64; 2]>, BadCoordinate> {
    let mut out: Vec<[f64; 2]> = ring.iter().map(|p| lon_lat(*p)).collect::<Result<_, _>>()?;
    if out.first() != out.last()
        && let Some(first) = out.first().copied()
    {
        out.push(first);
    }
    let ccw = signed_area2(&out) > 0.0;
    if ccw != exterior {
        out.reverse();
    }
    Ok(out)
}

fn push_polygon(out: &mut String, rings: &[Vec<[f64; 2]>]) -> Result<(), BadCoordinate> {
    out.push('[');
    for (i, ring) in rings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, p) in ring_lon_lat(ring, i == 0)?.into_iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_position(out, p);
        }
        out.push(']');
    }
    out.push(']');
    Ok(())
}

fn push_geometry(out: &mut String, g: &Geometry) -> Result<(), BadCoordinate> {
    match g {
        Geometry::Point(p) => {
            out.push_str(r#"{"type":"Point","coordinates":"#);
            push_position(out, lon_lat(*p)?);
        }
        Geometry::Polygon(rings) => {
            out.push_str(r#"{"type":"Polygon","coordinates":"#);
            push_polygon(out, rings)?;
        }
        Geometry::MultiPolygon(polys) => {
            out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
            for (i, rings) in polys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_polygon(out, rings)?;
            }
            out.push(']');
        }
    }
    out.push('}');
    Ok(())
}

fn push_feature(out: &mut String, f: &Feature) -> Result<(), BadCoordinate> {
    out.push_str(r#"{"type":"Feature","properties":"#);
    out.push_str(&Value::Object(f.properties.clone()).to_string());
    out.push_str(r#","geometry":"#);
    push_geometry(out, &f.geometry)?;
    out.push('}');
    Ok(())
}

/// The layer as GeoJSON text (one feature a line). `path` is only for the
/// error message.
pub fn to_string(layer: &Layer, path: &Path) -> Result<String, ExportError> {
    let mut out = String::with_capacity(256 + layer.features.len() * 200);
    out.push_str("{\"type\":\"FeatureCollection\",\"name\":");
    out.push_str(&Value::String(layer.name.clone()).to_string());
    out.push_str(",\"lagesbild\":{\"title\":");
    out.push_str(&Value::String(layer.title.clone()).to_string());
    out.push_str(",\"made_from\":");
    out.push_str(&layer.made_from.to_json().to_string());
    out.push_str("},\n\"features\":[\n");
    for (i, f) in layer.features.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        push_feature(&mut out, f).map_err(|BadCoordinate(p)| ExportError::Invalid {
            path: path.to_owned(),
            reason: format!(
                "feature {}: position ({}, {}) cannot be converted to WGS84",
                i + 1,
                p[0],
                p[1]
            ),
        })?;
    }
    out.push_str("\n]}\n");
    Ok(out)
}

/// Writes the layer as a GeoJSON file (replacing it), through a temporary
/// file renamed into place so no half-written file is left.
pub fn write(layer: &Layer, path: &Path) -> Result<(), ExportError> {
    let text = to_string(layer, path)?;
    write_atomically(path, text.as_bytes())
}

/// Writes `bytes` to `path` via a temporary file in the same folder.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| ExportError::Invalid {
            path: path.to_owned(),
            reason: "not a file path".to_owned(),
        })?;
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ExportError::Io {
            path: path.to_owned(),
            source: e,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::MadeFrom;
    use serde_json::json;

    fn made_from() -> MadeFrom {
        MadeFrom {
            project: "Test".into(),
            synthetic: true,
            filter: "all incidents".into(),
            period: None,
            incidents: 3,
            coarse_excluded: 1,
            parameters: json!({"analysis": "test"}),
            made_by: "x".into(),
        }
    }

    #[test]
    fn rounding_keeps_at_most_seven_decimals() {
        assert_eq!(round_coord(14.123456789), 14.1234568);
        assert_eq!(format!("{}", round_coord(56.05110000000001)), "56.0511");
        assert_eq!(round_coord(-0.00000004), -0.0);
    }

    #[test]
    fn rings_are_closed_and_oriented() {
        // A clockwise square in SWEREF (exterior) with a counter-clockwise hole.
        let (x, y) = (474_000.0, 6_211_000.0);
        let cw = vec![
            [x, y],
            [x, y + 100.0],
            [x + 100.0, y + 100.0],
            [x + 100.0, y],
            [x, y],
        ];
        let hole = vec![
            [x + 10.0, y + 10.0],
            [x + 20.0, y + 10.0],
            [x + 20.0, y + 20.0],
            [x + 10.0, y + 20.0],
        ];
        let layer = Layer {
            name: "t".into(),
            title: "T".into(),
            features: vec![Feature {
                geometry: Geometry::Polygon(vec![cw, hole]),
                properties: json!({"class": 1}).as_object().unwrap().clone(),
            }],
            made_from: made_from(),
        };
        let text = to_string(&layer, Path::new("t.geojson")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v.get("crs").is_none());
        assert_eq!(v["lagesbild"]["made_from"]["synthetic"], json!(true));
        let rings = v["features"][0]["geometry"]["coordinates"]
            .as_array()
            .unwrap();
        let ring = |i: usize| -> Vec<[f64; 2]> {
            rings[i]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
                .collect()
        };
        let ext = ring(0);
        let h = ring(1);
        assert_eq!(ext.first(), ext.last());
        assert_eq!(h.first(), h.last());
        assert_eq!(h.len(), 5);
        assert!(signed_area2(&ext) > 0.0, "exterior must be CCW");
        assert!(signed_area2(&h) < 0.0, "hole must be CW");
        // Lon/lat order: Sölvesborg is near 14.6 E, 56.0 N.
        assert!((14.0..15.0).contains(&ext[0][0]) && (55.5..56.5).contains(&ext[0][1]));
    }

    #[test]
    fn unconvertible_positions_are_errors_naming_the_feature() {
        let layer = Layer {
            name: "t".into(),
            title: "T".into(),
            features: vec![Feature {
                geometry: Geometry::Point([f64::NAN, 0.0]),
                properties: Default::default(),
            }],
            made_from: made_from(),
        };
        let err = to_string(&layer, Path::new("out.geojson")).unwrap_err();
        assert!(
            err.to_string().starts_with("out.geojson: feature 1:"),
            "{err}"
        );
    }
}
