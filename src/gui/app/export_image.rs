//! Arkiv → Exportera bild…: the map as shown, at the window's map size or as
//! A4 landscape at 300 dpi, drawn by [`crate::render`] on a worker thread
//! (the project is read afresh there) and saved next to the project as
//! `<project>-karta-<date>-<time>.png`. While it runs the app is busy: the
//! status bar and the export window show its progress with "Avbryt". The
//! background is what the map shows: an offline archive, or the tiles of
//! the tile server that the app's tile cache holds (missing ones plain;
//! nothing is downloaded for the picture).

use std::path::PathBuf;

use super::{Action, LagesbildApp, ViewRequest, solvesborg};
use crate::gui::map::tiles::SourceKind;
use crate::gui::tasks::Task;
use crate::model::LonLat;
use crate::render::text::{Key, tr};
use crate::render::{Basemap, PictureSpec};

/// Which picture to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSize {
    /// The map's size on screen, one pixel per point.
    Window,
    /// A4 landscape, 300 dpi (3508 × 2480 px).
    A4Landscape,
}

/// The running export and the last one's outcome.
#[derive(Default)]
pub struct ImageExport {
    task: Option<Task<PathBuf>>,
    notice: Option<Result<PathBuf, String>>,
    /// "Avbryt" was pressed for the running export.
    cancelled: bool,
}

impl ImageExport {
    /// True while a picture is drawn.
    pub fn is_busy(&self) -> bool {
        self.task.is_some()
    }

    /// The running export's progress (stage, done, total).
    pub(super) fn progress(&self) -> Option<&crate::gui::tasks::TaskProgress> {
        self.task.as_ref().map(|t| t.progress())
    }

    /// Cancels the running export (its file is not written).
    pub(super) fn cancel(&mut self) {
        if let Some(t) = &self.task {
            t.cancel();
            self.cancelled = true;
        }
    }
}

impl LagesbildApp {
    /// True while Arkiv → Exportera bild draws a picture.
    pub fn is_exporting_image(&self) -> bool {
        self.image_export.is_busy()
    }

