//! Layers into a GeoPackage: a new file, or a new layer in an existing
//! GeoPackage (a Lägesbild project or any other). Geometry stays in SWEREF 99
//! TM (EPSG:3006), so hotspot cells are exact squares in GIS programs; the
//! layer gets an R-tree spatial index through
//! [`crate::store::gpkg::schema::create_feature_layer`], and its
//! `gpkg_contents` description holds [`super::MadeFrom`] as JSON.
//!
//! The table is written by [`crate::store::gpkg::layers::write_feature_table`]
//! (typed attribute columns) with blobs from [`crate::store::gpkg::blob`], the
//! same code that writes the project's map layers.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{ExportError, Layer};
use crate::store::gpkg::layers::{FeatureRef, TableSpec, write_feature_table};
use crate::store::gpkg::register_gpkg_functions;
use crate::store::gpkg::schema::{SRS_SWEREF99_TM, WKT_3006, create_core, set_gpkg_identity};

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
/// transaction), through the store's feature-table writer.
fn add_layer(conn: &Connection, layer: &Layer) -> rusqlite::Result<()> {
    let features: Vec<FeatureRef<'_>> = layer
        .features
        .iter()
        .map(|f| (&f.geometry, &f.properties))
        .collect();
    let description =
        serde_json::json!({"title": layer.title, "made_from": layer.made_from.to_json()})
            .to_string();
    write_feature_table(
        conn,
        &TableSpec {
            table: &layer.name,
            srs_id: SRS_SWEREF99_TM,
            identifier: &layer.name,
            description: &description,
        },
        &features,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::gpkg::blob;

    #[test]
    fn polygon_blob_has_envelope_and_closed_rings() {
        let ring = geo::LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 1.0)]);
        let g = geo::Geometry::Polygon(geo::Polygon::new(ring, vec![]));
        let b = blob::geometry_blob(3006, &g).unwrap();
        assert_eq!(&b[..4], &[b'G', b'P', 0, 3]);
        assert_eq!(blob::envelope(&b), Ok(Some([0.0, 2.0, 0.0, 1.0])));
        // header 8 + envelope 32 + WKB: 1 + 4 + 4 + ring (4 + 4 points · 16)
        assert_eq!(b.len(), 8 + 32 + 9 + 4 + 4 * 16);
        let p = blob::geometry_blob(3006, &geo::Point::new(1.0, 2.0).into()).unwrap();
        assert_eq!(blob::parse_point(&p), Ok((1.0, 2.0)));
    }
}
