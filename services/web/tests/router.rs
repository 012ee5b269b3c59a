//! The web service's router, called in process: the pages answer HTML, the assets are served
//! with long cache headers, and `POST /api/validate` answers what `ban_bal` finds in the sample
//! with defects (JSON, CSV, the page), with clear 4xx for what cannot be validated.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use ban_domain::Level;
use ban_store::Store;
use ban_web::{router, WebArgs, WebState};
use serde_json::Value;
use tower::ServiceExt;

/// The web state on an empty store of its own (the directory lives as long as the test).
async fn state(args: WebArgs) -> (WebState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    (WebState::new(store, &args), dir)
}

fn sample() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read(root.join("data/samples/67482_strasbourg_with-defects.csv")).unwrap()
}

const BOUNDARY: &str = "ban-web-test-boundary";

fn form(file: &[u8], profile: &str) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\n{profile}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bal.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let (state, _dir) = state(WebArgs::default()).await;
    let response = router(state).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec())
}

fn post(uri: &str, body: Vec<u8>, multipart: bool) -> Request<Body> {
    let content_type =
        if multipart { format!("multipart/form-data; boundary={BOUNDARY}") } else { "text/csv".to_owned() };
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn the_pages_are_french_html_and_the_assets_are_cached() {
    let (status, headers, body) = send(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<html lang=\"fr\""), "{html}");
    assert!(html.contains("BAN Sync — Base Adresse Nationale"));
    assert!(html.contains("href=\"/outils/validateur\""));
    let css =
        html.split("<link rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(css.starts_with("/static/") && css.ends_with("/vendor/dsfr/dsfr.min.css"), "{css}");

    let (status, headers, body) = send(Request::get(&css).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(body.len() > 100_000);
    // What the stylesheet points at is there too (fonts, icons).
    let font = css.replace("dsfr.min.css", "fonts/Marianne-Regular.woff2");
    let (status, headers, _) = send(Request::get(&font).body(Body::empty()).unwrap()).await;
    assert_eq!((status, &headers[header::CONTENT_TYPE]), (StatusCode::OK, &"font/woff2".parse().unwrap()));
    let (status, _, _) = send(Request::get("/static/x/nothing.css").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, body) = send(Request::get("/outils/validateur").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("enctype=\"multipart/form-data\""));
    for profile in ["auto", "1.3", "1.4", "1.5", "1.3-relax"] {
        assert!(html.contains(&format!("<option value=\"{profile}\"")), "{profile}");
    }
}

#[tokio::test]
async fn the_api_answers_what_the_validator_finds() {
    let file = sample();
    let expected = ban_bal::validate(&file[..], &ban_bal::Options::default()).unwrap();
    let expected_errors: Vec<&str> = expected.codes_at(Level::Error).collect();
    assert!(!expected_errors.is_empty());

    for (body, multipart) in [(file.clone(), false), (form(&file, "auto"), true)] {
        let (status, headers, body) = send(post("/api/validate", body, multipart)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["valid"], false);
        assert_eq!(answer["profile"], expected.profile.unwrap().name());
        assert_eq!(answer["rows_count"], expected.rows_count);
        let errors: Vec<&str> = answer["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["level"] == "E")
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        let mut sorted = expected_errors.clone();
        sorted.sort_unstable();
        assert_eq!(errors, sorted);
        for code in answer["codes"].as_array().unwrap() {
            let name = code["code"].as_str().unwrap();
            assert!(!code["label"].as_str().unwrap().is_empty());
            assert_eq!(code["count"], expected.counts.per_code.get(name).copied().unwrap_or(0), "{name}");
            let findings = code["findings"].as_array().unwrap();
            assert!(findings.len() <= 20);
            if let Some(first) = expected.issues.iter().find(|i| &*i.code == name) {
                assert_eq!(findings[0]["line"], first.line, "{name}");
            }
        }
    }

    // A profile forced by the query.
    let (_, _, body) = send(post("/api/validate?profile=1.3", file.clone(), false)).await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["profile"], "1.3");

    // Every finding, streamed.
    let (status, headers, body) = send(post("/api/validate?format=csv", file.clone(), false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    let csv = String::from_utf8(body).unwrap();
    assert!(csv.starts_with(ban_bal::findings::CSV_HEADER));
    let findings: usize = expected.counts.per_code.values().sum::<usize>() + expected.counts.parse_errors;
    assert_eq!(csv.lines().count(), 1 + findings);
    let (status, _, body) = send(post("/api/validate?format=ndjson", form(&file, "auto"), true)).await;
    assert_eq!(status, StatusCode::OK);
    let ndjson = String::from_utf8(body).unwrap();
    assert_eq!(ndjson.lines().count(), findings);
    let first: Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert!(first["label"].as_str().is_some_and(|l| !l.is_empty()));
}

#[tokio::test]
async fn what_cannot_be_validated_gets_a_clear_answer() {
    let problem =
        |body: &[u8]| serde_json::from_slice::<Value>(body).unwrap()["code"].as_str().unwrap().to_owned();
    let (status, _, body) = send(post("/api/validate", Vec::new(), false)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::BAD_REQUEST, "file_missing"));
    let empty_form = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\nauto\r\n--{BOUNDARY}--\r\n"
    );
    let (status, _, body) = send(post("/api/validate", empty_form.into_bytes(), true)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::BAD_REQUEST, "file_missing"));
    let (status, _, body) = send(post("/api/validate?format=xml", b"a;b\n".to_vec(), false)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::BAD_REQUEST, "invalid_format"));
    let (status, _, body) = send(post("/api/validate?profile=2.0", sample(), false)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::BAD_REQUEST, "invalid_profile"));

    let too_large = vec![b'a'; 50_000_001];
    let (status, _, body) = send(post("/api/validate", too_large.clone(), false)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"));
    let (status, _, body) = send(post("/api/validate", form(&too_large, "auto"), true)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"));

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let (status, _, body) = send(post("/api/validate", png.clone(), false)).await;
    assert_eq!((status, problem(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "file_unreadable"));
    // The page says it in French, with the same status.
    let (status, _, body) = send(post("/outils/validateur", form(&png, "auto"), true)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8(body).unwrap().contains("Le fichier n’est pas lisible"));
}

#[tokio::test]
async fn the_validator_page_renders_the_report_without_javascript() {
    let file = sample();
    let expected = ban_bal::validate(&file[..], &ban_bal::Options::default()).unwrap();
    let (status, _, body) = send(post("/outils/validateur", form(&file, "auto"), true)).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("Fichier non valide"), "{html}");
    assert!(html.contains("Rapport de validation de bal.csv"));
    // UTF-8 is the standard's encoding: no warning on it.
    assert!(html.contains("<p class=\"fr-badge\">Encodage : utf-8</p>"), "{html}");
    for code in expected.codes_at(Level::Error) {
        assert!(html.contains(&format!("data-code=\"{code}\" data-level=\"E\"")), "{code}");
        let label = ban_bal::labels::label(code);
        // Askama escapes the label's quotes; its first word is enough to find it.
        assert!(html.contains(label.split(' ').next().unwrap()), "{label}");
    }
    // The buttons that download every finding come with the report, not before.
    let shown = "<li class=\"ban-anomalies\"><button";
    assert_eq!(html.matches(shown).count(), 2, "{html}");
    let (_, _, body) = send(Request::get("/outils/validateur").body(Body::empty()).unwrap()).await;
    let form = String::from_utf8(body).unwrap();
    assert_eq!(form.matches("<li class=\"ban-anomalies\" hidden><button").count(), 2, "{form}");
    assert!(!form.contains(shown));
}

#[tokio::test]
async fn every_route_is_described() {
    let (status, _, body) =
        send(Request::get("/api/validate/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let document: Value = serde_json::from_slice(&body).unwrap();
    let operations = ban_service_kit::openapi::check_document(&document).unwrap();
    let expected = ["GET /api/validate/openapi.json", "GET /tiles/ban/{z}/{x}/{y}.pbf", "POST /api/validate"];
    assert_eq!(operations, expected.iter().map(|o| o.to_string()).collect());
}

#[tokio::test]
async fn validations_past_the_cap_are_told_when_to_come_back() {
    let (state, _dir) = state(WebArgs { max_concurrent_validations: 1, ..WebArgs::default() }).await;
    let held = state.validation_permit().unwrap();
    let response = router(state.clone()).oneshot(post("/api/validate", sample(), false)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "validation_busy");
    drop(held);
    let response = router(state).oneshot(post("/api/validate", sample(), false)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
