//! The seeded, **synthetic** demo project for Sölvesborgs kommun.
//!
//! Incidents cluster where one would expect them (centrum and Stortorget, the
//! station, the harbour, schools, Mjällby, Hällevik, Nogersund, Norje, Pukavik
//! …), peak on evenings, nights and weekends over two years, and cover every
//! category and source, plus a few hundred "otrygghet" points as from a safety
//! walk. The same parameters always give the same incidents.

use std::path::{Path, PathBuf};

use crate::jobs::{CancelToken, Progress};
use crate::model::Incident;
use crate::store::{ProjectInfo, StoreError};

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

/// Generates the demo incidents (deterministic for given params).
pub fn generate(params: DemoParams) -> Vec<Incident> {
    todo!("{params:?}")
}

/// Writes a new demo project at `path` (which must not exist), marked
/// synthetic in its metadata.
pub fn write_project(
    path: &Path,
    params: DemoParams,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ProjectInfo, StoreError> {
    todo!("{path:?} {params:?} {:?} {cancel:?}", progress.stage("", 0))
}

/// Where the app keeps its own demo project: the user's data directory
/// (`~/.local/share/lagesbild/demo-solvesborg.gpkg` on Linux).
pub fn default_project_path() -> Option<PathBuf> {
    todo!()
}

/// The demo project's path, writing it first if it is not there yet.
pub fn ensure_default_project() -> Result<PathBuf, StoreError> {
    todo!()
}
