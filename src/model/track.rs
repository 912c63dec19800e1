//! Delivered presence: the hosts' GPS tracks and check-ins at places.
//!
//! Tracks are personal data about employees. They are keyed by a *host
//! code* (e.g. `TV03`), never a name: a code is 2–16 ASCII letters, digits,
//! `-` or `_` with at least one digit, so a plain first name is refused. The
//! app and the command line show presence aggregated per place (and week),
//! never a host's path; `lagesbild tracks prune` deletes old tracks.

use chrono::{DateTime, Utc};

use super::LonLat;

/// One GPS fix of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub at: DateTime<Utc>,
    pub position: LonLat,
}

/// One host's track of one shift, fixes in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The host code (see the module docs).
    pub host: String,
    /// The file it came from (for the list and duplicate checks).
    pub source: String,
    pub fixes: Vec<Fix>,
}

/// One check-in at a place (the alternative to tracks).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    /// The place's name, as in the places file.
    pub place: String,
    pub host: String,
    pub checked_in: DateTime<Utc>,
    pub checked_out: DateTime<Utc>,
}

/// Checks a host code; the error says what a code looks like.
pub fn check_host_code(code: &str) -> Result<(), String> {
    let ok_chars = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let len = code.chars().count();
    if !(2..=16).contains(&len) || !ok_chars || !code.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "host code {code:?} is not a code: use 2–16 letters, digits, - or _ with at least \
             one digit (e.g. TV03), never a name"
        ));
    }
    Ok(())
}

/// The host code a track file's name gives: the part of the file stem before
/// the first `_` (`TV03_2025-11-27.gpx` → `TV03`), or the whole stem.
pub fn host_code_from_file_name(stem: &str) -> String {
    stem.split('_').next().unwrap_or(stem).trim().to_owned()
}

impl Track {
    /// Sorts the fixes by time (phones sometimes write them out of order).
    pub fn sort(&mut self) {
        self.fixes.sort_by_key(|f| f.at);
    }

    /// First and last fix time.
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let first = self.fixes.iter().map(|f| f.at).min()?;
        let last = self.fixes.iter().map(|f| f.at).max()?;
        Some((first, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_codes_are_codes_not_names() {
        assert!(check_host_code("TV03").is_ok());
        assert!(check_host_code("v-1").is_ok());
        assert!(check_host_code("Anna").is_err());
        assert!(check_host_code("7").is_err());
        assert!(check_host_code("TV 03").is_err());
        assert!(check_host_code("Åsa1").is_err());
        assert_eq!(host_code_from_file_name("TV03_2025-11-27"), "TV03");
        assert_eq!(host_code_from_file_name("TV03"), "TV03");
    }
}
