//! The seeded, **synthetic** demo project for Sölvesborgs kommun.
//!
//! Incidents cluster where one would expect them (centrum and Stortorget, the
//! station, the harbour, schools, Mjällby, Hällevik, Nogersund, Norje, Pukavik
//! …), peak on evenings, nights and weekends over two years, and cover every
//! category and source, plus a few hundred "otrygghet" points as from a safety
//! walk. The same parameters always give the same incidents.
//!
//! # How the data is made
//! - **Random numbers** come from one [`ChaCha8Rng`] seeded with
//!   [`DemoParams::seed`], so the output is the same on every platform; uids
//!   are drawn from the same generator (never from the OS).
//! - **Time span**: two years of local dates ending on [`LAST_DAY`]
//!   (2026-10-31), so the output never depends on today's date.
//! - **Places**: a table of hotspots lists real places with a radius of tens to a few
//!   hundred metres and a weight; the town centre and the station dominate.
//!   Positions were set by hand from public map knowledge, not surveyed: good
//!   to a few hundred metres at worst, and kept on land near harbours by small
//!   radii. Check them against a map before relying on any single place. Points scatter around
//!   the centre with a normal distribution cut at the radius.
//! - **Hours** follow a weighted profile peaking 20–02; Friday and Saturday
//!   evenings and the nights after them are about twice as likely as other
//!   evenings. Reports from schools follow school hours on weekdays.
//! - **Seasons**: the harbours and beaches get about three times as much in
//!   June–August; the Norje festival area has incidents only in June.
//! - **Mix**: categories depend on the kind of place, sources on the category
//!   (fires mostly from räddningstjänst, drugs from the police, perceived
//!   unsafety from citizens and security hosts).
//! - **Coarse police events** (2 %) sit at the municipality centre with
//!   [`Precision::MUNICIPALITY_M`], as the police's open events list places them.
//! - **Safety walk** (5 %): otrygghet points along a walking route through the
//!   centre on two weekday evenings, source medborgare.
//!
//! Descriptions, where present, say plainly that they are synthetic.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Normal;

use crate::jobs::{CancelToken, NoProgress, Progress};
use crate::model::{Category, Incident, LonLat, Precision, Source, time};
use crate::store::{self, ProjectInfo, StoreError};

/// Parameters of the generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoParams {
    /// Number of incidents (the safety-walk points included).
    pub count: usize,
    pub seed: u64,
}

impl Default for DemoParams {
    fn default() -> Self {
        Self {
            count: 6_000,
            seed: 2026,
        }
    }
}

/// The project name written into demo projects' metadata.
pub const DEMO_NAME: &str = "Sölvesborgs kommun – syntetisk demo";

/// The description written into demo projects' metadata.
pub const DEMO_DESCRIPTION: &str = "Syntetiska demodata: alla händelser är påhittade och slumpmässigt genererade för att visa appen; de beskriver inga verkliga händelser. (Synthetic demo data: every incident is made up.)";

/// The value of `import_file` and the import log's file name for demo data.
pub const DEMO_IMPORT_FILE: &str = "demo";

/// The last local date of the demo data (its first is two years earlier).
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 10, 31) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// The first local date of the demo data.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2024, 11, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// Lower-left and upper-right corner every demo position lies within: the
/// land part of Sölvesborgs kommun with a small margin (Pukavik in the north
/// lies at about 56.165 N).
pub const MUNICIPALITY_BOUNDS: (LonLat, LonLat) = (
    LonLat {
        lon: 14.35,
        lat: 55.98,
    },
    LonLat {
        lon: 14.85,
        lat: 56.18,
    },
);

/// Where the police's open events put "Sölvesborg" (the municipality centre).
pub const MUNICIPALITY_CENTRE: LonLat = LonLat {
    lon: 14.58568,
    lat: 56.050608,
};

/// What kind of place a hotspot is; decides the category mix and season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Centre,
    Station,
    Harbour,
    School,
    Park,
    Village,
    Beach,
    Festival,
}

/// A place where incidents cluster.
struct Hotspot {
    name: &'static str,
    lon: f64,
    lat: f64,
    radius_m: f64,
    weight: f64,
    kind: Kind,
}

