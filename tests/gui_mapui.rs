//! The finished map (task "mapui"): the density cells and the scale bar
//! agree with the map's projection, zoom to project fits the municipality,
//! the layer panel hides the incident layer, the details panel shows the
//! selected incident, and the persisted state survives a restart.

use std::sync::Arc;

use egui::{Rect, vec2};
use egui_kittest::Harness;
use lagesbild::analysis::IncidentIndex;
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::gui::i18n::Language;
use lagesbild::gui::map::incidents::{IncidentLayer, IncidentLayerData};
use lagesbild::gui::scale_bar::{ScaleBar, bar_for_view};
use lagesbild::jobs::CancelToken;
use lagesbild::model::IncidentPoint;
use lagesbild::model::{Category, LonLat, Source};
use walkers::{Map, MapMemory, Projector, lon_lat};

const CENTER: LonLat = LonLat {
    lon: 14.583,
    lat: 56.0505,
};

/// Screen points per metre measured by projecting two points 1 km apart
/// (east–west in SWEREF 99 TM) at the view's centre.
fn measured_px_per_m(projector: &Projector, rect: Rect) -> f64 {
    let c = projector.unproject(rect.center().to_vec2());
    let s = sweref_from_wgs84(LonLat::new(c.x(), c.y()));
    let screen = |de: f64| {
        let p = wgs84_from_sweref(Sweref99Tm {
            easting: s.easting + de,
            northing: s.northing,
        });
        projector.project(lon_lat(p.lon, p.lat)).to_pos2()
    };
    f64::from(screen(-500.0).distance(screen(500.0))) / 1000.0
}

struct ScaleState {
    memory: MapMemory,
    layer: IncidentLayer,
    /// (measured px per metre, the scale bar's metres and points) last frame.
    seen: Option<(f64, (f64, f64))>,
}

fn show_scaled(ui: &mut egui::Ui, s: &mut ScaleState) {
    let mut seen = None;
    Map::new(None, &mut s.memory, lon_lat(CENTER.lon, CENTER.lat))
        .with_plugin(&mut s.layer)
        .with_plugin(ScaleBar {
            lang: Language::Swedish,
        })
        .show(ui, |_, response, projector, _| {
            let bar = bar_for_view(projector, response.rect).expect("a scale bar");
            seen = Some((measured_px_per_m(projector, response.rect), bar));
        });
    s.seen = seen;
}

/// Incidents on a 30 × 30 km square around Sölvesborg every 150 m.
fn spread() -> Vec<IncidentPoint> {
    let c = sweref_from_wgs84(CENTER);
    let mut points = Vec::new();
    for i in 0..200 {
        for j in 0..200 {
            let position = wgs84_from_sweref(Sweref99Tm {
                easting: c.easting - 15_000.0 + 150.0 * f64::from(i),
                northing: c.northing - 15_000.0 + 150.0 * f64::from(j),
            });
            points.push(IncidentPoint {
                fid: i64::from(i * 200 + j + 1),
                occurred_at: chrono::DateTime::from_timestamp(1_760_000_000, 0).unwrap(),
                category: Category::Vald,
                source: Source::Polis,
                position,
                precision_m: 10.0,
            });
        }
    }
    points
}

