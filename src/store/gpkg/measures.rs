//! Measures (insatser) as the GeoPackage feature table `measures`:
//! MultiPolygon in WGS 84 (EPSG:4326) with its R-tree, the attributes as
//! columns and the problem filter as JSON text, so QGIS and GDAL list the
//! measures' areas beside the incidents.
//!
//! The table is created on first use (no schema version step: a project
//! without measures has no table, and older versions ignore it). Each edit is
//! one transaction. A measure's name is unique (exact comparison).

use chrono::NaiveDate;
use geo::{BoundingRect as _, Geometry};
use rusqlite::{Connection, OptionalExtension as _, params};

use super::schema::{self, FeatureLayer, SRS_WGS84};
use super::{Project, SqlContext as _, blob, format_time};
use crate::model::Filter;
use crate::model::measure::Measure;
use crate::store::StoreError;

/// The feature table's name.
pub const MEASURES_TABLE: &str = "measures";

const COLUMNS_SQL: &str = "name TEXT NOT NULL UNIQUE,
  problem TEXT NOT NULL,
  place TEXT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE,
  responsible TEXT NOT NULL,
  note TEXT NOT NULL,
  updated_at DATETIME NOT NULL";

const SELECT: &str = "SELECT fid, geom, name, problem, place, start_date, end_date, \
                      responsible, note FROM measures";

