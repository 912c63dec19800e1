//! Shape layers on the map: GeoJSON layers the user added (a boundary,
//! areas drawn in QGIS, named places), drawn as walkers plugins.
//!
//! Polygons are triangulated once when a layer is set (`earcut`, holes
//! included), so a frame only projects vertices and fills a mesh; layers
//! outside the view are skipped by their extent. Each layer has one colour,
//! shown as its legend swatch.

use egui::epaint::{Mesh, PathShape, PathStroke};
use egui::{Color32, Pos2, Rect, Response, Shape as EguiShape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use crate::model::LonLat;
use crate::model::shape::{ShapeGeometry, Shapes};

/// Layer colours, in the order layers are added: dark, saturated tones that
/// stay apart from the incident palette and read on the OSM background.
pub const LAYER_COLORS: [Color32; 6] = [
    Color32::from_rgb(94, 60, 153),  // purple
    Color32::from_rgb(27, 120, 55),  // green
    Color32::from_rgb(140, 81, 10),  // brown
    Color32::from_rgb(33, 102, 172), // blue
    Color32::from_rgb(197, 27, 125), // magenta
    Color32::from_rgb(64, 64, 64),   // grey
];

/// One shape layer ready to draw.
pub struct OverlayLayer {
    pub shapes: Shapes,
    pub color: Color32,
    pub visible: bool,
    /// 0 (transparent) to 1 (opaque).
    pub opacity: f32,
    /// Per shape: triangle vertex indices into the shape's rings, flattened
    /// in ring order (empty for points and lines).
    triangles: Vec<Vec<u32>>,
    extent: Option<(LonLat, LonLat)>,
}

impl OverlayLayer {
    /// Prepares `shapes` for drawing in `color`.
    pub fn new(shapes: Shapes, color: Color32) -> OverlayLayer {
        let mut earcut = earcut::Earcut::new();
        let triangles = shapes
            .shapes
            .iter()
            .map(|s| match &s.geometry {
                ShapeGeometry::Polygon(rings) => triangulate(&mut earcut, rings),
                _ => Vec::new(),
            })
            .collect();
        let extent = shapes.extent();
        OverlayLayer {
            shapes,
            color,
            visible: true,
            opacity: 1.0,
            triangles,
            extent,
        }
    }

    /// The layer's name (its file name without extension).
    pub fn name(&self) -> &str {
        &self.shapes.name
    }

    /// Lower-left and upper-right corner of the layer.
    pub fn extent(&self) -> Option<(LonLat, LonLat)> {
        self.extent
    }

    /// Number of triangles filling the layer's polygons.
    pub fn triangle_count(&self) -> usize {
        self.triangles.iter().map(|t| t.len() / 3).sum()
    }
}

/// Triangles of a polygon with holes; indices count through the rings in
/// order, each ring without its closing vertex.
fn triangulate(earcut: &mut earcut::Earcut<f64>, rings: &[Vec<LonLat>]) -> Vec<u32> {
    let mut data = Vec::new();
    let mut holes = Vec::new();
    for (i, ring) in rings.iter().enumerate() {
        if i > 0 {
            holes.push(data.len() as u32);
        }
        let open = &ring[..ring.len().saturating_sub(1)];
        data.extend(open.iter().map(|p| [p.lon, p.lat]));
    }
    let mut out = Vec::new();
    earcut.earcut(data, &holes, &mut out);
    out
}

/// All shape layers, drawn bottom to top in the order given to
/// [`OverlayPlugin::new`].
pub struct OverlayPlugin<'a> {
    layers: Vec<&'a OverlayLayer>,
}

impl<'a> OverlayPlugin<'a> {
    pub fn new(layers: impl IntoIterator<Item = &'a OverlayLayer>) -> Self {
        Self {
            layers: layers.into_iter().filter(|l| l.visible).collect(),
        }
    }
}

impl Plugin for OverlayPlugin<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let rect = projector.clip_rect();
        let painter = ui.painter().with_clip_rect(rect);
        let view = view_extent(projector, rect);
        for layer in &self.layers {
            if !overlaps(layer.extent, view) {
                continue;
            }
            for shape in paint_layer(layer, projector) {
                painter.add(shape);
            }
        }
    }
}

/// The WGS84 box the map shows.
fn view_extent(projector: &Projector, rect: Rect) -> (LonLat, LonLat) {
    let a = projector.unproject(rect.left_bottom().to_vec2());
    let b = projector.unproject(rect.right_top().to_vec2());
    (LonLat::new(a.x(), a.y()), LonLat::new(b.x(), b.y()))
}

fn overlaps(extent: Option<(LonLat, LonLat)>, view: (LonLat, LonLat)) -> bool {
    extent.is_some_and(|(lo, hi)| {
        lo.lon <= view.1.lon && hi.lon >= view.0.lon && lo.lat <= view.1.lat && hi.lat >= view.0.lat
    })
}

