//! One import into the incident table, in one transaction.
//!
//! # Duplicate detection
//! Every row carries `import_key`, a stable 64-bit hash ([`key_hash`]) of its
//! identity: `source` + `external_id` when it has an external id, otherwise
//! `source` + time (milliseconds) + position (rounded to 1e-7°) + category.
//! A hash match is only a candidate: the stored row is read back and compared
//! field by field, so hash collisions never merge different incidents. A uid
//! that is already taken by another incident is a conflict too.
//!
//! # Flat memory
//! The session holds no per-row state, so an import of any size (a 2 GB CSV
//! file is about 29 million rows) needs the same memory: candidates come
//! from the `import_key` index and taken uids from the UNIQUE `uid` index,
//! both of which see this session's own rows too, and the R-tree is packed
//! at commit from a query that SQLite sorts ([`super::rtree::load_points`]).
//! What memory the import takes is SQLite's page cache, bounded at
//! [`IMPORT_CACHE_KIB`] (or `LAGESBILD_IMPORT_CACHE_MIB`); commit shrinks
//! the cache to a quarter, so that SQLite's sorter (which takes as much as
//! the cache is big) stays within the same bound.
//!
//! # Two ways in
//! Into an empty table (a new project: the big, timed case) the session drops
//! the time index and builds it at commit by one sort, and packs the whole
//! R-tree at commit. Into a table with rows every index stays in place, and
//! commit adds the new rows to the R-tree one by one, or packs it again when
//! they are at least a tenth of the table.
//!
//! Either way the R-tree triggers are dropped during the session and created
//! again at commit; DDL is transactional, so a rollback restores everything.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::blob::{self, point_blob};
use super::rtree::{self, Extent, RtreeError};
use super::schema::{self, IMPORT_KEY_INDEX, INCIDENT_INDEXES, SRS_WGS84};
use super::{SqlContext, format_time, parse_time};
use crate::crs::sweref_from_wgs84;
use crate::jobs::{CancelToken, Progress};
use crate::model::{Category, Incident, LonLat, Source, time};
use crate::store::{ImportSession, PushOutcome, StoreError};

/// Page cache during an import, in KiB (negative `cache_size`): 256 MiB.
const IMPORT_CACHE_KIB: i64 = 262_144;
/// SQLite's default page cache, in KiB.
const DEFAULT_CACHE_KIB: i64 = 2_000;
/// When the new rows are at least this share of the table, commit rebuilds the
/// whole R-tree instead of inserting the new rows one by one.
const REBUILD_SHARE: f64 = 0.10;
/// Positions closer than this (in degrees, on each axis) are the same place.
const SAME_PLACE_DEG: f64 = 1e-7;

/// FNV-1a over the parts of a key, with a final avalanche so the low bits are
/// usable as a hash-map hash. Stable across platforms and Rust versions: the
/// values are stored in project files.
struct KeyHasher(u64);

