//! Reader for the Swedish Police's open events JSON (the list
//! `polisen.se/api/events` serves): an array of objects such as
//!
//! ```json
//! { "id": 563140, "datetime": "2025-01-10 20:32:11 +01:00",
//!   "name": "10 januari 20.15, Skadegörelse, Sölvesborg",
//!   "summary": "…", "url": "/aktuellt/handelser/…", "type": "Skadegörelse",
//!   "location": { "name": "Sölvesborg", "gps": "56.050608,14.58568" } }
//! ```
//!
//! # Incidents and summaries
//! About a sixth of all events are not incidents: the summaries
//! ("Sammanfattning natt", "Sammanfattning kväll och natt", "… dag", "…
//! vecka"), "Information", "Uppdatering", and the notices of type Övrigt that
//! no press officer is on duty ("Efter klockan 22:00 finns ingen
//! presstalesperson i tjänst"). They name a county or town centre, so as
//! incidents they would make false hot spots and spike the hour histogram.
//! [`is_summary`] tells them apart; they are stored as
//! [`PoliceSummary`]s, apart from the incidents ([`crate::store::police`]).
//!
//! # Updates
//! The Police edit events after publication. [`import`] stores events by id
//! through [`Store::upsert_police_events`]: a stored id whose text, type or
//! time changed takes the new version (the old one kept in the history),
//! instead of being skipped as a duplicate.
//!
//! # Time
//! `datetime` is when the event was *published*. The event's own time is in
//! `name`: a day, a Swedish month name and usually a clock time (`20.15` or
//! `20:15`, sometimes a range `20.15–21.00`, whose start is taken). It wins
//! when it can be read. Its year is the one that puts the named time closest
//! to the publication time: an event "31 december 23.50" published on
//! 2 January is of the year before; an announcement "3 januari 10.00"
//! published on 1 January is of the same year, and one "2 januari"
//! published on 30 December of the next. A name with a date but no clock
//! time, or none that can be read, gets the publication time, and the notes
//! say how many. A clock time in the spring-forward hour (which never
//! happened) is read as summer time, one hour later.
//!
//! # Position and precision
//! `location.gps` ("lat,lon", latitude first) is only the centre of a town,
//! municipality or county, so every event is coarse:
//! - a location name ending in " län" (e.g. "Blekinge län") →
//!   [`Precision::COUNTY_M`]. Since 2026 the API names the county for every
//!   event and the municipality only in the event's name
//!   ("15 augusti 23.29, Misshandel, Sölvesborg"); when that municipality is
//!   a locality of the gazetteer, the event is put at it with
//!   [`Precision::MUNICIPALITY_M`];
//! - any other name → [`Precision::MUNICIPALITY_M`]. The API uses municipality
//!   names ("Sölvesborg", "Karlshamn"), and a name such as "Sölvesborg" is both
//!   a town and a municipality; without a list of which is meant, the wider,
//!   honest reading is the municipality.
//!
//! Then the gazetteer ([`crate::gazetteer`]) may place the event more
//! precisely: a locality or key place the title or summary names ("i
//! Mjällby", "vid Sölvesborgs station") inside the coarse area puts the event
//! there with that place's precision ([`Gazetteer::place_event`] has the
//! rules); the notes say how many.
//!
//! # Other fields
//! `type` → category through [`TYPE_TABLE`], which lists every type the API
//! has used (unknown types → [`Category::Ovrigt`], the text kept); source is
//! always [`Source::Polis`]; `id` → external id; the municipality (or the
//! gazetteer place) → place; `summary` → description (public, but treated as
//! sensitive like every description: never in errors or notes). Objects
//! without `id` or `location` are not events and become row errors; a list in
//! which no element has any field of a police event is refused as a whole.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value;

use super::geojson::{
    LineCounter, WholeJson, file_error, file_name, json_reason, next_span, read_json_file,
    row_from_span, scan, spans_bytes_read,
};
use super::{
    ImportError, ImportOptions, ImportReport, ParsedRow, RejectsFile, RowError, RowReader,
};
use crate::gazetteer::Gazetteer;
use crate::jobs::{CancelToken, Progress};
use crate::model::{Category, Incident, LonLat, Precision, Source, fold_name, time};
use crate::store::police::PoliceSummary;
use crate::store::{Store, StoreError};

/// Every event type the Police's API has used (97 types seen in the
/// 2022–2026 history of `dnouri/polisen-se-events-history`, plus older
/// spellings) and the category it counts as. Summaries and notices are not
/// here: see [`is_summary`]. Looked up after [`fold_name`], so case, extra
/// spaces and å/ä/ö do not matter. The README has the same table.
pub const TYPE_TABLE: &[(&str, Category)] = &[
    // Våld: violence, threats and robbery against people.
    ("Misshandel", Category::Vald),
    ("Misshandel, grov", Category::Vald),
    ("Mord/dråp", Category::Vald),
    ("Mord/dråp, försök", Category::Vald),
    ("Våld/hot mot tjänsteman", Category::Vald),
    ("Olaga hot", Category::Vald),
    ("Rån", Category::Vald),
    ("Rån, försök", Category::Vald),
    ("Rån väpnat", Category::Vald),
    ("Rån övrigt", Category::Vald),
    ("Våldtäkt", Category::Vald),
    ("Våldtäkt, försök", Category::Vald),
    ("Sexualbrott", Category::Vald),
    ("Olaga frihetsberövande", Category::Vald),
    ("Olaga frihetsberövande/människorov", Category::Vald),
    ("Skottlossning", Category::Vald),
    ("Skottlossning, misstänkt", Category::Vald),
    ("Explosion", Category::Vald),
    // Stöld: theft, burglary and stolen goods.
    ("Stöld", Category::Stold),
    ("Stöld, försök", Category::Stold),
    ("Stöld, ringa", Category::Stold),
    ("Stöld/inbrott", Category::Stold),
    ("Inbrott", Category::Stold),
    ("Inbrott, försök", Category::Stold),
    ("Motorfordon, stöld", Category::Stold),
    ("Motorfordon, anträffat stulet", Category::Stold),
    ("Häleri", Category::Stold),
    // Skadegörelse.
    ("Skadegörelse", Category::Skadegorelse),
    ("Sabotage mot blåljusverksamhet", Category::Skadegorelse),
    // Brand.
    ("Brand", Category::Brand),
    ("Mordbrand", Category::Brand),
    // Narkotika.
    ("Narkotikabrott", Category::Narkotika),
    // Ordningsstörning: disorder in public places and intrusion.
    ("Bråk", Category::Ordningsstorning),
    ("Fylleri/LOB", Category::Ordningsstorning),
    ("Fylleri", Category::Ordningsstorning),
    ("Ordningslagen", Category::Ordningsstorning),
    ("Alkohollagen", Category::Ordningsstorning),
    ("Olaga intrång", Category::Ordningsstorning),
    ("Hemfridsbrott", Category::Ordningsstorning),
    ("Olaga intrång/hemfridsbrott", Category::Ordningsstorning),
    // Otrygghet: what makes a place feel unsafe without (yet) being one of
    // the crimes above.
    ("Ofredande/förargelse", Category::Otrygghet),
    ("Sedlighetsbrott", Category::Otrygghet),
    ("Larm Överfall", Category::Otrygghet),
    ("Smällar", Category::Otrygghet),
    ("Detonation", Category::Otrygghet),
    ("Knivlagen", Category::Otrygghet),
    ("Vapenlagen", Category::Otrygghet),
    ("Farligt föremål, misstänkt", Category::Otrygghet),
    ("Bombhot", Category::Otrygghet),
    ("Hets mot folkgrupp", Category::Otrygghet),
    // Övrigt: traffic, accidents, rescue, searches, checks, paperwork
    // crimes, alarms, and the police's own type Övrigt.
    ("Övrigt", Category::Ovrigt),
    ("Trafikolycka", Category::Ovrigt),
    ("Trafikolycka, personskada", Category::Ovrigt),
    ("Trafikolycka, singel", Category::Ovrigt),
    ("Trafikolycka, vilt", Category::Ovrigt),
    ("Trafikolycka, smitning från", Category::Ovrigt),
    ("Trafikbrott", Category::Ovrigt),
    ("Trafikkontroll", Category::Ovrigt),
    ("Trafikhinder", Category::Ovrigt),
    ("Rattfylleri", Category::Ovrigt),
    ("Olovlig körning", Category::Ovrigt),
    ("Arbetsplatsolycka", Category::Ovrigt),
    ("Försvunnen person", Category::Ovrigt),
    ("Efterlyst person", Category::Ovrigt),
    ("Fjällräddning", Category::Ovrigt),
    ("Räddningsinsats", Category::Ovrigt),
    ("Sjukdom/olycksfall", Category::Ovrigt),
    ("Anträffad död", Category::Ovrigt),
    ("Vållande till kroppsskada", Category::Ovrigt),
    ("Kontroll person/fordon", Category::Ovrigt),
    ("Kontroll", Category::Ovrigt),
    ("Polisinsats/kommendering", Category::Ovrigt),
    ("Djur", Category::Ovrigt),
    ("Djur skadat/omhändertaget", Category::Ovrigt),
    ("Lagen om hundar och katter", Category::Ovrigt),
    ("Anträffat gods", Category::Ovrigt),
    ("Upphittat föremål", Category::Ovrigt),
    ("Bedrägeri", Category::Ovrigt),
    ("Åldringsbrott", Category::Ovrigt),
    ("Ekobrott", Category::Ovrigt),
    ("Förfalskningsbrott", Category::Ovrigt),
    ("Missbruk av urkund", Category::Ovrigt),
    ("Miljöbrott", Category::Ovrigt),
    ("Skyddslagen", Category::Ovrigt),
    ("Sjölagen", Category::Ovrigt),
    ("Luftfartslagen", Category::Ovrigt),
    ("Utlänningslagen", Category::Ovrigt),
    ("Larm Inbrott", Category::Ovrigt),
    ("Brand automatlarm", Category::Ovrigt),
    ("Varningslarm/haveri", Category::Ovrigt),
    ("Spridning smitta/kemikalier", Category::Ovrigt),
    ("Spridning smittsamma kemikalier", Category::Ovrigt),
    ("Naturkatastrof", Category::Ovrigt),
    ("Gränskontroll", Category::Ovrigt),
    ("Tillfälligt obemannat", Category::Ovrigt),
];

