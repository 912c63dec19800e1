//! `lagesbild stats PROJECT.gpkg [filters] [--json]`

use std::io::Write as _;

use lagesbild::analysis::Stats;
use lagesbild::jobs::CancelToken;
use lagesbild::model::time;
use lagesbild::store;
use serde_json::json;

use super::args::StatsArgs;
use super::{Outcome, filter_from_args};

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub fn run(args: &StatsArgs) -> anyhow::Result<Outcome> {
    let filter = filter_from_args(&args.filter)?;
    let project = store::open(&args.project)?;
    let info = project.info()?;
    let points = project.incident_points(&filter, &CancelToken::new())?;
    let stats = Stats::compute(&points);
    let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| time::local(t).format("%Y-%m-%d %H:%M").to_string())
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "project": args.project,
            "name": info.name,
            "synthetic": info.synthetic,
            "filter": filter.describe(),
            "total": stats.total,
            "coarse": stats.coarse,
            "first": local(stats.first),
            "last": local(stats.last),
            "by_category": stats.by_category.iter().map(|(c, n)| (c.key().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "by_source": stats.by_source.iter().map(|(s, n)| (s.key().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "by_hour": stats.by_hour,
            "by_weekday": WEEKDAYS.iter().zip(stats.by_weekday).map(|(d, n)| ((*d).to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "evening_night": stats.evening_night,
            "evening_night_share": stats.evening_night_share,
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
        stats.total,
        info.incident_count,
        if stats.coarse > 0 {
            format!(" ({} with a coarse position)", stats.coarse)
        } else {
            String::new()
        }
    )?;
    if let (Some(first), Some(last)) = (local(stats.first), local(stats.last)) {
        writeln!(out, "Period: {first} – {last} (local time)")?;
    }
    writeln!(
        out,
        "Evenings and nights (18–06): {} ({:.1} %)",
        stats.evening_night,
        stats.evening_night_share * 100.0
    )?;
    let max_width = 40.0;
    let bar = |n: u64, max: u64| {
        let len = if max == 0 {
            0
        } else {
            (n as f64 / max as f64 * max_width).round() as usize
        };
        "#".repeat(len)
    };
    writeln!(out, "\nBy category:")?;
    let max = stats.by_category.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for (c, n) in &stats.by_category {
        writeln!(out, "  {:<18} {:>8}  {}", c.label_sv(), n, bar(*n, max))?;
    }
    writeln!(out, "\nBy source:")?;
    let max = stats.by_source.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for (s, n) in &stats.by_source {
        writeln!(out, "  {:<18} {:>8}  {}", s.label_sv(), n, bar(*n, max))?;
    }
    writeln!(out, "\nBy hour of day (local time):")?;
    let max = stats.by_hour.iter().copied().max().unwrap_or(0);
    for (h, n) in stats.by_hour.iter().enumerate() {
        writeln!(
            out,
            "  {h:02}–{:02}  {n:>8}  {}",
            (h + 1) % 24,
            bar(*n, max)
        )?;
    }
    writeln!(out, "\nBy weekday (local time):")?;
    let max = stats.by_weekday.iter().copied().max().unwrap_or(0);
    for (d, n) in WEEKDAYS.iter().zip(stats.by_weekday) {
        writeln!(out, "  {d:<4} {n:>8}  {}", bar(n, max))?;
    }
    Ok(Outcome::Success)
}
