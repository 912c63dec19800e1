//! `lagesbild report`: the PDF lägesbild, opened with poppler's real
//! readers (pdfinfo, pdftoppm renders every page, pdftotext gives the text).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Dir, assert_exit, run_cli_in, text};

/// A poppler tool on PATH; missing, the test fails saying how to install it.
fn poppler(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "{name} is needed to check the PDF but is not installed: run \
                 scripts/install-test-tools.sh (or: apt-get install poppler-utils)"
            )
        })
}

fn pdf_pages(pdf: &Path) -> usize {
    let out = Command::new(poppler("pdfinfo")).arg(pdf).output().unwrap();
    let (o, e) = text(&out);
    assert!(out.status.success(), "pdfinfo: {o}{e}");
    o.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in {o}"))
}

pub(crate) fn pdf_text(pdf: &Path) -> String {
    let out = Command::new(poppler("pdftotext"))
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext: {:?}", text(&out));
    String::from_utf8(out.stdout).expect("pdftotext gives UTF-8")
}

#[test]
fn the_report_opens_in_real_readers_with_the_laws_sections_in_order() {
    let dir = Dir::new();
    let out = run_cli_in(
        dir.root(),
        &[
            "demo",
            "--out",
            "demo.gpkg",
            "--count",
            "400",
            "--seed",
            "3",
        ],
    );
    assert_exit(&out, 0);
    let area = dir.write(
        "park.geojson",
        r#"{"type":"Polygon","coordinates":[[[14.57,56.04],[14.60,56.04],[14.60,56.06],[14.57,56.06],[14.57,56.04]]]}"#,
    );
    let out = run_cli_in(
        dir.root(),
        &[
            "measure",
            "add",
            "demo.gpkg",
            "--name",
            "Kvällsnärvaro centrum",
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2026-03-01",
            "--place",
            "Stortorget",
            "--responsible",
            "Trygghetsvärdar",
            "--note",
            "HEMLIG ANTECKNING",
            "--category",
            "ordningsstorning",
        ],
    );
    assert_exit(&out, 0);
    // A patrol area over the same park: the report's Åtgärder gives its coverage.
    let plan = dir.write(
        "plan.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Centrumområdet","team":"Par 1"},"geometry":{"type":"Polygon","coordinates":[[[14.57,56.04],[14.60,56.04],[14.60,56.06],[14.57,56.06],[14.57,56.04]]]}}]}"#,
    );
    let out = run_cli_in(
        dir.root(),
        &["plan", "import", "demo.gpkg", plan.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    let out = run_cli_in(
        dir.root(),
        &["report", "demo.gpkg", "--out", "lagesbild.pdf"],
    );
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    // "lagesbild.pdf: N pages, period A – B, M incidents, 1 measures"
    let incidents: u64 = stdout
        .split(", ")
        .find_map(|p| p.strip_suffix(" incidents"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no incident count in {stdout:?}"));
    assert!(incidents > 100, "{stdout}");
    let pdf = dir.path("lagesbild.pdf");
    assert!(!dir.path("lagesbild.pdf.part").exists());
    let pages = pdf_pages(&pdf);
    assert!(pages >= 5, "{pages} pages");

    // pdftoppm renders every page.
    let out = Command::new(poppler("pdftoppm"))
        .args(["-r", "30", "-png"])
        .arg(&pdf)
        .arg(dir.path("page"))
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm: {:?}", text(&out));
    let rendered = std::fs::read_dir(dir.root())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("page") && name.ends_with(".png")
        })
        .count();
    assert_eq!(rendered, pages);

    let t = pdf_text(&pdf);
    // The law's order, after the title page.
    let at = |s: &str| {
        t.find(s)
            .unwrap_or_else(|| panic!("{s:?} not in the text:\n{t}"))
    };
    let order = [
        at("Lägesbild"),
        at("1. Kartläggning"),
        at("2. Övrig information"),
        at("3. Analys"),
        at("4. Åtgärder"),
        at("5. Uppföljning"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // Swedish characters come back as text (the font is embedded with its map).
    assert!(t.contains("Skadegörelse"));
    assert!(t.contains("Ordningsstörning"));
    // The category table's total is the period's count.
    let total_row = t
        .lines()
        .find(|l| l.trim_start().starts_with("Totalt"))
        .unwrap_or_else(|| panic!("no Totalt row:\n{t}"));
    let shown = lagesbild::report::shown_count(incidents, 3);
    assert!(
        total_row
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&shown),
        "{total_row:?} lacks {shown}"
    );
    // Small counts are suppressed somewhere in 400 incidents' tables.
    assert!(t.contains("<3"));
    // Synthetic on every page.
    let pages_text: Vec<&str> = t.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(pages_text.len(), pages);
    assert!(pages_text.iter().all(|p| p.contains("Syntetiska data")));
    // The measure with its problem, never its note; no incident free text.
    assert!(t.contains("Kvällsnärvaro centrum"));
    assert!(t.contains("Stortorget"));
    assert!(!t.contains("HEMLIG"));
    // Uppföljning evaluates the measure as `lagesbild evaluate --measure`
    // does, with the same counts (suppressed below 3).
    let out = run_cli_in(
        dir.root(),
        &[
            "evaluate",
            "demo.gpkg",
            "--measure",
            "Kvällsnärvaro centrum",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&text(&out).0).unwrap();
    let count = |k: &str, p: &str| json[k][p].as_u64().unwrap();
    let follow_up = &t[t.rfind("5. Uppföljning").unwrap()..];
    let row = follow_up
        .lines()
        .find(|l| l.contains("Kvällsnärvaro centrum"))
        .unwrap_or_else(|| panic!("no evaluation row:\n{follow_up}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    let shown: Vec<String> = [
        ("area", "before"),
        ("area", "after"),
        ("buffer", "before"),
        ("buffer", "after"),
    ]
    .iter()
    .map(|(k, p)| lagesbild::report::shown_count(count(k, p), 3))
    .collect();
    assert!(
        cells.windows(4).any(|w| w == shown.as_slice()),
        "{row:?} lacks the counts {shown:?}"
    );
    // The plan's coverage is `lagesbild coverage` over the report's period.
    let period = stdout
        .split(", ")
        .find_map(|p| p.strip_prefix("period "))
        .unwrap_or_else(|| panic!("no period in {stdout:?}"));
    let (from, to) = period.split_once(" – ").unwrap();
    let out = run_cli_in(
        dir.root(),
        &[
            "coverage",
            "demo.gpkg",
            "--from",
            from,
            "--to",
            to,
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&text(&out).0).unwrap();
    let covered = json["coverage"]["items"][0]["incidents"].as_u64().unwrap();
    let coverage_row = t
        .lines()
        .find(|l| l.contains("Centrumområdet"))
        .unwrap_or_else(|| panic!("no coverage row:\n{t}"));
    assert!(
        coverage_row
            .split_whitespace()
            .any(|c| c == lagesbild::report::shown_count(covered, 3)),
        "{coverage_row:?} lacks {covered}"
    );
    assert!(t.contains("Patrullplanens täckning"));
    assert!(
        [
            "för få händelser",
            "ingen säker förändring",
            "säker minskning",
            "säker ökning"
        ]
        .iter()
        .any(|c| follow_up.contains(c)),
        "{follow_up}"
    );
}

#[test]
fn the_report_refuses_a_reversed_period_and_leaves_no_file() {
    let dir = Dir::new();
    let out = run_cli_in(
        dir.root(),
        &[
            "demo",
            "--out",
            "demo.gpkg",
            "--count",
            "200",
            "--seed",
            "3",
        ],
    );
    assert_exit(&out, 0);
    let out = run_cli_in(
        dir.root(),
        &[
            "report",
            "demo.gpkg",
            "--from",
            "2026-05-01",
            "--to",
            "2026-01-01",
            "--out",
            "x.pdf",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("after"), "{:?}", text(&out));
    assert!(!dir.path("x.pdf").exists());
}
