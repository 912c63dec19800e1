//! The incident layer: a walkers [`Plugin`] that draws the filtered incidents,
//! shows a tooltip on hover, selects on click and box-selects on shift+drag.
//!
//! # Data and state
//! The app builds an [`IncidentLayerData`] (index + filter mask + density
//! pyramid + coarse groups) in a background task whenever the filter or the
//! project changes, and hands it to the long-lived [`IncidentLayer`] with
//! [`IncidentLayer::set_data`]. The layer keeps hover, selection and the box
//! in progress between frames; `&mut IncidentLayer` is the plugin.
//!
//! # Drawing
//! Only what is in view is touched: the clip rect's corners are unprojected
//! to SWEREF 99 TM, and the density pyramid tells how many shown incidents
//! lie in that box. Up to [`AGGREGATE_ABOVE`] they are drawn as points (R-tree
//! query), above it as the pyramid level whose cells are 20–40 px on screen,
//! coloured by count with the count written in them. A frame thus costs
//! O(points or cells in view), never O(incidents).
//!
//! # Coarse positions
//! Incidents less precise than [`Precision::COARSE_ABOVE_M`] (e.g. police
//! events placed at "Sölvesborg") are never drawn as points. Those at the
//! same place with the same precision form one group, drawn as a translucent
//! circle of the precision radius with a dashed outline and a ring marker at
//! its centre labelled with the count; hovering the marker tells how many
//! incidents it holds. They cannot be selected one by one on the map and are
//! left out of box selection (their true position is unknown).
//!
//! # Tooltip
//! Local time, category, source, place (when the app supplies place names)
//! and precision; never the description.

use std::collections::BTreeMap;
use std::sync::Arc;

use egui::epaint::{CircleShape, Mesh, PathShape};
use egui::{
    Align2, Color32, DragPanButtons, FontId, Order, PointerButton, Pos2, Rect, Response, Shape,
    Stroke, Ui, vec2,
};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use super::palette::{self, CountClasses, category_color, count_text_color};
use crate::analysis::{DensityLevel, DensityPyramid, IncidentIndex};
use crate::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use crate::gui::i18n::{self, Key, Language, tr};
use crate::jobs::{CancelToken, Cancelled};
use crate::model::{Category, LonLat, Precision, time};

/// Above this many shown incidents in view, the layer draws density cells.
pub const AGGREGATE_ABOVE: u64 = 4_000;
/// Hover and click pick the nearest incident within this distance.
pub const PICK_RADIUS_PX: f32 = 8.0;
/// Largest density cell on screen; the chosen level's cells are 20–40 px.
pub const MAX_CELL_PX: f64 = 40.0;
/// Radius of an incident point, and of a selected one.
pub const POINT_RADIUS_PX: f32 = 4.0;
pub const SELECTED_RADIUS_PX: f32 = 7.0;
/// Box drags smaller than this (either side) select nothing.
const MIN_BOX_PX: f32 = 3.0;

/// Incidents sharing a coarse position (same place, same precision).
#[derive(Debug, Clone, PartialEq)]
pub struct CoarseGroup {
    pub position: LonLat,
    pub radius_m: f64,
    /// Indices into the index's points.
    pub members: Vec<usize>,
}

/// What the layer draws, prepared off the UI thread.
pub struct IncidentLayerData {
    index: Arc<IncidentIndex>,
    /// Drawn as points (filter passed, precise, position known).
    shown: Vec<bool>,
    pyramid: DensityPyramid,
    coarse_groups: Vec<CoarseGroup>,
    /// Filter-passing incidents per category (precise and coarse), in
    /// [`Category::ALL`] order.
    counts: Vec<(Category, u64)>,
    coarse_count: u64,
    places: Option<Vec<Option<String>>>,
}

