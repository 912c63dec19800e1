//! One import into the shared store, in one transaction, with the
//! GeoPackage's duplicate and conflict rules (`store::gpkg::session`: the
//! same key hash, the same field-by-field comparison, the same messages).
//!
//! At begin the session takes the database's import lock (a transaction
//! advisory lock: two imports at once run one after the other, so neither
//! misses the other's rows), then reads the duplicate-deciding fields of
//! every incident this login can see with one binary COPY. Pushed rows are
//! decided in memory and written with binary COPY into a temporary staging
//! table; commit moves them into `incidents` with one `INSERT … SELECT`,
//! which PostgreSQL checks against the row-level security policy (COPY
//! straight into a table with row-level security is refused by PostgreSQL).
//!
//! The secondary indexes (GiST, time, key) are dropped before that INSERT
//! and built again after it, under an ACCESS EXCLUSIVE lock until commit,
//! when the table is empty or the import is large (at least
//! `schema::BULK_LOAD_LARGE_MIN` rows and `schema::BULK_LOAD_LARGE_SHARE` of
//! the table); otherwise they are maintained row by row and readers never
//! wait. Any writer may do this, not only the owner, through schema
//! migration 6's functions ([`bulk_load_begin`]).

use std::io::Write as _;

use super::copy::{self, Encoder};
use super::{PgStore, SRID};
use crate::jobs::{CancelToken, Progress};
use crate::model::{Incident, LonLat};
use crate::store::gpkg::session::{KeyMap, StoredKey, compare, key_hash, uid_hash};
use crate::store::{ImportSession, PushOutcome, StoreError};

/// Rows buffered before they are sent to the staging table.
const FLUSH_ROWS: usize = 65_536;
/// Fids reserved from the sequence at a time: a small first block (a small
/// import leaves a small gap), doubling up to the largest.
const FID_BLOCK_FIRST: i64 = 16;
const FID_BLOCK_MAX: i64 = 65_536;

const COLUMNS: &str = "fid, geom, uid, occurred_at, category, category_text, source, \
     source_text, precision_m, place, description, import_file, external_id, import_key";

/// An incident known to the session (stored before, or pushed).
struct Known {
    fid: i64,
    key: StoredKey,
    uid: Box<str>,
}

pub(super) struct Session<'a> {
    tx: Option<postgres::Transaction<'a>>,
    location: String,
    user: String,
    file_name: String,
    known: Vec<Known>,
    /// key hash → index into `known`
    keys: KeyMap,
    /// uid hash → index into `known`
    uids: KeyMap,
    buffer: Vec<u8>,
    buffered: usize,
    fids: std::vec::IntoIter<i64>,
    fid_block: i64,
    inserted: u64,
    duplicates: u64,
    conflicts: u64,
}

