//! Harvesting the Police's open events API on a schedule.
//!
//! `polisen.se/api/events` returns only the latest 500 events in the whole
//! country, so a history for one municipality exists only if it is collected
//! regularly. [`harvest_once`] asks the API for the municipality's events,
//! keeps those of the requested places ([`LocationFilter`]) and stores them
//! by id ([`Store::upsert_police_events`]): new events are added, edited
//! ones updated in place with their history, and events that left the API's
//! window stay.
//!
//! # The API's published rules, and how they are kept
//! - **HTTPS only**: [`HarvestConfig::check`] refuses any other scheme,
//!   except plain HTTP to this machine (127.0.0.1, localhost, [::1]) for tests
//!   and local mirrors.
//! - **A User-Agent that names the client and a contact** (the API answers
//!   403 without one): [`user_agent`].
//! - **At least 10 s between calls, at most 60 an hour and 1 440 a day**: the
//!   time of every call of the last 24 hours is kept in the project (metadata
//!   key [`CALLS_KEY`]) and written *before* the call, so two runs in a row,
//!   or a run after a crash, wait too. [`next_call_at`] computes the wait.
//! - **Back off on 429 and 5xx**: the call is retried after a growing pause
//!   (Retry-After when the server gives a longer one), at most
//!   [`HarvestConfig::attempts`] times.
//! - **404 is final**: no retry; the error says the address is wrong or the
//!   API is gone. Any other 4xx is final too.
//!
//! A body that is not a list of police events (cut off, HTML) is an error
//! naming the address and the line, and nothing is stored.
//!
//! # Query
//! The API's `locationname` takes several names separated by `;`. Since 2026
//! it names the county for every event and the municipality only in the
//! event's name, so for a municipality it knows the county of (the five of
//! Blekinge: [`county_of`]) the harvester asks for both and keeps only the
//! municipality's events (and the county's summaries) itself.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::import::polisen::{self, LocationFilter, PolisenBatch};
use crate::import::{ImportError, ImportReport};
use crate::jobs::{CancelToken, Cancelled};
use crate::model::fold_name;
use crate::store::{Store, StoreError};

/// The API's address.
pub const DEFAULT_API_URL: &str = "https://polisen.se/api/events";

/// Project metadata key holding the times of the calls of the last 24 hours
/// (a JSON list of RFC 3339 times, oldest first).
pub const CALLS_KEY: &str = "polisen.harvest.calls";

/// The API's rules (see the module docs).
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);
pub const MAX_PER_HOUR: usize = 60;
pub const MAX_PER_DAY: usize = 1_440;

/// Who we say we are when none is configured: the unit the app is made for.
pub const DEFAULT_CONTACT: &str = "Sölvesborgs kommun, Område trygghet, säkerhet och folkhälsa";

/// The User-Agent: the app, its version and a contact.
pub fn user_agent(contact: &str) -> String {
    format!(
        "{} (lägesbild for municipal safety work; contact: {contact})",
        crate::APP_NAME_VERSION
    )
}

/// The county of a municipality the harvester knows (Blekinge's five).
pub fn county_of(municipality: &str) -> Option<&'static str> {
    const BLEKINGE: [&str; 5] = [
        "karlshamn",
        "karlskrona",
        "olofstrom",
        "ronneby",
        "solvesborg",
    ];
    BLEKINGE
        .contains(&fold_name(municipality).as_str())
        .then_some("Blekinge län")
}

/// What to harvest and how.
#[derive(Debug, Clone)]
pub struct HarvestConfig {
    /// The API's address ([`DEFAULT_API_URL`]).
    pub api_url: String,
    /// Places whose events are kept (`--location`, split at `;`).
    pub locations: Vec<String>,
    /// The contact named in the User-Agent.
    pub contact: String,
    /// Least time between calls (the API's rule: 10 s).
    pub min_interval: Duration,
    /// Calls allowed in an hour and a day.
    pub max_per_hour: usize,
    pub max_per_day: usize,
    /// Calls made for one harvest when the API answers 429 or 5xx.
    pub attempts: u32,
    /// Pause before the first retry; doubled for each further one, at most
    /// `backoff_max`.
    pub backoff: Duration,
    pub backoff_max: Duration,
}

