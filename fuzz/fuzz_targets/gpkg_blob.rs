//! The GeoPackage geometry decoder (src/store/gpkg/blob.rs) on arbitrary blobs,
//! as a foreign or damaged GeoPackage may hold them. A blob that reads as a
//! geometry must write back and read again as the same geometry (or as empty
//! when it has no coordinates).
//!
//! Found on the first run (kept as `robust::fuzz_gpkg_blob_empty_multipoint`): a
//! MultiPoint of no points writes as an empty blob, which reads back as no
//! geometry; that is the format's meaning, so the check allows it.
#![no_main]

use lagesbild::store::gpkg::blob::{envelope, geometry_blob, parse_geometry, parse_point};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_point(data);
    let _ = envelope(data);
    if let Ok(Some(g)) = parse_geometry(data)
        && let Ok(again) = geometry_blob(4326, &g)
    {
        let back = parse_geometry(&again).expect("a blob we wrote reads back");
        match back {
            // NaN coordinates compare unequal; compare the bytes they write.
            Some(b) => assert_eq!(geometry_blob(4326, &b).expect("writes again"), again),
            // A geometry without coordinates (an empty MultiPoint, say) is
            // written with the empty flag and reads back as empty.
            None => assert!(
                geo::BoundingRect::bounding_rect(&g).is_none(),
                "a geometry with coordinates read back as empty: {g:?}"
            ),
        }
    }
});
