//! Citizen reports in the pages, called in process with the depot's router as the web's depot,
//! on a store where the sample commune (Mont-Bonvillers, 54084) is published and consolidated
//! and the town halls' directory fixture imported: the form (empty, from an address of the
//! map or of the search), each wrong field told beside it (by the form, by the depot), the
//! honeypot, the receipt, the commune's list, and the town hall's consent by code then its
//! decisions. The PIN code is read from the store, as `ban habilitation pin` does.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use ban_store::ids::{object_id, token};
use ban_store::{
    AuthorizationStrategy, ComputedValidation, NewClient, NewDirectoryImport, NewRevision, Publication,
    ReportFilter, ReportStatus, Store, StoredFile,
};
use ban_web::{router, DepotClient, Upstream, WebArgs, WebState};
use chrono::Utc;
use secrecy::SecretString;
use tower::ServiceExt;

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Publishes the sample for 54084 as the depot does, then runs the consolidation.
async fn publish_sample(store: &Arc<dyn Store>) {
    let bytes = std::fs::read(root().join("data/samples/54084_mont-bonvillers.csv")).unwrap();
    let client = store
        .create_client(NewClient {
            id: object_id(Utc::now()),
            nom: "Éditeur".into(),
            mandataire: "Éditeur".into(),
            email: None,
            authorization_strategy: AuthorizationStrategy::Internal,
            perimeters: vec![],
            token: token(),
        })
        .await
        .unwrap();
    let now = Utc::now();
    let revision = NewRevision {
        id: object_id(now),
        client_id: client.id,
        code_commune: "54084".into(),
        context: serde_json::json!({"organisation": "Mairie"}),
    };
    let revision = store.create_revision(revision, now).await.unwrap();
    let file = StoredFile {
        id: object_id(now),
        revision_id: revision.id.clone(),
        size: bytes.len() as i64,
        hash: "00".repeat(32),
        kind: "bal".into(),
        created_at: now,
    };
    store.attach_file(&revision.id, file, &bytes).await.unwrap();
    let computed = ComputedValidation {
        validation: serde_json::value::to_raw_value(&serde_json::json!({"valid": true})).unwrap(),
        is_ready: true,
        rows_count: 0,
        checked_against: None,
    };
    store.save_validation(&revision.id, computed, now).await.unwrap();
    store.publish(&revision.id, Publication { habilitation: None, at: Utc::now() }).await.unwrap();
    assert_eq!(ban_consolidator::Consolidator::new(store.clone()).run_pending().await.unwrap(), 1);
}

struct Pages {
    app: Router,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn pages() -> Pages {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let file = std::fs::File::open(root().join("data/directory/api-lannuaire-administration.json")).unwrap();
    let export = ban_directory::read_export(std::io::BufReader::new(file)).unwrap();
    let import = NewDirectoryImport { source: "fixture".into(), sha256: "0".into(), at: Utc::now() };
    store.replace_directory(import, &export.town_halls).await.unwrap();
    publish_sample(&store).await;
    let input = ban_depot::administration::CreateClient {
        nom: "Pages web BAN Sync".into(),
        mandataire: Some("BAN Sync".into()),
        ..Default::default()
    };
    let client = ban_depot::administration::create_client(&*store, Default::default(), input).await.unwrap();
    let depot_state = ban_depot::DepotState::new(store.clone(), &ban_depot::DepotArgs::default()).unwrap();
    let depot = DepotClient::new(
        Upstream::InProcess(ban_depot::router(depot_state)),
        SecretString::from(client.token),
        None,
    );
    let state = WebState::new(store.clone(), &WebArgs::default()).with_depot(depot);
    Pages { app: router(state), store, _dir: dir }
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    text: String,
}

impl Pages {
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

    /// The form posted from a browser at `ip`.
    async fn post(&self, uri: &str, fields: &[(&str, &str)], ip: [u8; 4]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 40_000))));
        self.send(request).await
    }
}

/// The message shown beside the form's field `id`, if any.
fn field_error(page: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}-erreur\"");
    let at = page.find(&marker)?;
    let text = &page[at + marker.len()..];
    let text = &text[text.find('>')? + 1..];
    let text = text.trim_start_matches("<p class=\"fr-message fr-message--error\">");
    Some(text[..text.find('<')?].trim().to_owned())
}

