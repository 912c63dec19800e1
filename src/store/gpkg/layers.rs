//! Feature tables: map layers of the project, GeoPackage layers read as
//! input, and the tables that exports write.
//!
//! A feature table has `fid`, the geometry column `geom` and one typed column
//! per attribute (INTEGER, REAL, TEXT or BOOLEAN; arrays and objects as JSON
//! TEXT), with names cleaned of control characters and made unique
//! (case-insensitively, as SQLite compares them). It is registered in
//! `gpkg_contents` and `gpkg_geometry_columns` with an R-tree and the
//! GeoPackage 1.3 triggers by [`schema::create_feature_layer`], the same code
//! that makes the incident table. Geometry blobs come from [`blob`].
//!
//! The project's map layers are such tables in WGS 84 plus one row each in
//! the app table `lagesbild_layers` (style, source file); see
//! [`crate::store::layers`].

use std::path::Path;

use geo::{BoundingRect as _, CoordsIter as _, Geometry, MapCoords as _};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params, params_from_iter};
use serde_json::{Map, Value};

use super::schema::{self, FeatureLayer, SRS_WGS84, quote_ident};
use super::{Project, SqlContext as _, blob, format_time};
use crate::crs::{Crs, ToWgs84};
use crate::model::LonLat;
use crate::model::shape::{Feature, FeatureSet};
use crate::store::StoreError;
use crate::store::layers::{LayerInfo, LayerStyle, name_problem};

/// The app table of map layers (created by migration 2).
pub const STYLE_TABLE: &str = r#"
CREATE TABLE lagesbild_layers (
  table_name TEXT NOT NULL PRIMARY KEY,
  color TEXT NOT NULL,
  opacity REAL NOT NULL,
  visible BOOLEAN NOT NULL,
  sort_order INTEGER NOT NULL,
  source TEXT NOT NULL,
  added_at DATETIME NOT NULL
);
"#;

/// Why a feature table could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Bad content; the text names the table and feature.
    #[error("{0}")]
    Invalid(String),
}

impl From<TableError> for rusqlite::Error {
    fn from(e: TableError) -> rusqlite::Error {
        match e {
            TableError::Sqlite(e) => e,
            TableError::Invalid(reason) => rusqlite::Error::UserFunctionError(reason.into()),
        }
    }
}

/// One feature to write: a geometry and its attributes.
pub type FeatureRef<'a> = (&'a Geometry<f64>, &'a Map<String, Value>);

/// A feature table to write with [`write_feature_table`].
pub struct TableSpec<'a> {
    pub table: &'a str,
    /// Must be in gpkg_spatial_ref_sys; the geometries are in it.
    pub srs_id: i32,
    /// Human name shown by GIS programs.
    pub identifier: &'a str,
    pub description: &'a str,
}

/// Column names for attribute `keys`: control characters dropped, trimmed,
/// `field` for an empty name, and `_2`, `_3`, … where a name is taken
/// (case-insensitively, `fid` and `geom` included).
pub fn column_names(keys: &[String]) -> Vec<String> {
    let mut taken = vec!["fid".to_owned(), "geom".to_owned()];
    keys.iter()
        .map(|k| {
            let cleaned: String = k.chars().filter(|c| !c.is_control()).collect();
            let base = match cleaned.trim() {
                "" => "field".to_owned(),
                t => t.to_owned(),
            };
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name.to_lowercase()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            taken.push(name.to_lowercase());
            name
        })
        .collect()
}

/// SQL column type for an attribute from its values across features.
pub fn column_type<'a>(values: impl Iterator<Item = Option<&'a Value>>) -> &'static str {
    let mut ty = None;
    for v in values.flatten() {
        let this = match v {
            Value::Null => continue,
            Value::Bool(_) => "BOOLEAN",
            Value::Number(n) if n.is_i64() || n.is_u64() => "INTEGER",
            Value::Number(_) => "REAL",
            _ => "TEXT",
        };
        ty = Some(match (ty, this) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some("INTEGER"), "REAL") | (Some("REAL"), "INTEGER") => "REAL",
            _ => "TEXT",
        });
    }
    ty.unwrap_or("TEXT")
}

