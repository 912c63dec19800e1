//! Live refresh: the app sees other users' changes without a restart.
//!
//! A watcher thread keeps its own connection to the open project and reads
//! [`crate::store::Store::change_stamp`] every [`POLL_EVERY`] (never per
//! frame, never on the UI thread: on a database it is a round trip). When
//! the stamp moves it wakes the UI; the app reloads incidents, layers and
//! the plan as soon as none of its own work is running (so its own imports
//! and edits, which reload by themselves, are not counted as others'),
//! keeps the map where it is, and says "N nya händelser från andra
//! användare" for [`NOTICE_S`] seconds. A store that cannot tell (stamp
//! `None`) is not watched.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use super::text::new_from_others;
use crate::gui::i18n::Language;

/// How often the watcher reads the change stamp.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// How long the notice stays, in seconds.
pub const NOTICE_S: f64 = 8.0;

/// The watcher of one project.
struct Watch {
    location: PathBuf,
    changed: Receiver<()>,
    /// Dropping it stops the thread at its next wait.
    _stop: Sender<()>,
}

impl Watch {
    fn start(ctx: &egui::Context, location: &Path, every: Duration) -> Option<Watch> {
        let (changed_tx, changed) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let ctx = ctx.clone();
        let path = location.to_owned();
        std::thread::Builder::new()
            .name("change-stamp".to_owned())
            .spawn(move || watch_loop(&ctx, &path, every, &changed_tx, &stop_rx))
            .ok()?;
        Some(Watch {
            location: location.to_owned(),
            changed,
            _stop: stop,
        })
    }
}

fn watch_loop(
    ctx: &egui::Context,
    location: &Path,
    every: Duration,
    changed: &Sender<()>,
    stop: &Receiver<()>,
) {
    // An open that fails is the app's own load's to report.
    let Ok(store) = crate::store::open(location) else {
        return;
    };
    let Ok(Some(mut last)) = store.change_stamp() else {
        return;
    };
    loop {
        match stop.recv_timeout(every) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        match store.change_stamp() {
            Ok(Some(stamp)) if stamp != last => {
                last = stamp;
                if changed.send(()).is_err() {
                    return;
                }
                ctx.request_repaint();
            }
            Ok(Some(_)) => {}
            // A store that stops telling, or a dropped connection: stop
            // watching; the next open of the project starts a new watcher.
            Ok(None) | Err(_) => return,
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

    /// Per frame: watches `project` (a new one restarts the watcher) and
    /// takes in its news. True when the app should reload the project now
    /// (it moved and `idle`: none of the app's own work runs); the app then
    /// calls [`LiveRefresh::refresh_started`].
    pub fn frame(&mut self, ctx: &egui::Context, project: Option<&Path>, idle: bool) -> bool {
        if self.watch.as_ref().map(|w| w.location.as_path()) != project {
            self.watch = project.and_then(|p| Watch::start(ctx, p, self.every));
            self.changed = false;
            self.refreshing = None;
        }
        if let Some(watch) = &self.watch {
            loop {
                match watch.changed.try_recv() {
                    Ok(()) => self.changed = true,
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

    /// The app started reloading; it had `count` incidents.
    pub fn refresh_started(&mut self, count: u64) {
        self.refreshing = Some(count);
    }

    /// A load of the project finished with `count` incidents (`None`: it
    /// failed) at egui time `now`.
    pub fn loaded(&mut self, count: Option<u64>, now: f64) {
        if let (Some(before), Some(count)) = (self.refreshing.take(), count)
            && count > before
        {
            self.notice = Some((count - before, now + NOTICE_S));
        }
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
