//! Incidents from a point layer of a foreign GeoPackage (one that QGIS or
//! `ogr2ogr` wrote, not a Lägesbild project): `lagesbild import PROJECT.gpkg
//! foreign.gpkg --layer NAME --map …`.
//!
//! The layer is read by the map-layer reader
//! ([`crate::store::gpkg::layers::read_gpkg_file`]: any EPSG system it knows
//! is converted to WGS 84, attributes become properties), and each feature
//! then goes through the GeoJSON incident reader, so its attribute names are
//! matched by the same rules as CSV headers and GeoJSON properties (`id`,
//! `tidpunkt`, `datum` + `tid`, `kategori`, `plats` …) and `--map
//! COLUMN=FIELD` takes the same field names. A DATETIME column reads as an
//! ISO time.
//!
//! Without `--layer` the one point layer of the file is read; a file with
//! several asks for one by name, listing them. Row errors name the feature by
//! its place in the layer (1-based, in `fid` order) where other readers give a
//! line.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Field, ImportError, ImportOptions, ParsedRow, RowError, RowReader};

/// Geometry types of `gpkg_geometry_columns` that hold incidents.
const POINT_TYPES: [&str; 2] = ["POINT", "MULTIPOINT"];

fn file_error(path: &Path, reason: String) -> ImportError {
    ImportError::File {
        path: path.to_owned(),
        line: None,
        reason,
    }
}

/// The feature tables of the GeoPackage at `path` with their geometry type,
/// in name order.
pub fn feature_layers(path: &Path) -> Result<Vec<(String, String)>, ImportError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| file_error(path, format!("cannot open as a GeoPackage: {e}")))?;
    conn.prepare(
        "SELECT c.table_name, upper(g.geometry_type_name) FROM gpkg_contents c \
         JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE c.data_type = 'features' ORDER BY c.table_name",
    )
    .and_then(|mut s| {
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|e| file_error(path, format!("not a GeoPackage with feature layers ({e})")))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The layer to read: `wanted`, or the file's only point layer.
fn choose_layer(path: &Path, wanted: Option<&str>) -> Result<String, ImportError> {
    let layers = feature_layers(path)?;
    let points: Vec<&str> = layers
        .iter()
        .filter(|(_, t)| POINT_TYPES.contains(&t.as_str()))
        .map(|(n, _)| n.as_str())
        .collect();
    let all: Vec<&str> = layers.iter().map(|(n, _)| n.as_str()).collect();
    if let Some(name) = wanted {
        return match layers.iter().find(|(n, _)| n == name) {
            Some((_, t)) if POINT_TYPES.contains(&t.as_str()) => Ok(name.to_owned()),
            Some((_, t)) => Err(file_error(
                path,
                format!(
                    "layer {name:?} holds {t} geometries; incidents come from a point layer{}",
                    if points.is_empty() {
                        " and the file has none".to_owned()
                    } else {
                        format!(" ({})", quoted(&points))
                    }
                ),
            )),
            None => Err(file_error(
                path,
                format!(
                    "no layer {name:?}; the file's layers: {}",
                    if all.is_empty() {
                        "none".to_owned()
                    } else {
                        quoted(&all)
                    }
                ),
            )),
        };
    }
    match points.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(file_error(
            path,
            format!(
                "the GeoPackage has no point layer to read incidents from (layers: {})",
                if all.is_empty() {
                    "none".to_owned()
                } else {
                    quoted(&all)
                }
            ),
        )),
        many => Err(file_error(
            path,
            format!(
                "the GeoPackage has {} point layers ({}): name one with --layer NAME",
                many.len(),
                quoted(many)
            ),
        )),
    }
}

// ---------------------------------------------------------------------------
// What a GeoPackage holds, for choosing a layer and mapping its columns (the
// app's "import a GeoPackage layer" dialog).

/// One attribute column of a point layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerColumn {
    pub name: String,
    /// The declared SQL type (`TEXT`, `DATETIME`, `INTEGER` …), upper case.
    pub sql_type: String,
    /// The field the import reads it as without a `--map` for it (the CSV
    /// header rules, first column per field), if any.
    pub guess: Option<Field>,
}

/// A point layer of a foreign GeoPackage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointLayer {
    pub name: String,
    pub features: u64,
    /// The attribute columns in table order (no key, no geometry).
    pub columns: Vec<LayerColumn>,
}

/// What [`inspect`] found in a GeoPackage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpkgSummary {
    /// It is a Lägesbild project (it has `lagesbild_meta`): open it rather
    /// than import from it.
    pub is_project: bool,
    /// Layers incidents can be imported from, in name order.
    pub point_layers: Vec<PointLayer>,
    /// Feature layers of other geometry types (name, type), in name order.
    pub other_layers: Vec<(String, String)>,
}

/// Lists the point layers of the GeoPackage at `path` with their feature
/// counts and attribute columns, and the field each column is read as by
/// default ([`ImportOptions::column_map`] overrides it). Reads only, with
/// the file opened read-only.
///
/// # Errors
/// [`ImportError::File`] naming the file when it is no GeoPackage with
/// feature layers (not SQLite, no `gpkg_contents`, a damaged table).
pub fn inspect(path: &Path) -> Result<GpkgSummary, ImportError> {
    let layers = feature_layers(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| file_error(path, format!("cannot open as a GeoPackage: {e}")))?;
    let is_project = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'lagesbild_meta'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| file_error(path, format!("cannot read the table list: {e}")))?
        > 0;
    let mut summary = GpkgSummary {
        is_project,
        point_layers: Vec::new(),
        other_layers: Vec::new(),
    };
    for (name, geometry_type) in layers {
        if !POINT_TYPES.contains(&geometry_type.as_str()) {
            summary.other_layers.push((name, geometry_type));
            continue;
        }
        let layer = point_layer(&conn, &name)
            .map_err(|e| file_error(path, format!("layer {name:?} cannot be read: {e}")))?;
        summary.point_layers.push(layer);
    }
    Ok(summary)
}

