//! Walking loops: the shortest closed walk from a base through every stop and
//! back, along a walking network ([`crate::network`]) or in straight lines.
//!
//! All positions are SWEREF 99 TM metres. Distances between the base and the
//! stops come from Dijkstra's algorithm on the network (one search per point,
//! stopped once every other point is settled); the order of the stops is then
//! exact (Held–Karp dynamic programming) for up to [`EXACT_MAX_STOPS`] stops,
//! and for more a heuristic (nearest neighbour, then 2-opt and Or-opt moves
//! until none improves). [`Route::method`] says which.

use serde::Serialize;

use crate::analysis::AnalysisError;
use crate::jobs::CancelToken;
use crate::network::{Network, Snap};

/// Most stops whose order is solved exactly (Held–Karp: 2ⁿ·n² steps).
pub const EXACT_MAX_STOPS: usize = 12;

/// Default dwell time at a stop, minutes (the "Koper curve": 10–15 minutes).
pub const DEFAULT_DWELL_MIN: f64 = 12.0;
/// Default walking pace, km/h.
pub const DEFAULT_PACE_KMH: f64 = 4.5;

/// A place to stop at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stop {
    /// SWEREF 99 TM metres.
    pub xy: [f64; 2],
    pub name: Option<String>,
    /// Minutes spent at the stop.
    pub dwell_min: f64,
}

/// How the stops' order was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Held–Karp dynamic programming: the shortest order there is.
    Exact,
    /// Nearest neighbour + 2-opt + Or-opt: good, not proven shortest.
    Heuristic,
}

impl Method {
    pub fn describe(self) -> &'static str {
        match self {
            Method::Exact => "exact (Held–Karp)",
            Method::Heuristic => "heuristic (2-opt + Or-opt), not proven shortest",
        }
    }
}

/// What the legs follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Along {
    /// The walking network.
    Network,
    /// Straight lines (no network given): shorter than any real walk.
    StraightLines,
}

/// A closed walk from the base through every stop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Stop indices (into the input) in walking order.
    pub order: Vec<usize>,
    /// The whole loop, base to base, SWEREF 99 TM metres.
    pub line: Vec<[f64; 2]>,
    /// Metres of each leg: base → first stop, …, last stop → base.
    pub legs_m: Vec<f64>,
    pub length_m: f64,
    /// Walking minutes at the pace.
    pub walk_min: f64,
    /// Minutes at the stops.
    pub dwell_min: f64,
    /// `walk_min + dwell_min`.
    pub shift_min: f64,
    pub method: Method,
    pub along: Along,
    /// Walking metres between every pair of points, index 0 the base and
    /// `i + 1` stop `i` (for visit plans over the same points).
    pub matrix_m: Vec<Vec<f64>>,
    /// Largest distance from a point to the network, metres (0 for straight lines).
    pub max_snap_m: f64,
}

/// Walking minutes for `length_m` at `pace_kmh`.
pub fn walk_minutes(length_m: f64, pace_kmh: f64) -> f64 {
    length_m / 1000.0 / pace_kmh * 60.0
}

