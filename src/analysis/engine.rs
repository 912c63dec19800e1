//! The one way the app and the command line run an analysis: [`load`] the
//! incidents a [`Selection`] names from a [`Store`] (with the study area,
//! stored or given), then run the heatmap, hotspots or places on them with
//! [`Loaded::heatmap`], [`Loaded::hotspots`] and [`Loaded::places`]. Both
//! front ends go through these functions, so the same request gives the same
//! numbers in both.
//!
//! Loading reads the store's analysis points ([`Store::analysis_points`]: the
//! GeoPackage keeps them in a compact cache), so a million incidents load in
//! tens of milliseconds. Coarse incidents (police events placed only at the
//! municipality) are left out unless asked for, and counted; so are those
//! whose position cannot be projected and, per analysis, those outside the
//! study area.
//!
//! The heatmap's cell, when not given, is bandwidth / 10, enlarged (and said
//! so in [`HeatmapResult::cell_enlarged`]) so the grid stays under
//! [`AUTO_MAX_CELLS`]; a given cell is used as it is, or refused when the grid
//! would exceed the heatmap's limit. One rule for app and command line.

use chrono::NaiveDate;
use serde_json::Value;

use crate::analysis::{
    AnalysisError, Candidate, Heatmap, HeatmapParams, HotspotParams, Hotspots, Kernel, Places,
    PlacesParams, StudyArea, heatmap, hotspots, strategic_places,
};
use crate::export::MadeFrom;
use crate::jobs::CancelToken;
use crate::model::{Filter, HourRange, Precision};
use crate::store::{Store, StoreError, SwerefPoint};

/// Project metadata key of the study area ([`StudyArea::to_stored_json`]).
pub const STUDY_AREA_KEY: &str = "study_area";
/// Project metadata key of the study area as kept by earlier versions (the
/// text of the GeoJSON file it was read from).
pub const LEGACY_STUDY_AREA_KEY: &str = "study_area_geojson";
/// Project metadata key of the file name earlier versions kept beside it.
pub const LEGACY_STUDY_AREA_FILE_KEY: &str = "study_area_file";

/// Largest heatmap grid when the cell size is automatic: the cell grows
/// beyond bandwidth / 10 to stay under it.
pub const AUTO_MAX_CELLS: f64 = 3_000_000.0;

/// Why an analysis could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The study area kept in the project cannot be read.
    #[error("the study area kept in the project cannot be read: {0}")]
    StoredArea(String),
}

/// Which study area an analysis uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum AreaChoice {
    /// The one kept in the project, if any.
    #[default]
    Stored,
    /// None: the grids cover the incidents.
    NoArea,
    /// This one (e.g. read from a file just now).
    Given(StudyArea),
}

/// What to load: the filter, whether coarse incidents take part, the area.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    pub filter: Filter,
    pub include_coarse: bool,
    pub area: AreaChoice,
}

/// The incidents of a [`Selection`], ready for the analyses.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The project's name (its file name when it has none).
    pub name: String,
    /// True for generated demo data.
    pub synthetic: bool,
    pub filter: Filter,
    pub include_coarse: bool,
    /// Every incident passing the filter, oldest first.
    pub points: Vec<SwerefPoint>,
    /// The study area, if one is used.
    pub area: Option<StudyArea>,
}

/// The study area kept in the project, if any.
pub fn stored_area(store: &dyn Store) -> Result<Option<StudyArea>, EngineError> {
    if let Some(text) = store.metadata(STUDY_AREA_KEY)? {
        if text.trim().is_empty() {
            return Ok(None);
        }
        return StudyArea::from_stored_json(&text)
            .map(Some)
            .map_err(EngineError::StoredArea);
    }
    if let Some(text) = store.metadata(LEGACY_STUDY_AREA_KEY)? {
        let source = store
            .metadata(LEGACY_STUDY_AREA_FILE_KEY)?
            .unwrap_or_else(|| "an earlier run".to_owned());
        return crate::analysis::inputs::area_from_geojson_text(&text, &source)
            .map(Some)
            .map_err(EngineError::StoredArea);
    }
    Ok(None)
}

