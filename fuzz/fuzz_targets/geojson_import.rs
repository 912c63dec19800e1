//! The GeoJson importer on arbitrary bytes, read through a file as `lagesbild import`
//! reads it; the first byte picks the options (see `options_for`).
#![no_main]

use lagesbild::import::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    lagesbild_fuzz::read_all(
        body,
        Format::GeoJson,
        "geojson",
        &lagesbild_fuzz::options_for(selector),
    );
});
