//! The one integration-test binary: behaviour through the `lagesbild` binary,
//! the public library API and (feature `gui`) egui_kittest.

mod util;

mod analysis;
mod cli;
mod crs;
mod csv_crs;
mod db_sync;
mod demo;
mod durable;
mod edit;
#[cfg(feature = "gui")]
mod engine;
mod export;
mod follow;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_areadl;
#[cfg(feature = "gui")]
mod gui_db;
#[cfg(feature = "gui")]
mod gui_edit;
#[cfg(feature = "gui")]
mod gui_follow;
#[cfg(feature = "gui")]
mod gui_heatgui;
#[cfg(feature = "gui")]
mod gui_import_gpkg;
#[cfg(feature = "gui")]
mod gui_import_report;
#[cfg(feature = "gui")]
mod gui_layers;
#[cfg(feature = "gui")]
mod gui_mapui;
#[cfg(all(feature = "gui", feature = "postgres"))]
mod gui_pg_live;
#[cfg(all(feature = "gui", feature = "postgres"))]
mod gui_pg_plan;
mod gui_place_search;
#[cfg(feature = "gui")]
mod gui_plan;
mod gui_present;
#[cfg(feature = "gui")]
mod gui_rejects;
#[cfg(feature = "gui")]
mod gui_time;
#[cfg(feature = "gui")]
mod gui_util;
#[cfg(feature = "harvest")]
mod harvest;
mod import_csv;
mod import_json;
mod import_outline;
#[cfg(unix)]
mod kill_import;
mod layers;
#[cfg(feature = "gui")]
mod map_layer;
#[cfg(feature = "gui")]
mod panels;
#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "postgres")]
mod pg_cache;
#[cfg(feature = "postgres")]
mod pg_import;
#[cfg(feature = "postgres")]
mod pg_perf;
#[cfg(feature = "postgres")]
mod pg_plan;
#[cfg(feature = "postgres")]
mod pg_sync;
mod plan;
mod polisen;
mod privacy;
mod props;
#[cfg(feature = "gui")]
mod render;
#[cfg(feature = "gui")]
mod report;
mod retention;
mod robust;
mod route;
mod store;
#[cfg(target_os = "linux")]
mod stream;
#[cfg(feature = "gui")]
mod tiles;
mod time_patterns;
mod views;
