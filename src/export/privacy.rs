//! Small counts out of aggregated outputs (issue 21).
//!
//! **Density grids.** A kernel density around one isolated incident is a
//! bump centred on it, so a heatmap export would give its position back.
//! Every cell that fewer than `min_count` incidents reach (kernel weight
//! above zero at the cell's centre) is set to zero before the grid is
//! written ([`suppress_sparse_cells`]).
//!
//! **Tables of counts** ([`CountTable`]): every group (a table cell, a
//! category, an hour, a place, an area) of 1 … `min_count`−1 incidents is
//! *primarily* suppressed, shown as "<3" ([`Shown::Small`]). Where a table
//! states a total (or a margin), a total minus the shown cells could give a
//! suppressed cell back, so each additive relation ("these cells sum to that
//! total") is checked: assuming a reader who knows this rule (a "<3" cell
//! holds 1 or 2, a hidden "x" cell 0 or at least 3), no suppressed cell may
//! follow exactly from the shown figures. While one would, the smallest
//! shown cell of the relation that makes it ambiguous (or else the largest;
//! zeros only when no other is left) is *secondarily* suppressed
//! ([`Shown::Hidden`], "x" in text), as statistics offices do; totals stay
//! exact. Where nothing is left to hide, the relation's suppressed counts
//! are withheld ([`Shown::Withheld`], ".."), which says nothing of them.
//! Each relation is checked on its own
//! (rows and columns of a cross table one by one, as the offices' hypercube
//! method does), not by a linear-programming audit of all of them together.
//! Zeros are shown. `min_count` 1 turns suppression off.

use rstar::RTree;

use crate::analysis::Grid;
use crate::analysis::heatmap::Kernel;

/// The smallest group an aggregated export shows, by default.
pub const DEFAULT_MIN_COUNT: u32 = 3;

/// Sets to zero every cell of `grid` that fewer than `min_count` of the
/// incidents at `xy` (SWEREF 99 TM metres, the ones the grid was computed
/// from) reach with `kernel` of `bandwidth_m`; returns how many cells were
/// zeroed. Cells already zero, and no-data cells (NaN), are left alone.
pub fn suppress_sparse_cells(
    grid: &mut Grid,
    xy: &[[f64; 2]],
    kernel: Kernel,
    bandwidth_m: f64,
    min_count: u32,
) -> usize {
    if min_count <= 1 {
        return 0;
    }
    let finite: Vec<[f64; 2]> = xy
        .iter()
        .copied()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    let tree = RTree::bulk_load(finite);
    let reach = kernel.reach_m(bandwidth_m);
    let mut zeroed = 0;
    for iy in 0..grid.ny {
        for ix in 0..grid.nx {
            let i = grid.index(ix, iy);
            // Zero and no-data (NaN, outside the study area) stay as they are.
            if grid.values[i].is_nan() || grid.values[i] <= 0.0 {
                continue;
            }
            let c = grid.cell_center(ix, iy);
            let reaching = tree
                .locate_within_distance(c, reach * reach)
                .filter(|p| {
                    let d2 = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
                    kernel.value_per_m2(bandwidth_m, d2) > 0.0
                })
                .take(min_count as usize)
                .count();
            if reaching < min_count as usize {
                grid.values[i] = 0.0;
                zeroed += 1;
            }
        }
    }
    zeroed
}

/// [`suppress_sparse_cells`] on a heatmap the analysis engine computed from
/// `loaded` (its incidents, less those outside its study area); returns how
/// many cells were zeroed. The command line and the app both call it.
pub fn suppress_heatmap(
    heatmap: &mut crate::analysis::Heatmap,
    loaded: &crate::analysis::engine::Loaded,
    min_count: u32,
) -> usize {
    let used: Vec<[f64; 2]> = loaded
        .xy()
        .into_iter()
        .filter(|p| loaded.area.as_ref().is_none_or(|a| a.contains(*p)))
        .collect();
    let (kernel, bandwidth_m) = (heatmap.params.kernel, heatmap.params.bandwidth_m);
    suppress_sparse_cells(&mut heatmap.grid, &used, kernel, bandwidth_m, min_count)
}

