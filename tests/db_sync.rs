//! `lagesbild db pull` / `db push`: offline copies through the store seam,
//! GeoPackage to GeoPackage (the same code copies from and to PostGIS). The
//! copies are checked item by item against the source and with GDAL's
//! validator; the round trip pull → push → pull loses nothing; a push keeps
//! the import rules; and the GeoPackage's change stamp sees another
//! connection's import.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use geo::{LineString, MultiPolygon, Polygon, polygon};
use lagesbild::analysis::engine::{STUDY_AREA_KEY, keep_area};
use lagesbild::analysis::inputs::read_area;
use lagesbild::import::layer_file::read_layer_file;
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::measure::Measure;
use lagesbild::model::plan::{PatrolArea, PatrolPlan, PatrolRoute, PlanAttributes, RouteStop};
use lagesbild::model::track::{CheckIn, Fix, Track};
use lagesbild::model::view::{SavedView, ViewExtent, ViewLayer, layer_keys};
use lagesbild::model::{Category, Filter, Incident, LonLat, Source, Weekdays};
use lagesbild::store::layers::LayerStyle;
use lagesbild::store::{self, BoxedStore, copy};

use crate::util::{Dir, assert_exit, assert_valid_gpkg, ogrinfo_summary, run_cli_in, text};

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// Five incidents: sources, categories, dates and free text that differ.
fn incidents() -> Vec<Incident> {
    let rows = [
        (
            utc(2024, 3, 1, 21),
            Category::Skadegorelse,
            Source::Polis,
            14.5810,
            56.0500,
            Some("P-1"),
        ),
        (
            utc(2024, 6, 15, 23),
            Category::Narkotika,
            Source::Socialtjanst,
            14.5850,
            56.0510,
            None,
        ),
        (
            utc(2024, 9, 20, 19),
            Category::Vald,
            Source::Trygghetsvard,
            14.5900,
            56.0520,
            None,
        ),
        (
            utc(2025, 1, 10, 22),
            Category::Skadegorelse,
            Source::Skola,
            14.6750,
            56.0230,
            Some("S-9"),
        ),
        (
            utc(2025, 2, 5, 1),
            Category::Brand,
            Source::Raddningstjanst,
            14.6760,
            56.0240,
            Some("R-3"),
        ),
    ];
    rows.into_iter()
        .enumerate()
        .map(|(i, (at, category, source, lon, lat, ext))| {
            let mut inc = Incident::new(at, category, source, LonLat::new(lon, lat), 10.0);
            inc.place = Some(format!("Plats {i}"));
            inc.description = Some(format!("Fritext {i}"));
            inc.import_file = Some("källa.csv".into());
            inc.external_id = ext.map(str::to_owned);
            if i == 2 {
                inc.category_text = Some("Misshandel".into());
            }
            inc
        })
        .collect()
}

fn square(lon: f64, lat: f64, side: f64) -> Polygon<f64> {
    polygon![
        (x: lon, y: lat),
        (x: lon + side, y: lat),
        (x: lon + side, y: lat + side),
        (x: lon, y: lat + side),
        (x: lon, y: lat),
    ]
}

fn attributes(name: &str) -> PlanAttributes {
    PlanAttributes {
        name: name.into(),
        color: [178, 24, 43],
        team: "Par 1".into(),
        weekdays: "fri,sat".parse::<Weekdays>().unwrap(),
        hours: Some("20-2".parse().unwrap()),
        note: "Torget".into(),
        extra: serde_json::Map::new(),
    }
}

fn plan() -> PatrolPlan {
    PatrolPlan {
        areas: vec![PatrolArea {
            id: None,
            attributes: attributes("Centrum"),
            polygons: MultiPolygon(vec![square(14.576, 56.047, 0.01)]),
        }],
        routes: vec![PatrolRoute {
            id: None,
            attributes: attributes("Stationsslingan"),
            line: LineString::from(vec![
                (14.5801, 56.0493),
                (14.5849, 56.0511),
                (14.5865, 56.0565),
            ]),
            stops: vec![
                RouteStop {
                    id: None,
                    name: "Stortorget".into(),
                    position: geo::Point::new(14.5801, 56.0493),
                    dwell_min: 15,
                },
                RouteStop {
                    id: None,
                    name: "Stationen".into(),
                    position: geo::Point::new(14.5849, 56.0511),
                    dwell_min: 10,
                },
            ],
        }],
    }
}

