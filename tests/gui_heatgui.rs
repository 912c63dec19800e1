//! The analysis in the app (task "heatgui"): heatmap, hotspots and strategic
//! places computed off the UI thread, drawn on the map, listed in the panel
//! and exported through the same path as File > Export.

use egui::epaint::Shape;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::analysis::{AnalysisParams, ExportTarget, covered_incidents};
use lagesbild::gui::app::{Action, UiState};

use crate::gui_util::{app_with, demo, settle};
use crate::util::Dir;

/// The app in a window tall enough for the whole analysis panel.
fn tall_app(path: std::path::PathBuf) -> Harness<'static, LagesbildApp> {
    app_with(path, UiState::default(), egui::vec2(1280.0, 3200.0))
}

/// Rows of the ranked places list ("Plats 1: …").
fn listed_places(harness: &Harness<'_, LagesbildApp>) -> usize {
    harness.query_all_by_label_contains("Plats ").count()
}

/// Does the last frame paint a mesh with the heatmap's texture?
fn heatmap_drawn(harness: &Harness<'_, LagesbildApp>) -> bool {
    let Some(id) = harness.state().analysis().heat_texture_id() else {
        return false;
    };
    harness.output().shapes.iter().any(|s| match &s.shape {
        Shape::Mesh(m) => m.texture_id == id && !m.indices.is_empty(),
        _ => false,
    })
}

#[test]
fn analysis_lists_k_places_and_recomputes_when_k_changes() {
    let dir = Dir::new();
    let mut harness = tall_app(demo(&dir, "1500"));
    settle(&mut harness);
    let out = harness
        .state()
        .analysis()
        .output()
        .expect("a result")
        .clone();
    let places = out.places.as_ref().expect("places");
    assert_eq!(places.places.places.len(), 6);
    assert!(places.places.covered > 0.0 && places.places.covered <= places.places.total);
    assert!(places.places.upper_bound >= places.places.covered);
    assert_eq!(listed_places(&harness), 6);
    harness.get_by_label_contains("Täckning: ");
    assert!(out.heatmap.is_ok() && out.hotspots.is_ok());

    let params = AnalysisParams {
        k: 3,
        ..harness.state().analysis().params().clone()
    };
    harness.state_mut().analysis_mut().set_params(params);
    assert!(harness.state().is_busy(), "a change schedules a run");
    settle(&mut harness);
    let out = harness.state().analysis().output().unwrap().clone();
    assert_eq!(out.params.k, 3);
    assert_eq!(out.places.as_ref().unwrap().places.places.len(), 3);
    assert_eq!(listed_places(&harness), 3);
}

#[test]
fn toggling_the_heatmap_hides_it() {
    let dir = Dir::new();
    let mut harness = tall_app(demo(&dir, "800"));
    settle(&mut harness);
    assert!(heatmap_drawn(&harness), "the heatmap is on the map");
    // The heatmap's checkbox in the layer panel ("Lager").
    let checkbox = || egui::accesskit::Role::CheckBox;
    harness
        .get_by_role_and_label(checkbox(), "Värmekarta")
        .click();
    harness.run_steps(2);
    assert!(!harness.state().analysis().styles.heatmap.visible);
    assert!(!heatmap_drawn(&harness), "the heatmap is hidden");
    harness
        .get_by_role_and_label(checkbox(), "Värmekarta")
        .click();
    harness.run_steps(2);
    assert!(heatmap_drawn(&harness));
}

#[test]
fn clicking_a_place_selects_the_incidents_it_covers() {
    let dir = Dir::new();
    let mut harness = tall_app(demo(&dir, "1500"));
    settle(&mut harness);
    let out = harness.state().analysis().output().unwrap().clone();
    let places = out.places.as_ref().unwrap();
    let first = &places.places.places[0];
    let expected = covered_incidents(
        &out.index,
        &out.filter,
        out.params.places_hours,
        first.xy,
        out.params.radius_m,
    );
    assert!(!expected.is_empty());
    harness.get_by_label_contains("Plats 1: ").click();
    harness.run_steps(2);
    assert_eq!(harness.state().analysis().focused_place(), Some(0));
    assert_eq!(harness.state().incident_layer().box_selection(), expected);
    // Every selected incident is in the evening/night window.
    for &i in &expected {
        let at = out.index.points()[i].occurred_at;
        assert!(lagesbild::gui::analysis::task::in_window(
            out.params.places_hours,
            at
        ));
    }
}

