//! The analysis computation the app runs off the UI thread: heatmap, Gi*
//! hotspots and strategic places for one filter and one set of parameters,
//! plus everything the map needs to draw them without recomputing (the
//! heatmap as an RGBA image, WGS84 corners of the mesh and of hotspot cells).
//!
//! Places use their own time window (default 18–06) on top of the filter, as
//! the command line does. Coarse-precision incidents are left out of all
//! three and counted for the note.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Timelike as _, Utc};
use serde_json::json;

use crate::analysis::engine::{
    self, AreaChoice, EngineError, HeatmapRequest, HotspotRequest, PlacesRequest, Selection,
};
use crate::analysis::{
    AnalysisError, Heatmap, HotspotClass, Hotspots, IncidentIndex, Kernel, Places, StudyArea,
};
use crate::crs::{Sweref99Tm, wgs84_from_sweref};
use crate::export::MadeFrom;
use crate::gui::i18n::{Key, Language, tr};
use crate::jobs::{CancelToken, Progress};
use crate::model::{Filter, HourRange, LonLat, Precision, time};

/// Largest side of the heatmap texture; larger grids are reduced (block maximum).
pub const MAX_TEXTURE_SIDE: usize = 4096;
/// Subdivisions per side of the mesh that carries the heatmap texture.
pub const MESH_STEPS: usize = 32;
/// Legend classes of the heatmap (quantiles of the values above zero).
pub const HEAT_CLASSES: usize = 5;

/// Every parameter the user can set in the analysis panel.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AnalysisParams {
    /// Heatmap bandwidth (quartic radius or Gaussian σ), metres.
    pub bandwidth_m: f64,
    /// Heatmap cell size in metres; `None` = automatic (bandwidth / 10).
    pub heat_cell_m: Option<f64>,
    pub kernel: Kernel,
    /// Hotspot grid cell, metres; also the demand grid of strategic places.
    pub hotspot_cell_m: f64,
    /// Hotspot distance band, metres.
    pub band_m: f64,
    /// Walking radius of a strategic place, metres.
    pub radius_m: f64,
    /// Number of strategic places (hosts).
    pub k: usize,
    /// The hours strategic places look at, on top of the filter.
    pub places_hours: HourRange,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        AnalysisParams {
            bandwidth_m: 200.0,
            heat_cell_m: None,
            kernel: Kernel::Quartic,
            hotspot_cell_m: 100.0,
            band_m: 300.0,
            radius_m: 300.0,
            k: 6,
            places_hours: HourRange::EVENINGS_AND_NIGHTS,
        }
    }
}

/// What one analysis run reads: the project (at `path`, through the
/// analysis engine, with its stored study area) and the index the map shows
/// (kept with the result, to select the incidents a place covers).
#[derive(Clone)]
pub struct AnalysisInput {
    pub path: PathBuf,
    pub index: Arc<IncidentIndex>,
    pub filter: Filter,
    pub params: AnalysisParams,
    pub project_name: String,
    pub synthetic: bool,
}

/// The heatmap and what the map draws of it.
pub struct HeatmapView {
    pub heatmap: Heatmap,
    /// Class edges in incidents per km²: the smallest value above zero, then
    /// the upper limit of each class (the last is the largest value).
    pub edges: Vec<f64>,
    /// The grid coloured through [`heat_color`], north row first (possibly
    /// reduced to at most [`MAX_TEXTURE_SIDE`] per side).
    pub image: Arc<egui::ColorImage>,
    /// WGS84 positions of the (MESH_STEPS + 1)² mesh vertices, row-major from
    /// the south-west corner of the grid.
    pub mesh_lonlat: Vec<LonLat>,
    /// The grid's extent, SWEREF 99 TM metres.
    pub extent: ([f64; 2], [f64; 2]),
    pub made_from: MadeFrom,
}

/// One significant hotspot cell, ready to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawnCell {
    pub class: HotspotClass,
    /// Cell centre, SWEREF 99 TM metres (for culling).
    pub center: [f64; 2],
    /// Corners SW, SE, NE, NW in WGS84.
    pub corners: [LonLat; 4],
}

