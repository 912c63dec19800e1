//! The app's import of a file with many rejected rows and conflicts
//! (egui_kittest): the report shows the counts and the first 50 of each with
//! how many more, and `NAME.avvisade.csv` beside the file, written while the
//! import ran, holds every one of them.

use egui::vec2;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::app::{Action, UiState};
use lagesbild::store::Project;

use crate::gui_util::{app_with, settle};
use crate::util::Dir;

/// `bad` rows that are all rejected, then `good` rows at `time`.
fn csv(bad: usize, good: usize, time: &str) -> String {
    let mut text = String::from("id,lon,lat,occurred_at,category,source\n");
    for i in 0..bad {
        text.push_str(&format!("X{i},14.58,56.05,kl 25.{i},vald,polis\n"));
    }
    for i in 0..good {
        text.push_str(&format!("G{i},14.58,56.05,{time},vald,polis\n"));
    }
    text
}

#[test]
fn the_report_shows_the_first_rows_and_the_rejects_file_has_them_all() {
    let dir = Dir::new();
    let path = dir.path("p.gpkg");
    drop(Project::create(&path, "Sölvesborg").unwrap());
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 1000.0));
    settle(&mut h);

    // 130 good rows, then the same ids an hour later: 130 conflicts, and
    // 230 rejected rows before them.
    let first = dir.path("forst.csv");
    std::fs::write(&first, csv(0, 130, "2025-03-14 22:40")).unwrap();
    let later = dir.path("sedan.csv");
    std::fs::write(&later, csv(230, 130, "2025-03-14 23:40")).unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, Action::Import(vec![first]));
    settle(&mut h);
    assert!(!dir.path("forst.avvisade.csv").exists(), "nothing rejected");
    h.state_mut().apply(&ctx, Action::Import(vec![later]));
    settle(&mut h);
    h.run_steps(2);

    h.get_by_label_contains("Konflikter: 130");
    h.get_by_label_contains("Avvisade: 230");
    let saved = dir.path("sedan.avvisade.csv");
    h.get_by_label_contains(&format!("{}", saved.display()));
    h.get_by_label_contains("Fler detaljer").click();
    h.run_steps(3);
    h.get_by_label_contains("Rad 51:");
    assert!(h.query_by_label_contains("Rad 52:").is_none());
    h.get_by_label("… 80");
    h.get_by_label("… 180");

    let mut reader = csv::Reader::from_path(&saved).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 230 + 130);
    let conflicts = rows
        .iter()
        .filter(|r| r[2].starts_with("conflict: "))
        .count();
    assert_eq!(conflicts, 130);
    assert_eq!(&rows[229][1], "231", "every rejected row, in file order");
}