const fn spot(
    name: &'static str,
    lat: f64,
    lon: f64,
    radius_m: f64,
    weight: f64,
    kind: Kind,
) -> Hotspot {
    Hotspot {
        name,
        lon,
        lat,
        radius_m,
        weight,
        kind,
    }
}

/// The places, with positions (lat, lon) looked up by hand.
const HOTSPOTS: &[Hotspot] = &[
    spot("Stortorget", 56.0505, 14.5830, 60.0, 22.0, Kind::Centre),
    spot("Södergatan", 56.0493, 14.5843, 80.0, 12.0, Kind::Centre),
    spot(
        "Sölvesborgs station",
        56.0502,
        14.5792,
        70.0,
        18.0,
        Kind::Station,
    ),
    spot("Gästhamnen", 56.0480, 14.5802, 40.0, 6.0, Kind::Harbour),
    spot("Slottsparken", 56.0527, 14.5862, 70.0, 6.0, Kind::Park),
    spot(
        "Norrevångsskolan",
        56.0578,
        14.5878,
        80.0,
        4.0,
        Kind::School,
    ),
    spot("Lyckans skola", 56.0458, 14.5978, 70.0, 3.0, Kind::School),
    spot("Furulundsskolan", 56.0553, 14.5955, 70.0, 3.0, Kind::School),
    spot(
        "Mjällby centrum",
        56.0240,
        14.6760,
        150.0,
        6.0,
        Kind::Village,
    ),
    spot("Hällevik", 56.0110, 14.7010, 150.0, 3.0, Kind::Village),
    spot("Hällevik hamn", 56.0092, 14.7045, 50.0, 3.0, Kind::Harbour),
    spot("Hällevik strand", 56.0120, 14.6960, 100.0, 2.0, Kind::Beach),
    spot("Nogersund hamn", 56.0058, 14.7365, 60.0, 2.5, Kind::Harbour),
    spot("Hörvik", 56.0440, 14.7630, 150.0, 2.0, Kind::Village),
    spot("Norje", 56.1190, 14.6780, 200.0, 2.0, Kind::Village),
    spot("Norje Boke", 56.1160, 14.6690, 250.0, 2.0, Kind::Festival),
    spot("Pukavik", 56.1650, 14.6840, 200.0, 1.0, Kind::Village),
    spot("Ysane", 56.0880, 14.5400, 200.0, 0.8, Kind::Village),
];

/// The safety walk's route through the centre: (name, lat, lon).
const WALK_ROUTE: &[(&str, f64, f64)] = &[
    ("Sölvesborgs station", 56.0502, 14.5792),
    ("Stationsgatan", 56.0504, 14.5812),
    ("Stortorget", 56.0505, 14.5830),
    ("Södergatan", 56.0493, 14.5843),
    ("Slottsparken", 56.0527, 14.5862),
    ("Norregatan", 56.0545, 14.5850),
    ("Norrevångsskolan", 56.0578, 14.5878),
];

/// The two safety-walk evenings (a Tuesday and a Thursday), local start time
/// and duration in minutes.
const WALK_EVENINGS: [(i32, u32, u32, u32, u32, i64); 2] =
    [(2025, 9, 23, 18, 0, 150), (2026, 4, 16, 18, 30, 150)];

/// Relative weight of each local hour 0–23 for incidents outside schools.
const EVENING_HOURS: [f64; 24] = [
    5.0, 4.0, 3.5, 2.0, 1.0, 0.8, 0.8, 1.2, 1.5, 1.5, 1.6, 1.8, 2.0, 2.0, 2.2, 2.6, 2.8, 3.0, 3.8,
    4.5, 5.5, 6.0, 6.5, 6.0,
];

/// Relative weight of each local hour for reports from schools.
const SCHOOL_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 3.0, 4.0, 4.0, 4.0, 5.0, 4.0, 4.0, 3.0, 1.5, 0.5, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0,
];

