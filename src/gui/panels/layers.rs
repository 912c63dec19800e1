//! The layer panel: the map's layers in drawing order (the first entry is
//! drawn on top), each with a visibility checkbox, an opacity slider, a
//! collapsible legend and buttons to move it up or down. Layers the app
//! cannot draw yet (an analysis not run, a feature still to come) are not
//! listed until they can be drawn.
//!
//! The panel edits its entries in place and returns what changed, so the app
//! can redraw or persist the layer settings.

use egui::{Color32, Ui, WidgetInfo};

use super::named_button;
use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::Category;

/// Which layer an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LayerId {
    Incidents,
    Heatmap,
    Hotspots,
    StrategicPlaces,
    PatrolAreas,
    Routes,
    /// An imported GeoJSON layer, by its name (usually the file name).
    GeoJson(String),
}

impl LayerId {
    /// The name shown in the panel.
    pub fn label(&self, lang: Language) -> String {
        let key = match self {
            LayerId::Incidents => Key::Incidents,
            LayerId::Heatmap => Key::LayerHeatmap,
            LayerId::Hotspots => Key::LayerHotspots,
            LayerId::StrategicPlaces => Key::LayerStrategicPlaces,
            LayerId::PatrolAreas => Key::LayerPatrolAreas,
            LayerId::Routes => Key::LayerRoutes,
            LayerId::GeoJson(name) => return name.clone(),
        };
        tr(lang, key).to_owned()
    }
}

/// A layer's legend, drawn under a collapsible header.
#[derive(Debug, Clone, PartialEq)]
pub enum Legend {
    None,
    /// One swatch per class, e.g. incident categories.
    Swatches(Vec<(Color32, String)>),
    /// A continuous colour ramp from low to high, e.g. a heatmap.
    Ramp(Vec<Color32>),
}

impl Legend {
    /// One swatch per category, in [`Category::ALL`] order, labelled in `lang`.
    pub fn categories(lang: Language, colors: &dyn Fn(Category) -> Color32) -> Legend {
        Legend::Swatches(
            Category::ALL
                .into_iter()
                .map(|c| (colors(c), i18n::category(lang, c).to_owned()))
                .collect(),
        )
    }
}

/// One row of the layer panel.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerEntry {
    pub id: LayerId,
    /// False for layers the app cannot draw yet: not listed.
    pub available: bool,
    pub visible: bool,
    /// 0 (transparent) to 1 (opaque).
    pub opacity: f32,
    pub legend: Legend,
}

impl LayerEntry {
    /// A visible, opaque, available layer without a legend.
    pub fn new(id: LayerId) -> Self {
        Self {
            id,
            available: true,
            visible: true,
            opacity: 1.0,
            legend: Legend::None,
        }
    }
}

/// What is kept of a layer between runs: its place (by order in the list),
/// visibility and opacity.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerSetting {
    pub id: LayerId,
    pub visible: bool,
    pub opacity: f32,
}

/// A change the user made this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerChange {
    Visibility {
        id: LayerId,
        visible: bool,
    },
    Opacity {
        id: LayerId,
        opacity: f32,
    },
    /// The user asked to remove an added (GeoJSON) layer from the project.
    Remove {
        id: LayerId,
    },
    /// The layer moved from one place in the order to another (0 = top).
    Moved {
        id: LayerId,
        from: usize,
        to: usize,
    },
}

/// The layer list in drawing order: `layers[0]` is drawn on top.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayersPanel {
    pub layers: Vec<LayerEntry>,
}

impl LayersPanel {
    /// The built-in layers: incidents available and visible, the others
    /// not listed until the app marks them available.
    pub fn standard() -> Self {
        let coming = |id| LayerEntry {
            available: false,
            visible: false,
            ..LayerEntry::new(id)
        };
        Self {
            layers: vec![
                // Numbered place markers over the points they cover, the
                // heatmap at the bottom so everything reads over it.
                coming(LayerId::StrategicPlaces),
                LayerEntry::new(LayerId::Incidents),
                coming(LayerId::Hotspots),
                coming(LayerId::Heatmap),
                coming(LayerId::PatrolAreas),
                coming(LayerId::Routes),
            ],
        }
    }

