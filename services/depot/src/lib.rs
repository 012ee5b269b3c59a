//! The submission service ("API de dépôt"): the routes, statuses and JSON of the production
//! API (`/api-depot`), so that an existing client switches by changing its base URL.
//!
//! ```text
//! POST /communes/{code}/revisions ─▶ PUT /revisions/{id}/files/bal ─▶ POST …/compute ─▶ POST …/publish
//! ```
//! Issues in a file are data: `compute` answers 200 with `validation.valid = false`. Only a
//! valid (ready) revision can be published, which makes it the commune's current revision
//! and queues its consolidation in the same transaction. What became of it is on the
//! revision's answer and per commune ([`consolidation`]); a refusal is mailed to the producer
//! and the town hall ([`notices`]). Citizens report address errors to the communes through
//! the same service ([`reports`]), whose clients and habilitations say who speaks for a
//! commune; the town hall and the authors are told by e-mail ([`report_mails`]).
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::Router;
use ban_service_kit::ApiError;
use ban_store::Store;
use secrecy::SecretString;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod abuse;
mod admin_routes;
pub mod administration;
pub mod audit;
mod auth;
pub mod config;
pub mod consolidation;
mod directory;
mod habilitations;
pub mod mailer;
pub mod notices;
pub mod openapi;
pub mod pages;
pub mod report_mails;
pub mod reports;
mod revisions;
pub mod stats;
pub mod validation;

pub use abuse::AbuseLimits;
pub use auth::{Admin, Authenticated, ClientIp, Reader};
pub use config::DepotArgs;
pub use mailer::{
    LogMailer, MailError, Mailer, RefusalNotice, ReportAbout, ReportMessage, ReportSummary, SmtpMailer,
    SmtpSettings,
};
pub use notices::Notifier;
pub use report_mails::ReportMailSettings;

/// Largest file accepted, in bytes (the production API's raw-body limit).
pub const MAX_FILE_BYTES: usize = 50_000_000;

/// A JSON body, or a 400 that says what is wrong with it.
fn json_body<T>(body: Result<axum::Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|axum::Json(value)| value).map_err(|e| {
        ApiError::bad_request("invalid_body", format!("Corps de requête invalide : {}", e.body_text()))
    })
}

/// What the depot's handlers share.
#[derive(Debug, Clone)]
pub struct DepotState {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    /// The token of administrators (`ADMIN_TOKEN`); admin routes are closed without it.
    pub admin_token: Option<SecretString>,
    /// Permits of the validations that may run at once.
    pub computes: Arc<tokio::sync::Semaphore>,
    /// The limits against guessing PIN codes and tokens.
    pub limits: Arc<AbuseLimits>,
    /// Whether the client's address is the proxy's `X-Forwarded-For` (`TRUST_FORWARDED_FOR`).
    pub trust_forwarded_for: bool,
}

/// Seconds a client is told to wait when every validation permit is taken.
const COMPUTE_RETRY_AFTER_S: u64 = 5;

impl DepotState {
    /// The state of a depot on `store` with its options (the mailer they name); the client's
    /// address is the connection's (see [`DepotState::trusting_forwarded_for`]).
    pub fn new(store: Arc<dyn Store>, args: &DepotArgs) -> Result<Self, String> {
        Ok(DepotState {
            store,
            mailer: args.mailer()?,
            admin_token: args.admin_token.clone(),
            computes: Arc::new(tokio::sync::Semaphore::new(args.max_concurrent_computes.max(1))),
            limits: Arc::new(AbuseLimits::new(args)),
            trust_forwarded_for: false,
        })
    }

    /// The same depot, taking the client's address from `X-Forwarded-For` when `trust` (the
    /// server's `TRUST_FORWARDED_FOR`, behind a reverse proxy).
    pub fn trusting_forwarded_for(self, trust: bool) -> Self {
        DepotState { trust_forwarded_for: trust, ..self }
    }

    /// A permit to validate a file now, or a 503 telling the client when to come back.
    pub fn compute_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        self.computes.clone().try_acquire_owned().map_err(|_| {
            metrics::counter!("validation_refused_busy_total").increment(1);
            ApiError::unavailable(
                "validation_busy",
                format!("Trop de validations en cours : réessayez dans {COMPUTE_RETRY_AFTER_S} s."),
            )
            .retry_after(COMPUTE_RETRY_AFTER_S)
        })
    }
}

/// The depot's routes with their description: every route is added here, by its handler,
/// whose `#[utoipa::path]` gives its path, method and description (see [`openapi`]).
fn routes() -> OpenApiRouter<Arc<DepotState>> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(revisions::create, revisions::commune_revisions))
        .routes(routes!(revisions::current))
        .routes(routes!(revisions::current_file))
        .routes(routes!(revisions::current_revisions))
        .routes(routes!(revisions::get))
        .routes(routes!(revisions::upload))
        .routes(routes!(revisions::file))
        .routes(routes!(revisions::findings))
        .routes(routes!(revisions::compute))
        .routes(routes!(revisions::publish))
        .routes(routes!(revisions::client_revisions))
        .routes(routes!(habilitations::create))
        .routes(routes!(habilitations::are_valid))
        .routes(routes!(habilitations::get))
        .routes(routes!(habilitations::send_pin_code))
        .routes(routes!(habilitations::validate_pin_code))
        .routes(routes!(habilitations::force_accept))
        .routes(routes!(directory::emails))
        .routes(routes!(audit::entries))
        .routes(routes!(reports::create, reports::list))
        .routes(routes!(reports::get, reports::decide))
        .routes(routes!(reports::settings, reports::save_settings))
        .routes(routes!(reports::ignore_many))
        .routes(routes!(consolidation::commune))
        .routes(routes!(consolidation::force_route))
        .routes(routes!(stats::last_revisions))
        .routes(routes!(stats::firsts_publications))
        .routes(routes!(stats::publications))
        .routes(routes!(stats::metrics_incubateur))
        .routes(routes!(admin_routes::list_clients, admin_routes::create_client))
        .routes(routes!(admin_routes::get_client, admin_routes::update_client))
        .routes(routes!(admin_routes::renew_token))
        .routes(routes!(admin_routes::set_client_perimeters))
        .routes(routes!(admin_routes::list_mandataires, admin_routes::create_mandataire))
        .routes(routes!(admin_routes::get_mandataire, admin_routes::update_mandataire))
        .routes(routes!(admin_routes::list_chefs_de_file, admin_routes::create_chef_de_file))
        .routes(routes!(admin_routes::get_chef_de_file, admin_routes::update_chef_de_file))
        .routes(routes!(openapi::document))
        .routes(routes!(openapi::docs_page))
}

/// The depot's routes, to be nested under `/api-depot`.
pub fn router(state: DepotState) -> Router {
    let (router, _) = routes().split_for_parts();
    router.with_state(Arc::new(state))
}
