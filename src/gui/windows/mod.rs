//! Windows the app opens over the map.

pub mod file_browser;
pub mod incident_editor;
