//! The analysis layers on the map, as walkers plugins: the heatmap (a
//! texture on a projected mesh), hotspot cells coloured by class, and the
//! strategic places (numbered markers with coverage circles).
//!
//! Everything heavy is prepared once per result in the analysis task (the
//! heatmap image, the WGS84 mesh vertices and cell corners); a frame only
//! projects what is in view. The heatmap grid is in SWEREF 99 TM and the map
//! in Web Mercator: the texture is drawn on a (MESH_STEPS × MESH_STEPS)-quad
//! mesh whose vertices are the grid's SWEREF 99 TM corners converted to WGS84
//! and projected, so the image lines up with the map at every zoom.

use egui::epaint::{CircleShape, Mesh, Vertex};
use egui::{Align2, Color32, FontId, Order, Pos2, Rect, Response, Shape, Stroke, Ui, vec2};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use crate::analysis::HotspotClass;
use crate::crs::sweref_from_wgs84;
use crate::gui::analysis::task::{HeatmapView, HotspotView, MESH_STEPS, PlacesView};
use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::LonLat;

/// Whether a layer is drawn and how opaque.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisLayerStyle {
    pub visible: bool,
    /// 0 (transparent) ..= 1.
    pub opacity: f32,
}

impl Default for AnalysisLayerStyle {
    fn default() -> Self {
        AnalysisLayerStyle {
            visible: true,
            opacity: 1.0,
        }
    }
}

impl AnalysisLayerStyle {
    /// Visible with some opacity.
    pub fn shows(&self) -> bool {
        self.visible && self.opacity > 0.0
    }
}

/// Hotspot cells smaller than this on screen are drawn without outline.
pub const OUTLINE_FROM_PX: f32 = 14.0;
/// Radius of a strategic-place marker.
pub const MARKER_RADIUS_PX: f32 = 12.0;

/// The colour of a hotspot class: ColorBrewer's diverging "PRGn" (purple =
/// hot, green = cold), colour-blind safe and unlike the heatmap's
/// yellow–red and the count cells' blues, so the layers are not mistaken
/// for each other.
pub fn hotspot_color(class: HotspotClass) -> Color32 {
    match class {
        HotspotClass::Hot99 => Color32::from_rgb(0x76, 0x2A, 0x83),
        HotspotClass::Hot95 => Color32::from_rgb(0x99, 0x70, 0xAB),
        HotspotClass::Hot90 => Color32::from_rgb(0xC2, 0xA5, 0xCF),
        HotspotClass::NotSignificant => Color32::from_rgb(240, 240, 240),
        HotspotClass::Cold90 => Color32::from_rgb(0xA6, 0xDB, 0xA0),
        HotspotClass::Cold95 => Color32::from_rgb(0x5A, 0xAE, 0x61),
        HotspotClass::Cold99 => Color32::from_rgb(0x1B, 0x78, 0x37),
    }
}

/// How opaque hotspot cells are drawn at full layer opacity.
pub const HOTSPOT_FILL_ALPHA: f32 = 0.75;

/// The fill a hotspot cell of `class` is drawn with (at full layer
/// opacity): also the legend's swatch, so map and legend match.
pub fn hotspot_fill(class: HotspotClass) -> Color32 {
    hotspot_color(class).gamma_multiply(HOTSPOT_FILL_ALPHA)
}

/// Marker colour of the strategic places.
pub const PLACE_COLOR: Color32 = Color32::from_rgb(28, 64, 140);
/// Ring around the place chosen in the list.
pub const FOCUS_COLOR: Color32 = Color32::from_rgb(255, 196, 0);

fn screen(projector: &Projector, p: LonLat) -> Pos2 {
    projector.project(lon_lat(p.lon, p.lat)).to_pos2()
}

