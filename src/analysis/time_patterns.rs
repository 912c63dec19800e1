//! When incidents happen: the hour-of-day × weekday table, counts per week or
//! month with the same period a year earlier beside them and a trend, the
//! årshjul (month × category: when in the year each problem peaks), counts by
//! category and source, and the share in evenings and nights. No egui here;
//! the app's Tidsmönster window, `lagesbild patterns` and the PDF report all
//! read [`TimePatterns`].
//!
//! # Time
//! Every hour, weekday, date, week and month is local Swedish time
//! (Europe/Stockholm, daylight saving time included), as
//! [`SwerefPoint`] carries it: an incident at 00:30 UTC on the autumn
//! change-over Sunday is at 02:30 summer time, one at 01:30 UTC at 02:30
//! winter time, so that day's hour 2 holds both; on the spring Sunday hour 2
//! holds none. Weeks are ISO 8601 weeks (Monday first; week 1 holds the
//! year's first Thursday), so 30 December 2024 is in 2025-W01 and
//! 3 January 2021 in 2020-W53.
//!
//! # Coverage
//! The periods run over the filter's from/to dates when they are given,
//! otherwise from the first to the last local date of the incidents that
//! passed the filter. A period the range only partly covers (the first and
//! last) carries its covered days, and the trend weighs it by them.
//!
//! # Trend
//! A Poisson log-linear regression of the count per period on the period's
//! index, with the covered days as exposure:
//! `log E[count_i] = log days_i + a + b·i`, fitted by maximum likelihood
//! (Newton–Raphson). The change per year is `exp(b · periods per year) − 1`
//! (12 months, 52.18 ISO weeks), with a 95 % Wald interval from the
//! standard error of `b`, widened by the Pearson dispersion when the counts
//! vary more than a Poisson count would (quasi-Poisson; never narrowed).
//! No trend is given for fewer than three covered periods or when the fit
//! has no finite maximum (e.g. every incident in the last period).
//!
//! # Årshjul
//! Per category, the count in each calendar month over the whole range.
//! A range of 18 months covers some calendar months twice, so each
//! category's peak month is the month with the most incidents per covered
//! day ([`Arshjul::month_days`]), the earliest on a tie.
//!
//! # Evenings and nights
//! The hosts' working hours, 18–06 ([`HourRange::EVENINGS_AND_NIGHTS`], the
//! same as in [`crate::analysis::Stats`]), split into evening 18–22 and night
//! 22–06.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::analysis::engine::Loaded;
use crate::model::{Category, HourRange, Source};
use crate::store::SwerefPoint;

/// Evenings: 18–22.
pub fn evening_hours() -> HourRange {
    HourRange::new(18, 22).unwrap_or(HourRange::EVENINGS_AND_NIGHTS)
}

/// Nights: 22–06.
pub fn night_hours() -> HourRange {
    HourRange::new(22, 6).unwrap_or(HourRange::EVENINGS_AND_NIGHTS)
}

/// ISO weeks per year on average (365.2425 / 7).
pub const WEEKS_PER_YEAR: f64 = 365.2425 / 7.0;

/// Periods of the time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// ISO 8601 weeks.
    Week,
    /// Calendar months.
    #[default]
    Month,
}

impl PeriodKind {
    /// `week` or `month`.
    pub fn key(self) -> &'static str {
        match self {
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
        }
    }

    /// Periods per year.
    pub fn per_year(self) -> f64 {
        match self {
            PeriodKind::Week => WEEKS_PER_YEAR,
            PeriodKind::Month => 12.0,
        }
    }

    /// The first day of the period holding `d`.
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        match self {
            PeriodKind::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            PeriodKind::Month => d.with_day(1).unwrap_or(d),
        }
    }

    /// The first day of the next period.
    pub fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            PeriodKind::Week => start + Duration::days(7),
            PeriodKind::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(start + Duration::days(31))
            }
        }
    }

    /// The period's label: `2025-03` for a month, `2025-W09` (ISO year and
    /// week) for a week.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            PeriodKind::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => format!("{}-{:02}", start.year(), start.month()),
        }
    }

    /// The same period a year earlier: the same ISO week number of the
    /// previous ISO year (none when that year has no week 53), or the same
    /// month of the previous year.
    pub fn year_earlier(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            PeriodKind::Week => {
                let w = start.iso_week();
                NaiveDate::from_isoywd_opt(w.year() - 1, w.week(), chrono::Weekday::Mon)
            }
            PeriodKind::Month => NaiveDate::from_ymd_opt(start.year() - 1, start.month(), 1),
        }
    }
}

