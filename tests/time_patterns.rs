//! `lagesbild patterns` and `lagesbild change` on small hand-worked projects.

use serde_json::Value;

use crate::util::{Dir, assert_exit, assert_valid_gpkg, ogrinfo_summary, run_cli_in, text};

/// Imports `rows` (id,lon,lat,time,category) into `p.gpkg`.
fn project(dir: &Dir, rows: &[String]) {
    let mut csv = String::from("id,lon,lat,time,category\n");
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    dir.write("in.csv", csv);
    assert_exit(&run_cli_in(dir.root(), &["import", "p.gpkg", "in.csv"]), 0);
}

fn json_of(dir: &Dir, args: &[&str]) -> Value {
    let out = run_cli_in(dir.root(), args);
    assert_exit(&out, 0);
    let (o, e) = text(&out);
    serde_json::from_str(&o).unwrap_or_else(|err| panic!("{err}: {o}\n{e}"))
}

#[test]
fn patterns_json_on_a_hand_worked_project() {
    let dir = Dir::new();
    project(
        &dir,
        &[
            // Sunday 26 Oct 2025, 02:30 twice over (the first, summer time, is taken).
            "A1,14.5862,56.0510,2025-10-26 02:30,vald".into(),
            // Sunday 30 Mar 2025, 03:30 summer time (02:xx never happened).
            "A2,14.5862,56.0510,2025-03-30 03:30,vald".into(),
            // Monday 30 Dec 2024 is in ISO week 2025-W01, as is Sunday 5 Jan.
            "A3,14.5862,56.0510,2024-12-30 20:00,stold".into(),
            "A4,14.5862,56.0510,2025-01-05 12:00,stold".into(),
            // Friday 14 Mar 2025.
            "A5,14.5862,56.0510,2025-03-14 22:40,brand".into(),
        ],
    );
    let v = json_of(
        &dir,
        // Suppression off (--min-count 1): the counts are checked by hand.
        &[
            "patterns",
            "p.gpkg",
            "--no-area",
            "--by",
            "week",
            "--json",
            "--min-count",
            "1",
        ],
    );
    assert_eq!(v["incidents"], 5);
    assert_eq!(v["by"], "week");
    assert_eq!(v["range"][0], "2024-12-30");
    assert_eq!(v["range"][1], "2025-10-26");
    let hw = &v["hour_weekday"];
    assert_eq!(hw[6][2], 1, "{hw}");
    assert_eq!(hw[6][3], 1);
    assert_eq!(hw[0][20], 1);
    assert_eq!(hw[6][12], 1);
    assert_eq!(hw[4][22], 1);
    let series = v["series"].as_array().unwrap();
    assert_eq!(series[0]["label"], "2025-W01");
    assert_eq!(series[0]["count"], 2);
    assert_eq!(series[0]["days"], 7);
    assert_eq!(series.last().unwrap()["label"], "2025-W43");
    // 30 Dec – 26 Oct: 43 ISO weeks.
    assert_eq!(series.len(), 43);
    let en = &v["evening_night"];
    assert_eq!(en["hours"], "18-6");
    assert_eq!(en["count"], 4);
    assert_eq!(en["evening"], 1);
    assert_eq!(en["night"], 3);
    assert_eq!(en["share"], 0.8);
    // Årshjul: violence once in March (31 days covered) and once in
    // October (26 days covered): October has the higher daily rate.
    let vald = &v["arshjul"]["categories"][2];
    assert_eq!(vald["key"], "vald");
    assert_eq!(vald["months"][2], 1);
    assert_eq!(vald["months"][9], 1);
    assert_eq!(vald["peak_month"], 10);
    assert_eq!(v["arshjul"]["month_days"][9], 26);
    assert_eq!(v["arshjul"]["month_days"][11], 2);
    assert_eq!(v["by_category"][4]["key"], "stold");
    assert_eq!(v["by_category"][4]["count"], 2);
    assert_eq!(v["synthetic"], false);

    // Monthly, with text tables by default.
    let out = run_cli_in(dir.root(), &["patterns", "p.gpkg", "--no-area"]);
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("Time patterns of 5 incidents"), "{o}");
    assert!(o.contains("2025-03"), "{o}");
    assert!(o.contains("Årshjul"), "{o}");
    // A filter narrows it.
    let v = json_of(
        &dir,
        &[
            "patterns",
            "p.gpkg",
            "--no-area",
            "--category",
            "vald",
            "--json",
            "--min-count",
            "1",
        ],
    );
    assert_eq!(v["incidents"], 2);
    assert_eq!(v["by"], "month");
}

