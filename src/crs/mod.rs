//! Coordinate reference systems: WGS84, SWEREF 99 TM (EPSG:3006), the local
//! SWEREF 99 zones (EPSG:3007–3018) and RT 90 2.5 gon V (EPSG:3021).
//!
//! Conversions use `proj4rs` (Poder/Engsager transverse Mercator) with the
//! EPSG definitions of the `crs-definitions` crate; the unit tests check each
//! definition's meridian, scale and false easting against the published
//! parameters. All distances and areas in this app are computed in SWEREF 99
//! TM metres ([`sweref_from_wgs84`]), never in degrees. [`detect`] guesses the
//! system and axis order of a file's projected columns.
//!
//! # Datums
//! SWEREF 99 is the Swedish realisation of ETRS89 and agrees with WGS84
//! within about half a metre; like most GIS software we treat the two as
//! identical. RT 90 is taken to WGS84 with the 7-parameter Helmert
//! transformation carried in its EPSG definition (`towgs84`, EPSG:1896,
//! stated accuracy 1 m); against Lantmäteriet's control points it lands 3–11
//! cm off.
//!
//! # Speed
//! A [`ToWgs84`] is built once and holds its parsed projections; a call takes
//! about 0.3 µs (SWEREF 99) or 0.45 µs (RT 90, with the datum shift). The
//! types are `Send` and `Sync`.
//!
//! # References
//! The tests (`tests/crs.rs` and the unit tests here) use, from Lantmäteriet:
//! - "Kontrollpunkter för SWEREF 99 TM" (2007-11-20) and "Kontrollpunkter för
//!   de lokala SWEREF 99-zonerna" (2007-11-20): latitude/longitude and grid
//!   coordinates, to the millimetre;
//! - "Kontrollpunkter RT90 ↔ SWEREF 99" (2006-05-03): points A–D in SWEREF 99,
//!   RT 90 2.5 gon V and SWEREF 99 TM;
//! - "Gauss conformal projection (Transverse Mercator), Krüger's formulas"
//!   and "Parametrar till approximativa transformationssamband för
//!   direktprojektion mellan SWEREF 99 och RT 90" (2006-08-28): the formulas
//!   and the RT 90 direct-projection parameters (GRS 80, central meridian
//!   15° 48' 22.624306", k0 = 1.00000561024, false northing −667.711 m, false
//!   easting 1 500 064.274 m), which the tests implement independently of
//!   proj4rs to judge points Lantmäteriet did not publish (Stortorget,
//!   Sölvesborg);
//! - the zone table of SWEREF 99 (meridians 12 00 … 23 15, k = 1, false
//!   easting 150 000 m) and the EPSG registry names of EPSG:3006–3018, 3021.
//!
//! The control values were taken as quoted, identically, by several
//! independent open-source test suites (e.g. gauss-kruger-cpp's
//! `test_reference_points`), since the documents themselves are not
//! reachable from the build machine.

pub mod detect;
mod tm;

use std::sync::LazyLock;

use proj4rs::proj::Proj;

use crate::model::LonLat;

/// A bad or unsupported CRS, or a point that cannot be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    #[error(
        "unsupported coordinate system {0:?}; supported: EPSG:4326 (WGS 84), EPSG:3006 (SWEREF 99 TM), EPSG:3007–3018 (SWEREF 99 local zones), EPSG:3021 (RT 90 2.5 gon V)"
    )]
    Unsupported(String),
    /// [`detect::detect_projected`] could not decide; `columns` names the
    /// two columns, `reason` says why and what to pass instead.
    #[error("cannot tell the coordinate system of columns {columns}: {reason}")]
    Detection { columns: String, reason: String },
    #[error("cannot convert ({x}, {y}) from {crs}: {reason}")]
    Conversion {
        crs: String,
        x: f64,
        y: f64,
        reason: String,
    },
}

/// A supported coordinate system, by EPSG code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Crs {
    epsg: u16,
}

