//! The hosts' delivered presence: GPX 1.1 tracks and check-in CSV files.
//!
//! **GPX** (read with `roxmltree`): every `trkpt` of every `trk`/`trkseg`,
//! with its `lat`/`lon` attributes (WGS 84) and its `<time>` (ISO 8601, as
//! phones write it, e.g. `2025-11-28T19:02:10Z`). A fix without a time cannot
//! measure presence and is an error naming the file and line. GPX 1.0
//! (same element names) is read the same way. One file is one host's shift;
//! all its segments make one track.
//!
//! **Check-ins** (CSV, comma or semicolon): a header with the columns
//! `place`, `host`, `in`, `out` (Swedish `plats`, `värd`, `in`, `ut` work
//! too), times as local Swedish time `YYYY-MM-DD HH:MM` (or with seconds, or
//! RFC 3339 with an offset). Each row is one stay at a place.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::ImportError;
use crate::model::track::{CheckIn, Fix, Track, check_host_code};
use crate::model::{LonLat, fold_name, time};

fn file_err(path: &Path, line: Option<u64>, reason: impl Into<String>) -> ImportError {
    ImportError::File {
        path: path.to_owned(),
        line,
        reason: reason.into(),
    }
}

/// Reads one GPX file as `host`'s track.
pub fn read_gpx(path: &Path, host: &str) -> Result<Track, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_gpx(path, &bytes, host)
}

/// Parses GPX text (see the module docs); `path` names it in errors.
pub fn parse_gpx(path: &Path, bytes: &[u8], host: &str) -> Result<Track, ImportError> {
    check_host_code(host).map_err(|r| file_err(path, None, r))?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| file_err(path, None, "not UTF-8 text: a GPX file is XML in UTF-8"))?;
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        let pos = e.pos();
        file_err(
            path,
            Some(u64::from(pos.row)),
            format!("not valid XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "gpx" {
        return Err(file_err(
            path,
            Some(1),
            format!(
                "not a GPX file: the root element is <{}>",
                root.tag_name().name()
            ),
        ));
    }
    let mut fixes = Vec::new();
    for pt in root
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "trkpt")
    {
        let line = u64::from(doc.text_pos_at(pt.range().start).row);
        let coord = |name: &str| -> Result<f64, ImportError> {
            let v = pt
                .attribute(name)
                .ok_or_else(|| file_err(path, Some(line), format!("trkpt without {name}")))?;
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| file_err(path, Some(line), format!("{name} {v:?} is not a number")))
        };
        let (lat, lon) = (coord("lat")?, coord("lon")?);
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(file_err(
                path,
                Some(line),
                format!("lat {lat}, lon {lon} is not a WGS 84 position"),
            ));
        }
        let time_text = pt
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == "time")
            .and_then(|c| c.text())
            .ok_or_else(|| {
                file_err(
                    path,
                    Some(line),
                    "trkpt without <time>: presence needs the time of each fix",
                )
            })?;
        let at = DateTime::parse_from_rfc3339(time_text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                file_err(
                    path,
                    Some(line),
                    format!(
                        "time {:?} is not ISO 8601 (e.g. 2025-11-28T19:02:10Z)",
                        time_text.trim()
                    ),
                )
            })?;
        fixes.push(Fix {
            at,
            position: LonLat::new(lon, lat),
        });
    }
    if fixes.is_empty() {
        return Err(file_err(path, None, "no track points (trkpt) in the file"));
    }
    let mut track = Track {
        host: host.to_owned(),
        source: path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        fixes,
    };
    track.sort();
    Ok(track)
}

/// Parses a check-in time: local `YYYY-MM-DD HH:MM[:SS]` (or with `T`), or
/// RFC 3339 with an offset.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Some(x.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .and_then(|n| time::utc_from_local(n).ok())
}

/// Reads a check-in CSV (see the module docs).
pub fn read_checkins(path: &Path) -> Result<Vec<CheckIn>, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_checkins(path, &bytes)
}

/// A CSV reader over UTF-8 `bytes` (a BOM dropped) whose delimiter is the
/// header line's commonest of `;` and `,` (spreadsheets in Swedish write `;`).
pub(crate) fn small_csv_reader<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<csv::Reader<&'a [u8]>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| file_err(path, None, "not UTF-8 text (export the file as UTF-8)"))?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes()))
}

