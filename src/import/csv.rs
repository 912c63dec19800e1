//! The CSV reader: delimited text as municipalities and Excel really write it.
//!
//! - Delimiter `,`, `;` or tab, found from the header line (or Excel's
//!   `sep=;` first line); decimal comma in numbers.
//! - UTF-8 with or without BOM, or Windows-1252 ([`super::encoding`]).
//! - Header names in Swedish or English, matched case- and
//!   diacritic-insensitively ([`crate::model::fold_name`]); `--map` overrides.
//! - WGS84 lon/lat columns, or projected columns (x/y, e/n, öst/nord,
//!   easting/northing) in SWEREF 99 or RT 90, detected by
//!   [`crate::crs::detect::detect_projected`] from the first rows unless
//!   `--crs` is given. Lon/lat wins when a file has both.
//! - Dates in ISO 8601, `14/3/2025 22:40` or `14.3.2025 22.40`, in one column
//!   or as separate date and time columns; times without an offset are
//!   Swedish local time.
//!
//! The file is streamed record by record (`csv::ByteRecord`, fields decoded
//! only where text is needed), so memory stays flat whatever its size. The
//! first [`SAMPLE_ROWS`] records are read ahead to detect the coordinate system
//! and the day/month order of slash dates.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Timelike, Utc};
use csv::ByteRecord;

use super::encoding::{self, TextEncoding};
use super::text::{self, DateOrder, Stamp};
use super::{Field, ImportError, ImportOptions, ParsedRow, RowError, RowReader};
use crate::crs::{ToWgs84, detect};
use crate::model::{self, Category, Incident, LonLat, Precision, Source, UidGenerator, fold_name};

/// Records read ahead to detect the coordinate system and date order.
pub const SAMPLE_ROWS: usize = 200;
/// Further rows sampled through the rest of a longer file for the
/// coordinate detection.
pub const SPREAD_SAMPLES: usize = 200;

/// Longest raw record kept for the rejects file.
const MAX_RAW_LEN: usize = 64 * 1024;

/// Opens a CSV file for reading rows. File-level problems (empty, binary,
/// missing columns, undetectable coordinates) are errors here; row-level
/// problems come out of the iterator.
pub fn reader(path: &Path, options: &ImportOptions) -> Result<Box<dyn RowReader>, ImportError> {
    Ok(Box::new(CsvReader::open(path, options)?))
}

/// Reads incidents from a CSV file. See the module docs.
pub struct CsvReader {
    rdr: csv::Reader<File>,
    record: ByteRecord,
    pending: VecDeque<ByteRecord>,
    done: bool,
    bom_len: u64,
    file_size: u64,
    /// The file's last non-blank byte is `"`.
    ends_with_quote: bool,
    rows: RowParser,
}

/// Where the coordinates come from.
enum Coords {
    LonLat {
        lon: usize,
        lat: usize,
    },
    Projected {
        east: usize,
        north: usize,
        to_wgs84: Box<ToWgs84>,
    },
}

/// Where the time comes from.
#[derive(Clone, Copy)]
enum TimeCols {
    One(usize),
    Split { date: usize, time: usize },
}

/// Everything needed to turn one record into an incident, plus what was
/// noticed along the way for the notes.
struct RowParser {
    /// "Inside Sweden" by its outline, cached per 0.01° cell.
    sweden: crate::sweden::SwedenTest,
    path: PathBuf,
    file_name: String,
    encoding: TextEncoding,
    delimiter: u8,
    headers: Vec<String>,
    n_fields: usize,
    coords: Coords,
    time: TimeCols,
    date_order: DateOrder,
    /// Some row showed which order slash dates are in.
    order_evidence: bool,
    id: Option<usize>,
    category: Option<usize>,
    source: Option<usize>,
    place: Option<usize>,
    description: Option<usize>,
    precision: Option<usize>,
    default_source: Source,
    category_cache: HashMap<String, (Category, Option<String>)>,
    source_cache: HashMap<String, (Source, Option<String>)>,
    notes: Vec<String>,
    /// The first number written with a decimal comma.
    decimal_comma: Option<String>,
    ambiguous_dates: u64,
    first_ambiguous: Option<(u64, String)>,
    date_only: u64,
    overlap_noted: bool,
    empty_rows: u64,
    uids: UidGenerator,
}

/// Header names each field is recognised by, after [`fold_name`].
const HEADER_NAMES: &[(Field, &[&str])] = &[
    (
        Field::Id,
        &[
            "id",
            "arendenr",
            "arendenummer",
            "arende nr",
            "arende",
            "diarienr",
            "diarienummer",
            "case id",
            "external id",
            "incident id",
            "referens",
            "ref",
        ],
    ),
    (
        Field::Lon,
        &[
            "lon",
            "lng",
            "long",
            "longitude",
            "longitud",
            "lon wgs84",
            "longitude wgs84",
            "wgs84 lon",
        ],
    ),
    (
        Field::Lat,
        &[
            "lat",
            "latitude",
            "latitud",
            "lat wgs84",
            "latitude wgs84",
            "wgs84 lat",
        ],
    ),
    (
        Field::X,
        &[
            "x",
            "x koordinat",
            "x coord",
            "x sweref",
            "x rt90",
            "sweref x",
            "rt90 x",
        ],
    ),
    (
        Field::Y,
        &[
            "y",
            "y koordinat",
            "y coord",
            "y sweref",
            "y rt90",
            "sweref y",
            "rt90 y",
        ],
    ),
    (
        Field::Easting,
        &[
            "e",
            "east",
            "easting",
            "ost",
            "ostlig",
            "ostkoordinat",
            "e koordinat",
        ],
    ),
    (
        Field::Northing,
        &[
            "n",
            "north",
            "northing",
            "nord",
            "nordlig",
            "nordkoordinat",
            "n koordinat",
        ],
    ),
    (
        Field::OccurredAt,
        &[
            "occurred at",
            "occurredat",
            "occurred",
            "datetime",
            "date time",
            "datum tid",
            "datum och tid",
            "tidpunkt",
            "timestamp",
            "handelsetid",
            "handelsetidpunkt",
            "brottstid",
            "brottstidpunkt",
        ],
    ),
    (
        Field::Date,
        &["datum", "date", "handelsedatum", "brottsdatum", "dag"],
    ),
    (
        Field::Time,
        &["tid", "time", "klockslag", "kl", "klocka", "klockan"],
    ),
    (
        Field::Category,
        &[
            "category",
            "kategori",
            "brottstyp",
            "brottskategori",
            "typ",
            "type",
            "handelsetyp",
            "brott",
        ],
    ),
    (
        Field::Source,
        &["source", "kalla", "rapportor", "rapporterad av", "reporter"],
    ),
    (
        Field::Place,
        &[
            "plats",
            "place",
            "platsnamn",
            "adress",
            "address",
            "location",
            "gata",
        ],
    ),
    (
        Field::Description,
        &[
            "beskrivning",
            "description",
            "handelse",
            "text",
            "kommentar",
            "comment",
            "notering",
            "anteckning",
            "fritext",
        ],
    ),
    (
        Field::Precision,
        &[
            "precision",
            "precision m",
            "noggrannhet",
            "noggrannhet m",
            "accuracy",
            "accuracy m",
        ],
    ),
];

