//! Earlier versions of police events brought in by a copy (`db pull` from
//! the shared store, `db push` the other way): [`crate::store::Store::add_police_history`].

use super::police::{TABLES, fid_of_event, keep_version_at};
use super::{Project, SqlContext};
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
                keep_version_at(conn, fid, before, &version.reason, version.replaced_at)
                    .at(path)?;
                added += 1;
            }
            Ok(added)
        })
    }
}