/// Keeps `area` in the project as its study area (one metadata write).
pub fn keep_area(store: &mut dyn Store, area: &StudyArea) -> Result<(), StoreError> {
    store.set_metadata(STUDY_AREA_KEY, &area.to_stored_json())
}

/// Forgets the project's study area.
pub fn forget_area(store: &mut dyn Store) -> Result<(), StoreError> {
    store.set_metadata(STUDY_AREA_KEY, "")
}

/// Loads what `selection` names from `store`.
pub fn load(
    store: &dyn Store,
    selection: &Selection,
    location: &str,
    cancel: &CancelToken,
) -> Result<Loaded, EngineError> {
    let name = store
        .metadata("name")?
        .unwrap_or_else(|| location.to_owned());
    let synthetic = store
        .metadata("synthetic")?
        .is_some_and(|v| v.trim() == "true");
    let area = match &selection.area {
        AreaChoice::Stored => stored_area(store)?,
        AreaChoice::NoArea => None,
        AreaChoice::Given(a) => Some(a.clone()),
    };
    let points = store.analysis_points(&selection.filter, cancel)?;
    Ok(Loaded {
        name,
        synthetic,
        filter: selection.filter.clone(),
        include_coarse: selection.include_coarse,
        points,
        area,
    })
}

/// Heatmap parameters of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapRequest {
    pub bandwidth_m: f64,
    /// `None`: automatic (see the module notes).
    pub cell_m: Option<f64>,
    pub kernel: Kernel,
}

/// A heatmap and how its cell was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapResult {
    pub heatmap: Heatmap,
    /// True when the automatic cell was enlarged beyond bandwidth / 10.
    pub cell_enlarged: bool,
}

/// Hotspot parameters of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotRequest {
    pub cell_m: f64,
    pub band_m: f64,
    pub fdr: bool,
}

/// Places parameters of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacesRequest {
    pub k: usize,
    pub radius_m: f64,
    /// The demand grid's cell.
    pub cell_m: f64,
    /// The hours the places look at on top of the filter (`None` = as the filter).
    pub hours: Option<HourRange>,
    /// Places to choose from; `None` = grid cells with incidents.
    pub candidates: Option<Vec<Candidate>>,
    /// Places kept in the solution (existing meeting points); they count toward `k`.
    pub fixed: Vec<Candidate>,
    /// Walking distance along this network instead of straight lines.
    pub network: Option<std::sync::Arc<crate::network::Network>>,
}

/// Strategic places and what they were computed on.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacesResult {
    pub places: Places,
    /// Precise incidents in the filter and the time window.
    pub incidents: usize,
    /// Coarse incidents in the filter and the time window left out.
    pub coarse_excluded: usize,
    /// First and last local date of the incidents in the window.
    pub period: Option<[NaiveDate; 2]>,
}

/// Counts of what a set of points leaves out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passing the filter (and window).
    pub matched: usize,
    /// Used: projectable and (unless asked for) precise.
    pub used: usize,
    pub coarse_excluded: usize,
    pub unprojectable: usize,
}

impl Loaded {
    fn keep(&self, p: &SwerefPoint) -> bool {
        p.is_projected() && (self.include_coarse || !is_coarse(p))
    }

    /// The incidents used (filter passed, projectable, precise unless coarse
    /// ones are included), oldest first.
    pub fn used_points(&self) -> impl Iterator<Item = &SwerefPoint> {
        self.points.iter().filter(|p| self.keep(p))
    }

    /// Is `p` one of the incidents used (projectable, precise unless coarse
    /// ones are included)? For analyses that read [`Loaded::points`] directly.
    pub fn is_used(&self, p: &SwerefPoint) -> bool {
        self.keep(p)
    }

    /// SWEREF 99 TM positions of the incidents used (filter passed, projectable,
    /// precise unless coarse ones are included), oldest first.
    pub fn xy(&self) -> Vec<[f64; 2]> {
        self.xy_where(|_| true)
    }

    fn xy_where(&self, also: impl Fn(&SwerefPoint) -> bool) -> Vec<[f64; 2]> {
        self.points
            .iter()
            .filter(|p| self.keep(p) && also(p))
            .map(|p| p.xy)
            .collect()
    }

