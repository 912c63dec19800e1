//! A walking loop ([`crate::analysis::route::Route`]) as GeoJSON or GPX 1.1.
//!
//! GeoJSON (RFC 7946, WGS84): one LineString feature, the loop, with
//! `length_m`, `walk_min`, `shift_min` (and `dwell_min`, `pace_kmh`,
//! `method`, `along`), then one Point feature per stop with `order`
//! (1-based walking order), `dwell_min` and `name`.
//!
//! GPX 1.1 (<https://www.topografix.com/GPX/1/1/>): one waypoint per stop,
//! named "order. name", in walking order, then one track with one segment,
//! the loop. OsmAnd and Organic Maps import both (waypoints as favourites /
//! bookmarks, the track as a track).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::ExportError;
use super::geojson::{round_coord, write_atomically};
use crate::analysis::route::{Along, Route, Stop};
use crate::crs::{Sweref99Tm, wgs84_from_sweref};

fn lon_lat(xy: [f64; 2]) -> [f64; 2] {
    let p = wgs84_from_sweref(Sweref99Tm {
        easting: xy[0],
        northing: xy[1],
    });
    [round_coord(p.lon), round_coord(p.lat)]
}

/// The name shown for the stop at walking position `order` (1-based).
fn stop_label(order: usize, stop: &Stop) -> String {
    match &stop.name {
        Some(name) => format!("{order}. {name}"),
        None => format!("{order}. Stopp {order}"),
    }
}

/// The loop and its stops as a GeoJSON FeatureCollection.
pub fn route_geojson(route: &Route, stops: &[Stop], pace_kmh: f64) -> Value {
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    let mut features = vec![json!({
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": route.line.iter().map(|p| lon_lat(*p)).collect::<Vec<_>>(),
        },
        "properties": {
            "name": "Slinga",
            "length_m": route.length_m.round(),
            "walk_min": round1(route.walk_min),
            "dwell_min": round1(route.dwell_min),
            "shift_min": round1(route.shift_min),
            "pace_kmh": pace_kmh,
            "stops": stops.len(),
            "method": route.method,
            "along": route.along,
        },
    })];
    for (k, &i) in route.order.iter().enumerate() {
        let s = &stops[i];
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": lon_lat(s.xy)},
            "properties": {
                "order": k + 1,
                "name": s.name,
                "dwell_min": s.dwell_min,
            },
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The loop and its stops as GPX 1.1 text.
pub fn route_gpx(route: &Route, stops: &[Stop], track_name: &str) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<gpx version=\"1.1\" creator=\"{}\" xmlns=\"http://www.topografix.com/GPX/1/1\">",
        xml_escape(crate::APP_NAME_VERSION)
    );
    let _ = writeln!(
        s,
        "  <metadata><name>{}</name></metadata>",
        xml_escape(track_name)
    );
    for (k, &i) in route.order.iter().enumerate() {
        let st = &stops[i];
        let [lon, lat] = lon_lat(st.xy);
        let _ = writeln!(
            s,
            "  <wpt lat=\"{lat}\" lon=\"{lon}\"><name>{}</name><desc>{} min</desc></wpt>",
            xml_escape(&stop_label(k + 1, st)),
            st.dwell_min
        );
    }
    let along = match route.along {
        Along::Network => "längs gångnätet",
        Along::StraightLines => "raka linjer (inget gångnät)",
    };
    let _ = writeln!(
        s,
        "  <trk><name>{}</name><desc>{:.0} m, {:.0} min gång + {:.0} min stopp, {along}</desc><trkseg>",
        xml_escape(track_name),
        route.length_m,
        route.walk_min,
        route.dwell_min
    );
    for p in &route.line {
        let [lon, lat] = lon_lat(*p);
        let _ = writeln!(s, "    <trkpt lat=\"{lat}\" lon=\"{lon}\"/>");
    }
    s.push_str("  </trkseg></trk>\n</gpx>\n");
    s
}

/// Writes the route as GeoJSON (`.geojson`/`.json`) or GPX (`.gpx`), picked by
/// `path`'s extension, atomically.
pub fn write_route(
    route: &Route,
    stops: &[Stop],
    pace_kmh: f64,
    path: &Path,
) -> Result<(), ExportError> {
    let lower = path.to_string_lossy().to_lowercase();
    let bytes = if lower.ends_with(".gpx") {
        let name = path
            .file_stem()
            .map_or_else(|| "Slinga".to_owned(), |s| s.to_string_lossy().into_owned());
        route_gpx(route, stops, &name).into_bytes()
    } else {
        let mut text =
            serde_json::to_string(&route_geojson(route, stops, pace_kmh)).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    };
    write_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::route::plan_route;
    use crate::jobs::CancelToken;

    #[test]
    fn gpx_escapes_names_and_lists_stops_in_order() {
        let stops = vec![
            Stop {
                xy: [474_000.0, 6_211_000.0],
                name: Some("Torget & <kiosk>".into()),
                dwell_min: 12.0,
            },
            Stop {
                xy: [474_300.0, 6_211_000.0],
                name: None,
                dwell_min: 10.0,
            },
        ];
        let r = plan_route(
            [474_100.0, 6_210_900.0],
            &stops,
            None,
            4.5,
            &CancelToken::new(),
        )
        .unwrap();
        let g = route_gpx(&r, &stops, "Kväll");
        assert!(g.contains("Torget &amp; &lt;kiosk&gt;"), "{g}");
        assert_eq!(g.matches("<wpt ").count(), 2);
        assert_eq!(g.matches("<trkpt ").count(), r.line.len());
        let v = route_geojson(&r, &stops, 4.5);
        let f = v["features"].as_array().unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0]["properties"]["along"], "straight_lines");
        assert_eq!(f[1]["properties"]["order"], 1);
    }
}
