//! Police events by id in the GeoPackage (see [`crate::store::police`]).
//!
//! Two plain tables, created lazily inside the first transaction that needs
//! them (no schema version change; a project without them reads as having
//! no history and no summaries):
//! - `lagesbild_police_history`: earlier versions of events, one row per
//!   replaced version (`reason` "updated" or "summary");
//! - `lagesbild_police_summaries`: summaries and notices by event id.
//!
//! Neither is registered in `gpkg_contents`, so GIS programs list them as
//! plain tables and the incident layer holds only incidents.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::edit::{
    INSERT_SQL, IndexChange, UPDATE_SQL, update_contents, update_index_by_hand, write_row,
};
use super::session::key_hash;
use super::{Project, SqlContext, format_time, parse_time};
use crate::jobs::CancelToken;
use crate::model::{Category, Incident, LonLat, Source, new_uid, time};
use crate::store::police::{PoliceSummary, PoliceUpsert, PoliceVersion};
use crate::store::{Store as _, StoreError};

pub(super) const TABLES: &str = "
CREATE TABLE IF NOT EXISTS lagesbild_police_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  external_id TEXT NOT NULL,
  fid INTEGER NOT NULL,
  replaced_at DATETIME NOT NULL,
  reason TEXT NOT NULL,
  uid TEXT NOT NULL,
  occurred_at DATETIME NOT NULL,
  category TEXT NOT NULL,
  category_text TEXT,
  lon REAL NOT NULL,
  lat REAL NOT NULL,
  precision_m REAL NOT NULL,
  place TEXT,
  description TEXT,
  import_file TEXT
);
CREATE INDEX IF NOT EXISTS lagesbild_police_history_external_id
  ON lagesbild_police_history (external_id);
CREATE TABLE IF NOT EXISTS lagesbild_police_summaries (
  external_id TEXT PRIMARY KEY NOT NULL,
  published_at DATETIME NOT NULL,
  title TEXT NOT NULL,
  kind TEXT NOT NULL,
  location TEXT,
  lon REAL,
  lat REAL,
  summary TEXT,
  url TEXT,
  import_file TEXT,
  stored_at DATETIME NOT NULL
);
";

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )
}

/// The stored police incident with this external id.
pub(super) fn fid_of_event(conn: &Connection, probe: &Incident) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT fid FROM incidents WHERE import_key = ?1 AND source = ?2 AND external_id = ?3",
        params![key_hash(probe), probe.source.key(), probe.external_id],
        |r| r.get(0),
    )
    .optional()
}

/// True when what the Police publish about the event differs (the file it
/// came from does not count).
fn event_changed(before: &Incident, after: &Incident) -> bool {
    crate::store::police::version_differs(before, after)
}

fn keep_version(
    conn: &Connection,
    fid: i64,
    before: &Incident,
    reason: &str,
) -> rusqlite::Result<()> {
    keep_version_at(conn, fid, before, reason, Utc::now())
}

/// Files `before` (incident `fid`) in the history as replaced at `replaced_at`.
pub(super) fn keep_version_at(
    conn: &Connection,
    fid: i64,
    before: &Incident,
    reason: &str,
    replaced_at: chrono::DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO lagesbild_police_history (external_id, fid, replaced_at, reason, uid, \
         occurred_at, category, category_text, lon, lat, precision_m, place, description, \
         import_file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            before.external_id,
            fid,
            time::gpkg_datetime(replaced_at),
            reason,
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
    )?;
    Ok(())
}

fn next_fid(conn: &Connection) -> rusqlite::Result<i64> {
    // AUTOINCREMENT: never reuse a fid a deleted incident had.
    conn.query_row(
        "SELECT max(coalesce((SELECT max(fid) FROM incidents), 0), \
         coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0)) + 1",
        [],
        |r| r.get(0),
    )
}

