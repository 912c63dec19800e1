//! The patrol plan in the project file: three GeoPackage feature tables in
//! WGS 84 that QGIS and GDAL list like any layer.
//!
//! | table | geometry | columns |
//! |-------|----------|---------|
//! | `patrol_areas` | MULTIPOLYGON | name, color, team, weekdays, hours, note, extra |
//! | `patrol_routes` | LINESTRING | name, color, team, weekdays, hours, note, extra |
//! | `route_stops` | POINT | route_fid, stop_order, name, dwell_min |
//!
//! `weekdays` is a comma list (`fri,sat`), `hours` `START-END` local hours
//! wrapping past midnight (`20-2`) or NULL for the whole day, `color`
//! `#rrggbb`, `extra` the item's other attributes as a JSON object (NULL when
//! none). A stop's `route_fid` is the fid of its route; `stop_order` counts
//! from 1. Each table has the R-tree index and GeoPackage 1.3 triggers of
//! [`schema::create_feature_layer`].
//!
//! The tables are made when the first plan item is stored (in that edit's
//! transaction), so projects without a plan, and older apps, are untouched:
//! no schema version step. Every edit is one transaction.

use geo::Geometry;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::{Map, Value};

use super::schema::{self, FeatureLayer, SRS_WGS84, quote_ident};
use super::{Project, SqlContext as _, blob};
use crate::model::plan::{
    PatrolArea, PatrolPlan, PatrolRoute, PlanAttributes, PlanRef, RouteStop, area_problem,
    route_problem,
};
use crate::model::{HourRange, Weekdays};
use crate::store::StoreError;
use crate::store::plan_merge::PlanWrite;

/// The areas' table.
pub const AREAS_TABLE: &str = "patrol_areas";
/// The routes' table.
pub const ROUTES_TABLE: &str = "patrol_routes";
/// The stops' table.
pub const STOPS_TABLE: &str = "route_stops";

const ITEM_COLUMNS: &str = "name TEXT NOT NULL,
  color TEXT NOT NULL,
  team TEXT NOT NULL,
  weekdays TEXT NOT NULL,
  hours TEXT,
  note TEXT NOT NULL,
  extra TEXT";

const STOP_COLUMNS: &str = "route_fid INTEGER NOT NULL,
  stop_order INTEGER NOT NULL,
  name TEXT NOT NULL,
  dwell_min INTEGER NOT NULL";

/// True when the plan tables exist.
fn has_tables(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM gpkg_contents WHERE table_name IN (?1, ?2, ?3)",
        params![AREAS_TABLE, ROUTES_TABLE, STOPS_TABLE],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n == 3)
}

/// Creates the three tables unless they exist; refuses when another table
/// (e.g. a map layer someone named `patrol_areas`) is in the way.
fn ensure_tables(conn: &Connection) -> Result<(), String> {
    if has_tables(conn).map_err(|e| e.to_string())? {
        let ok: bool = conn
            .query_row(
                "SELECT count(*) = 2 FROM pragma_table_info(?1) WHERE name IN ('weekdays', 'extra')",
                [AREAS_TABLE],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        if !ok {
            return Err(format!(
                "the project has a table {AREAS_TABLE:?} that is not a patrol plan table; \
                 rename or remove that map layer first"
            ));
        }
        return Ok(());
    }
    for t in [AREAS_TABLE, ROUTES_TABLE, STOPS_TABLE] {
        let taken: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?1)) \
                 OR EXISTS (SELECT 1 FROM gpkg_contents WHERE lower(table_name) = lower(?1))",
                [t],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        if taken {
            return Err(format!(
                "the project has a table named {t:?} that is not a patrol plan table; \
                 rename or remove that map layer first"
            ));
        }
    }
    let specs = [
        (
            AREAS_TABLE,
            "MULTIPOLYGON",
            ITEM_COLUMNS,
            "Patrol areas (Lägesbild)",
        ),
        (
            ROUTES_TABLE,
            "LINESTRING",
            ITEM_COLUMNS,
            "Patrol routes (Lägesbild)",
        ),
        (
            STOPS_TABLE,
            "POINT",
            STOP_COLUMNS,
            "Planned stops of the patrol routes (Lägesbild)",
        ),
    ];
    for (table, geometry_type, columns_sql, description) in specs {
        schema::create_feature_layer(
            conn,
            &FeatureLayer {
                table,
                geometry_type,
                srs_id: SRS_WGS84,
                columns_sql,
                identifier: table,
                description,
            },
        )
        .map_err(|e| e.to_string())?;
    }
    conn.execute_batch(&format!(
        "CREATE INDEX IF NOT EXISTS route_stops_route ON {STOPS_TABLE}(route_fid, stop_order)"
    ))
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Writes the table's extent from its R-tree into gpkg_contents (NULL when empty).
fn update_extent(conn: &Connection, table: &str) -> rusqlite::Result<()> {
    let rtree = quote_ident(&schema::rtree_name(table, "geom"));
    conn.execute(
        &format!(
            "UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y, last_change) = \
             (SELECT min(minx), max(maxx), min(miny), max(maxy), \
             strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM {rtree}) WHERE table_name = ?1"
        ),
        [table],
    )?;
    Ok(())
}

