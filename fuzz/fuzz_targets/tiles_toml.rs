//! The `maps/tiles.toml` parser (src/maps.rs) on arbitrary text.
#![no_main]

use std::path::Path;

use lagesbild::maps::parse_tiles_toml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse_tiles_toml(text, Path::new("tiles.toml"), Path::new("/maps")) {
        assert!(e.to_string().starts_with("tiles.toml:"), "{e}");
    }
});
