//! Nothing is lost when the import is killed (issue 21): `lagesbild import`
//! of a big CSV into a project that already holds data is SIGKILLed at
//! seeded random moments spread over the measured import time; after each
//! kill the project must open, pass `PRAGMA integrity_check` and
//! `rtreecheck`, hold all of the import or none of it, and keep the earlier
//! data exactly as it was.
//!
//! The full run (1,000,000 rows, 50 kills) needs the release binary:
//! `scripts/kill-test.sh` (and `scripts/test.sh`, which CI runs) build it and
//! point `LAGESBILD_KILL_BIN` at it. Without that variable the test runs the
//! debug binary on 100,000 rows with 6 kills, the same checks on a smaller
//! file (a debug import of a million rows takes two minutes).
//! `LAGESBILD_KILL_ROWS`, `LAGESBILD_KILL_RUNS` and `LAGESBILD_KILL_SEED`
//! override the defaults.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lagesbild::import::benchdata::write_benchmark_csv;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, OpenFlags};

use crate::util::Dir;

const BASE_INCIDENTS: usize = 2000;

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.replace('_', "")
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?}: {e}")),
    )
}

fn lagesbild(bin: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(cwd)
        .env("HOME", cwd.join("home"))
        .env("XDG_DATA_HOME", cwd.join("home/.local/share"))
        .env("XDG_CACHE_HOME", cwd.join("home/.cache"))
        .env("XDG_CONFIG_HOME", cwd.join("home/.config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn query<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> T {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A digest of every column of the incidents with `fid <= max_fid` and of
/// the earlier imports' log rows.
fn digest_of_earlier(conn: &Connection, max_fid: i64) -> u64 {
    let mut h = DefaultHasher::new();
    for sql in [
        format!(
            "SELECT fid, uid, occurred_at, category, category_text, source, source_text, \
             precision_m, place, description, import_file, external_id, import_key, hex(geom) \
             FROM incidents WHERE fid <= {max_fid} ORDER BY fid"
        ),
        "SELECT * FROM lagesbild_imports WHERE file_name <> 'big.csv' ORDER BY id".to_owned(),
    ] {
        let mut stmt = conn.prepare(&sql).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                format!("{:?}", r.get_ref(i).unwrap()).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// What a project holds, as the checks compare it.
#[derive(Debug, PartialEq)]
struct State {
    incidents: i64,
    imports_of_big: i64,
    earlier: u64,
}

/// Opens the project as the app does, runs SQLite's own checks and reads
/// its state; panics with the run's number on any fault.
fn check(path: &Path, max_fid: i64, run: &str) -> State {
    let store = lagesbild::store::open(path)
        .unwrap_or_else(|e| panic!("{run}: the project does not open: {e}"));
    let info = store
        .info()
        .unwrap_or_else(|e| panic!("{run}: the project does not read: {e}"));
    drop(store);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap();
    let integrity: String = query(&conn, "PRAGMA integrity_check");
    assert_eq!(integrity, "ok", "{run}: integrity_check");
    let rtree: String = query(&conn, "SELECT rtreecheck('rtree_incidents_geom')");
    assert_eq!(rtree, "ok", "{run}: rtreecheck");
    let incidents: i64 = query(&conn, "SELECT count(*) FROM incidents");
    let indexed: i64 = query(&conn, "SELECT count(*) FROM rtree_incidents_geom");
    assert_eq!(indexed, incidents, "{run}: R-tree entries vs incidents");
    assert_eq!(
        info.incident_count, incidents as u64,
        "{run}: info vs table"
    );
    State {
        incidents,
        imports_of_big: query(
            &conn,
            "SELECT count(*) FROM lagesbild_imports WHERE file_name = 'big.csv'",
        ),
        earlier: digest_of_earlier(&conn, max_fid),
    }
}

fn remove_project(path: &Path) {
    for side in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(side);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

#[test]
fn sigkill_at_random_moments_of_an_import_loses_nothing() {
    let release_bin = std::env::var_os("LAGESBILD_KILL_BIN").map(PathBuf::from);
    let full = release_bin.is_some();
    let bin = release_bin.unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lagesbild")));
    let rows = env_number("LAGESBILD_KILL_ROWS").unwrap_or(if full { 1_000_000 } else { 100_000 });
    let runs = env_number("LAGESBILD_KILL_RUNS").unwrap_or(if full { 50 } else { 6 });
    let seed = env_number("LAGESBILD_KILL_SEED").unwrap_or(2026);
    let dir = Dir::new();
    let started = Instant::now();

    // The project that already holds data, and the CSV, made once.
    let base = dir.path("base.gpkg");
    let count = BASE_INCIDENTS.to_string();
    let out = lagesbild(&bin, dir.root())
        .args(["demo", "--out", "base.gpkg", "--count", &count])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = dir.path("big.csv");
    write_benchmark_csv(&csv, rows as usize, seed).unwrap();
    let (max_fid, before) = {
        let conn = Connection::open(&base).unwrap();
        let max_fid: i64 = query(&conn, "SELECT max(fid) FROM incidents");
        (max_fid, check(&base, max_fid, "before"))
    };
    assert_eq!(before.incidents, BASE_INCIDENTS as i64);
    assert_eq!(before.imports_of_big, 0);

    // One whole import: how long it takes, and what "all of it" looks like.
    let run_path = dir.path("run.gpkg");
    std::fs::copy(&base, &run_path).unwrap();
    let t = Instant::now();
    let out = lagesbild(&bin, dir.root())
        .args(["import", "run.gpkg", "big.csv"])
        .output()
        .unwrap();
    let import_time = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = check(&run_path, max_fid, "uninterrupted");
    assert_eq!(all.incidents, before.incidents + rows as i64);
    assert_eq!(all.imports_of_big, 1);
    assert_eq!(
        all.earlier, before.earlier,
        "earlier data changed by the import"
    );
    remove_project(&run_path);

    // The kills: moment i lies at a random point of the i-th of `runs` equal
    // slices of the import time, so they cover it from start to commit.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut none, mut whole) = (0, 0);
    let mut moments = Vec::new();
    for i in 0..runs {
        let run = format!("run {}/{runs}", i + 1);
        std::fs::copy(&base, &run_path).unwrap();
        let slice = import_time.as_secs_f64() / runs as f64;
        let at = Duration::from_secs_f64(slice * (i as f64 + rng.random_range(0.0..1.0)));
        let mut child = lagesbild(&bin, dir.root())
            .args(["import", "run.gpkg", "big.csv"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            // std's kill is SIGKILL on Unix: no handler, no clean-up runs.
            child.kill().unwrap();
        }
        let status = child.wait().unwrap();
        let state = check(&run_path, max_fid, &run);
        assert_eq!(state.earlier, before.earlier, "{run}: earlier data changed");
        if state == before {
            none += 1;
        } else if state == all {
            whole += 1;
        } else {
            panic!(
                "{run}: killed at {at:?} ({status}): neither none nor all of the import: {state:?} \
                 (before {before:?}, all {all:?})"
            );
        }
        moments.push(at.as_secs_f64());
        remove_project(&run_path);
    }
    eprintln!(
        "kill test: {rows} rows into {BASE_INCIDENTS}, {runs} SIGKILLs between {:.2} s and {:.2} s \
         of a {:.2} s import (seed {seed}); {none} held none of it, {whole} all of it; every \
         project opened with integrity_check and rtreecheck ok and the earlier data intact; \
         {:.0} s in all",
        moments.iter().copied().fold(f64::INFINITY, f64::min),
        moments.iter().copied().fold(0.0, f64::max),
        import_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(none + whole, runs);
    // The moments spread over the import: most kills land before its commit.
    assert!(none > 0, "no kill landed before the commit");
}
