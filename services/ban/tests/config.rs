//! The configuration of `ban serve` as the environment gives it: the defaults of the README,
//! every variable of `deploy/env.sample` read (and no other), and secrets kept out of
//! `Debug`, `--help` and the errors of a store that cannot be reached.
//!
//! This binary's only test: it sets the process's environment.
#![allow(clippy::unwrap_used)]
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ban::serve::ServeConfig;
use ban_service_kit::LogFormat;
use clap::{CommandFactory, Parser};
use secrecy::ExposeSecret;

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    config: ServeConfig,
}

fn parse() -> ServeConfig {
    Cli::try_parse_from(["ban"]).unwrap().config
}

/// The variables of the configuration, from its definition.
fn variables() -> BTreeSet<String> {
    Cli::command()
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect()
}

fn env_sample() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/env.sample");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (key, value) = line.split_once('=').unwrap();
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

const SECRETS: [&str; 3] = ["db-password-1", "admin-token-2", "smtp-password-3"];

#[test]
fn the_configuration_reads_the_environment_and_hides_its_secrets() {
    for name in variables() {
        std::env::remove_var(name);
    }

    // The defaults of the README.
    let defaults = parse();
    assert_eq!(defaults.server.listen.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(defaults.server.database.database_url.expose(), "sqlite://data/ban.db");
    assert_eq!(defaults.server.database.database_max_connections, 16);
    assert_eq!(defaults.server.log.log_format, LogFormat::Text);
    assert_eq!(defaults.server.log.log_filter, None);
    assert!(defaults.depot.admin_token.is_none());
    assert!(defaults.depot.smtp_url.is_none());
    assert_eq!(defaults.depot.smtp_from, "ne-pas-repondre@ban-sync.invalid");
    assert_eq!(
        (
            defaults.depot.max_open_habilitations,
            defaults.depot.pin_checks_per_client,
            defaults.depot.pin_checks_per_ip,
            defaults.depot.auth_failures_per_ip
        ),
        (3, 30, 30, 20)
    );
    assert_eq!(defaults.consolidator.lease, Duration::from_secs(120));
    assert_eq!(defaults.geocoder.poll, Duration::from_millis(100));
    assert!(defaults.geocoder.empty_communes);
    assert_eq!(defaults.downloads.export_cache_dir, std::env::temp_dir().join("ban-sync-exports"));

    // deploy/env.sample names every variable, and each is read as it says.
    let sample = env_sample();
    let named: BTreeSet<String> = sample.iter().map(|(key, _)| key.clone()).collect();
    assert_eq!(named, variables(), "deploy/env.sample and the configuration differ");
    for (key, value) in &sample {
        std::env::set_var(key, value);
    }
    let config = parse();
    assert_eq!(config.server.listen.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(config.server.database.database_max_connections, 16);
    assert_eq!(config.server.log.log_format, LogFormat::Json);
    assert_eq!(config.server.log.log_filter.as_deref(), Some("info"));
    assert!(config.depot.admin_token.is_none(), "an empty ADMIN_TOKEN leaves the admin routes closed");
    assert!(config.depot.smtp_url.is_none(), "an empty SMTP_URL logs the codes");
    assert!(config.depot.smtp_bcc.is_none() && config.depot.smtp_ca_file.is_none(), "empty: none");
    assert_eq!(config.consolidator.lease, Duration::from_secs(120));
    assert_eq!(config.geocoder.poll, Duration::from_millis(100));
    assert!(config.geocoder.empty_communes);
    assert_eq!(config.downloads.export_cache_dir, PathBuf::from("/var/lib/ban/exports"));
    assert_eq!(config.web.max_concurrent_validations, 2);
    assert!(config.web.depot_url.is_none() && config.web.depot_token.is_none(), "empty: in process");
    // The web's downloads page reads the downloads' France files: same directory.
    assert_eq!(config.services().web.unwrap().export_cache_dir, PathBuf::from("/var/lib/ban/exports"));
    assert_eq!((config.web.cache_objects, config.web.tile_cache_mb), (500_000, 64));
    assert_eq!(config.web.basemap_style, None, "an empty WEB_BASEMAP_STYLE: the offline background");
    let shown = format!("{config:?}");
    assert!(shown.contains("postgres://ban:***@postgres:5432/ban"), "{shown}");
    assert!(!shown.contains("ban:ban@"), "{shown}");

    std::env::set_var("GEOCODER_EMPTY_COMMUNES", "false");
    std::env::set_var("GEOCODER_POLL_MS", "250");
    std::env::set_var("CONSOLIDATOR_LEASE_SECS", "30");
    std::env::set_var("EXPORT_CACHE_DIR", "");
    let config = parse();
    assert!(!config.geocoder.empty_communes);
    assert_eq!(config.geocoder.poll, Duration::from_millis(250));
    assert_eq!(config.consolidator.lease, Duration::from_secs(30));
    assert_eq!(config.downloads.export_cache_dir, std::env::temp_dir().join("ban-sync-exports"));
    std::env::set_var("DATABASE_MAX_CONNECTIONS", "many");
    assert!(Cli::try_parse_from(["ban"]).is_err(), "a setting that cannot be read stops the start");
    std::env::set_var("DATABASE_MAX_CONNECTIONS", "");
    assert_eq!(parse().server.database.database_max_connections, 16);

    // Secrets: usable, never shown.
    std::env::set_var("DATABASE_URL", "postgres://ban:db-password-1@127.0.0.1:1/ban");
    std::env::set_var("ADMIN_TOKEN", "admin-token-2");
    std::env::set_var("SMTP_URL", "smtp://mailer:smtp-password-3@relay:587?tls=starttls");
    let config = parse();
    assert_eq!(config.depot.admin_token.as_ref().unwrap().expose_secret(), "admin-token-2");
    assert!(config.server.database.database_url.expose().contains("db-password-1"));
    let shown = format!("{config:?}\n{config:#?}\n{}", config.server.database.database_url);
    let help = Cli::command().render_long_help().to_string();
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!help.contains(secret), "{secret} in {help}");
    }
    // A store that cannot be reached: the error names the URL without its password.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let services = config.services();
    let error = runtime.block_on(ban::serve::run(&config.server, services)).unwrap_err();
    let error = format!("{error:#}");
    assert!(error.contains("postgres://ban:***@127.0.0.1:1/ban"), "{error}");
    assert!(!error.contains("db-password-1"), "{error}");
}
