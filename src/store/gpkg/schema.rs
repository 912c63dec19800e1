//! The GeoPackage 1.3 core tables, feature-layer registration with its R-tree
//! spatial index, and the app's versioned schema migrations.
//!
//! The app's schema version lives in `lagesbild_meta` (key `schema_version`).
//! Migration `n` brings a project from version `n - 1` to `n`; migration 1
//! creates the core, the app tables and the incidents, migration 2 the map
//! layer tables. Migrations run in one transaction, after a backup copy of the
//! project is written beside it ([`backup_before_upgrade`]: `NAME.gpkg.bak-vN`).

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::store::layers::LEGACY_OVERLAYS_KEY;

/// `PRAGMA application_id` of a GeoPackage: 'GPKG'.
pub const GPKG_APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of a GeoPackage 1.3 file.
pub const GPKG_USER_VERSION: i32 = 10300;

/// WGS 84 longitude/latitude.
pub const SRS_WGS84: i32 = 4326;
/// SWEREF 99 TM, the Swedish national projected CRS (metres).
pub const SRS_SWEREF99_TM: i32 = 3006;

const WKT_4326: &str = concat!(
    r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,"#,
    r#"AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,"#,
    r#"AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],"#,
    r#"AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#
);

/// SWEREF 99 TM (EPSG:3006) as the OGC WKT stored in `gpkg_spatial_ref_sys`.
pub const WKT_3006: &str = concat!(
    r#"PROJCS["SWEREF99 TM",GEOGCS["SWEREF99",DATUM["SWEREF99",SPHEROID["GRS 1980",6378137,"#,
    r#"298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6619"]],PRIMEM["Greenwich",0,"#,
    r#"AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],"#,
    r#"AUTHORITY["EPSG","4619"]],PROJECTION["Transverse_Mercator"],"#,
    r#"PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",15],"#,
    r#"PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],"#,
    r#"PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],"#,
    r#"AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","3006"]]"#
);

/// The GeoPackage core tables (clause 1.1) and the extensions registry.
const CORE_TABLES: &str = r#"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
"#;

/// The app's own tables: metadata and the import log. Plain tables, not
/// registered in gpkg_contents, so GIS programs show only the map layers.
const APP_TABLES: &str = r#"
CREATE TABLE lagesbild_meta (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE lagesbild_imports (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  file_name TEXT NOT NULL,
  imported_at DATETIME NOT NULL,
  inserted INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  conflicts INTEGER NOT NULL,
  app_version TEXT NOT NULL
);
"#;

/// The incident layer's columns after `fid` and `geom`.
const INCIDENT_COLUMNS: &str = r#"
  uid TEXT NOT NULL,
  occurred_at DATETIME NOT NULL,
  category TEXT NOT NULL,
  category_text TEXT,
  source TEXT NOT NULL,
  source_text TEXT,
  precision_m REAL NOT NULL,
  place TEXT,
  description TEXT,
  import_file TEXT,
  external_id TEXT,
  import_key INTEGER NOT NULL
"#;

/// The incident table's secondary indexes that every import leaves in place,
/// by name, with their definitions. An import into an empty table drops them
/// and builds them again at commit (sorting once beats a million inserts).
pub const INCIDENT_INDEXES: [(&str, &str); 2] = [
    (
        "incidents_uid",
        "CREATE UNIQUE INDEX IF NOT EXISTS incidents_uid ON incidents(uid)",
    ),
    (
        "incidents_occurred_at",
        "CREATE INDEX IF NOT EXISTS incidents_occurred_at ON incidents(occurred_at)",
    ),
];

/// The duplicate-detection index. Only imports into a table that has rows
/// use it, so an import into an empty table drops it and the next import
/// builds it (`IF NOT EXISTS`), keeping the first, biggest import fast.
pub const IMPORT_KEY_INDEX: (&str, &str) = (
    "incidents_import_key",
    "CREATE INDEX IF NOT EXISTS incidents_import_key ON incidents(import_key)",
);

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Sets the GeoPackage file identity (application id and version).
pub fn set_gpkg_identity(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "application_id", GPKG_APPLICATION_ID)?;
    conn.pragma_update(None, "user_version", GPKG_USER_VERSION)?;
    Ok(())
}