/// The shortest closed walk from `base` through every stop and back.
///
/// # Parameters
/// - `base`, `stops`: SWEREF 99 TM metres.
/// - `network`: walk along it; `None` = straight lines.
/// - `pace_kmh`: walking pace for `walk_min`.
///
/// # Errors
/// No stops, a non-finite position or pace, or a stop the network does not
/// connect to the base (the error names it).
pub fn plan_route(
    base: [f64; 2],
    stops: &[Stop],
    network: Option<&Network>,
    pace_kmh: f64,
    cancel: &CancelToken,
) -> Result<Route, AnalysisError> {
    if stops.is_empty() {
        return Err(AnalysisError::InvalidParam {
            name: "stops",
            reason: "no stops to visit".into(),
        });
    }
    if !(pace_kmh.is_finite() && pace_kmh > 0.0) {
        return Err(AnalysisError::InvalidParam {
            name: "pace",
            reason: format!("must be a positive speed in km/h, got {pace_kmh:?}"),
        });
    }
    let mut points = vec![base];
    points.extend(stops.iter().map(|s| s.xy));
    if let Some(i) = points
        .iter()
        .position(|p| !(p[0].is_finite() && p[1].is_finite()))
    {
        return Err(AnalysisError::InvalidParam {
            name: "stops",
            reason: format!("{} has no finite position", point_name(i, stops)),
        });
    }
    for (i, s) in stops.iter().enumerate() {
        if !(s.dwell_min.is_finite() && s.dwell_min >= 0.0) {
            return Err(AnalysisError::InvalidParam {
                name: "dwell",
                reason: format!(
                    "{}: dwell {:?} is not minutes",
                    point_name(i + 1, stops),
                    s.dwell_min
                ),
            });
        }
    }
    let n = points.len();
    let (matrix, lines, along, max_snap_m) = match network {
        None => {
            let m: Vec<Vec<f64>> = points
                .iter()
                .map(|p| points.iter().map(|q| dist(*p, *q)).collect())
                .collect();
            (m, None, Along::StraightLines, 0.0)
        }
        Some(net) => {
            let snaps: Vec<Snap> = points
                .iter()
                .map(|&p| net.snap(p))
                .collect::<Option<_>>()
                .ok_or_else(|| AnalysisError::InvalidParam {
                    name: "network",
                    reason: "the network has no edges".into(),
                })?;
            let mut m = vec![vec![0.0; n]; n];
            let mut lines = vec![vec![Vec::new(); n]; n];
            for i in 0..n {
                cancel.check()?;
                let tree = net.distances(&snaps[i], f64::INFINITY, &snaps);
                for j in 0..n {
                    if i == j {
                        continue;
                    }
                    let Some(w) = net.walk_to(&tree, &snaps[j]) else {
                        let (a, b) = if i == 0 {
                            (j, 0)
                        } else {
                            (i, if j == 0 { 0 } else { j })
                        };
                        return Err(AnalysisError::InvalidParam {
                            name: "network",
                            reason: format!(
                                "{} cannot be reached from {} along the network (the nearest lines are not connected); move it or use a network that connects them",
                                point_name(a, stops),
                                point_name(b, stops)
                            ),
                        });
                    };
                    m[i][j] = w.length_m;
                    lines[i][j] = w.line;
                }
            }
            let max_snap = snaps.iter().map(|s| s.offset_m).fold(0.0, f64::max);
            (m, Some(lines), Along::Network, max_snap)
        }
    };
    cancel.check()?;
    let (tour, method) = shortest_tour(&matrix, cancel)?;
    // `tour` starts at 0 (the base) and lists every point once.
    let mut seq = tour.clone();
    seq.push(0);
    let mut line: Vec<[f64; 2]> = Vec::new();
    let mut legs_m = Vec::with_capacity(n);
    for w in seq.windows(2) {
        let (i, j) = (w[0], w[1]);
        legs_m.push(matrix[i][j]);
        let leg: Vec<[f64; 2]> = match &lines {
            Some(l) => l[i][j].clone(),
            None => vec![points[i], points[j]],
        };
        for p in leg {
            if line.last() != Some(&p) {
                line.push(p);
            }
        }
    }
    if line.len() < 2 {
        line.push(line[0]);
    }
    let length_m: f64 = legs_m.iter().sum();
    let walk_min = walk_minutes(length_m, pace_kmh);
    let dwell_min: f64 = stops.iter().map(|s| s.dwell_min).sum();
    Ok(Route {
        order: tour[1..].iter().map(|&i| i - 1).collect(),
        line,
        legs_m,
        length_m,
        walk_min,
        dwell_min,
        shift_min: walk_min + dwell_min,
        method,
        along,
        matrix_m: matrix,
        max_snap_m,
    })
}

