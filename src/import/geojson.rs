//! GeoJSON reader: a FeatureCollection of Point features (or MultiPoints with
//! one point), properties mapped to incident fields like CSV columns.
//!
//! JSON is read whole (files above [`MAX_JSON_BYTES`] are refused). The file
//! is first checked as a whole with serde_json, so broken JSON is a file
//! error with its line; then a small structural scanner finds where each
//! feature starts, so that every row and row error carries the 1-based line
//! where its feature begins. Each feature is parsed on its own as it is read.
//!
//! # Coordinates
//! RFC 7946 says WGS84 longitude, latitude. Older files may carry a `crs`
//! member (`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}}`);
//! a supported projected system there, or `--crs` ([`ImportOptions::crs`],
//! which wins), is converted with [`ToWgs84`] taking x as easting and y as
//! northing, the order GeoJSON writes them.
//!
//! # Properties
//! Property names are matched like CSV headers (after [`fold_name`]): `id`,
//! `ärendenr`; `occurred_at`, `tidpunkt`, `datum`, `tid` (a `datum` and a `tid`
//! property together are date and time of day); `category`, `kategori`,
//! `brottstyp`, `typ`; `source`, `källa`; `place`, `plats`; `description`,
//! `beskrivning`; `precision`. [`ImportOptions::column_map`] overrides them
//! (exact name first, then ignoring case). A feature's own `id` member is the
//! external id when no property gives one.
//!
//! The scanner and time parsing here are shared with [`super::polisen`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::{Map, Value};

use super::{Field, ImportError, ImportOptions, ParsedRow, RowError, RowReader};
use crate::crs::{Crs, ToWgs84};
use crate::model::{Category, Incident, LonLat, Precision, Source, fold_name, time};

/// JSON files are read whole; larger files are refused.
pub const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Shared JSON plumbing (also used by the Polisen reader).

/// Reads a JSON file whole, refusing files above [`MAX_JSON_BYTES`] and empty
/// ones, and checks that it is well-formed JSON (a broken file is a file
/// error with the line serde_json reports). A UTF-8 byte-order mark is
/// blanked out (offsets and lines stay the same).
pub(crate) fn read_json_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_JSON_BYTES {
        return Err(file_error(
            path,
            None,
            format!(
                "the file is {} MB; JSON files are read whole into memory and the limit is {} MB (split the file, or convert it to CSV)",
                size / (1024 * 1024),
                MAX_JSON_BYTES / (1024 * 1024)
            ),
        ));
    }
    let mut bytes = std::fs::read(path).map_err(io)?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes[..3].copy_from_slice(b"   ");
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error(path, None, "the file is empty".to_owned()));
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        let line = u64::try_from(e.line()).ok().filter(|&l| l > 0);
        return Err(file_error(path, line, json_reason(&e)));
    }
    Ok(bytes)
}

/// serde_json's message without its " at line L column C" tail, plus the column.
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    if e.column() > 0 {
        format!("broken JSON: {text} (column {})", e.column())
    } else {
        format!("broken JSON: {text}")
    }
}

pub(crate) fn file_error(path: &Path, line: Option<u64>, reason: String) -> ImportError {
    ImportError::File {
        path: path.to_path_buf(),
        line,
        reason,
    }
}

