//! The embedded SQLite backend of the store: one file, WAL journal, a pool of readers and a
//! single writer connection (SQLite has one writer at a time; queueing a process's writes in
//! the pool rather than in SQLite's busy handler keeps them fair). Other processes may write
//! to the same file (`ban import` beside `ban serve`): every write transaction begins with
//! `BEGIN IMMEDIATE`, taking the write lock before it reads, so that writers of different
//! processes wait for each other in the busy handler (up to [`BUSY_TIMEOUT`]) rather than
//! fail with `database is locked`.
use std::str::FromStr;
use std::time::Duration;

use ban_store::sql::{Dialect, SqlStore};
use ban_store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Sqlite;

/// The store on a SQLite file.
pub type SqliteStore = SqlStore<Sqlite>;

/// How long a writer waits for another process's write transaction before `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite's single writer serialises write transactions (taken up front, across processes
/// too): nothing to lock beyond it.
pub static DIALECT: Dialect = Dialect {
    name: "sqlite",
    numbered_parameters: false,
    for_update: "",
    skip_locked: "",
    lock_commune: None,
    lock_feed: None,
    begin_write: Some("BEGIN IMMEDIATE"),
    utc_day: "substr({column}, 1, 10)",
};

/// Opens (creating it if needed) the database at `url` (`sqlite://PATH` or `sqlite:PATH`)
/// and brings its schema up to date.
pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::database)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Every committed publication survives a crash of the process or of the machine.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
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
    let readers = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options.read_only(true))
        .await
        .map_err(StoreError::database)?;
    tracing::info!(url, "SQLite store open");
    let store = SqlStore::new(readers, writer, &DIALECT);
    store.digest_clear_tokens().await?;
    Ok(store)
}

/// Writes a consistent copy of the database at `url` to the new file `destination`, while
/// other connections and processes keep reading and writing it (`VACUUM INTO`: one read
/// transaction, so the copy is the database as of its start, compacted). Returns the copy's
/// size in bytes. An existing `destination` is never overwritten.
pub async fn backup(url: &str, destination: &std::path::Path) -> Result<u64, StoreError> {
    if destination.exists() {
        return Err(StoreError::Precondition(format!("{} exists: give a new file", destination.display())));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::database)?
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(StoreError::database)?;
    let target = destination.to_string_lossy().into_owned();
    sqlx::query("VACUUM INTO ?1").bind(&target).execute(&pool).await.map_err(StoreError::database)?;
    pool.close().await;
    std::fs::metadata(destination).map(|m| m.len()).map_err(StoreError::database)
}
