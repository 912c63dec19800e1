//! Presenting the lägesbild: saved views in the app and presentation mode
//! (F5), and the strings of this map fixes (`text`).
//!
//! A saved view ([`crate::model::view::SavedView`]) is made from what the
//! app shows ([`LayerId`]s map to the view file's layer keys here) and kept
//! in the project; presentation mode shows the views one by one, full
//! screen, with the editing UI hidden and a large title, legend, scale bar,
//! data period and attribution drawn over the map by [`PresentOverlay`].

pub mod text;
pub mod views;

use egui::{Align2, Color32, FontId, Pos2, Rect, Response, Stroke, Ui, vec2};
use walkers::{MapMemory, Plugin, Projector};

use crate::gui::map::palette::category_color;
use crate::gui::panels::LayerId;
use crate::model::Category;
use crate::model::view::layer_keys;

/// The view file's key of a layer.
pub fn layer_key(id: &LayerId) -> String {
    match id {
        LayerId::Incidents => layer_keys::INCIDENTS.to_owned(),
        LayerId::Heatmap => layer_keys::HEATMAP.to_owned(),
        LayerId::Hotspots => layer_keys::HOTSPOTS.to_owned(),
        LayerId::StrategicPlaces => layer_keys::STRATEGIC_PLACES.to_owned(),
        LayerId::PatrolAreas => layer_keys::PATROL_AREAS.to_owned(),
        LayerId::Routes => layer_keys::ROUTES.to_owned(),
        LayerId::GeoJson(name) => format!("{}{name}", layer_keys::LAYER_PREFIX),
    }
}

/// The layer a view file's key names; `None` for a key this build does not know.
pub fn layer_id(key: &str) -> Option<LayerId> {
    Some(match key {
        layer_keys::INCIDENTS => LayerId::Incidents,
        layer_keys::HEATMAP => LayerId::Heatmap,
        layer_keys::HOTSPOTS => LayerId::Hotspots,
        layer_keys::STRATEGIC_PLACES => LayerId::StrategicPlaces,
        layer_keys::PATROL_AREAS => LayerId::PatrolAreas,
        layer_keys::ROUTES => LayerId::Routes,
        other => LayerId::GeoJson(other.strip_prefix(layer_keys::LAYER_PREFIX)?.to_owned()),
    })
}

/// At most how much larger than on screen presentation mode draws text and
/// lines, so they read from the back of a room on a projector; the scale
/// follows the screen's height (1 at 540 points, 2 from 1080 up).
pub const PROJECTOR_SCALE: f32 = 2.0;

/// The overlay's scale on a map `height_pt` points high.
pub fn overlay_scale(height_pt: f32) -> f32 {
    (height_pt / 540.0).clamp(1.0, PROJECTOR_SCALE)
}

/// Everything drawn over the map in presentation mode (owned: made before
/// the map is drawn).
#[derive(Debug, Clone, Default)]
pub struct PresentOverlay {
    pub title: String,
    /// "2 / 5".
    pub counter: String,
    /// The period the data shown covers, e.g. "Period: 2025-01-01 – 2025-12-31".
    pub period: String,
    /// Map sources, e.g. "© OpenStreetMap contributors".
    pub attribution: String,
    /// Shown categories with their counts.
    pub categories: Vec<(Category, String)>,
    /// Count-cell classes when cells are drawn.
    pub cell_classes: Vec<(Color32, String)>,
    /// Heading of the count-cell legend.
    pub cells_heading: String,
    /// Text of "few … many" for the heatmap ramp, when the heatmap is shown.
    pub heatmap: Option<(String, Vec<Color32>)>,
    /// "Syntetiska data" when the project is synthetic.
    pub synthetic: Option<String>,
    /// The speaker notes (heading, text) while shown (N toggles).
    pub notes: Option<(String, String)>,
    /// "N shows/hides the speaker notes", drawn small while they are hidden.
    pub notes_hint: String,
}

