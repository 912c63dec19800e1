//! The Tidsmönster window's strings, Swedish (default) and English, kept
//! apart from `gui/i18n.rs` so this feature's strings live with it.

use crate::gui::i18n::Language;

/// A string of the time-pattern window, the time slider and the change map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    MenuEntry,
    Title,
    Computing,
    Failed,
    NoProject,
    Incidents,
    HourWeekday,
    Hour,
    All,
    Legend,
    PerWeek,
    PerMonth,
    Series,
    ThisPeriod,
    YearEarlier,
    TrendLine,
    TrendText,
    NoClearTrend,
    NoTrend,
    Arshjul,
    Peak,
    Category,
    ByCategory,
    BySource,
    EveningNight,
    Evening,
    Night,
    Slider,
    NoFrames,
    ShowOnMap,
    Play,
    Pause,
    StepBack,
    StepForward,
    FrameOf,
    Change,
    Before,
    After,
    Compute,
    More,
    Fewer,
    NoClearChange,
    ChangeTest,
    PeriodFormat,
    TooFew,
    Synthetic,
    Days,
}

/// The text of `key` in `lang`.
pub fn tr(lang: Language, key: T) -> &'static str {
    let sv = lang == Language::Swedish;
    let (s, e) = match key {
        T::MenuEntry => ("Tidsmönster…", "Time patterns…"),
        T::Title => ("Tidsmönster", "Time patterns"),
        T::Computing => ("Beräknar…", "Computing…"),
        T::Failed => (
            "Tidsmönstren kunde inte beräknas",
            "The time patterns could not be computed",
        ),
        T::NoProject => ("Öppna ett projekt först.", "Open a project first."),
        T::Incidents => ("händelser", "incidents"),
        T::HourWeekday => ("Timme × veckodag", "Hour × weekday"),
        T::Hour => ("Tim", "Hour"),
        T::All => ("Alla", "All"),
        T::Legend => ("Färg efter antal:", "Colour by count:"),
        T::PerWeek => ("Per vecka", "Per week"),
        T::PerMonth => ("Per månad", "Per month"),
        T::Series => ("Över tid", "Over time"),
        T::ThisPeriod => ("Antal", "Count"),
        T::YearEarlier => ("Ett år tidigare", "A year earlier"),
        T::TrendLine => ("Trend", "Trend"),
        T::TrendText => ("Trend per år", "Trend per year"),
        T::NoClearTrend => ("ingen tydlig trend", "no clear trend"),
        T::NoTrend => (
            "För få perioder eller händelser för en trend.",
            "Too few periods or incidents for a trend.",
        ),
        T::Arshjul => ("Årshjul (månad × kategori)", "Årshjul (month × category)"),
        T::Peak => ("Topp", "Peak"),
        T::Category => ("Kategori", "Category"),
        T::ByCategory => ("Per kategori", "By category"),
        T::BySource => ("Per källa", "By source"),
        T::EveningNight => ("Kväll och natt (18–06)", "Evenings and nights (18–06)"),
        T::Evening => ("kväll 18–22", "evening 18–22"),
        T::Night => ("natt 22–06", "night 22–06"),
        T::Slider => ("Tidsreglage för värmekartan", "Time slider for the heatmap"),
        T::NoFrames => (
            "Inget att spela: inga händelser med position i perioden.",
            "Nothing to play: no incidents with a position in the period.",
        ),
        T::ShowOnMap => ("Visa på kartan", "Show on the map"),
        T::Play => ("Spela", "Play"),
        T::Pause => ("Paus", "Pause"),
        T::StepBack => ("< Föregående", "< Previous"),
        T::StepForward => ("Nästa >", "Next >"),
        T::FrameOf => ("av", "of"),
        T::Change => ("Förändringskarta", "Change map"),
        T::Before => ("Före", "Before"),
        T::After => ("Efter", "After"),
        T::Compute => ("Jämför", "Compare"),
        T::More => ("Fler", "More"),
        T::Fewer => ("Färre", "Fewer"),
        T::NoClearChange => ("Ingen tydlig förändring", "No clear change"),
        T::ChangeTest => (
            "Exakt test för två Poisson-antal per ruta (minst 5 händelser, FDR 5 %)",
            "Exact test for two Poisson counts per cell (at least 5 incidents, FDR 5 %)",
        ),
        T::PeriodFormat => ("ÅÅÅÅ-MM-DD..ÅÅÅÅ-MM-DD", "YYYY-MM-DD..YYYY-MM-DD"),
        T::TooFew => (
            "rutor med färre än 5 händelser visas inte",
            "cells with fewer than 5 incidents are not shown",
        ),
        T::Synthetic => ("Syntetiska demodata", "Synthetic demo data"),
        T::Days => ("dagar", "days"),
    };
    if sv { s } else { e }
}

/// Short month names, January first.
pub fn month_short(lang: Language, m0: usize) -> &'static str {
    const SV: [&str; 12] = [
        "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = m0.min(11);
    if lang == Language::Swedish {
        SV[m]
    } else {
        EN[m]
    }
}