#[test]
fn exports_write_geojson_with_provenance() {
    let dir = Dir::new();
    let mut harness = tall_app(demo(&dir, "1500"));
    settle(&mut harness);
    let ctx = harness.ctx.clone();

    // Typed without extension: it is added.
    let places_path = dir.path("platser");
    harness.state_mut().apply(
        &ctx,
        Action::Export(ExportTarget::PlacesGeoJson, places_path),
    );
    settle(&mut harness);
    let written = dir.path("platser.geojson");
    let notice = harness.state().analysis().export_notice().cloned();
    assert_eq!(notice, Some(Ok(vec![written.clone()])));
    harness.get_by_label("Exporterat till:");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(json["type"], "FeatureCollection");
    let features = json["features"].as_array().unwrap();
    assert_eq!(features.len(), 6);
    for (i, f) in features.iter().enumerate() {
        assert_eq!(f["geometry"]["type"], "Point");
        assert_eq!(f["properties"]["rank"], i + 1);
        let lon = f["geometry"]["coordinates"][0].as_f64().unwrap();
        let lat = f["geometry"]["coordinates"][1].as_f64().unwrap();
        assert!(
            (14.0..15.5).contains(&lon) && (55.5..56.5).contains(&lat),
            "{lon} {lat}"
        );
    }
    let made = &json["lagesbild"]["made_from"];
    assert_eq!(made["synthetic"], true);
    assert_eq!(made["parameters"]["k"], 6);
    assert!(made["filter"].as_str().unwrap().contains("18-6"), "{made}");
    assert!(!json.to_string().contains("description"));

    let hot = dir.path("brannpunkter.geojson");
    harness.state_mut().apply(
        &ctx,
        Action::Export(ExportTarget::HotspotsGeoJson, hot.clone()),
    );
    settle(&mut harness);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&hot).unwrap()).unwrap();
    let n_significant = harness
        .state()
        .analysis()
        .output()
        .unwrap()
        .hotspots
        .as_ref()
        .unwrap()
        .cells
        .len();
    assert_eq!(json["features"].as_array().unwrap().len(), n_significant);
    assert_eq!(
        json["lagesbild"]["made_from"]["parameters"]["analysis"],
        "hotspots"
    );

    let tif = dir.path("heat.tif");
    harness.state_mut().apply(
        &ctx,
        Action::Export(ExportTarget::HeatmapGeoTiff, tif.clone()),
    );
    settle(&mut harness);
    let bytes = std::fs::read(&tif).unwrap();
    assert_eq!(&bytes[..4], b"II*\0");

    // An existing GeoJSON is not overwritten by the browser; the export
    // itself of an existing GeoPackage adds the layer.
    let gpkg = dir.path("lager.gpkg");
    harness
        .state_mut()
        .apply(&ctx, Action::Export(ExportTarget::PlacesGpkg, gpkg.clone()));
    settle(&mut harness);
    harness.state_mut().apply(
        &ctx,
        Action::Export(ExportTarget::HotspotsGpkg, gpkg.clone()),
    );
    settle(&mut harness);
    assert_eq!(
        harness.state().analysis().export_notice().cloned(),
        Some(Ok(vec![gpkg]))
    );
}

#[test]
fn the_save_dialog_of_the_export_menu_writes_the_file() {
    let dir = Dir::new();
    let path = demo(&dir, "800");
    let folder = dir.root().to_path_buf();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1200.0))
        .build_eframe(move |cc| {
            let state = UiState {
                last_folder: Some(folder.clone()),
                ..UiState::default()
            };
            LagesbildApp::with_state(&cc.egui_ctx, state, Some(path.clone())).without_map_tiles()
        });
    settle(&mut harness);
    harness.get_by_label("Arkiv").click();
    harness.run_steps(2);
    harness.get_by_label("Exportera").click();
    harness.run_steps(2);
    // The menu offers every export of the finished result.
    for target in ExportTarget::ALL {
        assert!(
            harness
                .query_by_label(target.label(lagesbild::gui::i18n::Language::Swedish))
                .is_some(),
            "{target:?}"
        );
    }
    // The menu entry opens the save dialog (the action it pushes).
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(
        &ctx,
        Action::ShowFileBrowser(lagesbild::gui::windows::file_browser::Purpose::SaveAs(
            ExportTarget::HeatmapGeoJson,
        )),
    );
    harness.run_steps(2);
    harness.get_by_label("Spara som");
    harness.get_by_label("Spara").click();
    settle(&mut harness);
    let written = dir.path("varmekarta_klasser.geojson");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    let features = json["features"].as_array().unwrap();
    assert!(
        !features.is_empty() && features.len() <= 5,
        "{}",
        features.len()
    );
    for f in features {
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        assert!(
            f["properties"]["min"].as_f64().unwrap() < f["properties"]["max"].as_f64().unwrap()
        );
    }
    assert_eq!(
        json["lagesbild"]["made_from"]["parameters"]["bandwidth_m"],
        200.0
    );
    harness.get_by_label(&written.display().to_string());

    // The same name again: the dialog refuses to overwrite it.
    harness.get_by_label("Stäng").click();
    harness.run_steps(2);
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(
        &ctx,
        Action::ShowFileBrowser(lagesbild::gui::windows::file_browser::Purpose::SaveAs(
            ExportTarget::HeatmapGeoJson,
        )),
    );
    harness.run_steps(2);
    harness.get_by_label("Spara").click();
    harness.run_steps(2);
    harness.get_by_label_contains("finns redan");
}

