//! The publication flow `/publier`, called in process with the depot's router as the web's
//! depot (the store holding the directory fixture): each step's answer, and the errors a
//! person meets — an unknown commune, a file of another commune, a wrong or incomplete code,
//! the confirmation when a BAL is published already, a link to nothing. The PIN code is read
//! from the store, as `ban habilitation pin` does (the depot's mails go to its log here).
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use ban_store::{NewDirectoryImport, Store};
use ban_web::{router, DepotClient, Upstream, WebArgs, WebState};
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pages, publishing through a depot in process on a store of their own with the town
/// halls' directory fixture imported; the store, to read the codes sent.
struct Flow {
    app: Router,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn flow() -> Flow {
    flow_with(ban_depot::DepotArgs::default()).await
}

async fn flow_with(depot_args: ban_depot::DepotArgs) -> Flow {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let file = std::fs::File::open(root().join("data/directory/api-lannuaire-administration.json")).unwrap();
    let export = ban_directory::read_export(std::io::BufReader::new(file)).unwrap();
    let import = NewDirectoryImport { source: "fixture".into(), sha256: "0".into(), at: chrono::Utc::now() };
    store.replace_directory(import, &export.town_halls).await.unwrap();
    let input = ban_depot::administration::CreateClient {
        nom: "Pages web BAN Sync".into(),
        mandataire: Some("BAN Sync".into()),
        ..Default::default()
    };
    let client = ban_depot::administration::create_client(&*store, Default::default(), input).await.unwrap();
    let depot_state = ban_depot::DepotState::new(store.clone(), &depot_args).unwrap();
    let depot = DepotClient::new(
        Upstream::InProcess(ban_depot::router(depot_state)),
        SecretString::from(client.token),
        None,
    );
    let state = WebState::new(store.clone(), &WebArgs::default()).with_depot(depot);
    Flow { app: router(state), store, _dir: dir }
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    text: String,
}

impl Flow {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, location, text: String::from_utf8(body.to_vec()).unwrap() }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, uri: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_form_from(None, uri, fields).await
    }

    /// The form posted from a browser at `ip` (the connection's address).
    async fn post_form_from(&self, ip: Option<[u8; 4]>, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        if let Some(ip) = ip {
            let peer = std::net::SocketAddr::from((ip, 40_000));
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        }
        self.send(request).await
    }

    /// Step 1's form: the commune typed and the file.
    async fn upload(&self, commune: &str, file: &[u8]) -> Answer {
        const BOUNDARY: &str = "publier-test";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"commune\"\r\n\r\n{commune}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bal.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = Request::post("/publier")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The code sent for habilitation `id`, as the store holds it.
    async fn pin(&self, id: &str) -> String {
        let h = self.store.habilitation(id).await.unwrap().unwrap();
        h.pin_code.unwrap().expose().to_owned()
    }
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("data/samples").join(name)).unwrap()
}

/// The step a page shows (`data-step` of its stepper).
fn step_of(page: &str) -> u32 {
    let at = page.find("data-step=\"").unwrap() + "data-step=\"".len();
    page[at..at + 1].parse().unwrap()
}

