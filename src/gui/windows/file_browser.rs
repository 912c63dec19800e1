//! A small in-app file browser for opening projects and choosing files to
//! import or export. It works the same on every platform and under test
//! (no system dialog, no portal), and remembers its folder.

use std::path::{Path, PathBuf};

use crate::gui::i18n::{Key, Language, tr};

/// What the browser is for; decides the file filter and the button label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An existing project (.gpkg).
    OpenProject,
    /// A new project file name (.gpkg), which must not exist.
    NewProject,
    /// One or more files to import (.csv, .txt, .tsv, .geojson, .json, and
    /// .gpkg: a GeoPackage layer, through its own dialog).
    Import,
    /// A GeoJSON file of shapes to add to the project as a map layer.
    AddLayer,
    /// A GeoJSON file of polygons to use as the study area.
    StudyArea,
    /// A file name to export to (typed or picked); an existing file is
    /// refused, except a GeoPackage, which gets the layer added.
    SaveAs(crate::gui::analysis::ExportTarget),
    /// A walking network for a route draft (.osm.pbf, .geojson).
    WalkingNetwork,
}

impl Purpose {
    fn accepts(self, path: &Path) -> bool {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match self {
            Purpose::OpenProject | Purpose::NewProject => ext == "gpkg",
            Purpose::Import => {
                matches!(
                    ext.as_str(),
                    "csv" | "txt" | "tsv" | "geojson" | "json" | "gpkg"
                )
            }
            Purpose::AddLayer => matches!(ext.as_str(), "geojson" | "json" | "gpkg"),
            Purpose::StudyArea => matches!(ext.as_str(), "geojson" | "json"),
            Purpose::WalkingNetwork => matches!(ext.as_str(), "pbf" | "geojson" | "json"),
            Purpose::SaveAs(target) => {
                let kind = crate::export::OutputKind::from_path;
                kind(path).is_some()
                    && kind(path) == kind(Path::new(&format!("x.{}", target.extension())))
            }
        }
    }

    /// Types a file name: a new project or an export.
    fn names_a_file(self) -> bool {
        matches!(self, Purpose::NewProject | Purpose::SaveAs(_))
    }
}

/// The browser's state. Show it with [`FileBrowser::show`] while `is_open()`.
pub struct FileBrowser {
    purpose: Purpose,
    dir: PathBuf,
    entries: Vec<(PathBuf, bool)>,
    selected: Vec<PathBuf>,
    file_name: String,
    error: Option<String>,
    open: bool,
}