fn view(title: &str) -> SavedView {
    SavedView {
        title: title.into(),
        notes: "Visa centrum först.".into(),
        extent: ViewExtent::from_corners(LonLat::new(14.55, 56.03), LonLat::new(14.62, 56.07)),
        layers: vec![ViewLayer {
            id: layer_keys::HEATMAP.into(),
            visible: true,
            opacity: 0.6,
        }],
        filter: Filter::default(),
        analysis: Default::default(),
    }
}

fn measure(name: &str, note: &str) -> Measure {
    Measure {
        fid: None,
        name: name.into(),
        problem: Filter::default(),
        place: "Parken".into(),
        area: MultiPolygon(vec![square(14.58, 56.05, 0.004)]),
        start: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        end: None,
        responsible: "Trygghetsenheten".into(),
        note: note.into(),
    }
}

const BOUNDARY: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"namn": "Centrum", "kod": 7},
  "geometry": {"type": "Polygon", "coordinates": [[[14.57, 56.04], [14.60, 56.04], [14.60, 56.06], [14.57, 56.06], [14.57, 56.04]]]}},
 {"type": "Feature", "properties": {"namn": "Hamnen", "kod": 8},
  "geometry": {"type": "Point", "coordinates": [14.59, 56.045]}}]}"#;

/// A project with something of every kind: incidents, two layers (one
/// restyled), the plan, two views, two measures, a track, a check-in and a
/// study area.
pub(crate) fn rich_project(dir: &Dir, name: &str) -> PathBuf {
    let path = dir.path(name);
    let mut p = store::create(&path, "Sölvesborg").unwrap();
    let mut session = p.begin_import("källa.csv").unwrap();
    for inc in incidents() {
        session.push(&inc).unwrap();
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    let file = dir.write("gränser.geojson", BOUNDARY);
    p.add_layers(&read_layer_file(&file, None).unwrap(), "gränser.geojson")
        .unwrap();
    let mut second = read_layer_file(&file, Some("hamnar")).unwrap();
    second[0].features.truncate(1);
    p.add_layers(&second, "hamnar.geojson").unwrap();
    let style = LayerStyle {
        color: [10, 20, 30],
        opacity: 0.5,
        visible: false,
        order: 7,
    };
    assert!(p.set_layer_style("hamnar", &style).unwrap());
    p.add_patrol_plan(&plan()).unwrap();
    p.put_views(&[view("Centrum"), view("Hamnen")]).unwrap();
    p.add_measure(&measure("Belysning i parken", "Nya lampor"))
        .unwrap();
    p.add_measure(&measure("Trygghetsvandring", "Med skolan"))
        .unwrap();
    let track = Track {
        host: "TV03".into(),
        source: "TV03_2024-09-20.gpx".into(),
        fixes: (0..5)
            .map(|i| Fix {
                at: utc(2024, 9, 20, 19) + chrono::Duration::minutes(i * 5),
                position: LonLat::new(14.58 + i as f64 * 0.001, 56.05),
            })
            .collect(),
    };
    p.add_tracks(&[track]).unwrap();
    p.add_checkins(&[CheckIn {
        place: "Stortorget".into(),
        host: "TV03".into(),
        checked_in: utc(2024, 9, 20, 20),
        checked_out: utc(2024, 9, 20, 21),
    }])
    .unwrap();
    let area_file = dir.write(
        "omr.geojson",
        r#"{"type": "Polygon", "coordinates": [[[14.55, 56.03], [14.62, 56.03], [14.62, 56.07], [14.55, 56.07], [14.55, 56.03]]]}"#,
    );
    keep_area(p.as_mut(), &read_area(&area_file).unwrap()).unwrap();
    path
}

/// Everything a copy must carry, ids left out, in a stable order.
#[derive(Debug, PartialEq)]
pub(crate) struct Content {
    pub(crate) incidents: Vec<Incident>,
    pub(crate) layers: Vec<(String, String, u64, LayerStyle, String)>,
    pub(crate) features: Vec<lagesbild::model::shape::FeatureSet>,
    pub(crate) plan: PatrolPlan,
    pub(crate) views: Vec<SavedView>,
    pub(crate) measures: Vec<Measure>,
    pub(crate) tracks: Vec<Track>,
    pub(crate) checkins: Vec<CheckIn>,
    pub(crate) name: Option<String>,
    pub(crate) area: Option<String>,
}

pub(crate) fn content(store: &BoxedStore) -> Content {
    let mut incidents = store
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    for i in &mut incidents {
        i.fid = None;
    }
    incidents.sort_by(|a, b| a.uid.cmp(&b.uid));
    let layer_list = store.layers().unwrap();
    let layers = layer_list
        .iter()
        .map(|l| {
            (
                l.name.clone(),
                l.geometry_type.clone(),
                l.feature_count,
                l.style,
                l.source.clone(),
            )
        })
        .collect();
    let features = layer_list
        .iter()
        .map(|l| store.layer_features(&l.name).unwrap().unwrap())
        .collect();
    let mut plan = store.patrol_plan().unwrap();
    for a in &mut plan.areas {
        a.id = None;
    }
    for r in &mut plan.routes {
        r.id = None;
        for s in &mut r.stops {
            s.id = None;
        }
    }
    let mut measures = store.measures().unwrap();
    for m in &mut measures {
        m.fid = None;
    }
    Content {
        incidents,
        layers,
        features,
        plan,
        views: store.views().unwrap(),
        measures,
        tracks: store.tracks(None, None).unwrap(),
        checkins: store.checkins(None, None).unwrap(),
        name: store.metadata("name").unwrap(),
        area: store.metadata(STUDY_AREA_KEY).unwrap(),
    }
}

fn open(path: &Path) -> BoxedStore {
    store::open(path).unwrap()
}

pub(crate) fn cli(dir: &Dir, args: &[&str]) -> std::process::Output {
    run_cli_in(dir.root(), args)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn pull_copies_every_kind_of_item_into_a_valid_geopackage() {
    let dir = Dir::new();
    let source = rich_project(&dir, "delad.gpkg");
    let out = dir.path("mote.gpkg");
    let run = cli(&dir, &["db", "pull", p(&source), "--out", p(&out)]);
    assert_exit(&run, 0);
    let (stdout, _) = text(&run);
    assert!(stdout.contains("incidents: 5 read, 5 stored"), "{stdout}");
    assert!(stdout.contains("map layers: 2 sent"), "{stdout}");
    assert!(
        !stdout.contains("Fritext"),
        "free text in the report: {stdout}"
    );
    assert_valid_gpkg(&out);
    if let Some(summary) = ogrinfo_summary(&out) {
        for table in [
            "incidents",
            "gränser",
            "hamnar",
            "patrol_areas",
            "patrol_routes",
            "measures",
        ] {
            assert!(
                summary.contains(&format!("Layer name: {table}")),
                "{table} missing:\n{summary}"
            );
        }
        assert!(summary.contains("Feature Count: 5"), "{summary}");
    }
    let (want, got) = (content(&open(&source)), content(&open(&out)));
    assert_eq!(got.incidents.len(), 5);
    assert!(got.incidents.iter().all(|i| i.description.is_some()));
    assert_eq!(
        got.layers, want.layers,
        "layers with their styles and sources"
    );
    // The hosts' tracks and check-ins stay in the source (personal data).
    assert!(!want.tracks.is_empty() && !want.checkins.is_empty());
    assert!(got.tracks.is_empty() && got.checkins.is_empty());
    assert!(
        stdout.contains("tracks and check-ins are not copied into offline copies"),
        "{stdout}"
    );
    let mut want = want;
    want.tracks.clear();
    want.checkins.clear();
    assert_eq!(got, want);
    let copy = open(&out);
    assert_eq!(
        copy.metadata(copy::PULLED_FROM_KEY).unwrap().as_deref(),
        Some(p(&source))
    );
    assert!(copy.metadata(copy::PULLED_AT_KEY).unwrap().is_some());
    // No temporary file is left beside the copy.
    let names: Vec<String> = std::fs::read_dir(dir.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".pull-")), "{names:?}");
}