/// The field a header names, if any.
pub(crate) fn auto_field(header: &str) -> Option<Field> {
    let folded = fold_name(header);
    HEADER_NAMES
        .iter()
        .find(|(_, names)| names.contains(&folded.as_str()))
        .map(|(f, _)| *f)
}

pub(crate) fn field_name(f: Field) -> &'static str {
    match f {
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

/// The delimiter named by Excel's `sep=;` line, or the most frequent of `;`,
/// tab and `,` outside quotes in the header line (ties in that order).
/// Returns the delimiter and whether the first line was a `sep=` line.
fn detect_delimiter(head: &[u8]) -> (u8, bool) {
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(b"");
    let trimmed = first_line.trim_ascii();
    if trimmed.len() == 5 && trimmed[..4].eq_ignore_ascii_case(b"sep=") {
        return (trimmed[4], true);
    }
    let candidates = [b';', b'\t', b','];
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in first_line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = candidates.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let mut best = 2; // comma when nothing is found: a one-column file
    for i in 0..3 {
        if counts[i] > counts[best] || (counts[i] == counts[best] && counts[i] > 0 && i < best) {
            best = i;
        }
    }
    (candidates[best], false)
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_owned(),
        b' ' => "space".to_owned(),
        d => (d as char).to_string(),
    }
}

impl CsvReader {
    /// Opens `path`: checks encoding, finds the delimiter and columns, reads
    /// the first rows ahead and detects the coordinate system.
    pub fn open(path: &Path, options: &ImportOptions) -> Result<CsvReader, ImportError> {
        let sniffed = encoding::sniff(path)?;
        let io_err = |source| ImportError::Io {
            path: path.to_owned(),
            source,
        };
        let file_err = |line: Option<u64>, reason: String| ImportError::File {
            path: path.to_owned(),
            line,
            reason,
        };

        let mut file = File::open(path).map_err(io_err)?;
        file.seek(SeekFrom::Start(sniffed.bom_len))
            .map_err(io_err)?;
        let mut head = Vec::with_capacity(64 * 1024);
        (&mut file)
            .take(64 * 1024)
            .read_to_end(&mut head)
            .map_err(io_err)?;
        let (delimiter, sep_line) = detect_delimiter(&head);
        let mut tail = Vec::with_capacity(256);
        file.seek(SeekFrom::Start(
            sniffed.file_size.saturating_sub(256).max(sniffed.bom_len),
        ))
        .map_err(io_err)?;
        file.read_to_end(&mut tail).map_err(io_err)?;
        let ends_with_quote = tail.trim_ascii_end().last() == Some(&b'"');
        file.seek(SeekFrom::Start(sniffed.bom_len))
            .map_err(io_err)?;

        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(file);

        let read_err = |e: csv::Error| match e.into_kind() {
            csv::ErrorKind::Io(source) => io_err(source),
            other => file_err(None, format!("{other:?}")),
        };
        let mut header = ByteRecord::new();
        let mut got = rdr.read_byte_record(&mut header).map_err(read_err)?;
        if sep_line && got {
            got = rdr.read_byte_record(&mut header).map_err(read_err)?;
        }
        if !got {
            return Err(file_err(None, "empty file (no header line)".to_owned()));
        }
        let headers: Vec<String> = header
            .iter()
            .map(|h| sniffed.encoding.decode(h).trim().to_owned())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(file_err(Some(1), "the header line is empty".to_owned()));
        }

        // Columns: recognised names first, then the user's --map.
        let mut assign: Vec<Option<Field>> = vec![None; headers.len()];
        for (i, h) in headers.iter().enumerate() {
            if let Some(f) = auto_field(h)
                && !assign.contains(&Some(f))
            {
                assign[i] = Some(f);
            }
        }
        for (name, field) in &options.column_map {
            let idx = headers
                .iter()
                .position(|h| h == name)
                .or_else(|| {
                    headers
                        .iter()
                        .position(|h| h.to_lowercase() == name.trim().to_lowercase())
                })
                .ok_or_else(|| {
                    file_err(
                        None,
                        format!(
                            "--map {name:?}={}: there is no column {name:?}; the columns are {}",
                            field_name(*field),
                            quoted_list(&headers)
                        ),
                    )
                })?;
            if *field == Field::Ignore {
                assign[idx] = None;
            } else {
                for a in assign.iter_mut() {
                    if *a == Some(*field) {
                        *a = None;
                    }
                }
                assign[idx] = Some(*field);
            }
        }
        let col = |f: Field| assign.iter().position(|a| *a == Some(f));

        let mut notes = vec![
            match (sniffed.encoding, sniffed.bom_len, sniffed.invalid_utf8) {
                (TextEncoding::Utf8, 0, 0) => "Encoding: UTF-8".to_owned(),
                (TextEncoding::Utf8, 0, bad) => format!(
                    "Encoding: UTF-8, with {bad} invalid byte sequence(s) shown as \u{fffd}"
                ),
                (TextEncoding::Utf8, _, _) => "Encoding: UTF-8 (with BOM)".to_owned(),
                (e, _, _) => format!("Encoding: {}", e.name()),
            },
            format!("Delimiter: {}", delimiter_name(delimiter)),
        ];

        // Time columns.
        let time = match (col(Field::OccurredAt), col(Field::Date), col(Field::Time)) {
            (Some(i), _, _) => Some(TimeCols::One(i)),
            (None, Some(date), Some(time)) => Some(TimeCols::Split { date, time }),
            (None, Some(i), None) | (None, None, Some(i)) => Some(TimeCols::One(i)),
            (None, None, None) => None,
        };

        // Coordinate columns, before the CRS is known.
        let lonlat = col(Field::Lon).zip(col(Field::Lat));
        let projected_pair = col(Field::X)
            .zip(col(Field::Y))
            .or_else(|| col(Field::Easting).zip(col(Field::Northing)));

        let mut missing = Vec::new();
        if time.is_none() {
            missing.push(
                "a time column (occurred_at, datetime, tidpunkt, time, tid, datum, or datum + tid)",
            );
        }
        if lonlat.is_none() && projected_pair.is_none() {
            missing.push(
                "coordinate columns (lon + lat: lon/lng/longitude/longitud and lat/latitude/latitud; or projected x + y, e + n, öst + nord, easting + northing)",
            );
        }
        let Some(time) = time else {
            return Err(missing_columns(path, &headers, &missing));
        };
        if !missing.is_empty() {
            return Err(missing_columns(path, &headers, &missing));
        }

