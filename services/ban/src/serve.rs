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
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The store: sqlite://PATH or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// How long a consolidation job stays with its worker: if the process dies, another
    /// takes the job over after that.
    #[arg(long, env = "CONSOLIDATOR_LEASE_SECS", default_value_t = 120)]
    pub consolidator_lease_secs: u64,
}

/// Which services a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    All,
    Depot,
    Consolidator,
    Downloads,
    Geocoder,
}

impl Services {
    fn depot(self) -> bool {
        matches!(self, Services::All | Services::Depot)
    }

    fn consolidator(self) -> bool {
        matches!(self, Services::All | Services::Consolidator)
    }

    fn downloads(self) -> bool {
        matches!(self, Services::All | Services::Downloads)
    }

    fn geocoder(self) -> bool {
        matches!(self, Services::All | Services::Geocoder)
    }
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

/// The HTTP application of a process (call it within a Tokio runtime).
pub fn app(store: Arc<dyn Store>, services: Services) -> anyhow::Result<Router> {
    let mut router = Router::new();
    if services.depot() {
        router = router.nest("/api-depot", ban_depot::router(depot_state(store.clone())?));
    }
    if services.downloads() {
        router = router.merge(ban_downloads::router(ban_downloads::DownloadsState::new(store.clone())));
    }
    let mut readiness = Vec::new();
    if services.geocoder() {
        let live = ban_geocoder::LiveIndex::start(store.clone());
        readiness.push(live.readiness());
        router = router.merge(ban_geocoder::router(live));
    }
    // Requests are counted per matched route (health and metrics included: a process may
    // serve nothing else, as a consolidator does).
    Ok(router
        .merge(health_routes(store, readiness))
        .route_layer(axum::middleware::from_fn(track_requests))
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
    let lease = std::time::Duration::from_secs(args.consolidator_lease_secs);
    serve(listener, store, services, lease, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    services: Services,
    lease: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(store.clone(), services)?;
    // Load the commune contours and territories now rather than on the first request.
    tokio::task::spawn_blocking(|| ban_spatial::contours::Contours::national().len());
    tokio::task::spawn_blocking(|| ban_spatial::Territories::national().communes().count());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let consolidator = services.consolidator().then(|| {
        let worker = ban_consolidator::Consolidator::new(store).with_lease(lease);
        let stopped = stopped.clone();
        tokio::spawn(async move { worker.run(until_stopped(stopped)).await })
    });
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    tracing::info!(address = %listener.local_addr()?, ?services, "BAN Sync listening");
    axum::serve(listener, app).with_graceful_shutdown(until_stopped(stopped)).await?;
    // The job under way is finished (or, if the process is killed, taken over later).
    if let Some(consolidator) = consolidator {
        consolidator.await?;
    }
    Ok(())
}

async fn until_stopped(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stopped| *stopped).await;
}