/// Reads stops: GeoJSON Point features (WGS84), named by a `name` or `namn`
/// property, each with its own dwell time from a `dwell_min` property when
/// it has one (as plan exports write it), else `default_dwell_min`.
pub fn read_stops(
    path: &std::path::Path,
    default_dwell_min: f64,
) -> Result<Vec<Stop>, crate::analysis::inputs::InputError> {
    use crate::analysis::inputs::InputError;
    let set = crate::import::shapes::read_features(path, None)?;
    let content = |reason: String| InputError::Content {
        path: path.display().to_string(),
        reason,
    };
    let places = crate::analysis::inputs::candidates_from_features(&set).map_err(|r| {
        content(
            r.replace("candidate place", "stop")
                .replace("not a place", "not a stop"),
        )
    })?;
    let mut stops = Vec::with_capacity(places.len());
    for (i, (c, f)) in places.into_iter().zip(&set.features).enumerate() {
        let dwell_min = match f.properties.get("dwell_min") {
            None | Some(serde_json::Value::Null) => default_dwell_min,
            Some(v) => v
                .as_f64()
                .filter(|m| m.is_finite() && *m >= 0.0)
                .ok_or_else(|| {
                    content(format!(
                        "feature {}: dwell_min {v} is not a number of minutes",
                        i + 1
                    ))
                })?,
        };
        stops.push(Stop {
            xy: c.xy,
            name: c.name,
            dwell_min,
        });
    }
    Ok(stops)
}

