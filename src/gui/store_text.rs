//! Store errors as the app shows them (Swedish default, English
//! switchable): a write that found the project locked by another program
//! says so in the user's language; other errors keep their own text.

use crate::gui::i18n::Language;
use crate::store::StoreError;
use crate::store::gpkg::BUSY_TIMEOUT;

/// `err` for a message line: [`StoreError::Locked`] in `lang`, anything
/// else as its own text.
pub fn store_error_text(lang: Language, err: &StoreError) -> String {
    match err {
        StoreError::Locked { location, .. } => locked_text(lang, location),
        other => other.to_string(),
    }
}

/// [`store_error_text`] for an error chain: finds a [`StoreError::Locked`]
/// anywhere in it, else the whole chain on one line (`{:#}`).
pub fn error_text(lang: Language, err: &anyhow::Error) -> String {
    err.chain()
        .find_map(|e| match e.downcast_ref::<StoreError>() {
            Some(StoreError::Locked { location, .. }) => Some(locked_text(lang, location)),
            _ => None,
        })
        .unwrap_or_else(|| format!("{err:#}"))
}

fn locked_text(lang: Language, location: &str) -> String {
    let secs = BUSY_TIMEOUT.as_secs();
    match lang {
        Language::Swedish => format!(
            "{location}: projektet skrivs just nu av ett annat program (det har hållit \
             skrivlåset i mer än {secs} s); försök igen. Inget har ändrats."
        ),
        Language::English => format!(
            "{location}: the project is being written by another program (it has held the \
             write lock for more than {secs} s); try again. Nothing was changed."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locked() -> StoreError {
        StoreError::Locked {
            location: "/tmp/p.gpkg".to_owned(),
            detail: "it held the write lock for more than 5 s".to_owned(),
        }
    }

    #[test]
    fn a_locked_project_is_explained_in_the_chosen_language() {
        let sv = store_error_text(Language::Swedish, &locked());
        assert!(sv.starts_with("/tmp/p.gpkg: projektet skrivs just nu av ett annat program"));
        assert!(sv.contains("försök igen"), "{sv}");
        let en = store_error_text(Language::English, &locked());
        assert!(en.contains("being written by another program"), "{en}");
        assert!(en.contains("try again"), "{en}");
    }

    #[test]
    fn the_lock_is_found_inside_an_error_chain_and_others_keep_their_text() {
        let chained = anyhow::Error::new(locked()).context("save view");
        assert!(error_text(Language::Swedish, &chained).contains("försök igen"));
        let other = anyhow::Error::new(StoreError::Unsupported { what: "views" }).context("x");
        assert_eq!(
            error_text(Language::English, &other),
            "x: this store does not support views"
        );
    }
}
