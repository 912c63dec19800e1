//! The GeoPackage project file. See the module docs of [`crate::store`].

use std::path::{Path, PathBuf};

use super::{ImportSession, IncidentPoint, ProjectInfo, Store, StoreError};
use crate::jobs::CancelToken;
use crate::model::{Filter, Incident};

/// The app's own schema version written by this build.
pub const SCHEMA_VERSION: i64 = 1;

/// An open project file.
pub struct Project {
    path: PathBuf,
    conn: rusqlite::Connection,
}

impl Project {
    /// Creates a new, empty, valid project at `path` (written under a temporary
    /// name and renamed into place, so no half-made file is ever left).
    /// Fails if `path` exists.
    pub fn create(path: &Path, name: &str) -> Result<Project, StoreError> {
        todo!("{path:?} {name}")
    }

    /// Opens an existing project, running schema migrations if it is older.
    pub fn open(path: &Path) -> Result<Project, StoreError> {
        todo!("{path:?}")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store for Project {
    fn info(&self) -> Result<ProjectInfo, StoreError> {
        todo!()
    }
    fn incidents(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<Incident>, StoreError> {
        todo!("{filter:?} {cancel:?}")
    }
    fn incident_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        todo!("{filter:?} {cancel:?}")
    }
    fn incident(&self, fid: i64) -> Result<Option<Incident>, StoreError> {
        todo!("{fid}")
    }
    fn begin_import<'a>(
        &'a mut self,
        file_name: &str,
    ) -> Result<Box<dyn ImportSession + 'a>, StoreError> {
        todo!("{file_name} {:?}", self.conn.is_autocommit())
    }
    fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
        todo!("{key}")
    }
    fn set_metadata(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        todo!("{key} {value}")
    }
}
