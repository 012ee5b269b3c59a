#![allow(dead_code)] // each test binary uses part of it
//! What the browser tests share: chromedriver on a free port, a headless Chromium session
//! (with JavaScript or without), screenshots at desktop and mobile width, and waiting for a
//! page; used by every browser test (`web.rs`, `reports_web.rs`).
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::a11y;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The repository's root.
pub fn root() -> PathBuf {
    // Canonical: chromedriver takes only canonical paths for a file input.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the repository's root")
}

/// chromedriver on a free port of localhost, killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_driver() -> Driver {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "the browser tests need Chromium and its WebDriver ({CHROMIUM}, {CHROMEDRIVER}): \
         run scripts/setup.sh (make setup), which installs Debian's chromium and chromium-driver"
    );
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
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
pub async fn open_browser(driver: &Driver, javascript: bool) -> Client {
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
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Screenshots of the page at desktop and mobile width, `{name}-desktop.png` and
/// `{name}-mobile.png` in `target/screenshots/`, each checked not to scroll sideways; the
/// window is left at desktop width. `at` is scrolled into view first.
pub async fn screenshots(browser: &Client, name: &str, at: Option<&str>) {
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshots' folder");
    for (suffix, width, height) in [("mobile", 375, 812), ("desktop", 1280, 900)] {
        browser.set_window_size(width, height).await.expect("a window size");
        if let Some(selector) = at {
            browser
                .execute("document.querySelector(arguments[0]).scrollIntoView()", vec![json!(selector)])
                .await
                .expect("scrolled");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = browser.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}-{suffix}.png")), png).expect("the screenshot written");
        // Reflow (WCAG 1.4.10): nothing but tables and code blocks scrolls sideways.
        a11y::assert_no_sideways_scroll(browser, &format!("{name} ({suffix})")).await;
    }
}

/// The element's text, once it is on the page (the page's main content in the panic).
pub async fn text_of(browser: &Client, css: &str) -> String {
    let found = browser.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(css)).await;
    match found {
        Ok(element) => element.text().await.expect("a text"),
        Err(e) => {
            let url = browser.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let source = browser.source().await.unwrap_or_default();
            let main = source.split("<main").nth(1).unwrap_or(&source);
            panic!("{css} never shown ({e}) on {url}:\n{}", &main[..main.len().min(3000)])
        }
    }
}

/// Clicks the element `css` (a form's button, a link) and waits for the page it leads to.
pub async fn click_and_wait(browser: &Client, css: &str) {
    browser.execute("document.documentElement.dataset.left = 'yes'", vec![]).await.expect("marked");
    browser.find(Locator::Css(css)).await.expect("the element to click").click().await.expect("clicked");
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("html:not([data-left])"))
        .await
        .unwrap_or_else(|e| panic!("{css} led nowhere: {e}"));
}
