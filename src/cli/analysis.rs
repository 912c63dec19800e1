//! `lagesbild heatmap | hotspots | places PROJECT.gpkg [filters] … --out FILE`
//!
//! Each command loads the filtered incidents itself (coarse ones left out
//! unless `--include-coarse`), runs one analysis of [`lagesbild::analysis`]
//! and writes the result with [`lagesbild::export`], in the format the
//! output's extension names. Writers go through a temporary file in the same
//! folder, so a failed run never leaves a half-written file. Every vector
//! output says what it was made from ([`MadeFrom`]); notes go to stderr, the
//! summary to stdout (with `places --json` only the JSON).

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use lagesbild::analysis::{
    AnalysisError, Candidate, HeatmapParams, HotspotClass, HotspotParams, Kernel, PlacesParams,
    heatmap, hotspots, strategic_places,
};
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::export::layers::{
    HotspotExport, heatmap_edges, heatmap_layer, hotspot_layer, places_layer,
};
use lagesbild::export::{self, Layer, MadeFrom, OutputKind};
use lagesbild::jobs::{CancelToken, Progress as _};
use lagesbild::model::{Filter, HourRange, Precision, time};
use lagesbild::store::{IncidentPoint, Project, Store as _};
use serde_json::{Value, json};

use super::args::{AnalysisInput, HeatmapArgs, HotspotsArgs, KernelArg, PlacesArgs};
use super::geo_input::{self, StudyArea};
use super::progress::TerminalProgress;
use super::{Outcome, filter_from_args};

/// Project metadata key holding the study area's GeoJSON text.
pub const STUDY_AREA_KEY: &str = "study_area_geojson";
/// Project metadata key holding the name of the file the study area came from.
pub const STUDY_AREA_FILE_KEY: &str = "study_area_file";

/// Most density classes `heatmap --classes` accepts.
const MAX_CLASSES: usize = 20;

/// Wall-clock time of each step on stderr when `LAGESBILD_TIMINGS=1`, to
/// see where a whole command's time goes.
struct Timings {
    enabled: bool,
    start: std::time::Instant,
    last: std::time::Instant,
}

impl Timings {
    fn new() -> Timings {
        let now = std::time::Instant::now();
        Timings {
            enabled: std::env::var("LAGESBILD_TIMINGS").as_deref() == Ok("1"),
            start: now,
            last: now,
        }
    }

    fn lap(&mut self, step: &str) {
        let now = std::time::Instant::now();
        if self.enabled {
            eprintln!(
                "timing: {step:<28} {:>8.1} ms (total {:.1} ms)",
                (now - self.last).as_secs_f64() * 1e3,
                (now - self.start).as_secs_f64() * 1e3
            );
        }
        self.last = now;
    }
}

/// The filtered incidents an analysis runs on.
struct Loaded {
    /// The project's name.
    name: String,
    /// True for the synthetic demo.
    synthetic: bool,
    /// SWEREF 99 TM metres of the incidents used.
    xy: Vec<[f64; 2]>,
    /// First and last local date of the incidents used.
    period: Option<[NaiveDate; 2]>,
    /// Incidents that passed the filter.
    matched: usize,
    /// Of those, left out for a coarse position.
    coarse_excluded: usize,
    /// Of those, left out because their position cannot be projected.
    unprojectable: usize,
}

impl Loaded {
    fn made_from(&self, filter: &Filter, incidents: usize, parameters: Value) -> MadeFrom {
        MadeFrom {
            project: self.name.clone(),
            synthetic: self.synthetic,
            filter: filter.describe(),
            period: self.period,
            incidents,
            coarse_excluded: self.coarse_excluded,
            parameters,
            made_by: lagesbild::APP_NAME_VERSION.to_owned(),
        }
    }

    /// Notes on stderr about incidents left out.
    fn print_notes(&self) {
        if self.coarse_excluded > 0 {
            eprintln!(
                "note: {} coarse incident(s) (e.g. the police's municipality-level events) left out; --include-coarse keeps them",
                self.coarse_excluded
            );
        }
        if self.unprojectable > 0 {
            eprintln!(
                "note: {} incident(s) left out: their position cannot be converted to SWEREF 99 TM",
                self.unprojectable
            );
        }
    }
}