/// SWEREF 99 TM box of the view, grown by `pad_m`.
fn view_envelope(projector: &Projector, pad_m: f64) -> Option<([f64; 2], [f64; 2])> {
    let r = projector.clip_rect();
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for c in [
        r.left_top(),
        r.right_top(),
        r.left_bottom(),
        r.right_bottom(),
    ] {
        let pos = projector.unproject(c.to_vec2());
        let s = sweref_from_wgs84(LonLat::new(pos.x(), pos.y()));
        for (a, v) in [s.easting, s.northing].into_iter().enumerate() {
            min[a] = min[a].min(v);
            max[a] = max[a].max(v);
        }
    }
    let pad = pad_m + 0.02 * (max[0] - min[0]).max(max[1] - min[1]);
    (min[0].is_finite() && min[1].is_finite() && max[0].is_finite() && max[1].is_finite())
        .then_some(([min[0] - pad, min[1] - pad], [max[0] + pad, max[1] + pad]))
}

/// The heatmap: its texture on the projected mesh.
pub struct HeatmapPlugin<'a> {
    pub view: Option<&'a HeatmapView>,
    pub texture: Option<egui::TextureId>,
    pub style: AnalysisLayerStyle,
}

impl Plugin for HeatmapPlugin<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let (Some(view), Some(texture)) = (self.view, self.texture) else {
            return;
        };
        if !self.style.shows() {
            return;
        }
        let clip = projector.clip_rect();
        let n = MESH_STEPS + 1;
        let positions: Vec<Pos2> = view
            .mesh_lonlat
            .iter()
            .map(|p| screen(projector, *p))
            .collect();
        let bounds = Rect::from_points(&positions);
        if !bounds.intersects(clip) || positions.iter().any(|p| !p.x.is_finite()) {
            return;
        }
        let tint = Color32::WHITE.gamma_multiply(self.style.opacity);
        let mut mesh = Mesh::with_texture(texture);
        mesh.vertices.reserve(n * n);
        for j in 0..n {
            for i in 0..n {
                let uv = egui::pos2(
                    i as f32 / MESH_STEPS as f32,
                    1.0 - j as f32 / MESH_STEPS as f32,
                );
                mesh.vertices.push(Vertex {
                    pos: positions[j * n + i],
                    uv,
                    color: tint,
                });
            }
        }
        for j in 0..MESH_STEPS {
            for i in 0..MESH_STEPS {
                let a = (j * n + i) as u32;
                let b = a + 1;
                let c = a + n as u32;
                let d = c + 1;
                // Skip quads wholly outside the view.
                let quad = Rect::from_points(&[
                    positions[a as usize],
                    positions[b as usize],
                    positions[c as usize],
                    positions[d as usize],
                ]);
                if !quad.intersects(clip) {
                    continue;
                }
                mesh.add_triangle(a, b, d);
                mesh.add_triangle(a, d, c);
            }
        }
        ui.painter().with_clip_rect(clip).add(Shape::mesh(mesh));
    }
}

/// Hotspot cells, significant ones only, coloured by class.
pub struct HotspotPlugin<'a> {
    pub view: Option<&'a HotspotView>,
    pub style: AnalysisLayerStyle,
}

impl Plugin for HotspotPlugin<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let Some(view) = self.view else {
            return;
        };
        if !self.style.shows() || view.cells.is_empty() {
            return;
        }
        let cell_m = view.hotspots.cell_m;
        let Some((min, max)) = view_envelope(projector, cell_m) else {
            return;
        };
        let clip = projector.clip_rect();
        let painter = ui.painter().with_clip_rect(clip);
        let center = projector.unproject(clip.center().to_vec2());
        let cell_px = (cell_m * f64::from(projector.scale_pixel_per_meter(center))) as f32;
        let outline = cell_px >= OUTLINE_FROM_PX;
        let opacity = self.style.opacity;
        let mut mesh = Mesh::default();
        let mut outlines = Vec::new();
        for cell in &view.cells {
            let c = cell.center;
            if c[0] < min[0] || c[0] > max[0] || c[1] < min[1] || c[1] > max[1] {
                continue;
            }
            let pts = cell.corners.map(|p| screen(projector, p));
            let color = hotspot_color(cell.class);
            let fill = hotspot_fill(cell.class).gamma_multiply(opacity);
            let base = mesh.vertices.len() as u32;
            for p in pts {
                mesh.colored_vertex(p, fill);
            }
            mesh.add_triangle(base, base + 1, base + 2);
            mesh.add_triangle(base, base + 2, base + 3);
            if outline {
                let dark = Color32::from_rgb(
                    (color.r() as f32 * 0.6) as u8,
                    (color.g() as f32 * 0.6) as u8,
                    (color.b() as f32 * 0.6) as u8,
                );
                outlines.push(Shape::closed_line(
                    pts.to_vec(),
                    Stroke::new(1.0, dark.gamma_multiply(0.5 * opacity)),
                ));
            }
        }
        painter.add(Shape::mesh(mesh));
        painter.extend(outlines);
    }
}