fn blob_of(g: Geometry<f64>) -> Result<Vec<u8>, String> {
    blob::geometry_blob(SRS_WGS84, &g).map_err(|e| e.to_string())
}

pub(crate) fn extra_text(extra: &Map<String, Value>) -> Option<String> {
    (!extra.is_empty()).then(|| Value::Object(extra.clone()).to_string())
}

fn exists(conn: &Connection, table: &str, fid: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE fid = ?1)",
            quote_ident(table)
        ),
        [fid],
        |r| r.get(0),
    )
}

/// Inserts (id `None` or not stored) or replaces one area or route row; returns its fid.
fn put_item(
    conn: &Connection,
    table: &str,
    id: Option<i64>,
    attributes: &PlanAttributes,
    geom: Vec<u8>,
) -> rusqlite::Result<i64> {
    let color = attributes.color_hex();
    let weekdays = attributes.weekdays_text();
    let hours = attributes.hours_text();
    let extra = extra_text(&attributes.extra);
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![
        &geom,
        &attributes.name,
        &color,
        &attributes.team,
        &weekdays,
        &hours,
        &attributes.note,
        &extra,
    ];
    let t = quote_ident(table);
    let sql = match id {
        Some(fid) if exists(conn, table, fid)? => format!(
            "UPDATE {t} SET geom = ?1, name = ?2, color = ?3, team = ?4, weekdays = ?5, \
             hours = ?6, note = ?7, extra = ?8 WHERE fid = ?9"
        ),
        Some(_) => format!(
            "INSERT INTO {t} (geom, name, color, team, weekdays, hours, note, extra, fid) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        None => format!(
            "INSERT INTO {t} (geom, name, color, team, weekdays, hours, note, extra) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ),
    };
    if let Some(fid) = &id {
        values.push(fid);
    }
    conn.execute(&sql, values.as_slice())?;
    Ok(id.unwrap_or_else(|| conn.last_insert_rowid()))
}

/// The caller holds the transaction and has made the tables.
fn put_area_tx(conn: &Connection, area: &PatrolArea) -> Result<i64, String> {
    if let Some(p) = area_problem(area) {
        return Err(p);
    }
    let geom = blob_of(Geometry::MultiPolygon(area.polygons.clone()))?;
    put_item(conn, AREAS_TABLE, area.id, &area.attributes, geom).map_err(|e| e.to_string())
}

fn put_route_tx(conn: &Connection, route: &PatrolRoute) -> Result<i64, String> {
    if let Some(p) = route_problem(route) {
        return Err(p);
    }
    let geom = blob_of(Geometry::LineString(route.line.clone()))?;
    let fid = put_item(conn, ROUTES_TABLE, route.id, &route.attributes, geom)
        .map_err(|e| e.to_string())?;
    conn.execute(
        &format!("DELETE FROM {STOPS_TABLE} WHERE route_fid = ?1"),
        [fid],
    )
    .map_err(|e| e.to_string())?;
    let mut insert = conn
        .prepare(&format!(
            "INSERT INTO {STOPS_TABLE} (geom, route_fid, stop_order, name, dwell_min) \
             VALUES (?1, ?2, ?3, ?4, ?5)"
        ))
        .map_err(|e| e.to_string())?;
    for (i, s) in route.stops.iter().enumerate() {
        let geom = blob_of(Geometry::Point(s.position))?;
        insert
            .execute(params![geom, fid, i as i64 + 1, s.name, s.dwell_min])
            .map_err(|e| e.to_string())?;
    }
    Ok(fid)
}

fn update_extents(conn: &Connection) -> rusqlite::Result<()> {
    for t in [AREAS_TABLE, ROUTES_TABLE, STOPS_TABLE] {
        update_extent(conn, t)?;
    }
    Ok(())
}

fn attributes_of(r: &rusqlite::Row<'_>, first: usize) -> Result<PlanAttributes, String> {
    let mut texts: [Option<String>; 7] = Default::default();
    for (i, t) in texts.iter_mut().enumerate() {
        *t = r
            .get::<_, Option<String>>(first + i)
            .map_err(|e| e.to_string())?;
    }
    attributes_from_columns(texts)
}

/// A plan item's attributes from its stored columns, in the order name,
/// color, team, weekdays, hours, note, extra (any backend's row).
pub(crate) fn attributes_from_columns(
    texts: [Option<String>; 7],
) -> Result<PlanAttributes, String> {
    let [name, color, team, weekdays, hours, note, extra] = texts;
    let name = name.unwrap_or_default();
    let color = color
        .and_then(|c| PlanAttributes::parse_color(&c))
        .unwrap_or(crate::model::plan::DEFAULT_COLOR);
    let team = team.unwrap_or_default();
    let weekdays = match weekdays {
        Some(t) if !t.trim().is_empty() => t
            .parse::<Weekdays>()
            .map_err(|e| format!("weekdays: {e}"))?,
        _ => Weekdays::ALL,
    };
    let hours = match hours {
        Some(t) if !t.trim().is_empty() => {
            Some(t.parse::<HourRange>().map_err(|e| format!("hours: {e}"))?)
        }
        _ => None,
    };
    let note = note.unwrap_or_default();
    let extra = match extra {
        Some(t) if !t.trim().is_empty() => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Object(m)) => m,
            _ => return Err("extra is not a JSON object".to_owned()),
        },
        _ => Map::new(),
    };
    Ok(PlanAttributes {
        name,
        color,
        team,
        weekdays,
        hours,
        note,
        extra,
    })
}

