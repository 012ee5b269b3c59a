//! The PostgreSQL backend of the store, for deployments beyond one machine: several depot
//! and consolidator processes share it.
use std::time::Duration;

use ban_store::{sql_store, StoreError};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};

/// Connections a process opens at most, unless told otherwise (`DATABASE_MAX_CONNECTIONS`).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// [`PgStore::open`] with at most `max_connections` connections.
    pub async fn open_with(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(StoreError::database)?;
        sqlx::migrate!("../../migrations/postgres").run(&pool).await.map_err(StoreError::database)?;
        tracing::info!("PostgreSQL store open");
        Ok(PgStore { pool })
    }

    /// The pool, for tests that need to reset the schema.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Serialises the publications of one commune (released at commit or rollback).
    async fn lock_commune(tx: &mut Transaction<'static, Postgres>, code: &str) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('commune:' || $1))")
            .bind(code)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Serialises the writers of the feed (released at commit or rollback): seqs are taken
    /// under the lock, so they are committed in order and a reader never sees seq n + 1
    /// before seq n.
    async fn lock_feed(tx: &mut Transaction<'static, Postgres>) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('ban:feed'))").execute(&mut **tx).await?;
        Ok(())
    }
}

sql_store!(
    PgStore,
    Postgres,
    backend = "postgres",
    for_update = " FOR UPDATE",
    skip_locked = " FOR UPDATE SKIP LOCKED"
);

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
