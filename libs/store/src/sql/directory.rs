//! The directory of town halls in SQL: one table of offices, kept in the imported file's
//! order (`position`), replaced whole in one transaction by each import; and the imports.
use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{json, lock, map_error, SqlStore, CHUNK};
use crate::{
    DirectoryChanges, DirectoryImport, DirectoryReplaced, DirectoryStore, NewDirectoryImport, StoreResult,
    TownHall,
};

const TOWN_HALL_COLUMNS: &str = "id, code_commune, nom, siret, emails, delegated";
const IMPORT_COLUMNS: &str = "id, source, sha256, town_halls, communes, added, removed, changed, imported_at";

/// An office as a row: id, commune, name, SIRET, addresses (JSON), delegated.
type TownHallRow = (String, String, String, Option<String>, Json<Vec<String>>, bool);

fn town_hall((id, code_commune, nom, siret, Json(emails), delegated): TownHallRow) -> TownHall {
    TownHall { id, code_commune, nom, siret, emails, delegated }
}

#[async_trait]
impl<DB> DirectoryStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'q> Json<&'q RawValue>: Encode<'q, DB> + Type<DB>,
    for<'r> TownHallRow: FromRow<'r, DB::Row>,
    for<'r> DirectoryImport: FromRow<'r, DB::Row>,
{
    async fn replace_directory(
        &self,
        import: NewDirectoryImport,
        town_halls: &[TownHall],
    ) -> StoreResult<DirectoryReplaced> {
        let emails = town_halls.iter().map(|office| json(&office.emails)).collect::<StoreResult<Vec<_>>>()?;
        let mut tx = self.begin_write().await?;
        // Imports one at a time (SQLite: its single writer already).
        lock(&mut tx, self.dialect.lock_commune, Some("directory")).await?;
        let sql = format!("SELECT {TOWN_HALL_COLUMNS} FROM town_halls ORDER BY position");
        let before: Vec<TownHallRow> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.map_err(map_error)?;
        let before: Vec<TownHall> = before.into_iter().map(town_hall).collect();
        let changes = DirectoryChanges::between(&before, town_halls);
        sqlx::query("DELETE FROM town_halls").execute(&mut *tx).await.map_err(map_error)?;
        for (chunk, (offices, emails)) in town_halls.chunks(CHUNK).zip(emails.chunks(CHUNK)).enumerate() {
            let sql = format!(
                "INSERT INTO town_halls (position, {TOWN_HALL_COLUMNS}) {}",
                self.dialect.values(offices.len(), 7)
            );
            let mut insert = sqlx::query(&sql);
            for (i, (office, emails)) in offices.iter().zip(emails).enumerate() {
                insert = insert
                    .bind((chunk * CHUNK + i) as i64)
                    .bind(office.id.as_str())
                    .bind(office.code_commune.as_str())
                    .bind(office.nom.as_str())
                    .bind(office.siret.as_deref())
                    .bind(Json(&**emails))
                    .bind(office.delegated);
            }
            insert.execute(&mut *tx).await.map_err(map_error)?;
        }
        let communes: BTreeSet<&str> = town_halls.iter().map(|office| office.code_commune.as_str()).collect();
        let sql = format!(
            "INSERT INTO directory_imports (source, sha256, town_halls, communes, added, removed, changed, \
             imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {IMPORT_COLUMNS}"
        );
        let recorded = sqlx::query_as(&sql)
            .bind(import.source.as_str())
            .bind(import.sha256.as_str())
            .bind(town_halls.len() as i64)
            .bind(communes.len() as i64)
            .bind(changes.added.len() as i64)
            .bind(changes.removed.len() as i64)
            .bind(changes.changed.len() as i64)
            .bind(import.at)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(DirectoryReplaced { import: recorded, changes })
    }

    async fn town_halls(&self, code_commune: &str) -> StoreResult<Vec<TownHall>> {
        let sql =
            format!("SELECT {TOWN_HALL_COLUMNS} FROM town_halls WHERE code_commune = $1 ORDER BY position");
        let rows: Vec<TownHallRow> =
            sqlx::query_as(&sql).bind(code_commune).fetch_all(&self.read).await.map_err(map_error)?;
        Ok(rows.into_iter().map(town_hall).collect())
    }

    async fn directory_imports(&self, limit: u32) -> StoreResult<Vec<DirectoryImport>> {
        let sql = format!("SELECT {IMPORT_COLUMNS} FROM directory_imports ORDER BY id DESC LIMIT $1");
        sqlx::query_as(&sql).bind(i64::from(limit)).fetch_all(&self.read).await.map_err(map_error)
    }
}
