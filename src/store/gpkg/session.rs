//! One import into the incident table, in one transaction.
//!
//! # Duplicate detection
//! Every row carries `import_key`, a stable 64-bit hash ([`key_hash`]) of its
//! identity: `source` + `external_id` when it has an external id, otherwise
//! `source` + time (milliseconds) + position (rounded to 1e-7°) + category.
//! A hash match is only a candidate: the stored row is read back and compared
//! field by field, so hash collisions never merge different incidents.
//!
//! Into an empty table (a new project, the big case) the secondary indexes and
//! the R-tree triggers are dropped for the session, candidates come from
//! in-memory maps, and commit rebuilds the indexes by sorting and packs the
//! R-tree in one go. Into a table with rows, candidates come from the
//! `import_key` and `uid` indexes, which also see this session's rows.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::blob::{self, point_blob};
use super::rtree::{self, Cell, RtreeError};
use super::schema::{self, INCIDENT_INDEXES, SRS_WGS84};
use super::{SqlContext, parse_time};
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

fn uid_hash(uid: &str) -> i64 {
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
struct KeyMap {
    first: HashMap<i64, i64, BuildHasherDefault<IdentityHasher>>,
    more: HashMap<i64, Vec<i64>>,
}

impl KeyMap {
    fn candidates(&self, hash: i64) -> impl Iterator<Item = i64> + '_ {
        self.first
            .get(&hash)
            .copied()
            .into_iter()
            .chain(self.more.get(&hash).into_iter().flatten().copied())
    }

    fn insert(&mut self, hash: i64, fid: i64) {
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
struct StoredKey {
    source: Source,
    external_id: Option<String>,
    occurred_at: DateTime<Utc>,
    position: LonLat,
    category: Category,
}

/// Great-circle distance in metres.
fn distance_m(a: LonLat, b: LonLat) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
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
fn compare(incident: &Incident, fid: i64, stored: &StoredKey) -> Option<PushOutcome> {
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
    /// The table was empty at begin: indexes dropped, in-memory maps.
    Bulk,
    /// The table had rows: indexed lookups.
    Indexed,
}

struct Inner<'a> {
    /// The project's connection, inside `BEGIN IMMEDIATE` until commit or drop.
    tx: &'a Connection,
    mode: Mode,
    rows_at_begin: u64,
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
    /// `Some` until commit takes it; a session dropped with it rolls back.
    inner: Option<Inner<'a>>,
}

impl<'a> Session<'a> {
    /// Starts an import (BEGIN IMMEDIATE) into the project at `path`.
    pub fn begin(
        conn: &'a Connection,
        path: &'a Path,
        file_name: &str,
    ) -> Result<Session<'a>, StoreError> {
        conn.execute_batch("BEGIN IMMEDIATE").at(path)?;
        // From here on, a failure must roll back: `session` owns the transaction.
        let mut session = Session {
            path,
            file_name: file_name.to_owned(),
            inner: Some(Inner {
                tx: conn,
                mode: Mode::Indexed,
                rows_at_begin: 0,
                keys: KeyMap::default(),
                uids: KeyMap::default(),
                points: Vec::new(),
                inserted: 0,
                duplicates: 0,
                conflicts: 0,
            }),
        };
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)
            .at(path)?;
        let rows_at_begin: i64 = conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
            .at(path)?;
        let mode = if rows_at_begin == 0 {
            Mode::Bulk
        } else {
            Mode::Indexed
        };
        schema::drop_rtree_triggers(conn, "incidents", "geom").at(path)?;
        if mode == Mode::Bulk {
            for (name, _) in INCIDENT_INDEXES {
                conn.execute_batch(&format!(
                    "DROP INDEX IF EXISTS {};",
                    schema::quote_ident(name)
                ))
                .at(path)?;
            }
        }
        if let Some(inner) = session.inner.as_mut() {
            inner.mode = mode;
            inner.rows_at_begin = rows_at_begin as u64;
        }
        Ok(session)
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
        if let Some(inner) = self.inner.take() {
            end(inner.tx);
        }
    }
}

fn read_stored_key(
    tx: &Connection,
    path: &Path,
    fid: i64,
) -> Result<Option<StoredKey>, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT source, external_id, occurred_at, geom, category FROM incidents WHERE fid = ?1",
        )
        .at(path)?;
    let row = stmt
        .query_row([fid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()
        .at(path)?;
    let Some((source, external_id, occurred_at, geom, category)) = row else {
        return Ok(None);
    };
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.to_owned(),
        reason: format!("incidents fid {fid}: {reason}"),
    };
    let occurred_at = parse_time(&occurred_at)
        .ok_or_else(|| corrupt(format!("occurred_at {occurred_at:?} is not a DATETIME")))?;
    let (lon, lat) = blob::parse_point(&geom).map_err(|e| corrupt(e.to_string()))?;
    Ok(Some(StoredKey {
        source: Source::from_key(&source).unwrap_or(Source::Ovrigt),
        external_id,
        occurred_at,
        position: LonLat::new(lon, lat),
        category: Category::from_key(&category).unwrap_or(Category::Ovrigt),
    }))
}

