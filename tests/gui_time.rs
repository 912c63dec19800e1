//! The Tidsmönster window (egui_kittest): opened from the View menu, its
//! hour × weekday table shows the core's numbers for the current filter,
//! the time slider steps the heatmap period by period, and the change map
//! is computed and drawn with its legend.

use egui::epaint::Shape;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::analysis::change::{ChangeParams, Period, change_map};
use lagesbild::analysis::engine::{self, AreaChoice, Selection};
use lagesbild::analysis::time_patterns::{PeriodKind, time_patterns};
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::UiState;
use lagesbild::jobs::CancelToken;

use crate::gui_util::{app_with, demo, settle};
use crate::util::Dir;

const WEEKDAYS_SV: [&str; 7] = ["Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön"];

fn mesh_with_texture(harness: &Harness<'_, LagesbildApp>, id: egui::TextureId) -> bool {
    harness.output().shapes.iter().any(|s| match &s.shape {
        Shape::Mesh(m) => m.texture_id == id && !m.indices.is_empty(),
        _ => false,
    })
}

#[test]
fn time_window_shows_the_tables_steps_the_slider_and_maps_change() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let mut harness = app_with(path.clone(), UiState::default(), egui::vec2(1400.0, 1000.0));
    settle(&mut harness);
    assert!(!harness.state().time().open);

    harness.get_by_label("Visa").click();
    harness.run_steps(2);
    harness.get_by_label("Tidsmönster…").click();
    harness.run_steps(2);
    assert!(
        harness.state().time().open,
        "the menu entry opens the window"
    );
    settle(&mut harness);

    // The same numbers as the core computes through the engine.
    let store = lagesbild::store::open(lagesbild::store::Location::File(path.clone())).unwrap();
    let selection = Selection {
        filter: harness.state().filter().clone(),
        include_coarse: false,
        area: AreaChoice::Stored,
    };
    let loaded = engine::load(store.as_ref(), &selection, "demo", &CancelToken::new()).unwrap();
    let expected = time_patterns(&loaded, PeriodKind::Month);
    let out = harness.state().time().output().expect("computed").clone();
    assert_eq!(out.patterns, expected);
    assert!(expected.incidents > 1000, "{}", expected.incidents);
    // The busiest hour × weekday cell, read from the window.
    let (d, h, n) = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .map(|(d, h)| (d, h, expected.hour_weekday[d][h]))
        .max_by_key(|c| c.2)
        .unwrap();
    harness.get_by_label(&format!("{} {h:02}: {n}", WEEKDAYS_SV[d]));
    harness.get_by_label_contains("Kväll och natt (18–06)");
    harness.get_by_label("Årshjul (månad × kategori)");

    // Step the slider: its frame replaces the heatmap on the map.
    let frames = harness.state().time().frame_count();
    assert_eq!(frames, expected.series.len());
    harness.get_by_label("Nästa >").click();
    harness.run_steps(3);
    assert_eq!(harness.state().time().frame(), 1);
    assert!(harness.state().time().slider_on);
    let p = &expected.series[1];
    harness.get_by_label(&format!(
        "{}: {} händelser (2 av {frames})",
        p.label, p.count
    ));
    let (_, texture) = harness
        .state()
        .time()
        .slider_heatmap()
        .expect("the slider's frame is ready");
    assert!(mesh_with_texture(&harness, texture), "the frame is drawn");
    harness.get_by_label("< Föregående").click();
    harness.run_steps(3);
    assert_eq!(harness.state().time().frame(), 0);
    harness.get_by_label("< Föregående").click();
    harness.run_steps(3);
    assert_eq!(harness.state().time().frame(), frames - 1, "wraps round");

    // Play and pause.
    harness.get_by_label("Spela").click();
    harness.run_steps(2);
    assert!(harness.state().time().playing);
    harness.get_by_label("Paus").click();
    harness.run_steps(2);
    assert!(!harness.state().time().playing);

    // Per week: recomputed, and the slider then steps week by week.
    harness.get_by_label("Per vecka").click();
    harness.run_steps(2);
    settle(&mut harness);
    let weekly = time_patterns(&loaded, PeriodKind::Week);
    let out = harness.state().time().output().expect("computed").clone();
    assert_eq!(out.patterns.by, PeriodKind::Week);
    assert_eq!(out.patterns.series, weekly.series);
    assert_eq!(harness.state().time().frame_count(), weekly.series.len());
    let i = harness.state().time().frame();
    let p = &weekly.series[i];
    harness.get_by_label(&format!(
        "{}: {} händelser ({} av {})",
        p.label,
        p.count,
        i + 1,
        weekly.series.len()
    ));

    // The change map of the default periods (filled in from the data's range).
    assert!(!harness.state().time().before_text.is_empty());
    harness.get_by_label("Jämför").click();
    harness.run_steps(2);
    settle(&mut harness);
    let change = harness.state().time().change().expect("a change map");
    let counts = change.map.class_counts();
    let more = counts[0];
    assert!(!change.cells.is_empty());
    harness.get_by_label(&format!("Fler: {more}"));
    assert!(
        painted_text(&harness, "Förändringskarta: "),
        "the change map's legend is on the map"
    );
    assert_eq!(change.map.cell_m, 250.0);
    harness.get_by_label(
        "Exakt test för två Poisson-antal per ruta: 250 m rutor, minst 5 händelser, nivå 5 % med FDR",
    );

    // The test's parameters are the window's: 500 m cells, at least 3,
    // 10 %, without FDR.
    for (label, value) in [("Rutstorlek", "500"), ("Minst antal", "3")] {
        harness.get_by_label(label).click();
        harness.run_steps(2);
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.get_by_label(label).type_text(value);
        harness.key_press(egui::Key::Enter);
        harness.run_steps(2);
    }
    harness
        .get_by_role_and_label(egui::accesskit::Role::RadioButton, "10 %")
        .click();
    harness.run_steps(2);
    harness
        .get_by_label("Korrigera för många rutor (FDR)")
        .click();
    harness.run_steps(2);
    let test = harness.state().time().change_test;
    assert_eq!(
        (test.cell_m, test.min_count, test.alpha, test.fdr),
        (500.0, 3, 0.10, false)
    );
    harness.get_by_label("Jämför").click();
    harness.run_steps(2);
    settle(&mut harness);
    let change = harness.state().time().change().expect("a change map");
    assert_eq!(change.map.cell_m, 500.0);
    assert_eq!(
        (change.map.min_count, change.map.alpha, change.map.fdr),
        (3, 0.10, false)
    );
    harness.get_by_label(
        "Exakt test för två Poisson-antal per ruta: 500 m rutor, minst 3 händelser, nivå 10 % utan korrigering",
    );
    // The core's result with the same parameters.
    let before = Period::parse(harness.state().time().before_text.trim()).unwrap();
    let after = Period::parse(harness.state().time().after_text.trim()).unwrap();
    let params = ChangeParams {
        cell_m: 500.0,
        min_count: 3,
        alpha: 0.10,
        fdr: false,
        study_area: loaded.area.clone(),
        ..ChangeParams::new(before, after)
    };
    let points: Vec<_> = loaded.used_points().copied().collect();
    let want = change_map(&points, &params, &CancelToken::new()).unwrap();
    assert_eq!(change.map.class_counts(), want.class_counts());
    assert_eq!(change.map.tested, want.tested);
    assert_eq!(change.map.before_total, want.before_total);
}

fn painted_text(harness: &Harness<'_, LagesbildApp>, needle: &str) -> bool {
    harness.output().shapes.iter().any(|s| match &s.shape {
        Shape::Text(t) => t.galley.text().contains(needle),
        _ => false,
    })
}
