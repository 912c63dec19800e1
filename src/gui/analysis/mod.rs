//! The analysis in the app: heatmap, hotspots and strategic places computed
//! off the UI thread whenever the filter result or a parameter changes, the
//! map layers that draw them, and exports of the current results.
//!
//! [`AnalysisState`] is the one piece the app holds. The app calls
//! [`AnalysisState::filter_changed`] when a new filter result arrives and
//! [`AnalysisState::poll`] every frame; parameter changes from the panel are
//! debounced ([`DEBOUNCE`]) so dragging a slider starts one run, not fifty. A
//! new run cancels the one in progress. The last good result stays on the map
//! until the next one is ready.
//!
//! Layer visibility and opacity live in [`AnalysisState::styles`] (one
//! [`AnalysisLayerStyle`] per layer): the single place to switch to the layer
//! panel's entries.

pub mod export;
/// The analysis panel (parameters, legends, places list).
pub mod panel;
pub mod task;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use walkers::MapMemory;

pub use export::{AppExportError, ExportTarget, write_export};
pub use panel::{AnalysisPanel, PanelRequest};
pub use task::{AnalysisInput, AnalysisOutput, AnalysisParams, compute, covered_incidents};

use crate::analysis::AnalysisError;
use crate::analysis::engine::EngineError;
use crate::gui::i18n::{Key, Language, tr};
use crate::gui::map::analysis_layers::{
    AnalysisLayerStyle, HeatmapPlugin, HotspotPlugin, PlacesInteraction, PlacesPlugin,
};
use crate::gui::map::draw_area::{AreaDraft, AreaPlugin, DraftOutcome};
use crate::gui::map::incidents::IncidentLayer;
use crate::gui::panels::{LayerId, LayersPanel, Legend};
use crate::gui::tasks::{LoadedProject, Task};
use crate::model::Filter;
use crate::store::StoreError;

/// How long parameters must stay unchanged before a run starts.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// Visibility and opacity of the three analysis layers.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisStyles {
    pub heatmap: AnalysisLayerStyle,
    pub hotspots: AnalysisLayerStyle,
    pub places: AnalysisLayerStyle,
}

impl Default for AnalysisStyles {
    fn default() -> Self {
        AnalysisStyles {
            heatmap: AnalysisLayerStyle {
                visible: true,
                opacity: 0.85,
            },
            // Off at first: on top of the heatmap the cells hide its
            // gradient; one click shows them.
            hotspots: AnalysisLayerStyle {
                visible: false,
                opacity: 0.8,
            },
            places: AnalysisLayerStyle::default(),
        }
    }
}

/// The analysis's state in the app.
#[derive(Default)]
pub struct AnalysisState {
    params: AnalysisParams,
    /// Visibility and opacity per layer (read by the map plugins).
    pub styles: AnalysisStyles,
    task: Option<Task<AnalysisOutput>>,
    /// When set, a run starts once this instant has passed.
    due: Option<Instant>,
    output: Option<Arc<AnalysisOutput>>,
    heat_texture: Option<egui::TextureHandle>,
    error: Option<String>,
    export_task: Option<Task<Vec<PathBuf>>>,
    export_notice: Option<Result<Vec<PathBuf>, String>>,
    /// Index (rank − 1) of the place chosen in the list.
    focused: Option<usize>,
    interaction: PlacesInteraction,
    panel: AnalysisPanel,
    /// True once [`AnalysisState::sync_with_layers_panel`] has run: the layer
    /// panel then owns visibility and opacity, and this panel hides its own.
    styles_from_layers_panel: bool,
    /// The study area being drawn on the map, and how the drawing ended.
    draft: AreaDraft,
    draft_outcome: Option<DraftOutcome>,
    /// A study area change waiting to be written to the project.
    area_change: Option<AreaChange>,
    /// Writes a study area change into the project.
    area_task: Option<Task<()>>,
    /// The last study area change's failure.
    area_error: Option<String>,
    /// The path typed in the panel's "from file" field.
    area_path: String,
    /// The panel asked for the file browser to pick a study-area file; the
    /// app takes it with [`AnalysisState::take_browse_area`].
    browse_area: bool,
    /// Rings (WGS84) of the last run's study area, for its outline.
    area_outline: Vec<Vec<crate::model::LonLat>>,
    /// Set when the chosen place's selection no longer matches the parameters.
    place_selection_stale: bool,
}

