//! `lagesbild polisen harvest` against a server on 127.0.0.1 that replays
//! recorded API answers (real ones: `tests/fixtures/polisen/README.md`):
//! filtering, the wait between runs (measured), updates, roll-off, back-off
//! on 429 and 5xx, a final 404, a broken body, and stopping on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lagesbild::harvest::{self, HarvestConfig, HarvestError, HttpTransport};
use lagesbild::jobs::CancelToken;
use lagesbild::model::Filter;
use lagesbild::store::{Project, Store};

use crate::util::{Dir, assert_exit, assert_valid_gpkg, fixture, run_cli_in, text};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    target: String,
    user_agent: String,
}

/// A replaying HTTP server: answers the n-th request with the n-th reply
/// (the last one again when they run out), at most 20 requests.
pub(crate) struct Replay {
    pub(crate) base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Replay {
    pub(crate) fn start(replies: Vec<(u16, Vec<u8>)>) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/api/events", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().take(20).enumerate() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut user_agent = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("user-agent")
                    {
                        user_agent = v.trim().to_owned();
                    }
                }
                let target = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_owned();
                log.lock().unwrap().push(Seen {
                    at: Instant::now(),
                    target,
                    user_agent,
                });
                let (status, body) = replies[n.min(replies.len() - 1)].clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Replay { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

pub(crate) fn body(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// Fast pauses for the library tests; the CLI test uses the real 10 s.
fn quick_config(base: &str) -> HarvestConfig {
    let mut c = HarvestConfig::new(vec!["Sölvesborg".to_owned()]);
    c.api_url = base.to_owned();
    c.min_interval = Duration::from_millis(50);
    c.backoff = Duration::from_millis(300);
    c.backoff_max = Duration::from_secs(2);
    c
}

fn ids(project: &Project) -> Vec<String> {
    let mut ids: Vec<String> = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .filter_map(|i| i.external_id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn two_runs_in_a_row_filter_update_keep_rolled_off_events_and_wait_10_s() {
    let server = Replay::start(vec![
        (200, body("polisen/harvest_1.json")),
        (200, body("polisen/harvest_2.json")),
    ]);
    let dir = Dir::new();
    let args = [
        "polisen",
        "harvest",
        "p.gpkg",
        "--location",
        "Sölvesborg",
        "--once",
        "--api-url",
        &server.base,
        "--contact",
        "trygghet@example.org",
    ];
    let out = run_cli_in(dir.root(), &args);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains("Created"), "{stderr}");
    // Filtering: 10 events of Blekinge län, 2 of them Sölvesborg's.
    assert!(stdout.contains("2 new, 0 updated, 0 unchanged"), "{stdout}");
    assert!(
        stdout.contains("8 event(s) of other places left out"),
        "{stdout}"
    );

    // A second run straight after waits for the API's 10 s.
    let out = run_cli_in(dir.root(), &args);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains("waiting"), "{stderr}");
    // 649592 was edited by the Police; 648913 has left the API's window.
    assert!(stdout.contains("0 new, 1 updated, 0 unchanged"), "{stdout}");

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    println!("measured time between the two runs' calls: {gap:?}");
    assert!(gap >= Duration::from_millis(9_900), "measured {gap:?}");
    assert!(gap < Duration::from_secs(20), "measured {gap:?}");
    for s in &seen {
        assert_eq!(
            s.target,
            "/api/events?locationname=S%C3%B6lvesborg%3BBlekinge%20l%C3%A4n"
        );
        assert!(s.user_agent.starts_with("Lagesbild/"), "{}", s.user_agent);
        assert!(
            s.user_agent.contains("contact: trygghet@example.org"),
            "{}",
            s.user_agent
        );
    }

    let path = dir.path("p.gpkg");
    let project = Project::open(&path).unwrap();
    assert_eq!(
        ids(&project),
        ["648913", "649592"],
        "the rolled-off event stays"
    );
    let updated = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap()
        .into_iter()
        .find(|i| i.external_id.as_deref() == Some("649592"))
        .unwrap();
    assert!(
        updated
            .description
            .as_deref()
            .unwrap()
            .contains("35-årsåldern")
    );
    let history = project.police_history("649592").unwrap();
    assert_eq!(history.len(), 1);
    assert!(
        history[0]
            .incident
            .description
            .as_deref()
            .unwrap()
            .contains("30-årsåldern")
    );
    assert_eq!(
        harvest::recent_calls(&project, chrono::Utc::now())
            .unwrap()
            .len(),
        2
    );
    drop(project);
    assert_valid_gpkg(&path);
}

#[test]
fn backs_off_on_429_and_5xx_then_harvests() {
    let server = Replay::start(vec![
        (429, b"{}".to_vec()),
        (503, b"Service Unavailable".to_vec()),
        (200, body("polisen/harvest_1.json")),
    ]);
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let transport = HttpTransport::new().unwrap();
    let mut lines = Vec::new();
    let run = harvest::harvest_once(
        &mut project,
        &quick_config(&server.base),
        &transport,
        &CancelToken::new(),
        &mut |l: &str| lines.push(l.to_owned()),
    )
    .unwrap();
    assert_eq!(run.calls, 3);
    assert_eq!(run.report.imported, 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    // Backing off 0.3 s, then 0.6 s.
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(290));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(590));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("HTTP 429") && l.contains("backing off")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("HTTP 503")), "{lines:?}");
}

