//! The hosts' tracks and check-ins in the project.
//!
//! Tracks are the GeoPackage feature table `tracks`: one POINT row per fix
//! (WGS 84) with `track_id`, the host code `host`, `fix_time` and the
//! `source` file, so a GIS program can check an import. Check-ins are the
//! plain table `lagesbild_checkins`. Both are created on first use (no
//! schema version step). Each import or prune is one transaction. Nothing
//! here stores a name: hosts are codes ([`crate::model::track`]).
//!
//! A track whose host, first fix time and number of fixes match a stored one
//! is the same file imported again and is skipped.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};

use super::schema::{self, FeatureLayer, SRS_WGS84};
use super::{Project, SqlContext as _, blob, format_time, parse_time};
use crate::model::LonLat;
use crate::model::track::{CheckIn, Fix, Track, check_host_code};
use crate::store::{StoreError, TrackSummary};

/// The tracks' feature table.
pub const TRACKS_TABLE: &str = "tracks";

const CHECKINS_TABLE: &str = "CREATE TABLE IF NOT EXISTS lagesbild_checkins (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  place TEXT NOT NULL,
  host TEXT NOT NULL,
  checked_in DATETIME NOT NULL,
  checked_out DATETIME NOT NULL,
  UNIQUE (place, host, checked_in)
)";

fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Refuses a table of this name that another program made (it lacks
/// `column`), so nothing is written into it.
pub(super) fn check_own_table(
    conn: &Connection,
    table: &str,
    column: &str,
) -> rusqlite::Result<()> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get(0),
    )?;
    if n == 0 {
        return Err(rusqlite::Error::UserFunctionError(
            format!(
                "the project has a table named {table:?} that Lägesbild did not make; \
                 rename it (e.g. in QGIS) to keep it"
            )
            .into(),
        ));
    }
    Ok(())
}

fn ensure_tracks(conn: &Connection) -> rusqlite::Result<()> {
    if has_table(conn, TRACKS_TABLE)? {
        return check_own_table(conn, TRACKS_TABLE, "track_id");
    }
    schema::create_feature_layer(
        conn,
        &FeatureLayer {
            table: TRACKS_TABLE,
            geometry_type: "POINT",
            srs_id: SRS_WGS84,
            columns_sql: "track_id INTEGER NOT NULL,\n  host TEXT NOT NULL,\n  \
                          fix_time DATETIME NOT NULL,\n  source TEXT NOT NULL",
            identifier: "Spår (trygghetsvärdar)",
            description: "GPS fixes of the hosts' tracks, keyed by host code; personal data, pruned by lagesbild tracks prune",
        },
    )?;
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS tracks_track_time ON tracks (track_id, fix_time)",
    )
}

/// The UTC bounds of local dates `from`..=`to`.
fn bounds(from: Option<NaiveDate>, to: Option<NaiveDate>) -> (String, String) {
    let f = crate::model::Filter {
        from,
        to,
        ..Default::default()
    };
    let (a, b) = f.utc_bounds();
    (
        a.map_or_else(|| "0000-01-01T00:00:00.000Z".to_owned(), format_time),
        b.map_or_else(|| "9999-12-31T23:59:59.999Z".to_owned(), format_time),
    )
}

/// Why `tracks` cannot be stored (a bad host code, no fixes, a position
/// that is no number), or `None`. Every store checks this before writing.
pub(crate) fn track_problem(tracks: &[Track]) -> Option<String> {
    for t in tracks {
        if let Err(r) = check_host_code(&t.host) {
            return Some(format!("{}: {r}", t.source));
        }
        if t.fixes.is_empty() {
            return Some(format!("{}: no fixes", t.source));
        }
        if let Some(f) = t.fixes.iter().find(|f| !f.position.is_finite()) {
            return Some(format!(
                "{}: fix at {} has no finite position",
                t.source, f.at
            ));
        }
    }
    None
}

/// Why `checkins` cannot be stored, or `None` (see [`track_problem`]).
pub(crate) fn checkin_problem(checkins: &[CheckIn]) -> Option<String> {
    for c in checkins {
        if let Err(r) = check_host_code(&c.host) {
            return Some(r);
        }
        if c.checked_out < c.checked_in {
            return Some("a check-out is before its check-in".to_owned());
        }
    }
    None
}

