//! Copying a project from one store to another, through the [`Store`] trait
//! only, so it works between any two backends (a shared PostGIS database and
//! a GeoPackage file, or two files).
//!
//! [`pull`] writes an offline copy: a new GeoPackage with the incidents a
//! filter (and an optional area) selects, plus every map layer (with its
//! style), the patrol plan, the week plan's fixed cells, the saved views,
//! the measures, the police summaries and the earlier versions of the
//! police events pulled, and the project's name, demo flag, description,
//! study area and retention settings.
//! The hosts' tracks and check-ins are never pulled: they are personal data
//! of the hosts and stay in the source (the report says so). The copy is built under a temporary
//! name beside the output and renamed into place when complete, so the
//! result is all or nothing, as one transaction would be: an error or a
//! cancellation leaves no file behind (and an existing file untouched).
//!
//! [`push`] sends a project into another store. Incidents go through
//! [`Store::begin_import`] in one transaction, so the same duplicate and
//! conflict rules hold as for an import file. The patrol plan goes through
//! [`Store::merge_patrol_plan`], the rules of `plan import`: an item of the
//! same kind and name replaces the target's (under its id), an identical one
//! is skipped. Layers, views and measures are matched by name (title for
//! views): one the target holds in the same form is a duplicate and skipped;
//! one whose name is taken by a different item is a conflict and not sent
//! (the target's stays); new ones are sent, each kind in one transaction
//! where the trait has a batch call (layers per source file, views),
//! measures one by one. The week plan's fixed cells go as one item (sent
//! when the target has none, a conflict when it has others). The project's
//! settings ([`PUSHED_METADATA`]: study area, description, retention) are
//! set where the target has none and listed as conflicts where it has
//! others; the target keeps its own name. What the
//! target cannot take (a store without tracks, say) or a part that fails is
//! listed in [`CopyReport::not_copied`], and the rest still goes.
//!
//! Events of the Police's open API (source `polis`, a numeric event id:
//! [`police::is_api_event`]) travel both ways as a harvest stores them
//! ([`Store::upsert_police_events`]), with the police summaries: a new id is
//! added, a changed event replaces the target's version (which the target
//! keeps in its history), and a version the target has already replaced by
//! a newer one (it is in the target's history) is left alone, so an old
//! offline copy never turns back an edit harvested meanwhile. The earlier
//! versions (the history) go along too ([`Store::add_police_history`]),
//! each filed under the target's incident of its id; a version the target
//! holds already is a duplicate, so a round trip adds nothing.
//!
//! The export log is not copied: each store's log records what was exported
//! out of it, under the login that did it, and a copy does not write
//! records in another login's name.
//!
//! A pull cut by an area keeps that area as the copy's study area (the
//! analyses' metadata key), the one place the store reads the analysis' types.
//!
//! Incident free text (descriptions) goes along: a copy is a project, not an
//! export. Error texts and reports name items by name, uid or external id,
//! never by their text.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use super::layers::LayerStyle;
use super::{Location, PushOutcome, Store, StoreError, police};
use crate::analysis::StudyArea;
use crate::analysis::engine::{LEGACY_STUDY_AREA_FILE_KEY, LEGACY_STUDY_AREA_KEY, STUDY_AREA_KEY};
use crate::crs::sweref_from_wgs84;
use crate::jobs::{CancelToken, NoProgress, Progress};
use crate::model::measure::Measure;
use crate::model::plan::PlanRef;
use crate::model::shape::FeatureSet;
use crate::model::{Filter, Incident, time};

/// Metadata a pull copies as it is (the study area may be replaced by the
/// pull's own area).
pub const COPIED_METADATA: [&str; 8] = [
    "name",
    "synthetic",
    "description",
    STUDY_AREA_KEY,
    LEGACY_STUDY_AREA_KEY,
    LEGACY_STUDY_AREA_FILE_KEY,
    crate::retention::INCIDENTS_KEY,
    crate::retention::TRACKS_KEY,
];

