//! The downloads page `/donnees`, called in process: every département of the reference with
//! a link to each format, the France files with their size once the downloads service has
//! written them (and « généré à la demande » before), the base's counts per département, the
//! change feed's examples on the request's host; well-formed HTML.
#![allow(clippy::unwrap_used)]
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ban_downloads::cache::ExportCache;
use ban_downloads::{DownloadsArgs, DownloadsState};
use ban_exports::{Format, Scope};
use ban_store::{BanId, BaseChanges, ChangeCounts, Commune, CommuneSource, Store};
use ban_web::donnees::{export_url, french_size};
use ban_web::{router, WebArgs, WebState};
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(uri).header("host", "ban.example.org").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec())
}

async fn page(app: &axum::Router) -> String {
    let (status, body) = get(app, "/donnees").await;
    assert_eq!(status, StatusCode::OK);
    String::from_utf8(body).unwrap()
}

/// A commune of the base with `addresses` addresses (counts only: the page reads no more).
async fn add_commune(store: &dyn Store, code: &str, addresses: u32) {
    let commune = Commune {
        id: BanId::from_random(u128::from_str_radix(&format!("{code:0>8}"), 16).unwrap_or(1) << 64 | 1),
        code: code.into(),
        name: Some(format!("Commune {code}")),
        source: CommuneSource::Bal,
        revision: None,
        revision_published_at: None,
        addresses,
        certified_addresses: 0,
        toponyms: 1,
    };
    let changes = BaseChanges {
        commune,
        planned_on: 0,
        toponyms: vec![],
        addresses: vec![],
        job: None,
        counts: ChangeCounts::default(),
        at: chrono::Utc::now(),
    };
    store.apply_changes(changes).await.unwrap();
}

