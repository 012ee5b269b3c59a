//! BAN Sync as separate processes on PostgreSQL, the shape of a deployment at scale: one
//! depot, two consolidators, two geocoders and one downloads service, each `ban <service>`
//! started on its own port against the same database (`TEST_DATABASE_URL`, set by CI).
//!
//! A commune published through the depot reaches both geocoders, the feed and the exports; a
//! consolidator killed in the middle of a job loses nothing (the other takes the job over when
//! the lease runs out); a geocoder killed and started again catches up with the base.
#![allow(clippy::unwrap_used)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ban_store::{JobStatus, Store};
use serde_json::Value;
use support::Depot;

const COMMUNE: &str = "54084";
/// The consolidators' lease: a job left by a dead worker is taken over after that.
const LEASE_SECS: &str = "3";

/// The `ban` binary that `cargo test --workspace` builds beside the tests.
fn ban_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/processes-<hash> → target/<profile>/ban
    let binary =
        exe.parent().and_then(Path::parent).unwrap().join(format!("ban{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test --workspace` (or `cargo build -p ban` first)",
        binary.display()
    );
    binary
}

/// A `ban` process, killed when dropped.
struct Service {
    name: String,
    child: Child,
    url: String,
}

impl Service {
    fn start(name: &str, command: &str, database: &str, env: &[(&str, &str)]) -> Service {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(ban_binary());
        cmd.arg(command)
            .env("DATABASE_URL", database)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env("DATABASE_MAX_CONNECTIONS", "4")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            cmd.env(key, value);
        }
        let child = cmd.spawn().unwrap();
        Service { name: name.to_owned(), child, url: format!("http://127.0.0.1:{port}") }
    }

    /// Kills the process at once (SIGKILL): no graceful shutdown, nothing finished.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status();
        assert!(status.unwrap().success(), "kill -{signal} {}", self.name);
    }

    async fn ready(&mut self, http: &reqwest::Client, within: Duration) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before it was ready", self.name);
            }
            if let Ok(response) = http.get(format!("{}/readyz", self.url)).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            assert!(started.elapsed() < within, "{} not ready within {within:?}", self.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until `check` holds, or fails saying `what`.
async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.unwrap()
}

async fn get_text(http: &reqwest::Client, url: &str) -> String {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.text().await.unwrap()
}

/// The id of the first result of a search on a geocoder.
async fn first_result(http: &reqwest::Client, geocoder: &str, q: &str) -> Option<String> {
    let url = format!("{geocoder}/search/?q={}&citycode={COMMUNE}&limit=1", q.replace(' ', "+"));
    let answer = get_json(http, &url).await;
    answer["features"][0]["properties"]["label"].as_str().map(str::to_owned)
}

