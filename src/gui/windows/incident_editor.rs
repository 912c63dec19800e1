//! The incident editor: a window to add a new incident (e.g. a security
//! host's observation at a clicked place) or change one.
//!
//! The form is plain text fields ([`EditorForm`]) checked by
//! [`EditorForm::to_incident`], which names each bad field with a
//! [`FieldError`]; the window shows the message next to the field. Times are
//! entered as Swedish local time (Europe/Stockholm). The editor never writes
//! to the project: it returns what the user asked for ([`EditorOutcome`]) and
//! the app saves it off the UI thread.
//!
//! The description may hold sensitive details: an existing description stays
//! hidden until the user asks to see it, and the field is marked as such.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use egui::{RichText, Ui};

use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::{Category, Incident, LonLat, Precision, Source, time};

/// A form field that can hold a bad value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Date,
    Time,
    Precision,
    Latitude,
    Longitude,
}

/// What is wrong with a field's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    /// Not a date written YYYY-MM-DD.
    Date,
    /// Not a clock time written HH:MM.
    Time,
    /// The clock time does not exist in Swedish time (spring forward).
    TimeGap,
    /// Not a number.
    Number,
    /// A precision below 0 m.
    Negative,
    /// A latitude outside Sweden (with margin).
    LatitudeOutside,
    /// A longitude outside Sweden (with margin).
    LongitudeOutside,
}

impl FieldError {
    /// The message shown next to the field.
    pub fn message(self, lang: Language) -> &'static str {
        tr(
            lang,
            match self {
                FieldError::Date => Key::EditErrDate,
                FieldError::Time => Key::EditErrTime,
                FieldError::TimeGap => Key::EditErrTimeGap,
                FieldError::Number => Key::EditErrNumber,
                FieldError::Negative => Key::EditErrNegative,
                FieldError::LatitudeOutside => Key::EditErrLatitude,
                FieldError::LongitudeOutside => Key::EditErrLongitude,
            },
        )
    }
}

/// The editor's fields as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct EditorForm {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Local clock time, `HH:MM`.
    pub time: String,
    pub category: Category,
    pub source: Source,
    pub place: String,
    /// Metres.
    pub precision_m: String,
    pub description: String,
    pub latitude: String,
    pub longitude: String,
}

