//! What changed in a project, by kind, for the app's live refresh.
//!
//! [`crate::store::Store::change_stamp`] says *that* something changed;
//! [`crate::store::Store::change_stamps`] says *what*: one number per
//! [`ChangeKind`] that moves whenever a table of that kind is changed by
//! anyone. Comparing two readings ([`ChangeStamps::changed_since`]) gives
//! the kinds to read again, so an incident recategorised or a patrol area
//! added reaches the app even when no count moved.
//!
//! Both stores name their tables alike, so [`kind_of_table`] serves both:
//! the shared store counts the rows of its change log
//! (`lagesbild_changes`) per table; the GeoPackage, which has no change log,
//! digests each table (see `gpkg/changes.rs`).

use std::collections::{BTreeMap, BTreeSet};

/// A kind of stored data the app shows and reads on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Incidents (imports, edits, retention, police events and their history).
    Incidents,
    /// Map layers: their features and styles.
    Layers,
    /// The patrol plan: areas, routes, stops.
    Plan,
    /// The week plan's fixed cells.
    WeekPlan,
    /// Measures (insatser).
    Measures,
    /// Saved views.
    Views,
    /// Police summaries and notices.
    PoliceSummaries,
    /// The project's metadata: name, study area, description.
    Project,
}

impl ChangeKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ChangeKind; 8] = [
        ChangeKind::Incidents,
        ChangeKind::Layers,
        ChangeKind::Plan,
        ChangeKind::WeekPlan,
        ChangeKind::Measures,
        ChangeKind::Views,
        ChangeKind::PoliceSummaries,
        ChangeKind::Project,
    ];
}

/// The kind a table of either store belongs to; `None` for tables the app
/// does not show (logs, caches, tracks).
pub fn kind_of_table(table: &str) -> Option<ChangeKind> {
    Some(match table {
        "incidents" | "lagesbild_police_history" => ChangeKind::Incidents,
        "lagesbild_layers" => ChangeKind::Layers,
        "patrol_areas" | "patrol_routes" | "route_stops" => ChangeKind::Plan,
        "lagesbild_week_fixed" => ChangeKind::WeekPlan,
        "measures" => ChangeKind::Measures,
        "lagesbild_views" => ChangeKind::Views,
        "lagesbild_police_summaries" => ChangeKind::PoliceSummaries,
        "lagesbild_meta" => ChangeKind::Project,
        _ => return None,
    })
}

/// One reading of the per-kind stamps. A kind missing from a reading has
/// never been changed (stamp 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeStamps(BTreeMap<ChangeKind, i64>);

impl ChangeStamps {
    /// Adds `stamp` to `kind`'s (a kind of several tables sums or mixes them).
    pub fn add(&mut self, kind: ChangeKind, stamp: i64) {
        let slot = self.0.entry(kind).or_insert(0);
        *slot = slot.wrapping_mul(31).wrapping_add(stamp);
    }

    /// The stamp of `kind` (0 when never changed).
    pub fn get(&self, kind: ChangeKind) -> i64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }

    /// Sets `kind`'s stamp to what `other` holds.
    pub fn take_from(&mut self, other: &ChangeStamps, kind: ChangeKind) {
        self.0.insert(kind, other.get(kind));
    }

    /// The kinds whose stamps differ between `before` and `self`.
    pub fn changed_since(&self, before: &ChangeStamps) -> BTreeSet<ChangeKind> {
        ChangeKind::ALL
            .into_iter()
            .filter(|k| self.get(*k) != before.get(*k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_that_moved_are_named_and_only_those() {
        let mut a = ChangeStamps::default();
        a.add(ChangeKind::Incidents, 3);
        a.add(ChangeKind::Plan, 1);
        let mut b = a.clone();
        assert!(b.changed_since(&a).is_empty());
        b.add(ChangeKind::Plan, 1);
        b.add(ChangeKind::Views, 1);
        assert_eq!(
            b.changed_since(&a),
            BTreeSet::from([ChangeKind::Plan, ChangeKind::Views])
        );
        // Taking one kind from a newer reading leaves the others as they were.
        let mut c = a.clone();
        c.take_from(&b, ChangeKind::Views);
        assert_eq!(b.changed_since(&c), BTreeSet::from([ChangeKind::Plan]));
    }

    #[test]
    fn tables_of_both_stores_map_to_their_kinds() {
        assert_eq!(kind_of_table("incidents"), Some(ChangeKind::Incidents));
        assert_eq!(kind_of_table("route_stops"), Some(ChangeKind::Plan));
        assert_eq!(kind_of_table("lagesbild_views"), Some(ChangeKind::Views));
        assert_eq!(kind_of_table("tracks"), None);
        assert_eq!(kind_of_table("lagesbild_point_cache"), None);
    }
}
