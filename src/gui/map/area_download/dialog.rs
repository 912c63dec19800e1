//! The "Download map area" window: source, zoom range, tile count estimate, file name,
//! Start / Cancel with a progress bar. The download runs in a [`Task`]; when it is done the
//! window says where the archive is and hands back a source entry for it.

use std::path::{Path, PathBuf};

use super::{
    AreaDownloadError, AreaDownloadReport, BboxWgs84, MAX_AREA_TILES, count_tiles, download_area,
};
use crate::gui::i18n::{Key, Language, count, tr};
use crate::gui::map::tiles::{SourceKind, TileSourceConfig, cache_dir_name};
use crate::gui::tasks::Task;

/// What the window asks of the app after a frame.
#[derive(Debug)]
pub enum DialogEvent {
    /// Keep showing it.
    Open,
    /// The user closed it.
    Close,
    /// An archive was written: offer it as a background map.
    Downloaded(TileSourceConfig),
}

/// The window's state.
pub struct AreaDownloadDialog {
    source: TileSourceConfig,
    bbox: BboxWgs84,
    min_zoom: u8,
    max_zoom: u8,
    file: String,
    task: Option<Task<AreaDownloadReport>>,
    outcome: Option<Result<AreaDownloadReport, String>>,
    close_requested: bool,
}

impl AreaDownloadDialog {
    /// For the area `bbox` now shown at `current_zoom`; the file defaults to `maps_dir`.
    pub fn new(
        source: TileSourceConfig,
        bbox: BboxWgs84,
        current_zoom: u8,
        maps_dir: &Path,
    ) -> Self {
        let min_zoom = current_zoom.min(source.max_zoom);
        let max_zoom = current_zoom.saturating_add(2).min(source.max_zoom);
        let file = maps_dir
            .join(format!("{}-offline.mbtiles", cache_dir_name(&source.name)))
            .display()
            .to_string();
        Self {
            source,
            bbox,
            min_zoom,
            max_zoom,
            file,
            task: None,
            outcome: None,
            close_requested: false,
        }
    }

    /// Tiles the chosen zoom levels take.
    pub fn tile_count(&self) -> u64 {
        count_tiles(&self.bbox, self.min_zoom..=self.max_zoom)
    }

    /// Whether a download is running.
    pub fn running(&self) -> bool {
        self.task.is_some()
    }

    /// Starts the download (the Start button).
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.task.is_some() {
            return;
        }
        let (source, bbox, zooms) = (
            self.source.clone(),
            self.bbox,
            self.min_zoom..=self.max_zoom,
        );
        let out = PathBuf::from(self.file.trim());
        self.outcome = None;
        self.task = Some(Task::spawn(
            ctx,
            "area-download",
            move |progress, cancel| {
                Ok(download_area(&source, bbox, zooms, &out, progress, cancel)?)
            },
        ));
    }

    /// Draws the window and reads the task.
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) -> DialogEvent {
        let mut event = DialogEvent::Open;
        if let Some(task) = &self.task
            && let Some(result) = task.try_take()
        {
            self.task = None;
            match result {
                Ok(report) => {
                    event = DialogEvent::Downloaded(self.archive_source(&report.path));
                    self.outcome = Some(Ok(report));
                }
                Err(err) => {
                    self.outcome = Some(Err(
                        if matches!(
                            err.downcast_ref::<AreaDownloadError>(),
                            Some(AreaDownloadError::Cancelled)
                        ) {
                            tr(lang, Key::AreaDownloadCancelled).to_owned()
                        } else {
                            format!("{}: {err:#}", tr(lang, Key::AreaDownloadFailed))
                        },
                    ))
                }
            }
        }
        if self.task.is_some() {
            // The progress bar moves while the task runs.
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        let mut open = true;
        egui::Window::new(tr(lang, Key::AreaDownloadTitle))
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .show(ctx, |ui| self.body_ui(ui, lang));
        if !open || self.close_requested {
            self.close_requested = false;
            if let Some(task) = self.task.take() {
                task.cancel();
            }
            if matches!(event, DialogEvent::Open) {
                event = DialogEvent::Close;
            }
        }
        event
    }

    /// The chooser entry for a finished archive.
    fn archive_source(&self, path: &Path) -> TileSourceConfig {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        TileSourceConfig {
            name: format!("Offline: {stem}"),
            kind: SourceKind::MbTiles {
                path: path.to_path_buf(),
            },
            attribution: self.source.attribution.clone(),
            attribution_url: self.source.attribution_url.clone(),
            max_zoom: self.max_zoom,
            allow_area_download: false,
        }
    }

    fn body_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let idle = self.task.is_none();
        egui::Grid::new("area_download_grid")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label(tr(lang, Key::AreaDownloadSource));
                ui.label(&self.source.name);
                ui.end_row();
                ui.label(tr(lang, Key::AreaDownloadZooms));
                ui.horizontal(|ui| {
                    let top = self.source.max_zoom;
                    ui.add_enabled(
                        idle,
                        egui::DragValue::new(&mut self.min_zoom).range(0..=top),
                    );
                    ui.label("-");
                    ui.add_enabled(
                        idle,
                        egui::DragValue::new(&mut self.max_zoom).range(0..=top),
                    );
                    if self.max_zoom < self.min_zoom {
                        self.max_zoom = self.min_zoom;
                    }
                });
                ui.end_row();
                ui.label(tr(lang, Key::AreaDownloadTiles));
                ui.label(count(lang, self.tile_count()));
                ui.end_row();
                ui.label(tr(lang, Key::AreaDownloadFile));
                ui.add_enabled(
                    idle,
                    egui::TextEdit::singleline(&mut self.file).desired_width(360.0),
                );
                ui.end_row();
            });
        let too_many = self.tile_count() > MAX_AREA_TILES;
        if too_many {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "{} ({} > {})",
                    tr(lang, Key::AreaDownloadTooMany),
                    count(lang, self.tile_count()),
                    count(lang, MAX_AREA_TILES)
                ),
            );
        }
        if let Some(task) = &self.task {
            let (_, done, total) = task.progress().snapshot();
            let fraction = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            ui.add(egui::ProgressBar::new(fraction).text(format!(
                "{} / {}",
                count(lang, done),
                count(lang, total)
            )));
        }
        match &self.outcome {
            Some(Ok(report)) => {
                ui.label(format!(
                    "{} {} ({} {}). {}",
                    tr(lang, Key::AreaDownloadSaved),
                    report.path.display(),
                    count(lang, report.tiles_written),
                    tr(lang, Key::TilesUnit),
                    tr(lang, Key::AreaDownloadOffered)
                ));
                if report.tiles_failed > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "{} {}",
                            count(lang, report.tiles_failed),
                            tr(lang, Key::AreaDownloadMissingTiles)
                        ),
                    );
                }
            }
            Some(Err(err)) => {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
            None => {}
        }
        ui.horizontal(|ui| {
            let can_start = idle && !too_many && !self.file.trim().is_empty();
            if ui
                .add_enabled(
                    can_start,
                    egui::Button::new(tr(lang, Key::AreaDownloadStart)),
                )
                .clicked()
            {
                self.start(ui.ctx());
            }
            if let Some(task) = &self.task {
                if ui.button(tr(lang, Key::AreaDownloadCancel)).clicked() {
                    task.cancel();
                }
            } else if ui.button(tr(lang, Key::AreaDownloadClose)).clicked() {
                self.close_requested = true;
            }
        });
    }
}
