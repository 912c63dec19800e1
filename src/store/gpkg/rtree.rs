//! Bulk loading of an SQLite R*Tree (a GeoPackage spatial index) by writing
//! its shadow tables directly from a tree packed by sort-tile-recursive (STR).
//!
//! Filling an R-tree row by row costs 4–6 s per million points; packing the
//! tree and writing `<name>_node`, `<name>_rowid` and `<name>_parent` takes a
//! fraction of that. [`load_points`] packs from a query without holding the
//! points in memory (SQLite sorts them; one slice at a time is in memory), so
//! an import of any size loads its index in flat memory. The format
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
    #[error("R-tree {0}: packed for bigger nodes than the table has")]
    NodeOverflow(String),
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

/// The bounds of the points loaded: min x, min y, max x, max y.
pub type Extent = (f64, f64, f64, f64);

/// Temporary tables of one load: the cells of the level being built (two,
/// read and written in turn) and each leaf cell's node, to be written to
/// `<name>_rowid` in row id order at the end.
const CELLS_T: [&str; 2] = ["temp.lagesbild_rtree_cells0", "temp.lagesbild_rtree_cells1"];
const LEAF_T: &str = "temp.lagesbild_rtree_leaf";

/// Writes nodes of one load and remembers what each level needs next.
struct NodeWriter<'c> {
    node_len: usize,
    rtree: String,
    insert_node: rusqlite::Statement<'c>,
    insert_parent: rusqlite::Statement<'c>,
    insert_leaf: rusqlite::Statement<'c>,
    /// The next level's cells, one per node written (indexed by level % 2).
    insert_cell: [rusqlite::Statement<'c>; 2],
    blob: Vec<u8>,
    /// The number the next node that is not the root gets (the root is 1).
    next_node: i64,
}

impl NodeWriter<'_> {
    /// Writes `cells` as one node of `level` (0 = leaves). The root becomes
    /// node 1 carrying the tree depth; any other node gets the next number
    /// and its bounds go to the next level's table.
    fn write(&mut self, level: usize, cells: &[Cell], root: bool) -> Result<(), RtreeError> {
        if 4 + cells.len() * CELL_LEN > self.node_len {
            return Err(RtreeError::NodeOverflow(self.rtree.clone()));
        }
        let node_no = if root {
            1
        } else {
            self.next_node += 1;
            self.next_node - 1
        };
        self.blob.clear();
        let depth_field = if root { level as u16 } else { 0 };
        self.blob.extend_from_slice(&depth_field.to_be_bytes());
        self.blob
            .extend_from_slice(&(cells.len() as u16).to_be_bytes());
        for c in cells {
            c.write(&mut self.blob);
            if level == 0 {
                self.insert_leaf.execute(params![c.id, node_no])?;
            } else {
                self.insert_parent.execute(params![c.id, node_no])?;
            }
        }
        self.blob.resize(self.node_len, 0);
        self.insert_node.execute(params![node_no, &self.blob])?;
        if !root {
            let u = Cell::union(cells, node_no);
            self.insert_cell[(level + 1) % 2].execute(params![
                u.id,
                f64::from(u.minx),
                f64::from(u.maxx),
                f64::from(u.miny),
                f64::from(u.maxy)
            ])?;
        }
        Ok(())
    }

    /// Sorts one vertical slice by y and writes it as nodes of `capacity`.
    fn write_slice(
        &mut self,
        level: usize,
        slice: &mut [Cell],
        capacity: usize,
    ) -> Result<u64, RtreeError> {
        slice.sort_unstable_by(|a, b| a.center_y().total_cmp(&b.center_y()));
        let mut nodes = 0;
        for node in slice.chunks(capacity) {
            self.write(level, node, false)?;
            nodes += 1;
        }
        Ok(nodes)
    }
}

