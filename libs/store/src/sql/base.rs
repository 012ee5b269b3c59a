//! The national base in SQL. Each object's states live in the feed (`changes.state`); the
//! `base_*` tables point at the row holding each object's current state. A commune's
//! changes are written with their feed rows in one transaction, under the feed's lock.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{departement_bounds, json, lock, map_error, SqlStore, CHUNK};
use crate::{
    Address, Applied, BanId, BaseChanges, BaseCommune, BaseStore, Change, ChangeOp, Commune, CommuneBase,
    Found, ObjectKind, StoreError, StoreResult, Toponym,
};

/// The current states of a commune's objects of one table, in the order of their changes.
fn states_sql(table: &str) -> String {
    format!(
        "SELECT c.state FROM {table} b JOIN changes c ON c.seq = b.seq WHERE b.commune = $1 ORDER BY b.seq"
    )
}

const COMMUNE_SQL: &str =
    "SELECT c.state, b.seq FROM base_communes b JOIN changes c ON c.seq = b.seq WHERE b.code = $1";

#[async_trait]
impl<DB> BaseStore for SqlStore<DB>
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
    for<'r> (i64, i64, i64): FromRow<'r, DB::Row>,
    for<'r> (String, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    for<'r> (Json<Commune>, i64): FromRow<'r, DB::Row>,
    for<'r> (Json<Commune>, i64, DateTime<Utc>): FromRow<'r, DB::Row>,
    for<'r> (Json<Toponym>,): FromRow<'r, DB::Row>,
    for<'r> (Json<Address>,): FromRow<'r, DB::Row>,
    for<'r> (String, Json<Box<RawValue>>): FromRow<'r, DB::Row>,
{
    async fn commune_base(&self, code: &str) -> StoreResult<CommuneBase> {
        // One read transaction: the objects and the version come from the same snapshot.
        let mut tx = self.read.begin().await.map_err(map_error)?;
        let commune: Option<(Json<Commune>, i64)> =
            sqlx::query_as(COMMUNE_SQL).bind(code).fetch_optional(&mut *tx).await.map_err(map_error)?;
        let toponyms: Vec<(Json<Toponym>,)> = sqlx::query_as(&states_sql("base_toponyms"))
            .bind(code)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_error)?;
        let addresses: Vec<(Json<Address>,)> = sqlx::query_as(&states_sql("base_addresses"))
            .bind(code)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        let (commune, version) = commune.map_or((None, 0), |(commune, version)| (Some(commune.0), version));
        Ok(CommuneBase {
            commune,
            version,
            toponyms: toponyms.into_iter().map(|(state,)| state.0).collect(),
            addresses: addresses.into_iter().map(|(state,)| state.0).collect(),
        })
    }

    async fn base_commune(&self, code: &str) -> StoreResult<Option<Commune>> {
        let commune: Option<(Json<Commune>, i64)> =
            sqlx::query_as(COMMUNE_SQL).bind(code).fetch_optional(&self.read).await.map_err(map_error)?;
        Ok(commune.map(|(commune, _)| commune.0))
    }

    async fn id_owners(&self, ids: &[BanId]) -> StoreResult<Vec<(BanId, String)>> {
        let mut owners = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let chunk: Vec<String> = chunk.iter().map(BanId::to_string).collect();
            for table in ["base_toponyms", "base_addresses"] {
                let sql = format!(
                    "SELECT id, commune FROM {table} WHERE id IN ({})",
                    self.dialect.placeholders(1, chunk.len())
                );
                let mut query = sqlx::query_as(&sql);
                for id in &chunk {
                    query = query.bind(id.as_str());
                }
                let rows: Vec<(String, String)> = query.fetch_all(&self.read).await.map_err(map_error)?;
                for (id, commune) in rows {
                    let id = BanId::parse(&id).map_err(StoreError::database)?;
                    owners.push((id, commune));
                }
            }
        }
        Ok(owners)
    }

    async fn apply_changes(&self, changes: BaseChanges) -> StoreResult<Applied> {
        let mut tx = self.begin_write().await?;
        lock(&mut tx, self.dialect.lock_feed, None).await?;
        let code = changes.commune.code.as_str();
        let version: Option<i64> = sqlx::query_scalar("SELECT seq FROM base_communes WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
        let version = version.unwrap_or(0);
        if version != changes.planned_on {
            return Err(StoreError::Conflict(format!(
                "commune {code} changed while its changes were planned (version {version}, planned on {})",
                changes.planned_on
            )));
        }
        let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM changes")
            .fetch_one(&mut *tx)
            .await
            .map_err(map_error)?;
        let mut feed = FeedRows::new(first);
        // Streets before their numbers; numbers before the streets they leave.
        let (gone, kept): (Vec<_>, Vec<_>) =
            changes.toponyms.iter().partition(|c| matches!(c, Change::Disabled(_)));
        for change in kept {
            feed.push_toponym(change)?;
        }
        for change in &changes.addresses {
            feed.push_address(change)?;
        }
        for change in gone {
            feed.push_toponym(change)?;
        }
        let op = if version == 0 { ChangeOp::Created } else { ChangeOp::Updated };
        let commune_seq =
            feed.push(ObjectKind::Commune, changes.commune.id.to_string(), op, &changes.commune)?;
        let revision = changes.commune.revision.as_deref();
        for chunk in feed.rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO changes (seq, kind, id, op, commune, revision, state, at) {}",
                self.dialect.values(chunk.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for change in chunk {
                query = query
                    .bind(change.seq)
                    .bind(change.kind.as_str())
                    .bind(change.id.as_str())
                    .bind(change.op.as_str())
                    .bind(code)
                    .bind(revision)
                    .bind(Json(&*change.state))
                    .bind(changes.at);
            }
            query.execute(&mut *tx).await.map_err(map_error)?;
        }
        for (table, kind) in [("base_toponyms", ObjectKind::Toponym), ("base_addresses", ObjectKind::Address)]
        {
            let rows: Vec<_> = feed.rows.iter().filter(|r| r.kind == kind).collect();
            for chunk in rows.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO {table} (id, commune, active, seq) {} ON CONFLICT (id) DO UPDATE SET \
                     commune = excluded.commune, active = excluded.active, seq = excluded.seq",
                    self.dialect.values(chunk.len(), 4)
                );
                let mut query = sqlx::query(&sql);
                for change in chunk {
                    query = query
                        .bind(change.id.as_str())
                        .bind(code)
                        .bind(change.op != ChangeOp::Disabled)
                        .bind(change.seq);
                }
                query.execute(&mut *tx).await.map_err(map_error)?;
            }
        }
        let commune = &changes.commune;
        sqlx::query(&upsert_commune_sql(false))
            .bind(code)
            .bind(commune.id.to_string())
            .bind(commune.source.as_str())
            .bind(revision)
            .bind(commune_seq)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        if let Some(job) = changes.job {
            let counts = json(&changes.counts)?;
            sqlx::query(
                "UPDATE jobs SET status = 'done', outcome = 'applied', message = NULL, lease_until = NULL, \
                 worker = NULL, updated_at = $2, counts = $3 WHERE id = $1",
            )
            .bind(job)
            .bind(changes.at)
            .bind(Json(&*counts))
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(Applied { first_seq: first, last_seq: commune_seq })
    }

    async fn base_communes(&self, departement: Option<&str>) -> StoreResult<Vec<BaseCommune>> {
        let bounds = departement.map(departement_bounds);
        let filter = if bounds.is_some() { " WHERE b.code >= $1 AND b.code < $2" } else { "" };
        let sql = format!(
            "SELECT c.state, b.seq, c.at FROM base_communes b JOIN changes c ON c.seq = b.seq{filter} ORDER BY b.code"
        );
        let mut query = sqlx::query_as(&sql);
        if let Some((low, high)) = &bounds {
            query = query.bind(low.as_str()).bind(high.as_str());
        }
        let rows: Vec<(Json<Commune>, i64, DateTime<Utc>)> =
            query.fetch_all(&self.read).await.map_err(map_error)?;
        Ok(rows
            .into_iter()
            .map(|(commune, seq, changed_at)| BaseCommune { commune: commune.0, seq, changed_at })
            .collect())
    }

    async fn commune_versions(&self, codes: &[String]) -> StoreResult<Vec<(String, i64)>> {
        let mut versions = Vec::with_capacity(codes.len());
        for chunk in codes.chunks(CHUNK) {
            let sql = format!(
                "SELECT code, seq FROM base_communes WHERE code IN ({})",
                self.dialect.placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_as(&sql);
            for code in chunk {
                query = query.bind(code.as_str());
            }
            let rows: Vec<(String, i64)> = query.fetch_all(&self.read).await.map_err(map_error)?;
            versions.extend(rows);
        }
        versions.sort();
        versions.dedup();
        Ok(versions)
    }

    async fn scope_seq(&self, departement: Option<&str>) -> StoreResult<i64> {
        let bounds = departement.map(departement_bounds);
        let filter = if bounds.is_some() { " WHERE code >= $1 AND code < $2" } else { "" };
        let sql = format!("SELECT COALESCE(MAX(seq), 0) AS seq FROM base_communes{filter}");
        let mut query = sqlx::query_scalar(&sql);
        if let Some((low, high)) = &bounds {
            query = query.bind(low.as_str()).bind(high.as_str());
        }
        query.fetch_one(&self.read).await.map_err(map_error)
    }

    async fn find(&self, id: &BanId) -> StoreResult<Option<Found>> {
        let row: Option<(String, Json<Box<RawValue>>)> = sqlx::query_as(
            "SELECT c.kind, c.state FROM base_addresses b JOIN changes c ON c.seq = b.seq WHERE b.id = $1 \
             UNION ALL SELECT c.kind, c.state FROM base_toponyms b JOIN changes c ON c.seq = b.seq WHERE b.id = $1 \
             UNION ALL SELECT c.kind, c.state FROM base_communes b JOIN changes c ON c.seq = b.seq WHERE b.id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(map_error)?;
        let Some((kind, state)) = row else { return Ok(None) };
        let state = state.0.get();
        let found = match ObjectKind::try_from(kind).map_err(StoreError::database)? {
            ObjectKind::Address => serde_json::from_str(state).map(Found::Address),
            ObjectKind::Toponym => serde_json::from_str(state).map(Found::Toponym),
            ObjectKind::Commune => serde_json::from_str(state).map(Found::Commune),
        };
        found.map(Some).map_err(StoreError::database)
    }

    async fn base_counts(&self) -> StoreResult<(i64, i64, i64)> {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM base_communes) AS communes, \
             (SELECT COUNT(*) FROM base_toponyms WHERE active) AS toponyms, \
             (SELECT COUNT(*) FROM base_addresses WHERE active) AS addresses",
        )
        .fetch_one(&self.read)
        .await
        .map_err(map_error)
    }
}