fn geometry_of(r: &rusqlite::Row<'_>, i: usize) -> Result<Option<Geometry<f64>>, String> {
    match r.get_ref(i).map_err(|e| e.to_string())? {
        rusqlite::types::ValueRef::Blob(b) => blob::parse_geometry(b).map_err(|e| e.to_string()),
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => Err("the geometry is not a blob".to_owned()),
    }
}

/// Reads the whole plan (empty when the tables do not exist). Areas that
/// another program saved as a Polygon, and routes saved as a
/// MultiLineString of one line, are read too.
fn read_plan(conn: &Connection) -> Result<PatrolPlan, String> {
    if !has_tables(conn).map_err(|e| e.to_string())? {
        return Ok(PatrolPlan::default());
    }
    let cols = "fid, geom, name, color, team, weekdays, hours, note, extra";
    let mut plan = PatrolPlan::default();
    let mut stmt = conn
        .prepare(&format!("SELECT {cols} FROM {AREAS_TABLE} ORDER BY fid"))
        .map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let fid: i64 = r.get(0).map_err(|e| e.to_string())?;
        let at = |e: String| format!("{AREAS_TABLE} fid {fid}: {e}");
        let polygons = match geometry_of(r, 1).map_err(at)? {
            Some(Geometry::MultiPolygon(m)) => m,
            Some(Geometry::Polygon(p)) => geo::MultiPolygon::new(vec![p]),
            _ => return Err(at("the geometry is not a polygon".to_owned())),
        };
        plan.areas.push(PatrolArea {
            id: Some(fid),
            attributes: attributes_of(r, 2).map_err(at)?,
            polygons,
        });
    }
    let mut stmt = conn
        .prepare(&format!("SELECT {cols} FROM {ROUTES_TABLE} ORDER BY fid"))
        .map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let fid: i64 = r.get(0).map_err(|e| e.to_string())?;
        let at = |e: String| format!("{ROUTES_TABLE} fid {fid}: {e}");
        let line = match geometry_of(r, 1).map_err(at)? {
            Some(Geometry::LineString(l)) => l,
            Some(Geometry::MultiLineString(m)) if m.0.len() == 1 => m.0[0].clone(),
            _ => return Err(at("the geometry is not a line".to_owned())),
        };
        plan.routes.push(PatrolRoute {
            id: Some(fid),
            attributes: attributes_of(r, 2).map_err(at)?,
            line,
            stops: Vec::new(),
        });
    }
    let mut stmt = conn
        .prepare(&format!(
            "SELECT fid, geom, route_fid, name, dwell_min FROM {STOPS_TABLE} \
             ORDER BY route_fid, stop_order, fid"
        ))
        .map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let fid: i64 = r.get(0).map_err(|e| e.to_string())?;
        let at = |e: String| format!("{STOPS_TABLE} fid {fid}: {e}");
        let Some(Geometry::Point(position)) = geometry_of(r, 1).map_err(at)? else {
            return Err(at("the geometry is not a point".to_owned()));
        };
        let route_fid: i64 = r.get(2).map_err(|e| at(e.to_string()))?;
        let name: Option<String> = r.get(3).map_err(|e| at(e.to_string()))?;
        let dwell: i64 = r.get(4).map_err(|e| at(e.to_string()))?;
        // A stop whose route is gone (e.g. deleted in QGIS) is left out.
        if let Some(route) = plan.routes.iter_mut().find(|x| x.id == Some(route_fid)) {
            route.stops.push(RouteStop {
                id: Some(fid),
                name: name.unwrap_or_default(),
                position,
                dwell_min: u32::try_from(dwell.max(0)).unwrap_or(0),
            });
        }
    }
    Ok(plan)
}