/// One count as an aggregated output may show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Shown as it is (0, or at least `min_count`).
    Count(u64),
    /// 1 … `min_count`−1: shown as "<3".
    Small,
    /// Hidden so that a total cannot give a small count back (secondary
    /// suppression): 0 or at least `min_count`, shown as "x".
    Hidden,
    /// Any count, withheld where neither of the others would protect a
    /// small count (e.g. a total of "<3" over two "<3" cells): "..".
    Withheld,
}

impl Shown {
    /// True for [`Shown::Small`] and [`Shown::Hidden`].
    pub fn is_suppressed(self) -> bool {
        !matches!(self, Shown::Count(_))
    }

    /// The count when shown.
    pub fn value(self) -> Option<u64> {
        match self {
            Shown::Count(n) => Some(n),
            _ => None,
        }
    }

    /// For text and PDF: the count, "<3" (with `min_count` 3), "x" or "..".
    pub fn text(self, min_count: u32) -> String {
        match self {
            Shown::Count(n) => n.to_string(),
            Shown::Small => format!("<{min_count}"),
            Shown::Hidden => "x".to_owned(),
            Shown::Withheld => "..".to_owned(),
        }
    }

    /// For JSON: the count or `null`.
    pub fn json(self) -> serde_json::Value {
        self.value().map_or(serde_json::Value::Null, Into::into)
    }

    /// `share` of the whole when the count is shown, else `None` (a share
    /// of a suppressed count would give it back).
    pub fn share(self, share: f64) -> Option<f64> {
        self.value().map(|_| share)
    }
}

/// The note printed under a text table that has suppressed cells.
pub fn legend(min_count: u32) -> String {
    format!(
        "<{min_count}: 1 to {} incidents; x: hidden so that a total cannot reveal such a count (0 or at least {min_count}); ..: withheld (--min-count)",
        min_count.saturating_sub(1)
    )
}

/// The warning for `--min-count 1` (or 0, refused): `Ok(Some(..))` is to be
/// printed on stderr.
pub fn check_min_count(min_count: u32) -> Result<Option<&'static str>, String> {
    match min_count {
        0 => Err("--min-count 0: must be at least 1 (1 turns suppression off)".to_owned()),
        1 => Ok(Some(
            "warning: --min-count 1 turns small-count suppression off; the output may identify single incidents",
        )),
        _ => Ok(None),
    }
}

/// Counts linked by additive relations (parts that sum to a total), to be
/// shown with small counts suppressed; see the module docs for the rule.
#[derive(Debug, Clone, Default)]
pub struct CountTable {
    counts: Vec<u64>,
    public: Vec<bool>,
    unseen: Vec<bool>,
    /// Unseen counts that may be worked out whatever they are.
    residual: Vec<bool>,
    lines: Vec<(Vec<usize>, usize)>,
}

/// No upper bound, in the reader's sets of possible counts.
const UNBOUNDED: i128 = 1 << 80;

impl CountTable {
    pub fn new() -> CountTable {
        CountTable::default()
    }

    /// Adds a count; returns its index.
    pub fn cell(&mut self, n: u64) -> usize {
        self.counts.push(n);
        self.public.push(false);
        self.unseen.push(false);
        self.residual.push(false);
        self.counts.len() - 1
    }

    /// Adds a count that is known anyway (e.g. the number of incidents
    /// selected): it is suppressed when small but never hidden to protect
    /// another.
    pub fn public_cell(&mut self, n: u64) -> usize {
        let i = self.cell(n);
        self.public[i] = true;
        i
    }

    /// Adds a count the output does not show but that relations run
    /// through (e.g. the part of a calendar month that falls before a
    /// period's start): the reader knows only that it is 0 or more.
    pub fn unseen_cell(&mut self, n: u64) -> usize {
        let i = self.cell(n);
        self.unseen[i] = true;
        i
    }

    /// Adds an unseen count that nothing in the output locates (e.g. the
    /// incidents of a map's cells that are not written): it may be worked
    /// out even when small, as it points at no place or group.
    pub fn residual_cell(&mut self, n: u64) -> usize {
        let i = self.unseen_cell(n);
        self.residual[i] = true;
        i
    }

    /// Adds a count for each of `counts`; returns their indices.
    pub fn cells(&mut self, counts: impl IntoIterator<Item = u64>) -> Vec<usize> {
        counts.into_iter().map(|n| self.cell(n)).collect()
    }

    /// States that the cells `parts` sum to the cell `total` (the output
    /// shows, or lets a reader work out, both).
    pub fn sums_to(&mut self, parts: &[usize], total: usize) {
        self.lines.push((parts.to_vec(), total));
    }

