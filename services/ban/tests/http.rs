//! The layers every service answers through, on the application of each process (`ban
//! serve`, `ban depot`, `ban consolidator`, `ban geocoder`, `ban downloads`), without a
//! socket: request ids on every answer, and a store that fails answered without its text;
//! the web pages' own client of the depot, made at start.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use ban::serve::{app, Services};
use ban_store::Store;
use serde_json::Value;
use tower::ServiceExt;

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    (ban_service_kit::open_store(&url).await.unwrap(), dir)
}

async fn get(app: &Router, path: &str, request_id: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::get(path);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let id = response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, id, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_answers_with_a_request_id() {
    let (store, _dir) = sqlite().await;
    let processes = [
        ("serve", Services::all()),
        ("depot", Services { depot: Some(Default::default()), ..Services::default() }),
        ("consolidator", Services { consolidator: Some(Default::default()), ..Services::default() }),
        ("geocoder", Services { geocoder: Some(Default::default()), ..Services::default() }),
        ("downloads", Services { downloads: Some(Default::default()), ..Services::default() }),
    ];
    for (name, services) in processes {
        let app = app(store.clone(), &services).unwrap();
        for path in ["/healthz", "/metrics", "/no/such/path"] {
            let (_, made, _) = get(&app, path, None).await;
            let made = made.unwrap_or_else(|| panic!("{name} {path}: no x-request-id"));
            assert!(uuid::Uuid::parse_str(&made).is_ok(), "{name} {path}: {made}");
            let (_, echoed, _) = get(&app, path, Some("client-id-1")).await;
            assert_eq!(echoed.as_deref(), Some("client-id-1"), "{name} {path}");
        }
    }
    let app = app(store, &Services::all()).unwrap();
    for path in ["/api-depot/current-revisions", "/api/communes-summary", "/search/?q=paris"] {
        let (_, echoed, _) = get(&app, path, Some("client-id-2")).await;
        assert_eq!(echoed.as_deref(), Some("client-id-2"), "{path}");
    }
}

/// A failing store's answer: its status and code, a generic message with the request id,
/// none of the database's text.
async fn assert_generic_failure(app: &Router, path: &str, leaks: &[&str]) {
    let (status, id, body) = get(app, path, Some("failing-store-1")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
    assert_eq!(id.as_deref(), Some("failing-store-1"));
    assert_eq!(body["code"], "store_unavailable", "{body}");
    assert_eq!(body["requestId"], "failing-store-1", "{body}");
    assert_eq!(body["message"], "Erreur interne (requête failing-store-1).", "{body}");
    let text = body.to_string();
    for leak in leaks {
        assert!(!text.contains(leak), "{path}: {leak:?} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_store_is_answered_without_its_text() {
    let (store, dir) = sqlite().await;
    let app = app(store, &Services::all()).unwrap();
    let (status, _, _) = get(&app, "/api/communes-summary", None).await;
    assert_eq!(status, StatusCode::OK);
    // Every table dropped behind the store's back: each query fails inside SQLite.
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&pool).await.unwrap();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (table,) in &tables {
        sqlx::query(&format!("DROP TABLE \"{table}\"")).execute(&pool).await.unwrap();
    }
    pool.close().await;
    assert_generic_failure(&app, "/api/communes-summary", &["no such table", "base_communes", "sqlite"])
        .await;
    assert_generic_failure(&app, "/api-depot/current-revisions", &["no such table", "revisions"]).await;
    let (status, _, body) = get(&app, "/readyz", None).await;
    if status != StatusCode::OK {
        assert!(!body.to_string().contains("no such table"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_postgresql_pool_is_answered_without_its_text() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else { return };
    let url = ban_store_postgres::fresh_schema(&url, "ban_http_errors").await.unwrap();
    let store = ban_store_postgres::open(&url, 4).await.unwrap();
    store.write_pool().close().await;
    let app = app(Arc::new(store), &Services::all()).unwrap();
    assert_generic_failure(&app, "/api/communes-summary", &["pool", "closed"]).await;
    let (status, _, body) = get(&app, "/readyz", Some("ready-1")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "not_ready");
    assert_eq!(body["requestId"], "ready-1");
    assert!(!body.to_string().contains("closed"), "{body}");
}

/// The web pages' own client of the depot (`ban serve` at start): made once, found again by
/// its fixed id at the next start with a new token, the previous one refused.
#[tokio::test]
async fn the_web_pages_client_is_made_once_and_its_token_renewed() {
    let (store, _dir) = sqlite().await;
    let first = ban::serve::web_client_token(&*store).await.unwrap();
    let second = ban::serve::web_client_token(&*store).await.unwrap();
    use secrecy::ExposeSecret;
    assert_ne!(first.expose_secret(), second.expose_secret());
    assert!(
        store.client_by_token(first.expose_secret()).await.unwrap().is_none(),
        "the old token is refused"
    );
    let client = store.client_by_token(second.expose_secret()).await.unwrap().unwrap();
    assert_eq!(client.nom, ban::serve::WEB_CLIENT_NAME);
    assert_eq!(client.legacy_id.as_deref(), Some(ban::serve::WEB_CLIENT_LEGACY_ID));
    assert_eq!(client.authorization_strategy, ban_store::AuthorizationStrategy::Habilitation);
    let named =
        store.clients().await.unwrap().into_iter().filter(|c| c.nom == ban::serve::WEB_CLIENT_NAME).count();
    assert_eq!(named, 1);
}
