//! The map as the app draws it, as a picture, without a window: the same
//! walkers `Map` with the app's layer plugins (incidents, heatmap, hotspots,
//! strategic places, shape layers, study area, scale bar) in the layer
//! panel's default order, run through a headless egui `Context`, tessellated
//! and painted on the CPU ([`super::raster`]). On top come a title, a legend,
//! a north arrow, the data period, the attribution and, for synthetic
//! projects, "Syntetiska data".
//!
//! The background is an offline MBTiles archive when one is given, else a
//! plain light ground: a picture never waits for a network.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use egui::{Align2, Color32, FontId, Pos2, RawInput, Rect, Stroke, Vec2, ViewportId, pos2, vec2};
use walkers::{MapMemory, Tiles as _};

use super::raster::{Canvas, TextureStore};
use super::text::{Key, tr};
use crate::gui::analysis::AnalysisStyles;
use crate::gui::analysis::task::{self, AnalysisInput, AnalysisOutput, AnalysisParams};
use crate::gui::app::ViewRequest;
use crate::gui::i18n::{self, Language};
use crate::gui::map::analysis_layers::AnalysisLayerStyle;
use crate::gui::map::analysis_layers::{
    HeatmapPlugin, HotspotPlugin, PLACE_COLOR, PlacesInteraction, PlacesPlugin,
};
use crate::gui::map::draw_area::{AreaDraft, AreaPlugin};
use crate::gui::map::incidents::{IncidentLayer, ShownIf};
use crate::gui::map::mbtiles::MbTiles;
use crate::gui::map::overlays::{OverlayLayer, OverlayPlugin};
use crate::gui::map::palette;
use crate::gui::map::plain::{PlainBackgroundPlugin, PlainMap, PlainStyle};
use crate::gui::map::stack::LayerStack;
use crate::gui::panels::{LayerId, LayerSetting, LayersPanel};
use crate::gui::scale_bar::ScaleBar;
use crate::gui::tasks::{self, FilterOutcome, LoadedProject, OpenTarget};
use crate::jobs::{CancelToken, Progress};
use crate::model::view::SavedView;
use crate::model::{Filter, LonLat, time};

/// The ground of the plain background (no tiles), as in the app.
pub const PLAIN_GROUND: Color32 = crate::gui::map::plain::PLAIN_LAND;

/// At most this many egui passes per picture (layout settles in two; an
/// archive decodes a limited number of tiles per pass).
const MAX_PASSES: usize = 40;

/// What lies under the layers.
#[derive(Debug, Clone, PartialEq)]
pub enum Basemap {
    /// The plain light ground with the study-area boundary.
    Plain,
    /// Raster tiles from an MBTiles archive on disk.
    MbTiles(PathBuf),
    /// The tiles of a tile server that the app's HTTP cache holds (never
    /// downloaded: missing ones leave the plain background); see
    /// [`super::tile_cache`].
    TileCache {
        /// The source's cache folder (`<cache>/lagesbild/tiles/<source>`).
        dir: PathBuf,
        /// Its XYZ URL template and subdomains, as in `maps/tiles.toml`.
        template: String,
        subdomains: Vec<String>,
        attribution: String,
        attribution_url: String,
    },
}

/// What picture to make.
#[derive(Debug, Clone)]
pub struct PictureSpec {
    /// Size of the picture, pixels.
    pub width_px: u32,
    pub height_px: u32,
    /// Pixels per egui point: 1 for a screen-sized picture; more for print
    /// (A4 landscape at 300 dpi is 3508 × 2480 px at 3508 / 1123 ≈ 3.12).
    pub pixels_per_point: f32,
    pub lang: Language,
    pub filter: Filter,
    /// The view; `None` fits the study area, else all incidents.
    pub view: Option<ViewRequest>,
    pub basemap: Basemap,
    /// The title; `None` = the project's name.
    pub title: Option<String>,
    /// Run the analyses and draw their layers as the app does by default
    /// (heatmap and strategic places shown, hotspots hidden).
    pub analysis: Option<AnalysisParams>,
    /// The layer panel's order, visibility and opacity (top first), e.g.
    /// from a saved view; `None` = the app's defaults.
    pub layers: Option<Vec<LayerSetting>>,
}

