//! The app's side of the GeoPackage layer import (`gui/import_gpkg`): the
//! dialog is opened when a file to open turns out to be a foreign
//! GeoPackage, or a `.gpkg` is imported or dropped, and what it finishes
//! becomes the usual import report and a (re)load of the project.

use std::path::PathBuf;

use super::state::ImportOutcome;
use super::{LagesbildApp, frame};
use crate::gui::import_gpkg::{Event, GpkgImportDialog, Target, text};
use crate::gui::tasks::OpenTarget;

impl LagesbildApp {
    /// Opens the dialog on `file`; `target` is the destination shown first.
    pub(super) fn open_gpkg_import(&mut self, ctx: &egui::Context, file: PathBuf, target: Target) {
        if let Some(running) = &self.gpkg_import
            && running.is_busy()
        {
            self.message = Some(
                crate::gui::i18n::tr(
                    self.state.language,
                    crate::gui::i18n::Key::ImportAlreadyRunning,
                )
                .to_owned(),
            );
            return;
        }
        let current = self.project.as_ref().map(|p| p.loaded.path.clone());
        self.gpkg_import = Some(GpkgImportDialog::new(ctx, file, current, target));
    }

    /// The dialog, while open: shown, and what it asks for carried out.
    pub(super) fn gpkg_import_ui(&mut self, ctx: &egui::Context) {
        let lang = self.state.language;
        let Some(dialog) = &mut self.gpkg_import else {
            return;
        };
        let event = dialog.show(ctx, lang);
        if !dialog.is_open() && !dialog.is_busy() {
            self.gpkg_import = None;
        }
        match event {
            None => {}
            Some(Event::Open(path)) => self.start_loading(ctx, OpenTarget::Path(path)),
            Some(Event::Imported(finished)) => {
                let same = finished
                    .project
                    .as_ref()
                    .is_some_and(|p| self.project.as_ref().is_some_and(|v| &v.loaded.path == p));
                // "Zooma till det importerade": above the largest fid before.
                self.import_fid_floor = if same {
                    self.project
                        .as_ref()
                        .and_then(|v| v.loaded.index.points().iter().map(|p| p.fid).max())
                } else {
                    None
                };
                self.import_extent = None;
                let reports = vec![Ok(finished.report)];
                let rejects_saved = frame::save_rejects(&reports);
                self.import_outcome = Some(ImportOutcome {
                    reports,
                    rejects_saved,
                });
                match finished.project {
                    Some(project) => self.start_loading(ctx, OpenTarget::Path(project)),
                    None => {
                        self.message = Some(text::tr(lang, text::Key::NothingImported).to_owned());
                    }
                }
            }
        }
    }

    /// The GeoPackage layer import dialog, while open.
    pub fn gpkg_import(&self) -> Option<&GpkgImportDialog> {
        self.gpkg_import.as_ref()
    }

    /// The dialog, to fill its form as a user would.
    pub fn gpkg_import_mut(&mut self) -> Option<&mut GpkgImportDialog> {
        self.gpkg_import.as_mut()
    }
}
