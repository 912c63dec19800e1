//! Incidents one by one, for a GIS program or a partner (`lagesbild export`):
//! CSV (WGS 84 `lon`/`lat` columns), GeoJSON (RFC 7946, through
//! [`super::geojson`]) or a GeoPackage layer (SWEREF 99 TM, through
//! [`super::gpkg`]).
//!
//! The fields are chosen, never implied: [`IncidentField::DEFAULT`] holds no
//! free text and nothing that identifies a case. The description and the
//! other sensitive fields ([`IncidentField::is_sensitive`]) are written only
//! when the caller names them (`--with-descriptions`, `--with-field`), and
//! every export is recorded with its fields in the project's export log.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::{ExportError, Feature, Layer, MadeFrom, OutputKind, io_err};
use crate::crs::sweref_from_wgs84;
use crate::model::{Incident, time};

/// One column of an incident export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IncidentField {
    Uid,
    OccurredAt,
    Category,
    Source,
    PrecisionM,
    Place,
    /// The free-text description. Sensitive.
    Description,
    /// The original category text (e.g. a police type). Sensitive: free text.
    CategoryText,
    /// The original source text. Sensitive: free text.
    SourceText,
    /// The case number in the source system. Sensitive: it identifies a case.
    ExternalId,
    /// The file the incident came from. Sensitive: names often hold a person or a case.
    ImportFile,
}

impl IncidentField {
    /// Every field, in column order.
    pub const ALL: [IncidentField; 11] = [
        IncidentField::Uid,
        IncidentField::OccurredAt,
        IncidentField::Category,
        IncidentField::Source,
        IncidentField::PrecisionM,
        IncidentField::Place,
        IncidentField::Description,
        IncidentField::CategoryText,
        IncidentField::SourceText,
        IncidentField::ExternalId,
        IncidentField::ImportFile,
    ];

    /// The fields written when none is asked for: no free text, no case ids.
    pub const DEFAULT: [IncidentField; 6] = [
        IncidentField::Uid,
        IncidentField::OccurredAt,
        IncidentField::Category,
        IncidentField::Source,
        IncidentField::PrecisionM,
        IncidentField::Place,
    ];

    /// The column / property name.
    pub fn key(self) -> &'static str {
        match self {
            IncidentField::Uid => "uid",
            IncidentField::OccurredAt => "occurred_at",
            IncidentField::Category => "category",
            IncidentField::Source => "source",
            IncidentField::PrecisionM => "precision_m",
            IncidentField::Place => "place",
            IncidentField::Description => "description",
            IncidentField::CategoryText => "category_text",
            IncidentField::SourceText => "source_text",
            IncidentField::ExternalId => "external_id",
            IncidentField::ImportFile => "import_file",
        }
    }

    /// Free text or a case identifier: only exported when named.
    pub fn is_sensitive(self) -> bool {
        !IncidentField::DEFAULT.contains(&self)
    }

    /// By its [`key`](Self::key); the error lists the names.
    pub fn parse(text: &str) -> Result<IncidentField, String> {
        let t = text.trim().to_ascii_lowercase();
        IncidentField::ALL
            .into_iter()
            .find(|f| f.key() == t)
            .ok_or_else(|| {
                let names: Vec<&str> = IncidentField::ALL.iter().map(|f| f.key()).collect();
                format!("unknown field {text:?}; fields: {}", names.join(", "))
            })
    }

    fn value(self, incident: &Incident) -> Value {
        let text = |s: &Option<String>| s.as_ref().map_or(Value::Null, |s| json!(s));
        match self {
            IncidentField::Uid => json!(incident.uid),
            IncidentField::OccurredAt => json!(time::local(incident.occurred_at).to_rfc3339()),
            IncidentField::Category => json!(incident.category.key()),
            IncidentField::Source => json!(incident.source.key()),
            IncidentField::PrecisionM => json!(incident.precision_m),
            IncidentField::Place => text(&incident.place),
            IncidentField::Description => text(&incident.description),
            IncidentField::CategoryText => text(&incident.category_text),
            IncidentField::SourceText => text(&incident.source_text),
            IncidentField::ExternalId => text(&incident.external_id),
            IncidentField::ImportFile => text(&incident.import_file),
        }
    }
}

/// The default fields plus `extra` (sensitive ones the user named), in
/// column order, each once.
pub fn fields_with(extra: &[IncidentField]) -> Vec<IncidentField> {
    IncidentField::ALL
        .into_iter()
        .filter(|f| IncidentField::DEFAULT.contains(f) || extra.contains(f))
        .collect()
}

