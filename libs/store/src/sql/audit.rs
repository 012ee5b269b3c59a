//! The audit log in SQL: one append-only table, read newest first through the index of the
//! filter used (commune, client, action) or the primary key.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{equal_filters, map_error, SqlStore};
use crate::{AuditEntry, AuditFilter, AuditStore, NewAuditEntry, Page, PageRequest, StoreResult};

const AUDIT_COLUMNS: &str = "id, at, actor, action, object_id, code_commune, client_id, ip, detail";

#[async_trait]
impl<DB> AuditStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'r> AuditEntry: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    async fn record_audit(&self, entry: NewAuditEntry) -> StoreResult<AuditEntry> {
        let sql = format!(
            "INSERT INTO audit_log (at, actor, action, object_id, code_commune, client_id, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {AUDIT_COLUMNS}"
        );
        sqlx::query_as(&sql)
            .bind(entry.at)
            .bind(entry.actor.as_str())
            .bind(entry.action.as_str())
            .bind(entry.object_id.as_deref())
            .bind(entry.code_commune.as_deref())
            .bind(entry.client_id.as_deref())
            .bind(entry.ip.as_deref())
            .bind(entry.detail.as_str())
            .fetch_one(&self.write)
            .await
            .map_err(map_error)
    }

    async fn audit_entries(&self, filter: &AuditFilter, page: PageRequest) -> StoreResult<Page<AuditEntry>> {
        let (filter, values) = equal_filters(&[
            ("code_commune", filter.code_commune.as_deref()),
            ("client_id", filter.client_id.as_deref()),
            ("action", filter.action.map(|action| action.as_str())),
        ]);
        let count = format!("SELECT COUNT(*) FROM audit_log{filter}");
        let mut total = sqlx::query_scalar(&count);
        let list = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log{filter} ORDER BY id DESC LIMIT ${} OFFSET ${}",
            values.len() + 1,
            values.len() + 2
        );
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
}
