//! The app's and the command line's log: lines in `lagesbild.log` under the
//! user's state directory (`dirs::state_dir()/lagesbild`, e.g.
//! `~/.local/state/lagesbild` on Linux; the local data directory where the
//! platform has no state directory, e.g. `%LOCALAPPDATA%\lagesbild` on
//! Windows), or `LAGESBILD_LOG_DIR` when set.
//!
//! The file is rotated by size: when a line would take it past
//! [`MAX_BYTES`], `lagesbild.log` becomes `lagesbild.log.1`, `.1` becomes
//! `.2` and so on, and the oldest beyond [`KEEP`] is deleted, so the log
//! never holds more than about `MAX_BYTES × (KEEP + 1)`.
//!
//! What is logged: which command or window ran, how it ended, and messages
//! of the libraries under us (e.g. a tile that failed to download). Never
//! incident data: callers log command names and counts, not arguments or
//! values, and the library's errors never quote free text.
//!
//! A tiny writer of our own rather than a logging framework: it is the
//! `log` facade (already built for egui and walkers) plus 100 lines.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Size at which the file is rotated.
pub const MAX_BYTES: u64 = 1024 * 1024;
/// Rotated files kept beside the current one.
pub const KEEP: usize = 3;
/// The current file's name.
pub const FILE_NAME: &str = "lagesbild.log";

/// Where the log goes: `LAGESBILD_LOG_DIR`, else the state directory, else
/// the local data directory; `None` when the platform names neither.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LAGESBILD_LOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("lagesbild"))
}

/// A size-bounded, rotating log file.
pub struct RotatingFile {
    dir: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    /// The log in `dir` (created if missing), rotated at `max_bytes` with
    /// `keep` older files.
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> std::io::Result<RotatingFile> {
        fs::create_dir_all(dir)?;
        let mut f = RotatingFile {
            dir: dir.to_owned(),
            max_bytes,
            keep,
            file: None,
            size: 0,
        };
        f.reopen()?;
        Ok(f)
    }

    fn path(&self, n: usize) -> PathBuf {
        if n == 0 {
            self.dir.join(FILE_NAME)
        } else {
            self.dir.join(format!("{FILE_NAME}.{n}"))
        }
    }

    fn reopen(&mut self) -> std::io::Result<()> {
        let path = self.path(0);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        self.size = file.metadata()?.len();
        self.file = Some(file);
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        let _ = fs::remove_file(self.path(self.keep));
        for n in (0..self.keep).rev() {
            let from = self.path(n);
            if from.exists() {
                fs::rename(&from, self.path(n + 1))?;
            }
        }
        if self.keep == 0 {
            let _ = fs::remove_file(self.path(0));
        }
        self.reopen()
    }

    /// Appends one line (a newline is added), rotating first when it would
    /// not fit.
    pub fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate()?;
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.write_all(line.as_bytes())?;
        file.write_all(b"\n")?;
        self.size += len;
        Ok(())
    }
}

struct Logger {
    component: &'static str,
    file: Mutex<RotatingFile>,
}

impl ::log::Log for Logger {
    fn enabled(&self, metadata: &::log::Metadata<'_>) -> bool {
        metadata.level() <= ::log::Level::Info
    }

    fn log(&self, record: &::log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "{} {} {} {}: {}",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            self.component,
            record.level(),
            record.target(),
            record.args()
        );
        if let Ok(mut f) = self.file.lock() {
            // A log that cannot be written must not stop the work.
            let _ = f.write_line(&line);
        }
    }

    fn flush(&self) {}
}

/// Sends the `log` facade's records (info and above) to the log file, each
/// line naming `component` (`cli`, `app`). Returns the folder, or `None`
/// when there is none or it cannot be written (then nothing is logged).
/// A second call does nothing.
pub fn init(component: &'static str) -> Option<PathBuf> {
    let dir = log_dir()?;
    let file = RotatingFile::open(&dir, MAX_BYTES, KEEP).ok()?;
    let logger = Logger {
        component,
        file: Mutex::new(file),
    };
    ::log::set_boxed_logger(Box::new(logger)).ok()?;
    ::log::set_max_level(::log::LevelFilter::Info);
    Some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = RotatingFile::open(dir.path(), 100, 2).unwrap();
        for i in 0..50 {
            f.write_line(&format!("line {i:03} ........")).unwrap();
        }
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["lagesbild.log", "lagesbild.log.1", "lagesbild.log.2"]
        );
        for n in &names {
            assert!(fs::metadata(dir.path().join(n)).unwrap().len() <= 100);
        }
        // The newest line is in the current file, older ones rotated out.
        let current = fs::read_to_string(dir.path().join("lagesbild.log")).unwrap();
        assert!(current.ends_with("line 049 ........\n"));
        let all: String = names
            .iter()
            .map(|n| fs::read_to_string(dir.path().join(n)).unwrap())
            .collect();
        assert!(!all.contains("line 000"));
        // Reopened, it appends.
        let mut again = RotatingFile::open(dir.path(), 100, 2).unwrap();
        again.write_line("after").unwrap();
        assert!(
            fs::read_to_string(dir.path().join("lagesbild.log"))
                .unwrap()
                .contains("after")
        );
    }
}
