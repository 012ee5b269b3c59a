//! The town-hall directory behind PIN codes, the limits against guessing, and the audit log,
//! through the depot's routes on a fresh database per test (SQLite always, PostgreSQL in a
//! schema `dir_*` when `TEST_DATABASE_URL` is set): a code goes only to an address of the
//! commune's town halls, a resend gives no new tries, pending habilitations are capped, code
//! checks and failed authentications are limited with 429 and `Retry-After` (a client that
//! relays people, the web pages', per address it passes on), and every
//! action lands in the audit log that administrators read.
#![allow(clippy::unwrap_used)]
#[macro_use]
mod common;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use ban_depot::DepotArgs;
use ban_store::AuthorizationStrategy;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{args, Answer, Call, Harness, ADMIN};

/// The PostgreSQL schemas of this file's tests.
const SCHEMA_PREFIX: &str = "dir_";
/// The fixture's addresses of Mont-Bonvillers (54084), in its order.
const MONT_BONVILLERS: [&str; 2] = ["mairie@mont-bonvillers.invalid", "secretariat@mont-bonvillers.invalid"];

impl Harness {
    async fn client(&self) -> (String, String) {
        self.new_client(AuthorizationStrategy::Habilitation, &[]).await
    }

    /// Imports the directory fixture of `data/directory/`.
    async fn import_fixture(&self) {
        common::import_directory(&*self.store).await
    }

    /// A request with a JSON body, from the address `from` when given.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
        from: Option<&str>,
    ) -> Answer {
        let mut call = Call::json(method, path, token, Some(&body));
        call.from = from;
        self.request(call).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), body, None).await
    }

    /// A new habilitation of the client `token` for `commune`: its id.
    async fn habilitation(&self, token: &str, commune: &str) -> String {
        let answer = self.post(&format!("/communes/{commune}/habilitations"), token, json!({})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    async fn send(&self, token: &str, id: &str, email: &str) -> Answer {
        let path = format!("/habilitations/{id}/authentication/email/send-pin-code");
        self.post(&path, token, json!({ "email": email })).await
    }

    async fn check(&self, token: &str, id: &str, code: &str, from: Option<&str>) -> Answer {
        let path = format!("/habilitations/{id}/authentication/email/validate-pin-code");
        self.call(Method::POST, &path, Some(token), json!({ "code": code }), from).await
    }

    async fn pin(&self, id: &str) -> String {
        self.store.habilitation(id).await.unwrap().unwrap().pin_code.unwrap().expose().to_owned()
    }

    /// The audit log as administrators read it (`query`: the filters and page).
    async fn audit(&self, query: &str) -> Answer {
        let answer =
            self.call(Method::GET, &format!("/admin/audit{query}"), Some(ADMIN), Value::Null, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer
    }
}

/// A code that is not `pin`.
fn wrong(pin: &str) -> &'static str {
    if pin == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// The actions of a page of the audit log, oldest first.
fn actions(page: &Value) -> Vec<String> {
    let mut actions: Vec<String> =
        page.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    actions.reverse();
    actions
}

on_every_backend!(emails_as_the_production_depot_answers, args(|a| a), |h: Harness| async move {
    let emails = |code: &'static str| {
        let h = &h;
        async move {
            let answer =
                h.call(Method::GET, &format!("/communes/{code}/emails"), None, Value::Null, None).await;
            assert_eq!(answer.status, StatusCode::OK, "{code}: never 404");
            answer.body
        }
    };
    assert_eq!(emails("54084").await, json!([]), "no directory yet");
    h.import_fixture().await;
    assert_eq!(emails("54084").await, json!(MONT_BONVILLERS), "a;b cut in order");
    assert_eq!(
        emails("57463").await,
        json!(["mairie@metz.invalid", "magny@metz.invalid"]),
        "the delegated office's too"
    );
    assert_eq!(
        emails("54111").await,
        json!(["mairie@chaligny.invalid"]),
        "no trim: \"; accueil@…\" is not offered"
    );
    assert_eq!(emails("54578").await, json!([]), "an invalid address only");
    assert_eq!(emails("31591").await, json!([]), "a town hall without address");
    assert_eq!(emails("99999").await, json!([]), "unknown");
    assert_eq!(emails("pas-un-code").await, json!([]), "not even a code");
});

on_every_backend!(the_code_goes_only_to_the_town_hall, args(|a| a), |h: Harness| async move {
    h.import_fixture().await;
    let (client, token) = h.client().await;
    let id = h.habilitation(&token, "54084").await;
    for stranger in [
        "attaquant@example.org",
        "Mairie@mont-bonvillers.invalid",
        " mairie@mont-bonvillers.invalid",
        "mairie@strasbourg.invalid",
        "ccas@mont-bonvillers.invalid",
    ] {
        let answer = h.send(&token, &id, stranger).await;
        assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED, "{stranger}");
        assert_eq!(answer.body["code"], "not_commune_email", "{stranger}");
        assert_eq!(
            answer.body["detail"],
            "Impossible d’envoyer le code, l’email préconisé n’appartient pas à la commune"
        );
    }
    assert!(h.store.habilitation(&id).await.unwrap().unwrap().pin_code.is_none(), "no code sent");

    // The whole flow with a listed address: code sent, given, habilitation accepted, publication.
    let sent = h.send(&token, &id, MONT_BONVILLERS[1]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.body["emailCommune"], MONT_BONVILLERS[1]);
    let pin = h.pin(&id).await;
    let accepted = h.check(&token, &id, &pin, None).await;
    assert_eq!((accepted.status, accepted.body["status"].as_str()), (StatusCode::OK, Some("accepted")));
    let revision = h.post("/communes/54084/revisions", &token, json!({"context": {}})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bal = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/54084_mont-bonvillers.csv"),
    )
    .unwrap();
    let upload = Request::builder()
        .method(Method::PUT)
        .uri(format!("/revisions/{revision}/files/bal"))
        .header(header::AUTHORIZATION, format!("Token {token}"))
        .body(Body::from(bal))
        .unwrap();
    assert_eq!(h.app.clone().oneshot(upload).await.unwrap().status(), StatusCode::OK);
    let computed = h.post(&format!("/revisions/{revision}/compute"), &token, Value::Null).await;
    assert_eq!(computed.status, StatusCode::OK);
    let published =
        h.post(&format!("/revisions/{revision}/publish"), &token, json!({"habilitationId": id})).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);

    // Each step is in the audit log, with who, what, which object; never the code.
    let log = h.audit("?commune=54084").await.body;
    assert_eq!(
        actions(&log),
        ["habilitation.created", "habilitation.code_sent", "habilitation.accepted", "revision.published"]
    );
    for entry in log.as_array().unwrap() {
        assert_eq!(entry["actor"], client.as_str());
        assert_eq!(entry["clientId"], client.as_str());
        assert!(!entry.to_string().contains(&pin), "the code never reaches the log: {entry}");
    }
    let sent = &log[2];
    assert_eq!(sent["objectId"], id.as_str());
    assert!(sent["detail"].as_str().unwrap().contains(MONT_BONVILLERS[1]), "{sent}");
    assert_eq!(log[0]["objectId"], revision.as_str());
});

