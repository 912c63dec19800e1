//! `lagesbild stats PROJECT.gpkg [filters] [--json]`

use std::io::Write as _;

use lagesbild::analysis::Stats;
use lagesbild::export::privacy::{self, CountTable, Shown};
use lagesbild::jobs::CancelToken;
use lagesbild::model::{HourRange, time};
use lagesbild::store;
use serde_json::{Value, json};

use super::args::StatsArgs;
use super::{Outcome, filter_from_args};

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The counts of [`Stats`] as shown with small counts suppressed.
struct ShownStats {
    total: Shown,
    coarse: Shown,
    by_category: Vec<Shown>,
    by_source: Vec<Shown>,
    by_hour: Vec<Shown>,
    by_weekday: Vec<Shown>,
    evening_night: Shown,
}

/// Every table of `stats` sums to the total, and the hours of evenings and
/// nights to their count (the rest of the day being the total less it), so
/// all of them are protected together.
fn protect(stats: &Stats, min_count: u32) -> ShownStats {
    let mut t = CountTable::new();
    let total = t.public_cell(stats.total);
    let coarse = t.cell(stats.coarse);
    let precise = t.cell(stats.total - stats.coarse);
    t.sums_to(&[coarse, precise], total);
    let cats = t.cells(stats.by_category.iter().map(|(_, n)| *n));
    t.sums_to(&cats, total);
    let srcs = t.cells(stats.by_source.iter().map(|(_, n)| *n));
    t.sums_to(&srcs, total);
    let hours = t.cells(stats.by_hour);
    t.sums_to(&hours, total);
    let days = t.cells(stats.by_weekday);
    t.sums_to(&days, total);
    let en = t.cell(stats.evening_night);
    let rest = t.cell(stats.total - stats.evening_night);
    let night = |h: &usize| HourRange::EVENINGS_AND_NIGHTS.contains(*h as u8);
    let en_hours: Vec<usize> = (0..24).filter(night).map(|h| hours[h]).collect();
    let rest_hours: Vec<usize> = (0..24).filter(|h| !night(h)).map(|h| hours[h]).collect();
    t.sums_to(&en_hours, en);
    t.sums_to(&rest_hours, rest);
    t.sums_to(&[en, rest], total);
    let s = t.protect(min_count);
    let pick = |ix: &[usize]| ix.iter().map(|&i| s[i]).collect::<Vec<_>>();
    ShownStats {
        total: s[total],
        coarse: s[coarse],
        by_category: pick(&cats),
        by_source: pick(&srcs),
        by_hour: pick(&hours),
        by_weekday: pick(&days),
        evening_night: s[en],
    }
}

/// The keys of the suppressed entries of a table, for the JSON's
/// `"suppressed"` object.
fn suppressed_keys(keys: impl IntoIterator<Item = Value>, shown: &[Shown]) -> Vec<Value> {
    keys.into_iter()
        .zip(shown)
        .filter(|(_, s)| s.is_suppressed())
        .map(|(k, _)| k)
        .collect()
}

