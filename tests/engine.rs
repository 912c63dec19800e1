//! The app and the command line run the analyses through one engine: the
//! same request on the same project gives the same numbers in both, study
//! area included (the demo project keeps Sölvesborgs kommun as its area).

use std::sync::Arc;

use lagesbild::analysis::IncidentIndex;
use lagesbild::gui::analysis::task::{AnalysisInput, AnalysisParams, compute};
use lagesbild::gui::i18n::Language;
use lagesbild::jobs::{CancelToken, Progress};
use lagesbild::model::{Filter, HourRange};
use lagesbild::store::{Project, Store as _};
use serde_json::Value;

use crate::util::{Dir, assert_exit, run_cli_in, text};

struct NoProgress;
impl Progress for NoProgress {
    fn stage(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
}

fn run_ok(dir: &Dir, args: &[&str]) -> (String, String) {
    let out = run_cli_in(dir.root(), args);
    assert_exit(&out, 0);
    text(&out)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn app_and_command_line_agree_on_one_request() {
    let dir = Dir::new();
    run_ok(
        &dir,
        &[
            "demo",
            "--out",
            "demo.gpkg",
            "--count",
            "4000",
            "--seed",
            "5",
        ],
    );
    let path = dir.path("demo.gpkg");

    // The app's way: its task on the project, with the index the map shows.
    let project = Project::open(&path).unwrap();
    let info = project.info().unwrap();
    let index = IncidentIndex::build(
        project
            .incident_points(&Filter::default(), &CancelToken::new())
            .unwrap(),
    );
    drop(project);
    let params = AnalysisParams {
        k: 4,
        radius_m: 300.0,
        hotspot_cell_m: 100.0,
        band_m: 300.0,
        places_hours: HourRange::WHOLE_DAY,
        ..AnalysisParams::default()
    };
    let input = AnalysisInput {
        path: path.clone(),
        index: Arc::new(index),
        filter: Filter::default(),
        params,
        project_name: info.name.clone(),
        synthetic: info.synthetic,
    };
    let app = compute(&input, Language::English, &NoProgress, &CancelToken::new()).unwrap();
    let area = app.area.as_ref().expect("the demo keeps a study area");
    assert!(
        area.source.contains("solvesborgs_kommun"),
        "{}",
        area.source
    );

    // Places: `places --json`.
    let (stdout, stderr) = run_ok(
        &dir,
        &[
            "places",
            "demo.gpkg",
            "--hosts",
            "4",
            "--radius",
            "300",
            "--hours",
            "0-24",
            "--json",
            "--out",
            "p.geojson",
        ],
    );
    assert!(
        stderr.contains("Using the study area kept in the project"),
        "{stderr}"
    );
    let cli: Value = serde_json::from_str(&stdout).unwrap();
    let places = &app.places.as_ref().unwrap().places;
    assert_eq!(cli["incidents"], places.incidents_used);
    assert_eq!(cli["outside_area"], places.outside_area);
    assert!(
        places.outside_area > 0,
        "the demo has incidents at sea or outside"
    );
    assert!(close(cli["covered"].as_f64().unwrap(), places.covered));
    assert!(close(cli["total"].as_f64().unwrap(), places.total));
    assert!(close(
        cli["upper_bound"].as_f64().unwrap(),
        places.upper_bound
    ));
    let list = cli["places"].as_array().unwrap();
    assert_eq!(list.len(), places.places.len());
    for (c, a) in list.iter().zip(&places.places) {
        assert_eq!(c["x"].as_f64().unwrap(), a.xy[0]);
        assert_eq!(c["y"].as_f64().unwrap(), a.xy[1]);
        assert!(close(c["covered"].as_f64().unwrap(), a.covered));
    }

    // Hotspots: every cell of the GeoJSON against the app's cells.
    run_ok(
        &dir,
        &[
            "hotspots",
            "demo.gpkg",
            "--all-cells",
            "--min-count",
            "0",
            "--out",
            "h.geojson",
        ],
    );
    let v: Value = serde_json::from_slice(&std::fs::read(dir.path("h.geojson")).unwrap()).unwrap();
    let features = v["features"].as_array().unwrap();
    let hot = &app.hotspots.as_ref().unwrap().hotspots;
    assert_eq!(features.len(), hot.cells.len());
    assert!(
        hot.cells.len() < hot.nx * hot.ny,
        "cells outside the area take no part"
    );
    for (f, c) in features.iter().zip(&hot.cells) {
        let p = &f["properties"];
        assert_eq!(
            (p["ix"].as_u64(), p["iy"].as_u64()),
            (Some(c.ix as u64), Some(c.iy as u64))
        );
        assert_eq!(p["count"], c.count);
        assert!(close(p["z"].as_f64().unwrap(), c.z), "{p} vs {}", c.z);
        assert_eq!(p["class"], c.class.key());
    }
    assert_eq!(v["lagesbild"]["made_from"]["incidents"], hot.incidents_used);

    // Heatmap: the summary line names the incidents, grid and peak.
    let (stdout, _) = run_ok(&dir, &["heatmap", "demo.gpkg", "--out", "h.tif"]);
    let heat = &app.heatmap.as_ref().unwrap().heatmap;
    let g = &heat.grid;
    let max = g.min_max().unwrap().1;
    let want = format!(
        "Heatmap of {} incidents (quartic kernel, bandwidth 200 m): {} × {} cells of {} m, highest density {:.1} incidents/km²",
        heat.incidents_used, g.nx, g.ny, g.cell_m, max
    );
    assert!(stdout.contains(&want), "{stdout}\nwant: {want}");
    assert!(
        g.values.iter().any(|v| v.is_nan()),
        "cells outside carry no value"
    );
}
