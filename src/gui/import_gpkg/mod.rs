//! A GeoPackage that is not a Lägesbild project (QGIS, `ogr2ogr`) offered as
//! incidents: when Arkiv → Öppna meets one, or it is imported or dropped on
//! the window, this dialog lists its point layers (feature counts, the other
//! layers named), lets the user pick one and say which column is read as
//! which incident field (time, date, category, place, description …, the
//! importer's own guesses preselected), and imports it into the open project
//! or a new one, on a worker with progress and cancel. The import itself is
//! the CLI's (`lagesbild import … --layer NAME --map COLUMN=FIELD`, through
//! [`crate::import::import_file`]): one transaction, the same report.
//!
//! The file is read on workers only: [`crate::import::gpkg_layer::inspect`]
//! for the layers and columns, the import for the rows. A new project that
//! ends up holding nothing (the import failed, was cancelled or read no row)
//! is removed again, so no empty project is left behind.

pub mod text;

use std::path::{Path, PathBuf};

use crate::gui::i18n::Language;
use crate::gui::tasks::{Task, TaskProgress};
use crate::import::gpkg_layer::{self, GpkgSummary};
use crate::import::{Field, Format, ImportOptions, ImportReport};
use crate::jobs::CancelToken;
use crate::store::{self, StoreError};
use text::{Key, tr};

/// The fields a column can be read as, in the order the list shows them;
/// `None` is "not read". Positions come from the layer's geometry.
pub const OFFERED_FIELDS: [Option<Field>; 10] = [
    None,
    Some(Field::OccurredAt),
    Some(Field::Date),
    Some(Field::Time),
    Some(Field::Category),
    Some(Field::Source),
    Some(Field::Place),
    Some(Field::Description),
    Some(Field::Id),
    Some(Field::Precision),
];

/// Where the incidents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The project the app has open.
    Current,
    /// A new project file (the dialog's "Nytt projekts fil").
    New,
}

/// What the load task says when asked to open a foreign GeoPackage with a
/// point layer, so that the app offers this dialog instead of an error.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct ForeignGeoPackage {
    pub path: PathBuf,
    /// Why it is no project, as the store said it.
    pub reason: String,
}

/// The error of opening `path` as a project: a [`ForeignGeoPackage`] when
/// the store found no project there but a GeoPackage with a point layer,
/// else the store's own error. Reads the file (call it on a worker).
pub fn open_error(path: &Path, err: StoreError) -> anyhow::Error {
    if let StoreError::NotAProject { reason, .. } = &err
        && let Ok(summary) = gpkg_layer::inspect(path)
        && !summary.is_project
        && !summary.point_layers.is_empty()
    {
        return ForeignGeoPackage {
            path: path.to_owned(),
            reason: reason.clone(),
        }
        .into();
    }
    err.into()
}

/// A finished import.
#[derive(Debug)]
pub struct Finished {
    pub report: ImportReport,
    /// The project imported into, to open or reload; `None` when a new
    /// project got nothing and was removed again.
    pub project: Option<PathBuf>,
}

/// What the dialog asks the app to do.
#[derive(Debug)]
pub enum Event {
    /// The import ended: show its report, open or reload the project.
    Imported(Finished),
    /// The file is a Lägesbild project after all: open it.
    Open(PathBuf),
}

/// What the inspection worker found: the summary and a free name for a new
/// project beside the file.
struct Inspected {
    summary: GpkgSummary,
    new_file: PathBuf,
}

/// The dialog's state; show it with [`GpkgImportDialog::show`] while
/// [`GpkgImportDialog::is_open`].
pub struct GpkgImportDialog {
    path: PathBuf,
    /// The open project's location, if any.
    current: Option<PathBuf>,
    inspecting: Option<Task<Inspected>>,
    summary: Option<Result<GpkgSummary, String>>,
    layer: usize,
    /// What each column of the chosen layer is read as.
    fields: Vec<Option<Field>>,
    target: Target,
    new_file: String,
    running: Option<Task<Finished>>,
    error: Option<String>,
    open: bool,
}

