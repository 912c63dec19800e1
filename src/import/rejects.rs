//! The rejects file: rejected rows and conflicts written as an import finds
//! them, so that a file of nothing but bad rows does not grow memory with the
//! file (issue 21). The [`super::ImportReport`] keeps only the first
//! [`super::REPORT_ROWS`] of each, and counts the rest.
//!
//! CSV, UTF-8, comma-separated, one header `file,line,reason,raw`, so that
//! the rows of several files can share one file (`lagesbild import …
//! --rejects FILE`). A conflict (a row whose source and id match a stored
//! incident with another time or place) is a row too, its reason starting
//! with `conflict:` and naming the stored incident; it has no raw record.
//!
//! Writing never stops an import: the first write error is kept, the rows
//! after it are only counted, and [`RejectsFile::finish`] returns the error.
//! The rows of a file whose import fails as a whole (a file error,
//! `--strict`, cancellation) are taken back out ([`RejectsFile::mark`],
//! [`RejectsFile::rewind`]), as nothing of that file was imported.

use std::fs::File;
use std::io::{Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use super::{Conflict, ImportError, RowError};

/// The header row.
const HEADER: [&str; 4] = ["file", "line", "reason", "raw"];

/// A rejects file being written (see the module docs).
pub struct RejectsFile {
    path: PathBuf,
    /// `None` until the first row when the file is made on demand.
    out: Option<::csv::Writer<File>>,
    /// Rows written (after the header).
    rows: u64,
    /// Rows found after a write failed, not written.
    unwritten: u64,
    error: Option<std::io::Error>,
}

/// Where a rejects file stood before an import, to go back to.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    /// Bytes written, `None` when the file did not exist yet.
    bytes: Option<u64>,
    rows: u64,
    unwritten: u64,
}

