//! The study area on the map: its outline, and a small tool to draw a new
//! one. While drawing, a click adds a vertex, a double-click or Enter
//! finishes (at least three vertices), Esc cancels, Backspace removes the
//! last vertex.

use egui::{Color32, Key, Pos2, Response, Shape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use crate::model::LonLat;

/// A polygon being drawn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaDraft {
    /// True while the tool is active.
    pub active: bool,
    /// Vertices so far, WGS84.
    pub vertices: Vec<LonLat>,
}

impl AreaDraft {
    pub fn start(&mut self) {
        self.active = true;
        self.vertices.clear();
    }

    pub fn cancel(&mut self) {
        self.active = false;
        self.vertices.clear();
    }

    /// Ends drawing: the ring when it has at least three vertices.
    pub fn finish(&mut self) -> Option<Vec<LonLat>> {
        self.active = false;
        let v = std::mem::take(&mut self.vertices);
        (v.len() >= 3).then_some(v)
    }
}

/// How a drawing ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftOutcome {
    /// The ring's vertices (WGS84, not closed).
    Finished(Vec<LonLat>),
    Cancelled,
}

/// Draws the current study area's outline and runs the draw tool.
pub struct AreaPlugin<'a> {
    /// Rings of the current study area in WGS84 (exteriors and holes).
    pub outline: &'a [Vec<LonLat>],
    pub draft: &'a mut AreaDraft,
    /// Set when a drawing ends this frame.
    pub outcome: &'a mut Option<DraftOutcome>,
}

const OUTLINE: Color32 = Color32::from_rgb(40, 90, 200);
const DRAFT: Color32 = Color32::from_rgb(220, 60, 160);

fn screen(projector: &Projector, p: LonLat) -> Pos2 {
    projector.project(lon_lat(p.lon, p.lat)).to_pos2()
}

impl Plugin for AreaPlugin<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let painter = ui.painter_at(projector.clip_rect());
        for ring in self.outline {
            let pts: Vec<Pos2> = ring.iter().map(|p| screen(projector, *p)).collect();
            if pts.len() >= 2 && pts.iter().all(|p| p.x.is_finite() && p.y.is_finite()) {
                painter.add(Shape::closed_line(pts, Stroke::new(2.0, OUTLINE)));
            }
        }
        let draft = self.draft;
        if !draft.active {
            return;
        }
        let (enter, escape, back) = ui.input(|i| {
            (
                i.key_pressed(Key::Enter),
                i.key_pressed(Key::Escape),
                i.key_pressed(Key::Backspace),
            )
        });
        if escape {
            draft.cancel();
            *self.outcome = Some(DraftOutcome::Cancelled);
            return;
        }
        if back {
            draft.vertices.pop();
        }
        if response.double_clicked() || enter {
            // The double-click's second click added no vertex (see below).
            if let Some(ring) = draft.finish() {
                *self.outcome = Some(DraftOutcome::Finished(ring));
            } else {
                *self.outcome = Some(DraftOutcome::Cancelled);
            }
            return;
        }
        let pointer = response.hover_pos();
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            let p = projector.unproject(pos.to_vec2());
            // The first click of a double-click on the last vertex adds nothing twice.
            let new = LonLat::new(p.x(), p.y());
            let repeat = draft
                .vertices
                .last()
                .is_some_and(|last| screen(projector, *last).distance(pos) < 3.0);
            if !repeat {
                draft.vertices.push(new);
            }
        }
        let mut pts: Vec<Pos2> = draft
            .vertices
            .iter()
            .map(|p| screen(projector, *p))
            .collect();
        if let Some(p) = pointer {
            pts.push(p);
        }
        if pts.len() >= 2 {
            painter.add(Shape::closed_line(pts.clone(), Stroke::new(2.0, DRAFT)));
        }
        for p in pts.iter().take(draft.vertices.len()) {
            painter.circle_filled(*p, 4.0, DRAFT);
        }
        ui.ctx().request_repaint();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_needs_three_vertices() {
        let mut d = AreaDraft::default();
        d.start();
        d.vertices.push(LonLat::new(14.5, 56.0));
        d.vertices.push(LonLat::new(14.6, 56.0));
        assert_eq!(d.finish(), None);
        assert!(!d.active);
        d.start();
        for (x, y) in [(14.5, 56.0), (14.6, 56.0), (14.6, 56.1)] {
            d.vertices.push(LonLat::new(x, y));
        }
        assert_eq!(d.finish().map(|v| v.len()), Some(3));
    }
}
