//! Saved views and presentation mode in the app: saving what the map shows
//! as a view of the project, and F5, which shows the project's views one by
//! one full screen (→/PageDown next, ←/PageUp back, Esc leaves). Reading
//! and writing views runs as tasks; see [`crate::gui::present`] for the
//! drawing and [`crate::model::view`] for what a view holds.

use walkers::Projector;

use super::{LagesbildApp, ViewRequest, solvesborg};
use crate::analysis::Kernel;
use crate::gui::analysis::AnalysisParams;
use crate::gui::i18n::{self, Key, tr};
use crate::gui::map::tiles::TileStatus;
use crate::gui::panels::{LayerId, LayerSetting, Legend};
use crate::gui::present::text::{self as ptext, T};
use crate::gui::present::views::{self as vtext, V, ViewsCommand, ViewsWindow};
use crate::gui::present::{PresentOverlay, layer_id, layer_key};
use crate::gui::tasks::Task;
use crate::model::LonLat;
use crate::model::view::{SavedView, ViewAnalysis, ViewExtent, ViewLayer};

/// Saved views and presentation mode: see the module docs.
#[derive(Default)]
pub(super) struct PresentState {
    /// The project's views as last read or saved.
    views: Vec<SavedView>,
    /// Reads the views (for F5).
    reading: Option<Task<Vec<SavedView>>>,
    /// Saves one view and reads them all again.
    saving: Option<Task<Vec<SavedView>>>,
    /// In presentation mode: the index of the view shown.
    showing: Option<usize>,
    /// The "save view" window's title and notes, while open.
    dialog: Option<(String, String)>,
    /// The views window (View → Views).
    window: ViewsWindow,
    /// Reads the views for the views window.
    listing: Option<Task<Vec<SavedView>>>,
    /// Stores the views window's new list and reads it back.
    replacing: Option<Task<Vec<SavedView>>>,
    /// The view F5 starts at once the views are read (the views window's
    /// "present from here").
    start_at: usize,
    /// Presentation mode shows the speaker notes (N toggles; hidden at first).
    notes_shown: bool,
    /// The zoom factor before presentation mode enlarged everything.
    zoom_before: Option<f32>,
    /// The last result of saving or reading, shown in the side panel.
    pub(super) note: Option<String>,
    /// The change stamps after the app's own view writes (live refresh).
    pub(super) own_writes: crate::gui::db::OwnWrites,
}

impl PresentState {
    /// True while views are read or saved.
    pub(super) fn is_busy(&self) -> bool {
        self.reading.is_some()
            || self.saving.is_some()
            || self.listing.is_some()
            || self.replacing.is_some()
    }
}

/// The analysis parameters a view keeps.
fn view_analysis(p: &AnalysisParams) -> ViewAnalysis {
    ViewAnalysis {
        bandwidth_m: p.bandwidth_m,
        heat_cell_m: p.heat_cell_m,
        kernel: p.kernel.key().to_owned(),
        hotspot_cell_m: p.hotspot_cell_m,
        band_m: p.band_m,
        radius_m: p.radius_m,
        k: p.k,
        places_hours: p.places_hours,
    }
}

/// The app's analysis parameters of a view (an unknown kernel keeps `current`'s).
fn analysis_params(v: &ViewAnalysis, current: &AnalysisParams) -> AnalysisParams {
    AnalysisParams {
        bandwidth_m: v.bandwidth_m,
        heat_cell_m: v.heat_cell_m,
        kernel: Kernel::from_key(&v.kernel).unwrap_or(current.kernel),
        hotspot_cell_m: v.hotspot_cell_m,
        band_m: v.band_m,
        radius_m: v.radius_m,
        k: v.k,
        places_hours: v.places_hours,
    }
}

impl LagesbildApp {
    /// True in presentation mode.
    pub fn is_presenting(&self) -> bool {
        self.present.showing.is_some()
    }

    /// The view presentation mode shows.
    pub fn presented_view(&self) -> Option<&SavedView> {
        self.present.views.get(self.present.showing?)
    }

