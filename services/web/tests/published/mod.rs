//! The set-up shared by the tests of the commune page and of the tiles: a SQLite store where
//! the sample commune (Mont-Bonvillers, 54084) was published and consolidated for real, and
//! the router called in process.
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use ban_store::ids::{object_id, token};
use ban_store::{
    AuthorizationStrategy, ComputedValidation, NewClient, NewRevision, Publication, Store, StoredFile,
};
use ban_web::mvt::Tile;
use ban_web::{router, WebArgs, WebState};
use chrono::Utc;
use prost::Message as _;
use tower::ServiceExt;

pub fn sample(name: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read(root.join("data/samples").join(name)).unwrap()
}

/// Publishes `bytes` for 54084 as the depot does (a ready revision of an internal client),
/// then runs the consolidation.
pub async fn publish(store: &Arc<dyn Store>, client: &str, bytes: &[u8]) -> String {
    let now = Utc::now();
    let revision = NewRevision {
        id: object_id(now),
        client_id: client.to_owned(),
        code_commune: "54084".into(),
        context: serde_json::json!({"organisation": "Mairie"}),
    };
    let revision = store.create_revision(revision, now).await.unwrap();
    let file = StoredFile {
        id: object_id(now),
        revision_id: revision.id.clone(),
        size: bytes.len() as i64,
        hash: "00".repeat(32),
        kind: "bal".into(),
        created_at: now,
    };
    store.attach_file(&revision.id, file, bytes).await.unwrap();
    let current = store.current_revision("54084").await.unwrap().map(|r| r.id);
    let computed = ComputedValidation {
        validation: serde_json::value::to_raw_value(&serde_json::json!({"valid": true})).unwrap(),
        is_ready: true,
        rows_count: 0,
        checked_against: current,
    };
    store.save_validation(&revision.id, computed, now).await.unwrap();
    store.publish(&revision.id, Publication { habilitation: None, at: Utc::now() }).await.unwrap();
    let worked = ban_consolidator::Consolidator::new(store.clone()).run_pending().await.unwrap();
    assert_eq!(worked, 1);
    revision.id
}

pub struct Published {
    pub state: WebState,
    pub store: Arc<dyn Store>,
    pub client: String,
    _dir: tempfile::TempDir,
}

pub async fn published() -> Published {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.unwrap());
    let client = store
        .create_client(NewClient {
            id: object_id(Utc::now()),
            nom: "Éditeur de la mairie".into(),
            mandataire: "Éditeur".into(),
            email: None,
            authorization_strategy: AuthorizationStrategy::Internal,
            perimeters: vec![],
            token: token(),
        })
        .await
        .unwrap();
    publish(&store, &client.id, &sample("54084_mont-bonvillers.csv")).await;
    Published {
        state: WebState::new(store.clone(), &WebArgs::default()),
        store,
        client: client.id,
        _dir: dir,
    }
}

pub async fn get(
    state: &WebState,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = router(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec())
}

pub fn decode(gzipped: &[u8]) -> Tile {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gzipped).read_to_end(&mut bytes).unwrap();
    Tile::decode(bytes.as_slice()).unwrap()
}
