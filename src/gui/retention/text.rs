//! The retention dialog's strings (Swedish default, English switchable), in
//! the style of `gui/i18n.rs`. Texts with numbers are built by functions.

use crate::gui::i18n::Language;
use crate::retention::{Age, Due};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Title,
    Delete,
    NotNow,
    Deleting,
    Logged,
    Failed,
}

pub fn tr(lang: Language, key: Key) -> &'static str {
    use Key::*;
    use Language::*;
    match (lang, key) {
        (Swedish, Title) => "Gallring",
        (English, Title) => "Retention",
        (Swedish, Delete) => "Ta bort",
        (English, Delete) => "Delete",
        (Swedish, NotNow) => "Inte nu",
        (English, NotNow) => "Not now",
        (Swedish, Deleting) => "Tar bort …",
        (English, Deleting) => "Deleting …",
        (Swedish, Logged) => "Gallringen är loggad i projektet.",
        (English, Logged) => "The deletion is logged in the project.",
        (Swedish, Failed) => "Gallringen misslyckades",
        (English, Failed) => "Retention failed",
    }
}

fn age(lang: Language, a: Age) -> String {
    match lang {
        Language::Swedish => a.label_sv(),
        Language::English => a.label_en(),
    }
}

/// The question's lines, e.g. "12 händelser äldre än 5 år — ta bort?".
pub fn question_lines(lang: Language, due: &Due) -> Vec<String> {
    let mut lines = Vec::new();
    if let (true, Some(a)) = (due.incidents > 0, due.policy.incidents) {
        lines.push(match lang {
            Language::Swedish => {
                format!(
                    "{} händelser äldre än {} — ta bort?",
                    due.incidents,
                    age(lang, a)
                )
            }
            Language::English => format!(
                "{} incidents older than {} — delete them?",
                due.incidents,
                age(lang, a)
            ),
        });
    }
    if let (true, Some(a)) = (due.tracks > 0, due.policy.tracks) {
        lines.push(match lang {
            Language::Swedish => format!(
                "{} GPS-spår från trygghetsvärdarna äldre än {} — ta bort?",
                due.tracks,
                age(lang, a)
            ),
            Language::English => format!(
                "{} hosts' GPS tracks older than {} — delete them?",
                due.tracks,
                age(lang, a)
            ),
        });
    }
    lines
}

/// What was deleted.
pub fn done_line(lang: Language, incidents: u64, tracks: u64) -> String {
    match lang {
        Language::Swedish => format!("{incidents} händelser och {tracks} spår borttagna."),
        Language::English => format!("{incidents} incidents and {tracks} tracks deleted."),
    }
}
