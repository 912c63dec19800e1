//! The walking network of an OpenStreetMap extract (`.osm.pbf`), read with
//! the `osmpbf` crate.
//!
//! # Which ways are walkable
//! A way is taken when its `highway` tag is one of [`WALKABLE_HIGHWAYS`]:
//! footways, paths, pedestrian streets, steps, living streets, residential,
//! service, unclassified and tertiary–primary roads (with their `_link`s),
//! cycleways (Swedish gång- och cykelvägar are mostly shared), tracks,
//! bridleways and corridors. Motorways and trunk roads (and their links) are
//! left out, as are ways under construction or only proposed.
//! A way is then dropped when `foot=no`, or when `access` is `no` or
//! `private` and `foot` does not allow walking (`yes`, `designated`,
//! `permissive`). Areas (`area=yes`) are walked along their outline.
//!
//! Ways connect where they share a node id, never where their lines merely
//! cross (bridges, tunnels).

use std::collections::HashMap;
use std::path::Path;

use osmpbf::{Element, ElementReader};

use super::{Network, NetworkError};
use crate::crs::sweref_from_wgs84;
use crate::model::LonLat;

/// The `highway` values taken as walkable.
pub const WALKABLE_HIGHWAYS: [&str; 22] = [
    "footway",
    "path",
    "pedestrian",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "cycleway",
    "track",
    "bridleway",
    "corridor",
    "platform",
    "crossing",
    "sidewalk",
];

/// Whether a way with these tags belongs to the walking network.
pub fn is_walkable<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
    let (mut highway, mut foot, mut access) = (None, None, None);
    for (k, v) in tags {
        match k {
            "highway" => highway = Some(v),
            "foot" => foot = Some(v),
            "access" => access = Some(v),
            _ => {}
        }
    }
    let Some(highway) = highway else {
        return false;
    };
    if !WALKABLE_HIGHWAYS.contains(&highway) {
        return false;
    }
    match foot {
        Some("no") => false,
        Some("yes" | "designated" | "permissive") => true,
        _ => !matches!(access, Some("no" | "private")),
    }
}

/// Reads the walkable ways of an `.osm.pbf` file (see the module docs).
pub fn read_pbf(path: &Path) -> Result<Network, NetworkError> {
    let reader = ElementReader::from_path(path)
        .map_err(|e| NetworkError::new(path, format!("cannot open: {e}")))?;
    let mut nodes: HashMap<i64, [f64; 2]> = HashMap::new();
    let mut ways: Vec<Vec<i64>> = Vec::new();
    reader
        .for_each(|element| match element {
            Element::Node(n) => {
                nodes.insert(n.id(), [n.lon(), n.lat()]);
            }
            Element::DenseNode(n) => {
                nodes.insert(n.id(), [n.lon(), n.lat()]);
            }
            Element::Way(w) => {
                if is_walkable(w.tags()) {
                    ways.push(w.refs().collect());
                }
            }
            Element::Relation(_) => {}
        })
        .map_err(|e| NetworkError::new(path, format!("not a readable .osm.pbf file: {e}")))?;
    let mut id_of: HashMap<i64, u32> = HashMap::new();
    let mut xy: Vec<[f64; 2]> = Vec::new();
    let mut segments = Vec::new();
    for (w, refs) in ways.iter().enumerate() {
        let mut prev: Option<u32> = None;
        for r in refs {
            let id = match id_of.get(r) {
                Some(&id) => id,
                None => {
                    let Some(&[lon, lat]) = nodes.get(r) else {
                        return Err(NetworkError::new(
                            path,
                            format!(
                                "walkable way {} refers to node {r}, which the file does not hold (cut the extract with complete ways, e.g. osmium extract --strategy complete_ways)",
                                w + 1
                            ),
                        ));
                    };
                    let p = LonLat::new(lon, lat);
                    if !p.is_in_sweden_region() {
                        return Err(NetworkError::new(
                            path,
                            format!("node {r} (lon {lon:.5}, lat {lat:.5}) is far outside Sweden"),
                        ));
                    }
                    let s = sweref_from_wgs84(p);
                    xy.push([s.easting, s.northing]);
                    let id = (xy.len() - 1) as u32;
                    id_of.insert(*r, id);
                    id
                }
            };
            if let Some(q) = prev {
                segments.push((q, id));
            }
            prev = Some(id);
        }
    }
    Ok(Network::from_parts(xy, &segments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walkable_tags() {
        assert!(is_walkable([("highway", "footway")]));
        assert!(is_walkable([
            ("highway", "residential"),
            ("name", "Storgatan")
        ]));
        assert!(!is_walkable([("highway", "motorway")]));
        assert!(!is_walkable([("highway", "trunk_link")]));
        assert!(!is_walkable([("building", "yes")]));
        assert!(!is_walkable([("highway", "path"), ("foot", "no")]));
        assert!(!is_walkable([
            ("highway", "service"),
            ("access", "private")
        ]));
        assert!(is_walkable([
            ("highway", "service"),
            ("access", "private"),
            ("foot", "yes")
        ]));
        assert!(!is_walkable([("highway", "construction")]));
    }
}
