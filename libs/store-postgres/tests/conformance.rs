//! The store's conformance suite on PostgreSQL, one test per case, when `TEST_DATABASE_URL`
//! is set (CI sets it; e.g. `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`).
//! Each case runs in a schema of its own, dropped first, so that runs do not see each
//! other's rows.
use std::sync::Arc;

use ban_store_conformance::TestStore;

async fn open(case: &'static str) -> Option<TestStore> {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL conformance skipped");
        return None;
    };
    let url = ban_store_postgres::fresh_schema(&url, &format!("store_conformance_{case}"))
        .await
        .expect("fresh schema");
    let store = ban_store_postgres::open(&url, 4).await.expect("open the store");
    Some(TestStore { store: Arc::new(store), guard: None })
}

ban_store_conformance::store_conformance_tests!(open);