pub fn run(args: &StatsArgs) -> anyhow::Result<Outcome> {
    let filter = filter_from_args(&args.filter)?;
    let m = args.min_count;
    if let Some(warning) = privacy::check_min_count(m).map_err(anyhow::Error::msg)? {
        eprintln!("{warning}");
    }
    let project = store::open(&args.project)?;
    let info = project.info()?;
    // The analysis points the stores keep ready (a copy of a cache, not
    // every row): the same counts as the incidents themselves.
    let points = project.analysis_points(&filter, &CancelToken::new())?;
    let stats = Stats::compute_analysis(&points);
    let shown = protect(&stats, m);
    // The first and last incident's day only (their minute would point at
    // one incident), and none when the selection itself is a small group.
    let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.filter(|_| !shown.total.is_suppressed())
            .map(|t| time::local(t).format("%Y-%m-%d").to_string())
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut suppressed = serde_json::Map::new();
        for (name, s) in [
            ("total", shown.total),
            ("coarse", shown.coarse),
            ("evening_night", shown.evening_night),
        ] {
            if s.is_suppressed() {
                suppressed.insert(name.into(), json!(true));
            }
        }
        let tables = [
            (
                "by_category",
                suppressed_keys(
                    stats.by_category.iter().map(|(c, _)| json!(c.key())),
                    &shown.by_category,
                ),
            ),
            (
                "by_source",
                suppressed_keys(
                    stats.by_source.iter().map(|(c, _)| json!(c.key())),
                    &shown.by_source,
                ),
            ),
            (
                "by_hour",
                suppressed_keys((0..24).map(|h| json!(h)), &shown.by_hour),
            ),
            (
                "by_weekday",
                suppressed_keys(WEEKDAYS.iter().map(|d| json!(d)), &shown.by_weekday),
            ),
        ];
        for (name, keys) in tables {
            if !keys.is_empty() {
                suppressed.insert(name.into(), Value::Array(keys));
            }
        }
        let value = json!({
            "project": args.project,
            "name": info.name,
            "synthetic": info.synthetic,
            "filter": filter.describe(),
            "min_count": m,
            "total": shown.total.json(),
            "coarse": shown.coarse.json(),
            "first": local(stats.first),
            "last": local(stats.last),
            "by_category": stats.by_category.iter().zip(&shown.by_category).map(|((c, _), s)| (c.key().to_owned(), s.json())).collect::<serde_json::Map<_, _>>(),
            "by_source": stats.by_source.iter().zip(&shown.by_source).map(|((c, _), s)| (c.key().to_owned(), s.json())).collect::<serde_json::Map<_, _>>(),
            "by_hour": shown.by_hour.iter().map(|s| s.json()).collect::<Vec<_>>(),
            "by_weekday": WEEKDAYS.iter().zip(&shown.by_weekday).map(|(d, s)| ((*d).to_owned(), s.json())).collect::<serde_json::Map<_, _>>(),
            "evening_night": shown.evening_night.json(),
            "evening_night_share": shown.evening_night.share(stats.evening_night_share),
            "suppressed": suppressed,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }

    writeln!(
        out,
        "{}{}",
        info.name,
        if info.synthetic {
            " (SYNTHETIC DEMO DATA)"
        } else {
            ""
        }
    )?;
    writeln!(out, "Filter: {}", filter.describe())?;
    writeln!(
        out,
        "Incidents: {} of {} in the project{}",
        shown.total.text(m),
        info.incident_count,
        if stats.coarse > 0 {
            format!(" ({} with a coarse position)", shown.coarse.text(m))
        } else {
            String::new()
        }
    )?;
    if let (Some(first), Some(last)) = (local(stats.first), local(stats.last)) {
        writeln!(out, "Period: {first} – {last} (local time)")?;
    }
    match shown.evening_night.share(stats.evening_night_share) {
        Some(share) => writeln!(
            out,
            "Evenings and nights (18–06): {} ({:.1} %)",
            stats.evening_night,
            share * 100.0
        )?,
        None => writeln!(
            out,
            "Evenings and nights (18–06): {}",
            shown.evening_night.text(m)
        )?,
    }
    let max_width = 40.0;
    let bar = |s: Shown, max: u64| {
        let n = s.value().unwrap_or(0);
        let len = if max == 0 {
            0
        } else {
            (n as f64 / max as f64 * max_width).round() as usize
        };
        "#".repeat(len)
    };
    let max_of = |s: &[Shown]| s.iter().filter_map(|s| s.value()).max().unwrap_or(0);
    writeln!(out, "\nBy category:")?;
    let max = max_of(&shown.by_category);
    for ((c, _), s) in stats.by_category.iter().zip(&shown.by_category) {
        writeln!(
            out,
            "  {:<18} {:>8}  {}",
            c.label_sv(),
            s.text(m),
            bar(*s, max)
        )?;
    }
    writeln!(out, "\nBy source:")?;
    let max = max_of(&shown.by_source);
    for ((c, _), s) in stats.by_source.iter().zip(&shown.by_source) {
        writeln!(
            out,
            "  {:<18} {:>8}  {}",
            c.label_sv(),
            s.text(m),
            bar(*s, max)
        )?;
    }
    writeln!(out, "\nBy hour of day (local time):")?;
    let max = max_of(&shown.by_hour);
    for (h, s) in shown.by_hour.iter().enumerate() {
        writeln!(
            out,
            "  {h:02}–{:02}  {:>8}  {}",
            (h + 1) % 24,
            s.text(m),
            bar(*s, max)
        )?;
    }
    writeln!(out, "\nBy weekday (local time):")?;
    let max = max_of(&shown.by_weekday);
    for (d, s) in WEEKDAYS.iter().zip(&shown.by_weekday) {
        writeln!(out, "  {d:<4} {:>8}  {}", s.text(m), bar(*s, max))?;
    }
    let all = [
        &shown.by_category,
        &shown.by_source,
        &shown.by_hour,
        &shown.by_weekday,
    ];
    if all.iter().any(|t| t.iter().any(|s| s.is_suppressed())) || shown.total.is_suppressed() {
        writeln!(out, "\n{}", privacy::legend(m))?;
    }
    Ok(Outcome::Success)
}
