//! Project storage behind the [`Store`] trait.
//!
//! The one implementation today is [`gpkg::Project`]: a project is one OGC
//! GeoPackage 1.3 file that QGIS and GDAL open as it is. A later shared
//! multi-user store (PostgreSQL/PostGIS) implements the same trait.
//!
//! Every change to stored data happens in one transaction: an
//! [`ImportSession`] that is dropped without [`ImportSession::commit`] leaves the
//! project exactly as it was.

pub mod gpkg;
pub mod layers;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::jobs::{CancelToken, Cancelled, Progress};
use crate::model::shape::FeatureSet;
use crate::model::{Category, Filter, Incident, LonLat, Source};

pub use gpkg::Project;

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
    #[error("{path}: database error: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
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
    /// No incident has this storage id (e.g. deleted meanwhile).
    #[error("{path}: no incident with fid {fid}")]
    NoSuchIncident { path: PathBuf, fid: i64 },
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

/// The lean, `Copy` form of an incident that analysis and the map need
/// (no strings), so a million of them fit in about 50 MB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IncidentPoint {
    pub fid: i64,
    pub occurred_at: DateTime<Utc>,
    pub category: Category,
    pub source: Source,
    pub position: LonLat,
    pub precision_m: f64,
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
}
