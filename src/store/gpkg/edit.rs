//! Editing single incidents: add, update and delete, each in one transaction.
//!
//! The R-tree index `rtree_incidents_geom` is kept right by the GeoPackage
//! 1.3 triggers that every project has (an import drops them for its length
//! and creates them again at commit). A file whose triggers are missing (made
//! by another program) gets the index updated here instead. The layer's
//! extent in `gpkg_contents` grows with added points and is computed again
//! when a point on its edge moves or goes.
//!
//! Each edit is recorded in the plain table `lagesbild_edits` (created on
//! first use): when, what (add/update/delete, fid, uid, the names of the
//! changed fields), by which OS user and app version. Values are never
//! recorded there: descriptions may be sensitive.

use std::path::Path;

use chrono::{Datelike, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::blob::{self, point_blob};
use super::schema::{self, SRS_WGS84};
use super::session::key_hash;
use super::{Project, SqlContext, format_time};
use crate::model::{Incident, new_uid, time};
use crate::store::StoreError;

/// The audit table of edits made in the app.
const EDITS_TABLE: &str = "CREATE TABLE IF NOT EXISTS lagesbild_edits (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  edited_at DATETIME NOT NULL,
  action TEXT NOT NULL,
  fid INTEGER NOT NULL,
  uid TEXT NOT NULL,
  changed TEXT,
  edited_by TEXT,
  app_version TEXT NOT NULL
)";

/// Longest uid accepted, in bytes.
const UID_MAX_LEN: usize = 100;

fn invalid(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::InvalidIncident {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Checks the values of an incident to store. Never quotes free text.
pub(crate) fn validate(path: &Path, incident: &Incident) -> Result<(), StoreError> {
    let p = incident.position;
    if !p.is_finite() {
        return Err(invalid(
            path,
            format!(
                "position is not a finite number (lon {}, lat {})",
                p.lon, p.lat
            ),
        ));
    }
    if !(-180.0..=180.0).contains(&p.lon) {
        return Err(invalid(
            path,
            format!("longitude {} is outside -180..180", p.lon),
        ));
    }
    if !(-90.0..=90.0).contains(&p.lat) {
        return Err(invalid(
            path,
            format!("latitude {} is outside -90..90", p.lat),
        ));
    }
    if !incident.precision_m.is_finite() || incident.precision_m < 0.0 {
        return Err(invalid(
            path,
            format!(
                "precision {} m must be a finite number of at least 0",
                incident.precision_m
            ),
        ));
    }
    let year = incident.occurred_at.year();
    if !(1..=9999).contains(&year) {
        return Err(invalid(path, format!("year {year} is outside 1..9999")));
    }
    let uid = incident.uid.as_str();
    if uid.len() > UID_MAX_LEN || uid.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            path,
            format!("uid must be at most {UID_MAX_LEN} bytes without spaces or control characters"),
        ));
    }
    Ok(())
}

/// The names of the fields that differ (never their values).
pub(crate) fn changed_fields(before: &Incident, after: &Incident) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.occurred_at != after.occurred_at {
        out.push("occurred_at");
    }
    if before.category != after.category {
        out.push("category");
    }
    if before.category_text != after.category_text {
        out.push("category_text");
    }
    if before.source != after.source {
        out.push("source");
    }
    if before.source_text != after.source_text {
        out.push("source_text");
    }
    if before.position != after.position {
        out.push("geom");
    }
    if before.precision_m.to_bits() != after.precision_m.to_bits() {
        out.push("precision_m");
    }
    if before.place != after.place {
        out.push("place");
    }
    if before.description != after.description {
        out.push("description");
    }
    if before.import_file != after.import_file {
        out.push("import_file");
    }
    if before.external_id != after.external_id {
        out.push("external_id");
    }
    out
}

/// The OS user making the edit, for the audit table.
pub(crate) fn os_user() -> Option<String> {
    crate::store::export_log::os_login()
}