    /// The entry for `id`, if listed.
    pub fn get(&self, id: &LayerId) -> Option<&LayerEntry> {
        self.layers.iter().find(|l| &l.id == id)
    }

    /// The entry for `id`, if listed, to change it (e.g. mark it available
    /// or set its legend).
    pub fn get_mut(&mut self, id: &LayerId) -> Option<&mut LayerEntry> {
        self.layers.iter_mut().find(|l| &l.id == id)
    }

    /// True when the layer is listed, available and visible.
    pub fn is_shown(&self, id: &LayerId) -> bool {
        self.get(id).is_some_and(|l| l.available && l.visible)
    }

    /// True when a shown layer (with some opacity) is drawn under `id`.
    pub fn shown_below(&self, id: &LayerId) -> bool {
        let Some(at) = self.layers.iter().position(|l| &l.id == id) else {
            return false;
        };
        self.layers[at + 1..]
            .iter()
            .any(|l| l.available && l.visible && l.opacity > 0.0)
    }

    /// Moves the layer at `from` to `to` (0 = top), if both are in range.
    pub fn move_layer(&mut self, from: usize, to: usize) -> bool {
        if from >= self.layers.len() || to >= self.layers.len() || from == to {
            return false;
        }
        let entry = self.layers.remove(from);
        self.layers.insert(to, entry);
        true
    }

    /// The settings to persist, in drawing order (top first).
    pub fn settings(&self) -> Vec<LayerSetting> {
        self.layers
            .iter()
            .map(|l| LayerSetting {
                id: l.id.clone(),
                visible: l.visible,
                opacity: l.opacity,
            })
            .collect()
    }

    /// Applies persisted settings: listed layers take the saved visibility,
    /// opacity (clamped to 0–1) and order; saved layers no longer listed are
    /// ignored, and listed layers the settings do not name keep their place
    /// after the named ones. Availability is not persisted.
    pub fn apply_settings(&mut self, settings: &[LayerSetting]) {
        let mut ordered = Vec::with_capacity(self.layers.len());
        for setting in settings {
            if let Some(k) = self.layers.iter().position(|l| l.id == setting.id) {
                let mut entry = self.layers.remove(k);
                entry.visible = setting.visible;
                if setting.opacity.is_finite() {
                    entry.opacity = setting.opacity.clamp(0.0, 1.0);
                }
                ordered.push(entry);
            }
        }
        ordered.append(&mut self.layers);
        self.layers = ordered;
    }

    /// Makes the added (GeoJSON) layers listed exactly `shapes` (name,
    /// colour, legend text): entries no longer there go, new ones come in just below the
    /// incidents, taking their `saved` visibility and opacity if any.
    pub fn sync_shape_layers(
        &mut self,
        shapes: &[(String, Color32, String)],
        saved: &[LayerSetting],
    ) {
        let names: Vec<&str> = shapes.iter().map(|(n, _, _)| n.as_str()).collect();
        self.layers
            .retain(|l| !matches!(&l.id, LayerId::GeoJson(n) if !names.contains(&n.as_str())));
        for (name, color, text) in shapes {
            let id = LayerId::GeoJson(name.clone());
            let legend = Legend::Swatches(vec![(*color, text.clone())]);
            if let Some(entry) = self.get_mut(&id) {
                entry.legend = legend;
                continue;
            }
            let mut entry = LayerEntry::new(id);
            entry.legend = legend;
            if let Some(s) = saved.iter().find(|s| s.id == entry.id) {
                entry.visible = s.visible;
                if s.opacity.is_finite() {
                    entry.opacity = s.opacity.clamp(0.0, 1.0);
                }
            }
            let at = self
                .layers
                .iter()
                .position(|l| l.id == LayerId::Incidents)
                .map_or(0, |i| i + 1);
            self.layers.insert(at, entry);
        }
    }

    /// Draws the list under a "Lager" heading and returns this frame's changes.
    pub fn ui(&mut self, ui: &mut Ui, lang: Language) -> Vec<LayerChange> {
        ui.strong(tr(lang, Key::LayersTitle));
        self.list_ui(ui, lang)
    }

