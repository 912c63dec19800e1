//! Guessing the coordinate system and axis order of a file's coordinate
//! columns from their header names and value ranges.
//!
//! Swedish geodetic convention names northing `X` and easting `Y`; GIS
//! convention the opposite. Northings in Sweden are millions of metres
//! (6.1–7.7 million), eastings are not, so the values settle the order.
//!
//! The easting then tells the system apart (Lantmäteriet's systems, as used
//! on Swedish soil):
//!
//! | easting, m          | system |
//! |---------------------|--------|
//! | 1 200 000–1 900 000 | RT 90 2.5 gon V (EPSG:3021), false easting 1 500 000 |
//! | 250 000–950 000     | SWEREF 99 TM (EPSG:3006), false easting 500 000 |
//! | 0–250 000           | a local SWEREF 99 zone (EPSG:3007–3018), false easting 150 000 |
//!
//! All local zones share one false easting, so which zone a file uses cannot
//! be told from its values: the user must say (`--crs`). Because the northing
//! range and the easting ranges do not overlap, the values always decide the
//! axis order; the header names only colour the note (and would break a tie
//! if the ranges ever overlapped).

use super::{Crs, CrsError};
use crate::model::{fold_name, words_match};

/// Swedish northings, metres (SWEREF 99 and RT 90 alike, with a margin).
const NORTHING_M: (f64, f64) = (6_100_000.0, 7_700_000.0);
/// RT 90 2.5 gon V eastings over Sweden, metres.
const RT90_EASTING_M: (f64, f64) = (1_200_000.0, 1_900_000.0);
/// SWEREF 99 TM eastings over Sweden, metres.
const TM_EASTING_M: (f64, f64) = (250_000.0, 950_000.0);
/// Local SWEREF 99 zone eastings, metres (exclusive upper bound).
const LOCAL_EASTING_M: (f64, f64) = (0.0, 250_000.0);
/// The local zones' false easting, metres.
const LOCAL_FALSE_EASTING_M: f64 = 150_000.0;
/// With a local zone forced, eastings this far either side of the zone's
/// meridian are accepted (negative ones west of it): far beyond any sensible
/// use of a zone, and whether the position is in Sweden is checked after.
const LOCAL_FORCED_REACH_M: f64 = 400_000.0;
/// WGS84 over Sweden with a margin, degrees: ([`crate::model::LonLat::SWEDEN_REGION`]).
const LAT_DEG: (f64, f64) = (54.8, 69.5);
const LON_DEG: (f64, f64) = (10.0, 24.9);

/// What [`detect_projected`] concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    pub crs: Crs,
    /// True when the first column holds northings (Swedish `X`), false when it
    /// holds eastings. For WGS84 (only when forced): true when the first
    /// column holds latitudes.
    pub first_is_northing: bool,
    /// One sentence for the user saying what was assumed and why.
    pub note: String,
}

/// Which kind of system an easting value points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Rt90,
    SwerefTm,
    SwerefLocal,
    /// Only when WGS84 is forced: (lon, lat) degrees.
    Wgs84,
}

impl Family {
    fn of_easting(easting: f64) -> Option<Family> {
        if within(easting, RT90_EASTING_M) {
            Some(Family::Rt90)
        } else if within(easting, TM_EASTING_M) {
            Some(Family::SwerefTm)
        } else if easting > LOCAL_EASTING_M.0 && easting < LOCAL_EASTING_M.1 {
            Some(Family::SwerefLocal)
        } else {
            None
        }
    }

    fn of_crs(crs: Crs) -> Family {
        if crs.is_geographic() {
            Family::Wgs84
        } else if crs == Crs::RT90_25_GON_V {
            Family::Rt90
        } else if crs.is_sweref99_local_zone() {
            Family::SwerefLocal
        } else {
            Family::SwerefTm
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Family::Rt90 => "RT 90 2.5 gon V (EPSG:3021)",
            Family::SwerefTm => "SWEREF 99 TM (EPSG:3006)",
            Family::SwerefLocal => "a local SWEREF 99 zone (EPSG:3007–3018)",
            Family::Wgs84 => "WGS 84 (EPSG:4326)",
        }
    }
}

