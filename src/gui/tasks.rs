//! Background work for the app: one worker thread per task, results over a
//! channel, the UI woken on completion. No SQL or file I/O runs in `ui()`.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};

use crate::analysis::Stats;
use crate::jobs::CancelToken;
use crate::model::Filter;
use crate::store::{Project, ProjectInfo, Store as _};

/// What the summary window shows.
#[derive(Debug, Clone)]
pub struct ProjectSummary {
    pub path: PathBuf,
    pub info: ProjectInfo,
    pub stats: Stats,
}

/// A running task whose result arrives once.
pub struct Task<T> {
    rx: Receiver<anyhow::Result<T>>,
    cancel: CancelToken,
}

impl<T: Send + 'static> Task<T> {
    /// Runs `work` on a new thread; `ctx` is asked to repaint when it is done.
    pub fn spawn(
        ctx: &egui::Context,
        name: &str,
        work: impl FnOnce(&CancelToken) -> anyhow::Result<T> + Send + 'static,
    ) -> Task<T> {
        let (tx, rx) = mpsc::channel();
        let cancel = CancelToken::new();
        let token = cancel.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let result = work(&token);
                // The receiver may be gone (app closing): nothing to do then.
                let _ = tx.send(result);
                ctx.request_repaint();
            });
        if let Err(err) = spawned {
            let (tx, rx2) = mpsc::channel();
            let _ = tx.send(Err(anyhow::anyhow!(
                "could not start a worker thread: {err}"
            )));
            return Task { rx: rx2, cancel };
        }
        Task { rx, cancel }
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
}

/// Where to open: a given project, or the demo project (written on first use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenTarget {
    Path(PathBuf),
    Demo,
}

/// Opens the project and computes its summary.
pub fn load_summary(target: OpenTarget, cancel: &CancelToken) -> anyhow::Result<ProjectSummary> {
    let path = match target {
        OpenTarget::Path(p) => p,
        OpenTarget::Demo => crate::demo::ensure_default_project()?,
    };
    let project = Project::open(&path)?;
    let info = project.info()?;
    let points = project.incident_points(&Filter::default(), cancel)?;
    let stats = Stats::compute(&points);
    Ok(ProjectSummary { path, info, stats })
}
