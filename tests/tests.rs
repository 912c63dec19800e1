//! The one integration-test binary: behaviour through the `lagesbild` binary,
//! the public library API and (feature `gui`) egui_kittest.

mod util;

mod analysis;
mod cli;
mod crs;
mod demo;
mod edit;
#[cfg(feature = "gui")]
mod engine;
mod export;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_areadl;
#[cfg(feature = "gui")]
mod gui_edit;
#[cfg(feature = "gui")]
mod gui_heatgui;
#[cfg(feature = "gui")]
mod gui_layers;
#[cfg(feature = "gui")]
mod gui_mapui;
#[cfg(feature = "gui")]
mod gui_plan;
#[cfg(feature = "gui")]
mod gui_util;
mod import_csv;
mod import_json;
mod layers;
mod plan;
#[cfg(feature = "gui")]
mod map_layer;
#[cfg(feature = "gui")]
mod panels;
mod route;
mod store;
#[cfg(feature = "gui")]
mod tiles;
