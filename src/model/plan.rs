//! The patrol plan: where and when the trygghetsvärdar walk.
//!
//! A plan holds patrol **areas** (polygons, holes allowed) and patrol
//! **routes** (lines), each with a name, a colour, the host pair or team,
//! the weekdays and hours it is walked (hours may wrap past midnight,
//! [`HourRange`]) and a note. A route has ordered **stops**: points where the
//! hosts stay a while (planned dwell time, default [`DEFAULT_DWELL_MIN`]
//! minutes, the 10–15 minutes the evidence on presence suggests).
//!
//! Geometry is WGS 84 (x = longitude, y = latitude), as stored; anything
//! measured is projected to SWEREF 99 TM first ([`crate::analysis::coverage`]).
//! Plain data, no I/O: the store keeps plans as the GeoPackage feature tables
//! `patrol_areas`, `patrol_routes` and `route_stops`.

use chrono::Weekday;
use geo::{BoundingRect as _, CoordsIter as _, LineString, MultiPolygon, Point, Validation as _};
use serde_json::{Map, Value};

use super::{HourRange, Weekdays};

/// Planned dwell time of a stop when none is given, in minutes.
pub const DEFAULT_DWELL_MIN: u32 = 12;
/// Longest planned dwell time of one stop, in minutes.
pub const MAX_DWELL_MIN: u32 = 240;
/// Default colour of new plan items (a strong blue that reads on OSM tiles).
pub const DEFAULT_COLOR: [u8; 3] = [33, 102, 172];
/// Colours offered for plan items, in order.
pub const PLAN_PALETTE: [[u8; 3]; 6] = [
    [33, 102, 172],
    [178, 24, 43],
    [27, 120, 55],
    [230, 97, 1],
    [118, 42, 131],
    [1, 133, 113],
];

/// What every area and route carries besides its geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanAttributes {
    pub name: String,
    /// sRGB colour on the map.
    pub color: [u8; 3],
    /// The host pair or team, e.g. "Par 2" or "Anna + Omar".
    pub team: String,
    /// The weekdays it is walked.
    pub weekdays: Weekdays,
    /// The hours it is walked (local time); `None` = the whole day.
    pub hours: Option<HourRange>,
    pub note: String,
    /// Other attributes it came with (e.g. from a QGIS layer), kept as they
    /// were so that an export gives them back.
    pub extra: Map<String, Value>,
}

impl Default for PlanAttributes {
    fn default() -> Self {
        PlanAttributes {
            name: String::new(),
            color: DEFAULT_COLOR,
            team: String::new(),
            weekdays: Weekdays::ALL,
            hours: None,
            note: String::new(),
            extra: Map::new(),
        }
    }
}

impl PlanAttributes {
    /// `#rrggbb`.
    pub fn color_hex(&self) -> String {
        let [r, g, b] = self.color;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// Reads `#rrggbb` (case-insensitive).
    pub fn parse_color(text: &str) -> Option<[u8; 3]> {
        let hex = text.trim().strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some([byte(0)?, byte(2)?, byte(4)?])
    }

    /// Is the item walked at this local weekday and hour? The hours after
    /// midnight of a shift that wraps (fri–sat 20–02) belong to the evening
    /// the shift starts on: Saturday 01 and Sunday 01 are walked, Friday 01
    /// (Thursday's night) is not — as the week plan counts them.
    pub fn active_at(&self, weekday: Weekday, hour: u8) -> bool {
        match self.hours {
            None => self.weekdays.contains(weekday),
            Some(h) if h.contains(hour) => {
                let after_midnight = h.end() < h.start() && hour < h.end();
                let evening = if after_midnight {
                    weekday.pred()
                } else {
                    weekday
                };
                self.weekdays.contains(evening)
            }
            Some(_) => false,
        }
    }

    /// Length of the shift the item is walked in, in minutes (24 h when no
    /// hours are set).
    pub fn shift_min(&self) -> f64 {
        f64::from(self.hours.map_or(24, |h| h.len())) * 60.0
    }

    /// The weekdays as stored and exported, runs of three or more days as
    /// ranges: `fri,sat`, `mon-fri`, `mon,wed-sun`.
    pub fn weekdays_text(&self) -> String {
        let days: Vec<Weekday> = self.weekdays.days().collect();
        let name = |d: Weekday| d.to_string().to_lowercase();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < days.len() {
            let mut j = i;
            while j + 1 < days.len()
                && days[j + 1].num_days_from_monday() == days[j].num_days_from_monday() + 1
            {
                j += 1;
            }
            if j >= i + 2 {
                parts.push(format!("{}-{}", name(days[i]), name(days[j])));
            } else {
                parts.extend(days[i..=j].iter().map(|d| name(*d)));
            }
            i = j + 1;
        }
        parts.join(",")
    }

    /// The hours as stored and exported (`20-2`), `None` for the whole day.
    pub fn hours_text(&self) -> Option<String> {
        self.hours.map(|h| h.to_string())
    }
}

/// A patrol area.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolArea {
    /// Storage id (`fid` in `patrol_areas`); `None` before it is stored.
    pub id: Option<i64>,
    pub attributes: PlanAttributes,
    /// WGS 84.
    pub polygons: MultiPolygon<f64>,
}

