//! What a patrol plan covers: for each area and route, the incidents it
//! reaches while it is walked, its share of all, its length, the walking
//! time with the stops' dwell times, and whether that fits the shift; plus
//! the plan total, each incident counted once.
//!
//! # Parameters
//! [`CoverageParams`]: the route buffer (default [`DEFAULT_BUFFER_M`] m), the
//! walking pace (default [`DEFAULT_PACE_KMH`] km/h), and optionally the
//! centres of hotspot cells and strategic places to count as reached.
//!
//! # Returns
//! [`PlanCoverage`] (serde `Serialize`, for `coverage --json`, the app's
//! table and the PDF report).
//!
//! # Algorithm
//! Everything is in SWEREF 99 TM metres: the plan's WGS 84 geometry is
//! projected once. An incident counts for an item when it passes the
//! caller's filter (already applied to the points given) **and** falls on one
//! of the item's weekdays and hours (local time), and lies inside the area
//! (its boundary included; holes excluded) or within the buffer of the
//! route's line. A route's `length_m` is its line's length; an area's is its
//! outer boundary's (walking it round once). `walk_min` = `length_m` at the
//! pace plus the stops' planned dwell minutes; `fits_shift` when that is no
//! longer than the item's hours (24 h when it has none).
//!
//! # Notes
//! One pass over the points; each point is tested against each item's
//! weekday/hour mask and box before the exact test, so 20 items over a
//! million incidents take tens of milliseconds (`benches/coverage.rs`).

use geo::{BoundingRect as _, Coord, Euclidean, Intersects as _, Length as _, MultiPolygon};
use serde::Serialize;

use crate::analysis::AnalysisError;
use crate::analysis::engine::Loaded;
use crate::crs::sweref_from_wgs84_geometry;
use crate::jobs::CancelToken;
use crate::model::plan::{PatrolPlan, PlanAttributes};
use crate::store::SwerefPoint;

/// Default route buffer, metres.
pub const DEFAULT_BUFFER_M: f64 = 50.0;
/// Default walking pace, km/h.
pub const DEFAULT_PACE_KMH: f64 = 4.5;

/// How coverage is measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageParams {
    /// Incidents within this distance of a route's line count for it, metres.
    pub buffer_m: f64,
    /// Walking pace, km/h.
    pub pace_kmh: f64,
    /// Centres of hotspot cells (SWEREF 99 TM) to count as reached, if known.
    pub hot_cells: Option<Vec<[f64; 2]>>,
    /// Strategic places (SWEREF 99 TM) to count as reached, if known.
    pub places: Option<Vec<[f64; 2]>>,
}

impl Default for CoverageParams {
    fn default() -> Self {
        CoverageParams {
            buffer_m: DEFAULT_BUFFER_M,
            pace_kmh: DEFAULT_PACE_KMH,
            hot_cells: None,
            places: None,
        }
    }
}

/// Area or route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Area,
    Route,
}

/// The coverage of one area or route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCoverage {
    pub kind: ItemKind,
    /// Storage id.
    pub id: Option<i64>,
    pub name: String,
    pub team: String,
    /// `fri,sat`.
    pub weekdays: String,
    /// `20-2`; `None` for the whole day.
    pub hours: Option<String>,
    /// Incidents reached while it is walked.
    pub incidents: usize,
    /// `incidents` / all incidents given (0 when none were given).
    pub share: f64,
    pub length_m: f64,
    /// Walking `length_m` at the pace, plus `dwell_min`.
    pub walk_min: f64,
    /// Planned dwell minutes of the stops.
    pub dwell_min: u32,
    /// Length of its shift (its hours), minutes.
    pub shift_min: f64,
    pub fits_shift: bool,
    /// Hotspot cells whose centre it reaches (when hotspots were given).
    pub hot_cells: Option<usize>,
    /// Strategic places it reaches (when places were given).
    pub places: Option<usize>,
}

/// The plan together, each incident counted once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageTotal {
    pub incidents: usize,
    pub share: f64,
    pub length_m: f64,
    pub walk_min: f64,
}

/// The coverage of a whole plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanCoverage {
    /// Areas first, then routes, in plan order.
    pub items: Vec<ItemCoverage>,
    pub total: CoverageTotal,
    /// All incidents measured against (the denominator of `share`).
    pub incidents: usize,
    pub buffer_m: f64,
    pub pace_kmh: f64,
}

enum Shape {
    Area(MultiPolygon<f64>),
    /// Segments of the line.
    Route(Vec<[Coord<f64>; 2]>),
}

/// One item ready for testing points.
struct Prepared {
    /// Active at weekday * 24 + hour.
    active: [bool; 7 * 24],
    /// Box (grown by the buffer for routes).
    min: [f64; 2],
    max: [f64; 2],
    shape: Shape,
    buffer2: f64,
}

