//! Connecting to the shared store: the location text (`postgresql://…` URL
//! or `service=NAME …`), libpq's environment and files, and TLS.
//!
//! As libpq does, and in its order:
//! - `service=NAME` reads section `[NAME]` of the service file (`PGSERVICEFILE`,
//!   else `~/.pg_service.conf` (Windows: `%APPDATA%\postgresql\.pg_service.conf`), else `PGSYSCONFDIR/pg_service.conf`); keys
//!   given beside it win over the file's.
//! - Missing parts come from `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`
//!   (default host `localhost`, port 5432, user the OS user, database the user).
//! - A password given nowhere comes from `PGPASSWORD`, else from the password
//!   file (`PGPASSFILE`, else `~/.pgpass`, on Windows `%APPDATA%\postgresql\pgpass.conf`:
//!   `host:port:database:user:password`
//!   lines, `*` matching anything, `\:` and `\\` escaped).
//! - `sslmode`: `disable`; `prefer` (the default) and `require` encrypt
//!   without checking the server's certificate, as libpq does; `verify-ca`
//!   and `verify-full` check it against `sslrootcert` (default
//!   `~/.postgresql/root.crt`, on Windows `%APPDATA%\postgresql\root.crt`) and the host name (`verify-ca` is checked as
//!   strictly as `verify-full`).
//!
//! A password never appears in an error or in [`describe`]'s text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::{Host, SslMode};

/// What went wrong reading the connection parameters (never quotes a password).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// A parsed location, ready to connect.
pub struct Target {
    pub config: postgres::Config,
    tls: TlsMode,
}

#[derive(Debug, Clone, PartialEq)]
enum TlsMode {
    /// Encrypt when the server can (`prefer`) or must (`require`), no certificate check.
    Unverified,
    /// Check the certificate chain against these roots and the host name.
    Verified(PathBuf),
    Disabled,
}

/// The keys tokio-postgres understands in a conninfo string.
const CLIENT_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "target_session_attrs",
    "channel_binding",
];

fn invalid(reason: impl Into<String>) -> ConnectError {
    ConnectError::Invalid(reason.into())
}

fn home() -> Option<PathBuf> {
    dirs::home_dir()
}

/// Where libpq keeps a per-user file: `~/UNIX_NAME` on Unix,
/// `%APPDATA%\postgresql\WINDOWS_NAME` on Windows.
fn libpq_user_file(unix_name: &str, windows_name: &str) -> Option<PathBuf> {
    if cfg!(windows) {
        windows_user_file(env("APPDATA"), windows_name)
    } else {
        home().map(|h| h.join(unix_name))
    }
}

fn windows_user_file(appdata: Option<String>, name: &str) -> Option<PathBuf> {
    appdata.map(|a| Path::new(&a).join("postgresql").join(name))
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Splits `key=value key='quoted value'` (libpq conninfo) into pairs.
fn conninfo_pairs(text: &str) -> Result<Vec<(String, String)>, ConnectError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(invalid(format!("connection parameter {key:?} has no '='")));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(invalid(format!(
                            "connection parameter {key:?}: unterminated quote"
                        )));
                    }
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.extend(chars.next());
                } else {
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((key, value));
    }
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The service file's section `name`, as key/value pairs.
fn service_section(name: &str) -> Result<Vec<(String, String)>, ConnectError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = env("PGSERVICEFILE") {
        candidates.push(PathBuf::from(p));
    } else {
        if let Some(f) = libpq_user_file(".pg_service.conf", ".pg_service.conf") {
            candidates.push(f);
        }
        if let Some(d) = env("PGSYSCONFDIR") {
            candidates.push(Path::new(&d).join("pg_service.conf"));
        }
    }
    for path in &candidates {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ConnectError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                });
            }
        };
        let mut section: Option<&str> = None;
        let mut found = false;
        let mut pairs = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(s) = line.strip_prefix('[') {
                let Some(s) = s.strip_suffix(']') else {
                    return Err(ConnectError::File {
                        path: path.clone(),
                        reason: format!("line {}: a section header must end with ']'", n + 1),
                    });
                };
                section = Some(s.trim());
                found |= section == Some(name);
                continue;
            }
            if section != Some(name) {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(ConnectError::File {
                    path: path.clone(),
                    reason: format!("line {}: expected key=value", n + 1),
                });
            };
            pairs.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        if found {
            return Ok(pairs);
        }
    }
    Err(invalid(format!(
        "no service {name:?} in {}",
        if candidates.is_empty() {
            "any service file (set PGSERVICEFILE)".to_owned()
        } else {
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        }
    )))
}

/// The fields of a pgpass line, unescaped.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(n);
                }
            }
            ':' => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

