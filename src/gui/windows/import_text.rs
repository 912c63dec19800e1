//! The import report's own strings, and the importers' notes in Swedish.
//!
//! The importers (`crate::import`) write their notes in English, one
//! sentence each, from a fixed set of templates with values filled in (file
//! column names, counts, line numbers, coordinate systems). [`swedish_note`]
//! matches a note against the Swedish counterpart of each template and puts
//! the values back in; a test imports real and realistic files of every
//! format and checks that each note they produce has a translation, so a new
//! importer note without one fails the build's tests.

use crate::gui::i18n::Language;

/// A string of the import report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpText {
    Updated,
    Summaries,
    SummariesHint,
    Notes,
}

pub fn tr(lang: Language, key: ImpText) -> &'static str {
    use ImpText::*;
    use Language::*;
    match (lang, key) {
        (Swedish, Updated) => "Uppdaterade",
        (English, Updated) => "Updated",
        (Swedish, Summaries) => "Sammanfattningar och meddelanden (hålls isär)",
        (English, Summaries) => "Summaries and notices (kept apart)",
        (Swedish, SummariesHint) => {
            "Polisens sammanfattningar och meddelanden är inga händelser: de lagras för sig och räknas inte i kartan eller statistiken."
        }
        (English, SummariesHint) => {
            "The Police's summaries and notices are not incidents: they are stored apart and count neither on the map nor in the statistics."
        }
        (Swedish, Notes) => "Så lästes filen",
        (English, Notes) => "How the file was read",
    }
}