on_every_backend!(a_commune_without_address_is_told_so, args(|a| a), |h: Harness| async move {
    let (client, token) = h.client().await;
    let id = h.habilitation(&token, "31591").await;
    let answer = h.send(&token, &id, "mairie@escoulis.fr").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("commune_without_email"))
    );
    assert!(answer.body["detail"].as_str().unwrap().contains("pas encore été chargé"), "{}", answer.body);
    h.import_fixture().await;
    let answer = h.send(&token, &id, "mairie@escoulis.fr").await;
    assert_eq!(answer.body["code"], "commune_without_email");
    let detail = answer.body["detail"].as_str().unwrap();
    assert!(detail.contains("La commune 31591 n’a aucune adresse électronique de mairie"), "{detail}");
    assert!(detail.contains(&format!("PUT /habilitations/{id}/validate")), "{detail}");

    // An administrator accepts it by hand: logged, as the administrator, on the client's object.
    let path = format!("/habilitations/{id}/validate");
    let refused = h.call(Method::PUT, &path, Some(&token), Value::Null, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "a client's token is known, not an administrator's");
    let forced = h.call(Method::PUT, &path, Some(ADMIN), Value::Null, Some("192.0.2.10")).await;
    assert_eq!((forced.status, forced.body["status"].as_str()), (StatusCode::OK, Some("accepted")));
    let log = h.audit("?action=habilitation.forced").await.body;
    let [entry] = log.as_array().unwrap().as_slice() else { panic!("{log}") };
    assert_eq!(entry["actor"], "admin");
    assert_eq!(entry["clientId"], client.as_str());
    assert_eq!(entry["objectId"], id.as_str());
    assert_eq!(entry["codeCommune"], "31591");
    assert_eq!(entry["ip"], "192.0.2.10");
});

