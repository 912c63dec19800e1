//! Side-panel contents: filters, histogram, incident details and layers.
//!
//! Each panel is a plain struct holding its own UI state with a
//! `ui(&mut self, ui, lang, ..)` method that draws the contents only (no
//! window or side-panel frame), so the app can place it anywhere and tests
//! can drive it in an `egui_kittest::Harness`. Panels never act on the
//! project themselves: they edit a [`crate::model::Filter`] in place or return
//! what the user asked for, and the app acts after drawing.
//!
//! # Examples
//! ```no_run
//! use lagesbild::gui::i18n::Language;
//! use lagesbild::gui::panels::{FilterPanel, LayersPanel, today_local};
//! use lagesbild::model::Filter;
//!
//! let mut filter_panel = FilterPanel::default();
//! let mut layers = LayersPanel::standard();
//! let mut filter = Filter::default();
//! egui::__run_test_ui(|ui| {
//!     let lang = Language::Swedish;
//!     if filter_panel.ui(ui, lang, &mut filter, today_local(), None) {
//!         // The app recomputes the map and counts for the new filter here.
//!     }
//!     for change in layers.ui(ui, lang) {
//!         // The app redraws or saves the layer settings here.
//!         let _ = change;
//!     }
//! });
//! ```

pub mod details;
pub mod filters;
pub mod histogram;
pub mod layers;

pub use details::{DetailsAction, DetailsPanel, precision_words, selection_summary_ui};
pub use filters::{FilterPanel, QuickRange, hours_words, quick_range, today_local};
pub use histogram::HistogramPanel;
pub use layers::{LayerChange, LayerEntry, LayerId, LayerSetting, LayersPanel, Legend};

use chrono::Weekday;
use egui::{Response, Ui, WidgetInfo};

use super::i18n::{Key, Language, tr};

/// The colour of each category, as the map draws it; `None` draws no swatch.
pub type CategoryColors<'a> = Option<&'a dyn Fn(crate::model::Category) -> egui::Color32>;

/// A button whose visible text is short (e.g. "Alla") but whose accessible
/// name says what it acts on (e.g. "Alla kategorier"), so screen readers
/// and tests can tell repeated short buttons apart.
pub(crate) fn named_button(ui: &mut Ui, text: &str, accessible_name: &str) -> Response {
    let response = ui.button(text);
    let enabled = response.enabled();
    let name = accessible_name.to_owned();
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, enabled, &name));
    response
}

/// Short weekday name (Mån, Tis, …) in the language.
pub fn weekday_short(lang: Language, day: Weekday) -> &'static str {
    let key = match day {
        Weekday::Mon => Key::Mon,
        Weekday::Tue => Key::Tue,
        Weekday::Wed => Key::Wed,
        Weekday::Thu => Key::Thu,
        Weekday::Fri => Key::Fri,
        Weekday::Sat => Key::Sat,
        Weekday::Sun => Key::Sun,
    };
    tr(lang, key)
}

/// The seven weekdays, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];
