//! The GeoPackage project file. See the module docs of [`crate::store`].
//!
//! A project is one OGC GeoPackage 1.3 file (SQLite) that QGIS and GDAL open
//! as it is: the point layer
//! `incidents` in WGS 84 with an R-tree spatial index, plus the app's own
//! plain tables `lagesbild_meta`, `lagesbild_imports` and `lagesbild_edits`.
//!
//! | file | what it holds |
//! |------|---------------|
//! | `schema.rs` | GeoPackage core tables, reusable feature-layer registration, migrations |
//! | `blob.rs` | GeoPackage geometry blobs (every type; fast points) |
//! | `layers.rs` | feature tables: map layers, GeoPackage input, exports |
//! | `rtree.rs` | bulk loading of the R-tree spatial index |
//! | `session.rs` | the import session: duplicate rules, fast commit |
//! | `edit.rs` | adding, updating and deleting single incidents, the edit log |
//! | `plan.rs` | the patrol plan: `patrol_areas`, `patrol_routes`, `route_stops` |
//! | `police.rs` | police events by id: updates in place, their history, summaries |
//!
//! # Several writers, and being killed
//! Projects are kept in SQLite's write-ahead-log mode (WAL): readers never
//! wait for a writer, a writer never waits for readers, and a commit is one
//! append to `<project>.gpkg-wal` that survives a kill or a power cut (a
//! transaction that had not committed is simply not there on the next open).
//! While a project is open the two side files `-wal` and `-shm` sit beside
//! it; the last connection to close folds the log back in and removes them.
//! Two writers (two app windows, the app and the command line) take turns:
//! each write waits up to [`BUSY_TIMEOUT`] for the other's transaction and
//! then gives up with [`StoreError::Locked`], having changed nothing. WAL
//! needs the processes on one computer: a project on a network drive must not
//! be opened from two computers at once (SQLite's shared memory cannot cross
//! machines).

pub mod blob;
/// Per-kind change stamps for the live refresh.
mod changes;
pub(crate) mod edit;
/// The export log: the `lagesbild_export_log` table.
mod export_log;
pub mod layers;
/// Measures (insatser) as the feature table `measures`.
pub mod measures;
/// The patrol plan's feature tables (areas, routes, stops).
pub mod plan;
/// The compact point cache the analyses read.
pub mod points;
mod police;
/// Police history brought in by copies.
mod police_history;
/// Retention: deleting old incidents and tracks, the `lagesbild_retention_log` table.
mod retention;
pub mod rtree;
pub mod schema;
pub(crate) mod session;
/// The hosts' tracks (feature table `tracks`) and check-ins.
pub mod tracks;
/// Saved views (presentations): the `lagesbild_views` table.
mod views;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{ImportSession, IncidentPoint, ProjectInfo, Store, StoreError};
use crate::jobs::CancelToken;
use crate::model::{Category, Filter, Incident, LonLat, Precision, Source, time};

/// The app's own schema version written by this build.
pub const SCHEMA_VERSION: i64 = 2;

const _: () = assert!(SCHEMA_VERSION == schema::LATEST_VERSION);

/// Page size of new project files, in bytes.
const PAGE_SIZE: i64 = 16_384;

/// How long a write waits for another program's transaction to end before it
/// gives up with [`StoreError::Locked`].
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The write-ahead log is cut back to this size (bytes) after a checkpoint,
/// so a million-row import does not leave a log of its size beside the file.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// How often long reads check the cancel token, in rows.
const CANCEL_EVERY_ROWS: usize = 4096;

/// Attaches the file path to SQLite errors.
pub(crate) trait SqlContext<T> {
    fn at(self, path: &Path) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn at(self, path: &Path) -> Result<T, StoreError> {
        self.map_err(|source| sql_err(path, source))
    }
}

/// A SQLite error as the backend-neutral [`StoreError::Backend`], or as
/// [`StoreError::Locked`] when another connection held the write lock past
/// [`BUSY_TIMEOUT`].
pub(crate) fn sql_err(path: &Path, source: rusqlite::Error) -> StoreError {
    if is_busy(&source) {
        return locked(path);
    }
    StoreError::Backend {
        location: path.display().to_string(),
        source: Box::new(source),
    }
}

