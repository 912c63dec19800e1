//! `lagesbild patterns PROJECT.gpkg [filters] [--area FILE] [--by week|month] [--json]`
//! and `lagesbild change PROJECT.gpkg --before FROM..TO --after FROM..TO … --out FILE`.
//!
//! Both load through the analysis engine as the other analysis commands do
//! (study area from `--area`, kept in the project, or the one kept there;
//! coarse incidents left out unless `--include-coarse`) and compute with
//! [`lagesbild::analysis::time_patterns`] and [`lagesbild::analysis::change`].
//! Tables go to stdout, notes to stderr; with `--json` stdout holds only the
//! JSON (keys documented in the README, section "Tidsmönster").

use std::io::Write as _;
use std::path::PathBuf;

use lagesbild::analysis::change::{ChangeClass, ChangeParams, Period, change_map};
use lagesbild::analysis::time_patterns::{PeriodKind, TimePatterns, time_patterns};
use lagesbild::export::change::change_layer;
use lagesbild::export::{OutputKind, geojson::round_coord};
use lagesbild::jobs::{CancelToken, Progress as _};
use lagesbild::model::Category;
use lagesbild::model::Source;
use serde_json::{Value, json};

use super::Outcome;
use super::analysis::{
    Timings, analysis_failed, kind_name, layer_name, open_and_load, output_kind, positive_m,
    print_outside, write_layer,
};
use super::args::{AnalysisInput, ChangeArgs, PatternsArgs, PeriodArg};
use super::filter_from_args;
use super::progress::TerminalProgress;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `lagesbild patterns`.
pub fn run_patterns(args: PatternsArgs) -> anyhow::Result<Outcome> {
    let filter = filter_from_args(&args.filter)?;
    let by = match args.by {
        PeriodArg::Week => PeriodKind::Week,
        PeriodArg::Month => PeriodKind::Month,
    };
    let json_out = args.json;
    // The shared loader reads an analysis command's input; patterns writes
    // no file, so its output path stays empty.
    let input = AnalysisInput {
        project: args.project,
        filter: args.filter,
        include_coarse: args.include_coarse,
        out: PathBuf::new(),
        layer: None,
        area: args.area,
        no_area: args.no_area,
    };
    let progress = TerminalProgress::new();
    let mut timings = Timings::new();
    let loaded = open_and_load(&input, &filter, &progress, &mut timings)?;
    progress.finish();
    let t = time_patterns(&loaded, by);
    timings.lap("time patterns");
    print_outside(t.outside_area as usize);
    let mut out = std::io::stdout().lock();
    if json_out {
        let mut value = serde_json::to_value(&t)?;
        if let Value::Object(map) = &mut value {
            let mut head = serde_json::Map::new();
            head.insert("project".into(), json!(input.project));
            head.insert("name".into(), json!(loaded.name));
            head.insert("synthetic".into(), json!(loaded.synthetic));
            head.insert("filter".into(), json!(filter.describe()));
            head.insert(
                "coarse_excluded".into(),
                json!(loaded.counts().coarse_excluded),
            );
            head.insert("study_area".into(), loaded.area_json());
            head.append(map);
            value = Value::Object(head);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    write_tables(&mut out, &t, &filter.describe(), loaded.synthetic)?;
    Ok(Outcome::Success)
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn write_tables(
    out: &mut impl std::io::Write,
    t: &TimePatterns,
    filter: &str,
    synthetic: bool,
) -> anyhow::Result<()> {
    let range = t
        .range
        .map_or_else(|| "no dates".to_owned(), |[a, b]| format!("{a} – {b}"));
    writeln!(
        out,
        "Time patterns of {} incidents ({filter}), {range}, local time (Europe/Stockholm){}",
        t.incidents,
        if synthetic {
            " [synthetic demo data]"
        } else {
            ""
        }
    )?;
    writeln!(out)?;
    writeln!(out, "Hour × weekday")?;
    write!(out, "  hour")?;
    for d in WEEKDAYS {
        write!(out, " {d:>6}")?;
    }
    writeln!(out, " {:>7}", "all")?;
    for h in 0..24 {
        write!(out, "  {h:02}  ")?;
        for d in 0..7 {
            write!(out, " {:>6}", t.hour_weekday[d][h])?;
        }
        writeln!(out, " {:>7}", t.by_hour[h])?;
    }
    write!(out, "  all ")?;
    for n in t.by_weekday {
        write!(out, " {n:>6}")?;
    }
    writeln!(out, " {:>7}", t.incidents)?;
    writeln!(out)?;

    let e = &t.evening_night;
    writeln!(
        out,
        "Evenings and nights ({}): {} ({}); evening 18-22: {} ({}), night 22-6: {} ({})",
        e.hours,
        e.count,
        pct(e.share),
        e.evening,
        pct(e.evening_share),
        e.night,
        pct(e.night_share)
    )?;
    writeln!(out)?;

    writeln!(
        out,
        "Per {}, with the same {} a year earlier",
        t.by.key(),
        t.by.key()
    )?;
    writeln!(
        out,
        "  {:<9} {:>5} {:>7} {:>12} {:>7}",
        "period", "days", "count", "year before", "trend"
    )?;
    for p in &t.series {
        let earlier = match (p.year_earlier, p.year_earlier_days) {
            (Some(n), Some(d)) if d < (p.end - p.start).num_days() as u32 + 1 => {
                format!("{n} ({d} d)")
            }
            (Some(n), _) => n.to_string(),
            _ => "–".to_owned(),
        };
        let trend = p
            .trend
            .map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
        writeln!(
            out,
            "  {:<9} {:>5} {:>7} {:>12} {:>7}",
            p.label, p.days, p.count, earlier, trend
        )?;
    }
    match &t.trend {
        Some(tr) => writeln!(
            out,
            "Trend (Poisson log-linear, {} periods): {:+.1} % per year (95 % interval {:+.1} to {:+.1} %){}",
            tr.periods,
            tr.change_per_year_pct,
            tr.ci95_pct[0],
            tr.ci95_pct[1],
            if tr.clear { "" } else { "; no clear trend" }
        )?,
        None => writeln!(out, "Trend: too few periods or incidents to fit one")?,
    }
    writeln!(out)?;

    writeln!(out, "Årshjul (incidents per calendar month)")?;
    write!(out, "  {:<18}", "category")?;
    for m in MONTHS {
        write!(out, " {m:>5}")?;
    }
    writeln!(out, " {:>6}  peak", "all")?;
    for (c, cat) in t.arshjul.categories.iter().zip(Category::ALL) {
        if c.count == 0 {
            continue;
        }
        write!(out, "  {:<18}", cat.label_en())?;
        for n in c.months {
            write!(out, " {n:>5}")?;
        }
        let peak = c
            .peak_month
            .map_or("–", |m| MONTHS[usize::from(m).saturating_sub(1).min(11)]);
        writeln!(out, " {:>6}  {peak}", c.count)?;
    }
    write!(out, "  {:<18}", "days covered")?;
    for d in t.arshjul.month_days {
        write!(out, " {d:>5}")?;
    }
    writeln!(out)?;
    writeln!(out)?;

    writeln!(out, "By category")?;
    for (k, cat) in t.by_category.iter().zip(Category::ALL) {
        writeln!(
            out,
            "  {:<18} {:>8} {:>8}",
            cat.label_en(),
            k.count,
            pct(k.share)
        )?;
    }
    writeln!(out, "By source")?;
    for (k, src) in t.by_source.iter().zip(Source::ALL) {
        writeln!(
            out,
            "  {:<18} {:>8} {:>8}",
            src.label_en(),
            k.count,
            pct(k.share)
        )?;
    }
    Ok(())
}

/// `lagesbild change`.
pub fn run_change(args: &ChangeArgs) -> anyhow::Result<Outcome> {
    let input = &args.input;
    let kind = output_kind(
        &input.out,
        "change",
        &[OutputKind::GeoJson, OutputKind::GeoPackage],
    )?;
    let layer_name = layer_name(input, "change")?;
    let cell_m = positive_m("--cell", args.cell)?;
    let before = Period::parse(&args.before).map_err(|e| anyhow::anyhow!("--before {e}"))?;
    let after = Period::parse(&args.after).map_err(|e| anyhow::anyhow!("--after {e}"))?;
    if before.from <= after.to && after.from <= before.to {
        anyhow::bail!(
            "--before {before} and --after {after} overlap; an incident would count in both"
        );
    }
    if input.filter.from.is_some() || input.filter.to.is_some() {
        anyhow::bail!("--from/--to do not go with change: --before and --after give the dates");
    }
    let mut filter = filter_from_args(&input.filter)?;
    filter.from = Some(before.from.min(after.from));
    filter.to = Some(before.to.max(after.to));
    let progress = TerminalProgress::new();
    let mut timings = Timings::new();
    let loaded = open_and_load(input, &filter, &progress, &mut timings)?;
    let params = ChangeParams {
        cell_m,
        min_count: args.min_count,
        fdr: !args.no_fdr,
        study_area: loaded.area.clone(),
        ..ChangeParams::new(before, after)
    };
    progress.stage("Comparing periods", 0);
    let points: Vec<_> = loaded.used_points().copied().collect();
    let m = match change_map(&points, &params, &CancelToken::new()) {
        Ok(m) => m,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded.counts());
        }
    };
    timings.lap("change map");
    print_outside(m.outside_area);
    let parameters = json!({
        "analysis": "change",
        "test": "exact conditional binomial test of two Poisson counts (two-sided)",
        "before": before.to_string(),
        "after": after.to_string(),
        "before_days": m.before_days,
        "after_days": m.after_days,
        "cell_m": cell_m,
        "min_count": m.min_count,
        "alpha": m.alpha,
        "fdr": m.fdr,
        "p_cutoff": m.p_cutoff,
        "grid": {"x0": m.x0, "y0": m.y0, "nx": m.nx, "ny": m.ny, "crs": "EPSG:3006"},
        "study_area": loaded.area_json(),
        "outside_area": m.outside_area,
    });
    let incidents = (m.before_total + m.after_total) as usize;
    let made_from = loaded.made_from(&filter.describe(), incidents, parameters);
    let mut layer = change_layer(&m, made_from);
    layer.name = layer_name;
    progress.stage("Writing", 0);
    write_layer(&layer, kind, &input.out)?;
    let fields = super::export::layer_fields(&layer);
    super::export::record(&input.project, "change", &input.out, &fields)?;
    progress.finish();
    timings.lap("write output");

    let counts = m.class_counts();
    let mut out = std::io::stdout().lock();
    if args.json {
        let cells: Vec<Value> = m
            .cells
            .iter()
            .filter(|c| c.p.is_some())
            .map(|c| {
                let (lo, hi) = m.cell_bounds(c.ix, c.iy);
                let shown = lagesbild::export::change::shown_values(c);
                json!({
                    "ix": c.ix,
                    "iy": c.iy,
                    "x": round_coord((lo[0] + hi[0]) / 2.0),
                    "y": round_coord((lo[1] + hi[1]) / 2.0),
                    "before": shown[0],
                    "after": shown[1],
                    "ratio": shown[2],
                    "p": shown[3],
                    "class": c.class.key(),
                })
            })
            .collect();
        let value = json!({
            "project": input.project,
            "name": loaded.name,
            "synthetic": loaded.synthetic,
            "filter": filter.describe(),
            "before": {"from": before.from, "to": before.to, "days": m.before_days, "incidents": m.before_total},
            "after": {"from": after.from, "to": after.to, "days": m.after_days, "incidents": m.after_total},
            "cell_m": cell_m,
            "min_count": m.min_count,
            "alpha": m.alpha,
            "fdr": m.fdr,
            "p_cutoff": m.p_cutoff,
            "tested": m.tested,
            "more": counts[0],
            "fewer": counts[1],
            "no_clear_change": counts[2],
            "outside_area": m.outside_area,
            "study_area": loaded.area_json(),
            "cells": cells,
            "out": input.out,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "Change {before} ({} days, {} incidents) → {after} ({} days, {} incidents), {cell_m} m cells:",
        m.before_days, m.before_total, m.after_days, m.after_total
    )?;
    let untested = m.cells.len() - m.tested;
    for (class, n) in ChangeClass::ALL.iter().zip(counts) {
        let n = if *class == ChangeClass::NoClearChange {
            n - untested
        } else {
            n
        };
        writeln!(out, "  {:<28} {n:>8}", class.label_en())?;
    }
    writeln!(
        out,
        "  {:<28} {untested:>8}",
        format!("fewer than {} incidents", m.min_count)
    )?;
    writeln!(
        out,
        "Exact test for two Poisson counts, {}; p cut-off {}",
        if m.fdr {
            "false-discovery rate 0.05"
        } else {
            "α = 0.05 per cell"
        },
        if m.p_cutoff < 0.0 {
            "none (no cell passes)".to_owned()
        } else {
            format!("{:.3e}", m.p_cutoff)
        }
    )?;
    writeln!(
        out,
        "Wrote {} ({}, {} cells)",
        input.out.display(),
        kind_name(kind),
        layer.features.len()
    )?;
    Ok(Outcome::Success)
}
