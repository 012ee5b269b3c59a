//! The job queue: consolidations waiting for a worker, claimed by a named worker under a
//! lease so that a dead worker's job is taken over (at once when a worker that starts
//! recognises it as dead, else when the lease runs out), and finished with an outcome: what
//! an applied plan changed ([`ChangeCounts`]), or why the plan was refused ([`Refusal`]),
//! which its producer is told (see [`crate::NoticeStore`]) and an administrator may override.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Consolidate a published revision into the national base.
    Consolidate,
}

ban_domain::text_enum!(JobKind { Consolidate => "consolidate" });

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker.
    Pending,
    /// Held by a worker until its lease runs out.
    Running,
    Done,
    Failed,
}

ban_domain::text_enum!(JobStatus { Pending => "pending", Running => "running", Done => "done", Failed => "failed" });

/// A unit of background work: for now, consolidating a commune after a publication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: JobKind,
    pub code_commune: String,
    pub revision_id: String,
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    pub attempts: i32,
    /// How a finished job ended (`applied`, `unchanged`, `superseded`, `skipped`).
    pub outcome: Option<String>,
    /// Why it failed, or what its last attempt said.
    pub message: Option<String>,
    /// What the applied plan changed.
    #[sqlx(json(nullable))]
    pub counts: Option<ChangeCounts>,
    /// Why the plan was refused; kept once an administrator forced it through.
    #[sqlx(json(nullable))]
    pub refusal: Option<Refusal>,
    /// When an administrator forced the refused plan: the job then applies it despite the
    /// rule that refused it.
    pub forced_at: Option<DateTime<Utc>>,
    /// When the job was queued (by the publication of its revision).
    pub created_at: DateTime<Utc>,
    /// When it last changed: when it ended, for a finished job.
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// Whether the job has ended, done or failed for good.
    pub fn is_finished(&self) -> bool {
        matches!(self.status, JobStatus::Done | JobStatus::Failed)
    }
}

/// The outcome a job ends with when its plan was refused (status failed).
pub const REFUSED: &str = "refused";

/// How many objects of one kind an applied consolidation added (new, or disabled and given
/// again), updated, deleted (disabled: ids are never erased) and left as they were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ObjectCounts {
    pub added: u64,
    pub updated: u64,
    pub deleted: u64,
    pub unchanged: u64,
}

/// What an applied consolidation changed in the commune's part of the base.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeCounts {
    pub addresses: ObjectCounts,
    pub toponyms: ObjectCounts,
}

/// Why the consolidation of a revision was refused: a rule of the national base its plan
/// breaks. Stored with the job; the producer is told [`Refusal::message`] and
/// [`Refusal::advice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// The file would disable more than `limit` % of the commune's active addresses.
    MassDeletion { disabled: u64, active: u64, percent: f64, limit: f64 },
    /// The file gives (on line `line`) a BAN id that belongs to commune `owner`.
    ForeignId { line: u32, id: String, owner: String },
}

impl Refusal {
    /// The rule's code, stable (`mass_deletion`, `foreign_id`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MassDeletion { .. } => "mass_deletion",
            Refusal::ForeignId { .. } => "foreign_id",
        }
    }

    /// Why, in plain French, for the producer and the town hall.
    pub fn message(&self) -> String {
        match self {
            Refusal::MassDeletion { disabled, active, percent, limit } => format!(
                "Plus de {limit:.0} % des adresses supprimées : la publication supprimerait {disabled} des \
                 {active} adresses de la commune ({percent:.0} %)."
            ),
            Refusal::ForeignId { line, id, owner } => format!(
                "Identifiant d’une autre commune : l’identifiant BAN {id} (ligne {line} du fichier) \
                 appartient à la commune {owner}."
            ),
        }
    }

    /// What to do about it, in plain French.
    pub fn advice(&self) -> &'static str {
        match self {
            Refusal::MassDeletion { .. } => {
                "Vérifiez que le fichier publié est complet et qu’il reprend les adresses et les \
                 identifiants BAN (id_ban_adresse, id_ban_toponyme) de la publication précédente, puis \
                 publiez-le à nouveau. Si la commune a vraiment renuméroté ou supprimé ces adresses, \
                 demandez à l’équipe de la Base Adresse Nationale de forcer la publication."
            }
            Refusal::ForeignId { .. } => {
                "Retirez ou corrigez cet identifiant dans le fichier (il vient sans doute de la Base \
                 Adresse Locale d’une autre commune), puis publiez-le à nouveau. Si l’adresse a vraiment \
                 changé de commune, demandez à l’équipe de la Base Adresse Nationale de forcer la \
                 publication : le fichier est alors intégré sans les identifiants de l’autre commune."
            }
        }
    }
}

