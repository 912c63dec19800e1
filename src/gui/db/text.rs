//! The strings of "Anslut till databas" and the live refresh: Swedish by
//! default, English switchable.

use std::collections::BTreeSet;

use crate::gui::i18n::Language;
use crate::store::changes::ChangeKind;

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
    /// The plan window: another user changed the item being edited.
    PlanFormKept,
    /// The plan window: another user changed the plan while drawing.
    PlanDrawingKept,
    /// The plan window: another user removed the item being edited.
    PlanItemRemoved,
    /// The incident editor: another user changed this incident.
    IncidentChangedMeanwhile,
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
        T::PlanFormKept => (
            "En annan användare ändrade det här objektet. Dina osparade ändringar \
             finns kvar i formuläret: spara för att skriva över, eller välj objektet \
             igen för att se den nya versionen.",
            "Another user changed this item. Your unsaved changes are kept in the \
             form: save to overwrite, or select the item again to see the new version.",
        ),
        T::PlanDrawingKept => (
            "En annan användare ändrade planen. Det du ritar finns kvar.",
            "Another user changed the plan. What you are drawing is kept.",
        ),
        T::PlanItemRemoved => (
            "En annan användare tog bort objektet du redigerade.",
            "Another user removed the item you were editing.",
        ),
        T::IncidentChangedMeanwhile => (
            "En annan användare ändrade den här händelsen medan du redigerar. Dina \
             ändringar finns kvar: spara för att skriva över.",
            "Another user changed this incident while you are editing it. Your \
             changes are kept: save to overwrite.",
        ),
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

/// The name of a kind of data in the notice ("händelser", "patrullplan", …).
fn kind_name(lang: Language, kind: ChangeKind) -> &'static str {
    let (sv, en) = match kind {
        ChangeKind::Incidents => ("händelser", "incidents"),
        ChangeKind::Layers => ("kartlager", "map layers"),
        ChangeKind::Plan => ("patrullplan", "patrol plan"),
        ChangeKind::WeekPlan => ("veckoplan", "week plan"),
        ChangeKind::Measures => ("åtgärder", "measures"),
        ChangeKind::Views => ("sparade vyer", "saved views"),
        ChangeKind::PoliceSummaries => ("polisens sammanfattningar", "police summaries"),
        ChangeKind::Project => ("projektets uppgifter", "project details"),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// "Uppdaterat från andra användare: patrullplan, åtgärder".
pub fn updated_from_others(lang: Language, kinds: &BTreeSet<ChangeKind>) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| kind_name(lang, *k)).collect();
    match lang {
        Language::Swedish => format!("Uppdaterat från andra användare: {}", names.join(", ")),
        Language::English => format!("Updated from other users: {}", names.join(", ")),
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
        let kinds = BTreeSet::from([ChangeKind::Plan, ChangeKind::Measures]);
        assert_eq!(
            updated_from_others(Language::Swedish, &kinds),
            "Uppdaterat från andra användare: patrullplan, åtgärder"
        );
        assert_eq!(
            updated_from_others(Language::English, &kinds),
            "Updated from other users: patrol plan, measures"
        );
    }
}
