//! The filter panel: date range with quick choices, categories, sources,
//! hours of the day (wrapping past midnight) and weekdays.
//!
//! It edits a [`Filter`] in place and reports whether it changed this frame.
//! Fields stay `None` whenever they mean "no limit": all categories checked
//! is `categories: None`, the whole day is `hours: None`, every weekday is
//! `weekdays: None`. Unchecking everything gives an empty set, which matches
//! nothing, and the panel says so.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate, Weekday};
use egui::{Color32, RichText, Ui};

use super::{CategoryColors, WEEK, named_button, weekday_short};
use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::{Category, Filter, HourRange, Source, Weekdays};

/// A one-click date range, relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuickRange {
    /// Today and the 29 days before it.
    Last30Days,
    /// From the day after the same date a year ago, through today.
    Last12Months,
    /// From 1 January of today's year through today.
    ThisYear,
    /// No date limit.
    All,
}

/// The `(from, to)` dates (both inclusive, local) of a quick choice.
///
/// # Examples
/// ```
/// use chrono::NaiveDate;
/// use lagesbild::gui::panels::filters::{QuickRange, quick_range};
/// let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
/// let (from, to) = quick_range(QuickRange::Last30Days, today);
/// assert_eq!(from, NaiveDate::from_ymd_opt(2026, 1, 31));
/// assert_eq!(to, Some(today));
/// ```
pub fn quick_range(choice: QuickRange, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    match choice {
        QuickRange::Last30Days => (today.checked_sub_days(chrono::Days::new(29)), Some(today)),
        QuickRange::Last12Months => (
            today
                .checked_sub_months(Months::new(12))
                .and_then(|d| d.succ_opt()),
            Some(today),
        ),
        QuickRange::ThisYear => (NaiveDate::from_ymd_opt(today.year(), 1, 1), Some(today)),
        QuickRange::All => (None, None),
    }
}

/// Today's date in Swedish local time, for the quick date choices.
pub fn today_local() -> NaiveDate {
    crate::model::time::local(chrono::Utc::now()).date_naive()
}

/// The hour range in words: "00–24, hela dygnet", "08–17", "18–06, över midnatt".
pub fn hours_words(lang: Language, hours: Option<HourRange>) -> String {
    match hours {
        None => tr(lang, Key::WholeDayWords).to_owned(),
        Some(h) if h.is_whole_day() => tr(lang, Key::WholeDayWords).to_owned(),
        Some(h) if h.end() <= h.start() => format!(
            "{:02}–{:02}, {}",
            h.start(),
            h.end(),
            tr(lang, Key::PastMidnight)
        ),
        Some(h) => format!("{:02}–{:02}", h.start(), h.end()),
    }
}

/// UI state of the filter panel: the text of the date fields and the hour
/// sliders, kept in step with the filter the app passes in.
#[derive(Debug, Clone)]
pub struct FilterPanel {
    from_text: String,
    to_text: String,
    /// The filter dates the texts were last taken from (or written to).
    synced_dates: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    date_problem: Option<Key>,
    hour_start: u8,
    hour_end: u8,
    /// The filter hours the sliders were last taken from (or written to).
    synced_hours: Option<Option<HourRange>>,
    hours_problem: bool,
}

impl Default for FilterPanel {
    fn default() -> Self {
        Self {
            from_text: String::new(),
            to_text: String::new(),
            synced_dates: None,
            date_problem: None,
            hour_start: 0,
            hour_end: 24,
            synced_hours: None,
            hours_problem: false,
        }
    }
}

