//! `ban serve` on a temporary directory (embedded SQLite), on a free port, driven over HTTP
//! like a municipality's software would: health, then a whole publication, then reads.
#![allow(clippy::unwrap_used)]
mod support;
use std::path::PathBuf;
use support::JsonAnswer;

use ban::serve::{serve, HttpSettings, Services};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_a_commune_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/ban.db").display());
    let store = ban_service_kit::open_store(&url).await.unwrap();
    let client = support::internal_client(&*store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, store, Services::all(), HttpSettings::default(), async {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::new();
    let auth = format!("Token {}", client.token.expose());
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    // Ready once the geocoder has built its index (at once here: the base is empty).
    let started = std::time::Instant::now();
    while http.get(format!("{base}/readyz")).send().await.unwrap().status() != 200 {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "/readyz stays 503");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let revision: Value = http
        .post(format!("{base}/api-depot/communes/54084/revisions"))
        .header("Authorization", &auth)
        .json(
            &json!({"context": {"nomComplet": "Jeanne Martin", "organisation": "Mairie de Mont-Bonvillers"}}),
        )
        .json_answer()
        .await;
    let id = revision["id"].as_str().unwrap();
    let bal = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/samples/54084_mont-bonvillers.csv"),
    )
    .unwrap();
    let upload = http
        .put(format!("{base}/api-depot/revisions/{id}/files/bal"))
        .header("Authorization", &auth)
        .header("Content-Type", "text/csv")
        .body(bal.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let computed: Value = http
        .post(format!("{base}/api-depot/revisions/{id}/compute"))
        .header("Authorization", &auth)
        .json_answer()
        .await;
    assert_eq!(computed["validation"]["valid"], true, "{}", computed["validation"]);
    let published = http
        .post(format!("{base}/api-depot/revisions/{id}/publish"))
        .header("Authorization", &auth)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);

    let current: Value =
        http.get(format!("{base}/api-depot/communes/54084/current-revision")).json_answer().await;
    assert_eq!(current["id"], json!(id));
    let download = http
        .get(format!("{base}/api-depot/communes/54084/current-revision/files/bal/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.headers()["content-disposition"], "attachment; filename=\"bal-54084.csv\"");
    assert_eq!(download.bytes().await.unwrap().as_ref(), bal.as_slice());

    let refused = http
        .post(format!("{base}/api-depot/revisions/{id}/publish"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 412);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");

    let spec: Value =
        http.get(format!("{base}/api-depot/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(dir.path().join("data/ban.db").exists());
}
