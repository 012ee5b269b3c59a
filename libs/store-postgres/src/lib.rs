//! The PostgreSQL backend of the store, for deployments beyond one machine: several depot
//! and consolidator processes share it. Rows read for an update are locked (`FOR UPDATE`),
//! the queue skips the jobs other workers hold, and advisory locks serialise the writers of
//! one commune and of the feed.
use std::time::Duration;

use ban_store::sql::{Dialect, SqlStore};
use ban_store::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::Postgres;

/// Connections a process opens at most, unless told otherwise (`DATABASE_MAX_CONNECTIONS`).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// The store on a PostgreSQL database.
pub type PgStore = SqlStore<Postgres>;

pub static DIALECT: Dialect = Dialect {
    name: "postgres",
    numbered_parameters: true,
    for_update: " FOR UPDATE",
    skip_locked: " FOR UPDATE SKIP LOCKED",
    lock_commune: Some("SELECT pg_advisory_xact_lock(hashtext($1))"),
    lock_feed: Some("SELECT pg_advisory_xact_lock(hashtext('ban:feed'))"),
    // Row locks and advisory locks are taken where needed, and wait.
    begin_write: None,
    utc_day: "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
};

/// Connects to `url` (`postgres://…`) with at most `max_connections` connections and brings
/// the schema up to date.
pub async fn open(url: &str, max_connections: u32) -> Result<PgStore, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(StoreError::database)?;
    sqlx::migrate!("../../migrations/postgres").run(&pool).await.map_err(StoreError::database)?;
    tracing::info!("PostgreSQL store open");
    let store = SqlStore::new(pool.clone(), pool, &DIALECT);
    store.digest_clear_tokens().await?;
    Ok(store)
}

/// Creates an empty schema `name` (dropping any previous one) and returns `url` set to use
/// it: a fresh database for a test run, without the rights to create databases.
pub async fn fresh_schema(url: &str, name: &str) -> Result<String, StoreError> {
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::Precondition(format!("invalid schema name {name:?}")));
    }
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await.map_err(StoreError::database)?;
    for statement in [format!("DROP SCHEMA IF EXISTS {name} CASCADE"), format!("CREATE SCHEMA {name}")] {
        sqlx::query(&statement).execute(&pool).await.map_err(StoreError::database)?;
    }
    pool.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}options[search_path]={name}"))
}
