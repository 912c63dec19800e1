//! A shared database project in the app: Arkiv → "Anslut till databas"
//! ([`ConnectDialog`]) and the live refresh that shows other users' changes
//! ([`LiveRefresh`]).
//!
//! A database opens exactly as a file does: its location (a
//! `postgresql://` URL or `service=NAME`) goes where a project path goes,
//! and the store behind [`crate::store::open`] takes it from there. The app
//! never asks for a password and never keeps one: the dialog refuses an
//! address with a password in it (and takes it out of the field), and
//! [`without_password`] strips one from whatever is remembered (last and
//! recent projects), so a location given on the command line with a
//! password is not saved with it either.
//!
//! | file | what it holds |
//! |------|---------------|
//! | `mod.rs` | locations: database or file, passwords taken out |
//! | `dialog.rs` | the connection dialog |
//! | `live.rs` | polling the store's change stamp, reloading, the notice |
//! | `text.rs` | the strings, Swedish and English |

mod dialog;
mod live;
pub mod text;

pub use dialog::{ConnectDialog, ConnectEvent};
pub use live::{LOADED_KINDS, LiveRefresh, NOTICE_S, OwnWrites, POLL_EVERY};

use crate::store::Location;

/// True for a database location: a `postgresql://` or `postgres://` URL, or
/// a service name (`service=NAME`).
pub fn is_database(text: &str) -> bool {
    let text = text.trim();
    matches!(Location::parse(text), Location::Postgres(_))
        || text
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("service="))
}

/// `text` with any password taken out: the password of a URL's user info
/// (`postgresql://anna:secret@host/db` → `postgresql://anna@host/db`) and
/// `password=` parameters (`?password=…` in a URL, `password=…` in a
/// `service=NAME password=…` connection string). Anything else is returned
/// as it is.
pub fn without_password(text: &str) -> String {
    if !is_database(text) {
        return text.to_owned();
    }
    let is_password = |part: &str| {
        part.split_once('=')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("password"))
    };
    let Some((scheme, rest)) = text.split_once("://") else {
        // A key=value connection string.
        return text
            .split_whitespace()
            .filter(|part| !is_password(part))
            .collect::<Vec<_>>()
            .join(" ");
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split_once(':').map_or(user_info, |(u, _)| u);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let kept: Vec<&str> = query.split('&').filter(|p| !is_password(p)).collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

/// True when `text` carries a password [`without_password`] would take out.
pub fn has_password(text: &str) -> bool {
    without_password(text) != text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_locations_are_urls_and_service_names() {
        assert!(is_database("postgresql://db.kommun.se/lagesbild"));
        assert!(is_database("postgres://anna@db/lagesbild"));
        assert!(is_database("service=lagesbild"));
        assert!(is_database("  SERVICE=lagesbild "));
        assert!(!is_database("projekt.gpkg"));
        assert!(!is_database("/home/anna/service.gpkg"));
        assert!(!is_database(""));
    }

    #[test]
    fn passwords_are_taken_out_of_every_form() {
        for (given, want) in [
            (
                "postgresql://anna:hemligt@db.kommun.se:5432/lagesbild",
                "postgresql://anna@db.kommun.se:5432/lagesbild",
            ),
            (
                "postgres://anna:hem:ligt@db/lagesbild?sslmode=require",
                "postgres://anna@db/lagesbild?sslmode=require",
            ),
            (
                "postgresql://db/lagesbild?password=hemligt&sslmode=require",
                "postgresql://db/lagesbild?sslmode=require",
            ),
            (
                "postgresql://anna@db/lagesbild?PASSWORD=hemligt",
                "postgresql://anna@db/lagesbild",
            ),
            ("service=lagesbild password=hemligt", "service=lagesbild"),
        ] {
            assert_eq!(without_password(given), want, "{given}");
            assert!(has_password(given), "{given}");
            assert!(!without_password(given).contains("hemligt"));
        }
        for kept in [
            "postgresql://anna@db.kommun.se/lagesbild",
            "postgresql://db/lagesbild?sslmode=require",
            "service=lagesbild",
            "/home/anna/p:w@rd.gpkg",
        ] {
            assert_eq!(without_password(kept), kept);
            assert!(!has_password(kept), "{kept}");
        }
    }
}