/// The columns and feature count of point layer `name`.
fn point_layer(conn: &Connection, name: &str) -> rusqlite::Result<PointLayer> {
    let geometry_column: String = conn.query_row(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?1",
        [name],
        |r| r.get(0),
    )?;
    let mut columns = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT name, type, pk FROM pragma_table_info(?1)")?;
        let mut rows = stmt.query([name])?;
        while let Some(r) = rows.next()? {
            let column: String = r.get(0)?;
            let sql_type: String = r.get(1)?;
            let key = r.get::<_, i64>(2)? == 1 && sql_type.eq_ignore_ascii_case("INTEGER");
            if !key && column != geometry_column {
                columns.push(LayerColumn {
                    name: column,
                    sql_type: sql_type.to_ascii_uppercase(),
                    guess: None,
                });
            }
        }
    }
    let guesses = super::geojson::default_fields(columns.iter().map(|c| &c.name));
    for c in &mut columns {
        c.guess = guesses.get(&c.name).copied();
    }
    let table = crate::store::gpkg::schema::quote_ident(name);
    let features: i64 =
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(PointLayer {
        name: name.to_owned(),
        features: u64::try_from(features).unwrap_or(0),
        columns,
    })
}

/// The GeoJSON of one geometry for the incident reader: points as they are,
/// other types with no coordinates, so that the reader refuses them by type.
fn geometry_json(g: &geo::Geometry<f64>) -> serde_json::Value {
    use serde_json::json;
    match g {
        geo::Geometry::Point(p) => json!({"type": "Point", "coordinates": [p.x(), p.y()]}),
        geo::Geometry::MultiPoint(mp) => json!({
            "type": "MultiPoint",
            "coordinates": mp.iter().map(|p| [p.x(), p.y()]).collect::<Vec<_>>(),
        }),
        other => {
            let name = match other {
                geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
                geo::Geometry::MultiLineString(_) => "MultiLineString",
                geo::Geometry::MultiPolygon(_) => "MultiPolygon",
                geo::Geometry::GeometryCollection(_) => "GeometryCollection",
                _ => "Polygon",
            };
            if name == "GeometryCollection" {
                json!({"type": name, "geometries": []})
            } else {
                json!({"type": name, "coordinates": []})
            }
        }
    }
}

/// Reads incidents from a point layer of the GeoPackage `path`
/// ([`ImportOptions::layer`], or its only point layer). See the module docs.
pub fn reader(path: &Path, options: &ImportOptions) -> Result<Box<dyn RowReader>, ImportError> {
    let layer = choose_layer(path, options.layer.as_deref())?;
    let mut sets = crate::store::gpkg::layers::read_gpkg_file(path, Some(&layer))?;
    let Some(set) = sets.pop() else {
        return Err(file_error(
            path,
            format!("layer {layer:?} could not be read"),
        ));
    };
    if set.features.is_empty() {
        return Err(file_error(
            path,
            format!("layer {layer:?} holds no features"),
        ));
    }
    // One feature per line from line 2, so line n + 1 is feature n.
    let mut json = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in set.features.iter().enumerate() {
        if i > 0 {
            json.push_str(",\n");
        }
        let feature = serde_json::json!({
            "type": "Feature",
            "geometry": geometry_json(&f.geometry),
            "properties": f.properties,
        });
        json.push_str(&feature.to_string());
    }
    json.push_str("\n]}\n");
    // Coordinates are WGS 84 already (the layer reader converted them).
    let inner_options = ImportOptions {
        crs: None,
        ..options.clone()
    };
    let inner = super::geojson::reader_from_bytes(path, json.into_bytes(), &inner_options)?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Box::new(GpkgLayerReader {
        inner,
        layer,
        features: set.features.len() as u64,
        done: 0,
        bytes,
    }))
}

struct GpkgLayerReader {
    inner: Box<dyn RowReader>,
    layer: String,
    features: u64,
    done: u64,
    bytes: u64,
}

impl Iterator for GpkgLayerReader {
    type Item = Result<ParsedRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.next()?;
        self.done += 1;
        Some(match item {
            Ok(mut row) => {
                row.line = row.line.saturating_sub(1).max(1);
                Ok(row)
            }
            Err(mut e) => {
                e.line = e.line.saturating_sub(1).max(1);
                e.reason = format!("layer {:?}, feature {}: {}", self.layer, e.line, e.reason);
                Err(e)
            }
        })
    }
}

impl RowReader for GpkgLayerReader {
    fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "GeoPackage layer {:?}: {} feature(s); attributes read by the CSV header rules (--map COLUMN=FIELD overrides).",
            self.layer, self.features
        )];
        // The inner reader's first note is its coordinate note (GeoJSON's RFC 7946).
        notes.extend(self.inner.notes().into_iter().skip(1));
        notes
    }

    fn bytes_read(&self) -> u64 {
        (self.bytes * self.done)
            .checked_div(self.features)
            .unwrap_or(0)
    }
}
