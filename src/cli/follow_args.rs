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
    Add(MeasureAddArgs),
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
}