/// Metadata a push sends: the project's settings, each set in the target
/// when it has none and listed as a conflict (the target's kept) when it
/// has another. The name stays the target's own; the demo flag follows
/// its own rule (`check_demo_mix`).
pub const PUSHED_METADATA: [&str; 6] = [
    "description",
    STUDY_AREA_KEY,
    LEGACY_STUDY_AREA_KEY,
    LEGACY_STUDY_AREA_FILE_KEY,
    crate::retention::INCIDENTS_KEY,
    crate::retention::TRACKS_KEY,
];

/// Metadata key of a pulled copy: where it was pulled from (no password).
pub const PULLED_FROM_KEY: &str = "pulled_from";
/// Metadata key of a pulled copy: when (UTC, GeoPackage DATETIME).
pub const PULLED_AT_KEY: &str = "pulled_at";
/// Metadata key of a pulled copy: the filter it was pulled with (JSON).
pub const PULLED_FILTER_KEY: &str = "pulled_filter";

/// What a pull selects.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    /// Incidents passing this filter (dates, categories, sources, hours,
    /// weekdays). Tracks and check-ins are never pulled.
    pub filter: Filter,
    /// Only incidents inside this area; it becomes the copy's study area.
    pub area: Option<StudyArea>,
}

/// An incident the target holds under the same id with a different time or
/// place (or whose uid another incident has): not sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentConflict {
    pub uid: String,
    pub external_id: Option<String>,
    /// The target's incident.
    pub target_fid: i64,
    pub reason: String,
}

/// How one kind of item (layers, views, …) went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PartReport {
    /// Written to the target.
    pub sent: usize,
    /// Held by the target in the same form already; skipped.
    pub duplicates: usize,
    /// Patrol plan items the target held in another form under the same
    /// kind and name, replaced there (the plan import's merge rules).
    pub replaced: usize,
    /// Not sent: the name is taken in the target by a different item. One
    /// line each: the name and why.
    pub conflicts: Vec<String>,
}

impl PartReport {
    fn conflict(&mut self, line: String) {
        self.conflicts.push(line);
    }
}

/// What a pull or push did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CopyReport {
    /// Incidents read from the source (after the filter).
    pub incidents_read: u64,
    /// Of those, left out because they lie outside the pull's area.
    pub outside_area: u64,
    /// Incidents stored in the target.
    pub inserted: u64,
    /// Incidents the target holds already (the import rules' duplicates).
    pub duplicates: u64,
    pub conflicts: Vec<IncidentConflict>,
    pub layers: PartReport,
    pub plan_areas: PartReport,
    pub plan_routes: PartReport,
    pub views: PartReport,
    pub measures: PartReport,
    pub tracks: PartReport,
    pub checkins: PartReport,
    /// Police events the target held in an earlier version: updated in
    /// place (the target keeps the earlier one in its history). New ones
    /// count as `inserted`, unchanged ones as `duplicates`.
    pub police_updated: u64,
    /// Police events in a version the target has already replaced by a
    /// newer one: left alone.
    pub police_older: u64,
    /// Police summaries and notices.
    pub police_summaries: PartReport,
    /// Earlier versions of edited police events (the history).
    pub police_history: PartReport,
    /// The project's settings (study area, description, retention).
    pub metadata: PartReport,
    /// The week plan's fixed cells (all of them as one item).
    pub week_plan: PartReport,
    /// What could not be copied at all, one line each (what, how many, why).
    pub not_copied: Vec<String>,
    /// Other things worth saying (e.g. a target marked as demo data).
    pub notes: Vec<String>,
}

impl CopyReport {
    /// True when everything selected reached the target (or was there):
    /// no conflicts and nothing left out.
    pub fn is_complete(&self) -> bool {
        self.conflicts.is_empty()
            && self.not_copied.is_empty()
            && [
                &self.layers,
                &self.plan_areas,
                &self.plan_routes,
                &self.views,
                &self.measures,
                &self.tracks,
                &self.checkins,
                &self.metadata,
                &self.week_plan,
            ]
            .iter()
            .all(|p| p.conflicts.is_empty())
    }
}