/// One category's or source's count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyCount {
    /// The machine key (`vald`, `polis`, …).
    pub key: &'static str,
    pub count: u64,
    /// Share of all incidents (0 when there are none).
    pub share: f64,
}

/// One week or month of the time series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodCount {
    /// `2025-03` or `2025-W09`.
    pub label: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period.
    pub end: NaiveDate,
    /// Days of the period inside the covered range.
    pub days: u32,
    pub count: u64,
    /// The count in the same period a year earlier, when the range covers it.
    pub year_earlier: Option<u64>,
    /// Days the range covers of the period a year earlier.
    pub year_earlier_days: Option<u32>,
    /// The trend's expected count for this period (with its covered days).
    pub trend: Option<f64>,
}

/// The fitted trend (see the module notes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// `poisson_log_linear`.
    pub method: &'static str,
    /// Change in the rate per year, per cent (e.g. 12.5 = 12.5 % more a year).
    pub change_per_year_pct: f64,
    /// 95 % interval of the change per year, per cent.
    pub ci95_pct: [f64; 2],
    /// The slope `b` per period on the log scale, and its standard error.
    pub slope_per_period: f64,
    pub slope_se: f64,
    /// Pearson dispersion used to widen the interval (1 = Poisson).
    pub dispersion: f64,
    /// Periods the fit used (those with covered days).
    pub periods: usize,
    /// Does the interval exclude 0 % (a clear increase or decrease)?
    pub clear: bool,
}

/// Month × category counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arshjul {
    /// Covered days of each calendar month (January first) over the range.
    pub month_days: [u32; 12],
    /// All incidents per calendar month.
    pub total: [u64; 12],
    /// Every category in [`Category::ALL`] order, zeros included.
    pub categories: Vec<CategoryMonths>,
}

/// One category's year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryMonths {
    pub key: &'static str,
    /// Counts January … December.
    pub months: [u64; 12],
    pub count: u64,
    /// 1–12: the month with the most incidents per covered day; none
    /// without incidents.
    pub peak_month: Option<u8>,
}

/// Evenings and nights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EveningNight {
    /// `18-6`.
    pub hours: String,
    /// Incidents 18–06.
    pub count: u64,
    pub share: f64,
    /// Incidents 18–22.
    pub evening: u64,
    pub evening_share: f64,
    /// Incidents 22–06.
    pub night: u64,
    pub night_share: f64,
}

/// Every time pattern of a set of incidents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimePatterns {
    /// Incidents counted.
    pub incidents: u64,
    /// Incidents left out because they lie outside the study area.
    pub outside_area: u64,
    /// The covered range (first and last local date).
    pub range: Option<[NaiveDate; 2]>,
    /// `hour_weekday[d][h]`: weekday d (0 = Monday) and local hour h.
    pub hour_weekday: [[u64; 24]; 7],
    /// Index = local hour 0–23.
    pub by_hour: [u64; 24],
    /// Index 0 = Monday.
    pub by_weekday: [u64; 7],
    /// Week or month.
    pub by: PeriodKind,
    /// Every period of the range, oldest first.
    pub series: Vec<PeriodCount>,
    pub trend: Option<Trend>,
    pub arshjul: Arshjul,
    /// Every category in [`Category::ALL`] order.
    pub by_category: Vec<KeyCount>,
    /// Every source in [`Source::ALL`] order.
    pub by_source: Vec<KeyCount>,
    pub evening_night: EveningNight,
}

