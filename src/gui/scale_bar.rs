//! A scale bar in the map's lower-left corner, in metres or kilometres.

use walkers::{MapMemory, Plugin, Projector};

use super::i18n::Language;

/// The scale bar plugin; made anew each frame.
pub struct ScaleBar {
    pub lang: Language,
}

/// The longest "nice" length (1, 2 or 5 × 10ⁿ metres) that fits in
/// `max_px` pixels at `px_per_m`, and its length in pixels.
pub fn nice_length(px_per_m: f64, max_px: f64) -> Option<(f64, f64)> {
    if !(px_per_m.is_finite() && px_per_m > 0.0) {
        return None;
    }
    let max_m = max_px / px_per_m;
    let mut best = None;
    let mut base = 1.0;
    while base <= 1e7 {
        for m in [1.0, 2.0, 5.0] {
            let len = m * base;
            if len <= max_m {
                best = Some((len, len * px_per_m));
            }
        }
        base *= 10.0;
    }
    best
}

/// "500 m", "2 km".
pub fn format_length(m: f64) -> String {
    if m >= 1000.0 {
        format!("{} km", m / 1000.0)
    } else {
        format!("{m} m")
    }
}

/// Longest bar drawn, screen points.
pub const MAX_BAR_PX: f64 = 120.0;

/// The bar for the view `projector` shows: its length in metres and in
/// screen points, measured at the centre of `rect` (the map's rectangle).
pub fn bar_for_view(projector: &Projector, rect: egui::Rect) -> Option<(f64, f64)> {
    // `unproject` takes a screen position, not an offset from the centre.
    let center = projector.unproject(rect.center().to_vec2());
    nice_length(
        f64::from(projector.scale_pixel_per_meter(center)),
        MAX_BAR_PX,
    )
}

impl Plugin for ScaleBar {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        response: &egui::Response,
        projector: &Projector,
        _memory: &MapMemory,
    ) {
        let rect = response.rect;
        let Some((len_m, len_px)) = bar_for_view(projector, rect) else {
            return;
        };
        let _ = self.lang;
        let len_px = len_px as f32;
        let origin = egui::pos2(rect.left() + 12.0, rect.bottom() - 14.0);
        let painter = ui.painter();
        let bg = egui::Rect::from_min_max(
            origin + egui::vec2(-6.0, -22.0),
            origin + egui::vec2(len_px + 6.0, 6.0),
        );
        painter.rect_filled(bg, 3.0, egui::Color32::from_white_alpha(200));
        let stroke = egui::Stroke::new(2.0, egui::Color32::BLACK);
        let end = origin + egui::vec2(len_px, 0.0);
        painter.line_segment([origin, end], stroke);
        painter.line_segment([origin, origin - egui::vec2(0.0, 6.0)], stroke);
        painter.line_segment([end, end - egui::vec2(0.0, 6.0)], stroke);
        painter.text(
            origin + egui::vec2(len_px / 2.0, -8.0),
            egui::Align2::CENTER_BOTTOM,
            format_length(len_m),
            egui::FontId::proportional(12.0),
            egui::Color32::BLACK,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_nice_lengths() {
        // 0.5 px per metre, at most 120 px → at most 240 m → 200 m.
        let (m, px) = nice_length(0.5, 120.0).unwrap();
        assert_eq!(m, 200.0);
        assert!((px - 100.0).abs() < 1e-9);
        assert_eq!(nice_length(0.01, 120.0).unwrap().0, 10_000.0);
        assert_eq!(nice_length(0.0, 120.0), None);
        assert_eq!(format_length(2000.0), "2 km");
        assert_eq!(format_length(500.0), "500 m");
    }
}
