//! `lagesbild route PROJECT.gpkg --stops STOPS.geojson --base LON,LAT
//! [--network FILE.osm.pbf|FILE.geojson] [--dwell 12] [--pace 4.5]
//! [--out ROUTE.geojson|ROUTE.gpx] [--shift 19:00-03:00 [--date YYYY-MM-DD]] [--json]`
//!
//! The shortest closed walk from the base through every stop and back, and
//! with `--shift` a night's visit plan over the same stops (rounds about every
//! two hours in an order seeded by the date). The summary, the stop list and
//! the visit table go to stdout; `--json` prints them as one JSON object
//! instead.

use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::Outcome;
use super::args::RouteArgs;
use lagesbild::analysis::route::{self, Along, Route, Stop, plan_route};
use lagesbild::analysis::visits::{self, Shift, VisitPlan, clock, visit_plan};
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::jobs::CancelToken;
use lagesbild::model::LonLat;
use lagesbild::network::Network;

/// Parses `LON,LAT` (WGS84) into SWEREF 99 TM metres.
pub(super) fn parse_lon_lat(flag: &str, text: &str) -> anyhow::Result<[f64; 2]> {
    let bad = || {
        anyhow::anyhow!("{flag} {text:?}: expected LON,LAT in WGS84 degrees, e.g. 14.5847,56.0516")
    };
    let (a, b) = text.split_once(',').ok_or_else(bad)?;
    let lon: f64 = a.trim().parse().map_err(|_| bad())?;
    let lat: f64 = b.trim().parse().map_err(|_| bad())?;
    let p = LonLat::new(lon, lat);
    if !p.is_in_sweden_region() {
        anyhow::bail!(
            "{flag} {text:?}: lon {lon}, lat {lat} is far outside Sweden (LON first, then LAT)"
        );
    }
    let s = sweref_from_wgs84(p);
    Ok([s.easting, s.northing])
}

/// Reads a network file, saying what it holds on stderr.
pub(super) fn read_network(path: &Path) -> anyhow::Result<Network> {
    let net = Network::read(path)?;
    eprintln!(
        "Network {}: {} nodes, {} edges, {:.1} km",
        path.display(),
        net.node_count(),
        net.edge_count(),
        net.total_length_m() / 1000.0
    );
    Ok(net)
}

fn positive(flag: &str, v: f64, unit: &str) -> anyhow::Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        anyhow::bail!("{flag} {v}: must be a positive number of {unit}")
    }
}

