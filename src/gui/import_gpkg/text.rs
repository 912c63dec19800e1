//! The GeoPackage layer import dialog's strings (Swedish default, English
//! switchable), in the style of `gui/i18n.rs`. Texts with values are built
//! by functions.

use crate::gui::i18n::Language;
use crate::import::Field;

/// A string of the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Title,
    Reading,
    NotAProject,
    IsProject,
    OpenIt,
    NoPointLayer,
    Layer,
    Column,
    Type,
    ReadAs,
    NeedTime,
    Into,
    CurrentProject,
    NewProject,
    NewProjectFile,
    Import,
    Importing,
    Cancel,
    Close,
    Failed,
    NothingImported,
}

pub fn tr(lang: Language, key: Key) -> &'static str {
    use Key::*;
    use Language::*;
    match (lang, key) {
        (Swedish, Title) => "Importera ett GeoPackage-lager",
        (English, Title) => "Import a GeoPackage layer",
        (Swedish, Reading) => "Läser filens lager …",
        (English, Reading) => "Reading the file's layers …",
        (Swedish, NotAProject) => {
            "Filen är inget Lägesbild-projekt utan ett GeoPackage med egna lager (till exempel från QGIS eller ogr2ogr). Punkterna i ett lager kan importeras som händelser."
        }
        (English, NotAProject) => {
            "The file is not a Lägesbild project but a GeoPackage with its own layers (from QGIS or ogr2ogr, say). The points of a layer can be imported as incidents."
        }
        (Swedish, IsProject) => {
            "Filen är ett Lägesbild-projekt. Öppna det i stället för att importera från det."
        }
        (English, IsProject) => {
            "The file is a Lägesbild project. Open it instead of importing from it."
        }
        (Swedish, OpenIt) => "Öppna projektet",
        (English, OpenIt) => "Open the project",
        (Swedish, NoPointLayer) => {
            "Filen har inget punktlager att importera händelser från. Ytor och linjer läggs till som kartlager med Arkiv, \"Lägg till kartlager\"."
        }
        (English, NoPointLayer) => {
            "The file has no point layer to import incidents from. Areas and lines are added as map layers with File, \"Add map layer\"."
        }
        (Swedish, Layer) => "Punktlager",
        (English, Layer) => "Point layer",
        (Swedish, Column) => "Kolumn",
        (English, Column) => "Column",
        (Swedish, Type) => "Typ",
        (English, Type) => "Type",
        (Swedish, ReadAs) => "Läses som",
        (English, ReadAs) => "Read as",
        (Swedish, NeedTime) => {
            "Välj kolumnen med händelsens tidpunkt (eller datum): utan den kan inget importeras."
        }
        (English, NeedTime) => {
            "Choose the column with the incident's time (or date): nothing can be imported without it."
        }
        (Swedish, Into) => "Importera till",
        (English, Into) => "Import into",
        (Swedish, CurrentProject) => "det öppna projektet",
        (English, CurrentProject) => "the open project",
        (Swedish, NewProject) => "ett nytt projekt",
        (English, NewProject) => "a new project",
        (Swedish, NewProjectFile) => "Nytt projekts fil",
        (English, NewProjectFile) => "New project's file",
        (Swedish, Import) => "Importera",
        (English, Import) => "Import",
        (Swedish, Importing) => "Importerar …",
        (English, Importing) => "Importing …",
        (Swedish, Cancel) => "Avbryt",
        (English, Cancel) => "Cancel",
        (Swedish, Close) => "Stäng",
        (English, Close) => "Close",
        (Swedish, Failed) => "Importen misslyckades",
        (English, Failed) => "The import failed",
        (Swedish, NothingImported) => {
            "Inget kunde importeras, så det nya projektet togs bort igen; importrapporten säger varför."
        }
        (English, NothingImported) => {
            "Nothing could be imported, so the new project was removed again; the import report says why."
        }
    }
}

/// The name of a field in the "read as" list; `None` is "not read".
pub fn field_label(lang: Language, field: Option<Field>) -> &'static str {
    use Language::*;
    match (lang, field) {
        (Swedish, None | Some(Field::Ignore)) => "— läses inte",
        (English, None | Some(Field::Ignore)) => "— not read",
        (Swedish, Some(Field::OccurredAt)) => "Tidpunkt (datum och tid)",
        (English, Some(Field::OccurredAt)) => "Time (date and time)",
        (Swedish, Some(Field::Date)) => "Datum",
        (English, Some(Field::Date)) => "Date",
        (Swedish, Some(Field::Time)) => "Klockslag",
        (English, Some(Field::Time)) => "Time of day",
        (Swedish, Some(Field::Category)) => "Kategori",
        (English, Some(Field::Category)) => "Category",
        (Swedish, Some(Field::Source)) => "Källa",
        (English, Some(Field::Source)) => "Source",
        (Swedish, Some(Field::Place)) => "Plats",
        (English, Some(Field::Place)) => "Place",
        (Swedish, Some(Field::Description)) => "Beskrivning (fritext)",
        (English, Some(Field::Description)) => "Description (free text)",
        (Swedish, Some(Field::Id)) => "Källans id",
        (English, Some(Field::Id)) => "Source's id",
        (Swedish, Some(Field::Precision)) => "Noggrannhet (m)",
        (English, Some(Field::Precision)) => "Precision (m)",
        // Positions come from the layer's geometry; the list offers none of these.
        (Swedish, Some(_)) => "Koordinat",
        (English, Some(_)) => "Coordinate",
    }
}

/// A point layer in the layer list: "punkter (5 objekt)".
pub fn layer_line(lang: Language, name: &str, features: u64) -> String {
    match lang {
        Language::Swedish => format!("{name} ({features} objekt)"),
        Language::English => format!("{name} ({features} features)"),
    }
}

/// The file's other layers: "Andra lager (inga punkter): vägar (LINESTRING)".
pub fn other_layers_line(lang: Language, layers: &[(String, String)]) -> String {
    let list = layers
        .iter()
        .map(|(n, t)| format!("{n} ({t})"))
        .collect::<Vec<_>>()
        .join(", ");
    match lang {
        Language::Swedish => format!("Andra lager (inga punkter): {list}"),
        Language::English => format!("Other layers (no points): {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_field_has_its_own_label_in_both_languages() {
        for lang in [Language::Swedish, Language::English] {
            let labels: Vec<&str> = super::super::OFFERED_FIELDS
                .iter()
                .map(|f| field_label(lang, *f))
                .collect();
            let mut unique = labels.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "{labels:?}");
            assert!(!labels.contains(&field_label(lang, Some(Field::Lon))));
        }
    }
}