/// A report of a missing number placed on Rue Joffre, as the form sends it.
fn missing_number<'a>(numero: &'a str, lon: &'a str, lat: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("commune", "54084"),
        ("adresse", ""),
        ("quoi", "adresse-manquante"),
        ("numero", numero),
        ("suffixe", ""),
        ("voie", "Rue Joffre"),
        ("nouveau_nom", ""),
        ("lon", lon),
        ("lat", lat),
        ("commentaire", "Maison neuve au fond de la rue"),
        ("auteur", "Jeanne Martin"),
        ("courriel", "jeanne.martin@example.org"),
        ("site_web", ""),
    ]
}

#[tokio::test]
async fn the_report_form_its_errors_and_its_receipt() {
    let pages = pages().await;

    // Without a commune, the page asks for it; an unknown one is told.
    let ask = pages.get("/signaler").await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.text.contains("id=\"choix-commune\"") && !ask.text.contains("id=\"signalement\""));
    let unknown = pages.get("/signaler?commune=Nulle-Part-sur-Mer").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        field_error(&unknown.text, "commune").unwrap().contains("Nulle-Part-sur-Mer"),
        "{}",
        unknown.text
    );

    // The commune's form: the four kinds, the map to click, the honeypot, a missing address
    // chosen by default.
    let empty = pages.get("/signaler?commune=54084").await;
    assert_eq!(empty.status, StatusCode::OK);
    for kind in ["adresse-manquante", "adresse-erronee", "adresse-a-supprimer", "nom-de-voie"] {
        assert!(empty.text.contains(&format!("id=\"quoi-{kind}\"")), "{kind}");
    }
    assert!(empty
        .text
        .contains("id=\"quoi-adresse-manquante\" name=\"quoi\" value=\"adresse-manquante\" checked"));
    assert!(empty.text.contains("id=\"carte-signalement\"") && empty.text.contains("data-pick"));
    assert!(empty.text.contains("name=\"site_web\"") && empty.text.contains("aria-hidden=\"true\""));
    assert!(empty.text.contains("restent privés"));

    // From an address of the map (its interoperability key) or of the search (its BAN id): the
    // address shown, its values and position in the fields, a wrong address chosen.
    let from_map = pages.get("/signaler?commune=54084&adresse=54084_0200_00001").await;
    assert_eq!(from_map.status, StatusCode::OK);
    assert!(from_map.text.contains("Adresse concernée : 1 Rue Joffre"), "{}", from_map.text);
    assert!(from_map.text.contains("name=\"lon\" value=\"5.833622\""));
    assert!(from_map.text.contains("name=\"lat\" value=\"49.322203\""));
    assert!(from_map.text.contains("value=\"adresse-erronee\" checked"));
    let base = pages.store.commune_base("54084").await.unwrap();
    let joffre_1 =
        base.addresses.iter().find(|a| a.cle_interop.as_deref() == Some("54084_0200_00001")).unwrap();
    let from_search = pages.get(&format!("/signaler?commune=54084&adresse={}", joffre_1.id)).await;
    assert!(from_search.text.contains("Adresse concernée : 1 Rue Joffre"));
    assert!(from_search.text.contains(&format!("name=\"adresse\" value=\"{}\"", joffre_1.id)));
    let gone = pages.get("/signaler?commune=54084&adresse=54084_0200_99999").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(gone.text.contains("n’est pas (ou plus) dans la Base Adresse Nationale"));

    // What the form itself can tell: a number that is not one, half a position.
    let mut fields = missing_number("douze", "5.8337", "");
    let refused = pages.post("/signaler", &fields, [10, 0, 0, 1]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&refused.text, "numero").unwrap().contains("« douze » n’est pas un numéro"));
    assert!(field_error(&refused.text, "position").unwrap().contains("longitude et la latitude"));
    assert!(refused.text.contains("value=\"Maison neuve") || refused.text.contains(">Maison neuve"), "kept");

    // What the depot tells, each beside its field: a number out of range, a bad suffix, no
    // street, a position outside the commune, an e-mail that is not one.
    fields = missing_number("100000", "2.35", "48.85");
    fields.retain(|(k, _)| !matches!(*k, "voie" | "suffixe" | "courriel"));
    fields.extend([("voie", ""), ("suffixe", "#"), ("courriel", "pas-une-adresse")]);
    let refused = pages.post("/signaler", &fields, [10, 0, 0, 1]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(field_error(&refused.text, "numero").unwrap().contains("de 0 à 99998"), "{}", refused.text);
    assert!(field_error(&refused.text, "suffixe").is_some(), "{}", refused.text);
    assert!(field_error(&refused.text, "voie").unwrap().contains("nom de la voie"), "{}", refused.text);
    assert!(field_error(&refused.text, "position").unwrap().contains("hors de la commune Mont-Bonvillers"));
    assert!(field_error(&refused.text, "courriel").unwrap().contains("n’est pas une adresse électronique"));
    assert!(refused.text.contains("5 champs sont à corriger"), "{}", refused.text);
    assert_eq!(pages.store.reports(&ReportFilter::default(), page(10)).await.unwrap().total, 0);

    // A robot fills the honeypot: told it was received, nothing is sent.
    let mut robot = missing_number("12", "5.8337", "49.3223");
    robot.retain(|(k, _)| *k != "site_web");
    robot.push(("site_web", "https://spam.example"));
    let pretended = pages.post("/signaler", &robot, [10, 0, 0, 2]).await;
    assert_eq!(pretended.status, StatusCode::OK);
    assert!(pretended.text.contains("Votre signalement est enregistré"));
    assert_eq!(pages.store.reports(&ReportFilter::default(), page(10)).await.unwrap().total, 0);

    // A good report: sent, then its receipt; public without its author.
    let sent = pages.post("/signaler", &missing_number("12", "5.8337", "49.3223"), [10, 0, 0, 3]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let receipt_url = sent.location.unwrap();
    let id = receipt_url.trim_start_matches("/signalement/").trim_end_matches("?envoye=1").to_owned();
    let stored = pages.store.report(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, ReportStatus::Pending);
    assert_eq!(stored.author_email.as_deref(), Some("jeanne.martin@example.org"));
    assert_eq!((stored.lon, stored.lat), (Some(5.8337), Some(49.3223)));
    let receipt = pages.get(&receipt_url).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.text.contains(&format!("Votre signalement est enregistré sous le numéro {id}")));
    assert!(receipt.text.contains("Ajouter le 12 Rue Joffre") && receipt.text.contains("En attente"));
    assert!(!receipt.text.contains("jeanne.martin") && !receipt.text.contains("Jeanne Martin"));
    assert_eq!(pages.get("/signalement/inconnu").await.status, StatusCode::NOT_FOUND);

    // The commune page lists it, pending; so does the commune's list.
    let commune = pages.get("/commune/54084").await;
    assert!(
        commune.text.contains(&format!("data-report=\"{id}\" data-status=\"PENDING\"")),
        "{}",
        commune.text
    );
    assert!(commune.text.contains("href=\"/signaler?commune=54084\""));
    assert!(!commune.text.contains("jeanne.martin"));
    let list = pages.get("/commune/54084/signalements").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains(&format!("data-report=\"{id}\"")) && list.text.contains("1 signalement(s)"));
    assert_eq!(pages.get("/commune/99999/signalements").await.status, StatusCode::NOT_FOUND);
}

