//! What every BAN Sync service boots with: its settings ([`config`]: the store, the listening
//! address, the logs, read once at start), the store chosen by its URL, tracing logs, errors
//! answered as `application/problem+json` ([`problem`]), what the services' OpenAPI documents
//! share ([`openapi`]), request ids and metrics around every request ([`request`]), health and
//! metrics routes, rate limits ([`limits`]), and the server loop ([`server`]: header and idle
//! timeouts, a bounded graceful shutdown on Ctrl-C or SIGTERM).
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ban_store::{Store, StoreError};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub mod config;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod request;
pub mod server;

pub use config::{
    AloneArgs, DatabaseArgs, ListenArgs, LogArgs, LogFormat, RateLimitArgs, SecretUrl, ServerArgs,
    DEFAULT_DATABASE_URL, DEFAULT_LISTEN_ADDR, DEFAULT_MAX_CONNECTIONS,
};
pub use limits::RateLimits;
pub use problem::{no_route, problem_for_errors, ApiError, FieldProblem, Problem, PROBLEM_CONTENT_TYPE};
pub use request::{app, current_request_id, track_requests, REQUEST_ID_HEADER};
pub use server::ConnectionLimits;

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
        return Ok(Arc::new(ban_store_postgres::open(url, max_connections).await?));
    }
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(StoreError::database)?;
        }
        return Ok(Arc::new(ban_store_sqlite::open(url).await?));
    }
    Err(StoreError::Precondition(format!(
        "unsupported DATABASE_URL {secret_url:?}: expected sqlite://PATH or postgres://…"
    )))
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
    if let Err(e) = readiness.store.ping().await {
        // The store's error is for the log, not for whoever polls the service.
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the store does not answer: {e}"),
        )
        .into_response();
    }
    for check in &readiness.checks {
        if let Err(why) = check() {
            return ApiError::unavailable("not_ready", why).into_response();
        }
    }
    (StatusCode::OK, "ready").into_response()
}

/// Resolves on Ctrl-C or SIGTERM, for [`server::serve`].
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
