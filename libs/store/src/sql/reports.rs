//! The citizen reports in SQL: a row per report (its request as JSON), its events, and the
//! communes' settings. A decision reads the report's status and writes the new one with its
//! event in one transaction, so that two decisions cannot both end the same pending report.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{equal_filters, json, map_error, SqlStore};
use crate::{
    NewReport, Page, PageRequest, Report, ReportDecision, ReportEvent, ReportFilter, ReportSettings,
    ReportStatus, ReportStore, StoreError, StoreResult,
};

const REPORT_COLUMNS: &str =
    "id, code_commune, kind, status, existing_location, changes_requested, lon, lat, \
     author_name, author_email, source_client_id, processed_by, processed_revision_id, rejection_reason, \
     created_at, updated_at";
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
    for<'q> Json<&'q RawValue>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<Json<&'q RawValue>>: Encode<'q, DB>,
    for<'r> Report: FromRow<'r, DB::Row>,
    for<'r> ReportEvent: FromRow<'r, DB::Row>,
    for<'r> ReportSettings: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    async fn create_report(&self, report: NewReport, actor: &str) -> StoreResult<Report> {
        let existing = report.existing_location.as_ref().map(json).transpose()?;
        let changes = json(&report.changes_requested)?;
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO reports (id, code_commune, kind, status, existing_location, changes_requested, lon, lat, \
             author_name, author_email, source_client_id, created_at, updated_at) \
             VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {REPORT_COLUMNS}"
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
}
