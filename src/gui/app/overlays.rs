//! Map layers in the app: GeoJSON or GeoPackage layers the user adds to the
//! project (File > "Lägg till kartlager"), kept as feature tables (see
//! [`crate::store::layers`]), listed in the layer panel with their colour,
//! visibility, opacity and a remove button, and drawn by
//! [`crate::gui::map::overlays`]. A child module of `app`.
//!
//! Adding, removing and restyling change the project file, so they run as
//! [`Task`]s; the incidents are not read again. A layer's visibility, opacity
//! and place set in the panel are stored in the project (not in the user's
//! app settings), one save at a time, the last change winning.

use std::path::PathBuf;

use super::{LagesbildApp, ViewRequest};
use crate::gui::i18n::{self, Key, tr};
use crate::gui::map::overlays::OverlayLayer;
use crate::gui::panels::{LayerChange, LayerId, LayerSetting};
use crate::gui::tasks::{self, StoredLayer, Task};
use crate::store::layers::LayerStyle;

/// What a finished add or remove task hands back.
pub(super) enum ShapeJobDone {
    Added {
        layers: Vec<StoredLayer>,
        name: String,
    },
    Removed {
        layers: Vec<StoredLayer>,
    },
}

/// The app's shape-layer state.
#[derive(Default)]
pub(super) struct OverlayState {
    pub(super) layers: Vec<OverlayLayer>,
    pub(super) job: Option<Task<ShapeJobDone>>,
    /// The style save in flight.
    style_job: Option<Task<()>>,
    /// The panel changed a layer's style since the last save started.
    styles_changed: bool,
}

impl OverlayState {
    /// True while a layer is added, removed or its style saved (or due).
    pub(super) fn is_busy(&self) -> bool {
        self.job.is_some() || self.style_job.is_some() || self.styles_changed
    }
}

impl LagesbildApp {
    /// The shape layers drawn on the map.
    pub fn shape_layers(&self) -> &[OverlayLayer] {
        &self.overlays.layers
    }

    /// True while a shape layer is being added, removed or restyled.
    pub fn is_changing_shape_layers(&self) -> bool {
        self.overlays.is_busy()
    }

    /// Shows `layers` (the project's, just read, bottom first) in their
    /// stored colours and lists them in the layer panel; a layer new to the
    /// panel takes its stored visibility, opacity and place.
    pub(super) fn set_shape_layers(&mut self, layers: Vec<StoredLayer>) {
        let saved: Vec<LayerSetting> = layers
            .iter()
            .map(|l| LayerSetting {
                id: LayerId::GeoJson(l.features.name.clone()),
                visible: l.style.visible,
                opacity: l.style.opacity,
            })
            .collect();
        self.overlays.layers = layers
            .into_iter()
            .map(|l| {
                let [r, g, b] = l.style.color;
                OverlayLayer::new(l.features, egui::Color32::from_rgb(r, g, b))
            })
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
        self.layers.sync_shape_layers(&listed, &saved);
        self.state.layers = self.layers.settings();
    }

    /// Notes the panel's changes to map layers, to be stored in the project.
    pub(super) fn on_layer_changes(&mut self, changes: &[LayerChange]) {
        let ours = |id: &LayerId| matches!(id, LayerId::GeoJson(_));
        self.overlays.styles_changed |= changes.iter().any(|c| match c {
            LayerChange::Visibility { id, .. } | LayerChange::Opacity { id, .. } => ours(id),
            // A move can change the order of the map layers among themselves.
            LayerChange::Moved { .. } => true,
            LayerChange::Remove { .. } => false,
        });
    }

    /// The map layers' styles as the panel shows them: colour as drawn,
    /// order from the panel (its first entry on top, so the highest order).
    fn panel_styles(&self) -> Vec<(String, LayerStyle)> {
        let in_panel: Vec<&str> = self
            .layers
            .layers
            .iter()
            .filter_map(|l| match &l.id {
                LayerId::GeoJson(name) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let n = in_panel.len() as i64;
        in_panel
            .iter()
            .enumerate()
            .filter_map(|(rank, name)| {
                let entry = self.layers.get(&LayerId::GeoJson((*name).to_owned()))?;
                let drawn = self.overlays.layers.iter().find(|l| l.name() == *name)?;
                let style = LayerStyle {
                    color: [drawn.color.r(), drawn.color.g(), drawn.color.b()],
                    opacity: entry.opacity,
                    visible: entry.visible,
                    order: n - 1 - rank as i64,
                };
                Some(((*name).to_owned(), style))
            })
            .collect()
    }

    /// Starts a save of the changed styles when none is in flight, and
    /// takes a finished one (called from `poll_tasks`).
    fn poll_style_save(&mut self, ctx: &egui::Context) {
        if let Some(done) = self.overlays.style_job.as_ref().and_then(|t| t.try_take()) {
            self.overlays.style_job = None;
            if let Err(err) = done {
                let lang = self.state.language;
                let err = crate::gui::store_text::error_text(lang, &err);
                self.message = Some(format!("{}: {err}", tr(lang, Key::ShapeLayerFailed)));
            }
        }
        if !self.overlays.styles_changed || self.overlays.style_job.is_some() {
            return;
        }
        self.overlays.styles_changed = false;
        let Some(project) = self.project.as_ref().map(|p| p.loaded.path.clone()) else {
            return;
        };
        let styles = self.panel_styles();
        if styles.is_empty() {
            return;
        }
        self.overlays.style_job = Some(Task::spawn(ctx, "save-layer-styles", move |_, _| {
            tasks::save_layer_styles(&project, &styles)
        }));
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

    /// Takes a finished add or remove, and saves changed styles (called
    /// from `poll_tasks`).
    pub(super) fn poll_shape_job(&mut self, ctx: &egui::Context) {
        self.poll_style_save(ctx);
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