fn record_edit(
    conn: &Connection,
    action: &str,
    fid: i64,
    uid: &str,
    changed: Option<&str>,
) -> rusqlite::Result<()> {
    conn.execute_batch(EDITS_TABLE)?;
    conn.execute(
        "INSERT INTO lagesbild_edits (edited_at, action, fid, uid, changed, edited_by, \
         app_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            time::gpkg_datetime(Utc::now()),
            action,
            fid,
            uid,
            changed,
            os_user(),
            crate::APP_NAME_VERSION
        ],
    )?;
    Ok(())
}

/// True when all six GeoPackage R-tree triggers of the incident layer exist.
fn has_rtree_triggers(conn: &Connection) -> rusqlite::Result<bool> {
    let names = schema::rtree_trigger_names("incidents", "geom");
    let mut found = 0;
    for name in &names {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        found += usize::from(exists);
    }
    Ok(found == names.len())
}

fn has_rtree(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [schema::rtree_name("incidents", "geom")],
        |r| r.get(0),
    )
}

/// What the R-tree needs after a row changed, when no trigger does it.
pub(super) enum IndexChange {
    Put { fid: i64, lon: f64, lat: f64 },
    Remove { fid: i64 },
}

pub(super) fn update_index_by_hand(conn: &Connection, change: IndexChange) -> rusqlite::Result<()> {
    if has_rtree_triggers(conn)? || !has_rtree(conn)? {
        return Ok(());
    }
    let rtree = schema::quote_ident(&schema::rtree_name("incidents", "geom"));
    match change {
        IndexChange::Put { fid, lon, lat } => conn.execute(
            &format!("INSERT OR REPLACE INTO {rtree} VALUES (?1, ?2, ?2, ?3, ?3)"),
            params![fid, lon, lat],
        )?,
        IndexChange::Remove { fid } => {
            conn.execute(&format!("DELETE FROM {rtree} WHERE id = ?1"), [fid])?
        }
    };
    Ok(())
}

type Extent = (f64, f64, f64, f64);

fn stored_extent(conn: &Connection) -> rusqlite::Result<Option<Extent>> {
    let row: Option<Option<Extent>> = conn
        .query_row(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'incidents'",
            [],
            |r| {
                Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
                    (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
                    _ => None,
                })
            },
        )
        .optional()?;
    Ok(row.flatten())
}

/// The extent of every row, `None` for an empty table.
fn computed_extent(conn: &Connection, path: &Path) -> Result<Option<Extent>, StoreError> {
    let mut stmt = conn.prepare("SELECT fid, geom FROM incidents").at(path)?;
    let mut rows = stmt.query([]).at(path)?;
    let mut ext: Option<Extent> = None;
    while let Some(r) = rows.next().at(path)? {
        let fid: i64 = r.get(0).at(path)?;
        let corrupt = |reason: String| StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("incidents fid {fid}: {reason}"),
        };
        let raw = r.get_ref(1).at(path)?;
        let bytes = raw
            .as_blob()
            .map_err(|_| corrupt("geometry is not a blob".to_owned()))?;
        let (x, y) = blob::parse_point(bytes).map_err(|e| corrupt(e.to_string()))?;
        ext = Some(match ext {
            None => (x, y, x, y),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
        });
    }
    Ok(ext)
}

fn on_edge(e: Extent, lon: f64, lat: f64) -> bool {
    lon <= e.0 || lat <= e.1 || lon >= e.2 || lat >= e.3
}

/// Brings the layer's extent and last change up to date after a point was
/// added at `added` and/or removed from `removed`.
pub(super) fn update_contents(
    conn: &Connection,
    path: &Path,
    added: Option<(f64, f64)>,
    removed: Option<(f64, f64)>,
) -> Result<(), StoreError> {
    let stored = stored_extent(conn).at(path)?;
    let recompute = match (stored, removed) {
        (None, _) => true,
        (Some(e), Some((lon, lat))) => on_edge(e, lon, lat),
        (Some(_), None) => false,
    };
    let extent = if recompute {
        computed_extent(conn, path)?
    } else {
        stored.map(|e| match added {
            Some((x, y)) => (e.0.min(x), e.1.min(y), e.2.max(x), e.3.max(y)),
            None => e,
        })
    };
    let now = time::gpkg_datetime(Utc::now());
    let (a, b, c, d) = match extent {
        Some((a, b, c, d)) => (Some(a), Some(b), Some(c), Some(d)),
        None => (None, None, None, None),
    };
    conn.execute(
        "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4, \
         last_change = ?5 WHERE table_name = 'incidents'",
        params![a, b, c, d, now],
    )
    .at(path)?;
    Ok(())
}

