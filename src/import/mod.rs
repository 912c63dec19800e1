//! Readers for incident files and the import that feeds them into a store.
//!
//! Each format module turns a file into a stream of [`ParsedRow`]s or
//! [`RowError`]s ([`RowReader`]); [`import_file`] pushes the good rows into one
//! [`ImportSession`](crate::store::ImportSession) (one transaction), collects rejects, duplicates and
//! conflicts into an [`ImportReport`], and commits — or, with `strict` and any
//! bad row, with cancellation, or with a file-level error, writes nothing.

pub mod benchdata;
pub mod csv;
pub mod encoding;
pub mod geojson;
pub mod polisen;
mod text;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::crs::Crs;
use crate::jobs::{CancelToken, Cancelled, Progress};
use crate::model::{Incident, Source};
use crate::store::{PushOutcome, Store, StoreError};

/// File formats the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    /// Delimited text as Excel and municipal systems write it.
    Csv,
    /// A GeoJSON FeatureCollection of points.
    GeoJson,
    /// The Swedish Police's open events JSON (a list of events).
    Polisen,
}

impl Format {
    /// Guesses the format from the file name and its first bytes: a JSON array
    /// is Polisen events, a JSON object is GeoJSON, anything else CSV.
    pub fn detect(path: &Path, head: &[u8]) -> Format {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => return Format::Csv,
            "geojson" => return Format::GeoJson,
            _ => {}
        }
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => Format::Polisen,
            Some(b'{') => Format::GeoJson,
            _ => Format::Csv,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::GeoJson => "GeoJSON",
            Format::Polisen => "Polisen events JSON",
        }
    }
}

/// An incident field a column or property can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Field {
    Id,
    Lon,
    Lat,
    /// Ambiguous projected coordinate named `x` (Swedish convention: northing).
    X,
    /// Ambiguous projected coordinate named `y` (Swedish convention: easting).
    Y,
    Easting,
    Northing,
    /// Date and time in one column.
    OccurredAt,
    /// Date only (combined with [`Field::Time`]).
    Date,
    /// Time of day only (combined with [`Field::Date`]).
    Time,
    Category,
    Source,
    Place,
    Description,
    /// Position precision in metres.
    Precision,
    /// A column to leave unread.
    Ignore,
}

impl std::str::FromStr for Field {
    type Err = String;

    /// Field names as `--map column=field` takes them: `id`, `lon`, `lat`, `x`,
    /// `y`, `easting`, `northing`, `occurred_at`, `date`, `time`, `category`,
    /// `source`, `place`, `description`, `precision`, `ignore`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "id" => Field::Id,
            "lon" => Field::Lon,
            "lat" => Field::Lat,
            "x" => Field::X,
            "y" => Field::Y,
            "easting" | "e" => Field::Easting,
            "northing" | "n" => Field::Northing,
            "occurred_at" | "datetime" => Field::OccurredAt,
            "date" => Field::Date,
            "time" => Field::Time,
            "category" => Field::Category,
            "source" => Field::Source,
            "place" => Field::Place,
            "description" => Field::Description,
            "precision" => Field::Precision,
            "ignore" => Field::Ignore,
            other => {
                return Err(format!(
                    "unknown field {other:?}; fields: id, lon, lat, x, y, easting, northing, occurred_at, date, time, category, source, place, description, precision, ignore"
                ));
            }
        })
    }
}

/// How to read files.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Force a format; `None` detects it.
    pub format: Option<Format>,
    /// Force the coordinate system of projected columns; `None` detects it.
    pub crs: Option<Crs>,
    /// `--map column=field` overrides, by header name (matched exactly, then
    /// case-insensitively).
    pub column_map: Vec<(String, Field)>,
    /// Source for rows that name none (default [`Source::Ovrigt`]).
    pub default_source: Option<Source>,
    /// Write nothing if any row is bad.
    pub strict: bool,
}

/// A row that could not be read, and why. Never carries description text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{}:{line}: {reason}", path.display())]
pub struct RowError {
    pub path: PathBuf,
    /// 1-based line (CSV: the physical line the record starts on; JSON: the
    /// line where the feature or event starts).
    pub line: u64,
    pub reason: String,
    /// The raw record as read (CSV fields joined back), for `--rejects`.
    pub raw: Option<String>,
}

/// A good row: its line and the incident it describes (no `fid` yet;
/// `import_file` set to the file name).
#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub line: u64,
    pub incident: Incident,
}

/// A stream of rows from one file.
pub trait RowReader: Iterator<Item = Result<ParsedRow, RowError>> {
    /// Assumptions made while reading (encoding, delimiter, CRS and axis
    /// order, column mapping), one sentence each, for the report.
    fn notes(&self) -> Vec<String>;
    /// Bytes consumed so far, for progress against the file size.
    fn bytes_read(&self) -> u64;
}

/// The file as a whole could not be imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Unreadable file: empty, binary, broken JSON, missing columns …
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        path: PathBuf,
        line: Option<u64>,
        reason: String,
    },
    #[error("{}: {rejected} row(s) could not be read and --strict is set, so nothing was imported; first: {first}", path.display())]
    Strict {
        path: PathBuf,
        rejected: usize,
        first: Box<RowError>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// A row whose source and external id match a stored incident with a
/// different time or place. It was not imported.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conflict {
    pub line: u64,
    pub external_id: String,
    pub fid: i64,
    pub reason: String,
}

