//! The command-line interface: a thin layer over the library.
//!
//! Exit codes: 0 success; 1 when a command ran but did not do what was asked
//! (e.g. an import where nothing could be imported); 2 for errors (bad
//! arguments, unreadable or unwritable project). Errors print as one line with
//! their whole context chain (`{:#}`).

mod analysis;
mod args;
mod db;
mod db_sync;
mod demo;
mod evaluate;
mod export;
mod follow_args;
mod import;
mod layer;
mod measure;
mod plan;
mod polisen;
mod presence;
mod progress;
#[cfg(feature = "gui")]
mod render;
mod retention;
mod route;
mod stats;
mod time;
mod view;
mod week;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use args::{Cli, Command, FilterArgs};
use lagesbild::model::{Filter, HourRange, Weekdays};

/// What a command achieved.
pub enum Outcome {
    Success,
    /// Ran, but did not do what was asked; the command printed why.
    Failed,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // The log names the command only: its arguments may name people's
    // files, and nothing of the incidents goes there.
    let name = command_name(&cli);
    lagesbild::log::init(if name == "gui" { "app" } else { "cli" });
    ::log::info!("lagesbild {name} started ({})", lagesbild::APP_NAME_VERSION);
    match dispatch(cli) {
        Ok(Outcome::Success) => {
            ::log::info!("lagesbild {name} done");
            ExitCode::SUCCESS
        }
        Ok(Outcome::Failed) => {
            ::log::warn!("lagesbild {name} ran but did not do what was asked (exit 1)");
            ExitCode::from(1)
        }
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            ::log::error!("lagesbild {name} failed (exit 2): {}", error_kind(&err));
            eprintln!("lagesbild: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// The subcommand's name, e.g. `import`, `plan export` (for the log).
fn command_name(cli: &Cli) -> String {
    let Some(command) = &cli.command else {
        return "gui".to_owned();
    };
    // `Import(ImportArgs { … })` → `import`: the variant's name only.
    let debug = format!("{command:?}");
    let variant: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
    variant.to_lowercase()
}

/// What kind of error ended a command, without its text (which names files
/// and may quote a value): the outermost error's type.
fn error_kind(err: &anyhow::Error) -> String {
    let root = err.root_cause();
    if root.downcast_ref::<std::io::Error>().is_some() {
        "an input/output error".to_owned()
    } else if root
        .downcast_ref::<lagesbild::store::StoreError>()
        .is_some()
    {
        "a project (store) error".to_owned()
    } else {
        "see the message on the terminal".to_owned()
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        None => gui(None),
        Some(Command::Gui { project }) => gui(project),
        Some(Command::Import(args)) => import::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Stats(args)) => stats::run(&args),
        Some(Command::Heatmap(args)) => analysis::run_heatmap(&args),
        Some(Command::Hotspots(args)) => analysis::run_hotspots(&args),
        Some(Command::Places(args)) => analysis::run_places(&args),
        Some(Command::Layer(args)) => layer::run(&args),
        Some(Command::Render(args)) => render_command(&args),
        Some(Command::Report(args)) => report_command(&args),
        Some(Command::View(args)) => view::run(&args),
        Some(Command::Patterns(args)) => time::run_patterns(args),
        Some(Command::Change(args)) => time::run_change(&args),
        Some(Command::Measure(args)) => measure::run(&args),
        Some(Command::Evaluate(args)) => evaluate::run(&args),
        Some(Command::Tracks(args)) => presence::run_tracks(&args),
        Some(Command::Dose(args)) => presence::run_dose(&args),
        Some(Command::Reports(args)) => presence::run_reports(&args),
        Some(Command::Polisen(args)) => polisen::run(&args),
        Some(Command::Route(args)) => route::run(&args),
        Some(Command::Week(args)) => week::run(&args),
        Some(Command::Db(args)) => db::run(&args),
        Some(Command::Plan(args)) => plan::run(&args),
        Some(Command::Coverage(args)) => plan::run_coverage(&args),
        Some(Command::Export(args)) => export::run_export(&args),
        Some(Command::Exports(args)) => export::run_exports(&args),
        Some(Command::Retention(args)) => retention::run(&args),
    }
}

#[cfg(feature = "gui")]
fn gui(project: Option<std::path::PathBuf>) -> anyhow::Result<Outcome> {
    lagesbild::gui::run(project)?;
    Ok(Outcome::Success)
}

#[cfg(not(feature = "gui"))]
fn gui(_project: Option<std::path::PathBuf>) -> anyhow::Result<Outcome> {
    anyhow::bail!("this build has no desktop app (built without the `gui` feature); see --help")
}

#[cfg(feature = "gui")]
fn render_command(args: &args::RenderArgs) -> anyhow::Result<Outcome> {
    render::run(args)
}

#[cfg(feature = "gui")]
fn report_command(args: &args::ReportArgs) -> anyhow::Result<Outcome> {
    render::run_report(args)
}

#[cfg(not(feature = "gui"))]
fn report_command(_args: &args::ReportArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("this build cannot write the PDF report (built without the `gui` feature)")
}

#[cfg(not(feature = "gui"))]
fn render_command(_args: &args::RenderArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("this build cannot draw map pictures (built without the `gui` feature)")
}

/// Turns the filter flags into a [`Filter`].
fn filter_from_args(args: &FilterArgs) -> anyhow::Result<Filter> {
    let filter = Filter {
        from: args.from.as_deref().map(Filter::parse_date).transpose()?,
        to: args.to.as_deref().map(Filter::parse_date).transpose()?,
        categories: args
            .category
            .as_deref()
            .map(Filter::parse_categories)
            .transpose()?,
        sources: args
            .source
            .as_deref()
            .map(Filter::parse_sources)
            .transpose()?,
        hours: args
            .hours
            .as_deref()
            .map(str::parse::<HourRange>)
            .transpose()?
            .filter(|h| !h.is_whole_day()),
        weekdays: args
            .weekdays
            .as_deref()
            .map(str::parse::<Weekdays>)
            .transpose()?
            .filter(|w| !w.is_all()),
    };
    filter.validate().context("filter")?;
    Ok(filter)
}

/// Opens an existing project (a missing file is an error naming it; a
/// database URL goes to the factory, which refuses it without its password).
fn open_existing(path: &std::path::Path) -> anyhow::Result<lagesbild::store::BoxedStore> {
    let location = lagesbild::store::Location::from(path);
    if let lagesbild::store::Location::File(file) = &location
        && !file.exists()
    {
        anyhow::bail!("{}: no such project file", file.display());
    }
    Ok(lagesbild::store::open(location)?)
}

/// After an import or a push: the stored point cache refreshed where the
/// store keeps one; a failure is a warning on stderr, never the command's.
fn refresh_point_cache_after_write(store: &dyn lagesbild::store::Store) {
    let cancel = lagesbild::jobs::CancelToken::new();
    if let Some(e) = lagesbild::store::refresh_point_cache_after_write(store, &cancel) {
        eprintln!("lagesbild: warning: the stored analysis points were not refreshed: {e}");
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
