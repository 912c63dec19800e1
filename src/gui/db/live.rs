//! Live refresh: the app sees other users' changes without a restart.
//!
//! A watcher thread keeps its own connection to the open project and reads
//! [`crate::store::Store::change_stamp`] every [`POLL_EVERY`] (never per
//! frame, never on the UI thread: on a database it is a round trip). When
//! that stamp moves it reads the per-kind stamps
//! ([`crate::store::Store::change_stamps`]: the shared store's change log
//! counted per table, the GeoPackage's tables summed up) and compares them
//! with the last it saw; only the kinds that moved are sent to the UI. So
//! an incident recategorised or moved (the counts stay), a patrol area,
//! route or stop, a week-plan cell, a measure, a saved view, a layer's
//! style or the project's study area each reach the app within one or two
//! polls, and a write that changes nothing shown (the GeoPackage's point
//! cache, a log) reaches it not at all.
//!
//! What the app reloads for each kind:
//! - incidents, map layers, the project's metadata: the whole project, as
//!   at opening (the map stays where it is), once none of the app's own
//!   work runs. The load reads the stamps before the data, so the app's own
//!   edits and imports (after which it reloads by itself) cause no second
//!   load;
//! - the patrol plan: read again; an item the user is editing keeps the
//!   edits (the plan window says that another user changed the plan). The
//!   plan's own reads (after each edit, undo and redo) read the stamps too,
//!   so the app's own plan edits are not read twice;
//! - the week plan's fixed cells, measures, saved views: read again.
//!
//! The status bar says "N nya händelser från andra användare", or what
//! was updated, for [`NOTICE_S`] seconds. A store that cannot tell (stamp
//! `None`) is not watched.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::text::{new_from_others, updated_from_others};
use crate::gui::i18n::Language;
use crate::gui::tasks::LoadedProject;
use crate::store::changes::{ChangeKind, ChangeStamps};

/// How often the watcher reads the change stamp.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// How long the notice stays, in seconds.
pub const NOTICE_S: f64 = 8.0;

/// The kinds a load of the project reads (incidents, layers, metadata).
pub const LOADED_KINDS: [ChangeKind; 3] = [
    ChangeKind::Incidents,
    ChangeKind::Layers,
    ChangeKind::Project,
];

/// The watcher of one project.
struct Watch {
    location: PathBuf,
    /// Each reading of the per-kind stamps that differs from the one before
    /// (the first reading too).
    readings: Receiver<ChangeStamps>,
    /// Dropping it stops the thread at its next wait.
    _stop: Sender<()>,
}

impl Watch {
    fn start(ctx: &egui::Context, location: &Path, every: Duration) -> Option<Watch> {
        let (readings_tx, readings) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel();
        let ctx = ctx.clone();
        let path = location.to_owned();
        std::thread::Builder::new()
            .name("change-stamp".to_owned())
            .spawn(move || watch_loop(&ctx, &path, every, &readings_tx, &stop_rx))
            .ok()?;
        Some(Watch {
            location: location.to_owned(),
            readings,
            _stop: stop,
        })
    }
}

fn watch_loop(
    ctx: &egui::Context,
    location: &Path,
    every: Duration,
    readings: &Sender<ChangeStamps>,
    stop: &Receiver<()>,
) {
    // An open that fails is the app's own load's to report.
    let Ok(store) = crate::store::open(location) else {
        return;
    };
    let Ok(Some(mut last)) = store.change_stamp() else {
        return;
    };
    // A store that keeps no stamps by kind is not watched.
    let Ok(mut sent) = store.change_stamps() else {
        return;
    };
    if readings.send(sent.clone()).is_err() {
        return;
    }
    loop {
        match stop.recv_timeout(every) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        match store.change_stamp() {
            Ok(Some(stamp)) if stamp == last => continue,
            Ok(Some(stamp)) => last = stamp,
            // A store that stops telling, or a dropped connection: stop
            // watching; the next open of the project starts a new watcher.
            Ok(None) | Err(_) => return,
        }
        let Ok(now) = store.change_stamps() else {
            // A failed read (a lock held a moment): the next move retries.
            continue;
        };
        if now == sent {
            continue;
        }
        sent = now.clone();
        if readings.send(now).is_err() {
            return;
        }
        ctx.request_repaint();
    }
}