/// How one sample pair reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reading {
    first_is_northing: bool,
    family: Family,
}

fn within(v: f64, (min, max): (f64, f64)) -> bool {
    (min..=max).contains(&v)
}

/// Reads one projected pair: exactly one value must be a Swedish northing and
/// the other an easting of some family.
fn read_projected(first: f64, second: f64) -> Option<Reading> {
    let first_is_northing = match (within(first, NORTHING_M), within(second, NORTHING_M)) {
        (true, false) => true,
        (false, true) => false,
        _ => return None,
    };
    let easting = if first_is_northing { second } else { first };
    Family::of_easting(easting).map(|family| Reading {
        first_is_northing,
        family,
    })
}

/// Reads one pair under a forced system: only the axis order is open, and the
/// easting must suit the forced system.
fn read_forced(first: f64, second: f64, forced: Family) -> Option<Reading> {
    if forced == Family::Wgs84 {
        let first_is_northing = match (
            within(first, LAT_DEG) && within(second, LON_DEG),
            within(second, LAT_DEG) && within(first, LON_DEG),
        ) {
            (true, false) => true,
            (false, true) => false,
            _ => return None,
        };
        return Some(Reading {
            first_is_northing,
            family: Family::Wgs84,
        });
    }
    let first_is_northing = match (within(first, NORTHING_M), within(second, NORTHING_M)) {
        (true, false) => true,
        (false, true) => false,
        _ => return None,
    };
    let easting = if first_is_northing { second } else { first };
    let fits = match forced {
        Family::SwerefLocal => (LOCAL_FALSE_EASTING_M - LOCAL_FORCED_REACH_M
            ..=LOCAL_FALSE_EASTING_M + LOCAL_FORCED_REACH_M)
            .contains(&easting),
        other => Family::of_easting(easting) == Some(other),
    };
    fits.then_some(Reading {
        first_is_northing,
        family: forced,
    })
}

/// What a column name says about its axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameHint {
    Northing,
    Easting,
    /// `x` or `y`: the axis depends on the convention.
    X,
    Y,
    None,
}

fn name_hint(name: &str) -> NameHint {
    const NORTHING: [&str; 7] = ["n", "north", "nord", "norr", "lat", "latitud", "breddgrad"];
    const EASTING: [&str; 11] = [
        "e",
        "east",
        "ost",
        "ostk",
        "ostlig",
        "oster",
        "lon",
        "lng",
        "long",
        "longitud",
        "langdgrad",
    ];
    let folded = fold_name(name);
    let northing = NORTHING.iter().any(|syn| words_match(&folded, syn));
    let easting = EASTING.iter().any(|syn| words_match(&folded, syn));
    let x = words_match(&folded, "x");
    let y = words_match(&folded, "y");
    match (northing, easting, x, y) {
        (true, false, _, _) => NameHint::Northing,
        (false, true, _, _) => NameHint::Easting,
        (false, false, true, false) => NameHint::X,
        (false, false, false, true) => NameHint::Y,
        _ => NameHint::None,
    }
}

/// Axis order suggested by the names alone: `Some(true)` when they say the
/// first column is the northing.
fn names_suggest_first_is_northing(first: NameHint, second: NameHint) -> Option<bool> {
    match (first, second) {
        (NameHint::Northing, NameHint::Northing) | (NameHint::Easting, NameHint::Easting) => None,
        (NameHint::Northing, _) | (_, NameHint::Easting) => Some(true),
        (NameHint::Easting, _) | (_, NameHint::Northing) => Some(false),
        _ => None,
    }
}