/// True for SQLite's "database is locked" (another connection's lock).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The project at `path` is being written by another connection.
pub(crate) fn locked(path: &Path) -> StoreError {
    StoreError::Locked {
        location: path.display().to_string(),
        detail: format!(
            "it held the write lock for more than {} s",
            BUSY_TIMEOUT.as_secs()
        ),
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses a stored DATETIME. The form this app writes
/// (`2025-03-14T21:40:00.000Z`) takes a fast path; other valid forms (e.g.
/// without milliseconds, as other programs may write) go through
/// [`time::parse_gpkg_datetime`].
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
    {
        let date = NaiveDate::from_ymd_opt(
            digits(&b[0..4])? as i32,
            digits(&b[5..7])?,
            digits(&b[8..10])?,
        )?;
        let t = date.and_hms_milli_opt(
            digits(&b[11..13])?,
            digits(&b[14..16])?,
            digits(&b[17..19])?,
            digits(&b[20..23])?,
        )?;
        return Some(t.and_utc());
    }
    time::parse_gpkg_datetime(text)
}

/// Formats an instant exactly as [`time::gpkg_datetime`] does
/// (`2025-03-14T21:40:00.000Z`), without chrono's format machinery (a
/// million rows an import).
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return time::gpkg_datetime(t);
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    // A leap second shows as 60.
    let millis = t.timestamp_subsec_millis();
    put(20, 3, millis.min(999));
    if millis > 999 {
        return time::gpkg_datetime(t);
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// An open project file.
pub struct Project {
    path: PathBuf,
    conn: Connection,
}

fn not_a_project(path: &Path, reason: &str) -> StoreError {
    StoreError::NotAProject {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_only(path: &Path) -> StoreError {
    io_err(
        path,
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the project file is read-only; Lägesbild needs to write to it",
        ),
    )
}

/// Turns SQLite's "this is no database" into a clear NotAProject.
fn open_err(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => not_a_project(
            path,
            "not a Lägesbild project: not an SQLite/GeoPackage file",
        ),
        Some(rusqlite::ErrorCode::ReadOnly) => read_only(path),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!(
                "the file is truncated or damaged ({e}); open a backup copy of the project"
            ),
        },
        _ => sql_err(path, e),
    }
}

/// Sets the busy timeout and WAL mode (see the module docs). Where WAL is
/// impossible (a file system without shared memory) SQLite keeps the old
/// rollback journal, which is just as safe, only without concurrent readers.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    register_gpkg_functions(conn)
}

/// Registers the SQL functions the GeoPackage R-tree triggers call
/// (`ST_IsEmpty`, `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY`), as GDAL does;
/// without them every insert or update on a feature table fails with "no
/// such function". A NULL or unreadable blob gives NULL (the triggers then
/// leave the index alone).
pub fn register_gpkg_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let env = |ctx: &rusqlite::functions::Context<'_>| -> Option<Option<[f64; 4]>> {
        let bytes = ctx.get_raw(0).as_blob().ok()?;
        blob::envelope(bytes).ok()
    };
    conn.create_scalar_function("ST_IsEmpty", 1, flags, move |ctx| {
        Ok(env(ctx).map(|e| i64::from(e.is_none())))
    })?;
    for (name, i) in [
        ("ST_MinX", 0),
        ("ST_MaxX", 1),
        ("ST_MinY", 2),
        ("ST_MaxY", 3),
    ] {
        conn.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(env(ctx).flatten().map(|e| e[i]))
        })?;
    }
    Ok(())
}

fn meta_value(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM lagesbild_meta WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()
}