impl Project {
    fn invalid_track(&self, reason: impl Into<String>) -> StoreError {
        StoreError::InvalidTrack {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    /// Stores `tracks` in one transaction; returns how many were stored and
    /// how many skipped as imported before.
    pub(super) fn store_tracks(&mut self, tracks: &[Track]) -> Result<(usize, usize), StoreError> {
        if let Some(reason) = track_problem(tracks) {
            return Err(self.invalid_track(reason));
        }
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            ensure_tracks(conn).at(path)?;
            let (mut stored, mut skipped) = (0, 0);
            for t in tracks {
                let mut sorted = t.clone();
                sorted.sort();
                let first = format_time(sorted.fixes[0].at);
                let same: Option<i64> = conn
                    .query_row(
                        "SELECT track_id FROM tracks WHERE host = ?1 GROUP BY track_id \
                         HAVING min(fix_time) = ?2 AND count(*) = ?3",
                        params![t.host, first, sorted.fixes.len() as i64],
                        |r| r.get(0),
                    )
                    .optional()
                    .at(path)?;
                if same.is_some() {
                    skipped += 1;
                    continue;
                }
                let id: i64 = conn
                    .query_row(
                        "SELECT coalesce(max(track_id), 0) + 1 FROM tracks",
                        [],
                        |r| r.get(0),
                    )
                    .at(path)?;
                let mut insert = conn
                    .prepare_cached(
                        "INSERT INTO tracks (geom, track_id, host, fix_time, source) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .at(path)?;
                for f in &sorted.fixes {
                    let g = blob::point_blob(SRS_WGS84, f.position.lon, f.position.lat);
                    insert
                        .execute(params![&g[..], id, t.host, format_time(f.at), t.source])
                        .at(path)?;
                }
                stored += 1;
            }
            conn.execute(
                "UPDATE gpkg_contents SET min_x = (SELECT min(minx) FROM rtree_tracks_geom), \
                 max_x = (SELECT max(maxx) FROM rtree_tracks_geom), \
                 min_y = (SELECT min(miny) FROM rtree_tracks_geom), \
                 max_y = (SELECT max(maxy) FROM rtree_tracks_geom) WHERE table_name = 'tracks'",
                [],
            )
            .at(path)?;
            Ok((stored, skipped))
        })
    }

    /// The stored tracks with fixes on local dates `from`..=`to` (only those fixes).
    pub(super) fn load_tracks(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Track>, StoreError> {
        let path = self.path.as_path();
        if !has_table(&self.conn, TRACKS_TABLE).at(path)? {
            return Ok(Vec::new());
        }
        let (a, b) = bounds(from, to);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT track_id, host, source, fix_time, geom FROM tracks \
                 WHERE fix_time >= ?1 AND fix_time < ?2 ORDER BY track_id, fix_time",
            )
            .at(path)?;
        let mut rows = stmt.query([a, b]).at(path)?;
        let mut out: Vec<(i64, Track)> = Vec::new();
        while let Some(r) = rows.next().at(path)? {
            let id: i64 = r.get(0).at(path)?;
            let time_text: String = r.get(3).at(path)?;
            let corrupt = |reason: String| StoreError::Corrupt {
                path: path.to_owned(),
                reason: format!("tracks: track {id}: {reason}"),
            };
            let at = parse_time(&time_text)
                .ok_or_else(|| corrupt(format!("fix_time {time_text:?} is not a DATETIME")))?;
            let g: Vec<u8> = r.get(4).at(path)?;
            let (lon, lat) = blob::parse_point(&g).map_err(|e| corrupt(e.to_string()))?;
            let fix = Fix {
                at,
                position: LonLat::new(lon, lat),
            };
            match out.last_mut() {
                Some((last, t)) if *last == id => t.fixes.push(fix),
                _ => out.push((
                    id,
                    Track {
                        host: r.get(1).at(path)?,
                        source: r.get(2).at(path)?,
                        fixes: vec![fix],
                    },
                )),
            }
        }
        Ok(out.into_iter().map(|(_, t)| t).collect())
    }

    pub(super) fn track_list(&self) -> Result<Vec<TrackSummary>, StoreError> {
        let path = self.path.as_path();
        if !has_table(&self.conn, TRACKS_TABLE).at(path)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT host, source, min(fix_time), max(fix_time), count(*) FROM tracks \
                 GROUP BY track_id ORDER BY min(fix_time), host",
            )
            .at(path)?;
        let rows: Vec<(String, String, String, String, i64)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .and_then(|rows| rows.collect())
            .at(path)?;
        rows.into_iter()
            .map(|(host, source, a, b, n)| {
                let t = |s: &str| {
                    parse_time(s).ok_or_else(|| StoreError::Corrupt {
                        path: path.to_owned(),
                        reason: format!("tracks: fix_time {s:?} is not a DATETIME"),
                    })
                };
                Ok(TrackSummary {
                    host,
                    source,
                    first: t(&a)?,
                    last: t(&b)?,
                    fixes: n.max(0) as u64,
                })
            })
            .collect()
    }

