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
//! # Time
//! `datetime` is when the event was *published*. The event's own time is in
//! `name`: a day, a Swedish month name and usually a clock time (`20.15` or
//! `20:15`, sometimes a range `20.15–21.00`, whose start is taken). It wins
//! when it can be read: the year comes from `datetime`, one year earlier when
//! the named date would fall after the publication date (an event "31
//! december 23.50" published on 2 January). A name with a date but no clock
//! time, or none that can be read, gets the publication time, and the notes
//! say how many. A clock time in the spring-forward hour (which never
//! happened) is read as summer time, one hour later.
//!
//! # Position and precision
//! `location.gps` ("lat,lon", latitude first) is only the centre of a town,
//! municipality or county, so every event is coarse:
//! - a location name ending in " län" (e.g. "Blekinge län") →
//!   [`Precision::COUNTY_M`];
//! - any other name → [`Precision::MUNICIPALITY_M`]. The API uses municipality
//!   names ("Sölvesborg", "Karlshamn"), and a name such as "Sölvesborg" is both
//!   a town and a municipality; without a list of which is meant, the wider,
//!   honest reading is the municipality.
//!
//! # Other fields
//! `type` → category through [`Category::parse_loose`] (unknown, e.g.
//! "Trafikolycka" or "Sammanfattning natt" → [`Category::Ovrigt`], the text
//! kept); source is always [`Source::Polis`]; `id` → external id; location
//! name → place; `summary` → description (public, but treated as sensitive
//! like every description: never in errors or notes). Objects without `id` or
//! `location` are not events and become row errors.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value;

use super::geojson::{
    LineCounter, file_error, file_name, next_span, read_json_file, row_from_span, scan,
    spans_bytes_read,
};
use super::{ImportError, ImportOptions, ParsedRow, RowError, RowReader};
use crate::model::{Category, Incident, LonLat, Precision, Source, fold_name, time};

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

/// The event's time from its name and publication time (see the module docs).
fn event_time(name: Option<&str>, published: DateTime<FixedOffset>) -> (DateTime<Utc>, TimeFrom) {
    let fallback = (published.with_timezone(&Utc), TimeFrom::Published);
    let Some(named) = name.and_then(parse_name_time) else {
        return fallback;
    };
    let Some(clock) = named.clock else {
        return fallback;
    };
    let pub_date = time::local(published.with_timezone(&Utc)).date_naive();
    let date_in = |year: i32| NaiveDate::from_ymd_opt(year, named.month, named.day);
    let date = match date_in(pub_date.year()) {
        Some(d) if d <= pub_date => Some(d),
        _ => date_in(pub_date.year() - 1),
    };
    let Some(date) = date else {
        return fallback;
    };
    let naive = NaiveDateTime::new(date, clock);
    match time::utc_from_local(naive) {
        Ok(t) => (t, TimeFrom::Name),
        Err(_) => match time::utc_from_local(naive + chrono::Duration::hours(1)) {
            Ok(t) => (t, TimeFrom::NameShifted),
            Err(_) => fallback,
        },
    }
}

/// Precision for a police location name (see the module docs).
pub(crate) fn precision_for_location(name: &str) -> f64 {
    if fold_name(name).ends_with(" lan") {
        Precision::COUNTY_M
    } else {
        Precision::MUNICIPALITY_M
    }
}

/// "56.050608,14.58568" (latitude first).
fn parse_gps(text: &str) -> Option<LonLat> {
    let (lat, lon) = text.split_once(',')?;
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    Some(LonLat::new(lon, lat))
}

struct PolisenReader {
    path: PathBuf,
    file_name: String,
    bytes: Vec<u8>,
    events: Vec<(usize, usize)>,
    next: usize,
    lines: LineCounter,
    from_published: u64,
    shifted: u64,
    from_name: u64,
}

/// Opens a Polisen events file. See the module docs.
pub fn reader(path: &Path, _options: &ImportOptions) -> Result<Box<dyn RowReader>, ImportError> {
    let bytes = read_json_file(path)?;
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
    let events = scan::array_elements(&bytes, start)
        .ok_or_else(|| file_error(path, None, "could not find the JSON structure".to_owned()))?;
    Ok(Box::new(PolisenReader {
        path: path.to_path_buf(),
        file_name: file_name(path),
        bytes,
        events,
        next: 0,
        lines: LineCounter::default(),
        from_published: 0,
        shifted: 0,
        from_name: 0,
    }))
}