fn number_text(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

/// A decimal number, with a point or a Swedish decimal comma.
fn parse_number(text: &str) -> Option<f64> {
    let t = text
        .trim()
        .replace(',', ".")
        .replace([' ', '\u{a0}', '\u{202f}'], "");
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// `HH:MM` (also `H:MM`, `HH.MM` and `HHMM`).
fn parse_clock(text: &str) -> Option<NaiveTime> {
    let t = text.trim().replace('.', ":");
    if let Ok(v) = NaiveTime::parse_from_str(&t, "%H:%M") {
        return Some(v);
    }
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveTime::parse_from_str(&t, "%H%M").ok();
    }
    None
}

fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl EditorForm {
    /// A new incident at `position`, happening `now` (shown in local time,
    /// to the minute), reported by a security host when that source exists.
    pub fn for_new(position: LonLat, now: DateTime<Utc>) -> EditorForm {
        let local = time::local(now);
        let source = if Source::ALL.contains(&Source::Trygghetsvard) {
            Source::Trygghetsvard
        } else {
            Source::Ovrigt
        };
        EditorForm {
            date: local.format("%Y-%m-%d").to_string(),
            time: local.format("%H:%M").to_string(),
            category: Category::Ovrigt,
            source,
            place: String::new(),
            precision_m: number_text(Precision::EXACT_M, 0),
            description: String::new(),
            latitude: number_text(position.lat, 6),
            longitude: number_text(position.lon, 6),
        }
    }

    /// The fields of a stored incident.
    pub fn for_incident(incident: &Incident) -> EditorForm {
        let local = time::local(incident.occurred_at);
        EditorForm {
            date: local.format("%Y-%m-%d").to_string(),
            time: local.format("%H:%M").to_string(),
            category: incident.category,
            source: incident.source,
            place: incident.place.clone().unwrap_or_default(),
            precision_m: number_text(incident.precision_m, 0),
            description: incident.description.clone().unwrap_or_default(),
            latitude: number_text(incident.position.lat, 7),
            longitude: number_text(incident.position.lon, 7),
        }
    }

    /// The incident the form describes, on top of `base` (the stored
    /// incident being edited: its uid, original texts, import file and
    /// external id are kept). A time whose text was not changed keeps its
    /// seconds. Every bad field is listed.
    pub fn to_incident(
        &self,
        base: Option<&Incident>,
    ) -> Result<Incident, Vec<(Field, FieldError)>> {
        let mut errors = Vec::new();
        let date = parse_date(&self.date);
        if date.is_none() {
            errors.push((Field::Date, FieldError::Date));
        }
        let clock = parse_clock(&self.time);
        if clock.is_none() {
            errors.push((Field::Time, FieldError::Time));
        }
        let occurred_at = match (date, clock) {
            (Some(d), Some(c)) => match time::utc_from_local(d.and_time(c)) {
                Ok(t) => Some(t),
                Err(_) => {
                    errors.push((Field::Time, FieldError::TimeGap));
                    None
                }
            },
            _ => None,
        };
        let precision_m = match parse_number(&self.precision_m) {
            Some(v) if v < 0.0 => {
                errors.push((Field::Precision, FieldError::Negative));
                None
            }
            Some(v) => Some(v),
            None => {
                errors.push((Field::Precision, FieldError::Number));
                None
            }
        };
        let (min, max) = LonLat::SWEDEN_REGION;
        let lat = match parse_number(&self.latitude) {
            Some(v) if (min.lat..=max.lat).contains(&v) => Some(v),
            Some(_) => {
                errors.push((Field::Latitude, FieldError::LatitudeOutside));
                None
            }
            None => {
                errors.push((Field::Latitude, FieldError::Number));
                None
            }
        };
        let lon = match parse_number(&self.longitude) {
            Some(v) if (min.lon..=max.lon).contains(&v) => Some(v),
            Some(_) => {
                errors.push((Field::Longitude, FieldError::LongitudeOutside));
                None
            }
            None => {
                errors.push((Field::Longitude, FieldError::Number));
                None
            }
        };
        let (Some(mut occurred_at), Some(precision_m), Some(lat), Some(lon)) =
            (occurred_at, precision_m, lat, lon)
        else {
            return Err(errors);
        };
        let mut incident = match base {
            Some(b) => {
                let unchanged = EditorForm::for_incident(b);
                if unchanged.date == self.date && unchanged.time == self.time {
                    occurred_at = b.occurred_at;
                }
                b.clone()
            }
            None => Incident::new(
                occurred_at,
                self.category,
                self.source,
                LonLat::new(lon, lat),
                precision_m,
            ),
        };
        if let Some(b) = base {
            // Keep the stored position to the last bit when the text shows it unchanged.
            let unchanged = EditorForm::for_incident(b);
            incident.position = LonLat::new(
                if unchanged.longitude == self.longitude {
                    b.position.lon
                } else {
                    lon
                },
                if unchanged.latitude == self.latitude {
                    b.position.lat
                } else {
                    lat
                },
            );
            incident.precision_m = if unchanged.precision_m == self.precision_m {
                b.precision_m
            } else {
                precision_m
            };
        }
        incident.occurred_at = occurred_at;
        incident.category = self.category;
        incident.source = self.source;
        incident.place = optional_text(&self.place);
        incident.description = optional_text(&self.description);
        Ok(incident)
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorOutcome {
    /// Save `incident`: a new one (`fid` None) or a change of incident `fid`.
    Save {
        fid: Option<i64>,
        incident: Box<Incident>,
    },
    Cancel,
}

/// The editor window's state.
pub struct IncidentEditor {
    form: EditorForm,
    /// The stored incident being edited; `None` for a new one.
    original: Option<Incident>,
    errors: Vec<(Field, FieldError)>,
    /// Shown while the app saves; the form is read-only then.
    saving: bool,
    /// A message from saving (store error), shown at the bottom.
    save_error: Option<String>,
    /// A note from the app (another user changed this incident meanwhile).
    note: Option<String>,
    /// True once the user asked to see (or there is no) stored description.
    description_revealed: bool,
}

impl IncidentEditor {
    /// A new incident at `position`, at time `now`.
    pub fn new_at(position: LonLat, now: DateTime<Utc>) -> IncidentEditor {
        IncidentEditor {
            form: EditorForm::for_new(position, now),
            original: None,
            errors: Vec::new(),
            saving: false,
            save_error: None,
            note: None,
            description_revealed: true,
        }
    }

    /// Changes a stored incident.
    pub fn edit(incident: &Incident) -> IncidentEditor {
        let has_text = incident
            .description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty());
        IncidentEditor {
            form: EditorForm::for_incident(incident),
            original: Some(incident.clone()),
            errors: Vec::new(),
            saving: false,
            save_error: None,
            note: None,
            description_revealed: !has_text,
        }
    }

    pub fn form(&self) -> &EditorForm {
        &self.form
    }

    pub fn form_mut(&mut self) -> &mut EditorForm {
        &mut self.form
    }

    /// The fid of the incident being edited; `None` for a new one.
    pub fn fid(&self) -> Option<i64> {
        self.original.as_ref().and_then(|i| i.fid)
    }

    /// The field errors of the last "Spara".
    pub fn errors(&self) -> &[(Field, FieldError)] {
        &self.errors
    }

    pub fn is_saving(&self) -> bool {
        self.saving
    }

    /// Marks the editor as saving (the app started the store call).
    pub fn set_saving(&mut self, saving: bool) {
        self.saving = saving;
    }

    /// The stored incident as it was when the editor opened; `None` for a new one.
    pub fn original(&self) -> Option<&Incident> {
        self.original.as_ref()
    }

    /// Shows `text` above the buttons (the form is left as the user has it).
    pub fn set_note(&mut self, text: String) {
        self.note = Some(text);
    }

    /// The note shown above the buttons, if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// Shows why saving failed and lets the user try again.
    pub fn set_save_error(&mut self, message: String) {
        self.saving = false;
        self.save_error = Some(message);
    }

    /// Checks the form: the save request, or the errors shown next to the fields.
    pub fn try_save(&mut self) -> Option<EditorOutcome> {
        match self.form.to_incident(self.original.as_ref()) {
            Ok(incident) => {
                self.errors.clear();
                Some(EditorOutcome::Save {
                    fid: self.fid(),
                    incident: Box::new(incident),
                })
            }
            Err(errors) => {
                self.errors = errors;
                None
            }
        }
    }

    /// Draws the editor as a window.
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) -> Option<EditorOutcome> {
        let title = if self.original.is_some() {
            tr(lang, Key::EditIncidentTitle)
        } else {
            tr(lang, Key::NewIncidentTitle)
        };
        let mut outcome = None;
        let mut open = true;
        egui::Window::new(title)
            .id(egui::Id::unique("incident_editor"))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(380.0)
            // Over the middle of the window, clear of the side panel.
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .show(ctx, |ui| outcome = self.ui(ui, lang));
        if !open {
            return Some(EditorOutcome::Cancel);
        }
        outcome
    }

    fn error_ui(&self, ui: &mut Ui, lang: Language, field: Field) {
        for (_, e) in self.errors.iter().filter(|(f, _)| *f == field) {
            ui.label(RichText::new(e.message(lang)).color(ui.visuals().error_fg_color));
        }
    }

    /// Draws the form's contents.
    pub fn ui(&mut self, ui: &mut Ui, lang: Language) -> Option<EditorOutcome> {
        let mut outcome = None;
        let mut description_focused = false;
        ui.add_enabled_ui(!self.saving, |ui| {
            egui::Grid::new("incident_editor_grid")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    let label = ui.label(tr(lang, Key::EditDate));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.form.date)
                                .hint_text(tr(lang, Key::DateHint))
                                .desired_width(110.0),
                        )
                        .labelled_by(label.id);
                        self.error_ui(ui, lang, Field::Date);
                    });
                    ui.end_row();

                    let label = ui.label(format!(
                        "{} ({})",
                        tr(lang, Key::EditClock),
                        tr(lang, Key::LocalTime)
                    ));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.form.time)
                                .hint_text(tr(lang, Key::EditClockHint))
                                .desired_width(60.0),
                        )
                        .labelled_by(label.id);
                        self.error_ui(ui, lang, Field::Time);
                    });
                    ui.end_row();

                    ui.label(tr(lang, Key::CategoryLabel));
                    egui::ComboBox::from_id_salt("editor_category")
                        .selected_text(i18n::category(lang, self.form.category))
                        .show_ui(ui, |ui| {
                            for c in Category::ALL {
                                ui.selectable_value(
                                    &mut self.form.category,
                                    c,
                                    i18n::category(lang, c),
                                );
                            }
                        });
                    ui.end_row();

                    ui.label(tr(lang, Key::SourceLabel));
                    egui::ComboBox::from_id_salt("editor_source")
                        .selected_text(i18n::source(lang, self.form.source))
                        .show_ui(ui, |ui| {
                            for s in Source::ALL {
                                ui.selectable_value(
                                    &mut self.form.source,
                                    s,
                                    i18n::source(lang, s),
                                );
                            }
                        });
                    ui.end_row();

                    let label = ui.label(tr(lang, Key::PlaceLabel));
                    ui.add(egui::TextEdit::singleline(&mut self.form.place).desired_width(220.0))
                        .labelled_by(label.id);
                    ui.end_row();

                    let label = ui.label(tr(lang, Key::EditPrecision));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.form.precision_m)
                                .desired_width(80.0),
                        )
                        .labelled_by(label.id);
                        self.error_ui(ui, lang, Field::Precision);
                    });
                    ui.end_row();

                    let label = ui.label(tr(lang, Key::EditLatitude));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.form.latitude)
                                .desired_width(120.0),
                        )
                        .labelled_by(label.id);
                        self.error_ui(ui, lang, Field::Latitude);
                    });
                    ui.end_row();

                    let label = ui.label(tr(lang, Key::EditLongitude));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.form.longitude)
                                .desired_width(120.0),
                        )
                        .labelled_by(label.id);
                        self.error_ui(ui, lang, Field::Longitude);
                    });
                    ui.end_row();
                });

            ui.add_space(4.0);
            let label = ui.label(tr(lang, Key::DescriptionLabel));
            ui.label(
                RichText::new(tr(lang, Key::EditSensitiveHint))
                    .small()
                    .color(ui.visuals().warn_fg_color),
            );
            if self.description_revealed {
                let r = ui
                    .add(
                        egui::TextEdit::multiline(&mut self.form.description)
                            .desired_rows(4)
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(label.id);
                description_focused = r.has_focus() || r.lost_focus();
            } else if ui.button(tr(lang, Key::ShowDescription)).clicked() {
                self.description_revealed = true;
            }
        });

        if !self.errors.is_empty() {
            ui.colored_label(ui.visuals().error_fg_color, tr(lang, Key::EditFixFields));
        }
        if let Some(note) = &self.note {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
        if let Some(msg) = &self.save_error {
            ui.colored_label(ui.visuals().error_fg_color, msg);
        }
        ui.separator();
        ui.horizontal(|ui| {
            if self.saving {
                ui.spinner();
                ui.label(tr(lang, Key::EditSaving));
            } else {
                if ui.button(tr(lang, Key::EditSave)).clicked() {
                    outcome = self.try_save();
                }
                if ui.button(tr(lang, Key::Cancel)).clicked() {
                    outcome = Some(EditorOutcome::Cancel);
                }
            }
        });
        if !self.saving && outcome.is_none() {
            let (enter, escape) = ui.input(|i| {
                (
                    i.key_pressed(egui::Key::Enter) && !i.modifiers.shift,
                    i.key_pressed(egui::Key::Escape),
                )
            });
            if escape {
                outcome = Some(EditorOutcome::Cancel);
            } else if enter && !description_focused {
                outcome = self.try_save();
            }
        }
        outcome
    }
}