impl GpkgImportDialog {
    /// Opens the dialog on the GeoPackage `path` and starts reading its
    /// layers. `current` is the open project; `target` the choice shown first
    /// (a new project when there is no open one).
    pub fn new(
        ctx: &egui::Context,
        path: PathBuf,
        current: Option<PathBuf>,
        target: Target,
    ) -> Self {
        let for_task = path.clone();
        let inspecting = Task::spawn(ctx, "gpkg-inspect", move |_, _| {
            let summary = gpkg_layer::inspect(&for_task)?;
            Ok(Inspected {
                summary,
                new_file: free_project_name(&for_task),
            })
        });
        let target = if current.is_none() {
            Target::New
        } else {
            target
        };
        GpkgImportDialog {
            path,
            current,
            inspecting: Some(inspecting),
            summary: None,
            layer: 0,
            fields: Vec::new(),
            target,
            new_file: String::new(),
            running: None,
            error: None,
            open: true,
        }
    }

    /// The GeoPackage the dialog imports from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// True while the file is read or imported.
    pub fn is_busy(&self) -> bool {
        self.inspecting.is_some() || self.running.is_some()
    }

    /// Stops a running import (the app is closing, or "Avbryt").
    pub fn cancel(&self) {
        if let Some(task) = &self.running {
            task.cancel();
        }
    }

    /// What the file holds, once read (or why it could not be read).
    pub fn summary(&self) -> Option<&Result<GpkgSummary, String>> {
        self.summary.as_ref()
    }

    /// The chosen layer's index among the point layers.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// What each column of the chosen layer is read as.
    pub fn fields(&self) -> &[Option<Field>] {
        &self.fields
    }

    /// Where the incidents go.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The new project's file as typed.
    pub fn new_file(&self) -> &str {
        &self.new_file
    }

    /// Why the last import failed (shown after "Importen misslyckades").
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Chooses point layer `i`; its columns start from the importer's guesses.
    pub fn choose_layer(&mut self, i: usize) {
        let Some(Ok(summary)) = &self.summary else {
            return;
        };
        let Some(layer) = summary.point_layers.get(i) else {
            return;
        };
        self.layer = i;
        self.fields = layer.columns.iter().map(|c| c.guess).collect();
    }

    /// Reads column `column` of the chosen layer as `field` (`None`: not
    /// read); a column that was read as that field before is then not read.
    pub fn set_field(&mut self, column: usize, field: Option<Field>) {
        if column >= self.fields.len() {
            return;
        }
        if let Some(f) = field.filter(|f| *f != Field::Ignore) {
            for other in &mut self.fields {
                if *other == Some(f) {
                    *other = None;
                }
            }
        }
        self.fields[column] = field.filter(|f| *f != Field::Ignore);
    }

    /// Sets where the incidents go.
    pub fn set_target(&mut self, target: Target) {
        if target == Target::Current && self.current.is_none() {
            return;
        }
        self.target = target;
    }

    /// Sets the new project's file.
    pub fn set_new_file(&mut self, file: impl Into<String>) {
        self.new_file = file.into();
    }

    /// The `--map COLUMN=FIELD` list the import gets: each column read as a
    /// field, and "ignore" for a column the importer's rules would read by
    /// its name but that the user left unread.
    pub fn column_map(&self) -> Vec<(String, Field)> {
        let Some(Ok(summary)) = &self.summary else {
            return Vec::new();
        };
        let Some(layer) = summary.point_layers.get(self.layer) else {
            return Vec::new();
        };
        layer
            .columns
            .iter()
            .zip(&self.fields)
            .filter_map(|(column, field)| match field {
                Some(f) => Some((column.name.clone(), *f)),
                None => crate::import::csv::auto_field(&column.name)
                    .map(|_| (column.name.clone(), Field::Ignore)),
            })
            .collect()
    }

