//! `lagesbild heatmap | hotspots | places PROJECT.gpkg [filters] … --out FILE`
//!
//! Each command settles the study area (`--area`, `--no-area` or the one
//! kept in the project), loads and analyses through the one analysis engine
//! the app uses too ([`lagesbild::analysis::engine`]: coarse incidents left
//! out unless `--include-coarse`), and writes the result with
//! [`lagesbild::export`], in the format the output's extension names. Writers
//! go through a temporary file in the same folder, so a failed run never
//! leaves a half-written file. Every vector output says what it was made from
//! ([`lagesbild::export::MadeFrom`]); notes go to stderr, the summary to
//! stdout (with `places --json` only the JSON).

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use lagesbild::analysis::engine::{
    self, AreaChoice, Counts, EngineError, HeatmapRequest, HotspotRequest, Loaded, PlacesRequest,
    Selection,
};
use lagesbild::analysis::{AnalysisError, HotspotClass, Kernel, StudyArea, inputs};
use lagesbild::crs::{Sweref99Tm, wgs84_from_sweref};
use lagesbild::export::layers::{
    HotspotExport, heatmap_edges, heatmap_layer, hotspot_layer, places_layer,
};
use lagesbild::export::{self, Layer, OutputKind};
use lagesbild::jobs::{CancelToken, Progress as _};
use lagesbild::model::{Filter, HourRange};
use lagesbild::store::{self, BoxedStore};
use serde_json::{Value, json};

use super::args::{AnalysisInput, HeatmapArgs, HotspotsArgs, KernelArg, PlacesArgs};
use super::progress::TerminalProgress;
use super::{Outcome, filter_from_args};

/// Most density classes `heatmap --classes` accepts.
const MAX_CLASSES: usize = 20;

/// Wall-clock time of each step on stderr when `LAGESBILD_TIMINGS=1`, to
/// see where a whole command's time goes.
pub(super) struct Timings {
    enabled: bool,
    start: std::time::Instant,
    last: std::time::Instant,
}

impl Timings {
    pub(super) fn new() -> Timings {
        let now = std::time::Instant::now();
        Timings {
            enabled: std::env::var("LAGESBILD_TIMINGS").as_deref() == Ok("1"),
            start: now,
            last: now,
        }
    }

