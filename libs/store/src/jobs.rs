//! The job queue: consolidations waiting for a worker, claimed by a named worker under a
//! lease so that a dead worker's job is taken over (at once when a worker that starts
//! recognises it as dead, else when the lease runs out), and finished with an outcome.
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
    pub created_at: DateTime<Utc>,
}

impl Job {
    /// Whether the job has ended, done or failed for good.
    pub fn is_finished(&self) -> bool {
        matches!(self.status, JobStatus::Done | JobStatus::Failed)
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
}
