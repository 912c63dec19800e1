//! The planner fixes and presentation mode of issue 17, through the whole
//! app in egui_kittest (no window, no GPU, no map tiles): the mouse wheel
//! zooms, an arrow key moves a useful step, and F5 presents the saved views.

use egui::vec2;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::app::UiState;

use crate::gui_util::{app_with, demo, settle};
use crate::util::Dir;

#[test]
fn the_mouse_wheel_zooms_and_an_arrow_key_moves_a_fifth_of_the_map() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let rect = h.state().map_rect().expect("map drawn");
    let zoom = h.state().map_memory().unwrap().zoom();
    h.hover_at(rect.center());
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: vec2(0.0, 3.0),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(4);
    let zoomed = h.state().map_memory().unwrap().zoom();
    assert!(zoomed > zoom + 0.1, "wheel: zoom {zoom} -> {zoomed}");

    // One press of → moves the centre a fifth of the map's width.
    let memory = h.state().map_memory().unwrap();
    let projection = walkers::MercatorProjection;
    let here = walkers::Projector::new(rect, &projection, memory, walkers::lon_lat(0.0, 0.0));
    let before = memory.detached().expect("the user moved the map");
    h.hover_at(rect.center() + vec2(0.0, 300.0));
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    let after = h.state().map_memory().unwrap().detached().unwrap();
    let moved_px = here.project(after).x - here.project(before).x;
    let want = rect.width() / 5.0;
    assert!(
        (moved_px - want).abs() < 2.0,
        "moved {moved_px} px, want {want}"
    );
}

// ---- The details panel and the filter after an edit ----

use lagesbild::gui::panels::DetailsAction;
use lagesbild::model::{Category, Filter, LonLat};

/// The category the details panel shows for the selected incident.
fn details_category(h: &egui_kittest::Harness<'_, lagesbild::gui::LagesbildApp>) -> Category {
    h.state()
        .selected_incident()
        .expect("details read")
        .category
}

#[test]
fn the_details_show_the_edited_values_also_after_undo_and_redo() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let point = h.state().project().unwrap().loaded.index.points()[5];
    let to = if point.category == Category::Vald {
        Category::Narkotika
    } else {
        Category::Vald
    };
    h.state_mut().select_incident(Some(5));
    settle(&mut h);
    assert_eq!(details_category(&h), point.category);
    let ctx = h.ctx.clone();
    h.state_mut().on_details_action(
        &ctx,
        DetailsAction::Edit {
            fid: Some(point.fid),
            uid: String::new(),
        },
    );
    settle(&mut h);
    h.state_mut()
        .incident_editor_mut()
        .expect("editor")
        .form_mut()
        .category = to;
    h.get_by_label("Spara").click();
    settle(&mut h);
    assert_eq!(h.state().selected_fid(), Some(point.fid));
    assert_eq!(details_category(&h), to, "details after the edit");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    h.state_mut().select_incident(Some(5));
    settle(&mut h);
    assert_eq!(details_category(&h), point.category, "details after undo");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    settle(&mut h);
    h.state_mut().select_incident(Some(5));
    settle(&mut h);
    assert_eq!(details_category(&h), to, "details after redo");
}

#[test]
fn a_new_incident_the_filter_hides_is_announced_and_can_be_shown() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    // Only violence is shown; the new incident is disorder.
    let ctx = h.ctx.clone();
    h.state_mut().set_filter(
        &ctx,
        Filter {
            categories: Some([Category::Vald].into_iter().collect()),
            ..Filter::default()
        },
    );
    settle(&mut h);
    h.state_mut().add_incident_at(LonLat::new(14.5838, 56.0512));
    h.run_steps(2);
    h.state_mut()
        .incident_editor_mut()
        .unwrap()
        .form_mut()
        .category = Category::Ordningsstorning;
    h.get_by_label("Spara").click();
    settle(&mut h);
    let fid = h.state().history().next_undo().unwrap().fid();
    assert_eq!(h.state().hidden_saved_incident(), Some(fid));
    assert_eq!(h.state().selected_fid(), None);
    h.get_by_label_contains("sparad men utanför filtret");
    h.get_by_label("Visa den (rensa filtret)").click();
    settle(&mut h);
    assert!(h.state().filter().is_empty());
    assert_eq!(h.state().selected_fid(), Some(fid));
    assert_eq!(h.state().hidden_saved_incident(), None);
    assert!(h.query_by_label_contains("utanför filtret").is_none());
}

