//! Sensitive data stays in (issue 21): a planted free text never leaves the
//! project through any export, report, picture or message unless the export
//! asks for it, and every export is recorded in the export log.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Dir, assert_exit, run_cli_in, text};

/// The planted description: a name and a personal identity number, as a
/// careless note might hold them.
pub const PLANTED: &str = "PLANTERAD Kalle Anka 19850101-1234";
/// The planted case number (a sensitive field, not free text).
pub const PLANTED_ID: &str = "ARENDE-PLANT-77";

/// A CSV of `n` incidents around Stortorget (the position of the CSV
/// fixtures), every one with the planted description and case number,
/// spread over 2024–2025, evenings.
pub fn planted_csv(n: usize) -> String {
    let mut csv = String::from("id,lon,lat,occurred_at,category,source,place,description\n");
    for i in 0..n {
        let lon = 14.5862 + ((i * 37) % 41) as f64 * 0.0002;
        let lat = 56.0510 + ((i * 53) % 43) as f64 * 0.0001;
        let month = 1 + (i % 12);
        let year = 2024 + (i / 12) % 2;
        let day = 1 + (i * 7) % 27;
        let category = ["skadegorelse", "vald", "narkotika", "ordningsstorning"][i % 4];
        csv.push_str(&format!(
            "{PLANTED_ID}-{i},{lon:.6},{lat:.6},{year}-{month:02}-{day:02}T21:{:02}:00+01:00,{category},trygghetsvard,Stortorget,\"{PLANTED} nr {i}\"\n",
            i % 60
        ));
    }
    csv
}