/// `lagesbild route`.
pub fn run(args: &RouteArgs) -> anyhow::Result<Outcome> {
    if args.out.is_none() && args.shift.is_none() {
        anyhow::bail!("route: give --out ROUTE.geojson|ROUTE.gpx, --shift HH:MM-HH:MM, or both");
    }
    if let Some(out) = &args.out {
        let lower = out.to_string_lossy().to_lowercase();
        if ![".geojson", ".json", ".gpx"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            anyhow::bail!(
                "--out {}: the route is written as .geojson or .gpx",
                out.display()
            );
        }
    }
    let pace = positive("--pace", args.pace, "km/h")?;
    if !(args.dwell.is_finite() && args.dwell >= 0.0) {
        anyhow::bail!("--dwell {}: must be minutes (0 or more)", args.dwell);
    }
    let shift: Option<Shift> = args
        .shift
        .as_deref()
        .map(|s| s.parse::<Shift>().map_err(anyhow::Error::msg))
        .transpose()?;
    let date: NaiveDate = match &args.date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("--date {d:?}: expected YYYY-MM-DD"))?,
        None => chrono::Local::now().date_naive(),
    };
    // The project must exist and open; the route uses no incidents, only
    // (with --route) the stops of a route of its patrol plan.
    let project = super::analysis::open_project(&args.project)?;
    let stops = match (&args.stops, &args.route) {
        (Some(path), _) => route::read_stops(path, args.dwell)?,
        (None, Some(name)) => {
            let plan = project.patrol_plan()?;
            let Some(r) = plan.routes.iter().find(|r| r.attributes.name == *name) else {
                let names: Vec<&str> = plan
                    .routes
                    .iter()
                    .map(|r| r.attributes.name.as_str())
                    .collect();
                anyhow::bail!(
                    "{}: no route named {name:?} in the patrol plan (routes: {})",
                    args.project.display(),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                );
            };
            if r.stops.is_empty() {
                anyhow::bail!("{}: route {name:?} has no stops", args.project.display());
            }
            r.stops
                .iter()
                .map(|s| {
                    let p = sweref_from_wgs84(LonLat::new(s.position.x(), s.position.y()));
                    Stop {
                        xy: [p.easting, p.northing],
                        name: (!s.name.trim().is_empty()).then(|| s.name.clone()),
                        dwell_min: f64::from(s.dwell_min),
                    }
                })
                .collect()
        }
        (None, None) => anyhow::bail!("route: give --stops STOPS.geojson or --route NAME"),
    };
    drop(project);
    let base = parse_lon_lat("--base", &args.base)?;
    let network = args.network.as_deref().map(read_network).transpose()?;
    let route = plan_route(base, &stops, network.as_ref(), pace, &CancelToken::new())
        .map_err(|e| anyhow::anyhow!("route: {e}"))?;
    if let Some(out) = &args.out {
        lagesbild::export::route::write_route(&route, &stops, pace, out)?;
        super::export::record(
            &args.project,
            "route",
            out,
            &["route".to_owned(), "stops".to_owned()],
        )?;
    }
    let plan = match shift {
        Some(shift) => {
            let travel: Vec<Vec<f64>> = route
                .matrix_m
                .iter()
                .map(|row| row.iter().map(|m| route::walk_minutes(*m, pace)).collect())
                .collect();
            let dwell: Vec<f64> = stops.iter().map(|s| s.dwell_min).collect();
            Some(
                visit_plan(&travel, &dwell, shift, date, visits::DEFAULT_INTERVAL_MIN)
                    .map_err(|e| anyhow::anyhow!("visit plan: {e}"))?,
            )
        }
        None => None,
    };
    let warning = plan
        .as_ref()
        .and_then(|p| visits::round_warning(route.shift_min, p.interval_min));
    if let Some(w) = &warning {
        eprintln!("lagesbild: warning: {w}");
    }
    if args.json {
        let mut v = route_json(&route, &stops, base, pace, plan.as_ref());
        if plan.is_some() {
            v["visit_plan"]["round_min"] = json!((route.shift_min * 10.0).round() / 10.0);
            v["visit_plan"]["round_warning"] = json!(warning);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_route(&route, &stops, pace);
        if let Some(plan) = &plan {
            print_plan(plan, &stops);
            if let Some(w) = &warning {
                println!("WARNING: {w}");
            }
        }
        if let Some(out) = &args.out {
            println!("Wrote {}", out.display());
        }
    }
    Ok(Outcome::Success)
}

fn stop_name(stops: &[Stop], i: usize) -> String {
    stops[i]
        .name
        .clone()
        .unwrap_or_else(|| format!("Stopp {}", i + 1))
}

fn print_route(route: &Route, stops: &[Stop], pace: f64) {
    let along = match route.along {
        Along::Network => "along the network".to_owned(),
        Along::StraightLines => {
            "in STRAIGHT LINES (no --network given: real walks are longer)".to_owned()
        }
    };
    println!(
        "Route: {} stop(s), {:.0} m {along}; order {}",
        stops.len(),
        route.length_m,
        route.method.describe()
    );
    println!(
        "Time: {:.0} min walking at {pace} km/h + {:.0} min at stops = {:.0} min",
        route.walk_min, route.dwell_min, route.shift_min
    );
    if route.along == Along::Network && route.max_snap_m > 0.0 {
        println!(
            "Farthest point from the network: {:.0} m (walked in a straight line)",
            route.max_snap_m
        );
    }
    println!(
        "{:>5}  {:<28} {:>8} {:>7}",
        "order", "stop", "leg m", "dwell"
    );
    for (k, &i) in route.order.iter().enumerate() {
        println!(
            "{:>5}  {:<28} {:>8.0} {:>5.0} min",
            k + 1,
            stop_name(stops, i),
            route.legs_m[k],
            stops[i].dwell_min
        );
    }
    println!(
        "{:>5}  {:<28} {:>8.0}",
        "",
        "back to the base",
        route.legs_m.last().copied().unwrap_or(0.0)
    );
}

