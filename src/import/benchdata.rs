//! A seeded generator for the import benchmarks' files: incidents around
//! Sölvesborg with WGS84 lon/lat, the same point in SWEREF 99 TM as x/y, and
//! ISO 8601 times with the Swedish offset, as CSV or as a GeoJSON
//! FeatureCollection.
//!
//! Used by the import benchmark example and by tests; the same `rows` and
//! `seed` always give the same file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::crs::sweref_from_wgs84;
use crate::model::{Category, LonLat, Source, time};

/// The area the points fall in: about 14 km east–west and 20 km north–south
/// around Sölvesborg (56.05 N, 14.58 E), within the municipality.
pub const AREA: (LonLat, LonLat) = (
    LonLat {
        lon: 14.47,
        lat: 55.97,
    },
    LonLat {
        lon: 14.69,
        lat: 56.15,
    },
);

/// One generated incident.
struct Row {
    lon_lat: LonLat,
    /// Local time with offset, e.g. `2025-03-14T22:40:00+01:00`.
    time: String,
    category: &'static str,
    source: &'static str,
}

/// `rows` seeded incidents.
fn rows(rows: usize, seed: u64) -> impl Iterator<Item = Row> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start_secs = 1_704_067_200i64; // 2024-01-01T00:00:00Z
    let span_secs = 2 * 365 * 86_400i64;
    let (min, max) = AREA;
    (0..rows).map(move |_| {
        let lon_lat = LonLat::new(
            rng.random_range(min.lon..max.lon),
            rng.random_range(min.lat..max.lat),
        );
        let secs = start_secs + rng.random_range(0..span_secs);
        let utc = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
        let time = time::local(utc).format("%Y-%m-%dT%H:%M:%S%:z").to_string();
        let category = Category::ALL[rng.random_range(0..Category::ALL.len())].key();
        let source = Source::ALL[rng.random_range(0..Source::ALL.len())].key();
        Row {
            lon_lat,
            time,
            category,
            source,
        }
    })
}

/// Writes `rows` incidents as CSV with the header
/// `id,lon,lat,x,y,occurred_at,category,source` (x = easting, y = northing in
/// SWEREF 99 TM; times like `2025-03-14T22:40:00+01:00`, local Swedish time
/// with its offset, spread over 2024–2025).
pub fn write_benchmark_csv(path: &Path, rows: usize, seed: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "id,lon,lat,x,y,occurred_at,category,source")?;
    for (i, r) in self::rows(rows, seed).enumerate() {
        let s = sweref_from_wgs84(r.lon_lat);
        writeln!(
            out,
            "B{i},{:.6},{:.6},{:.2},{:.2},{},{},{}",
            r.lon_lat.lon, r.lon_lat.lat, s.easting, s.northing, r.time, r.category, r.source
        )?;
    }
    out.flush()
}

/// Writes `rows` incidents as CSV with projected coordinates only, as
/// municipal systems export them: header `id;X;Y;tidpunkt;kategori;källa`,
/// semicolons, X = northing and Y = easting in SWEREF 99 TM (the Swedish
/// convention), times like `2025-03-14 22:40` (local). With no lon/lat
/// columns the importer must detect the system and axis order from rows
/// sampled through the whole file.
pub fn write_benchmark_projected_csv(path: &Path, rows: usize, seed: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "id;X;Y;tidpunkt;kategori;källa")?;
    for (i, r) in self::rows(rows, seed).enumerate() {
        let s = sweref_from_wgs84(r.lon_lat);
        // "2025-03-14T22:40:00+01:00" → "2025-03-14 22:40".
        let local = r.time.get(..16).unwrap_or(&r.time).replacen('T', " ", 1);
        writeln!(
            out,
            "B{i};{:.2};{:.2};{local};{};{}",
            s.northing, s.easting, r.category, r.source
        )?;
    }
    out.flush()
}

/// Writes `rows` incidents as a GeoJSON FeatureCollection, one feature a
/// line, each a Point with properties `id`, `occurred_at`, `category`,
/// `source`, `place` and `precision` (about 250 bytes a feature, so 400,000
/// rows make about 100 MB).
pub fn write_benchmark_geojson(path: &Path, rows: usize, seed: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "{{\"type\": \"FeatureCollection\", \"features\": [")?;
    for (i, r) in self::rows(rows, seed).enumerate() {
        let sep = if i + 1 < rows { "," } else { "" };
        writeln!(
            out,
            "{{\"type\": \"Feature\", \"id\": {i}, \"properties\": {{\"id\": \"B{i}\", \"occurred_at\": \"{}\", \"category\": \"{}\", \"source\": \"{}\", \"place\": \"Plats {}\", \"precision\": 25}}, \"geometry\": {{\"type\": \"Point\", \"coordinates\": [{:.6}, {:.6}]}}}}{sep}",
            r.time,
            r.category,
            r.source,
            i % 500,
            r.lon_lat.lon,
            r.lon_lat.lat
        )?;
    }
    writeln!(out, "]}}")?;
    out.flush()
}