impl KeyHasher {
    fn new(tag: u8) -> Self {
        let mut h = KeyHasher(0xcbf2_9ce4_8422_2325);
        h.bytes(&[tag]);
        h
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// A part followed by a separator that cannot occur in UTF-8 text.
    fn part(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
        self.bytes(&[0xff]);
    }

    fn finish(self) -> u64 {
        // splitmix64 finaliser
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The external id when it says something (blank counts as none).
fn external_id(incident: &Incident) -> Option<&str> {
    incident
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A position on the 1e-7° grid used for keys without an external id.
fn grid_e7(v: f64) -> i64 {
    (v * 1e7).round() as i64
}

/// The stored `import_key` of an incident (see the module docs).
pub fn key_hash(incident: &Incident) -> i64 {
    let h = match external_id(incident) {
        Some(ext) => {
            let mut h = KeyHasher::new(b'x');
            h.part(incident.source.key().as_bytes());
            h.part(ext.as_bytes());
            h
        }
        None => {
            let mut h = KeyHasher::new(b'n');
            h.part(incident.source.key().as_bytes());
            h.part(&incident.occurred_at.timestamp_millis().to_le_bytes());
            h.part(&grid_e7(incident.position.lon).to_le_bytes());
            h.part(&grid_e7(incident.position.lat).to_le_bytes());
            h.part(incident.category.key().as_bytes());
            h
        }
    };
    h.finish() as i64
}

/// Hash of an incident uid. The GeoPackage import keeps no uid map (its
/// UNIQUE index checks them); the PostgreSQL session still does.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn uid_hash(uid: &str) -> i64 {
    let mut h = KeyHasher::new(b'u');
    h.part(uid.as_bytes());
    h.finish() as i64
}

/// Hasher for keys that are hashes already.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_i64(&mut self, v: i64) {
        self.0 = v as u64;
    }
}

/// Hash → fid, with the (astronomically rare) second fid for a hash kept apart (the PostgreSQL session's duplicate maps).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
#[derive(Default)]
pub(crate) struct KeyMap {
    first: HashMap<i64, i64, BuildHasherDefault<IdentityHasher>>,
    more: HashMap<i64, Vec<i64>, BuildHasherDefault<IdentityHasher>>,
}

#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
impl KeyMap {
    pub(crate) fn candidates(&self, hash: i64) -> impl Iterator<Item = i64> + '_ {
        let first = self.first.get(&hash).copied();
        let more = if first.is_some() && !self.more.is_empty() {
            self.more.get(&hash)
        } else {
            None
        };
        first.into_iter().chain(more.into_iter().flatten().copied())
    }

    pub(crate) fn insert(&mut self, hash: i64, fid: i64) {
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(hash).or_default().push(fid);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(fid);
            }
        }
    }
}

/// The fields of a stored row that decide duplicates.
pub(crate) struct StoredKey {
    pub(crate) source: Source,
    pub(crate) external_id: Option<String>,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) position: LonLat,
    pub(crate) category: Category,
}

/// Distance in metres, measured in SWEREF 99 TM as every distance here is.
fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let (a, b) = (sweref_from_wgs84(a), sweref_from_wgs84(b));
    (a.easting - b.easting).hypot(a.northing - b.northing)
}