impl Project {
    fn plan_err(&self, reason: String) -> StoreError {
        StoreError::InvalidPlan {
            path: self.path.clone(),
            reason,
        }
    }

    pub(super) fn read_patrol_plan(&self) -> Result<PatrolPlan, StoreError> {
        read_plan(&self.conn).map_err(|reason| StoreError::Corrupt {
            path: self.path.clone(),
            reason,
        })
    }

    pub(super) fn save_area(&mut self, area: &PatrolArea) -> Result<i64, StoreError> {
        if let Some(p) = area_problem(area) {
            return Err(self.plan_err(format!("area {:?}: {p}", area.attributes.name)));
        }
        self.in_transaction(|project| {
            let conn = &project.conn;
            ensure_tables(conn).map_err(|e| project.plan_err(e))?;
            let fid = put_area_tx(conn, area).map_err(|e| project.plan_err(e))?;
            update_extents(conn).at(&project.path)?;
            Ok(fid)
        })
    }

    pub(super) fn save_route(&mut self, route: &PatrolRoute) -> Result<i64, StoreError> {
        if let Some(p) = route_problem(route) {
            return Err(self.plan_err(format!("route {:?}: {p}", route.attributes.name)));
        }
        self.in_transaction(|project| {
            let conn = &project.conn;
            ensure_tables(conn).map_err(|e| project.plan_err(e))?;
            let fid = put_route_tx(conn, route).map_err(|e| project.plan_err(e))?;
            update_extents(conn).at(&project.path)?;
            Ok(fid)
        })
    }

