//! Shape layers on the map: GeoJSON layers the user added (a boundary,
//! areas drawn in QGIS, named places), drawn as walkers plugins.
//!
//! Polygons are triangulated once when a layer is set (`earcut`, holes
//! included), so a frame only projects vertices and fills a mesh; layers
//! outside the view are skipped by their extent. Each layer has one colour,
//! shown as its legend swatch.

use std::borrow::Cow;

use egui::epaint::{Mesh, PathShape, PathStroke};
use egui::{Color32, Pos2, Rect, Response, Shape as EguiShape, Stroke, Ui};
use geo::{Geometry, Intersects as _, LineString, Point, Polygon};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use crate::model::LonLat;
use crate::model::shape::FeatureSet;

/// Layer colours, in the order layers are added: the store's
/// [`crate::store::layers::PALETTE`] (a new layer's stored colour).
pub const LAYER_COLORS: [Color32; 6] = {
    let p = crate::store::layers::PALETTE;
    let mut out = [Color32::BLACK; 6];
    let mut i = 0;
    while i < out.len() {
        out[i] = Color32::from_rgb(p[i][0], p[i][1], p[i][2]);
        i += 1;
    }
    out
};

/// One shape layer ready to draw.
pub struct OverlayLayer {
    pub features: FeatureSet,
    pub color: Color32,
    pub visible: bool,
    /// 0 (transparent) to 1 (opaque).
    pub opacity: f32,
    /// Per polygon, in the order [`for_each_part`] visits them: triangle
    /// vertex indices into the polygon's rings, flattened in ring order, each
    /// ring without its closing vertex.
    triangles: Vec<Vec<u32>>,
    /// The WGS84 box of every vertex.
    extent: Option<geo::Rect<f64>>,
}

impl OverlayLayer {
    /// Prepares `features` for drawing in `color`.
    pub fn new(features: FeatureSet, color: Color32) -> OverlayLayer {
        let mut earcut = earcut::Earcut::new();
        let mut triangles = Vec::new();
        for f in &features.features {
            for_each_part(&f.geometry, &mut |part| {
                if let Part::Polygon(p) = part {
                    triangles.push(triangulate(&mut earcut, &p));
                }
            });
        }
        let extent = features.extent();
        OverlayLayer {
            features,
            color,
            visible: true,
            opacity: 1.0,
            triangles,
            extent,
        }
    }

    /// The layer's name (its file name without extension).
    pub fn name(&self) -> &str {
        &self.features.name
    }

    /// Lower-left and upper-right corner of the layer.
    pub fn extent(&self) -> Option<(LonLat, LonLat)> {
        self.extent.map(|r| {
            (
                LonLat::new(r.min().x, r.min().y),
                LonLat::new(r.max().x, r.max().y),
            )
        })
    }

    /// Number of triangles filling the layer's polygons.
    pub fn triangle_count(&self) -> usize {
        self.triangles.iter().map(|t| t.len() / 3).sum()
    }
}

/// A drawable piece of a geometry.
enum Part<'a> {
    Point(Point<f64>),
    Line(Cow<'a, LineString<f64>>),
    Polygon(Cow<'a, Polygon<f64>>),
}

/// Calls `f` with every point, line and polygon of `g`, in order (Multi
/// forms and collections taken apart; a `Rect` or `Triangle` as a polygon,
/// a `Line` as a line string).
fn for_each_part<'a>(g: &'a Geometry<f64>, f: &mut impl FnMut(Part<'a>)) {
    match g {
        Geometry::Point(p) => f(Part::Point(*p)),
        Geometry::MultiPoint(ps) => ps.iter().for_each(|p| f(Part::Point(*p))),
        Geometry::Line(l) => f(Part::Line(Cow::Owned(LineString::from(vec![
            l.start, l.end,
        ])))),
        Geometry::LineString(l) => f(Part::Line(Cow::Borrowed(l))),
        Geometry::MultiLineString(ls) => ls.iter().for_each(|l| f(Part::Line(Cow::Borrowed(l)))),
        Geometry::Polygon(p) => f(Part::Polygon(Cow::Borrowed(p))),
        Geometry::MultiPolygon(ps) => ps.iter().for_each(|p| f(Part::Polygon(Cow::Borrowed(p)))),
        Geometry::Rect(r) => f(Part::Polygon(Cow::Owned(r.to_polygon()))),
        Geometry::Triangle(t) => f(Part::Polygon(Cow::Owned(t.to_polygon()))),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| for_each_part(g, f)),
    }
}

