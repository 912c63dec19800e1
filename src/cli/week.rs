//! `lagesbild week PROJECT.gpkg --routes FILE.geojson [--pairs 3]
//! [--shifts-per-pair 4] [--shift 19:00-03:00 …] [--evenings mon-sun]
//! [--buffer 50] [filters] [--json]`
//!
//! Proposes which host pair walks which route or area on which evening and
//! hours, so that the incidents within reach while hosts are there (from the
//! project's history by weekday, hour and place) are as many as possible, and
//! prints the expected incidents per week and their share beside the plan.

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, Timelike as _, Weekday};
use serde_json::json;

use super::Outcome;
use super::args::WeekArgs;
use lagesbild::analysis::engine::{self, AreaChoice, Selection};
use lagesbild::analysis::visits::Shift;
use lagesbild::analysis::week::{
    PastIncident, WeekParams, beats_from_features, beats_from_plan, plan_week,
};
use lagesbild::jobs::CancelToken;
use lagesbild::model::{Precision, Weekdays, time};

const SWEDISH_DAYS: [&str; 7] = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"];

/// `lagesbild week`.
pub fn run(args: &WeekArgs) -> anyhow::Result<Outcome> {
    let filter = super::filter_from_args(&args.filter)?;
    let shifts: Vec<Shift> = if args.shift.is_empty() {
        vec![Shift {
            start_min: 19 * 60,
            end_min: 27 * 60,
        }]
    } else {
        args.shift
            .iter()
            .map(|s| s.parse::<Shift>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?
    };
    let evenings: Vec<Weekday> = match &args.evenings {
        Some(e) => e
            .parse::<Weekdays>()
            .with_context(|| format!("--evenings {e:?}"))?
            .days()
            .collect(),
        None => Weekdays::default().days().collect(),
    };
    let project = super::analysis::open_project(&args.project)?;
    let beats = match &args.routes {
        Some(path) => {
            let set = lagesbild::import::shapes::read_features(path, None)?;
            beats_from_features(&set).map_err(|r| anyhow::anyhow!("{}: {r}", path.display()))?
        }
        None => {
            let plan = project.patrol_plan()?;
            let beats = beats_from_plan(&plan);
            if beats.is_empty() {
                anyhow::bail!(
                    "{}: the project's patrol plan has no areas or routes; draw them in the app, `lagesbild plan import`, or give --routes FILE.geojson",
                    args.project.display()
                );
            }
            beats
        }
    };
    let selection = Selection {
        filter: filter.clone(),
        include_coarse: args.include_coarse,
        area: AreaChoice::NoArea,
    };
    let loaded = engine::load(
        project.as_ref(),
        &selection,
        &args.project.display().to_string(),
        &CancelToken::new(),
    )?;
    drop(project);
    let history: Vec<PastIncident> = loaded
        .points
        .iter()
        .filter(|p| p.xy[0].is_finite() && p.xy[1].is_finite())
        .filter(|p| args.include_coarse || f64::from(p.precision_m) <= Precision::COARSE_ABOVE_M)
        .filter_map(|p| {
            let t = time::local(DateTime::from_timestamp(p.occurred_at, 0)?);
            Some(PastIncident {
                xy: p.xy,
                weekday: t.weekday(),
                minute: t.hour() * 60 + t.minute(),
            })
        })
        .collect();
    let Some([first, last]) = filter
        .from
        .zip(filter.to)
        .map(|(a, b)| [a, b])
        .or_else(|| loaded.period())
    else {
        anyhow::bail!(
            "{}: no incidents match the filter: there is no history to plan from",
            args.project.display()
        );
    };
    let weeks = ((last - first).num_days() + 1) as f64 / 7.0;
    let params = WeekParams {
        pairs: args.pairs,
        shifts_per_pair: args.shifts_per_pair,
        shifts,
        evenings,
        buffer_m: args.buffer,
        weeks,
    };
    let plan = plan_week(&history, &beats, &params).map_err(|e| anyhow::anyhow!("week: {e}"))?;
    if args.json {
        let v = json!({
            "history": {"from": first.to_string(), "to": last.to_string(), "weeks": (weeks * 10.0).round() / 10.0, "incidents": plan.incidents},
            "pairs": args.pairs,
            "shifts_per_pair": args.shifts_per_pair,
            "buffer_m": args.buffer,
            "expected_per_week": (plan.expected * 100.0).round() / 100.0,
            "total_per_week": (plan.total * 100.0).round() / 100.0,
            "share": plan.share,
            "shifts": plan.shifts.iter().map(|s| json!({
                "pair": s.pair,
                "evening": s.evening.to_string().to_lowercase(),
                "shift": s.shift.to_string(),
                "name": beats[s.beat].name,
                "expected_per_week": (s.expected * 100.0).round() / 100.0,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Outcome::Success);
    }
    println!(
        "Week plan: {} pair(s) × {} shift(s), from {} incidents {first}–{last} ({weeks:.1} weeks, {})",
        args.pairs,
        args.shifts_per_pair,
        plan.incidents,
        filter.describe()
    );
    println!(
        "{:<6} {:<6} {:<12} {:<28} {:>14}",
        "pair", "day", "hours", "route/area", "expected/week"
    );
    for s in &plan.shifts {
        println!(
            "{:<6} {:<6} {:<12} {:<28} {:>14.2}",
            s.pair,
            SWEDISH_DAYS[s.evening.num_days_from_monday() as usize],
            s.shift.to_string(),
            beats[s.beat].name,
            s.expected
        );
    }
    println!(
        "Expected within reach while present: {:.2} of {:.2} incidents a week ({:.1} %), each counted once",
        plan.expected,
        plan.total,
        plan.share * 100.0
    );
    Ok(Outcome::Success)
}