/// Types that are summaries or notices, not incidents (folded; "Sammanfattning
/// …" of any period is matched by its first word).
const SUMMARY_TYPES: [&str; 2] = ["information", "uppdatering"];

/// The category for an API event type, and the type text to keep beside it
/// (`None` when the category's own name says it all, e.g. "Brand"). Unknown
/// types count as Övrigt with their text kept.
pub fn category_for_type(type_text: &str) -> (Category, Option<String>) {
    let key = fold_name(type_text);
    let text = type_text.split_whitespace().collect::<Vec<_>>().join(" ");
    match TYPE_TABLE.iter().find(|(t, _)| fold_name(t) == key) {
        Some(&(_, category)) => {
            let keep = (key != category.key()).then_some(text);
            (category, keep)
        }
        None => (Category::Ovrigt, (!text.is_empty()).then_some(text)),
    }
}

/// True when an event is a summary or notice rather than an incident (see
/// the module docs): its type is "Sammanfattning …", "Information" or
/// "Uppdatering", or it is a notice about the press service ("ingen
/// presstalesperson i tjänst", "Presstelefonen kopplas om för natten").
pub fn is_summary(type_text: &str, summary: Option<&str>) -> bool {
    let key = fold_name(type_text);
    if key.starts_with("sammanfattning") || SUMMARY_TYPES.contains(&key.as_str()) {
        return true;
    }
    let Some(text) = summary else {
        return false;
    };
    let text = fold_name(text);
    let press_notice = [
        "presstalesperson",
        "presstelefon",
        "pressnummer",
        "pressjour",
    ]
    .iter()
    .any(|w| text.contains(w));
    press_notice && (key == "ovrigt" || key.is_empty())
}

/// Swedish month names, folded (January first).
const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

/// What an event's name says about its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NamedTime {
    pub month: u32,
    pub day: u32,
    pub clock: Option<NaiveTime>,
}

/// Reads "10 januari 20.15, …", "10 januari 20:15–21.00, …" or "10 januari, …".
pub(crate) fn parse_name_time(name: &str) -> Option<NamedTime> {
    let head = name.split(',').next()?;
    let mut words = head.split_whitespace();
    let day: u32 = words.next()?.trim_end_matches('.').parse().ok()?;
    let month_word = fold_name(words.next()?);
    let month = MONTHS.iter().position(|m| *m == month_word)? as u32 + 1;
    if !(1..=31).contains(&day) {
        return None;
    }
    let clock = words.next().and_then(|w| {
        let w = w.trim_start_matches("kl.").trim_start_matches("kl");
        // The start of a range: cut at the first dash.
        let start = w.split(['–', '-', '—']).next()?;
        let (h, m) = start.split_once(['.', ':'])?;
        let h: u32 = h.parse().ok()?;
        let m: u32 = m.get(..2)?.parse().ok()?;
        NaiveTime::from_hms_opt(h, m, 0)
    });
    Some(NamedTime { month, day, clock })
}

/// Parses the publication time, "2025-01-10 20:32:11 +01:00".
fn parse_published(text: &str) -> Option<DateTime<FixedOffset>> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t).ok().or_else(|| {
        [
            "%Y-%m-%d %H:%M:%S %:z",
            "%Y-%m-%d %H:%M:%S %z",
            "%Y-%m-%d %H:%M:%S%:z",
            "%Y-%m-%d %H:%M %:z",
        ]
        .into_iter()
        .find_map(|f| DateTime::parse_from_str(t, f).ok())
    })
}

/// How the event time was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeFrom {
    Name,
    /// The name had no clock time or no readable date.
    Published,
    /// The named clock time fell in the spring-forward gap.
    NameShifted,
}

/// The named local time in `year` as UTC, and whether it had to be shifted
/// out of the spring-forward gap; `None` when the date does not exist that
/// year (29 February) or the time cannot be placed.
fn named_in_year(named: NamedTime, clock: NaiveTime, year: i32) -> Option<(DateTime<Utc>, bool)> {
    let date = NaiveDate::from_ymd_opt(year, named.month, named.day)?;
    let naive = NaiveDateTime::new(date, clock);
    match time::utc_from_local(naive) {
        Ok(t) => Some((t, false)),
        Err(_) => time::utc_from_local(naive + chrono::Duration::hours(1))
            .ok()
            .map(|t| (t, true)),
    }
}