fn print_plan(plan: &VisitPlan, stops: &[Stop]) {
    println!();
    println!(
        "Visit plan {} {}: {} round(s), each stop about every {:.0} min (order seeded by the date; the same date prints the same plan)",
        plan.date, plan.shift, plan.rounds, plan.interval_min
    );
    println!("{:<28} visits (arrival)", "stop");
    for (i, times) in plan.per_stop.iter().enumerate() {
        let t: Vec<String> = times.iter().map(|m| clock(*m)).collect();
        println!("{:<28} {}", stop_name(stops, i), t.join("  "));
    }
    println!();
    println!("{:>5}  {:>5}-{:<5}  stop", "round", "from", "to");
    for v in &plan.visits {
        println!(
            "{:>5}  {}-{}  {}",
            v.round,
            clock(v.arrive_min),
            clock(v.leave_min),
            stop_name(stops, v.stop)
        );
    }
    let gaps: Vec<f64> = plan.all_gaps().collect();
    if !gaps.is_empty() {
        let lo = gaps.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = gaps.iter().copied().fold(0.0, f64::max);
        println!("Revisit gaps: {lo:.0}–{hi:.0} min");
    }
    println!("Back at the base: {}", clock(plan.back_min));
}

fn lon_lat(xy: [f64; 2]) -> [f64; 2] {
    let p = wgs84_from_sweref(Sweref99Tm {
        easting: xy[0],
        northing: xy[1],
    });
    [
        lagesbild::export::geojson::round_coord(p.lon),
        lagesbild::export::geojson::round_coord(p.lat),
    ]
}

fn route_json(
    route: &Route,
    stops: &[Stop],
    base: [f64; 2],
    pace: f64,
    plan: Option<&VisitPlan>,
) -> Value {
    let order: Vec<Value> = route
        .order
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            json!({
                "order": k + 1,
                "stop": i + 1,
                "name": stops[i].name,
                "lon_lat": lon_lat(stops[i].xy),
                "leg_m": route.legs_m[k].round(),
                "dwell_min": stops[i].dwell_min,
            })
        })
        .collect();
    let mut v = json!({
        "base": lon_lat(base),
        "length_m": route.length_m.round(),
        "walk_min": (route.walk_min * 10.0).round() / 10.0,
        "dwell_min": route.dwell_min,
        "shift_min": (route.shift_min * 10.0).round() / 10.0,
        "pace_kmh": pace,
        "method": route.method,
        "along": route.along,
        "stops": order,
    });
    if let Some(p) = plan {
        v["visit_plan"] = json!({
            "date": p.date.to_string(),
            "shift": p.shift.to_string(),
            "interval_min": p.interval_min,
            "rounds": p.rounds,
            "back": clock(p.back_min),
            "stops": p.per_stop.iter().enumerate().map(|(i, t)| json!({
                "stop": i + 1,
                "name": stops[i].name,
                "visits": t.iter().map(|m| clock(*m)).collect::<Vec<_>>(),
                "gaps_min": p.gaps_min[i].iter().map(|g| g.round()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "visits": p.visits.iter().map(|x| json!({
                "round": x.round,
                "stop": x.stop + 1,
                "name": stops[x.stop].name,
                "arrive": clock(x.arrive_min),
                "leave": clock(x.leave_min),
            })).collect::<Vec<_>>(),
        });
    }
    v
}
