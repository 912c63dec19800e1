//! Undo and redo of incident edits made in the window.
//!
//! Each edit is kept with everything needed to reverse it: an added incident
//! as stored (fid and uid), an update's before and after, a deleted
//! incident as it was. Undo applies the inverse through the [`Store`], redo
//! applies the edit again; a deleted incident comes back under its own fid
//! and uid, so older history entries that name that fid stay valid.
//!
//! The store calls run off the UI thread, so an entry is taken out of the
//! history while its call runs ([`History::begin_undo`]) and put where it
//! belongs when the call is done ([`History::finish`]) or back where it was
//! when it failed ([`History::restore`]). No egui in here.

use crate::model::Incident;
use crate::store::{Store, StoreError};

/// Most edits kept for undo.
pub const HISTORY_MAX: usize = 100;

/// One edit, reversible.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// An incident was added; `incident` as stored (fid and uid set).
    Add { incident: Incident },
    /// Incident `fid` was changed from `before` to `after` (both as stored).
    Update {
        fid: i64,
        before: Box<Incident>,
        after: Box<Incident>,
    },
    /// An incident was deleted; `incident` as it was (fid and uid set).
    Delete { incident: Incident },
}

/// What kind of edit, for menu labels ("Ångra ändring").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    Add,
    Update,
    Delete,
}

/// Which way an edit is being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A new edit by the user.
    Do,
    Undo,
    Redo,
}

fn stored_fid(incident: &Incident) -> i64 {
    incident.fid.unwrap_or(0)
}

impl Edit {
    pub fn kind(&self) -> EditKind {
        match self {
            Edit::Add { .. } => EditKind::Add,
            Edit::Update { .. } => EditKind::Update,
            Edit::Delete { .. } => EditKind::Delete,
        }
    }

    /// The storage id of the incident the edit is about.
    pub fn fid(&self) -> i64 {
        match self {
            Edit::Add { incident } | Edit::Delete { incident } => stored_fid(incident),
            Edit::Update { fid, .. } => *fid,
        }
    }

    /// The incident to select after the edit went `step`'s way, if it still
    /// exists then.
    pub fn focus_after(&self, step: Step) -> Option<i64> {
        let exists = match (self, step) {
            (Edit::Update { .. }, _) => true,
            (Edit::Add { .. }, Step::Do | Step::Redo) => true,
            (Edit::Add { .. }, Step::Undo) => false,
            (Edit::Delete { .. }, Step::Do | Step::Redo) => false,
            (Edit::Delete { .. }, Step::Undo) => true,
        };
        exists.then(|| self.fid())
    }

    /// Applies the edit (again) through the store.
    pub fn redo<S: Store + ?Sized>(&self, store: &mut S) -> Result<(), StoreError> {
        match self {
            Edit::Add { incident } => store.add_incident(incident).map(drop),
            Edit::Update { fid, after, .. } => store.update_incident(*fid, after).map(drop),
            Edit::Delete { incident } => store.delete_incident(stored_fid(incident)).map(drop),
        }
    }

    /// Reverses the edit through the store.
    pub fn undo<S: Store + ?Sized>(&self, store: &mut S) -> Result<(), StoreError> {
        match self {
            Edit::Add { incident } => store.delete_incident(stored_fid(incident)).map(drop),
            Edit::Update { fid, before, .. } => store.update_incident(*fid, before).map(drop),
            Edit::Delete { incident } => store.add_incident(incident).map(drop),
        }
    }

    /// Applies `self` the way `step` says (Do and Redo apply, Undo reverses).
    pub fn run<S: Store + ?Sized>(&self, store: &mut S, step: Step) -> Result<(), StoreError> {
        match step {
            Step::Do | Step::Redo => self.redo(store),
            Step::Undo => self.undo(store),
        }
    }
}

/// Adds `incident` and returns the edit, with the incident as stored.
pub fn add<S: Store + ?Sized>(store: &mut S, incident: &Incident) -> Result<Edit, StoreError> {
    let fid = store.add_incident(incident)?;
    let stored = read_back(store, fid)?;
    Ok(Edit::Add { incident: stored })
}

/// Replaces incident `fid` by `incident` and returns the edit.
pub fn update<S: Store + ?Sized>(
    store: &mut S,
    fid: i64,
    incident: &Incident,
) -> Result<Edit, StoreError> {
    let before = store.update_incident(fid, incident)?;
    let after = read_back(store, fid)?;
    Ok(Edit::Update {
        fid,
        before: Box::new(before),
        after: Box::new(after),
    })
}

/// Deletes incident `fid` and returns the edit.
pub fn delete<S: Store + ?Sized>(store: &mut S, fid: i64) -> Result<Edit, StoreError> {
    let incident = store.delete_incident(fid)?;
    Ok(Edit::Delete { incident })
}

