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
//! # Two ways in
//! Into an empty table (a new project: the big, timed case) the session drops
//! the secondary indexes and the R-tree triggers, finds candidates in
//! in-memory maps, and hands rows to a writer thread that owns the connection
//! until commit, so SQLite's inserting overlaps the caller's parsing. Commit
//! sorts the indexes back into place while a second thread packs the R-tree,
//! then writes the R-tree's shadow tables directly ([`super::rtree`]).
//!
//! Into a table with rows, candidates come from the `import_key` and `uid`
//! indexes (which also see this session's rows), rows are inserted directly,
//! and commit adds the new rows to the R-tree one by one, or rebuilds it when
//! they are at least a tenth of the table.
//!
//! Either way the R-tree triggers are dropped during the session and created
//! again at commit; DDL is transactional, so a rollback restores everything.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::blob::{self, point_blob};
use super::rtree::{self, Cell, RtreeError};
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
/// Room reserved for rows at begin (grows as needed).
const INITIAL_ROWS: usize = 1 << 16;
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

pub(crate) fn uid_hash(uid: &str) -> i64 {
    let mut h = KeyHasher::new(b'u');
    h.part(uid.as_bytes());
    h.finish() as i64
}

/// Hasher for keys that are hashes already.
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

/// Hash → fid, with the (astronomically rare) second fid for a hash kept apart.
#[derive(Default)]
pub(crate) struct KeyMap {
    first: HashMap<i64, i64, BuildHasherDefault<IdentityHasher>>,
    more: HashMap<i64, Vec<i64>, BuildHasherDefault<IdentityHasher>>,
}

impl KeyMap {
    pub(crate) fn with_capacity(n: usize) -> Self {
        KeyMap {
            first: HashMap::with_capacity_and_hasher(n, Default::default()),
            more: HashMap::default(),
        }
    }

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

/// How this session finds earlier rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The table was empty at begin: indexes dropped, in-memory maps, rows
    /// written by a background thread.
    Bulk,
    /// The table had rows: indexed lookups, rows written directly.
    Indexed,
}

const INSERT_SQL: &str = "INSERT INTO incidents (fid, geom, uid, occurred_at, category, \
     category_text, source, source_text, precision_m, place, description, import_file, \
     external_id, import_key) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// One row ready for the INSERT, owning its values (it may cross threads).
struct Row {
    fid: i64,
    geom: [u8; blob::POINT_BLOB_LEN],
    uid: String,
    occurred_at: String,
    category: &'static str,
    category_text: Option<String>,
    source: &'static str,
    source_text: Option<String>,
    precision_m: f64,
    place: Option<String>,
    description: Option<String>,
    import_file: Option<String>,
    external_id: Option<String>,
    import_key: i64,
}

impl Row {
    fn new(fid: i64, incident: &Incident, import_key: i64) -> Row {
        Row {
            fid,
            geom: point_blob(SRS_WGS84, incident.position.lon, incident.position.lat),
            uid: incident.uid.clone(),
            occurred_at: format_time(incident.occurred_at),
            category: incident.category.key(),
            category_text: incident.category_text.clone(),
            source: incident.source.key(),
            source_text: incident.source_text.clone(),
            precision_m: incident.precision_m,
            place: incident.place.clone(),
            description: incident.description.clone(),
            import_file: incident.import_file.clone(),
            external_id: incident.external_id.clone(),
            import_key,
        }
    }

    fn insert(&self, stmt: &mut rusqlite::Statement<'_>) -> rusqlite::Result<()> {
        stmt.execute(params![
            self.fid,
            &self.geom[..],
            self.uid,
            self.occurred_at,
            self.category,
            self.category_text,
            self.source,
            self.source_text,
            self.precision_m,
            self.place,
            self.description,
            self.import_file,
            self.external_id,
            self.import_key,
        ])?;
        Ok(())
    }
}

/// The duplicate-deciding columns of a stored row, as read.
type KeyRow = (String, Option<String>, String, Vec<u8>, String);

