//! Adding, editing and deleting incidents in the desktop app, with undo,
//! driven through egui_kittest (no window, no GPU, no tiles).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::panels::DetailsAction;
use lagesbild::model::{Category, LonLat, Source};
use lagesbild::store::{Project, Store as _};

use crate::gui_util::{app_on, demo, settle};
use crate::util::Dir;

fn loaded_count(harness: &Harness<'_, LagesbildApp>) -> usize {
    harness
        .state()
        .project()
        .expect("project")
        .loaded
        .index
        .len()
}

fn category_count(harness: &Harness<'_, LagesbildApp>, c: Category) -> u64 {
    let stats = &harness
        .state()
        .project()
        .and_then(|p| p.filtered.as_ref())
        .expect("a filter result")
        .stats;
    stats
        .by_category
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, n)| *n)
        .unwrap_or(0)
}

/// The fid of the last edit in the history.
fn last_edit_fid(harness: &Harness<'_, LagesbildApp>) -> i64 {
    harness
        .state()
        .history()
        .next_undo()
        .expect("an edit to undo")
        .fid()
}

#[test]
fn add_through_the_map_menu_path_then_undo_and_redo() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut harness = app_on(path.clone());
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 300);

    // What "Lägg till händelse här" calls, at Stortorget.
    harness
        .state_mut()
        .add_incident_at(LonLat::new(14.5838, 56.0512));
    harness.run_steps(2);
    harness.get_by_label("Ny händelse");
    let form = harness
        .state()
        .incident_editor()
        .expect("editor")
        .form()
        .clone();
    assert_eq!(form.latitude, "56.051200");
    assert_eq!(form.longitude, "14.583800");
    assert_eq!(form.source, Source::Trygghetsvard);
    harness
        .state_mut()
        .incident_editor_mut()
        .unwrap()
        .form_mut()
        .category = Category::Ordningsstorning;
    harness.get_by_label("Spara").click();
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 301);
    assert!(harness.state().incident_editor().is_none(), "editor closed");
    let fid = last_edit_fid(&harness);
    assert_eq!(
        harness.state().selected_fid(),
        Some(fid),
        "new incident selected"
    );
    let stored = Project::open(&path)
        .unwrap()
        .incident(fid)
        .unwrap()
        .unwrap();
    assert_eq!(stored.position, LonLat::new(14.5838, 56.0512));
    assert_eq!(stored.category, Category::Ordningsstorning);

    // Undo through the Edit menu, named after what it undoes.
    harness.get_by_label("Redigera").click();
    harness.run_steps(2);
    harness.get_by_label("Ångra ny händelse").click();
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 300);
    assert!(
        Project::open(&path)
            .unwrap()
            .incident(fid)
            .unwrap()
            .is_none()
    );
    assert!(harness.state().history().can_redo());

    // Redo with Ctrl+Y: the same incident under the same fid.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 301);
    let again = Project::open(&path)
        .unwrap()
        .incident(fid)
        .unwrap()
        .unwrap();
    assert_eq!(again, stored);

    // And Ctrl+Z undoes it again.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 300);
}

#[test]
fn right_click_on_the_map_adds_at_the_clicked_place() {
    let dir = Dir::new();
    let mut harness = app_on(demo(&dir, "300"));
    settle(&mut harness);
    let (min, max) = harness
        .state()
        .project()
        .unwrap()
        .loaded
        .info
        .extent
        .unwrap();
    // The map fills the window right of the side panel; the view is
    // zoomed to the project, so its middle shows the middle of the extent.
    let at = egui::pos2(800.0, 420.0);
    harness.event(egui::Event::PointerMoved(at));
    harness.run_steps(1);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Secondary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.run_steps(1);
    }
    harness.run_steps(2);
    harness.get_by_label("Kopiera koordinater");
    harness.get_by_label("Lägg till händelse här").click();
    harness.run_steps(3);
    let form = harness
        .state()
        .incident_editor()
        .expect("editor")
        .form()
        .clone();
    let lat: f64 = form.latitude.parse().unwrap();
    let lon: f64 = form.longitude.parse().unwrap();
    assert!(
        (min.lat..=max.lat).contains(&lat) && (min.lon..=max.lon).contains(&lon),
        "clicked place {lat} N {lon} E lies in the project extent {min:?}–{max:?}"
    );
    // Esc closes the editor without saving.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().incident_editor().is_none());
    assert_eq!(loaded_count(&harness), 300);
}