fn table_exists(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM gpkg_contents WHERE table_name = ?1",
        [MEASURES_TABLE],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn ensure_table(conn: &Connection) -> rusqlite::Result<()> {
    if table_exists(conn)? {
        return Ok(());
    }
    schema::create_feature_layer(
        conn,
        &FeatureLayer {
            table: MEASURES_TABLE,
            geometry_type: "MULTIPOLYGON",
            srs_id: SRS_WGS84,
            columns_sql: COLUMNS_SQL,
            identifier: "Insatser",
            description: "Lägesbild measures (insatser): area, problem filter (JSON), dates",
        },
    )
}

/// Grows the table's extent in gpkg_contents to take in `g`.
fn grow_extent(conn: &Connection, g: &Geometry<f64>) -> rusqlite::Result<()> {
    let Some(r) = g.bounding_rect() else {
        return Ok(());
    };
    conn.execute(
        "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1), \
         max_x = max(coalesce(max_x, ?2), ?2), min_y = min(coalesce(min_y, ?3), ?3), \
         max_y = max(coalesce(max_y, ?4), ?4) WHERE table_name = ?5",
        params![r.min().x, r.max().x, r.min().y, r.max().y, MEASURES_TABLE],
    )?;
    Ok(())
}

impl Project {
    fn invalid_measure(&self, reason: impl Into<String>) -> StoreError {
        StoreError::InvalidMeasure {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    fn measure_row(&self, r: &rusqlite::Row<'_>) -> Result<Measure, StoreError> {
        let path = self.path.as_path();
        let fid: i64 = r.get(0).at(path)?;
        let corrupt = |reason: String| StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("measures: fid {fid}: {reason}"),
        };
        let geom: Vec<u8> = r.get(1).at(path)?;
        let area = match blob::parse_geometry(&geom).map_err(|e| corrupt(e.to_string()))? {
            Some(Geometry::MultiPolygon(m)) => m,
            Some(Geometry::Polygon(p)) => geo::MultiPolygon(vec![p]),
            _ => return Err(corrupt("the geometry is not a (multi)polygon".into())),
        };
        let problem_text: String = r.get(3).at(path)?;
        let problem: Filter = Measure::problem_from_json(&problem_text)
            .map_err(|e| corrupt(format!("problem filter: {e}")))?;
        let date = |text: String| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|_| corrupt(format!("date {text:?} is not YYYY-MM-DD")))
        };
        let start = date(r.get(5).at(path)?)?;
        let end = match r.get::<_, Option<String>>(6).at(path)? {
            Some(t) => Some(date(t)?),
            None => None,
        };
        Ok(Measure {
            fid: Some(fid),
            name: r.get(2).at(path)?,
            problem,
            place: r.get(4).at(path)?,
            area,
            start,
            end,
            responsible: r.get(7).at(path)?,
            note: r.get(8).at(path)?,
        })
    }

    pub(super) fn measure_list(&self) -> Result<Vec<Measure>, StoreError> {
        if !table_exists(&self.conn).at(&self.path)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT} ORDER BY start_date, name"))
            .at(&self.path)?;
        let mut rows = stmt.query([]).at(&self.path)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().at(&self.path)? {
            out.push(self.measure_row(r)?);
        }
        Ok(out)
    }

    pub(super) fn measure_named(&self, name: &str) -> Result<Option<Measure>, StoreError> {
        if !table_exists(&self.conn).at(&self.path)? {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT} WHERE name = ?1"))
            .at(&self.path)?;
        let mut rows = stmt.query([name]).at(&self.path)?;
        match rows.next().at(&self.path)? {
            Some(r) => Ok(Some(self.measure_row(r)?)),
            None => Ok(None),
        }
    }

    /// Adds (`fid` None) or replaces (`fid` Some) a measure in one transaction.
    pub(super) fn put_measure(
        &mut self,
        fid: Option<i64>,
        measure: &Measure,
    ) -> Result<i64, StoreError> {
        measure
            .validate()
            .map_err(|e| self.invalid_measure(e.to_string()))?;
        let name = measure.name.trim().to_owned();
        let geometry = Geometry::MultiPolygon(measure.area.clone());
        let geom = blob::geometry_blob(SRS_WGS84, &geometry)
            .map_err(|e| self.invalid_measure(format!("area: {e}")))?;
        self.in_transaction(|project| {
            let (conn, path) = (&project.conn, project.path.as_path());
            ensure_table(conn).at(path)?;
            let owner: Option<i64> = conn
                .query_row("SELECT fid FROM measures WHERE name = ?1", [&name], |r| {
                    r.get(0)
                })
                .optional()
                .at(path)?;
            if owner.is_some() && owner != fid {
                return Err(project.invalid_measure(format!(
                    "a measure named {name:?} exists already; choose another name"
                )));
            }
            let values = params![
                geom,
                name,
                measure.problem_json(),
                measure.place.trim(),
                measure.start.format("%Y-%m-%d").to_string(),
                measure.end.map(|d| d.format("%Y-%m-%d").to_string()),
                measure.responsible.trim(),
                measure.note.trim(),
                format_time(chrono::Utc::now()),
            ];
            let fid = match fid {
                None => {
                    conn.execute(
                        "INSERT INTO measures (geom, name, problem, place, start_date, \
                         end_date, responsible, note, updated_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        values,
                    )
                    .at(path)?;
                    conn.last_insert_rowid()
                }
                Some(fid) => {
                    let changed = conn
                        .execute(
                            "UPDATE measures SET geom = ?1, name = ?2, problem = ?3, \
                             place = ?4, start_date = ?5, end_date = ?6, responsible = ?7, \
                             note = ?8, updated_at = ?9 WHERE fid = ?10",
                            rusqlite::params_from_iter(
                                values
                                    .iter()
                                    .copied()
                                    .chain(std::iter::once(&fid as &dyn rusqlite::ToSql)),
                            ),
                        )
                        .at(path)?;
                    if changed == 0 {
                        return Err(project.invalid_measure(format!("no measure with fid {fid}")));
                    }
                    fid
                }
            };
            grow_extent(conn, &geometry).at(path)?;
            Ok(fid)
        })
    }

    pub(super) fn remove_measure_named(&mut self, name: &str) -> Result<bool, StoreError> {
        if !table_exists(&self.conn).at(&self.path)? {
            return Ok(false);
        }
        self.in_transaction(|project| {
            let n = project
                .conn
                .execute("DELETE FROM measures WHERE name = ?1", [name])
                .at(&project.path)?;
            Ok(n > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::measure::tests::park;
    use crate::store::{Project, Store, StoreError};

    #[test]
    fn measures_are_added_read_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        assert!(p.measures().unwrap().is_empty());
        let fid = p.add_measure(&park()).unwrap();
        let got = p.measure("Belysning i parken").unwrap().unwrap();
        assert_eq!(got.fid, Some(fid));
        assert_eq!(
            Measure {
                fid: None,
                ..got.clone()
            },
            park()
        );
        // The same name again is refused and nothing changes.
        let err = p.add_measure(&park()).unwrap_err();
        assert!(matches!(err, StoreError::InvalidMeasure { .. }), "{err}");
        assert_eq!(p.measures().unwrap().len(), 1);
        let mut changed = park();
        changed.note = "belysning + trygghetsvandring".into();
        changed.end = chrono::NaiveDate::from_ymd_opt(2025, 6, 30);
        p.update_measure(fid, &changed).unwrap();
        let got = p.measure("Belysning i parken").unwrap().unwrap();
        assert_eq!(got.end, changed.end);
        assert_eq!(got.note, changed.note);
        assert!(p.remove_measure("Belysning i parken").unwrap());
        assert!(!p.remove_measure("Belysning i parken").unwrap());
        assert!(p.measures().unwrap().is_empty());
    }

    use crate::model::measure::Measure;

    #[test]
    fn an_invalid_measure_leaves_no_table() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        let mut bad = park();
        bad.name = String::new();
        assert!(p.add_measure(&bad).is_err());
        let n: i64 = p
            .connection()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'measures'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }
}
