//! The command-line interface, through the built binary.

use serde_json::Value;

use crate::util::{Dir, assert_exit, assert_valid_gpkg, ogrinfo_summary, run_cli_in, text};

fn stats_json(dir: &Dir, project: &str, extra: &[&str]) -> Value {
    let mut args = vec!["stats", project, "--json"];
    args.extend_from_slice(extra);
    let out = run_cli_in(dir.root(), &args);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).expect("stats --json prints JSON")
}

const GOOD_CSV: &str = "\
id,lon,lat,occurred_at,category,source,place
A-1,14.5830,56.0505,2025-03-14 22:40,Skadegörelse,Polis,Stortorget
A-2,14.5851,56.0512,2025-03-15T01:10:00+01:00,Misshandel,Polis,Stationen
A-3,14.5790,56.0480,2025-07-04 23:30,otrygghet,trygghetsvärd,
";

#[test]
fn demo_then_stats() {
    let dir = Dir::new();
    let out = run_cli_in(
        dir.root(),
        &[
            "demo",
            "--out",
            "demo.gpkg",
            "--count",
            "1500",
            "--seed",
            "7",
        ],
    );
    assert_exit(&out, 0);
    let s = stats_json(&dir, "demo.gpkg", &[]);
    assert_eq!(s["total"], 1500);
    assert_eq!(s["synthetic"], true);
    let share = s["evening_night_share"].as_f64().unwrap();
    assert!(
        share > 0.5,
        "demo should peak on evenings and nights, share {share}"
    );
    for key in [
        "skadegorelse",
        "narkotika",
        "vald",
        "ordningsstorning",
        "stold",
        "brand",
        "otrygghet",
        "ovrigt",
    ] {
        assert!(
            s["by_category"][key].as_u64().unwrap() > 0,
            "category {key} present"
        );
    }
    let by_hour: u64 = s["by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_hour, 1500);

    // Filters narrow the counts consistently.
    let nights = stats_json(&dir, "demo.gpkg", &["--hours", "18-6"]);
    assert_eq!(nights["total"], s["evening_night"]);
    let vald = stats_json(&dir, "demo.gpkg", &["--category", "vald"]);
    assert_eq!(vald["total"], s["by_category"]["vald"]);
    let weekend = stats_json(&dir, "demo.gpkg", &["--weekdays", "fri,sat"]);
    assert_eq!(
        weekend["total"].as_u64().unwrap(),
        s["by_weekday"]["fri"].as_u64().unwrap() + s["by_weekday"]["sat"].as_u64().unwrap()
    );
    let whole_day = stats_json(&dir, "demo.gpkg", &["--hours", "0-24"]);
    assert_eq!(whole_day["total"], 1500);

    // The text report names the data as synthetic.
    let out = run_cli_in(dir.root(), &["stats", "demo.gpkg"]);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("SYNTHETIC"));
}

#[test]
fn demo_is_deterministic_and_does_not_overwrite() {
    let dir = Dir::new();
    for name in ["a.gpkg", "b.gpkg"] {
        let out = run_cli_in(
            dir.root(),
            &["demo", "--out", name, "--count", "800", "--seed", "42"],
        );
        assert_exit(&out, 0);
    }
    assert_eq!(stats_json(&dir, "a.gpkg", &[]), {
        let mut b = stats_json(&dir, "b.gpkg", &[]);
        b["project"] = "a.gpkg".into();
        b
    });
    let out = run_cli_in(dir.root(), &["demo", "--out", "a.gpkg"]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("already exists"));
}

#[test]
fn demo_project_opens_in_gdal() {
    let dir = Dir::new();
    let out = run_cli_in(dir.root(), &["demo", "--out", "demo.gpkg"]);
    assert_exit(&out, 0);
    let path = dir.path("demo.gpkg");
    let total = stats_json(&dir, "demo.gpkg", &[])["total"]
        .as_u64()
        .unwrap();
    assert_valid_gpkg(&path);
    let Some(summary) = ogrinfo_summary(&path) else {
        return;
    };
    assert!(summary.contains("Layer name: incidents"), "{summary}");
    assert!(summary.contains("Geometry: Point"), "{summary}");
    assert!(
        summary.contains(&format!("Feature Count: {total}")),
        "{summary}"
    );
    assert!(summary.contains("WGS 84"), "{summary}");
    // Extent: (minx, miny) - (maxx, maxy) inside Sölvesborgs kommun (its
    // bounding box: Hanö in the east, Pukavik and Ysane in the north).
    let line = summary
        .lines()
        .find(|l| l.starts_with("Extent:"))
        .expect("ogrinfo prints the extent");
    let nums: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|t| t.parse().ok())
        .collect();
    assert_eq!(nums.len(), 4, "{line}");
    let (minx, miny, maxx, maxy) = (nums[0], nums[1], nums[2], nums[3]);
    assert!(minx >= 14.35 && maxx <= 14.85, "{line}");
    assert!(miny >= 55.98 && maxy <= 56.20, "{line}");
}

