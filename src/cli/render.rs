//! `lagesbild render`: the map as a PNG, without a window.

use std::path::PathBuf;

use anyhow::Context as _;
use lagesbild::gui::i18n::Language;
use lagesbild::gui::map::tiles::{SourceKind, TileCatalog};
use lagesbild::jobs::CancelToken;
use lagesbild::render::{self, Basemap, PictureSpec};

use super::Outcome;
use super::args::RenderArgs;
use super::progress::TerminalProgress;

pub fn run(args: &RenderArgs) -> anyhow::Result<Outcome> {
    if !args.project.exists() {
        anyhow::bail!("{}: no such project file", args.project.display());
    }
    let (width_px, height_px) = parse_size(&args.size)?;
    let lang = parse_lang(&args.lang)?;
    let basemap = match &args.basemap {
        None => Basemap::Plain,
        Some(b) => resolve_basemap(b, args.tile_cache.as_deref())?,
    };
    let mut spec = PictureSpec {
        width_px,
        height_px,
        pixels_per_point: args.scale,
        lang,
        filter: super::filter_from_args(&args.filter)?,
        view: None,
        basemap,
        title: args.title.clone(),
        analysis: (!args.no_analysis).then(Default::default),
        layers: None,
    };
    if let Some(name) = &args.view {
        let store = lagesbild::store::open(args.project.as_path())?;
        let views = store.views()?;
        let Some(view) = views.iter().find(|v| &v.title == name) else {
            let titles: Vec<&str> = views.iter().map(|v| v.title.as_str()).collect();
            anyhow::bail!(
                "--view {name:?}: the project has no saved view of that title (views: {})",
                if titles.is_empty() {
                    "none".to_owned()
                } else {
                    titles.join(", ")
                }
            );
        };
        spec.apply_view(view);
        if let Some(title) = &args.title {
            spec.title = Some(title.clone());
        }
        if has_filter(&args.filter) {
            spec.filter = super::filter_from_args(&args.filter)?;
        }
    }
    render::map::check_spec(&spec)?;
    let progress = TerminalProgress::new();
    let result = render::render_to_png(
        &args.project,
        &spec,
        &args.out,
        &progress,
        &CancelToken::new(),
    );
    progress.finish();
    result.with_context(|| format!("render {}", args.project.display()))?;
    super::export::record(
        &args.project,
        "render",
        &args.out,
        &["map picture".to_owned()],
    )?;
    println!("{}: {width_px}×{height_px} px", args.out.display());
    Ok(Outcome::Success)
}

/// `lagesbild report`: the PDF lägesbild.
pub fn run_report(args: &super::args::ReportArgs) -> anyhow::Result<Outcome> {
    use lagesbild::model::Filter;
    if !args.project.exists() {
        anyhow::bail!("{}: no such project file", args.project.display());
    }
    let today = chrono::Local::now().date_naive();
    let mut options = lagesbild::report::ReportOptions::new(today);
    options.from = args.from.as_deref().map(Filter::parse_date).transpose()?;
    options.to = args.to.as_deref().map(Filter::parse_date).transpose()?;
    options.area = args.area.clone();
    if args.min_count == 0 {
        anyhow::bail!("--min-count 0: must be at least 1");
    }
    options.small_count = args.min_count;
    let progress = TerminalProgress::new();
    let result = lagesbild::report::write_report(
        &args.project,
        &options,
        &args.out,
        &progress,
        &CancelToken::new(),
    );
    progress.finish();
    let summary = result.with_context(|| format!("report {}", args.project.display()))?;
    super::export::record(
        &args.project,
        "report",
        &args.out,
        &["counts".to_owned(), "maps".to_owned()],
    )?;
    println!(
        "{}: {} pages, period {} – {}, {} incidents, {} measures",
        args.out.display(),
        summary.pages,
        summary.from,
        summary.to,
        summary.incidents,
        summary.measures
    );
    Ok(Outcome::Success)
}

/// True when any filter flag was given (they then override a view's filter).
fn has_filter(f: &super::args::FilterArgs) -> bool {
    f.from.is_some()
        || f.to.is_some()
        || f.category.is_some()
        || f.source.is_some()
        || f.hours.is_some()
        || f.weekdays.is_some()
}

/// "1920x1080" (also with × or X).
fn parse_size(text: &str) -> anyhow::Result<(u32, u32)> {
    let bad =
        || anyhow::anyhow!("--size {text:?}: expected WIDTHxHEIGHT in pixels, e.g. 1920x1080");
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    Ok((w, h))
}

fn parse_lang(text: &str) -> anyhow::Result<Language> {
    match text.to_ascii_lowercase().as_str() {
        "sv" | "svenska" | "swedish" => Ok(Language::Swedish),
        "en" | "english" | "engelska" => Ok(Language::English),
        _ => anyhow::bail!("--lang {text:?}: expected sv or en"),
    }
}

/// An `.mbtiles` path, or the name of a source in the tile catalogue: an
/// offline archive, or a tile server read from its tile cache (`cache_dir`,
/// else the app's). A picture never waits for a network: without cached
/// tiles the plain background is drawn, and said so on stderr.
fn resolve_basemap(text: &str, cache_dir: Option<&std::path::Path>) -> anyhow::Result<Basemap> {
    let path = PathBuf::from(text);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mbtiles"))
    {
        if !path.exists() {
            anyhow::bail!("--basemap {}: no such file", path.display());
        }
        return Ok(Basemap::MbTiles(path));
    }
    let catalog = TileCatalog::discover();
    let Some(source) = catalog.sources.iter().find(|s| s.name == text) else {
        let names: Vec<&str> = catalog.sources.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!(
            "--basemap {text:?}: not an .mbtiles file nor a map source (sources: {})",
            names.join(", ")
        );
    };
    match &source.kind {
        SourceKind::MbTiles { path } => Ok(Basemap::MbTiles(path.clone())),
        SourceKind::Xyz { url, subdomains } => {
            let dir = match cache_dir {
                Some(d) => d.to_owned(),
                None => lagesbild::gui::map::tiles::default_cache_root()
                    .map(|r| r.join(lagesbild::gui::map::tiles::cache_dir_name(&source.name)))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--basemap {text:?}: this system has no user cache folder; give --tile-cache DIR"
                        )
                    })?,
            };
            if !dir.join("index-v5").is_dir() {
                eprintln!(
                    "note: {}: no cached tiles of {text:?} (the app caches what it shows); \
                     the plain background is drawn",
                    dir.display()
                );
                return Ok(Basemap::Plain);
            }
            Ok(Basemap::TileCache {
                dir,
                template: url.clone(),
                subdomains: subdomains.clone(),
                attribution: source.attribution.clone(),
                attribution_url: source.attribution_url.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_size("1920x1080").unwrap(), (1920, 1080));
        assert_eq!(parse_size("800×600").unwrap(), (800, 600));
        assert!(parse_size("1920").is_err());
        assert!(parse_size("ax1").is_err());
    }
}
