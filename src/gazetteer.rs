//! The gazetteer: named places of the municipality (localities and key places
//! such as the railway station) with a position and an honest precision, and
//! the finding of those names in free Swedish text.
//!
//! The list ships in `data/gazetteer.csv` (sources, licences and precision in
//! `data/README.md`) and is compiled into the program, so the binary works
//! anywhere; [`Gazetteer::bundled`] reads it once. A municipality can extend
//! it: [`Gazetteer::parse`] reads any file of the same columns.
//!
//! # Finding names in text
//! [`Gazetteer::find_in_text`] splits the text into words (letters and
//! digits; everything else, hyphens included, separates words), folds case
//! and the Swedish letters (å, ä → a, ö → o, as [`fold_name`] does) and looks
//! for each place's name and aliases as whole words:
//! - word boundaries: "Mjällbyvägen" is not "Mjällby";
//! - the longest name wins where names overlap ("Sölvesborgs station" over
//!   "Sölvesborg"), and matches do not overlap;
//! - the genitive counts: "Mjällbys centrum" names Mjällby, "Sölvesborgs
//!   station" the station;
//! - the word before a match is kept when it is a locative preposition or
//!   position word ("i Mjällby", "på Stortorget", "vid Sölvesborgs station",
//!   "centrala Sölvesborg"): [`Match::locative`].
//!
//! # Placing an event
//! [`Gazetteer::place_event`] decides whether a police event's text names a
//! place precise enough to replace its coarse position (see its docs).

use std::sync::OnceLock;

use crate::crs::sweref_from_wgs84;
use crate::model::{LonLat, fold_name};

/// What kind of place an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaceKind {
    /// A town or village (tätort, småort).
    Locality,
    /// A railway station or travel centre.
    Station,
    /// A square (torg).
    Square,
    /// A harbour.
    Harbour,
    /// A park.
    Park,
    /// A school.
    School,
}

impl PlaceKind {
    /// The key used in the gazetteer file's `kind` column.
    pub fn key(self) -> &'static str {
        match self {
            PlaceKind::Locality => "locality",
            PlaceKind::Station => "station",
            PlaceKind::Square => "square",
            PlaceKind::Harbour => "harbour",
            PlaceKind::Park => "park",
            PlaceKind::School => "school",
        }
    }

    /// Reads a `kind` column value.
    pub fn parse(text: &str) -> Option<PlaceKind> {
        [
            PlaceKind::Locality,
            PlaceKind::Station,
            PlaceKind::Square,
            PlaceKind::Harbour,
            PlaceKind::Park,
            PlaceKind::School,
        ]
        .into_iter()
        .find(|k| k.key() == text.trim())
    }
}

/// One named place.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The name as it is written ("Sölvesborgs station").
    pub name: String,
    pub kind: PlaceKind,
    /// WGS84 position.
    pub position: LonLat,
    /// Radius in metres within which the place (and its coordinate's error)
    /// lies: an event placed here gets this precision.
    pub precision_m: f64,
    /// Other ways the place is written ("Sölvesborgs resecentrum").
    pub aliases: Vec<String>,
    /// Where the coordinate comes from (e.g. "GeoNames 2691793").
    pub source: String,
}

/// A gazetteer file that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("gazetteer line {line}: {reason}")]
pub struct GazetteerError {
    pub line: u64,
    pub reason: String,
}

/// One name found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    pub place: &'a Place,
    /// Byte range of the matched words in the text.
    pub start: usize,
    pub end: usize,
    /// The word before the match, folded, when it is a locative preposition
    /// or position word ("i", "på", "vid", "centrala", …).
    pub locative: Option<&'static str>,
    /// The name is followed by a sports club's abbreviation ("Mjällby AIF"):
    /// the club, not the place.
    pub club: bool,
}

/// Words after a locality's name that make it a sports club's ("Mjällby
/// AIF"), not the place.
const CLUB_WORDS: [&str; 6] = ["aif", "if", "bk", "ff", "ik", "fk"];

/// Words that, just before a name, say that something happened there.
const LOCATIVES: [&str; 22] = [
    "i", "pa", "vid", "utanfor", "nara", "intill", "invid", "kring", "runt", "fran", "till", "mot",
    "genom", "mellan", "inne", "centrala", "norra", "sodra", "ostra", "vastra", "inom", "over",
];

/// One searchable form of a place: its folded words.
#[derive(Debug, Clone)]
struct Pattern {
    words: Vec<String>,
    place: usize,
}

