//! The compact, lossless encoding of a chunk of analysis points that the
//! database's point cache stores (format [`FORMAT`]): about half the bytes of
//! the 36-byte encoding the GeoPackage keeps in its file, because on a
//! database every byte of a command's first read crosses the server, the
//! network and TLS.
//!
//! The points are laid out by column, each value in the fewest whole bytes
//! that hold every value of its column in the chunk exactly (one width per
//! column and chunk, so decoding is a fixed-stride read with no branches
//! on the data):
//! - x and y: the IEEE bits of the `f64` less the chunk's smallest (6 bytes
//!   for a municipality; 8, no gain but still exact, for NaN or a mix of
//!   signs);
//! - the time and the local day: the difference to the previous point's
//!   (the first point's to itself, its value in the header), zigzag-coded
//!   (the points are sorted by time: 2 bytes and 1 for a busy project);
//! - hour and weekday in one byte, category and source in one byte;
//! - the precision: an index into the chunk's table of distinct values.
//!
//! A chunk whose hours, weekdays or precision table (more than 256 values)
//! do not fit is stored in the 36-byte encoding instead (kind byte 0), so
//! every point is encodable. [`decode_into`] checks every length and index
//! and gives `None` for bytes that are not such a chunk: the caller then
//! reads the rows.

use crate::model::{Category, Filter, Source};
use crate::store::points::{ENCODING_FORMAT, SwerefPoint};

/// The version of this layout (bumped when it changes).
const LAYOUT: i64 = 2;

/// The stored cache's `format`: this layout of points derived as
/// [`ENCODING_FORMAT`] describes (either change gives a new number, so a
/// cache stored by another build is read cold and replaced, never misread).
pub const FORMAT: i64 = LAYOUT * 1000 + ENCODING_FORMAT;

/// Kind byte: the points in the 36-byte encoding.
const RAW: u8 = 0;
/// Kind byte: the columns described in the module notes.
const COLUMNS: u8 = 1;

/// Bytes of the header of a [`COLUMNS`] chunk: kind, count, x, y, time and
/// day (base and width each), and the precision table's length.
const HEADER_LEN: usize = 1 + 4 + (8 + 1) * 4 + 2;

/// Appends the encoding of `points` (one chunk) to `out`.
pub fn encode(points: &[SwerefPoint], out: &mut Vec<u8>) {
    let start = out.len();
    if !try_columns(points, out) {
        out.truncate(start);
        out.push(RAW);
        crate::store::points::encode_all(points, out);
    }
}

/// Appends the points of one encoded chunk that pass `filter` to `out` and
/// returns how many points the chunk holds (passing or not); `None` when
/// `bytes` are not one (what was appended before stays: the caller discards
/// `out`). Every point is checked, passing or not.
pub fn decode_into(bytes: &[u8], filter: &Filter, out: &mut Vec<SwerefPoint>) -> Option<usize> {
    let (&kind, rest) = bytes.split_first()?;
    match kind {
        RAW => crate::store::points::decode_into(rest, filter, out)
            .map(|()| rest.len() / crate::store::points::ENCODED_LEN),
        COLUMNS => decode_columns(bytes, filter, out),
        _ => None,
    }
}

/// Bytes that hold `v`.
fn width_of(v: u64) -> u8 {
    (u64::BITS - v.leading_zeros()).div_ceil(8) as u8
}

/// The smallest value and the bytes every difference to it needs.
fn base_and_width(values: impl Iterator<Item = u64> + Clone) -> (u64, u8) {
    let min = values.clone().min().unwrap_or(0);
    let spread = values.map(|v| v - min).max().unwrap_or(0);
    (min, width_of(spread))
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends the low `width` bytes of every value.
fn put_column(values: impl Iterator<Item = u64>, width: u8, out: &mut Vec<u8>) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..usize::from(width)]);
    }
}

