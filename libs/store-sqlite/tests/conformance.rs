//! The store's conformance suite, one test per case, each on a fresh SQLite file.
use std::sync::Arc;

use ban_store::prelude::*;
use ban_store_conformance::TestStore;

async fn open(_case: &'static str) -> Option<TestStore> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = ban_store_sqlite::open(&url).await.expect("open the store");
    Some(TestStore { store: Arc::new(store), guard: Some(Box::new(dir)) })
}

ban_store_conformance::store_conformance_tests!(open);

#[tokio::test]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = ban_store_sqlite::open(&url).await.expect("open the store");
    ban_store_conformance::clients(Arc::new(store)).await;
    let store = ban_store_sqlite::open(&url).await.expect("reopen the store");
    let clients = store.clients().await.expect("clients");
    assert!(!clients.is_empty());
}
