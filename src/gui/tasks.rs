//! Background work for the app: one worker thread per task, progress shared
//! with the UI, results over a channel, the UI woken on completion. No SQL or
//! file I/O runs in `ui()`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use crate::analysis::{IncidentIndex, Stats};
use crate::import::{self, ImportOptions, ImportReport};
use crate::jobs::{CancelToken, Progress};
use crate::model::Filter;
use crate::model::shape::FeatureSet;
use crate::store::layers::LayerStyle;
use crate::store::{self, ProjectInfo, Store};

/// Progress of a task, written by the worker and read by the UI.
#[derive(Default)]
pub struct TaskProgress {
    stage: Mutex<(String, u64)>,
    done: AtomicU64,
}

impl TaskProgress {
    /// (stage name, done, total); total 0 when unknown.
    pub fn snapshot(&self) -> (String, u64, u64) {
        let (name, total) = self.stage.lock().map(|s| s.clone()).unwrap_or_default();
        (name, self.done.load(Ordering::Relaxed), total)
    }
}

impl Progress for TaskProgress {
    fn stage(&self, name: &str, total: u64) {
        if let Ok(mut s) = self.stage.lock() {
            *s = (name.to_owned(), total);
        }
        self.done.store(0, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// A running task whose result arrives once.
pub struct Task<T> {
    rx: Receiver<anyhow::Result<T>>,
    cancel: CancelToken,
    progress: Arc<TaskProgress>,
}

impl<T: Send + 'static> Task<T> {
    /// Runs `work` on a new thread; `ctx` is asked to repaint when it is done.
    pub fn spawn(
        ctx: &egui::Context,
        name: &str,
        work: impl FnOnce(&TaskProgress, &CancelToken) -> anyhow::Result<T> + Send + 'static,
    ) -> Task<T> {
        let (tx, rx) = mpsc::channel();
        let cancel = CancelToken::new();
        let progress = Arc::new(TaskProgress::default());
        let (token, prog) = (cancel.clone(), progress.clone());
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let result = work(&prog, &token);
                // The receiver may be gone (app closing): nothing to do then.
                let _ = tx.send(result);
                ctx.request_repaint();
            });
        if let Err(err) = spawned {
            let (tx, rx2) = mpsc::channel();
            let _ = tx.send(Err(anyhow::anyhow!(
                "could not start a worker thread: {err}"
            )));
            return Task {
                rx: rx2,
                cancel,
                progress,
            };
        }
        Task {
            rx,
            cancel,
            progress,
        }
    }

    /// The result, once it has arrived.
    pub fn try_take(&self) -> Option<anyhow::Result<T>> {
        match self.rx.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(anyhow::anyhow!(
                "the worker thread stopped unexpectedly"
            ))),
        }
    }

    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn progress(&self) -> &TaskProgress {
        &self.progress
    }
}

/// Where to open: a given project, or the demo project (written on first use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenTarget {
    Path(PathBuf),
    Demo,
    /// Create a new, empty project at the path, then open it.
    New(PathBuf),
}

/// A project loaded for the map: its summary and every incident in an R-tree.
pub struct LoadedProject {
    pub path: PathBuf,
    pub info: ProjectInfo,
    pub index: Arc<IncidentIndex>,
    /// The map layers kept in the project, bottom first.
    pub overlays: Vec<StoredLayer>,
    /// The store's change stamps read before the data (the live refresh's
    /// starting point); `None` when the store keeps none.
    pub stamps: Option<store::changes::ChangeStamps>,
}