impl IncidentLayerData {
    /// Prepares the layer for `index` and the filter result `visible`
    /// (`visible[i]` for `index.points()[i]`; indices past its end count as
    /// hidden). About 20 ms per million incidents: call it in a task.
    pub fn build(
        index: Arc<IncidentIndex>,
        visible: &[bool],
        cancel: &CancelToken,
    ) -> Result<IncidentLayerData, Cancelled> {
        let points = index.points();
        let xy = index.xy();
        let mut shown = vec![false; points.len()];
        let mut counts = [0u64; Category::ALL.len()];
        let mut groups: BTreeMap<(i64, i64, u64), Vec<usize>> = BTreeMap::new();
        for (i, p) in points.iter().enumerate() {
            if i % 65_536 == 0 {
                cancel.check()?;
            }
            if !visible.get(i).copied().unwrap_or(false) {
                continue;
            }
            if let Some(k) = Category::ALL.iter().position(|c| *c == p.category) {
                counts[k] += 1;
            }
            if p.precision_m > Precision::COARSE_ABOVE_M {
                if p.position.is_finite() {
                    let key = (
                        (p.position.lon * 1e4).round() as i64,
                        (p.position.lat * 1e4).round() as i64,
                        p.precision_m.to_bits(),
                    );
                    groups.entry(key).or_default().push(i);
                }
            } else if xy[i][0].is_finite() && xy[i][1].is_finite() {
                shown[i] = true;
            }
        }
        let pyramid = DensityPyramid::build(&index, |i| shown[i], cancel)?;
        let coarse_groups: Vec<CoarseGroup> = groups
            .into_values()
            .map(|members| {
                let first = &points[members[0]];
                CoarseGroup {
                    position: first.position,
                    radius_m: first.precision_m,
                    members,
                }
            })
            .collect();
        let coarse_count = coarse_groups.iter().map(|g| g.members.len() as u64).sum();
        Ok(IncidentLayerData {
            index,
            shown,
            pyramid,
            coarse_groups,
            counts: Category::ALL.iter().copied().zip(counts).collect(),
            coarse_count,
            places: None,
        })
    }

    /// Adds place names (same order as the index's points) for the tooltip.
    pub fn with_places(mut self, places: Vec<Option<String>>) -> IncidentLayerData {
        self.places = Some(places);
        self
    }

    pub fn index(&self) -> &Arc<IncidentIndex> {
        &self.index
    }

    /// True when incident `i` is drawn as a point (passes the filter, has a
    /// precise, known position).
    pub fn is_shown(&self, i: usize) -> bool {
        self.shown.get(i).copied().unwrap_or(false)
    }

    /// Filter-passing incidents per category, [`Category::ALL`] order (for
    /// [`palette::legend_ui`]).
    pub fn counts_per_category(&self) -> &[(Category, u64)] {
        &self.counts
    }

    /// How many filter-passing incidents have a coarse position.
    pub fn coarse_count(&self) -> u64 {
        self.coarse_count
    }

    pub fn coarse_groups(&self) -> &[CoarseGroup] {
        &self.coarse_groups
    }

    pub fn pyramid(&self) -> &DensityPyramid {
        &self.pyramid
    }
}

/// What the last frame drew.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FrameStats {
    /// Upper bound of shown incidents in view (from the density pyramid).
    pub in_view_estimate: u64,
    pub aggregated: bool,
    pub points_drawn: usize,
    pub cells_drawn: usize,
    pub coarse_groups_drawn: usize,
    /// Side of the density cells used, metres (0 when none).
    pub cell_m: f64,
    /// Side of the first density cell drawn, screen points, measured from
    /// its projected corners (0 when none): `cell_m` times the map's scale.
    pub cell_px: f32,
    /// The count cells' classes (empty when no cells were drawn).
    pub cell_classes: CountClasses,
}

/// What the pointer is over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hovered {
    Incident(usize),
    Cell(u32),
    Coarse(usize),
}

/// The incident layer's state; `&mut IncidentLayer` is the walkers plugin.
pub struct IncidentLayer {
    data: Option<Arc<IncidentLayerData>>,
    /// 0 (invisible) ..= 1.
    pub opacity: f32,
    pub lang: Language,
    /// Shown incidents in view above which cells are drawn.
    pub aggregate_above: u64,
    /// True when another visible layer lies under the incidents: count
    /// cells are then drawn translucent so it shows through.
    pub cells_over_layer: bool,
    selected: Option<usize>,
    box_selection: Vec<usize>,
    box_mask: Vec<bool>,
    box_counts: Vec<(Category, u64)>,
    /// Screen corners of the box being dragged.
    box_drag: Option<(Pos2, Pos2)>,
    hovered: Option<Hovered>,
    stats: FrameStats,
    frames: u64,
}

impl Default for IncidentLayer {
    fn default() -> Self {
        IncidentLayer::new(Language::default())
    }
}

