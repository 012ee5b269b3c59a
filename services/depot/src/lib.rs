//! The submission service ("API de dépôt"): the routes, statuses and JSON of the production
//! API (`/api-depot`), so that an existing client switches by changing its base URL.
//!
//! ```text
//! POST /communes/{code}/revisions ─▶ PUT /revisions/{id}/files/bal ─▶ POST …/compute ─▶ POST …/publish
//! ```
//! Issues in a file are data: `compute` answers 200 with `validation.valid = false`. Only a
//! valid (ready) revision can be published, which makes it the commune's current revision
//! and queues its consolidation in the same transaction.
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::routing::{get, post, put};
use axum::Router;
use ban_service_kit::ApiError;
use ban_store::Store;
use secrecy::SecretString;

mod auth;
pub mod config;
mod habilitations;
pub mod mailer;
pub mod openapi;
mod revisions;
pub mod validation;

pub use auth::{Admin, Authenticated};
pub use config::{DepotArgs, DepotConfig};
pub use mailer::{LogMailer, Mailer, SmtpMailer};

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
}

impl DepotState {
    /// The state of a depot on `store` with its options (the mailer they name).
    pub fn new(store: Arc<dyn Store>, args: &DepotArgs) -> Result<Self, String> {
        Ok(DepotState { store, mailer: args.mailer()?, admin_token: args.admin_token.clone() })
    }
}

/// The depot's routes, to be nested under `/api-depot`.
pub fn router(state: DepotState) -> Router {
    Router::new()
        .route("/communes/{code}/revisions", post(revisions::create).get(revisions::commune_revisions))
        .route("/communes/{code}/current-revision", get(revisions::current))
        .route("/communes/{code}/current-revision/files/bal/download", get(revisions::current_file))
        .route("/current-revisions", get(revisions::current_revisions))
        .route("/revisions/{id}", get(revisions::get))
        .route("/revisions/{id}/files/bal", put(revisions::upload))
        .route("/revisions/{id}/files/bal/download", get(revisions::file))
        .route("/revisions/{id}/compute", post(revisions::compute))
        .route("/revisions/{id}/publish", post(revisions::publish))
        .route("/revisions/client/{client_id}", get(revisions::client_revisions))
        .route("/communes/{code}/habilitations", post(habilitations::create))
        .route("/habilitations/are-valid", post(habilitations::are_valid))
        .route("/habilitations/{id}", get(habilitations::get))
        .route("/habilitations/{id}/authentication/email/send-pin-code", post(habilitations::send_pin_code))
        .route(
            "/habilitations/{id}/authentication/email/validate-pin-code",
            post(habilitations::validate_pin_code),
        )
        .route("/habilitations/{id}/validate", put(habilitations::force_accept))
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(openapi::docs_page))
        .with_state(Arc::new(state))
}
