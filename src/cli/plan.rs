//! `lagesbild plan import PROJECT FILE.geojson|FILE.gpkg`,
//! `lagesbild plan list PROJECT [--json]`,
//! `lagesbild plan export PROJECT --out plan.geojson|plan.gpkg` and
//! `lagesbild coverage PROJECT [filters] [--buffer M] [--pace KMH] [--reach] [--json]`.
//!
//! `plan import` merges: an area or route with the same name as a stored
//! one of its kind replaces it, an identical one is skipped, and the
//! command says which.
//!
//! The plan lives in the project (see [`lagesbild::model::plan`] and
//! [`lagesbild::store::gpkg::plan`]); files are read by
//! [`lagesbild::import::plan_file`] and written by [`lagesbild::export::plan`];
//! coverage is [`lagesbild::analysis::coverage`] over the incidents the
//! engine loads, as the app measures it.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use lagesbild::analysis::coverage::{CoverageParams, PlanCoverage, coverage_of};
use lagesbild::analysis::engine::{self, AreaChoice, HotspotRequest, PlacesRequest, Selection};
use lagesbild::import::plan_file::read_plan_file;
use lagesbild::jobs::CancelToken;
use lagesbild::store;

use super::args::{CoverageArgs, PlanArgs, PlanCommand};
use super::{Outcome, filter_from_args};

fn open(project: &Path) -> anyhow::Result<store::BoxedStore> {
    let location = store::Location::from(project);
    if let store::Location::File(file) = &location
        && !file.exists()
    {
        anyhow::bail!("{}: no such project file", file.display());
    }
    Ok(store::open(location)?)
}

/// The project as messages name it: a database URL without its password.
fn shown(project: &Path) -> String {
    store::Location::from(project).display()
}

/// `plan list`: one line per area and route (or JSON), ids as stored.
fn list(plan: &lagesbild::model::plan::PatrolPlan, json: bool) -> anyhow::Result<()> {
    use lagesbild::model::plan::PlanAttributes;
    let when = |a: &PlanAttributes| {
        format!(
            "{} {}",
            a.weekdays_text(),
            a.hours_text().unwrap_or_else(|| "0-24".to_owned())
        )
    };
    // Metres in SWEREF 99 TM, as coverage measures a route.
    let length_m = |line: &geo::LineString<f64>| -> f64 {
        use geo::Length as _;
        geo::Euclidean.length(&lagesbild::crs::sweref_from_wgs84_geometry(line))
    };
    let mut out = std::io::stdout().lock();
    if json {
        let items: Vec<serde_json::Value> = plan
            .areas
            .iter()
            .map(|a| {
                serde_json::json!({
                    "kind": "area", "id": a.id, "name": a.attributes.name,
                    "team": a.attributes.team, "weekdays": a.attributes.weekdays_text(),
                    "hours": a.attributes.hours_text(), "color": a.attributes.color_hex(),
                    "polygons": a.polygons.0.len(),
                })
            })
            .chain(plan.routes.iter().map(|r| {
                serde_json::json!({
                    "kind": "route", "id": r.id, "name": r.attributes.name,
                    "team": r.attributes.team, "weekdays": r.attributes.weekdays_text(),
                    "hours": r.attributes.hours_text(), "color": r.attributes.color_hex(),
                    "length_m": length_m(&r.line).round(),
                    "stops": r.stops.iter().map(|s| serde_json::json!({
                        "name": s.name, "dwell_min": s.dwell_min,
                    })).collect::<Vec<_>>(),
                })
            }))
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?;
        return Ok(());
    }
    if plan.is_empty() {
        writeln!(out, "the project has no patrol plan")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<6} {:>5} {:<24} {:<12} {:<20} {:>9} {:>5}",
        "kind", "id", "name", "team", "when", "length_m", "stops"
    )?;
    let id = |id: Option<i64>| id.map_or_else(String::new, |i| i.to_string());
    for a in &plan.areas {
        let at = &a.attributes;
        writeln!(
            out,
            "{:<6} {:>5} {:<24} {:<12} {:<20} {:>9} {:>5}",
            "area",
            id(a.id),
            at.name,
            at.team,
            when(at),
            "",
            ""
        )?;
    }
    for r in &plan.routes {
        let at = &r.attributes;
        writeln!(
            out,
            "{:<6} {:>5} {:<24} {:<12} {:<20} {:>9.0} {:>5}",
            "route",
            id(r.id),
            at.name,
            at.team,
            when(at),
            length_m(&r.line),
            r.stops.len()
        )?;
    }
    Ok(())
}

pub fn run(args: &PlanArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        PlanCommand::Import { project, file } => {
            let plan = read_plan_file(file)?;
            let mut store = open(project)?;
            let merge = store.merge_patrol_plan(&plan)?;
            println!(
                "imported {} area(s), {} route(s) and {} stop(s) from {}: {} added, {} replaced (same kind and name), {} unchanged (identical, skipped)",
                plan.areas.len(),
                plan.routes.len(),
                plan.stop_count(),
                file.display(),
                merge.added.len(),
                merge.replaced.len(),
                merge.unchanged.len()
            );
            for (what, items) in [
                ("added", &merge.added),
                ("replaced", &merge.replaced),
                ("unchanged", &merge.unchanged),
            ] {
                for (item, name) in items {
                    let kind = match item {
                        lagesbild::model::plan::PlanRef::Area(_) => "area",
                        lagesbild::model::plan::PlanRef::Route(_) => "route",
                    };
                    println!("  {what}: {kind} {name:?}");
                }
            }
            Ok(Outcome::Success)
        }
        PlanCommand::List { project, json } => {
            let plan = open(project)?.patrol_plan()?;
            list(&plan, *json)?;
            Ok(Outcome::Success)
        }
        PlanCommand::Export { project, out } => {
            let store = open(project)?;
            let plan = store.patrol_plan()?;
            if plan.is_empty() {
                eprintln!(
                    "lagesbild: {}: the project has no patrol plan; nothing written",
                    shown(project)
                );
                return Ok(Outcome::Failed);
            }
            lagesbild::export::plan::write_plan_file(&plan, out)?;
            drop(store);
            super::export::record(project, "plan export", out, &["plan".to_owned()])?;
            println!(
                "wrote {} area(s), {} route(s) and {} stop(s) to {}",
                plan.areas.len(),
                plan.routes.len(),
                plan.stop_count(),
                out.display()
            );
            Ok(Outcome::Success)
        }
    }
}

