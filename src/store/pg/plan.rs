//! The patrol plan and the week plan's fixed cells in the shared store.
//!
//! | table | geometry | columns |
//! |-------|----------|---------|
//! | `patrol_areas` | `geometry(MultiPolygon, 4326)` | name, color, team, weekdays, hours, note, extra |
//! | `patrol_routes` | `geometry(LineString, 4326)` | name, color, team, weekdays, hours, note, extra |
//! | `route_stops` | `geometry(Point, 4326)` | route_fid, stop_order, name, dwell_min |
//! | `lagesbild_week_fixed` | – | pair, evening, item, shift |
//!
//! The columns and their text forms are the GeoPackage's
//! (`store::gpkg::plan`), so QGIS shows the same layers from either store;
//! each geometry column has a GiST index, and a stop's `route_fid` refers to
//! its route (deleting a route in QGIS deletes its stops). The tables come
//! from schema migration 3 ([`super::schema`]). Every call is one
//! transaction; a login that may not write is refused before anything is
//! sent. The merge rules are the GeoPackage's ([`crate::store::plan_merge`]).

use geo::Geometry;
use geo_traits::to_geo::ToGeoGeometry as _;
use postgres::GenericClient;

use super::PgStore;
use super::layers::wkb_of;
use crate::model::plan::{
    PatrolArea, PatrolPlan, PatrolRoute, PlanAttributes, PlanRef, RouteStop, area_problem,
    route_problem,
};
use crate::store::gpkg::plan::{attributes_from_columns, extra_text, week_cell_from_columns};
use crate::store::plan_merge::{PlanWrite, merge_plan};
use crate::store::{PlanMerge, StoreError, WeekFixedCell};

const AREAS: &str = "lagesbild.patrol_areas";
const ROUTES: &str = "lagesbild.patrol_routes";
const STOPS: &str = "lagesbild.route_stops";
const WEEK_FIXED: &str = "lagesbild.lagesbild_week_fixed";

/// Why a plan call failed: the database, or an item that cannot be stored
/// (the reason names it), or stored data this build cannot read.
pub(super) enum Fail {
    Db(postgres::Error),
    Invalid(String),
    Corrupt(String),
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Fail {
        Fail::Db(e)
    }
}

/// A stored geometry (PostGIS `ST_AsBinary`) as a `geo` geometry.
pub(super) fn geometry_from_wkb(bytes: &[u8]) -> Result<Geometry<f64>, String> {
    wkb::reader::read_wkb(bytes)
        .map_err(|e| e.to_string())?
        .try_to_geometry()
        .ok_or_else(|| "a geometry Lägesbild cannot read".to_owned())
}

/// The text columns of an area or route row from `first` on (name … extra).
fn attributes_at(r: &postgres::Row, first: usize) -> Result<PlanAttributes, Fail> {
    let mut texts: [Option<String>; 7] = Default::default();
    for (i, t) in texts.iter_mut().enumerate() {
        *t = r.try_get(first + i)?;
    }
    attributes_from_columns(texts).map_err(Fail::Corrupt)
}

fn geometry_at(r: &postgres::Row, i: usize, what: &str) -> Result<Geometry<f64>, Fail> {
    let bytes: Vec<u8> = r.try_get(i)?;
    geometry_from_wkb(&bytes).map_err(|e| Fail::Corrupt(format!("{what}: {e}")))
}