/// The incidents of `loaded` that its analyses use (see
/// [`Loaded::used_points`]), inside its study area when it has one; the
/// second value counts those outside.
pub fn points_in_area(loaded: &Loaded) -> (Vec<SwerefPoint>, u64) {
    let mut outside = 0;
    let mut kept = Vec::new();
    for p in loaded.used_points() {
        if loaded.area.as_ref().is_none_or(|a| a.contains(p.xy)) {
            kept.push(*p);
        } else {
            outside += 1;
        }
    }
    (kept, outside)
}

/// The covered range of `loaded`: its filter's dates where given, else the
/// first and last local date of the incidents that passed the filter.
pub fn covered_range(loaded: &Loaded) -> Option<[NaiveDate; 2]> {
    let days = loaded.points.iter().map(|p| p.local_day);
    let lo = days.clone().min();
    let hi = days.max();
    let day = |d: Option<i32>| d.and_then(NaiveDate::from_num_days_from_ce_opt);
    let from = loaded.filter.from.or(day(lo))?;
    let to = loaded.filter.to.or(day(hi))?;
    (from <= to).then_some([from, to])
}

/// The time patterns of what `loaded` holds, in its study area.
pub fn time_patterns(loaded: &Loaded, by: PeriodKind) -> TimePatterns {
    let (points, outside) = points_in_area(loaded);
    let mut t = compute(&points, covered_range(loaded), by);
    t.outside_area = outside;
    t
}

/// The time patterns of `points` over `range` (the first and last local date
/// covered; `None` = the points' own first and last date). Points outside
/// the range count in the tables but in no period of the series.
///
/// # Examples
/// ```
/// use lagesbild::analysis::time_patterns::{PeriodKind, compute};
/// let t = compute(&[], None, PeriodKind::Month);
/// assert_eq!(t.incidents, 0);
/// assert!(t.series.is_empty());
/// assert!(t.trend.is_none());
/// ```
pub fn compute(
    points: &[SwerefPoint],
    range: Option<[NaiveDate; 2]>,
    by: PeriodKind,
) -> TimePatterns {
    let mut hour_weekday = [[0u64; 24]; 7];
    let mut by_hour = [0u64; 24];
    let mut by_weekday = [0u64; 7];
    let mut by_category = [0u64; Category::ALL.len()];
    let mut by_source = [0u64; Source::ALL.len()];
    let mut cat_months = [[0u64; 12]; Category::ALL.len()];
    let mut total_months = [0u64; 12];
    for p in points {
        let (h, d) = (usize::from(p.hour.min(23)), usize::from(p.weekday.min(6)));
        hour_weekday[d][h] += 1;
        by_hour[h] += 1;
        by_weekday[d] += 1;
        let c = p.category.index();
        by_category[c] += 1;
        by_source[p.source.index()] += 1;
        if let Some(date) = p.date() {
            let m = date.month0() as usize;
            cat_months[c][m] += 1;
            total_months[m] += 1;
        }
    }
    let total = points.len() as u64;
    let share = |n: u64| {
        if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        }
    };

    let range = range.or_else(|| {
        let lo = points.iter().map(|p| p.local_day).min()?;
        let hi = points.iter().map(|p| p.local_day).max()?;
        Some([
            NaiveDate::from_num_days_from_ce_opt(lo)?,
            NaiveDate::from_num_days_from_ce_opt(hi)?,
        ])
    });
    let mut series = match range {
        Some([from, to]) => periods(points, from, to, by),
        None => Vec::new(),
    };
    let trend = fit_trend(&mut series, by);

    let mut month_days = [0u32; 12];
    if let Some([from, to]) = range {
        let mut d = from;
        while d <= to {
            month_days[d.month0() as usize] += 1;
            d += Duration::days(1);
        }
    }
    let categories = Category::ALL
        .iter()
        .zip(cat_months)
        .map(|(c, months)| CategoryMonths {
            key: c.key(),
            count: months.iter().sum(),
            peak_month: peak_month(&months, &month_days),
            months,
        })
        .collect();

    let in_hours = |r: HourRange| -> u64 {
        (0..24u8)
            .filter(|&h| r.contains(h))
            .map(|h| by_hour[usize::from(h)])
            .sum()
    };
    let (en, evening, night) = (
        in_hours(HourRange::EVENINGS_AND_NIGHTS),
        in_hours(evening_hours()),
        in_hours(night_hours()),
    );
    TimePatterns {
        incidents: total,
        outside_area: 0,
        range,
        hour_weekday,
        by_hour,
        by_weekday,
        by,
        series,
        trend,
        arshjul: Arshjul {
            month_days,
            total: total_months,
            categories,
        },
        by_category: Category::ALL
            .iter()
            .zip(by_category)
            .map(|(c, n)| KeyCount {
                key: c.key(),
                count: n,
                share: share(n),
            })
            .collect(),
        by_source: Source::ALL
            .iter()
            .zip(by_source)
            .map(|(s, n)| KeyCount {
                key: s.key(),
                count: n,
                share: share(n),
            })
            .collect(),
        evening_night: EveningNight {
            hours: HourRange::EVENINGS_AND_NIGHTS.to_string(),
            count: en,
            share: share(en),
            evening,
            evening_share: share(evening),
            night,
            night_share: share(night),
        },
    }
}

