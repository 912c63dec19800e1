//! Retention in the shared store (see [`crate::retention`] for the policy):
//! the incidents that happened before a cut-off (with the police history of
//! those incidents) and the hosts' tracks and check-ins that ended before
//! theirs are deleted in one transaction that also appends the run to
//! `lagesbild_retention_log` (schema version 4; its rows are never changed
//! or deleted). The deletes go through the change triggers, so every open
//! app sees them through `lagesbild_changes`.
//!
//! Row-level security hides incidents from socialtjänst and skola from a
//! login without `lagesbild_sensitive`; such a login would delete only what
//! it sees and leave those past their time. Deleting incidents is therefore
//! refused, with nothing changed, unless the login has that role (or is a
//! superuser), as it is for a login that may not write at all.

use chrono::{DateTime, Utc};

use super::PgStore;
use super::edit::truncate_ms;
use super::schema::SENSITIVE_ROLE;
use crate::store::StoreError;
use crate::store::retention::RetentionRun;

impl PgStore {
    pub(super) fn run_retention(
        &mut self,
        incidents_before: Option<DateTime<Utc>>,
        tracks_before: Option<DateTime<Utc>>,
    ) -> Result<RetentionRun, StoreError> {
        self.writable()?;
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        if incidents_before.is_some() {
            let sees_all: bool = self
                .client
                .get_mut()
                .query_one(
                    &format!("SELECT pg_has_role('{SENSITIVE_ROLE}', 'MEMBER')"),
                    &[],
                )
                .map_err(err)?
                .get(0);
            if !sees_all {
                return Err(StoreError::PermissionDenied {
                    location: location.clone(),
                    reason: format!(
                        "the login {user:?} may not apply retention to incidents: it cannot see \
                         the incidents from socialtjänst and skola, which would stay past their \
                         time; run it as a login with the role {SENSITIVE_ROLE} (nothing was \
                         deleted)"
                    ),
                });
            }
        }
        if tracks_before.is_some() {
            self.tracks_readable()?;
        }
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        let mut run = RetentionRun {
            at: truncate_ms(Utc::now()),
            incidents_before,
            incidents_deleted: 0,
            tracks_before,
            tracks_deleted: 0,
            checkins_deleted: 0,
            login: None,
        };
        if let Some(cut) = incidents_before {
            tx.execute(
                "DELETE FROM lagesbild_police_history WHERE fid IN \
                 (SELECT fid FROM incidents WHERE occurred_at < $1)",
                &[&cut],
            )
            .map_err(err)?;
            run.incidents_deleted = tx
                .execute("DELETE FROM incidents WHERE occurred_at < $1", &[&cut])
                .map_err(err)?;
        }
        if let Some(cut) = tracks_before {
            let (t, c) = super::tracks::delete_tracks_before(&mut tx, cut).map_err(err)?;
            run.tracks_deleted = t as u64;
            run.checkins_deleted = c as u64;
        }
        let login: String = tx
            .query_one(
                "INSERT INTO lagesbild_retention_log (applied_at, incidents_before, \
                 incidents_deleted, tracks_before, tracks_deleted, checkins_deleted, \
                 app_version) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING login",
                &[
                    &run.at,
                    &run.incidents_before,
                    &(run.incidents_deleted as i64),
                    &run.tracks_before,
                    &(run.tracks_deleted as i64),
                    &(run.checkins_deleted as i64),
                    &crate::APP_NAME_VERSION,
                ],
            )
            .map_err(err)?
            .get(0);
        run.login = Some(login);
        tx.commit().map_err(err)?;
        Ok(run)
    }

    pub(super) fn read_retention_log(&self) -> Result<Vec<RetentionRun>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT applied_at, incidents_before, incidents_deleted, tracks_before, \
                 tracks_deleted, checkins_deleted, login FROM lagesbild_retention_log \
                 ORDER BY id",
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| -> Result<RetentionRun, postgres::Error> {
                let n = |i: usize| -> Result<u64, postgres::Error> {
                    Ok(r.try_get::<_, i64>(i)?.max(0) as u64)
                };
                Ok(RetentionRun {
                    at: r.try_get(0)?,
                    incidents_before: r.try_get(1)?,
                    incidents_deleted: n(2)?,
                    tracks_before: r.try_get(3)?,
                    tracks_deleted: n(4)?,
                    checkins_deleted: n(5)?,
                    login: Some(r.try_get(6)?),
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }
}
