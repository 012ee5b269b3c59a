//! The store's conformance suite on PostgreSQL, when `TEST_DATABASE_URL` is set (CI sets it;
//! e.g. `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`). The suite runs in a
//! schema of its own, dropped first, so that runs do not see each other's rows.
use std::sync::Arc;

use ban_store_postgres::PgStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_conforms() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL conformance skipped");
        return;
    };
    let url = ban_store_postgres::fresh_schema(&url, "store_conformance").await.expect("fresh schema");
    let store = PgStore::open(&url).await.expect("open the store");
    ban_store::conformance::run_all(Arc::new(store)).await;
}
