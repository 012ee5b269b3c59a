//! The web pages in a real browser: `ban serve` on a SQLite store with the sample commune
//! published, headless Chromium driven through chromedriver (WebDriver, `fantoccini`). The home
//! page's search box shows an address of the sample; the validator page, given the sample with
//! defects, shows the error codes and first lines `ban validate` finds, with JavaScript (the
//! form sent in the background, the file kept for the downloads) and without. Screenshots of each page, desktop (1280×900) and mobile (375×812), go to
//! `target/screenshots/`.
//!
//! Chromium and chromedriver are Debian's (`chromium`, `chromium-driver`), installed by
//! `scripts/setup.sh` (`make setup`, run by `make test`): without them this test fails and says so.
#![allow(clippy::unwrap_used)]
mod a11y;
mod browser;
mod smtp_server;
mod support;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ban::serve::{serve, HttpSettings, Services};
use ban_domain::Level;
use ban_store::Store;
use browser::{click_and_wait, open_browser, root, screenshots, start_driver, text_of};
use fantoccini::{Client, Locator};
use serde_json::json;
use support::Depot;

/// The validator page given `file`: the report's error codes, each with its first line.
async fn validate_in_page(browser: &Client, base: &str, file: &Path) -> BTreeMap<String, Option<u32>> {
    browser.goto(&format!("{base}/outils/validateur")).await.unwrap();
    let input = browser.find(Locator::Id("fichier")).await.unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    browser.find(Locator::Id("valider")).await.unwrap().click().await.unwrap();
    browser.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("rapport")).await.unwrap();
    let verdict = browser.find(Locator::Id("verdict")).await.unwrap().text().await.unwrap();
    assert!(verdict.contains("Fichier non valide"), "{verdict}");
    let mut codes = BTreeMap::new();
    for section in browser.find_all(Locator::Css("details[data-level='E']")).await.unwrap() {
        let code = section.attr("data-code").await.unwrap().unwrap();
        let first = match section.find_all(Locator::Css("tr[data-line]")).await.unwrap().first() {
            Some(row) => Some(row.attr("data-line").await.unwrap().unwrap().parse().unwrap()),
            None => None,
        };
        codes.insert(code, first);
    }
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_in_a_real_browser() {
    let driver = start_driver().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = ban_service_kit::open_store(&url).await.unwrap();
    let client = support::internal_client(&*store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let depot = Depot {
        http: reqwest::Client::new(),
        base: base.clone(),
        auth: format!("Token {}", client.token.expose()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(serve(listener, store.clone(), Services::all(), HttpSettings::default(), async {
            let _ = stopped.await;
        }));
    let sample = std::fs::read(root().join("data/samples/54084_mont-bonvillers.csv")).unwrap();
    depot.publish("54084", sample).await.expect("the sample is valid");
    // Searchable once consolidated and indexed.
    let query = format!("{base}/search/?q=1+allee+des+acacias+mont-bonvillers");
    let started = Instant::now();
    loop {
        let answer: serde_json::Value = match depot.http.get(&query).send().await {
            Ok(response) if response.status() == 200 => response.json().await.unwrap(),
            _ => serde_json::Value::Null,
        };
        if answer["features"][0]["properties"]["id"] == "54084_0020_00001" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the sample never became searchable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let browser = open_browser(&driver, true).await;
    // Home: the search box shows the sample's address while typing.
    browser.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(browser.title().await.unwrap(), "Accueil — BAN Sync");
    let lang = browser.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
    assert_eq!(lang.as_deref(), Some("fr"));
    let header = browser.find(Locator::Css(".fr-header__service-title")).await.unwrap().text().await.unwrap();
    assert_eq!(header, "BAN Sync — Base Adresse Nationale");
    let input = browser.find(Locator::Id("recherche-adresse")).await.unwrap();
    input.send_keys("1 allée des acacias mont").await.unwrap();
    let first = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#resultats-liste li"))
        .await
        .unwrap();
    let text = first.text().await.unwrap();
    assert!(text.contains("1 Allee des Acacias") && text.contains("Mont-Bonvillers"), "{text}");
    assert_eq!(first.attr("data-id").await.unwrap().as_deref(), Some("54084_0020_00001"));
    // Each result links to its commune's page, and the results are drawn on a map.
    let link = first.find(Locator::Css("a.ban-result__commune")).await.unwrap();
    assert_eq!(link.attr("href").await.unwrap().as_deref(), Some("/commune/54084"));
    let drawn = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const started = Date.now();
             (function wait() {
               const map = document.getElementById('carte-resultats').banMap;
               if (map && map.getLayer('resultats') && map.loaded()) {
                 const found = map.queryRenderedFeatures({layers: ['resultats']});
                 if (found.length > 0) return done(found.map(f => f.properties.id));
               }
               if (Date.now() - started > 20000) return done(null);
               setTimeout(wait, 100);
             })();",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(drawn, json!(["54084_0020_00001"]), "the results' map");
    screenshots(&browser, "accueil-carte", Some("#carte-resultats")).await;
    screenshots(&browser, "accueil", None).await;
    a11y::assert_accessible(&browser, "/ (with results)").await;

    // The validator, with JavaScript: the codes and first lines of `ban validate`.
    let defects = root().join("data/samples/67482_strasbourg_with-defects.csv");
    let report = ban_bal::validate_file(&defects, &ban_bal::Options::default()).unwrap();
    let expected: BTreeMap<String, Option<u32>> = report
        .codes_at(Level::Error)
        .map(|code| (code.to_owned(), report.issues.iter().find(|i| &*i.code == code).map(|i| i.line)))
        .collect();
    assert!(expected.values().any(Option::is_some), "{expected:?}");
    browser.goto(&format!("{base}/outils/validateur")).await.unwrap();
    screenshots(&browser, "validateur", None).await;
    a11y::assert_accessible(&browser, "/outils/validateur").await;
    // Nothing to download before a report.
    assert!(!browser.find(Locator::Id("telecharger-csv")).await.unwrap().is_displayed().await.unwrap());
    let shown = validate_in_page(&browser, &base, &defects).await;
    assert_eq!(shown, expected);
    // The script sent the form in the background: the file is still chosen, and what the
    // download buttons post (the form, to ?format=csv) answers every finding.
    let chosen = browser.find(Locator::Id("fichier")).await.unwrap().prop("value").await.unwrap();
    assert!(chosen.unwrap_or_default().ends_with("67482_strasbourg_with-defects.csv"));
    let lines = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/api/validate?format=csv', {method: 'POST', body: new FormData(document.getElementById('validateur'))})
               .then(r => r.text()).then(t => done(t.trim().split('\\n').length));",
            vec![],
        )
        .await
        .unwrap();
    let findings = report.counts.per_code.values().sum::<usize>() + report.counts.parse_errors;
    assert_eq!(lines, json!(1 + findings));
    screenshots(&browser, "validateur-rapport", Some("#rapport")).await;
    a11y::assert_accessible(&browser, "/outils/validateur (report)").await;
    assert!(browser.find(Locator::Id("telecharger-csv")).await.unwrap().is_displayed().await.unwrap());

    downloads_page(&browser, &base).await;
    keyboard_only(&browser, &base, &defects).await;
    commune_page(&browser, &base, &*store).await;
    browser.close().await.unwrap();

    // The same page without JavaScript.
    let browser = open_browser(&driver, false).await;
    // Scripts do not run: typing in the home page's search box shows nothing.
    browser.goto(&format!("{base}/")).await.unwrap();
    browser
        .find(Locator::Id("recherche-adresse"))
        .await
        .unwrap()
        .send_keys("1 allée des acacias mont")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(browser.find_all(Locator::Css("#resultats-liste li")).await.unwrap().is_empty());
    let shown = validate_in_page(&browser, &base, &defects).await;
    assert_eq!(shown, expected);
    // The commune page without JavaScript: the figures and the streets, no map.
    browser.goto(&format!("{base}/commune/54084")).await.unwrap();
    let addresses = browser.find(Locator::Id("nb-adresses")).await.unwrap().text().await.unwrap();
    assert_eq!(addresses, store.base_commune("54084").await.unwrap().unwrap().addresses.to_string());
    assert!(!browser.find_all(Locator::Css("#voies tbody tr")).await.unwrap().is_empty());
    assert!(browser.find_all(Locator::Css("#carte canvas")).await.unwrap().is_empty());
    browser.close().await.unwrap();

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// Clicks the button `id` of a form and waits for the page it leads to.
async fn submit(browser: &Client, id: &str) {
    click_and_wait(browser, &format!("#{id}")).await;
}

/// The step the publication page shows.
async fn step_shown(browser: &Client) -> String {
    let stepper =
        browser.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("etape")).await.unwrap();
    stepper.attr("data-step").await.unwrap().unwrap()
}

/// The publication flow of a town hall, in a real browser, on `ban serve` with the town halls'
/// directory imported and the depot's mails sent to a real SMTP server: a file with errors
/// blocked at step 1; the sample published for 54084 with the code read from the mail (a wrong
/// code first); the follow-up page until the addresses are consolidated and searchable.
/// Screenshots of every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publication_in_a_real_browser() {
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let depot = ban_depot::DepotArgs {
        smtp_url: Some(ban_service_kit::SecretUrl::new(format!("smtp://localhost:{}", smtp.port))),
        ..ban_depot::DepotArgs::default()
    };
    let services = Services { depot: Some(depot), ..Services::all() };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, store.clone(), services, HttpSettings::default(), async {
        let _ = stopped.await;
    }));
    let browser = open_browser(&driver, true).await;

    // Step 1: the communes offered while typing; a file with errors is blocked, with its report.
    browser.goto(&format!("{base}/publier")).await.unwrap();
    assert_eq!(step_shown(&browser).await, "1");
    let commune = browser.find(Locator::Id("commune")).await.unwrap();
    commune.send_keys("Strasbo").await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#communes-liste option[value='Strasbourg (67482)']"))
        .await
        .unwrap();
    screenshots(&browser, "publier-1-depot", None).await;
    a11y::assert_accessible(&browser, "publier-1-depot").await;
    commune.clear().await.unwrap();
    commune.send_keys("Mont-Bonvillers (54084)").await.unwrap();
    // Her file first, with a mistake on its line 3 (« douze » for a number): the report names
    // the line, the column and the value, and publication waits for the corrected file.
    let sample = root().join("data/samples/54084_mont-bonvillers.csv");
    let mut lines: Vec<String> =
        std::fs::read_to_string(&sample).unwrap().lines().map(str::to_owned).collect();
    let numero = lines[0].split(';').position(|column| column == "numero").unwrap();
    let mut cells: Vec<String> = lines[2].split(';').map(str::to_owned).collect();
    cells[numero] = "douze".into();
    lines[2] = cells.join(";");
    let with_error = dir.path().join("54084_mont-bonvillers.csv");
    std::fs::write(&with_error, lines.join("\n") + "\n").unwrap();
    browser
        .find(Locator::Id("fichier"))
        .await
        .unwrap()
        .send_keys(&with_error.display().to_string())
        .await
        .unwrap();
    submit(&browser, "deposer").await;
    let verdict = text_of(&browser, "#rapport #verdict").await;
    assert!(verdict.contains("Le fichier contient des erreurs"), "{verdict}");
    assert_eq!(step_shown(&browser).await, "1");
    let row = text_of(&browser, "details[data-level='E'] tr[data-line='3']").await;
    assert!(row.contains("numero") && row.contains("douze"), "{row}");
    screenshots(&browser, "publier-1-erreurs", Some("#rapport")).await;
    a11y::assert_accessible(&browser, "publier-1-erreurs").await;

    // The corrected file (the sample of 54084): valid, step 2 offers the town hall's addresses.
    let commune = browser.find(Locator::Id("commune")).await.unwrap();
    commune.clear().await.unwrap();
    commune.send_keys("Mont-Bonvillers (54084)").await.unwrap();
    browser
        .find(Locator::Id("fichier"))
        .await
        .unwrap()
        .send_keys(&sample.display().to_string())
        .await
        .unwrap();
    submit(&browser, "deposer").await;
    assert!(text_of(&browser, "#verdict").await.contains("Le fichier est valide"));
    assert_eq!(step_shown(&browser).await, "2");
    let first = browser.find(Locator::Id("adresse-1")).await.unwrap();
    assert_eq!(first.attr("value").await.unwrap().as_deref(), Some("mairie@mont-bonvillers.invalid"));
    screenshots(&browser, "publier-2-adresse", Some("#choix-adresse")).await;
    a11y::assert_accessible(&browser, "publier-2-adresse").await;
    submit(&browser, "recevoir-code").await;

    // Step 3: the code, read from the mail the town hall received; a wrong one first.
    assert!(text_of(&browser, "#code-envoye").await.contains("mairie@mont-bonvillers.invalid"));
    assert_eq!(step_shown(&browser).await, "3");
    let mail = smtp.wait_for(1, Duration::from_secs(30)).await.remove(0);
    assert_eq!(mail.to, "mairie@mont-bonvillers.invalid");
    let pin: String =
        mail.body.split("Votre code de validation est : ").nth(1).unwrap().chars().take(6).collect();
    assert!(pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
    screenshots(&browser, "publier-3-code", Some("#etape")).await;
    a11y::assert_accessible(&browser, "publier-3-code").await;
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    browser.find(Locator::Id("code")).await.unwrap().send_keys(wrong).await.unwrap();
    submit(&browser, "valider-code").await;
    let problem = text_of(&browser, "#probleme").await;
    assert!(problem.contains("Code non valide, 9 tentatives restantes"), "{problem}");
    screenshots(&browser, "publier-3-code-faux", Some("#etape")).await;
    a11y::assert_accessible(&browser, "publier-3-code-faux").await;
    browser.find(Locator::Id("code")).await.unwrap().send_keys(&pin).await.unwrap();
    submit(&browser, "valider-code").await;

    // Step 4, then the follow-up, which updates itself until the addresses are searchable.
    assert!(text_of(&browser, "#habilitee").await.contains("Mont-Bonvillers est prête à être publiée"));
    assert_eq!(step_shown(&browser).await, "4");
    screenshots(&browser, "publier-4-publication", Some("#etape")).await;
    a11y::assert_accessible(&browser, "publier-4-publication").await;
    submit(&browser, "publier").await;
    assert_eq!(step_shown(&browser).await, "5");
    browser
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-stage='consultable'][data-state='done']"))
        .await
        .unwrap();
    let consolidated = text_of(&browser, "[data-stage='consolidee'][data-state='done']").await;
    assert!(consolidated.contains("Intégrée à la Base Adresse Nationale"), "{consolidated}");
    assert!(consolidated.contains("adresse(s) ajoutée(s)"), "{consolidated}");
    let searchable = text_of(&browser, "[data-stage='consultable']").await;
    assert!(searchable.contains("consultables dans le géocodeur"), "{searchable}");
    let found = text_of(&browser, "#trouvee").await;
    assert!(
        found.contains("Mont-Bonvillers") && found.contains("« 1"),
        "an address, not the commune: {found}"
    );
    screenshots(&browser, "publier-5-suivi", Some("#suivi")).await;
    a11y::assert_accessible(&browser, "publier-5-suivi").await;
    // The geocoder does answer an address of the commune.
    let answer: serde_json::Value =
        reqwest::get(format!("{base}/search/?q=1+allee+des+acacias+mont-bonvillers"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(answer["features"][0]["properties"]["citycode"], "54084");
    // And on the commune's map, from the tiles, as soon as the follow-up says searchable.
    browser.goto(&format!("{base}/commune/54084")).await.unwrap();
    let drawn = drawn_addresses(&browser).await;
    assert!(drawn["count"].as_i64().unwrap() > 100, "the published addresses on the map: {drawn}");
    assert!(drawn["ids"].as_array().unwrap().iter().any(|id| id == "54084_0200_00001"), "{drawn}");
    browser.close().await.unwrap();

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// `/donnees`: every département listed, the France file built before shown with its size,
/// the links answering files; accessible.
async fn downloads_page(browser: &Client, base: &str) {
    // One France file built (and kept) before the page is read.
    let france =
        reqwest::get(format!("{base}/data/ban/adresses/latest/csv/adresses-france.csv.gz")).await.unwrap();
    assert_eq!(france.status(), 200);
    let length = france.bytes().await.unwrap().len();
    let written = Instant::now();
    loop {
        browser.goto(&format!("{base}/donnees")).await.unwrap();
        let row = browser.find(Locator::Css("#fichiers-france tr[data-format='csv']")).await.unwrap();
        if row.attr("data-written").await.unwrap().is_some() {
            let size = row.find(Locator::Css(".ban-taille")).await.unwrap().text().await.unwrap();
            assert!(size.ends_with("ko") || size.ends_with("octets"), "{size} for {length} bytes");
            break;
        }
        assert!(written.elapsed() < Duration::from_secs(10), "the France file never showed as written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.title().await.unwrap(), "Télécharger les données — BAN Sync");
    let rows = browser.find_all(Locator::Css("#fichiers-departements tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 109, "101 départements and 8 collectivités d’outre-mer");
    let meurthe = browser.find(Locator::Css("tr[data-departement='54']")).await.unwrap();
    let text = meurthe.text().await.unwrap();
    assert!(text.contains("Meurthe-et-Moselle") && text.contains('1'), "{text}");
    // A département's link answers its file.
    let link = meurthe.find(Locator::Css("a")).await.unwrap().attr("href").await.unwrap().unwrap();
    let answer = reqwest::get(format!("{base}{link}")).await.unwrap();
    assert_eq!(answer.status(), 200, "{link}");
    let current = browser.find(Locator::Css("a.fr-nav__link[aria-current='page']")).await.unwrap();
    assert_eq!(current.text().await.unwrap(), "Données");
    screenshots(browser, "donnees", None).await;
    screenshots(browser, "donnees-departements", Some("#aller-departement")).await;
    screenshots(browser, "donnees-flux", Some("#suivre")).await;
    a11y::assert_accessible(browser, "/donnees").await;
    // The check sees what it should: a button without a name, a field without a label.
    browser
        .execute(
            "document.getElementById('contenu').insertAdjacentHTML('beforeend', '<button></button><input type=\"text\">')",
            vec![],
        )
        .await
        .unwrap();
    let broken = a11y::serious_rules(browser, "/donnees (broken on purpose)").await;
    assert!(broken.contains(&"button-name".to_owned()) && broken.contains(&"label".to_owned()), "{broken:?}");
    // « Aller au département » leads to the row (a plain form: the server redirects).
    browser.goto(&format!("{base}/donnees")).await.unwrap();
    browser.find(Locator::Id("departement")).await.unwrap().select_by_value("54").await.unwrap();
    browser.find(Locator::Css("#aller-departement button")).await.unwrap().click().await.unwrap();
    let started = Instant::now();
    while !browser.current_url().await.unwrap().as_str().ends_with("/donnees#departement-54") {
        assert!(started.elapsed() < Duration::from_secs(10), "the form never led to the row");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The home page and the validator with the keyboard alone: Tab reaches the search box, the
/// file input and the submit button, each with a visible focus; Enter validates the file and
/// the focus moves to the report.
async fn keyboard_only(browser: &Client, base: &str, file: &Path) {
    browser.set_window_size(1280, 900).await.unwrap();
    browser.goto(&format!("{base}/")).await.unwrap();
    let stops = a11y::tab_to(browser, "recherche-adresse", 20).await;
    // The skip links come first.
    assert_eq!(stops[0].tag, "a", "{stops:?}");
    browser.goto(&format!("{base}/outils/validateur")).await.unwrap();
    a11y::tab_to(browser, "fichier", 20).await;
    // Choosing a file is the system dialog's job: WebDriver fills the input instead.
    browser.find(Locator::Id("fichier")).await.unwrap().send_keys(&file.display().to_string()).await.unwrap();
    a11y::tab_to(browser, "valider", 5).await;
    a11y::press(browser, fantoccini::key::Key::Enter).await;
    browser.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("rapport")).await.unwrap();
    let started = Instant::now();
    while a11y::focus(browser).await.id != "rapport-titre" {
        assert!(started.elapsed() < Duration::from_secs(5), "the focus never moved to the report");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The commune page of the published sample: its figures are the store's, its streets are
/// listed, and its map draws the addresses of our tiles (asked of MapLibre itself).
async fn commune_page(browser: &Client, base: &str, store: &dyn Store) {
    let commune = store.base_commune("54084").await.unwrap().unwrap();
    let streets = store.commune_base("54084").await.unwrap().toponyms.iter().filter(|t| t.active).count();
    browser.goto(&format!("{base}/commune/54084")).await.unwrap();
    assert_eq!(browser.title().await.unwrap(), "Mont-Bonvillers – 54084 — BAN Sync");
    let title = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(title, "Mont-Bonvillers – 54084");
    let figure =
        |id: &'static str| async move { browser.find(Locator::Id(id)).await.unwrap().text().await.unwrap() };
    assert_eq!(figure("nb-adresses").await, commune.addresses.to_string());
    assert_eq!(figure("taux-certification").await, "0 %");
    assert_eq!(browser.find_all(Locator::Css("#voies tbody tr")).await.unwrap().len(), streets);
    let current = figure("revision-actuelle").await;
    // (The DSFR writes badges in capitals.)
    assert!(current.contains("Éditeur") && current.to_lowercase().contains("intégrée"), "{current}");
    // Opening a street's numbers (a native <details>) shows them.
    let joffre = browser.find(Locator::XPath("//tr[th='Rue Joffre']//summary")).await.unwrap();
    joffre.click().await.unwrap();
    let numbers =
        browser.find(Locator::XPath("//tr[th='Rue Joffre']//details/p")).await.unwrap().text().await.unwrap();
    assert!(numbers.starts_with("1, 2, "), "{numbers}");

    // The map: wait until MapLibre has drawn what it asked of our tiles.
    let drawn = drawn_addresses(browser).await;
    let count = drawn["count"].as_i64().unwrap();
    assert!(count > 100, "addresses drawn on the map: {drawn}");
    assert!(drawn["ids"].as_array().unwrap().iter().any(|id| id == "54084_0200_00001"), "{drawn}");
    assert!(browser.find(Locator::Css("#carte canvas")).await.is_ok());
    screenshots(browser, "commune", Some("h1")).await;
    screenshots(browser, "commune-carte", Some("#titre-carte")).await;
}

/// The addresses the commune page's map drew from our tiles, asked of MapLibre itself once it
/// has drawn some (or after 20 s): `{count, ids, colour}`.
async fn drawn_addresses(browser: &Client) -> serde_json::Value {
    browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const started = Date.now();
             (function wait() {
               const map = document.getElementById('carte').banMap;
               if (map && map.loaded() && map.getLayer('adresses')) {
                 const features = map.queryRenderedFeatures({layers: ['adresses']});
                 if (features.length > 0 || Date.now() - started > 20000) {
                   return done({count: features.length, ids: features.map(f => f.properties.id),
                                colour: map.getPaintProperty('adresses', 'circle-color')});
                 }
               }
               if (Date.now() - started > 25000) return done({count: -1});
               setTimeout(wait, 100);
             })();",
            vec![],
        )
        .await
        .unwrap()
}
