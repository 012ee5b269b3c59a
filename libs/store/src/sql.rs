//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here
//! (`$N` parameters, `RETURNING`, `TRUE`/`FALSE`); what differs is how a write transaction
//! starts and how a commune is locked, which each backend supplies. The statements and the
//! row mapping are written once, in [`sql_store!`], and expanded in each backend crate (a
//! generic function over `sqlx::Database` would need bounds for every type on every query).

/// Implements [`Store`](crate::Store) for a backend type with SQL shared by all backends.
///
/// The type must have:
/// - a field `pool` (the read pool),
/// - `async fn begin_write(&self) -> Result<sqlx::Transaction<'static, DB>, sqlx::Error>`,
/// - `async fn lock_commune(tx: &mut sqlx::Transaction<'static, DB>, code: &str) -> Result<(), sqlx::Error>`,
///
/// `for_update` is what follows a `SELECT` that must lock the rows it reads
/// (`" FOR UPDATE"` on PostgreSQL, `""` on SQLite where the write transaction already does).
#[macro_export]
macro_rules! sql_store {
    ($store:ty, $db:ty, backend = $backend:literal, for_update = $for_update:literal) => {
        const CLIENT_COLUMNS: &str =
            "id, nom, mandataire, email, authorization_strategy, perimeters, is_active, token, created_at";
        const REVISION_COLUMNS: &str = "id, client_id, code_commune, status, is_ready, is_current, context, \
             validation, rows_count, habilitation, published_at, created_at, updated_at";
        const FILE_COLUMNS: &str = "id, revision_id, size, hash, type, created_at";
        const HABILITATION_COLUMNS: &str = "id, client_id, code_commune, email_commune, status, strategy, \
             pin_code, pin_code_expiration, pin_sent_at, remaining_attempts, accepted_at, rejected_at, \
             created_at, updated_at";

        type Row = <$db as sqlx::Database>::Row;

        impl $store {
            /// Unique violations become conflicts; anything else is a database failure.
            fn map_error(error: sqlx::Error) -> $crate::StoreError {
                match &error {
                    sqlx::Error::Database(e) if e.is_unique_violation() => {
                        $crate::StoreError::Conflict(e.message().to_owned())
                    }
                    _ => $crate::StoreError::database(error),
                }
            }
        }

        fn client_from_row(row: &Row) -> Result<$crate::Client, sqlx::Error> {
            use sqlx::Row as _;
            let strategy: String = row.try_get("authorization_strategy")?;
            let perimeters: sqlx::types::Json<Vec<$crate::Perimeter>> = row.try_get("perimeters")?;
            Ok($crate::Client {
                id: row.try_get("id")?,
                nom: row.try_get("nom")?,
                mandataire: row.try_get("mandataire")?,
                email: row.try_get("email")?,
                authorization_strategy: $crate::AuthorizationStrategy::parse(&strategy)
                    .ok_or_else(|| decode_error("authorization_strategy", &strategy))?,
                perimeters: perimeters.0,
                is_active: row.try_get("is_active")?,
                token: row.try_get("token")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn revision_from_row(row: &Row) -> Result<$crate::Revision, sqlx::Error> {
            use sqlx::Row as _;
            let status: String = row.try_get("status")?;
            let context: sqlx::types::Json<serde_json::Value> = row.try_get("context")?;
            let validation: Option<sqlx::types::Json<Box<serde_json::value::RawValue>>> =
                row.try_get("validation")?;
            let habilitation: Option<sqlx::types::Json<serde_json::Value>> = row.try_get("habilitation")?;
            Ok($crate::Revision {
                id: row.try_get("id")?,
                client_id: row.try_get("client_id")?,
                code_commune: row.try_get("code_commune")?,
                status: $crate::RevisionStatus::parse(&status).ok_or_else(|| decode_error("status", &status))?,
                is_ready: row.try_get("is_ready")?,
                is_current: row.try_get("is_current")?,
                context: context.0,
                validation: validation.map(|v| v.0),
                rows_count: row.try_get("rows_count")?,
                habilitation: habilitation.map(|v| v.0),
                published_at: row.try_get("published_at")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn file_from_row(row: &Row) -> Result<$crate::StoredFile, sqlx::Error> {
            use sqlx::Row as _;
            Ok($crate::StoredFile {
                id: row.try_get("id")?,
                revision_id: row.try_get("revision_id")?,
                size: row.try_get("size")?,
                hash: row.try_get("hash")?,
                kind: row.try_get("type")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn habilitation_from_row(row: &Row) -> Result<$crate::Habilitation, sqlx::Error> {
            use sqlx::Row as _;
            let status: String = row.try_get("status")?;
            Ok($crate::Habilitation {
                id: row.try_get("id")?,
                client_id: row.try_get("client_id")?,
                code_commune: row.try_get("code_commune")?,
                email_commune: row.try_get("email_commune")?,
                status: $crate::HabilitationStatus::parse(&status)
                    .ok_or_else(|| decode_error("status", &status))?,
                strategy: row.try_get("strategy")?,
                pin_code: row.try_get("pin_code")?,
                pin_code_expiration: row.try_get("pin_code_expiration")?,
                pin_sent_at: row.try_get("pin_sent_at")?,
                remaining_attempts: row.try_get("remaining_attempts")?,
                accepted_at: row.try_get("accepted_at")?,
                rejected_at: row.try_get("rejected_at")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn job_from_row(row: &Row) -> Result<$crate::Job, sqlx::Error> {
            use sqlx::Row as _;
            Ok($crate::Job {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                code_commune: row.try_get("code_commune")?,
                revision_id: row.try_get("revision_id")?,
                status: row.try_get("status")?,
                attempts: row.try_get("attempts")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn decode_error(column: &str, value: &str) -> sqlx::Error {
            sqlx::Error::Decode(format!("unexpected value {value:?} in column {column}").into())
        }

        fn map_rows<T>(
            rows: Vec<Row>,
            map: fn(&Row) -> Result<T, sqlx::Error>,
        ) -> Result<Vec<T>, $crate::StoreError> {
            rows.iter().map(map).collect::<Result<_, _>>().map_err(<$store>::map_error)
        }

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> $crate::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(Self::map_error)?;
                Ok(())
            }

            async fn create_client(&self, client: $crate::NewClient) -> $crate::StoreResult<$crate::Client> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "INSERT INTO clients ({CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8) \
                     RETURNING {CLIENT_COLUMNS}"
                ))
                .bind(&client.id)
                .bind(&client.nom)
                .bind(&client.mandataire)
                .bind(&client.email)
                .bind(client.authorization_strategy.as_str())
                .bind(sqlx::types::Json(&client.perimeters))
                .bind(&client.token)
                .bind(chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                tx.commit().await.map_err(Self::map_error)?;
                client_from_row(&row).map_err(Self::map_error)
            }

            async fn client(&self, id: &str) -> $crate::StoreResult<Option<$crate::Client>> {
                let row = sqlx::query(&format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                row.as_ref().map(client_from_row).transpose().map_err(Self::map_error)
            }

            async fn client_by_token(&self, token: &str) -> $crate::StoreResult<Option<$crate::Client>> {
                let row = sqlx::query(&format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE token = $1"))
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                row.as_ref().map(client_from_row).transpose().map_err(Self::map_error)
            }

            async fn clients(&self) -> $crate::StoreResult<Vec<$crate::Client>> {
                let rows = sqlx::query(&format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY created_at, id"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                map_rows(rows, client_from_row)
            }

            async fn create_revision(
                &self,
                revision: $crate::NewRevision,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::StoreResult<$crate::Revision> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "INSERT INTO revisions (id, client_id, code_commune, status, is_ready, is_current, context, \
                     created_at, updated_at) VALUES ($1, $2, $3, 'pending', FALSE, FALSE, $4, $5, $5) \
                     RETURNING {REVISION_COLUMNS}"
                ))
                .bind(&revision.id)
                .bind(&revision.client_id)
                .bind(&revision.code_commune)
                .bind(sqlx::types::Json(&revision.context))
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                tx.commit().await.map_err(Self::map_error)?;
                revision_from_row(&row).map_err(Self::map_error)
            }

            async fn revision(&self, id: &str) -> $crate::StoreResult<Option<$crate::Revision>> {
                let row = sqlx::query(&format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                row.as_ref().map(revision_from_row).transpose().map_err(Self::map_error)
            }

            async fn attach_file(
                &self,
                revision_id: &str,
                file: $crate::StoredFile,
                bytes: &[u8],
            ) -> $crate::StoreResult<$crate::StoredFile> {
                use sqlx::Row as _;
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let status: Option<String> =
                    sqlx::query(concat!("SELECT status FROM revisions WHERE id = $1", $for_update))
                        .bind(revision_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(Self::map_error)?
                        .map(|row| row.try_get("status"))
                        .transpose()
                        .map_err(Self::map_error)?;
                match status.as_deref() {
                    None => return Err($crate::StoreError::NotFound("revision")),
                    Some("pending") => {}
                    Some(_) => {
                        return Err($crate::StoreError::Precondition(
                            "La révision n’est plus en attente : elle ne peut plus recevoir de fichier.".into(),
                        ))
                    }
                }
                let existing = sqlx::query("SELECT id FROM files WHERE revision_id = $1")
                    .bind(revision_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Self::map_error)?;
                if existing.is_some() {
                    return Err($crate::StoreError::Precondition(
                        "Un fichier est déjà attaché à la révision.".into(),
                    ));
                }
                let row = sqlx::query(&format!(
                    "INSERT INTO files (id, revision_id, size, hash, type, data, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {FILE_COLUMNS}"
                ))
                .bind(&file.id)
                .bind(revision_id)
                .bind(file.size)
                .bind(&file.hash)
                .bind(&file.kind)
                .bind(bytes)
                .bind(file.created_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                sqlx::query("UPDATE revisions SET updated_at = $2 WHERE id = $1")
                    .bind(revision_id)
                    .bind(file.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_error)?;
                tx.commit().await.map_err(Self::map_error)?;
                file_from_row(&row).map_err(Self::map_error)
            }

            async fn file(&self, revision_id: &str) -> $crate::StoreResult<Option<$crate::StoredFile>> {
                let row = sqlx::query(&format!("SELECT {FILE_COLUMNS} FROM files WHERE revision_id = $1"))
                    .bind(revision_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                row.as_ref().map(file_from_row).transpose().map_err(Self::map_error)
            }

            async fn file_bytes(&self, revision_id: &str) -> $crate::StoreResult<Option<Vec<u8>>> {
                use sqlx::Row as _;
                let row = sqlx::query("SELECT data FROM files WHERE revision_id = $1")
                    .bind(revision_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                row.map(|row| row.try_get::<Vec<u8>, _>("data")).transpose().map_err(Self::map_error)
            }

            async fn save_validation(
                &self,
                revision_id: &str,
                computed: $crate::ComputedValidation,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::StoreResult<$crate::Revision> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "UPDATE revisions SET validation = $2, is_ready = $3, rows_count = $4, updated_at = $5 \
                     WHERE id = $1 AND status = 'pending' RETURNING {REVISION_COLUMNS}"
                ))
                .bind(revision_id)
                .bind(sqlx::types::Json(&computed.validation))
                .bind(computed.is_ready)
                .bind(computed.rows_count)
                .bind(at)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                let Some(row) = row else {
                    return Err(match self.revision(revision_id).await? {
                        None => $crate::StoreError::NotFound("revision"),
                        Some(_) => $crate::StoreError::Precondition("La révision n’est pas en attente.".into()),
                    });
                };
                tx.commit().await.map_err(Self::map_error)?;
                revision_from_row(&row).map_err(Self::map_error)
            }

            async fn publish(
                &self,
                revision_id: &str,
                publication: $crate::Publication,
            ) -> $crate::StoreResult<$crate::Revision> {
                use sqlx::Row as _;
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let code: Option<String> = sqlx::query("SELECT code_commune FROM revisions WHERE id = $1")
                    .bind(revision_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Self::map_error)?
                    .map(|row| row.try_get("code_commune"))
                    .transpose()
                    .map_err(Self::map_error)?;
                let Some(code) = code else {
                    return Err($crate::StoreError::NotFound("revision"));
                };
                // Publications of one commune are serialised; the checks below see the
                // outcome of any publication that went first.
                Self::lock_commune(&mut tx, &code).await.map_err(Self::map_error)?;
                let ready: Option<(String, bool)> = sqlx::query("SELECT status, is_ready FROM revisions WHERE id = $1")
                    .bind(revision_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Self::map_error)?
                    .map(|row| Ok::<_, sqlx::Error>((row.try_get("status")?, row.try_get("is_ready")?)))
                    .transpose()
                    .map_err(Self::map_error)?;
                if ready != Some(("pending".to_owned(), true)) {
                    return Err($crate::StoreError::Precondition(
                        "La publication n’est pas possible : la révision n’est pas en attente ou pas prête.".into(),
                    ));
                }
                let at = publication.at;
                sqlx::query("UPDATE revisions SET is_current = FALSE, updated_at = $2 WHERE code_commune = $1 AND is_current")
                    .bind(&code)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_error)?;
                sqlx::query(
                    "UPDATE revisions SET is_ready = FALSE, updated_at = $3 \
                     WHERE code_commune = $1 AND status = 'pending' AND id <> $2",
                )
                .bind(&code)
                .bind(revision_id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "UPDATE revisions SET status = 'published', is_current = TRUE, published_at = $2, \
                     habilitation = $3, updated_at = $2 WHERE id = $1 RETURNING {REVISION_COLUMNS}"
                ))
                .bind(revision_id)
                .bind(at)
                .bind(publication.habilitation.as_ref().map(sqlx::types::Json))
                .fetch_one(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                sqlx::query(
                    "INSERT INTO jobs (kind, code_commune, revision_id, status, attempts, created_at, updated_at) \
                     VALUES ('consolidate', $1, $2, 'pending', 0, $3, $3)",
                )
                .bind(&code)
                .bind(revision_id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                tx.commit().await.map_err(Self::map_error)?;
                revision_from_row(&row).map_err(Self::map_error)
            }

            async fn current_revision(&self, code_commune: &str) -> $crate::StoreResult<Option<$crate::Revision>> {
                let row = sqlx::query(&format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions WHERE code_commune = $1 AND is_current"
                ))
                .bind(code_commune)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::map_error)?;
                row.as_ref().map(revision_from_row).transpose().map_err(Self::map_error)
            }

            async fn commune_revisions(
                &self,
                code_commune: &str,
                filter: $crate::RevisionFilter,
            ) -> $crate::StoreResult<Vec<$crate::Revision>> {
                let status = match filter {
                    $crate::RevisionFilter::Published => " AND status = 'published'",
                    $crate::RevisionFilter::Pending => " AND status = 'pending'",
                    $crate::RevisionFilter::All => "",
                };
                let rows = sqlx::query(&format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions WHERE code_commune = $1{status} ORDER BY created_at, id"
                ))
                .bind(code_commune)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::map_error)?;
                map_rows(rows, revision_from_row)
            }

            async fn current_revisions(
                &self,
                published_since: Option<chrono::DateTime<chrono::Utc>>,
                communes: Option<&[String]>,
            ) -> $crate::StoreResult<Vec<$crate::Revision>> {
                let rows = sqlx::query(&format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions WHERE is_current \
                     AND ($1 IS NULL OR published_at >= $1) ORDER BY code_commune"
                ))
                .bind(published_since)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::map_error)?;
                let mut revisions = map_rows(rows, revision_from_row)?;
                if let Some(communes) = communes {
                    revisions.retain(|r| communes.contains(&r.code_commune));
                }
                Ok(revisions)
            }

            async fn client_revisions(&self, client_id: &str) -> $crate::StoreResult<Vec<$crate::Revision>> {
                let rows = sqlx::query(&format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions WHERE client_id = $1 ORDER BY created_at, id"
                ))
                .bind(client_id)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::map_error)?;
                map_rows(rows, revision_from_row)
            }

            async fn create_habilitation(
                &self,
                h: $crate::Habilitation,
            ) -> $crate::StoreResult<$crate::Habilitation> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "INSERT INTO habilitations ({HABILITATION_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                     RETURNING {HABILITATION_COLUMNS}"
                ))
                .bind(&h.id)
                .bind(&h.client_id)
                .bind(&h.code_commune)
                .bind(&h.email_commune)
                .bind(h.status.as_str())
                .bind(&h.strategy)
                .bind(&h.pin_code)
                .bind(h.pin_code_expiration)
                .bind(h.pin_sent_at)
                .bind(h.remaining_attempts)
                .bind(h.accepted_at)
                .bind(h.rejected_at)
                .bind(h.created_at)
                .bind(h.updated_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                tx.commit().await.map_err(Self::map_error)?;
                habilitation_from_row(&row).map_err(Self::map_error)
            }

            async fn habilitation(&self, id: &str) -> $crate::StoreResult<Option<$crate::Habilitation>> {
                let row = sqlx::query(&format!("SELECT {HABILITATION_COLUMNS} FROM habilitations WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                row.as_ref().map(habilitation_from_row).transpose().map_err(Self::map_error)
            }

            async fn update_habilitation(
                &self,
                h: &$crate::Habilitation,
                read_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::StoreResult<$crate::Habilitation> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "UPDATE habilitations SET email_commune = $2, status = $3, strategy = $4, pin_code = $5, \
                     pin_code_expiration = $6, pin_sent_at = $7, remaining_attempts = $8, accepted_at = $9, \
                     rejected_at = $10, updated_at = $11 WHERE id = $1 AND updated_at = $12 \
                     RETURNING {HABILITATION_COLUMNS}"
                ))
                .bind(&h.id)
                .bind(&h.email_commune)
                .bind(h.status.as_str())
                .bind(&h.strategy)
                .bind(&h.pin_code)
                .bind(h.pin_code_expiration)
                .bind(h.pin_sent_at)
                .bind(h.remaining_attempts)
                .bind(h.accepted_at)
                .bind(h.rejected_at)
                .bind(h.updated_at)
                .bind(read_at)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                let Some(row) = row else {
                    return Err($crate::StoreError::Conflict(
                        "L’habilitation a été modifiée entre-temps : réessayez.".into(),
                    ));
                };
                tx.commit().await.map_err(Self::map_error)?;
                habilitation_from_row(&row).map_err(Self::map_error)
            }

            async fn jobs(&self, code_commune: &str) -> $crate::StoreResult<Vec<$crate::Job>> {
                let rows = sqlx::query(
                    "SELECT id, kind, code_commune, revision_id, status, attempts, created_at FROM jobs \
                     WHERE code_commune = $1 ORDER BY id",
                )
                .bind(code_commune)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::map_error)?;
                map_rows(rows, job_from_row)
            }
        }
    };
}
