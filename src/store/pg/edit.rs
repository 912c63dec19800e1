//! Editing single incidents in the shared store: add, update and delete,
//! each in one transaction with its line in `lagesbild_edits` (when, what,
//! fid, uid, the names of the changed fields, the database login; never the
//! values). The rules are the GeoPackage's (`store::gpkg::edit`).

use std::path::Path;

use super::{PgStore, SRID};
use crate::model::{Incident, new_uid};
use crate::store::StoreError;
use crate::store::gpkg::edit::{changed_fields, validate};
use crate::store::gpkg::session::key_hash;

const WRITE_COLUMNS: &str = "geom = ST_SetSRID(ST_MakePoint($2, $3), {SRID}), uid = $4, \
     occurred_at = $5, category = $6, category_text = $7, source = $8, source_text = $9, \
     precision_m = $10, place = $11, description = $12, import_file = $13, external_id = $14, \
     import_key = $15";

fn invalid(location: &str, reason: String) -> StoreError {
    StoreError::InvalidIncident {
        path: location.into(),
        reason,
    }
}

/// The INSERT of a whole incident row for [`write`].
pub(super) fn insert_sql() -> String {
    format!(
        "INSERT INTO incidents (fid, geom, uid, occurred_at, category, category_text, \
         source, source_text, precision_m, place, description, import_file, external_id, \
         import_key) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), {SRID}), $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15)"
    )
}

/// The UPDATE of every column of incident `$1` for [`write`].
pub(super) fn update_sql() -> String {
    format!(
        "UPDATE incidents SET {} WHERE fid = $1",
        WRITE_COLUMNS.replace("{SRID}", &SRID.to_string())
    )
}

/// Writes every column of `i` into row `fid` with `sql` (an INSERT or UPDATE
/// taking $1 … $15), inside the caller's transaction.
pub(super) fn write(
    tx: &mut postgres::Transaction<'_>,
    sql: &str,
    fid: i64,
    uid: &str,
    i: &Incident,
) -> Result<u64, postgres::Error> {
    tx.execute(
        sql,
        &[
            &fid,
            &i.position.lon,
            &i.position.lat,
            &uid,
            &truncate_ms(i.occurred_at),
            &i.category.key(),
            &i.category_text,
            &i.source.key(),
            &i.source_text,
            &i.precision_m,
            &i.place,
            &i.description,
            &i.import_file,
            &i.external_id,
            &key_hash(i),
        ],
    )
}

/// Times are kept to the millisecond, as in the GeoPackage.
pub(super) fn truncate_ms(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn record(
    tx: &mut postgres::Transaction<'_>,
    action: &str,
    fid: i64,
    uid: &str,
    changed: Option<&str>,
) -> Result<u64, postgres::Error> {
    tx.execute(
        "INSERT INTO lagesbild_edits (action, fid, uid, changed, app_version) \
         VALUES ($1, $2, $3, $4, $5)",
        &[&action, &fid, &uid, &changed, &crate::APP_NAME_VERSION],
    )
}

impl PgStore {
    pub(super) fn add_one(&mut self, incident: &Incident) -> Result<i64, StoreError> {
        self.writable()?;
        validate(Path::new(&self.location), incident)?;
        let uid = if incident.uid.is_empty() {
            new_uid()
        } else {
            incident.uid.clone()
        };
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        // The uid index spans rows this login cannot see; its error is turned
        // into the same message as a visible owner's.
        if let Some(r) = tx
            .query_opt("SELECT fid FROM incidents WHERE uid = $1", &[&uid])
            .map_err(err)?
        {
            let owner: i64 = r.get(0);
            return Err(invalid(
                &location,
                format!("uid {uid:?} is already used by incident fid {owner}"),
            ));
        }
        let fid = match incident.fid {
            Some(fid) => {
                let taken = tx
                    .query_opt("SELECT 1 FROM incidents WHERE fid = $1", &[&fid])
                    .map_err(err)?
                    .is_some();
                if taken || fid < 1 {
                    return Err(invalid(
                        &location,
                        format!("fid {fid} is already used or not a valid fid"),
                    ));
                }
                fid
            }
            None => tx
                .query_one(
                    "SELECT nextval(pg_get_serial_sequence('lagesbild.incidents', 'fid'))",
                    &[],
                )
                .map_err(err)?
                .get(0),
        };
        write(&mut tx, &insert_sql(), fid, &uid, incident)
            .map_err(|e| unique_uid(&location, &uid, e, &user))?;
        record(&mut tx, "add", fid, &uid, None).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(fid)
    }

    pub(super) fn update_one(
        &mut self,
        fid: i64,
        incident: &Incident,
    ) -> Result<Incident, StoreError> {
        self.writable()?;
        validate(Path::new(&self.location), incident)?;
        let Some(before) = self.incident_for_update(fid)? else {
            return Err(StoreError::NoSuchIncident {
                path: self.location.clone().into(),
                fid,
            });
        };
        let mut changed = changed_fields(&before, incident);
        // Times are stored to the millisecond: a change below that is none.
        if truncate_ms(before.occurred_at) == truncate_ms(incident.occurred_at) {
            changed.retain(|f| *f != "occurred_at");
        }
        if changed.is_empty() {
            return Ok(before);
        }
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        let n = write(&mut tx, &update_sql(), fid, &before.uid, incident).map_err(err)?;
        if n == 0 {
            return Err(StoreError::NoSuchIncident {
                path: location.into(),
                fid,
            });
        }
        record(
            &mut tx,
            "update",
            fid,
            &before.uid,
            Some(&changed.join(",")),
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(before)
    }

    pub(super) fn delete_one(&mut self, fid: i64) -> Result<Incident, StoreError> {
        self.writable()?;
        let Some(before) = self.incident_for_update(fid)? else {
            return Err(StoreError::NoSuchIncident {
                path: self.location.clone().into(),
                fid,
            });
        };
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        let n = tx
            .execute("DELETE FROM incidents WHERE fid = $1", &[&fid])
            .map_err(err)?;
        if n == 0 {
            return Err(StoreError::NoSuchIncident {
                path: location.into(),
                fid,
            });
        }
        record(&mut tx, "delete", fid, &before.uid, None).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(before)
    }

    fn incident_for_update(&self, fid: i64) -> Result<Option<Incident>, StoreError> {
        use crate::store::Store as _;
        self.incident(fid)
    }
}

/// A uid taken by a row this login cannot see gives the same clear refusal.
fn unique_uid(location: &str, uid: &str, e: postgres::Error, user: &str) -> StoreError {
    if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        return invalid(
            location,
            format!("uid {uid:?} is already used by another incident"),
        );
    }
    super::db_err(location, user, e)
}
