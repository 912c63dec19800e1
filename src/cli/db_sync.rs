//! `lagesbild db pull URL --out FILE.gpkg [filters] [--area FILE] [--force]`
//! and `lagesbild db push FILE.gpkg URL`: offline copies of a shared project.
//!
//! The copying lives in [`lagesbild::store::copy`]; this module opens the
//! two projects, turns the flags into a [`PullRequest`] and prints the
//! report. Locations are printed without user name or password.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use lagesbild::analysis::inputs;
use lagesbild::jobs::CancelToken;
use lagesbild::store::Location;
use lagesbild::store::copy::{self, CopyReport, PartReport, PullRequest};

use super::args::{DbPullArgs, DbPushArgs};
use super::progress::TerminalProgress;
use super::{Outcome, filter_from_args, open_existing};

/// How many conflicts the text report lists per kind.
const CONFLICTS_SHOWN: usize = 20;

/// `db pull` (the `db` command's dispatch is in `db.rs`).
pub fn pull(args: &DbPullArgs) -> anyhow::Result<Outcome> {
    let filter = filter_from_args(&args.filter)?;
    let area = args.area.as_deref().map(inputs::read_area).transpose()?;
    let source_location = Location::from(args.project.as_path());
    refuse_same_file(&source_location, &args.out)?;
    let source = open_existing(&args.project)?;
    let label = source_location.display();
    let request = PullRequest { filter, area };
    let progress = TerminalProgress::new();
    let result = copy::pull(
        source.as_ref(),
        &label,
        &args.out,
        &request,
        args.force,
        &progress,
        &CancelToken::new(),
    );
    progress.finish();
    let report = result.with_context(|| format!("pulling {label} into {}", args.out.display()))?;
    if args.json {
        print_json(&label, &args.out.display().to_string(), &report)?;
    } else {
        println!("Pulled {label} into {}", args.out.display());
        print_report(&report)?;
    }
    Ok(Outcome::Success)
}

/// `db push`.
pub fn push(args: &DbPushArgs) -> anyhow::Result<Outcome> {
    let target_location = Location::from(args.target.as_path());
    if let Location::File(target) = &target_location {
        refuse_same_file(&Location::File(args.file.clone()), target)?;
    }
    let source = open_existing(&args.file)?;
    let mut target = open_existing(&args.target)?;
    let label = target_location.display();
    let file_name = args
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let progress = TerminalProgress::new();
    let result = copy::push(
        source.as_ref(),
        &file_name,
        target.as_mut(),
        &progress,
        &CancelToken::new(),
    );
    progress.finish();
    let report = result.with_context(|| format!("pushing {} to {label}", args.file.display()))?;
    super::refresh_point_cache_after_write(target.as_ref());
    if args.json {
        print_json(&args.file.display().to_string(), &label, &report)?;
    } else {
        println!("Pushed {} to {label}", args.file.display());
        print_report(&report)?;
    }
    if report.is_complete() {
        Ok(Outcome::Success)
    } else {
        if !args.json {
            eprintln!(
                "lagesbild: not everything could be sent (see the conflicts and what was not sent above)"
            );
        }
        Ok(Outcome::Failed)
    }
}

/// Copying a file onto itself would replace what is being read.
fn refuse_same_file(source: &Location, out: &Path) -> anyhow::Result<()> {
    let Location::File(source) = source else {
        return Ok(());
    };
    let same = match (source.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        anyhow::bail!(
            "{}: the source and the target are the same file",
            out.display()
        );
    }
    Ok(())
}

fn print_json(from: &str, to: &str, report: &CopyReport) -> anyhow::Result<()> {
    let value = serde_json::json!({
        "from": from,
        "to": to,
        "complete": report.is_complete(),
        "report": report,
    });
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

fn print_report(r: &CopyReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let outside = if r.outside_area > 0 {
        format!(", {} outside the area left out", r.outside_area)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  incidents: {} read{outside}, {} stored, {} duplicates, {} conflicts",
        r.incidents_read,
        r.inserted,
        r.duplicates,
        r.conflicts.len()
    )?;
    for c in r.conflicts.iter().take(CONFLICTS_SHOWN) {
        let id = c.external_id.as_deref().unwrap_or(&c.uid);
        writeln!(
            out,
            "    conflict: incident {id:?} is stored there as incident {} but {}",
            c.target_fid, c.reason
        )?;
    }
    if r.conflicts.len() > CONFLICTS_SHOWN {
        writeln!(
            out,
            "    … and {} more conflicts (--json lists them all)",
            r.conflicts.len() - CONFLICTS_SHOWN
        )?;
    }
    if r.police_updated + r.police_older > 0 {
        writeln!(
            out,
            "  police events: {} updated in place (the earlier version kept in the history), \
             {} left alone (already replaced by a newer version)",
            r.police_updated, r.police_older
        )?;
    }
    let parts: [(&str, &PartReport); 11] = [
        ("project settings", &r.metadata),
        ("map layers", &r.layers),
        ("patrol areas", &r.plan_areas),
        ("patrol routes", &r.plan_routes),
        ("saved views", &r.views),
        ("measures", &r.measures),
        ("tracks", &r.tracks),
        ("check-ins", &r.checkins),
        ("police summaries", &r.police_summaries),
        ("police event history (earlier versions)", &r.police_history),
        ("week plan", &r.week_plan),
    ];
    for (what, p) in parts {
        if p.sent + p.duplicates + p.replaced + p.conflicts.len() == 0 {
            continue;
        }
        let replaced = if p.replaced > 0 {
            format!(", {} replaced (same name, changed)", p.replaced)
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {what}: {} sent, {} already there{replaced}, {} not sent (name taken)",
            p.sent,
            p.duplicates,
            p.conflicts.len()
        )?;
        for c in p.conflicts.iter().take(CONFLICTS_SHOWN) {
            writeln!(out, "    not sent: {c}")?;
        }
    }
    for line in &r.not_copied {
        writeln!(out, "  not copied: {line}")?;
    }
    for note in &r.notes {
        writeln!(out, "  note: {note}")?;
    }
    Ok(())
}
