//! The depot's administration routes (clients, mandataires, chefs de file and their
//! perimeters), its statistics and `/last-revisions`, on a fresh database per test: SQLite
//! always, PostgreSQL when `TEST_DATABASE_URL` is set (schemas `adm_*`).
#![allow(clippy::unwrap_used)]
#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use ban_store::ids::object_id;
use ban_store::{ComputedValidation, NewRevision, Publication};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{sample, Call, Harness, ADMIN};

/// The PostgreSQL schemas of this file's tests.
const SCHEMA_PREFIX: &str = "adm_";

/// An id of nothing.
const NOBODY: &str = "0123456789abcdef01234567";

impl Harness {
    /// A request with a raw body: status, headers and the answer as JSON (or text).
    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Body,
        content_type: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        let answer = self.request(Call { method, path, token, body, content_type, from: None }).await;
        (answer.status, answer.headers, answer.body)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
        let (status, _, value) = self.send_raw(method, path, token, body, "application/json").await;
        (status, value)
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, path, Some(ADMIN), body).await
    }

    /// An administration call that must succeed: its answer.
    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.admin(method.clone(), path, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {value}");
        value
    }

    async fn mandataire(&self) -> String {
        let body = json!({"nom": "ACME Logiciels", "email": "contact@acme.example"});
        self.ok(Method::POST, "/mandataires", Some(body)).await["id"].as_str().unwrap().to_owned()
    }

    async fn chef_de_file(&self, perimeters: Value) -> String {
        let body = json!({"nom": "Partenaire", "email": "sig@partenaire.example", "perimeters": perimeters});
        self.ok(Method::POST, "/chefs-de-file", Some(body)).await["id"].as_str().unwrap().to_owned()
    }

    /// A client of a new mandataire (`extra` completes the body): its answer, with its token.
    async fn client(&self, extra: Value) -> Value {
        let mut body = json!({"nom": "Éditeur", "mandataireId": self.mandataire().await});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.ok(Method::POST, "/clients", Some(body)).await
    }

    /// create → upload → compute with a client's token: the computed revision.
    async fn computed(&self, token: &str, commune: &str, file: Vec<u8>) -> Value {
        let (status, revision) = self
            .call(
                Method::POST,
                &format!("/communes/{commune}/revisions"),
                Some(token),
                Some(json!({"context": {"nomComplet": "Test"}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{revision}");
        let id = revision["id"].as_str().unwrap();
        let (status, _, _) = self
            .send_raw(
                Method::PUT,
                &format!("/revisions/{id}/files/bal"),
                Some(token),
                Body::from(file),
                "text/csv",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, revision) =
            self.call(Method::POST, &format!("/revisions/{id}/compute"), Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{revision}");
        revision
    }

    /// A revision of `client_id` for `commune`, valid or not, published at `at` when asked
    /// (through the store: no file checks). Its id.
    async fn revision(
        &self,
        client_id: &str,
        commune: &str,
        valid: bool,
        published_at: Option<DateTime<Utc>>,
    ) -> String {
        let now = Utc::now();
        let new = NewRevision {
            id: object_id(now),
            client_id: client_id.into(),
            code_commune: commune.into(),
            context: json!({"nomComplet": "Jeanne Martin"}),
        };
        let revision = self.store.create_revision(new, now).await.unwrap();
        let file = ban_depot::validation::bal_file(&revision.id, b"x", now);
        self.store.attach_file(&revision.id, file, b"x").await.unwrap();
        let computed = ComputedValidation {
            validation: serde_json::value::to_raw_value(&json!({"valid": valid})).unwrap(),
            is_ready: valid,
            rows_count: 1,
            checked_against: self.store.current_revision(commune).await.unwrap().map(|r| r.id),
        };
        self.store.save_validation(&revision.id, computed, now).await.unwrap();
        if let Some(at) = published_at {
            self.store.publish(&revision.id, Publication { habilitation: None, at }).await.unwrap();
        }
        revision.id
    }
}

fn codes(revision: &Value, level: &str) -> Vec<String> {
    revision["validation"][level].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

fn day(text: &str) -> DateTime<Utc> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc()
}

/// Every administration route: (method, path, body).
fn admin_routes() -> Vec<(Method, String, Option<Value>)> {
    let id = NOBODY;
    vec![
        (Method::GET, "/clients".into(), None),
        (Method::POST, "/clients".into(), Some(json!({"nom": "X"}))),
        (Method::GET, format!("/clients/{id}"), None),
        (Method::PUT, format!("/clients/{id}"), Some(json!({"nom": "X"}))),
        (Method::POST, format!("/clients/{id}/token/renew"), None),
        (Method::PUT, format!("/clients/{id}/chef_de_file/perimeter"), Some(json!({"perimeters": []}))),
        (Method::GET, "/mandataires".into(), None),
        (Method::POST, "/mandataires".into(), Some(json!({"nom": "X"}))),
        (Method::GET, format!("/mandataires/{id}"), None),
        (Method::PUT, format!("/mandataires/{id}"), Some(json!({"nom": "X"}))),
        (Method::GET, "/chefs-de-file".into(), None),
        (Method::POST, "/chefs-de-file".into(), Some(json!({"nom": "X"}))),
        (Method::GET, format!("/chefs-de-file/{id}"), None),
        (Method::PUT, format!("/chefs-de-file/{id}"), Some(json!({"nom": "X"}))),
        (Method::GET, "/admin/audit".into(), None),
    ]
}

on_every_backend!(administration_needs_the_admin_token, |h: Harness| async move {
    let client = h.client(json!({})).await;
    let client_token = client["token"].as_str().unwrap();
    for (method, path, body) in admin_routes() {
        let (status, answer) = h.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{method} {path}"
        );
        let (status, _) = h.call(method.clone(), &path, Some("wrong-token"), body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        // A client is known, but the route is not for it.
        let (status, answer) = h.call(method.clone(), &path, Some(client_token), body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("admin_required")),
            "{method} {path}"
        );
    }
    // Bearer works as Token does.
    let request = Request::builder().uri("/clients").header(header::AUTHORIZATION, format!("Bearer {ADMIN}"));
    let response = h.app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
});

on_every_backend!(clients_are_created_read_listed_and_changed, |h: Harness| async move {
    let mandataire = h.mandataire().await;
    let created = h
        .ok(
            Method::POST,
            "/clients",
            Some(json!({"nom": "Éditeur", "mandataireId": mandataire, "email": "dev@editeur.example"})),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(created["authorizationStrategy"], "habilitation");
    assert_eq!(
        (created["mandataire"].as_str(), created["mandataireId"].as_str()),
        (Some("ACME Logiciels"), Some(mandataire.as_str()))
    );
    assert_eq!(created["isActive"], true);
    // The token authenticates, and is never shown again.
    let (status, _) = h.call(Method::POST, "/communes/54084/habilitations", Some(&token), None).await;
    assert_eq!(status, StatusCode::CREATED);
    let read = h.ok(Method::GET, &format!("/clients/{id}"), None).await;
    assert!(read.get("token").is_none(), "{read}");
    assert_eq!(read["nom"], "Éditeur");
    let list = h.ok(Method::GET, "/clients", None).await;
    assert!(list.as_array().unwrap().iter().any(|c| c["id"] == id.as_str() && c.get("token").is_none()));
    let read: ban_store::Client = serde_json::from_value(read).unwrap();
    assert_eq!(read.email.as_deref(), Some("dev@editeur.example"));

    let changed = h
        .ok(
            Method::PUT,
            &format!("/clients/{id}"),
            Some(json!({"nom": "Éditeur 2", "email": null, "legacyId": "mes-adresses"})),
        )
        .await;
    assert_eq!((changed["nom"].as_str(), changed["email"].as_str()), (Some("Éditeur 2"), None));
    assert_eq!(changed["legacyId"], "mes-adresses");
    assert_eq!(h.ok(Method::GET, &format!("/clients/{id}"), None).await["nom"], "Éditeur 2");

    // Refusals, each with its status and the field at fault.
    let missing = [
        (json!({"mandataireId": mandataire}), "nom"),
        (json!({"nom": "X"}), "mandataireId"),
        (json!({"nom": "", "mandataireId": mandataire}), "nom"),
        (json!({"nom": 12, "mandataireId": mandataire}), "nom"),
        (json!({"nom": "X", "mandataireId": "pas-un-id"}), "mandataireId"),
        (json!({"nom": "X", "mandataireId": mandataire, "email": "pas une adresse"}), "email"),
        (
            json!({"nom": "X", "mandataireId": mandataire, "authorizationStrategy": "chef-de-file"}),
            "authorizationStrategy",
        ),
        (
            json!({"nom": "X", "mandataireId": mandataire, "authorizationStrategy": "autre"}),
            "authorizationStrategy",
        ),
    ];
    for (body, field) in missing {
        let (status, answer) = h.admin(Method::POST, "/clients", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(
            (answer["code"].as_str(), answer["field"].as_str()),
            (Some("invalid_field"), Some(field)),
            "{body}"
        );
    }
    let (status, answer) =
        h.admin(Method::POST, "/clients", Some(json!({"nom": "X", "mandataireId": NOBODY}))).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("mandataire_not_found")));
    assert_eq!(answer["field"], "mandataireId");
    let body = json!({"nom": "X", "mandataireId": mandataire, "chefDeFileId": NOBODY});
    let (status, answer) = h.admin(Method::POST, "/clients", Some(body)).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("chef_de_file_not_found")));
    for (method, path) in
        [(Method::GET, format!("/clients/{NOBODY}")), (Method::PUT, format!("/clients/{NOBODY}"))]
    {
        let (status, answer) = h.admin(method, &path, Some(json!({"nom": "X"}))).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("client_not_found")),
            "{path}"
        );
    }
    let (status, answer) = h.admin(Method::POST, &format!("/clients/{NOBODY}/token/renew"), None).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("client_not_found")));
    for path in ["/clients/coucou", "/clients/coucou/token/renew"] {
        let method = if path.ends_with("renew") { Method::POST } else { Method::GET };
        let (status, answer) = h.admin(method, path, None).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_id")),
            "{path}"
        );
    }
    // Not JSON, not an object.
    let (status, _, answer) =
        h.send_raw(Method::POST, "/clients", Some(ADMIN), Body::from("{nom:"), "application/json").await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")));
    let (status, answer) = h.admin(Method::POST, "/clients", Some(json!(["nom"]))).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")));
    // A legacy id is one client's only.
    let body = json!({"nom": "Autre", "mandataireId": mandataire, "legacyId": "mes-adresses"});
    let (status, answer) = h.admin(Method::POST, "/clients", Some(body)).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("legacy_id_taken")));
    let other = h.client(json!({})).await;
    let path = format!("/clients/{}", other["id"].as_str().unwrap());
    let (status, answer) = h.admin(Method::PUT, &path, Some(json!({"legacyId": "mes-adresses"}))).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("legacy_id_taken")));
    // Internal clients are asked for.
    let internal = h.client(json!({"authorizationStrategy": "internal"})).await;
    assert_eq!(internal["authorizationStrategy"], "internal");
});

