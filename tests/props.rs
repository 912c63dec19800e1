//! Property tests (issue 21): coordinate round trips between WGS 84 and each
//! Swedish CRS the crate reads, hour ranges past midnight, the days on which
//! Swedish clocks change, and the incident filter against a naive predicate
//! written here from chrono-tz alone (in memory and through a project).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::Stockholm;
use lagesbild::crs::{Crs, Sweref99Tm, ToWgs84, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::jobs::CancelToken;
use lagesbild::model::time::{local_hour, utc_from_local};
use lagesbild::model::{Category, Filter, HourRange, Incident, LonLat, Source, Weekdays};
use lagesbild::store::{Project, Store};
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;

use crate::util::Dir;

/// Degrees of latitude per millimetre on the ground, about.
const MM_DEG: f64 = 1e-8;

/// The forward projection as PROJ defines it (proj4rs, the crate the reader
/// uses too, but through its own definitions and transform).
fn forward(crs: Crs, p: LonLat) -> (f64, f64) {
    let wgs = proj4rs::Proj::from_epsg_code(4326).unwrap();
    let projected = proj4rs::Proj::from_epsg_code(crs.epsg()).unwrap();
    let mut xyz = (p.lon.to_radians(), p.lat.to_radians(), 0.0);
    proj4rs::transform::transform(&wgs, &projected, &mut xyz).unwrap();
    (xyz.0, xyz.1)
}

/// Central meridian of a SWEREF 99 local zone (EPSG:3007 … 3018) or RT 90 2.5 gon V.
fn central_meridian(crs: Crs) -> f64 {
    match crs.epsg() {
        3007 => 12.0,
        3008 => 13.5,
        3009 => 15.0,
        3010 => 16.5,
        3011 => 18.0,
        3012 => 14.25,
        3013 => 15.75,
        3014 => 17.25,
        3015 => 18.75,
        3016 => 20.25,
        3017 => 21.75,
        3018 => 23.25,
        3021 => 15.808_277_777_8,
        _ => 15.0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// WGS 84 → each projected CRS → WGS 84 comes back within a millimetre,
    /// over Sweden (local zones within 1.5° of their meridian, as they are used;
/// RT 90 within a centimetre).
    #[test]
    fn every_swedish_crs_round_trips_with_wgs84(
        lat in 55.2f64..69.0,
        dlon in -1.5f64..1.5,
        lon_tm in 11.0f64..24.0,
        which in 0usize..64,
    ) {
        let projected: Vec<Crs> = Crs::all().filter(|c| !c.is_geographic()).collect();
        prop_assert!(projected.len() >= 14, "{projected:?}");
        let crs = projected[which % projected.len()];
        let lon = if crs == Crs::SWEREF99_TM { lon_tm } else { central_meridian(crs) + dlon };
        let p = LonLat::new(lon, lat);
        let (e, n) = forward(crs, p);
        let back = ToWgs84::new(crs).unwrap().convert(e, n).unwrap();
        // RT 90 goes through a datum shift (towgs84) that PROJ inverts by
        // iteration: a centimetre there, a millimetre for SWEREF 99.
        let tol = if crs == Crs::RT90_25_GON_V { MM_DEG * 10.0 } else { MM_DEG };
        prop_assert!((back.lon - lon).abs() < tol * 2.0, "{crs}: {p:?} -> ({e}, {n}) -> {back:?}");
        prop_assert!((back.lat - lat).abs() < tol, "{crs}: {p:?} -> ({e}, {n}) -> {back:?}");
    }

    /// The analyses' own SWEREF 99 TM conversion (Krüger series inside
    /// Sweden) agrees with PROJ to a millimetre and round trips.
    #[test]
    fn sweref99_tm_conversion_agrees_with_proj_and_round_trips(
        lon in 10.0f64..24.5, lat in 55.0f64..69.5,
    ) {
        let p = LonLat::new(lon, lat);
        let s = sweref_from_wgs84(p);
        let (e, n) = forward(Crs::SWEREF99_TM, p);
        prop_assert!((s.easting - e).abs() < 1e-3 && (s.northing - n).abs() < 1e-3,
            "{p:?}: ours ({}, {}) PROJ ({e}, {n})", s.easting, s.northing);
        let back = wgs84_from_sweref(Sweref99Tm { easting: s.easting, northing: s.northing });
        prop_assert!((back.lon - lon).abs() < MM_DEG * 2.0 && (back.lat - lat).abs() < MM_DEG,
            "{p:?} -> {back:?}");
    }

    /// Coordinates that are not numbers, or far outside any projection's
    /// domain, are an error, never a panic or a NaN position.
    #[test]
    fn conversion_of_wild_coordinates_is_an_error_or_a_real_position(
        e in prop::num::f64::ANY, n in prop::num::f64::ANY, which in 0usize..64,
    ) {
        let all: Vec<Crs> = Crs::all().collect();
        let crs = all[which % all.len()];
        if let Ok(p) = ToWgs84::new(crs).unwrap().convert(e, n) {
            prop_assert!(p.lon.is_finite() && p.lat.is_finite());
            prop_assert!((-180.0..=180.0).contains(&p.lon) && (-90.0..=90.0).contains(&p.lat));
        }
    }

    /// An hour range holds exactly the hours a naive reading of `start-end`
    /// names, wrapping past midnight when end <= start; its text round trips;
    /// and a range past midnight is the complement of the range between.
    #[test]
    fn hour_ranges_past_midnight(start in 0u8..24, end in 0u8..=24) {
        let Some(r) = HourRange::new(start, end) else {
            prop_assert!(start == end);
            return Ok(());
        };
        let naive: Vec<u8> = if start < end {
            (start..end).collect()
        } else {
            (start..24).chain(0..end).collect()
        };
        let got: Vec<u8> = (0..24).filter(|&h| r.contains(h)).collect();
        let mut naive_sorted = naive.clone();
        naive_sorted.sort_unstable();
        prop_assert_eq!(&got, &naive_sorted);
        prop_assert_eq!(usize::from(r.len()), naive.len());
        prop_assert_eq!(r.to_string().parse::<HourRange>().unwrap(), r);
        if end < start {
            let between = HourRange::new(end, start).unwrap();
            for h in 0..24 {
                prop_assert!(r.contains(h) != between.contains(h), "{r} vs {between} at {h}");
            }
        }
    }

    /// Local wall-clock times: an error exactly in the spring-forward hour
    /// (last Sunday of March, 02:00–02:59); otherwise the instant reads back
    /// as the same wall-clock time, and in the autumn overlap it is the first
    /// (summer-time) one.
    #[test]
    fn dst_days_in_stockholm(days in 0i64..(50 * 366), minute in 0u32..(24 * 60)) {
        let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(days);
        let naive = date.and_hms_opt(minute / 60, minute % 60, 0).unwrap();
        let spring = last_sunday(date.year(), 3);
        let autumn = last_sunday(date.year(), 10);
        match utc_from_local(naive) {
            Err(_) => prop_assert!(date == spring && naive.hour() == 2, "{naive} refused"),
            Ok(t) => {
                prop_assert!(!(date == spring && naive.hour() == 2), "{naive} accepted");
                prop_assert_eq!(t.with_timezone(&Stockholm).naive_local(), naive);
                prop_assert_eq!(u32::from(local_hour(t)), naive.hour());
                let offset_h = (naive.and_utc() - t).num_hours();
                if date == autumn && naive.hour() == 2 {
                    prop_assert_eq!(offset_h, 2, "the first 02:xx of the overlap is CEST");
                }
            }
        }
        // A one-day filter spans 23 hours in spring, 25 in autumn, else 24.
        let day = Filter { from: Some(date), to: Some(date), ..Filter::default() };
        let (from, to) = day.utc_bounds();
        let hours = (to.unwrap() - from.unwrap()).num_hours();
        let expected = if date == spring { 23 } else if date == autumn { 25 } else { 24 };
        prop_assert_eq!(hours, expected, "{}", date);
    }

    /// The filter equals the naive predicate on random incidents.
    #[test]
    fn filter_matches_the_naive_predicate(
        filter in filter_strategy(),
        incidents in prop::collection::vec(incident_strategy(), 1..60),
    ) {
        for inc in &incidents {
            prop_assert_eq!(filter.matches(inc), naive_matches(&filter, inc), "{:?} {:?}", filter, inc.occurred_at);
        }
    }
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap();
    let mut d = next.pred_opt().unwrap();
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt().unwrap();
    }
    d
}

/// Incidents from 2024 to 2026, with DST change nights over-represented.
fn incident_strategy() -> impl Strategy<Value = Incident> {
    let base = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let dst_nights = [
        Utc.with_ymd_and_hms(2025, 3, 30, 0, 0, 0)
            .unwrap()
            .timestamp(),
        Utc.with_ymd_and_hms(2025, 10, 25, 22, 0, 0)
            .unwrap()
            .timestamp(),
    ];
    (
        prop_oneof![
            3 => (0i64..3 * 366 * 86_400).prop_map(move |s| base + s),
            1 => (0usize..2, 0i64..4 * 3600).prop_map(move |(i, s)| dst_nights[i] + s),
        ],
        0usize..Category::ALL.len(),
        0usize..Source::ALL.len(),
    )
        .prop_map(|(secs, c, s)| {
            Incident::new(
                DateTime::from_timestamp(secs, 0).unwrap(),
                Category::ALL[c],
                Source::ALL[s],
                LonLat::new(14.58, 56.05),
                10.0,
            )
        })
}

fn filter_strategy() -> impl Strategy<Value = Filter> {
    let date = (0i64..3 * 366)
        .prop_map(|d| NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(d));
    (
        prop::option::of(date.clone()),
        prop::option::of(0i64..120),
        prop::option::of(prop::collection::btree_set(
            0usize..Category::ALL.len(),
            0..4,
        )),
        prop::option::of(prop::collection::btree_set(0usize..Source::ALL.len(), 0..3)),
        prop::option::of((0u8..24, 0u8..=24)),
        prop::option::of(0u8..128),
    )
        .prop_map(|(from, span, cats, srcs, hours, days)| {
            let mut weekdays = Weekdays::NONE;
            if let Some(bits) = days {
                for (i, d) in [
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                    Weekday::Sat,
                    Weekday::Sun,
                ]
                .into_iter()
                .enumerate()
                {
                    if bits & (1 << i) != 0 {
                        weekdays.insert(d);
                    }
                }
            }
            Filter {
                from,
                to: match (from, span) {
                    (Some(f), Some(s)) => Some(f + Duration::days(s)),
                    (None, Some(s)) => {
                        Some(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(s))
                    }
                    _ => None,
                },
                categories: cats.map(|s| {
                    s.into_iter()
                        .map(|i| Category::ALL[i])
                        .collect::<BTreeSet<_>>()
                }),
                sources: srcs.map(|s| {
                    s.into_iter()
                        .map(|i| Source::ALL[i])
                        .collect::<BTreeSet<_>>()
                }),
                hours: hours.and_then(|(a, b)| HourRange::new(a, b)),
                weekdays: days.map(|_| weekdays),
            }
        })
}

/// The filter's meaning, from chrono-tz alone: local date within from..=to,
/// local hour within the range (wrapping past midnight), local weekday in the
/// set, category and source in theirs.
fn naive_matches(f: &Filter, inc: &Incident) -> bool {
    let local = inc.occurred_at.with_timezone(&Stockholm);
    let date = local.date_naive();
    let hour = local.hour() as u8;
    let in_hours = |r: &HourRange| {
        if r.start() < r.end() {
            r.start() <= hour && hour < r.end()
        } else {
            hour >= r.start() || hour < r.end()
        }
    };
    f.from.is_none_or(|d| date >= d)
        && f.to.is_none_or(|d| date <= d)
        && f.categories
            .as_ref()
            .is_none_or(|c| c.contains(&inc.category))
        && f.sources.as_ref().is_none_or(|s| s.contains(&inc.source))
        && f.hours.as_ref().is_none_or(in_hours)
        && f.weekdays.is_none_or(|w| w.contains(local.weekday()))
}

/// The same through a project: what `Store::incidents` returns for a filter
/// (dates narrowed in SQL, the rest in Rust) is what the naive predicate keeps.
#[test]
fn project_filter_equals_the_naive_predicate() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("f.gpkg"), "Filter").unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let incidents = prop::collection::vec(incident_strategy(), 400)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let mut fids = Vec::new();
    for inc in &incidents {
        fids.push(project.add_incident(inc).unwrap());
    }
    let cancel = CancelToken::new();
    let filters = filter_strategy();
    for _ in 0..64 {
        let filter = filters.new_tree(&mut runner).unwrap().current();
        let got: BTreeSet<i64> = project
            .incidents(&filter, &cancel)
            .unwrap()
            .into_iter()
            .map(|i| i.fid.unwrap())
            .collect();
        let want: BTreeSet<i64> = incidents
            .iter()
            .zip(&fids)
            .filter(|(inc, _)| naive_matches(&filter, inc))
            .map(|(_, fid)| *fid)
            .collect();
        assert_eq!(got, want, "{filter:?}");
    }
}