impl IncidentLayer {
    pub fn new(lang: Language) -> IncidentLayer {
        IncidentLayer {
            data: None,
            opacity: 1.0,
            lang,
            aggregate_above: AGGREGATE_ABOVE,
            cells_over_layer: false,
            selected: None,
            box_selection: Vec::new(),
            box_mask: Vec::new(),
            box_counts: Vec::new(),
            box_drag: None,
            hovered: None,
            stats: FrameStats::default(),
            frames: 0,
        }
    }

    /// Swaps in new data. A selection that the new data still shows is kept
    /// (same index); anything else is cleared.
    pub fn set_data(&mut self, data: Arc<IncidentLayerData>) {
        let same_index = self
            .data
            .as_ref()
            .is_some_and(|old| Arc::ptr_eq(&old.index, &data.index));
        if same_index {
            self.selected = self.selected.filter(|&i| data.is_shown(i));
            let kept: Vec<usize> = self
                .box_selection
                .iter()
                .copied()
                .filter(|&i| data.is_shown(i))
                .collect();
            self.data = Some(data);
            self.set_box_selection(kept);
        } else {
            self.data = Some(data);
            self.selected = None;
            self.set_box_selection(Vec::new());
        }
        self.hovered = None;
    }

    pub fn data(&self) -> Option<&Arc<IncidentLayerData>> {
        self.data.as_ref()
    }

    /// The selected incident: an index into the index's points.
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// Selects an incident (e.g. from a list), or clears with `None`.
    pub fn select(&mut self, i: Option<usize>) {
        self.selected = i;
    }

    /// The incidents of the last box selection, ascending.
    pub fn box_selection(&self) -> &[usize] {
        &self.box_selection
    }

    /// Box selection per category, [`Category::ALL`] order, zeros included.
    pub fn box_counts(&self) -> &[(Category, u64)] {
        &self.box_counts
    }

    /// Replaces the selection with these incidents (indices into the
    /// index's points, e.g. those a strategic place covers), as a box
    /// selection would.
    pub fn set_selection(&mut self, incidents: Vec<usize>) {
        self.selected = None;
        self.set_box_selection(incidents);
    }

    pub fn clear_selection(&mut self) {
        self.selected = None;
        self.set_box_selection(Vec::new());
    }

    pub fn last_frame_stats(&self) -> FrameStats {
        self.stats
    }

    /// How many frames the layer has run on a map (it does not run while
    /// the layer is hidden).
    pub fn frames_drawn(&self) -> u64 {
        self.frames
    }

    /// True while a shift+drag box is being drawn.
    pub fn is_box_selecting(&self) -> bool {
        self.box_drag.is_some()
    }

    /// The buttons the map may pan with this frame: none while shift is held
    /// or a box is being drawn, so that shift+drag selects instead of panning.
    /// Pass it to `Map::drag_pan_buttons` before `with_plugin(&mut layer)`.
    pub fn pan_buttons(&self, ctx: &egui::Context) -> DragPanButtons {
        if self.box_drag.is_some() || ctx.input(|i| i.modifiers.shift) {
            DragPanButtons::empty()
        } else {
            DragPanButtons::PRIMARY
        }
    }

    fn set_box_selection(&mut self, selection: Vec<usize>) {
        let mut counts = [0u64; Category::ALL.len()];
        self.box_mask.clear();
        if let Some(data) = &self.data
            && !selection.is_empty()
        {
            let points = data.index.points();
            self.box_mask = vec![false; points.len()];
            for &i in &selection {
                self.box_mask[i] = true;
                if let Some(k) = Category::ALL.iter().position(|c| *c == points[i].category) {
                    counts[k] += 1;
                }
            }
        }
        self.box_counts = Category::ALL.iter().copied().zip(counts).collect();
        self.box_selection = selection;
    }

    fn is_highlighted(&self, i: usize) -> bool {
        self.selected == Some(i) || self.box_mask.get(i).copied().unwrap_or(false)
    }
}

/// The projector's view in SWEREF 99 TM.
struct View<'a> {
    projector: &'a Projector<'a>,
    rect: Rect,
    /// Screen pixels per metre at the view's centre.
    px_per_m: f64,
}

