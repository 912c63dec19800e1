//! Undo and redo of patrol plan edits, and the store call of one edit.
//!
//! Every edit of the plan (a drawn area or route, a moved, inserted or
//! deleted vertex, a stop, new attributes, a deleted item) is one
//! [`PlanEdit`] holding the item as it was and as it became, so its inverse
//! is always known: undoing a new item deletes it, undoing a change stores
//! the old version under the same id, undoing a delete stores the item again
//! under its own id (the store restores ids). Store calls run off the UI
//! thread ([`run_job`]); no egui in here.

use std::path::Path;

use crate::model::plan::{PatrolArea, PatrolPlan, PatrolRoute, PlanRef};
use crate::store::Store;

/// Most plan edits kept for undo.
pub const PLAN_HISTORY_MAX: usize = 100;

/// An area or a route, whole.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanItem {
    Area(PatrolArea),
    Route(PatrolRoute),
}

impl PlanItem {
    pub fn id(&self) -> Option<i64> {
        match self {
            PlanItem::Area(a) => a.id,
            PlanItem::Route(r) => r.id,
        }
    }

    pub fn reference(&self) -> Option<PlanRef> {
        match self {
            PlanItem::Area(a) => a.id.map(PlanRef::Area),
            PlanItem::Route(r) => r.id.map(PlanRef::Route),
        }
    }

    fn with_id(mut self, id: i64) -> PlanItem {
        match &mut self {
            PlanItem::Area(a) => a.id = Some(id),
            PlanItem::Route(r) => r.id = Some(id),
        }
        self
    }

    pub fn name(&self) -> &str {
        match self {
            PlanItem::Area(a) => &a.attributes.name,
            PlanItem::Route(r) => &r.attributes.name,
        }
    }

    /// The item of the plan `reference` names.
    pub fn of(plan: &PatrolPlan, reference: PlanRef) -> Option<PlanItem> {
        match reference {
            PlanRef::Area(id) => plan.area(id).cloned().map(PlanItem::Area),
            PlanRef::Route(id) => plan.route(id).cloned().map(PlanItem::Route),
        }
    }
}

/// One plan edit, reversible.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanEdit {
    /// `after` was stored; `before` is what was stored under its id before
    /// (`None` for a new item).
    Put {
        before: Option<PlanItem>,
        after: PlanItem,
    },
    /// `before` was deleted.
    Delete { before: PlanItem },
}

/// Which way an edit is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Do,
    Undo,
    Redo,
}

fn put(store: &mut dyn Store, item: &PlanItem) -> Result<i64, crate::store::StoreError> {
    match item {
        PlanItem::Area(a) => store.save_patrol_area(a),
        PlanItem::Route(r) => store.save_patrol_route(r),
    }
}

fn delete(store: &mut dyn Store, item: &PlanItem) -> Result<(), crate::store::StoreError> {
    if let Some(r) = item.reference() {
        store.delete_plan_item(r)?;
    }
    Ok(())
}

/// Applies `edit` in direction `step` to `store` (one transaction) and
/// returns the edit as it now stands (a new item's id filled in), so that
/// later undo and redo name the stored item.
pub fn apply(
    store: &mut dyn Store,
    edit: PlanEdit,
    step: Step,
) -> Result<PlanEdit, crate::store::StoreError> {
    Ok(match (edit, step) {
        (PlanEdit::Put { before, after }, Step::Do | Step::Redo) => {
            let id = put(store, &after)?;
            PlanEdit::Put {
                before,
                after: after.with_id(id),
            }
        }
        (PlanEdit::Put { before, after }, Step::Undo) => {
            match &before {
                Some(b) => {
                    put(store, b)?;
                }
                None => delete(store, &after)?,
            }
            PlanEdit::Put { before, after }
        }
        (PlanEdit::Delete { before }, Step::Do | Step::Redo) => {
            delete(store, &before)?;
            PlanEdit::Delete { before }
        }
        (PlanEdit::Delete { before }, Step::Undo) => {
            let id = put(store, &before)?;
            PlanEdit::Delete {
                before: before.with_id(id),
            }
        }
    })
}

/// What a finished plan job hands back to the app.
#[derive(Debug)]
pub struct JobDone {
    /// The edit and its direction (`None` for a plain read).
    pub edit: Option<(PlanEdit, Step)>,
    /// The plan as stored afterwards.
    pub plan: PatrolPlan,
    /// The store's change stamps read just before the plan (the live
    /// refresh then knows the app has this version); `None`: none kept.
    pub stamps: Option<crate::store::changes::ChangeStamps>,
}