/// Every supported EPSG code with its official name (EPSG registry names,
/// spelled as Lantmäteriet does).
const SUPPORTED: [(u16, &str); 15] = [
    (4326, "WGS 84"),
    (3006, "SWEREF 99 TM"),
    (3007, "SWEREF 99 12 00"),
    (3008, "SWEREF 99 13 30"),
    (3009, "SWEREF 99 15 00"),
    (3010, "SWEREF 99 16 30"),
    (3011, "SWEREF 99 18 00"),
    (3012, "SWEREF 99 14 15"),
    (3013, "SWEREF 99 15 45"),
    (3014, "SWEREF 99 17 15"),
    (3015, "SWEREF 99 18 45"),
    (3016, "SWEREF 99 20 15"),
    (3017, "SWEREF 99 21 45"),
    (3018, "SWEREF 99 23 15"),
    (3021, "RT 90 2.5 gon V"),
];

impl Crs {
    pub const WGS84: Crs = Crs { epsg: 4326 };
    pub const SWEREF99_TM: Crs = Crs { epsg: 3006 };
    pub const RT90_25_GON_V: Crs = Crs { epsg: 3021 };

    /// Every supported system, WGS84 first.
    pub fn all() -> impl Iterator<Item = Crs> {
        SUPPORTED.iter().map(|&(epsg, _)| Crs { epsg })
    }

    /// A supported system by EPSG code.
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        SUPPORTED
            .iter()
            .find(|&&(epsg, _)| u32::from(epsg) == code)
            .map(|&(epsg, _)| Crs { epsg })
            .ok_or_else(|| CrsError::Unsupported(format!("EPSG:{code}")))
    }

    /// `EPSG:3006`, `epsg:3006` or `3006` (surrounding spaces allowed). The
    /// error names the text.
    pub fn parse(text: &str) -> Result<Crs, CrsError> {
        let trimmed = text.trim();
        let digits = match trimmed.get(..5) {
            Some(prefix) if prefix.eq_ignore_ascii_case("epsg:") => trimmed[5..].trim_start(),
            _ => trimmed,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CrsError::Unsupported(text.to_string()));
        }
        let code: u32 = digits
            .parse()
            .map_err(|_| CrsError::Unsupported(text.to_string()))?;
        Crs::from_epsg(code).map_err(|_| CrsError::Unsupported(text.to_string()))
    }

    pub fn epsg(self) -> u16 {
        self.epsg
    }

    /// The official name, e.g. "SWEREF 99 TM", "SWEREF 99 15 00", "RT 90 2.5 gon V".
    pub fn name(self) -> &'static str {
        SUPPORTED
            .iter()
            .find(|&&(epsg, _)| epsg == self.epsg)
            .map_or("unknown", |&(_, name)| name)
    }

    pub fn is_geographic(self) -> bool {
        self.epsg == 4326
    }

    /// True for SWEREF 99 TM and the local SWEREF 99 zones.
    pub fn is_sweref99(self) -> bool {
        (3006..=3018).contains(&self.epsg)
    }

    /// True for the local SWEREF 99 zones (EPSG:3007–3018).
    pub fn is_sweref99_local_zone(self) -> bool {
        (3007..=3018).contains(&self.epsg)
    }

    /// The proj4rs definition of this system.
    fn proj(self) -> Result<Proj, CrsError> {
        Proj::from_epsg_code(self.epsg)
            .map_err(|err| CrsError::Unsupported(format!("{self}: {err}")))
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (EPSG:{})", self.name(), self.epsg)
    }
}

/// A position in SWEREF 99 TM, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sweref99Tm {
    pub easting: f64,
    pub northing: f64,
}

/// The part of the projected plane where conversion is trusted: within
/// 5 000 km of the central meridian (Sweden lies within 500 km of it) and
/// 9 990 km of the equator. Outside it the transverse Mercator inverse series
/// return plausible-looking but wrong positions (e.g. northing 10¹² m → 32° N)
/// instead of failing. A unit test checks that every point of this box goes
/// to WGS84 and back within 1 m.
const MAX_EASTING_OFFSET_M: f64 = 5_000_000.0;
const MAX_NORTHING_OFFSET_M: f64 = 9_990_000.0;

/// A source projection and WGS84 geographic, built once.
#[derive(Clone)]
struct ProjPair {
    projected: Proj,
    geographic: Proj,
    false_easting_m: f64,
    false_northing_m: f64,
}