/// The password for (host, port, database, user) in the password file.
fn pgpass_password(host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let path = match env("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => libpq_user_file(".pgpass", "pgpass.conf")?,
    };
    let text = std::fs::read_to_string(&path).ok()?;
    let port = port.to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f = pgpass_fields(line);
        if f.len() < 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        // libpq: "localhost" matches a Unix socket connection too.
        let host_ok = matches(&f[0], host) || (f[0] == "localhost" && host.starts_with('/'));
        if host_ok && matches(&f[1], &port) && matches(&f[2], dbname) && matches(&f[3], user) {
            return Some(f[4..].join(":"));
        }
    }
    None
}

/// Reads a location (`postgresql://…` URL or `service=NAME …` / other conninfo).
pub fn parse(location: &str) -> Result<Target, ConnectError> {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    let is_url = lower.starts_with("postgresql://") || lower.starts_with("postgres://");
    // Parameters we handle ourselves (TLS checks, service) are taken out first.
    let mut own: BTreeMap<String, String> = BTreeMap::new();
    let mut config = if is_url {
        let (base, query) = location.split_once('?').unwrap_or((location, ""));
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" | "sslrootcert" | "service" => {
                    own.insert(k.to_owned(), percent_decode(v));
                }
                _ => kept.push(pair),
            }
        }
        if let Some(service) = own.remove("service") {
            for (k, v) in service_section(&service)? {
                own.entry(k).or_insert(v);
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| invalid(format!("not a valid postgresql:// URL: {e}")))?;
        // Keys from a service named in the URL fill what the URL leaves out.
        apply_missing(&mut config, &own)?;
        config
    } else {
        let mut pairs: BTreeMap<String, String> = BTreeMap::new();
        let given = conninfo_pairs(location)?;
        let service = given
            .iter()
            .find(|(k, _)| k == "service")
            .map(|(_, v)| v.clone());
        if let Some(service) = service {
            pairs.extend(service_section(&service)?);
        }
        pairs.extend(given.into_iter().filter(|(k, _)| k != "service"));
        let mut text = String::new();
        for (k, v) in &pairs {
            if CLIENT_KEYS.contains(&k.as_str()) {
                text.push_str(&format!("{k}={} ", quote(v)));
            } else if matches!(k.as_str(), "sslmode" | "sslrootcert") {
                own.insert(k.clone(), v.clone());
            } else {
                return Err(invalid(format!(
                    "connection parameter {k:?} is not supported"
                )));
            }
        }
        if text.is_empty() {
            postgres::Config::new()
        } else {
            text.parse()
                .map_err(|e| invalid(format!("bad connection parameters: {e}")))?
        }
    };
    fill_defaults(&mut config)?;
    let tls = match own.get("sslmode").map(String::as_str).unwrap_or("prefer") {
        "disable" => {
            config.ssl_mode(SslMode::Disable);
            TlsMode::Disabled
        }
        "allow" | "prefer" => {
            config.ssl_mode(SslMode::Prefer);
            TlsMode::Unverified
        }
        "require" => {
            config.ssl_mode(SslMode::Require);
            TlsMode::Unverified
        }
        "verify-ca" | "verify-full" => {
            config.ssl_mode(SslMode::Require);
            let roots = match own.get("sslrootcert") {
                Some(p) => PathBuf::from(p),
                None => libpq_user_file(".postgresql/root.crt", "root.crt")
                    .ok_or_else(|| invalid("sslmode=verify-full needs sslrootcert"))?,
            };
            TlsMode::Verified(roots)
        }
        other => {
            return Err(invalid(format!(
                "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    Ok(Target { config, tls })
}

fn percent_decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(hi), Some(lo)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            let v = (hi * 16 + lo) as u8;
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Applies service-file keys the URL did not give.
fn apply_missing(
    config: &mut postgres::Config,
    own: &BTreeMap<String, String>,
) -> Result<(), ConnectError> {
    for (k, v) in own {
        match k.as_str() {
            "host" if config.get_hosts().is_empty() => {
                config.host(v);
            }
            "port" if config.get_ports().is_empty() => {
                config.port(
                    v.parse()
                        .map_err(|_| invalid(format!("port {v:?} is not a number")))?,
                );
            }
            "dbname" if config.get_dbname().is_none() => {
                config.dbname(v);
            }
            "user" if config.get_user().is_none() => {
                config.user(v);
            }
            "password" if config.get_password().is_none() => {
                config.password(v);
            }
            _ => {}
        }
    }
    Ok(())
}

fn fill_defaults(config: &mut postgres::Config) -> Result<(), ConnectError> {
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        config.host(&env("PGHOST").unwrap_or_else(|| "localhost".to_owned()));
    }
    if config.get_ports().is_empty() {
        let port = match env("PGPORT") {
            Some(p) => p
                .parse()
                .map_err(|_| invalid(format!("PGPORT {p:?} is not a number")))?,
            None => 5432,
        };
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(crate::store::gpkg::edit::os_user)
            .ok_or_else(|| invalid("no user name given (set it in the URL or PGUSER)"))?;
        config.user(&user);
    }
    if config.get_dbname().is_none() {
        let db = env("PGDATABASE").unwrap_or_else(|| config.get_user().unwrap_or("").to_owned());
        config.dbname(&db);
    }
    if config.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| {
            let host = match config.get_hosts().first() {
                Some(Host::Tcp(h)) => h.clone(),
                #[cfg(unix)]
                Some(Host::Unix(p)) => p.display().to_string(),
                None => "localhost".to_owned(),
            };
            let port = config.get_ports().first().copied().unwrap_or(5432);
            pgpass_password(
                &host,
                port,
                config.get_dbname().unwrap_or(""),
                config.get_user().unwrap_or(""),
            )
        });
        if let Some(p) = password {
            config.password(p);
        }
    }
    Ok(())
}

/// `user@host:port/dbname`, for messages and the project's location (no password).
pub fn describe(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgresql://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// Accepts any certificate (sslmode=prefer/require: encrypted, not checked,
/// as libpq does), but still checks the handshake's signatures.
#[derive(Debug)]
struct NoCertificateCheck(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoCertificateCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config(mode: &TlsMode) -> Result<rustls::ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS set-up failed: {e}")))?;
    Ok(match mode {
        TlsMode::Verified(path) => {
            use rustls::pki_types::pem::PemObject as _;
            let file_err = |reason: String| ConnectError::File {
                path: path.clone(),
                reason,
            };
            let mut roots = rustls::RootCertStore::empty();
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| file_err(format!("cannot read the root certificate: {e}")))?;
            for cert in certs {
                let cert = cert.map_err(|e| file_err(format!("not a PEM certificate: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| file_err(format!("unusable root certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(file_err("no certificate in the file".to_owned()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsMode::Unverified | TlsMode::Disabled => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCertificateCheck(provider)))
            .with_no_client_auth(),
    })
}

/// Connects. Errors keep tokio-postgres's own (they never contain the password).
pub fn connect(
    target: &Target,
) -> Result<postgres::Client, Box<dyn std::error::Error + Send + Sync>> {
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(&target.tls)?);
    Ok(target.config.connect(tls)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conninfo_is_split_with_quotes_and_escapes() {
        let pairs = conninfo_pairs("service=lagesbild  dbname = 'a b\\'c' port=5433").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("service".to_owned(), "lagesbild".to_owned()),
                ("dbname".to_owned(), "a b'c".to_owned()),
                ("port".to_owned(), "5433".to_owned()),
            ]
        );
        assert!(conninfo_pairs("dbname").is_err());
        assert!(conninfo_pairs("dbname='x").is_err());
    }

    #[test]
    fn url_parameters_are_percent_decoded() {
        assert_eq!(percent_decode("%2Fetc%2fca.pem"), "/etc/ca.pem");
        assert_eq!(percent_decode("å%zz%"), "å%zz%");
    }

    #[test]
    fn windows_keeps_libpq_files_under_appdata() {
        assert_eq!(
            windows_user_file(Some("C:/Users/anna/AppData/Roaming".into()), "pgpass.conf"),
            Some(Path::new("C:/Users/anna/AppData/Roaming/postgresql/pgpass.conf").to_owned())
        );
        assert_eq!(windows_user_file(None, "pgpass.conf"), None);
    }

    #[test]
    fn pgpass_lines_unescape_colons() {
        assert_eq!(
            pgpass_fields(r"db\:1:5432:*:anna:hem\:ligt"),
            vec!["db:1", "5432", "*", "anna", "hem:ligt"]
        );
    }

    #[test]
    fn urls_keep_their_parts_and_describe_hides_the_password() {
        let t =
            parse("postgresql://anna:hemligt@db.kommun.se:5433/lagesbild?sslmode=require").unwrap();
        assert_eq!(t.config.get_password(), Some(&b"hemligt"[..]));
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(t.tls, TlsMode::Unverified);
        let d = describe(&t.config);
        assert_eq!(d, "postgresql://anna@db.kommun.se:5433/lagesbild");
        let t =
            parse("postgresql://anna@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(t.tls, TlsMode::Verified(PathBuf::from("/etc/ca.pem")));
        let err = parse("postgresql://anna@db/x?sslmode=sometimes")
            .err()
            .unwrap();
        assert!(err.to_string().contains("sslmode"), "{err}");
    }
}