/// The density cells are drawn at their true size on the map, the level is
/// the coarsest whose cells are at most 40 px, and the scale bar's length
/// matches the same projection. A screenshot once seemed to show 800 m cells
/// at 37 px beside a 1 km ≈ 100 px bar: at zoom 13 those were 400 m cells
/// (0.0937 px/m), and this test pins both sizes to the projection.
#[test]
fn density_cells_and_the_scale_bar_match_the_projection() {
    let points = spread();
    let mask = vec![true; points.len()];
    let index = Arc::new(IncidentIndex::build(points));
    let data = Arc::new(IncidentLayerData::build(index, &mask, &CancelToken::new()).unwrap());
    for zoom in [10.0, 11.0, 11.6, 12.0, 13.0, 14.3, 15.0] {
        let mut layer = IncidentLayer::new(Language::Swedish);
        layer.aggregate_above = 0;
        layer.set_data(data.clone());
        let mut memory = MapMemory::default();
        memory.set_zoom(zoom).unwrap();
        let mut h = Harness::builder()
            .with_size(vec2(1000.0, 700.0))
            .build_ui_state(
                show_scaled,
                ScaleState {
                    memory,
                    layer,
                    seen: None,
                },
            );
        h.run_steps(2);
        let (px_per_m, (bar_m, bar_px)) = h.state().seen.expect("drawn");
        // At zoom z the Web Mercator scale here is 256·2^z / (40 075 017 m · cos 56.05°).
        let expected = 256.0 * 2f64.powf(zoom) / (40_075_016.686 * CENTER.lat.to_radians().cos());
        assert!(
            (px_per_m / expected - 1.0).abs() < 0.005,
            "zoom {zoom}: {px_per_m} px/m measured, {expected} expected"
        );
        assert!(
            (bar_px / (bar_m * px_per_m) - 1.0).abs() < 0.01,
            "zoom {zoom}: bar {bar_m} m drawn {bar_px} px, projection says {}",
            bar_m * px_per_m
        );
        assert!(
            (60.0..=120.0).contains(&bar_px),
            "zoom {zoom}: bar {bar_px} px"
        );
        let stats = h.state().layer.last_frame_stats();
        assert!(stats.aggregated, "zoom {zoom}: {stats:?}");
        let cell_px = f64::from(stats.cell_px);
        assert!(
            (cell_px / (stats.cell_m * px_per_m) - 1.0).abs() < 0.02,
            "zoom {zoom}: {} m cell drawn {cell_px} px, projection says {}",
            stats.cell_m,
            stats.cell_m * px_per_m
        );
        assert!((20.0..=40.0).contains(&cell_px), "zoom {zoom}: {stats:?}");
        // The coarsest level (25 m · 2^k) at most 40 px.
        let mut want_m = 25.0;
        while want_m * 2.0 * px_per_m <= 40.0 {
            want_m *= 2.0;
        }
        assert_eq!(stats.cell_m, want_m, "zoom {zoom}");
    }
}

// ---- The app ----

use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::{Action, UiState};

use crate::gui_util::{app_with, demo, settle};
use crate::util::Dir;

/// Screen rectangle of the box `min`–`max` in the app's current map view.
fn extent_on_screen(app: &LagesbildApp, min: LonLat, max: LonLat) -> (Rect, Rect) {
    let rect = app.map_rect().expect("map drawn");
    let memory = app.map_memory().expect("map view");
    let projection = walkers::MercatorProjection;
    let projector = Projector::new(rect, &projection, memory, lon_lat(0.0, 0.0));
    let a = projector.project(lon_lat(min.lon, min.lat)).to_pos2();
    let b = projector.project(lon_lat(max.lon, max.lat)).to_pos2();
    (rect, Rect::from_two_pos(a, b))
}

fn assert_fits(app: &LagesbildApp, min: LonLat, max: LonLat) {
    let (map, shown) = extent_on_screen(app, min, max);
    assert!(
        map.contains_rect(shown),
        "extent {shown:?} not inside the map {map:?}"
    );
    // Tight: one side fills at least 60 % of the map.
    let fill = (shown.width() / map.width()).max(shown.height() / map.height());
    assert!(fill > 0.6, "extent {shown:?} fills only {fill} of {map:?}");
}

#[test]
fn zoom_to_project_fits_the_municipality() {
    let dir = Dir::new();
    let path = demo(&dir, "2000");
    for size in [vec2(1280.0, 800.0), vec2(800.0, 1000.0)] {
        let mut h = app_with(path.clone(), UiState::default(), size);
        settle(&mut h);
        let (min, max) = h
            .state()
            .project()
            .unwrap()
            .loaded
            .info
            .extent
            .expect("extent");
        assert_fits(h.state(), min, max);

        // Zoomed in with the keyboard, then "Zooma till projekt" again.
        for _ in 0..3 {
            h.key_press(egui::Key::Plus);
            h.run_steps(1);
        }
        let (map, shown) = extent_on_screen(h.state(), min, max);
        assert!(!map.contains_rect(shown), "zoomed in: {shown:?}");
        let ctx = h.ctx.clone();
        h.state_mut().apply(&ctx, Action::ZoomToProject);
        h.run_steps(2);
        assert_fits(h.state(), min, max);
    }
}

