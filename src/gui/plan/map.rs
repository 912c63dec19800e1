//! The patrol plan on the map: areas (filled, holes cut out), routes with
//! their numbered stops, and the editing tools.
//!
//! With the plan window open: the draw tools add a vertex per click (snapped
//! to an existing vertex of the plan within [`SNAP_PX`] pixels); a
//! double-click or Enter finishes, Esc cancels, Backspace removes the last
//! vertex. The selected item shows its vertices and midpoints: drag a vertex
//! to move it, drag a midpoint to insert a vertex there, right-click a vertex
//! to delete it. A click on an area or route selects it. Each change is one
//! undoable edit ([`super::history`]).

use egui::{Color32, Pos2, Response, Shape, Stroke, Ui};
use geo::{Coord, Intersects as _, LineString, MultiPolygon, Polygon};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use super::history::{PlanEdit, PlanItem};
use super::{PlanState, Tool};
use crate::gui::i18n::Language;
use crate::model::LonLat;
use crate::model::plan::PlanRef;

/// How near (pixels) the pointer must be to a handle to grab it.
pub const HANDLE_PX: f32 = 8.0;
/// How near (pixels) a new or moved vertex snaps to an existing one.
pub const SNAP_PX: f32 = 10.0;

fn right_click_id() -> egui::Id {
    egui::Id::unique("lagesbild_plan_took_right_click")
}

/// True when the plan tool used this frame's right-click (to delete a
/// vertex), so the map's context menu must not open for it.
pub fn took_right_click(ctx: &egui::Context) -> bool {
    let frame = ctx.cumulative_pass_nr();
    ctx.data(|d| d.get_temp::<u64>(right_click_id())) == Some(frame)
}

/// One ring or line of an item, open (no closing vertex).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ring {
    coords: Vec<Coord<f64>>,
    closed: bool,
    /// Polygon index and ring index (0 = exterior) for areas.
    polygon: usize,
}

/// A vertex being dragged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drag {
    before: PlanItem,
    rings: Vec<Ring>,
    ring: usize,
    vertex: usize,
}

fn open_coords(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut c = ring.0.clone();
    if c.len() > 1 && c.first() == c.last() {
        c.pop();
    }
    c
}

pub(crate) fn rings_of(item: &PlanItem) -> Vec<Ring> {
    match item {
        PlanItem::Area(a) => a
            .polygons
            .0
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(move |r| Ring {
                        coords: open_coords(r),
                        closed: true,
                        polygon: i,
                    })
            })
            .collect(),
        PlanItem::Route(r) => vec![Ring {
            coords: r.line.0.clone(),
            closed: false,
            polygon: 0,
        }],
    }
}

pub(crate) fn item_with(item: &PlanItem, rings: &[Ring]) -> PlanItem {
    match item {
        PlanItem::Area(a) => {
            let mut polygons: Vec<Polygon<f64>> = Vec::new();
            let mut current: Option<(usize, LineString<f64>, Vec<LineString<f64>>)> = None;
            for r in rings {
                let line = LineString::from(r.coords.clone());
                match &mut current {
                    Some((p, _, holes)) if *p == r.polygon => holes.push(line),
                    _ => {
                        if let Some((_, ext, holes)) = current.take() {
                            polygons.push(Polygon::new(ext, holes));
                        }
                        current = Some((r.polygon, line, vec![]));
                    }
                }
            }
            if let Some((_, ext, holes)) = current {
                polygons.push(Polygon::new(ext, holes));
            }
            let mut a = a.clone();
            a.polygons = MultiPolygon::new(polygons);
            PlanItem::Area(a)
        }
        PlanItem::Route(r) => {
            let mut r = r.clone();
            if let Some(ring) = rings.first() {
                r.line = LineString::from(ring.coords.clone());
            }
            PlanItem::Route(r)
        }
    }
}

fn screen(projector: &Projector, c: Coord<f64>) -> Pos2 {
    projector.project(lon_lat(c.x, c.y)).to_pos2()
}

fn unproject(projector: &Projector, pos: Pos2) -> Coord<f64> {
    let p = projector.unproject(pos.to_vec2());
    Coord { x: p.x(), y: p.y() }
}

