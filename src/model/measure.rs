//! Measures (insatser): what the unit did about a problem, where and when.
//!
//! A measure names the problem it addresses as a stored [`Filter`] from the
//! lägesbild (categories, sources, hours, weekdays; its dates are not used:
//! the evaluation sets its own periods), the place in words, the area it
//! covers (polygons in WGS 84), its start and optional end date (local
//! dates, inclusive), who is responsible and a note ("trygghetsvärdar
//! fre–lör kvällar", "ny belysning i parken"). Plain data; the store keeps
//! measures as the GeoPackage feature table `measures`.

use chrono::NaiveDate;
use geo::MultiPolygon;

use super::Filter;

/// Longest measure name, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// One measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The store's id (`None` before it is stored).
    pub fid: Option<i64>,
    /// Unique within a project (compared exactly); the CLI's `--measure NAME`.
    pub name: String,
    /// The problem the measure addresses, as a filter (dates ignored).
    pub problem: Filter,
    /// The place in words, e.g. "Stadsparken" (may be empty).
    pub place: String,
    /// The area the measure covers, WGS 84 (x = longitude).
    pub area: MultiPolygon<f64>,
    /// First local date of the measure.
    pub start: NaiveDate,
    /// Last local date (inclusive); `None` while it goes on.
    pub end: Option<NaiveDate>,
    /// Who is responsible (a role or unit, e.g. "trygghetssamordnare").
    pub responsible: String,
    pub note: String,
}

/// Why a measure cannot be stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("a measure needs a name")]
    NoName,
    #[error("measure name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("measure name contains a control character")]
    NameControl,
    #[error("the end date {end} is before the start date {start}")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("a measure needs an area with at least one polygon")]
    NoArea,
    #[error("the area has a coordinate that is not a WGS 84 longitude/latitude: ({0}, {1})")]
    NotWgs84(f64, f64),
}

impl Measure {
    /// Checks what the store relies on: a clean name, the date order and an
    /// area of finite WGS 84 polygons.
    pub fn validate(&self) -> Result<(), MeasureError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(MeasureError::NoName);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(MeasureError::NameTooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(MeasureError::NameControl);
        }
        if let Some(end) = self.end
            && end < self.start
        {
            return Err(MeasureError::EndBeforeStart {
                start: self.start,
                end,
            });
        }
        if self.area.0.is_empty() {
            return Err(MeasureError::NoArea);
        }
        for c in geo::CoordsIter::coords_iter(&self.area) {
            let ok = c.x.is_finite()
                && c.y.is_finite()
                && (-180.0..=180.0).contains(&c.x)
                && (-90.0..=90.0).contains(&c.y);
            if !ok {
                return Err(MeasureError::NotWgs84(c.x, c.y));
            }
        }
        Ok(())
    }

    /// The problem filter as stored (JSON, dates dropped).
    pub fn problem_json(&self) -> String {
        let problem = Filter {
            from: None,
            to: None,
            ..self.problem.clone()
        };
        serde_json::to_string(&problem).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads [`Measure::problem_json`]'s text.
    pub fn problem_from_json(text: &str) -> Result<Filter, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::polygon;

    pub(crate) fn park() -> Measure {
        Measure {
            fid: None,
            name: "Belysning i parken".into(),
            problem: Filter {
                categories: Some(Filter::parse_categories("skadegorelse").unwrap()),
                hours: Some("18-2".parse().unwrap()),
                ..Filter::default()
            },
            place: "Stadsparken".into(),
            area: MultiPolygon(vec![polygon![
                (x: 14.58, y: 56.05), (x: 14.59, y: 56.05), (x: 14.59, y: 56.06),
                (x: 14.58, y: 56.06), (x: 14.58, y: 56.05)
            ]]),
            start: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            end: None,
            responsible: "Tekniska förvaltningen".into(),
            note: "ny belysning i parken".into(),
        }
    }

    #[test]
    fn validation_names_the_problem() {
        assert_eq!(park().validate(), Ok(()));
        let mut m = park();
        m.name = "  ".into();
        assert_eq!(m.validate(), Err(MeasureError::NoName));
        let mut m = park();
        m.end = NaiveDate::from_ymd_opt(2025, 2, 1);
        assert!(matches!(
            m.validate(),
            Err(MeasureError::EndBeforeStart { .. })
        ));
        let mut m = park();
        m.area = MultiPolygon(vec![]);
        assert_eq!(m.validate(), Err(MeasureError::NoArea));
        let mut m = park();
        m.area = MultiPolygon(vec![polygon![
            (x: 470_000.0, y: 6_200_000.0), (x: 470_100.0, y: 6_200_000.0),
            (x: 470_100.0, y: 6_200_100.0), (x: 470_000.0, y: 6_200_000.0)
        ]]);
        assert!(matches!(m.validate(), Err(MeasureError::NotWgs84(..))));
    }

    #[test]
    fn the_problem_filter_round_trips_without_dates() {
        let mut m = park();
        m.problem.from = NaiveDate::from_ymd_opt(2024, 1, 1);
        let back = Measure::problem_from_json(&m.problem_json()).unwrap();
        assert_eq!(back.from, None);
        assert_eq!(back.categories, m.problem.categories);
        assert_eq!(back.hours, m.problem.hours);
    }
}