on_every_backend!(a_disabled_client_is_refused_and_keeps_its_publications, |h: Harness| async move {
    let client = h.client(json!({"authorizationStrategy": "internal"})).await;
    let (id, token) = (client["id"].as_str().unwrap(), client["token"].as_str().unwrap());
    let revision = h.computed(token, "54084", sample("54084_mont-bonvillers.csv")).await;
    let rid = revision["id"].as_str().unwrap();
    let (status, _) =
        h.call(Method::POST, &format!("/revisions/{rid}/publish"), Some(token), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);

    let disabled = h.ok(Method::PUT, &format!("/clients/{id}"), Some(json!({"isActive": false}))).await;
    assert_eq!(disabled["isActive"], false);
    let (status, answer) =
        h.call(Method::POST, "/communes/54084/revisions", Some(token), Some(json!({"context": {}}))).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::FORBIDDEN, Some("client_inactive")));
    // Its publication stays the commune's current revision.
    let (status, current) = h.call(Method::GET, "/communes/54084/current-revision", None, None).await;
    assert_eq!((status, current["id"].as_str()), (StatusCode::OK, Some(rid)));

    h.ok(Method::PUT, &format!("/clients/{id}"), Some(json!({"isActive": true}))).await;
    let (status, _) =
        h.call(Method::POST, "/communes/54084/revisions", Some(token), Some(json!({"context": {}}))).await;
    assert_eq!(status, StatusCode::CREATED);
    // Created disabled.
    let sleeping = h.client(json!({"isActive": false})).await;
    assert_eq!(sleeping["isActive"], false);
    let (status, _) =
        h.call(Method::POST, "/communes/54084/habilitations", sleeping["token"].as_str(), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

on_every_backend!(a_rotated_token_works_and_the_old_one_does_not, |h: Harness| async move {
    let client = h.client(json!({})).await;
    let (id, old) = (client["id"].as_str().unwrap(), client["token"].as_str().unwrap());
    let renewed = h.ok(Method::POST, &format!("/clients/{id}/token/renew"), None).await;
    let new = renewed["token"].as_str().unwrap();
    assert_eq!((new.len(), renewed["id"].as_str()), (32, Some(id)));
    assert_ne!(new, old);
    let (status, answer) = h.call(Method::POST, "/communes/54084/habilitations", Some(old), None).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, habilitation) = h.call(Method::POST, "/communes/54084/habilitations", Some(new), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(habilitation["client"]["id"], id);
});

on_every_backend!(every_administration_action_is_in_the_audit_log, |h: Harness| async move {
    let mandataire = h.mandataire().await;
    let chef = h.chef_de_file(json!([{"type": "departement", "code": "54"}])).await;
    let created = h.client(json!({"chefDeFileId": chef})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    h.ok(Method::PUT, &format!("/clients/{id}"), Some(json!({"nom": "Éditeur renommé"}))).await;
    h.ok(Method::PUT, &format!("/clients/{id}"), Some(json!({"isActive": false}))).await;
    h.ok(Method::PUT, &format!("/clients/{id}"), Some(json!({"isActive": true}))).await;
    let renewed = h.ok(Method::POST, &format!("/clients/{id}/token/renew"), None).await;
    let perimeters = json!({"perimeters": [{"type": "commune", "code": "54084"}]});
    h.ok(Method::PUT, &format!("/clients/{id}/chef_de_file/perimeter"), Some(perimeters)).await;
    h.ok(Method::PUT, &format!("/mandataires/{mandataire}"), Some(json!({"nom": "ACME"}))).await;

    let (status, log) = h.admin(Method::GET, "/admin/audit?limit=100", None).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let mut entries: Vec<&Value> = log.as_array().unwrap().iter().collect();
    entries.reverse(); // oldest first
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "mandataire.created",
            "chef_de_file.created",
            "mandataire.created",
            "client.created",
            "client.changed",
            "client.disabled",
            "client.enabled",
            "client.token_renewed",
            "chef_de_file.changed",
            "client.perimeters_set",
            "mandataire.changed",
        ]
    );
    assert!(entries.iter().all(|e| e["actor"] == "admin"), "{log}");
    let about_client: Vec<&&Value> = entries.iter().filter(|e| e["objectId"] == id.as_str()).collect();
    assert_eq!(about_client.len(), 6, "{log}");
    assert!(about_client.iter().all(|e| e["clientId"] == id.as_str()), "{log}");
    assert_eq!(entries[1]["detail"], "Partenaire, périmètres : departement:54");
    assert_eq!(entries[4]["detail"], "champs modifiés : nom");
    assert_eq!(entries[8]["detail"], "champs modifiés : perimeters ; périmètres : commune:54084");
    assert_eq!(entries[9]["detail"], format!("ceux de son chef de file {chef} : commune:54084"));
    assert_eq!(entries[10]["objectId"], mandataire.as_str());
    // Never a secret: neither the first token nor the renewed one is written anywhere.
    for token in [&created["token"], &renewed["token"]] {
        assert!(!log.to_string().contains(token.as_str().unwrap()), "a token in the audit log");
    }
    // Filtered by client: its own entries.
    let (_, filtered) = h.admin(Method::GET, &format!("/admin/audit?client={id}"), None).await;
    assert_eq!(filtered.as_array().unwrap().len(), 6, "{filtered}");
});

