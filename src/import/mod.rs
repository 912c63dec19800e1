//! Readers for incident files and the import that feeds them into a store.
//!
//! Each format module turns a file into a stream of [`ParsedRow`]s or
//! [`RowError`]s ([`RowReader`]); [`import_file`] pushes the good rows into one
//! [`ImportSession`] (one transaction), counts rejects, duplicates and
//! conflicts in an [`ImportReport`], and commits — or, with `strict` and any
//! bad row, with cancellation, or with a file-level error, writes nothing.
//!
//! Rejected rows and conflicts are not kept: the report holds the first
//! [`REPORT_ROWS`] of each and counts the rest, and [`import_file_with`]
//! writes every one to a [`RejectsFile`] as it is found, so that memory does
//! not grow with a file of bad rows.

pub mod benchdata;
pub mod csv;
pub mod encoding;
/// The hosts' shift reports from a form tool's CSV export (KoBoToolbox, ODK).
pub mod form_reports;
pub mod geojson;
/// Incidents from a point layer of a foreign GeoPackage (QGIS, ogr2ogr).
pub mod gpkg_layer;
pub mod layer_file;
pub mod plan_file;
pub mod polisen;
/// The hosts' GPX tracks and check-in files.
pub mod presence;
pub mod rejects;
pub mod shapes;
mod text;

pub use rejects::RejectsFile;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::crs::Crs;
use crate::jobs::{CancelToken, Cancelled, Progress};
use crate::model::{Incident, Source};
use crate::store::{ImportSession, PushOutcome, Store, StoreError};

/// File formats the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    /// Delimited text as Excel and municipal systems write it.
    Csv,
    /// A GeoJSON FeatureCollection of points.
    GeoJson,
    /// The Swedish Police's open events JSON (a list of events).
    Polisen,
    /// A point layer of a GeoPackage that is not a Lägesbild project
    /// (see [`gpkg_layer`]).
    GeoPackage,
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
            "gpkg" => return Format::GeoPackage,
            _ => {}
        }
        if head.starts_with(b"SQLite format 3\0") {
            return Format::GeoPackage;
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
            Format::GeoPackage => "GeoPackage layer",
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
    /// The layer of a GeoPackage to read (`--layer`); `None` reads its only
    /// point layer.
    pub layer: Option<String>,
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

/// Rejected rows and conflicts an [`ImportReport`] keeps (each); the rest
/// are only counted (and written to the [`RejectsFile`], if any).
pub const REPORT_ROWS: usize = 100;

/// What one file's import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub path: PathBuf,
    pub format: Format,
    pub imported: u64,
    /// Stored police events the file had in a newer version, updated in
    /// place (see [`polisen`]).
    pub updated: u64,
    pub duplicates: u64,
    /// Police summaries and notices, kept apart from the incidents.
    pub summaries: u64,
    /// The first [`REPORT_ROWS`] conflicts, in file order.
    pub conflicts: Vec<Conflict>,
    /// All conflicts, those not kept included.
    pub conflicts_total: u64,
    /// The first [`REPORT_ROWS`] rejected rows, in file order.
    pub rejected: Vec<RowError>,
    /// All rejected rows, those not kept included.
    pub rejected_total: u64,
    pub notes: Vec<String>,
    pub elapsed: Duration,
    /// Where the rejected rows and conflicts were written as they were
    /// found, or why that failed; `None` when none was asked for or there
    /// was nothing to write. Set by [`import_file_rejects_beside`].
    #[serde(skip)]
    pub rejects_file: Option<Result<PathBuf, String>>,
}

impl ImportReport {
    /// An empty report of `path`.
    pub fn new(path: &Path, format: Format) -> ImportReport {
        ImportReport {
            path: path.to_owned(),
            format,
            imported: 0,
            updated: 0,
            duplicates: 0,
            summaries: 0,
            conflicts: Vec::new(),
            conflicts_total: 0,
            rejected: Vec::new(),
            rejected_total: 0,
            notes: Vec::new(),
            elapsed: Duration::ZERO,
            rejects_file: None,
        }
    }