impl Prepared {
    fn new(shape: Shape, attributes: &PlanAttributes, buffer_m: f64) -> Option<Prepared> {
        let (rect, grow) = match &shape {
            Shape::Area(m) => (m.bounding_rect()?, 0.0),
            Shape::Route(segs) => {
                let line: geo::LineString<f64> = segs
                    .iter()
                    .flat_map(|s| [s[0], s[1]])
                    .collect::<Vec<_>>()
                    .into();
                (line.bounding_rect()?, buffer_m)
            }
        };
        let mut active = [false; 7 * 24];
        for (i, a) in active.iter_mut().enumerate() {
            let day = chrono::Weekday::try_from((i / 24) as u8).ok()?;
            *a = attributes.active_at(day, (i % 24) as u8);
        }
        Some(Prepared {
            active,
            min: [rect.min().x - grow, rect.min().y - grow],
            max: [rect.max().x + grow, rect.max().y + grow],
            shape,
            buffer2: buffer_m * buffer_m,
        })
    }

    fn reaches(&self, p: [f64; 2]) -> bool {
        if !(p[0] >= self.min[0]
            && p[0] <= self.max[0]
            && p[1] >= self.min[1]
            && p[1] <= self.max[1])
        {
            return false;
        }
        match &self.shape {
            Shape::Area(m) => m.intersects(&Coord { x: p[0], y: p[1] }),
            Shape::Route(segs) => segs
                .iter()
                .any(|s| distance2_to_segment(p, s) <= self.buffer2),
        }
    }

    fn covers(&self, q: &SwerefPoint) -> bool {
        let slot = usize::from(q.weekday) * 24 + usize::from(q.hour);
        self.active.get(slot).copied().unwrap_or(false) && self.reaches(q.xy)
    }
}

/// Squared distance from `p` to the segment `s`.
fn distance2_to_segment(p: [f64; 2], s: &[Coord<f64>; 2]) -> f64 {
    let (ax, ay, bx, by) = (s[0].x, s[0].y, s[1].x, s[1].y);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - ax) * dx + (p[1] - ay) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (ax + t * dx - p[0], ay + t * dy - p[1]);
    cx * cx + cy * cy
}

fn check_params(params: &CoverageParams) -> Result<(), AnalysisError> {
    crate::analysis::check_positive_m("buffer", params.buffer_m)?;
    if !(params.pace_kmh.is_finite() && params.pace_kmh > 0.0) {
        return Err(AnalysisError::InvalidParam {
            name: "pace",
            reason: format!(
                "must be a positive speed in km/h, got {:?}",
                params.pace_kmh
            ),
        });
    }
    Ok(())
}

/// The coverage of `plan` over `points` (every point given counts: the
/// caller has filtered them; points that are not projected are skipped).
pub fn coverage(
    plan: &PatrolPlan,
    points: &[SwerefPoint],
    params: &CoverageParams,
    cancel: &CancelToken,
) -> Result<PlanCoverage, AnalysisError> {
    coverage_where(plan, points, |_| true, params, cancel)
}

/// [`coverage`] over the incidents a loaded selection uses (filter passed,
/// projectable, coarse ones only when asked for), as the app and the
/// command line measure.
pub fn coverage_of(
    loaded: &Loaded,
    plan: &PatrolPlan,
    params: &CoverageParams,
    cancel: &CancelToken,
) -> Result<PlanCoverage, AnalysisError> {
    coverage_where(plan, &loaded.points, |p| loaded.is_used(p), params, cancel)
}

