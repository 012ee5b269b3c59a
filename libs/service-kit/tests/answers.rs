//! What every service's answers carry, through [`ban_service_kit::app`] without a socket:
//! request ids (made, or kept from a sane client), and 5xx answers that say only that an
//! internal error happened (the log of its detail: `tests/logs.rs`).
#![allow(clippy::unwrap_used)]
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use ban_service_kit::{app, ApiError, REQUEST_ID_HEADER};
use serde_json::Value;
use tower::ServiceExt;

/// Internal text that must never reach a client.
const INTERNAL: &str = "error returned from database: relation \"secret_table\" does not exist";

fn routes() -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/fails", get(|| async { Err::<(), _>(ApiError::internal("internal_error", INTERNAL)) }))
        .route(
            "/store-down",
            get(|| async {
                Err::<(), _>(ApiError::from(ban_store::StoreError::database(std::io::Error::other(INTERNAL))))
            }),
        )
        .route(
            "/building",
            get(|| async { Err::<(), _>(ApiError::unavailable("index_building", "patience")) }),
        )
        .route("/refused", get(|| async { Err::<(), _>(ApiError::bad_request("invalid_query", "q manque")) }))
        .route("/framework", get(|| async { (StatusCode::BAD_GATEWAY, INTERNAL) }))
        .route(
            "/page",
            get(|| async {
                let html = [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")];
                (StatusCode::UNPROCESSABLE_ENTITY, html, "<p>Le fichier contient des erreurs</p>")
            }),
        )
}

async fn call(path: &str, request_id: Option<&str>) -> (Response, Value) {
    let mut request = Request::get(path);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = app(routes(), ban_service_kit::RateLimits::none())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (Response::from_parts(parts, Body::empty()), json)
}

fn request_id(response: &Response) -> &str {
    response.headers().get(REQUEST_ID_HEADER).expect("x-request-id on every answer").to_str().unwrap()
}

#[tokio::test]
async fn request_ids_are_made_or_kept_and_always_echoed() {
    let (response, _) = call("/ok", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let made = request_id(&response).to_owned();
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made} is not a UUID");
    let (again, _) = call("/ok", None).await;
    assert_ne!(request_id(&again), made, "one id per request");

    let (response, _) = call("/ok", Some("lb-7f3a:42")).await;
    assert_eq!(request_id(&response), "lb-7f3a:42");
    // Unknown paths and errors carry it too.
    let (response, _) = call("/nowhere", Some("abc.123")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(request_id(&response), "abc.123");

    // An id that could forge log lines, or too long, is replaced by a new one.
    for insane in ["two words", "x\"}{level=error", &"a".repeat(200)] {
        let (response, _) = call("/ok", Some(insane)).await;
        assert!(uuid::Uuid::parse_str(request_id(&response)).is_ok(), "{insane:?} kept");
    }
}

#[tokio::test]
async fn internal_errors_answer_500_with_the_request_id_and_nothing_else() {
    let (response, body) = call("/fails", Some("req-500")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert_eq!(request_id(&response), "req-500");
    assert_eq!(body["code"], "internal_error");
    assert_eq!(body["status"], 500);
    assert_eq!(body["statusCode"], 500);
    assert_eq!(body["requestId"], "req-500");
    assert_eq!(body["message"], "Erreur interne (requête req-500).");
    assert_eq!(body["detail"], body["message"]);
    assert!(!body.to_string().contains("secret_table"), "{body}");

    // A store that fails: its code as before, its text in the log only.
    let (response, body) = call("/store-down", None).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "store_unavailable");
    assert_eq!(body["requestId"], request_id(&response));
    assert!(!body.to_string().contains("secret_table"), "{body}");

    // A framework's 5xx text is hidden the same way.
    let (response, body) = call("/framework", None).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(body["code"], "internal_error");
    assert!(!body.to_string().contains("secret_table"), "{body}");
}

#[tokio::test]
async fn client_errors_and_expected_states_say_what_they_are() {
    let (response, body) = call("/refused", None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "q manque");
    assert!(body.get("requestId").is_none(), "4xx bodies are as they were: {body}");
    let (response, body) = call("/building", None).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["message"], "patience");
    assert_eq!(body["code"], "index_building");
    // A web page that tells a person what is wrong stays that page.
    let (response, _) = call("/page", None).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let kind = response.headers()[axum::http::header::CONTENT_TYPE].to_str().unwrap().to_owned();
    assert_eq!(kind, "text/html; charset=utf-8");
}
