//! The import report as the app shows it: in the UI language, with the
//! importer's notes put into plain words (no internal field names such as
//! `occurred_at`), a warning when the target is the synthetic demo project,
//! and the extent of what was imported so the map can zoom to it.

use crate::gui::i18n::{self, Key, Language, tr};
use crate::gui::present::text::{self as ptext, T};
use crate::gui::windows::import_text::{self as itext, ImpText};
use crate::import::{Format, ImportReport};
use crate::model::LonLat;

/// What the user asked for in the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReportRequest {
    Close,
    /// Zoom to the imported incidents (south-west, north-east corner).
    ZoomTo(LonLat, LonLat),
}

/// A field of the importer, in words.
fn field_words(lang: Language, field: &str) -> Option<&'static str> {
    use Language::*;
    Some(match (lang, field) {
        (Swedish, "id") => "ärende-id",
        (English, "id") => "case id",
        (Swedish, "lon") => "longitud",
        (English, "lon") => "longitude",
        (Swedish, "lat") => "latitud",
        (English, "lat") => "latitude",
        (Swedish, "x" | "easting") => "östlig koordinat",
        (English, "x" | "easting") => "easting",
        (Swedish, "y" | "northing") => "nordlig koordinat",
        (English, "y" | "northing") => "northing",
        (Swedish, "occurred_at") => "tidpunkt",
        (English, "occurred_at") => "time",
        (Swedish, "date") => "datum",
        (English, "date") => "date",
        (Swedish, "time") => "klockslag",
        (English, "time") => "time of day",
        (Swedish, "category") => "kategori",
        (English, "category") => "category",
        (Swedish, "source") => "källa",
        (English, "source") => "source",
        (Swedish, "place") => "plats",
        (English, "place") => "place",
        (Swedish, "description") => "beskrivning",
        (English, "description") => "description",
        (Swedish, "precision") => "noggrannhet",
        (English, "precision") => "precision",
        (Swedish, "ignore") => "används inte",
        (English, "ignore") => "not used",
        _ => return None,
    })
}

/// One importer note in plain words, in the UI language: the importer's
/// English with its internal field names put into words, or its Swedish
/// counterpart ([`itext::swedish_note`]).
pub fn plain_note(lang: Language, note: &str) -> String {
    if lang == Language::Swedish
        && let Some(text) = itext::swedish_note(note)
    {
        return text;
    }
    if let Some(text) = plain_note_special(lang, note) {
        return text;
    }
    if let Some(rest) = note
        .strip_prefix("Properties read: ")
        .and_then(|r| r.strip_suffix('.'))
        && let Some(list) = itext::fields_in_words(lang, rest, field_words)
    {
        return match lang {
            Language::Swedish => format!("Egenskaper lästa: {list}."),
            Language::English => format!("Properties read: {list}."),
        };
    }
    // `--map "x"=occurred_at: no feature has a property "x"`.
    if let Some(rest) = note.strip_prefix("--map ")
        && let Some((mapping, _)) = rest.split_once(": no feature has a property ")
        && let Some((name, field)) = mapping.rsplit_once('=')
        && let Some(words) = field_words(lang, field)
    {
        return match lang {
            Language::Swedish => {
                format!(
                    "Kopplingen {name} → {words} användes inte: inget objekt har egenskapen {name}"
                )
            }
            Language::English => {
                format!(
                    "The mapping {name} → {words} was not used: no feature has a property {name}"
                )
            }
        };
    }
    note.to_owned()
}

