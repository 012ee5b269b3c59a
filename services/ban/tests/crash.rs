//! Reliability: `ban serve` killed (SIGKILL) at arbitrary moments while clients upload,
//! compute and publish, and while its consolidator works, leaves a consistent store: the
//! previous current revision or the new one, never half a publication; every accepted file
//! whole; the base and its feed whole; every job ends once the server is back.
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ban_store::{JobStatus, PageRequest, RevisionFilter, RevisionStatus, Viewer};
use sha2::{Digest, Sha256};

fn ban(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ban"));
    // A killed worker's job is taken over after a second; two clients publish as fast as they
    // can from one address, so the rate limits are off.
    command
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .env("CONSOLIDATOR_LEASE_SECS", "1")
        .env("RATE_LIMIT_PER_IP", "0")
        .env("RATE_LIMIT_PER_TOKEN", "0");
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(database: &str) -> (Child, String) {
    let port = free_port();
    let mut child = ban(database)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status() == 200) {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("ban serve did not start");
}

/// create → upload → compute → publish, until the server disappears.
async fn publish_forever(base: String, token: String, bal: Vec<u8>) {
    let http = reqwest::Client::new();
    let auth = format!("Token {token}");
    loop {
        let Ok(response) = http
            .post(format!("{base}/api-depot/communes/54084/revisions"))
            .header("Authorization", &auth)
            .json(&serde_json::json!({"context": {}}))
            .send()
            .await
        else {
            return;
        };
        let Ok(revision) = response.json::<serde_json::Value>().await else { return };
        let id = revision["id"].as_str().unwrap_or_default().to_owned();
        let steps = [
            http.put(format!("{base}/api-depot/revisions/{id}/files/bal")).body(bal.clone()),
            http.post(format!("{base}/api-depot/revisions/{id}/compute")),
            http.post(format!("{base}/api-depot/revisions/{id}/publish")),
        ];
        for step in steps {
            if step.header("Authorization", &auth).send().await.is_err() {
                return;
            }
        }
    }
}

fn sample() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/54084_mont-bonvillers.csv"),
    )
    .unwrap()
}

async fn check_store(database: &str, published_before: &mut usize) {
    let store = ban_service_kit::open_store(database).await.unwrap();
    let whole = PageRequest { offset: 0, limit: 1000 };
    let revisions =
        store.commune_revisions("54084", RevisionFilter::All, Viewer::Admin, whole).await.unwrap().items;
    let published: Vec<_> = revisions.iter().filter(|r| r.status == RevisionStatus::Published).collect();
    let current: Vec<_> = revisions.iter().filter(|r| r.is_current).collect();
    assert!(published.len() >= *published_before, "a publication was lost");
    *published_before = published.len();
    if published.is_empty() {
        assert!(current.is_empty());
    } else {
        assert_eq!(current.len(), 1, "exactly one current revision");
        let latest = published.iter().max_by_key(|r| r.published_at).unwrap();
        assert_eq!(current[0].id, latest.id, "the current revision is the last published");
    }
    for revision in &published {
        let revision = store.revision(&revision.id).await.unwrap().unwrap();
        assert!(revision.is_ready && revision.validation.is_some() && revision.published_at.is_some());
    }
    // Every accepted file is whole.
    for revision in &revisions {
        if let Some(file) = store.file(&revision.id).await.unwrap() {
            let bytes = store.file_bytes(&revision.id).await.unwrap().unwrap();
            assert_eq!(bytes.len() as i64, file.size);
            assert_eq!(hex::encode(Sha256::digest(&bytes)), file.hash);
        } else {
            assert_eq!(revision.status, RevisionStatus::Pending, "a published revision has its file");
        }
    }
    // One consolidation job per publication, queued with it.
    let jobs = store.jobs("54084").await.unwrap();
    let mut job_revisions: Vec<_> = jobs.iter().map(|j| j.revision_id.as_str()).collect();
    let mut published_ids: Vec<_> = published.iter().map(|r| r.id.as_str()).collect();
    job_revisions.sort_unstable();
    published_ids.sort_unstable();
    assert_eq!(job_revisions, published_ids);
    // The feed has no hole; the base holds a published revision whole.
    let feed = store.changes_since(0, i64::MAX).await.unwrap();
    assert!(feed.iter().enumerate().all(|(i, c)| c.seq == i as i64 + 1), "the feed has a hole");
    let base = store.commune_base("54084").await.unwrap();
    if let Some(commune) = &base.commune {
        assert!(published_ids.contains(&commune.revision.as_deref().unwrap()));
        assert_eq!(base.version, feed.iter().filter(|c| c.commune == "54084").map(|c| c.seq).max().unwrap());
        let active = base.addresses.iter().filter(|a| a.active).count();
        assert_eq!(active, commune.addresses as usize);
        assert!(active > 400, "every address of the file: {active}");
    }
}

/// Once the server is back, every job ends and the base holds the current revision.
async fn check_jobs_end(database: &str) {
    let store = ban_service_kit::open_store(database).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let jobs = store.jobs("54084").await.unwrap();
        if jobs.iter().all(|j| j.status == JobStatus::Done) {
            break;
        }
        assert!(Instant::now() < deadline, "jobs left: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let current = store.current_revision("54084").await.unwrap().unwrap();
    let commune = store.base_commune("54084").await.unwrap().unwrap();
    assert_eq!(commune.revision, Some(current.id));
}

fn kill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_publishing_the_store_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", Path::new(dir.path()).join("ban.db").display());
    let created =
        ban(&database).args(["client", "create", "--name", "Crash test", "--internal"]).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let bal = sample();
    let mut published = 0;
    // Six rounds at least, and more (each killing later) until some publication went through:
    // a busy machine may publish nothing in the first rounds' few seconds.
    for round in 0..30u64 {
        if round >= 6 && published > 0 {
            break;
        }
        let (child, base) = start(&database).await;
        let clients: Vec<_> =
            (0..2).map(|_| tokio::spawn(publish_forever(base.clone(), token.clone(), bal.clone()))).collect();
        // Kill at a different moment of the cycle each round.
        tokio::time::sleep(Duration::from_millis(1_500 + round * 337)).await;
        kill(child);
        for client in clients {
            client.await.unwrap();
        }
        check_store(&database, &mut published).await;
    }
    assert!(published > 0, "some publications went through");
    // After a last restart, the service answers from the store as it was left, and works
    // off the jobs the killed processes left.
    let (child, base) = start(&database).await;
    let current = reqwest::get(format!("{base}/api-depot/communes/54084/current-revision")).await.unwrap();
    assert_eq!(current.status(), 200);
    check_jobs_end(&database).await;
    check_store(&database, &mut published).await;
    kill(child);
}