/// The whole plan, items by id, each route's stops in order.
fn read_plan(c: &mut impl GenericClient) -> Result<PatrolPlan, Fail> {
    let cols = "fid, ST_AsBinary(geom), name, color, team, weekdays, hours, note, extra";
    let mut plan = PatrolPlan::default();
    for r in c.query(&format!("SELECT {cols} FROM {AREAS} ORDER BY fid"), &[])? {
        let fid: i64 = r.try_get(0)?;
        let at = |e: Fail| match e {
            Fail::Corrupt(e) => Fail::Corrupt(format!("patrol_areas fid {fid}: {e}")),
            other => other,
        };
        let polygons = match geometry_at(&r, 1, "geometry").map_err(at)? {
            Geometry::MultiPolygon(m) => m,
            Geometry::Polygon(p) => geo::MultiPolygon::new(vec![p]),
            _ => return Err(at(Fail::Corrupt("the geometry is not a polygon".into()))),
        };
        plan.areas.push(PatrolArea {
            id: Some(fid),
            attributes: attributes_at(&r, 2).map_err(at)?,
            polygons,
        });
    }
    for r in c.query(&format!("SELECT {cols} FROM {ROUTES} ORDER BY fid"), &[])? {
        let fid: i64 = r.try_get(0)?;
        let at = |e: Fail| match e {
            Fail::Corrupt(e) => Fail::Corrupt(format!("patrol_routes fid {fid}: {e}")),
            other => other,
        };
        let line = match geometry_at(&r, 1, "geometry").map_err(at)? {
            Geometry::LineString(l) => l,
            Geometry::MultiLineString(m) if m.0.len() == 1 => m.0[0].clone(),
            _ => return Err(at(Fail::Corrupt("the geometry is not a line".into()))),
        };
        plan.routes.push(PatrolRoute {
            id: Some(fid),
            attributes: attributes_at(&r, 2).map_err(at)?,
            line,
            stops: Vec::new(),
        });
    }
    let stops = c.query(
        &format!(
            "SELECT fid, ST_AsBinary(geom), route_fid, name, dwell_min FROM {STOPS} \
             ORDER BY route_fid, stop_order, fid"
        ),
        &[],
    )?;
    for r in stops {
        let fid: i64 = r.try_get(0)?;
        let Geometry::Point(position) = geometry_at(&r, 1, &format!("route_stops fid {fid}"))?
        else {
            return Err(Fail::Corrupt(format!(
                "route_stops fid {fid}: the geometry is not a point"
            )));
        };
        let route_fid: i64 = r.try_get(2)?;
        let dwell: i32 = r.try_get(4)?;
        if let Some(route) = plan.routes.iter_mut().find(|x| x.id == Some(route_fid)) {
            route.stops.push(RouteStop {
                id: Some(fid),
                name: r.try_get(3)?,
                position,
                dwell_min: u32::try_from(dwell.max(0)).unwrap_or(0),
            });
        }
    }
    Ok(plan)
}

fn wkb(g: Geometry<f64>) -> Result<Vec<u8>, Fail> {
    wkb_of(&g).map_err(|e| Fail::Invalid(format!("the geometry cannot be stored: {e}")))
}

/// Inserts (id `None`) or stores under its id (replacing or restoring) one
/// area or route row of `table`; returns its fid.
fn put_item(
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    id: Option<i64>,
    a: &PlanAttributes,
    geom: &[u8],
) -> Result<i64, Fail> {
    let (color, weekdays, hours, extra) = (
        a.color_hex(),
        a.weekdays_text(),
        a.hours_text(),
        extra_text(&a.extra),
    );
    let values: [&(dyn postgres::types::ToSql + Sync); 8] = [
        &geom, &a.name, &color, &a.team, &weekdays, &hours, &a.note, &extra,
    ];
    let columns = "geom, name, color, team, weekdays, hours, note, extra";
    let row_values = "ST_GeomFromWKB($1, 4326), $2, $3, $4, $5, $6, $7, $8";
    match id {
        None => Ok(tx
            .query_one(
                &format!("INSERT INTO {table} ({columns}) VALUES ({row_values}) RETURNING fid"),
                &values,
            )?
            .get(0)),
        Some(fid) => {
            let mut all: Vec<&(dyn postgres::types::ToSql + Sync)> = values.to_vec();
            all.push(&fid);
            let inserted: bool = tx
                .query_one(
                    &format!(
                        "INSERT INTO {table} ({columns}, fid) VALUES ({row_values}, $9) \
                         ON CONFLICT (fid) DO UPDATE SET ({columns}) = \
                         (EXCLUDED.geom, EXCLUDED.name, EXCLUDED.color, EXCLUDED.team, \
                          EXCLUDED.weekdays, EXCLUDED.hours, EXCLUDED.note, EXCLUDED.extra) \
                         RETURNING (xmax = 0)"
                    ),
                    &all,
                )?
                .get(0);
            if inserted {
                // An id given from outside must never be handed out again.
                tx.execute(
                    "SELECT setval(pg_get_serial_sequence($1, 'fid'), \
                     greatest(nextval(pg_get_serial_sequence($1, 'fid')), $2))",
                    &[&table, &fid],
                )?;
            }
            Ok(fid)
        }
    }
}

