//! The hosts' tracks and check-ins in the shared store (schema version 4),
//! with the GeoPackage's rules (`store::gpkg::tracks`): `tracks` is a
//! PostGIS layer (`geometry(Point, 4326)` with a GiST index), one row per
//! fix with `track_id`, the host code, `fix_time` and the source file; a
//! track whose host, first fix and number of fixes match a stored one is the
//! same file imported again and is skipped; check-ins are keyed by place,
//! host and check-in time. Times are kept to the millisecond, as there.
//!
//! Who sees them: the tracks say where an employee walked, so only
//! `lagesbild_write` (the planners who import and evaluate patrols) may read
//! or change them; `lagesbild_read` has no privilege on either table, and
//! this module says so clearly before PostgreSQL would refuse.

use chrono::{DateTime, NaiveDate, Utc};
use postgres::GenericClient;

use super::edit::truncate_ms;
use super::{PgStore, SRID};
use crate::model::LonLat;
use crate::model::track::{CheckIn, Fix, Track};
use crate::store::gpkg::tracks::{checkin_problem, track_problem};
use crate::store::{StoreError, TrackSummary};

/// The UTC bounds of local dates `from`..=`to` (`None`: open).
fn bounds(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    crate::model::Filter {
        from,
        to,
        ..Default::default()
    }
    .utc_bounds()
}

/// Deletes tracks that ended, and check-ins that closed, before `before`,
/// inside the caller's transaction; returns (tracks, check-ins) deleted.
pub(super) fn delete_tracks_before(
    tx: &mut impl GenericClient,
    before: DateTime<Utc>,
) -> Result<(usize, usize), postgres::Error> {
    let tracks: i64 = tx
        .query_one(
            "WITH gone AS (DELETE FROM tracks WHERE track_id IN \
             (SELECT track_id FROM tracks GROUP BY track_id HAVING max(fix_time) < $1) \
             RETURNING track_id) SELECT count(DISTINCT track_id) FROM gone",
            &[&before],
        )?
        .get(0);
    let checkins = tx.execute(
        "DELETE FROM lagesbild_checkins WHERE checked_out < $1",
        &[&before],
    )?;
    Ok((tracks.max(0) as usize, checkins as usize))
}

impl PgStore {
    fn invalid_track(&self, reason: String) -> StoreError {
        StoreError::InvalidTrack {
            path: self.location.clone().into(),
            reason,
        }
    }

    /// Refuses, with the reason, a login that may not see the hosts' tracks.
    pub(super) fn tracks_readable(&self) -> Result<(), StoreError> {
        let may: bool = self
            .client
            .borrow_mut()
            .query_one(
                "SELECT has_table_privilege('lagesbild.tracks', 'SELECT') \
                 AND has_table_privilege('lagesbild.lagesbild_checkins', 'SELECT')",
                &[],
            )
            .map_err(|e| self.err(e))?
            .get(0);
        if may {
            return Ok(());
        }
        Err(StoreError::PermissionDenied {
            location: self.location.clone(),
            reason: format!(
                "the login {:?} may not see the hosts' tracks and check-ins: they are personal \
                 data, kept for the role {}",
                self.user,
                super::schema::WRITE_ROLE
            ),
        })
    }

