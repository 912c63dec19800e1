//! GeoPackage geometry blobs (GeoPackage 1.3, clause 2.1.3) for every
//! geometry type, from and to `geo::Geometry<f64>`.
//!
//! A blob is the 8-byte header (`GP`, version 0, flags, srs id), an optional
//! envelope, then WKB. The WKB of lines, polygons, their Multi forms and
//! collections is read and written by the `wkb` crate (georust, on
//! `geo-traits`, so no copy into an intermediate form); we keep only the
//! header here. Points keep a hand-written fast path ([`point_blob`],
//! [`parse_point`]): the incident table writes and reads a million of them
//! per import and load. We write what GDAL writes: little-endian, no envelope
//! for points, an xy envelope for everything else. Reading accepts any
//! envelope, either byte order and the Z/M variants (only x and y are kept).

use geo::{BoundingRect as _, CoordsIter as _, Geometry};
use geo_traits::to_geo::ToGeoGeometry as _;

/// Length of a point blob as [`point_blob`] writes it.
pub const POINT_BLOB_LEN: usize = 8 + 21;

/// Why a geometry blob could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("geometry blob too short ({0} bytes)")]
    TooShort(usize),
    #[error("geometry blob does not start with the GeoPackage magic 'GP'")]
    Magic,
    #[error("geometry blob has unknown envelope indicator {0}")]
    Envelope(u8),
    #[error("geometry is empty")]
    Empty,
    #[error("geometry blob uses extended (non-standard) GeoPackage binary")]
    Extended,
    #[error("geometry is WKB type {0}, expected a Point")]
    NotAPoint(u32),
    #[error("geometry has a bad WKB byte order marker {0}")]
    ByteOrder(u8),
    #[error("geometry blob holds bad WKB: {0}")]
    Wkb(String),
    #[error("geometry has a coordinate that is not a finite number (NaN or infinity)")]
    NotFinite,
}

/// A GeoPackage blob for the point (`x`, `y`) in `srs_id`.
pub fn point_blob(srs_id: i32, x: f64, y: f64) -> [u8; POINT_BLOB_LEN] {
    let mut b = [0u8; POINT_BLOB_LEN];
    b[0] = b'G';
    b[1] = b'P';
    b[2] = 0; // version 1 of the format is stored as 0
    b[3] = 0x01; // little-endian, envelope indicator 0, not empty, standard
    b[4..8].copy_from_slice(&srs_id.to_le_bytes());
    b[8] = 0x01; // WKB little-endian
    b[9..13].copy_from_slice(&1u32.to_le_bytes());
    b[13..21].copy_from_slice(&x.to_le_bytes());
    b[21..29].copy_from_slice(&y.to_le_bytes());
    b
}

fn read_u32(bytes: &[u8], little: bool) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&bytes[..4]);
    if little {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

fn read_f64(bytes: &[u8], little: bool) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&bytes[..8]);
    if little {
        f64::from_le_bytes(a)
    } else {
        f64::from_be_bytes(a)
    }
}

/// The 8-byte GeoPackage binary header (and the envelope after it).
struct Header {
    /// The envelope's byte order (the WKB has its own).
    little: bool,
    /// Bytes of envelope after the 8-byte header.
    envelope_len: usize,
    empty: bool,
}

impl Header {
    /// Reads and checks the header; the blob holds at least the envelope.
    fn read(blob: &[u8]) -> Result<Header, BlobError> {
        if blob.len() < 8 {
            return Err(BlobError::TooShort(blob.len()));
        }
        if &blob[0..2] != b"GP" {
            return Err(BlobError::Magic);
        }
        let flags = blob[3];
        if flags & 0b0010_0000 != 0 {
            return Err(BlobError::Extended);
        }
        let envelope_len = match (flags >> 1) & 0b111 {
            0 => 0,
            1 => 32,
            2 | 3 => 48,
            4 => 64,
            other => return Err(BlobError::Envelope(other)),
        };
        if blob.len() < 8 + envelope_len {
            return Err(BlobError::TooShort(blob.len()));
        }
        Ok(Header {
            little: flags & 1 == 1,
            envelope_len,
            empty: flags & 0b0001_0000 != 0,
        })
    }
}

