//! The store's SQL, written once for SQLite and PostgreSQL. Both accept the same statements
//! (`$N` parameters, `RETURNING`, `ON CONFLICT`, `TRUE`/`FALSE`); what differs is said by a
//! [`Dialect`]: how rows read for an update are locked, and how the writers of a commune and
//! of the feed are serialised. Rows are decoded by `FromRow` into the models.
//!
//! A change made by one statement runs on the write pool without a transaction (a single
//! statement is atomic); a change of several statements runs in one write transaction,
//! which reads the guards it depends on. A write transaction takes the backend's write
//! lock when it begins ([`Dialect::begin_write`]: on SQLite `BEGIN IMMEDIATE`), so that
//! writers of different processes sharing one SQLite file wait for each other (SQLite's busy
//! timeout) instead of failing when a transaction that began by reading tries to write. A
//! database still busy after that wait is [`StoreError::Busy`], and beginning a write
//! transaction is tried again a few times before it is reported.
//!
//! The code is generic over `sqlx::Database`; the bounds it needs (what the backends can
//! bind and decode) are listed on each implementation, as sqlx requires for generic code.
//! One module per aggregate: [`depot`], [`admin`], [`jobs`], [`notices`], [`base`], [`feed`],
//! [`directory`], [`audit`], [`reports`].
use async_trait::async_trait;
use sqlx::{Connection, Database, Executor, IntoArguments, Pool, Transaction};

use crate::{Store, StoreError, StoreResult};

mod admin;
mod audit;
mod base;
mod depot;
mod directory;
mod feed;
mod jobs;
mod notices;
mod reports;

/// Rows per multi-row statement (well under both backends' parameter limits).
const CHUNK: usize = 500;

/// What a backend's SQL needs said differently.
#[derive(Debug)]
pub struct Dialect {
    /// The backend's name, for logs and health.
    pub name: &'static str,
    /// Whether generated placeholders are numbered (`$1`) or positional (`?`).
    pub numbered_parameters: bool,
    /// What follows a `SELECT` that must lock the rows it reads (PostgreSQL: ` FOR UPDATE`;
    /// SQLite: nothing, its single writer already serialises write transactions).
    pub for_update: &'static str,
    /// The same for a queue, skipping rows another worker holds.
    pub skip_locked: &'static str,
    /// A statement that serialises the write transactions of one commune (`$1`: its code),
    /// held until commit; none when write transactions are serialised anyway.
    pub lock_commune: Option<&'static str>,
    /// A statement that serialises the writers of the feed, held until commit: seqs are
    /// taken under it, so they are committed in order and a reader never sees seq n + 1
    /// before seq n.
    pub lock_feed: Option<&'static str>,
    /// The statement that begins a write transaction, when the backend's default does not
    /// take the write lock at once (SQLite: `BEGIN IMMEDIATE`; a deferred transaction that
    /// read first fails with `SQLITE_BUSY` when another connection wrote meanwhile, without
    /// waiting for the busy timeout).
    pub begin_write: Option<&'static str>,
    /// The day (UTC, `YYYY-MM-DD` text) of a timestamp column named `{column}` (SQLite keeps
    /// RFC 3339 text in UTC: its first ten characters).
    pub utc_day: &'static str,
}

/// How many times beginning a write transaction is tried when the database stays busy.
const BEGIN_ATTEMPTS: u32 = 4;
/// The wait before the second attempt, doubled before each next one.
const BEGIN_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

/// The store on a SQL database: a pool for reads, one for write transactions (the same
/// pool on PostgreSQL; SQLite's single writer connection). Its `Debug` names the backend
/// only: nothing of the connection (its URL may hold a password).
pub struct SqlStore<DB: Database> {
    read: Pool<DB>,
    write: Pool<DB>,
    dialect: &'static Dialect,
}

impl<DB: Database> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore").field("backend", &self.dialect.name).finish_non_exhaustive()
    }
}

impl<DB: Database> SqlStore<DB> {
    pub fn new(read: Pool<DB>, write: Pool<DB>, dialect: &'static Dialect) -> Self {
        SqlStore { read, write, dialect }
    }

    /// The pool write transactions use.
    pub fn write_pool(&self) -> &Pool<DB> {
        &self.write
    }

    /// A write transaction, holding the write lock from its first statement on; tried again
    /// (with a growing wait) while the database stays busy beyond the backend's own wait.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, DB>> {
        let mut wait = BEGIN_BACKOFF;
        for attempt in 1.. {
            let begun = match self.dialect.begin_write {
                Some(statement) => self.write.begin_with(statement).await,
                None => self.write.begin().await,
            };
            match begun.map_err(map_error) {
                Err(StoreError::Busy(error)) if attempt < BEGIN_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "database busy, beginning the write again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                begun => return begun,
            }
        }
        unreachable!("the loop returns on its last attempt")
    }
}