/// Category weights in [`Category::ALL`] order per kind of place.
fn category_weights(kind: Kind) -> [f64; 8] {
    match kind {
        Kind::Centre => [20.0, 10.0, 14.0, 22.0, 12.0, 3.0, 12.0, 7.0],
        Kind::Station => [22.0, 15.0, 12.0, 18.0, 10.0, 3.0, 14.0, 6.0],
        Kind::Harbour => [15.0, 10.0, 10.0, 25.0, 15.0, 5.0, 12.0, 8.0],
        Kind::School => [40.0, 10.0, 10.0, 10.0, 10.0, 8.0, 6.0, 6.0],
        Kind::Park => [18.0, 30.0, 10.0, 14.0, 4.0, 5.0, 14.0, 5.0],
        Kind::Village => [22.0, 8.0, 8.0, 12.0, 20.0, 12.0, 8.0, 10.0],
        Kind::Beach => [12.0, 10.0, 8.0, 30.0, 18.0, 8.0, 8.0, 6.0],
        Kind::Festival => [6.0, 30.0, 14.0, 25.0, 15.0, 2.0, 3.0, 5.0],
    }
}

/// Source weights in [`Source::ALL`] order (polis, trygghetsvärd, skola,
/// socialtjänst, räddningstjänst, medborgare, övrigt) per category.
fn source_weights(category: Category) -> [f64; 7] {
    match category {
        Category::Skadegorelse => [25.0, 35.0, 15.0, 0.0, 0.0, 15.0, 10.0],
        Category::Narkotika => [75.0, 10.0, 5.0, 10.0, 0.0, 0.0, 0.0],
        Category::Vald => [70.0, 12.0, 8.0, 5.0, 0.0, 3.0, 2.0],
        Category::Ordningsstorning => [35.0, 45.0, 5.0, 0.0, 0.0, 12.0, 3.0],
        Category::Stold => [70.0, 5.0, 5.0, 0.0, 0.0, 15.0, 5.0],
        Category::Brand => [10.0, 0.0, 2.0, 0.0, 85.0, 3.0, 0.0],
        Category::Otrygghet => [3.0, 27.0, 5.0, 5.0, 0.0, 60.0, 0.0],
        Category::Ovrigt => [15.0, 15.0, 10.0, 30.0, 5.0, 10.0, 15.0],
    }
}

/// Seasonal acceptance factor (0–1) for a kind of place in a month.
fn season_factor(kind: Kind, month: u32) -> f64 {
    match kind {
        Kind::Harbour | Kind::Beach => match month {
            6..=8 => 1.0,
            5 | 9 => 0.5,
            _ => 0.3,
        },
        Kind::Festival => {
            if month == 6 {
                1.0
            } else {
                0.0
            }
        }
        _ => match month {
            6..=8 => 1.0,
            12 | 1 | 2 => 0.8,
            _ => 0.9,
        },
    }
}

/// Original category texts for [`Category::Ovrigt`].
const OTHER_TEXTS: [&str; 5] = [
    "Nedskräpning",
    "Rattfylleri",
    "Oro för person",
    "Hittegods",
    "Djur på vägen",
];

/// Short, obviously synthetic descriptions per category.
fn synthetic_description(category: Category, pick: usize) -> String {
    let what: &[&str] = match category {
        Category::Skadegorelse => &["klotter på vägg", "krossad ruta", "sönderslagen bänk"],
        Category::Narkotika => &["misstänkt langning", "kvarlämnade sprutor"],
        Category::Vald => &["bråk mellan ungdomar", "knuff vid busshållplats"],
        Category::Ordningsstorning => &["hög musik sent", "berusat sällskap"],
        Category::Stold => &["cykelstöld", "inbrott i förråd"],
        Category::Brand => &["brand i papperskorg", "brand i container"],
        Category::Otrygghet => &["dålig belysning", "folksamling upplevs hotfull"],
        Category::Ovrigt => &["övrig iakttagelse"],
    };
    format!(
        "Syntetisk händelse (demodata): {}.",
        what[pick % what.len()]
    )
}

/// Picks an index by weights; the weights are constants with a positive sum.
fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    match WeightedIndex::new(weights) {
        Ok(w) => w.sample(rng),
        Err(_) => 0,
    }
}

/// Which hour and weekday pattern a draw follows.
#[derive(Clone, Copy)]
enum TimeProfile {
    /// Evenings and nights, more on Friday and Saturday nights.
    Evening,
    /// School hours, Monday to Friday.
    School,
}

