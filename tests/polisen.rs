//! Police events in a project (issue 19): edited events take the new version
//! with their history kept, summaries stay out of the incidents, and the
//! whole is one transaction. The fixtures are real API output from the public
//! scrape history in `dnouri/polisen-se-events-history` (see
//! `tests/fixtures/polisen/README.md`).

use lagesbild::import::{self, ImportOptions};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Precision, Source};
use lagesbild::store::{Project, Store};

use crate::util::{Dir, assert_valid_gpkg, fixture};

fn import(project: &mut Project, rel: &str) -> import::ImportReport {
    import::import_file(
        project,
        &fixture(rel),
        &ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap()
}

fn by_id(project: &Project, id: &str) -> Incident {
    project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some(id))
        .unwrap()
}

#[test]
fn an_edited_event_takes_the_new_version_and_keeps_the_old_one() {
    let dir = Dir::new();
    let path = dir.path("p.gpkg");
    let mut project = Project::create(&path, "Test").unwrap();
    // Real events as first published: Karlskrona 478801 as "Övrigt",
    // Sölvesborg 438524 as "Misshandel, grov".
    let first = import(&mut project, "polisen/edited_old.json");
    assert_eq!((first.imported, first.updated), (2, 0));
    let before = by_id(&project, "478801");
    assert_eq!(before.category, Category::Ovrigt);
    let fid = before.fid;

    // The same events as the Police later edited them: "Våldtäkt" and
    // "Mord/dråp, försök". Updated in place, not skipped, not conflicts.
    let second = import(&mut project, "polisen/edited_new.json");
    assert_eq!(
        (second.imported, second.updated, second.duplicates),
        (0, 2, 0),
        "{second:?}"
    );
    assert!(second.conflicts.is_empty());
    assert!(second.notes.iter().any(|n| n.contains("updated in place")));
    let after = by_id(&project, "478801");
    assert_eq!(after.category, Category::Vald);
    assert_eq!(after.category_text.as_deref(), Some("Våldtäkt"));
    assert_eq!((after.fid, &after.uid), (fid, &before.uid), "same incident");
    let sb = by_id(&project, "438524");
    assert_eq!(
        (sb.category, sb.category_text.as_deref()),
        (Category::Vald, Some("Mord/dråp, försök"))
    );
    assert_eq!(project.info().unwrap().incident_count, 2);

    // The earlier version is kept.
    let history = project.police_history("478801").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].reason, "updated");
    assert_eq!(history[0].incident.category, Category::Ovrigt);
    assert_eq!(history[0].incident.uid, before.uid);
    assert!(project.police_history("1").unwrap().is_empty());

    // Again: nothing changes, no new history.
    let third = import(&mut project, "polisen/edited_new.json");
    assert_eq!((third.imported, third.updated, third.duplicates), (0, 0, 2));
    assert_eq!(project.police_history("478801").unwrap().len(), 1);
    drop(project);
    assert_valid_gpkg(&path);
}

#[test]
fn summaries_are_kept_apart_from_incidents_and_statistics() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/polisen_sample.json");
    let report = import::import_file(
        &mut project,
        &sample,
        &ImportOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!((report.imported, report.summaries), (152, 15));
    let info = project.info().unwrap();
    assert_eq!(info.incident_count, 152);
    let incidents = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert!(incidents.iter().all(|i| {
        let t = i.category_text.as_deref().unwrap_or("");
        !t.starts_with("Sammanfattning") && t != "Information" && t != "Uppdatering"
    }));
    let summaries = project.police_summaries().unwrap();
    assert_eq!(summaries.len(), 15);
    assert!(
        summaries
            .windows(2)
            .all(|w| w[0].published_at >= w[1].published_at),
        "newest first"
    );
    assert!(summaries.iter().any(|s| {
        s.kind == "Övrigt"
            && s.summary
                .as_deref()
                .unwrap_or("")
                .contains("presstalesperson")
    }));
}

#[test]
fn a_summary_stored_as_an_incident_by_an_earlier_version_is_moved_out() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    // As the foundation's importer stored it: an incident at the county centre.
    let mut old = Incident::new(
        "2025-01-19T05:30:00Z".parse().unwrap(),
        Category::Ovrigt,
        Source::Polis,
        LonLat::new(15.0, 56.3),
        Precision::COUNTY_M,
    );
    old.external_id = Some("563455".to_owned());
    old.category_text = Some("Sammanfattning natt".to_owned());
    project.add_incident(&old).unwrap();
    let report = import(&mut project, "json/polisen_blekinge.json");
    assert_eq!(report.imported, 11);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("taken out of the incidents"))
    );
    let ids: Vec<String> = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .filter_map(|i| i.external_id)
        .collect();
    assert!(!ids.contains(&"563455".to_owned()));
    assert_eq!(
        project.police_history("563455").unwrap()[0].reason,
        "summary"
    );
    assert_eq!(project.police_summaries().unwrap().len(), 1);
}

#[test]
fn a_failed_batch_changes_nothing() {
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "Test").unwrap();
    import(&mut project, "polisen/edited_old.json");
    let good = by_id(&project, "478801");
    let mut changed = good.clone();
    changed.category = Category::Vald;
    let mut bad = good.clone();
    bad.external_id = Some("999".to_owned());
    bad.position = LonLat::new(f64::NAN, 56.0);
    let err = project
        .upsert_police_events("x.json", &[changed, bad], &[], &CancelToken::new())
        .unwrap_err();
    assert!(err.to_string().contains("not a finite number"), "{err}");
    assert_eq!(by_id(&project, "478801").category, Category::Ovrigt);
    assert!(project.police_history("478801").unwrap().is_empty());
    // Cancelled: rolled back too.
    let cancel = CancelToken::new();
    cancel.cancel();
    let mut changed = good.clone();
    changed.category = Category::Vald;
    assert!(
        project
            .upsert_police_events("x.json", &[changed], &[], &cancel)
            .is_err()
    );
    assert_eq!(by_id(&project, "478801").category, Category::Ovrigt);
}

#[test]
fn the_readme_lists_every_police_type_under_its_category() {
    use lagesbild::import::polisen::TYPE_TABLE;
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("### Which police types count as what")
        .expect("the README section");
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut listed: Vec<(String, String)> = Vec::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [category, types] = cells[..] else {
            continue;
        };
        if lagesbild::model::Category::ALL
            .iter()
            .any(|c| c.label_sv().to_lowercase() == category)
        {
            for t in types.split("; ") {
                listed.push((category.to_owned(), t.to_owned()));
            }
        }
    }
    let mut table: Vec<(String, String)> = TYPE_TABLE
        .iter()
        .map(|(t, c)| (c.label_sv().to_lowercase(), (*t).to_owned()))
        .collect();
    table.sort();
    listed.sort();
    assert_eq!(listed, table, "README and TYPE_TABLE differ");
}