impl PictureSpec {
    /// A `width` × `height` picture at one pixel per point of `project`'s
    /// default view, with the app's default layers.
    pub fn screen(width_px: u32, height_px: u32) -> PictureSpec {
        PictureSpec {
            width_px,
            height_px,
            pixels_per_point: 1.0,
            lang: Language::Swedish,
            filter: Filter::default(),
            view: None,
            basemap: Basemap::Plain,
            title: None,
            analysis: Some(AnalysisParams::default()),
            layers: None,
        }
    }

    /// Takes the extent, layers, filter, analysis parameters and title of a
    /// saved view (`model::view`).
    pub fn apply_view(&mut self, view: &SavedView) {
        self.view = Some(ViewRequest::Extent(view.extent.min, view.extent.max));
        self.filter = view.filter.clone();
        self.title = Some(view.title.clone());
        let a = &view.analysis;
        if self.analysis.is_some() {
            self.analysis = Some(AnalysisParams {
                bandwidth_m: a.bandwidth_m,
                heat_cell_m: a.heat_cell_m,
                kernel: crate::analysis::Kernel::from_key(&a.kernel).unwrap_or_default(),
                hotspot_cell_m: a.hotspot_cell_m,
                band_m: a.band_m,
                radius_m: a.radius_m,
                k: a.k,
                places_hours: a.places_hours,
            });
        }
        self.layers = Some(
            view.layers
                .iter()
                .filter_map(|l| {
                    Some(LayerSetting {
                        id: layer_id_from_key(&l.id)?,
                        visible: l.visible,
                        opacity: l.opacity,
                    })
                })
                .collect(),
        );
    }

    /// A4 landscape at 300 dpi (3508 × 2480 px), laid out like a
    /// 1123 × 794-point window.
    pub fn a4_landscape_300dpi() -> PictureSpec {
        PictureSpec {
            pixels_per_point: 3508.0 / 1123.0,
            ..PictureSpec::screen(3508, 2480)
        }
    }
}

/// The layer panel's id for a saved view's layer key (`model::view::layer_keys`).
pub fn layer_id_from_key(key: &str) -> Option<LayerId> {
    use crate::model::view::layer_keys as k;
    Some(match key {
        k::INCIDENTS => LayerId::Incidents,
        k::HEATMAP => LayerId::Heatmap,
        k::HOTSPOTS => LayerId::Hotspots,
        k::STRATEGIC_PLACES => LayerId::StrategicPlaces,
        k::PATROL_AREAS => LayerId::PatrolAreas,
        k::ROUTES => LayerId::Routes,
        other => LayerId::GeoJson(other.strip_prefix(k::LAYER_PREFIX)?.to_owned()),
    })
}

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("picture size {0}×{1} px: both sides must be 16–20000 px")]
    Size(u32, u32),
    #[error("pixels per point {0}: must be 0.25–16")]
    PixelsPerPoint(f32),
    #[error("{path}: {reason}")]
    Basemap { path: PathBuf, reason: String },
    #[error("{path}: cannot write the PNG: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Everything read from the project for a picture (off the UI thread).
pub struct Scene {
    pub loaded: LoadedProject,
    pub filtered: FilterOutcome,
    pub analysis: Option<AnalysisOutput>,
    overlays: Vec<OverlayLayer>,
}

