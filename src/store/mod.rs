//! Project storage behind the [`Store`] trait.
//!
//! The one implementation today is [`gpkg::Project`]: a project is one OGC
//! GeoPackage 1.3 file that QGIS and GDAL open as it is. A later shared
//! multi-user store (PostgreSQL/PostGIS) implements the same trait.
//!
//! The app and the command line open projects only through [`open`] and
//! [`create`], by [`Location`] (a file path today, a `postgresql://` URL
//! later), and work with the boxed [`Store`] they return; nothing outside
//! [`gpkg`] touches SQLite. Errors ([`StoreError`]) name no backend's types.
//!
//! Every change to stored data happens in one transaction: an
//! [`ImportSession`] that is dropped without [`ImportSession::commit`] leaves the
//! project exactly as it was.

/// What changed in a project, by kind (the app's live refresh).
pub mod changes;
/// Copying a project between stores: `db pull` and `db push`.
pub mod copy;
pub mod export_log;
pub mod gpkg;
pub mod layers;
/// The shared PostgreSQL/PostGIS store (feature `postgres`).
#[cfg(feature = "postgres")]
pub mod pg;
/// The patrol plan merge rules every backend applies.
pub(crate) mod plan_merge;
pub mod points;
pub mod police;
pub mod retention;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::jobs::{CancelToken, Cancelled, Progress};
use crate::model::measure::Measure;
use crate::model::plan::{PatrolArea, PatrolPlan, PatrolRoute, PlanRef};
use crate::model::shape::FeatureSet;
use crate::model::track::{CheckIn, Track};
use crate::model::{Category, Filter, Incident, LonLat, Source};

pub use crate::model::IncidentPoint;
pub use gpkg::Project;
pub use points::SwerefPoint;

/// An open project store, as [`open`] and [`create`] return it.
pub type BoxedStore = Box<dyn Store + Send>;

/// Where a project lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A GeoPackage project file.
    File(PathBuf),
    /// A shared PostgreSQL/PostGIS database: a `postgresql://…` or
    /// `postgres://…` URL, or libpq key/value parameters starting with
    /// `service=NAME` (a section of the pg_service file).
    Postgres(String),
}

impl Location {
    /// Reads a location as the user gives it: a `postgresql://` or
    /// `postgres://` URL or `service=NAME …`, otherwise a file path.
    pub fn parse(text: &str) -> Location {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgresql://")
            || lower.starts_with("postgres://")
            || lower.starts_with("service=")
        {
            Location::Postgres(text.to_owned())
        } else {
            Location::File(PathBuf::from(text))
        }
    }

