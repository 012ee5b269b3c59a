//! The administration in SQL: mandataires, chefs de file, changes of clients, and the
//! aggregates of the statistics, counted by the database (a page of rows, or one row per day)
//! rather than read whole.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::depot::CLIENT_SELECT;
use super::{json, map_error, SqlStore};
use crate::ids::token_digest;
use crate::{
    AdminStore, ChefDeFile, Client, ClientChanges, ClientLinks, CommunePublications, FirstPublications,
    LastRevision, Mandataire, NewClient, Page, PageRequest, PublicationCounts, StoreError, StoreResult,
    Viewer, MES_ADRESSES, MOISSONNEUR,
};

const MANDATAIRE_COLUMNS: &str = "id, nom, email, created_at, updated_at";
const CHEF_DE_FILE_COLUMNS: &str =
    "id, nom, email, is_email_public, is_signataire_charte, perimeters, created_at, updated_at";
const LAST_REVISION_COLUMNS: &str =
    "id, code_commune, client_id, status, is_ready, is_valid, is_current, published_at, created_at, updated_at";

/// A value of a client's change, bound in the order of its `SET` clauses.
enum Bound {
    Text(Option<String>),
    Flag(bool),
    Document(Box<RawValue>),
}

/// The `SET` clauses of `changes` (from `$2`, `$1` being the client's id) and their values.
fn client_sets(changes: ClientChanges) -> StoreResult<(Vec<String>, Vec<Bound>)> {
    let ClientChanges {
        nom,
        email,
        mandataire,
        mandataire_id,
        chef_de_file_id,
        legacy_id,
        authorization_strategy,
        perimeters,
        is_active,
        token,
    } = changes;
    let mut values: Vec<(&str, Bound)> = Vec::new();
    if let Some(nom) = nom {
        values.push(("nom", Bound::Text(Some(nom))));
    }
    if let Some(email) = email {
        values.push(("email", Bound::Text(email)));
    }
    if let Some(mandataire) = mandataire {
        values.push(("mandataire", Bound::Text(Some(mandataire))));
    }
    if let Some(id) = mandataire_id {
        values.push(("mandataire_id", Bound::Text(id)));
    }
    if let Some(id) = chef_de_file_id {
        values.push(("chef_de_file_id", Bound::Text(id)));
    }
    if let Some(id) = legacy_id {
        values.push(("legacy_id", Bound::Text(id)));
    }
    if let Some(strategy) = authorization_strategy {
        values.push(("authorization_strategy", Bound::Text(Some(strategy.as_str().to_owned()))));
    }
    if let Some(perimeters) = perimeters {
        values.push(("perimeters", Bound::Document(json(&perimeters)?)));
    }
    if let Some(active) = is_active {
        values.push(("is_active", Bound::Flag(active)));
    }
    if let Some(token) = token {
        values.push(("token", Bound::Text(Some(token_digest(token.expose())))));
    }
    let sets = values.iter().enumerate().map(|(i, (column, _))| format!("{column} = ${}", i + 2)).collect();
    Ok((sets, values.into_iter().map(|(_, value)| value).collect()))
}

/// What a publication by a client counts for: `(total, via Mes Adresses, via the harvester)`,
/// as SQL over the client `c` (`$n`, `$n+1`: the two legacy ids).
fn counted(first: usize) -> String {
    format!(
        "COUNT(*), COALESCE(SUM(CASE WHEN c.legacy_id = ${first} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN c.legacy_id = ${} THEN 1 ELSE 0 END), 0)",
        first + 1
    )
}

fn counts(total: i64, mes_adresses: i64, moissonneur: i64) -> PublicationCounts {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    PublicationCounts {
        total: count(total),
        via_mes_adresses: count(mes_adresses),
        via_moissonneur: count(moissonneur),
    }
}

