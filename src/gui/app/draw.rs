//! Drawing: the menu bar, status bar, side panels, map and windows. Drawing
//! only reads prepared state and reports what the user asked for as
//! [`Action`]s; nothing here reads files or the project.

use std::time::Duration;

use walkers::{MapMemory, lon_lat};

use super::state::{FittedView, REFIT_WINDOW_S};
use super::{Action, LagesbildApp, QUIT_SHORTCUT, ViewRequest, solvesborg};
use crate::crs::sweref_from_wgs84;
use crate::gui::analysis::ExportTarget;
use crate::gui::follow::text as follow_text;
use crate::gui::i18n::{self, Key, Language, tr};
use crate::gui::map::area_download::dialog::DialogEvent;
use crate::gui::map::incidents::ShownIf;
use crate::gui::map::overlays::OverlayPlugin;
use crate::gui::map::palette;
use crate::gui::map::stack::LayerStack;
use crate::gui::map::tiles::{self, TileCatalog, TileManager};
use crate::gui::panels::{LayerChange, LayerId, selection_summary_ui, today_local};
use crate::gui::present::text::{self as ptext, T};
use crate::gui::tasks::OpenTarget;
use crate::gui::windows::file_browser::Purpose;
use crate::gui::windows::incident_editor;
use crate::model::LonLat;

