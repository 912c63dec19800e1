//! The GeoJSON writer, RFC 7946, through the `geojson` crate's
//! `FeatureWriter`: WGS84 longitude/latitude order (converted from SWEREF 99
//! TM), no `crs` member, exterior rings counter-clockwise and holes clockwise
//! (`geo`'s `Orient`), rings closed, coordinates with at most 7 decimals
//! (about 1 cm), and the foreign members `name` and `lagesbild` on the
//! FeatureCollection, the latter saying what the layer was made from
//! ([`super::MadeFrom`]).

use std::path::Path;

use geo::orient::{Direction, Orient as _};
use geo::{CoordsIter as _, Geometry, MapCoords as _};
use serde_json::json;

use super::{ExportError, Layer, io_err};
use crate::crs::wgs84_from_sweref_geometry;

/// Decimals kept in coordinates.
pub const DECIMALS: i32 = 7;

/// Rounds to [`DECIMALS`] decimals.
pub fn round_coord(v: f64) -> f64 {
    let scale = 10f64.powi(DECIMALS);
    (v * scale).round() / scale
}

/// A SWEREF 99 TM geometry as it is written: in WGS84, rounded to
/// [`DECIMALS`], polygons oriented (exterior counter-clockwise, holes
/// clockwise; the projection keeps orientation, and orienting after rounding
/// keeps it true of the written numbers). `None` when a vertex cannot be
/// converted.
fn wgs84_for_writing(g: &Geometry<f64>) -> Option<Geometry<f64>> {
    let ll = wgs84_from_sweref_geometry(g);
    if !ll.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
        return None;
    }
    let rounded = ll.map_coords(|c| geo::coord! { x: round_coord(c.x), y: round_coord(c.y) });
    Some(match rounded {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(p) => Geometry::MultiPolygon(p.orient(Direction::Default)),
        other => other,
    })
}

/// The layer as GeoJSON text. `path` is only for the error message.
pub fn to_string(layer: &Layer, path: &Path) -> Result<String, ExportError> {
    let invalid = |reason: String| ExportError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let written = |e: geojson::Error| invalid(format!("GeoJSON could not be written: {e}"));
    let mut out = Vec::with_capacity(256 + layer.features.len() * 200);
    {
        let mut writer = geojson::FeatureWriter::from_writer(&mut out);
        writer
            .write_foreign_member("name", &layer.name)
            .map_err(written)?;
        writer
            .write_foreign_member(
                "lagesbild",
                &json!({"title": layer.title, "made_from": layer.made_from.to_json()}),
            )
            .map_err(written)?;
        for (i, f) in layer.features.iter().enumerate() {
            let geometry = wgs84_for_writing(&f.geometry).ok_or_else(|| {
                let p = f.geometry.coords_iter().next().unwrap_or_default();
                invalid(format!(
                    "feature {}: position ({}, {}) cannot be converted to WGS84",
                    i + 1,
                    p.x,
                    p.y
                ))
            })?;
            let feature = geojson::Feature {
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::from(
                    &geometry,
                ))),
                properties: Some(f.properties.clone()),
                ..geojson::Feature::default()
            };
            writer.write_feature(&feature).map_err(written)?;
        }
        writer.finish().map_err(written)?;
    }
    out.push(b'\n');
    String::from_utf8(out).map_err(|e| invalid(e.to_string()))
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
    use crate::export::{Feature, MadeFrom};
    use geo::{LineString, Polygon, Winding as _};
    use serde_json::{Value, json};

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

    fn layer(geometries: Vec<Geometry<f64>>) -> Layer {
        Layer {
            name: "t".into(),
            title: "T".into(),
            features: geometries
                .into_iter()
                .map(|geometry| Feature {
                    geometry,
                    properties: json!({"class": 1}).as_object().unwrap().clone(),
                })
                .collect(),
            made_from: made_from(),
        }
    }

    fn ring_of(v: &Value) -> LineString<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| geo::coord! { x: p[0].as_f64().unwrap(), y: p[1].as_f64().unwrap() })
            .collect()
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
        let cw: LineString<f64> = vec![
            (x, y),
            (x, y + 100.0),
            (x + 100.0, y + 100.0),
            (x + 100.0, y),
            (x, y),
        ]
        .into();
        let hole: LineString<f64> = vec![
            (x + 10.0, y + 10.0),
            (x + 20.0, y + 10.0),
            (x + 20.0, y + 20.0),
            (x + 10.0, y + 20.0),
        ]
        .into();
        let polygon = Polygon::new(cw, vec![hole]);
        let text = to_string(
            &layer(vec![
                polygon.clone().into(),
                geo::MultiPolygon(vec![polygon]).into(),
            ]),
            Path::new("t.geojson"),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "FeatureCollection");
        assert_eq!(v["name"], "t");
        assert!(v.get("crs").is_none());
        assert_eq!(v["lagesbild"]["title"], "T");
        assert_eq!(v["lagesbild"]["made_from"]["synthetic"], json!(true));
        assert_eq!(v["features"][0]["properties"], json!({"class": 1}));
        let single = &v["features"][0]["geometry"];
        assert_eq!(single["type"], "Polygon");
        let multi = &v["features"][1]["geometry"];
        assert_eq!(multi["type"], "MultiPolygon");
        for rings in [&single["coordinates"], &multi["coordinates"][0]] {
            let ext = ring_of(&rings[0]);
            let h = ring_of(&rings[1]);
            assert!(ext.is_closed() && h.is_closed());
            assert_eq!(h.0.len(), 5);
            assert!(ext.is_ccw(), "exterior must be CCW");
            assert!(h.is_cw(), "hole must be CW");
            // Lon/lat order: Sölvesborg is near 14.6 E, 56.0 N.
            assert!((14.0..15.0).contains(&ext.0[0].x) && (55.5..56.5).contains(&ext.0[0].y));
        }
    }

    #[test]
    fn points_are_lon_lat_with_at_most_seven_decimals() {
        let text = to_string(
            &layer(vec![
                geo::Point::new(474_000.123456, 6_211_000.654321).into(),
            ]),
            Path::new("t.geojson"),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let c = &v["features"][0]["geometry"]["coordinates"];
        for i in 0..2 {
            let t = c[i].to_string();
            assert!(t.split('.').nth(1).map_or(0, str::len) <= 7, "{t}");
        }
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let back = crate::crs::sweref_from_wgs84(crate::model::LonLat::new(lon, lat));
        // 7 decimals is about 1 cm.
        assert!((back.easting - 474_000.123456).abs() < 0.02, "{back:?}");
        assert!((back.northing - 6_211_000.654321).abs() < 0.02, "{back:?}");
    }

    #[test]
    fn unconvertible_positions_are_errors_naming_the_feature() {
        let err = to_string(
            &layer(vec![geo::Point::new(f64::NAN, 0.0).into()]),
            Path::new("out.geojson"),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("out.geojson: feature 1:"),
            "{err}"
        );
    }
}