/// The (x, y) of a GeoPackage point blob.
pub fn parse_point(blob: &[u8]) -> Result<(f64, f64), BlobError> {
    let header = Header::read(blob)?;
    if header.empty {
        return Err(BlobError::Empty);
    }
    let wkb = &blob[8 + header.envelope_len..];
    if wkb.len() < 21 {
        return Err(BlobError::TooShort(blob.len()));
    }
    let little = match wkb[0] {
        0 => false,
        1 => true,
        other => return Err(BlobError::ByteOrder(other)),
    };
    let geom_type = read_u32(&wkb[1..], little);
    // 1 = Point; 1001/2001/3001 = Point Z/M/ZM (ISO); EWKB-style high bits too.
    let base = geom_type & 0x0FFF_FFFF;
    if base % 1000 != 1 {
        return Err(BlobError::NotAPoint(geom_type));
    }
    let x = read_f64(&wkb[5..], little);
    let y = read_f64(&wkb[13..], little);
    if x.is_nan() && y.is_nan() {
        return Err(BlobError::Empty);
    }
    Ok((x, y))
}

/// The flags byte's bits (GeoPackage 1.3, clause 2.1.3.1.1).
const FLAG_LITTLE_ENDIAN: u8 = 0b0000_0001;
const FLAG_ENVELOPE_XY: u8 = 0b0000_0010;
const FLAG_EMPTY: u8 = 0b0001_0000;

/// A GeoPackage blob for any geometry in `srs_id`, as GDAL writes it: a
/// point exactly as [`point_blob`] (no envelope), everything else with an xy
/// envelope, and the empty flag (no envelope) for a geometry without
/// coordinates. The WKB after the header is little-endian, written by the
/// `wkb` crate; `Line`, `Rect` and `Triangle` become a LineString and
/// Polygons (the only types a GeoPackage reader knows).
pub fn geometry_blob(srs_id: i32, g: &Geometry<f64>) -> Result<Vec<u8>, BlobError> {
    let tidied;
    let g = if has_empty_rings(g) {
        let mut copy = g.clone();
        drop_empty_rings(&mut copy);
        tidied = copy;
        &tidied
    } else {
        g
    };
    if let Geometry::Point(p) = g {
        let mut b = point_blob(srs_id, p.x(), p.y());
        if p.x().is_nan() && p.y().is_nan() {
            b[3] |= FLAG_EMPTY;
        }
        return Ok(b.to_vec());
    }
    let env = g.bounding_rect();
    let flags = FLAG_LITTLE_ENDIAN
        | if env.is_some() {
            FLAG_ENVELOPE_XY
        } else {
            FLAG_EMPTY
        };
    let mut out = Vec::with_capacity(8 + 32 + wkb::writer::geometry_wkb_size(g));
    out.extend_from_slice(&[b'G', b'P', 0, flags]);
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(r) = env {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    let options = wkb::writer::WriteOptions {
        endianness: wkb::Endianness::LittleEndian,
    };
    wkb::writer::write_geometry(&mut out, g, &options)
        .map_err(|e| BlobError::Wkb(e.to_string()))?;
    Ok(out)
}

/// The geometry of any GeoPackage blob (every OGC simple feature type, either
/// byte order, ISO or EWKB Z/M variants with only x and y kept); `None` for an
/// empty geometry. The WKB is read by the `wkb` crate, which checks every
/// length against the blob.
pub fn parse_geometry(blob: &[u8]) -> Result<Option<Geometry<f64>>, BlobError> {
    let header = Header::read(blob)?;
    if header.empty {
        return Ok(None);
    }
    let bytes = &blob[8 + header.envelope_len..];
    check_wkb(bytes, 0).map_err(BlobError::Wkb)?;
    let wkb = wkb::reader::read_wkb(bytes).map_err(|e| BlobError::Wkb(e.to_string()))?;
    let Some(g) = wkb.try_to_geometry() else {
        return Ok(None);
    };
    // WKB has no empty point; GeoPackage writes one as POINT(NaN NaN).
    if let Geometry::Point(p) = &g
        && p.x().is_nan()
        && p.y().is_nan()
    {
        return Ok(None);
    }
    // Any other NaN or infinity is damage, not a place: a ring whose first
    // and last coordinates are NaN never compares closed, so `geo` would
    // close it again on every read and write (found by the `gpkg_blob` fuzz
    // target), and no measure or envelope of it means anything.
    if g.coords_iter()
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return Err(BlobError::NotFinite);
    }
    let mut g = g;
    drop_empty_rings(&mut g);
    Ok(Some(g))
}