    /// The project's saved views as last read or saved.
    pub fn saved_views(&self) -> &[SavedView] {
        &self.present.views
    }

    /// True while presentation mode shows the speaker notes.
    pub fn speaker_notes_shown(&self) -> bool {
        self.is_presenting() && self.present.notes_shown
    }

    /// True while the views window is open.
    pub fn views_window_open(&self) -> bool {
        self.present.window.open
    }

    /// Opens the views window (View → Views) and reads the project's views.
    pub fn open_views_window(&mut self, ctx: &egui::Context) {
        self.present.window.open = true;
        self.reread_views(ctx);
    }

    /// Reads the project's views again (another user changed them), unless
    /// a read is running already.
    pub(super) fn reread_views(&mut self, ctx: &egui::Context) {
        let Some(project) = &self.project else {
            return;
        };
        if self.present.listing.is_some() {
            return;
        }
        let path = project.loaded.path.clone();
        self.present.listing = Some(Task::spawn(ctx, "list-views", move |_, _| {
            Ok(crate::store::open(&path)?.views()?)
        }));
    }

    /// Stores `views` as the project's views (one transaction) and reads
    /// them back; refused while another view task runs.
    fn replace_views(&mut self, ctx: &egui::Context, views: Vec<SavedView>) {
        let Some(project) = &self.project else {
            return;
        };
        if self.present.replacing.is_some() || self.present.saving.is_some() {
            return;
        }
        let path = project.loaded.path.clone();
        let own = self.present.own_writes.clone();
        self.present.replacing = Some(Task::spawn(ctx, "replace-views", move |_, _| {
            let mut store = crate::store::open(&path)?;
            store.replace_views(&views)?;
            own.note(store.as_ref());
            Ok(store.views()?)
        }));
    }

    /// The views window, while open, and what it asks for.
    pub(super) fn views_window_ui(&mut self, ctx: &egui::Context) {
        if !self.present.window.open {
            return;
        }
        let lang = self.state.language;
        let busy = self.present.is_busy();
        let command = self
            .present
            .window
            .show(ctx, lang, &self.present.views, busy);
        match command {
            None => {}
            Some(ViewsCommand::Open(i)) => {
                if let Some(view) = self.present.views.get(i).cloned() {
                    self.apply_view(ctx, &view);
                }
            }
            Some(ViewsCommand::SaveCurrent) => self.open_save_view_dialog(),
            Some(ViewsCommand::Replace(views)) => self.replace_views(ctx, views),
            Some(ViewsCommand::PresentFrom(i)) => {
                self.present.start_at = i;
                self.start_presentation(ctx);
            }
        }
    }

    /// What the map shows now as a view titled `title` with `notes`;
    /// `None` before the map has been drawn.
    pub fn current_view(&self, title: &str, notes: &str) -> Option<SavedView> {
        let rect = self.map_rect?;
        let memory = self.state.map_memory.as_ref()?;
        let projection = walkers::MercatorProjection;
        let projector = Projector::new(rect, &projection, memory, solvesborg());
        let a = projector.unproject(rect.left_bottom().to_vec2());
        let b = projector.unproject(rect.right_top().to_vec2());
        let layers = self
            .layers
            .settings()
            .iter()
            .map(|l| ViewLayer {
                id: layer_key(&l.id),
                visible: l.visible,
                opacity: l.opacity,
            })
            .collect();
        Some(SavedView {
            title: title.trim().to_owned(),
            notes: notes.to_owned(),
            extent: ViewExtent::from_corners(LonLat::new(a.x(), a.y()), LonLat::new(b.x(), b.y())),
            layers,
            filter: self.state.filter.clone(),
            analysis: view_analysis(self.analysis.params()),
        })
    }

