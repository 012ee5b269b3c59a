//! A `ban serve` that starts takes back at once the consolidation job a dead instance held,
//! instead of waiting for its lease (an hour here): the base catches up with the depot as
//! soon as the server is back. On SQLite and, with `TEST_DATABASE_URL`, on PostgreSQL.
#![allow(clippy::unwrap_used)]
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ban_store::ids::{object_id, token};
use ban_store::{AuthorizationStrategy, JobStatus, NewClient, NewRevision, Publication};
use chrono::Utc;

const COMMUNE: &str = "54084";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `ban serve` process, killed when dropped (a failed assertion included).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ban serve` on `database`, with a lease far longer than the test.
async fn start(database: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .env("CONSOLIDATOR_LEASE_SECS", "3600")
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
        if health.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ban serve did not start");
}

/// The name a worker of this host had, in a process that has exited.
fn dead_worker() -> String {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let (host, _) =
        ban_consolidator::worker_id().rsplit_once(':').map(|(h, p)| (h.to_owned(), p.to_owned())).unwrap();
    format!("{host}:{pid}")
}

async fn a_restarted_server_resumes_a_dead_instances_job_at_once(database: &str) {
    let store = ban_service_kit::open_store(database).await.unwrap();
    let client = store
        .create_client(NewClient {
            id: object_id(Utc::now()),
            nom: "Restart test".into(),
            mandataire: "Restart test".into(),
            email: None,
            authorization_strategy: AuthorizationStrategy::Internal,
            perimeters: vec![],
            token: token(),
        })
        .await
        .unwrap();
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/54084_mont-bonvillers.csv"),
    )
    .unwrap();
    let now = Utc::now();
    let revision = NewRevision {
        id: object_id(now),
        client_id: client.id.clone(),
        code_commune: COMMUNE.into(),
        context: serde_json::json!({}),
    };
    let revision = store.create_revision(revision, now).await.unwrap();
    let file = ban_depot::validation::bal_file(&revision.id, &bytes, now);
    store.attach_file(&revision.id, file, &bytes).await.unwrap();
    let revision = ban_depot::validation::compute_revision(&*store, &revision, &client, bytes).await.unwrap();
    assert!(revision.is_ready);
    store.publish(&revision.id, Publication { habilitation: None, at: Utc::now() }).await.unwrap();

    // A worker of this host claimed the job for an hour, then died.
    let now = Utc::now();
    let held = store.claim_job(&dead_worker(), now, now + chrono::Duration::hours(1)).await.unwrap();
    let held = held.expect("the publication's job");

    let server = start(database).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        let job = store.jobs(COMMUNE).await.unwrap().into_iter().find(|j| j.id == held.id).unwrap();
        if job.status == JobStatus::Done {
            break job;
        }
        assert!(Instant::now() < deadline, "the job was not taken back: {job:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(server);
    assert_eq!((job.outcome.as_deref(), job.attempts), (Some("applied"), 2));
    let commune = store.base_commune(COMMUNE).await.unwrap().unwrap();
    assert_eq!(commune.revision.as_deref(), Some(revision.id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());
    a_restarted_server_resumes_a_dead_instances_job_at_once(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let database = ban_store_postgres::fresh_schema(&url, "ban_restart").await.unwrap();
    a_restarted_server_resumes_a_dead_instances_job_at_once(&database).await;
}
