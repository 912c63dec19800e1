//! The strings of "Anslut till databas" and the live refresh: Swedish by
//! default, English switchable.

use crate::gui::i18n::Language;

/// A string of the database dialog or the live refresh notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    Menu,
    Title,
    Help,
    LocationLabel,
    Connect,
    Cancel,
    Connecting,
    NotALocation,
    PasswordGiven,
    Failed,
}

/// The text of `key` in `lang`.
pub fn tr(lang: Language, key: T) -> &'static str {
    let (sv, en) = match key {
        T::Menu => ("Anslut till databas…", "Connect to database…"),
        T::Title => ("Anslut till databas", "Connect to database"),
        T::Help => (
            "Ett delat projekt i PostgreSQL/PostGIS: en adress som \
             postgresql://användare@server/databas eller ett servicenamn som \
             service=lagesbild. Lösenordet skrivs aldrig här och sparas aldrig: \
             det hämtas från .pgpass, servicefilen (pg_service.conf) eller \
             miljövariabeln PGPASSWORD.",
            "A shared project in PostgreSQL/PostGIS: an address such as \
             postgresql://user@server/database or a service name such as \
             service=lagesbild. The password is never typed here and never saved: \
             it comes from .pgpass, the service file (pg_service.conf) or the \
             PGPASSWORD environment variable.",
        ),
        T::LocationLabel => ("Databas", "Database"),
        T::Connect => ("Anslut", "Connect"),
        T::Cancel => ("Avbryt", "Cancel"),
        T::Connecting => ("Ansluter…", "Connecting…"),
        T::NotALocation => (
            "Ange en adress som börjar med postgresql:// eller postgres://, \
             eller service=NAMN.",
            "Give an address starting with postgresql:// or postgres://, or \
             service=NAME.",
        ),
        T::PasswordGiven => (
            "Skriv inte lösenordet i adressen. Lägg det i .pgpass, i \
             servicefilen (pg_service.conf) eller i PGPASSWORD.",
            "Do not put the password in the address. Keep it in .pgpass, in the \
             service file (pg_service.conf) or in PGPASSWORD.",
        ),
        T::Failed => ("Kunde inte ansluta", "Could not connect"),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// "N nya händelser från andra användare", with the number and its plural.
pub fn new_from_others(lang: Language, n: u64) -> String {
    match (lang, n) {
        (Language::Swedish, 1) => "1 ny händelse från andra användare".to_owned(),
        (Language::Swedish, n) => format!("{n} nya händelser från andra användare"),
        (Language::English, 1) => "1 new incident from other users".to_owned(),
        (Language::English, n) => format!("{n} new incidents from other users"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_right_in_both_languages() {
        assert_eq!(
            new_from_others(Language::Swedish, 3),
            "3 nya händelser från andra användare"
        );
        assert_eq!(
            new_from_others(Language::Swedish, 1),
            "1 ny händelse från andra användare"
        );
        assert_eq!(
            new_from_others(Language::English, 2),
            "2 new incidents from other users"
        );
        assert_ne!(
            tr(Language::Swedish, T::Menu),
            tr(Language::English, T::Menu)
        );
    }
}