    /// Saves `view` into the project (a view of the same title is replaced).
    pub fn save_view(&mut self, ctx: &egui::Context, view: SavedView) {
        let Some(project) = &self.project else {
            return;
        };
        if self.present.saving.is_some() {
            // One save at a time: the dialog stays open with what was typed,
            // so the view is not lost (the user saves again in a moment).
            self.present.dialog = Some((view.title, view.notes));
            return;
        }
        let path = project.loaded.path.clone();
        let own = self.present.own_writes.clone();
        self.present.saving = Some(Task::spawn(ctx, "save-view", move |_, _| {
            let mut store = crate::store::open(&path)?;
            store.put_views(&[view])?;
            own.note(store.as_ref());
            Ok(store.views()?)
        }));
    }

    /// Opens the "save view" window (View menu).
    pub(super) fn open_save_view_dialog(&mut self) {
        let title = self
            .project
            .as_ref()
            .map(|p| p.loaded.info.name.clone())
            .unwrap_or_default();
        self.present.dialog = Some((title, String::new()));
    }

    /// Starts presentation mode: reads the project's views, then shows the
    /// first (without saved views, what the map shows now).
    pub fn start_presentation(&mut self, ctx: &egui::Context) {
        let Some(project) = &self.project else {
            return;
        };
        if self.present.reading.is_some() || self.is_presenting() {
            return;
        }
        let path = project.loaded.path.clone();
        self.present.reading = Some(Task::spawn(ctx, "read-views", move |_, _| {
            Ok(crate::store::open(&path)?.views()?)
        }));
    }

    /// Leaves presentation mode (Esc) and full screen.
    pub fn leave_presentation(&mut self, ctx: &egui::Context) {
        if self.present.showing.take().is_some() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
        if let Some(zoom) = self.present.zoom_before.take() {
            ctx.set_zoom_factor(zoom);
        }
        self.present.notes_shown = false;
    }

    /// While presenting: everything (the map's strokes, markers, outlines
    /// and labels as well as the legend, scale bar and title) drawn
    /// `present::overlay_scale` times larger, by egui's zoom factor, so
    /// that it reads from the back of a room (twice on a 1080-line
    /// projector). The zoom the user had comes back on leaving.
    fn presentation_zoom(&mut self, ctx: &egui::Context) {
        let zoom = ctx.zoom_factor();
        let before = *self.present.zoom_before.get_or_insert(zoom);
        // The screen's height in the points the user had.
        let height = ctx.content_rect().height() * zoom / before;
        let want = before * crate::gui::present::overlay_scale(height);
        if (want - zoom).abs() > 0.01 {
            ctx.set_zoom_factor(want);
        }
    }

    /// Shows view `i` of the presentation: its extent, layers, filter and
    /// analysis parameters.
    fn show_view(&mut self, ctx: &egui::Context, i: usize) {
        let Some(view) = self.present.views.get(i).cloned() else {
            return;
        };
        self.present.showing = Some(i);
        self.apply_view(ctx, &view);
    }

    /// Puts `view` on the map: its extent, layers, filter and analysis
    /// parameters.
    fn apply_view(&mut self, ctx: &egui::Context, view: &SavedView) {
        self.view_request = Some(ViewRequest::Extent(view.extent.min, view.extent.max));
        let settings: Vec<LayerSetting> = view
            .layers
            .iter()
            .filter_map(|l| {
                Some(LayerSetting {
                    id: layer_id(&l.id)?,
                    visible: l.visible,
                    opacity: l.opacity,
                })
            })
            .collect();
        self.layers.apply_settings(&settings);
        self.state.layers = self.layers.settings();
        if view.filter != self.state.filter {
            self.set_filter(ctx, view.filter.clone());
        }
        let params = analysis_params(&view.analysis, self.analysis.params());
        self.analysis.set_params(params);
    }