/// The rings of a polygon, exterior first, each without its closing vertex.
fn open_rings(p: &Polygon<f64>) -> impl Iterator<Item = &[geo::Coord<f64>]> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|ring| &ring.0[..ring.0.len().saturating_sub(1)])
}

/// Triangles of a polygon with holes; indices count through the rings in
/// order, each ring without its closing vertex.
fn triangulate(earcut: &mut earcut::Earcut<f64>, polygon: &Polygon<f64>) -> Vec<u32> {
    let mut data = Vec::new();
    let mut holes = Vec::new();
    for (i, ring) in open_rings(polygon).enumerate() {
        if i > 0 {
            holes.push(data.len() as u32);
        }
        data.extend(ring.iter().map(|c| [c.x, c.y]));
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
fn view_extent(projector: &Projector, rect: Rect) -> geo::Rect<f64> {
    let a = projector.unproject(rect.left_bottom().to_vec2());
    let b = projector.unproject(rect.right_top().to_vec2());
    geo::Rect::new(a.0, b.0)
}

fn overlaps(extent: Option<geo::Rect<f64>>, view: geo::Rect<f64>) -> bool {
    extent.is_some_and(|e| e.intersects(&view))
}

/// The egui shapes drawing `layer` with `projector`.
pub fn paint_layer(layer: &OverlayLayer, projector: &Projector) -> Vec<EguiShape> {
    let project = |c: &geo::Coord<f64>| projector.project(lon_lat(c.x, c.y)).to_pos2();
    let alpha = layer.opacity.clamp(0.0, 1.0);
    let line = layer.color.gamma_multiply(alpha);
    let fill = layer.color.gamma_multiply(0.22 * alpha);
    let halo = Color32::WHITE.gamma_multiply(0.8 * alpha);
    let mut fills = Vec::new();
    let mut strokes = Vec::new();
    let mut triangles = layer.triangles.iter();
    for feature in &layer.features.features {
        for_each_part(&feature.geometry, &mut |part| match part {
            Part::Polygon(polygon) => {
                let mut mesh = Mesh::default();
                for ring in open_rings(&polygon) {
                    for c in ring {
                        mesh.colored_vertex(project(c), fill);
                    }
                }
                if let Some(t) = triangles.next() {
                    mesh.indices.extend_from_slice(t);
                }
                fills.push(EguiShape::mesh(mesh));
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    let points: Vec<Pos2> = ring.0.iter().map(project).collect();
                    strokes.push(EguiShape::Path(PathShape::line(
                        points,
                        PathStroke::new(2.0, line),
                    )));
                }
            }
            Part::Line(l) => {
                let points: Vec<Pos2> = l.0.iter().map(project).collect();
                strokes.push(EguiShape::Path(PathShape::line(
                    points.clone(),
                    PathStroke::new(5.0, halo),
                )));
                strokes.push(EguiShape::Path(PathShape::line(
                    points,
                    PathStroke::new(3.0, line),
                )));
            }
            Part::Point(p) => {
                let at = project(&p.0);
                strokes.push(EguiShape::circle_filled(at, 5.5, line));
                strokes.push(EguiShape::circle_stroke(at, 5.5, Stroke::new(1.5, halo)));
            }
        });
    }
    fills.extend(strokes);
    fills
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shape::Feature;
    use geo::Area as _;

    fn ring(points: &[(f64, f64)]) -> LineString<f64> {
        points
            .iter()
            .map(|&(x, y)| geo::coord! { x: x, y: y })
            .collect()
    }

    fn layer_of(geometries: Vec<Geometry<f64>>) -> FeatureSet {
        FeatureSet {
            name: "områden".to_owned(),
            features: geometries
                .into_iter()
                .map(|geometry| Feature {
                    geometry,
                    properties: Default::default(),
                })
                .collect(),
        }
    }

    fn polygon(rings: Vec<LineString<f64>>) -> FeatureSet {
        let mut rings = rings.into_iter();
        let exterior = rings.next().unwrap();
        layer_of(vec![Polygon::new(exterior, rings.collect()).into()])
    }

    /// Twice the area of the triangles of the `n`th polygon, in square degrees.
    fn triangle_area(layer: &OverlayLayer, n: usize) -> f64 {
        let mut polygons = Vec::new();
        for f in &layer.features.features {
            for_each_part(&f.geometry, &mut |part| {
                if let Part::Polygon(p) = part {
                    polygons.push(p.into_owned());
                }
            });
        }
        let pts: Vec<geo::Coord<f64>> = open_rings(&polygons[n]).flatten().copied().collect();
        layer.triangles[n]
            .chunks(3)
            .map(|t| {
                let (a, b, c) = (pts[t[0] as usize], pts[t[1] as usize], pts[t[2] as usize]);
                ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)).abs()
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
        assert!((triangle_area(&l_shape, 0) - 2.0 * 3.0).abs() < 1e-9);

        let holed = OverlayLayer::new(
            polygon(vec![
                ring(&[(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 3.0), (0.0, 0.0)]),
                ring(&[(1.0, 1.0), (1.0, 2.0), (2.0, 2.0), (2.0, 1.0), (1.0, 1.0)]),
            ]),
            LAYER_COLORS[1],
        );
        assert!((triangle_area(&holed, 0) - 2.0 * 8.0).abs() < 1e-9);
    }

    #[test]
    fn every_polygon_of_multi_forms_and_collections_is_filled() {
        let square = |x: f64| {
            Polygon::new(
                ring(&[(x, 0.0), (x + 1.0, 0.0), (x + 1.0, 1.0), (x, 1.0), (x, 0.0)]),
                vec![],
            )
        };
        let layer = OverlayLayer::new(
            layer_of(vec![
                geo::MultiPolygon(vec![square(0.0), square(2.0)]).into(),
                geo::Point::new(5.0, 5.0).into(),
                Geometry::GeometryCollection(geo::GeometryCollection(vec![
                    square(4.0).into(),
                    ring(&[(0.0, 0.0), (1.0, 1.0)]).into(),
                ])),
                geo::Rect::new(
                    geo::coord! { x: 6.0, y: 0.0 },
                    geo::coord! { x: 8.0, y: 1.0 },
                )
                .into(),
            ]),
            LAYER_COLORS[2],
        );
        assert_eq!(layer.triangles.len(), 4);
        for (n, want) in [(0, square(0.0)), (1, square(2.0)), (2, square(4.0))] {
            assert!((triangle_area(&layer, n) - 2.0 * want.unsigned_area()).abs() < 1e-9);
        }
        assert!((triangle_area(&layer, 3) - 2.0 * 2.0).abs() < 1e-9);
        let (lo, hi) = layer.extent().unwrap();
        assert_eq!((lo.lon, lo.lat, hi.lon, hi.lat), (0.0, 0.0, 8.0, 5.0));
    }

    #[test]
    fn layers_outside_the_view_are_skipped() {
        let rect = |a: (f64, f64), b: (f64, f64)| geo::Rect::new(a, b);
        let view = rect((14.5, 56.0), (14.7, 56.1));
        let inside = Some(rect((14.6, 56.05), (14.9, 56.2)));
        let outside = Some(rect((15.0, 56.05), (15.2, 56.2)));
        let touching = Some(rect((14.7, 56.1), (14.8, 56.2)));
        assert!(overlaps(touching, view));
        assert!(overlaps(inside, view));
        assert!(!overlaps(outside, view));
        assert!(!overlaps(None, view));
    }
}
