//! Writing the patrol plan (`lagesbild plan export`): GeoJSON (RFC 7946, WGS
//! 84) for web maps and phones, or a GeoPackage with the project's own three
//! plan tables for QGIS ([`crate::store::gpkg::plan::write_plan_gpkg`]).
//! Both read back with [`crate::import::plan_file`] without loss.
//!
//! GeoJSON: one feature per area (MultiPolygon), route (LineString) and stop
//! (Point), in that order, with `kind` (`area`, `route`, `stop`), `name`,
//! and for areas and routes `plan_id`, `color`, `team`, `weekdays`, `hours`
//! (`null` for the whole day), `note` and their other attributes; stops carry
//! `route_id` (their route's `plan_id`), `route` (its name), `order` and
//! `dwell_min`. The plan holds no incident data.

use std::path::Path;

use geo::{Geometry, MapCoords as _};
use serde_json::{Map, Value, json};

use super::ExportError;
use super::geojson::{round_coord, write_atomically};
use crate::model::plan::{PatrolPlan, PlanAttributes};
use crate::model::shape::Feature;

fn item_properties(kind: &str, id: Option<i64>, a: &PlanAttributes) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("kind".into(), json!(kind));
    p.insert("plan_id".into(), json!(id));
    p.insert("name".into(), json!(a.name));
    p.insert("color".into(), json!(a.color_hex()));
    p.insert("team".into(), json!(a.team));
    p.insert("weekdays".into(), json!(a.weekdays_text()));
    p.insert("hours".into(), json!(a.hours_text()));
    p.insert("note".into(), json!(a.note));
    for (k, v) in &a.extra {
        p.entry(k.clone()).or_insert_with(|| v.clone());
    }
    p
}

/// The plan as features (WGS 84), as the module docs describe.
pub fn plan_features(plan: &PatrolPlan) -> Vec<Feature> {
    let mut out = Vec::new();
    for a in &plan.areas {
        out.push(Feature {
            geometry: Geometry::MultiPolygon(a.polygons.clone()),
            properties: item_properties("area", a.id, &a.attributes),
        });
    }
    for r in &plan.routes {
        out.push(Feature {
            geometry: Geometry::LineString(r.line.clone()),
            properties: item_properties("route", r.id, &r.attributes),
        });
    }
    for r in &plan.routes {
        for (i, s) in r.stops.iter().enumerate() {
            let properties = json!({
                "kind": "stop",
                "name": s.name,
                "route_id": r.id,
                "route": r.attributes.name,
                "order": i + 1,
                "dwell_min": s.dwell_min,
            });
            out.push(Feature {
                geometry: Geometry::Point(s.position),
                properties: properties.as_object().cloned().unwrap_or_default(),
            });
        }
    }
    out
}

/// The plan as GeoJSON text (coordinates rounded to 7 decimals, about 1 cm).
pub fn plan_geojson(plan: &PatrolPlan, path: &Path) -> Result<String, ExportError> {
    let invalid = |e: geojson::Error| ExportError::Invalid {
        path: path.to_owned(),
        reason: format!("GeoJSON could not be written: {e}"),
    };
    let mut out = Vec::new();
    {
        let mut writer = geojson::FeatureWriter::from_writer(&mut out);
        writer
            .write_foreign_member("name", &"patrol_plan")
            .map_err(invalid)?;
        for f in plan_features(plan) {
            let g = f
                .geometry
                .map_coords(|c| geo::coord! { x: round_coord(c.x), y: round_coord(c.y) });
            let feature = geojson::Feature {
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::from(&g))),
                properties: Some(f.properties),
                ..geojson::Feature::default()
            };
            writer.write_feature(&feature).map_err(invalid)?;
        }
        writer.finish().map_err(invalid)?;
    }
    out.push(b'\n');
    String::from_utf8(out).map_err(|e| ExportError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Writes the plan to `path`: `.gpkg` as a GeoPackage, `.geojson`/`.json`
/// as GeoJSON; replaces the file, never leaving a half-written one.
pub fn write_plan_file(plan: &PatrolPlan, path: &Path) -> Result<(), ExportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("gpkg") => crate::store::gpkg::plan::write_plan_gpkg(path, plan).map_err(|e| {
            ExportError::Invalid {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        }),
        Some("geojson" | "json") => {
            let text = plan_geojson(plan, path)?;
            write_atomically(path, text.as_bytes())
        }
        _ => Err(ExportError::Invalid {
            path: path.to_owned(),
            reason: "a plan is written as .geojson or .gpkg; the extension picks the format"
                .to_owned(),
        }),
    }
}