fn local_text(t: DateTime<Utc>) -> String {
    let l = time::local(t);
    if t.timestamp_subsec_millis() != 0 {
        l.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    } else if t.timestamp() % 60 != 0 {
        l.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        l.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// Truncates to the milliseconds that are stored.
fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn same_place(a: LonLat, b: LonLat) -> bool {
    // A little slack for the decimal→binary round trip of 1e-7 steps.
    const SLACK: f64 = SAME_PLACE_DEG * (1.0 + 1e-6);
    (a.lon - b.lon).abs() <= SLACK && (a.lat - b.lat).abs() <= SLACK
}

/// What the stored row `stored` (fid `fid`) means for `incident`: `None`
/// when it is a different incident.
pub(crate) fn compare(incident: &Incident, fid: i64, stored: &StoredKey) -> Option<PushOutcome> {
    if stored.source != incident.source {
        return None;
    }
    let stored_ext = stored
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match external_id(incident) {
        Some(ext) => {
            if stored_ext != Some(ext) {
                return None;
            }
            let mut differences = Vec::new();
            if millis(stored.occurred_at) != millis(incident.occurred_at) {
                differences.push(format!(
                    "time differs: stored {}, file {}",
                    local_text(stored.occurred_at),
                    local_text(incident.occurred_at)
                ));
            }
            if !same_place(stored.position, incident.position) {
                let d = distance_m(stored.position, incident.position);
                differences.push(if d >= 10.0 {
                    format!("place differs by {d:.0} m")
                } else {
                    format!("place differs by {d:.1} m")
                });
            }
            Some(if differences.is_empty() {
                PushOutcome::Duplicate { fid }
            } else {
                PushOutcome::Conflict {
                    fid,
                    reason: differences.join("; "),
                }
            })
        }
        None => {
            let same = stored_ext.is_none()
                && millis(stored.occurred_at) == millis(incident.occurred_at)
                && grid_e7(stored.position.lon) == grid_e7(incident.position.lon)
                && grid_e7(stored.position.lat) == grid_e7(incident.position.lat)
                && stored.category == incident.category;
            same.then_some(PushOutcome::Duplicate { fid })
        }
    }
}

/// How this session treats the table's indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The table was empty at begin: the time index is dropped and sorted
    /// back into place at commit, and the whole R-tree is packed then.
    Bulk,
    /// The table had rows: every index is kept up to date as rows go in.
    Indexed,
}

/// The index a bulk session drops and builds again at commit (its values
/// come in no useful order, so one sort at the end beats inserting into it).
const SORTED_AT_COMMIT: &str = "incidents_occurred_at";

const INSERT_SQL: &str = "INSERT INTO incidents (fid, geom, uid, occurred_at, category, \
     category_text, source, source_text, precision_m, place, description, import_file, \
     external_id, import_key) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// The stored rows that share an import key: the duplicate candidates.
const CANDIDATES_SQL: &str = "SELECT fid, source, external_id, occurred_at, geom, category \
     FROM incidents WHERE import_key = ?1";

/// The duplicate-deciding columns of a stored row, as read.
type KeyRow = (String, Option<String>, String, Vec<u8>, String);

/// Everything a session knows besides the connection. Its size does not
/// depend on the number of rows: earlier rows, of the project and of this
/// file, are found through the `import_key` and `uid` indexes.
struct State {
    mode: Mode,
    rows_at_begin: u64,
    /// The fid of the first row this session inserts.
    first_fid: i64,
    /// The fid the next inserted row gets.
    next_fid: i64,
    /// Bounds of the rows inserted in this session.
    extent: Option<Extent>,
    inserted: u64,
    duplicates: u64,
    conflicts: u64,
}

/// The GeoPackage [`ImportSession`].
///
/// Memory stays flat whatever the size of the file: duplicate detection
/// reads the indexes (which see this session's rows too), the R-tree is
/// packed at commit from a sorted query ([`rtree::load_points`]), and the
/// page cache is bounded ([`import_cache_kib`]).
pub struct Session<'a> {
    path: &'a Path,
    file_name: String,
    /// The project's connection, inside `BEGIN IMMEDIATE` until commit or
    /// drop.
    conn: &'a mut Connection,
    /// `Some` until commit takes it; a session dropped with it rolls back.
    state: Option<State>,
}

/// The environment variable that sets the import's page cache, in MiB.
pub const IMPORT_CACHE_ENV: &str = "LAGESBILD_IMPORT_CACHE_MIB";

/// The page cache during an import, in KiB: [`IMPORT_CACHE_KIB`], or
/// `LAGESBILD_IMPORT_CACHE_MIB` (1–4096) when set, for machines with little
/// memory. It bounds the import's memory (see the module docs).
fn import_cache_kib() -> i64 {
    std::env::var(IMPORT_CACHE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|mib| (1..=4096).contains(mib))
        .map_or(IMPORT_CACHE_KIB, |mib| mib * 1024)
}

