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

/// [`isolated_project`]'s incidents plus one fire at 03:10 reported by a
/// school in the cluster: groups of 1 (the category fire, the source
/// school, the hour 03) and 2 (the source police) beside groups of 30 and
/// more.
fn small_groups_project(dir: &Dir) -> PathBuf {
    let mut csv = planted_csv(120);
    for (i, (lon, lat)) in ALONE.iter().enumerate() {
        csv.push_str(&format!(
            "ALONE-{i},{lon},{lat},2025-0{}-10T22:00:00+01:00,vald,polis,,\n",
            i + 3
        ));
    }
    csv.push_str("FIRE-1,14.5870,56.0515,2025-06-11T03:10:00+02:00,brand,skola,,\n");
    let path = dir.write("small.csv", csv);
    let project = dir.path("small.gpkg");
    let out = run_cli_in(
        dir.root(),
        &["import", project.to_str().unwrap(), path.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    project
}

/// The numbers of a JSON list or object of counts (`None` for `null`).
fn counts_of(v: &Value) -> Vec<Option<u64>> {
    match v {
        Value::Array(a) => a.iter().map(Value::as_u64).collect(),
        Value::Object(o) => o.values().map(Value::as_u64).collect(),
        other => panic!("not a table of counts: {other}"),
    }
}

/// A reader's attack on one table that sums to `total`: no count of 1 or
/// 2 is shown, and the total less the shown counts neither gives one
/// suppressed count back (one suppressed cell) nor a hidden sum of 1 or 2.
#[track_caller]
fn assert_table_safe(what: &str, cells: &[Option<u64>], total: Option<u64>) {
    for (i, c) in cells.iter().enumerate() {
        assert!(
            !matches!(c, Some(1 | 2)),
            "{what}[{i}] = {c:?}: a small count is shown"
        );
    }
    let Some(total) = total else {
        return;
    };
    let shown: u64 = cells.iter().flatten().sum();
    let hidden = cells.iter().filter(|c| c.is_none()).count();
    let rest = total - shown;
    assert!(
        hidden != 1 || rest == 0 && cells.len() == 1,
        "{what}: {total} less the shown counts gives the one suppressed cell: {rest}"
    );
    assert!(
        !matches!(rest, 1 | 2) || hidden == 0,
        "{what}: {total} less the shown counts leaves {rest} in {hidden} cells"
    );
    if hidden > 0 {
        assert!(
            rest != hidden as u64,
            "{what}: {rest} left over {hidden} suppressed cells: each is 1"
        );
    }
}

#[test]
fn stats_and_patterns_suppress_small_groups_so_no_total_gives_them_back() {
    let dir = Dir::new();
    let project = small_groups_project(&dir);
    let p = project.to_str().unwrap();

    // With suppression off the small groups are there (the project has
    // what the test means it to have), and a warning says so.
    let out = run_cli_in(dir.root(), &["stats", p, "--json", "--min-count", "1"]);
    assert_exit(&out, 0);
    let (o, e) = text(&out);
    assert!(e.contains("may identify single incidents"), "{e}");
    let raw: Value = serde_json::from_str(&o).unwrap();
    assert_eq!(raw["total"], 123);
    assert_eq!(raw["by_category"]["brand"], 1);
    assert_eq!(raw["by_source"]["polis"], 2);
    assert_eq!(raw["by_source"]["skola"], 1);
    assert_eq!(raw["by_hour"][3], 1);

    // stats --json: every table checked against the total.
    let (o, _) = run(&dir, &["stats", p, "--json"]);
    let s: Value = serde_json::from_str(&o).unwrap();
    assert_eq!(s["min_count"], 3);
    let total = s["total"].as_u64();
    assert_eq!(total, Some(123), "the total of 123 is no small group");
    for table in ["by_category", "by_source", "by_hour", "by_weekday"] {
        assert_table_safe(table, &counts_of(&s[table]), total);
    }
    assert!(s["by_category"]["brand"].is_null());
    assert!(s["by_source"]["polis"].is_null() && s["by_source"]["skola"].is_null());
    assert!(s["by_hour"][3].is_null());
    let listed = s["suppressed"]["by_source"].as_array().unwrap();
    assert!(listed.contains(&Value::from("polis")), "{listed:?}");
    // Evenings and nights are a total of their hours (and the day's hours
    // of the rest).
    let hours = counts_of(&s["by_hour"]);
    let night = |h: usize| !(6..18).contains(&h);
    let en = s["evening_night"].as_u64();
    let en_hours: Vec<Option<u64>> = (0..24).filter(|&h| night(h)).map(|h| hours[h]).collect();
    let day_hours: Vec<Option<u64>> = (0..24).filter(|&h| !night(h)).map(|h| hours[h]).collect();
    assert_table_safe("evening and night hours", &en_hours, en);
    assert_table_safe("day hours", &day_hours, en.map(|n| 123 - n));
    if en.is_none() {
        assert!(s["evening_night_share"].is_null());
    }

    // stats as text: "<3" where the JSON has a suppressed small count.
    let (o, _) = run(&dir, &["stats", p]);
    let line = |prefix: &str| {
        o.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?}: {o}"))
            .to_owned()
    };
    assert!(line("Brand").contains("<3"), "{o}");
    assert!(line("Polis").contains("<3"), "{o}");
    assert!(line("03–04").contains("<3"), "{o}");
    assert!(o.contains("<3: 1 to 2 incidents"), "the legend: {o}");

    // patterns --json: the hour × weekday table with its margins, the
    // series, the årshjul and the category and source counts.
    let (o, _) = run(&dir, &["patterns", p, "--no-area", "--json"]);
    let t: Value = serde_json::from_str(&o).unwrap();
    let n = t["incidents"].as_u64();
    assert_eq!(n, Some(123));
    let hw: Vec<Vec<Option<u64>>> = t["hour_weekday"]
        .as_array()
        .unwrap()
        .iter()
        .map(counts_of)
        .collect();
    let by_hour = counts_of(&t["by_hour"]);
    let by_weekday = counts_of(&t["by_weekday"]);
    for d in 0..7 {
        assert_table_safe(&format!("hour_weekday[{d}]"), &hw[d], by_weekday[d]);
    }
    for h in 0..24 {
        let col: Vec<Option<u64>> = (0..7).map(|d| hw[d][h]).collect();
        assert_table_safe(&format!("hour {h}"), &col, by_hour[h]);
    }
    assert_table_safe("by_hour", &by_hour, n);
    assert_table_safe("by_weekday", &by_weekday, n);
    let series: Vec<Option<u64>> = t["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_u64())
        .collect();
    assert_table_safe("series", &series, n);
    for p in t["series"].as_array().unwrap() {
        assert!(!matches!(p["year_earlier"].as_u64(), Some(1 | 2)), "{p}");
    }
    let cats = |key: &str| -> Vec<Option<u64>> {
        t[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["count"].as_u64())
            .collect()
    };
    assert_table_safe("by_category", &cats("by_category"), n);
    assert_table_safe("by_source", &cats("by_source"), n);
    for k in t["by_category"].as_array().unwrap() {
        if k["count"].is_null() {
            assert!(k["share"].is_null(), "a share gives the count back: {k}");
        }
    }
    let a = &t["arshjul"];
    let month_totals = counts_of(&a["total"]);
    assert_table_safe("arshjul months", &month_totals, n);
    let rows: Vec<Vec<Option<u64>>> = a["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| counts_of(&c["months"]))
        .collect();
    for (k, c) in a["categories"].as_array().unwrap().iter().enumerate() {
        assert_table_safe(
            &format!("arshjul {}", c["key"]),
            &rows[k],
            c["count"].as_u64(),
        );
        if c["count"].is_null() {
            assert!(
                c["peak_month"].is_null(),
                "the peak month of a small group: {c}"
            );
        }
    }
    for mo in 0..12 {
        let col: Vec<Option<u64>> = rows.iter().map(|r| r[mo]).collect();
        assert_table_safe(&format!("arshjul month {mo}"), &col, month_totals[mo]);
    }
    let e = &t["evening_night"];
    for key in ["count", "evening", "night"] {
        assert!(!matches!(e[key].as_u64(), Some(1 | 2)), "evening_night {e}");
    }
    assert!(
        !t["suppressed"].as_array().unwrap().is_empty(),
        "the suppressed counts are listed"
    );
    // patterns as text.
    let (o, _) = run(&dir, &["patterns", p, "--no-area"]);
    assert!(o.contains("<3"), "{o}");
    let fire = o
        .lines()
        .find(|l| l.trim_start().starts_with("Fire"))
        .unwrap();
    assert!(!fire.contains(" 1 ") && fire.contains("<3"), "{fire}");
}

#[test]
fn places_leave_out_those_on_lone_incidents_and_hide_small_gains() {
    let dir = Dir::new();
    let project = small_groups_project(&dir);
    let p = project.to_str().unwrap();
    let out = |name: &str| dir.path(name).to_str().unwrap().to_owned();
    // Suppression off: with more hosts than clusters, places go to the
    // lone incidents (the project has what the test means it to have).
    let args = |file: &str, min: &'static str| {
        vec![
            "places".to_owned(),
            p.to_owned(),
            "--hosts".into(),
            "4".into(),
            "--no-area".into(),
            "--hours".into(),
            "0-24".into(),
            "--min-count".into(),
            min.into(),
            "--out".into(),
            out(file),
            "--json".into(),
        ]
    };
    let a = args("raw.geojson", "1");
    let o = run_cli_in(
        dir.root(),
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_exit(&o, 0);
    let raw = features(&dir.path("raw.geojson"));
    assert!(
        ALONE
            .iter()
            .any(|(lon, lat)| raw.iter().any(|f| near(f, *lon, *lat, 300.0))),
        "without suppression a place sits on a lone incident"
    );
    let a = args("pl.geojson", "3");
    let (o, e) = run(&dir, &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(e.contains("left out"), "{e}");
    let json: Value = serde_json::from_str(&o).unwrap();
    let places = features(&dir.path("pl.geojson"));
    assert!(!places.is_empty());
    for (lon, lat) in ALONE {
        assert!(
            !places.iter().any(|f| near(f, lon, lat, 300.0)),
            "a place marks the lone incident at {lon},{lat}"
        );
    }
    let gains: Vec<Option<u64>> = places
        .iter()
        .map(|f| {
            let c = f["properties"]["covered"].as_f64();
            assert!(!matches!(c, Some(x) if x > 0.0 && x < 3.0), "{f}");
            f["properties"]["gain"].as_f64().map(|g| g.round() as u64)
        })
        .collect();
    let covered = json["covered"].as_f64().map(|c| c.round() as u64);
    // The gains of the places left out are suppressed parts too.
    let mut all = gains.clone();
    all.extend(std::iter::repeat_n(None, 4 - gains.len()));
    assert_table_safe("the places' gains", &all, covered);
}

/// A square polygon file (WGS 84) of about 250 m around (lon, lat).
fn square_around(dir: &Dir, name: &str, lon: f64, lat: f64) -> PathBuf {
    let (dx, dy) = (0.002, 0.0012);
    dir.write(
        name,
        format!(
            r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": {{}},
  "geometry": {{"type": "Polygon", "coordinates": [[[{a}, {b}], [{c}, {b}], [{c}, {d}], [{a}, {d}], [{a}, {b}]]]}}}}]}}"#,
            a = lon - dx,
            b = lat - dy,
            c = lon + dx,
            d = lat + dy
        ),
    )
}

