//! Follow-up (issue 18): measures through `lagesbild measure`, their
//! evaluation through `lagesbild evaluate` (hand-worked counts, the JSON
//! keys, the WDQ with and without a control), the GeoPackage table read by
//! GDAL, and delivered presence through `lagesbild tracks` and `dose`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use lagesbild::crs::{Sweref99Tm, sweref_from_wgs84, wgs84_from_sweref};
use lagesbild::jobs::{CancelToken, NoProgress};
use lagesbild::model::{Category, Incident, LonLat, Source, time};
use lagesbild::store::{Project, PushOutcome, Store as _};
use serde_json::{Value, json};

use crate::util::{Dir, assert_exit, assert_valid_gpkg, ogrinfo_summary, run_cli_in, text};

/// The centre the other map tests use.
const CENTER: LonLat = LonLat {
    lon: 14.58,
    lat: 56.05,
};

/// WGS 84 [lon, lat] `de`, `dn` metres east and north of CENTER.
pub fn at(de: f64, dn: f64) -> [f64; 2] {
    let c = sweref_from_wgs84(CENTER);
    let p = wgs84_from_sweref(Sweref99Tm {
        easting: c.easting + de,
        northing: c.northing + dn,
    });
    [p.lon, p.lat]
}

/// A GeoJSON file with the square `side` metres at (`de`, `dn`).
fn square_file(dir: &Dir, name: &str, de: f64, dn: f64, side: f64) -> PathBuf {
    let ring = vec![
        at(de, dn),
        at(de + side, dn),
        at(de + side, dn + side),
        at(de, dn + side),
        at(de, dn),
    ];
    let fc = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]});
    dir.write(name, fc.to_string())
}