impl Project {
    pub(super) fn upsert_police(
        &mut self,
        file_name: &str,
        events: &[Incident],
        summaries: &[PoliceSummary],
        cancel: &CancelToken,
    ) -> Result<PoliceUpsert, StoreError> {
        for incident in events {
            super::edit::validate(&self.path, incident)?;
            if incident
                .external_id
                .as_deref()
                .is_none_or(|e| e.trim().is_empty())
            {
                return Err(StoreError::InvalidIncident {
                    path: self.path.clone(),
                    reason: "a police event without an id".to_owned(),
                });
            }
        }
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            conn.execute_batch(TABLES).at(path)?;
            let mut out = PoliceUpsert::default();
            let mut added: Option<(f64, f64, f64, f64)> = None;
            let mut removed: Vec<(f64, f64)> = Vec::new();
            let mut grow = |p: LonLat| {
                added = Some(match added {
                    None => (p.lon, p.lat, p.lon, p.lat),
                    Some((a, b, c, d)) => (a.min(p.lon), b.min(p.lat), c.max(p.lon), d.max(p.lat)),
                });
            };
            for (n, incident) in events.iter().enumerate() {
                if n % 256 == 0 {
                    cancel.check()?;
                }
                match fid_of_event(conn, incident).at(path)? {
                    None => {
                        let fid = next_fid(conn).at(path)?;
                        let uid = if incident.uid.is_empty() {
                            new_uid()
                        } else {
                            incident.uid.clone()
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
                        grow(p);
                        out.inserted += 1;
                    }
                    Some(fid) => {
                        let Some(before) = project.incident(fid)? else {
                            continue;
                        };
                        if !event_changed(&before, incident) {
                            out.unchanged += 1;
                            continue;
                        }
                        keep_version(conn, fid, &before, "updated").at(path)?;
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
                            removed.push((old.lon, old.lat));
                            grow(new);
                        }
                        out.updated += 1;
                    }
                }
            }
            for s in summaries {
                cancel.check()?;
                let probe = s.event_probe();
                if let Some(fid) = fid_of_event(conn, &probe).at(path)?
                    && let Some(before) = project.incident(fid)?
                {
                    keep_version(conn, fid, &before, "summary").at(path)?;
                    conn.execute("DELETE FROM incidents WHERE fid = ?1", [fid])
                        .at(path)?;
                    update_index_by_hand(conn, IndexChange::Remove { fid }).at(path)?;
                    removed.push((before.position.lon, before.position.lat));
                    out.moved_to_summaries += 1;
                }
                let stored: Option<(String, String, Option<String>)> = conn
                    .query_row(
                        "SELECT title, kind, summary FROM lagesbild_police_summaries \
                         WHERE external_id = ?1",
                        [&s.external_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .at(path)?;
                let same = stored.as_ref().is_some_and(|(t, k, text)| {
                    *t == s.title && *k == s.kind && *text == s.summary
                });
                if same {
                    continue;
                }
                conn.execute(
                    "INSERT INTO lagesbild_police_summaries (external_id, published_at, title, \
                     kind, location, lon, lat, summary, url, import_file, stored_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                     ON CONFLICT(external_id) DO UPDATE SET published_at = excluded.published_at, \
                     title = excluded.title, kind = excluded.kind, location = excluded.location, \
                     lon = excluded.lon, lat = excluded.lat, summary = excluded.summary, \
                     url = excluded.url, import_file = excluded.import_file, \
                     stored_at = excluded.stored_at",
                    params![
                        s.external_id,
                        format_time(s.published_at),
                        s.title,
                        s.kind,
                        s.location,
                        s.position.map(|p| p.lon),
                        s.position.map(|p| p.lat),
                        s.summary,
                        s.url,
                        s.import_file,
                        time::gpkg_datetime(Utc::now()),
                    ],
                )
                .at(path)?;
                if stored.is_some() {
                    out.summaries_updated += 1;
                } else {
                    out.summaries_new += 1;
                }
            }
            if let Some((a, b, c, d)) = added {
                update_contents(conn, path, Some((a, b)), None)?;
                update_contents(conn, path, Some((c, d)), None)?;
            }
            for p in removed {
                update_contents(conn, path, None, Some(p))?;
            }
            if !out.is_empty() {
                conn.execute(
                    "INSERT INTO lagesbild_imports (file_name, imported_at, inserted, \
                     duplicates, conflicts, app_version) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                    params![
                        file_name,
                        time::gpkg_datetime(Utc::now()),
                        (out.inserted + out.updated) as i64,
                        out.unchanged as i64,
                        crate::APP_NAME_VERSION
                    ],
                )
                .at(path)?;
            }
            cancel.check()?;
            Ok(out)
        })
    }

    pub(super) fn stored_police_summaries(&self) -> Result<Vec<PoliceSummary>, StoreError> {
        let (conn, path) = (&self.conn, self.path.as_path());
        if !table_exists(conn, "lagesbild_police_summaries").at(path)? {
            return Ok(Vec::new());
        }
        let mut stmt = conn
            .prepare(
                "SELECT external_id, published_at, title, kind, location, lon, lat, summary, \
                 url, import_file FROM lagesbild_police_summaries \
                 ORDER BY published_at DESC, external_id",
            )
            .at(path)?;
        let rows = stmt
            .query_map([], |r| {
                let published: String = r.get(1)?;
                let lon: Option<f64> = r.get(5)?;
                let lat: Option<f64> = r.get(6)?;
                Ok((
                    published,
                    PoliceSummary {
                        external_id: r.get(0)?,
                        published_at: chrono::DateTime::<Utc>::UNIX_EPOCH,
                        title: r.get(2)?,
                        kind: r.get(3)?,
                        location: r.get(4)?,
                        position: lon.zip(lat).map(|(lon, lat)| LonLat::new(lon, lat)),
                        summary: r.get(7)?,
                        url: r.get(8)?,
                        import_file: r.get(9)?,
                    },
                ))
            })
            .at(path)?;
        let mut out = Vec::new();
        for row in rows {
            let (published, mut s) = row.at(path)?;
            s.published_at = parse_time(&published).ok_or_else(|| StoreError::Corrupt {
                path: path.to_owned(),
                reason: format!(
                    "police summary {:?}: unreadable published_at {published:?}",
                    s.external_id
                ),
            })?;
            out.push(s);
        }
        Ok(out)
    }

    pub(super) fn stored_police_history(
        &self,
        external_id: &str,
    ) -> Result<Vec<PoliceVersion>, StoreError> {
        let (conn, path) = (&self.conn, self.path.as_path());
        if !table_exists(conn, "lagesbild_police_history").at(path)? {
            return Ok(Vec::new());
        }
        let mut stmt = conn
            .prepare(
                "SELECT fid, replaced_at, reason, uid, occurred_at, category, category_text, \
                 lon, lat, precision_m, place, description, import_file \
                 FROM lagesbild_police_history WHERE external_id = ?1 ORDER BY id",
            )
            .at(path)?;
        let rows = stmt
            .query_map([external_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    (
                        r.get::<_, f64>(7)?,
                        r.get::<_, f64>(8)?,
                        r.get::<_, f64>(9)?,
                    ),
                    (
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                        r.get::<_, Option<String>>(12)?,
                    ),
                ))
            })
            .at(path)?;
        let mut out = Vec::new();
        for row in rows {
            let (
                fid,
                replaced,
                reason,
                uid,
                occurred,
                category,
                category_text,
                (lon, lat, prec),
                (place, description, import_file),
            ) = row.at(path)?;
            let corrupt = |what: &str, text: &str| StoreError::Corrupt {
                path: path.to_owned(),
                reason: format!("police history of {external_id:?}: unreadable {what} {text:?}"),
            };
            let replaced_at =
                parse_time(&replaced).ok_or_else(|| corrupt("replaced_at", &replaced))?;
            let occurred_at =
                parse_time(&occurred).ok_or_else(|| corrupt("occurred_at", &occurred))?;
            let mut incident = Incident::new(
                occurred_at,
                Category::from_key(&category).unwrap_or(Category::Ovrigt),
                Source::Polis,
                LonLat::new(lon, lat),
                prec,
            );
            incident.fid = Some(fid);
            incident.uid = uid;
            incident.category_text = category_text;
            incident.place = place;
            incident.description = description;
            incident.import_file = import_file;
            incident.external_id = Some(external_id.to_owned());
            out.push(PoliceVersion {
                replaced_at,
                reason,
                incident,
            });
        }
        Ok(out)
    }
}
