//! The strings of the plain map, the count-cell legend, the planner fixes,
//! saved views and presentation mode, in Swedish (default) and English, in
//! the style of [`crate::gui::i18n`].

use crate::gui::i18n::Language;

/// A translatable string of this part of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    CoarseExplained,
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_both_languages_and_they_differ() {
        for key in [T::CoarseExplained] {
            let sv = tr(Language::Swedish, key);
            let en = tr(Language::English, key);
            assert!(!sv.is_empty() && !en.is_empty());
            assert_ne!(sv, en, "{key:?}");
        }
    }
}