/// A planned stop of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteStop {
    /// Storage id (`fid` in `route_stops`); `None` before it is stored.
    pub id: Option<i64>,
    pub name: String,
    /// WGS 84.
    pub position: Point<f64>,
    /// Planned dwell time in minutes.
    pub dwell_min: u32,
}

impl RouteStop {
    /// A stop at `position` with the default dwell time.
    pub fn new(name: impl Into<String>, position: Point<f64>) -> RouteStop {
        RouteStop {
            id: None,
            name: name.into(),
            position,
            dwell_min: DEFAULT_DWELL_MIN,
        }
    }
}

/// A patrol route and its stops, in visiting order (the stored `stop_order`
/// is the position in [`PatrolRoute::stops`], from 1; each stop refers to its
/// route by the route's id in `route_stops.route_fid`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolRoute {
    /// Storage id (`fid` in `patrol_routes`); `None` before it is stored.
    pub id: Option<i64>,
    pub attributes: PlanAttributes,
    /// WGS 84.
    pub line: LineString<f64>,
    pub stops: Vec<RouteStop>,
}

impl PatrolRoute {
    /// Total planned dwell time of the stops, in minutes.
    pub fn dwell_min(&self) -> u32 {
        self.stops.iter().map(|s| s.dwell_min).sum()
    }
}

/// Which item of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlanRef {
    Area(i64),
    Route(i64),
}

/// A whole plan: every area and route of a project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatrolPlan {
    /// By id.
    pub areas: Vec<PatrolArea>,
    /// By id.
    pub routes: Vec<PatrolRoute>,
}

impl PatrolPlan {
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty() && self.routes.is_empty()
    }

    pub fn area(&self, id: i64) -> Option<&PatrolArea> {
        self.areas.iter().find(|a| a.id == Some(id))
    }

    pub fn route(&self, id: i64) -> Option<&PatrolRoute> {
        self.routes.iter().find(|r| r.id == Some(id))
    }

    /// Number of stops over all routes.
    pub fn stop_count(&self) -> usize {
        self.routes.iter().map(|r| r.stops.len()).sum()
    }

    /// The WGS 84 box around every vertex and stop (`None` when empty).
    pub fn extent(&self) -> Option<geo::Rect<f64>> {
        let rects = self
            .areas
            .iter()
            .filter_map(|a| a.polygons.bounding_rect())
            .chain(self.routes.iter().filter_map(|r| r.line.bounding_rect()))
            .chain(
                self.routes
                    .iter()
                    .flat_map(|r| r.stops.iter().map(|s| s.position.bounding_rect())),
            );
        rects.reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    }
}

/// Why a plan item cannot be stored, in words for the user.
pub fn attributes_problem(a: &PlanAttributes) -> Option<String> {
    if a.weekdays == Weekdays::NONE {
        return Some("it is walked on no weekday; choose at least one".to_owned());
    }
    if a.name.chars().any(char::is_control) || a.team.chars().any(char::is_control) {
        return Some("the name or team holds control characters".to_owned());
    }
    None
}

fn wgs84_problem<'a>(mut coords: impl Iterator<Item = geo::Coord<f64>> + 'a) -> Option<String> {
    coords
        .find(|c| !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0))
        .map(|c| format!("({}, {}) is not a WGS 84 longitude/latitude", c.x, c.y))
}

/// Why an area cannot be stored (no polygon, too few vertices, bad
/// coordinates, bad attributes). Self-intersection is not checked here: see
/// [`area_validity`].
pub fn area_problem(area: &PatrolArea) -> Option<String> {
    if area.polygons.0.is_empty() {
        return Some("the area has no polygon".to_owned());
    }
    for p in &area.polygons.0 {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            let mut distinct: Vec<geo::Coord<f64>> = ring.0.clone();
            distinct.dedup();
            if distinct.first() == distinct.last() && distinct.len() > 1 {
                distinct.pop();
            }
            if distinct.len() < 3 {
                return Some("a ring of the area has fewer than 3 distinct corners".to_owned());
            }
        }
    }
    wgs84_problem(area.polygons.coords_iter()).or_else(|| attributes_problem(&area.attributes))
}