// ---- The analysis panel ----

use lagesbild::gui::analysis::AnalysisParams;
use lagesbild::gui::app::Action;

#[test]
fn a_place_lists_the_incidents_it_selects_and_a_new_radius_clears_them() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 3200.0));
    settle(&mut h);
    let out = h.state().analysis().output().expect("a result").clone();
    let places = out.places.as_ref().expect("places");
    let ctx = h.ctx.clone();
    for i in 0..places.places.places.len() {
        h.state_mut().apply(&ctx, Action::FocusPlace(i));
        h.run_steps(1);
        let selected = h.state().incident_layer().box_selection().len();
        assert_eq!(places.selected[i], selected, "place {}", i + 1);
        // The list row shows that number.
        let row = format!(
            "Plats {}: {} händelser",
            i + 1,
            lagesbild::gui::i18n::count(lagesbild::gui::i18n::Language::Swedish, selected as u64)
        );
        h.get_by_label_contains(&row);
    }
    assert!(h.state().has_selection());
    // The coverage bound is said without a contradicting "at least 100 %".
    assert!(h.query_by_label_contains("minst 100").is_none());
    h.get_by_label_contains("Ingen placering kan täcka fler än");

    let params = AnalysisParams {
        radius_m: 450.0,
        ..h.state().analysis().params().clone()
    };
    h.state_mut().analysis_mut().set_params(params);
    h.run_steps(2);
    assert!(
        !h.state().has_selection(),
        "the old place's selection is gone"
    );
}

#[test]
fn the_view_menu_opens_the_analysis_with_plain_labels() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    // Closed by the user, then opened again from the menu.
    h.get_by_label("Analys").click_accesskit();
    h.run_steps(40);
    assert_eq!(h.query_all_by_label("Utjämningsradie").count(), 0);
    h.get_by_label("Visa").click();
    h.run_steps(2);
    h.get_by_label("Analys …").click();
    h.run_steps(40);
    assert!(h.query_all_by_label("Utjämningsradie").count() > 0);
    assert!(h.query_all_by_label("Grannskapets radie").count() > 0);
    for technical in ["Bandbredd", "Kärna", "Kvartisk", "Avståndsband"] {
        assert!(
            h.query_by_label(technical).is_none(),
            "{technical} shown as a label"
        );
    }
}

// ---- Saved views and presentation mode ----

use lagesbild::model::view::{SavedView, ViewExtent, ViewLayer, layer_keys};

fn slide(title: &str, min: LonLat, max: LonLat, filter: Filter, heat_opacity: f32) -> SavedView {
    SavedView {
        title: title.into(),
        notes: "Säg något om kvällarna.".into(),
        extent: ViewExtent::from_corners(min, max),
        layers: vec![ViewLayer {
            id: layer_keys::HEATMAP.into(),
            visible: true,
            opacity: heat_opacity,
        }],
        filter,
        analysis: Default::default(),
    }
}

