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
use lagesbild::export::evaluation;
use lagesbild::export::privacy::{self, Shown};
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
    let m = args.min_count;
    if let Some(warning) = privacy::check_min_count(m).map_err(anyhow::Error::msg)? {
        eprintln!("{warning}");
    }
    let e = evaluate::evaluate_in_store(store.as_ref(), &req, &CancelToken::new())?;
    // The test and the WDQ are computed from the exact counts; what is
    // printed has small counts suppressed (and figures that would give one
    // back left out).
    let shown = evaluation::protect(&e, m);
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = shown.to_json(&req.name, &e);
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    for note in shown.notes(&e) {
        eprintln!("note: {note}");
    }
    let t = |s: Shown| s.text(m);
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
        "area",
        t(shown.area[0]),
        t(shown.area[1])
    )?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7}",
        format!("ring {} m", e.buffer_m),
        t(shown.buffer[0]),
        t(shown.buffer[1])
    )?;
    if let Some(c) = shown.control {
        writeln!(out, "{:<10} {:>7} {:>7}", "control", t(c[0]), t(c[1]))?;
    }
    match (&e.wdq, &shown.wdq_withheld) {
        (Ok(_), Some(_)) => writeln!(
            out,
            "WDQ not shown: för få (a count under {m} would follow from it)"
        )?,
        (Ok(w), None) => writeln!(out, "WDQ {w:.3}")?,
        (Err(why), _) => writeln!(out, "WDQ not computed: {why}")?,
    }
    match &shown.test_withheld {
        Some(_) => writeln!(
            out,
            "p not shown: för få (an area count under {m} would follow from it)"
        )?,
        None => writeln!(out, "p = {:.4} ({})", e.test.p_value, evaluate::TEST_METHOD)?,
    }
    writeln!(
        out,
        "{:<8} {:>6} {:>6} {:>8}",
        "month", "area", "ring", "control"
    )?;
    for (mo, s) in e.months.iter().zip(&shown.months) {
        writeln!(
            out,
            "{:<8} {:>6} {:>6} {:>8}{}",
            mo.month,
            t(s.area),
            t(s.buffer),
            s.control.map_or("–".to_owned(), t),
            if mo.after { "  (after)" } else { "" }
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", shown.summary(&req.name, &e))?;
    if shown.any_suppressed() {
        writeln!(out, "\n{}", privacy::legend(m))?;
    }
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