/// The event's time from its name and publication time (see the module docs).
fn event_time(name: Option<&str>, published: DateTime<FixedOffset>) -> (DateTime<Utc>, TimeFrom) {
    let published_utc = published.with_timezone(&Utc);
    let fallback = (published_utc, TimeFrom::Published);
    let Some(named) = name.and_then(parse_name_time) else {
        return fallback;
    };
    let Some(clock) = named.clock else {
        return fallback;
    };
    let year = time::local(published_utc).year();
    let best = [year - 1, year, year + 1]
        .into_iter()
        .filter_map(|y| named_in_year(named, clock, y))
        .min_by_key(|(t, _)| (*t - published_utc).num_seconds().unsigned_abs());
    match best {
        Some((t, false)) => (t, TimeFrom::Name),
        Some((t, true)) => (t, TimeFrom::NameShifted),
        None => fallback,
    }
}

/// Precision for a police location name (see the module docs).
pub(crate) fn precision_for_location(name: &str) -> f64 {
    if is_county(name) {
        Precision::COUNTY_M
    } else {
        Precision::MUNICIPALITY_M
    }
}

fn is_county(name: &str) -> bool {
    fold_name(name).ends_with(" lan")
}

/// "56.050608,14.58568" (latitude first).
fn parse_gps(text: &str) -> Option<LonLat> {
    let (lat, lon) = text.split_once(',')?;
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    Some(LonLat::new(lon, lat))
}

/// The place an event's name ends with: "10 januari 20.15, Brand,
/// Sölvesborg" → "Sölvesborg" (only when the name has at least three parts).
pub fn name_location(name: &str) -> Option<&str> {
    let parts: Vec<&str> = name.split(',').map(str::trim).collect();
    if parts.len() < 3 {
        return None;
    }
    parts.last().copied().filter(|p| !p.is_empty())
}

/// Which events to keep, by where they are (the harvester's `--location`).
#[derive(Debug, Clone, Default)]
pub struct LocationFilter {
    /// Folded names: an event is kept when its location name or the place
    /// its name ends with is one of them.
    pub events: Vec<String>,
    /// Folded names whose summaries are kept (the places and their county).
    pub summaries: Vec<String>,
}

impl LocationFilter {
    fn keeps_event(&self, location: Option<&str>, name: Option<&str>) -> bool {
        let hit = |n: Option<&str>| n.is_some_and(|n| self.events.contains(&fold_name(n)));
        hit(location) || hit(name.and_then(name_location))
    }

    fn keeps_summary(&self, location: Option<&str>, name: Option<&str>) -> bool {
        let hit = |n: Option<&str>| {
            n.is_some_and(|n| {
                let f = fold_name(n);
                self.summaries.contains(&f) || self.events.contains(&f)
            })
        };
        hit(location) || hit(name.and_then(name_location))
    }
}

/// One element of the list, read.
#[derive(Debug, Clone)]
pub enum PolisenItem {
    Event(Incident),
    Summary(PoliceSummary),
    /// Left out by the [`LocationFilter`].
    Elsewhere,
}

/// A whole list of events, read and sorted.
#[derive(Debug, Clone, Default)]
pub struct PolisenBatch {
    /// The incidents, with their lines.
    pub events: Vec<ParsedRow>,
    pub summaries: Vec<PoliceSummary>,
    pub rejected: Vec<RowError>,
    /// Elements left out by the location filter.
    pub elsewhere: u64,
    pub notes: Vec<String>,
}

/// A Polisen events file is read whole: its events are stored by id in one
/// call, so they are all in memory anyway. The API answers with at most 500
/// events (about 300 KB), so 32 MB is some 100 answers; a larger file is
/// refused before it is read.
pub const POLICE_JSON: WholeJson = WholeJson {
    max_bytes: 32 * 1024 * 1024,
    what: "a Polisen events file",
    why: "its events are stored in one transaction; the Police's API answers with at most 500 events, about 300 KB",
    instead: "split it into smaller files and import them one by one",
};

/// The police-event fields; an element with none of them is not an event.
const EVENT_FIELDS: [&str; 6] = ["id", "datetime", "name", "summary", "type", "location"];

/// Counts kept while reading, for the notes.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    from_published: u64,
    shifted: u64,
    from_name: u64,
    summaries: u64,
    placed: u64,
    to_municipality: u64,
}

struct PolisenReader {
    path: PathBuf,
    file_name: String,
    bytes: Vec<u8>,
    events: Vec<(usize, usize)>,
    next: usize,
    lines: LineCounter,
    counts: Counts,
    filter: Option<LocationFilter>,
    /// Sweden's outline, cached by cell, and what it said of each event.
    sweden: crate::sweden::SwedenTest,
    outside: crate::sweden::OutsideTally,
}

/// Opens a Polisen events file as a stream of incidents (summaries and
/// notices are left out and counted in the notes; [`import`] stores them).
/// See the module docs.
pub fn reader(path: &Path, _options: &ImportOptions) -> Result<Box<dyn RowReader>, ImportError> {
    let bytes = read_json_file(path, &POLICE_JSON)?;
    Ok(Box::new(PolisenReader::new(path, bytes, None)?))
}

impl PolisenReader {
    fn new(
        path: &Path,
        bytes: Vec<u8>,
        filter: Option<LocationFilter>,
    ) -> Result<PolisenReader, ImportError> {
        let start = scan::skip_ws(&bytes, 0);
        if bytes.get(start) != Some(&b'[') {
            let line = LineCounter::default().line_at(&bytes, start);
            return Err(file_error(
                path,
                Some(line),
                "not a list of police events: expected a JSON array of event objects (a GeoJSON file? use --format geojson)"
                    .to_owned(),
            ));
        }
        let events = scan::array_elements(&bytes, start).ok_or_else(|| {
            file_error(path, None, "could not find the JSON structure".to_owned())
        })?;
        Ok(PolisenReader {
            path: path.to_path_buf(),
            file_name: file_name(path),
            bytes,
            events,
            next: 0,
            lines: LineCounter::default(),
            counts: Counts::default(),
            filter,
            sweden: crate::sweden::SwedenTest::new(),
            outside: crate::sweden::OutsideTally::default(),
        })
    }

    /// True when no element of the list has any police-event field.
    fn has_no_event_fields(&self) -> bool {
        !self.events.is_empty()
            && self.events.iter().all(|&(s, e)| {
                match serde_json::from_slice::<Value>(&self.bytes[s..e]) {
                    Ok(Value::Object(o)) => !EVENT_FIELDS.iter().any(|f| o.contains_key(*f)),
                    _ => true,
                }
            })
    }

