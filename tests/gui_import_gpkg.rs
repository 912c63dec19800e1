//! A GeoPackage that ogr2ogr wrote (as QGIS users hand them over), opened or
//! imported in the app (egui_kittest): its point layers offered, a column
//! mapped to the incident's time in the "read as" list, and the layer
//! imported into a new project or the open one, with the import report. The
//! GeoPackage is written by GDAL's own `ogr2ogr`, so a missing GDAL fails
//! the test (see `util::gdal_tool`).

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use lagesbild::gui::LagesbildApp;
use lagesbild::gui::app::Action;
use lagesbild::gui::import_gpkg::Target;
use lagesbild::gui::tasks::OpenTarget;
use lagesbild::import::Field;
use lagesbild::jobs::CancelToken;
use lagesbild::model::{Category, Filter};
use lagesbild::store::{self, Project};

use crate::gui_util::{app_on, settle};
use crate::util::{Dir, text};

/// `qgis.gpkg`, written by ogr2ogr: a point layer `punkter` of four
/// features whose time is in a column the importer does not know by name
/// (`inträffade`, a GDAL DateTime), one of them without a time; a point
/// layer `fler` of two; and a polygon layer `områden`.
fn qgis_gpkg(dir: &Dir) -> Option<PathBuf> {
    let ogr2ogr = crate::util::gdal_tool("ogr2ogr")?;
    let point = |i: usize, when: &str, kind: &str| {
        let when = if when.is_empty() {
            "null".to_owned()
        } else {
            format!("\"{when}\"")
        };
        format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"ärendenr":"K-{i}","inträffade":{when},"händelsetyp":"{kind}","plats":"Torget","anteckning":"Hemlig text {i}"}}}}"#,
            14.58 + i as f64 * 0.001,
            56.05
        )
    };
    let collection = |features: Vec<String>| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    };
    let punkter = dir.write(
        "punkter.geojson",
        collection(vec![
            point(1, "2025-03-14T22:40:00", "Skadegörelse"),
            point(2, "2025-03-15T23:10:00", "Våld"),
            point(3, "", "Brand"),
            point(4, "2025-04-01T01:05:00", "Narkotika"),
        ]),
    );
    let fler = dir.write(
        "fler.geojson",
        collection(vec![
            point(5, "2025-05-02T20:00:00", "Stöld"),
            point(6, "2025-05-03T21:00:00", "Stöld"),
        ]),
    );
    let omraden = dir.write(
        "omraden.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[14.57,56.04],[14.59,56.04],[14.59,56.06],[14.57,56.04]]]},"properties":{"namn":"Centrum"}}]}"#,
    );
    let out = dir.path("qgis.gpkg");
    for (i, (src, layer)) in [(punkter, "punkter"), (fler, "fler"), (omraden, "områden")]
        .into_iter()
        .enumerate()
    {
        let mut cmd = std::process::Command::new(&ogr2ogr);
        cmd.args(["-f", "GPKG"]);
        if i > 0 {
            cmd.arg("-update");
        }
        cmd.arg(&out).arg(&src).args(["-nln", layer]);
        let o = cmd.output().expect("run ogr2ogr");
        assert!(o.status.success(), "{:?}", text(&o));
    }
    Some(out)
}

fn all_incidents(project: &Path) -> Vec<lagesbild::model::Incident> {
    let store = store::open(project).unwrap();
    store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
}

fn apply(h: &mut Harness<'_, LagesbildApp>, action: Action) {
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, action);
    settle(h);
}