/// Named places with their search patterns. See the module docs.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    places: Vec<Place>,
    /// Longest first, so the first pattern that matches at a word is the
    /// longest there.
    patterns: Vec<Pattern>,
}

/// The bundled file (`data/gazetteer.csv`).
const BUNDLED: &str = include_str!("../data/gazetteer.csv");

/// Where the bundled list comes from, for the app and reports.
pub const BUNDLED_SOURCE: &str = "data/gazetteer.csv (GeoNames, CC BY 4.0; Trafikverket)";

impl Gazetteer {
    /// The gazetteer shipped with the program (`data/gazetteer.csv`), read on
    /// first use.
    pub fn bundled() -> &'static Gazetteer {
        static BUNDLED_GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
        BUNDLED_GAZETTEER.get_or_init(|| {
            // The shipped file is checked by the tests; an error here would be
            // a build with a broken data file, so fall back to an empty list
            // rather than panic in the field.
            Gazetteer::parse(BUNDLED).unwrap_or_else(|_| Gazetteer::new(Vec::new()))
        })
    }

    /// A gazetteer of these places.
    pub fn new(places: Vec<Place>) -> Gazetteer {
        let mut patterns = Vec::new();
        for (i, p) in places.iter().enumerate() {
            for form in std::iter::once(&p.name).chain(&p.aliases) {
                let words: Vec<String> = fold_name(form)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect();
                if !words.is_empty() {
                    patterns.push(Pattern { words, place: i });
                }
            }
        }
        patterns.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        Gazetteer { places, patterns }
    }

    /// Reads a gazetteer CSV: a header line, then
    /// `name,kind,lon,lat,precision_m,aliases,source` with aliases separated
    /// by `|` (see `data/README.md`).
    pub fn parse(text: &str) -> Result<Gazetteer, GazetteerError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let err = |line: u64, reason: String| GazetteerError { line, reason };
        let headers = reader
            .headers()
            .map_err(|e| err(1, format!("unreadable header: {e}")))?
            .clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| err(1, format!("no {name:?} column")))
        };
        let (c_name, c_kind, c_lon, c_lat, c_prec) = (
            column("name")?,
            column("kind")?,
            column("lon")?,
            column("lat")?,
            column("precision_m")?,
        );
        let c_aliases = headers.iter().position(|h| h.trim() == "aliases");
        let c_source = headers.iter().position(|h| h.trim() == "source");
        let mut places = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                err(line, format!("unreadable row: {e}"))
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let name = field(c_name);
            if name.is_empty() {
                return Err(err(line, "empty name".to_owned()));
            }
            let kind = PlaceKind::parse(field(c_kind)).ok_or_else(|| {
                err(
                    line,
                    format!(
                        "unknown kind {:?}: expected locality, station, square, harbour, park or school",
                        field(c_kind)
                    ),
                )
            })?;
            let number = |i: usize, what: &str| {
                field(i)
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| err(line, format!("unreadable {what} {:?}", field(i))))
            };
            let position = LonLat::new(number(c_lon, "lon")?, number(c_lat, "lat")?);
            if !position.is_in_sweden_region() {
                return Err(err(
                    line,
                    format!(
                        "position (lon {}, lat {}) is far outside Sweden",
                        position.lon, position.lat
                    ),
                ));
            }
            let precision_m = number(c_prec, "precision_m")?;
            if precision_m <= 0.0 {
                return Err(err(line, "precision_m must be positive".to_owned()));
            }
            let aliases = c_aliases
                .map(|i| {
                    field(i)
                        .split('|')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let source = c_source.map(|i| field(i).to_owned()).unwrap_or_default();
            places.push(Place {
                name: name.to_owned(),
                kind,
                position,
                precision_m,
                aliases,
                source,
            });
        }
        Ok(Gazetteer::new(places))
    }

    /// Every place, in file order.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The localities (towns and villages), e.g. for labels on a plain map.
    pub fn localities(&self) -> impl Iterator<Item = &Place> {
        self.places.iter().filter(|p| p.kind == PlaceKind::Locality)
    }

    /// Places whose name or an alias matches what a user typed into a search
    /// box: whole name first, then names starting with the query, then names
    /// with a word starting with it; case and å/ä/ö folded. An empty query
    /// finds nothing.
    pub fn search(&self, query: &str) -> Vec<&Place> {
        let q = fold_name(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut ranked: Vec<(u8, usize)> = Vec::new();
        for (i, p) in self.places.iter().enumerate() {
            let rank = std::iter::once(&p.name)
                .chain(&p.aliases)
                .filter_map(|form| {
                    let f = fold_name(form);
                    if f == q {
                        Some(0)
                    } else if f.starts_with(&q) {
                        Some(1)
                    } else if f.split(' ').any(|w| w.starts_with(&q)) || f.contains(&q) {
                        Some(2)
                    } else {
                        None
                    }
                })
                .min();
            if let Some(rank) = rank {
                ranked.push((rank, i));
            }
        }
        ranked.sort();
        ranked.into_iter().map(|(_, i)| &self.places[i]).collect()
    }

    /// Every place named in `text`, left to right, longest name first where
    /// names overlap. See the module docs.
    pub fn find_in_text<'a>(&'a self, text: &str) -> Vec<Match<'a>> {
        let words = words(text);
        let mut found = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let hit = self
                .patterns
                .iter()
                .find(|p| matches_at(&words, i, &p.words));
            match hit {
                Some(p) => {
                    let last = i + p.words.len() - 1;
                    let locative = i
                        .checked_sub(1)
                        .and_then(|b| LOCATIVES.iter().find(|l| **l == words[b].folded))
                        .copied();
                    let club = words
                        .get(last + 1)
                        .is_some_and(|w| CLUB_WORDS.contains(&w.folded.as_str()));
                    found.push(Match {
                        place: &self.places[p.place],
                        start: words[i].start,
                        end: words[last].end,
                        locative,
                        club,
                    });
                    i = last + 1;
                }
                None => i += 1,
            }
        }
        found
    }

    /// The place a police event's text names, when it is more precise than
    /// the event's coarse position and lies within it.
    ///
    /// # Parameters
    /// - `texts`: the event's title (name) and summary;
    /// - `location_name`: the event's `location.name` ("Sölvesborg");
    /// - `coarse`: the event's position and precision in metres.
    ///
    /// # Rules
    /// - A key place (station, square, harbour, park, school) counts wherever
    ///   it is named: such names are specific.
    /// - A locality counts when it is not the event's own location name: the
    ///   police use municipality names ("Sölvesborg") that are also town
    ///   names, so that name alone says nothing new; "centrala Sölvesborg"
    ///   does name the town.
    /// - A name after "mellan" ("på E22 mellan Norje och Pukavik") is one
    ///   end of a stretch, not the place, and a club ("Mjällby AIF") is not
    ///   its home town: neither counts.
    /// - The place must lie within the coarse circle (a same-named place
    ///   elsewhere in Sweden is not meant) and be more precise than it.
    /// - Of several candidates the most precise wins; two different places of
    ///   equal precision (e.g. "mellan Mjällby och Hällevik") are ambiguous
    ///   and the coarse position stays.
    pub fn place_event<'a>(
        &'a self,
        texts: &[&str],
        location_name: Option<&str>,
        coarse: (LonLat, f64),
    ) -> Option<&'a Place> {
        let own = location_name.map(fold_name);
        let (coarse_at, coarse_m) = coarse;
        let coarse_xy = sweref_from_wgs84(coarse_at);
        let mut candidates: Vec<&Place> = Vec::new();
        for text in texts {
            for m in self.find_in_text(text) {
                let p = m.place;
                if m.club || m.locative == Some("mellan") {
                    continue;
                }
                if p.kind == PlaceKind::Locality
                    && own.as_deref() == Some(fold_name(&p.name).as_str())
                    && m.locative != Some("centrala")
                {
                    continue;
                }
                if p.precision_m >= coarse_m {
                    continue;
                }
                let xy = sweref_from_wgs84(p.position);
                let distance_m =
                    (xy.easting - coarse_xy.easting).hypot(xy.northing - coarse_xy.northing);
                if distance_m.is_nan() || distance_m > coarse_m {
                    continue;
                }
                if !candidates.iter().any(|c| std::ptr::eq(*c, p)) {
                    candidates.push(p);
                }
            }
        }
        let best = candidates
            .iter()
            .map(|p| p.precision_m)
            .fold(f64::INFINITY, f64::min);
        let mut at_best = candidates.into_iter().filter(|p| p.precision_m == best);
        let first = at_best.next()?;
        match at_best.next() {
            Some(_) => None,
            None => Some(first),
        }
    }
}

