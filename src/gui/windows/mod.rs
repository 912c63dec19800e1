//! Windows the app opens over the map.

pub mod file_browser;
pub mod import_report;
pub mod import_text;
pub mod incident_editor;
