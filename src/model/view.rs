//! Saved views: what the map shows for one slide of a presentation.
//!
//! A [`SavedView`] keeps the map extent (WGS 84), the layers in drawing order
//! with their visibility and opacity, the filter, the analysis parameters, a
//! title and speaker notes. Views are kept in the project (see
//! [`crate::store::Store::views`]) and travel as a readable JSON file
//! ([`ViewFile`]), so a presentation can be prepared ahead on another
//! machine. Plain data, no I/O beyond (de)serialising text.

use serde::{Deserialize, Serialize};

use crate::model::{Filter, HourRange, LonLat};

/// The `format` value of a view file.
pub const VIEW_FILE_FORMAT: &str = "lagesbild-views";

/// The heatmap kernels a view may name.
pub const KERNEL_KEYS: [&str; 2] = ["quartic", "gaussian"];

/// The version of the view file layout this build writes and reads.
pub const VIEW_FILE_VERSION: u32 = 1;

/// Layer keys of the built-in layers (see [`ViewLayer::id`]).
pub mod layer_keys {
    pub const INCIDENTS: &str = "incidents";
    pub const HEATMAP: &str = "heatmap";
    pub const HOTSPOTS: &str = "hotspots";
    pub const STRATEGIC_PLACES: &str = "strategic_places";
    pub const PATROL_AREAS: &str = "patrol_areas";
    pub const ROUTES: &str = "routes";
    /// Prefix of a project map layer's key: `layer:` + its name.
    pub const LAYER_PREFIX: &str = "layer:";
}

/// The map area a view shows: lower-left and upper-right corner, WGS 84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ViewExtent {
    pub min: LonLat,
    pub max: LonLat,
}

impl ViewExtent {
    /// The extent spanned by two corners in any order.
    pub fn from_corners(a: LonLat, b: LonLat) -> ViewExtent {
        ViewExtent {
            min: LonLat::new(a.lon.min(b.lon), a.lat.min(b.lat)),
            max: LonLat::new(a.lon.max(b.lon), a.lat.max(b.lat)),
        }
    }

    /// Its centre.
    pub fn center(&self) -> LonLat {
        LonLat::new(
            (self.min.lon + self.max.lon) / 2.0,
            (self.min.lat + self.max.lat) / 2.0,
        )
    }

    fn check(&self) -> Result<(), String> {
        let finite = [self.min.lon, self.min.lat, self.max.lon, self.max.lat]
            .iter()
            .all(|v| v.is_finite());
        if !finite {
            return Err("extent has a coordinate that is not a number".into());
        }
        if !(-180.0..=180.0).contains(&self.min.lon)
            || !(-180.0..=180.0).contains(&self.max.lon)
            || !(-90.0..=90.0).contains(&self.min.lat)
            || !(-90.0..=90.0).contains(&self.max.lat)
        {
            return Err("extent is not WGS 84 longitude/latitude".into());
        }
        if self.min.lon > self.max.lon || self.min.lat > self.max.lat {
            return Err("extent's min corner lies above or right of its max corner".into());
        }
        Ok(())
    }
}

/// One layer of a view: which, whether shown, how opaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewLayer {
    /// A key of [`layer_keys`], or `layer:` + a project map layer's name.
    pub id: String,
    pub visible: bool,
    /// 0 (transparent) to 1 (opaque).
    pub opacity: f32,
}

/// The analysis parameters a view uses (as the app's analysis panel sets them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewAnalysis {
    /// Heatmap bandwidth, metres.
    pub bandwidth_m: f64,
    /// Heatmap cell, metres; `None` = automatic.
    pub heat_cell_m: Option<f64>,
    /// The heatmap kernel's key: one of [`KERNEL_KEYS`] (the keys of
    /// `analysis::heatmap::Kernel`, which the model cannot name).
    pub kernel: String,
    /// Hotspot grid cell, metres.
    pub hotspot_cell_m: f64,
    /// Hotspot distance band, metres.
    pub band_m: f64,
    /// Walking radius of a strategic place, metres.
    pub radius_m: f64,
    /// Number of strategic places.
    pub k: usize,
    /// Hours the strategic places look at.
    pub places_hours: HourRange,
}

