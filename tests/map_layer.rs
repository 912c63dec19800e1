//! The incident layer on a real walkers `Map` (no tiles) in egui_kittest:
//! click selection, hover tooltip, filter mask, shift+drag box selection and
//! aggregation above the threshold.

use std::sync::Arc;

use egui::{Event, Modifiers, PointerButton, Pos2, pos2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::analysis::IncidentIndex;
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::gui::i18n::Language;
use lagesbild::gui::map::incidents::{IncidentLayer, IncidentLayerData};
use lagesbild::jobs::CancelToken;
use lagesbild::model::IncidentPoint;
use lagesbild::model::{Category, LonLat, Source};
use walkers::{Map, MapMemory, lon_lat};

const CENTER: LonLat = LonLat {
    lon: 14.58,
    lat: 56.05,
};

struct MapState {
    memory: MapMemory,
    layer: IncidentLayer,
    positions: Vec<LonLat>,
    /// Screen position of every incident, as the map projected it last frame.
    screen: Vec<Pos2>,
}

fn show(ui: &mut egui::Ui, s: &mut MapState) {
    let buttons = s.layer.pan_buttons(ui.ctx());
    let positions = s.positions.clone();
    let mut screen = Vec::new();
    Map::new(None, &mut s.memory, lon_lat(CENTER.lon, CENTER.lat))
        .drag_pan_buttons(buttons)
        .with_plugin(&mut s.layer)
        .show(ui, |_, _, projector, _| {
            screen = positions
                .iter()
                .map(|p| projector.project(lon_lat(p.lon, p.lat)).to_pos2())
                .collect();
        });
    s.screen = screen;
}

/// An incident `de`, `dn` metres east and north of the centre.
fn at(de: f64, dn: f64, category: Category, precision_m: f64) -> IncidentPoint {
    let c = sweref_from_wgs84(CENTER);
    IncidentPoint {
        fid: 0,
        occurred_at: chrono::DateTime::from_timestamp(1_760_000_000, 0).unwrap(),
        category,
        source: Source::Trygghetsvard,
        position: wgs84_from_sweref(Sweref99Tm {
            easting: c.easting + de,
            northing: c.northing + dn,
        }),
        precision_m,
    }
}

fn harness(points: Vec<IncidentPoint>, mask: &[bool], zoom: f64) -> Harness<'static, MapState> {
    let positions = points.iter().map(|p| p.position).collect();
    let index = Arc::new(IncidentIndex::build(points));
    let data = IncidentLayerData::build(index, mask, &CancelToken::new()).unwrap();
    let mut layer = IncidentLayer::new(Language::Swedish);
    layer.set_data(Arc::new(data));
    let mut memory = MapMemory::default();
    memory.set_zoom(zoom).unwrap();
    let mut h = Harness::builder()
        .with_size(vec2(800.0, 600.0))
        .build_ui_state(
            show,
            MapState {
                memory,
                layer,
                positions,
                screen: Vec::new(),
            },
        );
    h.run_steps(2);
    h
}

fn five() -> (Vec<IncidentPoint>, Vec<bool>) {
    let points = vec![
        at(0.0, 0.0, Category::Vald, 10.0),
        at(-200.0, 100.0, Category::Stold, 10.0),
        at(150.0, -120.0, Category::Brand, 10.0),
        at(250.0, 150.0, Category::Narkotika, 10.0),
        at(30.0, 40.0, Category::Skadegorelse, 15_000.0),
    ];
    let mask = vec![true, true, false, true, true];
    (points, mask)
}

fn step(h: &mut Harness<'_, MapState>, event: Event) {
    h.event(event);
    h.run_steps(1);
}

fn click(h: &mut Harness<'_, MapState>, pos: Pos2) {
    step(h, Event::PointerMoved(pos));
    for pressed in [true, false] {
        step(
            h,
            Event::PointerButton {
                pos,
                button: PointerButton::Primary,
                pressed,
                modifiers: Modifiers::NONE,
            },
        );
    }
    h.run_steps(1);
}

#[test]
fn clicking_an_incident_selects_it_and_empty_map_clears() {
    let (points, mask) = five();
    let mut h = harness(points, &mask, 15.0);
    let target = h.state().screen[1];
    assert!(h.state().layer.last_frame_stats().points_drawn == 3);
    click(&mut h, target + vec2(3.0, -2.0));
    assert_eq!(h.state().layer.selected(), Some(1));
    // Far from every incident: clears.
    click(&mut h, pos2(20.0, 20.0));
    assert_eq!(h.state().layer.selected(), None);
    assert!(h.state().memory.detached().is_none(), "clicks do not pan");
}

#[test]
fn hidden_and_coarse_incidents_are_not_selectable() {
    let (points, mask) = five();
    let mut h = harness(points, &mask, 15.0);
    let hidden = h.state().screen[2];
    click(&mut h, hidden);
    assert_eq!(h.state().layer.selected(), None, "mask false");
    let coarse = h.state().screen[4];
    click(&mut h, coarse);
    assert_eq!(h.state().layer.selected(), None, "coarse position");
    let stats = h.state().layer.last_frame_stats();
    assert_eq!(stats.points_drawn, 3);
    assert_eq!(stats.coarse_groups_drawn, 1);
}