    /// The "Exportera bild…" submenu of Arkiv.
    pub(super) fn export_image_menu_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        let enabled = self.project.is_some() && self.image_export.task.is_none();
        ui.add_enabled_ui(enabled, |ui| {
            ui.menu_button(tr(lang, Key::ExportImageMenu), |ui| {
                if ui.button(tr(lang, Key::WindowSize)).clicked() {
                    actions.push(Action::ExportImage(ImageSize::Window));
                }
                if ui.button(tr(lang, Key::A4Landscape)).clicked() {
                    actions.push(Action::ExportImage(ImageSize::A4Landscape));
                }
            });
        });
    }

    /// Starts drawing the picture of the current view on a worker thread.
    pub(super) fn start_image_export(&mut self, ctx: &egui::Context, size: ImageSize) {
        if self.image_export.task.is_some() {
            return;
        }
        let Some(project) = &self.project else {
            return;
        };
        let path = project.loaded.path.clone();
        let map_size = self
            .map_rect
            .map_or(egui::vec2(1280.0, 800.0), |r| r.size())
            .max(egui::vec2(64.0, 64.0));
        let memory = self.state.map_memory.as_ref();
        let zoom = memory.map_or(13.0, |m| m.zoom());
        let center = memory.and_then(|m| m.detached()).unwrap_or_else(|| {
            project
                .loaded
                .info
                .extent
                .map_or_else(solvesborg, |(min, max)| {
                    walkers::lon_lat((min.lon + max.lon) / 2.0, (min.lat + max.lat) / 2.0)
                })
        });
        let mut spec = match size {
            ImageSize::Window => PictureSpec::screen(map_size.x as u32, map_size.y as u32),
            ImageSize::A4Landscape => PictureSpec::a4_landscape_300dpi(),
        };
        // The same ground as on screen: A4's layout (1123 × 794 points) is
        // zoomed so the window's view fits.
        let zoom = match size {
            ImageSize::Window => zoom,
            ImageSize::A4Landscape => {
                zoom + f64::from((1123.0 / map_size.x).min(794.0 / map_size.y)).log2()
            }
        };
        spec.view = Some(ViewRequest::Point(
            LonLat::new(center.x(), center.y()),
            zoom,
        ));
        spec.lang = self.state.language;
        spec.filter = self.state.filter.clone();
        spec.layers = Some(self.layers.settings());
        spec.analysis = Some(self.analysis.params().clone());
        if let Some(tiles) = &self.tiles {
            let source = tiles.active_source();
            match &source.kind {
                SourceKind::MbTiles { path } => spec.basemap = Basemap::MbTiles(path.clone()),
                SourceKind::Xyz { url, subdomains } => {
                    if let Some(dir) = tiles
                        .cache_dir(tiles.selected())
                        .filter(|d| d.join("index-v5").is_dir())
                    {
                        spec.basemap = Basemap::TileCache {
                            dir,
                            template: url.clone(),
                            subdomains: subdomains.clone(),
                            attribution: source.attribution.clone(),
                            attribution_url: source.attribution_url.clone(),
                        };
                    }
                }
            }
        }
        let stem = path.file_stem().map_or_else(
            || "lagesbild".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        );
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let out = path.with_file_name(format!("{stem}-karta-{stamp}.png"));
        self.image_export.notice = None;
        self.image_export.task = Some(Task::spawn(ctx, "export-image", move |progress, cancel| {
            crate::render::render_to_png(&path, &spec, &out, progress, cancel)?;
            crate::export::record_export(
                &path,
                "app: map picture",
                &out,
                &["map picture".to_owned()],
            )?;
            Ok(out)
        }));
    }

    /// Takes in a finished export and shows where it went (or why not).
    pub(super) fn image_export_ui(&mut self, ctx: &egui::Context) {
        if let Some(task) = &self.image_export.task
            && let Some(result) = task.try_take()
        {
            self.image_export.task = None;
            let lang = self.state.language;
            self.image_export.notice = Some(match result {
                Err(_) if std::mem::take(&mut self.image_export.cancelled) => {
                    Err(tr(lang, Key::ExportCancelled).to_owned())
                }
                r => r.map_err(|e| format!("{e:#}")),
            });
            self.image_export.cancelled = false;
        }
        let lang = self.state.language;
        let running = self.image_export.task.is_some();
        if !running && self.image_export.notice.is_none() {
            return;
        }
        let mut open = true;
        let mut close = false;
        let mut cancel = false;
        egui::Window::new(tr(lang, Key::ExportImageTitle))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                if let Some(progress) = self.image_export.progress() {
                    let (stage, done, total) = progress.snapshot();
                    let stage = if stage.is_empty() {
                        tr(lang, Key::Rendering).to_owned()
                    } else {
                        stage
                    };
                    let bar = if total > 0 {
                        egui::ProgressBar::new(done as f32 / total as f32)
                    } else {
                        egui::ProgressBar::new(0.0).animate(true)
                    };
                    ui.add(bar.desired_width(260.0).text(stage));
                    if ui.button(tr(lang, Key::Cancel)).clicked() {
                        cancel = true;
                    }
                    ctx.request_repaint_after(std::time::Duration::from_millis(100));
                }
                match &self.image_export.notice {
                    Some(Ok(p)) => {
                        ui.label(format!("{}: {}", tr(lang, Key::Saved), p.display()));
                    }
                    Some(Err(e)) if e == tr(lang, Key::ExportCancelled) => {
                        ui.label(e);
                    }
                    Some(Err(e)) => {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("{}: {e}", tr(lang, Key::Failed)),
                        );
                    }
                    None => {}
                }
                if !running && ui.button("OK").clicked() {
                    close = true;
                }
            });
        if cancel {
            self.image_export.cancel();
        }
        if (!open || close) && !running {
            self.image_export.notice = None;
        }
    }
}
