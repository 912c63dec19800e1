//! GeoPackage geometry blobs (GeoPackage 1.3, clause 2.1.3) for points.
//!
//! We write what GDAL writes for points: the 8-byte header `GP`, version 0,
//! flags `0x01` (little-endian, no envelope, not empty, standard binary), the
//! srs id, then a little-endian WKB Point. Reading accepts any envelope, either
//! byte order, and the ISO Z/M/ZM point variants (only x and y are used).

/// Length of a point blob as [`point_blob`] writes it.
pub const POINT_BLOB_LEN: usize = 8 + 21;

/// Why a stored geometry could not be read as a point.
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

/// Envelope of any GeoPackage geometry blob as (minx, maxx, miny, maxy);
/// `None` for an empty geometry. Uses the header's envelope when it has one,
/// else walks the WKB (all OGC simple feature types, with Z/M).
pub fn envelope(blob: &[u8]) -> Result<Option<[f64; 4]>, BlobError> {
    let header = Header::read(blob)?;
    if header.empty {
        return Ok(None);
    }
    if header.envelope_len > 0 {
        let v = |i: usize| read_f64(&blob[8 + 8 * i..], header.little);
        return Ok(Some([v(0), v(1), v(2), v(3)]));
    }
    let mut env = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut pos = 8;
    walk_wkb(blob, &mut pos, &mut env, 0)?;
    Ok((env[0] <= env[1]).then_some(env))
}

/// Adds the coordinates of the WKB geometry at `pos` to `env`.
fn walk_wkb(b: &[u8], pos: &mut usize, env: &mut [f64; 4], depth: u32) -> Result<(), BlobError> {
    // Deeper nesting than this is not a real geometry.
    if depth > 32 {
        return Err(BlobError::TooShort(b.len()));
    }
    let need = |pos: usize, n: usize| {
        if b.len() < pos + n {
            Err(BlobError::TooShort(b.len()))
        } else {
            Ok(())
        }
    };
    need(*pos, 5)?;
    let little = match b[*pos] {
        0 => false,
        1 => true,
        other => return Err(BlobError::ByteOrder(other)),
    };
    let raw_type = read_u32(&b[*pos + 1..], little);
    *pos += 5;
    // ISO: thousands give Z (1), M (2), ZM (3); EWKB: high flag bits.
    let mut dims = 2 + match (raw_type & 0x0FFF_FFFF) / 1000 {
        1 | 2 => 1,
        3 => 2,
        _ => 0,
    };
    if raw_type & 0x8000_0000 != 0 {
        dims += 1;
    }
    if raw_type & 0x4000_0000 != 0 {
        dims += 1;
    }
    let base = (raw_type & 0x0FFF_FFFF) % 1000;
    let mut points = |pos: &mut usize, count: usize| -> Result<(), BlobError> {
        need(*pos, count.saturating_mul(dims * 8))?;
        for _ in 0..count {
            let x = read_f64(&b[*pos..], little);
            let y = read_f64(&b[*pos + 8..], little);
            *pos += dims * 8;
            if x.is_nan() || y.is_nan() {
                continue;
            }
            env[0] = env[0].min(x);
            env[1] = env[1].max(x);
            env[2] = env[2].min(y);
            env[3] = env[3].max(y);
        }
        Ok(())
    };
    let count = |pos: &mut usize| -> Result<usize, BlobError> {
        need(*pos, 4)?;
        let n = read_u32(&b[*pos..], little) as usize;
        *pos += 4;
        Ok(n)
    };
    match base {
        1 => points(pos, 1),
        2 => {
            let n = count(pos)?;
            points(pos, n)
        }
        3 => {
            for _ in 0..count(pos)? {
                let n = count(pos)?;
                points(pos, n)?;
            }
            Ok(())
        }
        4..=7 => {
            for _ in 0..count(pos)? {
                walk_wkb(b, pos, env, depth + 1)?;
            }
            Ok(())
        }
        _ => Err(BlobError::NotAPoint(raw_type)),
    }
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
        assert_eq!(envelope(&l[..30]), Err(BlobError::TooShort(30)));
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
}