fn local(date: NaiveDate, h: u32) -> DateTime<Utc> {
    time::utc_from_local(date.and_hms_opt(h, 30, 0).unwrap()).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A project with incidents: (metres east, north of CENTER, date, hour, category, how many).
fn project_with(dir: &Dir, rows: &[(f64, f64, NaiveDate, u32, Category, usize)]) -> PathBuf {
    let path = dir.path("p.gpkg");
    let mut project = Project::create(&path, "Uppföljning").unwrap();
    let mut session = project.begin_import("test.csv").unwrap();
    let mut n = 0;
    for &(de, dn, date, hour, category, count) in rows {
        for _ in 0..count {
            let [lon, lat] = at(de, dn);
            let mut i = Incident::new(
                local(date, hour) + chrono::Duration::seconds(n),
                category,
                Source::Polis,
                LonLat::new(lon, lat),
                10.0,
            );
            i.external_id = Some(format!("e{n}"));
            n += 1;
            assert_eq!(session.push(&i).unwrap(), PushOutcome::Inserted);
        }
    }
    session.commit(&NoProgress, &CancelToken::new()).unwrap();
    path
}

fn cli(dir: &Dir, args: &[&str]) -> std::process::Output {
    run_cli_in(dir.root(), args)
}

fn json_out(out: &std::process::Output) -> Value {
    let (o, e) = text(out);
    serde_json::from_str(&o).unwrap_or_else(|err| panic!("{err}: {o}\n{e}"))
}

/// Area: a 200 m square at the centre. Ring: within 300 m outside it.
/// Control: a 500 m square 5 km east. The measure runs 1–30 April 2025
/// (30 days), so before is 2–31 March.
///
/// | place   | before (March) | after (April) |
/// |---------|----------------|---------------|
/// | area    | 20 (+2 brand)  | 8             |
/// | ring    | 5              | 9             |
/// | control | 10             | 10            |
///
/// WDQ = (9/10 − 5/10) / (8/10 − 20/10) = 0.4 / −1.2 = −1/3.
fn hand_worked(dir: &Dir) -> PathBuf {
    let v = Category::Skadegorelse;
    project_with(
        dir,
        &[
            (100.0, 100.0, d(2025, 3, 10), 21, v, 20),
            (100.0, 100.0, d(2025, 3, 11), 21, Category::Brand, 2),
            (100.0, 100.0, d(2025, 4, 10), 22, v, 8),
            (100.0, 350.0, d(2025, 3, 12), 23, v, 5), // 150 m north of the area
            (-250.0, 100.0, d(2025, 4, 12), 20, v, 9), // 250 m west
            (100.0, 100.0, d(2025, 3, 1), 21, v, 3),  // before the before period
            (700.0, 100.0, d(2025, 4, 13), 21, v, 4), // 500 m east: elsewhere
            (5200.0, 200.0, d(2025, 3, 20), 21, v, 10),
            (5200.0, 200.0, d(2025, 4, 20), 21, v, 10),
            (5200.0, 200.0, d(2025, 6, 30), 12, v, 1), // the last data date
        ],
    )
}

#[test]
fn a_measure_is_registered_listed_evaluated_and_removed() {
    let dir = Dir::new();
    let project = hand_worked(&dir);
    let p = project.to_str().unwrap();
    let area = square_file(&dir, "omr.geojson", 0.0, 0.0, 200.0);
    let control = square_file(&dir, "kontroll.geojson", 5000.0, 0.0, 500.0);
    let out = cli(
        &dir,
        &[
            "measure",
            "add",
            p,
            "--name",
            "Trygghetsvärdar i parken",
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2025-04-01",
            "--end",
            "2025-04-30",
            "--responsible",
            "Trygghetssamordnare",
            "--note",
            "trygghetsvärdar fre–lör kvällar",
            "--category",
            "skadegorelse",
            "--hours",
            "18-6",
        ],
    );
    assert_exit(&out, 0);
    // The same name again is refused.
    let again = cli(
        &dir,
        &[
            "measure",
            "add",
            p,
            "--name",
            "Trygghetsvärdar i parken",
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2025-04-01",
        ],
    );
    assert_exit(&again, 2);
    assert!(
        text(&again).1.contains("exists already"),
        "{:?}",
        text(&again)
    );

    let list = json_out(&cli(&dir, &["measure", "list", p, "--json"]));
    assert_eq!(list[0]["name"], "Trygghetsvärdar i parken");
    assert_eq!(list[0]["end"], "2025-04-30");
    assert_eq!(list[0]["problem"]["categories"], json!(["skadegorelse"]));

    let out = cli(
        &dir,
        &[
            "evaluate",
            p,
            "--measure",
            "Trygghetsvärdar i parken",
            "--control",
            control.to_str().unwrap(),
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let e = json_out(&out);
    assert_eq!(e["area"], json!({"before": 20, "after": 8}));
    assert_eq!(e["buffer"], json!({"before": 5, "after": 9}));
    assert_eq!(e["control"], json!({"before": 10, "after": 10}));
    let wdq = e["wdq"].as_f64().unwrap();
    assert!((wdq + 1.0 / 3.0).abs() < 1e-12, "{wdq}");
    assert_eq!(e["periods"]["before"], json!(["2025-03-02", "2025-03-31"]));
    assert_eq!(e["periods"]["after"], json!(["2025-04-01", "2025-04-30"]));
    let months: Vec<_> = e["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["area"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        months,
        [("2025-03".to_owned(), 20), ("2025-04".to_owned(), 8)]
    );
    // 8 of 28 at ½: two-sided p = 2 × P(X ≤ 8) = 0.0357 (hand sum of binomial terms).
    let pv = e["test"]["p_value"].as_f64().unwrap();
    assert!((pv - 0.035_698).abs() < 1e-5, "{pv}");
    let summary = e["summary"].as_str().unwrap();
    assert!(summary.contains("minskning med 60 %"), "{summary}");
    assert!(summary.contains("WDQ = -0,33"), "{summary}");

    // Without a control the WDQ is left out, and said why.
    let e = json_out(&cli(
        &dir,
        &[
            "evaluate",
            p,
            "--measure",
            "Trygghetsvärdar i parken",
            "--json",
        ],
    ));
    assert_eq!(e["wdq"], Value::Null);
    assert!(e["wdq_note"].as_str().unwrap().contains("no control area"));
    assert!(
        e["summary"]
            .as_str()
            .unwrap()
            .contains("inget kontrollområde")
    );

    // The same by area and dates; no end: after runs to the last data date
    // (30 June), so 91 days each side.
    let e = json_out(&cli(
        &dir,
        &[
            "evaluate",
            p,
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2025-04-01",
            "--category",
            "skadegorelse",
            "--json",
        ],
    ));
    assert_eq!(e["periods"]["days"], 91);
    assert_eq!(e["area"], json!({"before": 23, "after": 8}));

    // The table is a GeoPackage feature layer GDAL reads.
    assert_valid_gpkg(&project);
    if let Some(info) = ogrinfo_summary(&project) {
        assert!(info.contains("Layer name: measures"), "{info}");
        assert!(info.contains("Multi Polygon"), "{info}");
    }
    assert_exit(
        &cli(&dir, &["measure", "remove", p, "Trygghetsvärdar i parken"]),
        0,
    );
    assert_exit(
        &cli(&dir, &["measure", "remove", p, "Trygghetsvärdar i parken"]),
        1,
    );
    let store = Project::open(Path::new(p)).unwrap();
    assert!(store.measures().unwrap().is_empty());
}

#[test]
fn too_few_incidents_are_said_to_be_too_few() {
    let dir = Dir::new();
    let project = project_with(
        &dir,
        &[
            (100.0, 100.0, d(2025, 3, 10), 21, Category::Vald, 3),
            (100.0, 100.0, d(2025, 4, 10), 21, Category::Vald, 1),
        ],
    );
    let area = square_file(&dir, "omr.geojson", 0.0, 0.0, 200.0);
    let out = cli(
        &dir,
        &[
            "evaluate",
            project.to_str().unwrap(),
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2025-04-01",
            "--end",
            "2025-04-30",
            "--min-count",
            "1",
        ],
    );
    assert_exit(&out, 0);
    let (o, _) = text(&out);
    assert!(o.contains("för få för att säga något"), "{o}");
}

#[test]
fn bad_evaluate_arguments_are_clear_errors() {
    let dir = Dir::new();
    let project = hand_worked(&dir);
    let p = project.to_str().unwrap();
    let out = cli(&dir, &["evaluate", p, "--measure", "finns inte"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).1.contains("no measure named"),
        "{:?}",
        text(&out)
    );
    let area = square_file(&dir, "omr.geojson", 0.0, 0.0, 200.0);
    let out = cli(
        &dir,
        &[
            "evaluate",
            p,
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2025-04-01",
            "--from",
            "2025-01-01",
        ],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).1.contains("--from/--to do not apply"),
        "{:?}",
        text(&out)
    );
    let out = cli(
        &dir,
        &[
            "evaluate",
            p,
            "--area",
            area.to_str().unwrap(),
            "--start",
            "2026-01-01",
        ],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).1.contains("after the last date with data"),
        "{:?}",
        text(&out)
    );
}

/// A GPX 1.1 file of fixes at (local time HH:MM on 2025-11-28, metres east, north of CENTER).
fn gpx(fixes: &[(&str, f64, f64)]) -> String {
    let pts: String = fixes
        .iter()
        .map(|&(hm, de, dn)| {
            let [lon, lat] = at(de, dn);
            let naive = chrono::NaiveDateTime::parse_from_str(
                &format!("2025-11-28 {hm}"),
                "%Y-%m-%d %H:%M",
            )
            .unwrap();
            let t = time::utc_from_local(naive)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ");
            format!("<trkpt lat=\"{lat}\" lon=\"{lon}\"><time>{t}</time></trkpt>\n")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"test\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>\n{pts}</trkseg></trk></gpx>\n"
    )
}

/// Two hosts' shifts and two places, worked by hand (radius 50 m):
///
/// TV01 at Torget: 20:00, 20:02, 20:04 inside; no fix for 7 minutes; 20:11,
/// 20:13 inside: two visits (4 + 2 minutes). Then through Parken with one fix
/// inside (20:25): a walk-through, no visit.
/// TV02 at Parken 21:00–21:12, a fix a minute: one dose visit of 12 minutes;
/// at Torget 21:30–21:38: a too-short stop (8 minutes), a visit but no dose.
///
/// Torget: 3 visits, 0 dose visits, 14 minutes. Parken: 1, 1, 12.
fn shifts(dir: &Dir) -> (PathBuf, PathBuf, PathBuf) {
    let tv01 = gpx(&[
        ("20:00", 0.0, 0.0),
        ("20:02", 10.0, 0.0),
        ("20:04", 20.0, 0.0),
        ("20:11", 0.0, 0.0),
        ("20:13", 5.0, 0.0),
        ("20:20", 500.0, 0.0),
        ("20:25", 1000.0, 30.0),
        ("20:26", 1200.0, 0.0),
    ]);
    let mut tv02: Vec<(String, f64, f64)> = (0..=12)
        .map(|m| (format!("21:{m:02}"), 1000.0, -20.0))
        .collect();
    tv02.push(("21:20".into(), 500.0, 0.0));
    tv02.extend((30..=38).map(|m| (format!("21:{m:02}"), -30.0, 10.0)));
    let tv02: Vec<(&str, f64, f64)> = tv02.iter().map(|(t, e, n)| (t.as_str(), *e, *n)).collect();
    let places = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Torget"}, "geometry": {"type": "Point", "coordinates": at(0.0, 0.0)}},
        {"type": "Feature", "properties": {"namn": "Parken"}, "geometry": {"type": "Point", "coordinates": at(1000.0, 0.0)}},
    ]});
    (
        dir.write("TV01_2025-11-28.gpx", tv01),
        dir.write("TV02_2025-11-28.gpx", gpx(&tv02)),
        dir.write("platser.geojson", places.to_string()),
    )
}