/// An attribute as an SQL value (arrays and objects as JSON text).
fn sql_value(v: Option<&Value>) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        None | Some(Value::Null) => V::Null,
        Some(Value::Bool(b)) => V::Integer(i64::from(*b)),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => V::Integer(i),
            None => n.as_f64().map_or(V::Null, V::Real),
        },
        Some(Value::String(s)) => V::Text(s.clone()),
        Some(other) => V::Text(other.to_string()),
    }
}

/// The geometry type for the column: the features' one type, else GEOMETRY.
fn table_geometry_type(features: &[FeatureRef<'_>]) -> &'static str {
    let mut types = features.iter().map(|(g, _)| blob::geometry_type_name(g));
    match types.next() {
        Some(first) if types.all(|t| t == first) => first,
        _ => "GEOMETRY",
    }
}

/// Creates the feature table `spec.table` (which must not exist) and writes
/// `features` into it, its R-tree filled by the triggers, and its extent into
/// gpkg_contents. The caller holds the transaction and has registered the
/// GeoPackage SQL functions ([`super::register_gpkg_functions`]).
pub fn write_feature_table(
    conn: &Connection,
    spec: &TableSpec<'_>,
    features: &[FeatureRef<'_>],
) -> Result<(), TableError> {
    // Columns in order of first appearance.
    let mut keys: Vec<String> = Vec::new();
    for (_, properties) in features {
        for k in properties.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let names = column_names(&keys);
    let columns_sql = keys
        .iter()
        .zip(&names)
        .map(|(k, name)| {
            let ty = column_type(features.iter().map(|(_, p)| p.get(k)));
            format!("{} {ty}", quote_ident(name))
        })
        .collect::<Vec<_>>()
        .join(",\n  ");
    schema::create_feature_layer(
        conn,
        &FeatureLayer {
            table: spec.table,
            geometry_type: table_geometry_type(features),
            srs_id: spec.srs_id,
            columns_sql: &columns_sql,
            identifier: spec.identifier,
            description: spec.description,
        },
    )?;
    let placeholders = (1..=names.len() + 1)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let column_list = std::iter::once("geom".to_owned())
        .chain(names.iter().map(|n| quote_ident(n)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut insert = conn.prepare(&format!(
        "INSERT INTO {} ({column_list}) VALUES ({placeholders})",
        quote_ident(spec.table)
    ))?;
    let mut bounds: Option<geo::Rect<f64>> = None;
    for (i, (geometry, properties)) in features.iter().enumerate() {
        let geom = blob::geometry_blob(spec.srs_id, geometry)
            .map_err(|e| TableError::Invalid(format!("{}: feature {}: {e}", spec.table, i + 1)))?;
        if let Some(r) = geometry.bounding_rect() {
            bounds = Some(match bounds {
                None => r,
                Some(b) => geo::Rect::new(
                    (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                    (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                ),
            });
        }
        let values = std::iter::once(rusqlite::types::Value::Blob(geom))
            .chain(keys.iter().map(|k| sql_value(properties.get(k))));
        insert.execute(params_from_iter(values))?;
    }
    if let Some(b) = bounds {
        conn.execute(
            "UPDATE gpkg_contents SET min_x = ?1, max_x = ?2, min_y = ?3, max_y = ?4 \
             WHERE table_name = ?5",
            params![b.min().x, b.max().x, b.min().y, b.max().y, spec.table],
        )?;
    }
    Ok(())
}

/// Drops the feature table `table` with its R-tree and its rows in the
/// GeoPackage registry tables (the triggers go with the table). The caller
/// holds the transaction.
pub fn drop_feature_table(conn: &Connection, table: &str) -> rusqlite::Result<()> {
    let rtree = quote_ident(&schema::rtree_name(table, "geom"));
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {rtree}; DROP TABLE IF EXISTS {};",
        quote_ident(table)
    ))?;
    for registry in ["gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents"] {
        conn.execute(
            &format!("DELETE FROM {registry} WHERE table_name = ?1"),
            [table],
        )?;
    }
    Ok(())
}

/// Reads the feature table `table` of a GeoPackage: every row's geometry
/// (converted to WGS 84 when the table is in another EPSG coordinate system
/// Lägesbild knows) and its non-NULL attributes (BOOLEAN columns as booleans).
/// A row with an empty or NULL geometry gets an empty GeometryCollection.
pub fn read_feature_table(conn: &Connection, table: &str) -> Result<Vec<Feature>, TableError> {
    let invalid = |reason: String| TableError::Invalid(format!("table {table:?}: {reason}"));
    let (geom_column, srs_id): (String, i32) = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| invalid("not registered in gpkg_geometry_columns".to_owned()))?;
    let to_wgs84 = to_wgs84_of(conn, srs_id).map_err(invalid)?;
    // (name, declared type) of the attribute columns, and the primary key.
    let mut columns: Vec<(String, String)> = Vec::new();
    let mut key = None;
    {
        let mut stmt = conn.prepare("SELECT name, type, pk FROM pragma_table_info(?1)")?;
        let mut rows = stmt.query([table])?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            let ty: String = r.get(1)?;
            if r.get::<_, i64>(2)? == 1 && ty.eq_ignore_ascii_case("INTEGER") {
                key = Some(name);
            } else if name != geom_column {
                columns.push((name, ty.to_ascii_uppercase()));
            }
        }
    }
    let key = key.map_or_else(|| "rowid".to_owned(), |k| quote_ident(&k));
    let select: String = std::iter::once(key.clone())
        .chain(std::iter::once(quote_ident(&geom_column)))
        .chain(columns.iter().map(|(n, _)| quote_ident(n)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT {select} FROM {} ORDER BY {key}",
        quote_ident(table)
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let fid: i64 = r.get(0)?;
        let at = |reason: String| invalid(format!("fid {fid}: {reason}"));
        let geometry = match r.get_ref(1)? {
            rusqlite::types::ValueRef::Null => None,
            rusqlite::types::ValueRef::Blob(b) => {
                blob::parse_geometry(b).map_err(|e| at(e.to_string()))?
            }
            _ => return Err(at("the geometry is not a blob".to_owned())),
        };
        let mut geometry = geometry
            .unwrap_or_else(|| Geometry::GeometryCollection(geo::GeometryCollection(vec![])));
        if let Some(t) = &to_wgs84 {
            geometry = geometry
                .try_map_coords(|c| {
                    t.convert(c.x, c.y)
                        .map(|p| geo::coord! { x: p.lon, y: p.lat })
                })
                .map_err(|e| at(e.to_string()))?;
        }
        let mut properties = Map::new();
        for (i, (name, ty)) in columns.iter().enumerate() {
            use rusqlite::types::ValueRef as V;
            let value = match r.get_ref(i + 2)? {
                V::Null => continue,
                V::Integer(v) if ty == "BOOLEAN" => Value::Bool(v != 0),
                V::Integer(v) => Value::from(v),
                V::Real(v) => serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
                V::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                // Blobs (e.g. pictures) are not attributes a map layer shows.
                V::Blob(_) => continue,
            };
            properties.insert(name.clone(), value);
        }
        out.push(Feature {
            geometry,
            properties,
        });
    }
    Ok(out)
}

/// The conversion of `srs_id` to WGS 84, `None` when it is lon/lat already.
fn to_wgs84_of(conn: &Connection, srs_id: i32) -> Result<Option<ToWgs84>, String> {
    if srs_id == SRS_WGS84 {
        return Ok(None);
    }
    let org: Option<(String, i64)> = conn
        .query_row(
            "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys \
             WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| e.to_string())?;
    let code = match org {
        Some((org, code)) if org.eq_ignore_ascii_case("EPSG") => code,
        _ => {
            return Err(format!(
                "srs_id {srs_id} is not an EPSG coordinate system; convert the layer to \
                 EPSG:4326 or EPSG:3006 first (e.g. with ogr2ogr -t_srs EPSG:4326)"
            ));
        }
    };
    let crs = u32::try_from(code)
        .map_err(|_| format!("EPSG code {code} is not valid"))
        .and_then(|c| Crs::from_epsg(c).map_err(|e| e.to_string()))?;
    if crs.is_geographic() {
        return Ok(None);
    }
    ToWgs84::new(crs).map(Some).map_err(|e| e.to_string())
}

/// Reads the feature tables of the GeoPackage `path` (not a project's own
/// tables such as `incidents`), or only `table`, in name order.
pub fn read_gpkg_file(path: &Path, table: Option<&str>) -> Result<Vec<FeatureSet>, StoreError> {
    let bad = |reason: String| StoreError::InvalidLayer {
        path: path.to_owned(),
        reason,
    };
    if !path.is_file() {
        return Err(bad("no such file".to_owned()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .at(path)?;
    let tables: Vec<String> = conn
        .prepare(
            "SELECT c.table_name FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| bad(format!("not a GeoPackage with feature tables ({e})")))?;
    let chosen: Vec<String> = match table {
        Some(t) => {
            if !tables.iter().any(|x| x == t) {
                return Err(bad(format!(
                    "no feature table {t:?}; the file has {}",
                    if tables.is_empty() {
                        "none".to_owned()
                    } else {
                        tables
                            .iter()
                            .map(|t| format!("{t:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )));
            }
            vec![t.to_owned()]
        }
        None => tables
            .into_iter()
            .filter(|t| name_problem(t).is_none())
            .collect(),
    };
    if chosen.is_empty() {
        return Err(bad("the file holds no feature tables".to_owned()));
    }
    chosen
        .into_iter()
        .map(|name| {
            let features = read_feature_table(&conn, &name).map_err(|e| match e {
                TableError::Sqlite(source) => super::sql_err(path, source),
                TableError::Invalid(reason) => bad(reason),
            })?;
            Ok(FeatureSet { name, features })
        })
        .collect()
}

/// Why `set` cannot be a map layer (WGS 84), or `None`.
pub(crate) fn layer_problem(set: &FeatureSet) -> Option<String> {
    if let Some(p) = name_problem(&set.name) {
        return Some(p);
    }
    if set.features.is_empty() {
        return Some(format!("layer {:?} holds no features", set.name));
    }
    for (i, f) in set.features.iter().enumerate() {
        let outside = f.geometry.coords_iter().find(|c| {
            !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0)
        });
        if let Some(c) = outside {
            return Some(format!(
                "layer {:?}, feature {}: ({}, {}) is not a WGS 84 longitude/latitude",
                set.name,
                i + 1,
                c.x,
                c.y
            ));
        }
    }
    None
}

/// Writes `set` as the map layer table `set.name` with `style` (caller holds
/// the transaction and has checked the name). Used by adding and by
/// migration 2.
pub(crate) fn write_layer(
    conn: &Connection,
    set: &FeatureSet,
    style: &LayerStyle,
    source: &str,
) -> Result<(), TableError> {
    let features: Vec<FeatureRef<'_>> = set
        .features
        .iter()
        .map(|f| (&f.geometry, &f.properties))
        .collect();
    write_feature_table(
        conn,
        &TableSpec {
            table: &set.name,
            srs_id: SRS_WGS84,
            identifier: &set.name,
            description: &format!("Map layer (Lägesbild) from {source}"),
        },
        &features,
    )?;
    conn.execute(
        "INSERT INTO lagesbild_layers (table_name, color, opacity, visible, sort_order, source, \
         added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            set.name,
            style.color_hex(),
            f64::from(style.opacity),
            style.visible,
            style.order,
            source,
            format_time(chrono::Utc::now()),
        ],
    )?;
    Ok(())
}

/// The stored style of layer `name`.
fn style_of(conn: &Connection, name: &str) -> rusqlite::Result<Option<LayerStyle>> {
    conn.query_row(
        "SELECT color, opacity, visible, sort_order FROM lagesbild_layers WHERE table_name = ?1",
        [name],
        |r| {
            let color: String = r.get(0)?;
            Ok(LayerStyle {
                color: LayerStyle::parse_color(&color).unwrap_or(crate::store::layers::PALETTE[0]),
                opacity: r.get::<_, f64>(1)? as f32,
                visible: r.get(2)?,
                order: r.get(3)?,
            })
        },
    )
    .optional()
}

/// The style of the next new layer.
fn next_style(conn: &Connection) -> rusqlite::Result<LayerStyle> {
    let (count, max_order): (i64, Option<i64>) = conn.query_row(
        "SELECT count(*), max(sort_order) FROM lagesbild_layers",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut style = LayerStyle::nth(usize::try_from(count).unwrap_or(0));
    style.order = max_order.map_or(0, |m| m + 1);
    Ok(style)
}

/// True when a table, view or index named `name` exists (case-insensitive).
fn name_taken(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?1)) \
         OR EXISTS (SELECT 1 FROM gpkg_contents WHERE lower(table_name) = lower(?1))",
        [name],
        |r| r.get(0),
    )
}

/// Adds `set` to the project (the caller holds the transaction): replaces a
/// layer of that name keeping its style, else takes the next style; refuses
/// a name another table has.
pub(crate) fn add_layer_tx(
    conn: &Connection,
    set: &FeatureSet,
    source: &str,
) -> Result<(), TableError> {
    let style = match style_of(conn, &set.name)? {
        Some(style) => {
            drop_feature_table(conn, &set.name)?;
            conn.execute(
                "DELETE FROM lagesbild_layers WHERE table_name = ?1",
                [&set.name],
            )?;
            style
        }
        None => {
            if name_taken(conn, &set.name)? {
                return Err(TableError::Invalid(format!(
                    "the project has a table named {:?} that is not a map layer; \
                     choose another --name",
                    set.name
                )));
            }
            next_style(conn)?
        }
    };
    write_layer(conn, set, &style, source)
}

impl Project {
    fn table_err(&self, e: TableError) -> StoreError {
        match e {
            TableError::Sqlite(source) => super::sql_err(&self.path, source),
            TableError::Invalid(reason) => StoreError::InvalidLayer {
                path: self.path.clone(),
                reason,
            },
        }
    }

    pub(super) fn layer_list(&self) -> Result<Vec<LayerInfo>, StoreError> {
        let path = self.path.as_path();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.table_name, g.geometry_type_name, c.min_x, c.min_y, c.max_x, \
                 c.max_y, l.source FROM lagesbild_layers l \
                 JOIN gpkg_contents c ON c.table_name = l.table_name \
                 JOIN gpkg_geometry_columns g ON g.table_name = l.table_name \
                 ORDER BY l.sort_order, l.table_name",
            )
            .at(path)?;
        type Row = (
            String,
            String,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            String,
        );
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .at(path)?;
        rows.into_iter()
            .map(|(name, geometry_type, x0, y0, x1, y1, source)| {
                let t = quote_ident(&name);
                let feature_count: i64 = self
                    .conn
                    .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                    .at(path)?;
                let columns: Vec<String> = self
                    .conn
                    .prepare(
                        "SELECT name FROM pragma_table_info(?1) WHERE name NOT IN ('fid', 'geom')",
                    )
                    .and_then(|mut s| s.query_map([&name], |r| r.get(0))?.collect())
                    .at(path)?;
                let style = style_of(&self.conn, &name)
                    .at(path)?
                    .unwrap_or_else(|| LayerStyle::nth(0));
                let extent = match (x0, y0, x1, y1) {
                    (Some(a), Some(b), Some(c), Some(d)) => {
                        Some((LonLat::new(a, b), LonLat::new(c, d)))
                    }
                    _ => None,
                };
                Ok(LayerInfo {
                    name,
                    geometry_type,
                    feature_count: feature_count.max(0) as u64,
                    columns,
                    extent,
                    style,
                    source,
                })
            })
            .collect()
    }

    pub(super) fn layer_features_of(&self, name: &str) -> Result<Option<FeatureSet>, StoreError> {
        if style_of(&self.conn, name).at(&self.path)?.is_none() {
            return Ok(None);
        }
        let features = read_feature_table(&self.conn, name).map_err(|e| self.table_err(e))?;
        Ok(Some(FeatureSet {
            name: name.to_owned(),
            features,
        }))
    }

    pub(super) fn add_layer_sets(
        &mut self,
        sets: &[FeatureSet],
        source: &str,
    ) -> Result<(), StoreError> {
        for (i, set) in sets.iter().enumerate() {
            if let Some(reason) = layer_problem(set) {
                return Err(StoreError::InvalidLayer {
                    path: self.path.clone(),
                    reason,
                });
            }
            if sets[..i].iter().any(|s| s.name == set.name) {
                return Err(StoreError::InvalidLayer {
                    path: self.path.clone(),
                    reason: format!("two layers are named {:?}", set.name),
                });
            }
        }
        self.in_transaction(|project| {
            for set in sets {
                add_layer_tx(&project.conn, set, source).map_err(|e| project.table_err(e))?;
            }
            Ok(())
        })
    }

    pub(super) fn remove_layer_named(&mut self, name: &str) -> Result<bool, StoreError> {
        self.in_transaction(|project| {
            let conn = &project.conn;
            if style_of(conn, name).at(&project.path)?.is_none() {
                return Ok(false);
            }
            drop_feature_table(conn, name).at(&project.path)?;
            conn.execute("DELETE FROM lagesbild_layers WHERE table_name = ?1", [name])
                .at(&project.path)?;
            Ok(true)
        })
    }

    pub(super) fn set_style_of(
        &mut self,
        name: &str,
        style: &LayerStyle,
    ) -> Result<bool, StoreError> {
        let opacity = if style.opacity.is_finite() {
            style.opacity.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let changed = self
            .conn
            .execute(
                "UPDATE lagesbild_layers SET color = ?1, opacity = ?2, visible = ?3, \
                 sort_order = ?4 WHERE table_name = ?5",
                params![
                    style.color_hex(),
                    f64::from(opacity),
                    style.visible,
                    style.order,
                    name
                ],
            )
            .at(&self.path)?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn column_names_are_clean_and_unique() {
        let keys: Vec<String> = ["namn", "FID", "Namn", "", "a\tb", "geom", "namn_2"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            column_names(&keys),
            [
                "namn", "FID_2", "Namn_2", "field", "ab", "geom_2", "namn_2_2"
            ]
        );
    }

    #[test]
    fn column_types_follow_values() {
        let t = |v: Vec<Value>| column_type(v.iter().map(Some));
        assert_eq!(t(vec![json!(1), json!(2)]), "INTEGER");
        assert_eq!(t(vec![json!(1), json!(2.5)]), "REAL");
        assert_eq!(t(vec![json!("a"), json!(1)]), "TEXT");
        assert_eq!(t(vec![json!(null), json!(true)]), "BOOLEAN");
        assert_eq!(t(vec![json!({"a": 1})]), "TEXT");
        assert_eq!(t(vec![]), "TEXT");
    }
}