/// A project in `dir` with `n` planted incidents.
pub fn planted_project(dir: &Dir, n: usize) -> PathBuf {
    let csv = dir.write("planted.csv", planted_csv(n));
    let project = dir.path("p.gpkg");
    let out = run_cli_in(
        dir.root(),
        &["import", project.to_str().unwrap(), csv.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    project
}

#[track_caller]
fn assert_clean(what: &str, bytes: &[u8]) {
    let hay = String::from_utf8_lossy(bytes);
    for needle in ["PLANTERAD", "19850101", "Kalle Anka", PLANTED_ID] {
        assert!(!hay.contains(needle), "{what} holds the planted {needle:?}");
    }
}

fn run(dir: &Dir, args: &[&str]) -> (String, String) {
    let out = run_cli_in(dir.root(), args);
    assert_exit(&out, 0);
    let (o, e) = text(&out);
    assert_clean(&format!("stdout of {args:?}"), o.as_bytes());
    assert_clean(&format!("stderr of {args:?}"), e.as_bytes());
    (o, e)
}

fn file_clean(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!bytes.is_empty(), "{} is empty", path.display());
    assert_clean(&path.display().to_string(), &bytes);
}

#[test]
fn no_export_or_message_carries_the_planted_text_unless_asked() {
    let dir = Dir::new();
    let project = planted_project(&dir, 120);
    let p = project.to_str().unwrap();
    let out = |name: &str| dir.path(name).to_str().unwrap().to_owned();

    // The incident export, in each format, without the sensitive fields.
    for name in ["i.csv", "i.geojson", "i.gpkg"] {
        run(&dir, &["export", p, "--out", &out(name)]);
        file_clean(&dir.path(name));
    }
    let csv = std::fs::read_to_string(dir.path("i.csv")).unwrap();
    assert_eq!(csv.lines().count(), 121, "a header and 120 incidents");
    assert!(
        csv.contains("Stortorget"),
        "the place name is not sensitive"
    );

    // Every analysis output, in every format.
    for name in ["h.tif", "h.png", "h.geojson", "h.gpkg"] {
        run(&dir, &["heatmap", p, "--out", &out(name)]);
        file_clean(&dir.path(name));
    }
    for name in ["hs.geojson", "hs.gpkg"] {
        run(&dir, &["hotspots", p, "--all-cells", "--out", &out(name)]);
        file_clean(&dir.path(name));
    }
    run(
        &dir,
        &[
            "places",
            p,
            "--hosts",
            "2",
            "--out",
            &out("pl.geojson"),
            "--json",
        ],
    );
    file_clean(&dir.path("pl.geojson"));
    run(
        &dir,
        &[
            "change",
            p,
            "--before",
            "2024-01-01..2024-12-31",
            "--after",
            "2025-01-01..2025-12-31",
            "--out",
            &out("c.geojson"),
            "--json",
        ],
    );
    file_clean(&dir.path("c.geojson"));
    run(&dir, &["stats", p, "--json"]);
    run(&dir, &["stats", p]);
    run(&dir, &["patterns", p, "--json"]);
    run(&dir, &["patterns", p]);

    // The plan and its coverage.
    let plan = crate::util::fixture("plan.geojson");
    run(&dir, &["plan", "import", p, plan.to_str().unwrap()]);
    run(&dir, &["plan", "export", p, "--out", &out("plan.geojson")]);
    file_clean(&dir.path("plan.geojson"));
    run(&dir, &["coverage", p, "--json"]);

    // A bad row quoting the planted text: the error names line and reason only.
    let bad = dir.write(
        "bad.csv",
        format!(
            "id,lon,lat,occurred_at,category,source,place,description\n\
             X1,not-a-number,56.05,2025-01-01T20:00:00+01:00,vald,polis,Torget,\"{PLANTED}\"\n"
        ),
    );
    let o = run_cli_in(dir.root(), &["import", p, bad.to_str().unwrap()]);
    let (so, se) = text(&o);
    assert_clean("import report of a bad row", format!("{so}{se}").as_bytes());
    assert!(
        se.contains("line 2") || so.contains("line 2") || so.contains(":2"),
        "the error names the line: {so}{se}"
    );

    // Asked for, per export: the description (and only it) is written.
    run(
        &dir,
        &[
            "export",
            p,
            "--with-descriptions",
            "--out",
            &out("with.csv"),
        ],
    );
    let with = std::fs::read_to_string(dir.path("with.csv")).unwrap();
    assert!(with.contains(PLANTED), "--with-descriptions writes them");
    assert!(
        !with.contains(PLANTED_ID),
        "the case number was not asked for"
    );
    run(
        &dir,
        &[
            "export",
            p,
            "--with-field",
            "external_id",
            "--out",
            &out("ids.geojson"),
        ],
    );
    let ids = std::fs::read_to_string(dir.path("ids.geojson")).unwrap();
    assert!(ids.contains(PLANTED_ID) && !ids.contains("PLANTERAD"));
    let o = run_cli_in(
        dir.root(),
        &["export", p, "--with-field", "notes", "--out", &out("x.csv")],
    );
    assert_exit(&o, 2);
    assert!(text(&o).1.contains("unknown field \"notes\""));
    assert!(!dir.path("x.csv").exists());
}

#[cfg(feature = "gui")]
#[test]
fn pictures_and_the_report_leave_the_planted_text_out() {
    let dir = Dir::new();
    let project = planted_project(&dir, 60);
    let p = project.to_str().unwrap();
    let png = dir.path("map.png");
    run(
        &dir,
        &[
            "render",
            p,
            "--size",
            "640x400",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    file_clean(&png);
    let pdf = dir.path("r.pdf");
    run(&dir, &["report", p, "--out", pdf.to_str().unwrap()]);
    assert_clean(
        "the report's text",
        crate::report::pdf_text(&pdf).as_bytes(),
    );
}

#[test]
fn every_export_is_recorded_with_its_fields_and_login() {
    let dir = Dir::new();
    let project = planted_project(&dir, 30);
    let p = project.to_str().unwrap();
    let (o, _) = run(&dir, &["exports", p]);
    assert!(o.contains("No exports recorded"), "{o}");
    let sub = dir.path("out");
    std::fs::create_dir(&sub).unwrap();
    let a = sub.join("a.csv");
    let b = sub.join("h.geojson");
    let out = run_cli_in(
        dir.root(),
        &[
            "export",
            p,
            "--with-descriptions",
            "--out",
            a.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    run(
        &dir,
        &["hotspots", p, "--all-cells", "--out", b.to_str().unwrap()],
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .args(["exports", p, "--json"])
        .env("USER", "anna.analytiker")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["what"], "export");
    assert_eq!(log[0]["file"], "a.csv", "the file name, not the folder");
    let fields: Vec<&str> = log[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(fields.contains(&"description") && !fields.contains(&"external_id"));
    assert_eq!(log[1]["what"], "hotspots");
    assert!(
        log[1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "class")
    );
    let expected_login = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .filter(|u| !u.trim().is_empty());
    assert_eq!(log[0]["login"].as_str().map(str::to_owned), expected_login);
    assert!(log[0]["at"].as_str().unwrap().starts_with("20"));

    // The login is the exporter's: USER set for one export is recorded.
    let c = sub.join("c.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .args(["export", p, "--out", c.to_str().unwrap()])
        .env("USER", "anna.analytiker")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let (o, _) = run(&dir, &["exports", p]);
    assert!(o.lines().last().unwrap().contains("anna.analytiker"), "{o}");
    assert!(o.contains("c.csv") && o.contains("a.csv"));
    // Nothing that failed is logged: a refused export adds no record.
    let out = run_cli_in(
        dir.root(),
        &["export", p, "--out", sub.join("x.shp").to_str().unwrap()],
    );
    assert_exit(&out, 2);
    let (o, _) = run(&dir, &["exports", p]);
    assert_eq!(o.lines().count(), 4, "header and three exports: {o}");
}

/// The two isolated incidents of [`isolated_project`], WGS 84: 3 km east
/// and 3 km north of the cluster at the CSV fixtures' Stortorget.
const ALONE: [(f64, f64); 2] = [(14.6362, 56.0510), (14.5862, 56.0810)];

/// A cluster of 120 planted incidents plus two incidents on their own.
fn isolated_project(dir: &Dir) -> PathBuf {
    let mut csv = planted_csv(120);
    for (i, (lon, lat)) in ALONE.iter().enumerate() {
        csv.push_str(&format!(
            "ALONE-{i},{lon},{lat},2025-0{}-10T22:00:00+01:00,vald,polis,,\n",
            i + 3
        ));
    }
    let path = dir.write("isolated.csv", csv);
    let project = dir.path("iso.gpkg");
    let out = run_cli_in(
        dir.root(),
        &["import", project.to_str().unwrap(), path.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    project
}

fn features(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["features"].as_array().unwrap().clone()
}

/// True when the feature's geometry lies within `m` metres of (lon, lat).
fn near(feature: &Value, lon: f64, lat: f64, m: f64) -> bool {
    let g: geojson::Geometry = serde_json::from_value(feature["geometry"].clone()).unwrap();
    let g: geo::Geometry<f64> = g.try_into().unwrap();
    let p = lagesbild::crs::sweref_from_wgs84(lagesbild::model::LonLat::new(lon, lat));
    let g = lagesbild::crs::sweref_from_wgs84_geometry(&g);
    use geo::Distance as _;
    geo::Euclidean.distance(&g, &geo::Point::new(p.easting, p.northing)) < m
}

#[test]
fn single_incidents_cannot_be_read_back_from_aggregated_exports() {
    let dir = Dir::new();
    let project = isolated_project(&dir);
    let p = project.to_str().unwrap();
    let out = |name: &str| dir.path(name).to_str().unwrap().to_owned();

    // Heatmap, GeoTIFF: zero at and around each lone incident (GDAL reads it).
    run(&dir, &["heatmap", p, "--out", &out("h.tif")]);
    for (lon, lat) in ALONE {
        let s = lagesbild::crs::sweref_from_wgs84(lagesbild::model::LonLat::new(lon, lat));
        for (dx, dy) in [(0.0, 0.0), (60.0, 0.0), (0.0, -90.0), (-120.0, 40.0)] {
            let (x, y) = (
                format!("{}", s.easting + dx),
                format!("{}", s.northing + dy),
            );
            let Some(o) = crate::util::run_gdal(
                "gdallocationinfo",
                &["-valonly", "-geoloc", &out("h.tif"), &x, &y],
            ) else {
                continue;
            };
            let v: f64 = String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse()
                .unwrap_or(0.0);
            assert_eq!(v, 0.0, "density {v} near a lone incident at {lon},{lat}");
        }
    }
    // The cluster is still there.
    let s = lagesbild::crs::sweref_from_wgs84(lagesbild::model::LonLat::new(14.5902, 56.0530));
    if let Some(o) = crate::util::run_gdal(
        "gdallocationinfo",
        &[
            "-valonly",
            "-geoloc",
            &out("h.tif"),
            &format!("{}", s.easting),
            &format!("{}", s.northing),
        ],
    ) {
        let v: f64 = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
        assert!(v > 0.0, "the cluster's density is kept");
    }
    // Heatmap classes: no polygon near a lone incident.
    run(&dir, &["heatmap", p, "--out", &out("h.geojson")]);
    let classes = features(&dir.path("h.geojson"));
    assert!(!classes.is_empty());
    for (lon, lat) in ALONE {
        assert!(
            !classes.iter().any(|f| near(f, lon, lat, 150.0)),
            "a density class polygon marks the lone incident at {lon},{lat}"
        );
    }
    // Hotspots, every cell: no cell says it holds 1 or 2.
    run(
        &dir,
        &["hotspots", p, "--all-cells", "--out", &out("hs.geojson")],
    );
    for f in features(&dir.path("hs.geojson")) {
        let n = f["properties"]["count"].as_u64();
        assert!(!matches!(n, Some(1 | 2)), "hotspot cell with count {n:?}");
        if n.is_none() {
            assert!(f["properties"]["z"].is_null() && f["properties"]["p"].is_null());
        }
    }
    // The change map, even with the test's minimum lowered to 1.
    for min in ["5", "1"] {
        let (o, _) = run(
            &dir,
            &[
                "change",
                p,
                "--before",
                "2024-01-01..2024-12-31",
                "--after",
                "2025-01-01..2025-12-31",
                "--min-count",
                min,
                "--out",
                &out(&format!("c{min}.geojson")),
                "--json",
            ],
        );
        let json: Value = serde_json::from_str(&o).unwrap();
        let cells = json["cells"].as_array().unwrap().clone();
        for f in features(&dir.path(&format!("c{min}.geojson")))
            .iter()
            .map(|f| f["properties"].clone())
            .chain(cells)
        {
            for key in ["before", "after"] {
                let n = f[key].as_u64();
                assert!(!matches!(n, Some(1 | 2)), "change cell {key} = {n:?}");
            }
            if f["before"].is_null() || f["after"].is_null() {
                assert!(f["ratio"].is_null() && f["p"].is_null(), "{f}");
            }
        }
    }
}

#[test]
fn the_log_is_in_the_state_directory_and_holds_no_incident_data() {
    let dir = Dir::new();
    let project = planted_project(&dir, 40);
    let p = project.to_str().unwrap();
    run(&dir, &["stats", p]);
    run(
        &dir,
        &["export", p, "--with-descriptions", "--out", "w.csv"],
    );
    // A failing command and a file with a bad row quoting the planted text.
    let bad = dir.write(
        "bad.csv",
        format!("id,lon,lat,occurred_at,description\nB1,{PLANTED},56.05,2025-01-01T20:00:00Z,\"{PLANTED}\"\n"),
    );
    let _ = run_cli_in(dir.root(), &["import", p, bad.to_str().unwrap()]);
    let _ = run_cli_in(dir.root(), &["export", p, "--out", "x.shp"]);
    let log_dir = dir.path("home/.local/state/lagesbild");
    let log = std::fs::read_to_string(log_dir.join("lagesbild.log"))
        .unwrap_or_else(|e| panic!("no log in {}: {e}", log_dir.display()));
    assert!(
        log.contains("cli INFO lagesbild::cli: lagesbild import started"),
        "{log}"
    );
    assert!(log.contains("lagesbild stats done"), "{log}");
    assert!(log.contains("lagesbild export failed (exit 2)"), "{log}");
    assert_clean("the log", log.as_bytes());
    assert!(!log.contains("w.csv"), "arguments are not logged: {log}");
}