/// Draws a local time by rejection: a uniform date, an hour from the profile,
/// accepted with the product of the season and weekday factors.
fn sample_time(
    rng: &mut ChaCha8Rng,
    profile: TimeProfile,
    kind: Kind,
    hours: &(WeightedIndex<f64>, WeightedIndex<f64>),
) -> chrono::DateTime<chrono::Utc> {
    let days = (LAST_DAY - FIRST_DAY).num_days() as u64 + 1;
    loop {
        let date = FIRST_DAY + Days::new(rng.random_range(0..days));
        let hour = match profile {
            TimeProfile::Evening => hours.0.sample(rng),
            TimeProfile::School => hours.1.sample(rng),
        } as u32;
        let minute = rng.random_range(0..60u32);
        let weekday_factor = match profile {
            TimeProfile::Evening => {
                // The night after midnight belongs to the evening before.
                let evening = if hour < 6 {
                    date.pred_opt().unwrap_or(date)
                } else {
                    date
                };
                let night = !(6..18).contains(&hour);
                if night && matches!(evening.weekday(), Weekday::Fri | Weekday::Sat) {
                    1.0
                } else {
                    0.45
                }
            }
            TimeProfile::School => match date.weekday() {
                Weekday::Sat | Weekday::Sun => 0.05,
                _ => 1.0,
            },
        };
        let accept = season_factor(kind, date.month()) * weekday_factor;
        if rng.random::<f64>() >= accept {
            continue;
        }
        let Some(clock) = NaiveTime::from_hms_opt(hour, minute, 0) else {
            continue;
        };
        // A time in the spring-forward gap never happened: draw again.
        if let Ok(t) = time::utc_from_local(NaiveDateTime::new(date, clock)) {
            return t;
        }
    }
}

/// A point scattered around `centre` (normal, sigma half the radius, cut at
/// the radius), offsets converted from metres to degrees.
fn scatter(rng: &mut ChaCha8Rng, lon: f64, lat: f64, radius_m: f64) -> LonLat {
    const M_PER_DEG_LAT: f64 = 111_320.0;
    let sigma_m = radius_m / 2.0;
    let normal = Normal::new(0.0, sigma_m).ok();
    let (dx_m, dy_m) = loop {
        let (dx, dy) = match &normal {
            Some(n) => (n.sample(rng), n.sample(rng)),
            None => (0.0, 0.0),
        };
        if dx * dx + dy * dy <= radius_m * radius_m {
            break (dx, dy);
        }
    };
    let m_per_deg_lon = M_PER_DEG_LAT * lat.to_radians().cos();
    LonLat::new(lon + dx_m / m_per_deg_lon, lat + dy_m / M_PER_DEG_LAT)
}

fn new_uid(rng: &mut ChaCha8Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random::<[u8; 16]>())
        .into_uuid()
        .to_string()
}

fn precision_for(source: Source) -> f64 {
    match source {
        Source::Trygghetsvard => 25.0,
        Source::Medborgare => 50.0,
        _ => Precision::EXACT_M,
    }
}

