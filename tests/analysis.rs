//! The analysis engine through the public API: incidents → index →
//! `analysis_points` → heatmap, hotspots and strategic places.

use lagesbild::analysis::{
    AnalysisError, HeatmapParams, HotspotClass, HotspotParams, IncidentIndex, PlacesParams,
    analysis_points, heatmap, hotspots, strategic_places,
};
use lagesbild::crs::{Sweref99Tm, wgs84_from_sweref};
use lagesbild::jobs::CancelToken;
use lagesbild::model::IncidentPoint;
use lagesbild::model::{Category, Filter, Source};

fn at(e: f64, n: f64, precision_m: f64) -> IncidentPoint {
    IncidentPoint {
        fid: 0,
        occurred_at: chrono::DateTime::UNIX_EPOCH,
        category: Category::Skadegorelse,
        source: Source::Trygghetsvard,
        position: wgs84_from_sweref(Sweref99Tm {
            easting: e,
            northing: n,
        }),
        precision_m,
    }
}

#[test]
fn cluster_is_found_by_all_three_and_coarse_incidents_are_left_out() {
    let mut points = Vec::new();
    // A dense cluster by the square, a thin spread elsewhere, one coarse event.
    for i in 0..40 {
        points.push(at(
            474_050.0 + (i % 5) as f64 * 10.0,
            6_211_050.0 + (i / 5) as f64 * 5.0,
            10.0,
        ));
    }
    for i in 0..30 {
        points.push(at(
            472_000.0 + i as f64 * 150.0,
            6_209_000.0 + (i * 7 % 30) as f64 * 150.0,
            10.0,
        ));
    }
    points.push(at(474_050.0, 6_211_050.0, 15_000.0));
    let index = IncidentIndex::build(points);
    let (xy, categories, coarse) = analysis_points(&index, &Filter::default(), false);
    assert_eq!((xy.len(), coarse), (70, 1));
    let cancel = CancelToken::new();

    let map = heatmap(&xy, &categories, &HeatmapParams::default(), &cancel).unwrap();
    let (lo, hi) = map.grid.min_max().unwrap();
    assert_eq!(lo, 0.0);
    let peak = map.grid.values.iter().position(|v| *v == hi).unwrap();
    let c = map.grid.cell_center(peak % map.grid.nx, peak / map.grid.nx);
    assert!(
        (c[0] - 474_070.0).abs() < 60.0 && (c[1] - 6_211_067.0).abs() < 60.0,
        "{c:?}"
    );

    let h = hotspots(&xy, &HotspotParams::default(), &cancel).unwrap();
    let hot: Vec<_> = h
        .cells
        .iter()
        .filter(|c| c.class == HotspotClass::Hot99)
        .collect();
    assert!(!hot.is_empty());
    for cell in hot {
        let centre = h.cell_center(cell.ix, cell.iy);
        assert!((centre[0] - 474_050.0).abs() <= 300.0 && (centre[1] - 6_211_050.0).abs() <= 300.0);
    }

    let p = strategic_places(
        &xy,
        None,
        &PlacesParams {
            k: 1,
            ..PlacesParams::default()
        },
        &cancel,
    )
    .unwrap();
    assert!(p.covered >= 40.0);
    assert!(p.upper_bound >= p.covered && p.upper_bound <= p.total);
    assert!((p.places[0].xy[0] - 474_050.0).abs() <= 100.0);
}

#[test]
fn only_coarse_incidents_means_no_incidents() {
    let index = IncidentIndex::build(vec![at(474_000.0, 6_211_000.0, 15_000.0)]);
    let (xy, _, coarse) = analysis_points(&index, &Filter::default(), false);
    assert_eq!((xy.len(), coarse), (0, 1));
    let cancel = CancelToken::new();
    assert_eq!(
        hotspots(&xy, &HotspotParams::default(), &cancel),
        Err(AnalysisError::NoIncidents)
    );
    assert_eq!(
        strategic_places(&xy, None, &PlacesParams::default(), &cancel),
        Err(AnalysisError::NoIncidents)
    );
}
