//! What a server does with clients that would hold it: slow or idle connections are closed
//! after the header timeout, a shutdown ends within its grace even with a Server-Sent Events
//! reader connected, and requests over a rate limit are answered 429 with `Retry-After`.
#![allow(clippy::unwrap_used)]
use std::time::Duration;

use ban::serve::{serve, HttpSettings, Services};
use ban_service_kit::{ConnectionLimits, RateLimitArgs, RateLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type ServeError = Box<dyn std::error::Error + Send + Sync>;

/// A server on a free port of a fresh SQLite store: its address, its stop, its task.
async fn server(
    http: HttpSettings,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), ServeError>>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = ban_service_kit::open_store(&url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve(listener, store, Services::all(), http, async {
            let _ = stopped.await;
        })
        .await
        .map_err(ServeError::from)
    });
    (address, stop, task, dir)
}

fn limits(header_timeout_s: u64, grace_s: u64) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_secs(header_timeout_s),
        shutdown_grace: Duration::from_secs(grace_s),
    }
}

/// Reads until the server closes the connection (or the bound passes: a failure).
async fn closed_by_server(stream: &mut TcpStream, bound: Duration) -> bool {
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(bound, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_disconnected() {
    let http = HttpSettings { connections: limits(1, 5), rate_limits: RateLimits::none() };
    let (address, stop, task, _dir) = server(http).await;

    // Half-sent headers.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // A kept-alive connection left idle after one request.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = [0u8; 1024];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // A connection that never sends anything.
    let mut silent = TcpStream::connect(&address).await.unwrap();

    for (name, stream) in [("slow", &mut slow), ("idle", &mut idle), ("silent", &mut silent)] {
        assert!(closed_by_server(stream, Duration::from_secs(20)).await, "{name} connection still open");
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_ends_within_its_grace_with_a_feed_reader_connected() {
    let http = HttpSettings { connections: limits(30, 1), rate_limits: RateLimits::none() };
    let (address, stop, task, _dir) = server(http).await;
    let mut reader = TcpStream::connect(&address).await.unwrap();
    reader
        .write_all(b"GET /api/changes HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 1024];
    let n = reader.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).contains("text/event-stream"));

    stop.send(()).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(20), task).await;
    assert!(stopped.is_ok(), "the server still waits for its feed reader");
    stopped.unwrap().unwrap().unwrap();
    assert!(closed_by_server(&mut reader, Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_a_rate_limit_are_answered_429_with_retry_after() {
    let rate_limits = RateLimits::new(RateLimitArgs { per_ip: 1, per_token: 0, trust_forwarded_for: false });
    let (address, stop, task, _dir) = server(HttpSettings { connections: limits(30, 5), rate_limits }).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..10 {
        let answer = http.get(format!("http://{address}/api/communes-summary")).send().await.unwrap();
        statuses.push(answer.status().as_u16());
        if answer.status() == 429 {
            limited = Some(answer);
        }
    }
    // A burst of twice the rate passes, then the rest is refused.
    assert!(statuses.iter().take(2).all(|s| *s != 429), "{statuses:?}");
    let limited = limited.unwrap_or_else(|| panic!("never limited: {statuses:?}"));
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert!(limited.headers().contains_key("x-request-id"));
    let problem: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    // Health checks are never limited.
    for _ in 0..10 {
        assert_eq!(http.get(format!("http://{address}/healthz")).send().await.unwrap().status(), 200);
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}
