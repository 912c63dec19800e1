//! The details panel of one selected incident, and a compact summary of a
//! multi-selection.
//!
//! The description is free text that may name people, so it stays hidden
//! until the user clicks "Visa beskrivning" for this very incident; selecting
//! another incident hides it again.

use egui::{RichText, Ui};

use super::{CategoryColors, named_button};
use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::{Category, Incident, Precision, time};

/// What the user asked for in the details panel; the app carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum DetailsAction {
    /// Open the incident in the editor.
    Edit { fid: Option<i64>, uid: String },
    /// Delete the incident (the app asks for confirmation and offers undo).
    Delete { fid: Option<i64>, uid: String },
}

/// UI state of the details panel: whether the description is shown, and
/// for which incident.
#[derive(Debug, Clone, Default)]
pub struct DetailsPanel {
    /// Uid of the incident the description was revealed for.
    revealed_for: Option<String>,
}

impl DetailsPanel {
    /// True when the description of the incident with this uid is shown.
    pub fn is_description_shown(&self, uid: &str) -> bool {
        self.revealed_for.as_deref() == Some(uid)
    }

    /// Hides the description again (e.g. when the selection is cleared).
    pub fn hide_description(&mut self) {
        self.revealed_for = None;
    }

    /// Draws the full record of `incident`.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        incident: &Incident,
    ) -> Option<DetailsAction> {
        if self
            .revealed_for
            .as_deref()
            .is_some_and(|uid| uid != incident.uid)
        {
            self.revealed_for = None;
        }
        let mut action = None;
        ui.strong(tr(lang, Key::DetailsTitle));
        egui::Grid::new("incident_details")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                row_ui(
                    ui,
                    tr(lang, Key::TimeLabel),
                    &local_time_text(lang, incident),
                );
                let mut category = i18n::category(lang, incident.category).to_owned();
                if let Some(text) = &incident.category_text {
                    category = format!("{category} ({}: {text})", tr(lang, Key::OriginalText));
                }
                row_ui(ui, tr(lang, Key::CategoryLabel), &category);
                let mut source = i18n::source(lang, incident.source).to_owned();
                if let Some(text) = &incident.source_text {
                    source = format!("{source} ({}: {text})", tr(lang, Key::OriginalText));
                }
                row_ui(ui, tr(lang, Key::SourceLabel), &source);
                row_ui(ui, tr(lang, Key::PlaceLabel), or_dash(&incident.place));
                ui.label(tr(lang, Key::PrecisionLabel));
                ui.label(precision_words(lang, incident.precision_m))
                    .on_hover_text(format!(
                        "{} m",
                        i18n::count(lang, incident.precision_m.max(0.0).round() as u64)
                    ));
                ui.end_row();
                row_ui(
                    ui,
                    tr(lang, Key::ExternalId),
                    or_dash(&incident.external_id),
                );
                row_ui(
                    ui,
                    tr(lang, Key::ImportFile),
                    or_dash(&incident.import_file),
                );
            });

        ui.add_space(4.0);
        ui.strong(tr(lang, Key::DescriptionLabel));
        match &incident.description {
            None => {
                ui.label(RichText::new(tr(lang, Key::NoDescription)).weak());
            }
            Some(text) if text.trim().is_empty() => {
                ui.label(RichText::new(tr(lang, Key::NoDescription)).weak());
            }
            Some(text) => {
                if self.is_description_shown(&incident.uid) {
                    ui.label(text.as_str());
                    if ui.button(tr(lang, Key::HideDescription)).clicked() {
                        self.revealed_for = None;
                    }
                } else {
                    ui.label(
                        RichText::new(tr(lang, Key::SensitiveNote))
                            .color(ui.visuals().warn_fg_color),
                    );
                    if ui.button(tr(lang, Key::ShowDescription)).clicked() {
                        self.revealed_for = Some(incident.uid.clone());
                    }
                }
            }
        }

        ui.add_space(4.0);
        ui.horizontal(|ui| {
            // Short visible words; the accessible names say what they act on,
            // apart from the app's Edit menu and the delete dialog's button.
            if named_button(ui, tr(lang, Key::Edit), tr(lang, Key::EditThisIncident)).clicked() {
                action = Some(DetailsAction::Edit {
                    fid: incident.fid,
                    uid: incident.uid.clone(),
                });
            }
            if named_button(ui, tr(lang, Key::Delete), tr(lang, Key::DeleteThisIncident)).clicked()
            {
                action = Some(DetailsAction::Delete {
                    fid: incident.fid,
                    uid: incident.uid.clone(),
                });
            }
        });
        action
    }
}