/// Generates the demo incidents (deterministic for given params).
///
/// Incidents come out oldest first, with external ids `DEMO-000001` … in that
/// order and `import_file` [`DEMO_IMPORT_FILE`].
pub fn generate(params: DemoParams) -> Vec<Incident> {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let walk_count = params.count * 5 / 100;
    let coarse_count = params.count * 2 / 100;
    let cluster_count = params.count - walk_count - coarse_count;

    let (Ok(evening), Ok(school)) = (
        WeightedIndex::new(EVENING_HOURS),
        WeightedIndex::new(SCHOOL_HOURS),
    ) else {
        return Vec::new();
    };
    let hours = (evening, school);
    let spot_weights: Vec<f64> = HOTSPOTS.iter().map(|h| h.weight).collect();
    let mut out = Vec::with_capacity(params.count);

    for _ in 0..cluster_count {
        let spot = &HOTSPOTS[pick(&mut rng, &spot_weights)];
        let category = Category::ALL[pick(&mut rng, &category_weights(spot.kind))];
        let mut source = Source::ALL[pick(&mut rng, &source_weights(category))];
        if spot.kind == Kind::School && category != Category::Brand && rng.random_bool(0.4) {
            source = Source::Skola;
        }
        let profile = if source == Source::Skola {
            TimeProfile::School
        } else {
            TimeProfile::Evening
        };
        let occurred_at = sample_time(&mut rng, profile, spot.kind, &hours);
        let position = scatter(&mut rng, spot.lon, spot.lat, spot.radius_m);
        let mut incident = Incident::new(
            occurred_at,
            category,
            source,
            position,
            precision_for(source),
        );
        incident.uid = new_uid(&mut rng);
        if rng.random_bool(0.6) {
            incident.place = Some(spot.name.to_owned());
        }
        if category == Category::Ovrigt {
            let text = OTHER_TEXTS[rng.random_range(0..OTHER_TEXTS.len())];
            incident.category_text = Some(text.to_owned());
        }
        if rng.random_bool(0.04) {
            let n = rng.random_range(0..8);
            incident.description = Some(synthetic_description(category, n));
        }
        out.push(incident);
    }

    // Coarse police events: only the municipality is known.
    const POLICE_MIX: [f64; 8] = [25.0, 15.0, 25.0, 10.0, 20.0, 3.0, 0.0, 2.0];
    for _ in 0..coarse_count {
        let category = Category::ALL[pick(&mut rng, &POLICE_MIX)];
        let occurred_at = sample_time(&mut rng, TimeProfile::Evening, Kind::Centre, &hours);
        let mut incident = Incident::new(
            occurred_at,
            category,
            Source::Polis,
            MUNICIPALITY_CENTRE,
            Precision::MUNICIPALITY_M,
        );
        incident.uid = new_uid(&mut rng);
        incident.place = Some("Sölvesborg".to_owned());
        if category == Category::Ovrigt {
            incident.category_text = Some("Rattfylleri".to_owned());
        }
        out.push(incident);
    }

    // The safety walk: points along the route, in walking order and time.
    let segments = WALK_ROUTE.len() - 1;
    for i in 0..walk_count {
        let (y, m, d, h, min, duration_min) = WALK_EVENINGS[usize::from(i >= walk_count / 2)];
        let progress: f64 = rng.random();
        let segment = ((progress * segments as f64) as usize).min(segments - 1);
        let along = progress * segments as f64 - segment as f64;
        let (name_a, lat_a, lon_a) = WALK_ROUTE[segment];
        let (name_b, lat_b, lon_b) = WALK_ROUTE[segment + 1];
        let lat = lat_a + (lat_b - lat_a) * along;
        let lon = lon_a + (lon_b - lon_a) * along;
        let position = scatter(&mut rng, lon, lat, 15.0);
        let start = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .and_then(|t| time::utc_from_local(t).ok())
            .unwrap_or_default();
        let offset_s = (progress * duration_min as f64 * 60.0) as i64;
        let occurred_at = start + chrono::Duration::seconds(offset_s);
        let mut incident = Incident::new(
            occurred_at,
            Category::Otrygghet,
            Source::Medborgare,
            position,
            precision_for(Source::Medborgare),
        );
        incident.uid = new_uid(&mut rng);
        let nearest = if along < 0.5 { name_a } else { name_b };
        incident.place = Some(format!("Trygghetsvandring, {nearest}"));
        if rng.random_bool(0.2) {
            let n = rng.random_range(0..8);
            incident.description = Some(synthetic_description(Category::Otrygghet, n));
        }
        out.push(incident);
    }

    out.sort_by_key(|i| i.occurred_at);
    for (n, incident) in out.iter_mut().enumerate() {
        incident.external_id = Some(format!("DEMO-{:06}", n + 1));
        incident.import_file = Some(DEMO_IMPORT_FILE.to_owned());
    }
    out
}

