//! CSV import speed check: writes the seeded benchmark CSV
//! (`id,lon,lat,x,y,occurred_at,category,source`, see
//! `lagesbild::import::benchdata`) unless it exists, then times reading it
//! alone and `import_file` into a new project, with each stage's start and
//! the peak memory. Run in release mode:
//!
//! `cargo run --release --example import_bench -- [ROWS] [FILE.csv]`
//!
//! ROWS defaults to 1,000,000. Without FILE a temporary folder is used.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lagesbild::import::{ImportOptions, benchdata, import_file, open_reader};
use lagesbild::jobs::{CancelToken, Progress};
use lagesbild::store::Project;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Records when each stage began.
struct StageTimes {
    start: Instant,
    stages: Mutex<Vec<(String, Duration)>>,
}

impl Progress for StageTimes {
    fn stage(&self, name: &str, _total: u64) {
        if let Ok(mut s) = self.stages.lock() {
            s.push((name.to_owned(), self.start.elapsed()));
        }
    }
    fn advance(&self, _n: u64) {}
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = match args.next() {
        Some(n) => n.replace('_', "").parse()?,
        None => 1_000_000,
    };
    let temp = tempfile::tempdir()?;
    let csv_path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().join("bench.csv"));
    if !csv_path.exists() {
        let t = Instant::now();
        benchdata::write_benchmark_csv(&csv_path, rows, 2026)?;
        println!(
            "wrote {} ({} rows, {:.1} MB) in {:.2} s",
            csv_path.display(),
            rows,
            std::fs::metadata(&csv_path)?.len() as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }

    let options = ImportOptions::default();
    let t = Instant::now();
    let mut reader = open_reader(&csv_path, &options)?;
    let (mut good, mut bad) = (0u64, 0u64);
    for item in &mut reader {
        match item {
            Ok(_) => good += 1,
            Err(_) => bad += 1,
        }
    }
    println!(
        "read only:   {:.2} s ({good} rows, {bad} rejected)",
        t.elapsed().as_secs_f64()
    );

    let project_path = temp.path().join("bench.gpkg");
    let times = StageTimes {
        start: Instant::now(),
        stages: Mutex::new(Vec::new()),
    };
    let mut project = Project::create(&project_path, "import benchmark")?;
    let report = import_file(
        &mut project,
        &csv_path,
        &options,
        &times,
        &CancelToken::new(),
    )?;
    let total = times.start.elapsed();
    if let Ok(stages) = times.stages.lock() {
        for (name, at) in stages.iter() {
            println!("  {:>6.2} s  {name}", at.as_secs_f64());
        }
    }
    println!(
        "import_file: {:.2} s ({} imported, {} rejected), peak memory {:.0} MB",
        total.as_secs_f64(),
        report.imported,
        report.rejected.len(),
        peak_rss_mb()
    );
    Ok(())
}
