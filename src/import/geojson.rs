//! GeoJSON reader: a FeatureCollection of Point features (or MultiPoints with
//! one point), properties mapped to incident fields like CSV columns.
//!
//! The file is streamed, never read whole ([`GeoJsonReader::open`]): a first
//! pass checks it as a whole with serde_json's streaming deserializer, so
//! broken JSON is a file error with its line; then a small structural
//! scanner hands over one feature at a time with the 1-based line where it
//! begins, for every row and row error. Each feature is parsed on its own
//! by the `geojson` crate (`benches/geojson_read.rs` measured the crate
//! against the scanner's own parsing; the scanner stays only for the lines).
//!
//! # Coordinates
//! RFC 7946 says WGS84 longitude, latitude. Older files may carry a `crs`
//! member (`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}}`);
//! a supported projected system there, or `--crs` ([`ImportOptions::crs`],
//! which wins), is converted with [`crate::crs::ToWgs84`] taking x as easting and y as
//! northing, the order GeoJSON writes them.
//!
//! # Properties
//! Property names are matched by the CSV header rules (the same table, after
//! [`crate::model::fold_name`]): `id`, `ärendenr`; `occurred_at`, `tidpunkt`;
//! `datum` + `tid`; `category`, `kategori`, `brottstyp`, `typ`; `source`,
//! `källa`; `place`, `plats`; `description`, `beskrivning`; `precision` …
//! [`ImportOptions::column_map`] overrides them (exact name first, then
//! ignoring case); a `--map` name no feature has is noted, not an error, as
//! features may differ in their properties. Times are parsed as the CSV reader
//! parses them (ISO 8601 with offset or `Z`; without offset Swedish local
//! time; `2025-03-14 22:40`; `14/3/2025 22:40`; a date alone is 00:00, noted).
//! A feature's own `id` member is the external id when no property gives one.
//!
//! The JSON plumbing here (the whole-file read with its [`WholeJson`] limit,
//! the scanner) is shared with [`super::polisen`] and [`super::shapes`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Deserialize as _;

use serde_json::Value;

use super::shapes::Positions;
use super::text::{self, DateOrder, Stamp};
use super::{Field, ImportError, ImportOptions, ParsedRow, RowError, RowReader};
use crate::crs::Crs;
use crate::model::{Category, Incident, LonLat, Precision, Source, time};

/// A kind of JSON file that is read whole, how large it may be, and what the
/// refusal of a larger one says. The incident GeoJSON reader streams and has
/// no such limit; the readers that keep the whole content anyway (the Police
/// events, stored in one call; a map layer, kept whole to be drawn) refuse a
/// file above their limit before reading a byte of it.
#[derive(Debug, Clone, Copy)]
pub struct WholeJson {
    /// Largest file read, bytes.
    pub max_bytes: u64,
    /// What the file is, e.g. "a Polisen events file".
    pub what: &'static str,
    /// Why it is read whole.
    pub why: &'static str,
    /// What to do instead.
    pub instead: &'static str,
}

// ---------------------------------------------------------------------------
// Shared JSON plumbing (also used by the Polisen reader).

/// Reads a JSON file whole, refusing files above `limit` (before reading,
/// naming the file, its size and the limit) and empty ones, and checks that
/// it is well-formed JSON (a broken file is a file error with the line
/// serde_json reports). A UTF-8 byte-order mark is blanked out (offsets and
/// lines stay the same).
pub(crate) fn read_json_file(path: &Path, limit: &WholeJson) -> Result<Vec<u8>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limit.max_bytes {
        return Err(file_error(
            path,
            None,
            format!(
                "the file is {:.1} MB; {} is read whole into memory ({}) and the limit is {} MB: {}",
                size as f64 / (1024.0 * 1024.0),
                limit.what,
                limit.why,
                limit.max_bytes / (1024 * 1024),
                limit.instead
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

/// serde_json's message without its " at line L column C" tail.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// serde_json's message without its " at line L column C" tail, plus the column.
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let text = strip_position(e);
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

/// The top-level object of a GeoJSON file, its members found by [`scan`]:
/// what the incident reader here and the layer reader
/// ([`super::shapes::read_features`]) both need from it.
pub(crate) struct Root<'b> {
    path: &'b Path,
    bytes: &'b [u8],
    members: Vec<(String, usize, usize)>,
}

impl<'b> Root<'b> {
    /// The members of the file's top-level object; `None` when the file
    /// holds a JSON array or value instead.
    pub(crate) fn parse(path: &'b Path, bytes: &'b [u8]) -> Result<Option<Root<'b>>, ImportError> {
        let start = scan::skip_ws(bytes, 0);
        if bytes.get(start) != Some(&b'{') {
            return Ok(None);
        }
        let members = scan::object_members(bytes, start).ok_or_else(|| {
            file_error(path, None, "could not find the JSON structure".to_owned())
        })?;
        Ok(Some(Root {
            path,
            bytes,
            members,
        }))
    }

    fn member(&self, key: &str) -> Option<(usize, usize)> {
        self.members
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|&(_, s, e)| (s, e))
    }

    fn line_of(&self, offset: usize) -> u64 {
        LineCounter::default().line_at(self.bytes, offset)
    }

    /// The `type` member's text (`None` when missing or not text) and the
    /// line it is on (1 when missing).
    pub(crate) fn type_name(&self) -> (Option<String>, u64) {
        match self.member("type") {
            Some((s, e)) => (
                serde_json::from_slice::<Value>(&self.bytes[s..e])
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
                self.line_of(s),
            ),
            None => (None, 1),
        }
    }

    /// The spans of a FeatureCollection's features.
    pub(crate) fn features(&self) -> Result<Vec<(usize, usize)>, ImportError> {
        let Some((fs, _)) = self.member("features") else {
            return Err(file_error(
                self.path,
                Some(1),
                "the FeatureCollection has no features member".to_owned(),
            ));
        };
        scan::array_elements(self.bytes, fs).ok_or_else(|| {
            file_error(
                self.path,
                Some(self.line_of(fs)),
                "features is not an array".to_owned(),
            )
        })
    }

    /// The coordinate system the legacy `crs` member names, if any.
    pub(crate) fn crs(&self) -> Result<Option<Crs>, ImportError> {
        match self.member("crs") {
            Some((s, e)) => {
                let v: Value = serde_json::from_slice(&self.bytes[s..e]).unwrap_or(Value::Null);
                legacy_crs(self.path, self.line_of(s), &v)
            }
            None => Ok(None),
        }
    }
}

// ---------------------------------------------------------------------------
// Property names.

/// How one feature's properties map to fields: the CSV header rules
/// ([`super::csv::auto_field`], first property per field, in name order),
/// then the `--map` overrides (exact name first, then ignoring case).
fn map_properties<'a>(
    names: impl Iterator<Item = &'a String>,
    column_map: &[(String, Field)],
) -> BTreeMap<String, Field> {
    let names: Vec<&String> = names.collect();
    let mut out: BTreeMap<String, Field> = BTreeMap::new();
    for name in &names {
        if let Some(f) = super::csv::auto_field(name)
            && !out.values().any(|v| *v == f)
        {
            out.insert((*name).clone(), f);
        }
    }
    for (wanted, field) in column_map {
        let found = names.iter().find(|n| **n == wanted).or_else(|| {
            names
                .iter()
                .find(|n| n.to_lowercase() == wanted.trim().to_lowercase())
        });
        let Some(name) = found else { continue };
        if *field == Field::Ignore {
            out.remove(*name);
        } else {
            out.retain(|_, f| f != field);
            out.insert((*name).clone(), *field);
        }
    }
    out
}