        // Read ahead for detection.
        let mut pending = VecDeque::new();
        while pending.len() < SAMPLE_ROWS {
            let mut rec = ByteRecord::new();
            if !rdr.read_byte_record(&mut rec).map_err(read_err)? {
                break;
            }
            pending.push_back(rec);
        }
        if pending
            .iter()
            .all(|r| r.iter().all(|f| f.trim_ascii().is_empty()))
        {
            return Err(file_err(
                None,
                "no data rows (the file has a header line but no rows)".to_owned(),
            ));
        }
        let decode = |rec: &ByteRecord, i: usize| -> String {
            sniffed
                .encoding
                .decode(rec.get(i).unwrap_or(b""))
                .into_owned()
        };
        let lined_samples = |a: usize, b: usize| -> Vec<(u64, f64, f64)> {
            pending
                .iter()
                .filter_map(|r| {
                    let x = text::parse_number(&decode(r, a))?.0;
                    let y = text::parse_number(&decode(r, b))?.0;
                    Some((r.position().map_or(0, |p| p.line()), x, y))
                })
                .collect()
        };
        let samples = |a: usize, b: usize| -> Vec<(f64, f64)> {
            lined_samples(a, b)
                .into_iter()
                .map(|(_, x, y)| (x, y))
                .collect()
        };
        // Columns mapped or named as easting and northing fix the axis order.
        let axes_named = col(Field::X).zip(col(Field::Y)).is_none()
            && col(Field::Easting).zip(col(Field::Northing)).is_some();

        // Lon/lat wins when it holds degrees; projected values in lon/lat
        // columns are read as projected only when --crs names a projected
        // system (or real projected columns exist), else they are an error.
        let mut projected_cols = projected_pair;
        let mut lonlat_cols = None;
        if let Some((lon, lat)) = lonlat {
            let values = samples(lon, lat);
            let big = values
                .iter()
                .filter(|(x, y)| x.abs() > 1000.0 || y.abs() > 1000.0)
                .count();
            let holds_degrees = values.is_empty() || big * 2 <= values.len();
            let forced_projected = options.crs.is_some_and(|c| !c.is_geographic());
            if holds_degrees {
                lonlat_cols = Some((lon, lat));
                if let Some(crs) = options.crs.filter(|c| !c.is_geographic()) {
                    notes.push(format!(
                        "--crs {crs} was not used: the columns {:?} and {:?} hold longitude/latitude degrees, read as WGS 84",
                        headers[lon], headers[lat]
                    ));
                }
                if projected_pair.is_some() {
                    notes.push(format!(
                        "Coordinates: read from {:?} and {:?} (WGS84); the projected columns were not used",
                        headers[lon], headers[lat]
                    ));
                }
            } else if forced_projected {
                notes.push(format!(
                    "Coordinates: {:?} and {:?} hold projected values, read in the --crs system",
                    headers[lon], headers[lat]
                ));
                projected_cols = Some((lon, lat));
            } else if projected_pair.is_some() {
                notes.push(format!(
                    "Coordinates: {:?} and {:?} hold no degrees, so the projected columns were used",
                    headers[lon], headers[lat]
                ));
            } else {
                let (x, y) = values[0];
                return Err(file_err(
                    None,
                    format!(
                        "columns {:?} and {:?} hold values such as {x} and {y}, which are not degrees: they look like projected coordinates (SWEREF 99 or RT 90); rename the columns to x and y (or e and n), pass --crs, or use --map {:?}=easting --map {:?}=northing",
                        headers[lon], headers[lat], headers[lon], headers[lat]
                    ),
                ));
            }
        }
        let coords = if let Some((lon, lat)) = lonlat_cols {
            Coords::LonLat { lon, lat }
        } else if let Some((first, second)) = projected_cols {
            let values = samples(first, second);
            if values.is_empty() {
                return Err(file_err(
                    None,
                    format!(
                        "none of the first {} rows has numbers in both {:?} and {:?}, so the coordinate system cannot be detected",
                        pending.len(),
                        headers[first],
                        headers[second]
                    ),
                ));
            }
            let mut lined = lined_samples(first, second);
            // A file longer than the rows read ahead: sample the rest too.
            if pending.len() == SAMPLE_ROWS {
                let after = sniffed.bom_len + rdr.position().byte();
                lined.extend(spread_samples(
                    path,
                    sniffed.encoding,
                    delimiter,
                    after,
                    (first, second),
                    SPREAD_SAMPLES,
                ));
            }
            let detected = detect::detect_in_file(
                &headers[first],
                &headers[second],
                &lined,
                options.crs,
                axes_named.then_some(false),
            )
            .map_err(|e| file_err(None, e.to_string()))?;
            notes.push(detected.note.clone());
            let (east, north) = if detected.first_is_northing {
                (second, first)
            } else {
                (first, second)
            };
            let to_wgs84 = ToWgs84::new(detected.crs).map_err(|e| file_err(None, e.to_string()))?;
            // A wrong system can put a whole file in Norway or the sea: refuse
            // a file most of whose sample rows fall outside Sweden's outline.
            let mut sweden = crate::sweden::SwedenTest::new();
            let outside = lined
                .iter()
                .filter(|&&(_, a, b)| {
                    let (e, n) = if detected.first_is_northing {
                        (b, a)
                    } else {
                        (a, b)
                    };
                    to_wgs84.convert(e, n).map_or(true, |p| !sweden.contains(p))
                })
                .count();
            if outside * 2 > lined.len() {
                return Err(file_err(
                    None,
                    format!(
                        "{outside} of {} sample rows fall outside Sweden when read as {} (by Sweden's outline, {} km margin): the coordinate system is most likely wrong; check --crs",
                        lined.len(),
                        detected.crs,
                        crate::sweden::MARGIN_M / 1000.0
                    ),
                ));
            }
            Coords::Projected {
                east,
                north,
                to_wgs84: Box::new(to_wgs84),
            }
        } else {
            return Err(missing_columns(path, &headers, &missing));
        };

        // Day/month order of slash dates, from the rows read ahead.
        let date_col = match time {
            TimeCols::One(i) => i,
            TimeCols::Split { date, .. } => date,
        };
        let (mut day_first, mut month_first) = (None, None);
        for r in &pending {
            let line = r.position().map_or(0, |p| p.line());
            if let Some((a, b)) = text::slash_date_fields(&decode(r, date_col)) {
                if a > 12 && b <= 12 && day_first.is_none() {
                    day_first = Some((line, decode(r, date_col)));
                } else if b > 12 && a <= 12 && month_first.is_none() {
                    month_first = Some((line, decode(r, date_col)));
                }
            }
        }
        let date_order = match (&day_first, &month_first) {
            (None, Some((line, example))) => {
                notes.push(format!(
                    "Dates: read as month/day/year, as line {line} writes {:?}",
                    example.trim()
                ));
                DateOrder::Mdy
            }
            (Some((line, example)), _) => {
                notes.push(format!(
                    "Dates: read as day/month/year, as line {line} writes {:?}",
                    example.trim()
                ));
                DateOrder::Dmy
            }
            (None, None) => DateOrder::Dmy,
        };