impl View<'_> {
    fn screen(&self, p: LonLat) -> Pos2 {
        self.projector.project(lon_lat(p.lon, p.lat)).to_pos2()
    }

    fn sweref(&self, p: Pos2) -> [f64; 2] {
        let pos = self.projector.unproject(p.to_vec2());
        let Sweref99Tm { easting, northing } = sweref_from_wgs84(LonLat::new(pos.x(), pos.y()));
        [easting, northing]
    }

    /// SWEREF 99 TM box around a screen rectangle (grown by `margin_px`).
    fn envelope(&self, rect: Rect, margin_px: f32) -> Option<([f64; 2], [f64; 2])> {
        let r = rect.expand(margin_px);
        let corners = [
            r.left_top(),
            r.right_top(),
            r.left_bottom(),
            r.right_bottom(),
        ]
        .map(|c| self.sweref(c));
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for c in corners {
            for a in 0..2 {
                min[a] = min[a].min(c[a]);
                max[a] = max[a].max(c[a]);
            }
        }
        // The grid is turned slightly against the screen (meridian
        // convergence under 1° here): a small margin covers it.
        let pad = 0.02 * (max[0] - min[0]).max(max[1] - min[1]);
        (min[0].is_finite() && max[0].is_finite() && min[1].is_finite() && max[1].is_finite())
            .then_some(([min[0] - pad, min[1] - pad], [max[0] + pad, max[1] + pad]))
    }

    fn screen_from_sweref(&self, e: f64, n: f64) -> Pos2 {
        self.screen(wgs84_from_sweref(Sweref99Tm {
            easting: e,
            northing: n,
        }))
    }
}

impl Plugin for &mut IncidentLayer {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let layer: &mut IncidentLayer = *self;
        layer.run_frame(ui, response, projector);
    }
}

/// A plugin drawn only when present: `ShownIf(visible.then_some(plugin))`
/// keeps a hidden layer (layer panel) out of the map in one builder chain.
pub struct ShownIf<P>(pub Option<P>);

impl<P: Plugin> Plugin for ShownIf<P> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        memory: &MapMemory,
    ) {
        if let Some(plugin) = self.0 {
            Box::new(plugin).run(ui, response, projector, memory);
        }
    }
}

impl IncidentLayer {
    fn run_frame(&mut self, ui: &mut Ui, response: &Response, projector: &Projector) {
        self.stats = FrameStats::default();
        self.frames += 1;
        self.hovered = None;
        let rect = projector.clip_rect();
        let center = projector.unproject(rect.center().to_vec2());
        let view = View {
            projector,
            rect,
            px_per_m: f64::from(projector.scale_pixel_per_meter(center)),
        };
        let Some(data) = self.data.clone() else {
            if response.clicked() {
                self.clear_selection();
            }
            return;
        };
        let painter = ui.painter().with_clip_rect(rect);
        let Some((min, max)) = view.envelope(rect, SELECTED_RADIUS_PX + 2.0) else {
            return;
        };
        let pointer = response.hover_pos();

        self.draw_coarse(&painter, &view, &data, pointer);

        let level = cell_level(&data.pyramid, view.px_per_m);
        let estimate = level.map_or(0, |l| l.count_touching(min, max));
        self.stats.in_view_estimate = estimate;
        if let Some(level) = level
            && estimate > self.aggregate_above
        {
            self.stats.aggregated = true;
            self.stats.cell_m = level.cell_m;
            self.draw_cells(&painter, &view, level, min, max, pointer);
        } else {
            self.draw_points(&painter, &view, &data, min, max, pointer);
        }

        self.box_select(ui, response, &painter, &view, &data);

        if response.clicked_by(PointerButton::Primary) && !ui.input(|i| i.modifiers.shift) {
            match self.hovered {
                Some(Hovered::Incident(i)) => self.selected = Some(i),
                Some(Hovered::Cell(_) | Hovered::Coarse(_)) => {}
                None => self.clear_selection(),
            }
        }
        // Not over an open menu (e.g. the map's right-click menu).
        if self.box_drag.is_none()
            && !egui::Popup::is_any_open(ui.ctx())
            && let (Some(hovered), Some(p)) = (self.hovered, pointer)
        {
            self.tooltip(ui, &data, hovered, p);
        }
    }

