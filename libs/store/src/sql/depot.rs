//! The depot in SQL: clients, revisions, their files and habilitations. The guards of a
//! change (a revision still pending, no file yet, ready to publish) are read inside the
//! write transaction that makes it.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use super::{json, lock, map_error, SqlStore};
use crate::ids::{token_digest, TOKEN_DIGEST_PREFIX};
use crate::{
    Client, ComputedValidation, DepotStore, Habilitation, HabilitationOpening, NewClient, NewRevision, Page,
    PageRequest, Publication, Revision, RevisionFilter, RevisionStatus, RevisionSummary, Secret, StoreError,
    StoreResult, StoredFile, Viewer, FILE_PIECE_BYTES,
};

/// A client as read: the name of its mandataire and the perimeters of its chef de file when it
/// is linked to them, its own otherwise.
pub(super) const CLIENT_SELECT: &str = "SELECT c.id, c.nom, COALESCE(m.nom, c.mandataire) AS mandataire, \
     c.email, c.authorization_strategy, COALESCE(f.perimeters, c.perimeters) AS perimeters, c.is_active, \
     c.token, c.created_at, c.mandataire_id, c.chef_de_file_id, c.legacy_id, \
     COALESCE(c.updated_at, c.created_at) AS updated_at \
     FROM clients c LEFT JOIN mandataires m ON m.id = c.mandataire_id \
     LEFT JOIN chefs_de_file f ON f.id = c.chef_de_file_id";
const REVISION_COLUMNS: &str = "id, client_id, code_commune, status, is_ready, is_current, context, \
     validation, rows_count, checked_against, habilitation, published_at, created_at, updated_at";
/// What lists read of a revision: never its validation report (megabytes for a large
/// commune with many findings).
const SUMMARY_COLUMNS: &str = "id, client_id, code_commune, status, is_ready, is_current, context, \
     habilitation, published_at, created_at, updated_at";
const FILE_COLUMNS: &str = "id, revision_id, size, hash, type, created_at";
const HABILITATION_COLUMNS: &str = "id, client_id, code_commune, email_commune, status, strategy, \
     pin_code, pin_code_expiration, pin_sent_at, remaining_attempts, accepted_at, rejected_at, \
     created_at, updated_at";

impl<DB> SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'r> (String, String): FromRow<'r, DB::Row>,
{
    /// Replaces the tokens an earlier version stored in clear by their digest; run by the
    /// backends when they open. Returns how many were replaced.
    pub async fn digest_clear_tokens(&self) -> StoreResult<usize> {
        let clear: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT id, token FROM clients WHERE token NOT LIKE '{TOKEN_DIGEST_PREFIX}%'"
        ))
        .fetch_all(&self.write)
        .await
        .map_err(map_error)?;
        for (id, token) in &clear {
            let digest = token_digest(token);
            sqlx::query("UPDATE clients SET token = $1 WHERE id = $2")
                .bind(digest.as_str())
                .bind(id.as_str())
                .execute(&self.write)
                .await
                .map_err(map_error)?;
        }
        if !clear.is_empty() {
            tracing::info!(clients = clear.len(), "client tokens stored in clear replaced by their digest");
        }
        Ok(clear.len())
    }
}

