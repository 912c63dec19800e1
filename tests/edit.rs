//! Editing single incidents in a GeoPackage project: add, update, delete,
//! checked after each step with SQLite's `rtreecheck`, a bounding-box query
//! on the R-tree, the stored extent and, when installed, GDAL.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source, time};
use lagesbild::store::{Project, PushOutcome, Store, StoreError};

use crate::util::{assert_valid_gpkg, ogrinfo_summary};

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    time::utc_from_local(naive).unwrap()
}

fn observation(lon: f64, lat: f64) -> Incident {
    let mut i = Incident::new(
        local(2025, 5, 2, 22, 10),
        Category::Ordningsstorning,
        Source::Trygghetsvard,
        LonLat::new(lon, lat),
        10.0,
    );
    i.place = Some("Stortorget".to_owned());
    i.description = Some("Känslig fritext om en person".to_owned());
    i
}

/// A project with `n` imported incidents on a grid around Sölvesborg.
fn project_with(dir: &Path, n: usize) -> (PathBuf, Project) {
    let path = dir.join("projekt.gpkg");
    let mut project = Project::create(&path, "Redigering").unwrap();
    let mut session = project.begin_import("grid.csv").unwrap();
    for i in 0..n {
        let mut inc = observation(
            14.50 + (i % 20) as f64 * 0.005,
            56.02 + (i / 20) as f64 * 0.002,
        );
        inc.occurred_at += chrono::Duration::minutes(i as i64);
        inc.description = None;
        assert_eq!(session.push(&inc).unwrap(), PushOutcome::Inserted);
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    (path, project)
}

fn conn(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn rtreecheck(path: &Path) -> String {
    conn(path)
        .query_row("SELECT rtreecheck('rtree_incidents_geom')", [], |r| {
            r.get(0)
        })
        .unwrap()
}

/// fids the R-tree finds in a small box around (lon, lat).
fn rtree_hits(path: &Path, lon: f64, lat: f64) -> Vec<i64> {
    let c = conn(path);
    let mut stmt = c
        .prepare(
            "SELECT id FROM rtree_incidents_geom WHERE maxx >= ?1 AND minx <= ?2 \
             AND maxy >= ?3 AND miny <= ?4 ORDER BY id",
        )
        .unwrap();
    stmt.query_map(
        rusqlite::params![lon - 1e-5, lon + 1e-5, lat - 1e-5, lat + 1e-5],
        |r| r.get(0),
    )
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn rtree_count(path: &Path) -> i64 {
    conn(path)
        .query_row("SELECT count(*) FROM rtree_incidents_geom", [], |r| {
            r.get(0)
        })
        .unwrap()
}

/// Checks the index against the table and GDAL's view of the file.
#[track_caller]
fn check_index(path: &Path, expected_rows: i64) {
    assert_eq!(rtreecheck(path), "ok");
    assert_eq!(rtree_count(path), expected_rows);
    let missing: i64 = conn(path)
        .query_row(
            "SELECT count(*) FROM incidents WHERE fid NOT IN (SELECT id FROM rtree_incidents_geom)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 0, "rows missing from the R-tree");
    if let Some(summary) = ogrinfo_summary(path) {
        assert!(
            summary.contains(&format!("Feature Count: {expected_rows}")),
            "{summary}"
        );
    }
    assert_valid_gpkg(path);
}

fn edits_log(path: &Path) -> Vec<(String, i64, String, Option<String>)> {
    let c = conn(path);
    let mut stmt = c
        .prepare("SELECT action, fid, uid, changed FROM lagesbild_edits ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn add_update_delete_keep_the_index_and_extent_right() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = project_with(dir.path(), 200);
    check_index(&path, 200);
    let extent0 = project.info().unwrap().extent.unwrap();

    // Add outside the current extent: it grows.
    let mut new = observation(14.70, 56.10);
    new.uid = String::new();
    let fid = project.add_incident(&new).unwrap();
    assert_eq!(fid, 201);
    let stored = project.incident(fid).unwrap().unwrap();
    assert!(!stored.uid.is_empty(), "a new uid was given");
    assert_eq!(stored.position, new.position);
    assert_eq!(stored.description, new.description);
    assert_eq!(stored.place.as_deref(), Some("Stortorget"));
    assert_eq!(rtree_hits(&path, 14.70, 56.10), vec![fid]);
    check_index(&path, 201);
    let info = project.info().unwrap();
    assert_eq!(info.incident_count, 201);
    assert_eq!(info.extent.unwrap().0, extent0.0);
    assert_eq!(info.extent.unwrap().1, LonLat::new(14.70, 56.10));

    // Update every field, the position included: the index follows.
    let mut changed = stored.clone();
    changed.position = LonLat::new(14.55, 56.03);
    changed.category = Category::Vald;
    changed.source = Source::Polis;
    changed.precision_m = 250.0;
    changed.place = None;
    changed.description = Some("Annan text".to_owned());
    changed.occurred_at = local(2025, 6, 1, 1, 30);
    changed.uid = "ignored-uid".to_owned();
    let before = project.update_incident(fid, &changed).unwrap();
    assert_eq!(before, stored);
    let after = project.incident(fid).unwrap().unwrap();
    assert_eq!(after.uid, stored.uid, "the uid never changes");
    assert_eq!(after.position, changed.position);
    assert_eq!(after.category, Category::Vald);
    assert_eq!(after.source, Source::Polis);
    assert_eq!(after.precision_m, 250.0);
    assert_eq!(after.place, None);
    assert_eq!(after.occurred_at, changed.occurred_at);
    assert!(rtree_hits(&path, 14.70, 56.10).is_empty());
    assert!(rtree_hits(&path, 14.55, 56.03).contains(&fid));
    check_index(&path, 201);
    // The point that made the extent bigger moved inside: it shrinks back.
    assert_eq!(project.info().unwrap().extent.unwrap(), extent0);

    // Delete: returns the incident, which comes back under the same fid and uid.
    let deleted = project.delete_incident(fid).unwrap();
    assert_eq!(deleted, after);
    assert_eq!(project.incident(fid).unwrap(), None);
    assert!(!rtree_hits(&path, 14.55, 56.03).contains(&fid));
    check_index(&path, 200);
    let restored_fid = project.add_incident(&deleted).unwrap();
    assert_eq!(restored_fid, fid);
    assert_eq!(project.incident(fid).unwrap(), Some(deleted.clone()));
    check_index(&path, 201);

    // A fresh add never reuses a fid, not even of a deleted incident.
    project.delete_incident(fid).unwrap();
    let mut another = observation(14.52, 56.025);
    another.uid = String::new();
    assert_eq!(project.add_incident(&another).unwrap(), fid + 1);
    check_index(&path, 201);

    // The edit log says who changed what, never the values.
    let log = edits_log(&path);
    let actions: Vec<&str> = log.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec!["add", "update", "delete", "add", "delete", "add"]
    );
    assert_eq!(log[1].2, stored.uid);
    let fields = log[1].3.as_deref().unwrap();
    assert!(
        fields.contains("geom") && fields.contains("description"),
        "{fields}"
    );
    let dump: String = log
        .iter()
        .map(|(a, f, u, c)| format!("{a}{f}{u}{c:?}"))
        .collect();
    assert!(!dump.contains("Annan text") && !dump.contains("Känslig"));
}

#[test]
fn an_edited_incident_is_a_duplicate_for_a_later_import() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut project) = project_with(dir.path(), 5);
    let host = observation(14.60, 56.06);
    let fid = project.add_incident(&host).unwrap();
    let mut session = project.begin_import("värdrapport.csv").unwrap();
    let mut same = host.clone();
    same.uid = lagesbild::model::new_uid();
    assert_eq!(session.push(&same).unwrap(), PushOutcome::Duplicate { fid });
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(project.info().unwrap().incident_count, 6);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = project_with(dir.path(), 10);
    let secret = "Anna Andersson slog till";
    let cases: Vec<(Incident, &str)> = vec![
        (
            Incident {
                position: LonLat::new(f64::NAN, 56.0),
                ..observation(0.0, 0.0)
            },
            "finite",
        ),
        (observation(14.6, 95.0), "latitude 95"),
        (observation(200.0, 56.0), "longitude 200"),
        (
            Incident {
                precision_m: -5.0,
                ..observation(14.6, 56.0)
            },
            "precision -5",
        ),
    ];
    for (mut bad, expect) in cases {
        bad.description = Some(secret.to_owned());
        let err = project.add_incident(&bad).unwrap_err();
        assert!(matches!(err, StoreError::InvalidIncident { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(expect), "{text}");
        assert!(text.contains("projekt.gpkg"), "{text}");
        assert!(
            !text.contains("Anna"),
            "descriptions never in errors: {text}"
        );
        let err = project.update_incident(1, &bad).unwrap_err();
        assert!(matches!(err, StoreError::InvalidIncident { .. }), "{err}");
    }
    // A taken uid or fid.
    let first = project.incident(1).unwrap().unwrap();
    let mut dup = observation(14.6, 56.0);
    dup.uid = first.uid.clone();
    let err = project.add_incident(&dup).unwrap_err().to_string();
    assert!(err.contains("already used by incident fid 1"), "{err}");
    let mut dup = observation(14.6, 56.0);
    dup.fid = Some(2);
    let err = project.add_incident(&dup).unwrap_err().to_string();
    assert!(err.contains("fid 2 is already used"), "{err}");
    // Unknown fids.
    assert!(matches!(
        project.update_incident(999, &observation(14.6, 56.0)),
        Err(StoreError::NoSuchIncident { fid: 999, .. })
    ));
    assert!(matches!(
        project.delete_incident(999),
        Err(StoreError::NoSuchIncident { fid: 999, .. })
    ));
    assert_eq!(project.info().unwrap().incident_count, 10);
    check_index(&path, 10);
    let logged: i64 = conn(&path)
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'lagesbild_edits'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 0, "nothing was edited, so nothing was logged");
}

#[test]
fn without_triggers_the_index_is_kept_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut project) = project_with(dir.path(), 30);
    // Another program dropped the GeoPackage triggers.
    project
        .connection()
        .execute_batch(
            "DROP TRIGGER rtree_incidents_geom_insert; DROP TRIGGER rtree_incidents_geom_update1; \
             DROP TRIGGER rtree_incidents_geom_delete;",
        )
        .unwrap();
    let fid = project.add_incident(&observation(14.66, 56.08)).unwrap();
    assert_eq!(rtree_hits(&path, 14.66, 56.08), vec![fid]);
    let mut moved = project.incident(fid).unwrap().unwrap();
    moved.position = LonLat::new(14.67, 56.09);
    project.update_incident(fid, &moved).unwrap();
    assert!(rtree_hits(&path, 14.66, 56.08).is_empty());
    assert_eq!(rtree_hits(&path, 14.67, 56.09), vec![fid]);
    project.delete_incident(fid).unwrap();
    assert!(rtree_hits(&path, 14.67, 56.09).is_empty());
    assert_eq!(rtreecheck(&path), "ok");
    assert_eq!(rtree_count(&path), 30);
}

#[test]
fn deleting_the_last_incident_clears_the_extent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tom.gpkg");
    let mut project = Project::create(&path, "Tom").unwrap();
    let fid = project.add_incident(&observation(14.6, 56.05)).unwrap();
    let info = project.info().unwrap();
    assert_eq!(info.incident_count, 1);
    let p = LonLat::new(14.6, 56.05);
    assert_eq!(info.extent, Some((p, p)));
    check_index(&path, 1);
    project.delete_incident(fid).unwrap();
    let info = project.info().unwrap();
    assert_eq!(info.incident_count, 0);
    assert_eq!(info.extent, None);
    let points = project
        .incident_points(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert!(points.is_empty());
    check_index(&path, 0);
}
