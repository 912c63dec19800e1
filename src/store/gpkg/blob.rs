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

/// The (x, y) of a GeoPackage point blob.
pub fn parse_point(blob: &[u8]) -> Result<(f64, f64), BlobError> {
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
    if flags & 0b0001_0000 != 0 {
        return Err(BlobError::Empty);
    }
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(BlobError::Envelope(other)),
    };
    let wkb = &blob[8 + envelope_len.min(blob.len() - 8)..];
    if blob.len() < 8 + envelope_len || wkb.len() < 21 {
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
