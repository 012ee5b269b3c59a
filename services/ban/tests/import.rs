//! `ban import-legacy`, `ban import` and `ban changes` as an operator runs them, on a
//! temporary SQLite store: a legacy base, then the commune's BAL replacing it, in the feed;
//! the import's count of its files; an import beside a running `ban serve`.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::process::Command;

fn ban(database: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "ban {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn feed(database: &str) -> Vec<serde_json::Value> {
    let out = ban(database, &["changes", "--since", "0", "--limit", "100000"]);
    out.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn a_bal_replaces_the_legacy_base_and_keeps_its_ids() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let legacy = root.join("../shared/data/real-ban-legacy/adresses-54084_ban-legacy.csv");
    if !legacy.exists() {
        eprintln!("skipped: {} not found", legacy.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());

    let out = ban(&database, &["import-legacy", &legacy.display().to_string()]);
    assert!(out.starts_with("1 communes imported"), "{out}");
    let legacy_feed = feed(&database);
    assert!(legacy_feed
        .windows(2)
        .all(|w| w[1]["seq"].as_i64().unwrap() == w[0]["seq"].as_i64().unwrap() + 1));
    let commune = legacy_feed.last().unwrap();
    assert_eq!(
        (commune["kind"].as_str(), commune["state"]["source"].as_str()),
        (Some("commune"), Some("legacy"))
    );

    // The commune's BAL, published by `ban import` from a directory of CODE.csv files.
    let bal = dir.path().join("bal");
    std::fs::create_dir(&bal).unwrap();
    std::fs::copy(root.join("data/samples/54084_mont-bonvillers.csv"), bal.join("54084.csv")).unwrap();
    std::fs::write(bal.join("not-a-commune.csv"), "x").unwrap();
    let out = ban(&database, &["import", &bal.display().to_string()]);
    assert!(out.starts_with("2 files: 1 published, 1 failed"), "{out}");
    assert!(out.contains("not-a-commune.csv: the file is not named after an INSEE code"), "{out}");

    let changes = feed(&database);
    let after: Vec<_> = changes[legacy_feed.len()..].iter().collect();
    let kept = after.iter().filter(|c| c["kind"] == "address" && c["op"] == "updated").count();
    assert!(kept > 400, "{kept} legacy ids kept");
    let commune = after.last().unwrap();
    assert_eq!(
        (commune["kind"].as_str(), commune["state"]["source"].as_str()),
        (Some("commune"), Some("bal"))
    );

    // A legacy export no longer replaces a commune that publishes its BAL.
    let out = ban(&database, &["import-legacy", &legacy.display().to_string()]);
    assert!(out.contains("1 left to their BAL"), "{out}");
    assert_eq!(feed(&database).len(), changes.len());
}

/// Each file is counted once: two files of one commune publish two revisions, the first
/// replaced by the second before it is consolidated (skipped, with the reason).
#[test]
fn every_file_is_counted_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());
    let bal = dir.path().join("bal");
    for sub in ["a", "b"] {
        std::fs::create_dir_all(bal.join(sub)).unwrap();
        std::fs::copy(root.join("data/samples/54084_mont-bonvillers.csv"), bal.join(sub).join("54084.csv"))
            .unwrap();
    }
    std::fs::write(bal.join("not-a-commune.csv"), "x").unwrap();
    let out = ban(&database, &["import", "--jobs", "2", &bal.display().to_string()]);
    assert!(out.starts_with("3 files: 1 published, 1 failed, 1 skipped"), "{out}");
    assert!(out.contains("skipped:\n  54084 "), "{out}");
    assert!(out.contains("replaced by a later revision of the commune (superseded)"), "{out}");
    assert!(out.contains("base: 1 communes"), "{out}");
    assert_eq!(ban(&database, &["jobs", "failed"]), "", "no job failed");
}

/// `ban import` on the SQLite file of a running `ban serve` (the README says they may share
/// it) while clients publish and read through the server: both processes' writes wait for
/// each other; every file is published and consolidated, none fails with `database is
/// locked`, and no request to the server fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_beside_a_running_server_loses_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let synthetic = root.join("../shared/data/synthetic/small/bal");
    if !synthetic.exists() {
        eprintln!("skipped: {} not found", synthetic.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());
    let token = ban(&database, &["client", "create", "--name", "Beside", "--internal"]).trim().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database)
        .env("RUST_LOG", "warn")
        // The client publishes as fast as it can from one address: no rate limit.
        .env("RATE_LIMIT_PER_IP", "0")
        .env("RATE_LIMIT_PER_TOKEN", "0")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = KilledOnDrop(server);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A client publishes 54084 again and again through the server while the import runs.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sample = std::fs::read(root.join("data/samples/54084_mont-bonvillers.csv")).unwrap();
    let client = tokio::spawn(publish_until(http.clone(), base.clone(), token, sample, stopped));
    let import = tokio::task::spawn_blocking({
        let (database, synthetic) = (database.clone(), synthetic.display().to_string());
        move || ban(&database, &["import", "--drop-invalid-rows", &synthetic])
    });
    let out = import.await.unwrap();
    let _ = stop.send(true);
    let (statuses, published) = client.await.unwrap();
    drop(server);

    assert!(out.starts_with("105 files: 105 published, 0 failed, 0 skipped"), "{out}");
    assert!(!out.contains("locked"), "{out}");
    assert!(published > 0, "the server published meanwhile");
    assert!(statuses.iter().all(|s| s.is_success()), "requests to the server failed: {statuses:?}");
    let store = ban_service_kit::open_store(&database).await.unwrap();
    let whole = ban_store::PageRequest { offset: 0, limit: 1000 };
    let current = store.current_revisions(None, None, whole).await.unwrap().items;
    assert_eq!(current.len(), 106, "the 105 communes of the import and 54084");
    for revision in current.iter().filter(|r| r.code_commune != "54084") {
        let commune = store.base_commune(&revision.code_commune).await.unwrap();
        assert_eq!(
            commune.and_then(|c| c.revision).as_deref(),
            Some(revision.id.as_str()),
            "commune {} published but not in the base",
            revision.code_commune
        );
    }
}

/// A child process, killed when dropped (a failed assertion included).
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// create → upload → compute → publish of `bal` for 54084, until told to stop; the status of
/// every request, and how many publications went through.
async fn publish_until(
    http: reqwest::Client,
    base: String,
    token: String,
    bal: Vec<u8>,
    stopped: tokio::sync::watch::Receiver<bool>,
) -> (Vec<reqwest::StatusCode>, usize) {
    let auth = format!("Token {token}");
    let (mut statuses, mut published) = (Vec::new(), 0);
    while !*stopped.borrow() {
        let created = http
            .post(format!("{base}/api-depot/communes/54084/revisions"))
            .header("Authorization", &auth)
            .json(&serde_json::json!({"context": {}}))
            .send()
            .await
            .unwrap();
        statuses.push(created.status());
        let revision: serde_json::Value = created.json().await.unwrap();
        let id = revision["id"].as_str().unwrap_or_default().to_owned();
        let steps = [
            http.put(format!("{base}/api-depot/revisions/{id}/files/bal")).body(bal.clone()),
            http.post(format!("{base}/api-depot/revisions/{id}/compute")),
            http.post(format!("{base}/api-depot/revisions/{id}/publish")),
            http.get(format!("{base}/api-depot/communes/54084/current-revision")),
        ];
        for step in steps {
            statuses.push(step.header("Authorization", &auth).send().await.unwrap().status());
        }
        published += 1;
    }
    (statuses, published)
}
