//! A night's visit plan: rounds over a route's stops during a shift, so that
//! each stop is visited for its dwell time about every two hours, in an order
//! that changes from night to night.
//!
//! The evidence on presence (Koper 1995, *Just enough police presence*;
//! Telep, Mitchell & Weisburd 2014) favours stops of 10–15 minutes at a hot
//! spot, revisited at intervals of about two hours, in an order offenders
//! cannot predict. The order is drawn from a random generator seeded by the
//! shift's date, so the same date (and the same stops) always gives the same
//! plan and a plan can be printed again.
//!
//! # Algorithm
//! Times are minutes after midnight at the start of the shift's date (past
//! midnight they exceed 1,440). Round 1 leaves the base at the shift's start
//! in an order drawn at random among sampled orders whose walking time is
//! within 25 % (+ 5 min) of the best sampled. Each later round samples orders
//! again, and for each finds the start time that best centres the stops'
//! revisit gaps on the interval (never before the previous round ends); of
//! the orders whose worst gap deviation (plus a tenth of their walking time)
//! is within 5 minutes of the best, one is drawn at random. Rounds go on
//! while they fit the shift with the walk back to the base; the last round
//! may visit only the stops that still fit.

use std::str::FromStr;

use chrono::{Datelike as _, NaiveDate};
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;

use crate::analysis::AnalysisError;

/// Default revisit interval, minutes.
pub const DEFAULT_INTERVAL_MIN: f64 = 120.0;

/// A round taking at least this share of the revisit interval counts as
/// "about or more than" it: the stops cannot be revisited on time.
pub const ROUND_WARN_SHARE: f64 = 0.9;

/// A warning when one round (`round_min`: the shortest walk through every
/// stop and back, with the dwell times) takes about as long as the revisit
/// interval or longer (at least [`ROUND_WARN_SHARE`] of it): then a stop
/// cannot be revisited about every `interval_min` minutes. `None` otherwise.
///
/// # Examples
/// ```
/// use lagesbild::analysis::visits::round_warning;
/// assert!(round_warning(100.0, 120.0).is_none());
/// assert!(round_warning(110.0, 120.0).is_some());
/// assert!(round_warning(150.0, 120.0).unwrap().contains("150 min"));
/// ```
pub fn round_warning(round_min: f64, interval_min: f64) -> Option<String> {
    if !(round_min.is_finite() && interval_min.is_finite() && interval_min > 0.0) {
        return None;
    }
    (round_min >= ROUND_WARN_SHARE * interval_min).then(|| {
        let how = if round_min >= interval_min {
            "more than"
        } else {
            "about as long as"
        };
        format!(
            "one round takes {round_min:.0} min (walking and stops), {how} the {interval_min:.0}-minute revisit interval: the stops cannot be revisited about every {interval_min:.0} min; split the route, leave stops out or shorten the dwell times"
        )
    })
}

/// Orders sampled per round.
const SAMPLES: usize = 64;

/// A shift's hours, e.g. `19:00-03:00` (wrapping past midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// Minutes after midnight.
    pub start_min: u32,
    /// Minutes after midnight of the start's day: above 1,440 past midnight.
    pub end_min: u32,
}

impl Shift {
    pub fn length_min(&self) -> u32 {
        self.end_min - self.start_min
    }
}

impl FromStr for Shift {
    type Err = String;

    /// `HH:MM-HH:MM` (or `HH-HH`); an end at or before the start is the next
    /// day's. `24:00` is midnight at the end.
    fn from_str(s: &str) -> Result<Shift, String> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("shift {s:?}: expected START-END, e.g. 19:00-03:00"))?;
        let parse = |t: &str| -> Result<u32, String> {
            let t = t.trim();
            let (h, m) = t.split_once(':').unwrap_or((t, "0"));
            let h: u32 = h
                .parse()
                .map_err(|_| format!("shift {s:?}: bad hour {h:?}"))?;
            let m: u32 = m
                .parse()
                .map_err(|_| format!("shift {s:?}: bad minute {m:?}"))?;
            if h > 24 || m > 59 || (h == 24 && m > 0) {
                return Err(format!("shift {s:?}: {t:?} is not a time of day"));
            }
            Ok(h * 60 + m)
        };
        let start = parse(a)? % 1440;
        let mut end = parse(b)?;
        if end <= start {
            end += 1440;
        }
        Ok(Shift {
            start_min: start,
            end_min: end,
        })
    }
}

impl std::fmt::Display for Shift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            clock(self.start_min as f64),
            clock(self.end_min as f64)
        )
    }
}

/// `HH:MM` of minutes after midnight (wrapping past 24 h), rounded to the minute.
pub fn clock(minutes: f64) -> String {
    let m = minutes.round() as i64;
    let m = m.rem_euclid(1440);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// One visit to a stop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visit {
    /// 1-based.
    pub round: usize,
    /// Index of the stop (in the route's input).
    pub stop: usize,
    /// Minutes after midnight of the shift's date.
    pub arrive_min: f64,
    pub leave_min: f64,
}