/// Hover and click on the places' markers, kept between frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlacesInteraction {
    /// Index (rank − 1) of the marker under the pointer.
    pub hovered: Option<usize>,
    /// Index of the marker clicked this frame.
    pub clicked: Option<usize>,
}

/// Strategic places: coverage circles, numbered markers, tooltip on hover.
pub struct PlacesPlugin<'a> {
    pub view: Option<&'a PlacesView>,
    pub style: AnalysisLayerStyle,
    /// Index of the place chosen in the list (drawn with a ring).
    pub focused: Option<usize>,
    pub interaction: &'a mut PlacesInteraction,
    pub lang: Language,
}

impl Plugin for PlacesPlugin<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let this = *self;
        this.interaction.hovered = None;
        this.interaction.clicked = None;
        let Some(view) = this.view else {
            return;
        };
        if !this.style.shows() {
            return;
        }
        let opacity = this.style.opacity;
        let clip = projector.clip_rect();
        let painter = ui.painter().with_clip_rect(clip);
        let pointer = response.hover_pos();
        let radius_m = view.places.params.radius_m;
        let mut markers = Vec::new();
        for (i, pos) in view.positions.iter().enumerate() {
            let c = screen(projector, *pos);
            if !c.x.is_finite() {
                continue;
            }
            let r = radius_m as f32 * projector.scale_pixel_per_meter(lon_lat(pos.lon, pos.lat));
            if clip.expand(r + MARKER_RADIUS_PX).contains(c) {
                painter.add(CircleShape {
                    center: c,
                    radius: r,
                    fill: PLACE_COLOR.gamma_multiply(0.13 * opacity),
                    stroke: Stroke::new(2.0, PLACE_COLOR.gamma_multiply(0.85 * opacity)),
                });
                markers.push((i, c));
            }
        }
        // Markers above every circle, best rank on top; a marker that would
        // cover a better-ranked one moves aside with a line to its place.
        let spread = spread_markers(&markers.iter().map(|m| m.1).collect::<Vec<_>>());
        for (&(i, at), &c) in markers.iter().zip(&spread).rev() {
            if c != at {
                painter.line_segment(
                    [at, c],
                    Stroke::new(2.0, PLACE_COLOR.gamma_multiply(opacity)),
                );
                painter.circle_filled(at, 3.0, PLACE_COLOR.gamma_multiply(opacity));
            }
            if this.focused == Some(i) {
                painter.circle_stroke(
                    c,
                    MARKER_RADIUS_PX + 4.0,
                    Stroke::new(4.0, FOCUS_COLOR.gamma_multiply(opacity)),
                );
            }
            painter.add(CircleShape {
                center: c,
                radius: MARKER_RADIUS_PX,
                fill: PLACE_COLOR.gamma_multiply(opacity),
                stroke: Stroke::new(2.0, Color32::WHITE.gamma_multiply(opacity)),
            });
            painter.text(
                c,
                Align2::CENTER_CENTER,
                (i + 1).to_string(),
                FontId::proportional(13.0),
                Color32::WHITE.gamma_multiply(opacity),
            );
            if pointer.is_some_and(|p| p.distance(c) <= MARKER_RADIUS_PX + 2.0)
                && this.interaction.hovered.is_none()
            {
                this.interaction.hovered = Some(i);
            }
        }
        if let Some(i) = this.interaction.hovered {
            if response.clicked() {
                this.interaction.clicked = Some(i);
            }
            if let (Some(p), Some(place)) = (pointer, view.places.places.get(i)) {
                let lang = this.lang;
                let total = view.places.total;
                egui::Area::new(ui.scope_id().with("place_tooltip"))
                    .order(Order::Tooltip)
                    .fixed_pos(p + vec2(14.0, 14.0))
                    .interactable(false)
                    .show(ui.ctx(), |ui| {
                        egui::Frame::popup(ui.style()).show(ui, |ui| {
                            ui.strong(format!("{} {}", tr(lang, Key::AnPlace), place.rank));
                            ui.label(format!(
                                "{}: {} ({})",
                                tr(lang, Key::AnCovered),
                                i18n::count(lang, place.covered.round() as u64),
                                percent(place.covered, total)
                            ));
                            ui.label(format!(
                                "{}: {}",
                                tr(lang, Key::AnGain),
                                i18n::count(lang, place.gain.round() as u64)
                            ));
                            ui.weak(tr(lang, Key::AnClickToSelect));
                        });
                    });
            }
        }
    }
}