/// Writes a new demo project at `path` (which must not exist), marked
/// synthetic in its metadata, with the boundary of Sölvesborgs kommun shipped
/// in `data/` as its study area (coarse; see `data/README.md`).
///
/// Progress: stage "demo" counting incidents, then the store's own stages.
pub fn write_project(
    path: &Path,
    params: DemoParams,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ProjectInfo, StoreError> {
    let incidents = generate(params);
    let mut project = store::create(path, DEMO_NAME)?;
    project.set_metadata("synthetic", "true")?;
    project.set_metadata("description", DEMO_DESCRIPTION)?;
    crate::analysis::engine::keep_area(
        project.as_mut(),
        &crate::analysis::inputs::default_boundary(),
    )?;
    {
        let mut session = project.begin_import(DEMO_IMPORT_FILE)?;
        progress.stage("demo", incidents.len() as u64);
        for chunk in incidents.chunks(500) {
            cancel.check()?;
            for incident in chunk {
                session.push(incident)?;
            }
            progress.advance(chunk.len() as u64);
        }
        session.commit(progress, cancel)?;
    }
    project.info()
}

/// Where the app keeps its own demo project: the user's data directory
/// (`~/.local/share/lagesbild/demo-solvesborg-2026.gpkg` on Linux, the number
/// being the default seed). `None` when the system names no data directory.
pub fn default_project_path() -> Option<PathBuf> {
    let file = format!("demo-solvesborg-{}.gpkg", DemoParams::default().seed);
    dirs::data_dir().map(|d| d.join("lagesbild").join(file))
}

/// The demo project's path, writing it first if it is not there yet.
pub fn ensure_default_project() -> Result<PathBuf, StoreError> {
    let Some(path) = default_project_path() else {
        return Err(StoreError::NotAProject {
            path: PathBuf::from("lagesbild/demo-solvesborg.gpkg"),
            reason: "the system names no user data directory (is HOME set?)".to_owned(),
        });
    };
    ensure_project_at(&path)?;
    Ok(path)
}

/// What lies at the demo project's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    Nothing,
    /// A project marked synthetic: kept.
    Demo,
    /// A project without the synthetic flag: real data, never overwritten.
    RealProject,
    /// Not a project (damaged, half-written, or some other file).
    Unusable,
}

fn existing(path: &Path) -> Existing {
    if !path.exists() {
        return Existing::Nothing;
    }
    match store::open(path) {
        Ok(p) => match p.metadata("synthetic") {
            Ok(Some(v)) if v == "true" => Existing::Demo,
            Ok(_) => Existing::RealProject,
            Err(_) => Existing::Unusable,
        },
        Err(_) => Existing::Unusable,
    }
}