on_every_backend!(mandataires_and_chefs_de_file, |h: Harness| async move {
    assert_eq!(h.ok(Method::GET, "/mandataires", None).await, json!([]));
    let id = h.mandataire().await;
    let changed = h.ok(Method::PUT, &format!("/mandataires/{id}"), Some(json!({"nom": "ACME"}))).await;
    assert_eq!(
        (changed["nom"].as_str(), changed["email"].as_str()),
        (Some("ACME"), Some("contact@acme.example"))
    );
    let read = h.ok(Method::GET, &format!("/mandataires/{id}"), None).await;
    assert_eq!(read, changed);
    assert_eq!(h.ok(Method::GET, "/mandataires", None).await, json!([changed]));
    // A client shows its mandataire's current name.
    let client = h.ok(Method::POST, "/clients", Some(json!({"nom": "C", "mandataireId": id}))).await;
    assert_eq!(client["mandataire"], "ACME");
    h.ok(Method::PUT, &format!("/mandataires/{id}"), Some(json!({"nom": "ACME France"}))).await;
    let client = h.ok(Method::GET, &format!("/clients/{}", client["id"].as_str().unwrap()), None).await;
    assert_eq!(client["mandataire"], "ACME France");
    for (body, field) in [
        (json!({"email": "a@b.fr"}), "nom"),
        (json!({"nom": "M"}), "email"),
        (json!({"nom": "M", "email": "a@b"}), "email"),
    ] {
        let (status, answer) = h.admin(Method::POST, "/mandataires", Some(body.clone())).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let (status, answer) = h.admin(Method::GET, &format!("/mandataires/{NOBODY}"), None).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("mandataire_not_found")));
    let (status, _) = h.admin(Method::PUT, "/mandataires/coucou", Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A chef de file: defaults, perimeters checked against the reference data.
    let default =
        h.ok(Method::POST, "/chefs-de-file", Some(json!({"nom": "Département", "email": "d@d.fr"}))).await;
    assert_eq!((default["isEmailPublic"].as_bool(), default["perimeters"].clone()), (Some(false), json!([])));
    let perimeters = json!([{"type": "epci", "code": "246700488"}, {"type": "departement", "code": "54"}, {"type": "commune", "code": "75056"}]);
    let cdf = h.chef_de_file(perimeters.clone()).await;
    let read = h.ok(Method::GET, &format!("/chefs-de-file/{cdf}"), None).await;
    assert_eq!(read["perimeters"], perimeters);
    let changed = h
        .ok(
            Method::PUT,
            &format!("/chefs-de-file/{cdf}"),
            Some(json!({"isEmailPublic": true, "perimeters": [{"type": "commune", "code": "54084"}]})),
        )
        .await;
    assert_eq!(
        (changed["isEmailPublic"].as_bool(), changed["nom"].as_str()),
        (Some(true), Some("Partenaire"))
    );
    assert_eq!(changed["perimeters"], json!([{"type": "commune", "code": "54084"}]));
    assert_eq!(h.ok(Method::GET, "/chefs-de-file", None).await.as_array().unwrap().len(), 2);
    for (body, field) in [
        (json!({"nom": "AB", "email": "a@b.fr"}), "nom"),
        (
            json!({"nom": "ABC", "email": "a@b.fr", "perimeters": [{"type": "region", "code": "44"}]}),
            "perimeters[0].type",
        ),
        (json!({"nom": "ABC", "email": "a@b.fr", "perimeters": [{"type": "commune"}]}), "perimeters[0].code"),
        (
            json!({"nom": "ABC", "email": "a@b.fr", "perimeters": [{"type": "commune", "code": "99999"}]}),
            "perimeters[0].code",
        ),
        (
            json!({"nom": "ABC", "email": "a@b.fr", "perimeters": [{"type": "epci", "code": "123456789"}]}),
            "perimeters[0].code",
        ),
        (json!({"nom": "ABC", "email": "a@b.fr", "perimeters": "54"}), "perimeters"),
    ] {
        let (status, answer) = h.admin(Method::POST, "/chefs-de-file", Some(body.clone())).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {answer}"
        );
    }
    let (status, answer) =
        h.admin(Method::PUT, &format!("/chefs-de-file/{NOBODY}"), Some(json!({"nom": "ABCD"}))).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("chef_de_file_not_found")));
});