impl Default for ViewAnalysis {
    fn default() -> Self {
        ViewAnalysis {
            bandwidth_m: 200.0,
            heat_cell_m: None,
            kernel: KERNEL_KEYS[0].to_owned(),
            hotspot_cell_m: 100.0,
            band_m: 300.0,
            radius_m: 300.0,
            k: 6,
            places_hours: HourRange::EVENINGS_AND_NIGHTS,
        }
    }
}

impl ViewAnalysis {
    fn check(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "analysis {name} must be a positive number of metres"
                ))
            }
        };
        if !KERNEL_KEYS.contains(&self.kernel.as_str()) {
            return Err(format!(
                "analysis kernel {:?} is none of {}",
                self.kernel,
                KERNEL_KEYS.join(", ")
            ));
        }
        positive("bandwidth_m", self.bandwidth_m)?;
        if let Some(c) = self.heat_cell_m {
            positive("heat_cell_m", c)?;
        }
        positive("hotspot_cell_m", self.hotspot_cell_m)?;
        positive("band_m", self.band_m)?;
        positive("radius_m", self.radius_m)?;
        if self.k == 0 {
            return Err("analysis k must be at least 1".into());
        }
        Ok(())
    }
}

/// A saved view: see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    /// The title, shown large in presentation mode; also the view's name
    /// (unique in a project, compared exactly).
    pub title: String,
    /// Speaker notes (free text the presenter wrote; never shown on the map).
    #[serde(default)]
    pub notes: String,
    pub extent: ViewExtent,
    /// Layers top first (the first is drawn on top). Layers not listed keep
    /// their current state when the view is shown.
    #[serde(default)]
    pub layers: Vec<ViewLayer>,
    #[serde(default)]
    pub filter: Filter,
    #[serde(default)]
    pub analysis: ViewAnalysis,
}

impl SavedView {
    /// Checks what a file or a caller may get wrong: an empty title, a bad
    /// extent, opacities outside 0..=1, bad analysis parameters, a bad filter.
    pub fn validate(&self) -> Result<(), ViewError> {
        let bad = |reason: String| ViewError::Invalid {
            title: self.title.clone(),
            reason,
        };
        if self.title.trim().is_empty() {
            return Err(bad("the title is empty".into()));
        }
        self.extent.check().map_err(bad)?;
        for l in &self.layers {
            if l.id.trim().is_empty() {
                return Err(bad("a layer has no id".into()));
            }
            if !(l.opacity.is_finite() && (0.0..=1.0).contains(&l.opacity)) {
                return Err(bad(format!(
                    "layer {:?}: opacity {} is not between 0 and 1",
                    l.id, l.opacity
                )));
            }
        }
        self.analysis.check().map_err(bad)?;
        self.filter.validate().map_err(|e| bad(e.to_string()))?;
        Ok(())
    }
}

/// Why a view or a view file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("view {title:?}: {reason}")]
    Invalid { title: String, reason: String },
    #[error("line {line}, column {column}: {reason}")]
    Syntax {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("not a Lägesbild view file (format is {found:?}, expected {VIEW_FILE_FORMAT:?})")]
    WrongFormat { found: String },
    #[error("view file version {found} is newer than this app understands ({VIEW_FILE_VERSION})")]
    TooNew { found: u32 },
    #[error("two views are titled {title:?}")]
    DuplicateTitle { title: String },
}

/// A file of views, in presentation order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewFile {
    /// Always [`VIEW_FILE_FORMAT`].
    pub format: String,
    /// [`VIEW_FILE_VERSION`] when written by this build.
    pub version: u32,
    pub views: Vec<SavedView>,
}

impl ViewFile {
    /// A file holding `views`.
    pub fn new(views: Vec<SavedView>) -> ViewFile {
        ViewFile {
            format: VIEW_FILE_FORMAT.to_owned(),
            version: VIEW_FILE_VERSION,
            views,
        }
    }

    /// The file as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads a view file, checking its format, version and every view.
    pub fn from_json(text: &str) -> Result<ViewFile, ViewError> {
        let file: ViewFile = serde_json::from_str(text).map_err(|e| ViewError::Syntax {
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })?;
        if file.format != VIEW_FILE_FORMAT {
            return Err(ViewError::WrongFormat { found: file.format });
        }
        if file.version > VIEW_FILE_VERSION {
            return Err(ViewError::TooNew {
                found: file.version,
            });
        }
        check_views(&file.views)?;
        Ok(file)
    }
}