/// A word of a text: folded, with its byte range.
struct Word {
    folded: String,
    start: usize,
    end: usize,
}

/// Splits a text into words (runs of letters and digits) with byte ranges.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        if ch.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push(Word {
                folded: fold_name(&text[s..i]),
                start: s,
                end: i,
            });
        }
    }
    if let Some(s) = start {
        out.push(Word {
            folded: fold_name(&text[s..]),
            start: s,
            end: text.len(),
        });
    }
    out
}

/// True when `pattern` matches the words from `at`; the last word may carry a
/// genitive s ("Mjällbys").
fn matches_at(words: &[Word], at: usize, pattern: &[String]) -> bool {
    if at + pattern.len() > words.len() {
        return false;
    }
    let n = pattern.len();
    pattern.iter().enumerate().all(|(k, want)| {
        let got = words[at + k].folded.as_str();
        got == want
            || (k + 1 == n && got.strip_suffix('s') == Some(want.as_str()) && !want.ends_with('s'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Precision;

    fn g() -> &'static Gazetteer {
        Gazetteer::bundled()
    }

    fn names(text: &str) -> Vec<(&str, Option<&str>)> {
        g().find_in_text(text)
            .into_iter()
            .map(|m| (m.place.name.as_str(), m.locative))
            .collect()
    }

    #[test]
    fn the_bundled_file_reads() {
        let places = Gazetteer::parse(BUNDLED).unwrap();
        assert_eq!(places.places().len(), g().places().len());
        assert!(g().places().len() >= 8);
        let localities: Vec<&str> = g().localities().map(|p| p.name.as_str()).collect();
        for want in [
            "Sölvesborg",
            "Mjällby",
            "Hällevik",
            "Nogersund",
            "Norje",
            "Hörvik",
            "Valje",
        ] {
            assert!(localities.contains(&want), "{want} missing: {localities:?}");
        }
        // Every place lies in or near the municipality (its box, with ~2 km).
        for p in g().places() {
            let LonLat { lon, lat } = p.position;
            assert!((14.50..=14.90).contains(&lon), "{}: {lon}", p.name);
            assert!((55.97..=56.23).contains(&lat), "{}: {lat}", p.name);
            assert!(p.precision_m > 0.0 && !p.source.is_empty(), "{p:?}");
        }
    }

    #[test]
    fn the_station_matches_trafikverkets_sweref_coordinate() {
        // Trafikverket gives the station both as WGS84 (our file) and as
        // SWEREF 99 TM "POINT (474033 6211661)": our conversion agrees.
        let station = g().search("Sölvesborgs station")[0];
        assert_eq!(station.kind, PlaceKind::Station);
        let xy = sweref_from_wgs84(station.position);
        assert!((xy.easting - 474_033.0).abs() < 1.0, "{xy:?}");
        assert!((xy.northing - 6_211_661.0).abs() < 1.0, "{xy:?}");
    }

    #[test]
    fn names_with_prepositions_and_inflection() {
        assert_eq!(names("Misshandel i Mjällby"), [("Mjällby", Some("i"))]);
        assert_eq!(
            names("Man gripen vid Sölvesborgs station."),
            [("Sölvesborgs station", Some("vid"))]
        );
        assert_eq!(
            names("Bråk på stationen i Sölvesborg"),
            [("Sölvesborgs station", Some("pa"))]
        );
        assert_eq!(names("Mjällbys centrum"), [("Mjällby", None)]);
        assert_eq!(names("utanför HÄLLEVIK"), [("Hällevik", Some("utanfor"))]);
        assert_eq!(
            names("centrala Sölvesborg"),
            [("Sölvesborg", Some("centrala"))]
        );
        // Unfolded spelling.
        assert_eq!(names("i Horvik"), [("Hörvik", Some("i"))]);
    }

    #[test]
    fn word_boundaries() {
        assert!(names("Mjällbyvägen").is_empty());
        assert!(names("Sölvesborgsvägen 12").is_empty());
        assert!(names("Norjeboke").is_empty());
        assert!(names("").is_empty());
        // Hyphens separate words.
        assert_eq!(
            names("Hällevik-Nogersund"),
            [("Hällevik", None), ("Nogersund", None)]
        );
    }

    #[test]
    fn longest_match_wins_and_matches_do_not_overlap() {
        let found = g().find_in_text("Resenär vid Sölvesborgs station, Sölvesborg");
        let got: Vec<&str> = found.iter().map(|m| m.place.name.as_str()).collect();
        assert_eq!(got, ["Sölvesborgs station", "Sölvesborg"]);
        let text = "Resenär vid Sölvesborgs station, Sölvesborg";
        assert_eq!(&text[found[0].start..found[0].end], "Sölvesborgs station");
        assert_eq!(&text[found[1].start..found[1].end], "Sölvesborg");
    }

    #[test]
    fn search_box() {
        let first = |q: &str| g().search(q).first().map(|p| p.name.clone());
        assert_eq!(first("mjäll").as_deref(), Some("Mjällby"));
        assert_eq!(first("MJALLBY").as_deref(), Some("Mjällby"));
        assert_eq!(first("Sölvesborg").as_deref(), Some("Sölvesborg"));
        assert_eq!(first("resecentrum").as_deref(), Some("Sölvesborgs station"));
        assert!(g().search("").is_empty());
        assert!(g().search("Kiruna").is_empty());
        // Whole name before prefix.
        let all: Vec<&str> = g()
            .search("sölvesborg")
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(all, ["Sölvesborg", "Sölvesborgs station"]);
    }

    #[test]
    fn placing_events() {
        let solvesborg = LonLat::new(14.58568, 56.050608);
        let coarse = (solvesborg, Precision::MUNICIPALITY_M);
        let place = |texts: &[&str]| {
            g().place_event(texts, Some("Sölvesborg"), coarse)
                .map(|p| p.name.as_str())
        };
        assert_eq!(
            place(&[
                "12 januari 22.10, Brand, Sölvesborg",
                "Brand i ett förråd i Mjällby."
            ]),
            Some("Mjällby")
        );
        // The own location name says nothing new ...
        assert_eq!(
            place(&["Inbrott, Sölvesborg", "Inbrott i Sölvesborg."]),
            None
        );
        // ... unless it clearly names the town.
        assert_eq!(place(&["Rån i centrala Sölvesborg"]), Some("Sölvesborg"));
        // The most precise wins.
        assert_eq!(
            place(&[
                "Bråk i Sölvesborg",
                "Två män bråkade vid Sölvesborgs station i Mjällby"
            ]),
            Some("Sölvesborgs station")
        );
        // Two localities of equal precision: ambiguous.
        assert_eq!(place(&["Trafikolycka i Mjällby och i Hällevik"]), None);
        // Real titles: a stretch between two places, and a club.
        assert_eq!(
            place(&["Singelolycka på E22 mellan Norje och Pukavik."]),
            None
        );
        assert_eq!(
            place(&["Allsvensk fotbollsmatch mellan Mjällby AIF och IFK Göteborg."]),
            None
        );
        assert_eq!(
            place(&[
                "Strandvallens fotbollsarena. Oroligheter efter slutsignalen i finalmatchen i Svenska Cupen mellan Mjällby AIF"
            ]),
            None
        );
        assert_eq!(
            place(&["Försök till mord, Västra Mjälbyvägen, Mjällby."]),
            Some("Mjällby")
        );
        assert_eq!(place(&["Hög smäll hörs i Hörvik."]), Some("Hörvik"));
        assert_eq!(place(&["Trafikolycka på väg 123"]), None);
        // A place outside the coarse circle is not meant.
        let far = (LonLat::new(18.06, 59.33), Precision::MUNICIPALITY_M);
        assert_eq!(
            g().place_event(&["i Mjällby"], Some("Stockholm"), far),
            None
        );
        // Not more precise than the position already is.
        let fine = (LonLat::new(14.68333, 56.05), 1_000.0);
        assert_eq!(
            g().place_event(&["i Mjällby"], Some("Sölvesborg"), fine),
            None
        );
    }

    #[test]
    fn bad_files_name_the_line() {
        let head = "name,kind,lon,lat,precision_m,aliases,source\n";
        let e = Gazetteer::parse(&format!(
            "{head}A,locality,14.6,56.0,100,,x\nB,castle,14.6,56.0,100,,x\n"
        ))
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("unknown kind \"castle\""), "{e}");
        let e = Gazetteer::parse(&format!("{head}A,locality,14.6,fel,100,,x\n")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("gazetteer line 2: unreadable lat"),
            "{e}"
        );
        let e = Gazetteer::parse(&format!("{head}A,locality,-70,40,100,,x\n")).unwrap_err();
        assert!(e.reason.contains("far outside Sweden"), "{e}");
        let e = Gazetteer::parse("name,lon\nA,1\n").unwrap_err();
        assert!(e.reason.contains("no \"kind\" column"), "{e}");
        let e = Gazetteer::parse(&format!("{head}A,locality,14.6,56.0,0,,x\n")).unwrap_err();
        assert!(e.reason.contains("positive"), "{e}");
    }
}
