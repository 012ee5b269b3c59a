//! Client tokens are kept as digests: a token an earlier version stored in clear is replaced
//! by its digest when the store opens, and still authenticates its client.
use ban_store::ids::TOKEN_DIGEST_PREFIX;
use ban_store::prelude::*;

#[tokio::test]
async fn tokens_stored_in_clear_are_digested_at_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = ban_store_sqlite::open(&url).await.expect("open");
    // A client row as an earlier version wrote it: the token in clear.
    sqlx::query(
        "INSERT INTO clients (id, nom, mandataire, email, authorization_strategy, perimeters, is_active, token, created_at) \
         VALUES ('0123456789abcdef01234567', 'Ancien', 'M', NULL, 'internal', '[]', TRUE, 'oldTokenInClear0123456789abcdef', '2026-01-01T00:00:00Z')",
    )
    .execute(store.write_pool())
    .await
    .expect("insert an old row");
    drop(store);

    let store = ban_store_sqlite::open(&url).await.expect("open again");
    let stored: (String,) = sqlx::query_as("SELECT token FROM clients WHERE id = '0123456789abcdef01234567'")
        .fetch_one(store.write_pool())
        .await
        .expect("read the row");
    assert!(stored.0.starts_with(TOKEN_DIGEST_PREFIX), "{}", stored.0);
    assert!(!stored.0.contains("oldTokenInClear"));
    let client = store.client_by_token("oldTokenInClear0123456789abcdef").await.expect("lookup");
    assert_eq!(client.map(|c| c.nom), Some("Ancien".to_owned()));
}
