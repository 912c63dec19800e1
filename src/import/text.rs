//! Parsing of the values incident files hold: numbers (decimal point or
//! decimal comma, Swedish digit grouping) and dates and times in the layouts
//! Swedish systems and Excel write.
//!
//! These are the per-row hot paths of the CSV importer, so the common cases
//! (a plain number, ISO 8601 with offset) allocate nothing and avoid chrono's
//! general parser.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// A number as written in a file: `56.05`, `56,05`, `-3`, `6 230 000`.
/// Returns the value and whether a decimal comma was used; `None` for text
/// that is not a finite number.
pub(crate) fn parse_number(text: &str) -> Option<(f64, bool)> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(v) = t.parse::<f64>() {
        return v.is_finite().then_some((v, false));
    }
    // Slow path: decimal comma, spaces between digit groups, a Unicode minus.
    let mut buf = [0u8; 64];
    let mut n = 0;
    let mut commas = 0;
    let mut dots = 0;
    for ch in t.chars() {
        let b = match ch {
            ',' => {
                commas += 1;
                b'.'
            }
            '.' => {
                dots += 1;
                b'.'
            }
            ' ' | '\u{a0}' | '\u{202f}' => continue,
            '\u{2212}' => b'-',
            c if c.is_ascii() => c as u8,
            _ => return None,
        };
        if n == buf.len() {
            return None;
        }
        buf[n] = b;
        n += 1;
    }
    if commas + dots > 1 {
        return None;
    }
    let s = std::str::from_utf8(&buf[..n]).ok()?;
    let v = s.parse::<f64>().ok()?;
    v.is_finite().then_some((v, commas == 1))
}

/// Which order a slash date like `3/4/2025` is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateOrder {
    /// Day first: the Swedish (and European) habit, and the default.
    Dmy,
    /// Month first (US).
    Mdy,
}

/// A date and time as written, before time zones are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// The text named a UTC instant (it had `Z` or an offset).
    Utc(DateTime<Utc>),
    /// Wall-clock time with no offset: Swedish local time.
    Local {
        naive: NaiveDateTime,
        /// No time of day was given; `naive` is midnight.
        date_only: bool,
        /// A slash date whose day and month were both ≤ 12 (e.g. 3/4/2025).
        ambiguous_order: bool,
    },
}

/// A date: ISO `2025-03-14` (also `2025/03/14`), `14/3/2025` or `14.3.2025`
/// (also `14-3-2025`). Returns the date and whether it was an ambiguous
/// slash date.
pub(crate) fn parse_date(text: &str, order: DateOrder) -> Result<(NaiveDate, bool), String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not a date (expected e.g. 2025-03-14 or 14/3/2025)");
    let sep = t
        .bytes()
        .find(|b| matches!(b, b'-' | b'/' | b'.'))
        .ok_or_else(bad)?;
    let mut parts = t.split(sep as char);
    let (a, b, c) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) => (a, b, c),
        _ => return Err(bad()),
    };
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (na, nb, nc) = (
        num(a).ok_or_else(bad)?,
        num(b).ok_or_else(bad)?,
        num(c).ok_or_else(bad)?,
    );
    let (year, month, day, ambiguous) = if a.len() == 4 {
        (na as i32, nb, nc, false)
    } else if c.len() == 4 {
        if sep == b'/' {
            let ambiguous = na <= 12 && nb <= 12 && na != nb;
            match order {
                DateOrder::Dmy => (nc as i32, nb, na, ambiguous),
                DateOrder::Mdy => (nc as i32, na, nb, ambiguous),
            }
        } else {
            // 14.3.2025 and 14-3-2025 are day first everywhere they are written.
            (nc as i32, nb, na, false)
        }
    } else {
        return Err(format!(
            "{t:?} is not a date (the year must have four digits, e.g. 2025-03-14 or 14/3/2025)"
        ));
    };
    if !(1..=12).contains(&month) {
        return Err(format!("{t:?} is not a date: there is no month {month}"));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{t:?} is not a date: {year}-{month:02} has no day {day}"))?;
    Ok((date, ambiguous))
}