impl FilterPanel {
    /// Draws the panel and edits `filter`. `today` (local date) anchors the
    /// quick date choices; `colors` draws a swatch beside each category.
    /// Returns true when the filter changed this frame.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        filter: &mut Filter,
        today: NaiveDate,
        colors: CategoryColors<'_>,
    ) -> bool {
        let before = filter.clone();
        self.sync_from(filter);

        ui.strong(tr(lang, Key::FilterTitle));
        self.dates_ui(ui, lang, filter, today);
        ui.separator();
        categories_ui(ui, lang, filter, colors);
        ui.separator();
        sources_ui(ui, lang, filter);
        ui.separator();
        self.hours_ui(ui, lang, filter);
        ui.separator();
        weekdays_ui(ui, lang, filter);
        ui.separator();
        if ui.button(tr(lang, Key::ResetFilter)).clicked() {
            *filter = Filter::default();
        }

        // Keep the texts and sliders in step with what the buttons did.
        self.sync_from(filter);
        *filter != before
    }

    /// Takes the date texts and hour sliders from `filter` when it was
    /// changed from outside (quick choice, reset, the app loading a filter).
    fn sync_from(&mut self, filter: &Filter) {
        let dates = (filter.from, filter.to);
        if self.synced_dates != Some(dates) {
            self.from_text = filter.from.map(|d| d.to_string()).unwrap_or_default();
            self.to_text = filter.to.map(|d| d.to_string()).unwrap_or_default();
            self.synced_dates = Some(dates);
            self.date_problem = None;
        }
        if self.synced_hours != Some(filter.hours) {
            (self.hour_start, self.hour_end) =
                filter.hours.map_or((0, 24), |h| (h.start(), h.end()));
            self.synced_hours = Some(filter.hours);
            self.hours_problem = false;
        }
    }

    fn dates_ui(&mut self, ui: &mut Ui, lang: Language, filter: &mut Filter, today: NaiveDate) {
        let mut edited = false;
        egui::Grid::new("filter_dates")
            .num_columns(2)
            .show(ui, |ui| {
                for (key, text) in [
                    (Key::DateFrom, &mut self.from_text),
                    (Key::DateTo, &mut self.to_text),
                ] {
                    let label = ui.label(tr(lang, key));
                    let response = ui
                        .add(
                            egui::TextEdit::singleline(text)
                                .hint_text(tr(lang, Key::DateHint))
                                .desired_width(100.0),
                        )
                        .labelled_by(label.id);
                    edited |= response.changed();
                    ui.end_row();
                }
            });
        if edited {
            self.apply_date_texts(filter);
        }
        if let Some(problem) = self.date_problem {
            ui.label(RichText::new(tr(lang, problem)).color(ui.visuals().error_fg_color));
        }
        ui.horizontal_wrapped(|ui| {
            for (key, choice) in [
                (Key::Last30Days, QuickRange::Last30Days),
                (Key::Last12Months, QuickRange::Last12Months),
                (Key::ThisYear, QuickRange::ThisYear),
                (Key::AllTime, QuickRange::All),
            ] {
                let (from, to) = quick_range(choice, today);
                let selected = filter.from == from && filter.to == to;
                if ui.selectable_label(selected, tr(lang, key)).clicked() {
                    filter.from = from;
                    filter.to = to;
                }
            }
        });
    }

    /// Parses both date texts; changes the filter only when both are valid
    /// (empty means no limit) and in order.
    fn apply_date_texts(&mut self, filter: &mut Filter) {
        let parse = |text: &str| {
            if text.trim().is_empty() {
                Ok(None)
            } else {
                Filter::parse_date(text).map(Some)
            }
        };
        match (parse(&self.from_text), parse(&self.to_text)) {
            (Ok(from), Ok(to)) => {
                if let (Some(f), Some(t)) = (from, to)
                    && f > t
                {
                    self.date_problem = Some(Key::DateOrder);
                    return;
                }
                filter.from = from;
                filter.to = to;
                self.synced_dates = Some((from, to));
                self.date_problem = None;
            }
            _ => self.date_problem = Some(Key::DateInvalid),
        }
    }

    fn hours_ui(&mut self, ui: &mut Ui, lang: Language, filter: &mut Filter) {
        ui.strong(tr(lang, Key::HoursTitle));
        let start =
            ui.add(egui::Slider::new(&mut self.hour_start, 0..=23).text(tr(lang, Key::HourStart)));
        let end =
            ui.add(egui::Slider::new(&mut self.hour_end, 1..=24).text(tr(lang, Key::HourEnd)));
        if start.changed() || end.changed() {
            match HourRange::new(self.hour_start, self.hour_end) {
                Some(range) => {
                    filter.hours = (!range.is_whole_day()).then_some(range);
                    self.synced_hours = Some(filter.hours);
                    self.hours_problem = false;
                }
                None => self.hours_problem = true,
            }
        }
        if self.hours_problem {
            ui.label(RichText::new(tr(lang, Key::HoursSame)).color(ui.visuals().error_fg_color));
        } else {
            ui.label(hours_words(lang, filter.hours));
        }
        ui.horizontal_wrapped(|ui| {
            let evenings = Some(HourRange::EVENINGS_AND_NIGHTS);
            if ui
                .selectable_label(filter.hours == evenings, tr(lang, Key::EveningsAndNights))
                .clicked()
            {
                filter.hours = evenings;
            }
            if ui
                .selectable_label(filter.hours.is_none(), tr(lang, Key::WholeDay))
                .clicked()
            {
                filter.hours = None;
            }
        });
    }
}

