//! Walking networks: the streets, paths and footways hosts walk along, as a
//! graph in SWEREF 99 TM metres, for routes between stops and walking
//! distances.
//!
//! Read from an OpenStreetMap extract (`.osm.pbf`, [`osm`]) or from GeoJSON
//! LineStrings / MultiLineStrings ([`Network::read`]). Lines connect only
//! where they share a vertex, as OSM ways do: for OSM that is a shared node
//! id, for GeoJSON an identical coordinate pair. A bridge or tunnel that
//! crosses a street without a shared vertex does not connect to it.
//!
//! Every vertex of every line is a graph node and every segment between two
//! consecutive vertices an undirected edge whose length is the straight
//! distance in SWEREF 99 TM metres (at municipal scale the projection's scale
//! error is under 0.01 %). A point (a stop, a base) is snapped to the nearest
//! point of the nearest edge with an R-tree ([`Network::snap`]); the walk from
//! the point to the network is counted as a straight line.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};

use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance as _, RTree};

use crate::crs::sweref_from_wgs84;
use crate::model::LonLat;

/// The OpenStreetMap `.osm.pbf` reader and its choice of walkable ways.
pub mod osm;

/// Why a network file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct NetworkError {
    pub path: PathBuf,
    pub reason: String,
}

impl NetworkError {
    pub(crate) fn new(path: &Path, reason: impl Into<String>) -> NetworkError {
        NetworkError {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// One undirected edge: a straight segment between two nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    pub length_m: f64,
}

/// A point tied to the network: the nearest point of the nearest edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The point itself, SWEREF 99 TM metres.
    pub xy: [f64; 2],
    /// The nearest point on the network.
    pub on: [f64; 2],
    /// The edge `on` lies on.
    pub edge: u32,
    /// Where `on` lies along the edge: 0 at its node `a`, 1 at `b`.
    pub t: f64,
    /// Straight distance from `xy` to `on`, metres.
    pub offset_m: f64,
}

/// A walking network (see the module docs).
#[derive(Debug, Clone)]
pub struct Network {
    xy: Vec<[f64; 2]>,
    edges: Vec<Edge>,
    /// CSR adjacency: the neighbours of node `i` are
    /// `adj[adj_start[i]..adj_start[i + 1]]` as (node, edge).
    adj_start: Vec<usize>,
    adj: Vec<(u32, u32)>,
    tree: RTree<GeomWithData<Line<[f64; 2]>, u32>>,
}

/// Shortest walking distances from one snapped point, as a shortest-path tree.
#[derive(Debug, Clone)]
pub struct Distances {
    from: Snap,
    dist: Vec<f64>,
    /// The node before each node on its shortest path; `u32::MAX` for the
    /// nodes reached straight from the source (the ends of its edge).
    pred: Vec<u32>,
    settled: Vec<bool>,
    /// The nodes the search reached (to reset for the next search).
    touched: Vec<u32>,
}

impl Distances {
    /// An empty tree for searches on `network`.
    pub fn new(network: &Network, from: Snap) -> Distances {
        let n = network.node_count();
        Distances {
            from,
            dist: vec![f64::INFINITY; n],
            pred: vec![u32::MAX; n],
            settled: vec![false; n],
            touched: Vec::new(),
        }
    }
}

/// A walk along the network between two snapped points.
#[derive(Debug, Clone, PartialEq)]
pub struct Walk {
    /// Metres, including the straight connectors from each point to the network.
    pub length_m: f64,
    /// The vertices walked, SWEREF 99 TM metres, from the first point to the second.
    pub line: Vec<[f64; 2]>,
}

/// Two networks are equal when they hold the same nodes and edges.
impl PartialEq for Network {
    fn eq(&self, other: &Network) -> bool {
        self.xy == other.xy && self.edges == other.edges
    }
}

impl Network {
    /// A network from node positions (SWEREF 99 TM metres) and segments
    /// between them (node indices). Self-loops are dropped; repeated
    /// segments are kept (they do no harm).
    pub fn from_parts(xy: Vec<[f64; 2]>, segments: &[(u32, u32)]) -> Network {
        let edges: Vec<Edge> = segments
            .iter()
            .filter(|(a, b)| a != b)
            .map(|&(a, b)| {
                let (p, q) = (xy[a as usize], xy[b as usize]);
                Edge {
                    a,
                    b,
                    length_m: (p[0] - q[0]).hypot(p[1] - q[1]),
                }
            })
            .collect();
        let mut degree = vec![0usize; xy.len() + 1];
        for e in &edges {
            degree[e.a as usize + 1] += 1;
            degree[e.b as usize + 1] += 1;
        }
        for i in 0..xy.len() {
            degree[i + 1] += degree[i];
        }
        let adj_start = degree.clone();
        let mut fill = degree;
        let mut adj = vec![(0u32, 0u32); edges.len() * 2];
        for (i, e) in edges.iter().enumerate() {
            adj[fill[e.a as usize]] = (e.b, i as u32);
            fill[e.a as usize] += 1;
            adj[fill[e.b as usize]] = (e.a, i as u32);
            fill[e.b as usize] += 1;
        }
        let tree = RTree::bulk_load(
            edges
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    GeomWithData::new(Line::new(xy[e.a as usize], xy[e.b as usize]), i as u32)
                })
                .collect(),
        );
        Network {
            xy,
            edges,
            adj_start,
            adj,
            tree,
        }
    }

    /// A network from lines in SWEREF 99 TM metres; lines connect where they
    /// share an identical vertex (bit for bit).
    pub fn from_lines(lines: &[Vec<[f64; 2]>]) -> Network {
        let mut id_of: HashMap<[u64; 2], u32> = HashMap::new();
        let mut xy = Vec::new();
        let mut segments = Vec::new();
        for line in lines {
            let mut prev: Option<u32> = None;
            for p in line {
                let key = [p[0].to_bits(), p[1].to_bits()];
                let id = *id_of.entry(key).or_insert_with(|| {
                    xy.push(*p);
                    (xy.len() - 1) as u32
                });
                if let Some(q) = prev {
                    segments.push((q, id));
                }
                prev = Some(id);
            }
        }
        Network::from_parts(xy, &segments)
    }

    /// Reads a network file: `.pbf` (an OpenStreetMap extract, see [`osm`]),
    /// else GeoJSON LineStrings and MultiLineStrings in WGS84 (or with a
    /// legacy `crs` member). Errors name the file and, for GeoJSON, the
    /// feature.
    pub fn read(path: &Path) -> Result<Network, NetworkError> {
        let name = path.to_string_lossy().to_lowercase();
        let network = if name.ends_with(".pbf") {
            osm::read_pbf(path)?
        } else {
            read_geojson(path)?
        };
        if network.edge_count() == 0 {
            return Err(NetworkError::new(
                path,
                "the file holds no walkable lines (no network to walk on)",
            ));
        }
        Ok(network)
    }

    pub fn node_count(&self) -> usize {
        self.xy.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Sum of all edge lengths, metres.
    pub fn total_length_m(&self) -> f64 {
        self.edges.iter().map(|e| e.length_m).sum()
    }

    /// A node's position, SWEREF 99 TM metres.
    pub fn node_xy(&self, node: u32) -> [f64; 2] {
        self.xy[node as usize]
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The nearest point of the network to `xy` (`None` for an empty network
    /// or a non-finite point).
    pub fn snap(&self, xy: [f64; 2]) -> Option<Snap> {
        if !(xy[0].is_finite() && xy[1].is_finite()) {
            return None;
        }
        let hit = self.tree.nearest_neighbor(&xy)?;
        let on = hit.geom().nearest_point(&xy);
        let e = self.edges[hit.data as usize];
        let t = if e.length_m > 0.0 {
            let a = self.xy[e.a as usize];
            ((on[0] - a[0]).hypot(on[1] - a[1]) / e.length_m).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some(Snap {
            xy,
            on,
            edge: hit.data,
            t,
            offset_m: hit.geom().distance_2(&xy).sqrt(),
        })
    }

    /// Shortest distances from `from` to every node within `limit_m` metres
    /// along the network (`f64::INFINITY` for no limit). Dijkstra's
    /// algorithm; stops early once every snapped point in `targets` is
    /// settled.
    pub fn distances(&self, from: &Snap, limit_m: f64, targets: &[Snap]) -> Distances {
        let mut tree = Distances::new(self, *from);
        self.search(from, limit_m, targets, &mut tree);
        tree
    }

    /// [`Network::distances`] into a tree made by an earlier search on this
    /// network, reusing its memory: only the nodes that search reached are
    /// reset, so many short searches (e.g. a walking radius around each of
    /// thousands of places) cost what they reach, not the network's size.
    pub fn search(&self, from: &Snap, limit_m: f64, targets: &[Snap], tree: &mut Distances) {
        for &i in &tree.touched {
            tree.dist[i as usize] = f64::INFINITY;
            tree.pred[i as usize] = u32::MAX;
            tree.settled[i as usize] = false;
        }
        tree.touched.clear();
        tree.from = *from;
        let Distances {
            dist,
            pred,
            settled,
            touched,
            ..
        } = tree;
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        let e = self.edges[from.edge as usize];
        for (node, d) in [
            (e.a, from.t * e.length_m),
            (e.b, (1.0 - from.t) * e.length_m),
        ] {
            if d < dist[node as usize] && d <= limit_m {
                if dist[node as usize] == f64::INFINITY {
                    touched.push(node);
                }
                dist[node as usize] = d;
                heap.push(Reverse((d.to_bits(), node)));
            }
        }
        // The nodes whose settling finishes a target, counted down.
        let mut waiting: HashMap<u32, usize> = HashMap::new();
        for t in targets {
            let f = self.edges[t.edge as usize];
            *waiting.entry(f.a).or_default() += 1;
            *waiting.entry(f.b).or_default() += 1;
        }
        let mut left = waiting.len();
        while let Some(Reverse((bits, u))) = heap.pop() {
            let du = f64::from_bits(bits);
            if settled[u as usize] || du > dist[u as usize] {
                continue;
            }
            settled[u as usize] = true;
            if waiting.remove(&u).is_some() {
                left -= 1;
                if left == 0 && !targets.is_empty() {
                    break;
                }
            }
            for &(v, edge) in &self.adj[self.adj_start[u as usize]..self.adj_start[u as usize + 1]]
            {
                let dv = du + self.edges[edge as usize].length_m;
                if dv < dist[v as usize] && dv <= limit_m {
                    if dist[v as usize] == f64::INFINITY {
                        touched.push(v);
                    }
                    dist[v as usize] = dv;
                    pred[v as usize] = u;
                    heap.push(Reverse((dv.to_bits(), v)));
                }
            }
        }
    }

    /// The shortest walk from the source of `tree` to `to` (`None` when `to`
    /// cannot be reached, or lies beyond the search's limit).
    pub fn walk_to(&self, tree: &Distances, to: &Snap) -> Option<Walk> {
        let from = &tree.from;
        let f = self.edges[to.edge as usize];
        let via_a = tree.dist[f.a as usize] + to.t * f.length_m;
        let via_b = tree.dist[f.b as usize] + (1.0 - to.t) * f.length_m;
        let mut line = vec![from.xy];
        push_distinct(&mut line, from.on);
        let along =
            if to.edge == from.edge && (to.t - from.t).abs() * f.length_m <= via_a.min(via_b) {
                (to.t - from.t).abs() * f.length_m
            } else if via_a.min(via_b).is_finite() {
                let end = if via_a <= via_b { f.a } else { f.b };
                let mut nodes = vec![end];
                let mut at = end;
                while tree.pred[at as usize] != u32::MAX {
                    at = tree.pred[at as usize];
                    nodes.push(at);
                }
                for &node in nodes.iter().rev() {
                    push_distinct(&mut line, self.xy[node as usize]);
                }
                via_a.min(via_b)
            } else {
                return None;
            };
        push_distinct(&mut line, to.on);
        push_distinct(&mut line, to.xy);
        if line.len() == 1 {
            line.push(to.xy);
        }
        Some(Walk {
            length_m: from.offset_m + along + to.offset_m,
            line,
        })
    }

    /// Walking distance from the source of `tree` to `to`, metres, with the
    /// connectors (`INFINITY` when unreachable within the search's limit).
    pub fn distance_to(&self, tree: &Distances, to: &Snap) -> f64 {
        let from = &tree.from;
        let f = self.edges[to.edge as usize];
        let mut along = (tree.dist[f.a as usize] + to.t * f.length_m)
            .min(tree.dist[f.b as usize] + (1.0 - to.t) * f.length_m);
        if to.edge == from.edge {
            along = along.min((to.t - from.t).abs() * f.length_m);
        }
        from.offset_m + along + to.offset_m
    }
}

fn push_distinct(line: &mut Vec<[f64; 2]>, p: [f64; 2]) {
    if line.last() != Some(&p) {
        line.push(p);
    }
}

/// GeoJSON lines through the one layer reader; other geometry types are an error.
fn read_geojson(path: &Path) -> Result<Network, NetworkError> {
    let set = crate::import::shapes::read_features(path, None)
        .map_err(|e| NetworkError::new(path, strip_path(&e.to_string(), path)))?;
    let mut lines: Vec<Vec<[f64; 2]>> = Vec::new();
    let project = |l: &geo::LineString<f64>| -> Vec<[f64; 2]> {
        l.0.iter()
            .map(|c| {
                let p = sweref_from_wgs84(LonLat::new(c.x, c.y));
                [p.easting, p.northing]
            })
            .collect()
    };
    for (i, f) in set.features.iter().enumerate() {
        match &f.geometry {
            geo::Geometry::LineString(l) => lines.push(project(l)),
            geo::Geometry::MultiLineString(m) => lines.extend(m.0.iter().map(project)),
            other => {
                return Err(NetworkError::new(
                    path,
                    format!(
                        "feature {}: a {} is not a line; a network file holds only LineStrings and MultiLineStrings",
                        i + 1,
                        geometry_name(other)
                    ),
                ));
            }
        }
    }
    Ok(Network::from_lines(&lines))
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::Polygon(_) | geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => {
            "Polygon"
        }
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
    }
}

/// The reader's message without its leading `path: ` (the error adds it again).
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plus sign whose two arms cross at (0, 0) without a shared vertex,
    /// next to a square that does share its corners.
    fn crossing() -> Network {
        Network::from_lines(&[
            vec![[-100.0, 0.0], [100.0, 0.0]],
            vec![[0.0, -100.0], [0.0, 100.0]],
        ])
    }

    #[test]
    fn lines_connect_only_at_shared_vertices() {
        let n = crossing();
        assert_eq!((n.node_count(), n.edge_count()), (4, 2));
        let a = n.snap([-100.0, 0.0]).unwrap();
        let b = n.snap([0.0, 100.0]).unwrap();
        let tree = n.distances(&a, f64::INFINITY, &[b]);
        assert!(n.walk_to(&tree, &b).is_none());
        assert_eq!(n.distance_to(&tree, &b), f64::INFINITY);

        // The same lines split at the crossing share the vertex and connect.
        let joined = Network::from_lines(&[
            vec![[-100.0, 0.0], [0.0, 0.0], [100.0, 0.0]],
            vec![[0.0, -100.0], [0.0, 0.0], [0.0, 100.0]],
        ]);
        let a = joined.snap([-100.0, 0.0]).unwrap();
        let b = joined.snap([0.0, 100.0]).unwrap();
        let tree = joined.distances(&a, f64::INFINITY, &[b]);
        let w = joined.walk_to(&tree, &b).unwrap();
        assert!((w.length_m - 200.0).abs() < 1e-9, "{}", w.length_m);
        assert_eq!(w.line, vec![[-100.0, 0.0], [0.0, 0.0], [0.0, 100.0]]);
    }

    #[test]
    fn snapping_counts_the_connector_and_the_part_edge() {
        let n = Network::from_lines(&[vec![[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]]]);
        let s = n.snap([30.0, 40.0]).unwrap();
        assert_eq!(s.on, [30.0, 0.0]);
        assert!((s.offset_m - 40.0).abs() < 1e-9);
        let t = n.snap([130.0, 80.0]).unwrap();
        assert_eq!(t.on, [100.0, 80.0]);
        let tree = n.distances(&s, f64::INFINITY, &[t]);
        let w = n.walk_to(&tree, &t).unwrap();
        // 40 up to the line, 70 along it, 80 up the corner, 30 across.
        assert!((w.length_m - 220.0).abs() < 1e-9, "{}", w.length_m);
        assert_eq!(
            w.line,
            vec![
                [30.0, 40.0],
                [30.0, 0.0],
                [100.0, 0.0],
                [100.0, 80.0],
                [130.0, 80.0]
            ]
        );
        // Two points on one edge walk straight along it.
        let u = n.snap([60.0, -10.0]).unwrap();
        let tree = n.distances(&s, f64::INFINITY, &[u]);
        assert!((n.distance_to(&tree, &u) - (40.0 + 30.0 + 10.0)).abs() < 1e-9);
    }

    #[test]
    fn a_limit_stops_the_search() {
        let n = Network::from_lines(&[vec![
            [0.0, 0.0],
            [100.0, 0.0],
            [200.0, 0.0],
            [300.0, 0.0],
            [400.0, 0.0],
        ]]);
        let s = n.snap([0.0, 0.0]).unwrap();
        // Neither end of the last edge is within the limit.
        let far = n.snap([400.0, 0.0]).unwrap();
        let near = n.snap([150.0, 0.0]).unwrap();
        let tree = n.distances(&s, 210.0, &[]);
        assert_eq!(n.distance_to(&tree, &far), f64::INFINITY);
        assert!((n.distance_to(&tree, &near) - 150.0).abs() < 1e-9);
    }

    #[test]
    fn a_reused_tree_forgets_the_last_search() {
        let n = Network::from_lines(&[vec![[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0]]]);
        let a = n.snap([0.0, 0.0]).unwrap();
        let b = n.snap([300.0, 0.0]).unwrap();
        let mut tree = n.distances(&a, f64::INFINITY, &[]);
        assert!((n.distance_to(&tree, &b) - 300.0).abs() < 1e-9);
        n.search(&b, 150.0, &[], &mut tree);
        assert_eq!(n.distance_to(&tree, &a), f64::INFINITY);
        let mid = n.snap([250.0, 0.0]).unwrap();
        assert!((n.distance_to(&tree, &mid) - 50.0).abs() < 1e-9);
        let w = n.walk_to(&tree, &n.snap([200.0, 0.0]).unwrap()).unwrap();
        assert_eq!(w.line, vec![[300.0, 0.0], [200.0, 0.0]]);
    }

    #[test]
    fn an_empty_network_snaps_nothing() {
        let n = Network::from_lines(&[]);
        assert_eq!(n.snap([0.0, 0.0]), None);
        assert_eq!(n.edge_count(), 0);
    }
}
