//! Migration 0012 on a store that an earlier version filled: clients get their `updated_at`,
//! computed revisions whether their file was valid (`is_valid`, read by `/last-revisions`).
//! Runs when `TEST_DATABASE_URL` is set, in the schema `adm_migration_0012`.
use ban_store::prelude::*;
use ban_store::{PageRequest, Viewer};

#[tokio::test]
async fn migration_0012_fills_what_earlier_rows_lack() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: skipped");
        return;
    };
    let url = ban_store_postgres::fresh_schema(&url, "adm_migration_0012").await.expect("schema");
    // The migrations before 0012, as an earlier version ran them.
    let dir = tempfile::tempdir().expect("temp dir");
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    for entry in std::fs::read_dir(&all).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.as_str() < "0012" {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy");
        }
    }
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::migrate::Migrator::new(dir.path()).await.expect("migrator").run(&pool).await.expect("migrate");
    for statement in [
        "INSERT INTO clients (id, nom, mandataire, email, authorization_strategy, perimeters, is_active, token, created_at) \
         VALUES ('0123456789abcdef01234567', 'Ancien', 'M', NULL, 'internal', '[]', TRUE, 'sha256:00', '2026-01-01T00:00:00Z')",
        "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, validation, created_at, updated_at) \
         VALUES ('0000000000000000000000a1', '0123456789abcdef01234567', '54084', 'pending', TRUE, FALSE, '{}', '{\"valid\": true, \"rowsCount\": 3}', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')",
        "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, validation, created_at, updated_at) \
         VALUES ('0000000000000000000000a2', '0123456789abcdef01234567', '67482', 'pending', FALSE, FALSE, '{}', '{\"valid\": false}', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')",
        "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, created_at, updated_at) \
         VALUES ('0000000000000000000000a3', '0123456789abcdef01234567', '91400', 'pending', FALSE, FALSE, '{}', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')",
    ] {
        sqlx::query(statement).execute(&pool).await.expect("an earlier row");
    }
    pool.close().await;

    let store = ban_store_postgres::open(&url, 2).await.expect("open, migrating");
    let client = store.client("0123456789abcdef01234567").await.expect("read").expect("the client");
    assert_eq!(client.updated_at, client.created_at);
    let latest =
        store.last_revisions(Viewer::Admin, PageRequest { offset: 0, limit: 10 }).await.expect("list");
    let valid: Vec<(&str, Option<bool>)> =
        latest.items.iter().map(|r| (r.code_commune.as_str(), r.is_valid)).collect();
    assert_eq!(valid, [("54084", Some(true)), ("67482", Some(false)), ("91400", None)]);
}
