//! `lagesbild view list PROJECT [--json]`,
//! `lagesbild view export PROJECT [--name NAME] --out FILE.json`,
//! `lagesbild view import PROJECT FILE.json`,
//! `lagesbild view remove PROJECT NAME`,
//! `lagesbild view rename PROJECT NAME NEW`.
//!
//! Saved views live in the project (see [`lagesbild::model::view`]); this
//! module reads and writes the view file, calls the store and prints.

use std::io::Write as _;

use anyhow::Context as _;
use lagesbild::model::view::ViewFile;
use lagesbild::store;

use super::Outcome;
use super::args::{ViewArgs, ViewCommand};

pub fn run(args: &ViewArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        ViewCommand::List { project, json } => {
            let views = store::open(project.as_path())?.views()?;
            let mut out = std::io::stdout().lock();
            if *json {
                write!(out, "{}", ViewFile::new(views).to_json())?;
            } else if views.is_empty() {
                writeln!(out, "no saved views")?;
            } else {
                for (i, v) in views.iter().enumerate() {
                    let shown = v.layers.iter().filter(|l| l.visible).count();
                    let c = v.extent.center();
                    writeln!(
                        out,
                        "{:>2}. {}  (centre {:.4}° N {:.4}° E, {} layer(s) shown{})",
                        i + 1,
                        v.title,
                        c.lat,
                        c.lon,
                        shown,
                        if v.filter.is_empty() {
                            ""
                        } else {
                            ", filtered"
                        }
                    )?;
                }
            }
            Ok(Outcome::Success)
        }
        ViewCommand::Export { project, name, out } => {
            let mut views = store::open(project.as_path())?.views()?;
            if let Some(name) = name {
                views.retain(|v| &v.title == name);
                if views.is_empty() {
                    anyhow::bail!("{}: no saved view titled {name:?}", project.display());
                }
            }
            let n = views.len();
            std::fs::write(out, ViewFile::new(views).to_json())
                .with_context(|| format!("{}: could not write", out.display()))?;
            super::export::record(project, "view export", out, &["views".to_owned()])?;
            println!("wrote {n} view(s) to {}", out.display());
            Ok(Outcome::Success)
        }
        ViewCommand::Import { project, file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("{}: could not read", file.display()))?;
            let views = ViewFile::from_json(&text)
                .with_context(|| format!("{}", file.display()))?
                .views;
            let mut store = store::open(project.as_path())?;
            let before: Vec<String> = store.views()?.into_iter().map(|v| v.title).collect();
            store.put_views(&views)?;
            let mut out = std::io::stdout().lock();
            for v in &views {
                let verb = if before.contains(&v.title) {
                    "replaced"
                } else {
                    "added"
                };
                writeln!(out, "{verb} view {:?}", v.title)?;
            }
            Ok(Outcome::Success)
        }
        ViewCommand::Remove { project, name } => {
            let mut store = store::open(project.as_path())?;
            if !store.remove_view(name)? {
                anyhow::bail!(
                    "{}: no saved view titled {name:?} (see `lagesbild view list`)",
                    project.display()
                );
            }
            println!("removed view {name:?}");
            Ok(Outcome::Success)
        }
        ViewCommand::Rename { project, name, new } => {
            let mut store = store::open(project.as_path())?;
            let mut views = store.views()?;
            let new = new.trim();
            if views.iter().any(|v| v.title == new && v.title != *name) {
                anyhow::bail!(
                    "{}: a view titled {new:?} exists already",
                    project.display()
                );
            }
            let Some(view) = views.iter_mut().find(|v| v.title == *name) else {
                anyhow::bail!(
                    "{}: no saved view titled {name:?} (see `lagesbild view list`)",
                    project.display()
                );
            };
            view.title = new.to_owned();
            store.replace_views(&views)?;
            println!("renamed view {name:?} to {new:?}");
            Ok(Outcome::Success)
        }
    }
}