/// Screen positions for markers at `at` (best rank first) so that no two
/// overlap: each keeps its place unless that covers an earlier marker, then
/// takes the nearest free spot on rings around it.
pub fn spread_markers(at: &[Pos2]) -> Vec<Pos2> {
    let min_d = 2.0 * MARKER_RADIUS_PX + 2.0;
    let mut placed: Vec<Pos2> = Vec::with_capacity(at.len());
    for &p in at {
        let free = |q: Pos2, placed: &[Pos2]| placed.iter().all(|o| o.distance(q) >= min_d);
        let mut chosen = p;
        if !free(p, &placed) {
            'rings: for ring in 1..=8 {
                let r = min_d * ring as f32;
                let steps = 8 * ring;
                for k in 0..steps {
                    let a = std::f32::consts::TAU * k as f32 / steps as f32
                        - std::f32::consts::FRAC_PI_4;
                    let q = p + vec2(a.cos(), a.sin()) * r;
                    if free(q, &placed) {
                        chosen = q;
                        break 'rings;
                    }
                }
            }
        }
        placed.push(chosen);
    }
    placed
}

/// `part` of `total` as a whole percentage, e.g. "34 %".
pub fn percent(part: f64, total: f64) -> String {
    if total > 0.0 {
        format!("{:.0} %", 100.0 * part / total)
    } else {
        "0 %".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::analysis::layer_legend;
    use crate::gui::analysis::task::HEAT_STOPS;
    use crate::gui::i18n::Language;
    use crate::gui::map::palette::COUNT_COLORS;
    use crate::gui::panels::{LayerId, Legend};

    #[test]
    fn overlapping_place_markers_move_apart_and_lone_ones_stay() {
        let at = [
            Pos2::new(100.0, 100.0),
            Pos2::new(104.0, 100.0),
            Pos2::new(100.0, 103.0),
            Pos2::new(400.0, 400.0),
        ];
        let out = spread_markers(&at);
        assert_eq!(out[0], at[0], "the best place keeps its spot");
        assert_eq!(out[3], at[3], "a lone place keeps its spot");
        for i in 0..out.len() {
            for j in 0..i {
                assert!(
                    out[i].distance(out[j]) >= 2.0 * MARKER_RADIUS_PX,
                    "{i} and {j} overlap: {out:?}"
                );
            }
        }
    }

    #[test]
    fn hotspot_legend_shows_the_colours_drawn_and_no_heatmap_colour() {
        let Legend::Swatches(items) = layer_legend(Language::Swedish, &LayerId::Hotspots) else {
            panic!("hotspots have swatches");
        };
        let significant: Vec<_> = HotspotClass::ALL
            .into_iter()
            .filter(|c| c.is_significant())
            .collect();
        assert_eq!(items.len(), significant.len());
        for ((color, _), class) in items.iter().zip(&significant) {
            assert_eq!(*color, hotspot_fill(*class), "{class:?}");
            let c = hotspot_color(*class);
            // Far from every heatmap stop and every count-cell colour.
            let far = |rgb: [u8; 3]| {
                let d: i32 = (0..3)
                    .map(|k| (i32::from(c.to_array()[k]) - i32::from(rgb[k])).abs())
                    .sum();
                d > 60
            };
            assert!(HEAT_STOPS.iter().all(|s| far(*s)), "{class:?}");
            assert!(
                COUNT_COLORS.iter().all(|s| far([s.r(), s.g(), s.b()])),
                "{class:?}"
            );
        }
    }
}
