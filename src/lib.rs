//! Lägesbild: the situational picture of incidents for a municipality's safety
//! unit (Sölvesborgs kommun, Område trygghet, säkerhet och folkhälsa).
//!
//! # Layers
//! Dependencies run one way, top to bottom; nothing above `gui` knows egui.
//!
//! | module     | what it holds |
//! |------------|---------------|
//! | [`model`]  | incidents, categories, sources, filters, Swedish local time: plain data |
//! | [`log`]    | the rotating log file in the user's state directory (no incident data) |
//! | [`jobs`]   | progress and cancellation for long work |
//! | [`maps`]   | the background map catalogue `maps/tiles.toml`: entries and their parser |
//! | [`crs`]    | WGS84, SWEREF 99 (TM and local zones) and RT 90: conversion and detection |
//! | [`gazetteer`] | named places of the municipality (`data/gazetteer.csv`) and finding them in text |
//! | [`harvest`] | collecting the Police's events API on a schedule, within its rules |
//! | [`sweden`] | "inside Sweden" by Sweden's outline (`data/sverige.geojson`) with a margin |
//! | [`store`]  | the project file (an OGC GeoPackage) behind the [`store::Store`] trait |
//! | [`import`] | CSV, GeoJSON and Polisen event readers feeding the store |
//! | [`analysis`] | statistics over filtered incidents |
//! | [`network`] | walking networks (OpenStreetMap, GeoJSON lines) for routes |
//! | [`retention`] | how long incidents and tracks are kept; deleting what is past its time |
//! | [`export`] | GeoJSON, PNG + world file, GeoTIFF and GeoPackage exports of analysis results |
//! | [`demo`]   | the seeded, synthetic Sölvesborg demo project |
//! | `gui`      | the desktop app (feature `gui`) |
//!
//! The command-line interface lives in the binary (`src/cli/`) and is a thin
//! layer over these modules.

pub mod analysis;
pub mod crs;
pub mod demo;
pub mod export;
pub mod gazetteer;
pub mod harvest;
pub mod import;
pub mod jobs;
pub mod log;
pub mod maps;
pub mod model;
pub mod network;
pub mod retention;
pub mod store;
pub mod sweden;

#[cfg(feature = "gui")]
pub mod gui;
#[cfg(feature = "gui")]
pub mod render;
#[cfg(feature = "gui")]
pub mod report;

/// The app's name and version, e.g. for a User-Agent or file metadata.
pub const APP_NAME_VERSION: &str = concat!("Lagesbild/", env!("CARGO_PKG_VERSION"));