/// The statement that points a commune's row of the base at its change `$5` (`$1`..`$4`:
/// code, id, source, revision). A mirror (`only_forward`) never moves it back to an older change.
pub(super) fn upsert_commune_sql(only_forward: bool) -> String {
    let guard = if only_forward { " WHERE excluded.seq > base_communes.seq" } else { "" };
    format!(
        "INSERT INTO base_communes (code, id, source, revision_id, seq) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET id = excluded.id, source = excluded.source, \
         revision_id = excluded.revision_id, seq = excluded.seq{guard}"
    )
}

/// Feed rows being prepared for one commune: numbered from the next free seq, each with its
/// object's state as JSON.
struct FeedRows {
    rows: Vec<FeedRow>,
    next: i64,
}

struct FeedRow {
    seq: i64,
    kind: ObjectKind,
    id: String,
    op: ChangeOp,
    state: Box<RawValue>,
}

impl FeedRows {
    fn new(first: i64) -> Self {
        FeedRows { rows: Vec::new(), next: first }
    }

    fn push<T: serde::Serialize>(
        &mut self,
        kind: ObjectKind,
        id: String,
        op: ChangeOp,
        state: &T,
    ) -> StoreResult<i64> {
        let seq = self.next;
        self.next += 1;
        let state = serde_json::value::to_raw_value(state).map_err(StoreError::database)?;
        self.rows.push(FeedRow { seq, kind, id, op, state });
        Ok(seq)
    }

    fn push_toponym(&mut self, change: &Change<Toponym>) -> StoreResult<i64> {
        let state = change.state();
        self.push(ObjectKind::Toponym, state.id.to_string(), change.op(), state)
    }

    fn push_address(&mut self, change: &Change<Address>) -> StoreResult<i64> {
        let state = change.state();
        self.push(ObjectKind::Address, state.id.to_string(), change.op(), state)
    }
}