    /// True when some column gives each incident its time.
    fn has_time(&self) -> bool {
        self.fields
            .iter()
            .any(|f| matches!(f, Some(Field::OccurredAt | Field::Date)))
    }

    /// The project to import into, when the form says one.
    fn destination(&self) -> Option<Destination> {
        match self.target {
            Target::Current => self.current.clone().map(Destination::Current),
            Target::New => {
                let file = self.new_file.trim();
                let path = PathBuf::from(file);
                let is_gpkg = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
                (is_gpkg && path.file_stem().is_some()).then_some(Destination::New(path))
            }
        }
    }

    /// True when "Importera" can start.
    pub fn can_import(&self) -> bool {
        self.running.is_none()
            && matches!(&self.summary, Some(Ok(s)) if s.point_layers.get(self.layer).is_some() && !s.is_project)
            && self.has_time()
            && self.destination().is_some()
    }

    /// Starts the import on a worker ("Importera"); nothing when the form is
    /// not complete.
    pub fn start(&mut self, ctx: &egui::Context) {
        if !self.can_import() {
            return;
        }
        let (Some(Ok(summary)), Some(destination)) = (&self.summary, self.destination()) else {
            return;
        };
        let Some(layer) = summary.point_layers.get(self.layer) else {
            return;
        };
        let options = ImportOptions {
            format: Some(Format::GeoPackage),
            layer: Some(layer.name.clone()),
            column_map: self.column_map(),
            ..ImportOptions::default()
        };
        let file = self.path.clone();
        self.error = None;
        self.running = Some(Task::spawn(ctx, "gpkg-import", move |progress, cancel| {
            import_layer(&file, &options, destination, progress, cancel)
        }));
    }

    /// Takes in finished work.
    fn poll(&mut self) -> Option<Event> {
        if let Some(task) = &self.inspecting
            && let Some(result) = task.try_take()
        {
            self.inspecting = None;
            match result {
                Ok(inspected) => {
                    self.new_file = inspected.new_file.display().to_string();
                    self.summary = Some(Ok(inspected.summary));
                    self.choose_layer(0);
                }
                Err(e) => self.summary = Some(Err(format!("{e:#}"))),
            }
        }
        if let Some(task) = &self.running
            && let Some(result) = task.try_take()
        {
            self.running = None;
            match result {
                Ok(finished) => {
                    self.open = false;
                    return Some(Event::Imported(finished));
                }
                Err(e) => self.error = Some(format!("{e:#}")),
            }
        }
        None
    }

    /// The dialog window; what it asks the app to do, if anything.
    pub fn show(&mut self, ctx: &egui::Context, lang: Language) -> Option<Event> {
        let mut event = self.poll();
        let mut open = self.open;
        egui::Window::new(tr(lang, Key::Title))
            .id(egui::Id::unique("gpkg_import_dialog"))
            .open(&mut open)
            .collapsible(false)
            .default_width(560.0)
            .show(ctx, |ui| {
                if let Some(e) = self.contents_ui(ui, lang) {
                    event = Some(e);
                }
            });
        if !open {
            self.cancel();
        }
        self.open &= open;
        event
    }

