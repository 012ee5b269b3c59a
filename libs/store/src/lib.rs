//! The store of BAN Sync, one trait per aggregate:
//! - [`DepotStore`] (`depot`): clients, revisions and their files, habilitations;
//! - [`AdminStore`] (`admin`): mandataires, chefs de file, changes of clients, statistics;
//! - [`JobStore`] (`jobs`): the consolidation queue and what each consolidation gave;
//! - [`NoticeStore`] (`notices`): the e-mails owed about refused publications;
//! - [`BaseStore`] (`base`): the national base, one commune at a time;
//! - [`FeedStore`] (`feed`): the ordered change feed, and a mirror's writes;
//! - [`DirectoryStore`] (`directory`): the directory of town halls, replaced by each import;
//! - [`AuditStore`] (`audit`): the audit log of publications, habilitations and administration;
//! - [`ReportStore`] (`reports`): citizen reports on addresses, their decisions, the communes' settings.
//!
//! [`Store`] is all of them; services hold an `Arc<dyn Store>` chosen by the database URL.
//! The SQL implementation ([`sql::SqlStore`]) is written once for both backends: SQLite
//! embedded (`ban-store-sqlite`) and PostgreSQL (`ban-store-postgres`), which supply their
//! connection pools and a [`sql::Dialect`]. Every backend passes the conformance suite of
//! `ban-store-conformance`.
//!
//! Every operation that changes several rows is one transaction in the backend: a crash
//! leaves either the state before or the state after, never a mix. The guards that decide
//! whether a change is allowed (a revision still pending, a file not yet attached) are
//! checked inside that transaction, so two concurrent requests cannot both pass them.
use async_trait::async_trait;

pub mod admin;
pub mod audit;
pub mod base;
pub mod depot;
pub mod directory;
pub mod feed;
pub mod ids;
pub mod jobs;
pub mod notices;
pub mod reports;
pub mod sql;

pub use admin::*;
pub use audit::*;
pub use ban_domain::base::{
    Address, AddressPosition, Change, ChangeOp, Commune, CommuneSource, ObjectKind, Toponym,
};
pub use ban_domain::BanId;
pub use base::*;
pub use depot::*;
pub use directory::*;
pub use feed::*;
pub use jobs::*;
pub use notices::*;
pub use reports::*;

/// The store's traits, to call their methods on an `Arc<dyn Store>`.
pub mod prelude {
    pub use crate::{
        AdminStore, AuditStore, BaseStore, DepotStore, DirectoryStore, FeedStore, JobStore, NoticeStore,
        ReportStore, Store,
    };
}

/// A secret (a client's token, a PIN code): compared and stored like a text, but never
/// shown by `Debug`, so that it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq, Default, sqlx::Type)]
#[sqlx(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The secret itself, to check it, store it or send it to its owner.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret(text)
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing operated on does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The thing exists but is not in a state that allows the change.
    #[error("{0}")]
    Precondition(String),
    /// Another request changed the same thing at the same time.
    #[error("{0}")]
    Conflict(String),
    /// The database stayed busy with other writers (another process on the same SQLite
    /// file, a lock held too long): trying again later may succeed.
    #[error("database busy: {0}")]
    Busy(Box<dyn std::error::Error + Send + Sync>),
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn database(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Database(Box::new(error))
    }

    /// Whether the same operation may succeed if tried again later (the database was busy
    /// or away), as opposed to a refusal that will not change.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Busy(_) | StoreError::Database(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The whole store. Services hold an `Arc<dyn Store>`; the backend is chosen by the URL scheme.
#[async_trait]
pub trait Store:
    DepotStore
    + AdminStore
    + JobStore
    + NoticeStore
    + BaseStore
    + FeedStore
    + DirectoryStore
    + AuditStore
    + ReportStore
    + std::fmt::Debug
    + Send
    + Sync
{
    /// The backend's name (`sqlite`, `postgres`), for logs and health.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
}
