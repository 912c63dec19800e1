//! Every visible string of the app, in Swedish (default) and English.

use serde::{Deserialize, Serialize};

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Language {
    #[default]
    Swedish,
    English,
}

/// A translatable string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    AppTitle,
    Loading,
    LoadingDemo,
    OpenFailed,
    Project,
    SyntheticBanner,
    Incidents,
    CoarseIncidents,
    Period,
    Extent,
    ByCategory,
    BySource,
    ByHour,
    EveningsAndNights,
    NoIncidents,
    LanguageLabel,
    MapComingNote,
    File,
    Quit,
    LocalTime,
    OpenProjectTitle,
    NewProjectTitle,
    ImportTitle,
    ParentFolder,
    HomeFolder,
    NoMatchingFiles,
    FileName,
    Open,
    Create,
    ImportButton,
    Cancel,
    AlreadyExists,
    ImportAlreadyRunning,
    OpenAProjectFirst,
    ImportFailed,
    NewProjectMenu,
    OpenProjectMenu,
    RecentProjects,
    NoRecentProjects,
    OpenDemo,
    ImportMenu,
    View,
    ZoomToProject,
    Fullscreen,
    Of,
    IncidentsLower,
    SyntheticShort,
    NoIncidentsGui,
    NoProjectOpen,
    ImportReportTitle,
    RejectsSavedTo,
    Close,
    Imported,
    Duplicates,
    Conflicts,
    Rejected,
    // tiles
    MapSource,
    TilesLoading,
    TilesOffline,
    TilesUnavailable,
    TilesConfigError,
    // maplayer
    MapCoarseGroup,
    MapCellIncidents,
    MapPrecision,
    MapPlace,
    MapSelected,
    MapLegendCoarse,
    MapLegendDensity,
    // panels
    FilterTitle,
    DateFrom,
    DateTo,
    DateHint,
    DateInvalid,
    DateOrder,
    Last30Days,
    Last12Months,
    ThisYear,
    AllTime,
    Categories,
    Sources,
    SelectAll,
    SelectNone,
    AllCategories,
    NoCategories,
    AllSources,
    NoSources,
    NothingSelected,
    HoursTitle,
    HourStart,
    HourEnd,
    WholeDay,
    WholeDayWords,
    PastMidnight,
    HoursSame,
    WeekdaysTitle,
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
    AllDays,
    WeekendFriSat,
    WeekendHint,
    ResetFilter,
    HistogramTitle,
    ByWeekday,
    EveningsHighlighted,
    IncidentLower,
    DetailsTitle,
    TimeLabel,
    CategoryLabel,
    OriginalText,
    SourceLabel,
    PlaceLabel,
    PrecisionLabel,
    ExternalId,
    ImportFile,
    DescriptionLabel,
    ShowDescription,
    HideDescription,
    SensitiveNote,
    NoDescription,
    Edit,
    Delete,
    ExactAddress,
    About,
    MunicipalityLevel,
    CountyLevel,
    Unknown,
    SelectedOne,
    SelectedMany,
    LayersTitle,
    LayerHeatmap,
    LayerHotspots,
    LayerStrategicPlaces,
    LayerPatrolAreas,
    LayerRoutes,
    ComingLater,
    ComingLaterHint,
    Opacity,
    Legend,
    MoveUp,
    MoveDown,
    Up,
    Down,
    LegendLow,
    LegendHigh,
    // mapui
    ZoomToSelection,
    LoadingIncident,
    IncidentGone,
    IncidentReadFailed,
    EditNotYet,
}