pub fn run_coverage(args: &CoverageArgs) -> anyhow::Result<Outcome> {
    let filter = filter_from_args(&args.filter)?;
    if let Some(warning) =
        lagesbild::export::privacy::check_min_count(args.min_count).map_err(anyhow::Error::msg)?
    {
        eprintln!("{warning}");
    }
    let store = open(&args.project)?;
    let plan = store.patrol_plan()?;
    if plan.is_empty() {
        eprintln!(
            "lagesbild: {}: the project has no patrol plan (draw one in the app or use \
             `lagesbild plan import`)",
            shown(&args.project)
        );
        return Ok(Outcome::Failed);
    }
    let cancel = CancelToken::default();
    let selection = Selection {
        filter: filter.clone(),
        include_coarse: args.include_coarse,
        area: AreaChoice::Stored,
    };
    let loaded = engine::load(store.as_ref(), &selection, &shown(&args.project), &cancel)?;
    drop(store);
    let mut params = CoverageParams {
        buffer_m: args.buffer,
        pace_kmh: args.pace,
        ..CoverageParams::default()
    };
    if args.reach {
        let hot = loaded
            .hotspots(
                &HotspotRequest {
                    cell_m: 100.0,
                    band_m: 300.0,
                    fdr: true,
                },
                &cancel,
            )
            .context("hotspots for --reach")?;
        params.hot_cells = Some(hot.hot_centres());
        let places = loaded
            .places(
                &PlacesRequest {
                    k: 6,
                    radius_m: 300.0,
                    cell_m: 100.0,
                    hours: None,
                    candidates: None,
                    fixed: Vec::new(),
                    network: None,
                },
                &cancel,
            )
            .context("strategic places for --reach")?;
        params.places = Some(places.places.places.iter().map(|p| p.xy).collect());
    }
    let c = coverage_of(&loaded, &plan, &params, &cancel)?;
    let shown_counts = lagesbild::export::coverage::protect(&c, args.min_count);
    let mut out = std::io::stdout().lock();
    if args.json {
        let (coverage, suppressed) = shown_counts.to_json(&c);
        let value = serde_json::json!({
            "project": loaded.name,
            "synthetic": loaded.synthetic,
            "filter": filter.describe(),
            "coverage": coverage,
            "min_count": args.min_count,
            "suppressed": suppressed,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    print_table(&mut out, &c, &shown_counts, &filter.describe())?;
    Ok(Outcome::Success)
}

fn print_table(
    out: &mut impl std::io::Write,
    c: &PlanCoverage,
    s: &lagesbild::export::coverage::ShownCoverage,
    filter: &str,
) -> std::io::Result<()> {
    let m = s.min_count;
    // A share of a suppressed count would give it back: "–".
    let share = |n: lagesbild::export::privacy::Shown, share: f64| {
        n.share(share)
            .map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
    };
    writeln!(
        out,
        "coverage of {} incident(s) ({filter}); route buffer {} m, pace {} km/h",
        s.incidents.text(m),
        c.buffer_m,
        c.pace_kmh
    )?;
    let reach = c.items.iter().any(|i| i.hot_cells.is_some());
    writeln!(
        out,
        "{:<6} {:<24} {:<12} {:<16} {:>9} {:>7} {:>9} {:>8} {:>6}{}",
        "kind",
        "name",
        "team",
        "when",
        "incidents",
        "share",
        "length_m",
        "walk_min",
        "fits",
        if reach { "  hot_cells places" } else { "" }
    )?;
    for (i, n) in c.items.iter().zip(&s.items) {
        let when = format!(
            "{} {}",
            i.weekdays,
            i.hours.clone().unwrap_or_else(|| "0-24".to_owned())
        );
        let kind = match i.kind {
            lagesbild::analysis::coverage::ItemKind::Area => "area",
            lagesbild::analysis::coverage::ItemKind::Route => "route",
        };
        write!(
            out,
            "{kind:<6} {:<24} {:<12} {:<16} {:>9} {:>7} {:>9.0} {:>8.1} {:>6}",
            i.name,
            i.team,
            when,
            n.text(m),
            share(*n, i.share),
            i.length_m,
            i.walk_min,
            if i.fits_shift { "yes" } else { "no" }
        )?;
        if let (Some(h), Some(p)) = (i.hot_cells, i.places) {
            write!(out, "  {h:>9} {p:>6}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{:<6} {:<24} {:<12} {:<16} {:>9} {:>7} {:>9.0} {:>8.1}",
        "plan",
        "(each incident once)",
        "",
        "",
        s.total.text(m),
        share(s.total, c.total.share),
        c.total.length_m,
        c.total.walk_min
    )?;
    if s.any_suppressed() {
        writeln!(out, "\n{}", lagesbild::export::privacy::legend(m))?;
    }
    Ok(())
}