    pub(super) fn lap(&mut self, step: &str) {
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

/// The output format from `--out`'s extension, if the command can write it.
pub(super) fn output_kind(
    out: &Path,
    command: &str,
    allowed: &[OutputKind],
) -> anyhow::Result<OutputKind> {
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
pub(super) fn layer_name(input: &AnalysisInput, default: &str) -> anyhow::Result<String> {
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
pub(super) fn positive_m(flag: &str, value: f64) -> anyhow::Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        anyhow::bail!("{flag} {value}: must be a positive number of metres")
    }
}

pub(super) fn open_project(path: &Path) -> anyhow::Result<BoxedStore> {
    // A database URL goes to the factory, which refuses it without echoing
    // its password; only a file path can be missing.
    let location = store::Location::from(path);
    if let store::Location::File(file) = &location
        && !file.exists()
    {
        anyhow::bail!("{}: no such project file", file.display());
    }
    Ok(store::open(location)?)
}

/// Opens the command's project, settles the study area (`--area` keeps a new
/// one in the project, `--no-area` ignores the kept one), loads the incidents
/// through the engine and prints the notes on what was left out. The project
/// stays open for the export log (a database is not connected to twice).
pub(super) fn open_and_load(
    input: &AnalysisInput,
    filter: &Filter,
    progress: &TerminalProgress,
    timings: &mut Timings,
) -> anyhow::Result<(Loaded, BoxedStore)> {
    let mut project = open_project(&input.project)?;
    timings.lap("open project");
    let area = study_area(project.as_mut(), input)?;
    progress.stage("Loading incidents", 0);
    let selection = Selection {
        filter: filter.clone(),
        include_coarse: input.include_coarse,
        area,
    };
    let loaded = engine::load(
        project.as_ref(),
        &selection,
        &file_name(&input.project),
        &CancelToken::new(),
    )
    .map_err(|e| stored_area_hint(e, input))?;
    timings.lap("load incidents");
    print_notes(&loaded.counts());
    Ok((loaded, project))
}

fn stored_area_hint(e: EngineError, input: &AnalysisInput) -> anyhow::Error {
    match e {
        EngineError::StoredArea(_) => anyhow::anyhow!(
            "{}: {e}; give --area FILE or --no-area",
            input.project.display()
        ),
        other => other.into(),
    }
}

/// The study area: from `--area` (then kept in the project), else the one
/// kept in the project unless `--no-area`.
fn study_area(project: &mut dyn store::Store, input: &AnalysisInput) -> anyhow::Result<AreaChoice> {
    if let Some(path) = &input.area {
        let area = inputs::read_area(path)?;
        engine::keep_area(project, &area).context("keeping the study area in the project")?;
        eprintln!(
            "Study area from {} ({}) kept in the project; later runs use it unless --no-area",
            path.display(),
            area_size(&area)
        );
        return Ok(AreaChoice::Given(area));
    }
    if input.no_area {
        return Ok(AreaChoice::NoArea);
    }
    match engine::stored_area(project).map_err(|e| stored_area_hint(e, input))? {
        Some(area) => {
            eprintln!(
                "Using the study area kept in the project (from {}, {}); --no-area ignores it",
                area.source,
                area_size(&area)
            );
            if area.source == inputs::DEFAULT_BOUNDARY_SOURCE {
                eprintln!(
                    "note: this is the coarse default boundary shipped with Lägesbild (off by up to a few hundred metres along the coast); replace it with your GIS unit's own with --area FILE"
                );
            }
            Ok(AreaChoice::Given(area))
        }
        None => Ok(AreaChoice::NoArea),
    }
}

fn area_size(area: &StudyArea) -> String {
    let [w, h] = area.size_km();
    format!("{w:.1} × {h:.1} km, {:.1} km²", area.area_km2())
}

/// Notes on stderr about incidents left out.
fn print_notes(c: &Counts) {
    if c.coarse_excluded > 0 {
        eprintln!(
            "note: {} coarse incident(s) (e.g. the police's municipality-level events) left out; --include-coarse keeps them",
            c.coarse_excluded
        );
    }
    if c.unprojectable > 0 {
        eprintln!(
            "note: {} incident(s) left out: their position cannot be converted to SWEREF 99 TM",
            c.unprojectable
        );
    }
}

pub(super) fn print_outside(outside: usize) {
    if outside > 0 {
        eprintln!("note: {outside} incident(s) outside the study area left out");
    }
}

/// Turns an analysis error into the command's outcome: nothing to analyse
/// is a failed run (exit 1) with a message, the rest are errors.
pub(super) fn analysis_failed(err: AnalysisError, counts: &Counts) -> anyhow::Result<Outcome> {
    match err {
        AnalysisError::NoIncidents => {
            eprintln!(
                "No incidents to analyse: {} match the filter, {} of them with a precise position. Nothing written.",
                counts.matched, counts.used
            );
            Ok(Outcome::Failed)
        }
        other => Err(other.into()),
    }
}

/// Writes a vector layer as GeoJSON or into a GeoPackage.
pub(super) fn write_layer(layer: &Layer, kind: OutputKind, out: &Path) -> anyhow::Result<()> {
    match kind {
        OutputKind::GeoPackage => export::gpkg::write_layer(layer, out)?,
        _ => export::geojson::write(layer, out)?,
    }
    Ok(())
}

pub(super) fn kind_name(kind: OutputKind) -> &'static str {
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
    let (loaded, mut project) = open_and_load(input, &filter, &progress, &mut timings)?;
    let request = HeatmapRequest {
        bandwidth_m,
        cell_m,
        kernel: match args.kernel {
            KernelArg::Quartic => Kernel::Quartic,
            KernelArg::Gaussian => Kernel::Gaussian,
        },
    };
    progress.stage("Computing heatmap", 0);
    let mut result = match loaded.heatmap(&request, &CancelToken::new()) {
        Ok(m) => m,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded.counts());
        }
    };
    timings.lap("heatmap");
    let suppressed =
        export::privacy::suppress_heatmap(&mut result.heatmap, &loaded, args.min_count);
    if suppressed > 0 {
        eprintln!(
            "note: {suppressed} cells that fewer than {} incidents reach are written as zero (--min-count)",
            args.min_count
        );
    }
    let map = &result.heatmap;
    print_outside(map.outside_area);
    if result.cell_enlarged {
        eprintln!(
            "note: cells of {} m (not bandwidth / 10) keep the grid under {} million cells; --cell sets them",
            map.grid.cell_m,
            engine::AUTO_MAX_CELLS / 1e6
        );
    }
    let params = &map.params;
    let grid = &map.grid;
    progress.stage("Writing", 0);
    let mut parameters = json!({
        "analysis": "heatmap",
        "kernel": params.kernel.key(),
        "bandwidth_m": bandwidth_m,
        "cell_m": grid.cell_m,
        "unit": "incidents per km²",
        "study_area": loaded.area_json(),
        "outside_area": map.outside_area,
        "min_count": args.min_count,
        "suppressed_cells": suppressed,
    });
    let mut classes = None;
    match kind {
        OutputKind::GeoTiff | OutputKind::Png => {
            let made_from = loaded.made_from(&filter.describe(), map.incidents_used, parameters);
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
            super::export::record_in(
                project.as_mut(),
                "heatmap",
                &input.out,
                &["density_per_km2".to_owned()],
            )?;
        }
        OutputKind::GeoJson | OutputKind::GeoPackage => {
            let edges = heatmap_edges(grid, args.classes);
            parameters["classes"] = json!(edges.len().saturating_sub(1));
            parameters["class_method"] = json!("quantiles");
            let made_from = loaded.made_from(&filter.describe(), map.incidents_used, parameters);
            let mut layer = heatmap_layer(grid, &edges, made_from);
            layer.name = layer_name;
            classes = Some(layer.features.len());
            write_layer(&layer, kind, &input.out)?;
            let fields = super::export::layer_fields(&layer);
            super::export::record_in(project.as_mut(), "heatmap", &input.out, &fields)?;
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
/// decimals, others with one; "–" when suppressed (`NaN`).
fn num(v: f64) -> String {
    if v.is_nan() {
        return "–".to_owned();
    }
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
    let (loaded, mut project) = open_and_load(input, &filter, &progress, &mut timings)?;
    let params = HotspotRequest {
        cell_m,
        band_m,
        fdr: !args.no_fdr,
    };
    progress.stage("Computing hotspots", 0);
    let h = match loaded.hotspots(&params, &CancelToken::new()) {
        Ok(h) => h,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded.counts());
        }
    };
    timings.lap("hotspots");
    print_outside(h.outside_area);
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
        "grid": {"x0": h.x0, "y0": h.y0, "nx": h.nx, "ny": h.ny, "cells_in_area": h.cells.len(), "crs": "EPSG:3006"},
        "study_area": loaded.area_json(),
        "outside_area": h.outside_area,
    });
    let made_from = loaded.made_from(&filter.describe(), h.incidents_used, parameters);
    let mut layer = hotspot_layer(&h, options, made_from);
    layer.name = layer_name;
    progress.stage("Writing", 0);
    write_layer(&layer, kind, &input.out)?;
    let fields = super::export::layer_fields(&layer);
    super::export::record_in(project.as_mut(), "hotspots", &input.out, &fields)?;
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
    let candidates = args
        .candidates
        .as_deref()
        .map(inputs::read_candidates)
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
    let fixed = match &args.fixed {
        Some(path) => inputs::read_candidates(path)?,
        None => Vec::new(),
    };
    if fixed.len() > args.hosts {
        anyhow::bail!(
            "--fixed {}: {} fixed places, more than --hosts {}",
            args.fixed
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            fixed.len(),
            args.hosts
        );
    }
    let network = args
        .network
        .as_deref()
        .map(super::route::read_network)
        .transpose()?
        .map(std::sync::Arc::new);
    let progress = TerminalProgress::new();
    let mut timings = Timings::new();
    let (loaded, mut project) = open_and_load(input, &filter, &progress, &mut timings)?;
    let request = PlacesRequest {
        k: args.hosts,
        radius_m,
        cell_m,
        // The time window is in the filter already.
        hours: None,
        candidates,
        fixed,
        network,
    };
    progress.stage("Choosing places", 0);
    let result = match loaded.places(&request, &CancelToken::new()) {
        Ok(p) => p,
        Err(e) => {
            progress.finish();
            return analysis_failed(e, &loaded.counts());
        }
    };
    timings.lap("strategic places");
    if let Some(warning) =
        export::privacy::check_min_count(args.min_count).map_err(anyhow::Error::msg)?
    {
        eprintln!("{warning}");
    }
    let (suppressed_places, dropped) =
        export::privacy::suppress_places(&result.places, args.min_count);
    if dropped > 0 {
        eprintln!(
            "note: {dropped} place(s) covering fewer than {} incidents left out (--min-count)",
            args.min_count
        );
    }
    let places = &suppressed_places;
    let params = &places.params;
    print_outside(places.outside_area);
    if places.candidates_outside > 0 {
        eprintln!(
            "note: {} candidate place(s) outside the study area left out",
            places.candidates_outside
        );
    }
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
        "fixed": args.fixed.as_deref().map(file_name),
        "distance": if args.network.is_some() { "walking (network)" } else { "straight line" },
        "covered": places.covered,
        "total": places.total,
        "share": places.share,
        "upper_bound": places.upper_bound,
        "study_area": loaded.area_json(),
        "outside_area": places.outside_area,
    });
    let made_from = loaded.made_from(&filter.describe(), places.incidents_used, parameters);
    let mut layer = places_layer(places, made_from);
    layer.name = layer_name;
    progress.stage("Writing", 0);
    write_layer(&layer, kind, &input.out)?;
    let fields = super::export::layer_fields(&layer);
    super::export::record_in(project.as_mut(), "places", &input.out, &fields)?;
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
                    "fixed": p.fixed,
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
            "coarse_excluded": result.coarse_excluded,
            "outside_area": places.outside_area,
            "candidates_outside": places.candidates_outside,
            "study_area": loaded.area_json(),
            "hosts": params.k,
            "radius_m": radius_m,
            "cell_m": cell_m,
            "candidates": candidates_desc,
            "fixed": args.fixed.as_deref().map(file_name),
            "network": args.network.as_deref().map(file_name),
            "covered": places.covered,
            "total": places.total,
            "share": places.share,
            "upper_bound": places.upper_bound,
            "optimality_ratio": (!places.covered.is_nan()).then(|| places.optimality_ratio()),
            "min_count": args.min_count,
            "places": list,
            "out": input.out,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "Strategic places: {} host(s), {radius_m} m {} radius, {} incidents ({})",
        params.k,
        if args.network.is_some() {
            "walking (along the network)"
        } else {
            "straight-line"
        },
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
            "  {:>4}  {:>9}  {:>9}  {:>6.1}%  {}{}{:.5}, {:.5}",
            p.rank,
            num(p.covered),
            num(p.gain),
            share,
            if p.fixed { "[fixed] " } else { "" },
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
        if places.covered.is_nan() {
            f64::NAN
        } else {
            places.optimality_ratio() * 100.0
        }
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
            area: None,
            no_area: false,
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
