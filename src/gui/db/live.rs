//! Live refresh: the app sees other users' changes without a restart.
//!
//! A watcher thread keeps its own connection to the open project and reads
//! [`crate::store::Store::change_stamp`] every [`POLL_EVERY`] (never per
//! frame, never on the UI thread: on a database it is a round trip). When
//! the stamp moves it compares the store's counts (incidents by category
//! and source, their time range, the layers' feature counts) with what the
//! app last loaded, which the app tells it after every load; only a
//! difference wakes the UI. So a write that changes nothing shown (the
//! GeoPackage rebuilding its analysis cache) and the app's own imports and
//! edits (after which it reloads by itself) cause no reload. The app then
//! reloads incidents, layers and the plan as soon as none of its own work
//! is running, keeps the map where it is, and says "N nya händelser från
//! andra användare" for [`NOTICE_S`] seconds. A store that cannot tell
//! (stamp `None`) is not watched. A change the counts do not show (an
//! incident moved or recategorised within the same counts, a plan edited by
//! someone else) is picked up at the next change they do show, or the next
//! open.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::text::new_from_others;
use crate::gui::i18n::Language;
use crate::gui::tasks::LoadedProject;
use crate::model::{Category, Source};
use crate::store::Store;

/// How often the watcher reads the change stamp.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// How long the notice stays, in seconds.
pub const NOTICE_S: f64 = 8.0;

/// What the app shows of a project, to tell a change that matters from one
/// that does not (the GeoPackage's analysis cache being rebuilt) and from the
/// app's own (after which it has reloaded): counts of incidents by
/// category and source, their time range, and the map layers' names and
/// feature counts.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    incidents: u64,
    time_range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    by_category: Vec<(Category, u64)>,
    by_source: Vec<(Source, u64)>,
    layers: Vec<(String, u64)>,
}

impl Snapshot {
    fn of_loaded(loaded: &LoadedProject) -> Snapshot {
        let info = &loaded.info;
        Snapshot {
            incidents: info.incident_count,
            time_range: info.time_range,
            by_category: info.by_category.clone(),
            by_source: info.by_source.clone(),
            layers: loaded
                .overlays
                .iter()
                .map(|l| (l.features.name.clone(), l.features.features.len() as u64))
                .collect(),
        }
    }

    fn of_store(store: &dyn Store) -> Option<Snapshot> {
        let info = store.info().ok()?;
        let layers = match store.layers() {
            Ok(layers) => layers
                .into_iter()
                .map(|l| (l.name, l.feature_count))
                .collect(),
            Err(_) => Vec::new(),
        };
        Some(Snapshot {
            incidents: info.incident_count,
            time_range: info.time_range,
            by_category: info.by_category,
            by_source: info.by_source,
            layers,
        })
    }
}

/// The watcher of one project.
struct Watch {
    location: PathBuf,
    /// The generation of the snapshot the store no longer matches.
    changed: Receiver<u64>,
    /// What the app has loaded, with its generation. Dropping it stops
    /// the thread at its next wait.
    loaded: Sender<(u64, Snapshot)>,
}

impl Watch {
    fn start(ctx: &egui::Context, location: &Path, every: Duration) -> Option<Watch> {
        let (changed_tx, changed) = mpsc::channel();
        let (loaded, loaded_rx) = mpsc::channel();
        let ctx = ctx.clone();
        let path = location.to_owned();
        std::thread::Builder::new()
            .name("change-stamp".to_owned())
            .spawn(move || watch_loop(&ctx, &path, every, &changed_tx, &loaded_rx))
            .ok()?;
        Some(Watch {
            location: location.to_owned(),
            changed,
            loaded,
        })
    }
}