/// Whether a polygon in `g` has a ring without points (see [`drop_empty_rings`]).
fn has_empty_rings(g: &Geometry<f64>) -> bool {
    let polygon = |p: &geo::Polygon<f64>| p.interiors().iter().any(|r| r.0.is_empty());
    match g {
        Geometry::Polygon(p) => polygon(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().any(polygon),
        Geometry::GeometryCollection(gc) => gc.0.iter().any(has_empty_rings),
        _ => false,
    }
}

/// Drops the rings without points from every polygon in `g` (an empty
/// exterior takes its holes with it). They mean nothing, and the `wkb` crate
/// writes a polygon of only empty rings with a ring count of 0 followed by
/// the holes' counts anyway, which reads back as another geometry (found by
/// the `gpkg_blob` fuzz target).
fn drop_empty_rings(g: &mut Geometry<f64>) {
    fn polygon(p: &mut geo::Polygon<f64>) {
        if p.exterior().0.is_empty() {
            *p = geo::Polygon::empty();
        } else if p.interiors().iter().any(|r| r.0.is_empty()) {
            let (exterior, mut holes) = std::mem::replace(p, geo::Polygon::empty()).into_inner();
            holes.retain(|r| !r.0.is_empty());
            *p = geo::Polygon::new(exterior, holes);
        }
    }
    match g {
        Geometry::Polygon(p) => polygon(p),
        Geometry::MultiPolygon(mp) => mp.0.iter_mut().for_each(polygon),
        Geometry::GeometryCollection(gc) => gc.0.iter_mut().for_each(drop_empty_rings),
        _ => {}
    }
}

/// Deepest nesting of geometry collections read ([`check_wkb`]).
const MAX_WKB_DEPTH: usize = 32;

/// Byte order, OGC base type and coordinate dimension of the WKB geometry
/// that starts `b` (ISO Z/M/ZM as +1000/2000/3000, or the EWKB Z and M
/// flags without an SRID).
fn wkb_type(b: &[u8]) -> Result<(bool, u32, usize), String> {
    let short = || "WKB is cut short".to_owned();
    let little = match b.first() {
        Some(0) => false,
        Some(1) => true,
        Some(other) => return Err(format!("bad byte order marker {other}")),
        None => return Err(short()),
    };
    if b.len() < 5 {
        return Err(short());
    }
    let code = read_u32(&b[1..], little);
    if code & 0xE000_0000 != 0 {
        if code & 0x2000_0000 != 0 || code & 0x0FFF_FFFF > 7 {
            return Err(format!("unsupported WKB type {code:#x}"));
        }
        let z = code & 0x8000_0000 != 0;
        let m = code & 0x4000_0000 != 0;
        Ok((
            little,
            code & 0x0FFF_FFFF,
            2 + usize::from(z) + usize::from(m),
        ))
    } else {
        let dims = match code / 1000 {
            0 => 2,
            1 | 2 => 3,
            3 => 4,
            _ => return Err(format!("unsupported WKB type {code}")),
        };
        Ok((little, code % 1000, dims))
    }
}

/// Walks WKB before the `wkb` crate reads it: every geometry's byte order,
/// a type code we know (OGC types 1–7; ISO Z/M/ZM as +1000/2000/3000, or the
/// EWKB Z and M flags, no SRID), and every count against the bytes left, with
/// collections nested at most [`MAX_WKB_DEPTH`] deep. The crate's own reader
/// panics on some short buffers (wkb 0.9.3, found by the `gpkg_blob` fuzz
/// target: a Point Z cut short inside a collection), so nothing it is given
/// may be short. Returns the bytes the geometry takes.
fn check_wkb(b: &[u8], depth: usize) -> Result<usize, String> {
    if depth > MAX_WKB_DEPTH {
        return Err(format!("collections nested deeper than {MAX_WKB_DEPTH}"));
    }
    let short = || "WKB is cut short".to_owned();
    let (little, base, dims) = wkb_type(b)?;
    let coord = 8 * dims;
    let count_at = |at: usize| -> Result<usize, String> {
        b.get(at..at + 4)
            .map(|c| read_u32(c, little) as usize)
            .ok_or_else(short)
    };
    let points = |at: usize| -> Result<usize, String> {
        let n = count_at(at)?;
        let end = n
            .checked_mul(coord)
            .and_then(|len| len.checked_add(at + 4))
            .ok_or_else(short)?;
        if end > b.len() {
            return Err(short());
        }
        Ok(end)
    };
    let end = match base {
        1 => {
            if b.len() < 5 + coord {
                return Err(short());
            }
            5 + coord
        }
        2 => points(5)?,
        3 => {
            let rings = count_at(5)?;
            let mut at = 9;
            for _ in 0..rings {
                at = points(at)?;
            }
            at
        }
        4..=7 => {
            let parts = count_at(5)?;
            let mut at = 9;
            for _ in 0..parts {
                let rest = b.get(at..).ok_or_else(short)?;
                let part = check_wkb(rest, depth + 1)?;
                let (_, part_base, part_dims) = wkb_type(rest)?;
                // A Multi* holds only its own single type (collections anything).
                if base != 7 && part_base != base - 3 {
                    return Err(format!(
                        "a part of WKB type {part_base} in a Multi type {base}"
                    ));
                }
                // Parts have their parent's dimension (the `wkb` crate reads
                // them with it and panics when they are shorter).
                if part_dims != dims {
                    return Err(format!(
                        "a part with {part_dims} coordinates per point in a geometry with {dims}"
                    ));
                }
                at += part;
            }
            at
        }
        other => return Err(format!("unsupported WKB geometry type {other}")),
    };
    Ok(end)
}

/// GeoPackage geometry type name of `g` (as in `gpkg_geometry_columns`),
/// after the conversions [`geometry_blob`] makes.
pub fn geometry_type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "POINT",
        Geometry::Line(_) | Geometry::LineString(_) => "LINESTRING",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "POLYGON",
        Geometry::MultiPoint(_) => "MULTIPOINT",
        Geometry::MultiLineString(_) => "MULTILINESTRING",
        Geometry::MultiPolygon(_) => "MULTIPOLYGON",
        Geometry::GeometryCollection(_) => "GEOMETRYCOLLECTION",
    }
}

