//! The notices owed, in SQL: claimed like jobs, by one `UPDATE … WHERE id = (SELECT … LIMIT 1)`
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer), so that two senders never
//! send the same notice. They are queued by a refusal (see `jobs`). The reports' e-mails
//! (`report_mails`) are a queue of the same shape: [`claim_sql`], [`finish_sql`] and
//! [`MailEnd`] serve both.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{map_error, SqlStore};
use crate::{Notice, NoticeEnd, NoticeStatus, NoticeStore, StoreError, StoreResult};

const NOTICE_COLUMNS: &str =
    "id, kind, revision_id, job_id, status, attempts, recipients, message, sent_at, created_at";

#[async_trait]
impl<DB> NoticeStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'r> Notice: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    async fn claim_notice(
        &self,
        sender: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Notice>> {
        let sql = claim_sql("notices", NOTICE_COLUMNS, self.dialect.skip_locked);
        sqlx::query_as(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(sender)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)
    }

    async fn finish_notice(&self, notice_id: i64, end: NoticeEnd, at: DateTime<Utc>) -> StoreResult<()> {
        let MailEnd { status, recipients, message, sent_at, run_after } = MailEnd::new(end, at);
        let done: Option<i64> = sqlx::query_scalar(&finish_sql("notices"))
            .bind(notice_id)
            .bind(status.as_str())
            .bind(recipients.as_deref())
            .bind(message.as_deref())
            .bind(sent_at)
            .bind(run_after)
            .bind(at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        done.map(drop).ok_or(StoreError::NotFound("notice"))
    }

    async fn notices(&self, revision_id: &str) -> StoreResult<Vec<Notice>> {
        let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE revision_id = $1 ORDER BY id");
        sqlx::query_as(&sql).bind(revision_id).fetch_all(&self.read).await.map_err(map_error)
    }
}

/// Claims for a sender (`$3`) the oldest e-mail of `table` due at `$1` (or one whose sender let
/// its lease run out), until `$2`; the row's `columns` returned.
pub(super) fn claim_sql(table: &str, columns: &str, skip_locked: &str) -> String {
    format!(
        "UPDATE {table} SET status = 'sending', attempts = attempts + 1, lease_until = $2, \
         sender = $3, updated_at = $1 \
         WHERE id = (SELECT id FROM {table} WHERE \
           (status = 'pending' AND (run_after IS NULL OR run_after <= $1)) \
           OR (status = 'sending' AND lease_until < $1) \
           ORDER BY id LIMIT 1{skip_locked}) \
         RETURNING {columns}"
    )
}

/// Records how a claimed e-mail of `table` ended: `$1` its id, then [`MailEnd`]'s fields in
/// order, `$7` the time; returns its id.
pub(super) fn finish_sql(table: &str) -> String {
    format!(
        "UPDATE {table} SET status = $2, recipients = $3, message = $4, sent_at = $5, run_after = $6, \
         lease_until = NULL, sender = NULL, updated_at = $7 WHERE id = $1 RETURNING id"
    )
}

/// What a claimed e-mail's row becomes when it ends.
pub(super) struct MailEnd {
    pub status: NoticeStatus,
    pub recipients: Option<String>,
    pub message: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub run_after: Option<DateTime<Utc>>,
}

impl MailEnd {
    pub fn new(end: NoticeEnd, at: DateTime<Utc>) -> Self {
        let (status, recipients, message, sent_at, run_after) = match end {
            NoticeEnd::Sent { recipients } => {
                (NoticeStatus::Sent, Some(recipients.join(", ")), None, Some(at), None)
            }
            NoticeEnd::Unsendable { reason } => (NoticeStatus::Unsendable, None, Some(reason), None, None),
            NoticeEnd::Retry { error, not_before } => {
                (NoticeStatus::Pending, None, Some(error), None, Some(not_before))
            }
            NoticeEnd::Failed { error } => (NoticeStatus::Failed, None, Some(error), None, None),
        };
        MailEnd { status, recipients, message, sent_at, run_after }
    }
}
