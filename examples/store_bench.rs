//! Store speed check: imports N random incidents around Sölvesborg into a new
//! project and reports the time of push × N + commit, peak memory, and
//! `rtreecheck`. Run in release mode:
//!
//! `cargo run --release --example store_bench -- [N] [FILE.gpkg] [--sorted-times] [--ordered-uids] [--ordered]`
//!
//! By default times and uids are random (the worst case for the indexes);
//! `--sorted-times` gives rows in date order (as exports usually are),
//! `--ordered-uids` time-ordered uids (as UUIDv7 would be), `--ordered` both.
//!
//! Without FILE a temporary file is used and removed.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lagesbild::jobs::CancelToken;
use lagesbild::model::{Category, Incident, LonLat, Source};
use lagesbild::store::{Project, PushOutcome, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Prints each stage's start time, to see where commit spends it.
struct StagePrinter(Instant);

impl lagesbild::jobs::Progress for StagePrinter {
    fn stage(&self, name: &str, total: u64) {
        println!(
            "  {:>7.3} s  stage {name:?} ({total})",
            self.0.elapsed().as_secs_f64()
        );
    }
    fn advance(&self, _n: u64) {}
}

/// CPU time this (single-threaded) program has run, from
/// /proc/self/schedstat: on a shared machine wall time also counts waiting.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Row `i` of `n`, with times and uids in order or random (see the file docs).
fn random_incident(
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
    i: usize,
    n: usize,
    (sorted_times, ordered_uids): (bool, bool),
) -> Incident {
    const SPAN_S: i64 = 3 * 365 * 86_400;
    let offset_s = if sorted_times {
        (i as i64 * SPAN_S) / n.max(1) as i64
    } else {
        rng.random_range(0..SPAN_S)
    };
    let at = start + chrono::Duration::seconds(offset_s);
    let lon = 14.58 + rng.random_range(-0.25..0.25);
    let lat = 56.05 + rng.random_range(-0.12..0.12);
    let mut inc = Incident::new(
        at,
        Category::ALL[rng.random_range(0..Category::ALL.len())],
        Source::ALL[rng.random_range(0..Source::ALL.len())],
        LonLat::new(lon, lat),
        if rng.random_bool(0.1) { 2_000.0 } else { 10.0 },
    );
    let bits: u128 = rng.random();
    let bits = if ordered_uids {
        // 48-bit counter in front, like UUIDv7's millisecond timestamp.
        ((i as u128) << 80) | (bits >> 48)
    } else {
        bits
    };
    inc.uid = uuid::Builder::from_random_bytes(bits.to_be_bytes())
        .into_uuid()
        .to_string();
    inc.place = Some("Stortorget".to_owned());
    inc.description = Some("Klotter på väggen".to_owned());
    inc.import_file = Some("bench.csv".to_owned());
    if rng.random_bool(0.5) {
        inc.external_id = Some(format!("5000-K{}-25", rng.random::<u32>()));
    }
    inc
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name || a == "--ordered");
    let order = (flag("--sorted-times"), flag("--ordered-uids"));
    args.retain(|a| !a.starts_with("--"));
    let n: usize = args
        .get(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let path = match args.get(2) {
        Some(p) => std::path::PathBuf::from(p),
        None => dir.path().join("bench.gpkg"),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let start = DateTime::parse_from_rfc3339("2023-01-01T00:00:00Z")?.with_timezone(&Utc);

    let t0 = Instant::now();
    let mut project = Project::create(&path, "bench")?;
    let created = t0.elapsed();

    let mut gen_time = Duration::ZERO;
    let mut gen_cpu = 0.0;
    let mut push_time = Duration::ZERO;
    let mut inserted = 0usize;
    let t1 = Instant::now();
    let cpu1 = cpu_secs();
    let mut session = project.begin_import("bench.csv")?;
    let mut batch = Vec::with_capacity(10_000);
    let mut left = n;
    while left > 0 {
        let g = Instant::now();
        let gc = cpu_secs();
        batch.clear();
        for _ in 0..left.min(10_000) {
            batch.push(random_incident(
                &mut rng,
                start,
                n - left + batch.len(),
                n,
                order,
            ));
        }
        left -= batch.len();
        gen_cpu += cpu_secs() - gc;
        let p = Instant::now();
        gen_time += p - g;
        for inc in &batch {
            if session.push(inc)? == PushOutcome::Inserted {
                inserted += 1;
            }
        }
        push_time += p.elapsed();
    }
    drop(batch);
    let push_cpu = cpu_secs() - cpu1 - gen_cpu;
    let c = Instant::now();
    let cc = cpu_secs();
    session.commit(&StagePrinter(c), &CancelToken::new())?;
    let commit_time = c.elapsed();
    let commit_cpu = cpu_secs() - cc;
    let total = t1.elapsed() - gen_time;

    // rtreecheck takes seconds; STORE_BENCH_NO_CHECK=1 skips it when profiling.
    let check: String = if std::env::var_os("STORE_BENCH_NO_CHECK").is_some() {
        "skipped".to_owned()
    } else {
        project
            .connection()
            .query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
                r.get(0)
            })?
    };
    let r = Instant::now();
    let points = project.incident_points(&Default::default(), &CancelToken::new())?;
    let read_time = r.elapsed();
    let i = Instant::now();
    let info = project.info()?;
    let info_time = i.elapsed();

    println!(
        "rows pushed {n}, inserted {inserted}, read back {}",
        points.len()
    );
    println!("create {:.3} s", created.as_secs_f64());
    println!(
        "push x{n}: {:.3} s (generating incidents, not counted: {:.3} s)",
        push_time.as_secs_f64(),
        gen_time.as_secs_f64()
    );
    println!("commit: {:.3} s", commit_time.as_secs_f64());
    println!(
        "CPU time: push {push_cpu:.3} s + commit {commit_cpu:.3} s = {:.3} s",
        push_cpu + commit_cpu
    );
    println!("store total (push + commit): {:.3} s", total.as_secs_f64());
    println!(
        "incident_points (all): {:.3} s; info: {:.3} s",
        read_time.as_secs_f64(),
        info_time.as_secs_f64()
    );
    println!("rtreecheck: {check}; count {}", info.incident_count);
    println!(
        "file size {:.1} MB",
        std::fs::metadata(&path)?.len() as f64 / 1e6
    );
    println!("peak RSS (VmHWM) {:.0} MB", peak_rss_mb());
    Ok(())
}
