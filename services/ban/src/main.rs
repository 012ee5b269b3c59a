//! `ban`: the BAN Sync command line.
use std::process::ExitCode;

use ban_service_kit::{AloneArgs, DatabaseArgs, ServerArgs};
use clap::{Parser, Subcommand};

use ban::serve::Services;
use ban::{admin, directory, export, geocode, import, mirror, serve, validate};

/// mimalloc: the geocoder and the exports allocate many small short-lived strings per request,
/// where it is markedly faster than the system allocator (measured in `bench/geocoder.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "ban",
    version,
    about = "BAN Sync: publish, consolidate, geocode and download the national address base"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a BAL file against the standard, as the reference validator does.
    Validate(validate::Args),
    /// Run every service in one process (the depot under /api-depot, the consolidator, the
    /// geocoder at /search/ and /reverse/, the downloads under /data and /api, the web pages
    /// at /, /outils/validateur and /publier with POST /api/validate, health and metrics).
    Serve(Box<serve::ServeConfig>),
    /// Run the submission service alone.
    Depot(AloneArgs<ban_depot::DepotArgs>),
    /// Run the consolidation worker alone (with health and metrics).
    Consolidator(ban_consolidator::ConsolidatorConfig),
    /// Run the geocoder alone (/search/, /reverse/, /batch), on a live index of the base.
    Geocoder(AloneArgs<ban_geocoder::GeocoderArgs>),
    /// Geocode a CSV file against the local base (the columns of /search/csv/).
    Geocode(geocode::GeocodeArgs),
    /// Run the downloads service alone (exports, lookup, change feed).
    Downloads(AloneArgs<ban_downloads::DownloadsArgs>),
    /// Run the web pages alone (home, validator page, downloads page, POST /api/validate,
    /// assets under /static; the publication pages with the depot of WEB_DEPOT_URL).
    Web(AloneArgs<ban_web::WebAloneArgs>),
    /// Write an export of the national base to a file (France, a département or a commune).
    Export(export::ExportArgs),
    /// Keep a local store in sync with a remote BAN Sync through its change feed.
    Mirror(mirror::MirrorArgs),
    /// Publish every BAL file of a directory (one commune each) into the national base:
    /// validation, spatial checks, publication, consolidation. Failures are listed at the end.
    Import(import::ImportArgs),
    /// Load a legacy BAN export as the base of the communes that have no BAL.
    ImportLegacy(import::LegacyArgs),
    /// Print the change feed of the national base (JSON lines).
    Changes(admin::ChangesArgs),
    /// Copy the SQLite store to a new file, consistently, while the services run.
    Backup(admin::BackupArgs),
    /// Manage the clients allowed to publish: create, list, show, update, disable, enable,
    /// rotate their token, set their perimeter.
    Client {
        #[command(subcommand)]
        command: admin::ClientCommand,
        #[command(flatten)]
        store: DatabaseArgs,
    },
    /// Manage the mandataires (the organisations operating clients).
    Mandataire {
        #[command(subcommand)]
        command: admin::MandataireCommand,
        #[command(flatten)]
        store: DatabaseArgs,
    },
    /// Manage the chefs de file (partners publishing within a perimeter) and their perimeters.
    ChefDeFile {
        #[command(subcommand)]
        command: admin::ChefDeFileCommand,
        #[command(flatten)]
        store: DatabaseArgs,
    },
    /// Consolidation jobs failed for good: list them, queue them again.
    Jobs {
        #[command(subcommand)]
        command: admin::JobCommand,
        #[command(flatten)]
        store: DatabaseArgs,
    },
    /// Habilitations, for local use.
    Habilitation {
        #[command(subcommand)]
        command: admin::HabilitationCommand,
        #[command(flatten)]
        store: DatabaseArgs,
    },
    /// The directory of town halls (where PIN codes may be sent): import it, read it.
    Directory {
        #[command(subcommand)]
        command: directory::DirectoryCommand,
        #[command(flatten)]
        store: DatabaseArgs,
    },
    /// The audit log: publications, habilitations, administration, newest first.
    Audit(admin::AuditArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Validate(args) => return validate::run(&args),
        Command::Serve(config) => run_server(&config.server, config.services()),
        Command::Depot(alone) => {
            run_server(&alone.server, Services { depot: Some(alone.service), ..Services::default() })
        }
        Command::Consolidator(config) => run_server(
            &config.server,
            Services { consolidator: Some(config.consolidator), ..Services::default() },
        ),
        Command::Geocoder(alone) => {
            run_server(&alone.server, Services { geocoder: Some(alone.service), ..Services::default() })
        }
        Command::Downloads(alone) => {
            run_server(&alone.server, Services { downloads: Some(alone.service), ..Services::default() })
        }
        Command::Web(alone) => {
            run_server(&alone.server, Services { web: Some(alone.service.into_web()), ..Services::default() })
        }
        Command::Geocode(args) => runtime().and_then(|rt| rt.block_on(geocode::geocode(&args))),
        Command::Export(args) => runtime().and_then(|rt| rt.block_on(export::export(&args))),
        Command::Mirror(args) => runtime().and_then(|rt| rt.block_on(mirror::mirror(&args))),
        Command::Import(args) => runtime().and_then(|rt| rt.block_on(import::import(&args))),
        Command::ImportLegacy(args) => runtime().and_then(|rt| rt.block_on(import::import_legacy(&args))),
        Command::Changes(args) => runtime().and_then(|rt| rt.block_on(admin::changes(&args))),
        Command::Backup(args) => runtime().and_then(|rt| rt.block_on(admin::backup(&args))),
        Command::Client { command, store } => {
            runtime().and_then(|rt| rt.block_on(admin::client(&command, &store)))
        }
        Command::Mandataire { command, store } => {
            runtime().and_then(|rt| rt.block_on(admin::mandataire(&command, &store)))
        }
        Command::ChefDeFile { command, store } => {
            runtime().and_then(|rt| rt.block_on(admin::chef_de_file(&command, &store)))
        }
        Command::Jobs { command, store } => {
            runtime().and_then(|rt| rt.block_on(admin::jobs(&command, &store)))
        }
        Command::Habilitation { command, store } => {
            runtime().and_then(|rt| rt.block_on(admin::habilitation(&command, &store)))
        }
        Command::Directory { command, store } => {
            runtime().and_then(|rt| rt.block_on(directory::directory(&command, &store)))
        }
        Command::Audit(args) => runtime().and_then(|rt| rt.block_on(admin::audit_log(&args))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ban: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `services` in one server until it is stopped.
fn run_server(server: &ServerArgs, services: Services) -> anyhow::Result<()> {
    runtime().and_then(|rt| rt.block_on(serve::run(server, services)))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
