//! Map pictures and the PDF report on the demo project (6,000 seeded
//! synthetic incidents over Sölvesborg, as `lagesbild demo` writes it):
//!
//! - `render_1920x1080`: `lagesbild render` end to end — read the project,
//!   filter, run the analyses the app shows (heatmap, hotspots, strategic
//!   places), one headless egui pass set over the app's layers, CPU
//!   rasterising and PNG encoding. The issue asks for under 2 s.
//! - `report_pdf`: `lagesbild report` end to end — three periods read, the
//!   time patterns, two 1400 × 900 px maps, the tables and the PDF with its
//!   embedded font. The issue asks for under 10 s.
//!
//! Run: `cargo bench --bench render`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lagesbild::demo::{DemoParams, write_project};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::render::{PictureSpec, render_to_png};
use lagesbild::report::{ReportOptions, build_report};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let project = dir.path().join("demo.gpkg");
    write_project(
        &project,
        DemoParams::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .expect("the demo project");
    let mut group = c.benchmark_group("pictures");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(10));
    let out = dir.path().join("map.png");
    group.bench_function("render_1920x1080", |b| {
        b.iter(|| {
            render_to_png(
                &project,
                &PictureSpec::screen(1920, 1080),
                &out,
                &NoProgress,
                &CancelToken::new(),
            )
            .expect("a picture")
        })
    });
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
    group.bench_function("report_pdf", |b| {
        b.iter(|| {
            build_report(
                &project,
                &ReportOptions::new(today),
                &NoProgress,
                &CancelToken::new(),
            )
            .expect("a report")
            .0
            .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
