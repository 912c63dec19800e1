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
    /// Kernel density heatmap of the filtered incidents, written as a
    /// GeoTIFF (incidents per km²), a PNG with world file and .prj, or the
    /// density classes as GeoJSON / GeoPackage polygons.
    Heatmap(HeatmapArgs),
    /// Getis–Ord Gi* hotspots on a square grid, written as GeoJSON or
    /// GeoPackage polygons (by default only significant cells).
    Hotspots(HotspotsArgs),
    /// Strategic places for host presence (maximal covering location), by
    /// default for evenings and nights (18–06); prints the coverage summary.
    Places(PlacesArgs),
    /// Time patterns: hour × weekday, counts per week or month with the
    /// same period a year earlier and a trend, the årshjul (month ×
    /// category), by category and source, evenings and nights.
    Patterns(PatternsArgs),
    /// Change map: two periods compared cell by cell (more / fewer / no
    /// clear change, exact test for two Poisson counts), written as GeoJSON
    /// or GeoPackage polygons.
    Change(ChangeArgs),
    /// Map layers of a project (boundaries, areas, a partner's layer): each a
    /// GeoPackage feature table that QGIS and GDAL list.
    Layer(LayerArgs),
    /// Draw the map as the app shows it into a PNG, without a window: title,
    /// legend, scale bar, north arrow, data period and attribution. The
    /// background is an offline archive (never a network wait), else a plain
    /// light map.
    Render(RenderArgs),
    /// The lägesbild as one PDF in Swedish, in the order of lag (2023:196):
    /// kartläggning, övrig information, analys, åtgärder, uppföljning; maps
    /// with legends, tables with small counts shown as "<3".
    Report(ReportArgs),
    /// Saved views of a project (map extent, layers, filter, analysis,
    /// title, speaker notes): list them, export them to a JSON file, import
    /// such a file, remove or rename one. Presentation mode (F5 in the app)
    /// steps through them.
    View(ViewArgs),
    /// Measures (insatser): register, list and remove.
    Measure(super::follow_args::MeasureArgs),
    /// Before/after evaluation of a measure: counts in its area, in a ring
    /// around it and in a control area, per month, the weighted displacement
    /// quotient and a plain-language summary in Swedish.
    Evaluate(super::follow_args::EvaluateArgs),
    /// The hosts' GPX tracks and check-ins: import, list, prune.
    Tracks(super::follow_args::TracksArgs),
    /// Delivered presence per place from the hosts' tracks and check-ins:
    /// visits, visits of at least 10 minutes and minutes present.
    Dose(super::follow_args::DoseArgs),
    /// The hosts' shift reports: import a form tool's CSV export.
    Reports(super::follow_args::ReportsArgs),
    /// The Police's open events API (polisen.se/api/events).
    Polisen(PolisenArgs),
    /// The patrol plan (areas, routes, stops): import from or export to
    /// GeoJSON / GeoPackage.
    Plan(PlanArgs),
    /// What the patrol plan covers: per area and route the incidents it
    /// reaches on its own weekdays and hours, share, length, walking time,
    /// fit to the shift; and the plan total, each incident counted once.
    Coverage(CoverageArgs),
    /// The shortest walking loop from a base through every stop and back,
    /// along a walking network (OpenStreetMap .osm.pbf or GeoJSON lines) or in
    /// straight lines; with --shift, a night's visit plan over its stops.
    Route(RouteArgs),
    /// The hosts' week: which pair walks which route or area on which
    /// evening and hours, so the most incidents (from the history by
    /// weekday, hour and place) fall within reach while they are there.
    Week(WeekArgs),
    /// Incidents one by one as CSV, GeoJSON or a GeoPackage layer, for a GIS
    /// program or a partner: time, category, source, precision and place.
    /// Free text (the description) and case identifiers are written only when
    /// asked for (--with-descriptions, --with-field); every export is recorded
    /// in the project's export log.
    Export(super::export::ExportArgs),
    /// The project's export log: every file written out of it (when, what,
    /// file name, fields, login).
    Exports(super::export::ExportsArgs),
    /// How long the project keeps incidents (e.g. --incidents 5y) and the
    /// hosts' tracks (their own, shorter time, e.g. --tracks 90d); what is
    /// past its time; --apply deletes it in one transaction, logged in the
    /// project. The app offers the same at start-up.
    Retention(super::retention::RetentionArgs),
    /// The shared store in PostgreSQL/PostGIS: `db init URL` creates (or
    /// migrates) the project schema, the roles lagesbild_read,
    /// lagesbild_write and lagesbild_sensitive, their grants and row-level
    /// security (with the `postgres` feature); `db pull` writes an offline
    /// copy, `db push` sends a project to another (any two projects).
    Db(super::db::DbArgs),
}

