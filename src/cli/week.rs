//! `lagesbild week PROJECT.gpkg --routes FILE.geojson [--pairs 3]
//! [--shifts-per-pair 4] [--shift 19:00-03:00 …] [--evenings mon-sun]
//! [--buffer 50] [--fix PAIR:DAY=NAME[@HH:MM-HH:MM] …] [filters] [--json]`
//!
//! Proposes which host pair walks which route or area on which evening and
//! hours, so that the incidents within reach while hosts are there (from the
//! project's history by weekday, hour and place) are as many as possible, and
//! prints the expected incidents per week and their share beside the plan.
//! The project's own areas and routes are offered only on their weekdays and
//! hours. `--fix 2:fre=Hamnen` keeps pair 2 on Hamnen on Friday evening (the
//! planner's choice) and proposes the rest around it.

use anyhow::Context as _;
use chrono::Weekday;
use serde_json::json;

use super::Outcome;
use super::args::WeekArgs;
use lagesbild::analysis::engine::{self, AreaChoice, Selection};
use lagesbild::analysis::visits::Shift;
use lagesbild::analysis::week::{
    Beat, Fixed, WeekModel, WeekParams, beats_from_features, beats_from_plan, history_of,
};
use lagesbild::jobs::CancelToken;
use lagesbild::model::Weekdays;

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
    let (history, period) = history_of(&loaded, &filter, args.include_coarse);
    let Some(([first, last], weeks)) = period else {
        anyhow::bail!(
            "{}: no incidents match the filter: there is no history to plan from",
            args.project.display()
        );
    };
    let params = WeekParams {
        pairs: args.pairs,
        shifts_per_pair: args.shifts_per_pair,
        shifts,
        evenings,
        buffer_m: args.buffer,
        weeks,
    };
    let fixed = args
        .fix
        .iter()
        .map(|f| parse_fix(f, &beats, &params.shifts))
        .collect::<anyhow::Result<Vec<Fixed>>>()?;
    let plan = WeekModel::new(&history, &beats, &params)
        .and_then(|m| m.propose(&fixed))
        .map_err(|e| anyhow::anyhow!("week: {e}"))?;
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
                "fixed": s.fixed,
            })).collect::<Vec<_>>(),
            "short": plan.short.iter().map(|(pair, missing)| json!({"pair": pair, "missing_shifts": missing})).collect::<Vec<_>>(),
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
            "{:<6} {:<6} {:<12} {:<28} {:>14.2}{}",
            s.pair,
            SWEDISH_DAYS[s.evening.num_days_from_monday() as usize],
            s.shift.to_string(),
            beats[s.beat].name,
            s.expected,
            if s.fixed { "  (fixed)" } else { "" }
        );
    }
    for (pair, missing) in &plan.short {
        println!(
            "Pair {pair} has {missing} shift(s) fewer than asked: no route or area is walked on the evenings it is free (their own weekdays and hours)"
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

/// `PAIR:DAY=NAME[@HH:MM-HH:MM]`: pair 1-based, DAY one weekday (mån/mon …),
/// NAME a route's or area's name (case does not matter), the hours one of
/// the `--shift` hours.
fn parse_fix(text: &str, beats: &[Beat], shifts: &[Shift]) -> anyhow::Result<Fixed> {
    let bad = |why: &str| {
        anyhow::anyhow!("--fix {text:?}: {why} (expected PAIR:DAY=NAME, e.g. 2:fre=Hamnen)")
    };
    let (pair, rest) = text
        .split_once(':')
        .ok_or_else(|| bad("no ':' after the pair"))?;
    let (day, item) = rest
        .split_once('=')
        .ok_or_else(|| bad("no '=' before the name"))?;
    let pair: usize = pair
        .trim()
        .parse()
        .map_err(|_| bad("the pair is not a number"))?;
    let days: Vec<Weekday> = day
        .trim()
        .parse::<Weekdays>()
        .map_err(|_| bad("not a weekday"))?
        .days()
        .collect();
    let [evening] = days[..] else {
        return Err(bad("name one evening"));
    };
    let (name, hours) = match item.rsplit_once('@') {
        Some((n, h)) => (n, Some(h)),
        None => (item, None),
    };
    let name = name.trim();
    let beat = beats
        .iter()
        .position(|b| b.name.to_lowercase() == name.to_lowercase())
        .ok_or_else(|| {
            let names: Vec<&str> = beats.iter().map(|b| b.name.as_str()).collect();
            bad(&format!(
                "no route or area named {name:?} (there are {names:?})"
            ))
        })?;
    let shift = match hours {
        None => None,
        Some(h) => {
            let want: Shift = h.parse().map_err(|e: String| bad(&e))?;
            Some(
                shifts
                    .iter()
                    .position(|s| *s == want)
                    .ok_or_else(|| bad(&format!("{want} is not one of the --shift hours")))?,
            )
        }
    };
    Ok(Fixed {
        pair,
        evening,
        beat,
        shift,
    })
}
