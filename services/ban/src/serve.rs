//! `ban serve` (every service in one process) and `ban depot|consolidator|geocoder|downloads|web`
//! (one service alone): the services a process runs, each with its configuration, behind the
//! layers every service shares (request ids, problem+json, metrics).
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use ban_consolidator::ConsolidatorArgs;
use ban_depot::{DepotArgs, DepotState};
use ban_downloads::DownloadsArgs;
use ban_geocoder::GeocoderArgs;
use ban_service_kit::{health_routes, shutdown_signal, ConnectionLimits, ListenArgs, RateLimits, ServerArgs};
use ban_store::Store;
use ban_web::WebArgs;
use secrecy::SecretString;

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
    #[command(flatten)]
    pub web: WebArgs,
}

/// The services a process runs, each with its options (`None`: not run).
#[derive(Debug, Clone, Default)]
pub struct Services {
    pub depot: Option<DepotArgs>,
    pub consolidator: Option<ConsolidatorArgs>,
    pub geocoder: Option<GeocoderArgs>,
    pub downloads: Option<DownloadsArgs>,
    pub web: Option<WebArgs>,
}

impl Services {
    /// Every service, with its default options.
    pub fn all() -> Self {
        Services {
            depot: Some(DepotArgs::default()),
            consolidator: Some(ConsolidatorArgs::default()),
            geocoder: Some(GeocoderArgs::default()),
            downloads: Some(DownloadsArgs::default()),
            web: Some(WebArgs::default()),
        }
    }

    /// The names of the services run, for the log (`depot+geocoder`).
    pub fn names(&self) -> String {
        let names = [
            ("depot", self.depot.is_some()),
            ("consolidator", self.consolidator.is_some()),
            ("geocoder", self.geocoder.is_some()),
            ("downloads", self.downloads.is_some()),
            ("web", self.web.is_some()),
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
            geocoder: Some(self.geocoder.clone()),
            downloads: Some(self.downloads.clone()),
            // The downloads page reads the France files where the downloads keep them.
            web: Some(ban_web::WebArgs {
                export_cache_dir: self.downloads.export_cache_dir.clone(),
                ..self.web.clone()
            }),
        }
    }
}

/// How a server treats its clients: its connections' time limits and its rate limits.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    pub connections: ConnectionLimits,
    pub rate_limits: RateLimits,
}

impl From<&ListenArgs> for HttpSettings {
    fn from(listen: &ListenArgs) -> Self {
        HttpSettings {
            connections: listen.connection_limits(),
            rate_limits: RateLimits::new(listen.rate_limits),
        }
    }
}

/// The HTTP application of a process, without rate limits (call it within a Tokio runtime).
/// Its web pages publish through its depot only with the web's token given
/// (`WEB_DEPOT_TOKEN`); [`serve`] makes the web's client when it is not.
pub fn app(store: Arc<dyn Store>, services: &Services) -> anyhow::Result<Router> {
    let token = services.web.as_ref().and_then(|web| web.depot_token.clone());
    app_until(store, services, RateLimits::none(), token, std::future::pending())
}

/// The name and fixed id of the depot client of the web pages, made by `ban serve` at start.
pub const WEB_CLIENT_NAME: &str = "Pages web BAN Sync";
pub const WEB_CLIENT_LEGACY_ID: &str = "formulaire-publication";

/// The token of the web pages' own client of the depot (a habilitation client, found by its
/// fixed id, created the first time): a new one at each start, since the store keeps only
/// digests of tokens. An administrator who disables the client closes the publication pages.
pub async fn web_client_token(store: &dyn Store) -> anyhow::Result<SecretString> {
    use ban_depot::administration::{clients, create_client, rotate_client_token, CreateClient, Origin};
    let existing =
        clients(store).await?.into_iter().find(|c| c.legacy_id.as_deref() == Some(WEB_CLIENT_LEGACY_ID));
    let token = match existing {
        Some(client) => rotate_client_token(store, Origin::default(), &client.id).await?.token,
        None => {
            let input = CreateClient {
                nom: WEB_CLIENT_NAME.into(),
                mandataire: Some("BAN Sync".into()),
                legacy_id: Some(WEB_CLIENT_LEGACY_ID.into()),
                ..CreateClient::default()
            };
            let created = create_client(store, Origin::default(), input).await?;
            tracing::info!(client = %created.client.id, "depot client of the web pages created");
            created.token
        }
    };
    Ok(SecretString::from(token))
}