/// Packs one level by sort-tile-recursive from `cells`, which come sorted by
/// x: vertical slices of `slice_count * capacity` cells (sized from
/// `expected`, the number of cells the level should have), each sorted by
/// y and cut into nodes. Only one slice is in memory at a time (about
/// `sqrt(n / capacity) * capacity` cells). Returns the number of nodes
/// written, or `None` when the level fitted in one node and became the root.
fn pack_level(
    w: &mut NodeWriter<'_>,
    level: usize,
    expected: u64,
    cells: &mut dyn Iterator<Item = Result<Cell, RtreeError>>,
    capacity: usize,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<u64>, RtreeError> {
    let mut slice: Vec<Cell> = Vec::with_capacity(capacity + 1);
    for cell in &mut *cells {
        slice.push(cell?);
        if slice.len() > capacity {
            break;
        }
    }
    if slice.len() <= capacity {
        w.write(level, &slice, true)?;
        if level == 0 {
            progress.advance(slice.len() as u64);
        }
        return Ok(None);
    }
    let node_count = expected.max(capacity as u64 + 1).div_ceil(capacity as u64);
    let slice_count = (node_count as f64).sqrt().ceil() as usize;
    let slice_len = slice_count * capacity;
    slice.reserve(slice_len.saturating_sub(slice.len()));
    let mut nodes = 0;
    for cell in cells {
        slice.push(cell?);
        if slice.len() == slice_len {
            nodes += w.write_slice(level, &mut slice, capacity)?;
            if level == 0 {
                progress.advance(slice_len as u64);
            }
            slice.clear();
            cancel.check()?;
        }
    }
    if !slice.is_empty() {
        nodes += w.write_slice(level, &mut slice, capacity)?;
        if level == 0 {
            progress.advance(slice.len() as u64);
        }
    }
    Ok(Some(nodes))
}

/// The node blob length of the R-tree `rtree` (from its root, as
/// `CREATE VIRTUAL TABLE` wrote it) and the cells a node holds.
pub fn node_size(conn: &Connection, rtree: &str) -> Result<(usize, usize), RtreeError> {
    let node_t = quote_ident(&format!("{rtree}_node"));
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
    Ok((node_len, ((node_len - 4) / CELL_LEN).min(MAX_CELLS)))
}

/// Replaces the whole content of the R-tree `rtree` (e.g.
/// `rtree_incidents_geom`) by one point cell per row of `points_sql`, a
/// query whose columns are named `id`, `x` and `y` (rows with a NULL `x` or
/// `y` are left out). The virtual table must exist; the caller holds the
/// transaction.
///
/// The tree is packed by sort-tile-recursive without holding the points in
/// memory: SQLite sorts them by x (its sorter spills to temporary files
/// beyond the page cache's size), one vertical slice at a time is sorted by
/// y in memory and written as leaf nodes, and each level's node bounds go to
/// a temporary table that the next level is packed from in the same way.
/// `expected` (the number of points the query should yield) sizes the
/// slices; a wrong guess only makes a less even tree. Progress counts points.
///
/// # Returns
/// The bounds of the points, `None` when there were none.
pub fn load_points(
    conn: &Connection,
    rtree: &str,
    points_sql: &str,
    expected: u64,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<Extent>, RtreeError> {
    let (node_len, capacity) = node_size(conn, rtree)?;
    let node_t = quote_ident(&format!("{rtree}_node"));
    let rowid_t = quote_ident(&format!("{rtree}_rowid"));
    let parent_t = quote_ident(&format!("{rtree}_parent"));
    conn.execute_batch(&format!(
        "DELETE FROM {node_t}; DELETE FROM {rowid_t}; DELETE FROM {parent_t};
         DROP TABLE IF EXISTS {c0}; DROP TABLE IF EXISTS {c1}; DROP TABLE IF EXISTS {LEAF_T};
         CREATE TABLE {c0} (id INTEGER NOT NULL, minx REAL, maxx REAL, miny REAL, maxy REAL);
         CREATE TABLE {c1} (id INTEGER NOT NULL, minx REAL, maxx REAL, miny REAL, maxy REAL);
         CREATE TABLE {LEAF_T} (id INTEGER NOT NULL, nodeno INTEGER NOT NULL);",
        c0 = CELLS_T[0],
        c1 = CELLS_T[1],
    ))?;
    let loaded = load_levels(
        conn, rtree, points_sql, expected, node_len, capacity, progress, cancel,
    );
    // An error leaves the rest to the caller's rollback; the temporary
    // tables go either way.
    let dropped = conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {LEAF_T};",
        CELLS_T[0], CELLS_T[1]
    ));
    let extent = loaded?;
    dropped?;
    Ok(extent)
}

