//! Saved views in the GeoPackage project: the plain table `lagesbild_views`
//! (one row per view: its title, its place in the presentation and the view
//! as JSON), created on the first save, so projects without views and older
//! builds are unaffected. Like `lagesbild_meta` it is an app table, not
//! registered in `gpkg_contents`.

use rusqlite::{OptionalExtension, params};

use super::{Project, SqlContext};
use crate::model::view::{SavedView, check_views};
use crate::store::StoreError;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS lagesbild_views (
    title TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    view_json TEXT NOT NULL
)";

impl Project {
    fn has_views_table(&self) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lagesbild_views'",
                [],
                |r| r.get(0),
            )
            .optional()
            .at(&self.path)?;
        Ok(found.is_some())
    }

    pub(super) fn read_views(&self) -> Result<Vec<SavedView>, StoreError> {
        if !self.has_views_table()? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT title, view_json FROM lagesbild_views ORDER BY position, title")
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .at(&self.path)?;
        let mut views = Vec::new();
        for row in rows {
            let (title, json) = row.at(&self.path)?;
            let view: SavedView = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("saved view {title:?}: {e}"),
            })?;
            views.push(view);
        }
        Ok(views)
    }

    pub(super) fn write_views(&mut self, views: &[SavedView]) -> Result<(), StoreError> {
        check_views(views).map_err(|e| StoreError::InvalidView {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        self.in_transaction(|project| {
            let conn = &project.conn;
            conn.execute_batch(CREATE).at(&project.path)?;
            let mut next: i64 = conn
                .query_row(
                    "SELECT COALESCE(MAX(position), -1) + 1 FROM lagesbild_views",
                    [],
                    |r| r.get(0),
                )
                .at(&project.path)?;
            for view in views {
                let json = serde_json::to_string(view).map_err(|e| StoreError::InvalidView {
                    path: project.path.clone(),
                    reason: e.to_string(),
                })?;
                let updated = conn
                    .execute(
                        "UPDATE lagesbild_views SET view_json = ?1 WHERE title = ?2",
                        params![json, view.title],
                    )
                    .at(&project.path)?;
                if updated == 0 {
                    conn.execute(
                        "INSERT INTO lagesbild_views (title, position, view_json) VALUES (?1, ?2, ?3)",
                        params![view.title, next, json],
                    )
                    .at(&project.path)?;
                    next += 1;
                }
            }
            Ok(())
        })
    }

    /// All views replaced by `views` in their order, in one transaction.
    pub(super) fn write_all_views(&mut self, views: &[SavedView]) -> Result<(), StoreError> {
        check_views(views).map_err(|e| StoreError::InvalidView {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        self.in_transaction(|project| {
            let conn = &project.conn;
            conn.execute_batch(CREATE).at(&project.path)?;
            conn.execute("DELETE FROM lagesbild_views", [])
                .at(&project.path)?;
            for (position, view) in views.iter().enumerate() {
                let json = serde_json::to_string(view).map_err(|e| StoreError::InvalidView {
                    path: project.path.clone(),
                    reason: e.to_string(),
                })?;
                conn.execute(
                    "INSERT INTO lagesbild_views (title, position, view_json) VALUES (?1, ?2, ?3)",
                    params![view.title, position as i64, json],
                )
                .at(&project.path)?;
            }
            Ok(())
        })
    }

    pub(super) fn delete_view(&mut self, title: &str) -> Result<bool, StoreError> {
        if !self.has_views_table()? {
            return Ok(false);
        }
        let n = self
            .conn
            .execute("DELETE FROM lagesbild_views WHERE title = ?1", [title])
            .at(&self.path)?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::LonLat;
    use crate::model::view::{SavedView, ViewExtent};
    use crate::store::{self, StoreError};

    fn view(title: &str, notes: &str) -> SavedView {
        SavedView {
            title: title.into(),
            notes: notes.into(),
            extent: ViewExtent::from_corners(LonLat::new(14.5, 56.0), LonLat::new(14.6, 56.1)),
            layers: vec![],
            filter: Default::default(),
            analysis: Default::default(),
        }
    }

    #[test]
    fn views_are_kept_in_order_replaced_by_title_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut s = store::create(&path, "T").unwrap();
        assert!(s.views().unwrap().is_empty());
        assert!(!s.remove_view("X").unwrap());
        s.put_views(&[view("B", ""), view("A", "")]).unwrap();
        s.put_views(&[view("C", ""), view("B", "ny")]).unwrap();
        drop(s);
        let mut s = store::open(&path).unwrap();
        let got = s.views().unwrap();
        let titles: Vec<_> = got.iter().map(|v| v.title.as_str()).collect();
        assert_eq!(titles, ["B", "A", "C"]);
        assert_eq!(got[0].notes, "ny");
        assert!(s.remove_view("A").unwrap());
        assert_eq!(s.views().unwrap().len(), 2);
    }

    #[test]
    fn replacing_views_renames_reorders_and_drops_in_one_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut s = store::create(&path, "T").unwrap();
        s.put_views(&[view("A", ""), view("B", ""), view("C", "")])
            .unwrap();
        s.replace_views(&[view("C", "först"), view("A2", "")])
            .unwrap();
        drop(s);
        let mut s = store::open(&path).unwrap();
        let got = s.views().unwrap();
        let titles: Vec<_> = got.iter().map(|v| v.title.as_str()).collect();
        assert_eq!(titles, ["C", "A2"]);
        assert_eq!(got[0].notes, "först");
        // Two views with one title: refused, nothing changed.
        let err = s
            .replace_views(&[view("X", ""), view("X", "")])
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidView { .. }), "{err}");
        assert_eq!(s.views().unwrap().len(), 2);
        // A new view added after a replace goes to the end.
        s.put_views(&[view("D", "")]).unwrap();
        let titles: Vec<_> = s.views().unwrap().into_iter().map(|v| v.title).collect();
        assert_eq!(titles, ["C", "A2", "D"]);
    }

    #[test]
    fn an_invalid_view_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut s = store::create(&path, "T").unwrap();
        s.put_views(&[view("A", "")]).unwrap();
        let err = s.put_views(&[view("B", ""), view("", "")]).unwrap_err();
        assert!(matches!(err, StoreError::InvalidView { .. }), "{err}");
        assert_eq!(s.views().unwrap().len(), 1);
    }
}
