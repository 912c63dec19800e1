//! The views window (Visa → Vyer): the project's saved views in
//! presentation order, to open one on the map, save what the map shows,
//! rename, edit title and speaker notes, delete (after a confirmation) and
//! reorder. The window edits nothing itself: it answers a [`ViewsCommand`]
//! (the whole new list for a change), which the app stores in one
//! transaction (`Store::replace_views`) off the UI thread.

use egui::Ui;

use crate::gui::i18n::{self, Key, Language};
use crate::gui::panels::named_button;
use crate::model::view::SavedView;

/// What the views window asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewsCommand {
    /// Show view `i` on the map (extent, layers, filter, analysis).
    Open(usize),
    /// Open the "save view" window for what the map shows now.
    SaveCurrent,
    /// Store this list as the project's views (renamed, edited, reordered
    /// or with one deleted).
    Replace(Vec<SavedView>),
    /// Start presentation mode at view `i`.
    PresentFrom(usize),
}

/// The window's state between frames.
#[derive(Debug, Default)]
pub struct ViewsWindow {
    pub open: bool,
    /// The selected view's title.
    selected: Option<String>,
    /// The editor's title and notes of the selected view.
    title: String,
    notes: String,
    /// The title of the view whose deletion waits for a confirmation.
    confirm_delete: Option<String>,
}

impl ViewsWindow {
    /// Selects the view titled `title` and loads it into the editor.
    pub fn select(&mut self, views: &[SavedView], title: &str) {
        if let Some(v) = views.iter().find(|v| v.title == title) {
            self.selected = Some(v.title.clone());
            self.title = v.title.clone();
            self.notes = v.notes.clone();
        }
        self.confirm_delete = None;
    }

    /// The window, while open; `busy` while views are read or stored.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Language,
        views: &[SavedView],
        busy: bool,
    ) -> Option<ViewsCommand> {
        let mut open = self.open;
        let mut command = None;
        egui::Window::new(tr(lang, V::Window))
            .open(&mut open)
            .default_width(380.0)
            .show(ctx, |ui| command = self.ui(ui, lang, views, busy));
        self.open = open && self.open;
        command
    }

    /// The window's contents.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        views: &[SavedView],
        busy: bool,
    ) -> Option<ViewsCommand> {
        let mut command = None;
        // The selection follows its title; a view gone (deleted elsewhere)
        // is no longer selected.
        let index = self
            .selected
            .as_ref()
            .and_then(|t| views.iter().position(|v| &v.title == t));
        if index.is_none() {
            self.selected = None;
        }
        ui.horizontal(|ui| {
            if ui.button(tr(lang, V::SaveCurrent)).clicked() {
                command = Some(ViewsCommand::SaveCurrent);
            }
            if busy {
                ui.spinner();
            }
        });
        ui.separator();
        if views.is_empty() {
            ui.label(tr(lang, V::NoViews));
            return command;
        }
        ui.weak(tr(lang, V::OrderHelp));
        let mut pick = None;
        let mut swap = None;
        egui::ScrollArea::vertical()
            .max_height(260.0)
            .id_salt("views_list")
            .show(ui, |ui| {
                for (i, v) in views.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let up = i18n::tr(lang, Key::MoveUp);
                        let down = i18n::tr(lang, Key::MoveDown);
                        ui.add_enabled_ui(!busy && i > 0, |ui| {
                            let name = format!("{up}: {}", v.title);
                            if named_button(ui, i18n::tr(lang, Key::Up), &name)
                                .on_hover_text(tr(lang, V::MoveUp))
                                .clicked()
                            {
                                swap = Some((i - 1, i));
                            }
                        });
                        ui.add_enabled_ui(!busy && i + 1 < views.len(), |ui| {
                            let name = format!("{down}: {}", v.title);
                            if named_button(ui, i18n::tr(lang, Key::Down), &name)
                                .on_hover_text(tr(lang, V::MoveDown))
                                .clicked()
                            {
                                swap = Some((i, i + 1));
                            }
                        });
                        let label = format!("{}. {}", i + 1, v.title);
                        if ui.selectable_label(index == Some(i), label).clicked() {
                            pick = Some(i);
                        }
                    });
                }
            });
        if let Some(i) = pick {
            self.select(views, &views[i].title);
        }
        if let Some((a, b)) = swap {
            let mut list = views.to_vec();
            list.swap(a, b);
            command = Some(ViewsCommand::Replace(list));
        }
        let Some(i) = pick.or(index) else {
            ui.separator();
            ui.weak(tr(lang, V::PickOne));
            return command;
        };
        ui.separator();
        let l = ui.label(tr(lang, V::Title));
        ui.text_edit_singleline(&mut self.title).labelled_by(l.id);
        let new_title = self.title.trim();
        let taken = views
            .iter()
            .enumerate()
            .any(|(k, v)| k != i && v.title == new_title);
        if taken {
            ui.colored_label(ui.visuals().warn_fg_color, tr(lang, V::TitleTaken));
        }
        let l = ui.label(tr(lang, V::Notes));
        ui.add(
            egui::TextEdit::multiline(&mut self.notes)
                .desired_rows(4)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        let changed = views[i].title != new_title || views[i].notes != self.notes;
        ui.horizontal(|ui| {
            let ok = changed && !taken && !new_title.is_empty() && !busy;
            if ui
                .add_enabled(ok, egui::Button::new(tr(lang, V::SaveChanges)))
                .clicked()
            {
                let mut list = views.to_vec();
                list[i].title = new_title.to_owned();
                list[i].notes = self.notes.clone();
                self.selected = Some(new_title.to_owned());
                command = Some(ViewsCommand::Replace(list));
            }
            if ui.button(tr(lang, V::Open)).clicked() {
                command = Some(ViewsCommand::Open(i));
            }
            if ui.button(tr(lang, V::PresentFrom)).clicked() {
                command = Some(ViewsCommand::PresentFrom(i));
            }
        });
        match &self.confirm_delete {
            Some(t) if *t == views[i].title => {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("{} «{}»?", tr(lang, V::ConfirmDelete), views[i].title),
                );
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!busy, egui::Button::new(tr(lang, V::YesDelete)))
                        .clicked()
                    {
                        let mut list = views.to_vec();
                        list.remove(i);
                        self.confirm_delete = None;
                        self.selected = None;
                        command = Some(ViewsCommand::Replace(list));
                    }
                    if ui.button(tr(lang, V::KeepIt)).clicked() {
                        self.confirm_delete = None;
                    }
                });
            }
            _ => {
                if ui
                    .add_enabled(!busy, egui::Button::new(tr(lang, V::Delete)))
                    .clicked()
                {
                    self.confirm_delete = Some(views[i].title.clone());
                }
            }
        }
        command
    }
}