/// Writes a new GeoPackage project at `out` with what `request` selects from
/// `source` (see the module docs). `source_label` names the source in the
/// copy's metadata and import log (give [`Location::display`], never a
/// password). An existing `out` is refused unless `overwrite`; then it is
/// replaced only once the copy is complete.
pub fn pull(
    source: &dyn Store,
    source_label: &str,
    out: &Path,
    request: &PullRequest,
    overwrite: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CopyReport, StoreError> {
    if !overwrite && fs::symlink_metadata(out).is_ok() {
        return Err(StoreError::AlreadyExists {
            path: out.to_owned(),
        });
    }
    if fs::metadata(out).is_ok_and(|m| m.is_dir()) {
        return Err(StoreError::NotAProject {
            path: out.to_owned(),
            reason: "is a folder; give the GeoPackage file to write".to_owned(),
        });
    }
    let tmp = temporary_beside(out)?;
    let _ = fs::remove_file(&tmp);
    let result = fill_new(source, source_label, &tmp, request, progress, cancel)
        .and_then(|report| move_into_place(&tmp, out, overwrite).map(|()| report));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        let _ = fs::remove_file(journal_of(&tmp));
    }
    result
}

fn temporary_beside(out: &Path) -> Result<PathBuf, StoreError> {
    let Some(file_name) = out.file_name() else {
        return Err(StoreError::NotAProject {
            path: out.to_owned(),
            reason: "not a file path".to_owned(),
        });
    };
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok(dir.join(format!(
        ".{}.pull-{}",
        file_name.to_string_lossy(),
        std::process::id()
    )))
}

fn journal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-journal");
    PathBuf::from(name)
}

/// Moves the finished copy to `out`: with `overwrite` over what is there
/// (one rename), else never over a file that appeared meanwhile.
fn move_into_place(tmp: &Path, out: &Path, overwrite: bool) -> Result<(), StoreError> {
    if overwrite {
        return fs::rename(tmp, out).map_err(|source| StoreError::Io {
            path: out.to_owned(),
            source,
        });
    }
    super::gpkg::move_into_place(tmp, out)
}