/// "X = northing, Y = easting (Swedish convention), from column names x/y and
/// value ranges" and the like.
fn axes_phrase(first_name: &str, second_name: &str, reading: Reading) -> String {
    let geographic = reading.family == Family::Wgs84;
    let (north_word, east_word) = if geographic {
        ("latitude", "longitude")
    } else {
        ("northing", "easting")
    };
    let (first_axis, second_axis) = if reading.first_is_northing {
        (north_word, east_word)
    } else {
        (east_word, north_word)
    };
    let first_hint = name_hint(first_name);
    let second_hint = name_hint(second_name);
    // Which column is called x, and does it hold the northing?
    let x_holds_northing = match (first_hint, second_hint) {
        (NameHint::X, _) => Some(reading.first_is_northing),
        (_, NameHint::X) => Some(!reading.first_is_northing),
        (NameHint::Y, _) => Some(!reading.first_is_northing),
        (_, NameHint::Y) => Some(reading.first_is_northing),
        _ => None,
    };
    let convention = match x_holds_northing {
        Some(true) if !geographic => " (Swedish convention)",
        Some(false) => " (GIS convention)",
        _ => "",
    };
    let xy_names = matches!(
        (first_hint, second_hint),
        (NameHint::X, NameHint::Y) | (NameHint::Y, NameHint::X)
    );
    let basis = match names_suggest_first_is_northing(first_hint, second_hint) {
        Some(suggested) if suggested == reading.first_is_northing => {
            format!("from column names {first_name}/{second_name} and value ranges")
        }
        Some(_) => format!(
            "from the value ranges, although the column names {first_name}/{second_name} suggest the opposite order"
        ),
        None if xy_names => {
            format!("from column names {first_name}/{second_name} and value ranges")
        }
        None => "from the value ranges".to_string(),
    };
    format!("{first_name} = {first_axis}, {second_name} = {second_axis}{convention}, {basis}")
}

/// "first column 14.5–14.6, second 56.0–56.1" over the finite samples.
fn ranges_phrase(samples: &[(f64, f64)]) -> String {
    let range = |values: &mut dyn Iterator<Item = f64>| {
        let (min, max) = values
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if min > max {
            "no finite value".to_string()
        } else if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        }
    };
    format!(
        "first column {}, second {}",
        range(&mut samples.iter().map(|s| s.0)),
        range(&mut samples.iter().map(|s| s.1))
    )
}

/// True when the pairs look like WGS84 degrees over Sweden, in either order.
fn looks_like_degrees(samples: &[(f64, f64)]) -> bool {
    let finite: Vec<_> = samples
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    !finite.is_empty()
        && finite.iter().all(|&&(a, b)| {
            (within(a, LAT_DEG) && within(b, LON_DEG)) || (within(b, LAT_DEG) && within(a, LON_DEG))
        })
}

fn describe_reading(first_name: &str, second_name: &str, reading: Reading) -> String {
    let northing_name = if reading.first_is_northing {
        first_name
    } else {
        second_name
    };
    let axis = if reading.family == Family::Wgs84 {
        "latitude"
    } else {
        "northing"
    };
    format!(
        "{} with {northing_name} = {axis}",
        reading.family.describe()
    )
}

/// Detects the system and axis order of a pair of projected coordinate
/// columns, named `first_name` and `second_name`, from sample value pairs.
/// See [`detect_in_file`], which this calls without line numbers or a known
/// axis order.
pub fn detect_projected(
    first_name: &str,
    second_name: &str,
    samples: &[(f64, f64)],
    forced: Option<Crs>,
) -> Result<Detected, CrsError> {
    let lined: Vec<(u64, f64, f64)> = samples.iter().map(|&(a, b)| (0, a, b)).collect();
    detect_in_file(first_name, second_name, &lined, forced, None)
}

/// Lines of `rows`, for a message: "lines 4, 9 and 12" (at most 8 listed).
fn lines_phrase(lines: &[u64]) -> String {
    let known: Vec<u64> = lines.iter().copied().filter(|&l| l > 0).collect();
    if known.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = known.iter().take(8).map(u64::to_string).collect();
    let more = if known.len() > 8 {
        format!(" and {} more", known.len() - 8)
    } else {
        String::new()
    };
    let word = if known.len() == 1 { "line" } else { "lines" };
    format!(" ({word} {}{more})", shown.join(", "))
}