    pub(super) fn delete_item(&mut self, item: PlanRef) -> Result<bool, StoreError> {
        self.in_transaction(|project| {
            let conn = &project.conn;
            if !has_tables(conn).at(&project.path)? {
                return Ok(false);
            }
            let n = match item {
                PlanRef::Area(fid) => conn
                    .execute(&format!("DELETE FROM {AREAS_TABLE} WHERE fid = ?1"), [fid])
                    .at(&project.path)?,
                PlanRef::Route(fid) => {
                    conn.execute(
                        &format!("DELETE FROM {STOPS_TABLE} WHERE route_fid = ?1"),
                        [fid],
                    )
                    .at(&project.path)?;
                    conn.execute(&format!("DELETE FROM {ROUTES_TABLE} WHERE fid = ?1"), [fid])
                        .at(&project.path)?
                }
            };
            update_extents(conn).at(&project.path)?;
            Ok(n > 0)
        })
    }

    pub(super) fn add_plan(&mut self, plan: &PatrolPlan) -> Result<Vec<PlanRef>, StoreError> {
        self.in_transaction(|project| {
            let conn = &project.conn;
            ensure_tables(conn).map_err(|e| project.plan_err(e))?;
            let mut added = Vec::new();
            for (i, a) in plan.areas.iter().enumerate() {
                let new = PatrolArea {
                    id: None,
                    ..a.clone()
                };
                let fid = put_area_tx(conn, &new)
                    .map_err(|e| project.plan_err(format!("area {}: {e}", i + 1)))?;
                added.push(PlanRef::Area(fid));
            }
            for (i, r) in plan.routes.iter().enumerate() {
                let new = PatrolRoute {
                    id: None,
                    ..r.clone()
                };
                let fid = put_route_tx(conn, &new)
                    .map_err(|e| project.plan_err(format!("route {}: {e}", i + 1)))?;
                added.push(PlanRef::Route(fid));
            }
            update_extents(conn).at(&project.path)?;
            Ok(added)
        })
    }
}

impl Project {
    /// [`crate::store::Store::merge_patrol_plan`]: items are matched by kind
    /// and name against the plan stored before the import (each stored item
    /// at most once, the lowest id first); the rest are added.
    pub(super) fn merge_plan(
        &mut self,
        plan: &PatrolPlan,
    ) -> Result<crate::store::PlanMerge, StoreError> {
        self.in_transaction(|project| {
            let conn = &project.conn;
            ensure_tables(conn).map_err(|e| project.plan_err(e))?;
            let stored = read_plan(conn).map_err(|e| project.plan_err(e))?;
            let merge = crate::store::plan_merge::merge_plan(&stored, plan, |item| match item {
                PlanWrite::Area(i, a) => put_area_tx(conn, a)
                    .map_err(|e| project.plan_err(format!("area {}: {e}", i + 1))),
                PlanWrite::Route(i, r) => put_route_tx(conn, r)
                    .map_err(|e| project.plan_err(format!("route {}: {e}", i + 1))),
            })?;
            update_extents(conn).at(&project.path)?;
            Ok(merge)
        })
    }
}

/// A fixed cell from its stored columns (any backend's row): `evening` 0
/// (Monday) to 6, `pair` from 1.
pub(crate) fn week_cell_from_columns(
    pair: i64,
    evening: i64,
    item: String,
    shift: String,
) -> Result<crate::store::WeekFixedCell, String> {
    let evening = u8::try_from(evening)
        .ok()
        .and_then(|d| chrono::Weekday::try_from(d).ok())
        .ok_or_else(|| format!("evening {evening} is not 0 (Monday) to 6"))?;
    let pair = u32::try_from(pair)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("pair {pair} is not 1 or more"))?;
    Ok(crate::store::WeekFixedCell {
        pair,
        evening,
        item,
        shift,
    })
}

/// The week plan's fixed cells (see [`crate::store::Store::week_fixed`]).
const WEEK_FIXED_TABLE: &str = "lagesbild_week_fixed";