/// The cluster of [`planted_csv`] (around Stortorget), as a polygon file.
fn cluster_area(dir: &Dir) -> PathBuf {
    square_around(dir, "cluster.geojson", 14.5902, 56.0531)
}

/// A patrol plan of three areas: the cluster and one around each lone
/// incident, every day, all day.
fn lone_plan(dir: &Dir) -> PathBuf {
    let area = |name: &str, lon: f64, lat: f64, dx: f64, dy: f64| {
        format!(
            r#"{{"type": "Feature", "properties": {{"name": "{name}", "team": "Par", "weekdays": "mon-sun"}},
  "geometry": {{"type": "Polygon", "coordinates": [[[{a}, {b}], [{c}, {b}], [{c}, {d}], [{a}, {d}], [{a}, {b}]]]}}}}"#,
            a = lon - dx,
            b = lat - dy,
            c = lon + dx,
            d = lat + dy
        )
    };
    let features = [
        area("Klustret", 14.5902, 56.0531, 0.006, 0.003),
        area("Öst ensam", ALONE[0].0, ALONE[0].1, 0.002, 0.0012),
        area("Nord ensam", ALONE[1].0, ALONE[1].1, 0.002, 0.0012),
    ];
    dir.write(
        "lone_plan.geojson",
        format!(
            r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
            features.join(",\n")
        ),
    )
}

