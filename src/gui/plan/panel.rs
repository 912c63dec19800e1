//! The patrol plan window: tools, the list of areas and routes, the
//! selected item's attributes and stops, and the coverage table comparing
//! every item side by side with the plan total.

use super::text::{T, tr};
use super::{PlanState, Tool};
use crate::analysis::coverage::ItemKind;
use crate::gui::i18n::Language;
use crate::model::plan::PlanRef;

/// Weekday abbreviations (Swedish, English), Monday first.
pub(super) const DAYS: [(&str, &str); 7] = [
    ("mån", "Mon"),
    ("tis", "Tue"),
    ("ons", "Wed"),
    ("tor", "Thu"),
    ("fre", "Fri"),
    ("lör", "Sat"),
    ("sön", "Sun"),
];

impl PlanState {
    /// The window (while open).
    pub fn window_ui(&mut self, ctx: &egui::Context, lang: Language) {
        let mut open = self.open;
        egui::Window::new(tr(lang, T::Title))
            .open(&mut open)
            // At the right, over the layer list, so the map stays free to draw on.
            .default_pos(egui::pos2(ctx.content_rect().right() - 450.0, 40.0))
            .default_width(430.0)
            .max_width(440.0)
            .default_height(700.0)
            .resizable(true)
            .show(ctx, |ui| {
                egui::ScrollArea::both().show(ui, |ui| self.contents_ui(ui, lang));
            });
        if !open {
            self.tool = Tool::Idle;
        }
        self.open = open;
        self.repair_ui(ctx, lang);
    }

