//! The background map catalogue `maps/tiles.toml`: its entries ([`TileSourceConfig`])
//! and the parser that checks them ([`parse_tiles_toml`]). Plain data and text, no
//! egui: the app's tile manager (`gui::map::tiles`) builds its sources from these, and
//! the fuzz target `tiles_toml` feeds the parser arbitrary text.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// Deepest zoom level a source may declare.
const MAX_ZOOM_LIMIT: u8 = 22;

/// Where a source's tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A tile server; `url` has `{z}`, `{x}`, `{y}` and maybe `{s}` (one of `subdomains`).
    Xyz {
        url: String,
        subdomains: Vec<String>,
    },
    /// An MBTiles archive (absolute path, resolved against the maps folder).
    MbTiles { path: PathBuf },
}

/// One entry of `maps/tiles.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSourceConfig {
    pub name: String,
    pub kind: SourceKind,
    /// Always shown on the map; for MBTiles it may come from the archive's metadata.
    pub attribution: String,
    pub attribution_url: String,
    pub max_zoom: u8,
    /// Whether the source's terms allow downloading an area for offline use.
    pub allow_area_download: bool,
}

impl TileSourceConfig {
    /// The built-in OpenStreetMap entry, used when `tiles.toml` is broken.
    pub fn openstreetmap() -> Self {
        Self {
            name: "OpenStreetMap".to_owned(),
            kind: SourceKind::Xyz {
                url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".to_owned(),
                subdomains: Vec::new(),
            },
            attribution: "© OpenStreetMap contributors".to_owned(),
            attribution_url: "https://www.openstreetmap.org/copyright".to_owned(),
            max_zoom: 19,
            allow_area_download: false,
        }
    }
}

/// Why `tiles.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TilesConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Invalid {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    /// Size limit of all tile caches together, in MB (the app's tile cache).
    #[serde(default)]
    cache_max_mb: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawKind {
    Xyz,
    Mbtiles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: RawKind,
    url: Option<String>,
    subdomains: Option<Vec<String>>,
    path: Option<PathBuf>,
    attribution: Option<String>,
    attribution_url: Option<String>,
    max_zoom: Option<u8>,
    #[serde(default)]
    allow_area_download: bool,
}

/// Parses and checks the text of a `tiles.toml`; `path` is only for messages.
pub fn parse_tiles_toml(
    text: &str,
    path: &Path,
    maps_dir: &Path,
) -> Result<Vec<TileSourceConfig>, TilesConfigError> {
    let invalid = |offset: usize, reason: String| TilesConfigError::Invalid {
        path: path.to_owned(),
        line: line_of(text, offset),
        reason,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        invalid(offset, e.message().trim().to_owned())
    })?;
    if raw.cache_max_mb == Some(0) {
        let offset = text.find("cache_max_mb").unwrap_or(0);
        return Err(invalid(
            offset,
            "cache_max_mb must be at least 1 (megabytes of tile cache)".to_owned(),
        ));
    }
    if raw.source.is_empty() {
        return Err(invalid(
            0,
            "no [[source]] entries: at least one map source is needed".to_owned(),
        ));
    }
    let mut sources: Vec<TileSourceConfig> = Vec::with_capacity(raw.source.len());
    for spanned in raw.source {
        let at = spanned.span().start;
        let raw = spanned.into_inner();
        let name = raw.name.trim().to_owned();
        if name.is_empty() {
            return Err(invalid(at, "name is empty".to_owned()));
        }
        if sources.iter().any(|s| s.name == name) {
            return Err(invalid(
                at,
                format!("a source named {name:?} is listed twice"),
            ));
        }
        let max_zoom = raw.max_zoom.unwrap_or(19);
        if max_zoom > MAX_ZOOM_LIMIT {
            return Err(invalid(
                at,
                format!("{name:?}: max_zoom {max_zoom} is above {MAX_ZOOM_LIMIT}"),
            ));
        }
        let kind = match raw.kind {
            RawKind::Xyz => {
                if raw.path.is_some() {
                    return Err(invalid(
                        at,
                        format!(
                            "{name:?}: `path` is for kind = \"mbtiles\"; a tile server needs `url`"
                        ),
                    ));
                }
                let Some(url) = raw.url else {
                    return Err(invalid(
                        at,
                        format!("{name:?}: kind = \"xyz\" needs a `url`"),
                    ));
                };
                let subdomains = raw.subdomains.unwrap_or_default();
                check_url_template(&url, &subdomains)
                    .map_err(|r| invalid(at, format!("{name:?}: {r}")))?;
                if raw
                    .attribution
                    .as_deref()
                    .is_none_or(|a| a.trim().is_empty())
                {
                    return Err(invalid(
                        at,
                        format!(
                            "{name:?}: a tile server needs an `attribution` (its licence asks for it)"
                        ),
                    ));
                }
                if raw.allow_area_download && is_openstreetmap_server(&url) {
                    return Err(invalid(
                        at,
                        format!(
                            "{name:?}: OpenStreetMap's tile usage policy forbids area downloads; set allow_area_download = false"
                        ),
                    ));
                }
                SourceKind::Xyz { url, subdomains }
            }
            RawKind::Mbtiles => {
                if raw.url.is_some() {
                    return Err(invalid(
                        at,
                        format!("{name:?}: `url` is for kind = \"xyz\"; an archive needs `path`"),
                    ));
                }
                let Some(rel) = raw.path else {
                    return Err(invalid(
                        at,
                        format!("{name:?}: kind = \"mbtiles\" needs a `path`"),
                    ));
                };
                SourceKind::MbTiles {
                    path: maps_dir.join(rel),
                }
            }
        };
        sources.push(TileSourceConfig {
            name,
            kind,
            attribution: raw.attribution.unwrap_or_default().trim().to_owned(),
            attribution_url: raw.attribution_url.unwrap_or_default().trim().to_owned(),
            max_zoom,
            allow_area_download: raw.allow_area_download,
        });
    }
    Ok(sources)
}

fn check_url_template(url: &str, subdomains: &[String]) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("url {url:?} must start with https:// or http://"));
    }
    for part in ["{z}", "{x}", "{y}"] {
        if !url.contains(part) {
            return Err(format!("url {url:?} lacks {part}"));
        }
    }
    if url.contains("{s}") && subdomains.is_empty() {
        return Err(format!(
            "url {url:?} has {{s}} but no `subdomains` are listed"
        ));
    }
    Ok(())
}

fn is_openstreetmap_server(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    host == "openstreetmap.org" || host.ends_with(".openstreetmap.org")
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