/// A change of the project's study area asked for in the app.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaChange {
    /// Read the polygons of this GeoJSON file.
    FromFile(PathBuf),
    /// The ring drawn on the map (WGS84).
    Drawn(Vec<crate::model::LonLat>),
    /// No study area.
    Remove,
}

impl AnalysisState {
    pub fn params(&self) -> &AnalysisParams {
        &self.params
    }

    /// Changes the parameters (as the panel's sliders do); a run starts
    /// [`DEBOUNCE`] after the last change, and the running one is cancelled.
    pub fn set_params(&mut self, params: AnalysisParams) {
        if params != self.params {
            // The places move with these: the chosen place's selection is stale.
            let places_change = params.radius_m != self.params.radius_m
                || params.k != self.params.k
                || params.places_hours != self.params.places_hours
                || params.hotspot_cell_m != self.params.hotspot_cell_m;
            if places_change && self.focused.take().is_some() {
                self.place_selection_stale = true;
            }
            self.params = params;
            self.schedule(DEBOUNCE);
        }
    }

    /// A new filter result: recompute as soon as possible.
    pub fn filter_changed(&mut self) {
        self.schedule(Duration::ZERO);
    }

    fn schedule(&mut self, after: Duration) {
        if let Some(t) = self.task.take() {
            t.cancel();
        }
        self.due = Some(Instant::now() + after);
    }

    /// Cancels the running run and any scheduled one.
    pub fn cancel(&mut self) {
        if let Some(t) = self.task.take() {
            t.cancel();
        }
        self.due = None;
    }

    /// True while a run is scheduled or running, an export or a study area
    /// change is written.
    pub fn is_busy(&self) -> bool {
        self.task.is_some()
            || self.due.is_some()
            || self.export_task.is_some()
            || self.area_task.is_some()
            || self.area_change.is_some()
    }

    /// True while a run is scheduled or running.
    pub fn is_computing(&self) -> bool {
        self.task.is_some() || self.due.is_some()
    }

    /// The last finished result.
    pub fn output(&self) -> Option<&Arc<AnalysisOutput>> {
        self.output.as_ref()
    }

    /// The heatmap's texture, once a result is loaded (tests check that the
    /// map draws it).
    pub fn heat_texture_id(&self) -> Option<egui::TextureId> {
        self.heat_texture.as_ref().map(|t| t.id())
    }

    /// The last run's failure, if it failed.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Progress of the running run: (stage, done, total).
    pub fn progress(&self) -> Option<(String, u64, u64)> {
        self.task.as_ref().map(|t| t.progress().snapshot())
    }

    /// The place chosen in the list (index = rank − 1).
    pub fn focused_place(&self) -> Option<usize> {
        self.focused
    }

    /// The last export's outcome: the files written, or the error.
    pub fn export_notice(&self) -> Option<&Result<Vec<PathBuf>, String>> {
        self.export_notice.as_ref()
    }

    /// Takes a marker click from the map (index = rank − 1).
    pub fn take_clicked_place(&mut self) -> Option<usize> {
        self.interaction.clicked.take()
    }

    /// True once after a parameter the places depend on changed while a
    /// place was chosen: the app clears the incidents it had selected.
    pub fn take_stale_place_selection(&mut self) -> bool {
        std::mem::take(&mut self.place_selection_stale)
    }

