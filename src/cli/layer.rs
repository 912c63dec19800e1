//! `lagesbild layer add PROJECT FILE.geojson|FILE.gpkg [--name NAME]`,
//! `lagesbild layer list PROJECT [--json]`, `lagesbild layer remove PROJECT NAME`.
//!
//! Map layers are feature tables of the project (see
//! [`lagesbild::store::layers`]); this module only reads the file, calls the
//! store and prints.

use std::io::Write as _;

use lagesbild::import::layer_file::read_layer_file;
use lagesbild::store;
use serde_json::json;

use super::Outcome;
use super::args::{LayerArgs, LayerCommand};

pub fn run(args: &LayerArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        LayerCommand::Add {
            project,
            file,
            name,
        } => {
            let sets = read_layer_file(file, name.as_deref())?;
            let mut store = store::open(project.as_path())?;
            let before: Vec<String> = store.layers()?.into_iter().map(|l| l.name).collect();
            let source = file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            store.add_layers(&sets, &source)?;
            let mut out = std::io::stdout().lock();
            for set in &sets {
                let verb = if before.contains(&set.name) {
                    "replaced"
                } else {
                    "added"
                };
                writeln!(
                    out,
                    "{verb} layer {:?}: {} feature(s)",
                    set.name,
                    set.features.len()
                )?;
            }
            Ok(Outcome::Success)
        }
        LayerCommand::List { project, json } => {
            let store = store::open(project.as_path())?;
            let layers = store.layers()?;
            let mut out = std::io::stdout().lock();
            if *json {
                let value: Vec<_> = layers
                    .iter()
                    .map(|l| {
                        json!({
                            "name": l.name,
                            "geometry_type": l.geometry_type,
                            "features": l.feature_count,
                            "columns": l.columns,
                            "color": l.style.color_hex(),
                            "opacity": l.style.opacity,
                            "visible": l.style.visible,
                            "order": l.style.order,
                            "source": l.source,
                        })
                    })
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
                return Ok(Outcome::Success);
            }
            if layers.is_empty() {
                writeln!(out, "no map layers")?;
            }
            for l in &layers {
                writeln!(
                    out,
                    "{}\t{}\t{} feature(s)\t{}\t{}\topacity {:.2}\tcolumns: {}",
                    l.name,
                    l.geometry_type,
                    l.feature_count,
                    l.style.color_hex(),
                    if l.style.visible { "visible" } else { "hidden" },
                    l.style.opacity,
                    l.columns.join(", ")
                )?;
            }
            Ok(Outcome::Success)
        }
        LayerCommand::Remove { project, name } => {
            let mut store = store::open(project.as_path())?;
            if store.remove_layer(name)? {
                println!("removed layer {name:?}");
                return Ok(Outcome::Success);
            }
            let names: Vec<String> = store
                .layers()?
                .into_iter()
                .map(|l| format!("{:?}", l.name))
                .collect();
            eprintln!(
                "lagesbild: {}: no map layer named {name:?} (layers: {})",
                project.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            );
            Ok(Outcome::Failed)
        }
    }
}