        let used: Vec<String> = assign
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| format!("{:?} as {}", headers[i], field_name(f))))
            .collect();
        notes.push(format!("Columns: {}", used.join(", ")));

        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rows = RowParser {
            sweden: crate::sweden::SwedenTest::new(),
            path: path.to_owned(),
            file_name,
            encoding: sniffed.encoding,
            delimiter,
            n_fields: headers.len(),
            headers,
            coords,
            time,
            date_order,
            order_evidence: day_first.is_some() || month_first.is_some(),
            id: col(Field::Id),
            category: col(Field::Category),
            source: col(Field::Source),
            place: col(Field::Place),
            description: col(Field::Description),
            precision: col(Field::Precision),
            default_source: options.default_source.unwrap_or(Source::Ovrigt),
            category_cache: HashMap::new(),
            source_cache: HashMap::new(),
            notes,
            decimal_comma: None,
            ambiguous_dates: 0,
            first_ambiguous: None,
            date_only: 0,
            overlap_noted: false,
            empty_rows: 0,
            uids: UidGenerator::new(),
        };
        Ok(CsvReader {
            rdr,
            record: ByteRecord::new(),
            pending,
            done: false,
            bom_len: sniffed.bom_len,
            file_size: sniffed.file_size,
            ends_with_quote,
            rows,
        })
    }
}

/// Extra sample rows taken through the whole file (after the rows read
/// ahead), so that the coordinate detection sees the file, not only its
/// start: up to `count` records starting just after evenly spaced byte
/// offsets from `from` to the end, each with its physical line. Records that
/// cannot be read there (e.g. inside a quoted field with a line break) are
/// skipped. Streams the file once more in one forward pass with a fixed
/// buffer (counting line breaks for the line numbers), so a file of any size
/// costs a fraction of the import and no memory to speak of.
fn spread_samples(
    path: &Path,
    encoding: TextEncoding,
    delimiter: u8,
    from: u64,
    (first, second): (usize, usize),
    count: usize,
) -> Vec<(u64, f64, f64)> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return Vec::new();
    };
    let from = from.min(len);
    let span = len - from;
    if span == 0 || count == 0 {
        return Vec::new();
    }
    let mut cursor = LineCursor {
        file: std::io::BufReader::with_capacity(1 << 20, file),
        pos: 0,
        line: 1,
    };
    let mut out = Vec::with_capacity(count);
    let mut record = Vec::new();
    for k in 0..count as u64 {
        let offset = from + span * k / count as u64;
        // The first record starting after the offset; when the last sampled
        // record reached past the offset, the one right after it.
        if offset >= cursor.pos {
            let at_record = cursor.skip_to(offset).and_then(|()| cursor.skip_line(None));
            if !matches!(at_record, Ok(true)) {
                break;
            }
        }
        let line = cursor.line;
        record.clear();
        if cursor.skip_line(Some(&mut record)).is_err() {
            break;
        }
        if record.is_empty() {
            continue;
        }
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(record.as_slice());
        let mut rec = ByteRecord::new();
        if !rdr.read_byte_record(&mut rec).unwrap_or(false) {
            continue;
        }
        let field = |i: usize| encoding.decode(rec.get(i).unwrap_or(b"")).into_owned();
        if let (Some((a, _)), Some((b, _))) = (
            text::parse_number(&field(first)),
            text::parse_number(&field(second)),
        ) {
            out.push((line, a, b));
        }
    }
    out
}

/// A forward-only reader that knows the physical line it is on.
struct LineCursor {
    file: std::io::BufReader<std::fs::File>,
    /// Bytes consumed.
    pos: u64,
    /// 1-based line of the next byte.
    line: u64,
}

/// A sampled record longer than this is not read whole (it is no record of
/// two coordinates anyway).
const MAX_SAMPLE_RECORD: usize = 64 * 1024;

impl LineCursor {
    /// Consumes bytes up to `target`, counting line breaks.
    fn skip_to(&mut self, target: u64) -> std::io::Result<()> {
        use std::io::BufRead as _;
        while self.pos < target {
            let buf = self.file.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let n = buf.len().min((target - self.pos) as usize);
            self.line += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.file.consume(n);
            self.pos += n as u64;
        }
        Ok(())
    }

    /// Consumes through the next line break, keeping the bytes before it in
    /// `keep` (up to [`MAX_SAMPLE_RECORD`]); false at the end of the file
    /// with no line break.
    fn skip_line(&mut self, mut keep: Option<&mut Vec<u8>>) -> std::io::Result<bool> {
        use std::io::BufRead as _;
        loop {
            let buf = self.file.fill_buf()?;
            if buf.is_empty() {
                return Ok(keep.is_some_and(|k| !k.is_empty()));
            }
            let (n, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if let Some(k) = keep.as_deref_mut() {
                let take = if done { n - 1 } else { n };
                let room = MAX_SAMPLE_RECORD.saturating_sub(k.len());
                k.extend_from_slice(&buf[..take.min(room)]);
            }
            self.file.consume(n);
            self.pos += n as u64;
            if done {
                self.line += 1;
                return Ok(true);
            }
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|h| format!("{h:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing_columns(path: &Path, headers: &[String], missing: &[&str]) -> ImportError {
    ImportError::File {
        path: path.to_owned(),
        line: Some(1),
        reason: format!(
            "missing {}; the header has {} (use --map COLUMN=FIELD to name a column's meaning)",
            missing.join(" and "),
            quoted_list(headers)
        ),
    }
}

impl Iterator for CsvReader {
    type Item = Result<ParsedRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            if let Some(rec) = self.pending.pop_front() {
                self.record = rec;
            } else {
                match self.rdr.read_byte_record(&mut self.record) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        let line = self.rdr.position().line();
                        return Some(Err(RowError {
                            path: self.rows.path.clone(),
                            line,
                            reason: format!("cannot read further: {e}"),
                            raw: None,
                        }));
                    }
                }
            }
            if self.record.iter().all(|f| f.trim_ascii().is_empty()) {
                self.rows.empty_rows += 1;
                continue;
            }
            let line = self.record.position().map_or(0, |p| p.line());
            let parsed = if self.runs_open_to_eof() {
                let newlines = inner_newlines(&self.record);
                Err(format!(
                    "broken quoting: a quote (\") opened in line {line} is never closed, so lines {line}–{} were read as one record",
                    line + newlines as u64
                ))
            } else {
                self.rows.parse(&self.record, line)
            };
            return Some(match parsed {
                Ok(incident) => Ok(ParsedRow { line, incident }),
                Err(reason) => Err(RowError {
                    path: self.rows.path.clone(),
                    line,
                    reason,
                    raw: Some(self.rows.raw(&self.record)),
                }),
            });
        }
    }
}

impl CsvReader {
    /// True when the current record's last field spans lines and runs to the
    /// end of a file that does not end with a closing quote: a quote that was
    /// never closed swallowed the rest of the file. (An unclosed quote in an
    /// earlier field shows up as a wrong number of fields instead.)
    fn runs_open_to_eof(&self) -> bool {
        let last_spans_lines = self
            .record
            .get(self.record.len().wrapping_sub(1))
            .is_some_and(|f| f.contains(&b'\n'));
        last_spans_lines
            && self.pending.is_empty()
            && self.bytes_read() >= self.file_size
            && !self.ends_with_quote
    }
}