impl<'a> Session<'a> {
    /// Starts an import (BEGIN IMMEDIATE) into the project at `path`.
    pub fn begin(
        conn: &'a mut Connection,
        path: &'a Path,
        file_name: &str,
    ) -> Result<Session<'a>, StoreError> {
        conn.execute_batch("BEGIN IMMEDIATE").at(path)?;
        let state = match Self::prepare(conn, path) {
            Ok(state) => state,
            Err(e) => {
                end(conn);
                return Err(e);
            }
        };
        Ok(Session {
            path,
            file_name: file_name.to_owned(),
            conn,
            state: Some(state),
        })
    }

    /// The work of `begin` inside the transaction.
    fn prepare(conn: &Connection, path: &Path) -> Result<State, StoreError> {
        conn.pragma_update(None, "cache_size", -import_cache_kib())
            .at(path)?;
        let rows_at_begin: i64 = conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
            .at(path)?;
        // AUTOINCREMENT: never reuse a fid, not even of deleted rows.
        let last_fid: i64 = conn
            .query_row(
                "SELECT max(coalesce((SELECT max(fid) FROM incidents), 0), \
                 coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0))",
                [],
                |r| r.get(0),
            )
            .at(path)?;
        let mode = if rows_at_begin == 0 {
            Mode::Bulk
        } else {
            Mode::Indexed
        };
        schema::drop_rtree_triggers(conn, "incidents", "geom").at(path)?;
        // The lookups need the uid and import-key indexes (an older import
        // or another program may have left them out).
        for (name, sql) in INCIDENT_INDEXES.iter().chain([&IMPORT_KEY_INDEX]) {
            let sql = if mode == Mode::Bulk && *name == SORTED_AT_COMMIT {
                format!("DROP INDEX IF EXISTS {};", schema::quote_ident(name))
            } else {
                (*sql).to_owned()
            };
            conn.execute_batch(&sql).at(path)?;
        }
        Ok(State {
            mode,
            rows_at_begin: rows_at_begin as u64,
            first_fid: last_fid + 1,
            next_fid: last_fid + 1,
            extent: None,
            inserted: 0,
            duplicates: 0,
            conflicts: 0,
        })
    }
}

/// Ends the transaction (rolling back unless it was committed) and gives the
/// import's page cache back.
fn end(conn: &Connection) {
    if !conn.is_autocommit() {
        // Nothing more can be done about a failed rollback: SQLite rolls back
        // a hot journal the next time the file is opened.
        let _ = conn.execute_batch("ROLLBACK");
    }
    let _ = conn.pragma_update(None, "cache_size", -DEFAULT_CACHE_KIB);
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if self.state.take().is_some() {
            end(self.conn);
        }
    }
}

fn parse_key_row(path: &Path, fid: i64, row: KeyRow) -> Result<StoredKey, StoreError> {
    let (source, external_id, occurred_at, geom, category) = row;
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.to_owned(),
        reason: format!("incidents fid {fid}: {reason}"),
    };
    let occurred_at = parse_time(&occurred_at)
        .ok_or_else(|| corrupt(format!("occurred_at {occurred_at:?} is not a DATETIME")))?;
    let (lon, lat) = blob::parse_point(&geom).map_err(|e| corrupt(e.to_string()))?;
    Ok(StoredKey {
        source: Source::from_key(&source).unwrap_or(Source::Ovrigt),
        external_id,
        occurred_at,
        position: LonLat::new(lon, lat),
        category: Category::from_key(&category).unwrap_or(Category::Ovrigt),
    })
}

/// Whether an insert failed on a UNIQUE (or primary key) constraint.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