fn row_ui(ui: &mut Ui, name: &str, value: &str) {
    ui.label(name);
    // Long values (place names, original texts) wrap instead of widening
    // the panel the details are shown in.
    ui.add(egui::Label::new(value).wrap());
    ui.end_row();
}

fn or_dash(value: &Option<String>) -> &str {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or("–")
}

/// "2025-07-04 23:30 (lokal tid)".
fn local_time_text(lang: Language, incident: &Incident) -> String {
    format!(
        "{} ({})",
        time::local(incident.occurred_at).format("%Y-%m-%d %H:%M"),
        tr(lang, Key::LocalTime)
    )
}

/// A distance in km, rounded to whole km from 10 km and to one decimal
/// below (with a decimal comma in Swedish).
fn km_text(lang: Language, metres: f64) -> String {
    let km = metres / 1000.0;
    let text = if km >= 9.95 || (km - km.round()).abs() < 0.05 {
        format!("{}", km.round() as u64)
    } else {
        format!("{km:.1}")
    };
    match lang {
        Language::Swedish => text.replace('.', ","),
        Language::English => text,
    }
}

/// The precision of a position in words: "exakt adress" (25 m or better),
/// "ungefär 200 m", "ungefär 2 km", "kommunnivå (15 km)" (from
/// [`Precision::MUNICIPALITY_M`]) and "länsnivå" (from [`Precision::COUNTY_M`]).
pub fn precision_words(lang: Language, precision_m: f64) -> String {
    let about = tr(lang, Key::About);
    if !precision_m.is_finite() || precision_m < 0.0 {
        tr(lang, Key::Unknown).to_owned()
    } else if precision_m <= 25.0 {
        tr(lang, Key::ExactAddress).to_owned()
    } else if precision_m < 1000.0 {
        let rounded = ((precision_m / 10.0).round() * 10.0) as u64;
        format!("{about} {rounded} m")
    } else if precision_m < Precision::MUNICIPALITY_M {
        format!("{about} {} km", km_text(lang, precision_m))
    } else if precision_m < Precision::COUNTY_M {
        format!(
            "{} ({} km)",
            tr(lang, Key::MunicipalityLevel),
            km_text(lang, precision_m)
        )
    } else {
        tr(lang, Key::CountyLevel).to_owned()
    }
}

/// A compact summary of several selected incidents: "12 markerade
/// händelser" and the count of each category present, largest first.
pub fn selection_summary_ui(
    ui: &mut Ui,
    lang: Language,
    by_category: &[(Category, u64)],
    colors: CategoryColors<'_>,
) {
    let total: u64 = by_category.iter().map(|(_, n)| n).sum();
    let noun = if total == 1 {
        tr(lang, Key::SelectedOne)
    } else {
        tr(lang, Key::SelectedMany)
    };
    ui.strong(format!("{} {noun}", i18n::count(lang, total)));
    let mut rows: Vec<(Category, u64)> = by_category
        .iter()
        .copied()
        .filter(|(_, n)| *n > 0)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    egui::Grid::new("selection_summary")
        .num_columns(2)
        .show(ui, |ui| {
            for (c, n) in rows {
                ui.horizontal(|ui| {
                    if let Some(colors) = colors {
                        let (rect, _) =
                            ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                        ui.painter().rect_filled(rect, 2.0, colors(c));
                    }
                    ui.label(i18n::category(lang, c));
                });
                ui.label(i18n::count(lang, n));
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_in_words() {
        let sv = Language::Swedish;
        assert_eq!(precision_words(sv, Precision::EXACT_M), "exakt adress");
        assert_eq!(precision_words(sv, 25.0), "exakt adress");
        assert_eq!(precision_words(sv, 204.0), "ungefär 200 m");
        assert_eq!(precision_words(sv, Precision::TOWN_M), "ungefär 2 km");
        assert_eq!(precision_words(sv, 1_500.0), "ungefär 1,5 km");
        assert_eq!(
            precision_words(sv, Precision::MUNICIPALITY_M),
            "kommunnivå (15 km)"
        );
        assert_eq!(precision_words(sv, Precision::COUNTY_M), "länsnivå");
        assert_eq!(precision_words(sv, f64::NAN), "okänd");
        assert_eq!(precision_words(sv, -1.0), "okänd");
        let en = Language::English;
        assert_eq!(precision_words(en, 1_500.0), "about 1.5 km");
        assert_eq!(
            precision_words(en, Precision::MUNICIPALITY_M),
            "municipality level (15 km)"
        );
    }
}
