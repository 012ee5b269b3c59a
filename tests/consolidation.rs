//! The synthetic national-like sample published through `ban serve` over HTTP, then its second
//! revision: the consolidator turns each publication into the commune's part of the base,
//! keeping the BAN ids the files give, and writes every change to the feed.
#![allow(clippy::unwrap_used)]
mod support;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::Depot;

use ban::serve::{serve, HttpSettings, Services};

/// The server's settings without rate limits: the test publishes as fast as it can.
fn unlimited() -> HttpSettings {
    HttpSettings { rate_limits: ban_service_kit::RateLimits::none(), ..HttpSettings::default() }
}
use ban_bal::records::read_records;
use ban_store::{ChangeOp, JobStatus, ObjectKind, Store};
use serde_json::Value;

fn sample(revision: &str) -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/synthetic").join(revision).join("bal");
    dir.exists().then_some(dir)
}

/// Every BAL file of a sample, by commune.
fn files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    for departement in std::fs::read_dir(dir).unwrap() {
        for file in std::fs::read_dir(departement.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let code = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.insert(code, path);
        }
    }
    files
}

/// The address ids a file gives.
fn address_ids(path: &Path) -> BTreeSet<String> {
    let records = read_records(std::fs::read(path).unwrap().as_slice()).unwrap();
    records
        .iter()
        .filter(|r| r.numero.is_some_and(|n| n != ban_domain::TOPONYM_NUMERO))
        .filter_map(|r| r.id_ban_adresse.map(|id| id.to_string()))
        .collect()
}

