//! Reading incidents in bulk for the analyses: one binary `COPY … TO
//! STDOUT` of the lean columns, sorted here rather than by the server (one
//! sort of a million rows on the client costs less than the server's, which
//! spills to disk at the default `work_mem`, and it leaves the shared server
//! free for the other users), and the analysis points projected on all cores.
//!
//! The analysis points are cached at two levels, both keyed on the change
//! log of the incidents, the row-level-security policy and the login's
//! visibility class (does it see socialtjänst and skola?):
//! - in memory for the life of the connection, from its second read on: a
//!   later analysis with nothing changed is a filter over memory (the first
//!   read hands its points over without a copy, as a command reads once);
//! - in the database, table `lagesbild_points_cache` (schema migration 5):
//!   the compact encoding of [`SwerefPoint`]s in [`compact`] (about 17 bytes
//!   a point, half the GeoPackage's 36), in chunks of 65,536 points, one
//!   variant per visibility class. A command's first read streams those
//!   chunks, decoding each as it arrives, instead of every row. Row-level
//!   security on that table lets a
//!   login read only the variants its class may see and store only its own
//!   class's, so what a writer stores is what its own view of `incidents`
//!   gave; a login without `lagesbild_sensitive` never reads the sensitive
//!   variant. A writer that read every row stores them for its class
//!   afterwards; a reader only uses what a writer left. A variant whose key
//!   is not the current one is never used (a later change just makes the
//!   key differ), and a damaged one (bad length, a point that is none,
//!   chunks missing) is ignored with a warning and the rows read instead.

use std::sync::LazyLock;

use postgres::{Client, GenericClient, IsolationLevel};

use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::ToSql;

use super::schema::{POLICY_FINGERPRINT_SQL, SEES_SENSITIVE_SQL, WRITE_ROLE};
use super::{PgStore, category_of, compact, copy, source_of};
use crate::jobs::CancelToken;
use crate::model::{Filter, IncidentPoint, LonLat};
use crate::store::StoreError;
use crate::store::points::{CHUNK_POINTS, SwerefPoint, project_all};

/// Where the analysis points of the last [`crate::store::Store::analysis_points`]
/// came from (a diagnostic: the tests check the stored cache was used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointsRead {
    /// The connection's own memory (nothing changed since its last read).
    Memory,
    /// The point cache stored in the database.
    StoredCache,
    /// Every row of `incidents`, read and projected.
    Rows,
}

/// What one stored variant of the point cache was made of
/// ([`PgStore::refresh_stored_points`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVariant {
    /// The variant of logins that see socialtjänst and skola?
    pub sees_sensitive: bool,
    /// Points in it.
    pub points: usize,
    /// Was it stored now (false: the stored one was current already, or one
    /// of a later change was there)?
    pub stored: bool,
}

/// What the cached points were read under: the change log of the
/// incidents (rows are visible only once their writer committed, so it
/// moves exactly when a change becomes visible; the largest id guards
/// against a count that comes back after rows were removed), the
/// row-level-security policy, the login and its visibility class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CacheKey {
    changes: i64,
    last_change: i64,
    policy: String,
    login: String,
    sensitive: bool,
}

/// What the connection remembers of its last read: every incident its
/// login sees, as analysis points, oldest first, once it has read them
/// twice under one key (`points` is `None` after the first: a store opened
/// for one command reads once, and its points are handed over uncopied).
pub(super) struct PointCache {
    key: CacheKey,
    points: Option<Vec<SwerefPoint>>,
}

static KEY_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT count(*), coalesce(max(id), 0)::bigint, {POLICY_FINGERPRINT_SQL}, \
         current_user::text, {SEES_SENSITIVE_SQL} FROM lagesbild.lagesbild_changes \
         WHERE table_name = 'incidents'"
    )
});

fn cache_key(client: &mut impl GenericClient) -> Result<CacheKey, postgres::Error> {
    let r = client.query_one(KEY_SQL.as_str(), &[])?;
    Ok(CacheKey {
        changes: r.try_get(0)?,
        last_change: r.try_get(1)?,
        policy: r.try_get::<_, Option<String>>(2)?.unwrap_or_default(),
        login: r.try_get(3)?,
        sensitive: r.try_get(4)?,
    })
}