    /// The dialog's contents.
    pub fn contents_ui(&mut self, ui: &mut egui::Ui, lang: Language) -> Option<Event> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ui.strong(name);
        if self.inspecting.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr(lang, Key::Reading));
            });
            return None;
        }
        let summary = match &self.summary {
            Some(Ok(s)) => s.clone(),
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                if ui.button(tr(lang, Key::Close)).clicked() {
                    self.open = false;
                }
                return None;
            }
            None => return None,
        };
        if summary.is_project {
            ui.label(tr(lang, Key::IsProject));
            if ui.button(tr(lang, Key::OpenIt)).clicked() {
                self.open = false;
                return Some(Event::Open(self.path.clone()));
            }
            return None;
        }
        if summary.point_layers.is_empty() {
            ui.label(tr(lang, Key::NoPointLayer));
            if !summary.other_layers.is_empty() {
                ui.label(text::other_layers_line(lang, &summary.other_layers));
            }
            if ui.button(tr(lang, Key::Close)).clicked() {
                self.open = false;
            }
            return None;
        }
        ui.label(tr(lang, Key::NotAProject));
        let running = self.running.is_some();
        ui.add_enabled_ui(!running, |ui| self.form_ui(ui, lang, &summary));
        ui.separator();
        if let Some(task) = &self.running {
            let (stage, done, total) = task.progress().snapshot();
            progress_ui(ui, lang, &stage, done, total);
            if ui.button(tr(lang, Key::Cancel)).clicked() {
                task.cancel();
            }
        } else {
            if !self.has_time() {
                ui.colored_label(ui.visuals().warn_fg_color, tr(lang, Key::NeedTime));
            }
            if let Some(e) = &self.error {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{}: {e}", tr(lang, Key::Failed)),
                );
            }
            ui.horizontal(|ui| {
                let import =
                    ui.add_enabled(self.can_import(), egui::Button::new(tr(lang, Key::Import)));
                if import.clicked() {
                    self.start(ui.ctx());
                }
                if ui.button(tr(lang, Key::Close)).clicked() {
                    self.open = false;
                }
            });
        }
        None
    }

    /// Layer, column mapping and destination.
    fn form_ui(&mut self, ui: &mut egui::Ui, lang: Language, summary: &GpkgSummary) {
        ui.label(tr(lang, Key::Layer));
        let mut chosen = None;
        for (i, layer) in summary.point_layers.iter().enumerate() {
            let line = text::layer_line(lang, &layer.name, layer.features);
            if ui.radio(self.layer == i, line).clicked() {
                chosen = Some(i);
            }
        }
        if let Some(i) = chosen {
            self.choose_layer(i);
        }
        if !summary.other_layers.is_empty() {
            ui.weak(text::other_layers_line(lang, &summary.other_layers));
        }
        let Some(layer) = summary.point_layers.get(self.layer) else {
            return;
        };
        ui.add_space(6.0);
        let mut change = None;
        egui::ScrollArea::vertical()
            .max_height(300.0)
            .id_salt("gpkg_import_columns")
            .show(ui, |ui| {
                egui::Grid::new("gpkg_import_grid")
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        ui.strong(tr(lang, Key::Column));
                        ui.strong(tr(lang, Key::Type));
                        ui.strong(tr(lang, Key::ReadAs));
                        ui.end_row();
                        for (i, column) in layer.columns.iter().enumerate() {
                            let current = self.fields.get(i).copied().flatten();
                            ui.label(&column.name);
                            ui.label(&column.sql_type);
                            egui::ComboBox::from_id_salt(("gpkg_import_field", i))
                                .selected_text(text::field_label(lang, current))
                                .width(200.0)
                                .show_ui(ui, |ui| {
                                    for f in OFFERED_FIELDS {
                                        if ui
                                            .selectable_label(
                                                current == f,
                                                text::field_label(lang, f),
                                            )
                                            .clicked()
                                        {
                                            change = Some((i, f));
                                        }
                                    }
                                });
                            ui.end_row();
                        }
                    });
            });
        if let Some((i, f)) = change {
            self.set_field(i, f);
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(tr(lang, Key::Into));
            let current_name = self
                .current
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| format!(" ({})", n.to_string_lossy()))
                .unwrap_or_default();
            let current = ui.add_enabled(
                self.current.is_some(),
                egui::RadioButton::new(
                    self.target == Target::Current,
                    format!("{}{current_name}", tr(lang, Key::CurrentProject)),
                ),
            );
            if current.clicked() {
                self.set_target(Target::Current);
            }
            if ui
                .radio(self.target == Target::New, tr(lang, Key::NewProject))
                .clicked()
            {
                self.set_target(Target::New);
            }
        });
        if self.target == Target::New {
            ui.horizontal(|ui| {
                ui.label(tr(lang, Key::NewProjectFile));
                ui.add(
                    egui::TextEdit::singleline(&mut self.new_file)
                        .desired_width(380.0)
                        .id_salt("gpkg_import_new_file"),
                );
            });
        }
    }
}