/// The output format from `--out`'s extension, if the command can write it.
fn output_kind(out: &Path, command: &str, allowed: &[OutputKind]) -> anyhow::Result<OutputKind> {
    let names = allowed
        .iter()
        .map(|k| match k {
            OutputKind::GeoJson => ".geojson",
            OutputKind::GeoPackage => ".gpkg",
            OutputKind::Png => ".png",
            OutputKind::GeoTiff => ".tif",
        })
        .collect::<Vec<_>>()
        .join(", ");
    match OutputKind::from_path(out) {
        Some(kind) if allowed.contains(&kind) => Ok(kind),
        _ => anyhow::bail!(
            "--out {}: {command} writes {names}; the extension picks the format",
            out.display()
        ),
    }
}

/// Checks `--layer`: a plain table name.
fn layer_name(input: &AnalysisInput, default: &str) -> anyhow::Result<String> {
    let Some(name) = &input.layer else {
        return Ok(default.to_owned());
    };
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain || name.to_ascii_lowercase().starts_with("gpkg_") || name.len() > 63 {
        anyhow::bail!(
            "--layer {name:?}: use letters, digits and _ (starting with a letter, not gpkg_)"
        );
    }
    Ok(name.clone())
}

/// Checks a length flag in metres.
fn positive_m(flag: &str, value: f64) -> anyhow::Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        anyhow::bail!("{flag} {value}: must be a positive number of metres")
    }
}

fn open_project(path: &Path) -> anyhow::Result<Project> {
    if !path.exists() {
        anyhow::bail!("{}: no such project file", path.display());
    }
    Ok(Project::open(path)?)
}

/// Opens the command's project, lets `prepare` read or keep what it needs
/// there (the study area), loads the incidents passing `filter`, closes the
/// project and prints the notes on what was left out.
fn open_and_load<T>(
    input: &AnalysisInput,
    filter: &Filter,
    progress: &TerminalProgress,
    timings: &mut Timings,
    prepare: impl FnOnce(&mut Project) -> anyhow::Result<T>,
) -> anyhow::Result<(Loaded, T)> {
    let mut project = open_project(&input.project)?;
    timings.lap("open project");
    let prepared = prepare(&mut project)?;
    let loaded = load(&project, filter, input.include_coarse, progress, timings)?;
    drop(project);
    loaded.print_notes();
    Ok((loaded, prepared))
}