/// Detects the system and axis order of a pair of projected coordinate
/// columns from sample rows `(line, first, second)` taken through the file.
///
/// # The user's word wins
/// - `forced` (`--crs`) fixes the system: only the axis order is read from
///   the values, by the majority of the samples; samples that do not fit are
///   no reason to refuse the file (the importer rejects those rows by line).
///   Only when most samples fit no reading of that system is it refused: the
///   system is then most likely wrong, and the message says what the values
///   look like.
/// - `first_is_northing` (columns mapped as easting/northing with `--map`, or
///   named so) fixes the axis order; then the values are only checked.
/// - Without `--crs`, the reading shared by most samples decides; the note
///   names the odd rows and the `--crs` flag. When no reading holds for more
///   than half of the samples the file is refused with the readings found.
///
/// A local SWEREF 99 zone cannot be told from the values without `--crs`
/// (all zones share one false easting); with a zone forced, eastings from
/// −250 000 to 550 000 m are accepted (400 km either side of the zone's
/// meridian: negative ones are valid west of it, e.g. Karlstad in EPSG:3010).
/// With `forced` = WGS84, the columns are read as longitude/latitude degrees.
pub fn detect_in_file(
    first_name: &str,
    second_name: &str,
    samples: &[(u64, f64, f64)],
    forced: Option<Crs>,
    first_is_northing: Option<bool>,
) -> Result<Detected, CrsError> {
    let fail = |reason: String| CrsError::Detection {
        columns: format!("{first_name:?}, {second_name:?}"),
        reason,
    };
    if samples.is_empty() {
        return Err(fail(
            "there are no coordinate values to judge from".to_string(),
        ));
    }
    let pairs: Vec<(f64, f64)> = samples.iter().map(|&(_, a, b)| (a, b)).collect();
    let forced_family = forced.map(Family::of_crs);
    let readings: Vec<Option<Reading>> = pairs
        .iter()
        .map(|&(a, b)| {
            let r = match forced_family {
                Some(family) => read_forced(a, b, family),
                None => read_projected(a, b),
            };
            r.filter(|r| first_is_northing.is_none_or(|n| n == r.first_is_northing))
        })
        .collect();

    // Distinct readings with counts, most common first (ties: first seen).
    let mut kinds: Vec<(Reading, usize)> = Vec::new();
    for reading in readings.iter().flatten() {
        match kinds.iter_mut().find(|(r, _)| r == reading) {
            Some((_, count)) => *count += 1,
            None => kinds.push((*reading, 1)),
        }
    }
    kinds.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
    let Some(&(reading, count)) = kinds.first() else {
        return Err(fail(no_fit_reason(&pairs, forced)));
    };
    let odd_lines: Vec<u64> = samples
        .iter()
        .zip(&readings)
        .filter(|(_, r)| **r != Some(reading))
        .map(|(s, _)| s.0)
        .collect();
    let odd = odd_lines.len();
    let describe_kinds = || -> String {
        kinds
            .iter()
            .map(|&(r, n)| {
                format!(
                    "{n} read as {}",
                    describe_reading(first_name, second_name, r)
                )
            })
            .chain((readings.iter().any(Option::is_none)).then(|| {
                format!(
                    "{} fit no system",
                    readings.iter().filter(|r| r.is_none()).count()
                )
            }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if count * 2 <= samples.len() {
        return Err(match forced {
            Some(crs) => fail(format!(
                "most sample rows do not fit {crs} ({} of {} do; {}): the system is most likely wrong, {}",
                count,
                samples.len(),
                ranges_phrase(&pairs),
                no_fit_reason(&pairs, forced)
            )),
            None => fail(format!(
                "no reading holds for most of the {} sample rows ({}){}; pass the system with --crs (e.g. --crs EPSG:3006) and, if the columns are named x/y, their meaning with --map COLUMN=easting --map COLUMN=northing",
                samples.len(),
                describe_kinds(),
                lines_phrase(&odd_lines)
            )),
        });
    }

    let crs = match (forced, reading.family) {
        (Some(crs), _) => crs,
        (None, Family::Rt90) => Crs::RT90_25_GON_V,
        (None, Family::SwerefTm) => Crs::SWEREF99_TM,
        (None, Family::SwerefLocal) => {
            return Err(fail(
                "the eastings (below 250 000 m) are those of a local SWEREF 99 zone, and which zone cannot be told from the values; pass the zone, e.g. --crs EPSG:3009 (SWEREF 99 15 00, Blekinge) or --crs EPSG:3008 (SWEREF 99 13 30, Skåne); the zones are EPSG:3007–3018".to_string(),
            ));
        }
        // Unreachable: WGS84 readings only come from a forced WGS84.
        (None, Family::Wgs84) => Crs::WGS84,
    };
    let given = if forced.is_some() { ", as given," } else { "" };
    let left_out = if odd == 0 {
        String::new()
    } else if forced.is_some() {
        format!(
            "; {odd} of {} sample rows do not fit it{} and are rejected by line",
            samples.len(),
            lines_phrase(&odd_lines)
        )
    } else {
        format!(
            "; {odd} of {} sample rows read differently or fit no system{} and are rejected by line unless they fit once read this way (if the file mixes systems, pass --crs)",
            samples.len(),
            lines_phrase(&odd_lines)
        )
    };
    let axes = if first_is_northing.is_some() {
        let (n, e) = if reading.first_is_northing {
            (first_name, second_name)
        } else {
            (second_name, first_name)
        };
        format!("{n} = northing, {e} = easting, as mapped")
    } else {
        axes_phrase(first_name, second_name, reading)
    };
    Ok(Detected {
        crs,
        first_is_northing: reading.first_is_northing,
        note: format!("Coordinates read as {crs}{given} with {axes}{left_out}."),
    })
}

/// Why no sample fits, with a hint at what the values look like.
fn no_fit_reason(samples: &[(f64, f64)], forced: Option<Crs>) -> String {
    let ranges = ranges_phrase(samples);
    match forced {
        Some(crs) if crs.is_geographic() => format!(
            "the values are not longitude/latitude degrees in Sweden ({ranges}; latitudes are {}–{}, longitudes {}–{})",
            LAT_DEG.0, LAT_DEG.1, LON_DEG.0, LON_DEG.1
        ),
        Some(crs) => {
            let unforced: Vec<Reading> = samples
                .iter()
                .filter_map(|&(a, b)| read_projected(a, b))
                .collect();
            match unforced.first() {
                Some(r) if unforced.iter().all(|u| u.family == r.family) => format!(
                    "the values do not fit {crs} but look like {} ({ranges}); check --crs",
                    r.family.describe()
                ),
                _ if looks_like_degrees(samples) => format!(
                    "the values look like longitude/latitude degrees, not {crs} metres ({ranges}); pass --crs EPSG:4326 or map the columns as lon/lat"
                ),
                _ => format!(
                    "the values do not fit {crs} in Sweden ({ranges}); Swedish northings are 6 100 000–7 700 000 m"
                ),
            }
        }
        None if looks_like_degrees(samples) => format!(
            "the values look like longitude/latitude degrees, not projected metres ({ranges}); map the columns as lon/lat or pass --crs EPSG:4326"
        ),
        None => format!(
            "the values fit no supported system in Sweden ({ranges}); Swedish northings are 6 100 000–7 700 000 m and eastings 1 200 000–1 900 000 m (RT 90 2.5 gon V), 250 000–950 000 m (SWEREF 99 TM) or below 250 000 m (a local SWEREF 99 zone)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SWEREF 99 TM (northing, easting) around Sölvesborg.
    fn tm_north_east() -> Vec<(f64, f64)> {
        vec![
            (6_212_290.0, 476_530.0),
            (6_213_020.5, 475_880.25),
            (6_209_800.0, 480_100.0),
            (6_220_450.0, 470_010.0),
        ]
    }

    fn swapped(samples: &[(f64, f64)]) -> Vec<(f64, f64)> {
        samples.iter().map(|&(a, b)| (b, a)).collect()
    }

    /// RT 90 2.5 gon V (X, Y) around Sölvesborg.
    fn rt90_north_east() -> Vec<(f64, f64)> {
        vec![
            (6_213_070.0, 1_424_260.0),
            (6_214_100.0, 1_423_900.0),
            (6_211_500.0, 1_427_800.0),
        ]
    }

    /// SWEREF 99 15 00 (N, E) around Sölvesborg.
    fn local_north_east() -> Vec<(f64, f64)> {
        vec![
            (6_213_650.0, 126_650.0),
            (6_214_300.0, 125_900.0),
            (6_210_800.0, 130_200.0),
        ]
    }

    fn reason_of(err: CrsError) -> String {
        match err {
            CrsError::Detection { reason, .. } => reason,
            other => panic!("expected a detection error, got {other:?}"),
        }
    }

    #[test]
    fn sweref_tm_in_swedish_order() {
        let d = detect_projected("X", "Y", &tm_north_east(), None).unwrap();
        assert_eq!(d.crs, Crs::SWEREF99_TM);
        assert!(d.first_is_northing);
        assert_eq!(
            d.note,
            "Coordinates read as SWEREF 99 TM (EPSG:3006) with X = northing, Y = easting (Swedish convention), from column names X/Y and value ranges."
        );
    }

    #[test]
    fn sweref_tm_with_swapped_axes() {
        let d = detect_projected("x", "y", &swapped(&tm_north_east()), None).unwrap();
        assert_eq!(d.crs, Crs::SWEREF99_TM);
        assert!(!d.first_is_northing);
        assert_eq!(
            d.note,
            "Coordinates read as SWEREF 99 TM (EPSG:3006) with x = easting, y = northing (GIS convention), from column names x/y and value ranges."
        );
        // y before x in the file, holding northing and easting: Swedish.
        let d = detect_projected("y", "x", &swapped(&tm_north_east()), None).unwrap();
        assert!(!d.first_is_northing);
        assert!(d.note.contains("(Swedish convention)"), "{}", d.note);
    }

    #[test]
    fn values_beat_contradicting_names() {
        let d = detect_projected("Easting", "Northing", &tm_north_east(), None).unwrap();
        assert!(d.first_is_northing);
        assert!(
            d.note.contains("Easting = northing, Northing = easting")
                && d.note.contains(
                    "although the column names Easting/Northing suggest the opposite order"
                ),
            "{}",
            d.note
        );
        let d = detect_projected(
            "Östkoordinat",
            "Nordkoordinat",
            &swapped(&tm_north_east()),
            None,
        )
        .unwrap();
        assert!(!d.first_is_northing);
        assert!(
            d.note
                .ends_with("from column names Östkoordinat/Nordkoordinat and value ranges."),
            "{}",
            d.note
        );
        let d = detect_projected("koord1", "koord2", &tm_north_east(), None).unwrap();
        assert!(
            d.note.ends_with("koord2 = easting, from the value ranges."),
            "{}",
            d.note
        );
    }

    #[test]
    fn rt90_in_both_orders() {
        let d = detect_projected("RT90_X", "RT90_Y", &rt90_north_east(), None).unwrap();
        assert_eq!(d.crs, Crs::RT90_25_GON_V);
        assert!(d.first_is_northing);
        assert!(
            d.note.starts_with(
                "Coordinates read as RT 90 2.5 gon V (EPSG:3021) with RT90_X = northing"
            ),
            "{}",
            d.note
        );
        let d = detect_projected("E", "N", &swapped(&rt90_north_east()), None).unwrap();
        assert_eq!(d.crs, Crs::RT90_25_GON_V);
        assert!(!d.first_is_northing);
    }

    #[test]
    fn local_zone_needs_the_zone() {
        let err = detect_projected("x", "y", &local_north_east(), None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("cannot tell the coordinate system of columns \"x\", \"y\": "),
            "{text}"
        );
        let reason = reason_of(err);
        assert!(
            reason.contains("--crs EPSG:3009") && reason.contains("--crs EPSG:3008"),
            "{reason}"
        );
        assert!(reason.contains("local SWEREF 99 zone"), "{reason}");
    }

    #[test]
    fn forced_zone_detects_only_the_axis_order() {
        let zone = Crs::from_epsg(3009).unwrap();
        let d = detect_projected("x", "y", &local_north_east(), Some(zone)).unwrap();
        assert_eq!(d.crs, zone);
        assert!(d.first_is_northing);
        assert_eq!(
            d.note,
            "Coordinates read as SWEREF 99 15 00 (EPSG:3009), as given, with x = northing, y = easting (Swedish convention), from column names x/y and value ranges."
        );
        let d = detect_projected("x", "y", &swapped(&local_north_east()), Some(zone)).unwrap();
        assert!(!d.first_is_northing);
        // Forcing SWEREF 99 TM or RT 90 on TM/RT 90 values is fine too.
        let d = detect_projected("x", "y", &tm_north_east(), Some(Crs::SWEREF99_TM)).unwrap();
        assert_eq!((d.crs, d.first_is_northing), (Crs::SWEREF99_TM, true));
    }

    #[test]
    fn forced_system_that_contradicts_the_values_is_an_error() {
        let reason = reason_of(
            detect_projected("x", "y", &local_north_east(), Some(Crs::SWEREF99_TM)).unwrap_err(),
        );
        assert!(
            reason.contains(
                "do not fit SWEREF 99 TM (EPSG:3006) but look like a local SWEREF 99 zone"
            ),
            "{reason}"
        );
        let reason = reason_of(
            detect_projected("x", "y", &rt90_north_east(), Some(Crs::SWEREF99_TM)).unwrap_err(),
        );
        assert!(reason.contains("look like RT 90 2.5 gon V"), "{reason}");
        let zone = Crs::from_epsg(3008).unwrap();
        let reason =
            reason_of(detect_projected("x", "y", &rt90_north_east(), Some(zone)).unwrap_err());
        assert!(
            reason.contains("do not fit SWEREF 99 13 30 (EPSG:3008)"),
            "{reason}"
        );
    }

    #[test]
    fn degrees_in_projected_columns_are_an_error() {
        let degrees = [(14.583, 56.0505), (14.59, 56.04), (14.7, 56.1)];
        let reason = reason_of(detect_projected("x", "y", &degrees, None).unwrap_err());
        assert!(
            reason.contains("look like longitude/latitude degrees"),
            "{reason}"
        );
        assert!(
            reason.contains("first column 14.583 to 14.7, second 56.04 to 56.1"),
            "{reason}"
        );
        let reason = reason_of(
            detect_projected("x", "y", &degrees, Some(Crs::from_epsg(3009).unwrap())).unwrap_err(),
        );
        assert!(reason.contains("--crs EPSG:4326"), "{reason}");
    }

    #[test]
    fn forced_wgs84_detects_lon_lat_order() {
        let d = detect_projected(
            "x",
            "y",
            &[(14.583, 56.0505), (14.6, 56.1)],
            Some(Crs::WGS84),
        )
        .unwrap();
        assert_eq!((d.crs, d.first_is_northing), (Crs::WGS84, false));
        assert_eq!(
            d.note,
            "Coordinates read as WGS 84 (EPSG:4326), as given, with x = longitude, y = latitude (GIS convention), from column names x/y and value ranges."
        );
        let d = detect_projected("lat", "lon", &[(56.0505, 14.583)], Some(Crs::WGS84)).unwrap();
        assert!(d.first_is_northing);
        let reason =
            reason_of(detect_projected("x", "y", &tm_north_east(), Some(Crs::WGS84)).unwrap_err());
        assert!(
            reason.contains("not longitude/latitude degrees in Sweden"),
            "{reason}"
        );
    }

    #[test]
    fn values_outside_sweden_are_an_error() {
        // SWEREF 99 TM-like numbers but 1 000 km north of the equator (Africa).
        let africa = [(1_000_000.0, 500_000.0), (1_100_000.0, 450_000.0)];
        let reason = reason_of(detect_projected("x", "y", &africa, None).unwrap_err());
        assert!(reason.contains("fit no supported system"), "{reason}");
        // Both columns northings.
        let both = [(6_212_000.0, 6_213_000.0)];
        assert!(detect_projected("x", "y", &both, None).is_err());
        // Kilometres.
        let km = [(6_212.29, 476.53)];
        assert!(detect_projected("x", "y", &km, None).is_err());
        assert!(detect_projected("x", "y", &[], None).is_err());
        let nan = [(f64::NAN, f64::NAN)];
        assert!(
            reason_of(detect_projected("x", "y", &nan, None).unwrap_err())
                .contains("no finite value")
        );
    }

    #[test]
    fn the_majority_decides_and_the_odd_rows_are_named() {
        // 4 TM against 3 RT 90: TM wins, the RT 90 rows are named.
        let mixed: Vec<(u64, f64, f64)> = tm_north_east()
            .into_iter()
            .chain(rt90_north_east())
            .enumerate()
            .map(|(i, (a, b))| (i as u64 + 2, a, b))
            .collect();
        let d = detect_in_file("x", "y", &mixed, None, None).unwrap();
        assert_eq!(d.crs, Crs::SWEREF99_TM);
        assert!(
            d.note.contains("3 of 7 sample rows read differently"),
            "{}",
            d.note
        );
        assert!(d.note.contains("(lines 6, 7, 8)"), "{}", d.note);
        assert!(d.note.contains("pass --crs"), "{}", d.note);
        // An even split: no majority, refused with the readings, the lines and --crs.
        let mut mixed: Vec<(u64, f64, f64)> = tm_north_east()[..3]
            .iter()
            .chain(&rt90_north_east()[..3])
            .enumerate()
            .map(|(i, &(a, b))| (i as u64 + 2, a, b))
            .collect();
        mixed.truncate(6);
        let reason = reason_of(detect_in_file("x", "y", &mixed, None, None).unwrap_err());
        assert!(
            reason.contains("no reading holds for most of the 6 sample rows"),
            "{reason}"
        );
        assert!(
            reason.contains("3 read as SWEREF 99 TM (EPSG:3006) with x = northing"),
            "{reason}"
        );
        assert!(reason.contains("--crs"), "{reason}");
        // A swapped pair among TM rows (a real Trafikverket defect).
        let mut orders = tm_north_east();
        orders.extend(swapped(&tm_north_east()[..1]));
        let d = detect_projected("x", "y", &orders, None).unwrap();
        assert!(d.first_is_northing);
        assert!(d.note.contains("1 of 5 sample rows"), "{}", d.note);
    }

    #[test]
    fn with_crs_the_users_word_wins() {
        // --crs EPSG:3006 --map X=easting --map Y=northing: the order is given,
        // a swapped row does not block the file.
        let mut rows: Vec<(u64, f64, f64)> = swapped(&tm_north_east())
            .into_iter()
            .enumerate()
            .map(|(i, (a, b))| (i as u64 + 2, a, b))
            .collect();
        rows.push((9, 6_212_290.0, 476_530.0));
        let d = detect_in_file("X", "Y", &rows, Some(Crs::SWEREF99_TM), Some(false)).unwrap();
        assert!(!d.first_is_northing);
        assert!(d.note.contains("as mapped"), "{}", d.note);
        assert!(
            d.note.contains("1 of 5 sample rows do not fit it (line 9)"),
            "{}",
            d.note
        );
        // A negative easting is valid in a local zone west of its meridian
        // (Karlstad in SWEREF 99 16 30): northing 6 586 000, easting −55 000.
        let karlstad = [(2, -55_000.0, 6_586_000.0), (3, -54_000.0, 6_587_500.0)];
        let d = detect_in_file(
            "e",
            "n",
            &karlstad,
            Some(Crs::from_epsg(3010).unwrap()),
            None,
        )
        .unwrap();
        assert!(!d.first_is_northing);
        // Most rows not fitting the given system: refused, with a hint.
        let rt = rt90_north_east();
        let rows: Vec<(u64, f64, f64)> = rt.iter().map(|&(a, b)| (1, a, b)).collect();
        let reason =
            reason_of(detect_in_file("x", "y", &rows, Some(Crs::SWEREF99_TM), None).unwrap_err());
        assert!(reason.contains("do not fit"), "{reason}");
        assert!(reason.contains("RT 90"), "{reason}");
        // Half fitting is not most.
        let mut half = rows.clone();
        half.extend(tm_north_east().iter().take(3).map(|&(a, b)| (1, a, b)));
        let reason =
            reason_of(detect_in_file("x", "y", &half, Some(Crs::SWEREF99_TM), None).unwrap_err());
        assert!(reason.contains("most sample rows do not fit"), "{reason}");
    }

    #[test]
    fn a_few_stray_rows_are_named() {
        let mut samples: Vec<(f64, f64)> = tm_north_east().into_iter().cycle().take(19).collect();
        samples.push((0.0, 0.0));
        let d = detect_projected("x", "y", &samples, None).unwrap();
        assert_eq!(d.crs, Crs::SWEREF99_TM);
        assert!(
            d.note
                .contains("; 1 of 20 sample rows read differently or fit no system"),
            "{}",
            d.note
        );
    }
}