fn set_meta_value(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO lagesbild_meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Builds a complete new project in the (new, empty) file at `tmp`.
fn build_new(tmp: &Path, name: &str) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(
        tmp,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .at(tmp)?;
    // Bigger pages than SQLite's default 4096 make a million-row import
    // about a quarter cheaper (fewer page splits and writes); must come first.
    conn.pragma_update(None, "page_size", PAGE_SIZE).at(tmp)?;
    configure(&conn).at(tmp)?;
    schema::set_gpkg_identity(&conn).at(tmp)?;
    conn.execute_batch("BEGIN").at(tmp)?;
    schema::migrate(&conn, 0).at(tmp)?;
    for (key, value) in [
        ("name", name.to_owned()),
        ("created_at", time::gpkg_datetime(Utc::now())),
        ("app_version", crate::APP_NAME_VERSION.to_owned()),
    ] {
        set_meta_value(&conn, key, &value).at(tmp)?;
    }
    conn.execute_batch("COMMIT").at(tmp)?;
    conn.close().map_err(|(_, e)| e).at(tmp)?;
    Ok(())
}

/// Moves the finished `tmp` to `path` unless `path` exists by now (also
/// for `store::copy`'s pulls).
pub(crate) fn move_into_place(tmp: &Path, path: &Path) -> Result<(), StoreError> {
    // A hard link never replaces an existing file; where links are not
    // supported (some network or FAT drives) fall back to a checked rename.
    match fs::hard_link(tmp, path) {
        Ok(()) => fs::remove_file(tmp).map_err(|e| io_err(tmp, e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::AlreadyExists {
            path: path.to_owned(),
        }),
        Err(_) => {
            if fs::symlink_metadata(path).is_ok() {
                return Err(StoreError::AlreadyExists {
                    path: path.to_owned(),
                });
            }
            fs::rename(tmp, path).map_err(|e| io_err(path, e))
        }
    }
}

impl Project {
    /// Creates a new, empty, valid project at `path` (written under a temporary
    /// name and renamed into place, so no half-made file is ever left).
    /// Fails if `path` exists.
    pub fn create(path: &Path, name: &str) -> Result<Project, StoreError> {
        if fs::symlink_metadata(path).is_ok() {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let Some(file_name) = path.file_name() else {
            return Err(not_a_project(path, "not a file path"));
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        // A leftover from an earlier, interrupted create by this process id.
        let _ = fs::remove_file(&tmp);
        let built = build_new(&tmp, name).and_then(|()| move_into_place(&tmp, path));
        if let Err(e) = built {
            let _ = fs::remove_file(&tmp);
            for side in ["-journal", "-wal", "-shm"] {
                let _ = fs::remove_file(tmp.with_file_name(format!(
                    "{}{side}",
                    tmp.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()
                )));
            }
            return Err(e);
        }
        Project::open(path)
    }

    /// Opens an existing project, running schema migrations if it is older.
    pub fn open(path: &Path) -> Result<Project, StoreError> {
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(not_a_project(path, "no such file"));
            }
            Err(e) => return Err(io_err(path, e)),
        };
        if meta.is_dir() {
            return Err(not_a_project(path, "is a folder, not a project file"));
        }
        if meta.len() == 0 {
            return Err(not_a_project(
                path,
                "not a Lägesbild project: the file is empty (0 bytes)",
            ));
        }
        let mut head = [0u8; 16];
        let mut file = fs::File::open(path).map_err(|e| io_err(path, e))?;
        if file.read_exact(&mut head).is_err() || &head != b"SQLite format 3\0" {
            return Err(not_a_project(
                path,
                "not a Lägesbild project: not an SQLite/GeoPackage file",
            ));
        }
        drop(file);
        if meta.permissions().readonly() {
            return Err(read_only(path));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_err(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_err(path, e))?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(read_only(path));
        }
        let has_meta: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' \
                 AND name = 'lagesbild_meta')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| open_err(path, e))?;
        if !has_meta {
            return Err(not_a_project(path, &schema::not_a_project_reason(&conn)));
        }
        configure(&conn).map_err(|e| open_err(path, e))?;
        let version_text = meta_value(&conn, "schema_version").map_err(|e| open_err(path, e))?;
        let Some(found) = version_text
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok())
        else {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                reason: format!("schema_version {version_text:?} is not a number"),
            });
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            schema::backup_before_upgrade(&conn, path, found)?;
            conn.execute_batch("BEGIN IMMEDIATE").at(path)?;
            let migrated = schema::migrate(&conn, found)
                .and_then(|()| conn.execute_batch("COMMIT"))
                .at(path);
            if let Err(e) = migrated {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(Project {
            path: path.to_owned(),
            conn,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for other layers of this store (patrol areas, routes, …)
    /// that add tables with [`schema::create_feature_layer`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn corrupt(&self, fid: i64, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            reason: format!("incidents fid {fid}: {reason}"),
        }
    }

    /// Runs `sql` (which selects from `incidents` and may end with the date
    /// bounds as `?1`/`?2`) over the rows of the filter's date range, and calls
    /// `row` for each. The date range goes to SQL (the `occurred_at` index);
    /// the rest of the filter is for `row` to apply.
    fn scan(
        &self,
        columns: &str,
        filter: &Filter,
        cancel: &CancelToken,
        row: impl FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.scan_in(columns, filter, None, cancel, row)
    }

    /// [`Project::scan`] over only the rows whose R-tree box meets `bbox`
    /// (when given): a superset of the points inside, for `row` to check.
    fn scan_in(
        &self,
        columns: &str,
        filter: &Filter,
        bbox: Option<geo::Rect<f64>>,
        cancel: &CancelToken,
        mut row: impl FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use rusqlite::types::Value;
        let (start, end) = filter.utc_bounds();
        let mut sql = format!("SELECT {columns} FROM incidents");
        let mut args: Vec<Value> = Vec::new();
        let and =
            |sql: &mut String, n: usize| sql.push_str(if n == 0 { " WHERE " } else { " AND " });
        for (bound, op) in [(start, ">="), (end, "<")] {
            if let Some(t) = bound {
                and(&mut sql, args.len());
                args.push(Value::Text(time::gpkg_datetime(t)));
                sql.push_str(&format!("occurred_at {op} ?{}", args.len()));
            }
        }
        if let Some(b) = bbox {
            and(&mut sql, args.len());
            let n = args.len();
            sql.push_str(&format!(
                "fid IN (SELECT id FROM {} WHERE maxx >= ?{} AND minx <= ?{} \
                 AND maxy >= ?{} AND miny <= ?{})",
                schema::rtree_name("incidents", "geom"),
                n + 1,
                n + 2,
                n + 3,
                n + 4
            ));
            let (lo, hi) = (b.min(), b.max());
            args.extend([lo.x, hi.x, lo.y, hi.y].map(Value::Real));
        }
        let mut stmt = self.conn.prepare(&sql).at(&self.path)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args.iter()))
            .at(&self.path)?;
        let mut n = 0usize;
        while let Some(r) = rows.next().at(&self.path)? {
            row(r)?;
            n += 1;
            if n.is_multiple_of(CANCEL_EVERY_ROWS) {
                cancel.check()?;
            }
        }
        cancel.check()?;
        Ok(())
    }

    /// Lean incidents passing the filter (and lying in `bbox`, when given).
    fn points_in(
        &self,
        filter: &Filter,
        bbox: Option<geo::Rect<f64>>,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        let mut out = Vec::new();
        let path = self.path.as_path();
        self.scan_in(
            "fid, occurred_at, category, source, geom, precision_m",
            filter,
            bbox,
            cancel,
            |r| {
                let fid: i64 = r.get(0).at(path)?;
                let occurred_at = self.time_of(fid, r.get_ref(1).at(path)?)?;
                let category = category_of(r.get_ref(2).at(path)?);
                let source = source_of(r.get_ref(3).at(path)?);
                if filter.matches_parts(occurred_at, category, source) {
                    let position = self.position_of(fid, r.get_ref(4).at(path)?)?;
                    if bbox.is_none_or(|b| super::in_rect(b, position)) {
                        out.push(IncidentPoint {
                            fid,
                            occurred_at,
                            category,
                            source,
                            position,
                            precision_m: r.get(5).at(path)?,
                        });
                    }
                }
                Ok(())
            },
        )?;
        sort_by_time(&mut out, |p| (p.occurred_at, p.fid));
        Ok(out)
    }

    fn time_of(
        &self,
        fid: i64,
        raw: rusqlite::types::ValueRef<'_>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let text = raw
            .as_str()
            .map_err(|_| self.corrupt(fid, "occurred_at is not text"))?;
        parse_time(text)
            .ok_or_else(|| self.corrupt(fid, format!("occurred_at {text:?} is not a DATETIME")))
    }

    fn position_of(
        &self,
        fid: i64,
        raw: rusqlite::types::ValueRef<'_>,
    ) -> Result<LonLat, StoreError> {
        let bytes = raw
            .as_blob()
            .map_err(|_| self.corrupt(fid, "geometry is not a blob"))?;
        let (lon, lat) = blob::parse_point(bytes).map_err(|e| self.corrupt(fid, e))?;
        Ok(LonLat::new(lon, lat))
    }
}