/// Loads the incidents passing `filter` and projects them to SWEREF 99 TM.
fn load(
    project: &Project,
    filter: &Filter,
    include_coarse: bool,
    progress: &TerminalProgress,
    timings: &mut Timings,
) -> anyhow::Result<Loaded> {
    // Name and synthetic flag only: `Store::info` would scan every incident.
    let name = match project.metadata("name")? {
        Some(n) => n,
        None => file_name(project.path()),
    };
    let synthetic = project
        .metadata("synthetic")?
        .is_some_and(|v| v.trim() == "true");
    progress.stage("Loading incidents", 0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_LOAD_THREADS);
    let spans = match stored_dates(project)? {
        Some((first, last)) => split_by_date(filter, first, last, threads),
        None => None,
    };
    let (parts, matched) = match spans {
        Some(spans) => {
            let path = project.path();
            let results: Vec<anyhow::Result<(Part, usize)>> = std::thread::scope(|s| {
                let handles: Vec<_> = spans
                    .iter()
                    .map(|span| {
                        s.spawn(move || -> anyhow::Result<(Part, usize)> {
                            // A connection is not Sync: each thread opens its own.
                            let own = Project::open(path)?;
                            let points = own.incident_points(span, &CancelToken::new())?;
                            Ok((project_chunk(&points, include_coarse), points.len()))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            let mut parts = Vec::with_capacity(results.len());
            let mut matched = 0;
            for r in results {
                let (part, n) = r?;
                parts.push(part);
                matched += n;
            }
            timings.lap(&format!("load + project ({} threads)", spans.len()));
            (parts, matched)
        }
        None => {
            let points = project.incident_points(filter, &CancelToken::new())?;
            timings.lap("load incidents");
            progress.stage("Projecting", 0);
            let parts = project_parallel(&points, include_coarse);
            timings.lap("project to SWEREF 99 TM");
            (parts, points.len())
        }
    };
    let mut xy = Vec::with_capacity(parts.iter().map(|p| p.xy.len()).sum());
    let mut first = None;
    let mut last = None;
    let (mut coarse_excluded, mut unprojectable) = (0, 0);
    for part in parts {
        xy.extend_from_slice(&part.xy);
        coarse_excluded += part.coarse;
        unprojectable += part.unprojectable;
        first = first.into_iter().chain(part.first).min();
        last = last.into_iter().chain(part.last).max();
    }
    let period = export::period(first.into_iter().chain(last));
    Ok(Loaded {
        name,
        synthetic,
        xy,
        period,
        matched,
        coarse_excluded,
        unprojectable,
    })
}

/// One thread's share of [`project_parallel`].
struct Part {
    xy: Vec<[f64; 2]>,
    first: Option<chrono::DateTime<chrono::Utc>>,
    last: Option<chrono::DateTime<chrono::Utc>>,
    coarse: usize,
    unprojectable: usize,
}

/// Projects `points` to SWEREF 99 TM on this thread, leaving out coarse ones
/// (unless `include_coarse`) and those that cannot be projected.
fn project_chunk(points: &[IncidentPoint], include_coarse: bool) -> Part {
    let mut part = Part {
        xy: Vec::with_capacity(points.len()),
        first: None,
        last: None,
        coarse: 0,
        unprojectable: 0,
    };
    for p in points {
        if !include_coarse && p.precision_m > Precision::COARSE_ABOVE_M {
            part.coarse += 1;
            continue;
        }
        let Sweref99Tm { easting, northing } = sweref_from_wgs84(p.position);
        if !(easting.is_finite() && northing.is_finite()) {
            part.unprojectable += 1;
            continue;
        }
        part.xy.push([easting, northing]);
        part.first = Some(part.first.map_or(p.occurred_at, |t| t.min(p.occurred_at)));
        part.last = Some(part.last.map_or(p.occurred_at, |t| t.max(p.occurred_at)));
    }
    part
}

/// Most threads that load a project's incidents at once.
const MAX_LOAD_THREADS: usize = 4;

/// Local dates of the project's first and last incident (from the
/// `occurred_at` index), or `None` when it has none.
fn stored_dates(project: &Project) -> anyhow::Result<Option<(NaiveDate, NaiveDate)>> {
    // Two queries: SQLite answers a lone min() or max() from the index, but
    // scans the whole table for both in one SELECT.
    let ask = |sql: &str| -> anyhow::Result<Option<String>> {
        project
            .connection()
            .query_row(sql, [], |r| r.get(0))
            .with_context(|| project.path().display().to_string())
    };
    let first = ask("SELECT min(occurred_at) FROM incidents")?;
    let last = ask("SELECT max(occurred_at) FROM incidents")?;
    let date = |t: Option<String>| {
        t.as_deref()
            .and_then(time::parse_gpkg_datetime)
            .map(|t| time::local(t).date_naive())
    };
    Ok(date(first).zip(date(last)))
}

/// The filter split into `n` filters over consecutive spans of whole local
/// days between `first` and `last` (the stored incidents' dates), so that
/// `n` threads can each load one span; together they match exactly what
/// `filter` matches, oldest span first. `None` when there is nothing to split.
fn split_by_date(
    filter: &Filter,
    first: NaiveDate,
    last: NaiveDate,
    n: usize,
) -> Option<Vec<Filter>> {
    let lo = filter.from.map_or(first, |d| d.max(first));
    let hi = filter.to.map_or(last, |d| d.min(last));
    let days = (hi - lo).num_days() + 1;
    let n_i = i64::try_from(n).ok()?;
    if n < 2 || days < n_i {
        return None;
    }
    let day = |k: i64| lo.checked_add_days(chrono::Days::new(u64::try_from(days * k / n_i).ok()?));
    (0..n_i)
        .map(|k| {
            let from = day(k)?;
            let to = day(k + 1)?.pred_opt()?;
            Some(Filter {
                from: Some(from),
                to: Some(to),
                ..filter.clone()
            })
        })
        .collect()
}

/// Projects the points on every core, in order, leaving out coarse ones
/// (unless `include_coarse`) and those that cannot be projected.
fn project_parallel(points: &[IncidentPoint], include_coarse: bool) -> Vec<Part> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = points.len().div_ceil(threads).max(50_000);
    let work = |chunk: &[IncidentPoint]| project_chunk(chunk, include_coarse);
    if points.len() <= chunk {
        return vec![work(points)];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = points
            .chunks(chunk)
            .map(|c| s.spawn(move || work(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Turns an analysis error into the command's outcome: nothing to analyse
/// is a failed run (exit 1) with a message, the rest are errors.
fn analysis_failed(err: AnalysisError, loaded: &Loaded) -> anyhow::Result<Outcome> {
    match err {
        AnalysisError::NoIncidents => {
            no_incidents(loaded);
            Ok(Outcome::Failed)
        }
        other => Err(other.into()),
    }
}

fn no_incidents(loaded: &Loaded) {
    eprintln!(
        "No incidents to analyse: {} match the filter, {} of them with a precise position. Nothing written.",
        loaded.matched,
        loaded.xy.len()
    );
}

/// Writes a vector layer as GeoJSON or into a GeoPackage.
fn write_layer(layer: &Layer, kind: OutputKind, out: &Path) -> anyhow::Result<()> {
    match kind {
        OutputKind::GeoPackage => export::gpkg::write_layer(layer, out)?,
        _ => export::geojson::write(layer, out)?,
    }
    Ok(())
}

fn kind_name(kind: OutputKind) -> &'static str {
    match kind {
        OutputKind::GeoJson => "GeoJSON",
        OutputKind::GeoPackage => "GeoPackage",
        OutputKind::Png => "PNG",
        OutputKind::GeoTiff => "GeoTIFF",
    }
}

/// `lagesbild heatmap`.
pub fn run_heatmap(args: &HeatmapArgs) -> anyhow::Result<Outcome> {
    let input = &args.input;
    let kind = output_kind(
        &input.out,
        "heatmap",
        &[
            OutputKind::GeoTiff,
            OutputKind::Png,
            OutputKind::GeoJson,
            OutputKind::GeoPackage,
        ],
    )?;
    let layer_name = layer_name(input, "heatmap")?;
    let bandwidth_m = positive_m("--bandwidth", args.bandwidth)?;
    let cell_m = args.cell.map(|c| positive_m("--cell", c)).transpose()?;
    if !(1..=MAX_CLASSES).contains(&args.classes) {
        anyhow::bail!("--classes {}: choose 1 to {MAX_CLASSES}", args.classes);
    }
    let filter = filter_from_args(&input.filter)?;
    let progress = TerminalProgress::new();
    let mut timings = Timings::new();
    let (loaded, ()) = open_and_load(input, &filter, &progress, &mut timings, |_| Ok(()))?;
    let params = HeatmapParams {
        bandwidth_m,
        cell_m,
        kernel: match args.kernel {
            KernelArg::Quartic => Kernel::Quartic,
            KernelArg::Gaussian => Kernel::Gaussian,
        },
        ..HeatmapParams::default()
    };
    progress.stage("Computing heatmap", 0);
    let map = match heatmap(&loaded.xy, &[], &params, &CancelToken::new()) {
        Ok(m) => m,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded);
        }
    };
    timings.lap("heatmap");
    let grid = &map.grid;
    progress.stage("Writing", 0);
    let mut parameters = json!({
        "analysis": "heatmap",
        "kernel": params.kernel.key(),
        "bandwidth_m": bandwidth_m,
        "cell_m": grid.cell_m,
        "unit": "incidents per km²",
    });
    let mut classes = None;
    match kind {
        OutputKind::GeoTiff | OutputKind::Png => {
            let made_from = loaded.made_from(&filter, map.incidents_used, parameters);
            let items = [("LAGESBILD_MADE_FROM", ascii_json(&made_from.to_json()))];
            if kind == OutputKind::GeoTiff {
                export::raster::write_geotiff_with_metadata(
                    grid,
                    &input.out,
                    &items,
                    Some("incidents/km2"),
                )?;
            } else {
                export::raster::write_png_with_metadata(grid, &input.out, &items)?;
            }
        }
        OutputKind::GeoJson | OutputKind::GeoPackage => {
            let edges = heatmap_edges(grid, args.classes);
            parameters["classes"] = json!(edges.len().saturating_sub(1));
            parameters["class_method"] = json!("quantiles");
            let made_from = loaded.made_from(&filter, map.incidents_used, parameters);
            let mut layer = heatmap_layer(grid, &edges, made_from);
            layer.name = layer_name;
            classes = Some(layer.features.len());
            write_layer(&layer, kind, &input.out)?;
        }
    }
    progress.finish();
    timings.lap("write output");

    let max = grid.min_max().map_or(0.0, |(_, hi)| hi);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Heatmap of {} incidents ({} kernel, bandwidth {} m): {} × {} cells of {} m, highest density {:.1} incidents/km²",
        map.incidents_used,
        params.kernel.key(),
        bandwidth_m,
        grid.nx,
        grid.ny,
        grid.cell_m,
        max
    )?;
    let what = match (kind, classes) {
        (OutputKind::GeoTiff, _) => "GeoTIFF, EPSG:3006, float32 incidents per km²".to_owned(),
        (OutputKind::Png, _) => {
            let (pgw, prj) = export::raster::side_files(&input.out);
            format!(
                "PNG, EPSG:3006, with {} and {}",
                file_name(&pgw),
                file_name(&prj)
            )
        }
        (k, Some(n)) => format!("{}, {n} density class polygons", kind_name(k)),
        (k, None) => kind_name(k).to_owned(),
    };
    writeln!(out, "Wrote {} ({what})", input.out.display())?;
    Ok(Outcome::Success)
}

/// JSON text with every non-ASCII character escaped (`\\u00f6`), for TIFF
/// ASCII tags.
fn ascii_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for u in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// A count that may be fractional (weights, bounds): whole numbers without
/// decimals, others with one.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}

/// The study area for `hotspots`: from `--area` (then kept in the project),
/// else the one kept in the project unless `--no-area`.
fn study_area(project: &mut Project, args: &HotspotsArgs) -> anyhow::Result<Option<StudyArea>> {
    if let Some(path) = &args.area {
        let (area, text) = geo_input::read_area(path)?;
        project
            .set_metadata(STUDY_AREA_KEY, &text)
            .context("keeping the study area in the project")?;
        project
            .set_metadata(STUDY_AREA_FILE_KEY, &file_name(path))
            .context("keeping the study area in the project")?;
        let [w, h] = area.size_km();
        eprintln!(
            "Study area from {} ({w:.1} × {h:.1} km) kept in the project; later runs use it unless --no-area",
            path.display()
        );
        return Ok(Some(area));
    }
    if args.no_area {
        return Ok(None);
    }
    let Some(text) = project.metadata(STUDY_AREA_KEY)? else {
        return Ok(None);
    };
    let from = project
        .metadata(STUDY_AREA_FILE_KEY)?
        .unwrap_or_else(|| "an earlier run".to_owned());
    let area = geo_input::parse_area(&text).with_context(|| {
        format!(
            "{}: the study area kept in the project (from {from}) cannot be read; give --area FILE or --no-area",
            args.input.project.display()
        )
    })?;
    let [w, h] = area.size_km();
    eprintln!(
        "Using the study area kept in the project (from {from}, {w:.1} × {h:.1} km); --no-area ignores it"
    );
    Ok(Some(area))
}

/// `lagesbild hotspots`.
pub fn run_hotspots(args: &HotspotsArgs) -> anyhow::Result<Outcome> {
    let input = &args.input;
    let kind = output_kind(
        &input.out,
        "hotspots",
        &[OutputKind::GeoJson, OutputKind::GeoPackage],
    )?;
    let layer_name = layer_name(input, "hotspots")?;
    let cell_m = positive_m("--cell", args.cell)?;
    let band_m = positive_m("--band", args.band)?;
    let filter = filter_from_args(&input.filter)?;
    let progress = TerminalProgress::new();
    let mut timings = Timings::new();
    let (loaded, area) = open_and_load(input, &filter, &progress, &mut timings, |project| {
        study_area(project, args)
    })?;
    let params = HotspotParams {
        cell_m,
        band_m,
        fdr: !args.no_fdr,
        study_area: area.map(|a| (a.min, a.max)),
    };
    progress.stage("Computing hotspots", 0);
    let h = match hotspots(&loaded.xy, &params, &CancelToken::new()) {
        Ok(h) => h,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded);
        }
    };
    timings.lap("hotspots");
    if area.is_some() && h.incidents_used < loaded.xy.len() {
        eprintln!(
            "note: {} incident(s) outside the study area left out",
            loaded.xy.len() - h.incidents_used
        );
    }
    let options = HotspotExport {
        all_cells: args.all_cells,
        min_count: args.min_count,
    };
    let parameters = json!({
        "analysis": "hotspots",
        "statistic": "Getis-Ord Gi*",
        "cell_m": cell_m,
        "band_m": band_m,
        "fdr": params.fdr,
        "all_cells": options.all_cells,
        "min_count": options.min_count,
        "grid": {"x0": h.x0, "y0": h.y0, "nx": h.nx, "ny": h.ny, "crs": "EPSG:3006"},
        "study_area": area.map(|a| json!({"min": a.min, "max": a.max})),
    });
    let made_from = loaded.made_from(&filter, h.incidents_used, parameters);
    let mut layer = hotspot_layer(&h, options, made_from);
    layer.name = layer_name;
    progress.stage("Writing", 0);
    write_layer(&layer, kind, &input.out)?;
    progress.finish();
    timings.lap("write output");

    let mut by_class = [0usize; 7];
    for c in &h.cells {
        if let Some(i) = HotspotClass::ALL.iter().position(|k| *k == c.class) {
            by_class[i] += 1;
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Hotspots (Gi*, {cell_m} m cells, {band_m} m band, {}) of {} incidents on {} × {} cells:",
        if params.fdr {
            "FDR corrected"
        } else {
            "no FDR correction"
        },
        h.incidents_used,
        h.nx,
        h.ny
    )?;
    for (class, n) in HotspotClass::ALL.iter().zip(by_class) {
        writeln!(out, "  {:<28} {n:>8}", class.label_en())?;
    }
    writeln!(
        out,
        "Wrote {} ({}, {} cells)",
        input.out.display(),
        kind_name(kind),
        layer.features.len()
    )?;
    Ok(Outcome::Success)
}

/// `lagesbild places`.
pub fn run_places(args: &PlacesArgs) -> anyhow::Result<Outcome> {
    let input = &args.input;
    let kind = output_kind(
        &input.out,
        "places",
        &[OutputKind::GeoJson, OutputKind::GeoPackage],
    )?;
    let layer_name = layer_name(input, "places")?;
    let radius_m = positive_m("--radius", args.radius)?;
    let cell_m = positive_m("--cell", args.cell)?;
    if args.hosts == 0 {
        anyhow::bail!("--hosts 0: choose at least one place");
    }
    let mut filter = filter_from_args(&input.filter)?;
    if input.filter.hours.is_none() {
        filter.hours = Some(HourRange::EVENINGS_AND_NIGHTS);
        eprintln!("Time window 18-6 (evenings and nights); --hours 0-24 takes the whole day");
    }
    let candidates: Option<Vec<Candidate>> = args
        .candidates
        .as_deref()
        .map(geo_input::read_candidates)
        .transpose()?;
    if let Some(c) = &candidates
        && c.len() < args.hosts
    {
        eprintln!(
            "note: only {} candidate place(s) for {} hosts; all of them are chosen",
            c.len(),
            args.hosts
        );
    }
    let progress = TerminalProgress::new();
    let mut timings = Timings::new();
    let (loaded, ()) = open_and_load(input, &filter, &progress, &mut timings, |_| Ok(()))?;
    let params = PlacesParams {
        k: args.hosts,
        radius_m,
        cell_m,
        ..PlacesParams::default()
    };
    progress.stage("Choosing places", 0);
    let places = match strategic_places(
        &loaded.xy,
        candidates.as_deref(),
        &params,
        &CancelToken::new(),
    ) {
        Ok(p) => p,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded);
        }
    };
    timings.lap("strategic places");
    let candidates_desc = match &args.candidates {
        Some(p) => json!(file_name(p)),
        None => json!("grid cells with incidents"),
    };
    let parameters = json!({
        "analysis": "places",
        "hosts": params.k,
        "radius_m": radius_m,
        "cell_m": cell_m,
        "candidates": candidates_desc,
        "covered": places.covered,
        "total": places.total,
        "share": places.share,
        "upper_bound": places.upper_bound,
    });
    let made_from = loaded.made_from(&filter, places.incidents_used, parameters);
    let mut layer = places_layer(&places, made_from);
    layer.name = layer_name;
    progress.stage("Writing", 0);
    write_layer(&layer, kind, &input.out)?;
    progress.finish();
    timings.lap("write output");

    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<Value> = places
            .places
            .iter()
            .map(|p| {
                let ll = wgs84_from_sweref(Sweref99Tm {
                    easting: p.xy[0],
                    northing: p.xy[1],
                });
                json!({
                    "rank": p.rank,
                    "name": p.name,
                    "x": p.xy[0],
                    "y": p.xy[1],
                    "lon": export::geojson::round_coord(ll.lon),
                    "lat": export::geojson::round_coord(ll.lat),
                    "covered": p.covered,
                    "gain": p.gain,
                    "share": if places.total > 0.0 { p.covered / places.total } else { 0.0 },
                })
            })
            .collect();
        let value = json!({
            "project": input.project,
            "name": loaded.name,
            "synthetic": loaded.synthetic,
            "filter": filter.describe(),
            "incidents": places.incidents_used,
            "coarse_excluded": loaded.coarse_excluded,
            "hosts": params.k,
            "radius_m": radius_m,
            "cell_m": cell_m,
            "candidates": candidates_desc,
            "covered": places.covered,
            "total": places.total,
            "share": places.share,
            "upper_bound": places.upper_bound,
            "optimality_ratio": places.optimality_ratio(),
            "places": list,
            "out": input.out,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "Strategic places: {} host(s), {radius_m} m walking radius, {} incidents ({})",
        params.k,
        places.incidents_used,
        filter.describe()
    )?;
    writeln!(
        out,
        "  {:>4}  {:>9}  {:>9}  {:>7}  place",
        "rank", "covered", "gain", "share"
    )?;
    for p in &places.places {
        let ll = wgs84_from_sweref(Sweref99Tm {
            easting: p.xy[0],
            northing: p.xy[1],
        });
        let share = if places.total > 0.0 {
            p.covered / places.total * 100.0
        } else {
            0.0
        };
        writeln!(
            out,
            "  {:>4}  {:>9}  {:>9}  {:>6.1}%  {}{:.5}, {:.5}",
            p.rank,
            num(p.covered),
            num(p.gain),
            share,
            p.name
                .as_deref()
                .map(|n| format!("{n}: "))
                .unwrap_or_default(),
            ll.lat,
            ll.lon
        )?;
    }
    writeln!(
        out,
        "Covered {} of {} incidents ({:.1} %); upper bound on the optimum {} (at least {:.1} % of the best possible coverage)",
        num(places.covered),
        num(places.total),
        places.share * 100.0,
        num(places.upper_bound),
        places.optimality_ratio() * 100.0
    )?;
    writeln!(
        out,
        "Wrote {} ({}, {} places)",
        input.out.display(),
        kind_name(kind),
        layer.features.len()
    )?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use lagesbild::crs::wgs84_from_sweref;
    use lagesbild::model::{Category, Source};

    fn point(e: f64, n: f64, precision_m: f64, day: u32) -> IncidentPoint {
        IncidentPoint {
            fid: 0,
            occurred_at: chrono::Utc
                .with_ymd_and_hms(2025, 3, day, 12, 0, 0)
                .unwrap(),
            category: Category::Vald,
            source: Source::Polis,
            position: wgs84_from_sweref(Sweref99Tm {
                easting: e,
                northing: n,
            }),
            precision_m,
        }
    }

    #[test]
    fn projection_keeps_order_and_counts_what_it_leaves_out() {
        let mut points: Vec<IncidentPoint> = (0..120_000)
            .map(|i| {
                point(
                    470_000.0 + i as f64 * 0.1,
                    6_211_000.0,
                    10.0,
                    1 + (i % 28) as u32,
                )
            })
            .collect();
        points[5].precision_m = 20_000.0;
        points[7].position = lagesbild::model::LonLat::new(f64::NAN, 0.0);
        let parts = project_parallel(&points, false);
        assert!(!parts.is_empty());
        let xy: Vec<[f64; 2]> = parts.iter().flat_map(|p| p.xy.iter().copied()).collect();
        assert_eq!(xy.len(), 120_000 - 2);
        assert_eq!(parts.iter().map(|p| p.coarse).sum::<usize>(), 1);
        assert_eq!(parts.iter().map(|p| p.unprojectable).sum::<usize>(), 1);
        // In order: eastings grow.
        assert!(xy.windows(2).all(|w| w[1][0] > w[0][0]));
        assert!((xy.last().unwrap()[0] - (470_000.0 + 119_999.0 * 0.1)).abs() < 0.001);
        let with_coarse = project_parallel(&points, true);
        assert_eq!(
            with_coarse.iter().map(|p| p.xy.len()).sum::<usize>(),
            120_000 - 1
        );
    }

    #[test]
    fn date_spans_partition_the_filter() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        let filter = Filter {
            hours: Some(HourRange::EVENINGS_AND_NIGHTS),
            ..Filter::default()
        };
        let spans = split_by_date(&filter, d(1, 1), d(1, 10), 3).unwrap();
        let ranges: Vec<_> = spans
            .iter()
            .map(|f| (f.from.unwrap(), f.to.unwrap()))
            .collect();
        assert_eq!(
            ranges,
            [(d(1, 1), d(1, 3)), (d(1, 4), d(1, 6)), (d(1, 7), d(1, 10))]
        );
        assert!(spans.iter().all(|f| f.hours == filter.hours));
        // The user's own dates narrow the range.
        let narrow = Filter {
            from: Some(d(1, 5)),
            to: Some(d(3, 1)),
            ..Filter::default()
        };
        let spans = split_by_date(&narrow, d(1, 1), d(1, 10), 2).unwrap();
        assert_eq!(spans[0].from, Some(d(1, 5)));
        assert_eq!(spans[0].to, Some(d(1, 7)));
        assert_eq!(spans[1].from, Some(d(1, 8)));
        assert_eq!(spans[1].to, Some(d(1, 10)));
        // Too few days, one thread, or an empty range: no split.
        assert!(split_by_date(&filter, d(1, 1), d(1, 1), 2).is_none());
        assert!(split_by_date(&filter, d(1, 1), d(1, 10), 1).is_none());
        assert!(split_by_date(&narrow, d(4, 1), d(5, 1), 2).is_none());
    }

    #[test]
    fn ascii_json_reads_back_the_same() {
        let v = json!({"project": "Sölvesborg – 𝄞", "n": 3});
        let text = ascii_json(&v);
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("S\\u00f6lvesborg"), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn output_kinds_and_layer_names() {
        let allowed = [OutputKind::GeoJson, OutputKind::GeoPackage];
        assert_eq!(
            output_kind(Path::new("a/h.GEOJSON"), "hotspots", &allowed).unwrap(),
            OutputKind::GeoJson
        );
        let err = output_kind(Path::new("h.tif"), "hotspots", &allowed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--out h.tif: hotspots writes .geojson, .gpkg; the extension picks the format"
        );
        assert!(output_kind(Path::new("h.shp"), "hotspots", &allowed).is_err());
        let mut input = AnalysisInput {
            project: "p.gpkg".into(),
            filter: Default::default(),
            include_coarse: false,
            out: "o.gpkg".into(),
            layer: None,
        };
        assert_eq!(layer_name(&input, "heatmap").unwrap(), "heatmap");
        input.layer = Some("kvall_2025".into());
        assert_eq!(layer_name(&input, "heatmap").unwrap(), "kvall_2025");
        for bad in ["1a", "a-b", "gpkg_contents", "", "a b"] {
            input.layer = Some(bad.into());
            assert!(layer_name(&input, "heatmap").is_err(), "{bad}");
        }
        assert!(positive_m("--cell", 0.0).is_err());
        assert!(positive_m("--cell", f64::NAN).is_err());
        assert_eq!(positive_m("--cell", 25.0).unwrap(), 25.0);
    }
}
