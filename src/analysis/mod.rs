//! Analysis over filtered incidents: counts, kernel density heatmaps, Getis–Ord
//! Gi* hotspots and strategic places for host presence. No egui here.
//!
//! All geometry is in SWEREF 99 TM metres (EPSG:3006). The caller filters the
//! incidents and turns them into coordinates with [`analysis_points`], which
//! leaves coarse-precision incidents out and counts them for the note.

use crate::jobs::Cancelled;
use crate::model::{Category, Filter, Precision};

/// Study areas (polygons in SWEREF 99 TM metres) and the cells they take in.
pub mod area;
/// Two periods compared cell by cell: more, fewer or no clear change (exact conditional test).
pub mod change;
/// What a patrol plan's areas and routes cover: incidents, share, length, walking time.
pub mod coverage;
/// Delivered presence per place from the hosts' tracks and check-ins.
pub mod dose;
/// A draft patrol route through chosen places (the app's route draft), as a plan route.
pub mod draft_route;
/// The one entry point of the app and the command line: load from a store, run an analysis.
pub mod engine;
/// Before/after evaluation of a measure: area, ring and control counts, WDQ, exact test.
pub mod evaluate;
/// A regular grid of values in SWEREF 99 TM metres.
pub mod grid;
/// Kernel density of incidents on a regular grid (quartic or Gaussian), and legend class breaks.
pub mod heatmap;
/// Getis–Ord Gi* hotspots on a square grid of incident counts, with FDR correction.
pub mod hotspots;
/// R-tree over incidents in SWEREF 99 TM metres.
pub mod index;
/// The user's study-area and candidate files, and the default boundary in `data/`.
pub mod inputs;
/// Strategic places for host presence: maximal covering location (greedy + swap search).
pub mod places;
/// Walking loops through stops: shortest closed walks on a network or in straight lines.
pub mod route;
/// Counts by category, source, hour of day and weekday.
pub mod stats;
pub mod synthetic;
/// When incidents happen: hour × weekday, weeks/months with the year earlier and a trend, årshjul.
pub mod time_patterns;
/// A night's visit plan: rounds over a route's stops about every two hours, seeded by the date.
pub mod visits;
/// The hosts' week: which pair walks which route or area on which evening, from the history.
pub mod week;

pub use area::StudyArea;
pub use grid::Grid;
pub use heatmap::{ClassMethod, Heatmap, HeatmapParams, Kernel, class_breaks, heatmap};
pub use hotspots::{HotspotCell, HotspotClass, HotspotParams, Hotspots, hotspots};
pub use index::{DensityLevel, DensityPyramid, IncidentIndex};
pub use places::{Candidate, ChosenPlace, Places, PlacesParams, strategic_places};
pub use stats::Stats;

/// Why an analysis could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// The user cancelled the work.
    #[error("cancelled")]
    Cancelled,
    /// The grid would be too large to compute.
    #[error(
        "the grid would have {cells} cells, more than the limit of {max_cells}; \
         use larger cells or a smaller area"
    )]
    TooLarge { cells: u64, max_cells: u64 },
    /// Nothing to analyse (e.g. the filter matches no incident with a precise position).
    #[error("no incidents to analyse")]
    NoIncidents,
    /// A parameter is out of range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: &'static str, reason: String },
}

impl From<Cancelled> for AnalysisError {
    fn from(_: Cancelled) -> Self {
        AnalysisError::Cancelled
    }
}

/// Checks that a length parameter in metres is finite and positive.
pub(crate) fn check_positive_m(name: &'static str, value_m: f64) -> Result<(), AnalysisError> {
    if value_m.is_finite() && value_m > 0.0 {
        Ok(())
    } else {
        Err(AnalysisError::InvalidParam {
            name,
            reason: format!("must be a positive number of metres, got {value_m:?}"),
        })
    }
}

/// The SWEREF 99 TM positions and categories of the incidents in `index` that
/// pass `filter`, ready for [`heatmap`], [`hotspots`] and [`strategic_places`].
///
/// Incidents whose position could not be projected are skipped. Coarse
/// incidents (less precise than [`Precision::COARSE_ABOVE_M`], e.g.
/// municipality-level police events) are left out unless `include_coarse`;
/// the third value counts those left out, for the note shown beside results.
pub fn analysis_points(
    index: &IncidentIndex,
    filter: &Filter,
    include_coarse: bool,
) -> (Vec<[f64; 2]>, Vec<Category>, usize) {
    let mut xy = Vec::with_capacity(index.len());
    let mut categories = Vec::with_capacity(index.len());
    let mut coarse_excluded = 0;
    for (p, q) in index.points().iter().zip(index.xy()) {
        if !filter.matches_parts(p.occurred_at, p.category, p.source) {
            continue;
        }
        if !(q[0].is_finite() && q[1].is_finite()) {
            continue;
        }
        if !include_coarse && p.precision_m > Precision::COARSE_ABOVE_M {
            coarse_excluded += 1;
            continue;
        }
        xy.push(*q);
        categories.push(p.category);
    }
    (xy, categories, coarse_excluded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{Sweref99Tm, wgs84_from_sweref};
    use crate::model::IncidentPoint;
    use crate::model::Source;
    use std::collections::BTreeSet;

    fn at(e: f64, n: f64, category: Category, precision_m: f64) -> IncidentPoint {
        IncidentPoint {
            fid: 0,
            occurred_at: chrono::DateTime::UNIX_EPOCH,
            category,
            source: Source::Polis,
            position: wgs84_from_sweref(Sweref99Tm {
                easting: e,
                northing: n,
            }),
            precision_m,
        }
    }

    #[test]
    fn analysis_points_filters_and_counts_coarse() {
        let idx = IncidentIndex::build(vec![
            at(474_000.0, 6_211_000.0, Category::Vald, 10.0),
            at(474_100.0, 6_211_000.0, Category::Narkotika, 10.0),
            at(474_200.0, 6_211_000.0, Category::Vald, 15_000.0),
        ]);
        let (xy, cats, coarse) = analysis_points(&idx, &Filter::default(), false);
        assert_eq!(xy.len(), 2);
        assert_eq!(cats, [Category::Vald, Category::Narkotika]);
        assert_eq!(coarse, 1);
        assert!((xy[1][0] - 474_100.0).abs() < 0.01, "{:?}", xy[1]);

        let (xy, _, coarse) = analysis_points(&idx, &Filter::default(), true);
        assert_eq!((xy.len(), coarse), (3, 0));

        let filter = Filter {
            categories: Some(BTreeSet::from([Category::Vald])),
            ..Filter::default()
        };
        let (xy, cats, coarse) = analysis_points(&idx, &filter, false);
        assert_eq!((xy.len(), cats, coarse), (1, vec![Category::Vald], 1));
    }
}
