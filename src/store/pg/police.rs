//! Police events by id in the shared store (see [`crate::store::police`]),
//! with the GeoPackage's rules (`store::gpkg::police`): a new id is
//! inserted, a stored id whose text, type, time or place changed is updated
//! in place with its earlier version kept in `lagesbild_police_history`, and
//! summaries go to `lagesbild_police_summaries` (schema version 4). Events
//! are incidents of the source `polis`, so the row-level security of
//! `incidents` lets every writer store them.
//!
//! One batch is one transaction, under the import lock of
//! `store::pg::session` (two harvests at once run one after the other, so
//! neither inserts an id the other just stored).

use postgres::Transaction;

use super::edit::{insert_sql, truncate_ms, update_sql, write};
use super::{INCIDENT_COLUMNS, PgStore, SRID, category_of, incident_of_row};
use crate::jobs::CancelToken;
use crate::model::{Incident, LonLat, Source, new_uid};
use crate::store::StoreError;
use crate::store::gpkg::session::key_hash;
use crate::store::police::{
    PoliceSummary, PoliceUpsert, PoliceVersion, same_version, version_differs,
};

/// The stored police incident with the external id of `probe`.
fn stored_event(
    tx: &mut Transaction<'_>,
    probe: &Incident,
) -> Result<Option<Incident>, postgres::Error> {
    let row = tx.query_opt(
        &format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents \
             WHERE import_key = $1 AND source = $2 AND external_id = $3"
        ),
        &[&key_hash(probe), &probe.source.key(), &probe.external_id],
    )?;
    row.as_ref().map(incident_of_row).transpose()
}

/// Files `before` (incident `fid`) in the history with `reason`.
fn keep_version(
    tx: &mut Transaction<'_>,
    fid: i64,
    before: &Incident,
    reason: &str,
) -> Result<u64, postgres::Error> {
    keep_version_at(tx, fid, before, reason, None)
}

