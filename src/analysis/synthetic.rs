//! Seeded synthetic incident positions for the analysis benchmarks and the
//! tests that must hold "on clustered test data like the benchmark's":
//! clustered like real incidents (town centres, stations, schools) over a
//! box the size of Sölvesborgs kommun, in SWEREF 99 TM metres. Never shown
//! as real data.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Centre of the box, SWEREF 99 TM (near Sölvesborg).
pub const CENTRE: [f64; 2] = [474_000.0, 6_211_000.0];
/// Half the box's width (east–west), metres: the box is 14 km wide.
pub const HALF_W_M: f64 = 7_000.0;
/// Half the box's height (north–south), metres: the box is 20 km high.
pub const HALF_H_M: f64 = 10_000.0;

/// Seeded clustered incidents: 80 % in 40 Gaussian clusters (σ 80–600 m,
/// uneven sizes), 20 % spread evenly; all inside the 14 × 20 km box.
pub fn clustered_xy(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let clusters: Vec<([f64; 2], f64, f64)> = (0..40)
        .map(|_| {
            let c = [
                CENTRE[0] + rng.random_range(-HALF_W_M * 0.9..HALF_W_M * 0.9),
                CENTRE[1] + rng.random_range(-HALF_H_M * 0.9..HALF_H_M * 0.9),
            ];
            let sigma = rng.random_range(80.0..600.0);
            let weight: f64 = rng.random_range(0.2..1.0f64).powi(3);
            (c, sigma, weight)
        })
        .collect();
    let total_w: f64 = clusters.iter().map(|c| c.2).sum();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let p = if rng.random_bool(0.2) {
            [
                CENTRE[0] + rng.random_range(-HALF_W_M..HALF_W_M),
                CENTRE[1] + rng.random_range(-HALF_H_M..HALF_H_M),
            ]
        } else {
            let mut pick = rng.random_range(0.0..total_w);
            let mut chosen = &clusters[0];
            for c in &clusters {
                if pick < c.2 {
                    chosen = c;
                    break;
                }
                pick -= c.2;
            }
            [
                chosen.0[0] + chosen.1 * rng.sample::<f64, _>(StandardNormal),
                chosen.0[1] + chosen.1 * rng.sample::<f64, _>(StandardNormal),
            ]
        };
        if (p[0] - CENTRE[0]).abs() < HALF_W_M && (p[1] - CENTRE[1]).abs() < HALF_H_M {
            out.push(p);
        }
    }
    out
}
