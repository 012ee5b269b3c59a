//! The depot's routes on a fresh database per test, SQLite always and PostgreSQL when
//! `TEST_DATABASE_URL` is set: the whole publication flow and every failure path.
#![allow(clippy::unwrap_used)]
#[macro_use]
mod common;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use ban_depot::LogMailer;
use ban_store::ids::object_id;
use ban_store::{AuthorizationStrategy, ComputedValidation, NewRevision, Publication, StoreError};
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{sample, Call, Harness, ADMIN};

/// `openssl md5 -binary data/samples/54084_mont-bonvillers.csv | base64`
const SAMPLE_MD5: &str = "JeoD7i/67JYIBw7EOHAsRg==";
/// The PostgreSQL schemas of this file's tests.
const SCHEMA_PREFIX: &str = "depot_";

/// The codes of a computed revision's findings of one level (`errors`, `warnings`, `infos`).
fn codes<'a>(revision: &'a Value, level: &str) -> &'a [Value] {
    revision["validation"][level].as_array().unwrap()
}

impl Harness {
    async fn client(&self, strategy: AuthorizationStrategy, perimeters: &[&str]) -> String {
        self.new_client(strategy, perimeters).await.1
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Body,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let answer = self.request(Call { method, path, token, body, content_type, from: None }).await;
        (answer.status, answer.body)
    }