#[test]
fn changing_the_category_changes_the_counts() {
    let dir = Dir::new();
    let path = demo(&dir, "400");
    let mut harness = app_on(path.clone());
    settle(&mut harness);
    let point = harness.state().project().unwrap().loaded.index.points()[10];
    let (from, to) = (
        point.category,
        if point.category == Category::Vald {
            Category::Narkotika
        } else {
            Category::Vald
        },
    );
    let (from_before, to_before) = (category_count(&harness, from), category_count(&harness, to));
    let ctx = harness.ctx.clone();
    harness.state_mut().on_details_action(
        &ctx,
        DetailsAction::Edit {
            fid: Some(point.fid),
            uid: String::new(),
        },
    );
    settle(&mut harness);
    harness.get_by_label("Redigera händelse");
    harness
        .state_mut()
        .incident_editor_mut()
        .expect("editor")
        .form_mut()
        .category = to;
    harness.get_by_label("Spara").click();
    settle(&mut harness);
    assert_eq!(category_count(&harness, from), from_before - 1);
    assert_eq!(category_count(&harness, to), to_before + 1);
    assert_eq!(harness.state().selected_fid(), Some(point.fid));
    let stored = Project::open(&path)
        .unwrap()
        .incident(point.fid)
        .unwrap()
        .unwrap();
    assert_eq!(stored.category, to);
    assert_eq!(stored.occurred_at, point.occurred_at, "time kept to the ms");
    assert_eq!(stored.position, point.position, "position kept to the bit");

    // Undo the change: counts as before.
    harness.get_by_label("Redigera").click();
    harness.run_steps(2);
    harness.get_by_label("Ångra ändring").click();
    settle(&mut harness);
    assert_eq!(category_count(&harness, from), from_before);
    assert_eq!(category_count(&harness, to), to_before);
}

#[test]
fn delete_asks_first_and_undo_restores_the_same_uid() {
    let dir = Dir::new();
    let path = demo(&dir, "200");
    let mut harness = app_on(path.clone());
    settle(&mut harness);
    let fid = harness.state().project().unwrap().loaded.index.points()[5].fid;
    let before = Project::open(&path)
        .unwrap()
        .incident(fid)
        .unwrap()
        .unwrap();
    let ctx = harness.ctx.clone();
    harness.state_mut().on_details_action(
        &ctx,
        DetailsAction::Delete {
            fid: Some(fid),
            uid: before.uid.clone(),
        },
    );
    harness.run_steps(2);
    harness.get_by_label("Ta bort händelsen?");
    let point = harness.state().project().unwrap().loaded.index.points()[5];
    harness.get_by_label(&format!(
        "{}, {}",
        point.category.label_sv(),
        lagesbild::model::time::local(point.occurred_at).format("%Y-%m-%d %H:%M")
    ));
    // Avbryt keeps it.
    harness.get_by_label("Avbryt").click();
    harness.run_steps(2);
    assert_eq!(harness.state().delete_pending(), None);
    assert_eq!(loaded_count(&harness), 200);

    harness.state_mut().ask_delete(fid);
    harness.run_steps(2);
    harness.get_by_label("Ta bort").click();
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 199);
    assert!(
        Project::open(&path)
            .unwrap()
            .incident(fid)
            .unwrap()
            .is_none()
    );

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 200);
    let back = Project::open(&path)
        .unwrap()
        .incident(fid)
        .unwrap()
        .unwrap();
    assert_eq!(back, before, "same fid, uid and fields");
    assert_eq!(harness.state().selected_fid(), Some(fid));
}

#[test]
fn bad_input_shows_a_message_beside_the_field() {
    let dir = Dir::new();
    let mut harness = app_on(demo(&dir, "100"));
    settle(&mut harness);
    harness
        .state_mut()
        .add_incident_at(LonLat::new(14.58, 56.05));
    harness.run_steps(2);
    {
        let editor = harness.state_mut().incident_editor_mut().unwrap();
        editor.form_mut().latitude = "91".to_owned();
        editor.form_mut().time = "25:99".to_owned();
    }
    harness.get_by_label("Spara").click();
    harness.run_steps(2);
    harness.get_by_label("Latituden ligger utanför Sverige (54,8–69,5)");
    harness.get_by_label("Skriv klockslaget som TT:MM, t.ex. 22:15");
    harness.get_by_label("Rätta de markerade fälten och spara igen.");
    assert!(harness.state().incident_editor().is_some(), "still open");
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 100);
    assert!(!harness.state().history().can_undo());

    // Corrected, it saves.
    {
        let editor = harness.state_mut().incident_editor_mut().unwrap();
        editor.form_mut().latitude = "56,05".to_owned();
        editor.form_mut().time = "22:15".to_owned();
    }
    harness.get_by_label("Spara").click();
    settle(&mut harness);
    assert_eq!(loaded_count(&harness), 101);
}
