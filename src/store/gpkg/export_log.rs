//! The export log in the GeoPackage: the plain table `lagesbild_export_log`
//! (an app table like `lagesbild_meta`, not in `gpkg_contents`), created in
//! the transaction of the first record, so projects that never exported
//! and older builds are unaffected. The fields are kept as a JSON array.

use rusqlite::params;

use super::{Project, SqlContext as _, format_time, parse_time};
use crate::store::StoreError;
use crate::store::export_log::ExportRecord;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS lagesbild_export_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exported_at TEXT NOT NULL,
    what TEXT NOT NULL,
    file_name TEXT NOT NULL,
    fields TEXT NOT NULL,
    login TEXT,
    app_version TEXT NOT NULL
)";

impl Project {
    pub(super) fn append_export_record(&mut self, record: &ExportRecord) -> Result<(), StoreError> {
        let fields = serde_json::to_string(&record.fields).unwrap_or_else(|_| "[]".to_owned());
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            conn.execute_batch(CREATE).at(path)?;
            conn.execute(
                "INSERT INTO lagesbild_export_log (exported_at, what, file_name, fields, login, \
                 app_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    format_time(record.at),
                    record.what,
                    record.file,
                    fields,
                    record.login,
                    record.app
                ],
            )
            .at(path)?;
            Ok(())
        })
    }

    pub(super) fn read_export_log(&self) -> Result<Vec<ExportRecord>, StoreError> {
        let path = self.path.as_path();
        let exists: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' \
                 AND name = 'lagesbild_export_log')",
                [],
                |r| r.get(0),
            )
            .at(path)?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, exported_at, what, file_name, fields, login, app_version \
                 FROM lagesbild_export_log ORDER BY id",
            )
            .at(path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .at(path)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, what, file, fields, login, app) = row.at(path)?;
            let corrupt = |reason: String| StoreError::Corrupt {
                path: path.to_owned(),
                reason: format!("lagesbild_export_log row {id}: {reason}"),
            };
            let at = parse_time(&at).ok_or_else(|| corrupt(format!("bad time {at:?}")))?;
            let fields: Vec<String> = serde_json::from_str(&fields)
                .map_err(|e| corrupt(format!("fields are not a JSON list of names: {e}")))?;
            out.push(ExportRecord {
                at,
                what,
                file,
                fields,
                login,
                app,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::store;
    use crate::store::export_log::ExportRecord;

    #[test]
    fn records_are_kept_in_order_and_the_table_is_made_on_first_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut project = store::create(&path, "t").unwrap();
        assert!(project.export_log().unwrap().is_empty());
        let a = ExportRecord::now(
            "heatmap",
            std::path::Path::new("a.tif"),
            &["density".into()],
        );
        let b = ExportRecord::now(
            "export",
            std::path::Path::new("/tmp/x/b.csv"),
            &["uid".into(), "description".into()],
        );
        project.log_export(&a).unwrap();
        project.log_export(&b).unwrap();
        drop(project);
        let project = store::open(&path).unwrap();
        let log = project.export_log().unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].what, "heatmap");
        assert_eq!(log[1].file, "b.csv");
        assert_eq!(log[1].fields, vec!["uid", "description"]);
        // Stored to the millisecond.
        assert_eq!(log[0].at.timestamp_millis(), a.at.timestamp_millis());
    }
}
