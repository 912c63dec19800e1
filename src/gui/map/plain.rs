//! The plain map background: what the map shows without background tiles
//! (no network, no offline archive, or tiles that failed), so a meeting room
//! without network still sees where things are.
//!
//! A light land colour, the study-area boundary (the project's stored study
//! area, else the shipped `data/solvesborgs_kommun.geojson`) and the names
//! of the localities. [`paint_plain_background`] draws the whole picture
//! with a painter and a walkers projector, so the window-less `render` draws
//! exactly what the app shows; in the app the land colour is the map
//! panel's fill (under the tiles, visible wherever a tile is missing) and
//! [`PlainBackgroundPlugin`] draws boundary and names under every layer
//! while tiles are not all shown.

use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Response, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use crate::model::LonLat;

/// The land colour of the plain background (light, warm grey).
pub const PLAIN_LAND: Color32 = Color32::from_rgb(0xF2, 0xEF, 0xE9);

/// The boundary's colour (muted violet: unlike every data colour).
pub const BOUNDARY: Color32 = Color32::from_rgb(0x7A, 0x6A, 0x86);

/// Colour of locality names.
const NAME_TEXT: Color32 = Color32::from_rgb(0x3A, 0x36, 0x40);

/// One locality name on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceLabel {
    pub name: String,
    pub position: LonLat,
    /// The place's radius in metres (the gazetteer's precision): larger
    /// places get larger type and win where labels collide.
    pub radius_m: f64,
}

/// How large the plain background draws its lines and names: 1 on screen,
/// larger for a projector or print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlainStyle {
    pub scale: f32,
}

impl Default for PlainStyle {
    fn default() -> Self {
        PlainStyle { scale: 1.0 }
    }
}

/// What the plain background draws: the boundary (ready to draw) and the
/// locality names, largest place first.
pub struct PlainMap {
    /// Rings (WGS 84), each drawn as a closed line.
    boundary: Vec<Vec<LonLat>>,
    /// True when the boundary is a study area's, not the shipped one.
    from_study_area: bool,
    places: Vec<PlaceLabel>,
}

impl PlainMap {
    /// A plain map of `boundary` (WGS 84 rings: exteriors and holes as the
    /// study area's outline has them; empty for none) and `places`.
    pub fn new(boundary: &[Vec<LonLat>], mut places: Vec<PlaceLabel>) -> PlainMap {
        let boundary = boundary
            .iter()
            .filter(|ring| ring.len() >= 3)
            .cloned()
            .collect();
        places.sort_by(|a, b| b.radius_m.total_cmp(&a.radius_m).then(a.name.cmp(&b.name)));
        PlainMap {
            boundary,
            from_study_area: false,
            places,
        }
    }

    /// The plain map of the shipped municipality boundary with the
    /// localities of the bundled gazetteer (`data/gazetteer.csv`).
    pub fn default_boundary() -> PlainMap {
        PlainMap::new(&default_boundary_rings(), gazetteer_labels())
    }

    /// The same boundary with `places` as its names.
    pub fn with_places(mut self, mut places: Vec<PlaceLabel>) -> PlainMap {
        places.sort_by(|a, b| b.radius_m.total_cmp(&a.radius_m).then(a.name.cmp(&b.name)));
        self.places = places;
        self
    }

    /// Uses `rings` (the study area's outline) as the boundary, or the
    /// shipped boundary when `rings` is empty; cheap when nothing changed.
    pub fn sync_boundary(&mut self, rings: &[Vec<LonLat>]) {
        if rings.is_empty() {
            if self.from_study_area {
                self.boundary = default_boundary_rings();
                self.from_study_area = false;
            }
        } else if self.boundary != rings {
            self.boundary = rings.to_vec();
            self.from_study_area = true;
        }
    }

    /// The names it draws, largest place first.
    pub fn places(&self) -> &[PlaceLabel] {
        &self.places
    }

    /// True when it has a boundary to draw.
    pub fn has_boundary(&self) -> bool {
        !self.boundary.is_empty()
    }
}

/// The localities of the bundled gazetteer as labels.
pub fn gazetteer_labels() -> Vec<PlaceLabel> {
    crate::gazetteer::Gazetteer::bundled()
        .localities()
        .map(|p| PlaceLabel {
            name: p.name.clone(),
            position: p.position,
            radius_m: p.precision_m,
        })
        .collect()
}

/// The rings of the shipped boundary (`data/solvesborgs_kommun.geojson`), WGS 84.
pub fn default_boundary_rings() -> Vec<Vec<LonLat>> {
    crate::analysis::inputs::default_boundary()
        .to_wgs84()
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.coords().map(|c| LonLat::new(c.x, c.y)).collect())
        .collect()
}

/// Draws the plain background into `rect`: land colour, boundary, names.
/// The function the window-less render calls; see the module docs.
pub fn paint_plain_background(
    painter: &Painter,
    projector: &Projector,
    rect: Rect,
    map: &PlainMap,
    style: PlainStyle,
) {
    painter.rect_filled(rect, 0.0, PLAIN_LAND);
    paint_boundary_and_names(painter, projector, rect, map, style);
}

