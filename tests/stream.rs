//! Very large inputs stream (issue 21): the peak memory of `lagesbild import`
//! does not grow with the file.
//!
//! Each test imports a file of N rows and one of 4N rows into new projects,
//! each in its own `lagesbild` process, and compares the processes' peak
//! resident memory (`ru_maxrss` from `wait4`, so other tests' children do not
//! count). SQLite's page cache is bounded to a few MiB for the run
//! (`LAGESBILD_IMPORT_CACHE_MIB`), so that even the small file fills it and
//! what is left to grow is what the import keeps per row. The margin is wide
//! (no timing, no flakiness) and still far below what per-row state costs:
//! the duplicate maps and point list the CSV import kept until commit grew
//! by about 40 MB between these sizes, and the GeoJSON reader that read the
//! file whole by more than the 4N file's 40 MB.

use std::path::Path;
use std::process::{Command, Stdio};

use lagesbild::import::benchdata::{write_benchmark_csv, write_benchmark_geojson};

use crate::util::Dir;

/// Page cache of the imports, MiB.
const CACHE_MIB: &str = "4";
/// Growth of the peak from N to 4N rows that still counts as flat, MiB.
const FLAT_MARGIN_MIB: i64 = 12;

/// Runs `lagesbild import PROJECT FILE` and returns its peak resident
/// memory in KiB, and its stderr.
// The child is reaped by `wait4` below, which std's `Child` does not see.
#[allow(clippy::zombie_processes)]
fn peak_rss_kib(dir: &Dir, project: &Path, file: &Path) -> (i64, String) {
    let bin = env!("CARGO_BIN_EXE_lagesbild");
    let child = Command::new(bin)
        .arg("import")
        .arg(project)
        .arg(file)
        .current_dir(dir.root())
        .env("HOME", dir.path("home"))
        .env("XDG_DATA_HOME", dir.path("home/.local/share"))
        .env("XDG_STATE_HOME", dir.path("home/.local/state"))
        .env("XDG_CACHE_HOME", dir.path("home/.cache"))
        .env("XDG_CONFIG_HOME", dir.path("home/.config"))
        .env("LAGESBILD_IMPORT_CACHE_MIB", CACHE_MIB)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lagesbild");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("stderr");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut text).expect("read stderr");
    let mut status = 0;
    // SAFETY: plain syscall on our own child, reaped here (std's `Child`
    // handle was consumed above and never waits for it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "lagesbild import {} failed ({status}): {text}",
        file.display()
    );
    // Linux reports ru_maxrss in KiB.
    (usage.ru_maxrss, text)
}

fn incident_count(project: &Path) -> i64 {
    let conn = rusqlite::Connection::open(project).unwrap();
    let ok: String = conn
        .query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(ok, "ok");
    conn.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
        .unwrap()
}

/// Imports `write(path, rows)` files of `n` and `4 * n` rows and checks the
/// rows arrived and the peaks are within [`FLAT_MARGIN_MIB`].
fn assert_flat(ext: &str, n: usize, write: fn(&Path, usize, u64) -> std::io::Result<()>) {
    let dir = Dir::new();
    let mut peaks = Vec::new();
    for rows in [n, 4 * n] {
        let file = dir.path(&format!("big_{rows}.{ext}"));
        write(&file, rows, 21).unwrap();
        let project = dir.path(&format!("p_{rows}.gpkg"));
        let (peak, stderr) = peak_rss_kib(&dir, &project, &file);
        assert_eq!(incident_count(&project), rows as i64, "{stderr}");
        std::fs::remove_file(&file).unwrap();
        peaks.push(peak);
    }
    let growth_mib = (peaks[1] - peaks[0]) / 1024;
    eprintln!(
        "{ext}: peak {} MiB at {n} rows, {} MiB at {} rows",
        peaks[0] / 1024,
        peaks[1] / 1024,
        4 * n
    );
    assert!(
        growth_mib < FLAT_MARGIN_MIB,
        "{ext}: peak memory grew by {growth_mib} MiB from {n} to {} rows ({} → {} KiB): \
         the import keeps something per row",
        4 * n,
        peaks[0],
        peaks[1]
    );
}

#[test]
fn csv_import_memory_does_not_grow_with_the_file() {
    assert_flat("csv", 100_000, write_benchmark_csv);
}

#[test]
fn geojson_import_memory_does_not_grow_with_the_file() {
    assert_flat("geojson", 40_000, write_benchmark_geojson);
}
