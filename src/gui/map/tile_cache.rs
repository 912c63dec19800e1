//! The tile servers' disk cache, kept within a size limit.
//!
//! walkers stores each server's tiles with `http-cache` in a `cacache`
//! folder (`<cache>/lagesbild/tiles/<source>`): small index files
//! (`index-v5/…`) that point by checksum to content files
//! (`content-v2/sha256/ab/cd/<rest of the hex digest>`). Nothing bounds it,
//! so [`prune`] does, over all sources together: least recently used files
//! go first (last use = the later of the file's access and modification
//! times) until the total is under the limit (default
//! [`DEFAULT_CACHE_MAX_MB`], `cache_max_mb` in `maps/tiles.toml`). A content
//! file whose bytes no longer match its checksum (a damaged disk, a cut-off
//! write) is removed too: cacache then reports a miss and the tile is simply
//! fetched again. A removed file is never an error for the map: a missing
//! entry is a miss.
//!
//! [`CacheKeeper`] runs [`prune`] on its own thread at start (checking the
//! checksums then) and every [`PRUNE_EVERY`], and checks that the cache
//! folder can still be written: a full disk is reported as
//! [`CacheProblem::DiskFull`] for a note on the map, never a crash.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

/// The default size limit of all tile caches together, in MB.
pub const DEFAULT_CACHE_MAX_MB: u64 = 500;

/// How often the keeper prunes while the app runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(10 * 60);

/// Bytes in the limit's megabyte.
const MB: u64 = 1024 * 1024;

/// cacache's folder for files still being written; recent ones are left alone.
const TMP_DIR: &str = "tmp";

/// What one [`prune`] found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PruneReport {
    /// Files (and their bytes) before pruning.
    pub files_before: usize,
    pub bytes_before: u64,
    /// Bytes left afterwards.
    pub bytes_after: u64,
    /// Files removed as least recently used.
    pub evicted: usize,
    /// Content files removed because their bytes did not match their checksum.
    pub corrupt: usize,
}

/// Why the cache cannot do its job, for a note on the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheProblem {
    /// The disk holding the cache is full: new tiles are shown but not kept.
    DiskFull { dir: PathBuf },
    /// The cache folder cannot be read or written (permissions, …).
    Unusable { dir: PathBuf, reason: String },
}

impl std::fmt::Display for CacheProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheProblem::DiskFull { dir } => write!(f, "{}: the disk is full", dir.display()),
            CacheProblem::Unusable { dir, reason } => write!(f, "{}: {reason}", dir.display()),
        }
    }
}

struct CacheFile {
    path: PathBuf,
    bytes: u64,
    last_used: SystemTime,
}

fn collect(dir: &Path, out: &mut Vec<CacheFile>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file() {
            // A file removed meanwhile (another app window pruning) is skipped.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let accessed = meta.accessed().unwrap_or(modified);
            out.push(CacheFile {
                path,
                bytes: meta.len(),
                last_used: accessed.max(modified),
            });
        }
    }
    Ok(())
}

/// The hex digest a cacache content path names (`…/content-v2/sha256/ab/cd/rest`).
fn named_sha256(path: &Path) -> Option<String> {
    let parts: Vec<&str> = path
        .iter()
        .rev()
        .take(5)
        .map(|p| p.to_str().unwrap_or(""))
        .collect();
    match parts.as_slice() {
        [rest, b, a, "sha256", "content-v2"] => Some(format!("{a}{b}{rest}")),
        _ => None,
    }
}

fn matches_checksum(path: &Path, hex: &str) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    let digest = hasher.finalize();
    let got: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(got.eq_ignore_ascii_case(hex))
}

fn is_recent_tmp(root: &Path, file: &CacheFile, now: SystemTime) -> bool {
    let rel = file.path.strip_prefix(root).unwrap_or(&file.path);
    rel.iter().any(|p| p == TMP_DIR)
        && now
            .duration_since(file.last_used)
            .is_ok_and(|age| age < Duration::from_secs(3600))
}