/// Writes the [`COLUMNS`] form; false when a point does not fit it.
fn try_columns(points: &[SwerefPoint], out: &mut Vec<u8>) -> bool {
    let Ok(n) = u32::try_from(points.len()) else {
        return false;
    };
    if points.iter().any(|p| p.hour >= 32 || p.weekday >= 8) {
        return false;
    }
    let mut table: Vec<u32> = points.iter().map(|p| p.precision_m.to_bits()).collect();
    table.sort_unstable();
    table.dedup();
    if table.len() > 256 {
        return false;
    }
    let (x0, xw) = base_and_width(points.iter().map(|p| p.xy[0].to_bits()));
    let (y0, yw) = base_and_width(points.iter().map(|p| p.xy[1].to_bits()));
    let first = |f: fn(&SwerefPoint) -> i64| points.first().map_or(0, f);
    let deltas = |f: fn(&SwerefPoint) -> i64| {
        let mut last = first(f);
        points.iter().map(move |p| {
            let v = f(p);
            let d = zigzag(v.wrapping_sub(last));
            last = v;
            d
        })
    };
    let time = |p: &SwerefPoint| p.occurred_at;
    let day = |p: &SwerefPoint| i64::from(p.local_day);
    let tw = width_of(deltas(time).max().unwrap_or(0));
    let dw = width_of(deltas(day).max().unwrap_or(0));
    let per_point = usize::from(xw + yw + tw + dw) + 3;
    out.reserve(HEADER_LEN + table.len() * 4 + points.len() * per_point);
    out.push(COLUMNS);
    out.extend_from_slice(&n.to_le_bytes());
    let (t0, d0) = (first(time) as u64, first(day) as u64);
    for (base, width) in [(x0, xw), (y0, yw), (t0, tw), (d0, dw)] {
        out.extend_from_slice(&base.to_le_bytes());
        out.push(width);
    }
    out.extend_from_slice(&(table.len() as u16).to_le_bytes());
    for bits in &table {
        out.extend_from_slice(&bits.to_le_bytes());
    }
    put_column(points.iter().map(|p| p.xy[0].to_bits() - x0), xw, out);
    put_column(points.iter().map(|p| p.xy[1].to_bits() - y0), yw, out);
    put_column(deltas(time), tw, out);
    put_column(deltas(day), dw, out);
    out.extend(points.iter().map(|p| p.hour | (p.weekday << 5)));
    out.extend(
        points
            .iter()
            .map(|p| p.category.index() as u8 | ((p.source.index() as u8) << 4)),
    );
    // Every value is in the table (it was made from them).
    out.extend(points.iter().map(|p| {
        table
            .binary_search(&p.precision_m.to_bits())
            .map_or(0, |i| i as u8)
    }));
    true
}

/// A cursor over a byte slice that fails (`None`) past its end.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// One column of `n` values of `width` bytes (at most 8) starting at `at`
/// in `bytes`, whose end the caller checked.
#[derive(Clone, Copy)]
struct Column {
    at: usize,
    width: usize,
    mask: u64,
}

impl Column {
    fn new(h: &mut Cursor<'_>, n: usize, width: usize) -> Option<Column> {
        if width > 8 {
            return None;
        }
        let at = h.at;
        h.take(n.checked_mul(width)?)?;
        let mask = if width == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * width)) - 1
        };
        Some(Column { at, width, mask })
    }

    /// Value `i`: one 8-byte read, masked, where 8 bytes are left (all but
    /// the last few values of a chunk, whose later columns follow).
    #[inline(always)]
    fn get(&self, bytes: &[u8], i: usize) -> u64 {
        let at = self.at + i * self.width;
        match bytes.get(at..at + 8) {
            Some(b) => u64::from_le_bytes(b.try_into().unwrap_or_default()) & self.mask,
            None => {
                let mut buf = [0u8; 8];
                buf[..self.width].copy_from_slice(&bytes[at..at + self.width]);
                u64::from_le_bytes(buf)
            }
        }
    }
}