/// Structural scanning of JSON that is known to be well-formed: finds where
/// values start and end without building them.
pub(crate) mod scan {
    /// Index of the first non-whitespace byte at or after `i`.
    pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }

    /// End (exclusive) of the string whose opening quote is at `i`.
    fn string_end(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'"' => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    }

    /// End (exclusive) of the value starting at `i`.
    pub fn value_end(b: &[u8], i: usize) -> Option<usize> {
        match *b.get(i)? {
            b'"' => string_end(b, i),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'"' => {
                            j = string_end(b, j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                let mut j = i;
                while j < b.len()
                    && !matches!(b[j], b',' | b']' | b'}')
                    && !b[j].is_ascii_whitespace()
                {
                    j += 1;
                }
                Some(j)
            }
        }
    }

    /// Spans (start, end) of the elements of the array whose `[` is at `i`.
    pub fn array_elements(b: &[u8], i: usize) -> Option<Vec<(usize, usize)>> {
        if b.get(i) != Some(&b'[') {
            return None;
        }
        let mut out = Vec::new();
        let mut j = skip_ws(b, i + 1);
        if b.get(j) == Some(&b']') {
            return Some(out);
        }
        loop {
            let end = value_end(b, j)?;
            out.push((j, end));
            j = skip_ws(b, end);
            match b.get(j)? {
                b',' => j = skip_ws(b, j + 1),
                b']' => return Some(out),
                _ => return None,
            }
        }
    }

    /// Members (key, value start, value end) of the object whose `{` is at `i`.
    pub fn object_members(b: &[u8], i: usize) -> Option<Vec<(String, usize, usize)>> {
        if b.get(i) != Some(&b'{') {
            return None;
        }
        let mut out = Vec::new();
        let mut j = skip_ws(b, i + 1);
        if b.get(j) == Some(&b'}') {
            return Some(out);
        }
        loop {
            let key_end = string_end(b, j)?;
            let key: String = serde_json::from_slice(&b[j..key_end]).ok()?;
            j = skip_ws(b, key_end);
            if b.get(j)? != &b':' {
                return None;
            }
            let start = skip_ws(b, j + 1);
            let end = value_end(b, start)?;
            out.push((key, start, end));
            j = skip_ws(b, end);
            match b.get(j)? {
                b',' => j = skip_ws(b, j + 1),
                b'}' => return Some(out),
                _ => return None,
            }
        }
    }
}

/// Turns increasing byte offsets into 1-based line numbers, counting newlines
/// once from the previous offset.
#[derive(Debug, Default)]
pub(crate) struct LineCounter {
    pos: usize,
    line: u64,
}

impl LineCounter {
    pub fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        if offset < self.pos {
            self.pos = 0;
            self.line = 0;
        }
        let end = offset.min(bytes.len());
        self.line += bytes[self.pos..end].iter().filter(|&&c| c == b'\n').count() as u64;
        self.pos = end;
        self.line + 1
    }
}

/// The file name (not path) recorded as an incident's `import_file`.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Parses a date and time the way CSV files write them: ISO 8601 with an
/// offset or `Z`; without one it is Swedish local time (`2025-03-14T22:40`,
/// `2025-03-14 22:40[:00]`, `14/3/2025 22:40`, `14.3.2025 22.40`). The error
/// says what was expected; it quotes the value (times are not sensitive).
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty time".to_owned());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, fmt) {
            return Ok(d.with_timezone(&Utc));
        }
    }
    let naive = parse_naive(t).ok_or_else(|| {
        if parse_date(t).is_some() {
            format!("time {t:?} has a date but no time of day")
        } else {
            format!(
                "unreadable time {t:?}: expected e.g. 2025-03-14T22:40:00+01:00, 2025-03-14 22:40 (Swedish local time) or 14/3/2025 22:40"
            )
        }
    })?;
    time::utc_from_local(naive).map_err(|e| format!("time {t:?}: {e}"))
}

/// A local date and time without offset.
fn parse_naive(t: &str) -> Option<NaiveDateTime> {
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H.%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d.%m.%Y %H:%M",
        "%d.%m.%Y %H.%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(d);
        }
    }
    None
}

/// A date alone: `2025-03-14`, `14/3/2025`, `14.3.2025`.
pub(crate) fn parse_date(t: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
        .into_iter()
        .find_map(|f| NaiveDate::parse_from_str(t.trim(), f).ok())
}

/// A time of day alone: `22:40`, `22.40`, `22:40:15`, `2240`.
fn parse_clock(t: &str) -> Option<NaiveTime> {
    let t = t.trim();
    ["%H:%M:%S", "%H:%M", "%H.%M", "%H%M"]
        .into_iter()
        .find_map(|f| NaiveTime::parse_from_str(t, f).ok())
}

