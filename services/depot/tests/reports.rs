//! Citizen reports through the depot's routes, on a fresh database per test (SQLite always,
//! PostgreSQL in a schema `rep_*` when `TEST_DATABASE_URL` is set): anyone reports, the
//! reports are public without their author, every wrong field is named, and only the commune
//! decides, once.
#![allow(clippy::unwrap_used)]
#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use ban_store::AuthorizationStrategy;
use serde_json::{json, Value};

use common::{args, Answer, Call, Harness, ADMIN};

/// The PostgreSQL schemas of this file's tests.
const SCHEMA_PREFIX: &str = "rep_";

/// A number asked for on an existing street of Mont-Bonvillers, its entrance inside the
/// commune.
fn creation() -> Value {
    json!({
        "codeCommune": "54084",
        "type": "LOCATION_TO_CREATE",
        "existingLocation": {"type": "VOIE", "nom": "Allée des Acacias"},
        "changesRequested": {
            "numero": 14, "suffixe": "bis", "nomVoie": "Allée des Acacias",
            "parcelles": ["54084000AB0123"],
            "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": [5.8335, 49.3259]}}],
            "comment": "Maison neuve, pas encore numérotée dans la base"
        },
        "author": {"firstName": "Jeanne", "lastName": "Martin", "email": "jeanne.martin@example.org"}
    })
}

impl Harness {
    async fn json(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        self.request(Call::json(method, path, token, body.as_ref())).await
    }

    /// A report sent by nobody in particular: its id.
    async fn report(&self, body: Value) -> String {
        let answer = self.json(Method::POST, "/signalements", None, Some(body)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// A client publishing by habilitation, with an accepted habilitation of `commune`
    /// (accepted by an administrator): its token and the habilitation's id.
    async fn town_hall_client(&self, commune: &str) -> (String, String) {
        let (_, token) = self.new_client(AuthorizationStrategy::Habilitation, &[]).await;
        let path = format!("/communes/{commune}/habilitations");
        let created = self.json(Method::POST, &path, Some(&token), None).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        let accepted =
            self.json(Method::PUT, &format!("/habilitations/{id}/validate"), Some(ADMIN), None).await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        (token, id)
    }
}

on_every_backend!(anyone_reports_and_the_author_stays_private, |h: Harness| async move {
    let id = h.report(creation()).await;
    // The answer, the list and the read are public: no author.
    let listed = h.json(Method::GET, "/signalements?codeCommune=54084", None, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.headers["x-total-count"], "1");
    let report = &listed.body[0];
    assert_eq!(report["id"], id.as_str());
    assert_eq!(
        (report["status"].as_str(), report["type"].as_str()),
        (Some("PENDING"), Some("LOCATION_TO_CREATE"))
    );
    assert_eq!(report["nomCommune"], "Mont-Bonvillers");
    assert_eq!(report["point"], json!({"type": "Point", "coordinates": [5.8335, 49.3259]}));
    assert_eq!(report["changesRequested"]["suffixe"], "bis");
    assert!(!listed.body.to_string().contains("jeanne"), "no author in a list: {}", listed.body);
    let read = h.json(Method::GET, &format!("/signalements/{id}"), None, None).await;
    assert_eq!(read.body.get("author"), None);
    assert_eq!(read.body["events"][0]["actor"], "public");
    // The commune and the administrators see who wrote it.
    let (token, habilitation) = h.town_hall_client("54084").await;
    let path = format!("/signalements/{id}?habilitationId={habilitation}");
    let read = h.json(Method::GET, &path, Some(&token), None).await;
    assert_eq!(read.body["author"], json!({"name": "Jeanne Martin", "email": "jeanne.martin@example.org"}));
    let read = h.json(Method::GET, &format!("/signalements/{id}"), Some(ADMIN), None).await;
    assert_eq!(read.body["author"]["email"], "jeanne.martin@example.org");
    // Another commune's client does not.
    let (other, other_habilitation) = h.town_hall_client("54578").await;
    let path = format!("/signalements/{id}?habilitationId={other_habilitation}");
    let read = h.json(Method::GET, &path, Some(&other), None).await;
    assert_eq!((read.status, read.body.get("author")), (StatusCode::OK, None));
    // Filters.
    let none = h.json(Method::GET, "/signalements?codeCommune=54084&status=IGNORED", None, None).await;
    assert_eq!(none.body, json!([]));
    let bad = h.json(Method::GET, "/signalements?status=DONE", None, None).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_status")));
});

on_every_backend!(every_wrong_field_is_named, |h: Harness| async move {
    let mut body = creation();
    body["changesRequested"]["nomVoie"] = json!("ALLÉE DES ACACIAS");
    body["changesRequested"]["positions"][0]["point"]["coordinates"] = json!([2.35, 48.85]);
    body["author"]["email"] = json!("pas-une-adresse");
    let answer = h.json(Method::POST, "/signalements", None, Some(body)).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_report"))
    );
    let fields: Vec<&str> =
        answer.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        ["changesRequested.nomVoie", "changesRequested.positions[0].point.coordinates", "author.email"]
    );
    assert_eq!(answer.body["field"], "changesRequested.nomVoie");
    assert!(answer.body["errors"][1]["message"]
        .as_str()
        .unwrap()
        .contains("hors de la commune Mont-Bonvillers"));
    // A field of the wrong type is named by its path.
    let mut body = creation();
    body["changesRequested"]["numero"] = json!("quatorze");
    let answer = h.json(Method::POST, "/signalements", None, Some(body)).await;
    assert_eq!(
        (answer.status, answer.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("changesRequested.numero"))
    );
    // An object that is not in the base.
    let body = json!({"codeCommune": "54084", "type": "LOCATION_TO_DELETE",
        "existingLocation": {"type": "NUMERO", "numero": 3, "banId": "0f0c6c8e-7bd4-4f39-9c4c-3f2b0a2a8d11"},
        "changesRequested": {"comment": "Cette maison a été démolie"}});
    let answer = h.json(Method::POST, "/signalements", None, Some(body)).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str(), answer.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_object"), Some("existingLocation.banId"))
    );
    assert_eq!(h.json(Method::GET, "/signalements", None, None).await.body, json!([]), "nothing stored");
});