impl ProjPair {
    fn new(crs: Crs) -> Result<ProjPair, CrsError> {
        let projected = crs.proj()?;
        Ok(ProjPair {
            false_easting_m: projected.false_easting(),
            false_northing_m: projected.false_northing(),
            projected,
            geographic: Crs::WGS84.proj()?,
        })
    }

    /// Projected metres → (lon, lat) degrees.
    fn inverse_deg(
        &self,
        easting: f64,
        northing: f64,
    ) -> Result<(f64, f64), proj4rs::errors::Error> {
        let mut p = (easting, northing, 0.0);
        proj4rs::transform::transform(&self.projected, &self.geographic, &mut p)?;
        Ok((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// Projected metres → (lon, lat) degrees, or `None` outside the trusted
    /// box ([`MAX_EASTING_OFFSET_M`], [`MAX_NORTHING_OFFSET_M`]) or when the
    /// projection fails.
    fn checked_inverse_deg(&self, easting: f64, northing: f64) -> Option<(f64, f64)> {
        if (easting - self.false_easting_m).abs() > MAX_EASTING_OFFSET_M
            || (northing - self.false_northing_m).abs() > MAX_NORTHING_OFFSET_M
        {
            return None;
        }
        let (lon, lat) = self.inverse_deg(easting, northing).ok()?;
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }

    /// (lon, lat) degrees → projected metres.
    fn forward_deg(&self, lon: f64, lat: f64) -> Result<(f64, f64), proj4rs::errors::Error> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.geographic, &self.projected, &mut p)?;
        Ok((p.0, p.1))
    }
}

/// Converts from one supported system to WGS84. Build once, use per row.
///
/// `Send` and `Sync`: one converter may be shared between threads.
pub struct ToWgs84 {
    crs: Crs,
    /// `None` for WGS84 itself.
    pair: Option<ProjPair>,
}

impl ToWgs84 {
    pub fn new(crs: Crs) -> Result<ToWgs84, CrsError> {
        let pair = if crs.is_geographic() {
            None
        } else {
            Some(ProjPair::new(crs)?)
        };
        Ok(ToWgs84 { crs, pair })
    }

    pub fn crs(&self) -> Crs {
        self.crs
    }

