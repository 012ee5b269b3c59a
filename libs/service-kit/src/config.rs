//! The settings every service shares, as clap groups read once at start from flags and the
//! environment: the store ([`DatabaseArgs`]), the listening address ([`ListenArgs`]) and the
//! logs ([`LogArgs`]). Each service's configuration flattens the groups it needs beside its
//! own options; libraries receive typed values and never read the environment.
//!
//! Secrets stay out of `Debug`, logs and errors: a URL that may carry a password is a
//! [`SecretUrl`] (shown with `***` in place of the password), and clap's help never prints
//! the value of a secret variable (`hide_env_values`).
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::server::ConnectionLimits;

/// The default database: a SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ban.db";
/// Connections a process opens at most to a PostgreSQL store, unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = ban_store_postgres::DEFAULT_MAX_CONNECTIONS;
/// Where a service listens unless told otherwise.
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";

/// The store a process uses.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// The store: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB (migrations run at start).
    #[arg(long, env, default_value = DEFAULT_DATABASE_URL, hide_env_values = true, global = true)]
    pub database_url: SecretUrl,
    /// Connections the process opens at most to a PostgreSQL store.
    #[arg(long, env, default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = max_connections, global = true)]
    pub database_max_connections: u32,
}

impl DatabaseArgs {
    /// The store of `url`, with the default number of connections.
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseArgs { database_url: SecretUrl::new(url), database_max_connections: DEFAULT_MAX_CONNECTIONS }
    }
}

impl Default for DatabaseArgs {
    fn default() -> Self {
        DatabaseArgs::new(DEFAULT_DATABASE_URL)
    }
}

/// An empty `DATABASE_MAX_CONNECTIONS` (a `KEY=` line of an env file) means the default.
fn max_connections(value: &str) -> Result<u32, String> {
    match value.trim() {
        "" => Ok(DEFAULT_MAX_CONNECTIONS),
        value => value.parse().map_err(|_| format!("{value:?}: expected a number")),
    }
}

/// Where a server listens, and how long it waits for its clients.
#[derive(Debug, Clone, clap::Args)]
pub struct ListenArgs {
    /// Address and port to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = DEFAULT_LISTEN_ADDR)]
    pub listen: SocketAddr,
    /// Seconds a client may take to send a request's headers, and stay idle between the
    /// requests of a kept-alive connection, before it is disconnected.
    #[arg(long = "header-timeout", env = "HEADER_TIMEOUT", default_value = "30", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds a shutdown waits for the requests in flight before closing the connections
    /// still open (Server-Sent Events readers, long polls).
    #[arg(long = "shutdown-grace", env = "SHUTDOWN_GRACE", default_value = "10", value_parser = seconds)]
    pub shutdown_grace: Duration,
    #[command(flatten)]
    pub rate_limits: RateLimitArgs,
}

impl ListenArgs {
    /// The connections' time limits of these settings.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits { header_timeout: self.header_timeout, shutdown_grace: self.shutdown_grace }
    }
}

/// A whole number of seconds, at least one.
fn seconds(value: &str) -> Result<Duration, String> {
    match value.trim().parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("{value:?}: expected a whole number of seconds, at least 1")),
    }
}

/// The request rates a server accepts (requests per second, with bursts of twice as many);
/// 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct RateLimitArgs {
    /// Requests per second from one client address (the public address API allows 50).
    #[arg(long = "rate-limit-per-ip", env = "RATE_LIMIT_PER_IP", default_value_t = 50)]
    pub per_ip: u32,
    /// Requests per second with one API token (`Authorization` header).
    #[arg(long = "rate-limit-per-token", env = "RATE_LIMIT_PER_TOKEN", default_value_t = 50)]
    pub per_token: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind a reverse
    /// proxy that sets it), not from the connection.
    #[arg(long = "trust-forwarded-for", env = "TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,
}

impl Default for RateLimitArgs {
    fn default() -> Self {
        RateLimitArgs { per_ip: 50, per_token: 50, trust_forwarded_for: false }
    }
}

/// How a process logs (to stderr).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogArgs {
    /// `json` for one JSON object per line, anything else for human-readable lines.
    #[arg(long = "log-format", env = "LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
    /// The log filter, in tracing's EnvFilter syntax (`info`, `warn,ban_depot=debug`…);
    /// without it, the command's own level.
    #[arg(long = "log-filter", env = "RUST_LOG")]
    pub log_filter: Option<String>,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = Infallible;

    /// `json`, and anything else for text: an unknown format is not worth refusing to start.
    fn from_str(value: &str) -> Result<Self, Infallible> {
        Ok(if value == "json" { LogFormat::Json } else { LogFormat::Text })
    }
}