#[tokio::test]
async fn the_whole_flow_with_its_errors() {
    let flow = flow().await;

    // Step 1, and the communes offered while typing.
    let start = flow.get("/publier").await;
    assert_eq!(start.status, StatusCode::OK);
    assert_eq!(step_of(&start.text), 1);
    assert!(start.text.contains("Dépôt du fichier BAL") && start.text.contains("name=\"commune\""));
    let offered: Value =
        serde_json::from_str(&flow.get("/publier/communes?q=mont-bonvil").await.text).unwrap();
    assert_eq!(offered[0]["code"], "54084", "{offered}");
    assert_eq!(offered[0]["nom"], "Mont-Bonvillers");
    let by_code: Value = serde_json::from_str(&flow.get("/publier/communes?q=5408").await.text).unwrap();
    assert!(by_code.as_array().unwrap().iter().any(|c| c["code"] == "54084"), "{by_code}");
    let prefilled = flow.get("/publier?commune=54084").await;
    assert!(prefilled.text.contains("value=\"Mont-Bonvillers (54084)\""));

    // An unknown commune, no file: step 1 again, saying what is wrong.
    let unknown = flow.upload("Nulle-Part-sur-Mer", &sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.text.contains("Aucune commune ne s’appelle « Nulle-Part-sur-Mer »"), "{}", unknown.text);
    let no_file = flow.upload("54084", b"").await;
    assert_eq!(no_file.status, StatusCode::BAD_REQUEST);
    assert!(no_file.text.contains("Choisissez le fichier BAL"));

    // A file of another commune, with errors: blocked at step 1, with the report.
    let other = flow.upload("Mont-Bonvillers", &sample("67482_strasbourg_with-defects.csv")).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    let blocked = flow.get(other.location.as_deref().unwrap()).await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(step_of(&blocked.text), 1);
    assert!(blocked.text.contains("Le fichier contient des erreurs : il ne peut pas être publié"));
    assert!(blocked.text.contains("id=\"autre-commune\""), "the file is Strasbourg's");
    assert!(blocked.text.contains("data-code=\"commune_insee.valeur_inattendue\""));

    // The sample, by its name as the autocomplete gives it: valid, step 2 with the town
    // hall's addresses of the directory.
    let sent = flow.upload("Mont-Bonvillers (54084)", &sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let step_url = sent.location.unwrap();
    let revision = step_url.trim_start_matches("/publier/").to_owned();
    let choose = flow.get(&step_url).await;
    assert_eq!((choose.status, step_of(&choose.text)), (StatusCode::OK, 2), "{}", choose.text);
    assert!(choose.text.contains("Le fichier est valide"));
    assert!(choose.text.contains("value=\"mairie@mont-bonvillers.invalid\""), "{}", choose.text);

    // An address that is not the town hall's: refused, step 2 again.
    let code_url = format!("/publier/{revision}/code");
    let wrong = flow.post_form(&code_url, &[("email", "moi@example.org")]).await;
    assert_eq!(wrong.status, StatusCode::PRECONDITION_FAILED);
    assert!(wrong.text.contains("n’est pas l’une de celles de la mairie"), "{}", wrong.text);
    // The habilitation opened is kept in the form, not opened again.
    let opened = wrong.text.split("name=\"habilitation\" value=\"").nth(1).unwrap()[..24].to_owned();

    // The code sent to the town hall: step 3.
    let asked = flow
        .post_form(&code_url, &[("habilitation", &opened), ("email", "mairie@mont-bonvillers.invalid")])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let with_habilitation = asked.location.unwrap();
    assert_eq!(with_habilitation, format!("/publier/{revision}?habilitation={opened}"));
    let enter = flow.get(&with_habilitation).await;
    assert_eq!(step_of(&enter.text), 3);
    assert!(enter.text.contains("envoyé à <strong>mairie@mont-bonvillers.invalid</strong>"));
    assert!(enter.text.contains("10 essai(s) restant(s)"));

    // A resend within 5 minutes: told to wait.
    let resend = flow
        .post_form(&code_url, &[("habilitation", &opened), ("email", "mairie@mont-bonvillers.invalid")])
        .await;
    assert_eq!(resend.status, StatusCode::CONFLICT);
    assert!(resend.text.contains("il y a moins de 5 minutes"), "{}", resend.text);

    // An incomplete code, a wrong one.
    let check_url = format!("/publier/{revision}/code/valider");
    let short = flow.post_form(&check_url, &[("habilitation", &opened), ("code", "12")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.text.contains("Le code compte 6 chiffres"));
    let pin = flow.pin(&opened).await;
    let wrong_pin = if pin == "000000" { "111111" } else { "000000" };
    let refused = flow.post_form(&check_url, &[("habilitation", &opened), ("code", wrong_pin)]).await;
    assert_eq!(refused.status, StatusCode::PRECONDITION_FAILED);
    assert!(refused.text.contains("Code non valide, 9 tentatives restantes"), "{}", refused.text);
    assert_eq!(step_of(&refused.text), 3);

    // The right code: step 4, then the publication and its follow-up.
    let accepted = flow.post_form(&check_url, &[("habilitation", &opened), ("code", &pin)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let ready = flow.get(&with_habilitation).await;
    assert_eq!(step_of(&ready.text), 4);
    assert!(ready.text.contains("Mont-Bonvillers est prête à être publiée"));
    assert!(!ready.text.contains("id=\"deja-publiee\""), "nothing published before");
    let published =
        flow.post_form(&format!("/publier/{revision}/publication"), &[("habilitation", &opened)]).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert_eq!(published.location.as_deref(), Some(format!("/publier/{revision}/suivi").as_str()));
    // Its step URL now leads to the follow-up.
    assert_eq!(flow.get(&with_habilitation).await.location, published.location);
    let follow = flow.get(&format!("/publier/{revision}/suivi")).await;
    assert_eq!(follow.status, StatusCode::OK);
    assert!(follow.text.contains("data-stage=\"publiee\" data-state=\"done\""), "{}", follow.text);
    assert!(follow.text.contains("http-equiv=\"refresh\""), "refreshes itself without JavaScript");
    let json: Value =
        serde_json::from_str(&flow.get(&format!("/publier/{revision}/suivi.json")).await.text).unwrap();
    assert_eq!(json["stages"][0]["state"], "done");
    assert_eq!(json["stages"][1]["key"], "consolidee");
    assert_eq!(json["stages"][1]["state"], "current", "no consolidator here: {json}");
    assert_eq!(json["final"], false);

    // The consolidation refused, as a worker ends it: the reason in words, what to do, and
    // the page stops refreshing itself.
    let now = chrono::Utc::now();
    let job =
        flow.store.claim_job("test-worker", now, now + chrono::Duration::minutes(1)).await.unwrap().unwrap();
    let refusal = ban_store::Refusal::MassDeletion { disabled: 400, active: 486, percent: 82.3, limit: 80.0 };
    let reason = refusal.message();
    flow.store.finish_job(job.id, ban_store::JobEnd::Refused { refusal }, now).await.unwrap();
    let refused = flow.get(&format!("/publier/{revision}/suivi")).await;
    assert!(refused.text.contains("data-stage=\"consolidee\" data-state=\"failed\""), "{}", refused.text);
    assert!(refused.text.contains(&reason), "{reason}: {}", refused.text);
    assert!(refused.text.contains("Que faire ?"));
    assert!(!refused.text.contains("http-equiv=\"refresh\""), "settled: no more refresh");
    let json: Value =
        serde_json::from_str(&flow.get(&format!("/publier/{revision}/suivi.json")).await.text).unwrap();
    assert_eq!((json["stages"][1]["state"].as_str(), json["final"].as_bool()), (Some("failed"), Some(true)));

    // A second file for the same commune: the publication asks to confirm the replacement.
    let again = flow.upload("54084", &sample("54084_mont-bonvillers.csv")).await;
    let second = again.location.unwrap().trim_start_matches("/publier/").to_owned();
    let code_url = format!("/publier/{second}/code");
    let asked = flow.post_form(&code_url, &[("email", "mairie@mont-bonvillers.invalid")]).await;
    let with_habilitation = asked.location.unwrap();
    let habilitation = with_habilitation.rsplit('=').next().unwrap().to_owned();
    let pin = flow.pin(&habilitation).await;
    flow.post_form(
        &format!("/publier/{second}/code/valider"),
        &[("habilitation", &habilitation), ("code", &pin)],
    )
    .await;
    let ready = flow.get(&with_habilitation).await;
    assert!(ready.text.contains("id=\"deja-publiee\""), "{}", ready.text);
    let publication = format!("/publier/{second}/publication");
    let unconfirmed = flow.post_form(&publication, &[("habilitation", &habilitation)]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(unconfirmed.text.contains("Cochez la case"));
    let confirmed =
        flow.post_form(&publication, &[("habilitation", &habilitation), ("confirm", "oui")]).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.text);

    // A link to nothing.
    let nothing = flow.get("/publier/0123456789abcdef01234567").await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
    assert!(nothing.text.contains("Cette publication est introuvable"));
    let garbage = flow.get("/publier/pas-un-identifiant").await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ten_wrong_codes_reject_the_habilitation() {
    let flow = flow().await;
    let sent = flow.upload("54084", &sample("54084_mont-bonvillers.csv")).await;
    let revision = sent.location.unwrap().trim_start_matches("/publier/").to_owned();
    let asked = flow
        .post_form(&format!("/publier/{revision}/code"), &[("email", "mairie@mont-bonvillers.invalid")])
        .await;
    let habilitation = asked.location.unwrap().rsplit('=').next().unwrap().to_owned();
    let pin = flow.pin(&habilitation).await;
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let check_url = format!("/publier/{revision}/code/valider");
    for _ in 0..9 {
        flow.post_form(&check_url, &[("habilitation", &habilitation), ("code", wrong)]).await;
    }
    let last = flow.post_form(&check_url, &[("habilitation", &habilitation), ("code", wrong)]).await;
    assert_eq!(last.status, StatusCode::SEE_OTHER);
    let rejected = flow.get(last.location.as_deref().unwrap()).await;
    assert_eq!(step_of(&rejected.text), 2);
    assert!(rejected.text.contains("Votre demande d’habilitation a été rejetée"), "{}", rejected.text);
}

#[tokio::test]
async fn too_many_checks_and_an_expired_code_are_told_in_plain_words() {
    let flow = flow_with(ban_depot::DepotArgs { pin_checks_per_client: 2, ..Default::default() }).await;
    let sent = flow.upload("54084", &sample("54084_mont-bonvillers.csv")).await;
    let revision = sent.location.unwrap().trim_start_matches("/publier/").to_owned();
    let asked = flow
        .post_form(&format!("/publier/{revision}/code"), &[("email", "mairie@mont-bonvillers.invalid")])
        .await;
    let habilitation = asked.location.unwrap().rsplit('=').next().unwrap().to_owned();
    let pin = flow.pin(&habilitation).await;
    let check_url = format!("/publier/{revision}/code/valider");

    // The code expired (24 h): said so, whatever the code typed.
    let h = flow.store.habilitation(&habilitation).await.unwrap().unwrap();
    let read_at = h.updated_at;
    let expired = ban_store::Habilitation {
        pin_code_expiration: Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
        ..h.clone()
    };
    flow.store.update_habilitation(&expired, read_at).await.unwrap();
    let late = flow.post_form(&check_url, &[("habilitation", &habilitation), ("code", &pin)]).await;
    assert_eq!(late.status, StatusCode::PRECONDITION_FAILED);
    assert!(late.text.contains("Ce code a expiré (il est valable 24 heures)"), "{}", late.text);

    // Two checks a minute allowed here: the third is too many, with when to try again.
    let second = flow.post_form(&check_url, &[("habilitation", &habilitation), ("code", &pin)]).await;
    assert_eq!(second.status, StatusCode::PRECONDITION_FAILED);
    let too_many = flow.post_form(&check_url, &[("habilitation", &habilitation), ("code", &pin)]).await;
    assert_eq!(too_many.status, StatusCode::TOO_MANY_REQUESTS, "{}", too_many.text);
    assert!(too_many.text.contains("Trop d’essais en peu de temps. Réessayez dans"), "{}", too_many.text);
    assert!(!too_many.text.contains("jeton"), "no word of tokens for a person");
}

/// The depot's limit per address counts each browser, not the web server.
#[tokio::test]
async fn the_limit_per_address_counts_the_browser() {
    let args = ban_depot::DepotArgs { pin_checks_per_client: 0, pin_checks_per_ip: 1, ..Default::default() };
    let flow = flow_with(args).await;
    let sent = flow.upload("54084", &sample("54084_mont-bonvillers.csv")).await;
    let revision = sent.location.unwrap().trim_start_matches("/publier/").to_owned();
    let asked = flow
        .post_form(&format!("/publier/{revision}/code"), &[("email", "mairie@mont-bonvillers.invalid")])
        .await;
    let habilitation = asked.location.unwrap().rsplit('=').next().unwrap().to_owned();
    let pin = flow.pin(&habilitation).await;
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let check_url = format!("/publier/{revision}/code/valider");
    let form = [("habilitation", habilitation.as_str()), ("code", wrong)];
    let first = flow.post_form_from(Some([192, 0, 2, 1]), &check_url, &form).await;
    assert_eq!(first.status, StatusCode::PRECONDITION_FAILED);
    let again = flow.post_form_from(Some([192, 0, 2, 1]), &check_url, &form).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS, "{}", again.text);
    let other = flow.post_form_from(Some([192, 0, 2, 2]), &check_url, &form).await;
    assert_eq!(other.status, StatusCode::PRECONDITION_FAILED, "another browser is not held back");
}

#[tokio::test]
async fn a_commune_without_town_hall_address_is_explained() {
    let flow = flow().await;
    // Escoulis (31591): its town hall has no address in the directory fixture.
    let header =
        std::str::from_utf8(&sample("54084_mont-bonvillers.csv")).unwrap().lines().next().unwrap().to_owned();
    let mut file = header + "\n";
    for (n, (lon, lat)) in [(1.0301, 43.1111), (1.0303, 43.1112), (1.0305, 43.1113)].iter().enumerate() {
        file += &format!(
            ";31591_0010_0000{0};31591;Escoulis;;;Rue du Village;;{0};;entrée;;;{lon};{lat};;commune;2024-01-01;0\n",
            n + 1
        );
    }
    let sent = flow.upload("31591", file.as_bytes()).await;
    let page = flow.get(sent.location.as_deref().unwrap()).await;
    let codes: Vec<&str> =
        page.text.split("data-code=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
    assert!(page.text.contains("Aucune adresse de mairie connue"), "{codes:?}");
    assert!(!page.text.contains("id=\"recevoir-code\""));
}

/// `ban web` alone: the same flow through a depot served over HTTP (`WEB_DEPOT_URL`,
/// `WEB_DEPOT_TOKEN`).
#[tokio::test]
async fn over_http_to_a_depot_of_its_own() {
    let inner = flow().await;
    let input = ban_depot::administration::CreateClient {
        nom: "Pages web (HTTP)".into(),
        mandataire: Some("BAN Sync".into()),
        ..Default::default()
    };
    let client =
        ban_depot::administration::create_client(&*inner.store, Default::default(), input).await.unwrap();
    let depot_state =
        ban_depot::DepotState::new(inner.store.clone(), &ban_depot::DepotArgs::default()).unwrap();
    let depot = Router::new().nest("/api-depot", ban_depot::router(depot_state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, depot).await.unwrap() });
    let args = WebArgs {
        depot_url: Some(format!("http://{address}/api-depot")),
        depot_token: Some(SecretString::from(client.token)),
        ..WebArgs::default()
    };
    let flow = Flow { app: router(WebState::new(inner.store.clone(), &args)), ..inner };
    let sent = flow.upload("54084", &sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let choose = flow.get(sent.location.as_deref().unwrap()).await;
    assert_eq!(step_of(&choose.text), 2);
    assert!(choose.text.contains("value=\"mairie@mont-bonvillers.invalid\""));
    // A wrong token: the pages say publication is unavailable, not why.
    let args = WebArgs { depot_token: Some(SecretString::from("not-a-token".to_owned())), ..args };
    let refused = Flow { app: router(WebState::new(flow.store.clone(), &args)), ..flow };
    let answer = refused.upload("54084", &sample("54084_mont-bonvillers.csv")).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.text.contains("momentanément indisponible"), "{}", answer.text);
}

#[tokio::test]
async fn without_a_depot_the_flow_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let app = router(WebState::new(store, &WebArgs::default()));
    let response = app.oneshot(Request::get("/publier").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn communes_are_found_by_name_or_code() {
    use ban_web::publish::resolve_commune;
    assert_eq!(resolve_commune("54084").unwrap().nom, "Mont-Bonvillers");
    assert_eq!(resolve_commune("mont bonvillers").unwrap().code, "54084");
    assert_eq!(resolve_commune("Mont-Bonvillers (54084)").unwrap().code, "54084");
    let homonyms = resolve_commune("Saint-Martin").unwrap_err();
    assert!(homonyms.starts_with("Plusieurs communes s’appellent « Saint-Martin »"), "{homonyms}");
    assert!(resolve_commune("99999").unwrap_err().contains("Aucune commune n’a le code « 99999 »"));
}
