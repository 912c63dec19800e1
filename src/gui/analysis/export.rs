//! Exports from the app: the current analysis results written with the
//! export library (GeoTIFF, PNG + world file, GeoJSON, GeoPackage), with
//! their `MadeFrom` provenance. Aggregated results only, never descriptions.

use std::path::{Path, PathBuf};

use crate::analysis::AnalysisError;
use crate::export::{self, OutputKind, layers};
use crate::gui::i18n::{Key, Language, tr};

use super::task::AnalysisOutput;

/// What to export, and in which format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportTarget {
    HeatmapGeoTiff,
    HeatmapPng,
    /// Density classes as polygons (isobands).
    HeatmapGeoJson,
    HotspotsGeoJson,
    HotspotsGpkg,
    PlacesGeoJson,
    PlacesGpkg,
}

impl ExportTarget {
    pub const ALL: [ExportTarget; 7] = [
        ExportTarget::HeatmapGeoTiff,
        ExportTarget::HeatmapPng,
        ExportTarget::HeatmapGeoJson,
        ExportTarget::HotspotsGeoJson,
        ExportTarget::HotspotsGpkg,
        ExportTarget::PlacesGeoJson,
        ExportTarget::PlacesGpkg,
    ];

    /// The file extension written (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            ExportTarget::HeatmapGeoTiff => "tif",
            ExportTarget::HeatmapPng => "png",
            ExportTarget::HeatmapGeoJson
            | ExportTarget::HotspotsGeoJson
            | ExportTarget::PlacesGeoJson => "geojson",
            ExportTarget::HotspotsGpkg | ExportTarget::PlacesGpkg => "gpkg",
        }
    }

    /// The file name the save dialog suggests.
    pub fn default_file_name(self) -> String {
        let stem = match self {
            ExportTarget::HeatmapGeoTiff | ExportTarget::HeatmapPng => "varmekarta",
            ExportTarget::HeatmapGeoJson => "varmekarta_klasser",
            ExportTarget::HotspotsGeoJson | ExportTarget::HotspotsGpkg => "brannpunkter",
            ExportTarget::PlacesGeoJson | ExportTarget::PlacesGpkg => "strategiska_platser",
        };
        format!("{stem}.{}", self.extension())
    }

    /// The menu entry.
    pub fn label(self, lang: Language) -> &'static str {
        tr(
            lang,
            match self {
                ExportTarget::HeatmapGeoTiff => Key::AnExportHeatTiff,
                ExportTarget::HeatmapPng => Key::AnExportHeatPng,
                ExportTarget::HeatmapGeoJson => Key::AnExportHeatGeoJson,
                ExportTarget::HotspotsGeoJson => Key::AnExportHotGeoJson,
                ExportTarget::HotspotsGpkg => Key::AnExportHotGpkg,
                ExportTarget::PlacesGeoJson => Key::AnExportPlacesGeoJson,
                ExportTarget::PlacesGpkg => Key::AnExportPlacesGpkg,
            },
        )
    }

    /// Is there a result to export in `output`?
    pub fn available(self, output: &AnalysisOutput) -> bool {
        match self {
            ExportTarget::HeatmapGeoTiff
            | ExportTarget::HeatmapPng
            | ExportTarget::HeatmapGeoJson => output.heatmap.is_ok(),
            ExportTarget::HotspotsGeoJson | ExportTarget::HotspotsGpkg => output.hotspots.is_ok(),
            ExportTarget::PlacesGeoJson | ExportTarget::PlacesGpkg => output.places.is_ok(),
        }
    }

    /// `path` with this target's extension added unless it has it already.
    pub fn with_extension(self, path: &Path) -> PathBuf {
        let want = self.extension();
        let kind_matches =
            OutputKind::from_path(path) == OutputKind::from_path(Path::new(&format!("x.{want}")));
        if kind_matches {
            path.to_path_buf()
        } else {
            let mut s = path.as_os_str().to_os_string();
            s.push(".");
            s.push(want);
            PathBuf::from(s)
        }
    }
}

