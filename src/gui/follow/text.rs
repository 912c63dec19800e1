//! The follow-up window's strings (Swedish default, English switchable), in
//! the style of `gui/i18n.rs` but kept here so the window's text stays together.

use crate::gui::i18n::Language;

/// A string of the follow-up window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Menu,
    OpenWindow,
    Title,
    TabMeasures,
    TabPresence,
    NoProject,
    Measures,
    NoMeasures,
    NewMeasure,
    Name,
    Start,
    End,
    Responsible,
    Note,
    Place,
    Problem,
    ProblemFromFilter,
    AreaFrom,
    AreaDrawn,
    AreaPatrol,
    AreaFile,
    DrawArea,
    StopDrawing,
    Drawn,
    NotDrawn,
    FilePath,
    Save,
    Saving,
    Evaluate,
    Evaluating,
    Remove,
    Evaluation,
    Before,
    After,
    AreaRow,
    RingRow,
    RingWidth,
    ControlChoice,
    ControlNone,
    ControlMeasure,
    ControlHint,
    ControlRow,
    PerMonth,
    Wdq,
    NoControl,
    Presence,
    PresenceNote,
    LoadPresence,
    Stop,
    Week,
    Planned,
    Delivered,
    Visits,
    DoseVisits,
    NoPresence,
    BadDate,
    NeedName,
    NeedArea,
    Saved,
    Ongoing,
    Loading,
}

/// The text of `key` in `lang`.
pub fn tr(lang: Language, key: Key) -> &'static str {
    use Key::*;
    use Language::*;
    match (lang, key) {
        (Swedish, Menu) => "Uppföljning",
        (English, Menu) => "Follow-up",
        (Swedish, OpenWindow) => "Insatser och närvaro …",
        (English, OpenWindow) => "Measures and presence …",
        (Swedish, Title) => "Uppföljning",
        (English, Title) => "Follow-up",
        (Swedish, TabMeasures) => "Insatser",
        (English, TabMeasures) => "Measures",
        (Swedish, TabPresence) => "Närvaro",
        (English, TabPresence) => "Presence",
        (Swedish, NoProject) => "Inget projekt är öppet.",
        (English, NoProject) => "No project is open.",
        (Swedish, Measures) => "Registrerade insatser",
        (English, Measures) => "Registered measures",
        (Swedish, NoMeasures) => "Inga insatser ännu.",
        (English, NoMeasures) => "No measures yet.",
        (Swedish, NewMeasure) => "Ny insats",
        (English, NewMeasure) => "New measure",
        (Swedish, Name) => "Namn",
        (English, Name) => "Name",
        (Swedish, Start) => "Start (ÅÅÅÅ-MM-DD)",
        (English, Start) => "Start (YYYY-MM-DD)",
        (Swedish, End) => "Slut (tomt = pågår)",
        (English, End) => "End (empty = ongoing)",
        (Swedish, Responsible) => "Ansvarig",
        (English, Responsible) => "Responsible",
        (Swedish, Note) => "Anteckning",
        (English, Note) => "Note",
        (Swedish, Place) => "Plats",
        (English, Place) => "Place",
        (Swedish, Problem) => "Problem",
        (English, Problem) => "Problem",
        (Swedish, ProblemFromFilter) => "Problemet är lägesbildens filter just nu",
        (English, ProblemFromFilter) => "The problem is the picture's current filter",
        (Swedish, AreaFrom) => "Område",
        (English, AreaFrom) => "Area",
        (Swedish, AreaDrawn) => "Ritat på kartan",
        (English, AreaDrawn) => "Drawn on the map",
        (Swedish, AreaPatrol) => "Patrullområde",
        (English, AreaPatrol) => "Patrol area",
        (Swedish, AreaFile) => "Fil (GeoJSON)",
        (English, AreaFile) => "File (GeoJSON)",
        (Swedish, DrawArea) => "Rita området",
        (English, DrawArea) => "Draw the area",
        (Swedish, StopDrawing) => "Avbryt ritandet",
        (English, StopDrawing) => "Stop drawing",
        (Swedish, Drawn) => "Område ritat",
        (English, Drawn) => "Area drawn",
        (Swedish, NotDrawn) => "Klicka hörnen på kartan, dubbelklicka för att avsluta",
        (English, NotDrawn) => "Click the corners on the map, double-click to finish",
        (Swedish, FilePath) => "Sökväg",
        (English, FilePath) => "Path",
        (Swedish, Save) => "Spara insats",
        (English, Save) => "Save measure",
        (Swedish, Saving) => "Sparar …",
        (English, Saving) => "Saving …",
        (Swedish, Evaluate) => "Utvärdera",
        (English, Evaluate) => "Evaluate",
        (Swedish, Evaluating) => "Utvärderar …",
        (English, Evaluating) => "Evaluating …",
        (Swedish, Remove) => "Ta bort",
        (English, Remove) => "Remove",
        (Swedish, Evaluation) => "Utvärdering",
        (English, Evaluation) => "Evaluation",
        (Swedish, Before) => "Före",
        (English, Before) => "Before",
        (Swedish, After) => "Efter",
        (English, After) => "After",
        (Swedish, AreaRow) => "Området",
        (English, AreaRow) => "Area",
        (Swedish, RingWidth) => "Ring runt området (m)",
        (English, RingWidth) => "Ring around the area (m)",
        (Swedish, ControlChoice) => "Jämför med",
        (English, ControlChoice) => "Compare with",
        (Swedish, ControlNone) => "Inget kontrollområde",
        (English, ControlNone) => "No control area",
        (Swedish, ControlMeasure) => "Insats",
        (English, ControlMeasure) => "Measure",
        (Swedish, ControlHint) => {
            "Ett liknande område utan insatsen, så att WDQ kan räknas ut: förändringen där visar vad som hade hänt ändå"
        }
        (English, ControlHint) => {
            "A similar area without the measure, so the WDQ can be computed: its change shows what would have happened anyway"
        }
        (Swedish, RingRow) => "Ringen runt",
        (English, RingRow) => "Ring around",
        (Swedish, ControlRow) => "Kontrollområde",
        (English, ControlRow) => "Control area",
        (Swedish, PerMonth) => "Händelser per månad i området",
        (English, PerMonth) => "Incidents per month in the area",
        (Swedish, Wdq) => "Viktad förskjutningskvot (WDQ)",
        (English, Wdq) => "Weighted displacement quotient (WDQ)",
        (Swedish, NoControl) => "beräknas inte (inget kontrollområde)",
        (English, NoControl) => "not computed (no control area)",
        (Swedish, Presence) => "Planerad och levererad närvaro",
        (English, Presence) => "Planned and delivered presence",
        (Swedish, PresenceNote) => {
            "Per stopp och vecka, från rutternas stopp och värdarnas spår. Ingen värds väg visas."
        }
        (English, PresenceNote) => {
            "Per stop and week, from the routes' stops and the hosts' tracks. No host's path is shown."
        }
        (Swedish, LoadPresence) => "Beräkna närvaro",
        (English, LoadPresence) => "Compute presence",
        (Swedish, Stop) => "Stopp",
        (English, Stop) => "Stop",
        (Swedish, Week) => "Vecka",
        (English, Week) => "Week",
        (Swedish, Planned) => "Planerat (min)",
        (English, Planned) => "Planned (min)",
        (Swedish, Delivered) => "Levererat (min)",
        (English, Delivered) => "Delivered (min)",
        (Swedish, Visits) => "Besök",
        (English, Visits) => "Visits",
        (Swedish, DoseVisits) => "Besök ≥ 10 min",
        (English, DoseVisits) => "Visits ≥ 10 min",
        (Swedish, NoPresence) => {
            "Inget att visa: projektet har inga rutter med stopp, eller inga spår eller incheckningar."
        }
        (English, NoPresence) => {
            "Nothing to show: the project has no routes with stops, or no tracks or check-ins."
        }
        (Swedish, BadDate) => "Datum ska skrivas ÅÅÅÅ-MM-DD",
        (English, BadDate) => "Write dates as YYYY-MM-DD",
        (Swedish, NeedName) => "Insatsen behöver ett namn",
        (English, NeedName) => "The measure needs a name",
        (Swedish, NeedArea) => "Insatsen behöver ett område",
        (English, NeedArea) => "The measure needs an area",
        (Swedish, Saved) => "Insatsen sparades",
        (English, Saved) => "The measure was saved",
        (Swedish, Ongoing) => "pågår",
        (English, Ongoing) => "ongoing",
        (Swedish, Loading) => "Läser …",
        (English, Loading) => "Reading …",
    }
}

