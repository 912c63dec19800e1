//! PostgreSQL's binary COPY format, both ways, for the columns the store
//! moves in bulk (bigint, double precision, text, timestamptz, PostGIS
//! geometry as EWKB). Format: the 19-byte header, then per row an i16 field
//! count and per field an i32 length (-1 = NULL) and the value in network
//! byte order; an i16 -1 ends the data.

use chrono::{DateTime, Utc};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01 (UTC).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

/// The header every binary COPY stream starts with.
pub fn header() -> Vec<u8> {
    let mut out = Vec::with_capacity(19);
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    out
}

/// The end-of-data marker.
pub const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// Appends rows to a COPY buffer.
pub struct Encoder<'a>(pub &'a mut Vec<u8>);

impl Encoder<'_> {
    pub fn row(&mut self, fields: i16) {
        self.0.extend_from_slice(&fields.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&8i32.to_be_bytes());
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&8i32.to_be_bytes());
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub fn null(&mut self) {
        self.0.extend_from_slice(&(-1i32).to_be_bytes());
    }
    pub fn text(&mut self, v: &str) {
        self.0.extend_from_slice(&(v.len() as i32).to_be_bytes());
        self.0.extend_from_slice(v.as_bytes());
    }
    pub fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }
    /// A timestamptz, truncated to the milliseconds every store keeps.
    pub fn time(&mut self, t: DateTime<Utc>) {
        self.i64(t.timestamp_millis() * 1000 - PG_EPOCH_US);
    }
    /// A point geometry (EWKB, little-endian, with its SRID).
    pub fn point(&mut self, srid: u32, x: f64, y: f64) {
        self.0.extend_from_slice(&25i32.to_be_bytes());
        self.0.push(1);
        self.0.extend_from_slice(&0x2000_0001u32.to_le_bytes());
        self.0.extend_from_slice(&srid.to_le_bytes());
        self.0.extend_from_slice(&x.to_le_bytes());
        self.0.extend_from_slice(&y.to_le_bytes());
    }
}

/// Why a COPY stream could not be read.
#[derive(Debug, thiserror::Error)]
#[error("binary COPY data: {0}")]
pub struct DecodeError(pub &'static str);

/// Reads rows from a whole binary COPY stream.
pub struct Decoder<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Decoder<'a> {
    pub fn new(data: &'a [u8]) -> Result<Decoder<'a>, DecodeError> {
        if data.len() < 19 || &data[..11] != SIGNATURE {
            return Err(DecodeError("no binary COPY header"));
        }
        let ext = i32::from_be_bytes([data[15], data[16], data[17], data[18]]);
        let at = 19usize
            .checked_add(usize::try_from(ext).map_err(|_| DecodeError("bad header"))?)
            .ok_or(DecodeError("bad header"))?;
        Ok(Decoder { data, at })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError("truncated"))?;
        let s = self
            .data
            .get(self.at..end)
            .ok_or(DecodeError("truncated"))?;
        self.at = end;
        Ok(s)
    }

    /// Starts the next row; `false` at the end of the data.
    pub fn next_row(&mut self) -> Result<bool, DecodeError> {
        let b = self.take(2)?;
        let n = i16::from_be_bytes([b[0], b[1]]);
        Ok(n >= 0)
    }

    /// The next field; `None` for NULL.
    pub fn field(&mut self) -> Result<Option<&'a [u8]>, DecodeError> {
        let b = self.take(4)?;
        let len = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if len < 0 {
            return Ok(None);
        }
        self.take(len as usize).map(Some)
    }

    fn fixed8(&mut self) -> Result<[u8; 8], DecodeError> {
        let f = self.field()?.ok_or(DecodeError("unexpected NULL"))?;
        f.try_into().map_err(|_| DecodeError("not an 8-byte value"))
    }

    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        self.fixed8().map(i64::from_be_bytes)
    }

    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        self.fixed8().map(f64::from_be_bytes)
    }

    pub fn opt_text(&mut self) -> Result<Option<&'a str>, DecodeError> {
        match self.field()? {
            None => Ok(None),
            Some(b) => std::str::from_utf8(b)
                .map(Some)
                .map_err(|_| DecodeError("text is not UTF-8")),
        }
    }

    pub fn text(&mut self) -> Result<&'a str, DecodeError> {
        self.opt_text()?.ok_or(DecodeError("unexpected NULL"))
    }

    pub fn time(&mut self) -> Result<DateTime<Utc>, DecodeError> {
        let us = self.i64()?;
        DateTime::from_timestamp_micros(us.saturating_add(PG_EPOCH_US))
            .ok_or(DecodeError("timestamp out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let mut buf = header();
        let t = DateTime::from_timestamp_millis(1_741_988_400_123).unwrap();
        let mut e = Encoder(&mut buf);
        e.row(4);
        e.i64(-7);
        e.time(t);
        e.opt_text(Some("Stortorget å"));
        e.opt_text(None);
        buf.extend_from_slice(&TRAILER);
        let mut d = Decoder::new(&buf).unwrap();
        assert!(d.next_row().unwrap());
        assert_eq!(d.i64().unwrap(), -7);
        assert_eq!(d.time().unwrap(), t);
        assert_eq!(d.opt_text().unwrap(), Some("Stortorget å"));
        assert_eq!(d.opt_text().unwrap(), None);
        assert!(!d.next_row().unwrap());
        assert!(Decoder::new(b"PGCOPY").is_err());
    }
}