pub fn tr(lang: Language, key: Key) -> &'static str {
    use Key::*;
    use Language::*;
    match (lang, key) {
        (_, AppTitle) => "Lägesbild",
        (Swedish, Loading) => "Läser projektet …",
        (English, Loading) => "Reading the project …",
        (Swedish, LoadingDemo) => "Skapar demoprojektet …",
        (English, LoadingDemo) => "Creating the demo project …",
        (Swedish, OpenFailed) => "Projektet kunde inte öppnas",
        (English, OpenFailed) => "The project could not be opened",
        (Swedish, Project) => "Projekt",
        (English, Project) => "Project",
        (Swedish, SyntheticBanner) => "SYNTETISKA DEMODATA – påhittade händelser, inte verkliga",
        (English, SyntheticBanner) => "SYNTHETIC DEMO DATA – made-up incidents, not real ones",
        (Swedish, Incidents) => "Händelser",
        (English, Incidents) => "Incidents",
        (Swedish, CoarseIncidents) => "med grov position (t.ex. kommunnivå)",
        (English, CoarseIncidents) => "with a coarse position (e.g. municipality level)",
        (Swedish, Period) => "Period",
        (English, Period) => "Period",
        (Swedish, Extent) => "Utbredning",
        (English, Extent) => "Extent",
        (Swedish, ByCategory) => "Per kategori",
        (English, ByCategory) => "By category",
        (Swedish, BySource) => "Per källa",
        (English, BySource) => "By source",
        (Swedish, ByHour) => "Per timme (lokal tid)",
        (English, ByHour) => "By hour (local time)",
        (Swedish, EveningsAndNights) => "Kvällar och nätter 18–06",
        (English, EveningsAndNights) => "Evenings and nights 18–06",
        (Swedish, NoIncidents) => {
            "Projektet har inga händelser ännu. Importera med: lagesbild import PROJEKT.gpkg FIL.csv"
        }
        (English, NoIncidents) => {
            "The project has no incidents yet. Import with: lagesbild import PROJECT.gpkg FILE.csv"
        }
        (Swedish, LanguageLabel) => "Språk",
        (English, LanguageLabel) => "Language",
        (Swedish, MapComingNote) => {
            "Kartan kommer i nästa version; här är projektets sammanfattning."
        }
        (English, MapComingNote) => {
            "The map comes in the next version; here is the project summary."
        }
        (Swedish, File) => "Arkiv",
        (English, File) => "File",
        (Swedish, Quit) => "Avsluta",
        (English, Quit) => "Quit",
        (Swedish, LocalTime) => "lokal tid",
        (English, LocalTime) => "local time",
        (Swedish, OpenProjectTitle) => "Öppna projekt",
        (English, OpenProjectTitle) => "Open project",
        (Swedish, NewProjectTitle) => "Nytt projekt",
        (English, NewProjectTitle) => "New project",
        (Swedish, ImportTitle) => "Importera filer",
        (English, ImportTitle) => "Import files",
        (Swedish, ParentFolder) => "Upp en nivå",
        (English, ParentFolder) => "Up one level",
        (Swedish, HomeFolder) => "Hemmapp",
        (English, HomeFolder) => "Home folder",
        (Swedish, NoMatchingFiles) => "Inga passande filer här",
        (English, NoMatchingFiles) => "No matching files here",
        (Swedish, FileName) => "Filnamn:",
        (English, FileName) => "File name:",
        (Swedish, Open) => "Öppna",
        (English, Open) => "Open",
        (Swedish, Create) => "Skapa",
        (English, Create) => "Create",
        (Swedish, ImportButton) => "Importera",
        (English, ImportButton) => "Import",
        (Swedish, Cancel) => "Avbryt",
        (English, Cancel) => "Cancel",
        (Swedish, AlreadyExists) => "finns redan",
        (English, AlreadyExists) => "already exists",
        (Swedish, ImportAlreadyRunning) => {
            "En import pågår redan; vänta tills den är klar eller avbryt den."
        }
        (English, ImportAlreadyRunning) => {
            "An import is already running; wait for it or cancel it."
        }
        (Swedish, OpenAProjectFirst) => "Öppna eller skapa ett projekt först.",
        (English, OpenAProjectFirst) => "Open or create a project first.",
        (Swedish, ImportFailed) => "Importen misslyckades",
        (English, ImportFailed) => "The import failed",
        (Swedish, NewProjectMenu) => "Nytt projekt …",
        (English, NewProjectMenu) => "New project …",
        (Swedish, OpenProjectMenu) => "Öppna projekt … (Ctrl+O)",
        (English, OpenProjectMenu) => "Open project … (Ctrl+O)",
        (Swedish, RecentProjects) => "Senaste projekt",
        (English, RecentProjects) => "Recent projects",
        (Swedish, NoRecentProjects) => "Inga ännu",
        (English, NoRecentProjects) => "None yet",
        (Swedish, OpenDemo) => "Öppna demoprojektet",
        (English, OpenDemo) => "Open the demo project",
        (Swedish, ImportMenu) => "Importera … (Ctrl+I)",
        (English, ImportMenu) => "Import … (Ctrl+I)",
        (Swedish, View) => "Visa",
        (English, View) => "View",
        (Swedish, ZoomToProject) => "Zooma till projektet",
        (English, ZoomToProject) => "Zoom to project",
        (Swedish, Fullscreen) => "Helskärm (F11)",
        (English, Fullscreen) => "Full screen (F11)",
        (Swedish, Of) => "av",
        (English, Of) => "of",
        (Swedish, IncidentsLower) => "händelser",
        (English, IncidentsLower) => "incidents",
        (Swedish, SyntheticShort) => "Syntetiska demodata",
        (English, SyntheticShort) => "Synthetic demo data",
        (Swedish, NoIncidentsGui) => {
            "Projektet har inga händelser ännu. Importera filer via Arkiv > Importera eller dra dem till fönstret."
        }
        (English, NoIncidentsGui) => {
            "The project has no incidents yet. Import files with File > Import or drop them onto the window."
        }
        (Swedish, NoProjectOpen) => "Inget projekt är öppet.",
        (English, NoProjectOpen) => "No project is open.",
        (Swedish, ImportReportTitle) => "Importrapport",
        (English, ImportReportTitle) => "Import report",
        (Swedish, RejectsSavedTo) => "Avvisade rader från",
        (English, RejectsSavedTo) => "Rejected rows from",
        (Swedish, Close) => "Stäng",
        (English, Close) => "Close",
        (Swedish, Imported) => "Importerade",
        (English, Imported) => "Imported",
        (Swedish, Duplicates) => "Dubbletter",
        (English, Duplicates) => "Duplicates",
        (Swedish, Conflicts) => "Konflikter",
        (English, Conflicts) => "Conflicts",
        (Swedish, Rejected) => "Avvisade",
        (English, Rejected) => "Rejected",
        // tiles
        (Swedish, MapSource) => "Bakgrundskarta",
        (English, MapSource) => "Background map",
        (Swedish, TilesLoading) => "Hämtar kartbilder …",
        (English, TilesLoading) => "Loading map tiles …",
        (Swedish, TilesOffline) => {
            "Offline: {n} kartrutor kunde inte hämtas. Nytt försök görs automatiskt."
        }
        (English, TilesOffline) => {
            "Offline: {n} map tiles could not be loaded. Retrying automatically."
        }
        (Swedish, TilesUnavailable) => "Bakgrundskartan kunde inte öppnas",
        (English, TilesUnavailable) => "The background map could not be opened",
        (Swedish, TilesConfigError) => {
            "Fel i listan över bakgrundskartor (tiles.toml); OpenStreetMap används."
        }
        (English, TilesConfigError) => {
            "Error in the list of background maps (tiles.toml); using OpenStreetMap."
        }
        // maplayer
        (Swedish, MapCoarseGroup) => "händelser med grov position",
        (English, MapCoarseGroup) => "incidents with a coarse position",
        (Swedish, MapCellIncidents) => "händelser i rutan",
        (English, MapCellIncidents) => "incidents in this cell",
        (Swedish, MapPrecision) => "Noggrannhet",
        (English, MapPrecision) => "Precision",
        (Swedish, MapPlace) => "Plats",
        (English, MapPlace) => "Place",
        (Swedish, MapSelected) => "Markerade",
        (English, MapSelected) => "Selected",
        (Swedish, MapLegendCoarse) => "Grov position (cirkel = osäkerhet)",
        (English, MapLegendCoarse) => "Coarse position (circle = uncertainty)",
        (Swedish, MapLegendDensity) => "Många händelser: antal per ruta",
        (English, MapLegendDensity) => "Many incidents: count per cell",
        // panels
        (Swedish, FilterTitle) => "Filter",
        (English, FilterTitle) => "Filter",
        (Swedish, DateFrom) => "Från",
        (English, DateFrom) => "From",
        (Swedish, DateTo) => "Till",
        (English, DateTo) => "To",
        (Swedish, DateHint) => "ÅÅÅÅ-MM-DD",
        (English, DateHint) => "YYYY-MM-DD",
        (Swedish, DateInvalid) => "Skriv datumet som ÅÅÅÅ-MM-DD",
        (English, DateInvalid) => "Write the date as YYYY-MM-DD",
        (Swedish, DateOrder) => "Från-datumet ligger efter till-datumet",
        (English, DateOrder) => "The from date is after the to date",
        (Swedish, Last30Days) => "Senaste 30 dagarna",
        (English, Last30Days) => "Last 30 days",
        (Swedish, Last12Months) => "Senaste 12 månaderna",
        (English, Last12Months) => "Last 12 months",
        (Swedish, ThisYear) => "I år",
        (English, ThisYear) => "This year",
        (Swedish, AllTime) => "Allt",
        (English, AllTime) => "All time",
        (Swedish, Categories) => "Kategorier",
        (English, Categories) => "Categories",
        (Swedish, Sources) => "Källor",
        (English, Sources) => "Sources",
        (Swedish, SelectAll) => "Alla",
        (English, SelectAll) => "All",
        (Swedish, SelectNone) => "Inga",
        (English, SelectNone) => "None",
        (Swedish, AllCategories) => "Alla kategorier",
        (English, AllCategories) => "All categories",
        (Swedish, NoCategories) => "Inga kategorier",
        (English, NoCategories) => "No categories",
        (Swedish, AllSources) => "Alla källor",
        (English, AllSources) => "All sources",
        (Swedish, NoSources) => "Inga källor",
        (English, NoSources) => "No sources",
        (Swedish, NothingSelected) => "Inget valt – inga händelser visas",
        (English, NothingSelected) => "Nothing selected – no incidents are shown",
        (Swedish, HoursTitle) => "Tid på dygnet (lokal tid)",
        (English, HoursTitle) => "Time of day (local time)",
        (Swedish, HourStart) => "Från kl.",
        (English, HourStart) => "From hour",
        (Swedish, HourEnd) => "Till kl.",
        (English, HourEnd) => "To hour",
        (Swedish, WholeDay) => "Hela dygnet",
        (English, WholeDay) => "Whole day",
        (Swedish, WholeDayWords) => "00–24, hela dygnet",
        (English, WholeDayWords) => "00–24, the whole day",
        (Swedish, PastMidnight) => "över midnatt",
        (English, PastMidnight) => "past midnight",
        (Swedish, HoursSame) => "Start och slut kan inte vara samma timme",
        (English, HoursSame) => "Start and end cannot be the same hour",
        (Swedish, WeekdaysTitle) => "Veckodagar",
        (English, WeekdaysTitle) => "Weekdays",
        (Swedish, Mon) => "Mån",
        (English, Mon) => "Mon",
        (Swedish, Tue) => "Tis",
        (English, Tue) => "Tue",
        (Swedish, Wed) => "Ons",
        (English, Wed) => "Wed",
        (Swedish, Thu) => "Tor",
        (English, Thu) => "Thu",
        (Swedish, Fri) => "Fre",
        (English, Fri) => "Fri",
        (Swedish, Sat) => "Lör",
        (English, Sat) => "Sat",
        (Swedish, Sun) => "Sön",
        (English, Sun) => "Sun",
        (Swedish, AllDays) => "Alla dagar",
        (English, AllDays) => "All days",
        (Swedish, WeekendFriSat) => "Helg (fre–lör)",
        (English, WeekendFriSat) => "Weekend (Fri–Sat)",
        (Swedish, WeekendHint) => {
            "Timmar räknas per kalenderdag: natten mot söndag hör till söndag."
        }
        (English, WeekendHint) => {
            "Hours count per calendar day: the night into Sunday belongs to Sunday."
        }
        (Swedish, ResetFilter) => "Återställ filter",
        (English, ResetFilter) => "Reset filter",
        (Swedish, HistogramTitle) => "Händelser per timme och veckodag",
        (English, HistogramTitle) => "Incidents by hour and weekday",
        (Swedish, ByWeekday) => "Per veckodag (lokal tid)",
        (English, ByWeekday) => "By weekday (local time)",
        (Swedish, EveningsHighlighted) => "Mörkare staplar: kvällar och nätter 18–06",
        (English, EveningsHighlighted) => "Darker bars: evenings and nights 18–06",
        (Swedish, IncidentLower) => "händelse",
        (English, IncidentLower) => "incident",
        (Swedish, DetailsTitle) => "Händelse",
        (English, DetailsTitle) => "Incident",
        (Swedish, TimeLabel) => "Tid",
        (English, TimeLabel) => "Time",
        (Swedish, CategoryLabel) => "Kategori",
        (English, CategoryLabel) => "Category",
        (Swedish, OriginalText) => "ursprunglig text",
        (English, OriginalText) => "original text",
        (Swedish, SourceLabel) => "Källa",
        (English, SourceLabel) => "Source",
        (Swedish, PlaceLabel) => "Plats",
        (English, PlaceLabel) => "Place",
        (Swedish, PrecisionLabel) => "Lägesnoggrannhet",
        (English, PrecisionLabel) => "Position precision",
        (Swedish, ExternalId) => "Externt id",
        (English, ExternalId) => "External id",
        (Swedish, ImportFile) => "Importfil",
        (English, ImportFile) => "Import file",
        (Swedish, DescriptionLabel) => "Beskrivning",
        (English, DescriptionLabel) => "Description",
        (Swedish, ShowDescription) => "Visa beskrivning",
        (English, ShowDescription) => "Show description",
        (Swedish, HideDescription) => "Dölj beskrivning",
        (English, HideDescription) => "Hide description",
        (Swedish, SensitiveNote) => "Kan innehålla känsliga uppgifter",
        (English, SensitiveNote) => "May contain sensitive information",
        (Swedish, NoDescription) => "Ingen beskrivning",
        (English, NoDescription) => "No description",
        (Swedish, Edit) => "Redigera",
        (English, Edit) => "Edit",
        (Swedish, Delete) => "Ta bort",
        (English, Delete) => "Delete",
        (Swedish, ExactAddress) => "exakt adress",
        (English, ExactAddress) => "exact address",
        (Swedish, About) => "ungefär",
        (English, About) => "about",
        (Swedish, MunicipalityLevel) => "kommunnivå",
        (English, MunicipalityLevel) => "municipality level",
        (Swedish, CountyLevel) => "länsnivå",
        (English, CountyLevel) => "county level",
        (Swedish, Unknown) => "okänd",
        (English, Unknown) => "unknown",
        (Swedish, SelectedOne) => "markerad händelse",
        (English, SelectedOne) => "selected incident",
        (Swedish, SelectedMany) => "markerade händelser",
        (English, SelectedMany) => "selected incidents",
        (Swedish, LayersTitle) => "Lager",
        (English, LayersTitle) => "Layers",
        (Swedish, LayerHeatmap) => "Värmekarta",
        (English, LayerHeatmap) => "Heatmap",
        (Swedish, LayerHotspots) => "Brännpunkter",
        (English, LayerHotspots) => "Hotspots",
        (Swedish, LayerStrategicPlaces) => "Strategiska platser",
        (English, LayerStrategicPlaces) => "Strategic places",
        (Swedish, LayerPatrolAreas) => "Patrullområden",
        (English, LayerPatrolAreas) => "Patrol areas",
        (Swedish, LayerRoutes) => "Rutter",
        (English, LayerRoutes) => "Routes",
        (Swedish, ComingLater) => "kommer",
        (English, ComingLater) => "coming",
        (Swedish, ComingLaterHint) => "Lagret kommer i en senare version",
        (English, ComingLaterHint) => "This layer comes in a later version",
        (Swedish, Opacity) => "Opacitet",
        (English, Opacity) => "Opacity",
        (Swedish, Legend) => "Teckenförklaring",
        (English, Legend) => "Legend",
        (Swedish, MoveUp) => "Flytta upp",
        (English, MoveUp) => "Move up",
        (Swedish, MoveDown) => "Flytta ned",
        (English, MoveDown) => "Move down",
        (Swedish, Up) => "Upp",
        (English, Up) => "Up",
        (Swedish, Down) => "Ned",
        (English, Down) => "Down",
        (Swedish, LegendLow) => "låg",
        (English, LegendLow) => "low",
        (Swedish, LegendHigh) => "hög",
        (English, LegendHigh) => "high",
        // mapui
        (Swedish, ZoomToSelection) => "Zooma till markering",
        (English, ZoomToSelection) => "Zoom to selection",
        (Swedish, LoadingIncident) => "Läser händelsen …",
        (English, LoadingIncident) => "Reading the incident …",
        (Swedish, IncidentGone) => "Händelsen finns inte längre i projektet.",
        (English, IncidentGone) => "The incident is no longer in the project.",
        (Swedish, IncidentReadFailed) => "Händelsen kunde inte läsas",
        (English, IncidentReadFailed) => "The incident could not be read",
        (Swedish, EditNotYet) => "Redigera och ta bort kommer i nästa version.",
        (English, EditNotYet) => "Editing and deleting come in the next version.",
    }
}

/// Category label in the language.
pub fn category(lang: Language, c: crate::model::Category) -> &'static str {
    match lang {
        Language::Swedish => c.label_sv(),
        Language::English => c.label_en(),
    }
}

/// Source label in the language.
pub fn source(lang: Language, s: crate::model::Source) -> &'static str {
    match lang {
        Language::Swedish => s.label_sv(),
        Language::English => s.label_en(),
    }
}

/// A count with thousands grouped as the language writes it: `12 345`
/// (Swedish, with a narrow no-break space) or `12,345` (English).
pub fn count(lang: Language, n: u64) -> String {
    let sep = match lang {
        Language::Swedish => '\u{202f}',
        Language::English => ',',
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(Language::English, 0), "0");
        assert_eq!(count(Language::English, 999), "999");
        assert_eq!(count(Language::English, 1_000), "1,000");
        assert_eq!(count(Language::English, 1_234_567), "1,234,567");
        assert_eq!(count(Language::Swedish, 12_345), "12\u{202f}345");
    }
}
