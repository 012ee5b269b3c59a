//! Citizen reports in a real browser (headless Chromium through chromedriver, as `web.rs`):
//! `ban serve` on a SQLite store with the town halls' directory imported, the depot's mails
//! sent to a real SMTP server process (`tests/smtp_server.py`), and Mont-Bonvillers (54084)
//! published. A resident reports a missing number from the commune page, placing it with a
//! click on the map; the report is pending on the commune page; the town hall publishes a
//! revision with that number at that place, and the report shows « Traité » with that
//! revision without anyone touching it. Then the town hall, after its code consent, ignores
//! another report with a reason; and the form works without JavaScript (the position typed).
//! axe-core on every new page; screenshots desktop and mobile
//! into `target/screenshots/` (`signaler-*`, `signalement-*`, `signalements-commune-*`,
//! `mairie-signalements-*`).
#![allow(clippy::unwrap_used)]
#[allow(dead_code)] // the keyboard helpers serve web.rs
mod a11y;
mod browser;
mod smtp_server;
mod support;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ban::serve::{serve, HttpSettings, Services};
use ban_store::Store;
use browser::{click_and_wait, open_browser, root, screenshots, start_driver, text_of};
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::{Client, Locator};
use serde_json::json;
use support::Depot;

/// The report's row on the commune page: its `data-status`, and its text.
async fn report_row(browser: &Client, id: &str) -> (String, String) {
    let row = browser.find(Locator::Css(&format!("#signalements tr[data-report='{id}']"))).await.unwrap();
    (row.attr("data-status").await.unwrap().unwrap(), row.text().await.unwrap())
}

/// Clicks the map `#{map}` at `[lon, lat]`, once MapLibre has drawn its addresses: a real
/// click of the pointer, at the pixel MapLibre gives for that place.
async fn click_on_map(browser: &Client, map: &str, point: [f64; 2]) {
    let offset = browser
        .execute_async(
            "const [point, id, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
             const started = Date.now();
             (function wait() {
               const map = document.getElementById(id).banMap;
               if (map && map.loaded() && map.getLayer('adresses')
                   && map.queryRenderedFeatures({layers: ['adresses']}).length > 0) {
                 map.getContainer().scrollIntoView({block: 'center'});
                 const p = map.project(point);
                 const canvas = map.getCanvas();
                 return done([p.x - canvas.clientWidth / 2, p.y - canvas.clientHeight / 2]);
               }
               if (Date.now() - started > 20000) return done(null);
               setTimeout(wait, 100);
             })();",
            vec![json!(point), json!(map)],
        )
        .await
        .unwrap();
    let [x, y] = [offset[0].as_f64().expect("the map loaded"), offset[1].as_f64().unwrap()];
    let canvas = browser.find(Locator::Css(&format!("#{map} canvas"))).await.unwrap();
    let click = MouseActions::new("souris".into())
        .then(PointerAction::MoveToElement { element: canvas, duration: None, x, y })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    browser.perform_actions(click).await.unwrap();
}

