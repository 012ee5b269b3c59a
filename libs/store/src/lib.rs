//! The store of BAN Sync: clients, habilitations, revisions and their files, the job queue
//! (and, later, the national base and its change feed), behind one trait with two backends:
//! SQLite embedded (`ban-store-sqlite`) and PostgreSQL (`ban-store-postgres`).
//!
//! Every operation that changes several rows is one transaction in the backend: a crash
//! leaves either the state before or the state after, never a mix. The guards that decide
//! whether a change is allowed (a revision still pending, a file not yet attached) are
//! checked inside that transaction, so two concurrent requests cannot both pass them.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub mod conformance;
pub mod ids;
pub mod model;
pub mod sql;

pub use ban_domain::BanId;
pub use model::*;

/// What the [`sql_store!`] expansion needs from this crate's dependencies.
#[doc(hidden)]
pub mod __private {
    pub use serde;
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
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn database(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Database(Box::new(error))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What a publication needs beyond the revision id.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The habilitation the client relied on, as it was (stored with the revision).
    pub habilitation: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

/// The store. Services hold an `Arc<dyn Store>`; the backend is chosen by the URL scheme.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The backend's name (`sqlite`, `postgres`), for logs and health.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    // Clients.
    async fn create_client(&self, client: NewClient) -> StoreResult<Client>;
    async fn client(&self, id: &str) -> StoreResult<Option<Client>>;
    async fn client_by_token(&self, token: &str) -> StoreResult<Option<Client>>;
    async fn clients(&self) -> StoreResult<Vec<Client>>;

    // Revisions.
    async fn create_revision(&self, revision: NewRevision, at: DateTime<Utc>) -> StoreResult<Revision>;
    async fn revision(&self, id: &str) -> StoreResult<Option<Revision>>;
    /// Attaches the one file of a pending revision. `Precondition` if the revision is not
    /// pending or already has a file.
    async fn attach_file(&self, revision_id: &str, file: StoredFile, bytes: &[u8])
        -> StoreResult<StoredFile>;
    async fn file(&self, revision_id: &str) -> StoreResult<Option<StoredFile>>;
    async fn file_bytes(&self, revision_id: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Stores the validation of a pending revision. `Precondition` if it is not pending.
    async fn save_validation(
        &self,
        revision_id: &str,
        computed: ComputedValidation,
        at: DateTime<Utc>,
    ) -> StoreResult<Revision>;
    /// Publishes a pending, ready revision, in one transaction: it becomes the commune's
    /// current revision, the previous one is no longer current, the commune's other pending
    /// revisions are no longer ready (they must be computed again), and a consolidation job
    /// is queued. `Precondition` if the revision is not pending or not ready (including when
    /// a concurrent publication of the commune made it so).
    async fn publish(&self, revision_id: &str, publication: Publication) -> StoreResult<Revision>;
    async fn current_revision(&self, code_commune: &str) -> StoreResult<Option<Revision>>;
    async fn commune_revisions(
        &self,
        code_commune: &str,
        filter: RevisionFilter,
    ) -> StoreResult<Vec<Revision>>;
    /// Current revisions, optionally published since a date and for some communes only.
    async fn current_revisions(
        &self,
        published_since: Option<DateTime<Utc>>,
        communes: Option<&[String]>,
    ) -> StoreResult<Vec<Revision>>;
    async fn client_revisions(&self, client_id: &str) -> StoreResult<Vec<Revision>>;

    // Habilitations.
    async fn create_habilitation(&self, habilitation: Habilitation) -> StoreResult<Habilitation>;
    async fn habilitation(&self, id: &str) -> StoreResult<Option<Habilitation>>;
    /// Saves a changed habilitation, if it was not changed meanwhile (`updated_at` as read).
    /// `Conflict` otherwise.
    async fn update_habilitation(
        &self,
        habilitation: &Habilitation,
        read_at: DateTime<Utc>,
    ) -> StoreResult<Habilitation>;

    // Jobs.
    async fn jobs(&self, code_commune: &str) -> StoreResult<Vec<Job>>;
    /// Claims the oldest pending job of a commune that no other worker holds (or a job
    /// whose worker let its lease run out), until `lease_until`. Concurrent workers never
    /// claim the same job.
    async fn claim_job(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> StoreResult<Option<Job>>;
    async fn finish_job(&self, job_id: i64, end: JobEnd, at: DateTime<Utc>) -> StoreResult<()>;
    /// How many jobs wait and run at `now`.
    async fn job_queue(&self, now: DateTime<Utc>) -> StoreResult<JobQueue>;

    // The national base.
    /// A commune's part of the base, disabled objects included.
    async fn commune_base(&self, code: &str) -> StoreResult<CommuneBase>;
    async fn base_commune(&self, code: &str) -> StoreResult<Option<Commune>>;
    /// The communes owning any of `ids` (toponyms or addresses), as `(id, commune)`.
    async fn id_owners(&self, ids: &[BanId]) -> StoreResult<Vec<(BanId, String)>>;
    /// Writes a commune's changes and their feed rows in one transaction (and completes
    /// their job). `Conflict` if the commune changed since `planned_on`.
    async fn apply_changes(&self, changes: BaseChanges) -> StoreResult<Applied>;
    /// Feed rows after `since`, in order, at most `limit`.
    async fn changes_since(&self, since: i64, limit: i64) -> StoreResult<Vec<FeedChange>> {
        self.feed(&FeedQuery::since(since, limit)).await
    }
    /// The feed rows a query selects, in seq order.
    async fn feed(&self, query: &FeedQuery) -> StoreResult<Vec<FeedChange>>;
    /// The seq of the last change written (0 for an empty feed).
    async fn last_seq(&self) -> StoreResult<i64>;
    /// Communes of the base, by code: those of `departement` (all when `None`).
    async fn base_communes(&self, departement: Option<&str>) -> StoreResult<Vec<BaseCommune>>;
    /// The last change to a département's communes (all communes when `None`), 0 if none.
    async fn scope_seq(&self, departement: Option<&str>) -> StoreResult<i64>;
    /// The object (commune, toponym or address) with this BAN id, disabled ones included.
    async fn find(&self, id: &BanId) -> StoreResult<Option<Found>>;
    /// Writes feed rows read from another instance, keeping their seqs, and moves the base
    /// to their states (a mirror's write; rows already here are skipped).
    async fn replicate(&self, rows: &[FeedChange]) -> StoreResult<()>;
    /// Active objects of the base: (communes, toponyms, addresses).
    async fn base_counts(&self) -> StoreResult<(i64, i64, i64)>;
}
