//! The hosts' GPX tracks and check-in CSV (src/import/presence.rs) on arbitrary bytes.
#![no_main]

use std::path::Path;

use lagesbild::import::presence::{parse_checkins, parse_gpx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.gpx");
    if let Err(e) = parse_gpx(path, data, "TV03") {
        assert!(e.to_string().starts_with("fuzz.gpx"), "{e}");
    }
    let path = Path::new("checkins.csv");
    if let Err(e) = parse_checkins(path, data) {
        assert!(e.to_string().starts_with("checkins.csv"), "{e}");
    }
});
