//! The export log: one record per file written out of a project (an
//! analysis layer, a raster, a map picture, a report, an incident export, a
//! view or plan file), so the unit can answer "what left the project, when,
//! with which fields, and who did it" (issue 21).
//!
//! The store keeps the records (the GeoPackage in the table
//! `lagesbild_export_log`, created on the first export); the command line
//! and the app add one after each export has been written.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One export, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRecord {
    /// When it was written (UTC).
    pub at: DateTime<Utc>,
    /// What was exported: the command or dialog, e.g. `heatmap`, `export`,
    /// `report`, `app: hotspots`.
    pub what: String,
    /// The file's name (no directories: a path may name a person's home).
    pub file: String,
    /// The fields (properties, columns) the file carries.
    pub fields: Vec<String>,
    /// Who exported it: the OS login (`USER` / `USERNAME`), or the database
    /// login of a shared store. `None` when it cannot be told.
    pub login: Option<String>,
    /// The app that wrote it, e.g. `Lagesbild/0.1.0`.
    pub app: String,
}

impl ExportRecord {
    /// A record made now by this app and the current OS login.
    pub fn now(what: &str, file: &std::path::Path, fields: &[String]) -> ExportRecord {
        ExportRecord {
            at: Utc::now(),
            what: what.to_owned(),
            file: file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string()),
            fields: fields.to_vec(),
            login: os_login(),
            app: crate::APP_NAME_VERSION.to_owned(),
        }
    }
}

/// The OS login name: `USER` (Unix), `USERNAME` (Windows), `LOGNAME`.
pub fn os_login() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_keeps_the_file_name_only() {
        let r = ExportRecord::now(
            "heatmap",
            std::path::Path::new("/home/anna/Skrivbord/heat.tif"),
            &["density".to_owned()],
        );
        assert_eq!(r.file, "heat.tif");
        assert_eq!(r.what, "heatmap");
        assert_eq!(r.fields, vec!["density"]);
        assert!(r.app.starts_with("Lagesbild/"));
    }
}