/// The stored cache's `format` column.
const FORMAT: i32 = compact::FORMAT as i32;

impl PgStore {
    /// Runs `COPY (sql) TO STDOUT (FORMAT binary)` and returns the bytes.
    fn copy_out_with(
        &self,
        client: &mut impl postgres::GenericClient,
        sql: &str,
        cancel: &CancelToken,
    ) -> Result<Vec<u8>, StoreError> {
        use std::io::Read as _;
        let mut reader = client
            .copy_out(&format!("COPY ({sql}) TO STDOUT (FORMAT binary)"))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut chunk).map_err(|e| StoreError::Backend {
                location: self.location.clone(),
                source: Box::new(e),
            })?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
            cancel.check()?;
        }
        Ok(out)
    }

    /// The lean incidents passing `filter` (and lying in `bbox`), oldest
    /// first (ties by fid, as `ORDER BY occurred_at, fid` has them).
    pub(super) fn read_points(
        &self,
        client: &mut impl postgres::GenericClient,
        filter: &Filter,
        bbox: Option<geo::Rect<f64>>,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        let data = self.copy_out_with(
            client,
            &format!(
                "SELECT fid, occurred_at, category, source, ST_X(geom), ST_Y(geom), precision_m \
                 FROM lagesbild.incidents{}",
                Self::where_clause(filter, bbox)
            ),
            cancel,
        )?;
        let bad = |e: copy::DecodeError| self.corrupt(e);
        let mut d = copy::Decoder::new(&data).map_err(bad)?;
        let mut out = Vec::new();
        while d.next_row().map_err(bad)? {
            let fid = d.i64().map_err(bad)?;
            let occurred_at = d.time().map_err(bad)?;
            let category = category_of(d.text().map_err(bad)?);
            let source = source_of(d.text().map_err(bad)?);
            let position = LonLat::new(d.f64().map_err(bad)?, d.f64().map_err(bad)?);
            let precision_m = d.f64().map_err(bad)?;
            if !filter.matches_parts(occurred_at, category, source) {
                continue;
            }
            if bbox.is_some_and(|b| !crate::store::in_rect(b, position)) {
                continue;
            }
            out.push(IncidentPoint {
                fid,
                occurred_at,
                category,
                source,
                position,
                precision_m,
            });
            if out.len().is_multiple_of(65_536) {
                cancel.check()?;
            }
        }
        drop(data);
        cancel.check()?;
        out.sort_unstable_by_key(|p| (p.occurred_at, p.fid));
        Ok(out)
    }

    /// [`crate::store::Store::analysis_points`]: from the connection's
    /// memory when nothing changed since it was read (and kept, from the
    /// second read on), else from the point cache stored in the database
    /// when it is current, else every row (the key and the points in one
    /// snapshot), which a writer then stores.
    pub(super) fn cached_analysis_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<SwerefPoint>, StoreError> {
        let mut client = self.client.borrow_mut();
        // The connection's first read needs no key of its own (the read
        // below takes one in its snapshot): one query less for a command.
        let read_before = if self.points_cache.borrow().is_some() {
            let key = cache_key(&mut *client).map_err(|e| self.err(e))?;
            let cache = self.points_cache.borrow();
            match cache.as_ref().filter(|c| c.key == key) {
                Some(PointCache {
                    points: Some(points),
                    ..
                }) => {
                    self.points_read.set(Some(PointsRead::Memory));
                    return Ok(keep(points, filter));
                }
                Some(_) => true,
                None => false,
            }
        } else {
            false
        };
        // The old points go before the new ones are read (memory).
        *self.points_cache.borrow_mut() = None;
        // Points that will not be kept are filtered as they are decoded.
        let stored_filter = if read_before {
            Filter::default()
        } else {
            filter.clone()
        };
        let (key, points, read) =
            self.read_all_points(&mut client, None, &stored_filter, cancel)?;
        if read == PointsRead::Rows && self.can_write {
            // Storing is a favour to the next command: a failure is a warning.
            if let Err(e) = self.store_points(&mut client, None, &key, &points) {
                log::warn!(
                    "{}: the analysis points were not stored in the database: {}",
                    self.location,
                    self.err(e)
                );
            }
        }
        self.points_read.set(Some(read));
        // Kept (and copied) only by a connection that reads them again.
        let (out, kept) = if read_before {
            (keep(&points, filter), Some(points))
        } else if read == PointsRead::StoredCache || filter.is_empty() {
            (points, None)
        } else {
            (keep(&points, filter), None)
        };
        *self.points_cache.borrow_mut() = Some(PointCache { key, points: kept });
        Ok(out)
    }

    /// Where the last [`crate::store::Store::analysis_points`] read its
    /// points (`None` before the first).
    pub fn last_points_read(&self) -> Option<PointsRead> {
        self.points_read.get()
    }

    /// Stores the analysis points in the database for this login's
    /// visibility class (reading every row unless the stored variant is
    /// current already), and for a login that sees the sensitive sources
    /// also the variant of those that do not: read as the group role
    /// `lagesbild_write` (`SET LOCAL ROLE`), so that row-level security,
    /// not this code, decides what is in it; skipped (with a note in the
    /// log) when the login may not take that role or the role itself sees
    /// them. Called after an import or a push, so the meeting room's first
    /// command finds the points. Refused for a login that may not write.
    pub fn refresh_stored_points(
        &self,
        cancel: &CancelToken,
    ) -> Result<Vec<StoredVariant>, StoreError> {
        self.writable()?;
        let mut client = self.client.borrow_mut();
        let mut out = Vec::new();
        let all = Filter::default();
        let (key, points, read) = self.read_all_points(&mut client, None, &all, cancel)?;
        let stored = read == PointsRead::Rows
            && self
                .store_points(&mut client, None, &key, &points)
                .map_err(|e| self.err(e))?;
        out.push(StoredVariant {
            sees_sensitive: key.sensitive,
            points: points.len(),
            stored,
        });
        let sensitive = key.sensitive;
        *self.points_cache.borrow_mut() = Some(PointCache {
            key,
            points: Some(points),
        });
        if sensitive {
            match self.read_all_points(&mut client, Some(WRITE_ROLE), &all, cancel) {
                Ok((key, _, _)) if key.sensitive => log::info!(
                    "{}: the role {WRITE_ROLE} sees the sensitive sources itself: \
                     no variant without them stored",
                    self.location
                ),
                Ok((key, points, read)) => {
                    let stored = read == PointsRead::Rows
                        && self
                            .store_points(&mut client, Some(WRITE_ROLE), &key, &points)
                            .map_err(|e| self.err(e))?;
                    out.push(StoredVariant {
                        sees_sensitive: false,
                        points: points.len(),
                        stored,
                    });
                }
                Err(StoreError::Cancelled(c)) => return Err(c.into()),
                Err(e) => log::info!(
                    "{}: no variant without the sensitive sources stored (as {WRITE_ROLE}): {e}",
                    self.location
                ),
            }
        }
        Ok(out)
    }

    /// The cache key and every visible incident as analysis points, read in
    /// one repeatable-read snapshot (a commit in between cannot give points
    /// newer or older than their key): the stored variant of this login's
    /// class when it is current and sound (only the points passing
    /// `stored_filter`), else every row (all of them, which a writer stores).
    /// `as_role`: read as that role (`SET LOCAL ROLE`) instead of the login.
    fn read_all_points(
        &self,
        client: &mut Client,
        as_role: Option<&str>,
        stored_filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<(CacheKey, Vec<SwerefPoint>, PointsRead), StoreError> {
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| self.err(e))?;
        if let Some(role) = as_role {
            tx.batch_execute(&format!("SET LOCAL ROLE {role}"))
                .map_err(|e| self.err(e))?;
        }
        let key = cache_key(&mut tx).map_err(|e| self.err(e))?;
        if let Some(points) = self.read_stored(&mut tx, &key, stored_filter, cancel)? {
            tx.commit().map_err(|e| self.err(e))?;
            return Ok((key, points, PointsRead::StoredCache));
        }
        let lean = self.read_points(&mut tx, &Filter::default(), None, cancel)?;
        tx.commit().map_err(|e| self.err(e))?;
        cancel.check()?;
        Ok((key, project_all(&lean), PointsRead::Rows))
    }

    /// The points of the stored variant for `key` (inside the caller's
    /// snapshot) that pass `filter`, or `None` when there is none for this
    /// key or it is damaged (then with a warning). The chunks are decoded on
    /// a second thread as they arrive, so the transfer and the decoding
    /// overlap. A failing query (say, the table's SELECT revoked) is a
    /// warning too: it runs in a savepoint, so the snapshot goes on.
    fn read_stored(
        &self,
        tx: &mut postgres::Transaction<'_>,
        key: &CacheKey,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Option<Vec<SwerefPoint>>, StoreError> {
        let mut sp = tx.transaction().map_err(|e| self.err(e))?;
        let params: [&(dyn ToSql + Sync); 5] = [
            &key.sensitive,
            &key.changes,
            &key.last_change,
            &key.policy,
            &FORMAT,
        ];
        let cannot_read = |e: postgres::Error| {
            log::warn!(
                "{}: the stored analysis points cannot be read ({}); reading every \
                 incident instead",
                self.location,
                self.err(e)
            );
        };
        let mut rows = match sp.query_raw(
            "SELECT chunk, points, data FROM lagesbild.lagesbild_points_cache \
             WHERE sees_sensitive = $1 AND changes = $2 AND last_change = $3 \
               AND policy = $4 AND format = $5 ORDER BY chunk",
            params,
        ) {
            Ok(rows) => rows,
            Err(e) => {
                cannot_read(e);
                return Ok(None);
            }
        };
        // This thread takes the rows off the connection (TLS, protocol)
        // while another decodes the chunks that have come: the two overlap.
        let (streamed, decoded) = std::thread::scope(|scope| {
            let (send, received) = std::sync::mpsc::sync_channel::<postgres::Row>(2);
            let decoder = scope.spawn(move || {
                let mut chunks = StoredChunks::new(filter);
                for row in received {
                    chunks.push(&row)?;
                }
                chunks.finish()
            });
            let streamed = loop {
                if let Err(c) = cancel.check() {
                    break Err(StoreError::from(c));
                }
                match rows.next() {
                    // A closed channel: the decoder found damage (below).
                    Ok(Some(row)) => {
                        if send.send(row).is_err() {
                            break Ok(true);
                        }
                    }
                    Ok(None) => break Ok(true),
                    Err(e) => {
                        cannot_read(e);
                        break Ok(false);
                    }
                }
            };
            drop(send);
            let decoded = decoder
                .join()
                .unwrap_or_else(|_| Err("the decoding thread panicked".to_owned()));
            (streamed, decoded)
        });
        drop(rows);
        if !streamed? {
            return Ok(None);
        }
        match decoded {
            Ok(points) => {
                sp.commit().map_err(|e| self.err(e))?;
                Ok(points)
            }
            Err(reason) => {
                log::warn!(
                    "{}: the stored analysis points (lagesbild_points_cache) are damaged: \
                     {reason}; reading every incident instead",
                    self.location
                );
                Ok(None)
            }
        }
    }

    /// Replaces the stored variant of `key`'s class by `points`, labelled
    /// with `key`, in one transaction (taken in turn by writers of the same
    /// class). Nothing is stored when the class has changed since the read
    /// or a variant of a later change is there already. `as_role`: as that
    /// role (`SET LOCAL ROLE`). Returns whether it stored.
    fn store_points(
        &self,
        client: &mut Client,
        as_role: Option<&str>,
        key: &CacheKey,
        points: &[SwerefPoint],
    ) -> Result<bool, postgres::Error> {
        let mut tx = client.transaction()?;
        if let Some(role) = as_role {
            tx.batch_execute(&format!("SET LOCAL ROLE {role}"))?;
        }
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('lagesbild_points_cache'), $1)",
            &[&i32::from(key.sensitive)],
        )?;
        let (sensitive, newer): (bool, bool) = {
            let r = tx.query_one(
                &format!(
                    "SELECT {SEES_SENSITIVE_SQL}, EXISTS (SELECT 1 FROM \
                     lagesbild.lagesbild_points_cache WHERE sees_sensitive = $1 \
                     AND last_change > $2)"
                ),
                &[&key.sensitive, &key.last_change],
            )?;
            (r.try_get(0)?, r.try_get(1)?)
        };
        if sensitive != key.sensitive || newer {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM lagesbild.lagesbild_points_cache WHERE sees_sensitive = $1",
            &[&key.sensitive],
        )?;
        let insert = tx.prepare(
            "INSERT INTO lagesbild.lagesbild_points_cache \
             (sees_sensitive, chunk, points, changes, last_change, policy, format, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )?;
        let total = points.len() as i64;
        let mut buf = Vec::new();
        // An empty project is one empty chunk: stored, so it is no miss.
        let parts: Vec<&[SwerefPoint]> = if points.is_empty() {
            vec![points]
        } else {
            points.chunks(CHUNK_POINTS).collect()
        };
        for (i, part) in parts.into_iter().enumerate() {
            buf.clear();
            compact::encode(part, &mut buf);
            tx.execute(
                &insert,
                &[
                    &key.sensitive,
                    &(i as i32),
                    &total,
                    &key.changes,
                    &key.last_change,
                    &key.policy,
                    &FORMAT,
                    &buf.as_slice(),
                ],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }
}

/// The points passing a filter of a stored variant's rows (`chunk, points,
/// data`), taken in chunk order as they arrive, or why they are not sound:
/// chunks numbered 0, 1, 2 … with no gap, each a chunk that decodes, as
/// many points in all as every row says.
struct StoredChunks<'f> {
    filter: &'f Filter,
    out: Vec<SwerefPoint>,
    rows: usize,
    points: i64,
    expected: Option<i64>,
}