fn coverage_where(
    plan: &PatrolPlan,
    points: &[SwerefPoint],
    keep: impl Fn(&SwerefPoint) -> bool,
    params: &CoverageParams,
    cancel: &CancelToken,
) -> Result<PlanCoverage, AnalysisError> {
    check_params(params)?;
    let metres_per_min = params.pace_kmh * 1000.0 / 60.0;
    // (kind, id, attributes, length, dwell, prepared)
    let mut items = Vec::new();
    for a in &plan.areas {
        let m = sweref_from_wgs84_geometry(&a.polygons);
        let length_m: f64 = m.0.iter().map(|p| Euclidean.length(p.exterior())).sum();
        let prepared = Prepared::new(Shape::Area(m), &a.attributes, params.buffer_m);
        items.push((ItemKind::Area, a.id, &a.attributes, length_m, 0, prepared));
    }
    for r in &plan.routes {
        let line = sweref_from_wgs84_geometry(&r.line);
        let length_m = Euclidean.length(&line);
        let segs: Vec<[Coord<f64>; 2]> = line.lines().map(|l| [l.start, l.end]).collect();
        let prepared = Prepared::new(Shape::Route(segs), &r.attributes, params.buffer_m);
        items.push((
            ItemKind::Route,
            r.id,
            &r.attributes,
            length_m,
            r.dwell_min(),
            prepared,
        ));
    }
    let mut counts = vec![0usize; items.len()];
    let mut total_count = 0usize;
    let mut all = 0usize;
    for (n, q) in points.iter().enumerate() {
        if n % 65_536 == 0 {
            cancel.check()?;
        }
        if !(q.is_projected() && keep(q)) {
            continue;
        }
        all += 1;
        let mut any = false;
        for (i, item) in items.iter().enumerate() {
            if let Some(p) = &item.5
                && p.covers(q)
            {
                counts[i] += 1;
                any = true;
            }
        }
        total_count += usize::from(any);
    }
    let share = |n: usize| if all == 0 { 0.0 } else { n as f64 / all as f64 };
    let reached = |p: &Option<Prepared>, targets: &Option<Vec<[f64; 2]>>| {
        targets.as_ref().map(|t| {
            p.as_ref()
                .map_or(0, |p| t.iter().filter(|c| p.reaches(**c)).count())
        })
    };
    let out: Vec<ItemCoverage> = items
        .iter()
        .zip(&counts)
        .map(|((kind, id, a, length_m, dwell, prepared), &n)| {
            let walk_min = length_m / metres_per_min + f64::from(*dwell);
            ItemCoverage {
                kind: *kind,
                id: *id,
                name: a.name.clone(),
                team: a.team.clone(),
                weekdays: a.weekdays_text(),
                hours: a.hours_text(),
                incidents: n,
                share: share(n),
                length_m: *length_m,
                walk_min,
                dwell_min: *dwell,
                shift_min: a.shift_min(),
                fits_shift: walk_min <= a.shift_min(),
                hot_cells: reached(prepared, &params.hot_cells),
                places: reached(prepared, &params.places),
            }
        })
        .collect();
    let total = CoverageTotal {
        incidents: total_count,
        share: share(total_count),
        length_m: out.iter().map(|i| i.length_m).sum(),
        walk_min: out.iter().map(|i| i.walk_min).sum(),
    };
    Ok(PlanCoverage {
        items: out,
        total,
        incidents: all,
        buffer_m: params.buffer_m,
        pace_kmh: params.pace_kmh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{Sweref99Tm, wgs84_from_sweref, wgs84_from_sweref_geometry};
    use crate::model::plan::{PatrolArea, PatrolRoute, RouteStop};
    use crate::model::{Category, Source};
    use geo::{LineString, Point, polygon};

    const E: f64 = 474_000.0;
    const N: f64 = 6_211_000.0;

    /// A point at (E + dx, N + dy), on a Friday (weekday 4) at `hour`.
    fn at(dx: f64, dy: f64, hour: u8) -> SwerefPoint {
        SwerefPoint {
            xy: [E + dx, N + dy],
            occurred_at: 0,
            local_day: 0,
            hour,
            weekday: 4,
            category: Category::Vald,
            source: Source::Polis,
            precision_m: 5.0,
        }
    }

    fn area(poly: geo::Polygon<f64>, hours: Option<&str>) -> PatrolArea {
        let sweref = MultiPolygon::new(vec![poly]).map_coords(|c| Coord {
            x: c.x + E,
            y: c.y + N,
        });
        PatrolArea {
            id: Some(1),
            attributes: PlanAttributes {
                name: "A".into(),
                hours: hours.map(|h| h.parse().unwrap()),
                ..PlanAttributes::default()
            },
            polygons: wgs84_from_sweref_geometry(&sweref),
        }
    }

    use geo::MapCoords as _;

    fn run(plan: &PatrolPlan, points: &[SwerefPoint]) -> PlanCoverage {
        coverage(
            plan,
            points,
            &CoverageParams::default(),
            &CancelToken::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_concave_area_counts_only_what_is_inside() {
        // An L: the 200 m square without its upper-right 100 m quarter.
        let l = polygon![
            (x: 0.0, y: 0.0), (x: 200.0, y: 0.0), (x: 200.0, y: 100.0), (x: 100.0, y: 100.0),
            (x: 100.0, y: 200.0), (x: 0.0, y: 200.0), (x: 0.0, y: 0.0)
        ];
        let plan = PatrolPlan {
            areas: vec![area(l, None)],
            routes: vec![],
        };
        // Inside: (50,50), (150,50), (50,150). In the notch: (150,150). Outside: (250,50).
        let points = [
            at(50.0, 50.0, 21),
            at(150.0, 50.0, 21),
            at(50.0, 150.0, 21),
            at(150.0, 150.0, 21),
            at(250.0, 50.0, 21),
        ];
        let c = run(&plan, &points);
        assert_eq!(c.items[0].incidents, 3);
        assert!((c.items[0].share - 0.6).abs() < 1e-12);
        assert_eq!(c.incidents, 5);
        // Perimeter 800 m (projection round trip: within a millimetre).
        assert!(
            (c.items[0].length_m - 800.0).abs() < 1e-3,
            "{}",
            c.items[0].length_m
        );
        // 800 m at 4.5 km/h = 75 m/min: 10.67 min.
        assert!((c.items[0].walk_min - 800.0 / 75.0).abs() < 1e-4);
        assert!(c.items[0].fits_shift);
    }

    #[test]
    fn a_hole_is_not_covered_and_hours_wrap_past_midnight() {
        let with_hole = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 300.0, y: 0.0), (x: 300.0, y: 300.0),
                (x: 0.0, y: 300.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 100.0, y: 100.0), (x: 200.0, y: 100.0), (x: 200.0, y: 200.0),
                (x: 100.0, y: 200.0), (x: 100.0, y: 100.0)]],
        );
        let plan = PatrolPlan {
            areas: vec![area(with_hole, Some("20-2"))],
            routes: vec![],
        };
        let points = [
            at(50.0, 50.0, 21),   // ring, in hours
            at(150.0, 150.0, 21), // hole
            at(250.0, 250.0, 1),  // ring, 01 (past midnight)
            at(250.0, 250.0, 2),  // ring, 02: outside 20-2
            at(50.0, 250.0, 12),  // ring, noon
        ];
        let c = run(&plan, &points);
        assert_eq!(c.items[0].incidents, 2);
        assert_eq!(c.items[0].shift_min, 360.0);
        // Only the outer boundary is walked: 1200 m.
        assert!((c.items[0].length_m - 1200.0).abs() < 1e-3);
    }

    #[test]
    fn a_route_buffer_and_the_plan_total_count_each_incident_once() {
        let to_wgs = |dx: f64, dy: f64| {
            let p = wgs84_from_sweref(Sweref99Tm {
                easting: E + dx,
                northing: N + dy,
            });
            (p.lon, p.lat)
        };
        let route = PatrolRoute {
            id: Some(5),
            attributes: PlanAttributes {
                name: "R".into(),
                weekdays: "fri".parse().unwrap(),
                ..PlanAttributes::default()
            },
            // An L along y = 0 to (400, 0), then up to (400, 300): 700 m.
            line: LineString::from(vec![
                to_wgs(0.0, 0.0),
                to_wgs(400.0, 0.0),
                to_wgs(400.0, 300.0),
            ]),
            stops: vec![
                RouteStop::new("a", Point::from(to_wgs(0.0, 0.0))),
                RouteStop {
                    dwell_min: 15,
                    ..RouteStop::new("b", Point::from(to_wgs(400.0, 300.0)))
                },
            ],
        };
        let square = polygon![
            (x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0),
            (x: 0.0, y: 0.0)
        ];
        let plan = PatrolPlan {
            areas: vec![area(square, None)],
            routes: vec![route],
        };
        let mut saturday = at(200.0, 10.0, 21);
        saturday.weekday = 5;
        let points = [
            at(200.0, 49.0, 21),  // 49 m from the first leg: route
            at(200.0, 51.0, 21),  // 51 m: not
            at(440.0, 150.0, 21), // 40 m from the second leg: route
            at(-30.0, -39.0, 21), // 49.2 m from the start vertex: route
            at(50.0, 30.0, 21),   // in the square and 30 m from the route: both
            saturday,             // the route is walked on Fridays only
        ];
        let c = run(&plan, &points);
        let (a, r) = (&c.items[0], &c.items[1]);
        assert_eq!(a.incidents, 1);
        assert_eq!(r.incidents, 4);
        // Union: (200,49), (440,150), (-30,-39), (50,30): each once.
        assert_eq!(c.total.incidents, 4);
        assert!((r.length_m - 700.0).abs() < 1e-3, "{}", r.length_m);
        assert_eq!(r.dwell_min, 27);
        assert!((r.walk_min - (700.0 / 75.0 + 27.0)).abs() < 1e-4);
        assert_eq!(r.shift_min, 1440.0);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let params = CoverageParams {
            buffer_m: -1.0,
            ..CoverageParams::default()
        };
        assert!(
            coverage(
                &PatrolPlan::default(),
                &[],
                &params,
                &CancelToken::default()
            )
            .is_err()
        );
        let c = run(&PatrolPlan::default(), &[]);
        assert_eq!((c.incidents, c.total.share), (0, 0.0));
    }
}