impl Session<'_> {
    /// The stored rows (of the project or this session) with import key
    /// `hash`, as fid and duplicate-deciding fields.
    fn candidates(&self, hash: i64) -> Result<Vec<(i64, StoredKey)>, StoreError> {
        let path = self.path;
        let mut stmt = self.conn.prepare_cached(CANDIDATES_SQL).at(path)?;
        let mut rows = stmt.query([hash]).at(path)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().at(path)? {
            let fid: i64 = r.get(0).at(path)?;
            let row: KeyRow = (
                r.get(1).at(path)?,
                r.get(2).at(path)?,
                r.get(3).at(path)?,
                r.get(4).at(path)?,
                r.get(5).at(path)?,
            );
            out.push((fid, parse_key_row(path, fid, row)?));
        }
        Ok(out)
    }

    fn uid_owner(&self, uid: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT fid FROM incidents WHERE uid = ?1")
            .at(self.path)?
            .query_row([uid], |r| r.get(0))
            .optional()
            .at(self.path)
    }

    fn insert(&self, fid: i64, incident: &Incident, import_key: i64) -> rusqlite::Result<()> {
        let geom = point_blob(SRS_WGS84, incident.position.lon, incident.position.lat);
        self.conn.prepare_cached(INSERT_SQL)?.execute(params![
            fid,
            &geom[..],
            incident.uid,
            format_time(incident.occurred_at),
            incident.category.key(),
            incident.category_text,
            incident.source.key(),
            incident.source_text,
            incident.precision_m,
            incident.place,
            incident.description,
            incident.import_file,
            incident.external_id,
            import_key,
        ])?;
        Ok(())
    }

    fn push_row(
        &mut self,
        state: &mut State,
        incident: &Incident,
    ) -> Result<PushOutcome, StoreError> {
        let path = self.path;
        if !incident.position.is_finite() {
            return Err(StoreError::InvalidIncident {
                path: path.to_owned(),
                reason: format!(
                    "position is not a finite number (lon {}, lat {})",
                    incident.position.lon, incident.position.lat
                ),
            });
        }
        if !incident.precision_m.is_finite() {
            return Err(StoreError::InvalidIncident {
                path: path.to_owned(),
                reason: format!(
                    "precision {} m is not a finite number",
                    incident.precision_m
                ),
            });
        }
        let hash = key_hash(incident);
        for (fid, stored) in self.candidates(hash)? {
            if let Some(outcome) = compare(incident, fid, &stored) {
                match outcome {
                    PushOutcome::Duplicate { .. } => state.duplicates += 1,
                    PushOutcome::Conflict { .. } => state.conflicts += 1,
                    PushOutcome::Inserted => {}
                }
                return Ok(outcome);
            }
        }
        // A uid already taken fails the insert on the UNIQUE uid index (the
        // statement alone is undone); only then is its owner looked up.
        let fid = state.next_fid;
        if let Err(e) = self.insert(fid, incident, hash) {
            if is_unique_violation(&e)
                && let Some(owner) = self.uid_owner(&incident.uid)?
            {
                state.conflicts += 1;
                return Ok(PushOutcome::Conflict {
                    fid: owner,
                    reason: format!(
                        "uid {:?} is already used by a different incident",
                        incident.uid
                    ),
                });
            }
            return Err(super::sql_err(path, e));
        }
        state.next_fid += 1;
        let (x, y) = (incident.position.lon, incident.position.lat);
        state.extent = Some(match state.extent {
            None => (x, y, x, y),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
        });
        state.inserted += 1;
        Ok(PushOutcome::Inserted)
    }
}

impl ImportSession for Session<'_> {
    fn push(&mut self, incident: &Incident) -> Result<PushOutcome, StoreError> {
        let Some(mut state) = self.state.take() else {
            return Err(finished(self.path));
        };
        let result = self.push_row(&mut state, incident);
        self.state = Some(state);
        result
    }

    fn commit(
        mut self: Box<Self>,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<(), StoreError> {
        let path = self.path;
        let Some(state) = self.state.take() else {
            return Err(finished(path));
        };
        progress.stage("Writing incidents", 0);
        let result = finish(self.conn, state, path, &self.file_name, progress, cancel);
        // Rolls back if `finish` did not get to COMMIT.
        end(self.conn);
        result
    }
}

fn finished(path: &Path) -> StoreError {
    StoreError::InvalidIncident {
        path: path.to_owned(),
        reason: "the import was already committed".to_owned(),
    }
}

fn rtree_err(path: &Path, e: RtreeError) -> StoreError {
    match e {
        RtreeError::Sqlite(source) => super::sql_err(path, source),
        e @ (RtreeError::BadRoot(_) | RtreeError::NodeOverflow(_)) => StoreError::Corrupt {
            path: path.to_owned(),
            reason: e.to_string(),
        },
        RtreeError::Cancelled(c) => StoreError::Cancelled(c),
    }
}

/// The points of the incidents table for [`rtree::load_points`].
const ALL_POINTS_SQL: &str = "SELECT fid AS id, ST_MinX(geom) AS x, ST_MinY(geom) AS y \
     FROM incidents";