/// The notes the first version of this window already put into words.
fn plain_note_special(lang: Language, note: &str) -> Option<String> {
    let sv = lang == Language::Swedish;
    if let Some(rest) = note.strip_prefix("Delimiter: ") {
        let name = match (rest, sv) {
            (";", true) => "semikolon (;)",
            (",", true) => "komma (,)",
            ("tab", true) => "tabb",
            (";", false) => "semicolon (;)",
            (",", false) => "comma (,)",
            ("tab", false) => "tab",
            (other, _) => other,
        };
        return Some(format!("{} {name}", ptext::tr(lang, T::ImpDelimiter)));
    }
    if let Some(rest) = note.strip_prefix("Encoding: ") {
        return Some(format!("{} {rest}", ptext::tr(lang, T::ImpEncoding)));
    }
    if let Some(rest) = note.strip_prefix("Columns: ") {
        // `"Tidpunkt" as occurred_at, "Typ" as category` (shown "Tidpunkt = tidpunkt").
        let parts: Vec<String> = rest
            .split(", \"")
            .filter_map(|part| {
                let part = part.trim_start_matches('"');
                let (column, field) = part.rsplit_once("\" as ")?;
                Some(format!("{column} = {}", field_words(lang, field)?))
            })
            .collect();
        return Some(format!(
            "{} {}",
            ptext::tr(lang, T::ImpColumns),
            parts.join(", ")
        ));
    }
    if note.starts_with("Decimal comma:") {
        return Some(ptext::tr(lang, T::ImpDecimalComma).to_owned());
    }
    if let Some(n) = note.strip_suffix(" empty row(s) skipped") {
        return Some(ptext::tr(lang, T::ImpEmptyRows).replace("{n}", n));
    }
    if note.starts_with("Dates: read as day/month/year") {
        return Some(ptext::tr(lang, T::ImpDayMonth).to_owned());
    }
    if note.starts_with("Dates: read as month/day/year") {
        return Some(ptext::tr(lang, T::ImpMonthDay).to_owned());
    }
    None
}

fn format_words(lang: Language, f: Format) -> &'static str {
    match f {
        Format::Csv => ptext::tr(lang, T::ImpFormatCsv),
        Format::GeoJson => "GeoJSON",
        Format::GeoPackage => "GeoPackage",
        Format::Polisen => ptext::tr(lang, T::ImpFormatPolisen),
    }
}

/// One file's part of the report.
pub fn report_entry_ui(ui: &mut egui::Ui, lang: Language, r: &ImportReport) {
    let name = r.path.file_name().map_or_else(
        || r.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ui.strong(format!("{name} ({})", format_words(lang, r.format)));
    ui.label(format!(
        "{}: {}   {}: {}   {}: {}   {}: {}   {}: {}",
        tr(lang, Key::Imported),
        i18n::count(lang, r.imported),
        itext::tr(lang, ImpText::Updated),
        i18n::count(lang, r.updated),
        tr(lang, Key::Duplicates),
        i18n::count(lang, r.duplicates),
        tr(lang, Key::Conflicts),
        i18n::count(lang, r.conflicts_total),
        tr(lang, Key::Rejected),
        i18n::count(lang, r.rejected_total),
    ));
    // Police summaries are no incidents: counted on a line of their own.
    if r.summaries > 0 || r.format == Format::Polisen {
        ui.label(format!(
            "{}: {}",
            itext::tr(lang, ImpText::Summaries),
            i18n::count(lang, r.summaries)
        ))
        .on_hover_text(itext::tr(lang, ImpText::SummariesHint));
    }
    if !r.notes.is_empty() {
        ui.label(itext::tr(lang, ImpText::Notes));
        for note in &r.notes {
            ui.weak(plain_note(lang, note));
        }
    }
    let line = ptext::tr(lang, T::ImpLine);
    if !r.conflicts.is_empty() || !r.rejected.is_empty() {
        egui::CollapsingHeader::new(ptext::tr(lang, T::ImpDetails))
            .id_salt(("import_details", &r.path))
            .show(ui, |ui| {
                for c in r.conflicts.iter().take(50) {
                    ui.label(format!(
                        "{line} {}: {} ({})",
                        c.line, c.reason, c.external_id
                    ));
                }
                if r.conflicts_total > 50 {
                    ui.weak(format!("… {}", r.conflicts_total - 50));
                }
                for e in r.rejected.iter().take(50) {
                    ui.label(format!("{line} {}: {}", e.line, e.reason));
                }
                if r.rejected_total > 50 {
                    ui.weak(format!("… {}", r.rejected_total - 50));
                }
            });
    }
}

/// The synthetic-target warning and the zoom button, under the entries.
pub fn report_footer_ui(
    ui: &mut egui::Ui,
    lang: Language,
    synthetic_target: bool,
    imported_extent: Option<(LonLat, LonLat)>,
) -> Option<ReportRequest> {
    let mut request = None;
    if synthetic_target {
        egui::Frame::new()
            .fill(egui::Color32::from_rgb(255, 236, 179))
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.colored_label(
                    egui::Color32::from_rgb(102, 60, 0),
                    ptext::tr(lang, T::ImpIntoDemo),
                );
            });
    }
    ui.horizontal(|ui| {
        if let Some((min, max)) = imported_extent
            && ui.button(ptext::tr(lang, T::ImpZoomTo)).clicked()
        {
            request = Some(ReportRequest::ZoomTo(min, max));
        }
        if ui.button(tr(lang, Key::Close)).clicked() {
            request = Some(ReportRequest::Close);
        }
    });
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importer_notes_read_as_plain_swedish() {
        let sv = Language::Swedish;
        assert_eq!(plain_note(sv, "Delimiter: ;"), "Avgränsare: semikolon (;)");
        let cols = plain_note(
            sv,
            "Columns: \"Tidpunkt\" as occurred_at, \"Typ\" as category, \"X\" as easting",
        );
        assert_eq!(
            cols,
            "Kolumner: Tidpunkt = tidpunkt, Typ = kategori, X = östlig koordinat"
        );
        assert!(!cols.contains("occurred_at"));
        assert_eq!(
            plain_note(sv, "3 empty row(s) skipped"),
            "3 tomma rader hoppades över"
        );
        // A note of no known form is shown as it is.
        assert_eq!(
            plain_note(sv, "Coordinates: something else"),
            "Coordinates: something else"
        );
        assert_eq!(
            plain_note(Language::English, "Delimiter: tab"),
            "Delimiter: tab"
        );
        assert_eq!(
            plain_note(
                sv,
                "Properties read: \"tid\" as occurred_at, \"typ\" as category."
            ),
            "Egenskaper lästa: tid = tidpunkt, typ = kategori."
        );
        assert_eq!(
            plain_note(
                Language::English,
                "--map \"när\"=occurred_at: no feature has a property \"när\""
            ),
            "The mapping \"när\" → time was not used: no feature has a property \"när\""
        );
    }
}

