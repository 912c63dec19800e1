//! Reading a patrol plan from a file (`lagesbild plan import`): GeoJSON, or a
//! GeoPackage.
//!
//! A GeoPackage with the plan tables of a Lägesbild project (or of a
//! `plan export`) is read as it is ([`crate::store::gpkg::plan::read_plan_gpkg`]).
//! Any other file's features are read by the one layer reader
//! ([`crate::import::shapes`], [`crate::store::gpkg::layers::read_gpkg_file`])
//! and become plan items by geometry: Polygons and MultiPolygons → areas,
//! LineStrings (and a MultiLineString of one line) → routes, Points → stops.
//! Properties, as [`crate::export::plan`] writes them (Swedish names too):
//!
//! | property | meaning |
//! |----------|---------|
//! | `name` / `namn` | name |
//! | `color` / `färg` | `#rrggbb` |
//! | `team` / `lag` | the host pair or team |
//! | `weekdays` / `veckodagar` | `fri,sat`, `mon-fri`, `fre,lör` |
//! | `hours` / `timmar` | `20-2` (wrapping past midnight) |
//! | `note` / `anteckning` | note |
//! | `plan_id` | the item's id in the plan it came from (stops refer to it) |
//! | `route_id` / `route` | a stop's route: its `plan_id`, or its name |
//! | `order` | a stop's place in its route (default: file order) |
//! | `dwell_min` | a stop's planned dwell, minutes (default 12) |
//!
//! Other properties of areas and routes are kept (`extra`) and exported
//! again. A stop whose route the file does not name goes to the file's only
//! route; with several routes it is an error. Any bad feature makes the
//! whole file an error, `FILE: feature N: reason`, and nothing is imported.

use std::path::Path;

use geo::Geometry;
use serde_json::{Map, Value};

use super::ImportError;
use crate::model::plan::{
    DEFAULT_DWELL_MIN, MAX_DWELL_MIN, PatrolArea, PatrolPlan, PatrolRoute, PlanAttributes,
    RouteStop, area_problem, route_problem,
};
use crate::model::shape::Feature;
use crate::model::{HourRange, Weekdays, fold_name};

/// Reads the plan in `path` (`.gpkg` as a GeoPackage, anything else as GeoJSON).
pub fn read_plan_file(path: &Path) -> Result<PatrolPlan, ImportError> {
    let is_gpkg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    let file_error = |reason: String| ImportError::File {
        path: path.to_owned(),
        line: None,
        reason,
    };
    let features: Vec<Feature> = if is_gpkg {
        if !path.is_file() {
            return Err(file_error("no such file".to_owned()));
        }
        if let Some(plan) = crate::store::gpkg::plan::read_plan_gpkg(path)? {
            return Ok(plan);
        }
        crate::store::gpkg::layers::read_gpkg_file(path, None)?
            .into_iter()
            .flat_map(|s| s.features)
            .collect()
    } else {
        super::shapes::read_features(path, None)?.features
    };
    plan_from_features(&features).map_err(file_error)
}

/// Property keys of each meaning, folded ([`fold_name`]).
const NAME: &[&str] = &["name", "namn"];
const COLOR: &[&str] = &["color", "colour", "farg"];
const TEAM: &[&str] = &["team", "lag", "par"];
const WEEKDAYS: &[&str] = &["weekdays", "veckodagar", "dagar"];
const HOURS: &[&str] = &["hours", "timmar", "tider"];
const NOTE: &[&str] = &["note", "anteckning"];
const PLAN_ID: &[&str] = &["plan_id"];
const ROUTE_ID: &[&str] = &["route_id", "route_fid"];
const ROUTE: &[&str] = &["route", "rutt"];
const ORDER: &[&str] = &["order", "stop_order", "ordning"];
const DWELL: &[&str] = &["dwell_min", "uppehall_min"];
/// Written by the export to say what a feature is; not kept as an attribute.
const KIND: &[&str] = &["kind"];

fn key_of(key: &str) -> String {
    fold_name(key).replace(' ', "_")
}

fn get<'a>(props: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    props
        .iter()
        .find(|(k, v)| !v.is_null() && keys.contains(&key_of(k).as_str()))
        .map(|(_, v)| v)
}

fn text(props: &Map<String, Value>, keys: &[&str]) -> Result<Option<String>, String> {
    match get(props, keys) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!("{} is not text: {other}", keys[0])),
    }
}

fn whole(props: &Map<String, Value>, keys: &[&str]) -> Result<Option<i64>, String> {
    match get(props, keys) {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            Ok(n.as_f64().map(|f| f as i64))
        }
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{} {s:?} is not a whole number", keys[0])),
        Some(other) => Err(format!("{} {other} is not a whole number", keys[0])),
    }
}

