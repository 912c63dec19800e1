//! The domain model: plain data with serde, no I/O.
//!
//! Positions are WGS84 longitude/latitude ([`LonLat`]); times are UTC instants
//! whose hour-of-day and weekday are always taken in Swedish local time
//! (Europe/Stockholm, DST-correct) through [`time`].

pub mod category;
pub mod filter;
pub mod incident;
pub mod plan;
pub mod shape;
pub mod source;
pub mod time;

pub use category::Category;
pub use filter::{Filter, FilterError, HourRange, Weekdays};
pub use incident::{Incident, IncidentPoint, LonLat, Precision, UidGenerator, new_uid};
pub use source::Source;

/// Lower-case, fold Swedish diacritics to ASCII, and turn every run of
/// non-alphanumeric characters into one space. Used to match free-text names
/// (categories, sources, column headers) loosely.
pub fn fold_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            'å' | 'ä' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            'í' | 'ï' => 'i',
            c => c,
        };
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        } else {
            pending_space = true;
        }
    }
    out
}

/// True when some word of `folded` (output of [`fold_name`]) is `syn`, or, for
/// synonyms of four letters or more, starts with it.
pub(crate) fn words_match(folded: &str, syn: &str) -> bool {
    folded
        .split(' ')
        .any(|w| w == syn || (syn.len() >= 4 && w.starts_with(syn)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_swedish_names() {
        assert_eq!(fold_name("  Källa / Tidpunkt "), "kalla tidpunkt");
        assert_eq!(fold_name("ÄRENDENR."), "arendenr");
        assert_eq!(fold_name(""), "");
    }
}
