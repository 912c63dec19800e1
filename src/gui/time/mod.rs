//! Time patterns in the app: the Tidsmönster window (hour × weekday table,
//! weeks or months with the year earlier and the trend, årshjul, by category
//! and source, evenings and nights), the time slider that plays the heatmap
//! period by period, and the change map layer.
//!
//! Everything is computed off the UI thread ([`Task`]) with the core's
//! [`crate::analysis::time_patterns`] and [`crate::analysis::change`],
//! through the analysis engine (the current filter and the project's study
//! area, coarse incidents left out), so the window shows the same numbers as
//! `lagesbild patterns` and `lagesbild change`. The window recomputes when it
//! is open and the filter, the project or the period kind changes.
//!
//! The slider's frames share one grid and one set of colour classes
//! (quantiles over every frame), so a place that grows darker from one month
//! to the next really had more incidents. Its cells are coarser than the
//! analysis heatmap's, to keep every frame in memory (at most
//! [`FRAME_CELLS_TOTAL`] cells over all frames, [`FRAME_CELLS_MAX`] in one).

pub mod layers;
pub mod text;
pub mod window;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike as _, NaiveDate};

use crate::analysis::change::{ChangeClass, ChangeMap, ChangeParams, Period, change_map};
use crate::analysis::engine::{self, AreaChoice, Loaded, Selection};
use crate::analysis::time_patterns::{PeriodKind, TimePatterns, time_patterns};
use crate::analysis::{AnalysisError, Grid, Heatmap, HeatmapParams, Kernel, heatmap};
use crate::crs::{Sweref99Tm, wgs84_from_sweref};
use crate::export::MadeFrom;
use crate::gui::analysis::task::{HeatmapView, MESH_STEPS, heat_color};
use crate::gui::i18n::Language;
use crate::gui::tasks::{LoadedProject, Task};
use crate::jobs::CancelToken;
use crate::model::{Filter, LonLat};
use crate::store::SwerefPoint;

use text::{T, tr};

/// Cells of every slider frame together, at most.
pub const FRAME_CELLS_TOTAL: f64 = 6_000_000.0;
/// Cells of one slider frame, at most (well under the heatmap's limit).
pub const FRAME_CELLS_MAX: f64 = 1_000_000.0;
/// Seconds each frame shows while playing.
pub const FRAME_SECONDS: f64 = 0.8;

/// What the window's computation reads.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    path: PathBuf,
    /// The loaded index's address: a reload gives a new one.
    index: usize,
    filter: Filter,
    by: PeriodKind,
    bandwidth_m: f64,
}

/// The heatmap frames of the time slider.
pub struct Frames {
    /// One per period of the series (same order).
    pub labels: Vec<String>,
    pub counts: Vec<u64>,
    pub heatmaps: Vec<Heatmap>,
    /// Class edges over every frame (incidents per km²).
    pub edges: Vec<f64>,
    /// WGS84 mesh of the shared grid, row-major from the south-west.
    pub mesh_lonlat: Vec<LonLat>,
    pub extent: ([f64; 2], [f64; 2]),
    pub made_from: MadeFrom,
}

/// One finished computation.
pub struct TimeOutput {
    pub patterns: TimePatterns,
    pub synthetic: bool,
    /// The slider's frames; `None` without incidents with a position.
    pub frames: Option<Frames>,
}

/// A computed change map and its cells' corners.
pub struct ChangeView {
    pub map: ChangeMap,
    /// Tested cells: class and corners SW, SE, NE, NW in WGS84.
    pub cells: Vec<(ChangeClass, [LonLat; 4])>,
}

/// The time patterns' state in the app.
pub struct TimeState {
    /// Is the window open?
    pub open: bool,
    pub by: PeriodKind,
    last: Option<Request>,
    task: Option<Task<TimeOutput>>,
    output: Option<Arc<TimeOutput>>,
    error: Option<String>,
    /// The slider shows its frame on the map instead of the heatmap.
    pub slider_on: bool,
    pub playing: bool,
    frame: usize,
    last_step_s: Option<f64>,
    frame_view: Option<(usize, HeatmapView, egui::TextureHandle)>,
    /// The change map's periods as typed (`FROM..TO`).
    pub before_text: String,
    pub after_text: String,
    change_task: Option<Task<ChangeView>>,
    change: Option<ChangeView>,
    change_error: Option<String>,
    /// Show the change map on the map.
    pub change_on: bool,
    /// The "compare" button was pressed.
    change_requested: bool,
    /// The change map's test: cell side (m), minimum count, level and
    /// whether the level holds over all cells (FDR); defaults as
    /// [`ChangeParams::new`].
    pub change_test: ChangeTest,
}