impl FileBrowser {
    /// Opens a browser in `dir` (falls back to the home directory).
    pub fn new(purpose: Purpose, dir: Option<PathBuf>) -> FileBrowser {
        let dir = dir
            .filter(|d| d.is_dir())
            .or_else(dirs::home_dir)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut b = FileBrowser {
            purpose,
            dir,
            entries: Vec::new(),
            selected: Vec::new(),
            file_name: match purpose {
                Purpose::NewProject => "projekt.gpkg".to_owned(),
                Purpose::SaveAs(target) => target.default_file_name(),
                _ => String::new(),
            },
            error: None,
            open: true,
        };
        b.refresh();
        b
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The current folder (to remember for next time).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn refresh(&mut self) {
        self.entries.clear();
        self.selected.clear();
        self.error = None;
        match std::fs::read_dir(&self.dir) {
            Ok(read) => {
                for entry in read.flatten() {
                    let path = entry.path();
                    let hidden = path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                    if hidden {
                        continue;
                    }
                    let is_dir = path.is_dir();
                    if is_dir || self.purpose.accepts(&path) {
                        self.entries.push((path, is_dir));
                    }
                }
                self.entries.sort_by(|a, b| {
                    b.1.cmp(&a.1).then_with(|| {
                        a.0.file_name()
                            .map(|n| n.to_string_lossy().to_lowercase())
                            .cmp(&b.0.file_name().map(|n| n.to_string_lossy().to_lowercase()))
                    })
                });
            }
            Err(err) => self.error = Some(format!("{}: {err}", self.dir.display())),
        }
    }

    fn enter(&mut self, dir: PathBuf) {
        self.dir = dir;
        self.refresh();
    }

    /// Draws the browser window. Returns the chosen paths once the user
    /// confirms (the window then closes).
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) -> Option<Vec<PathBuf>> {
        let title = match self.purpose {
            Purpose::OpenProject => tr(lang, Key::OpenProjectTitle),
            Purpose::NewProject => tr(lang, Key::NewProjectTitle),
            Purpose::Import => tr(lang, Key::ImportTitle),
            Purpose::AddLayer => tr(lang, Key::AddShapeLayerTitle),
            Purpose::StudyArea => tr(lang, Key::StudyAreaTitle),
            Purpose::SaveAs(_) => tr(lang, Key::SaveAsTitle),
            Purpose::WalkingNetwork => {
                crate::gui::plan::text::tr(lang, crate::gui::plan::text::T::NetworkTitle)
            }
        };
        let mut open = self.open;
        let mut chosen = None;
        egui::Window::new(title)
            .open(&mut open)
            .collapsible(false)
            .default_size([560.0, 420.0])
            .show(ctx, |ui| chosen = self.contents_ui(ui, lang));
        self.open = open && chosen.is_none();
        chosen
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, lang: Language) -> Option<Vec<PathBuf>> {
        let mut go_to: Option<PathBuf> = None;
        ui.horizontal(|ui| {
            if ui.button(tr(lang, Key::ParentFolder)).clicked()
                && let Some(parent) = self.dir.parent()
            {
                go_to = Some(parent.to_path_buf());
            }
            if ui.button(tr(lang, Key::HomeFolder)).clicked()
                && let Some(home) = dirs::home_dir()
            {
                go_to = Some(home);
            }
            ui.label(self.dir.display().to_string());
        });
        ui.separator();
        let mut confirm_one: Option<PathBuf> = None;
        egui::ScrollArea::vertical()
            .max_height(280.0)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(err) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, err);
                }
                if self.entries.is_empty() && self.error.is_none() {
                    ui.weak(tr(lang, Key::NoMatchingFiles));
                }
                for (path, is_dir) in &self.entries {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let label = if *is_dir {
                        format!("{name}/")
                    } else {
                        name.clone()
                    };
                    let is_selected = self.selected.contains(path);
                    let response = ui.selectable_label(is_selected, label);
                    if response.double_clicked() {
                        if *is_dir {
                            go_to = Some(path.clone());
                        } else {
                            confirm_one = Some(path.clone());
                        }
                    } else if response.clicked() && !*is_dir {
                        let multi = ui.input(|i| i.modifiers.command || i.modifiers.shift)
                            && self.purpose == Purpose::Import;
                        if !multi {
                            self.selected.clear();
                        }
                        if is_selected && multi {
                            self.selected.retain(|p| p != path);
                        } else {
                            self.selected.push(path.clone());
                        }
                        if self.purpose.names_a_file() {
                            self.file_name = name;
                        }
                    } else if response.clicked() {
                        go_to = Some(path.clone());
                    }
                }
            });
        if let Some(dir) = go_to {
            self.enter(dir);
            return None;
        }
        if let Some(path) = confirm_one {
            return self.confirm(vec![path], lang);
        }
        ui.separator();
        if self.purpose.names_a_file() {
            ui.horizontal(|ui| {
                ui.label(tr(lang, Key::FileName));
                ui.text_edit_singleline(&mut self.file_name);
            });
        }
        let mut result = None;
        ui.horizontal(|ui| {
            let label = match self.purpose {
                Purpose::OpenProject => tr(lang, Key::Open),
                Purpose::NewProject => tr(lang, Key::Create),
                Purpose::Import => tr(lang, Key::ImportButton),
                Purpose::AddLayer => tr(lang, Key::AddLayerButton),
                Purpose::StudyArea | Purpose::WalkingNetwork => tr(lang, Key::Open),
                Purpose::SaveAs(_) => tr(lang, Key::Save),
            };
            let ready = match self.purpose {
                Purpose::NewProject | Purpose::SaveAs(_) => !self.file_name.trim().is_empty(),
                _ => !self.selected.is_empty(),
            };
            if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
                let paths = match self.purpose {
                    Purpose::NewProject => {
                        let mut name = self.file_name.trim().to_owned();
                        if !name.to_ascii_lowercase().ends_with(".gpkg") {
                            name.push_str(".gpkg");
                        }
                        vec![self.dir.join(name)]
                    }
                    Purpose::SaveAs(target) => {
                        vec![target.with_extension(&self.dir.join(self.file_name.trim()))]
                    }
                    _ => self.selected.clone(),
                };
                result = self.confirm(paths, lang);
            }
            if ui.button(tr(lang, Key::Cancel)).clicked() {
                self.open = false;
            }
        });
        result
    }

    fn confirm(&mut self, paths: Vec<PathBuf>, lang: Language) -> Option<Vec<PathBuf>> {
        if self.purpose == Purpose::NewProject
            && let Some(p) = paths.first()
            && p.exists()
        {
            self.error = Some(format!("{}: {}", p.display(), tr(lang, Key::AlreadyExists)));
            return None;
        }
        if let Purpose::SaveAs(target) = self.purpose
            && let Some(p) = paths.first()
            && p.exists()
            && target.extension() != "gpkg"
        {
            self.error = Some(format!("{}: {}", p.display(), tr(lang, Key::AlreadyExists)));
            return None;
        }
        Some(paths)
    }
}