/// Templates of importer notes: the English text with `{}` where a value
/// stands, and the Swedish text with the values in the same order. More
/// specific templates come before more general ones with the same start.
const TEMPLATES: &[(&str, &str)] = &[
    // CSV: encoding.
    ("Encoding: UTF-8", "Teckenkodning: UTF-8"),
    (
        "Encoding: UTF-8, with {} invalid byte sequence(s) shown as \u{fffd}",
        "Teckenkodning: UTF-8, med {} ogiltiga bytesekvenser visade som \u{fffd}",
    ),
    (
        "Encoding: UTF-8 (with BOM)",
        "Teckenkodning: UTF-8 (med BOM)",
    ),
    ("Encoding: {}", "Teckenkodning: {}"),
    // CSV: which coordinate columns.
    (
        "--crs {} was not used: the columns {} and {} hold longitude/latitude degrees, read as WGS 84",
        "--crs {} användes inte: kolumnerna {} och {} innehåller longitud och latitud i grader och lästes som WGS 84",
    ),
    (
        "Coordinates: read from {} and {} (WGS84); the projected columns were not used",
        "Koordinater: lästa från {} och {} (WGS 84); de projicerade kolumnerna användes inte",
    ),
    (
        "Coordinates: {} and {} hold projected values, read in the --crs system",
        "Koordinater: {} och {} innehåller projicerade värden, lästa i systemet som --crs anger",
    ),
    (
        "Coordinates: {} and {} hold no degrees, so the projected columns were used",
        "Koordinater: {} och {} innehåller inga grader, så de projicerade kolumnerna användes",
    ),
    // CSV: dates and times.
    (
        "Dates: read as month/day/year, as line {} writes {}",
        "Datum lästa som månad/dag/år, så som rad {} skriver {}",
    ),
    (
        "Dates: read as day/month/year, as line {} writes {}",
        "Datum lästa som dag/månad/år, så som rad {} skriver {}",
    ),
    (
        "Decimal comma: numbers such as {} were read with the comma as the decimal point",
        "Decimalkomma: tal som {} lästes med kommat som decimaltecken",
    ),
    (
        "Dates: {} date(s) such as {} (line {}) could be day/month or month/day; read as day/month/year, as Swedish files write them",
        "Datum: {} datum som {} (rad {}) kan vara dag/månad eller månad/dag; lästa som dag/månad/år, så som svenska filer skriver dem",
    ),
    (
        "Times: {} row(s) have a date but no time of day; stored at 00:00 local time",
        "Tider: {} rader har datum men inget klockslag; de lagrades kl. 00.00 svensk tid",
    ),
    ("{} empty row(s) skipped", "{} tomma rader hoppades över"),
    (
        "Times: {} (line {}) happens twice in Swedish local time (the clocks go back that night); read as summer time (CEST), and likewise for any later such time",
        "Tider: {} (rad {}) inträffar två gånger i svensk tid (klockan ställs tillbaka den natten); lästes som sommartid, liksom senare sådana tider",
    ),
    // GeoJSON.
    (
        "Coordinates read as WGS84 longitude, latitude (RFC 7946).",
        "Koordinater lästa som WGS 84 longitud, latitud (RFC 7946).",
    ),
    (
        "Coordinates read as {} as --crs says, although the file's crs member names {}; x = easting, y = northing.",
        "Koordinater lästa som {} enligt --crs, fast filens crs-fält anger {}; x = östlig, y = nordlig koordinat.",
    ),
    (
        "Coordinates read as {} (--crs); x = easting, y = northing.",
        "Koordinater lästa som {} (--crs); x = östlig, y = nordlig koordinat.",
    ),
    (
        "Coordinates converted from {}, named by the file's legacy crs member; x = easting, y = northing.",
        "Koordinater omräknade från {}, som filens crs-fält (äldre form) anger; x = östlig, y = nordlig koordinat.",
    ),
    (
        "Properties left unread (no matching field; map them with --map NAME=FIELD): {}.",
        "Egenskaper som inte lästes (inget motsvarande fält; koppla dem med --map NAMN=FÄLT): {}.",
    ),
    (
        "Times: {} feature(s) have a date but no time of day; stored at 00:00 local time",
        "Tider: {} objekt har datum men inget klockslag; de lagrades kl. 00.00 svensk tid",
    ),
    // A GeoPackage layer (`import::gpkg_layer`).
    (
        "GeoPackage layer {}: {} feature(s); attributes read by the CSV header rules (--map COLUMN=FIELD overrides).",
        "GeoPackage-lagret {}: {} objekt; attributen lästes efter kolumnernas namn som i en CSV-fil, eller som de kopplades.",
    ),
    (
        "--map {}={}: no feature has a property {}",
        "Kopplingen {}={}: inget objekt har egenskapen {}",
    ),
    // Police events.
    (
        "Polisen events: each event's time is read from its name (day, month, clock time); its year is the one that puts it closest to the publication time.",
        "Polisens händelser: varje händelses tid läses ur rubriken (dag, månad, klockslag); året är det som lägger tiden närmast publiceringstiden.",
    ),
    (
        "Police positions are only the centre of a town, municipality or county, so the events are stored as coarse: precision {} m for a municipality or town name, {} m for a county (a name ending in \"län\"), unless the gazetteer places them.",
        "Polisens positioner är bara mitten av en ort, en kommun eller ett län, så händelserna lagras som grova: noggrannhet {} m för en kommun eller ort, {} m för ett län (ett namn som slutar på \"län\"), om inte ortregistret placerar dem.",
    ),
    (
        "{} event time(s) read from the event names.",
        "{} händelsetider lästa ur händelsernas rubriker.",
    ),
    (
        "{} event(s) named no clock time (or no readable date); their publication time was used instead.",
        "{} händelser angav inget klockslag (eller inget läsbart datum); publiceringstiden användes i stället.",
    ),
    (
        "{} event time(s) fell in the hour skipped when clocks go forward and were read as summer time, one hour later.",
        "{} händelsetider låg i timmen som hoppas över när klockan ställs fram och lästes som sommartid, en timme senare.",
    ),
    (
        "{} summar(y/ies) or notice(s) (\"Sammanfattning …\", \"Information\", \"Uppdatering\", press-service notices) are not incidents: kept apart, out of the incidents and statistics.",
        "{} sammanfattningar eller meddelanden (\"Sammanfattning …\", \"Information\", \"Uppdatering\", presstjänstens meddelanden) är inga händelser: de hålls isär, utanför händelserna och statistiken.",
    ),
    (
        "{} event(s) had only a county position; they were put at the municipality their name ends with ({} m).",
        "{} händelser hade bara länets position; de placerades i kommunen som rubriken slutar med ({} m).",
    ),
    (
        "{} event(s) name a place of the gazetteer (data/gazetteer.csv) in their title or summary and were placed there with that place's precision.",
        "{} händelser nämner en plats i ortregistret (data/gazetteer.csv) i rubrik eller sammanfattning och placerades där med platsens noggrannhet.",
    ),
    (
        "{} event(s) had been edited by the Police since they were stored and were updated in place; the earlier versions are kept in the project's history.",
        "{} händelser hade ändrats av Polisen sedan de lagrades och uppdaterades; de tidigare versionerna finns kvar i projektets historik.",
    ),
    (
        "{} summar(y/ies) stored as incidents by an earlier version were taken out of the incidents.",
        "{} sammanfattningar som en tidigare version lagrat som händelser togs ut ur händelserna.",
    ),
];

