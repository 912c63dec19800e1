//! `lagesbild polisen harvest PROJECT.gpkg --location Sölvesborg [--once | --every 30m] [--api-url URL]`

use std::time::Duration;

use anyhow::Context as _;
use lagesbild::harvest::{self, HarvestConfig, HarvestError, HttpTransport};
use lagesbild::jobs::CancelToken;
use lagesbild::store;

use super::Outcome;
use super::args::{HarvestArgs, PolisenArgs, PolisenCommand};

pub fn run(args: &PolisenArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        PolisenCommand::Harvest(h) => run_harvest(h),
    }
}

/// "30m", "1h", "900s", "2h30m" → a duration.
fn parse_interval(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim().to_ascii_lowercase();
    let mut total = 0u64;
    let mut number = String::new();
    for ch in t.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => anyhow::bail!("--every {text:?}: expected e.g. 30m, 1h or 900s"),
        };
        let n: u64 = number
            .parse()
            .with_context(|| format!("--every {text:?}: expected e.g. 30m, 1h or 900s"))?;
        total += n * unit;
        number.clear();
    }
    if !number.is_empty() {
        anyhow::bail!("--every {text:?}: give a unit, e.g. 30m, 1h or 900s");
    }
    let d = Duration::from_secs(total);
    if d < Duration::from_secs(60) {
        anyhow::bail!(
            "--every {text:?}: at least 1m (the API serves the latest 500 events; every 30m keeps up)"
        );
    }
    Ok(d)
}

/// Sets `stop` on Ctrl+C and, on Unix, SIGTERM and SIGHUP (a service stop).
fn stop_on_signals(stop: CancelToken) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("setting up signal handling")?;
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{SignalKind, signal};
                    let (Ok(mut term), Ok(mut hup)) = (
                        signal(SignalKind::terminate()),
                        signal(SignalKind::hangup()),
                    ) else {
                        let _ = tokio::signal::ctrl_c().await;
                        stop.cancel();
                        return;
                    };
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                        _ = hup.recv() => {}
                    }
                }
                #[cfg(not(unix))]
                {
                    let _ = tokio::signal::ctrl_c().await;
                }
                eprintln!("stopping: the current import finishes first");
                stop.cancel();
            });
        })
        .context("starting the signal thread")?;
    Ok(())
}

fn run_harvest(args: &HarvestArgs) -> anyhow::Result<Outcome> {
    let mut config = HarvestConfig::new(
        args.location
            .split(';')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    );
    if let Some(url) = &args.api_url {
        config.api_url = url.clone();
    }
    if let Some(contact) = &args.contact {
        config.contact = contact.clone();
    }
    config.check()?;
    let every = args.every.as_deref().map(parse_interval).transpose()?;

    // A database project is made with `lagesbild db init`; only a file is created here.
    let created =
        matches!(store::Location::from(&args.project), store::Location::File(ref f) if !f.exists());
    let mut project = if created {
        let name = args
            .project
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Lägesbild".to_owned());
        store::create(&args.project, &name)?
    } else {
        store::open(&args.project)?
    };
    if created {
        eprintln!("Created {}", args.project.display());
    }
    let mut stored_any = false;
    let result = harvest_loop(project.as_mut(), &config, every, &mut stored_any);
    if result.is_err() && created && !stored_any {
        // As `import` does: a project created for a harvest that stored
        // nothing is not left behind.
        drop(project);
        let _ = std::fs::remove_file(&args.project);
        eprintln!(
            "Nothing was harvested; {} was not created.",
            args.project.display()
        );
    }
    result
}

fn harvest_loop(
    project: &mut dyn store::Store,
    config: &HarvestConfig,
    every: Option<Duration>,
    stored_any: &mut bool,
) -> anyhow::Result<Outcome> {
    let transport = HttpTransport::new().map_err(anyhow::Error::msg)?;
    let stop = CancelToken::new();
    stop_on_signals(stop.clone())?;
    let mut say = |line: &str| eprintln!("{line}");

    let mut failures = 0u32;
    loop {
        let started = std::time::Instant::now();
        match harvest::harvest_once(project, config, &transport, &stop, &mut say) {
            Ok(run) => {
                *stored_any = true;
                let r = &run.report;
                println!(
                    "{}: {} new, {} updated, {} unchanged, {} summar(y/ies) kept apart, {} event(s) of other places left out ({} call(s), waited {:.1} s)",
                    run.called_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    r.imported,
                    r.updated,
                    r.duplicates,
                    r.summaries,
                    run.elsewhere,
                    run.calls,
                    run.waited.as_secs_f64()
                );
                for e in &r.rejected {
                    println!("  rejected: {e}");
                }
                if r.rejected_total > r.rejected.len() as u64 {
                    println!(
                        "  … and {} more rejected",
                        r.rejected_total - r.rejected.len() as u64
                    );
                }
                failures = 0;
            }
            Err(HarvestError::Stopped) => {
                eprintln!("stopped before calling the API");
                return Ok(Outcome::Success);
            }
            Err(
                e @ (HarvestError::NotFound { .. }
                | HarvestError::Refused { .. }
                | HarvestError::Config(_)),
            ) => {
                // Final: retrying will not help.
                return Err(e.into());
            }
            Err(HarvestError::Store(e)) => return Err(e.into()),
            Err(e) => {
                let Some(_) = every else {
                    return Err(e.into());
                };
                failures += 1;
                eprintln!("lagesbild: {e}");
            }
        }
        let Some(every) = every else {
            return Ok(Outcome::Success);
        };
        if stop.is_cancelled() {
            return Ok(Outcome::Success);
        }
        // After failures, wait longer (doubling, at most 4 intervals).
        let pause = every * 2u32.pow(failures.min(2));
        let rest = pause.saturating_sub(started.elapsed());
        eprintln!(
            "next harvest in {:.0} s (Ctrl+C to stop)",
            rest.as_secs_f64()
        );
        if harvest::sleep_unless_stopped(rest, &stop).is_err() {
            return Ok(Outcome::Success);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_interval("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_interval("2h30m").unwrap(), Duration::from_secs(9000));
        assert_eq!(parse_interval("900s").unwrap(), Duration::from_secs(900));
        assert!(parse_interval("30").is_err());
        assert!(parse_interval("10s").is_err());
        assert!(parse_interval("fem minuter").is_err());
    }
}
