//! `ban mirror` against a running `ban serve`: killed in the middle and started again, it
//! ends with the same base as the server's (same objects, states and seqs).
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ban_store::{FeedQuery, Store};

fn ban(database: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ban"));
    command.args(args).env("DATABASE_URL", database).env("RUST_LOG", "warn");
    command
}

fn run(database: &str, args: &[&str]) -> String {
    let out = ban(database, args).output().unwrap();
    assert!(out.status.success(), "ban {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The base as a mirror must reproduce it: every object's current feed row.
async fn snapshot(store: &dyn Store) -> Vec<(i64, String, String, String, String)> {
    let rows = store.feed(&FeedQuery { current_only: true, ..FeedQuery::since(0, i64::MAX) }).await.unwrap();
    rows.into_iter()
        .map(|r| (r.seq, r.kind.to_string(), r.id, r.op.to_string(), r.state.get().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_killed_in_the_middle_ends_with_the_same_base() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let origin = format!("sqlite://{}", dir.path().join("origin.db").display());
    let replica = format!("sqlite://{}", dir.path().join("replica.db").display());
    let bal = dir.path().join("bal");
    std::fs::create_dir(&bal).unwrap();
    std::fs::copy(root.join("data/samples/54084_mont-bonvillers.csv"), bal.join("54084.csv")).unwrap();
    run(&origin, &["import", &bal.display().to_string()]);
    let legacy = root.join("../shared/data/real-ban-legacy/adresses-54_ban-legacy-extract.csv.gz");
    if legacy.exists() {
        run(&origin, &["import-legacy", &legacy.display().to_string()]);
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let _server = Server(
        ban(&origin, &["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{url}/readyz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "ban serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let origin_store = ban_service_kit::open_store(&origin).await.unwrap();
    let head = origin_store.last_seq().await.unwrap();
    assert!(head > 400);

    // Small pages, killed as soon as the first ones are written (the replica is created
    // first, so that the mirror and this test do not both set it up).
    let replica_store = ban_service_kit::open_store(&replica).await.unwrap();
    let mut mirror =
        ban(&replica, &["mirror", &url, "--once", "--page", "5"]).stdout(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    while replica_store.last_seq().await.unwrap() == 0 {
        assert!(mirror.try_wait().unwrap().is_none(), "the mirror stopped before writing anything");
        assert!(started.elapsed() < Duration::from_secs(30), "the mirror wrote nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    mirror.kill().unwrap();
    mirror.wait().unwrap();
    let interrupted = replica_store.last_seq().await.unwrap();
    eprintln!("mirror killed at seq {interrupted} of {head}");

    let out = run(&replica, &["mirror", &url, "--once"]);
    assert!(out.contains(&format!("caught up at seq {head}")), "{out}");
    assert_eq!(snapshot(&*replica_store).await, snapshot(&*origin_store).await);
    assert_eq!(replica_store.base_counts().await.unwrap(), origin_store.base_counts().await.unwrap());

    // Their exports are the same bytes.
    let export = |database: &str, name: &str| {
        let path = dir.path().join(name);
        run(
            database,
            &["export", "--format", "csv-with-ids", "--dep", "54", "-o", &path.display().to_string()],
        );
        std::fs::read(path).unwrap()
    };
    assert_eq!(export(&replica, "replica.csv"), export(&origin, "origin.csv"));
}