#[allow(clippy::too_many_arguments)]
fn load_levels(
    conn: &Connection,
    rtree: &str,
    points_sql: &str,
    expected: u64,
    node_len: usize,
    capacity: usize,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<Extent>, RtreeError> {
    let node_t = quote_ident(&format!("{rtree}_node"));
    let rowid_t = quote_ident(&format!("{rtree}_rowid"));
    let parent_t = quote_ident(&format!("{rtree}_parent"));
    let cell_insert = |t: &str| {
        conn.prepare(&format!(
            "INSERT INTO {t} (id, minx, maxx, miny, maxy) VALUES (?1, ?2, ?3, ?4, ?5)"
        ))
    };
    let mut w = NodeWriter {
        node_len,
        rtree: rtree.to_owned(),
        insert_node: conn.prepare(&format!(
            "INSERT INTO {node_t} (nodeno, data) VALUES (?1, ?2)"
        ))?,
        insert_parent: conn.prepare(&format!(
            "INSERT INTO {parent_t} (nodeno, parentnode) VALUES (?1, ?2)"
        ))?,
        insert_leaf: conn.prepare(&format!(
            "INSERT INTO {LEAF_T} (id, nodeno) VALUES (?1, ?2)"
        ))?,
        insert_cell: [cell_insert(CELLS_T[0])?, cell_insert(CELLS_T[1])?],
        blob: Vec::with_capacity(node_len),
        next_node: 2,
    };

    // Level 0: the points, sorted by x by SQLite.
    let mut extent: Option<Extent> = None;
    let mut nodes = {
        let mut stmt = conn.prepare(&format!(
            "SELECT id, x, y FROM ({points_sql}) WHERE x IS NOT NULL AND y IS NOT NULL ORDER BY x"
        ))?;
        let mut rows = stmt.query([])?;
        let mut read = 0u64;
        let mut points = std::iter::from_fn(|| {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => return None,
                Err(e) => return Some(Err(RtreeError::Sqlite(e))),
            };
            let got = (|| -> rusqlite::Result<(i64, f64, f64)> {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })();
            Some(got.map_err(RtreeError::Sqlite).and_then(|(id, x, y)| {
                read += 1;
                if read.is_multiple_of(65_536) {
                    cancel.check()?;
                }
                extent = Some(match extent {
                    None => (x, y, x, y),
                    Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
                });
                Ok(Cell::point(id, x, y))
            }))
        });
        pack_level(&mut w, 0, expected, &mut points, capacity, progress, cancel)?
    };

    // The levels above, each from the bounds of the nodes below.
    let mut level = 1;
    while let Some(count) = nodes {
        cancel.check()?;
        let from = CELLS_T[level % 2];
        let mut stmt = conn.prepare(&format!(
            "SELECT id, minx, maxx, miny, maxy FROM {from} ORDER BY minx + maxx"
        ))?;
        let mut rows = stmt.query([])?;
        let mut cells = std::iter::from_fn(|| {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => return None,
                Err(e) => return Some(Err(RtreeError::Sqlite(e))),
            };
            let got = (|| -> rusqlite::Result<Cell> {
                // Stored from float32, so the conversions back are exact.
                Ok(Cell {
                    id: row.get(0)?,
                    minx: row.get::<_, f64>(1)? as f32,
                    maxx: row.get::<_, f64>(2)? as f32,
                    miny: row.get::<_, f64>(3)? as f32,
                    maxy: row.get::<_, f64>(4)? as f32,
                })
            })();
            Some(got.map_err(RtreeError::Sqlite))
        });
        nodes = pack_level(&mut w, level, count, &mut cells, capacity, progress, cancel)?;
        drop(rows);
        drop(stmt);
        conn.execute_batch(&format!("DELETE FROM {from}"))?;
        level += 1;
    }
    drop(w);

    // Leaf row id → node, in row id order (appends to the B-tree).
    cancel.check()?;
    conn.execute_batch(&format!(
        "INSERT INTO {rowid_t} (rowid, nodeno) SELECT id, nodeno FROM {LEAF_T} ORDER BY id"
    ))?;
    Ok(extent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::NoProgress;

    fn rtree_conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx, miny, maxy);
             CREATE TABLE pts (id INTEGER PRIMARY KEY, x REAL, y REAL);",
        )
        .unwrap();
        conn
    }

    fn check(conn: &Connection) -> String {
        conn.query_row("SELECT rtreecheck('rt')", [], |r| r.get(0))
            .unwrap()
    }

    /// `n` points on a grid, ids spaced out (not 1..n), stored in `pts`.
    fn grid(conn: &Connection, n: i64) -> Vec<(i64, f64, f64)> {
        let points: Vec<(i64, f64, f64)> = (1..=n)
            .map(|i| {
                (
                    i * 3,
                    14.0 + (i % 997) as f64 * 1e-3,
                    56.0 + (i / 997) as f64 * 1e-3,
                )
            })
            .collect();
        let mut stmt = conn
            .prepare("INSERT INTO pts (id, x, y) VALUES (?1, ?2, ?3)")
            .unwrap();
        for &(id, x, y) in &points {
            stmt.execute(params![id, x, y]).unwrap();
        }
        points
    }

    fn load(conn: &Connection, n: u64, cancel: &CancelToken) -> Result<Option<Extent>, RtreeError> {
        load_points(
            conn,
            "rt",
            "SELECT id, x, y FROM pts",
            n,
            &NoProgress,
            cancel,
        )
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
            let points = grid(&conn, n);
            let extent = load(&conn, n as u64, &CancelToken::new()).unwrap();
            assert_eq!(check(&conn), "ok", "n = {n}");
            let count: i64 = conn
                .query_row("SELECT count(*) FROM rt", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count, n, "n = {n}");
            let want = points.iter().fold(None, |acc, &(_, x, y)| {
                Some(match acc {
                    None => (x, y, x, y),
                    Some((a, b, c, d)) => (
                        f64::min(a, x),
                        f64::min(b, y),
                        f64::max(c, x),
                        f64::max(d, y),
                    ),
                })
            });
            assert_eq!(extent, want, "n = {n}");
            // Every point is found at its own place.
            if let Some(&(id, x, y)) = points.get(points.len() / 2) {
                let hit: i64 = conn
                    .query_row(
                        "SELECT id FROM rt WHERE minx <= ?1 AND maxx >= ?1 AND miny <= ?2 AND maxy >= ?2 AND id = ?3",
                        params![x, y, id],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(hit, id);
            }
        }
    }

    #[test]
    fn a_wrong_expected_count_still_makes_a_valid_tree() {
        for expected in [0, 10, 1_000_000] {
            let conn = rtree_conn();
            grid(&conn, 20_000);
            load(&conn, expected, &CancelToken::new()).unwrap();
            assert_eq!(check(&conn), "ok", "expected = {expected}");
        }
    }

    #[test]
    fn queries_and_later_edits_work() {
        let conn = rtree_conn();
        let points = grid(&conn, 10_000);
        // Earlier content is replaced.
        conn.execute_batch("INSERT INTO rt VALUES (99999999, 1, 2, 3, 4)")
            .unwrap();
        load(&conn, 10_000, &CancelToken::new()).unwrap();
        // A window query finds exactly the points inside it.
        let (x0, x1, y0, y1) = (14.1, 14.2, 56.001, 56.004);
        let expected = points
            .iter()
            .map(|&(id, x, y)| Cell::point(id, x, y))
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
        let total: i64 = conn
            .query_row("SELECT count(*) FROM rt", [], |r| r.get(0))
            .unwrap();
        assert_eq!(total, 10_000);
        // The tree stays valid through ordinary inserts and deletes.
        conn.execute_batch(
            "INSERT INTO rt VALUES (1, 15.0, 15.0, 57.0, 57.0); DELETE FROM rt WHERE id < 3000;",
        )
        .unwrap();
        assert_eq!(check(&conn), "ok");
        // No temporary table is left behind.
        let temps: i64 = conn
            .query_row("SELECT count(*) FROM temp.sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(temps, 0);
    }

    #[test]
    fn cancel_stops_loading() {
        let conn = rtree_conn();
        grid(&conn, 100);
        let cancel = CancelToken::new();
        cancel.cancel();
        let err = load(&conn, 100, &cancel).unwrap_err();
        assert!(matches!(err, RtreeError::Cancelled(_)));
    }
}
