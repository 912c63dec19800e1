//! What the fuzz targets share: feeding bytes to an importer through a real
//! file, the way `lagesbild import` reads it.
//!
//! Each target process writes its input to one file of its own in a RAM
//! folder (`/dev/shm` where there is one) and runs the public reader on it,
//! reading every row. A reader may refuse the file or any row with an error;
//! it must never panic, overflow its stack, hang or use unbounded memory
//! (libFuzzer's `-timeout` and `-rss_limit_mb` catch the last two).

use std::path::PathBuf;

use lagesbild::import::{Format, ImportOptions, open_reader};

/// The file this process feeds its inputs through, named `input.<ext>`.
pub fn input_path(ext: &str) -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let dir = if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    };
    dir.join(format!(
        "lagesbild-fuzz-{}-{}.{ext}",
        std::process::id(),
        ext
    ))
}

/// Writes `data` to the file for `ext` and reads it whole as `format`,
/// checking what every reader promises: errors name the file.
pub fn read_all(data: &[u8], format: Format, ext: &str, options: &ImportOptions) {
    let path = input_path(ext);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let options = ImportOptions {
        format: Some(format),
        ..options.clone()
    };
    let name = path.display().to_string();
    match open_reader(&path, &options) {
        Ok(mut reader) => {
            for row in reader.by_ref() {
                if let Err(e) = row {
                    assert!(
                        e.to_string().starts_with(&name),
                        "row error without the file: {e}"
                    );
                    assert!(e.line >= 1, "row error without a line: {e}");
                }
            }
            let _ = reader.notes();
        }
        Err(e) => {
            assert!(
                e.to_string().starts_with(&name),
                "file error without the file: {e}"
            );
        }
    }
}

/// The options a target tries on an input, picked by its first byte, so one
/// target covers the detected and the forced CRS and a `--map` override.
pub fn options_for(selector: u8) -> ImportOptions {
    use lagesbild::crs::Crs;
    use lagesbild::import::Field;
    let mut options = ImportOptions::default();
    match selector % 4 {
        1 => options.crs = Some(Crs::SWEREF99_TM),
        2 => options.column_map = vec![("tid".to_owned(), Field::OccurredAt)],
        3 => options.strict = true,
        _ => {}
    }
    options
}
