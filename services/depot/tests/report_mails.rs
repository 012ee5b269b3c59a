//! The e-mails of citizen reports and the bounds against their abuse, through the depot's
//! routes and its notifier, with a real SMTP server (`tests/smtp_server.py`), on a fresh
//! database per test (SQLite always, PostgreSQL in a schema `rml_*` when `TEST_DATABASE_URL`
//! is set): the town hall gets each new report (a link to the commune's page, never the
//! author), or one digest a day; the author is told when the report is processed (by the
//! commune, or by a publication) or ignored; one address has a bounded number of pending
//! reports per commune; a commune ignores a spammer's reports at once.
#![allow(clippy::unwrap_used)]
#[macro_use]
mod common;
#[path = "../../../tests/smtp_server.rs"]
mod smtp_server;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use ban_depot::{Notifier, ReportMailSettings, SmtpMailer, SmtpSettings};
use ban_service_kit::SecretUrl;
use ban_store::{AuthorizationStrategy, NoticeStatus, ReportDecision, ReportMailKind, ReportStatus, Store};
use chrono::{Days, Utc};
use serde_json::{json, Value};
use smtp_server::{Mode, Received, SmtpServer};

use common::{args, import_directory, Answer, Call, Harness, ADMIN};

/// The PostgreSQL schemas of this file's tests.
const SCHEMA_PREFIX: &str = "rml_";
/// The main town hall's addresses in the directory fixture (`data/directory/`).
const TOWN_HALL: &str = "mairie@mont-bonvillers.invalid";
const AUTHOR: &str = "jeanne.martin@example.org";
const SITE: &str = "https://adresse.example.fr";

/// Number `numero` asked on an existing street of Mont-Bonvillers, by an author who left
/// their name and e-mail.
fn creation(numero: u32) -> Value {
    json!({
        "codeCommune": "54084",
        "type": "LOCATION_TO_CREATE",
        "existingLocation": {"type": "VOIE", "nom": "Allée des Acacias"},
        "changesRequested": {
            "numero": numero, "suffixe": "bis", "nomVoie": "Allée des Acacias",
            "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": [5.8335, 49.3259]}}],
            "comment": format!("Maison neuve au {numero}")
        },
        "author": {"firstName": "Jeanne", "lastName": "Martin", "email": AUTHOR}
    })
}

/// The notifier of the depot, sending through `server`.
fn notifier(store: Arc<dyn Store>, server: &SmtpServer) -> Notifier {
    let mailer = SmtpMailer::new(&SmtpSettings {
        url: SecretUrl::new(format!("smtp://127.0.0.1:{}", server.port)),
        from: "ne-pas-repondre@ban-sync.example".into(),
        bcc: None,
        ca_file: None,
    })
    .unwrap();
    Notifier::new(store, Arc::new(mailer))
        .with_report_mails(ReportMailSettings { public_url: SITE.into(), digest_hour: 6 })
}

impl Harness {
    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.request(Call::json(method, path, token, Some(&body))).await
    }

    /// A report sent from `from`: the answer.
    async fn report_from(&self, from: &str, body: Value) -> Answer {
        let call = Call { from: Some(from), ..Call::json(Method::POST, "/signalements", None, Some(&body)) };
        self.request(call).await
    }

    /// A report sent from `from`: its id.
    async fn reported(&self, from: &str, body: Value) -> String {
        let answer = self.report_from(from, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }
}

/// The messages sent to `address`.
fn to(received: &[Received], address: &str) -> Vec<Received> {
    received.iter().filter(|m| m.rcpt_tos.iter().any(|r| r == address)).cloned().collect()
}