/// Files `before` as replaced at `replaced_at` (`None`: now).
fn keep_version_at(
    tx: &mut Transaction<'_>,
    fid: i64,
    before: &Incident,
    reason: &str,
    replaced_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<u64, postgres::Error> {
    tx.execute(
        &format!(
            "INSERT INTO lagesbild_police_history (external_id, fid, reason, uid, occurred_at, \
             category, category_text, geom, precision_m, place, description, import_file, \
             replaced_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, ST_SetSRID(ST_MakePoint($8, $9), {SRID}), \
             $10, $11, $12, $13, coalesce($14, now()))"
        ),
        &[
            &before.external_id,
            &fid,
            &reason,
            &before.uid,
            &before.occurred_at,
            &before.category.key(),
            &before.category_text,
            &before.position.lon,
            &before.position.lat,
            &before.precision_m,
            &before.place,
            &before.description,
            &before.import_file,
            &replaced_at.map(truncate_ms),
        ],
    )
}

fn upsert_summary(tx: &mut Transaction<'_>, s: &PoliceSummary) -> Result<u64, postgres::Error> {
    tx.execute(
        &format!(
            "INSERT INTO lagesbild_police_summaries (external_id, published_at, title, kind, \
             location, geom, summary, url, import_file, stored_at) \
             VALUES ($1, $2, $3, $4, $5, \
             CASE WHEN $6::float8 IS NULL THEN NULL \
                  ELSE ST_SetSRID(ST_MakePoint($6, $7), {SRID}) END, $8, $9, $10, now()) \
             ON CONFLICT (external_id) DO UPDATE SET published_at = excluded.published_at, \
             title = excluded.title, kind = excluded.kind, location = excluded.location, \
             geom = excluded.geom, summary = excluded.summary, url = excluded.url, \
             import_file = excluded.import_file, stored_at = excluded.stored_at"
        ),
        &[
            &s.external_id,
            &s.published_at,
            &s.title,
            &s.kind,
            &s.location,
            &s.position.map(|p| p.lon),
            &s.position.map(|p| p.lat),
            &s.summary,
            &s.url,
            &s.import_file,
        ],
    )
}

impl PgStore {
    pub(super) fn upsert_police(
        &mut self,
        file_name: &str,
        events: &[Incident],
        summaries: &[PoliceSummary],
        cancel: &CancelToken,
    ) -> Result<PoliceUpsert, StoreError> {
        self.writable()?;
        let path = std::path::Path::new(&self.location);
        for incident in events {
            crate::store::gpkg::edit::validate(path, incident)?;
            if incident
                .external_id
                .as_deref()
                .is_none_or(|e| e.trim().is_empty())
            {
                return Err(StoreError::InvalidIncident {
                    path: path.to_owned(),
                    reason: "a police event without an id".to_owned(),
                });
            }
        }
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('lagesbild import'))",
            &[],
        )
        .map_err(err)?;
        let mut out = PoliceUpsert::default();
        for (n, incident) in events.iter().enumerate() {
            if n % 256 == 0 {
                cancel.check()?;
            }
            // Times are kept to the millisecond: compare what would be stored.
            let mut event = incident.clone();
            event.occurred_at = truncate_ms(event.occurred_at);
            match stored_event(&mut tx, &event).map_err(err)? {
                None => {
                    let fid: i64 = tx
                        .query_one(
                            "SELECT nextval(pg_get_serial_sequence('lagesbild.incidents', 'fid'))",
                            &[],
                        )
                        .map_err(err)?
                        .get(0);
                    let uid = if event.uid.is_empty() {
                        new_uid()
                    } else {
                        event.uid.clone()
                    };
                    write(&mut tx, &insert_sql(), fid, &uid, &event).map_err(err)?;
                    out.inserted += 1;
                }
                Some(before) => {
                    if !version_differs(&before, &event) {
                        out.unchanged += 1;
                        continue;
                    }
                    let fid = before.fid.unwrap_or_default();
                    keep_version(&mut tx, fid, &before, "updated").map_err(err)?;
                    write(&mut tx, &update_sql(), fid, &before.uid, &event).map_err(err)?;
                    out.updated += 1;
                }
            }
        }
        for s in summaries {
            cancel.check()?;
            let probe = s.event_probe();
            if let Some(before) = stored_event(&mut tx, &probe).map_err(err)? {
                let fid = before.fid.unwrap_or_default();
                keep_version(&mut tx, fid, &before, "summary").map_err(err)?;
                tx.execute("DELETE FROM incidents WHERE fid = $1", &[&fid])
                    .map_err(err)?;
                out.moved_to_summaries += 1;
            }
            let stored = tx
                .query_opt(
                    "SELECT title, kind, summary FROM lagesbild_police_summaries \
                     WHERE external_id = $1",
                    &[&s.external_id],
                )
                .map_err(err)?;
            let same = stored.as_ref().is_some_and(|r| {
                r.get::<_, &str>(0) == s.title
                    && r.get::<_, &str>(1) == s.kind
                    && r.get::<_, Option<&str>>(2) == s.summary.as_deref()
            });
            if same {
                continue;
            }
            upsert_summary(&mut tx, s).map_err(err)?;
            if stored.is_some() {
                out.summaries_updated += 1;
            } else {
                out.summaries_new += 1;
            }
        }
        if !out.is_empty() {
            tx.execute(
                "INSERT INTO lagesbild_imports (file_name, inserted, duplicates, conflicts, \
                 app_version) VALUES ($1, $2, $3, 0, $4)",
                &[
                    &file_name,
                    &((out.inserted + out.updated) as i64),
                    &(out.unchanged as i64),
                    &crate::APP_NAME_VERSION,
                ],
            )
            .map_err(err)?;
        }
        cancel.check()?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    pub(super) fn stored_police_summaries(&self) -> Result<Vec<PoliceSummary>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT external_id, published_at, title, kind, location, ST_X(geom), ST_Y(geom), \
                 summary, url, import_file FROM lagesbild_police_summaries \
                 ORDER BY published_at DESC, external_id",
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| -> Result<PoliceSummary, postgres::Error> {
                let lon: Option<f64> = r.try_get(5)?;
                let lat: Option<f64> = r.try_get(6)?;
                Ok(PoliceSummary {
                    external_id: r.try_get(0)?,
                    published_at: r.try_get(1)?,
                    title: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    location: r.try_get(4)?,
                    position: lon.zip(lat).map(|(lon, lat)| LonLat::new(lon, lat)),
                    summary: r.try_get(7)?,
                    url: r.try_get(8)?,
                    import_file: r.try_get(9)?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    pub(super) fn stored_police_history(
        &self,
        external_id: &str,
    ) -> Result<Vec<PoliceVersion>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT fid, replaced_at, reason, uid, occurred_at, category, category_text, \
                 ST_X(geom), ST_Y(geom), precision_m, place, description, import_file \
                 FROM lagesbild_police_history WHERE external_id = $1 ORDER BY id",
                &[&external_id],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| -> Result<PoliceVersion, postgres::Error> {
                let mut incident = Incident::new(
                    r.try_get(4)?,
                    category_of(r.try_get(5)?),
                    Source::Polis,
                    LonLat::new(r.try_get(7)?, r.try_get(8)?),
                    r.try_get(9)?,
                );
                incident.fid = Some(r.try_get(0)?);
                incident.uid = r.try_get(3)?;
                incident.category_text = r.try_get(6)?;
                incident.place = r.try_get(10)?;
                incident.description = r.try_get(11)?;
                incident.import_file = r.try_get(12)?;
                incident.external_id = Some(external_id.to_owned());
                Ok(PoliceVersion {
                    replaced_at: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    incident,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }
}

impl PgStore {
    /// [`crate::store::Store::add_police_history`]: the versions this
    /// database lacks, filed under its incident of each event id, in one
    /// transaction.
    pub(super) fn add_history_versions(
        &mut self,
        versions: &[PoliceVersion],
    ) -> Result<usize, StoreError> {
        self.writable()?;
        if versions.is_empty() {
            return Ok(0);
        }
        let mut held: std::collections::BTreeMap<String, Vec<PoliceVersion>> = Default::default();
        for version in versions {
            if let Some(id) = version.incident.external_id.as_deref()
                && !held.contains_key(id)
            {
                held.insert(id.to_owned(), self.stored_police_history(id)?);
            }
        }
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        let mut added = 0;
        for version in versions {
            let Some(id) = version.incident.external_id.as_deref() else {
                continue;
            };
            let known = held.entry(id.to_owned()).or_default();
            if known.iter().any(|h| same_version(h, version)) {
                continue;
            }
            let before = &version.incident;
            let fid = stored_event(&mut tx, before)
                .map_err(err)?
                .and_then(|i| i.fid)
                .or(before.fid)
                .unwrap_or(0);
            keep_version_at(
                &mut tx,
                fid,
                before,
                &version.reason,
                Some(version.replaced_at),
            )
            .map_err(err)?;
            known.push(version.clone());
            added += 1;
        }
        tx.commit().map_err(err)?;
        Ok(added)
    }
}