impl<'a> Session<'a> {
    pub(super) fn begin(
        store: &'a mut PgStore,
        file_name: &str,
    ) -> Result<Session<'a>, StoreError> {
        let location = store.location.clone();
        let user = store.user.clone();
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = store.client.get_mut().transaction().map_err(err)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('lagesbild import'))",
            &[],
        )
        .map_err(err)?;
        tx.batch_execute(
            "CREATE TEMP TABLE lagesbild_staging ON COMMIT DROP AS \
             SELECT * FROM lagesbild.incidents WITH NO DATA",
        )
        .map_err(err)?;
        let mut known = Vec::new();
        let mut keys = KeyMap::default();
        let mut uids = KeyMap::default();
        {
            use std::io::Read as _;
            let mut data = Vec::new();
            tx.copy_out(
                "COPY (SELECT fid, uid, source, external_id, occurred_at, ST_X(geom), ST_Y(geom), \
                 category FROM lagesbild.incidents) TO STDOUT (FORMAT binary)",
            )
            .map_err(err)?
            .read_to_end(&mut data)
            .map_err(|e| StoreError::Backend {
                location: location.clone(),
                source: Box::new(e),
            })?;
            let bad = |e: copy::DecodeError| StoreError::Corrupt {
                path: location.clone().into(),
                reason: e.to_string(),
            };
            let mut d = copy::Decoder::new(&data).map_err(bad)?;
            while d.next_row().map_err(bad)? {
                let fid = d.i64().map_err(bad)?;
                let uid: Box<str> = d.text().map_err(bad)?.into();
                let source = super::source_of(d.text().map_err(bad)?);
                let external_id = d.opt_text().map_err(bad)?.map(str::to_owned);
                let occurred_at = d.time().map_err(bad)?;
                let position = LonLat::new(d.f64().map_err(bad)?, d.f64().map_err(bad)?);
                let category = super::category_of(d.text().map_err(bad)?);
                let key = StoredKey {
                    source,
                    external_id,
                    occurred_at,
                    position,
                    category,
                };
                let index = known.len() as i64;
                keys.insert(stored_hash(&key), index);
                uids.insert(uid_hash(&uid), index);
                known.push(Known { fid, key, uid });
            }
        }
        let mut buffer = Vec::with_capacity(1 << 20);
        buffer.extend_from_slice(&copy::header());
        Ok(Session {
            tx: Some(tx),
            location,
            user,
            file_name: file_name.to_owned(),
            known,
            keys,
            uids,
            buffer,
            buffered: 0,
            fids: Vec::new().into_iter(),
            fid_block: FID_BLOCK_FIRST,
            inserted: 0,
            duplicates: 0,
            conflicts: 0,
        })
    }

    fn err(&self, e: postgres::Error) -> StoreError {
        super::db_err(&self.location, &self.user, e)
    }

    fn tx(&mut self) -> Result<&mut postgres::Transaction<'a>, StoreError> {
        let location = self.location.clone();
        self.tx.as_mut().ok_or_else(|| finished(&location))
    }

    fn next_fid(&mut self) -> Result<i64, StoreError> {
        if let Some(fid) = self.fids.next() {
            return Ok(fid);
        }
        let block = self.fid_block;
        self.fid_block = (block * 2).min(FID_BLOCK_MAX);
        // One row (an array), not one row per id: 65,536 rows took a
        // second to send, the ids themselves a tenth of that.
        let mut block: Vec<i64> = self
            .tx()?
            .query_one(
                "SELECT array_agg(nextval(pg_get_serial_sequence('lagesbild.incidents', 'fid'))) \
                 FROM generate_series(1, $1::bigint)",
                &[&block],
            )
            .map_err(|e| super::db_err(&self.location, &self.user, e))?
            .get(0);
        block.sort_unstable();
        self.fids = block.into_iter();
        self.fids.next().ok_or_else(|| StoreError::Corrupt {
            path: self.location.clone().into(),
            reason: "the incident id sequence gave no value".to_owned(),
        })
    }

    /// Sends the buffered rows to the staging table.
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.buffered == 0 {
            return Ok(());
        }
        self.buffer.extend_from_slice(&copy::TRAILER);
        let location = self.location.clone();
        let user = self.user.clone();
        let io = |e: std::io::Error| StoreError::Backend {
            location: location.clone(),
            source: Box::new(e),
        };
        let tx = self.tx.as_mut().ok_or_else(|| finished(&location))?;
        let mut writer = tx
            .copy_in(&format!(
                "COPY lagesbild_staging ({COLUMNS}) FROM STDIN (FORMAT binary)"
            ))
            .map_err(|e| super::db_err(&location, &user, e))?;
        writer.write_all(&self.buffer).map_err(io)?;
        writer
            .finish()
            .map_err(|e| super::db_err(&location, &user, e))?;
        self.buffer.clear();
        self.buffer.extend_from_slice(&copy::header());
        self.buffered = 0;
        Ok(())
    }

    fn push_row(&mut self, incident: &Incident) -> Result<PushOutcome, StoreError> {
        if self.tx.is_none() {
            return Err(finished(&self.location));
        }
        let invalid = |reason: String| StoreError::InvalidIncident {
            path: self.location.clone().into(),
            reason,
        };
        if !incident.position.is_finite() {
            return Err(invalid(format!(
                "position is not a finite number (lon {}, lat {})",
                incident.position.lon, incident.position.lat
            )));
        }
        if !incident.precision_m.is_finite() {
            return Err(invalid(format!(
                "precision {} m is not a finite number",
                incident.precision_m
            )));
        }
        let hash = key_hash(incident);
        for index in self.keys.candidates(hash) {
            let k = &self.known[index as usize];
            if let Some(outcome) = compare(incident, k.fid, &k.key) {
                match outcome {
                    PushOutcome::Duplicate { .. } => self.duplicates += 1,
                    PushOutcome::Conflict { .. } => self.conflicts += 1,
                    PushOutcome::Inserted => {}
                }
                return Ok(outcome);
            }
        }
        let uid_owner = self
            .uids
            .candidates(uid_hash(&incident.uid))
            .map(|i| &self.known[i as usize])
            .find(|k| *k.uid == *incident.uid)
            .map(|k| k.fid);
        if let Some(fid) = uid_owner {
            self.conflicts += 1;
            return Ok(PushOutcome::Conflict {
                fid,
                reason: format!(
                    "uid {:?} is already used by a different incident",
                    incident.uid
                ),
            });
        }
        let fid = self.next_fid()?;
        encode(&mut self.buffer, fid, incident, hash);
        self.buffered += 1;
        let index = self.known.len() as i64;
        self.keys.insert(hash, index);
        self.uids.insert(uid_hash(&incident.uid), index);
        self.known.push(Known {
            fid,
            key: StoredKey {
                source: incident.source,
                external_id: incident.external_id.clone(),
                occurred_at: incident.occurred_at,
                position: incident.position,
                category: incident.category,
            },
            uid: incident.uid.as_str().into(),
        });
        self.inserted += 1;
        if self.buffered >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(PushOutcome::Inserted)
    }
}