/// The change map's parameters the window edits (the periods apart).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeTest {
    pub cell_m: f64,
    pub min_count: u32,
    pub alpha: f64,
    pub fdr: bool,
}

impl Default for ChangeTest {
    fn default() -> Self {
        ChangeTest {
            cell_m: crate::analysis::change::DEFAULT_CELL_M,
            min_count: crate::analysis::change::DEFAULT_MIN_COUNT,
            alpha: crate::analysis::change::DEFAULT_ALPHA,
            fdr: true,
        }
    }
}

impl Default for TimeState {
    fn default() -> Self {
        TimeState {
            open: false,
            by: PeriodKind::Month,
            last: None,
            task: None,
            output: None,
            error: None,
            slider_on: false,
            playing: false,
            frame: 0,
            last_step_s: None,
            frame_view: None,
            before_text: String::new(),
            after_text: String::new(),
            change_task: None,
            change: None,
            change_error: None,
            change_on: true,
            change_requested: false,
            change_test: ChangeTest::default(),
        }
    }
}

impl TimeState {
    /// The last finished computation.
    pub fn output(&self) -> Option<&Arc<TimeOutput>> {
        self.output.as_ref()
    }

    /// The last computation's failure.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// True while something is computed.
    pub fn is_busy(&self) -> bool {
        self.task.is_some() || self.change_task.is_some()
    }

    /// The slider's frame (index into the series).
    pub fn frame(&self) -> usize {
        self.frame
    }

    /// Number of slider frames.
    pub fn frame_count(&self) -> usize {
        self.output
            .as_ref()
            .and_then(|o| o.frames.as_ref())
            .map_or(0, |f| f.heatmaps.len())
    }

    /// Moves the slider by `delta` frames (wrapping).
    pub fn step(&mut self, delta: isize) {
        let n = self.frame_count();
        if n == 0 {
            return;
        }
        self.frame = (self.frame as isize + delta).rem_euclid(n as isize) as usize;
    }

    /// Shows frame `i` (clamped).
    pub fn set_frame(&mut self, i: usize) {
        self.frame = i.min(self.frame_count().saturating_sub(1));
    }

    /// The computed change map.
    pub fn change(&self) -> Option<&ChangeView> {
        self.change.as_ref()
    }

    /// The change map's failure.
    pub fn change_error(&self) -> Option<&str> {
        self.change_error.as_deref()
    }

    /// Asks for the change map of the typed periods.
    pub fn request_change(&mut self) {
        self.change_requested = true;
    }

    /// The slider's heatmap to draw instead of the analysis heatmap, when on.
    pub fn slider_heatmap(&self) -> Option<(&HeatmapView, egui::TextureId)> {
        if !self.slider_on {
            return None;
        }
        self.frame_view
            .as_ref()
            .filter(|(i, _, _)| *i == self.frame)
            .map(|(_, v, t)| (v, t.id()))
    }