    /// Reads finished work and starts a scheduled run once its time has come
    /// and no filter is being computed. Call every frame.
    pub fn poll(
        &mut self,
        ctx: &egui::Context,
        lang: Language,
        project: Option<&LoadedProject>,
        filter: &Filter,
        filter_busy: bool,
    ) {
        let Some(project) = project else {
            self.cancel();
            self.output = None;
            self.heat_texture = None;
            return;
        };
        if self
            .output
            .as_ref()
            .is_some_and(|o| !Arc::ptr_eq(&o.index, &project.index))
        {
            self.output = None;
            self.heat_texture = None;
            self.focused = None;
        }
        if let Some(outcome) = self.draft_outcome.take()
            && let DraftOutcome::Finished(ring) = outcome
        {
            self.area_change = Some(AreaChange::Drawn(ring));
        }
        if self.area_task.is_none()
            && let Some(change) = self.area_change.take()
        {
            let path = project.path.clone();
            self.area_error = None;
            self.area_task = Some(Task::spawn(ctx, "study-area", move |_, _| {
                change_area(&path, change)
            }));
        }
        if let Some(task) = &self.area_task
            && let Some(result) = task.try_take()
        {
            self.area_task = None;
            match result {
                Ok(()) => self.schedule(Duration::ZERO),
                Err(e) => self.area_error = Some(format!("{e:#}")),
            }
        }
        if let Some(task) = &self.task
            && let Some(result) = task.try_take()
        {
            self.task = None;
            match result {
                Ok(out) => {
                    self.area_outline = out
                        .area
                        .as_ref()
                        .map(|a| {
                            a.to_wgs84()
                                .0
                                .iter()
                                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                                .map(|r| {
                                    r.coords()
                                        .map(|c| crate::model::LonLat::new(c.x, c.y))
                                        .collect()
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    self.heat_texture = out.heatmap.as_ref().ok().map(|h| {
                        ctx.load_texture(
                            "analysis-heatmap",
                            h.image.clone(),
                            egui::TextureOptions::LINEAR,
                        )
                    });
                    if self.focused.is_some_and(|i| {
                        out.places
                            .as_ref()
                            .map_or(true, |p| i >= p.places.places.len())
                    }) {
                        self.focused = None;
                    }
                    self.output = Some(Arc::new(out));
                    self.error = None;
                }
                Err(e) => {
                    let cancelled = matches!(
                        e.downcast_ref::<EngineError>(),
                        Some(
                            EngineError::Analysis(AnalysisError::Cancelled)
                                | EngineError::Store(StoreError::Cancelled(_))
                        )
                    );
                    if !cancelled {
                        self.error = Some(format!("{}: {e:#}", tr(lang, Key::AnFailed)));
                    }
                }
            }
        }
        if let Some(due) = self.due {
            let now = Instant::now();
            if now >= due && !filter_busy {
                self.due = None;
                let input = AnalysisInput {
                    path: project.path.clone(),
                    index: project.index.clone(),
                    filter: filter.clone(),
                    params: self.params.clone(),
                    project_name: project.info.name.clone(),
                    synthetic: project.info.synthetic,
                };
                self.task = Some(Task::spawn(ctx, "analysis", move |progress, cancel| {
                    compute(&input, lang, progress, cancel).map_err(anyhow::Error::from)
                }));
            } else {
                ctx.request_repaint_after(
                    due.saturating_duration_since(now)
                        .max(Duration::from_millis(20)),
                );
            }
        }
        if self.task.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        if let Some(task) = &self.export_task
            && let Some(result) = task.try_take()
        {
            self.export_task = None;
            self.export_notice =
                Some(result.map_err(|e| format!("{}: {e:#}", tr(lang, Key::AnExportFailed))));
        }
    }

    /// Writes `target` from the current result to `path` in a task; the
    /// outcome shows in [`AnalysisState::export_notice_ui`].
    pub fn start_export(
        &mut self,
        ctx: &egui::Context,
        lang: Language,
        target: ExportTarget,
        path: PathBuf,
        project: Option<PathBuf>,
    ) {
        let Some(output) = self.output.clone() else {
            self.export_notice = Some(Err(tr(lang, Key::AnNoResultYet).to_owned()));
            return;
        };
        self.export_notice = None;
        self.export_task = Some(Task::spawn(ctx, "export", move |_, _| match &project {
            Some(project) => export::write_export_logged(&output, target, &path, project),
            None => write_export(&output, target, &path).map_err(anyhow::Error::from),
        }));
    }

    /// Centres the map on place `i` (rank − 1) and selects the incidents it
    /// covers (filter and time window honoured, R-tree query).
    pub fn focus_place(
        &mut self,
        i: usize,
        layer: &mut IncidentLayer,
        memory: Option<&mut MapMemory>,
    ) {
        let Some(out) = &self.output else {
            return;
        };
        let Ok(places) = &out.places else {
            return;
        };
        let (Some(place), Some(pos)) = (places.places.places.get(i), places.positions.get(i))
        else {
            return;
        };
        self.focused = Some(i);
        // With a study area only the incidents inside it are demand.
        let covered = task::place_selection(
            &out.index,
            &out.filter,
            out.params.places_hours,
            place.xy,
            places.places.params.radius_m,
            out.area.as_ref(),
        );
        // The layer's data must be of the same index to select in it.
        if layer
            .data()
            .is_some_and(|d| Arc::ptr_eq(d.index(), &out.index))
        {
            layer.set_selection(covered);
        }
        if let Some(m) = memory {
            m.center_at(walkers::lon_lat(pos.lon, pos.lat));
        }
    }

    /// Asks for a study area change; it is written to the project in a task
    /// and the analyses run again.
    /// True once after the panel's "choose file" button was clicked.
    pub fn take_browse_area(&mut self) -> bool {
        std::mem::take(&mut self.browse_area)
    }

    /// Uses the study-area file picked in the file browser.
    pub fn area_file_chosen(&mut self, path: PathBuf) {
        self.area_path = path.display().to_string();
        self.change_area(AreaChange::FromFile(path));
    }

    pub fn change_area(&mut self, change: AreaChange) {
        self.area_change = Some(change);
    }

    /// True while a study area is being drawn on the map.
    pub fn is_drawing_area(&self) -> bool {
        self.draft.active
    }

    /// Starts drawing a study area on the map.
    pub fn start_drawing_area(&mut self) {
        self.draft.start();
    }

    /// The map plugins: heatmap and hotspots (draw them below the
    /// incidents), places (above, so the numbered markers stay readable) and
    /// the study area (on top).
    pub fn plugins(
        &mut self,
        lang: Language,
    ) -> (
        HeatmapPlugin<'_>,
        HotspotPlugin<'_>,
        PlacesPlugin<'_>,
        AreaPlugin<'_>,
    ) {
        let out = self.output.as_deref();
        let heat = HeatmapPlugin {
            view: out.and_then(|o| o.heatmap.as_ref().ok()),
            texture: self.heat_texture.as_ref().map(|t| t.id()),
            style: self.styles.heatmap,
        };
        let hot = HotspotPlugin {
            view: out.and_then(|o| o.hotspots.as_ref().ok()),
            style: self.styles.hotspots,
        };
        let places = PlacesPlugin {
            view: out.and_then(|o| o.places.as_ref().ok()),
            style: self.styles.places,
            focused: self.focused,
            interaction: &mut self.interaction,
            lang,
        };
        let area = AreaPlugin {
            outline: &self.area_outline,
            draft: &mut self.draft,
            outcome: &mut self.draft_outcome,
        };
        (heat, hot, places, area)
    }

    /// Rings (WGS 84) of the last run's study area; empty before a run.
    pub fn area_outline(&self) -> &[Vec<crate::model::LonLat>] {
        &self.area_outline
    }

    /// The analysis panel (parameters, legends, places list). Returns the
    /// place (index = rank − 1) the user clicked in the list.
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, lang: Language) -> Option<usize> {
        let mut params = self.params.clone();
        let mut styles = self.styles;
        let status = panel_status(self);
        let area_status = AreaStatus {
            area: self.output.as_ref().and_then(|o| o.area.clone()),
            busy: self.area_task.is_some() || self.area_change.is_some(),
            drawing: self.draft.active,
            error: self.area_error.clone(),
        };
        let area_request = self
            .panel
            .area_ui(ui, lang, &mut self.area_path, &area_status);
        match area_request {
            Some(AreaRequest::FromFile(p)) => self.change_area(AreaChange::FromFile(p)),
            Some(AreaRequest::Browse) => self.browse_area = true,
            Some(AreaRequest::Draw) => self.start_drawing_area(),
            Some(AreaRequest::StopDrawing) => self.draft.cancel(),
            Some(AreaRequest::Remove) => self.change_area(AreaChange::Remove),
            None => {}
        }
        let request = self.panel.ui(
            ui,
            lang,
            &mut params,
            (!self.styles_from_layers_panel).then_some(&mut styles),
            self.output.as_deref(),
            &status,
        );
        self.styles = styles;
        self.set_params(params);
        match request {
            Some(PanelRequest::FocusPlace(i)) => Some(i),
            Some(PanelRequest::Cancel) => {
                self.cancel();
                None
            }
            None => None,
        }
    }

    /// For the layer panel: marks the three analysis entries available, gives
    /// them their legends, and takes visibility and opacity from them — the
    /// one call that replaces this module's own checkboxes and sliders
    /// (`AnalysisState::styles`) once the app shows a `LayersPanel`.
    pub fn sync_with_layers_panel(&mut self, lang: Language, panel: &mut LayersPanel) {
        self.styles_from_layers_panel = true;
        for (id, style) in [
            (LayerId::Heatmap, &mut self.styles.heatmap),
            (LayerId::Hotspots, &mut self.styles.hotspots),
            (LayerId::StrategicPlaces, &mut self.styles.places),
        ] {
            if let Some(entry) = panel.get_mut(&id) {
                if !entry.available {
                    entry.available = true;
                    entry.visible = style.visible;
                    entry.opacity = style.opacity;
                }
                style.visible = entry.visible;
                style.opacity = entry.opacity;
                // Legends only of shown layers, to keep the panel short (the
                // analysis panel has the full legends with their numbers).
                entry.legend = if entry.visible {
                    layer_legend(lang, &id)
                } else {
                    Legend::None
                };
            }
        }
    }

    /// Which exports the File menu can offer now.
    pub fn export_available(&self, target: ExportTarget) -> bool {
        self.output.as_ref().is_some_and(|o| target.available(o))
    }

    /// A small window saying where the export was written (or why not).
    pub fn export_notice_ui(&mut self, ctx: &egui::Context, lang: Language) {
        let running = self.export_task.is_some();
        if self.export_notice.is_none() && !running {
            return;
        }
        let mut open = true;
        let mut close = false;
        egui::Window::new(tr(lang, Key::AnExportTitle))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                if running {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(lang, Key::AnExporting));
                    });
                }
                match &self.export_notice {
                    Some(Ok(paths)) => {
                        ui.label(tr(lang, Key::AnExportedTo));
                        for p in paths {
                            ui.monospace(p.display().to_string());
                        }
                    }
                    Some(Err(e)) => {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    None => {}
                }
                if !running && ui.button(tr(lang, Key::Close)).clicked() {
                    close = true;
                }
            });
        if (!open || close) && !running {
            self.export_notice = None;
        }
    }
}