/// The key hash of a stored row (the same as [`key_hash`] of its incident).
fn stored_hash(key: &StoredKey) -> i64 {
    let mut probe = Incident::new(key.occurred_at, key.category, key.source, key.position, 0.0);
    probe.external_id = key.external_id.clone();
    key_hash(&probe)
}

fn encode(buffer: &mut Vec<u8>, fid: i64, i: &Incident, import_key: i64) {
    let mut e = Encoder(buffer);
    e.row(14);
    e.i64(fid);
    e.point(SRID, i.position.lon, i.position.lat);
    e.text(&i.uid);
    e.time(i.occurred_at);
    e.text(i.category.key());
    e.opt_text(i.category_text.as_deref());
    e.text(i.source.key());
    e.opt_text(i.source_text.as_deref());
    e.f64(i.precision_m);
    e.opt_text(i.place.as_deref());
    e.opt_text(i.description.as_deref());
    e.opt_text(i.import_file.as_deref());
    e.opt_text(i.external_id.as_deref());
    e.i64(import_key);
}

/// Makes a bulk load fast, for the owner and every writer alike: when
/// `incidents` is empty, or `adding` rows are many and at least half as
/// many as it holds (`schema::BULK_LOAD_LARGE_SHARE`, measured), the
/// secondary indexes (the GiST index of the geometry, the time and the key
/// index) are dropped here and built again once the rows are in
/// ([`bulk_load_finish`]), which for a million rows is several times faster
/// than maintaining them row by row. Only the table's owner may drop an
/// index, so this is done by the `SECURITY DEFINER` functions of schema
/// migration 6 (owned by the table's owner, executable by `lagesbild_write`;
/// see `schema::migration_6_bulk_load`): the table is locked (ACCESS
/// EXCLUSIVE) until commit, so nobody reads it without its indexes (readers
/// wait for the commit; in an empty table there was nothing to read).
/// Returns whether the indexes were dropped (`false`: a small import into a
/// table with rows, or functions not owned by the table's owner, when a
/// writer ran the migration; the rows then go in with the indexes kept).
fn bulk_load_begin(
    tx: &mut postgres::Transaction<'_>,
    adding: i64,
) -> Result<bool, postgres::Error> {
    let usable: bool = tx
        .query_one(
            "SELECT coalesce((SELECT p.proowner = c.relowner \
                 AND has_function_privilege(p.oid, 'EXECUTE') \
               FROM pg_proc p, pg_class c \
              WHERE p.oid = to_regprocedure('lagesbild.lagesbild_bulk_load_begin(bigint)') \
                AND c.oid = 'lagesbild.incidents'::regclass), false)",
            &[],
        )?
        .get(0);
    if !usable {
        return Ok(false);
    }
    tx.query_one("SELECT lagesbild.lagesbild_bulk_load_begin($1)", &[&adding])
        .map(|r| r.get(0))
}

/// Builds the indexes [`bulk_load_begin`] dropped (from the definitions
/// fixed in the function, never from this side).
fn bulk_load_finish(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    tx.execute("SELECT lagesbild.lagesbild_bulk_load_finish()", &[])
        .map(drop)
}

fn finished(location: &str) -> StoreError {
    StoreError::InvalidIncident {
        path: location.into(),
        reason: "the import was already committed".to_owned(),
    }
}

impl ImportSession for Session<'_> {
    fn push(&mut self, incident: &Incident) -> Result<PushOutcome, StoreError> {
        self.push_row(incident)
    }

    fn commit(
        mut self: Box<Self>,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<(), StoreError> {
        progress.stage("Writing incidents", 0);
        self.flush()?;
        cancel.check()?;
        let (inserted, duplicates, conflicts) = (
            self.inserted as i64,
            self.duplicates as i64,
            self.conflicts as i64,
        );
        let file_name = self.file_name.clone();
        let mut tx = self.tx.take().ok_or_else(|| finished(&self.location))?;
        let result = (|| {
            if inserted > 0 {
                progress.stage("Building indexes", 0);
                let dropped = bulk_load_begin(&mut tx, inserted)?;
                tx.execute(
                    &format!(
                        "INSERT INTO lagesbild.incidents ({COLUMNS}) \
                         SELECT {COLUMNS} FROM lagesbild_staging"
                    ),
                    &[],
                )?;
                if dropped {
                    bulk_load_finish(&mut tx)?;
                }
            }
            tx.execute(
                "INSERT INTO lagesbild.lagesbild_imports (file_name, inserted, duplicates, \
                 conflicts, app_version) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &file_name,
                    &inserted,
                    &duplicates,
                    &conflicts,
                    &crate::APP_NAME_VERSION,
                ],
            )?;
            Ok::<_, postgres::Error>(())
        })();
        if let Err(e) = result {
            return Err(self.err(e));
        }
        cancel.check()?;
        progress.stage("Saving", 0);
        tx.commit().map_err(|e| self.err(e))
    }
}