    /// Draws the list without a heading (e.g. under a collapsing header) and
    /// returns this frame's changes.
    pub fn list_ui(&mut self, ui: &mut Ui, lang: Language) -> Vec<LayerChange> {
        let mut changes = Vec::new();
        let mut move_request = None;
        // Moves skip the entries not listed.
        let listed: Vec<usize> = (self.layers.iter().enumerate())
            .filter(|(_, l)| l.available)
            .map(|(i, _)| i)
            .collect();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            if !layer.available {
                continue;
            }
            let above = listed.iter().rev().find(|&&j| j < i).copied();
            let below = listed.iter().find(|&&j| j > i).copied();
            let name = layer.id.label(lang);
            ui.push_id(&layer.id, |ui| {
                ui.horizontal(|ui| {
                    let response = ui.checkbox(&mut layer.visible, &name);
                    if response.changed() {
                        changes.push(LayerChange::Visibility {
                            id: layer.id.clone(),
                            visible: layer.visible,
                        });
                    }
                    let up = tr(lang, Key::MoveUp);
                    let down = tr(lang, Key::MoveDown);
                    ui.add_enabled_ui(above.is_some(), |ui| {
                        if named_button(ui, tr(lang, Key::Up), &format!("{up}: {name}"))
                            .on_hover_text(up)
                            .clicked()
                            && let Some(to) = above
                        {
                            move_request = Some((i, to));
                        }
                    });
                    ui.add_enabled_ui(below.is_some(), |ui| {
                        if named_button(ui, tr(lang, Key::Down), &format!("{down}: {name}"))
                            .on_hover_text(down)
                            .clicked()
                            && let Some(to) = below
                        {
                            move_request = Some((i, to));
                        }
                    });
                    if matches!(layer.id, LayerId::GeoJson(_)) {
                        let remove = tr(lang, Key::RemoveLayer);
                        if named_button(ui, remove, &format!("{remove}: {name}")).clicked() {
                            changes.push(LayerChange::Remove {
                                id: layer.id.clone(),
                            });
                        }
                    }
                });
                ui.add_enabled_ui(layer.visible, |ui| {
                    let opacity_name = format!("{}: {name}", tr(lang, Key::Opacity));
                    let response = ui.add(
                        egui::Slider::new(&mut layer.opacity, 0.0..=1.0)
                            .text(tr(lang, Key::Opacity))
                            .custom_formatter(|v, _| format!("{:.0} %", v * 100.0))
                            .custom_parser(parse_opacity),
                    );
                    let enabled = response.enabled();
                    let value = f64::from(layer.opacity);
                    response.widget_info(|| WidgetInfo::slider(enabled, value, &opacity_name));
                    if response.changed() {
                        changes.push(LayerChange::Opacity {
                            id: layer.id.clone(),
                            opacity: layer.opacity,
                        });
                    }
                });
                if layer.legend != Legend::None {
                    egui::CollapsingHeader::new(tr(lang, Key::Legend))
                        .id_salt("legend")
                        .default_open(true)
                        .show(ui, |ui| legend_ui(ui, lang, &layer.legend));
                }
            });
            ui.separator();
        }
        if let Some((from, to)) = move_request
            && self.move_layer(from, to)
        {
            changes.push(LayerChange::Moved {
                id: self.layers[to].id.clone(),
                from,
                to,
            });
        }
        changes
    }
}

/// Reads an opacity typed into the field that shows "85 %": a percentage
/// ("50", "50 %", "50,5 %"), or a fraction written with a decimal point or
/// comma below 1 ("0,3", "0.3" = 30 %). `None` for anything else.
pub fn parse_opacity(text: &str) -> Option<f64> {
    let t = text.trim();
    let (number, percent_sign) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 = number.replace(',', ".").parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let fraction = !percent_sign && v < 1.0 && number.contains([',', '.']);
    let f = if fraction { v } else { v / 100.0 };
    Some(f.clamp(0.0, 1.0))
}