#[async_trait]
impl<DB> DepotStore for SqlStore<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Option<Json<&'q RawValue>>: Encode<'q, DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'q> Json<&'q RawValue>: Encode<'q, DB> + Type<DB>,
    for<'r> Client: FromRow<'r, DB::Row>,
    for<'r> Revision: FromRow<'r, DB::Row>,
    for<'r> StoredFile: FromRow<'r, DB::Row>,
    for<'r> Habilitation: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (String, String): FromRow<'r, DB::Row>,
    for<'r> (String, bool, bool, Option<String>): FromRow<'r, DB::Row>,
    for<'r> (Vec<u8>,): FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> RevisionSummary: FromRow<'r, DB::Row>,
    Self: crate::AdminStore,
{
    async fn create_client(&self, client: NewClient) -> StoreResult<Client> {
        crate::AdminStore::create_client_linked(self, client, crate::ClientLinks::default()).await
    }

    async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
        let sql = format!("{CLIENT_SELECT} WHERE c.id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn client_by_token(&self, token: &str) -> StoreResult<Option<Client>> {
        let sql = format!("{CLIENT_SELECT} WHERE c.token = $1");
        let digest = token_digest(token);
        sqlx::query_as(&sql).bind(digest.as_str()).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn clients(&self) -> StoreResult<Vec<Client>> {
        let sql = format!("{CLIENT_SELECT} ORDER BY c.created_at, c.id");
        sqlx::query_as(&sql).fetch_all(&self.read).await.map_err(map_error)
    }

    async fn create_revision(&self, revision: NewRevision, at: DateTime<Utc>) -> StoreResult<Revision> {
        let context = json(&revision.context)?;
        let sql = format!(
            "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, \
             created_at, updated_at) VALUES ($1, $2, $3, 'pending', FALSE, FALSE, $4, $5, $5) \
             RETURNING {REVISION_COLUMNS}"
        );
        sqlx::query_as(&sql)
            .bind(revision.id.as_str())
            .bind(revision.client_id.as_str())
            .bind(revision.code_commune.as_str())
            .bind(Json(&*context))
            .bind(at)
            .fetch_one(&self.write)
            .await
            .map_err(map_error)
    }

    async fn revision(&self, id: &str) -> StoreResult<Option<Revision>> {
        let sql = format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn attach_file(
        &self,
        revision_id: &str,
        file: StoredFile,
        bytes: &[u8],
    ) -> StoreResult<StoredFile> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT status FROM revisions WHERE id = $1{}", self.dialect.for_update);
        let status: Option<String> =
            sqlx::query_scalar(&sql).bind(revision_id).fetch_optional(&mut *tx).await.map_err(map_error)?;
        match status.as_deref().map(RevisionStatus::parse) {
            None => return Err(StoreError::NotFound("revision")),
            Some(Some(RevisionStatus::Pending)) => {}
            Some(_) => {
                return Err(StoreError::Precondition(
                    "La révision n’est plus en attente : elle ne peut plus recevoir de fichier.".into(),
                ))
            }
        }
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM files WHERE revision_id = $1")
            .bind(revision_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
        if existing.is_some() {
            return Err(StoreError::Precondition("Un fichier est déjà attaché à la révision.".into()));
        }
        let sql = format!(
            "INSERT INTO files (id, revision_id, size, hash, type, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {FILE_COLUMNS}"
        );
        let stored = sqlx::query_as(&sql)
            .bind(file.id.as_str())
            .bind(revision_id)
            .bind(file.size)
            .bind(file.hash.as_str())
            .bind(file.kind.as_str())
            .bind(&[][..])
            .bind(file.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_error)?;
        // In pieces, so that a download reads one at a time (see file_piece).
        for (seq, piece) in bytes.chunks(FILE_PIECE_BYTES).enumerate() {
            sqlx::query("INSERT INTO file_pieces (revision_id, seq, data) VALUES ($1, $2, $3)")
                .bind(revision_id)
                .bind(i32::try_from(seq).unwrap_or(i32::MAX))
                .bind(piece)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
        }
        sqlx::query("UPDATE revisions SET updated_at = $2 WHERE id = $1")
            .bind(revision_id)
            .bind(file.created_at)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(stored)
    }

    async fn file(&self, revision_id: &str) -> StoreResult<Option<StoredFile>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE revision_id = $1");
        sqlx::query_as(&sql).bind(revision_id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn file_bytes(&self, revision_id: &str) -> StoreResult<Option<Vec<u8>>> {
        let data: Option<Vec<u8>> = sqlx::query_scalar("SELECT data FROM files WHERE revision_id = $1")
            .bind(revision_id)
            .fetch_optional(&self.read)
            .await
            .map_err(map_error)?;
        match data {
            Some(data) if data.is_empty() => {
                let pieces: Vec<Vec<u8>> =
                    sqlx::query_scalar("SELECT data FROM file_pieces WHERE revision_id = $1 ORDER BY seq")
                        .bind(revision_id)
                        .fetch_all(&self.read)
                        .await
                        .map_err(map_error)?;
                Ok(Some(pieces.concat()))
            }
            other => Ok(other),
        }
    }

    async fn file_piece(&self, revision_id: &str, index: u32) -> StoreResult<Option<Vec<u8>>> {
        let seq = i32::try_from(index).unwrap_or(i32::MAX);
        let piece: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM file_pieces WHERE revision_id = $1 AND seq = $2")
                .bind(revision_id)
                .bind(seq)
                .fetch_optional(&self.read)
                .await
                .map_err(map_error)?;
        if piece.is_some() {
            return Ok(piece);
        }
        // A file attached before the pieces (migration 0010) is whole in files.data; a file
        // in pieces has an empty one, so past its end this gives an empty piece. substr
        // counts bytes from 1, on a BLOB (SQLite) as on a bytea (PostgreSQL).
        let start = (u64::from(index) * FILE_PIECE_BYTES as u64).saturating_add(1);
        sqlx::query_scalar("SELECT substr(data, $2, $3) FROM files WHERE revision_id = $1")
            .bind(revision_id)
            .bind(i32::try_from(start).unwrap_or(i32::MAX))
            .bind(FILE_PIECE_BYTES as i32)
            .fetch_optional(&self.read)
            .await
            .map_err(map_error)
    }

    async fn save_validation(
        &self,
        revision_id: &str,
        computed: ComputedValidation,
        at: DateTime<Utc>,
    ) -> StoreResult<Revision> {
        let mut tx = self.begin_write().await?;
        let found: Option<(String, String)> =
            sqlx::query_as("SELECT code_commune, status FROM revisions WHERE id = $1")
                .bind(revision_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_error)?;
        let Some((code, status)) = found else {
            return Err(StoreError::NotFound("revision"));
        };
        // Serialised with the commune's publications: the current revision read below stays
        // current until this commits.
        lock(&mut tx, self.dialect.lock_commune, Some(&format!("commune:{code}"))).await?;
        if status != RevisionStatus::Pending.as_str() {
            return Err(StoreError::Precondition("La révision n’est pas en attente.".into()));
        }
        let current = current_id(&mut tx, &code).await?;
        if current != computed.checked_against {
            return Err(StoreError::Conflict(crate::outdated_check(&code, current.as_deref())));
        }
        let sql = format!(
            "UPDATE revisions SET validation = $2, is_ready = $3, is_valid = $3, rows_count = $4, \
             updated_at = $5, checked_against = $6 WHERE id = $1 AND status = 'pending' \
             RETURNING {REVISION_COLUMNS}"
        );
        let saved = sqlx::query_as(&sql)
            .bind(revision_id)
            .bind(Json(&*computed.validation))
            .bind(computed.is_ready)
            .bind(computed.rows_count)
            .bind(at)
            .bind(computed.checked_against.as_deref())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
        let saved =
            saved.ok_or_else(|| StoreError::Precondition("La révision n’est pas en attente.".into()))?;
        tx.commit().await.map_err(map_error)?;
        Ok(saved)
    }

    async fn publish(&self, revision_id: &str, publication: Publication) -> StoreResult<Revision> {
        let habilitation = publication.habilitation.as_ref().map(json).transpose()?;
        let mut tx = self.begin_write().await?;
        let code: Option<String> = sqlx::query_scalar("SELECT code_commune FROM revisions WHERE id = $1")
            .bind(revision_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
        let Some(code) = code else {
            return Err(StoreError::NotFound("revision"));
        };
        // Publications of one commune are serialised; the checks below see the outcome of
        // any publication that went first.
        lock(&mut tx, self.dialect.lock_commune, Some(&format!("commune:{code}"))).await?;
        let ready: Option<(String, bool, bool, Option<String>)> = sqlx::query_as(
            "SELECT status, is_ready, validation IS NOT NULL, checked_against FROM revisions WHERE id = $1",
        )
        .bind(revision_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_error)?;
        let not_ready = || {
            StoreError::Precondition(
                "La publication n’est pas possible : la révision n’est pas en attente ou pas prête.".into(),
            )
        };
        let Some((status, is_ready, computed, checked_against)) = ready else {
            return Err(not_ready());
        };
        if status != RevisionStatus::Pending.as_str() || !computed {
            return Err(not_ready());
        }
        // The file's mass-deletion check was made against `checked_against`: it holds only
        // while that revision is the current one (a publication that went first, or came
        // while the file was checked, makes it stale).
        let current = current_id(&mut tx, &code).await?;
        if current != checked_against {
            return Err(StoreError::Conflict(crate::outdated_check(&code, current.as_deref())));
        }
        if !is_ready {
            return Err(not_ready());
        }
        let at = publication.at;
        sqlx::query(
            "UPDATE revisions SET is_current = FALSE, updated_at = $2 WHERE code_commune = $1 AND is_current",
        )
        .bind(code.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map_error)?;
        sqlx::query(
            "UPDATE revisions SET is_ready = FALSE, updated_at = $3 \
             WHERE code_commune = $1 AND status = 'pending' AND id <> $2",
        )
        .bind(code.as_str())
        .bind(revision_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map_error)?;
        let sql = format!(
            "UPDATE revisions SET status = 'published', is_current = TRUE, published_at = $2, \
             habilitation = $3, updated_at = $2 WHERE id = $1 RETURNING {REVISION_COLUMNS}"
        );
        let published = sqlx::query_as(&sql)
            .bind(revision_id)
            .bind(at)
            .bind(habilitation.as_deref().map(Json))
            .fetch_one(&mut *tx)
            .await
            .map_err(map_error)?;
        sqlx::query(
            "INSERT INTO jobs (kind, code_commune, revision_id, status, attempts, created_at, updated_at) \
             VALUES ('consolidate', $1, $2, 'pending', 0, $3, $3)",
        )
        .bind(code.as_str())
        .bind(revision_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(published)
    }

    async fn current_revision(&self, code_commune: &str) -> StoreResult<Option<Revision>> {
        let sql = format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE code_commune = $1 AND is_current");
        sqlx::query_as(&sql).bind(code_commune).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn commune_revisions(
        &self,
        code_commune: &str,
        filter: RevisionFilter,
        viewer: Viewer<'_>,
        page: PageRequest,
    ) -> StoreResult<Page<RevisionSummary>> {
        let status = match filter {
            RevisionFilter::Published => " AND status = 'published'",
            RevisionFilter::Pending => " AND status = 'pending'",
            RevisionFilter::All => "",
        };
        // Drafts are the viewer's own only ($2: its client id), or everyone's for an admin.
        let (visible, client) = match viewer {
            Viewer::Anyone => (" AND status = 'published'", None),
            Viewer::Client(id) => (" AND (status = 'published' OR client_id = $2)", Some(id)),
            Viewer::Admin => ("", None),
        };
        let filter = format!("FROM revisions WHERE code_commune = $1{status}{visible}");
        let next = if client.is_some() { 3 } else { 2 };
        let count = format!("SELECT COUNT(*) {filter}");
        let mut total = sqlx::query_scalar(&count).bind(code_commune);
        let list = format!(
            "SELECT {SUMMARY_COLUMNS} {filter} ORDER BY created_at, id LIMIT ${next} OFFSET ${}",
            next + 1
        );
        let mut items = sqlx::query_as(&list).bind(code_commune);
        if let Some(client) = client {
            total = total.bind(client);
            items = items.bind(client);
        }
        let total: i64 = total.fetch_one(&self.read).await.map_err(map_error)?;
        let items = items
            .bind(i64::from(page.limit))
            .bind(offset(page))
            .fetch_all(&self.read)
            .await
            .map_err(map_error)?;
        Ok(Page { items, total: total as u64 })
    }

    async fn current_revisions(
        &self,
        published_since: Option<DateTime<Utc>>,
        communes: Option<&[String]>,
        page: PageRequest,
    ) -> StoreResult<Page<RevisionSummary>> {
        let communes = communes.unwrap_or_default();
        // Numbered placeholders throughout: SQLite cannot mix `$1` with `?` (the depot
        // bounds the list of communes, so numbering them costs little).
        let numbered = |first: usize, count: usize| {
            (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
        };
        let among = if communes.is_empty() {
            String::new()
        } else {
            format!(" AND code_commune IN ({})", numbered(2, communes.len()))
        };
        let filter = format!("FROM revisions WHERE is_current AND ($1 IS NULL OR published_at >= $1){among}");
        let count = format!("SELECT COUNT(*) {filter}");
        let mut total = sqlx::query_scalar(&count).bind(published_since);
        let (limit, offset_at) = (communes.len() + 2, communes.len() + 3);
        let list = format!(
            "SELECT {SUMMARY_COLUMNS} {filter} ORDER BY code_commune LIMIT ${limit} OFFSET ${offset_at}"
        );
        let mut items = sqlx::query_as(&list).bind(published_since);
        for code in communes {
            total = total.bind(code.as_str());
            items = items.bind(code.as_str());
        }
        let total: i64 = total.fetch_one(&self.read).await.map_err(map_error)?;
        let items = items
            .bind(i64::from(page.limit))
            .bind(offset(page))
            .fetch_all(&self.read)
            .await
            .map_err(map_error)?;
        Ok(Page { items, total: total as u64 })
    }

    async fn client_revisions(
        &self,
        client_id: &str,
        viewer: Viewer<'_>,
        page: PageRequest,
    ) -> StoreResult<Page<RevisionSummary>> {
        let visible = if viewer.sees_all_of(client_id) { "" } else { " AND status = 'published'" };
        let filter = format!("FROM revisions WHERE client_id = $1{visible}");
        let count = format!("SELECT COUNT(*) {filter}");
        let total: i64 =
            sqlx::query_scalar(&count).bind(client_id).fetch_one(&self.read).await.map_err(map_error)?;
        let list = format!("SELECT {SUMMARY_COLUMNS} {filter} ORDER BY created_at, id LIMIT $2 OFFSET $3");
        let items = sqlx::query_as(&list)
            .bind(client_id)
            .bind(i64::from(page.limit))
            .bind(offset(page))
            .fetch_all(&self.read)
            .await
            .map_err(map_error)?;
        Ok(Page { items, total: total as u64 })
    }

    async fn create_habilitation(&self, h: Habilitation) -> StoreResult<Habilitation> {
        let mut tx = self.begin_write().await?;
        let created = insert_habilitation(&mut tx, &h).await?;
        tx.commit().await.map_err(map_error)?;
        Ok(created)
    }

    async fn open_habilitation(&self, h: Habilitation, max_open: u32) -> StoreResult<HabilitationOpening> {
        let mut tx = self.begin_write().await?;
        // One opening at a time per client and commune (SQLite: its single writer already).
        let key = format!("habilitations:{}:{}", h.client_id, h.code_commune);
        lock(&mut tx, self.dialect.lock_commune, Some(&key)).await?;
        let open: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM habilitations WHERE client_id = $1 AND code_commune = $2 AND status = 'pending' \
             AND updated_at > $3 ORDER BY created_at, id",
        )
        .bind(h.client_id.as_str())
        .bind(h.code_commune.as_str())
        .bind(h.created_at - crate::HABILITATION_ABANDONED_AFTER)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_error)?;
        if open.len() >= max_open as usize {
            return Ok(HabilitationOpening::Capped { open });
        }
        let created = insert_habilitation(&mut tx, &h).await?;
        tx.commit().await.map_err(map_error)?;
        Ok(HabilitationOpening::Created(created))
    }

    async fn habilitation(&self, id: &str) -> StoreResult<Option<Habilitation>> {
        let sql = format!("SELECT {HABILITATION_COLUMNS} FROM habilitations WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn last_confirmed_habilitation(&self, code_commune: &str) -> StoreResult<Option<Habilitation>> {
        let sql = format!(
            "SELECT {HABILITATION_COLUMNS} FROM habilitations WHERE code_commune = $1 \
             AND status = 'accepted' AND strategy = 'email' AND email_commune IS NOT NULL \
             ORDER BY accepted_at DESC, id DESC LIMIT 1"
        );
        sqlx::query_as(&sql).bind(code_commune).fetch_optional(&self.read).await.map_err(map_error)
    }

    async fn update_habilitation(
        &self,
        h: &Habilitation,
        read_at: DateTime<Utc>,
    ) -> StoreResult<Habilitation> {
        let sql = format!(
            "UPDATE habilitations SET email_commune = $2, status = $3, strategy = $4, pin_code = $5, \
             pin_code_expiration = $6, pin_sent_at = $7, remaining_attempts = $8, accepted_at = $9, \
             rejected_at = $10, updated_at = $11 WHERE id = $1 AND updated_at = $12 \
             RETURNING {HABILITATION_COLUMNS}"
        );
        let updated = sqlx::query_as(&sql)
            .bind(h.id.as_str())
            .bind(h.email_commune.as_deref())
            .bind(h.status.as_str())
            .bind(h.strategy.as_deref())
            .bind(h.pin_code.as_ref().map(Secret::expose))
            .bind(h.pin_code_expiration)
            .bind(h.pin_sent_at)
            .bind(h.remaining_attempts)
            .bind(h.accepted_at)
            .bind(h.rejected_at)
            .bind(h.updated_at)
            .bind(read_at)
            .fetch_optional(&self.write)
            .await
            .map_err(map_error)?;
        updated.ok_or_else(|| {
            StoreError::Conflict("L’habilitation a été modifiée entre-temps : réessayez.".into())
        })
    }
}

/// Inserts a habilitation in `tx`.
async fn insert_habilitation<DB>(
    tx: &mut sqlx::Transaction<'static, DB>,
    h: &Habilitation,
) -> StoreResult<Habilitation>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
    for<'r> Habilitation: FromRow<'r, DB::Row>,
{
    let sql = format!(
        "INSERT INTO habilitations ({HABILITATION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING {HABILITATION_COLUMNS}"
    );
    sqlx::query_as(&sql)
        .bind(h.id.as_str())
        .bind(h.client_id.as_str())
        .bind(h.code_commune.as_str())
        .bind(h.email_commune.as_deref())
        .bind(h.status.as_str())
        .bind(h.strategy.as_deref())
        .bind(h.pin_code.as_ref().map(Secret::expose))
        .bind(h.pin_code_expiration)
        .bind(h.pin_sent_at)
        .bind(h.remaining_attempts)
        .bind(h.accepted_at)
        .bind(h.rejected_at)
        .bind(h.created_at)
        .bind(h.updated_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(map_error)
}

/// A page's offset as SQL binds it (an offset beyond `i64` finds nothing either way).
fn offset(page: PageRequest) -> i64 {
    i64::try_from(page.offset).unwrap_or(i64::MAX)
}

/// The id of the commune's current revision, read in `tx`.
async fn current_id<DB>(tx: &mut sqlx::Transaction<'static, DB>, code: &str) -> StoreResult<Option<String>>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'r> (String,): FromRow<'r, DB::Row>,
{
    sqlx::query_scalar("SELECT id FROM revisions WHERE code_commune = $1 AND is_current")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await
        .map_err(map_error)
}