fn page(limit: u32) -> ban_store::PageRequest {
    ban_store::PageRequest { offset: 0, limit }
}

/// The hidden `habilitation` of a page's form.
fn habilitation_of(page: &str) -> String {
    page.split("name=\"habilitation\" value=\"").nth(1).unwrap()[..24].to_owned()
}

#[tokio::test]
async fn the_town_hall_decides_after_its_code() {
    let pages = pages().await;
    let sent = pages.post("/signaler", &missing_number("12", "5.8337", "49.3223"), [10, 0, 0, 3]).await;
    let first =
        sent.location.unwrap().trim_start_matches("/signalement/").trim_end_matches("?envoye=1").to_owned();
    let sent = pages.post("/signaler", &missing_number("14", "5.8338", "49.3224"), [10, 0, 0, 4]).await;
    let second =
        sent.location.unwrap().trim_start_matches("/signalement/").trim_end_matches("?envoye=1").to_owned();
    let path = "/commune/54084/signalements/mairie";

    // Without consent: the town hall's addresses, no report to decide on.
    let start = pages.get(path).await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.text.contains("data-step=\"email\""));
    assert!(start.text.contains("value=\"mairie@mont-bonvillers.invalid\""), "{}", start.text);
    assert!(!start.text.contains(&format!("id=\"decision-{first}\"")));
    // Deciding without a habilitation leads back to the consent.
    let sneaky = pages
        .post(&format!("{path}/decision"), &[("signalement", &first), ("decision", "traite")], [10, 0, 1, 1])
        .await;
    assert_eq!(sneaky.status, StatusCode::SEE_OTHER);
    assert_eq!(sneaky.location.as_deref(), Some(path));

    // An address that is not the town hall's, then the code sent.
    let wrong = pages.post(&format!("{path}/code"), &[("email", "moi@example.org")], [10, 0, 1, 1]).await;
    assert_eq!(wrong.status, StatusCode::PRECONDITION_FAILED);
    assert!(wrong.text.contains("n’est pas l’une de celles de la mairie"));
    let opened = habilitation_of(&wrong.text);
    let asked = pages
        .post(
            &format!("{path}/code"),
            &[("habilitation", &opened), ("email", "mairie@mont-bonvillers.invalid")],
            [10, 0, 1, 1],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let with_habilitation = asked.location.unwrap();
    assert_eq!(with_habilitation, format!("{path}?habilitation={opened}"));
    let enter = pages.get(&with_habilitation).await;
    assert!(enter.text.contains("data-step=\"code\"") && enter.text.contains("10 essai(s) restant(s)"));

    // An incomplete code, a wrong one, then the right one.
    let check = format!("{path}/code/valider");
    let short = pages.post(&check, &[("habilitation", &opened), ("code", "12")], [10, 0, 1, 1]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.text.contains("Le code compte 6 chiffres"));
    let pin = pages.store.habilitation(&opened).await.unwrap().unwrap().pin_code.unwrap().expose().to_owned();
    let bad = if pin == "000000" { "111111" } else { "000000" };
    let refused = pages.post(&check, &[("habilitation", &opened), ("code", bad)], [10, 0, 1, 1]).await;
    assert!(refused.text.contains("9 tentatives restantes"), "{}", refused.text);
    let accepted = pages.post(&check, &[("habilitation", &opened), ("code", &pin)], [10, 0, 1, 1]).await;
    assert_eq!(accepted.location.as_deref(), Some(with_habilitation.as_str()));

    // The pending reports, each with its decision.
    let pending = pages.get(&with_habilitation).await;
    assert!(pending.text.contains("data-step=\"accepted\""), "{}", pending.text);
    assert!(pending.text.contains("2 signalement(s) en attente"));
    assert!(
        pending.text.contains(&format!("id=\"decision-{first}\""))
            && pending.text.contains(&format!("id=\"decision-{second}\""))
    );
    assert!(pending.text.contains("Maison neuve au fond de la rue"));
    // The town hall sees the authors (the public pages never do).
    assert!(
        pending.text.contains("Jeanne Martin <a href=\"mailto:jeanne.martin@example.org\">"),
        "{}",
        pending.text
    );

    // Ignoring needs a reason.
    let decide = format!("{path}/decision");
    let no_reason = pages
        .post(
            &decide,
            &[("habilitation", &opened), ("signalement", &first), ("decision", "ignore"), ("raison", " ")],
            [10, 0, 1, 1],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text.contains("Dites pourquoi"));
    let ignored = pages
        .post(
            &decide,
            &[
                ("habilitation", &opened),
                ("signalement", &first),
                ("decision", "ignore"),
                ("raison", "Numéro déjà attribué ailleurs"),
            ],
            [10, 0, 1, 1],
        )
        .await;
    assert_eq!(ignored.status, StatusCode::SEE_OTHER, "{}", ignored.text);
    let after = pages.get(ignored.location.as_deref().unwrap()).await;
    assert!(after.text.contains(&format!("Le signalement {first} est ignoré")));
    assert!(after.text.contains("1 signalement(s) en attente"));
    let report = pages.store.report(&first).await.unwrap().unwrap();
    assert_eq!(report.status, ReportStatus::Ignored);
    assert_eq!(report.rejection_reason.as_deref(), Some("Numéro déjà attribué ailleurs"));
    let processed = pages
        .post(
            &decide,
            &[("habilitation", &opened), ("signalement", &second), ("decision", "traite")],
            [10, 0, 1, 1],
        )
        .await;
    assert_eq!(processed.status, StatusCode::SEE_OTHER, "{}", processed.text);
    assert_eq!(pages.store.report(&second).await.unwrap().unwrap().status, ReportStatus::Processed);
    // Once decided, a report does not change again.
    let again = pages
        .post(
            &decide,
            &[("habilitation", &opened), ("signalement", &first), ("decision", "traite")],
            [10, 0, 1, 1],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("n’est plus en attente"));
    // A report that is not the commune's.
    let other = pages
        .post(
            &decide,
            &[("habilitation", &opened), ("signalement", "nimporte"), ("decision", "traite")],
            [10, 0, 1, 1],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // The commune page tells what became of them.
    let commune = pages.get("/commune/54084").await;
    assert!(commune.text.contains(&format!("data-report=\"{first}\" data-status=\"IGNORED\"")));
    assert!(commune.text.contains("par la commune : Numéro déjà attribué ailleurs"));
    assert!(commune.text.contains(&format!("data-report=\"{second}\" data-status=\"PROCESSED\"")));
}

/// A habilitation of 54084 accepted through the town hall's page (the code read from the
/// store).
async fn accepted_habilitation(pages: &Pages) -> String {
    let path = "/commune/54084/signalements/mairie";
    let asked = pages
        .post(&format!("{path}/code"), &[("email", "mairie@mont-bonvillers.invalid")], [10, 0, 2, 1])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text);
    let habilitation = asked.location.unwrap().split("habilitation=").nth(1).unwrap().to_owned();
    let pin =
        pages.store.habilitation(&habilitation).await.unwrap().unwrap().pin_code.unwrap().expose().to_owned();
    let checked = pages
        .post(
            &format!("{path}/code/valider"),
            &[("habilitation", &habilitation), ("code", &pin)],
            [10, 0, 2, 1],
        )
        .await;
    assert_eq!(checked.status, StatusCode::SEE_OTHER);
    habilitation
}