on_every_backend!(a_resend_gives_no_new_tries, args(|a| a), |h: Harness| async move {
    h.import_fixture().await;
    let (_, token) = h.client().await;
    let id = h.habilitation(&token, "54084").await;
    assert_eq!(h.send(&token, &id, MONT_BONVILLERS[0]).await.status, StatusCode::OK);
    let first = h.pin(&id).await;
    for left in [9, 8, 7] {
        let answer = h.check(&token, &id, wrong(&first), None).await;
        assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
        assert!(
            answer.body["detail"].as_str().unwrap().contains(&format!("{left} tentatives")),
            "{}",
            answer.body
        );
    }
    // Five minutes later (the code's sending moved back), a new code: the tries stay at 7.
    let mut h_read = h.store.habilitation(&id).await.unwrap().unwrap();
    let read_at = h_read.updated_at;
    h_read.pin_sent_at = Some(chrono::Utc::now() - chrono::Duration::minutes(6));
    h_read.updated_at = chrono::Utc::now();
    h.store.update_habilitation(&h_read, read_at).await.unwrap();
    let resent = h.send(&token, &id, MONT_BONVILLERS[0]).await;
    assert_eq!(resent.status, StatusCode::OK);
    assert_eq!(resent.body["remainingAttempts"], 7, "a resend does not restore the tries");
    let second = h.pin(&id).await;
    for _ in 0..6 {
        assert_eq!(h.check(&token, &id, wrong(&second), None).await.status, StatusCode::PRECONDITION_FAILED);
    }
    let last = h.check(&token, &id, wrong(&second), None).await;
    assert_eq!(last.body["code"], "pin_code_rejected", "10 tries in all: {}", last.body);
    let closed = h.check(&token, &id, &second, None).await;
    assert_eq!(closed.body["code"], "habilitation_closed");
    let log =
        h.audit(&format!("?client={}", h.store.habilitation(&id).await.unwrap().unwrap().client_id)).await;
    let log = actions(&log.body);
    assert_eq!(log.iter().filter(|a| *a == "habilitation.code_refused").count(), 10);
    assert_eq!(log.iter().filter(|a| *a == "habilitation.code_sent").count(), 2);
    assert_eq!(log.last().map(String::as_str), Some("habilitation.rejected"));
});

on_every_backend!(
    pending_habilitations_are_capped,
    args(|a| DepotArgs { max_open_habilitations: 2, ..a }),
    |h: Harness| async move {
        let (_, token) = h.client().await;
        let (_, other) = h.client().await;
        let first = h.habilitation(&token, "54084").await;
        let second = h.habilitation(&token, "54084").await;
        let refused = h.post("/communes/54084/habilitations", &token, json!({})).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert_eq!(refused.body["code"], "too_many_open_habilitations");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains(&first) && detail.contains(&second), "the open ones are named: {detail}");
        // Another commune, another client: their own caps.
        h.habilitation(&token, "67482").await;
        h.habilitation(&other, "54084").await;
        // An accepted habilitation is no longer open.
        let forced = h
            .call(Method::PUT, &format!("/habilitations/{first}/validate"), Some(ADMIN), Value::Null, None)
            .await;
        assert_eq!(forced.status, StatusCode::OK);
        h.habilitation(&token, "54084").await;
    }
);