fn color32([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

fn distance_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len2 = ab.length_sq();
    let t = if len2 > 0.0 {
        ((p - a).dot(ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t).distance(p)
}

/// Filled polygon with holes, triangulated on screen.
fn fill(painter: &egui::Painter, projector: &Projector, p: &Polygon<f64>, color: Color32) {
    let mut data: Vec<[f64; 2]> = Vec::new();
    let mut holes: Vec<u32> = Vec::new();
    for (i, ring) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        if i > 0 {
            holes.push(data.len() as u32);
        }
        data.extend(open_coords(ring).into_iter().map(|c| {
            let s = screen(projector, c);
            [f64::from(s.x), f64::from(s.y)]
        }));
    }
    if data.len() < 3 || data.iter().any(|d| !(d[0].is_finite() && d[1].is_finite())) {
        return;
    }
    let mut triangles: Vec<u32> = Vec::new();
    earcut::Earcut::new().earcut(data.iter().copied(), &holes, &mut triangles);
    let mut mesh = egui::Mesh::default();
    for d in &data {
        mesh.colored_vertex(egui::pos2(d[0] as f32, d[1] as f32), color);
    }
    for t in triangles.chunks_exact(3) {
        mesh.add_triangle(t[0], t[1], t[2]);
    }
    painter.add(Shape::mesh(mesh));
}

/// A route's stops: filled circles with their number.
fn paint_stops(
    painter: &egui::Painter,
    projector: &Projector,
    route: &crate::model::plan::PatrolRoute,
) {
    let c = color32(route.attributes.color);
    for (i, s) in route.stops.iter().enumerate() {
        let p = screen(projector, s.position.0);
        painter.circle(p, 10.0, c, Stroke::new(1.5, Color32::WHITE));
        painter.text(
            p,
            egui::Align2::CENTER_CENTER,
            (i + 1).to_string(),
            egui::FontId::proportional(12.0),
            Color32::WHITE,
        );
    }
}

/// Draws the plan and runs its tools; see the module docs.
pub struct PlanPlugin<'a> {
    pub state: &'a mut PlanState,
    pub lang: Language,
}

/// A handle of the selected item on screen.
#[derive(Debug, Clone, Copy)]
enum Handle {
    Vertex(usize, usize),
    Mid(usize, usize),
}

impl Plugin for PlanPlugin<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let lang = self.lang;
        let st = self.state;
        let painter = ui.painter_at(projector.clip_rect());
        let dragged = st.drag.as_ref().and_then(|d| d.before.reference());
        let drag_item = st.drag.as_ref().map(|d| item_with(&d.before, &d.rings));
        // Areas, then routes, then stops.
        for area in &st.plan.areas {
            let reference = area.id.map(PlanRef::Area);
            let shown = match (&drag_item, reference == dragged) {
                (Some(PlanItem::Area(a)), true) => a,
                _ => area,
            };
            let c = color32(shown.attributes.color);
            let selected = reference.is_some() && st.selected == reference;
            for p in &shown.polygons.0 {
                fill(
                    &painter,
                    projector,
                    p,
                    c.gamma_multiply(if selected { 0.35 } else { 0.2 }),
                );
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    let pts: Vec<Pos2> = ring.0.iter().map(|c| screen(projector, *c)).collect();
                    painter.add(Shape::line(
                        pts,
                        Stroke::new(if selected { 3.0 } else { 2.0 }, c),
                    ));
                }
            }
        }
        for route in &st.plan.routes {
            let reference = route.id.map(PlanRef::Route);
            let shown = match (&drag_item, reference == dragged) {
                (Some(PlanItem::Route(r)), true) => r,
                _ => route,
            };
            let c = color32(shown.attributes.color);
            let selected = reference.is_some() && st.selected == reference;
            let pts: Vec<Pos2> = shown.line.0.iter().map(|c| screen(projector, *c)).collect();
            painter.add(Shape::line(
                pts,
                Stroke::new(if selected { 5.0 } else { 3.5 }, c),
            ));
            paint_stops(&painter, projector, shown);
        }
        // Every vertex of the plan on screen, for snapping.
        let all_vertices: Vec<(Pos2, Coord<f64>)> = st
            .plan
            .areas
            .iter()
            .flat_map(|a| {
                a.polygons.0.iter().flat_map(|p| {
                    p.exterior()
                        .0
                        .iter()
                        .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
                })
            })
            .chain(st.plan.routes.iter().flat_map(|r| r.line.0.iter()))
            .map(|c| (screen(projector, *c), *c))
            .collect();
        let snap = |pos: Pos2, skip: Option<Pos2>| -> Coord<f64> {
            all_vertices
                .iter()
                .filter(|(s, _)| skip.is_none_or(|k| k.distance(*s) > 0.5))
                .map(|(s, c)| (s.distance(pos), *c))
                .filter(|(d, _)| *d <= SNAP_PX)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or_else(|| unproject(projector, pos), |(_, c)| c)
        };
        if st.draft.open
            && let Some(b) = st.draft.base_position()
        {
            // The route draft's base: a square, apart from the round stops.
            let p = screen(projector, Coord { x: b.lon, y: b.lat });
            let r = egui::Rect::from_center_size(p, egui::vec2(14.0, 14.0));
            painter.rect_filled(r, 2.0, Color32::from_rgb(220, 60, 160));
            painter.rect_stroke(
                r,
                2.0,
                Stroke::new(1.5, Color32::WHITE),
                egui::StrokeKind::Outside,
            );
        }
        st.handles.clear();
        if st.tool == Tool::PickBase {
            // The route draft's base: one click (Esc leaves the tool).
            if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                st.tool = Tool::Idle;
            } else if let Some(pos) = response
                .clicked()
                .then(|| response.interact_pointer_pos())
                .flatten()
            {
                let c = snap(pos, None);
                st.draft.base = Some(LonLat::new(c.x, c.y));
                st.tool = Tool::Idle;
            }
            return;
        }
        if !st.open {
            st.drag = None;
            return;
        }
        let (enter, escape, back) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::Enter),
                i.key_pressed(egui::Key::Escape),
                i.key_pressed(egui::Key::Backspace),
            )
        });
        let pointer = response.hover_pos();
        let click_pos = response
            .clicked()
            .then(|| response.interact_pointer_pos())
            .flatten();
        // Drawing tools.
        if st.tool.is_drawing() {
            if escape {
                st.tool = Tool::Idle;
                return;
            }
            if let Tool::AddStops(id) = st.tool {
                if enter {
                    st.tool = Tool::Idle;
                    return;
                }
                if let Some(pos) = click_pos {
                    let c = snap(pos, None);
                    st.add_stop(id, LonLat::new(c.x, c.y), lang);
                }
                return;
            }
            let vertices = match &mut st.tool {
                Tool::DrawArea(v) | Tool::DrawRoute(v) | Tool::DrawHole(_, v) => v,
                _ => return,
            };
            if back {
                vertices.pop();
            }
            if response.double_clicked() || enter {
                st.finish_drawing(lang);
                return;
            }
            if let Some(pos) = click_pos {
                let repeat = vertices.last().is_some_and(|l| {
                    screen(projector, Coord { x: l.lon, y: l.lat }).distance(pos) < 3.0
                });
                if !repeat {
                    let c = snap(pos, None);
                    vertices.push(LonLat::new(c.x, c.y));
                }
            }
            let closed = !matches!(st.tool, Tool::DrawRoute(_));
            let vertices = match &st.tool {
                Tool::DrawArea(v) | Tool::DrawRoute(v) | Tool::DrawHole(_, v) => v,
                _ => return,
            };
            let mut pts: Vec<Pos2> = vertices
                .iter()
                .map(|p| screen(projector, Coord { x: p.lon, y: p.lat }))
                .collect();
            let n = pts.len();
            if let Some(p) = pointer {
                pts.push(p);
            }
            let draft = Color32::from_rgb(220, 60, 160);
            if pts.len() >= 2 {
                if closed {
                    painter.add(Shape::closed_line(pts.clone(), Stroke::new(2.0, draft)));
                } else {
                    painter.add(Shape::line(pts.clone(), Stroke::new(3.0, draft)));
                }
            }
            for p in pts.iter().take(n) {
                painter.circle_filled(*p, 4.0, draft);
            }
            ui.ctx().request_repaint();
            return;
        }
        // Editing the selected item.
        let selected_item = st.selected_item();
        let rings = match (&st.drag, &selected_item) {
            (Some(d), _) => d.rings.clone(),
            (None, Some(item)) => rings_of(item),
            _ => vec![],
        };
        let mut handles: Vec<(Pos2, Handle)> = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let n = ring.coords.len();
            for (vi, c) in ring.coords.iter().enumerate() {
                handles.push((screen(projector, *c), Handle::Vertex(ri, vi)));
            }
            let segments = if ring.closed { n } else { n.saturating_sub(1) };
            for vi in 0..segments {
                let a = screen(projector, ring.coords[vi]);
                let b = screen(projector, ring.coords[(vi + 1) % n]);
                handles.push((a + (b - a) * 0.5, Handle::Mid(ri, vi)));
            }
        }
        for (p, h) in &handles {
            match h {
                Handle::Vertex(..) => {
                    painter.circle(*p, 5.0, Color32::WHITE, Stroke::new(2.0, Color32::BLACK));
                }
                Handle::Mid(..) => {
                    painter.circle(
                        *p,
                        3.5,
                        Color32::from_white_alpha(160),
                        Stroke::new(1.0, Color32::BLACK),
                    );
                }
            }
        }
        // The selected route's numbered stops stay readable over its handles.
        if let Some(PlanItem::Route(r)) = &selected_item
            && st.drag.is_none()
        {
            paint_stops(&painter, projector, r);
        }
        st.handles = handles.iter().map(|(p, _)| *p).collect();
        let near = |pos: Pos2| -> Option<Handle> {
            // Vertices win over midpoints.
            let mut best: Option<(f32, bool, Handle)> = None;
            for (p, h) in &handles {
                let d = p.distance(pos);
                let vertex = matches!(h, Handle::Vertex(..));
                if d <= HANDLE_PX
                    && best.is_none_or(|(bd, bv, _)| (vertex && !bv) || (vertex == bv && d < bd))
                {
                    best = Some((d, vertex, *h));
                }
            }
            best.map(|(_, _, h)| h)
        };
        if let Some(item) = &selected_item
            && st.drag.is_none()
            && response.drag_started()
            && let Some(origin) = ui.input(|i| i.pointer.press_origin())
            && let Some(h) = near(origin)
        {
            let mut rings = rings.clone();
            let (ring, vertex) = match h {
                Handle::Vertex(r, v) => (r, v),
                Handle::Mid(r, v) => {
                    let c = unproject(projector, origin);
                    rings[r].coords.insert(v + 1, c);
                    (r, v + 1)
                }
            };
            st.drag = Some(Drag {
                before: item.clone(),
                rings,
                ring,
                vertex,
            });
        }
        if let Some(d) = &mut st.drag {
            if let Some(pos) = response.interact_pointer_pos().or(pointer) {
                let own = d
                    .rings
                    .get(d.ring)
                    .and_then(|r| r.coords.get(d.vertex))
                    .map(|c| screen(projector, *c));
                let c = snap(pos, own);
                if let Some(v) = d
                    .rings
                    .get_mut(d.ring)
                    .and_then(|r| r.coords.get_mut(d.vertex))
                {
                    *v = c;
                }
            }
            if (response.drag_stopped() || !ui.input(|i| i.pointer.primary_down()))
                && let Some(d) = st.drag.take()
            {
                let after = item_with(&d.before, &d.rings);
                if after != d.before {
                    st.submit(PlanEdit::Put {
                        before: Some(d.before),
                        after,
                    });
                }
            }
            ui.ctx().request_repaint();
            return;
        }
        if let Some(item) = &selected_item
            && response.secondary_clicked()
            && let Some(pos) = response.interact_pointer_pos()
            && let Some(Handle::Vertex(r, v)) = near(pos)
        {
            let frame = ui.ctx().cumulative_pass_nr();
            ui.ctx()
                .data_mut(|d| d.insert_temp(right_click_id(), frame));
            let mut rings = rings.clone();
            let min = if rings[r].closed { 4 } else { 3 };
            if rings[r].coords.len() >= min {
                rings[r].coords.remove(v);
                st.submit(PlanEdit::Put {
                    before: Some(item.clone()),
                    after: item_with(item, &rings),
                });
            }
            return;
        }
        if let Some(pos) = click_pos
            && near(pos).is_none()
        {
            let hit_route = st.plan.routes.iter().rev().find(|r| {
                r.line.0.windows(2).any(|w| {
                    distance_to_segment(pos, screen(projector, w[0]), screen(projector, w[1]))
                        <= HANDLE_PX
                }) || r
                    .stops
                    .iter()
                    .any(|s| screen(projector, s.position.0).distance(pos) <= 10.0)
            });
            let c = unproject(projector, pos);
            let hit = hit_route
                .and_then(|r| r.id.map(PlanRef::Route))
                .or_else(|| {
                    st.plan
                        .areas
                        .iter()
                        .rev()
                        .find(|a| a.polygons.intersects(&c))
                        .and_then(|a| a.id.map(PlanRef::Area))
                });
            if hit.is_some() || st.selected.is_some() {
                st.select(hit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{PatrolArea, PlanAttributes};
    use geo::polygon;

    #[test]
    fn rings_come_apart_and_go_back_together() {
        let area = PlanItem::Area(PatrolArea {
            id: Some(1),
            attributes: PlanAttributes::default(),
            polygons: MultiPolygon::new(vec![
                polygon!(
                    exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0), (x: 0.0, y: 0.0)],
                    interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 1.0)]],
                ),
                polygon![(x: 5.0, y: 0.0), (x: 6.0, y: 0.0), (x: 6.0, y: 1.0), (x: 5.0, y: 0.0)],
            ]),
        });
        let rings = rings_of(&area);
        assert_eq!(rings.len(), 3);
        assert_eq!(rings[0].coords.len(), 4);
        assert_eq!(item_with(&area, &rings), area);
        let mut moved = rings.clone();
        moved[2].coords[1] = Coord { x: 7.0, y: 0.0 };
        let PlanItem::Area(a) = item_with(&area, &moved) else {
            panic!("an area");
        };
        assert_eq!(a.polygons.0[1].exterior().0[1], Coord { x: 7.0, y: 0.0 });
        assert_eq!(a.polygons.0[0].interiors().len(), 1);
    }
}