    pub(super) fn store_tracks(&mut self, tracks: &[Track]) -> Result<(usize, usize), StoreError> {
        self.writable()?;
        if let Some(reason) = track_problem(tracks) {
            return Err(self.invalid_track(reason));
        }
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        // Two imports of the same file at once: one after the other, so the
        // second sees the first's track and skips it.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('lagesbild tracks'))",
            &[],
        )
        .map_err(err)?;
        let same = tx
            .prepare(
                "SELECT track_id FROM tracks WHERE host = $1 GROUP BY track_id \
                 HAVING min(fix_time) = $2 AND count(*) = $3 LIMIT 1",
            )
            .map_err(err)?;
        let insert = tx
            .prepare(&format!(
                "INSERT INTO tracks (geom, track_id, host, fix_time, source) \
                 SELECT ST_SetSRID(ST_MakePoint(u.lon, u.lat), {SRID}), $1, $2, u.at, $3 \
                 FROM unnest($4::float8[], $5::float8[], $6::timestamptz[]) AS u(lon, lat, at)"
            ))
            .map_err(err)?;
        let (mut stored, mut skipped) = (0, 0);
        for t in tracks {
            let mut sorted = t.clone();
            for f in &mut sorted.fixes {
                f.at = truncate_ms(f.at);
            }
            sorted.sort();
            let first = sorted.fixes[0].at;
            let n = sorted.fixes.len() as i64;
            if tx
                .query_opt(&same, &[&t.host, &first, &n])
                .map_err(err)?
                .is_some()
            {
                skipped += 1;
                continue;
            }
            let id: i64 = tx
                .query_one("SELECT nextval('lagesbild.tracks_track_id_seq')", &[])
                .map_err(err)?
                .get(0);
            let lon: Vec<f64> = sorted.fixes.iter().map(|f| f.position.lon).collect();
            let lat: Vec<f64> = sorted.fixes.iter().map(|f| f.position.lat).collect();
            let at: Vec<DateTime<Utc>> = sorted.fixes.iter().map(|f| f.at).collect();
            tx.execute(&insert, &[&id, &t.host, &t.source, &lon, &lat, &at])
                .map_err(err)?;
            stored += 1;
        }
        tx.commit().map_err(err)?;
        Ok((stored, skipped))
    }

    pub(super) fn load_tracks(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Track>, StoreError> {
        self.tracks_readable()?;
        let (a, b) = bounds(from, to);
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT track_id, host, source, fix_time, ST_X(geom), ST_Y(geom) FROM tracks \
                 WHERE ($1::timestamptz IS NULL OR fix_time >= $1) \
                 AND ($2::timestamptz IS NULL OR fix_time < $2) ORDER BY track_id, fix_time",
                &[&a, &b],
            )
            .map_err(|e| self.err(e))?;
        let mut out: Vec<(i64, Track)> = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get(0).map_err(|e| self.err(e))?;
            let fix = Fix {
                at: r.try_get(3).map_err(|e| self.err(e))?,
                position: LonLat::new(
                    r.try_get(4).map_err(|e| self.err(e))?,
                    r.try_get(5).map_err(|e| self.err(e))?,
                ),
            };
            match out.last_mut() {
                Some((last, t)) if *last == id => t.fixes.push(fix),
                _ => out.push((
                    id,
                    Track {
                        host: r.try_get(1).map_err(|e| self.err(e))?,
                        source: r.try_get(2).map_err(|e| self.err(e))?,
                        fixes: vec![fix],
                    },
                )),
            }
        }
        Ok(out.into_iter().map(|(_, t)| t).collect())
    }

    pub(super) fn track_list(&self) -> Result<Vec<TrackSummary>, StoreError> {
        self.tracks_readable()?;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT host, source, min(fix_time), max(fix_time), count(*) FROM tracks \
                 GROUP BY track_id, host, source ORDER BY min(fix_time), host",
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| -> Result<TrackSummary, postgres::Error> {
                let n: i64 = r.try_get(4)?;
                Ok(TrackSummary {
                    host: r.try_get(0)?,
                    source: r.try_get(1)?,
                    first: r.try_get(2)?,
                    last: r.try_get(3)?,
                    fixes: n.max(0) as u64,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    pub(super) fn store_checkins(
        &mut self,
        checkins: &[CheckIn],
    ) -> Result<(usize, usize), StoreError> {
        self.writable()?;
        if let Some(reason) = checkin_problem(checkins) {
            return Err(self.invalid_track(reason));
        }
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        let insert = tx
            .prepare(
                "INSERT INTO lagesbild_checkins (place, host, checked_in, checked_out) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (place, host, checked_in) DO NOTHING",
            )
            .map_err(err)?;
        let (mut stored, mut skipped) = (0, 0);
        for c in checkins {
            let n = tx
                .execute(
                    &insert,
                    &[
                        &c.place,
                        &c.host,
                        &truncate_ms(c.checked_in),
                        &truncate_ms(c.checked_out),
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                skipped += 1;
            } else {
                stored += 1;
            }
        }
        tx.commit().map_err(err)?;
        Ok((stored, skipped))
    }

    pub(super) fn load_checkins(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<CheckIn>, StoreError> {
        self.tracks_readable()?;
        let (a, b) = bounds(from, to);
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT place, host, checked_in, checked_out FROM lagesbild_checkins \
                 WHERE ($1::timestamptz IS NULL OR checked_in >= $1) \
                 AND ($2::timestamptz IS NULL OR checked_in < $2) ORDER BY checked_in, id",
                &[&a, &b],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| -> Result<CheckIn, postgres::Error> {
                Ok(CheckIn {
                    place: r.try_get(0)?,
                    host: r.try_get(1)?,
                    checked_in: r.try_get(2)?,
                    checked_out: r.try_get(3)?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    pub(super) fn prune_before(
        &mut self,
        before: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        self.writable()?;
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        let deleted = delete_tracks_before(&mut tx, before).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(deleted)
    }
}