/// Creates the core tables with the required spatial reference systems
/// (-1, 0, 4326) and SWEREF 99 TM (3006). Public so that exports can write a
/// plain GeoPackage (no app tables).
pub fn create_core(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(CORE_TABLES)?;
    let mut insert = conn.prepare(
        "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, \
         organization_coordsys_id, definition, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    insert.execute(params![
        "Undefined Cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined Cartesian coordinate reference system"
    ])?;
    insert.execute(params![
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system"
    ])?;
    insert.execute(params![
        "WGS 84 geodetic",
        SRS_WGS84,
        "EPSG",
        SRS_WGS84,
        WKT_4326,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
    ])?;
    insert.execute(params![
        "SWEREF99 TM",
        SRS_SWEREF99_TM,
        "EPSG",
        SRS_SWEREF99_TM,
        WKT_3006,
        "SWEREF 99 TM, the Swedish national grid, in metres"
    ])?;
    Ok(())
}

/// A feature layer to create with [`create_feature_layer`].
pub struct FeatureLayer<'a> {
    /// Table name, e.g. `incidents`.
    pub table: &'a str,
    /// GeoPackage geometry type name: POINT, LINESTRING, POLYGON, MULTIPOLYGON, ….
    pub geometry_type: &'a str,
    /// Spatial reference system id (must be in gpkg_spatial_ref_sys).
    pub srs_id: i32,
    /// Column definitions after `fid` and `geom`, comma separated, using
    /// GeoPackage data types only (INTEGER, REAL, TEXT, DATETIME, BOOLEAN, …).
    pub columns_sql: &'a str,
    /// Human name shown by GIS programs.
    pub identifier: &'a str,
    pub description: &'a str,
}

/// Creates a feature table (`fid` integer primary key, geometry column `geom`,
/// then `layer.columns_sql`), registers it in gpkg_contents and
/// gpkg_geometry_columns, and gives it an R-tree spatial index
/// (`rtree_<table>_geom`, registered as the `gpkg_rtree_index` extension, with
/// the GeoPackage 1.3 triggers).
pub fn create_feature_layer(conn: &Connection, layer: &FeatureLayer<'_>) -> rusqlite::Result<()> {
    let t = quote_ident(layer.table);
    let extra = layer.columns_sql.trim();
    let sep = if extra.is_empty() { "" } else { ",\n" };
    conn.execute_batch(&format!(
        "CREATE TABLE {t} (\n  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  \
         geom {} NOT NULL{sep}{extra}\n);",
        layer.geometry_type
    ))?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) \
         VALUES (?1, 'features', ?2, ?3, ?4)",
        params![
            layer.table,
            layer.identifier,
            layer.description,
            layer.srs_id
        ],
    )?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, \
         srs_id, z, m) VALUES (?1, 'geom', ?2, ?3, 0, 0)",
        params![layer.table, layer.geometry_type, layer.srs_id],
    )?;
    conn.execute(
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) \
         VALUES (?1, 'geom', 'gpkg_rtree_index', \
         'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        params![layer.table],
    )?;
    let rtree = quote_ident(&rtree_name(layer.table, "geom"));
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy);"
    ))?;
    create_rtree_triggers(conn, layer.table, "geom")
}

/// `rtree_<table>_<column>`.
pub fn rtree_name(table: &str, column: &str) -> String {
    format!("rtree_{table}_{column}")
}

/// The trigger names of the GeoPackage 1.3 R-tree extension (Annex F.3).
pub fn rtree_trigger_names(table: &str, column: &str) -> [String; 6] {
    let r = rtree_name(table, column);
    [
        "insert", "update1", "update2", "update3", "update4", "delete",
    ]
    .map(|s| format!("{r}_{s}"))
}

