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

/// Every word poppler finds: (page, xMin, yMin, xMax, yMax, text).
fn pdf_words(pdf: &Path) -> Vec<(usize, f32, f32, f32, f32, String)> {
    let out = Command::new(poppler("pdftotext"))
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext -bbox: {:?}", text(&out));
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    let attr = |tag: &str, name: &str| -> f32 {
        let key = format!("{name}=\"");
        let at = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
        tag[at..].split('"').next().unwrap().parse().unwrap()
    };
    let mut words = Vec::new();
    let mut page = 0;
    for part in html.split('<').skip(1) {
        if part.starts_with("page ") {
            page += 1;
        } else if let Some(rest) = part.strip_prefix("word ") {
            let (tag, word) = rest.split_once('>').unwrap();
            words.push((
                page,
                attr(tag, "xMin"),
                attr(tag, "yMin"),
                attr(tag, "xMax"),
                attr(tag, "yMax"),
                word.replace("&amp;", "&"),
            ));
        }
    }
    words
}

#[test]
fn long_names_wrap_inside_their_table_cells() {
    let dir = Dir::new();
    let root = dir.root();
    assert_exit(
        &run_cli_in(
            root,
            &[
                "demo",
                "--out",
                "demo.gpkg",
                "--count",
                "300",
                "--seed",
                "5",
            ],
        ),
        0,
    );
    let area = dir.write(
        "park.geojson",
        r#"{"type":"Polygon","coordinates":[[[14.57,56.04],[14.60,56.04],[14.60,56.06],[14.57,56.06],[14.57,56.04]]]}"#,
    );
    let name = "Kvällsnärvaro och trygghetsvandringar i centrum, hamnområdet och Stortorget";
    let place = "Stortorget vid Sölvesborgs kyrka och gångstråket mot Hamnplan";
    let out = run_cli_in(
        root,
        &[
            "measure",
            "add",
            "demo.gpkg",
            "--name",
            name,
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2026-03-01",
            "--place",
            place,
            "--responsible",
            "Brottsförebyggande samordnaren",
            "--category",
            "ordningsstorning",
        ],
    );
    assert_exit(&out, 0);
    assert_exit(
        &run_cli_in(root, &["report", "demo.gpkg", "--out", "r.pdf"]),
        0,
    );
    let words = pdf_words(&dir.path("r.pdf"));
    assert!(words.len() > 200, "{} words", words.len());
    // A4 595 pt wide, margins 50 pt: no word leaves the text column …
    for (page, x0, _, x1, _, w) in &words {
        assert!(
            *x0 >= 49.0 && *x1 <= 546.0,
            "page {page}: {w:?} at {x0}–{x1} leaves the text column"
        );
    }
    // … and no two words on one line overlap (an overflowing cell would
    // run into its neighbour).
    type Line = Vec<(f32, f32, String)>;
    let mut by_line: std::collections::BTreeMap<(usize, i64), Line> = Default::default();
    for (page, x0, y0, x1, _, w) in &words {
        by_line
            .entry((*page, (*y0 * 2.0).round() as i64))
            .or_default()
            .push((*x0, *x1, w.clone()));
    }
    for ((page, _), mut line) in by_line {
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in line.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0 + 0.5,
                "page {page}: {:?} runs into {:?}",
                pair[0].2,
                pair[1].2
            );
        }
    }
    // The measure's name is all there, wrapped onto more than one line.
    let find = |w: &str| {
        words
            .iter()
            .find(|x| x.5 == w)
            .unwrap_or_else(|| panic!("{w:?} not in the PDF"))
    };
    let first = find("Kvällsnärvaro");
    let last = find("Stortorget");
    assert!(
        last.2 > first.2 + 5.0,
        "the name did not wrap: {first:?} {last:?}"
    );
    find("trygghetsvandringar");
    find("Hamnplan");
}