#[test]
fn presentation_steps_through_the_views_and_esc_leaves_it() {
    let dir = Dir::new();
    let path = demo(&dir, "600");
    let town = slide(
        "Centrum på kvällen",
        LonLat::new(14.570, 56.045),
        LonLat::new(14.600, 56.058),
        Filter {
            hours: Some(lagesbild::model::HourRange::EVENINGS_AND_NIGHTS),
            ..Filter::default()
        },
        0.5,
    );
    let whole = slide(
        "Hela kommunen",
        LonLat::new(14.53, 55.98),
        LonLat::new(14.87, 56.21),
        Filter::default(),
        0.9,
    );
    lagesbild::store::open(&path)
        .unwrap()
        .put_views(&[town.clone(), whole.clone()])
        .unwrap();
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    h.get_by_label("Arkiv");
    h.key_press(egui::Key::F5);
    settle(&mut h);
    assert!(h.state().is_presenting());
    assert_eq!(h.state().presented_view().unwrap().title, town.title);
    // Editing UI hidden, the title shown.
    assert!(h.query_by_label("Arkiv").is_none(), "menu bar hidden");
    assert!(h.query_by_label("Lager").is_none(), "layer panel hidden");
    h.get_by_label("Centrum på kvällen");
    assert_eq!(h.state().filter(), &town.filter);
    let heat = |h: &egui_kittest::Harness<'_, lagesbild::gui::LagesbildApp>| {
        h.state()
            .layers()
            .get(&lagesbild::gui::panels::LayerId::Heatmap)
            .unwrap()
            .opacity
    };
    assert_eq!(heat(&h), 0.5);
    let zoom_town = h.state().map_memory().unwrap().zoom();

    h.key_press(egui::Key::PageDown);
    settle(&mut h);
    assert_eq!(h.state().presented_view().unwrap().title, whole.title);
    h.get_by_label("Hela kommunen");
    assert!(h.state().filter().is_empty());
    assert_eq!(heat(&h), 0.9);
    let zoom_whole = h.state().map_memory().unwrap().zoom();
    assert!(zoom_whole < zoom_town - 1.0, "{zoom_town} -> {zoom_whole}");
    // The last view: → stays.
    h.key_press(egui::Key::ArrowRight);
    settle(&mut h);
    assert_eq!(h.state().presented_view().unwrap().title, whole.title);
    h.key_press(egui::Key::ArrowLeft);
    settle(&mut h);
    assert_eq!(h.state().presented_view().unwrap().title, town.title);

    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(!h.state().is_presenting());
    h.get_by_label("Arkiv");
    assert!(h.query_by_label("Centrum på kvällen").is_none());
}

#[test]
fn the_current_map_is_saved_as_a_view_of_the_project() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let mut h = app_with(path.clone(), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    h.get_by_label("Visa").click();
    h.run_steps(2);
    h.get_by_label("Spara vy …").click();
    h.run_steps(4);
    h.get_by_label("Spara vy");
    // The title starts as the project's name.
    h.get_by_label("Rubrik");
    h.get_by_label("Spara").click();
    settle(&mut h);
    h.get_by_label("Vyn är sparad i projektet.");
    let views = lagesbild::store::open(&path).unwrap().views().unwrap();
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(v.title, h.state().project().unwrap().loaded.info.name);
    let memory = h.state().map_memory().unwrap();
    let c = v.extent.center();
    let centre = memory.detached().unwrap_or(walkers::lon_lat(c.lon, c.lat));
    assert!((centre.x() - c.lon).abs() < 0.01 && (centre.y() - c.lat).abs() < 0.01);
    assert!(v.layers.iter().any(|l| l.id == "incidents" && l.visible));
    assert_eq!(h.state().saved_views().len(), 1);
}

#[test]
fn last_30_days_end_at_the_datas_last_day_and_the_range_is_shown() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 1400.0));
    settle(&mut h);
    let (first, last) = h.state().project().unwrap().loaded.info.time_range.unwrap();
    let first = lagesbild::model::time::local(first).date_naive();
    let last = lagesbild::model::time::local(last).date_naive();
    h.get_by_label(&format!("Data från: {first} – {last}"));
    h.get_by_label("Senaste 30 dagarna").click();
    settle(&mut h);
    let today = lagesbild::gui::panels::today_local();
    assert_eq!(h.state().filter().to, Some(last.min(today)));
    let shown = h
        .state()
        .project()
        .unwrap()
        .filtered
        .as_ref()
        .unwrap()
        .stats
        .total;
    assert!(
        shown > 20,
        "only {shown} of 1500 in the last 30 days of the data"
    );
}