#[test]
fn the_layer_panel_hides_the_incident_layer() {
    use lagesbild::gui::panels::LayerId;
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "500"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    assert!(h.state().layers().is_shown(&LayerId::Incidents));
    let drawn = |h: &Harness<'_, LagesbildApp>| {
        let s = h.state().incident_layer().last_frame_stats();
        s.points_drawn + s.cells_drawn + s.coarse_groups_drawn
    };
    assert!(drawn(&h) > 0, "incidents drawn");

    h.get_by_label("Händelser").click();
    h.run_steps(3);
    assert!(!h.state().layers().is_shown(&LayerId::Incidents));
    // Hidden: the layer no longer runs on the map.
    let before = h.state().incident_layer().frames_drawn();
    h.run_steps(3);
    assert_eq!(h.state().incident_layer().frames_drawn(), before);

    h.get_by_label("Händelser").click();
    h.run_steps(3);
    assert!(h.state().layers().is_shown(&LayerId::Incidents));
    assert!(h.state().incident_layer().frames_drawn() > before);
    assert!(drawn(&h) > 0);

    // The opacity set in the panel is the one the layer draws with.
    h.state_mut()
        .layers_mut()
        .get_mut(&LayerId::Incidents)
        .unwrap()
        .opacity = 0.25;
    h.run_steps(2);
    assert_eq!(h.state().incident_layer().opacity, 0.25);
}

/// The first precise incident of the project that has a description.
fn incident_with_description(app: &LagesbildApp) -> (usize, lagesbild::model::Incident) {
    use lagesbild::store::Store as _;
    let view = app.project().expect("project");
    let project = lagesbild::store::Project::open(&view.loaded.path).unwrap();
    view.loaded
        .index
        .points()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.precision_m <= 25.0)
        .find_map(|(i, p)| {
            let incident = project.incident(p.fid).unwrap()?;
            incident
                .description
                .as_ref()
                .is_some_and(|d| !d.trim().is_empty())
                .then_some((i, incident))
        })
        .expect("a demo incident with a description")
}

#[test]
fn selecting_an_incident_opens_its_details() {
    use lagesbild::gui::i18n::{self, Key, tr};
    use lagesbild::model::time;
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "1500"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let (i, incident) = incident_with_description(h.state());
    let category = i18n::category(Language::Swedish, incident.category);
    let time_text = format!(
        "{} (lokal tid)",
        time::local(incident.occurred_at).format("%Y-%m-%d %H:%M")
    );
    let description = incident.description.clone().unwrap();
    let before = h.query_all_by_label(category).count();
    assert!(h.query_by_label(&time_text).is_none());

    h.state_mut().select_incident(Some(i));
    settle(&mut h);
    assert_eq!(
        h.state().selected_incident().map(|x| &x.uid),
        Some(&incident.uid)
    );
    assert!(
        h.query_all_by_label(tr(Language::Swedish, Key::DetailsTitle))
            .count()
            >= 1
    );
    h.get_by_label(&time_text);
    assert_eq!(
        h.query_all_by_label(category).count(),
        before + 1,
        "{category}"
    );
    // The description only after "Visa beskrivning".
    assert!(
        h.query_by_label(&description).is_none(),
        "description shown unasked"
    );
    h.get_by_label("Visa beskrivning").click();
    h.run_steps(2);
    h.get_by_label(&description);
    h.get_by_label("Dölj beskrivning");

    // "Redigera" in the panel opens the editor on this incident; Esc then
    // closes the editor and keeps the selection.
    h.get_by_label("Redigera händelsen").click();
    settle(&mut h);
    assert!(h.state().incident_editor().is_some(), "editor open");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().incident_editor().is_none(), "editor closed");
    assert_eq!(h.state().incident_layer().selected(), Some(i));

    // Esc clears the selection and hides the panel (and the description).
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.state().incident_layer().selected().is_none());
    assert!(h.state().selected_incident().is_none());
    assert!(h.query_by_label(&time_text).is_none());
    assert!(h.query_by_label(&description).is_none());
}