fn read_key_row(conn: &Connection, fid: i64) -> rusqlite::Result<Option<KeyRow>> {
    conn.prepare_cached(
        "SELECT source, external_id, occurred_at, geom, category FROM incidents WHERE fid = ?1",
    )?
    .query_row([fid], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .optional()
}

fn read_uid(conn: &Connection, fid: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT uid FROM incidents WHERE fid = ?1")?
        .query_row([fid], |r| r.get(0))
        .optional()
}

/// Work for the writer thread.
enum Msg {
    Rows(Vec<Row>),
    ReadKey(i64, mpsc::Sender<rusqlite::Result<Option<KeyRow>>>),
    ReadUid(i64, mpsc::Sender<rusqlite::Result<Option<String>>>),
}

/// Rows per message to the writer thread.
const BATCH_ROWS: usize = 512;
/// Messages the writer thread may lag behind before `push` waits.
const QUEUE_BATCHES: usize = 32;

/// The background thread that owns the connection during a bulk session and
/// inserts rows while the caller parses the next ones (the machine has two
/// cores). It answers reads in order, so it has written every earlier row.
struct Writer {
    sender: Option<mpsc::SyncSender<Msg>>,
    handle: Option<JoinHandle<(Connection, rusqlite::Result<()>)>>,
    batch: Vec<Row>,
    abort: Arc<AtomicBool>,
}

fn writer_loop(
    conn: &Connection,
    receiver: &mpsc::Receiver<Msg>,
    abort: &AtomicBool,
) -> rusqlite::Result<()> {
    let mut insert = conn.prepare(INSERT_SQL)?;
    while let Ok(msg) = receiver.recv() {
        match msg {
            Msg::Rows(rows) => {
                if abort.load(Ordering::Relaxed) {
                    break;
                }
                for row in &rows {
                    row.insert(&mut insert)?;
                }
            }
            // A caller gone away is no error of ours.
            Msg::ReadKey(fid, reply) => {
                let _ = reply.send(read_key_row(conn, fid));
            }
            Msg::ReadUid(fid, reply) => {
                let _ = reply.send(read_uid(conn, fid));
            }
        }
    }
    Ok(())
}

impl Writer {
    /// Starts the thread with the connection. If the thread cannot start,
    /// the connection is closed (rolling its transaction back).
    fn start(conn: Connection) -> std::io::Result<Writer> {
        let (sender, receiver) = mpsc::sync_channel(QUEUE_BATCHES);
        let abort = Arc::new(AtomicBool::new(false));
        let thread_abort = Arc::clone(&abort);
        let handle = std::thread::Builder::new()
            .name("lagesbild-store-writer".to_owned())
            .spawn(move || {
                let result = writer_loop(&conn, &receiver, &thread_abort);
                (conn, result)
            })?;
        Ok(Writer {
            sender: Some(sender),
            handle: Some(handle),
            batch: Vec::with_capacity(BATCH_ROWS),
            abort,
        })
    }

    /// Sends `msg`; false when the thread has stopped (after an error).
    fn send(&mut self, msg: Msg) -> bool {
        self.sender.as_ref().is_some_and(|s| s.send(msg).is_ok())
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let rows = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_ROWS));
        self.send(Msg::Rows(rows))
    }

    fn push(&mut self, row: Row) -> bool {
        self.batch.push(row);
        self.batch.len() < BATCH_ROWS || self.flush()
    }

    /// Asks the thread something after everything queued so far.
    fn ask<T>(&mut self, make: impl FnOnce(mpsc::Sender<T>) -> Msg) -> Option<T> {
        if !self.flush() {
            return None;
        }
        let (tx, rx) = mpsc::channel();
        if !self.send(make(tx)) {
            return None;
        }
        rx.recv().ok()
    }

    /// Stops the thread and takes the connection back, with the first
    /// insert error if there was one. `None` if the thread panicked (its
    /// connection, and with it the transaction, is gone).
    fn stop(&mut self, abort: bool) -> Option<(Connection, rusqlite::Result<()>)> {
        if abort {
            self.abort.store(true, Ordering::Relaxed);
            self.batch.clear();
        } else {
            self.flush();
        }
        self.sender = None;
        self.handle.take()?.join().ok()
    }
}