    fn item(&mut self, value: Value) -> Result<PolisenItem, String> {
        let Value::Object(event) = value else {
            return Err("not an event object".to_owned());
        };
        let id = match event.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => return Err("no id: not a police event".to_owned()),
        };
        let location = match event.get("location") {
            Some(Value::Object(l)) => l,
            _ => return Err(format!("event {id}: no location: not a police event")),
        };
        let text = |key: &str| {
            event
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
        };
        let name = text("name");
        let summary = text("summary");
        let location_name = location
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let gps = location
            .get("gps")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("event {id}: the location has no gps"))?;
        let position = parse_gps(gps).ok_or_else(|| {
            format!("event {id}: unreadable location.gps {gps:?}: expected \"lat,lon\" such as \"56.050608,14.58568\"")
        })?;
        let inside = self.sweden.contains(position);
        self.outside.add(inside);
        if !inside {
            return Err(format!(
                "event {id}: position (lat {}, lon {}) is outside Sweden (by its outline, {} km margin)",
                position.lat,
                position.lon,
                crate::sweden::MARGIN_M / 1000.0
            ));
        }
        let published_text = text("datetime").ok_or_else(|| format!("event {id}: no datetime"))?;
        let published = parse_published(published_text).ok_or_else(|| {
            format!(
                "event {id}: unreadable datetime {published_text:?}: expected e.g. \"2025-01-10 20:32:11 +01:00\""
            )
        })?;
        let type_text = text("type").map(str::to_owned).or_else(|| {
            // "10 januari 20.15, Skadegörelse, Sölvesborg": the middle part.
            let parts: Vec<&str> = name?.split(',').map(str::trim).collect();
            (parts.len() >= 3).then(|| parts[1..parts.len() - 1].join(", "))
        });

        if is_summary(type_text.as_deref().unwrap_or(""), summary) {
            if let Some(f) = &self.filter
                && !f.keeps_summary(location_name, name)
            {
                return Ok(PolisenItem::Elsewhere);
            }
            self.counts.summaries += 1;
            return Ok(PolisenItem::Summary(PoliceSummary {
                external_id: id,
                published_at: published.with_timezone(&Utc),
                title: name.unwrap_or_default().to_owned(),
                kind: type_text.unwrap_or_default(),
                location: location_name.map(str::to_owned),
                position: Some(position),
                summary: summary.map(str::to_owned),
                url: text("url").map(str::to_owned),
                import_file: Some(self.file_name.clone()),
            }));
        }
        if let Some(f) = &self.filter
            && !f.keeps_event(location_name, name)
        {
            return Ok(PolisenItem::Elsewhere);
        }

        let (occurred_at, from) = event_time(name, published);
        match from {
            TimeFrom::Name => self.counts.from_name += 1,
            TimeFrom::Published => self.counts.from_published += 1,
            TimeFrom::NameShifted => self.counts.shifted += 1,
        }
        let (category, category_text) = match &type_text {
            Some(t) => category_for_type(t),
            None => (Category::Ovrigt, None),
        };

        let gazetteer = Gazetteer::bundled();
        let municipality = name.and_then(name_location);
        let mut position = position;
        let mut precision_m = location_name
            .map(precision_for_location)
            .unwrap_or(Precision::MUNICIPALITY_M);
        let mut place = location_name.map(str::to_owned);
        // A county position, with the municipality named in the title: the
        // municipality, when the gazetteer knows where it is.
        if location_name.is_some_and(is_county)
            && let Some(m) = municipality.filter(|m| !is_county(m))
        {
            place = Some(m.to_owned());
            let folded = fold_name(m);
            if let Some(town) = gazetteer
                .localities()
                .find(|p| fold_name(&p.name) == folded)
            {
                position = town.position;
                precision_m = Precision::MUNICIPALITY_M;
                self.counts.to_municipality += 1;
            }
        }
        let texts: Vec<&str> = [name, summary].into_iter().flatten().collect();
        let own = municipality.or(location_name);
        if let Some(p) = gazetteer.place_event(&texts, own, (position, precision_m)) {
            position = p.position;
            precision_m = p.precision_m;
            place = Some(p.name.clone());
            self.counts.placed += 1;
        }

        let mut incident =
            Incident::new(occurred_at, category, Source::Polis, position, precision_m);
        incident.category_text = category_text;
        incident.place = place;
        incident.description = summary.map(str::to_owned);
        incident.external_id = Some(id);
        incident.import_file = Some(self.file_name.clone());
        Ok(PolisenItem::Event(incident))
    }

    fn next_item(&mut self) -> Option<(u64, Result<PolisenItem, RowError>)> {
        let (span, line, parsed) =
            next_span(&self.bytes, &self.events, &mut self.next, &mut self.lines)?;
        let result = parsed.and_then(|v| self.item(v));
        let result = match result {
            Ok(item) => Ok(item),
            Err(reason) => row_from_span(&self.path, &self.bytes, span, line, Err(reason))
                .map(|_| PolisenItem::Elsewhere),
        };
        Some((line, result))
    }

    fn notes_now(&self) -> Vec<String> {
        let c = self.counts;
        let mut notes = vec![
            "Polisen events: each event's time is read from its name (day, month, clock time); its year is the one that puts it closest to the publication time.".to_owned(),
            format!(
                "Police positions are only the centre of a town, municipality or county, so the events are stored as coarse: precision {} m for a municipality or town name, {} m for a county (a name ending in \"län\"), unless the gazetteer places them.",
                Precision::MUNICIPALITY_M,
                Precision::COUNTY_M
            ),
        ];
        if c.from_name + c.shifted > 0 {
            notes.push(format!(
                "{} event time(s) read from the event names.",
                c.from_name + c.shifted
            ));
        }
        if c.from_published > 0 {
            notes.push(format!(
                "{} event(s) named no clock time (or no readable date); their publication time was used instead.",
                c.from_published
            ));
        }
        if c.shifted > 0 {
            notes.push(format!(
                "{} event time(s) fell in the hour skipped when clocks go forward and were read as summer time, one hour later.",
                c.shifted
            ));
        }
        if c.summaries > 0 {
            notes.push(format!(
                "{} summar(y/ies) or notice(s) (\"Sammanfattning …\", \"Information\", \"Uppdatering\", press-service notices) are not incidents: kept apart, out of the incidents and statistics.",
                c.summaries
            ));
        }
        if c.to_municipality > 0 {
            notes.push(format!(
                "{} event(s) had only a county position; they were put at the municipality their name ends with ({} m).",
                c.to_municipality,
                Precision::MUNICIPALITY_M
            ));
        }
        if c.placed > 0 {
            notes.push(format!(
                "{} event(s) name a place of the gazetteer (data/gazetteer.csv) in their title or summary and were placed there with that place's precision.",
                c.placed
            ));
        }
        notes
    }
}

impl Iterator for PolisenReader {
    type Item = Result<ParsedRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (span, line, parsed) =
                next_span(&self.bytes, &self.events, &mut self.next, &mut self.lines)?;
            let result = parsed.and_then(|v| self.item(v));
            let incident = match result {
                Ok(PolisenItem::Event(i)) => Ok(i),
                Ok(PolisenItem::Summary(_) | PolisenItem::Elsewhere) => continue,
                Err(reason) => Err(reason),
            };
            return Some(row_from_span(&self.path, &self.bytes, span, line, incident));
        }
    }
}

impl RowReader for PolisenReader {
    fn notes(&self) -> Vec<String> {
        self.notes_now()
    }

    fn bytes_read(&self) -> u64 {
        spans_bytes_read(&self.events, self.next, self.bytes.len())
    }
}