#[test]
fn the_import_report_is_swedish_warns_of_the_demo_and_zooms_to_the_import() {
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "300"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let csv = dir.write(
        "vardar.csv",
        "id;lon;lat;tidpunkt;kategori;källa\n\
         T-1;14,7000;56,0160;2025-05-02 22:10;ordningsstörning;trygghetsvärd\n\
         T-2;14,7010;56,0170;2025-05-02 23:40;otrygghet;trygghetsvärd\n",
    );
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, Action::Import(vec![csv]));
    settle(&mut h);
    h.run_steps(2);
    h.get_by_label("Importrapport");
    h.get_by_label_contains("vardar.csv (CSV-fil)");
    h.get_by_label("Avgränsare: semikolon (;)");
    h.get_by_label_contains("Kolumner: ");
    for internal in ["occurred_at", "Delimiter", "Columns"] {
        assert!(
            h.query_by_label_contains(internal).is_none(),
            "{internal} shown"
        );
    }
    h.get_by_label_contains("syntetiska demoprojektet");
    h.get_by_label("Zooma till det importerade").click();
    h.run_steps(3);
    let c = h.state().map_memory().unwrap().detached().expect("moved");
    assert!(
        (c.x() - 14.7005).abs() < 0.002 && (c.y() - 56.0165).abs() < 0.002,
        "{c:?}"
    );
}

#[test]
fn count_cells_over_the_heatmap_turn_translucent_and_show_their_classes() {
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "6000"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    // The whole municipality (zoom to project): cells, with the heatmap under them.
    let stats = h.state().incident_layer().last_frame_stats();
    assert!(stats.aggregated, "{stats:?}");
    assert!(!stats.cell_classes.is_empty());
    assert!(h.state().incident_layer().cells_over_layer);
    // The legend gives the class limits, the last up to the busiest cell.
    let legend = stats
        .cell_classes
        .legend(lagesbild::gui::i18n::Language::Swedish);
    let (_, last) = legend.last().unwrap();
    let (_, hi) = stats.cell_classes.ranges().last().unwrap();
    assert!(last.ends_with(&lagesbild::gui::i18n::count(
        lagesbild::gui::i18n::Language::Swedish,
        u64::from(hi)
    )));
    h.get_by_label(last);
    // With nothing shown under the incidents the cells are opaque again.
    for id in [
        lagesbild::gui::panels::LayerId::Heatmap,
        lagesbild::gui::panels::LayerId::Hotspots,
    ] {
        if let Some(e) = h.state_mut().layers_mut().get_mut(&id) {
            e.visible = false;
        }
    }
    h.run_steps(3);
    assert!(!h.state().incident_layer().cells_over_layer);
}

#[test]
fn speaker_notes_toggle_with_n_and_the_presentation_draws_everything_larger() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let town = slide(
        "Centrum",
        LonLat::new(14.570, 56.045),
        LonLat::new(14.600, 56.058),
        Filter::default(),
        0.5,
    );
    let mut quiet = town.clone();
    quiet.title = "Utan manus".into();
    quiet.notes = String::new();
    lagesbild::store::open(&path)
        .unwrap()
        .put_views(&[town.clone(), quiet])
        .unwrap();
    let mut h = app_with(path, UiState::default(), vec2(1280.0, 1080.0));
    settle(&mut h);
    assert_eq!(h.ctx.zoom_factor(), 1.0);
    h.key_press(egui::Key::F5);
    settle(&mut h);
    assert!(h.state().is_presenting());
    // Map strokes, markers, labels, legend and scale bar: twice as large
    // on a screen 1080 points high.
    assert!(
        (h.ctx.zoom_factor() - 2.0).abs() < 0.01,
        "{}",
        h.ctx.zoom_factor()
    );
    // Hidden by default (the room sees the projector).
    assert!(!h.state().speaker_notes_shown());
    assert!(h.query_by_label("Säg något om kvällarna.").is_none());
    h.key_press(egui::Key::N);
    settle(&mut h);
    assert!(h.state().speaker_notes_shown());
    h.get_by_label("Säg något om kvällarna.");
    // The next view has none, and says so.
    h.key_press(egui::Key::ArrowRight);
    settle(&mut h);
    h.get_by_label("(inget talarmanus för denna vy)");
    h.key_press(egui::Key::N);
    settle(&mut h);
    assert!(
        h.query_by_label("(inget talarmanus för denna vy)")
            .is_none()
    );
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(!h.state().is_presenting());
    assert_eq!(h.ctx.zoom_factor(), 1.0, "the user's zoom comes back");
    h.get_by_label("Arkiv");
}