/// The field each property name is read as when nothing is mapped (the
/// rules of [`map_properties`] without overrides), for a mapping form.
pub(crate) fn default_fields<'a>(
    names: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, Field> {
    map_properties(names, &[])
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

/// A number, or a numeric string as CSV files write them (decimal comma too).
fn value_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => text::parse_number(s).map(|(n, _)| n),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The GeoJSON reader.

/// The coordinate system of a legacy `crs` member, if any.
pub(crate) fn legacy_crs(path: &Path, line: u64, crs: &Value) -> Result<Option<Crs>, ImportError> {
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

/// Features sampled through the file for the "mostly outside Sweden" test.
const OUTLINE_SAMPLES: usize = 1000;

/// Read buffer of the streaming passes.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// A feature buffer grown past this is given back after the feature.
const KEEP_BUFFER_BYTES: usize = 1024 * 1024;

/// Reads incidents from a GeoJSON FeatureCollection, streaming: memory does
/// not grow with the number of features (see [`GeoJsonReader::open`]).
pub struct GeoJsonReader<R: BufRead> {
    path: PathBuf,
    file_name: String,
    features: FeatureStream<R>,
    /// Bytes before the stream (a byte-order mark).
    skipped: u64,
    total: u64,
    buf: Vec<u8>,
    options: ImportOptions,
    positions: Positions,
    crs_note: String,
    /// Property name → field, as used so far.
    used_fields: BTreeMap<String, Field>,
    ignored_properties: BTreeMap<String, u64>,
    /// Features whose time had a date but no time of day.
    date_only: u64,
    /// Sweden's outline, cached by cell.
    sweden: crate::sweden::SwedenTest,
}

/// Opens a GeoJSON FeatureCollection of points. See the module docs.
pub fn reader(path: &Path, options: &ImportOptions) -> Result<Box<dyn RowReader>, ImportError> {
    Ok(Box::new(GeoJsonReader::open(path, options)?))
}

/// [`reader`] of JSON already in memory (`path` names it in errors), e.g. the
/// features of a GeoPackage layer ([`super::gpkg_layer`]).
pub(crate) fn reader_from_bytes(
    path: &Path,
    bytes: Vec<u8>,
    options: &ImportOptions,
) -> Result<Box<dyn RowReader>, ImportError> {
    let total = bytes.len() as u64;
    let mut first = Cursor::new(bytes.as_slice());
    let skipped = skip_bom(&mut first).map_err(|e| io_error(path, e))?;
    let head = first_pass(path, &mut first)?;
    let mut second = Cursor::new(bytes);
    second.set_position(skipped);
    Ok(Box::new(GeoJsonReader::new(
        path, second, skipped, total, head, options,
    )?))
}

fn io_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Skips a UTF-8 byte-order mark; returns the bytes skipped.
fn skip_bom<R: BufRead>(r: &mut R) -> std::io::Result<u64> {
    let buf = r.fill_buf()?;
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        r.consume(3);
        Ok(3)
    } else {
        Ok(0)
    }
}

impl GeoJsonReader<BufReader<File>> {
    /// Opens `path` and reads it through once (serde_json, streaming,
    /// nothing kept but the top-level `type` and `crs` and a sample of
    /// points): broken JSON is a file error with its line, as is a file that
    /// is no FeatureCollection or whose sampled points fall mostly outside
    /// Sweden. The features are then read one at a time from a second pass
    /// ([`Iterator::next`]), so memory holds one feature, whatever the
    /// file's size.
    pub fn open(path: &Path, options: &ImportOptions) -> Result<Self, ImportError> {
        let open = || -> Result<(BufReader<File>, u64, u64), ImportError> {
            let file = File::open(path).map_err(|e| io_error(path, e))?;
            let total = file.metadata().map_err(|e| io_error(path, e))?.len();
            let mut r = BufReader::with_capacity(READ_BUFFER_BYTES, file);
            let skipped = skip_bom(&mut r).map_err(|e| io_error(path, e))?;
            Ok((r, skipped, total))
        };
        let (mut first, _, _) = open()?;
        let head = first_pass(path, &mut first)?;
        drop(first);
        let (second, skipped, total) = open()?;
        GeoJsonReader::new(path, second, skipped, total, head, options)
    }
}

/// What the first pass learnt of the file.
struct Head {
    /// The first `type` member's value (`None` when not text) and line.
    type_name: Option<(Option<String>, u64)>,
    /// The first `crs` member and its line.
    crs: Option<(Value, u64)>,
    /// The first `features` member.
    features: Option<FeaturesHead>,
    /// The file holds a JSON object (not an array or a value).
    is_object: bool,
}

struct FeaturesHead {
    line: u64,
    is_array: bool,
    /// (index, x and y when it is a readable point) of every `stride`-th
    /// feature.
    samples: Vec<(u64, Option<(f64, f64)>)>,
    stride: u64,
    count: u64,
}

/// Counts the lines of what serde_json has consumed so far (for the lines
/// of the top-level members), and whether anything but whitespace was read.
struct Counting<R> {
    inner: R,
    state: Rc<RefCell<CountState>>,
}

#[derive(Default)]
struct CountState {
    newlines: u64,
    non_blank: bool,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.borrow_mut();
        for &b in &buf[..n] {
            if b == b'\n' {
                st.newlines += 1;
            } else if !b.is_ascii_whitespace() {
                st.non_blank = true;
            }
        }
        Ok(n)
    }
}

