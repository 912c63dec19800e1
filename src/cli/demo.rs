//! `lagesbild demo [--out PATH] [--count N] [--seed S]`

use anyhow::Context as _;
use lagesbild::demo::{self, DemoParams};
use lagesbild::jobs::CancelToken;

use super::Outcome;
use super::args::DemoArgs;
use super::progress::TerminalProgress;

pub fn run(args: &DemoArgs) -> anyhow::Result<Outcome> {
    let defaults = DemoParams::default();
    let params = DemoParams {
        count: args.count.unwrap_or(defaults.count),
        seed: args.seed.unwrap_or(defaults.seed),
    };
    if args.out.exists() {
        if !args.force {
            anyhow::bail!(
                "{} already exists; choose another --out or pass --force to replace it",
                args.out.display()
            );
        }
        std::fs::remove_file(&args.out)
            .with_context(|| format!("removing {}", args.out.display()))?;
    }
    let progress = TerminalProgress::new();
    let info = demo::write_project(&args.out, params, &progress, &CancelToken::new())?;
    progress.finish();
    println!(
        "Wrote {}: {} synthetic incidents (seed {}, {}).",
        args.out.display(),
        info.incident_count,
        params.seed,
        info.name
    );
    Ok(Outcome::Success)
}