    /// Reads finished work, starts what is due and plays the slider. Call
    /// every frame.
    pub fn poll(
        &mut self,
        ctx: &egui::Context,
        lang: Language,
        project: Option<&LoadedProject>,
        filter: &Filter,
        filter_busy: bool,
        bandwidth_m: f64,
    ) {
        let Some(project) = project else {
            self.last = None;
            self.output = None;
            self.frame_view = None;
            return;
        };
        if let Some(task) = &self.task
            && let Some(result) = task.try_take()
        {
            self.task = None;
            match result {
                Ok(out) => {
                    if self.before_text.is_empty()
                        && let Some((b, a)) = default_periods(out.patterns.range)
                    {
                        self.before_text = b.to_string();
                        self.after_text = a.to_string();
                    }
                    self.frame_view = None;
                    self.output = Some(Arc::new(out));
                    self.set_frame(self.frame);
                    self.error = None;
                }
                Err(e) => {
                    if !is_cancelled(&e) {
                        self.error = Some(format!("{}: {e:#}", tr(lang, T::Failed)));
                    }
                }
            }
        }
        if self.open && !filter_busy {
            let request = Request {
                path: project.path.clone(),
                index: Arc::as_ptr(&project.index) as usize,
                filter: filter.clone(),
                by: self.by,
                bandwidth_m,
            };
            if self.last.as_ref() != Some(&request) {
                if let Some(t) = self.task.take() {
                    t.cancel();
                }
                self.last = Some(request.clone());
                let synthetic = project.info.synthetic;
                self.task = Some(Task::spawn(ctx, "time-patterns", move |_, cancel| {
                    compute(&request, synthetic, cancel)
                }));
            }
        }
        if self.change_requested && self.change_task.is_none() {
            self.change_requested = false;
            match (
                Period::parse(self.before_text.trim()),
                Period::parse(self.after_text.trim()),
            ) {
                (Ok(before), Ok(after)) => {
                    let path = project.path.clone();
                    let filter = filter.clone();
                    let test = self.change_test;
                    self.change_error = None;
                    self.change_task = Some(Task::spawn(ctx, "change-map", move |_, cancel| {
                        compute_change(path, filter, before, after, test, cancel)
                    }));
                }
                (Err(e), _) => self.change_error = Some(format!("{}: {e}", tr(lang, T::Before))),
                (_, Err(e)) => self.change_error = Some(format!("{}: {e}", tr(lang, T::After))),
            }
        }
        if let Some(task) = &self.change_task
            && let Some(result) = task.try_take()
        {
            self.change_task = None;
            match result {
                Ok(view) => {
                    self.change = Some(view);
                    self.change_on = true;
                }
                Err(e) => self.change_error = Some(format!("{e:#}")),
            }
        }
        if self.task.is_some() || self.change_task.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        self.play(ctx);
        self.upload_frame(ctx);
    }

    fn play(&mut self, ctx: &egui::Context) {
        if !(self.playing && self.slider_on && self.frame_count() > 1) {
            self.last_step_s = None;
            return;
        }
        let now = ctx.input(|i| i.time);
        match self.last_step_s {
            None => self.last_step_s = Some(now),
            Some(t) if now - t >= FRAME_SECONDS => {
                self.step(1);
                self.last_step_s = Some(now);
            }
            Some(_) => {}
        }
        ctx.request_repaint_after(Duration::from_secs_f64(FRAME_SECONDS / 4.0));
    }

    fn upload_frame(&mut self, ctx: &egui::Context) {
        if !self.slider_on {
            return;
        }
        if self
            .frame_view
            .as_ref()
            .is_some_and(|(i, _, _)| *i == self.frame)
        {
            return;
        }
        let Some(frames) = self.output.as_ref().and_then(|o| o.frames.as_ref()) else {
            return;
        };
        let Some(view) = frame_view(frames, self.frame) else {
            return;
        };
        let texture = ctx.load_texture(
            "time-slider-heatmap",
            view.image.clone(),
            egui::TextureOptions::LINEAR,
        );
        self.frame_view = Some((self.frame, view, texture));
    }

    /// Cancels running work (app exit).
    pub fn cancel(&mut self) {
        if let Some(t) = self.task.take() {
            t.cancel();
        }
        if let Some(t) = self.change_task.take() {
            t.cancel();
        }
    }
}

fn is_cancelled(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<engine::EngineError>(),
        Some(engine::EngineError::Analysis(AnalysisError::Cancelled))
            | Some(engine::EngineError::Store(
                crate::store::StoreError::Cancelled(_)
            ))
    ) || matches!(
        e.downcast_ref::<AnalysisError>(),
        Some(AnalysisError::Cancelled)
    )
}