fn fill_new(
    source: &dyn Store,
    source_label: &str,
    tmp: &Path,
    request: &PullRequest,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CopyReport, StoreError> {
    let name = source
        .metadata("name")?
        .unwrap_or_else(|| source_label.to_owned());
    let mut target = super::create(Location::File(tmp.to_owned()), &name)?;
    let target = target.as_mut();
    for key in COPIED_METADATA {
        if let Some(value) = source.metadata(key)? {
            target.set_metadata(key, &value)?;
        }
    }
    if let Some(area) = &request.area {
        target.set_metadata(STUDY_AREA_KEY, &area.to_stored_json())?;
    }
    let mut report = CopyReport::default();
    progress.stage("Läser händelser", 0);
    let mut incidents = source.incidents(&request.filter, cancel)?;
    report.incidents_read = incidents.len() as u64;
    if let Some(area) = &request.area {
        incidents.retain(|i| {
            let p = sweref_from_wgs84(i.position);
            area.contains([p.easting, p.northing])
        });
        report.outside_area = report.incidents_read - incidents.len() as u64;
    }
    let log_name = format!("db pull från {source_label}");
    let (events, incidents): (Vec<Incident>, Vec<Incident>) =
        incidents.into_iter().partition(police::is_api_event);
    send_incidents(&incidents, target, &log_name, &mut report, progress, cancel)?;
    drop(incidents);
    let within = Some(&request.filter);
    send_police(
        source,
        &events,
        within,
        target,
        &log_name,
        &mut report,
        cancel,
    )?;
    drop(events);
    copy_layers(source, target, Fresh::Yes, &mut report)?;
    copy_plan(source, target, &mut report)?;
    copy_views(source, target, &mut report)?;
    copy_measures(source, target, &mut report, cancel)?;
    copy_week_plan(source, target, &mut report)?;
    report.notes.push(
        "the hosts' tracks and check-ins are not copied into offline copies: they are \
         personal data and stay in the shared store"
            .to_owned(),
    );
    target.set_metadata(PULLED_FROM_KEY, source_label)?;
    target.set_metadata(PULLED_AT_KEY, &time::gpkg_datetime(Utc::now()))?;
    if !request.filter.is_empty() {
        let text = serde_json::to_string(&request.filter).map_err(|e| StoreError::Backend {
            location: tmp.display().to_string(),
            source: Box::new(e),
        })?;
        target.set_metadata(PULLED_FILTER_KEY, &text)?;
    }
    Ok(report)
}

/// Sends every incident of `source` into `target` (see the module docs).
/// `source_label` is the name the target's import log records (the file
/// name); incidents keep their own uid and import file. A failure of the
/// incidents stops the push with nothing of them stored; a failure of any
/// later part is listed in the report and the push goes on.
pub fn push(
    source: &dyn Store,
    source_label: &str,
    target: &mut dyn Store,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<CopyReport, StoreError> {
    let mut report = CopyReport::default();
    check_demo_mix(source, target, &mut report)?;
    progress.stage("Läser händelser", 0);
    let incidents = source.incidents(&Filter::default(), cancel)?;
    report.incidents_read = incidents.len() as u64;
    let (events, incidents): (Vec<Incident>, Vec<Incident>) =
        incidents.into_iter().partition(police::is_api_event);
    send_incidents(
        &incidents,
        target,
        source_label,
        &mut report,
        progress,
        cancel,
    )?;
    drop(incidents);
    send_police(
        source,
        &events,
        None,
        target,
        source_label,
        &mut report,
        cancel,
    )?;
    drop(events);
    let parts: [(&str, PartFn); 7] = [
        ("project settings", |s, t, r, _| push_metadata(s, t, r)),
        ("map layers", |s, t, r, _| copy_layers(s, t, Fresh::No, r)),
        ("patrol plan", |s, t, r, _| copy_plan(s, t, r)),
        ("week plan", |s, t, r, _| copy_week_plan(s, t, r)),
        ("saved views", |s, t, r, _| copy_views(s, t, r)),
        ("measures", copy_measures),
        ("tracks and check-ins", |s, t, r, _| {
            copy_tracks(s, t, &Filter::default(), r)
        }),
    ];
    for (what, part) in parts {
        cancel.check()?;
        if let Err(e) = part(source, target, &mut report, cancel) {
            if matches!(e, StoreError::Cancelled(_)) {
                return Err(e);
            }
            report.not_copied.push(format!("{what}: {e}"));
        }
    }
    Ok(report)
}

/// One part of a push after the incidents.
type PartFn =
    fn(&dyn Store, &mut dyn Store, &mut CopyReport, &CancelToken) -> Result<(), StoreError>;

/// Demo data never mixes into real data unnoticed: a demo project goes only
/// into a demo store or an empty one (which is then marked as demo data).
fn check_demo_mix(
    source: &dyn Store,
    target: &mut dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let is_demo = |s: &dyn Store| -> Result<bool, StoreError> {
        Ok(s.metadata("synthetic")?.is_some_and(|v| v.trim() == "true"))
    };
    if !is_demo(source)? || is_demo(target)? {
        return Ok(());
    }
    let info = target.info()?;
    if info.incident_count > 0 {
        return Err(StoreError::UnsupportedLocation {
            location: info.location,
            reason: "the project to send holds generated demo data and this store holds real \
                     incidents; refusing to mix them",
        });
    }
    target.set_metadata("synthetic", "true")?;
    report
        .notes
        .push("the target held no incidents and is now marked as demo data".to_owned());
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fresh {
    /// The target is the new, empty copy: styles are copied as they are.
    Yes,
    /// The target has its own layers: new ones go on top.
    No,
}

/// `Ok(None)` (with a line in the report) when the source cannot give this
/// kind of item; any other error as it is.
fn read_part<T>(
    result: Result<T, StoreError>,
    what: &str,
    report: &mut CopyReport,
) -> Result<Option<T>, StoreError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::Unsupported { .. }) => {
            report
                .not_copied
                .push(format!("{what}: the source store does not keep them"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The target's items of a kind; an empty list when it cannot keep them
/// (the write then says so).
fn target_part<T>(result: Result<Vec<T>, StoreError>) -> Result<Vec<T>, StoreError> {
    match result {
        Ok(v) => Ok(v),
        Err(StoreError::Unsupported { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// A write's "not supported" as a line in the report; other errors as they are.
fn write_part(
    result: Result<(), StoreError>,
    what: &str,
    count: usize,
    report: &mut CopyReport,
) -> Result<bool, StoreError> {
    match result {
        Ok(()) => Ok(true),
        Err(StoreError::Unsupported { .. }) => {
            report.not_copied.push(format!(
                "{what} ({count}): the target store cannot keep them"
            ));
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn send_incidents(
    incidents: &[Incident],
    target: &mut dyn Store,
    log_name: &str,
    report: &mut CopyReport,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(), StoreError> {
    let mut session = target.begin_import(log_name)?;
    progress.stage("Skriver händelser", incidents.len() as u64);
    for (i, incident) in incidents.iter().enumerate() {
        if i % 4096 == 0 {
            cancel.check()?;
        }
        match session.push(incident)? {
            PushOutcome::Inserted => report.inserted += 1,
            PushOutcome::Duplicate { .. } => report.duplicates += 1,
            PushOutcome::Conflict { fid, reason } => report.conflicts.push(IncidentConflict {
                uid: incident.uid.clone(),
                external_id: incident.external_id.clone(),
                target_fid: fid,
                reason,
            }),
        }
        progress.advance(1);
    }
    session.commit(progress, cancel)
}

/// How an item of the source stands against the target's items of its name.
enum Match {
    New,
    Duplicate,
    Conflict,
}

fn match_by_name<T>(
    item: &T,
    name: &str,
    existing: &[(&str, T)],
    same: fn(&T, &T) -> bool,
) -> Match {
    let mut named = existing.iter().filter(|(n, _)| *n == name).peekable();
    if named.peek().is_none() {
        return Match::New;
    }
    if named.any(|(_, other)| same(item, other)) {
        Match::Duplicate
    } else {
        Match::Conflict
    }
}

fn copy_layers(
    source: &dyn Store,
    target: &mut dyn Store,
    fresh: Fresh,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let Some(layers) = read_part(source.layers(), "map layers", report)? else {
        return Ok(());
    };
    let held = target_part(target.layers())?;
    let mut top = held.iter().map(|l| l.style.order).max().unwrap_or(-1);
    // Layers to send, grouped by the file they came from (one transaction each).
    let mut by_source: BTreeMap<String, Vec<(FeatureSet, LayerStyle)>> = BTreeMap::new();
    for layer in &layers {
        let Some(set) = source.layer_features(&layer.name)? else {
            continue;
        };
        if held.iter().any(|h| h.name == layer.name) {
            match target.layer_features(&layer.name)? {
                Some(theirs) if theirs.features == set.features => report.layers.duplicates += 1,
                _ => report.layers.conflict(format!(
                    "{:?}: the target has a different layer of that name",
                    layer.name
                )),
            }
            continue;
        }
        let mut style = layer.style;
        if fresh == Fresh::No {
            top += 1;
            style.order = top;
        }
        by_source
            .entry(layer.source.clone())
            .or_default()
            .push((set, style));
    }
    for (file, group) in by_source {
        let sets: Vec<FeatureSet> = group.iter().map(|(s, _)| s.clone()).collect();
        let count = sets.len();
        if !write_part(target.add_layers(&sets, &file), "map layers", count, report)? {
            return Ok(());
        }
        report.layers.sent += count;
        for (set, style) in &group {
            target.set_layer_style(&set.name, style)?;
        }
    }
    Ok(())
}

/// The plan goes in as `plan import` takes a file (the same merge rules,
/// [`Store::merge_patrol_plan`], in one transaction): an item the target
/// holds in the same form is a duplicate, one whose kind and name the
/// target has in another form replaces it under the target's id, the rest
/// are added.
fn copy_plan(
    source: &dyn Store,
    target: &mut dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let Some(plan) = read_part(source.patrol_plan(), "patrol plan", report)? else {
        return Ok(());
    };
    if plan.areas.is_empty() && plan.routes.is_empty() {
        return Ok(());
    }
    let count = plan.areas.len() + plan.routes.len();
    let merge = match target.merge_patrol_plan(&plan) {
        Ok(merge) => merge,
        Err(e) => {
            write_part(Err(e), "patrol plan items", count, report)?;
            return Ok(());
        }
    };
    for (item, _) in &merge.added {
        part_of(report, item).sent += 1;
    }
    for (item, _) in &merge.replaced {
        part_of(report, item).replaced += 1;
    }
    for (item, _) in &merge.unchanged {
        part_of(report, item).duplicates += 1;
    }
    Ok(())
}

fn part_of<'r>(report: &'r mut CopyReport, item: &PlanRef) -> &'r mut PartReport {
    match item {
        PlanRef::Area(_) => &mut report.plan_areas,
        PlanRef::Route(_) => &mut report.plan_routes,
    }
}

fn copy_views(
    source: &dyn Store,
    target: &mut dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let Some(views) = read_part(source.views(), "saved views", report)? else {
        return Ok(());
    };
    let held = target_part(target.views())?;
    let held: Vec<(&str, crate::model::view::SavedView)> =
        held.iter().map(|v| (v.title.as_str(), v.clone())).collect();
    let mut new = Vec::new();
    for view in views {
        match match_by_name(&view, &view.title, &held, |a, b| a == b) {
            Match::New => new.push(view),
            Match::Duplicate => report.views.duplicates += 1,
            Match::Conflict => report.views.conflict(format!(
                "view {:?}: the target has a different view of that title",
                view.title
            )),
        }
    }
    if new.is_empty() {
        return Ok(());
    }
    if write_part(target.put_views(&new), "saved views", new.len(), report)? {
        report.views.sent += new.len();
    }
    Ok(())
}

/// The project's settings ([`PUSHED_METADATA`]) into a store that has its
/// own: set where the target has none, a conflict where it has another.
fn push_metadata(
    source: &dyn Store,
    target: &mut dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    for key in PUSHED_METADATA {
        let Some(value) = source.metadata(key)?.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match target.metadata(key)?.filter(|v| !v.trim().is_empty()) {
            None => {
                target.set_metadata(key, &value)?;
                report.metadata.sent += 1;
            }
            Some(theirs) if theirs == value => report.metadata.duplicates += 1,
            Some(_) => report.metadata.conflict(format!(
                "project setting {key:?}: the target has another; it keeps its own"
            )),
        }
    }
    Ok(())
}

/// The week plan's fixed cells, as one item: sent when the target has
/// none, a duplicate when it has the same, a conflict when it has others
/// (the target's kept).
fn copy_week_plan(
    source: &dyn Store,
    target: &mut dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let Some(cells) = read_part(source.week_fixed(), "week plan", report)? else {
        return Ok(());
    };
    if cells.is_empty() {
        return Ok(());
    }
    let held = target_part(target.week_fixed())?;
    if held == cells {
        report.week_plan.duplicates += 1;
    } else if !held.is_empty() {
        report.week_plan.conflict(
            "the week plan's fixed cells: the target has other cells; it keeps its own".to_owned(),
        );
    } else if write_part(
        target.save_week_fixed(&cells),
        "week plan cells",
        cells.len(),
        report,
    )? {
        report.week_plan.sent += 1;
    }
    Ok(())
}

fn measure_without_fid(m: &Measure) -> Measure {
    Measure {
        fid: None,
        ..m.clone()
    }
}

fn copy_measures(
    source: &dyn Store,
    target: &mut dyn Store,
    report: &mut CopyReport,
    cancel: &CancelToken,
) -> Result<(), StoreError> {
    let Some(measures) = read_part(source.measures(), "measures", report)? else {
        return Ok(());
    };
    let held = target_part(target.measures())?;
    let held: Vec<(&str, Measure)> = held
        .iter()
        .map(|m| (m.name.as_str(), measure_without_fid(m)))
        .collect();
    for measure in measures.iter().map(measure_without_fid) {
        cancel.check()?;
        match match_by_name(&measure, &measure.name, &held, |a, b| a == b) {
            Match::New => {
                let sent = target.add_measure(&measure).map(|_| ());
                if !write_part(sent, "measures", measures.len(), report)? {
                    return Ok(());
                }
                report.measures.sent += 1;
            }
            Match::Duplicate => report.measures.duplicates += 1,
            Match::Conflict => report.measures.conflict(format!(
                "measure {:?}: the target has a different measure of that name",
                measure.name
            )),
        }
    }
    Ok(())
}

/// Tracks and check-ins within the filter's dates. The target's own rules
/// skip the ones it has (by host and file, by host, place and time).
fn copy_tracks(
    source: &dyn Store,
    target: &mut dyn Store,
    filter: &Filter,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    if let Some(tracks) = read_part(source.tracks(filter.from, filter.to), "tracks", report)?
        && !tracks.is_empty()
    {
        let added = target.add_tracks(&tracks);
        count_added(added, "tracks", tracks.len(), |r| &mut r.tracks, report)?;
    }
    if let Some(checkins) = read_part(source.checkins(filter.from, filter.to), "check-ins", report)?
        && !checkins.is_empty()
    {
        let added = target.add_checkins(&checkins);
        count_added(
            added,
            "check-ins",
            checkins.len(),
            |r| &mut r.checkins,
            report,
        )?;
    }
    Ok(())
}

/// Files what an `add_*` call that counts (stored, skipped) did with
/// `count` items.
fn count_added(
    added: Result<(usize, usize), StoreError>,
    what: &str,
    count: usize,
    part: fn(&mut CopyReport) -> &mut PartReport,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    match added {
        Ok((stored, skipped)) => {
            let part = part(report);
            part.sent += stored;
            part.duplicates += skipped;
            Ok(())
        }
        Err(e) => write_part(Err(e), what, count, report).map(|_| ()),
    }
}

/// Sends the Police's events and summaries by id (see the module docs),
/// in one transaction of the target. A pull's `filter` selects the
/// summaries by their publication date and the source `polis`. A target
/// that keeps no police events takes the events as an import; a source
/// that keeps no summaries sends none.
fn send_police(
    source: &dyn Store,
    events: &[Incident],
    filter: Option<&Filter>,
    target: &mut dyn Store,
    log_name: &str,
    report: &mut CopyReport,
    cancel: &CancelToken,
) -> Result<(), StoreError> {
    let mut summaries = match source.police_summaries() {
        Ok(s) => s,
        Err(StoreError::Unsupported { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    if let Some(f) = filter {
        let (from, to) = f.utc_bounds();
        let polis = f
            .sources
            .as_ref()
            .is_none_or(|s| s.contains(&crate::model::Source::Polis));
        summaries.retain(|s| {
            polis
                && from.is_none_or(|t| s.published_at >= t)
                && to.is_none_or(|t| s.published_at < t)
        });
    }
    if events.is_empty() && summaries.is_empty() {
        return Ok(());
    }
    let mut fresh = Vec::with_capacity(events.len());
    let mut history = Vec::new();
    let ids = events
        .iter()
        .filter_map(|e| e.external_id.as_deref())
        .chain(summaries.iter().map(|s| s.external_id.as_str()));
    for id in ids {
        match source.police_history(id) {
            Ok(versions) => history.extend(versions),
            Err(StoreError::Unsupported { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    for (n, event) in events.iter().enumerate() {
        if n % 256 == 0 {
            cancel.check()?;
        }
        let id = event.external_id.as_deref().unwrap_or_default();
        let replaced = match target.police_history(id) {
            Ok(h) => h
                .iter()
                .any(|v| !police::version_differs(&v.incident, event)),
            Err(StoreError::Unsupported { .. }) => false,
            Err(e) => return Err(e),
        };
        if replaced {
            report.police_older += 1;
        } else {
            fresh.push(event.clone());
        }
    }
    let done = match target.upsert_police_events(log_name, &fresh, &summaries, cancel) {
        Err(StoreError::Unsupported { .. }) => {
            return send_incidents(&fresh, target, log_name, report, &NoProgress, cancel);
        }
        other => other?,
    };
    report.inserted += done.inserted;
    report.duplicates += done.unchanged;
    report.police_updated += done.updated;
    let summaries_sent = (done.summaries_new + done.summaries_updated) as usize;
    report.police_summaries.sent += summaries_sent;
    report.police_summaries.duplicates += summaries.len().saturating_sub(summaries_sent);
    if done.moved_to_summaries > 0 {
        report.notes.push(format!(
            "{} incident(s) the target held under the id of a police summary were taken out \
             of its incidents (kept in its history)",
            done.moved_to_summaries
        ));
    }
    send_police_history(&history, target, report)
}

/// The earlier versions of the events sent (after the events, so that
/// each is filed under the target's incident of its id): the ones the
/// target holds already are duplicates.
fn send_police_history(
    history: &[police::PoliceVersion],
    target: &mut dyn Store,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    if history.is_empty() {
        return Ok(());
    }
    match target.add_police_history(history) {
        Ok(added) => {
            report.police_history.sent += added;
            report.police_history.duplicates += history.len() - added;
            Ok(())
        }
        Err(e) => write_part(Err(e), "police event history", history.len(), report).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::NoProgress;
    use crate::model::{Category, LonLat, Source};
    use crate::store::{BoxedStore, ImportSession, IncidentPoint, ProjectInfo};

    /// A store that keeps incidents and metadata only (the trait's other
    /// calls refuse, as their default bodies do), over a GeoPackage.
    struct IncidentsOnly(BoxedStore);

    impl Store for IncidentsOnly {
        fn info(&self) -> Result<ProjectInfo, StoreError> {
            self.0.info()
        }
        fn incidents(&self, f: &Filter, c: &CancelToken) -> Result<Vec<Incident>, StoreError> {
            self.0.incidents(f, c)
        }
        fn incident_points(
            &self,
            f: &Filter,
            c: &CancelToken,
        ) -> Result<Vec<IncidentPoint>, StoreError> {
            self.0.incident_points(f, c)
        }
        fn incident(&self, fid: i64) -> Result<Option<Incident>, StoreError> {
            self.0.incident(fid)
        }
        fn begin_import<'a>(
            &'a mut self,
            file_name: &str,
        ) -> Result<Box<dyn ImportSession + 'a>, StoreError> {
            self.0.begin_import(file_name)
        }
        fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.0.metadata(key)
        }
        fn set_metadata(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
            self.0.set_metadata(key, value)
        }
    }

    fn project_with_a_layer(path: &Path) -> BoxedStore {
        let mut p = crate::store::create(path, "P").unwrap();
        let at = chrono::Utc::now();
        let inc = Incident::new(
            at,
            Category::Stold,
            Source::Polis,
            LonLat::new(14.58, 56.05),
            10.0,
        );
        p.add_incident(&inc).unwrap();
        let set = FeatureSet {
            name: "gräns".into(),
            features: vec![crate::model::shape::Feature {
                geometry: geo::Geometry::Point(geo::Point::new(14.58, 56.05)),
                properties: serde_json::Map::new(),
            }],
        };
        p.add_layers(&[set], "gräns.geojson").unwrap();
        p
    }

    #[test]
    fn a_push_says_what_the_target_cannot_keep_and_sends_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let source = project_with_a_layer(&dir.path().join("a.gpkg"));
        let target = crate::store::create(dir.path().join("b.gpkg"), "B").unwrap();
        let mut target = IncidentsOnly(target);
        let report = push(
            source.as_ref(),
            "a.gpkg",
            &mut target,
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!(report.inserted, 1);
        assert_eq!(report.layers.sent, 0);
        assert!(!report.is_complete());
        assert_eq!(
            report.not_copied,
            ["map layers (1): the target store cannot keep them"],
            "{report:?}"
        );
    }

    #[test]
    fn a_pull_says_what_the_source_does_not_keep() {
        let dir = tempfile::tempdir().unwrap();
        let source = project_with_a_layer(&dir.path().join("a.gpkg"));
        let source = IncidentsOnly(source);
        let out = dir.path().join("copy.gpkg");
        let report = pull(
            &source,
            "a.gpkg",
            &out,
            &PullRequest::default(),
            false,
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        assert_eq!(report.inserted, 1);
        for what in ["map layers", "patrol plan", "saved views", "measures"] {
            assert!(
                report
                    .not_copied
                    .contains(&format!("{what}: the source store does not keep them")),
                "{what}: {:?}",
                report.not_copied
            );
        }
        // The hosts' tracks are never pulled, whatever the source keeps.
        assert!(!report.not_copied.iter().any(|l| l.contains("tracks")));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("tracks and check-ins are not copied"))
        );
        let copy = crate::store::open(&out).unwrap();
        assert_eq!(copy.info().unwrap().incident_count, 1);
        assert!(copy.layers().unwrap().is_empty());
    }
}
