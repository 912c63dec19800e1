//! `lagesbild import PROJECT.gpkg FILE...`

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use lagesbild::crs::Crs;
use lagesbild::import::{
    self, Field, Format, ImportError, ImportOptions, ImportReport, RejectsFile,
};
use lagesbild::jobs::CancelToken;
use lagesbild::model::Source;
use lagesbild::store;

use super::Outcome;
use super::args::{FormatArg, ImportArgs};
use super::progress::TerminalProgress;

/// How many rejected rows the text report lists before pointing at --rejects.
const REJECTS_SHOWN: usize = 20;

pub fn run(args: &ImportArgs) -> anyhow::Result<Outcome> {
    let options = options_from_args(args)?;
    // Rejected rows and conflicts go to --rejects as they are found (the
    // reports keep only the first ones); the file is there even when empty
    // (made before the project, so that a bad path leaves no new project).
    let mut rejects = args
        .rejects
        .as_deref()
        .map(RejectsFile::create)
        .transpose()?;
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

    let cancel = CancelToken::new();
    let mut reports = Vec::new();
    let mut file_errors = 0usize;
    let started = Instant::now();
    for file in &args.files {
        let progress = TerminalProgress::new();
        let result = import::import_file_with(
            project.as_mut(),
            file,
            &options,
            rejects.as_mut(),
            &progress,
            &cancel,
        );
        progress.finish();
        match result {
            Ok(report) => {
                if !args.json {
                    print_report(&report, args.rejects.as_deref());
                }
                reports.push(report);
            }
            Err(err @ ImportError::Store(_)) => {
                // The project itself failed: stop here, earlier files stay imported.
                return Err(err).context(format!("importing {}", file.display()));
            }
            Err(err) => {
                file_errors += 1;
                eprintln!("{err}");
            }
        }
    }

    if let Some(rejects) = rejects {
        let path = rejects.path().to_owned();
        let rows = rejects.finish()?;
        if !args.json {
            eprintln!(
                "{rows} rejected row(s) and conflict(s) written to {}",
                path.display()
            );
        }
    }

    // Police events updated in place count as imported for the outcome.
    let imported: u64 = reports.iter().map(|r| r.imported + r.updated).sum();
    if imported > 0 {
        super::refresh_point_cache_after_write(project.as_ref());
    }
    let duplicates: u64 = reports.iter().map(|r| r.duplicates).sum();
    let rejected: u64 = reports.iter().map(|r| r.rejected_total).sum();
    let conflicts: u64 = reports.iter().map(|r| r.conflicts_total).sum();

    if args.json {
        let out = serde_json::json!({
            "project": args.project,
            "files": reports,
            "file_errors": file_errors,
            "imported": imported,
            "duplicates": duplicates,
            "conflicts": conflicts,
            "rejected": rejected,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if args.files.len() > 1 {
        println!(
            "Total: {imported} imported, {duplicates} duplicates, {conflicts} conflicts, {rejected} rejected, {file_errors} file(s) failed ({:.2} s)",
            started.elapsed().as_secs_f64()
        );
    }

    // Nothing new and something went wrong: a failure. All duplicates with
    // nothing wrong (a re-import) is a success.
    let nothing_wrong = file_errors == 0 && rejected == 0 && conflicts == 0;
    if imported == 0 && !nothing_wrong {
        if created {
            drop(project);
            remove_project_file(&args.project);
            eprintln!(
                "Nothing could be imported; {} was not created.",
                args.project.display()
            );
        } else {
            eprintln!("Nothing could be imported; the project is unchanged.");
        }
        return Ok(Outcome::Failed);
    }
    if created && !args.json {
        eprintln!("Created {}", args.project.display());
    }
    Ok(Outcome::Success)
}

fn options_from_args(args: &ImportArgs) -> anyhow::Result<ImportOptions> {
    let crs = args
        .crs
        .as_deref()
        .map(Crs::parse)
        .transpose()
        .context("--crs")?;
    let mut column_map = Vec::new();
    for m in &args.map {
        let (column, field) = m
            .split_once('=')
            .with_context(|| format!("--map {m:?}: expected COLUMN=FIELD"))?;
        let field: Field = field
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--map {m:?}: {e}"))?;
        column_map.push((column.trim().to_owned(), field));
    }
    let default_source = match args.default_source.as_deref() {
        None => None,
        Some(s) => Some(
            Source::from_key(s)
                .or_else(|| Source::parse_loose(s))
                .with_context(|| {
                    format!("--default-source {s:?}: unknown source; known: polis, trygghetsvard, skola, socialtjanst, raddningstjanst, medborgare, ovrigt")
                })?,
        ),
    };
    Ok(ImportOptions {
        format: args.format.map(|f| match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Geojson => Format::GeoJson,
            FormatArg::Polisen => Format::Polisen,
            FormatArg::Gpkg => Format::GeoPackage,
        }),
        crs,
        column_map,
        default_source,
        strict: args.strict,
        layer: args.layer.clone(),
    })
}

/// Prints one file's report: the counts, the notes, and the first
/// [`REJECTS_SHOWN`] conflicts and rejected rows, saying where the rest are
/// (`rejects`, the `--rejects` file) or how to keep them.
fn print_report(r: &ImportReport, rejects: Option<&Path>) {
    let secs = r.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        format!(", {:.0} rows/s", r.imported as f64 / secs)
    } else {
        String::new()
    };
    println!(
        "{} ({}): {} imported, {} duplicates, {} conflicts, {} rejected ({secs:.2} s{rate})",
        r.path.display(),
        r.format.name(),
        r.imported,
        r.duplicates,
        r.conflicts_total,
        r.rejected_total,
    );
    if r.format == Format::Polisen {
        println!(
            "  {} updated (edited by the Police since stored), {} summar(y/ies) and notice(s) kept apart from the incidents",
            r.updated, r.summaries
        );
    }
    for note in &r.notes {
        println!("  note: {note}");
    }
    for c in r.conflicts.iter().take(REJECTS_SHOWN) {
        println!(
            "  conflict: {}:{}: id {:?} is stored as incident {} but {}",
            r.path.display(),
            c.line,
            c.external_id,
            c.fid,
            c.reason
        );
    }
    print_more(r.conflicts_total, "conflicts", rejects);
    for e in r.rejected.iter().take(REJECTS_SHOWN) {
        println!("  rejected: {e}");
    }
    print_more(r.rejected_total, "rejected rows", rejects);
}

/// "… and M more …" when more than [`REJECTS_SHOWN`] of `total` were found.
fn print_more(total: u64, what: &str, rejects: Option<&Path>) {
    let Some(more) = total.checked_sub(REJECTS_SHOWN as u64).filter(|&m| m > 0) else {
        return;
    };
    match rejects {
        Some(file) => println!("  … and {more} more {what} in {}", file.display()),
        None => println!("  … and {more} more {what} (use --rejects FILE to keep them all)"),
    }
}

fn remove_project_file(path: &Path) {
    if let Err(err) = std::fs::remove_file(path) {
        eprintln!("could not remove {}: {err}", path.display());
    }
}