/// Reads a whole list of events from `bytes` (a file's or an HTTP body's;
/// `label` names it in errors), keeping only what `filter` keeps.
///
/// # Errors
/// [`ImportError::File`] for what is not a list of police events: broken
/// JSON (with its line), a JSON value that is not an array, an array none of
/// whose elements has a police-event field (one message, not one per row).
pub fn read_batch(
    label: &Path,
    mut bytes: Vec<u8>,
    filter: Option<LocationFilter>,
) -> Result<PolisenBatch, ImportError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes[..3].copy_from_slice(b"   ");
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error(label, None, "the body is empty".to_owned()));
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        let line = u64::try_from(e.line()).ok().filter(|&l| l > 0);
        return Err(file_error(label, line, json_reason(&e)));
    }
    let mut reader = PolisenReader::new(label, bytes, filter)?;
    if reader.has_no_event_fields() {
        return Err(file_error(
            label,
            None,
            format!(
                "a JSON list of {} element(s), none of which has a field of a police event ({}): not a Polisen events file",
                reader.events.len(),
                EVENT_FIELDS.join(", ")
            ),
        ));
    }
    let mut batch = PolisenBatch::default();
    while let Some((line, item)) = reader.next_item() {
        match item {
            Ok(PolisenItem::Event(incident)) => batch.events.push(ParsedRow { line, incident }),
            Ok(PolisenItem::Summary(s)) => batch.summaries.push(s),
            Ok(PolisenItem::Elsewhere) => {}
            // Cut like the CSV and GeoJSON readers' reasons: a value of
            // 100,000 characters quoted in one makes no clearer message.
            Err(mut e) => {
                e.reason = super::short_reason(e.reason);
                batch.rejected.push(e);
            }
        }
    }
    if reader.outside.mostly_outside() {
        return Err(file_error(
            label,
            None,
            format!(
                "{} (location.gps is \"lat,lon\": are the two swapped?)",
                reader
                    .outside
                    .refusal("events", "location.gps latitude, longitude")
            ),
        ));
    }
    // Elements the filter left out: everything read that is in none of the lists.
    let kept = (batch.events.len() + batch.summaries.len() + batch.rejected.len()) as u64;
    batch.elsewhere = (reader.events.len() as u64).saturating_sub(kept);
    batch.notes = reader.notes_now();
    Ok(batch)
}

/// Stores a read batch by event id ([`Store::upsert_police_events`]) and
/// fills `report` (its rejected rows also written to `rejects`). With
/// `strict` and any bad row nothing is written.
pub(crate) fn store_batch(
    store: &mut dyn Store,
    file_name: &str,
    batch: PolisenBatch,
    strict: bool,
    report: &mut ImportReport,
    mut rejects: Option<&mut RejectsFile>,
    cancel: &CancelToken,
) -> Result<(), ImportError> {
    for e in batch.rejected {
        report.add_rejected(e, rejects.as_deref_mut());
    }
    report.notes = batch.notes;
    if strict && let Some(refused) = report.strict_error() {
        return Err(refused);
    }
    let events: Vec<Incident> = batch.events.into_iter().map(|r| r.incident).collect();
    if events.is_empty() && batch.summaries.is_empty() {
        return Ok(());
    }
    let done = store
        .upsert_police_events(file_name, &events, &batch.summaries, cancel)
        .map_err(|e| match e {
            StoreError::Cancelled(c) => ImportError::Cancelled(c),
            other => ImportError::Store(other),
        })?;
    report.imported = done.inserted;
    report.updated = done.updated;
    report.duplicates = done.unchanged;
    report.summaries = done.summaries_new + done.summaries_updated + done.moved_to_summaries;
    if done.updated > 0 {
        report.notes.push(format!(
            "{} event(s) had been edited by the Police since they were stored and were updated in place; the earlier versions are kept in the project's history.",
            done.updated
        ));
    }
    if done.moved_to_summaries > 0 {
        report.notes.push(format!(
            "{} summar(y/ies) stored as incidents by an earlier version were taken out of the incidents.",
            done.moved_to_summaries
        ));
    }
    Ok(())
}