/// The change map's default periods: the last six months of the range and
/// the same months a year earlier, or the six months before when the range
/// is shorter.
pub fn default_periods(range: Option<[NaiveDate; 2]>) -> Option<(Period, Period)> {
    let [first, last] = range?;
    let after_from = last - chrono::Duration::days(181);
    let after = Period::new(after_from.max(first), last)?;
    let year_earlier = Period::new(
        after.from.with_year(after.from.year() - 1)?,
        after.to.with_year(after.to.year() - 1)?,
    );
    let before = match year_earlier {
        Some(p) if p.from >= first => p,
        _ => Period::new(first, after.from.pred_opt()?)?,
    };
    Some((before, after))
}

fn load(path: &std::path::Path, filter: Filter, cancel: &CancelToken) -> anyhow::Result<Loaded> {
    let store = crate::store::open(crate::store::Location::File(path.to_path_buf()))?;
    let selection = Selection {
        filter,
        include_coarse: false,
        area: AreaChoice::Stored,
    };
    Ok(engine::load(
        store.as_ref(),
        &selection,
        &path.display().to_string(),
        cancel,
    )?)
}

fn compute(request: &Request, synthetic: bool, cancel: &CancelToken) -> anyhow::Result<TimeOutput> {
    let loaded = load(&request.path, request.filter.clone(), cancel)?;
    cancel.check().map_err(AnalysisError::from)?;
    let patterns = time_patterns(&loaded, request.by);
    let frames = match frames(&loaded, &patterns, request.bandwidth_m, cancel) {
        Ok(f) => Some(f),
        Err(AnalysisError::Cancelled) => return Err(AnalysisError::Cancelled.into()),
        // No frames (nothing with a position, or a grid too large): the
        // tables still show; the slider says nothing to play.
        Err(_) => None,
    };
    Ok(TimeOutput {
        patterns,
        synthetic,
        frames,
    })
}

/// One heatmap per period of `patterns.series` on one shared grid.
fn frames(
    loaded: &Loaded,
    patterns: &TimePatterns,
    bandwidth_m: f64,
    cancel: &CancelToken,
) -> Result<Frames, AnalysisError> {
    let points: Vec<SwerefPoint> = crate::analysis::time_patterns::points_in_area(loaded).0;
    if points.is_empty() || patterns.series.is_empty() {
        return Err(AnalysisError::NoIncidents);
    }
    let (min, max) = match &loaded.area {
        Some(a) => a.bounds(),
        None => {
            let mut min = [f64::INFINITY; 2];
            let mut max = [f64::NEG_INFINITY; 2];
            for p in &points {
                for k in 0..2 {
                    min[k] = min[k].min(p.xy[k] - bandwidth_m);
                    max[k] = max[k].max(p.xy[k] + bandwidth_m);
                }
            }
            (min, max)
        }
    };
    let n = patterns.series.len() as f64;
    let area_m2 = (max[0] - min[0]) * (max[1] - min[1]);
    let cells_per_frame = (FRAME_CELLS_TOTAL / n).min(FRAME_CELLS_MAX);
    let cell_m = (bandwidth_m / 5.0)
        .max((area_m2 / cells_per_frame).sqrt())
        .ceil();
    let params = HeatmapParams {
        bandwidth_m,
        cell_m: Some(cell_m),
        kernel: Kernel::Quartic,
        extent: Some((min, max)),
        study_area: loaded.area.clone(),
        ..HeatmapParams::default()
    };
    let mut heatmaps = Vec::with_capacity(patterns.series.len());
    let mut labels = Vec::new();
    let mut counts = Vec::new();
    for period in &patterns.series {
        cancel.check()?;
        let (lo, hi) = (
            period.start.num_days_from_ce(),
            period.end.num_days_from_ce(),
        );
        let xy: Vec<[f64; 2]> = points
            .iter()
            .filter(|p| (lo..=hi).contains(&p.local_day))
            .map(|p| p.xy)
            .collect();
        heatmaps.push(heatmap(&xy, &[], &params, cancel)?);
        labels.push(period.label.clone());
        counts.push(period.count);
    }
    let g0 = &heatmaps[0].grid;
    let all = Grid {
        values: heatmaps
            .iter()
            .flat_map(|h| h.grid.values.iter().copied())
            .collect(),
        ..Grid::zeros(g0.x0, g0.y0, g0.cell_m, 0, 0)
    };
    let edges = crate::gui::analysis::task::heat_edges(&all);
    let (lo, hi) = g0.extent();
    let mut mesh_lonlat = Vec::with_capacity((MESH_STEPS + 1) * (MESH_STEPS + 1));
    for j in 0..=MESH_STEPS {
        for i in 0..=MESH_STEPS {
            let x = lo[0] + (hi[0] - lo[0]) * i as f64 / MESH_STEPS as f64;
            let y = lo[1] + (hi[1] - lo[1]) * j as f64 / MESH_STEPS as f64;
            mesh_lonlat.push(lonlat([x, y]));
        }
    }
    let made_from = loaded.made_from(
        &loaded.filter.describe(),
        points.len(),
        serde_json::json!({"analysis": "time_slider", "bandwidth_m": bandwidth_m, "cell_m": cell_m}),
    );
    Ok(Frames {
        labels,
        counts,
        heatmaps,
        edges,
        mesh_lonlat,
        extent: (lo, hi),
        made_from,
    })
}