impl RowReader for CsvReader {
    fn notes(&self) -> Vec<String> {
        let r = &self.rows;
        let mut notes = r.notes.clone();
        if let Some(example) = &r.decimal_comma {
            notes.push(format!(
                "Decimal comma: numbers such as {example:?} were read with the comma as the decimal point"
            ));
        }
        if let Some((line, example)) = &r.first_ambiguous {
            notes.push(format!(
                "Dates: {} date(s) such as {example:?} (line {line}) could be day/month or month/day; read as day/month/year, as Swedish files write them",
                r.ambiguous_dates
            ));
        }
        if r.date_only > 0 {
            notes.push(format!(
                "Times: {} row(s) have a date but no time of day; stored at 00:00 local time",
                r.date_only
            ));
        }
        if r.empty_rows > 0 {
            notes.push(format!("{} empty row(s) skipped", r.empty_rows));
        }
        notes
    }

    fn bytes_read(&self) -> u64 {
        self.bom_len + self.rdr.position().byte()
    }
}

impl RowParser {
    fn text<'r>(&self, rec: &'r ByteRecord, idx: usize) -> Cow<'r, str> {
        self.encoding.decode(rec.get(idx).unwrap_or(b""))
    }

    /// A trimmed, non-empty text field as an owned string.
    fn opt_text(&self, rec: &ByteRecord, idx: Option<usize>) -> Option<String> {
        let t = self.text(rec, idx?);
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    fn number(&mut self, rec: &ByteRecord, idx: usize) -> Result<f64, String> {
        let text = self.text(rec, idx);
        match text::parse_number(&text) {
            Some((v, comma)) => {
                if comma && self.decimal_comma.is_none() {
                    self.decimal_comma = Some(text.trim().to_owned());
                }
                Ok(v)
            }
            None if text.trim().is_empty() => {
                Err(format!("column {:?} is empty", self.headers[idx]))
            }
            None => Err(format!(
                "column {:?}: {:?} is not a number",
                self.headers[idx],
                shorten(text.trim())
            )),
        }
    }

    /// One record to an incident, or the reason it cannot be one.
    fn parse(&mut self, rec: &ByteRecord, line: u64) -> Result<Incident, String> {
        if rec.len() != self.n_fields {
            let newlines = inner_newlines(rec);
            if newlines > 0 {
                return Err(format!(
                    "broken quoting: a quote (\") opened here is not closed where expected, so lines {line}–{} were read as one record of {} field(s) instead of {}",
                    line + newlines as u64,
                    rec.len(),
                    self.n_fields
                ));
            }
            return Err(format!(
                "expected {} fields as in the header, found {}",
                self.n_fields,
                rec.len()
            ));
        }

        let position = self.position(rec)?;
        let occurred_at = self.occurred_at(rec, line)?;
        let (category, category_text) = self.category(rec);
        let (source, source_text) = self.source(rec);
        let precision_m = match self.precision {
            Some(i) if !rec.get(i).unwrap_or(b"").trim_ascii().is_empty() => {
                let v = self.number(rec, i)?;
                if v < 0.0 {
                    return Err(format!(
                        "column {:?}: {v} is not a precision in metres (it is negative)",
                        self.headers[i]
                    ));
                }
                v
            }
            _ => Precision::EXACT_M,
        };

        Ok(Incident {
            fid: None,
            uid: self.uids.next_uid(),
            occurred_at,
            category,
            category_text,
            source,
            source_text,
            position,
            precision_m,
            place: self.opt_text(rec, self.place),
            description: self.opt_text(rec, self.description),
            import_file: Some(self.file_name.clone()),
            external_id: self.opt_text(rec, self.id),
        })
    }

    fn position(&mut self, rec: &ByteRecord) -> Result<LonLat, String> {
        let (first, second) = match &self.coords {
            Coords::LonLat { lon, lat } => (*lon, *lat),
            Coords::Projected { east, north, .. } => (*east, *north),
        };
        let (a, b) = (self.number(rec, first)?, self.number(rec, second)?);
        let p = match &self.coords {
            Coords::LonLat { .. } => LonLat::new(a, b),
            Coords::Projected { to_wgs84, .. } => {
                let p = to_wgs84.convert(a, b).map_err(|err| err.to_string())?;
                if !self.sweden.contains(p) {
                    return Err(format!(
                        "position easting {a}, northing {b} in {} is lon {:.5}, lat {:.5}, far outside Sweden{}",
                        to_wgs84.crs(),
                        p.lon,
                        p.lat,
                        outside_hint(p)
                    ));
                }
                p
            }
        };
        if !self.sweden.contains(p) {
            return Err(format!(
                "position lon {}, lat {} is far outside Sweden{}",
                p.lon,
                p.lat,
                outside_hint(p)
            ));
        }
        Ok(p)
    }

    fn occurred_at(&mut self, rec: &ByteRecord, line: u64) -> Result<DateTime<Utc>, String> {
        let (stamp, col) = match self.time {
            TimeCols::One(i) => {
                let bytes = rec.get(i).unwrap_or(b"");
                if let Some(t) = text::fast_iso_utc(bytes) {
                    return Ok(t);
                }
                (text::parse_stamp(&self.text(rec, i), self.date_order), i)
            }
            TimeCols::Split { date, time } => (
                text::parse_date_and_time(
                    &self.text(rec, date),
                    &self.text(rec, time),
                    self.date_order,
                ),
                date,
            ),
        };
        let stamp = stamp.map_err(|e| format!("column {:?}: {e}", self.headers[col]))?;
        match stamp {
            Stamp::Utc(t) => Ok(t),
            Stamp::Local {
                naive,
                date_only,
                ambiguous_order,
            } => {
                if ambiguous_order && !self.order_evidence {
                    self.ambiguous_dates += 1;
                    if self.first_ambiguous.is_none() {
                        let example = self.text(rec, col).trim().to_owned();
                        self.first_ambiguous = Some((line, shorten(&example).to_owned()));
                    }
                }
                if date_only {
                    self.date_only += 1;
                }
                let utc = model::time::utc_from_local(naive)
                    .map_err(|e| format!("column {:?}: {e}", self.headers[col]))?;
                if !self.overlap_noted && naive.hour() == 2 {
                    use chrono::TimeZone as _;
                    if let chrono::LocalResult::Ambiguous(..) =
                        model::time::ZONE.from_local_datetime(&naive)
                    {
                        self.overlap_noted = true;
                        self.notes.push(format!(
                            "Times: {} (line {line}) happens twice in Swedish local time (the clocks go back that night); read as summer time (CEST), and likewise for any later such time",
                            naive.format("%Y-%m-%d %H:%M")
                        ));
                    }
                }
                Ok(utc)
            }
        }
    }

    fn category(&mut self, rec: &ByteRecord) -> (Category, Option<String>) {
        let Some(i) = self.category else {
            return (Category::Ovrigt, None);
        };
        let raw = self.encoding.decode(rec.get(i).unwrap_or(b""));
        let t = raw.trim();
        if t.is_empty() {
            return (Category::Ovrigt, None);
        }
        if let Some(c) = Category::from_key(t) {
            return (c, None);
        }
        if let Some(hit) = self.category_cache.get(t) {
            return hit.clone();
        }
        let hit = (
            Category::parse_loose(t).unwrap_or(Category::Ovrigt),
            Some(t.to_owned()),
        );
        if self.category_cache.len() < 10_000 {
            self.category_cache.insert(t.to_owned(), hit.clone());
        }
        hit
    }

    fn source(&mut self, rec: &ByteRecord) -> (Source, Option<String>) {
        let Some(i) = self.source else {
            return (self.default_source, None);
        };
        let raw = self.encoding.decode(rec.get(i).unwrap_or(b""));
        let t = raw.trim();
        if t.is_empty() {
            return (self.default_source, None);
        }
        if let Some(s) = Source::from_key(t) {
            return (s, None);
        }
        if let Some(hit) = self.source_cache.get(t) {
            return hit.clone();
        }
        let hit = match Source::parse_loose(t) {
            Some(s) => (s, None),
            None => (Source::Ovrigt, Some(t.to_owned())),
        };
        if self.source_cache.len() < 10_000 {
            self.source_cache.insert(t.to_owned(), hit.clone());
        }
        hit
    }

    /// The record joined back into one CSV line (quoted where needed).
    fn raw(&self, rec: &ByteRecord) -> String {
        let delim = self.delimiter as char;
        let mut out = String::new();
        for (i, f) in rec.iter().enumerate() {
            if i > 0 {
                out.push(delim);
            }
            let t = self.encoding.decode(f);
            if t.contains([delim, '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&t.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&t);
            }
            if out.len() > MAX_RAW_LEN {
                let mut cut = MAX_RAW_LEN;
                while !out.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.truncate(cut);
                out.push('…');
                break;
            }
        }
        out
    }
}

/// Line breaks inside a record's fields (not counting a trailing one).
fn inner_newlines(rec: &ByteRecord) -> usize {
    rec.iter()
        .map(|f| f.trim_ascii_end().iter().filter(|&&b| b == b'\n').count())
        .sum()
}

/// At most 40 characters of a value, for messages.
fn shorten(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// A guess at why a position is outside Sweden, for the row error.
fn outside_hint(p: LonLat) -> &'static str {
    if LonLat::new(p.lat, p.lon).is_in_sweden_region() {
        " (are longitude and latitude swapped?)"
    } else if p.lon.abs() < 1.0 && p.lat.abs() < 1.0 {
        " (0, 0 is in the sea off Africa: missing coordinates?)"
    } else if (-20.0..=55.0).contains(&p.lon) && (-40.0..=37.0).contains(&p.lat) {
        " (in the sea off Africa?)"
    } else if p.lon.abs() > 180.0 || p.lat.abs() > 90.0 {
        " (these are not degrees)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::gpkg_datetime;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn read_all(
        path: &Path,
        options: &ImportOptions,
    ) -> (Vec<ParsedRow>, Vec<RowError>, Vec<String>) {
        crate::import::test_support::drain(Box::new(CsvReader::open(path, options).unwrap()))
    }

    /// Writes `bytes` as `name` in a fresh folder and reads every row.
    fn read_bytes(
        name: &str,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> (Vec<ParsedRow>, Vec<RowError>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        read_all(&write(&dir, name, bytes), options)
    }

    fn file_error(path: &Path, options: &ImportOptions) -> String {
        match CsvReader::open(path, options) {
            Err(ImportError::File { reason, .. }) => reason,
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("opened"),
        }
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"id;lon;lat\n1;2,5;3"), (b';', false));
        assert_eq!(detect_delimiter(b"id,lon,lat\n"), (b',', false));
        assert_eq!(detect_delimiter(b"id\tlon\tlat\r\n"), (b'\t', false));
        assert_eq!(detect_delimiter(b"\"a;b\",c,d\n"), (b',', false));
        assert_eq!(detect_delimiter(b"sep=;\nid;lon\n"), (b';', true));
        assert_eq!(detect_delimiter(b"id\n"), (b',', false));
    }

    #[test]
    fn header_names() {
        assert_eq!(auto_field("Longitud"), Some(Field::Lon));
        assert_eq!(auto_field("LATITUDE"), Some(Field::Lat));
        assert_eq!(auto_field("Öst"), Some(Field::Easting));
        assert_eq!(auto_field("Nord"), Some(Field::Northing));
        assert_eq!(auto_field("Källa"), Some(Field::Source));
        assert_eq!(auto_field("Ärendenr."), Some(Field::Id));
        assert_eq!(auto_field("Tidpunkt"), Some(Field::OccurredAt));
        assert_eq!(auto_field("Händelse"), Some(Field::Description));
        assert_eq!(auto_field("Noggrannhet (m)"), Some(Field::Precision));
        assert_eq!(auto_field("Brottstyp"), Some(Field::Category));
        assert_eq!(auto_field("Färg"), None);
    }

    #[test]
    fn wgs84_comma_utf8() {
        let (ok, bad, notes) = read_bytes(
            "a.csv",
            "id,lon,lat,occurred_at,category,source,plats,beskrivning\n\
             A1,14.5862,56.0510,2025-03-14T22:40:00+01:00,skadegorelse,trygghetsvard,Stortorget,Krossad ruta\n\
             A2,14.60,56.06,2025-07-04 23:30,Misshandel,Polisen,,\n\
             A3,14.61,56.07,2025-07-05 01:00,Rattfylleri,Kustbevakningen,,\n"
                .as_bytes(),
            &ImportOptions::default(),
        );
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(ok.len(), 3);
        let a = &ok[0].incident;
        assert_eq!(ok[0].line, 2);
        assert_eq!(gpkg_datetime(a.occurred_at), "2025-03-14T21:40:00.000Z");
        assert_eq!(a.position, LonLat::new(14.5862, 56.0510));
        assert_eq!(
            (a.category, a.source),
            (Category::Skadegorelse, Source::Trygghetsvard)
        );
        assert_eq!(a.category_text, None);
        assert_eq!(a.external_id.as_deref(), Some("A1"));
        assert_eq!(a.place.as_deref(), Some("Stortorget"));
        assert_eq!(a.description.as_deref(), Some("Krossad ruta"));
        assert_eq!(a.import_file.as_deref(), Some("a.csv"));
        assert_eq!(a.precision_m, Precision::EXACT_M);
        let b = &ok[1].incident;
        assert_eq!(gpkg_datetime(b.occurred_at), "2025-07-04T21:30:00.000Z");
        assert_eq!(
            (b.category, b.category_text.as_deref()),
            (Category::Vald, Some("Misshandel"))
        );
        assert_eq!((b.source, b.source_text.as_deref()), (Source::Polis, None));
        assert_eq!(b.place, None);
        let c = &ok[2].incident;
        assert_eq!(
            (c.category, c.category_text.as_deref()),
            (Category::Ovrigt, Some("Rattfylleri"))
        );
        assert_eq!(
            (c.source, c.source_text.as_deref()),
            (Source::Ovrigt, Some("Kustbevakningen"))
        );
        assert!(notes.contains(&"Encoding: UTF-8".to_owned()), "{notes:?}");
        assert!(notes.contains(&"Delimiter: ,".to_owned()), "{notes:?}");
    }

    #[test]
    fn semicolon_decimal_comma_windows_1252() {
        // "Källa", "Tidpunkt", "Stöld" and "Ö" in Windows-1252.
        let options = ImportOptions {
            default_source: Some(Source::Skola),
            ..ImportOptions::default()
        };
        let (ok, bad, notes) = read_bytes(
            "b.csv",
            b"Id;Longitud;Latitud;Tidpunkt;Kategori;K\xE4lla;Plats\r\n\
              1;14,5862;56,0510;14.3.2025 22.40;St\xF6ld;Trygghetsv\xE4rd;\xD6stra torget\r\n",
            &options,
        );
        assert!(bad.is_empty(), "{bad:?}");
        let a = &ok[0].incident;
        assert_eq!(a.position, LonLat::new(14.5862, 56.0510));
        assert_eq!(gpkg_datetime(a.occurred_at), "2025-03-14T21:40:00.000Z");
        assert_eq!(a.category, Category::Stold);
        assert_eq!(a.category_text.as_deref(), Some("Stöld"));
        assert_eq!(a.source, Source::Trygghetsvard);
        assert_eq!(a.place.as_deref(), Some("Östra torget"));
        for n in ["Encoding: Windows-1252", "Delimiter: ;"] {
            assert!(notes.contains(&n.to_owned()), "{notes:?}");
        }
        assert!(
            notes.contains(
                &"Decimal comma: numbers such as \"14,5862\" were read with the comma as the decimal point"
                    .to_owned()
            ),
            "{notes:?}"
        );
    }

    #[test]
    fn default_source_applies_without_a_source_column() {
        let options = ImportOptions {
            default_source: Some(Source::Skola),
            ..ImportOptions::default()
        };
        let (ok, _, _) = read_bytes(
            "c.csv",
            b"lat,lon,time\n56.05,14.58,2025-01-01 12:00\n",
            &options,
        );
        assert_eq!(ok[0].incident.source, Source::Skola);
        assert_eq!(ok[0].incident.category, Category::Ovrigt);
    }

    #[test]
    fn row_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "d.csv",
            "id,lon,lat,time,beskrivning\n\
             1,14.58,abc,2025-03-14 22:40,Hemlig text\n\
             2,5.123,10.456,2025-03-14 22:40,Hemlig text\n\
             3,14.58,56.05,2025-02-30 10:00,Hemlig text\n\
             4,14.58,56.05,2025-03-14 25:00,Hemlig text\n\
             5,14.58,56.05,2025-03-30 02:30,Hemlig text\n\
             6,14.58,56.05\n\
             7,56.05,14.58,2025-03-14 22:40,Hemlig text\n\
             8,14.58,56.05,2025-03-30 03:00,ok\n"
                .as_bytes(),
        );
        let (ok, bad, _) = read_all(&p, &ImportOptions::default());
        assert_eq!(ok.len(), 1);
        assert_eq!(
            gpkg_datetime(ok[0].incident.occurred_at),
            "2025-03-30T01:00:00.000Z"
        );
        let reasons: Vec<(u64, &str)> = bad.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(reasons.len(), 7, "{reasons:?}");
        assert_eq!(reasons[0], (2, "column \"lat\": \"abc\" is not a number"));
        assert_eq!(
            reasons[1],
            (
                3,
                "position lon 5.123, lat 10.456 is far outside Sweden (in the sea off Africa?)"
            )
        );
        assert!(reasons[2].1.contains("has no day 30"), "{reasons:?}");
        assert!(reasons[3].1.contains("not a valid time"), "{reasons:?}");
        assert!(
            reasons[4]
                .1
                .contains("does not exist in Swedish local time"),
            "{reasons:?}"
        );
        assert_eq!(
            reasons[5],
            (7, "expected 5 fields as in the header, found 3")
        );
        assert!(reasons[6].1.contains("swapped"), "{reasons:?}");
        for e in &bad {
            assert!(!e.to_string().contains("Hemlig"), "{e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("{}:{}: ", p.display(), e.line))
            );
        }
        assert_eq!(
            bad[0].raw.as_deref(),
            Some("1,14.58,abc,2025-03-14 22:40,Hemlig text")
        );
    }

    #[test]
    fn broken_quoting_is_a_row_error() {
        let (ok, bad, _) = read_bytes(
            "q.csv",
            b"id,lon,lat,time,beskrivning\n\
              1,14.58,56.05,2025-03-14 22:40,\"ok\"\n\
              2,14.58,56.05,2025-03-14 22:40,\"never closed\n\
              3,14.58,56.05,2025-03-14 22:40,x\n\
              4,14.58,56.05,2025-03-14 22:40,x\n",
            &ImportOptions::default(),
        );
        assert_eq!(ok.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3);
        assert!(
            bad[0].reason.starts_with("broken quoting"),
            "{}",
            bad[0].reason
        );
        assert!(bad[0].reason.contains("lines 3–5"), "{}", bad[0].reason);
    }

    #[test]
    fn unclosed_quote_in_an_inner_field_is_broken_quoting() {
        let (ok, bad, _) = read_bytes(
            "q2.csv",
            b"id,beskrivning,lon,lat,time\n\
              1,\"never closed,14.58,56.05,2025-03-14 22:40\n\
              2,x,14.58,56.05,2025-03-14 22:40\n",
            &ImportOptions::default(),
        );
        assert!(ok.is_empty());
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 2);
        assert!(
            bad[0].reason.starts_with("broken quoting") && bad[0].reason.contains("lines 2–3"),
            "{}",
            bad[0].reason
        );
    }

    #[test]
    fn spread_samples_stream_the_file_and_know_their_lines() {
        // Each record holds its own physical line number; one quoted field
        // spans two lines, so later records are one line further on.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.csv");
        let mut text = String::from("id;a;b\n");
        let mut line = 2u64;
        for i in 0..5000u64 {
            if i == 2500 {
                text.push_str(&format!("q;{line};\"two\nlines\"\n"));
                line += 2;
                continue;
            }
            text.push_str(&format!("r{i};{line};{}\n", i * 3));
            line += 1;
        }
        std::fs::write(&path, &text).unwrap();
        let from = text.find('\n').unwrap() as u64 + 1;
        let samples = spread_samples(&path, TextEncoding::Utf8, b';', from, (1, 2), 200);
        assert!(samples.len() >= 190, "{}", samples.len());
        for &(line, a, _) in &samples {
            assert_eq!(line as f64, a, "record of line {a} sampled as line {line}");
        }
        // Spread to the end of the file.
        assert!(samples.last().unwrap().1 > 4900.0, "{:?}", samples.last());
        // The last record without a line break is read too.
        std::fs::write(&path, "id;a;b\nr;2;0\nr;3;0").unwrap();
        let samples = spread_samples(&path, TextEncoding::Utf8, b';', 7, (1, 2), 10);
        assert_eq!(samples, vec![(3, 3.0, 0.0)]);
    }

    #[test]
    fn projected_point_outside_sweden_is_a_row_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id;Öst;Nord;tid\n");
        for i in 0..12 {
            text.push_str(&format!("{i};474226,279;6211832,979;2025-03-14 22:40\n"));
        }
        text.push_str("far;474226,279;5211832,979;2025-03-14 22:40\n");
        let p = write(&dir, "far.csv", text.as_bytes());
        let (ok, bad, notes) = read_all(&p, &ImportOptions::default());
        assert_eq!(ok.len(), 12, "{bad:?} {notes:?}");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 14);
        assert!(
            bad[0].reason.starts_with(
                "position easting 474226.279, northing 5211832.979 in SWEREF 99 TM (EPSG:3006) is lon 14.6"
            ) && bad[0].reason.contains("far outside Sweden"),
            "{}",
            bad[0].reason
        );
    }

    #[test]
    fn dst_autumn_overlap_is_noted_once() {
        let (ok, bad, notes) = read_bytes(
            "o.csv",
            b"lon,lat,tid\n14.58,56.05,2025-10-26 02:30\n14.58,56.05,2025-10-26 02:45\n",
            &ImportOptions::default(),
        );
        assert!(bad.is_empty());
        assert_eq!(
            gpkg_datetime(ok[0].incident.occurred_at),
            "2025-10-26T00:30:00.000Z"
        );
        let overlap: Vec<_> = notes
            .iter()
            .filter(|n| n.contains("happens twice"))
            .collect();
        assert_eq!(overlap.len(), 1, "{notes:?}");
        assert!(overlap[0].contains("line 2"), "{notes:?}");
    }

    #[test]
    fn slash_dates_follow_the_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "s.csv",
            b"lon,lat,datum\n14.58,56.05,3/4/2025 10:00\n14.58,56.05,14/4/2025 10:00\n",
        );
        let (ok, bad, notes) = read_all(&p, &ImportOptions::default());
        assert!(bad.is_empty());
        assert_eq!(
            gpkg_datetime(ok[0].incident.occurred_at),
            "2025-04-03T08:00:00.000Z"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("day/month/year, as line 3")),
            "{notes:?}"
        );
        assert!(!notes.iter().any(|n| n.contains("could be")), "{notes:?}");

        let p = write(
            &dir,
            "m.csv",
            b"lon,lat,datum\n14.58,56.05,3/4/2025 10:00\n14.58,56.05,4/14/2025 10:00\n",
        );
        let (ok, bad, notes) = read_all(&p, &ImportOptions::default());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            gpkg_datetime(ok[0].incident.occurred_at),
            "2025-03-04T09:00:00.000Z"
        );
        assert!(
            notes.iter().any(|n| n.contains("month/day/year")),
            "{notes:?}"
        );

        let p = write(
            &dir,
            "a.csv",
            b"lon,lat,datum\n14.58,56.05,3/4/2025 10:00\n14.58,56.05,5/6/2025 10:00\n",
        );
        let (ok, _, notes) = read_all(&p, &ImportOptions::default());
        assert_eq!(
            gpkg_datetime(ok[0].incident.occurred_at),
            "2025-04-03T08:00:00.000Z"
        );
        assert!(
            notes
                .iter()
                .any(|n| n
                    .contains("2 date(s) such as \"3/4/2025 10:00\" (line 2) could be day/month")),
            "{notes:?}"
        );
    }

    #[test]
    fn separate_date_and_time_columns() {
        let (ok, bad, notes) = read_bytes(
            "dt.csv",
            "Datum;Tid;Lat;Lon\n2025-03-14;22:40;56,05;14,58\n2025-03-15;;56,05;14,58\n".as_bytes(),
            &ImportOptions::default(),
        );
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            gpkg_datetime(ok[0].incident.occurred_at),
            "2025-03-14T21:40:00.000Z"
        );
        assert_eq!(
            gpkg_datetime(ok[1].incident.occurred_at),
            "2025-03-14T23:00:00.000Z"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("1 row(s) have a date but no time")),
            "{notes:?}"
        );
    }

    #[test]
    fn column_map_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "map.csv",
            b"nr,longitud,latitud,when_it_happened,typ,annan typ\n7,14.58,56.05,2025-03-14 22:40,brand,narkotika\n",
        );
        let options = ImportOptions {
            column_map: vec![
                ("When_It_Happened".to_owned(), Field::OccurredAt),
                ("nr".to_owned(), Field::Id),
                ("annan typ".to_owned(), Field::Category),
            ],
            ..ImportOptions::default()
        };
        let (ok, bad, _) = read_all(&p, &options);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(ok[0].incident.external_id.as_deref(), Some("7"));
        assert_eq!(ok[0].incident.category, Category::Narkotika);

        let options = ImportOptions {
            column_map: vec![("nope".to_owned(), Field::Id)],
            ..ImportOptions::default()
        };
        let reason = file_error(&p, &options);
        assert!(reason.contains("there is no column \"nope\""), "{reason}");
    }

    #[test]
    fn file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let o = ImportOptions::default();
        let r = file_error(&write(&dir, "h.csv", b"id,lon,lat,time\n"), &o);
        assert!(r.contains("no data rows"), "{r}");
        let r = file_error(&write(&dir, "m.csv", b"id,plats,beskrivning\n1,a,b\n"), &o);
        assert!(r.contains("missing a time column"), "{r}");
        assert!(r.contains("coordinate columns"), "{r}");
        assert!(r.contains("\"id\", \"plats\", \"beskrivning\""), "{r}");
        let r = file_error(
            &write(
                &dir,
                "n.csv",
                b"lon,lat,time\n450000,6230000,2025-01-01 10:00\n",
            ),
            &o,
        );
        assert!(r.contains("not degrees"), "{r}");
        let r = file_error(&write(&dir, "e.csv", b""), &o);
        assert!(r.contains("empty file"), "{r}");
        let r = file_error(&write(&dir, "b.csv", b"id,lon\x00\x01\x02"), &o);
        assert!(r.contains("not a text file"), "{r}");
    }

    #[test]
    fn precision_column_bom_and_empty_rows() {
        let (ok, bad, notes) = read_bytes(
            "p.csv",
            "\u{feff}lon;lat;tid;noggrannhet\n14,58;56,05;2025-03-14 22:40;250\n;;;\n14,58;56,05;2025-03-14 22:40;\n"
                .as_bytes(),
            &ImportOptions::default(),
        );
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(ok[0].incident.precision_m, 250.0);
        assert_eq!(ok[1].incident.precision_m, Precision::EXACT_M);
        assert_eq!(ok[1].line, 4);
        assert!(
            notes.contains(&"Encoding: UTF-8 (with BOM)".to_owned()),
            "{notes:?}"
        );
        assert!(
            notes.contains(&"1 empty row(s) skipped".to_owned()),
            "{notes:?}"
        );
    }
}
