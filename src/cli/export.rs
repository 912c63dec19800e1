//! `lagesbild export PROJECT --out FILE` (incidents one by one, chosen fields
//! only), `lagesbild exports PROJECT` (the export log), and
//! [`record`], which every exporting command calls once its file is written.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use lagesbild::export::incidents::{self, IncidentField};
use lagesbild::export::{Layer, MadeFrom};
use lagesbild::jobs::CancelToken;
use lagesbild::store::export_log::ExportRecord;
use serde_json::json;

use super::args::FilterArgs;
use super::{Outcome, filter_from_args, open_existing};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep incidents with a coarse position (left out by default).
    #[arg(long)]
    pub include_coarse: bool,
    /// Also write the free-text descriptions (left out by default; the
    /// export log records that they were written).
    #[arg(long)]
    pub with_descriptions: bool,
    /// Also write this sensitive field (repeatable): description,
    /// category_text, source_text, external_id, import_file.
    #[arg(long = "with-field", value_name = "FIELD")]
    pub with_field: Vec<String>,
    /// Table name when writing a GeoPackage.
    #[arg(long, value_name = "NAME", default_value = "incidents")]
    pub layer: String,
    /// incidents.csv, .geojson or .gpkg; the extension picks the format.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportsArgs {
    /// The project file (.gpkg).
    pub project: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `lagesbild export`.
pub fn run_export(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let mut extra = Vec::new();
    if args.with_descriptions {
        extra.push(IncidentField::Description);
    }
    for name in &args.with_field {
        for part in name.split(',').filter(|p| !p.trim().is_empty()) {
            let field =
                IncidentField::parse(part).map_err(|e| anyhow::anyhow!("--with-field: {e}"))?;
            extra.push(field);
        }
    }
    let fields = incidents::fields_with(&extra);
    let filter = filter_from_args(&args.filter)?;
    let mut project = open_existing(&args.project)?;
    let info = project.info()?;
    let all = project.incidents(&filter, &CancelToken::new())?;
    let total = all.len();
    let chosen: Vec<_> = all
        .into_iter()
        .filter(|i| args.include_coarse || !i.is_coarse())
        .collect();
    let coarse_excluded = total - chosen.len();
    let names: Vec<String> = fields.iter().map(|f| f.key().to_owned()).collect();
    let made_from = MadeFrom {
        project: info.name.clone(),
        synthetic: info.synthetic,
        filter: filter.describe(),
        period: lagesbild::export::period(chosen.iter().map(|i| i.occurred_at)),
        incidents: chosen.len(),
        coarse_excluded,
        parameters: json!({"analysis": "incidents", "fields": names}),
        made_by: lagesbild::APP_NAME_VERSION.to_owned(),
    };
    let n = incidents::write(&chosen, &fields, made_from, &args.out, &args.layer)?;
    let mut logged = vec!["lon".to_owned(), "lat".to_owned()];
    logged.extend(names);
    project
        .log_export(&ExportRecord::now("export", &args.out, &logged))
        .context("recording the export in the export log")?;
    println!(
        "Wrote {} incidents to {} ({}{})",
        n,
        args.out.display(),
        logged.join(", "),
        if coarse_excluded > 0 {
            format!("; {coarse_excluded} with a coarse position left out")
        } else {
            String::new()
        }
    );
    if !extra.is_empty() {
        println!("The file holds sensitive fields: keep it inside the unit.");
    }
    Ok(Outcome::Success)
}

/// `lagesbild exports`.
pub fn run_exports(args: &ExportsArgs) -> anyhow::Result<Outcome> {
    let project = open_existing(&args.project)?;
    let log = project.export_log()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&log)?)?;
        return Ok(Outcome::Success);
    }
    if log.is_empty() {
        writeln!(out, "No exports recorded.")?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "{:<17}  {:<12}  {:<10}  {:<24}  fields",
        "when", "what", "login", "file"
    )?;
    for r in &log {
        writeln!(
            out,
            "{:<17}  {:<12}  {:<10}  {:<24}  {}",
            lagesbild::model::time::local(r.at).format("%Y-%m-%d %H:%M"),
            r.what,
            r.login.as_deref().unwrap_or("-"),
            r.file,
            r.fields.join(",")
        )?;
    }
    Ok(Outcome::Success)
}

/// Records an export of `out` by the command `what` in `project`'s export
/// log. Called after the file is written; a failure is an error of the
/// command (an export that cannot be logged is not silently allowed).
pub fn record(project: &Path, what: &str, out: &Path, fields: &[String]) -> anyhow::Result<()> {
    lagesbild::export::record_export(project, what, out, fields)
        .context("recording the export in the export log")
}

/// [`record`] in the command's open project (the one it read from).
pub fn record_in(
    project: &mut dyn lagesbild::store::Store,
    what: &str,
    out: &Path,
    fields: &[String],
) -> anyhow::Result<()> {
    lagesbild::export::record_export_in(project, what, out, fields)
        .context("recording the export in the export log")
}

/// The property names of a layer, in first-seen order.
pub fn layer_fields(layer: &Layer) -> Vec<String> {
    layer.property_names()
}