fn read_back<S: Store + ?Sized>(store: &S, fid: i64) -> Result<Incident, StoreError> {
    store.incident(fid)?.ok_or(StoreError::NoSuchIncident {
        path: std::path::PathBuf::new(),
        fid,
    })
}

/// One store call the app runs off the UI thread.
#[derive(Debug, Clone, PartialEq)]
pub enum EditJob {
    /// Add a new incident.
    Add(Box<Incident>),
    /// Replace incident `fid`.
    Update(i64, Box<Incident>),
    /// Delete incident `fid`.
    Delete(i64),
    /// Reverse an edit taken out with [`History::begin_undo`].
    Undo(Edit),
    /// Apply again an edit taken out with [`History::begin_redo`].
    Redo(Edit),
}

/// What a finished [`EditJob`] gives back.
#[derive(Debug)]
pub struct EditDone {
    pub step: Step,
    /// The edit to file with [`History::finish`]; or the error, with the edit
    /// to put back with [`History::restore`] (undo and redo only).
    pub result: Result<Edit, (Option<Edit>, StoreError)>,
}

/// Opens the project at `path` and runs `job` (one transaction).
pub fn run_job(path: &std::path::Path, job: EditJob) -> EditDone {
    let step = match &job {
        EditJob::Add(_) | EditJob::Update(..) | EditJob::Delete(_) => Step::Do,
        EditJob::Undo(_) => Step::Undo,
        EditJob::Redo(_) => Step::Redo,
    };
    let mut project = match crate::store::open(path) {
        Ok(p) => p,
        Err(e) => {
            let edit = match job {
                EditJob::Undo(e) | EditJob::Redo(e) => Some(e),
                _ => None,
            };
            return EditDone {
                step,
                result: Err((edit, e)),
            };
        }
    };
    let result = match job {
        EditJob::Add(incident) => add(project.as_mut(), &incident).map_err(|e| (None, e)),
        EditJob::Update(fid, incident) => {
            update(project.as_mut(), fid, &incident).map_err(|e| (None, e))
        }
        EditJob::Delete(fid) => delete(project.as_mut(), fid).map_err(|e| (None, e)),
        EditJob::Undo(edit) | EditJob::Redo(edit) => match edit.run(project.as_mut(), step) {
            Ok(()) => Ok(edit),
            Err(e) => Err((Some(edit), e)),
        },
    };
    EditDone { step, result }
}

/// The undo and redo stacks.
#[derive(Debug, Default)]
pub struct History {
    done: Vec<Edit>,
    undone: Vec<Edit>,
}

impl History {
    /// The edit the next undo reverses.
    pub fn next_undo(&self) -> Option<&Edit> {
        self.done.last()
    }