/// The first pass: the whole file through serde_json (its recursion limit
/// keeps deeply nested JSON a clear error), keeping only [`Head`].
fn first_pass<R: Read>(path: &Path, r: R) -> Result<Head, ImportError> {
    let state = Rc::new(RefCell::new(CountState::default()));
    let counting = Counting {
        inner: r,
        state: Rc::clone(&state),
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let parsed = serde::Deserializer::deserialize_any(
        &mut de,
        TopVisitor {
            state: Rc::clone(&state),
        },
    )
    .and_then(|head| de.end().map(|()| head));
    match parsed {
        Ok(head) => Ok(head),
        Err(e) if e.is_io() => Err(io_error(path, std::io::Error::other(strip_position(&e)))),
        Err(_) if !state.borrow().non_blank => {
            Err(file_error(path, None, "the file is empty".to_owned()))
        }
        Err(e) => {
            let line = u64::try_from(e.line()).ok().filter(|&l| l > 0);
            Err(file_error(path, line, json_reason(&e)))
        }
    }
}

fn line_now(state: &Rc<RefCell<CountState>>) -> u64 {
    state.borrow().newlines + 1
}

struct TopVisitor {
    state: Rc<RefCell<CountState>>,
}

fn not_object() -> Head {
    Head {
        type_name: None,
        crs: None,
        features: None,
        is_object: false,
    }
}

impl<'de> serde::de::Visitor<'de> for TopVisitor {
    type Value = Head;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        let mut head = Head {
            is_object: true,
            ..not_object()
        };
        while let Some(key) = map.next_key::<String>()? {
            let line = line_now(&self.state);
            match key.as_str() {
                "type" if head.type_name.is_none() => {
                    let v: Value = map.next_value()?;
                    head.type_name = Some((v.as_str().map(str::to_owned), line));
                }
                "crs" if head.crs.is_none() => {
                    head.crs = Some((map.next_value()?, line));
                }
                "features" if head.features.is_none() => {
                    head.features = Some(map.next_value_seed(FeaturesSeed {
                        state: Rc::clone(&self.state),
                    })?);
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(head)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Head, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(not_object())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Head, E> {
        Ok(not_object())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Head, E> {
        Ok(not_object())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Head, E> {
        Ok(not_object())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Head, E> {
        Ok(not_object())
    }
    fn visit_str<E>(self, _: &str) -> Result<Head, E> {
        Ok(not_object())
    }
    fn visit_unit<E>(self) -> Result<Head, E> {
        Ok(not_object())
    }
}

struct FeaturesSeed {
    state: Rc<RefCell<CountState>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FeaturesSeed {
    type Value = FeaturesHead;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<FeaturesHead, D::Error> {
        d.deserialize_any(FeaturesVisitor { state: self.state })
    }
}

struct FeaturesVisitor {
    state: Rc<RefCell<CountState>>,
}

impl FeaturesVisitor {
    fn not_array(self) -> FeaturesHead {
        FeaturesHead {
            line: line_now(&self.state),
            is_array: false,
            samples: Vec::new(),
            stride: 1,
            count: 0,
        }
    }
}

/// One feature of the first pass: parsed (to find its point) when sampled,
/// otherwise only checked.
struct SampleSeed(bool);

impl<'de> serde::de::DeserializeSeed<'de> for SampleSeed {
    type Value = Option<(f64, f64)>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> Result<Option<(f64, f64)>, D::Error> {
        if !self.0 {
            serde::de::IgnoredAny::deserialize(d)?;
            return Ok(None);
        }
        let value = Value::deserialize(d)?;
        Ok(serde_json::from_value::<geojson::Feature>(value)
            .ok()
            .and_then(|f| point_xy(f.geometry).ok()))
    }
}

impl<'de> serde::de::Visitor<'de> for FeaturesVisitor {
    type Value = FeaturesHead;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<FeaturesHead, A::Error> {
        let mut head = FeaturesHead {
            is_array: true,
            ..self.not_array()
        };
        // Every stride-th feature is sampled; when the samples reach twice
        // the number wanted, every other one goes and the stride doubles,
        // so they stay spread through the whole file.
        loop {
            let sampled = head.count.is_multiple_of(head.stride);
            let Some(xy) = seq.next_element_seed(SampleSeed(sampled))? else {
                break;
            };
            if sampled {
                head.samples.push((head.count, xy));
                if head.samples.len() >= 2 * OUTLINE_SAMPLES {
                    head.stride *= 2;
                    let stride = head.stride;
                    head.samples.retain(|(i, _)| i.is_multiple_of(stride));
                }
            }
            head.count += 1;
        }
        Ok(head)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FeaturesHead, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(self.not_array())
    }

    fn visit_bool<E>(self, _: bool) -> Result<FeaturesHead, E> {
        Ok(self.not_array())
    }
    fn visit_i64<E>(self, _: i64) -> Result<FeaturesHead, E> {
        Ok(self.not_array())
    }
    fn visit_u64<E>(self, _: u64) -> Result<FeaturesHead, E> {
        Ok(self.not_array())
    }
    fn visit_f64<E>(self, _: f64) -> Result<FeaturesHead, E> {
        Ok(self.not_array())
    }
    fn visit_str<E>(self, _: &str) -> Result<FeaturesHead, E> {
        Ok(self.not_array())
    }
    fn visit_unit<E>(self) -> Result<FeaturesHead, E> {
        Ok(self.not_array())
    }
}

impl<R: BufRead> GeoJsonReader<R> {
    /// Checks what the first pass found and sets up the second pass over
    /// `stream` (positioned after the byte-order mark, `skipped` bytes).
    fn new(
        path: &Path,
        stream: R,
        skipped: u64,
        total: u64,
        head: Head,
        options: &ImportOptions,
    ) -> Result<Self, ImportError> {
        if !head.is_object {
            return Err(file_error(
                path,
                Some(1),
                "not a GeoJSON FeatureCollection: the file holds a JSON array or value, not an object (a list of police events? use --format polisen)"
                    .to_owned(),
            ));
        }
        let (type_value, type_line) = head.type_name.unwrap_or((None, 1));
        if type_value.as_deref() != Some("FeatureCollection") {
            let what = match &type_value {
                Some(t) => format!("its type is {t:?}"),
                None => "it has no type member".to_owned(),
            };
            return Err(file_error(
                path,
                Some(type_line),
                format!("not a GeoJSON FeatureCollection: {what}"),
            ));
        }
        let Some(features) = head.features else {
            return Err(file_error(
                path,
                Some(1),
                "the FeatureCollection has no features member".to_owned(),
            ));
        };
        if !features.is_array {
            return Err(file_error(
                path,
                Some(features.line),
                "features is not an array".to_owned(),
            ));
        }
        let file_crs = match &head.crs {
            Some((v, line)) => legacy_crs(path, *line, v)?,
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
        let positions = Positions::new(crs).map_err(|e| file_error(path, None, e.to_string()))?;
        let mut sweden = crate::sweden::SwedenTest::new();
        // Sampled features that are no readable point are left out (their
        // rows get their own errors); so are numbers that cannot be
        // longitude, latitude, whose row error names the real problem.
        let mut tally = crate::sweden::OutsideTally::default();
        for &(_, xy) in &features.samples {
            if let Some((x, y)) = xy
                && let Ok(p) = positions.convert(x, y)
            {
                tally.add(sweden.contains(p));
            }
        }
        if tally.mostly_outside() {
            let read_as = match crs {
                Some(c) if !c.is_geographic() => c.to_string(),
                _ => "WGS84 longitude, latitude".to_owned(),
            };
            return Err(file_error(
                path,
                None,
                format!(
                    "{}; name the file's system with --crs (e.g. --crs EPSG:3006)",
                    tally.refusal("sampled point features", &read_as)
                ),
            ));
        }
        Ok(GeoJsonReader {
            path: path.to_path_buf(),
            file_name: file_name(path),
            features: FeatureStream::new(stream),
            skipped,
            total,
            buf: Vec::new(),
            options: options.clone(),
            positions,
            crs_note,
            used_fields: BTreeMap::new(),
            ignored_properties: BTreeMap::new(),
            date_only: 0,
            sweden,
        })
    }
}

// ---------------------------------------------------------------------------
// The second pass: the features one at a time.

/// Where the second pass is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamAt {
    /// Before the top-level object.
    Start,
    /// Inside the features array, before an element or its end.
    InFeatures,
    /// Past the features array (or stopped by an error).
    Done,
}

/// Splits the first `features` member's array of a well-formed JSON object
/// (the first pass checked it) into its elements, reading from a buffered
/// reader and counting lines, so each element comes with the line it starts
/// on. Nothing is kept between elements.
struct FeatureStream<R> {
    inner: R,
    /// Bytes consumed.
    pos: u64,
    /// 1-based line of the next byte.
    line: u64,
    at: StreamAt,
}

fn changed(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("the file changed while it was read ({what})"),
    )
}

impl<R: BufRead> FeatureStream<R> {
    fn new(inner: R) -> Self {
        FeatureStream {
            inner,
            pos: 0,
            line: 1,
            at: StreamAt::Start,
        }
    }

    fn bump(&mut self, b: u8) {
        self.inner.consume(1);
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
    }

    /// The next byte that is not whitespace (not consumed), `None` at the end.
    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let lines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            let next = buf.get(n).copied();
            self.inner.consume(n);
            self.pos += n as u64;
            self.line += lines;
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    fn expect(&mut self, want: u8) -> std::io::Result<()> {
        match self.skip_ws()? {
            Some(b) if b == want => {
                self.bump(b);
                Ok(())
            }
            _ => Err(changed("unexpected structure")),
        }
    }

    /// Reads one JSON value (after optional whitespace), appending its bytes
    /// to `out`. Strings and nesting are followed in chunks of the buffer.
    fn value(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let first = self.skip_ws()?.ok_or_else(|| changed("it ends early"))?;
        let scalar = !matches!(first, b'"' | b'{' | b'[');
        let mut depth = 0u64;
        let mut in_string = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return if scalar && started {
                    Ok(())
                } else {
                    Err(changed("it ends early"))
                };
            }
            let mut done = None;
            for (i, &b) in buf.iter().enumerate() {
                if scalar {
                    if matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace() {
                        done = Some(i);
                        break;
                    }
                    started = true;
                    continue;
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            done = Some(i + 1);
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            done = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let n = done.unwrap_or(buf.len());
            out.extend_from_slice(&buf[..n]);
            let lines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.inner.consume(n);
            self.pos += n as u64;
            self.line += lines;
            if done.is_some() {
                return Ok(());
            }
        }
    }

    /// From the start of the file to just inside the first `features` array.
    fn enter_features(&mut self) -> std::io::Result<()> {
        self.expect(b'{')?;
        let mut text = Vec::new();
        loop {
            if self.skip_ws()? != Some(b'"') {
                return Err(changed("no features member"));
            }
            text.clear();
            self.value(&mut text)?;
            let name: String =
                serde_json::from_slice(&text).map_err(|_| changed("a member name"))?;
            self.expect(b':')?;
            if name == "features" {
                return self.expect(b'[');
            }
            text.clear();
            self.value(&mut text)?;
            if self.skip_ws()? != Some(b',') {
                return Err(changed("no features member"));
            }
            self.bump(b',');
        }
    }

    /// The next feature's bytes into `buf` and the line it starts on;
    /// `None` after the last.
    fn next_feature(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
        if self.at == StreamAt::Start {
            self.enter_features()?;
            self.at = StreamAt::InFeatures;
            if self.skip_ws()? == Some(b']') {
                self.at = StreamAt::Done;
            }
        }
        if self.at == StreamAt::Done {
            return Ok(None);
        }
        buf.clear();
        self.skip_ws()?;
        let line = self.line;
        self.value(buf)?;
        match self.skip_ws()? {
            Some(b',') => self.bump(b','),
            Some(b']') => self.at = StreamAt::Done,
            _ => return Err(changed("unexpected structure")),
        }
        Ok(Some(line))
    }
}

/// The x, y of an incident's geometry: a Point, or a MultiPoint of one point.
fn point_xy(geometry: Option<geojson::Geometry>) -> Result<(f64, f64), String> {
    let Some(geometry) = geometry else {
        return Err("the feature has no geometry".to_owned());
    };
    let position = match geometry.value {
        geojson::GeometryValue::Point { coordinates } => coordinates,
        geojson::GeometryValue::MultiPoint { mut coordinates } if coordinates.len() == 1 => {
            coordinates.swap_remove(0)
        }
        geojson::GeometryValue::MultiPoint { coordinates } => {
            return Err(format!(
                "a MultiPoint with {} points; only one point per incident is supported",
                coordinates.len()
            ));
        }
        other => {
            return Err(format!(
                "geometry type {} is not supported; incidents must be Point features (or a MultiPoint with one point)",
                other.type_name()
            ));
        }
    };
    match position.as_slice() {
        [x, y, ..] => Ok((*x, *y)),
        _ => Err("the point has no [x, y] coordinates".to_owned()),
    }
}

impl<R: BufRead> GeoJsonReader<R> {
    /// The incident of one feature, as the `geojson` crate parsed it.
    fn feature(&mut self, feature: geojson::Feature) -> Result<Incident, String> {
        let position = self.point_position(feature.geometry)?;
        let properties = feature.properties.unwrap_or_default();
        let properties = &properties;
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

        let stamp = match (get(Field::OccurredAt), get(Field::Date), get(Field::Time)) {
            (Some(v), _, _) | (None, Some(v), None) | (None, None, Some(v)) => {
                let text = value_text(v).ok_or("the time is not text")?;
                text::parse_stamp(&text, DateOrder::Dmy)?
            }
            (None, Some(d), Some(t)) => {
                let d_text = value_text(d).ok_or("the date is not text")?;
                let t_text = value_text(t).unwrap_or_default();
                text::parse_date_and_time(&d_text, &t_text, DateOrder::Dmy)?
            }
            (None, None, None) => {
                return Err(
                    "the feature has no time (a property such as occurred_at, tidpunkt, datum or datum + tid)"
                        .to_owned(),
                );
            }
        };
        let occurred_at = match stamp {
            Stamp::Utc(t) => t,
            Stamp::Local {
                naive, date_only, ..
            } => {
                if date_only {
                    self.date_only += 1;
                }
                time::utc_from_local(naive).map_err(|e| e.to_string())?
            }
        };

        // As the CSV reader does: an exact key needs no original text.
        let (category, category_text) = match get(Field::Category).and_then(value_text) {
            Some(text) => match Category::from_key(&text) {
                Some(c) => (c, None),
                None => (
                    Category::parse_loose(&text).unwrap_or(Category::Ovrigt),
                    Some(text),
                ),
            },
            None => (Category::Ovrigt, None),
        };
        let (source, source_text) = match get(Field::Source).and_then(value_text) {
            Some(text) => match Source::from_key(&text).or_else(|| Source::parse_loose(&text)) {
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
            .or_else(|| match feature.id {
                Some(geojson::feature::Id::String(s)) => value_text(&Value::String(s)),
                Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
                None => None,
            });
        incident.import_file = Some(self.file_name.clone());
        Ok(incident)
    }

    /// The incident's position: a Point, or a MultiPoint of one point,
    /// converted as the layer reader does ([`Positions`]) and inside Sweden's
    /// outline ([`crate::sweden`]).
    fn point_position(&mut self, geometry: Option<geojson::Geometry>) -> Result<LonLat, String> {
        let (x, y) = point_xy(geometry)?;
        let p = self.positions.lon_lat(x, y)?;
        if !self.sweden.contains(p) {
            return Err(format!(
                "position (lon {:.5}, lat {:.5}) is outside Sweden (by its outline, {} km margin); is the coordinate system right?",
                p.lon,
                p.lat,
                crate::sweden::MARGIN_M / 1000.0
            ));
        }
        Ok(p)
    }
}

/// The row for the JSON object at `start..end` of `bytes`: the incident `read`
/// made of it, or a row error keeping the object's raw text for `--rejects`.
pub(crate) fn row_from_span(
    path: &Path,
    bytes: &[u8],
    (start, end): (usize, usize),
    line: u64,
    read: Result<Incident, String>,
) -> Result<ParsedRow, RowError> {
    match read {
        Ok(incident) => Ok(ParsedRow { line, incident }),
        Err(reason) => Err(RowError {
            path: path.to_path_buf(),
            line,
            reason,
            raw: Some(String::from_utf8_lossy(&bytes[start..end]).into_owned()),
        }),
    }
}

/// An object's span in the file, its line, and its JSON value or why it is
/// not JSON.
pub(crate) type SpanValue = ((usize, usize), u64, Result<Value, String>);

/// The object at `spans[*next]` (advancing `next`), its line, and its JSON
/// value or why it is not JSON.
pub(crate) fn next_span(
    bytes: &[u8],
    spans: &[(usize, usize)],
    next: &mut usize,
    lines: &mut LineCounter,
) -> Option<SpanValue> {
    let &(start, end) = spans.get(*next)?;
    *next += 1;
    let line = lines.line_at(bytes, start);
    let parsed = serde_json::from_slice::<Value>(&bytes[start..end]).map_err(|e| json_reason(&e));
    Some(((start, end), line, parsed))
}

/// Bytes consumed once the first `next` of the object `spans` have been read
/// from a file of `total` bytes: the end of the last one read, or the whole
/// file after the last span (trailing whitespace and brackets included).
pub(crate) fn spans_bytes_read(spans: &[(usize, usize)], next: usize, total: usize) -> u64 {
    match next {
        0 => 0,
        n if n >= spans.len() => total as u64,
        n => spans[n - 1].1 as u64,
    }
}

impl<R: BufRead> Iterator for GeoJsonReader<R> {
    type Item = Result<ParsedRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = std::mem::take(&mut self.buf);
        let line = match self.features.next_feature(&mut buf) {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => {
                self.features.at = StreamAt::Done;
                return Some(Err(RowError {
                    path: self.path.clone(),
                    line: self.features.line,
                    reason: format!("cannot read further: {e}"),
                    raw: None,
                }));
            }
        };
        let result = serde_json::from_slice::<geojson::Feature>(&buf)
            .map_err(|e| match e.classify() {
                serde_json::error::Category::Data => {
                    format!("not a GeoJSON Feature: {}", strip_position(&e))
                }
                _ => json_reason(&e),
            })
            .and_then(|f| self.feature(f));
        let row = row_from_span(&self.path, &buf, (0, buf.len()), line, result);
        if buf.capacity() > KEEP_BUFFER_BYTES {
            buf = Vec::new();
        }
        self.buf = buf;
        Some(row)
    }
}

impl<R: BufRead> RowReader for GeoJsonReader<R> {
    fn notes(&self) -> Vec<String> {
        let mut notes = vec![self.crs_note.clone()];
        if !self.used_fields.is_empty() {
            let mapped: Vec<String> = self
                .used_fields
                .iter()
                .map(|(name, field)| format!("{name:?} as {}", field_key(*field)))
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
        if self.date_only > 0 {
            notes.push(format!(
                "Times: {} feature(s) have a date but no time of day; stored at 00:00 local time",
                self.date_only
            ));
        }
        for (wanted, field) in &self.options.column_map {
            let seen = self
                .used_fields
                .keys()
                .any(|n| n == wanted || n.to_lowercase() == wanted.trim().to_lowercase());
            if !seen {
                notes.push(format!(
                    "--map {wanted:?}={}: no feature has a property {wanted:?}",
                    field_key(*field)
                ));
            }
        }
        notes
    }

    fn bytes_read(&self) -> u64 {
        if self.features.at == StreamAt::Done {
            self.total
        } else {
            (self.skipped + self.features.pos).min(self.total)
        }
    }
}

use super::csv::field_name as field_key;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::gpkg_datetime;

    use crate::import::test_support::{drain, json_fixture as fixture};

    fn read_all(
        path: &Path,
        options: &ImportOptions,
    ) -> (Vec<ParsedRow>, Vec<RowError>, Vec<String>) {
        drain(reader(path, options).unwrap())
    }

    #[test]
    fn scanner_finds_spans() {
        let b = br#" [ 1, "a,]\"}", {"k": [1, {"x": "]"}]}, null ,true] "#;
        let start = scan::skip_ws(b, 0);
        let spans = scan::array_elements(b, start).unwrap();
        let texts: Vec<&str> = spans
            .iter()
            .map(|&(s, e)| std::str::from_utf8(&b[s..e]).unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "1",
                r#""a,]\"}""#,
                r#"{"k": [1, {"x": "]"}]}"#,
                "null",
                "true"
            ]
        );
        let obj = br#"{"a\u00e4": 1, "b" : {"c": "}"} }"#;
        let members = scan::object_members(obj, 0).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].0, "aä");
        assert_eq!(&obj[members[1].1..members[1].2], br#"{"c": "}"}"#);
        assert_eq!(scan::array_elements(b"[]", 0).unwrap(), vec![]);
        assert_eq!(scan::array_elements(b"[1, 2", 0), None);
    }

    #[test]
    fn line_counter() {
        let b = b"a\nb\n\nc";
        let mut c = LineCounter::default();
        assert_eq!(c.line_at(b, 0), 1);
        assert_eq!(c.line_at(b, 2), 2);
        assert_eq!(c.line_at(b, 5), 4);
        assert_eq!(c.line_at(b, 1), 1);
    }

    #[test]
    fn reads_points_and_properties() {
        let path = fixture("incidents_wgs84.geojson");
        let options = ImportOptions {
            default_source: Some(Source::Skola),
            ..ImportOptions::default()
        };
        let (rows, errors, notes) = read_all(&path, &options);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [5, 24, 43, 161]);
        assert_eq!(errors.len(), 8);

        let a = &rows[0].incident;
        assert_eq!(a.external_id.as_deref(), Some("A-1"));
        assert_eq!(gpkg_datetime(a.occurred_at), "2025-03-14T21:40:00.000Z");
        assert_eq!(
            (a.category, a.category_text.as_deref()),
            (Category::Skadegorelse, Some("Skadegörelse"))
        );
        assert_eq!(a.source, Source::Trygghetsvard);
        assert_eq!(a.place.as_deref(), Some("Stortorget"));
        assert_eq!(a.description.as_deref(), Some("Hemlig text ett"));
        assert_eq!(a.precision_m, 25.5);
        assert_eq!(a.position, LonLat::new(14.5830, 56.0505));
        assert_eq!(a.import_file.as_deref(), Some("incidents_wgs84.geojson"));

        // MultiPoint with one point; separate date and time; numeric id.
        let b = &rows[1].incident;
        assert_eq!(b.external_id.as_deref(), Some("5001"));
        assert_eq!(gpkg_datetime(b.occurred_at), "2025-03-14T22:15:00.000Z");
        assert_eq!(b.category, Category::Narkotika);
        assert_eq!(b.source, Source::Polis);
        assert_eq!(b.position, LonLat::new(14.5792, 56.0502));
        assert_eq!(b.precision_m, Precision::EXACT_M);

        // Offset time, unknown category kept, default source, feature id.
        let c = &rows[2].incident;
        assert_eq!(gpkg_datetime(c.occurred_at), "2025-07-04T21:30:00.000Z");
        assert_eq!(
            (c.category, c.category_text.as_deref()),
            (Category::Ovrigt, Some("Rattfylleri"))
        );
        assert_eq!(c.source, Source::Skola);
        assert_eq!(c.external_id.as_deref(), Some("feat-3"));

        // A date alone is local midnight, and noted.
        let d = &rows[3].incident;
        assert_eq!(gpkg_datetime(d.occurred_at), "2025-04-30T22:00:00.000Z");
        assert_eq!(
            (d.category, d.category_text.as_deref()),
            (Category::Stold, None)
        );
        assert_eq!(d.source, Source::Medborgare);

        let notes = notes.join("\n");
        assert!(notes.contains("WGS84 longitude, latitude"), "{notes}");
        assert!(notes.contains("\"färg\""), "{notes}");
        assert!(
            notes.contains("1 feature(s) have a date but no time of day"),
            "{notes}"
        );
    }

    #[test]
    fn row_errors_name_line_and_reason_but_no_description() {
        let path = fixture("incidents_wgs84.geojson");
        let (_, errors, _) = read_all(&path, &ImportOptions::default());
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        let expect_start = [
            (59, "geometry type LineString is not supported"),
            (79, "the feature has no geometry"),
            (87, "the feature has no time"),
            (
                101,
                "position (lon 2.35220, lat 48.85660) is far outside Sweden",
            ),
            (
                115,
                "coordinates (474026.6, 6211778.5) are not longitude, latitude",
            ),
            (
                128,
                "2025-03-30 02:30:00 does not exist in Swedish local time",
            ),
            (142, "a MultiPoint with 2 points"),
            (176, "precision -5 is not a positive number"),
        ];
        assert_eq!(got.len(), expect_start.len(), "{got:?}");
        for ((line, reason), (want_line, want)) in got.iter().zip(expect_start) {
            assert_eq!(*line, want_line, "{reason}");
            assert!(
                reason.starts_with(want),
                "{reason:?} should start with {want:?}"
            );
        }
        for e in &errors {
            let text = e.to_string();
            assert!(text.starts_with(&format!("{}:{}: ", path.display(), e.line)));
            assert!(!text.contains("Hemlig"), "description in error: {text}");
        }
    }

    #[test]
    fn column_map_overrides_names() {
        let path = fixture("incidents_wgs84.geojson");
        let options = ImportOptions {
            column_map: vec![
                ("FÄRG".to_owned(), Field::Place),
                ("plats".to_owned(), Field::Ignore),
                ("saknas".to_owned(), Field::Source),
            ],
            ..ImportOptions::default()
        };
        let (rows, _, notes) = read_all(&path, &options);
        assert_eq!(rows[0].incident.place, None);
        assert_eq!(rows[2].incident.place.as_deref(), Some("röd"));
        let notes = notes.join("\n");
        assert!(
            notes.contains("--map \"saknas\"=source: no feature has"),
            "{notes}"
        );
    }

    #[test]
    fn compact_file_lines() {
        let (rows, errors, _) = read_all(
            &fixture("incidents_compact.geojson"),
            &ImportOptions::default(),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 5, 6]);
    }

    #[test]
    fn legacy_crs_member_converts_sweref() {
        let path = fixture("incidents_sweref.geojson");
        let (rows, errors, notes) = read_all(&path, &ImportOptions::default());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [11, 27]);
        let p = rows[0].incident.position;
        assert!(
            (p.lon - 14.5830).abs() < 1e-6 && (p.lat - 56.0505).abs() < 1e-6,
            "{p:?}"
        );
        let p = rows[1].incident.position;
        assert!(
            (p.lon - 14.7045).abs() < 1e-6 && (p.lat - 56.0092).abs() < 1e-6,
            "{p:?}"
        );
        assert_eq!(
            gpkg_datetime(rows[0].incident.occurred_at),
            "2025-06-20T21:10:00.000Z"
        );
        let notes = notes.join("\n");
        assert!(
            notes.contains("SWEREF 99 TM") && notes.contains("crs member"),
            "{notes}"
        );
    }

    #[test]
    fn forced_crs_wins() {
        // --crs RT 90 on a file whose crs member names SWEREF 99 TM: the
        // option wins, which puts both points outside Sweden, so the file
        // is refused as a whole, naming the system it was read in.
        let path = fixture("incidents_sweref.geojson");
        let options = ImportOptions {
            crs: Some(Crs::RT90_25_GON_V),
            ..ImportOptions::default()
        };
        let Err(e) = reader(&path, &options) else {
            panic!("a file read in the wrong system was accepted");
        };
        let text = e.to_string();
        assert!(
            text.contains("2 of 2 sampled point features fall outside Sweden when read as RT 90"),
            "{text}"
        );
        assert!(text.contains("--crs"), "{text}");
        // --crs naming the same system as the file.
        let options = ImportOptions {
            crs: Some(Crs::SWEREF99_TM),
            ..ImportOptions::default()
        };
        let (rows, _, notes) = read_all(&path, &options);
        assert_eq!(rows.len(), 2);
        assert!(notes[0].contains("(--crs)"), "{notes:?}");
    }

    #[test]
    fn legacy_crs_names() {
        let p = Path::new("x.geojson");
        let name = |n: &str| serde_json::json!({"type": "name", "properties": {"name": n}});
        assert_eq!(
            legacy_crs(p, 1, &name("urn:ogc:def:crs:EPSG::3006")).unwrap(),
            Some(Crs::SWEREF99_TM)
        );
        assert_eq!(
            legacy_crs(p, 1, &name("EPSG:3021")).unwrap(),
            Some(Crs::RT90_25_GON_V)
        );
        assert_eq!(
            legacy_crs(p, 1, &name("http://www.opengis.net/def/crs/EPSG/0/3006")).unwrap(),
            Some(Crs::SWEREF99_TM)
        );
        assert_eq!(
            legacy_crs(p, 1, &name("urn:ogc:def:crs:OGC:1.3:CRS84")).unwrap(),
            Some(Crs::WGS84)
        );
        assert_eq!(
            legacy_crs(p, 1, &name("EPSG:4326")).unwrap(),
            Some(Crs::WGS84)
        );
        let e = legacy_crs(p, 3, &name("EPSG:2400"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.geojson:3: crs \"EPSG:2400\""), "{e}");
        assert!(legacy_crs(p, 1, &name("lokalt")).is_err());
    }

    #[test]
    fn file_errors() {
        let err = |name: &str| match reader(&fixture(name), &ImportOptions::default()) {
            Err(ImportError::File { line, reason, .. }) => (line, reason),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("{name} was read"),
        };
        let (line, reason) = err("broken.geojson");
        assert_eq!(line, Some(5));
        assert!(
            reason.starts_with("broken JSON: expected `,` or `]`"),
            "{reason}"
        );
        let (line, reason) = err("single_feature.geojson");
        assert_eq!(line, Some(2));
        assert!(
            reason.contains("not a GeoJSON FeatureCollection: its type is \"Feature\""),
            "{reason}"
        );
        let (line, reason) = err("polisen_blekinge.json");
        assert_eq!(line, Some(1));
        assert!(reason.contains("--format polisen"), "{reason}");
    }

    #[test]
    fn features_the_crate_cannot_read_are_row_errors_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("odd.geojson");
        std::fs::write(
            &p,
            "{\"type\": \"FeatureCollection\", \"features\": [\n{\"type\": \"Point\", \"coordinates\": [14.6, 56.1]},\n{\"type\": \"Feature\", \"properties\": {\"tidpunkt\": \"2025-03-14 22:40\"}, \"geometry\": {\"type\": \"Circle\", \"coordinates\": [14.6, 56.1]}},\n{\"type\": \"Feature\", \"id\": 9, \"properties\": {\"tidpunkt\": \"2025-03-14 22:40\"}, \"geometry\": {\"type\": \"Point\", \"coordinates\": [14.6, 56.1]}}\n]}",
        )
        .unwrap();
        let (rows, errors, _) = read_all(&p, &ImportOptions::default());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 4);
        assert_eq!(rows[0].incident.external_id.as_deref(), Some("9"));
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 2);
        assert_eq!(got[1].0, 3);
        for (_, reason) in got {
            assert!(reason.starts_with("not a GeoJSON Feature: "), "{reason}");
        }
    }

    #[test]
    fn empty_collection_and_bom() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.geojson");
        std::fs::write(
            &p,
            b"\xEF\xBB\xBF{\"type\": \"FeatureCollection\", \"features\": []}",
        )
        .unwrap();
        assert_eq!(reader(&p, &ImportOptions::default()).unwrap().count(), 0);
        std::fs::write(&p, b"{\"type\": \"FeatureCollection\"}").unwrap();
        let Err(ImportError::File { reason, .. }) = reader(&p, &ImportOptions::default()) else {
            panic!()
        };
        assert!(reason.contains("no features member"), "{reason}");
    }
}