/// Makes sure a demo project with default parameters exists at `path`:
/// keeps an existing file that opens as a synthetic project, otherwise
/// (re)generates it, creating the directory. A project there that is *not*
/// marked synthetic holds someone's real data: it is moved aside to
/// `<name>.kept-<unix seconds>` rather than overwritten. Any other file there
/// (damaged, not a project) is replaced.
///
/// The project is written under a temporary name unique to this process and
/// renamed into place, so two app instances starting at once never see a
/// half-written file; if another instance finished first, its file is kept.
pub fn ensure_project_at(path: &Path) -> Result<(), StoreError> {
    let before = existing(path);
    if before == Existing::Demo {
        return Ok(());
    }
    let io_err = |p: &Path, source: std::io::Error| StoreError::Io {
        path: p.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo.gpkg".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{file_name}.{}-{nanos}.tmp", std::process::id()));
    let cleanup = |p: &Path| {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut s = p.as_os_str().to_owned();
            s.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(s));
        }
    };
    cleanup(&tmp);
    if let Err(e) = write_project(
        &tmp,
        DemoParams::default(),
        &NoProgress,
        &CancelToken::new(),
    ) {
        cleanup(&tmp);
        return Err(e);
    }
    match existing(path) {
        Existing::Demo => {
            // Another instance wrote it meanwhile.
            cleanup(&tmp);
            return Ok(());
        }
        Existing::RealProject => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let kept = dir.join(format!("{file_name}.kept-{secs}"));
            if let Err(e) = std::fs::rename(path, &kept) {
                cleanup(&tmp);
                return Err(io_err(path, e));
            }
        }
        Existing::Nothing | Existing::Unusable => {}
    }
    // On Windows rename does not replace an existing file.
    if cfg!(windows) && path.exists() {
        std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        cleanup(&tmp);
        io_err(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn small() -> DemoParams {
        DemoParams {
            count: 2_000,
            seed: 7,
        }
    }

    #[test]
    fn same_params_same_incidents() {
        let a = generate(small());
        let b = generate(small());
        assert_eq!(a, b);
        let c = generate(DemoParams { seed: 8, ..small() });
        assert_ne!(a, c);
        assert_ne!(a[0].uid, c[0].uid);
    }

    #[test]
    fn count_and_ids() {
        for count in [0, 1, 37, 2_000] {
            let v = generate(DemoParams { count, seed: 1 });
            assert_eq!(v.len(), count);
        }
        let v = generate(small());
        assert_eq!(v[0].external_id.as_deref(), Some("DEMO-000001"));
        assert_eq!(v[1999].external_id.as_deref(), Some("DEMO-002000"));
        assert!(v.windows(2).all(|w| w[0].occurred_at <= w[1].occurred_at));
        let uids: std::collections::HashSet<_> = v.iter().map(|i| &i.uid).collect();
        assert_eq!(uids.len(), v.len());
        assert!(v.iter().all(|i| uuid::Uuid::parse_str(&i.uid).is_ok()));
        assert!(v.iter().all(|i| i.import_file.as_deref() == Some("demo")));
    }

    #[test]
    fn every_category_and_source() {
        let v = generate(DemoParams::default());
        for c in Category::ALL {
            assert!(v.iter().any(|i| i.category == c), "no {c:?}");
        }
        for s in Source::ALL {
            assert!(v.iter().any(|i| i.source == s), "no {s:?}");
        }
    }

    #[test]
    fn within_municipality_and_time_span() {
        let (min, max) = MUNICIPALITY_BOUNDS;
        let first = time::utc_from_local(FIRST_DAY.and_hms_opt(0, 0, 0).unwrap()).unwrap();
        let end = time::utc_from_local(LAST_DAY.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap())
            .unwrap();
        for i in generate(DemoParams::default()) {
            let p = i.position;
            assert!(
                (min.lon..=max.lon).contains(&p.lon) && (min.lat..=max.lat).contains(&p.lat),
                "{p:?}"
            );
            assert!(i.occurred_at >= first && i.occurred_at < end);
        }
    }

    #[test]
    fn evenings_nights_and_weekends_dominate() {
        let v = generate(DemoParams::default());
        let night = v
            .iter()
            .filter(|i| {
                let h = time::local_hour(i.occurred_at);
                !(6..18).contains(&h)
            })
            .count();
        let share = night as f64 / v.len() as f64;
        assert!(share > 0.55, "share 18–06 {share}");

        let mut per_day: HashMap<Weekday, usize> = HashMap::new();
        for i in &v {
            *per_day
                .entry(time::local_weekday(i.occurred_at))
                .or_default() += 1;
        }
        let fri = per_day[&Weekday::Fri];
        let sat = per_day[&Weekday::Sat];
        for d in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Sun,
        ] {
            assert!(fri > per_day[&d] && sat > per_day[&d], "{per_day:?}");
        }
    }

    #[test]
    fn summer_at_the_harbours_and_coarse_police() {
        let v = generate(DemoParams::default());
        // Harbours and beaches: about three times the rate in June–August.
        let coast: Vec<_> = v
            .iter()
            .filter(|i| {
                i.place
                    .as_deref()
                    .is_some_and(|p| p.contains("hamn") || p.contains("strand"))
            })
            .collect();
        let summer = coast
            .iter()
            .filter(|i| (6..=8).contains(&time::local(i.occurred_at).month()))
            .count();
        let summer_per_month = summer as f64 / 3.0;
        let rest_per_month = (coast.len() - summer) as f64 / 9.0;
        assert!(
            summer_per_month > 2.0 * rest_per_month,
            "{summer} of {}",
            coast.len()
        );

        let coarse: Vec<_> = v.iter().filter(|i| i.is_coarse()).collect();
        assert_eq!(coarse.len(), 120);
        assert!(
            coarse
                .iter()
                .all(|i| i.source == Source::Polis && i.precision_m == Precision::MUNICIPALITY_M)
        );
        let walk = v
            .iter()
            .filter(|i| {
                i.place
                    .as_deref()
                    .is_some_and(|p| p.starts_with("Trygghetsvandring"))
            })
            .count();
        assert_eq!(walk, 300);
        assert!(
            v.iter()
                .filter_map(|i| i.description.as_deref())
                .all(|d| d.starts_with("Syntetisk"))
        );
        assert!(v.iter().any(|i| i.description.is_some()));
    }

    #[test]
    fn default_path_names_the_seed() {
        if let Some(p) = default_project_path() {
            assert!(p.ends_with("lagesbild/demo-solvesborg-2026.gpkg"), "{p:?}");
        }
    }
}