/// Draws `rows` (swatch, text) in a white box placed at `anchor` by `align`;
/// returns the box.
fn boxed(painter: &egui::Painter, anchor: Pos2, align: Align2, rows: &[Row], s: f32) -> Rect {
    let font = FontId::proportional(15.0 * s);
    let pad = 8.0 * s;
    let swatch = 14.0 * s;
    let galleys: Vec<_> = rows
        .iter()
        .map(|r| {
            let f = if r.strong {
                FontId::proportional(16.0 * s)
            } else {
                font.clone()
            };
            painter.layout_no_wrap(r.text.clone(), f, Color32::from_rgb(0x20, 0x20, 0x28))
        })
        .collect();
    let line_h = galleys.iter().map(|g| g.size().y).fold(swatch, f32::max) + 3.0 * s;
    let width = rows
        .iter()
        .zip(&galleys)
        .map(|(r, g)| {
            g.size().x
                + if r.swatch.is_some() {
                    swatch + 6.0 * s
                } else {
                    0.0
                }
        })
        .fold(0.0, f32::max)
        + 2.0 * pad;
    let height = line_h * rows.len() as f32 + 2.0 * pad;
    let rect = Rect::from_min_size(
        anchor
            - vec2(
                align.x().to_factor() * width,
                align.y().to_factor() * height,
            ),
        vec2(width, height),
    );
    painter.rect_filled(rect, 6.0 * s, Color32::from_white_alpha(235));
    let mut y = rect.top() + pad;
    for (r, g) in rows.iter().zip(galleys) {
        let mut x = rect.left() + pad;
        if let Some(kind) = &r.swatch {
            let c = Rect::from_min_size(
                egui::pos2(x, y + (line_h - swatch) / 2.0 - 1.5 * s),
                vec2(swatch, swatch),
            );
            match kind {
                Swatch::Dot(color) => {
                    let color = *color;
                    painter.circle(
                        c.center(),
                        swatch * 0.42,
                        color,
                        Stroke::new(1.0 * s, Color32::from_rgb(0x22, 0x22, 0x22)),
                    );
                }
                Swatch::Square(color) => {
                    let color = *color;
                    painter.rect_filled(c, 2.0 * s, color);
                }
                Swatch::Ramp(colors) => {
                    let w = swatch / colors.len().max(1) as f32;
                    for (k, color) in colors.iter().enumerate() {
                        painter.rect_filled(
                            Rect::from_min_size(c.min + vec2(k as f32 * w, 0.0), vec2(w, swatch)),
                            0.0,
                            *color,
                        );
                    }
                }
            }
            x += swatch + 6.0 * s;
        }
        let text_pos = egui::pos2(x, y + (line_h - g.size().y) / 2.0 - 1.5 * s);
        painter.galley(text_pos, g, Color32::BLACK);
        y += line_h;
    }
    rect
}

#[derive(Debug, Clone)]
enum Swatch {
    Dot(Color32),
    Square(Color32),
    Ramp(Vec<Color32>),
}

#[derive(Debug, Clone)]
struct Row {
    text: String,
    swatch: Option<Swatch>,
    strong: bool,
}

impl Row {
    fn heading(text: &str) -> Row {
        Row {
            text: text.to_owned(),
            swatch: None,
            strong: true,
        }
    }
    fn with(text: String, swatch: Swatch) -> Row {
        Row {
            text,
            swatch: Some(swatch),
            strong: false,
        }
    }
}

