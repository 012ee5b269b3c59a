//! The job queue in SQL: claims are one `UPDATE … WHERE id = (SELECT … LIMIT 1)` so that two
//! workers never take the same job (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{map_error, SqlStore};
use crate::{Job, JobEnd, JobQueue, JobStatus, JobStore, StoreError, StoreResult};

const JOB_COLUMNS: &str =
    "id, kind, code_commune, revision_id, status, attempts, outcome, message, created_at";

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
    for<'r> Job: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
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
        Ok(JobQueue { waiting, running, oldest_waiting })
    }

    async fn claim_job(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> StoreResult<Option<Job>> {
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1 \
             WHERE id = (SELECT id FROM jobs WHERE \
               (status = 'pending' OR (status = 'running' AND lease_until < $1)) \
               AND code_commune NOT IN \
                 (SELECT code_commune FROM jobs WHERE status = 'running' AND lease_until >= $1) \
               ORDER BY id LIMIT 1{}) \
             RETURNING {JOB_COLUMNS}",
            self.dialect.skip_locked
        );
        sqlx::query_as(&sql).bind(now).bind(lease_until).fetch_optional(&self.write).await.map_err(map_error)
    }

    async fn finish_job(&self, job_id: i64, end: JobEnd, at: DateTime<Utc>) -> StoreResult<()> {
        let (status, outcome, message) = match end {
            JobEnd::Done { outcome, message } => (JobStatus::Done, Some(outcome), message),
            JobEnd::Failed { message } => (JobStatus::Failed, None, Some(message)),
            JobEnd::Retry { message } => (JobStatus::Pending, None, Some(message)),
        };
        let done: Option<i64> = sqlx::query_scalar(
            "UPDATE jobs SET status = $2, outcome = $3, message = $4, lease_until = NULL, updated_at = $5 \
             WHERE id = $1 RETURNING id",
        )
        .bind(job_id)
        .bind(status.as_str())
        .bind(outcome)
        .bind(message.as_deref())
        .bind(at)
        .fetch_optional(&self.write)
        .await
        .map_err(map_error)?;
        done.map(drop).ok_or(StoreError::NotFound("job"))
    }
}
