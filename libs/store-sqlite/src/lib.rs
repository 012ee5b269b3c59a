//! The embedded SQLite backend of the store: one file, WAL journal, a pool of readers and a
//! single writer connection (SQLite has one writer at a time; queueing writes in the pool
//! rather than in SQLite's busy handler keeps them fair and free of `SQLITE_BUSY`).
use std::str::FromStr;
use std::time::Duration;

use ban_store::{sql_store, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// The store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if needed) the database at `url` (`sqlite://PATH` or `sqlite:PATH`)
    /// and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::database)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every committed publication survives a crash of the process or of the machine.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Statement journals (multi-row upserts) in memory rather than in temporary files.
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // 256 MiB of page cache for the writer: the base's id indexes are large and
            // written at random (UUIDs).
            .connect_with(options.clone().pragma("cache_size", "-262144"))
            .await
            .map_err(StoreError::database)?;
        sqlx::migrate!("../../migrations/sqlite").run(&writer).await.map_err(StoreError::database)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::database)?;
        tracing::info!(url, "SQLite store open");
        Ok(SqliteStore { pool, writer })
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin().await
    }

    /// Write transactions are already serialised by the single writer.
    async fn lock_commune(_tx: &mut Transaction<'static, Sqlite>, _code: &str) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// Likewise for the feed.
    async fn lock_feed(_tx: &mut Transaction<'static, Sqlite>) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

sql_store!(SqliteStore, Sqlite, backend = "sqlite", for_update = "", skip_locked = "");
