//! A draft patrol route from chosen places (the app's "Ruttutkast"): the
//! shortest closed walk from a base through every place ([`super::route`]),
//! along a walking network when one is given, else in straight lines, made
//! into a [`PatrolRoute`] with its stops in walking order, ready to be
//! stored in the plan and edited like a drawn route.
//!
//! Positions come and go in WGS 84 (as the plan stores them); the walk is
//! found in SWEREF 99 TM metres.

use std::path::{Path, PathBuf};

use geo::{LineString, Point};

use crate::analysis::AnalysisError;
use crate::analysis::route::{Along, Method, Stop, plan_route};
use crate::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use crate::jobs::{CancelToken, Progress};
use crate::model::LonLat;
use crate::model::plan::{MAX_DWELL_MIN, PatrolRoute, PlanAttributes, RouteStop};
use crate::network::{Network, NetworkError};

/// What to make a draft route from.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftInput {
    /// The places to stop at: (name, WGS 84 position), in any order.
    pub places: Vec<(String, LonLat)>,
    /// Where the loop starts and ends (WGS 84).
    pub base: LonLat,
    /// A walking network file (`.osm.pbf` or GeoJSON lines); `None` =
    /// straight lines.
    pub network: Option<PathBuf>,
    /// Minutes at each stop.
    pub dwell_min: u32,
    pub pace_kmh: f64,
}

/// The draft and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The loop and its stops in walking order (no id, default attributes:
    /// the caller names and colours it).
    pub route: PatrolRoute,
    pub along: Along,
    pub method: Method,
    pub length_m: f64,
    pub walk_min: f64,
    /// Walking plus dwell minutes.
    pub shift_min: f64,
    /// Largest distance from a place to the network, metres (0 without one).
    pub max_snap_m: f64,
}

/// Why no draft could be made.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Network(#[from] NetworkError),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
}

fn xy(p: LonLat) -> [f64; 2] {
    let s = sweref_from_wgs84(p);
    [s.easting, s.northing]
}

fn lon_lat(p: [f64; 2]) -> LonLat {
    wgs84_from_sweref(Sweref99Tm {
        easting: p[0],
        northing: p[1],
    })
}

/// Reads the network (if any) and finds the loop; see the module docs.
///
/// # Errors
/// An unreadable network file (naming it), no places, a place the network
/// does not connect to the base, or cancellation.
pub fn draft_route(
    input: &DraftInput,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Draft, DraftError> {
    let network = match &input.network {
        Some(path) => {
            progress.stage("network", 0);
            Some(read_network(path)?)
        }
        None => None,
    };
    cancel.check().map_err(AnalysisError::from)?;
    progress.stage("route", 0);
    let dwell = input.dwell_min.min(MAX_DWELL_MIN);
    let stops: Vec<Stop> = input
        .places
        .iter()
        .map(|(name, p)| Stop {
            xy: xy(*p),
            name: Some(name.clone()),
            dwell_min: f64::from(dwell),
        })
        .collect();
    let route = plan_route(
        xy(input.base),
        &stops,
        network.as_ref(),
        input.pace_kmh,
        cancel,
    )?;
    let line: LineString<f64> = route
        .line
        .iter()
        .map(|p| {
            let ll = lon_lat(*p);
            (ll.lon, ll.lat)
        })
        .collect::<Vec<_>>()
        .into();
    let stops = route
        .order
        .iter()
        .map(|&i| {
            let (name, p) = &input.places[i];
            RouteStop {
                dwell_min: dwell,
                ..RouteStop::new(name.clone(), Point::new(p.lon, p.lat))
            }
        })
        .collect();
    Ok(Draft {
        route: PatrolRoute {
            id: None,
            attributes: PlanAttributes::default(),
            line,
            stops,
        },
        along: route.along,
        method: route.method,
        length_m: route.length_m,
        walk_min: route.walk_min,
        shift_min: route.shift_min,
        max_snap_m: route.max_snap_m,
    })
}

fn read_network(path: &Path) -> Result<Network, NetworkError> {
    Network::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::NoProgress;

    fn place(name: &str, dx: f64, dy: f64) -> (String, LonLat) {
        let base = sweref_from_wgs84(LonLat::new(14.585, 56.051));
        (
            name.to_owned(),
            lon_lat([base.easting + dx, base.northing + dy]),
        )
    }

    /// Four places at the corners of a 300 m square around the base's
    /// corner: straight lines, stops in walking order, a closed loop of
    /// 4 × 300 m (the base is the first corner).
    #[test]
    fn a_square_in_straight_lines() {
        let places = vec![
            place("C", 300.0, 300.0),
            place("B", 300.0, 0.0),
            place("D", 0.0, 300.0),
        ];
        let input = DraftInput {
            base: place("A", 0.0, 0.0).1,
            places,
            network: None,
            dwell_min: 12,
            pace_kmh: 4.5,
        };
        let d = draft_route(&input, &NoProgress, &CancelToken::new()).unwrap();
        assert_eq!(d.along, Along::StraightLines);
        assert_eq!(d.method, Method::Exact);
        assert!((d.length_m - 1200.0).abs() < 0.5, "{}", d.length_m);
        let names: Vec<&str> = d.route.stops.iter().map(|s| s.name.as_str()).collect();
        assert!(
            names == ["B", "C", "D"] || names == ["D", "C", "B"],
            "{names:?}"
        );
        assert!(d.route.stops.iter().all(|s| s.dwell_min == 12));
        assert_eq!(d.route.line.0.first(), d.route.line.0.last());
        assert_eq!(d.route.line.0.len(), 5);
        assert!((d.shift_min - (d.walk_min + 36.0)).abs() < 1e-9);
        assert_eq!(crate::model::plan::route_problem(&d.route), None);
    }

    #[test]
    fn no_places_and_a_missing_network_are_errors() {
        let mut input = DraftInput {
            base: place("A", 0.0, 0.0).1,
            places: vec![],
            network: None,
            dwell_min: 12,
            pace_kmh: 4.5,
        };
        assert!(matches!(
            draft_route(&input, &NoProgress, &CancelToken::new()),
            Err(DraftError::Analysis(_))
        ));
        input.places.push(place("B", 100.0, 0.0));
        input.network = Some(PathBuf::from("/nonexistent/gångnät.geojson"));
        let e = draft_route(&input, &NoProgress, &CancelToken::new()).unwrap_err();
        assert!(matches!(e, DraftError::Network(_)));
        assert!(e.to_string().contains("gångnät.geojson"), "{e}");
    }
}
