//! The strings of the plain map, the count-cell legend, the planner fixes,
//! saved views and presentation mode, in Swedish (default) and English, in
//! the style of [`crate::gui::i18n`].

use crate::gui::i18n::Language;

/// A translatable string of this part of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    CoarseExplained,
    PlainAttribution,
    HideNote,
    HideNoteHint,
    SavedOutsideFilter,
    ShowSavedIncident,
    BandwidthHint,
    KernelHint,
    QuarticHint,
    GaussianHint,
    BandHint,
    UpperBoundLine,
    PlaceCountHint,
    AnalysisMenu,
    ViewSaved,
    ViewSaveFailed,
    ViewReadFailed,
    DataPeriod,
    SaveViewTitle,
    SaveViewHelp,
    ViewTitleLabel,
    ViewTitleTaken,
    SpeakerNotes,
    SaveView,
    SaveViewMenu,
    PresentMenu,
    DataRange,
    RelativeToLastDay,
    ImpDelimiter,
    ImpEncoding,
    ImpColumns,
    ImpDecimalComma,
    ImpEmptyRows,
    ImpDayMonth,
    ImpMonthDay,
    ImpFormatCsv,
    ImpFormatPolisen,
    ImpLine,
    ImpDetails,
    ImpIntoDemo,
    ImpZoomTo,
}

