//! `ban serve` (every service in one process) and `ban depot|consolidator|geocoder|downloads`
//! (one service alone): the services a process runs, each with its configuration, behind the
//! layers every service shares (request ids, problem+json, metrics).
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use ban_consolidator::ConsolidatorArgs;
use ban_depot::{DepotArgs, DepotState};
use ban_downloads::DownloadsArgs;
use ban_geocoder::GeocoderArgs;
use ban_service_kit::{health_routes, shutdown_signal, ServerArgs};
use ban_store::Store;

/// `ban serve`: every service, with the options of each.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub depot: DepotArgs,
    #[command(flatten)]
    pub consolidator: ConsolidatorArgs,
    #[command(flatten)]
    pub geocoder: GeocoderArgs,
    #[command(flatten)]
    pub downloads: DownloadsArgs,
}

/// The services a process runs, each with its options (`None`: not run).
#[derive(Debug, Clone, Default)]
pub struct Services {
    pub depot: Option<DepotArgs>,
    pub consolidator: Option<ConsolidatorArgs>,
    pub geocoder: Option<GeocoderArgs>,
    pub downloads: Option<DownloadsArgs>,
}

impl Services {
    /// Every service, with its default options.
    pub fn all() -> Self {
        Services {
            depot: Some(DepotArgs::default()),
            consolidator: Some(ConsolidatorArgs::default()),
            geocoder: Some(GeocoderArgs::default()),
            downloads: Some(DownloadsArgs::default()),
        }
    }

    /// The names of the services run, for the log (`depot+geocoder`).
    pub fn names(&self) -> String {
        let names = [
            ("depot", self.depot.is_some()),
            ("consolidator", self.consolidator.is_some()),
            ("geocoder", self.geocoder.is_some()),
            ("downloads", self.downloads.is_some()),
        ];
        names.iter().filter(|(_, run)| *run).map(|(name, _)| *name).collect::<Vec<_>>().join("+")
    }
}

impl ServeConfig {
    /// Every service, with the options given.
    pub fn services(&self) -> Services {
        Services {
            depot: Some(self.depot.clone()),
            consolidator: Some(self.consolidator),
            geocoder: Some(self.geocoder),
            downloads: Some(self.downloads.clone()),
        }
    }
}

/// The HTTP application of a process (call it within a Tokio runtime).
pub fn app(store: Arc<dyn Store>, services: &Services) -> anyhow::Result<Router> {
    let mut router = Router::new();
    if let Some(depot) = &services.depot {
        let state = DepotState::new(store.clone(), depot).map_err(anyhow::Error::msg)?;
        router = router.nest("/api-depot", ban_depot::router(state));
    }
    if let Some(downloads) = &services.downloads {
        let state = ban_downloads::DownloadsState::new(store.clone(), downloads);
        router = router.merge(ban_downloads::router(state));
    }
    let mut readiness = Vec::new();
    if let Some(geocoder) = services.geocoder {
        let live = ban_geocoder::LiveIndex::start(store.clone(), geocoder);
        readiness.push(live.readiness());
        router = router.merge(ban_geocoder::router(live));
    }
    // Health and metrics in every process (a consolidator serves nothing else).
    Ok(ban_service_kit::app(router.merge(health_routes(store, readiness))))
}

/// Runs until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn run(server: &ServerArgs, services: Services) -> anyhow::Result<()> {
    server.log.init("info");
    let database = &server.database;
    let store = database.open().await.with_context(|| format!("opening {}", database.database_url))?;
    let listener = tokio::net::TcpListener::bind(server.listen.listen)
        .await
        .with_context(|| format!("listening on {}", server.listen.listen))?;
    serve(listener, store, services, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(store.clone(), &services)?;
    // Load the commune contours and territories now rather than on the first request.
    tokio::task::spawn_blocking(|| ban_spatial::contours::Contours::national().len());
    tokio::task::spawn_blocking(|| ban_spatial::Territories::national().communes().count());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let consolidator = services.consolidator.map(|args| {
        let worker = ban_consolidator::Consolidator::new(store).with_lease(args.lease);
        let stopped = stopped.clone();
        tokio::spawn(async move { worker.run(until_stopped(stopped)).await })
    });
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    tracing::info!(address = %listener.local_addr()?, services = services.names(), "BAN Sync listening");
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