/// An evaluation's note in the window's language.
pub fn note(lang: Language, note: &crate::analysis::evaluate::EvalNote) -> String {
    use crate::analysis::evaluate::EvalNote;
    match (lang, note) {
        (Language::English, _) => note.to_string(),
        (Language::Swedish, EvalNote::AfterCut { last, end }) => {
            format!("Efterperioden slutar {last}, sista dagen med data (insatsen slutar {end}).")
        }
        (Language::Swedish, EvalNote::CoarseLeftOut(n)) => format!(
            "{n} händelser med grov position (t.ex. bara placerade i kommunen) är inte med."
        ),
        (Language::Swedish, EvalNote::BeforeData { start, first }) => format!(
            "Föreperioden börjar {start}, före första dagen med data ({first}): antalet före kan vara för lågt."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::evaluate::EvalNote;

    #[test]
    fn every_key_has_both_languages() {
        for lang in [Language::Swedish, Language::English] {
            assert!(!tr(lang, Key::Title).is_empty());
        }
        assert_ne!(
            tr(Language::Swedish, Key::Save),
            tr(Language::English, Key::Save)
        );
    }

    #[test]
    fn evaluation_notes_are_worded_in_the_window_language() {
        let n = EvalNote::CoarseLeftOut(27);
        assert_eq!(
            note(Language::Swedish, &n),
            "27 händelser med grov position (t.ex. bara placerade i kommunen) är inte med."
        );
        assert!(note(Language::English, &n).starts_with("27 incident(s) with a coarse position"));
    }
}
