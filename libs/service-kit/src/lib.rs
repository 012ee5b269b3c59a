//! What every BAN Sync service boots with: its settings ([`config`]: the store, the listening
//! address, the logs, read once at start), the store chosen by its URL, tracing logs, errors
//! answered as `application/problem+json`, health and metrics routes, and a graceful shutdown
//! on Ctrl-C or SIGTERM.
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ban_store::{Store, StoreError};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;

pub mod config;

pub use config::{
    DatabaseArgs, ListenArgs, LogArgs, LogFormat, SecretUrl, ServerArgs, DEFAULT_DATABASE_URL,
    DEFAULT_LISTEN_ADDR, DEFAULT_MAX_CONNECTIONS,
};

impl DatabaseArgs {
    /// Opens the store of these settings (see [`open_store_with`]).
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        open_store_with(&self.database_url, self.database_max_connections).await
    }
}

/// Opens the store named by `url` with the default settings (see [`open_store_with`]).
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_store_with(&SecretUrl::new(url), DEFAULT_MAX_CONNECTIONS).await
}

/// Opens the store named by `url`: `sqlite://PATH` (or `sqlite:PATH`) or `postgres://…`,
/// with at most `max_connections` connections to PostgreSQL. Errors never show the URL's
/// password.
pub async fn open_store_with(
    secret_url: &SecretUrl,
    max_connections: u32,
) -> Result<Arc<dyn Store>, StoreError> {
    let url = secret_url.expose();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(ban_store_postgres::PgStore::open_with(url, max_connections).await?));
    }
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(StoreError::database)?;
        }
        return Ok(Arc::new(ban_store_sqlite::SqliteStore::open(url).await?));
    }
    Err(StoreError::Precondition(format!(
        "unsupported DATABASE_URL {secret_url:?}: expected sqlite://PATH or postgres://…"
    )))
}

/// An error answered as RFC 9457 `application/problem+json`, with a stable `code` that
/// clients can test, and a message for people. `message` and `statusCode` repeat `detail`
/// and `status` under the names the production API's clients read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn precondition(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, code, message)
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    message: &'a str,
    #[serde(rename = "statusCode")]
    status_code: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Expected while a service starts (a geocoder building its index).
            tracing::warn!(code = self.code, message = %self.message, "request refused");
        } else if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let problem = Problem {
            kind: format!("urn:ban-sync:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.message,
            code: self.code,
            message: &self.message,
            status_code: self.status.as_u16(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found("not_found", format!("{what} introuvable")),
            StoreError::Precondition(message) => ApiError::precondition("precondition_failed", message),
            StoreError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::Database(e) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("base de données : {e}"),
            ),
        }
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every router).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Histograms with buckets (not summaries): they add up across the replicas of a
            // service, which is how an operator reads them.
            let recorder = PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Bucket bounds of every histogram, in seconds: from a cached search (< 1 ms) to the
/// consolidation of a large commune (tens of seconds).
pub const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// A service's own readiness, besides the store's: `Err(why)` while it cannot serve yet (a
/// geocoder building its index).
pub type ReadinessCheck = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

#[derive(Clone)]
struct Readiness {
    store: Arc<dyn Store>,
    checks: Vec<ReadinessCheck>,
}

/// `/healthz` (the process answers), `/readyz` (the store answers, and every check passes:
/// 503 otherwise, so that a load balancer sends nothing yet) and `/metrics` (Prometheus).
pub fn health_routes(store: Arc<dyn Store>, checks: Vec<ReadinessCheck>) -> Router {
    let handle = metrics_handle();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(Readiness { store, checks })
        .route("/metrics", get(move || std::future::ready(handle.render())))
}

async fn readyz(State(readiness): State<Readiness>) -> Response {
    let not_ready =
        |why: String| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", why).into_response();
    if let Err(e) = readiness.store.ping().await {
        return not_ready(e.to_string());
    }
    for check in &readiness.checks {
        if let Err(why) = check() {
            return not_ready(why);
        }
    }
    (StatusCode::OK, "ready").into_response()
}

/// Middleware: request count and latency per matched route and status, and a log line.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.clone())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(seconds);
    tracing::info!(%method, route, status, ms = seconds * 1000.0, "request");
    response
}

/// Middleware: any error answer that is not yet `application/problem+json` (a rejection of
/// the framework: malformed query, wrong method…) becomes one, keeping its status and text.
pub async fn problem_for_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let detail = match text.trim() {
        "" => status.canonical_reason().unwrap_or("Error").to_owned(),
        text => text.to_owned(),
    };
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        _ if status.is_server_error() => "internal_error",
        _ => "client_error",
    };
    ApiError::new(status, code, detail).into_response()
}

/// The answer for paths no service serves.
pub async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found("no_route", format!("Aucune route {method} {}.", uri.path()))
}

/// Resolves on Ctrl-C or SIGTERM, for `axum::serve(…).with_graceful_shutdown`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
