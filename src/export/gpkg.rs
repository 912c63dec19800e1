//! Layers into a GeoPackage: a new file, or a new layer in an existing
//! GeoPackage (a Lägesbild project or any other). Geometry stays in SWEREF 99
//! TM (EPSG:3006), so hotspot cells are exact squares in GIS programs; the
//! layer gets an R-tree spatial index through
//! [`crate::store::gpkg::schema::create_feature_layer`], and its
//! `gpkg_contents` description holds [`super::MadeFrom`] as JSON.
//!
//! Geometry blobs: GeoPackage binary header with an xy envelope, then
//! little-endian WKB (Point, Polygon, MultiPolygon).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde_json::Value;

use geo::{CoordsIter as _, Geometry};

use super::{ExportError, Layer};
use crate::store::gpkg::register_gpkg_functions;
use crate::store::gpkg::schema::{
    FeatureLayer, SRS_SWEREF99_TM, WKT_3006, create_core, create_feature_layer, quote_ident,
    set_gpkg_identity,
};

fn wkb_ring(out: &mut Vec<u8>, ring: &geo::LineString<f64>) {
    // geo closes every polygon ring.
    out.extend_from_slice(&(ring.0.len() as u32).to_le_bytes());
    for p in &ring.0 {
        out.extend_from_slice(&p.x.to_le_bytes());
        out.extend_from_slice(&p.y.to_le_bytes());
    }
}

fn wkb_polygon(out: &mut Vec<u8>, polygon: &geo::Polygon<f64>) {
    out.push(1);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(1 + polygon.interiors().len() as u32).to_le_bytes());
    wkb_ring(out, polygon.exterior());
    for r in polygon.interiors() {
        wkb_ring(out, r);
    }
}

/// GeoPackage / OGC geometry type name of what the analyses export.
fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "POINT",
        Geometry::Polygon(_) => "POLYGON",
        Geometry::MultiPolygon(_) => "MULTIPOLYGON",
        _ => "GEOMETRY",
    }
}

/// Little-endian WKB of the geometry: Point, Polygon or MultiPolygon (what
/// the analyses export); any other type is written as an empty
/// GeometryCollection.
pub fn wkb(g: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    match g {
        Geometry::Point(p) => {
            out.push(1);
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&p.x().to_le_bytes());
            out.extend_from_slice(&p.y().to_le_bytes());
        }
        Geometry::Polygon(p) => wkb_polygon(&mut out, p),
        Geometry::MultiPolygon(polys) => {
            out.push(1);
            out.extend_from_slice(&6u32.to_le_bytes());
            out.extend_from_slice(&(polys.0.len() as u32).to_le_bytes());
            for p in polys {
                wkb_polygon(&mut out, p);
            }
        }
        _ => {
            out.push(1);
            out.extend_from_slice(&7u32.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
        }
    }
    out
}

/// Envelope (minx, maxx, miny, maxy) of the geometry; `None` when it has no
/// finite coordinate.
pub fn envelope(g: &Geometry<f64>) -> Option<[f64; 4]> {
    let mut env = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in g.coords_iter() {
        if p.x.is_finite() && p.y.is_finite() {
            env[0] = env[0].min(p.x);
            env[1] = env[1].max(p.x);
            env[2] = env[2].min(p.y);
            env[3] = env[3].max(p.y);
        }
    }
    (env[0] <= env[1]).then_some(env)
}

/// A GeoPackage geometry blob (standard binary, little-endian, with an xy
/// envelope for everything but points, as GDAL writes).
pub fn gpkg_blob(srs_id: i32, g: &Geometry<f64>) -> Vec<u8> {
    let env = match g {
        Geometry::Point(_) => None,
        _ => envelope(g),
    };
    let mut out = vec![b'G', b'P', 0, if env.is_some() { 0x03 } else { 0x01 }];
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(e) = env {
        for v in e {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(&wkb(g));
    out
}

/// SQL column type for a property from its values across features.
fn column_type(values: impl Iterator<Item = Option<Value>>) -> &'static str {
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

/// Writes `layer` into the GeoPackage at `path` as the table `layer.name`:
/// creates the file when it does not exist (under a temporary name, renamed
/// into place), else adds the layer in one transaction. Fails if a table of
/// that name exists.
pub fn write_layer(layer: &Layer, path: &Path) -> Result<(), ExportError> {
    let sql = |source: rusqlite::Error| ExportError::Sqlite {
        path: path.to_owned(),
        source,
    };
    if std::fs::symlink_metadata(path).is_err() {
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .ok_or_else(|| ExportError::Invalid {
                path: path.to_owned(),
                reason: "not a file path".to_owned(),
            })?;
        let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let built = (|| -> Result<(), ExportError> {
            let conn = Connection::open(&tmp).map_err(sql)?;
            conn.pragma_update(None, "journal_mode", "DELETE")
                .map_err(sql)?;
            set_gpkg_identity(&conn).map_err(sql)?;
            register_gpkg_functions(&conn).map_err(sql)?;
            conn.execute_batch("BEGIN").map_err(sql)?;
            create_core(&conn).map_err(sql)?;
            add_layer(&conn, layer).map_err(sql)?;
            conn.execute_batch("COMMIT").map_err(sql)?;
            conn.close().map_err(|(_, e)| sql(e))?;
            std::fs::rename(&tmp, path).map_err(super::io_err(path))
        })();
        if built.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return built;
    }
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| {
            ExportError::Invalid {
                path: path.to_owned(),
                reason: format!("cannot open as a GeoPackage: {e}"),
            }
        })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql)?;
    let is_gpkg: bool = conn
        .query_row(
            "SELECT count(*) = 2 FROM sqlite_master WHERE type = 'table' \
             AND name IN ('gpkg_contents', 'gpkg_spatial_ref_sys')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| ExportError::Invalid {
            path: path.to_owned(),
            reason: format!("not a GeoPackage: {e}"),
        })?;
    if !is_gpkg {
        return Err(ExportError::Invalid {
            path: path.to_owned(),
            reason: "not a GeoPackage (no gpkg_contents table)".to_owned(),
        });
    }
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?1)) \
             OR EXISTS (SELECT 1 FROM gpkg_contents WHERE lower(table_name) = lower(?1))",
            [&layer.name],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if exists {
        return Err(ExportError::LayerExists {
            path: path.to_owned(),
            layer: layer.name.clone(),
        });
    }
    register_gpkg_functions(&conn).map_err(sql)?;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql)?;
    let done = (|| -> rusqlite::Result<()> {
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, \
             organization_coordsys_id, definition, description) \
             VALUES ('SWEREF99 TM', ?1, 'EPSG', ?1, ?2, 'SWEREF 99 TM, the Swedish national grid, in metres')",
            rusqlite::params![SRS_SWEREF99_TM, WKT_3006],
        )?;
        let has_ext: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_extensions')",
            [],
            |r| r.get(0),
        )?;
        if !has_ext {
            conn.execute_batch(
                "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, \
                 extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, \
                 CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));",
            )?;
        }
        add_layer(&conn, layer)?;
        conn.execute_batch("COMMIT")
    })();
    if let Err(e) = done {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(sql(e));
    }
    Ok(())
}