impl Project {
    pub(super) fn read_week_fixed(&self) -> Result<Vec<crate::store::WeekFixedCell>, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            path: self.path.clone(),
            reason: format!("{WEEK_FIXED_TABLE}: {reason}"),
        };
        let exists: bool = self
            .conn
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [WEEK_FIXED_TABLE],
                |r| r.get(0),
            )
            .at(&self.path)?;
        if !exists {
            return Ok(vec![]);
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT pair, evening, item, shift FROM {WEEK_FIXED_TABLE} ORDER BY evening, pair"
            ))
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .at(&self.path)?;
        let mut cells = Vec::new();
        for row in rows {
            let (pair, evening, item, shift) = row.at(&self.path)?;
            cells.push(week_cell_from_columns(pair, evening, item, shift).map_err(corrupt)?);
        }
        Ok(cells)
    }

    pub(super) fn write_week_fixed(
        &mut self,
        cells: &[crate::store::WeekFixedCell],
    ) -> Result<(), StoreError> {
        self.in_transaction(|project| {
            let conn = &project.conn;
            conn.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {WEEK_FIXED_TABLE} (\
                 pair INTEGER NOT NULL CHECK (pair > 0), \
                 evening INTEGER NOT NULL CHECK (evening BETWEEN 0 AND 6), \
                 item TEXT NOT NULL, shift TEXT NOT NULL, \
                 PRIMARY KEY (pair, evening));\
                 DELETE FROM {WEEK_FIXED_TABLE};"
            ))
            .at(&project.path)?;
            let mut insert = conn
                .prepare(&format!(
                    "INSERT INTO {WEEK_FIXED_TABLE} (pair, evening, item, shift) VALUES (?1, ?2, ?3, ?4)"
                ))
                .at(&project.path)?;
            for c in cells {
                insert
                    .execute(params![
                        c.pair,
                        c.evening.num_days_from_monday(),
                        c.item,
                        c.shift
                    ])
                    .at(&project.path)?;
            }
            Ok(())
        })
    }
}

/// Reads the patrol plan tables of the GeoPackage `path` (a Lägesbild
/// project or a `plan export` file); `None` when it has none.
pub fn read_plan_gpkg(path: &std::path::Path) -> Result<Option<PatrolPlan>, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .at(path)?;
    let bad = |reason: String| StoreError::InvalidPlan {
        path: path.to_owned(),
        reason,
    };
    let plan_tables = has_tables(&conn)
        .map_err(|e| bad(format!("not a GeoPackage ({e})")))?
        && conn
            .query_row(
                "SELECT count(*) = 2 FROM pragma_table_info(?1) WHERE name IN ('weekdays', 'extra')",
                [AREAS_TABLE],
                |r| r.get::<_, bool>(0),
            )
            .at(path)?;
    if !plan_tables {
        return Ok(None);
    }
    read_plan(&conn).map(Some).map_err(bad)
}

/// Writes `plan` as a new GeoPackage at `path` (replacing a file there)
/// with the project's three plan tables, ids kept: what QGIS opens and
/// `plan import` reads back. Written under a temporary name, renamed into place.
pub fn write_plan_gpkg(path: &std::path::Path, plan: &PatrolPlan) -> Result<(), StoreError> {
    let bad = |reason: String| StoreError::InvalidPlan {
        path: path.to_owned(),
        reason,
    };
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| bad("not a file path".to_owned()))?;
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let built = (|| -> Result<(), StoreError> {
        let conn = Connection::open(&tmp).at(&tmp)?;
        conn.pragma_update(None, "journal_mode", "DELETE")
            .at(&tmp)?;
        schema::set_gpkg_identity(&conn).at(&tmp)?;
        super::register_gpkg_functions(&conn).at(&tmp)?;
        conn.execute_batch("BEGIN").at(&tmp)?;
        schema::create_core(&conn).at(&tmp)?;
        ensure_tables(&conn).map_err(bad)?;
        for a in &plan.areas {
            put_area_tx(&conn, a).map_err(|e| bad(format!("area {:?}: {e}", a.attributes.name)))?;
        }
        for r in &plan.routes {
            put_route_tx(&conn, r)
                .map_err(|e| bad(format!("route {:?}: {e}", r.attributes.name)))?;
        }
        update_extents(&conn).at(&tmp)?;
        conn.execute_batch("COMMIT").at(&tmp)?;
        conn.close().map_err(|(_, e)| e).at(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })
    })();
    if built.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    built
}