fn attributes(props: &Map<String, Value>) -> Result<PlanAttributes, String> {
    let mut a = PlanAttributes {
        name: text(props, NAME)?.unwrap_or_default(),
        team: text(props, TEAM)?.unwrap_or_default(),
        note: text(props, NOTE)?.unwrap_or_default(),
        ..PlanAttributes::default()
    };
    if let Some(c) = text(props, COLOR)? {
        a.color =
            PlanAttributes::parse_color(&c).ok_or_else(|| format!("color {c:?} is not #rrggbb"))?;
    }
    if let Some(w) = text(props, WEEKDAYS)?.filter(|w| !w.trim().is_empty()) {
        a.weekdays = w.parse::<Weekdays>().map_err(|e| e.to_string())?;
    }
    if let Some(h) = text(props, HOURS)?.filter(|h| !h.trim().is_empty()) {
        a.hours =
            Some(h.parse::<HourRange>().map_err(|e| e.to_string())?).filter(|h| !h.is_whole_day());
    }
    let known: Vec<&[&str]> = vec![NAME, COLOR, TEAM, WEEKDAYS, HOURS, NOTE, PLAN_ID, KIND];
    a.extra = props
        .iter()
        .filter(|(k, _)| !known.iter().any(|keys| keys.contains(&key_of(k).as_str())))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(a)
}

/// A stop read from a file, before it joins its route.
struct LooseStop {
    feature: usize,
    route_id: Option<i64>,
    route: Option<String>,
    order: Option<i64>,
    stop: RouteStop,
}