/// A time of day: `22:40`, `22:40:00`, `22:40:00.123`, `22.40`, `2240`, with
/// an optional offset (`Z`, `+01:00`, `+0100`, `+01`). Returns the time and
/// the offset in seconds east of UTC.
pub(crate) fn parse_time(text: &str) -> Result<(NaiveTime, Option<i32>), String> {
    let t = text.trim();
    let bad = || format!("{t:?} is not a time of day (expected e.g. 22:40)");
    // Split off an offset.
    let (clock, offset) = if let Some(rest) = t.strip_suffix(['Z', 'z']) {
        (rest, Some(0))
    } else if let Some(pos) = t.rfind(['+', '-']) {
        let off = parse_offset(&t[pos..]).ok_or_else(bad)?;
        (&t[..pos], Some(off))
    } else {
        (t, None)
    };
    let clock = clock.trim();
    let (hms, frac) = match clock.split_once([',', '.']) {
        // "22.40" uses the dot between hours and minutes; a dot after seconds
        // starts a fraction.
        Some((head, tail)) if head.contains(':') => (head, Some(tail)),
        _ => (clock, None),
    };
    let fields: Vec<&str> = if hms.contains(':') {
        hms.split(':').collect()
    } else if hms.contains('.') {
        hms.split('.').collect()
    } else if hms.len() == 4 && hms.bytes().all(|b| b.is_ascii_digit()) {
        vec![&hms[..2], &hms[2..]]
    } else {
        return Err(bad());
    };
    if !(2..=3).contains(&fields.len()) {
        return Err(bad());
    }
    let mut v = [0u32; 3];
    for (i, f) in fields.iter().enumerate() {
        if f.is_empty() || f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        v[i] = f.parse().map_err(|_| bad())?;
    }
    let nanos = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits: u32 = f.parse().map_err(|_| bad())?;
            digits * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return Err(bad()),
    };
    let time = NaiveTime::from_hms_nano_opt(v[0], v[1], v[2], nanos)
        .filter(|_| v[2] < 60)
        .ok_or_else(|| format!("{t:?} is not a valid time of day"))?;
    Ok((time, offset))
}

/// `+01:00`, `-0530`, `+01` → seconds east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: Vec<u8> = rest.bytes().filter(|b| *b != b':').collect();
    if !digits.iter().all(u8::is_ascii_digit) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours = i32::from(digits[0] - b'0') * 10 + i32::from(digits[1] - b'0');
    let minutes = if digits.len() == 4 {
        i32::from(digits[2] - b'0') * 10 + i32::from(digits[3] - b'0')
    } else {
        0
    };
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// A date and time in one field: the layouts of [`parse_date`] and
/// [`parse_time`] joined by `T` or spaces; a date alone is midnight.
pub(crate) fn parse_stamp(text: &str, order: DateOrder) -> Result<Stamp, String> {
    let t = text.trim();
    if let Some(utc) = fast_iso_utc(t.as_bytes()) {
        return Ok(Stamp::Utc(utc));
    }
    if t.is_empty() {
        return Err("the time is empty".to_owned());
    }
    let split = t
        .find(['T', 't', ' '])
        .filter(|&i| i >= 6)
        .map(|i| (&t[..i], t[i + 1..].trim()));
    let (date_text, time_text) = match split {
        Some((d, rest)) => (d, Some(rest.trim_start_matches("kl").trim())),
        None => (t, None),
    };
    let (date, ambiguous_order) = parse_date(date_text, order)?;
    match time_text {
        None | Some("") => Ok(Stamp::Local {
            naive: date.and_time(NaiveTime::MIN),
            date_only: true,
            ambiguous_order,
        }),
        Some(tt) => {
            let (time, offset) = parse_time(tt)?;
            Ok(with_offset(date.and_time(time), offset, ambiguous_order))
        }
    }
}