#[async_trait]
impl<DB> AdminStore for SqlStore<DB>
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
    for<'r> Client: FromRow<'r, DB::Row>,
    for<'r> Mandataire: FromRow<'r, DB::Row>,
    for<'r> ChefDeFile: FromRow<'r, DB::Row>,
    for<'r> LastRevision: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (String, i64, i64, i64): FromRow<'r, DB::Row>,
    for<'r> (String, String, i64, i64, i64): FromRow<'r, DB::Row>,
{
    async fn create_client_linked(&self, client: NewClient, links: ClientLinks) -> StoreResult<Client> {
        let perimeters = json(&client.perimeters)?;
        let digest = token_digest(client.token.expose());
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO clients (id, nom, mandataire, email, authorization_strategy, perimeters, is_active, \
             token, created_at, updated_at, mandataire_id, chef_de_file_id, legacy_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $12, $7, $8, $8, $9, $10, $11)",
        )
        .bind(client.id.as_str())
        .bind(client.nom.as_str())
        .bind(client.mandataire.as_str())
        .bind(client.email.as_deref())
        .bind(client.authorization_strategy.as_str())
        .bind(Json(&*perimeters))
        .bind(digest.as_str())
        .bind(now)
        .bind(links.mandataire_id.as_deref())
        .bind(links.chef_de_file_id.as_deref())
        .bind(links.legacy_id.as_deref())
        .bind(!links.disabled)
        .execute(&mut *tx)
        .await
        .map_err(map_error)?;
        let sql = format!("{CLIENT_SELECT} WHERE c.id = $1");
        let created: Client =
            sqlx::query_as(&sql).bind(client.id.as_str()).fetch_one(&mut *tx).await.map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        // The token in clear, this once, for whoever created the client to hand it over.
        Ok(Client { token: client.token, ..created })
    }

    async fn update_client(
        &self,
        id: &str,
        changes: ClientChanges,
        at: DateTime<Utc>,
    ) -> StoreResult<Client> {
        let (mut sets, values) = client_sets(changes)?;
        sets.push(format!("updated_at = ${}", values.len() + 2));
        let sql = format!("UPDATE clients SET {} WHERE id = $1 RETURNING id", sets.join(", "));
        let mut tx = self.begin_write().await?;
        let mut query = sqlx::query_scalar(&sql).bind(id);
        for value in &values {
            query = match value {
                Bound::Text(text) => query.bind(text.as_deref()),
                Bound::Flag(flag) => query.bind(*flag),
                Bound::Document(document) => query.bind(Json(&**document)),
            };
        }
        let updated: Option<String> = query.bind(at).fetch_optional(&mut *tx).await.map_err(map_error)?;
        if updated.is_none() {
            return Err(StoreError::NotFound("client"));
        }
        let sql = format!("{CLIENT_SELECT} WHERE c.id = $1");
        let client = sqlx::query_as(&sql).bind(id).fetch_one(&mut *tx).await.map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(client)
    }

    async fn create_mandataire(&self, m: Mandataire) -> StoreResult<Mandataire> {
        let sql = format!(
            "INSERT INTO mandataires ({MANDATAIRE_COLUMNS}) VALUES ($1, $2, $3, $4, $5) RETURNING {MANDATAIRE_COLUMNS}"
        );
        sqlx::query_as(&sql)
            .bind(m.id.as_str())
            .bind(m.nom.as_str())
            .bind(m.email.as_str())
            .bind(m.created_at)
            .bind(m.updated_at)
            .fetch_one(&self.write)
            .await
            .map_err(map_error)
    }

    async fn mandataire(&self, id: &str) -> StoreResult<Option<Mandataire>> {
        let sql = format!("SELECT {MANDATAIRE_COLUMNS} FROM mandataires WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn mandataires(&self) -> StoreResult<Vec<Mandataire>> {
        let sql = format!("SELECT {MANDATAIRE_COLUMNS} FROM mandataires ORDER BY created_at, id");
        sqlx::query_as(&sql).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn update_mandataire(&self, m: &Mandataire) -> StoreResult<Mandataire> {
        let sql = format!(
            "UPDATE mandataires SET nom = $2, email = $3, updated_at = $4 WHERE id = $1 RETURNING {MANDATAIRE_COLUMNS}"
        );
        let updated = sqlx::query_as(&sql)
            .bind(m.id.as_str())
            .bind(m.nom.as_str())
            .bind(m.email.as_str())
            .bind(m.updated_at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        updated.ok_or(StoreError::NotFound("mandataire"))
    }

    async fn create_chef_de_file(&self, c: ChefDeFile) -> StoreResult<ChefDeFile> {
        let perimeters = json(&c.perimeters)?;
        let sql = format!(
            "INSERT INTO chefs_de_file ({CHEF_DE_FILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {CHEF_DE_FILE_COLUMNS}"
        );
        sqlx::query_as(&sql)
            .bind(c.id.as_str())
            .bind(c.nom.as_str())
            .bind(c.email.as_str())
            .bind(c.is_email_public)
            .bind(c.is_signataire_charte)
            .bind(Json(&*perimeters))
            .bind(c.created_at)
            .bind(c.updated_at)
            .fetch_one(&self.write)
            .await
            .map_err(map_error)
    }

    async fn chef_de_file(&self, id: &str) -> StoreResult<Option<ChefDeFile>> {
        let sql = format!("SELECT {CHEF_DE_FILE_COLUMNS} FROM chefs_de_file WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn chefs_de_file(&self) -> StoreResult<Vec<ChefDeFile>> {
        let sql = format!("SELECT {CHEF_DE_FILE_COLUMNS} FROM chefs_de_file ORDER BY created_at, id");
        sqlx::query_as(&sql).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn update_chef_de_file(&self, c: &ChefDeFile) -> StoreResult<ChefDeFile> {
        let perimeters = json(&c.perimeters)?;
        let sql = format!(
            "UPDATE chefs_de_file SET nom = $2, email = $3, is_email_public = $4, is_signataire_charte = $5, \
             perimeters = $6, updated_at = $7 WHERE id = $1 RETURNING {CHEF_DE_FILE_COLUMNS}"
        );
        let updated = sqlx::query_as(&sql)
            .bind(c.id.as_str())
            .bind(c.nom.as_str())
            .bind(c.email.as_str())
            .bind(c.is_email_public)
            .bind(c.is_signataire_charte)
            .bind(Json(&*perimeters))
            .bind(c.updated_at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        updated.ok_or(StoreError::NotFound("chef de file"))
    }

    async fn last_revisions(&self, viewer: Viewer<'_>, page: PageRequest) -> StoreResult<Page<LastRevision>> {
        // Drafts are the viewer's own only ($1: its client id), or everyone's for an admin.
        let (visible, client) = match viewer {
            Viewer::Anyone => (" WHERE status = 'published'", None),
            Viewer::Client(id) => (" WHERE (status = 'published' OR client_id = $1)", Some(id)),
            Viewer::Admin => ("", None),
        };
        let next = if client.is_some() { 2 } else { 1 };
        let count = format!("SELECT COUNT(DISTINCT code_commune) FROM revisions{visible}");
        let list = format!(
            "SELECT {LAST_REVISION_COLUMNS} FROM (SELECT {LAST_REVISION_COLUMNS}, ROW_NUMBER() OVER \
             (PARTITION BY code_commune ORDER BY created_at DESC, id DESC) AS n FROM revisions{visible}) latest \
             WHERE n = 1 ORDER BY code_commune LIMIT ${next} OFFSET ${}",
            next + 1
        );
        let mut total = sqlx::query_scalar(&count);
        let mut items = sqlx::query_as(&list);
        if let Some(client) = client {
            total = total.bind(client);
            items = items.bind(client);
        }
        let total: i64 = total.fetch_one(&self.read).await.map_err(map_error)?;
        let items = items
            .bind(i64::from(page.limit))
            .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .fetch_all(&self.read)
            .await
            .map_err(map_error)?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    async fn first_publications(&self, before: DateTime<Utc>) -> StoreResult<Vec<FirstPublications>> {
        let day = self.dialect.utc_day_of("f.published_at");
        let sql = format!(
            "SELECT {day} AS day, {} FROM (SELECT code_commune, client_id, published_at, ROW_NUMBER() OVER \
             (PARTITION BY code_commune ORDER BY published_at, id) AS n FROM revisions \
             WHERE published_at IS NOT NULL) f LEFT JOIN clients c ON c.id = f.client_id \
             WHERE f.n = 1 AND f.published_at < $1 GROUP BY 1 ORDER BY 1",
            counted(2)
        );
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(&sql)
            .bind(before)
            .bind(MES_ADRESSES)
            .bind(MOISSONNEUR)
            .fetch_all(&self.read)
            .await
            .map_err(map_error)?;
        Ok(rows
            .into_iter()
            .map(|(day, total, mes, moissonneur)| FirstPublications {
                day,
                counts: counts(total, mes, moissonneur),
            })
            .collect())
    }

    async fn publications(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<CommunePublications>> {
        let day = self.dialect.utc_day_of("r.published_at");
        let sql = format!(
            "SELECT {day} AS day, r.code_commune, {} FROM revisions r LEFT JOIN clients c ON c.id = r.client_id \
             WHERE r.published_at IS NOT NULL AND r.published_at >= $1 AND r.published_at < $2 \
             GROUP BY 1, r.code_commune ORDER BY 1, r.code_commune",
            counted(3)
        );
        let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(&sql)
            .bind(from)
            .bind(before)
            .bind(MES_ADRESSES)
            .bind(MOISSONNEUR)
            .fetch_all(&self.read)
            .await
            .map_err(map_error)?;
        Ok(rows
            .into_iter()
            .map(|(day, code_commune, total, mes, moissonneur)| CommunePublications {
                day,
                code_commune,
                counts: counts(total, mes, moissonneur),
            })
            .collect())
    }
}