    fn tools_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        ui.horizontal_wrapped(|ui| {
            if ui.button(tr(lang, T::DrawArea)).clicked() {
                self.select(None);
                self.tool = Tool::DrawArea(vec![]);
            }
            if ui.button(tr(lang, T::DrawRoute)).clicked() {
                self.select(None);
                self.tool = Tool::DrawRoute(vec![]);
            }
            let busy = self.job.is_some() || !self.queue.is_empty();
            if ui
                .add_enabled(
                    !busy && self.history.can_undo(),
                    egui::Button::new(tr(lang, T::Undo)),
                )
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                self.undo();
            }
            if ui
                .add_enabled(
                    !busy && self.history.can_redo(),
                    egui::Button::new(tr(lang, T::Redo)),
                )
                .on_hover_text("Ctrl+Y")
                .clicked()
            {
                self.redo();
            }
            if busy {
                ui.spinner();
                ui.label(tr(lang, T::Busy));
            }
        });
        let hint = match self.tool {
            Tool::Idle => None,
            Tool::DrawArea(_) => Some(T::DrawingArea),
            Tool::DrawRoute(_) => Some(T::DrawingRoute),
            Tool::DrawHole(..) => Some(T::DrawingHole),
            Tool::AddStops(_) => Some(T::AddingStops),
            Tool::PickBase => Some(T::DraftPickingBase),
        };
        if let Some(h) = hint {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(tr(lang, h)).strong());
                if ui.button(tr(lang, T::Cancel)).clicked() {
                    self.tool = Tool::Idle;
                }
            });
        }
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        self.tools_ui(ui, lang);
        if let Some(m) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, m.as_str());
        }
        if !self.draft.open
            && let Some(n) = &self.draft.notice
        {
            ui.label(n.as_str());
        }
        ui.separator();
        if self.plan.is_empty() {
            ui.label(tr(lang, T::NoItems));
        }
        let mut pick = None;
        ui.horizontal_wrapped(|ui| {
            for a in &self.plan.areas {
                let r = a.id.map(PlanRef::Area);
                if ui
                    .selectable_label(
                        self.selected == r && r.is_some(),
                        format!("{} · {}", tr(lang, T::Area), a.attributes.name),
                    )
                    .clicked()
                {
                    pick = Some(r);
                }
            }
            for x in &self.plan.routes {
                let r = x.id.map(PlanRef::Route);
                if ui
                    .selectable_label(
                        self.selected == r && r.is_some(),
                        format!("{} · {}", tr(lang, T::Route), x.attributes.name),
                    )
                    .clicked()
                {
                    pick = Some(r);
                }
            }
        });
        if let Some(r) = pick {
            self.select(r);
        }
        ui.separator();
        self.form_ui(ui, lang);
        ui.separator();
        self.coverage_ui(ui, lang);
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let Some(form) = &mut self.form else {
            if !self.plan.is_empty() {
                ui.label(tr(lang, T::NoSelection));
            }
            return;
        };
        let mut save = false;
        let mut delete = false;
        let mut remove_stop = None;
        let mut tool = None;
        egui::Grid::new("plan_form").num_columns(2).show(ui, |ui| {
            ui.label(tr(lang, T::Name));
            ui.add(egui::TextEdit::singleline(&mut form.name).desired_width(260.0));
            ui.end_row();
            ui.label(tr(lang, T::Color));
            ui.color_edit_button_srgb(&mut form.color);
            ui.end_row();
            ui.label(tr(lang, T::Team));
            ui.add(egui::TextEdit::singleline(&mut form.team).desired_width(260.0));
            ui.end_row();
            ui.label(tr(lang, T::Weekdays));
            ui.horizontal(|ui| {
                for (i, (sv, en)) in DAYS.iter().enumerate() {
                    let name = match lang {
                        Language::Swedish => *sv,
                        Language::English => *en,
                    };
                    ui.checkbox(&mut form.weekdays[i], name);
                }
            });
            ui.end_row();
            ui.label(tr(lang, T::Hours));
            ui.horizontal(|ui| {
                ui.checkbox(&mut form.whole_day, tr(lang, T::WholeDay));
                ui.add_enabled(
                    !form.whole_day,
                    egui::DragValue::new(&mut form.start_hour)
                        .range(0..=23)
                        .suffix(":00"),
                );
                ui.label("–");
                ui.add_enabled(
                    !form.whole_day,
                    egui::DragValue::new(&mut form.end_hour)
                        .range(0..=24)
                        .suffix(":00"),
                );
            });
            ui.end_row();
            ui.label(tr(lang, T::Note));
            ui.add(
                egui::TextEdit::multiline(&mut form.note)
                    .desired_rows(2)
                    .desired_width(260.0),
            );
            ui.end_row();
        });
        if let PlanRef::Route(id) = form.item {
            ui.label(egui::RichText::new(tr(lang, T::Stops)).strong());
            for (i, (name, dwell)) in form.stops.iter_mut().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(format!("{}.", i + 1));
                    ui.add(egui::TextEdit::singleline(name).desired_width(180.0));
                    ui.add(egui::DragValue::new(dwell).range(0..=240).suffix(" min"));
                    if ui
                        .small_button("×")
                        .on_hover_text(tr(lang, T::Delete))
                        .clicked()
                    {
                        remove_stop = Some(i);
                    }
                });
            }
            if ui.button(tr(lang, T::AddStops)).clicked() {
                tool = Some(Tool::AddStops(id));
            }
        }
        ui.horizontal(|ui| {
            if ui.button(tr(lang, T::Save)).clicked() {
                save = true;
            }
            if let PlanRef::Area(id) = form.item
                && ui.button(tr(lang, T::AddHole)).clicked()
            {
                tool = Some(Tool::DrawHole(id, vec![]));
            }
            if ui.button(tr(lang, T::Delete)).clicked() {
                delete = true;
            }
        });
        if save {
            self.save_form();
        }
        if let Some(i) = remove_stop {
            self.remove_stop(i);
        }
        if delete {
            self.delete_selected();
        }
        if let Some(t) = tool {
            self.tool = t;
        }
    }

    fn coverage_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(tr(lang, T::Coverage)).strong());
            if self.coverage_task.is_some() {
                ui.spinner();
                ui.label(tr(lang, T::Computing));
            }
        });
        ui.label(egui::RichText::new(tr(lang, T::Filtered)).small());
        ui.horizontal(|ui| {
            ui.label(tr(lang, T::Buffer));
            ui.add(
                egui::DragValue::new(&mut self.params.buffer_m)
                    .range(5.0..=500.0)
                    .speed(1.0),
            );
            ui.label(tr(lang, T::Pace));
            ui.add(
                egui::DragValue::new(&mut self.params.pace_kmh)
                    .range(1.0..=10.0)
                    .speed(0.1),
            );
        });
        let Some(c) = &self.coverage else {
            return;
        };
        let reach = c
            .items
            .iter()
            .any(|i| i.hot_cells.is_some() || i.places.is_some());
        let count = |n: Option<usize>| n.map_or_else(|| "–".to_owned(), |n| n.to_string());
        egui::Grid::new("plan_coverage")
            .striped(true)
            // Tight columns: eight of them fit the window's width.
            .spacing([3.0, 4.0])
            .num_columns(if reach { 8 } else { 6 })
            .show(ui, |ui| {
                let mut heads = vec![
                    T::Name,
                    T::Incidents,
                    T::Share,
                    T::Length,
                    T::WalkTime,
                    T::FitsShift,
                ];
                if reach {
                    heads.extend([T::HotCells, T::PlacesReached]);
                }
                for h in heads {
                    // Short headers so that all columns fit the window; the
                    // tooltip says what each is.
                    let (short, hint) = match h {
                        T::Length => (T::LengthShort, Some(T::Length)),
                        T::WalkTime => (T::WalkTimeShort, Some(T::WalkTime)),
                        T::HotCells => (T::HotCells, Some(T::HotCellsHint)),
                        T::PlacesReached => (T::PlacesReached, Some(T::PlacesReachedHint)),
                        other => (other, None),
                    };
                    let r = ui.label(egui::RichText::new(tr(lang, short)).strong());
                    if let Some(hint) = hint {
                        r.on_hover_text(tr(lang, hint));
                    }
                }
                ui.end_row();
                for i in &c.items {
                    let kind = tr(
                        lang,
                        match i.kind {
                            ItemKind::Area => T::Area,
                            ItemKind::Route => T::Route,
                        },
                    );
                    ui.label(&i.name).on_hover_text(kind);
                    ui.label(i.incidents.to_string());
                    ui.label(format!("{:.1} %", i.share * 100.0));
                    ui.label(format!("{:.0}", i.length_m));
                    ui.label(format!("{:.0}", i.walk_min));
                    ui.label(tr(lang, if i.fits_shift { T::Yes } else { T::No }));
                    if reach {
                        ui.label(count(i.hot_cells));
                        ui.label(count(i.places));
                    }
                    ui.end_row();
                }
                ui.label(egui::RichText::new(tr(lang, T::PlanTotal)).strong());
                ui.label(egui::RichText::new(c.total.incidents.to_string()).strong());
                ui.label(egui::RichText::new(format!("{:.1} %", c.total.share * 100.0)).strong());
                ui.label(format!("{:.0}", c.total.length_m));
                ui.label(format!("{:.0}", c.total.walk_min));
                ui.label("");
                if reach {
                    ui.label("");
                    ui.label("");
                }
                ui.end_row();
            });
    }

    fn repair_ui(&mut self, ctx: &egui::Context, lang: Language) {
        let Some(offer) = &self.repair else {
            return;
        };
        let reason = offer.reason.clone();
        let mut choice = None;
        egui::Window::new(tr(lang, T::SelfIntersecting))
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.label(format!("{}: {reason}.", tr(lang, T::SelfIntersecting)));
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, T::Repair)).clicked() {
                        choice = Some(true);
                    }
                    if ui.button(tr(lang, T::Discard)).clicked() {
                        choice = Some(false);
                    }
                });
            });
        match choice {
            Some(true) => self.accept_repair(lang),
            Some(false) => self.repair = None,
            None => {}
        }
    }
}