#[test]
fn the_views_window_renames_reorders_deletes_and_presents() {
    let dir = Dir::new();
    let path = demo(&dir, "300");
    let a = slide(
        "Centrum",
        LonLat::new(14.570, 56.045),
        LonLat::new(14.600, 56.058),
        Filter::default(),
        0.5,
    );
    let mut b = slide(
        "Hela kommunen",
        LonLat::new(14.53, 55.98),
        LonLat::new(14.87, 56.21),
        Filter::default(),
        0.9,
    );
    b.notes = "Hela bilden.".into();
    let mut c = a.clone();
    c.title = "Hamnen".into();
    lagesbild::store::open(&path)
        .unwrap()
        .put_views(&[a, b, c])
        .unwrap();
    let stored = || -> Vec<String> {
        lagesbild::store::open(&path)
            .unwrap()
            .views()
            .unwrap()
            .into_iter()
            .map(|v| v.title)
            .collect()
    };
    let mut h = app_with(path.clone(), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    h.get_by_label("Visa").click();
    h.run_steps(2);
    h.get_by_label("Vyer …").click();
    settle(&mut h);
    assert!(h.state().views_window_open());
    h.get_by_label("1. Centrum");
    h.get_by_label("3. Hamnen");

    // Reorder: Hamnen up one.
    h.get_by_label("Flytta upp: Hamnen").click();
    settle(&mut h);
    assert_eq!(stored(), ["Centrum", "Hamnen", "Hela kommunen"]);
    h.get_by_label("Vyerna är sparade i projektet.");

    // Rename and new notes.
    h.get_by_label("3. Hela kommunen").click();
    h.run_steps(2);
    h.get_by_label("Vyns rubrik").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Vyns rubrik").type_text("Kommunen");
    h.run_steps(2);
    h.get_by_label("Spara ändringar").click();
    settle(&mut h);
    assert_eq!(stored(), ["Centrum", "Hamnen", "Kommunen"]);
    h.get_by_label("3. Kommunen");

    // Delete asks first.
    h.get_by_label("1. Centrum").click();
    h.run_steps(2);
    h.get_by_label("Ta bort vyn …").click();
    h.run_steps(2);
    assert_eq!(stored().len(), 3, "nothing deleted before the answer");
    h.get_by_label("Ja, ta bort").click();
    settle(&mut h);
    assert_eq!(stored(), ["Hamnen", "Kommunen"]);
    let views = lagesbild::store::open(&path).unwrap().views().unwrap();
    assert_eq!(views[1].notes, "Hela bilden.", "notes kept on rename");

    // Show one on the map, then present from it.
    h.get_by_label("2. Kommunen").click();
    h.run_steps(2);
    h.get_by_label("Visa på kartan").click();
    settle(&mut h);
    assert!(!h.state().is_presenting());
    let heat = h
        .state()
        .layers()
        .get(&lagesbild::gui::panels::LayerId::Heatmap)
        .unwrap()
        .opacity;
    assert_eq!(heat, 0.9);
    h.get_by_label("Presentera härifrån").click();
    settle(&mut h);
    assert!(h.state().is_presenting());
    assert_eq!(h.state().presented_view().unwrap().title, "Kommunen");
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(!h.state().is_presenting());
}
