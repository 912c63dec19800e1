//! The change map ([`crate::analysis::change`]) as a [`Layer`]: one Polygon
//! per tested cell. Cells below the minimum count are left out: they carry no
//! finding, and their small counts could point at single incidents.

use serde_json::{Value, json};

use super::privacy::{CountTable, DEFAULT_MIN_COUNT, Shown};
use super::{Feature, Layer, MadeFrom};
use crate::analysis::change::{ChangeCell, ChangeMap};

/// The change map's counts as its outputs show them, with groups under
/// [`super::privacy::DEFAULT_MIN_COUNT`] suppressed (whatever the test's
/// own minimum): each period's total and each written cell's two counts.
/// A period's total is the written cells' counts plus those of the cells
/// not written (under the test's minimum), so a total less the shown
/// counts could give a cell's small count back; the relation is checked as
/// for every other table ([`CountTable`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ShownChange {
    pub before_total: Shown,
    pub after_total: Shown,
    /// Before and after of each cell of [`ChangeMap::cells`] (untested
    /// cells are not written; theirs are `Withheld`).
    pub cells: Vec<[Shown; 2]>,
}

/// The counts of `m` as shown.
pub fn protect(m: &ChangeMap) -> ShownChange {
    let mut t = CountTable::new();
    let all = t.public_cell(m.before_total + m.after_total);
    let totals = [t.cell(m.before_total), t.cell(m.after_total)];
    t.sums_to(&totals, all);
    // The cells not written (under the test's minimum): one residual count
    // per period, as nothing in the output locates them.
    let written: Vec<&ChangeCell> = m.cells.iter().filter(|c| c.p.is_some()).collect();
    let cells: Vec<[usize; 2]> = written
        .iter()
        .map(|c| [t.cell(u64::from(c.before)), t.cell(u64::from(c.after))])
        .collect();
    for (k, total) in [m.before_total, m.after_total].into_iter().enumerate() {
        let count = |c: &ChangeCell| u64::from(if k == 0 { c.before } else { c.after });
        let shown: u64 = written.iter().map(|c| count(c)).sum();
        let all: u64 = m.cells.iter().map(count).sum();
        // Only relations that hold go in (a false one would mislead the check).
        if all == total && shown <= total {
            let mut parts: Vec<usize> = cells.iter().map(|c| c[k]).collect();
            parts.push(t.residual_cell(total - shown));
            t.sums_to(&parts, totals[k]);
        }
    }
    let s = t.protect(DEFAULT_MIN_COUNT);
    let mut written_shown = cells.iter().map(|c| [s[c[0]], s[c[1]]]);
    ShownChange {
        before_total: s[totals[0]],
        after_total: s[totals[1]],
        cells: m
            .cells
            .iter()
            .map(|c| {
                if c.p.is_some() {
                    written_shown.next().unwrap_or([Shown::Withheld; 2])
                } else {
                    [Shown::Withheld; 2]
                }
            })
            .collect(),
    }
}

/// A cell's `before`, `after`, `ratio` and `p` as exports show them
/// (`shown`: its counts from [`protect`]): a suppressed count is null, and
/// then so are the ratio and p, which would give it back with the other
/// count. The class stays.
pub fn shown_values(c: &ChangeCell, shown: [Shown; 2]) -> [Value; 4] {
    if shown.iter().any(|s| s.is_suppressed()) {
        return [shown[0].json(), shown[1].json(), Value::Null, Value::Null];
    }
    [
        json!(c.before),
        json!(c.after),
        json!(c.ratio.filter(|r| r.is_finite())),
        json!(c.p),
    ]
}

/// One Polygon feature (SWEREF 99 TM) per tested cell with properties `ix`,
/// `iy`, `before`, `after`, `ratio` (after rate / before rate; null when
/// none before), `p` (two-sided exact test), `class` (`more`, `fewer`,
/// `no_clear_change`) and `class_sv`; small counts as [`shown_values`] says.
pub fn change_layer(m: &ChangeMap, made_from: MadeFrom) -> Layer {
    let shown = protect(m);
    let features = m
        .cells
        .iter()
        .zip(&shown.cells)
        .filter(|(c, _)| c.p.is_some())
        .map(|(c, s)| {
            let (lo, hi) = m.cell_bounds(c.ix, c.iy);
            // Counter-clockwise from the lower-left corner.
            let ring = geo::LineString::from(vec![
                (lo[0], lo[1]),
                (hi[0], lo[1]),
                (hi[0], hi[1]),
                (lo[0], hi[1]),
                (lo[0], lo[1]),
            ]);
            let [before, after, ratio, p] = shown_values(c, *s);
            let properties = match json!({
                "ix": c.ix,
                "iy": c.iy,
                "before": before,
                "after": after,
                "ratio": ratio,
                "p": p,
                "class": c.class.key(),
                "class_sv": c.class.label_sv(),
            }) {
                Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            Feature {
                geometry: geo::Polygon::new(ring, vec![]).into(),
                properties,
            }
        })
        .collect();
    Layer {
        name: "change".to_owned(),
        title: format!("Change {} → {}", m.before, m.after),
        features,
        made_from,
    }
}
