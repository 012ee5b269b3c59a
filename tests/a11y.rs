//! Accessibility checks for the browser tests: axe-core (vendored under `tests/vendor/axe-core`
//! by `scripts/vendor-axe.sh`, never served by the pages) run in the page a test has open, and
//! keyboard moves (Tab, Enter) with the focus they land on.
//!
//! Any page test calls [`assert_accessible`] once its page is in the state to check: the test
//! fails on any `serious` or `critical` violation, listing each rule with the elements at fault.
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Client;
use serde::Deserialize;
use serde_json::json;

/// axe-core's script, injected into the pages under test.
const AXE: &str = include_str!("vendor/axe-core/axe.min.js");

/// A violation as axe reports it (the fields the message needs).
#[derive(Debug, Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    #[serde(rename = "helpUrl")]
    help_url: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Deserialize)]
struct Node {
    target: serde_json::Value,
    #[serde(rename = "failureSummary")]
    failure_summary: Option<String>,
}

/// Runs axe-core on the page open in `browser` (every rule of its default set: WCAG 2.0, 2.1
/// and 2.2 A and AA, and best practices) and panics with a readable list if any violation is
/// `serious` or `critical`. `page` names the page in the message.
pub async fn assert_accessible(browser: &Client, page: &str) {
    let serious = serious_violations(browser, page).await;
    if serious.is_empty() {
        return;
    }
    let mut report = format!("{page}: {} serious or critical accessibility violation(s)\n", serious.len());
    for violation in serious {
        report.push_str(&format!(
            "- {} ({}): {} — {}\n",
            violation.id,
            violation.impact.as_deref().unwrap_or("?"),
            violation.help,
            violation.help_url
        ));
        for node in violation.nodes.iter().take(10) {
            let summary = node.failure_summary.as_deref().unwrap_or("").replace('\n', " ");
            report.push_str(&format!("    {} : {summary}\n", node.target));
        }
        if violation.nodes.len() > 10 {
            report.push_str(&format!("    … and {} more\n", violation.nodes.len() - 10));
        }
    }
    panic!("{report}");
}

/// The rules the page open in `browser` breaks seriously or critically, by axe-core's ids.
pub async fn serious_rules(browser: &Client, page: &str) -> Vec<String> {
    serious_violations(browser, page).await.into_iter().map(|v| v.id).collect()
}

/// axe-core's `serious` and `critical` violations on the page open in `browser` (the lesser
/// ones are printed).
async fn serious_violations(browser: &Client, page: &str) -> Vec<Violation> {
    let loaded = browser.execute("return typeof window.axe !== 'undefined'", vec![]).await.unwrap();
    if loaded != json!(true) {
        browser.execute(AXE, vec![]).await.unwrap();
    }
    let violations = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
               .then(r => done({violations: r.violations, passes: r.passes.length}), e => done({error: String(e)}));",
            vec![],
        )
        .await
        .unwrap();
    assert!(violations.get("error").is_none(), "axe-core failed on {page}: {violations}");
    let passes = violations["passes"].as_u64().unwrap_or(0);
    let violations: Vec<Violation> = serde_json::from_value(violations["violations"].clone()).unwrap();
    eprintln!("{page}: axe-core, {passes} rules passed, {} violated", violations.len());
    assert!(passes > 0, "axe-core checked nothing on {page}");
    // The lesser ones go to the test's output, to be looked at.
    for minor in violations.iter().filter(|v| !matches!(v.impact.as_deref(), Some("serious" | "critical"))) {
        let impact = minor.impact.as_deref().unwrap_or("?");
        eprintln!("{page}: axe {} ({impact}), {} element(s): {}", minor.id, minor.nodes.len(), minor.help);
    }
    violations.into_iter().filter(|v| matches!(v.impact.as_deref(), Some("serious" | "critical"))).collect()
}

/// Where the focus is: the element's id (or tag), and whether it shows (an outline or a box
/// shadow drawn around it).
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct Focus {
    pub id: String,
    pub tag: String,
    pub visible: bool,
}

/// The element that has the focus, and whether its focus shows.
pub async fn focus(browser: &Client) -> Focus {
    let focus = browser
        .execute(
            "const el = document.activeElement || document.body;
             const style = getComputedStyle(el);
             const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
             const shadow = style.boxShadow && style.boxShadow !== 'none';
             return {id: el.id || '', tag: el.tagName.toLowerCase(), visible: Boolean(outline || shadow)};",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(focus).unwrap()
}

/// Presses a key (down and up), as a keyboard does, wherever the focus is.
pub async fn press(browser: &Client, key: Key) {
    let key: char = key.into();
    let actions = KeyActions::new("clavier".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    browser.perform_actions(actions).await.unwrap();
}

/// Presses Tab until the element with id `id` has the focus (at most `most` times), and
/// returns every stop on the way (the last one being `id`); panics if it is never reached
/// or if its focus does not show.
pub async fn tab_to(browser: &Client, id: &str, most: usize) -> Vec<Focus> {
    let mut stops = Vec::new();
    for _ in 0..most {
        press(browser, Key::Tab).await;
        let at = focus(browser).await;
        let reached = at.id == id;
        stops.push(at);
        if reached {
            let last = stops.last().unwrap();
            assert!(last.visible, "#{id} has the focus but shows no outline: {last:?}");
            return stops;
        }
    }
    panic!("#{id} never reached with Tab in {most} presses; stops: {stops:?}");
}

/// Panics if the page open in `browser` scrolls sideways at its current width (WCAG 1.4.10,
/// reflow: at 320 CSS pixels, content reads without scrolling in two directions; tables and
/// code blocks scroll inside their own box), naming the elements that stick out.
pub async fn assert_no_sideways_scroll(browser: &Client, page: &str) {
    let overflow = browser
        .execute(
            "const width = document.documentElement.clientWidth;
             const scroll = document.documentElement.scrollWidth;
             if (scroll <= width) return [];
             const out = [];
             // What sticks out of the page, not out of a box that scrolls or clips it.
             // (An absolutely positioned element is clipped from its containing block up.)
             const clipped = el => {
               const absolute = getComputedStyle(el).position === 'absolute';
               for (let p = absolute ? el.offsetParent : el.parentElement; p && p !== document.body; p = p.parentElement) {
                 if (getComputedStyle(p).overflowX !== 'visible') return true;
               }
               return false;
             };
             for (const el of document.body.querySelectorAll('*')) {
               const box = el.getBoundingClientRect();
               if (box.right > width + 1 && el.offsetParent !== null && !clipped(el)) {
                 out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                   (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                   ' right=' + Math.round(box.right) + ' of ' + width);
               }
             }
             return ['page ' + scroll + ' px wide in ' + width].concat(out.slice(0, 15));",
            vec![],
        )
        .await
        .unwrap();
    let overflow: Vec<String> = serde_json::from_value(overflow).unwrap();
    assert!(overflow.is_empty(), "{page} scrolls sideways; sticking out: {overflow:#?}");
}
