//! "Sök plats": a search box in the menu bar that finds the gazetteer's
//! places ([`crate::gazetteer`]) and zooms the map there.
//!
//! Typing shows up to [`MAX_HITS`] matching places as buttons (whole name
//! first, then names starting with the text; case and å/ä/ö folded); a click
//! on one, or Enter for the first, picks it. Its strings live here (Swedish
//! default, English switchable), not in `i18n.rs`.

use crate::gazetteer::{Gazetteer, Place, PlaceKind};
use crate::gui::i18n::Language;
use crate::model::LonLat;

/// Hits shown at most.
pub const MAX_HITS: usize = 5;

/// The box's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKey {
    Label,
    Hint,
    NoHit,
}

/// The string for `key` in `lang`.
pub fn tr(lang: Language, key: SearchKey) -> &'static str {
    match (lang, key) {
        (Language::Swedish, SearchKey::Label) => "Sök plats",
        (Language::English, SearchKey::Label) => "Find place",
        (Language::Swedish, SearchKey::Hint) => "ort, station …",
        (Language::English, SearchKey::Hint) => "locality, station …",
        (Language::Swedish, SearchKey::NoHit) => "ingen träff",
        (Language::English, SearchKey::NoHit) => "no match",
    }
}

/// The map zoom that shows a place of this precision: a station (100 m) at
/// street level, a village (1.5 km) or town (2 km) whole.
pub fn zoom_for(place: &Place) -> f64 {
    match place.kind {
        PlaceKind::Locality if place.precision_m >= 2_000.0 => 13.0,
        PlaceKind::Locality => 14.0,
        _ if place.precision_m <= 250.0 => 16.0,
        _ => 15.0,
    }
}

/// A picked place: where to centre the map, and at which zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacePick {
    pub position: LonLat,
    pub zoom: f64,
}

/// The search box's state.
#[derive(Debug, Default, Clone)]
pub struct PlaceSearch {
    pub query: String,
}

impl PlaceSearch {
    /// Draws the box and its hits in a right-to-left layout (the menu bar's
    /// right side), so that they read "Sök plats: [field] hits" left to
    /// right; returns the place picked this frame.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Language) -> Option<PlacePick> {
        let gazetteer = Gazetteer::bundled();
        let hits: Vec<&Place> = gazetteer
            .search(&self.query)
            .into_iter()
            .take(MAX_HITS)
            .collect();
        let mut picked = None;
        // Right to left: the hits first (they appear right of the box).
        if !self.query.trim().is_empty() {
            if hits.is_empty() {
                ui.weak(tr(lang, SearchKey::NoHit));
            }
            for place in hits.iter().rev() {
                if ui.small_button(&place.name).clicked() {
                    picked = Some(*place);
                }
            }
        }
        // The field before its label: right to left, the label then stands
        // left of the field, where a label is read first.
        let edit = egui::TextEdit::singleline(&mut self.query)
            .hint_text(tr(lang, SearchKey::Hint))
            .desired_width(130.0);
        let response = ui.add(edit);
        let label = ui.label(format!("{}:", tr(lang, SearchKey::Label)));
        let response = response.labelled_by(label.id);
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            picked = picked.or(hits.first().copied());
        }
        let place = picked?;
        self.query.clear();
        Some(PlacePick {
            position: place.position,
            zoom: zoom_for(place),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooms_by_precision() {
        let g = Gazetteer::bundled();
        assert_eq!(zoom_for(g.search("Sölvesborgs station")[0]), 16.0);
        assert_eq!(zoom_for(g.search("Mjällby")[0]), 14.0);
        assert_eq!(zoom_for(g.search("Sölvesborg")[0]), 13.0);
        for key in [SearchKey::Label, SearchKey::Hint, SearchKey::NoHit] {
            assert_ne!(tr(Language::Swedish, key), tr(Language::English, key));
        }
    }
}