on_every_backend!(
    code_checks_and_failed_authentications_are_limited,
    args(|a| DepotArgs { pin_checks_per_client: 3, pin_checks_per_ip: 4, auth_failures_per_ip: 2, ..a }),
    |h: Harness| async move {
        h.import_fixture().await;
        let (_, token) = h.client().await;
        let (_, other) = h.client().await;
        let id = h.habilitation(&token, "54084").await;
        let theirs = h.habilitation(&other, "54084").await;
        for (token, id) in [(&token, &id), (&other, &theirs)] {
            assert_eq!(h.send(token, id, MONT_BONVILLERS[0]).await.status, StatusCode::OK);
        }
        let pin = h.pin(&id).await;
        let from = Some("198.51.100.1");
        for _ in 0..3 {
            assert_eq!(h.check(&token, &id, wrong(&pin), from).await.status, StatusCode::PRECONDITION_FAILED);
        }
        let limited = h.check(&token, &id, &pin, from).await;
        assert_eq!(
            (limited.status, limited.body["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
        );
        let wait: u64 = limited.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let h_now = h.store.habilitation(&id).await.unwrap().unwrap();
        assert_eq!(
            (h_now.remaining_attempts, h_now.status.as_str()),
            (7, "pending"),
            "a refused check uses no try"
        );
        // The address has one check left, whoever checks; then it is refused too.
        let pin = h.pin(&theirs).await;
        assert_eq!(h.check(&other, &theirs, wrong(&pin), from).await.status, StatusCode::PRECONDITION_FAILED);
        let by_address = h.check(&other, &theirs, &pin, from).await;
        assert_eq!(by_address.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(by_address.body["detail"].as_str().unwrap().contains("adresse"), "{}", by_address.body);
        assert_eq!(h.check(&other, &theirs, &pin, Some("198.51.100.2")).await.status, StatusCode::OK);

        // Wrong tokens: 401 twice from an address, then 429 with Retry-After; elsewhere 401.
        let path = "/communes/54084/habilitations";
        for _ in 0..2 {
            let answer = h.call(Method::POST, path, Some("pas-un-jeton"), json!({}), from).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        }
        let limited = h.call(Method::POST, path, Some("encore-faux"), json!({}), from).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers.contains_key(header::RETRY_AFTER));
        let admin = h.call(Method::GET, "/admin/audit", Some("faux"), Value::Null, from).await;
        assert_eq!(admin.status, StatusCode::TOO_MANY_REQUESTS, "wrong administration tokens count too");
        let elsewhere =
            h.call(Method::POST, path, Some("pas-un-jeton"), json!({}), Some("203.0.113.5")).await;
        assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
        // A right token is never refused for others' failures.
        assert_eq!(
            h.call(Method::POST, path, Some(&token), json!({}), from).await.status,
            StatusCode::CREATED
        );
    }
);

on_every_backend!(
    a_client_that_relays_people_has_its_checks_counted_per_address,
    args(|a| DepotArgs { pin_checks_per_client: 2, pin_checks_per_ip: 0, ..a }),
    |h: Harness| async move {
        h.import_fixture().await;
        // The web pages' client, as `ban serve` makes it (RELAY_CLIENTS names it by default).
        let input = ban_depot::administration::CreateClient {
            nom: "Pages web BAN Sync".into(),
            mandataire: Some("BAN Sync".into()),
            legacy_id: Some("formulaire-publication".into()),
            ..Default::default()
        };
        let origin = ban_depot::administration::Origin::default();
        let web = ban_depot::administration::create_client(&*h.store, origin, input).await.unwrap().token;
        let (_, editor) = h.client().await;
        let ours = h.habilitation(&web, "54084").await;
        let theirs = h.habilitation(&editor, "54084").await;
        for (token, id) in [(&web, &ours), (&editor, &theirs)] {
            assert_eq!(h.send(token, id, MONT_BONVILLERS[0]).await.status, StatusCode::OK);
        }

        // Through the pages: one person's two checks a minute, then 429 for that person only.
        let pin = h.pin(&ours).await;
        for _ in 0..2 {
            let answer = h.check(&web, &ours, wrong(&pin), Some("192.0.2.1")).await;
            assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
        }
        let limited = h.check(&web, &ours, &pin, Some("192.0.2.1")).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.body["detail"].as_str().unwrap().contains("jeton"), "{}", limited.body);
        let other_person = h.check(&web, &ours, &pin, Some("192.0.2.2")).await;
        assert_eq!(other_person.status, StatusCode::OK, "{}", other_person.body);

        // An ordinary client: all its checks together, from whatever address.
        let pin = h.pin(&theirs).await;
        for from in ["192.0.2.1", "192.0.2.2"] {
            let answer = h.check(&editor, &theirs, wrong(&pin), Some(from)).await;
            assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
        }
        let limited = h.check(&editor, &theirs, &pin, Some("192.0.2.3")).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    }
);

on_every_backend!(the_audit_log_for_administrators, args(|a| a), |h: Harness| async move {
    h.import_fixture().await;
    let (client, token) = h.client().await;
    let (_, other) = h.client().await;
    h.habilitation(&token, "54084").await;
    h.habilitation(&token, "67482").await;
    h.habilitation(&other, "54084").await;
    let answer = h.call(Method::GET, "/admin/audit", None, Value::Null, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = h.call(Method::GET, "/admin/audit", Some(&token), Value::Null, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "a client's token is not the administrators'");

    let all = h.audit("").await;
    assert_eq!(all.headers["x-total-count"], "3");
    let page = h.audit("?limit=2&page=2").await;
    assert_eq!(page.body.as_array().unwrap().len(), 1);
    assert!(page.headers[header::LINK].to_str().unwrap().contains("rel=\"prev\""));
    assert_eq!(h.audit("?commune=54084").await.headers["x-total-count"], "2");
    assert_eq!(h.audit(&format!("?client={client}")).await.headers["x-total-count"], "2");
    let both = h.audit(&format!("?client={client}&commune=67482&action=habilitation.created")).await;
    assert_eq!(both.headers["x-total-count"], "1");
    let none = h.audit("?action=revision.published").await;
    assert_eq!(none.body, json!([]));
    assert_eq!(none.headers["x-total-count"], "0");
    let bad = h.call(Method::GET, "/admin/audit?action=everything", Some(ADMIN), Value::Null, None).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_action")));
    assert!(bad.body["detail"].as_str().unwrap().contains("habilitation.forced"), "{}", bad.body);
    let entry = &all.body[0];
    for field in ["id", "at", "actor", "action", "objectId", "codeCommune", "clientId", "ip", "detail"] {
        assert!(entry.get(field).is_some(), "{field}: {entry}");
    }
});
