//! View files (src/model/view.rs, `lagesbild view import`) on arbitrary text. A
//! file that reads must write back to a file that reads as the same views.
#![no_main]

use lagesbild::model::view::ViewFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(file) = ViewFile::from_json(&text) {
        let json = file.to_json();
        let again = ViewFile::from_json(&json).expect("a view file we wrote reads back");
        assert_eq!(again.to_json(), json);
    }
});
