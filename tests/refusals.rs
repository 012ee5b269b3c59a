//! What a producer is told after "publish", through `ban serve` over HTTP with a real SMTP
//! server (STARTTLS, AUTH): the habilitation's PIN code arrives by e-mail; an applied
//! publication shows its counts; a publication refused at consolidation (a renumbered
//! commune: more than 80 % of its addresses deleted) shows its reason on the revision and
//! the commune's route, and its producer and town hall each get one e-mail, even when the job
//! is refused again and the server restarts; an administrator forces the plan and it is
//! applied.
#![allow(clippy::unwrap_used)]
mod smtp_server;
mod support;

use std::sync::Arc;
use std::time::Duration;

use ban::serve::{serve, HttpSettings, Services};
use ban_depot::DepotArgs;
use ban_service_kit::SecretUrl;
use ban_store::ids::{object_id, token};
use ban_store::{AuthorizationStrategy, NewClient, NoticeStatus, Store};
use serde_json::{json, Value};
use smtp_server::{Mode, Received, SmtpServer};
use support::JsonAnswer;

const ADMIN: &str = "admin-secret";
/// The town hall's address in the directory fixture (`data/directory/`).
const TOWN_HALL: &str = "mairie@mont-bonvillers.invalid";
const PRODUCER: &str = "contact@editeur.example";
const ARCHIVE: &str = "archives@ban-sync.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    refusals_reach_the_producer_and_the_town_hall_once(&format!(
        "sqlite://{}",
        dir.path().join("ban.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let Some(url) = support::fresh_postgres_schema("ntf_refusals").await else { return };
    refusals_reach_the_producer_and_the_town_hall_once(&url).await;
}

fn sample() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/samples/54084_mont-bonvillers.csv");
    std::fs::read_to_string(path).unwrap()
}

/// The sample renumbered (every number + 700, its `cle_interop` with it): as many rows, but
/// none of the commune's addresses is found again, all would be deleted.
fn renumbered(text: &str) -> String {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let columns: Vec<&str> = header.split(';').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let (numero, cle) = (at("numero"), at("cle_interop"));
    let mut out = vec![header.to_owned()];
    for line in lines {
        let mut cells: Vec<String> = line.split(';').map(str::to_owned).collect();
        let n: u32 = cells[numero].parse().unwrap();
        if n != 99999 {
            cells[numero] = (n + 700).to_string();
            let mut parts: Vec<String> = cells[cle].split('_').map(str::to_owned).collect();
            parts[2] = format!("{:05}", n + 700);
            cells[cle] = parts.join("_");
        }
        out.push(cells.join(";"));
    }
    out.join("\n") + "\n"
}

