//! Measures (insatser) in the shared store: the table `measures`
//! (`geometry(MultiPolygon, 4326)` with a GiST index, the GeoPackage's
//! columns with dates as `date` and the problem filter as JSON text), made
//! by schema migration 3. The rules are the GeoPackage's
//! (`store::gpkg::measures`): a measure is checked with
//! [`Measure::validate`], its name is unique (exact comparison, also when
//! two users add one at once), and every edit is one transaction.

use chrono::NaiveDate;
use geo::Geometry;
use postgres::error::SqlState;

use super::PgStore;
use super::layers::wkb_of;
use super::plan::geometry_from_wkb;
use crate::model::measure::Measure;
use crate::store::StoreError;

/// Ordered as the GeoPackage orders them (names compared by code point,
/// whatever the database's collation).
const SELECT: &str = "SELECT fid, ST_AsBinary(geom), name, problem, place, start_date, end_date, \
                      responsible, note FROM lagesbild.measures";

impl PgStore {
    fn invalid_measure(&self, reason: impl Into<String>) -> StoreError {
        StoreError::InvalidMeasure {
            path: self.location.clone().into(),
            reason: reason.into(),
        }
    }

    fn measure_row(&self, r: &postgres::Row) -> Result<Measure, StoreError> {
        let fid: i64 = r.try_get(0).map_err(|e| self.err(e))?;
        let corrupt = |reason: String| self.corrupt(format!("measures: fid {fid}: {reason}"));
        let geom: Vec<u8> = r.try_get(1).map_err(|e| self.err(e))?;
        let area = match geometry_from_wkb(&geom).map_err(corrupt)? {
            Geometry::MultiPolygon(m) => m,
            Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            _ => return Err(corrupt("the geometry is not a (multi)polygon".into())),
        };
        let problem_text: String = r.try_get(3).map_err(|e| self.err(e))?;
        let problem = Measure::problem_from_json(&problem_text)
            .map_err(|e| corrupt(format!("problem filter: {e}")))?;
        let get = |i: usize| r.try_get::<_, String>(i).map_err(|e| self.err(e));
        Ok(Measure {
            fid: Some(fid),
            name: get(2)?,
            problem,
            place: get(4)?,
            area,
            start: r.try_get::<_, NaiveDate>(5).map_err(|e| self.err(e))?,
            end: r
                .try_get::<_, Option<NaiveDate>>(6)
                .map_err(|e| self.err(e))?,
            responsible: get(7)?,
            note: get(8)?,
        })
    }

    pub(super) fn measure_list(&self) -> Result<Vec<Measure>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!("{SELECT} ORDER BY start_date, name COLLATE \"C\", fid"),
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter().map(|r| self.measure_row(r)).collect()
    }

    pub(super) fn measure_named(&self, name: &str) -> Result<Option<Measure>, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(&format!("{SELECT} WHERE name = $1"), &[&name])
            .map_err(|e| self.err(e))?;
        row.map(|r| self.measure_row(&r)).transpose()
    }

    /// Adds (`fid` None) or replaces (`fid` Some) a measure in one transaction.
    pub(super) fn put_measure(
        &mut self,
        fid: Option<i64>,
        measure: &Measure,
    ) -> Result<i64, StoreError> {
        self.writable()?;
        measure
            .validate()
            .map_err(|e| self.invalid_measure(e.to_string()))?;
        let name = measure.name.trim().to_owned();
        let geom = wkb_of(&Geometry::MultiPolygon(measure.area.clone()))
            .map_err(|e| self.invalid_measure(format!("area: {e}")))?;
        let taken = || format!("a measure named {name:?} exists already; choose another name");
        let (location, user) = (self.location.clone(), self.user.clone());
        let db = |e: postgres::Error| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                // Another user added one of this name meanwhile.
                return StoreError::InvalidMeasure {
                    path: location.clone().into(),
                    reason: taken(),
                };
            }
            super::db_err(&location, &user, e)
        };
        let mut tx = self.client.get_mut().transaction().map_err(db)?;
        let owner: Option<i64> = tx
            .query_opt(
                "SELECT fid FROM lagesbild.measures WHERE name = $1",
                &[&name],
            )
            .map_err(db)?
            .map(|r| r.get(0));
        if owner.is_some() && owner != fid {
            return Err(StoreError::InvalidMeasure {
                path: location.clone().into(),
                reason: taken(),
            });
        }
        let (problem, place, responsible, note) = (
            measure.problem_json(),
            measure.place.trim(),
            measure.responsible.trim(),
            measure.note.trim(),
        );
        let values: [&(dyn postgres::types::ToSql + Sync); 8] = [
            &geom,
            &name,
            &problem,
            &place,
            &measure.start,
            &measure.end,
            &responsible,
            &note,
        ];
        let fid = match fid {
            None => tx
                .query_one(
                    "INSERT INTO lagesbild.measures (geom, name, problem, place, start_date, \
                     end_date, responsible, note, updated_at) \
                     VALUES (ST_GeomFromWKB($1, 4326), $2, $3, $4, $5, $6, $7, $8, now()) \
                     RETURNING fid",
                    &values,
                )
                .map_err(db)?
                .get(0),
            Some(fid) => {
                let mut all = values.to_vec();
                all.push(&fid);
                let changed = tx
                    .execute(
                        "UPDATE lagesbild.measures SET geom = ST_GeomFromWKB($1, 4326), \
                         name = $2, problem = $3, place = $4, start_date = $5, end_date = $6, \
                         responsible = $7, note = $8, updated_at = now() WHERE fid = $9",
                        &all,
                    )
                    .map_err(db)?;
                if changed == 0 {
                    return Err(StoreError::InvalidMeasure {
                        path: location.clone().into(),
                        reason: format!("no measure with fid {fid}"),
                    });
                }
                fid
            }
        };
        tx.commit().map_err(db)?;
        Ok(fid)
    }

    pub(super) fn remove_measure_named(&mut self, name: &str) -> Result<bool, StoreError> {
        self.writable()?;
        let n = self
            .client
            .get_mut()
            .execute("DELETE FROM lagesbild.measures WHERE name = $1", &[&name])
            .map_err(|e| super::db_err(&self.location, &self.user, e))?;
        Ok(n > 0)
    }
}