    fn draw_coarse(
        &mut self,
        painter: &egui::Painter,
        view: &View,
        data: &IncidentLayerData,
        pointer: Option<Pos2>,
    ) {
        let fill = palette::COARSE.gamma_multiply(0.12 * self.opacity);
        let stroke = Stroke::new(1.5, palette::COARSE.gamma_multiply(self.opacity));
        let diagonal = view.rect.size().length();
        for (g, group) in data.coarse_groups.iter().enumerate() {
            let center = view.screen(group.position);
            let radius = (group.radius_m * view.px_per_m) as f32;
            let d = view.rect.distance_to_pos(center);
            if d > radius + 12.0 {
                continue;
            }
            self.stats.coarse_groups_drawn += 1;
            // A circle larger than the view by far: only its edge could show,
            // and a few hundred dashes are plenty; its fill would hide the map.
            if radius < 2.0 * diagonal {
                painter.add(CircleShape::filled(center, radius, fill));
                painter.extend(palette::dashed_circle(center, radius, stroke));
            } else {
                let pts: Vec<Pos2> = (0..256)
                    .map(|k| {
                        let a = std::f32::consts::TAU * k as f32 / 256.0;
                        center + vec2(a.cos(), a.sin()) * radius
                    })
                    .collect();
                painter.add(PathShape::closed_line(pts, stroke));
            }
            painter.add(CircleShape {
                center,
                radius: 9.0,
                fill: Color32::WHITE.gamma_multiply(0.85 * self.opacity),
                stroke,
            });
            painter.text(
                center,
                Align2::CENTER_CENTER,
                short_count(group.members.len() as u64),
                FontId::proportional(10.0),
                Color32::BLACK.gamma_multiply(self.opacity),
            );
            if pointer.is_some_and(|p| p.distance(center) <= 10.0) {
                self.hovered = Some(Hovered::Coarse(g));
            }
        }
    }

    fn draw_points(
        &mut self,
        painter: &egui::Painter,
        view: &View,
        data: &IncidentLayerData,
        min: [f64; 2],
        max: [f64; 2],
        pointer: Option<Pos2>,
    ) {
        let points = data.index.points();
        let outline = Stroke::new(1.0, palette::OUTLINE.gamma_multiply(self.opacity));
        let visible_rect = view.rect.expand(SELECTED_RADIUS_PX + 1.0);
        let mut shapes = Vec::new();
        let mut highlighted = Vec::new();
        let mut best: Option<(usize, f32)> = None;
        for i in data.index.in_envelope(min, max) {
            if !data.shown[i] {
                continue;
            }
            let p = &points[i];
            let pos = view.screen(p.position);
            if !visible_rect.contains(pos) {
                continue;
            }
            if let Some(ptr) = pointer {
                let d = ptr.distance(pos);
                // Ties (stacked points) go to the lowest index, for stable picks.
                if d <= PICK_RADIUS_PX && best.is_none_or(|(bi, bd)| d < bd || (d == bd && i < bi))
                {
                    best = Some((i, d));
                }
            }
            if self.is_highlighted(i) {
                highlighted.push((pos, p.category));
                continue;
            }
            shapes.push(Shape::Circle(CircleShape {
                center: pos,
                radius: POINT_RADIUS_PX,
                fill: category_color(p.category).gamma_multiply(self.opacity),
                stroke: outline,
            }));
        }
        self.stats.points_drawn = shapes.len() + highlighted.len();
        painter.extend(shapes);
        let halo = Stroke::new(2.0, Color32::WHITE.gamma_multiply(self.opacity));
        for (pos, category) in highlighted {
            painter.circle(
                pos,
                SELECTED_RADIUS_PX + 1.5,
                Color32::TRANSPARENT,
                Stroke::new(1.0, palette::OUTLINE.gamma_multiply(self.opacity)),
            );
            painter.circle(
                pos,
                SELECTED_RADIUS_PX,
                category_color(category).gamma_multiply(self.opacity),
                halo,
            );
        }
        if let Some((i, _)) = best {
            self.hovered = Some(Hovered::Incident(i));
        }
    }

