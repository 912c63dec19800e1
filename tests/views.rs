//! Saved views: `lagesbild view list|export|import` round trip through a
//! readable JSON file, bad files refused with a reason, the project still a
//! valid GeoPackage.

use lagesbild::model::LonLat;
use lagesbild::model::view::{SavedView, ViewExtent, ViewFile, ViewLayer, layer_keys};

use crate::util::{Dir, assert_exit, assert_valid_gpkg, run_cli_in, text};

fn view(title: &str) -> SavedView {
    SavedView {
        title: title.into(),
        notes: "Visa centrum först.".into(),
        extent: ViewExtent::from_corners(LonLat::new(14.55, 56.03), LonLat::new(14.62, 56.07)),
        layers: vec![ViewLayer {
            id: layer_keys::HEATMAP.into(),
            visible: true,
            opacity: 0.6,
        }],
        filter: Default::default(),
        analysis: Default::default(),
    }
}

#[test]
fn views_round_trip_through_a_json_file() {
    let dir = Dir::new();
    let root = dir.root();
    assert_exit(
        &run_cli_in(root, &["demo", "--out", "p.gpkg", "--count", "200"]),
        0,
    );
    let out = run_cli_in(root, &["view", "list", "p.gpkg"]);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("no saved views"));

    let file = dir.write(
        "in.json",
        ViewFile::new(vec![view("Centrum"), view("Hela kommunen")]).to_json(),
    );
    let out = run_cli_in(root, &["view", "import", "p.gpkg", file.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("added view \"Hela kommunen\""));

    let out = run_cli_in(root, &["view", "list", "p.gpkg"]);
    assert_exit(&out, 0);
    let listed = text(&out).0;
    assert!(listed.contains(" 1. Centrum"), "{listed}");
    assert!(listed.contains(" 2. Hela kommunen"), "{listed}");

    let out = run_cli_in(
        root,
        &[
            "view",
            "export",
            "p.gpkg",
            "--name",
            "Hela kommunen",
            "--out",
            "out.json",
        ],
    );
    assert_exit(&out, 0);
    let written = std::fs::read_to_string(dir.path("out.json")).unwrap();
    assert!(
        written.contains("\"notes\": \"Visa centrum först.\""),
        "{written}"
    );
    let back = ViewFile::from_json(&written).unwrap();
    assert_eq!(back.views, vec![view("Hela kommunen")]);
    assert_valid_gpkg(&dir.path("p.gpkg"));

    let out = run_cli_in(
        root,
        &[
            "view", "export", "p.gpkg", "--name", "Saknas", "--out", "x.json",
        ],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no saved view titled \"Saknas\""));
}

#[test]
fn a_bad_view_file_is_refused_and_stores_nothing() {
    let dir = Dir::new();
    let root = dir.root();
    assert_exit(
        &run_cli_in(root, &["demo", "--out", "p.gpkg", "--count", "50"]),
        0,
    );
    let mut bad = view("Trasig");
    bad.layers[0].opacity = 85.0;
    let file = dir.write("bad.json", ViewFile::new(vec![view("Bra"), bad]).to_json());
    let out = run_cli_in(root, &["view", "import", "p.gpkg", file.to_str().unwrap()]);
    assert_exit(&out, 2);
    let err = text(&out).1;
    assert!(err.contains("bad.json"), "{err}");
    assert!(
        err.contains("\"Trasig\"") && err.contains("opacity 85"),
        "{err}"
    );
    let broken = dir.write("broken.json", "{\"format\": \"lagesbild-views\",\n  nej }");
    let out = run_cli_in(
        root,
        &["view", "import", "p.gpkg", broken.to_str().unwrap()],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("line 2"), "{}", text(&out).1);
    let out = run_cli_in(root, &["view", "list", "p.gpkg"]);
    assert!(text(&out).0.contains("no saved views"));
}

#[test]
fn a_view_is_renamed_and_removed_from_the_command_line() {
    let dir = Dir::new();
    let root = dir.root();
    assert_exit(
        &run_cli_in(root, &["demo", "--out", "p.gpkg", "--count", "50"]),
        0,
    );
    let file = dir.write(
        "in.json",
        ViewFile::new(vec![view("Centrum"), view("Hamnen"), view("Hela kommunen")]).to_json(),
    );
    assert_exit(
        &run_cli_in(root, &["view", "import", "p.gpkg", file.to_str().unwrap()]),
        0,
    );
    let out = run_cli_in(
        root,
        &["view", "rename", "p.gpkg", "Hamnen", "Hamnen på kvällen"],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out).0.contains("renamed view \"Hamnen\""),
        "{}",
        text(&out).0
    );
    // Taken and missing titles are refused and change nothing.
    let out = run_cli_in(
        root,
        &["view", "rename", "p.gpkg", "Centrum", "Hela kommunen"],
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("exists already"), "{}", text(&out).1);
    let out = run_cli_in(root, &["view", "rename", "p.gpkg", "Saknas", "X"]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no saved view titled \"Saknas\""));
    let out = run_cli_in(root, &["view", "rename", "p.gpkg", "Centrum", " "]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("title is empty"), "{}", text(&out).1);

    let out = run_cli_in(root, &["view", "remove", "p.gpkg", "Centrum"]);
    assert_exit(&out, 0);
    let out = run_cli_in(root, &["view", "remove", "p.gpkg", "Centrum"]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no saved view titled \"Centrum\""));

    let out = run_cli_in(root, &["view", "list", "p.gpkg"]);
    let listed = text(&out).0;
    assert!(listed.contains(" 1. Hamnen på kvällen"), "{listed}");
    assert!(listed.contains(" 2. Hela kommunen"), "{listed}");
    assert!(!listed.contains("Centrum"), "{listed}");
    let views = lagesbild::store::open(dir.path("p.gpkg"))
        .unwrap()
        .views()
        .unwrap();
    assert_eq!(views[0].notes, "Visa centrum först.");
    assert_valid_gpkg(&dir.path("p.gpkg"));
}