/// A stored key; unknown keys (written by a newer app) read as Övrigt.
fn category_of(raw: rusqlite::types::ValueRef<'_>) -> Category {
    raw.as_str()
        .ok()
        .and_then(Category::from_key)
        .unwrap_or(Category::Ovrigt)
}

fn source_of(raw: rusqlite::types::ValueRef<'_>) -> Source {
    raw.as_str()
        .ok()
        .and_then(Source::from_key)
        .unwrap_or(Source::Ovrigt)
}

/// Oldest first, ties by fid; skips the sort when the rows came in order.
fn sort_by_time<T>(items: &mut [T], key: impl Fn(&T) -> (DateTime<Utc>, i64)) {
    if !items.is_sorted_by(|a, b| key(a) <= key(b)) {
        items.sort_by_key(key);
    }
}

const INCIDENT_COLUMNS: &str = "fid, occurred_at, category, source, geom, precision_m, uid, \
     category_text, source_text, place, description, import_file, external_id";

impl Project {
    fn incident_from_row(&self, r: &rusqlite::Row<'_>) -> Result<Incident, StoreError> {
        let path = self.path.as_path();
        let fid: i64 = r.get(0).at(path)?;
        Ok(Incident {
            fid: Some(fid),
            occurred_at: self.time_of(fid, r.get_ref(1).at(path)?)?,
            category: category_of(r.get_ref(2).at(path)?),
            source: source_of(r.get_ref(3).at(path)?),
            position: self.position_of(fid, r.get_ref(4).at(path)?)?,
            precision_m: r.get(5).at(path)?,
            uid: r.get(6).at(path)?,
            category_text: r.get(7).at(path)?,
            source_text: r.get(8).at(path)?,
            place: r.get(9).at(path)?,
            description: r.get(10).at(path)?,
            import_file: r.get(11).at(path)?,
            external_id: r.get(12).at(path)?,
        })
    }
}

