//! "Sök plats" (issue 19): the menu bar's search box finds the gazetteer's
//! places and zooms the map there.

use egui_kittest::kittest::Queryable as _;
use lagesbild::gazetteer::Gazetteer;

use crate::gui_util::{app_on, demo, settle};
use crate::util::Dir;

#[test]
fn sok_plats_finds_a_place_and_zooms_there() {
    let dir = Dir::new();
    let path = demo(&dir, "200");
    let mut h = app_on(path);
    settle(&mut h);
    let before = h.state().map_memory().unwrap().zoom();

    h.get_by_label("Sök plats:").click();
    h.run();
    h.get_by_label("Sök plats:").type_text("mjäll");
    h.run();
    // One hit, shown as a button.
    h.get_by_label("Mjällby").click();
    settle(&mut h);

    let mjallby = Gazetteer::bundled().search("Mjällby")[0].position;
    let memory = h.state().map_memory().unwrap();
    let center = memory.detached().expect("the map left its default centre");
    assert!((center.x() - mjallby.lon).abs() < 1e-6, "{center:?}");
    assert!((center.y() - mjallby.lat).abs() < 1e-6, "{center:?}");
    assert_eq!(
        memory.zoom(),
        14.0,
        "a village fills the view (was {before})"
    );

    // The station, found by an alias, at street level.
    h.get_by_label("Sök plats:").click();
    h.run();
    h.get_by_label("Sök plats:").type_text("resecentrum");
    h.run();
    h.get_by_label("Sölvesborgs station").click();
    settle(&mut h);
    let memory = h.state().map_memory().unwrap();
    assert_eq!(memory.zoom(), 16.0);
    let station = Gazetteer::bundled().search("Sölvesborgs station")[0].position;
    let center = memory.detached().unwrap();
    assert!((center.y() - station.lat).abs() < 1e-6, "{center:?}");

    // A name not in the gazetteer says so.
    h.get_by_label("Sök plats:").click();
    h.get_by_label("Sök plats:").type_text("Kiruna");
    h.run();
    assert!(h.query_by_label("ingen träff").is_some());
}

#[test]
fn the_label_stands_before_its_field() {
    let dir = Dir::new();
    let mut h = app_on(demo(&dir, "50"));
    settle(&mut h);
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Sök plats:");
    let label = h.get_by_role_and_label(egui::accesskit::Role::Label, "Sök plats:");
    assert!(
        label.rect().max.x <= field.rect().min.x,
        "the label {:?} stands left of the field {:?}",
        label.rect(),
        field.rect()
    );
}

#[test]
fn a_locality_is_found_by_a_folded_prefix_and_the_map_zooms_there() {
    let dir = Dir::new();
    let mut h = app_on(demo(&dir, "50"));
    settle(&mut h);
    // "VALJ": upper case, a prefix of Valje (GeoNames 2665627, added from
    // the same extract as the other localities).
    h.get_by_label("Sök plats:").click();
    h.run();
    h.get_by_label("Sök plats:").type_text("VALJ");
    h.run();
    h.get_by_label("Valje").click();
    settle(&mut h);
    let valje = Gazetteer::bundled().search("Valje")[0];
    assert_eq!(valje.precision_m, 1500.0);
    let memory = h.state().map_memory().unwrap();
    let center = memory.detached().expect("moved");
    assert!((center.x() - valje.position.lon).abs() < 1e-6, "{center:?}");
    assert!((center.y() - valje.position.lat).abs() < 1e-6, "{center:?}");
    assert_eq!(memory.zoom(), 14.0);
    // Diacritics folded both ways: "hallev" finds Hällevik.
    h.get_by_label("Sök plats:").click();
    h.get_by_label("Sök plats:").type_text("hallev");
    h.run();
    h.get_by_label("Hällevik").click();
    settle(&mut h);
    let hallevik = Gazetteer::bundled().search("Hällevik")[0].position;
    let center = h.state().map_memory().unwrap().detached().unwrap();
    assert!((center.y() - hallevik.lat).abs() < 1e-6, "{center:?}");
}
