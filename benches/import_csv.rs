//! Importing a CSV of 1,000,000 incidents with projected coordinates only
//! (`id;X;Y;tidpunkt;kategori;källa`, SWEREF 99 TM with X = northing, seeded,
//! written to a temporary folder by `src/import/benchdata.rs`): the
//! coordinate system and axis order are detected from the 200 rows read
//! ahead plus 200 rows sampled through the whole file (issue 19), and every
//! row's position is tested against Sweden's outline.
//!
//! - `open_detect`: `CsvReader::open` alone: the header, the rows read
//!   ahead, the pass through the file for the spread sample, the detection
//!   and the outline test of the samples;
//! - `read_all_rows`: the reader to its end (every row parsed, converted to
//!   WGS84 and tested against the outline), nothing stored;
//! - `import_new_project`: `import_file` into a new GeoPackage (one
//!   transaction, indexes, R-tree), as `lagesbild import` does;
//! - the same three with `--crs EPSG:3006` given (the system is then not
//!   detected, only the axis order).
//!
//! Run: `cargo bench --bench import_csv`. Without `--bench` (as `cargo test
//! --all-targets` runs it) it reads a file of 5,000 rows.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

use lagesbild::crs::Crs;
use lagesbild::import::benchdata::write_benchmark_projected_csv;
use lagesbild::import::csv::CsvReader;
use lagesbild::import::{ImportOptions, RowReader as _, import_file};
use lagesbild::jobs::{CancelToken, NoProgress};

const ROWS: usize = 1_000_000;
const TEST_ROWS: usize = 5_000;

fn open_detect(path: &Path, options: &ImportOptions) -> usize {
    let reader = CsvReader::open(path, options).unwrap_or_else(|e| panic!("{e}"));
    let notes = reader.notes();
    black_box(&notes);
    notes.len()
}

fn read_all(path: &Path, options: &ImportOptions) -> usize {
    let reader = CsvReader::open(path, options).unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    for row in reader {
        black_box(row.expect("a row"));
        n += 1;
    }
    n
}

fn import_new(dir: &Path, path: &Path, options: &ImportOptions) -> u64 {
    let project = dir.join("bench.gpkg");
    let _ = std::fs::remove_file(&project);
    let mut store = lagesbild::store::create(&project, "Bench").unwrap_or_else(|e| panic!("{e}"));
    let report = import_file(
        store.as_mut(),
        path,
        options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    report.imported
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("incidents_projected.csv");
    let rows = if std::env::args().any(|a| a == "--bench") {
        ROWS
    } else {
        TEST_ROWS
    };
    write_benchmark_projected_csv(&path, rows, 19).expect("write");
    let mb = std::fs::metadata(&path).expect("size").len() as f64 / 1e6;
    println!("import_csv: {rows} rows, {mb:.1} MB");

    let detect = ImportOptions::default();
    let forced = ImportOptions {
        crs: Some(Crs::SWEREF99_TM),
        ..ImportOptions::default()
    };
    // The detection is right and every row imports, both ways.
    let notes = CsvReader::open(&path, &detect)
        .expect("open")
        .notes()
        .join(" ");
    assert!(
        notes.contains("SWEREF 99 TM") && notes.contains("X = northing"),
        "{notes}"
    );
    assert_eq!(read_all(&path, &detect), rows);
    assert_eq!(import_new(dir.path(), &path, &detect), rows as u64);
    assert_eq!(import_new(dir.path(), &path, &forced), rows as u64);

    let mut g = c.benchmark_group("import_csv_1m_projected");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for (name, options) in [("detected", &detect), ("crs_given", &forced)] {
        g.bench_function(format!("open_detect/{name}"), |b| {
            b.iter(|| open_detect(&path, options))
        });
        g.bench_function(format!("read_all_rows/{name}"), |b| {
            b.iter(|| read_all(&path, options))
        });
        g.bench_function(format!("import_new_project/{name}"), |b| {
            b.iter(|| import_new(dir.path(), &path, options))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