/// Creates the six triggers that keep `rtree_<table>_<column>` in step with the
/// table, as GeoPackage 1.3 Annex F.3 defines them (primary key `fid`).
pub fn create_rtree_triggers(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<()> {
    let t = quote_ident(table);
    let c = quote_ident(column);
    let r = quote_ident(&rtree_name(table, column));
    let [ins, up1, up2, up3, up4, del] =
        rtree_trigger_names(table, column).map(|n| quote_ident(&n));
    let values = format!(
        "(NEW.fid, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}))"
    );
    conn.execute_batch(&format!(
        "CREATE TRIGGER {ins} AFTER INSERT ON {t}
  WHEN (NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO {r} VALUES {values};
END;
CREATE TRIGGER {up1} AFTER UPDATE OF {c} ON {t}
  WHEN OLD.fid = NEW.fid AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO {r} VALUES {values};
END;
CREATE TRIGGER {up2} AFTER UPDATE OF {c} ON {t}
  WHEN OLD.fid = NEW.fid AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {r} WHERE id = OLD.fid;
END;
CREATE TRIGGER {up3} AFTER UPDATE ON {t}
  WHEN OLD.fid != NEW.fid AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {r} WHERE id = OLD.fid;
  INSERT OR REPLACE INTO {r} VALUES {values};
END;
CREATE TRIGGER {up4} AFTER UPDATE ON {t}
  WHEN OLD.fid != NEW.fid AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {r} WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER {del} AFTER DELETE ON {t}
  WHEN OLD.{c} NOT NULL
BEGIN
  DELETE FROM {r} WHERE id = OLD.fid;
END;"
    ))
}

/// Drops the R-tree triggers (e.g. for the length of a bulk import, which
/// maintains the index itself). DDL is transactional: a rollback restores them.
pub fn drop_rtree_triggers(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<()> {
    for name in rtree_trigger_names(table, column) {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {};", quote_ident(&name)))?;
    }
    Ok(())
}

/// One schema step: brings a project from version `n - 1` to `n`.
type Migration = fn(&Connection) -> rusqlite::Result<()>;

/// All migrations, in order; index `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[Migration] = &[migration_1, migration_2];

/// The newest schema version the migrations reach.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1: the GeoPackage core, the app tables and the incident layer.
fn migration_1(conn: &Connection) -> rusqlite::Result<()> {
    create_core(conn)?;
    conn.execute_batch(APP_TABLES)?;
    create_feature_layer(
        conn,
        &FeatureLayer {
            table: "incidents",
            geometry_type: "POINT",
            srs_id: SRS_WGS84,
            columns_sql: INCIDENT_COLUMNS,
            identifier: "incidents",
            description: "Incidents (Lägesbild)",
        },
    )?;
    for (_, sql) in INCIDENT_INDEXES.iter().chain([&IMPORT_KEY_INDEX]) {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

/// Version 2: map layers become feature tables. Creates the layer style
/// table and moves the layers that version 1 kept as one JSON list in
/// `lagesbild_meta` (key [`LEGACY_OVERLAYS_KEY`]) into one feature table
/// each (see [`crate::store::layers::legacy`] for the forms read), in the
/// order and colours the app gave them, then deletes the list. A list that cannot be
/// read fails the migration (the caller rolls back, so nothing is lost).
fn migration_2(conn: &Connection) -> rusqlite::Result<()> {
    use crate::store::layers::{LayerStyle, legacy, usable_name};
    conn.execute_batch(super::layers::STYLE_TABLE)?;
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM lagesbild_meta WHERE key = ?1",
            [LEGACY_OVERLAYS_KEY],
            |r| r.get(0),
        )
        .optional()?;
    let Some(text) = text else {
        return Ok(());
    };
    let unreadable = |e: String| {
        rusqlite::Error::UserFunctionError(
            format!("the map layers of this project cannot be read: {e}").into(),
        )
    };
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    let mut names: Vec<String> = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let mut set = legacy::feature_set(entry).map_err(unreadable)?;
        let base = usable_name(&set.name);
        let mut name = base.clone();
        let mut n = 2;
        while names.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
            name = format!("{base} {n}");
            n += 1;
        }
        names.push(name.clone());
        set.name = name;
        super::layers::write_layer(
            conn,
            &set,
            &LayerStyle::nth(i),
            "an older Lägesbild version",
        )?;
    }
    conn.execute(
        "DELETE FROM lagesbild_meta WHERE key = ?1",
        [LEGACY_OVERLAYS_KEY],
    )?;
    Ok(())
}

/// Runs the migrations after version `from` (0 for a new file) up to
/// [`LATEST_VERSION`] and records the version. The caller holds the transaction.
pub fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    let start = usize::try_from(from).unwrap_or(0);
    for migration in MIGRATIONS.iter().skip(start) {
        migration(conn)?;
    }
    if from < LATEST_VERSION {
        conn.execute(
            "INSERT INTO lagesbild_meta (key, value) VALUES ('schema_version', ?1) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![LATEST_VERSION.to_string()],
        )?;
    }
    Ok(())
}

/// Why an SQLite file without `lagesbild_meta` is no project, in words that
/// say what it is: a GeoPackage with its own layers (from QGIS or ogr2ogr),
/// whose points can be imported as incidents, or some other SQLite database.
pub fn not_a_project_reason(conn: &Connection) -> String {
    let layers: rusqlite::Result<Vec<(String, String)>> = conn
        .prepare(
            "SELECT c.table_name, upper(g.geometry_type_name) FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect());
    match layers {
        Ok(layers) if !layers.is_empty() => {
            let points: Vec<String> = layers
                .iter()
                .filter(|(_, t)| t == "POINT" || t == "MULTIPOINT")
                .map(|(n, _)| format!("{n:?}"))
                .collect();
            let all: Vec<String> = layers.iter().map(|(n, _)| format!("{n:?}")).collect();
            if points.is_empty() {
                format!(
                    "not a Lägesbild project but a GeoPackage with the layers {} (no point layer); add it as map layers with `lagesbild layer add PROJECT.gpkg FILE`",
                    all.join(", ")
                )
            } else {
                format!(
                    "not a Lägesbild project but a GeoPackage with the layers {}; import the point layer {} as incidents with `lagesbild import PROJECT.gpkg FILE --layer NAME --map COLUMN=FIELD`",
                    all.join(", "),
                    points.join(" or ")
                )
            }
        }
        _ => "not a Lägesbild project: no lagesbild_meta table (an SQLite database, but no GeoPackage with layers)".to_owned(),
    }
}

/// The backup copy written beside a project before it is upgraded from
/// schema version `from`: `NAME.gpkg.bak-v{from}`, or `NAME.gpkg.bak-v{from}-2`,
/// `-3` … when that name is taken (an earlier backup is never replaced).
pub fn backup_path(path: &std::path::Path, from: i64) -> std::path::PathBuf {
    let base = format!(
        "{}.bak-v{from}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let mut candidate = path.with_file_name(&base);
    let mut n = 2;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        candidate = path.with_file_name(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

/// Writes a complete, consistent copy of the open project `conn` (at
/// `path`, schema version `from`) to [`backup_path`] before a migration
/// changes it, so an upgrade that goes wrong, or a newer version the user
/// wants to leave, costs nothing: the copy opens as the project it was (with
/// the app version that wrote it). `VACUUM INTO` copies from inside SQLite,
/// so it is consistent even while another program has the file open.
///
/// # Errors
/// The copy cannot be written (a read-only folder, a full disk): the caller
/// must not migrate.
pub fn backup_before_upgrade(
    conn: &Connection,
    path: &std::path::Path,
    from: i64,
) -> Result<std::path::PathBuf, crate::store::StoreError> {
    let backup = backup_path(path, from);
    let Some(target) = backup.to_str() else {
        return Err(crate::store::StoreError::NotAProject {
            path: path.to_owned(),
            reason: "the project's folder name is not valid Unicode, so no backup copy can be written before the upgrade".to_owned(),
        });
    };
    conn.execute("VACUUM INTO ?1", [target]).map_err(|e| {
        let _ = std::fs::remove_file(&backup);
        crate::store::StoreError::Io {
            path: backup.clone(),
            source: std::io::Error::other(format!(
                "the project has schema version {from} and must be upgraded to {LATEST_VERSION}, \
                 but the backup copy cannot be written first ({e}); nothing was changed"
            )),
        }
    })?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_builds_every_table() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, 0).unwrap();
        let v: String = conn
            .query_row(
                "SELECT value FROM lagesbild_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, LATEST_VERSION.to_string());
        let triggers: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' \
                 AND name LIKE 'rtree_incidents_geom_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 6);
        let srs: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326, 3006)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(srs, 4);
        // Running again from the latest version does nothing.
        migrate(&conn, LATEST_VERSION).unwrap();
    }

    #[test]
    fn triggers_drop_and_come_back() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, 0).unwrap();
        drop_rtree_triggers(&conn, "incidents", "geom").unwrap();
        let count = |conn: &Connection| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(count(&conn), 0);
        create_rtree_triggers(&conn, "incidents", "geom").unwrap();
        assert_eq!(count(&conn), 6);
    }
}
