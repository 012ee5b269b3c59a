//! The citizen reports in SQL: a row per report (its request as JSON), its events, and the
//! communes' settings. A decision reads the report's status and writes the new one with its
//! event in one transaction, so that two decisions cannot both end the same pending report.
//! The e-mails a report owes are queued in the transaction that owes them (its creation, its
//! decision) and claimed like the refusal notices (see `notices`).
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::notices::{claim_sql, finish_sql, MailEnd};
use super::{equal_filters, json, map_error, SqlStore};
use crate::{
    NewReport, NoticeEnd, Page, PageRequest, Report, ReportDecision, ReportEvent, ReportFilter, ReportMail,
    ReportMailKind, ReportSettings, ReportStatus, ReportStore, StoreError, StoreResult,
};

const REPORT_COLUMNS: &str =
    "id, code_commune, kind, status, existing_location, changes_requested, lon, lat, \
     author_name, author_email, source_client_id, processed_by, processed_revision_id, rejection_reason, \
     created_at, updated_at";
const MAIL_COLUMNS: &str =
    "id, kind, code_commune, report_id, digest_day, status, attempts, recipients, message, \
     sent_at, created_at";
const EVENT_COLUMNS: &str = "at, status, actor, reason, revision_id";
const SETTINGS_COLUMNS: &str = "code_commune, accepted, daily_digest, updated_by, updated_at";
const INSERT_EVENT: &str =
    "INSERT INTO report_events (report_id, at, status, actor, reason, revision_id) VALUES ($1, $2, $3, $4, $5, $6)";

