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
use lagesbild::analysis::time_patterns::{
    PeriodKind, TimePatterns, evening_hours, night_hours, time_patterns,
};
use lagesbild::export::change::change_layer;
use lagesbild::export::privacy::{self, CountTable, Shown};
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
    let min_count = args.min_count;
    if let Some(warning) = privacy::check_min_count(min_count).map_err(anyhow::Error::msg)? {
        eprintln!("{warning}");
    }
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
    let (loaded, project) = open_and_load(&input, &filter, &progress, &mut timings)?;
    drop(project);
    progress.finish();
    let t = time_patterns(&loaded, by);
    timings.lap("time patterns");
    print_outside(t.outside_area as usize);
    let shown = protect_patterns(&t, min_count);
    let mut out = std::io::stdout().lock();
    if json_out {
        let mut value = serde_json::to_value(&t)?;
        let suppressed = shown.blank(&mut value);
        if let Value::Object(map) = &mut value {
            map.insert("min_count".into(), json!(min_count));
            map.insert("suppressed".into(), json!(suppressed));
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
    write_tables(
        &mut out,
        &t,
        &shown,
        min_count,
        &filter.describe(),
        loaded.synthetic,
    )?;
    Ok(Outcome::Success)
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn write_tables(
    out: &mut impl std::io::Write,
    t: &TimePatterns,
    shown: &ShownPatterns,
    m: u32,
    filter: &str,
    synthetic: bool,
) -> anyhow::Result<()> {
    let range = t
        .range
        .map_or_else(|| "no dates".to_owned(), |[a, b]| format!("{a} – {b}"));
    writeln!(
        out,
        "Time patterns of {} incidents ({filter}), {range}, local time (Europe/Stockholm){}",
        shown.incidents.text(m),
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
            write!(out, " {:>6}", shown.hour_weekday[d][h].text(m))?;
        }
        writeln!(out, " {:>7}", shown.by_hour[h].text(m))?;
    }
    write!(out, "  all ")?;
    for n in shown.by_weekday {
        write!(out, " {:>6}", n.text(m))?;
    }
    writeln!(out, " {:>7}", shown.incidents.text(m))?;
    writeln!(out)?;

    let e = &t.evening_night;
    let [en, ev, ni] = shown.evening_night;
    let with_share = |s: Shown, share: f64| match s.share(share) {
        Some(share) => format!("{} ({})", s.text(m), pct(share)),
        None => s.text(m),
    };
    writeln!(
        out,
        "Evenings and nights ({}): {}; evening 18-22: {}, night 22-6: {}",
        e.hours,
        with_share(en, e.share),
        with_share(ev, e.evening_share),
        with_share(ni, e.night_share),
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
    for (i, p) in t.series.iter().enumerate() {
        let earlier_shown = shown.year_earlier[i].map(|s| s.text(m));
        let earlier = match (earlier_shown, p.year_earlier_days) {
            (Some(n), Some(d)) if d < (p.end - p.start).num_days() as u32 + 1 => {
                format!("{n} ({d} d)")
            }
            (Some(n), _) => n,
            _ => "–".to_owned(),
        };
        let trend = p
            .trend
            .map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
        writeln!(
            out,
            "  {:<9} {:>5} {:>7} {:>12} {:>7}",
            p.label,
            p.days,
            shown.series[i].text(m),
            earlier,
            trend
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
    for mo in MONTHS {
        write!(out, " {mo:>5}")?;
    }
    writeln!(out, " {:>6}  peak", "all")?;
    for (k, (c, cat)) in t.arshjul.categories.iter().zip(Category::ALL).enumerate() {
        if c.count == 0 {
            continue;
        }
        write!(out, "  {:<18}", cat.label_en())?;
        for n in shown.months[k] {
            write!(out, " {:>5}", n.text(m))?;
        }
        let peak = c
            .peak_month
            .map(|p| usize::from(p).saturating_sub(1).min(11))
            .filter(|&p| {
                !shown.by_category[k].is_suppressed() && !shown.months[k][p].is_suppressed()
            })
            .map_or("–", |p| MONTHS[p]);
        writeln!(out, " {:>6}  {peak}", shown.by_category[k].text(m))?;
    }
    write!(out, "  {:<18}", "all")?;
    for n in shown.month_total {
        write!(out, " {:>5}", n.text(m))?;
    }
    writeln!(out, " {:>6}", shown.incidents.text(m))?;
    write!(out, "  {:<18}", "days covered")?;
    for d in t.arshjul.month_days {
        write!(out, " {d:>5}")?;
    }
    writeln!(out)?;
    writeln!(out)?;

    writeln!(out, "By category")?;
    for ((k, cat), s) in t
        .by_category
        .iter()
        .zip(Category::ALL)
        .zip(&shown.by_category)
    {
        writeln!(
            out,
            "  {:<18} {:>8} {:>8}",
            cat.label_en(),
            s.text(m),
            s.share(k.share).map_or_else(String::new, pct)
        )?;
    }
    writeln!(out, "By source")?;
    for ((k, src), s) in t.by_source.iter().zip(Source::ALL).zip(&shown.by_source) {
        writeln!(
            out,
            "  {:<18} {:>8} {:>8}",
            src.label_en(),
            s.text(m),
            s.share(k.share).map_or_else(String::new, pct)
        )?;
    }
    if shown.any_suppressed() {
        writeln!(out)?;
        writeln!(out, "{}", privacy::legend(m))?;
    }
    Ok(())
}

/// The counts of [`TimePatterns`] as shown with small counts suppressed,
/// all protected together: the hour × weekday table with its margins, the
/// evening/night counts (parts of the hours), the series, the årshjul
/// (category × month with margins; its category totals are the
/// by-category counts) and the by-source counts, all summing to the total.
struct ShownPatterns {
    incidents: Shown,
    hour_weekday: [[Shown; 24]; 7],
    by_hour: [Shown; 24],
    by_weekday: [Shown; 7],
    /// count, evening, night.
    evening_night: [Shown; 3],
    series: Vec<Shown>,
    /// A year earlier: the shown count of that series period.
    year_earlier: Vec<Option<Shown>>,
    month_total: [Shown; 12],
    months: Vec<[Shown; 12]>,
    by_category: Vec<Shown>,
    by_source: Vec<Shown>,
}

fn protect_patterns(t: &TimePatterns, min_count: u32) -> ShownPatterns {
    let mut tab = CountTable::new();
    let total = tab.public_cell(t.incidents);
    let sums_to = |tab: &mut CountTable, parts: &[usize], whole: usize, counts: &[u64], n: u64| {
        // Only relations that hold go in (a false one would mislead the check).
        if counts.iter().sum::<u64>() == n {
            tab.sums_to(parts, whole);
        }
    };
    let hw: Vec<Vec<usize>> = t
        .hour_weekday
        .iter()
        .map(|d| tab.cells(d.iter().copied()))
        .collect();
    let hours = tab.cells(t.by_hour);
    let days = tab.cells(t.by_weekday);
    for h in 0..24 {
        let parts: Vec<usize> = (0..7).map(|d| hw[d][h]).collect();
        let counts: Vec<u64> = (0..7).map(|d| t.hour_weekday[d][h]).collect();
        sums_to(&mut tab, &parts, hours[h], &counts, t.by_hour[h]);
    }
    for d in 0..7 {
        sums_to(
            &mut tab,
            &hw[d],
            days[d],
            &t.hour_weekday[d],
            t.by_weekday[d],
        );
    }
    sums_to(&mut tab, &hours, total, &t.by_hour, t.incidents);
    sums_to(&mut tab, &days, total, &t.by_weekday, t.incidents);

    let e = &t.evening_night;
    let [en, ev, ni] = [e.count, e.evening, e.night].map(|n| tab.cell(n));
    let rest = tab.cell(t.incidents.saturating_sub(e.count));
    let hour_part = |tab: &mut CountTable, keep: &dyn Fn(u8) -> bool, whole: usize, n: u64| {
        let hs: Vec<usize> = (0..24u8).filter(|h| keep(*h)).map(usize::from).collect();
        let counts: Vec<u64> = hs.iter().map(|&h| t.by_hour[h]).collect();
        if counts.iter().sum::<u64>() == n {
            let parts: Vec<usize> = hs.iter().map(|&h| hours[h]).collect();
            tab.sums_to(&parts, whole);
        }
    };
    let evening = evening_hours();
    let night = night_hours();
    hour_part(&mut tab, &|h| evening.contains(h), ev, e.evening);
    hour_part(&mut tab, &|h| night.contains(h), ni, e.night);
    hour_part(
        &mut tab,
        &|h| !evening.contains(h) && !night.contains(h),
        rest,
        t.incidents.saturating_sub(e.count),
    );
    sums_to(&mut tab, &[ev, ni], en, &[e.evening, e.night], e.count);
    sums_to(
        &mut tab,
        &[en, rest],
        total,
        &[e.count, t.incidents.saturating_sub(e.count)],
        t.incidents,
    );

    let series_counts: Vec<u64> = t.series.iter().map(|p| p.count).collect();
    let series = tab.cells(series_counts.iter().copied());
    sums_to(&mut tab, &series, total, &series_counts, t.incidents);

    let a = &t.arshjul;
    let month_total = tab.cells(a.total);
    let months: Vec<Vec<usize>> = a.categories.iter().map(|c| tab.cells(c.months)).collect();
    // The årshjul's category totals are the by-category counts: one cell each.
    let cats: Vec<usize> = a
        .categories
        .iter()
        .zip(&t.by_category)
        .map(|(c, k)| {
            if c.count == k.count {
                tab.cell(c.count)
            } else {
                tab.cell(k.count)
            }
        })
        .collect();
    for (k, c) in a.categories.iter().enumerate() {
        sums_to(&mut tab, &months[k], cats[k], &c.months, c.count);
    }
    for mo in 0..12 {
        let parts: Vec<usize> = months.iter().map(|m| m[mo]).collect();
        let counts: Vec<u64> = a.categories.iter().map(|c| c.months[mo]).collect();
        sums_to(&mut tab, &parts, month_total[mo], &counts, a.total[mo]);
    }
    sums_to(&mut tab, &month_total, total, &a.total, t.incidents);
    let cat_counts: Vec<u64> = t.by_category.iter().map(|k| k.count).collect();
    sums_to(&mut tab, &cats, total, &cat_counts, t.incidents);
    let src_counts: Vec<u64> = t.by_source.iter().map(|k| k.count).collect();
    let srcs = tab.cells(src_counts.iter().copied());
    sums_to(&mut tab, &srcs, total, &src_counts, t.incidents);

    let s = tab.protect(min_count);
    let index: std::collections::HashMap<chrono::NaiveDate, usize> = t
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| (p.start, i))
        .collect();
    ShownPatterns {
        incidents: s[total],
        hour_weekday: std::array::from_fn(|d| std::array::from_fn(|h| s[hw[d][h]])),
        by_hour: std::array::from_fn(|h| s[hours[h]]),
        by_weekday: std::array::from_fn(|d| s[days[d]]),
        evening_night: [s[en], s[ev], s[ni]],
        series: series.iter().map(|&i| s[i]).collect(),
        year_earlier: t
            .series
            .iter()
            .map(|p| {
                p.year_earlier.map(|n| {
                    match t.by.year_earlier(p.start).and_then(|d| index.get(&d)) {
                        Some(&j) => s[series[j]],
                        // Not a period of the series: suppressed on its own.
                        None if n > 0 && n < u64::from(min_count) => Shown::Small,
                        None => Shown::Count(n),
                    }
                })
            })
            .collect(),
        month_total: std::array::from_fn(|mo| s[month_total[mo]]),
        months: months
            .iter()
            .map(|m| std::array::from_fn(|mo| s[m[mo]]))
            .collect(),
        by_category: cats.iter().map(|&i| s[i]).collect(),
        by_source: srcs.iter().map(|&i| s[i]).collect(),
    }
}

impl ShownPatterns {
    fn any_suppressed(&self) -> bool {
        let flat = self
            .hour_weekday
            .iter()
            .flatten()
            .chain(&self.by_hour)
            .chain(&self.by_weekday)
            .chain(&self.evening_night)
            .chain(&self.series)
            .chain(&self.month_total)
            .chain(self.months.iter().flatten())
            .chain(&self.by_category)
            .chain(&self.by_source)
            .chain(std::iter::once(&self.incidents));
        flat.copied().any(Shown::is_suppressed)
            || self
                .year_earlier
                .iter()
                .flatten()
                .any(|s| s.is_suppressed())
    }

    /// Writes `null` at each suppressed count of the patterns' JSON (and
    /// at the shares and peak months that would give one back); returns
    /// the JSON pointers (RFC 6901) written, for its `"suppressed"` list.
    fn blank(&self, v: &mut Value) -> Vec<String> {
        let mut done = Vec::new();
        let mut put = |v: &mut Value, ptr: String, s: Shown, also: &[&str]| {
            if !s.is_suppressed() {
                return;
            }
            if let Some(x) = v.pointer_mut(&ptr) {
                *x = Value::Null;
                done.push(ptr.clone());
            }
            if let Some((parent, _)) = ptr.rsplit_once('/') {
                for key in also {
                    if let Some(x) = v.pointer_mut(&format!("{parent}/{key}")) {
                        *x = Value::Null;
                    }
                }
            }
        };
        put(v, "/incidents".into(), self.incidents, &[]);
        for d in 0..7 {
            for h in 0..24 {
                put(
                    v,
                    format!("/hour_weekday/{d}/{h}"),
                    self.hour_weekday[d][h],
                    &[],
                );
            }
            put(v, format!("/by_weekday/{d}"), self.by_weekday[d], &[]);
        }
        for h in 0..24 {
            put(v, format!("/by_hour/{h}"), self.by_hour[h], &[]);
        }
        let [en, ev, ni] = self.evening_night;
        put(v, "/evening_night/count".into(), en, &["share"]);
        put(v, "/evening_night/evening".into(), ev, &["evening_share"]);
        put(v, "/evening_night/night".into(), ni, &["night_share"]);
        for (i, s) in self.series.iter().enumerate() {
            put(v, format!("/series/{i}/count"), *s, &[]);
        }
        for (i, s) in self.year_earlier.iter().enumerate() {
            if let Some(s) = s {
                put(v, format!("/series/{i}/year_earlier"), *s, &[]);
            }
        }
        for mo in 0..12 {
            put(v, format!("/arshjul/total/{mo}"), self.month_total[mo], &[]);
        }
        for (k, m) in self.months.iter().enumerate() {
            for (mo, s) in m.iter().enumerate() {
                put(v, format!("/arshjul/categories/{k}/months/{mo}"), *s, &[]);
            }
            if self.peak_hidden(k, v)
                && let Some(x) = v.pointer_mut(&format!("/arshjul/categories/{k}/peak_month"))
            {
                *x = Value::Null;
            }
        }
        for (k, s) in self.by_category.iter().enumerate() {
            put(v, format!("/arshjul/categories/{k}/count"), *s, &[]);
            put(v, format!("/by_category/{k}/count"), *s, &["share"]);
        }
        for (k, s) in self.by_source.iter().enumerate() {
            put(v, format!("/by_source/{k}/count"), *s, &["share"]);
        }
        done
    }

    /// A category's peak month is left out when its count, or the peak
    /// month's count, is suppressed (it would say when a lone incident was).
    fn peak_hidden(&self, k: usize, v: &Value) -> bool {
        let peak = v
            .pointer(&format!("/arshjul/categories/{k}/peak_month"))
            .and_then(Value::as_u64);
        self.by_category[k].is_suppressed()
            || peak.is_some_and(|p| {
                self.months[k][(p as usize).saturating_sub(1).min(11)].is_suppressed()
            })
    }
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
    let (loaded, mut project) = open_and_load(input, &filter, &progress, &mut timings)?;
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
    super::export::record_in(project.as_mut(), "change", &input.out, &fields)?;
    progress.finish();
    timings.lap("write output");

    let counts = m.class_counts();
    let protected = lagesbild::export::change::protect(&m);
    let mut out = std::io::stdout().lock();
    if args.json {
        let cells: Vec<Value> = m
            .cells
            .iter()
            .zip(&protected.cells)
            .filter(|(c, _)| c.p.is_some())
            .map(|(c, s)| {
                let (lo, hi) = m.cell_bounds(c.ix, c.iy);
                let shown = lagesbild::export::change::shown_values(c, *s);
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
            "before": {"from": before.from, "to": before.to, "days": m.before_days, "incidents": protected.before_total.json()},
            "after": {"from": after.from, "to": after.to, "days": m.after_days, "incidents": protected.after_total.json()},
            "privacy_min_count": privacy::DEFAULT_MIN_COUNT,
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
        m.before_days,
        protected.before_total.text(privacy::DEFAULT_MIN_COUNT),
        m.after_days,
        protected.after_total.text(privacy::DEFAULT_MIN_COUNT)
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