/// The column index of `name` in the dialog's chosen layer.
fn column(h: &Harness<'_, LagesbildApp>, name: &str) -> usize {
    let dialog = h.state().gpkg_import().expect("the dialog is open");
    let Some(Ok(summary)) = dialog.summary() else {
        panic!("no summary");
    };
    summary.point_layers[dialog.layer()]
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn a_foreign_geopackage_opened_in_the_app_is_offered_as_incidents_with_a_field_mapping() {
    let dir = Dir::new();
    let Some(foreign) = qgis_gpkg(&dir) else {
        return;
    };
    let foreign_bytes = std::fs::read(&foreign).unwrap();
    let project = dir.path("p.gpkg");
    drop(Project::create(&project, "Sölvesborg").unwrap());
    let mut h = app_on(project.clone());
    settle(&mut h);

    // Arkiv → Öppna on the foreign file: no error, the dialog instead.
    apply(&mut h, Action::Open(OpenTarget::Path(foreign.clone())));
    h.run_steps(2);
    assert!(h.state().message().is_none(), "{:?}", h.state().message());
    h.get_by_label("Importera ett GeoPackage-lager");
    h.get_by_label_contains("Filen är inget Lägesbild-projekt utan ett GeoPackage");
    // Both point layers, in name order, with their counts; the polygons named apart.
    h.get_by_label("fler (2 objekt)");
    h.get_by_label("punkter (4 objekt)");
    h.get_by_label_contains("Andra lager (inga punkter): områden (POLYGON)");
    // The project shown stays open meanwhile.
    assert_eq!(h.state().project().unwrap().loaded.path, project);

    // "punkter": the importer's guesses preselected; the time column unknown
    // by name, so nothing can be imported yet.
    h.get_by_label("punkter (4 objekt)").click();
    h.run_steps(2);
    let c_time = column(&h, "inträffade");
    let c_kind = column(&h, "händelsetyp");
    let c_note = column(&h, "anteckning");
    let c_case = column(&h, "ärendenr");
    {
        let d = h.state().gpkg_import().unwrap();
        let Some(Ok(summary)) = d.summary() else {
            panic!()
        };
        let layer = &summary.point_layers[d.layer()];
        assert_eq!(layer.name, "punkter");
        assert_eq!(layer.columns[c_time].sql_type, "DATETIME");
        assert_eq!(d.fields()[c_kind], Some(Field::Category));
        assert_eq!(d.fields()[c_note], Some(Field::Description));
        assert_eq!(d.fields()[c_time], None);
        assert!(!d.can_import());
        // Opened with Öppna: a new project beside the file is offered.
        assert_eq!(d.target(), Target::New);
        assert_eq!(PathBuf::from(d.new_file()), dir.path("qgis-lagesbild.gpkg"));
    }
    h.get_by_label_contains("Välj kolumnen med händelsens tidpunkt");
    assert!(h.get_by_label("Importera").accesskit_node().is_disabled());

    // The time column read as "Tidpunkt" through its list, as a user picks it:
    // the lists show the columns' choices in table order.
    let shown: Vec<_> = h
        .get_all_by_role(egui::accesskit::Role::ComboBox)
        .filter(|n| n.value().as_deref() == Some("— läses inte"))
        .collect();
    let unread_before_time = h.state().gpkg_import().unwrap().fields()[..c_time]
        .iter()
        .filter(|f| f.is_none())
        .count();
    shown[unread_before_time].click();
    h.run_steps(2);
    h.get_by_label("Tidpunkt (datum och tid)").click();
    h.run_steps(2);
    assert_eq!(
        h.state().gpkg_import().unwrap().fields()[c_time],
        Some(Field::OccurredAt)
    );
    // The case number as the source's id (no column had that field).
    h.state_mut()
        .gpkg_import_mut()
        .unwrap()
        .set_field(c_case, Some(Field::Id));
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Välj kolumnen med händelsens tidpunkt")
            .is_none()
    );
    assert!(!h.get_by_label("Importera").accesskit_node().is_disabled());

    h.get_by_label("Importera").click();
    settle(&mut h);
    h.run_steps(2);

    // The new project is open, with the report: three imported, the one
    // without a time rejected by its feature number.
    let new = dir.path("qgis-lagesbild.gpkg");
    assert!(h.state().gpkg_import().is_none(), "the dialog closed");
    assert_eq!(h.state().project().unwrap().loaded.path, new);
    assert_eq!(h.state().project().unwrap().loaded.index.len(), 3);
    h.get_by_label("Importrapport");
    h.get_by_label_contains("qgis.gpkg (GeoPackage)");
    h.get_by_label_contains("Importerade: 3");
    h.get_by_label_contains("GeoPackage-lagret \"punkter\": 4 objekt");
    let incidents = all_incidents(&new);
    assert_eq!(incidents.len(), 3);
    let first = incidents
        .iter()
        .find(|i| i.external_id.as_deref() == Some("K-1"))
        .expect("K-1 imported with its case number");
    assert_eq!(first.category, Category::Skadegorelse);
    assert_eq!(first.place.as_deref(), Some("Torget"));
    assert_eq!(first.description.as_deref(), Some("Hemlig text 1"));
    assert_eq!(
        first.occurred_at.to_rfc3339(),
        "2025-03-14T21:40:00+00:00",
        "GDAL writes a time without a zone as 2025-03-14T22:40:00.000: read as Swedish local time (CET), as in a CSV file"
    );
    assert!(
        (first.position.lon - 14.581).abs() < 1e-9 && (first.position.lat - 56.05).abs() < 1e-9
    );
    // The file handed over is never changed; the project before is untouched.
    assert_eq!(std::fs::read(&foreign).unwrap(), foreign_bytes);
    assert!(all_incidents(&project).is_empty());
}