// ---------------------------------------------------------------------------
// Property names.

/// The field a property name means by the CSV header rules, if any.
pub(crate) fn field_from_name(name: &str) -> Option<Field> {
    let n = fold_name(name);
    Some(match n.as_str() {
        "id" | "arendenr" | "arendenummer" | "arende" | "arende nr" | "external id"
        | "externt id" | "diarienr" | "diarienummer" => Field::Id,
        "occurred at" | "occurredat" | "datetime" | "date time" | "tidpunkt" | "datum tid"
        | "datum och tid" | "timestamp" | "tid" | "time" | "datum" | "date" => Field::OccurredAt,
        "klockslag" | "kl" => Field::Time,
        "category" | "kategori" | "brottstyp" | "typ" | "type" | "handelsetyp" => Field::Category,
        "source" | "kalla" | "rapportor" | "rapporterad av" => Field::Source,
        "place" | "plats" | "adress" | "address" | "location name" | "platsnamn" => Field::Place,
        "description" | "beskrivning" | "kommentar" | "notering" => Field::Description,
        "precision" | "precision m" | "noggrannhet" | "noggrannhet m" | "accuracy" => {
            Field::Precision
        }
        _ => return None,
    })
}

/// Decides the field of every property name seen in one feature, given the
/// overrides. When both a date and a separate time-of-day property are present
/// (`datum` + `tid`/`klockslag`), they become [`Field::Date`] and [`Field::Time`].
fn map_properties<'a>(
    names: impl Iterator<Item = &'a String>,
    column_map: &[(String, Field)],
) -> BTreeMap<String, Field> {
    let mut out = BTreeMap::new();
    for name in names {
        let forced = column_map
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| {
                column_map
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
            })
            .or_else(|| {
                column_map
                    .iter()
                    .find(|(k, _)| k.to_lowercase() == name.to_lowercase())
            })
            .map(|(_, f)| *f);
        if let Some(f) = forced.or_else(|| field_from_name(name)) {
            out.insert(name.clone(), f);
        }
    }
    let is_forced = |name: &str| column_map.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let date_name = out
        .iter()
        .find(|(n, f)| {
            **f == Field::OccurredAt
                && !is_forced(n)
                && matches!(fold_name(n).as_str(), "datum" | "date")
        })
        .map(|(n, _)| n.clone());
    let time_name = out
        .iter()
        .find(|(n, f)| {
            !is_forced(n)
                && (**f == Field::Time
                    || (**f == Field::OccurredAt
                        && matches!(fold_name(n).as_str(), "tid" | "time")))
        })
        .map(|(n, _)| n.clone());
    if let (Some(d), Some(t)) = (date_name, time_name) {
        out.insert(d, Field::Date);
        out.insert(t, Field::Time);
    }
    out
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number, or a numeric string with a decimal point or comma.
fn value_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The GeoJSON reader.

/// The coordinate system of a legacy `crs` member, if any.
fn legacy_crs(path: &Path, line: u64, crs: &Value) -> Result<Option<Crs>, ImportError> {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str);
    let Some(name) = name else {
        if crs.is_null() {
            return Ok(None);
        }
        return Err(file_error(
            path,
            Some(line),
            "the crs member has no properties.name; name the coordinate system with --crs"
                .to_owned(),
        ));
    };
    let folded = name.to_ascii_uppercase();
    if folded.ends_with("CRS84") || folded.ends_with("CRS:84") {
        return Ok(Some(Crs::WGS84));
    }
    let digits: String = name
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let code: Option<u32> = digits.parse().ok();
    match code {
        Some(4326) => Ok(Some(Crs::WGS84)),
        Some(code) => Crs::from_epsg(code)
            .map(Some)
            .map_err(|e| file_error(path, Some(line), format!("crs {name:?}: {e}"))),
        None => Err(file_error(
            path,
            Some(line),
            format!("crs {name:?} names no EPSG code; name the coordinate system with --crs"),
        )),
    }
}

