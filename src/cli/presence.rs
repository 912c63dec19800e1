//! `lagesbild tracks import|checkins|list|prune …` and
//! `lagesbild dose PROJECT.gpkg [--tracks FILE.gpx ...] --places FILE.geojson
//! [--radius 50] [--from DATE --to DATE] [--by-week] [--json]`.
//!
//! Output is aggregated per place (and week): never a host's path, and the
//! dose output names no host at all.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use lagesbild::analysis::dose::{self, DoseParams, DosePlace};
use lagesbild::analysis::inputs;
use lagesbild::export::dose as privacy_dose;
use lagesbild::export::privacy;
use lagesbild::import::presence;
use lagesbild::model::Filter;
use lagesbild::model::track::{Track, host_code_from_file_name};
use serde_json::json;

use super::Outcome;
use super::follow_args::{DoseArgs, TracksArgs, TracksCommand};

/// Reads GPX files, each with `host` or the code its file name gives.
fn read_tracks(files: &[std::path::PathBuf], host: Option<&str>) -> anyhow::Result<Vec<Track>> {
    files
        .iter()
        .map(|f| {
            let code = match host {
                Some(h) => h.to_owned(),
                None => host_code_from_file_name(
                    &f.file_stem()
                        .map(|s| s.to_string_lossy())
                        .unwrap_or_default(),
                ),
            };
            Ok(presence::read_gpx(f, &code)?)
        })
        .collect()
}

/// `90d` or `90` as days.
fn parse_days(text: &str) -> anyhow::Result<u64> {
    let t = text.trim();
    let digits = t.strip_suffix('d').unwrap_or(t);
    digits
        .parse::<u64>()
        .ok()
        .filter(|d| *d > 0)
        .with_context(|| format!("--older-than {text:?}: give a number of days, e.g. 90d"))
}

pub fn run_tracks(args: &TracksArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        TracksCommand::Import {
            project,
            files,
            host,
        } => {
            let tracks = read_tracks(files, host.as_deref())?;
            let mut store = super::open_existing(project)?;
            let (stored, skipped) = store.add_tracks(&tracks)?;
            let fixes: usize = tracks.iter().map(|t| t.fixes.len()).sum();
            println!(
                "stored {stored} track(s), {skipped} skipped as imported before ({fixes} fixes read)"
            );
            Ok(Outcome::Success)
        }
        TracksCommand::Checkins { project, file } => {
            let checkins = presence::read_checkins(file)?;
            let mut store = super::open_existing(project)?;
            let (stored, skipped) = store.add_checkins(&checkins)?;
            println!("stored {stored} check-in(s), {skipped} skipped as stored before");
            Ok(Outcome::Success)
        }
        TracksCommand::List { project, json } => {
            let store = super::open_existing(project)?;
            let list = store.track_summaries()?;
            let mut out = std::io::stdout().lock();
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else if list.is_empty() {
                writeln!(out, "no tracks")?;
            } else {
                for t in &list {
                    writeln!(
                        out,
                        "{}\t{}\t{} – {}\t{} fixes",
                        t.host,
                        t.source,
                        lagesbild::model::time::local(t.first).format("%Y-%m-%d %H:%M"),
                        lagesbild::model::time::local(t.last).format("%Y-%m-%d %H:%M"),
                        t.fixes
                    )?;
                }
            }
            Ok(Outcome::Success)
        }
        TracksCommand::Prune {
            project,
            older_than,
        } => {
            let days = parse_days(older_than)?;
            let before = chrono::Utc::now() - chrono::Duration::days(days as i64);
            let mut store = super::open_existing(project)?;
            let (tracks, checkins) = store.prune_tracks(before)?;
            println!(
                "deleted {tracks} track(s) and {checkins} check-in(s) that ended more than {days} days ago"
            );
            Ok(Outcome::Success)
        }
    }
}

fn places_of(path: &Path) -> anyhow::Result<Vec<DosePlace>> {
    Ok(inputs::read_candidates(path)?
        .into_iter()
        .enumerate()
        .map(|(i, c)| DosePlace {
            name: c.name.unwrap_or_else(|| format!("plats {}", i + 1)),
            xy: c.xy,
        })
        .collect())
}