#[test]
fn pull_takes_the_filters_and_the_area() {
    let dir = Dir::new();
    let source = rich_project(&dir, "delad.gpkg");
    // The area around the first three incidents (Sölvesborg centre).
    let area = dir.write(
        "centrum.geojson",
        r#"{"type": "Polygon", "coordinates": [[[14.57, 56.04], [14.60, 56.04], [14.60, 56.06], [14.57, 56.06], [14.57, 56.04]]]}"#,
    );
    let out = dir.path("centrum.gpkg");
    let run = cli(
        &dir,
        &[
            "db",
            "pull",
            p(&source),
            "--out",
            p(&out),
            "--from",
            "2024-04-01",
            "--area",
            p(&area),
        ],
    );
    assert_exit(&run, 0);
    let (stdout, _) = text(&run);
    assert!(
        stdout.contains("4 read, 2 outside the area left out, 2 stored"),
        "{stdout}"
    );
    let copy = open(&out);
    let got = copy
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    let sources: Vec<Source> = got.iter().map(|i| i.source).collect();
    assert_eq!(sources, [Source::Socialtjanst, Source::Trygghetsvard]);
    // The area is the copy's study area; the filter is recorded.
    let stored = copy.metadata(STUDY_AREA_KEY).unwrap().unwrap();
    assert!(stored.contains("centrum.geojson"), "{stored}");
    let filter = copy.metadata(copy::PULLED_FILTER_KEY).unwrap().unwrap();
    assert!(filter.contains("2024-04-01"), "{filter}");
    // Tracks and check-ins are never pulled.
    assert!(copy.tracks(None, None).unwrap().is_empty());
    assert!(copy.checkins(None, None).unwrap().is_empty());
    let only_sources = cli(
        &dir,
        &[
            "db",
            "pull",
            p(&source),
            "--out",
            "b.gpkg",
            "--source",
            "polis,skola",
            "--category",
            "skadegorelse",
        ],
    );
    assert_exit(&only_sources, 0);
    let got = open(&dir.path("b.gpkg"))
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(got.len(), 2);
}