    /// For each count: 0 when it must not be worked out as a small group
    /// (a shown or unseen count), 1 when it may be when not small (unseen),
    /// 2 when it may be whatever it is (residual).
    fn free(&self) -> Vec<u8> {
        self.unseen
            .iter()
            .zip(&self.residual)
            .map(|(&u, &r)| u8::from(u) + u8::from(r))
            .collect()
    }

    /// Every count as shown with groups under `min_count` suppressed.
    pub fn protect(&self, min_count: u32) -> Vec<Shown> {
        let m = u64::from(min_count.max(1));
        let mut shown: Vec<Shown> = self
            .counts
            .iter()
            .zip(&self.unseen)
            .map(|(&n, &unseen)| {
                if unseen {
                    Shown::Withheld
                } else if n > 0 && n < m {
                    Shown::Small
                } else {
                    Shown::Count(n)
                }
            })
            .collect();
        if m <= 1 {
            return shown;
        }
        let free = self.free();
        while let Some(l) = self
            .lines
            .iter()
            .position(|line| !line_safe(line, &shown, &free, m))
        {
            let (parts, total) = &self.lines[l];
            let members: Vec<usize> = parts
                .iter()
                .chain(std::iter::once(total))
                .copied()
                .collect();
            let open = |shown: &[Shown], big: bool| -> Vec<usize> {
                let mut c: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| {
                        !self.public[i] && matches!(shown[i], Shown::Count(n) if (n >= m) == big)
                    })
                    .collect();
                c.sort_by_key(|&i| (self.counts[i], i));
                c.dedup();
                c
            };
            // Counts of at least min_count first; zeros only when none is left.
            let mut candidates = open(&shown, true);
            if candidates.is_empty() {
                candidates = open(&shown, false);
            }
            if candidates.is_empty() {
                // Nothing left to hide: the relation's suppressed counts say
                // nothing more (".."), so none can be worked out.
                for &i in &members {
                    if !self.public[i] && shown[i].is_suppressed() {
                        shown[i] = Shown::Withheld;
                    }
                }
                if line_safe(&self.lines[l], &shown, &free, m) {
                    continue;
                }
                for &i in &members {
                    if !self.public[i] {
                        shown[i] = Shown::Withheld;
                    }
                }
                continue;
            }
            // A few of the smallest are tried (a long series would make
            // trying every one slow); else the largest goes.
            let pick = candidates
                .iter()
                .take(16)
                .copied()
                .find(|&i| {
                    let mut trial = shown.clone();
                    trial[i] = Shown::Hidden;
                    line_safe(&self.lines[l], &trial, &free, m)
                })
                .or_else(|| candidates.last().copied());
            if let Some(i) = pick {
                shown[i] = Shown::Hidden;
            }
        }
        shown
    }
}

/// Sets of whole numbers as sorted, disjoint closed intervals; an upper
/// end of [`UNBOUNDED`] means no upper bound.
type Set = Vec<(i128, i128)>;

/// What a reader who knows the rule knows of a count as shown.
fn domain(s: Shown, m: i128) -> Set {
    match s {
        Shown::Count(n) => vec![(i128::from(n), i128::from(n))],
        Shown::Small => vec![(1, m - 1)],
        Shown::Hidden => vec![(0, 0), (m, UNBOUNDED)],
        Shown::Withheld => vec![(0, UNBOUNDED)],
    }
}

fn cap(v: i128) -> i128 {
    v.clamp(-UNBOUNDED, UNBOUNDED)
}

