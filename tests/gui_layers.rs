//! Added map layers (GeoJSON shapes kept in the project) in the desktop app:
//! added through the same path as File > "Lägg till kartlager", listed in
//! the layer panel, hidden and removed from there, kept across a reopen, and
//! a bad file refused with its line and reason, the project unchanged.
//! Driven through egui_kittest.

use egui_kittest::kittest::Queryable as _;
use lagesbild::gui::app::UiState;
use lagesbild::gui::panels::{LayerId, LayerSetting};
use lagesbild::store::{Project, Store as _};

use crate::gui_util::{app_on, app_with, demo, settle};
use crate::util::Dir;

/// How many map layers the project file keeps.
fn stored_layers(project: &std::path::Path) -> usize {
    Project::open(project).unwrap().layers().unwrap().len()
}

const AREAS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"namn":"Centrum"},"geometry":{"type":"Polygon","coordinates":[[[14.575,56.045],[14.595,56.045],[14.595,56.056],[14.575,56.056],[14.575,56.045]]]}},
{"type":"Feature","properties":{"namn":"Runda"},"geometry":{"type":"LineString","coordinates":[[14.58,56.05],[14.59,56.052]]}}
]}"#;

#[test]
fn a_geojson_layer_is_added_shown_hidden_kept_and_removed() {
    let dir = Dir::new();
    let project = demo(&dir, "300");
    let file = dir.write("patrullomraden.geojson", AREAS);
    let mut h = app_on(project.clone());
    settle(&mut h);
    let id = LayerId::GeoJson("patrullomraden".to_owned());
    assert!(h.state().layers().get(&id).is_none());

    let ctx = h.ctx.clone();
    h.state_mut().add_shape_layer(&ctx, file);
    settle(&mut h);
    assert_eq!(h.state().shape_layers().len(), 1);
    assert_eq!(h.state().shape_layers()[0].features.features.len(), 2);
    assert!(h.state().layers().is_shown(&id), "{:?}", h.state().layers());
    let msg = h.state().message().unwrap_or_default().to_owned();
    assert!(msg.contains("patrullomraden"), "{msg}");
    // The map moved to the new layer: Centrum's box is in view.
    let view = h.state().map_memory().expect("map view").zoom();
    assert!(view > 13.0, "zoom {view}");

    // Hidden from the layer panel by its label, like any layer.
    h.get_by_label("patrullomraden").click();
    h.run_steps(2);
    assert!(!h.state().layers().is_shown(&id));
    assert!(!h.state().shape_layers()[0].visible);

    // Kept in the project, style included: a reopened app with no saved
    // app settings lists it again, still hidden, in its stored colour.
    settle(&mut h);
    let color = h.state().shape_layers()[0].color;
    drop(h);
    let stored = Project::open(&project).unwrap().layers().unwrap();
    assert!(!stored[0].style.visible);
    assert_eq!(stored[0].style.color, [color.r(), color.g(), color.b()]);
    let mut h = app_with(
        project.clone(),
        UiState::default(),
        egui::vec2(1280.0, 800.0),
    );
    settle(&mut h);
    assert_eq!(h.state().shape_layers().len(), 1);
    assert!(h.state().layers().get(&id).is_some_and(|l| !l.visible));
    assert_eq!(h.state().shape_layers()[0].color, color);

    // Removed with its button: gone from the panel, the map and the file.
    h.get_by_label("Ta bort: patrullomraden").click();
    h.run_steps(2);
    settle(&mut h);
    assert!(h.state().layers().get(&id).is_none());
    assert!(h.state().shape_layers().is_empty());
    drop(h);
    assert_eq!(stored_layers(&project), 0);
}

#[test]
fn a_bad_layer_file_is_refused_with_its_line_and_nothing_changes() {
    let dir = Dir::new();
    let project = demo(&dir, "50");
    let file = dir.write(
        "fel.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[474000,6211000]}}]}",
    );
    let mut h = app_on(project.clone());
    settle(&mut h);
    let ctx = h.ctx.clone();
    h.state_mut().add_shape_layer(&ctx, file);
    settle(&mut h);
    let msg = h.state().message().unwrap_or_default().to_owned();
    assert!(msg.contains("fel.geojson:2"), "{msg}");
    assert!(msg.contains("not longitude, latitude"), "{msg}");
    assert!(h.state().shape_layers().is_empty());
    drop(h);
    assert_eq!(stored_layers(&project), 0);
}

#[test]
fn saved_analysis_layer_settings_win_over_their_defaults() {
    let dir = Dir::new();
    let project = demo(&dir, "50");
    let saved = vec![
        LayerSetting {
            id: LayerId::Heatmap,
            visible: false,
            opacity: 0.4,
        },
        LayerSetting {
            id: LayerId::Hotspots,
            visible: true,
            opacity: 0.6,
        },
    ];
    let state = UiState {
        layers: saved.clone(),
        ..UiState::default()
    };
    let mut h = app_with(project.clone(), state, egui::vec2(1280.0, 800.0));
    settle(&mut h);
    let layers = h.state().layers();
    assert!(!layers.is_shown(&LayerId::Heatmap));
    assert!(layers.is_shown(&LayerId::Hotspots));
    assert_eq!(layers.get(&LayerId::Hotspots).unwrap().opacity, 0.6);
    // Saved order: the heatmap first (on top), then the hotspots.
    assert_eq!(layers.layers[0].id, LayerId::Heatmap);
}

#[test]
fn a_geopackage_adds_every_table_and_their_order_is_kept_in_the_project() {
    use lagesbild::model::shape::{Feature, FeatureSet};
    let dir = Dir::new();
    let project = demo(&dir, "50");
    // A GeoPackage with two feature tables (written by our own store).
    let source = dir.path("fran-qgis.gpkg");
    let set = |name: &str, lon: f64| FeatureSet {
        name: name.to_owned(),
        features: vec![Feature {
            geometry: geo::Point::new(lon, 56.05).into(),
            properties: serde_json::Map::new(),
        }],
    };
    let mut src = Project::create(&source, "källa").unwrap();
    src.add_layers(&[set("skolor", 14.58), set("parker", 14.59)], "test")
        .unwrap();
    drop(src);

    let mut h = app_on(project.clone());
    settle(&mut h);
    let ctx = h.ctx.clone();
    h.state_mut().add_shape_layer(&ctx, source);
    settle(&mut h);
    let names: Vec<String> = h
        .state()
        .shape_layers()
        .iter()
        .map(|l| l.name().to_owned())
        .collect();
    // Bottom first: the tables in name order, the last drawn on top.
    assert_eq!(names, ["parker", "skolor"]);
    let order = crate::layers::layer_names;
    assert_eq!(order(&project), ["parker", "skolor"]);

    // "skolor" is above "parker" in the panel; moving it down swaps them in
    // the project too.
    h.get_by_label("Flytta ned: skolor").click();
    h.run_steps(2);
    settle(&mut h);
    drop(h);
    assert_eq!(order(&project), ["skolor", "parker"]);
    let mut h = app_with(
        project.clone(),
        UiState::default(),
        egui::vec2(1280.0, 800.0),
    );
    settle(&mut h);
    let panel: Vec<&LayerId> = h.state().layers().layers.iter().map(|l| &l.id).collect();
    let parker = panel
        .iter()
        .position(|id| **id == LayerId::GeoJson("parker".into()));
    let skolor = panel
        .iter()
        .position(|id| **id == LayerId::GeoJson("skolor".into()));
    assert!(parker < skolor, "{panel:?}");
}
