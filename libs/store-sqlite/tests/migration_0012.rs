//! Migration 0012 on a store that an earlier version filled: clients get their `updated_at`,
//! computed revisions whether their file was valid (`is_valid`, read by `/last-revisions`).
use ban_store::prelude::*;
use ban_store::{PageRequest, Viewer};

#[tokio::test]
async fn migration_0012_fills_what_earlier_rows_lack() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The migrations before 0012, as an earlier version ran them.
    let earlier = dir.path().join("migrations");
    std::fs::create_dir(&earlier).expect("dir");
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    for entry in std::fs::read_dir(&all).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.as_str() < "0012" {
            std::fs::copy(&path, earlier.join(&name)).expect("copy");
        }
    }
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let options = url.parse::<sqlx::sqlite::SqliteConnectOptions>().expect("url").create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("connect");
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .expect("migrator")
        .run(&pool)
        .await
        .expect("migrate");
    for statement in [
        "INSERT INTO clients (id, nom, mandataire, email, authorization_strategy, perimeters, is_active, token, created_at) \
         VALUES ('0123456789abcdef01234567', 'Ancien', 'M', NULL, 'internal', '[]', 1, 'sha256:00', '2026-01-01T00:00:00+00:00')",
        "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, validation, created_at, updated_at) \
         VALUES ('0000000000000000000000a1', '0123456789abcdef01234567', '54084', 'pending', 1, 0, '{}', '{\"valid\": true, \"rowsCount\": 3}', '2026-01-02T00:00:00+00:00', '2026-01-02T00:00:00+00:00')",
        "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, validation, created_at, updated_at) \
         VALUES ('0000000000000000000000a2', '0123456789abcdef01234567', '67482', 'pending', 0, 0, '{}', '{\"valid\": false}', '2026-01-02T00:00:00+00:00', '2026-01-02T00:00:00+00:00')",
        "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, created_at, updated_at) \
         VALUES ('0000000000000000000000a3', '0123456789abcdef01234567', '91400', 'pending', 0, 0, '{}', '2026-01-02T00:00:00+00:00', '2026-01-02T00:00:00+00:00')",
    ] {
        sqlx::query(statement).execute(&pool).await.expect("an earlier row");
    }
    pool.close().await;

    let store = ban_store_sqlite::open(&url).await.expect("open, migrating");
    let client = store.client("0123456789abcdef01234567").await.expect("read").expect("the client");
    assert_eq!(client.updated_at, client.created_at);
    assert_eq!((client.mandataire_id, client.legacy_id), (None, None));
    let latest =
        store.last_revisions(Viewer::Admin, PageRequest { offset: 0, limit: 10 }).await.expect("list");
    let valid: Vec<(&str, Option<bool>)> =
        latest.items.iter().map(|r| (r.code_commune.as_str(), r.is_valid)).collect();
    assert_eq!(valid, [("54084", Some(true)), ("67482", Some(false)), ("91400", None)]);
}