on_every_backend!(an_epci_chef_de_file_publishes_for_its_members_only, |h: Harness| async move {
    // CC Coeur du Pays Haut, the EPCI of Mont-Bonvillers (54084), not of Strasbourg (67482).
    let pays_haut = h.chef_de_file(json!([{"type": "epci", "code": "200070290"}])).await;
    let client = h.client(json!({"chefDeFileId": pays_haut})).await;
    assert_eq!(client["authorizationStrategy"], "chef-de-file");
    assert_eq!(client["perimeters"], json!([{"type": "epci", "code": "200070290"}]));
    let token = client["token"].as_str().unwrap();

    let member = h.computed(token, "54084", sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(member["isReady"], true, "{}", member["validation"]);
    let rid = member["id"].as_str().unwrap();
    let (status, published) =
        h.call(Method::POST, &format!("/revisions/{rid}/publish"), Some(token), Some(json!({}))).await;
    assert_eq!((status, published["isCurrent"].as_bool()), (StatusCode::OK, Some(true)));

    let outside = h.computed(token, "67482", sample("67482_strasbourg_with-defects.csv")).await;
    assert!(codes(&outside, "errors").contains(&"commune_insee.out_of_perimeter".to_owned()));
    let rid = outside["id"].as_str().unwrap();
    let (status, _) =
        h.call(Method::POST, &format!("/revisions/{rid}/publish"), Some(token), Some(json!({}))).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    // Its perimeter changed to the Eurométropole de Strasbourg through the client: Strasbourg
    // is in it (its file keeps its own defects), Mont-Bonvillers no longer.
    let id = client["id"].as_str().unwrap();
    let path = format!("/clients/{id}/chef_de_file/perimeter");
    let changed =
        h.ok(Method::PUT, &path, Some(json!({"perimeters": [{"type": "epci", "code": "246700488"}]}))).await;
    assert_eq!(changed["perimeters"], json!([{"type": "epci", "code": "246700488"}]));
    let cdf = h.ok(Method::GET, &format!("/chefs-de-file/{pays_haut}"), None).await;
    assert_eq!(cdf["perimeters"], changed["perimeters"], "the chef de file's perimeter changed");
    let inside = h.computed(token, "67482", sample("67482_strasbourg_with-defects.csv")).await;
    assert!(!codes(&inside, "errors").contains(&"commune_insee.out_of_perimeter".to_owned()));
    let now_outside = h.computed(token, "54084", sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(now_outside["isReady"], false);
    assert!(codes(&now_outside, "errors").contains(&"commune_insee.out_of_perimeter".to_owned()));

    let (status, answer) = h
        .admin(Method::PUT, &path, Some(json!({"perimeters": [{"type": "epci", "code": "000000000"}]})))
        .await;
    assert_eq!(
        (status, answer["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("perimeters[0].code"))
    );
    // A client that publishes by habilitation has no perimeter to set.
    let other = h.client(json!({})).await;
    let path = format!("/clients/{}/chef_de_file/perimeter", other["id"].as_str().unwrap());
    let (status, answer) = h.admin(Method::PUT, &path, Some(json!({"perimeters": []}))).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("not_chef_de_file")));
    // Unlinked, a client publishes by habilitation again.
    let unlinked = h.ok(Method::PUT, &format!("/clients/{id}"), Some(json!({"chefDeFileId": null}))).await;
    assert_eq!(
        (unlinked["authorizationStrategy"].as_str(), unlinked["chefDeFileId"].as_str()),
        (Some("habilitation"), None)
    );
    let (status, answer) = h
        .admin(
            Method::PUT,
            &format!("/clients/{id}"),
            Some(json!({"chefDeFileId": pays_haut, "authorizationStrategy": "internal"})),
        )
        .await;
    assert_eq!(
        (status, answer["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("authorizationStrategy"))
    );
});

on_every_backend!(statistics_count_publications, |h: Harness| async move {
    let mes_adresses =
        h.client(json!({"authorizationStrategy": "internal", "legacyId": "mes-adresses"})).await;
    let other = h.client(json!({"authorizationStrategy": "internal"})).await;
    let (mes_adresses, other) = (mes_adresses["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    // 91400 first published on 2000-01-02 by Mes Adresses, then twice more; 91401 on
    // 2000-01-04 by another client; 91402 on 2000-03-02.
    h.revision(mes_adresses, "91400", true, Some(day("2000-01-02"))).await;
    h.revision(other, "91400", true, Some(day("2000-01-02") + chrono::Duration::hours(1))).await;
    h.revision(other, "91400", true, Some(day("2000-01-05"))).await;
    h.revision(other, "91401", true, Some(day("2000-01-04"))).await;
    h.revision(mes_adresses, "91402", true, Some(day("2000-03-02"))).await;
    h.revision(other, "91403", true, None).await;

    let days = h.ok(Method::GET, "/stats/firsts-publications?from=2000-01-01&to=2000-02-28", None).await;
    let days = days.as_array().unwrap();
    assert_eq!(days.len(), 59);
    assert_eq!(
        (days[0]["date"].as_str(), days[58]["date"].as_str()),
        (Some("2000-01-01"), Some("2000-02-28"))
    );
    let totals: Vec<(u64, u64)> = days
        .iter()
        .map(|d| (d["totalCreations"].as_u64().unwrap(), d["viaMesAdresses"].as_u64().unwrap()))
        .collect();
    assert_eq!(&totals[..5], [(0, 0), (1, 1), (1, 1), (2, 1), (2, 1)]);
    assert_eq!(totals[58], (2, 1));
    assert!(days.iter().all(|d| d["viaMoissonneur"] == 0));
    let march = h.ok(Method::GET, "/stats/firsts-publications?from=2000-03-01&to=2000-03-02", None).await;
    assert_eq!(
        march,
        json!([
            {"date": "2000-03-01", "totalCreations": 2, "viaMesAdresses": 1, "viaMoissonneur": 0},
            {"date": "2000-03-02", "totalCreations": 3, "viaMesAdresses": 2, "viaMoissonneur": 0}
        ])
    );
    // The last month by default: every commune published so far.
    let recent = h.ok(Method::GET, "/stats/firsts-publications", None).await;
    assert!((29..=32).contains(&recent.as_array().unwrap().len()));
    assert_eq!(recent.as_array().unwrap().last().unwrap()["totalCreations"], 3);

    let publications = h.ok(Method::GET, "/stats/publications?from=2000-01-01&to=2000-02-28", None).await;
    // Public: the same answer without a token.
    let (status, public) =
        h.call(Method::GET, "/stats/publications?from=2000-01-01&to=2000-02-28", None, None).await;
    assert_eq!((status, &public), (StatusCode::OK, &publications));
    assert_eq!(
        publications,
        json!([
            {"date": "2000-01-02", "publishedBAL": {"91400": {"total": 2, "viaMesAdresses": 1, "viaMoissonneur": 0}}},
            {"date": "2000-01-04", "publishedBAL": {"91401": {"total": 1, "viaMesAdresses": 0, "viaMoissonneur": 0}}},
            {"date": "2000-01-05", "publishedBAL": {"91400": {"total": 1, "viaMesAdresses": 0, "viaMoissonneur": 0}}}
        ])
    );
    let empty = h.ok(Method::GET, "/stats/publications?from=2001-01-01&to=2001-01-31", None).await;
    assert_eq!(empty, json!([]));

    for (path, code) in [
        ("/stats/publications?from=2000-01-01", "missing_date"),
        ("/stats/firsts-publications?to=2000-01-01", "missing_date"),
        ("/stats/publications?from=2000-02-30&to=2000-03-01", "invalid_date"),
        ("/stats/publications?from=01/01/2000&to=2000-03-01", "invalid_date"),
        ("/stats/firsts-publications?from=2000-03-01&to=2000-01-01", "invalid_date_range"),
        ("/stats/publications?from=2000-01-01&to=2001-12-31", "date_range_too_long"),
        ("/stats/firsts-publications?from=1990-01-01&to=2001-01-01", "date_range_too_long"),
        ("/stats/metrics-incubateur?limit=0", "invalid_limit"),
        ("/stats/metrics-incubateur?limit=1001", "invalid_limit"),
        ("/stats/metrics-incubateur?offset=-1", "invalid_offset"),
    ] {
        let (status, answer) = h.admin(Method::GET, path, None).await;
        assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{path}");
    }

    // The last publication of each commune: long ago for 91400-91402, today for 91404.
    h.revision(other, "91404", true, Some(Utc::now())).await;
    let metrics = h.ok(Method::GET, "/stats/metrics-incubateur", None).await;
    assert_eq!(metrics["count"], 4);
    let insee: Vec<&str> =
        metrics["results"].as_array().unwrap().iter().map(|r| r["insee"].as_str().unwrap()).collect();
    assert_eq!(insee, ["91400", "91401", "91402", "91404"]);
    assert_eq!(metrics["results"][0]["metrics"], json!({"tu": 1, "yau": 0, "mau": 0, "wau": 0}));
    assert_eq!(metrics["results"][3]["metrics"], json!({"tu": 1, "yau": 1, "mau": 1, "wau": 1}));
    let page = h.ok(Method::GET, "/stats/metrics-incubateur?offset=1&limit=2", None).await;
    let insee: Vec<&str> =
        page["results"].as_array().unwrap().iter().map(|r| r["insee"].as_str().unwrap()).collect();
    assert_eq!((page["count"].as_u64(), insee), (Some(4), vec!["91401", "91402"]));
});

on_every_backend!(last_revisions_show_each_commune_s_latest, |h: Harness| async move {
    let author = h.client(json!({"authorizationStrategy": "internal"})).await;
    let stranger = h.client(json!({"authorizationStrategy": "internal"})).await;
    let (author_id, author_token) = (author["id"].as_str().unwrap(), author["token"].as_str().unwrap());
    let published = h.revision(author_id, "54084", true, Some(Utc::now())).await;
    let draft = h.revision(author_id, "54084", false, None).await;
    let other = h.revision(author_id, "67482", true, Some(Utc::now())).await;

    let latest = |token: Option<String>| {
        let h = &h;
        async move {
            let (status, headers, page) = h
                .send_raw(Method::GET, "/last-revisions", token.as_deref(), Body::empty(), "application/json")
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(headers["x-total-count"], "2");
            page.as_array().unwrap().clone()
        }
    };
    // Everyone: the published revisions; the author and the administrators: its draft.
    let public = latest(None).await;
    assert_eq!(public.len(), 2);
    assert_eq!(
        (public[0]["id"].as_str(), public[0]["codeCommune"].as_str()),
        (Some(published.as_str()), Some("54084"))
    );
    assert_eq!(
        (public[0]["status"].as_str(), public[0]["isValid"].as_bool()),
        (Some("published"), Some(true))
    );
    assert_eq!(public[1]["id"], other.as_str());
    assert!(public[0].get("validation").is_none() && public[0].get("context").is_none());
    let theirs = latest(Some(stranger["token"].as_str().unwrap().to_owned())).await;
    assert_eq!(theirs[0]["id"], published.as_str());
    for token in [author_token, ADMIN] {
        let all = latest(Some(token.to_owned())).await;
        assert_eq!(all[0]["id"], draft.as_str());
        assert_eq!(
            (all[0]["status"].as_str(), all[0]["isReady"].as_bool(), all[0]["isValid"].as_bool()),
            (Some("pending"), Some(false), Some(false))
        );
        let read: ban_store::LastRevision = serde_json::from_value(all[0].clone()).unwrap();
        assert_eq!(serde_json::to_value(read).unwrap(), all[0]);
    }
    // In pages.
    let (status, headers, page) = h
        .send_raw(Method::GET, "/last-revisions?limit=1&page=2", None, Body::empty(), "application/json")
        .await;
    assert_eq!((status, page.as_array().unwrap().len()), (StatusCode::OK, 1));
    assert_eq!(page[0]["id"], other.as_str());
    assert!(headers[header::LINK].to_str().unwrap().contains("rel=\"prev\""));
    let (status, answer) = h.call(Method::GET, "/last-revisions?limit=5000", None, None).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_limit")));
    let (status, _) = h.call(Method::GET, "/last-revisions", Some("wrong-token"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

#[tokio::test]
async fn openapi_describes_the_administration() {
    let h = common::sqlite(&common::args(|a| a)).await;
    let (status, spec) = h.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    ban_service_kit::openapi::check_document(&spec).unwrap();
    for (method, path, _) in admin_routes() {
        let path = path.replace(NOBODY, "{x}");
        let described = spec["paths"].as_object().unwrap().iter().any(|(p, item)| {
            let p = p
                .replace("{client_id}", "{x}")
                .replace("{mandataire_id}", "{x}")
                .replace("{chef_de_file_id}", "{x}");
            p == path && item[method.as_str().to_lowercase()].is_object()
        });
        assert!(described, "{method} {path}");
    }
    let create = &spec["paths"]["/clients"]["post"];
    assert_eq!(create["security"][0], json!({"adminToken": []}));
    for status in ["401", "403", "404", "409", "422"] {
        assert!(create["responses"][status]["content"]["application/problem+json"].is_object(), "{status}");
    }
    assert_eq!(spec["paths"]["/last-revisions"]["get"]["security"][0], json!({}));
    for model in [
        "Client",
        "ClientWithToken",
        "Mandataire",
        "ChefDeFile",
        "LastRevision",
        "MetricsIncubateur",
        "PublicationsDay",
        "FirstPublicationsDay",
    ] {
        assert!(spec["components"]["schemas"][model].is_object(), "schema {model}");
    }
    assert!(spec["components"]["schemas"]["Problem"]["properties"]["field"].is_object());
}
