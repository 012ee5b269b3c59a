//! Who is calling: a client by its token, or an administrator; on the read routes, also
//! nobody in particular ([`Reader`]); and from which address ([`ClientIp`]). A wrong token
//! counts as a failed authentication of the address: too many in a minute and the answer is
//! a 429 rather than a 401 ([`crate::abuse::AbuseLimits::auth_failure`]).
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use ban_service_kit::limits::client_address;
use ban_service_kit::ApiError;
use ban_store::{Client, Viewer};
use secrecy::ExposeSecret;

use crate::DepotState;

/// The calling client, from `Authorization: Token <token>` (any scheme word is accepted, as
/// in production: the part after the space is the token).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Client);

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = value.split_once(' ').map_or(value, |(_, token)| token.trim());
    (!token.is_empty()).then_some(token)
}

/// The address the request came from: the connection's, or the proxy's `X-Forwarded-For`
/// when the server trusts it (`TRUST_FORWARDED_FOR`). `None` without a socket (tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<Arc<DepotState>> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<DepotState>,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(ClientIp(client_address(parts, state.trust_forwarded_for)))
    }
}

/// A 401 for a wrong token, counted as a failed authentication of the address (a 429 once
/// it failed too often).
fn failed(parts: &Parts, state: &DepotState, message: &str) -> ApiError {
    let ip = client_address(parts, state.trust_forwarded_for);
    state
        .limits
        .auth_failure(ip)
        .unwrap_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message))
}

impl FromRequestParts<Arc<DepotState>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<DepotState>) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Jeton manquant : en-tête Authorization: Token <jeton>.",
            )
        })?;
        let client = state
            .store
            .client_by_token(token)
            .await?
            .ok_or_else(|| failed(parts, state, "Jeton inconnu."))?;
        if !client.is_active {
            return Err(ApiError::forbidden("client_inactive", "Ce client est désactivé."));
        }
        Ok(Authenticated(client))
    }
}

/// An administrator, from `Authorization: Token|Bearer <ADMIN_TOKEN>`: 401 without it (or
/// when the depot has none), 403 for a client's token (the caller is known, the route is not
/// for it).
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// Compared in constant time: how long a wrong token takes to refuse says nothing of how much
/// of it was right.
fn is_admin(parts: &Parts, state: &DepotState) -> bool {
    use subtle::ConstantTimeEq;
    match (bearer(parts), &state.admin_token) {
        (Some(given), Some(expected)) => given.as_bytes().ct_eq(expected.expose_secret().as_bytes()).into(),
        _ => false,
    }
}

impl FromRequestParts<Arc<DepotState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<DepotState>) -> Result<Self, ApiError> {
        const REQUIRED: &str = "Jeton d’administration requis.";
        if is_admin(parts, state) {
            return Ok(Admin);
        }
        let Some(token) = bearer(parts) else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", REQUIRED));
        };
        // A client's token: the caller is known, the route is not for it.
        if state.store.client_by_token(token).await?.is_some() {
            return Err(ApiError::forbidden(
                "admin_required",
                "Route réservée aux administrateurs : ce jeton est celui d’un client.",
            ));
        }
        Err(failed(parts, state, REQUIRED))
    }
}

impl Authenticated {
    /// Refuses when the thing belongs to another client.
    pub fn owns(&self, client_id: &str) -> Result<(), ApiError> {
        if self.0.id == client_id {
            Ok(())
        } else {
            Err(ApiError::forbidden("not_owner", "Cette ressource appartient à un autre client."))
        }
    }
}

/// Who reads, on the routes open without a token: nobody in particular, a client, or an
/// administrator. What a reader sees depends on it: published revisions are open data, a
/// draft and the submitter's personal data are its client's and the administrators' only.
/// A token that is given must be valid (401 otherwise), so that a client with a mistyped
/// token is told, rather than shown the public view.
#[derive(Debug, Clone)]
pub enum Reader {
    Anyone,
    /// Boxed: a client is large beside the other two.
    Client(Box<Client>),
    Admin,
}

impl FromRequestParts<Arc<DepotState>> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<DepotState>) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Reader::Anyone);
        }
        if is_admin(parts, state) {
            return Ok(Reader::Admin);
        }
        Authenticated::from_request_parts(parts, state).await.map(|caller| Reader::Client(Box::new(caller.0)))
    }
}

impl Reader {
    /// The reader as the store's lists know it.
    pub fn viewer(&self) -> Viewer<'_> {
        match self {
            Reader::Anyone => Viewer::Anyone,
            Reader::Client(client) => Viewer::Client(&client.id),
            Reader::Admin => Viewer::Admin,
        }
    }

    /// Whether the reader sees everything of `client_id`'s revisions: drafts, files and the
    /// submitter's personal data.
    pub fn sees_all_of(&self, client_id: &str) -> bool {
        self.viewer().sees_all_of(client_id)
    }
}
