//! Bulk loading of an SQLite R*Tree (a GeoPackage spatial index) by writing
//! its shadow tables directly from a tree packed in memory.
//!
//! Filling an R-tree row by row costs 4–6 s per million points; packing the
//! tree with sort-tile-recursive (STR) and writing `<name>_node`,
//! `<name>_rowid` and `<name>_parent` takes a fraction of that. The format
//! (SQLite's `ext/rtree`): the root is node 1; a node blob starts with 2 bytes
//! tree depth (root only, else 0) and 2 bytes cell count, then cells of 24
//! bytes: a big-endian 64-bit id (row id in leaves, child node number above)
//! and minx, maxx, miny, maxy as big-endian float32, minimums rounded down and
//! maximums rounded up. Every node blob has the length of the empty root that
//! `CREATE VIRTUAL TABLE … USING rtree` wrote, and holds at most
//! `(len - 4) / 24` cells (51 at the default page size).

use rusqlite::{Connection, params};

use crate::jobs::{CancelToken, Cancelled, Progress};

use super::schema::quote_ident;

/// Bytes per cell of a 2-dimensional R-tree.
const CELL_LEN: usize = 24;
/// SQLite's RTREE_MAXCELLS.
const MAX_CELLS: usize = 51;

/// Why the index could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RtreeError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("R-tree {0}: root node is missing or has a bad size")]
    BadRoot(String),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// One box (or point) to index: the row id and its float32 bounds, rounded
/// outward, in R-tree column order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub id: i64,
    pub minx: f32,
    pub maxx: f32,
    pub miny: f32,
    pub maxy: f32,
}

/// The largest float32 not above `v`.
pub fn f32_down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v { f.next_down() } else { f }
}

/// The smallest float32 not below `v`.
pub fn f32_up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v { f.next_up() } else { f }
}

impl Cell {
    /// The cell of a point.
    pub fn point(id: i64, x: f64, y: f64) -> Cell {
        Cell {
            id,
            minx: f32_down(x),
            maxx: f32_up(x),
            miny: f32_down(y),
            maxy: f32_up(y),
        }
    }

    fn center_x(&self) -> f32 {
        self.minx * 0.5 + self.maxx * 0.5
    }

    fn center_y(&self) -> f32 {
        self.miny * 0.5 + self.maxy * 0.5
    }

    fn union(cells: &[Cell], id: i64) -> Cell {
        let mut out = Cell {
            id,
            minx: f32::INFINITY,
            maxx: f32::NEG_INFINITY,
            miny: f32::INFINITY,
            maxy: f32::NEG_INFINITY,
        };
        for c in cells {
            out.minx = out.minx.min(c.minx);
            out.maxx = out.maxx.max(c.maxx);
            out.miny = out.miny.min(c.miny);
            out.maxy = out.maxy.max(c.maxy);
        }
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_be_bytes());
        for v in [self.minx, self.maxx, self.miny, self.maxy] {
            out.extend_from_slice(&v.to_bits().to_be_bytes());
        }
    }
}

/// Orders `cells` by sort-tile-recursive so that each run of `capacity` cells
/// (the last in each vertical slice possibly shorter) is one node, and returns
/// the node boundaries as ranges.
fn str_pack(cells: &mut [Cell], capacity: usize) -> Vec<std::ops::Range<usize>> {
    let n = cells.len();
    if n <= capacity {
        return std::iter::once(0..n).collect();
    }
    let node_count = n.div_ceil(capacity);
    let slice_count = (node_count as f64).sqrt().ceil() as usize;
    let slice_len = slice_count * capacity;
    cells.sort_unstable_by(|a, b| a.center_x().total_cmp(&b.center_x()));
    let mut ranges = Vec::with_capacity(node_count + slice_count);
    let mut start = 0;
    for slice in cells.chunks_mut(slice_len) {
        slice.sort_unstable_by(|a, b| a.center_y().total_cmp(&b.center_y()));
        let len = slice.len();
        let mut s = 0;
        while s < len {
            let e = (s + capacity).min(len);
            ranges.push(start + s..start + e);
            s = e;
        }
        start += len;
    }
    ranges
}

/// A packed tree: `levels[0]` are the leaves. Node numbers: the root is 1,
/// every other node `k` (counted leaves first, bottom-up) is `k + 2`.
struct Packed {
    /// Per level, bottom-up: the cells in node order and each node's range.
    levels: Vec<(Vec<Cell>, Vec<std::ops::Range<usize>>)>,
}

fn pack(mut cells: Vec<Cell>, capacity: usize) -> Packed {
    let mut levels = Vec::new();
    let mut next_node: i64 = 0;
    loop {
        let ranges = str_pack(&mut cells, capacity);
        if ranges.len() == 1 {
            levels.push((cells, ranges));
            break;
        }
        let parents: Vec<Cell> = ranges
            .iter()
            .map(|r| {
                let id = next_node + 2;
                next_node += 1;
                Cell::union(&cells[r.clone()], id)
            })
            .collect();
        levels.push((cells, ranges));
        cells = parents;
    }
    Packed { levels }
}

