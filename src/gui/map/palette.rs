//! Colours of the incident layer and its legend.
//!
//! Categories use the Okabe–Ito qualitative palette (Okabe & Ito 2008,
//! "Color Universal Design"), which people with the common forms of colour
//! blindness can tell apart. Its eighth colour is black; on a map with dark
//! outlines black cannot be told from the outline, so "Övrigt" gets a mid grey
//! instead.
//!
//! Count cells (where too many incidents are in view to draw each) use the
//! ColorBrewer sequential "Blues" in five classes, light and translucent for
//! few, dark and nearly opaque for many, so the busiest cells stand out most
//! on the light map, the plain background and the heatmap alike, and share
//! no colour with the heatmap (yellow–red) or the hotspots. The class limits
//! ([`CountClasses`]) follow the counts in view and are shown in the legend.

use egui::{Color32, Pos2, Sense, Shape, Stroke, Ui, vec2};

use crate::gui::i18n::{self, Key, Language, tr};
use crate::gui::present::text::{self as ptext, T};
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

/// ColorBrewer "Blues" (5 classes), few → many.
pub const COUNT_COLORS: [Color32; 5] = [
    Color32::from_rgb(0xBD, 0xD7, 0xE7),
    Color32::from_rgb(0x6B, 0xAE, 0xD6),
    Color32::from_rgb(0x31, 0x82, 0xBD),
    Color32::from_rgb(0x08, 0x51, 0x9C),
    Color32::from_rgb(0x08, 0x30, 0x6B),
];

/// Opacity of each count class on its own: the few-incident cells let the
/// map through, the busiest hide it.
const COUNT_ALPHA: [f32; 5] = [0.45, 0.6, 0.72, 0.84, 0.92];

/// How much of that opacity is kept when the cells lie over another
/// visible layer (e.g. the heatmap at the whole-municipality view).
pub const COUNT_OVER_LAYER: f32 = 0.45;

/// Class limits of the count cells in view: up to five classes, each the
/// counts from the previous class's upper limit + 1 to its own (inclusive);
/// the last upper limit is the largest count in view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountClasses {
    upper: [u32; 5],
    len: usize,
}

impl CountClasses {
    /// Classes for counts 1..=`max`: roughly geometric limits rounded down
    /// to 1, 2, 3 or 5 times a power of ten (1–3, 4–10, 11–50, 51–300,
    /// 301–1 300 for a largest count of 1 300).
    pub fn for_max(max: u32) -> CountClasses {
        let mut out = CountClasses::default();
        if max == 0 {
            return out;
        }
        for k in 1..=5 {
            let raw = if k == 5 {
                max
            } else {
                nice_floor(f64::from(max).powf(f64::from(k) / 5.0))
            };
            let prev = if out.len == 0 {
                0
            } else {
                out.upper[out.len - 1]
            };
            if raw > prev {
                out.upper[out.len] = raw.min(max);
                out.len += 1;
            }
        }
        out
    }

    /// The classes as (lowest, highest) counts, inclusive.
    pub fn ranges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.len).map(|i| {
            let lo = if i == 0 { 1 } else { self.upper[i - 1] + 1 };
            (lo, self.upper[i])
        })
    }

    /// True when there is no class (no cells in view).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The class (0 = fewest) of a cell with `n` incidents (`n` ≥ 1).
    pub fn class_of(&self, n: u32) -> usize {
        let i = self.upper[..self.len].partition_point(|&u| u < n);
        self.shade(i.min(self.len.saturating_sub(1)))
    }

    /// Fewer than five classes use the darker shades, so the busiest class
    /// is always the darkest colour.
    fn shade(&self, i: usize) -> usize {
        i + (COUNT_COLORS.len() - self.len.max(1))
    }

    /// The colour of shade `class` (see [`CountClasses::class_of`]),
    /// translucent when `over_layer`.
    pub fn color(class: usize, over_layer: bool) -> Color32 {
        let i = class.min(COUNT_COLORS.len() - 1);
        let alpha = COUNT_ALPHA[i] * if over_layer { COUNT_OVER_LAYER } else { 1.0 };
        COUNT_COLORS[i].gamma_multiply(alpha)
    }

    /// The legend's (colour, label) rows, few first, e.g. ("1–3"), ("4–10").
    pub fn legend(&self, lang: Language) -> Vec<(Color32, String)> {
        self.ranges()
            .enumerate()
            .map(|(i, (lo, hi))| {
                let label = if lo == hi {
                    i18n::count(lang, u64::from(lo))
                } else {
                    format!(
                        "{}–{}",
                        i18n::count(lang, u64::from(lo)),
                        i18n::count(lang, u64::from(hi))
                    )
                };
                (COUNT_COLORS[self.shade(i)], label)
            })
            .collect()
    }
}