/// A running `ban serve` and how to call it.
struct Server {
    http: reqwest::Client,
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(store: Arc<dyn Store>, smtp: &SmtpServer) -> Server {
    let depot = DepotArgs {
        admin_token: Some(ADMIN.into()),
        // The password has a space and an accent, percent-encoded as a URL wants them.
        smtp_url: Some(SecretUrl::new(format!(
            "smtp://ban-sync:mot%20de%20pass%C3%A9@localhost:{}?tls=starttls",
            smtp.port
        ))),
        smtp_from: "ne-pas-repondre@ban-sync.example".into(),
        smtp_bcc: Some(ARCHIVE.into()),
        smtp_ca_file: smtp.certificate.clone(),
        ..DepotArgs::default()
    };
    let services = Services {
        depot: Some(depot),
        consolidator: Some(ban_consolidator::ConsolidatorArgs::default()),
        ..Services::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api-depot", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let http_settings =
        HttpSettings { rate_limits: ban_service_kit::RateLimits::none(), ..HttpSettings::default() };
    let task = tokio::spawn(serve(listener, store, services, http_settings, async {
        let _ = stopped.await;
    }));
    Server { http: reqwest::Client::new(), base, stop, task }
}

impl Server {
    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, answer) = self.call(reqwest::Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    /// Creates, uploads, computes and publishes a revision of 54084 with the habilitation: the
    /// publish answer.
    async fn publish(&self, token: &str, file: String, habilitation: &str) -> Value {
        let auth = format!("Token {token}");
        let created = self
            .http
            .post(format!("{}/communes/54084/revisions", self.base))
            .header("Authorization", &auth)
            .json(&json!({"context": {"nomComplet": "Jeanne Martin", "organisation": "Éditeur"}}))
            .json_answer()
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let upload = self
            .http
            .put(format!("{}/revisions/{id}/files/bal", self.base))
            .header("Authorization", &auth)
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 200);
        let (status, computed) = self.post(&format!("/revisions/{id}/compute"), Some(token), json!({})).await;
        assert_eq!((status, &computed["validation"]["valid"]), (200, &json!(true)), "{computed}");
        let (status, published) = self
            .post(&format!("/revisions/{id}/publish"), Some(token), json!({"habilitationId": habilitation}))
            .await;
        assert_eq!(status, 200, "{published}");
        published
    }

    /// Waits until the consolidation of a revision has `status` (and is not `before`): the
    /// revision's answer.
    async fn consolidated(&self, revision: &str, status: &str, before: Option<&Value>) -> Value {
        for _ in 0..600 {
            let answer = self.get(&format!("/revisions/{revision}")).await;
            let consolidation = &answer["consolidation"];
            if consolidation["status"] == status && before.is_none_or(|b| consolidation != b) {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("revision {revision} not {status} within 60 s");
    }
}

/// The e-mails of a refusal: to the producer and to the town hall, each once.
fn refusal_mails(received: &[Received]) -> Vec<&Received> {
    received.iter().filter(|m| m.body.contains("consolidation l’a refusée")).collect()
}

async fn refusals_reach_the_producer_and_the_town_hall_once(url: &str) {
    let smtp = SmtpServer::start(Mode::StartTls, Some(("ban-sync", "mot de passé")));
    let store: Arc<dyn Store> = ban_service_kit::open_store(url).await.unwrap();
    // The directory of town halls: PIN codes go only to its addresses.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/directory/api-lannuaire-administration.json");
    let export = ban_directory::read_export(std::fs::File::open(fixture).unwrap()).unwrap();
    let import = ban_store::NewDirectoryImport {
        source: "fixture".into(),
        sha256: String::new(),
        at: chrono::Utc::now(),
    };
    store.replace_directory(import, &export.town_halls).await.unwrap();
    let producer = store
        .create_client(NewClient {
            id: object_id(chrono::Utc::now()),
            nom: "Éditeur de BAL".into(),
            mandataire: "Société Éditrice".into(),
            email: Some(PRODUCER.into()),
            authorization_strategy: AuthorizationStrategy::Habilitation,
            perimeters: vec![],
            token: token(),
        })
        .await
        .unwrap();
    let token = producer.token.expose().to_owned();
    let server = start(store.clone(), &smtp).await;

    // The town hall's consent: the PIN code arrives by e-mail, over STARTTLS, authenticated.
    let (status, habilitation) = server.post("/communes/54084/habilitations", Some(&token), json!({})).await;
    assert_eq!(status, 201, "{habilitation}");
    let hid = habilitation["id"].as_str().unwrap().to_owned();
    let send = format!("/habilitations/{hid}/authentication/email/send-pin-code");
    let (status, answer) = server.post(&send, Some(&token), json!({"email": TOWN_HALL})).await;
    assert_eq!(status, 200, "{answer}");
    let pin_mail = smtp.wait_for(1, Duration::from_secs(30)).await.remove(0);
    assert_eq!(
        (pin_mail.to.as_str(), pin_mail.tls, pin_mail.login.as_deref()),
        (TOWN_HALL, true, Some("ban-sync"))
    );
    assert_eq!(pin_mail.subject, "Demande de code d’identification");
    assert!(pin_mail.body.contains("Mont-Bonvillers (54084)"), "{}", pin_mail.body);
    let pin: String = pin_mail.body.split("est : ").nth(1).unwrap().chars().take(6).collect();
    assert!(pin.chars().all(|c| c.is_ascii_digit()), "{}", pin_mail.body);
    let validate = format!("/habilitations/{hid}/authentication/email/validate-pin-code");
    let (status, accepted) = server.post(&validate, Some(&token), json!({"code": pin})).await;
    assert_eq!((status, accepted["status"].as_str()), (200, Some("accepted")), "{accepted}");

    // A publication applied, with its counts.
    let file = sample();
    let addresses = file.lines().skip(1).filter(|l| !l.contains(";99999;")).count() as u64;
    let published = server.publish(&token, file.clone(), &hid).await;
    assert_eq!(published["status"], "published");
    assert!(matches!(published["consolidation"]["status"].as_str(), Some("pending" | "running" | "applied")));
    let first = published["id"].as_str().unwrap().to_owned();
    let applied = server.consolidated(&first, "applied", None).await["consolidation"].clone();
    let changes = &applied["changes"]["addresses"];
    assert!(changes["added"].as_u64().unwrap() > 0, "{applied}");
    assert!(changes["added"].as_u64().unwrap() <= addresses, "{applied}");
    assert_eq!(
        (&changes["updated"], &changes["deleted"], &changes["unchanged"]),
        (&json!(0), &json!(0), &json!(0))
    );
    assert!(applied.get("refusal").is_none(), "{applied}");

    // The commune renumbered: refused at consolidation, with its reason.
    let second = server.publish(&token, renumbered(&file), &hid).await["id"].as_str().unwrap().to_owned();
    let refused = server.consolidated(&second, "refused", None).await["consolidation"].clone();
    let refusal = &refused["refusal"];
    assert_eq!(refusal["code"], "mass_deletion", "{refused}");
    let message = refusal["message"].as_str().unwrap();
    assert!(message.starts_with("Plus de 80 % des adresses supprimées"), "{message}");
    assert!(refusal["advice"].as_str().unwrap().contains("forcer"), "{refusal}");
    assert!(refused.get("changes").is_none(), "{refused}");
    let job = refused["jobId"].as_i64().unwrap();
    let commune = server.get("/communes/54084/consolidations").await;
    assert_eq!(
        (commune["currentRevisionId"].as_str(), commune["baseRevisionId"].as_str()),
        (Some(second.as_str()), Some(first.as_str())),
        "{commune}"
    );
    assert_eq!(commune["nomCommune"], "Mont-Bonvillers");
    let listed: Vec<(&str, &str)> = commune["consolidations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["revisionId"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [(second.as_str(), "refused"), (first.as_str(), "applied")]);
    assert_eq!(commune["consolidations"][0]["refusal"]["message"], message);

    // Both e-mails arrive: which commune, which revision, why, what to do.
    let received = smtp.wait_for(3, Duration::from_secs(30)).await;
    let mails = refusal_mails(&received);
    let mut to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    to.sort();
    assert_eq!(to, [PRODUCER, TOWN_HALL], "{mails:#?}");
    for mail in &mails {
        assert!(mail.subject.contains("Mont-Bonvillers (54084)"), "{}", mail.subject);
        for part in [second.as_str(), message, "Que faire", "Éditeur de BAL"] {
            assert!(mail.body.contains(part), "{part}: {}", mail.body);
        }
        assert!(mail.tls && mail.login.as_deref() == Some("ban-sync"));
        assert!(mail.rcpt_tos.iter().any(|r| r == ARCHIVE), "the hidden copy: {:?}", mail.rcpt_tos);
        assert_eq!(mail.bcc, None, "a hidden copy is not shown");
    }

    // Refused again after an operator's retry, and the server restarted: nothing sent twice.
    store.retry_job(job, chrono::Utc::now()).await.unwrap();
    server.consolidated(&second, "refused", Some(&refused)).await;
    server.stop().await;
    let server = start(store.clone(), &smtp).await;
    let notices = store.notices(&second).await.unwrap();
    assert_eq!(notices.len(), 2);
    assert!(notices.iter().all(|n| n.status == NoticeStatus::Sent && n.attempts == 1), "{notices:?}");
    tokio::time::sleep(Duration::from_secs(3)).await; // longer than the sender's idle wait
    assert_eq!(smtp.received().len(), 3, "{:#?}", smtp.received());

    // An administrator forces the plan: applied, the refusal it overrode kept.
    let force = format!("/jobs/{job}/force");
    assert_eq!(server.post(&force, None, json!({})).await.0, 401);
    assert_eq!(server.post(&force, Some(&token), json!({})).await.0, 403, "a client is no administrator");
    assert_eq!(server.post("/jobs/999999999/force", Some(ADMIN), json!({})).await.0, 404);
    let (status, forced) = server.post(&force, Some(ADMIN), json!({})).await;
    assert_eq!(status, 200, "{forced}");
    assert!(forced["forcedAt"].is_string(), "{forced}");
    let applied = server.consolidated(&second, "applied", None).await["consolidation"].clone();
    let changes = &applied["changes"]["addresses"];
    assert_eq!(changes["deleted"], changes["added"], "every address replaced: {applied}");
    assert!(changes["deleted"].as_u64().unwrap() > 0);
    assert_eq!(applied["refusal"]["code"], "mass_deletion");
    assert!(applied["label"].as_str().unwrap().contains("forcée"), "{applied}");
    let (status, problem) = server.post(&force, Some(ADMIN), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("job_not_refused")));
    let commune = server.get("/communes/54084/consolidations?limit=1").await;
    assert_eq!(commune["baseRevisionId"].as_str(), Some(second.as_str()));
    assert_eq!(commune["consolidations"].as_array().unwrap().len(), 1);
    assert_eq!(
        server.call(reqwest::Method::GET, "/communes/54084/consolidations?limit=0", None, None).await.0,
        400
    );
    assert_eq!(server.call(reqwest::Method::GET, "/communes/00000/consolidations", None, None).await.0, 404);
    assert_eq!(smtp.received().len(), 3, "no e-mail for a forced plan");
    server.stop().await;
}