/// Waits until every job of these communes has ended.
async fn consolidated(store: &dyn Store, communes: impl Iterator<Item = &String> + Clone) {
    for _ in 0..600 {
        let mut pending = 0;
        for code in communes.clone() {
            pending += store
                .jobs(code)
                .await
                .unwrap()
                .iter()
                .filter(|j| matches!(j.status, JobStatus::Pending | JobStatus::Running))
                .count();
        }
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("consolidation did not finish within 60 s");
}

/// Active address ids of a commune in the base.
async fn base_ids(store: &dyn Store, code: &str) -> BTreeSet<String> {
    let base = store.commune_base(code).await.unwrap();
    base.addresses.iter().filter(|a| a.active).map(|a| a.id.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    two_revisions_keep_their_ids_and_feed_every_change(&format!(
        "sqlite://{}",
        dir.path().join("ban.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let Some(url) = support::fresh_postgres_schema("e2e_consolidation").await else { return };
    two_revisions_keep_their_ids_and_feed_every_change(&url).await;
}

async fn two_revisions_keep_their_ids_and_feed_every_change(url: &str) {
    let (Some(first_dir), Some(second_dir)) = (sample("small"), sample("small-rev2")) else {
        eprintln!("skipped: ../shared/data/synthetic not found");
        return;
    };
    let store: Arc<dyn Store> = ban_service_kit::open_store(url).await.unwrap();
    let client = support::internal_client(&*store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let depot = Depot {
        http: reqwest::Client::new(),
        base: format!("http://{}", listener.local_addr().unwrap()),
        auth: format!("Token {}", client.token.expose()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, store.clone(), Services::all(), unlimited(), async {
        let _ = stopped.await;
    }));

    // First revision: each valid file becomes its commune's part of the base, as given.
    let first_files = files(&first_dir);
    let mut first = BTreeMap::new();
    for (code, path) in &first_files {
        if let Some(revision) = depot.publish(code, std::fs::read(path).unwrap()).await {
            first.insert(code.clone(), revision);
        }
    }
    assert!(first.len() >= 15, "only {} valid files in the first revision", first.len());
    consolidated(&*store, first.keys()).await;
    for (code, revision) in &first {
        assert_eq!(base_ids(&*store, code).await, address_ids(&first_files[code]), "commune {code}");
        let commune = store.base_commune(code).await.unwrap().unwrap();
        assert_eq!(commune.revision.as_deref(), Some(revision.as_str()));
        assert_eq!(commune.addresses as usize, address_ids(&first_files[code]).len());
    }
    let feed = store.changes_since(0, i64::MAX).await.unwrap();
    assert!(feed.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert!(feed.iter().all(|c| c.op == ChangeOp::Created));
    assert_eq!(feed.iter().filter(|c| c.kind == ObjectKind::Commune).count(), first.len());
    let after_first = feed.last().unwrap().seq;

    // Second revision: ids kept, new ones created, missing ones disabled, all in the feed.
    let second_files = files(&second_dir);
    let mut second = BTreeMap::new();
    for code in first.keys() {
        if let Some(revision) = depot.publish(code, std::fs::read(&second_files[code]).unwrap()).await {
            second.insert(code.clone(), revision);
        }
    }
    assert!(!second.is_empty());
    consolidated(&*store, second.keys()).await;
    let feed = store.changes_since(after_first, i64::MAX).await.unwrap();
    let (mut kept, mut total) = (0, 0);
    for (code, revision) in &second {
        let (before, after) = (address_ids(&first_files[code]), address_ids(&second_files[code]));
        assert_eq!(base_ids(&*store, code).await, after, "commune {code}");
        let ops: BTreeMap<&str, &str> = feed
            .iter()
            .filter(|c| c.kind == ObjectKind::Address && c.commune == *code)
            .map(|c| (c.id.as_str(), c.op.as_str()))
            .collect();
        for id in after.difference(&before) {
            assert_eq!(ops.get(id.as_str()), Some(&"created"), "commune {code}, address {id}");
        }
        for id in before.difference(&after) {
            assert_eq!(ops.get(id.as_str()), Some(&"disabled"), "commune {code}, address {id}");
        }
        assert!(feed.iter().all(|c| c.commune != *code || c.revision.as_deref() == Some(revision.as_str())));
        kept += before.intersection(&after).count();
        total += before.len();
    }
    assert!(kept * 10 > total * 9, "only {kept} of {total} ids kept");

    // A job run again changes nothing.
    let code = second.keys().next().unwrap();
    let job = store.jobs(code).await.unwrap().pop().unwrap();
    let worker = ban_consolidator::Consolidator::new(store.clone());
    assert_eq!(worker.process(&job).await.unwrap(), ban_consolidator::Outcome::Unchanged);

    feed_and_exports_over_http(&depot.http, &depot.base, &*store, &second).await;

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// Reads the whole feed over HTTP, page by page.
async fn http_feed(http: &reqwest::Client, base: &str, query: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = Vec::new();
    loop {
        let since = rows.last().map_or(0, |r| r["seq"].as_i64().unwrap());
        let page =
            http.get(format!("{base}/api/changes?since={since}&limit=700{query}")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], "application/x-ndjson");
        let text = page.text().await.unwrap();
        let before = rows.len();
        rows.extend(text.lines().map(|line| serde_json::from_str::<Value>(line).unwrap()));
        if rows.len() == before {
            return rows;
        }
    }
}

fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
    text
}

/// The feed read over HTTP has every change once, in order; replaying it gives the base the
/// exports show; lookups and summaries agree.
async fn feed_and_exports_over_http(
    http: &reqwest::Client,
    base: &str,
    store: &dyn Store,
    communes: &BTreeMap<String, String>,
) {
    let feed = http_feed(http, base, "").await;
    let head = store.last_seq().await.unwrap();
    assert_eq!(feed.len() as i64, head);
    assert!(feed.iter().enumerate().all(|(i, row)| row["seq"].as_i64() == Some(i as i64 + 1)));

    // Replaying the feed: the latest state of each address.
    let mut latest: BTreeMap<String, &Value> = BTreeMap::new();
    for row in feed.iter().filter(|r| r["kind"] == "address") {
        latest.insert(row["id"].as_str().unwrap().to_owned(), &row["state"]);
    }
    let code = communes.keys().next().unwrap();
    let replayed: BTreeSet<String> = latest
        .iter()
        .filter(|(_, state)| state["commune"] == code.as_str() && state["active"] == true)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(replayed, base_ids(store, code).await);

    // The commune's export holds exactly those addresses, versioned by the feed.
    let url = format!("{base}/data/ban/adresses/latest/csv-with-ids/adresses-with-ids-{code}.csv.gz");
    let export = http.get(&url).send().await.unwrap();
    assert_eq!(export.status(), 200);
    let etag = export.headers()["etag"].to_str().unwrap().to_owned();
    let csv = gunzip(&export.bytes().await.unwrap());
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let column = header.iter().position(|c| *c == "id_ban_adresse").unwrap();
    let exported: BTreeSet<String> = lines.map(|l| l.split(';').nth(column).unwrap().to_owned()).collect();
    assert_eq!(exported, replayed, "export of {code}");
    let again = http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    // France: streamed once per version while it is stored, then served with byte ranges.
    let url = format!("{base}/data/ban/adresses/latest/csv/adresses-france.csv.gz");
    let whole = http.get(&url).send().await.unwrap();
    assert_eq!(whole.headers()["accept-ranges"], "none");
    let whole = whole.bytes().await.unwrap();
    assert!(gunzip(&whole).lines().count() > exported.len());
    let mut ranged = None;
    for _ in 0..50 {
        let part = http.get(&url).header("Range", "bytes=10-109").send().await.unwrap();
        if part.status() == 206 {
            ranged = Some(part);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // the stored copy is being renamed
    }
    let part = ranged.expect("the France file is served with ranges once stored");
    assert_eq!(part.headers()["content-range"].to_str().unwrap(), format!("bytes 10-109/{}", whole.len()));
    assert_eq!(part.bytes().await.unwrap(), whole.slice(10..110));
    let past = http.get(&url).header("Range", format!("bytes={}-", whole.len())).send().await.unwrap();
    assert_eq!(past.status(), 416);

    // By département: only its communes, all their changes.
    let departement = &code[..2];
    let part = http_feed(http, base, &format!("&departement={departement}")).await;
    assert!(!part.is_empty() && part.iter().all(|r| r["commune"].as_str().unwrap().starts_with(departement)));
    assert_eq!(
        part.len(),
        feed.iter().filter(|r| r["commune"].as_str().unwrap().starts_with(departement)).count()
    );
    // The base alone: one row per object.
    let current = http_feed(http, base, "&current=true").await;
    let objects: BTreeSet<(&str, &str)> =
        current.iter().map(|r| (r["kind"].as_str().unwrap(), r["id"].as_str().unwrap())).collect();
    assert_eq!(objects.len(), current.len());

    // Lookups and summaries.
    let id = replayed.iter().next().unwrap();
    let found: Value =
        http.get(format!("{base}/api/lookup/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!((found["type"].as_str(), found["id"].as_str()), (Some("address"), Some(id.as_str())));
    described_by::<ban_downloads::openapi::LookupAnswer>(&found);
    let missing =
        http.get(format!("{base}/api/lookup/00000000-0000-4000-8000-000000000000")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
    assert_eq!(http.get(format!("{base}/api/lookup/nope")).send().await.unwrap().status(), 400);
    let summary: Value =
        http.get(format!("{base}/api/communes/{code}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(summary["addresses"].as_u64(), Some(replayed.len() as u64));
    assert_eq!(summary["revision"].as_str(), Some(communes[code].as_str()));
    described_by::<ban_downloads::openapi::CommuneSummary>(&summary);

    // Caught up: a long poll waits, then answers an empty page.
    let waited = std::time::Instant::now();
    let empty = http.get(format!("{base}/api/changes?since={head}&wait=1")).send().await.unwrap();
    assert_eq!(empty.headers()["x-ban-feed-head"].to_str().unwrap(), head.to_string());
    assert!(empty.text().await.unwrap().is_empty());
    assert!(waited.elapsed() >= Duration::from_millis(900));
}

/// An answer has exactly the shape of the type that describes it in the OpenAPI document:
/// read into it and written back, it is unchanged.
fn described_by<T: serde::de::DeserializeOwned + serde::Serialize>(answer: &Value) {
    let read: T = serde_json::from_value(answer.clone()).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(&serde_json::to_value(read).unwrap(), answer);
}