/// A count a reader sees: `Some(n)` for a number, `None` for null or text.
fn seen(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// Fails on a shown count of 1 or 2.
#[track_caller]
fn assert_not_small(what: &str, v: &Value) {
    assert!(
        !matches!(seen(v), Some(1 | 2)),
        "{what} = {v}: a small count is shown"
    );
}

/// Fails when `text` states a small count: a token "1" or "2" followed by
/// one of `words` (e.g. "händelser", "före").
#[track_caller]
fn assert_no_small_count_in_text(what: &str, text: &str, words: &[&str]) {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for w in tokens.windows(2) {
        let word = w[1].trim_matches(|c: char| !c.is_alphanumeric());
        assert!(
            !(matches!(w[0], "1" | "2") && words.contains(&word)),
            "{what} states a small count: {:?} in {text}",
            w.join(" ")
        );
    }
}

#[test]
fn single_incidents_cannot_be_read_back_from_coverage_evaluate_dose_change_or_the_report() {
    let dir = Dir::new();
    let project = isolated_project(&dir);
    let p = project.to_str().unwrap();
    let east = square_around(&dir, "east.geojson", ALONE[0].0, ALONE[0].1);
    let east = east.to_str().unwrap();
    let cluster = cluster_area(&dir);
    let cluster = cluster.to_str().unwrap();

    // Coverage: each lone incident in an area of its own, the areas apart.
    let plan = lone_plan(&dir);
    run(&dir, &["plan", "import", p, plan.to_str().unwrap()]);
    let (o, _) = run(&dir, &["coverage", p, "--json"]);
    let v: Value = serde_json::from_str(&o).unwrap();
    let c = &v["coverage"];
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{c}");
    let cells: Vec<Option<u64>> = items.iter().map(|i| seen(&i["incidents"])).collect();
    for (i, item) in items.iter().enumerate() {
        assert_not_small(&format!("coverage item {i}"), &item["incidents"]);
        if item["incidents"].is_null() {
            assert!(
                item["share"].is_null(),
                "a share gives the count back: {item}"
            );
        }
    }
    assert_not_small("the plan total", &c["total"]["incidents"]);
    // The areas are apart, so their counts sum to the plan's total.
    assert_table_safe("coverage items", &cells, seen(&c["total"]["incidents"]));
    assert_table_safe(
        "coverage items against all incidents",
        &cells,
        seen(&c["incidents"]),
    );
    assert!(!v["suppressed"].as_array().unwrap().is_empty(), "{v}");
    let (o, _) = run(&dir, &["coverage", p]);
    for line in o.lines().filter(|l| l.contains("ensam")) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        assert!(
            !tokens.iter().any(|t| matches!(*t, "1" | "2")),
            "coverage text shows a small count: {line}"
        );
        assert!(!line.contains('%') || line.contains("–"), "{line}");
    }

    // Evaluate: the east area holds one incident before its start.
    let args = [
        "evaluate",
        p,
        "--area",
        east,
        "--start",
        "2025-04-01",
        "--end",
        "2025-05-31",
        "--control",
        cluster,
    ];
    let (o, _) = run(&dir, &[&args[..], &["--json"]].concat());
    let e: Value = serde_json::from_str(&o).unwrap();
    for place in ["area", "buffer", "control"] {
        for period in ["before", "after"] {
            assert_not_small(&format!("evaluate {place} {period}"), &e[place][period]);
        }
    }
    assert!(e["area"]["before"].is_null(), "the lone incident: {e}");
    let months = e["months"].as_array().unwrap();
    for (i, m) in months.iter().enumerate() {
        for key in ["area", "buffer", "control"] {
            assert_not_small(&format!("evaluate month {i} {key}"), &m[key]);
        }
    }
    for place in ["area", "buffer", "control"] {
        let cells: Vec<Option<u64>> = months.iter().map(|m| seen(&m[place])).collect();
        let both = seen(&e[place]["before"]).zip(seen(&e[place]["after"]));
        assert_table_safe(
            &format!("evaluate months of {place}"),
            &cells,
            both.map(|(b, a)| b + a),
        );
    }
    // The test, its ratio and "too few" and the WDQ would give it back.
    for key in ["p_value", "rate_ratio", "ci95"] {
        assert!(e["test"][key].is_null(), "test {key}: {e}");
    }
    assert!(e["too_few"].is_null() && e["wdq"].is_null(), "{e}");
    assert!(e["test"]["note"].as_str().unwrap().contains("för få"));
    let suppressed = e["suppressed"].as_array().unwrap();
    assert!(suppressed.contains(&Value::from("/area/before")), "{e}");
    let words = ["händelser", "före", "efter", "under"];
    assert_no_small_count_in_text("the summary", e["summary"].as_str().unwrap(), &words);
    let (o, _) = run(&dir, &args);
    for line in o.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let is_row = tokens.first().is_some_and(|t| {
            ["area", "ring", "control"].contains(t) || t.starts_with("20") && t.len() == 7
        });
        if is_row {
            assert!(
                !tokens.iter().any(|t| matches!(*t, "1" | "2")),
                "evaluate text shows a small count: {line}"
            );
        }
        let figure = |prefix: &str| {
            line.strip_prefix(prefix)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == '-'))
        };
        assert!(!figure("p = ") && !figure("WDQ "), "{line}");
    }
    assert_no_small_count_in_text("evaluate text", &o, &words);

    // Dose: one visit by one host at one place.
    let at = |hm: &str| {
        let naive =
            chrono::NaiveDateTime::parse_from_str(&format!("2025-11-28 {hm}"), "%Y-%m-%d %H:%M")
                .unwrap();
        lagesbild::model::time::utc_from_local(naive)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let (lon, lat) = ALONE[0];
    let gpx = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"test\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n\
         <trkpt lat=\"{lat}\" lon=\"{lon}\"><time>{}</time></trkpt>\n\
         <trkpt lat=\"{lat}\" lon=\"{lon}\"><time>{}</time></trkpt>\n\
         <trkpt lat=\"{lat}\" lon=\"{lon}\"><time>{}</time></trkpt>\n\
         </trkseg></trk></gpx>\n",
        at("21:00"),
        at("21:04"),
        at("21:08")
    );
    let track = dir.write("TV01_2025-11-28.gpx", gpx);
    let places = dir.write(
        "places.geojson",
        format!(
            r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": {{"name": "Ensam"}}, "geometry": {{"type": "Point", "coordinates": [{lon}, {lat}]}}}}]}}"#
        ),
    );
    let dose = [
        "dose",
        p,
        "--tracks",
        track.to_str().unwrap(),
        "--places",
        places.to_str().unwrap(),
    ];
    let (o, _) = run(&dir, &[&dose[..], &["--json"]].concat());
    let d: Value = serde_json::from_str(&o).unwrap();
    let row = &d["places"][0];
    assert!(
        row["visits"].is_null() && row["minutes"].is_null(),
        "one visit and its length: {row}"
    );
    assert_not_small("dose visits", &row["dose_visits"]);
    let (o, _) = run(&dir, &dose);
    let line = o.lines().find(|l| l.starts_with("Ensam")).unwrap();
    assert!(
        !line
            .split_whitespace()
            .any(|t| matches!(t, "1" | "2" | "8.0")),
        "dose text: {line}"
    );
    // With --min-count 1 the one visit is shown (so the check above can fail).
    let (o, e) = run(&dir, &[&dose[..], &["--json", "--min-count", "1"]].concat());
    assert!(e.contains("warning"), "{e}");
    let d: Value = serde_json::from_str(&o).unwrap();
    assert_eq!(d["places"][0]["visits"], 1);

    // Change: the police's two lone incidents, one in each period (the
    // test's own minimum lowered to 1 so that their cells are written).
    let lone_change = dir.path("lone_change.geojson");
    let change = [
        "change",
        p,
        "--source",
        "polis",
        "--before",
        "2025-03-01..2025-03-31",
        "--after",
        "2025-04-01..2025-04-30",
        "--min-count",
        "1",
        "--out",
        lone_change.to_str().unwrap(),
    ];
    let (o, _) = run(&dir, &[&change[..], &["--json"]].concat());
    let ch: Value = serde_json::from_str(&o).unwrap();
    for period in ["before", "after"] {
        assert_not_small(&format!("change {period} total"), &ch[period]["incidents"]);
    }
    for f in features(&lone_change) {
        for key in ["before", "after"] {
            assert_not_small(&format!("change cell {key}"), &f["properties"][key]);
        }
    }
    let (o, _) = run(&dir, &change);
    // The first line states the period totals ("… (31 days, .. incidents) → …").
    let head = o.lines().next().unwrap_or_default();
    assert!(head.starts_with("Change "), "{o}");
    assert_no_small_count_in_text("change text", head, &["incidents"]);

    // The report: the follow-up of a measure on the east area, the plan's
    // coverage, the sources beside the total.
    run(
        &dir,
        &[
            "measure",
            "add",
            p,
            "--name",
            "Ensam insats",
            "--area",
            east,
            "--start",
            "2025-04-01",
            "--end",
            "2025-05-31",
        ],
    );
    let pdf = dir.path("lone.pdf");
    run(
        &dir,
        &[
            "report",
            p,
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    let t = crate::report::pdf_text(&pdf);
    for line in t
        .lines()
        .filter(|l| l.contains("Ensam insats") || l.contains("ensam"))
    {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        // The days column (61) is no count; every other figure is.
        assert!(
            !tokens.iter().any(|t| matches!(*t, "1" | "2")),
            "the report shows a small count: {line}"
        );
    }
    // The data sources (title page) sum to the period's total.
    let total: u64 = t
        .split("Hur mycket: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total in the report: {t}"));
    let sources: Vec<Option<u64>> = t
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            ["Polis: ", "Trygghetsvärd: "]
                .iter()
                .find_map(|k| l.strip_prefix(k))
        })
        .map(|n| n.trim().parse().ok())
        .collect();
    assert_eq!(sources.len(), 2, "{t}");
    assert_table_safe("the report's data sources", &sources, Some(total));
}
