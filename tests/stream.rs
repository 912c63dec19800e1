//! Very large inputs stream (issue 21): the peak memory of `lagesbild import`
//! does not grow with the file.
//!
//! Each test imports a file of N rows and one of 4N rows into new projects
//! (good rows, rows that are all rejected, rows that all conflict with stored
//! incidents),
//! each in its own `lagesbild` process, and compares the processes' peak
//! resident memory (`ru_maxrss` from `wait4`, read by a small wrapper
//! process so that neither the test binary's memory nor other tests'
//! children count: [`PEAK_WRAPPER`]). SQLite's page cache is bounded to a few MiB for the run
//! (`LAGESBILD_IMPORT_CACHE_MIB`), so that even the small file fills it and
//! what is left to grow is what the import keeps per row. The margin is wide
//! (no timing, no flakiness) and still far below what per-row state costs:
//! the duplicate maps and point list the CSV import kept until commit grew
//! by about 40 MB between these sizes, and the GeoJSON reader that read the
//! file whole by more than the 4N file's 40 MB.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufWriter, Write as _};
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
fn peak_rss_kib(dir: &Dir, project: &Path, file: &Path) -> (i64, String) {
    let run = run_lagesbild(
        dir,
        &[OsStr::new("import"), project.as_os_str(), file.as_os_str()],
        0,
    );
    (run.peak_kib, run.stderr)
}

/// What one `lagesbild import` run left.
struct Run {
    /// Peak resident memory, KiB.
    peak_kib: i64,
    stdout: String,
    stderr: String,
}

/// Forks and execs `argv[2:]`, waits for it, writes its peak resident memory
/// (KiB, `ru_maxrss` of `wait4`) to `argv[1]` and exits with its exit code.
/// A fresh, small process in between: Linux carries the RSS peak of the
/// process that forks and execs into the child's `ru_maxrss`, so a child
/// spawned straight from the test binary (hundreds of MB in the full run)
/// would report the test binary's memory.
const PEAK_WRAPPER: &str = "import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], 'w').write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) & 255)
";

/// Runs `lagesbild ARGS…` (through [`PEAK_WRAPPER`], with python3, one of
/// the test tools), checks that it exits with `exit`, and returns its peak
/// resident memory and output.
fn run_lagesbild(dir: &Dir, args: &[&OsStr], exit: i32) -> Run {
    let bin = env!("CARGO_BIN_EXE_lagesbild");
    let peak_path = dir.path("peak.txt");
    let out = Command::new("python3")
        .arg("-c")
        .arg(PEAK_WRAPPER)
        .arg(&peak_path)
        .arg(bin)
        .args(args)
        .current_dir(dir.root())
        .env("HOME", dir.path("home"))
        .env("XDG_DATA_HOME", dir.path("home/.local/share"))
        .env("XDG_STATE_HOME", dir.path("home/.local/state"))
        .env("XDG_CACHE_HOME", dir.path("home/.cache"))
        .env("XDG_CONFIG_HOME", dir.path("home/.config"))
        .env("LAGESBILD_IMPORT_CACHE_MIB", CACHE_MIB)
        .stdin(Stdio::null())
        .output()
        .expect("start python3 (a test tool: scripts/install-test-tools.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(exit),
        "lagesbild {args:?}: {}, expected exit {exit}: {stderr}\n{stdout}",
        out.status
    );
    // Linux reports ru_maxrss in KiB.
    let peak_kib = std::fs::read_to_string(&peak_path)
        .expect("the wrapper's peak")
        .trim()
        .parse()
        .expect("a number of KiB");
    std::fs::remove_file(&peak_path).unwrap();
    Run {
        peak_kib,
        stdout,
        stderr,
    }
}

/// Fails unless the peaks of the `n`- and `4n`-row runs are within
/// [`FLAT_MARGIN_MIB`] of each other.
fn assert_flat_peaks(what: &str, n: usize, peaks: [i64; 2]) {
    let growth_mib = (peaks[1] - peaks[0]) / 1024;
    eprintln!(
        "{what}: peak {} MiB at {n} rows, {} MiB at {} rows",
        peaks[0] / 1024,
        peaks[1] / 1024,
        4 * n
    );
    assert!(
        growth_mib < FLAT_MARGIN_MIB,
        "{what}: peak memory grew by {growth_mib} MiB from {n} to {} rows ({} → {} KiB): \
         the import keeps something per row",
        4 * n,
        peaks[0],
        peaks[1]
    );
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
    assert_flat_peaks(ext, n, [peaks[0], peaks[1]]);
}