/// The consolidation queue at a moment, for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobQueue {
    /// Jobs no worker holds: pending (including those waiting to be tried again), or left by
    /// a worker whose lease ran out.
    pub waiting: i64,
    /// Jobs a worker holds.
    pub running: i64,
    /// When the oldest waiting job was queued.
    pub oldest_waiting: Option<DateTime<Utc>>,
    /// Jobs failed for good whose revision is still its commune's current one: communes
    /// whose base lags their published revision until an operator acts.
    pub failed: i64,
}

/// How a claimed job ends.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    /// Done; `outcome` says how (`unchanged`, `superseded`).
    Done { outcome: &'static str, message: Option<String> },
    /// Failed for good: the message says why.
    Failed { message: String },
    /// Failed for good because the plan breaks a rule of the base (status failed, outcome
    /// [`REFUSED`]): the producer and the town hall are owed a notice each, queued with it
    /// once per revision, whatever happens to the job afterwards.
    Refused { refusal: Refusal },
    /// Failed this time: back in the queue, claimable again from `not_before`.
    Retry { message: String, not_before: DateTime<Utc> },
}

/// The consolidation queue. Jobs are queued by a publication (see
/// [`DepotStore::publish`](crate::DepotStore::publish)) and completed by
/// [`BaseStore::apply_changes`](crate::BaseStore::apply_changes) or [`JobStore::finish_job`].
#[async_trait]
pub trait JobStore: Send + Sync {
    /// A commune's jobs, oldest first.
    async fn jobs(&self, code_commune: &str) -> StoreResult<Vec<Job>>;
    /// Claims for `worker` the oldest pending job of a commune that no other worker holds (or
    /// a job whose worker let its lease run out), until `lease_until`; a job sent back with
    /// [`JobEnd::Retry`] is not claimed before its `not_before`. Concurrent workers never
    /// claim the same job.
    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Job>>;
    /// The workers that hold running jobs (their leases current or not).
    async fn job_holders(&self) -> StoreResult<Vec<String>>;
    /// Puts the running jobs of `workers` (dead ones) back in the queue at once, claimable
    /// without waiting for their leases; how many.
    async fn release_jobs(&self, workers: &[String], now: DateTime<Utc>) -> StoreResult<u64>;
    async fn finish_job(&self, job_id: i64, end: JobEnd, at: DateTime<Utc>) -> StoreResult<()>;
    /// How many jobs wait and run at `now`.
    async fn job_queue(&self, now: DateTime<Utc>) -> StoreResult<JobQueue>;
    /// The jobs failed for good whose revision is still current (those
    /// [`JobQueue::failed`] counts), oldest first.
    async fn failed_jobs(&self) -> StoreResult<Vec<Job>>;
    /// Puts a job failed for good back in the queue, with its attempts from zero (an
    /// operator's decision once the cause is fixed). `Precondition` if it is not failed.
    async fn retry_job(&self, job_id: i64, at: DateTime<Utc>) -> StoreResult<Job>;
    /// A job by its id.
    async fn job(&self, job_id: i64) -> StoreResult<Option<Job>>;
    /// The last job of a revision (a publication queues one; an operator may queue it again).
    async fn revision_job(&self, revision_id: &str) -> StoreResult<Option<Job>>;
    /// A commune's last `limit` jobs, newest first.
    async fn recent_jobs(&self, code_commune: &str, limit: u32) -> StoreResult<Vec<Job>>;
    /// Puts a refused job back in the queue, forced (an administrator's decision): its plan is
    /// then applied despite the rule that refused it. `Precondition` if the job was not
    /// refused or its revision is no longer its commune's current one.
    async fn force_job(&self, job_id: i64, at: DateTime<Utc>) -> StoreResult<Job>;
}