fn swatch_ui(ui: &mut Ui, color: Color32) {
    let size = egui::vec2(12.0, 12.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

fn categories_ui(ui: &mut Ui, lang: Language, filter: &mut Filter, colors: CategoryColors<'_>) {
    ui.horizontal(|ui| {
        ui.strong(tr(lang, Key::Categories));
        if named_button(ui, tr(lang, Key::SelectAll), tr(lang, Key::AllCategories)).clicked() {
            filter.categories = None;
        }
        if named_button(ui, tr(lang, Key::SelectNone), tr(lang, Key::NoCategories)).clicked() {
            filter.categories = Some(BTreeSet::new());
        }
    });
    for c in Category::ALL {
        ui.horizontal(|ui| {
            if let Some(colors) = colors {
                swatch_ui(ui, colors(c));
            }
            let mut checked = filter.categories.as_ref().is_none_or(|s| s.contains(&c));
            if ui.checkbox(&mut checked, i18n::category(lang, c)).changed() {
                filter.categories = toggled(&filter.categories, c, checked, &Category::ALL);
            }
        });
    }
    if filter.categories.as_ref().is_some_and(BTreeSet::is_empty) {
        nothing_selected_ui(ui, lang);
    }
}

fn sources_ui(ui: &mut Ui, lang: Language, filter: &mut Filter) {
    ui.horizontal(|ui| {
        ui.strong(tr(lang, Key::Sources));
        if named_button(ui, tr(lang, Key::SelectAll), tr(lang, Key::AllSources)).clicked() {
            filter.sources = None;
        }
        if named_button(ui, tr(lang, Key::SelectNone), tr(lang, Key::NoSources)).clicked() {
            filter.sources = Some(BTreeSet::new());
        }
    });
    // Two columns: the short source names fit, and the hour and weekday
    // controls below stay in view on an 800-pixel-high screen.
    egui::Grid::new("filter_sources")
        .num_columns(2)
        .show(ui, |ui| {
            for (k, s) in Source::ALL.into_iter().enumerate() {
                let mut checked = filter.sources.as_ref().is_none_or(|set| set.contains(&s));
                if ui.checkbox(&mut checked, i18n::source(lang, s)).changed() {
                    filter.sources = toggled(&filter.sources, s, checked, &Source::ALL);
                }
                if k % 2 == 1 {
                    ui.end_row();
                }
            }
        });
    if filter.sources.as_ref().is_some_and(BTreeSet::is_empty) {
        nothing_selected_ui(ui, lang);
    }
}

fn nothing_selected_ui(ui: &mut Ui, lang: Language) {
    ui.label(RichText::new(tr(lang, Key::NothingSelected)).color(ui.visuals().warn_fg_color));
}

/// The set after checking or unchecking `item`; `None` when all are in.
fn toggled<T: Ord + Copy>(
    current: &Option<BTreeSet<T>>,
    item: T,
    checked: bool,
    all: &[T],
) -> Option<BTreeSet<T>> {
    let mut set: BTreeSet<T> = match current {
        Some(s) => s.clone(),
        None => all.iter().copied().collect(),
    };
    if checked {
        set.insert(item);
    } else {
        set.remove(&item);
    }
    (set.len() < all.len()).then_some(set)
}

fn weekdays_ui(ui: &mut Ui, lang: Language, filter: &mut Filter) {
    ui.strong(tr(lang, Key::WeekdaysTitle));
    let days = filter.weekdays.unwrap_or(Weekdays::ALL);
    ui.horizontal_wrapped(|ui| {
        for day in WEEK {
            let on = days.contains(day);
            if ui.selectable_label(on, weekday_short(lang, day)).clicked() {
                let mut next = days;
                if on {
                    next.remove(day);
                } else {
                    next.insert(day);
                }
                filter.weekdays = (!next.is_all()).then_some(next);
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        if ui
            .selectable_label(filter.weekdays.is_none(), tr(lang, Key::AllDays))
            .clicked()
        {
            filter.weekdays = None;
        }
        let mut weekend = Weekdays::NONE;
        weekend.insert(Weekday::Fri);
        weekend.insert(Weekday::Sat);
        if ui
            .selectable_label(
                filter.weekdays == Some(weekend),
                tr(lang, Key::WeekendFriSat),
            )
            .on_hover_text(tr(lang, Key::WeekendHint))
            .clicked()
        {
            filter.weekdays = Some(weekend);
        }
    });
    if filter.weekdays == Some(Weekdays::NONE) {
        nothing_selected_ui(ui, lang);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn quick_ranges_from_a_pinned_today() {
        let today = date(2026, 11, 25);
        assert_eq!(
            quick_range(QuickRange::Last30Days, today),
            (Some(date(2026, 10, 27)), Some(today))
        );
        assert_eq!(
            quick_range(QuickRange::Last12Months, today),
            (Some(date(2025, 11, 26)), Some(today))
        );
        assert_eq!(
            quick_range(QuickRange::ThisYear, today),
            (Some(date(2026, 1, 1)), Some(today))
        );
        assert_eq!(quick_range(QuickRange::All, today), (None, None));
        // A leap day: a year back is clamped to 28 February, then the day after.
        assert_eq!(
            quick_range(QuickRange::Last12Months, date(2028, 2, 29)),
            (Some(date(2027, 3, 1)), Some(date(2028, 2, 29)))
        );
        // 1 January: "this year" is one day.
        let new_year = date(2027, 1, 1);
        assert_eq!(
            quick_range(QuickRange::ThisYear, new_year),
            (Some(new_year), Some(new_year))
        );
    }

    #[test]
    fn hours_in_words() {
        let sv = Language::Swedish;
        assert_eq!(hours_words(sv, None), "00–24, hela dygnet");
        assert_eq!(
            hours_words(sv, Some(HourRange::EVENINGS_AND_NIGHTS)),
            "18–06, över midnatt"
        );
        assert_eq!(hours_words(sv, HourRange::new(8, 17)), "08–17");
        assert_eq!(
            hours_words(sv, Some(HourRange::WHOLE_DAY)),
            "00–24, hela dygnet"
        );
        assert_eq!(
            hours_words(Language::English, HourRange::new(22, 2)),
            "22–02, past midnight"
        );
    }

    #[test]
    fn toggling_keeps_none_for_all() {
        let all = Category::ALL;
        let one_off = toggled(&None, Category::Vald, false, &all).unwrap();
        assert_eq!(one_off.len(), all.len() - 1);
        assert!(!one_off.contains(&Category::Vald));
        assert_eq!(toggled(&Some(one_off), Category::Vald, true, &all), None);
        let only = toggled(&Some(BTreeSet::new()), Category::Brand, true, &all);
        assert_eq!(only, Some(BTreeSet::from([Category::Brand])));
    }
}