    /// The location for messages: a URL without its user name and password.
    pub fn display(&self) -> String {
        match self {
            Location::File(p) => p.display().to_string(),
            // Key/value parameters: everything but a password.
            Location::Postgres(params) if !params.contains("://") => params
                .split_whitespace()
                .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
                .collect::<Vec<_>>()
                .join(" "),
            Location::Postgres(url) => match url.split_once("://") {
                Some((scheme, rest)) => {
                    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                    format!("{scheme}://{host}")
                }
                None => url.clone(),
            },
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        match path.to_str() {
            Some(text) => Location::parse(text),
            None => Location::File(path.to_owned()),
        }
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::from(path.as_path())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::from(path.as_path())
    }
}

impl From<&str> for Location {
    fn from(text: &str) -> Location {
        Location::parse(text)
    }
}

/// Opens the existing project at `location` (running schema migrations if it
/// is older). The one way the app and the command line open a project.
pub fn open(location: impl Into<Location>) -> Result<BoxedStore, StoreError> {
    match location.into() {
        Location::File(path) => Ok(Box::new(Project::open(&path)?)),
        #[cfg(feature = "postgres")]
        Location::Postgres(url) => Ok(Box::new(pg::PgStore::open(&url)?)),
        #[cfg(not(feature = "postgres"))]
        postgres @ Location::Postgres(_) => Err(postgres_not_supported(&postgres)),
    }
}

/// Creates a new, empty project named `name` at `location` (failing if one is
/// there) and opens it.
pub fn create(location: impl Into<Location>, name: &str) -> Result<BoxedStore, StoreError> {
    match location.into() {
        Location::File(path) => Ok(Box::new(Project::create(&path, name)?)),
        #[cfg(feature = "postgres")]
        Location::Postgres(url) => Ok(Box::new(pg::PgStore::create(&url, name)?)),
        #[cfg(not(feature = "postgres"))]
        postgres @ Location::Postgres(_) => Err(postgres_not_supported(&postgres)),
    }
}

#[cfg(not(feature = "postgres"))]
fn postgres_not_supported(location: &Location) -> StoreError {
    StoreError::UnsupportedLocation {
        location: location.display(),
        reason: "this build has no PostgreSQL support (cargo feature `postgres`); open a \
                 GeoPackage project file (.gpkg)",
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {reason}")]
    NotAProject { path: PathBuf, reason: String },
    #[error("{path}: already exists")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The storage backend (the database) failed; `source` is its own error.
    #[error("{location}: database error: {source}")]
    Backend {
        location: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No store can open this location (e.g. a `postgresql://` URL today).
    #[error("{location}: {reason}")]
    UnsupportedLocation {
        location: String,
        reason: &'static str,
    },
    /// The location cannot be used as written (a bad URL, a service missing
    /// from the service file, an unknown sslmode, …).
    #[error("{location}: {reason}")]
    BadLocation { location: String, reason: String },
    /// The database refused the change for this login (e.g. one with only
    /// the role `lagesbild_read`); nothing was changed.
    #[error("{location}: {reason}")]
    PermissionDenied { location: String, reason: String },
    #[error(
        "{path}: project schema version {found} is newer than this app understands ({supported}); update Lägesbild"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: stored data is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// An incident pushed into an import cannot be stored (e.g. a position
    /// that is not a finite number). The reason never quotes free text.
    #[error("{path}: incident not stored: {reason}")]
    InvalidIncident { path: PathBuf, reason: String },
    /// A map layer cannot be added (bad name, no features, coordinates that
    /// are not WGS 84, a table of that name that is no layer, …).
    #[error("{path}: {reason}")]
    InvalidLayer { path: PathBuf, reason: String },
    /// A patrol plan item cannot be stored (no geometry, bad coordinates,
    /// no weekday, …); the reason names the item.
    #[error("{path}: patrol plan: {reason}")]
    InvalidPlan { path: PathBuf, reason: String },
    /// A saved view cannot be stored (empty title, bad extent, …).
    #[error("{path}: {reason}")]
    InvalidView { path: PathBuf, reason: String },
    /// No incident has this storage id (e.g. deleted meanwhile).
    #[error("{path}: no incident with fid {fid}")]
    NoSuchIncident { path: PathBuf, fid: i64 },
    /// A measure cannot be stored (no name, a name in use, bad dates or area).
    #[error("{path}: measure not stored: {reason}")]
    InvalidMeasure { path: PathBuf, reason: String },
    /// Tracks or check-ins cannot be stored (bad host code, no fixes, …).
    #[error("{path}: tracks not stored: {reason}")]
    InvalidTrack { path: PathBuf, reason: String },
    /// Another program (a second app window, the command line, QGIS …)
    /// holds the project's write lock longer than the store waits for it.
    /// Nothing was changed; the same call can simply be tried again.
    #[error("{location}: the project is being written by another program ({detail}); try again")]
    Locked { location: String, detail: String },
    /// The store cannot do this (e.g. a read-only store asked to edit).
    #[error("this store does not support {what}")]
    Unsupported { what: &'static str },
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// What a project is, at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectInfo {
    /// Where the project lives (file path or connection description).
    pub location: String,
    /// Human name, e.g. "Sölvesborgs kommun (demo)".
    pub name: String,
    /// True for generated demo data: shown in the UI and carried into exports.
    pub synthetic: bool,
    /// The app's own schema version of this project.
    pub schema_version: i64,
    pub incident_count: u64,
    /// Incidents less precise than [`crate::model::Precision::COARSE_ABOVE_M`].
    pub coarse_count: u64,
    /// Earliest and latest incident time.
    pub time_range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Lower-left and upper-right corner of all incident positions.
    pub extent: Option<(LonLat, LonLat)>,
    /// Counts per category, in [`Category::ALL`] order, zeros included.
    pub by_category: Vec<(Category, u64)>,
    /// Counts per source, in [`Source::ALL`] order, zeros included.
    pub by_source: Vec<(Source, u64)>,
}

/// One stored track at a glance (no positions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackSummary {
    pub host: String,
    pub source: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub fixes: u64,
}

/// What happened to one row pushed into an [`ImportSession`].
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    /// Stored as a new incident.
    Inserted,
    /// The same incident is stored already (same source and external id with the
    /// same time and place, or, without an external id, the same source, time,
    /// place and category); nothing written.
    Duplicate { fid: i64 },
    /// A stored incident has the same source and external id but a different
    /// time or place; nothing written.
    Conflict { fid: i64, reason: String },
}

/// One import, in one transaction. Dropping it without `commit` rolls back.
pub trait ImportSession {
    /// Stores one incident unless it duplicates or conflicts with a stored one
    /// (or one pushed earlier in this session).
    fn push(&mut self, incident: &Incident) -> Result<PushOutcome, StoreError>;

    /// Finishes the spatial index and commits everything pushed. Cancelling
    /// rolls back.
    fn commit(
        self: Box<Self>,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<(), StoreError>;
}

/// True when `p` lies in `bbox` (x = longitude, y = latitude), edges included.
pub fn in_rect(bbox: geo::Rect<f64>, p: LonLat) -> bool {
    let (lo, hi) = (bbox.min(), bbox.max());
    (lo.x..=hi.x).contains(&p.lon) && (lo.y..=hi.y).contains(&p.lat)
}

/// A project store. Implemented by the GeoPackage file, later by PostGIS.
pub trait Store {
    /// Summary of the project.
    fn info(&self) -> Result<ProjectInfo, StoreError>;

    /// Full incidents passing the filter, oldest first.
    fn incidents(&self, filter: &Filter, cancel: &CancelToken)
    -> Result<Vec<Incident>, StoreError>;

    /// Lean incidents passing the filter, oldest first.
    fn incident_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError>;

    /// Lean incidents whose position lies in `bbox` (WGS 84: x = longitude,
    /// y = latitude; edges included) and that pass the filter, oldest first.
    /// The default body filters [`Store::incident_points`]; a store with a
    /// spatial index answers from it.
    fn incident_points_in(
        &self,
        bbox: geo::Rect<f64>,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        let mut points = self.incident_points(filter, cancel)?;
        points.retain(|p| in_rect(bbox, p.position));
        Ok(points)
    }

    /// Incidents passing the filter as analysis points (SWEREF 99 TM, local
    /// date and hour), oldest first. The default projects
    /// [`Store::incident_points`]; a store may keep them ready.
    fn analysis_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<SwerefPoint>, StoreError> {
        Ok(self
            .incident_points(filter, cancel)?
            .iter()
            .map(SwerefPoint::from_incident_point)
            .collect())
    }

    /// One incident by storage id.
    fn incident(&self, fid: i64) -> Result<Option<Incident>, StoreError>;

    /// Starts an import of rows from `file_name` (recorded in the import log).
    fn begin_import<'a>(
        &'a mut self,
        file_name: &str,
    ) -> Result<Box<dyn ImportSession + 'a>, StoreError>;

    /// App metadata (project name, synthetic flag, …).
    fn metadata(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Sets app metadata, in its own transaction.
    fn set_metadata(&mut self, key: &str, value: &str) -> Result<(), StoreError>;

    // The three edits below have default bodies that refuse, so read-only
    // stores (and test doubles) need not implement them.

    /// Adds one incident (e.g. a host's observation entered in the window)
    /// in its own transaction and returns its fid. An empty `uid` gets a new
    /// one; a given uid must not be in use. A given `fid` (restoring a
    /// deleted incident, as undo does) is used when free; `None` gets a new
    /// fid. Invalid values give [`StoreError::InvalidIncident`].
    fn add_incident(&mut self, incident: &Incident) -> Result<i64, StoreError> {
        let _ = incident;
        Err(StoreError::Unsupported {
            what: "adding incidents",
        })
    }

    /// Replaces every field of incident `fid` (position included) except its
    /// fid and uid, in one transaction, and returns the incident as it was.
    fn update_incident(&mut self, fid: i64, incident: &Incident) -> Result<Incident, StoreError> {
        let _ = (fid, incident);
        Err(StoreError::Unsupported {
            what: "editing incidents",
        })
    }

    /// Deletes incident `fid` in one transaction and returns it as it was
    /// (with fid and uid), so [`Store::add_incident`] can restore it.
    fn delete_incident(&mut self, fid: i64) -> Result<Incident, StoreError> {
        let _ = fid;
        Err(StoreError::Unsupported {
            what: "deleting incidents",
        })
    }

    // --- layers ---
    // Map layers (see `store::layers`): each a feature table of the project
    // with its style. Default bodies refuse, as for the edits above.

    /// The map layers, in drawing order (bottom first).
    fn layers(&self) -> Result<Vec<layers::LayerInfo>, StoreError> {
        Err(StoreError::Unsupported { what: "map layers" })
    }

    /// The features of layer `name` (exact name); `None` when there is none.
    fn layer_features(&self, name: &str) -> Result<Option<FeatureSet>, StoreError> {
        let _ = name;
        Err(StoreError::Unsupported { what: "map layers" })
    }

    /// Adds `sets` as map layers, all in one transaction (an error leaves the
    /// project unchanged), `source` being the file they came from. A layer
    /// whose name is taken by a layer replaces it and keeps its style; a
    /// name taken by any other table, a bad name, an empty set or
    /// coordinates that are not WGS 84 give [`StoreError::InvalidLayer`].
    fn add_layers(&mut self, sets: &[FeatureSet], source: &str) -> Result<(), StoreError> {
        let _ = (sets, source);
        Err(StoreError::Unsupported {
            what: "adding map layers",
        })
    }

    /// Removes layer `name` (exact name) in one transaction; false when
    /// there was none.
    fn remove_layer(&mut self, name: &str) -> Result<bool, StoreError> {
        let _ = name;
        Err(StoreError::Unsupported {
            what: "removing map layers",
        })
    }

    /// Sets the style of layer `name`; false when there is none.
    fn set_layer_style(
        &mut self,
        name: &str,
        style: &layers::LayerStyle,
    ) -> Result<bool, StoreError> {
        let _ = (name, style);
        Err(StoreError::Unsupported {
            what: "styling map layers",
        })
    }

    // --- saved views ---
    // Views of the map for presentations (see `model::view`), kept in the
    // project in presentation order. Default bodies refuse, as above.

    /// The saved views, in presentation order.
    fn views(&self) -> Result<Vec<crate::model::view::SavedView>, StoreError> {
        Err(StoreError::Unsupported {
            what: "saved views",
        })
    }

    /// Saves `views` in one transaction: a view whose title is taken replaces
    /// that view in its place, others are added at the end in the order
    /// given. Invalid views give [`StoreError::InvalidView`] and store nothing.
    fn put_views(&mut self, views: &[crate::model::view::SavedView]) -> Result<(), StoreError> {
        let _ = views;
        Err(StoreError::Unsupported {
            what: "saving views",
        })
    }

    /// Removes the view titled `title` (exact); false when there is none.
    fn remove_view(&mut self, title: &str) -> Result<bool, StoreError> {
        let _ = title;
        Err(StoreError::Unsupported {
            what: "removing views",
        })
    }

    /// Replaces all saved views by `views`, in that presentation order, in
    /// one transaction (how the app renames, reorders and deletes). Invalid
    /// views or two with one title give [`StoreError::InvalidView`] and
    /// change nothing.
    fn replace_views(&mut self, views: &[crate::model::view::SavedView]) -> Result<(), StoreError> {
        let _ = views;
        Err(StoreError::Unsupported {
            what: "replacing views",
        })
    }

    // --- measures ---
    // Measures (insatser, `model::measure`): a feature table of the project.
    // Default bodies refuse, as for the edits above.

    /// Every measure, by start date and name.
    fn measures(&self) -> Result<Vec<Measure>, StoreError> {
        Err(StoreError::Unsupported { what: "measures" })
    }

    /// The measure named `name` (exact name), if any.
    fn measure(&self, name: &str) -> Result<Option<Measure>, StoreError> {
        let _ = name;
        Err(StoreError::Unsupported { what: "measures" })
    }

    /// Adds a measure in one transaction and returns its fid. A name in use,
    /// or a measure that fails [`Measure::validate`], gives
    /// [`StoreError::InvalidMeasure`].
    fn add_measure(&mut self, measure: &Measure) -> Result<i64, StoreError> {
        let _ = measure;
        Err(StoreError::Unsupported {
            what: "adding measures",
        })
    }

    /// Replaces measure `fid` (every field) in one transaction.
    fn update_measure(&mut self, fid: i64, measure: &Measure) -> Result<(), StoreError> {
        let _ = (fid, measure);
        Err(StoreError::Unsupported {
            what: "editing measures",
        })
    }

    /// Removes the measure named `name` in one transaction; false when none.
    fn remove_measure(&mut self, name: &str) -> Result<bool, StoreError> {
        let _ = name;
        Err(StoreError::Unsupported {
            what: "removing measures",
        })
    }

    // --- tracks ---
    // The hosts' tracks and check-ins (`model::track`), keyed by host code.
    // Default bodies refuse, as for the edits above.

    /// Stores tracks in one transaction; returns (stored, skipped as
    /// imported before). A bad host code gives [`StoreError::InvalidTrack`].
    fn add_tracks(&mut self, tracks: &[Track]) -> Result<(usize, usize), StoreError> {
        let _ = tracks;
        Err(StoreError::Unsupported { what: "tracks" })
    }

    /// The stored tracks' fixes on local dates `from`..=`to` (`None`: open).
    fn tracks(
        &self,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Vec<Track>, StoreError> {
        let _ = (from, to);
        Err(StoreError::Unsupported { what: "tracks" })
    }

    /// One line per stored track (host code, file, first and last fix), no positions.
    fn track_summaries(&self) -> Result<Vec<TrackSummary>, StoreError> {
        Err(StoreError::Unsupported { what: "tracks" })
    }

    /// Stores check-ins in one transaction; returns (stored, skipped as known).
    fn add_checkins(&mut self, checkins: &[CheckIn]) -> Result<(usize, usize), StoreError> {
        let _ = checkins;
        Err(StoreError::Unsupported { what: "check-ins" })
    }

    /// The stored check-ins that began on local dates `from`..=`to`.
    fn checkins(
        &self,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Vec<CheckIn>, StoreError> {
        let _ = (from, to);
        Err(StoreError::Unsupported { what: "check-ins" })
    }

    /// Deletes tracks that ended, and check-ins that closed, before `before`,
    /// in one transaction; returns (tracks, check-ins) deleted.
    fn prune_tracks(&mut self, before: DateTime<Utc>) -> Result<(usize, usize), StoreError> {
        let _ = before;
        Err(StoreError::Unsupported { what: "tracks" })
    }

    // --- patrol plan ---
    // Patrol areas, routes and their stops (see `model::plan`), kept by the
    // GeoPackage as the feature tables `patrol_areas`, `patrol_routes` and
    // `route_stops`. Each call is one transaction. Default bodies refuse.

    /// Every area and route of the plan, each route with its stops in order.
    fn patrol_plan(&self) -> Result<PatrolPlan, StoreError> {
        Err(StoreError::Unsupported {
            what: "patrol plans",
        })
    }

    /// Stores `area`: a new one when its id is `None`, else under its id
    /// (replacing the stored one, or restoring a deleted one as undo does).
    /// Returns its id. A bad area gives [`StoreError::InvalidPlan`].
    fn save_patrol_area(&mut self, area: &PatrolArea) -> Result<i64, StoreError> {
        let _ = area;
        Err(StoreError::Unsupported {
            what: "editing patrol plans",
        })
    }

    /// Stores `route` with its stops (replacing the stops stored before), as
    /// [`Store::save_patrol_area`] does. Returns its id.
    fn save_patrol_route(&mut self, route: &PatrolRoute) -> Result<i64, StoreError> {
        let _ = route;
        Err(StoreError::Unsupported {
            what: "editing patrol plans",
        })
    }

    /// Deletes an area, or a route with its stops; false when there was none.
    fn delete_plan_item(&mut self, item: PlanRef) -> Result<bool, StoreError> {
        let _ = item;
        Err(StoreError::Unsupported {
            what: "editing patrol plans",
        })
    }

    /// Adds every area and route of `plan` as new items (their ids are
    /// ignored), all in one transaction: one bad item adds nothing.
    fn add_patrol_plan(&mut self, plan: &PatrolPlan) -> Result<Vec<PlanRef>, StoreError> {
        let _ = plan;
        Err(StoreError::Unsupported {
            what: "editing patrol plans",
        })
    }

    // --- patrol plan import (merge) ---
    // Importing a plan file again must not duplicate it: an item with the
    // same kind and name as a stored one replaces it (under its id), an
    // identical one is skipped. One transaction. Default body refuses.

    /// Merges `plan` into the stored plan (see above) and says what happened
    /// to each item. One bad item changes nothing.
    fn merge_patrol_plan(&mut self, plan: &PatrolPlan) -> Result<PlanMerge, StoreError> {
        let _ = plan;
        Err(StoreError::Unsupported {
            what: "editing patrol plans",
        })
    }

    // --- the week plan's fixed cells ---
    // The planners' choices in the app's week plan (pair × evening → item
    // and hours), kept so that the next session proposes around them. The
    // GeoPackage keeps them in the plain table `lagesbild_week_fixed`, made
    // by the first save. Default bodies refuse.

    /// The fixed cells, by evening then pair; empty when none were saved.
    fn week_fixed(&self) -> Result<Vec<WeekFixedCell>, StoreError> {
        Err(StoreError::Unsupported { what: "week plans" })
    }

    /// Replaces the fixed cells by `cells` (one transaction).
    fn save_week_fixed(&mut self, cells: &[WeekFixedCell]) -> Result<(), StoreError> {
        let _ = cells;
        Err(StoreError::Unsupported { what: "week plans" })
    }

    // --- police events ---
    // The Police's open events by id (see `store::police`): updated in place
    // with their history, summaries apart. Default bodies refuse.

    /// Stores police events by their id, all in one transaction (an error
    /// or cancellation leaves the project unchanged): a new id is inserted;
    /// a stored id whose time, type, position, place or text changed is
    /// updated in place, its earlier version kept in the history; an
    /// unchanged one is left. `summaries` go to their own table (and an
    /// incident an earlier version stored under a summary's id is taken out
    /// of the incidents). Stored events missing from `events` stay. The
    /// batch is logged as an import of `file_name` when it changed anything.
    fn upsert_police_events(
        &mut self,
        file_name: &str,
        events: &[Incident],
        summaries: &[police::PoliceSummary],
        cancel: &CancelToken,
    ) -> Result<police::PoliceUpsert, StoreError> {
        let _ = (file_name, events, summaries, cancel);
        Err(StoreError::Unsupported {
            what: "storing police events",
        })
    }

    /// The stored police summaries and notices, newest first.
    fn police_summaries(&self) -> Result<Vec<police::PoliceSummary>, StoreError> {
        Err(StoreError::Unsupported {
            what: "police summaries",
        })
    }

    /// Earlier versions of police event `external_id`, oldest first.
    fn police_history(&self, external_id: &str) -> Result<Vec<police::PoliceVersion>, StoreError> {
        let _ = external_id;
        Err(StoreError::Unsupported {
            what: "police event history",
        })
    }

    // --- police history in copies (`db push`, `db pull`) ---

    /// Adds earlier versions of police events, as another store's
    /// [`Store::police_history`] gives them (each names its event by its
    /// incident's external id), that this store does not hold yet
    /// ([`police::same_version`]), filed under this store's incident of
    /// that id (the fid they carry when there is none). One transaction;
    /// returns how many were added.
    fn add_police_history(
        &mut self,
        versions: &[police::PoliceVersion],
    ) -> Result<usize, StoreError> {
        let _ = versions;
        Err(StoreError::Unsupported {
            what: "storing police event history",
        })
    }

    // --- export log ---
    // One record per file written out of the project (`store::export_log`):
    // when, what, file name, fields, login. Default bodies refuse.

    /// Appends `record` to the export log, in its own transaction.
    fn log_export(&mut self, record: &export_log::ExportRecord) -> Result<(), StoreError> {
        let _ = record;
        Err(StoreError::Unsupported {
            what: "the export log",
        })
    }

    /// Every recorded export, oldest first.
    fn export_log(&self) -> Result<Vec<export_log::ExportRecord>, StoreError> {
        Err(StoreError::Unsupported {
            what: "the export log",
        })
    }

    // --- retention ---
    // Deleting what is past its time (`crate::retention` holds the policy).
    // Default bodies refuse.

    /// Deletes the incidents that happened before `incidents_before`, and
    /// the hosts' tracks and check-ins that ended before `tracks_before`
    /// (`None`: that kind is left alone), in one transaction that also logs
    /// the run; returns what was deleted.
    fn apply_retention(
        &mut self,
        incidents_before: Option<DateTime<Utc>>,
        tracks_before: Option<DateTime<Utc>>,
    ) -> Result<retention::RetentionRun, StoreError> {
        let _ = (incidents_before, tracks_before);
        Err(StoreError::Unsupported { what: "retention" })
    }

    /// Every logged retention run, oldest first.
    fn retention_log(&self) -> Result<Vec<retention::RetentionRun>, StoreError> {
        Err(StoreError::Unsupported { what: "retention" })
    }

    // --- change notification ---

    /// A number that changes whenever stored incidents, layers or plans were
    /// changed by anyone (this connection, another app instance, the command
    /// line, another user of a shared store), so the app can poll it every
    /// few seconds and reload when it moves. `None`: the store cannot tell.
    fn change_stamp(&self) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }

    // --- the stored point cache (issue 20) ---

    /// Stores the analysis points of every incident again where the store
    /// keeps them for other processes (the shared store's point cache in
    /// the database), so that the next command's first read is a copy of
    /// them: called after a writer's import or push. Refused by a store that
    /// keeps no such cache, or (with [`StoreError::PermissionDenied`]) for a
    /// login that may not write.
    fn refresh_point_cache(&self, cancel: &CancelToken) -> Result<(), StoreError> {
        let _ = cancel;
        Err(StoreError::Unsupported {
            what: "a point cache stored for other processes",
        })
    }

    // --- what changed, by kind ---
    // The live refresh reads these when `change_stamp` moved, to reload
    // exactly what another writer changed (`store::changes`). Default refuses.

    /// One stamp per [`changes::ChangeKind`], each moving whenever data of
    /// that kind is changed by anyone.
    fn change_stamps(&self) -> Result<changes::ChangeStamps, StoreError> {
        Err(StoreError::Unsupported {
            what: "change stamps by kind",
        })
    }
}

/// After an import or a push: refreshes the store's stored point cache
/// ([`Store::refresh_point_cache`]) where it keeps one. Never fails the
/// write, which is committed: a store without one is no failure, and any
/// other failure (a cancel too) is logged as a warning and returned for the
/// caller to show (the next read is cold then, nothing else).
pub fn refresh_point_cache_after_write(
    store: &dyn Store,
    cancel: &CancelToken,
) -> Option<StoreError> {
    match store.refresh_point_cache(cancel) {
        Ok(()) | Err(StoreError::Unsupported { .. }) => None,
        Err(e) => {
            ::log::warn!("the stored analysis points were not refreshed: {e}");
            Some(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_paths_or_postgres_urls() {
        assert_eq!(
            Location::parse("projekt.gpkg"),
            Location::File(PathBuf::from("projekt.gpkg"))
        );
        assert_eq!(
            Location::from(Path::new("POSTGRESQL://db.kommun.se/lagesbild")),
            Location::Postgres("POSTGRESQL://db.kommun.se/lagesbild".to_owned())
        );
        let url = Location::parse("postgres://anna:hemligt@db.kommun.se:5432/lagesbild");
        assert_eq!(url.display(), "postgres://db.kommun.se:5432/lagesbild");
    }

    #[test]
    fn a_postgres_url_that_cannot_be_reached_fails_without_its_password() {
        // Nothing listens on port 1.
        for result in [
            open("postgresql://anna:hemligt@127.0.0.1:1/lagesbild").map(|_| ()),
            create("postgresql://anna:hemligt@127.0.0.1:1/lagesbild", "x").map(|_| ()),
        ] {
            let text = result.unwrap_err().to_string();
            assert!(text.contains("127.0.0.1:1/lagesbild"), "{text}");
            assert!(!text.contains("hemligt"), "{text}");
        }
    }

    #[test]
    fn service_parameters_are_postgres_locations_shown_without_a_password() {
        let l = Location::parse("service=lagesbild password=hemligt sslmode=require");
        assert!(matches!(l, Location::Postgres(_)));
        assert_eq!(l.display(), "service=lagesbild sslmode=require");
    }

    #[test]
    fn the_factory_creates_and_opens_file_projects() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let mut store = create(&path, "Test").unwrap();
        store.set_metadata("k", "v").unwrap();
        drop(store);
        let store = open(&path).unwrap();
        assert_eq!(store.metadata("k").unwrap().as_deref(), Some("v"));
        assert_eq!(store.info().unwrap().name, "Test");
        assert!(matches!(
            create(&path, "Again").map(|_| ()),
            Err(StoreError::AlreadyExists { .. })
        ));
    }
}

/// What [`Store::merge_patrol_plan`] did, item by item: (id, name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanMerge {
    /// New items (no stored item of that kind had the name).
    pub added: Vec<(PlanRef, String)>,
    /// Stored items of the same kind and name, replaced under their ids.
    pub replaced: Vec<(PlanRef, String)>,
    /// Stored items identical to the imported ones: left as they were.
    pub unchanged: Vec<(PlanRef, String)>,
}

/// A planner's fixed cell of the week plan ([`Store::week_fixed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekFixedCell {
    /// 1-based.
    pub pair: u32,
    pub evening: chrono::Weekday,
    /// The area's or route's name.
    pub item: String,
    /// The shift's hours, e.g. `19:00-03:00`.
    pub shift: String,
}