impl Scene {
    /// Reads `project`, applies the filter and, if asked, runs the analyses
    /// (with the project's stored study area), as the app does on opening.
    pub fn prepare(
        project: &Path,
        spec: &PictureSpec,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> anyhow::Result<Scene> {
        let loaded = tasks::load_project(OpenTarget::Path(project.to_owned()), progress, cancel)?;
        let filtered = tasks::apply_filter(&loaded.index, &spec.filter, 0, cancel)?;
        let analysis = match &spec.analysis {
            Some(params) => {
                let input = AnalysisInput {
                    path: loaded.path.clone(),
                    index: Arc::clone(&loaded.index),
                    filter: spec.filter.clone(),
                    params: params.clone(),
                    project_name: loaded.info.name.clone(),
                    synthetic: loaded.info.synthetic,
                };
                let mut out = task::compute(&input, spec.lang, progress, cancel)?;
                // A picture leaves the app: a place covering fewer than the
                // default minimum is not drawn (the heatmap is suppressed already).
                if let Ok(view) = &out.places {
                    out.places = Ok(view.suppressed(crate::export::privacy::DEFAULT_MIN_COUNT));
                }
                Some(out)
            }
            None => None,
        };
        let overlays = loaded
            .overlays
            .iter()
            .map(|l| {
                let [r, g, b] = l.style.color;
                OverlayLayer::new(l.features.clone(), Color32::from_rgb(r, g, b))
            })
            .collect();
        Ok(Scene {
            loaded,
            filtered,
            analysis,
            overlays,
        })
    }

    /// The view drawn when the spec names none: the study area, else the
    /// incidents' extent, else Sölvesborg.
    pub fn default_view(&self) -> ViewRequest {
        let area = self.analysis.as_ref().and_then(|a| a.area.as_ref());
        if let Some(area) = area {
            use geo::BoundingRect as _;
            if let Some(r) = area.to_wgs84().bounding_rect() {
                return ViewRequest::Extent(
                    LonLat::new(r.min().x, r.min().y),
                    LonLat::new(r.max().x, r.max().y),
                );
            }
        }
        match self.loaded.info.extent {
            Some((min, max)) => ViewRequest::Extent(min, max),
            None => ViewRequest::Point(LonLat::new(14.585, 56.051), 12.0),
        }
    }

    /// First and last incident time that passed the filter.
    pub fn data_period(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let s = &self.filtered.stats;
        s.first.zip(s.last)
    }
}

/// The style the layer panel gives `id` (the default when not listed).
fn style_of(panel: &LayersPanel, id: &LayerId, default: AnalysisLayerStyle) -> AnalysisLayerStyle {
    panel.get(id).map_or(default, |e| AnalysisLayerStyle {
        visible: e.visible && e.available,
        opacity: e.opacity,
    })
}

/// Checks the size and scale of `spec`.
pub fn check_spec(spec: &PictureSpec) -> Result<(), RenderError> {
    let ok = |v: u32| (16..=20_000).contains(&v);
    if !ok(spec.width_px) || !ok(spec.height_px) {
        return Err(RenderError::Size(spec.width_px, spec.height_px));
    }
    if !(0.25..=16.0).contains(&spec.pixels_per_point) {
        return Err(RenderError::PixelsPerPoint(spec.pixels_per_point));
    }
    Ok(())
}

/// Draws `scene` as `spec` asks and returns the pixels.
pub fn draw(scene: &Scene, spec: &PictureSpec) -> Result<Canvas, RenderError> {
    check_spec(spec)?;
    let lang = spec.lang;
    let ppp = spec.pixels_per_point;
    let size_pt = vec2(spec.width_px as f32 / ppp, spec.height_px as f32 / ppp);
    let ctx = egui::Context::default();
    ctx.set_visuals(egui::Visuals::light());
    let mut archive = match &spec.basemap {
        Basemap::MbTiles(path) => {
            Some(MbTiles::open(path, &ctx).map_err(|e| RenderError::Basemap {
                path: path.clone(),
                reason: e.to_string(),
            })?)
        }
        _ => None,
    };
    let mut cached = match &spec.basemap {
        Basemap::TileCache {
            dir,
            template,
            subdomains,
            attribution,
            attribution_url,
        } => Some(
            super::tile_cache::CachedTiles::open(
                dir,
                template,
                subdomains,
                attribution,
                attribution_url,
                &ctx,
            )
            .map_err(|e| RenderError::Basemap {
                path: dir.clone(),
                reason: e.to_string(),
            })?,
        ),
        _ => None,
    };
    let attribution = archive
        .as_ref()
        .map(|a| a.attribution().text.to_owned())
        .or_else(|| cached.as_ref().map(|c| c.attribution().text.to_owned()))
        .filter(|t| !t.is_empty());
    let analysis = scene.analysis.as_ref();
    let heat_texture = analysis.and_then(|a| a.heatmap.as_ref().ok()).map(|h| {
        ctx.load_texture(
            "picture-heatmap",
            h.image.clone(),
            egui::TextureOptions::LINEAR,
        )
    });
    let styles = AnalysisStyles::default();
    let mut layers = LayersPanel::standard();
    if analysis.is_some() {
        for (id, style) in [
            (LayerId::Heatmap, styles.heatmap),
            (LayerId::Hotspots, styles.hotspots),
            (LayerId::StrategicPlaces, styles.places),
        ] {
            if let Some(entry) = layers.get_mut(&id) {
                entry.available = true;
                entry.visible = style.visible;
                entry.opacity = style.opacity;
            }
        }
    }
    let shapes: Vec<(String, Color32, String)> = scene
        .overlays
        .iter()
        .map(|l| (l.name().to_owned(), l.color, String::new()))
        .collect();
    layers.sync_shape_layers(&shapes, &[]);
    if let Some(settings) = &spec.layers {
        layers.apply_settings(settings);
    }
    let styles = AnalysisStyles {
        heatmap: style_of(&layers, &LayerId::Heatmap, styles.heatmap),
        hotspots: style_of(&layers, &LayerId::Hotspots, styles.hotspots),
        places: style_of(&layers, &LayerId::StrategicPlaces, styles.places),
    };
    let area_outline: Vec<Vec<LonLat>> = analysis
        .and_then(|a| a.area.as_ref())
        .map(|a| {
            a.to_wgs84()
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.coords().map(|c| LonLat::new(c.x, c.y)).collect())
                .collect()
        })
        .unwrap_or_default();

