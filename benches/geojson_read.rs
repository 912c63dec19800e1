//! Reading a ~100 MB GeoJSON FeatureCollection of incidents (400,000 Point
//! features, seeded, written to a temporary folder): the bulk incident
//! reader (`import::geojson::reader`: the file checked once by serde_json, a
//! span scanner finding each feature and its line, each feature parsed on its
//! own by the `geojson` crate and mapped to an incident) against the crate reading the
//! same file, streamed (`geojson::FeatureReader` over a `BufReader`) and
//! whole (`serde_json::from_slice::<geojson::FeatureCollection>`), each
//! feature's geometry turned into a `geo::Point`.
//!
//! The crate paths only parse (no incident mapping, and no line numbers,
//! which the importer's errors need), so they are a lower bound on what a
//! crate-based importer would take; the reader does the whole import read.
//! Issue 15 kept a scanner of our own only if it clearly paid here; it did
//! not (README, "GeoJSON reading"), so features are now parsed by the crate.
//!
//! Run: `cargo bench --bench geojson_read`.

use std::hint::black_box;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

use lagesbild::import::ImportOptions;
use lagesbild::import::benchdata::write_benchmark_geojson;

/// About 107 MB; `cargo test --all-targets` runs this file as a test (no
/// `--bench` argument), which reads a small file instead.
const FEATURES: usize = 400_000;
const TEST_FEATURES: usize = 2_000;

fn point_of(f: &geojson::Feature) -> geo::Point<f64> {
    let g = f.geometry.as_ref().expect("geometry");
    geo::Point::try_from(&g.value).expect("a point")
}

fn span_scanner(path: &Path) -> usize {
    let reader = lagesbild::import::geojson::reader(path, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut n = 0;
    for row in reader {
        black_box(row.expect("a row"));
        n += 1;
    }
    n
}

fn crate_streamed(path: &Path) -> usize {
    let file = std::fs::File::open(path).expect("open");
    let reader = geojson::FeatureReader::from_reader(BufReader::with_capacity(1 << 20, file));
    let mut n = 0;
    for f in reader.features() {
        let f = f.expect("a feature");
        black_box((point_of(&f), &f.properties));
        n += 1;
    }
    n
}

fn crate_whole(path: &Path) -> usize {
    let bytes = std::fs::read(path).expect("read");
    let fc: geojson::FeatureCollection = serde_json::from_slice(&bytes).expect("GeoJSON");
    let mut n = 0;
    for f in &fc.features {
        black_box((point_of(f), &f.properties));
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("incidents.geojson");
    let features = if std::env::args().any(|a| a == "--bench") {
        FEATURES
    } else {
        TEST_FEATURES
    };
    write_benchmark_geojson(&path, features, 15).expect("write");
    let mb = std::fs::metadata(&path).expect("size").len() as f64 / 1e6;
    println!("geojson_read: {features} features, {mb:.1} MB");
    assert_eq!(span_scanner(&path), features);
    assert_eq!(crate_streamed(&path), features);
    assert_eq!(crate_whole(&path), features);

    let mut g = c.benchmark_group("geojson_read_100mb");
    // Each read takes seconds: ten samples of one read each.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    g.bench_function("span_scanner_import_reader", |b| {
        b.iter(|| span_scanner(&path))
    });
    g.bench_function("geojson_crate_feature_reader", |b| {
        b.iter(|| crate_streamed(&path))
    });
    g.bench_function("geojson_crate_from_slice", |b| {
        b.iter(|| crate_whole(&path))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