impl Inner<'_> {
    fn key_candidates(&self, path: &Path, hash: i64) -> Result<Vec<i64>, StoreError> {
        match self.mode {
            Mode::Bulk => Ok(self.keys.candidates(hash).collect()),
            Mode::Indexed => {
                let mut stmt = self
                    .tx
                    .prepare_cached("SELECT fid FROM incidents WHERE import_key = ?1")
                    .at(path)?;
                let fids = stmt
                    .query_map([hash], |r| r.get(0))
                    .at(path)?
                    .collect::<Result<Vec<i64>, _>>()
                    .at(path)?;
                Ok(fids)
            }
        }
    }

    fn uid_owner(&self, path: &Path, uid: &str) -> Result<Option<i64>, StoreError> {
        match self.mode {
            Mode::Bulk => {
                let mut stmt = self
                    .tx
                    .prepare_cached("SELECT uid FROM incidents WHERE fid = ?1")
                    .at(path)?;
                for fid in self.uids.candidates(uid_hash(uid)) {
                    let stored: Option<String> =
                        stmt.query_row([fid], |r| r.get(0)).optional().at(path)?;
                    if stored.as_deref() == Some(uid) {
                        return Ok(Some(fid));
                    }
                }
                Ok(None)
            }
            Mode::Indexed => self
                .tx
                .prepare_cached("SELECT fid FROM incidents WHERE uid = ?1")
                .at(path)?
                .query_row([uid], |r| r.get(0))
                .optional()
                .at(path),
        }
    }

    fn push(&mut self, path: &Path, incident: &Incident) -> Result<PushOutcome, StoreError> {
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
        for fid in self.key_candidates(path, hash)? {
            let Some(stored) = read_stored_key(self.tx, path, fid)? else {
                continue;
            };
            if let Some(outcome) = compare(incident, fid, &stored) {
                match outcome {
                    PushOutcome::Duplicate { .. } => self.duplicates += 1,
                    PushOutcome::Conflict { .. } => self.conflicts += 1,
                    PushOutcome::Inserted => {}
                }
                return Ok(outcome);
            }
        }
        if let Some(fid) = self.uid_owner(path, &incident.uid)? {
            self.conflicts += 1;
            return Ok(PushOutcome::Conflict {
                fid,
                reason: format!(
                    "uid {:?} is already used by a different incident",
                    incident.uid
                ),
            });
        }
        let geom = point_blob(SRS_WGS84, incident.position.lon, incident.position.lat);
        let occurred_at = time::gpkg_datetime(incident.occurred_at);
        {
            let mut insert = self
                .tx
                .prepare_cached(
                    "INSERT INTO incidents (geom, uid, occurred_at, category, category_text, \
                     source, source_text, precision_m, place, description, import_file, \
                     external_id, import_key) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .at(path)?;
            insert
                .execute(params![
                    &geom[..],
                    incident.uid,
                    occurred_at,
                    incident.category.key(),
                    incident.category_text,
                    incident.source.key(),
                    incident.source_text,
                    incident.precision_m,
                    incident.place,
                    incident.description,
                    incident.import_file,
                    incident.external_id,
                    hash,
                ])
                .at(path)?;
        }
        let fid = self.tx.last_insert_rowid();
        if self.mode == Mode::Bulk {
            self.keys.insert(hash, fid);
            self.uids.insert(uid_hash(&incident.uid), fid);
        }
        self.points
            .push((fid, incident.position.lon, incident.position.lat));
        self.inserted += 1;
        Ok(PushOutcome::Inserted)
    }
}

impl ImportSession for Session<'_> {
    fn push(&mut self, incident: &Incident) -> Result<PushOutcome, StoreError> {
        let path = self.path;
        let Some(inner) = self.inner.as_mut() else {
            return Err(finished(path));
        };
        inner.push(path, incident)
    }

    fn commit(
        mut self: Box<Self>,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<(), StoreError> {
        let path = self.path;
        let Some(inner) = self.inner.take() else {
            return Err(finished(path));
        };
        let conn = inner.tx;
        let result = finish(inner, path, &self.file_name, progress, cancel);
        end(conn);
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
        RtreeError::Sqlite(source) => StoreError::Sqlite {
            path: path.to_owned(),
            source,
        },
        RtreeError::BadRoot(name) => StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("spatial index {name} has no valid root node"),
        },
        RtreeError::Cancelled(c) => StoreError::Cancelled(c),
    }
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
    inner: Inner<'_>,
    path: &Path,
    file_name: &str,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(), StoreError> {
    let Inner {
        tx,
        mode,
        rows_at_begin,
        keys,
        uids,
        points,
        inserted,
        duplicates,
        conflicts,
    } = inner;
    drop(keys);
    drop(uids);
    cancel.check()?;

    if mode == Mode::Bulk {
        progress.stage("Building indexes", INCIDENT_INDEXES.len() as u64);
        for (_, sql) in INCIDENT_INDEXES {
            tx.execute_batch(sql).at(path)?;
            progress.advance(1);
            cancel.check()?;
        }
    }

    let total = rows_at_begin + inserted;
    let rebuild = rows_at_begin == 0 || inserted as f64 >= REBUILD_SHARE * total as f64;
    let rtree_name = schema::rtree_name("incidents", "geom");
    let mut extent = if inserted == 0 {
        None
    } else if rebuild {
        progress.stage("Building spatial index", total);
        let all = if rows_at_begin == 0 {
            points
        } else {
            all_points(tx, path, cancel)?
        };
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
