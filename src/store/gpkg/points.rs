//! The point cache: every incident as a [`SwerefPoint`] (36 bytes) in a few
//! BLOBs, so the analyses read a million incidents as one copy instead of
//! parsing a million rows, GeoPackage geometries and timestamps and
//! projecting them.
//!
//! Derived data, built lazily on the first read and kept in step with the
//! `incidents` table by triggers: any insert, update or delete of an incident
//! marks the cache stale in the same transaction (whoever writes: our imports
//! and edits, QGIS, `ogr2ogr`), and the next read rebuilds it. The tables are
//! not registered in `gpkg_contents`: GIS programs do not list them.

use rusqlite::OptionalExtension as _;

use super::{Project, SqlContext as _};
use crate::jobs::CancelToken;
use crate::model::Filter;
use crate::store::points::{
    CHUNK_POINTS as CHUNK, ENCODING_FORMAT as FORMAT, SwerefPoint, decode_into, encode_all,
};
use crate::store::{Store as _, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lagesbild_point_cache (
    chunk INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS lagesbild_point_cache_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format INTEGER NOT NULL,
    valid INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS lagesbild_point_cache_on_insert AFTER INSERT ON incidents
WHEN EXISTS (SELECT 1 FROM lagesbild_point_cache_state WHERE valid = 1)
BEGIN
    UPDATE lagesbild_point_cache_state SET valid = 0;
    DELETE FROM lagesbild_point_cache;
END;
CREATE TRIGGER IF NOT EXISTS lagesbild_point_cache_on_update AFTER UPDATE ON incidents
WHEN EXISTS (SELECT 1 FROM lagesbild_point_cache_state WHERE valid = 1)
BEGIN
    UPDATE lagesbild_point_cache_state SET valid = 0;
    DELETE FROM lagesbild_point_cache;
END;
CREATE TRIGGER IF NOT EXISTS lagesbild_point_cache_on_delete AFTER DELETE ON incidents
WHEN EXISTS (SELECT 1 FROM lagesbild_point_cache_state WHERE valid = 1)
BEGIN
    UPDATE lagesbild_point_cache_state SET valid = 0;
    DELETE FROM lagesbild_point_cache;
END;
";

/// The incidents passing `filter` as analysis points, oldest first: from the
/// cache when it is valid, else computed (and the cache rebuilt when the
/// project can be written).
pub(super) fn analysis_points(
    project: &Project,
    filter: &Filter,
    cancel: &CancelToken,
) -> Result<Vec<SwerefPoint>, StoreError> {
    if let Some(points) = read(project, filter, cancel)? {
        return Ok(points);
    }
    // Computed and written under the write lock, so no incident changes in
    // between; a project that cannot be written (read-only file, another
    // writer) gets no cache, which is no error.
    let path = project.path.as_path();
    match rusqlite::Transaction::new_unchecked(
        &project.conn,
        rusqlite::TransactionBehavior::Immediate,
    ) {
        Ok(tx) => {
            let all = compute(project, cancel)?;
            if write(&tx, &all).is_ok() {
                tx.commit().at(path)?;
            }
            Ok(all.into_iter().filter(|p| p.matches(filter)).collect())
        }
        Err(_) => {
            let all = compute(project, cancel)?;
            Ok(all.into_iter().filter(|p| p.matches(filter)).collect())
        }
    }
}

/// True when the cache holds every incident as they are now.
pub fn is_valid(project: &Project) -> Result<bool, StoreError> {
    let path = project.path.as_path();
    let exists: bool = project
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'lagesbild_point_cache_state'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .at(path)?
        > 0;
    if !exists {
        return Ok(false);
    }
    let state: Option<(i64, i64)> = project
        .conn
        .query_row(
            "SELECT format, valid FROM lagesbild_point_cache_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .at(path)?;
    Ok(state == Some((FORMAT, 1)))
}

fn read(
    project: &Project,
    filter: &Filter,
    cancel: &CancelToken,
) -> Result<Option<Vec<SwerefPoint>>, StoreError> {
    let path = project.path.as_path();
    // Large BLOBs read through memory mapping rather than a read call per page.
    let _ = project.conn.execute_batch("PRAGMA mmap_size = 1073741824");
    // One read transaction, so a writer cannot slip in between the check and the data.
    project.conn.execute_batch("BEGIN").at(path)?;
    let result = (|| {
        if !is_valid(project)? {
            return Ok(None);
        }
        let mut stmt = project
            .conn
            .prepare("SELECT data FROM lagesbild_point_cache ORDER BY chunk")
            .at(path)?;
        let mut rows = stmt.query([]).at(path)?;
        let mut out = Vec::new();
        // Decoded straight from SQLite's buffer: no copy of the BLOBs.
        while let Some(r) = rows.next().at(path)? {
            cancel.check()?;
            let data = r.get_ref(0).at(path)?;
            let bytes = data.as_blob().map_err(|_| corrupt(project))?;
            decode_into(bytes, filter, &mut out).ok_or_else(|| corrupt(project))?;
        }
        Ok(Some(out))
    })();
    let _ = project.conn.execute_batch("COMMIT");
    result
}

fn corrupt(project: &Project) -> StoreError {
    StoreError::Corrupt {
        path: project.path.clone(),
        reason: "the point cache (lagesbild_point_cache) cannot be read".into(),
    }
}

/// Every incident as a point, oldest first, projected on all cores.
fn compute(project: &Project, cancel: &CancelToken) -> Result<Vec<SwerefPoint>, StoreError> {
    let lean = project.incident_points(&Filter::default(), cancel)?;
    Ok(crate::store::points::project_all(&lean))
}

/// Replaces the cache with `points` (inside the caller's transaction).
fn write(tx: &rusqlite::Transaction<'_>, points: &[SwerefPoint]) -> rusqlite::Result<()> {
    tx.execute_batch(SCHEMA)?;
    tx.execute("DELETE FROM lagesbild_point_cache", [])?;
    {
        let mut insert =
            tx.prepare("INSERT INTO lagesbild_point_cache (chunk, data) VALUES (?1, ?2)")?;
        let mut buf = Vec::new();
        for (i, part) in points.chunks(CHUNK).enumerate() {
            buf.clear();
            encode_all(part, &mut buf);
            insert.execute(rusqlite::params![i as i64, &buf])?;
        }
    }
    tx.execute(
        "INSERT OR REPLACE INTO lagesbild_point_cache_state (id, format, valid) VALUES (1, ?1, 1)",
        [FORMAT],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Incident, LonLat, Source};
    use crate::store::Store;
    use chrono::TimeZone as _;

    fn incident(lon: f64, day: u32) -> Incident {
        Incident::new(
            chrono::Utc
                .with_ymd_and_hms(2025, 5, day, 20, 0, 0)
                .unwrap(),
            Category::Vald,
            Source::Polis,
            LonLat::new(lon, 56.05),
            10.0,
        )
    }

    #[test]
    fn the_cache_follows_every_change_of_the_incidents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut project = Project::create(&path, "P").unwrap();
        let fid = project.add_incident(&incident(14.58, 2)).unwrap();
        project.add_incident(&incident(14.59, 1)).unwrap();
        let cancel = CancelToken::new();
        assert!(!is_valid(&project).unwrap());
        let first = project
            .analysis_points(&Filter::default(), &cancel)
            .unwrap();
        assert_eq!(first.len(), 2);
        // Oldest first, as incident_points has them.
        assert!(first[0].occurred_at < first[1].occurred_at);
        assert!(is_valid(&project).unwrap());
        // Read again from the cache: the same points.
        assert_eq!(
            project
                .analysis_points(&Filter::default(), &cancel)
                .unwrap(),
            first
        );

        // An edit marks it stale in its own transaction; the next read has it.
        let mut moved = project.incident(fid).unwrap().unwrap();
        moved.position = LonLat::new(14.70, 56.05);
        project.update_incident(fid, &moved).unwrap();
        assert!(!is_valid(&project).unwrap());
        let after = project
            .analysis_points(&Filter::default(), &cancel)
            .unwrap();
        let want = SwerefPoint::from_incident_point(&crate::store::IncidentPoint {
            fid,
            occurred_at: moved.occurred_at,
            category: moved.category,
            source: moved.source,
            position: moved.position,
            precision_m: moved.precision_m,
        });
        assert_eq!(after[1], want);
        // Another program's insert (raw SQL, as QGIS would) and a delete.
        project
            .conn
            .execute("DELETE FROM incidents WHERE fid = ?1", [fid])
            .unwrap();
        assert!(!is_valid(&project).unwrap());
        assert_eq!(
            project
                .analysis_points(&Filter::default(), &cancel)
                .unwrap()
                .len(),
            1
        );
        // An import, committed or rolled back.
        {
            let mut session = project.begin_import("x.csv").unwrap();
            session.push(&incident(14.60, 3)).unwrap();
        }
        assert!(
            is_valid(&project).unwrap(),
            "a rolled-back import changes nothing"
        );
        {
            let mut session = project.begin_import("x.csv").unwrap();
            session.push(&incident(14.60, 3)).unwrap();
            session
                .commit(&crate::jobs::NoProgress, &CancelToken::new())
                .unwrap();
        }
        assert!(!is_valid(&project).unwrap());
        let filter = Filter {
            from: chrono::NaiveDate::from_ymd_opt(2025, 5, 3),
            ..Filter::default()
        };
        assert_eq!(project.analysis_points(&filter, &cancel).unwrap().len(), 1);
        // The cache is not a GeoPackage layer.
        let listed: i64 = project
            .conn
            .query_row(
                "SELECT count(*) FROM gpkg_contents WHERE table_name LIKE 'lagesbild_point%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(listed, 0);
    }
}