/// A row's minutes for text, "–" when its visits are suppressed (they
/// would give the length of those few visits).
fn minutes(visits: privacy::Shown, minutes: f64) -> String {
    visits
        .value()
        .map(|_| minutes)
        .map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"))
}

pub fn run_dose(args: &DoseArgs) -> anyhow::Result<Outcome> {
    let m = args.min_count;
    if let Some(warning) = privacy::check_min_count(m).map_err(anyhow::Error::msg)? {
        eprintln!("{warning}");
    }
    if !(args.radius.is_finite() && args.radius > 0.0) {
        anyhow::bail!(
            "--radius {}: must be a positive number of metres",
            args.radius
        );
    }
    let from = args
        .from
        .as_deref()
        .map(Filter::parse_date)
        .transpose()
        .context("--from")?;
    let to = args
        .to
        .as_deref()
        .map(Filter::parse_date)
        .transpose()
        .context("--to")?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        anyhow::bail!("--from {f} is after --to {t}");
    }
    let store = super::open_existing(&args.project)?;
    let planned = if args.planned {
        let planned = dose::planned_from_plan(&store.patrol_plan()?);
        if planned.is_empty() {
            anyhow::bail!(
                "{}: the patrol plan has no route stops to compare with; give --places FILE",
                args.project.display()
            );
        }
        Some(planned)
    } else {
        None
    };
    let places: Vec<DosePlace> = match (&planned, &args.places) {
        (Some(p), _) => p.iter().map(|p| p.place.clone()).collect(),
        (None, Some(file)) => places_of(file)?,
        (None, None) => anyhow::bail!("give --places FILE.geojson or --planned"),
    };
    let places_label = args
        .places
        .as_ref()
        .map_or_else(|| "the route stops".to_owned(), |p| p.display().to_string());
    let (tracks, mut checkins) = if args.tracks.is_empty() {
        (store.tracks(from, to)?, store.checkins(from, to)?)
    } else {
        let mut tracks = read_tracks(&args.tracks, None)?;
        for t in &mut tracks {
            t.fixes.retain(|f| dose::within_dates(f.at, from, to));
        }
        (tracks, Vec::new())
    };
    if let Some(file) = &args.checkins {
        checkins.extend(
            presence::read_checkins(file)?
                .into_iter()
                .filter(|c| dose::within_dates(c.checked_in, from, to)),
        );
    }
    let params = DoseParams {
        radius_m: args.radius,
        ..DoseParams::default()
    };
    let (visits, unmatched) = dose::visits_by_place(&places, &tracks, &checkins, &params)?;
    for name in &unmatched {
        eprintln!("note: check-ins at {name:?} match no place in {places_label}");
    }
    if let Some(planned) = &planned {
        let times = tracks
            .iter()
            .flat_map(|t| t.fixes.iter().map(|f| f.at))
            .chain(checkins.iter().map(|c| c.checked_in));
        let local = |t| lagesbild::model::time::local(t).date_naive();
        let (lo, hi) = times.fold((None, None), |(lo, hi): (Option<_>, Option<_>), t| {
            let d = local(t);
            (
                Some(lo.map_or(d, |l: chrono::NaiveDate| l.min(d))),
                Some(hi.map_or(d, |h: chrono::NaiveDate| h.max(d))),
            )
        });
        let weeks = match (from.or(lo), to.or(hi)) {
            (Some(a), Some(b)) => dose::weeks_between(a, b),
            _ => Vec::new(),
        };
        let rows = dose::planned_vs_delivered(planned, &visits, &weeks, &params);
        let mut out = std::io::stdout().lock();
        if args.json {
            let mut places = json!(rows);
            let suppressed = privacy_dose::blank_rows(&mut places, "/places", m);
            let value = json!({"places": places, "radius_m": args.radius, "weeks": weeks, "min_count": m, "suppressed": suppressed});
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            return Ok(Outcome::Success);
        }
        writeln!(
            out,
            "{:<28} {:>9} {:>9} {:>9} {:>7} {:>12}",
            "stop", "week", "planned", "minutes", "visits", "dose visits"
        )?;
        let mut any = false;
        for r in &rows {
            let [v, d] = privacy_dose::protect_row(r.visits, r.dose_visits, m);
            any |= v.is_suppressed() || d.is_suppressed();
            writeln!(
                out,
                "{:<28} {:>9} {:>9.0} {:>9} {:>7} {:>12}",
                r.name,
                r.week,
                r.planned_minutes,
                minutes(v, r.minutes),
                v.text(m),
                d.text(m)
            )?;
        }
        if any {
            writeln!(out, "\n{}", privacy::legend(m))?;
        }
        return Ok(Outcome::Success);
    }
    let rows = if args.by_week {
        dose::dose_per_week(&places, &visits, &params)
    } else {
        dose::dose_per_place(&places, &visits, &params)
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut places = json!(rows);
        let suppressed = privacy_dose::blank_rows(&mut places, "/places", m);
        let value = json!({
            "min_count": m,
            "suppressed": suppressed,
            "places": places,
            "radius_m": args.radius,
            "from": from,
            "to": to,
            "tracks": tracks.len(),
            "checkins": checkins.len(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "{} track(s), {} check-in(s); radius {} m; a dose visit lasts at least 10 minutes",
        tracks.len(),
        checkins.len(),
        args.radius
    )?;
    writeln!(
        out,
        "{:<28} {:>9} {:>7} {:>12} {:>9}",
        "place", "week", "visits", "dose visits", "minutes"
    )?;
    let mut any = false;
    for r in &rows {
        let [v, d] = privacy_dose::protect_row(r.visits, r.dose_visits, m);
        any |= v.is_suppressed() || d.is_suppressed();
        writeln!(
            out,
            "{:<28} {:>9} {:>7} {:>12} {:>9}",
            r.name,
            r.week.as_deref().unwrap_or("all"),
            v.text(m),
            d.text(m),
            minutes(v, r.minutes)
        )?;
    }
    if any {
        writeln!(out, "\n{}", privacy::legend(m))?;
    }
    Ok(Outcome::Success)
}

pub fn run_reports(args: &super::follow_args::ReportsArgs) -> anyhow::Result<Outcome> {
    use lagesbild::import::form_reports;
    use lagesbild::jobs::{CancelToken, NoProgress};
    use lagesbild::store::PushOutcome;
    let super::follow_args::ReportsCommand::Import {
        project,
        file,
        strict,
    } = &args.command;
    let reports = form_reports::read_form_reports(file)?;
    for r in &reports.rejected {
        eprintln!("{}:{}: {}", r.path.display(), r.line, r.reason);
    }
    if *strict && !reports.rejected.is_empty() {
        anyhow::bail!(
            "{}: {} row(s) could not be read and --strict is set, so nothing was imported",
            file.display(),
            reports.rejected.len()
        );
    }
    let mut store = super::open_existing(project)?;
    let name = file
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let mut session = store.begin_import(&name)?;
    let (mut imported, mut duplicates, mut conflicts) = (0, 0, 0);
    for (line, incident) in &reports.incidents {
        match session.push(incident)? {
            PushOutcome::Inserted => imported += 1,
            PushOutcome::Duplicate { .. } => duplicates += 1,
            PushOutcome::Conflict { reason, .. } => {
                conflicts += 1;
                eprintln!("{}:{line}: not imported: {reason}", file.display());
            }
        }
    }
    session.commit(&NoProgress, &CancelToken::new())?;
    println!(
        "imported {imported} report(s) as trygghetsvärd incidents; {duplicates} already stored, {conflicts} in conflict, {} rejected",
        reports.rejected.len()
    );
    Ok(
        if imported == 0 && !reports.incidents.is_empty() && duplicates == 0 {
            Outcome::Failed
        } else {
            Outcome::Success
        },
    )
}