/// What one file's import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub path: PathBuf,
    pub format: Format,
    pub imported: u64,
    pub duplicates: u64,
    pub conflicts: Vec<Conflict>,
    pub rejected: Vec<RowError>,
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

/// Opens a reader for `path` in the given or detected format.
pub fn open_reader(
    path: &Path,
    options: &ImportOptions,
) -> Result<Box<dyn RowReader>, ImportError> {
    match options.format.map_or_else(|| detect_format(path), Ok)? {
        Format::Csv => csv::reader(path, options),
        // Until the GeoJSON and Polisen readers land (then: geojson::reader,
        // polisen::reader).
        other => Err(ImportError::File {
            path: path.to_owned(),
            line: None,
            reason: format!("{} import is not in this build yet", other.name()),
        }),
    }
}

/// [`Format::detect`] on the file's name and first kilobyte.
fn detect_format(path: &Path) -> Result<Format, ImportError> {
    let mut head = Vec::with_capacity(1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(1024).read_to_end(&mut head))
        .map_err(|source| ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
    Ok(Format::detect(path, &head))
}

/// Bytes read between progress updates.
const PROGRESS_STEP_BYTES: u64 = 64 * 1024;
/// Rows read between cancellation checks.
const CANCEL_CHECK_ROWS: u64 = 10_000;

/// Imports one file into `store` in one transaction.
///
/// Progress: stage "Läser <file>" in bytes of the file, then the store's own
/// stages while it commits.
///
/// # Returns
/// The report of what was imported, skipped as duplicate, refused as a
/// conflict or rejected as unreadable. When no row could be imported the
/// report says `imported: 0` and nothing is committed (no import-log row).
///
/// # Errors
/// File-level problems ([`ImportError::File`], [`ImportError::Io`]), any bad
/// row with `strict` ([`ImportError::Strict`]), store failures and
/// cancellation. In every error case the project is left unchanged.
pub fn import_file(
    store: &mut dyn Store,
    path: &Path,
    options: &ImportOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let format = match options.format {
        Some(f) => f,
        None => detect_format(path)?,
    };
    let mut reader = open_reader(
        path,
        &ImportOptions {
            format: Some(format),
            ..options.clone()
        },
    )?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    progress.stage(&format!("Läser {file_name}"), file_size);

    let mut session = store.begin_import(&file_name).map_err(store_error)?;
    let mut report = ImportReport {
        path: path.to_owned(),
        format,
        imported: 0,
        duplicates: 0,
        conflicts: Vec::new(),
        rejected: Vec::new(),
        notes: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let mut reported_bytes = 0u64;
    let mut rows = 0u64;
    while let Some(item) = reader.next() {
        rows += 1;
        if rows.is_multiple_of(CANCEL_CHECK_ROWS) {
            cancel.check()?;
        }
        if rows.is_multiple_of(256) {
            let bytes = reader.bytes_read();
            if bytes >= reported_bytes + PROGRESS_STEP_BYTES {
                progress.advance(bytes - reported_bytes);
                reported_bytes = bytes;
            }
        }
        match item {
            Err(e) => report.rejected.push(e),
            // Under --strict nothing will be written once a row is bad: keep
            // reading only to count the rejects.
            Ok(_) if options.strict && !report.rejected.is_empty() => {}
            Ok(row) => match session.push(&row.incident).map_err(store_error)? {
                PushOutcome::Inserted => report.imported += 1,
                PushOutcome::Duplicate { .. } => report.duplicates += 1,
                PushOutcome::Conflict { fid, reason } => report.conflicts.push(Conflict {
                    line: row.line,
                    external_id: row.incident.external_id.unwrap_or_default(),
                    fid,
                    reason,
                }),
            },
        }
    }
    cancel.check()?;
    let bytes = reader.bytes_read().max(reported_bytes);
    progress.advance(bytes - reported_bytes);
    report.notes = reader.notes();

    if options.strict && !report.rejected.is_empty() {
        let rejected = report.rejected.len();
        let first = report.rejected.swap_remove(0);
        return Err(ImportError::Strict {
            path: path.to_owned(),
            rejected,
            first: Box::new(first),
        });
    }
    if report.imported > 0 {
        session.commit(progress, cancel).map_err(store_error)?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Store errors, with cancellation kept as cancellation.
fn store_error(e: StoreError) -> ImportError {
    match e {
        StoreError::Cancelled(c) => ImportError::Cancelled(c),
        other => ImportError::Store(other),
    }
}

/// Writes rejected rows as CSV (`line,reason,raw`), UTF-8, comma-separated.
pub fn write_rejects_csv(path: &Path, rejects: &[RowError]) -> Result<(), ImportError> {
    let io_err = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io_err)?;
    let mut w = ::csv::Writer::from_writer(std::io::BufWriter::new(file));
    let csv_err = |e: ::csv::Error| match e.into_kind() {
        ::csv::ErrorKind::Io(source) => io_err(source),
        other => io_err(std::io::Error::other(format!("{other:?}"))),
    };
    w.write_record(["line", "reason", "raw"]).map_err(csv_err)?;
    for r in rejects {
        w.write_record([
            r.line.to_string().as_str(),
            r.reason.as_str(),
            r.raw.as_deref().unwrap_or(""),
        ])
        .map_err(csv_err)?;
    }
    let mut inner = w
        .into_inner()
        .map_err(|e| io_err(std::io::Error::other(e.to_string())))?;
    inner.flush().map_err(io_err)?;
    Ok(())
}