/// Opens the project at `path`, applies the edit (if any) and reads the plan.
pub fn run_job(path: &Path, edit: Option<(PlanEdit, Step)>) -> anyhow::Result<JobDone> {
    let mut store = crate::store::open(path)?;
    let edit = match edit {
        Some((e, step)) => Some((apply(store.as_mut(), e, step)?, step)),
        None => None,
    };
    let stamps = store.change_stamps().ok();
    Ok(JobDone {
        edit,
        plan: store.patrol_plan()?,
        stamps,
    })
}

/// The undo and redo stacks of plan edits.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PlanHistory {
    undo: Vec<PlanEdit>,
    redo: Vec<PlanEdit>,
}

impl PlanHistory {
    /// Files an edit that has been applied in direction `step`.
    pub fn record(&mut self, edit: PlanEdit, step: Step) {
        match step {
            Step::Do => {
                self.undo.push(edit);
                self.redo.clear();
            }
            Step::Undo => self.redo.push(edit),
            Step::Redo => self.undo.push(edit),
        }
        if self.undo.len() > PLAN_HISTORY_MAX {
            self.undo.remove(0);
        }
    }

    /// Takes the edit to undo next out of the history.
    pub fn take_undo(&mut self) -> Option<PlanEdit> {
        self.undo.pop()
    }

    /// Takes the edit to redo next out of the history.
    pub fn take_redo(&mut self) -> Option<PlanEdit> {
        self.redo.pop()
    }

    /// Puts back an edit whose undo or redo failed.
    pub fn restore(&mut self, edit: PlanEdit, step: Step) {
        match step {
            Step::Undo => self.undo.push(edit),
            Step::Redo => self.redo.push(edit),
            Step::Do => {}
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{PlanAttributes, RouteStop};
    use crate::store::Project;
    use geo::{LineString, MultiPolygon, Point, polygon};

    #[test]
    fn every_edit_undoes_and_redoes_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        drop(Project::create(&path, "P").unwrap());
        let mut history = PlanHistory::default();
        let step = |edit: PlanEdit, s: Step, h: &mut PlanHistory| -> PatrolPlan {
            let done = run_job(&path, Some((edit, s))).unwrap();
            let (e, s) = done.edit.unwrap();
            h.record(e, s);
            done.plan
        };
        let area = PlanItem::Area(PatrolArea {
            id: None,
            attributes: PlanAttributes {
                name: "A".into(),
                ..PlanAttributes::default()
            },
            polygons: MultiPolygon::new(vec![polygon![
                (x: 14.5, y: 56.0), (x: 14.6, y: 56.0), (x: 14.6, y: 56.1), (x: 14.5, y: 56.0)
            ]]),
        });
        let plan = step(
            PlanEdit::Put {
                before: None,
                after: area,
            },
            Step::Do,
            &mut history,
        );
        let stored = PlanItem::Area(plan.areas[0].clone());
        let mut renamed = stored.clone();
        if let PlanItem::Area(a) = &mut renamed {
            a.attributes.name = "B".into();
        }
        let plan = step(
            PlanEdit::Put {
                before: Some(stored.clone()),
                after: renamed,
            },
            Step::Do,
            &mut history,
        );
        assert_eq!(plan.areas[0].attributes.name, "B");
        let plan = step(
            PlanEdit::Delete {
                before: PlanItem::Area(plan.areas[0].clone()),
            },
            Step::Do,
            &mut history,
        );
        assert!(plan.areas.is_empty());
        // Undo the delete, the rename, the drawing; redo them all.
        let e = history.take_undo().unwrap();
        let plan = step(e, Step::Undo, &mut history);
        assert_eq!(plan.areas[0].attributes.name, "B");
        assert_eq!(plan.areas[0].id, stored.id());
        let e = history.take_undo().unwrap();
        assert_eq!(
            step(e, Step::Undo, &mut history).areas[0].attributes.name,
            "A"
        );
        let e = history.take_undo().unwrap();
        assert!(step(e, Step::Undo, &mut history).is_empty());
        assert!(!history.can_undo());
        for _ in 0..3 {
            let e = history.take_redo().unwrap();
            step(e, Step::Redo, &mut history);
        }
        assert!(run_job(&path, None).unwrap().plan.areas.is_empty());
        let e = history.take_undo().unwrap();
        let plan = step(e, Step::Undo, &mut history);
        assert_eq!(plan.areas[0].attributes.name, "B");

        // A route with a stop, undone.
        let route = PlanItem::Route(PatrolRoute {
            id: None,
            attributes: PlanAttributes::default(),
            line: LineString::from(vec![(14.5, 56.0), (14.6, 56.0)]),
            stops: vec![RouteStop::new("s", Point::new(14.5, 56.0))],
        });
        let plan = step(
            PlanEdit::Put {
                before: None,
                after: route,
            },
            Step::Do,
            &mut history,
        );
        assert_eq!(plan.routes[0].stops.len(), 1);
        let e = history.take_undo().unwrap();
        assert!(step(e, Step::Undo, &mut history).routes.is_empty());
    }
}
