//! The HTTP/1.1 server loop of every service, in place of `axum::serve`, which sets no timer
//! (so no header timeout: an idle or half-sent connection stays open for ever) and waits
//! without bound for every connection at shutdown (a Server-Sent Events reader holds it).
//!
//! Each connection gets a header read timeout, which hyper also applies between the requests
//! of a kept-alive connection (an idle client is disconnected after it), and the client's
//! address as [`ConnectInfo`] for the rate limits. At shutdown the server stops accepting,
//! asks every connection to finish its request in flight, and after a grace period drops
//! those still open (streams and long polls): their clients reconnect elsewhere.
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// The time limits of a server's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers, and stay idle between two
    /// requests of a kept-alive connection.
    pub header_timeout: Duration,
    /// How long a shutdown waits for the connections still open before dropping them.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_timeout: Duration::from_secs(30), shutdown_grace: Duration::from_secs(10) }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then shuts down within
/// `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // not a reason to stop serving the others.
                    tracing::warn!(%error, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(stream, peer, app.clone(), limits, stopping.clone()));
    }
    drop(listener);
    let _ = stop.send(true);
    let open = connections.len();
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            open,
            left = connections.len(),
            grace_s = limits.shutdown_grace.as_secs_f64(),
            "shutdown: closing the connections still open (streams, long polls)"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One connection, until it ends or, once the server stops, its request in flight is done.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = match app.oneshot(request.map(axum::body::Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut told = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended");
                }
                return;
            }
            _ = stopping.wait_for(|stop| *stop), if !told => {
                told = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