struct GeoJsonReader {
    path: PathBuf,
    file_name: String,
    bytes: Vec<u8>,
    features: Vec<(usize, usize)>,
    next: usize,
    lines: LineCounter,
    options: ImportOptions,
    /// `None` for WGS84 lon/lat.
    to_wgs84: Option<ToWgs84>,
    crs_note: String,
    /// Property name → field, as used so far.
    used_fields: BTreeMap<String, Field>,
    ignored_properties: BTreeMap<String, u64>,
}

/// Opens a GeoJSON FeatureCollection of points. See the module docs.
pub fn reader(path: &Path, options: &ImportOptions) -> Result<Box<dyn RowReader>, ImportError> {
    let bytes = read_json_file(path)?;
    let start = scan::skip_ws(&bytes, 0);
    let scan_failed = || file_error(path, None, "could not find the JSON structure".to_owned());
    let members = if bytes.get(start) == Some(&b'{') {
        scan::object_members(&bytes, start).ok_or_else(scan_failed)?
    } else {
        return Err(file_error(
            path,
            Some(1),
            "not a GeoJSON FeatureCollection: the file holds a JSON array or value, not an object (a list of police events? use --format polisen)"
                .to_owned(),
        ));
    };
    let mut lines = LineCounter::default();
    let member = |key: &str| members.iter().find(|(k, _, _)| k == key);
    let type_value = member("type")
        .and_then(|&(_, s, e)| serde_json::from_slice::<Value>(&bytes[s..e]).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    if type_value.as_deref() != Some("FeatureCollection") {
        let line = member("type").map(|&(_, s, _)| lines.line_at(&bytes, s));
        let what = match &type_value {
            Some(t) => format!("its type is {t:?}"),
            None => "it has no type member".to_owned(),
        };
        return Err(file_error(
            path,
            line.or(Some(1)),
            format!("not a GeoJSON FeatureCollection: {what}"),
        ));
    }
    let Some(&(_, fs, _)) = member("features") else {
        return Err(file_error(
            path,
            Some(1),
            "the FeatureCollection has no features member".to_owned(),
        ));
    };
    let features_line = LineCounter::default().line_at(&bytes, fs);
    let features = scan::array_elements(&bytes, fs).ok_or_else(|| {
        file_error(
            path,
            Some(features_line),
            "features is not an array".to_owned(),
        )
    })?;

    let file_crs = match member("crs") {
        Some(&(_, s, e)) => {
            let line = LineCounter::default().line_at(&bytes, s);
            let v: Value = serde_json::from_slice(&bytes[s..e]).unwrap_or(Value::Null);
            legacy_crs(path, line, &v)?
        }
        None => None,
    };
    let crs = options.crs.or(file_crs);
    let crs_note = match (options.crs, file_crs) {
        (Some(forced), Some(named)) if forced != named => format!(
            "Coordinates read as {forced} as --crs says, although the file's crs member names {named}; x = easting, y = northing."
        ),
        (Some(forced), _) if !forced.is_geographic() => {
            format!("Coordinates read as {forced} (--crs); x = easting, y = northing.")
        }
        (None, Some(named)) if !named.is_geographic() => format!(
            "Coordinates converted from {named}, named by the file's legacy crs member; x = easting, y = northing."
        ),
        _ => "Coordinates read as WGS84 longitude, latitude (RFC 7946).".to_owned(),
    };
    let to_wgs84 = match crs {
        Some(c) if !c.is_geographic() => {
            Some(ToWgs84::new(c).map_err(|e| file_error(path, None, e.to_string()))?)
        }
        _ => None,
    };

    Ok(Box::new(GeoJsonReader {
        path: path.to_path_buf(),
        file_name: file_name(path),
        bytes,
        features,
        next: 0,
        lines: LineCounter::default(),
        options: options.clone(),
        to_wgs84,
        crs_note,
        used_fields: BTreeMap::new(),
        ignored_properties: BTreeMap::new(),
    }))
}

impl GeoJsonReader {
    fn feature(&mut self, value: Value) -> Result<Incident, String> {
        let Value::Object(feature) = value else {
            return Err("not a feature object".to_owned());
        };
        match feature.get("type").and_then(Value::as_str) {
            Some("Feature") => {}
            Some(t) => return Err(format!("not a Feature: its type is {t:?}")),
            None => return Err("not a Feature: it has no type".to_owned()),
        }
        let position = self.point_position(feature.get("geometry"))?;

        let empty = Map::new();
        let properties = match feature.get("properties") {
            Some(Value::Object(p)) => p,
            Some(Value::Null) | None => &empty,
            Some(_) => return Err("properties is not an object".to_owned()),
        };
        let fields = map_properties(properties.keys(), &self.options.column_map);
        for name in properties.keys() {
            match fields.get(name) {
                Some(f) => {
                    self.used_fields.entry(name.clone()).or_insert(*f);
                }
                None => *self.ignored_properties.entry(name.clone()).or_default() += 1,
            }
        }
        let get = |field: Field| {
            fields
                .iter()
                .find(|(_, f)| **f == field)
                .and_then(|(n, _)| properties.get(n))
                .filter(|v| !v.is_null())
        };

        let occurred_at =
            match (get(Field::OccurredAt), get(Field::Date), get(Field::Time)) {
                (Some(v), _, _) => {
                    let text = value_text(v).ok_or("the time is not text")?;
                    parse_time(&text)?
                }
                (None, Some(d), Some(t)) => {
                    let d_text = value_text(d).ok_or("the date is not text")?;
                    let t_text = value_text(t).ok_or("the time of day is not text")?;
                    let date = parse_date(&d_text).ok_or_else(|| {
                        format!("unreadable date {d_text:?}: expected e.g. 2025-03-14")
                    })?;
                    let clock = parse_clock(&t_text).ok_or_else(|| {
                        format!("unreadable time of day {t_text:?}: expected e.g. 22:40")
                    })?;
                    time::utc_from_local(NaiveDateTime::new(date, clock))
                        .map_err(|e| format!("time {d_text:?} {t_text:?}: {e}"))?
                }
                (None, Some(_), None) => {
                    return Err("the feature has a date but no time of day".to_owned());
                }
                _ => return Err(
                    "the feature has no time (a property such as occurred_at, tidpunkt or datum)"
                        .to_owned(),
                ),
            };

        let (category, category_text) = match get(Field::Category).and_then(value_text) {
            Some(text) => match Category::parse_loose(&text) {
                Some(c) => {
                    let keep = (fold_name(&text) != c.key()).then_some(text);
                    (c, keep)
                }
                None => (Category::Ovrigt, Some(text)),
            },
            None => (Category::Ovrigt, None),
        };
        let (source, source_text) = match get(Field::Source).and_then(value_text) {
            Some(text) => match Source::parse_loose(&text) {
                Some(s) => (s, None),
                None => (Source::Ovrigt, Some(text)),
            },
            None => (self.options.default_source.unwrap_or(Source::Ovrigt), None),
        };
        let precision_m = match get(Field::Precision) {
            Some(v) => match value_number(v) {
                Some(p) if p.is_finite() && p > 0.0 => p,
                _ => return Err(format!("precision {v} is not a positive number of metres")),
            },
            None => Precision::EXACT_M,
        };

        let mut incident = Incident::new(occurred_at, category, source, position, precision_m);
        incident.category_text = category_text;
        incident.source_text = source_text;
        incident.place = get(Field::Place).and_then(value_text);
        incident.description = get(Field::Description).and_then(value_text);
        incident.external_id = get(Field::Id)
            .and_then(value_text)
            .or_else(|| feature.get("id").and_then(value_text));
        incident.import_file = Some(self.file_name.clone());
        Ok(incident)
    }

    fn point_position(&self, geometry: Option<&Value>) -> Result<LonLat, String> {
        let geometry = match geometry {
            None | Some(Value::Null) => return Err("the feature has no geometry".to_owned()),
            Some(Value::Object(g)) => g,
            Some(_) => return Err("the geometry is not an object".to_owned()),
        };
        let coords = geometry.get("coordinates");
        let point = match geometry.get("type").and_then(Value::as_str) {
            Some("Point") => coords,
            Some("MultiPoint") => match coords.and_then(Value::as_array) {
                Some(points) if points.len() == 1 => points.first(),
                Some(points) => {
                    return Err(format!(
                        "a MultiPoint with {} points; only one point per incident is supported",
                        points.len()
                    ));
                }
                None => None,
            },
            Some(other) => {
                return Err(format!(
                    "geometry type {other} is not supported; incidents must be Point features (or a MultiPoint with one point)"
                ));
            }
            None => return Err("the geometry has no type".to_owned()),
        };
        let xy = point
            .and_then(Value::as_array)
            .filter(|a| a.len() >= 2)
            .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)))
            .ok_or("the point has no [x, y] coordinates")?;
        let (x, y) = xy;
        let p = match &self.to_wgs84 {
            Some(t) => t.convert(x, y).map_err(|e| e.to_string())?,
            None => {
                if x.abs() > 180.0 || y.abs() > 90.0 {
                    return Err(format!(
                        "coordinates ({x}, {y}) are not longitude, latitude; name the coordinate system with --crs (e.g. EPSG:3006)"
                    ));
                }
                LonLat::new(x, y)
            }
        };
        if !p.is_in_sweden_region() {
            return Err(format!(
                "position (lon {:.5}, lat {:.5}) is far outside Sweden",
                p.lon, p.lat
            ));
        }
        Ok(p)
    }
}