    async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(method, path, token, Body::from(body.to_string()), "application/json").await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None, Body::empty(), "application/json").await
    }

    async fn get_as(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, Body::empty(), "application/json").await
    }

    /// A `GET` answer whole: status, headers and bytes.
    async fn fetch(&self, path: &str, token: Option<&str>) -> (StatusCode, header::HeaderMap, Vec<u8>) {
        let mut request = Request::builder().uri(format!("/{}", path.trim_start_matches('/')));
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Token {token}"));
        }
        let response = self.app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, headers, bytes.to_vec())
    }

    /// A list followed page after page through its `Link: rel="next"`, checking each page's
    /// size and total: every item's id, in order.
    async fn every_page(&self, first: &str, token: Option<&str>, limit: usize, total: usize) -> Vec<String> {
        let (mut next, mut ids) = (Some(first.to_owned()), Vec::new());
        while let Some(path) = next.take() {
            let (status, headers, bytes) = self.fetch(&path, token).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(headers["x-total-count"], total.to_string().as_str(), "{path}");
            let page: Vec<Value> = serde_json::from_slice(&bytes).unwrap();
            assert!(page.len() <= limit, "{path}: {} items", page.len());
            assert!(page.iter().all(|r| r.get("validation").is_none()), "lists carry no report");
            ids.extend(page.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
            let link = headers[header::LINK].to_str().unwrap();
            next = link
                .split(", ")
                .find(|l| l.ends_with("rel=\"next\""))
                .map(|l| l.trim_start_matches('<').split('>').next().unwrap().to_owned());
        }
        ids
    }

    /// A revision of `client` published through the store (no file checks): its id.
    async fn published(&self, client: &str, commune: &str) -> String {
        let client = self.store.client_by_token(client).await.unwrap().unwrap();
        let now = chrono::Utc::now();
        let new = NewRevision {
            id: object_id(now),
            client_id: client.id,
            code_commune: commune.into(),
            context: json!({"nomComplet": "Jeanne Martin", "organisation": "Mairie"}),
        };
        let revision = self.store.create_revision(new, now).await.unwrap();
        let file = ban_depot::validation::bal_file(&revision.id, b"x", now);
        self.store.attach_file(&revision.id, file, b"x").await.unwrap();
        let computed = ComputedValidation {
            validation: serde_json::value::to_raw_value(&json!({"valid": true})).unwrap(),
            is_ready: true,
            rows_count: 1,
            checked_against: self.store.current_revision(commune).await.unwrap().map(|r| r.id),
        };
        self.store.save_validation(&revision.id, computed, now).await.unwrap();
        self.store.publish(&revision.id, Publication { habilitation: None, at: now }).await.unwrap();
        revision.id
    }

    async fn create(&self, token: &str, commune: &str) -> String {
        let (status, revision) = self
            .json(
                Method::POST,
                &format!("/communes/{commune}/revisions"),
                Some(token),
                json!({"context": {"nomComplet": "Test"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{revision}");
        revision["id"].as_str().unwrap().to_owned()
    }

    async fn upload(&self, token: &str, id: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        self.call(
            Method::PUT,
            &format!("/revisions/{id}/files/bal"),
            Some(token),
            Body::from(bytes),
            "text/csv",
        )
        .await
    }

    async fn compute(&self, token: &str, id: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            &format!("/revisions/{id}/compute"),
            Some(token),
            Body::empty(),
            "application/json",
        )
        .await
    }

    async fn publish(&self, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, &format!("/revisions/{id}/publish"), Some(token), body).await
    }

    /// create → upload → compute, returning the computed revision.
    async fn computed(&self, token: &str, commune: &str, file: Vec<u8>) -> Value {
        let id = self.create(token, commune).await;
        let (status, _) = self.upload(token, &id, file).await;
        assert_eq!(status, StatusCode::OK);
        let (status, revision) = self.compute(token, &id).await;
        assert_eq!(status, StatusCode::OK, "{revision}");
        revision
    }
}

on_every_backend!(whole_publication_flow, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let bal = sample("54084_mont-bonvillers.csv");
    let id = h.create(&token, "54084").await;
    let (status, file) = h.upload(&token, &id, bal.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["size"], bal.len());
    assert_eq!(file["hash"].as_str().unwrap().len(), 64);
    let (status, revision) = h.compute(&token, &id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revision["isReady"], true);
    let validation = &revision["validation"];
    assert_eq!(validation["valid"], true);
    assert_eq!(validation["rowsCount"], 486);
    assert!(validation["issues"].as_array().unwrap().iter().all(|i| i["line"].as_u64().unwrap() >= 2));
    let (status, published) = h.publish(&token, &id, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(
        (published["status"].as_str(), published["isCurrent"].as_bool()),
        (Some("published"), Some(true))
    );
    let (status, current) = h.get("/communes/54084/current-revision").await;
    assert_eq!((status, current["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    let (status, history) = h.get("/communes/54084/revisions?status=all").await;
    assert_eq!((status, history.as_array().unwrap().len()), (StatusCode::OK, 1));
    let (status, downloaded) = h.get(&format!("/revisions/{id}/files/bal/download")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(downloaded.as_str().unwrap().as_bytes(), bal.as_slice());
    let (status, list) = h.get("/current-revisions?codesCommunes=54084").await;
    assert_eq!((status, list[0]["codeCommune"].as_str()), (StatusCode::OK, Some("54084")));
    described_by::<ban_depot::openapi::CurrentRevision>(&list[0]);
    assert_eq!(h.store.jobs("54084").await.unwrap().len(), 1, "publication queues a consolidation job");
});

on_every_backend!(authentication_and_ownership, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let other = h.client(AuthorizationStrategy::Internal, &[]).await;
    let body = json!({"context": {}});
    let (status, problem) = h.json(Method::POST, "/communes/54084/revisions", None, body.clone()).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, _) =
        h.json(Method::POST, "/communes/54084/revisions", Some("wrong-token"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = h.json(Method::POST, "/communes/00000/revisions", Some(&token), body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        h.json(Method::POST, "/communes/54084/revisions", Some(&token), json!({"nope": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .call(Method::POST, "/communes/54084/revisions", Some(&token), Body::from("{"), "application/json")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let id = h.create(&token, "54084").await;
    let (status, problem) = h.upload(&other, &id, b"a;b\n1;2\n".to_vec()).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_owner")));
    let (status, _) = h.compute(&other, &id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h.get("/revisions/not-an-id").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.get("/revisions/0123456789abcdef01234567").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.get("/communes/54084/current-revision").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

on_every_backend!(upload_guards, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let id = h.create(&token, "54084").await;
    let (status, problem) = h.upload(&token, &id, Vec::new()).await;
    assert_eq!((status, problem["detail"].as_str()), (StatusCode::NOT_FOUND, Some("Fichier non fourni.")));
    let too_large = vec![b'a'; ban_depot::MAX_FILE_BYTES + 1];
    let (status, problem) = h.upload(&token, &id, too_large).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("file_too_large")));
    let bal = sample("54084_mont-bonvillers.csv");
    let (status, _) = h.upload(&token, &id, bal.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = h.upload(&token, &id, b"other".to_vec()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("file_already_attached"))
    );
    let (_, _, downloaded) = h.fetch(&format!("/revisions/{id}/files/bal/download"), Some(&token)).await;
    assert_eq!(downloaded, bal, "the first file is kept whole");
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/revisions/{}/files/bal", h.create(&token, "54084").await))
        .header(header::AUTHORIZATION, format!("Token {token}"))
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(h.app.clone().oneshot(request).await.unwrap().status(), StatusCode::BAD_REQUEST);
});

// `Content-MD5` (RFC 1864: the base64 of the body's MD5), when sent, must match the file.
on_every_backend!(content_md5_is_checked, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let bal = sample("54084_mont-bonvillers.csv");
    let upload = |id: String, md5: &'static str| {
        Request::builder()
            .method(Method::PUT)
            .uri(format!("/revisions/{id}/files/bal"))
            .header(header::AUTHORIZATION, format!("Token {token}"))
            .header("content-md5", md5)
            .body(Body::from(bal.clone()))
            .unwrap()
    };
    let id = h.create(&token, "54084").await;
    let wrong = h.app.clone().oneshot(upload(id.clone(), "XUFAKrxLKna5cZ2REBfFkg==")).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let right = h.app.clone().oneshot(upload(id, SAMPLE_MD5)).await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
});

on_every_backend!(publication_guards, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    // Publish before compute.
    let id = h.create(&token, "54084").await;
    h.upload(&token, &id, sample("54084_mont-bonvillers.csv")).await;
    let (status, problem) = h.publish(&token, &id, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("publication_impossible"))
    );
    // Compute without a file.
    let empty = h.create(&token, "54084").await;
    let (status, _) = h.compute(&token, &empty).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    // An invalid file is computed (issues are data) but cannot be published.
    let defects = h.computed(&token, "67482", sample("67482_strasbourg_with-defects.csv")).await;
    assert_eq!(defects["isReady"], false);
    assert_eq!(defects["validation"]["valid"], false);
    assert!(!codes(&defects, "errors").is_empty());
    let (status, _) = h.publish(&token, defects["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    // A file of another commune.
    let elsewhere = h.computed(&token, "31591", sample("54084_mont-bonvillers.csv")).await;
    let errors = codes(&elsewhere, "errors");
    assert!(errors.contains(&json!("commune_insee.valeur_inattendue")), "{errors:?}");
    // A published revision is final.
    let (status, _) = h.compute(&token, &id).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.publish(&token, &id, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.publish(&token, &id, json!({})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _) = h.compute(&token, &id).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
});

on_every_backend!(perimeter_of_a_chef_de_file, |h: Harness| async move {
    let partner = h.client(AuthorizationStrategy::ChefDeFile, &["departement:31"]).await;
    let outside = h.computed(&partner, "54084", sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(outside["isReady"], false);
    let errors = codes(&outside, "errors");
    assert!(errors.contains(&json!("commune_insee.out_of_perimeter")), "{errors:?}");
    let local = h.client(AuthorizationStrategy::ChefDeFile, &["departement:54"]).await;
    let inside = h.computed(&local, "54084", sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(inside["isReady"], true);
});

on_every_backend!(mass_deletion, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let full = sample("54084_mont-bonvillers.csv");
    let first = h.computed(&token, "54084", full.clone()).await;
    h.publish(&token, first["id"].as_str().unwrap(), json!({})).await;
    let text = String::from_utf8(full).unwrap();
    let keep = |rows: usize| text.lines().take(rows + 1).collect::<Vec<_>>().join("\n").into_bytes();
    let most = h.computed(&token, "54084", keep(50)).await;
    assert!(codes(&most, "errors").contains(&json!("rows.delete_too_many_addresses")));
    assert_eq!(most["isReady"], false);
    let many = h.computed(&token, "54084", keep(300)).await;
    assert!(codes(&many, "warnings").contains(&json!("rows.delete_many_addresses")));
    assert_eq!(many["isReady"], true);
});

on_every_backend!(concurrent_publications, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let a = h.computed(&token, "54084", sample("54084_mont-bonvillers.csv")).await;
    let b = h.computed(&token, "54084", sample("54084_mont-bonvillers.csv")).await;
    let (ra, rb) = tokio::join!(
        h.publish(&token, a["id"].as_str().unwrap(), json!({})),
        h.publish(&token, b["id"].as_str().unwrap(), json!({}))
    );
    let statuses = [ra.0, rb.0];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().any(|s| *s == StatusCode::PRECONDITION_FAILED || *s == StatusCode::CONFLICT));
    let (_, history) = h.get("/communes/54084/revisions?status=all").await;
    assert_eq!(history.as_array().unwrap().iter().filter(|r| r["isCurrent"] == true).count(), 1);
});

on_every_backend!(habilitation_flow, |h: Harness| async move {
    common::import_directory(&*h.store).await;
    let token = h.client(AuthorizationStrategy::Habilitation, &[]).await;
    let other = h.client(AuthorizationStrategy::Habilitation, &[]).await;
    let computed = h.computed(&token, "54084", sample("54084_mont-bonvillers.csv")).await;
    let revision = computed["id"].as_str().unwrap().to_owned();
    // Without a habilitation, a habilitation client cannot publish.
    let (status, _) = h.publish(&token, &revision, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, habilitation) =
        h.json(Method::POST, "/communes/54084/habilitations", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(habilitation.get("pinCode").is_none());
    described_by::<ban_depot::openapi::HabilitationAnswer>(&habilitation);
    let hid = habilitation["id"].as_str().unwrap().to_owned();
    let (status, _) = h.publish(&token, &revision, json!({"habilitationId": hid})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a pending habilitation does not allow publishing");
    let (status, _) = h.json(Method::GET, &format!("/habilitations/{hid}"), Some(&other), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let send = format!("/habilitations/{hid}/authentication/email/send-pin-code");
    let validate = format!("/habilitations/{hid}/authentication/email/validate-pin-code");
    let (status, _) = h.json(Method::POST, &validate, Some(&token), json!({"code": "000000"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "no code sent yet");
    let (status, _) = h.json(Method::POST, &send, Some(&token), json!({"email": "not an email"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _) =
        h.json(Method::POST, &send, Some(&token), json!({"email": "mairie@mont-bonvillers.invalid"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        h.json(Method::POST, &send, Some(&token), json!({"email": "mairie@mont-bonvillers.invalid"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a new code only after 5 minutes");
    let pin = h.store.habilitation(&hid).await.unwrap().unwrap().pin_code.unwrap().expose().to_owned();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let (status, problem) = h.json(Method::POST, &validate, Some(&token), json!({"code": wrong})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(problem["detail"].as_str().unwrap().contains("9 tentatives restantes"), "{problem}");

    // An expired code is refused.
    let mut stale = h.store.habilitation(&hid).await.unwrap().unwrap();
    let read_at = stale.updated_at;
    stale.pin_code_expiration = Some(chrono::Utc::now() - chrono::Duration::minutes(1));
    stale.updated_at = chrono::Utc::now();
    h.store.update_habilitation(&stale, read_at).await.unwrap();
    let (status, problem) = h.json(Method::POST, &validate, Some(&token), json!({"code": pin})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("pin_code_expired"))
    );
    // A wrong code still costs a try once the code has expired (as production: the code is
    // compared first).
    let (status, problem) = h.json(Method::POST, &validate, Some(&token), json!({"code": wrong})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(problem["detail"].as_str().unwrap().contains("8 tentatives restantes"), "{problem}");
    let mut fresh = h.store.habilitation(&hid).await.unwrap().unwrap();
    let read_at = fresh.updated_at;
    fresh.pin_code_expiration = Some(chrono::Utc::now() + chrono::Duration::hours(1));
    fresh.updated_at = chrono::Utc::now();
    h.store.update_habilitation(&fresh, read_at).await.unwrap();

    let (status, accepted) = h.json(Method::POST, &validate, Some(&token), json!({"code": pin})).await;
    assert_eq!((status, accepted["status"].as_str()), (StatusCode::OK, Some("accepted")));
    let (status, valid) =
        h.json(Method::POST, "/habilitations/are-valid", Some(&token), json!({"ids": [hid]})).await;
    assert_eq!((status, &valid[&hid]), (StatusCode::OK, &json!(true)));
    let too_many = vec![hid.clone(); 1_001];
    let (status, problem) =
        h.json(Method::POST, "/habilitations/are-valid", Some(&token), json!({"ids": too_many})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::BAD_REQUEST, Some("too_many_ids")));
    let (status, published) = h.publish(&token, &revision, json!({"habilitationId": hid})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["habilitation"]["id"], json!(hid));
});

on_every_backend!(pin_attempts_run_out, |h: Harness| async move {
    common::import_directory(&*h.store).await;
    let token = h.client(AuthorizationStrategy::Habilitation, &[]).await;
    let (_, habilitation) =
        h.json(Method::POST, "/communes/54084/habilitations", Some(&token), json!({})).await;
    let hid = habilitation["id"].as_str().unwrap().to_owned();
    h.json(
        Method::POST,
        &format!("/habilitations/{hid}/authentication/email/send-pin-code"),
        Some(&token),
        json!({"email": "secretariat@mont-bonvillers.invalid"}),
    )
    .await;
    let pin = h.store.habilitation(&hid).await.unwrap().unwrap().pin_code.unwrap().expose().to_owned();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let validate = format!("/habilitations/{hid}/authentication/email/validate-pin-code");
    for _ in 0..10 {
        let (status, _) = h.json(Method::POST, &validate, Some(&token), json!({"code": wrong})).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    }
    assert_eq!(
        h.store.habilitation(&hid).await.unwrap().unwrap().status,
        ban_store::HabilitationStatus::Rejected
    );
    let (status, problem) = h.json(Method::POST, &validate, Some(&token), json!({"code": pin})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("habilitation_closed"))
    );
});

on_every_backend!(admin_accepts_a_habilitation, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Habilitation, &[]).await;
    let (_, habilitation) =
        h.json(Method::POST, "/communes/54084/habilitations", Some(&token), json!({})).await;
    let hid = habilitation["id"].as_str().unwrap().to_owned();
    let (status, _) =
        h.json(Method::PUT, &format!("/habilitations/{hid}/validate"), Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a client's token is known, but not an administrator's");
    let (status, _) =
        h.json(Method::PUT, &format!("/habilitations/{hid}/validate"), Some("wrong"), json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, accepted) =
        h.json(Method::PUT, &format!("/habilitations/{hid}/validate"), Some(ADMIN), json!({})).await;
    assert_eq!((status, accepted["status"].as_str()), (StatusCode::OK, Some("accepted")));
    described_by::<ban_depot::openapi::HabilitationAnswer>(&accepted);
});

/// The depot's operations, as the production API has them, and the description's own two.
const OPERATIONS: [&str; 49] = [
    "GET /admin/audit",
    "GET /chefs-de-file",
    "GET /chefs-de-file/{chef_de_file_id}",
    "GET /clients",
    "GET /clients/{client_id}",
    "GET /communes/{code}/consolidations",
    "GET /communes/{code}/current-revision",
    "GET /communes/{code}/current-revision/files/bal/download",
    "GET /communes/{code}/emails",
    "GET /communes/{code}/revisions",
    "GET /communes/{code}/signalements/settings",
    "GET /current-revisions",
    "GET /docs",
    "GET /habilitations/{id}",
    "GET /last-revisions",
    "GET /mandataires",
    "GET /mandataires/{mandataire_id}",
    "GET /openapi.json",
    "GET /revisions/client/{client_id}",
    "GET /revisions/{id}",
    "GET /revisions/{id}/files/bal/download",
    "GET /revisions/{id}/files/bal/findings",
    "GET /signalements",
    "GET /signalements/{id}",
    "GET /stats/firsts-publications",
    "GET /stats/metrics-incubateur",
    "GET /stats/publications",
    "POST /chefs-de-file",
    "POST /clients",
    "POST /clients/{client_id}/token/renew",
    "POST /communes/{code}/habilitations",
    "POST /communes/{code}/revisions",
    "POST /communes/{code}/signalements/ignore",
    "POST /habilitations/are-valid",
    "POST /habilitations/{id}/authentication/email/send-pin-code",
    "POST /habilitations/{id}/authentication/email/validate-pin-code",
    "POST /jobs/{id}/force",
    "POST /mandataires",
    "POST /revisions/{id}/compute",
    "POST /revisions/{id}/publish",
    "POST /signalements",
    "PUT /chefs-de-file/{chef_de_file_id}",
    "PUT /clients/{client_id}",
    "PUT /clients/{client_id}/chef_de_file/perimeter",
    "PUT /communes/{code}/signalements/settings",
    "PUT /habilitations/{id}/validate",
    "PUT /mandataires/{mandataire_id}",
    "PUT /revisions/{id}/files/bal",
    "PUT /signalements/{id}",
];

#[tokio::test]
async fn openapi_describes_every_route() {
    let h = common::sqlite(&common::args(|a| a)).await;
    let (status, spec) = h.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let operations = ban_service_kit::openapi::check_document(&spec).unwrap();
    assert_eq!(operations, OPERATIONS.iter().map(|o| o.to_string()).collect());
    // Every operation described is routed: none reaches the router's fallback or a 405.
    let app = h.app.clone().fallback(|| async { StatusCode::IM_A_TEAPOT });
    for operation in &operations {
        let (method, path) = operation.split_once(' ').unwrap();
        let path = path
            .replace("{code}", "54084")
            .replace("{id}", "0123456789abcdef01234567")
            .replace("{client_id}", "0123456789abcdef01234567")
            .replace("{mandataire_id}", "0123456789abcdef01234567")
            .replace("{chef_de_file_id}", "0123456789abcdef01234567");
        let request = Request::builder().method(method).uri(&path).body(Body::empty()).unwrap();
        let status = app.clone().oneshot(request).await.unwrap().status();
        assert!(
            ![StatusCode::IM_A_TEAPOT, StatusCode::METHOD_NOT_ALLOWED].contains(&status),
            "{operation}: {status}"
        );
    }
    // Client routes need a client's token, the administrators' one theirs; reads are public.
    let security = |method: &str, path: &str| spec["paths"][path][method]["security"][0].clone();
    assert_eq!(security("post", "/communes/{code}/revisions"), json!({"token": []}));
    assert_eq!(security("put", "/habilitations/{id}/validate"), json!({"adminToken": []}));
    assert_eq!(security("post", "/jobs/{id}/force"), json!({"adminToken": []}));
    assert_eq!(security("get", "/admin/audit"), json!({"adminToken": []}));
    assert!(spec["paths"]["/communes/{code}/emails"]["get"]["security"].is_null(), "the emails are public");
    let check = &spec["paths"]["/habilitations/{id}/authentication/email/validate-pin-code"]["post"];
    let too_many = check["responses"]["429"]["description"].as_str().unwrap();
    assert!(too_many.contains("PIN_CHECKS_PER_CLIENT"), "the route's own 429: {too_many}");
    let create = &spec["paths"]["/communes/{code}/habilitations"]["post"]["responses"];
    assert!(create["409"].is_object() && create["429"].is_object(), "{create}");
    // Reads are open, a token (a client's, or the administrators') shows more.
    assert_eq!(security("get", "/revisions/{id}"), json!({}));
    let read = &spec["paths"]["/revisions/{id}"]["get"]["security"];
    assert_eq!(read[1], json!({"token": []}));
    for path in ["/communes/{code}/revisions", "/current-revisions", "/revisions/client/{client_id}"] {
        let parameters = spec["paths"][path]["get"]["parameters"].as_array().unwrap();
        for name in ["page", "limit"] {
            assert!(parameters.iter().any(|p| p["name"] == name), "{path}: {name}");
        }
        let ok = &spec["paths"][path]["get"]["responses"]["200"];
        assert!(ok["headers"]["x-total-count"].is_object() && ok["headers"]["link"].is_object(), "{path}");
    }
    assert_eq!(spec["components"]["securitySchemes"]["token"]["name"], "Authorization");
    let problem = &spec["components"]["schemas"]["Problem"]["properties"];
    for field in ["code", "message", "detail", "requestId"] {
        assert!(problem[field].is_object(), "Problem.{field}");
    }
    let create = &spec["paths"]["/communes/{code}/revisions"]["post"];
    assert_eq!(
        create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Revision"
    );
    assert!(create["responses"]["404"]["content"]["application/problem+json"].is_object());
    let internal = &create["responses"]["5XX"]["content"]["application/problem+json"]["schema"]["$ref"];
    assert_eq!(internal, "#/components/schemas/Problem");
    for model in [
        "Revision",
        "RevisionSummary",
        "StoredFile",
        "Habilitation",
        "HabilitationAnswer",
        "CurrentRevision",
        "Client",
        "RevisionAnswer",
        "Consolidation",
        "CommuneConsolidations",
        "Refusal",
        "ChangeCounts",
        "AuditEntry",
        "AuditAction",
    ] {
        assert!(spec["components"]["schemas"][model].is_object(), "schema {model}");
    }
}

// What became of a publication, on the revision's answer and the commune's route; an
// administrator forces a refused plan (the consolidator, another service, is not run here:
// the job is ended by hand as it would end it).
on_every_backend!(consolidation_outcomes, |h: Harness| async move {
    use ban_depot::consolidation::{CommuneConsolidations, Consolidation};
    use ban_store::{JobEnd, Refusal};
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let draft = h.create(&token, "54084").await;
    let (status, answer) = h.get_as(&format!("/revisions/{draft}"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.get("consolidation").is_none(), "a draft is not consolidated: {answer}");
    let (status, empty) = h.get("/communes/54084/consolidations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["consolidations"], json!([]));
    assert_eq!(
        (empty["nomCommune"].as_str(), empty["currentRevisionId"].as_str()),
        (Some("Mont-Bonvillers"), None)
    );

    let id = h.published(&token, "54084").await;
    let (_, answer) = h.get(&format!("/revisions/{id}")).await;
    assert_eq!(answer["status"], "published");
    let pending = &answer["consolidation"];
    assert_eq!(
        (pending["status"].as_str(), pending["revisionId"].as_str()),
        (Some("pending"), Some(id.as_str()))
    );
    assert!(pending["label"].as_str().unwrap().starts_with("En attente"), "{pending}");
    described_by::<Consolidation>(pending);
    let job = pending["jobId"].as_i64().unwrap();

    let now = chrono::Utc::now();
    let claimed = h.store.claim_job("test", now, now + chrono::Duration::seconds(60)).await.unwrap().unwrap();
    assert_eq!(claimed.id, job);
    let (_, running) = h.get(&format!("/revisions/{id}")).await;
    assert_eq!(running["consolidation"]["status"], "running");
    let refusal = Refusal::MassDeletion { disabled: 9, active: 10, percent: 90.0, limit: 80.0 };
    h.store.finish_job(job, JobEnd::Refused { refusal }, now).await.unwrap();
    let (_, answer) = h.get(&format!("/revisions/{id}")).await;
    let refused = &answer["consolidation"];
    described_by::<Consolidation>(refused);
    assert_eq!(refused["status"], "refused");
    assert_eq!(
        refused["refusal"],
        json!({
            "code": "mass_deletion", "disabled": 9, "active": 10, "percent": 90.0, "limit": 80.0,
            "message": "Plus de 80 % des adresses supprimées : la publication supprimerait 9 des 10 adresses de la commune (90 %).",
            "advice": refused["refusal"]["advice"],
        })
    );
    assert!(refused.get("changes").is_none());
    let (_, commune) = h.get("/communes/54084/consolidations").await;
    described_by::<CommuneConsolidations>(&commune);
    assert_eq!(commune["currentRevisionId"].as_str(), Some(id.as_str()));
    assert_eq!(commune["baseRevisionId"], Value::Null, "the base holds no revision of the commune");
    assert_eq!(&commune["consolidations"][0], refused);
    for query in ["limit=0", "limit=101", "limit=x"] {
        let (status, problem) = h.get(&format!("/communes/54084/consolidations?{query}")).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_limit")),
            "{query}"
        );
    }
    assert_eq!(h.get("/communes/00000/consolidations").await.0, StatusCode::NOT_FOUND);

    // Only administrators force, only a refused plan.
    let force = format!("/jobs/{job}/force");
    let (status, problem) = h.json(Method::POST, &force, None, json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    // A client's token is known, but not an administrator's.
    assert_eq!(h.json(Method::POST, &force, Some(&token), json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        h.json(Method::POST, "/jobs/123456789/force", Some(ADMIN), json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.json(Method::POST, "/jobs/not-a-job/force", Some(ADMIN), json!({})).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, forced) = h.json(Method::POST, &force, Some(ADMIN), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{forced}");
    described_by::<Consolidation>(&forced);
    assert_eq!(forced["status"], "pending");
    assert!(forced["forcedAt"].is_string() && forced["refusal"]["code"] == "mass_deletion", "{forced}");
    let (status, problem) = h.json(Method::POST, &force, Some(ADMIN), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("job_not_refused")));
    let (_, audit) = h.get_as("/admin/audit?action=job.forced", Some(ADMIN)).await;
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "the force is in the audit log, once: {audit}");
    assert_eq!(
        (entries[0]["actor"].as_str(), entries[0]["objectId"].as_str(), entries[0]["codeCommune"].as_str()),
        (Some("admin"), Some(job.to_string().as_str()), Some("54084"))
    );
    assert!(entries[0]["detail"].as_str().unwrap().contains("Plus de 80 %"), "{audit}");

    // A refused plan of a revision replaced since cannot be forced.
    let claimed = h.store.claim_job("test", now, now + chrono::Duration::seconds(60)).await.unwrap().unwrap();
    let refusal = Refusal::ForeignId { line: 2, id: "x".into(), owner: "54085".into() };
    h.store.finish_job(claimed.id, JobEnd::Refused { refusal }, now).await.unwrap();
    h.published(&token, "54084").await;
    let (status, problem) = h.json(Method::POST, &force, Some(ADMIN), json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("revision_not_current")),
        "{problem}"
    );
});

// Whom the notices of a refusal go to: the producer's contact, the town hall's address of the
// revision's habilitation, else of the commune's habilitation last confirmed by e-mail, else
// the main town hall's addresses in the directory; a notice with nobody to send to ends
// unsendable, once.
on_every_backend!(refusal_notices_recipients, |h: Harness| async move {
    use ban_depot::notices::{town_hall_emails, Notifier};
    use ban_store::{Habilitation, HabilitationStatus, JobEnd, NoticeStatus, Refusal};
    let internal = h.client(AuthorizationStrategy::Internal, &[]).await; // no contact e-mail
    let id = h.published(&internal, "54084").await;
    let revision = h.store.revision(&id).await.unwrap().unwrap();
    assert!(town_hall_emails(&*h.store, &revision).await.unwrap().is_empty(), "no address known");
    common::import_directory(&*h.store).await;
    assert_eq!(
        town_hall_emails(&*h.store, &revision).await.unwrap(),
        ["mairie@mont-bonvillers.invalid", "secretariat@mont-bonvillers.invalid"],
        "the town hall's in the directory (not its CCAS')"
    );
    // Another client's habilitation, confirmed by the town hall: its address is the last known.
    let partner = h.store.client_by_token(&h.client(AuthorizationStrategy::Habilitation, &[]).await).await;
    let now = chrono::Utc::now();
    let pending =
        Habilitation::pending(object_id(now), partner.unwrap().unwrap().id, "54084".into(), 10, now);
    let pending = h.store.create_habilitation(pending).await.unwrap();
    let confirmed = Habilitation {
        status: HabilitationStatus::Accepted,
        strategy: Some("email".into()),
        email_commune: Some("secretariat@mont-bonvillers.invalid".into()),
        accepted_at: Some(now),
        updated_at: now + chrono::Duration::milliseconds(1),
        ..pending.clone()
    };
    h.store.update_habilitation(&confirmed, pending.updated_at).await.unwrap();
    assert_eq!(
        town_hall_emails(&*h.store, &revision).await.unwrap(),
        ["secretariat@mont-bonvillers.invalid"]
    );

    let job = h.store.claim_job("test", now, now + chrono::Duration::seconds(60)).await.unwrap().unwrap();
    let refusal = Refusal::MassDeletion { disabled: 9, active: 10, percent: 90.0, limit: 80.0 };
    h.store.finish_job(job.id, JobEnd::Refused { refusal }, now).await.unwrap();
    let notifier = Notifier::new(h.store.clone(), Arc::new(LogMailer));
    assert_eq!(notifier.send_pending().await.unwrap(), 2);
    assert_eq!(notifier.send_pending().await.unwrap(), 0, "each once");
    let notices = h.store.notices(&id).await.unwrap();
    assert_eq!(notices[0].status, NoticeStatus::Unsendable, "{notices:?}");
    assert!(notices[0].message.as_deref().unwrap().contains("has no contact e-mail"), "{notices:?}");
    assert_eq!(
        (notices[1].status, notices[1].recipients.as_deref()),
        (NoticeStatus::Sent, Some("secretariat@mont-bonvillers.invalid"))
    );
});

/// An answer has exactly the shape of the type that describes it: read into it and written
/// back, it is unchanged.
fn described_by<T: serde::de::DeserializeOwned + serde::Serialize>(answer: &Value) {
    let read: T = serde_json::from_value(answer.clone()).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(&serde_json::to_value(read).unwrap(), answer);
}

on_every_backend!(spatial_checks_at_compute, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let text = String::from_utf8(sample("54084_mont-bonvillers.csv")).unwrap();
    // Line 3 moved to Nancy, 70 km away; line 4 stacked on line 5.
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<String> = line.split(';').map(str::to_owned).collect();
            if i == 2 {
                (cells[13], cells[14]) = ("6.173".into(), "48.688".into());
            }
            if i == 3 {
                let next: Vec<&str> = text.lines().nth(4).unwrap().split(';').collect();
                (cells[13], cells[14]) = (next[13].into(), next[14].into());
            }
            cells.join(";")
        })
        .collect();
    let computed = h.computed(&token, "54084", lines.join("\n").into_bytes()).await;
    let validation = &computed["validation"];
    assert_eq!(validation["valid"], false);
    assert!(
        validation["errors"].as_array().unwrap().contains(&json!("spatial.hors_commune_eloigne")),
        "{}",
        validation["errors"]
    );
    let issues = validation["issues"].as_array().unwrap();
    let at = |line: u64, code: &str| issues.iter().any(|i| i["line"] == line && i["code"] == code);
    assert!(at(3, "spatial.hors_commune_eloigne") && at(3, "spatial.dans_autre_commune"));
    assert!(at(4, "spatial.positions_superposees") && at(5, "spatial.positions_superposees"));
    assert_eq!(computed["isReady"], false);
});

// A draft is its client's and the administrators': its context and its file are refused to
// anyone else (403, as the production API refuses an unpublished file); once published it is
// open data, without the submitter's personal data (of the context, organisation and extras).
on_every_backend!(drafts_and_personal_data, |h: Harness| async move {
    let owner = h.client(AuthorizationStrategy::Internal, &[]).await;
    let stranger = h.client(AuthorizationStrategy::Internal, &[]).await;
    let context = json!({
        "nomComplet": "Jeanne Martin",
        "email": "jeanne.martin@example.org",
        "organisation": "Mairie de Mont-Bonvillers",
        "extras": {"balId": "0123456789abcdef01234567"}
    });
    let (status, created) =
        h.json(Method::POST, "/communes/54084/revisions", Some(&owner), json!({"context": context})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (id, client_id) = (created["id"].as_str().unwrap(), created["clientId"].as_str().unwrap());
    let bal = sample("54084_mont-bonvillers.csv");
    h.upload(&owner, id, bal.clone()).await;
    let (revision, download) = (format!("/revisions/{id}"), format!("/revisions/{id}/files/bal/download"));

    for token in [None, Some(stranger.as_str())] {
        let (status, problem) = h.get_as(&revision, token).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("revision_not_published"))
        );
        assert!(!problem.to_string().contains("Jeanne"), "{problem}");
        let (status, problem) = h.get_as(&download, token).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("revision_not_published"))
        );
        for list in ["/communes/54084/revisions?status=all", "/communes/54084/revisions?status=pending"] {
            let (status, page) = h.get_as(list, token).await;
            assert_eq!((status, page), (StatusCode::OK, json!([])), "{list}");
        }
        let (_, page) = h.get_as(&format!("/revisions/client/{client_id}"), token).await;
        assert_eq!(page, json!([]));
    }
    let (status, _) = h.get_as(&revision, Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong token is told, not shown the public view");
    for token in [owner.as_str(), ADMIN] {
        let (status, seen) = h.get_as(&revision, Some(token)).await;
        assert_eq!((status, &seen["context"]), (StatusCode::OK, &context));
        let (status, _, bytes) = h.fetch(&download, Some(token)).await;
        assert_eq!((status, bytes == bal), (StatusCode::OK, true));
        let (_, page) = h.get_as("/communes/54084/revisions?status=pending", Some(token)).await;
        assert_eq!(page[0]["context"], context);
        let (_, page) = h.get_as(&format!("/revisions/client/{client_id}"), Some(token)).await;
        assert_eq!(page.as_array().unwrap().len(), 1);
    }

    h.compute(&owner, id).await;
    let (status, _) = h.publish(&owner, id, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let public =
        json!({"organisation": "Mairie de Mont-Bonvillers", "extras": {"balId": "0123456789abcdef01234567"}});
    for path in [revision.as_str(), "/communes/54084/current-revision"] {
        let (status, seen) = h.get(path).await;
        assert_eq!((status, &seen["context"]), (StatusCode::OK, &public), "{path}");
        assert!(!seen.to_string().contains("Jeanne") && !seen.to_string().contains("jeanne"), "{path}");
        assert!(seen["validation"].is_object(), "{path}: a published revision's report is public");
    }
    for path in ["/communes/54084/revisions".to_owned(), format!("/revisions/client/{client_id}")] {
        let (_, page) = h.get(&path).await;
        assert_eq!(page[0]["context"], public, "{path}");
        assert!(!page.to_string().contains("Jeanne"), "{path}");
    }
    let (_, seen) = h.get_as(&revision, Some(&owner)).await;
    assert_eq!(seen["context"], context, "the owner still sees everything");
    let (status, headers, bytes) = h.fetch(&download, None).await;
    assert_eq!((status, bytes == bal), (StatusCode::OK, true));
    assert_eq!(headers[header::CONTENT_LENGTH], bal.len().to_string().as_str());
});

// Every list answers a page (100 by default, 1,000 at most) with the whole list's size and a
// link to the next page; following the links gives every item once.
on_every_backend!(lists_are_paginated, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(h.published(&token, "54084").await);
    }
    let client_id = h.store.client_by_token(&token).await.unwrap().unwrap().id;
    let pages = h.every_page("/communes/54084/revisions?status=all&limit=3", None, 3, 7).await;
    assert_eq!(pages, ids);
    let pages = h.every_page(&format!("/revisions/client/{client_id}?limit=2"), None, 2, 7).await;
    assert_eq!(pages, ids);
    let (_, headers, _) = h.fetch("/communes/54084/revisions?page=2&limit=3", None).await;
    let link = headers[header::LINK].to_str().unwrap();
    assert!(link.contains("</communes/54084/revisions?page=3&limit=3>; rel=\"next\""), "{link}");
    assert!(link.contains("</communes/54084/revisions?page=1&limit=3>; rel=\"prev\""), "{link}");
    let (status, page) = h.get("/communes/54084/revisions?page=9&limit=3").await;
    assert_eq!((status, page), (StatusCode::OK, json!([])), "past the end: an empty page");

    for commune in ["31591", "67482"] {
        h.published(&token, commune).await;
    }
    let pages = h.every_page("/current-revisions?limit=2", None, 2, 3).await;
    assert_eq!(pages.len(), 3);
    let (_, list) = h.get("/current-revisions?limit=2&page=2").await;
    assert_eq!(list[0]["codeCommune"], "67482", "current revisions come by commune code");
    let (_, list) = h.get("/current-revisions?codesCommunes=67482,31591").await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    for list in ["/communes/54084/revisions", "/current-revisions", &format!("/revisions/client/{client_id}")]
    {
        let (_, headers, _) = h.fetch(list, None).await;
        assert!(headers[header::LINK].to_str().unwrap().contains("limit=100"), "{list}: 100 by default");
        for (query, code, name) in [
            ("page=0", "invalid_page", "page"),
            ("page=deux", "invalid_page", "page"),
            ("limit=0", "invalid_limit", "limit"),
            ("limit=1001", "invalid_limit", "limit"),
            ("limit=-5", "invalid_limit", "limit"),
        ] {
            let separator = if list.contains('?') { '&' } else { '?' };
            let (status, problem) = h.get(&format!("{list}{separator}{query}")).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{list} {query}"
            );
            assert!(problem["detail"].as_str().unwrap().starts_with(name), "{problem}");
        }
        let (status, _) =
            h.get(&format!("{list}{}limit=1000", if list.contains('?') { '&' } else { '?' })).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, problem) = h.get("/current-revisions?codesCommunes=").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_codes_communes")));
});

// A file larger than the pieces a download reads is served whole, piece after piece.
on_every_backend!(large_files_are_streamed_whole, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let id = h.create(&token, "54084").await;
    let big: Vec<u8> = (0..3_000_000u32).map(|i| b"0123456789;\n"[(i % 12) as usize]).collect();
    let (status, _) = h.upload(&token, &id, big.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, bytes) =
        h.fetch(&format!("/revisions/{id}/files/bal/download"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_LENGTH], "3000000");
    assert!(bytes == big, "the pieces make the file, byte for byte");
});

on_every_backend!(a_hostile_file_gets_a_bounded_stored_validation, |h: Harness| async move {
    // Rows of empty fields: every row has the same handful of errors.
    let sample = sample("54084_mont-bonvillers.csv");
    let header = sample.split(|&b| b == b'\n').next().unwrap();
    let mut bal = header.strip_suffix(b"\r").unwrap_or(header).to_vec();
    let columns = bal.iter().filter(|&&b| b == b';').count();
    bal.push(b'\n');
    for _ in 0..20_000 {
        bal.extend(std::iter::repeat_n(b';', columns));
        bal.push(b'\n');
    }
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let id = h.create(&token, "54084").await;
    assert_eq!(h.upload(&token, &id, bal).await.0, StatusCode::OK);
    let (status, revision) = h.compute(&token, &id).await;
    assert_eq!(status, StatusCode::OK, "{revision}");
    let validation = &revision["validation"];
    let verdict = (validation["valid"].as_bool(), validation["truncated"].as_bool());
    assert_eq!(verdict, (Some(false), Some(true)), "{validation}");
    assert_eq!(validation["issueCounts"]["numero.valeur_manquante"], 20_000);
    let issues = validation["issues"].as_array().unwrap();
    let codes = validation["issueCounts"].as_object().unwrap().len();
    assert!(issues.len() <= codes * 100, "{} findings stored", issues.len());

    // The whole detail, on demand: every finding, recomputed and streamed, to the draft's client.
    let path = format!("/revisions/{id}/files/bal/findings");
    let (status, headers, csv) = h.fetch(&path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("line;row;field;code;level;value;label"));
    let total: u64 =
        validation["issueCounts"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(lines.count() as u64, total);
    assert_eq!(csv.matches(";numero.valeur_manquante;E;").count(), 20_000);
    let (status, _, ndjson) = h.fetch(&format!("{path}?format=ndjson"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let first: Value = serde_json::from_slice(ndjson.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!((first["line"].as_u64(), first["level"].as_str()), (Some(2), Some("E")), "{first}");
    // A draft's findings are its client's; a bad format is told.
    assert_eq!(h.fetch(&path, None).await.0, StatusCode::FORBIDDEN);
    let (status, problem) = h.get_as(&format!("{path}?format=xml"), Some(&token)).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_format")));
});

on_every_backend!(a_busy_depot_answers_503_with_retry_after, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let id = h.create(&token, "54084").await;
    assert_eq!(h.upload(&token, &id, sample("54084_mont-bonvillers.csv")).await.0, StatusCode::OK);
    // Every permit taken, as by validations under way.
    let permits = h.computes.clone().acquire_many_owned(2).await.unwrap();
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/revisions/{id}/compute"))
        .header(header::AUTHORIZATION, format!("Token {token}"))
        .body(Body::empty())
        .unwrap();
    let response = h.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    drop(permits);
    let (status, revision) = h.compute(&token, &id).await;
    assert_eq!((status, revision["isReady"].as_bool()), (StatusCode::OK, Some(true)));
});

// R3 validated against an outdated base is not published (issue 15, item 5). R3, a small
// file, is computed while the commune has no current revision; R2, the whole file, is
// published: R3's publication is refused with words that say why, even after a compute of R3
// that started before R2's publication finishes after it; computed again, R3 is checked
// against R2, whose addresses it would mostly delete.
on_every_backend!(a_revision_checked_against_an_outdated_base_is_not_published, |h: Harness| async move {
    let token = h.client(AuthorizationStrategy::Internal, &[]).await;
    let whole = sample("54084_mont-bonvillers.csv");
    let text = String::from_utf8(whole.clone()).unwrap();
    let small: String = text.split_inclusive('\n').take(51).collect();
    let r3 = h.computed(&token, "54084", small.into_bytes()).await;
    assert_eq!(r3["isReady"], true, "{r3}");
    let r3 = r3["id"].as_str().unwrap().to_owned();
    let r2 = h.computed(&token, "54084", whole).await;
    let r2 = r2["id"].as_str().unwrap().to_owned();
    let (status, published) = h.publish(&token, &r2, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{published}");

    let refused = |status: StatusCode, problem: &Value| {
        assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("revision_outdated")));
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("commune 54084 ({r2}) a été publiée entre-temps")), "{detail}");
        assert!(detail.contains("doit être validé à nouveau"), "{detail}");
    };
    let (status, problem) = h.publish(&token, &r3, json!({})).await;
    refused(status, &problem);

    // A compute of R3 begun before R2's publication (checked against no current revision)
    // finishes after it: it cannot make R3 ready again.
    let late = ComputedValidation {
        validation: serde_json::value::to_raw_value(&json!({"valid": true, "rowsCount": 50})).unwrap(),
        is_ready: true,
        rows_count: 50,
        checked_against: None,
    };
    let saved = h.store.save_validation(&r3, late, chrono::Utc::now()).await;
    assert!(matches!(&saved, Err(StoreError::Conflict(m)) if m.contains(&r2)), "{saved:?}");
    let (status, problem) = h.publish(&token, &r3, json!({})).await;
    refused(status, &problem);

    // Computed again, R3 is checked against R2: it would delete 436 of its 486 addresses.
    let (status, computed) = h.compute(&token, &r3).await;
    assert_eq!(status, StatusCode::OK, "{computed}");
    assert_eq!(computed["isReady"], false);
    assert!(computed["validation"].to_string().contains("rows.delete_too_many_addresses"), "{computed}");
    let (status, problem) = h.publish(&token, &r3, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("publication_impossible"))
    );
    let (_, current) = h.get("/communes/54084/current-revision").await;
    assert_eq!(current["id"].as_str(), Some(r2.as_str()));
});