/// The values of `text` where `template` has `{}`, or `None` when the text
/// does not have the template's form. A value is never empty.
fn captures<'t>(template: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let pieces: Vec<&str> = template.split("{}").collect();
    let mut rest = text.strip_prefix(pieces[0])?;
    let mut values = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last {
            // The last literal ends the text.
            if piece.is_empty() {
                rest.len()
            } else {
                rest.strip_suffix(piece).map(str::len)?
            }
        } else {
            rest.find(piece)?
        };
        if at == 0 {
            return None;
        }
        values.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    (pieces.len() == 1 && rest.is_empty() || pieces.len() > 1).then_some(values)
}

/// `template` with each `{}` replaced by the next of `values`.
fn fill(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut values = values.iter();
    let mut pieces = template.split("{}").peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(values.next().copied().unwrap_or(""));
        }
    }
    out
}

/// The Swedish words of the phrases the coordinate detector builds its note
/// from ("Coordinates read as SWEREF 99 TM (EPSG:3006) with X = northing,
/// Y = easting (Swedish convention), from column names X/Y and value
/// ranges."). Replaced longest first, each with the " = " or ", " that
/// starts it, so that column names are left as they are.
const DETECT_PHRASES: &[(&str, &str)] = &[
    (
        ", from the value ranges, although the column names ",
        ", enligt värdenas storlek, fast kolumnnamnen ",
    ),
    (" suggest the opposite order", " antyder motsatt ordning"),
    (", from column names ", ", enligt kolumnnamnen "),
    (" and value ranges", " och värdenas storlek"),
    (", from the value ranges", ", enligt värdenas storlek"),
    (", as mapped", ", enligt --map"),
    (" = northing", " = nordlig koordinat"),
    (" = easting", " = östlig koordinat"),
    (" = latitude", " = latitud"),
    (" = longitude", " = longitud"),
    (" (Swedish convention)", " (svensk konvention)"),
    (" (GIS convention)", " (GIS-konvention)"),
];

/// The detector's note (see [`DETECT_PHRASES`]) in Swedish.
fn swedish_detect_note(note: &str) -> Option<String> {
    let body = note
        .strip_prefix("Coordinates read as ")?
        .strip_suffix('.')?;
    let (system, rest) = body.split_once(" with ")?;
    let (system, given) = match system.strip_suffix(", as given,") {
        Some(s) => (s, " (som angivet)"),
        None => (system, ""),
    };
    let (axes, left_out) = match rest.split_once("; ") {
        Some((a, l)) => (a, Some(l)),
        None => (rest, None),
    };
    let mut axes = axes.to_owned();
    for (en, sv) in DETECT_PHRASES {
        axes = axes.replace(en, sv);
    }
    let mut out = format!("Koordinater lästa som {system}{given} med {axes}");
    if let Some(left_out) = left_out {
        let left_out = swedish_lines(left_out);
        let sv = [
            (
                "{} of {} sample rows do not fit it{} and are rejected by line",
                "{} av {} stickprovsrader passar inte{} och avvisas radvis",
            ),
            (
                "{} of {} sample rows read differently or fit no system{} and are rejected by line unless they fit once read this way (if the file mixes systems, pass --crs)",
                "{} av {} stickprovsrader läses annorlunda eller passar inget system{} och avvisas radvis om de inte passar när de läses så här (blandar filen system, ange --crs)",
            ),
        ]
        .iter()
        .find_map(|(en, sv)| captures_lines(en, &left_out).map(|v| fill(sv, &v)))?;
        out.push_str("; ");
        out.push_str(&sv);
    }
    out.push('.');
    Some(out)
}