/// Runs a dialect's lock statement, if it has one, in `tx`.
async fn lock<DB>(
    tx: &mut Transaction<'static, DB>,
    statement: Option<&'static str>,
    key: Option<&str>,
) -> StoreResult<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let Some(statement) = statement else { return Ok(()) };
    let mut query = sqlx::query::<DB>(statement);
    if let Some(key) = key {
        query = query.bind(key);
    }
    query.execute(&mut **tx).await.map_err(map_error)?;
    Ok(())
}

impl Dialect {
    /// `count` placeholders from the `first`-th value, comma-separated: `$3, $4, $5` where
    /// parameters are numbered, `?, ?, ?` where they are taken in order (SQLite: its parser
    /// looks each `$N` name up among those already seen, which is quadratic in a multi-row
    /// insert of thousands of values). Statements with a variable number of values are
    /// written with these and bound in order: sqlx's `QueryBuilder` cannot be used in code
    /// generic over the database (its arguments' lifetime is invariant there).
    fn placeholders(&self, first: usize, count: usize) -> String {
        let one = |n: usize| if self.numbered_parameters { format!("${n}") } else { "?".to_owned() };
        (first..first + count).map(one).collect::<Vec<_>>().join(", ")
    }

    /// [`Dialect::utc_day`] of `column`.
    fn utc_day_of(&self, column: &str) -> String {
        self.utc_day.replace("{column}", column)
    }

    /// The `VALUES` of a multi-row insert: `rows` tuples of `columns` placeholders.
    fn values(&self, rows: usize, columns: usize) -> String {
        let tuple = |row: usize| format!("({})", self.placeholders(row * columns + 1, columns));
        format!("VALUES {}", (0..rows).map(tuple).collect::<Vec<_>>().join(", "))
    }
}

/// Unique violations become conflicts; a database busy with other writers (SQLite's
/// `SQLITE_BUSY`/`SQLITE_LOCKED` once its busy timeout ran out, PostgreSQL's serialization
/// failures, deadlocks and lock timeouts) is [`StoreError::Busy`]; anything else is a
/// database failure. Told apart by the error's code, never its text.
fn map_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(e.message().to_owned()),
        sqlx::Error::Database(e) if e.code().is_some_and(|code| is_busy_code(&code)) => {
            StoreError::Busy(Box::new(error))
        }
        _ => StoreError::database(error),
    }
}

/// Whether a database error code says "busy, try again": SQLite's primary codes 5
/// (`SQLITE_BUSY`) and 6 (`SQLITE_LOCKED`), whatever their extended code (sqlx reports the
/// extended one, e.g. 517 `SQLITE_BUSY_SNAPSHOT`); PostgreSQL's SQLSTATEs 40001, 40P01 and
/// 55P03.
fn is_busy_code(code: &str) -> bool {
    match code.parse::<i32>() {
        Ok(sqlite) if !code.starts_with('0') && code.len() < 5 => matches!(sqlite & 0xff, 5 | 6),
        _ => matches!(code, "40001" | "40P01" | "55P03"),
    }
}

/// A value as JSON text, to bind as a JSON column.
/// `" WHERE a = $1 AND b = $2"` for the columns whose value is given (nothing when none is),
/// and those values in the order of their parameters.
fn equal_filters<'a>(wanted: &[(&str, Option<&'a str>)]) -> (String, Vec<&'a str>) {
    let mut values = Vec::new();
    let mut conditions = Vec::new();
    for (column, value) in wanted {
        if let Some(value) = value {
            values.push(*value);
            conditions.push(format!("{column} = ${}", values.len()));
        }
    }
    let clause =
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    (clause, values)
}

fn json(value: &impl serde::Serialize) -> StoreResult<Box<serde_json::value::RawValue>> {
    serde_json::value::to_raw_value(value).map_err(StoreError::database)
}

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Database,
    Self: crate::DepotStore
        + crate::AdminStore
        + crate::JobStore
        + crate::NoticeStore
        + crate::BaseStore
        + crate::FeedStore
        + crate::DirectoryStore
        + crate::AuditStore
        + crate::ReportStore,
{
    fn backend(&self) -> &'static str {
        self.dialect.name
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read.acquire().await.map_err(map_error)?.ping().await.map_err(map_error)
    }
}

/// The range of commune codes of a département: `[dep, next)` (`54` → `54`..`55`, `2A` →
/// `2A`..`2B`, `971` → `971`..`972`). Codes compare as text, so one index range serves it.
fn departement_bounds(departement: &str) -> (String, String) {
    let mut high: Vec<char> = departement.chars().collect();
    if let Some(last) = high.last_mut() {
        *last = char::from_u32(*last as u32 + 1).unwrap_or(char::MAX);
    }
    (departement.to_owned(), high.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::is_busy_code;

    #[test]
    fn busy_codes_of_both_backends() {
        for busy in ["5", "6", "517", "261", "262", "40001", "40P01", "55P03"] {
            assert!(is_busy_code(busy), "{busy}");
        }
        for other in ["1", "19", "2067", "23505", "42P01", "08006"] {
            assert!(!is_busy_code(other), "{other}");
        }
    }
}