/// Creates the table and inserts the features (the caller holds the
/// transaction).
fn add_layer(conn: &Connection, layer: &Layer) -> rusqlite::Result<()> {
    // Columns in order of first appearance.
    let mut keys: Vec<String> = Vec::new();
    for f in &layer.features {
        for k in f.properties.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let columns_sql = keys
        .iter()
        .map(|k| {
            let ty = column_type(layer.features.iter().map(|f| f.properties.get(k).cloned()));
            format!("{} {ty}", quote_ident(k))
        })
        .collect::<Vec<_>>()
        .join(",\n  ");
    let geometry_type = {
        let mut types = layer.features.iter().map(|f| type_name(&f.geometry));
        match types.next() {
            Some(first) if types.all(|t| t == first) => first,
            Some(_) => "GEOMETRY",
            None => "GEOMETRY",
        }
    };
    let description =
        serde_json::json!({"title": layer.title, "made_from": layer.made_from.to_json()})
            .to_string();
    create_feature_layer(
        conn,
        &FeatureLayer {
            table: &layer.name,
            geometry_type,
            srs_id: SRS_SWEREF99_TM,
            columns_sql: &columns_sql,
            identifier: &layer.name,
            description: &description,
        },
    )?;
    let placeholders: String = (0..=keys.len())
        .map(|i| format!("?{}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let column_list: String = std::iter::once("geom".to_owned())
        .chain(keys.iter().map(|k| quote_ident(k)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut insert = conn.prepare(&format!(
        "INSERT INTO {} ({column_list}) VALUES ({placeholders})",
        quote_ident(&layer.name)
    ))?;
    let mut bounds: Option<[f64; 4]> = None;
    for f in &layer.features {
        let blob = gpkg_blob(SRS_SWEREF99_TM, &f.geometry);
        if let Some(e) = envelope(&f.geometry) {
            bounds = Some(match bounds {
                None => e,
                Some(b) => [
                    b[0].min(e[0]),
                    b[1].max(e[1]),
                    b[2].min(e[2]),
                    b[3].max(e[3]),
                ],
            });
        }
        let values = std::iter::once(rusqlite::types::Value::Blob(blob))
            .chain(keys.iter().map(|k| sql_value(f.properties.get(k))));
        insert.execute(params_from_iter(values))?;
    }
    if let Some(b) = bounds {
        conn.execute(
            "UPDATE gpkg_contents SET min_x = ?1, max_x = ?2, min_y = ?3, max_y = ?4 \
             WHERE table_name = ?5",
            rusqlite::params![b[0], b[1], b[2], b[3], layer.name],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::gpkg::blob;

    #[test]
    fn polygon_blob_has_envelope_and_closed_rings() {
        let ring = geo::LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 1.0)]);
        let g = Geometry::Polygon(geo::Polygon::new(ring, vec![]));
        let b = gpkg_blob(3006, &g);
        assert_eq!(&b[..4], &[b'G', b'P', 0, 3]);
        assert_eq!(blob::envelope(&b), Ok(Some([0.0, 2.0, 0.0, 1.0])));
        // header 8 + envelope 32 + WKB: 1 + 4 + 4 + ring (4 + 4 points · 16)
        assert_eq!(b.len(), 8 + 32 + 9 + 4 + 4 * 16);
        let p = gpkg_blob(3006, &Geometry::Point(geo::Point::new(1.0, 2.0)));
        assert_eq!(blob::parse_point(&p), Ok((1.0, 2.0)));
    }

    #[test]
    fn column_types_follow_values() {
        use serde_json::json;
        let t = |v: Vec<Value>| column_type(v.into_iter().map(Some));
        assert_eq!(t(vec![json!(1), json!(2)]), "INTEGER");
        assert_eq!(t(vec![json!(1), json!(2.5)]), "REAL");
        assert_eq!(t(vec![json!("a"), json!(1)]), "TEXT");
        assert_eq!(t(vec![json!(null), json!(true)]), "BOOLEAN");
        assert_eq!(t(vec![]), "TEXT");
    }
}
