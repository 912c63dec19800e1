//! Retention through the binary: `lagesbild retention` sets how long a
//! project keeps incidents and the hosts' tracks, says what is past its time
//! and with --apply deletes exactly that in one logged transaction, leaving
//! a sound GeoPackage (integrity_check, rtreecheck, GDAL's validator).

use std::path::Path;

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::util::{Dir, assert_exit, run_cli_in, text};

fn days_ago(n: i64) -> String {
    (Utc::now() - Duration::days(n))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// 3 incidents from about 7 years ago, 2 from about 6, 4 recent ones.
fn project(dir: &Dir) -> String {
    let mut csv = String::from("id,lon,lat,occurred_at,category,source\n");
    let ages = [2600, 2580, 2570, 2200, 2190, 400, 30, 10, 1];
    for (i, d) in ages.iter().enumerate() {
        let lon = 14.5862 + i as f64 * 0.001;
        csv.push_str(&format!(
            "R{i},{lon:.4},56.0510,{},vald,polis\n",
            days_ago(*d)
        ));
    }
    let file = dir.write("r.csv", csv);
    let out = run_cli_in(dir.root(), &["import", "r.gpkg", file.to_str().unwrap()]);
    assert_exit(&out, 0);
    dir.path("r.gpkg").to_str().unwrap().to_owned()
}

/// One host's track that ended `days` days ago.
fn gpx(days: i64) -> String {
    let t0 = Utc::now() - Duration::days(days);
    let pts: String = (0..3)
        .map(|m| {
            let t = (t0 + Duration::minutes(m)).format("%Y-%m-%dT%H:%M:%SZ");
            format!("<trkpt lat=\"56.0510\" lon=\"14.586{m}\"><time>{t}</time></trkpt>\n")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"test\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n{pts}</trkseg></trk></gpx>\n"
    )
}

fn json(dir: &Dir, args: &[&str]) -> Value {
    let out = run_cli_in(dir.root(), args);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(&out)))
}

fn sound(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let ok: String = conn
        .query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(ok, "ok");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM rtree_incidents_geom", [], |r| {
            r.get(0)
        })
        .unwrap();
    let m: i64 = conn
        .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, m, "one index entry per incident");
    crate::util::assert_valid_gpkg(path);
}

#[test]
fn retention_is_set_shown_and_applied_in_one_logged_run() {
    let dir = Dir::new();
    let p = project(&dir);
    let old = dir.write("TV01_old.gpx", gpx(200));
    let new = dir.write("TV02_new.gpx", gpx(5));
    let out = run_cli_in(
        dir.root(),
        &[
            "tracks",
            "import",
            &p,
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);

    // Nothing set: nothing is due, --apply deletes nothing.
    let v = json(&dir, &["retention", &p, "--json"]);
    assert_eq!(v["incidents"], Value::Null);
    assert_eq!(v["due"]["incidents"], 0);

    // Set, not applied: counted, nothing deleted.
    let v = json(
        &dir,
        &[
            "retention",
            &p,
            "--incidents",
            "5y",
            "--tracks",
            "90d",
            "--json",
        ],
    );
    assert_eq!(v["incidents"], "5y");
    assert_eq!(v["tracks"], "90d");
    assert_eq!(v["due"]["incidents"], 5, "{v}");
    assert_eq!(v["due"]["tracks"], 1, "{v}");
    assert_eq!(v["deleted"], Value::Null);
    let stats = json(&dir, &["stats", &p, "--json"]);
    assert_eq!(stats["total"], 9);

    // The text form says what and how.
    let out = run_cli_in(dir.root(), &["retention", &p]);
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("Incidents: 5 years"), "{o}");
    assert!(o.contains("5 incidents from before"), "{o}");
    assert!(o.contains("--apply"), "{o}");

    // Applied: exactly the old ones go, the settings stay.
    let v = json(&dir, &["retention", &p, "--apply", "--json"]);
    assert_eq!(v["deleted"]["incidents"], 5, "{v}");
    assert_eq!(v["deleted"]["tracks"], 1, "{v}");
    let stats = json(&dir, &["stats", &p, "--json"]);
    assert_eq!(stats["total"], 4);
    let v = json(&dir, &["retention", &p, "--json"]);
    assert_eq!(v["due"]["incidents"], 0);
    assert_eq!(v["incidents"], "5y");
    sound(&dir.path("r.gpkg"));
    let tracks = run_cli_in(dir.root(), &["tracks", "list", &p]);
    let (o, _) = text(&tracks);
    assert!(o.contains("TV02") && !o.contains("TV01"), "{o}");

    // The run is logged in the project.
    let conn = rusqlite::Connection::open(dir.path("r.gpkg")).unwrap();
    let (n, t): (i64, i64) = conn
        .query_row(
            "SELECT incidents_deleted, tracks_deleted FROM lagesbild_retention_log",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, t), (5, 1));

    // Off again, and bad ages refused naming the flag.
    let v = json(&dir, &["retention", &p, "--incidents", "off", "--json"]);
    assert_eq!(v["incidents"], Value::Null);
    assert_eq!(v["tracks"], "90d");
    let out = run_cli_in(dir.root(), &["retention", &p, "--tracks", "soon"]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("--tracks"), "{:?}", text(&out));
}

