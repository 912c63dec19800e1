//! The merge rules of [`crate::store::Store::merge_patrol_plan`], apart from
//! any backend, so the GeoPackage and the PostGIS store apply the same rules:
//! an imported item is matched by kind and name against the plan stored
//! before the import (each stored item at most once, the lowest id first);
//! a match that is identical (ids aside) is left as it is, a match that
//! differs is replaced under the stored item's id, and an item without a
//! match is added.

use crate::model::plan::{PatrolArea, PatrolPlan, PatrolRoute, PlanRef};
use crate::store::{PlanMerge, StoreError};

/// One item for the backend to write, with its place in the imported plan
/// (0-based, areas and routes counted apart) for error messages.
pub(crate) enum PlanWrite<'a> {
    /// An area to store: a new one when its id is `None`, else under its id.
    Area(usize, &'a PatrolArea),
    /// A route with its stops, as for areas.
    Route(usize, &'a PatrolRoute),
}

/// What the merge needs of an area or a route.
trait Item: Clone + Sized {
    fn name(&self) -> &str;
    fn id(&self) -> Option<i64>;
    fn with_id(&self, id: Option<i64>) -> Self;
    /// Equal as stored, the ids of its parts (a route's stops) aside.
    fn same(&self, other: &Self) -> bool;
    fn plan_ref(id: i64) -> PlanRef;
    fn write(i: usize, item: &Self) -> PlanWrite<'_>;
}

impl Item for PatrolArea {
    fn name(&self) -> &str {
        &self.attributes.name
    }
    fn id(&self) -> Option<i64> {
        self.id
    }
    fn with_id(&self, id: Option<i64>) -> Self {
        PatrolArea { id, ..self.clone() }
    }
    fn same(&self, other: &Self) -> bool {
        self == other
    }
    fn plan_ref(id: i64) -> PlanRef {
        PlanRef::Area(id)
    }
    fn write(i: usize, item: &Self) -> PlanWrite<'_> {
        PlanWrite::Area(i, item)
    }
}

fn without_stop_ids(r: &PatrolRoute) -> PatrolRoute {
    let mut r = r.clone();
    for s in &mut r.stops {
        s.id = None;
    }
    r
}

impl Item for PatrolRoute {
    fn name(&self) -> &str {
        &self.attributes.name
    }
    fn id(&self) -> Option<i64> {
        self.id
    }
    fn with_id(&self, id: Option<i64>) -> Self {
        PatrolRoute { id, ..self.clone() }
    }
    fn same(&self, other: &Self) -> bool {
        without_stop_ids(self) == without_stop_ids(other)
    }
    fn plan_ref(id: i64) -> PlanRef {
        PlanRef::Route(id)
    }
    fn write(i: usize, item: &Self) -> PlanWrite<'_> {
        PlanWrite::Route(i, item)
    }
}

/// Merges the items of one kind (see the module docs).
fn merge_kind<T: Item>(
    stored: &[T],
    items: &[T],
    write: &mut impl FnMut(PlanWrite<'_>) -> Result<i64, StoreError>,
    merge: &mut PlanMerge,
) -> Result<(), StoreError> {
    // Ids of stored items already matched.
    let mut taken: Vec<i64> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = item.name().to_owned();
        let old = stored
            .iter()
            .filter_map(|s| s.id().map(|id| (s, id)))
            .filter(|(s, id)| s.name() == name && !taken.contains(id))
            .min_by_key(|(_, id)| *id);
        match old {
            Some((o, id)) => {
                taken.push(id);
                let new = item.with_id(Some(id));
                if o.same(&new) {
                    merge.unchanged.push((T::plan_ref(id), name));
                } else {
                    write(T::write(i, &new))?;
                    merge.replaced.push((T::plan_ref(id), name));
                }
            }
            None => {
                let id = write(T::write(i, &item.with_id(None)))?;
                merge.added.push((T::plan_ref(id), name));
            }
        }
    }
    Ok(())
}