/// The month (1–12) with the most incidents per covered day.
fn peak_month(months: &[u64; 12], days: &[u32; 12]) -> Option<u8> {
    let mut best: Option<(usize, f64)> = None;
    for m in 0..12 {
        if months[m] == 0 || days[m] == 0 {
            continue;
        }
        let rate = months[m] as f64 / f64::from(days[m]);
        if best.is_none_or(|(_, r)| rate > r) {
            best = Some((m, rate));
        }
    }
    best.map(|(m, _)| m as u8 + 1)
}

/// The periods from the one holding `from` to the one holding `to`, with
/// counts, covered days and the year-earlier counts.
fn periods(
    points: &[SwerefPoint],
    from: NaiveDate,
    to: NaiveDate,
    by: PeriodKind,
) -> Vec<PeriodCount> {
    let mut out = Vec::new();
    let mut start = by.start_of(from);
    while start <= to {
        let next = by.next_start(start);
        let end = next - Duration::days(1);
        let lo = start.max(from);
        let hi = end.min(to);
        out.push(PeriodCount {
            label: by.label(start),
            start,
            end,
            days: ((hi - lo).num_days() + 1) as u32,
            count: 0,
            year_earlier: None,
            year_earlier_days: None,
            trend: None,
        });
        start = next;
    }
    let (lo, hi) = (from.num_days_from_ce(), to.num_days_from_ce());
    let first = out.first().map(|p| p.start);
    for p in points {
        if p.local_day < lo || p.local_day > hi {
            continue;
        }
        let (Some(date), Some(first)) = (p.date(), first) else {
            continue;
        };
        let i = match by {
            PeriodKind::Week => ((by.start_of(date) - first).num_days() / 7) as usize,
            PeriodKind::Month => {
                ((date.year() - first.year()) * 12 + date.month0() as i32 - first.month0() as i32)
                    as usize
            }
        };
        if let Some(period) = out.get_mut(i) {
            period.count += 1;
        }
    }
    let index: std::collections::HashMap<NaiveDate, usize> =
        out.iter().enumerate().map(|(i, p)| (p.start, i)).collect();
    for i in 0..out.len() {
        if let Some(j) = by.year_earlier(out[i].start).and_then(|s| index.get(&s))
            && out[*j].days > 0
        {
            out[i].year_earlier = Some(out[*j].count);
            out[i].year_earlier_days = Some(out[*j].days);
        }
    }
    out
}