/// Why a route cannot be stored.
pub fn route_problem(route: &PatrolRoute) -> Option<String> {
    let mut distinct = route.line.0.clone();
    distinct.dedup();
    if distinct.len() < 2 {
        return Some("the route needs at least 2 distinct points".to_owned());
    }
    if let Some(p) = wgs84_problem(route.line.coords_iter()) {
        return Some(p);
    }
    for (i, s) in route.stops.iter().enumerate() {
        if let Some(p) = wgs84_problem(std::iter::once(s.position.0)) {
            return Some(format!("stop {}: {p}", i + 1));
        }
        if s.dwell_min > MAX_DWELL_MIN {
            return Some(format!(
                "stop {}: dwell time {} min is more than {MAX_DWELL_MIN} min",
                i + 1,
                s.dwell_min
            ));
        }
    }
    attributes_problem(&route.attributes)
}

/// `None` when the area's polygons are valid (no self-intersection, holes
/// inside their shell, …), else the first problem in words, as `geo`'s
/// validity check names it.
pub fn area_validity(polygons: &MultiPolygon<f64>) -> Option<String> {
    polygons.check_validation().err().map(|e| e.to_string())
}

/// A valid version of `polygons` (e.g. a bow-tie becomes two triangles):
/// the polygons' union with the even-odd fill rule, as `geo`'s boolean
/// operations compute it. `None` when nothing with an area is left.
pub fn repair_area(polygons: &MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    use geo::{Area as _, BooleanOps as _};
    let repaired = polygons.union_with_fill_rule(
        &MultiPolygon::new(vec![]),
        geo::algorithm::bool_ops::FillRule::EvenOdd,
    );
    (repaired.unsigned_area() > 0.0 && !repaired.0.is_empty()).then_some(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area as _, polygon};

    #[test]
    fn colours_and_times() {
        let mut a = PlanAttributes::default();
        assert_eq!(a.color_hex(), "#2166ac");
        assert_eq!(PlanAttributes::parse_color("#2166AC"), Some(DEFAULT_COLOR));
        assert_eq!(PlanAttributes::parse_color("2166ac"), None);
        a.weekdays = "fri,sat".parse().unwrap();
        a.hours = Some("20-2".parse().unwrap());
        assert!(a.active_at(Weekday::Fri, 23));
        assert!(a.active_at(Weekday::Sat, 1), "Friday's night");
        assert!(a.active_at(Weekday::Sun, 1), "Saturday's night");
        assert!(
            !a.active_at(Weekday::Fri, 1),
            "Thursday's night is not walked"
        );
        assert!(!a.active_at(Weekday::Sat, 2));
        assert!(!a.active_at(Weekday::Sun, 21));
        assert_eq!(a.shift_min(), 360.0);
        assert_eq!(a.hours_text().as_deref(), Some("20-2"));
        assert_eq!(a.weekdays_text(), "fri,sat");
        for text in ["mon-fri", "mon,wed-sun", "mon-sun", "tue,thu,sat"] {
            a.weekdays = text.parse().unwrap();
            assert_eq!(a.weekdays_text(), text);
        }
    }

    #[test]
    fn a_bow_tie_is_found_and_repaired() {
        let bow = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0), (x: 0.0, y: 0.0)
        ]]);
        let why = area_validity(&bow).unwrap();
        assert!(why.contains("intersect"), "{why}");
        let fixed = repair_area(&bow).unwrap();
        assert_eq!(area_validity(&fixed), None);
        assert_eq!(fixed.0.len(), 2);
        assert!((fixed.unsigned_area() - 2.0).abs() < 1e-9);
        let square = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)
        ]]);
        assert_eq!(area_validity(&square), None);
    }

    #[test]
    fn problems_are_named() {
        let area = PatrolArea {
            id: None,
            attributes: PlanAttributes::default(),
            polygons: MultiPolygon::new(vec![polygon![
                (x: 14.5, y: 56.0), (x: 14.6, y: 56.0), (x: 14.5, y: 56.0)
            ]]),
        };
        assert!(area_problem(&area).unwrap().contains("3 distinct"));
        let mut route = PatrolRoute {
            id: None,
            attributes: PlanAttributes::default(),
            line: LineString::from(vec![(14.5, 56.0), (14.6, 56.0)]),
            stops: vec![RouteStop::new("Torget", Point::new(14.55, 56.0))],
        };
        assert_eq!(route_problem(&route), None);
        assert_eq!(route.dwell_min(), 12);
        route.stops[0].dwell_min = 500;
        assert!(route_problem(&route).unwrap().contains("stop 1"));
        route.stops[0].dwell_min = 10;
        route.line = LineString::from(vec![(14.5, 156.0), (14.6, 56.0)]);
        assert!(route_problem(&route).unwrap().contains("WGS 84"));
    }
}