/// Opens (or creates) the project and loads all its incidents into an index.
pub fn load_project(
    target: OpenTarget,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> anyhow::Result<LoadedProject> {
    let path = match target {
        OpenTarget::Path(p) => p,
        OpenTarget::Demo => crate::demo::ensure_default_project()?,
        OpenTarget::New(p) => {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Lägesbild".to_owned());
            store::create(&p, &name)?;
            p
        }
    };
    progress.stage("Läser projektet", 0);
    // A foreign GeoPackage with points is offered for import instead.
    let project = store::open(&path).map_err(|e| crate::gui::import_gpkg::open_error(&path, e))?;
    // Read first: a change made while the data are read shows as a change
    // after this load (one reload too many at worst, never one missed).
    let stamps = project.change_stamps().ok();
    let info = project.info()?;
    let points = project.incident_points(&Filter::default(), cancel)?;
    progress.stage("Bygger rumsligt index", 0);
    let index = Arc::new(IncidentIndex::build(points));
    let overlays = stored_layers(project.as_ref())?;
    Ok(LoadedProject {
        path,
        info,
        index,
        overlays,
        stamps,
    })
}

/// Which incidents pass the filter, and their counts.
pub struct FilterOutcome {
    /// Bumped on each filter change; an older outcome is dropped.
    pub generation: u64,
    /// One flag per incident in the index's order.
    pub visible: Arc<Vec<bool>>,
    pub stats: Stats,
    /// What the incident layer draws for this result.
    pub layer: Arc<crate::gui::map::incidents::IncidentLayerData>,
}

/// Applies the filter to every incident of the index (about 0.1 s per million).
pub fn apply_filter(
    index_arc: &Arc<IncidentIndex>,
    filter: &Filter,
    generation: u64,
    cancel: &CancelToken,
) -> anyhow::Result<FilterOutcome> {
    let index: &IncidentIndex = index_arc;
    let mut visible = Vec::with_capacity(index.len());
    let mut kept = Vec::new();
    for (i, p) in index.points().iter().enumerate() {
        if i % 65_536 == 0 {
            cancel.check()?;
        }
        let ok = filter.matches_parts(p.occurred_at, p.category, p.source);
        visible.push(ok);
        if ok {
            kept.push(*p);
        }
    }
    let layer = crate::gui::map::incidents::IncidentLayerData::build(
        Arc::clone(index_arc),
        &visible,
        cancel,
    )?;
    Ok(FilterOutcome {
        generation,
        visible: Arc::new(visible),
        stats: Stats::compute(&kept),
        layer: Arc::new(layer),
    })
}

/// Imports files into the project, each in its own transaction, each file's
/// rejected rows and conflicts written beside it as they are found
/// ([`import::import_file_rejects_beside`]).
pub fn import_files(
    project_path: &Path,
    files: &[PathBuf],
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> anyhow::Result<Vec<Result<ImportReport, String>>> {
    let mut project = store::open(project_path)?;
    let mut reports = Vec::new();
    for file in files {
        cancel.check()?;
        match import::import_file_rejects_beside(
            project.as_mut(),
            file,
            &ImportOptions::default(),
            progress,
            cancel,
        ) {
            Ok(r) => reports.push(Ok(r)),
            Err(import::ImportError::Cancelled(c)) => return Err(c.into()),
            Err(e) => reports.push(Err(e.to_string())),
        }
    }
    // A shared store keeps the analysis points for other processes: stored
    // again now, so the next reader's first analysis needs no reading of
    // every row. A failure only leaves that to the next writer: the log's.
    let imported: u64 = reports
        .iter()
        .flatten()
        .map(|r| r.imported + r.updated)
        .sum();
    if imported > 0 {
        progress.stage("Sparar analyspunkterna", 0);
        store::refresh_point_cache_after_write(project.as_ref(), cancel);
    }
    Ok(reports)
}

/// A map layer read from the project: its features and stored style.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLayer {
    pub features: FeatureSet,
    pub style: LayerStyle,
}

/// The project's map layers with their features, in drawing order (bottom
/// first).
fn stored_layers(store: &dyn Store) -> anyhow::Result<Vec<StoredLayer>> {
    let mut out = Vec::new();
    // A store without map layers (the shared database so far) opens with none.
    let infos = match store.layers() {
        Err(store::StoreError::Unsupported { .. }) => Vec::new(),
        other => other?,
    };
    for info in infos {
        if let Some(features) = store.layer_features(&info.name)? {
            out.push(StoredLayer {
                features,
                style: info.style,
            });
        }
    }
    Ok(out)
}

/// Reads `file` (GeoJSON or GeoPackage) and keeps its layers in the project
/// at `project` (replacing layers of the same names), in one transaction.
/// Returns the project's layers afterwards and the (first) added layer's name.
pub fn add_shape_layer(project: &Path, file: &Path) -> anyhow::Result<(Vec<StoredLayer>, String)> {
    let sets = crate::import::layer_file::read_layer_file(file, None)?;
    let name = sets.first().map(|s| s.name.clone()).unwrap_or_default();
    let source = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut store = store::open(project)?;
    store.add_layers(&sets, &source)?;
    Ok((stored_layers(store.as_ref())?, name))
}

/// Removes the map layer `name` from the project; returns the layers left.
pub fn remove_shape_layer(project: &Path, name: &str) -> anyhow::Result<Vec<StoredLayer>> {
    let mut store = store::open(project)?;
    store.remove_layer(name)?;
    stored_layers(store.as_ref())
}

/// Stores the styles of map layers (a layer removed meanwhile is skipped).
pub fn save_layer_styles(project: &Path, styles: &[(String, LayerStyle)]) -> anyhow::Result<()> {
    let mut store = store::open(project)?;
    for (name, style) in styles {
        store.set_layer_style(name, style)?;
    }
    Ok(())
}