fn click_at(h: &mut Harness<'_, LagesbildApp>, pos: egui::Pos2, modifiers: egui::Modifiers) {
    h.event(egui::Event::PointerMoved(pos));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers,
        });
        h.run_steps(1);
    }
    h.run_steps(1);
}

#[test]
fn zoom_to_selection_and_click_to_select_on_the_map() {
    use lagesbild::gui::app::SELECTION_ZOOM;
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "1500"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let zoom_before = h.state().map_memory().unwrap().zoom();
    // Nothing selected: Z does nothing.
    h.key_press(egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().map_memory().unwrap().zoom(), zoom_before);

    let (i, incident) = incident_with_description(h.state());
    h.state_mut().select_incident(Some(i));
    settle(&mut h);
    h.key_press(egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().map_memory().unwrap().zoom(), SELECTION_ZOOM);
    let p = incident.position;
    let (map, at) = extent_on_screen(h.state(), p, p);
    assert!(
        at.center().distance(map.center()) < 1.0,
        "{at:?} not at the centre of {map:?}"
    );

    // Clear, then click the incident's position on the map: an incident
    // there is selected (stacked ones: the first) and its details open.
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().has_selection());
    click_at(&mut h, at.center(), egui::Modifiers::NONE);
    settle(&mut h);
    let picked = h
        .state()
        .selected_incident()
        .expect("clicked incident")
        .clone();
    let screen = |q: LonLat| extent_on_screen(h.state(), q, q).1.center();
    assert!(screen(picked.position).distance(at.center()) <= 8.0);

    // A click on empty map far from any incident clears it.
    h.key_press(egui::Key::Home);
    h.run_steps(3);
    let corner = h.state().map_rect().unwrap().left_top() + vec2(60.0, 120.0);
    click_at(&mut h, corner, egui::Modifiers::NONE);
    settle(&mut h);
    assert!(!h.state().has_selection());
    assert!(h.state().selected_incident().is_none());
}

fn shift_drag(h: &mut Harness<'_, LagesbildApp>, start: egui::Pos2, end: egui::Pos2) {
    use egui::{Event, Modifiers, PointerButton};
    let step = |h: &mut Harness<'_, LagesbildApp>, e: Event| {
        h.event(e);
        h.run_steps(1);
    };
    step(h, Event::ModifiersChanged(Modifiers::SHIFT));
    step(h, Event::PointerMoved(start));
    step(
        h,
        Event::PointerButton {
            pos: start,
            button: PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::SHIFT,
        },
    );
    for k in 1..=10 {
        step(
            h,
            Event::PointerMoved(start + (end - start) * (k as f32 / 10.0)),
        );
    }
    step(
        h,
        Event::PointerButton {
            pos: end,
            button: PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::SHIFT,
        },
    );
    step(h, Event::ModifiersChanged(Modifiers::NONE));
    h.run_steps(1);
}

#[test]
fn a_box_selection_shows_its_counts_and_zooms_to_its_extent() {
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "1500"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    let project_zoom = h.state().map_memory().unwrap().zoom();
    let (_, incident) = incident_with_description(h.state());
    let p = incident.position;
    let c = extent_on_screen(h.state(), p, p).1.center();
    shift_drag(&mut h, c - vec2(60.0, 40.0), c + vec2(60.0, 40.0));
    settle(&mut h);
    let selected = h.state().incident_layer().box_selection().to_vec();
    assert!(selected.len() > 1, "{} selected", selected.len());
    assert!(h.state().selected_incident().is_none());
    // The summary: "N markerade händelser".
    h.get_by_label(&format!(
        "{} markerade händelser",
        lagesbild::gui::i18n::count(Language::Swedish, selected.len() as u64)
    ));

    h.key_press(egui::Key::Z);
    h.run_steps(2);
    assert!(h.state().map_memory().unwrap().zoom() > project_zoom);
    let positions: Vec<LonLat> = {
        let points = h.state().project().unwrap().loaded.index.points();
        selected.iter().map(|&i| points[i].position).collect()
    };
    let min = LonLat::new(
        positions
            .iter()
            .map(|p| p.lon)
            .fold(f64::INFINITY, f64::min),
        positions
            .iter()
            .map(|p| p.lat)
            .fold(f64::INFINITY, f64::min),
    );
    let max = LonLat::new(
        positions
            .iter()
            .map(|p| p.lon)
            .fold(f64::NEG_INFINITY, f64::max),
        positions
            .iter()
            .map(|p| p.lat)
            .fold(f64::NEG_INFINITY, f64::max),
    );
    assert_fits(h.state(), min, max);
}

