//! Test helpers: temp folders, running the binary, and the GDAL reference tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh temporary folder, removed when dropped.
pub struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `name` and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write fixture");
        p
    }
}

/// The path of a committed fixture.
#[allow(dead_code)]
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs the `lagesbild` binary with `args` in `cwd`, with HOME and the XDG
/// folders pointed into `cwd` so that no test touches the real user's files.
pub fn run_cli_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", cwd.join("home"))
        .env("XDG_DATA_HOME", cwd.join("home/.local/share"))
        .env("XDG_CACHE_HOME", cwd.join("home/.cache"))
        .env("XDG_CONFIG_HOME", cwd.join("home/.config"))
        .env("XDG_STATE_HOME", cwd.join("home/.local/state"))
        .env_remove("LAGESBILD_LOG_DIR")
        .output()
        .expect("run lagesbild")
}

/// Output as text, for assertions and failure messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts the exit code, showing stdout and stderr when it differs.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    let (o, e) = text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code; stdout:\n{o}\nstderr:\n{e}"
    );
}

/// How to get the GDAL reference tools, said by every test that misses one.
pub const GDAL_INSTALL_HINT: &str = "run scripts/install-test-tools.sh \
     (or: sudo apt-get install gdal-bin python3-gdal)";

/// A GDAL command-line tool. A missing tool fails the test, saying how to install it (CI sets
/// `LAGESBILD_REQUIRE_GDAL=1`). Only an explicit `LAGESBILD_REQUIRE_GDAL=0` turns that into
/// `None` (skip), for a developer's machine without GDAL.
pub fn gdal_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    require_or_skip(name, found)
}

/// GDAL's GeoPackage validator (Debian `python3-gdal`), like [`gdal_tool`].
pub fn validate_gpkg_script() -> Option<PathBuf> {
    let p = PathBuf::from(VALIDATE_GPKG);
    require_or_skip("validate_gpkg.py", p.is_file().then_some(p))
}

/// Where Debian's `python3-gdal` puts GDAL's GeoPackage validator.
pub const VALIDATE_GPKG: &str =
    "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py";

/// True only when `LAGESBILD_REQUIRE_GDAL=0` explicitly allows skipping the GDAL checks.
fn gdal_checks_may_skip() -> bool {
    std::env::var("LAGESBILD_REQUIRE_GDAL").as_deref() == Ok("0")
}

fn require_or_skip(name: &str, found: Option<PathBuf>) -> Option<PathBuf> {
    if found.is_none() {
        assert!(
            gdal_checks_may_skip(),
            "{name} is needed to check this output but is not installed: {GDAL_INSTALL_HINT}"
        );
        eprintln!("skipping (LAGESBILD_REQUIRE_GDAL=0): {name} is not installed");
    }
    found
}

/// Runs `program` (a GDAL tool or python3 for the validator); `None` only when it cannot start
/// and `LAGESBILD_REQUIRE_GDAL=0` allows skipping, else a failure saying how to install GDAL.
pub fn run_gdal(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) => {
            assert!(
                gdal_checks_may_skip(),
                "{program} is needed to check this output but could not run ({e}): {GDAL_INSTALL_HINT}"
            );
            eprintln!("skipping (LAGESBILD_REQUIRE_GDAL=0): {program} could not run: {e}");
            None
        }
    }
}

/// `ogrinfo -ro -al -so FILE` output, or `None` when ogrinfo is missing.
pub fn ogrinfo_summary(path: &Path) -> Option<String> {
    let ogrinfo = gdal_tool("ogrinfo")?;
    let out = Command::new(ogrinfo)
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .expect("run ogrinfo");
    let (o, e) = text(&out);
    assert!(out.status.success(), "ogrinfo failed:\n{o}\n{e}");
    Some(o)
}

/// Runs GDAL's validate_gpkg.py and asserts it finds no fault.
pub fn assert_valid_gpkg(path: &Path) {
    let Some(script) = validate_gpkg_script() else {
        return;
    };
    let (Some(script), Some(file)) = (script.to_str(), path.to_str()) else {
        panic!("non-UTF-8 path {}", path.display());
    };
    let Some(out) = run_gdal("python3", &[script, file]) else {
        return;
    };
    let (o, e) = text(&out);
    assert!(
        out.status.success() && e.trim().is_empty(),
        "validate_gpkg.py found faults in {}:\n{o}\n{e}",
        path.display()
    );
}
