//! Shape layers in the app: GeoJSON layers the user adds to the project
//! (File > "Lägg till kartlager"), listed in the layer panel with a colour,
//! visibility, opacity and a remove button, and drawn by
//! [`crate::gui::map::overlays`]. A child module of `app`.
//!
//! Adding and removing change the project file, so they run as [`Task`]s;
//! the incidents are not read again.

use std::path::PathBuf;

use super::{LagesbildApp, ViewRequest};
use crate::gui::i18n::{self, Key, tr};
use crate::gui::map::overlays::{LAYER_COLORS, OverlayLayer};
use crate::gui::panels::LayerId;
use crate::gui::tasks::{self, Task};
use crate::model::shape::FeatureSet;

/// What a finished add or remove task hands back.
pub(super) enum ShapeJobDone {
    Added {
        layers: Vec<FeatureSet>,
        name: String,
    },
    Removed {
        layers: Vec<FeatureSet>,
    },
}

/// The app's shape-layer state.
#[derive(Default)]
pub(super) struct OverlayState {
    pub(super) layers: Vec<OverlayLayer>,
    pub(super) job: Option<Task<ShapeJobDone>>,
}

impl LagesbildApp {
    /// The shape layers drawn on the map.
    pub fn shape_layers(&self) -> &[OverlayLayer] {
        &self.overlays.layers
    }

    /// True while a shape layer is being added or removed.
    pub fn is_changing_shape_layers(&self) -> bool {
        self.overlays.job.is_some()
    }

    /// Shows `layers` (the project's, just read) and lists them in the
    /// layer panel.
    pub(super) fn set_shape_layers(&mut self, layers: Vec<FeatureSet>) {
        self.overlays.layers = layers
            .into_iter()
            .enumerate()
            .map(|(i, s)| OverlayLayer::new(s, LAYER_COLORS[i % LAYER_COLORS.len()]))
            .collect();
        let lang = self.state.language;
        let listed: Vec<_> = self
            .overlays
            .layers
            .iter()
            .map(|l| {
                let n = l.features.features.len() as u64;
                let text = format!("{} {}", i18n::count(lang, n), tr(lang, Key::ShapesUnit));
                (l.name().to_owned(), l.color, text)
            })
            .collect();
        self.layers.sync_shape_layers(&listed, &self.state.layers);
        self.state.layers = self.layers.settings();
    }

    /// Reads `file` and adds it to the open project as a map layer (what
    /// the menu and the file browser call).
    pub fn add_shape_layer(&mut self, ctx: &egui::Context, file: PathBuf) {
        let Some(project) = self.project.as_ref().map(|p| p.loaded.path.clone()) else {
            self.message = Some(tr(self.state.language, Key::OpenAProjectFirst).to_owned());
            return;
        };
        if self.overlays.job.is_some() {
            return;
        }
        self.overlays.job = Some(Task::spawn(ctx, "add-layer", move |_, _| {
            let (layers, name) = tasks::add_shape_layer(&project, &file)?;
            Ok(ShapeJobDone::Added { layers, name })
        }));
    }

    /// Removes the map layer `name` from the open project.
    pub fn remove_shape_layer(&mut self, ctx: &egui::Context, name: String) {
        let Some(project) = self.project.as_ref().map(|p| p.loaded.path.clone()) else {
            return;
        };
        if self.overlays.job.is_some() {
            return;
        }
        self.overlays.job = Some(Task::spawn(ctx, "remove-layer", move |_, _| {
            let layers = tasks::remove_shape_layer(&project, &name)?;
            Ok(ShapeJobDone::Removed { layers })
        }));
    }

    /// Takes a finished add or remove (called from `poll_tasks`).
    pub(super) fn poll_shape_job(&mut self) {
        let lang = self.state.language;
        let Some(result) = self.overlays.job.as_ref().and_then(|t| t.try_take()) else {
            return;
        };
        self.overlays.job = None;
        match result {
            Ok(ShapeJobDone::Added { layers, name }) => {
                self.set_shape_layers(layers);
                let added = self.overlays.layers.iter().find(|l| l.name() == name);
                if let Some((min, max)) = added.and_then(OverlayLayer::extent) {
                    self.view_request = Some(ViewRequest::Extent(min, max));
                }
                if let Some(entry) = self.layers.get_mut(&LayerId::GeoJson(name.clone())) {
                    entry.visible = true;
                }
                self.message = Some(format!("{}: {name}", tr(lang, Key::ShapeLayerAdded)));
            }
            Ok(ShapeJobDone::Removed { layers }) => {
                self.set_shape_layers(layers);
                self.message = Some(tr(lang, Key::ShapeLayerRemoved).to_owned());
            }
            Err(err) => {
                self.message = Some(format!("{}: {err:#}", tr(lang, Key::ShapeLayerFailed)));
            }
        }
    }
}