/// Plan items from layer features (WGS 84), as the module docs describe.
/// The error is `feature N: reason`.
pub fn plan_from_features(features: &[Feature]) -> Result<PatrolPlan, String> {
    let mut plan = PatrolPlan::default();
    // The file's plan_id of each route, by index in plan.routes.
    let mut route_ids: Vec<Option<i64>> = Vec::new();
    let mut stops: Vec<LooseStop> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let at = |reason: String| format!("feature {}: {reason}", i + 1);
        let props = &f.properties;
        match &f.geometry {
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                let polygons = match &f.geometry {
                    Geometry::Polygon(p) => geo::MultiPolygon::new(vec![p.clone()]),
                    Geometry::MultiPolygon(m) => m.clone(),
                    _ => unreachable!("matched above"),
                };
                let area = PatrolArea {
                    id: None,
                    attributes: attributes(props).map_err(at)?,
                    polygons,
                };
                if let Some(p) = area_problem(&area) {
                    return Err(at(p));
                }
                plan.areas.push(area);
            }
            Geometry::LineString(_) | Geometry::MultiLineString(_) => {
                let line = match &f.geometry {
                    Geometry::LineString(l) => l.clone(),
                    Geometry::MultiLineString(m) if m.0.len() == 1 => m.0[0].clone(),
                    Geometry::MultiLineString(m) => {
                        return Err(at(format!(
                            "a MultiLineString of {} lines; a route is one line",
                            m.0.len()
                        )));
                    }
                    _ => unreachable!("matched above"),
                };
                let route = PatrolRoute {
                    id: None,
                    attributes: attributes(props).map_err(at)?,
                    line,
                    stops: Vec::new(),
                };
                if let Some(p) = route_problem(&route) {
                    return Err(at(p));
                }
                route_ids.push(whole(props, PLAN_ID).map_err(at)?);
                plan.routes.push(route);
            }
            Geometry::Point(p) => {
                let dwell = whole(props, DWELL).map_err(at)?;
                let dwell_min = match dwell {
                    None => DEFAULT_DWELL_MIN,
                    Some(d) if (0..=i64::from(MAX_DWELL_MIN)).contains(&d) => d as u32,
                    Some(d) => {
                        return Err(at(format!(
                            "dwell_min {d} is not 0–{MAX_DWELL_MIN} minutes"
                        )));
                    }
                };
                stops.push(LooseStop {
                    feature: i + 1,
                    route_id: whole(props, ROUTE_ID).map_err(at)?,
                    route: text(props, ROUTE).map_err(at)?,
                    order: whole(props, ORDER).map_err(at)?,
                    stop: RouteStop {
                        id: None,
                        name: text(props, NAME).map_err(at)?.unwrap_or_default(),
                        position: *p,
                        dwell_min,
                    },
                });
            }
            other => {
                return Err(at(format!(
                    "a {} is not a patrol area (Polygon), route (LineString) or stop (Point)",
                    crate::store::gpkg::blob::geometry_type_name(other)
                )));
            }
        }
    }
    let mut placed: Vec<Vec<(i64, usize, RouteStop)>> = vec![Vec::new(); plan.routes.len()];
    for s in stops {
        let at = |reason: String| format!("feature {}: {reason}", s.feature);
        let by_id = s
            .route_id
            .and_then(|id| route_ids.iter().position(|r| *r == Some(id)));
        let by_name = || {
            s.route.as_ref().and_then(|name| {
                plan.routes
                    .iter()
                    .position(|r| r.attributes.name.eq_ignore_ascii_case(name.trim()))
            })
        };
        let route = match (by_id.or_else(by_name), plan.routes.len()) {
            (Some(r), _) => r,
            (None, 1) if s.route_id.is_none() && s.route.is_none() => 0,
            (None, 0) => {
                return Err(at(
                    "a stop, but the file holds no route (LineString) for it".to_owned(),
                ));
            }
            (None, _) => {
                return Err(at(format!(
                    "the stop's route is not in the file (route_id {:?}, route {:?}); give \
                     route_id (a route's plan_id) or route (a route's name)",
                    s.route_id, s.route
                )));
            }
        };
        placed[route].push((s.order.unwrap_or(i64::MAX), s.feature, s.stop));
    }
    for (route, mut stops) in plan.routes.iter_mut().zip(placed) {
        stops.sort_by_key(|(order, feature, _)| (*order, *feature));
        route.stops = stops.into_iter().map(|(_, _, s)| s).collect();
    }
    if plan.is_empty() {
        return Err("the file holds no patrol area (Polygon) or route (LineString)".to_owned());
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Point, polygon};
    use serde_json::json;

    fn feature(geometry: Geometry<f64>, props: Value) -> Feature {
        Feature {
            geometry,
            properties: props.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn features_become_areas_routes_and_stops() {
        let features = vec![
            feature(
                Geometry::Polygon(
                    polygon![(x: 14.5, y: 56.0), (x: 14.6, y: 56.0), (x: 14.6, y: 56.1), (x: 14.5, y: 56.0)],
                ),
                json!({"namn": "Centrum", "veckodagar": "fre,lör", "timmar": "20-2", "färg": "#b2182b", "ägare": "QGIS"}),
            ),
            feature(
                Geometry::LineString(LineString::from(vec![(14.5, 56.0), (14.6, 56.0)])),
                json!({"name": "Slingan", "plan_id": 7, "team": "Par 2"}),
            ),
            feature(
                Geometry::Point(Point::new(14.6, 56.0)),
                json!({"name": "B", "route_id": 7, "order": 2, "dwell_min": 15}),
            ),
            feature(
                Geometry::Point(Point::new(14.5, 56.0)),
                json!({"name": "A", "route": "slingan", "order": 1}),
            ),
        ];
        let plan = plan_from_features(&features).unwrap();
        let a = &plan.areas[0].attributes;
        assert_eq!(a.name, "Centrum");
        assert_eq!(a.hours, Some(HourRange::new(20, 2).unwrap()));
        assert_eq!(a.weekdays, "fri,sat".parse().unwrap());
        assert_eq!(a.color, [178, 24, 43]);
        assert_eq!(a.extra.get("ägare"), Some(&json!("QGIS")));
        let r = &plan.routes[0];
        assert_eq!(r.attributes.team, "Par 2");
        assert!(r.attributes.extra.is_empty());
        let names: Vec<_> = r
            .stops
            .iter()
            .map(|s| (s.name.as_str(), s.dwell_min))
            .collect();
        assert_eq!(names, [("A", 12), ("B", 15)]);
    }

    #[test]
    fn bad_features_are_named() {
        let line = || Geometry::LineString(LineString::from(vec![(14.5, 56.0), (14.6, 56.0)]));
        let err = plan_from_features(&[
            feature(line(), json!({})),
            feature(line(), json!({"weekdays": "funday"})),
        ])
        .unwrap_err();
        assert!(err.starts_with("feature 2: weekdays \"funday\""), "{err}");
        let err = plan_from_features(&[
            feature(line(), json!({})),
            feature(line(), json!({})),
            feature(Geometry::Point(Point::new(14.5, 56.0)), json!({})),
        ])
        .unwrap_err();
        assert!(err.starts_with("feature 3: the stop's route"), "{err}");
        let err = plan_from_features(&[feature(
            Geometry::Point(Point::new(14.5, 56.0)),
            json!({"dwell_min": 999}),
        )])
        .unwrap_err();
        assert!(err.starts_with("feature 1: dwell_min 999"), "{err}");
    }
}
