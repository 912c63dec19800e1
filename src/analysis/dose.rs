//! Delivered presence ("dose") per place, from the hosts' tracks and
//! check-ins.
//!
//! # Rules
//! - A host is *inside* a place while a fix lies within `radius_m` of it
//!   (default 50 m), measured in SWEREF 99 TM metres.
//! - Presence counts between consecutive fixes of a track that are both
//!   inside and at most `max_gap_secs` (5 minutes) apart.
//! - A longer gap, or a fix outside, ends a visit.
//! - A visit needs at least two consecutive fixes inside; a single fix
//!   inside (a walk-through with sparse fixes) is no visit.
//! - A *dose visit* lasts at least `dose_secs` (10 minutes).
//! - A check-in is one visit lasting from in to out at the place of that name
//!   (names compared loosely: case and Swedish letters folded).
//!
//! Visits are aggregated per place, or per place and ISO week (of the
//! visit's local start), never per host: the output carries no path.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Utc};
use serde::Serialize;

use crate::analysis::{AnalysisError, check_positive_m};
use crate::crs::sweref_from_wgs84;
use crate::model::track::{CheckIn, Track};
use crate::model::{fold_name, time};

/// The rules' parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoseParams {
    pub radius_m: f64,
    pub max_gap_secs: i64,
    pub dose_secs: i64,
}

impl Default for DoseParams {
    fn default() -> Self {
        DoseParams {
            radius_m: 50.0,
            max_gap_secs: 5 * 60,
            dose_secs: 10 * 60,
        }
    }
}

/// A place to measure, SWEREF 99 TM.
#[derive(Debug, Clone, PartialEq)]
pub struct DosePlace {
    pub name: String,
    pub xy: [f64; 2],
}

/// One visit: when it began and how long it lasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub start: DateTime<Utc>,
    pub secs: i64,
}

/// The dose at one place (or one place in one week).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceDose {
    pub name: String,
    /// ISO week `YYYY-Www` for per-week rows, else `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week: Option<String>,
    pub visits: u64,
    pub dose_visits: u64,
    pub minutes: f64,
}

/// The visits of one track (fixes in time order, SWEREF 99 TM) at `xy`.
pub fn track_visits(
    fixes: &[(DateTime<Utc>, [f64; 2])],
    xy: [f64; 2],
    p: &DoseParams,
) -> Vec<Visit> {
    let r2 = p.radius_m * p.radius_m;
    let inside = |q: [f64; 2]| {
        let (dx, dy) = (q[0] - xy[0], q[1] - xy[1]);
        dx * dx + dy * dy <= r2
    };
    let mut visits = Vec::new();
    // The current run of consecutive fixes inside: (first time, last time, fixes).
    let mut run: Option<(DateTime<Utc>, DateTime<Utc>, usize)> = None;
    let close = |run: &mut Option<(DateTime<Utc>, DateTime<Utc>, usize)>,
                 visits: &mut Vec<Visit>| {
        if let Some((first, last, n)) = run.take()
            && n >= 2
        {
            visits.push(Visit {
                start: first,
                secs: (last - first).num_seconds(),
            });
        }
    };
    for &(at, q) in fixes {
        if !inside(q) {
            close(&mut run, &mut visits);
            continue;
        }
        match run.as_mut() {
            Some((_, last, n)) if (at - *last).num_seconds() <= p.max_gap_secs => {
                *last = at;
                *n += 1;
            }
            _ => {
                close(&mut run, &mut visits);
                run = Some((at, at, 1));
            }
        }
    }
    close(&mut run, &mut visits);
    visits
}