/// The map's context menu at `pos`: "Lägg till händelse här" (returns the
/// position to add at) and "Kopiera koordinater" (to the clipboard, as
/// `lat, lon` in decimal degrees).
pub fn map_context_menu_ui(ui: &mut Ui, lang: Language, pos: LonLat) -> Option<LonLat> {
    let mut add = None;
    ui.weak(format!("{:.5}° N {:.5}° Ö", pos.lat, pos.lon));
    if ui.button(tr(lang, Key::EditAddHere)).clicked() {
        add = Some(pos);
        ui.close();
    }
    if ui.button(tr(lang, Key::EditCopyCoords)).clicked() {
        ui.ctx().copy_text(coordinates_text(pos));
        ui.close();
    }
    add
}

/// `56.050500, 14.583000` (latitude first, as map services take it).
pub fn coordinates_text(pos: LonLat) -> String {
    format!("{:.6}, {:.6}", pos.lat, pos.lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        time::utc_from_local(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_new_form_is_prefilled_in_local_time() {
        let f = EditorForm::for_new(LonLat::new(14.583, 56.0505), at(2025, 7, 4, 23, 30));
        assert_eq!(f.date, "2025-07-04");
        assert_eq!(f.time, "23:30");
        assert_eq!(f.source, Source::Trygghetsvard);
        assert_eq!(f.latitude, "56.050500");
        assert_eq!(f.longitude, "14.583000");
        let inc = f.to_incident(None).unwrap();
        assert_eq!(inc.occurred_at, at(2025, 7, 4, 23, 30));
        assert_eq!(inc.position, LonLat::new(14.583, 56.0505));
        assert_eq!(inc.precision_m, Precision::EXACT_M);
        assert_eq!(inc.place, None);
        assert_eq!(inc.fid, None);
        assert!(!inc.uid.is_empty());
    }

    #[test]
    fn bad_fields_are_named() {
        let mut f = EditorForm::for_new(LonLat::new(14.583, 56.0505), at(2025, 7, 4, 23, 30));
        f.date = "4/7 2025".to_owned();
        f.time = "25:00".to_owned();
        f.precision_m = "-3".to_owned();
        f.latitude = "12,5".to_owned();
        f.longitude = "öst".to_owned();
        let errors = f.to_incident(None).unwrap_err();
        assert_eq!(
            errors,
            vec![
                (Field::Date, FieldError::Date),
                (Field::Time, FieldError::Time),
                (Field::Precision, FieldError::Negative),
                (Field::Latitude, FieldError::LatitudeOutside),
                (Field::Longitude, FieldError::Number),
            ]
        );
        // The spring-forward gap.
        let mut f = EditorForm::for_new(LonLat::new(14.583, 56.0505), at(2025, 7, 4, 23, 30));
        f.date = "2025-03-30".to_owned();
        f.time = "02:30".to_owned();
        assert_eq!(
            f.to_incident(None).unwrap_err(),
            vec![(Field::Time, FieldError::TimeGap)]
        );
        assert_eq!(
            FieldError::TimeGap.message(Language::Swedish),
            tr(Language::Swedish, Key::EditErrTimeGap)
        );
    }

    #[test]
    fn decimal_commas_and_short_times_are_read() {
        let mut f = EditorForm::for_new(LonLat::new(14.583, 56.0505), at(2025, 1, 10, 8, 0));
        f.latitude = "56,0601".to_owned();
        f.longitude = " 14,6 ".to_owned();
        f.time = "7.05".to_owned();
        f.precision_m = "1 500".to_owned();
        f.place = "  ".to_owned();
        f.description = " Klotter ".to_owned();
        let inc = f.to_incident(None).unwrap();
        assert_eq!(inc.position, LonLat::new(14.6, 56.0601));
        assert_eq!(inc.occurred_at, at(2025, 1, 10, 7, 5));
        assert_eq!(inc.precision_m, 1_500.0);
        assert_eq!(inc.place, None);
        assert_eq!(inc.description.as_deref(), Some("Klotter"));
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show() {
        let mut stored = Incident::new(
            at(2025, 3, 14, 22, 40) + chrono::Duration::seconds(17),
            Category::Skadegorelse,
            Source::Polis,
            LonLat::new(14.584_912_345, 56.051_234_567),
            2_000.4,
        );
        stored.fid = Some(12);
        stored.external_id = Some("5000-K1-25".to_owned());
        stored.category_text = Some("Klotter".to_owned());
        let mut editor = IncidentEditor::edit(&stored);
        assert_eq!(editor.fid(), Some(12));
        // Nothing changed: the very same incident.
        let Some(EditorOutcome::Save { fid, incident }) = editor.try_save() else {
            panic!("valid form")
        };
        assert_eq!(fid, Some(12));
        assert_eq!(*incident, stored);
        // A new category only.
        editor.form_mut().category = Category::Vald;
        let Some(EditorOutcome::Save { incident, .. }) = editor.try_save() else {
            panic!("valid form")
        };
        assert_eq!(incident.category, Category::Vald);
        assert_eq!(incident.uid, stored.uid);
        assert_eq!(incident.external_id, stored.external_id);
        assert_eq!(incident.occurred_at, stored.occurred_at);
        // A bad value: no outcome, the error is kept for the window.
        editor.form_mut().precision_m = "x".to_owned();
        assert_eq!(editor.try_save(), None);
        assert_eq!(editor.errors(), &[(Field::Precision, FieldError::Number)]);
    }
}
