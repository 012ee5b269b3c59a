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
mod support;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ban::serve::{serve, HttpSettings, Services};
use ban_domain::Level;
use ban_store::Store;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::Depot;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn root() -> PathBuf {
    // Canonical: chromedriver takes only canonical paths for a file input.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// chromedriver on a free port of localhost, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "the browser tests need Chromium and its WebDriver ({CHROMIUM}, {CHROMEDRIVER}): \
         run scripts/setup.sh (make setup), which installs Debian's chromium and chromium-driver"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver never listened on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver
}

/// A headless Chromium session, with JavaScript or without.
async fn open_browser(driver: &Driver, javascript: bool) -> Client {
    let mut options = json!({
        "binary": CHROMIUM,
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900", "--lang=fr-FR"],
    });
    if !javascript {
        options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(capabilities).connect(&driver.url).await.unwrap()
}

/// Screenshots of the page at desktop and mobile width, `{name}-desktop.png` and
/// `{name}-mobile.png`; the window is left at desktop width. `at` is scrolled into view first.
async fn screenshots(browser: &Client, name: &str, at: Option<&str>) {
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for (suffix, width, height) in [("mobile", 375, 812), ("desktop", 1280, 900)] {
        browser.set_window_size(width, height).await.unwrap();
        if let Some(selector) = at {
            browser
                .execute("document.querySelector(arguments[0]).scrollIntoView()", vec![json!(selector)])
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = browser.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{suffix}.png")), png).unwrap();
    }
}

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
    let drawn = browser
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
        .unwrap();
    let count = drawn["count"].as_i64().unwrap();
    assert!(count > 100, "addresses drawn on the map: {drawn}");
    assert!(drawn["ids"].as_array().unwrap().iter().any(|id| id == "54084_0200_00001"), "{drawn}");
    assert!(browser.find(Locator::Css("#carte canvas")).await.is_ok());
    screenshots(browser, "commune", Some("h1")).await;
    screenshots(browser, "commune-carte", Some("#titre-carte")).await;
}
