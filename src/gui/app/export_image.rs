//! Arkiv → Exportera bild…: the map as shown, at the window's map size or as
//! A4 landscape at 300 dpi, drawn by [`crate::render`] on a worker thread
//! (the project is read afresh there) and saved next to the project as
//! `<project>-karta-<date>-<time>.png`. A small window says where it went.

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
}

impl LagesbildApp {
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
        if let Some(tiles) = &self.tiles
            && let SourceKind::MbTiles { path } = &tiles.active_source().kind
        {
            spec.basemap = Basemap::MbTiles(path.clone());
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
            self.image_export.notice = Some(result.map_err(|e| format!("{e:#}")));
        }
        let lang = self.state.language;
        let running = self.image_export.task.is_some();
        if !running && self.image_export.notice.is_none() {
            return;
        }
        let mut open = true;
        let mut close = false;
        egui::Window::new(tr(lang, Key::ExportImageTitle))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                if running {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(lang, Key::Rendering));
                    });
                    if ui.button(tr(lang, Key::Cancel)).clicked()
                        && let Some(t) = &self.image_export.task
                    {
                        t.cancel();
                    }
                    ctx.request_repaint_after(std::time::Duration::from_millis(100));
                }
                match &self.image_export.notice {
                    Some(Ok(p)) => {
                        ui.label(format!("{}: {}", tr(lang, Key::Saved), p.display()));
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
        if (!open || close) && !running {
            self.image_export.notice = None;
        }
    }
}
