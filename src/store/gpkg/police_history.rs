//! Earlier versions of police events brought in by a copy (`db pull` from
//! the shared store, `db push` the other way): [`crate::store::Store::add_police_history`].

use rusqlite::params;

use super::police::{TABLES, fid_of_event};
use super::{Project, SqlContext, format_time};
use crate::model::time;
use crate::store::StoreError;
use crate::store::police::{PoliceVersion, same_version};

impl Project {
    pub(super) fn add_history_versions(
        &mut self,
        versions: &[PoliceVersion],
    ) -> Result<usize, StoreError> {
        if versions.is_empty() {
            return Ok(0);
        }
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            conn.execute_batch(TABLES).at(path)?;
            let mut added = 0;
            for version in versions {
                let Some(id) = version.incident.external_id.as_deref() else {
                    continue;
                };
                let held = project.stored_police_history(id)?;
                if held.iter().any(|h| same_version(h, version)) {
                    continue;
                }
                let before = &version.incident;
                let fid = fid_of_event(conn, before)
                    .at(path)?
                    .or(before.fid)
                    .unwrap_or(0);
                conn.execute(
                    "INSERT INTO lagesbild_police_history (external_id, fid, replaced_at, \
                     reason, uid, occurred_at, category, category_text, lon, lat, precision_m, \
                     place, description, import_file) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        id,
                        fid,
                        time::gpkg_datetime(version.replaced_at),
                        version.reason,
                        before.uid,
                        format_time(before.occurred_at),
                        before.category.key(),
                        before.category_text,
                        before.position.lon,
                        before.position.lat,
                        before.precision_m,
                        before.place,
                        before.description,
                        before.import_file,
                    ],
                )
                .at(path)?;
                added += 1;
            }
            Ok(added)
        })
    }
}