/// The sample commune with each row repeated `copies` times under other numbers (1001, 2001…):
/// a file large enough for its consolidation to be caught in the middle.
fn enlarged(sample: &str, copies: u32, rename: Option<(&str, &str)>) -> Vec<u8> {
    let mut lines = sample.lines();
    let header = lines.next().unwrap();
    let columns: Vec<&str> = header.split(';').collect();
    let (key, number) = (
        columns.iter().position(|c| *c == "cle_interop").unwrap(),
        columns.iter().position(|c| *c == "numero").unwrap(),
    );
    let street = columns.iter().position(|c| *c == "voie_nom").unwrap();
    let mut out = format!("{header}\n");
    for copy in 0..copies {
        for line in sample.lines().skip(1) {
            let mut cells: Vec<String> = line.split(';').map(str::to_owned).collect();
            if let Some((from, to)) = rename {
                if cells[street] == from {
                    cells[street] = to.to_owned();
                }
            }
            let numero: u32 = cells[number].parse().unwrap();
            if numero == 99999 {
                continue;
            }
            let numero = numero + copy * 1000;
            cells[number] = numero.to_string();
            // `<commune>_<street>_<numero>[_<suffix>]`
            let parts: Vec<String> = cells[key].split('_').map(str::to_owned).collect();
            let suffix: String = parts[3..].iter().map(|p| format!("_{p}")).collect();
            cells[key] = format!("{}_{}_{numero:05}{suffix}", parts[0], parts[1]);
            out.push_str(&cells.join(";"));
            out.push('\n');
        }
    }
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_services_on_postgres() {
    let Some(database) = support::fresh_postgres_schema("e2e_processes").await else { return };
    let store: Arc<dyn Store> = ban_service_kit::open_store(&database).await.unwrap();
    let client = support::internal_client(&*store).await;
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/samples/54084_mont-bonvillers.csv"),
    )
    .unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();

    let lease = [("CONSOLIDATOR_LEASE_SECS", LEASE_SECS)];
    let mut depot_service = Service::start("depot", "depot", &database, &[]);
    let mut consolidator_a = Service::start("consolidator A", "consolidator", &database, &lease);
    let mut consolidator_b = Service::start("consolidator B", "consolidator", &database, &lease);
    let mut geocoder_1 = Service::start("geocoder 1", "geocoder", &database, &[]);
    let mut geocoder_2 = Service::start("geocoder 2", "geocoder", &database, &[]);
    let mut downloads = Service::start("downloads", "downloads", &database, &[]);
    for service in [
        &mut depot_service,
        &mut consolidator_a,
        &mut consolidator_b,
        &mut geocoder_1,
        &mut geocoder_2,
        &mut downloads,
    ] {
        service.ready(&http, Duration::from_secs(60)).await;
        let health = http.get(format!("{}/healthz", service.url)).send().await.unwrap();
        assert_eq!(health.status(), 200, "{} /healthz", service.name);
    }
    let depot = Depot {
        http: http.clone(),
        base: depot_service.url.clone(),
        auth: format!("Token {}", client.token.expose()),
    };

    // 1. A publication reaches both geocoders, the feed and the exports.
    let revision = depot.publish(COMMUNE, sample.clone().into_bytes()).await.expect("the sample is valid");
    for geocoder in [&geocoder_1, &geocoder_2] {
        eventually(
            &format!("{} finds the commune's streets", geocoder.name),
            Duration::from_secs(30),
            || async {
                first_result(&http, &geocoder.url, "2 rue joffre").await.as_deref()
                    == Some("2 Rue Joffre 54111 Mont-Bonvillers")
            },
        )
        .await;
    }
    let commune = store.base_commune(COMMUNE).await.unwrap().unwrap();
    assert_eq!(commune.revision.as_deref(), Some(revision.as_str()));
    let feed = get_text(&http, &format!("{}/api/changes?commune={COMMUNE}&limit=10000", downloads.url)).await;
    let addresses_in_feed = feed
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|change| change["kind"] == "address")
        .count();
    assert_eq!(addresses_in_feed, commune.addresses as usize, "every address of the commune is in the feed");
    let export =
        get_text(&http, &format!("{}/ban/communes/{COMMUNE}/download/csv-bal/adresses", downloads.url)).await;
    assert_eq!(export.lines().count(), commune.addresses as usize + 1, "the export holds every address");
    assert!(export.contains("Rue Joffre"));

    // 2. A consolidator killed in the middle of a job: the other finishes it.
    consolidator_b.signal("STOP"); // B sleeps: A alone can claim the next job
    let bigger = enlarged(&sample, 40, None);
    let bigger_revision = depot.publish(COMMUNE, bigger).await.expect("the enlarged file is valid");
    let job = loop {
        let jobs = store.jobs(COMMUNE).await.unwrap();
        let job = jobs
            .into_iter()
            .find(|j| j.revision_id == bigger_revision)
            .expect("the publication queued a job");
        match job.status {
            JobStatus::Pending => tokio::time::sleep(Duration::from_millis(5)).await,
            JobStatus::Running => break job,
            other => {
                panic!("the job ended ({other}) before consolidator A could be killed: make the file larger")
            }
        }
    };
    consolidator_a.kill();
    let after_kill = store.jobs(COMMUNE).await.unwrap().into_iter().find(|j| j.id == job.id).unwrap();
    assert_eq!(after_kill.status, JobStatus::Running, "consolidator A was killed in the middle of the job");
    assert_ne!(
        store.base_commune(COMMUNE).await.unwrap().unwrap().revision.as_deref(),
        Some(bigger_revision.as_str()),
        "nothing of the killed job is in the base"
    );
    consolidator_b.signal("CONT");
    eventually("consolidator B takes the job over and finishes it", Duration::from_secs(60), || async {
        let jobs = store.jobs(COMMUNE).await.unwrap();
        jobs.iter().any(|j| j.id == job.id && j.status == JobStatus::Done)
    })
    .await;
    let done = store.jobs(COMMUNE).await.unwrap().into_iter().find(|j| j.id == job.id).unwrap();
    assert_eq!(done.outcome.as_deref(), Some("applied"));
    assert!(done.attempts >= 2, "claimed by A, then by B");
    let commune = store.base_commune(COMMUNE).await.unwrap().unwrap();
    assert_eq!(commune.revision.as_deref(), Some(bigger_revision.as_str()));
    assert_eq!(commune.addresses as usize, bigger_rows(&sample, 40));
    for geocoder in [&geocoder_1, &geocoder_2] {
        eventually(&format!("{} finds the new numbers", geocoder.name), Duration::from_secs(30), || async {
            first_result(&http, &geocoder.url, "3002 rue joffre").await.as_deref()
                == Some("3002 Rue Joffre 54111 Mont-Bonvillers")
        })
        .await;
    }

    // 3. A geocoder killed and started again catches up with what was published meanwhile.
    geocoder_2.kill();
    let renamed = enlarged(&sample, 40, Some(("Rue Joffre", "Rue du Maréchal Joffre")));
    depot.publish(COMMUNE, renamed).await.expect("the renamed file is valid");
    eventually("the rename reaches geocoder 1", Duration::from_secs(60), || async {
        first_result(&http, &geocoder_1.url, "2 rue du marechal joffre").await.as_deref()
            == Some("2 Rue du Maréchal Joffre 54111 Mont-Bonvillers")
    })
    .await;
    let mut geocoder_2 = Service::start("geocoder 2 (again)", "geocoder", &database, &[]);
    geocoder_2.ready(&http, Duration::from_secs(60)).await;
    assert_eq!(
        first_result(&http, &geocoder_2.url, "2 rue du marechal joffre").await.as_deref(),
        Some("2 Rue du Maréchal Joffre 54111 Mont-Bonvillers"),
        "the restarted geocoder is up to date as soon as it is ready"
    );

    // 4. The operators' metrics.
    let metrics = http.get(format!("{}/metrics", geocoder_1.url)).send().await.unwrap().text().await.unwrap();
    for name in ["geocoder_index_seq", "geocoder_feed_lag_seconds", "http_requests_total"] {
        assert!(metrics.contains(name), "geocoder /metrics lacks {name}:\n{metrics}");
    }
    let metrics =
        http.get(format!("{}/metrics", consolidator_b.url)).send().await.unwrap().text().await.unwrap();
    for name in
        ["consolidation_duration_seconds_bucket", "consolidation_jobs_total", "consolidation_jobs_waiting"]
    {
        assert!(metrics.contains(name), "consolidator /metrics lacks {name}:\n{metrics}");
    }
    let metrics =
        http.get(format!("{}/metrics", depot_service.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("validation_duration_seconds_bucket"), "depot /metrics:\n{metrics}");
}

/// The addresses of `enlarged(sample, copies, _)`.
fn bigger_rows(sample: &str, copies: u32) -> usize {
    let rows = enlarged(sample, copies, None);
    String::from_utf8(rows).unwrap().lines().count() - 1
}