/// Why an export from the app failed.
#[derive(Debug, thiserror::Error)]
pub enum AppExportError {
    #[error("{0}")]
    Export(#[from] export::ExportError),
    #[error("{path}: nothing to export: {source}")]
    NoResult {
        path: PathBuf,
        source: AnalysisError,
    },
}

/// Writes `target` from `output` to `path` (its extension added if missing);
/// returns every file written (a PNG also writes its world file and `.prj`).
pub fn write_export(
    output: &AnalysisOutput,
    target: ExportTarget,
    path: &Path,
) -> Result<Vec<PathBuf>, AppExportError> {
    write_export_with_fields(output, target, path).map(|(files, _)| files)
}

/// As [`write_export`], and records the export in `project`'s export log
/// (what, file name, fields, login) once the files are written.
pub fn write_export_logged(
    output: &AnalysisOutput,
    target: ExportTarget,
    path: &Path,
    project: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let (files, fields) = write_export_with_fields(output, target, path)?;
    if let Some(first) = files.first() {
        let what = format!("app: {}", target.default_file_name());
        export::record_export(project, &what, first, &fields)?;
    }
    Ok(files)
}

/// Writes the files and says which fields they carry.
fn write_export_with_fields(
    output: &AnalysisOutput,
    target: ExportTarget,
    path: &Path,
) -> Result<(Vec<PathBuf>, Vec<String>), AppExportError> {
    let path = target.with_extension(path);
    let missing = |e: &AnalysisError| AppExportError::NoResult {
        path: path.clone(),
        source: e.clone(),
    };
    match target {
        ExportTarget::HeatmapGeoTiff | ExportTarget::HeatmapPng | ExportTarget::HeatmapGeoJson => {
            let heat = output.heatmap.as_ref().map_err(missing)?;
            let grid = &heat.heatmap.grid;
            match target {
                ExportTarget::HeatmapGeoTiff => {
                    export::raster::write_geotiff(grid, &path)?;
                    Ok((vec![path], vec!["density_per_km2".to_owned()]))
                }
                ExportTarget::HeatmapPng => {
                    let (pgw, prj) = export::raster::write_png(grid, &path)?;
                    Ok((vec![path, pgw, prj], vec!["density_per_km2".to_owned()]))
                }
                _ => {
                    let layer = layers::heatmap_layer(grid, &heat.edges, heat.made_from.clone());
                    export::geojson::write(&layer, &path)?;
                    Ok((vec![path], layer.property_names()))
                }
            }
        }
        ExportTarget::HotspotsGeoJson | ExportTarget::HotspotsGpkg => {
            let hot = output.hotspots.as_ref().map_err(missing)?;
            let layer = layers::hotspot_layer(
                &hot.hotspots,
                layers::HotspotExport::default(),
                hot.made_from.clone(),
            );
            if target == ExportTarget::HotspotsGpkg {
                export::gpkg::write_layer(&layer, &path)?;
            } else {
                export::geojson::write(&layer, &path)?;
            }
            Ok((vec![path], layer.property_names()))
        }
        ExportTarget::PlacesGeoJson | ExportTarget::PlacesGpkg => {
            let places = output.places.as_ref().map_err(missing)?;
            // As `lagesbild places` writes them: a place covering fewer than
            // the minimum count is left out, small gains are null.
            let (shown, _) = export::privacy::suppress_places(
                &places.places,
                export::privacy::DEFAULT_MIN_COUNT,
            );
            // The file's description states the covered total too: as shown.
            let mut made_from = places.made_from.clone();
            if let Some(parameters) = made_from.parameters.as_object_mut() {
                for (key, v) in [
                    ("covered", shown.covered),
                    ("share", shown.share),
                    ("upper_bound", shown.upper_bound),
                ] {
                    parameters.insert(key.to_owned(), serde_json::json!(v));
                }
            }
            let layer = layers::places_layer(&shown, made_from);
            if target == ExportTarget::PlacesGpkg {
                export::gpkg::write_layer(&layer, &path)?;
            } else {
                export::geojson::write(&layer, &path)?;
            }
            Ok((vec![path], layer.property_names()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_added_once() {
        let t = ExportTarget::HotspotsGeoJson;
        assert_eq!(
            t.with_extension(Path::new("/tmp/a")),
            Path::new("/tmp/a.geojson")
        );
        assert_eq!(
            t.with_extension(Path::new("/tmp/a.json")),
            Path::new("/tmp/a.json")
        );
        assert_eq!(
            ExportTarget::HeatmapGeoTiff.with_extension(Path::new("h.TIFF")),
            Path::new("h.TIFF")
        );
        assert_eq!(
            ExportTarget::PlacesGpkg.with_extension(Path::new("p.geojson")),
            Path::new("p.geojson.gpkg")
        );
        for t in ExportTarget::ALL {
            assert_eq!(
                OutputKind::from_path(Path::new(&t.default_file_name())),
                OutputKind::from_path(Path::new(&format!("x.{}", t.extension())))
            );
        }
    }
}
