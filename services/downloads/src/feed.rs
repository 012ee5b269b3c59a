//! `GET /api/changes`: the change feed over HTTP.
//!
//! A page is ndjson, one feed row a line, in `seq` order; the `x-ban-feed-head` header says
//! the last seq of the whole feed, so a reader knows whether it has caught up. With `wait=N`
//! an empty page is held up to N seconds until a change arrives (long poll); with
//! `Accept: text/event-stream` the answer is an endless stream of Server-Sent Events whose ids
//! are seqs (a reconnecting client resumes with `Last-Event-ID`).
use ban_service_kit::Problem;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ban_domain::{is_departement, InseeCode};
use ban_service_kit::ApiError;
use ban_store::{FeedChange, FeedQuery, Store};
use serde::Deserialize;
use tokio::sync::watch;

use crate::DownloadsState;

/// Rows of a page when the reader does not say.
pub const DEFAULT_LIMIT: i64 = 1_000;
/// The most rows of one page.
pub const MAX_LIMIT: i64 = 10_000;
/// The longest a long poll waits.
pub const MAX_WAIT_SECS: u64 = 60;
/// How often the head of the feed is read: the delay a live reader may add to a change.
const HEAD_POLL: Duration = Duration::from_millis(200);

/// The last seq of the feed, read by one task for every waiting reader of the process
/// (the store may be written by other processes, so it is polled, not notified).
#[derive(Debug, Clone)]
pub struct Head {
    receiver: watch::Receiver<i64>,
}

impl Head {
    /// Starts watching `store` (the task lives as long as a `Head` does).
    pub fn watch(store: Arc<dyn Store>) -> Head {
        let (sender, receiver) = watch::channel(0);
        tokio::spawn(async move {
            loop {
                match store.last_seq().await {
                    Ok(seq) => {
                        sender.send_if_modified(|head| std::mem::replace(head, seq) != seq);
                    }
                    Err(error) => tracing::warn!(%error, "reading the head of the feed"),
                }
                if sender.is_closed() {
                    break;
                }
                tokio::time::sleep(HEAD_POLL).await;
            }
        });
        Head { receiver }
    }

    /// Waits until the feed goes past `seq`, at most `timeout`; whether it did.
    pub async fn wait_past(&self, seq: i64, timeout: Duration) -> bool {
        let mut receiver = self.receiver.clone();
        tokio::time::timeout(timeout, receiver.wait_for(|head| *head > seq)).await.is_ok_and(|r| r.is_ok())
    }
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    since: Option<String>,
    limit: Option<String>,
    commune: Option<String>,
    departement: Option<String>,
    current: Option<String>,
    wait: Option<String>,
}

/// A feed request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub query: FeedQuery,
    pub wait: Duration,
}

fn number<T: std::str::FromStr + PartialOrd>(
    name: &str,
    value: Option<&str>,
    default: T,
    range: (T, T),
) -> Result<T, ApiError> {
    let Some(text) = value else { return Ok(default) };
    match text.parse::<T>() {
        Ok(n) if n >= range.0 && n <= range.1 => Ok(n),
        _ => {
            Err(ApiError::bad_request("invalid_parameter", format!("Paramètre {name} invalide : {text:?}.")))
        }
    }
}

/// Most codes a `commune` or `departement` list may hold (France has 101 départements).
pub const MAX_LIST_CODES: usize = 1_000;

/// A comma-separated list of codes, upper-cased; present but empty, or too long, is an error
/// (an empty filter would otherwise select the whole feed).
fn list(name: &str, value: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let codes: Vec<String> =
        value.split(',').map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()).collect();
    if codes.is_empty() {
        return Err(ApiError::bad_request("invalid_parameter", format!("Paramètre {name} vide.")));
    }
    if codes.len() > MAX_LIST_CODES {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("Paramètre {name} : {} codes, {MAX_LIST_CODES} au plus.", codes.len()),
        ));
    }
    Ok(codes)
}

/// Reads `since`, `limit`, `commune`, `departement`, `current`, `wait`.
pub fn parse(raw: Option<&str>) -> Result<Request, ApiError> {
    let params: Params = serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|error| {
        ApiError::bad_request("invalid_query", format!("Paramètres illisibles : {error}."))
    })?;
    let since = number("since", params.since.as_deref(), 0, (0, i64::MAX))?;
    let limit = number("limit", params.limit.as_deref(), DEFAULT_LIMIT, (1, MAX_LIMIT))?;
    let wait = number("wait", params.wait.as_deref(), 0, (0, MAX_WAIT_SECS))?;
    let communes = list("commune", params.commune.as_deref())?;
    if let Some(bad) = communes.iter().find(|c| InseeCode::parse(c).is_err()) {
        return Err(ApiError::bad_request("invalid_parameter", format!("Code commune invalide : {bad:?}.")));
    }
    let departements = list("departement", params.departement.as_deref())?;
    if let Some(bad) = departements.iter().find(|d| !is_departement(d)) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("Code département invalide : {bad:?}."),
        ));
    }
    let current_only = match params.current.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("Paramètre current invalide : {other:?} (true ou false)."),
            ))
        }
    };
    Ok(Request {
        query: FeedQuery { since, limit, communes, departements, current_only },
        wait: Duration::from_secs(wait),
    })
}