#[test]
fn import_creates_project_and_reimport_is_duplicates() {
    let dir = Dir::new();
    dir.write("in.csv", GOOD_CSV);
    let out = run_cli_in(dir.root(), &["import", "p.gpkg", "in.csv"]);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("3 imported"), "{stdout}");
    assert_eq!(stats_json(&dir, "p.gpkg", &[])["total"], 3);

    let out = run_cli_in(dir.root(), &["import", "p.gpkg", "in.csv"]);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("0 imported, 3 duplicates"), "{stdout}");
    assert_eq!(stats_json(&dir, "p.gpkg", &[])["total"], 3);
    assert_valid_gpkg(&dir.path("p.gpkg"));
}

#[test]
fn import_reports_rejects_and_writes_them() {
    let dir = Dir::new();
    let csv = format!(
        "{GOOD_CSV}A-4,not-a-number,56.05,2025-03-14 22:40,vald,polis,\nA-5,-5.6,12.3,2025-03-14 22:40,vald,polis,\n"
    );
    dir.write("mixed.csv", csv);
    let out = run_cli_in(
        dir.root(),
        &["import", "p.gpkg", "mixed.csv", "--rejects", "rejects.csv"],
    );
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("3 imported"), "{stdout}");
    assert!(stdout.contains("2 rejected"), "{stdout}");
    assert!(
        stdout.contains("mixed.csv:5:"),
        "line numbers in rejects: {stdout}"
    );
    let rejects = std::fs::read_to_string(dir.path("rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 3, "header + 2 rows:\n{rejects}");

    // --strict: nothing from a file with bad rows.
    let out = run_cli_in(
        dir.root(),
        &["import", "strict.gpkg", "mixed.csv", "--strict"],
    );
    assert_exit(&out, 1);
    assert!(!dir.path("strict.gpkg").exists(), "no project left behind");
}

#[test]
fn import_of_bad_files_leaves_project_unchanged() {
    let dir = Dir::new();
    dir.write("in.csv", GOOD_CSV);
    assert_exit(&run_cli_in(dir.root(), &["import", "p.gpkg", "in.csv"]), 0);
    let before = std::fs::read(dir.path("p.gpkg")).unwrap();

    dir.write("empty.csv", "");
    dir.write("binary.csv", [0u8, 159, 146, 150, 0, 0, 1, 2, 3, 255, 254]);
    dir.write("header_only.csv", "id,lon,lat,occurred_at\n");
    for bad in ["empty.csv", "binary.csv", "header_only.csv"] {
        let out = run_cli_in(dir.root(), &["import", "p.gpkg", bad]);
        assert_exit(&out, 1);
        let (_, stderr) = text(&out);
        assert!(stderr.contains(bad), "error names the file: {stderr}");
    }
    assert_eq!(
        std::fs::read(dir.path("p.gpkg")).unwrap(),
        before,
        "project file unchanged"
    );

    // A bad file into a new project creates nothing.
    let out = run_cli_in(dir.root(), &["import", "new.gpkg", "empty.csv"]);
    assert_exit(&out, 1);
    assert!(!dir.path("new.gpkg").exists());
}

#[test]
fn bad_arguments_exit_2_with_a_reason() {
    let dir = Dir::new();
    assert_exit(
        &run_cli_in(dir.root(), &["demo", "--out", "d.gpkg", "--count", "100"]),
        0,
    );
    for (args, needle) in [
        (vec!["stats", "d.gpkg", "--hours", "25-3"], "hour range"),
        (vec!["stats", "d.gpkg", "--weekdays", "funday"], "weekdays"),
        (
            vec!["stats", "d.gpkg", "--category", "ufo"],
            "unknown category",
        ),
        (
            vec![
                "stats",
                "d.gpkg",
                "--from",
                "2025-02-01",
                "--to",
                "2025-01-01",
            ],
            "after",
        ),
        (vec!["stats", "missing.gpkg"], "missing.gpkg"),
    ] {
        let out = run_cli_in(dir.root(), &args);
        assert_exit(&out, 2);
        let (_, stderr) = text(&out);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    dir.write("notes.txt", "hello");
    let out = run_cli_in(dir.root(), &["stats", "notes.txt"]);
    assert_exit(&out, 2);
}

/// A project given as a `postgresql://` URL is refused with a clear "not
/// supported yet" (exit 2), never shows the URL's password and writes nothing.
#[test]
fn a_postgres_project_url_that_cannot_be_reached_fails_without_its_password() {
    let dir = Dir::new();
    std::fs::write(dir.path("rader.csv"), GOOD_CSV).unwrap();
    // Nothing listens on port 1: every command fails to connect.
    let url = "postgresql://anna:hemligt@127.0.0.1:1/lagesbild";
    for args in [
        vec!["stats", url],
        vec!["import", url, "rader.csv"],
        vec!["heatmap", url, "--out", "h.tif"],
        vec!["hotspots", url, "--out", "g.geojson"],
        vec!["places", url, "--out", "p.geojson"],
        vec!["layer", "list", url],
    ] {
        let out = run_cli_in(dir.root(), &args);
        assert_exit(&out, 2);
        let (_, err) = text(&out);
        assert!(err.contains("127.0.0.1:1/lagesbild"), "{err}");
        assert!(!err.contains("hemligt"), "{err}");
    }
    // `home` holds only the log (home/.local/state/lagesbild, src/log.rs).
    let names: Vec<_> = std::fs::read_dir(dir.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "home")
        .collect();
    assert_eq!(names, ["rader.csv"], "nothing else written");
}
