//! The directory of town halls (the offices of type `mairie` of the DILA directory of public
//! services), replaced whole by each import, and the record of those imports. The depot reads
//! it to know where a commune's PIN code may be sent (`ban_directory::commune_emails`).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use ban_directory::{CommuneEmails, DirectoryChanges, TownHall};

use crate::StoreResult;

/// An import of the directory, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryImport {
    pub id: i64,
    /// The file imported, as it was named to `ban directory import`.
    pub source: String,
    /// SHA-256 of the file's bytes, hexadecimal.
    pub sha256: String,
    /// Town-hall offices kept.
    pub town_halls: i64,
    /// Communes with at least one office.
    pub communes: i64,
    /// Communes added, removed, and whose offered addresses changed, from the directory before.
    pub added: i64,
    pub removed: i64,
    pub changed: i64,
    pub imported_at: DateTime<Utc>,
}

/// An import to record.
#[derive(Debug, Clone)]
pub struct NewDirectoryImport {
    pub source: String,
    pub sha256: String,
    pub at: DateTime<Utc>,
}

/// What replacing the directory did.
#[derive(Debug, Clone)]
pub struct DirectoryReplaced {
    pub import: DirectoryImport,
    pub changes: DirectoryChanges,
}

/// The directory of town halls.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Replaces the whole directory by `town_halls` (kept in their order) and records the
    /// import, in one transaction: readers see the old directory or the new one, never a
    /// mix, and a failure leaves the old one. Returns what changed.
    async fn replace_directory(
        &self,
        import: NewDirectoryImport,
        town_halls: &[TownHall],
    ) -> StoreResult<DirectoryReplaced>;
    /// A commune's town-hall offices, in the directory's order: empty for a commune that has
    /// none, or before any import.
    async fn town_halls(&self, code_commune: &str) -> StoreResult<Vec<TownHall>>;
    /// The last `limit` imports, newest first.
    async fn directory_imports(&self, limit: u32) -> StoreResult<Vec<DirectoryImport>>;
}