/// The HTML is well formed enough for a browser to read it as written: the elements that
/// hold structure open and close in order, ids are unique, one `h1`, headings without gaps,
/// no template text left.
fn assert_well_formed(html: &str) {
    const CHECKED: [&str; 14] = [
        "html", "head", "body", "main", "nav", "div", "table", "thead", "tbody", "tr", "ul", "ol", "pre", "p",
    ];
    let mut open: Vec<String> = Vec::new();
    let mut ids = HashSet::new();
    let mut headings = Vec::new();
    for part in html.split('<').skip(1) {
        let tag_end = part.find(['>', ' ', '\n']).unwrap_or(part.len());
        let (closing, name) = match part.strip_prefix('/') {
            Some(rest) => (true, &rest[..rest.find('>').unwrap_or(rest.len())]),
            None => (false, &part[..tag_end]),
        };
        let name = name.to_ascii_lowercase();
        if let Some(level) = name.strip_prefix('h').and_then(|l| l.parse::<u8>().ok()).filter(|_| !closing) {
            headings.push(level);
        }
        if !closing {
            if let Some(id) = part[..part.find('>').unwrap_or(part.len())].split(" id=\"").nth(1) {
                let id = id.split('"').next().unwrap();
                assert!(ids.insert(id.to_owned()), "id {id} twice");
            }
        }
        if !CHECKED.contains(&name.as_str()) {
            continue;
        }
        if closing {
            assert_eq!(open.pop().as_deref(), Some(name.as_str()), "</{name}> closes something else");
        } else {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "left open: {open:?}");
    assert_eq!(headings.iter().filter(|&&h| h == 1).count(), 1, "one h1: {headings:?}");
    for pair in headings.windows(2) {
        assert!(pair[1] <= pair[0] + 1, "a heading level skipped: {headings:?}");
    }
    assert!(!html.contains("{{") && !html.contains("{%"), "template text left");
}

#[tokio::test]
async fn every_departement_and_format_is_listed_and_france_files_show_their_size() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let exports = dir.path().join("exports");
    let web = router(WebState::new(
        store.clone(),
        &WebArgs { export_cache_dir: exports.clone(), ..WebArgs::default() },
    ));

    // An empty base: every département of the reference, nothing written yet.
    let html = page(&web).await;
    assert_well_formed(&html);
    assert!(html.contains("La base est vide"), "{html}");
    let rows: Vec<&str> =
        html.split(" data-departement=\"").skip(1).map(|r| r.split('"').next().unwrap()).collect();
    assert_eq!(rows.len(), 109, "101 départements and 8 collectivités d’outre-mer");
    let metropolitan: Vec<&str> = rows.iter().copied().filter(|c| c.len() == 2).collect();
    assert_eq!(metropolitan.len(), 96);
    for code in ["01", "2A", "2B", "54", "95", "971", "972", "973", "974", "976", "975", "988"] {
        assert!(rows.contains(&code), "{code} in {rows:?}");
        for format in Format::ALL {
            let link = format!("href=\"{}\"", export_url(format, &Scope::Departement(code.into())));
            assert!(html.contains(&link), "{link}");
        }
    }
    let mut sorted = rows.clone();
    sorted.sort_unstable();
    assert_eq!(rows, sorted, "in code order");
    for format in Format::ALL {
        assert!(html.contains(&format!("href=\"{}\"", export_url(format, &Scope::France))), "{format:?}");
    }
    assert_eq!(html.matches("Généré à la demande").count(), Format::ALL.len());
    assert!(html.contains("Licence Ouverte 2.0"));
    assert!(html.contains("curl -i 'http://ban.example.org/api/changes?since=0&amp;limit=1000'"), "{html}");
    assert!(html.contains("ban mirror http://ban.example.org"));
    assert!(!exports.exists(), "rendering the page wrote no export");
    // « Aller au département »: the form leads to the row, without a script.
    assert!(html.contains("<option value=\"2A\">2A — Corse-du-Sud</option>"), "{html}");
    assert!(html.contains("<tr id=\"departement-2A\""));
    let request = Request::get("/donnees?departement=2a").body(Body::empty()).unwrap();
    let response = web.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/donnees#departement-2A");
    let (status, body) = get(&web, "/donnees?departement=99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let html_404 = String::from_utf8(body).unwrap();
    assert!(html_404.contains("Aucun département 99 : choisissez-en un dans la liste"), "{html_404}");
    assert_well_formed(&html_404);

    // Communes in two départements; the downloads service writes the France CSV.
    add_commune(&*store, "54084", 120).await;
    add_commune(&*store, "54085", 30).await;
    add_commune(&*store, "2A004", 7).await;
    let downloads = ban_downloads::router(DownloadsState::new(
        store.clone(),
        &DownloadsArgs { export_cache_dir: exports.clone() },
    ));
    let (status, france) = get(&downloads, "/data/ban/adresses/latest/csv/adresses-france.csv.gz").await;
    assert_eq!(status, StatusCode::OK);
    let name = Format::Csv.file_name(&Scope::France);
    let cache = ExportCache::new(&exports);
    let started = std::time::Instant::now();
    while cache.stored(&ExportCache::key(Format::Csv, &name)).is_empty() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the France file was never kept");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let html = page(&web).await;
    assert_well_formed(&html);
    assert!(html.contains("3 communes, 157 adresses."), "{html}");
    let row = |code: &str| {
        let start = html.find(&format!("<tr id=\"departement-{code}\"")).unwrap();
        html[start..start + html[start..].find("</tr>").unwrap()].to_owned()
    };
    let cells = |row: &str| -> Vec<String> {
        row.split("<td>").skip(1).map(|c| c.split("</td>").next().unwrap().to_owned()).collect()
    };
    assert_eq!(cells(&row("54"))[..2], ["2".to_owned(), "150".to_owned()]);
    assert_eq!(cells(&row("2A"))[..2], ["1".to_owned(), "7".to_owned()]);
    assert!(cells(&row("2A"))[2].contains("<time datetime=\""), "{}", row("2A"));
    assert_eq!(cells(&row("01"))[..3], ["0".to_owned(), "0".to_owned(), "—".to_owned()]);
    // The France CSV: its size, as written; the other formats are still made on demand.
    let france_rows: BTreeMap<&str, &str> = html
        .split("<tr data-format=\"")
        .skip(1)
        .map(|r| (r.split('"').next().unwrap(), &r[..r.find("</tr>").unwrap()]))
        .collect();
    assert_eq!(france_rows.len(), Format::ALL.len());
    let csv = france_rows["csv"];
    assert!(csv.contains("data-written=\"true\""), "{csv}");
    let size = french_size(france.len() as u64);
    assert!(csv.contains(&format!("<td class=\"ban-taille\">{size}</td>")), "{size} in {csv}");
    for (format, row) in &france_rows {
        if *format != "csv" {
            assert!(row.contains("Généré à la demande"), "{format}: {row}");
        }
    }

    // The base moves: the file kept is an older version, shown as such.
    add_commune(&*store, "54086", 1).await;
    let html = page(&web).await;
    assert!(html.contains("4 communes, 158 adresses."));
    assert_eq!(html.matches("Généré à la demande").count(), Format::ALL.len());
    assert!(html.contains(&format!("(version précédente : {size})")), "{html}");
}
