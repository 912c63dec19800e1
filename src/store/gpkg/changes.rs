//! The GeoPackage's per-kind change stamps ([`crate::store::changes`]).
//!
//! A file has no change log, and SQLite's `data_version` moves for every
//! table at once, so each table the app shows is summed up instead, cheaply
//! enough to run after each move of the global stamp: the incidents (which
//! may be a million rows) by their count and largest fid together with the
//! edit log's count and last id (every edit of an incident is logged in the
//! same transaction) and the police history's (an event updated in place
//! leaves its earlier version there); every other table, all small, by a
//! digest of its whole content.

use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::types::ValueRef;

use super::{Project, SqlContext};
use crate::store::StoreError;
use crate::store::changes::{ChangeKind, ChangeStamps, kind_of_table};

/// Tables too big to digest: summed up by row count and last rowid.
const COUNTED: [&str; 3] = ["incidents", "lagesbild_police_history", "lagesbild_edits"];

impl Project {
    pub(crate) fn read_change_stamps(&self) -> Result<ChangeStamps, StoreError> {
        let path = &self.path;
        let tables: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .at(path)?;
            stmt.query_map([], |r| r.get(0))
                .at(path)?
                .collect::<rusqlite::Result<_>>()
                .at(path)?
        };
        let mut stamps = ChangeStamps::default();
        for table in &tables {
            let kind = match table.as_str() {
                "lagesbild_edits" => ChangeKind::Incidents,
                t => match kind_of_table(t) {
                    Some(kind) => kind,
                    None => continue,
                },
            };
            let stamp = if COUNTED.contains(&table.as_str()) {
                self.counted(table)?
            } else {
                self.digest(table)?
            };
            stamps.add(kind, stamp);
        }
        Ok(stamps)
    }

    /// Row count and largest rowid of `table`, mixed into one number.
    fn counted(&self, table: &str) -> Result<i64, StoreError> {
        let (n, last): (i64, i64) = self
            .conn
            .query_row(
                &format!("SELECT count(*), coalesce(max(rowid), 0) FROM \"{table}\""),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .at(&self.path)?;
        Ok(n.wrapping_mul(1_000_003).wrapping_add(last))
    }

    /// A digest of every row of `table`, in rowid order.
    fn digest(&self, table: &str) -> Result<i64, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))
            .at(path)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).at(path)?;
        let mut hasher = DefaultHasher::new();
        while let Some(row) = rows.next().at(path)? {
            for i in 0..columns {
                match row.get_ref(i).at(path)? {
                    ValueRef::Null => 0u8.hash(&mut hasher),
                    ValueRef::Integer(v) => (1u8, v).hash(&mut hasher),
                    ValueRef::Real(v) => (2u8, v.to_bits()).hash(&mut hasher),
                    ValueRef::Text(v) => (3u8, v).hash(&mut hasher),
                    ValueRef::Blob(v) => (4u8, v).hash(&mut hasher),
                }
            }
        }
        Ok(hasher.finish() as i64)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::model::measure::Measure;

    fn measure() -> Measure {
        use geo::polygon;
        Measure {
            fid: None,
            name: "Belysning".into(),
            problem: crate::model::Filter::default(),
            place: "Stadsparken".into(),
            area: geo::MultiPolygon(vec![polygon![
                (x: 14.58, y: 56.05), (x: 14.59, y: 56.05), (x: 14.59, y: 56.06),
                (x: 14.58, y: 56.05)
            ]]),
            start: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            end: None,
            responsible: "Tekniska förvaltningen".into(),
            note: String::new(),
        }
    }
    use crate::store::changes::ChangeKind;

    #[test]
    fn each_kind_moves_alone_and_an_edit_that_keeps_the_counts_moves_incidents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let params = crate::demo::DemoParams { count: 40, seed: 7 };
        let cancel = crate::jobs::CancelToken::new();
        crate::demo::write_project(&path, params, &crate::jobs::NoProgress, &cancel).unwrap();
        let mut store = crate::store::open(&path).unwrap();
        let before = store.change_stamps().unwrap();
        assert_eq!(
            store.change_stamps().unwrap(),
            before,
            "a read changes nothing"
        );

        let mut incident = store
            .incidents(&Default::default(), &cancel)
            .unwrap()
            .remove(0);
        incident.category = if incident.category == crate::model::Category::Skadegorelse {
            crate::model::Category::Stold
        } else {
            crate::model::Category::Skadegorelse
        };
        let fid = incident.fid.unwrap();
        store.update_incident(fid, &incident).unwrap();
        let after_edit = store.change_stamps().unwrap();
        assert_eq!(
            after_edit.changed_since(&before),
            BTreeSet::from([ChangeKind::Incidents])
        );

        store.add_measure(&measure()).unwrap();
        let after_measure = store.change_stamps().unwrap();
        assert_eq!(
            after_measure.changed_since(&after_edit),
            BTreeSet::from([ChangeKind::Measures])
        );
    }
}