    fn draw_cells(
        &mut self,
        painter: &egui::Painter,
        view: &View,
        level: &DensityLevel,
        min: [f64; 2],
        max: [f64; 2],
        pointer: Option<Pos2>,
    ) {
        let Some((cols, rows)) = level.cell_range(min, max) else {
            return;
        };
        let max_count = rows
            .clone()
            .flat_map(|r| cols.clone().map(move |c| (c, r)))
            .map(|(c, r)| level.count(c, r))
            .max()
            .unwrap_or(0);
        if max_count == 0 {
            return;
        }
        // Screen positions of the grid's vertices in view, each converted once.
        let width = cols.len() + 1;
        let mut vertices = Vec::with_capacity(width * (rows.len() + 1));
        for r in rows.start..=rows.end {
            for c in cols.start..=cols.end {
                let (corner, _) = level.cell_bounds(c, r);
                vertices.push(view.screen_from_sweref(corner[0], corner[1]));
            }
        }
        let vertex = |c: usize, r: usize| vertices[(r - rows.start) * width + (c - cols.start)];
        let classes = CountClasses::for_max(max_count);
        self.stats.cell_classes = classes;
        let mut mesh = Mesh::default();
        let mut labels = Vec::new();
        let hovered_cell = pointer.and_then(|p| level.cell_at(view.sweref(p)));
        for r in rows.clone() {
            for c in cols.clone() {
                let n = level.count(c, r);
                if n == 0 {
                    continue;
                }
                let class = classes.class_of(n);
                let colour =
                    CountClasses::color(class, self.cells_over_layer).gamma_multiply(self.opacity);
                let quad = [
                    vertex(c, r),
                    vertex(c + 1, r),
                    vertex(c + 1, r + 1),
                    vertex(c, r + 1),
                ];
                let base = mesh.vertices.len() as u32;
                for q in quad {
                    mesh.colored_vertex(q, colour);
                }
                mesh.add_triangle(base, base + 1, base + 2);
                mesh.add_triangle(base, base + 2, base + 3);
                if self.stats.cells_drawn == 0 {
                    self.stats.cell_px = quad[0].distance(quad[1]);
                }
                self.stats.cells_drawn += 1;
                let center = Rect::from_two_pos(quad[0], quad[2]).center();
                if quad[0].distance(quad[1]) >= 18.0 {
                    labels.push((center, n, class));
                }
                if hovered_cell == Some((c, r)) {
                    self.hovered = Some(Hovered::Cell(n));
                }
            }
        }
        painter.add(Shape::mesh(mesh));
        for (center, n, class) in labels {
            painter.text(
                center,
                Align2::CENTER_CENTER,
                short_count(u64::from(n)),
                FontId::proportional(10.0),
                count_text_color(class).gamma_multiply(self.opacity),
            );
        }
    }

    fn box_select(
        &mut self,
        ui: &Ui,
        response: &Response,
        painter: &egui::Painter,
        view: &View,
        data: &IncidentLayerData,
    ) {
        let (shift, press_origin, latest, primary_down) = ui.input(|i| {
            (
                i.modifiers.shift,
                i.pointer.press_origin(),
                i.pointer.latest_pos(),
                i.pointer.primary_down(),
            )
        });
        if self.box_drag.is_none()
            && shift
            && response.drag_started_by(PointerButton::Primary)
            && let Some(start) = press_origin
        {
            self.box_drag = Some((start, latest.unwrap_or(start)));
        }
        let Some((start, mut end)) = self.box_drag else {
            return;
        };
        if let Some(p) = latest {
            end = p;
        }
        self.box_drag = Some((start, end));
        let r = Rect::from_two_pos(start, end);
        painter.rect(
            r,
            0.0,
            Color32::from_rgba_unmultiplied(0x00, 0x72, 0xB2, 40),
            Stroke::new(1.5, Color32::from_rgb(0x00, 0x72, 0xB2)),
            egui::StrokeKind::Inside,
        );
        if primary_down && !response.drag_stopped() {
            return;
        }
        self.box_drag = None;
        if r.width() < MIN_BOX_PX || r.height() < MIN_BOX_PX {
            return;
        }
        let Some((min, max)) = view.envelope(r, 1.0) else {
            return;
        };
        let points = data.index.points();
        let mut inside: Vec<usize> = data
            .index
            .in_envelope(min, max)
            .filter(|&i| data.shown[i] && r.contains(view.screen(points[i].position)))
            .collect();
        inside.sort_unstable();
        self.set_box_selection(inside);
    }