fn decode_columns(bytes: &[u8], filter: &Filter, out: &mut Vec<SwerefPoint>) -> Option<usize> {
    let mut h = Cursor { bytes, at: 1 };
    let n = usize::try_from(h.u32()?).ok()?;
    let (x0, xw) = (h.u64()?, usize::from(h.u8()?));
    let (y0, yw) = (h.u64()?, usize::from(h.u8()?));
    let (t0, tw) = (h.u64()? as i64, usize::from(h.u8()?));
    let (d0, dw) = (h.u64()? as i64, usize::from(h.u8()?));
    let table_len = usize::from(h.u16()?);
    if table_len > 256 || (n > 0 && table_len == 0) {
        return None;
    }
    let mut precisions = [0f32; 256];
    for (p, b) in precisions
        .iter_mut()
        .zip(h.take(table_len.checked_mul(4)?)?.chunks_exact(4))
    {
        *p = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    let xs = Column::new(&mut h, n, xw)?;
    let ys = Column::new(&mut h, n, yw)?;
    let ts = Column::new(&mut h, n, tw)?;
    let ds = Column::new(&mut h, n, dw)?;
    let hw = h.take(n)?;
    let cs = h.take(n)?;
    let prec = h.take(n)?;
    if h.at != bytes.len() {
        return None;
    }
    // The byte columns checked whole first, so the loop indexes tables that
    // hold every value they can take.
    let (cats, srcs) = (Category::ALL.len(), Source::ALL.len());
    if !cs
        .iter()
        .all(|&b| usize::from(b & 0x0f) < cats && usize::from(b >> 4) < srcs)
        || !prec.iter().all(|&i| usize::from(i) < table_len)
    {
        return None;
    }
    let keep_all = filter.is_empty();
    out.reserve(if keep_all { n } else { n / 2 });
    let (mut t, mut d) = (t0, d0);
    for (i, ((&hw, &cs), &pi)) in hw.iter().zip(cs).zip(prec).enumerate() {
        t = t.wrapping_add(unzigzag(ts.get(bytes, i)));
        d = d.wrapping_add(unzigzag(ds.get(bytes, i)));
        let p = SwerefPoint {
            xy: [
                f64::from_bits(x0.wrapping_add(xs.get(bytes, i))),
                f64::from_bits(y0.wrapping_add(ys.get(bytes, i))),
            ],
            occurred_at: t,
            local_day: i32::try_from(d).ok()?,
            hour: hw & 0x1f,
            weekday: hw >> 5,
            category: Category::ALL[usize::from(cs & 0x0f) % cats],
            source: Source::ALL[usize::from(cs >> 4) % srcs],
            precision_m: precisions[usize::from(pi)],
        };
        if keep_all || p.matches(filter) {
            out.push(p);
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Points as the projection of a municipality's incidents gives them:
    /// sorted by time, a few precisions, every category and source.
    fn town(n: usize, seed: u64) -> Vec<SwerefPoint> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut t = 1_730_000_000i64;
        (0..n)
            .map(|_| {
                t += rng.random_range(0..600);
                let local = t + 3600;
                SwerefPoint {
                    xy: [
                        rng.random_range(465_000.0..485_000.0),
                        rng.random_range(6_200_000.0..6_220_000.0),
                    ],
                    occurred_at: t,
                    local_day: (local.div_euclid(86_400) + 719_163) as i32,
                    hour: (local.rem_euclid(86_400) / 3600) as u8,
                    weekday: ((local.div_euclid(86_400) + 3).rem_euclid(7)) as u8,
                    category: Category::ALL[rng.random_range(0..Category::ALL.len())],
                    source: Source::ALL[rng.random_range(0..Source::ALL.len())],
                    precision_m: [10.0, 25.0, 50.0, 2000.0][rng.random_range(0..4)],
                }
            })
            .collect()
    }

    fn round_trip(points: &[SwerefPoint]) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode(points, &mut bytes);
        let mut back = Vec::new();
        assert_eq!(
            decode_into(&bytes, &Filter::default(), &mut back),
            Some(points.len())
        );
        // Bit for bit (NaN compares unequal, so compare the encodings).
        let (mut a, mut b) = (Vec::new(), Vec::new());
        crate::store::points::encode_all(points, &mut a);
        crate::store::points::encode_all(&back, &mut b);
        assert_eq!(a, b);
        bytes
    }

    #[test]
    fn a_towns_points_come_back_exactly_in_about_half_the_bytes() {
        let points = town(65_536, 1);
        let bytes = round_trip(&points);
        assert_eq!(bytes[0], COLUMNS);
        let per_point = bytes.len() as f64 / points.len() as f64;
        assert!(
            per_point < 0.6 * crate::store::points::ENCODED_LEN as f64,
            "{per_point:.1} bytes a point"
        );
    }

    #[test]
    fn odd_points_come_back_exactly_too() {
        let mut points = town(1000, 2);
        // Not projectable, negative, unsorted times, days far apart.
        points[3].xy = [f64::NAN, f64::NAN];
        points[4].xy = [-1.5, -0.0];
        points[5].occurred_at = i64::MIN;
        points[6].occurred_at = i64::MAX;
        points[7].local_day = i32::MIN;
        points[8].local_day = i32::MAX;
        points[9].precision_m = f32::NAN;
        assert_eq!(round_trip(&points)[0], COLUMNS);
        assert_eq!(round_trip(&[])[0], COLUMNS);
        assert_eq!(round_trip(&points[..1])[0], COLUMNS);
        // Too many distinct precisions, or an hour out of range: the 36 bytes.
        let mut many = town(300, 3);
        for (i, p) in many.iter_mut().enumerate() {
            p.precision_m = i as f32;
        }
        assert_eq!(round_trip(&many)[0], RAW);
        let mut late = town(10, 4);
        late[2].hour = 40;
        assert_eq!(round_trip(&late)[0], RAW);
    }

    #[test]
    fn damaged_bytes_are_refused_never_a_panic() {
        let mut bytes = Vec::new();
        encode(&town(500, 5), &mut bytes);
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        for cut in [0, 1, 5, HEADER_LEN, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(
                decode_into(&bytes[..cut], &Filter::default(), &mut Vec::new()),
                None,
                "cut {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            decode_into(&longer, &Filter::default(), &mut Vec::new()),
            None
        );
        // Flipped bytes decode to something or are refused, never panic.
        for _ in 0..2000 {
            let mut b = bytes.clone();
            let i = rng.random_range(0..b.len());
            b[i] ^= 1 << rng.random_range(0..8);
            let _ = decode_into(&b, &Filter::default(), &mut Vec::new());
        }
        let mut unknown = bytes;
        unknown[0] = 7;
        assert_eq!(
            decode_into(&unknown, &Filter::default(), &mut Vec::new()),
            None
        );
    }
}