/// The plan of one night.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitPlan {
    pub date: NaiveDate,
    pub shift: Shift,
    pub interval_min: f64,
    /// Every visit in time order.
    pub visits: Vec<Visit>,
    /// Per stop: its visits' arrival minutes.
    pub per_stop: Vec<Vec<f64>>,
    /// Per stop: minutes between the arrivals of consecutive visits.
    pub gaps_min: Vec<Vec<f64>>,
    /// When the hosts are back at the base (minutes after midnight).
    pub back_min: f64,
    /// Rounds planned (the last may be partial).
    pub rounds: usize,
}

impl VisitPlan {
    /// Every revisit gap of every stop.
    pub fn all_gaps(&self) -> impl Iterator<Item = f64> + '_ {
        self.gaps_min.iter().flatten().copied()
    }
}

/// Plans a night's visits.
///
/// # Parameters
/// - `travel_min`: walking minutes between points, index 0 the base and
///   `i + 1` stop `i` (e.g. [`crate::analysis::route::Route::matrix_m`] over the pace).
/// - `dwell_min`: minutes at each stop.
/// - `shift`, `date`: the night; the date seeds the order.
/// - `interval_min`: the revisit interval aimed at (default 120).
///
/// # Errors
/// No stops, a bad interval, or a shift too short for even one stop and the
/// walk back.
pub fn visit_plan(
    travel_min: &[Vec<f64>],
    dwell_min: &[f64],
    shift: Shift,
    date: NaiveDate,
    interval_min: f64,
) -> Result<VisitPlan, AnalysisError> {
    let n = dwell_min.len();
    if n == 0 || travel_min.len() != n + 1 {
        return Err(AnalysisError::InvalidParam {
            name: "stops",
            reason: "no stops to visit".into(),
        });
    }
    if !(interval_min.is_finite() && interval_min > 0.0) {
        return Err(AnalysisError::InvalidParam {
            name: "interval",
            reason: format!("must be a positive number of minutes, got {interval_min:?}"),
        });
    }
    let seed = (date.year() as u64) * 10_000 + date.month() as u64 * 100 + date.day() as u64;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let t = |i: usize, j: usize| travel_min[i][j];
    let end = shift.end_min as f64;
    let mut visits: Vec<Visit> = Vec::new();
    let mut last_arrive: Vec<Option<f64>> = vec![None; n];
    // Where the hosts are (0 = base) and when they can leave it.
    let mut at = 0usize;
    let mut free_at = shift.start_min as f64;
    let mut round = 0;
    loop {
        round += 1;
        let orders: Vec<Vec<usize>> = (0..SAMPLES)
            .map(|_| {
                let mut o: Vec<usize> = (0..n).collect();
                o.shuffle(&mut rng);
                o
            })
            .collect();
        // Offsets of arrivals from the departure, and the round's walk.
        let timing = |o: &[usize]| -> (Vec<f64>, f64, f64) {
            let mut offs = Vec::with_capacity(n);
            let (mut clock, mut walk, mut prev) = (0.0, 0.0, at);
            for &s in o {
                let leg = t(prev, s + 1);
                clock += leg;
                walk += leg;
                offs.push(clock);
                clock += dwell_min[s];
                prev = s + 1;
            }
            (offs, walk, clock)
        };
        let scored: Vec<(f64, f64)> = orders
            .iter()
            .map(|o| {
                let (offs, walk, _) = timing(o);
                if round == 1 {
                    return (walk, free_at);
                }
                let c: Vec<f64> = o
                    .iter()
                    .zip(&offs)
                    .map(|(&s, off)| off - last_arrive[s].unwrap_or(free_at - interval_min))
                    .collect();
                let (lo, hi) = c
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                        (l.min(v), h.max(v))
                    });
                let start = (interval_min - (lo + hi) / 2.0).max(free_at);
                let dev = c
                    .iter()
                    .map(|v| (start + v - interval_min).abs())
                    .fold(0.0, f64::max);
                (dev + 0.1 * walk, start)
            })
            .collect();
        let best = scored.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        let slack = if round == 1 { best * 0.25 + 5.0 } else { 5.0 };
        let good: Vec<usize> = (0..SAMPLES)
            .filter(|&i| scored[i].0 <= best + slack)
            .collect();
        let pick = good[rng.random_range(0..good.len())];
        let order = &orders[pick];
        let start = scored[pick].1;
        let (offs, _, _) = timing(order);
        let mut added = 0;
        for (&s, off) in order.iter().zip(&offs) {
            let arrive = start + off;
            let leave = arrive + dwell_min[s];
            if leave + t(s + 1, 0) > end + 1e-9 {
                break;
            }
            visits.push(Visit {
                round,
                stop: s,
                arrive_min: arrive,
                leave_min: leave,
            });
            last_arrive[s] = Some(arrive);
            at = s + 1;
            free_at = leave;
            added += 1;
        }
        if added < n {
            if added == 0 {
                round -= 1;
            }
            break;
        }
    }
    if visits.is_empty() {
        return Err(AnalysisError::InvalidParam {
            name: "shift",
            reason: format!("the shift {shift} is too short to walk to a stop, stay and walk back"),
        });
    }
    let mut per_stop = vec![Vec::new(); n];
    for v in &visits {
        per_stop[v.stop].push(v.arrive_min);
    }
    let gaps_min = per_stop
        .iter()
        .map(|a| a.windows(2).map(|w| w[1] - w[0]).collect())
        .collect();
    let back_min = free_at + t(at, 0);
    Ok(VisitPlan {
        date,
        shift,
        interval_min,
        visits,
        per_stop,
        gaps_min,
        back_min,
        rounds: round,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five stops 3–10 minutes' walk apart, 12 minutes each: a round takes
    /// about 90 minutes, leaving slack for the order to vary.
    fn town() -> (Vec<Vec<f64>>, Vec<f64>) {
        let xy = [
            [0.0, 0.0],
            [5.0, 0.0],
            [8.0, 4.0],
            [3.0, 9.0],
            [-3.0, 6.0],
            [-5.0, 1.0],
        ];
        let xy: [[f64; 2]; 6] = xy;
        let m = xy
            .iter()
            .map(|a| {
                xy.iter()
                    .map(|b| (a[0] - b[0]).hypot(a[1] - b[1]))
                    .collect()
            })
            .collect();
        (m, vec![12.0; 5])
    }

    fn plan(date: &str) -> VisitPlan {
        let (m, d) = town();
        visit_plan(
            &m,
            &d,
            "19:00-03:00".parse().unwrap(),
            date.parse().unwrap(),
            DEFAULT_INTERVAL_MIN,
        )
        .unwrap()
    }

    #[test]
    fn shifts_parse_and_wrap() {
        let s: Shift = "19:00-03:00".parse().unwrap();
        assert_eq!((s.start_min, s.end_min, s.length_min()), (1140, 1620, 480));
        assert_eq!(s.to_string(), "19:00-03:00");
        let s: Shift = "18-24".parse().unwrap();
        assert_eq!((s.start_min, s.end_min), (1080, 1440));
        assert!("19:00".parse::<Shift>().is_err());
        assert!("25:00-03:00".parse::<Shift>().is_err());
        assert!("19:61-03:00".parse::<Shift>().is_err());
    }

    #[test]
    fn the_same_date_gives_the_same_plan() {
        assert_eq!(plan("2026-12-04"), plan("2026-12-04"));
    }

    #[test]
    fn orders_differ_between_dates() {
        let orders = |p: &VisitPlan| p.visits.iter().map(|v| v.stop).collect::<Vec<_>>();
        let a = orders(&plan("2026-12-04"));
        let b = orders(&plan("2026-12-05"));
        let c = orders(&plan("2026-12-06"));
        assert!(a != b || b != c, "{a:?} {b:?} {c:?}");
        // Within one night, the rounds do not all repeat one order.
        let p = plan("2026-12-04");
        let rounds: Vec<Vec<usize>> = (1..=p.rounds)
            .map(|r| {
                p.visits
                    .iter()
                    .filter(|v| v.round == r)
                    .map(|v| v.stop)
                    .collect()
            })
            .filter(|o: &Vec<usize>| o.len() == 5)
            .collect();
        assert!(rounds.windows(2).any(|w| w[0] != w[1]), "{rounds:?}");
    }

    #[test]
    fn every_stop_is_revisited_about_every_two_hours_within_the_shift() {
        for date in ["2026-12-04", "2026-12-05", "2027-01-01", "2027-06-21"] {
            let p = plan(date);
            // 8 hours with 2-hour revisits: 4 visits of every stop.
            assert!(
                p.per_stop.iter().all(|v| v.len() >= 3),
                "{date}: {:?}",
                p.per_stop
            );
            for g in p.all_gaps() {
                assert!((90.0..=150.0).contains(&g), "{date}: gap {g}");
            }
            let mean: f64 = p.all_gaps().sum::<f64>() / p.all_gaps().count() as f64;
            assert!((mean - 120.0).abs() < 15.0, "{date}: mean gap {mean}");
            assert!(p.visits[0].arrive_min >= 1140.0);
            assert!(
                p.back_min <= 1620.0 + 1e-9,
                "{date}: back at {}",
                p.back_min
            );
            for w in p.visits.windows(2) {
                assert!(
                    w[1].arrive_min >= w[0].leave_min,
                    "{date}: overlapping visits"
                );
            }
        }
    }

    #[test]
    fn a_short_shift_is_an_error() {
        let (m, d) = town();
        let err = visit_plan(
            &m,
            &d,
            "19:00-19:10".parse().unwrap(),
            "2026-12-04".parse().unwrap(),
            120.0,
        )
        .unwrap_err();
        assert!(err.to_string().contains("too short"), "{err}");
    }
}