impl Store for Project {
    fn info(&self) -> Result<ProjectInfo, StoreError> {
        let path = self.path.as_path();
        let mut by_category: Vec<(Category, u64)> = Category::ALL.iter().map(|&c| (c, 0)).collect();
        let mut by_source: Vec<(Source, u64)> = Source::ALL.iter().map(|&s| (s, 0)).collect();
        let mut incident_count = 0u64;
        let mut coarse_count = 0u64;
        // One plain scan, counted here: cheaper than SQL's GROUP BY, which
        // sorts a million rows.
        self.scan(
            "category, source, precision_m",
            &Filter::default(),
            &CancelToken::new(),
            |r| {
                let category = category_of(r.get_ref(0).at(path)?);
                let source = source_of(r.get_ref(1).at(path)?);
                let precision_m: f64 = r.get(2).at(path)?;
                incident_count += 1;
                if precision_m > Precision::COARSE_ABOVE_M {
                    coarse_count += 1;
                }
                if let Some(e) = by_category.iter_mut().find(|(c, _)| *c == category) {
                    e.1 += 1;
                }
                if let Some(e) = by_source.iter_mut().find(|(s, _)| *s == source) {
                    e.1 += 1;
                }
                Ok(())
            },
        )?;
        let (first, last): (Option<String>, Option<String>) = self
            .conn
            .query_row(
                "SELECT min(occurred_at), max(occurred_at) FROM incidents",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .at(path)?;
        let time_range = match (first, last) {
            (Some(a), Some(b)) => {
                let bad = |t: &str| StoreError::Corrupt {
                    path: path.to_owned(),
                    reason: format!("incidents: occurred_at {t:?} is not a DATETIME"),
                };
                Some((
                    parse_time(&a).ok_or_else(|| bad(&a))?,
                    parse_time(&b).ok_or_else(|| bad(&b))?,
                ))
            }
            _ => None,
        };
        let extent = if incident_count == 0 {
            None
        } else {
            let stored: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) = self
                .conn
                .query_row(
                    "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents \
                     WHERE table_name = 'incidents'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .at(path)?
                .unwrap_or((None, None, None, None));
            match stored {
                (Some(a), Some(b), Some(c), Some(d)) => {
                    Some((LonLat::new(a, b), LonLat::new(c, d)))
                }
                // Written by another program without an extent: compute it.
                _ => {
                    let mut ext: Option<(LonLat, LonLat)> = None;
                    self.scan("fid, geom", &Filter::default(), &CancelToken::new(), |r| {
                        let fid: i64 = r.get(0).at(path)?;
                        let p = self.position_of(fid, r.get_ref(1).at(path)?)?;
                        ext = Some(match ext {
                            None => (p, p),
                            Some((lo, hi)) => (
                                LonLat::new(lo.lon.min(p.lon), lo.lat.min(p.lat)),
                                LonLat::new(hi.lon.max(p.lon), hi.lat.max(p.lat)),
                            ),
                        });
                        Ok(())
                    })?;
                    ext
                }
            }
        };
        let name = match meta_value(&self.conn, "name").at(path)? {
            Some(n) => n,
            None => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let synthetic = meta_value(&self.conn, "synthetic")
            .at(path)?
            .is_some_and(|v| v.trim() == "true");
        let schema_version = meta_value(&self.conn, "schema_version")
            .at(path)?
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(SCHEMA_VERSION);
        Ok(ProjectInfo {
            location: path.display().to_string(),
            name,
            synthetic,
            schema_version,
            incident_count,
            coarse_count,
            time_range,
            extent,
            by_category,
            by_source,
        })
    }

    fn incidents(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::new();
        self.scan(INCIDENT_COLUMNS, filter, cancel, |r| {
            let path = self.path.as_path();
            let fid: i64 = r.get(0).at(path)?;
            let at = self.time_of(fid, r.get_ref(1).at(path)?)?;
            let category = category_of(r.get_ref(2).at(path)?);
            let source = source_of(r.get_ref(3).at(path)?);
            if filter.matches_parts(at, category, source) {
                out.push(self.incident_from_row(r)?);
            }
            Ok(())
        })?;
        sort_by_time(&mut out, |i| (i.occurred_at, i.fid.unwrap_or(0)));
        Ok(out)
    }

    fn incident_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        self.points_in(filter, None, cancel)
    }

    fn incident_points_in(
        &self,
        bbox: geo::Rect<f64>,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        self.points_in(filter, Some(bbox), cancel)
    }

    fn analysis_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<crate::store::SwerefPoint>, StoreError> {
        points::analysis_points(self, filter, cancel)
    }

    fn incident(&self, fid: i64) -> Result<Option<Incident>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE fid = ?1"
            ))
            .at(&self.path)?;
        let mut rows = stmt.query([fid]).at(&self.path)?;
        match rows.next().at(&self.path)? {
            Some(r) => Ok(Some(self.incident_from_row(r)?)),
            None => Ok(None),
        }
    }

    fn begin_import<'a>(
        &'a mut self,
        file_name: &str,
    ) -> Result<Box<dyn ImportSession + 'a>, StoreError> {
        let session = session::Session::begin(&mut self.conn, &self.path, file_name)?;
        Ok(Box::new(session))
    }

    fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
        meta_value(&self.conn, key).at(&self.path)
    }

    fn set_metadata(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        set_meta_value(&self.conn, key, value).at(&self.path)
    }

    fn add_incident(&mut self, incident: &Incident) -> Result<i64, StoreError> {
        self.add_one(incident)
    }

    fn upsert_police_events(
        &mut self,
        file_name: &str,
        events: &[Incident],
        summaries: &[super::police::PoliceSummary],
        cancel: &CancelToken,
    ) -> Result<super::police::PoliceUpsert, StoreError> {
        self.upsert_police(file_name, events, summaries, cancel)
    }

    fn police_summaries(&self) -> Result<Vec<super::police::PoliceSummary>, StoreError> {
        self.stored_police_summaries()
    }

    fn police_history(
        &self,
        external_id: &str,
    ) -> Result<Vec<super::police::PoliceVersion>, StoreError> {
        self.stored_police_history(external_id)
    }

    fn add_police_history(
        &mut self,
        versions: &[super::police::PoliceVersion],
    ) -> Result<usize, StoreError> {
        self.add_history_versions(versions)
    }

    fn update_incident(&mut self, fid: i64, incident: &Incident) -> Result<Incident, StoreError> {
        self.update_one(fid, incident)
    }

    fn delete_incident(&mut self, fid: i64) -> Result<Incident, StoreError> {
        self.delete_one(fid)
    }

    // --- layers ---
    fn layers(&self) -> Result<Vec<super::layers::LayerInfo>, StoreError> {
        self.layer_list()
    }

    fn layer_features(
        &self,
        name: &str,
    ) -> Result<Option<crate::model::shape::FeatureSet>, StoreError> {
        self.layer_features_of(name)
    }

    fn add_layers(
        &mut self,
        sets: &[crate::model::shape::FeatureSet],
        source: &str,
    ) -> Result<(), StoreError> {
        self.add_layer_sets(sets, source)
    }

    fn remove_layer(&mut self, name: &str) -> Result<bool, StoreError> {
        self.remove_layer_named(name)
    }

    fn set_layer_style(
        &mut self,
        name: &str,
        style: &super::layers::LayerStyle,
    ) -> Result<bool, StoreError> {
        self.set_style_of(name, style)
    }

    fn views(&self) -> Result<Vec<crate::model::view::SavedView>, StoreError> {
        self.read_views()
    }

    fn put_views(&mut self, views: &[crate::model::view::SavedView]) -> Result<(), StoreError> {
        self.write_views(views)
    }

    fn remove_view(&mut self, title: &str) -> Result<bool, StoreError> {
        self.delete_view(title)
    }

    fn replace_views(&mut self, views: &[crate::model::view::SavedView]) -> Result<(), StoreError> {
        self.write_all_views(views)
    }

    // --- measures ---
    fn measures(&self) -> Result<Vec<crate::model::measure::Measure>, StoreError> {
        self.measure_list()
    }

    fn measure(&self, name: &str) -> Result<Option<crate::model::measure::Measure>, StoreError> {
        self.measure_named(name)
    }

    fn add_measure(&mut self, measure: &crate::model::measure::Measure) -> Result<i64, StoreError> {
        self.put_measure(None, measure)
    }

    fn update_measure(
        &mut self,
        fid: i64,
        measure: &crate::model::measure::Measure,
    ) -> Result<(), StoreError> {
        self.put_measure(Some(fid), measure).map(|_| ())
    }

    fn remove_measure(&mut self, name: &str) -> Result<bool, StoreError> {
        self.remove_measure_named(name)
    }

    // --- tracks ---
    fn add_tracks(
        &mut self,
        tracks: &[crate::model::track::Track],
    ) -> Result<(usize, usize), StoreError> {
        self.store_tracks(tracks)
    }

    fn tracks(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<crate::model::track::Track>, StoreError> {
        self.load_tracks(from, to)
    }

    fn track_summaries(&self) -> Result<Vec<super::TrackSummary>, StoreError> {
        self.track_list()
    }

    fn add_checkins(
        &mut self,
        checkins: &[crate::model::track::CheckIn],
    ) -> Result<(usize, usize), StoreError> {
        self.store_checkins(checkins)
    }

    fn checkins(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<crate::model::track::CheckIn>, StoreError> {
        self.load_checkins(from, to)
    }

    fn prune_tracks(&mut self, before: DateTime<Utc>) -> Result<(usize, usize), StoreError> {
        self.prune_before(before)
    }

    // --- export log (store/gpkg/export_log.rs) ---

    fn log_export(&mut self, record: &super::export_log::ExportRecord) -> Result<(), StoreError> {
        self.append_export_record(record)
    }

    fn export_log(&self) -> Result<Vec<super::export_log::ExportRecord>, StoreError> {
        self.read_export_log()
    }

    // --- retention (store/gpkg/retention.rs) ---

    fn apply_retention(
        &mut self,
        incidents_before: Option<DateTime<Utc>>,
        tracks_before: Option<DateTime<Utc>>,
    ) -> Result<super::retention::RetentionRun, StoreError> {
        self.run_retention(incidents_before, tracks_before)
    }

    fn retention_log(&self) -> Result<Vec<super::retention::RetentionRun>, StoreError> {
        self.read_retention_log()
    }

    // --- patrol plan (store/gpkg/plan.rs) ---

    fn patrol_plan(&self) -> Result<crate::model::plan::PatrolPlan, StoreError> {
        self.read_patrol_plan()
    }

    fn save_patrol_area(
        &mut self,
        area: &crate::model::plan::PatrolArea,
    ) -> Result<i64, StoreError> {
        self.save_area(area)
    }

    fn save_patrol_route(
        &mut self,
        route: &crate::model::plan::PatrolRoute,
    ) -> Result<i64, StoreError> {
        self.save_route(route)
    }

    fn delete_plan_item(&mut self, item: crate::model::plan::PlanRef) -> Result<bool, StoreError> {
        self.delete_item(item)
    }

    fn add_patrol_plan(
        &mut self,
        plan: &crate::model::plan::PatrolPlan,
    ) -> Result<Vec<crate::model::plan::PlanRef>, StoreError> {
        self.add_plan(plan)
    }

    fn week_fixed(&self) -> Result<Vec<crate::store::WeekFixedCell>, StoreError> {
        self.read_week_fixed()
    }

    fn save_week_fixed(&mut self, cells: &[crate::store::WeekFixedCell]) -> Result<(), StoreError> {
        self.write_week_fixed(cells)
    }

    fn merge_patrol_plan(
        &mut self,
        plan: &crate::model::plan::PatrolPlan,
    ) -> Result<crate::store::PlanMerge, StoreError> {
        self.merge_plan(plan)
    }

    // --- change notification ---

    /// SQLite's `data_version` (which moves when another connection, in
    /// this process or another, commits to the file) plus the rows this
    /// connection has changed: both only grow, so their sum moves on every
    /// commit by anyone. One pragma and a counter read, cheap enough to
    /// poll every few seconds. (The point cache a read rebuilds counts as a
    /// change too: at most one extra reload after an import.)
    fn change_stamp(&self) -> Result<Option<i64>, StoreError> {
        let others: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .at(&self.path)?;
        let own = i64::try_from(self.conn.total_changes()).unwrap_or(i64::MAX);
        Ok(Some(others.wrapping_add(own)))
    }

    fn change_stamps(&self) -> Result<crate::store::changes::ChangeStamps, StoreError> {
        self.read_change_stamps()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_time_format_matches_chrono() {
        for text in [
            "2025-03-14T21:40:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "0999-12-31T00:00:00.001Z",
        ] {
            let t = parse_time(text).unwrap();
            assert_eq!(format_time(t), time::gpkg_datetime(t));
            assert_eq!(format_time(t), text);
        }
        let far = DateTime::from_timestamp(300_000_000_000, 0).unwrap();
        assert_eq!(format_time(far), time::gpkg_datetime(far));
    }

    #[test]
    fn fast_time_parse_matches_chrono() {
        for text in [
            "2025-03-14T21:40:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "1999-12-31T00:00:00.001Z",
        ] {
            assert_eq!(parse_time(text), time::parse_gpkg_datetime(text), "{text}");
            assert!(parse_time(text).is_some());
        }
        assert_eq!(
            parse_time("2025-03-14T21:40:00Z"),
            parse_time("2025-03-14T21:40:00.000Z")
        );
        assert_eq!(parse_time("2025-02-30T21:40:00.000Z"), None);
        assert_eq!(parse_time("2025-0x-14T21:40:00.000Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
