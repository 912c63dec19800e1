//! Reading incidents in bulk for the analyses: one binary `COPY … TO
//! STDOUT` of the lean columns, sorted here rather than by the server (one
//! sort of a million rows on the client costs less than the server's, which
//! spills to disk at the default `work_mem`, and it leaves the shared server
//! free for the other users), and the analysis points projected on all cores.
//!
//! The analysis points of every incident this login sees are kept in memory
//! for the life of the connection, keyed on the change log and the login's
//! role: a second analysis with nothing changed is a filter over memory, as
//! the GeoPackage's point cache is. Nothing is kept in the database, so
//! row-level security decides every read: the cache belongs to one
//! connection (one login), and a grant or revoke of `lagesbild_sensitive`
//! changes the key.

use postgres::{Client, IsolationLevel};

use super::{PgStore, category_of, copy, source_of};
use crate::jobs::CancelToken;
use crate::model::{Filter, IncidentPoint, LonLat};
use crate::store::StoreError;
use crate::store::points::{SwerefPoint, project_all};

/// What the cached points were read under: the change log of the
/// incidents (rows are visible only once their writer committed, so it
/// moves exactly when a change becomes visible; the largest id guards
/// against a count that comes back after rows were removed), the login and
/// whether it may see the sensitive sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CacheKey {
    changes: i64,
    last_change: i64,
    login: String,
    sensitive: bool,
}

/// Every incident this connection's login sees, as analysis points, oldest first.
pub(super) struct PointCache {
    key: CacheKey,
    points: Vec<SwerefPoint>,
}

const KEY_SQL: &str = "SELECT count(*), coalesce(max(id), 0)::bigint, current_user::text, \
     pg_has_role($1, 'MEMBER') FROM lagesbild.lagesbild_changes \
     WHERE table_name = 'incidents'";

fn cache_key(client: &mut impl postgres::GenericClient) -> Result<CacheKey, postgres::Error> {
    let r = client.query_one(KEY_SQL, &[&super::schema::SENSITIVE_ROLE])?;
    Ok(CacheKey {
        changes: r.try_get(0)?,
        last_change: r.try_get(1)?,
        login: r.try_get(2)?,
        sensitive: r.try_get(3)?,
    })
}

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
    /// cache when nothing changed since it was read, else read again (the
    /// key and the rows in one snapshot) and kept.
    pub(super) fn cached_analysis_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<SwerefPoint>, StoreError> {
        let mut client = self.client.borrow_mut();
        let key = cache_key(&mut *client).map_err(|e| self.err(e))?;
        {
            let cache = self.points_cache.borrow();
            if let Some(c) = cache.as_ref().filter(|c| c.key == key) {
                return Ok(keep(&c.points, filter));
            }
        }
        // The old points go before the new ones are read (memory).
        *self.points_cache.borrow_mut() = None;
        let (key, points) = self.read_all_points(&mut client, cancel)?;
        let out = keep(&points, filter);
        *self.points_cache.borrow_mut() = Some(PointCache { key, points });
        Ok(out)
    }

    /// The cache key and every visible incident as analysis points, read in
    /// one repeatable-read snapshot (a commit in between cannot give points
    /// newer or older than their key).
    fn read_all_points(
        &self,
        client: &mut Client,
        cancel: &CancelToken,
    ) -> Result<(CacheKey, Vec<SwerefPoint>), StoreError> {
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| self.err(e))?;
        let key = cache_key(&mut tx).map_err(|e| self.err(e))?;
        let lean = self.read_points(&mut tx, &Filter::default(), None, cancel)?;
        tx.commit().map_err(|e| self.err(e))?;
        cancel.check()?;
        Ok((key, project_all(&lean)))
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
