//! The demo project through the public API: writing it, and keeping or
//! regenerating the app's own copy.

use lagesbild::demo::{self, DemoParams};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Source};
use lagesbild::store::{Project, Store, StoreError};

fn small() -> DemoParams {
    DemoParams {
        count: 500,
        seed: 11,
    }
}

#[test]
fn write_project_marks_it_synthetic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.gpkg");
    let info = demo::write_project(&path, small(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(info.synthetic);
    assert_eq!(info.name, demo::DEMO_NAME);
    assert_eq!(info.incident_count, 500);
    assert_eq!(info.coarse_count, 10);
    assert!(
        info.by_category
            .iter()
            .any(|&(c, n)| c == Category::Otrygghet && n >= 25)
    );
    assert!(
        info.by_source
            .iter()
            .any(|&(s, n)| s == Source::Polis && n > 0)
    );

    let project = Project::open(&path).unwrap();
    assert_eq!(
        project.metadata("synthetic").unwrap().as_deref(),
        Some("true")
    );
    let description = project.metadata("description").unwrap().unwrap();
    assert!(description.contains("Syntetisk"), "{description}");

    // The stored incidents are the generated ones.
    let stored = project
        .incidents(&Default::default(), &CancelToken::new())
        .unwrap();
    let generated = demo::generate(small());
    assert_eq!(stored.len(), generated.len());
    let mut stored_uids: Vec<_> = stored.iter().map(|i| i.uid.clone()).collect();
    let mut generated_uids: Vec<_> = generated.iter().map(|i| i.uid.clone()).collect();
    stored_uids.sort();
    generated_uids.sort();
    assert_eq!(stored_uids, generated_uids);
}

#[test]
fn write_project_refuses_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.gpkg");
    demo::write_project(&path, small(), &NoProgress, &CancelToken::new()).unwrap();
    let again = demo::write_project(&path, small(), &NoProgress, &CancelToken::new());
    assert!(
        matches!(again, Err(StoreError::AlreadyExists { .. })),
        "{again:?}"
    );
}

#[test]
fn write_project_cancelled_leaves_no_project() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.gpkg");
    let cancel = CancelToken::new();
    cancel.cancel();
    let result = demo::write_project(&path, small(), &NoProgress, &cancel);
    assert!(
        matches!(result, Err(StoreError::Cancelled(_))),
        "{result:?}"
    );
    // Whatever file exists holds no incidents.
    if path.exists() {
        let project = Project::open(&path).unwrap();
        assert_eq!(project.info().unwrap().incident_count, 0);
    }
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn ensure_project_at_creates_keeps_and_repairs() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("share").join("lagesbild");
    let path = dir.join("demo-solvesborg-2026.gpkg");

    // Fresh: the directory is created and the project written.
    demo::ensure_project_at(&path).unwrap();
    let info = Project::open(&path).unwrap().info().unwrap();
    assert!(info.synthetic);
    assert_eq!(info.incident_count, DemoParams::default().count as u64);
    assert_eq!(files_in(&dir), vec!["demo-solvesborg-2026.gpkg".to_owned()]);

    // Present: kept as it is.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    demo::ensure_project_at(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );

    // Damaged: regenerated.
    std::fs::write(&path, b"not a geopackage").unwrap();
    demo::ensure_project_at(&path).unwrap();
    assert!(Project::open(&path).unwrap().info().unwrap().synthetic);
    assert_eq!(files_in(&dir), vec!["demo-solvesborg-2026.gpkg".to_owned()]);
}

#[test]
fn ensure_project_at_moves_a_real_project_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.gpkg");
    drop(Project::create(&path, "Riktigt projekt").unwrap());
    demo::ensure_project_at(&path).unwrap();
    let info = Project::open(&path).unwrap().info().unwrap();
    assert!(info.synthetic);
    assert_eq!(info.incident_count, DemoParams::default().count as u64);
    // The real project was moved aside, not overwritten.
    let names = files_in(dir.path());
    let kept: Vec<_> = names
        .iter()
        .filter(|n| n.starts_with("demo.gpkg.kept-"))
        .collect();
    assert_eq!(kept.len(), 1, "{names:?}");
    let kept = Project::open(&dir.path().join(kept[0])).unwrap();
    assert_eq!(kept.info().unwrap().name, "Riktigt projekt");
    assert!(!kept.info().unwrap().synthetic);
}