impl LagesbildApp {
    /// Draws the whole window (`eframe::App::ui`), then applies the actions.
    pub(super) fn draw(&mut self, ui: &mut egui::Ui) {
        let lang = self.state.language;
        let ctx = ui.ctx().clone();
        let mut actions = Vec::new();
        let mut filter_changed = None;
        // The layer panel owns the analysis layers' visibility and opacity.
        self.analysis.sync_with_layers_panel(lang, &mut self.layers);
        // Presentation mode: the map alone, with its own overlay.
        if self.is_presenting() {
            egui::CentralPanel::default()
                .frame(egui::Frame::NONE.fill(crate::gui::map::plain::PLAIN_LAND))
                .show(ui, |ui| self.map_ui(ui));
            self.sync_details(&ctx);
            return;
        }
        let mut search = std::mem::take(&mut self.place_search);
        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui, &mut actions, &mut search));
        self.place_search = search;
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui, &mut actions));
        egui::Panel::left("side_panel")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.project_header_ui(ui);
                    if let Some(msg) = &self.message {
                        ui.separator();
                        ui.colored_label(ui.visuals().error_fg_color, msg);
                    }
                    if let Some(note) = &self.present.note {
                        ui.separator();
                        ui.label(note);
                    }
                    if let Some(fid) = self.edit.hidden_fid {
                        ui.separator();
                        ui.label(ptext::tr(lang, T::SavedOutsideFilter));
                        if ui.button(ptext::tr(lang, T::ShowSavedIncident)).clicked() {
                            actions.push(Action::ShowSavedIncident(fid));
                        }
                    }
                    if self.project.is_some() {
                        ui.separator();
                        let colors: &dyn Fn(crate::model::Category) -> egui::Color32 =
                            &palette::category_color;
                        let mut filter = self.state.filter.clone();
                        // The data's own date range; relative periods
                        // ("Senaste 30 dagarna") end at its last day when
                        // that is before today, and the panel says so.
                        let today = today_local();
                        let range = self
                            .project
                            .as_ref()
                            .and_then(|p| p.loaded.info.time_range)
                            .map(|(a, b)| {
                                (
                                    crate::model::time::local(a).date_naive(),
                                    crate::model::time::local(b).date_naive(),
                                )
                            });
                        let anchor = range.map_or(today, |(_, last)| last.min(today));
                        if let Some((first, last)) = range {
                            ui.label(format!(
                                "{}: {first} – {last}",
                                ptext::tr(lang, T::DataRange)
                            ));
                            if anchor < today {
                                ui.weak(
                                    ptext::tr(lang, T::RelativeToLastDay)
                                        .replace("{date}", &anchor.to_string()),
                                );
                            }
                        }
                        if self
                            .filter_panel
                            .ui(ui, lang, &mut filter, anchor, Some(colors))
                        {
                            filter_changed = Some(filter);
                        }
                        // The analysis right under the filter it works on,
                        // above the charts; View > Analysis opens it.
                        ui.separator();
                        let focus = std::mem::take(&mut self.focus_analysis);
                        let header = egui::CollapsingHeader::new(tr(lang, Key::AnalysisTitle))
                            .id_salt("analysis_section")
                            .default_open(true)
                            .open(focus.then_some(true))
                            .show(ui, |ui| {
                                if let Some(i) = self.analysis.panel_ui(ui, lang) {
                                    actions.push(Action::FocusPlace(i));
                                }
                                if self.analysis.take_browse_area() {
                                    actions.push(Action::ShowFileBrowser(Purpose::StudyArea));
                                }
                                if self.analysis.output().is_some_and(|o| {
                                    o.places.as_ref().is_ok_and(|p| !p.positions.is_empty())
                                }) && ui
                                    .button(crate::gui::plan::text::tr(
                                        lang,
                                        crate::gui::plan::text::T::DraftFromPlaces,
                                    ))
                                    .clicked()
                                {
                                    actions.push(Action::Plan(super::plan::PlanMenu::RouteDraft));
                                }
                            });
                        if focus {
                            header.header_response.scroll_to_me(Some(egui::Align::TOP));
                        }
                        if let Some(f) = self.project.as_ref().and_then(|p| p.filtered.as_ref()) {
                            ui.separator();
                            self.histogram.ui(ui, lang, &f.stats);
                        }
                    }
                });
            });
        if self.project.is_some() {
            egui::Panel::right("layers_panel")
                .resizable(true)
                .default_size(250.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        self.layers_side_ui(ui, &mut actions);
                    })
                });
        }
        // The plain background's land colour under the tiles: shown
        // wherever a tile is missing (see `map::plain`).
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE.fill(crate::gui::map::plain::PLAIN_LAND))
            .show(ui, |ui| self.map_ui(ui));
        // A click that draws a patrol area or route, or adds a stop, is not
        // also a click on the strategic place under it (which would move the
        // map between two vertices).
        if let Some(i) = self.analysis.take_clicked_place()
            && !self.plan.tool.is_drawing()
        {
            actions.push(Action::FocusPlace(i));
        }
        if self.analysis.take_stale_place_selection() {
            self.incident_layer.clear_selection();
        }
        self.analysis.export_notice_ui(&ctx, lang);
        if self.time.open {
            self.time.window_ui(&ctx, lang);
        }
        self.image_export_ui(&ctx);
        self.retention.show(&ctx, lang);
        self.import_report_ui(&ctx, &mut actions);
        self.gpkg_import_ui(&ctx);
        self.area_download_ui(&ctx);
        self.connect_dialog_ui(&ctx, &mut actions);
        let project_path = self.project.as_ref().map(|p| p.loaded.path.clone());
        self.follow
            .set_context(&ctx, project_path.as_deref(), &self.state.filter);
        if self.follow.open {
            self.follow.show(&ctx, lang);
        }
        self.save_view_window_ui(&ctx);
        self.views_window_ui(&ctx);
        self.edit_windows_ui(&ctx, &mut actions);
        self.plan_window_ui(&ctx, &mut actions);
        if let Some(browser) = &mut self.file_browser {
            if let Some(paths) = browser.show(&ctx, lang) {
                let purpose = browser.purpose();
                self.state.last_folder = Some(browser.dir().to_path_buf());
                match purpose {
                    Purpose::OpenProject => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::Open(OpenTarget::Path(p)));
                        }
                    }
                    Purpose::NewProject => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::Open(OpenTarget::New(p)));
                        }
                    }
                    Purpose::Import => actions.push(Action::Import(paths)),
                    Purpose::AddLayer => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::AddShapeLayer(p));
                        }
                    }
                    Purpose::StudyArea => {
                        if let Some(p) = paths.into_iter().next() {
                            self.analysis.area_file_chosen(p);
                        }
                    }
                    Purpose::SaveAs(target) => {
                        if let Some(p) = paths.into_iter().next() {
                            actions.push(Action::Export(target, p));
                        }
                    }
                    Purpose::WalkingNetwork => {
                        if let Some(p) = paths.into_iter().next() {
                            self.plan.draft.network = Some(p);
                        }
                    }
                }
            }
            if !browser.is_open() {
                self.file_browser = None;
            }
        }
        if let Some(filter) = filter_changed {
            self.set_filter(&ctx, filter);
        }
        for action in actions {
            self.apply(&ctx, action);
        }
        // A click on the map this frame selects: start reading it now.
        self.sync_details(&ctx);
    }

    /// The right-hand panel: the layer list ("Lager"), the details of the
    /// selection (when there is one) and the incident legend.
    pub(super) fn layers_side_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        egui::CollapsingHeader::new(tr(lang, Key::LayersTitle))
            .id_salt("layers_panel")
            .default_open(true)
            .show(ui, |ui| {
                let changes = self.layers.list_ui(ui, lang);
                for change in &changes {
                    if let LayerChange::Remove {
                        id: LayerId::GeoJson(name),
                    } = change
                    {
                        actions.push(Action::RemoveShapeLayer(name.clone()));
                    }
                    if let LayerChange::Visibility {
                        id: LayerId::Incidents,
                        visible: false,
                    } = change
                    {
                        self.incident_layer.clear_selection();
                    }
                }
                if !changes.is_empty() {
                    self.state.layers = self.layers.settings();
                    self.on_layer_changes(&changes);
                }
            });
        self.details_ui(ui, actions);
        if let Some(data) = self.incident_layer.data() {
            ui.separator();
            ui.strong(tr(lang, Key::Legend));
            let stats = self.incident_layer.last_frame_stats();
            let classes = stats.aggregated.then_some(&stats.cell_classes);
            palette::legend_ui(
                ui,
                lang,
                data.counts_per_category(),
                data.coarse_count(),
                classes,
            );
        }
    }

    /// The selected incident's details, or the summary of a box selection;
    /// nothing without a selection.
    pub(super) fn details_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        if self.detail.is_some() || !self.incident_layer.box_selection().is_empty() {
            ui.separator();
        }
        if let Some(d) = &self.detail {
            match &d.incident {
                Some(Ok(Some(incident))) => {
                    if let Some(a) = self.details.ui(ui, lang, incident) {
                        actions.push(Action::Details(a));
                    }
                }
                Some(Ok(None)) => {
                    ui.weak(tr(lang, Key::IncidentGone));
                }
                Some(Err(e)) => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("{}: {e}", tr(lang, Key::IncidentReadFailed)),
                    );
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(lang, Key::LoadingIncident));
                    });
                }
            }
        } else if !self.incident_layer.box_selection().is_empty() {
            let colors: &dyn Fn(crate::model::Category) -> egui::Color32 = &palette::category_color;
            selection_summary_ui(ui, lang, self.incident_layer.box_counts(), Some(colors));
        }
    }

    /// Draws the area download window; a finished archive joins the map chooser.
    pub(super) fn area_download_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.area_download else {
            return;
        };
        match dialog.show(ctx, self.state.language) {
            DialogEvent::Open => {}
            DialogEvent::Close => self.area_download = None,
            DialogEvent::Downloaded(source) => {
                if let Some(tiles) = &mut self.tiles {
                    tiles.add_source(source);
                }
            }
        }
    }

    pub(super) fn menu_bar_ui(
        &self,
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
        search: &mut crate::gui::place_search::PlaceSearch,
    ) {
        let lang = self.state.language;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, Key::File), |ui| {
                if ui.button(tr(lang, Key::NewProjectMenu)).clicked() {
                    actions.push(Action::ShowFileBrowser(Purpose::NewProject));
                }
                if ui.button(tr(lang, Key::OpenProjectMenu)).clicked() {
                    actions.push(Action::ShowFileBrowser(Purpose::OpenProject));
                }
                ui.menu_button(tr(lang, Key::RecentProjects), |ui| {
                    if self.state.recent_projects.is_empty() {
                        ui.weak(tr(lang, Key::NoRecentProjects));
                    }
                    for p in &self.state.recent_projects {
                        if ui.button(p.display().to_string()).clicked() {
                            actions.push(Action::Open(OpenTarget::Path(p.clone())));
                        }
                    }
                });
                if ui.button(tr(lang, Key::OpenDemo)).clicked() {
                    actions.push(Action::Open(OpenTarget::Demo));
                }
                if ui
                    .button(crate::gui::db::text::tr(
                        lang,
                        crate::gui::db::text::T::Menu,
                    ))
                    .clicked()
                {
                    actions.push(Action::OpenConnectDialog);
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.project.is_some(),
                        egui::Button::new(tr(lang, Key::ImportMenu)),
                    )
                    .clicked()
                {
                    actions.push(Action::ShowFileBrowser(Purpose::Import));
                }
                if ui
                    .add_enabled(
                        self.project.is_some() && self.overlays.job.is_none(),
                        egui::Button::new(tr(lang, Key::AddShapeLayerMenu)),
                    )
                    .clicked()
                {
                    actions.push(Action::ShowFileBrowser(Purpose::AddLayer));
                }
                ui.menu_button(tr(lang, Key::ExportMenu), |ui| {
                    if self.analysis.output().is_none() {
                        ui.weak(tr(lang, Key::AnExportNothing));
                    }
                    for target in ExportTarget::ALL {
                        let enabled = self.analysis.export_available(target);
                        if ui
                            .add_enabled(enabled, egui::Button::new(target.label(lang)))
                            .clicked()
                        {
                            actions.push(Action::ShowFileBrowser(Purpose::SaveAs(target)));
                        }
                    }
                });
                self.export_image_menu_ui(ui, actions);
                ui.separator();
                let quit = ui.ctx().format_shortcut(&QUIT_SHORTCUT);
                if ui
                    .add(egui::Button::new(tr(lang, Key::Quit)).shortcut_text(quit))
                    .clicked()
                {
                    actions.push(Action::Quit);
                }
            });
            ui.menu_button(tr(lang, Key::EditMenu), |ui| self.edit_menu_ui(ui, actions));
            ui.menu_button(follow_text::tr(lang, follow_text::Key::Menu), |ui| {
                if ui
                    .button(follow_text::tr(lang, follow_text::Key::OpenWindow))
                    .clicked()
                {
                    actions.push(Action::OpenFollowUp);
                }
            });
            self.plan_menu_ui(ui, actions);
            ui.menu_button(tr(lang, Key::View), |ui| {
                if ui
                    .add(egui::Button::new(tr(lang, Key::ZoomToProject)).shortcut_text("Home"))
                    .clicked()
                {
                    actions.push(Action::ZoomToProject);
                }
                if ui
                    .add_enabled(
                        self.has_selection(),
                        egui::Button::new(tr(lang, Key::ZoomToSelection)).shortcut_text("Z"),
                    )
                    .clicked()
                {
                    actions.push(Action::ZoomToSelection);
                }
                if ui
                    .add_enabled(
                        self.project.is_some(),
                        egui::Button::new(ptext::tr(lang, T::AnalysisMenu)),
                    )
                    .clicked()
                {
                    actions.push(Action::ShowAnalysis);
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.project.is_some(),
                        egui::Button::new(ptext::tr(lang, T::SaveViewMenu)),
                    )
                    .clicked()
                {
                    actions.push(Action::SaveView);
                }
                if ui
                    .add_enabled(
                        self.project.is_some(),
                        egui::Button::new(crate::gui::present::views::tr(
                            lang,
                            crate::gui::present::views::V::Menu,
                        )),
                    )
                    .clicked()
                {
                    actions.push(Action::OpenViews);
                }
                if ui
                    .add_enabled(
                        self.project.is_some(),
                        egui::Button::new(ptext::tr(lang, T::PresentMenu)).shortcut_text("F5"),
                    )
                    .clicked()
                {
                    actions.push(Action::Present);
                }
                ui.separator();
                if ui.button(tr(lang, Key::Fullscreen)).clicked() {
                    actions.push(Action::ToggleFullscreen);
                }
                if ui
                    .button(crate::gui::time::text::tr(
                        lang,
                        crate::gui::time::text::T::MenuEntry,
                    ))
                    .clicked()
                {
                    actions.push(Action::ToggleTimePatterns);
                }
                if let Some(tiles) = &self.tiles {
                    ui.menu_button(tr(lang, Key::MapSource), |ui| {
                        for (i, source) in tiles.sources().iter().enumerate() {
                            if ui
                                .selectable_label(i == tiles.selected(), &source.name)
                                .clicked()
                            {
                                actions.push(Action::SelectMapSource(i));
                            }
                        }
                    });
                }
                let allowed =
                    (self.tiles.as_ref()).is_some_and(|t| t.active_source().allow_area_download);
                if ui
                    .add_enabled(allowed, egui::Button::new(tr(lang, Key::AreaDownloadMenu)))
                    .on_disabled_hover_text(tr(lang, Key::AreaDownloadNotAllowed))
                    .clicked()
                {
                    actions.push(Action::OpenAreaDownload);
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                for (l, label) in [
                    (Language::English, "English"),
                    (Language::Swedish, "Svenska"),
                ] {
                    if ui.selectable_label(lang == l, label).clicked() && lang != l {
                        actions.push(Action::SetLanguage(l));
                    }
                }
                ui.label(format!("{}:", tr(lang, Key::LanguageLabel)));
                ui.separator();
                if let Some(pick) = search.ui(ui, lang) {
                    actions.push(Action::ShowPlace(pick.position, pick.zoom));
                }
            });
        });
    }

    pub(super) fn status_bar_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.state.language;
        ui.horizontal(|ui| {
            let running = self
                .tasks
                .importing
                .as_ref()
                .map(|t| t.progress())
                .or(self.tasks.loading.as_ref().map(|(_, t)| t.progress()))
                .or(self.image_export.progress());
            if let Some(progress) = running {
                let (stage, done, total) = progress.snapshot();
                let bar = if total > 0 {
                    egui::ProgressBar::new(done as f32 / total as f32)
                } else {
                    egui::ProgressBar::new(0.0).animate(true)
                };
                ui.add(bar.desired_width(220.0).text(stage));
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    actions.push(Action::CancelTask);
                }
                ui.ctx().request_repaint_after(Duration::from_millis(100));
                ui.separator();
            }
            if let Some(view) = &self.project {
                let total = view.loaded.index.len() as u64;
                let shown = view.filtered.as_ref().map_or(total, |f| f.stats.total);
                ui.label(format!(
                    "{} {} {} {}",
                    i18n::count(lang, shown),
                    tr(lang, Key::Of),
                    i18n::count(lang, total),
                    tr(lang, Key::IncidentsLower)
                ));
                if self.tasks.filtering.is_some() {
                    ui.spinner();
                }
                if view.loaded.info.synthetic {
                    ui.separator();
                    ui.colored_label(
                        egui::Color32::from_rgb(200, 120, 0),
                        tr(lang, Key::SyntheticShort),
                    );
                }
                self.live.notice_ui(ui, lang);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(c) = self.cursor {
                    let s = sweref_from_wgs84(c);
                    ui.monospace(format!(
                        "{:.5}° N {:.5}° Ö  |  SWEREF 99 TM N {:.0} E {:.0}",
                        c.lat, c.lon, s.northing, s.easting
                    ));
                }
            });
        });
    }

    pub(super) fn project_header_ui(&self, ui: &mut egui::Ui) {
        let lang = self.state.language;
        match &self.project {
            Some(view) => {
                ui.heading(&view.loaded.info.name);
                if view.loaded.info.synthetic {
                    egui::Frame::new()
                        .fill(egui::Color32::from_rgb(255, 236, 179))
                        .inner_margin(6.0)
                        .show(ui, |ui| {
                            ui.colored_label(
                                egui::Color32::from_rgb(102, 60, 0),
                                tr(lang, Key::SyntheticBanner),
                            );
                        });
                }
                ui.weak(crate::store::Location::from(&view.loaded.path).display());
                if view.loaded.index.is_empty() {
                    ui.label(tr(lang, Key::NoIncidentsGui));
                }
            }
            None if self.tasks.loading.is_some() => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(match self.tasks.loading.as_ref().map(|(t, _)| t) {
                        Some(OpenTarget::Demo) => tr(lang, Key::LoadingDemo),
                        _ => tr(lang, Key::Loading),
                    });
                });
            }
            None => {
                ui.label(tr(lang, Key::NoProjectOpen));
            }
        }
    }

    pub(super) fn map_ui(&mut self, ui: &mut egui::Ui) {
        let center = self
            .project
            .as_ref()
            .and_then(|p| p.loaded.info.extent)
            .map_or_else(solvesborg, |(min, max)| {
                lon_lat((min.lon + max.lon) / 2.0, (min.lat + max.lat) / 2.0)
            });
        if self.tiles_enabled && self.tiles.is_none() {
            self.tiles = Some(TileManager::new(
                ui.ctx(),
                TileCatalog::discover(),
                tiles::default_cache_root(),
            ));
        }
        let lang = self.state.language;
        self.incident_layer.lang = lang;
        self.plain.sync_boundary(self.analysis.area_outline());
        let overlay = self.presentation_overlay();
        let presenting = overlay.is_some();
        let Self {
            state,
            tiles,
            incident_layer,
            analysis,
            layers,
            overlays,
            time,
            follow,
            plain,
            tile_note_closed,
            plan,
            ..
        } = self;
        let (mut heat_layer, hotspot_layer, places_layer, area_layer) = analysis.plugins(lang);
        // The time slider plays its frames in the heatmap's place.
        if let Some((view, texture)) = time.slider_heatmap() {
            heat_layer.view = Some(view);
            heat_layer.texture = Some(texture);
        }
        let change_layer = crate::gui::time::layers::ChangePlugin {
            view: time.change().filter(|_| time.change_on),
            lang,
        };
        let memory = state.map_memory.get_or_insert_with(MapMemory::default);
        // Not while a project loads: its extent is not known yet.
        if self.zoom_to_project && self.tasks.loading.is_none() {
            self.zoom_to_project = false;
            let extent = self.project.as_ref().and_then(|p| p.loaded.info.extent);
            self.view_request = Some(extent.map_or(
                ViewRequest::Point(LonLat::new(center.x(), center.y()), 13.0),
                |(min, max)| ViewRequest::Extent(min, max),
            ));
        }
        let size = ui.available_size();
        let now_s = ui.input(|i| i.time);
        // Refit only while the layout settles after the request, so that a
        // panel growing later (e.g. with the details) does not move the map.
        let refit = self.fitted.as_ref().filter(|f| {
            f.size != size
                && now_s - f.requested_at_s < REFIT_WINDOW_S
                && f.zoom == memory.zoom()
                && memory.detached() == Some(f.center)
        });
        let next = match self.view_request.take() {
            Some(request) => Some((request, now_s)),
            None => refit.map(|f| (f.request, f.requested_at_s)),
        };
        if let Some((request, requested_at_s)) = next {
            let (center, zoom) = request.view(size);
            memory.center_at(center);
            let _ = memory.set_zoom(zoom);
            self.fitted = Some(FittedView {
                request,
                size,
                center,
                zoom: memory.zoom(),
                requested_at_s,
            });
        }
        // Keys typed into a text field (a date such as 2025-06-01) are not
        // map keys.
        let typing = ui.ctx().egui_wants_keyboard_input();
        let keyboard_zoom = ui.input(|i| {
            if typing {
                0
            } else if i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals) {
                1
            } else if i.key_pressed(egui::Key::Minus) {
                -1
            } else {
                0
            }
        });
        if keyboard_zoom > 0 {
            let _ = memory.zoom_in();
        } else if keyboard_zoom < 0 {
            let _ = memory.zoom_out();
        }
        // An arrow key moves the map by a fifth of its size (held: again
        // with the key's repeat), not while typing in a field.
        let typing = ui.ctx().text_edit_focused();
        let pan = ui.input(|i| {
            let step = pan_step(size);
            let mut v = egui::Vec2::ZERO;
            if typing {
                return v;
            }
            if i.key_pressed(egui::Key::ArrowLeft) {
                v.x -= step.x;
            }
            if i.key_pressed(egui::Key::ArrowRight) {
                v.x += step.x;
            }
            if i.key_pressed(egui::Key::ArrowUp) {
                v.y -= step.y;
            }
            if i.key_pressed(egui::Key::ArrowDown) {
                v.y += step.y;
            }
            v
        });
        let source = tiles.as_ref().map(|t| t.active_source().clone());
        let status = tiles.as_mut().map(|t| t.status());
        // A closed note stays closed until the tiles are all shown again.
        if matches!(status, Some(tiles::TileStatus::Ready)) {
            *tile_note_closed = false;
        }
        let mut close_note = false;
        let plain_shown = !matches!(
            status,
            Some(tiles::TileStatus::Ready | tiles::TileStatus::Loading { .. })
        );
        let pan_buttons = if plan.blocks_panning(ui.ctx()) {
            egui::DragPanButtons::empty()
        } else {
            incident_layer.pan_buttons(ui.ctx())
        };
        // The layer panel decides whether and how opaque the incidents are drawn.
        let incidents_shown = layers.is_shown(&LayerId::Incidents);
        if let Some(entry) = layers.get(&LayerId::Incidents) {
            incident_layer.opacity = entry.opacity;
        }
        incident_layer.cells_over_layer = layers.shown_below(&LayerId::Incidents);
        // Every layer in the layer panel's order (its first entry on top).
        let mut plugins: Vec<(LayerId, Box<dyn walkers::Plugin + '_>)> = vec![
            (LayerId::Heatmap, Box::new(heat_layer)),
            (LayerId::Hotspots, Box::new(hotspot_layer)),
            (
                LayerId::Incidents,
                Box::new(ShownIf(incidents_shown.then_some(&mut *incident_layer))),
            ),
            (LayerId::StrategicPlaces, Box::new(places_layer)),
        ];
        for overlay in &mut overlays.layers {
            let id = LayerId::GeoJson(overlay.name().to_owned());
            overlay.visible = layers.is_shown(&id);
            if let Some(entry) = layers.get(&id) {
                overlay.opacity = entry.opacity;
            }
        }
        for overlay in &overlays.layers {
            let id = LayerId::GeoJson(overlay.name().to_owned());
            plugins.push((id, Box::new(OverlayPlugin::new([overlay]))));
        }
        let stack = LayerStack::ordered(plugins, layers);
        let follow_outline = follow.drawn_outline();
        let context_pos = self.edit.context_pos;
        let output = walkers::Map::new(
            tiles.as_mut().map(|t| t as &mut dyn walkers::Tiles),
            memory,
            center,
        )
        .drag_pan_buttons(pan_buttons)
        // The mouse wheel zooms (as in most map programs), without Ctrl.
        .zoom_with_ctrl(false)
        .with_plugin(crate::gui::map::plain::PlainBackgroundPlugin {
            map: plain,
            shown: plain_shown,
            style: Default::default(),
        })
        .with_plugin(stack)
        .with_plugin(change_layer)
        .with_plugin(area_layer)
        .with_plugin(follow.area_plugin(&follow_outline))
        .with_plugin(crate::gui::plan::map::PlanPlugin { state: plan, lang })
        .with_plugin(ShownIf(
            (!presenting).then_some(crate::gui::scale_bar::ScaleBar { lang }),
        ))
        .with_plugin(ShownIf(
            overlay.map(|overlay| crate::gui::present::PresentPlugin { overlay, lang }),
        ))
        .show(ui, |ui, response, projector, _memory| {
            let rect = response.rect;
            // Presentation mode draws its own attribution and no notes.
            let source = source.as_ref().filter(|_| !presenting);
            let status = status.as_ref().filter(|_| !presenting);
            if let Some(source) = source {
                let attr = egui::Rect::from_min_max(
                    rect.right_bottom() - egui::vec2(520.0, 30.0),
                    rect.right_bottom() - egui::vec2(4.0, 4.0),
                );
                ui.scope_builder(
                    egui::UiBuilder::new()
                        .max_rect(attr)
                        .layout(egui::Layout::right_to_left(egui::Align::Max)),
                    |ui| tiles::attribution_ui(ui, source),
                );
            }
            if plain_shown && !presenting {
                let attr = egui::Rect::from_min_max(
                    rect.right_bottom() - egui::vec2(620.0, 52.0),
                    rect.right_bottom() - egui::vec2(4.0, 30.0),
                );
                ui.scope_builder(
                    egui::UiBuilder::new()
                        .max_rect(attr)
                        .layout(egui::Layout::right_to_left(egui::Align::Max)),
                    |ui| {
                        ui.small(ptext::tr(lang, T::PlainAttribution));
                    },
                );
            }
            if let Some(status) = status
                && !*tile_note_closed
                && tiles::status_text(lang, status).is_some()
            {
                let note = egui::Rect::from_min_size(
                    rect.left_top() + egui::vec2(8.0, 8.0),
                    egui::vec2(480.0, 60.0),
                );
                ui.scope_builder(egui::UiBuilder::new().max_rect(note), |ui| {
                    ui.horizontal(|ui| {
                        tiles::status_ui(ui, lang, status);
                        if ui
                            .small_button(ptext::tr(lang, T::HideNote))
                            .on_hover_text(ptext::tr(lang, T::HideNoteHint))
                            .clicked()
                        {
                            close_note = true;
                        }
                    });
                });
            }
            let hover = response.hover_pos().map(|pos| {
                let p = projector.unproject(pos.to_vec2());
                LonLat::new(p.x(), p.y())
            });
            let panned = (pan != egui::Vec2::ZERO)
                .then(|| projector.unproject(rect.center().to_vec2() + pan));
            // The context menu acts on the right-clicked place: unproject the
            // absolute pointer position of the click.
            let right_clicked = response
                .secondary_clicked()
                .then(|| response.interact_pointer_pos())
                .flatten()
                .map(|pos| {
                    let p = projector.unproject(pos.to_vec2());
                    LonLat::new(p.x(), p.y())
                })
                // Not when the patrol plan took it (deleting a vertex).
                .filter(|_| !crate::gui::plan::map::took_right_click(ui.ctx()));
            let mut add_here = None;
            if let Some(pos) = right_clicked.or(context_pos) {
                response.context_menu(|ui| {
                    add_here = incident_editor::map_context_menu_ui(ui, lang, pos);
                });
            }
            (hover, panned, right_clicked, add_here)
        });
        if close_note {
            self.tile_note_closed = true;
        }
        self.map_rect = Some(output.response.rect);
        // A click or drag on the map (drawing a patrol area, picking an
        // incident) ends the refit window: the map must not jump under the
        // user's hand when a panel settles later.
        if output.response.clicked()
            || output.response.secondary_clicked()
            || output.response.drag_started()
        {
            self.fitted = None;
        }
        let (hover, panned, right_clicked, add_here) = output.inner;
        if right_clicked.is_some() {
            self.edit.context_pos = right_clicked;
        }
        if let Some(p) = panned {
            if let Some(m) = &mut state.map_memory {
                m.center_at(p);
            }
            ui.ctx().request_repaint();
        }
        self.cursor = hover;
        if let Some(pos) = add_here {
            self.add_incident_at(pos);
        }
    }

    pub(super) fn import_report_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        use crate::gui::windows::import_report::{self, ReportRequest};
        if self.import_outcome.is_none() {
            self.import_extent = None;
            return;
        }
        // What was imported, once the project has been read again: the
        // incidents with a fid above the largest before the import.
        if self.import_extent.is_none()
            && self.tasks.loading.is_none()
            && self.tasks.importing.is_none()
            && let Some(view) = &self.project
        {
            let floor = self.import_fid_floor.unwrap_or(i64::MIN);
            let mut extent: Option<(LonLat, LonLat)> = None;
            for p in view.loaded.index.points().iter().filter(|p| p.fid > floor) {
                let q = p.position;
                extent = Some(match extent {
                    None => (q, q),
                    Some((a, b)) => (
                        LonLat::new(a.lon.min(q.lon), a.lat.min(q.lat)),
                        LonLat::new(b.lon.max(q.lon), b.lat.max(q.lat)),
                    ),
                });
            }
            self.import_extent = Some(extent);
        }
        let Some(outcome) = &self.import_outcome else {
            return;
        };
        let lang = self.state.language;
        let synthetic = self
            .project
            .as_ref()
            .is_some_and(|p| p.loaded.info.synthetic);
        let extent = self.import_extent.flatten();
        let mut open = true;
        let mut request = None;
        egui::Window::new(tr(lang, Key::ImportReportTitle))
            .open(&mut open)
            .default_size([640.0, 360.0])
            .show(ctx, |ui| {
                egui::ScrollArea::vertical()
                    .max_height(420.0)
                    .show(ui, |ui| {
                        for r in &outcome.reports {
                            match r {
                                Ok(r) => import_report::report_entry_ui(ui, lang, r),
                                Err(e) => {
                                    ui.colored_label(ui.visuals().error_fg_color, e);
                                }
                            }
                            ui.separator();
                        }
                        for (file, saved) in &outcome.rejects_saved {
                            match saved {
                                Ok(p) => ui.label(format!(
                                    "{} {}: {}",
                                    tr(lang, Key::RejectsSavedTo),
                                    file.display(),
                                    p.display()
                                )),
                                Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
                            };
                        }
                    });
                request = import_report::report_footer_ui(ui, lang, synthetic, extent);
            });
        match request {
            Some(ReportRequest::Close) => actions.push(Action::CloseImportReport),
            Some(ReportRequest::ZoomTo(min, max)) => {
                self.view_request = Some(ViewRequest::Extent(min, max));
            }
            None => {}
        }
        if !open {
            actions.push(Action::CloseImportReport);
        }
    }
}

/// How far one arrow-key press moves a map of `size` points: a fifth of
/// its width or height, at least 40 points.
pub(super) fn pan_step(size: egui::Vec2) -> egui::Vec2 {
    egui::vec2((size.x / 5.0).max(40.0), (size.y / 5.0).max(40.0))
}