#[test]
fn csv_import_memory_does_not_grow_with_the_file() {
    assert_flat("csv", 100_000, write_benchmark_csv);
}

#[test]
fn geojson_import_memory_does_not_grow_with_the_file() {
    assert_flat("geojson", 40_000, write_benchmark_geojson);
}

/// Lines of a text file.
fn line_count(path: &Path) -> usize {
    std::io::BufReader::new(std::fs::File::open(path).unwrap())
        .lines()
        .count()
}

/// A CSV of `rows` rows that all have a time no reader takes.
fn write_bad_csv(path: &Path, rows: usize) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "id,lon,lat,occurred_at,category,source")?;
    for i in 0..rows {
        writeln!(
            out,
            "X{i},14.{:04},56.{:04},kl 25.{:02} den {i},vald,polis",
            5000 + i % 1000,
            400 + i % 900,
            i % 60
        )?;
    }
    out.flush()
}

/// Rejected rows stream: a file of nothing but bad rows, at N and 4N rows,
/// with every row written to `--rejects` and only the first ones printed.
#[test]
fn a_file_of_only_bad_rows_does_not_grow_memory() {
    let n = 40_000;
    let dir = Dir::new();
    let mut peaks = Vec::new();
    for rows in [n, 4 * n] {
        let file = dir.path(&format!("bad_{rows}.csv"));
        write_bad_csv(&file, rows).unwrap();
        let rejects = dir.path(&format!("rejects_{rows}.csv"));
        let project = dir.path(&format!("p_{rows}.gpkg"));
        let run = run_lagesbild(
            &dir,
            &[
                OsStr::new("import"),
                project.as_os_str(),
                file.as_os_str(),
                OsStr::new("--rejects"),
                rejects.as_os_str(),
            ],
            1,
        );
        // Nothing imported: the new project was not left behind.
        assert!(!project.exists(), "{}", run.stderr);
        assert!(
            run.stdout.contains(&format!("{rows} rejected")),
            "{}",
            run.stdout
        );
        let shown = run.stdout.matches("  rejected: ").count();
        assert_eq!(shown, 20, "{}", run.stdout);
        assert!(
            run.stdout.contains(&format!(
                "… and {} more rejected rows in {}",
                rows - 20,
                rejects.display()
            )),
            "{}",
            run.stdout
        );
        assert!(
            run.stderr.contains(&format!("{rows} rejected row(s)")),
            "{}",
            run.stderr
        );
        // Every row, plus the header.
        assert_eq!(line_count(&rejects), rows + 1);
        std::fs::remove_file(&file).unwrap();
        std::fs::remove_file(&rejects).unwrap();
        peaks.push(run.peak_kib);
    }
    assert_flat_peaks("bad rows", n, [peaks[0], peaks[1]]);
}

