//! Incident categories: stable machine keys, Swedish and English labels, and
//! lenient parsing of the names municipalities and the police really write.

use serde::{Deserialize, Serialize};

/// What kind of incident this is.
///
/// The machine key (`key()`) is what the project file stores; labels are for
/// people. New categories are appended, never renumbered or renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Vandalism, graffiti.
    Skadegorelse,
    /// Drug offences.
    Narkotika,
    /// Violence, assault, threats.
    Vald,
    /// Public disorder.
    Ordningsstorning,
    /// Theft, burglary.
    Stold,
    /// Fire, arson.
    Brand,
    /// Perceived unsafety, e.g. from safety walks.
    Otrygghet,
    /// Anything else; the original text is kept beside it.
    Ovrigt,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Skadegorelse,
        Category::Narkotika,
        Category::Vald,
        Category::Ordningsstorning,
        Category::Stold,
        Category::Brand,
        Category::Otrygghet,
        Category::Ovrigt,
    ];

    /// The position in [`Category::ALL`] (the declaration order).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Stable ASCII key stored in project files and used on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Category::Skadegorelse => "skadegorelse",
            Category::Narkotika => "narkotika",
            Category::Vald => "vald",
            Category::Ordningsstorning => "ordningsstorning",
            Category::Stold => "stold",
            Category::Brand => "brand",
            Category::Otrygghet => "otrygghet",
            Category::Ovrigt => "ovrigt",
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Category::Skadegorelse => "Skadegörelse",
            Category::Narkotika => "Narkotika",
            Category::Vald => "Våld",
            Category::Ordningsstorning => "Ordningsstörning",
            Category::Stold => "Stöld",
            Category::Brand => "Brand",
            Category::Otrygghet => "Otrygghet",
            Category::Ovrigt => "Övrigt",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Category::Skadegorelse => "Vandalism",
            Category::Narkotika => "Drugs",
            Category::Vald => "Violence",
            Category::Ordningsstorning => "Public disorder",
            Category::Stold => "Theft",
            Category::Brand => "Fire",
            Category::Otrygghet => "Perceived unsafety",
            Category::Ovrigt => "Other",
        }
    }

    /// Exact machine key, as stored.
    pub fn from_key(key: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == key)
    }

    /// Lenient match of a free category name (key, Swedish or English label, or a
    /// common synonym such as police event types), ignoring case and diacritics.
    /// Returns `None` when the text names no known category; importers then use
    /// [`Category::Ovrigt`] and keep the original text.
    pub fn parse_loose(text: &str) -> Option<Category> {
        let norm = super::fold_name(text);
        if norm.is_empty() {
            return None;
        }
        if let Some(c) = Category::ALL
            .into_iter()
            .find(|c| c.key() == norm || super::fold_name(c.label_en()) == norm)
        {
            return Some(c);
        }
        // Synonyms, matched against each word of the folded text (short ones
        // whole, longer ones as prefixes) so that "misshandel, grov" and
        // "olaga hot" are found but "hotell" is not.
        const SYNONYMS: &[(&str, Category)] = &[
            ("skadegor", Category::Skadegorelse),
            ("klotter", Category::Skadegorelse),
            ("vandal", Category::Skadegorelse),
            ("graffiti", Category::Skadegorelse),
            ("narkotika", Category::Narkotika),
            ("drog", Category::Narkotika),
            ("drug", Category::Narkotika),
            ("vald", Category::Vald),
            ("misshandel", Category::Vald),
            ("mord", Category::Vald),
            ("drap", Category::Vald),
            ("ran", Category::Vald),
            ("hot", Category::Vald),
            ("knivlagen", Category::Vald),
            ("vapenlagen", Category::Vald),
            ("skottlossning", Category::Vald),
            ("bradskande", Category::Vald),
            ("assault", Category::Vald),
            ("violence", Category::Vald),
            ("ordningsstorning", Category::Ordningsstorning),
            ("fylleri", Category::Ordningsstorning),
            ("berusad", Category::Ordningsstorning),
            ("ofredande", Category::Ordningsstorning),
            ("brak", Category::Ordningsstorning),
            ("disorder", Category::Ordningsstorning),
            ("stold", Category::Stold),
            ("inbrott", Category::Stold),
            ("snatteri", Category::Stold),
            ("tillgrepp", Category::Stold),
            ("theft", Category::Stold),
            ("burglary", Category::Stold),
            ("brand", Category::Brand),
            ("mordbrand", Category::Brand),
            ("fire", Category::Brand),
            ("arson", Category::Brand),
            ("otrygg", Category::Otrygghet),
            ("trygghetsvandring", Category::Otrygghet),
            ("unsafe", Category::Otrygghet),
            ("ovrigt", Category::Ovrigt),
            ("other", Category::Ovrigt),
        ];
        // Longest synonym first so "mordbrand" beats "mord".
        let mut best: Option<(&str, Category)> = None;
        for &(syn, cat) in SYNONYMS {
            if super::words_match(&norm, syn) && best.is_none_or(|(b, _)| syn.len() > b.len()) {
                best = Some((syn, cat));
            }
        }
        best.map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_key(c.key()), Some(c));
        }
    }

    #[test]
    fn the_index_is_the_position_in_all() {
        // Stored point caches keep the index: ALL and the declaration agree.
        for (i, c) in Category::ALL.into_iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }

    #[test]
    fn loose_names() {
        assert_eq!(
            Category::parse_loose("Skadegörelse"),
            Some(Category::Skadegorelse)
        );
        assert_eq!(Category::parse_loose("  VÅLD "), Some(Category::Vald));
        assert_eq!(
            Category::parse_loose("Misshandel, grov"),
            Some(Category::Vald)
        );
        assert_eq!(Category::parse_loose("Mordbrand"), Some(Category::Brand));
        assert_eq!(Category::parse_loose("Rattfylleri"), None);
        assert_eq!(
            Category::parse_loose("Stöld/inbrott"),
            Some(Category::Stold)
        );
        assert_eq!(
            Category::parse_loose("Public disorder"),
            Some(Category::Ordningsstorning)
        );
        assert_eq!(Category::parse_loose(""), None);
        assert_eq!(Category::parse_loose("Trafikolycka"), None);
    }
}
