//! Command-line arguments as typed by the user (clap derive). `mod.rs` and the
//! command modules turn them into domain types; the core never sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Lägesbild: incidents, hotspots and patrol planning for a municipality's
/// safety unit. With no command, opens the desktop app on the last project
/// or the Sölvesborg demo project.
#[derive(Debug, Parser)]
#[command(name = "lagesbild", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (on PROJECT, else the last project or the demo).
    Gui {
        /// A project file (.gpkg).
        project: Option<PathBuf>,
    },
    /// Import incident files (CSV, GeoJSON, Polisen events JSON) into a project,
    /// creating the project when it does not exist.
    Import(ImportArgs),
    /// Write the synthetic Sölvesborg demo project.
    Demo(DemoArgs),
    /// Counts by category, source, hour of day and weekday.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The project file (.gpkg); created when it does not exist.
    pub project: PathBuf,
    /// Files to import, each in its own transaction.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// File format; detected from the name and content when omitted.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Coordinate system of projected columns, e.g. EPSG:3006; detected when omitted.
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,
    /// Read a column as a field, e.g. --map Händelsenr=id (repeatable).
    /// Fields: id, lon, lat, x, y, easting, northing, occurred_at, date, time,
    /// category, source, place, description, precision, ignore.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// Source for rows that name none, e.g. trygghetsvard (default: ovrigt).
    #[arg(long, value_name = "SOURCE")]
    pub default_source: Option<String>,
    /// Import nothing from a file if any of its rows is bad.
    #[arg(long)]
    pub strict: bool,
    /// Write rejected rows (line, reason, raw row) to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    pub rejects: Option<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Geojson,
    Polisen,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the project (default: demo-solvesborg.gpkg here).
    #[arg(long, default_value = "demo-solvesborg.gpkg")]
    pub out: PathBuf,
    /// Number of incidents.
    #[arg(long)]
    pub count: Option<usize>,
    /// Random seed; the same seed and count always give the same project.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Filters shared by every command that reads incidents. Local Swedish time.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// First date included (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last date included (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Categories, comma separated: skadegorelse, narkotika, vald,
    /// ordningsstorning, stold, brand, otrygghet, ovrigt.
    #[arg(long, value_name = "LIST")]
    pub category: Option<String>,
    /// Sources, comma separated: polis, trygghetsvard, skola, socialtjanst,
    /// raddningstjanst, medborgare, ovrigt.
    #[arg(long, value_name = "LIST")]
    pub source: Option<String>,
    /// Hours of day START-END (start inclusive, end exclusive, wrapping past
    /// midnight): 18-2, 22-6; 0-24 is the whole day.
    #[arg(long, value_name = "START-END")]
    pub hours: Option<String>,
    /// Weekdays, e.g. fri,sat or mon-fri (Swedish names work too).
    #[arg(long, value_name = "LIST")]
    pub weekdays: Option<String>,
}