impl PolisenReader {
    fn event(&mut self, value: Value) -> Result<Incident, String> {
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
        let gps = location
            .get("gps")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("event {id}: the location has no gps"))?;
        let position = parse_gps(gps).ok_or_else(|| {
            format!("event {id}: unreadable location.gps {gps:?}: expected \"lat,lon\" such as \"56.050608,14.58568\"")
        })?;
        if !position.is_in_sweden_region() {
            return Err(format!(
                "event {id}: position (lat {}, lon {}) is far outside Sweden",
                position.lat, position.lon
            ));
        }
        let published_text = event
            .get("datetime")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("event {id}: no datetime"))?;
        let published = parse_published(published_text).ok_or_else(|| {
            format!(
                "event {id}: unreadable datetime {published_text:?}: expected e.g. \"2025-01-10 20:32:11 +01:00\""
            )
        })?;
        let name = event.get("name").and_then(Value::as_str);
        let (occurred_at, from) = event_time(name, published);
        match from {
            TimeFrom::Name => self.from_name += 1,
            TimeFrom::Published => self.from_published += 1,
            TimeFrom::NameShifted => self.shifted += 1,
        }

        let type_text = event
            .get("type")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or_else(|| {
                // "10 januari 20.15, Skadegörelse, Sölvesborg": the middle part.
                let parts: Vec<&str> = name?.split(',').map(str::trim).collect();
                (parts.len() >= 3).then(|| parts[1..parts.len() - 1].join(", "))
            });
        let (category, category_text) = match type_text {
            Some(text) => match Category::parse_loose(&text) {
                Some(c) => {
                    let keep = (fold_name(&text) != c.key()).then_some(text);
                    (c, keep)
                }
                None => (Category::Ovrigt, Some(text)),
            },
            None => (Category::Ovrigt, None),
        };

        let place = location
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let precision_m = place
            .as_deref()
            .map(precision_for_location)
            .unwrap_or(Precision::MUNICIPALITY_M);

        let mut incident =
            Incident::new(occurred_at, category, Source::Polis, position, precision_m);
        incident.category_text = category_text;
        incident.place = place;
        incident.description = event
            .get("summary")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        incident.external_id = Some(id);
        incident.import_file = Some(self.file_name.clone());
        Ok(incident)
    }
}

impl Iterator for PolisenReader {
    type Item = Result<ParsedRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (span, line, parsed) =
            next_span(&self.bytes, &self.events, &mut self.next, &mut self.lines)?;
        let result = parsed.and_then(|v| self.event(v));
        Some(row_from_span(&self.path, &self.bytes, span, line, result))
    }
}

impl RowReader for PolisenReader {
    fn notes(&self) -> Vec<String> {
        let mut notes = vec![
            "Polisen events: each event's time is read from its name (day, month, clock time); the year comes from the publication time, one year earlier when the named date would fall after publication.".to_owned(),
            format!(
                "Police positions are only the centre of a town, municipality or county, so the events are stored as coarse: precision {} m for a municipality or town name, {} m for a county (a name ending in \"län\").",
                Precision::MUNICIPALITY_M,
                Precision::COUNTY_M
            ),
        ];
        if self.from_name + self.shifted > 0 {
            notes.push(format!(
                "{} event time(s) read from the event names.",
                self.from_name + self.shifted
            ));
        }
        if self.from_published > 0 {
            notes.push(format!(
                "{} event(s) named no clock time (or no readable date); their publication time was used instead.",
                self.from_published
            ));
        }
        if self.shifted > 0 {
            notes.push(format!(
                "{} event time(s) fell in the hour skipped when clocks go forward and were read as summer time, one hour later.",
                self.shifted
            ));
        }
        notes
    }

    fn bytes_read(&self) -> u64 {
        spans_bytes_read(&self.events, self.next, self.bytes.len())
    }
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
        // No name at all.
        let (_, from) = event_time(None, published("2025-01-21 10:11:12 +01:00"));
        assert_eq!(from, TimeFrom::Published);
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
        assert_eq!(rows.len(), 12);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 14, 26, 38, 50, 62, 74, 86, 98, 110, 122, 134]);

        let first = &rows[0].incident;
        assert_eq!(first.external_id.as_deref(), Some("563140"));
        assert_eq!(first.category, Category::Skadegorelse);
        assert_eq!(first.category_text, None);
        assert_eq!(first.source, Source::Polis);
        assert_eq!(first.position, LonLat::new(14.58568, 56.050608));
        assert_eq!(first.precision_m, Precision::MUNICIPALITY_M);
        assert!(first.is_coarse());
        assert_eq!(first.place.as_deref(), Some("Sölvesborg"));
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
        let natt = by_id("563455");
        assert_eq!(natt.precision_m, Precision::COUNTY_M);
        assert_eq!(natt.category, Category::Ovrigt);
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
        assert!(got[5].1.contains("far outside Sweden"), "{}", got[5].1);
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
        f.set_len(super::super::geojson::MAX_JSON_BYTES + 1)
            .unwrap();
        let Err(ImportError::File { reason, .. }) = reader(&p, &ImportOptions::default()) else {
            panic!()
        };
        assert!(
            reason.contains("read whole") && reason.contains("256 MB"),
            "{reason}"
        );
    }
}