/// Checks each view and that no two share a title.
pub fn check_views(views: &[SavedView]) -> Result<(), ViewError> {
    let mut seen = std::collections::BTreeSet::new();
    for v in views {
        v.validate()?;
        if !seen.insert(v.title.as_str()) {
            return Err(ViewError::DuplicateTitle {
                title: v.title.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Category;

    pub(crate) fn sample(title: &str) -> SavedView {
        SavedView {
            title: title.to_owned(),
            notes: "Börja med centrum.".into(),
            extent: ViewExtent::from_corners(LonLat::new(14.60, 56.06), LonLat::new(14.55, 56.04)),
            layers: vec![ViewLayer {
                id: layer_keys::HEATMAP.into(),
                visible: true,
                opacity: 0.5,
            }],
            filter: Filter {
                categories: Some([Category::Vald].into_iter().collect()),
                ..Filter::default()
            },
            analysis: ViewAnalysis {
                bandwidth_m: 350.0,
                ..ViewAnalysis::default()
            },
        }
    }

    #[test]
    fn a_view_file_round_trips_through_json() {
        let file = ViewFile::new(vec![sample("Centrum"), sample("Hela kommunen")]);
        let text = file.to_json();
        assert!(text.contains("\"title\": \"Centrum\""), "{text}");
        assert!(text.contains("\"bandwidth_m\": 350.0"), "{text}");
        let back = ViewFile::from_json(&text).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.views[0].extent.min, LonLat::new(14.55, 56.04));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let err = ViewFile::from_json("{\n  \"format\": \"lagesbild-views\",\n  oops").unwrap_err();
        assert!(matches!(err, ViewError::Syntax { line: 3, .. }), "{err}");

        let mut other = ViewFile::new(vec![]);
        other.format = "qgis".into();
        let err = ViewFile::from_json(&other.to_json()).unwrap_err();
        assert!(matches!(err, ViewError::WrongFormat { .. }), "{err}");

        let mut newer = ViewFile::new(vec![]);
        newer.version = VIEW_FILE_VERSION + 1;
        assert!(matches!(
            ViewFile::from_json(&newer.to_json()),
            Err(ViewError::TooNew { .. })
        ));

        let twice = ViewFile::new(vec![sample("A"), sample("A")]);
        assert!(matches!(
            ViewFile::from_json(&twice.to_json()),
            Err(ViewError::DuplicateTitle { .. })
        ));

        let mut v = sample("B");
        v.layers[0].opacity = 50.0;
        let err = v.validate().unwrap_err().to_string();
        assert!(err.contains("opacity 50"), "{err}");
        let mut v = sample("C");
        v.extent.min.lat = 300.0;
        assert!(v.validate().is_err());
        let mut v = sample(" ");
        v.title = " ".into();
        assert!(v.validate().unwrap_err().to_string().contains("title"));
        let mut v = sample("D");
        v.analysis.radius_m = 0.0;
        assert!(v.validate().unwrap_err().to_string().contains("radius_m"));
    }

    #[test]
    fn kernel_keys_are_the_analysis_kernels() {
        for key in KERNEL_KEYS {
            let kernel = crate::analysis::heatmap::Kernel::from_key(key).unwrap();
            assert_eq!(kernel.key(), key);
        }
        let mut v = sample("K");
        v.analysis.kernel = "epanechnikov".into();
        assert!(v.validate().unwrap_err().to_string().contains("kernel"));
    }

    #[test]
    fn missing_optional_parts_take_defaults() {
        let text = r#"{"format":"lagesbild-views","version":1,"views":[
            {"title":"X","extent":{"min":{"lon":14.5,"lat":56.0},"max":{"lon":14.6,"lat":56.1}}}]}"#;
        let file = ViewFile::from_json(text).unwrap();
        let v = &file.views[0];
        assert!(v.layers.is_empty());
        assert_eq!(v.filter, Filter::default());
        assert_eq!(v.analysis, ViewAnalysis::default());
        assert_eq!(v.notes, "");
    }
}