impl HarvestConfig {
    /// The API's rules with production pauses: 10 s between calls, retries
    /// after 1, 2 and at most 30 minutes… (3 calls in all).
    pub fn new(locations: Vec<String>) -> HarvestConfig {
        HarvestConfig {
            api_url: DEFAULT_API_URL.to_owned(),
            locations,
            contact: DEFAULT_CONTACT.to_owned(),
            min_interval: MIN_INTERVAL,
            max_per_hour: MAX_PER_HOUR,
            max_per_day: MAX_PER_DAY,
            attempts: 3,
            backoff: Duration::from_secs(60),
            backoff_max: Duration::from_secs(30 * 60),
        }
    }

    /// Checks the address and places; never contacts anything.
    pub fn check(&self) -> Result<(), HarvestError> {
        let url = self.api_url.trim();
        let lower = url.to_ascii_lowercase();
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                lower.starts_with(p)
                    && matches!(lower.as_bytes().get(p.len()), None | Some(b':' | b'/'))
            });
        if !lower.starts_with("https://") && !loopback {
            return Err(HarvestError::Config(format!(
                "--api-url {url:?}: the Police API must be reached over HTTPS (plain http only to this machine, 127.0.0.1 or localhost)"
            )));
        }
        if url.contains('?') {
            return Err(HarvestError::Config(format!(
                "--api-url {url:?}: give the address without a query; --location sets locationname"
            )));
        }
        if self.locations.iter().all(|l| l.trim().is_empty()) {
            return Err(HarvestError::Config(
                "--location: name at least one municipality or county, e.g. Sölvesborg".to_owned(),
            ));
        }
        Ok(())
    }

    /// The places asked for: the locations and the counties of those the
    /// harvester knows, without repeats.
    pub fn query_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut push = |n: &str| {
            if !names.iter().any(|m| fold_name(m) == fold_name(n)) {
                names.push(n.to_owned());
            }
        };
        for l in self
            .locations
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
        {
            push(l);
        }
        for l in self.locations.clone() {
            if let Some(c) = county_of(&l) {
                push(c);
            }
        }
        names
    }

    /// The address called: `api_url?locationname=A;B` (percent-encoded).
    pub fn request_url(&self) -> String {
        format!(
            "{}?locationname={}",
            self.api_url.trim(),
            percent_encode(&self.query_names().join(";"))
        )
    }

    /// Events of the locations; summaries of the locations and their counties.
    pub fn filter(&self) -> LocationFilter {
        let events: Vec<String> = self
            .locations
            .iter()
            .map(|l| fold_name(l))
            .filter(|l| !l.is_empty())
            .collect();
        let summaries = self.query_names().iter().map(|n| fold_name(n)).collect();
        LocationFilter { events, summaries }
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
    /// The Retry-After header, in seconds, when given.
    pub retry_after: Option<Duration>,
}

/// Makes the GET request (a real HTTPS client, or a test double).
pub trait Transport {
    /// GETs `url` with `user_agent`; `Err` for a failure below HTTP (no
    /// connection, TLS, time-out), with a one-line reason.
    fn get(&self, url: &str, user_agent: &str) -> Result<HttpResponse, String>;
}

/// Why a harvest failed.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("{0}")]
    Config(String),
    /// The API answered 404: the address is wrong or the API is gone.
    #[error(
        "{url}: 404 Not Found: the address is wrong or the API was withdrawn; not retrying (check --api-url)"
    )]
    NotFound { url: String },
    /// Another answer that retrying will not change (403, 400, …).
    #[error("{url}: HTTP {status}: {hint}; not retrying")]
    Refused {
        url: String,
        status: u16,
        hint: String,
    },
    /// 429 or 5xx on every attempt, or no connection.
    #[error("{url}: gave up after {attempts} call(s): {last}")]
    GaveUp {
        url: String,
        attempts: u32,
        last: String,
    },
    /// The body is not a list of police events; nothing was stored.
    #[error("the API's answer could not be read, nothing was stored: {0}")]
    Body(ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stopped (Ctrl+C, service stop) while waiting; nothing was called.
    #[error("stopped")]
    Stopped,
}