/// `GET /api/changes`.
#[utoipa::path(
    get,
    path = "/api/changes",
    tag = "flux",
    summary = "Flux des changements (ndjson), ou flux continu (Server-Sent Events)",
    description = "Une ligne par changement, dans l’ordre des seq. Avec Accept: text/event-stream, un flux sans fin d’événements change dont l’id est le seq (reprise avec Last-Event-ID).",
    params(crate::openapi::ChangesParams, ("last-event-id" = Option<i64>, Header, description = "Flux continu : reprendre après ce seq")),
    responses(
        (status = 200, description = "Une page du flux : un FeedChange par ligne", content((FeedChange = "application/x-ndjson"), (String = "text/event-stream")), headers(("x-ban-feed-head" = i64, description = "Dernier seq du flux"), ("x-ban-feed-next" = i64, description = "Le since de la page suivante"))),
        (status = 400, description = "Paramètre invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn changes(
    State(state): State<DownloadsState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut request = parse(raw.as_deref())?;
    let wants_events = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if wants_events {
        if let Some(last) =
            headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
        {
            request.query.since = last;
        }
        return Ok(events(state, request.query).into_response());
    }
    let store = &*state.store;
    let mut rows = store.feed(&request.query).await?;
    if rows.is_empty() && !request.wait.is_zero() {
        let deadline = tokio::time::Instant::now() + request.wait;
        let mut seen = store.last_seq().await?.max(request.query.since);
        while rows.is_empty() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() || !state.head.wait_past(seen, left).await {
                break;
            }
            seen = store.last_seq().await?;
            rows = store.feed(&request.query).await?;
        }
    }
    let head = store.last_seq().await?;
    let mut body = Vec::with_capacity(rows.len() * 512);
    for row in &rows {
        serde_json::to_writer(&mut body, row).map_err(|e| ApiError::internal("internal_error", e))?;
        body.push(b'\n');
    }
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    headers.insert("x-ban-feed-head", HeaderValue::from(head));
    let next = rows.last().map_or(request.query.since, |r| r.seq);
    headers.insert("x-ban-feed-next", HeaderValue::from(next));
    Ok(response)
}

/// The feed as Server-Sent Events, from `query.since` on, forever.
fn events(
    state: DownloadsState,
    mut query: FeedQuery,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(64);
    query.limit = DEFAULT_LIMIT;
    tokio::spawn(async move {
        loop {
            let rows = match state.store.feed(&query).await {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::warn!(%error, "reading the feed for a live reader");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if rows.is_empty() {
                if sender.is_closed() {
                    break;
                }
                state.head.wait_past(query.since, Duration::from_secs(15)).await;
                continue;
            }
            for row in rows {
                query.since = row.seq;
                let Ok(data) = serde_json::to_string(&row) else { continue };
                let event = Event::default().id(row.seq.to_string()).event("change").data(data);
                if sender.send(Ok(event)).await.is_err() {
                    return;
                }
            }
        }
    });
    Sse::new(tokio_stream::wrappers::ReceiverStream::new(receiver)).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let request = parse(Some("since=12&limit=50&departement=54,2a&commune=54084&current=true&wait=5"))
            .expect("valid");
        assert_eq!(request.query.since, 12);
        assert_eq!(request.query.limit, 50);
        assert_eq!(request.query.departements, vec!["54", "2A"]);
        assert_eq!(request.query.communes, vec!["54084"]);
        assert!(request.query.current_only);
        assert_eq!(request.wait, Duration::from_secs(5));
        assert_eq!(parse(None).expect("defaults").query, FeedQuery::since(0, DEFAULT_LIMIT));
        for bad in [
            "since=-1",
            "since=x",
            "limit=0",
            "limit=10001",
            "wait=61",
            "departement=20",
            "commune=5408",
            "commune=",
            "commune=,",
            "departement=",
            "current=yes",
        ] {
            let error = parse(Some(bad)).expect_err(bad);
            assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
        }
        let too_many = vec!["54084"; MAX_LIST_CODES + 1].join(",");
        let error = parse(Some(&format!("commune={too_many}"))).expect_err("too many codes");
        assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
    }
}