    pub(super) fn store_checkins(
        &mut self,
        checkins: &[CheckIn],
    ) -> Result<(usize, usize), StoreError> {
        if let Some(reason) = checkin_problem(checkins) {
            return Err(self.invalid_track(reason));
        }
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            conn.execute_batch(CHECKINS_TABLE).at(path)?;
            let (mut stored, mut skipped) = (0, 0);
            for c in checkins {
                let n = conn
                    .execute(
                        "INSERT OR IGNORE INTO lagesbild_checkins (place, host, checked_in, \
                         checked_out) VALUES (?1, ?2, ?3, ?4)",
                        params![
                            c.place,
                            c.host,
                            format_time(c.checked_in),
                            format_time(c.checked_out)
                        ],
                    )
                    .at(path)?;
                if n == 0 {
                    skipped += 1;
                } else {
                    stored += 1;
                }
            }
            Ok((stored, skipped))
        })
    }

    pub(super) fn load_checkins(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<CheckIn>, StoreError> {
        let path = self.path.as_path();
        if !has_table(&self.conn, "lagesbild_checkins").at(path)? {
            return Ok(Vec::new());
        }
        let (a, b) = bounds(from, to);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT place, host, checked_in, checked_out FROM lagesbild_checkins \
                 WHERE checked_in >= ?1 AND checked_in < ?2 ORDER BY checked_in",
            )
            .at(path)?;
        let rows: Vec<(String, String, String, String)> = stmt
            .query_map([a, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|rows| rows.collect())
            .at(path)?;
        rows.into_iter()
            .map(|(place, host, i, o)| {
                let t = |s: &str| {
                    parse_time(s).ok_or_else(|| StoreError::Corrupt {
                        path: path.to_owned(),
                        reason: format!("lagesbild_checkins: {s:?} is not a DATETIME"),
                    })
                };
                Ok(CheckIn {
                    place,
                    host,
                    checked_in: t(&i)?,
                    checked_out: t(&o)?,
                })
            })
            .collect()
    }

    /// Deletes tracks whose last fix, and check-ins whose check-out, is
    /// before `before`; one transaction. Returns (tracks, check-ins) deleted.
    pub(super) fn prune_before(
        &mut self,
        before: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        self.in_transaction(|project| {
            delete_tracks_before(&project.conn, project.path.as_path(), before)
        })
    }
}

/// Deletes tracks that ended, and check-ins that closed, before `before`,
/// inside the caller's transaction; returns (tracks, check-ins) deleted.
pub(super) fn delete_tracks_before(
    conn: &Connection,
    path: &std::path::Path,
    before: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    let cut = format_time(before);
    let mut tracks = 0;
    if has_table(conn, TRACKS_TABLE).at(path)? {
        tracks = conn
            .query_row(
                "SELECT count(*) FROM (SELECT track_id FROM tracks GROUP BY track_id \
                 HAVING max(fix_time) < ?1)",
                [&cut],
                |r| r.get::<_, i64>(0),
            )
            .at(path)? as usize;
        conn.execute(
            "DELETE FROM tracks WHERE track_id IN (SELECT track_id FROM tracks \
             GROUP BY track_id HAVING max(fix_time) < ?1)",
            [&cut],
        )
        .at(path)?;
    }
    let mut checkins = 0;
    if has_table(conn, "lagesbild_checkins").at(path)? {
        checkins = conn
            .execute(
                "DELETE FROM lagesbild_checkins WHERE checked_out < ?1",
                [&cut],
            )
            .at(path)?;
    }
    Ok((tracks, checkins))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store as _;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn track(host: &str, start: &str, n: i64) -> Track {
        Track {
            host: host.into(),
            source: format!("{host}.gpx"),
            fixes: (0..n)
                .map(|i| Fix {
                    at: t(start) + chrono::Duration::minutes(i),
                    position: LonLat::new(14.58 + i as f64 * 1e-4, 56.05),
                })
                .collect(),
        }
    }

    #[test]
    fn tracks_are_stored_once_read_by_date_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        let a = track("TV01", "2025-01-10T19:00:00Z", 5);
        let b = track("TV02", "2025-03-10T19:00:00Z", 3);
        assert_eq!(p.add_tracks(&[a.clone(), b.clone()]).unwrap(), (2, 0));
        assert_eq!(p.add_tracks(std::slice::from_ref(&a)).unwrap(), (0, 1));
        let all = p.tracks(None, None).unwrap();
        assert_eq!(all, [a.clone(), b.clone()]);
        let march = p.tracks(NaiveDate::from_ymd_opt(2025, 3, 1), None).unwrap();
        assert_eq!(march, std::slice::from_ref(&b));
        let list = p.track_summaries().unwrap();
        assert_eq!((list[0].host.as_str(), list[0].fixes), ("TV01", 5));
        // A name is refused and nothing is stored.
        let err = p
            .add_tracks(&[track("Anna", "2025-04-01T19:00:00Z", 2)])
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidTrack { .. }), "{err}");
        assert_eq!(p.track_summaries().unwrap().len(), 2);
        let c = CheckIn {
            place: "Torget".into(),
            host: "TV03".into(),
            checked_in: t("2025-01-11T19:00:00Z"),
            checked_out: t("2025-01-11T19:20:00Z"),
        };
        assert_eq!(p.add_checkins(&[c.clone(), c.clone()]).unwrap(), (1, 1));
        assert_eq!(p.checkins(None, None).unwrap(), [c]);
        assert_eq!(p.prune_tracks(t("2025-02-01T00:00:00Z")).unwrap(), (1, 1));
        assert_eq!(p.tracks(None, None).unwrap(), [b]);
        assert!(p.checkins(None, None).unwrap().is_empty());
    }
}
