//! The change feed in SQL: readers page through `changes` by seq (optionally by commune or
//! département, or only the rows still holding an object's current state); a mirror writes
//! another instance's rows with their seqs and moves its base forward only.
use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::base::upsert_commune_sql;
use super::{departement_bounds, lock, map_error, SqlStore, CHUNK};
use crate::{ChangeOp, Commune, FeedChange, FeedQuery, FeedStore, ObjectKind, StoreError, StoreResult};

#[async_trait]
impl<DB> FeedStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'q> Json<&'q RawValue>: Encode<'q, DB> + Type<DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> FeedChange: FromRow<'r, DB::Row>,
{
    async fn feed(&self, feed: &FeedQuery) -> StoreResult<Vec<FeedChange>> {
        // Values in the order of their placeholders: the seq, then the communes' codes and the
        // départements' bounds (texts), then the limit.
        let param = |n: usize| self.dialect.placeholders(n, 1);
        let mut texts: Vec<String> = Vec::new();
        let mut sql = format!(
            "SELECT c.seq, c.kind, c.id, c.op, c.commune, c.revision, c.state, c.at FROM changes c WHERE c.seq > {}",
            param(1)
        );
        if !feed.communes.is_empty() || !feed.departements.is_empty() {
            let mut any = Vec::new();
            for code in &feed.communes {
                texts.push(code.clone());
                any.push(format!("c.commune = {}", param(texts.len() + 1)));
            }
            for departement in &feed.departements {
                let (low, high) = departement_bounds(departement);
                texts.extend([low, high]);
                any.push(format!(
                    "(c.commune >= {} AND c.commune < {})",
                    param(texts.len()),
                    param(texts.len() + 1)
                ));
            }
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        if feed.current_only {
            sql.push_str(
                " AND ((c.kind = 'address' AND EXISTS (SELECT 1 FROM base_addresses b WHERE b.id = c.id AND b.seq = c.seq)) \
                 OR (c.kind = 'toponym' AND EXISTS (SELECT 1 FROM base_toponyms b WHERE b.id = c.id AND b.seq = c.seq)) \
                 OR (c.kind = 'commune' AND EXISTS (SELECT 1 FROM base_communes b WHERE b.code = c.commune AND b.seq = c.seq)))",
            );
        }
        sql.push_str(&format!(" ORDER BY c.seq LIMIT {}", param(texts.len() + 2)));
        let mut query = sqlx::query_as(&sql).bind(feed.since);
        for text in &texts {
            query = query.bind(text.as_str());
        }
        query.bind(feed.limit.max(0)).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn last_seq(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
            .fetch_one(&self.read)
            .await
            .map_err(map_error)
    }

    async fn replicate(&self, rows: &[FeedChange]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        lock(&mut tx, self.dialect.lock_feed, None).await?;
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO changes (seq, kind, id, op, commune, revision, state, at) {} ON CONFLICT (seq) DO NOTHING",
                self.dialect.values(chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for change in chunk {
                query = query
                    .bind(change.seq)
                    .bind(change.kind.as_str())
                    .bind(change.id.as_str())
                    .bind(change.op.as_str())
                    .bind(change.commune.as_str())
                    .bind(change.revision.as_deref())
                    .bind(Json(&*change.state))
                    .bind(change.at);
            }
            query.execute(&mut *tx).await.map_err(map_error)?;
        }
        // The latest row of each object moves the base (an upsert may touch a row once).
        let mut latest = BTreeMap::new();
        for change in rows {
            let key =
                if change.kind == ObjectKind::Commune { change.commune.as_str() } else { change.id.as_str() };
            latest.insert((change.kind, key), change);
        }
        for (table, kind) in [("base_toponyms", ObjectKind::Toponym), ("base_addresses", ObjectKind::Address)]
        {
            let objects: Vec<_> = latest.values().filter(|c| c.kind == kind).collect();
            for chunk in objects.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO {table} (id, commune, active, seq) {} ON CONFLICT (id) DO UPDATE SET \
                     commune = excluded.commune, active = excluded.active, seq = excluded.seq \
                     WHERE excluded.seq > {table}.seq",
                    self.dialect.values(chunk.len(), 4)
                );
                let mut query = sqlx::query(&sql);
                for change in chunk {
                    query = query
                        .bind(change.id.as_str())
                        .bind(change.commune.as_str())
                        .bind(change.op != ChangeOp::Disabled)
                        .bind(change.seq);
                }
                query.execute(&mut *tx).await.map_err(map_error)?;
            }
        }
        for change in latest.values().filter(|c| c.kind == ObjectKind::Commune) {
            let commune: Commune = serde_json::from_str(change.state.get()).map_err(StoreError::database)?;
            sqlx::query(&upsert_commune_sql(true))
                .bind(commune.code.as_str())
                .bind(commune.id.to_string())
                .bind(commune.source.as_str())
                .bind(commune.revision.as_deref())
                .bind(change.seq)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(())
    }
}
