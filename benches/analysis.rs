//! Benchmarks of the analysis engine on seeded, clustered synthetic incidents
//! over the municipality (about 14 × 20 km around 474 000 E, 6 211 000 N in
//! SWEREF 99 TM): R-tree build, heatmap (1000 × 1000 cells, quartic, 200 m),
//! Gi* (100 m cells, 300 m band, on the incidents' grid and inside the
//! municipality's boundary from `data/`) and strategic places (k = 6 and 30,
//! 300 m) at 10,000, 100,000 and 1,000,000 incidents.
//!
//! Before the timings it prints the heatmap's median relative error against
//! the exact kernel sum on 1,000 sampled cells at 1,000,000 incidents, and the
//! places' coverage over the upper bound for k = 1..30 at 100,000 and
//! 1,000,000 (the issue asks for ≥ 99.5 % of the optimum up to k = 30).
//!
//! Run: `cargo bench --bench analysis` (add `-- heatmap` etc. to pick one).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use lagesbild::analysis::synthetic::{CENTRE, clustered_xy as synthetic};
use lagesbild::analysis::{
    HeatmapParams, HotspotParams, IncidentIndex, Kernel, PlacesParams, heatmap, hotspots,
    strategic_places,
};
use lagesbild::crs::{Sweref99Tm, wgs84_from_sweref};
use lagesbild::jobs::CancelToken;
use lagesbild::model::IncidentPoint;
use lagesbild::model::{Category, Source};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn heat_params() -> HeatmapParams {
    // 1000 × 1000 cells of 20 m (the default for 200 m) over 20 × 20 km.
    HeatmapParams {
        kernel: Kernel::Quartic,
        bandwidth_m: 200.0,
        cell_m: Some(20.0),
        extent: Some((
            [CENTRE[0] - 10_000.0, CENTRE[1] - 10_000.0],
            [CENTRE[0] + 10_000.0, CENTRE[1] + 10_000.0],
        )),
        ..HeatmapParams::default()
    }
}

/// Median relative error of the heatmap against the exact kernel sum (by R-tree)
/// on 1,000 seeded cells with density above zero.
fn report_heatmap_accuracy(xy: &[[f64; 2]]) {
    let params = heat_params();
    let map = heatmap(xy, &[], &params, &CancelToken::new()).unwrap_or_else(|e| panic!("{e}"));
    let tree = rstar::RTree::bulk_load(xy.to_vec());
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut errors = Vec::new();
    while errors.len() < 1000 {
        let ix = rng.random_range(0..map.grid.nx);
        let iy = rng.random_range(0..map.grid.ny);
        let c = map.grid.cell_center(ix, iy);
        let exact: f64 = tree
            .locate_within_distance(c, params.bandwidth_m * params.bandwidth_m)
            .map(|q| {
                let d2 = (q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2);
                Kernel::Quartic.value_per_m2(params.bandwidth_m, d2) * 1e6
            })
            .sum();
        if exact > 0.0 {
            errors.push((map.grid.get(ix, iy) - exact).abs() / exact);
        }
    }
    errors.sort_by(f64::total_cmp);
    println!(
        "heatmap accuracy at {} incidents: median relative error {:.4} %, 90th percentile {:.4} %",
        xy.len(),
        errors[500] * 100.0,
        errors[900] * 100.0
    );
}

/// Coverage over the upper bound for k = 1..30.
fn report_places_quality(xy: &[[f64; 2]]) {
    let mut worst: f64 = 1.0;
    for k in 1..=30 {
        let params = PlacesParams {
            k,
            ..PlacesParams::default()
        };
        let p = strategic_places(xy, None, &params, &CancelToken::new())
            .unwrap_or_else(|e| panic!("{e}"));
        worst = worst.min(p.optimality_ratio());
        if k % 6 == 0 || k == 1 {
            println!(
                "places k = {k:2}: covered {} of {} ({:.1} %), ≥ {:.2} % of optimum",
                p.covered,
                p.total,
                p.share * 100.0,
                p.optimality_ratio() * 100.0
            );
        }
    }
    println!(
        "places at {} incidents, k = 1..30: worst covered / upper bound = {:.3} % ({})",
        xy.len(),
        worst * 100.0,
        if worst >= 0.995 {
            "certified ≥ 99.5 % of the optimum"
        } else {
            "NOT certified to 99.5 %"
        }
    );
}

fn points_of(xy: &[[f64; 2]]) -> Vec<IncidentPoint> {
    xy.iter()
        .enumerate()
        .map(|(i, p)| IncidentPoint {
            fid: i as i64,
            occurred_at: chrono::DateTime::UNIX_EPOCH,
            category: Category::ALL[i % 8],
            source: Source::Polis,
            position: wgs84_from_sweref(Sweref99Tm {
                easting: p[0],
                northing: p[1],
            }),
            precision_m: 10.0,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data: Vec<Vec<[f64; 2]>> = SIZES.iter().map(|&n| synthetic(n, 2026)).collect();
    report_heatmap_accuracy(&data[2]);
    report_places_quality(&data[1]);
    report_places_quality(&data[2]);
    let cancel = CancelToken::new();

    let mut g = c.benchmark_group("analysis");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for (n, xy) in SIZES.iter().zip(&data) {
        let points = points_of(xy);
        g.bench_with_input(BenchmarkId::new("rtree_build", n), &points, |b, pts| {
            b.iter_batched(
                || pts.clone(),
                |pts| black_box(IncidentIndex::build(pts)),
                criterion::BatchSize::LargeInput,
            )
        });
        drop(points);
        let hp = heat_params();
        g.bench_with_input(BenchmarkId::new("heatmap_quartic_200m", n), xy, |b, xy| {
            b.iter(|| black_box(heatmap(xy, &[], &hp, &cancel)))
        });
        let gp = HotspotParams::default();
        g.bench_with_input(BenchmarkId::new("gi_star_100m_300m", n), xy, |b, xy| {
            b.iter(|| black_box(hotspots(xy, &gp, &cancel)))
        });
        let masked = HotspotParams {
            study_area: Some(lagesbild::analysis::inputs::default_boundary()),
            ..HotspotParams::default()
        };
        g.bench_with_input(
            BenchmarkId::new("gi_star_100m_300m_in_boundary", n),
            xy,
            |b, xy| b.iter(|| black_box(hotspots(xy, &masked, &cancel))),
        );
        for k in [6, 30] {
            let pp = PlacesParams {
                k,
                ..PlacesParams::default()
            };
            g.bench_with_input(BenchmarkId::new(format!("places_k{k}"), n), xy, |b, xy| {
                b.iter(|| black_box(strategic_places(xy, None, &pp, &cancel)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