/// Draws the boundary and the names (no land fill: over missing tiles).
pub fn paint_boundary_and_names(
    painter: &Painter,
    projector: &Projector,
    rect: Rect,
    map: &PlainMap,
    style: PlainStyle,
) {
    let painter = painter.with_clip_rect(rect);
    let s = style.scale.max(0.5);
    for ring in &map.boundary {
        let pts: Vec<Pos2> = ring
            .iter()
            .map(|p| projector.project(lon_lat(p.lon, p.lat)).to_pos2())
            .collect();
        if pts.iter().all(|p| p.x.is_finite() && p.y.is_finite()) {
            // A soft wide band along the line, then the line itself.
            painter.add(egui::Shape::closed_line(
                pts.clone(),
                Stroke::new(7.0 * s, BOUNDARY.gamma_multiply(0.18)),
            ));
            painter.add(egui::Shape::closed_line(
                pts,
                Stroke::new(1.8 * s, BOUNDARY),
            ));
        }
    }
    let mut taken: Vec<Rect> = Vec::new();
    for place in &map.places {
        let at = projector
            .project(lon_lat(place.position.lon, place.position.lat))
            .to_pos2();
        if !rect.expand(40.0).contains(at) {
            continue;
        }
        let size = s * if place.radius_m >= 2_000.0 {
            17.0
        } else if place.radius_m >= 1_000.0 {
            14.0
        } else {
            12.0
        };
        let font = FontId::proportional(size);
        let galley = painter.layout_no_wrap(place.name.clone(), font.clone(), NAME_TEXT);
        let label = Rect::from_center_size(at, galley.size()).expand(2.0 * s);
        if taken.iter().any(|r| r.intersects(label)) {
            continue;
        }
        taken.push(label);
        for d in [
            egui::vec2(-1.0, 0.0),
            egui::vec2(1.0, 0.0),
            egui::vec2(0.0, -1.0),
            egui::vec2(0.0, 1.0),
        ] {
            painter.text(
                at + d * 1.5 * s,
                Align2::CENTER_CENTER,
                &place.name,
                font.clone(),
                Color32::from_white_alpha(220),
            );
        }
        painter.text(at, Align2::CENTER_CENTER, &place.name, font, NAME_TEXT);
    }
}

/// Draws boundary and names under the layers when `shown` (no tiles, or
/// tiles that could not all be loaded); the map panel's fill is the land.
pub struct PlainBackgroundPlugin<'a> {
    pub map: &'a PlainMap,
    pub shown: bool,
    pub style: PlainStyle,
}

impl Plugin for PlainBackgroundPlugin<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        if self.shown {
            let rect = projector.clip_rect();
            paint_boundary_and_names(ui.painter(), projector, rect, self.map, self.style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str, radius_m: f64) -> PlaceLabel {
        PlaceLabel {
            name: name.into(),
            position: LonLat::new(14.58, 56.05),
            radius_m,
        }
    }

    #[test]
    fn the_default_boundary_is_the_shipped_one_and_names_go_largest_first() {
        let map = PlainMap::default_boundary();
        assert!(map.has_boundary());
        assert_eq!(default_boundary_rings()[0].len(), 111);
        let names: Vec<_> = map.places().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.first(), Some(&"Sölvesborg"));
        assert!(names.contains(&"Mjällby") && names.contains(&"Hällevik"));
        let map = map.with_places(vec![
            place("Mjällby", 1_500.0),
            place("Sölvesborg", 2_000.0),
        ]);
        let names: Vec<_> = map.places().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Sölvesborg", "Mjällby"]);
        assert!(!PlainMap::new(&[], vec![]).has_boundary());
    }

    #[test]
    fn the_study_area_replaces_the_shipped_boundary_and_back() {
        let mut map = PlainMap::default_boundary();
        let area = vec![vec![
            LonLat::new(14.5, 56.0),
            LonLat::new(14.6, 56.0),
            LonLat::new(14.6, 56.1),
        ]];
        map.sync_boundary(&area);
        assert_eq!(map.boundary, area);
        map.sync_boundary(&[]);
        assert_eq!(map.boundary, default_boundary_rings());
    }

    /// Paints the plain map of the demo area into 800×600 and returns the
    /// shapes drawn.
    fn painted(map: &PlainMap) -> Vec<egui::Shape> {
        let ctx = egui::Context::default();
        let mut shapes = Vec::new();
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(800.0, 600.0));
            let mut memory = MapMemory::default();
            memory.center_at(lon_lat(14.66, 56.07));
            let _ = memory.set_zoom(11.0);
            let projection = walkers::MercatorProjection;
            let projector = Projector::new(rect, &projection, &memory, lon_lat(0.0, 0.0));
            paint_plain_background(ui.painter(), &projector, rect, map, PlainStyle::default());
        });
        out.textures_delta.clear();
        shapes.extend(out.shapes.into_iter().map(|c| c.shape));
        shapes
    }

    #[test]
    fn the_picture_has_land_boundary_and_names() {
        let shapes = painted(&PlainMap::default_boundary());
        let land = shapes.iter().any(|s| {
            matches!(s, egui::Shape::Rect(r) if r.fill == PLAIN_LAND && r.rect.width() == 800.0)
        });
        assert!(land, "no land fill");
        let boundary_lines = shapes
            .iter()
            .filter(|s| matches!(s, egui::Shape::Path(p) if p.closed && p.points.len() >= 100))
            .count();
        assert_eq!(boundary_lines, 2, "band and line of the one ring");
        let texts: Vec<String> = shapes
            .iter()
            .filter_map(|s| match s {
                egui::Shape::Text(t)
                    if t.fallback_color == NAME_TEXT
                        || t.galley
                            .job
                            .sections
                            .iter()
                            .any(|x| x.format.color == NAME_TEXT) =>
                {
                    Some(t.galley.text().to_owned())
                }
                _ => None,
            })
            .collect();
        for name in ["Sölvesborg", "Mjällby", "Norje"] {
            assert!(texts.iter().any(|t| t == name), "{name} missing: {texts:?}");
        }
    }
}