/// The hotspots and their significant cells.
pub struct HotspotView {
    pub hotspots: Hotspots,
    pub cells: Vec<DrawnCell>,
    /// Cells per class in [`HotspotClass::ALL`] order.
    pub class_counts: [usize; 7],
    pub made_from: MadeFrom,
}

/// The strategic places and their positions.
pub struct PlacesView {
    pub places: Places,
    /// WGS84 position of each chosen place, in rank order.
    pub positions: Vec<LonLat>,
    /// Precise incidents in the filter and time window.
    pub incidents: usize,
    pub coarse_excluded: usize,
    pub made_from: MadeFrom,
    /// Per place (rank order): how many incidents clicking it selects
    /// ([`place_selection`]); the count the list shows.
    pub selected: Vec<usize>,
}

impl PlacesView {
    /// The places as an aggregated output shows them
    /// ([`crate::export::privacy::suppress_places`]): a place covering 1 … N−1
    /// incidents is left out with its position, as a map picture or report
    /// must not point at a lone incident.
    pub fn suppressed(&self, min_count: u32) -> PlacesView {
        let (places, _) = crate::export::privacy::suppress_places(&self.places, min_count);
        let kept: Vec<usize> = places
            .places
            .iter()
            .filter_map(|p| self.places.places.iter().position(|q| q.rank == p.rank))
            .collect();
        PlacesView {
            positions: kept
                .iter()
                .filter_map(|&i| self.positions.get(i).copied())
                .collect(),
            selected: kept
                .iter()
                .filter_map(|&i| self.selected.get(i).copied())
                .collect(),
            places,
            incidents: self.incidents,
            coarse_excluded: self.coarse_excluded,
            made_from: self.made_from.clone(),
        }
    }
}

/// One finished run.
pub struct AnalysisOutput {
    pub index: Arc<IncidentIndex>,
    pub filter: Filter,
    pub params: AnalysisParams,
    /// The study area the run used (the project's stored one), if any.
    pub area: Option<StudyArea>,
    /// Precise incidents that passed the filter (heatmap and hotspots).
    pub incidents: usize,
    /// Incidents that passed the filter but have a coarse position.
    pub coarse_excluded: usize,
    pub heatmap: Result<HeatmapView, AnalysisError>,
    pub hotspots: Result<HotspotView, AnalysisError>,
    pub places: Result<PlacesView, AnalysisError>,
}

