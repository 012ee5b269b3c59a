//! The national base: each commune's part (its toponyms and addresses, every state ever
//! given, disabled ones included), written one commune at a time together with the change
//! feed rows that describe the change.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Address, BanId, Change, ChangeCounts, Commune, StoreResult, Toponym};

/// A commune's part of the national base, as consolidation reads it.
#[derive(Debug, Clone, Default)]
pub struct CommuneBase {
    /// `None` when the commune is not in the base yet.
    pub commune: Option<Commune>,
    /// The seq of the commune's last change (its version), 0 when not in the base.
    pub version: i64,
    /// Every toponym and address ever in the commune, disabled ones included.
    pub toponyms: Vec<Toponym>,
    pub addresses: Vec<Address>,
}

/// Changes to one commune's part of the base, written in one transaction with their feed.
#[derive(Debug, Clone)]
pub struct BaseChanges {
    /// The commune's new state.
    pub commune: Commune,
    /// The version the changes were planned on: `Conflict` if the commune changed since.
    pub planned_on: i64,
    pub toponyms: Vec<Change<Toponym>>,
    pub addresses: Vec<Change<Address>>,
    /// The job these changes complete (marked done, `applied`, with `counts`, in the same
    /// transaction).
    pub job: Option<i64>,
    /// What the changes add, update, delete and leave, for the job's producer.
    pub counts: ChangeCounts,
    pub at: DateTime<Utc>,
}

/// What applying changes wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The seqs of the feed rows written, first and last.
    pub first_seq: i64,
    pub last_seq: i64,
}

/// A commune of the base with the change that made its current state.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseCommune {
    pub commune: Commune,
    /// Its last change: what the commune's exports and caches are versioned by.
    pub seq: i64,
    pub changed_at: DateTime<Utc>,
}

/// An object of the base found by its BAN id, with its current state.
#[derive(Debug, Clone)]
pub enum Found {
    Commune(Commune),
    Toponym(Toponym),
    Address(Address),
}

/// The national base, read and written one commune at a time.
#[async_trait]
pub trait BaseStore: Send + Sync {
    /// A commune's part of the base, disabled objects included.
    async fn commune_base(&self, code: &str) -> StoreResult<CommuneBase>;
    async fn base_commune(&self, code: &str) -> StoreResult<Option<Commune>>;
    /// The communes owning any of `ids` (toponyms or addresses), as `(id, commune)`.
    async fn id_owners(&self, ids: &[BanId]) -> StoreResult<Vec<(BanId, String)>>;
    /// Writes a commune's changes and their feed rows in one transaction (and completes
    /// their job). `Conflict` if the commune changed since `planned_on`.
    async fn apply_changes(&self, changes: BaseChanges) -> StoreResult<Applied>;
    /// Communes of the base, by code: those of `departement` (all when `None`).
    async fn base_communes(&self, departement: Option<&str>) -> StoreResult<Vec<BaseCommune>>;
    /// The version (the seq of its last change) of each of `codes` that is in the base, as
    /// `(code, seq)` ordered by code: what a cache of several communes (a map tile) is
    /// versioned by, read without their states.
    async fn commune_versions(&self, codes: &[String]) -> StoreResult<Vec<(String, i64)>>;
    /// The last change to a département's communes (all communes when `None`), 0 if none.
    async fn scope_seq(&self, departement: Option<&str>) -> StoreResult<i64>;
    /// The object (commune, toponym or address) with this BAN id, disabled ones included.
    async fn find(&self, id: &BanId) -> StoreResult<Option<Found>>;
    /// Active objects of the base: (communes, toponyms, addresses).
    async fn base_counts(&self) -> StoreResult<(i64, i64, i64)>;
}