    /// Counts a rejected row, keeps it if it is among the first
    /// [`REPORT_ROWS`], and writes it to `rejects`.
    pub(crate) fn add_rejected(&mut self, e: RowError, rejects: Option<&mut RejectsFile>) {
        self.rejected_total += 1;
        if let Some(r) = rejects {
            r.write_rejected(&e);
        }
        if self.rejected.len() < REPORT_ROWS {
            self.rejected.push(e);
        }
    }

    /// Counts a conflict, keeps it if it is among the first [`REPORT_ROWS`],
    /// and writes it to `rejects`.
    pub(crate) fn add_conflict(&mut self, c: Conflict, rejects: Option<&mut RejectsFile>) {
        self.conflicts_total += 1;
        if let Some(r) = rejects {
            r.write_conflict(&self.path, &c);
        }
        if self.conflicts.len() < REPORT_ROWS {
            self.conflicts.push(c);
        }
    }

    /// The `--strict` refusal of this report's file (its first reject and
    /// the count), or `None` when no row was rejected.
    fn strict_error(&mut self) -> Option<ImportError> {
        if self.rejected.is_empty() {
            return None;
        }
        let first = self.rejected.swap_remove(0);
        Some(ImportError::Strict {
            path: self.path.clone(),
            rejected: usize::try_from(self.rejected_total).unwrap_or(usize::MAX),
            first: Box::new(first),
        })
    }
}