impl<'f> StoredChunks<'f> {
    fn new(filter: &'f Filter) -> Self {
        StoredChunks {
            filter,
            out: Vec::new(),
            rows: 0,
            points: 0,
            expected: None,
        }
    }

    fn push(&mut self, r: &postgres::Row) -> Result<(), String> {
        let chunk: i32 = r.try_get(0).map_err(|e| e.to_string())?;
        let total: i64 = r.try_get(1).map_err(|e| e.to_string())?;
        let data: &[u8] = r.try_get(2).map_err(|e| e.to_string())?;
        let i = self.rows;
        if i64::from(chunk) != i as i64 {
            return Err(format!("chunk {i} is missing"));
        }
        if *self.expected.get_or_insert(total) != total {
            return Err(format!(
                "chunk {chunk} counts {total} points, not {:?}",
                self.expected
            ));
        }
        if i == 0 && self.filter.is_empty() {
            self.out
                .reserve(usize::try_from(total).unwrap_or(0).min(1 << 26));
        }
        let n = compact::decode_into(data, self.filter, &mut self.out).ok_or_else(|| {
            format!(
                "chunk {chunk} ({} bytes) is not a whole number of valid points",
                data.len()
            )
        })?;
        self.points += n as i64;
        self.rows += 1;
        Ok(())
    }

    /// The points; `None` when there was no row (nothing stored for the key).
    fn finish(self) -> Result<Option<Vec<SwerefPoint>>, String> {
        let Some(expected) = self.expected else {
            return Ok(None);
        };
        if self.points != expected {
            return Err(format!(
                "{} points in the chunks, {expected} expected",
                self.points
            ));
        }
        Ok(Some(self.out))
    }
}

/// The points passing `filter` (all of them for the empty filter).
fn keep(points: &[SwerefPoint], filter: &Filter) -> Vec<SwerefPoint> {
    if filter.is_empty() {
        points.to_vec()
    } else {
        points
            .iter()
            .filter(|p| p.matches(filter))
            .copied()
            .collect()
    }
}