on_every_backend!(a_new_report_reaches_the_town_hall_without_its_author, |h: Harness| async move {
    import_directory(&*h.store).await;
    let server = SmtpServer::start(Mode::Plain, None);
    let notifier = notifier(h.store.clone(), &server);
    let id = h.reported("192.0.2.1", creation(14)).await;

    assert_eq!(notifier.send_pending().await.unwrap(), 1);
    let received = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert!(mail.rcpt_tos.iter().any(|r| r == TOWN_HALL), "{:?}", mail.rcpt_tos);
    assert_eq!(mail.subject, "Nouveau signalement d’adresse pour Mont-Bonvillers (54084)");
    for part in [
        "Demande : Créer une adresse",
        "Concerne : la voie Allée des Acacias",
        "Demandé : 14 bis Allée des Acacias",
        "Commentaire : Maison neuve au 14",
        "position (entrée) : latitude 49.325900, longitude 5.833500",
        "https://adresse.example.fr/commune/54084",
        id.as_str(),
    ] {
        assert!(mail.body.contains(part), "{part}: {}", mail.body);
    }
    // Never who reported.
    for secret in ["Jeanne", "Martin", "jeanne", "192.0.2.1"] {
        assert!(!mail.body.contains(secret) && !mail.subject.contains(secret), "{secret}: {}", mail.body);
    }
    // Sent once.
    assert_eq!(notifier.send_pending().await.unwrap(), 0);
    let mails = h.store.report_mails("54084").await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].kind, mails[0].status), (ReportMailKind::NewReport, NoticeStatus::Sent));
    assert!(mails[0].recipients.as_deref().unwrap().contains(TOWN_HALL));
});

on_every_backend!(a_daily_digest_groups_the_days_reports_in_one_mail, |h: Harness| async move {
    import_directory(&*h.store).await;
    let server = SmtpServer::start(Mode::Plain, None);
    let notifier = notifier(h.store.clone(), &server);
    let settings = json!({"accepted": true, "dailyDigest": true});
    let saved = h.call(Method::PUT, "/communes/54084/signalements/settings", Some(ADMIN), settings).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let today = Utc::now().date_naive();
    for numero in [14, 15, 16] {
        h.reported(&format!("192.0.2.{numero}"), creation(numero)).await;
    }
    // Nothing at once, nor before the digest's hour the next day.
    assert_eq!(notifier.send_pending().await.unwrap(), 0);
    let tomorrow = today + Days::new(1);
    let before = tomorrow.and_hms_opt(5, 59, 0).unwrap().and_utc();
    assert_eq!(notifier.queue_report_digests(before).await.unwrap(), 0);
    let due = tomorrow.and_hms_opt(6, 30, 0).unwrap().and_utc();
    assert_eq!(notifier.queue_report_digests(due).await.unwrap(), 1);
    assert_eq!(notifier.send_pending().await.unwrap(), 1);
    // Queued once: a restarted notifier (or the next minute's look) owes nothing more.
    assert_eq!(notifier.queue_report_digests(due + chrono::Duration::hours(3)).await.unwrap(), 0);
    assert_eq!(notifier.send_pending().await.unwrap(), 0);

    let received = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1, "{received:#?}");
    let mail = &received[0];
    assert!(mail.rcpt_tos.iter().any(|r| r == TOWN_HALL), "{:?}", mail.rcpt_tos);
    let day = today.format("%d/%m/%Y").to_string();
    assert_eq!(
        mail.subject,
        format!("Signalements d’adresse pour Mont-Bonvillers (54084) : récapitulatif du {day}")
    );
    for part in
        ["3 signalements d’adresse ont été reçus", "14 bis Allée", "15 bis Allée", "16 bis Allée", SITE]
    {
        assert!(mail.body.contains(part), "{part}: {}", mail.body);
    }
    assert!(!mail.body.contains("Jeanne") && !mail.body.contains(AUTHOR), "{}", mail.body);

    // Back to one e-mail per report: the next report is told at once.
    let settings = json!({"accepted": true, "dailyDigest": false});
    h.call(Method::PUT, "/communes/54084/signalements/settings", Some(ADMIN), settings).await;
    h.reported("192.0.2.20", creation(20)).await;
    assert_eq!(notifier.send_pending().await.unwrap(), 1);
    let received = server.wait_for(2, Duration::from_secs(10)).await;
    assert!(received[1].subject.starts_with("Nouveau signalement"), "{}", received[1].subject);
});

