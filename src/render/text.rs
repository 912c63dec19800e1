//! The strings of map pictures and the Exportera bild window, Swedish
//! (default) and English, in the style of `gui::i18n`.

use crate::gui::i18n::Language;

/// A string of the picture or its export window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    DataPeriod,
    NoIncidentsInFilter,
    Synthetic,
    North,
    PlainBackground,
    Legend,
    Heatmap,
    HeatmapUnit,
    StrategicPlaces,
    StudyArea,
    ExportImageMenu,
    ExportImageTitle,
    WindowSize,
    A4Landscape,
    Save,
    Cancel,
    Rendering,
    Saved,
    Failed,
    Incidents,
    OfWhich,
    ExportCancelled,
}

/// `key` in `lang`.
pub fn tr(lang: Language, key: Key) -> &'static str {
    use Key::*;
    use Language::{English, Swedish};
    match (lang, key) {
        (Swedish, DataPeriod) => "Dataperiod",
        (English, DataPeriod) => "Data period",
        (Swedish, NoIncidentsInFilter) => "inga händelser i urvalet",
        (English, NoIncidentsInFilter) => "no incidents in the selection",
        (Swedish, Synthetic) => "Syntetiska data",
        (English, Synthetic) => "Synthetic data",
        (Swedish, North) => "N",
        (English, North) => "N",
        (Swedish, PlainBackground) => "Bakgrund: enkel karta utan kartplattor",
        (English, PlainBackground) => "Background: plain map without tiles",
        (Swedish, Legend) => "Teckenförklaring",
        (English, Legend) => "Legend",
        (Swedish, Heatmap) => "Täthet (värmekarta)",
        (English, Heatmap) => "Density (heatmap)",
        (Swedish, HeatmapUnit) => "händelser per km²",
        (English, HeatmapUnit) => "incidents per km²",
        (Swedish, StrategicPlaces) => "Strategiska platser (numrerade)",
        (English, StrategicPlaces) => "Strategic places (numbered)",
        (Swedish, StudyArea) => "Studieområde",
        (English, StudyArea) => "Study area",
        (Swedish, ExportImageMenu) => "Exportera bild…",
        (English, ExportImageMenu) => "Export image…",
        (Swedish, ExportImageTitle) => "Exportera bild",
        (English, ExportImageTitle) => "Export image",
        (Swedish, WindowSize) => "Fönstrets storlek",
        (English, WindowSize) => "Window size",
        (Swedish, A4Landscape) => "A4 liggande, 300 dpi",
        (English, A4Landscape) => "A4 landscape, 300 dpi",
        (Swedish, Save) => "Spara PNG…",
        (English, Save) => "Save PNG…",
        (Swedish, ExportCancelled) => "Exporten avbröts; ingen bild sparades.",
        (English, ExportCancelled) => "The export was cancelled; no picture was saved.",
        (Swedish, Cancel) => "Avbryt",
        (English, Cancel) => "Cancel",
        (Swedish, Rendering) => "Ritar bilden…",
        (English, Rendering) => "Drawing the picture…",
        (Swedish, Saved) => "Bilden sparades",
        (English, Saved) => "Picture saved",
        (Swedish, Failed) => "Bilden kunde inte sparas",
        (English, Failed) => "The picture could not be saved",
        (Swedish, Incidents) => "händelser",
        (English, Incidents) => "incidents",
        (Swedish, OfWhich) => "varav",
        (English, OfWhich) => "of which",
    }
}
