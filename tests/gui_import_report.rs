//! The app's import report on police events (egui_kittest): updated events
//! and summaries counted apart from the imported incidents, every importer
//! note in Swedish (English when switched), no warning on a real project,
//! and "zoom to what was imported".

use egui::vec2;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::app::{Action, UiState};
use lagesbild::gui::i18n::Language;
use lagesbild::store::Project;

use crate::gui_util::{app_with, settle};
use crate::util::{Dir, fixture};

fn import(
    h: &mut egui_kittest::Harness<'_, lagesbild::gui::LagesbildApp>,
    file: std::path::PathBuf,
) {
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, Action::Import(vec![file]));
    settle(h);
    h.run_steps(2);
}

#[test]
fn police_import_report_counts_summaries_and_updates_apart_in_swedish() {
    let dir = Dir::new();
    let path = dir.path("p.gpkg");
    drop(Project::create(&path, "Sölvesborg").unwrap());
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 1000.0));
    settle(&mut h);

    let sample = dir.path("polisen_sample.json");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/polisen_sample.json"),
        &sample,
    )
    .unwrap();
    import(&mut h, sample);
    h.get_by_label("Importrapport");
    h.get_by_label_contains("polisen_sample.json (Polisens händelser)");
    h.get_by_label_contains("Importerade: 152");
    h.get_by_label("Sammanfattningar och meddelanden (hålls isär): 15");
    h.get_by_label_contains("Polisens händelser: varje händelses tid läses ur rubriken");
    h.get_by_label_contains("placerades där med platsens noggrannhet");
    for english in [
        "Polisen events",
        "summar(y/ies)",
        "event(s)",
        "Police positions",
    ] {
        assert!(
            h.query_by_label_contains(english).is_none(),
            "{english} shown"
        );
    }
    // A real project: no demo warning.
    assert!(
        h.query_by_label_contains("syntetiska demoprojektet")
            .is_none()
    );
    // Zoom to the imported events: the map moves to Sölvesborg.
    h.get_by_label("Zooma till det importerade").click();
    h.run_steps(3);
    let c = h.state().map_memory().unwrap().detached().expect("moved");
    assert!(
        (c.x() - 14.6).abs() < 0.3 && (c.y() - 56.05).abs() < 0.2,
        "{c:?}"
    );
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, Action::CloseImportReport);
    h.run_steps(2);

    // Two events edited by the Police after publication: updated in place,
    // counted as updated, not as imported or duplicates.
    let old = fixture("polisen/edited_old.json");
    let new = fixture("polisen/edited_new.json");
    import(&mut h, old);
    h.state_mut().apply(&ctx, Action::CloseImportReport);
    h.run_steps(2);
    import(&mut h, new);
    h.get_by_label_contains("Importerade: 0   Uppdaterade: 2   Dubbletter: 0");
    h.get_by_label_contains("2 händelser hade ändrats av Polisen sedan de lagrades");
    h.state_mut().apply(&ctx, Action::CloseImportReport);
    h.run_steps(2);

    // English, switched: the same report in English.
    h.state_mut()
        .apply(&ctx, Action::SetLanguage(Language::English));
    let again = fixture("polisen/edited_new.json");
    import(&mut h, again);
    h.get_by_label("Import report");
    h.get_by_label_contains("Imported: 0   Updated: 0   Duplicates: 2");
    h.get_by_label("Summaries and notices (kept apart): 0");
    h.get_by_label_contains("Polisen events: each event's time is read from its name");
}
