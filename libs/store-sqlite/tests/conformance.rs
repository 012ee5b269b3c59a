//! The store's conformance suite on a fresh SQLite file.
use std::sync::Arc;

use ban_store_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = SqliteStore::open(&url).await.expect("open the store");
    ban_store::conformance::run_all(Arc::new(store)).await;
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = SqliteStore::open(&url).await.expect("open the store");
    ban_store::conformance::clients(&store).await;
    drop(store);
    let store = SqliteStore::open(&url).await.expect("reopen the store");
    let clients = ban_store::Store::clients(&store).await.expect("clients");
    assert!(!clients.is_empty());
}