/// "the base" or "stop N (name)", for messages.
fn point_name(i: usize, stops: &[Stop]) -> String {
    if i == 0 {
        return "the base".into();
    }
    match &stops[i - 1].name {
        Some(name) => format!("stop {i} ({name:?})"),
        None => format!("stop {i}"),
    }
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// The shortest closed tour over all points of a symmetric distance matrix,
/// starting at point 0: exact for up to [`EXACT_MAX_STOPS`] + 1 points,
/// heuristic beyond.
pub fn shortest_tour(
    d: &[Vec<f64>],
    cancel: &CancelToken,
) -> Result<(Vec<usize>, Method), AnalysisError> {
    let n = d.len();
    if n <= 3 {
        return Ok(((0..n).collect(), Method::Exact));
    }
    if n - 1 <= EXACT_MAX_STOPS {
        Ok((held_karp(d), Method::Exact))
    } else {
        Ok((heuristic_tour(d, cancel)?, Method::Heuristic))
    }
}

/// Length of a closed tour.
pub fn tour_length(d: &[Vec<f64>], tour: &[usize]) -> f64 {
    let n = tour.len();
    (0..n).map(|i| d[tour[i]][tour[(i + 1) % n]]).sum()
}

/// Held–Karp (1962) over points 1..n with 0 as start and end.
fn held_karp(d: &[Vec<f64>]) -> Vec<usize> {
    let m = d.len() - 1; // stops
    let full = 1usize << m;
    // cost[set][j]: shortest path from 0 through `set`, ending at stop j ∈ set.
    let mut cost = vec![f64::INFINITY; full * m];
    let mut parent = vec![u8::MAX; full * m];
    for j in 0..m {
        cost[(1 << j) * m + j] = d[0][j + 1];
    }
    for set in 1..full {
        for j in 0..m {
            if set & (1 << j) == 0 {
                continue;
            }
            let c = cost[set * m + j];
            if !c.is_finite() {
                continue;
            }
            for k in 0..m {
                if set & (1 << k) != 0 {
                    continue;
                }
                let next = set | (1 << k);
                let v = c + d[j + 1][k + 1];
                if v < cost[next * m + k] {
                    cost[next * m + k] = v;
                    parent[next * m + k] = j as u8;
                }
            }
        }
    }
    let last_set = full - 1;
    let mut best = (f64::INFINITY, 0);
    for j in 0..m {
        let v = cost[last_set * m + j] + d[j + 1][0];
        if v < best.0 {
            best = (v, j);
        }
    }
    let mut order = Vec::with_capacity(m);
    let (mut set, mut j) = (last_set, best.1);
    loop {
        order.push(j + 1);
        let p = parent[set * m + j];
        set &= !(1 << j);
        if p == u8::MAX {
            break;
        }
        j = p as usize;
    }
    order.push(0);
    order.reverse();
    order
}

/// Nearest neighbour from 0, then 2-opt and Or-opt (moving runs of 1–3
/// points, either way round) until no move shortens the tour.
fn heuristic_tour(d: &[Vec<f64>], cancel: &CancelToken) -> Result<Vec<usize>, AnalysisError> {
    let n = d.len();
    let mut tour = vec![0];
    let mut used = vec![false; n];
    used[0] = true;
    for _ in 1..n {
        let last = *tour.last().unwrap_or(&0);
        let next = (0..n)
            .filter(|&j| !used[j])
            .min_by(|&a, &b| d[last][a].total_cmp(&d[last][b]))
            .unwrap_or(0);
        used[next] = true;
        tour.push(next);
    }
    let eps = 1e-9;
    loop {
        cancel.check()?;
        let mut improved = false;
        // 2-opt: reverse tour[i..=j].
        for i in 1..n - 1 {
            for j in i + 1..n {
                let (a, b) = (tour[i - 1], tour[i]);
                let (c, e) = (tour[j], tour[(j + 1) % n]);
                let delta = d[a][c] + d[b][e] - d[a][b] - d[c][e];
                if delta < -eps {
                    tour[i..=j].reverse();
                    improved = true;
                }
            }
        }
        // Or-opt: move a run of 1–3 points elsewhere (maybe reversed).
        'runs: for len in 1..=3usize {
            for i in 1..n {
                if i + len > n {
                    break;
                }
                let prev = tour[i - 1];
                let first = tour[i];
                let last = tour[i + len - 1];
                let next = tour[(i + len) % n];
                let removed = d[prev][first] + d[last][next] - d[prev][next];
                let rest: Vec<usize> = tour[..i].iter().chain(&tour[i + len..]).copied().collect();
                let run: Vec<usize> = tour[i..i + len].to_vec();
                let m = rest.len();
                for p in 0..m {
                    let (x, y) = (rest[p], rest[(p + 1) % m]);
                    if x == prev && y == next {
                        continue;
                    }
                    let fwd = d[x][first] + d[last][y] - d[x][y];
                    let rev = d[x][last] + d[first][y] - d[x][y];
                    let (gain, reversed) = if rev < fwd { (rev, true) } else { (fwd, false) };
                    if gain < removed - eps {
                        let mut run = run.clone();
                        if reversed {
                            run.reverse();
                        }
                        let mut t = rest[..=p].to_vec();
                        t.extend(run);
                        t.extend(&rest[p + 1..]);
                        tour = t;
                        improved = true;
                        break 'runs;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    // Keep the base first.
    let at = tour.iter().position(|&p| p == 0).unwrap_or(0);
    tour.rotate_left(at);
    Ok(tour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng as _, SeedableRng as _};

    fn brute_force(d: &[Vec<f64>]) -> f64 {
        fn rec(d: &[Vec<f64>], at: usize, left: &mut Vec<usize>, acc: f64, best: &mut f64) {
            if left.is_empty() {
                *best = best.min(acc + d[at][0]);
                return;
            }
            for i in 0..left.len() {
                let j = left.swap_remove(i);
                rec(d, j, left, acc + d[at][j], best);
                left.push(j);
                let l = left.len();
                left.swap(i, l - 1);
            }
        }
        let mut left: Vec<usize> = (1..d.len()).collect();
        let mut best = f64::INFINITY;
        rec(d, 0, &mut left, 0.0, &mut best);
        best
    }

    fn random_matrix(n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let p: Vec<[f64; 2]> = (0..n)
            .map(|_| [rng.random_range(0.0..1000.0), rng.random_range(0.0..1000.0)])
            .collect();
        p.iter()
            .map(|a| p.iter().map(|b| dist(*a, *b)).collect())
            .collect()
    }

    fn is_permutation(t: &[usize], n: usize) -> bool {
        let mut s = t.to_vec();
        s.sort_unstable();
        s == (0..n).collect::<Vec<_>>() && t[0] == 0
    }

    #[test]
    fn held_karp_matches_brute_force() {
        for n in 2..=9 {
            for seed in 0..5 {
                let d = random_matrix(n, seed * 31 + n as u64);
                let (t, m) = shortest_tour(&d, &CancelToken::new()).unwrap();
                assert_eq!(m, Method::Exact);
                assert!(is_permutation(&t, n), "{t:?}");
                let bf = brute_force(&d);
                assert!((tour_length(&d, &t) - bf).abs() < 1e-6, "n {n} seed {seed}");
            }
        }
    }

    #[test]
    fn heuristic_is_a_tour_close_to_brute_force() {
        for seed in 0..5 {
            let d = random_matrix(10, seed);
            let t = heuristic_tour(&d, &CancelToken::new()).unwrap();
            assert!(is_permutation(&t, 10), "{t:?}");
            let bf = brute_force(&d);
            assert!(tour_length(&d, &t) <= bf * 1.10 + 1e-9, "seed {seed}");
        }
        let d = random_matrix(40, 7);
        let (t, m) = shortest_tour(&d, &CancelToken::new()).unwrap();
        assert_eq!(m, Method::Heuristic);
        assert!(is_permutation(&t, 40));
    }

    fn stop(x: f64, y: f64) -> Stop {
        Stop {
            xy: [x, y],
            name: None,
            dwell_min: 12.0,
        }
    }

    /// A 5 × 5 grid of 100 m blocks (nodes shared at every crossing), plus
    /// a diagonal "bridge" from (0, 0) to (400, 400) given only by its two
    /// ends: it passes over the grid's crossings (100, 100) … (300, 300)
    /// without sharing a vertex there, so it connects only at the corners.
    /// With `joined`, the diagonal has vertices at those crossings too.
    fn grid_with_bridge(joined: bool) -> Network {
        let mut lines = Vec::new();
        for i in 0..5 {
            let v = i as f64 * 100.0;
            lines.push((0..5).map(|j| [v, j as f64 * 100.0]).collect::<Vec<_>>());
            lines.push((0..5).map(|j| [j as f64 * 100.0, v]).collect::<Vec<_>>());
        }
        if joined {
            lines.push(
                (0..5)
                    .map(|j| [j as f64 * 100.0, j as f64 * 100.0])
                    .collect(),
            );
        } else {
            lines.push(vec![[0.0, 0.0], [400.0, 400.0]]);
        }
        Network::from_lines(&lines)
    }

    /// Floyd–Warshall over the network's nodes, for a brute-force check.
    fn all_pairs(n: &Network) -> Vec<Vec<f64>> {
        let k = n.node_count();
        let mut d = vec![vec![f64::INFINITY; k]; k];
        for (i, row) in d.iter_mut().enumerate() {
            row[i] = 0.0;
        }
        for e in n.edges() {
            let (a, b) = (e.a as usize, e.b as usize);
            d[a][b] = d[a][b].min(e.length_m);
            d[b][a] = d[a][b];
        }
        for m in 0..k {
            for i in 0..k {
                for j in 0..k {
                    let v = d[i][m] + d[m][j];
                    if v < d[i][j] {
                        d[i][j] = v;
                    }
                }
            }
        }
        d
    }

    /// The brute-force optimum over node-placed points on `net`.
    fn brute_force_on(net: &Network, points: &[[f64; 2]]) -> f64 {
        let apsp = all_pairs(net);
        let idx: Vec<usize> = points
            .iter()
            .map(|p| {
                (0..net.node_count())
                    .position(|i| net.node_xy(i as u32) == *p)
                    .unwrap()
            })
            .collect();
        let d: Vec<Vec<f64>> = idx
            .iter()
            .map(|&i| idx.iter().map(|&j| apsp[i][j]).collect())
            .collect();
        brute_force(&d)
    }

    #[test]
    fn network_routes_match_brute_force_with_and_without_a_shared_crossing() {
        let base = [0.0, 0.0];
        let stops = [
            stop(400.0, 400.0),
            stop(200.0, 300.0),
            stop(300.0, 100.0),
            stop(100.0, 0.0),
            stop(0.0, 300.0),
        ];
        let points: Vec<[f64; 2]> = std::iter::once(base)
            .chain(stops.iter().map(|s| s.xy))
            .collect();
        let mut lengths = Vec::new();
        for joined in [false, true] {
            let net = grid_with_bridge(joined);
            let r = plan_route(base, &stops, Some(&net), 4.5, &CancelToken::new()).unwrap();
            assert_eq!((r.method, r.along), (Method::Exact, Along::Network));
            let bf = brute_force_on(&net, &points);
            assert!(
                (r.length_m - bf).abs() < 1e-6,
                "joined {joined}: {} vs {bf}",
                r.length_m
            );
            assert_eq!(r.line.first(), Some(&base));
            assert_eq!(r.line.last(), Some(&base));
            assert!((r.walk_min - r.length_m / 4500.0 * 60.0).abs() < 1e-9);
            assert!((r.shift_min - r.walk_min - 60.0).abs() < 1e-9);
            lengths.push(r.length_m);
        }
        // Without the shared vertices the crossing is no shortcut: the loop
        // is longer than on the joined network.
        assert!(lengths[0] > lengths[1] + 1.0, "{lengths:?}");
    }

    #[test]
    fn a_crossing_without_a_shared_vertex_does_not_connect() {
        // A footbridge over the grid's middle street, its ends off the grid.
        let mut lines = Vec::new();
        for i in 0..3 {
            let v = i as f64 * 100.0;
            lines.push((0..3).map(|j| [v, j as f64 * 100.0]).collect::<Vec<_>>());
            lines.push((0..3).map(|j| [j as f64 * 100.0, v]).collect::<Vec<_>>());
        }
        lines.push(vec![[-100.0, 150.0], [300.0, 150.0]]);
        let net = Network::from_lines(&lines);
        let err = plan_route(
            [-100.0, 150.0],
            &[stop(100.0, 100.0)],
            Some(&net),
            4.5,
            &CancelToken::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be reached"), "{err}");
        // Along the bridge itself the walk works.
        let r = plan_route(
            [-100.0, 150.0],
            &[stop(300.0, 150.0)],
            Some(&net),
            4.5,
            &CancelToken::new(),
        )
        .unwrap();
        assert!((r.length_m - 800.0).abs() < 1e-6, "{}", r.length_m);
    }

    #[test]
    fn without_a_network_the_route_is_straight_lines() {
        let r = plan_route(
            [0.0, 0.0],
            &[stop(300.0, 0.0), stop(300.0, 400.0)],
            None,
            4.5,
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!(r.along, Along::StraightLines);
        assert!((r.length_m - 1200.0).abs() < 1e-9);
        assert_eq!(
            r.line,
            vec![[0.0, 0.0], [300.0, 0.0], [300.0, 400.0], [0.0, 0.0]]
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let c = CancelToken::new();
        assert!(plan_route([0.0, 0.0], &[], None, 4.5, &c).is_err());
        assert!(plan_route([0.0, 0.0], &[stop(1.0, 1.0)], None, 0.0, &c).is_err());
        assert!(plan_route([f64::NAN, 0.0], &[stop(1.0, 1.0)], None, 4.5, &c).is_err());
    }
}