    /// Converts a projected (easting, northing) — or, for WGS84, (lon, lat) —
    /// to WGS84 lon/lat.
    ///
    /// Errors on non-finite input, WGS84 input outside ±180°/±90°, and
    /// projected input more than 5 000 km east or west of the central
    /// meridian or 9 990 km from the equator (where the inverse series stop
    /// being trustworthy), or that the projection cannot invert. It does not
    /// check that the point lies in Sweden; importers do.
    pub fn convert(&self, easting: f64, northing: f64) -> Result<LonLat, CrsError> {
        let fail = |reason: &str| CrsError::Conversion {
            crs: self.crs.to_string(),
            x: easting,
            y: northing,
            reason: reason.to_string(),
        };
        if !easting.is_finite() || !northing.is_finite() {
            return Err(fail("coordinate is not a finite number"));
        }
        let (lon, lat) = match &self.pair {
            None => (easting, northing),
            Some(pair) => pair
                .checked_inverse_deg(easting, northing)
                .ok_or_else(|| fail("outside the domain of the projection"))?,
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(fail(&format!(
                "longitude {lon} or latitude {lat} out of range (±180°, ±90°)"
            )));
        }
        Ok(LonLat::new(lon, lat))
    }
}

/// SWEREF 99 TM and WGS84, built on first use; `None` only if the bundled
/// definitions failed to parse, which the tests rule out.
static SWEREF99_TM_PAIR: LazyLock<Option<ProjPair>> =
    LazyLock::new(|| ProjPair::new(Crs::SWEREF99_TM).ok());

/// WGS84 → SWEREF 99 TM.
///
/// Infallible: within Sweden the result matches Lantmäteriet's control points
/// to the millimetre, and it stays exact to well under a metre thousands of
/// kilometres further out (Poder/Engsager series). For non-finite input, or
/// input the projection cannot handle (|lat| > 90°, a longitude about 90° or
/// more from 15° E), both coordinates are NaN; callers that accept arbitrary
/// input should check `easting.is_finite()`. Inside 0–35° E, 50–75° N it
/// uses Krüger's series as Lantmäteriet publishes them (a few times faster
/// than the general projection, which it matches to 0.01 mm there).
pub fn sweref_from_wgs84(p: LonLat) -> Sweref99Tm {
    if tm::SwerefTm::covers(p) {
        let [easting, northing] = KRUGER.forward(p);
        return Sweref99Tm { easting, northing };
    }
    sweref_from_wgs84_general(p)
}

/// Krüger's series for SWEREF 99 TM, worked out once.
static KRUGER: std::sync::LazyLock<tm::SwerefTm> = std::sync::LazyLock::new(tm::SwerefTm::new);

/// [`sweref_from_wgs84`] through the general proj4rs projection (used
/// outside the box Krüger's series is tested in).
pub(crate) fn sweref_from_wgs84_general(p: LonLat) -> Sweref99Tm {
    let projected = SWEREF99_TM_PAIR
        .as_ref()
        .and_then(|pair| pair.forward_deg(p.lon, p.lat).ok())
        .filter(|(e, n)| e.is_finite() && n.is_finite());
    match projected {
        Some((easting, northing)) => Sweref99Tm { easting, northing },
        None => Sweref99Tm {
            easting: f64::NAN,
            northing: f64::NAN,
        },
    }
}

/// SWEREF 99 TM → WGS84.
///
/// Infallible: within Sweden the result matches Lantmäteriet's control points
/// to the millimetre. For non-finite input, or input outside the box that
/// [`ToWgs84::convert`] accepts (5 000 km from 15° E, 9 990 km from the
/// equator), both coordinates are NaN (check `LonLat::is_finite`). About
/// 0.3 µs per point.
pub fn wgs84_from_sweref(p: Sweref99Tm) -> LonLat {
    let geographic = SWEREF99_TM_PAIR
        .as_ref()
        .and_then(|pair| pair.checked_inverse_deg(p.easting, p.northing));
    match geographic {
        Some((lon, lat)) => LonLat::new(lon, lat),
        None => LonLat::new(f64::NAN, f64::NAN),
    }
}

/// A whole geometry (a point, line, polygon, their Multi forms or a
/// collection) from WGS84 lon/lat (x = longitude) to SWEREF 99 TM metres
/// (x = easting), vertex by vertex with [`sweref_from_wgs84`]. Project before
/// measuring: areas, lengths, distances and buffers are only meaningful in
/// metres. Vertices the projection cannot handle become NaN, as there.
pub fn sweref_from_wgs84_geometry<G: geo::MapCoords<f64, f64>>(g: &G) -> G::Output {
    g.map_coords(|c| {
        let p = sweref_from_wgs84(LonLat::new(c.x, c.y));
        geo::coord! { x: p.easting, y: p.northing }
    })
}

/// A whole geometry from SWEREF 99 TM metres back to WGS84 lon/lat, vertex
/// by vertex with [`wgs84_from_sweref`] (NaN outside its domain).
pub fn wgs84_from_sweref_geometry<G: geo::MapCoords<f64, f64>>(g: &G) -> G::Output {
    g.map_coords(|c| {
        let p = wgs84_from_sweref(Sweref99Tm {
            easting: c.x,
            northing: c.y,
        });
        geo::coord! { x: p.lon, y: p.lat }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_geometries_go_to_sweref_and_back() {
        use geo::{Area, Geometry, polygon};
        // About 1 km x 1 km around Stortorget, Sölvesborg.
        let square = polygon![
            (x: 14.583, y: 56.050),
            (x: 14.599, y: 56.050),
            (x: 14.599, y: 56.059),
            (x: 14.583, y: 56.059),
        ];
        let metres = sweref_from_wgs84_geometry(&Geometry::Polygon(square.clone()));
        let Geometry::Polygon(m) = &metres else {
            panic!("{metres:?}")
        };
        let first = sweref_from_wgs84(LonLat::new(14.583, 56.050));
        assert_eq!(m.exterior().0[0].x, first.easting);
        assert_eq!(m.exterior().0[0].y, first.northing);
        // 0.016° of longitude at 56° N is about 996 m, 0.009° of latitude about 1002 m.
        let area = m.unsigned_area();
        assert!((area - 996.0 * 1002.0).abs() < 5_000.0, "{area}");
        let back = wgs84_from_sweref_geometry(m);
        for (a, b) in back.exterior().0.iter().zip(&square.exterior().0) {
            assert!(
                (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9,
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn parse_accepts_the_three_spellings() {
        for text in [
            "EPSG:3006",
            "epsg:3006",
            "3006",
            " Epsg:3006 ",
            "EPSG: 3006",
        ] {
            assert_eq!(Crs::parse(text), Ok(Crs::SWEREF99_TM), "{text:?}");
        }
        assert_eq!(Crs::parse("EPSG:3021"), Ok(Crs::RT90_25_GON_V));
        assert_eq!(Crs::parse("4326"), Ok(Crs::WGS84));
    }

    #[test]
    fn parse_errors_name_the_text() {
        for text in [
            "EPSG:3019",
            "EPSG:",
            "",
            "sweref",
            "EPSG:-3006",
            "3006x",
            "99999999999",
        ] {
            let err = Crs::parse(text).unwrap_err();
            assert_eq!(err, CrsError::Unsupported(text.to_string()));
            assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
        }
    }

    #[test]
    fn from_epsg_knows_exactly_the_supported_codes() {
        let supported: Vec<u32> = (0..40_000).filter(|&c| Crs::from_epsg(c).is_ok()).collect();
        let mut expected: Vec<u32> = (3006..=3018).collect();
        expected.extend([3021, 4326]);
        assert_eq!(supported, expected);
        assert_eq!(
            Crs::from_epsg(3019),
            Err(CrsError::Unsupported("EPSG:3019".to_string()))
        );
    }

    #[test]
    fn names_are_official() {
        assert_eq!(Crs::WGS84.name(), "WGS 84");
        assert_eq!(Crs::SWEREF99_TM.name(), "SWEREF 99 TM");
        assert_eq!(Crs::from_epsg(3009).unwrap().name(), "SWEREF 99 15 00");
        assert_eq!(Crs::from_epsg(3008).unwrap().name(), "SWEREF 99 13 30");
        assert_eq!(Crs::RT90_25_GON_V.name(), "RT 90 2.5 gon V");
        assert_eq!(Crs::SWEREF99_TM.to_string(), "SWEREF 99 TM (EPSG:3006)");
    }

    /// The central meridian in the proj4rs definition agrees with the zone
    /// name ("SWEREF 99 15 45" → 15°45'), the scale and false easting with
    /// Lantmäteriet's published zone parameters (k = 1, E0 = 150 000 m); TM
    /// and RT 90 with theirs.
    #[test]
    fn local_zone_definitions_match_their_names() {
        for crs in Crs::all().filter(|c| c.is_sweref99_local_zone()) {
            let proj = crs.proj().unwrap();
            let name = crs.name();
            let mut parts = name.rsplit(' ');
            let minutes: f64 = parts.next().unwrap().parse().unwrap();
            let degrees: f64 = parts.next().unwrap().parse().unwrap();
            let lon0 = degrees + minutes / 60.0;
            assert!(
                (proj.longitude_of_origin().to_degrees() - lon0).abs() < 1e-12,
                "{crs}"
            );
            assert_eq!(proj.scaling_factor(), 1.0, "{crs}");
            assert_eq!(proj.false_easting(), 150_000.0, "{crs}");
            assert_eq!(proj.false_northing(), 0.0, "{crs}");
        }
        // RT 90 2.5 gon V: 2.5 gon west of Stockholm's old observatory, i.e.
        // 15° 48' 29.8" E, k = 1, E0 = 1 500 000 m on the Bessel ellipsoid.
        // (Its towgs84 datum shift cannot be read back from proj4rs; the
        // control-point test in tests/crs.rs would miss by hundreds of metres
        // without it.)
        let rt90 = Crs::RT90_25_GON_V.proj().unwrap();
        let lon0 = 15.0 + 48.0 / 60.0 + 29.8 / 3600.0;
        assert!((rt90.longitude_of_origin().to_degrees() - lon0).abs() < 1e-9);
        assert_eq!(rt90.scaling_factor(), 1.0);
        assert_eq!(rt90.false_easting(), 1_500_000.0);
        let (a_m, _) = rt90.ellipse_parameters();
        assert_eq!(a_m, 6_377_397.155);
        let tm = Crs::SWEREF99_TM.proj().unwrap();
        assert!((tm.longitude_of_origin().to_degrees() - 15.0).abs() < 1e-12);
        assert_eq!(tm.scaling_factor(), 0.9996);
        assert_eq!(tm.false_easting(), 500_000.0);
    }

    /// Each projected system: a grid of points over its part of Sweden goes
    /// to WGS84 and back within 1 mm.
    #[test]
    fn every_system_round_trips_within_a_millimetre() {
        for crs in Crs::all().filter(|c| !c.is_geographic()) {
            let pair = ProjPair::new(crs).unwrap();
            let to_wgs84 = ToWgs84::new(crs).unwrap();
            let lon0 = pair.projected.longitude_of_origin().to_degrees();
            for lat in [55.3, 56.05, 59.3, 63.8, 67.9] {
                for dlon in [-1.5, -0.4, 0.0, 0.7, 1.5] {
                    let (e, n) = pair.forward_deg(lon0 + dlon, lat).unwrap();
                    let back = to_wgs84.convert(e, n).unwrap();
                    let (e2, n2) = pair.forward_deg(back.lon, back.lat).unwrap();
                    // RT 90: proj4rs reverses the Helmert shift with the
                    // transposed rotation matrix, which is off by up to
                    // about 1 cm (rotation² × earth radius); the projection
                    // itself round-trips within 1 mm (checked below).
                    let tolerance_m = if crs == Crs::RT90_25_GON_V {
                        0.01
                    } else {
                        1e-3
                    };
                    assert!(
                        (e - e2).abs() < tolerance_m && (n - n2).abs() < tolerance_m,
                        "{crs}: ({e}, {n}) → {back:?} → ({e2}, {n2})"
                    );
                    // 1e-8° is about 1 mm of latitude.
                    let tolerance_deg = tolerance_m * 1e-5;
                    assert!(
                        (back.lat - lat).abs() < tolerance_deg
                            && (back.lon - lon0 - dlon).abs() < 2.0 * tolerance_deg,
                        "{crs}: ({}, {lat}) vs {back:?}",
                        lon0 + dlon
                    );
                }
            }
        }
    }

    /// RT 90 without its datum shift: the projection alone, to and from
    /// Bessel geographic coordinates, round-trips within 1 mm.
    #[test]
    fn rt90_projection_round_trips_within_a_millimetre() {
        let pair = ProjPair {
            false_easting_m: 1_500_000.0,
            false_northing_m: 0.0,
            projected: Crs::RT90_25_GON_V.proj().unwrap(),
            geographic: Proj::from_proj_string("+proj=longlat +ellps=bessel +towgs84=414.1,41.3,603.1,-0.855,2.141,-7.023,0 +no_defs").unwrap(),
        };
        for lat in [55.3, 56.05, 59.3, 63.8, 67.9] {
            for lon in [11.0, 14.58, 15.8, 19.0, 24.0] {
                let (e, n) = pair.forward_deg(lon, lat).unwrap();
                let (lon2, lat2) = pair.inverse_deg(e, n).unwrap();
                let (e2, n2) = pair.forward_deg(lon2, lat2).unwrap();
                assert!(
                    (e - e2).abs() < 1e-3 && (n - n2).abs() < 1e-3,
                    "{lon} {lat}"
                );
                assert!(
                    (lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9,
                    "{lon} {lat}"
                );
            }
        }
    }

    /// Inside the trusted box every point goes to WGS84 and back within 1 m
    /// (RT 90: the Helmert reversal adds up to some centimetres far away);
    /// just outside it, the inverse series would already return garbage.
    #[test]
    fn trusted_box_round_trips() {
        for crs in [
            Crs::SWEREF99_TM,
            Crs::RT90_25_GON_V,
            Crs::from_epsg(3009).unwrap(),
        ] {
            let pair = ProjPair::new(crs).unwrap();
            let step_e = MAX_EASTING_OFFSET_M / 50.0;
            let step_n = MAX_NORTHING_OFFSET_M / 50.0;
            for i in -50..=50 {
                for j in -50..=50 {
                    let e = pair.false_easting_m + f64::from(i) * step_e;
                    let n = pair.false_northing_m + f64::from(j) * step_n;
                    let (lon, lat) = pair.checked_inverse_deg(e, n).unwrap();
                    let (e2, n2) = pair.forward_deg(lon, lat).unwrap();
                    assert!((e2 - e).hypot(n2 - n) < 1.0, "{crs}: ({e}, {n})");
                }
            }
            // Far outside: 16 600 km east of the meridian, near the pole, the
            // inverse series answer without error but wrongly.
            let (e, n) = (pair.false_easting_m + 16_600_000.0, 9_934_234.0);
            assert_eq!(pair.checked_inverse_deg(e, n), None, "{crs}");
            if let Ok((lon, lat)) = pair.inverse_deg(e, n) {
                let back = pair.forward_deg(lon, lat).unwrap_or((f64::NAN, f64::NAN));
                let miss_m = (back.0 - e).hypot(back.1 - n);
                assert!(miss_m.is_nan() || miss_m > 1.0, "{crs}: {miss_m}");
            }
        }
    }

    #[test]
    fn wgs84_is_the_identity() {
        let t = ToWgs84::new(Crs::WGS84).unwrap();
        assert_eq!(t.convert(14.583, 56.0505), Ok(LonLat::new(14.583, 56.0505)));
        assert!(matches!(
            t.convert(14.583, 96.0),
            Err(CrsError::Conversion { .. })
        ));
        assert!(matches!(
            t.convert(200.0, 56.0),
            Err(CrsError::Conversion { .. })
        ));
    }

    #[test]
    fn non_finite_and_out_of_domain_input_is_an_error() {
        for crs in [Crs::WGS84, Crs::SWEREF99_TM, Crs::RT90_25_GON_V] {
            let t = ToWgs84::new(crs).unwrap();
            for (x, y) in [
                (f64::NAN, 6.2e6),
                (5.0e5, f64::INFINITY),
                (f64::NEG_INFINITY, 0.0),
            ] {
                let err = t.convert(x, y).unwrap_err();
                assert!(
                    err.to_string().contains("not a finite number"),
                    "{crs}: {err}"
                );
            }
        }
        let t = ToWgs84::new(Crs::SWEREF99_TM).unwrap();
        for (x, y) in [(5.0e5, 1.0e12), (1.0e12, 6.2e6), (-1.0e12, -1.0e12)] {
            match t.convert(x, y) {
                Err(CrsError::Conversion { crs, .. }) => {
                    assert_eq!(crs, "SWEREF 99 TM (EPSG:3006)")
                }
                other => panic!("({x}, {y}) gave {other:?}"),
            }
        }
    }

    #[test]
    fn sweref_helpers_round_trip_and_agree_with_to_wgs84() {
        let t = ToWgs84::new(Crs::SWEREF99_TM).unwrap();
        let stortorget = LonLat::new(14.583, 56.0505);
        let s = sweref_from_wgs84(stortorget);
        // Sölvesborg lies west of 15° E and at about 6.21 million metres north.
        assert!((450_000.0..500_000.0).contains(&s.easting), "{s:?}");
        assert!((6_200_000.0..6_220_000.0).contains(&s.northing), "{s:?}");
        let back = wgs84_from_sweref(s);
        assert!(
            (back.lon - stortorget.lon).abs() < 1e-9 && (back.lat - stortorget.lat).abs() < 1e-9
        );
        assert_eq!(t.convert(s.easting, s.northing), Ok(back));
    }

    #[test]
    fn sweref_helpers_give_nan_instead_of_panicking() {
        let s = sweref_from_wgs84(LonLat::new(f64::NAN, 56.0));
        assert!(s.easting.is_nan() && s.northing.is_nan());
        let s = sweref_from_wgs84(LonLat::new(15.0, 95.0));
        assert!(s.easting.is_nan() && s.northing.is_nan());
        let p = wgs84_from_sweref(Sweref99Tm {
            easting: f64::INFINITY,
            northing: 6.2e6,
        });
        assert!(!p.is_finite());
    }

    #[test]
    fn converters_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<ToWgs84>();
    }
}
