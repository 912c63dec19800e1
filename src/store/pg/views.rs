//! Saved views in the shared store: the table `lagesbild_views` (title,
//! place in the presentation, the view as jsonb), with the GeoPackage's rules.

use super::PgStore;
use crate::model::view::{SavedView, check_views};
use crate::store::StoreError;

impl PgStore {
    pub(super) fn read_views(&self) -> Result<Vec<SavedView>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT title, view::text FROM lagesbild_views ORDER BY position, title",
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                let (title, json): (String, String) = (r.get(0), r.get(1));
                serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                    path: self.location.clone().into(),
                    reason: format!("saved view {title:?}: {e}"),
                })
            })
            .collect()
    }

    /// Refuses a read-only login, checks `views` as the GeoPackage does and
    /// returns each as JSON for the `view` column.
    fn checked_json(&self, views: &[SavedView]) -> Result<Vec<String>, StoreError> {
        self.writable()?;
        let invalid = |reason: String| StoreError::InvalidView {
            path: self.location.clone().into(),
            reason,
        };
        check_views(views).map_err(|e| invalid(e.to_string()))?;
        views
            .iter()
            .map(|view| serde_json::to_string(view).map_err(|e| invalid(e.to_string())))
            .collect()
    }

    pub(super) fn write_views(&mut self, views: &[SavedView]) -> Result<(), StoreError> {
        let json = self.checked_json(views)?;
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        tx.execute(
            "LOCK TABLE lagesbild_views IN SHARE ROW EXCLUSIVE MODE",
            &[],
        )
        .map_err(err)?;
        let mut next: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM lagesbild_views",
                &[],
            )
            .map_err(err)?
            .get(0);
        for (view, json) in views.iter().zip(&json) {
            let updated = tx
                .execute(
                    "UPDATE lagesbild_views SET view = $1::text::jsonb WHERE title = $2",
                    &[json, &view.title],
                )
                .map_err(err)?;
            if updated == 0 {
                tx.execute(
                    "INSERT INTO lagesbild_views (title, position, view) \
                     VALUES ($1, $2, $3::text::jsonb)",
                    &[&view.title, &next, json],
                )
                .map_err(err)?;
                next += 1;
            }
        }
        tx.execute(NOTE_VIEWS_CHANGED, &[]).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Replaces the whole list by `views` in that order, in one transaction
    /// (the app's views window renames, reorders and deletes this way).
    pub(super) fn replace_all_views(&mut self, views: &[SavedView]) -> Result<(), StoreError> {
        let json = self.checked_json(views)?;
        let (location, user) = (self.location.clone(), self.user.clone());
        let err = |e| super::db_err(&location, &user, e);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        tx.execute("LOCK TABLE lagesbild_views IN EXCLUSIVE MODE", &[])
            .map_err(err)?;
        tx.execute("DELETE FROM lagesbild_views", &[])
            .map_err(err)?;
        for (position, (view, json)) in views.iter().zip(&json).enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO lagesbild_views (title, position, view) \
                 VALUES ($1, $2, $3::text::jsonb)",
                &[&view.title, &position, json],
            )
            .map_err(err)?;
        }
        tx.execute(NOTE_VIEWS_CHANGED, &[]).map_err(err)?;
        tx.commit().map_err(err)
    }

    pub(super) fn delete_view(&mut self, title: &str) -> Result<bool, StoreError> {
        self.writable()?;
        let n: i64 = self
            .client
            .get_mut()
            .query_one(
                "WITH gone AS (DELETE FROM lagesbild_views WHERE title = $1 RETURNING 1), \
                 noted AS (INSERT INTO lagesbild_changes (table_name) \
                 SELECT 'lagesbild_views' WHERE EXISTS (SELECT 1 FROM gone)) \
                 SELECT count(*) FROM gone",
                &[&title],
            )
            .map_err(|e| super::db_err(&self.location, &self.user, e))?
            .get(0);
        Ok(n > 0)
    }
}

/// Notes a change of the views in the change log the app polls, in the
/// writer's transaction (the table has no trigger: a writer that does not
/// own it could not add one in a migration).
const NOTE_VIEWS_CHANGED: &str =
    "INSERT INTO lagesbild_changes (table_name) VALUES ('lagesbild_views')";