fn put_area(tx: &mut postgres::Transaction<'_>, area: &PatrolArea) -> Result<i64, Fail> {
    if let Some(p) = area_problem(area) {
        return Err(Fail::Invalid(p));
    }
    let geom = wkb(Geometry::MultiPolygon(area.polygons.clone()))?;
    put_item(tx, AREAS, area.id, &area.attributes, &geom)
}

fn put_route(tx: &mut postgres::Transaction<'_>, route: &PatrolRoute) -> Result<i64, Fail> {
    if let Some(p) = route_problem(route) {
        return Err(Fail::Invalid(p));
    }
    let geom = wkb(Geometry::LineString(route.line.clone()))?;
    let fid = put_item(tx, ROUTES, route.id, &route.attributes, &geom)?;
    tx.execute(
        &format!("DELETE FROM {STOPS} WHERE route_fid = $1"),
        &[&fid],
    )?;
    let insert = tx.prepare(&format!(
        "INSERT INTO {STOPS} (geom, route_fid, stop_order, name, dwell_min) \
         VALUES (ST_GeomFromWKB($1, 4326), $2, $3, $4, $5)"
    ))?;
    for (i, s) in route.stops.iter().enumerate() {
        let geom = wkb(Geometry::Point(s.position))?;
        let order = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let dwell = i32::try_from(s.dwell_min).unwrap_or(i32::MAX);
        tx.execute(&insert, &[&geom, &fid, &order, &s.name, &dwell])?;
    }
    Ok(fid)
}

/// Keeps two plan imports from matching against the same stored plan.
fn lock_plan(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    tx.batch_execute(&format!(
        "LOCK TABLE {AREAS}, {ROUTES}, {STOPS} IN SHARE ROW EXCLUSIVE MODE"
    ))
}

/// Which item a failure is about, for the message ("area 2: …").
fn about(what: String, e: Fail) -> Fail {
    match e {
        Fail::Invalid(reason) => Fail::Invalid(format!("{what}: {reason}")),
        other => other,
    }
}

/// A failure as the [`StoreError`] the caller sees.
pub(super) fn store_error(location: &str, user: &str, e: Fail) -> StoreError {
    match e {
        Fail::Db(e) => super::db_err(location, user, e),
        Fail::Invalid(reason) => StoreError::InvalidPlan {
            path: location.into(),
            reason,
        },
        Fail::Corrupt(reason) => StoreError::Corrupt {
            path: location.into(),
            reason,
        },
    }
}

impl PgStore {
    fn plan_error(&self, e: Fail) -> StoreError {
        store_error(&self.location, &self.user, e)
    }

    /// Runs `work` in one transaction that is committed when it succeeds.
    fn plan_transaction<T>(
        &mut self,
        work: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        self.writable()?;
        let result = (|| {
            let mut tx = self.client.get_mut().transaction()?;
            let out = work(&mut tx)?;
            tx.commit()?;
            Ok(out)
        })();
        result.map_err(|e| self.plan_error(e))
    }

    pub(super) fn read_patrol_plan(&self) -> Result<PatrolPlan, StoreError> {
        let result = read_plan(&mut *self.client.borrow_mut());
        result.map_err(|e| self.plan_error(e))
    }

    pub(super) fn save_area(&mut self, area: &PatrolArea) -> Result<i64, StoreError> {
        let name = area.attributes.name.clone();
        self.plan_transaction(|tx| {
            put_area(tx, area).map_err(|e| about(format!("area {name:?}"), e))
        })
    }