#[derive(Debug, Args)]
pub struct DbPullArgs {
    /// The project to copy from: postgresql://…, service=NAME or a .gpkg.
    #[arg(value_name = "URL")]
    pub project: PathBuf,
    /// The GeoPackage to write.
    #[arg(long, value_name = "FILE.gpkg")]
    pub out: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only incidents inside this area (GeoJSON Polygon/MultiPolygon, WGS84
    /// or EPSG:3006); it becomes the copy's study area.
    #[arg(long, value_name = "FILE.geojson")]
    pub area: Option<PathBuf>,
    /// Replace FILE.gpkg if it exists (only once the copy is complete).
    #[arg(long)]
    pub force: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DbPushArgs {
    /// The project file to send (.gpkg).
    pub file: PathBuf,
    /// The project to send it to: postgresql://…, service=NAME or a .gpkg.
    #[arg(value_name = "URL")]
    pub target: PathBuf,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PolisenArgs {
    #[command(subcommand)]
    pub command: PolisenCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolisenCommand {
    /// Collect the municipality's events from the API into PROJECT (created
    /// when it does not exist): new events added, edited ones updated in
    /// place, events that left the API's 500-event window kept. Follows the
    /// API's rules: HTTPS, a User-Agent naming the app and a contact, at
    /// least 10 s between calls (kept in the project, so runs in a row wait),
    /// at most 60 an hour and 1 440 a day, backing off on 429 and 5xx, and a
    /// 404 ends it.
    Harvest(HarvestArgs),
}

#[derive(Debug, Args)]
pub struct HarvestArgs {
    /// The project file (.gpkg); created when it does not exist.
    pub project: PathBuf,
    /// Municipalities or counties to keep, several separated by ';'
    /// (e.g. "Sölvesborg" or "Sölvesborg;Karlshamn").
    #[arg(long, value_name = "NAME[;NAME…]")]
    pub location: String,
    /// Harvest once and exit (the default; for a systemd timer or Task
    /// Scheduler).
    #[arg(long, conflicts_with = "every")]
    pub once: bool,
    /// Harvest again every INTERVAL (e.g. 30m, 1h, 900s; at least 1m) until
    /// stopped with Ctrl+C or a service stop, which lets the current import
    /// finish.
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,
    /// The API's address (default https://polisen.se/api/events; plain http
    /// only to this machine, for tests).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Contact named in the User-Agent (e.g. an e-mail address of the unit).
    #[arg(long, value_name = "CONTACT")]
    pub contact: Option<String>,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    #[command(subcommand)]
    pub command: ViewCommand,
}

#[derive(Debug, Subcommand)]
pub enum ViewCommand {
    /// List the saved views in presentation order.
    List {
        /// The project file (.gpkg).
        project: PathBuf,
        /// Print JSON (the view file format) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write the saved views (all, or the one titled NAME) to a JSON view file.
    Export {
        /// The project file (.gpkg).
        project: PathBuf,
        /// Only the view with this title (exact).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// The view file to write (.json).
        #[arg(long, value_name = "FILE.json")]
        out: PathBuf,
    },
    /// Read a JSON view file into the project in one transaction: a view
    /// whose title is taken is replaced, the others are added at the end.
    Import {
        /// The project file (.gpkg).
        project: PathBuf,
        /// The view file (.json).
        file: PathBuf,
    },
    /// Remove the view titled NAME (exact) from the project.
    Remove {
        /// The project file (.gpkg).
        project: PathBuf,
        /// The view's title.
        name: String,
    },
    /// Give the view titled NAME the title NEW (its place, extent and
    /// notes stay).
    Rename {
        /// The project file (.gpkg).
        project: PathBuf,
        /// The view's title now.
        name: String,
        /// Its new title (not taken by another view).
        new: String,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// First date of the period (YYYY-MM-DD); default: twelve months before --to.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last date of the period (YYYY-MM-DD); default: the last incident's date.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Study area (GeoJSON Polygon/MultiPolygon, WGS84 or EPSG:3006); kept
    /// in the project for later runs, as with the analysis commands.
    #[arg(long, value_name = "FILE.geojson")]
    pub area: Option<PathBuf>,
    /// Counts from 1 up to below this are shown as "<N".
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u64,
    /// The PDF to write.
    #[arg(long, value_name = "FILE.pdf")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// A saved view of the project (its extent, layers and title).
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// Picture size in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1920x1080")]
    pub size: String,
    /// Pixels per point: 1 lays the picture out like a window of that size;
    /// 2 draws the same map with everything twice as large (print).
    #[arg(long, value_name = "SCALE", default_value_t = 1.0)]
    pub scale: f32,
    /// Background: an MBTiles file, or the name of a source in
    /// maps/tiles.toml: an offline archive, or a tile server whose tiles
    /// the app's tile cache holds (never downloaded; missing tiles leave
    /// the plain background). Without it, the plain background.
    #[arg(long, value_name = "NAME|FILE.mbtiles")]
    pub basemap: Option<String>,
    /// The tile cache of the --basemap tile server (default: the app's,
    /// <user cache dir>/lagesbild/tiles/<source>).
    #[arg(long, value_name = "DIR")]
    pub tile_cache: Option<PathBuf>,
    /// Title (default: the project's name).
    #[arg(long)]
    pub title: Option<String>,
    /// Language of the picture's texts: sv or en.
    #[arg(long, default_value = "sv")]
    pub lang: String,
    /// Leave out the analysis layers (heatmap, strategic places).
    #[arg(long)]
    pub no_analysis: bool,
    /// The PNG to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Add the areas (Polygons), routes (LineStrings) and stops (Points) of
    /// FILE to the project's plan, properties kept, in one transaction.
    Import {
        /// The project file (.gpkg).
        project: PathBuf,
        /// A GeoJSON file or a GeoPackage (e.g. from QGIS or `plan export`).
        file: PathBuf,
    },
    /// List the project's plan: each area and route with its id, team,
    /// weekdays, hours and (routes) length and stops.
    List {
        /// The project file (.gpkg) or a postgresql:// URL.
        project: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write the project's plan with all its attributes.
    Export {
        /// The project file (.gpkg).
        project: PathBuf,
        /// plan.geojson or plan.gpkg; the extension picks the format.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep incidents with a coarse position (left out by default).
    #[arg(long)]
    pub include_coarse: bool,
    /// Incidents within this distance of a route count for it, metres.
    #[arg(long, value_name = "M", default_value_t = 50.0)]
    pub buffer: f64,
    /// Walking pace, km/h.
    #[arg(long, value_name = "KMH", default_value_t = 4.5)]
    pub pace: f64,
    /// Also count the hotspot cells (Gi* 95 %, 100 m cells, 300 m band) and
    /// the six strategic places (300 m) each item reaches.
    #[arg(long)]
    pub reach: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Counts from 1 up to below this are shown as "<N" (JSON: null, with
    /// their shares), with a second count hidden where a total would give
    /// one back; 1 turns it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Args)]
pub struct LayerArgs {
    #[command(subcommand)]
    pub command: LayerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LayerCommand {
    /// Add FILE as map layers: a GeoJSON file is one layer (named after the
    /// file); a GeoPackage gives one layer per feature table. A layer of the
    /// same name is replaced and keeps its colour, order and visibility.
    /// Everything is added in one transaction.
    Add {
        /// The project file (.gpkg).
        project: PathBuf,
        /// A GeoJSON file (.geojson/.json) or a GeoPackage (.gpkg).
        file: PathBuf,
        /// GeoJSON: the layer's name (default: the file name without
        /// extension). GeoPackage: the one feature table to add (default: all).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// List the project's map layers, bottom first.
    List {
        /// The project file (.gpkg).
        project: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove the map layer NAME (exact name).
    Remove {
        /// The project file (.gpkg).
        project: PathBuf,
        name: String,
    },
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
    /// The point layer of a GeoPackage file to read incidents from (a
    /// GeoPackage that QGIS or ogr2ogr wrote); its attributes are mapped like
    /// CSV columns (--map). Default: the file's only point layer.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Geojson,
    Polisen,
    /// A point layer of a GeoPackage (see --layer).
    Gpkg,
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
    /// Counts from 1 up to below this are shown as "<N" (JSON: null), with
    /// a second count hidden where a total would give one back; 1 turns it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
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

/// What every analysis command reads and where it writes.
#[derive(Debug, Args)]
pub struct AnalysisInput {
    /// The project file (.gpkg).
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep incidents with a coarse position (e.g. the police's
    /// municipality-level events); by default they are left out and counted.
    #[arg(long)]
    pub include_coarse: bool,
    /// Output file; its extension picks the format.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Table name when writing into a GeoPackage (default: the analysis name).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Study area (GeoJSON Polygon/MultiPolygon, WGS84 or EPSG:3006): only
    /// grid cells whose centre lies inside take part, incidents outside are
    /// left out; kept in the project for later runs.
    #[arg(long, value_name = "FILE.geojson", conflicts_with = "no_area")]
    pub area: Option<PathBuf>,
    /// Ignore the study area kept in the project.
    #[arg(long)]
    pub no_area: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KernelArg {
    Quartic,
    Gaussian,
}

#[derive(Debug, Args)]
pub struct HeatmapArgs {
    #[command(flatten)]
    pub input: AnalysisInput,
    /// Bandwidth in metres: the quartic kernel's radius, the Gaussian's σ.
    #[arg(long, value_name = "M", default_value_t = 200.0)]
    pub bandwidth: f64,
    /// Cell size in metres (default: bandwidth / 10).
    #[arg(long, value_name = "M")]
    pub cell: Option<f64>,
    #[arg(long, value_enum, default_value = "quartic")]
    pub kernel: KernelArg,
    /// Density classes (quantiles of the cells above zero) for GeoJSON and
    /// GeoPackage output.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub classes: usize,
    /// Cells that fewer incidents reach are written as zero, so no single
    /// incident's position can be read back from the density.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Args)]
pub struct HotspotsArgs {
    #[command(flatten)]
    pub input: AnalysisInput,
    /// Side of a grid cell in metres.
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    pub cell: f64,
    /// Distance band in metres: cells whose centres lie within it are neighbours.
    #[arg(long, value_name = "M", default_value_t = 300.0)]
    pub band: f64,
    /// No false-discovery-rate correction (plain p-value cut-offs).
    #[arg(long)]
    pub no_fdr: bool,
    /// Write every cell of the grid, not only the significant ones.
    #[arg(long)]
    pub all_cells: bool,
    /// Cells with fewer incidents carry neither count, z nor p (only their class).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Args)]
pub struct PlacesArgs {
    #[command(flatten)]
    pub input: AnalysisInput,
    /// Number of places to choose, one per host.
    #[arg(long, value_name = "K", default_value_t = 6)]
    pub hosts: usize,
    /// Walking radius in metres.
    #[arg(long, value_name = "M", default_value_t = 300.0)]
    pub radius: f64,
    /// Side of the demand grid's cells in metres.
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    pub cell: f64,
    /// Places to choose from: GeoJSON Point features, named by a `name` or
    /// `namn` property (default: centres of grid cells with incidents).
    #[arg(long, value_name = "FILE.geojson")]
    pub candidates: Option<PathBuf>,
    /// Places kept in the solution whatever else is chosen (existing meeting
    /// points): GeoJSON Point features; they count toward --hosts.
    #[arg(long, value_name = "FILE.geojson")]
    pub fixed: Option<PathBuf>,
    /// Count walking distance along this network (OpenStreetMap .osm.pbf or
    /// GeoJSON lines) instead of straight lines.
    #[arg(long, value_name = "FILE.osm.pbf|FILE.geojson")]
    pub network: Option<PathBuf>,
    /// Print the coverage summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// A place covering fewer incidents is left out (a fixed one keeps its
    /// position only); smaller gains are null, with a second one hidden
    /// where the total would give one back. 1 turns it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Week,
    Month,
}

#[derive(Debug, Args)]
pub struct PatternsArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep incidents with a coarse position (left out by default, as in
    /// the other analyses).
    #[arg(long)]
    pub include_coarse: bool,
    /// Study area (GeoJSON Polygon/MultiPolygon): only incidents inside
    /// count; kept in the project for later runs.
    #[arg(long, value_name = "FILE.geojson", conflicts_with = "no_area")]
    pub area: Option<PathBuf>,
    /// Ignore the study area kept in the project.
    #[arg(long)]
    pub no_area: bool,
    /// Periods of the time series: ISO weeks or calendar months.
    #[arg(long, value_enum, default_value = "month")]
    pub by: PeriodArg,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Counts from 1 up to below this are shown as "<N" (JSON: null), with
    /// a second count hidden where a total would give one back; 1 turns it off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub min_count: u32,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub input: AnalysisInput,
    /// The first period, FROM..TO (local dates, both included), e.g.
    /// 2024-01-01..2024-06-30.
    #[arg(long, value_name = "FROM..TO")]
    pub before: String,
    /// The second period, FROM..TO; must not overlap the first.
    #[arg(long, value_name = "FROM..TO")]
    pub after: String,
    /// Side of a grid cell in metres.
    #[arg(long, value_name = "M", default_value_t = 250.0)]
    pub cell: f64,
    /// Cells with fewer incidents in both periods together are not tested
    /// and not written.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_count: u32,
    /// No false-discovery-rate correction (each cell tested at 0.05).
    #[arg(long)]
    pub no_fdr: bool,
    /// Print the summary and cells as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RouteArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// The stops: GeoJSON Point features, named by `name`/`namn`, each with
    /// its own `dwell_min` when it has one.
    #[arg(
        long,
        value_name = "STOPS.geojson",
        required_unless_present = "route",
        conflicts_with = "route"
    )]
    pub stops: Option<PathBuf>,
    /// Take the stops (and their dwell times) of this route of the project's
    /// patrol plan instead (its exact name).
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,
    /// Where the loop starts and ends, WGS84 degrees.
    #[arg(long, value_name = "LON,LAT", allow_hyphen_values = true)]
    pub base: String,
    /// The walking network: an OpenStreetMap extract (.osm.pbf) or GeoJSON
    /// LineStrings. Without it, straight lines.
    #[arg(long, value_name = "FILE.osm.pbf|FILE.geojson")]
    pub network: Option<PathBuf>,
    /// Minutes at each stop that names no `dwell_min` of its own.
    #[arg(long, value_name = "MIN", default_value_t = 12.0)]
    pub dwell: f64,
    /// Walking pace, km/h.
    #[arg(long, value_name = "KM/H", default_value_t = 4.5)]
    pub pace: f64,
    /// Write the loop and its stops (.geojson or .gpx for OsmAnd / Organic Maps).
    #[arg(long, value_name = "ROUTE.geojson|ROUTE.gpx")]
    pub out: Option<PathBuf>,
    /// A night's visit plan for this shift (wrapping past midnight), e.g.
    /// 19:00-03:00: rounds so each stop is visited about every two hours.
    #[arg(long, value_name = "HH:MM-HH:MM")]
    pub shift: Option<String>,
    /// The night of the visit plan; seeds its order (default today).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "shift")]
    pub date: Option<String>,
    /// Print the route (and visit plan) as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WeekArgs {
    /// The project file (.gpkg): its incidents are the history.
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep incidents with a coarse position (left out by default).
    #[arg(long)]
    pub include_coarse: bool,
    /// Candidate routes (LineStrings) and areas (Polygons), GeoJSON, named by
    /// `name`/`namn` (default: the project's patrol plan, its areas and routes).
    #[arg(long, value_name = "FILE.geojson")]
    pub routes: Option<PathBuf>,
    /// Host pairs.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub pairs: usize,
    /// Shifts each pair works a week (at most one an evening).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub shifts_per_pair: usize,
    /// Shift hours a shift may have (repeatable; default 19:00-03:00).
    #[arg(long, value_name = "HH:MM-HH:MM")]
    pub shift: Vec<String>,
    /// Evenings hosts may work, e.g. mon-sat or fre,lör (default all).
    #[arg(long, value_name = "LIST")]
    pub evenings: Option<String>,
    /// Reach of a route: metres either side of its line.
    #[arg(long, value_name = "M", default_value_t = 50.0)]
    pub buffer: f64,
    /// Keep a pair on a route or area on an evening (the planner's choice)
    /// and propose the rest around it, e.g. `2:fre=Hamnen` or
    /// `1:sat=Centrum@19:00-03:00` (repeatable).
    #[arg(long, value_name = "PAIR:DAY=NAME")]
    pub fix: Vec<String>,
    /// Print the plan as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}