/// Where a task that writes leaves the change stamps it read right after
/// its write (before reading the result back), so that the live refresh
/// knows the app has that version and does not read the app's own change
/// again as another user's. Cloned into the task; taken by the app.
#[derive(Clone, Default)]
pub struct OwnWrites(Arc<Mutex<Option<ChangeStamps>>>);

impl OwnWrites {
    /// Reads `store`'s change stamps into the slot (in the task). A store
    /// that keeps none leaves it as it was.
    pub fn note(&self, store: &dyn crate::store::Store) {
        if let (Ok(stamps), Ok(mut slot)) = (store.change_stamps(), self.0.lock()) {
            *slot = Some(stamps);
        }
    }

    /// The stamps noted since the last take, once.
    pub fn take(&self) -> Option<ChangeStamps> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// What the status bar tells of other users' changes.
#[derive(Debug, Clone, PartialEq)]
struct Notice {
    /// New incidents (0: none, or fewer than before).
    new_incidents: u64,
    /// What was read again.
    kinds: BTreeSet<ChangeKind>,
    /// Until when (egui time) it shows.
    until: f64,
}

/// The app's live refresh state.
///
/// `latest` is the watcher's last reading, `known` the stamps of what the
/// app has (each kind as its last read saw it: the project's load for
/// [`LOADED_KINDS`], the plan's own reads, or the reading the app acted on).
/// A kind whose stamps differ is pending until the app reads it again; the
/// app's own edits, which it reads back itself, so never count as others'.
pub struct LiveRefresh {
    every: Duration,
    watch: Option<Watch>,
    latest: Option<ChangeStamps>,
    known: ChangeStamps,
    /// Kinds another writer changed that the app has not read again yet.
    pending: BTreeSet<ChangeKind>,
    /// A refresh is loading: the incident count before it and what it reads.
    refreshing: Option<(u64, BTreeSet<ChangeKind>)>,
    /// Refreshes of the whole project started since the app opened.
    refreshes: u64,
    notice: Option<Notice>,
}

impl Default for LiveRefresh {
    fn default() -> Self {
        LiveRefresh {
            every: POLL_EVERY,
            watch: None,
            latest: None,
            known: ChangeStamps::default(),
            pending: BTreeSet::new(),
            refreshing: None,
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
    /// watcher) and takes in its readings. Returns the kinds the app should
    /// read again now: another writer changed them and `idle` (none of the
    /// app's own work runs). When the answer holds a kind of
    /// [`LOADED_KINDS`], the app reloads the project and calls
    /// [`LiveRefresh::refresh_started`].
    pub fn frame(
        &mut self,
        ctx: &egui::Context,
        loaded: Option<&LoadedProject>,
        idle: bool,
        now: f64,
    ) -> BTreeSet<ChangeKind> {
        let project = loaded.map(|l| l.path.as_path());
        if self.watch.as_ref().map(|w| w.location.as_path()) != project {
            self.watch = project.and_then(|p| Watch::start(ctx, p, self.every));
            self.latest = None;
            self.known = ChangeStamps::default();
            self.pending.clear();
            self.refreshing = None;
            if let Some(stamps) = loaded.and_then(|l| l.stamps.as_ref()) {
                self.app_read(&LOADED_KINDS, stamps);
            }
        }
        let mut readings = Vec::new();
        if let Some(watch) = &self.watch {
            loop {
                match watch.readings.try_recv() {
                    Ok(reading) => readings.push(reading),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.watch = None;
                        break;
                    }
                }
            }
        }
        for reading in readings {
            if self.latest.is_none() {
                // The first reading: what the app read before it (the
                // load) is known; the rest the app read at about this time.
                for kind in ChangeKind::ALL {
                    if !LOADED_KINDS.contains(&kind) {
                        self.known.take_from(&reading, kind);
                    }
                }
            }
            self.latest = Some(reading);
            self.compare(&ChangeKind::ALL);
        }
        if self.pending.is_empty() || !idle || self.refreshing.is_some() {
            return BTreeSet::new();
        }
        let kinds = std::mem::take(&mut self.pending);
        if let Some(latest) = &self.latest {
            // Read now; the loaded kinds once their load lands.
            for kind in &kinds {
                if !LOADED_KINDS.contains(kind) {
                    self.known.take_from(latest, *kind);
                }
            }
        }
        if !kinds.iter().any(|k| LOADED_KINDS.contains(k)) {
            // Read again by their own windows: said at once.
            self.say(0, kinds.clone(), now);
        }
        kinds
    }

    /// The app read `kinds` itself at `stamps` (its own load, its own
    /// edit read back).
    pub fn app_read(&mut self, kinds: &[ChangeKind], stamps: &ChangeStamps) {
        for kind in kinds {
            self.known.take_from(stamps, *kind);
        }
        // Settles what the watcher has seen; the app being ahead of the
        // watcher (its own edit, not polled yet) is no change of others.
        if let Some(latest) = &self.latest {
            for kind in kinds {
                if latest.get(*kind) == self.known.get(*kind) {
                    self.pending.remove(kind);
                }
            }
        }
    }

    /// Marks each of `kinds` pending when the latest reading differs from
    /// what the app has (a new reading of the watcher).
    fn compare(&mut self, kinds: &[ChangeKind]) {
        let Some(latest) = &self.latest else {
            return;
        };
        for kind in kinds {
            if latest.get(*kind) != self.known.get(*kind) {
                self.pending.insert(*kind);
            }
        }
    }

    /// The app started reloading the project for `kinds`; it had `count`
    /// incidents.
    pub fn refresh_started(&mut self, count: u64, kinds: BTreeSet<ChangeKind>) {
        self.refreshing = Some((count, kinds));
        self.refreshes += 1;
    }

    /// A load of the project finished (`None`: it failed) at egui time
    /// `now`: a refresh says what is new, and what the load read is known
    /// (so the app's own changes, which it reloads after, are not taken
    /// for others').
    /// Returns the kinds when this load was a refresh for other users' changes.
    pub fn loaded(
        &mut self,
        loaded: Option<&LoadedProject>,
        now: f64,
    ) -> Option<BTreeSet<ChangeKind>> {
        let count = loaded.map(|l| l.index.len() as u64);
        let mut refreshed = None;
        if let (Some((before, kinds)), Some(count)) = (self.refreshing.take(), count) {
            self.say(count.saturating_sub(before), kinds.clone(), now);
            refreshed = Some(kinds);
        }
        if let Some(loaded) = loaded
            && self
                .watch
                .as_ref()
                .is_some_and(|w| w.location == loaded.path)
            && let Some(stamps) = &loaded.stamps
        {
            self.app_read(&LOADED_KINDS, stamps);
        }
        refreshed
    }

    fn say(&mut self, new_incidents: u64, kinds: BTreeSet<ChangeKind>, now: f64) {
        self.notice = Some(Notice {
            new_incidents,
            kinds,
            until: now + NOTICE_S,
        });
    }

    /// How many times another writer's change made the app read again.
    pub fn refreshes(&self) -> u64 {
        self.refreshes
    }

    /// The new incidents the notice is telling of, while it shows and
    /// there are some.
    pub fn notice(&self, now: f64) -> Option<u64> {
        self.notice
            .as_ref()
            .filter(|n| now < n.until && n.new_incidents > 0)
            .map(|n| n.new_incidents)
    }

    /// The notice's text in `lang` at egui time `now`, while it shows.
    pub fn notice_text(&self, lang: Language, now: f64) -> Option<String> {
        let n = self.notice.as_ref().filter(|n| now < n.until)?;
        if n.new_incidents > 0 {
            return Some(new_from_others(lang, n.new_incidents));
        }
        (!n.kinds.is_empty()).then(|| updated_from_others(lang, &n.kinds))
    }

    /// The notice, while it shows (in the status bar).
    pub fn notice_ui(&self, ui: &mut egui::Ui, lang: Language) {
        let now = ui.input(|i| i.time);
        let (Some(text), Some(n)) = (self.notice_text(lang, now), &self.notice) else {
            return;
        };
        ui.separator();
        ui.colored_label(egui::Color32::from_rgb(33, 102, 172), text);
        ui.ctx()
            .request_repaint_after(Duration::from_secs_f64((n.until - now).max(0.05)));
    }
}