impl Iterator for GeoJsonReader {
    type Item = Result<ParsedRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let &(start, end) = self.features.get(self.next)?;
        self.next += 1;
        let line = self.lines.line_at(&self.bytes, start);
        let parsed = serde_json::from_slice::<Value>(&self.bytes[start..end]);
        let result = match parsed {
            Ok(v) => self.feature(v),
            Err(e) => Err(json_reason(&e)),
        };
        Some(match result {
            Ok(incident) => Ok(ParsedRow { line, incident }),
            Err(reason) => Err(RowError {
                path: self.path.clone(),
                line,
                reason,
                raw: Some(String::from_utf8_lossy(&self.bytes[start..end]).into_owned()),
            }),
        })
    }
}

impl RowReader for GeoJsonReader {
    fn notes(&self) -> Vec<String> {
        let mut notes = vec![self.crs_note.clone()];
        if !self.used_fields.is_empty() {
            let mapped: Vec<String> = self
                .used_fields
                .iter()
                .map(|(name, field)| format!("{name:?} → {}", field_key(*field)))
                .collect();
            notes.push(format!("Properties read: {}.", mapped.join(", ")));
        }
        if !self.ignored_properties.is_empty() {
            let names: Vec<String> = self
                .ignored_properties
                .keys()
                .map(|n| format!("{n:?}"))
                .collect();
            notes.push(format!(
                "Properties left unread (no matching field; map them with --map NAME=FIELD): {}.",
                names.join(", ")
            ));
        }
        notes
    }

    fn bytes_read(&self) -> u64 {
        match self.next {
            0 => 0,
            n if n >= self.features.len() => self.bytes.len() as u64,
            n => self.features[n - 1].1 as u64,
        }
    }
}

/// The `--map` name of a field.
fn field_key(field: Field) -> &'static str {
    match field {
        Field::Id => "id",
        Field::Lon => "lon",
        Field::Lat => "lat",
        Field::X => "x",
        Field::Y => "y",
        Field::Easting => "easting",
        Field::Northing => "northing",
        Field::OccurredAt => "occurred_at",
        Field::Date => "date",
        Field::Time => "time",
        Field::Category => "category",
        Field::Source => "source",
        Field::Place => "place",
        Field::Description => "description",
        Field::Precision => "precision",
        Field::Ignore => "ignore",
    }
}