/// Fits the trend (see the module notes) and writes each period's expected
/// count into `series`.
fn fit_trend(series: &mut [PeriodCount], by: PeriodKind) -> Option<Trend> {
    let obs: Vec<(f64, f64, f64)> = series
        .iter()
        .enumerate()
        .filter(|(_, p)| p.days > 0)
        .map(|(i, p)| (i as f64, f64::from(p.days), p.count as f64))
        .collect();
    let fit = poisson_log_linear(&obs)?;
    let phi = if obs.len() > 2 {
        let chi2: f64 = obs
            .iter()
            .map(|&(t, e, y)| {
                let mu = fit.mean(t, e);
                (y - mu).powi(2) / mu
            })
            .sum();
        (chi2 / (obs.len() - 2) as f64).max(1.0)
    } else {
        1.0
    };
    let se = fit.slope_se * phi.sqrt();
    let k = by.per_year();
    let pct = |b: f64| ((b * k).exp() - 1.0) * 100.0;
    let ci = [pct(fit.b - 1.959_964 * se), pct(fit.b + 1.959_964 * se)];
    for (i, p) in series.iter_mut().enumerate() {
        if p.days > 0 {
            p.trend = Some(fit.mean(i as f64, f64::from(p.days)));
        }
    }
    Some(Trend {
        method: "poisson_log_linear",
        change_per_year_pct: pct(fit.b),
        ci95_pct: ci,
        slope_per_period: fit.b,
        slope_se: se,
        dispersion: phi,
        periods: obs.len(),
        clear: ci[0] > 0.0 || ci[1] < 0.0,
    })
}

/// A fitted `log μ = log e + a + b·(t − t̄)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonFit {
    pub a: f64,
    pub b: f64,
    pub t_mean: f64,
    /// Standard error of `b` (Poisson, from the inverse information).
    pub slope_se: f64,
}

impl PoissonFit {
    /// The expected count at index `t` with exposure `e`.
    pub fn mean(&self, t: f64, e: f64) -> f64 {
        e * (self.a + self.b * (t - self.t_mean)).exp()
    }
}