#[test]
fn pull_never_overwrites_unless_forced_and_leaves_nothing_on_failure() {
    let dir = Dir::new();
    let source = rich_project(&dir, "delad.gpkg");
    let out = dir.write("mote.gpkg", b"mina anteckningar");
    let run = cli(&dir, &["db", "pull", p(&source), "--out", p(&out)]);
    assert_exit(&run, 2);
    let (_, stderr) = text(&run);
    assert!(stderr.contains("mote.gpkg: already exists"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"mina anteckningar");
    let forced = cli(
        &dir,
        &["db", "pull", p(&source), "--out", p(&out), "--force"],
    );
    assert_exit(&forced, 0);
    let mut want = content(&open(&source));
    (want.tracks, want.checkins) = (Vec::new(), Vec::new());
    assert_eq!(content(&open(&out)), want, "all but the tracks");
    // A source that is no project: an error naming it, no file written.
    let bad = dir.write("inte.gpkg", b"no database");
    let run = cli(&dir, &["db", "pull", p(&bad), "--out", "ny.gpkg"]);
    assert_exit(&run, 2);
    let (_, stderr) = text(&run);
    assert!(stderr.contains("inte.gpkg"), "{stderr}");
    assert!(!dir.path("ny.gpkg").exists());
    // Bad filters are refused before anything is read.
    let run = cli(
        &dir,
        &[
            "db",
            "pull",
            p(&source),
            "--out",
            "ny.gpkg",
            "--category",
            "katt",
        ],
    );
    assert_exit(&run, 2);
    assert!(!dir.path("ny.gpkg").exists());
}

#[test]
fn a_cancelled_pull_leaves_no_file() {
    let dir = Dir::new();
    let source = rich_project(&dir, "delad.gpkg");
    let out = dir.path("mote.gpkg");
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = copy::pull(
        open(&source).as_ref(),
        "delad.gpkg",
        &out,
        &copy::PullRequest::default(),
        false,
        &NoProgress,
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, store::StoreError::Cancelled(_)), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("mote"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn pull_push_pull_round_trip_loses_nothing_and_a_second_push_sends_nothing() {
    let dir = Dir::new();
    let source = rich_project(&dir, "delad.gpkg");
    let first = dir.path("mote.gpkg");
    assert_exit(
        &cli(&dir, &["db", "pull", p(&source), "--out", p(&first)]),
        0,
    );
    let target = dir.path("ny.gpkg");
    drop(store::create(&target, "Ny delad").unwrap());
    let push = cli(&dir, &["db", "push", p(&first), p(&target), "--json"]);
    assert_exit(&push, 0);
    let report: serde_json::Value = serde_json::from_slice(&push.stdout).unwrap();
    assert_eq!(report["complete"], true);
    assert_eq!(report["report"]["inserted"], 5);
    assert_eq!(report["report"]["layers"]["sent"], 2);
    assert_eq!(report["report"]["measures"]["sent"], 2);
    assert_eq!(report["report"]["plan_routes"]["sent"], 1);
    let second = dir.path("mote2.gpkg");
    assert_exit(
        &cli(&dir, &["db", "pull", p(&target), "--out", p(&second)]),
        0,
    );
    let (a, b) = (content(&open(&first)), content(&open(&second)));
    // The target keeps its own name and study area; all the rest is equal.
    assert_eq!(b.name.as_deref(), Some("Ny delad"));
    assert_eq!(a.incidents, b.incidents);
    assert_eq!(a.features, b.features);
    assert_eq!(
        a.layers
            .iter()
            .map(|l| (&l.0, &l.1, l.2, &l.4))
            .collect::<Vec<_>>(),
        b.layers
            .iter()
            .map(|l| (&l.0, &l.1, l.2, &l.4))
            .collect::<Vec<_>>()
    );
    let colours = |c: &Content| -> Vec<([u8; 3], bool)> {
        c.layers.iter().map(|l| (l.3.color, l.3.visible)).collect()
    };
    assert_eq!(colours(&a), colours(&b));
    assert_eq!(a.plan, b.plan);
    assert_eq!(a.views, b.views);
    assert_eq!(a.measures, b.measures);
    assert_eq!(a.tracks, b.tracks);
    assert_eq!(a.checkins, b.checkins);
    // The same push again: everything is there already.
    let again = cli(&dir, &["db", "push", p(&first), p(&target)]);
    assert_exit(&again, 0);
    let (stdout, _) = text(&again);
    assert!(
        stdout.contains("5 read, 0 stored, 5 duplicates, 0 conflicts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("map layers: 0 sent, 2 already there"),
        "{stdout}"
    );
    assert_eq!(content(&open(&target)).plan.areas.len(), 1);
    assert_eq!(content(&open(&target)).measures.len(), 2);
}

#[test]
fn push_keeps_the_import_rules_and_lists_what_it_could_not_send() {
    let dir = Dir::new();
    let file = rich_project(&dir, "mote.gpkg");
    let target = dir.path("delad.gpkg");
    let mut t = store::create(&target, "Delad").unwrap();
    // The police event P-1 stored at another time; a layer and a measure of
    // the same names in other forms.
    let mut moved = incidents().remove(0);
    moved.occurred_at = utc(2024, 3, 2, 21);
    moved.uid = lagesbild::model::new_uid();
    let mut s = t.begin_import("polisen.json").unwrap();
    s.push(&moved).unwrap();
    s.commit(&NoProgress, &CancelToken::new()).unwrap();
    let other = dir.write(
        "hamnar.geojson",
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": [14.60, 56.05]}}]}"#,
    );
    t.add_layers(&read_layer_file(&other, None).unwrap(), "hamnar.geojson")
        .unwrap();
    t.add_measure(&measure("Trygghetsvandring", "Med föreningarna"))
        .unwrap();
    drop(t);
    let run = cli(&dir, &["db", "push", p(&file), p(&target)]);
    assert_exit(&run, 1);
    let (stdout, stderr) = text(&run);
    assert!(
        stdout.contains("5 read, 4 stored, 0 duplicates, 1 conflicts"),
        "{stdout}"
    );
    assert!(stdout.contains("conflict: incident \"P-1\""), "{stdout}");
    assert!(stdout.contains("time differs"), "{stdout}");
    assert!(stdout.contains("not sent: \"hamnar\""), "{stdout}");
    assert!(
        stdout.contains("not sent: measure \"Trygghetsvandring\""),
        "{stdout}"
    );
    assert!(stderr.contains("not everything could be sent"), "{stderr}");
    assert!(!stdout.contains("Fritext") && !stderr.contains("Fritext"));
    let after = content(&open(&target));
    assert_eq!(after.incidents.len(), 5);
    let kept = after
        .measures
        .iter()
        .find(|m| m.name == "Trygghetsvandring")
        .unwrap();
    assert_eq!(kept.note, "Med föreningarna", "the target's measure stays");
    assert_eq!(after.measures.len(), 2);
    let hamnar = open(&target).layer_features("hamnar").unwrap().unwrap();
    assert_eq!(hamnar.features.len(), 1);
    assert_eq!(after.layers.len(), 2, "gränser sent, hamnar kept");
    assert_valid_gpkg(&target);
}

#[test]
fn demo_data_is_never_pushed_into_real_incidents() {
    let dir = Dir::new();
    assert_exit(
        &cli(&dir, &["demo", "--out", "demo.gpkg", "--count", "50"]),
        0,
    );
    let target = rich_project(&dir, "delad.gpkg");
    let before = std::fs::read(&target).unwrap();
    let run = cli(&dir, &["db", "push", "demo.gpkg", p(&target)]);
    assert_exit(&run, 2);
    let (_, stderr) = text(&run);
    assert!(stderr.contains("demo data"), "{stderr}");
    assert_eq!(std::fs::read(&target).unwrap(), before, "target unchanged");
    // Into an empty store it goes, and the store says it is demo data.
    let empty = dir.path("tom.gpkg");
    drop(store::create(&empty, "Tom").unwrap());
    let run = cli(&dir, &["db", "push", "demo.gpkg", p(&empty)]);
    assert_exit(&run, 0);
    let (stdout, _) = text(&run);
    assert!(stdout.contains("marked as demo data"), "{stdout}");
    assert_eq!(
        open(&empty).metadata("synthetic").unwrap().as_deref(),
        Some("true")
    );
}

#[test]
fn the_change_stamp_moves_when_another_connection_imports() {
    let dir = Dir::new();
    let path = rich_project(&dir, "delad.gpkg");
    let mut mine = open(&path);
    let first = mine
        .change_stamp()
        .unwrap()
        .expect("a GeoPackage has a stamp");
    assert_eq!(
        mine.change_stamp().unwrap(),
        Some(first),
        "reads move nothing"
    );
    let _ = mine
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(mine.change_stamp().unwrap(), Some(first));
    // Another connection (another app, the command line) imports.
    let mut theirs = open(&path);
    let mut s = theirs.begin_import("ny.csv").unwrap();
    s.push(&Incident::new(
        utc(2025, 3, 1, 20),
        Category::Stold,
        Source::Polis,
        LonLat::new(14.58, 56.05),
        10.0,
    ))
    .unwrap();
    s.commit(&NoProgress, &CancelToken::new()).unwrap();
    let second = mine.change_stamp().unwrap().unwrap();
    assert_ne!(second, first, "another connection's import is seen");
    // So does the command line, in another process.
    let csv = dir.write(
        "fler.csv",
        "Datum;Tid;Latitud;Longitud;Händelse\n2025-03-02;21:00;56,0500;14,5900;stöld\n",
    );
    assert_exit(&cli(&dir, &["import", p(&path), p(&csv)]), 0);
    let third = mine.change_stamp().unwrap().unwrap();
    assert_ne!(third, second, "another process's import is seen");
    // And this connection's own writes.
    mine.set_metadata("k", "v").unwrap();
    assert_ne!(mine.change_stamp().unwrap().unwrap(), third);
}

// --- against PostGIS (the test cluster; see tests/pg.rs) ---

/// GeoPackage → PostGIS → GeoPackage: the incidents and views come back
/// as they were; what the PostGIS store does not keep yet is listed, not
/// lost silently; a second push sends nothing.
#[cfg(feature = "postgres")]
#[test]
fn push_to_postgis_and_pull_back_loses_no_incident() {
    let Some((db, target)) = crate::pg::TestDb::with_project() else {
        return;
    };
    drop(target);
    let dir = Dir::new();
    let file = rich_project(&dir, "mote.gpkg");
    let push = cli(&dir, &["db", "push", p(&file), &db.url, "--json"]);
    let (stdout, stderr) = text(&push);
    let report: serde_json::Value =
        serde_json::from_slice(&push.stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(report["report"]["inserted"], 5, "{stdout}");
    assert_eq!(report["report"]["views"]["sent"], 2, "{stdout}");
    // Whatever the database cannot keep is listed by name and count, and
    // then the exit code says not everything went.
    let not_copied = report["report"]["not_copied"].as_array().unwrap();
    for line in not_copied {
        let line = line.as_str().unwrap();
        assert!(
            line.contains("cannot keep them") || line.contains(':'),
            "{line}"
        );
    }
    assert_exit(&push, if not_copied.is_empty() { 0 } else { 1 });
    assert!(!stdout.contains("Fritext") && !stderr.contains("Fritext"));

    let back = dir.path("tillbaka.gpkg");
    let pull = cli(&dir, &["db", "pull", &db.url, "--out", p(&back)]);
    assert_exit(&pull, 0);
    assert_valid_gpkg(&back);
    let (a, b) = (content(&open(&file)), content(&open(&back)));
    assert_eq!(a.incidents, b.incidents, "every field of every incident");
    assert_eq!(a.views, b.views);
    let copy = open(&back);
    let from = copy.metadata(copy::PULLED_FROM_KEY).unwrap().unwrap();
    assert!(from.starts_with("postgresql://127.0.0.1:"), "{from}");
    assert!(!from.contains("postgres@"), "no user name kept: {from}");

    // The same file again: all duplicates.
    let again = cli(&dir, &["db", "push", p(&file), &db.url, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["report"]["inserted"], 0);
    assert_eq!(report["report"]["duplicates"], 5);
    assert_eq!(report["report"]["views"]["duplicates"], 2);

    // A filtered pull from the database.
    let some = dir.path("polis.gpkg");
    let pull = cli(
        &dir,
        &[
            "db",
            "pull",
            &db.url,
            "--out",
            p(&some),
            "--source",
            "polis,skola",
        ],
    );
    assert_exit(&pull, 0);
    let got = open(&some)
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(got.len(), 2);
}

/// The PostGIS store's change stamp moves when another connection imports,
/// as the app's live refresh needs.
#[cfg(feature = "postgres")]
#[test]
fn the_postgis_change_stamp_moves_when_another_connection_imports() {
    let Some((db, mine)) = crate::pg::TestDb::with_project() else {
        return;
    };
    let first = mine.change_stamp().unwrap().expect("PostGIS has a stamp");
    assert_eq!(mine.change_stamp().unwrap(), Some(first));
    let mut theirs = store::open(db.url.as_str()).unwrap();
    let mut s = theirs.begin_import("ny.csv").unwrap();
    s.push(&incidents().remove(2)).unwrap();
    s.commit(&NoProgress, &CancelToken::new()).unwrap();
    assert_ne!(mine.change_stamp().unwrap(), Some(first));
}

/// The plan and measures on a push: sent, then duplicates, then (a route
/// edited in the offline copy) the plan import's merge rules replace the
/// target's route under its id, while a measure of a taken name stays a
/// conflict; a pull brings the plan and measures back as they are.
fn plan_and_measures_go_both_ways(target: &str, dir: &Dir) {
    let file = rich_project(dir, "mote.gpkg");
    let push = cli(dir, &["db", "push", p(&file), target, "--json"]);
    let (stdout, stderr) = text(&push);
    let report: serde_json::Value =
        serde_json::from_slice(&push.stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let r = &report["report"];
    assert_eq!(r["plan_areas"]["sent"], 1, "{stdout}");
    assert_eq!(r["plan_routes"]["sent"], 1, "{stdout}");
    assert_eq!(r["measures"]["sent"], 2, "{stdout}");
    for line in r["not_copied"].as_array().unwrap() {
        let line = line.as_str().unwrap();
        assert!(
            !line.contains("plan") && !line.contains("measures"),
            "{line}"
        );
    }
    let back = dir.path("tillbaka.gpkg");
    assert_exit(&cli(dir, &["db", "pull", target, "--out", p(&back)]), 0);
    assert_valid_gpkg(&back);
    let (a, b) = (content(&open(&file)), content(&open(&back)));
    assert_eq!(a.plan, b.plan, "areas, routes and stops, every attribute");
    assert_eq!(a.measures, b.measures, "every field of every measure");
    let held = store::open(target).unwrap().patrol_plan().unwrap();
    let route_id = held.routes[0].id;

    // The same file again: everything is there already.
    let again = cli(dir, &["db", "push", p(&file), target, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let r = &report["report"];
    assert_eq!(r["plan_areas"]["duplicates"], 1);
    assert_eq!(r["plan_routes"]["duplicates"], 1);
    assert_eq!(r["plan_routes"]["sent"], 0);
    assert_eq!(r["measures"]["duplicates"], 2);

    // The meeting room edits the route and a measure, and pushes back.
    let mut copy = open(&back);
    let mut edited = copy.patrol_plan().unwrap().routes[0].clone();
    edited.attributes.note = "Ny väg förbi hamnen".into();
    edited.stops.pop();
    copy.save_patrol_route(&edited).unwrap();
    let mut m = copy.measure("Trygghetsvandring").unwrap().unwrap();
    m.note = "Ändrad i mötet".into();
    copy.update_measure(m.fid.unwrap(), &m).unwrap();
    drop(copy);
    let run = cli(dir, &["db", "push", p(&back), target]);
    assert_exit(&run, 1);
    let (stdout, _) = text(&run);
    assert!(
        stdout.contains("patrol routes: 0 sent, 0 already there, 1 replaced"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not sent: measure \"Trygghetsvandring\""),
        "{stdout}"
    );
    let after = store::open(target).unwrap();
    let plan = after.patrol_plan().unwrap();
    assert_eq!(plan.routes.len(), 1, "replaced, not added");
    assert_eq!(plan.routes[0].id, route_id, "under the target's id");
    assert_eq!(plan.routes[0].attributes.note, "Ny väg förbi hamnen");
    assert_eq!(plan.routes[0].stops.len(), edited.stops.len());
    assert_eq!(plan.areas.len(), 1);
    let kept = after.measure("Trygghetsvandring").unwrap().unwrap();
    assert_eq!(kept.note, "Med skolan", "the target's measure stays");
}

#[test]
fn a_push_merges_the_plan_and_a_pull_brings_plan_and_measures_back() {
    let dir = Dir::new();
    let target = dir.path("delad.gpkg");
    drop(store::create(&target, "Delad").unwrap());
    plan_and_measures_go_both_ways(p(&target), &dir);
    assert_valid_gpkg(&target);
}

#[cfg(feature = "postgres")]
#[test]
fn a_push_to_postgis_merges_the_plan_and_a_pull_brings_plan_and_measures_back() {
    let Some((db, target)) = crate::pg::TestDb::with_project() else {
        return;
    };
    drop(target);
    plan_and_measures_go_both_ways(&db.url, &Dir::new());
}