/// Replaces the whole content of the R-tree `rtree` (e.g.
/// `rtree_incidents_geom`) by `cells`. The virtual table must exist; the
/// caller holds the transaction. Progress counts leaf cells.
pub fn bulk_load(
    conn: &Connection,
    rtree: &str,
    cells: Vec<Cell>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(), RtreeError> {
    let node_t = quote_ident(&format!("{rtree}_node"));
    let rowid_t = quote_ident(&format!("{rtree}_rowid"));
    let parent_t = quote_ident(&format!("{rtree}_parent"));
    let node_len: usize = conn
        .query_row(
            &format!("SELECT length(data) FROM {node_t} WHERE nodeno = 1"),
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|_| RtreeError::BadRoot(rtree.to_owned()))
        .and_then(|len| usize::try_from(len).map_err(|_| RtreeError::BadRoot(rtree.to_owned())))?;
    if node_len < 4 + CELL_LEN {
        return Err(RtreeError::BadRoot(rtree.to_owned()));
    }
    let capacity = ((node_len - 4) / CELL_LEN).min(MAX_CELLS);
    let total = cells.len() as u64;

    conn.execute_batch(&format!(
        "DELETE FROM {node_t}; DELETE FROM {rowid_t}; DELETE FROM {parent_t};"
    ))?;
    let packed = pack(cells, capacity);
    cancel.check()?;
    let depth = packed.levels.len() - 1;

    let mut insert_node = conn.prepare(&format!(
        "INSERT INTO {node_t} (nodeno, data) VALUES (?1, ?2)"
    ))?;
    let mut insert_parent = conn.prepare(&format!(
        "INSERT INTO {parent_t} (nodeno, parentnode) VALUES (?1, ?2)"
    ))?;
    // Leaf row id → node number, written in row id order (appends, no B-tree
    // page splits in the middle).
    let mut leaf_of: Vec<(i64, i64)> = Vec::with_capacity(total as usize);
    let mut blob = Vec::with_capacity(node_len);
    // Node numbers of the level above, to find each node's parent.
    let mut node_no_base: i64 = 2;
    for (level, (cells, ranges)) in packed.levels.iter().enumerate() {
        let is_root_level = level == depth;
        for (i, r) in ranges.iter().enumerate() {
            let node_no = if is_root_level {
                1
            } else {
                node_no_base + i as i64
            };
            blob.clear();
            let depth_field = if is_root_level { depth as u16 } else { 0 };
            blob.extend_from_slice(&depth_field.to_be_bytes());
            blob.extend_from_slice(&(r.len() as u16).to_be_bytes());
            for c in &cells[r.clone()] {
                c.write(&mut blob);
                if level == 0 {
                    leaf_of.push((c.id, node_no));
                } else {
                    insert_parent.execute(params![c.id, node_no])?;
                }
            }
            blob.resize(node_len, 0);
            insert_node.execute(params![node_no, &blob])?;
        }
        if !is_root_level {
            node_no_base += ranges.len() as i64;
        }
        cancel.check()?;
    }
    drop(packed);

    leaf_of.sort_unstable_by_key(|&(id, _)| id);
    let mut insert_rowid = conn.prepare(&format!(
        "INSERT INTO {rowid_t} (rowid, nodeno) VALUES (?1, ?2)"
    ))?;
    for (k, (id, node)) in leaf_of.iter().enumerate() {
        insert_rowid.execute(params![id, node])?;
        if k % 65_536 == 65_535 {
            progress.advance(65_536);
            cancel.check()?;
        }
    }
    progress.advance(total % 65_536);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::NoProgress;

    fn rtree_conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx, miny, maxy);")
            .unwrap();
        conn
    }

    fn check(conn: &Connection) -> String {
        conn.query_row("SELECT rtreecheck('rt')", [], |r| r.get(0))
            .unwrap()
    }

    fn grid(n: i64) -> Vec<Cell> {
        (1..=n)
            .map(|i| {
                Cell::point(
                    i * 3,
                    14.0 + (i % 997) as f64 * 1e-3,
                    56.0 + (i / 997) as f64 * 1e-3,
                )
            })
            .collect()
    }

    #[test]
    fn rounding_is_outward() {
        let v = 14.584_912_345_678_9_f64;
        assert!(f64::from(f32_down(v)) <= v);
        assert!(f64::from(f32_up(v)) >= v);
        assert_eq!(f32_down(0.5), 0.5);
        assert_eq!(f32_up(0.5), 0.5);
    }

    #[test]
    fn sizes_from_empty_to_three_levels() {
        for n in [0, 1, 50, 51, 52, 2_601, 2_602, 140_000] {
            let conn = rtree_conn();
            bulk_load(&conn, "rt", grid(n), &NoProgress, &CancelToken::new()).unwrap();
            assert_eq!(check(&conn), "ok", "n = {n}");
            let count: i64 = conn
                .query_row("SELECT count(*) FROM rt", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count, n, "n = {n}");
        }
    }

    #[test]
    fn queries_and_later_edits_work() {
        let conn = rtree_conn();
        let cells = grid(10_000);
        bulk_load(&conn, "rt", cells.clone(), &NoProgress, &CancelToken::new()).unwrap();
        // A window query finds exactly the points inside it.
        let (x0, x1, y0, y1) = (14.1, 14.2, 56.001, 56.004);
        let expected = cells
            .iter()
            .filter(|c| c.maxx >= x0 as f32 && c.minx <= x1 as f32)
            .filter(|c| c.maxy >= y0 as f32 && c.miny <= y1 as f32)
            .count() as i64;
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM rt WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4",
                params![x0, x1, y0, y1],
                |r| r.get(0),
            )
            .unwrap();
        assert!(expected > 0);
        assert_eq!(found, expected);
        // The tree stays valid through ordinary inserts and deletes.
        conn.execute_batch(
            "INSERT INTO rt VALUES (1, 15.0, 15.0, 57.0, 57.0); DELETE FROM rt WHERE id < 3000;",
        )
        .unwrap();
        assert_eq!(check(&conn), "ok");
    }

    #[test]
    fn cancel_stops_loading() {
        let conn = rtree_conn();
        let cancel = CancelToken::new();
        cancel.cancel();
        let err = bulk_load(&conn, "rt", grid(100), &NoProgress, &cancel).unwrap_err();
        assert!(matches!(err, RtreeError::Cancelled(_)));
    }
}