/// The visits at each place (in `places` order) of every track and check-in.
/// Check-ins whose place matches no name are returned by name (sorted).
pub fn visits_by_place(
    places: &[DosePlace],
    tracks: &[Track],
    checkins: &[CheckIn],
    params: &DoseParams,
) -> Result<(Vec<Vec<Visit>>, Vec<String>), AnalysisError> {
    check_positive_m("radius_m", params.radius_m)?;
    let mut out = vec![Vec::new(); places.len()];
    for t in tracks {
        let fixes: Vec<(DateTime<Utc>, [f64; 2])> = t
            .fixes
            .iter()
            .map(|f| {
                let s = sweref_from_wgs84(f.position);
                (f.at, [s.easting, s.northing])
            })
            .filter(|(_, xy)| xy[0].is_finite() && xy[1].is_finite())
            .collect();
        for (i, place) in places.iter().enumerate() {
            out[i].extend(track_visits(&fixes, place.xy, params));
        }
    }
    let folded: Vec<String> = places.iter().map(|p| fold_name(&p.name)).collect();
    let mut unmatched = std::collections::BTreeSet::new();
    for c in checkins {
        let key = fold_name(&c.place);
        match folded.iter().position(|f| *f == key) {
            Some(i) => out[i].push(Visit {
                start: c.checked_in,
                secs: (c.checked_out - c.checked_in).num_seconds(),
            }),
            None => {
                unmatched.insert(c.place.clone());
            }
        }
    }
    for v in &mut out {
        v.sort_by_key(|v| v.start);
    }
    Ok((out, unmatched.into_iter().collect()))
}

fn total(name: &str, week: Option<String>, visits: &[&Visit], p: &DoseParams) -> PlaceDose {
    PlaceDose {
        name: name.to_owned(),
        week,
        visits: visits.len() as u64,
        dose_visits: visits.iter().filter(|v| v.secs >= p.dose_secs).count() as u64,
        minutes: visits.iter().map(|v| v.secs as f64).sum::<f64>() / 60.0,
    }
}

/// The dose per place, in `places` order.
pub fn dose_per_place(
    places: &[DosePlace],
    visits: &[Vec<Visit>],
    p: &DoseParams,
) -> Vec<PlaceDose> {
    places
        .iter()
        .zip(visits)
        .map(|(place, v)| total(&place.name, None, &v.iter().collect::<Vec<_>>(), p))
        .collect()
}

/// Is `t`'s local date within `from`..=`to` (`None`: open)?
pub fn within_dates(
    t: DateTime<Utc>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> bool {
    let d = time::local(t).date_naive();
    from.is_none_or(|f| d >= f) && to.is_none_or(|e| d <= e)
}

/// The ISO week `YYYY-Www` of an instant's local date.
pub fn iso_week(t: DateTime<Utc>) -> String {
    let w = time::local(t).date_naive().iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The dose per place and ISO week (weeks with visits only), places in
/// `places` order, weeks in order.
pub fn dose_per_week(
    places: &[DosePlace],
    visits: &[Vec<Visit>],
    p: &DoseParams,
) -> Vec<PlaceDose> {
    let mut out = Vec::new();
    for (place, v) in places.iter().zip(visits) {
        let mut weeks: BTreeMap<String, Vec<&Visit>> = BTreeMap::new();
        for visit in v {
            weeks.entry(iso_week(visit.start)).or_default().push(visit);
        }
        for (week, vs) in weeks {
            out.push(total(&place.name, Some(week), &vs, p));
        }
    }
    out
}

/// A planned place: a route stop with its planned minutes per week.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPlace {
    pub place: DosePlace,
    /// The stop's dwell minutes times the days a week its route is walked.
    pub minutes_per_week: f64,
}

/// The patrol plan's route stops as planned places. A route is taken to be
/// walked once on each of its weekdays, so a stop's planned minutes per week
/// are its dwell minutes times the route's weekdays. Stops of the same name
/// (on several routes) are one place, their minutes added, at the first
/// stop's position. Stops whose position cannot be projected are left out.
pub fn planned_from_plan(plan: &crate::model::plan::PatrolPlan) -> Vec<PlannedPlace> {
    let mut out: Vec<PlannedPlace> = Vec::new();
    for route in &plan.routes {
        let days = route.attributes.weekdays.days().count() as f64;
        for stop in &route.stops {
            let s = sweref_from_wgs84(crate::model::LonLat::new(
                stop.position.x(),
                stop.position.y(),
            ));
            if !(s.easting.is_finite() && s.northing.is_finite()) {
                continue;
            }
            let minutes = f64::from(stop.dwell_min) * days;
            match out.iter_mut().find(|p| p.place.name == stop.name) {
                Some(p) => p.minutes_per_week += minutes,
                None => out.push(PlannedPlace {
                    place: DosePlace {
                        name: stop.name.clone(),
                        xy: [s.easting, s.northing],
                    },
                    minutes_per_week: minutes,
                }),
            }
        }
    }
    out
}

/// Planned against delivered at one place in one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedVsDelivered {
    pub name: String,
    pub week: String,
    pub planned_minutes: f64,
    pub minutes: f64,
    pub visits: u64,
    pub dose_visits: u64,
}