/// The HTTP application of a process with its rate limits; what runs in the background (the
/// geocoder's index) stops when `stop` resolves. With the depot and the web in the process,
/// the pages call the depot in process with `web_token`.
fn app_until(
    store: Arc<dyn Store>,
    services: &Services,
    rate_limits: RateLimits,
    web_token: Option<SecretString>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Router> {
    let mut router = Router::new();
    let mut depot_router = None;
    if let Some(depot) = &services.depot {
        let state = DepotState::new(store.clone(), depot)
            .map_err(anyhow::Error::msg)?
            .trusting_forwarded_for(rate_limits.trusts_forwarded_for());
        let depot = ban_depot::router(state);
        depot_router = Some(depot.clone());
        router = router.nest("/api-depot", depot);
    }
    if let Some(downloads) = &services.downloads {
        let state = ban_downloads::DownloadsState::new(store.clone(), downloads);
        router = router.merge(ban_downloads::router(state));
    }
    let mut readiness = Vec::new();
    let mut geocoder_router = None;
    if let Some(geocoder) = &services.geocoder {
        // The index and the batch jobs both stop when `stop` resolves.
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop.await;
            let _ = stopping.send(true);
        });
        let live = ban_geocoder::LiveIndex::start_until(
            store.clone(),
            geocoder.clone(),
            until_stopped(stopped.clone()),
        );
        readiness.push(live.readiness());
        let state = ban_geocoder::GeocoderState::start(live, geocoder, until_stopped(stopped))
            .context("opening the geocoder's files (GEOCODER_FILES_DIR)")?;
        let geocoder = ban_geocoder::router(state);
        geocoder_router = Some(geocoder.clone());
        router = router.merge(geocoder);
    }
    if let Some(web) = &services.web {
        let mut web = web.clone();
        // In one process, the downloads page reads the downloads service's France files.
        if let Some(downloads) = &services.downloads {
            web.export_cache_dir = downloads.export_cache_dir.clone();
        }
        let mut state = ban_web::WebState::new(store.clone(), &web)
            .trusting_forwarded_for(rate_limits.trusts_forwarded_for());
        if let (Some(depot), Some(token)) = (depot_router, web_token) {
            let geocoder = geocoder_router
                .map(ban_web::Upstream::InProcess)
                .or_else(|| web.geocoder_url.as_deref().map(ban_web::Upstream::http));
            state = state.with_depot(ban_web::DepotClient::new(
                ban_web::Upstream::InProcess(depot),
                token,
                geocoder,
            ));
        }
        router = router.merge(ban_web::router(state));
    }
    // Health and metrics in every process (a consolidator serves nothing else).
    Ok(ban_service_kit::app(router.merge(health_routes(store, readiness)), rate_limits))
}

/// Runs until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn run(server: &ServerArgs, services: Services) -> anyhow::Result<()> {
    server.log.init("info");
    let database = &server.database;
    let store = database.open().await.with_context(|| format!("opening {}", database.database_url))?;
    let listener = tokio::net::TcpListener::bind(server.listen.listen)
        .await
        .with_context(|| format!("listening on {}", server.listen.listen))?;
    serve(listener, store, services, HttpSettings::from(&server.listen), shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` resolves, then stops within the settings' grace.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    services: Services,
    http: HttpSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let web_token = match (&services.web, &services.depot) {
        (Some(web), Some(_)) => match &web.depot_token {
            Some(token) => Some(token.clone()),
            None => {
                Some(web_client_token(&*store).await.context("making the web pages' client of the depot")?)
            }
        },
        _ => None,
    };
    let app =
        app_until(store.clone(), &services, http.rate_limits, web_token, until_stopped(stopped.clone()))?;
    // Load the commune contours and territories now rather than on the first request.
    tokio::task::spawn_blocking(|| ban_spatial::contours::Contours::national().len());
    tokio::task::spawn_blocking(|| ban_spatial::Territories::national().communes().count());
    // The e-mails owed about refused publications are sent by the depot's process: it holds
    // the SMTP settings.
    let notifier = match &services.depot {
        Some(depot) => {
            let notifier =
                ban_depot::Notifier::new(store.clone(), depot.mailer().map_err(anyhow::Error::msg)?)
                    .with_report_expiry(depot.report_expiry_days)
                    .with_report_mails(depot.report_mail_settings());
            let stopped = stopped.clone();
            Some(tokio::spawn(async move { notifier.run(until_stopped(stopped)).await }))
        }
        None => None,
    };
    let consolidator = match services.consolidator {
        Some(args) => {
            let worker = ban_consolidator::Consolidator::new(store).with_lease(args.lease);
            // The jobs a killed instance of this process held are resumed now, not after
            // their lease: before the worker claims anything (it shares this process's name).
            if let Err(error) = worker.take_back_dead_workers().await {
                tracing::warn!(%error, "cannot take back the jobs of dead workers");
            }
            let stopped = stopped.clone();
            Some(tokio::spawn(async move { worker.run(until_stopped(stopped)).await }))
        }
        None => None,
    };
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    tracing::info!(address = %listener.local_addr()?, services = services.names(), "BAN Sync listening");
    ban_service_kit::server::serve(listener, app, http.connections, until_stopped(stopped)).await?;
    // The job under way is finished (or, if the process is killed, taken over later).
    if let Some(consolidator) = consolidator {
        consolidator.await?;
    }
    if let Some(notifier) = notifier {
        notifier.await?;
    }
    Ok(())
}

async fn until_stopped(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stopped| *stopped).await;
}