/// Brings the caches under `root` within `max_bytes`, least recently used
/// files first; with `verify`, first removes content files whose bytes do
/// not match their checksum. A missing `root` is an empty cache.
pub fn prune(root: &Path, max_bytes: u64, verify: bool) -> std::io::Result<PruneReport> {
    let mut files = Vec::new();
    collect(root, &mut files)?;
    let mut report = PruneReport {
        files_before: files.len(),
        bytes_before: files.iter().map(|f| f.bytes).sum(),
        ..PruneReport::default()
    };
    let now = SystemTime::now();
    if verify {
        files.retain(|f| {
            let Some(hex) = named_sha256(&f.path) else {
                return true;
            };
            match matches_checksum(&f.path, &hex) {
                Ok(true) | Err(_) => true,
                Ok(false) => {
                    let removed = std::fs::remove_file(&f.path).is_ok();
                    report.corrupt += usize::from(removed);
                    !removed
                }
            }
        });
    }
    let mut total: u64 = files.iter().map(|f| f.bytes).sum();
    files.sort_by_key(|f| f.last_used);
    for f in &files {
        if total <= max_bytes {
            break;
        }
        if is_recent_tmp(root, f, now) {
            continue;
        }
        match std::fs::remove_file(&f.path) {
            Ok(()) => {
                total -= f.bytes;
                report.evicted += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= f.bytes,
            Err(e) => return Err(e),
        }
    }
    report.bytes_after = total;
    Ok(report)
}

/// Checks that `root` can take a new file (64 KiB, removed again).
pub fn check_writable(root: &Path) -> Result<(), CacheProblem> {
    let problem = |e: std::io::Error| problem_from(root, &e);
    std::fs::create_dir_all(root).map_err(problem)?;
    let probe = root.join(format!(".lagesbild-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 64 * 1024])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.map_err(problem)
}

/// A failed write into the cache folder `root` as a [`CacheProblem`].
fn problem_from(root: &Path, e: &std::io::Error) -> CacheProblem {
    if e.kind() == std::io::ErrorKind::StorageFull {
        CacheProblem::DiskFull {
            dir: root.to_owned(),
        }
    } else {
        CacheProblem::Unusable {
            dir: root.to_owned(),
            reason: e.to_string(),
        }
    }
}

/// The cache limit `tiles.toml` sets (`cache_max_mb = 500` at the top), in
/// bytes; the default when it sets none.
pub fn limit_bytes(cache_max_mb: Option<u64>) -> u64 {
    cache_max_mb
        .unwrap_or(DEFAULT_CACHE_MAX_MB)
        .saturating_mul(MB)
}

/// What the keeper thread reports after each round.
#[derive(Debug, Clone, PartialEq)]
pub struct KeeperRound {
    pub report: Result<PruneReport, String>,
    pub problem: Option<CacheProblem>,
}

/// Prunes the cache at start and every `every`, on its own thread; stops
/// when dropped.
pub struct CacheKeeper {
    stop: Option<mpsc::Sender<()>>,
    rounds: mpsc::Receiver<KeeperRound>,
    last: Option<KeeperRound>,
}

impl CacheKeeper {
    /// Starts the thread; `wake` is called after each round (the app's
    /// repaint request, so a new problem shows at once).
    pub fn start(
        root: PathBuf,
        max_bytes: u64,
        every: Duration,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<CacheKeeper> {
        let (stop, stopped) = mpsc::channel::<()>();
        let (tx, rounds) = mpsc::channel();
        std::thread::Builder::new()
            .name("tile-cache".to_owned())
            .spawn(move || {
                let mut first = true;
                loop {
                    let report = prune(&root, max_bytes, first).map_err(|e| e.to_string());
                    let problem = check_writable(&root).err();
                    first = false;
                    if tx.send(KeeperRound { report, problem }).is_err() {
                        return;
                    }
                    wake();
                    match stopped.recv_timeout(every) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                }
            })?;
        Ok(CacheKeeper {
            stop: Some(stop),
            rounds,
            last: None,
        })
    }

    /// The latest finished round, if any.
    pub fn last_round(&mut self) -> Option<&KeeperRound> {
        while let Ok(round) = self.rounds.try_recv() {
            self.last = Some(round);
        }
        self.last.as_ref()
    }

    /// The problem the latest round found, if any.
    pub fn problem(&mut self) -> Option<CacheProblem> {
        self.last_round().and_then(|r| r.problem.clone())
    }
}

impl Drop for CacheKeeper {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which then ends.
        self.stop.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(root: &Path, rel: &str, bytes: &[u8], age_secs: u64) -> PathBuf {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let t = SystemTime::now() - Duration::from_secs(age_secs);
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
            .unwrap();
        path
    }

    fn content_rel(bytes: &[u8]) -> String {
        let hex: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "osm/content-v2/sha256/{}/{}/{}",
            &hex[0..2],
            &hex[2..4],
            &hex[4..]
        )
    }

    #[test]
    fn least_recently_used_files_go_first_until_under_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let old = put(dir.path(), "osm/content-v2/x/old", &[1; 1000], 300);
        let mid = put(dir.path(), "topo/content-v2/x/mid", &[2; 1000], 200);
        let new = put(dir.path(), "osm/content-v2/x/new", &[3; 1000], 100);
        let report = prune(dir.path(), 2000, false).unwrap();
        assert_eq!(report.files_before, 3);
        assert_eq!(report.bytes_before, 3000);
        assert_eq!(report.evicted, 1);
        assert_eq!(report.bytes_after, 2000);
        assert!(!old.exists() && mid.exists() && new.exists());
        // Within the limit: nothing more goes.
        let again = prune(dir.path(), 2000, false).unwrap();
        assert_eq!(again.evicted, 0);
        let tight = prune(dir.path(), 500, false).unwrap();
        assert_eq!(tight.evicted, 2);
        assert_eq!(tight.bytes_after, 0);
    }

    #[test]
    fn a_file_read_lately_is_kept_over_an_older_one() {
        let dir = tempfile::tempdir().unwrap();
        let a = put(dir.path(), "osm/a", &[1; 100], 500);
        let b = put(dir.path(), "osm/b", &[2; 100], 400);
        // `a` was read just now (its access time moves on).
        let f = std::fs::File::options().write(true).open(&a).unwrap();
        f.set_times(std::fs::FileTimes::new().set_accessed(SystemTime::now()))
            .unwrap();
        prune(dir.path(), 150, false).unwrap();
        assert!(a.exists() && !b.exists());
    }

    #[test]
    fn content_that_does_not_match_its_checksum_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let good = put(dir.path(), &content_rel(b"a good tile"), b"a good tile", 10);
        let bad = put(
            dir.path(),
            &content_rel(b"another tile"),
            b"another tiXe",
            10,
        );
        let index = put(dir.path(), "osm/index-v5/ab/cd/bucket", b"index line", 10);
        let report = prune(dir.path(), u64::MAX, true).unwrap();
        assert_eq!(report.corrupt, 1);
        assert!(good.exists() && !bad.exists() && index.exists());
        // Without `verify` the bytes are not read.
        let bad = put(dir.path(), &content_rel(b"third"), b"thirX", 10);
        assert_eq!(prune(dir.path(), u64::MAX, false).unwrap().corrupt, 0);
        assert!(bad.exists());
    }

    #[test]
    fn a_missing_cache_is_empty_and_files_being_written_stay() {
        let dir = tempfile::tempdir().unwrap();
        let report = prune(&dir.path().join("none"), 0, true).unwrap();
        assert_eq!(report, PruneReport::default());
        let writing = put(dir.path(), "osm/tmp/abc", &[0; 100], 5);
        let done = put(dir.path(), "osm/content-v2/x/y", &[0; 100], 50);
        prune(dir.path(), 0, false).unwrap();
        assert!(writing.exists() && !done.exists());
    }

    #[test]
    fn the_limit_comes_from_tiles_toml_or_defaults_to_500_mb() {
        assert_eq!(limit_bytes(None), 500 * MB);
        assert_eq!(limit_bytes(Some(20)), 20 * MB);
    }

    #[test]
    fn a_writable_folder_passes_and_an_unwritable_path_says_why() {
        let dir = tempfile::tempdir().unwrap();
        check_writable(&dir.path().join("cache")).unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let problem = check_writable(&file.join("below")).unwrap_err();
        assert!(
            matches!(problem, CacheProblem::Unusable { .. }),
            "{problem}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_reported_as_such() {
        // /dev/full accepts opening and fails every write with ENOSPC, as a
        // full disk does; the probe goes through the same code path.
        let error = (|| {
            let mut f = std::fs::File::options().write(true).open("/dev/full")?;
            f.write_all(&[0u8; 64 * 1024])?;
            f.sync_all()
        })()
        .unwrap_err();
        let problem = problem_from(Path::new("/cache"), &error);
        assert_eq!(
            problem,
            CacheProblem::DiskFull {
                dir: PathBuf::from("/cache")
            }
        );
        assert_eq!(problem.to_string(), "/cache: the disk is full");
    }

    #[test]
    fn the_keeper_prunes_at_start_and_stops_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let old = put(dir.path(), "osm/content-v2/x/old", &[1; 1000], 300);
        let (tx, rx) = mpsc::channel();
        let mut keeper = CacheKeeper::start(
            dir.path().to_owned(),
            10,
            Duration::from_secs(3600),
            move || {
                let _ = tx.send(());
            },
        )
        .unwrap();
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let round = keeper.last_round().cloned().unwrap();
        assert_eq!(round.report.unwrap().evicted, 1);
        assert_eq!(round.problem, None);
        assert!(!old.exists());
        drop(keeper);
        // The thread ended: its sender is gone.
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_err());
    }
}