/// The benchmark CSV `original` with every time four years earlier (2024 is
/// 2020, 2025 is 2021: leap days stay dates): the same ids and sources, so
/// each row conflicts with the row stored from the original.
fn write_conflicting_csv(original: &Path, path: &Path) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for line in std::io::BufReader::new(std::fs::File::open(original)?).lines() {
        let line = line?
            .replace(",2024-", ",2020-")
            .replace(",2025-", ",2021-");
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// Conflicts stream too: a file whose every row conflicts with a stored
/// incident, at N and 4N rows, printed without `--rejects`.
#[test]
fn a_file_of_only_conflicts_does_not_grow_memory() {
    let n = 50_000;
    let dir = Dir::new();
    let mut peaks = Vec::new();
    for rows in [n, 4 * n] {
        let file = dir.path(&format!("base_{rows}.csv"));
        write_benchmark_csv(&file, rows, 21).unwrap();
        let later = dir.path(&format!("later_{rows}.csv"));
        write_conflicting_csv(&file, &later).unwrap();
        let project = dir.path(&format!("p_{rows}.gpkg"));
        peak_rss_kib(&dir, &project, &file);
        std::fs::remove_file(&file).unwrap();
        let run = run_lagesbild(
            &dir,
            &[OsStr::new("import"), project.as_os_str(), later.as_os_str()],
            1,
        );
        assert_eq!(incident_count(&project), rows as i64, "{}", run.stderr);
        assert!(
            run.stdout.contains(&format!("{rows} conflicts")),
            "{}",
            run.stdout
        );
        assert_eq!(run.stdout.matches("  conflict: ").count(), 20);
        assert!(
            run.stdout.contains(&format!(
                "… and {} more conflicts (use --rejects FILE to keep them all)",
                rows - 20
            )),
            "{}",
            run.stdout
        );
        std::fs::remove_file(&later).unwrap();
        peaks.push(run.peak_kib);
    }
    assert_flat_peaks("conflicts", n, [peaks[0], peaks[1]]);
}

/// A file that starts with `head` and is `len` bytes long, the rest a hole
/// (sparse: no disk used). Its size alone must refuse it.
fn write_large(path: &Path, head: &str, len: u64) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(head.as_bytes()).unwrap();
    f.set_len(len).unwrap();
}

/// The JSON readers that keep the whole content anyway refuse a file above
/// their limit before reading it: a Police events file four times the limit
/// is refused with its name and the limit, and the process never holds it.
#[test]
fn a_police_file_above_its_limit_is_refused_unread() {
    let limit = lagesbild::import::polisen::POLICE_JSON.max_bytes;
    let dir = Dir::new();
    let file = dir.path("events.json");
    let mut head = String::from("[\n");
    for id in 0..2000 {
        head.push_str(&format!(
            "{{\"id\": {id}, \"datetime\": \"2025-01-10 20:32:11 +01:00\", \"name\": \"10 januari 20.15, Skadegörelse, Sölvesborg\", \"type\": \"Skadegörelse\", \"location\": {{\"name\": \"Sölvesborg\", \"gps\": \"56.050608,14.58568\"}}}},\n"
        ));
    }
    write_large(&file, &head, 4 * limit);
    let project = dir.path("p.gpkg");
    let run = run_lagesbild(
        &dir,
        &[OsStr::new("import"), project.as_os_str(), file.as_os_str()],
        1,
    );
    assert!(
        run.stderr.contains(&format!(
            "{}: the file is 128.0 MB; a Polisen events file is read whole",
            file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the limit is 32 MB"), "{}", run.stderr);
    assert!(!project.exists(), "nothing imported, no project left");
    assert!(
        run.peak_kib * 1024 < (limit as i64) * 2,
        "peak {} KiB: the file was read",
        run.peak_kib
    );
}

/// A GeoJSON map layer four times its limit is refused the same way by
/// `lagesbild layer add`.
#[test]
fn a_layer_file_above_its_limit_is_refused_unread() {
    let limit = lagesbild::import::shapes::LAYER_JSON.max_bytes;
    let dir = Dir::new();
    let project = dir.path("p.gpkg");
    drop(lagesbild::store::create(&project, "T").unwrap());
    let file = dir.path("lager.geojson");
    let mut head = String::from("{\"type\": \"FeatureCollection\", \"features\": [\n");
    for i in 0..2000 {
        head.push_str(&format!(
            "{{\"type\": \"Feature\", \"properties\": {{\"name\": \"Plats {i}\"}}, \"geometry\": {{\"type\": \"Point\", \"coordinates\": [14.58, 56.05]}}}},\n"
        ));
    }
    write_large(&file, &head, 4 * limit);
    let run = run_lagesbild(
        &dir,
        &[
            OsStr::new("layer"),
            OsStr::new("add"),
            project.as_os_str(),
            file.as_os_str(),
        ],
        2,
    );
    assert!(
        run.stderr.contains(&format!(
            "{}: the file is 256.0 MB; a GeoJSON map layer is read whole",
            file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the limit is 64 MB"), "{}", run.stderr);
    assert!(
        run.peak_kib * 1024 < (limit as i64) * 2,
        "peak {} KiB: the file was read",
        run.peak_kib
    );
}
