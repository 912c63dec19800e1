//! Benchmark of the patrol plan's coverage (`analysis::coverage`): 20 items
//! (10 areas of 24 corners, one with a hole, and 10 routes of 40 vertices,
//! about 3 km each, with 5 stops), each walked on its own weekdays and hours,
//! over 10,000, 100,000 and 1,000,000 seeded clustered incidents in
//! Sölvesborgs kommun (the analysis benchmark's data), through the same
//! `coverage_of` the app and `lagesbild coverage` call on a loaded selection.
//! The issue asks for under 300 ms at 1,000,000.
//!
//! Run: `cargo bench --bench coverage`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use lagesbild::analysis::coverage::{CoverageParams, coverage_of};
use lagesbild::analysis::engine::Loaded;
use lagesbild::analysis::synthetic::{CENTRE, clustered_xy};
use lagesbild::crs::wgs84_from_sweref_geometry;
use lagesbild::jobs::CancelToken;
use lagesbild::model::plan::{PatrolArea, PatrolPlan, PatrolRoute, PlanAttributes, RouteStop};
use lagesbild::model::{Category, Filter, HourRange, Source, Weekdays};
use lagesbild::store::SwerefPoint;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn loaded(n: usize) -> Loaded {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let points = clustered_xy(n, 2026)
        .into_iter()
        .map(|xy| SwerefPoint {
            xy,
            occurred_at: 0,
            local_day: 0,
            hour: rng.random_range(0..24),
            weekday: rng.random_range(0..7),
            category: Category::Vald,
            source: Source::Polis,
            precision_m: 10.0,
        })
        .collect();
    Loaded {
        name: "bench".into(),
        synthetic: true,
        filter: Filter::default(),
        include_coarse: false,
        points,
        area: None,
    }
}

fn attributes(i: usize, rng: &mut ChaCha8Rng) -> PlanAttributes {
    let days = ["fri,sat", "mon-fri", "thu-sun", "mon-sun"][i % 4];
    let start = rng.random_range(16..22u8);
    PlanAttributes {
        name: format!("item {i}"),
        weekdays: days.parse::<Weekdays>().unwrap(),
        hours: HourRange::new(start, (start + 6) % 24),
        ..PlanAttributes::default()
    }
}

fn plan() -> PatrolPlan {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut plan = PatrolPlan::default();
    for i in 0..10 {
        let c = [
            CENTRE[0] + rng.random_range(-5000.0..5000.0),
            CENTRE[1] + rng.random_range(-7000.0..7000.0),
        ];
        let ring = |r: f64, rng: &mut ChaCha8Rng| -> LineString<f64> {
            (0..=24)
                .map(|k| {
                    let a = f64::from(k % 24) / 24.0 * std::f64::consts::TAU;
                    let rr = r * rng.random_range(0.6..1.0);
                    Coord {
                        x: c[0] + rr * a.cos(),
                        y: c[1] + rr * a.sin(),
                    }
                })
                .collect::<Vec<_>>()
                .into()
        };
        let mut exterior = ring(800.0, &mut rng);
        if let (Some(first), Some(last)) = (exterior.0.first().copied(), exterior.0.last_mut()) {
            *last = first;
        }
        let holes = if i == 0 {
            let mut h = ring(150.0, &mut rng);
            h.0.reverse();
            if let (Some(first), Some(last)) = (h.0.first().copied(), h.0.last_mut()) {
                *last = first;
            }
            vec![h]
        } else {
            vec![]
        };
        let sweref = MultiPolygon::new(vec![Polygon::new(exterior, holes)]);
        plan.areas.push(PatrolArea {
            id: Some(i as i64 + 1),
            attributes: attributes(i, &mut rng),
            polygons: wgs84_from_sweref_geometry(&sweref),
        });
    }
    for i in 0..10 {
        let mut p = [
            CENTRE[0] + rng.random_range(-5000.0..5000.0),
            CENTRE[1] + rng.random_range(-7000.0..7000.0),
        ];
        let mut line = Vec::new();
        for _ in 0..40 {
            line.push(Coord { x: p[0], y: p[1] });
            p[0] += rng.random_range(-100.0..100.0);
            p[1] += rng.random_range(-100.0..100.0);
        }
        let line = wgs84_from_sweref_geometry(&LineString::from(line));
        let stops = (0..5)
            .map(|k| RouteStop::new(format!("stop {k}"), Point::from(line.0[k * 8])))
            .collect();
        plan.routes.push(PatrolRoute {
            id: Some(i as i64 + 1),
            attributes: attributes(i + 10, &mut rng),
            line,
            stops,
        });
    }
    plan
}

fn bench_coverage(c: &mut Criterion) {
    let plan = plan();
    let params = CoverageParams::default();
    let mut group = c.benchmark_group("coverage_20_items");
    group.measurement_time(Duration::from_secs(8));
    for n in SIZES {
        let data = loaded(n);
        let result = coverage_of(&data, &plan, &params, &CancelToken::default()).unwrap();
        eprintln!(
            "{n} incidents: plan total {} ({:.1} %), items {:?}",
            result.total.incidents,
            result.total.share * 100.0,
            result.items.iter().map(|i| i.incidents).collect::<Vec<_>>()
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &data, |b, data| {
            b.iter(|| {
                black_box(coverage_of(data, &plan, &params, &CancelToken::default()).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_coverage);
criterion_main!(benches);