on_every_backend!(the_author_is_told_when_the_report_is_processed_or_ignored, |h: Harness| async move {
    import_directory(&*h.store).await;
    let server = SmtpServer::start(Mode::Plain, None);
    let notifier = notifier(h.store.clone(), &server);
    let done = h.reported("192.0.2.1", creation(14)).await;
    let refused = h.reported("192.0.2.1", creation(15)).await;
    let published = h.reported("192.0.2.1", creation(16)).await;
    let mut anonymous = creation(17);
    anonymous.as_object_mut().unwrap().remove("author");
    let anonymous = h.reported("192.0.2.1", anonymous).await;

    let harness = &h;
    let decide = |id: &str, body: Value| {
        let path = format!("/signalements/{id}");
        async move { harness.call(Method::PUT, &path, Some(ADMIN), body).await }
    };
    assert_eq!(decide(&done, json!({"status": "PROCESSED"})).await.status, StatusCode::OK);
    let reason = "Le 15 bis n’existe pas : la parcelle est le 13.";
    let ignored = decide(&refused, json!({"status": "IGNORED", "rejectionReason": reason})).await;
    assert_eq!(ignored.status, StatusCode::OK, "{}", ignored.body);
    assert_eq!(decide(&anonymous, json!({"status": "PROCESSED"})).await.status, StatusCode::OK);
    // Closed by a publication, as the consolidator closes it (see its tests).
    let by_publication = ReportDecision {
        status: ReportStatus::Processed,
        actor: "consolidation".into(),
        reason: Some("Appliqué par la publication de la révision rev-42.".into()),
        revision_id: Some("rev-42".into()),
        at: Utc::now(),
        tell_author: true,
    };
    h.store.decide_report(&published, by_publication).await.unwrap();

    // Four new reports to the town hall, three decisions to the author (none for the
    // report without an e-mail).
    assert_eq!(notifier.send_pending().await.unwrap(), 7);
    let received = server.wait_for(7, Duration::from_secs(10)).await;
    let told = to(&received, AUTHOR);
    assert_eq!(told.len(), 3, "{told:#?}");
    let about =
        |id: &str| told.iter().find(|m| m.body.contains(id)).unwrap_or_else(|| panic!("{id}: {told:#?}"));
    let mail = about(&done);
    assert_eq!(mail.subject, "Votre signalement d’adresse à Mont-Bonvillers (54084) a été traité");
    assert!(
        mail.body.contains("La commune l’a traité.") && mail.body.contains("14 bis Allée"),
        "{}",
        mail.body
    );
    let mail = about(&refused);
    assert_eq!(mail.subject, "Votre signalement d’adresse à Mont-Bonvillers (54084) n’a pas été retenu");
    assert!(mail.body.contains(&format!("Motif : {reason}")), "{}", mail.body);
    let mail = about(&published);
    assert!(mail.body.contains("révision rev-42"), "{}", mail.body);
    assert!(told.iter().all(|m| m.body.contains("https://adresse.example.fr/commune/54084")));
    assert_eq!(to(&received, TOWN_HALL).len(), 4);
});

on_every_backend!(a_relay_away_is_tried_again_later, |h: Harness| async move {
    import_directory(&*h.store).await;
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = SmtpMailer::new(&SmtpSettings {
        url: SecretUrl::new(format!("smtp://127.0.0.1:{port}")),
        from: "ne-pas-repondre@ban-sync.example".into(),
        bcc: None,
        ca_file: None,
    })
    .unwrap();
    let notifier = Notifier::new(h.store.clone(), Arc::new(mailer));
    h.reported("192.0.2.1", creation(14)).await;
    assert_eq!(notifier.send_pending().await.unwrap(), 1);
    let mail = h.store.report_mails("54084").await.unwrap().remove(0);
    assert_eq!((mail.status, mail.attempts), (NoticeStatus::Pending, 1));
    assert!(mail.message.as_deref().unwrap().contains("unavailable"), "{mail:?}");
    // Not before its wait.
    assert_eq!(notifier.send_pending().await.unwrap(), 0);
});

on_every_backend!(
    one_address_has_few_pending_reports_per_commune,
    args(|a| ban_depot::DepotArgs { reports_per_ip: 0, max_pending_reports_per_ip: 2, ..a }),
    |h: Harness| async move {
        let first = h.reported("192.0.2.7", creation(14)).await;
        h.reported("192.0.2.7", creation(15)).await;
        let refused = h.report_from("192.0.2.7", creation(16)).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert_eq!(refused.body["code"], "too_many_pending_reports");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("Déjà 2 signalements en attente") && detail.contains("54084"), "{detail}");
        // Another address may; once the commune decided on one, this one may again.
        h.reported("192.0.2.8", creation(16)).await;
        let path = format!("/signalements/{first}");
        let decided = h.call(Method::PUT, &path, Some(ADMIN), json!({"status": "PROCESSED"})).await;
        assert_eq!(decided.status, StatusCode::OK);
        h.reported("192.0.2.7", creation(16)).await;
    }
);