#[test]
fn a_geopackage_imported_into_the_open_project_adds_to_what_it_held() {
    let dir = Dir::new();
    let Some(foreign) = qgis_gpkg(&dir) else {
        return;
    };
    let project = crate::gui_util::demo(&dir, "20");
    let mut h = app_on(project.clone());
    settle(&mut h);
    // Arkiv → Importera (or a file dropped on the window) with a GeoPackage.
    apply(&mut h, Action::Import(vec![foreign.clone()]));
    h.run_steps(2);
    h.get_by_label("Importera ett GeoPackage-lager");
    assert_eq!(h.state().gpkg_import().unwrap().target(), Target::Current);
    h.get_by_label("det öppna projektet (demo.gpkg)");
    // The first layer in name order is chosen: "fler".
    assert_eq!(h.state().gpkg_import().unwrap().layer(), 0);
    let c_time = column(&h, "inträffade");
    h.state_mut()
        .gpkg_import_mut()
        .unwrap()
        .set_field(c_time, Some(Field::OccurredAt));
    // Reading a second column as the time frees the first.
    let c_case = column(&h, "ärendenr");
    h.state_mut()
        .gpkg_import_mut()
        .unwrap()
        .set_field(c_case, Some(Field::OccurredAt));
    assert_eq!(h.state().gpkg_import().unwrap().fields()[c_time], None);
    h.state_mut()
        .gpkg_import_mut()
        .unwrap()
        .set_field(c_time, Some(Field::OccurredAt));
    h.run_steps(2);
    h.get_by_label("Importera").click();
    settle(&mut h);
    h.run_steps(2);
    h.get_by_label_contains("Importerade: 2");
    assert_eq!(h.state().project().unwrap().loaded.path, project);
    assert_eq!(h.state().project().unwrap().loaded.index.len(), 22);
    assert_eq!(all_incidents(&project).len(), 22);
    // No new project was made.
    assert!(!dir.path("qgis-lagesbild.gpkg").exists());
}

#[test]
fn a_new_project_that_gets_nothing_is_removed_and_a_project_is_opened_not_imported() {
    let dir = Dir::new();
    let Some(foreign) = qgis_gpkg(&dir) else {
        return;
    };
    let project = dir.path("p.gpkg");
    drop(Project::create(&project, "Sölvesborg").unwrap());
    let mut h = app_on(project.clone());
    settle(&mut h);
    apply(&mut h, Action::Import(vec![foreign.clone()]));
    // The case number read as the time: no feature has a time, nothing is
    // imported, and the new project is removed again.
    let c_case = column(&h, "ärendenr");
    {
        let d = h.state_mut().gpkg_import_mut().unwrap();
        d.set_field(c_case, Some(Field::OccurredAt));
        d.set_target(Target::New);
        d.set_new_file(dir.path("tom.gpkg").display().to_string());
    }
    h.run_steps(2);
    h.get_by_label("Importera").click();
    settle(&mut h);
    h.run_steps(2);
    assert!(
        !dir.path("tom.gpkg").exists(),
        "the empty new project is removed"
    );
    assert!(!dir.path("tom.gpkg-wal").exists());
    assert_eq!(
        h.state().message(),
        Some(
            "Inget kunde importeras, så det nya projektet togs bort igen; importrapporten säger varför."
        )
    );
    h.get_by_label_contains("Importerade: 0");
    assert_eq!(h.state().project().unwrap().loaded.path, project);
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, Action::CloseImportReport);

    // A Lägesbild project given to the import: opened, not imported.
    let other = crate::gui_util::demo(&dir, "5");
    apply(&mut h, Action::Import(vec![other.clone()]));
    h.run_steps(2);
    h.get_by_label_contains("Filen är ett Lägesbild-projekt");
    h.get_by_label("Öppna projektet").click();
    settle(&mut h);
    assert_eq!(h.state().project().unwrap().loaded.path, other);
    assert!(h.state().gpkg_import().is_none());

    // A GeoPackage of polygons only: said so, pointing to map layers.
    let areas = dir.path("ytor.gpkg");
    let ogr2ogr = crate::util::gdal_tool("ogr2ogr").unwrap();
    let o = std::process::Command::new(ogr2ogr)
        .args(["-f", "GPKG"])
        .arg(&areas)
        .arg(&foreign)
        .arg("områden")
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    apply(&mut h, Action::Import(vec![areas]));
    h.run_steps(2);
    h.get_by_label_contains("Filen har inget punktlager");
    h.get_by_label_contains("områden (POLYGON)");
}
