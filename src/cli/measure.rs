//! `lagesbild measure add PROJECT --name NAME --area FILE --start DATE
//! [--end DATE] [--responsible WHO] [--note TEXT] [--place TEXT] [filters]`,
//! `lagesbild measure list PROJECT [--json]`, `lagesbild measure remove PROJECT NAME`.
//!
//! Measures are the feature table `measures` of the project (see
//! [`lagesbild::model::measure`]); this module reads the area file, calls the
//! store and prints.

use std::io::Write as _;

use anyhow::Context as _;
use lagesbild::analysis::inputs;
use lagesbild::model::Filter;
use lagesbild::model::measure::Measure;
use serde_json::json;

use super::Outcome;
use super::args::FilterArgs;
use super::follow_args::{MeasureAddArgs, MeasureArgs, MeasureCommand};

pub fn run(args: &MeasureArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        MeasureCommand::Add(add) => run_add(add),
        MeasureCommand::List { project, json } => {
            let store = super::open_existing(project)?;
            let measures = store.measures()?;
            let mut out = std::io::stdout().lock();
            if *json {
                let list: Vec<_> = measures.iter().map(measure_json).collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else if measures.is_empty() {
                writeln!(out, "no measures")?;
            } else {
                for m in &measures {
                    writeln!(
                        out,
                        "{:?}\t{} – {}\t{}\t{}",
                        m.name,
                        m.start,
                        m.end.map_or("pågår".to_owned(), |d| d.to_string()),
                        m.problem.describe(),
                        m.responsible
                    )?;
                }
            }
            Ok(Outcome::Success)
        }
        MeasureCommand::Remove { project, name } => {
            let mut store = super::open_existing(project)?;
            if store.remove_measure(name)? {
                println!("removed measure {name:?}");
                Ok(Outcome::Success)
            } else {
                eprintln!("{}: no measure named {name:?}", project.display());
                Ok(Outcome::Failed)
            }
        }
    }
}

/// The problem filter of the flags; dates are refused (a measure's periods
/// come from its own dates).
pub fn problem_from_args(args: &FilterArgs) -> anyhow::Result<Filter> {
    if args.from.is_some() || args.to.is_some() {
        anyhow::bail!(
            "--from/--to do not apply here: the periods come from the measure's --start/--end"
        );
    }
    super::filter_from_args(args)
}

fn run_add(args: &MeasureAddArgs) -> anyhow::Result<Outcome> {
    let problem = problem_from_args(&args.filter)?;
    let area = inputs::read_polygons(&args.area)?;
    let measure = Measure {
        fid: None,
        name: args.name.trim().to_owned(),
        problem,
        place: args.place.clone(),
        area,
        start: Filter::parse_date(&args.start).context("--start")?,
        end: args
            .end
            .as_deref()
            .map(Filter::parse_date)
            .transpose()
            .context("--end")?,
        responsible: args.responsible.clone(),
        note: args.note.clone(),
    };
    let mut store = super::open_existing(&args.project)?;
    store.add_measure(&measure)?;
    println!(
        "added measure {:?}: {} – {}; problem: {}",
        measure.name,
        measure.start,
        measure.end.map_or("ongoing".to_owned(), |d| d.to_string()),
        measure.problem.describe()
    );
    Ok(Outcome::Success)
}

/// A measure as `measure list --json` prints it (the area as a GeoJSON geometry).
pub fn measure_json(m: &Measure) -> serde_json::Value {
    let area = geojson::Geometry::new(geojson::GeometryValue::from(&m.area));
    json!({
        "name": m.name,
        "place": m.place,
        "start": m.start,
        "end": m.end,
        "responsible": m.responsible,
        "note": m.note,
        "problem": m.problem,
        "problem_text": m.problem.describe(),
        "area": area,
    })
}