impl From<Cancelled> for HarvestError {
    fn from(_: Cancelled) -> Self {
        HarvestError::Stopped
    }
}

/// What one harvest did.
#[derive(Debug, Clone)]
pub struct HarvestRun {
    /// When the successful call was made.
    pub called_at: DateTime<Utc>,
    /// Calls made (more than one after 429/5xx).
    pub calls: u32,
    /// Seconds waited for the API's rules before the first call.
    pub waited: Duration,
    /// Events in the answer that belong to other places.
    pub elsewhere: u64,
    /// What was stored (imported = new, updated, duplicates = unchanged,
    /// summaries).
    pub report: ImportReport,
}

/// The times of the calls of the last 24 hours, oldest first.
pub fn recent_calls(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    let Some(text) = store.metadata(CALLS_KEY)? else {
        return Ok(Vec::new());
    };
    // A damaged value counts as no calls rather than blocking harvests.
    let raw: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
    let day = chrono::Duration::hours(24);
    let mut calls: Vec<DateTime<Utc>> = raw
        .iter()
        .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| *t > now - day && *t <= now + chrono::Duration::minutes(5))
        .collect();
    calls.sort();
    Ok(calls)
}

/// The earliest time the next call may be made after `calls` (oldest
/// first): 10 s after the last, and so that no hour holds more than
/// `max_per_hour` calls and no day more than `max_per_day`.
pub fn next_call_at(
    calls: &[DateTime<Utc>],
    now: DateTime<Utc>,
    config: &HarvestConfig,
) -> DateTime<Utc> {
    let to_chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let mut at = now;
    if let Some(last) = calls.last() {
        at = at.max(*last + to_chrono(config.min_interval));
    }
    let window = |span: chrono::Duration, max: usize, at: DateTime<Utc>| -> DateTime<Utc> {
        let inside: Vec<&DateTime<Utc>> = calls.iter().filter(|t| **t > at - span).collect();
        if max == 0 || inside.len() < max {
            return at;
        }
        // Wait until enough of them have left the window.
        let oldest_needed = inside[inside.len() - max];
        at.max(*oldest_needed + span)
    };
    at = window(chrono::Duration::hours(1), config.max_per_hour, at);
    at = window(chrono::Duration::hours(24), config.max_per_day, at);
    at
}

fn record_call(store: &mut dyn Store, at: DateTime<Utc>) -> Result<(), StoreError> {
    let mut calls = recent_calls(store, at)?;
    calls.push(at);
    let text: Vec<String> = calls.iter().map(|t| t.to_rfc3339()).collect();
    store.set_metadata(
        CALLS_KEY,
        &serde_json::to_string(&text).unwrap_or_else(|_| "[]".to_owned()),
    )
}

/// Sleeps `d`, waking early (with `Err`) when `stop` is set.
pub fn sleep_unless_stopped(d: Duration, stop: &CancelToken) -> Result<(), Cancelled> {
    let end = std::time::Instant::now() + d;
    loop {
        stop.check()?;
        let now = std::time::Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(Duration::from_millis(100)));
    }
}

/// A short hint for an HTTP status the harvester will not retry.
fn status_hint(status: u16) -> String {
    match status {
        403 => "forbidden (the API refuses clients without a User-Agent that names them, or this address is blocked for breaking its rules)".to_owned(),
        400 => "bad request (a --location the API does not know?)".to_owned(),
        _ => "the API refused the request".to_owned(),
    }
}

