//! CSV import benchmark: writes the seeded benchmark CSV
//! (`id,lon,lat,x,y,occurred_at,category,source`, see
//! `lagesbild::import::benchdata`) unless it exists, then times reading it
//! alone and `import_file` into a new project (what `lagesbild import` runs),
//! with each stage's start, rows/s and the peak memory; checks the spatial
//! index with `rtreecheck`; and times GDAL's `ogr2ogr` on the same file
//! beside it when ogr2ogr is installed. Run in release mode:
//!
//! `cargo run --release --example import_bench -- [ROWS] [FILE.csv]`
//!
//! ROWS defaults to 1,000,000. Without FILE a temporary folder is used.

use std::path::{Path, PathBuf};
use std::process::Command;
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
    drop(project);
    let secs = total.as_secs_f64();
    let (stored, rtree): (i64, String) = {
        let conn = rusqlite::Connection::open(&project_path)?;
        (
            conn.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))?,
            conn.query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
                r.get(0)
            })?,
        )
    };
    println!(
        "lagesbild import_file: {secs:.2} s = {:.0} rows/s ({} imported, {} rejected, {stored} stored, rtreecheck {rtree}), peak memory {:.0} MB",
        report.imported as f64 / secs,
        report.imported,
        report.rejected_total,
        peak_rss_mb()
    );
    match ogr2ogr_secs(&csv_path, temp.path()) {
        Some(ogr) => println!(
            "ogr2ogr (GDAL) on the same file: {ogr:.2} s = {:.0} rows/s; lagesbild is {:.1}x as fast",
            rows as f64 / ogr,
            ogr / secs
        ),
        None => println!("ogr2ogr is not installed (Debian gdal-bin): no comparison"),
    }
    Ok(())
}

/// Times `ogr2ogr` turning the CSV into a GeoPackage point layer with its
/// spatial index, as a GDAL user would.
fn ogr2ogr_secs(csv: &Path, dir: &Path) -> Option<f64> {
    let out = dir.join("ogr2ogr.gpkg");
    let t = Instant::now();
    let status = Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&out)
        .arg(csv)
        .args(["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat"])
        .args(["-oo", "AUTODETECT_TYPE=YES", "-a_srs", "EPSG:4326"])
        .args(["-nln", "incidents", "-nlt", "POINT"])
        .status()
        .ok()?;
    status.success().then(|| t.elapsed().as_secs_f64())
}
