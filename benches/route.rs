//! A walking loop through 12 stops on a synthetic street grid of about
//! 50,000 edges (160 × 160 nodes, 25 m blocks, in SWEREF 99 TM metres):
//! snapping, 13 Dijkstra searches, the exact Held–Karp order and the loop's
//! geometry. Target: under 300 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng as _, SeedableRng as _};

use lagesbild::analysis::route::{Stop, plan_route};
use lagesbild::jobs::CancelToken;
use lagesbild::network::Network;

fn grid(side: usize, block_m: f64) -> Network {
    let (x0, y0) = (470_000.0, 6_208_000.0);
    let xy: Vec<[f64; 2]> = (0..side * side)
        .map(|i| {
            [
                x0 + (i % side) as f64 * block_m,
                y0 + (i / side) as f64 * block_m,
            ]
        })
        .collect();
    let mut segments = Vec::new();
    for r in 0..side {
        for c in 0..side {
            let i = (r * side + c) as u32;
            if c + 1 < side {
                segments.push((i, i + 1));
            }
            if r + 1 < side {
                segments.push((i, i + side as u32));
            }
        }
    }
    Network::from_parts(xy, &segments)
}

fn route_12_stops(c: &mut Criterion) {
    let net = grid(160, 25.0);
    assert!(net.edge_count() >= 50_000, "{}", net.edge_count());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let side_m = 159.0 * 25.0;
    let stops: Vec<Stop> = (0..12)
        .map(|_| Stop {
            xy: [
                470_000.0 + rng.random_range(0.0..side_m),
                6_208_000.0 + rng.random_range(0.0..side_m),
            ],
            name: None,
            dwell_min: 12.0,
        })
        .collect();
    let base = [470_000.0 + side_m / 2.0, 6_208_000.0 + side_m / 2.0];
    let mut group = c.benchmark_group("route");
    group.sample_size(20);
    group.bench_function("12_stops_50k_edges", |b| {
        b.iter(|| plan_route(base, &stops, Some(&net), 4.5, &CancelToken::new()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, route_12_stops);
criterion_main!(benches);