/// Is `fid` a stored area? (For tests and the app's checks.)
pub fn area_exists(conn: &Connection, fid: i64) -> rusqlite::Result<bool> {
    if !has_tables(conn)? {
        return Ok(false);
    }
    conn.query_row(
        &format!("SELECT fid FROM {AREAS_TABLE} WHERE fid = ?1"),
        [fid],
        |r| r.get::<_, i64>(0),
    )
    .optional()
    .map(|f| f.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store as _;
    use geo::{LineString, MultiPolygon, Point, polygon};

    fn area(name: &str) -> PatrolArea {
        PatrolArea {
            id: None,
            attributes: PlanAttributes {
                name: name.to_owned(),
                team: "Par 1".to_owned(),
                weekdays: "fri,sat".parse().unwrap(),
                hours: Some("20-2".parse().unwrap()),
                note: "Torget och stationen".to_owned(),
                ..PlanAttributes::default()
            },
            polygons: MultiPolygon::new(vec![polygon!(
                exterior: [(x: 14.57, y: 56.04), (x: 14.60, y: 56.04), (x: 14.60, y: 56.06),
                    (x: 14.57, y: 56.06), (x: 14.57, y: 56.04)],
                interiors: [[(x: 14.58, y: 56.045), (x: 14.59, y: 56.045), (x: 14.59, y: 56.05),
                    (x: 14.58, y: 56.045)]],
            )]),
        }
    }

    fn route() -> PatrolRoute {
        let mut extra = Map::new();
        extra.insert("källa".into(), Value::from("QGIS"));
        PatrolRoute {
            id: None,
            attributes: PlanAttributes {
                name: "Centrumslingan".into(),
                color: [178, 24, 43],
                extra,
                ..PlanAttributes::default()
            },
            line: LineString::from(vec![(14.58, 56.05), (14.585, 56.052), (14.59, 56.05)]),
            stops: vec![
                RouteStop::new("Stortorget", Point::new(14.58, 56.05)),
                RouteStop {
                    dwell_min: 15,
                    ..RouteStop::new("Stationen", Point::new(14.59, 56.05))
                },
            ],
        }
    }

    #[test]
    fn a_plan_is_stored_edited_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        assert!(p.patrol_plan().unwrap().is_empty());
        assert!(!p.delete_plan_item(PlanRef::Area(1)).unwrap());
        let a = p.save_patrol_area(&area("Centrum")).unwrap();
        let r = p.save_patrol_route(&route()).unwrap();
        let plan = p.patrol_plan().unwrap();
        assert_eq!(plan.areas.len(), 1);
        let stored = &plan.areas[0];
        assert_eq!(stored.id, Some(a));
        assert_eq!(stored.attributes, area("Centrum").attributes);
        assert_eq!(stored.polygons, area("Centrum").polygons);
        let sr = plan.route(r).unwrap();
        assert_eq!(sr.attributes, route().attributes);
        assert_eq!(sr.stops.len(), 2);
        assert_eq!(sr.stops[1].name, "Stationen");
        assert_eq!(sr.stops[1].dwell_min, 15);
        assert_eq!(sr.stops[0].dwell_min, 12);

        // Update keeps the id; stops are replaced.
        let mut changed = sr.clone();
        changed.attributes.name = "Ny slinga".into();
        changed.stops.remove(0);
        assert_eq!(p.save_patrol_route(&changed).unwrap(), r);
        let plan = p.patrol_plan().unwrap();
        assert_eq!(plan.routes.len(), 1);
        assert_eq!(plan.routes[0].attributes.name, "Ny slinga");
        assert_eq!(plan.routes[0].stops.len(), 1);

        // A bad item changes nothing.
        let mut bad = area("Fel");
        bad.polygons = MultiPolygon::new(vec![]);
        assert!(matches!(
            p.save_patrol_area(&bad),
            Err(StoreError::InvalidPlan { .. })
        ));
        assert_eq!(p.patrol_plan().unwrap().areas.len(), 1);

        // Delete, then restore under the same id (as undo does).
        assert!(p.delete_plan_item(PlanRef::Area(a)).unwrap());
        assert!(p.patrol_plan().unwrap().areas.is_empty());
        assert_eq!(p.save_patrol_area(stored).unwrap(), a);
        assert!(area_exists(p.connection(), a).unwrap());
        assert!(p.delete_plan_item(PlanRef::Route(r)).unwrap());
        let stops: i64 = p
            .connection()
            .query_row("SELECT count(*) FROM route_stops", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stops, 0);
        let rtree: i64 = p
            .connection()
            .query_row("SELECT count(*) FROM rtree_patrol_areas_geom", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(rtree, 1);
    }

    #[test]
    fn importing_the_same_plan_twice_replaces_or_skips_by_kind_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        let plan = PatrolPlan {
            areas: vec![area("A"), area("B")],
            routes: vec![route()],
        };
        let first = p.merge_patrol_plan(&plan).unwrap();
        assert_eq!(
            (
                first.added.len(),
                first.replaced.len(),
                first.unchanged.len()
            ),
            (3, 0, 0)
        );
        let again = p.merge_patrol_plan(&plan).unwrap();
        assert_eq!(
            (
                again.added.len(),
                again.replaced.len(),
                again.unchanged.len()
            ),
            (0, 0, 3)
        );
        assert_eq!(again.unchanged, first.added, "the same ids, skipped");
        // B changed, a new area C: B replaced under its id, C added.
        let mut changed = plan.clone();
        changed.areas[1].attributes.note = "ny".into();
        changed.areas.push(area("C"));
        let third = p.merge_patrol_plan(&changed).unwrap();
        assert_eq!(third.replaced, vec![first.added[1].clone()]);
        assert_eq!(third.added.len(), 1);
        assert_eq!(third.unchanged.len(), 2);
        let stored = p.patrol_plan().unwrap();
        assert_eq!(stored.areas.len(), 3);
        assert_eq!(stored.routes.len(), 1);
        assert_eq!(stored.areas[1].attributes.note, "ny");
        // An area and a route may share a name: kinds are matched apart.
        let mut same_name = route();
        same_name.attributes.name = "A".into();
        let r = p
            .merge_patrol_plan(&PatrolPlan {
                areas: vec![],
                routes: vec![same_name],
            })
            .unwrap();
        assert_eq!(r.added.len(), 1);
    }

    #[test]
    fn the_week_plans_fixed_cells_are_kept_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut p = Project::create(&path, "P").unwrap();
        assert!(p.week_fixed().unwrap().is_empty());
        let cell = |pair, evening, item: &str| crate::store::WeekFixedCell {
            pair,
            evening,
            item: item.to_owned(),
            shift: "19:00-03:00".to_owned(),
        };
        let cells = vec![
            cell(2, chrono::Weekday::Fri, "Hamnen"),
            cell(1, chrono::Weekday::Mon, "Östra"),
        ];
        p.save_week_fixed(&cells).unwrap();
        drop(p);
        let mut p = Project::open(&path).unwrap();
        assert_eq!(
            p.week_fixed().unwrap(),
            vec![cells[1].clone(), cells[0].clone()]
        );
        // One pair twice on an evening is refused and changes nothing.
        let twice = vec![cells[0].clone(), cells[0].clone()];
        assert!(p.save_week_fixed(&twice).is_err());
        assert_eq!(p.week_fixed().unwrap().len(), 2);
        p.save_week_fixed(&[]).unwrap();
        assert!(p.week_fixed().unwrap().is_empty());
    }

    #[test]
    fn a_plan_import_is_one_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg"), "P").unwrap();
        let mut bad_route = route();
        bad_route.line = LineString::from(vec![(14.58, 56.05)]);
        let plan = PatrolPlan {
            areas: vec![area("A"), area("B")],
            routes: vec![bad_route],
        };
        let err = p.add_patrol_plan(&plan).unwrap_err().to_string();
        assert!(err.contains("route 1"), "{err}");
        assert!(p.patrol_plan().unwrap().is_empty());
        let plan = PatrolPlan {
            areas: vec![area("A"), area("B")],
            routes: vec![route()],
        };
        assert_eq!(p.add_patrol_plan(&plan).unwrap().len(), 3);
        assert_eq!(p.patrol_plan().unwrap().areas.len(), 2);
    }
}
