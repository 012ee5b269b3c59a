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
use tracing::Instrument;

use crate::limits::{rate_limit, RateLimits};
use crate::problem::{as_problem, no_route};

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
/// all and on the answer; requests over the `limits` are answered 429 before any route runs.
pub fn app(routes: Router, limits: RateLimits) -> Router {
    // Layers run outermost last-added: the id and its span cover everything below, so
    // errors are logged inside it.
    // Each layer costs a boxed future per request, measurable on the geocoder's hottest
    // routes: the rate limits are left out when both are off, and the problem answers are made
    // by the middleware that sets the request id.
    let routes = routes.route_layer(middleware::from_fn(track_requests)).fallback(no_route);
    let routes = if limits.is_off() {
        routes
    } else {
        routes.layer(middleware::from_fn_with_state(limits, rate_limit))
    };
    routes.layer(middleware::from_fn(identify_request))
}

/// Whether a client's request id can be kept: 1 to [`MAX_REQUEST_ID_LEN`] characters among
/// ASCII letters, digits and `-_.:` (nothing that could forge a log line or bloat it).
pub fn is_sane_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The request's id: the client's own when there is exactly one and it is sane, else a new
/// version-4 UUID from the thread's random generator (no system call per request).
fn request_id_of(request: &Request) -> HeaderValue {
    let mut ids = request.headers().get_all(&REQUEST_ID_HEADER).iter();
    if let (Some(id), None) = (ids.next(), ids.next()) {
        if is_sane_request_id(id.as_bytes()) {
            return id.clone();
        }
    }
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text)).expect("a UUID is a valid header value")
}

/// Middleware: the request's id, set on the request (for what runs below) and on the answer,
/// kept for the body of a 5xx answer, and its span (with its route, filled in once matched);
/// error answers made problem+json within it ([`as_problem`]).
/// One middleware rather than tower-http's three request-id layers: on the geocoder's
/// hottest routes every layer is measurable.
async fn identify_request(mut request: Request, next: Next) -> Response {
    let id = request_id_of(&request);
    request.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
    let text = id.to_str().unwrap_or_default().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %text,
        method = %request.method(),
        route = tracing::field::Empty,
    );
    let answer = async move { as_problem(next.run(request).await).await };
    let mut response = REQUEST_ID.scope(text, answer.instrument(span)).await;
    response.headers_mut().entry(REQUEST_ID_HEADER).or_insert(id);
    response
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