/// Joins a separate date and time (the `datum` and `tid` columns).
pub(crate) fn parse_date_and_time(
    date_text: &str,
    time_text: &str,
    order: DateOrder,
) -> Result<Stamp, String> {
    let (date, ambiguous_order) = parse_date(date_text, order)?;
    if time_text.trim().is_empty() {
        return Ok(Stamp::Local {
            naive: date.and_time(NaiveTime::MIN),
            date_only: true,
            ambiguous_order,
        });
    }
    let (time, offset) = parse_time(time_text)?;
    Ok(with_offset(date.and_time(time), offset, ambiguous_order))
}

fn with_offset(naive: NaiveDateTime, offset: Option<i32>, ambiguous_order: bool) -> Stamp {
    match offset {
        Some(secs) => Stamp::Utc((naive - chrono::Duration::seconds(i64::from(secs))).and_utc()),
        None => Stamp::Local {
            naive,
            date_only: false,
            ambiguous_order,
        },
    }
}

/// The first two numbers of a slash date with the year last (`14/3/2025` →
/// (14, 3)), to learn a file's day/month order.
pub(crate) fn slash_date_fields(text: &str) -> Option<(u32, u32)> {
    let t = text.trim();
    let date = t.split([' ', 'T']).next()?;
    let mut parts = date.split('/');
    let a: u32 = parts.next()?.parse().ok()?;
    let b: u32 = parts.next()?.parse().ok()?;
    let c = parts.next()?;
    (c.len() == 4 && parts.next().is_none()).then_some((a, b))
}