    let mut plain = PlainMap::default_boundary();
    plain.sync_boundary(&area_outline);
    let view = spec.view.unwrap_or_else(|| scene.default_view());
    let (center, zoom) = view.view(size_pt);
    let mut memory = MapMemory::default();
    memory.center_at(center);
    let _ = memory.set_zoom(zoom);
    let mut incident_layer = IncidentLayer::new(lang);
    incident_layer.set_data(Arc::clone(&scene.filtered.layer));
    if let Some(entry) = layers.get(&LayerId::Incidents) {
        incident_layer.opacity = entry.opacity;
    }
    // As in the app: count cells over another shown layer (the heatmap)
    // are translucent, so they do not hide it.
    incident_layer.cells_over_layer = layers.shown_below(&LayerId::Incidents);
    let mut interaction = PlacesInteraction::default();
    let mut draft = AreaDraft::default();
    let mut draft_outcome = None;
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| scene.loaded.info.name.clone());
    let mut decor = Decorations {
        lang,
        title,
        period: scene.data_period(),
        total: scene.filtered.stats.total,
        synthetic: scene.loaded.info.synthetic,
        attribution,
        legend_counts: scene.filtered.layer.counts_per_category().to_vec(),
        coarse: scene.filtered.layer.coarse_count(),
        cell_classes: None,
        heat_edges: analysis
            .and_then(|a| a.heatmap.as_ref().ok())
            .filter(|_| styles.heatmap.shows())
            .map(|h| h.edges.clone()),
        places: analysis.and_then(|a| a.places.as_ref().ok()).is_some() && styles.places.shows(),
        overlays: shapes
            .iter()
            .filter(|(n, _, _)| layers.is_shown(&LayerId::GeoJson(n.clone())))
            .map(|(n, c, _)| (n.clone(), *c))
            .collect(),
        study_area: !area_outline.is_empty(),
    };

    let mut store = TextureStore::default();
    let mut last = None;
    for pass in 0..MAX_PASSES {
        let mut input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, size_pt)),
            ..Default::default()
        };
        input
            .viewports
            .entry(ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(ppp);
        let output = ctx.run_ui(input, |ui| {
            let (heat, hot, places, area) = (
                HeatmapPlugin {
                    view: analysis.and_then(|a| a.heatmap.as_ref().ok()),
                    texture: heat_texture.as_ref().map(|t| t.id()),
                    style: styles.heatmap,
                },
                HotspotPlugin {
                    view: analysis.and_then(|a| a.hotspots.as_ref().ok()),
                    style: styles.hotspots,
                },
                PlacesPlugin {
                    view: analysis.and_then(|a| a.places.as_ref().ok()),
                    style: styles.places,
                    focused: None,
                    interaction: &mut interaction,
                    lang,
                },
                AreaPlugin {
                    outline: &area_outline,
                    draft: &mut draft,
                    outcome: &mut draft_outcome,
                },
            );
            let incidents_shown = layers.is_shown(&LayerId::Incidents);
            let mut plugins: Vec<(LayerId, Box<dyn walkers::Plugin + '_>)> = vec![
                (LayerId::Heatmap, Box::new(heat)),
                (LayerId::Hotspots, Box::new(hot)),
                (
                    LayerId::Incidents,
                    Box::new(ShownIf(incidents_shown.then_some(&mut incident_layer))),
                ),
                (LayerId::StrategicPlaces, Box::new(places)),
            ];
            for overlay in &scene.overlays {
                let id = LayerId::GeoJson(overlay.name().to_owned());
                if layers.is_shown(&id) {
                    plugins.push((id, Box::new(OverlayPlugin::new([overlay]))));
                }
            }
            let stack = LayerStack::ordered(plugins, &layers);
            egui::CentralPanel::default()
                .frame(egui::Frame::NONE)
                .show(ui, |ui| {
                    // The boundary and place names also under a cache
                    // that lacked tiles in an earlier pass of this picture.
                    let plain_shown =
                        archive.is_none() && cached.as_ref().is_none_or(|c| c.missing_tiles() > 0);
                    ui.painter().rect_filled(ui.max_rect(), 0.0, PLAIN_GROUND);
                    let tiles: Option<&mut dyn walkers::Tiles> = match (&mut archive, &mut cached) {
                        (Some(a), _) => Some(a),
                        (None, Some(c)) => Some(c),
                        (None, None) => None,
                    };
                    walkers::Map::new(tiles, &mut memory, center)
                        .with_plugin(PlainBackgroundPlugin {
                            map: &plain,
                            shown: plain_shown,
                            style: PlainStyle::default(),
                        })
                        .with_plugin(stack)
                        .with_plugin(area)
                        .with_plugin(ScaleBar { lang })
                        .show(ui, |ui, response, _projector, _memory| {
                            decor.paint(ui, response.rect);
                        });
                });
        });
        store.set(&output.textures_delta);
        // The legend gives the count cells' classes as the layer drew them
        // (the passes draw the same view, so the last pass shows them).
        let stats = incident_layer.last_frame_stats();
        decor.cell_classes = stats.aggregated.then_some(stats.cell_classes);
        let more = output
            .viewport_output
            .get(&ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay.is_zero());
        let done = pass >= 1 && !more;
        if done || pass + 1 == MAX_PASSES {
            last = Some(output);
            break;
        }
        store.free(output.textures_delta);
    }
    let mut canvas = Canvas::new(
        spec.width_px as usize,
        spec.height_px as usize,
        Color32::WHITE,
    );
    if let Some(output) = last {
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        canvas.paint(&primitives, &store, output.pixels_per_point);
        store.free(output.textures_delta);
    }
    Ok(canvas)
}