    /// What the filter matched and what was left out.
    pub fn counts(&self) -> Counts {
        counts(self.points.iter(), self.include_coarse)
    }

    /// First and last local date of the incidents used.
    pub fn period(&self) -> Option<[NaiveDate; 2]> {
        period(self.points.iter().filter(|p| self.keep(p)))
    }

    /// The heatmap of the incidents used.
    pub fn heatmap(
        &self,
        req: &HeatmapRequest,
        cancel: &CancelToken,
    ) -> Result<HeatmapResult, AnalysisError> {
        let xy = self.xy();
        let (cell_m, cell_enlarged) = match req.cell_m {
            Some(c) => (c, false),
            None => {
                let base = req.bandwidth_m / 10.0;
                let c = auto_cell_m(&xy, self.area.as_ref(), req.bandwidth_m);
                (c, c > base.ceil())
            }
        };
        let params = HeatmapParams {
            bandwidth_m: req.bandwidth_m,
            cell_m: Some(cell_m),
            kernel: req.kernel,
            study_area: self.area.clone(),
            ..HeatmapParams::default()
        };
        let mut h = heatmap(&xy, &[], &params, cancel)?;
        h.coarse_excluded = self.counts().coarse_excluded;
        Ok(HeatmapResult {
            heatmap: h,
            cell_enlarged,
        })
    }

    /// Gi* hotspots of the incidents used.
    pub fn hotspots(
        &self,
        req: &HotspotRequest,
        cancel: &CancelToken,
    ) -> Result<Hotspots, AnalysisError> {
        let params = HotspotParams {
            cell_m: req.cell_m,
            band_m: req.band_m,
            fdr: req.fdr,
            study_area: self.area.clone(),
        };
        hotspots(&self.xy(), &params, cancel)
    }

    /// Strategic places for the incidents used in the request's hours.
    pub fn places(
        &self,
        req: &PlacesRequest,
        cancel: &CancelToken,
    ) -> Result<PlacesResult, AnalysisError> {
        let in_window = |p: &SwerefPoint| req.hours.is_none_or(|h| h.contains(p.hour));
        let xy = self.xy_where(in_window);
        let params = PlacesParams {
            k: req.k,
            radius_m: req.radius_m,
            cell_m: req.cell_m,
            study_area: self.area.clone(),
            fixed: req.fixed.clone(),
            network: req.network.clone(),
            ..PlacesParams::default()
        };
        let places = strategic_places(&xy, req.candidates.as_deref(), &params, cancel)?;
        let window = self.points.iter().filter(|p| in_window(p));
        let c = counts(window.clone(), self.include_coarse);
        Ok(PlacesResult {
            places,
            incidents: c.used,
            coarse_excluded: c.coarse_excluded,
            period: period(window.filter(|p| self.keep(p))),
        })
    }

    /// What an output was made from.
    pub fn made_from(&self, filter: &str, incidents: usize, parameters: Value) -> MadeFrom {
        MadeFrom {
            project: self.name.clone(),
            synthetic: self.synthetic,
            filter: filter.to_owned(),
            period: self.period(),
            incidents,
            coarse_excluded: self.counts().coarse_excluded,
            parameters,
            made_by: crate::APP_NAME_VERSION.to_owned(),
        }
    }

    /// The study area as the outputs describe it: its source, box and size.
    pub fn area_json(&self) -> Value {
        match &self.area {
            None => Value::Null,
            Some(a) => {
                let (min, max) = a.bounds();
                serde_json::json!({
                    "source": a.source,
                    "min": min,
                    "max": max,
                    "area_km2": a.area_km2(),
                    "crs": "EPSG:3006",
                })
            }
        }
    }
}

fn is_coarse(p: &SwerefPoint) -> bool {
    f64::from(p.precision_m) > Precision::COARSE_ABOVE_M
}

fn counts<'a>(points: impl Iterator<Item = &'a SwerefPoint>, include_coarse: bool) -> Counts {
    let mut c = Counts::default();
    for p in points {
        c.matched += 1;
        if !p.is_projected() {
            c.unprojectable += 1;
        } else if !include_coarse && is_coarse(p) {
            c.coarse_excluded += 1;
        } else {
            c.used += 1;
        }
    }
    c
}