/// The ISO weeks (`YYYY-Www`) that local dates `from`..=`to` touch.
pub fn weeks_between(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut d = from;
    while d <= to {
        let w = d.iso_week();
        let key = format!("{}-W{:02}", w.year(), w.week());
        if out.last() != Some(&key) {
            out.push(key);
        }
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    out
}

/// Planned against delivered per place and week, for every week in `weeks`
/// (a week without visits shows 0 delivered), places in `planned` order.
/// `visits` are in `planned` order, as [`visits_by_place`] gives them.
pub fn planned_vs_delivered(
    planned: &[PlannedPlace],
    visits: &[Vec<Visit>],
    weeks: &[String],
    p: &DoseParams,
) -> Vec<PlannedVsDelivered> {
    let mut out = Vec::new();
    for (place, v) in planned.iter().zip(visits) {
        for week in weeks {
            let in_week: Vec<&Visit> = v.iter().filter(|x| iso_week(x.start) == *week).collect();
            let d = total(&place.place.name, None, &in_week, p);
            out.push(PlannedVsDelivered {
                name: place.place.name.clone(),
                week: week.clone(),
                planned_minutes: place.minutes_per_week,
                minutes: d.minutes,
                visits: d.visits,
                dose_visits: d.dose_visits,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{Sweref99Tm, wgs84_from_sweref};
    use crate::model::LonLat;
    use crate::model::track::Fix;

    const PLACE: [f64; 2] = [500_000.0, 6_210_000.0];

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-11-28T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Fixes at (minutes after t0, metres east of PLACE).
    fn fixes(spec: &[(f64, f64)]) -> Vec<(DateTime<Utc>, [f64; 2])> {
        spec.iter()
            .map(|&(min, east)| {
                (
                    t0() + chrono::Duration::seconds((min * 60.0) as i64),
                    [PLACE[0] + east, PLACE[1]],
                )
            })
            .collect()
    }

    fn p() -> DoseParams {
        DoseParams::default()
    }

    #[test]
    fn a_gap_longer_than_five_minutes_ends_a_visit() {
        // Inside at 0, 2, 4; 7 minutes without a fix; inside at 11, 13.
        let v = track_visits(
            &fixes(&[
                (0.0, 0.0),
                (2.0, 10.0),
                (4.0, 20.0),
                (11.0, 0.0),
                (13.0, 5.0),
            ]),
            PLACE,
            &p(),
        );
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].secs, v[1].secs), (240, 120));
        let places = [DosePlace {
            name: "Torget".into(),
            xy: PLACE,
        }];
        let d = dose_per_place(&places, &[v], &p());
        assert_eq!((d[0].visits, d[0].dose_visits, d[0].minutes), (2, 0, 6.0));
        // Exactly 5 minutes apart still counts.
        let v = track_visits(&fixes(&[(0.0, 0.0), (5.0, 0.0), (10.0, 0.0)]), PLACE, &p());
        assert_eq!(
            v,
            [Visit {
                start: t0(),
                secs: 600
            }]
        );
    }

    #[test]
    fn a_walk_through_is_no_visit() {
        // Outside, one fix inside (at 49 m), outside again.
        let v = track_visits(
            &fixes(&[(0.0, -200.0), (1.0, 49.0), (2.0, 200.0)]),
            PLACE,
            &p(),
        );
        assert!(v.is_empty());
        // Two fixes inside half a minute apart: a visit of 0.5 minutes, no dose.
        let v = track_visits(
            &fixes(&[(0.0, -200.0), (1.0, -30.0), (1.5, 30.0), (2.0, 200.0)]),
            PLACE,
            &p(),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].secs, 30);
    }

    #[test]
    fn a_too_short_stop_is_a_visit_but_no_dose() {
        // A stop from 0 to 8 minutes: a visit, not a dose visit. A stop
        // from 20 to 32 (a fix outside at 51 m between them): a dose visit.
        let mut spec: Vec<(f64, f64)> = (0..=8).map(|m| (m as f64, 0.0)).collect();
        spec.push((9.0, 51.0));
        spec.extend((20..=32).map(|m| (m as f64, -10.0)));
        let v = track_visits(&fixes(&spec), PLACE, &p());
        assert_eq!(v.iter().map(|v| v.secs).collect::<Vec<_>>(), [480, 720]);
        let places = [DosePlace {
            name: "Torget".into(),
            xy: PLACE,
        }];
        let d = dose_per_place(&places, &[v], &p());
        assert_eq!((d[0].visits, d[0].dose_visits, d[0].minutes), (2, 1, 20.0));
    }

    #[test]
    fn tracks_and_checkins_add_up_per_place_and_week() {
        let at = |east: f64| {
            let p = wgs84_from_sweref(Sweref99Tm {
                easting: PLACE[0] + east,
                northing: PLACE[1],
            });
            LonLat::new(p.lon, p.lat)
        };
        let track = Track {
            host: "TV01".into(),
            source: "t.gpx".into(),
            fixes: (0..=12)
                .map(|m| Fix {
                    at: t0() + chrono::Duration::minutes(m),
                    position: at(3.0),
                })
                .collect(),
        };
        let checkins = [
            CheckIn {
                place: "torget".into(),
                host: "TV02".into(),
                checked_in: t0() + chrono::Duration::days(7),
                checked_out: t0() + chrono::Duration::days(7) + chrono::Duration::minutes(25),
            },
            CheckIn {
                place: "Okänd plats".into(),
                host: "TV02".into(),
                checked_in: t0(),
                checked_out: t0() + chrono::Duration::minutes(5),
            },
        ];
        let places = [DosePlace {
            name: "Torget".into(),
            xy: PLACE,
        }];
        let (v, unmatched) = visits_by_place(&places, &[track], &checkins, &p()).unwrap();
        assert_eq!(unmatched, ["Okänd plats"]);
        let d = dose_per_place(&places, &v, &p());
        assert_eq!((d[0].visits, d[0].dose_visits, d[0].minutes), (2, 2, 37.0));
        let w = dose_per_week(&places, &v, &p());
        assert_eq!(
            w.iter()
                .map(|d| (d.week.clone().unwrap(), d.minutes))
                .collect::<Vec<_>>(),
            [("2025-W48".to_owned(), 12.0), ("2025-W49".to_owned(), 25.0)]
        );
    }

    #[test]
    fn planned_minutes_come_from_route_stops_and_weekdays() {
        use crate::model::plan::{PatrolPlan, PatrolRoute, PlanAttributes, RouteStop};
        let ll = |east: f64| {
            let p = wgs84_from_sweref(Sweref99Tm {
                easting: PLACE[0] + east,
                northing: PLACE[1],
            });
            geo::Point::new(p.lon, p.lat)
        };
        let mut stop = RouteStop::new("Torget", ll(0.0));
        stop.dwell_min = 15;
        let route = |days: &str, stops: Vec<RouteStop>| PatrolRoute {
            id: None,
            attributes: PlanAttributes {
                weekdays: days.parse().unwrap(),
                ..PlanAttributes::default()
            },
            line: geo::LineString::from(vec![
                (ll(0.0).x(), ll(0.0).y()),
                (ll(100.0).x(), ll(100.0).y()),
            ]),
            stops,
        };
        let plan = PatrolPlan {
            areas: vec![],
            routes: vec![
                route("fri,sat", vec![stop.clone()]),
                route("sun", vec![stop]),
            ],
        };
        let planned = planned_from_plan(&plan);
        assert_eq!(planned.len(), 1);
        // 15 minutes on Friday, Saturday and Sunday.
        assert_eq!(planned[0].minutes_per_week, 45.0);
        let weeks = weeks_between(
            chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2025, 12, 7).unwrap(),
        );
        assert_eq!(weeks, ["2025-W48", "2025-W49"]);
        let visits = vec![vec![Visit {
            start: t0(),
            secs: 20 * 60,
        }]];
        let rows = planned_vs_delivered(&planned, &visits, &weeks, &p());
        assert_eq!(
            rows.iter()
                .map(|r| (r.week.as_str(), r.planned_minutes, r.minutes, r.dose_visits))
                .collect::<Vec<_>>(),
            [("2025-W48", 45.0, 20.0, 1), ("2025-W49", 45.0, 0.0, 0)]
        );
    }
}
