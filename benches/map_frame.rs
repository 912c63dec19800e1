//! Frame time of the incident layer, headless: one egui pass over a 1280×800
//! walkers `Map` (no tiles) with the layer as plugin and the pointer over the
//! map, plus tessellation of everything it painted. Seeded, clustered
//! synthetic incidents over Sölvesborg (about 20 × 14 km around 56.05 N
//! 14.58 E), 100 000 and 1 000 000 of them, with the whole municipality in
//! view (zoom 12) and at street level (zoom 16, in the densest cluster).
//!
//! Run: `cargo bench --bench map_frame`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{Context, Event, Pos2, RawInput, Rect, pos2, vec2};
use lagesbild::analysis::IncidentIndex;
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::gui::i18n::Language;
use lagesbild::gui::map::incidents::{FrameStats, IncidentLayer, IncidentLayerData};
use lagesbild::jobs::CancelToken;
use lagesbild::model::IncidentPoint;
use lagesbild::model::{Category, LonLat, Precision, Source};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};
use walkers::{Map, MapMemory, Position, lon_lat};

const CENTER: LonLat = LonLat {
    lon: 14.58,
    lat: 56.05,
};
const SIZE: egui::Vec2 = vec2(1280.0, 800.0);

/// `n` incidents in 40 clusters (spread 150–1 200 m) over 20 × 14 km; 2 %
/// have a town-level (coarse) position. Returns them and the densest
/// cluster's centre.
fn synthetic(n: usize) -> (Vec<IncidentPoint>, LonLat) {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let c = sweref_from_wgs84(CENTER);
    let clusters: Vec<([f64; 2], f64, f64)> = (0..40)
        .map(|k| {
            let e = c.easting + rng.random_range(-10_000.0..10_000.0);
            let n = c.northing + rng.random_range(-7_000.0..7_000.0);
            // Weight falls with k: the first cluster is the densest.
            (
                [e, n],
                rng.random_range(150.0..1_200.0),
                1.0 / (1.0 + k as f64),
            )
        })
        .collect();
    let total_weight: f64 = clusters.iter().map(|c| c.2).sum();
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let mut points = Vec::with_capacity(n);
    for i in 0..n {
        let mut pick = rng.random_range(0.0..total_weight);
        let mut k = 0;
        while pick > clusters[k].2 && k + 1 < clusters.len() {
            pick -= clusters[k].2;
            k += 1;
        }
        let (centre, sd, _) = clusters[k];
        let normal = Normal::new(0.0, sd).unwrap();
        let coarse = rng.random_bool(0.02);
        let position = if coarse {
            CENTER
        } else {
            wgs84_from_sweref(Sweref99Tm {
                easting: centre[0] + normal.sample(&mut rng),
                northing: centre[1] + normal.sample(&mut rng),
            })
        };
        points.push(IncidentPoint {
            fid: i as i64 + 1,
            occurred_at: t0 + chrono::Duration::seconds(rng.random_range(0..60_000_000)),
            category: Category::ALL[rng.random_range(0..Category::ALL.len())],
            source: Source::ALL[rng.random_range(0..Source::ALL.len())],
            position,
            precision_m: if coarse { Precision::TOWN_M } else { 10.0 },
        });
    }
    let densest = wgs84_from_sweref(Sweref99Tm {
        easting: clusters[0].0[0],
        northing: clusters[0].0[1],
    });
    (points, densest)
}

/// One frame: layout and paint the map with the layer, then tessellate.
fn frame(
    ctx: &Context,
    memory: &mut MapMemory,
    layer: &mut IncidentLayer,
    center: Position,
) -> usize {
    let input = RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SIZE)),
        events: vec![Event::PointerMoved(pos2(641.0, 399.0))],
        ..Default::default()
    };
    let mut output = ctx.run_ui(input, |ui| {
        Map::new(None, memory, center)
            .with_plugin(&mut *layer)
            .show(ui, |_, _, _, _| ());
    });
    // No renderer here: the font atlas updates are dropped on purpose.
    output.textures_delta.clear();
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("map_frame");
    group.sample_size(20);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(3));
    for n in [100_000usize, 1_000_000] {
        let (points, densest) = synthetic(n);
        let index = Arc::new(IncidentIndex::build(points));
        let mask = vec![true; n];
        let started = std::time::Instant::now();
        let data = Arc::new(IncidentLayerData::build(index, &mask, &CancelToken::new()).unwrap());
        eprintln!("{n} incidents: layer data built in {:?}", started.elapsed());
        let cases: [(&str, f64, LonLat, u64); 3] = [
            (
                "municipality_z12",
                12.0,
                CENTER,
                lagesbild::gui::map::incidents::AGGREGATE_ABOVE,
            ),
            (
                "street_z16",
                16.0,
                densest,
                lagesbild::gui::map::incidents::AGGREGATE_ABOVE,
            ),
            ("municipality_z12_all_points", 12.0, CENTER, u64::MAX),
        ];
        for (name, zoom, at, aggregate_above) in cases {
            if n > 100_000 && aggregate_above == u64::MAX {
                continue; // a million separate points is exactly what aggregation avoids
            }
            let ctx = Context::default();
            let mut memory = MapMemory::default();
            memory.set_zoom(zoom).unwrap();
            let mut layer = IncidentLayer::new(Language::Swedish);
            layer.aggregate_above = aggregate_above;
            layer.set_data(data.clone());
            let center = lon_lat(at.lon, at.lat);
            frame(&ctx, &mut memory, &mut layer, center);
            let stats: FrameStats = layer.last_frame_stats();
            eprintln!("{n} {name}: {stats:?}");
            group.bench_function(format!("{n}/{name}"), |b| {
                b.iter(|| frame(&ctx, &mut memory, &mut layer, center))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