/// eframe's storage in memory: the same RON text `eframe::set_value` writes
/// to `app.ron`.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_view_filter_and_layers_survive_a_restart() {
    use eframe::App as _;
    use lagesbild::gui::app::STATE_KEY;
    use lagesbild::gui::panels::LayerId;
    use lagesbild::model::HourRange;
    let dir = Dir::new();
    let path = demo(&dir, "800");
    let mut h = app_with(path.clone(), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    // Change the view, the filter and the layers as a user would.
    for _ in 0..2 {
        h.key_press(egui::Key::Plus);
        h.run_steps(1);
    }
    h.get_by_label("Kvällar och nätter 18–06").click();
    settle(&mut h);
    h.get_by_label("Händelser").click();
    h.run_steps(2);
    h.get_by_label("English").click();
    h.run_steps(2);
    let zoom = h.state().map_memory().unwrap().zoom();
    let center = h.state().map_memory().unwrap().detached().unwrap();
    let mut storage = MemoryStorage::default();
    h.state_mut().save(&mut storage);
    let ron = storage.0.get(STATE_KEY).expect("state saved").clone();
    assert!(ron.contains("last_project"), "{ron}");

    // Restart from what was stored.
    let restored: UiState = eframe::get_value(&storage, STATE_KEY).expect("state reads back");
    assert_eq!(restored.last_project.as_deref(), Some(path.as_path()));
    assert_eq!(restored.recent_projects.first(), Some(&path));
    let mut h2 = Harness::builder()
        .with_size(vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            LagesbildApp::with_state(&cc.egui_ctx, restored, None).without_map_tiles()
        });
    settle(&mut h2);
    h2.run_steps(3);
    let app = h2.state();
    assert_eq!(
        app.project().unwrap().loaded.path,
        path,
        "last project reopened"
    );
    assert_eq!(app.filter().hours, Some(HourRange::EVENINGS_AND_NIGHTS));
    assert_eq!(app.language(), Language::English);
    assert!(!app.layers().is_shown(&LayerId::Incidents));
    let memory = app.map_memory().unwrap();
    assert_eq!(
        memory.zoom(),
        zoom,
        "zoom kept, not refitted to the project"
    );
    let kept = memory.detached().unwrap();
    assert!((kept.x() - center.x()).abs() < 1e-9 && (kept.y() - center.y()).abs() < 1e-9);
    // And a second save writes the same text.
    let mut again = MemoryStorage::default();
    h2.state_mut().save(&mut again);
    assert_eq!(again.0.get(STATE_KEY), Some(&ron));
}

#[test]
fn selecting_does_not_move_the_fitted_map() {
    let dir = Dir::new();
    let mut h = app_with(demo(&dir, "1500"), UiState::default(), vec2(1280.0, 800.0));
    settle(&mut h);
    // Let the layout settle past the refit window.
    h.run_steps(180);
    let view = |h: &Harness<'_, LagesbildApp>| {
        let m = h.state().map_memory().unwrap();
        (m.zoom(), m.detached(), h.state().map_rect().unwrap())
    };
    let before = view(&h);
    let (i, _) = incident_with_description(h.state());
    h.state_mut().select_incident(Some(i));
    settle(&mut h);
    assert!(h.state().selected_incident().is_some());
    let after = view(&h);
    assert_eq!(before.0, after.0, "zoom kept");
    assert_eq!(before.1, after.1, "centre kept");
    assert_eq!(before.2, after.2, "the map keeps its size");
}