/// Writes `canvas` as an 8-bit RGBA PNG.
pub fn write_png(canvas: &Canvas, path: &Path) -> Result<(), RenderError> {
    let err = |reason: String| RenderError::Write {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
    let mut encoder = png::Encoder::new(
        std::io::BufWriter::new(file),
        canvas.width() as u32,
        canvas.height() as u32,
    );
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| err(e.to_string()))?;
    writer
        .write_image_data(&canvas.to_rgba_unmultiplied())
        .map_err(|e| err(e.to_string()))?;
    writer.finish().map_err(|e| err(e.to_string()))
}

/// Encodes `canvas` as PNG bytes (for embedding, e.g. in the PDF report).
pub fn png_bytes(canvas: &Canvas) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder =
            png::Encoder::new(&mut out, canvas.width() as u32, canvas.height() as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        // Writing into a Vec cannot fail for a well-formed image.
        if let Ok(mut writer) = encoder.write_header() {
            let _ = writer.write_image_data(&canvas.to_rgba_unmultiplied());
        }
    }
    out
}

/// Reads the project, draws the picture and writes it to `out`.
pub fn render_to_png(
    project: &Path,
    spec: &PictureSpec,
    out: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> anyhow::Result<()> {
    check_spec(spec)?;
    let scene = Scene::prepare(project, spec, progress, cancel)?;
    cancel.check()?;
    progress.stage("Ritar bilden", 0);
    let canvas = draw(&scene, spec)?;
    cancel.check()?;
    write_png(&canvas, out)?;
    Ok(())
}

/// What is drawn over the map.
struct Decorations {
    lang: Language,
    title: String,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    total: u64,
    synthetic: bool,
    attribution: Option<String>,
    legend_counts: Vec<(crate::model::Category, u64)>,
    coarse: u64,
    /// The count cells' classes drawn in the previous pass, if cells were drawn.
    cell_classes: Option<palette::CountClasses>,
    heat_edges: Option<Vec<f64>>,
    places: bool,
    overlays: Vec<(String, Color32)>,
    study_area: bool,
}

const PANEL_FILL: Color32 = Color32::from_rgba_premultiplied(242, 242, 242, 235);
const TEXT: Color32 = Color32::from_rgb(0x20, 0x20, 0x20);

impl Decorations {
    fn paint(&self, ui: &mut egui::Ui, rect: Rect) {
        let lang = self.lang;
        // Title, top left.
        let title_rect = Rect::from_min_size(rect.left_top() + vec2(12.0, 12.0), vec2(520.0, 80.0));
        ui.scope_builder(egui::UiBuilder::new().max_rect(title_rect), |ui| {
            egui::Frame::new()
                .fill(PANEL_FILL)
                .corner_radius(4.0)
                .inner_margin(8.0)
                .show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(&self.title)
                            .size(22.0)
                            .strong()
                            .color(TEXT),
                    );
                    let period = match self.period {
                        Some((a, b)) => format!(
                            "{}: {} – {}  ({} {})",
                            tr(lang, Key::DataPeriod),
                            time::local(a).format("%Y-%m-%d"),
                            time::local(b).format("%Y-%m-%d"),
                            i18n::count(lang, self.total),
                            tr(lang, Key::Incidents),
                        ),
                        None => format!(
                            "{}: {}",
                            tr(lang, Key::DataPeriod),
                            tr(lang, Key::NoIncidentsInFilter)
                        ),
                    };
                    ui.label(egui::RichText::new(period).size(13.0).color(TEXT));
                    if self.synthetic {
                        ui.label(
                            egui::RichText::new(tr(lang, Key::Synthetic))
                                .size(13.0)
                                .strong()
                                .color(Color32::from_rgb(160, 70, 0)),
                        );
                    }
                });
        });
        // North arrow, top right.
        let c = pos2(rect.right() - 34.0, rect.top() + 44.0);
        let painter = ui.painter();
        painter.circle_filled(c, 22.0, PANEL_FILL);
        painter.add(egui::Shape::convex_polygon(
            vec![
                c + vec2(0.0, -16.0),
                c + vec2(8.0, 10.0),
                c + vec2(0.0, 5.0),
            ],
            TEXT,
            Stroke::NONE,
        ));
        painter.add(egui::Shape::convex_polygon(
            vec![
                c + vec2(0.0, -16.0),
                c + vec2(0.0, 5.0),
                c + vec2(-8.0, 10.0),
            ],
            Color32::WHITE,
            Stroke::new(1.0, TEXT),
        ));
        painter.text(
            c + vec2(0.0, -18.0),
            Align2::CENTER_BOTTOM,
            tr(lang, Key::North),
            FontId::proportional(14.0),
            TEXT,
        );
        // Legend, right, under the arrow.
        egui::Area::new(egui::Id::unique("picture_legend"))
            .anchor(Align2::RIGHT_TOP, vec2(-12.0, 76.0))
            .order(egui::Order::Foreground)
            .show(ui.ctx(), |ui| {
                egui::Frame::new()
                    .fill(PANEL_FILL)
                    .corner_radius(4.0)
                    .inner_margin(8.0)
                    .show(ui, |ui| {
                        ui.visuals_mut().override_text_color = Some(TEXT);
                        ui.strong(tr(lang, Key::Legend));
                        palette::legend_ui(
                            ui,
                            lang,
                            &self.legend_counts,
                            self.coarse,
                            self.cell_classes.as_ref(),
                        );
                        if let Some(edges) = &self.heat_edges {
                            ui.add_space(4.0);
                            ui.label(tr(lang, Key::Heatmap));
                            heat_legend_ui(ui, lang, edges);
                        }
                        if self.places {
                            ui.horizontal(|ui| {
                                let (r, _) =
                                    ui.allocate_exact_size(vec2(14.0, 14.0), egui::Sense::hover());
                                ui.painter().circle_filled(r.center(), 6.0, PLACE_COLOR);
                                ui.label(tr(lang, Key::StrategicPlaces));
                            });
                        }
                        if self.study_area {
                            ui.horizontal(|ui| {
                                let (r, _) =
                                    ui.allocate_exact_size(vec2(14.0, 14.0), egui::Sense::hover());
                                ui.painter().line_segment(
                                    [r.left_center(), r.right_center()],
                                    Stroke::new(2.0, Color32::from_rgb(40, 90, 200)),
                                );
                                ui.label(tr(lang, Key::StudyArea));
                            });
                        }
                        for (name, color) in &self.overlays {
                            ui.horizontal(|ui| {
                                let (r, _) =
                                    ui.allocate_exact_size(vec2(14.0, 14.0), egui::Sense::hover());
                                ui.painter().rect_filled(r.shrink(2.0), 1.0, *color);
                                ui.label(name);
                            });
                        }
                    });
            });
        // Attribution, bottom right.
        let attribution = self
            .attribution
            .clone()
            .unwrap_or_else(|| tr(lang, Key::PlainBackground).to_owned());
        // Above every other layer (the legend of a small picture can reach
        // the bottom): the source must stay readable.
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Tooltip,
            egui::Id::unique("picture_attribution"),
        ));
        let galley = painter.layout_no_wrap(attribution, FontId::proportional(12.0), TEXT);
        let at = rect.right_bottom() - vec2(8.0, 6.0) - galley.size();
        let bg = Rect::from_min_size(at - vec2(4.0, 2.0), galley.size() + vec2(8.0, 4.0));
        painter.rect_filled(bg, 2.0, PANEL_FILL);
        painter.galley(at, galley, TEXT);
    }
}

/// The heatmap's classes: swatch (the colour the map gives the middle of
/// the class) and limits in incidents per km².
fn heat_legend_ui(ui: &mut egui::Ui, lang: Language, edges: &[f64]) {
    if edges.len() < 2 {
        return;
    }
    egui::Grid::new("picture_heat_legend")
        .num_columns(2)
        .spacing(vec2(6.0, 2.0))
        .show(ui, |ui| {
            for k in 0..edges.len() - 1 {
                let color = task::heat_color((edges[k] + edges[k + 1]) / 2.0, edges);
                let (r, _) = ui.allocate_exact_size(Vec2::splat(14.0), egui::Sense::hover());
                ui.painter().rect_filled(r.shrink(1.0), 1.0, color);
                ui.label(format!(
                    "{} – {} {}",
                    fmt_density(edges[k]),
                    fmt_density(edges[k + 1]),
                    tr(lang, Key::HeatmapUnit)
                ));
                ui.end_row();
            }
        });
}

fn fmt_density(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
    .replace('.', ",")
}
