//! `lagesbild retention PROJECT [--incidents AGE] [--tracks AGE] [--apply] [--json]`:
//! shows (and sets) how long the project keeps incidents and the hosts'
//! tracks, says what is past its time, and with `--apply` deletes it in one
//! transaction logged in the project.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use lagesbild::retention::{self, Age, Policy};
use serde_json::json;

use super::{Outcome, open_existing};

/// The role that may read the hosts' tracks in a shared store.
const WRITE_ROLE: &str = "lagesbild_write";

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// Keep incidents this long, e.g. 5y, 18m, 90d; "off" keeps them for ever.
    #[arg(long, value_name = "AGE|off")]
    pub incidents: Option<String>,
    /// Keep the hosts' GPS tracks and check-ins this long (usually shorter,
    /// e.g. 90d); "off" keeps them for ever.
    #[arg(long, value_name = "AGE|off")]
    pub tracks: Option<String>,
    /// Delete what is past its time now (one transaction, logged).
    #[arg(long)]
    pub apply: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn age_arg(flag: &str, text: &str) -> anyhow::Result<Option<Age>> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{flag} {e}"))
}

fn label(age: Option<Age>) -> String {
    age.map_or_else(|| "kept for ever (not set)".to_owned(), |a| a.label_en())
}

pub fn run(args: &RetentionArgs) -> anyhow::Result<Outcome> {
    let new_incidents = args
        .incidents
        .as_deref()
        .map(|t| age_arg("--incidents", t))
        .transpose()?;
    let new_tracks = args
        .tracks
        .as_deref()
        .map(|t| age_arg("--tracks", t))
        .transpose()?;
    let mut store = open_existing(&args.project)?;
    let mut policy = Policy::read(store.as_ref())?;
    let changed = new_incidents.is_some() || new_tracks.is_some();
    if let Some(a) = new_incidents {
        policy.incidents = a;
    }
    if let Some(a) = new_tracks {
        policy.tracks = a;
    }
    if changed {
        policy.write(store.as_mut())?;
    }
    let today = retention::today();
    let due = retention::due(store.as_ref(), policy, today)?;
    let run = if args.apply {
        Some(retention::apply(store.as_mut(), policy, today)?)
    } else {
        None
    };
    let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| {
            lagesbild::model::time::local(t)
                .format("%Y-%m-%d")
                .to_string()
        })
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = json!({
            "incidents": policy.incidents.map(|a| a.to_string()),
            "tracks": policy.tracks.map(|a| a.to_string()),
            "incidents_before": local(due.incidents_before),
            "tracks_before": local(due.tracks_before),
            "due": {
                "incidents": due.incidents,
                "tracks": due.tracks_visible.then_some(due.tracks),
            },
            "tracks_visible": due.tracks_visible,
            "deleted": run.as_ref().map(|r| json!({
                "incidents": r.incidents_deleted,
                "tracks": r.tracks_deleted,
                "checkins": r.checkins_deleted,
            })),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(Outcome::Success);
    }
    writeln!(out, "Incidents: {}", label(policy.incidents))?;
    writeln!(out, "Tracks and check-ins: {}", label(policy.tracks))?;
    if let Some(day) = local(due.incidents_before) {
        writeln!(
            out,
            "{} incidents from before {day} are past their time",
            due.incidents
        )?;
    }
    match local(due.tracks_before) {
        Some(day) if !due.tracks_visible => writeln!(
            out,
            "Tracks that ended before {day}: not visible to this login (the hosts' tracks \
             and check-ins are read only with the role {WRITE_ROLE}); only the incidents \
             are counted"
        )?,
        Some(day) => writeln!(
            out,
            "{} tracks that ended before {day} are past their time",
            due.tracks
        )?,
        None => {}
    }
    match &run {
        Some(r) => writeln!(
            out,
            "Deleted {} incidents, {} tracks and {} check-ins (logged in the project)",
            r.incidents_deleted, r.tracks_deleted, r.checkins_deleted
        )?,
        None if due.any() => writeln!(out, "Delete them with --apply.")?,
        None => {}
    }
    Ok(Outcome::Success)
}