/// Imports a Polisen events file: the events by id (new ones inserted,
/// edited ones updated, see the module docs), the summaries apart, in one
/// transaction.
pub fn import(
    store: &mut dyn Store,
    path: &Path,
    options: &ImportOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, ImportError> {
    import_with(store, path, options, None, progress, cancel)
}

/// [`import`] writing the rejected rows to `rejects` too (see
/// [`super::import_file_with`]).
pub fn import_with(
    store: &mut dyn Store,
    path: &Path,
    options: &ImportOptions,
    rejects: Option<&mut RejectsFile>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    let name = file_name(path);
    let bytes = read_json_file(path, &POLICE_JSON)?;
    let size = bytes.len() as u64;
    progress.stage(&format!("Läser {name}"), size);
    let batch = read_batch(path, bytes, None)?;
    progress.advance(size);
    cancel.check()?;
    let mut report = ImportReport::new(path, super::Format::Polisen);
    store_batch(
        store,
        &name,
        batch,
        options.strict,
        &mut report,
        rejects,
        cancel,
    )?;
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::gpkg_datetime;

    use crate::import::test_support::json_fixture as fixture;

    fn published(text: &str) -> DateTime<FixedOffset> {
        parse_published(text).unwrap()
    }

    #[test]
    fn names() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(
            parse_name_time("10 januari 20.15, Skadegörelse, Sölvesborg"),
            Some(NamedTime {
                month: 1,
                day: 10,
                clock: t(20, 15)
            })
        );
        assert_eq!(
            parse_name_time("3 Oktober 08:05, Brand, Karlshamn").map(|n| (n.month, n.day, n.clock)),
            Some((10, 3, t(8, 5)))
        );
        assert_eq!(
            parse_name_time("12 januari 22.10–23.30, Brand, Sölvesborg")
                .unwrap()
                .clock,
            t(22, 10)
        );
        assert_eq!(
            parse_name_time("12 januari 22.10 - 23.30, Brand, Sölvesborg")
                .unwrap()
                .clock,
            t(22, 10)
        );
        assert_eq!(
            parse_name_time("20 januari, Rån, Karlshamn").unwrap().clock,
            None
        );
        assert_eq!(
            parse_name_time("12 januari 25.10, Brand, X").unwrap().clock,
            None
        );
        assert_eq!(parse_name_time("Sammanfattning natt, Blekinge län"), None);
        assert_eq!(parse_name_time("40 januari 10.00, Brand, X"), None);
        assert_eq!(parse_name_time("10 smörgås 10.00, Brand, X"), None);
        assert_eq!(parse_name_time(""), None);
    }

    #[test]
    fn event_times() {
        // Winter time: 20.15 local is 19.15 UTC.
        let (t, from) = event_time(
            Some("10 januari 20.15, Skadegörelse, Sölvesborg"),
            published("2025-01-10 20:32:11 +01:00"),
        );
        assert_eq!(
            (gpkg_datetime(t).as_str(), from),
            ("2025-01-10T19:15:00.000Z", TimeFrom::Name)
        );
        // Year rollover: named 31 December, published 2 January.
        let (t, _) = event_time(
            Some("31 december 23.50, Stöld, Sölvesborg"),
            published("2025-01-02 09:00:00 +01:00"),
        );
        assert_eq!(gpkg_datetime(t), "2024-12-31T22:50:00.000Z");
        // Summer time.
        let (t, _) = event_time(
            Some("5 juli 23.15, Misshandel, Sölvesborg"),
            published("2025-07-06 01:00:00 +02:00"),
        );
        assert_eq!(gpkg_datetime(t), "2025-07-05T21:15:00.000Z");
        // The evening before the clocks go forward, published after.
        let (t, _) = event_time(
            Some("29 mars 23.40, Skadegörelse, Sölvesborg"),
            published("2025-03-30 09:12:00 +02:00"),
        );
        assert_eq!(gpkg_datetime(t), "2025-03-29T22:40:00.000Z");
        // In the skipped hour: read as summer time one hour later.
        let (t, from) = event_time(
            Some("30 mars 02.30, Misshandel, Sölvesborg"),
            published("2025-03-30 08:00:00 +02:00"),
        );
        assert_eq!(
            (gpkg_datetime(t).as_str(), from),
            ("2025-03-30T01:30:00.000Z", TimeFrom::NameShifted)
        );
        // Date only: the publication time.
        let (t, from) = event_time(
            Some("20 januari, Rån, Karlshamn"),
            published("2025-01-21 10:11:12 +01:00"),
        );
        assert_eq!(
            (gpkg_datetime(t).as_str(), from),
            ("2025-01-21T09:11:12.000Z", TimeFrom::Published)
        );
        // Publication late in the evening UTC but next day locally: the local
        // date decides the year.
        let (t, _) = event_time(
            Some("1 januari 00.20, Brand, Sölvesborg"),
            published("2024-12-31T23:40:00Z"),
        );
        assert_eq!(gpkg_datetime(t), "2024-12-31T23:20:00.000Z");
        // An announcement: named two days after its publication, in the
        // same year (the old rule put it a year back).
        let (t, _) = event_time(
            Some("3 januari 10.00, Information, Blekinge län"),
            published("2025-01-01 12:00:00 +01:00"),
        );
        assert_eq!(gpkg_datetime(t), "2025-01-03T09:00:00.000Z");
        // Named early January, published late December: the next year.
        let (t, _) = event_time(
            Some("2 januari 10.00, Trafikkontroll, Sölvesborg"),
            published("2024-12-30 15:00:00 +01:00"),
        );
        assert_eq!(gpkg_datetime(t), "2025-01-02T09:00:00.000Z");
        // 29 February exists only in the leap year.
        let (t, _) = event_time(
            Some("29 februari 22.00, Brand, Sölvesborg"),
            published("2024-03-01 08:00:00 +01:00"),
        );
        assert_eq!(gpkg_datetime(t), "2024-02-29T21:00:00.000Z");
        // No name at all.
        let (_, from) = event_time(None, published("2025-01-21 10:11:12 +01:00"));
        assert_eq!(from, TimeFrom::Published);
    }

    /// The real sample in `data/` (events of Sölvesborg from the public
    /// history of the API, see `data/README.md`).
    fn sample_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/polisen_sample.json")
    }

    #[test]
    fn the_type_table_decides_every_listed_type() {
        let cat = |t: &str| category_for_type(t).0;
        // The types the issue lists, each decided deliberately.
        assert_eq!(cat("Häleri"), Category::Stold);
        assert_eq!(cat("Motorfordon, anträffat stulet"), Category::Stold);
        assert_eq!(cat("Larm Överfall"), Category::Otrygghet);
        assert_eq!(cat("Sedlighetsbrott"), Category::Otrygghet);
        assert_eq!(cat("Sexualbrott"), Category::Vald);
        assert_eq!(cat("Rån övrigt"), Category::Vald);
        assert_eq!(cat("Olaga frihetsberövande"), Category::Vald);
        assert_eq!(cat("Olaga frihetsberövande/människorov"), Category::Vald);
        assert_eq!(cat("Ordningslagen"), Category::Ordningsstorning);
        assert_eq!(cat("Alkohollagen"), Category::Ordningsstorning);
        assert_eq!(cat("Smällar"), Category::Otrygghet);
        assert_eq!(cat("Explosion"), Category::Vald);
        assert_eq!(cat("Detonation"), Category::Otrygghet);
        assert_eq!(cat("Olaga intrång"), Category::Ordningsstorning);
        assert_eq!(cat("Hemfridsbrott"), Category::Ordningsstorning);
        assert_eq!(cat("Ofredande/förargelse"), Category::Otrygghet);
        // Spelling variants the API has used: double spaces, trailing space, case.
        assert_eq!(cat("Trafikolycka,  singel"), Category::Ovrigt);
        assert_eq!(cat("Lagen om hundar och katter "), Category::Ovrigt);
        assert_eq!(cat("misshandel, GROV"), Category::Vald);
        assert_eq!(
            category_for_type("Stöld,  försök"),
            (Category::Stold, Some("Stöld, försök".to_owned()))
        );
        // The category's own name keeps no text; unknown types keep theirs.
        assert_eq!(category_for_type("Brand"), (Category::Brand, None));
        assert_eq!(
            category_for_type("Drönarlarm"),
            (Category::Ovrigt, Some("Drönarlarm".to_owned()))
        );
        // Some type of each category.
        for c in [
            Category::Skadegorelse,
            Category::Narkotika,
            Category::Vald,
            Category::Ordningsstorning,
            Category::Stold,
            Category::Brand,
            Category::Otrygghet,
            Category::Ovrigt,
        ] {
            assert!(TYPE_TABLE.iter().any(|(_, k)| *k == c), "{c:?}");
        }
        // No type listed twice, and none is a summary.
        let mut keys: Vec<String> = TYPE_TABLE.iter().map(|(t, _)| fold_name(t)).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a type is listed twice");
        assert!(TYPE_TABLE.iter().all(|(t, _)| !is_summary(t, None)));
    }

    #[test]
    fn every_type_of_the_real_history_is_in_the_table() {
        // The 97 types of 84 943 events in 2022–2026 (dnouri/polisen-se-events-history).
        let history = [
            "Trafikolycka",
            "Sammanfattning natt",
            "Brand",
            "Rattfylleri",
            "Trafikkontroll",
            "Övrigt",
            "Misshandel",
            "Stöld",
            "Trafikolycka, personskada",
            "Trafikbrott",
            "Sammanfattning kväll och natt",
            "Stöld/inbrott",
            "Arbetsplatsolycka",
            "Skadegörelse",
            "Rån",
            "Fylleri/LOB",
            "Trafikolycka, vilt",
            "Försvunnen person",
            "Narkotikabrott",
            "Trafikolycka, singel",
            "Misshandel, grov",
            "Bedrägeri",
            "Mord/dråp, försök",
            "Olaga hot",
            "Olovlig körning",
            "Knivlagen",
            "Våld/hot mot tjänsteman",
            "Bråk",
            "Farligt föremål, misstänkt",
            "Inbrott",
            "Fjällräddning",
            "Kontroll person/fordon",
            "Vapenlagen",
            "Djur",
            "Trafikolycka, smitning från",
            "Mord/dråp",
            "Motorfordon, stöld",
            "Trafikhinder",
            "Räddningsinsats",
            "Stöld, försök",
            "Olaga intrång",
            "Ofredande/förargelse",
            "Explosion",
            "Anträffad död",
            "Rån, försök",
            "Åldringsbrott",
            "Fylleri",
            "Skottlossning",
            "Våldtäkt",
            "Information",
            "Polisinsats/kommendering",
            "Häleri",
            "Motorfordon, anträffat stulet",
            "Detonation",
            "Sexualbrott",
            "Rån övrigt",
            "Kontroll",
            "Vållande till kroppsskada",
            "Inbrott, försök",
            "Larm Överfall",
            "Sedlighetsbrott",
            "Ordningslagen",
            "Uppdatering",
            "Hemfridsbrott",
            "Larm Inbrott",
            "Sjukdom/olycksfall",
            "Skyddslagen",
            "Skottlossning, misstänkt",
            "Mordbrand",
            "Alkohollagen",
            "Rån väpnat",
            "Anträffat gods",
            "Efterlyst person",
            "Smällar",
            "Sabotage mot blåljusverksamhet",
            "Sjölagen",
            "Olaga frihetsberövande/människorov",
            "Miljöbrott",
            "Våldtäkt, försök",
            "Luftfartslagen",
            "Utlänningslagen",
            "Missbruk av urkund",
            "Ekobrott",
            "Brand automatlarm",
            "Hets mot folkgrupp",
            "Lagen om hundar och katter ",
            "Sammanfattning dag",
            "Sammanfattning kväll",
            "Förfalskningsbrott",
            "Varningslarm/haveri",
            "Sammanfattning eftermiddag",
            "Spridning smitta/kemikalier",
            "Bombhot",
            "Sammanfattning helg",
            "Upphittat föremål",
            "Sammanfattning dygn",
            "Sammanfattning vecka",
        ];
        assert_eq!(history.len(), 97);
        for t in history {
            let listed = TYPE_TABLE.iter().any(|(k, _)| fold_name(k) == fold_name(t));
            assert!(
                listed || is_summary(t, None),
                "{t:?} is neither in the table nor a summary"
            );
        }
    }

    #[test]
    fn summaries_and_press_notices_are_told_from_incidents() {
        for t in [
            "Sammanfattning natt",
            "Sammanfattning kväll och natt",
            "Sammanfattning dag",
            "Sammanfattning vecka",
            "Information",
            "Uppdatering",
        ] {
            assert!(
                is_summary(t, Some("Ett urval av nattens händelser.")),
                "{t}"
            );
        }
        // Real notices of type Övrigt.
        assert!(is_summary(
            "Övrigt",
            Some(
                "Efter klockan 22:00 finns ingen presstalesperson i tjänst. Frågor från media besvaras av vakthavande befäl."
            )
        ));
        assert!(is_summary(
            "Övrigt",
            Some("Presstelefonen kopplas om för natten.")
        ));
        // A real Övrigt that is an event, and an incident that mentions the press.
        assert!(!is_summary(
            "Övrigt",
            Some(
                "Polisen har fattat beslut om kamerabevakning med fasta kameror och drönare under Sweden Rock Festival i Norje"
            )
        ));
        assert!(!is_summary(
            "Rån",
            Some("Presstalesperson: en butik rånad.")
        ));
        assert!(!is_summary("Misshandel", None));
    }

    #[test]
    fn the_real_sample_sorts_summaries_out_and_places_events() {
        let path = sample_path();
        let bytes = std::fs::read(&path).unwrap();
        let batch = read_batch(&path, bytes, None).unwrap();
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        assert_eq!(batch.events.len(), 152);
        assert_eq!(batch.summaries.len(), 15);
        let kinds: Vec<&str> = batch.summaries.iter().map(|s| s.kind.as_str()).collect();
        assert!(
            kinds.contains(&"Sammanfattning kväll och natt"),
            "{kinds:?}"
        );
        assert!(kinds.contains(&"Övrigt"), "{kinds:?}");
        assert!(
            batch
                .events
                .iter()
                .all(|r| r.incident.source == Source::Polis)
        );

        let by_id = |id: &str| {
            &batch
                .events
                .iter()
                .find(|r| r.incident.external_id.as_deref() == Some(id))
                .unwrap()
                .incident
        };
        let g = Gazetteer::bundled();
        let at = |name: &str| g.search(name)[0];
        // Real titles and summaries, and where the gazetteer put them.
        for (id, place) in [
            ("429700", "Mjällby"),    // "Försök till mord, Västra Mjälbyvägen, Mjällby."
            ("514013", "Hällevik"),   // "Mänskliga kvarlevor, Hällevik"
            ("518686", "Hörvik"),     // "Hög smäll hörs i Hörvik."
            ("521170", "Nogersund"),  // "Singelolycka på Lv123 vid Nogersund."
            ("591863", "Hällevik"),   // "… i Hällevik i Sölvesborg."
            ("534067", "Sölvesborg"), // "… misshandlad i centrala Sölvesborg …"
            ("626038", "Mjällby"),    // county position, "… fordonskontroll, Mjällby"
            ("633689", "Hörvik"),     // "Kutvägen, Hörvik"
        ] {
            let i = by_id(id);
            let p = at(place);
            assert_eq!(
                (i.position, i.precision_m),
                (p.position, p.precision_m),
                "{id}"
            );
            assert_eq!(i.place.as_deref(), Some(place), "{id}");
        }
        // Not placed: a club, a stretch between places, a street named after a village.
        for id in ["426350", "647277", "564243", "625141"] {
            assert!(by_id(id).precision_m >= Precision::MUNICIPALITY_M, "{id}");
        }
        // 2026 events name only the county; the title's municipality is used.
        let county_era = by_id("649592");
        assert_eq!(county_era.place.as_deref(), Some("Sölvesborg"));
        assert_eq!(county_era.position, at("Sölvesborg").position);
        assert_eq!(county_era.precision_m, Precision::MUNICIPALITY_M);
        let notes = batch.notes.join(" ");
        assert!(notes.contains("15 summar(y/ies)"), "{notes}");
        assert!(notes.contains("had only a county position"), "{notes}");
    }

    #[test]
    fn a_json_list_without_police_fields_is_one_file_error() {
        let p = Path::new("punkter.json");
        let body = br#"[{"lat": 56.05, "lon": 14.58, "kategori": "brand"}, {"lat": 56.06, "lon": 14.59}, 7]"#;
        let err = read_batch(p, body.to_vec(), None).unwrap_err();
        let ImportError::File { line, reason, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*line, None);
        assert!(
            reason.contains("3 element(s), none of which has a field of a police event"),
            "{reason}"
        );
        // Broken JSON names its line, an object is not a list.
        let err = read_batch(p, b"[\n{\"id\": 1},\n{,}]".to_vec(), None).unwrap_err();
        assert!(
            err.to_string().starts_with("punkter.json:3: broken JSON"),
            "{err}"
        );
        let err = read_batch(p, b"{}".to_vec(), None).unwrap_err();
        assert!(
            err.to_string().contains("not a list of police events"),
            "{err}"
        );
        let err = read_batch(p, b"  ".to_vec(), None).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn the_location_filter_keeps_the_municipality_and_its_county_summaries() {
        let filter = LocationFilter {
            events: vec![fold_name("Sölvesborg")],
            summaries: vec![fold_name("Blekinge län")],
        };
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/polisen/harvest_1.json");
        let bytes = std::fs::read(&path).unwrap();
        let batch = read_batch(&path, bytes, Some(filter.clone())).unwrap();
        let ids: Vec<&str> = batch
            .events
            .iter()
            .map(|r| r.incident.external_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["649592", "648913"]);
        assert_eq!(batch.elsewhere, 8);
        // The sample's county summary is kept, other counties' are not.
        let bytes = std::fs::read(sample_path()).unwrap();
        let batch = read_batch(&sample_path(), bytes, Some(filter)).unwrap();
        assert!(
            batch
                .summaries
                .iter()
                .all(|s| s.location.as_deref() == Some("Blekinge län"))
        );
        assert_eq!(batch.summaries.len(), 2);
        assert_eq!(batch.events.len(), 152);
    }

    #[test]
    fn location_precision() {
        assert_eq!(precision_for_location("Blekinge län"), Precision::COUNTY_M);
        assert_eq!(precision_for_location("Skåne Län"), Precision::COUNTY_M);
        assert_eq!(
            precision_for_location("Sölvesborg"),
            Precision::MUNICIPALITY_M
        );
        assert_eq!(
            precision_for_location("Karlshamn"),
            Precision::MUNICIPALITY_M
        );
        // "Län" inside a word is not a county.
        assert_eq!(precision_for_location("Lännäs"), Precision::MUNICIPALITY_M);
    }

    #[test]
    fn reads_the_blekinge_fixture() {
        let path = fixture("polisen_blekinge.json");
        let mut reader = reader(&path, &ImportOptions::default()).unwrap();
        assert_eq!(reader.bytes_read(), 0);
        let rows: Vec<ParsedRow> = reader.by_ref().map(Result::unwrap).collect();
        assert_eq!(reader.bytes_read(), std::fs::metadata(&path).unwrap().len());
        // The "Sammanfattning natt" at line 62 is no incident.
        assert_eq!(rows.len(), 11);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 14, 26, 38, 50, 74, 86, 98, 110, 122, 134]);

        let first = &rows[0].incident;
        assert_eq!(first.external_id.as_deref(), Some("563140"));
        assert_eq!(first.category, Category::Skadegorelse);
        assert_eq!(first.category_text, None);
        assert_eq!(first.source, Source::Polis);
        // "… på en skola i centrala Sölvesborg": the town, not the
        // municipality (the gazetteer's Sölvesborg, 2 km).
        let town = Gazetteer::bundled().search("Sölvesborg")[0];
        assert_eq!(first.position, town.position);
        assert_eq!(first.precision_m, Precision::TOWN_M);
        assert!(first.is_coarse());
        assert_eq!(first.place.as_deref(), Some("Sölvesborg"));
        // No place named: the police position stays.
        let brand = rows
            .iter()
            .map(|r| &r.incident)
            .find(|i| i.external_id.as_deref() == Some("563288"))
            .unwrap();
        assert_eq!(brand.position, LonLat::new(14.58568, 56.050608));
        assert_eq!(brand.precision_m, Precision::MUNICIPALITY_M);
        assert!(first.description.as_deref().unwrap().starts_with("Fönster"));
        assert_eq!(first.import_file.as_deref(), Some("polisen_blekinge.json"));
        assert_eq!(gpkg_datetime(first.occurred_at), "2025-01-10T19:15:00.000Z");

        let by_id = |id: &str| {
            rows.iter()
                .map(|r| &r.incident)
                .find(|i| i.external_id.as_deref() == Some(id))
                .unwrap()
        };
        assert_eq!(by_id("563201").category, Category::Vald);
        assert_eq!(by_id("563201").category_text.as_deref(), Some("Misshandel"));
        assert_eq!(
            gpkg_datetime(by_id("563288").occurred_at),
            "2025-01-12T21:10:00.000Z"
        );
        assert_eq!(by_id("563390").category, Category::Narkotika);
        let olycka = by_id("563402");
        assert_eq!(
            (olycka.category, olycka.category_text.as_deref()),
            (Category::Ovrigt, Some("Trafikolycka"))
        );
        assert_eq!(
            gpkg_datetime(olycka.occurred_at),
            "2025-01-18T15:45:00.000Z"
        );
        assert!(
            rows.iter()
                .all(|r| r.incident.external_id.as_deref() != Some("563455"))
        );
        assert_eq!(
            gpkg_datetime(by_id("562990").occurred_at),
            "2024-12-31T22:50:00.000Z"
        );
        assert_eq!(by_id("563500").category, Category::Vald);
        assert_eq!(
            gpkg_datetime(by_id("563500").occurred_at),
            "2025-01-21T09:11:12.000Z"
        );
        assert_eq!(
            gpkg_datetime(by_id("571010").occurred_at),
            "2025-03-29T22:40:00.000Z"
        );
        assert_eq!(
            gpkg_datetime(by_id("571022").occurred_at),
            "2025-03-30T01:30:00.000Z"
        );
        assert_eq!(by_id("572101").category, Category::Ordningsstorning);
        assert_eq!(by_id("572150").category, Category::Stold);

        let notes = reader.notes().join(" ");
        assert!(notes.contains("coarse"), "{notes}");
        assert!(notes.contains("1 summar(y/ies) or notice(s)"), "{notes}");
        assert!(
            notes.contains("1 event(s) name a place of the gazetteer"),
            "{notes}"
        );
        assert!(notes.contains("1 event(s) named no clock time"), "{notes}");
        assert!(
            notes.contains("1 event time(s) fell in the hour skipped"),
            "{notes}"
        );
    }

    #[test]
    fn non_events_are_row_errors() {
        let path = fixture("polisen_bad.json");
        let results: Vec<_> = reader(&path, &ImportOptions::default()).unwrap().collect();
        assert_eq!(results.len(), 7);
        assert!(results[0].is_ok());
        let errors: Vec<&RowError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0], (14, "no id: not a police event"));
        assert_eq!(
            got[1],
            (19, "event 580001: no location: not a police event")
        );
        assert_eq!(got[2].0, 26);
        assert!(got[2].1.contains("location.gps \"fel\""), "{}", got[2].1);
        assert_eq!(got[3].0, 37);
        assert!(got[3].1.contains("datetime \"igår\""), "{}", got[3].1);
        assert_eq!(got[4], (48, "not an event object"));
        assert_eq!(got[5].0, 49);
        assert!(
            got[5].1.contains("is outside Sweden (by its outline"),
            "{}",
            got[5].1
        );
        for e in &errors {
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("{}:{}: ", path.display(), e.line)),
                "{text}"
            );
            for secret in [
                "Cykel",
                "Hemligt",
                "plånbok",
                "Inget särskilt",
                "fel ordning",
            ] {
                assert!(!text.contains(secret), "summary text in error: {text}");
            }
        }
    }

    #[test]
    fn file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let err = |p: &Path| reader(p, &ImportOptions::default()).err().unwrap();

        let p = write("object.json", "{\n  \"type\": \"FeatureCollection\"\n}\n");
        let ImportError::File { line, reason, .. } = err(&p) else {
            panic!()
        };
        assert_eq!(line, Some(1));
        assert!(reason.contains("not a list of police events"), "{reason}");

        let p = write("broken.json", "[\n  {\"id\": 1},\n  {\"id\": 2,}\n]\n");
        let e = err(&p);
        let ImportError::File { line, reason, .. } = &e else {
            panic!()
        };
        assert_eq!(*line, Some(3));
        assert!(reason.starts_with("broken JSON"), "{reason}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}:3: broken JSON", p.display())),
            "{e}"
        );

        let p = write("empty.json", " \n");
        let ImportError::File { reason, .. } = err(&p) else {
            panic!()
        };
        assert_eq!(reason, "the file is empty");

        let missing = dir.path().join("missing.json");
        assert!(matches!(err(&missing), ImportError::Io { .. }));

        // An empty list is no error: it has no events.
        let p = write("none.json", "[]");
        assert_eq!(reader(&p, &ImportOptions::default()).unwrap().count(), 0);
    }

    #[test]
    fn too_large_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge.json");
        let f = std::fs::File::create(&p).unwrap();
        // A sparse file: no disk space used.
        f.set_len(POLICE_JSON.max_bytes + 1).unwrap();
        let Err(ImportError::File { reason, .. }) = reader(&p, &ImportOptions::default()) else {
            panic!()
        };
        assert!(
            reason.contains("read whole") && reason.contains("the limit is 32 MB"),
            "{reason}"
        );
    }
}