impl PresentOverlay {
    /// The legend's rows: categories, count cells, heatmap.
    fn legend_rows(&self, lang: crate::gui::i18n::Language) -> Vec<Row> {
        let mut rows = Vec::new();
        if !self.categories.is_empty() {
            rows.push(Row::heading(crate::gui::i18n::tr(
                lang,
                crate::gui::i18n::Key::Incidents,
            )));
            for (c, label) in &self.categories {
                rows.push(Row::with(label.clone(), Swatch::Dot(category_color(*c))));
            }
        }
        if !self.cell_classes.is_empty() {
            rows.push(Row::heading(&self.cells_heading));
            for (color, label) in &self.cell_classes {
                rows.push(Row::with(label.clone(), Swatch::Square(*color)));
            }
        }
        if let Some((label, ramp)) = &self.heatmap {
            rows.push(Row::with(label.clone(), Swatch::Ramp(ramp.clone())));
        }
        rows
    }

    /// Draws the overlay into the map's rectangle `rect`.
    pub fn paint(
        &self,
        painter: &egui::Painter,
        projector: &Projector,
        rect: Rect,
        lang: crate::gui::i18n::Language,
    ) {
        let s = overlay_scale(rect.height());
        let ink = Color32::from_rgb(0x18, 0x18, 0x20);
        // Title band.
        let title = painter.layout_no_wrap(self.title.clone(), FontId::proportional(26.0 * s), ink);
        let band = Rect::from_min_max(
            rect.left_top(),
            egui::pos2(rect.right(), rect.top() + title.size().y + 20.0 * s),
        );
        painter.rect_filled(band, 0.0, Color32::from_white_alpha(230));
        painter.galley(
            egui::pos2(
                rect.center().x - title.size().x / 2.0,
                rect.top() + 10.0 * s,
            ),
            title,
            ink,
        );
        painter.text(
            egui::pos2(rect.right() - 14.0 * s, band.center().y),
            Align2::RIGHT_CENTER,
            &self.counter,
            FontId::proportional(14.0 * s),
            Color32::from_rgb(0x55, 0x55, 0x60),
        );
        if let Some(note) = &self.synthetic {
            painter.text(
                egui::pos2(rect.left() + 14.0 * s, band.center().y),
                Align2::LEFT_CENTER,
                note,
                FontId::proportional(13.0 * s),
                Color32::from_rgb(0xB0, 0x60, 0x00),
            );
        }
        // Speaker notes: a dark strip under the title, wrapped to the
        // screen's width.
        if let Some((heading, text)) = &self.notes {
            let width = (rect.width() - 40.0 * s).max(100.0);
            let job = |t: &str, size: f32, color| {
                let mut job = egui::text::LayoutJob::simple(
                    t.to_owned(),
                    FontId::proportional(size * s),
                    color,
                    width,
                );
                job.wrap.max_rows = 8;
                job
            };
            let head = painter.layout_job(job(heading, 14.0, Color32::from_rgb(0xFF, 0xD8, 0x70)));
            let body = painter.layout_job(job(text, 18.0, Color32::WHITE));
            let strip = Rect::from_min_size(
                egui::pos2(rect.left(), band.bottom()),
                vec2(rect.width(), head.size().y + body.size().y + 24.0 * s),
            );
            painter.rect_filled(strip, 0.0, Color32::from_black_alpha(215));
            let x = rect.left() + 20.0 * s;
            let y = strip.top() + 8.0 * s;
            let head_h = head.size().y;
            painter.galley(egui::pos2(x, y), head, Color32::WHITE);
            painter.galley(egui::pos2(x, y + head_h + 6.0 * s), body, Color32::WHITE);
        } else if !self.notes_hint.is_empty() {
            painter.text(
                egui::pos2(rect.right() - 14.0 * s, band.bottom() + 6.0 * s),
                Align2::RIGHT_TOP,
                &self.notes_hint,
                FontId::proportional(10.0 * s),
                Color32::from_rgb(0x60, 0x60, 0x68),
            );
        }
        // Legend, bottom left above the scale bar.
        let rows = self.legend_rows(lang);
        let scale_h = 44.0 * s;
        if !rows.is_empty() {
            boxed(
                painter,
                egui::pos2(rect.left() + 12.0 * s, rect.bottom() - scale_h - 12.0 * s),
                Align2::LEFT_BOTTOM,
                &rows,
                s,
            );
        }
        // Scale bar, bottom left.
        if let Some((len_m, len_px)) = nice_bar(
            projector,
            rect,
            crate::gui::scale_bar::MAX_BAR_PX * f64::from(s),
        ) {
            let len_px = len_px as f32;
            let origin = egui::pos2(rect.left() + 20.0 * s, rect.bottom() - 14.0 * s);
            let bg = Rect::from_min_max(
                origin + vec2(-8.0 * s, -26.0 * s),
                origin + vec2(len_px + 8.0 * s, 8.0 * s),
            );
            painter.rect_filled(bg, 4.0 * s, Color32::from_white_alpha(230));
            let stroke = Stroke::new(2.5 * s, Color32::BLACK);
            let end = origin + vec2(len_px, 0.0);
            painter.line_segment([origin, end], stroke);
            painter.line_segment([origin, origin - vec2(0.0, 8.0 * s)], stroke);
            painter.line_segment([end, end - vec2(0.0, 8.0 * s)], stroke);
            painter.text(
                origin + vec2(len_px / 2.0, -9.0 * s),
                Align2::CENTER_BOTTOM,
                crate::gui::scale_bar::format_length(len_m),
                FontId::proportional(13.0 * s),
                Color32::BLACK,
            );
        }
        // Period and attribution, bottom right.
        let rows = vec![
            Row::heading(&self.period),
            Row {
                text: self.attribution.clone(),
                swatch: None,
                strong: false,
            },
        ];
        boxed(
            painter,
            egui::pos2(rect.right() - 12.0 * s, rect.bottom() - 12.0 * s),
            Align2::RIGHT_BOTTOM,
            &rows,
            s * 0.6,
        );
    }
}