/// The largest of 1, 2, 3, 5 × 10^k not above `v` (at least 1).
fn nice_floor(v: f64) -> u32 {
    if v.is_nan() || v < 1.0 {
        return 1;
    }
    let p = 10f64.powf(v.log10().floor());
    let m = [5.0, 3.0, 2.0, 1.0]
        .into_iter()
        .find(|m| m * p <= v + 1e-9)
        .unwrap_or(1.0);
    (m * p).min(f64::from(u32::MAX)) as u32
}

/// Readable text colour on a count cell of shade `class`.
pub fn count_text_color(class: usize) -> Color32 {
    if class < 2 {
        Color32::from_rgb(0x10, 0x20, 0x30)
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
/// the coarse-position symbol with its count (and, on hover, what it means)
/// and, when count cells are drawn, their classes with their limits.
///
/// `counts_per_category` is in the order to show (usually
/// [`Category::ALL`]); `coarse_count` is how many of them have a coarse
/// position and are drawn as circles instead of points.
pub fn legend_ui(
    ui: &mut Ui,
    lang: Language,
    counts_per_category: &[(Category, u64)],
    coarse_count: u64,
    cell_classes: Option<&CountClasses>,
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
            ui.label(tr(lang, Key::MapLegendCoarse))
                .on_hover_text(ptext::tr(lang, T::CoarseExplained));
            ui.label(i18n::count(lang, coarse_count));
            ui.end_row();
        });
    if let Some(classes) = cell_classes.filter(|c| !c.is_empty()) {
        ui.add_space(4.0);
        ui.label(tr(lang, Key::MapLegendDensity));
        egui::Grid::new("count_cell_legend")
            .num_columns(2)
            .spacing(vec2(6.0, 2.0))
            .show(ui, |ui| {
                for (color, label) in classes.legend(lang) {
                    let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, color);
                    ui.label(label);
                    ui.end_row();
                }
            });
    }
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
    fn count_classes_have_readable_limits_and_the_busiest_is_darkest() {
        let c = CountClasses::for_max(1300);
        let r: Vec<_> = c.ranges().collect();
        assert_eq!(r, [(1, 3), (4, 10), (11, 50), (51, 300), (301, 1300)]);
        assert_eq!(c.class_of(1), 0);
        assert_eq!(c.class_of(3), 0);
        assert_eq!(c.class_of(4), 1);
        assert_eq!(c.class_of(1300), 4);
        let legend = c.legend(Language::Swedish);
        assert_eq!(legend[4].1, "301–1\u{202f}300");
        assert_eq!(legend[4].0, COUNT_COLORS[4]);
        // Few classes: the highest still gets the darkest colour.
        let small = CountClasses::for_max(2);
        assert_eq!(small.ranges().collect::<Vec<_>>(), [(1, 1), (2, 2)]);
        assert_eq!(small.class_of(2), 4);
        assert_eq!(small.class_of(1), 3);
        assert_eq!(small.legend(Language::English)[0].1, "1");
        assert!(CountClasses::for_max(0).is_empty());
    }

    #[test]
    fn busier_cells_are_darker_and_more_opaque() {
        let lum = |c: Color32| u32::from(c.r()) + u32::from(c.g()) + u32::from(c.b());
        for i in 1..COUNT_COLORS.len() {
            assert!(lum(COUNT_COLORS[i]) < lum(COUNT_COLORS[i - 1]));
            assert!(COUNT_ALPHA[i] > COUNT_ALPHA[i - 1]);
        }
        let alone = CountClasses::color(4, false);
        let over = CountClasses::color(4, true);
        assert!(over.a() < alone.a() / 2 + 10, "{over:?} vs {alone:?}");
    }

    #[test]
    fn dashed_circle_has_half_as_many_dashes_as_segments() {
        let dashes = dashed_circle(Pos2::ZERO, 60.0, Stroke::new(1.0, COARSE));
        assert!(dashes.len() >= 4);
        assert!(dashes.len() <= 256);
    }
}