fn dose_rows(v: &Value) -> Vec<(String, u64, u64, f64)> {
    v["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["visits"].as_u64().unwrap(),
                p["dose_visits"].as_u64().unwrap(),
                p["minutes"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn dose_from_gpx_files_and_stored_tracks_follows_the_rules() {
    let dir = Dir::new();
    let project = project_with(&dir, &[]);
    let p = project.to_str().unwrap();
    let (tv01, tv02, places) = shifts(&dir);
    let expected = vec![
        ("Torget".to_owned(), 3, 0, 14.0),
        ("Parken".to_owned(), 1, 1, 12.0),
    ];

    // From the files, storing nothing.
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--tracks",
            tv01.to_str().unwrap(),
            tv02.to_str().unwrap(),
            "--places",
            places.to_str().unwrap(),
            "--json",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(dose_rows(&json_out(&out)), expected);
    assert!(
        Project::open(&project)
            .unwrap()
            .track_summaries()
            .unwrap()
            .is_empty()
    );

    // Imported, then from the project; the output names no host.
    let out = cli(
        &dir,
        &[
            "tracks",
            "import",
            p,
            tv01.to_str().unwrap(),
            tv02.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    assert!(
        text(&out).0.contains("stored 2 track(s)"),
        "{:?}",
        text(&out)
    );
    let again = cli(&dir, &["tracks", "import", p, tv01.to_str().unwrap()]);
    assert!(text(&again).0.contains("1 skipped"), "{:?}", text(&again));
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--places",
            places.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(dose_rows(&json_out(&out)), expected);
    assert!(!text(&out).0.contains("TV0"), "{}", text(&out).0);
    // At 5 m only TV01's 20:11 (0 m) and 20:13 (5 m) fixes at Torget are inside.
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--places",
            places.to_str().unwrap(),
            "--radius",
            "5",
            "--json",
        ],
    );
    let rows = dose_rows(&json_out(&out));
    assert_eq!(rows[0], ("Torget".to_owned(), 1, 0, 2.0));
    // Dates outside the shift: nothing.
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--places",
            places.to_str().unwrap(),
            "--from",
            "2025-11-29",
            "--json",
        ],
    );
    assert_eq!(dose_rows(&json_out(&out))[0].1, 0);
    // Per week.
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--places",
            places.to_str().unwrap(),
            "--by-week",
            "--json",
        ],
    );
    let v = json_out(&out);
    assert_eq!(v["places"][0]["week"], "2025-W48");

    // The list has codes and times, no positions.
    let list = json_out(&cli(&dir, &["tracks", "list", p, "--json"]));
    assert_eq!(list[0]["host"], "TV01");
    assert!(list[0].get("fixes").is_some() && list[0].get("lat").is_none());

    // A file named after a person is refused, nothing stored.
    let anna = dir.write("Anna.gpx", std::fs::read(&tv01).unwrap());
    let out = cli(&dir, &["tracks", "import", p, anna.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("never a name"), "{:?}", text(&out));

    assert_valid_gpkg(&project);
    // Retention: these 2025 tracks are older than 90 days.
    let out = cli(&dir, &["tracks", "prune", p, "--older-than", "90d"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).0.contains("deleted 2 track(s)"),
        "{:?}",
        text(&out)
    );
    assert!(
        Project::open(&project)
            .unwrap()
            .track_summaries()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn checkins_count_as_visits_at_their_place() {
    let dir = Dir::new();
    let project = project_with(&dir, &[]);
    let p = project.to_str().unwrap();
    let (_, _, places) = shifts(&dir);
    let csv = dir.write("incheckning.csv",
        "plats;värd;in;ut\nTorget;TV03;2025-11-28 22:00;2025-11-28 22:15\nparken;TV03;2025-11-28 22:30;2025-11-28 22:35\n");
    assert_exit(
        &cli(&dir, &["tracks", "checkins", p, csv.to_str().unwrap()]),
        0,
    );
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--places",
            places.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(
        dose_rows(&json_out(&out)),
        [
            ("Torget".to_owned(), 1, 1, 15.0),
            ("Parken".to_owned(), 1, 0, 5.0)
        ]
    );
    let bad = dir.write(
        "bad.csv",
        "place,host,in,out\nTorget,TV03,2025-11-28 22:00,\n",
    );
    let out = cli(&dir, &["tracks", "checkins", p, bad.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("bad.csv:2: out"), "{:?}", text(&out));
}

#[test]
fn planned_presence_is_set_against_delivered_per_stop_and_week() {
    use lagesbild::model::plan::{PatrolRoute, PlanAttributes, RouteStop};
    let dir = Dir::new();
    let project = project_with(&dir, &[]);
    let p = project.to_str().unwrap();
    let (tv01, tv02, _) = shifts(&dir);
    let pt = |de: f64| {
        let [lon, lat] = at(de, 0.0);
        geo::Point::new(lon, lat)
    };
    let mut torget = RouteStop::new("Torget", pt(0.0));
    torget.dwell_min = 10;
    let mut parken = RouteStop::new("Parken", pt(1000.0));
    parken.dwell_min = 15;
    let route = PatrolRoute {
        id: None,
        attributes: PlanAttributes {
            name: "Centrum".into(),
            weekdays: "fri,sat".parse().unwrap(),
            ..PlanAttributes::default()
        },
        line: geo::LineString::from(vec![
            (pt(0.0).x(), pt(0.0).y()),
            (pt(1000.0).x(), pt(1000.0).y()),
        ]),
        stops: vec![torget, parken],
    };
    Project::open(&project)
        .unwrap()
        .save_patrol_route(&route)
        .unwrap();
    assert_exit(
        &cli(
            &dir,
            &[
                "tracks",
                "import",
                p,
                tv01.to_str().unwrap(),
                tv02.to_str().unwrap(),
            ],
        ),
        0,
    );
    let out = cli(
        &dir,
        &[
            "dose",
            "--min-count",
            "1",
            p,
            "--planned",
            "--from",
            "2025-11-24",
            "--to",
            "2025-12-07",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    let v = json_out(&out);
    let rows: Vec<_> = v["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["week"].as_str().unwrap().to_owned(),
                r["planned_minutes"].as_f64().unwrap(),
                r["minutes"].as_f64().unwrap(),
            )
        })
        .collect();
    // Planned a week: Torget 10 min × 2 days, Parken 15 × 2. Delivered as in `shifts`.
    assert_eq!(
        rows,
        [
            ("Torget".to_owned(), "2025-W48".to_owned(), 20.0, 14.0),
            ("Torget".to_owned(), "2025-W49".to_owned(), 20.0, 0.0),
            ("Parken".to_owned(), "2025-W48".to_owned(), 30.0, 12.0),
            ("Parken".to_owned(), "2025-W49".to_owned(), 30.0, 0.0),
        ]
    );
}

#[test]
fn hosts_form_reports_are_imported_once_as_trygghetsvard_incidents() {
    let dir = Dir::new();
    let project = project_with(&dir, &[]);
    let p = project.to_str().unwrap();
    let [lon, lat] = at(0.0, 0.0);
    let csv = format!(
        "start,tid,kategori,iakttagelse,_plats_latitude,_plats_longitude,_plats_altitude,_plats_precision,_id,_uuid,_submission_time\n\
         x,2025-11-28T21:40:00.000+01:00,skadegorelse,Klotter på skolan,{lat},{lon},0,8,1,u-1,2025-11-28T21:00:00\n\
         x,,ordningsstorning,,{lat},{lon},,,2,u-2,2025-11-28T22:05:00\n\
         x,,vald,Hemlig text,,,,,3,u-3,2025-11-28T22:05:00\n"
    );
    let file = dir.write("kobo_export.csv", csv);
    let out = cli(&dir, &["reports", "import", p, file.to_str().unwrap()]);
    assert_exit(&out, 0);
    let (o, e) = text(&out);
    assert!(
        o.contains("imported 2 report(s)") && o.contains("1 rejected"),
        "{o}"
    );
    assert!(e.contains("kobo_export.csv:4: no position"), "{e}");
    assert!(!e.contains("Hemlig"), "free text in an error: {e}");
    let again = cli(&dir, &["reports", "import", p, file.to_str().unwrap()]);
    assert!(
        text(&again).0.contains("2 already stored"),
        "{:?}",
        text(&again)
    );
    let store = Project::open(&project).unwrap();
    let all = store
        .incidents(&Default::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|i| i.source == Source::Trygghetsvard));
    assert_eq!(all[0].category, Category::Skadegorelse);
    assert_eq!(all[0].occurred_at.to_rfc3339(), "2025-11-28T20:40:00+00:00");
    assert_eq!(all[1].occurred_at.to_rfc3339(), "2025-11-28T22:05:00+00:00");
}