    /// Finished view tasks and the presentation's keys (called from `logic`,
    /// before the map reads the arrow keys).
    pub(super) fn present_logic(&mut self, ctx: &egui::Context) {
        let lang = self.state.language;
        if let Some(task) = &self.present.saving
            && let Some(result) = task.try_take()
        {
            self.present.saving = None;
            match result {
                Ok(views) => {
                    self.present.views = views;
                    self.present.note = Some(ptext::tr(lang, T::ViewSaved).to_owned());
                }
                Err(e) => {
                    self.present.note = Some(format!(
                        "{}: {}",
                        ptext::tr(lang, T::ViewSaveFailed),
                        crate::gui::store_text::error_text(lang, &e)
                    ))
                }
            }
        }
        for replaced in [false, true] {
            let slot = if replaced {
                &mut self.present.replacing
            } else {
                &mut self.present.listing
            };
            let Some(result) = slot.as_ref().and_then(|t| t.try_take()) else {
                continue;
            };
            *slot = None;
            match result {
                Ok(views) => {
                    self.present.views = views;
                    if replaced {
                        self.present.note = Some(vtext::tr(lang, V::ViewsStored).to_owned());
                    }
                }
                Err(e) => {
                    let what = if replaced {
                        vtext::tr(lang, V::ViewsStoreFailed)
                    } else {
                        ptext::tr(lang, T::ViewReadFailed)
                    };
                    let e = crate::gui::store_text::error_text(lang, &e);
                    self.present.note = Some(format!("{what}: {e}"));
                }
            }
        }
        if self.is_presenting() {
            self.presentation_zoom(ctx);
        }
        if let Some(task) = &self.present.reading
            && let Some(result) = task.try_take()
        {
            self.present.reading = None;
            match result {
                Ok(views) if views.is_empty() => {
                    // Nothing saved: present what the map shows now.
                    let title = self
                        .project
                        .as_ref()
                        .map(|p| p.loaded.info.name.clone())
                        .unwrap_or_default();
                    self.present.views = self.current_view(&title, "").into_iter().collect();
                }
                Ok(views) => self.present.views = views,
                Err(e) => {
                    self.present.note =
                        Some(format!("{}: {e:#}", ptext::tr(lang, T::ViewReadFailed)));
                    self.present.views.clear();
                }
            }
            let start = std::mem::take(&mut self.present.start_at);
            if !self.present.views.is_empty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
                self.present.notes_shown = false;
                self.show_view(ctx, start.min(self.present.views.len() - 1));
                self.presentation_zoom(ctx);
            }
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let key = |k| ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, k));
        match self.present.showing {
            None => {
                if key(egui::Key::F5) {
                    self.start_presentation(ctx);
                }
            }
            Some(i) => {
                let n = self.present.views.len();
                if key(egui::Key::Escape) || key(egui::Key::F5) {
                    self.leave_presentation(ctx);
                } else if key(egui::Key::N) {
                    self.present.notes_shown = !self.present.notes_shown;
                } else if key(egui::Key::ArrowRight)
                    | key(egui::Key::PageDown)
                    | key(egui::Key::Space)
                {
                    if i + 1 < n {
                        self.show_view(ctx, i + 1);
                    }
                } else if (key(egui::Key::ArrowLeft) | key(egui::Key::PageUp)) && i > 0 {
                    self.show_view(ctx, i - 1);
                }
                // No arrow key may pan the map while presenting.
                for k in [egui::Key::ArrowUp, egui::Key::ArrowDown] {
                    key(k);
                }
            }
        }
    }

    /// What presentation mode draws over the map (`None` when not presenting).
    pub(super) fn presentation_overlay(&mut self) -> Option<PresentOverlay> {
        let i = self.present.showing?;
        let view = self.present.views.get(i)?;
        let lang = self.state.language;
        let project = self.project.as_ref()?;
        let period = {
            let range = project.loaded.info.time_range.map(|(a, b)| {
                (
                    crate::model::time::local(a).date_naive(),
                    crate::model::time::local(b).date_naive(),
                )
            });
            let from = view.filter.from.or(range.map(|r| r.0));
            let to = view.filter.to.or(range.map(|r| r.1));
            match (from, to) {
                (Some(a), Some(b)) => format!("{}: {a} – {b}", ptext::tr(lang, T::DataPeriod)),
                _ => String::new(),
            }
        };
        let mut attribution = Vec::new();
        let mut plain = true;
        if let Some(tiles) = &mut self.tiles {
            let ready = matches!(
                tiles.status(),
                TileStatus::Ready | TileStatus::Loading { .. }
            );
            if ready {
                attribution.push(tiles.active_source().attribution.clone());
                plain = false;
            }
        }
        if plain {
            attribution.push(ptext::tr(lang, T::PlainAttribution).to_owned());
        }
        let categories = self
            .incident_layer
            .data()
            .map(|d| {
                d.counts_per_category()
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|&(c, n)| {
                        (
                            c,
                            format!("{} ({})", i18n::category(lang, c), i18n::count(lang, n)),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let stats = self.incident_layer.last_frame_stats();
        let cell_classes = if stats.aggregated {
            stats.cell_classes.legend(lang)
        } else {
            Vec::new()
        };
        let heatmap = (self.layers.is_shown(&LayerId::Heatmap) && self.analysis.output().is_some())
            .then(
                || match crate::gui::analysis::layer_legend(lang, &LayerId::Heatmap) {
                    Legend::Ramp(colors) => Some((
                        format!(
                            "{}: {} – {}",
                            tr(lang, Key::LayerHeatmap),
                            tr(lang, Key::LegendLow),
                            tr(lang, Key::LegendHigh)
                        ),
                        colors,
                    )),
                    _ => None,
                },
            )
            .flatten();
        let notes = self.present.notes_shown.then(|| {
            let text = if view.notes.trim().is_empty() {
                vtext::tr(lang, V::NoNotes).to_owned()
            } else {
                view.notes.trim().to_owned()
            };
            (vtext::tr(lang, V::NotesHeading).to_owned(), text)
        });
        Some(PresentOverlay {
            notes,
            notes_hint: vtext::tr(lang, V::NotesHint).to_owned(),
            title: view.title.clone(),
            counter: format!("{} / {}", i + 1, self.present.views.len()),
            period,
            attribution: attribution.join(" · "),
            categories,
            cell_classes,
            cells_heading: tr(lang, Key::MapLegendDensity).to_owned(),
            heatmap,
            synthetic: project
                .loaded
                .info
                .synthetic
                .then(|| tr(lang, Key::SyntheticShort).to_owned()),
        })
    }

    /// The "save view" window, while open.
    pub(super) fn save_view_window_ui(&mut self, ctx: &egui::Context) {
        let lang = self.state.language;
        let Some((title, notes)) = &mut self.present.dialog else {
            return;
        };
        let mut open = true;
        let mut save = false;
        let mut close = false;
        let taken = self.present.views.iter().any(|v| v.title == title.trim());
        egui::Window::new(ptext::tr(lang, T::SaveViewTitle))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(ptext::tr(lang, T::SaveViewHelp));
                let l = ui.label(ptext::tr(lang, T::ViewTitleLabel));
                ui.text_edit_singleline(title).labelled_by(l.id);
                if taken {
                    ui.weak(ptext::tr(lang, T::ViewTitleTaken));
                }
                let l = ui.label(ptext::tr(lang, T::SpeakerNotes));
                ui.add(egui::TextEdit::multiline(notes).desired_rows(4))
                    .labelled_by(l.id);
                ui.horizontal(|ui| {
                    let ok = !title.trim().is_empty();
                    if ui
                        .add_enabled(ok, egui::Button::new(ptext::tr(lang, T::SaveView)))
                        .clicked()
                    {
                        save = true;
                    }
                    if ui.button(tr(lang, Key::Cancel)).clicked() {
                        close = true;
                    }
                });
            });
        if save {
            let (title, notes) = self.present.dialog.take().unwrap_or_default();
            if let Some(view) = self.current_view(&title, &notes) {
                self.save_view(ctx, view);
            }
        } else if close || !open {
            self.present.dialog = None;
        }
    }
}
