//! `ban serve` (every service in one process) and `ban depot` (the submission service alone).
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use ban_depot::{DepotState, LogMailer, Mailer, SmtpMailer};
use ban_service_kit::{
    health_routes, no_route, open_store, problem_for_errors, shutdown_signal, track_requests,
    DEFAULT_DATABASE_URL,
};
use ban_store::Store;

/// Where a service listens and which store it uses.
#[derive(Debug, clap::Args)]
pub struct ServiceArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The store: sqlite://PATH or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// Which services a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    All,
    Depot,
}

fn depot_state(store: Arc<dyn Store>) -> anyhow::Result<DepotState> {
    let mailer: Arc<dyn Mailer> = match std::env::var("SMTP_URL") {
        Ok(url) if !url.is_empty() => {
            let from =
                std::env::var("SMTP_FROM").unwrap_or_else(|_| "ne-pas-repondre@ban-sync.invalid".into());
            Arc::new(SmtpMailer::new(&url, &from).map_err(anyhow::Error::msg)?)
        }
        _ => Arc::new(LogMailer),
    };
    let admin_token = std::env::var("ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    Ok(DepotState { store, mailer, admin_token })
}

/// The HTTP application of a process.
pub fn app(store: Arc<dyn Store>, services: Services) -> anyhow::Result<Router> {
    // The consolidator, geocoder and downloads join `Services::All` as they are built.
    let _ = services;
    let router = Router::new().nest("/api-depot", ban_depot::router(depot_state(store.clone())?));
    Ok(router
        .route_layer(axum::middleware::from_fn(track_requests))
        .merge(health_routes(store))
        .fallback(no_route)
        .layer(axum::middleware::from_fn(problem_for_errors)))
}

/// Runs until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn run(args: &ServiceArgs, services: Services) -> anyhow::Result<()> {
    ban_service_kit::init_tracing();
    let store =
        open_store(&args.database_url).await.with_context(|| format!("opening {}", args.database_url))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    serve(listener, store, services, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(store, services)?;
    // Load the commune contours now rather than on the first computation.
    tokio::task::spawn_blocking(|| ban_spatial::contours::Contours::national().len());
    tracing::info!(address = %listener.local_addr()?, ?services, "BAN Sync listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