/// Maximum-likelihood Poisson regression of counts `y` on `t` with exposure
/// `e`, for `(t, e, y)` triples: Newton–Raphson with step halving. `None`
/// for fewer than three observations, no incidents, or no finite maximum.
pub fn poisson_log_linear(obs: &[(f64, f64, f64)]) -> Option<PoissonFit> {
    if obs.len() < 3 {
        return None;
    }
    let sum_y: f64 = obs.iter().map(|o| o.2).sum();
    let sum_e: f64 = obs.iter().map(|o| o.1).sum();
    if sum_y <= 0.0 || sum_e <= 0.0 {
        return None;
    }
    let t_mean = obs.iter().map(|o| o.0).sum::<f64>() / obs.len() as f64;
    let loglik = |a: f64, b: f64| -> f64 {
        obs.iter()
            .map(|&(t, e, y)| {
                let eta = e.ln() + a + b * (t - t_mean);
                y * eta - eta.exp()
            })
            .sum()
    };
    let (mut a, mut b) = ((sum_y / sum_e).ln(), 0.0);
    let mut ll = loglik(a, b);
    for _ in 0..100 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(t, e, y) in obs {
            let x = t - t_mean;
            let mu = e * (a + b * x).exp();
            g0 += y - mu;
            g1 += x * (y - mu);
            h00 += mu;
            h01 += x * mu;
            h11 += x * x * mu;
        }
        let det = h00 * h11 - h01 * h01;
        if !(det.is_finite() && det > 0.0) {
            return None;
        }
        let da = (h11 * g0 - h01 * g1) / det;
        let db = (h00 * g1 - h01 * g0) / det;
        let mut step = 1.0;
        let (mut na, mut nb, mut nll) = (a + da, b + db, loglik(a + da, b + db));
        while !(nll.is_finite() && nll >= ll - 1e-12) && step > 1e-6 {
            step /= 2.0;
            na = a + step * da;
            nb = b + step * db;
            nll = loglik(na, nb);
        }
        let done = (na - a).abs() < 1e-10 && (nb - b).abs() < 1e-10;
        (a, b, ll) = (na, nb, nll);
        if done {
            let h11_final: (f64, f64, f64) = obs.iter().fold((0.0, 0.0, 0.0), |acc, &(t, e, _)| {
                let x = t - t_mean;
                let mu = e * (a + b * x).exp();
                (acc.0 + mu, acc.1 + x * mu, acc.2 + x * x * mu)
            });
            let (i00, i01, i11) = h11_final;
            let det = i00 * i11 - i01 * i01;
            let se = (i00 / det).sqrt();
            // A slope that runs away (all counts at one end) is no maximum.
            if !(se.is_finite() && b.abs() < 20.0) {
                return None;
            }
            return Some(PoissonFit {
                a,
                b,
                t_mean,
                slope_se: se,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IncidentPoint, LonLat, time::utc_from_local};
    use chrono::{TimeZone as _, Utc};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at_utc(t: chrono::DateTime<Utc>, category: Category, source: Source) -> SwerefPoint {
        SwerefPoint::from_incident_point(&IncidentPoint {
            fid: 1,
            occurred_at: t,
            category,
            source,
            position: LonLat::new(14.58, 56.05),
            precision_m: 10.0,
        })
    }

    fn at_local(y: i32, m: u32, d: u32, h: u32, category: Category) -> SwerefPoint {
        let t = utc_from_local(date(y, m, d).and_hms_opt(h, 15, 0).unwrap()).unwrap();
        at_utc(t, category, Source::Polis)
    }

    #[test]
    fn hour_weekday_table_in_local_time_across_dst() {
        // Autumn change-over, Sunday 26 October 2025: 00:30 UTC is 02:30
        // CEST, 01:30 UTC is 02:30 CET; 22:30 UTC on Saturday is Sunday 00:30.
        let autumn = [
            Utc.with_ymd_and_hms(2025, 10, 26, 0, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2025, 10, 26, 1, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2025, 10, 25, 22, 30, 0).unwrap(),
        ];
        // Spring change-over, Sunday 30 March 2025: 00:30 UTC is 01:30 CET,
        // 01:30 UTC is 03:30 CEST (02:xx never happens).
        let spring = [
            Utc.with_ymd_and_hms(2025, 3, 30, 0, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2025, 3, 30, 1, 30, 0).unwrap(),
        ];
        let pts: Vec<_> = autumn
            .iter()
            .chain(&spring)
            .map(|t| at_utc(*t, Category::Vald, Source::Polis))
            .collect();
        let t = compute(&pts, None, PeriodKind::Month);
        let sunday = &t.hour_weekday[6];
        assert_eq!(sunday[2], 2, "{sunday:?}");
        assert_eq!(sunday[0], 1);
        assert_eq!(sunday[1], 1);
        assert_eq!(sunday[3], 1);
        assert_eq!(
            t.hour_weekday[5].iter().sum::<u64>(),
            0,
            "nothing on Saturday"
        );
        assert_eq!(t.by_weekday, [0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(t.by_hour[2], 2);
        // 00:30, 01:30, 02:30, 02:30, 03:30 are all night (22–06).
        assert_eq!(t.evening_night.night, 5);
        assert_eq!(t.evening_night.evening, 0);
        assert_eq!(t.evening_night.share, 1.0);
        // March and October, each in its own month.
        assert_eq!(t.arshjul.total[2], 2);
        assert_eq!(t.arshjul.total[9], 3);
    }

    #[test]
    fn iso_weeks_at_year_boundaries() {
        let w = PeriodKind::Week;
        assert_eq!(w.label(w.start_of(date(2024, 12, 30))), "2025-W01");
        assert_eq!(w.label(w.start_of(date(2021, 1, 3))), "2020-W53");
        assert_eq!(w.start_of(date(2021, 1, 3)), date(2020, 12, 28));
        assert_eq!(w.label(w.start_of(date(2026, 1, 1))), "2026-W01");
        // 2020 had a week 53, 2019 none; 2021-W01 a year earlier is 2020-W01.
        assert_eq!(w.year_earlier(date(2020, 12, 28)), None);
        assert_eq!(w.year_earlier(date(2021, 1, 4)), Some(date(2019, 12, 30)));
        let m = PeriodKind::Month;
        assert_eq!(m.next_start(date(2024, 12, 1)), date(2025, 1, 1));
        assert_eq!(m.label(date(2025, 3, 1)), "2025-03");

        // Incidents on Sunday 3 Jan 2021 (2020-W53) and Monday 4 Jan 2021
        // (2021-W01) at 12 local; Thursday 31 Dec 2020 (2020-W53).
        let pts = [
            at_local(2020, 12, 31, 12, Category::Stold),
            at_local(2021, 1, 3, 12, Category::Stold),
            at_local(2021, 1, 4, 12, Category::Stold),
        ];
        let t = compute(&pts, None, PeriodKind::Week);
        let labels: Vec<_> = t.series.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2020-W53", "2021-W01"]);
        assert_eq!(t.series[0].count, 2);
        assert_eq!(t.series[0].days, 4, "31 Dec – 3 Jan");
        assert_eq!(t.series[1].count, 1);
        assert_eq!(t.series[1].days, 1);
        assert_eq!(t.series[0].end, date(2021, 1, 3));
    }

    #[test]
    fn months_with_the_year_earlier_and_partial_coverage() {
        // Range 15 Jan 2024 – 10 Mar 2025: 15 months.
        let pts = [
            at_local(2024, 1, 20, 20, Category::Vald),
            at_local(2024, 3, 1, 9, Category::Vald),
            at_local(2024, 3, 31, 23, Category::Brand),
            at_local(2025, 3, 2, 19, Category::Vald),
        ];
        let t = compute(
            &pts,
            Some([date(2024, 1, 15), date(2025, 3, 10)]),
            PeriodKind::Month,
        );
        assert_eq!(t.series.len(), 15);
        let jan = &t.series[0];
        assert_eq!(
            (jan.label.as_str(), jan.days, jan.count),
            ("2024-01", 17, 1)
        );
        assert_eq!(jan.year_earlier, None);
        let mar25 = &t.series[14];
        assert_eq!(mar25.label, "2025-03");
        assert_eq!((mar25.days, mar25.count), (10, 1));
        assert_eq!(mar25.year_earlier, Some(2));
        assert_eq!(mar25.year_earlier_days, Some(31));
        assert_eq!(t.series[12].year_earlier, Some(1), "2025-01 vs 2024-01");
        assert_eq!(t.series[12].year_earlier_days, Some(17));
        // Årshjul: March covered 31 + 10 days, January 17 + 31.
        assert_eq!(t.arshjul.month_days[2], 41);
        assert_eq!(t.arshjul.month_days[0], 48);
        assert_eq!(t.arshjul.month_days[1], 29 + 28);
        let vald = &t.arshjul.categories[2];
        assert_eq!(vald.key, "vald");
        assert_eq!(vald.months[0], 1);
        assert_eq!(vald.months[2], 2);
        // 2/41 in March beats 1/48 in January.
        assert_eq!(vald.peak_month, Some(3));
        assert_eq!(t.arshjul.categories[5].peak_month, Some(3), "brand");
        assert_eq!(t.arshjul.categories[0].peak_month, None);
        // 20:15 and 19:15 are evening; 23:15 night; 09:15 neither.
        assert_eq!(t.evening_night.evening, 2);
        assert_eq!(t.evening_night.night, 1);
        assert_eq!(t.evening_night.count, 3);
        assert!((t.evening_night.share - 0.75).abs() < 1e-12);
        assert_eq!(t.by_category[2].count, 3);
        assert!((t.by_category[2].share - 0.75).abs() < 1e-12);
        assert_eq!(t.by_source[0].key, "polis");
        assert_eq!(t.by_source[0].count, 4);
    }

    #[test]
    fn peak_month_weighs_by_covered_days() {
        let mut days = [31; 12];
        days[1] = 28;
        let mut months = [0; 12];
        months[0] = 31;
        months[1] = 29;
        assert_eq!(peak_month(&months, &days), Some(2));
        months[1] = 28;
        assert_eq!(peak_month(&months, &days), Some(1), "tie: earliest");
        assert_eq!(peak_month(&[0; 12], &days), None);
    }

    #[test]
    fn trend_of_doubling_counts_is_exact() {
        // Counts 10, 20, 40 with equal exposure: log-linear exactly, b = ln 2.
        let fit =
            poisson_log_linear(&[(0.0, 30.0, 10.0), (1.0, 30.0, 20.0), (2.0, 30.0, 40.0)]).unwrap();
        assert!((fit.b - 2f64.ln()).abs() < 1e-9, "{fit:?}");
        assert!((fit.mean(0.0, 30.0) - 10.0).abs() < 1e-6);
        // Information for b: Σ x² μ = 10 + 40 = 50 → se = sqrt(i00 / det)
        // with i00 = 70, i01 = 30, i11 = 50: det = 3500 − 900 = 2600.
        assert!((fit.slope_se - (70.0f64 / 2600.0).sqrt()).abs() < 1e-9);
        // Half the exposure in the middle period, half the count: same fit.
        let half =
            poisson_log_linear(&[(0.0, 30.0, 10.0), (1.0, 15.0, 10.0), (2.0, 30.0, 40.0)]).unwrap();
        assert!((half.b - 2f64.ln()).abs() < 1e-9, "{half:?}");
        // Flat counts: no slope.
        let flat =
            poisson_log_linear(&[(0.0, 7.0, 5.0), (1.0, 7.0, 5.0), (2.0, 7.0, 5.0)]).unwrap();
        assert!(flat.b.abs() < 1e-12);
        // All in the last period: no finite maximum.
        assert!(poisson_log_linear(&[(0.0, 7.0, 0.0), (1.0, 7.0, 0.0), (2.0, 7.0, 9.0)]).is_none());
        assert!(poisson_log_linear(&[(0.0, 7.0, 1.0), (1.0, 7.0, 2.0)]).is_none());
    }

    #[test]
    fn series_trend_per_year_and_its_interval() {
        // Twelve months of 2025, 2 incidents each in Jan–Jun, 4 in Jul–Dec.
        let mut pts = Vec::new();
        for m in 1..=12u32 {
            let n = if m <= 6 { 2 } else { 4 };
            for k in 0..n {
                pts.push(at_local(2025, m, 1 + k, 12, Category::Stold));
            }
        }
        let t = compute(
            &pts,
            Some([date(2025, 1, 1), date(2025, 12, 31)]),
            PeriodKind::Month,
        );
        let trend = t.trend.unwrap();
        assert_eq!(trend.method, "poisson_log_linear");
        assert_eq!(trend.periods, 12);
        assert!(trend.change_per_year_pct > 0.0, "{trend:?}");
        assert!(trend.ci95_pct[0] < trend.change_per_year_pct);
        assert!(trend.ci95_pct[1] > trend.change_per_year_pct);
        assert!(trend.dispersion >= 1.0);
        // The fitted counts add up to the observed total (Poisson score = 0).
        let fitted: f64 = t.series.iter().filter_map(|p| p.trend).sum();
        assert!((fitted - 36.0).abs() < 1e-6, "{fitted}");
        // Yearly change = exp(12 b) − 1.
        let expect = ((trend.slope_per_period * 12.0).exp() - 1.0) * 100.0;
        assert!((trend.change_per_year_pct - expect).abs() < 1e-9);
    }
}