fn period<'a>(points: impl Iterator<Item = &'a SwerefPoint>) -> Option<[NaiveDate; 2]> {
    let (lo, hi) = points.fold(None, |acc: Option<(i32, i32)>, p| {
        Some(match acc {
            None => (p.local_day, p.local_day),
            Some((a, b)) => (a.min(p.local_day), b.max(p.local_day)),
        })
    })?;
    Some([
        NaiveDate::from_num_days_from_ce_opt(lo)?,
        NaiveDate::from_num_days_from_ce_opt(hi)?,
    ])
}

/// Automatic heatmap cell: bandwidth / 10, larger when the grid (over the
/// study area's box, or the incidents' box grown by the bandwidth) would
/// exceed [`AUTO_MAX_CELLS`]; rounded up to whole metres.
pub fn auto_cell_m(xy: &[[f64; 2]], area: Option<&StudyArea>, bandwidth_m: f64) -> f64 {
    let base = bandwidth_m / 10.0;
    let (w, h) = match area {
        Some(a) => {
            let [w, h] = a.size_km();
            // The floored origin adds at most one cell on each axis.
            (w * 1000.0 + base, h * 1000.0 + base)
        }
        None => {
            let mut min = [f64::INFINITY; 2];
            let mut max = [f64::NEG_INFINITY; 2];
            for q in xy.iter().filter(|q| q[0].is_finite() && q[1].is_finite()) {
                for a in 0..2 {
                    min[a] = min[a].min(q[a]);
                    max[a] = max[a].max(q[a]);
                }
            }
            if !min[0].is_finite() {
                return base.ceil();
            }
            (
                max[0] - min[0] + 2.0 * bandwidth_m,
                max[1] - min[1] + 2.0 * bandwidth_m,
            )
        }
    };
    let needed = (w * h / AUTO_MAX_CELLS).sqrt();
    base.max(needed).ceil()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Project;

    #[test]
    fn study_areas_are_kept_forgotten_and_read_from_earlier_versions() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        assert_eq!(stored_area(&project).unwrap(), None);
        let area = crate::analysis::area::tests::c_with_hole(474_015.0, 6_211_015.0);
        keep_area(&mut project, &area).unwrap();
        assert_eq!(stored_area(&project).unwrap(), Some(area));
        forget_area(&mut project).unwrap();
        assert_eq!(stored_area(&project).unwrap(), None);

        // An earlier version kept the file's text (here SWEREF 99 TM with the
        // old crs member) and its name.
        let dir2 = tempfile::tempdir().unwrap();
        let mut old = Project::create(&dir2.path().join("o.gpkg"), "O").unwrap();
        let text = r#"{"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
            "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
            "coordinates": [[[470000, 6205000], [472000, 6205000], [472000, 6206000],
            [470000, 6206000], [470000, 6205000]]]}}]}"#;
        old.set_metadata(LEGACY_STUDY_AREA_KEY, text).unwrap();
        old.set_metadata(LEGACY_STUDY_AREA_FILE_KEY, "omr.geojson")
            .unwrap();
        let a = stored_area(&old).unwrap().unwrap();
        assert_eq!(a.source, "omr.geojson");
        assert!((a.area_km2() - 2.0).abs() < 1e-6, "{}", a.area_km2());
        old.set_metadata(LEGACY_STUDY_AREA_KEY, "{ broken").unwrap();
        assert!(matches!(stored_area(&old), Err(EngineError::StoredArea(_))));
    }

    #[test]
    fn auto_cell_grows_for_large_areas() {
        let small = [[0.0, 0.0], [1000.0, 1000.0]];
        assert_eq!(auto_cell_m(&small, None, 200.0), 20.0);
        let big = [[0.0, 0.0], [100_000.0, 100_000.0]];
        let c = auto_cell_m(&big, None, 50.0);
        assert!(c > 50.0);
        assert!((100_100.0 / c).powi(2) <= AUTO_MAX_CELLS, "{c}");
        assert_eq!(auto_cell_m(&[], None, 100.0), 10.0);
    }
}