    /// The edit the next redo applies again.
    pub fn next_redo(&self) -> Option<&Edit> {
        self.undone.last()
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    /// Records a new edit by the user: it can be undone, and nothing undone
    /// before can be redone any more.
    pub fn record(&mut self, edit: Edit) {
        self.undone.clear();
        self.done.push(edit);
        if self.done.len() > HISTORY_MAX {
            let extra = self.done.len() - HISTORY_MAX;
            self.done.drain(..extra);
        }
    }

    /// Takes the edit to undo out while its store call runs.
    pub fn begin_undo(&mut self) -> Option<Edit> {
        self.done.pop()
    }

    /// Takes the edit to redo out while its store call runs.
    pub fn begin_redo(&mut self) -> Option<Edit> {
        self.undone.pop()
    }

    /// Files an edit whose store call (`step`) succeeded.
    pub fn finish(&mut self, edit: Edit, step: Step) {
        match step {
            Step::Do => self.record(edit),
            Step::Redo => self.done.push(edit),
            Step::Undo => self.undone.push(edit),
        }
    }

    /// Puts back an edit whose undo or redo failed, where it was.
    pub fn restore(&mut self, edit: Edit, step: Step) {
        match step {
            Step::Do => {}
            Step::Undo => self.done.push(edit),
            Step::Redo => self.undone.push(edit),
        }
    }

    /// Forgets everything (another project was opened).
    pub fn clear(&mut self) {
        self.done.clear();
        self.undone.clear();
    }

    /// Edits that can be undone, oldest first.
    pub fn undo_len(&self) -> usize {
        self.done.len()
    }

    /// Edits that can be redone.
    pub fn redo_len(&self) -> usize {
        self.undone.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::CancelToken;
    use crate::model::{Category, Filter, LonLat, Source};
    use crate::store::Project;

    fn observation(lon: f64) -> Incident {
        Incident::new(
            chrono::Utc::now(),
            Category::Ordningsstorning,
            Source::Trygghetsvard,
            LonLat::new(lon, 56.05),
            10.0,
        )
    }

    fn uids(project: &Project) -> Vec<String> {
        let mut v: Vec<String> = project
            .incidents(&Filter::default(), &CancelToken::new())
            .unwrap()
            .into_iter()
            .map(|i| i.uid)
            .collect();
        v.sort();
        v
    }

    fn fake(fid: i64) -> Edit {
        let mut i = observation(14.5);
        i.fid = Some(fid);
        Edit::Add { incident: i }
    }

    #[test]
    fn a_new_edit_clears_redo_and_history_is_capped() {
        let mut h = History::default();
        assert!(!h.can_undo() && !h.can_redo());
        h.record(fake(1));
        h.record(fake(2));
        let e = h.begin_undo().unwrap();
        assert_eq!(e.fid(), 2);
        h.finish(e, Step::Undo);
        assert!(h.can_redo());
        assert_eq!(h.next_redo().map(Edit::fid), Some(2));
        h.record(fake(3));
        assert!(!h.can_redo(), "a new edit clears redo");
        assert_eq!(h.undo_len(), 2);
        for fid in 0..(HISTORY_MAX as i64 + 10) {
            h.record(fake(100 + fid));
        }
        assert_eq!(h.undo_len(), HISTORY_MAX);
        assert_eq!(
            h.next_undo().map(Edit::fid),
            Some(100 + HISTORY_MAX as i64 + 9)
        );
    }

    #[test]
    fn failed_steps_go_back_where_they_were() {
        let mut h = History::default();
        h.record(fake(1));
        let e = h.begin_undo().unwrap();
        assert!(!h.can_undo(), "taken out while running");
        h.restore(e, Step::Undo);
        assert_eq!(h.undo_len(), 1);
        let e = h.begin_undo().unwrap();
        h.finish(e, Step::Undo);
        let e = h.begin_redo().unwrap();
        h.restore(e, Step::Redo);
        assert_eq!((h.undo_len(), h.redo_len()), (0, 1));
        let e = h.begin_redo().unwrap();
        h.finish(e, Step::Redo);
        assert_eq!((h.undo_len(), h.redo_len()), (1, 0));
    }

    #[test]
    fn focus_follows_what_exists() {
        let add = fake(7);
        assert_eq!(add.focus_after(Step::Do), Some(7));
        assert_eq!(add.focus_after(Step::Undo), None);
        let Edit::Add { incident } = add else {
            unreachable!()
        };
        let del = Edit::Delete { incident };
        assert_eq!(del.focus_after(Step::Do), None);
        assert_eq!(del.focus_after(Step::Undo), Some(7));
    }

    #[test]
    fn undo_and_redo_through_a_project() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("u.gpkg"), "u").unwrap();
        let mut h = History::default();

        let first = add(&mut p, &observation(14.50)).unwrap();
        let first_fid = first.fid();
        h.record(first.clone());
        let second = add(&mut p, &observation(14.51)).unwrap();
        h.record(second);
        let all = uids(&p);
        assert_eq!(all.len(), 2);

        // Change the first, then delete it.
        let mut changed = p.incident(first_fid).unwrap().unwrap();
        changed.category = Category::Vald;
        h.record(update(&mut p, first_fid, &changed).unwrap());
        h.record(delete(&mut p, first_fid).unwrap());
        assert_eq!(uids(&p).len(), 1);

        // Undo the delete: same fid, same uid, still changed.
        let e = h.begin_undo().unwrap();
        e.run(&mut p, Step::Undo).unwrap();
        h.finish(e, Step::Undo);
        assert_eq!(uids(&p), all);
        let back = p.incident(first_fid).unwrap().unwrap();
        assert_eq!(back.category, Category::Vald);
        // Undo the update: the category is back.
        let e = h.begin_undo().unwrap();
        e.run(&mut p, Step::Undo).unwrap();
        h.finish(e, Step::Undo);
        let Edit::Add { incident: original } = &first else {
            unreachable!()
        };
        assert_eq!(p.incident(first_fid).unwrap().as_ref(), Some(original));
        // Undo both adds: empty.
        for _ in 0..2 {
            let e = h.begin_undo().unwrap();
            e.run(&mut p, Step::Undo).unwrap();
            h.finish(e, Step::Undo);
        }
        assert!(uids(&p).is_empty());
        assert!(!h.can_undo());
        // Redo everything: the same incidents, with the same fids, deleted again at the end.
        while let Some(e) = h.begin_redo() {
            e.run(&mut p, Step::Redo).unwrap();
            h.finish(e, Step::Redo);
        }
        assert_eq!(uids(&p).len(), 1);
        assert_eq!(p.incident(first_fid).unwrap(), None);
        assert_eq!(h.undo_len(), 4);
    }

    #[test]
    fn undo_of_a_vanished_incident_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("v.gpkg"), "v").unwrap();
        let e = add(&mut p, &observation(14.5)).unwrap();
        p.delete_incident(e.fid()).unwrap();
        let err = e.run(&mut p, Step::Undo).unwrap_err();
        assert!(matches!(err, StoreError::NoSuchIncident { .. }), "{err}");
    }
}