fn legend_ui(ui: &mut Ui, lang: Language, legend: &Legend) {
    match legend {
        Legend::None => {}
        Legend::Swatches(items) => {
            for (color, label) in items {
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, *color);
                    ui.label(label);
                });
            }
        }
        Legend::Ramp(colors) => {
            ui.horizontal(|ui| {
                ui.weak(tr(lang, Key::LegendLow));
                let step_w = 12.0;
                let (rect, _) = ui.allocate_exact_size(
                    egui::vec2(step_w * colors.len() as f32, 12.0),
                    egui::Sense::hover(),
                );
                for (i, color) in colors.iter().enumerate() {
                    let cell = egui::Rect::from_min_size(
                        rect.min + egui::vec2(step_w * i as f32, 0.0),
                        egui::vec2(step_w, 12.0),
                    );
                    ui.painter().rect_filled(cell, 0.0, *color);
                }
                ui.weak(tr(lang, Key::LegendHigh));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opacity_is_read_as_the_field_shows_it() {
        assert_eq!(parse_opacity("50"), Some(0.5));
        assert_eq!(parse_opacity("50 %"), Some(0.5));
        assert_eq!(parse_opacity(" 85% "), Some(0.85));
        assert_eq!(parse_opacity("0,3"), Some(0.3));
        assert_eq!(parse_opacity("0.3"), Some(0.3));
        assert_eq!(parse_opacity("12,5 %"), Some(0.125));
        assert_eq!(parse_opacity("1"), Some(0.01));
        assert_eq!(parse_opacity("100"), Some(1.0));
        assert_eq!(parse_opacity("250"), Some(1.0));
        assert_eq!(parse_opacity("halv"), None);
        assert_eq!(parse_opacity("-5"), None);
    }

    #[test]
    fn moving_layers_keeps_the_rest_in_order() {
        let mut p = LayersPanel::standard();
        assert!(p.is_shown(&LayerId::Incidents));
        assert!(!p.is_shown(&LayerId::Heatmap));
        assert!(p.move_layer(1, 3));
        let ids: Vec<_> = p.layers.iter().map(|l| l.id.clone()).collect();
        assert_eq!(
            ids[..4],
            [
                LayerId::StrategicPlaces,
                LayerId::Hotspots,
                LayerId::Heatmap,
                LayerId::Incidents
            ]
        );
        assert!(!p.move_layer(0, 99));
        assert!(!p.move_layer(1, 1));
    }

    #[test]
    fn settings_round_trip_order_visibility_and_opacity() {
        let mut p = LayersPanel::standard();
        assert!(p.move_layer(0, 2));
        p.get_mut(&LayerId::Incidents).unwrap().visible = false;
        p.get_mut(&LayerId::Incidents).unwrap().opacity = 0.4;
        let saved = p.settings();
        let json = serde_json::to_string(&saved).unwrap();
        let back: Vec<LayerSetting> = serde_json::from_str(&json).unwrap();
        let mut fresh = LayersPanel::standard();
        fresh.apply_settings(&back);
        assert_eq!(fresh.settings(), saved);
        assert!(!fresh.is_shown(&LayerId::Incidents));

        // Unknown saved layers are ignored, unnamed ones keep their place
        // after the named ones, bad opacities are clamped or ignored.
        let mut q = LayersPanel::standard();
        q.apply_settings(&[
            LayerSetting {
                id: LayerId::GeoJson("gone.geojson".into()),
                visible: true,
                opacity: 1.0,
            },
            LayerSetting {
                id: LayerId::Routes,
                visible: true,
                opacity: 7.0,
            },
            LayerSetting {
                id: LayerId::Incidents,
                visible: true,
                opacity: f32::NAN,
            },
        ]);
        let ids: Vec<_> = q.layers.iter().map(|l| l.id.clone()).collect();
        assert_eq!(
            ids[..3],
            [
                LayerId::Routes,
                LayerId::Incidents,
                LayerId::StrategicPlaces
            ]
        );
        assert_eq!(ids.len(), 6);
        assert_eq!(q.get(&LayerId::Routes).unwrap().opacity, 1.0);
        assert_eq!(q.get(&LayerId::Incidents).unwrap().opacity, 1.0);
    }

    #[test]
    fn category_legend_lists_every_category() {
        let legend = Legend::categories(Language::Swedish, &|c| Color32::from_gray(c as u8));
        let Legend::Swatches(items) = legend else {
            panic!("swatches expected");
        };
        assert_eq!(items.len(), Category::ALL.len());
        assert_eq!(items[2], (Color32::from_gray(2), "Våld".to_owned()));
    }
}