fn fid_of_uid(conn: &Connection, uid: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT fid FROM incidents WHERE uid = ?1", [uid], |r| {
        r.get(0)
    })
    .optional()
}

/// Writes every column of `incident` into row `fid` (insert or update).
pub(super) fn write_row(
    conn: &Connection,
    sql: &str,
    fid: i64,
    uid: &str,
    incident: &Incident,
) -> rusqlite::Result<usize> {
    let p = incident.position;
    let geom = point_blob(SRS_WGS84, p.lon, p.lat);
    conn.execute(
        sql,
        params![
            fid,
            &geom[..],
            uid,
            format_time(incident.occurred_at),
            incident.category.key(),
            incident.category_text,
            incident.source.key(),
            incident.source_text,
            incident.precision_m,
            incident.place,
            incident.description,
            incident.import_file,
            incident.external_id,
            key_hash(incident),
        ],
    )
}

pub(super) const INSERT_SQL: &str = "INSERT INTO incidents (fid, geom, uid, occurred_at, category, \
     category_text, source, source_text, precision_m, place, description, import_file, \
     external_id, import_key) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

pub(super) const UPDATE_SQL: &str = "UPDATE incidents SET geom = ?2, uid = ?3, occurred_at = ?4, \
     category = ?5, category_text = ?6, source = ?7, source_text = ?8, precision_m = ?9, \
     place = ?10, description = ?11, import_file = ?12, external_id = ?13, import_key = ?14 \
     WHERE fid = ?1";

impl Project {
    /// Runs `work` inside `BEGIN IMMEDIATE` … `COMMIT`; an error rolls back.
    pub(super) fn in_transaction<T>(
        &mut self,
        work: impl FnOnce(&Project) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").at(&self.path)?;
        let result =
            work(self).and_then(|v| self.conn.execute_batch("COMMIT").at(&self.path).map(|()| v));
        if result.is_err() && !self.conn.is_autocommit() {
            // A failed rollback leaves a hot journal that SQLite rolls back
            // on the next open; nothing more to do here.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }

    pub(super) fn add_one(&mut self, incident: &Incident) -> Result<i64, StoreError> {
        validate(&self.path, incident)?;
        let uid = if incident.uid.is_empty() {
            new_uid()
        } else {
            incident.uid.clone()
        };
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            if let Some(owner) = fid_of_uid(conn, &uid).at(path)? {
                return Err(invalid(
                    path,
                    format!("uid {uid:?} is already used by incident fid {owner}"),
                ));
            }
            let fid = match incident.fid {
                Some(fid) => {
                    let taken: bool = conn
                        .query_row(
                            "SELECT EXISTS (SELECT 1 FROM incidents WHERE fid = ?1)",
                            [fid],
                            |r| r.get(0),
                        )
                        .at(path)?;
                    if taken || fid < 1 {
                        return Err(invalid(
                            path,
                            format!("fid {fid} is already used or not a valid fid"),
                        ));
                    }
                    fid
                }
                // AUTOINCREMENT: never reuse a fid a deleted incident had.
                None => conn
                    .query_row(
                        "SELECT max(coalesce((SELECT max(fid) FROM incidents), 0), \
                         coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0)) + 1",
                        [],
                        |r| r.get(0),
                    )
                    .at(path)?,
            };
            write_row(conn, INSERT_SQL, fid, &uid, incident).at(path)?;
            let p = incident.position;
            update_index_by_hand(
                conn,
                IndexChange::Put {
                    fid,
                    lon: p.lon,
                    lat: p.lat,
                },
            )
            .at(path)?;
            update_contents(conn, path, Some((p.lon, p.lat)), None)?;
            record_edit(conn, "add", fid, &uid, None).at(path)?;
            Ok(fid)
        })
    }