/// Like [`captures`], but the value before " and are rejected" may be empty
/// (a note with no known lines).
fn captures_lines<'t>(template: &str, text: &'t str) -> Option<Vec<&'t str>> {
    captures(template, text).or_else(|| {
        let without = template.replacen("{} and are", " and are", 1);
        let mut values = captures(&without, text)?;
        values.push("");
        Some(values)
    })
}

/// " (line 5)", " (lines 5, 7 and 3 more)" in Swedish.
fn swedish_lines(text: &str) -> String {
    let mut out = text
        .replace(" (lines ", " (rader ")
        .replace(" (line ", " (rad ");
    if let Some(at) = out.find(" more)") {
        // " and N more)" → " och N till)".
        if let Some(and) = out[..at].rfind(" and ") {
            let n = out[and + 5..at].to_owned();
            out.replace_range(and..at + 6, &format!(" och {n} till)"));
        }
    }
    out
}

/// `"Tidpunkt" as occurred_at, "Typ" as category` with each field in
/// words: `Tidpunkt = tidpunkt, Typ = kategori`. `None` if a field is not
/// one of the importer's.
pub fn fields_in_words(
    lang: Language,
    list: &str,
    field_words: fn(Language, &str) -> Option<&'static str>,
) -> Option<String> {
    let parts: Option<Vec<String>> = list
        .split(", \"")
        .map(|part| {
            let part = part.trim_start_matches('"');
            let (column, field) = part.rsplit_once("\" as ")?;
            Some(format!("{column} = {}", field_words(lang, field)?))
        })
        .collect();
    Some(parts?.join(", "))
}

/// An importer note in Swedish, or `None` when it has none of the known
/// forms (the caller then shows it as it is).
pub fn swedish_note(note: &str) -> Option<String> {
    TEMPLATES
        .iter()
        .find_map(|(en, sv)| captures(en, note).map(|values| fill(sv, &values)))
        .or_else(|| swedish_detect_note(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_and_fill() {
        assert_eq!(captures("a {} b {} c", "a 1 b 22 c"), Some(vec!["1", "22"]));
        assert_eq!(captures("a {} b", "a  b"), None, "empty value");
        assert_eq!(captures("Encoding: UTF-8", "Encoding: UTF-8"), Some(vec![]));
        assert_eq!(
            captures("Encoding: UTF-8", "Encoding: UTF-8 (with BOM)"),
            None
        );
        assert_eq!(captures("{} rows", "12 rows"), Some(vec!["12"]));
        assert_eq!(fill("x {} y {}", &["1", "2"]), "x 1 y 2");
    }

    #[test]
    fn detector_notes_in_swedish() {
        assert_eq!(
            swedish_detect_note(
                "Coordinates read as SWEREF 99 TM (EPSG:3006) with X = northing, Y = easting (Swedish convention), from column names X/Y and value ranges."
            )
            .unwrap(),
            "Koordinater lästa som SWEREF 99 TM (EPSG:3006) med X = nordlig koordinat, Y = östlig koordinat (svensk konvention), enligt kolumnnamnen X/Y och värdenas storlek."
        );
        assert_eq!(
            swedish_detect_note(
                "Coordinates read as SWEREF 99 TM (EPSG:3006), as given, with X = easting, Y = northing (GIS convention), from column names X/Y and value ranges; 1 of 40 sample rows do not fit it (line 7) and are rejected by line."
            )
            .unwrap(),
            "Koordinater lästa som SWEREF 99 TM (EPSG:3006) (som angivet) med X = östlig koordinat, Y = nordlig koordinat (GIS-konvention), enligt kolumnnamnen X/Y och värdenas storlek; 1 av 40 stickprovsrader passar inte (rad 7) och avvisas radvis."
        );
        let many = swedish_detect_note(
            "Coordinates read as RT 90 2.5 gon V (EPSG:3021) with a = northing, b = easting, from the value ranges; 12 of 200 sample rows read differently or fit no system (lines 1, 2, 3, 4, 5, 6, 7, 8 and 4 more) and are rejected by line unless they fit once read this way (if the file mixes systems, pass --crs).",
        )
        .unwrap();
        assert!(
            many.contains("(rader 1, 2, 3, 4, 5, 6, 7, 8 och 4 till) och avvisas radvis"),
            "{many}"
        );
        assert!(
            !many.contains("northing") && !many.contains(" and "),
            "{many}"
        );
    }
}
