//! The change map ([`crate::analysis::change`]) as a [`Layer`]: one Polygon
//! per tested cell. Cells below the minimum count are left out: they carry no
//! finding, and their small counts could point at single incidents.

use serde_json::{Value, json};

use super::{Feature, Layer, MadeFrom};
use crate::analysis::change::{ChangeCell, ChangeMap};

/// A cell's `before`, `after`, `ratio` and `p` as exports show them: a
/// period count of 1 or 2 (below [`super::privacy::DEFAULT_MIN_COUNT`]) is
/// null, and then so are the ratio and p, which would give it back with the
/// other count. The class stays.
pub fn shown_values(c: &ChangeCell) -> [Value; 4] {
    let small = |n: u32| (1..super::privacy::DEFAULT_MIN_COUNT).contains(&n);
    let hidden = small(c.before) || small(c.after);
    let count = |n: u32| if small(n) { Value::Null } else { json!(n) };
    if hidden {
        return [count(c.before), count(c.after), Value::Null, Value::Null];
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
    let features = m
        .cells
        .iter()
        .filter(|c| c.p.is_some())
        .map(|c| {
            let (lo, hi) = m.cell_bounds(c.ix, c.iy);
            // Counter-clockwise from the lower-left corner.
            let ring = geo::LineString::from(vec![
                (lo[0], lo[1]),
                (hi[0], lo[1]),
                (hi[0], hi[1]),
                (lo[0], hi[1]),
                (lo[0], lo[1]),
            ]);
            let [before, after, ratio, p] = shown_values(c);
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