/// The layer panel's legend of an analysis layer: the heatmap's colour ramp,
/// the hotspot classes, the places' marker.
pub fn layer_legend(lang: Language, id: &LayerId) -> Legend {
    use crate::analysis::HotspotClass;
    use crate::gui::map::analysis_layers::hotspot_fill;
    match id {
        LayerId::Heatmap => Legend::Ramp(
            (0..=8)
                .map(|i| {
                    let [r, g, b, _] = task::heat_rgba((0.2 + 0.1 * i as f32).min(1.0));
                    egui::Color32::from_rgb(r, g, b)
                })
                .collect(),
        ),
        LayerId::Hotspots => Legend::Swatches(
            HotspotClass::ALL
                .into_iter()
                .filter(|c| c.is_significant())
                .map(|c| {
                    let label = match lang {
                        Language::Swedish => c.label_sv(),
                        Language::English => c.label_en(),
                    };
                    (hotspot_fill(c), label.to_owned())
                })
                .collect(),
        ),
        // The numbered markers explain themselves.
        _ => Legend::None,
    }
}

/// Writes a study area change into the project at `path`.
fn change_area(path: &std::path::Path, change: AreaChange) -> anyhow::Result<()> {
    use crate::analysis::{StudyArea, engine, inputs};
    let area = match change {
        AreaChange::FromFile(file) => Some(inputs::read_area(&file)?),
        AreaChange::Drawn(ring) => {
            let mut coords: Vec<(f64, f64)> = ring.iter().map(|p| (p.lon, p.lat)).collect();
            coords.push(coords[0]);
            let polygon = geo::Polygon::new(geo::LineString::from(coords), vec![]);
            Some(StudyArea::from_wgs84(
                &geo::MultiPolygon(vec![polygon]),
                "drawn in the app",
            )?)
        }
        AreaChange::Remove => None,
    };
    let mut project = crate::store::open(path)?;
    match &area {
        Some(a) => engine::keep_area(project.as_mut(), a)?,
        None => engine::forget_area(project.as_mut())?,
    }
    Ok(())
}