    pub(super) fn update_one(
        &mut self,
        fid: i64,
        incident: &Incident,
    ) -> Result<Incident, StoreError> {
        use crate::store::Store as _;
        validate(&self.path, incident)?;
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            let Some(before) = project.incident(fid)? else {
                return Err(StoreError::NoSuchIncident {
                    path: path.to_owned(),
                    fid,
                });
            };
            let changed = changed_fields(&before, incident);
            if changed.is_empty() {
                return Ok(before);
            }
            write_row(conn, UPDATE_SQL, fid, &before.uid, incident).at(path)?;
            let (old, new) = (before.position, incident.position);
            if old != new {
                update_index_by_hand(
                    conn,
                    IndexChange::Put {
                        fid,
                        lon: new.lon,
                        lat: new.lat,
                    },
                )
                .at(path)?;
                update_contents(
                    conn,
                    path,
                    Some((new.lon, new.lat)),
                    Some((old.lon, old.lat)),
                )?;
            } else {
                update_contents(conn, path, None, None)?;
            }
            record_edit(conn, "update", fid, &before.uid, Some(&changed.join(","))).at(path)?;
            Ok(before)
        })
    }

    pub(super) fn delete_one(&mut self, fid: i64) -> Result<Incident, StoreError> {
        use crate::store::Store as _;
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            let Some(before) = project.incident(fid)? else {
                return Err(StoreError::NoSuchIncident {
                    path: path.to_owned(),
                    fid,
                });
            };
            conn.execute("DELETE FROM incidents WHERE fid = ?1", [fid])
                .at(path)?;
            update_index_by_hand(conn, IndexChange::Remove { fid }).at(path)?;
            let p = before.position;
            update_contents(conn, path, None, Some((p.lon, p.lat)))?;
            record_edit(conn, "delete", fid, &before.uid, None).at(path)?;
            Ok(before)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, LonLat, Source};

    fn sample() -> Incident {
        Incident::new(
            Utc::now(),
            Category::Skadegorelse,
            Source::Trygghetsvard,
            LonLat::new(14.58, 56.05),
            10.0,
        )
    }

    #[test]
    fn validation_names_the_field_not_the_text() {
        let path = Path::new("p.gpkg");
        assert!(validate(path, &sample()).is_ok());
        let mut bad = sample();
        bad.position.lat = 91.0;
        bad.description = Some("hemligt namn".to_owned());
        let err = validate(path, &bad).unwrap_err().to_string();
        assert!(err.contains("latitude 91"), "{err}");
        assert!(!err.contains("hemligt"), "{err}");
        bad = sample();
        bad.position.lon = f64::NAN;
        assert!(validate(path, &bad).is_err());
        bad = sample();
        bad.position.lon = 181.0;
        assert!(validate(path, &bad).is_err());
        bad = sample();
        bad.precision_m = -1.0;
        assert!(validate(path, &bad).is_err());
        bad.precision_m = f64::INFINITY;
        assert!(validate(path, &bad).is_err());
        bad = sample();
        bad.uid = "has space".to_owned();
        assert!(validate(path, &bad).is_err());
        bad.uid = "x".repeat(UID_MAX_LEN + 1);
        assert!(validate(path, &bad).is_err());
        bad = sample();
        bad.precision_m = 0.0;
        assert!(validate(path, &bad).is_ok());
    }

    #[test]
    fn changed_fields_lists_names_only() {
        let a = sample();
        let mut b = a.clone();
        assert!(changed_fields(&a, &b).is_empty());
        b.category = Category::Vald;
        b.position.lon += 0.001;
        b.description = Some("x".to_owned());
        assert_eq!(
            changed_fields(&a, &b),
            vec!["category", "geom", "description"]
        );
    }

    #[test]
    fn edge_detection() {
        let e = (14.0, 56.0, 15.0, 57.0);
        assert!(on_edge(e, 14.0, 56.5));
        assert!(on_edge(e, 14.5, 57.0));
        assert!(!on_edge(e, 14.5, 56.5));
    }
}
