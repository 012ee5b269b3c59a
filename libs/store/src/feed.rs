//! The change feed: every change to the base, numbered by a strictly increasing `seq` in
//! commit order. It is the contract between services: geocoders, downloads and mirrors
//! follow it from the last seq they applied.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{ChangeOp, ObjectKind, StoreResult};

/// One row of the change feed, as readers and mirrors get it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FeedChange {
    pub seq: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "address")]
    pub kind: ObjectKind,
    pub id: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "created")]
    pub op: ChangeOp,
    pub commune: String,
    pub revision: Option<String>,
    /// The object's full new state.
    #[sqlx(json)]
    #[schema(value_type = Object)]
    pub state: Box<RawValue>,
    pub at: DateTime<Utc>,
}

/// What part of the feed a reader asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedQuery {
    /// Rows after this seq.
    pub since: i64,
    /// At most this many rows.
    pub limit: i64,
    /// Only these communes (INSEE codes); none means all.
    pub communes: Vec<String>,
    /// Only the communes of these départements (`54`, `2A`, `971`); none means all.
    pub departements: Vec<String>,
    /// Only the rows that hold an object's current state: the base itself, in feed order
    /// (what a new mirror copies first, skipping the history).
    pub current_only: bool,
}

impl FeedQuery {
    pub fn since(since: i64, limit: i64) -> Self {
        FeedQuery { since, limit, ..FeedQuery::default() }
    }
}

/// Reading the change feed, and writing another instance's feed (a mirror).
#[async_trait]
pub trait FeedStore: Send + Sync {
    /// Feed rows after `since`, in order, at most `limit`.
    async fn changes_since(&self, since: i64, limit: i64) -> StoreResult<Vec<FeedChange>> {
        self.feed(&FeedQuery::since(since, limit)).await
    }
    /// The feed rows a query selects, in seq order.
    async fn feed(&self, query: &FeedQuery) -> StoreResult<Vec<FeedChange>>;
    /// The seq of the last change written (0 for an empty feed).
    async fn last_seq(&self) -> StoreResult<i64>;
    /// Writes feed rows read from another instance, keeping their seqs, and moves the base
    /// to their states (a mirror's write; rows already here are skipped).
    async fn replicate(&self, rows: &[FeedChange]) -> StoreResult<()>;
}