impl LogArgs {
    /// Starts logging to stderr, at `level` unless the filter says otherwise (servers log at
    /// `info`, command-line tools with a progress bar at `warn`). Only the first call of a
    /// process installs the logger.
    pub fn init(&self, level: &str) {
        let filter = self
            .log_filter
            .as_deref()
            .and_then(|filter| tracing_subscriber::EnvFilter::try_new(filter).ok())
            .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(level));
        let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
        let _ = match self.log_format {
            LogFormat::Json => builder.json().try_init(),
            LogFormat::Text => builder.try_init(),
        };
    }
}

/// What a server shares with every other: where it listens, its store, its logs.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub listen: ListenArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// A service run alone in its process (`ban depot`, `ban geocoder`, `ban downloads`): what
/// every server shares, then the service's own options `A`.
#[derive(Debug, Clone, clap::Args)]
pub struct AloneArgs<A: clap::Args> {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub service: A,
}

/// A URL that may carry a password (a database, a mail relay). `Debug` and `Display` show it
/// with the password (and any `password=` parameter) replaced by `***`, so that it can go to
/// logs and error messages; [`SecretUrl::expose`] gives the URL to connect with.
#[derive(Clone)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        SecretUrl(SecretString::from(url.into()))
    }

    /// The URL itself, password included: to connect, never to show.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// The URL without its secrets: the password and the values of parameters named like one
    /// become `***`; a URL that cannot be read is shown whole only if it has no user part.
    pub fn redacted(&self) -> String {
        let raw = self.expose();
        let Ok(mut url) = url::Url::parse(raw) else {
            return if raw.contains('@') || raw.to_ascii_lowercase().contains("password") {
                "***".to_owned()
            } else {
                raw.to_owned()
            };
        };
        let mut redacted = false;
        if url.password().is_some() {
            redacted = url.set_password(Some("***")).is_ok();
        }
        let secret_key = |key: &str| {
            let key = key.to_ascii_lowercase();
            ["password", "secret", "token"].iter().any(|word| key.contains(word))
        };
        if url.query_pairs().any(|(key, _)| secret_key(&key)) {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let value = if secret_key(&key) { "***".to_owned() } else { value.into_owned() };
                    (key.into_owned(), value)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
            redacted = true;
        }
        // Untouched URLs are shown as written (a parsed URL may be normalised).
        if redacted {
            url.to_string()
        } else {
            raw.to_owned()
        }
    }
}

impl FromStr for SecretUrl {
    type Err = Infallible;

    fn from_str(url: &str) -> Result<Self, Infallible> {
        Ok(SecretUrl::new(url))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.redacted(), f)
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A value parser for settings that an empty value leaves unset, as an absent one does (a
/// `KEY=` line of an env file): give the field the type `std::option::Option<T>` — written
/// in full so that clap hands every value, the empty one included, to this parser — and
/// `default_value = ""`.
pub fn unless_empty<T, E>(
    parse: impl Fn(&str) -> Result<T, E> + Clone + Send + Sync + 'static,
) -> impl Fn(&str) -> Result<Option<T>, E> + Clone + Send + Sync + 'static {
    move |value: &str| if value.is_empty() { Ok(None) } else { parse(value).map(Some) }
}

/// A secret read as it is, for [`unless_empty`].
pub fn secret(value: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(value))
}

/// A [`SecretUrl`] read as it is, for [`unless_empty`].
pub fn secret_url(value: &str) -> Result<SecretUrl, Infallible> {
    Ok(SecretUrl::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        let url = SecretUrl::new("postgres://ban:s3cr%3At@db.example.org:5432/ban?sslmode=disable");
        assert_eq!(url.to_string(), "postgres://ban:***@db.example.org:5432/ban?sslmode=disable");
        assert_eq!(format!("{url:?}"), "\"postgres://ban:***@db.example.org:5432/ban?sslmode=disable\"");
        assert_eq!(url.expose(), "postgres://ban:s3cr%3At@db.example.org:5432/ban?sslmode=disable");
        let url = SecretUrl::new("postgres://db/ban?user=ban&password=hunter2");
        assert_eq!(url.to_string(), "postgres://db/ban?user=ban&password=***");
        assert!(!format!("{:?}", SecretUrl::new("postgres://ban:hunter2@[db/ban")).contains("hunter2"));
    }

    #[test]
    fn urls_without_secrets_show_as_written() {
        for url in [
            "sqlite://data/ban.db",
            "sqlite:Data/BAN.db?mode=rwc",
            "postgres://ban@db/ban",
            "smtp://relay:25",
        ] {
            assert_eq!(SecretUrl::new(url).to_string(), url);
        }
    }

    #[test]
    fn empty_values_are_unset() {
        let parse = unless_empty(secret_url);
        assert!(matches!(parse(""), Ok(None)));
        assert!(matches!(parse("smtp://relay"), Ok(Some(url)) if url.expose() == "smtp://relay"));
        assert_eq!(max_connections(""), Ok(DEFAULT_MAX_CONNECTIONS));
        assert_eq!(max_connections("4"), Ok(4));
        assert!(max_connections("many").is_err());
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!("pretty".parse::<LogFormat>(), Ok(LogFormat::Text));
    }
}