fn watch_loop(
    ctx: &egui::Context,
    location: &Path,
    every: Duration,
    changed: &Sender<u64>,
    loaded: &Receiver<(u64, Snapshot)>,
) {
    // An open that fails is the app's own load's to report.
    let Ok(store) = crate::store::open(location) else {
        return;
    };
    let Ok(Some(mut last)) = store.change_stamp() else {
        return;
    };
    let mut shown: Option<(u64, Snapshot)> = None;
    loop {
        let mut check = false;
        match loaded.recv_timeout(every) {
            Ok(snapshot) => {
                shown = Some(snapshot);
                // Whatever moved before this load is in it, or is checked now.
                check = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        match store.change_stamp() {
            Ok(Some(stamp)) => {
                check |= stamp != last;
                last = stamp;
            }
            // A store that stops telling, or a dropped connection: stop
            // watching; the next open of the project starts a new watcher.
            Ok(None) | Err(_) => return,
        }
        let Some((generation, snapshot)) = &mut shown else {
            continue;
        };
        if !check {
            continue;
        }
        let Some(now) = Snapshot::of_store(store.as_ref()) else {
            continue;
        };
        if now != *snapshot {
            *snapshot = now;
            if changed.send(*generation).is_err() {
                return;
            }
            ctx.request_repaint();
        }
    }
}

/// The app's live refresh state.
pub struct LiveRefresh {
    every: Duration,
    watch: Option<Watch>,
    /// The stamp moved and the project has not been reloaded since.
    changed: bool,
    /// A refresh is loading: the incident count before it.
    refreshing: Option<u64>,
    /// Bumped on each load the watcher is told of; older news is dropped.
    generation: u64,
    /// Refreshes started since the app opened.
    refreshes: u64,
    /// New incidents from others, and until when (egui time) to say so.
    notice: Option<(u64, f64)>,
}

impl Default for LiveRefresh {
    fn default() -> Self {
        LiveRefresh {
            every: POLL_EVERY,
            watch: None,
            changed: false,
            refreshing: None,
            generation: 0,
            refreshes: 0,
            notice: None,
        }
    }
}

impl LiveRefresh {
    /// Polls every `every` instead of [`POLL_EVERY`] (tests); restarts the watcher.
    pub fn set_interval(&mut self, every: Duration) {
        self.every = every;
        self.watch = None;
    }

    /// Per frame: watches the project `loaded` (a new one restarts the
    /// watcher) and takes in its news. True when the app should reload the
    /// project now (another writer changed it and `idle`: none of the app's
    /// own work runs); the app then calls [`LiveRefresh::refresh_started`].
    pub fn frame(
        &mut self,
        ctx: &egui::Context,
        loaded: Option<&LoadedProject>,
        idle: bool,
    ) -> bool {
        let project = loaded.map(|l| l.path.as_path());
        if self.watch.as_ref().map(|w| w.location.as_path()) != project {
            self.watch = project.and_then(|p| Watch::start(ctx, p, self.every));
            self.changed = false;
            self.refreshing = None;
            if let Some(loaded) = loaded {
                self.tell_watcher(loaded);
            }
        }
        if let Some(watch) = &self.watch {
            loop {
                match watch.changed.try_recv() {
                    Ok(generation) => self.changed |= generation == self.generation,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.watch = None;
                        break;
                    }
                }
            }
        }
        if self.changed && idle && self.refreshing.is_none() {
            self.changed = false;
            return true;
        }
        false
    }

    /// Tells the watcher what the app shows now.
    fn tell_watcher(&mut self, loaded: &LoadedProject) {
        self.generation += 1;
        self.changed = false;
        if let Some(watch) = &self.watch {
            let _ = watch
                .loaded
                .send((self.generation, Snapshot::of_loaded(loaded)));
        }
    }

    /// The app started reloading; it had `count` incidents.
    pub fn refresh_started(&mut self, count: u64) {
        self.refreshing = Some(count);
        self.refreshes += 1;
    }

    /// A load of the project finished (`None`: it failed) at egui time
    /// `now`: a refresh counts what is new, and the watcher learns what
    /// the app shows (so the app's own changes, which it reloads after, are
    /// not taken for others').
    pub fn loaded(&mut self, loaded: Option<&LoadedProject>, now: f64) {
        let count = loaded.map(|l| l.index.len() as u64);
        if let (Some(before), Some(count)) = (self.refreshing.take(), count)
            && count > before
        {
            self.notice = Some((count - before, now + NOTICE_S));
        }
        if let Some(loaded) = loaded
            && self
                .watch
                .as_ref()
                .is_some_and(|w| w.location == loaded.path)
        {
            self.tell_watcher(loaded);
        }
    }

    /// How many times another writer's change made the app reload.
    pub fn refreshes(&self) -> u64 {
        self.refreshes
    }

    /// The new incidents the notice is telling of, while it shows.
    pub fn notice(&self, now: f64) -> Option<u64> {
        self.notice
            .filter(|(_, until)| now < *until)
            .map(|(n, _)| n)
    }

    /// The notice, while it shows (in the status bar).
    pub fn notice_ui(&self, ui: &mut egui::Ui, lang: Language) {
        let now = ui.input(|i| i.time);
        let Some((n, until)) = self.notice.filter(|(_, until)| now < *until) else {
            return;
        };
        ui.separator();
        ui.colored_label(
            egui::Color32::from_rgb(33, 102, 172),
            new_from_others(lang, n),
        );
        ui.ctx()
            .request_repaint_after(Duration::from_secs_f64((until - now).max(0.05)));
    }
}
