//! The downloads service's OpenAPI document: valid OpenAPI 3.1, every route described and
//! every description routed (on an empty SQLite store; the answers' shapes are checked
//! against their schemas by the end-to-end tests, which have a base).
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ban_downloads::{router, DownloadsArgs, DownloadsState};
use ban_store::Store;
use serde_json::Value;
use tower::ServiceExt;

#[tokio::test]
async fn every_route_is_described_and_every_description_routed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let args = DownloadsArgs { export_cache_dir: dir.path().join("exports") };
    let app = router(DownloadsState::new(store, &args)).fallback(|| async { StatusCode::IM_A_TEAPOT });
    let call = |method: &str, uri: &str| {
        let request = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        app.clone().oneshot(request)
    };

    let response = call("GET", "/api/openapi.json").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    let operations = ban_service_kit::openapi::check_document(&document).unwrap();
    let expected = [
        "GET /api/changes",
        "GET /api/communes-summary",
        "GET /api/communes-summary.csv",
        "GET /api/communes/{code}",
        "GET /api/lookup/{id}",
        "GET /api/openapi.json",
        "GET /ban/communes/{code}/download/{format}/{kind}",
        "GET /data/ban/adresses/latest/{folder}/{file}",
    ];
    assert_eq!(operations, expected.iter().map(|o| o.to_string()).collect());
    for operation in &operations {
        let (method, path) = operation.split_once(' ').unwrap();
        let path = path
            .replace("{code}", "54084")
            .replace("{id}", "54084")
            .replace("{format}", "csv-bal")
            .replace("{kind}", "adresses")
            .replace("{folder}", "csv")
            .replace("{file}", "adresses-54084.csv.gz");
        let status = call(method, &path).await.unwrap().status();
        assert!(
            ![StatusCode::IM_A_TEAPOT, StatusCode::METHOD_NOT_ALLOWED].contains(&status),
            "{operation}: {status}"
        );
    }

    let changes = &document["paths"]["/api/changes"]["get"];
    let names: Vec<&str> =
        changes["parameters"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    for name in ["since", "limit", "commune", "departement", "current", "wait"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(
        changes["responses"]["200"]["content"]["application/x-ndjson"]["schema"]["$ref"],
        "#/components/schemas/FeedChange"
    );
    for schema in ["FeedChange", "CommuneSummary", "LookupAnswer", "Problem"] {
        assert!(document["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let data = &document["paths"]["/data/ban/adresses/latest/{folder}/{file}"]["get"]["responses"];
    assert!(data["200"]["content"]["application/gzip"].is_object() && data["304"].is_object(), "{data}");
}
