//! The hosts' shift reports as a form tool exports them (CSV): each row
//! one observation, stored as an incident with source trygghetsvärd.
//!
//! # Columns
//! Names are matched case-insensitively, with Swedish letters folded, and a
//! group prefix (`grupp/` as KoBoToolbox writes it, `grupp-` as ODK does) is
//! ignored.
//!
//! | what | column names |
//! |------|--------------|
//! | place (required) | a geopoint split as **KoBoToolbox** writes it: `_<field>_latitude`, `_<field>_longitude` (also `_altitude`, `_precision`, not used); as **ODK** (Central, Briefcase) writes it: `<field>-Latitude`, `<field>-Longitude` (also `-Altitude`, `-Accuracy`); or plain `latitude`/`longitude` (`lat`/`lon`) |
//! | time | `time`, `tid`, `observed_at`, `datetime` (the form's own field; local Swedish time unless it carries an offset); else the tool's submission time: KoBoToolbox `_submission_time` (UTC), ODK `SubmissionDate` (ISO 8601) |
//! | category | `category`, `kategori` (a Lägesbild key or name; anything else is `ovrigt` with the text kept) |
//! | observation | `observation`, `iakttagelse`, `description`, `beskrivning` (free text, stored as the description; never shown in errors) |
//! | place name | `place`, `plats` |
//! | id | KoBoToolbox `_uuid` (else `_id`), ODK `KEY` (else `meta-instanceID`): the external id, so a second import of the same export adds nothing |
//!
//! The geopoint's precision/accuracy in metres, when given, becomes the
//! incident's precision (at least 10 m).

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{ImportError, RowError};
use crate::model::{Category, Incident, LonLat, Precision, Source, fold_name, time};

/// What a form export gave: the observations and the rows that could not
/// be read (line and reason; the row's text is never quoted).
#[derive(Debug, Default)]
pub struct FormReports {
    pub incidents: Vec<(u64, Incident)>,
    pub rejected: Vec<RowError>,
}

/// A column name without its group prefix, folded.
fn base_name(header: &str) -> String {
    let last = header.rsplit('/').next().unwrap_or(header);
    last.trim().to_owned()
}

struct Columns {
    lat: usize,
    lon: usize,
    precision: Option<usize>,
    time: Option<usize>,
    submitted: Option<usize>,
    category: Option<usize>,
    observation: Option<usize>,
    place: Option<usize>,
    id: Option<usize>,
}

fn find_columns(headers: &[String]) -> Option<Columns> {
    let names: Vec<String> = headers.iter().map(|h| base_name(h)).collect();
    // ODK joins groups with `-`: compare the last part too.
    let folded: Vec<String> = names
        .iter()
        .map(|n| fold_name(n.rsplit('-').next().unwrap_or(n)))
        .collect();
    let exact = |want: &[&str]| folded.iter().position(|f| want.contains(&f.as_str()));
    // KoBoToolbox: _<field>_latitude; ODK: <field>-Latitude.
    let suffixed = |suffix_kobo: &str, suffix_odk: &str| {
        names.iter().position(|n| {
            let l = n.to_ascii_lowercase();
            (l.starts_with('_') && l.ends_with(suffix_kobo)) || l.ends_with(suffix_odk)
        })
    };
    let lat = suffixed("_latitude", "-latitude").or_else(|| exact(&["latitude", "lat"]))?;
    let lon =
        suffixed("_longitude", "-longitude").or_else(|| exact(&["longitude", "lon", "lng"]))?;
    Some(Columns {
        lat,
        lon,
        precision: suffixed("_precision", "-accuracy"),
        time: exact(&["time", "tid", "observed at", "datetime", "tidpunkt"]),
        submitted: names
            .iter()
            .position(|n| n == "_submission_time" || n == "SubmissionDate"),
        category: exact(&["category", "kategori"]),
        observation: exact(&["observation", "iakttagelse", "description", "beskrivning"]),
        place: exact(&["place", "plats"]),
        id: names
            .iter()
            .position(|n| n == "_uuid" || n == "KEY")
            .or_else(|| {
                names
                    .iter()
                    .position(|n| n == "_id" || n == "meta-instanceID")
            }),
    })
}

/// A form time: RFC 3339 (with offset or Z), or a local time without one.
/// `utc_default` reads a time without offset as UTC (KoBoToolbox's
/// `_submission_time`).
fn parse_form_time(text: &str, utc_default: bool) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Some(x.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())?;
    if utc_default {
        Some(naive.and_utc())
    } else {
        time::utc_from_local(naive).ok()
    }
}

/// Reads a form tool's CSV export of shift reports.
pub fn read_form_reports(path: &Path) -> Result<FormReports, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_form_reports(path, &bytes)
}

