//! The area download in the app (task "areadl"): the View menu offers it only for a
//! source whose terms allow it, and its window shows the tile count for the view.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::UiState;
use lagesbild::gui::map::tiles::{SourceKind, TileCatalog, TileManager, TileSourceConfig};

use crate::gui_util::{demo, settle};
use crate::util::Dir;

const MENU: &str = "Ladda ner kartområde för offlinebruk …";

fn app_with_source(
    path: std::path::PathBuf,
    source: TileSourceConfig,
) -> Harness<'static, LagesbildApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            let catalog = TileCatalog {
                sources: vec![source.clone(), TileSourceConfig::openstreetmap()],
                path: None,
                error: None,
            };
            // No server listens on port 9: tiles just fail, nothing leaves the machine.
            LagesbildApp::with_state(&cc.egui_ctx, UiState::default(), Some(path.clone()))
                .with_tile_manager(TileManager::new(&cc.egui_ctx, catalog, None))
        })
}

fn local_source(allow: bool) -> TileSourceConfig {
    TileSourceConfig {
        name: "Testkarta".to_owned(),
        kind: SourceKind::Xyz {
            url: "http://127.0.0.1:9/{z}/{x}/{y}.png".to_owned(),
            subdomains: Vec::new(),
        },
        attribution: "© Testkartan".to_owned(),
        attribution_url: String::new(),
        max_zoom: 18,
        allow_area_download: allow,
    }
}

#[test]
fn the_view_menu_offers_area_download_only_when_the_source_allows_it() {
    let dir = Dir::new();
    let project = demo(&dir, "50");

    let mut h = app_with_source(project.clone(), TileSourceConfig::openstreetmap());
    settle(&mut h);
    h.get_by_label("Visa").click();
    h.run_steps(2);
    assert!(h.get_by_label(MENU).accesskit_node().is_disabled());

    let mut h = app_with_source(project, local_source(true));
    settle(&mut h);
    h.get_by_label("Visa").click();
    h.run_steps(2);
    let item = h.get_by_label(MENU);
    assert!(!item.accesskit_node().is_disabled());
    item.click();
    h.run_steps(3);
    // The window for the view shown: zooms current..current+2, a tile count and Start.
    h.get_by_label("Ladda ner kartområde");
    h.get_by_label("Kartrutor att hämta");
    assert!(!h.get_by_label("Starta").accesskit_node().is_disabled());
    h.get_by_label("Stäng").click();
    h.run_steps(3);
    assert!(h.query_by_label("Kartrutor att hämta").is_none());

    // Switching to OpenStreetMap in View > Bakgrundskarta disables it.
    h.get_by_label("Visa").click();
    h.run_steps(2);
    h.get_by_label("Bakgrundskarta").click();
    h.run_steps(2);
    h.get_by_label("OpenStreetMap").click();
    h.run_steps(3);
    if h.query_by_label(MENU).is_none() {
        h.get_by_label("Visa").click();
        h.run_steps(2);
    }
    assert!(h.get_by_label(MENU).accesskit_node().is_disabled());
}