fn normalise(mut v: Set) -> Set {
    v.sort_unstable();
    let mut out: Set = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// `a + b` (`sign` 1) or `a - b` (`sign` -1).
fn combine(a: &Set, b: &Set, sign: i128) -> Set {
    let mut v = Vec::with_capacity(a.len() * b.len());
    for &(alo, ahi) in a {
        for &(blo, bhi) in b {
            let (lo, hi) = if sign > 0 {
                (cap(alo + blo), cap(ahi + bhi))
            } else {
                (cap(alo - bhi), cap(ahi - blo))
            };
            v.push((lo, hi));
        }
    }
    normalise(v)
}

fn intersect(a: &Set, b: &Set) -> Set {
    let mut v = Vec::new();
    for &(alo, ahi) in a {
        for &(blo, bhi) in b {
            let (lo, hi) = (alo.max(blo), ahi.min(bhi));
            if lo <= hi {
                v.push((lo, hi));
            }
        }
    }
    normalise(v)
}

/// True when the set holds one number only.
fn single(v: &Set) -> bool {
    matches!(v.as_slice(), [(lo, hi)] if lo == hi)
}

/// True when no suppressed count of the relation `parts` = `total` follows
/// exactly from the others as a reader who knows the rule sees them, and
/// no unseen count follows as one of 1 … m−1.
fn line_safe((parts, total): &(Vec<usize>, usize), shown: &[Shown], free: &[u8], m: u64) -> bool {
    let m = i128::from(m);
    // An unseen count may be worked out, unless it is a small group; a
    // residual one whatever it is.
    let revealed = |i: usize, v: &Set| {
        single(v)
            && match free[i] {
                0 => true,
                1 => matches!(v.as_slice(), [(lo, _)] if *lo >= 1 && *lo < m),
                _ => false,
            }
    };
    if parts.len() < 2 {
        return true;
    }
    // Sums of the parts before and after each one, so that "all but this
    // one" takes one addition.
    let doms: Vec<Set> = parts.iter().map(|&i| domain(shown[i], m)).collect();
    let mut before: Vec<Set> = vec![vec![(0, 0)]];
    for (k, d) in doms.iter().enumerate() {
        let next = combine(&before[k], d, 1);
        before.push(next);
    }
    let mut after: Vec<Set> = vec![vec![(0, 0)]; doms.len() + 1];
    for k in (0..doms.len()).rev() {
        after[k] = combine(&after[k + 1], &doms[k], 1);
    }
    let t = domain(shown[*total], m);
    for (k, &i) in parts.iter().enumerate() {
        if !shown[i].is_suppressed() {
            continue;
        }
        let others = combine(&before[k], &after[k + 1], 1);
        let feasible = intersect(&doms[k], &combine(&t, &others, -1));
        if revealed(i, &feasible) {
            return false;
        }
    }
    !(shown[*total].is_suppressed() && revealed(*total, &intersect(&t, &before[doms.len()])))
}

/// A list of counts that sum to a stated `total` (a public count), as shown:
/// (the counts, the total).
pub fn protect_list(counts: &[u64], total: u64, min_count: u32) -> (Vec<Shown>, Shown) {
    let mut t = CountTable::new();
    let cells = t.cells(counts.iter().copied());
    let all = t.public_cell(total);
    t.sums_to(&cells, all);
    let shown = t.protect(min_count);
    (cells.iter().map(|&i| shown[i]).collect(), shown[all])
}

/// The places as exported with small counts suppressed, and how many
/// were left out. A place (not given as fixed) that covers 1 … N−1
/// incidents is left out: its position would point at them; a fixed one
/// keeps its position with its count `NaN` (written as null). Gains (the
/// incidents each place adds) are parts of the covered total: each of
/// 1 … N−1 is `NaN`, with a second one (or the total, and with it the share
/// and the bound) hidden where the total would give it back.
pub fn suppress_places(
    places: &crate::analysis::places::Places,
    min_count: u32,
) -> (crate::analysis::places::Places, usize) {
    let mut out = places.clone();
    if min_count <= 1 {
        return (out, 0);
    }
    let m = f64::from(min_count);
    let mut t = CountTable::new();
    let gains: Vec<usize> = places
        .places
        .iter()
        .map(|p| t.cell(p.gain.max(0.0).round() as u64))
        .collect();
    let total = t.cell(places.covered.max(0.0).round() as u64);
    let sum: f64 = places.places.iter().map(|p| p.gain.max(0.0).round()).sum();
    if sum == places.covered.max(0.0).round() {
        t.sums_to(&gains, total);
    }
    let shown = t.protect(min_count);
    let small = |v: f64| v > 0.0 && v < m;
    let mut dropped = 0;
    out.places.clear();
    for (p, &g) in places.places.iter().zip(&gains) {
        if small(p.covered) && !p.fixed {
            dropped += 1;
            continue;
        }
        let mut p = p.clone();
        if small(p.covered) {
            p.covered = f64::NAN;
        }
        if shown[g].is_suppressed() {
            p.gain = f64::NAN;
        }
        out.places.push(p);
    }
    if shown[total].is_suppressed() {
        out.covered = f64::NAN;
        out.share = f64::NAN;
        out.upper_bound = f64::NAN;
    }
    (out, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::heatmap::{HeatmapParams, heatmap};
    use crate::jobs::CancelToken;

    fn list(counts: &[u64]) -> Vec<Shown> {
        protect_list(counts, counts.iter().sum(), 3).0
    }

    #[test]
    fn one_small_cell_takes_a_second_cell_with_it() {
        // 1 alone beside a total: 10 - 4 - 5 would give it back.
        let s = list(&[4, 1, 5, 0]);
        assert_eq!(s[1], Shown::Small);
        assert_eq!(s[3], Shown::Count(0), "zeros are shown");
        assert_eq!(s.iter().filter(|s| **s == Shown::Hidden).count(), 1);
        // The smallest cell that leaves the small one ambiguous: 4 (4+1 = 5,
        // the "<3" is 1 or 2 as the hidden one is at least 3).
        assert_eq!(s[0], Shown::Hidden);
        assert_eq!(s[2], Shown::Count(5));
        // A hidden cell of exactly 3 beside a 1 is no protection (3+1 = 4
        // leaves only 1): a larger one is taken.
        let s = list(&[3, 1, 9]);
        assert_eq!(s, vec![Shown::Count(3), Shown::Small, Shown::Hidden]);
    }

    #[test]
    fn two_small_cells_protect_each_other_only_when_ambiguous() {
        // 1 + 2 = 3: either could be the 1.
        assert_eq!(
            list(&[1, 2, 7]),
            vec![Shown::Small, Shown::Small, Shown::Count(7)]
        );
        // 1 + 1 = 2: both must be 1, so a third goes.
        let s = list(&[1, 1, 7, 8]);
        assert_eq!(&s[..2], &[Shown::Small, Shown::Small]);
        assert_eq!(s[2], Shown::Hidden);
        // 2 + 2 = 4 with nothing else to hide: both are withheld.
        let (s, total) = protect_list(&[2, 2, 0], 4, 3);
        assert_eq!(&s[..2], &[Shown::Withheld, Shown::Withheld], "{s:?}");
        assert_eq!(total, Shown::Count(4));
    }

    #[test]
    fn a_small_total_is_itself_suppressed_and_min_count_one_is_off() {
        let (s, total) = protect_list(&[0, 2, 0], 2, 3);
        assert_eq!(total, Shown::Small);
        assert_eq!(s[1], Shown::Small);
        let (s, total) = protect_list(&[4, 1, 5], 10, 1);
        assert_eq!(s, vec![Shown::Count(4), Shown::Count(1), Shown::Count(5)]);
        assert_eq!(total, Shown::Count(10));
        assert!(check_min_count(1).unwrap().is_some());
        assert!(check_min_count(3).unwrap().is_none());
        assert!(check_min_count(0).is_err());
        assert_eq!(Shown::Small.text(3), "<3");
        assert_eq!(Shown::Hidden.text(3), "x");
        assert_eq!(Shown::Withheld.text(3), "..");
        // "<3" over "<3" and "<3" would say 1 + 1 = 2: withheld.
        let mut t = CountTable::new();
        let cells = t.cells([1, 1, 0]);
        let row = t.cell(2);
        t.sums_to(&cells, row);
        let s = t.protect(3);
        assert!(s[..2].iter().all(|s| *s == Shown::Withheld), "{s:?}");
        assert!(Shown::Hidden.json().is_null());
    }

    #[test]
    fn an_unseen_part_may_be_worked_out_unless_it_is_small() {
        // 7 visits, 0 of them long: the 7 short ones follow, which is fine.
        let mut t = CountTable::new();
        let v = t.cell(7);
        let d = t.cell(0);
        let short = t.unseen_cell(7);
        t.sums_to(&[d, short], v);
        let s = t.protect(3);
        assert_eq!((s[v], s[d]), (Shown::Count(7), Shown::Count(0)));
        // A category of 10 with 9 from other sources: the police's 1 (not
        // shown) would follow, so a count is hidden.
        let mut t = CountTable::new();
        let cat = t.cell(10);
        let others = t.cells([5, 4]);
        let police = t.unseen_cell(1);
        t.sums_to(&[others[0], others[1], police], cat);
        let s = t.protect(3);
        assert!(
            [cat, others[0], others[1]]
                .iter()
                .any(|&i| s[i] == Shown::Hidden),
            "{s:?}"
        );
        // A small shown part beside an unseen one: 8 before, months 5 and
        // "<3" plus the unseen part of a straddling month; 8 - 5 leaves 3
        // for the "<3" and the unseen part: either may hold it.
        let mut t = CountTable::new();
        let before = t.cell(8);
        let months = t.cells([5, 2]);
        let part = t.unseen_cell(1);
        t.sums_to(&[months[0], months[1], part], before);
        let s = t.protect(3);
        assert_eq!(s[months[1]], Shown::Small);
        assert_eq!(s[before], Shown::Count(8));
    }

    #[test]
    fn a_cross_table_protects_rows_and_columns() {
        // 3 × 3 with margins; one 1 in the middle.
        let grid = [[5u64, 6, 7], [8, 1, 9], [10, 11, 12]];
        let mut t = CountTable::new();
        let cells: Vec<Vec<usize>> = grid.iter().map(|r| t.cells(r.iter().copied())).collect();
        let rows: Vec<usize> = grid.iter().map(|r| t.cell(r.iter().sum())).collect();
        let cols: Vec<usize> = (0..3)
            .map(|c| t.cell(grid.iter().map(|r| r[c]).sum()))
            .collect();
        let all = t.public_cell(grid.iter().flatten().sum());
        for r in 0..3 {
            t.sums_to(&cells[r], rows[r]);
        }
        for c in 0..3 {
            let col: Vec<usize> = (0..3).map(|r| cells[r][c]).collect();
            t.sums_to(&col, cols[c]);
        }
        t.sums_to(&rows, all);
        t.sums_to(&cols, all);
        let s = t.protect(3);
        assert_eq!(s[cells[1][1]], Shown::Small);
        // Every row and column with a suppressed cell has at least two.
        for (r, row) in cells.iter().enumerate() {
            let n = row.iter().filter(|&&i| s[i].is_suppressed()).count();
            assert!(n != 1, "row {r}: {s:?}");
        }
        for c in 0..3 {
            let n = (0..3).filter(|&r| s[cells[r][c]].is_suppressed()).count();
            assert!(n != 1, "column {c}: {s:?}");
        }
        assert_eq!(s[all], Shown::Count(69));
    }

    #[test]
    fn an_isolated_incident_leaves_no_trace_and_a_group_of_three_stays() {
        // Three together, one alone 3 km away.
        let xy = [
            [500_000.0, 6_200_000.0],
            [500_020.0, 6_200_010.0],
            [500_010.0, 6_200_030.0],
            [503_000.0, 6_200_000.0],
        ];
        let params = HeatmapParams {
            bandwidth_m: 200.0,
            cell_m: Some(20.0),
            ..HeatmapParams::default()
        };
        let mut h = heatmap(&xy, &[], &params, &CancelToken::new()).unwrap();
        let alone = h.grid.cell_of(xy[3]).unwrap();
        let group = h.grid.cell_of(xy[0]).unwrap();
        assert!(h.grid.get(alone.0, alone.1) > 0.0);
        let zeroed = suppress_sparse_cells(&mut h.grid, &xy, Kernel::Quartic, 200.0, 3);
        assert!(zeroed > 0);
        assert_eq!(h.grid.get(alone.0, alone.1), 0.0);
        assert!(h.grid.get(group.0, group.1) > 0.0);
        // Nowhere within the lone incident's reach is anything left.
        for iy in 0..h.grid.ny {
            for ix in 0..h.grid.nx {
                let c = h.grid.cell_center(ix, iy);
                if (c[0] - xy[3][0]).hypot(c[1] - xy[3][1]) < 200.0 {
                    assert_eq!(h.grid.get(ix, iy), 0.0);
                }
            }
        }
        // No-data cells (outside a study area) stay no-data.
        let mut nodata = h.grid.clone();
        nodata.values[0] = f64::NAN;
        suppress_sparse_cells(&mut nodata, &xy, Kernel::Quartic, 200.0, 3);
        assert!(nodata.values[0].is_nan());
        // min_count 1 keeps everything.
        let mut again = heatmap(&xy, &[], &params, &CancelToken::new()).unwrap();
        assert_eq!(
            suppress_sparse_cells(&mut again.grid, &xy, Kernel::Quartic, 200.0, 1),
            0
        );
    }
}
