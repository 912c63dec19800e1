//! Arguments of the follow-up commands (`measure`, `evaluate`, `tracks`,
//! `dose`, `reports`), kept apart from `args.rs` so they stay together.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::args::FilterArgs;

#[derive(Debug, Args)]
pub struct MeasureArgs {
    #[command(subcommand)]
    pub command: MeasureCommand,
}

#[derive(Debug, Subcommand)]
pub enum MeasureCommand {
    /// Register a measure (insats): its name, area, dates, who is responsible,
    /// a note and the problem it addresses (the filter flags; dates excluded).
    Add(Box<MeasureAddArgs>),
    /// List the project's measures.
    List {
        /// The project file (.gpkg).
        project: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove the measure NAME (exact name).
    Remove {
        /// The project file (.gpkg).
        project: PathBuf,
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct MeasureAddArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// The measure's name, unique in the project.
    #[arg(long)]
    pub name: String,
    /// The area the measure covers: GeoJSON Polygon/MultiPolygon features
    /// (WGS84, or EPSG:3006 named by the file).
    #[arg(long, value_name = "FILE.geojson")]
    pub area: PathBuf,
    /// First day of the measure (YYYY-MM-DD, local date).
    #[arg(long, value_name = "DATE")]
    pub start: String,
    /// Last day of the measure (inclusive); leave out while it goes on.
    #[arg(long, value_name = "DATE")]
    pub end: Option<String>,
    /// Who is responsible (a role or unit).
    #[arg(long, default_value = "")]
    pub responsible: String,
    /// A note, e.g. "trygghetsvärdar fre–lör kvällar".
    #[arg(long, default_value = "")]
    pub note: String,
    /// The place in words, e.g. "Stadsparken".
    #[arg(long, default_value = "")]
    pub place: String,
    /// The problem the measure addresses (--from/--to are not used here).
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// Evaluate the stored measure NAME (its area, dates and problem filter).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["area", "start", "end"], required_unless_present = "area")]
    pub measure: Option<String>,
    /// Evaluate this area instead (GeoJSON polygons), with --start.
    #[arg(long, value_name = "FILE.geojson", requires = "start")]
    pub area: Option<PathBuf>,
    /// First day of the after period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Last day of the after period (default: the last date with data).
    #[arg(long, value_name = "DATE")]
    pub end: Option<String>,
    /// Width in metres of the ring around the area where displacement (or
    /// diffusion of benefits) is looked for.
    #[arg(long, value_name = "M", default_value_t = 300.0)]
    pub buffer: f64,
    /// A control area (GeoJSON polygons) for the weighted displacement quotient.
    #[arg(long, value_name = "FILE.geojson")]
    pub control: Option<PathBuf>,
    /// With --measure: these flags replace the measure's own problem filter
    /// field by field. --from/--to are refused (the periods come from the dates).
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep incidents with a coarse position (left out by default).
    #[arg(long)]
    pub include_coarse: bool,
    /// Print the evaluation as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Counts from 1 up to below this are shown as "<N" (JSON: null), with
    /// a second count hidden where a total would give one back, and the
    /// test or WDQ left out where it would; 1 turns it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Args)]
pub struct TracksArgs {
    #[command(subcommand)]
    pub command: TracksCommand,
}

#[derive(Debug, Subcommand)]
pub enum TracksCommand {
    /// Import GPX tracks (one file per host and shift) in one transaction.
    /// The host code is --host, else the file name before the first `_`
    /// (TV03_2025-11-28.gpx → TV03); a code, never a name.
    Import {
        /// The project file (.gpkg).
        project: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The host code for every file (e.g. TV03).
        #[arg(long, value_name = "CODE")]
        host: Option<String>,
    },
    /// Import check-ins (CSV with place, host, in, out) in one transaction.
    Checkins {
        /// The project file (.gpkg).
        project: PathBuf,
        file: PathBuf,
    },
    /// List the stored tracks: host code, file, first and last fix (no positions).
    List {
        /// The project file (.gpkg).
        project: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete tracks and check-ins older than the given age (e.g. 90d).
    Prune {
        /// The project file (.gpkg).
        project: PathBuf,
        /// Age in days, e.g. 90d (or 90).
        #[arg(long, value_name = "DAYS")]
        older_than: String,
    },
}

#[derive(Debug, Args)]
pub struct DoseArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// Measure these GPX files (host code from the file name, as `tracks
    /// import` reads it) instead of the project's stored tracks; nothing is stored.
    #[arg(long, value_name = "FILE.gpx", num_args = 1..)]
    pub tracks: Vec<PathBuf>,
    /// Also count these check-ins (CSV); without --tracks the stored ones count too.
    #[arg(long, value_name = "FILE.csv")]
    pub checkins: Option<PathBuf>,
    /// The places: GeoJSON Point features named by `name` or `namn`.
    #[arg(long, value_name = "FILE.geojson", required_unless_present = "planned")]
    pub places: Option<PathBuf>,
    /// Planned against delivered: the places are the project's route stops,
    /// planned minutes a week = dwell minutes × the route's weekdays; one row
    /// per stop and ISO week (--from..--to, else the weeks of the data).
    #[arg(long, conflicts_with_all = ["places", "by_week"])]
    pub planned: bool,
    /// Radius of a place in metres.
    #[arg(long, value_name = "M", default_value_t = 50.0)]
    pub radius: f64,
    /// First local date counted (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last local date counted (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// One row per place and ISO week instead of per place.
    #[arg(long)]
    pub by_week: bool,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Visit counts from 1 up to below this are shown as "<N" (JSON: null),
    /// and the minutes of such a row are left out; 1 turns it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Args)]
pub struct ReportsArgs {
    #[command(subcommand)]
    pub command: ReportsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Import the hosts' shift reports from a form tool's CSV export
    /// (KoBoToolbox or ODK; see the README for the columns) as incidents
    /// with source trygghetsvärd, in one transaction.
    Import {
        /// The project file (.gpkg).
        project: PathBuf,
        file: PathBuf,
        /// Import nothing if any row is bad.
        #[arg(long)]
        strict: bool,
    },
}
