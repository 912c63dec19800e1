//! The export log in the shared store: the table `lagesbild_export_log`
//! (schema version 2). A read-only login may append to it (its exports are
//! recorded too) but nobody may change a record; the login is the database
//! login (`current_user`), not the OS user.

use super::PgStore;
use crate::store::StoreError;
use crate::store::export_log::ExportRecord;

impl PgStore {
    pub(super) fn append_export_record(&mut self, record: &ExportRecord) -> Result<(), StoreError> {
        let fields = serde_json::to_string(&record.fields).unwrap_or_else(|_| "[]".to_owned());
        self.client
            .get_mut()
            .execute(
                "INSERT INTO lagesbild_export_log \
                 (exported_at, what, file_name, fields, app_version) \
                 VALUES ($1, $2, $3, $4::text::jsonb, $5)",
                &[&record.at, &record.what, &record.file, &fields, &record.app],
            )
            .map_err(|e| super::db_err(&self.location, &self.user, e))?;
        Ok(())
    }

    pub(super) fn read_export_log(&self) -> Result<Vec<ExportRecord>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT exported_at, what, file_name, fields::text, login, app_version \
                 FROM lagesbild_export_log ORDER BY id",
                &[],
            )
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| {
                let fields: String = r.get(3);
                ExportRecord {
                    at: r.get(0),
                    what: r.get(1),
                    file: r.get(2),
                    fields: serde_json::from_str(&fields).unwrap_or_default(),
                    login: Some(r.get(4)),
                    app: r.get(5),
                }
            })
            .collect())
    }
}