/// One harvest: waits for the API's rules, calls (retrying on 429/5xx),
/// reads the answer and stores the kept events in one transaction. `say`
/// gets one line per wait or retry, for the terminal or a log.
///
/// `stop` (Ctrl+C, service stop) is honoured while waiting; once the answer
/// is in, its import is finished.
///
/// # Errors
/// See [`HarvestError`]; in every case nothing was stored except the call
/// times.
pub fn harvest_once(
    store: &mut dyn Store,
    config: &HarvestConfig,
    transport: &dyn Transport,
    stop: &CancelToken,
    say: &mut dyn FnMut(&str),
) -> Result<HarvestRun, HarvestError> {
    config.check()?;
    let url = config.request_url();
    let agent = user_agent(&config.contact);
    let started = std::time::Instant::now();
    let mut waited = Duration::ZERO;
    let mut last_problem = String::new();
    for attempt in 1..=config.attempts.max(1) {
        let now = Utc::now();
        let calls = recent_calls(store, now)?;
        let at = next_call_at(&calls, now, config);
        if at > now {
            let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
            say(&format!(
                "waiting {:.1} s before calling the API (its rules: at least {} s between calls, at most {} an hour and {} a day)",
                wait.as_secs_f64(),
                config.min_interval.as_secs(),
                config.max_per_hour,
                config.max_per_day
            ));
            sleep_unless_stopped(wait, stop)?;
            if attempt == 1 {
                waited = started.elapsed();
            }
        }
        stop.check()?;
        let called_at = Utc::now();
        record_call(store, called_at)?;
        let response = transport.get(&url, &agent);
        let retry_after = match response {
            Ok(r) if r.status == 200 => {
                let batch =
                    polisen::read_batch(std::path::Path::new(&url), r.body, Some(config.filter()))
                        .map_err(HarvestError::Body)?;
                let elsewhere = batch.elsewhere;
                let report = store_answer(store, &url, batch)?;
                return Ok(HarvestRun {
                    called_at,
                    calls: attempt,
                    waited,
                    elsewhere,
                    report,
                });
            }
            Ok(r) if r.status == 404 => return Err(HarvestError::NotFound { url }),
            Ok(r) if r.status == 429 || (500..600).contains(&r.status) => {
                last_problem = format!("HTTP {}", r.status);
                r.retry_after
            }
            Ok(r) => {
                return Err(HarvestError::Refused {
                    url,
                    status: r.status,
                    hint: status_hint(r.status),
                });
            }
            Err(reason) => {
                last_problem = reason;
                None
            }
        };
        if attempt == config.attempts.max(1) {
            break;
        }
        let backoff = config
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(config.backoff_max);
        let pause = retry_after.map_or(backoff, |r| r.max(backoff));
        say(&format!(
            "the API answered {last_problem}; backing off for {:.1} s before trying again",
            pause.as_secs_f64()
        ));
        sleep_unless_stopped(pause, stop)?;
    }
    Err(HarvestError::GaveUp {
        url,
        attempts: config.attempts.max(1),
        last: last_problem,
    })
}

fn store_answer(
    store: &mut dyn Store,
    url: &str,
    batch: PolisenBatch,
) -> Result<ImportReport, HarvestError> {
    let label = std::path::Path::new(url);
    let mut report = ImportReport::new(label, crate::import::Format::Polisen);
    let started = std::time::Instant::now();
    let name = format!("{url} (harvest)");
    // The import itself is not cancelled by a stop request: it finishes.
    polisen::store_batch(
        store,
        &name,
        batch,
        false,
        &mut report,
        None,
        &CancelToken::new(),
    )
    .map_err(|e| match e {
        ImportError::Store(s) => HarvestError::Store(s),
        other => HarvestError::Body(other),
    })?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The real HTTPS client (feature `harvest`): reqwest's blocking client with
/// rustls, a 30 s time-out and no redirects to plain HTTP.
#[cfg(feature = "harvest")]
pub struct HttpTransport {
    client: reqwest::blocking::Client,
}

#[cfg(feature = "harvest")]
impl HttpTransport {
    pub fn new() -> Result<HttpTransport, String> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| format!("could not set up the HTTPS client: {e}"))?;
        Ok(HttpTransport { client })
    }
}