/// Opens a reader for `path` in the given or detected format.
pub fn open_reader(
    path: &Path,
    options: &ImportOptions,
) -> Result<Box<dyn RowReader>, ImportError> {
    match options.format.map_or_else(|| detect_format(path), Ok)? {
        Format::Csv => csv::reader(path, options),
        Format::GeoJson => geojson::reader(path, options),
        Format::Polisen => polisen::reader(path, options),
        Format::GeoPackage => gpkg_layer::reader(path, options),
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
/// Progress: stage "Läser FILE" in bytes of the file, then the store's own
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
    import_file_with(store, path, options, None, progress, cancel)
}

/// [`import_file`] writing every rejected row and conflict to `<name>.avvisade.csv`
/// beside the file ([`rejects::beside`]) as it is found, the file created
/// only when there is one; the app's import. Where they went, or why not,
/// is in [`ImportReport::rejects_file`]; a rejects file that cannot be
/// written does not stop the import.
pub fn import_file_rejects_beside(
    store: &mut dyn Store,
    path: &Path,
    options: &ImportOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, ImportError> {
    let mut rejects = RejectsFile::on_first_row(&rejects::beside(path));
    let mut report = import_file_with(store, path, options, Some(&mut rejects), progress, cancel)?;
    let out = rejects.path().to_owned();
    report.rejects_file = match rejects.finish() {
        Ok(0) => None,
        Ok(_) => Some(Ok(out)),
        Err(e) => Some(Err(e.to_string())),
    };
    Ok(report)
}

/// [`import_file`] writing every rejected row and conflict to `rejects` as
/// it is found (the report keeps only the first [`REPORT_ROWS`] of each).
/// When the import fails as a whole, the rows it wrote there are taken back
/// out again ([`RejectsFile::rewind`]).
pub fn import_file_with(
    store: &mut dyn Store,
    path: &Path,
    options: &ImportOptions,
    mut rejects: Option<&mut RejectsFile>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, ImportError> {
    let mark = rejects.as_deref_mut().map(RejectsFile::mark);
    let result = import_file_inner(
        store,
        path,
        options,
        rejects.as_deref_mut(),
        progress,
        cancel,
    );
    if result.is_err()
        && let (Some(r), Some(mark)) = (rejects, mark)
    {
        r.rewind(mark);
    }
    result
}

fn import_file_inner(
    store: &mut dyn Store,
    path: &Path,
    options: &ImportOptions,
    rejects: Option<&mut RejectsFile>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let format = match options.format {
        Some(f) => f,
        None => detect_format(path)?,
    };
    let options = ImportOptions {
        format: Some(format),
        ..options.clone()
    };
    if format == Format::Polisen {
        // Police events are stored by id, updates in place (see `polisen`).
        return polisen::import_with(store, path, &options, rejects, progress, cancel);
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut report = ImportReport::new(path, format);

    // CSV is read on a second thread while this one feeds the store; the
    // other readers run inline.
    let mut session;
    if format == Format::Csv {
        let reader = csv::CsvReader::open(path, &options)?;
        progress.stage(&format!("Läser {file_name}"), file_size(path));
        session = store.begin_import(&file_name).map_err(store_error)?;
        report.notes = push_in_background(
            reader,
            session.as_mut(),
            &mut report,
            rejects,
            &options,
            progress,
            cancel,
        )?;
    } else {
        let mut reader = open_reader(path, &options)?;
        progress.stage(&format!("Läser {file_name}"), file_size(path));
        session = store.begin_import(&file_name).map_err(store_error)?;
        let rows = std::iter::from_fn(|| {
            let item = reader.next()?;
            Some((item, reader.bytes_read()))
        });
        push_rows(
            rows,
            session.as_mut(),
            &mut report,
            rejects,
            &options,
            progress,
            cancel,
        )?;
        report.notes = reader.notes();
    }

    if options.strict
        && let Some(refused) = report.strict_error()
    {
        return Err(refused);
    }
    if report.imported > 0 {
        session.commit(progress, cancel).map_err(store_error)?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Rows handed from the reading thread to the storing one at a time.
const BATCH_ROWS: usize = 2048;

/// Rows read on the reading thread, with the bytes read after the last one.
struct Batch {
    items: Vec<Result<ParsedRow, RowError>>,
    bytes_read: u64,
}

/// Reads `reader` on a scoped thread and pushes its rows here, so parsing
/// and storing overlap on two cores. Returns the reader's notes.
fn push_in_background<R: RowReader + Send>(
    mut reader: R,
    session: &mut dyn ImportSession,
    report: &mut ImportReport,
    rejects: Option<&mut RejectsFile>,
    options: &ImportOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Vec<String>, ImportError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(8);
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || {
            let mut items = Vec::with_capacity(BATCH_ROWS);
            while let Some(item) = reader.next() {
                items.push(item);
                if items.len() == BATCH_ROWS {
                    let batch = Batch {
                        items: std::mem::replace(&mut items, Vec::with_capacity(BATCH_ROWS)),
                        bytes_read: reader.bytes_read(),
                    };
                    if tx.send(batch).is_err() {
                        // The storing side stopped (error or cancel).
                        return reader.notes();
                    }
                }
            }
            let _ = tx.send(Batch {
                items,
                bytes_read: reader.bytes_read(),
            });
            reader.notes()
        });
        let rows = rx.iter().flat_map(|batch| {
            let bytes = batch.bytes_read;
            batch.items.into_iter().map(move |item| (item, bytes))
        });
        let pushed = push_rows(rows, session, report, rejects, options, progress, cancel);
        // Unblocks the reading thread if it waits to send.
        drop(rx);
        let notes = match reading.join() {
            Ok(notes) => notes,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        pushed.map(|()| notes)
    })
}

/// Pushes good rows into the session and collects the outcome in `report`.
/// `rows` yields each row with the bytes read so far, for progress.
fn push_rows(
    rows: impl Iterator<Item = (Result<ParsedRow, RowError>, u64)>,
    session: &mut dyn ImportSession,
    report: &mut ImportReport,
    mut rejects: Option<&mut RejectsFile>,
    options: &ImportOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(), ImportError> {
    let mut reported_bytes = 0u64;
    let mut bytes_read = 0u64;
    for (n, (item, bytes)) in (1u64..).zip(rows) {
        bytes_read = bytes;
        if n.is_multiple_of(CANCEL_CHECK_ROWS) {
            cancel.check()?;
        }
        if bytes >= reported_bytes + PROGRESS_STEP_BYTES {
            progress.advance(bytes - reported_bytes);
            reported_bytes = bytes;
        }
        match item {
            Err(mut e) => {
                e.reason = short_reason(e.reason);
                report.add_rejected(e, rejects.as_deref_mut());
            }
            // Under --strict nothing will be written once a row is bad: keep
            // reading only to count the rejects.
            Ok(_) if options.strict && report.rejected_total > 0 => {}
            Ok(row) => match session.push(&row.incident).map_err(store_error)? {
                PushOutcome::Inserted => report.imported += 1,
                PushOutcome::Duplicate { .. } => report.duplicates += 1,
                PushOutcome::Conflict { fid, reason } => report.add_conflict(
                    Conflict {
                        line: row.line,
                        external_id: row.incident.external_id.unwrap_or_default(),
                        fid,
                        reason,
                    },
                    rejects.as_deref_mut(),
                ),
            },
        }
    }
    cancel.check()?;
    if bytes_read > reported_bytes {
        progress.advance(bytes_read - reported_bytes);
    }
    Ok(())
}

/// Longest row-error reason kept, in characters.
const MAX_REASON_CHARS: usize = 300;

/// A reason cut to [`MAX_REASON_CHARS`] (a 100,000-character value quoted in
/// it makes no clearer message), saying how long it was.
pub(crate) fn short_reason(reason: String) -> String {
    let chars = reason.chars().count();
    if chars <= MAX_REASON_CHARS {
        return reason;
    }
    let cut: String = reason.chars().take(MAX_REASON_CHARS).collect();
    format!("{cut}… (reason cut short; {chars} characters)")
}

/// Store errors, with cancellation kept as cancellation.
fn store_error(e: StoreError) -> ImportError {
    match e {
        StoreError::Cancelled(c) => ImportError::Cancelled(c),
        other => ImportError::Store(other),
    }
}

/// Writes rejected rows as CSV (`file,line,reason,raw`), UTF-8, comma-separated,
/// so that rejects from several files can share one file (a [`RejectsFile`]
/// written at once).
pub fn write_rejects_csv(path: &Path, rejects: &[RowError]) -> Result<(), ImportError> {
    let mut out = RejectsFile::create(path)?;
    for r in rejects {
        out.write_rejected(r);
    }
    out.finish().map(|_| ())
}

/// Helpers shared by the readers' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::{Path, PathBuf};

    use super::{ParsedRow, RowError, RowReader};

    /// A file in `tests/fixtures/json`.
    pub fn json_fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/json")
            .join(name)
    }

    /// Every row of `reader`, good and bad, and its notes at the end.
    pub fn drain<R: RowReader + ?Sized>(
        mut reader: Box<R>,
    ) -> (Vec<ParsedRow>, Vec<RowError>, Vec<String>) {
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        for r in reader.by_ref() {
            match r {
                Ok(row) => rows.push(row),
                Err(e) => errors.push(e),
            }
        }
        let notes = reader.notes();
        (rows, errors, notes)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::jobs::NoProgress;
    use crate::model::IncidentPoint;
    use crate::model::{Filter, Incident};
    use crate::store::{ImportSession, ProjectInfo};

    /// An in-memory store that behaves like the real one for imports:
    /// duplicates and conflicts by source + external id, and nothing kept
    /// without commit.
    #[derive(Default)]
    struct MemStore {
        rows: Vec<Incident>,
        commits: usize,
    }

    struct MemSession<'a> {
        store: &'a mut MemStore,
        pending: Vec<Incident>,
        /// (source, external id) → (fid, time) of stored and pushed rows.
        index: std::collections::HashMap<(Source, String), (i64, chrono::DateTime<chrono::Utc>)>,
    }

    impl ImportSession for MemSession<'_> {
        fn push(&mut self, incident: &Incident) -> Result<PushOutcome, StoreError> {
            let fid = (self.store.rows.len() + self.pending.len()) as i64 + 1;
            if let Some(id) = &incident.external_id {
                let key = (incident.source, id.clone());
                if let Some(&(other, at)) = self.index.get(&key) {
                    return Ok(if at == incident.occurred_at {
                        PushOutcome::Duplicate { fid: other }
                    } else {
                        PushOutcome::Conflict {
                            fid: other,
                            reason: "different time".to_owned(),
                        }
                    });
                }
                self.index.insert(key, (fid, incident.occurred_at));
            }
            self.pending.push(incident.clone());
            Ok(PushOutcome::Inserted)
        }

        fn commit(
            self: Box<Self>,
            _progress: &dyn Progress,
            _cancel: &CancelToken,
        ) -> Result<(), StoreError> {
            self.store.rows.extend(self.pending);
            self.store.commits += 1;
            Ok(())
        }
    }

    impl Store for MemStore {
        fn info(&self) -> Result<ProjectInfo, StoreError> {
            unreachable!("not used by imports")
        }
        fn incidents(&self, _: &Filter, _: &CancelToken) -> Result<Vec<Incident>, StoreError> {
            Ok(self.rows.clone())
        }
        fn incident_points(
            &self,
            _: &Filter,
            _: &CancelToken,
        ) -> Result<Vec<IncidentPoint>, StoreError> {
            unreachable!("not used by imports")
        }
        fn incident(&self, fid: i64) -> Result<Option<Incident>, StoreError> {
            Ok(self.rows.get(fid as usize - 1).cloned())
        }
        fn begin_import<'a>(
            &'a mut self,
            _file_name: &str,
        ) -> Result<Box<dyn ImportSession + 'a>, StoreError> {
            let index = self
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let id = r.external_id.clone()?;
                    Some(((r.source, id), (i as i64 + 1, r.occurred_at)))
                })
                .collect();
            Ok(Box::new(MemSession {
                store: self,
                pending: Vec::new(),
                index,
            }))
        }
        fn metadata(&self, _: &str) -> Result<Option<String>, StoreError> {
            Ok(None)
        }
        fn set_metadata(&mut self, _: &str, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
    }

    #[derive(Default)]
    struct RecordedProgress(Mutex<Vec<(String, u64)>>);

    impl Progress for RecordedProgress {
        fn stage(&self, name: &str, total: u64) {
            self.0.lock().unwrap().push((name.to_owned(), total));
        }
        fn advance(&self, n: u64) {
            self.0.lock().unwrap().push(("+".to_owned(), n));
        }
    }

    const GOOD: &str = "id,lon,lat,time,category\n\
        1,14.58,56.05,2025-03-14 22:40,vald\n\
        2,14.59,56.06,2025-03-15 22:40,brand\n";

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn import(
        store: &mut MemStore,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<ImportReport, ImportError> {
        import_file(store, path, options, &NoProgress, &CancelToken::new())
    }

    #[test]
    fn detects_formats() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(Format::detect(&p("a.CSV"), b"[1]"), Format::Csv);
        assert_eq!(Format::detect(&p("a.txt"), b"x"), Format::Csv);
        assert_eq!(Format::detect(&p("a.tsv"), b"x"), Format::Csv);
        assert_eq!(Format::detect(&p("a.geojson"), b"x"), Format::GeoJson);
        assert_eq!(
            Format::detect(&p("a.json"), b"  \n[{\"id\":1}]"),
            Format::Polisen
        );
        assert_eq!(
            Format::detect(
                &p("a.json"),
                b"\xEF\xBB\xBF{\"type\":\"FeatureCollection\"}"
            ),
            Format::GeoJson
        );
        assert_eq!(
            Format::detect(&p("export"), b"{\"type\":1}"),
            Format::GeoJson
        );
        assert_eq!(Format::detect(&p("export"), b"id;lon"), Format::Csv);
    }

    #[test]
    fn imports_and_reports_duplicates_and_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.csv", GOOD);
        let mut store = MemStore::default();
        let progress = RecordedProgress::default();
        let report = import_file(
            &mut store,
            &path,
            &ImportOptions::default(),
            &progress,
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!((report.imported, report.duplicates), (2, 0));
        assert_eq!(report.format, Format::Csv);
        assert_eq!(store.commits, 1);
        let events = progress.0.lock().unwrap().clone();
        assert_eq!(events[0], ("Läser a.csv".to_owned(), GOOD.len() as u64));
        let advanced: u64 = events.iter().filter(|e| e.0 == "+").map(|e| e.1).sum();
        assert_eq!(advanced, GOOD.len() as u64);

        // Same file again: all duplicates, nothing committed.
        let report = import(&mut store, &path, &ImportOptions::default()).unwrap();
        assert_eq!((report.imported, report.duplicates), (0, 2));
        assert_eq!(store.commits, 1);

        // Same id with another time: a conflict naming the line.
        let changed = write(
            &dir,
            "b.csv",
            "id,lon,lat,time\n2,14.59,56.06,2025-03-16 22:40\n3,14.6,56.1,2025-03-16 22:40\n",
        );
        let report = import(&mut store, &changed, &ImportOptions::default()).unwrap();
        assert_eq!(report.imported, 1);
        assert_eq!(report.conflicts.len(), 1);
        assert_eq!(report.conflicts[0].line, 2);
        assert_eq!(report.conflicts[0].external_id, "2");
        assert_eq!(report.conflicts[0].fid, 2);
        assert_eq!(store.rows.len(), 3);
    }

    #[test]
    fn strict_writes_nothing_and_lax_keeps_good_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "bad.csv",
            &format!("{GOOD}3,14.58,x,2025-03-14 22:40,vald\n4,14.58,y,2025-03-14 22:40,vald\n"),
        );
        let mut store = MemStore::default();
        let strict = ImportOptions {
            strict: true,
            ..ImportOptions::default()
        };
        match import(&mut store, &path, &strict) {
            Err(ImportError::Strict {
                rejected, first, ..
            }) => {
                assert_eq!(rejected, 2);
                assert_eq!(first.line, 4);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!((store.rows.len(), store.commits), (0, 0));

        let report = import(&mut store, &path, &ImportOptions::default()).unwrap();
        assert_eq!(report.imported, 2);
        assert_eq!(report.rejected.len(), 2);
        assert_eq!(store.rows.len(), 2);
    }

    #[test]
    fn all_rows_rejected_is_ok_but_commits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "x.csv", "lon,lat,time\n1,2,2025-03-14 22:40\n");
        let mut store = MemStore::default();
        let report = import(&mut store, &path, &ImportOptions::default()).unwrap();
        assert_eq!((report.imported, report.rejected.len()), (0, 1));
        assert_eq!(store.commits, 0);
    }

    #[test]
    fn cancelled_import_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.csv", GOOD);
        let mut store = MemStore::default();
        let cancel = CancelToken::new();
        cancel.cancel();
        let r = import_file(
            &mut store,
            &path,
            &ImportOptions::default(),
            &NoProgress,
            &cancel,
        );
        assert!(matches!(r, Err(ImportError::Cancelled(_))), "{r:?}");
        assert_eq!((store.rows.len(), store.commits), (0, 0));
    }

    fn big_file(dir: &tempfile::TempDir, rows: usize) -> PathBuf {
        let mut text = String::from("id,lon,lat,time\n");
        for i in 0..rows {
            text.push_str(&format!("{i},14.58,56.05,2025-03-14 22:40\n"));
        }
        write(dir, "big.csv", &text)
    }

    #[test]
    fn many_batches_import_with_full_progress() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(&dir, 25_000);
        let mut store = MemStore::default();
        let progress = RecordedProgress::default();
        let report = import_file(
            &mut store,
            &path,
            &ImportOptions::default(),
            &progress,
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!(report.imported, 25_000);
        let advanced: u64 = progress
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.0 == "+")
            .map(|e| e.1)
            .sum();
        assert_eq!(advanced, std::fs::metadata(&path).unwrap().len());
    }

    #[test]
    fn cancel_while_reading_stops_both_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(&dir, 25_000);
        let mut store = MemStore::default();
        let cancel = CancelToken::new();
        cancel.cancel();
        let r = import_file(
            &mut store,
            &path,
            &ImportOptions::default(),
            &NoProgress,
            &cancel,
        );
        assert!(matches!(r, Err(ImportError::Cancelled(_))), "{r:?}");
        // Stopped at the first check, after 10,000 rows, not at the end.
        assert!(store.rows.is_empty());
        assert_eq!(store.commits, 0);
    }

    #[test]
    fn file_errors_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = MemStore::default();
        let path = write(&dir, "empty.csv", "");
        let e = import(&mut store, &path, &ImportOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: empty file (0 bytes)", path.display())
        );
        assert_eq!(store.commits, 0);
        let missing = dir.path().join("nope.csv");
        assert!(matches!(
            import(&mut store, &missing, &ImportOptions::default()),
            Err(ImportError::Io { .. })
        ));
    }

    /// Rows of a rejects file, header left out.
    fn rejects_rows(path: &Path) -> Vec<Vec<String>> {
        ::csv::Reader::from_path(path)
            .unwrap()
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    /// `bad` rows that are all rejected, then one good row at `time`.
    fn bad_then_good(bad: usize, time: &str) -> String {
        let mut text = String::from("id,lon,lat,time\n");
        for i in 0..bad {
            text.push_str(&format!("b{i},14.58,x{i},2025-03-14 22:40\n"));
        }
        text.push_str(&format!("g1,14.58,56.05,{time}\n"));
        text
    }

    #[test]
    fn the_rejects_file_holds_every_row_and_the_report_only_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let bad = 3 * REPORT_ROWS + 7;
        let path = write(&dir, "bad.csv", &bad_then_good(bad, "2025-03-14 22:40"));
        // The same ids again, the good row with another time: a conflict.
        let conflicting = write(&dir, "later.csv", &bad_then_good(bad, "2025-03-15 22:40"));
        let out = dir.path().join("rejects.csv");
        let mut store = MemStore::default();
        let mut rejects = RejectsFile::create(&out).unwrap();
        let strict = ImportOptions {
            strict: true,
            ..ImportOptions::default()
        };
        let mut run = |path: &Path, options: &ImportOptions| {
            import_file_with(
                &mut store,
                path,
                options,
                Some(&mut rejects),
                &NoProgress,
                &CancelToken::new(),
            )
        };
        let report = run(&path, &ImportOptions::default()).unwrap();
        assert_eq!(report.imported, 1);
        assert_eq!(report.rejected_total, bad as u64);
        assert_eq!(report.rejected.len(), REPORT_ROWS);
        assert_eq!(
            report.rejected[REPORT_ROWS - 1].line,
            REPORT_ROWS as u64 + 1
        );
        let report = run(&conflicting, &ImportOptions::default()).unwrap();
        assert_eq!((report.conflicts_total, report.conflicts.len()), (1, 1));
        // --strict fails the file as a whole: its rows are taken back out.
        match run(&path, &strict) {
            Err(ImportError::Strict { rejected, .. }) => assert_eq!(rejected, bad),
            other => panic!("{other:?}"),
        }
        assert_eq!(rejects.finish().unwrap(), 2 * bad as u64 + 1);

        let rows = rejects_rows(&out);
        assert_eq!(rows.len(), 2 * bad + 1);
        for (i, row) in rows[..bad].iter().enumerate() {
            assert_eq!(row[0], "bad.csv");
            assert_eq!(row[1], (i + 2).to_string(), "every row, in file order");
            assert!(row[2].contains(&format!("\"x{i}\"")), "{row:?}");
            assert_eq!(row[3], format!("b{i},14.58,x{i},2025-03-14 22:40"));
        }
        assert!(rows[bad..2 * bad].iter().all(|r| r[0] == "later.csv"));
        let conflict = &rows[2 * bad];
        assert_eq!(conflict[0], "later.csv");
        assert_eq!(conflict[1], (bad + 2).to_string());
        assert!(
            conflict[2].starts_with("conflict: id \"g1\""),
            "{conflict:?}"
        );
    }

    #[test]
    fn rejects_beside_the_file_only_when_there_are_some() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = MemStore::default();
        let good = write(&dir, "good.csv", GOOD);
        let report = import_file_rejects_beside(
            &mut store,
            &good,
            &ImportOptions::default(),
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        assert!(report.rejects_file.is_none());
        assert!(!dir.path().join("good.avvisade.csv").exists());

        let mixed = write(
            &dir,
            "mixed.csv",
            "id,lon,lat,time\n9,14.58,y,2025-03-14 22:40\n",
        );
        let report = import_file_rejects_beside(
            &mut store,
            &mixed,
            &ImportOptions::default(),
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        let saved = dir.path().join("mixed.avvisade.csv");
        assert_eq!(report.rejects_file, Some(Ok(saved.clone())));
        assert_eq!(rejects_rows(&saved).len(), 1);
    }

    #[test]
    fn rejects_csv_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rejects.csv");
        let rejects = vec![
            RowError {
                path: PathBuf::from("in.csv"),
                line: 7,
                reason: "column \"lat\": \"x\" is not a number".to_owned(),
                raw: Some("3;14,58;x;\"a \"\"quoted\"\" text\"".to_owned()),
            },
            RowError {
                path: PathBuf::from("in.csv"),
                line: 9,
                reason: "cannot read further".to_owned(),
                raw: None,
            },
        ];
        write_rejects_csv(&out, &rejects).unwrap();
        let mut r = ::csv::Reader::from_path(&out).unwrap();
        assert_eq!(r.headers().unwrap(), vec!["file", "line", "reason", "raw"]);
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            rows[0],
            vec![
                "in.csv",
                "7",
                &rejects[0].reason,
                rejects[0].raw.as_deref().unwrap()
            ]
        );
        assert_eq!(rows[1], vec!["in.csv", "9", "cannot read further", ""]);
    }
}