/// A string of the views window and the speaker notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V {
    Menu,
    Window,
    SaveCurrent,
    NoViews,
    OrderHelp,
    MoveUp,
    MoveDown,
    PickOne,
    Title,
    TitleTaken,
    Notes,
    SaveChanges,
    Open,
    PresentFrom,
    Delete,
    ConfirmDelete,
    YesDelete,
    KeepIt,
    ViewsStored,
    ViewsStoreFailed,
    NotesHeading,
    NoNotes,
    NotesHint,
}

/// The text of `key` in `lang`.
pub fn tr(lang: Language, key: V) -> &'static str {
    use Language::*;
    use V::*;
    match (lang, key) {
        (Swedish, Menu) => "Vyer …",
        (English, Menu) => "Views …",
        (Swedish, Window) => "Vyer",
        (English, Window) => "Views",
        (Swedish, SaveCurrent) => "Spara kartan som vy …",
        (English, SaveCurrent) => "Save the map as a view …",
        (Swedish, NoViews) => {
            "Projektet har inga sparade vyer. Ställ in kartan och spara den som en vy; \
             presentationen (F5) visar vyerna i tur och ordning."
        }
        (English, NoViews) => {
            "The project has no saved views. Set up the map and save it as a view; the \
             presentation (F5) shows the views in turn."
        }
        (Swedish, OrderHelp) => "Presentationen visar vyerna i denna ordning.",
        (English, OrderHelp) => "The presentation shows the views in this order.",
        (Swedish, MoveUp) => "Flytta upp (visas tidigare)",
        (English, MoveUp) => "Move up (shown earlier)",
        (Swedish, MoveDown) => "Flytta ner (visas senare)",
        (English, MoveDown) => "Move down (shown later)",
        (Swedish, PickOne) => "Välj en vy för att öppna, byta namn, ändra eller ta bort den.",
        (English, PickOne) => "Pick a view to open, rename, edit or delete it.",
        (Swedish, Title) => "Vyns rubrik",
        (English, Title) => "View title",
        (Swedish, TitleTaken) => "En annan vy har redan den rubriken.",
        (English, TitleTaken) => "Another view has that title already.",
        (Swedish, Notes) => "Talarmanus (visas med N i presentationen)",
        (English, Notes) => "Speaker notes (shown with N in the presentation)",
        (Swedish, SaveChanges) => "Spara ändringar",
        (English, SaveChanges) => "Save changes",
        (Swedish, Open) => "Visa på kartan",
        (English, Open) => "Show on the map",
        (Swedish, PresentFrom) => "Presentera härifrån",
        (English, PresentFrom) => "Present from here",
        (Swedish, Delete) => "Ta bort vyn …",
        (English, Delete) => "Delete the view …",
        (Swedish, ConfirmDelete) => "Ta bort vyn",
        (English, ConfirmDelete) => "Delete the view",
        (Swedish, YesDelete) => "Ja, ta bort",
        (English, YesDelete) => "Yes, delete",
        (Swedish, KeepIt) => "Behåll",
        (English, KeepIt) => "Keep it",
        (Swedish, ViewsStored) => "Vyerna är sparade i projektet.",
        (English, ViewsStored) => "The views are saved in the project.",
        (Swedish, ViewsStoreFailed) => "Vyerna kunde inte sparas",
        (English, ViewsStoreFailed) => "The views could not be saved",
        (Swedish, NotesHeading) => "Talarmanus",
        (English, NotesHeading) => "Speaker notes",
        (Swedish, NoNotes) => "(inget talarmanus för denna vy)",
        (English, NoNotes) => "(no speaker notes for this view)",
        (Swedish, NotesHint) => "N visar/döljer talarmanus",
        (English, NotesHint) => "N shows/hides the speaker notes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;
    use crate::model::view::ViewExtent;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    fn view(title: &str) -> SavedView {
        SavedView {
            title: title.into(),
            notes: String::new(),
            extent: ViewExtent::from_corners(LonLat::new(14.5, 56.0), LonLat::new(14.6, 56.1)),
            layers: vec![],
            filter: Default::default(),
            analysis: Default::default(),
        }
    }

    struct S {
        w: ViewsWindow,
        views: Vec<SavedView>,
        got: Option<ViewsCommand>,
    }

    fn harness(views: Vec<SavedView>) -> Harness<'static, S> {
        Harness::new_ui_state(
            |ui, s: &mut S| {
                if let Some(c) = s.w.ui(ui, Language::Swedish, &s.views, false) {
                    s.got = Some(c);
                }
            },
            S {
                w: ViewsWindow::default(),
                views,
                got: None,
            },
        )
    }

    #[test]
    fn a_view_is_moved_down_and_deleted_only_after_the_confirmation() {
        let mut h = harness(vec![view("A"), view("B"), view("C")]);
        h.run();
        h.get_by_label("Flytta ned: A").click();
        h.run();
        let Some(ViewsCommand::Replace(list)) = h.state_mut().got.take() else {
            panic!("no reorder");
        };
        let titles: Vec<_> = list.iter().map(|v| v.title.as_str()).collect();
        assert_eq!(titles, ["B", "A", "C"]);

        h.get_by_label("2. B").click();
        h.run();
        h.get_by_label("Ta bort vyn …").click();
        h.run();
        assert!(h.state().got.is_none(), "deleted without asking");
        h.get_by_label("Behåll").click();
        h.run();
        assert!(h.state().got.is_none());
        h.get_by_label("Ta bort vyn …").click();
        h.run();
        h.get_by_label("Ja, ta bort").click();
        h.run();
        let Some(ViewsCommand::Replace(list)) = h.state_mut().got.take() else {
            panic!("no delete");
        };
        let titles: Vec<_> = list.iter().map(|v| v.title.as_str()).collect();
        assert_eq!(titles, ["A", "C"]);
    }

    #[test]
    fn a_taken_title_cannot_be_saved() {
        let mut h = harness(vec![view("A"), view("B")]);
        h.run();
        h.get_by_label("1. A").click();
        h.run();
        h.state_mut().w.title = "B".into();
        h.run();
        h.get_by_label("En annan vy har redan den rubriken.");
        h.get_by_label("Spara ändringar").click();
        h.run();
        assert!(h.state().got.is_none());
        h.state_mut().w.title = "A på kvällen ".into();
        h.state_mut().w.notes = "Börja här.".into();
        h.run();
        h.get_by_label("Spara ändringar").click();
        h.run();
        let Some(ViewsCommand::Replace(list)) = h.state_mut().got.take() else {
            panic!("no rename");
        };
        assert_eq!(list[0].title, "A på kvällen");
        assert_eq!(list[0].notes, "Börja här.");
        assert_eq!(list[1].title, "B");
    }
}