#[cfg(feature = "harvest")]
impl Transport for HttpTransport {
    fn get(&self, url: &str, user_agent: &str) -> Result<HttpResponse, String> {
        let response = self
            .client
            .get(url)
            .header(reqwest::header::USER_AGENT, user_agent)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .map_err(|e| {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    text.push_str(": ");
                    text.push_str(&s.to_string());
                    source = s.source();
                }
                text
            })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .bytes()
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_vec();
        Ok(HttpResponse {
            status,
            body,
            retry_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_query_asks_for_the_municipality_and_its_county() {
        let c = HarvestConfig::new(vec!["Sölvesborg".to_owned()]);
        assert_eq!(c.query_names(), ["Sölvesborg", "Blekinge län"]);
        assert_eq!(
            c.request_url(),
            "https://polisen.se/api/events?locationname=S%C3%B6lvesborg%3BBlekinge%20l%C3%A4n"
        );
        let c = HarvestConfig::new(vec![
            "Kiruna".to_owned(),
            "Sölvesborg".to_owned(),
            "solvesborg".to_owned(),
        ]);
        assert_eq!(c.query_names(), ["Kiruna", "Sölvesborg", "Blekinge län"]);
        let f = c.filter();
        assert!(f.events.contains(&"solvesborg".to_owned()));
        assert!(!f.events.contains(&"blekinge lan".to_owned()));
        assert!(f.summaries.contains(&"blekinge lan".to_owned()));
    }

    #[test]
    fn https_only_except_to_this_machine() {
        let mut c = HarvestConfig::new(vec!["Sölvesborg".to_owned()]);
        assert!(c.check().is_ok());
        for ok in [
            "http://127.0.0.1:8080/api/events",
            "http://localhost/api",
            "HTTPS://polisen.se/api/events",
        ] {
            c.api_url = ok.to_owned();
            assert!(c.check().is_ok(), "{ok}");
        }
        for bad in [
            "http://polisen.se/api/events",
            "http://127.0.0.1.evil.example/api",
            "http://localhost.example/api",
            "ftp://polisen.se",
            "https://polisen.se/api/events?locationname=x",
        ] {
            c.api_url = bad.to_owned();
            assert!(matches!(c.check(), Err(HarvestError::Config(_))), "{bad}");
        }
        let c = HarvestConfig::new(vec![" ".to_owned()]);
        assert!(c.check().is_err());
    }

    #[test]
    fn the_user_agent_names_the_app_and_a_contact() {
        let ua = user_agent("trygghet@example.org");
        assert!(ua.starts_with("Lagesbild/"), "{ua}");
        assert!(ua.contains("contact: trygghet@example.org"), "{ua}");
        assert!(user_agent(DEFAULT_CONTACT).contains("Sölvesborgs kommun"));
    }

    #[test]
    fn the_rate_rules() {
        let c = HarvestConfig::new(vec!["Sölvesborg".to_owned()]);
        let now = t("2026-08-22T12:00:00Z");
        // No calls: now.
        assert_eq!(next_call_at(&[], now, &c), now);
        // 10 s after the last call.
        assert_eq!(
            next_call_at(&[t("2026-08-22T11:59:55Z")], now, &c),
            t("2026-08-22T12:00:05Z")
        );
        assert_eq!(next_call_at(&[t("2026-08-22T11:59:00Z")], now, &c), now);
        // 60 in the last hour: wait until the oldest of them is an hour old.
        let hour: Vec<DateTime<Utc>> = (0..60)
            .map(|i| t("2026-08-22T11:05:00Z") + chrono::Duration::seconds(i * 30))
            .collect();
        assert_eq!(next_call_at(&hour, now, &c), t("2026-08-22T12:05:00Z"));
        // 59: allowed (after the 10 s).
        assert_eq!(next_call_at(&hour[1..], now, &c), now);
        // 1 440 in the day (one a minute): the oldest must leave the day.
        let day: Vec<DateTime<Utc>> = (0..1440)
            .map(|i| t("2026-08-21T12:00:30Z") + chrono::Duration::seconds(i * 59))
            .collect();
        let at = next_call_at(&day, now, &c);
        assert!(at >= t("2026-08-22T12:00:30Z"), "{at}");
    }

    #[test]
    fn counties_of_blekinge() {
        assert_eq!(county_of("Sölvesborg"), Some("Blekinge län"));
        assert_eq!(county_of("OLOFSTRÖM"), Some("Blekinge län"));
        assert_eq!(county_of("Kristianstad"), None);
    }
}