/// The incidents as a layer of points (SWEREF 99 TM) with only `fields`.
pub fn layer(incidents: &[Incident], fields: &[IncidentField], made_from: MadeFrom) -> Layer {
    let features = incidents
        .iter()
        .map(|i| {
            let p = sweref_from_wgs84(i.position);
            let properties: Map<String, Value> = fields
                .iter()
                .map(|f| (f.key().to_owned(), f.value(i)))
                .collect();
            Feature {
                geometry: geo::Geometry::Point(geo::Point::new(p.easting, p.northing)),
                properties,
            }
        })
        .collect();
    Layer {
        name: "incidents".to_owned(),
        title: "Händelser".to_owned(),
        features,
        made_from,
    }
}

/// Writes the incidents with only `fields` to `path`, the format from its
/// extension (.csv, .geojson/.json, .gpkg; a GeoPackage gets the table
/// `layer_name`). Returns how many were written.
pub fn write(
    incidents: &[Incident],
    fields: &[IncidentField],
    made_from: MadeFrom,
    path: &Path,
    layer_name: &str,
) -> Result<usize, ExportError> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        write_csv(incidents, fields, path)?;
        return Ok(incidents.len());
    }
    let mut layer = layer(incidents, fields, made_from);
    layer.name = layer_name.to_owned();
    match OutputKind::from_path(path) {
        Some(OutputKind::GeoJson) => super::geojson::write(&layer, path)?,
        Some(OutputKind::GeoPackage) => super::gpkg::write_layer(&layer, path)?,
        _ => {
            return Err(ExportError::Invalid {
                path: path.to_owned(),
                reason: "incidents are exported as .csv, .geojson or .gpkg".to_owned(),
            });
        }
    }
    Ok(incidents.len())
}

fn write_csv(
    incidents: &[Incident],
    fields: &[IncidentField],
    path: &Path,
) -> Result<(), ExportError> {
    let invalid = |e: csv::Error| ExportError::Invalid {
        path: path.to_owned(),
        reason: format!("CSV could not be written: {e}"),
    };
    let mut w = csv::Writer::from_writer(Vec::with_capacity(incidents.len() * 120));
    let mut header = vec!["lon", "lat"];
    header.extend(fields.iter().map(|f| f.key()));
    w.write_record(&header).map_err(invalid)?;
    for i in incidents {
        let mut row = vec![
            format!("{}", super::geojson::round_coord(i.position.lon)),
            format!("{}", super::geojson::round_coord(i.position.lat)),
        ];
        for f in fields {
            row.push(match f.value(i) {
                Value::Null => String::new(),
                Value::String(s) => s,
                other => other.to_string(),
            });
        }
        w.write_record(&row).map_err(invalid)?;
    }
    let bytes = w.into_inner().map_err(|e| ExportError::Io {
        path: path.to_owned(),
        source: e.into_error(),
    })?;
    super::geojson::write_atomically(path, &bytes).map_err(|e| match e {
        ExportError::Io { source, .. } => io_err(path)(source),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, LonLat, Source};

    fn incident() -> Incident {
        let mut i = Incident::new(
            chrono::Utc::now(),
            Category::Vald,
            Source::Polis,
            LonLat::new(14.58, 56.05),
            10.0,
        );
        i.description = Some("HEMLIG-TEXT".into());
        i.external_id = Some("K-123".into());
        i.place = Some("Stortorget".into());
        i
    }

    #[test]
    fn defaults_hold_no_sensitive_field() {
        assert!(IncidentField::DEFAULT.iter().all(|f| !f.is_sensitive()));
        assert!(IncidentField::Description.is_sensitive());
        assert!(IncidentField::ExternalId.is_sensitive());
        assert_eq!(fields_with(&[]), IncidentField::DEFAULT.to_vec());
        let with = fields_with(&[IncidentField::Description]);
        assert_eq!(with.len(), 7);
        assert!(with.contains(&IncidentField::Description));
    }

    #[test]
    fn parse_names_fields() {
        assert_eq!(
            IncidentField::parse("Description"),
            Ok(IncidentField::Description)
        );
        assert!(
            IncidentField::parse("notes")
                .unwrap_err()
                .contains("external_id")
        );
    }

    #[test]
    fn csv_leaves_out_what_is_not_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.csv");
        let made = MadeFrom::new("t", false, &Default::default(), &[], 1, 0, json!({}));
        write(
            &[incident()],
            &fields_with(&[]),
            made.clone(),
            &path,
            "incidents",
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("lon,lat,uid,occurred_at,category,source,precision_m,place\n"));
        assert!(text.contains("Stortorget"));
        assert!(!text.contains("HEMLIG") && !text.contains("K-123"));
        let with = fields_with(&[IncidentField::Description]);
        write(&[incident()], &with, made, &path, "incidents").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("HEMLIG-TEXT"));
        assert!(!text.contains("K-123"));
    }
}