/// What the panel shows about the study area.
pub struct AreaStatus {
    /// The area the last run used.
    pub area: Option<crate::analysis::StudyArea>,
    /// A change is being written.
    pub busy: bool,
    /// The draw tool is active.
    pub drawing: bool,
    pub error: Option<String>,
}

/// What the user asked of the study area.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaRequest {
    FromFile(PathBuf),
    /// Pick the file in the app's file browser.
    Browse,
    Draw,
    StopDrawing,
    Remove,
}

/// What the panel shows about the run in progress.
pub struct PanelStatus {
    pub computing: bool,
    /// (stage, done, total) of the running run.
    pub progress: Option<(String, u64, u64)>,
    pub error: Option<String>,
}

fn panel_status(s: &AnalysisState) -> PanelStatus {
    PanelStatus {
        computing: s.is_computing(),
        progress: s.progress(),
        error: s.error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layers_panel_drives_the_styles() {
        let mut state = AnalysisState::default();
        let mut panel = LayersPanel::standard();
        state.sync_with_layers_panel(Language::Swedish, &mut panel);
        let heat = panel.get(&LayerId::Heatmap).unwrap();
        assert!(heat.available && heat.visible);
        assert!(matches!(heat.legend, Legend::Ramp(_)));
        assert!(!panel.get(&LayerId::Hotspots).unwrap().visible);
        // The user hides the heatmap and shows the hotspots in the panel.
        panel.get_mut(&LayerId::Heatmap).unwrap().visible = false;
        let hot = panel.get_mut(&LayerId::Hotspots).unwrap();
        hot.visible = true;
        hot.opacity = 0.5;
        state.sync_with_layers_panel(Language::Swedish, &mut panel);
        assert!(!state.styles.heatmap.visible);
        assert!(state.styles.hotspots.visible);
        assert_eq!(state.styles.hotspots.opacity, 0.5);
        assert!(!panel.get(&LayerId::PatrolAreas).unwrap().available);
    }

    #[test]
    fn parameter_changes_are_debounced() {
        let mut state = AnalysisState::default();
        assert!(!state.is_busy());
        let p = AnalysisParams {
            k: 9,
            ..AnalysisParams::default()
        };
        state.set_params(p.clone());
        let due = state.due.unwrap();
        assert!(due > Instant::now() + DEBOUNCE / 2);
        // The same parameters again schedule nothing new.
        state.set_params(p);
        assert_eq!(state.due, Some(due));
        state.filter_changed();
        assert!(state.due.unwrap() <= Instant::now());
        state.cancel();
        assert!(!state.is_busy());
    }
}
