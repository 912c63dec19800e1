//! Arkiv → "Anslut till databas": a field for the location, "Anslut" and
//! "Avbryt". Connecting is the app's ordinary open (a load task off the UI
//! thread); the dialog stays open with a spinner until the app says how it
//! went ([`ConnectDialog::finished`]), then closes, or shows the store's
//! error and lets the user correct the address.

use std::path::{Path, PathBuf};

use super::text::{T, tr};
use super::{has_password, is_database, without_password};
use crate::gui::i18n::Language;

/// What the dialog asks of the app after a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectEvent {
    /// Nothing: keep showing it.
    None,
    /// The user closed it.
    Close,
    /// Open this location as the project.
    Connect(PathBuf),
}

/// The dialog's state.
#[derive(Debug, Default)]
pub struct ConnectDialog {
    /// The location as typed.
    pub text: String,
    /// Why the last attempt failed: the store's error (true) or the
    /// dialog's refusal of the address (false).
    error: Option<(bool, String)>,
    /// The location being opened, until the app reports back.
    pending: Option<PathBuf>,
    /// The field has had the keyboard once (on opening).
    focused: bool,
}

impl ConnectDialog {
    /// The dialog with `text` in its field (e.g. the last database used).
    pub fn new(text: &str) -> Self {
        ConnectDialog {
            text: without_password(text),
            ..ConnectDialog::default()
        }
    }

    /// The error shown, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_ref().map(|(_, e)| e.as_str())
    }

    /// True while it waits for the open of `location`.
    pub fn is_opening(&self, location: &Path) -> bool {
        self.pending.as_deref() == Some(location)
    }

    /// True while the location is being opened.
    pub fn is_connecting(&self) -> bool {
        self.pending.is_some()
    }

    /// The app's open of `location` finished: `Ok` closes the dialog (true
    /// is returned), an error is shown. Other locations are none of its
    /// business (false).
    pub fn finished(&mut self, location: &Path, result: Result<(), String>) -> bool {
        if self.pending.as_deref() != Some(location) {
            return false;
        }
        self.pending = None;
        match result {
            Ok(()) => true,
            Err(e) => {
                self.error = Some((true, e));
                false
            }
        }
    }

    /// Checks the address and, when it may be opened, asks for it.
    fn submit(&mut self, lang: Language) -> ConnectEvent {
        let text = self.text.trim().to_owned();
        if !is_database(&text) {
            self.error = Some((false, tr(lang, T::NotALocation).to_owned()));
            return ConnectEvent::None;
        }
        if has_password(&text) {
            // Out of the field at once: it is never kept or sent anywhere.
            self.text = without_password(&text);
            self.error = Some((false, tr(lang, T::PasswordGiven).to_owned()));
            return ConnectEvent::None;
        }
        self.error = None;
        let location = PathBuf::from(text);
        self.pending = Some(location.clone());
        ConnectEvent::Connect(location)
    }

    /// The dialog as a window.
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) -> ConnectEvent {
        let mut open = true;
        let mut event = ConnectEvent::None;
        egui::Window::new(tr(lang, T::Title))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(460.0)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 80.0))
            .show(ctx, |ui| event = self.ui(ui, lang));
        if !open {
            return ConnectEvent::Close;
        }
        event
    }

    /// The dialog's contents.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Language) -> ConnectEvent {
        let mut event = ConnectEvent::None;
        ui.label(tr(lang, T::Help));
        ui.add_space(6.0);
        let busy = self.pending.is_some();
        let submitted = ui
            .horizontal(|ui| {
                let label = ui.label(tr(lang, T::LocationLabel));
                let field = ui
                    .add_enabled(
                        !busy,
                        egui::TextEdit::singleline(&mut self.text)
                            .hint_text("postgresql://användare@server/lagesbild")
                            .desired_width(320.0),
                    )
                    .labelled_by(label.id);
                if !self.focused {
                    field.request_focus();
                    self.focused = true;
                }
                field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
            })
            .inner;
        match &self.error {
            Some((true, error)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{}: {error}", tr(lang, T::Failed)),
                );
            }
            Some((false, refusal)) => {
                ui.colored_label(ui.visuals().error_fg_color, refusal);
            }
            None => {}
        }
        ui.horizontal(|ui| {
            let connect = ui.add_enabled(!busy, egui::Button::new(tr(lang, T::Connect)));
            if (connect.clicked() || submitted) && !busy {
                event = self.submit(lang);
            }
            if ui.button(tr(lang, T::Cancel)).clicked() {
                event = ConnectEvent::Close;
            }
            if busy {
                ui.spinner();
                ui.label(tr(lang, T::Connecting));
            }
        });
        event
    }
}