/// Envelope of any GeoPackage geometry blob as (minx, maxx, miny, maxy);
/// `None` for an empty geometry. Uses the header's envelope when it has one;
/// points take a fast path; anything else is read with [`parse_geometry`].
pub fn envelope(blob: &[u8]) -> Result<Option<[f64; 4]>, BlobError> {
    let header = Header::read(blob)?;
    if header.empty {
        return Ok(None);
    }
    if header.envelope_len > 0 {
        let v = |i: usize| read_f64(&blob[8 + 8 * i..], header.little);
        return Ok(Some([v(0), v(1), v(2), v(3)]));
    }
    match parse_point(blob) {
        Ok((x, y)) => return Ok(Some([x, x, y, y])),
        Err(BlobError::Empty) => return Ok(None),
        Err(_) => {}
    }
    Ok(parse_geometry(blob)?
        .and_then(|g| g.bounding_rect())
        .map(|r| [r.min().x, r.max().x, r.min().y, r.max().y]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let b = point_blob(4326, 14.5849, 56.0511);
        assert_eq!(parse_point(&b), Ok((14.5849, 56.0511)));
        assert_eq!(&b[..8], &[b'G', b'P', 0, 1, 0xE6, 0x10, 0, 0]);
    }

    #[test]
    fn gdal_blob_reads() {
        // What ogr2ogr (GDAL 3.6) wrote for POINT(14.5 56.0).
        let hex = "475000010000000001010000000000000000002D400000000000004C40";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(parse_point(&bytes), Ok((14.5, 56.0)));
    }

    #[test]
    fn envelope_and_big_endian() {
        let mut b = vec![b'G', b'P', 0, 0b0000_0010, 0, 0, 0x10, 0xE6];
        for v in [1.0f64, 2.0, 3.0, 4.0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.push(0);
        b.extend_from_slice(&1001u32.to_be_bytes());
        for v in [14.0f64, 56.0, 7.0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(parse_point(&b), Ok((14.0, 56.0)));
    }

    #[test]
    fn envelopes() {
        let b = point_blob(4326, 14.5, 56.0);
        assert_eq!(envelope(&b), Ok(Some([14.5, 14.5, 56.0, 56.0])));
        // A LineString (1.0 2.0, 3.0 -1.0), little-endian, no header envelope.
        let mut l = vec![b'G', b'P', 0, 1, 0, 0, 0, 0, 1];
        l.extend_from_slice(&2u32.to_le_bytes());
        l.extend_from_slice(&2u32.to_le_bytes());
        for v in [1.0f64, 2.0, 3.0, -1.0] {
            l.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(envelope(&l), Ok(Some([1.0, 3.0, -1.0, 2.0])));
        assert!(matches!(envelope(&l[..30]), Err(BlobError::Wkb(_))));
        let mut empty = point_blob(4326, 0.0, 0.0);
        empty[3] |= 0b0001_0000;
        assert_eq!(envelope(&empty), Ok(None));
    }

    #[test]
    fn bad_blobs() {
        assert_eq!(parse_point(b"GP"), Err(BlobError::TooShort(2)));
        assert_eq!(parse_point(b"XY\0\x01\0\0\0\0"), Err(BlobError::Magic));
        let mut b = point_blob(4326, 1.0, 2.0);
        b[9] = 2; // LineString
        assert_eq!(parse_point(&b), Err(BlobError::NotAPoint(2)));
        let b = point_blob(4326, f64::NAN, f64::NAN);
        assert_eq!(parse_point(&b), Err(BlobError::Empty));
        let b = point_blob(4326, 1.0, 2.0);
        assert_eq!(parse_point(&b[..20]), Err(BlobError::TooShort(20)));
    }

    fn every_type() -> Vec<Geometry<f64>> {
        use geo::{
            GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
            Polygon,
        };
        let ring = |x0: f64, y0: f64, d: f64| {
            LineString::from(vec![
                (x0, y0),
                (x0 + d, y0),
                (x0 + d, y0 + d),
                (x0, y0 + d),
                (x0, y0),
            ])
        };
        let holed = Polygon::new(ring(14.5, 56.0, 0.1), vec![ring(14.52, 56.02, 0.02)]);
        let line = LineString::from(vec![(14.5, 56.0), (14.6, 56.05), (14.7, 56.02)]);
        vec![
            Point::new(14.58, 56.05).into(),
            line.clone().into(),
            holed.clone().into(),
            MultiPoint::from(vec![(14.5, 56.0), (14.6, 56.1)]).into(),
            MultiLineString::new(vec![line.clone(), ring(14.0, 55.0, 1.0)]).into(),
            MultiPolygon::new(vec![
                holed.clone(),
                Polygon::new(ring(15.0, 56.0, 0.5), vec![]),
            ])
            .into(),
            Geometry::GeometryCollection(GeometryCollection::from(vec![
                Geometry::from(Point::new(1.0, 2.0)),
                Geometry::from(line),
            ])),
        ]
    }

    #[test]
    fn every_type_round_trips() {
        for g in every_type() {
            let b = geometry_blob(4326, &g).unwrap();
            assert_eq!(&b[..2], b"GP");
            assert_eq!(&b[4..8], &4326i32.to_le_bytes());
            assert_eq!(
                parse_geometry(&b),
                Ok(Some(g.clone())),
                "{}",
                geometry_type_name(&g)
            );
            let r = g.bounding_rect().unwrap();
            assert_eq!(
                envelope(&b),
                Ok(Some([r.min().x, r.max().x, r.min().y, r.max().y]))
            );
            if matches!(g, Geometry::Point(_)) {
                assert_eq!(b[3], 0x01, "points have no envelope");
            } else {
                assert_eq!(b[3], 0x03, "xy envelope, little-endian");
            }
        }
    }

    #[test]
    fn empty_geometries_are_flagged() {
        let empty: Geometry<f64> = geo::MultiPolygon::<f64>::new(vec![]).into();
        let b = geometry_blob(4326, &empty).unwrap();
        assert_eq!(b[3], 0x01 | 0b0001_0000);
        assert_eq!(parse_geometry(&b), Ok(None));
        assert_eq!(envelope(&b), Ok(None));
    }

    #[test]
    fn point_path_is_the_fast_blob() {
        let g: Geometry<f64> = geo::Point::new(14.5849, 56.0511).into();
        assert_eq!(
            geometry_blob(4326, &g).unwrap(),
            point_blob(4326, 14.5849, 56.0511).to_vec()
        );
    }

    #[test]
    fn bad_wkb_is_an_error_not_a_panic() {
        let g = every_type().remove(2);
        let b = geometry_blob(4326, &g).unwrap();
        for cut in [41, 50, 60, b.len() - 1] {
            assert!(
                matches!(parse_geometry(&b[..cut]), Err(BlobError::Wkb(_))),
                "{cut}"
            );
        }
        let mut bad = b.clone();
        bad[40] = 7; // byte order marker
        assert!(parse_geometry(&bad).is_err());
    }
}