/// Merges `plan` into `stored` by calling `write` for every item that must
/// be added or replaced (in the imported order, areas first); `write`
/// returns the id the item got. Says what happened to each item.
pub(crate) fn merge_plan(
    stored: &PatrolPlan,
    plan: &PatrolPlan,
    mut write: impl FnMut(PlanWrite<'_>) -> Result<i64, StoreError>,
) -> Result<PlanMerge, StoreError> {
    let mut merge = PlanMerge::default();
    merge_kind(&stored.areas, &plan.areas, &mut write, &mut merge)?;
    merge_kind(&stored.routes, &plan.routes, &mut write, &mut merge)?;
    Ok(merge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{PlanAttributes, RouteStop};
    use geo::{LineString, MultiPolygon, Point, polygon};

    fn area(id: Option<i64>, name: &str, note: &str) -> PatrolArea {
        PatrolArea {
            id,
            attributes: PlanAttributes {
                name: name.into(),
                note: note.into(),
                ..PlanAttributes::default()
            },
            polygons: MultiPolygon::new(vec![polygon![
                (x: 14.57, y: 56.04), (x: 14.60, y: 56.04), (x: 14.60, y: 56.06),
                (x: 14.57, y: 56.04)
            ]]),
        }
    }

    fn route(id: Option<i64>, name: &str, stop_id: Option<i64>) -> PatrolRoute {
        PatrolRoute {
            id,
            attributes: PlanAttributes {
                name: name.into(),
                ..PlanAttributes::default()
            },
            line: LineString::from(vec![(14.58, 56.05), (14.59, 56.05)]),
            stops: vec![RouteStop {
                id: stop_id,
                ..RouteStop::new("Torget", Point::new(14.58, 56.05))
            }],
        }
    }

    /// Runs the merge, recording the writes; new items get ids from 100.
    fn run(stored: &PatrolPlan, plan: &PatrolPlan) -> (PlanMerge, Vec<String>) {
        let mut writes = Vec::new();
        let mut next = 100;
        let merge = merge_plan(stored, plan, |w| {
            let (kind, i, id) = match w {
                PlanWrite::Area(i, a) => ("area", i, a.id),
                PlanWrite::Route(i, r) => ("route", i, r.id),
            };
            writes.push(format!("{kind} {i} -> {id:?}"));
            Ok(id.unwrap_or_else(|| {
                next += 1;
                next
            }))
        })
        .unwrap();
        (merge, writes)
    }

    #[test]
    fn the_same_name_twice_matches_two_stored_items_lowest_id_first() {
        let stored = PatrolPlan {
            areas: vec![area(Some(7), "A", "x"), area(Some(3), "A", "y")],
            routes: vec![],
        };
        let plan = PatrolPlan {
            areas: vec![
                area(None, "A", "y"),
                area(None, "A", "z"),
                area(None, "A", "y"),
            ],
            routes: vec![],
        };
        let (merge, writes) = run(&stored, &plan);
        // The first import matches id 3 (identical), the second id 7
        // (different: replaced), the third finds no stored A left: added.
        assert_eq!(merge.unchanged, vec![(PlanRef::Area(3), "A".into())]);
        assert_eq!(merge.replaced, vec![(PlanRef::Area(7), "A".into())]);
        assert_eq!(merge.added, vec![(PlanRef::Area(101), "A".into())]);
        assert_eq!(writes, ["area 1 -> Some(7)", "area 2 -> None"]);
    }

    #[test]
    fn stop_ids_do_not_count_and_kinds_are_matched_apart() {
        let stored = PatrolPlan {
            areas: vec![area(Some(1), "Slingan", "")],
            routes: vec![route(Some(1), "Slingan", Some(40))],
        };
        let plan = PatrolPlan {
            areas: vec![],
            routes: vec![route(None, "Slingan", None), route(None, "Ny", None)],
        };
        let (merge, writes) = run(&stored, &plan);
        assert_eq!(merge.unchanged, vec![(PlanRef::Route(1), "Slingan".into())]);
        assert_eq!(merge.added, vec![(PlanRef::Route(101), "Ny".into())]);
        assert!(merge.replaced.is_empty());
        assert_eq!(writes, ["route 1 -> None"]);
    }

    #[test]
    fn a_failing_write_stops_the_merge() {
        let plan = PatrolPlan {
            areas: vec![area(None, "A", ""), area(None, "B", "")],
            routes: vec![],
        };
        let mut calls = 0;
        let err = merge_plan(&PatrolPlan::default(), &plan, |_| {
            calls += 1;
            Err(StoreError::Unsupported { what: "test" })
        })
        .unwrap_err();
        assert!(matches!(err, StoreError::Unsupported { .. }));
        assert_eq!(calls, 1);
    }
}
