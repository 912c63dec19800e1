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
    CellSize,
    CellSizeHint,
    MinCount,
    MinCountHint,
    Level,
    LevelHint,
    Fdr,
    FdrHint,
    TooFewBefore,
    TooFewAfter,
    PeriodFormat,
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
        T::CellSize => ("Rutstorlek", "Cell size"),
        T::CellSizeHint => (
            "Rutornas sida i meter. Mindre rutor visar finare mönster men har färre händelser \
             var och kan därför sällan visa en tydlig förändring.",
            "Side of the cells in metres. Smaller cells show finer patterns but hold fewer \
             incidents each, so they can seldom show a clear change.",
        ),
        T::MinCount => ("Minst antal", "Least count"),
        T::MinCountHint => (
            "Rutor med färre händelser (båda perioderna tillsammans) prövas inte.",
            "Cells with fewer incidents (both periods together) are not tested.",
        ),
        T::Level => ("Signifikansnivå", "Significance level"),
        T::LevelHint => (
            "Hur liten risken ska vara att en ruta märks som ändrad av en slump \
             (exakt test för två Poisson-antal per ruta).",
            "How small the risk should be that a cell is marked as changed by chance \
             (exact test for two Poisson counts per cell).",
        ),
        T::Fdr => (
            "Korrigera för många rutor (FDR)",
            "Correct for many cells (FDR)",
        ),
        T::FdrHint => (
            "Benjamini–Hochberg: nivån gäller andelen felaktigt märkta rutor bland alla \
             märkta, inte varje ruta för sig. Utan korrigering märks fler rutor av en slump.",
            "Benjamini–Hochberg: the level holds for the share of wrongly marked cells among \
             all marked ones, not for each cell. Without it more cells are marked by chance.",
        ),
        T::TooFewBefore => ("rutor har färre än", "cells have fewer than"),
        T::TooFewAfter => ("händelser och prövas inte", "incidents and are not tested"),
        T::PeriodFormat => ("ÅÅÅÅ-MM-DD..ÅÅÅÅ-MM-DD", "YYYY-MM-DD..YYYY-MM-DD"),
        T::Synthetic => ("Syntetiska demodata", "Synthetic demo data"),
        T::Days => ("dagar", "days"),
    };
    if sv { s } else { e }
}

/// A level such as 0.05 as "5 %".
pub fn percent(lang: Language, alpha: f64) -> String {
    let pct = format!("{}", (alpha * 1000.0).round() / 10.0);
    if lang == Language::Swedish {
        format!("{} %", pct.replace('.', ","))
    } else {
        format!("{pct} %")
    }
}

/// The test a computed change map used, e.g. "Exakt test för två
/// Poisson-antal per ruta: 250 m rutor, minst 5 händelser, nivå 5 % med FDR".
pub fn change_test_line(lang: Language, m: &crate::analysis::change::ChangeMap) -> String {
    let level = percent(lang, m.alpha);
    if lang == Language::Swedish {
        format!(
            "Exakt test för två Poisson-antal per ruta: {} m rutor, minst {} händelser, nivå {level} {}",
            m.cell_m,
            m.min_count,
            if m.fdr { "med FDR" } else { "utan korrigering" }
        )
    } else {
        format!(
            "Exact test for two Poisson counts per cell: {} m cells, at least {} incidents, level {level} {}",
            m.cell_m,
            m.min_count,
            if m.fdr { "with FDR" } else { "uncorrected" }
        )
    }
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