/// Parses check-in CSV text; `path` names it in errors.
pub fn parse_checkins(path: &Path, bytes: &[u8]) -> Result<Vec<CheckIn>, ImportError> {
    let mut reader = small_csv_reader(path, bytes)?;
    let headers = reader
        .headers()
        .map_err(|e| file_err(path, Some(1), e.to_string()))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&fold_name(h).as_str()))
    };
    let (Some(place), Some(host), Some(cin), Some(cout)) = (
        col(&["place", "plats"]),
        col(&["host", "vard", "host code", "vardkod"]),
        col(&["in", "checked in", "incheckning"]),
        col(&["out", "ut", "checked out", "utcheckning"]),
    ) else {
        return Err(file_err(
            path,
            Some(1),
            "a check-in file needs the columns place, host, in, out (or plats, värd, in, ut)",
        ));
    };
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| file_err(path, Some(line), e.to_string()))?;
        if row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let get = |c: usize| row.get(c).unwrap_or("").trim();
        let host_code = get(host);
        check_host_code(host_code).map_err(|r| file_err(path, Some(line), r))?;
        let time_of = |c: usize, what: &str| {
            parse_time(get(c)).ok_or_else(|| {
                file_err(
                    path,
                    Some(line),
                    format!(
                        "{what} {:?} is not a time (YYYY-MM-DD HH:MM, local)",
                        get(c)
                    ),
                )
            })
        };
        let checked_in = time_of(cin, "in")?;
        let checked_out = time_of(cout, "out")?;
        if checked_out < checked_in {
            return Err(file_err(path, Some(line), "out is before in"));
        }
        if get(place).is_empty() {
            return Err(file_err(path, Some(line), "no place"));
        }
        out.push(CheckIn {
            place: get(place).to_owned(),
            host: host_code.to_owned(),
            checked_in,
            checked_out,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Pass</name><trkseg>
    <trkpt lat="56.0500" lon="14.5800"><ele>5</ele><time>2025-11-28T19:02:00Z</time></trkpt>
    <trkpt lat="56.0501" lon="14.5801"><time>2025-11-28T19:01:00Z</time></trkpt>
  </trkseg><trkseg>
    <trkpt lat="56.0502" lon="14.5802"><time>2025-11-28T20:00:00+01:00</time></trkpt>
  </trkseg></trk>
</gpx>"#;

    #[test]
    fn gpx_tracks_are_read_in_time_order() {
        let t = parse_gpx(Path::new("TV03_pass.gpx"), GPX.as_bytes(), "TV03").unwrap();
        assert_eq!(t.fixes.len(), 3);
        assert_eq!(t.fixes[0].at.to_rfc3339(), "2025-11-28T19:00:00+00:00");
        assert_eq!(t.fixes[1].position, LonLat::new(14.5801, 56.0501));
        assert_eq!(t.source, "TV03_pass.gpx");
    }

    #[test]
    fn bad_gpx_names_file_and_line() {
        let no_time = GPX.replace("<time>2025-11-28T19:01:00Z</time>", "");
        let e = parse_gpx(Path::new("a.gpx"), no_time.as_bytes(), "TV03").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.gpx:5: trkpt without <time>: presence needs the time of each fix"
        );
        let e = parse_gpx(Path::new("a.gpx"), b"<gpx><trk>", "TV03").unwrap_err();
        assert!(e.to_string().starts_with("a.gpx:1: not valid XML"), "{e}");
        let e = parse_gpx(Path::new("a.gpx"), GPX.as_bytes(), "Anna").unwrap_err();
        assert!(e.to_string().contains("never a name"), "{e}");
        let e = parse_gpx(Path::new("a.gpx"), b"<gpx version=\"1.1\"/>", "TV03").unwrap_err();
        assert!(e.to_string().contains("no track points"), "{e}");
    }

    #[test]
    fn checkins_are_read_in_local_time() {
        let text = "plats;värd;in;ut\nTorget;TV01;2025-11-28 21:00;2025-11-28 21:25\n";
        let c = parse_checkins(Path::new("c.csv"), text.as_bytes()).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].checked_in.to_rfc3339(), "2025-11-28T20:00:00+00:00");
        assert_eq!((c[0].checked_out - c[0].checked_in).num_minutes(), 25);
        let bad = "place,host,in,out\nTorget,TV01,2025-11-28 21:00,igår\n";
        let e = parse_checkins(Path::new("c.csv"), bad.as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("c.csv:2: out \"igår\""), "{e}");
        let e = parse_checkins(Path::new("c.csv"), b"a,b\n1,2\n").unwrap_err();
        assert!(e.to_string().contains("needs the columns"), "{e}");
    }
}