on_every_backend!(only_the_commune_decides_once, |h: Harness| async move {
    let id = h.report(creation()).await;
    let path = format!("/signalements/{id}");
    let processed = json!({"status": "PROCESSED"});
    let anonymous = h.json(Method::PUT, &path, None, Some(processed.clone())).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // A chef de file outside its perimeter, a habilitation of another commune: refused.
    let (_, outside) = h.new_client(AuthorizationStrategy::ChefDeFile, &["departement:57"]).await;
    let refused = h.json(Method::PUT, &path, Some(&outside), Some(processed.clone())).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_commune")));
    let (token, habilitation) = h.town_hall_client("54084").await;
    let missing = h.json(Method::PUT, &path, Some(&token), Some(processed.clone())).await;
    assert_eq!(missing.body["code"], "habilitation_required");
    let (other, other_habilitation) = h.town_hall_client("54578").await;
    let body = json!({"status": "PROCESSED", "habilitationId": other_habilitation});
    let refused = h.json(Method::PUT, &path, Some(&other), Some(body)).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    // Ignored needs a reason; pending is not a decision.
    let body = json!({"status": "IGNORED", "habilitationId": habilitation});
    let answer = h.json(Method::PUT, &path, Some(&token), Some(body)).await;
    assert_eq!(
        (answer.status, answer.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("rejectionReason"))
    );
    let body = json!({"status": "PENDING", "habilitationId": habilitation});
    assert_eq!(h.json(Method::PUT, &path, Some(&token), Some(body)).await.status, StatusCode::BAD_REQUEST);
    // The town hall ignores it, with its reason; it does not change any more.
    let body = json!({"status": "IGNORED", "rejectionReason": "Signalement en double", "habilitationId": habilitation});
    let ignored = h.json(Method::PUT, &path, Some(&token), Some(body)).await;
    assert_eq!(ignored.status, StatusCode::OK, "{}", ignored.body);
    assert_eq!(
        (ignored.body["status"].as_str(), ignored.body["rejectionReason"].as_str()),
        (Some("IGNORED"), Some("Signalement en double"))
    );
    let again = h.json(Method::PUT, &path, Some(ADMIN), Some(processed)).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("report_not_pending"))
    );
    let events = h.json(Method::GET, &path, None, None).await.body["events"].clone();
    let statuses: Vec<&str> =
        events.as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["PENDING", "IGNORED"]);
    assert_eq!(events[1]["reason"], "Signalement en double");
    // A chef de file of the département decides for it.
    let id = h.report(creation()).await;
    let (_, partner) = h.new_client(AuthorizationStrategy::ChefDeFile, &["departement:54"]).await;
    let done = h
        .json(
            Method::PUT,
            &format!("/signalements/{id}"),
            Some(&partner),
            Some(json!({"status": "PROCESSED"})),
        )
        .await;
    assert_eq!(done.body["status"], "PROCESSED", "{}", done.body);
});

on_every_backend!(a_commune_may_refuse_reports, |h: Harness| async move {
    let settings = h.json(Method::GET, "/communes/54084/signalements/settings", None, None).await;
    assert_eq!(settings.body, json!({"codeCommune": "54084", "accepted": true, "dailyDigest": false}));
    let (token, habilitation) = h.town_hall_client("54084").await;
    let body = json!({"accepted": false, "habilitationId": habilitation});
    let anonymous =
        h.json(Method::PUT, "/communes/54084/signalements/settings", None, Some(body.clone())).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let saved = h.json(Method::PUT, "/communes/54084/signalements/settings", Some(&token), Some(body)).await;
    assert_eq!(saved.body["accepted"], false, "{}", saved.body);
    let refused = h.json(Method::POST, "/signalements", None, Some(creation())).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reports_not_accepted"))
    );
    let unknown = h.json(Method::GET, "/communes/00000/signalements/settings", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
});

on_every_backend!(
    reports_from_one_address_are_limited,
    args(|a| ban_depot::DepotArgs { reports_per_ip: 2, ..a }),
    |h: Harness| async move {
        let send = || {
            let mut call = Call::json(Method::POST, "/signalements", None, None);
            call.body = axum::body::Body::from(creation().to_string());
            call.from = Some("203.0.113.7");
            call
        };
        for _ in 0..2 {
            assert_eq!(h.request(send()).await.status, StatusCode::CREATED);
        }
        let limited = h.request(send()).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers.contains_key("retry-after"));
    }
);