    pub(super) fn save_route(&mut self, route: &PatrolRoute) -> Result<i64, StoreError> {
        let name = route.attributes.name.clone();
        self.plan_transaction(|tx| {
            put_route(tx, route).map_err(|e| about(format!("route {name:?}"), e))
        })
    }

    pub(super) fn delete_item(&mut self, item: PlanRef) -> Result<bool, StoreError> {
        self.plan_transaction(|tx| {
            let n = match item {
                PlanRef::Area(fid) => {
                    tx.execute(&format!("DELETE FROM {AREAS} WHERE fid = $1"), &[&fid])?
                }
                // The route's stops go with it (ON DELETE CASCADE).
                PlanRef::Route(fid) => {
                    tx.execute(&format!("DELETE FROM {ROUTES} WHERE fid = $1"), &[&fid])?
                }
            };
            Ok(n > 0)
        })
    }

    pub(super) fn add_plan(&mut self, plan: &PatrolPlan) -> Result<Vec<PlanRef>, StoreError> {
        self.plan_transaction(|tx| {
            lock_plan(tx)?;
            let mut added = Vec::new();
            for (i, a) in plan.areas.iter().enumerate() {
                let new = PatrolArea {
                    id: None,
                    ..a.clone()
                };
                let fid = put_area(tx, &new).map_err(|e| about(format!("area {}", i + 1), e))?;
                added.push(PlanRef::Area(fid));
            }
            for (i, r) in plan.routes.iter().enumerate() {
                let new = PatrolRoute {
                    id: None,
                    ..r.clone()
                };
                let fid = put_route(tx, &new).map_err(|e| about(format!("route {}", i + 1), e))?;
                added.push(PlanRef::Route(fid));
            }
            Ok(added)
        })
    }

    pub(super) fn merge_plan_items(&mut self, plan: &PatrolPlan) -> Result<PlanMerge, StoreError> {
        self.writable()?;
        let (location, user) = (self.location.clone(), self.user.clone());
        let shown = |e: Fail| store_error(&location, &user, e);
        let mut tx = self
            .client
            .get_mut()
            .transaction()
            .map_err(|e| shown(e.into()))?;
        lock_plan(&mut tx).map_err(|e| shown(e.into()))?;
        let stored = read_plan(&mut tx).map_err(shown)?;
        let merge = merge_plan(&stored, plan, |item| {
            match item {
                PlanWrite::Area(i, a) => {
                    put_area(&mut tx, a).map_err(|e| about(format!("area {}", i + 1), e))
                }
                PlanWrite::Route(i, r) => {
                    put_route(&mut tx, r).map_err(|e| about(format!("route {}", i + 1), e))
                }
            }
            .map_err(shown)
        })?;
        tx.commit().map_err(|e| shown(e.into()))?;
        Ok(merge)
    }

    pub(super) fn read_week_fixed(&self) -> Result<Vec<WeekFixedCell>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "SELECT pair, evening, item, shift FROM {WEEK_FIXED} ORDER BY evening, pair"
                ),
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                let (pair, evening): (i32, i32) = (r.get(0), r.get(1));
                week_cell_from_columns(pair.into(), evening.into(), r.get(2), r.get(3))
                    .map_err(|e| self.corrupt(format!("lagesbild_week_fixed: {e}")))
            })
            .collect()
    }

    pub(super) fn write_week_fixed(&mut self, cells: &[WeekFixedCell]) -> Result<(), StoreError> {
        self.plan_transaction(|tx| {
            tx.execute(&format!("DELETE FROM {WEEK_FIXED}"), &[])?;
            let insert = tx.prepare(&format!(
                "INSERT INTO {WEEK_FIXED} (pair, evening, item, shift) VALUES ($1, $2, $3, $4)"
            ))?;
            for c in cells {
                let pair = i32::try_from(c.pair).map_err(|_| {
                    Fail::Invalid(format!("week plan: pair {} is too large", c.pair))
                })?;
                let evening = c.evening.num_days_from_monday() as i32;
                tx.execute(&insert, &[&pair, &evening, &c.item, &c.shift])?;
            }
            Ok(())
        })
    }
}