/// The town hall's code, from the last mail that carries one.
async fn pin_from_mail(smtp: &smtp_server::SmtpServer) -> String {
    const SAID: &str = "Votre code de validation est : ";
    let started = Instant::now();
    loop {
        if let Some(mail) = smtp.received().into_iter().rev().find(|m| m.body.contains(SAID)) {
            assert_eq!(mail.to, "mairie@mont-bonvillers.invalid");
            let pin: String = mail.body.split(SAID).nth(1).unwrap().chars().take(6).collect();
            assert!(pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
            return pin;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no code mailed: {:#?}", smtp.received());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_in_a_real_browser() {
    let driver = start_driver().await;
    let smtp = smtp_server::SmtpServer::start(smtp_server::Mode::Plain, None);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = ban_service_kit::open_store(&url).await.unwrap();
    ban::directory::import_directory(
        &*store,
        &root().join("data/directory/api-lannuaire-administration.json"),
    )
    .await
    .unwrap();
    let client = support::internal_client(&*store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let depot_args = ban_depot::DepotArgs {
        smtp_url: Some(ban_service_kit::SecretUrl::new(format!("smtp://localhost:{}", smtp.port))),
        ..ban_depot::DepotArgs::default()
    };
    let services = Services { depot: Some(depot_args), ..Services::all() };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, store.clone(), services, HttpSettings::default(), async {
        let _ = stopped.await;
    }));
    let depot = Depot {
        http: reqwest::Client::new(),
        base: base.clone(),
        auth: format!("Token {}", client.token.expose()),
    };
    let sample = std::fs::read_to_string(root().join("data/samples/54084_mont-bonvillers.csv")).unwrap();
    depot.publish("54084", sample.clone().into_bytes()).await.expect("the sample is valid");
    let started = Instant::now();
    while store.base_commune("54084").await.unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "the sample was never consolidated");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let browser = open_browser(&driver, true).await;
    // axe-core and the map's waits may take a while on a loaded machine.
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(
        Some(Duration::from_secs(120)),
        Some(Duration::from_secs(120)),
        Some(Duration::ZERO),
    );
    browser.update_timeouts(timeouts).await.unwrap();

    // A resident, on the commune page, reports a missing number.
    browser.goto(&format!("{base}/commune/54084")).await.unwrap();
    assert!(text_of(&browser, "#sans-signalement").await.contains("Aucun signalement"));
    click_and_wait(&browser, "#signaler").await;
    assert_eq!(browser.title().await.unwrap(), "Signaler une erreur à Mont-Bonvillers (54084) — BAN Sync");
    assert!(browser
        .find(Locator::Css("#quoi-adresse-manquante"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap());
    browser.find(Locator::Id("numero")).await.unwrap().send_keys("99").await.unwrap();
    browser.find(Locator::Id("voie")).await.unwrap().send_keys("Rue Joffre").await.unwrap();
    // Placed with a click on the map, near the first numbers of Rue Joffre.
    click_on_map(&browser, "carte-signalement", [5.8339, 49.3224]).await;
    let field = |id: &'static str| {
        let browser = &browser;
        async move { browser.find(Locator::Id(id)).await.unwrap().prop("value").await.unwrap().unwrap() }
    };
    let started = Instant::now();
    while field("lon").await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "the click on the map filled no position");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let said = text_of(&browser, "#position-choisie").await;
    assert!(said.starts_with("Position choisie : longitude 5.83"), "{said}");
    let (lon, lat) = (field("lon").await, field("lat").await);
    let point: [f64; 2] = [lon.parse().unwrap(), lat.parse().unwrap()];
    // Where it was clicked, to a few metres (a pixel of the map).
    assert!((point[0] - 5.8339).abs() < 0.0002 && (point[1] - 49.3224).abs() < 0.0002, "{point:?}");
    browser
        .find(Locator::Id("commentaire"))
        .await
        .unwrap()
        .send_keys("Maison neuve, pas encore numérotée")
        .await
        .unwrap();
    browser
        .find(Locator::Id("courriel"))
        .await
        .unwrap()
        .send_keys("jeanne.martin@example.org")
        .await
        .unwrap();
    screenshots(&browser, "signaler", Some("#position")).await;
    a11y::assert_accessible(&browser, "/signaler").await;
    click_and_wait(&browser, "#envoyer").await;
    assert!(text_of(&browser, "#recu").await.contains("Votre signalement est enregistré"));
    let id =
        browser.find(Locator::Css("#signalement")).await.unwrap().attr("data-report").await.unwrap().unwrap();
    let stored = store.report(&id).await.unwrap().unwrap();
    assert_eq!((stored.lon, stored.lat), (Some(point[0]), Some(point[1])));
    screenshots(&browser, "signalement-recu", None).await;
    a11y::assert_accessible(&browser, "/signalement/{id} (receipt)").await;
    // The town hall is mailed about it (one mail per report, the commune's default), with a
    // link to the commune's page, and never the author's address.
    let started = Instant::now();
    let mail = loop {
        let received = smtp.received();
        if let Some(mail) =
            received.into_iter().find(|m| m.subject.starts_with("Nouveau signalement d’adresse"))
        {
            break mail;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no mail to the town hall: {:#?}",
            smtp.received()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // No habilitation confirmed yet: the directory's town hall addresses, all of them.
    assert_eq!(mail.to, "mairie@mont-bonvillers.invalid, secretariat@mont-bonvillers.invalid");
    assert!(mail.body.contains("99") && mail.body.contains("/commune/54084"), "{}", mail.body);
    assert!(!mail.body.contains("jeanne.martin"), "{}", mail.body);

    // Pending on the commune page.
    click_and_wait(&browser, "a[href='/commune/54084#titre-signalements']").await;
    let (status, text) = report_row(&browser, &id).await;
    assert_eq!(status, "PENDING", "{text}");
    assert!(
        text.contains("Ajouter le 99 Rue Joffre") && text.to_lowercase().contains("en attente"),
        "{text}"
    );
    screenshots(&browser, "commune-signalements", Some("#titre-signalements")).await;
    a11y::assert_accessible(&browser, "/commune/54084 (reports)").await;

    // The town hall publishes a revision with that number at that place; nobody touches the
    // report, which the consolidation closes.
    let today = chrono::Utc::now().format("%Y-%m-%d");
    // The sample's own line breaks (CRLF, none after the last line).
    let line = format!(
        ";54084_0200_00099;54084;Mont-Bonvillers;;;Rue Joffre;;99;;entrée;;;{lon};{lat};;commune;{today};0"
    );
    let with_99 = format!("{}\r\n{line}\r\n", sample.trim_end());
    let revision = depot.publish("54084", with_99.into_bytes()).await.expect("the file with 99 is valid");
    let started = Instant::now();
    let text = loop {
        browser.goto(&format!("{base}/commune/54084")).await.unwrap();
        let (status, text) = report_row(&browser, &id).await;
        if status == "PROCESSED" {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the report never closed itself: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(text.contains("Traité") || text.contains("TRAITÉ"), "{text}");
    assert!(text.contains(&format!("par la publication de la révision {revision}")), "{text}");
    let link = browser
        .find(Locator::Css(&format!("tr[data-report='{id}'] a[data-revision='{revision}']")))
        .await
        .unwrap();
    assert_eq!(link.attr("href").await.unwrap(), Some(format!("/publier/{revision}/suivi")));
    let stored = store.report(&id).await.unwrap().unwrap();
    assert_eq!(stored.processed_by.as_deref(), Some("consolidation"));
    screenshots(&browser, "commune-signalement-traite", Some("#titre-signalements")).await;

    // The other ways in: an address of the commune's map (its bubble's link) and a result of
    // the home page's search, each leading to the form about that address.
    click_on_map(&browser, "carte", [5.833622, 49.322203]).await;
    let link = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".maplibregl-popup a.ban-signaler"))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("/signaler?commune=54084&adresse=54084_"), "{href}");
    click_and_wait(&browser, ".maplibregl-popup a.ban-signaler").await;
    let about = text_of(&browser, "#adresse-concernee").await;
    assert!(about.starts_with("Adresse concernée : "), "{about}");
    assert!(browser.find(Locator::Css("#quoi-adresse-erronee")).await.unwrap().is_selected().await.unwrap());
    browser.goto(&format!("{base}/")).await.unwrap();
    let search = browser.find(Locator::Id("recherche-adresse")).await.unwrap();
    let started = Instant::now();
    let result = loop {
        search.clear().await.unwrap();
        search.send_keys("99 rue joffre mont-bonvillers").await.unwrap();
        let found = browser
            .wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css("#resultats-liste li a.ban-result__signaler"))
            .await;
        if let Ok(link) = found {
            break link;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "99 Rue Joffre never searchable");
    };
    assert!(result.attr("href").await.unwrap().unwrap().starts_with("/signaler?commune=54084&adresse="));
    click_and_wait(&browser, "#resultats-liste li:first-child a.ban-result__signaler").await;
    assert_eq!(
        text_of(&browser, "#adresse-concernee").await.lines().next(),
        Some("Adresse concernée : 99 Rue Joffre")
    );

    // Another report, of a number to delete; the town hall ignores it after its code.
    let other: serde_json::Value = depot
        .http
        .post(format!("{base}/api-depot/signalements"))
        .json(&json!({
            "codeCommune": "54084", "type": "LOCATION_TO_DELETE",
            "existingLocation": {"type": "NUMERO", "numero": 1, "toponyme": {"nom": "Rue Joffre"}},
            "changesRequested": {"comment": "Ce numéro n’existe pas"}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other = other["id"].as_str().unwrap().to_owned();
    browser.goto(&format!("{base}/commune/54084")).await.unwrap();
    click_and_wait(&browser, "#traiter-signalements").await;
    assert!(text_of(&browser, "#choix-adresse").await.contains("mairie@mont-bonvillers.invalid"));
    screenshots(&browser, "mairie-signalements-1-adresse", None).await;
    a11y::assert_accessible(&browser, "/commune/54084/signalements/mairie (address)").await;
    click_and_wait(&browser, "#recevoir-code").await;
    assert!(text_of(&browser, "#code-envoye").await.contains("mairie@mont-bonvillers.invalid"));
    let pin = pin_from_mail(&smtp).await;
    screenshots(&browser, "mairie-signalements-2-code", None).await;
    a11y::assert_accessible(&browser, "/commune/54084/signalements/mairie (code)").await;
    browser.find(Locator::Id("code")).await.unwrap().send_keys(&pin).await.unwrap();
    click_and_wait(&browser, "#valider-code").await;
    assert!(text_of(&browser, "#en-attente").await.starts_with("1 signalement(s) en attente"));
    assert!(
        browser.find_all(Locator::Css(&format!("#decision-{id}"))).await.unwrap().is_empty(),
        "processed"
    );
    browser
        .find(Locator::Id(&format!("raison-{other}")))
        .await
        .unwrap()
        .send_keys("Le 1 rue Joffre existe : vérifié sur place")
        .await
        .unwrap();
    screenshots(&browser, "mairie-signalements-3-liste", Some(&format!("#signalement-{other}"))).await;
    a11y::assert_accessible(&browser, "/commune/54084/signalements/mairie (reports)").await;
    click_and_wait(&browser, &format!("#ignorer-{other}")).await;
    assert!(text_of(&browser, "#fait").await.contains(&format!("Le signalement {other} est ignoré")));
    assert!(text_of(&browser, "#aucun").await.contains("Aucun signalement n’attend de réponse"));
    a11y::assert_accessible(&browser, "/commune/54084/signalements/mairie (done)").await;

    // Public on the commune page, with its reason.
    browser.goto(&format!("{base}/commune/54084")).await.unwrap();
    let (status, text) = report_row(&browser, &other).await;
    assert_eq!(status, "IGNORED", "{text}");
    assert!(text.contains("Le 1 rue Joffre existe : vérifié sur place"), "{text}");
    browser.goto(&format!("{base}/commune/54084/signalements")).await.unwrap();
    assert!(text_of(&browser, "h1").await.starts_with("Signalements de Mont-Bonvillers"));
    assert_eq!(browser.find_all(Locator::Css("#signalements tbody tr")).await.unwrap().len(), 2);
    screenshots(&browser, "signalements-commune", None).await;
    a11y::assert_accessible(&browser, "/commune/54084/signalements").await;
    browser.goto(&format!("{base}/signalement/{other}")).await.unwrap();
    assert!(text_of(&browser, "#statut").await.contains("vérifié sur place"));
    screenshots(&browser, "signalement", None).await;
    a11y::assert_accessible(&browser, "/signalement/{id}").await;
    browser.close().await.unwrap();

    // Without JavaScript: no map, the position typed; the form still sends the report.
    let browser = open_browser(&driver, false).await;
    browser.goto(&format!("{base}/signaler?commune=54084")).await.unwrap();
    assert!(!browser.find(Locator::Id("carte-signalement")).await.unwrap().is_displayed().await.unwrap());
    // Sent empty: each missing field says so beside it.
    click_and_wait(&browser, "#envoyer").await;
    assert!(text_of(&browser, "#numero-erreur").await.contains("le numéro de l’adresse"));
    assert!(text_of(&browser, "#voie-erreur").await.contains("le nom de la voie"));
    assert!(text_of(&browser, "#position-erreur").await.contains("au moins une position"));
    // (axe-core needs JavaScript: this error state is not checked by it.)
    screenshots(&browser, "signaler-erreurs", Some("#probleme")).await;
    for (id, value) in [("numero", "101"), ("voie", "Rue Joffre"), ("lon", "5,8341"), ("lat", "49.3226")] {
        browser.find(Locator::Id(id)).await.unwrap().send_keys(value).await.unwrap();
    }
    click_and_wait(&browser, "#envoyer").await;
    assert!(text_of(&browser, "#recu").await.contains("Votre signalement est enregistré"));
    let id =
        browser.find(Locator::Css("#signalement")).await.unwrap().attr("data-report").await.unwrap().unwrap();
    let stored = store.report(&id).await.unwrap().unwrap();
    assert_eq!((stored.lon, stored.lat), (Some(5.8341), Some(49.3226)));
    browser.close().await.unwrap();

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