/// Every note the importers write on the project's test files, real and
/// realistic, of every format, has a Swedish form in the report.
#[cfg(test)]
mod coverage {
    use super::*;
    use crate::crs::Crs;
    use crate::import::{ImportOptions, import_file};
    use crate::jobs::{CancelToken, NoProgress};

    fn notes_of(
        dir: &std::path::Path,
        file: &std::path::Path,
        options: &ImportOptions,
    ) -> Vec<String> {
        let project = dir.join(format!(
            "{}.gpkg",
            file.file_stem().unwrap().to_string_lossy()
        ));
        let _ = std::fs::remove_file(&project);
        let mut store = crate::store::gpkg::Project::create(&project, "Test").unwrap();
        match import_file(&mut store, file, options, &NoProgress, &CancelToken::new()) {
            Ok(report) => report.notes,
            Err(_) => Vec::new(),
        }
    }

    #[test]
    fn every_importer_note_has_a_swedish_form() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let mut files: Vec<(std::path::PathBuf, ImportOptions)> = Vec::new();
        for sub in [
            "tests/fixtures/csv",
            "tests/fixtures/json",
            "tests/fixtures/polisen",
        ] {
            for entry in std::fs::read_dir(root.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("csv" | "json" | "geojson")
                ) {
                    files.push((path.clone(), ImportOptions::default()));
                    files.push((
                        path,
                        ImportOptions {
                            crs: Some(Crs::SWEREF99_TM),
                            ..ImportOptions::default()
                        },
                    ));
                }
            }
        }
        files.push((
            root.join("data/polisen_sample.json"),
            ImportOptions::default(),
        ));
        let mut seen = 0;
        let mut missing = Vec::new();
        for (file, options) in &files {
            for note in notes_of(dir.path(), file, options) {
                seen += 1;
                let sv = plain_note(Language::Swedish, &note);
                if sv == note {
                    missing.push(format!("{}: {note}", file.display()));
                }
                for internal in ["= occurred_at", "Delimiter", "Columns:", "\" as "] {
                    assert!(!sv.contains(internal), "{sv}");
                }
            }
        }
        // A second import of the edited police events updates in place.
        let edited = dir.path().join("edited.gpkg");
        let mut store = crate::store::gpkg::Project::create(&edited, "Test").unwrap();
        for name in ["edited_old.json", "edited_new.json"] {
            let file = root.join("tests/fixtures/polisen").join(name);
            let report = import_file(
                &mut store,
                &file,
                &ImportOptions::default(),
                &NoProgress,
                &CancelToken::new(),
            )
            .unwrap();
            for note in report.notes {
                seen += 1;
                if plain_note(Language::Swedish, &note) == note {
                    missing.push(format!("{name}: {note}"));
                }
            }
        }
        assert!(seen > 60, "only {seen} notes");
        assert!(
            missing.is_empty(),
            "notes without a Swedish form:\n{}",
            missing.join("\n")
        );
    }
}