/// Everything a session knows besides the connection.
struct State {
    mode: Mode,
    rows_at_begin: u64,
    /// The fid the next inserted row gets.
    next_fid: i64,
    keys: KeyMap,
    uids: KeyMap,
    /// fid, lon, lat of every row inserted in this session.
    points: Vec<(i64, f64, f64)>,
    inserted: u64,
    duplicates: u64,
    conflicts: u64,
}

/// The GeoPackage [`ImportSession`].
pub struct Session<'a> {
    path: &'a Path,
    file_name: String,
    /// The project's connection, inside `BEGIN IMMEDIATE` until commit or
    /// drop. During a bulk session it holds a stand-in and the real one is
    /// with the writer thread.
    conn: &'a mut Connection,
    /// `Some` until commit takes it; a session dropped with it rolls back.
    state: Option<State>,
    writer: Option<Writer>,
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
        let mut session = Session {
            path,
            file_name: file_name.to_owned(),
            conn,
            state: Some(state),
            writer: None,
        };
        if session.state.as_ref().is_some_and(|s| s.mode == Mode::Bulk) {
            let stand_in = Connection::open_in_memory().at(path)?;
            let real = std::mem::replace(session.conn, stand_in);
            match Writer::start(real) {
                Ok(writer) => session.writer = Some(writer),
                Err(e) => {
                    // The connection closed with the failed thread, and its
                    // transaction rolled back: reopen and report.
                    session.state = None;
                    *session.conn = super::connect(path).at(path)?;
                    return Err(StoreError::Io {
                        path: path.to_owned(),
                        source: e,
                    });
                }
            }
        }
        Ok(session)
    }

    /// The work of `begin` inside the transaction.
    fn prepare(conn: &Connection, path: &Path) -> Result<State, StoreError> {
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)
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
        let indexes = INCIDENT_INDEXES.iter().chain([&IMPORT_KEY_INDEX]);
        if mode == Mode::Bulk {
            for (name, _) in indexes {
                conn.execute_batch(&format!(
                    "DROP INDEX IF EXISTS {};",
                    schema::quote_ident(name)
                ))
                .at(path)?;
            }
        } else {
            // Left out by an earlier import into an empty table (or by
            // another program): the lookups need them.
            for (_, sql) in indexes {
                conn.execute_batch(sql).at(path)?;
            }
        }
        Ok(State {
            mode,
            rows_at_begin: rows_at_begin as u64,
            next_fid: last_fid + 1,
            keys: KeyMap::with_capacity(if mode == Mode::Bulk { INITIAL_ROWS } else { 0 }),
            uids: KeyMap::with_capacity(if mode == Mode::Bulk { INITIAL_ROWS } else { 0 }),
            points: Vec::with_capacity(INITIAL_ROWS),
            inserted: 0,
            duplicates: 0,
            conflicts: 0,
        })
    }

    /// Takes the connection back from the writer thread, if there is one.
    /// With `abort`, queued rows are dropped unwritten.
    fn join_writer(&mut self, abort: bool) -> Result<(), StoreError> {
        let Some(mut writer) = self.writer.take() else {
            return Ok(());
        };
        match writer.stop(abort) {
            Some((conn, result)) => {
                *self.conn = conn;
                result.at(self.path)
            }
            None => {
                // The thread panicked: its connection closed and SQLite rolled
                // the transaction back. Reopen the project file.
                if let Ok(conn) = super::connect(self.path) {
                    *self.conn = conn;
                }
                Err(StoreError::Corrupt {
                    path: self.path.to_owned(),
                    reason: "the import's writer thread stopped unexpectedly; nothing was saved"
                        .to_owned(),
                })
            }
        }
    }

    /// The writer's error after it stopped early.
    fn writer_failed(&mut self) -> StoreError {
        match self.join_writer(true) {
            Err(e) => e,
            Ok(()) => StoreError::Corrupt {
                path: self.path.to_owned(),
                reason: "the import's writer thread stopped unexpectedly".to_owned(),
            },
        }
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
            // An error here only says the writer failed; we roll back anyway.
            let _ = self.join_writer(true);
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

impl Session<'_> {
    fn read_key(&mut self, fid: i64) -> Result<Option<StoredKey>, StoreError> {
        let path = self.path;
        let raw = match self.writer.as_mut() {
            Some(w) => match w.ask(|tx| Msg::ReadKey(fid, tx)) {
                Some(r) => r,
                None => return Err(self.writer_failed()),
            },
            None => read_key_row(self.conn, fid),
        };
        match raw.at(path)? {
            Some(row) => parse_key_row(path, fid, row).map(Some),
            None => Ok(None),
        }
    }

    fn read_uid(&mut self, fid: i64) -> Result<Option<String>, StoreError> {
        let raw = match self.writer.as_mut() {
            Some(w) => match w.ask(|tx| Msg::ReadUid(fid, tx)) {
                Some(r) => r,
                None => return Err(self.writer_failed()),
            },
            None => read_uid(self.conn, fid),
        };
        raw.at(self.path)
    }

    fn key_candidates(&self, mode: Mode, keys: &KeyMap, hash: i64) -> Result<Vec<i64>, StoreError> {
        match mode {
            Mode::Bulk => Ok(keys.candidates(hash).collect()),
            Mode::Indexed => self
                .conn
                .prepare_cached("SELECT fid FROM incidents WHERE import_key = ?1")
                .at(self.path)?
                .query_map([hash], |r| r.get(0))
                .at(self.path)?
                .collect::<Result<Vec<i64>, _>>()
                .at(self.path),
        }
    }

    fn uid_owner(
        &mut self,
        mode: Mode,
        uids: &KeyMap,
        uid: &str,
    ) -> Result<Option<i64>, StoreError> {
        match mode {
            Mode::Bulk => {
                let candidates: Vec<i64> = uids.candidates(uid_hash(uid)).collect();
                for fid in candidates {
                    if self.read_uid(fid)?.as_deref() == Some(uid) {
                        return Ok(Some(fid));
                    }
                }
                Ok(None)
            }
            Mode::Indexed => self
                .conn
                .prepare_cached("SELECT fid FROM incidents WHERE uid = ?1")
                .at(self.path)?
                .query_row([uid], |r| r.get(0))
                .optional()
                .at(self.path),
        }
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
        for fid in self.key_candidates(state.mode, &state.keys, hash)? {
            let Some(stored) = self.read_key(fid)? else {
                continue;
            };
            if let Some(outcome) = compare(incident, fid, &stored) {
                match outcome {
                    PushOutcome::Duplicate { .. } => state.duplicates += 1,
                    PushOutcome::Conflict { .. } => state.conflicts += 1,
                    PushOutcome::Inserted => {}
                }
                return Ok(outcome);
            }
        }
        if let Some(fid) = self.uid_owner(state.mode, &state.uids, &incident.uid)? {
            state.conflicts += 1;
            return Ok(PushOutcome::Conflict {
                fid,
                reason: format!(
                    "uid {:?} is already used by a different incident",
                    incident.uid
                ),
            });
        }
        let fid = state.next_fid;
        let row = Row::new(fid, incident, hash);
        match self.writer.as_mut() {
            Some(w) => {
                if !w.push(row) {
                    return Err(self.writer_failed());
                }
            }
            None => {
                let mut stmt = self.conn.prepare_cached(INSERT_SQL).at(path)?;
                row.insert(&mut stmt).at(path)?;
            }
        }
        state.next_fid += 1;
        if state.mode == Mode::Bulk {
            state.keys.insert(hash, fid);
            state.uids.insert(uid_hash(&incident.uid), fid);
        }
        state
            .points
            .push((fid, incident.position.lon, incident.position.lat));
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
        if self.state.is_none() {
            return Err(finished(path));
        }
        progress.stage("Writing incidents", 0);
        let result = self
            .join_writer(false)
            .and_then(|()| match self.state.take() {
                Some(state) => finish(self.conn, state, path, &self.file_name, progress, cancel),
                None => Err(finished(path)),
            });
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

/// Builds the indexes a bulk session dropped (sorting once per index).
fn build_indexes(
    tx: &Connection,
    path: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(), StoreError> {
    progress.stage("Building indexes", INCIDENT_INDEXES.len() as u64);
    for (_, sql) in INCIDENT_INDEXES {
        tx.execute_batch(sql).at(path)?;
        progress.advance(1);
        cancel.check()?;
    }
    Ok(())
}

/// Every row's (fid, lon, lat) from the table.
fn all_points(
    tx: &Connection,
    path: &Path,
    cancel: &CancelToken,
) -> Result<Vec<(i64, f64, f64)>, StoreError> {
    let mut stmt = tx.prepare("SELECT fid, geom FROM incidents").at(path)?;
    let mut rows = stmt.query([]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        let fid: i64 = row.get(0).at(path)?;
        let geom = row.get_ref(1).at(path)?;
        let bytes = geom.as_blob().map_err(|_| StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("incidents fid {fid}: geometry is not a blob"),
        })?;
        let (x, y) = blob::parse_point(bytes).map_err(|e| StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("incidents fid {fid}: {e}"),
        })?;
        out.push((fid, x, y));
        if out.len().is_multiple_of(65_536) {
            cancel.check()?;
        }
    }
    Ok(out)
}

fn extent_of(points: &[(i64, f64, f64)]) -> Option<(f64, f64, f64, f64)> {
    points.iter().fold(None, |acc, &(_, x, y)| {
        Some(match acc {
            None => (x, y, x, y),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
        })
    })
}

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
        next_fid: _,
        keys,
        uids,
        points,
        inserted,
        duplicates,
        conflicts,
    } = state;
    drop(keys);
    drop(uids);
    cancel.check()?;

    let total = rows_at_begin + inserted;
    let rebuild = rows_at_begin == 0 || inserted as f64 >= REBUILD_SHARE * total as f64;
    let rtree_name = schema::rtree_name("incidents", "geom");
    let mut extent = if mode == Mode::Bulk {
        // The table was empty: every row is in `points`. Pack the R-tree on a
        // second thread while SQLite sorts the indexes on this one.
        let (node_len, capacity) =
            rtree::node_size(tx, &rtree_name).map_err(|e| rtree_err(path, e))?;
        let (packed, extent) = std::thread::scope(|scope| {
            let packer = scope.spawn(move || {
                let extent = extent_of(&points);
                let cells: Vec<Cell> = points
                    .iter()
                    .map(|&(id, x, y)| Cell::point(id, x, y))
                    .collect();
                drop(points);
                (rtree::pack(cells, capacity), extent)
            });
            let indexed = build_indexes(tx, path, progress, cancel);
            let packed = packer.join();
            indexed.map(|()| packed)
        })?
        .map_err(|_| StoreError::Corrupt {
            path: path.to_owned(),
            reason: "building the spatial index failed unexpectedly; nothing was saved".to_owned(),
        })?;
        cancel.check()?;
        progress.stage("Building spatial index", inserted);
        rtree::write_packed(tx, &rtree_name, packed, node_len, progress, cancel)
            .map_err(|e| rtree_err(path, e))?;
        extent
    } else if inserted == 0 {
        None
    } else if rebuild {
        progress.stage("Building spatial index", total);
        let all = all_points(tx, path, cancel)?;
        let extent = extent_of(&all);
        let cells: Vec<Cell> = all
            .iter()
            .map(|&(id, x, y)| Cell::point(id, x, y))
            .collect();
        drop(all);
        rtree::bulk_load(tx, &rtree_name, cells, progress, cancel)
            .map_err(|e| rtree_err(path, e))?;
        extent
    } else {
        progress.stage("Updating spatial index", inserted);
        let mut stmt = tx
            .prepare(&format!(
                "INSERT INTO {} (id, minx, maxx, miny, maxy) VALUES (?1, ?2, ?2, ?3, ?3)",
                schema::quote_ident(&rtree_name)
            ))
            .at(path)?;
        for (k, &(id, x, y)) in points.iter().enumerate() {
            stmt.execute(params![id, x, y]).at(path)?;
            if k % 4096 == 4095 {
                progress.advance(4096);
                cancel.check()?;
            }
        }
        extent_of(&points)
    };
    cancel.check()?;
    schema::create_rtree_triggers(tx, "incidents", "geom").at(path)?;

    // Extent: after a rebuild it covers every row; otherwise widen the stored one.
    if inserted > 0 && !rebuild {
        let stored: Option<(f64, f64, f64, f64)> = tx
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
            // No stored extent for a table with rows: compute it from all rows.
            (None, _) => extent_of(&all_points(tx, path, cancel)?),
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