#[test]
fn gives_up_after_the_attempts_and_stores_nothing() {
    let server = Replay::start(vec![(500, Vec::new())]);
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let transport = HttpTransport::new().unwrap();
    let err = harvest::harvest_once(
        &mut project,
        &quick_config(&server.base),
        &transport,
        &CancelToken::new(),
        &mut |_: &str| {},
    )
    .unwrap_err();
    assert!(
        matches!(err, HarvestError::GaveUp { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(server.seen().len(), 3);
    assert!(ids(&project).is_empty());
}

#[test]
fn a_404_is_final() {
    let server = Replay::start(vec![(404, b"Not found".to_vec())]);
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let transport = HttpTransport::new().unwrap();
    let err = harvest::harvest_once(
        &mut project,
        &quick_config(&server.base),
        &transport,
        &CancelToken::new(),
        &mut |_: &str| {},
    )
    .unwrap_err();
    assert!(matches!(err, HarvestError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("not retrying"), "{err}");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(server.seen().len(), 1, "no retry after 404");

    // Through the binary: exit 2 and the message.
    let out = run_cli_in(
        dir.root(),
        &[
            "polisen",
            "harvest",
            "q.gpkg",
            "--location",
            "Sölvesborg",
            "--api-url",
            &server.base,
        ],
    );
    assert_exit(&out, 2);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("404 Not Found"), "{stderr}");
    assert!(
        !dir.path("q.gpkg").exists(),
        "a project created for nothing is removed"
    );
}

#[test]
fn a_broken_body_is_a_clear_error_and_changes_nothing() {
    let good = body("polisen/harvest_1.json");
    let broken = good[..good.len() / 2].to_vec();
    let server = Replay::start(vec![
        (200, good),
        (200, broken),
        (200, b"[{\"lat\": 1}]".to_vec()),
    ]);
    let dir = Dir::new();
    let mut project = Project::create(&dir.path("p.gpkg"), "T").unwrap();
    let transport = HttpTransport::new().unwrap();
    let config = quick_config(&server.base);
    let stop = CancelToken::new();
    harvest::harvest_once(&mut project, &config, &transport, &stop, &mut |_: &str| {}).unwrap();
    let before = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();

    let err = harvest::harvest_once(&mut project, &config, &transport, &stop, &mut |_: &str| {})
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, HarvestError::Body(_)), "{text}");
    assert!(text.contains("nothing was stored"), "{text}");
    assert!(text.contains("broken JSON"), "{text}");
    assert!(text.contains("127.0.0.1"), "names the address: {text}");
    // No event text in the message.
    assert!(!text.contains("årsåldern"), "{text}");

    let err = harvest::harvest_once(&mut project, &config, &transport, &stop, &mut |_: &str| {})
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("none of which has a field of a police event"),
        "{err}"
    );

    let after = project
        .incidents(&Filter::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn plain_http_elsewhere_is_refused_before_any_call() {
    let dir = Dir::new();
    let out = run_cli_in(
        dir.root(),
        &[
            "polisen",
            "harvest",
            "p.gpkg",
            "--location",
            "Sölvesborg",
            "--api-url",
            "http://polisen.se/api/events",
        ],
    );
    assert_exit(&out, 2);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("over HTTPS"), "{stderr}");
    assert!(!dir.path("p.gpkg").exists());
}

#[cfg(unix)]
#[test]
fn every_runs_until_sigterm_and_exits_cleanly() {
    let server = Replay::start(vec![(200, body("polisen/harvest_1.json"))]);
    let dir = Dir::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .args([
            "polisen",
            "harvest",
            "p.gpkg",
            "--location",
            "Sölvesborg",
            "--every",
            "30m",
            "--api-url",
            &server.base,
        ])
        .current_dir(dir.root())
        .env("HOME", dir.path("home"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first harvest (bounded).
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.seen().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(800));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let out = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("2 new"), "{stdout}");
    assert!(stderr.contains("next harvest in"), "{stderr}");
    assert_eq!(server.seen().len(), 1);
    let project = Project::open(&dir.path("p.gpkg")).unwrap();
    assert_eq!(ids(&project).len(), 2);
}