    fn tooltip(&self, ui: &Ui, data: &IncidentLayerData, hovered: Hovered, pointer: Pos2) {
        let lang = self.lang;
        egui::Area::new(ui.scope_id().with("incident_tooltip"))
            .order(Order::Tooltip)
            .fixed_pos(pointer + vec2(14.0, 14.0))
            .interactable(false)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| match hovered {
                    Hovered::Incident(i) => {
                        let Some(p) = data.index.points().get(i) else {
                            return;
                        };
                        ui.label(format!(
                            "{} ({})",
                            time::local(p.occurred_at).format("%Y-%m-%d %H:%M"),
                            tr(lang, Key::LocalTime)
                        ));
                        ui.label(i18n::category(lang, p.category));
                        ui.label(i18n::source(lang, p.source));
                        if let Some(Some(place)) = data.places.as_ref().and_then(|v| v.get(i)) {
                            ui.label(format!("{}: {place}", tr(lang, Key::MapPlace)));
                        }
                        ui.label(format!(
                            "{}: ±{}",
                            tr(lang, Key::MapPrecision),
                            distance_text(p.precision_m)
                        ));
                    }
                    Hovered::Cell(n) => {
                        ui.label(format!(
                            "{} {}",
                            i18n::count(lang, u64::from(n)),
                            tr(lang, Key::MapCellIncidents)
                        ));
                    }
                    Hovered::Coarse(g) => {
                        let Some(group) = data.coarse_groups.get(g) else {
                            return;
                        };
                        ui.label(format!(
                            "{} {} (±{})",
                            i18n::count(lang, group.members.len() as u64),
                            tr(lang, Key::MapCoarseGroup),
                            distance_text(group.radius_m)
                        ));
                    }
                });
            });
    }
}

/// The density level drawn at `px_per_m` screen points per metre: the
/// coarsest whose cells are at most [`MAX_CELL_PX`] on screen (so 20–40 px
/// when a finer level exists), else the finest.
pub fn cell_level(pyramid: &DensityPyramid, px_per_m: f64) -> Option<&DensityLevel> {
    pyramid.level_at_most(MAX_CELL_PX / px_per_m)
}

/// "850", "12k", "1.2M": short enough for a 20 px cell.
fn short_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..10_000 => format!("{:.1}k", n as f64 / 1e3),
        10_000..1_000_000 => format!("{}k", n / 1_000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// "10 m", "2 km", "15 km".
fn distance_text(m: f64) -> String {
    if m >= 1_000.0 {
        format!("{} km", (m / 1_000.0 * 10.0).round() / 10.0)
    } else {
        format!("{} m", m.round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IncidentPoint;
    use crate::model::Source;

    fn point(lon: f64, lat: f64, category: Category, precision_m: f64) -> IncidentPoint {
        IncidentPoint {
            fid: 1,
            occurred_at: chrono::DateTime::UNIX_EPOCH,
            category,
            source: Source::Polis,
            position: LonLat::new(lon, lat),
            precision_m,
        }
    }

    #[test]
    fn build_splits_precise_and_coarse_and_honours_the_mask() {
        let index = Arc::new(IncidentIndex::build(vec![
            point(14.58, 56.05, Category::Vald, 10.0),
            point(14.59, 56.05, Category::Stold, 10.0),
            point(14.60, 56.06, Category::Vald, 15_000.0),
            point(14.60, 56.06, Category::Brand, 15_000.0),
            point(14.60, 56.06, Category::Brand, 2_000.0),
            point(14.61, 56.05, Category::Vald, 10.0),
        ]));
        let mask = [true, false, true, true, true];
        let data = IncidentLayerData::build(index, &mask, &CancelToken::new()).unwrap();
        assert!(data.is_shown(0));
        assert!(!data.is_shown(1), "hidden by the filter");
        assert!(!data.is_shown(2), "coarse");
        assert!(!data.is_shown(5), "mask too short: hidden");
        assert_eq!(data.pyramid().total(), 1);
        assert_eq!(data.coarse_count(), 3);
        let sizes: Vec<(f64, usize)> = data
            .coarse_groups()
            .iter()
            .map(|g| (g.radius_m, g.members.len()))
            .collect();
        assert_eq!(sizes.len(), 2);
        assert!(sizes.contains(&(15_000.0, 2)) && sizes.contains(&(2_000.0, 1)));
        let vald = data
            .counts_per_category()
            .iter()
            .find(|(c, _)| *c == Category::Vald)
            .unwrap();
        assert_eq!(vald.1, 2);
    }

    #[test]
    fn short_counts_fit_a_cell() {
        assert_eq!(short_count(999), "999");
        assert_eq!(short_count(1_250), "1.2k");
        assert_eq!(short_count(45_000), "45k");
        assert_eq!(short_count(2_500_000), "2.5M");
        assert_eq!(distance_text(15_000.0), "15 km");
        assert_eq!(distance_text(10.0), "10 m");
    }
}