/// The scale bar's length (metres, points) for at most `max_px` points.
fn nice_bar(projector: &Projector, rect: Rect, max_px: f64) -> Option<(f64, f64)> {
    let center = projector.unproject(rect.center().to_vec2());
    crate::gui::scale_bar::nice_length(f64::from(projector.scale_pixel_per_meter(center)), max_px)
}

/// The overlay as a walkers plugin (drawn after every layer).
pub struct PresentPlugin {
    pub overlay: PresentOverlay,
    pub lang: crate::gui::i18n::Language,
}

impl Plugin for PresentPlugin {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let rect = response.rect;
        self.overlay.paint(
            &ui.painter().with_clip_rect(rect),
            projector,
            rect,
            self.lang,
        );
        // Also in the accessibility tree, so tests and screen readers find it.
        let mut labels = vec![self.overlay.title.clone()];
        if let Some((_, notes)) = &self.overlay.notes {
            labels.push(notes.clone());
        }
        ui.scope_builder(
            egui::UiBuilder::new().max_rect(Rect::from_min_size(rect.min, vec2(1.0, 1.0))),
            |ui| {
                for label in &labels {
                    let r = ui.allocate_response(vec2(1.0, 1.0), egui::Sense::hover());
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, label));
                }
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_grows_with_the_screen_up_to_twice() {
        assert_eq!(overlay_scale(400.0), 1.0);
        assert!((overlay_scale(800.0) - 1.48).abs() < 0.01);
        assert_eq!(overlay_scale(2160.0), PROJECTOR_SCALE);
    }

    #[test]
    fn layer_keys_round_trip() {
        for id in [
            LayerId::Incidents,
            LayerId::Heatmap,
            LayerId::Hotspots,
            LayerId::StrategicPlaces,
            LayerId::PatrolAreas,
            LayerId::Routes,
            LayerId::GeoJson("Skolor".into()),
        ] {
            assert_eq!(layer_id(&layer_key(&id)), Some(id.clone()), "{id:?}");
        }
        assert_eq!(
            layer_key(&LayerId::GeoJson("Skolor".into())),
            "layer:Skolor"
        );
        assert_eq!(layer_id("tunnels"), None);
    }
}