/// The fast path for `YYYY-MM-DDTHH:MM:SS+HH:MM` and `YYYY-MM-DDTHH:MM:SSZ`
/// (also with a space for `T`). `None` for any other layout or an invalid
/// value; the general parser then gives the reason.
pub(crate) fn fast_iso_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 25 && b.len() != 20 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let d2 = |i: usize| -> Option<u32> {
        let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then_some(u32::from(x) * 10 + u32::from(y))
    };
    let year = d2(0)? * 100 + d2(2)?;
    let (month, day) = (d2(5)?, d2(8)?);
    let (hour, minute, second) = (d2(11)?, d2(14)?, d2(17)?);
    let offset_secs: i64 = if b.len() == 20 {
        if b[19] != b'Z' {
            return None;
        }
        0
    } else {
        let sign = match b[19] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        if b[22] != b':' {
            return None;
        }
        let (oh, om) = (d2(20)?, d2(23)?);
        if oh > 14 || om > 59 {
            return None;
        }
        sign * i64::from(oh * 3600 + om * 60)
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year as i32, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year as i32, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    DateTime::from_timestamp(secs, 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(if month <= 2 { year - 1 } else { year });
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("56.05"), Some((56.05, false)));
        assert_eq!(parse_number(" 56,05 "), Some((56.05, true)));
        assert_eq!(parse_number("-3"), Some((-3.0, false)));
        assert_eq!(parse_number("6 230 000"), Some((6_230_000.0, false)));
        assert_eq!(
            parse_number("6\u{a0}230\u{a0}000,5"),
            Some((6_230_000.5, true))
        );
        assert_eq!(parse_number("\u{2212}1,5"), Some((-1.5, true)));
        assert_eq!(parse_number("1.234,5"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
    }

    #[test]
    fn fast_iso_matches_chrono() {
        for text in [
            "2025-03-14T22:40:00+01:00",
            "2025-07-04T23:30:00+02:00",
            "2025-03-14T21:40:00Z",
            "2024-02-29T00:00:00-05:30",
            "1999-12-31 23:59:59+00:00",
            "2000-01-01T00:00:00Z",
        ] {
            let fast = fast_iso_utc(text.as_bytes()).unwrap();
            let slow = DateTime::parse_from_rfc3339(&text.replace(' ', "T"))
                .unwrap()
                .to_utc();
            assert_eq!(fast, slow, "{text}");
        }
        assert_eq!(fast_iso_utc(b"2025-02-30T10:00:00+01:00"), None);
        assert_eq!(fast_iso_utc(b"2025-03-14T25:00:00+01:00"), None);
        assert_eq!(fast_iso_utc(b"2025-03-14 22:40"), None);
    }

    #[test]
    fn stamps_with_offsets() {
        let o = DateOrder::Dmy;
        assert_eq!(
            parse_stamp("2025-03-14T22:40:00+01:00", o),
            Ok(Stamp::Utc(utc("2025-03-14T21:40:00Z")))
        );
        assert_eq!(
            parse_stamp("2025-03-14T21:40:00Z", o),
            Ok(Stamp::Utc(utc("2025-03-14T21:40:00Z")))
        );
        assert_eq!(
            parse_stamp("2025-03-14T22:40:00.500+0100", o),
            Ok(Stamp::Utc(utc("2025-03-14T21:40:00.5Z")))
        );
        assert_eq!(
            parse_stamp("2025-03-14 22:40+01", o),
            Ok(Stamp::Utc(utc("2025-03-14T21:40:00Z")))
        );
    }

    fn local(text: &str, order: DateOrder) -> (String, bool, bool) {
        match parse_stamp(text, order).unwrap() {
            Stamp::Local {
                naive,
                date_only,
                ambiguous_order,
            } => (
                naive.format("%Y-%m-%d %H:%M:%S").to_string(),
                date_only,
                ambiguous_order,
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn local_layouts() {
        let d = DateOrder::Dmy;
        let want = ("2025-03-14 22:40:00".to_owned(), false, false);
        assert_eq!(local("2025-03-14 22:40", d), want);
        assert_eq!(local("2025-03-14T22:40:00", d), want);
        assert_eq!(local("14/3/2025 22:40", d), want);
        assert_eq!(local("14.3.2025 22.40", d), want);
        assert_eq!(local("14.03.2025 kl 22.40", d), want);
        assert_eq!(local("2025/03/14 22:40", d), want);
        assert_eq!(
            local("2025-03-14", d),
            ("2025-03-14 00:00:00".to_owned(), true, false)
        );
        // Ambiguous slash dates follow the order and say so.
        assert_eq!(
            local("3/4/2025 10:00", DateOrder::Dmy),
            ("2025-04-03 10:00:00".to_owned(), false, true)
        );
        assert_eq!(
            local("3/4/2025 10:00", DateOrder::Mdy),
            ("2025-03-04 10:00:00".to_owned(), false, true)
        );
        // 4/4 reads the same either way.
        assert_eq!(
            local("4/4/2025 10:00", DateOrder::Dmy),
            ("2025-04-04 10:00:00".to_owned(), false, false)
        );
    }

    #[test]
    fn impossible_dates_and_times() {
        let d = DateOrder::Dmy;
        let e = parse_stamp("2025-02-30 10:00", d).unwrap_err();
        assert!(e.contains("has no day 30"), "{e}");
        let e = parse_stamp("2025-03-14 25:00", d).unwrap_err();
        assert!(e.contains("not a valid time"), "{e}");
        let e = parse_stamp("2025-13-01 10:00", d).unwrap_err();
        assert!(e.contains("no month 13"), "{e}");
        assert!(parse_stamp("14/3/2025 22:40", DateOrder::Mdy).is_err());
        assert!(parse_stamp("igår kväll", d).is_err());
        assert!(parse_stamp("", d).is_err());
        assert!(parse_stamp("2025-03-14 22:61", d).is_err());
        assert!(parse_stamp("2025-03-14 22:40:60", d).is_err());
    }

    #[test]
    fn separate_date_and_time() {
        assert_eq!(
            parse_date_and_time("2025-03-14", "22:40", DateOrder::Dmy),
            parse_stamp("2025-03-14 22:40", DateOrder::Dmy)
        );
        assert!(parse_date_and_time("2025-03-14", "kväll", DateOrder::Dmy).is_err());
    }

    #[test]
    fn slash_fields() {
        assert_eq!(slash_date_fields("14/3/2025 22:40"), Some((14, 3)));
        assert_eq!(slash_date_fields("2025-03-14"), None);
        assert_eq!(slash_date_fields("2025/03/14"), None);
    }
}
