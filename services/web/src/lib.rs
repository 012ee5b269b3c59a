//! The web pages of BAN Sync, in French, server-rendered (askama templates, checked at compile
//! time) with the French State design system (DSFR, vendored under `assets/vendor/dsfr`):
//!
//! - `/`: the home page, an address search over the geocoder (`/search/`), links to the tools;
//! - `/outils/validateur`: the BAL validator, a form that works without JavaScript (multipart
//!   POST to the page, report rendered by the server);
//! - `/publier`: the publication flow of a town hall (commune and file, the town hall's
//!   address, its code, the publication, then its follow-up), calling the depot as the web's
//!   own client ([`depot_client`], [`publish`]);
//! - `/donnees`: the downloads page, every export of France and of each département with
//!   the size and date of those already written, and how to follow the change feed;
//! - `POST /api/validate`: the validator's public API (JSON report, or every finding as CSV or
//!   NDJSON), described at `/api/validate/openapi.json`;
//! - `/commune/{code}`: a commune's page (figures, publications, streets and numbers, map,
//!   downloads), and `/commune/{code}/contour.geojson`, the contour its map draws;
//! - `/signaler`: « Signaler une erreur », a citizen's report sent to the depot; its public page
//!   `/signalement/{id}`; a commune's reports `/commune/{code}/signalements`, and their
//!   processing by the town hall after its consent by code (`…/signalements/mairie`) ([`reports`]);
//! - `/tiles/ban/{z}/{x}/{y}.pbf`: the map's vector tiles (addresses and toponyms), built from
//!   the live base;
//! - `/static/{version}/…`: the assets, embedded in the binary, cached for a year (the version
//!   changes with their bytes).
pub mod assets;
pub mod cache;
pub mod commune;
pub mod config;
pub mod consent;
pub mod depot_client;
pub mod donnees;
pub mod french;
pub mod mvt;
pub mod openapi;
pub mod pages;
pub mod publish;
pub mod reports;
pub mod tiles;
pub mod validate;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use ban_service_kit::ApiError;
use ban_store::Store;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::config::{WebAloneArgs, WebArgs};
pub use crate::depot_client::{DepotClient, Upstream};

/// What the pages and the API share.
#[derive(Clone)]
pub struct WebState {
    /// The store the pages read (communes, revisions, the base).
    pub store: Arc<dyn Store>,
    /// Permits of the validations that may run at once (each holds its file in memory).
    pub validations: Arc<tokio::sync::Semaphore>,
    /// The depot the publication pages call (`None`: publication unavailable here).
    pub depot: Option<DepotClient>,
    /// When each publication was first seen searchable.
    pub seen_searchable: Arc<publish::SeenSearchable>,
    /// Whether a browser's address is the proxy's `X-Forwarded-For` (`TRUST_FORWARDED_FOR`),
    /// as the depot reads it.
    pub trust_forwarded_for: bool,
    /// The France files the downloads service has written (read for their size and date).
    pub exports: ban_downloads::cache::ExportCache,
    /// What the downloads page shows of the base, until the feed moves.
    pub base_summary: donnees::SummaryCache,
    /// The communes read for the pages and the tiles, by version.
    pub communes: Arc<cache::CommuneCache>,
    /// The encoded tiles, by version.
    pub tiles: Arc<tiles::TileCache>,
    /// A MapLibre style drawn under the maps' addresses (`WEB_BASEMAP_STYLE`).
    pub basemap_style: Option<Arc<str>>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("validations", &self.validations)
            .field("depot", &self.depot)
            .finish_non_exhaustive()
    }
}

/// Seconds a client is told to wait when every validation permit is taken.
const VALIDATION_RETRY_AFTER_S: u64 = 5;