/// Parses a form export (see the module docs); `path` names it in errors.
pub fn parse_form_reports(path: &Path, bytes: &[u8]) -> Result<FormReports, ImportError> {
    let file_err = |line: Option<u64>, reason: String| ImportError::File {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut reader = super::presence::small_csv_reader(path, bytes)?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| file_err(Some(1), e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let Some(cols) = find_columns(&headers) else {
        return Err(file_err(
            Some(1),
            "no place columns: expected a geopoint as KoBoToolbox (_<field>_latitude, \
             _<field>_longitude) or ODK (<field>-Latitude, <field>-Longitude) export it, \
             or latitude/longitude"
                .into(),
        ));
    };
    if cols.time.is_none() && cols.submitted.is_none() {
        return Err(file_err(
            Some(1),
            "no time column: expected time/tid, _submission_time or SubmissionDate".into(),
        ));
    }
    let file_name = path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let mut out = FormReports::default();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let reject = |reason: String| RowError {
            path: path.to_owned(),
            line,
            reason,
            raw: None,
        };
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push(reject(e.to_string()));
                continue;
            }
        };
        if row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let get = |c: usize| row.get(c).unwrap_or("").trim();
        let num = |c: usize| get(c).replace(',', ".").parse::<f64>().ok();
        let (Some(lat), Some(lon)) = (num(cols.lat), num(cols.lon)) else {
            out.rejected
                .push(reject("no position (the geopoint is empty)".into()));
            continue;
        };
        let position = LonLat::new(lon, lat);
        if !position.is_finite()
            || !(-90.0..=90.0).contains(&lat)
            || !(-180.0..=180.0).contains(&lon)
        {
            out.rejected.push(reject(format!(
                "lat {lat}, lon {lon} is not a WGS 84 position"
            )));
            continue;
        }
        let own = cols.time.map(get).filter(|t| !t.is_empty());
        let at = match own {
            Some(t) => parse_form_time(t, false),
            None => cols
                .submitted
                .map(get)
                .and_then(|t| parse_form_time(t, true)),
        };
        let Some(at) = at else {
            out.rejected.push(reject(
                "no readable time (expected ISO 8601, e.g. 2025-11-28T21:40)".into(),
            ));
            continue;
        };
        let category_text = cols.category.map(get).filter(|t| !t.is_empty());
        let category = category_text
            .and_then(|t| Category::from_key(t).or_else(|| Category::parse_loose(t)))
            .unwrap_or(Category::Ovrigt);
        let precision_m = cols
            .precision
            .and_then(num)
            .filter(|p| p.is_finite() && *p > 0.0)
            .map_or(Precision::EXACT_M, |p| p.max(Precision::EXACT_M));
        let mut incident =
            Incident::new(at, category, Source::Trygghetsvard, position, precision_m);
        incident.category_text = category_text.map(str::to_owned);
        incident.source_text = Some("trygghetsvärd (formulär)".to_owned());
        incident.place = cols
            .place
            .map(get)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        incident.description = cols
            .observation
            .map(get)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        incident.external_id = cols
            .id
            .map(get)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        incident.import_file = Some(file_name.clone());
        out.incidents.push((line, incident));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kobo_exports_are_read_with_their_geopoint_columns() {
        let csv = "start;end;tid;kategori;iakttagelse;plats;_plats_latitude;_plats_longitude;_plats_altitude;_plats_precision;_id;_uuid;_submission_time\n\
                   x;y;2025-11-28T21:40:00.000+01:00;skadegorelse;Krossad ruta;Torget;56.05;14.58;3;25;17;ab-1;2025-11-28T20:45:00\n\
                   x;y;;narkotika;;;56.06;14.59;;;18;ab-2;2025-11-28T21:10:00\n\
                   x;y;;;tom;;;;;;19;ab-3;2025-11-28T21:10:00\n";
        let r = parse_form_reports(Path::new("kobo.csv"), csv.as_bytes()).unwrap();
        assert_eq!(r.incidents.len(), 2);
        let (line, a) = &r.incidents[0];
        assert_eq!(*line, 2);
        assert_eq!(a.occurred_at.to_rfc3339(), "2025-11-28T20:40:00+00:00");
        assert_eq!(a.category, Category::Skadegorelse);
        assert_eq!(a.source, Source::Trygghetsvard);
        assert_eq!(a.position, LonLat::new(14.58, 56.05));
        assert_eq!(a.precision_m, 25.0);
        assert_eq!(a.external_id.as_deref(), Some("ab-1"));
        assert_eq!(a.place.as_deref(), Some("Torget"));
        // Without its own time: the submission time, UTC.
        assert_eq!(
            r.incidents[1].1.occurred_at.to_rfc3339(),
            "2025-11-28T21:10:00+00:00"
        );
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 4);
        assert!(!r.rejected[0].reason.contains("tom"));
    }

    #[test]
    fn odk_exports_are_read_with_their_geopoint_columns() {
        let csv = "SubmissionDate,grupp-tid,grupp-kategori,grupp-plats-Latitude,grupp-plats-Longitude,grupp-plats-Altitude,grupp-plats-Accuracy,meta-instanceID,KEY\n\
                   2025-11-28T21:00:00.000Z,2025-11-28T21:40:00,Våld,56.05,14.58,0,5,uuid:1,uuid:1\n";
        let r = parse_form_reports(Path::new("odk.csv"), csv.as_bytes()).unwrap();
        let a = &r.incidents[0].1;
        // The form's own time is local (21:40 CET = 20:40 UTC).
        assert_eq!(a.occurred_at.to_rfc3339(), "2025-11-28T20:40:00+00:00");
        assert_eq!(a.category, Category::Vald);
        assert_eq!(a.precision_m, 10.0);
        assert_eq!(a.external_id.as_deref(), Some("uuid:1"));
        let e = parse_form_reports(Path::new("x.csv"), b"a,b\n1,2\n").unwrap_err();
        assert!(e.to_string().contains("no place columns"), "{e}");
    }
}
