//! The change map on the map: tested cells filled by class (more: red,
//! fewer: blue, no clear change: light grey), with its legend in the map's
//! lower-left corner.

use egui::epaint::Mesh;
use egui::{Align2, Color32, FontId, Response, Shape, Stroke, Ui, pos2, vec2};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use super::ChangeView;
use super::text::{T, tr};
use crate::analysis::change::ChangeClass;
use crate::gui::i18n::Language;

/// The colour of a change class (diverging red–blue, as density-change maps use).
pub fn change_color(class: ChangeClass) -> Color32 {
    match class {
        ChangeClass::More => Color32::from_rgb(215, 48, 31),
        ChangeClass::Fewer => Color32::from_rgb(33, 113, 181),
        ChangeClass::NoClearChange => Color32::from_rgb(200, 200, 200),
    }
}

/// The legend text of a class.
pub fn change_label(lang: Language, class: ChangeClass) -> &'static str {
    match class {
        ChangeClass::More => tr(lang, T::More),
        ChangeClass::Fewer => tr(lang, T::Fewer),
        ChangeClass::NoClearChange => tr(lang, T::NoClearChange),
    }
}

/// Draws a [`ChangeView`] when shown.
pub struct ChangePlugin<'a> {
    pub view: Option<&'a ChangeView>,
    pub lang: Language,
}

impl Plugin for ChangePlugin<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let Some(view) = self.view else {
            return;
        };
        let clip = projector.clip_rect();
        let painter = ui.painter().with_clip_rect(clip);
        let mut mesh = Mesh::default();
        for (class, corners) in &view.cells {
            let pts = corners.map(|p| projector.project(lon_lat(p.lon, p.lat)).to_pos2());
            if !pts.iter().any(|p| clip.contains(*p))
                && !egui::Rect::from_points(&pts).intersects(clip)
            {
                continue;
            }
            let alpha = if *class == ChangeClass::NoClearChange {
                0.35
            } else {
                0.7
            };
            let fill = change_color(*class).gamma_multiply(alpha);
            let base = mesh.vertices.len() as u32;
            for p in pts {
                mesh.colored_vertex(p, fill);
            }
            mesh.add_triangle(base, base + 1, base + 2);
            mesh.add_triangle(base, base + 2, base + 3);
        }
        painter.add(Shape::mesh(mesh));
        // Legend, lower left.
        // The cells drawn: those tested (the untested ones are all "no clear change").
        let mut counts = view.map.class_counts();
        counts[2] -= view.map.cells.len() - view.map.tested;
        let lines: Vec<(Color32, String)> = ChangeClass::ALL
            .iter()
            .zip(counts)
            .map(|(c, n)| {
                (
                    change_color(*c),
                    format!("{} ({n})", change_label(self.lang, *c)),
                )
            })
            .collect();
        let title = format!(
            "{}: {} / {}",
            tr(self.lang, T::Change),
            view.map.before,
            view.map.after
        );
        let font = FontId::proportional(13.0);
        let row = 18.0;
        let height = row * (lines.len() as f32 + 1.0) + 10.0;
        let origin = clip.left_bottom() + vec2(8.0, -height - 40.0);
        let width = painter
            .layout_no_wrap(title.clone(), font.clone(), Color32::BLACK)
            .size()
            .x
            .max(200.0)
            + 14.0;
        let bg = egui::Rect::from_min_size(origin, vec2(width, height));
        painter.rect_filled(bg, 4.0, Color32::from_white_alpha(225));
        painter.text(
            origin + vec2(6.0, 4.0),
            Align2::LEFT_TOP,
            title,
            font.clone(),
            Color32::BLACK,
        );
        for (k, (color, text)) in lines.iter().enumerate() {
            let y = origin.y + 4.0 + row * (k as f32 + 1.0);
            let swatch = egui::Rect::from_min_size(pos2(origin.x + 6.0, y + 2.0), vec2(14.0, 12.0));
            painter.rect_filled(swatch, 2.0, *color);
            painter.rect_stroke(
                swatch,
                2.0,
                Stroke::new(1.0, Color32::DARK_GRAY),
                egui::StrokeKind::Inside,
            );
            painter.text(
                pos2(origin.x + 26.0, y),
                Align2::LEFT_TOP,
                text,
                font.clone(),
                Color32::BLACK,
            );
        }
    }
}