/// The egui shapes drawing `layer` with `projector`.
pub fn paint_layer(layer: &OverlayLayer, projector: &Projector) -> Vec<EguiShape> {
    let project = |p: &LonLat| projector.project(lon_lat(p.lon, p.lat)).to_pos2();
    let alpha = layer.opacity.clamp(0.0, 1.0);
    let line = layer.color.gamma_multiply(alpha);
    let fill = layer.color.gamma_multiply(0.22 * alpha);
    let halo = Color32::WHITE.gamma_multiply(0.8 * alpha);
    let mut fills = Vec::new();
    let mut strokes = Vec::new();
    for (shape, triangles) in layer.shapes.shapes.iter().zip(&layer.triangles) {
        match &shape.geometry {
            ShapeGeometry::Polygon(rings) => {
                let mut mesh = Mesh::default();
                for ring in rings {
                    let open = &ring[..ring.len().saturating_sub(1)];
                    for p in open {
                        mesh.colored_vertex(project(p), fill);
                    }
                }
                mesh.indices.extend_from_slice(triangles);
                fills.push(EguiShape::mesh(mesh));
                for ring in rings {
                    let points: Vec<Pos2> = ring.iter().map(project).collect();
                    strokes.push(EguiShape::Path(PathShape::line(
                        points,
                        PathStroke::new(2.0, line),
                    )));
                }
            }
            ShapeGeometry::LineString(points) => {
                let points: Vec<Pos2> = points.iter().map(project).collect();
                strokes.push(EguiShape::Path(PathShape::line(
                    points.clone(),
                    PathStroke::new(5.0, halo),
                )));
                strokes.push(EguiShape::Path(PathShape::line(
                    points,
                    PathStroke::new(3.0, line),
                )));
            }
            ShapeGeometry::Point(p) => {
                strokes.push(EguiShape::circle_filled(project(p), 5.5, line));
                strokes.push(EguiShape::circle_stroke(
                    project(p),
                    5.5,
                    Stroke::new(1.5, halo),
                ));
            }
        }
    }
    fills.extend(strokes);
    fills
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shape::Shape;

    fn ring(points: &[(f64, f64)]) -> Vec<LonLat> {
        points.iter().map(|&(x, y)| LonLat::new(x, y)).collect()
    }

    fn polygon(rings: Vec<Vec<LonLat>>) -> Shapes {
        Shapes {
            name: "områden".to_owned(),
            shapes: vec![Shape {
                label: None,
                geometry: ShapeGeometry::Polygon(rings),
            }],
        }
    }

    /// Twice the signed area of the triangles, in square degrees.
    fn triangle_area(layer: &OverlayLayer) -> f64 {
        let ShapeGeometry::Polygon(rings) = &layer.shapes.shapes[0].geometry else {
            panic!()
        };
        let pts: Vec<LonLat> = rings
            .iter()
            .flat_map(|r| r[..r.len() - 1].iter().copied())
            .collect();
        layer.triangles[0]
            .chunks(3)
            .map(|t| {
                let (a, b, c) = (pts[t[0] as usize], pts[t[1] as usize], pts[t[2] as usize]);
                ((b.lon - a.lon) * (c.lat - a.lat) - (c.lon - a.lon) * (b.lat - a.lat)).abs()
            })
            .sum()
    }

    #[test]
    fn concave_polygons_with_holes_are_filled_exactly() {
        // An L shape (area 3) with a unit hole cut out of a 3x3 square (area 8).
        let l_shape = OverlayLayer::new(
            polygon(vec![ring(&[
                (0.0, 0.0),
                (2.0, 0.0),
                (2.0, 1.0),
                (1.0, 1.0),
                (1.0, 2.0),
                (0.0, 2.0),
                (0.0, 0.0),
            ])]),
            LAYER_COLORS[0],
        );
        assert_eq!(l_shape.triangle_count(), 4);
        assert!((triangle_area(&l_shape) - 2.0 * 3.0).abs() < 1e-9);

        let holed = OverlayLayer::new(
            polygon(vec![
                ring(&[(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 3.0), (0.0, 0.0)]),
                ring(&[(1.0, 1.0), (1.0, 2.0), (2.0, 2.0), (2.0, 1.0), (1.0, 1.0)]),
            ]),
            LAYER_COLORS[1],
        );
        assert!((triangle_area(&holed) - 2.0 * 8.0).abs() < 1e-9);
    }

    #[test]
    fn layers_outside_the_view_are_skipped() {
        let view = (LonLat::new(14.5, 56.0), LonLat::new(14.7, 56.1));
        let inside = Some((LonLat::new(14.6, 56.05), LonLat::new(14.9, 56.2)));
        let outside = Some((LonLat::new(15.0, 56.05), LonLat::new(15.2, 56.2)));
        assert!(overlaps(inside, view));
        assert!(!overlaps(outside, view));
        assert!(!overlaps(None, view));
    }
}