impl WebState {
    /// The state of the pages on `store`; the publication pages call the depot of
    /// `WEB_DEPOT_URL` with `WEB_DEPOT_TOKEN` when both are given (see [`WebState::with_depot`]
    /// for a depot in the same process).
    pub fn new(store: Arc<dyn Store>, args: &WebArgs) -> Self {
        let depot = match (&args.depot_url, &args.depot_token) {
            (Some(url), Some(token)) => Some(DepotClient::new(
                Upstream::http(url),
                token.clone(),
                args.geocoder_url.as_deref().map(Upstream::http),
            )),
            _ => None,
        };
        WebState {
            store,
            validations: Arc::new(tokio::sync::Semaphore::new(args.max_concurrent_validations.max(1))),
            depot,
            seen_searchable: Arc::default(),
            trust_forwarded_for: false,
            exports: ban_downloads::cache::ExportCache::new(args.export_cache_dir.clone()),
            base_summary: donnees::SummaryCache::default(),
            communes: Arc::new(cache::CommuneCache::new(args.cache_objects)),
            tiles: Arc::new(tiles::TileCache::new(args.tile_cache_mb.saturating_mul(1 << 20))),
            basemap_style: args.basemap_style.as_deref().filter(|s| !s.is_empty()).map(Arc::from),
        }
    }

    /// The same pages, taking a browser's address from `X-Forwarded-For` when `trust`.
    pub fn trusting_forwarded_for(self, trust: bool) -> Self {
        WebState { trust_forwarded_for: trust, ..self }
    }

    /// The same pages, publishing through `depot`.
    pub fn with_depot(self, depot: DepotClient) -> Self {
        WebState { depot: Some(depot), ..self }
    }

    /// A permit to validate a file now, or a 503 telling the client when to come back.
    pub fn validation_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        self.validations.clone().try_acquire_owned().map_err(|_| {
            // Not the depot's `validation_refused_busy_total`: the web's permits are its own.
            metrics::counter!("web_validation_refused_busy_total").increment(1);
            ApiError::unavailable(
                "validation_busy",
                format!("Trop de validations en cours : réessayez dans {VALIDATION_RETRY_AFTER_S} s."),
            )
            .retry_after(VALIDATION_RETRY_AFTER_S)
        })
    }
}

/// The API's routes with their description (see [`openapi`]).
fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(validate::validate))
        .routes(routes!(openapi::document))
}

/// The pages, the assets and the API, at the root of the server.
pub fn router(state: WebState) -> Router {
    let (api, _) = routes().split_for_parts();
    Router::new()
        .route("/", axum::routing::get(pages::home))
        .route("/outils/validateur", axum::routing::get(pages::validator).post(pages::validator_report))
        .route("/publier", axum::routing::get(publish::start).post(publish::submit))
        .route("/publier/communes", axum::routing::get(publish::commune_search))
        .route("/publier/{revision}", axum::routing::get(publish::step))
        .route("/publier/{revision}/code", axum::routing::post(publish::send_code))
        .route("/publier/{revision}/code/valider", axum::routing::post(publish::check_code))
        .route("/publier/{revision}/publication", axum::routing::post(publish::publish))
        .route("/publier/{revision}/suivi", axum::routing::get(publish::status))
        .route("/publier/{revision}/suivi.json", axum::routing::get(publish::status_json))
        .route("/donnees", axum::routing::get(donnees::page))
        .route("/commune/{code}", axum::routing::get(commune::page))
        .route("/commune/{code}/contour.geojson", axum::routing::get(commune::contour))
        .route("/signaler", axum::routing::get(reports::form).post(reports::submit))
        .route("/signalement/{id}", axum::routing::get(reports::report))
        .route("/commune/{code}/signalements", axum::routing::get(reports::list))
        .route("/commune/{code}/signalements/mairie", axum::routing::get(reports::town_hall))
        .route("/commune/{code}/signalements/mairie/code", axum::routing::post(reports::send_code))
        .route("/commune/{code}/signalements/mairie/code/valider", axum::routing::post(reports::check_code))
        .route("/commune/{code}/signalements/mairie/decision", axum::routing::post(reports::decide))
        .route("/commune/{code}/signalements/mairie/indesirables", axum::routing::post(reports::ignore_spam))
        // Described in the OpenAPI document (`tiles::tile`); routed here because the path's last
        // segment is a parameter with a suffix (`{y}.pbf`).
        .route("/tiles/ban/{z}/{x}/{file}", axum::routing::get(tiles::tile))
        .merge(api)
        // The file limit is checked while reading (413); this only lets a whole file through.
        .layer(DefaultBodyLimit::max(validate::MAX_FILE_BYTES + validate::FORM_OVERHEAD_BYTES))
        .with_state(state)
        .route("/static/{version}/{*path}", axum::routing::get(assets::asset))
}