#[test]
fn a_study_area_drawn_on_the_map_is_kept_and_used() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    let mut harness = tall_app(path.clone());
    settle(&mut harness);
    // The demo keeps the coarse default boundary, and the panel says so.
    let area = harness.state().analysis().output().unwrap().area.clone();
    assert!(area.is_some_and(|a| a.source.contains("solvesborgs_kommun")));
    harness.get_by_label_contains("Grov standardgräns");

    harness.get_by_label("Rita på kartan").click();
    harness.run_steps(2);
    assert!(harness.state().analysis().is_drawing_area());
    let rect = harness.state().map_rect().expect("the map is shown");
    let c = rect.center();
    for (dx, dy) in [
        (-120.0, -80.0),
        (120.0, -80.0),
        (120.0, 80.0),
        (-120.0, 80.0),
    ] {
        let pos = egui::pos2(c.x + dx, c.y + dy);
        harness.event(egui::Event::PointerMoved(pos));
        harness.run_steps(1);
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            harness.run_steps(1);
        }
        // Far enough apart in time not to be a double-click.
        std::thread::sleep(std::time::Duration::from_millis(400));
        harness.run_steps(1);
    }
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert!(!harness.state().analysis().is_drawing_area());
    settle(&mut harness);
    let out = harness.state().analysis().output().unwrap().clone();
    let area = out.area.as_ref().expect("the drawn area is used");
    assert_eq!(area.source, "drawn in the app");
    assert!(area.area_km2() > 0.0);
    // Kept in the project, as the command line's --area does.
    let project = lagesbild::store::Project::open(&path).unwrap();
    let kept = lagesbild::analysis::engine::stored_area(&project).unwrap();
    assert_eq!(kept.as_ref(), Some(area));
    // Only cells inside take part: fewer hotspot cells than the grid has.
    let hot = &out.hotspots.as_ref().unwrap().hotspots;
    assert!(hot.cells.len() <= hot.nx * hot.ny);
    assert!(
        hot.cells
            .iter()
            .all(|c| area.contains(hot.cell_center(c.ix, c.iy)))
    );
}

#[test]
fn a_study_area_file_chosen_in_the_file_browser_is_kept_and_used() {
    let dir = Dir::new();
    let path = demo(&dir, "1500");
    // A rectangle over the middle half of the demo's incidents (taken from
    // the project, not typed in).
    let (lo, hi) = lagesbild::store::open(path.as_path())
        .unwrap()
        .info()
        .unwrap()
        .extent
        .unwrap();
    let (w, h) = (hi.lon - lo.lon, hi.lat - lo.lat);
    let (x0, x1) = (lo.lon + w / 4.0, hi.lon - w / 4.0);
    let (y0, y1) = (lo.lat + h / 4.0, hi.lat - h / 4.0);
    let file = dir.path("omrade.geojson");
    std::fs::write(
        &file,
        serde_json::json!({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[
                [x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]
            ]]}
        }]})
        .to_string(),
    )
    .unwrap();
    let folder = dir.root().to_path_buf();
    let state = UiState {
        last_folder: Some(folder),
        ..UiState::default()
    };
    let mut harness = app_with(path.clone(), state, egui::vec2(1280.0, 3200.0));
    settle(&mut harness);

    harness.get_by_label("Välj fil …").click();
    // One frame handles the click, the window's first frame only sizes it.
    harness.run_steps(4);
    // The browser offers GeoJSON files only, not the project itself.
    assert!(harness.query_by_label("demo.gpkg").is_none());
    harness.get_by_label("omrade.geojson").click();
    harness.run_steps(2);
    harness.get_by_label("Öppna").click();
    harness.run_steps(2);
    settle(&mut harness);

    let out = harness.state().analysis().output().unwrap().clone();
    let area = out
        .area
        .as_ref()
        .expect("the chosen file is the study area");
    assert!(area.source.contains("omrade.geojson"), "{}", area.source);
    let project = lagesbild::store::open(path.as_path()).unwrap();
    let kept = lagesbild::analysis::engine::stored_area(project.as_ref()).unwrap();
    assert_eq!(kept.as_ref(), Some(area));
    let hot = &out.hotspots.as_ref().unwrap().hotspots;
    assert!(!hot.cells.is_empty());
    assert!(
        hot.cells
            .iter()
            .all(|c| area.contains(hot.cell_center(c.ix, c.iy)))
    );
}