#[async_trait]
impl<DB> ReportStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB>,
    f64: Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Json<&'q RawValue>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<Json<&'q RawValue>>: Encode<'q, DB>,
    for<'r> Report: FromRow<'r, DB::Row>,
    for<'r> ReportEvent: FromRow<'r, DB::Row>,
    for<'r> ReportSettings: FromRow<'r, DB::Row>,
    for<'r> ReportMail: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (String, Option<String>): FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    async fn create_report(&self, report: NewReport, actor: &str) -> StoreResult<Report> {
        let existing = report.existing_location.as_ref().map(json).transpose()?;
        let changes = json(&report.changes_requested)?;
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO reports (id, code_commune, kind, status, existing_location, changes_requested, lon, lat, \
             author_name, author_email, source_client_id, created_at, updated_at, source_ip, town_hall_digest) \
             VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13) RETURNING {REPORT_COLUMNS}"
        );
        let stored: Report = sqlx::query_as(&sql)
            .bind(report.id.as_str())
            .bind(report.code_commune.as_str())
            .bind(report.kind.as_str())
            .bind(existing.as_deref().map(Json))
            .bind(Json(&*changes))
            .bind(report.point.map(|p| p[0]))
            .bind(report.point.map(|p| p[1]))
            .bind(report.author_name.as_deref())
            .bind(report.author_email.as_deref())
            .bind(report.source_client_id.as_deref())
            .bind(report.at)
            .bind(report.source_ip.as_deref())
            .bind(report.town_hall_digest)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_error)?;
        sqlx::query(INSERT_EVENT)
            .bind(stored.id.as_str())
            .bind(report.at)
            .bind(ReportStatus::Pending.as_str())
            .bind(actor)
            .bind(None::<&str>)
            .bind(None::<&str>)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        if !report.town_hall_digest {
            queue_mail(&mut *tx, ReportMailKind::NewReport, &stored, report.at).await?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(stored)
    }

    async fn report(&self, id: &str) -> StoreResult<Option<Report>> {
        let sql = format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn reports(&self, filter: &ReportFilter, page: PageRequest) -> StoreResult<Page<Report>> {
        let (filter, values) = equal_filters(&[
            ("code_commune", filter.code_commune.as_deref()),
            ("status", filter.status.map(|s| s.as_str())),
        ]);
        let count = format!("SELECT COUNT(*) FROM reports{filter}");
        let list = format!(
            "SELECT {REPORT_COLUMNS} FROM reports{filter} ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
            values.len() + 1,
            values.len() + 2
        );
        let mut total = sqlx::query_scalar(&count);
        let mut items = sqlx::query_as(&list);
        for value in &values {
            total = total.bind(*value);
            items = items.bind(*value);
        }
        let total: i64 = total.fetch_one(&self.read).await.map_err(map_error)?;
        let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
        let items =
            items.bind(i64::from(page.limit)).bind(offset).fetch_all(&self.read).await.map_err(map_error)?;
        Ok(Page { items, total: total as u64 })
    }

    async fn report_events(&self, id: &str) -> StoreResult<Vec<ReportEvent>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM report_events WHERE report_id = $1 ORDER BY id");
        sqlx::query_as(&sql).bind(id).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn decide_report(&self, id: &str, decision: ReportDecision) -> StoreResult<Report> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT status FROM reports WHERE id = $1{}", self.dialect.for_update);
        let status: Option<(String,)> =
            sqlx::query_as(&sql).bind(id).fetch_optional(&mut *tx).await.map_err(map_error)?;
        let Some((status,)) = status else { return Err(StoreError::NotFound("report")) };
        if status != ReportStatus::Pending.as_str() {
            return Err(StoreError::Precondition(format!("report {id} is {status}, not pending")));
        }
        let ended = decision.status != ReportStatus::Pending;
        let sql = format!(
            "UPDATE reports SET status = $2, processed_by = $3, processed_revision_id = $4, rejection_reason = $5, \
             updated_at = $6 WHERE id = $1 RETURNING {REPORT_COLUMNS}"
        );
        let updated: Report = sqlx::query_as(&sql)
            .bind(id)
            .bind(decision.status.as_str())
            .bind(ended.then_some(decision.actor.as_str()))
            .bind(decision.revision_id.as_deref())
            .bind(decision.reason.as_deref())
            .bind(decision.at)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_error)?;
        sqlx::query(INSERT_EVENT)
            .bind(id)
            .bind(decision.at)
            .bind(decision.status.as_str())
            .bind(decision.actor.as_str())
            .bind(decision.reason.as_deref())
            .bind(decision.revision_id.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        let to_author = match decision.status {
            ReportStatus::Processed => Some(ReportMailKind::ProcessedToAuthor),
            ReportStatus::Ignored => Some(ReportMailKind::IgnoredToAuthor),
            ReportStatus::Pending | ReportStatus::Expired => None,
        };
        let has_author = updated.author_email.as_deref().is_some_and(|e| !e.trim().is_empty());
        if let Some(kind) = to_author.filter(|_| decision.tell_author && has_author) {
            queue_mail(&mut *tx, kind, &updated, decision.at).await?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(updated)
    }

    async fn expire_reports(&self, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let expired: Vec<(String,)> = sqlx::query_as(
            "UPDATE reports SET status = 'EXPIRED', processed_by = 'expiry', updated_at = $2 \
             WHERE status = 'PENDING' AND created_at < $1 RETURNING id",
        )
        .bind(before)
        .bind(at)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_error)?;
        for (id,) in &expired {
            sqlx::query(INSERT_EVENT)
                .bind(id.as_str())
                .bind(at)
                .bind(ReportStatus::Expired.as_str())
                .bind("expiry")
                .bind(None::<&str>)
                .bind(None::<&str>)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(expired.len() as u64)
    }

    async fn report_settings(&self, code_commune: &str) -> StoreResult<Option<ReportSettings>> {
        let sql = format!("SELECT {SETTINGS_COLUMNS} FROM report_settings WHERE code_commune = $1");
        sqlx::query_as(&sql).bind(code_commune).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn save_report_settings(&self, settings: &ReportSettings) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO report_settings (code_commune, accepted, daily_digest, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code_commune) DO UPDATE SET accepted = $2, \
             daily_digest = $3, updated_by = $4, updated_at = $5",
        )
        .bind(settings.code_commune.as_str())
        .bind(settings.accepted)
        .bind(settings.daily_digest)
        .bind(settings.updated_by.as_str())
        .bind(settings.updated_at)
        .execute(&self.write)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn pending_reports_from(&self, code_commune: &str, source_ip: &str) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM reports WHERE code_commune = $1 AND source_ip = $2 AND status = 'PENDING'",
        )
        .bind(code_commune)
        .bind(source_ip)
        .fetch_one(&self.read)
        .await
        .map_err(map_error)?;
        Ok(count as u64)
    }

    async fn pending_reports_of_same_source(&self, id: &str) -> StoreResult<Vec<String>> {
        let source: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT code_commune, source_ip FROM reports WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await
                .map_err(map_error)?;
        let Some((commune, ip)) = source else { return Err(StoreError::NotFound("report")) };
        let Some(ip) = ip else { return Ok(Vec::new()) };
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM reports WHERE code_commune = $1 AND source_ip = $2 AND status = 'PENDING' \
             ORDER BY created_at, id",
        )
        .bind(commune.as_str())
        .bind(ip.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(map_error)?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    async fn digest_reports(&self, code_commune: &str, day: NaiveDate) -> StoreResult<Vec<Report>> {
        let (from, until) = day_bounds(day);
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE code_commune = $1 AND town_hall_digest = $2 \
             AND created_at >= $3 AND created_at < $4 ORDER BY created_at, id"
        );
        sqlx::query_as(&sql)
            .bind(code_commune)
            .bind(true)
            .bind(from)
            .bind(until)
            .fetch_all(&self.read)
            .await
            .map_err(map_error)
    }

    async fn queue_report_digests(&self, day: NaiveDate, at: DateTime<Utc>) -> StoreResult<u64> {
        let (from, until) = day_bounds(day);
        let day = day.format("%Y-%m-%d").to_string();
        // A digest queued already (unique per commune and day) is left as it is.
        let queued: Vec<(i64,)> = sqlx::query_as(
            "INSERT INTO report_mails (kind, code_commune, digest_day, status, created_at, updated_at) \
             SELECT DISTINCT 'daily_digest', code_commune, $1, 'pending', $2, $2 FROM reports \
             WHERE town_hall_digest = $3 AND created_at >= $4 AND created_at < $5 \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(day.as_str())
        .bind(at)
        .bind(true)
        .bind(from)
        .bind(until)
        .fetch_all(&self.write)
        .await
        .map_err(map_error)?;
        Ok(queued.len() as u64)
    }

    async fn claim_report_mail(
        &self,
        sender: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<ReportMail>> {
        let sql = claim_sql("report_mails", MAIL_COLUMNS, self.dialect.skip_locked);
        sqlx::query_as(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(sender)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)
    }

    async fn finish_report_mail(&self, id: i64, end: NoticeEnd, at: DateTime<Utc>) -> StoreResult<()> {
        let MailEnd { status, recipients, message, sent_at, run_after } = MailEnd::new(end, at);
        let done: Option<(i64,)> = sqlx::query_as(&finish_sql("report_mails"))
            .bind(id)
            .bind(status.as_str())
            .bind(recipients.as_deref())
            .bind(message.as_deref())
            .bind(sent_at)
            .bind(run_after)
            .bind(at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        done.map(drop).ok_or(StoreError::NotFound("report e-mail"))
    }

    async fn report_mails(&self, code_commune: &str) -> StoreResult<Vec<ReportMail>> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM report_mails WHERE code_commune = $1 ORDER BY id");
        sqlx::query_as(&sql).bind(code_commune).fetch_all(&self.read).await.map_err(map_error)
    }
}

/// The first instant of `day` (UTC) and of the next.
fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = day.and_time(NaiveTime::MIN).and_utc();
    (from, from + chrono::Duration::days(1))
}

/// Queues an e-mail about `report` in the transaction that owes it, once per report and kind.
async fn queue_mail<'c, DB, E>(
    executor: E,
    kind: ReportMailKind,
    report: &Report,
    at: DateTime<Utc>,
) -> StoreResult<()>
where
    DB: Database,
    E: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO report_mails (kind, code_commune, report_id, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(report.code_commune.as_str())
    .bind(report.id.as_str())
    .bind(at)
    .execute(executor)
    .await
    .map_err(map_error)?;
    Ok(())
}
