//! What wraps every request of every service: a request id (`x-request-id`: the client's if
//! it is sane, else a new UUID; echoed on the answer), a tracing span that carries it, the
//! request's metrics and log line, and errors answered as problem+json. [`app`] puts them
//! around a service's routes.
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tracing::Instrument;

use crate::problem::{no_route, problem_for_errors};

/// The header of request ids, read from the client and set on every answer.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id kept from a client.
pub const MAX_REQUEST_ID_LEN: usize = 128;

tokio::task_local! {
    /// The id of the request being answered, for the bodies of 5xx answers.
    static REQUEST_ID: String;
}

/// The id of the request being answered, when called while answering one (inside [`app`]).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(String::clone).ok()
}

/// The application of a service: `routes` (the service's routes and its health routes)
/// with what every answer gets — metrics and a log line per matched route, a 404 problem
/// for unknown paths, problem+json for every error, and a request id in a span around it
/// all and on the answer.
pub fn app(routes: Router) -> Router {
    // Layers run outermost last-added: the id is checked, then set, then echoed; the span
    // covers everything below, so errors are logged inside it.
    routes
        .route_layer(middleware::from_fn(track_requests))
        .fallback(no_route)
        .layer(middleware::from_fn(problem_for_errors))
        .layer(middleware::from_fn(request_span))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, RandomUuid))
        .layer(middleware::map_request(drop_insane_request_id))
}

/// New request ids: version-4 UUIDs from the thread's random generator (tower-http's
/// `MakeRequestUuid` asks the operating system for every id: a system call per request).
#[derive(Debug, Clone, Copy, Default)]
struct RandomUuid;

impl MakeRequestId for RandomUuid {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
        HeaderValue::from_bytes(id.hyphenated().encode_lower(&mut text).as_bytes()).ok().map(RequestId::new)
    }
}

/// Whether a client's request id can be kept: 1 to [`MAX_REQUEST_ID_LEN`] characters among
/// ASCII letters, digits and `-_.:` (nothing that could forge a log line or bloat it).
pub fn is_sane_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Removes a request id the service will not keep, so that a new one is made.
async fn drop_insane_request_id(mut request: Request) -> Request {
    let insane = request.headers().get_all(&REQUEST_ID_HEADER).iter().count() > 1
        || request.headers().get(&REQUEST_ID_HEADER).is_some_and(|id| !is_sane_request_id(id.as_bytes()));
    if insane {
        request.headers_mut().remove(&REQUEST_ID_HEADER);
    }
    request
}

/// Middleware: the request's span, with its id (and its route, filled in once matched), and
/// the id kept for the answer's body.
async fn request_span(request: Request, next: Next) -> Response {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = tracing::field::Empty,
    );
    REQUEST_ID.scope(id, next.run(request).instrument(span)).await
}

/// Middleware: request count and latency per matched route and status, and a log line.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    tracing::Span::current().record("route", route.as_str());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.clone())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(seconds);
    tracing::info!(%method, route, status, ms = seconds * 1000.0, "request");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_kept_when_sane() {
        assert!(is_sane_request_id(b"0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(is_sane_request_id(b"lb-01:1234.5_x"));
        assert!(!is_sane_request_id(b""));
        assert!(!is_sane_request_id(b"a b"));
        assert!(!is_sane_request_id(b"id\nlevel=error"));
        assert!(!is_sane_request_id("é".as_bytes()));
        assert!(!is_sane_request_id(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
        assert!(is_sane_request_id(&[b'a'; MAX_REQUEST_ID_LEN]));
    }
}