/// The text of `key` in `lang`.
pub fn tr(lang: Language, key: T) -> &'static str {
    use Language::*;
    use T::*;
    match (lang, key) {
        (Swedish, CoarseExplained) => {
            "Händelser vars plats bara är känd ungefär (t.ex. \"Sölvesborgs kommun\" i \
             Polisens händelser) ritas inte som punkter. De samlas i en streckad cirkel vars \
             storlek visar hur osäker platsen är; talet är hur många de är."
        }
        (English, CoarseExplained) => {
            "Incidents whose place is only roughly known (e.g. \"Sölvesborgs kommun\" in \
             police events) are not drawn as points. They are gathered in a dashed circle whose \
             size shows how uncertain the place is; the number is how many they are."
        }
        (Swedish, PlainAttribution) => {
            "Utan bakgrundskarta · Kommungräns: Valmyndigheten via okfse/sweden-geojson (förenklad) · Orter: GeoNames (CC BY 4.0)"
        }
        (English, PlainAttribution) => {
            "No background map · Boundary: Valmyndigheten via okfse/sweden-geojson (simplified) · Places: GeoNames (CC BY 4.0)"
        }
        (Swedish, HideNote) => "Dölj",
        (English, HideNote) => "Hide",
        (Swedish, HideNoteHint) => {
            "Dölj meddelandet; det visas igen om kartrutor saknas på nytt efter att ha fungerat"
        }
        (English, HideNoteHint) => {
            "Hide the note; it comes back if tiles go missing again after working"
        }
        (Swedish, SavedOutsideFilter) => {
            "Händelsen är sparad men utanför filtret, så den syns inte på kartan."
        }
        (English, SavedOutsideFilter) => {
            "The incident is saved but outside the filter, so the map does not show it."
        }
        (Swedish, ShowSavedIncident) => "Visa den (rensa filtret)",
        (English, ShowSavedIncident) => "Show it (clear the filter)",
        (Swedish, BandwidthHint) => {
            "Bandbredd: hur långt från varje händelse den räknas in i värmekartan (kärnans \
             radie). Större värde ger en jämnare karta, mindre visar enskilda platser."
        }
        (English, BandwidthHint) => {
            "Bandwidth: how far from each incident it counts in the heatmap (the kernel's \
             radius). Larger gives a smoother map, smaller shows single places."
        }
        (Swedish, KernelHint) => "Kärna (kernel): hur en händelses vikt avtar med avståndet.",
        (English, KernelHint) => "Kernel: how an incident's weight falls off with distance.",
        (Swedish, QuarticHint) => "Kvartisk kärna (som QGIS): noll från radien och utåt.",
        (English, QuarticHint) => "Quartic kernel (as QGIS): zero from the radius outwards.",
        (Swedish, GaussianHint) => "Gaussisk kärna: radien är σ; avtar mjukt, räknas till 4σ.",
        (English, GaussianHint) => "Gaussian kernel: the radius is σ; falls off softly, up to 4σ.",
        (Swedish, BandHint) => {
            "Avståndsband (Getis–Ord Gi*): rutor inom detta avstånd räknas som grannar när \
             en ruta jämförs med sin omgivning."
        }
        (English, BandHint) => {
            "Distance band (Getis–Ord Gi*): cells within this distance count as neighbours \
             when a cell is compared with its surroundings."
        }
        (Swedish, UpperBoundLine) => {
            "Ingen placering kan täcka fler än {bound}; de här platserna täcker {share} av det."
        }
        (English, UpperBoundLine) => {
            "No placement can cover more than {bound}; these places cover {share} of that."
        }
        (Swedish, PlaceCountHint) => {
            "Händelser inom gångradien från platsen, de som markeras när du klickar. \
             Urvalet av platser räknar på rutor om {cell} m, så {model} i modellen."
        }
        (English, PlaceCountHint) => {
            "Incidents within the walking radius of the place, the ones selected when you \
             click. The choice of places counts on {cell} m cells: {model} in the model."
        }
        (Swedish, AnalysisMenu) => "Analys …",
        (English, AnalysisMenu) => "Analysis …",
        (Swedish, ViewSaved) => "Vyn är sparad i projektet.",
        (English, ViewSaved) => "The view is saved in the project.",
        (Swedish, ViewSaveFailed) => "Vyn kunde inte sparas",
        (English, ViewSaveFailed) => "The view could not be saved",
        (Swedish, ViewReadFailed) => "Projektets vyer kunde inte läsas",
        (English, ViewReadFailed) => "The project's views could not be read",
        (Swedish, DataPeriod) => "Period",
        (English, DataPeriod) => "Data period",
        (Swedish, SaveViewTitle) => "Spara vy",
        (English, SaveViewTitle) => "Save view",
        (Swedish, SaveViewHelp) => {
            "Sparar kartans utsnitt, lagren, filtret och analysens inställningar i projektet. \
             Presentera (F5) visar vyerna i tur och ordning."
        }
        (English, SaveViewHelp) => {
            "Saves the map's extent, the layers, the filter and the analysis settings in the \
             project. Present (F5) shows the views one after another."
        }
        (Swedish, ViewTitleLabel) => "Rubrik",
        (English, ViewTitleLabel) => "Title",
        (Swedish, ViewTitleTaken) => "En vy har redan den rubriken; den ersätts.",
        (English, ViewTitleTaken) => "A view has that title already; it is replaced.",
        (Swedish, SpeakerNotes) => "Talarmanus (visas med N i presentationen)",
        (English, SpeakerNotes) => "Speaker notes (shown with N in the presentation)",
        (Swedish, SaveView) => "Spara",
        (English, SaveView) => "Save",
        (Swedish, SaveViewMenu) => "Spara vy …",
        (English, SaveViewMenu) => "Save view …",
        (Swedish, PresentMenu) => "Presentera",
        (English, PresentMenu) => "Present",
        (Swedish, ImpDelimiter) => "Avgränsare:",
        (English, ImpDelimiter) => "Delimiter:",
        (Swedish, ImpEncoding) => "Teckenkodning:",
        (English, ImpEncoding) => "Encoding:",
        (Swedish, ImpColumns) => "Kolumner:",
        (English, ImpColumns) => "Columns:",
        (Swedish, ImpDecimalComma) => "Tal med decimalkomma lästes rätt (komma som decimaltecken).",
        (English, ImpDecimalComma) => "Numbers with a decimal comma were read correctly.",
        (Swedish, ImpEmptyRows) => "{n} tomma rader hoppades över",
        (English, ImpEmptyRows) => "{n} empty rows skipped",
        (Swedish, ImpDayMonth) => "Datum lästa som dag/månad/år.",
        (English, ImpDayMonth) => "Dates read as day/month/year.",
        (Swedish, ImpMonthDay) => "Datum lästa som månad/dag/år (filen skriver dem så).",
        (English, ImpMonthDay) => "Dates read as month/day/year (the file writes them so).",
        (Swedish, ImpFormatCsv) => "CSV-fil",
        (English, ImpFormatCsv) => "CSV file",
        (Swedish, ImpFormatPolisen) => "Polisens händelser",
        (English, ImpFormatPolisen) => "police events",
        (Swedish, ImpLine) => "Rad",
        (English, ImpLine) => "Line",
        (Swedish, ImpDetails) => "Fler detaljer (avvisade rader, konflikter; delvis på engelska)",
        (English, ImpDetails) => "More details (rejected rows, conflicts)",
        (Swedish, ImpIntoDemo) => {
            "Obs: du importerade till det syntetiska demoprojektet, som blandar dina data med \
             påhittade. Skapa eller öppna ett eget projekt (Arkiv > Nytt projekt) för riktiga data."
        }
        (English, ImpIntoDemo) => {
            "Note: you imported into the synthetic demo project, which mixes your data with \
             made-up data. Create or open a project of your own (File > New project) for real data."
        }
        (Swedish, ImpZoomTo) => "Zooma till det importerade",
        (English, ImpZoomTo) => "Zoom to what was imported",
        (Swedish, DataRange) => "Data från",
        (English, DataRange) => "Data from",
        (Swedish, RelativeToLastDay) => {
            "Datan slutar före i dag: \"Senaste 30 dagarna\" m.fl. räknas bakåt från {date}."
        }
        (English, RelativeToLastDay) => {
            "The data end before today: \"Last 30 days\" and the like count back from {date}."
        }
    }
}

/// Every key, for the completeness test.
#[cfg(test)]
const ALL: &[T] = &[
    T::CoarseExplained,
    T::PlainAttribution,
    T::HideNote,
    T::HideNoteHint,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_both_languages_and_they_differ() {
        for &key in ALL {
            let sv = tr(Language::Swedish, key);
            let en = tr(Language::English, key);
            assert!(!sv.is_empty() && !en.is_empty());
            assert_ne!(sv, en, "{key:?}");
            // egui's built-in fonts have no arrows: they would panic in tests
            // and show as boxes in the app.
            for text in [sv, en] {
                assert!(!text.contains(['→', '←', '↑', '↓']), "{key:?}: {text}");
            }
        }
    }
}