/// Runs the three analyses through the analysis engine, as the command
/// line does. Fails when cancelled or the project cannot be read; each
/// analysis's own error (e.g. no incidents in the time window) is kept in its
/// field.
pub fn compute(
    input: &AnalysisInput,
    lang: Language,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<AnalysisOutput, EngineError> {
    let p = &input.params;
    let project = crate::store::open(input.path.as_path())?;
    let selection = Selection {
        filter: input.filter.clone(),
        include_coarse: false,
        area: AreaChoice::Stored,
    };
    let mut loaded = engine::load(project.as_ref(), &selection, &input.project_name, cancel)?;
    drop(project);
    loaded.name = input.project_name.clone();
    loaded.synthetic = input.synthetic;
    let counts = loaded.counts();
    cancel.check().map_err(AnalysisError::from)?;
    let filter_text = input.filter.describe();
    let area_json = loaded.area_json();

    progress.stage(tr(lang, Key::AnHeatmapStage), 3);
    let heat_request = HeatmapRequest {
        bandwidth_m: p.bandwidth_m,
        cell_m: p.heat_cell_m,
        kernel: p.kernel,
    };
    let heat = match loaded.heatmap(&heat_request, cancel) {
        Ok(r) => {
            let mut h = r.heatmap;
            // As `lagesbild heatmap`: no bump around fewer than 3 incidents,
            // on screen or in an export.
            let suppressed = crate::export::privacy::suppress_heatmap(
                &mut h,
                &loaded,
                crate::export::privacy::DEFAULT_MIN_COUNT,
            );
            let m = loaded.made_from(
                &filter_text,
                h.incidents_used,
                json!({
                    "analysis": "heatmap",
                    "kernel": h.params.kernel.key(),
                    "bandwidth_m": h.params.bandwidth_m,
                    "cell_m": h.params.effective_cell_m(),
                    "unit": "incidents per km²",
                    "study_area": area_json,
                    "outside_area": h.outside_area,
                    "min_count": crate::export::privacy::DEFAULT_MIN_COUNT,
                    "suppressed_cells": suppressed,
                }),
            );
            Ok(heatmap_view(h, m))
        }
        Err(AnalysisError::Cancelled) => return Err(AnalysisError::Cancelled.into()),
        Err(e) => Err(e),
    };
    progress.advance(1);
    cancel.check().map_err(AnalysisError::from)?;

    progress.stage(tr(lang, Key::AnHotspotsStage), 3);
    let hot_request = HotspotRequest {
        cell_m: p.hotspot_cell_m,
        band_m: p.band_m,
        fdr: true,
    };
    let hot = match loaded.hotspots(&hot_request, cancel) {
        Ok(h) => {
            let m = loaded.made_from(
                &filter_text,
                h.incidents_used,
                json!({
                    "analysis": "hotspots",
                    "statistic": "Getis-Ord Gi*",
                    "cell_m": h.params.cell_m,
                    "band_m": h.params.band_m,
                    "fdr": h.params.fdr,
                    "study_area": area_json,
                    "outside_area": h.outside_area,
                }),
            );
            Ok(hotspot_view(h, m))
        }
        Err(AnalysisError::Cancelled) => return Err(AnalysisError::Cancelled.into()),
        Err(e) => Err(e),
    };
    progress.advance(1);
    cancel.check().map_err(AnalysisError::from)?;

    progress.stage(tr(lang, Key::AnPlacesStage), 3);
    let places_request = PlacesRequest {
        k: p.k,
        radius_m: p.radius_m,
        cell_m: p.hotspot_cell_m,
        hours: (!p.places_hours.is_whole_day()).then_some(p.places_hours),
        candidates: None,
        fixed: Vec::new(),
        network: None,
    };
    let places = match loaded.places(&places_request, cancel) {
        Ok(r) => {
            let pl = r.places;
            let mut m = loaded.made_from(
                &places_filter_text(&input.filter, p.places_hours),
                r.incidents,
                json!({
                    "analysis": "strategic_places",
                    "k": pl.params.k,
                    "radius_m": pl.params.radius_m,
                    "cell_m": pl.params.cell_m,
                    "hours": p.places_hours.to_string(),
                    "covered": pl.covered,
                    "total": pl.total,
                    "share": pl.share,
                    "upper_bound": pl.upper_bound,
                    "study_area": area_json,
                    "outside_area": pl.outside_area,
                }),
            );
            m.period = r.period;
            m.coarse_excluded = r.coarse_excluded;
            let positions = pl.places.iter().map(|c| to_lonlat(c.xy)).collect();
            let selected = pl
                .places
                .iter()
                .map(|c| {
                    place_selection(
                        &input.index,
                        &input.filter,
                        p.places_hours,
                        c.xy,
                        pl.params.radius_m,
                        loaded.area.as_ref(),
                    )
                    .len()
                })
                .collect();
            Ok(PlacesView {
                places: pl,
                positions,
                selected,
                incidents: r.incidents,
                coarse_excluded: r.coarse_excluded,
                made_from: m,
            })
        }
        Err(AnalysisError::Cancelled) => return Err(AnalysisError::Cancelled.into()),
        Err(e) => Err(e),
    };
    progress.advance(1);

    Ok(AnalysisOutput {
        index: input.index.clone(),
        filter: input.filter.clone(),
        params: input.params.clone(),
        area: loaded.area.clone(),
        incidents: counts.used,
        coarse_excluded: counts.coarse_excluded,
        heatmap: heat,
        hotspots: hot,
        places,
    })
}

/// The filter's description with the places' time window added.
fn places_filter_text(filter: &Filter, hours: HourRange) -> String {
    let base = filter.describe();
    if hours.is_whole_day() {
        base
    } else if base.is_empty() {
        format!("places hours {hours}")
    } else {
        format!("{base}; places hours {hours}")
    }
}

/// Does the incident's local hour lie in `hours`? (Always for the whole day.)
pub fn in_window(hours: HourRange, at: DateTime<Utc>) -> bool {
    hours.is_whole_day() || hours.contains(time::local(at).hour() as u8)
}

/// The incidents (indices into the index's points) within `radius_m` of
/// `center` that pass the filter and the time window and have a precise
/// position: an R-tree query, ascending.
pub fn covered_incidents(
    index: &IncidentIndex,
    filter: &Filter,
    hours: HourRange,
    center: [f64; 2],
    radius_m: f64,
) -> Vec<usize> {
    let points = index.points();
    let mut out: Vec<usize> = index
        .within_distance(center, radius_m)
        .filter(|&i| {
            let p = &points[i];
            p.precision_m <= Precision::COARSE_ABOVE_M
                && filter.matches_parts(p.occurred_at, p.category, p.source)
                && in_window(hours, p.occurred_at)
        })
        .collect();
    out.sort_unstable();
    out
}

/// The incidents a strategic place at `center` selects: those
/// [`covered_incidents`] finds, inside the study area when there is one.
pub fn place_selection(
    index: &IncidentIndex,
    filter: &Filter,
    hours: HourRange,
    center: [f64; 2],
    radius_m: f64,
    area: Option<&StudyArea>,
) -> Vec<usize> {
    let mut covered = covered_incidents(index, filter, hours, center, radius_m);
    if let Some(area) = area {
        let xy = index.xy();
        covered.retain(|&i| area.contains(xy[i]));
    }
    covered
}

fn to_lonlat(xy: [f64; 2]) -> LonLat {
    wgs84_from_sweref(Sweref99Tm {
        easting: xy[0],
        northing: xy[1],
    })
}

/// Heatmap legend edges: the smallest value above zero, then the upper
/// limits of quantile classes of the values above zero — the same classes
/// as the isobands the command line and the GeoJSON export write
/// ([`crate::export::layers::heatmap_edges`]). Quantiles rather than natural
/// breaks: incidents concentrate so strongly in town centres that natural
/// breaks put nearly the whole map in the lowest class.
pub fn heat_edges(grid: &crate::analysis::Grid) -> Vec<f64> {
    crate::export::layers::heatmap_edges(grid, HEAT_CLASSES)
}

/// The ramp position of `v` in [0, 1] on a logarithmic scale,
/// ln(1 + v/v0) / ln(1 + max/v0), with v0 the upper limit of the lowest
/// class and max the largest value (the last edge): the faint outskirts of
/// a kernel stay pale, and the cores of very dense places still show their
/// structure instead of one flat red. `None` for zero, non-finite or no edges.
pub fn heat_position(v: f64, edges: &[f64]) -> Option<f32> {
    if !(v.is_finite() && v > 0.0) || edges.len() < 2 {
        return None;
    }
    let max = edges[edges.len() - 1];
    if max <= 0.0 {
        return None;
    }
    let v0 = edges[1].min(max).max(f64::MIN_POSITIVE);
    let t = (v / v0).ln_1p() / (max / v0).ln_1p();
    Some(t.clamp(0.0, 1.0) as f32)
}

/// Colour stops of the heatmap ramp, low to high (pale yellow to dark red).
pub const HEAT_STOPS: [[u8; 3]; 6] = [
    [255, 255, 178],
    [254, 217, 118],
    [254, 178, 76],
    [253, 141, 60],
    [240, 59, 32],
    [165, 0, 38],
];

/// The heatmap colour (unmultiplied RGB and alpha) at ramp position `t`.
/// The lowest fifth fades in from transparent, so the map stays readable
/// outside concentrations.
pub fn heat_rgba(t: f32) -> [u8; 4] {
    let t = t.clamp(0.0, 1.0);
    let pos = t * (HEAT_STOPS.len() - 1) as f32;
    let i = (pos.floor() as usize).min(HEAT_STOPS.len() - 2);
    let f = pos - i as f32;
    let mix = |k: usize| {
        (HEAT_STOPS[i][k] as f32 + (HEAT_STOPS[i + 1][k] as f32 - HEAT_STOPS[i][k] as f32) * f)
            .round() as u8
    };
    let fade = (t / 0.2).min(1.0);
    let alpha = fade * (0.35 + 0.55 * t);
    [mix(0), mix(1), mix(2), (alpha * 255.0).round() as u8]
}

/// [`heat_rgba`] of `v` as an egui colour (transparent for zero).
pub fn heat_color(v: f64, edges: &[f64]) -> egui::Color32 {
    match heat_position(v, edges) {
        Some(t) => {
            let [r, g, b, a] = heat_rgba(t);
            egui::Color32::from_rgba_unmultiplied(r, g, b, a)
        }
        None => egui::Color32::TRANSPARENT,
    }
}

fn heatmap_view(h: Heatmap, made_from: MadeFrom) -> HeatmapView {
    let grid = &h.grid;
    let edges = heat_edges(grid);
    // Reduce by an integer factor (block maximum) to fit the texture limit.
    let factor = grid.nx.max(grid.ny).div_ceil(MAX_TEXTURE_SIDE).max(1);
    let w = grid.nx.div_ceil(factor);
    let hgt = grid.ny.div_ceil(factor);
    let mut pixels = Vec::with_capacity(w * hgt);
    for row in 0..hgt {
        // Image row 0 is the north; grid row 0 the south.
        let by = hgt - 1 - row;
        for bx in 0..w {
            let mut v = 0.0f64;
            for iy in by * factor..((by + 1) * factor).min(grid.ny) {
                for ix in bx * factor..((bx + 1) * factor).min(grid.nx) {
                    let x = grid.get(ix, iy);
                    if x.is_finite() && x > v {
                        v = x;
                    }
                }
            }
            pixels.push(heat_color(v, &edges));
        }
    }
    let image = egui::ColorImage::new([w, hgt], pixels);
    // The texture covers whole blocks: a reduced grid may reach past the grid.
    let x0 = grid.x0;
    let y_top = grid.y0 + grid.ny as f64 * grid.cell_m;
    let width_m = (w * factor) as f64 * grid.cell_m;
    let height_m = (hgt * factor) as f64 * grid.cell_m;
    let y0 = y_top - height_m;
    let mut mesh_lonlat = Vec::with_capacity((MESH_STEPS + 1) * (MESH_STEPS + 1));
    for j in 0..=MESH_STEPS {
        for i in 0..=MESH_STEPS {
            let x = x0 + width_m * i as f64 / MESH_STEPS as f64;
            let y = y0 + height_m * j as f64 / MESH_STEPS as f64;
            mesh_lonlat.push(to_lonlat([x, y]));
        }
    }
    HeatmapView {
        extent: ([x0, y0], [x0 + width_m, y_top]),
        edges,
        image: Arc::new(image),
        mesh_lonlat,
        heatmap: h,
        made_from,
    }
}

fn hotspot_view(h: Hotspots, made_from: MadeFrom) -> HotspotView {
    let mut class_counts = [0usize; 7];
    let mut cells = Vec::new();
    for c in &h.cells {
        if let Some(k) = HotspotClass::ALL.iter().position(|x| *x == c.class) {
            class_counts[k] += 1;
        }
        if !c.class.is_significant() {
            continue;
        }
        let (lo, hi) = h.cell_bounds(c.ix, c.iy);
        cells.push(DrawnCell {
            class: c.class,
            center: h.cell_center(c.ix, c.iy),
            corners: [
                to_lonlat([lo[0], lo[1]]),
                to_lonlat([hi[0], lo[1]]),
                to_lonlat([hi[0], hi[1]]),
                to_lonlat([lo[0], hi[1]]),
            ],
        });
    }
    HotspotView {
        hotspots: h,
        cells,
        class_counts,
        made_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::wgs84_from_sweref;
    use crate::model::IncidentPoint;
    use crate::model::{Category, Source};
    use chrono::TimeZone as _;

    fn point(e: f64, n: f64, hour_utc: u32, precision_m: f64) -> IncidentPoint {
        IncidentPoint {
            fid: 0,
            occurred_at: Utc.with_ymd_and_hms(2025, 1, 15, hour_utc, 0, 0).unwrap(),
            category: Category::Vald,
            source: Source::Polis,
            position: wgs84_from_sweref(Sweref99Tm {
                easting: e,
                northing: n,
            }),
            precision_m,
        }
    }

    /// Two clusters: 30 evening incidents (20:00 local) near A, 20 daytime
    /// ones (12:00 local) near B 3 km away, one coarse evening incident.
    fn points() -> Vec<IncidentPoint> {
        let mut pts = Vec::new();
        for i in 0..30 {
            pts.push(point(
                474_000.0 + (i % 5) as f64 * 20.0,
                6_211_000.0 + (i / 5) as f64 * 20.0,
                19,
                10.0,
            ));
        }
        for i in 0..20 {
            pts.push(point(
                477_000.0 + (i % 5) as f64 * 20.0,
                6_211_000.0 + (i / 5) as f64 * 20.0,
                11,
                10.0,
            ));
        }
        pts.push(point(475_000.0, 6_211_000.0, 19, 20_000.0));
        pts
    }

    fn index() -> Arc<IncidentIndex> {
        Arc::new(IncidentIndex::build(points()))
    }

    /// A project holding [`points`], with the index the app would load.
    fn project_input(params: AnalysisParams) -> (tempfile::TempDir, AnalysisInput) {
        use crate::store::Store as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut project = crate::store::Project::create(&path, "Test").unwrap();
        for p in points() {
            project
                .add_incident(&crate::model::Incident::new(
                    p.occurred_at,
                    p.category,
                    p.source,
                    p.position,
                    p.precision_m,
                ))
                .unwrap();
        }
        drop(project);
        let input = AnalysisInput {
            path,
            index: index(),
            filter: Filter::default(),
            params,
            project_name: "Test".into(),
            synthetic: true,
        };
        (dir, input)
    }

    struct NoProgress;
    impl Progress for NoProgress {
        fn stage(&self, _: &str, _: u64) {}
        fn advance(&self, _: u64) {}
    }

    #[test]
    fn places_use_their_time_window_and_coarse_is_counted() {
        let params = AnalysisParams {
            k: 1,
            ..AnalysisParams::default()
        };
        let (_dir, input) = project_input(params);
        let out = compute(&input, Language::Swedish, &NoProgress, &CancelToken::new()).unwrap();
        assert_eq!(out.incidents, 50);
        assert_eq!(out.coarse_excluded, 1);
        let places = out.places.as_ref().unwrap();
        // 18–06 local: only the 30 evening incidents.
        assert_eq!(places.incidents, 30);
        assert_eq!(places.coarse_excluded, 1);
        assert_eq!(places.places.total, 30.0);
        assert_eq!(places.places.covered, 30.0);
        let xy = places.places.places[0].xy;
        assert!((xy[0] - 474_050.0).abs() < 200.0, "{xy:?}");
        assert!(places.made_from.filter.contains("places hours 18-6"));
        assert!(places.made_from.synthetic);

        let whole = AnalysisParams {
            k: 2,
            places_hours: HourRange::WHOLE_DAY,
            ..AnalysisParams::default()
        };
        let (_dir, input) = project_input(whole);
        let out = compute(&input, Language::Swedish, &NoProgress, &CancelToken::new()).unwrap();
        let places = out.places.as_ref().unwrap();
        assert_eq!((places.incidents, places.places.covered), (50, 50.0));
        assert_eq!(places.positions.len(), 2);
    }

    #[test]
    fn a_place_covering_a_lone_incident_is_left_out_of_what_leaves_the_app() {
        let whole = AnalysisParams {
            k: 2,
            places_hours: HourRange::WHOLE_DAY,
            ..AnalysisParams::default()
        };
        let (_dir, input) = project_input(whole);
        let out = compute(&input, Language::Swedish, &NoProgress, &CancelToken::new()).unwrap();
        let mut view = out.places.unwrap();
        assert_eq!(view.positions.len(), 2);
        let first = view.positions[0];
        // The second place covers a single incident.
        view.places.places[1].covered = 1.0;
        view.places.places[1].gain = 1.0;
        let shown = view.suppressed(3);
        assert_eq!(shown.places.places.len(), 1);
        assert_eq!(shown.positions, vec![first]);
        assert_eq!(shown.selected.len(), 1);
        // --min-count 1: everything stays.
        assert_eq!(view.suppressed(1).positions.len(), 2);
    }

    #[test]
    fn heatmap_image_and_mesh_match_the_grid() {
        let (_dir, input) = project_input(AnalysisParams::default());
        let out = compute(&input, Language::English, &NoProgress, &CancelToken::new()).unwrap();
        let heat = out.heatmap.as_ref().unwrap();
        let g = &heat.heatmap.grid;
        assert_eq!(heat.image.size, [g.nx, g.ny]);
        assert_eq!(heat.mesh_lonlat.len(), (MESH_STEPS + 1).pow(2));
        assert_eq!(heat.edges.len(), HEAT_CLASSES + 1);
        assert!(
            heat.edges.windows(2).all(|w| w[0] < w[1]),
            "{:?}",
            heat.edges
        );
        // Far corner pixels are empty, the peak pixel is opaque-ish dark red.
        assert_eq!(heat.image.pixels[0], egui::Color32::TRANSPARENT);
        let max = g.min_max().unwrap().1;
        assert_eq!(heat.edges.last().copied(), Some(max));
        let peak = heat_color(max, &heat.edges);
        assert!(peak.a() > 200, "{peak:?}");
        let hot = out.hotspots.as_ref().unwrap();
        assert!(hot.cells.iter().all(|c| c.class.is_significant()));
        assert_eq!(
            hot.class_counts.iter().sum::<usize>(),
            hot.hotspots.cells.len()
        );
    }

    #[test]
    fn heat_positions_follow_the_classes() {
        let edges = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(heat_position(0.0, &edges), None);
        assert_eq!(heat_position(f64::NAN, &edges), None);
        // ln(1 + 2/2) / ln(1 + 8/2) = ln 2 / ln 5.
        let t = heat_position(2.0, &edges).unwrap();
        assert!((f64::from(t) - 2f64.ln() / 5f64.ln()).abs() < 1e-6, "{t}");
        assert_eq!(heat_position(8.0, &edges), Some(1.0));
        let ts: Vec<f32> = [0.5, 1.0, 3.0, 6.0, 7.9]
            .iter()
            .map(|&v| heat_position(v, &edges).unwrap())
            .collect();
        assert!(ts.windows(2).all(|w| w[0] < w[1]), "{ts:?}");
        assert_eq!(heat_rgba(0.0)[3], 0);
        assert!(heat_rgba(1.0)[3] > 220);
    }

    #[test]
    fn covered_incidents_honour_filter_window_and_radius() {
        let idx = index();
        let all = covered_incidents(
            &idx,
            &Filter::default(),
            HourRange::WHOLE_DAY,
            [474_040.0, 6_211_040.0],
            300.0,
        );
        assert_eq!(all.len(), 30);
        let day = covered_incidents(
            &idx,
            &Filter::default(),
            HourRange::new(8, 16).unwrap(),
            [474_040.0, 6_211_040.0],
            300.0,
        );
        assert!(day.is_empty());
        let b = covered_incidents(
            &idx,
            &Filter::default(),
            HourRange::WHOLE_DAY,
            [477_040.0, 6_211_040.0],
            30.0,
        );
        assert!(!b.is_empty() && b.len() < 20, "{}", b.len());
        assert!(b.windows(2).all(|w| w[0] < w[1]));
    }
}
