//! What the depot's route tests share: a depot on a fresh store per test (SQLite always,
//! PostgreSQL in a schema of its own when `TEST_DATABASE_URL` is set), called in process, and
//! requests whose errors must be `application/problem+json` with a `code` and a `detail`.
//!
//! Each test file names its PostgreSQL schemas with a `SCHEMA_PREFIX` const of its own, which
//! [`on_every_backend!`] reads.
#![allow(dead_code, clippy::unwrap_used)]
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use ban_depot::{router, DepotArgs, DepotState, LogMailer};
use ban_store::ids::{object_id, token};
use ban_store::{AuthorizationStrategy, NewClient, NewDirectoryImport, Perimeter, Store};
use serde_json::Value;
use tower::ServiceExt;

/// The administrators' token of the tests.
pub const ADMIN: &str = "admin-secret";

pub struct Harness {
    pub app: Router,
    pub store: Arc<dyn Store>,
    /// The depot's validation permits.
    pub computes: Arc<tokio::sync::Semaphore>,
    _dir: Option<tempfile::TempDir>,
}

/// The depot's options of the tests: the administrators' token, and `change` over them.
pub fn args(change: impl FnOnce(DepotArgs) -> DepotArgs) -> DepotArgs {
    change(DepotArgs { admin_token: Some(ADMIN.into()), ..DepotArgs::default() })
}

pub async fn sqlite(args: &DepotArgs) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    harness(store, args, Some(dir))
}

/// The schema `schema`, emptied at the start of each run.
pub async fn postgres(schema: &str, args: &DepotArgs) -> Option<Harness> {
    let url = std::env::var("TEST_DATABASE_URL").ok()?;
    let url = ban_store_postgres::fresh_schema(&url, schema).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(ban_store_postgres::open(&url, 8).await.unwrap());
    Some(harness(store, args, None))
}

fn harness(store: Arc<dyn Store>, args: &DepotArgs, dir: Option<tempfile::TempDir>) -> Harness {
    let mut state = DepotState::new(store.clone(), args).unwrap();
    state.mailer = Arc::new(LogMailer);
    let computes = state.computes.clone();
    Harness { app: router(state), store, computes, _dir: dir }
}

/// Runs a test body on every available backend, with the depot's options `$args` (the
/// administrators' token alone when not given).
macro_rules! on_every_backend {
    ($name:ident, $args:expr, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let args: ban_depot::DepotArgs = $args;
            let body = $body;
            body(common::sqlite(&args).await).await;
            let schema = format!("{SCHEMA_PREFIX}{}", stringify!($name));
            if let Some(h) = common::postgres(&schema, &args).await {
                body(h).await;
            }
        }
    };
    ($name:ident, $body:expr) => {
        on_every_backend!($name, common::args(|a| a), $body);
    };
}

/// A file of `data/samples/`.
pub fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples").join(name);
    std::fs::read(path).unwrap()
}

/// The directory of town halls of `data/directory/` (where PIN codes may be sent), imported.
pub async fn import_directory(store: &dyn Store) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/directory/api-lannuaire-administration.json");
    let export = ban_directory::read_export(std::fs::File::open(path).unwrap()).unwrap();
    let import =
        NewDirectoryImport { source: "fixture.json".into(), sha256: "00".repeat(32), at: chrono::Utc::now() };
    store.replace_directory(import, &export.town_halls).await.unwrap();
}

/// An answer: status, headers, and the body as JSON (as a JSON string when it is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A request to send.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub token: Option<&'a str>,
    pub body: Body,
    pub content_type: &'a str,
    /// The client's address (`ConnectInfo`), when the test needs one.
    pub from: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// `method path` with a JSON body, from no address.
    pub fn json(method: Method, path: &'a str, token: Option<&'a str>, body: Option<&Value>) -> Self {
        let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
        Call { method, path, token, body, content_type: "application/json", from: None }
    }
}

impl Harness {
    /// Sends `call`: an error must answer problem+json with a `code` and a `detail`.
    pub async fn request(&self, call: Call<'_>) -> Answer {
        let path = format!("/{}", call.path.trim_start_matches('/'));
        let mut request = Request::builder().method(call.method).uri(path);
        if let Some(token) = call.token {
            request = request.header(header::AUTHORIZATION, format!("Token {token}"));
        }
        if let Some(from) = call.from {
            let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
            request = request.extension(ConnectInfo(peer));
        }
        let request = request.header(header::CONTENT_TYPE, call.content_type).body(call.body).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body =
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        if !status.is_success() {
            let content_type = headers.get(header::CONTENT_TYPE);
            assert!(
                content_type.is_some_and(|v| v == "application/problem+json"),
                "errors answer problem+json: {status} {body}"
            );
            assert!(body["code"].is_string() && body["detail"].is_string(), "{body}");
        }
        Answer { status, headers, body }
    }

    /// A client of `strategy` within `perimeters` (`departement:54`…), made in the store: its
    /// id and token.
    pub async fn new_client(&self, strategy: AuthorizationStrategy, perimeters: &[&str]) -> (String, String) {
        let client = self
            .store
            .create_client(NewClient {
                id: object_id(chrono::Utc::now()),
                nom: "Client de test".into(),
                mandataire: "Mandataire".into(),
                email: None,
                authorization_strategy: strategy,
                perimeters: perimeters.iter().map(|p| Perimeter::parse(p).unwrap()).collect(),
                token: token(),
            })
            .await
            .unwrap();
        (client.id, client.token.expose().to_owned())
    }
}