fn lonlat(xy: [f64; 2]) -> LonLat {
    let ll = wgs84_from_sweref(Sweref99Tm {
        easting: xy[0],
        northing: xy[1],
    });
    LonLat::new(ll.lon, ll.lat)
}

/// Frame `i` as the heatmap layer draws it, in the frames' shared classes.
fn frame_view(frames: &Frames, i: usize) -> Option<HeatmapView> {
    let h = frames.heatmaps.get(i)?;
    let grid = &h.grid;
    let mut pixels = Vec::with_capacity(grid.nx * grid.ny);
    for row in 0..grid.ny {
        // Image row 0 is the north; grid row 0 the south.
        let iy = grid.ny - 1 - row;
        for ix in 0..grid.nx {
            pixels.push(heat_color(grid.get(ix, iy), &frames.edges));
        }
    }
    Some(HeatmapView {
        heatmap: h.clone(),
        edges: frames.edges.clone(),
        image: Arc::new(egui::ColorImage::new([grid.nx, grid.ny], pixels)),
        mesh_lonlat: frames.mesh_lonlat.clone(),
        extent: frames.extent,
        made_from: frames.made_from.clone(),
    })
}

fn compute_change(
    path: PathBuf,
    mut filter: Filter,
    before: Period,
    after: Period,
    test: ChangeTest,
    cancel: &CancelToken,
) -> anyhow::Result<ChangeView> {
    filter.from = Some(before.from.min(after.from));
    filter.to = Some(before.to.max(after.to));
    let loaded = load(&path, filter, cancel)?;
    let params = ChangeParams {
        study_area: loaded.area.clone(),
        cell_m: test.cell_m,
        min_count: test.min_count,
        alpha: test.alpha,
        fdr: test.fdr,
        ..ChangeParams::new(before, after)
    };
    let points: Vec<SwerefPoint> = loaded.used_points().copied().collect();
    let map = change_map(&points, &params, cancel)?;
    let cells = map
        .cells
        .iter()
        .filter(|c| c.p.is_some())
        .map(|c| {
            let (lo, hi) = map.cell_bounds(c.ix, c.iy);
            (
                c.class,
                [
                    lonlat([lo[0], lo[1]]),
                    lonlat([hi[0], lo[1]]),
                    lonlat([hi[0], hi[1]]),
                    lonlat([lo[0], hi[1]]),
                ],
            )
        })
        .collect();
    Ok(ChangeView { map, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn default_periods_take_the_year_earlier_or_the_months_before() {
        let (b, a) = default_periods(Some([d(2024, 11, 1), d(2026, 10, 31)])).unwrap();
        assert_eq!(a.to_string(), "2026-05-03..2026-10-31");
        assert_eq!(b.to_string(), "2025-05-03..2025-10-31");
        let (b, a) = default_periods(Some([d(2026, 1, 1), d(2026, 10, 31)])).unwrap();
        assert_eq!(a.from, d(2026, 5, 3));
        assert_eq!(b.to_string(), "2026-01-01..2026-05-02");
        assert!(default_periods(None).is_none());
    }
}
