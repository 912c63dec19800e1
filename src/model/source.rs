//! Where an incident report came from.

use serde::{Deserialize, Serialize};

/// The reporting party. Stored by its stable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Polis,
    Trygghetsvard,
    Skola,
    Socialtjanst,
    Raddningstjanst,
    Medborgare,
    Ovrigt,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Polis,
        Source::Trygghetsvard,
        Source::Skola,
        Source::Socialtjanst,
        Source::Raddningstjanst,
        Source::Medborgare,
        Source::Ovrigt,
    ];

    /// The position in [`Source::ALL`] (the declaration order).
    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn key(self) -> &'static str {
        match self {
            Source::Polis => "polis",
            Source::Trygghetsvard => "trygghetsvard",
            Source::Skola => "skola",
            Source::Socialtjanst => "socialtjanst",
            Source::Raddningstjanst => "raddningstjanst",
            Source::Medborgare => "medborgare",
            Source::Ovrigt => "ovrigt",
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Source::Polis => "Polis",
            Source::Trygghetsvard => "Trygghetsvärd",
            Source::Skola => "Skola",
            Source::Socialtjanst => "Socialtjänst",
            Source::Raddningstjanst => "Räddningstjänst",
            Source::Medborgare => "Medborgare",
            Source::Ovrigt => "Övrigt",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Source::Polis => "Police",
            Source::Trygghetsvard => "Security host",
            Source::Skola => "School",
            Source::Socialtjanst => "Social services",
            Source::Raddningstjanst => "Rescue service",
            Source::Medborgare => "Citizen",
            Source::Ovrigt => "Other",
        }
    }

    pub fn from_key(key: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Lenient match of a free source name, ignoring case and diacritics.
    pub fn parse_loose(text: &str) -> Option<Source> {
        let norm = super::fold_name(text);
        if norm.is_empty() {
            return None;
        }
        if let Some(s) = Source::ALL
            .into_iter()
            .find(|s| s.key() == norm || super::fold_name(s.label_en()) == norm)
        {
            return Some(s);
        }
        const SYNONYMS: &[(&str, Source)] = &[
            ("polis", Source::Polis),
            ("police", Source::Polis),
            ("trygghetsvard", Source::Trygghetsvard),
            ("host", Source::Trygghetsvard),
            ("skola", Source::Skola),
            ("elevhalsa", Source::Skola),
            ("school", Source::Skola),
            ("social", Source::Socialtjanst),
            ("ifo", Source::Socialtjanst),
            ("individ", Source::Socialtjanst),
            ("raddning", Source::Raddningstjanst),
            ("rescue", Source::Raddningstjanst),
            ("fire", Source::Raddningstjanst),
            ("medborgar", Source::Medborgare),
            ("allmanhet", Source::Medborgare),
            ("citizen", Source::Medborgare),
            ("trygghetsvandring", Source::Medborgare),
            ("ovrig", Source::Ovrigt),
            ("other", Source::Ovrigt),
        ];
        let mut best: Option<(&str, Source)> = None;
        for &(syn, src) in SYNONYMS {
            if super::words_match(&norm, syn) && best.is_none_or(|(b, _)| syn.len() > b.len()) {
                best = Some((syn, src));
            }
        }
        best.map(|(_, s)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for s in Source::ALL {
            assert_eq!(Source::from_key(s.key()), Some(s));
        }
    }

    #[test]
    fn the_index_is_the_position_in_all() {
        // Stored point caches keep the index: ALL and the declaration agree.
        for (i, s) in Source::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
        }
    }

    #[test]
    fn loose_names() {
        assert_eq!(
            Source::parse_loose("Trygghetsvärd"),
            Some(Source::Trygghetsvard)
        );
        assert_eq!(Source::parse_loose("POLISEN"), Some(Source::Polis));
        assert_eq!(
            Source::parse_loose("Räddningstjänsten"),
            Some(Source::Raddningstjanst)
        );
        assert_eq!(
            Source::parse_loose("Social services"),
            Some(Source::Socialtjanst)
        );
        assert_eq!(Source::parse_loose("Kustbevakningen"), None);
    }
}