#[cfg(feature = "gui")]
mod app {
    use egui_kittest::kittest::Queryable as _;

    use super::*;
    use crate::gui_util::{app_on, settle};

    fn past_due(dir: &Dir) -> String {
        let p = project(dir);
        let old = dir.write("TV01_old.gpx", gpx(200));
        assert_exit(
            &run_cli_in(dir.root(), &["tracks", "import", &p, old.to_str().unwrap()]),
            0,
        );
        let out = run_cli_in(
            dir.root(),
            &["retention", &p, "--incidents", "5y", "--tracks", "90d"],
        );
        assert_exit(&out, 0);
        p
    }

    #[test]
    fn the_app_asks_at_start_up_and_deletes_when_told() {
        let dir = Dir::new();
        let p = past_due(&dir);
        let mut h = app_on(dir.path("r.gpkg"));
        settle(&mut h);
        h.get_by_label("5 händelser äldre än 5 år — ta bort?");
        h.get_by_label("1 GPS-spår från trygghetsvärdarna äldre än 90 dagar — ta bort?");
        h.get_by_label("Ta bort").click();
        settle(&mut h);
        h.get_by_label("5 händelser och 1 spår borttagna.");
        h.get_by_label("Gallringen är loggad i projektet.");
        let run = h.state().retention().outcome.clone().unwrap().unwrap();
        assert_eq!((run.incidents_deleted, run.tracks_deleted), (5, 1));
        h.get_by_label("OK").click();
        h.run_steps(2);
        assert!(
            h.query_by_label("Gallringen är loggad i projektet.")
                .is_none()
        );
        drop(h);
        let v = json(&dir, &["stats", &p, "--json"]);
        assert_eq!(v["total"], 4);
    }

    #[test]
    fn not_now_deletes_nothing_and_a_project_without_settings_is_not_asked() {
        let dir = Dir::new();
        let p = past_due(&dir);
        let mut h = app_on(dir.path("r.gpkg"));
        settle(&mut h);
        h.get_by_label("Inte nu").click();
        settle(&mut h);
        assert!(h.query_by_label("Ta bort").is_none());
        assert!(h.state().retention().due.is_none());
        drop(h);
        let v = json(&dir, &["stats", &p, "--json"]);
        assert_eq!(v["total"], 9);

        let other = Dir::new();
        project(&other);
        let mut h = app_on(other.path("r.gpkg"));
        settle(&mut h);
        assert!(h.query_by_label("Ta bort").is_none());
        assert!(h.state().retention().due.is_none());
    }
}
