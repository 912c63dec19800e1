//! `lagesbild evaluate PROJECT.gpkg (--measure NAME | --area FILE --start DATE
//! [--end DATE]) [--buffer 300] [--control FILE] [filters] [--json]`
//!
//! Runs [`lagesbild::analysis::evaluate`] on the project: the counts before
//! and after in the area, the ring and the control area, per month, the WDQ
//! and the Swedish summary. With `--json` only the JSON goes to stdout.

use std::io::Write as _;

use anyhow::Context as _;
use lagesbild::analysis::evaluate::{self, EvaluationRequest};
use lagesbild::analysis::inputs;
use lagesbild::jobs::CancelToken;
use lagesbild::model::Filter;

use super::Outcome;
use super::args::FilterArgs;
use super::follow_args::EvaluateArgs;

pub fn run(args: &EvaluateArgs) -> anyhow::Result<Outcome> {
    if !(args.buffer.is_finite() && args.buffer > 0.0) {
        anyhow::bail!(
            "--buffer {}: must be a positive number of metres",
            args.buffer
        );
    }
    let overrides = super::measure::problem_from_args(&args.filter)?;
    let store = super::open_existing(&args.project)?;
    let control = args
        .control
        .as_deref()
        .map(inputs::read_area)
        .transpose()
        .context("--control")?;
    let mut req = match (&args.measure, &args.area) {
        (Some(name), _) => {
            let Some(m) = store.measure(name)? else {
                let known: Vec<String> = store.measures()?.into_iter().map(|m| m.name).collect();
                anyhow::bail!(
                    "{}: no measure named {name:?} (known: {})",
                    args.project.display(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        format!("{known:?}")
                    }
                );
            };
            let mut req = evaluate::request_for_measure(&m, args.buffer, control)?;
            req.filter = merge(&req.filter, &overrides, &args.filter);
            req
        }
        (None, Some(area)) => {
            let start = args.start.as_deref().context("--area needs --start")?;
            EvaluationRequest {
                name: String::new(),
                area: inputs::read_area(area)?,
                start: Filter::parse_date(start).context("--start")?,
                end: args
                    .end
                    .as_deref()
                    .map(Filter::parse_date)
                    .transpose()
                    .context("--end")?,
                buffer_m: args.buffer,
                control,
                filter: overrides,
                include_coarse: false,
            }
        }
        (None, None) => anyhow::bail!("give --measure NAME, or --area FILE with --start DATE"),
    };
    req.include_coarse = args.include_coarse;
    let e = evaluate::evaluate_in_store(store.as_ref(), &req, &CancelToken::new())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&e.to_json())?)?;
        return Ok(Outcome::Success);
    }
    for note in &e.notes {
        eprintln!("note: {note}");
    }
    let [b0, b1] = e.periods.before;
    let [a0, a1] = e.periods.after;
    writeln!(
        out,
        "before {b0} – {b1}, after {a0} – {a1} ({} days each)",
        e.periods.days
    )?;
    writeln!(out, "{:<10} {:>7} {:>7}", "", "before", "after")?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7}",
        "area", e.area.before, e.area.after
    )?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7}",
        format!("ring {} m", e.buffer_m),
        e.buffer.before,
        e.buffer.after
    )?;
    if let Some(c) = e.control {
        writeln!(out, "{:<10} {:>7} {:>7}", "control", c.before, c.after)?;
    }
    match &e.wdq {
        Ok(w) => writeln!(out, "WDQ {w:.3}")?,
        Err(why) => writeln!(out, "WDQ not computed: {why}")?,
    }
    writeln!(out, "p = {:.4} ({})", e.test.p_value, evaluate::TEST_METHOD)?;
    writeln!(
        out,
        "{:<8} {:>6} {:>6} {:>8}",
        "month", "area", "ring", "control"
    )?;
    for m in &e.months {
        writeln!(
            out,
            "{:<8} {:>6} {:>6} {:>8}{}",
            m.month,
            m.area,
            m.buffer,
            m.control.map_or("–".to_owned(), |c| c.to_string()),
            if m.after { "  (after)" } else { "" }
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", e.summary)?;
    Ok(Outcome::Success)
}

/// The measure's problem filter with the fields the flags give replaced.
fn merge(stored: &Filter, given: &Filter, flags: &FilterArgs) -> Filter {
    Filter {
        from: None,
        to: None,
        categories: if flags.category.is_some() {
            given.categories.clone()
        } else {
            stored.categories.clone()
        },
        sources: if flags.source.is_some() {
            given.sources.clone()
        } else {
            stored.sources.clone()
        },
        hours: if flags.hours.is_some() {
            given.hours
        } else {
            stored.hours
        },
        weekdays: if flags.weekdays.is_some() {
            given.weekdays
        } else {
            stored.weekdays
        },
    }
}
