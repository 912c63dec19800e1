//! Store speed check: imports N random incidents around Sölvesborg into a new
//! project and reports the time of push × N + commit, peak memory, and
//! `rtreecheck`. Run in release mode:
//!
//! `cargo run --release --example store_bench -- [N] [FILE.gpkg]`
//!
//! Without FILE a temporary file is used and removed.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Incident, LonLat, Source};
use lagesbild::store::{Project, PushOutcome, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn random_incident(rng: &mut ChaCha8Rng, start: DateTime<Utc>) -> Incident {
    let at = start + chrono::Duration::seconds(rng.random_range(0..3 * 365 * 86_400));
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
    inc.uid = uuid::Builder::from_random_bytes(bits.to_le_bytes())
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
    let args: Vec<String> = std::env::args().collect();
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
    let mut push_time = Duration::ZERO;
    let mut inserted = 0usize;
    let t1 = Instant::now();
    let mut session = project.begin_import("bench.csv")?;
    for _ in 0..n {
        let g = Instant::now();
        let inc = random_incident(&mut rng, start);
        let p = Instant::now();
        gen_time += p - g;
        if session.push(&inc)? == PushOutcome::Inserted {
            inserted += 1;
        }
        push_time += p.elapsed();
    }
    let c = Instant::now();
    session.commit(&NoProgress, &CancelToken::new())?;
    let commit_time = c.elapsed();
    let total = t1.elapsed() - gen_time;

    let check: String =
        project
            .connection()
            .query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
                r.get(0)
            })?;
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
