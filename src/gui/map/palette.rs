//! Colours of the incident layer and its legend.
//!
//! Categories use the Okabe–Ito qualitative palette (Okabe & Ito 2008,
//! "Color Universal Design"), which people with the common forms of colour
//! blindness can tell apart. Its eighth colour is black; on a map with dark
//! outlines black cannot be told from the outline, so "Övrigt" gets a mid grey
//! instead. Aggregated cells use a sequential ramp (viridis stops: light
//! yellow = few, dark purple = many), also colour-blind safe.

use egui::{Color32, Pos2, Sense, Shape, Stroke, Ui, vec2};

use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::Category;

/// The fill colour of a category's points.
pub fn category_color(category: Category) -> Color32 {
    match category {
        Category::Skadegorelse => Color32::from_rgb(0xF0, 0xE4, 0x42), // yellow
        Category::Narkotika => Color32::from_rgb(0xCC, 0x79, 0xA7),    // reddish purple
        Category::Vald => Color32::from_rgb(0xD5, 0x5E, 0x00),         // vermillion
        Category::Ordningsstorning => Color32::from_rgb(0x00, 0x9E, 0x73), // bluish green
        Category::Stold => Color32::from_rgb(0x00, 0x72, 0xB2),        // blue
        Category::Brand => Color32::from_rgb(0xE6, 0x9F, 0x00),        // orange
        Category::Otrygghet => Color32::from_rgb(0x56, 0xB4, 0xE9),    // sky blue
        Category::Ovrigt => Color32::from_rgb(0x99, 0x99, 0x99),       // grey
    }
}

/// The thin dark outline around every point.
pub const OUTLINE: Color32 = Color32::from_rgb(0x22, 0x22, 0x22);

/// Outline and dashes of coarse-position circles.
pub const COARSE: Color32 = Color32::from_rgb(0x55, 0x55, 0x66);

/// Viridis stops, few → many.
const RAMP: [Color32; 5] = [
    Color32::from_rgb(0xFD, 0xE7, 0x25),
    Color32::from_rgb(0x5E, 0xC9, 0x62),
    Color32::from_rgb(0x21, 0x91, 0x8C),
    Color32::from_rgb(0x3B, 0x52, 0x8B),
    Color32::from_rgb(0x44, 0x01, 0x54),
];

/// Colour of a density cell at `t` in 0..=1 (0 = fewest, 1 = most in view).
pub fn density_color(t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0) * (RAMP.len() - 1) as f32;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    RAMP[i].lerp_to_gamma(RAMP[i + 1], t - i as f32)
}

/// Readable text colour on a density cell of colour `t` (see [`density_color`]).
pub fn density_text_color(t: f32) -> Color32 {
    if t < 0.45 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// Points of a dashed circle outline: `(from, to)` pairs.
pub fn dashed_circle(center: Pos2, radius: f32, stroke: Stroke) -> Vec<Shape> {
    let n = ((std::f32::consts::TAU * radius / 6.0).round() as usize).clamp(8, 512);
    let n = n + n % 2;
    let at = |k: usize| {
        let a = std::f32::consts::TAU * k as f32 / n as f32;
        center + vec2(a.cos(), a.sin()) * radius
    };
    (0..n)
        .step_by(2)
        .map(|k| Shape::line_segment([at(k), at(k + 1)], stroke))
        .collect()
}

/// The incident legend: one row per category (swatch, label, count), then
/// the coarse-position symbol with its count and the density ramp.
///
/// `counts_per_category` is in the order to show (usually
/// [`Category::ALL`]); `coarse_count` is how many of them have a coarse
/// position and are drawn as circles instead of points.
pub fn legend_ui(
    ui: &mut Ui,
    lang: Language,
    counts_per_category: &[(Category, u64)],
    coarse_count: u64,
) {
    egui::Grid::new("incident_legend")
        .num_columns(3)
        .spacing(vec2(6.0, 2.0))
        .show(ui, |ui| {
            for &(category, n) in counts_per_category {
                let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
                ui.painter().circle(
                    rect.center(),
                    5.0,
                    category_color(category),
                    Stroke::new(1.0, OUTLINE),
                );
                ui.label(i18n::category(lang, category));
                ui.label(i18n::count(lang, n));
                ui.end_row();
            }
            let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
            ui.painter()
                .circle_filled(rect.center(), 6.0, COARSE.gamma_multiply(0.15));
            ui.painter()
                .extend(dashed_circle(rect.center(), 6.0, Stroke::new(1.0, COARSE)));
            ui.label(tr(lang, Key::MapLegendCoarse));
            ui.label(i18n::count(lang, coarse_count));
            ui.end_row();
            let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
            let w = rect.width() / RAMP.len() as f32;
            for (k, c) in RAMP.iter().enumerate() {
                let x = rect.left() + k as f32 * w;
                ui.painter().rect_filled(
                    egui::Rect::from_min_max(
                        egui::pos2(x, rect.top()),
                        egui::pos2(x + w, rect.bottom()),
                    ),
                    0.0,
                    *c,
                );
            }
            ui.label(tr(lang, Key::MapLegendDensity));
            ui.end_row();
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_have_distinct_colours() {
        let colours: std::collections::BTreeSet<[u8; 4]> = Category::ALL
            .iter()
            .map(|c| category_color(*c).to_array())
            .collect();
        assert_eq!(colours.len(), Category::ALL.len());
    }

    #[test]
    fn ramp_runs_from_first_to_last_stop() {
        assert_eq!(density_color(0.0), RAMP[0]);
        assert_eq!(density_color(1.0), RAMP[4]);
        assert_eq!(density_color(-3.0), RAMP[0]);
        assert_eq!(density_color(0.5), RAMP[2]);
    }

    #[test]
    fn dashed_circle_has_half_as_many_dashes_as_segments() {
        let dashes = dashed_circle(Pos2::ZERO, 60.0, Stroke::new(1.0, COARSE));
        assert!(dashes.len() >= 4);
        assert!(dashes.len() <= 256);
    }
}
