//! The detail of a 5xx answer goes to the log once, at error level, inside the request's span
//! (with its id and route), through [`ban_service_kit::app`] without a socket.
//!
//! This binary's only test: tracing caches which callsites are enabled process-wide, so a
//! test that captures logs stays away from tests that log without a subscriber.
#![allow(clippy::unwrap_used)]
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use ban_service_kit::{app, ApiError};
use serde_json::Value;
use tower::ServiceExt;

/// Log lines, captured.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_detail_is_logged_once_inside_the_request_span() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let routes = Router::new().route(
        "/fails",
        get(|| async {
            Err::<(), _>(ApiError::internal("internal_error", "relation \"secret_table\" does not exist"))
        }),
    );
    let request = Request::get("/fails").header("x-request-id", "req-logged").body(Body::empty()).unwrap();
    let response = app(routes, ban_service_kit::RateLimits::none()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let errors: Vec<&Value> = lines.iter().filter(|line| line["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "{text}");
    let error = errors[0];
    assert!(error["fields"]["detail"].as_str().unwrap().contains("secret_table"), "{error}");
    assert_eq!(error["fields"]["code"], "internal_error");
    assert_eq!(error["span"]["name"], "request");
    assert_eq!(error["span"]["request_id"], "req-logged");
    assert_eq!(error["span"]["route"], "/fails");
    // The request's own line is in the span too.
    assert!(lines
        .iter()
        .any(|line| line["fields"]["message"] == "request" && line["span"]["request_id"] == "req-logged"));
}