#[test]
fn hovering_shows_a_tooltip_without_the_description() {
    let (points, mask) = five();
    let mut h = harness(points, &mask, 15.0);
    let target = h.state().screen[3];
    step(&mut h, Event::PointerMoved(target + vec2(2.0, 2.0)));
    h.run_steps(1);
    h.get_by_label("Narkotika");
    h.get_by_label("Trygghetsvärd");
    h.get_by_label("Noggrannhet: ±10 m");
    // 1 760 000 000 s = 2025-10-09 08:53:20 UTC = 10:53 in Stockholm (CEST).
    h.get_by_label("2025-10-09 10:53 (lokal tid)");
    // Off the incident: no tooltip.
    step(&mut h, Event::PointerMoved(pos2(20.0, 20.0)));
    h.run_steps(1);
    assert!(h.query_by_label("Narkotika").is_none());
}

#[test]
fn shift_drag_selects_the_box_without_panning() {
    let (points, mask) = five();
    let mut h = harness(points, &mask, 15.0);
    let (a, b) = (h.state().screen[0], h.state().screen[3]);
    let start = pos2(a.x.min(b.x) - 10.0, a.y.max(b.y) + 10.0);
    let end = pos2(a.x.max(b.x) + 10.0, a.y.min(b.y) - 10.0);
    // egui keeps modifiers between frames until the next change.
    step(&mut h, Event::ModifiersChanged(Modifiers::SHIFT));
    step(&mut h, Event::PointerMoved(start));
    step(
        &mut h,
        Event::PointerButton {
            pos: start,
            button: PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::SHIFT,
        },
    );
    for k in 1..=10 {
        let t = k as f32 / 10.0;
        step(&mut h, Event::PointerMoved(start + (end - start) * t));
    }
    assert!(h.state().layer.is_box_selecting());
    step(
        &mut h,
        Event::PointerButton {
            pos: end,
            button: PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::SHIFT,
        },
    );
    step(&mut h, Event::ModifiersChanged(Modifiers::NONE));
    h.run_steps(1);
    let layer = &h.state().layer;
    // 0 and 3 are inside; the coarse one (4) is inside too but never selected.
    assert_eq!(layer.box_selection(), &[0, 3]);
    let count = |c| layer.box_counts().iter().find(|(k, _)| *k == c).unwrap().1;
    assert_eq!(count(Category::Vald), 1);
    assert_eq!(count(Category::Narkotika), 1);
    assert_eq!(count(Category::Stold), 0);
    assert!(h.state().memory.detached().is_none(), "the map did not pan");
    // A plain drag still pans.
    let from = pos2(400.0, 300.0);
    step(&mut h, Event::PointerMoved(from));
    step(
        &mut h,
        Event::PointerButton {
            pos: from,
            button: PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::NONE,
        },
    );
    for k in 1..=5 {
        step(
            &mut h,
            Event::PointerMoved(from + vec2(20.0 * k as f32, 0.0)),
        );
    }
    step(
        &mut h,
        Event::PointerButton {
            pos: from + vec2(100.0, 0.0),
            button: PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        },
    );
    h.run_steps(2);
    assert!(h.state().memory.detached().is_some(), "a plain drag pans");
    assert_eq!(h.state().layer.box_selection(), &[0, 3], "kept");
}

#[test]
fn many_incidents_in_view_are_drawn_as_cells() {
    // 60 × 60 incidents on a 50 m grid; at zoom 13 all are in view.
    let mut points = Vec::new();
    for i in 0..60 {
        for j in 0..60 {
            points.push(at(
                -1_500.0 + 50.0 * i as f64,
                -1_500.0 + 50.0 * j as f64,
                Category::ALL[(i + j) % 8],
                10.0,
            ));
        }
    }
    let mask = vec![true; points.len()];
    let mut h = harness(points, &mask, 13.0);
    let stats = h.state().layer.last_frame_stats();
    assert!(!stats.aggregated, "3 600 is below the default threshold");
    assert_eq!(stats.points_drawn, 3_600);
    h.state_mut().layer.aggregate_above = 1_000;
    h.run_steps(1);
    let stats = h.state().layer.last_frame_stats();
    assert!(stats.aggregated);
    assert_eq!(stats.points_drawn, 0);
    assert!(
        stats.cells_drawn > 0 && stats.cells_drawn < 3_600,
        "{stats:?}"
    );
    assert!(stats.in_view_estimate >= 3_600, "{stats:?}");
    // Hovering a cell tells its count; clicking it selects nothing.
    let c = h.state().screen[30 * 60 + 30];
    click(&mut h, c);
    assert_eq!(h.state().layer.selected(), None);
    step(&mut h, Event::PointerMoved(c));
    h.run_steps(1);
    assert!(
        h.query_by_label_contains("händelser i rutan").is_some(),
        "cell tooltip"
    );
}