on_every_backend!(
    a_commune_ignores_a_spammers_reports_at_once,
    args(|a| ban_depot::DepotArgs { reports_per_ip: 0, max_pending_reports_per_ip: 0, ..a }),
    |h: Harness| async move {
        let spam: Vec<String> = {
            let mut ids = Vec::new();
            for numero in 1..=4 {
                ids.push(h.reported("192.0.2.66", creation(numero)).await);
            }
            ids
        };
        let resident = h.reported("192.0.2.8", creation(20)).await;
        let other = h.reported("192.0.2.9", creation(21)).await;
        // One of the spam decided already: left as it is.
        let path = format!("/signalements/{}", spam[3]);
        h.call(Method::PUT, &path, Some(ADMIN), json!({"status": "PROCESSED"})).await;

        let body = json!({"sameSourceAs": spam[0], "ids": [other]});
        let done = h.call(Method::POST, "/communes/54084/signalements/ignore", Some(ADMIN), body).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let ignored: Vec<&str> =
            done.body["ignored"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(ignored, [other.as_str(), spam[0].as_str(), spam[1].as_str(), spam[2].as_str()]);
        assert_eq!(done.body["notPending"], json!([]));
        assert!(!done.body.to_string().contains("192.0.2"), "the address is never shown: {}", done.body);
        for id in &spam[..3] {
            let read = h.call(Method::GET, &format!("/signalements/{id}"), None, Value::Null).await;
            assert_eq!(read.body["status"], "IGNORED");
            assert_eq!(read.body["rejectionReason"], "Signalement abusif.");
            let last = read.body["events"].as_array().unwrap().last().unwrap().clone();
            assert_eq!((last["status"].as_str(), last["actor"].as_str()), (Some("IGNORED"), Some("admin")));
        }
        let read = h.call(Method::GET, &format!("/signalements/{resident}"), None, Value::Null).await;
        assert_eq!(read.body["status"], "PENDING");
        // Spam authors are not written to: their address may be anyone's.
        let mails = h.store.report_mails("54084").await.unwrap();
        assert!(mails.iter().all(|m| m.kind != ReportMailKind::IgnoredToAuthor), "{mails:?}");
        // Again: nothing pending any more.
        let body = json!({"ids": [other], "rejectionReason": "Publicité"});
        let again = h.call(Method::POST, "/communes/54084/signalements/ignore", Some(ADMIN), body).await;
        assert_eq!(
            (again.body["ignored"].clone(), again.body["notPending"].clone()),
            (json!([]), json!([other]))
        );

        // Refusals, each naming what is wrong; nothing changes.
        let harness = &h;
        let refusal = |token: Option<&'static str>, commune: &'static str, body: Value| {
            let path = format!("/communes/{commune}/signalements/ignore");
            async move { harness.call(Method::POST, &path, token, body).await }
        };
        let answer = refusal(None, "54084", json!({"ids": [resident]})).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let (_, outsider) = h.new_client(AuthorizationStrategy::ChefDeFile, &["departement:75"]).await;
        let path = "/communes/54084/signalements/ignore";
        let answer = h.call(Method::POST, path, Some(&outsider), json!({"ids": [resident]})).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_commune"))
        );
        let answer = refusal(Some(ADMIN), "54084", json!({})).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("nothing_to_ignore"))
        );
        let answer = refusal(Some(ADMIN), "54084", json!({"ids": ["nope"]})).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("report_not_found"))
        );
        let answer = refusal(Some(ADMIN), "54578", json!({"ids": [resident]})).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str(), answer.body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_of_commune"), Some("ids[0]"))
        );
        let answer = refusal(Some(ADMIN), "54578", json!({"sameSourceAs": resident})).await;
        assert_eq!(answer.body["field"], "sameSourceAs");
        let answer = refusal(Some(ADMIN), "99999", json!({"ids": [resident]})).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("commune_not_found"))
        );
        let answer = refusal(Some(ADMIN), "54084", json!({"ids": [resident], "bogus": 1})).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        let read = h.call(Method::GET, &format!("/signalements/{resident}"), None, Value::Null).await;
        assert_eq!(read.body["status"], "PENDING");
    }
);
