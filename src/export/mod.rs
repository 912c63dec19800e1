//! Exports of analysis results: GeoJSON (RFC 7946), PNG with a world file,
//! GeoTIFF and GeoPackage layers. No egui here; the CLI and the app call the
//! same functions.
//!
//! Every vector export goes through one plain form, a [`Layer`]: features
//! with `geo` geometry in SWEREF 99 TM metres (EPSG:3006) and flat properties, plus
//! [`MadeFrom`], which says what the layer was made from. The writers convert
//! to WGS84 (GeoJSON) or keep SWEREF 99 TM (GeoPackage). Only aggregated
//! results are exported: never incident descriptions or any per-incident data,
//! except by [`incidents`], the deliberate incident export, which writes only
//! the fields asked for (no free text by default).
//!
//! | file | what it holds |
//! |------|---------------|
//! | `change.rs` | the change map's tested cells as a [`Layer`] |
//! | `geojson.rs` | the RFC 7946 writer |
//! | `isobands.rs` | density classes of a grid traced into polygons with holes |
//! | `layers.rs` | heatmap, hotspot and places results as [`Layer`]s |
//! | `raster.rs` | PNG + world file + `.prj`, GeoTIFF |
//! | `gpkg.rs` | layers into a new or existing GeoPackage |
//! | `incidents.rs` | incidents one by one (CSV, GeoJSON, GeoPackage), chosen fields only |
//! | `route.rs` | a walking loop and its stops as GeoJSON or GPX 1.1 |

pub mod change;
pub mod coverage;
pub mod dose;
pub mod evaluation;
pub mod geojson;
pub mod gpkg;
pub mod incidents;
pub mod isobands;
pub mod layers;
pub mod plan;
pub mod privacy;
pub mod raster;
pub mod route;

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::model::IncidentPoint;
use crate::model::{Filter, time};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: database error: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path}: PNG encoding failed: {reason}")]
    Png { path: PathBuf, reason: String },
    #[error("{path}: a layer named {layer:?} exists already; choose another --layer name")]
    LayerExists { path: PathBuf, layer: String },
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One exported feature: the core's [`crate::model::shape::Feature`], here
/// with its `geo` geometry (Point, Polygon or MultiPolygon from the analyses)
/// in SWEREF 99 TM metres and flat properties (numbers, strings, booleans; a
/// property missing from a feature is written as absent / NULL).
pub use crate::model::shape::Feature;

/// What a layer was made from; written as the foreign member `lagesbild`
/// of a GeoJSON FeatureCollection and as the layer description in a
/// GeoPackage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MadeFrom {
    /// The project's name.
    pub project: String,
    /// True when the project is the synthetic demo.
    pub synthetic: bool,
    /// [`Filter::describe`] of the filter used (with the time window).
    pub filter: String,
    /// First and last local date of the incidents used.
    pub period: Option<[NaiveDate; 2]>,
    /// Incidents that went into the analysis.
    pub incidents: usize,
    /// Incidents left out for a coarse position.
    pub coarse_excluded: usize,
    /// The analysis and its parameters, e.g. `{"analysis": "hotspots", "cell_m": 100}`.
    pub parameters: Value,
    /// The app that wrote it, e.g. `Lagesbild/0.1.0`.
    pub made_by: String,
}

impl MadeFrom {
    /// Describes `points` (the incidents that passed `filter`), of which
    /// `incidents` went into the analysis and `coarse_excluded` were left out.
    pub fn new(
        project: &str,
        synthetic: bool,
        filter: &Filter,
        points: &[IncidentPoint],
        incidents: usize,
        coarse_excluded: usize,
        parameters: Value,
    ) -> MadeFrom {
        MadeFrom {
            project: project.to_owned(),
            synthetic,
            filter: filter.describe(),
            period: period(points.iter().map(|p| p.occurred_at)),
            incidents,
            coarse_excluded,
            parameters,
            made_by: crate::APP_NAME_VERSION.to_owned(),
        }
    }

    /// As JSON, for the GeoJSON foreign member.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// First and last local date of the instants.
pub fn period(times: impl Iterator<Item = DateTime<Utc>>) -> Option<[NaiveDate; 2]> {
    let (first, last) = times.fold(None, |acc: Option<(DateTime<Utc>, DateTime<Utc>)>, t| {
        Some(match acc {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        })
    })?;
    Some([
        time::local(first).date_naive(),
        time::local(last).date_naive(),
    ])
}

/// A layer ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Table name in a GeoPackage, e.g. `hotspots`.
    pub name: String,
    /// Human title.
    pub title: String,
    /// Geometry in SWEREF 99 TM metres.
    pub features: Vec<Feature>,
    pub made_from: MadeFrom,
}

impl Layer {
    /// The property names its features carry, in first-seen order (what an
    /// export of it holds, for the export log).
    pub fn property_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for f in &self.features {
            for k in f.properties.keys() {
                if !names.iter().any(|n| n == k) {
                    names.push(k.clone());
                }
            }
        }
        names
    }
}

/// Records that `file` was written from the project at `project` by `what`
/// with `fields`, in the project's export log (its own transaction). The
/// command line and the app call it once the file is complete.
pub fn record_export(
    project: &std::path::Path,
    what: &str,
    file: &std::path::Path,
    fields: &[String],
) -> Result<(), crate::store::StoreError> {
    let mut store = crate::store::open(project)?;
    record_export_in(store.as_mut(), what, file, fields)
}

/// [`record_export`] in a project that is open already (a command that
/// read from it: no second connection to a database).
pub fn record_export_in(
    store: &mut dyn crate::store::Store,
    what: &str,
    file: &std::path::Path,
    fields: &[String],
) -> Result<(), crate::store::StoreError> {
    store.log_export(&crate::store::export_log::ExportRecord::now(
        what, file, fields,
    ))
}

/// The output formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    GeoJson,
    GeoPackage,
    Png,
    GeoTiff,
}

impl OutputKind {
    /// From the file name's extension (case-insensitive): .geojson/.json,
    /// .gpkg, .png, .tif/.tiff.
    pub fn from_path(path: &std::path::Path) -> Option<OutputKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "geojson" | "json" => OutputKind::GeoJson,
            "gpkg" => OutputKind::GeoPackage,
            "png" => OutputKind::Png,
            "tif" | "tiff" => OutputKind::GeoTiff,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn period_is_in_local_dates() {
        assert_eq!(period(std::iter::empty()), None);
        // 23:30 UTC on 31 Dec is 00:30 local on 1 Jan.
        let a = Utc.with_ymd_and_hms(2024, 12, 31, 23, 30, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
        let p = period([a, b].into_iter()).unwrap();
        assert_eq!(p[0], NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
        assert_eq!(p[1], NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    }

    #[test]
    fn kinds_from_extensions() {
        use std::path::Path;
        assert_eq!(
            OutputKind::from_path(Path::new("a/heat.TIF")),
            Some(OutputKind::GeoTiff)
        );
        assert_eq!(
            OutputKind::from_path(Path::new("h.geojson")),
            Some(OutputKind::GeoJson)
        );
        assert_eq!(
            OutputKind::from_path(Path::new("h.gpkg")),
            Some(OutputKind::GeoPackage)
        );
        assert_eq!(
            OutputKind::from_path(Path::new("h.png")),
            Some(OutputKind::Png)
        );
        assert_eq!(OutputKind::from_path(Path::new("h.shp")), None);
        assert_eq!(OutputKind::from_path(Path::new("h")), None);
    }
}