fn finish(
    tx: &Connection,
    state: State,
    path: &Path,
    file_name: &str,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(), StoreError> {
    let State {
        mode,
        rows_at_begin,
        first_fid,
        next_fid: _,
        extent: new_extent,
        inserted,
        duplicates,
        conflicts,
    } = state;
    cancel.check()?;
    // The sorts below (the time index, the R-tree's points) take as much
    // memory as the page cache is big: a quarter of it bounds the commit's
    // peak at about the inserting's, whatever the number of rows.
    tx.pragma_update(None, "cache_size", -(import_cache_kib() / 4).max(1024))
        .at(path)?;

    if mode == Mode::Bulk {
        progress.stage("Building indexes", 1);
        for (name, sql) in INCIDENT_INDEXES {
            if name == SORTED_AT_COMMIT {
                tx.execute_batch(sql).at(path)?;
            }
        }
        progress.advance(1);
        cancel.check()?;
    }

    let total = rows_at_begin + inserted;
    let rebuild = rows_at_begin == 0 || inserted as f64 >= REBUILD_SHARE * total as f64;
    let rtree_name = schema::rtree_name("incidents", "geom");
    let mut extent = if inserted == 0 {
        None
    } else if rebuild {
        progress.stage("Building spatial index", total);
        rtree::load_points(tx, &rtree_name, ALL_POINTS_SQL, total, progress, cancel)
            .map_err(|e| rtree_err(path, e))?
    } else {
        progress.stage("Updating spatial index", inserted);
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO {} (id, minx, maxx, miny, maxy) VALUES (?1, ?2, ?2, ?3, ?3)",
                schema::quote_ident(&rtree_name)
            ))
            .at(path)?;
        let mut select = tx
            .prepare(&format!("{ALL_POINTS_SQL} WHERE fid >= ?1"))
            .at(path)?;
        let mut rows = select.query([first_fid]).at(path)?;
        let mut k = 0u64;
        while let Some(r) = rows.next().at(path)? {
            let (id, x, y): (i64, Option<f64>, Option<f64>) =
                (r.get(0).at(path)?, r.get(1).at(path)?, r.get(2).at(path)?);
            if let (Some(x), Some(y)) = (x, y) {
                insert.execute(params![id, x, y]).at(path)?;
            }
            k += 1;
            if k.is_multiple_of(4096) {
                progress.advance(4096);
                cancel.check()?;
            }
        }
        new_extent
    };
    cancel.check()?;
    schema::create_rtree_triggers(tx, "incidents", "geom").at(path)?;

    // Extent: a rebuild measured every row; otherwise widen the stored one.
    if inserted > 0 && !rebuild {
        let stored: Option<Extent> = tx
            .query_row(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'incidents'",
                [],
                |r| {
                    Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
                        (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
                        _ => None,
                    })
                },
            )
            .at(path)?;
        extent = match (stored, extent) {
            (Some(s), Some(e)) => Some((s.0.min(e.0), s.1.min(e.1), s.2.max(e.2), s.3.max(e.3))),
            // No stored extent for a table with rows: measure all rows.
            (None, _) => tx
                .query_row(
                    "SELECT min(ST_MinX(geom)), min(ST_MinY(geom)), max(ST_MaxX(geom)), \
                     max(ST_MaxY(geom)) FROM incidents",
                    [],
                    |r| {
                        Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
                            (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
                            _ => None,
                        })
                    },
                )
                .at(path)?,
            (Some(s), None) => Some(s),
        };
    }
    let now = time::gpkg_datetime(Utc::now());
    match extent {
        Some((min_x, min_y, max_x, max_y)) => tx.execute(
            "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4, \
             last_change = ?5 WHERE table_name = 'incidents'",
            params![min_x, min_y, max_x, max_y, now],
        ),
        None => tx.execute(
            "UPDATE gpkg_contents SET last_change = ?1 WHERE table_name = 'incidents'",
            params![now],
        ),
    }
    .at(path)?;
    tx.execute(
        "INSERT INTO lagesbild_imports (file_name, imported_at, inserted, duplicates, conflicts, \
         app_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            file_name,
            now,
            inserted as i64,
            duplicates as i64,
            conflicts as i64,
            crate::APP_NAME_VERSION
        ],
    )
    .at(path)?;
    cancel.check()?;
    progress.stage("Saving", 0);
    tx.execute_batch("COMMIT").at(path)?;
    Ok(())
}