#[test]
fn change_map_on_a_hand_worked_project_reads_in_gdal() {
    let dir = Dir::new();
    let mut rows = Vec::new();
    // Place A: nothing in January, ten in February: more.
    for d in 1..=10 {
        rows.push(format!("A{d},14.5862,56.0510,2025-02-{d:02} 21:00,vald"));
    }
    // Place B, 1.5 km east: ten in January, one in February: fewer.
    for d in 1..=10 {
        rows.push(format!("B{d},14.6100,56.0510,2025-01-{d:02} 21:00,stold"));
    }
    rows.push("B11,14.6100,56.0510,2025-02-15 21:00,stold".into());
    // Place C: two in January only: too few to test, not written.
    rows.push("C1,14.6300,56.0700,2025-01-03 12:00,brand".into());
    rows.push("C2,14.6300,56.0700,2025-01-04 12:00,brand".into());
    project(&dir, &rows);
    let periods = [
        "--before",
        "2025-01-01..2025-01-28",
        "--after",
        "2025-02-01..2025-02-28",
    ];
    let mut args = vec!["change", "p.gpkg", "--no-area", "--out", "change.gpkg"];
    args.extend(periods);
    args.push("--json");
    let v = json_of(&dir, &args);
    assert_eq!(v["before"]["days"], 28);
    assert_eq!(v["after"]["days"], 28);
    assert_eq!(v["before"]["incidents"], 12);
    assert_eq!(v["after"]["incidents"], 11);
    assert_eq!(
        (v["more"].clone(), v["fewer"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(v["tested"], 2);
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    // B's one incident in February is a small count (issue 21): written as
    // null, and so are the ratio and p that would give it back; the class
    // stays. February's total (11) less A's 10 would give it back, so A's
    // February count is hidden too (secondary suppression), with its ratio
    // and p; its class says what the test found.
    let fewer = cells.iter().find(|c| c["class"] == "fewer").unwrap();
    assert_eq!(fewer["before"], 10);
    assert!(fewer["after"].is_null() && fewer["ratio"].is_null() && fewer["p"].is_null());
    let more = cells.iter().find(|c| c["class"] == "more").unwrap();
    assert_eq!(more["before"], 0);
    assert!(more["after"].is_null() && more["p"].is_null(), "{more}");

    let gpkg = dir.path("change.gpkg");
    assert_valid_gpkg(&gpkg);
    if let Some(info) = ogrinfo_summary(&gpkg) {
        assert!(info.contains("Layer name: change"), "{info}");
        assert!(info.contains("Feature Count: 2"), "{info}");
        assert!(info.contains("EPSG\",3006"), "{info}");
        for field in ["before:", "after:", "ratio:", "p:", "class:"] {
            assert!(info.contains(field), "{field} in {info}");
        }
    }
    let mut args = vec!["change", "p.gpkg", "--no-area", "--out", "change.geojson"];
    args.extend(periods);
    let out = run_cli_in(dir.root(), &args);
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("Wrote change.geojson (GeoJSON, 2 cells)"), "{o}");
    if let Some(info) = ogrinfo_summary(&dir.path("change.geojson")) {
        assert!(info.contains("Feature Count: 2"), "{info}");
        assert!(info.contains("class_sv: String"), "{info}");
    }

    // Overlapping periods and a bad period are refused before anything is written.
    let out = run_cli_in(
        dir.root(),
        &[
            "change",
            "p.gpkg",
            "--out",
            "x.geojson",
            "--before",
            "2025-01-01..2025-02-10",
            "--after",
            "2025-02-01..2025-02-28",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("overlap"), "{}", text(&out).1);
    let out = run_cli_in(
        dir.root(),
        &[
            "change",
            "p.gpkg",
            "--out",
            "x.geojson",
            "--before",
            "2025-01-01",
            "--after",
            "2025-02-01..2025-02-28",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("FROM..TO"), "{}", text(&out).1);
    assert!(!dir.path("x.geojson").exists());
}