/// The import's progress: a bar with its stage.
fn progress_ui(ui: &mut egui::Ui, lang: Language, stage: &str, done: u64, total: u64) {
    let text = if stage.is_empty() {
        tr(lang, Key::Importing).to_owned()
    } else {
        stage.to_owned()
    };
    let bar = if total > 0 {
        egui::ProgressBar::new((done as f32 / total as f32).clamp(0.0, 1.0))
    } else {
        egui::ProgressBar::new(0.0).animate(true)
    };
    ui.add(bar.text(text));
}

/// Where the import writes.
enum Destination {
    Current(PathBuf),
    New(PathBuf),
}

/// Imports the layer of `file` into the destination in one transaction. A
/// new project is created first and removed again when the import fails, is
/// cancelled or stores nothing.
fn import_layer(
    file: &Path,
    options: &ImportOptions,
    destination: Destination,
    progress: &TaskProgress,
    cancel: &CancelToken,
) -> anyhow::Result<Finished> {
    match destination {
        Destination::Current(project) => {
            let mut store = store::open(&project)?;
            let report = crate::import::import_file_rejects_beside(
                store.as_mut(),
                file,
                options,
                progress,
                cancel,
            )?;
            Ok(Finished {
                report,
                project: Some(project),
            })
        }
        Destination::New(project) => {
            let name = project
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Lägesbild".to_owned());
            let mut store = store::create(&project, &name)?;
            let result = crate::import::import_file_rejects_beside(
                store.as_mut(),
                file,
                options,
                progress,
                cancel,
            );
            drop(store);
            match result {
                Ok(report) if report.imported > 0 => Ok(Finished {
                    report,
                    project: Some(project),
                }),
                Ok(report) => {
                    remove_project(&project)?;
                    Ok(Finished {
                        report,
                        project: None,
                    })
                }
                Err(e) => {
                    // The error is the import's; a failed removal is said too.
                    if let Err(removal) = remove_project(&project) {
                        return Err(anyhow::Error::new(e).context(format!("{removal:#}")));
                    }
                    Err(e.into())
                }
            }
        }
    }
}

/// Removes a project this dialog created (and SQLite's side files).
fn remove_project(project: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = project.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "{}: the empty new project could not be removed: {e}",
                    Path::new(&name).display()
                ));
            }
        }
    }
    Ok(())
}

/// A file name for the new project beside `file` that is not taken:
/// `NAME-lagesbild.gpkg`, else `NAME-lagesbild-2.gpkg` …
fn free_project_name(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".to_owned());
    let mut candidate = file.with_file_name(format!("{stem}-lagesbild.gpkg"));
    let mut n = 2;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        candidate = file.with_file_name(format!("{stem}-lagesbild-{n}.gpkg"));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_project_name_never_takes_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("qgis.gpkg");
        assert_eq!(
            free_project_name(&file),
            dir.path().join("qgis-lagesbild.gpkg")
        );
        std::fs::write(dir.path().join("qgis-lagesbild.gpkg"), b"x").unwrap();
        std::fs::write(dir.path().join("qgis-lagesbild-2.gpkg"), b"x").unwrap();
        assert_eq!(
            free_project_name(&file),
            dir.path().join("qgis-lagesbild-3.gpkg")
        );
    }

    #[test]
    fn removing_a_created_project_takes_its_side_files_and_tolerates_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ny.gpkg");
        std::fs::write(&p, b"x").unwrap();
        std::fs::write(dir.path().join("ny.gpkg-wal"), b"x").unwrap();
        remove_project(&p).unwrap();
        assert!(!p.exists() && !dir.path().join("ny.gpkg-wal").exists());
        remove_project(&p).unwrap();
    }
}
