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
    /// The last result of saving or reading, shown in the side panel.
    pub(super) note: Option<String>,
}

impl PresentState {
    /// True while views are read or saved.
    pub(super) fn is_busy(&self) -> bool {
        self.reading.is_some() || self.saving.is_some()
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
        self.present.saving = Some(Task::spawn(ctx, "save-view", move |_, _| {
            let mut store = crate::store::open(&path)?;
            store.put_views(&[view])?;
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
    }

    /// Shows view `i` of the presentation: its extent, layers, filter and
    /// analysis parameters.
    fn show_view(&mut self, ctx: &egui::Context, i: usize) {
        let Some(view) = self.present.views.get(i).cloned() else {
            return;
        };
        self.present.showing = Some(i);
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
            if !self.present.views.is_empty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
                self.show_view(ctx, 0);
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
        Some(PresentOverlay {
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
