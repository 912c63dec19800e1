//! Retention in the GeoPackage: deleting incidents older than a cut-off
//! (with their spatial index entries, their police history and the layer
//! extent), hosts' tracks and check-ins older than theirs, all in one
//! transaction that also appends the run to `lagesbild_retention_log`
//! (created then; an app table like `lagesbild_meta`).

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::edit::{IndexChange, update_contents, update_index_by_hand};
use super::{Project, SqlContext as _, format_time, parse_time};
use crate::store::StoreError;
use crate::store::retention::RetentionRun;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS lagesbild_retention_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    applied_at TEXT NOT NULL,
    incidents_before TEXT,
    incidents_deleted INTEGER NOT NULL,
    tracks_before TEXT,
    tracks_deleted INTEGER NOT NULL,
    checkins_deleted INTEGER NOT NULL,
    login TEXT,
    app_version TEXT NOT NULL
)";

fn has_table(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )
}

impl Project {
    pub(super) fn run_retention(
        &mut self,
        incidents_before: Option<DateTime<Utc>>,
        tracks_before: Option<DateTime<Utc>>,
    ) -> Result<RetentionRun, StoreError> {
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            let mut run = RetentionRun {
                at: Utc::now(),
                incidents_before,
                incidents_deleted: 0,
                tracks_before,
                tracks_deleted: 0,
                checkins_deleted: 0,
                login: crate::store::export_log::os_login(),
            };
            if let Some(cut) = incidents_before {
                let cut = format_time(cut);
                let fids: Vec<i64> = {
                    let mut stmt = conn
                        .prepare("SELECT fid FROM incidents WHERE occurred_at < ?1")
                        .at(path)?;
                    let rows = stmt.query_map([&cut], |r| r.get(0)).at(path)?;
                    rows.collect::<rusqlite::Result<_>>().at(path)?
                };
                if !fids.is_empty() {
                    for &fid in &fids {
                        update_index_by_hand(conn, IndexChange::Remove { fid }).at(path)?;
                    }
                    if has_table(conn, "lagesbild_police_history").at(path)? {
                        conn.execute(
                            "DELETE FROM lagesbild_police_history WHERE fid IN \
                             (SELECT fid FROM incidents WHERE occurred_at < ?1)",
                            [&cut],
                        )
                        .at(path)?;
                    }
                    let n = conn
                        .execute("DELETE FROM incidents WHERE occurred_at < ?1", [&cut])
                        .at(path)?;
                    run.incidents_deleted = n as u64;
                    // The extent is computed afresh from what is left.
                    conn.execute(
                        "UPDATE gpkg_contents SET min_x = NULL, min_y = NULL, max_x = NULL, \
                         max_y = NULL WHERE table_name = 'incidents'",
                        [],
                    )
                    .at(path)?;
                    update_contents(conn, path, None, None)?;
                }
            }
            if let Some(cut) = tracks_before {
                let (t, c) = super::tracks::delete_tracks_before(conn, path, cut)?;
                run.tracks_deleted = t as u64;
                run.checkins_deleted = c as u64;
            }
            conn.execute_batch(CREATE).at(path)?;
            conn.execute(
                "INSERT INTO lagesbild_retention_log (applied_at, incidents_before, \
                 incidents_deleted, tracks_before, tracks_deleted, checkins_deleted, login, \
                 app_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    format_time(run.at),
                    run.incidents_before.map(format_time),
                    run.incidents_deleted as i64,
                    run.tracks_before.map(format_time),
                    run.tracks_deleted as i64,
                    run.checkins_deleted as i64,
                    run.login,
                    crate::APP_NAME_VERSION
                ],
            )
            .at(path)?;
            Ok(run)
        })
    }

    pub(super) fn read_retention_log(&self) -> Result<Vec<RetentionRun>, StoreError> {
        let path = self.path.as_path();
        if !has_table(&self.conn, "lagesbild_retention_log").at(path)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT applied_at, incidents_before, incidents_deleted, tracks_before, \
                 tracks_deleted, checkins_deleted, login FROM lagesbild_retention_log ORDER BY id",
            )
            .at(path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .at(path)?;
        let corrupt = |what: &str| StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("lagesbild_retention_log: bad time {what:?}"),
        };
        let time = |t: Option<String>| -> Result<Option<DateTime<Utc>>, StoreError> {
            t.map(|t| parse_time(&t).ok_or_else(|| corrupt(&t)))
                .transpose()
        };
        let mut out = Vec::new();
        for row in rows {
            let (at, ib, id, tb, td, cd, login) = row.at(path)?;
            out.push(RetentionRun {
                at: parse_time(&at).ok_or_else(|| corrupt(&at))?,
                incidents_before: time(ib)?,
                incidents_deleted: id.max(0) as u64,
                tracks_before: time(tb)?,
                tracks_deleted: td.max(0) as u64,
                checkins_deleted: cd.max(0) as u64,
                login,
            });
        }
        Ok(out)
    }
}
