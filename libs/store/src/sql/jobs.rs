//! The job queue in SQL: claims are one `UPDATE … WHERE id = (SELECT … LIMIT 1)` so that two
//! workers never take the same job (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer).
//! A running job names its worker (`worker`) until it ends or is released. A refusal is
//! written with the notices it owes, in one transaction.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{json, map_error, SqlStore};
use crate::{Job, JobEnd, JobQueue, JobStatus, JobStore, NoticeKind, StoreError, StoreResult, REFUSED};

pub(super) const JOB_COLUMNS: &str = "id, kind, code_commune, revision_id, status, attempts, outcome, \
     message, counts, refusal, forced_at, created_at, updated_at";

#[async_trait]
impl<DB> JobStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Json<&'q RawValue>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<Json<&'q RawValue>>: Encode<'q, DB>,
    for<'r> Job: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (i64, i64): FromRow<'r, DB::Row>,
    for<'r> (DateTime<Utc>,): FromRow<'r, DB::Row>,
{
    async fn jobs(&self, code_commune: &str) -> StoreResult<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE code_commune = $1 ORDER BY id");
        sqlx::query_as(&sql).bind(code_commune).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn job_queue(&self, now: DateTime<Utc>) -> StoreResult<JobQueue> {
        // Only unfinished jobs are read (the `(status, id)` index).
        let (waiting, running): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'pending' OR lease_until < $1 THEN 1 ELSE 0 END), 0), \
                    COALESCE(SUM(CASE WHEN status = 'running' AND lease_until >= $1 THEN 1 ELSE 0 END), 0) \
             FROM jobs WHERE status IN ('pending', 'running')",
        )
        .bind(now)
        .fetch_one(&self.read)
        .await
        .map_err(map_error)?;
        let oldest_waiting = sqlx::query_scalar(
            "SELECT created_at FROM jobs WHERE status IN ('pending', 'running') \
             AND (status = 'pending' OR lease_until < $1) ORDER BY id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.read)
        .await
        .map_err(map_error)?;
        let failed = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs j JOIN revisions r ON r.id = j.revision_id \
             WHERE j.status = 'failed' AND r.is_current",
        )
        .fetch_one(&self.read)
        .await
        .map_err(map_error)?;
        Ok(JobQueue { waiting, running, oldest_waiting, failed })
    }

    async fn failed_jobs(&self) -> StoreResult<Vec<Job>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'failed' \
             AND revision_id IN (SELECT id FROM revisions WHERE is_current) ORDER BY id"
        );
        sqlx::query_as(&sql).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn retry_job(&self, job_id: i64, at: DateTime<Utc>) -> StoreResult<Job> {
        let sql = format!(
            "UPDATE jobs SET status = 'pending', attempts = 0, run_after = NULL, updated_at = $2 \
             WHERE id = $1 AND status = 'failed' RETURNING {JOB_COLUMNS}"
        );
        let retried: Option<Job> = sqlx::query_as(&sql)
            .bind(job_id)
            .bind(at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        if let Some(job) = retried {
            return Ok(job);
        }
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&self.read)
            .await
            .map_err(map_error)?;
        Err(match status {
            None => StoreError::NotFound("job"),
            Some(status) => StoreError::Precondition(format!("job {job_id} is {status}, not failed")),
        })
    }

    async fn job(&self, job_id: i64) -> StoreResult<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        sqlx::query_as(&sql).bind(job_id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn revision_job(&self, revision_id: &str) -> StoreResult<Option<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE revision_id = $1 ORDER BY id DESC LIMIT 1");
        sqlx::query_as(&sql).bind(revision_id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn recent_jobs(&self, code_commune: &str, limit: u32) -> StoreResult<Vec<Job>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE code_commune = $1 ORDER BY id DESC LIMIT $2");
        sqlx::query_as(&sql)
            .bind(code_commune)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(map_error)
    }

    async fn force_job(&self, job_id: i64, at: DateTime<Utc>) -> StoreResult<Job> {
        // One statement: the guards (refused, revision still current) and the change together.
        let sql = format!(
            "UPDATE jobs SET status = 'pending', attempts = 0, run_after = NULL, forced_at = $2, updated_at = $2 \
             WHERE id = $1 AND status = 'failed' AND outcome = '{REFUSED}' \
             AND revision_id IN (SELECT id FROM revisions WHERE is_current) RETURNING {JOB_COLUMNS}"
        );
        let forced: Option<Job> = sqlx::query_as(&sql)
            .bind(job_id)
            .bind(at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        if let Some(job) = forced {
            return Ok(job);
        }
        let Some(job) = self.job(job_id).await? else { return Err(StoreError::NotFound("job")) };
        Err(StoreError::Precondition(
            if job.status == JobStatus::Failed && job.outcome.as_deref() == Some(REFUSED) {
                format!(
                    "job {job_id}: revision {} is no longer the current one of commune {}",
                    job.revision_id, job.code_commune
                )
            } else {
                format!("job {job_id} is {}, not refused", job.status)
            },
        ))
    }

    async fn claim_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1, \
             worker = $3 \
             WHERE id = (SELECT id FROM jobs WHERE \
               ((status = 'pending' AND (run_after IS NULL OR run_after <= $1)) \
                 OR (status = 'running' AND lease_until < $1)) \
               AND code_commune NOT IN \
                 (SELECT code_commune FROM jobs WHERE status = 'running' AND lease_until >= $1) \
               ORDER BY id LIMIT 1{}) \
             RETURNING {JOB_COLUMNS}",
            self.dialect.skip_locked
        );
        sqlx::query_as(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(worker)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)
    }

    async fn job_holders(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT worker FROM jobs WHERE status = 'running' AND worker IS NOT NULL ORDER BY worker",
        )
        .fetch_all(&self.read)
        .await
        .map_err(map_error)
    }

    async fn release_jobs(&self, workers: &[String], now: DateTime<Utc>) -> StoreResult<u64> {
        let mut released = 0;
        for worker in workers {
            // Back to the queue as if the lease had run out; the attempt made is kept (a job
            // that kills its worker every time ends failed).
            let rows: Vec<i64> = sqlx::query_scalar(
                "UPDATE jobs SET status = 'pending', lease_until = NULL, worker = NULL, updated_at = $2 \
                 WHERE status = 'running' AND worker = $1 RETURNING id",
            )
            .bind(worker.as_str())
            .bind(now)
            .fetch_all(&self.write)
            .await
            .map_err(map_error)?;
            released += rows.len() as u64;
        }
        Ok(released)
    }

    async fn finish_job(&self, job_id: i64, end: JobEnd, at: DateTime<Utc>) -> StoreResult<()> {
        let update = "UPDATE jobs SET status = $2, outcome = $3, message = $4, lease_until = NULL, updated_at = $5, \
             run_after = $6, worker = NULL, refusal = COALESCE($7, refusal) WHERE id = $1 RETURNING revision_id";
        let (status, outcome, message, run_after, refusal) = match end {
            JobEnd::Done { outcome, message } => (JobStatus::Done, Some(outcome), message, None, None),
            JobEnd::Failed { message } => (JobStatus::Failed, None, Some(message), None, None),
            JobEnd::Retry { message, not_before } => {
                (JobStatus::Pending, None, Some(message), Some(not_before), None)
            }
            JobEnd::Refused { refusal } => {
                (JobStatus::Failed, Some(REFUSED), Some(refusal.message()), None, Some(json(&refusal)?))
            }
        };
        let mut tx = self.begin_write().await?;
        let revision: Option<String> = sqlx::query_scalar(update)
            .bind(job_id)
            .bind(status.as_str())
            .bind(outcome)
            .bind(message.as_deref())
            .bind(at)
            .bind(run_after)
            .bind(refusal.as_deref().map(Json))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
        let revision = revision.ok_or(StoreError::NotFound("job"))?;
        if refusal.is_some() {
            // Once per revision and kind: a job refused again owes nothing more.
            for kind in NoticeKind::OF_REFUSAL {
                sqlx::query(
                    "INSERT INTO notices (kind, revision_id, job_id, status, attempts, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'pending', 0, $4, $4) ON CONFLICT (revision_id, kind) DO NOTHING",
                )
                .bind(kind.as_str())
                .bind(revision.as_str())
                .bind(job_id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
            }
        }
        tx.commit().await.map_err(map_error)
    }
}