impl RejectsFile {
    /// Creates (or truncates) `path` now and writes the header: the file is
    /// there afterwards even when no row is rejected (`--rejects FILE`).
    ///
    /// # Errors
    /// [`ImportError::Io`] naming the path when it cannot be created.
    pub fn create(path: &Path) -> Result<RejectsFile, ImportError> {
        let mut file = RejectsFile::on_first_row(path);
        file.open().map_err(|source| ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(file)
    }

    /// A rejects file that is created at its first row, so that an import
    /// with nothing to reject leaves no file (the app's `NAME.avvisade.csv`
    /// beside the file imported).
    pub fn on_first_row(path: &Path) -> RejectsFile {
        RejectsFile {
            path: path.to_owned(),
            out: None,
            rows: 0,
            unwritten: 0,
            error: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows written so far (the header not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn open(&mut self) -> std::io::Result<&mut ::csv::Writer<File>> {
        if self.out.is_none() {
            let mut w = ::csv::Writer::from_writer(File::create(&self.path)?);
            w.write_record(HEADER)?;
            self.out = Some(w);
        }
        match self.out.as_mut() {
            Some(w) => Ok(w),
            None => Err(std::io::Error::other("the rejects file is not open")),
        }
    }

    fn write(&mut self, record: [&str; 4]) {
        if self.error.is_some() {
            self.unwritten += 1;
            return;
        }
        match self
            .open()
            .and_then(|w| w.write_record(record).map_err(std::io::Error::from))
        {
            Ok(()) => self.rows += 1,
            Err(e) => {
                self.error = Some(e);
                self.unwritten += 1;
            }
        }
    }

    /// Writes one rejected row: its file's name, line, reason and raw record.
    pub fn write_rejected(&mut self, e: &RowError) {
        let name = file_name(&e.path);
        let line = e.line.to_string();
        self.write([&name, &line, &e.reason, e.raw.as_deref().unwrap_or("")]);
    }

    /// Writes one conflict of the file `path` (no raw record: the row was
    /// read, only not stored).
    pub fn write_conflict(&mut self, path: &Path, c: &Conflict) {
        let name = file_name(path);
        let line = c.line.to_string();
        let reason = conflict_reason(c);
        self.write([&name, &line, &reason, ""]);
    }

    /// Where the file stands now (everything written so far flushed).
    pub fn mark(&mut self) -> Mark {
        let bytes = match self.out.as_mut() {
            None => None,
            Some(w) => match w.flush().and_then(|()| w.get_ref().stream_position()) {
                Ok(at) => Some(at),
                Err(e) => {
                    self.error.get_or_insert(e);
                    None
                }
            },
        };
        Mark {
            bytes,
            rows: self.rows,
            unwritten: self.unwritten,
        }
    }

    /// Takes the rows written since `mark` back out: the file is cut back
    /// (or, made on demand and empty before, removed).
    pub fn rewind(&mut self, mark: Mark) {
        self.rows = mark.rows;
        self.unwritten = mark.unwritten;
        let Some(w) = self.out.as_mut() else {
            return;
        };
        let result = match mark.bytes {
            Some(at) => w.flush().and_then(|()| {
                let f = w.get_ref();
                f.set_len(at)?;
                let mut f = f;
                f.seek(SeekFrom::Start(at)).map(|_| ())
            }),
            None => {
                self.out = None;
                std::fs::remove_file(&self.path)
            }
        };
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }

    /// Flushes the file and returns the rows written.
    ///
    /// # Errors
    /// [`ImportError::Io`] naming the path and how many rows could not be
    /// written, when a write failed.
    pub fn finish(mut self) -> Result<u64, ImportError> {
        if let Some(w) = self.out.as_mut()
            && let Err(e) = w.flush()
        {
            self.error.get_or_insert(e);
        }
        match self.error {
            None => Ok(self.rows),
            Some(e) => Err(ImportError::Io {
                path: self.path,
                source: std::io::Error::new(
                    e.kind(),
                    format!(
                        "{e}; {} rejected row(s) or conflict(s) could not be written",
                        self.unwritten.max(1)
                    ),
                ),
            }),
        }
    }
}

/// The rejects file's reason for a conflict.
fn conflict_reason(c: &Conflict) -> String {
    format!(
        "conflict: id {:?} is stored as incident {} but {}",
        c.external_id, c.fid, c.reason
    )
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The app's rejects file for `file`: `NAME.avvisade.csv` beside it.
pub fn beside(file: &Path) -> PathBuf {
    let mut name = file
        .file_stem()
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    name.push(".avvisade.csv");
    file.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject(line: u64) -> RowError {
        RowError {
            path: PathBuf::from("/data/in.csv"),
            line,
            reason: format!("row {line} is bad"),
            raw: Some(format!("{line};\"x\"")),
        }
    }

    fn read(path: &Path) -> Vec<Vec<String>> {
        let mut r = ::csv::Reader::from_path(path).unwrap();
        assert_eq!(r.headers().unwrap(), HEADER.to_vec());
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn created_now_has_a_header_even_without_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let f = RejectsFile::create(&p).unwrap();
        assert_eq!(f.finish().unwrap(), 0);
        assert!(read(&p).is_empty());
    }

    #[test]
    fn on_first_row_leaves_no_file_without_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut f = RejectsFile::on_first_row(&p);
        let mark = f.mark();
        f.rewind(mark);
        assert_eq!(f.finish().unwrap(), 0);
        assert!(!p.exists());
    }

    #[test]
    fn rewind_takes_back_the_rows_since_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut f = RejectsFile::on_first_row(&p);
        f.write_rejected(&reject(2));
        let mark = f.mark();
        f.write_rejected(&reject(3));
        f.write_conflict(
            Path::new("b.csv"),
            &Conflict {
                line: 4,
                external_id: "S-1".to_owned(),
                fid: 7,
                reason: "another time".to_owned(),
            },
        );
        assert_eq!(f.rows(), 3);
        f.rewind(mark);
        f.write_rejected(&reject(9));
        assert_eq!(f.finish().unwrap(), 2);
        let rows = read(&p);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ["in.csv", "2", "row 2 is bad", "2;\"x\""]);
        assert_eq!(rows[1][1], "9");

        // Made on demand and rewound to before its first row: removed.
        let q = dir.path().join("q.csv");
        let mut f = RejectsFile::on_first_row(&q);
        let mark = f.mark();
        f.write_rejected(&reject(2));
        assert!(q.exists());
        f.rewind(mark);
        assert!(!q.exists());
        assert_eq!(f.finish().unwrap(), 0);
    }

    #[test]
    fn conflicts_are_rows_with_their_stored_incident() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut f = RejectsFile::create(&p).unwrap();
        f.write_conflict(
            Path::new("/x/b.geojson"),
            &Conflict {
                line: 12,
                external_id: "S-2".to_owned(),
                fid: 3,
                reason: "its time differs".to_owned(),
            },
        );
        f.finish().unwrap();
        assert_eq!(
            read(&p),
            [[
                "b.geojson",
                "12",
                "conflict: id \"S-2\" is stored as incident 3 but its time differs",
                ""
            ]]
        );
    }

    #[test]
    fn a_write_error_is_kept_and_returned_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        // A directory that does not exist: the first row cannot be written.
        let p = dir.path().join("no/such/dir/r.csv");
        let mut f = RejectsFile::on_first_row(&p);
        f.write_rejected(&reject(2));
        f.write_rejected(&reject(3));
        let e = f.finish().unwrap_err().to_string();
        assert!(e.contains("r.csv"), "{e}");
        assert!(e.contains("2 rejected row(s)"), "{e}");
        assert!(RejectsFile::create(&p).is_err());
    }

    #[test]
    fn beside_names_the_apps_file() {
        assert_eq!(
            beside(Path::new("/d/händelser.csv")),
            PathBuf::from("/d/händelser.avvisade.csv")
        );
    }
}