#[tokio::test]
async fn the_town_hall_ignores_spam_at_once() {
    let pages = pages().await;
    let mut ids = Vec::new();
    for (numero, ip) in [("12", 5), ("14", 6), ("16", 7)] {
        let sent =
            pages.post("/signaler", &missing_number(numero, "5.8337", "49.3223"), [10, 0, 0, ip]).await;
        ids.push(
            sent.location
                .unwrap()
                .trim_start_matches("/signalement/")
                .trim_end_matches("?envoye=1")
                .to_owned(),
        );
    }
    let habilitation = accepted_habilitation(&pages).await;
    let path = "/commune/54084/signalements/mairie";
    let list = pages.get(&format!("{path}?habilitation={habilitation}")).await;
    assert!(list.text.contains("id=\"indesirables\""));
    assert!(list.text.contains(&format!(
        "id=\"indesirable-{}\" name=\"ids\" value=\"{}\" form=\"indesirables\"",
        ids[0], ids[0]
    )));

    // Nothing ticked: told so.
    let nothing =
        pages.post(&format!("{path}/indesirables"), &[("habilitation", &habilitation)], [10, 0, 2, 1]).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
    assert!(nothing.text.contains("Aucun signalement coché"));
    // Two ticked: ignored at once, with the default reason; the third stays pending.
    let ignored = pages
        .post(
            &format!("{path}/indesirables"),
            &[("habilitation", &habilitation), ("ids", &ids[0]), ("ids", &ids[1]), ("raison", "")],
            [10, 0, 2, 1],
        )
        .await;
    assert_eq!(ignored.status, StatusCode::SEE_OTHER, "{}", ignored.text);
    let after = pages.get(ignored.location.as_deref().unwrap()).await;
    assert!(after.text.contains("2 signalement(s) ignoré(s) comme indésirables"), "{}", after.text);
    assert!(after.text.contains("1 signalement(s) en attente"));
    for id in &ids[..2] {
        let report = pages.store.report(id).await.unwrap().unwrap();
        assert_eq!(report.status, ReportStatus::Ignored);
        assert_eq!(report.rejection_reason.as_deref(), Some("Signalement abusif."));
    }
    assert_eq!(pages.store.report(&ids[2]).await.unwrap().unwrap().status, ReportStatus::Pending);
}
