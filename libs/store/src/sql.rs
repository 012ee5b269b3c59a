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
/// - `async fn lock_feed(tx: &mut sqlx::Transaction<'static, DB>) -> Result<(), sqlx::Error>`,
///   held until commit, so that feed rows are numbered in commit order.
///
/// `for_update` is what follows a `SELECT` that must lock the rows it reads
/// (`" FOR UPDATE"` on PostgreSQL, `""` on SQLite where the write transaction already does);
/// `skip_locked` the same for a queue (`" FOR UPDATE SKIP LOCKED"` on PostgreSQL).
#[macro_export]
macro_rules! sql_store {
    ($store:ty, $db:ty, backend = $backend:literal, for_update = $for_update:literal, skip_locked = $skip_locked:literal) => {
        const CLIENT_COLUMNS: &str =
            "id, nom, mandataire, email, authorization_strategy, perimeters, is_active, token, created_at";
        const REVISION_COLUMNS: &str = "id, client_id, code_commune, status, is_ready, is_current, context, \
             validation, rows_count, habilitation, published_at, created_at, updated_at";
        const FILE_COLUMNS: &str = "id, revision_id, size, hash, type, created_at";
        const JOB_COLUMNS: &str =
            "id, kind, code_commune, revision_id, status, attempts, outcome, message, created_at";
        /// Rows per multi-row statement (well under both backends' parameter limits).
        const CHUNK: usize = 500;
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
                outcome: row.try_get("outcome")?,
                message: row.try_get("message")?,
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

        /// A commune of the base and its version.
        async fn commune_row(
            tx: &mut sqlx::Transaction<'static, $db>,
            code: &str,
        ) -> Result<Option<($crate::Commune, i64)>, $crate::StoreError> {
            use sqlx::Row as _;
            let row = sqlx::query(
                "SELECT c.state, b.seq FROM base_communes b JOIN changes c ON c.seq = b.seq WHERE b.code = $1",
            )
            .bind(code)
            .fetch_optional(&mut **tx)
            .await
            .map_err(<$store>::map_error)?;
            let Some(row) = row else { return Ok(None) };
            let state: sqlx::types::Json<$crate::Commune> = row.try_get("state").map_err(<$store>::map_error)?;
            let seq: i64 = row.try_get("seq").map_err(<$store>::map_error)?;
            Ok(Some((state.0, seq)))
        }

        /// The current states of a commune's objects of one table, in the order of their changes.
        async fn states<T: $crate::__private::serde::de::DeserializeOwned + Send + Unpin + 'static>(
            tx: &mut sqlx::Transaction<'static, $db>,
            table: &str,
            code: &str,
        ) -> Result<Vec<T>, $crate::StoreError> {
            use sqlx::Row as _;
            let rows = sqlx::query(&format!(
                "SELECT c.state FROM {table} b JOIN changes c ON c.seq = b.seq WHERE b.commune = $1 ORDER BY b.seq"
            ))
            .bind(code)
            .fetch_all(&mut **tx)
            .await
            .map_err(<$store>::map_error)?;
            rows.iter()
                .map(|row| row.try_get::<sqlx::types::Json<T>, _>("state").map(|state| state.0))
                .collect::<Result<_, _>>()
                .map_err(<$store>::map_error)
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
                let rows = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE code_commune = $1 ORDER BY id"))
                    .bind(code_commune)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::map_error)?;
                map_rows(rows, job_from_row)
            }

            async fn job_queue(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::StoreResult<$crate::JobQueue> {
                use sqlx::Row as _;
                // Only unfinished jobs are read (the `(status, id)` index).
                let counts = sqlx::query(
                    "SELECT COALESCE(SUM(CASE WHEN status = 'pending' OR lease_until < $1 THEN 1 ELSE 0 END), 0), \
                            COALESCE(SUM(CASE WHEN status = 'running' AND lease_until >= $1 THEN 1 ELSE 0 END), 0) \
                     FROM jobs WHERE status IN ('pending', 'running')",
                )
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err(Self::map_error)?;
                let oldest = sqlx::query(
                    "SELECT created_at FROM jobs WHERE status IN ('pending', 'running') \
                     AND (status = 'pending' OR lease_until < $1) ORDER BY id LIMIT 1",
                )
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::map_error)?;
                Ok($crate::JobQueue {
                    waiting: counts.try_get(0).map_err(Self::map_error)?,
                    running: counts.try_get(1).map_err(Self::map_error)?,
                    oldest_waiting: oldest.map(|row| row.try_get(0)).transpose().map_err(Self::map_error)?,
                })
            }

            async fn claim_job(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::StoreResult<Option<$crate::Job>> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let row = sqlx::query(&format!(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1 \
                     WHERE id = (SELECT id FROM jobs WHERE \
                       (status = 'pending' OR (status = 'running' AND lease_until < $1)) \
                       AND code_commune NOT IN \
                         (SELECT code_commune FROM jobs WHERE status = 'running' AND lease_until >= $1) \
                       ORDER BY id LIMIT 1{}) \
                     RETURNING {JOB_COLUMNS}",
                    $skip_locked
                ))
                .bind(now)
                .bind(lease_until)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                tx.commit().await.map_err(Self::map_error)?;
                row.as_ref().map(job_from_row).transpose().map_err(Self::map_error)
            }

            async fn finish_job(
                &self,
                job_id: i64,
                end: $crate::JobEnd,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::StoreResult<()> {
                let (status, outcome, message) = match end {
                    $crate::JobEnd::Done { outcome, message } => ("done", Some(outcome), message),
                    $crate::JobEnd::Failed { message } => ("failed", None, Some(message)),
                    $crate::JobEnd::Retry { message } => ("pending", None, Some(message)),
                };
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                let done = sqlx::query(
                    "UPDATE jobs SET status = $2, outcome = $3, message = $4, lease_until = NULL, updated_at = $5 \
                     WHERE id = $1",
                )
                .bind(job_id)
                .bind(status)
                .bind(outcome)
                .bind(message)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound("job"));
                }
                tx.commit().await.map_err(Self::map_error)
            }

            async fn commune_base(&self, code: &str) -> $crate::StoreResult<$crate::CommuneBase> {
                // One read transaction: the objects and the version come from the same snapshot.
                let mut tx = self.pool.begin().await.map_err(Self::map_error)?;
                let commune = commune_row(&mut tx, code).await?;
                let mut base = $crate::CommuneBase::default();
                if let Some((commune, version)) = commune {
                    base.commune = Some(commune);
                    base.version = version;
                }
                base.toponyms = states(&mut tx, "base_toponyms", code).await?;
                base.addresses = states(&mut tx, "base_addresses", code).await?;
                tx.commit().await.map_err(Self::map_error)?;
                Ok(base)
            }

            async fn base_commune(&self, code: &str) -> $crate::StoreResult<Option<$crate::Commune>> {
                let mut tx = self.pool.begin().await.map_err(Self::map_error)?;
                let commune = commune_row(&mut tx, code).await?;
                tx.commit().await.map_err(Self::map_error)?;
                Ok(commune.map(|(commune, _)| commune))
            }

            async fn id_owners(
                &self,
                ids: &[$crate::BanId],
            ) -> $crate::StoreResult<Vec<($crate::BanId, String)>> {
                use sqlx::Row as _;
                let mut owners = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let ids: Vec<String> = chunk.iter().map(|id| id.to_string()).collect();
                    for table in ["base_toponyms", "base_addresses"] {
                        let mut query = sqlx::QueryBuilder::<$db>::new(format!("SELECT id, commune FROM {table} WHERE id IN ("));
                        let mut list = query.separated(", ");
                        for id in &ids {
                            list.push_bind(id);
                        }
                        query.push(")");
                        let rows = query.build().fetch_all(&self.pool).await.map_err(Self::map_error)?;
                        for row in rows {
                            let id: String = row.try_get("id").map_err(Self::map_error)?;
                            let commune: String = row.try_get("commune").map_err(Self::map_error)?;
                            let id = $crate::BanId::parse(&id)
                                .map_err(|_| Self::map_error(decode_error("id", &id)))?;
                            owners.push((id, commune));
                        }
                    }
                }
                Ok(owners)
            }

            async fn apply_changes(&self, changes: $crate::BaseChanges) -> $crate::StoreResult<$crate::Applied> {
                use sqlx::Row as _;
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                Self::lock_feed(&mut tx).await.map_err(Self::map_error)?;
                let code = changes.commune.code.clone();
                let version: i64 = sqlx::query("SELECT seq FROM base_communes WHERE code = $1")
                    .bind(&code)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Self::map_error)?
                    .map(|row| row.try_get("seq"))
                    .transpose()
                    .map_err(Self::map_error)?
                    .unwrap_or(0);
                if version != changes.planned_on {
                    return Err($crate::StoreError::Conflict(format!(
                        "commune {code} changed while its changes were planned (version {version}, planned on {})",
                        changes.planned_on
                    )));
                }
                let first: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM changes")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(Self::map_error)?
                    .try_get("next")
                    .map_err(Self::map_error)?;
                let revision = changes.commune.revision.clone();
                let mut feed = $crate::sql::Feed::new(first);
                // Streets before their numbers; numbers before the streets they leave.
                let (gone, kept): (Vec<_>, Vec<_>) =
                    changes.toponyms.iter().partition(|c| matches!(c, $crate::Change::Disabled(_)));
                for change in kept {
                    feed.push_toponym(change).map_err($crate::StoreError::database)?;
                }
                for change in &changes.addresses {
                    feed.push_address(change).map_err($crate::StoreError::database)?;
                }
                for change in gone {
                    feed.push_toponym(change).map_err($crate::StoreError::database)?;
                }
                let op = if version == 0 { $crate::ChangeOp::Created } else { $crate::ChangeOp::Updated };
                let commune_seq = feed.push_commune(op, &changes.commune).map_err($crate::StoreError::database)?;
                for chunk in feed.rows.chunks(CHUNK) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO changes (seq, kind, id, op, commune, revision, state, at) ",
                    );
                    query.push_values(chunk, |mut row, change| {
                        row.push_bind(change.seq)
                            .push_bind(change.kind)
                            .push_bind(&change.id)
                            .push_bind(change.op.as_str())
                            .push_bind(&code)
                            .push_bind(&revision)
                            .push_bind(sqlx::types::Json(&change.state))
                            .push_bind(changes.at);
                    });
                    query.build().execute(&mut *tx).await.map_err(Self::map_error)?;
                }
                for (table, kind) in [("base_toponyms", "toponym"), ("base_addresses", "address")] {
                    let rows: Vec<_> = feed.rows.iter().filter(|r| r.kind == kind).collect();
                    for chunk in rows.chunks(CHUNK) {
                        let mut query =
                            sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO {table} (id, commune, active, seq) "));
                        query.push_values(chunk, |mut row, change| {
                            row.push_bind(&change.id)
                                .push_bind(&code)
                                .push_bind(change.op != $crate::ChangeOp::Disabled)
                                .push_bind(change.seq);
                        });
                        query.push(
                            " ON CONFLICT (id) DO UPDATE SET commune = excluded.commune, \
                             active = excluded.active, seq = excluded.seq",
                        );
                        query.build().execute(&mut *tx).await.map_err(Self::map_error)?;
                    }
                }
                sqlx::query(
                    "INSERT INTO base_communes (code, id, source, revision_id, seq) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (code) DO UPDATE SET id = excluded.id, source = excluded.source, \
                     revision_id = excluded.revision_id, seq = excluded.seq",
                )
                .bind(&code)
                .bind(changes.commune.id.to_string())
                .bind(changes.commune.source.as_str())
                .bind(&revision)
                .bind(commune_seq)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_error)?;
                if let Some(job) = changes.job {
                    sqlx::query(
                        "UPDATE jobs SET status = 'done', outcome = 'applied', message = NULL, lease_until = NULL, \
                         updated_at = $2 WHERE id = $1",
                    )
                    .bind(job)
                    .bind(changes.at)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_error)?;
                }
                tx.commit().await.map_err(Self::map_error)?;
                Ok($crate::Applied { first_seq: first, last_seq: commune_seq })
            }

            async fn feed(&self, feed: &$crate::FeedQuery) -> $crate::StoreResult<Vec<$crate::FeedChange>> {
                let mut query = sqlx::QueryBuilder::<$db>::new(
                    "SELECT c.seq, c.kind, c.id, c.op, c.commune, c.revision, c.state, c.at FROM changes c WHERE c.seq > ",
                );
                query.push_bind(feed.since);
                if !feed.communes.is_empty() || !feed.departements.is_empty() {
                    query.push(" AND (");
                    let mut any = query.separated(" OR ");
                    for code in &feed.communes {
                        any.push("c.commune = ").push_bind_unseparated(code.clone());
                    }
                    for departement in &feed.departements {
                        let (low, high) = $crate::sql::departement_bounds(departement);
                        any.push("(c.commune >= ")
                            .push_bind_unseparated(low)
                            .push_unseparated(" AND c.commune < ")
                            .push_bind_unseparated(high)
                            .push_unseparated(")");
                    }
                    query.push(")");
                }
                if feed.current_only {
                    query.push(
                        " AND ((c.kind = 'address' AND EXISTS (SELECT 1 FROM base_addresses b WHERE b.id = c.id AND b.seq = c.seq)) \
                         OR (c.kind = 'toponym' AND EXISTS (SELECT 1 FROM base_toponyms b WHERE b.id = c.id AND b.seq = c.seq)) \
                         OR (c.kind = 'commune' AND EXISTS (SELECT 1 FROM base_communes b WHERE b.code = c.commune AND b.seq = c.seq)))",
                    );
                }
                query.push(" ORDER BY c.seq LIMIT ").push_bind(feed.limit.max(0));
                let rows = query.build().fetch_all(&self.pool).await.map_err(Self::map_error)?;
                map_rows(rows, |row| {
                    use sqlx::Row as _;
                    let state: sqlx::types::Json<Box<serde_json::value::RawValue>> = row.try_get("state")?;
                    Ok($crate::FeedChange {
                        seq: row.try_get("seq")?,
                        kind: row.try_get("kind")?,
                        id: row.try_get("id")?,
                        op: row.try_get("op")?,
                        commune: row.try_get("commune")?,
                        revision: row.try_get("revision")?,
                        state: state.0,
                        at: row.try_get("at")?,
                    })
                })
            }

            async fn last_seq(&self) -> $crate::StoreResult<i64> {
                use sqlx::Row as _;
                sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
                    .fetch_one(&self.pool)
                    .await
                    .and_then(|row| row.try_get("seq"))
                    .map_err(Self::map_error)
            }

            async fn base_communes(
                &self,
                departement: Option<&str>,
            ) -> $crate::StoreResult<Vec<$crate::BaseCommune>> {
                let mut query = sqlx::QueryBuilder::<$db>::new(
                    "SELECT c.state, b.seq, c.at FROM base_communes b JOIN changes c ON c.seq = b.seq",
                );
                if let Some(departement) = departement {
                    let (low, high) = $crate::sql::departement_bounds(departement);
                    query.push(" WHERE b.code >= ").push_bind(low).push(" AND b.code < ").push_bind(high);
                }
                query.push(" ORDER BY b.code");
                let rows = query.build().fetch_all(&self.pool).await.map_err(Self::map_error)?;
                map_rows(rows, |row| {
                    use sqlx::Row as _;
                    let state: sqlx::types::Json<$crate::Commune> = row.try_get("state")?;
                    Ok($crate::BaseCommune { commune: state.0, seq: row.try_get("seq")?, changed_at: row.try_get("at")? })
                })
            }

            async fn scope_seq(&self, departement: Option<&str>) -> $crate::StoreResult<i64> {
                use sqlx::Row as _;
                let mut query = sqlx::QueryBuilder::<$db>::new("SELECT COALESCE(MAX(seq), 0) AS seq FROM base_communes");
                if let Some(departement) = departement {
                    let (low, high) = $crate::sql::departement_bounds(departement);
                    query.push(" WHERE code >= ").push_bind(low).push(" AND code < ").push_bind(high);
                }
                query
                    .build()
                    .fetch_one(&self.pool)
                    .await
                    .and_then(|row| row.try_get("seq"))
                    .map_err(Self::map_error)
            }

            async fn find(&self, id: &$crate::BanId) -> $crate::StoreResult<Option<$crate::Found>> {
                use sqlx::Row as _;
                let row = sqlx::query(
                    "SELECT c.kind, c.state FROM base_addresses b JOIN changes c ON c.seq = b.seq WHERE b.id = $1 \
                     UNION ALL SELECT c.kind, c.state FROM base_toponyms b JOIN changes c ON c.seq = b.seq WHERE b.id = $1 \
                     UNION ALL SELECT c.kind, c.state FROM base_communes b JOIN changes c ON c.seq = b.seq WHERE b.id = $1",
                )
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::map_error)?;
                let Some(row) = row else { return Ok(None) };
                let kind: String = row.try_get("kind").map_err(Self::map_error)?;
                fn state<T: $crate::__private::serde::de::DeserializeOwned>(row: &Row) -> Result<T, sqlx::Error> {
                    use sqlx::Row as _;
                    row.try_get::<sqlx::types::Json<T>, _>("state").map(|state| state.0)
                }
                let found = match kind.as_str() {
                    "address" => state(&row).map($crate::Found::Address),
                    "toponym" => state(&row).map($crate::Found::Toponym),
                    "commune" => state(&row).map($crate::Found::Commune),
                    other => Err(decode_error("kind", other)),
                };
                found.map(Some).map_err(Self::map_error)
            }

            async fn replicate(&self, rows: &[$crate::FeedChange]) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await.map_err(Self::map_error)?;
                Self::lock_feed(&mut tx).await.map_err(Self::map_error)?;
                for chunk in rows.chunks(CHUNK) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO changes (seq, kind, id, op, commune, revision, state, at) ",
                    );
                    query.push_values(chunk, |mut row, change| {
                        row.push_bind(change.seq)
                            .push_bind(&change.kind)
                            .push_bind(&change.id)
                            .push_bind(&change.op)
                            .push_bind(&change.commune)
                            .push_bind(&change.revision)
                            .push_bind(sqlx::types::Json(&change.state))
                            .push_bind(change.at);
                    });
                    query.push(" ON CONFLICT (seq) DO NOTHING");
                    query.build().execute(&mut *tx).await.map_err(Self::map_error)?;
                }
                // The latest row of each object moves the base (an upsert may touch a row once).
                let mut latest = std::collections::BTreeMap::new();
                for change in rows {
                    let key = if change.kind == "commune" { change.commune.as_str() } else { change.id.as_str() };
                    latest.insert((change.kind.as_str(), key), change);
                }
                for (table, kind) in [("base_toponyms", "toponym"), ("base_addresses", "address")] {
                    let objects: Vec<_> = latest.values().filter(|c| c.kind == kind).collect();
                    for chunk in objects.chunks(CHUNK) {
                        let mut query =
                            sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO {table} (id, commune, active, seq) "));
                        query.push_values(chunk, |mut row, change| {
                            row.push_bind(&change.id)
                                .push_bind(&change.commune)
                                .push_bind(change.op != "disabled")
                                .push_bind(change.seq);
                        });
                        query.push(format!(
                            " ON CONFLICT (id) DO UPDATE SET commune = excluded.commune, active = excluded.active, \
                             seq = excluded.seq WHERE excluded.seq > {table}.seq"
                        ));
                        query.build().execute(&mut *tx).await.map_err(Self::map_error)?;
                    }
                }
                for change in latest.values().filter(|c| c.kind == "commune") {
                    let commune: $crate::Commune = serde_json::from_str(change.state.get())
                        .map_err($crate::StoreError::database)?;
                    sqlx::query(
                        "INSERT INTO base_communes (code, id, source, revision_id, seq) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (code) DO UPDATE SET id = excluded.id, source = excluded.source, \
                         revision_id = excluded.revision_id, seq = excluded.seq WHERE excluded.seq > base_communes.seq",
                    )
                    .bind(&commune.code)
                    .bind(commune.id.to_string())
                    .bind(commune.source.as_str())
                    .bind(&commune.revision)
                    .bind(change.seq)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_error)?;
                }
                tx.commit().await.map_err(Self::map_error)?;
                Ok(())
            }

            async fn base_counts(&self) -> $crate::StoreResult<(i64, i64, i64)> {
                use sqlx::Row as _;
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM base_communes) AS communes, \
                     (SELECT COUNT(*) FROM base_toponyms WHERE active) AS toponyms, \
                     (SELECT COUNT(*) FROM base_addresses WHERE active) AS addresses",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(Self::map_error)?;
                let count = |name: &str| row.try_get::<i64, _>(name).map_err(Self::map_error);
                Ok((count("communes")?, count("toponyms")?, count("addresses")?))
            }
        }
    };
}

/// Feed rows being prepared for one commune: numbered from the next free seq, each with its
/// object's state as JSON.
#[doc(hidden)]
#[derive(Debug)]
pub struct Feed {
    pub rows: Vec<FeedRow>,
    next: i64,
}

#[doc(hidden)]
#[derive(Debug)]
pub struct FeedRow {
    pub seq: i64,
    pub kind: &'static str,
    pub id: String,
    pub op: crate::ChangeOp,
    pub state: Box<serde_json::value::RawValue>,
}

impl Feed {
    pub fn new(first: i64) -> Self {
        Feed { rows: Vec::new(), next: first }
    }

    fn push<T: serde::Serialize>(
        &mut self,
        kind: &'static str,
        id: String,
        op: crate::ChangeOp,
        state: &T,
    ) -> Result<i64, serde_json::Error> {
        let seq = self.next;
        self.next += 1;
        self.rows.push(FeedRow { seq, kind, id, op, state: serde_json::value::to_raw_value(state)? });
        Ok(seq)
    }

    pub fn push_toponym(&mut self, change: &crate::Change<crate::Toponym>) -> Result<i64, serde_json::Error> {
        let state = change.state();
        self.push("toponym", state.id.to_string(), change.op(), state)
    }

    pub fn push_address(&mut self, change: &crate::Change<crate::Address>) -> Result<i64, serde_json::Error> {
        let state = change.state();
        self.push("address", state.id.to_string(), change.op(), state)
    }

    pub fn push_commune(
        &mut self,
        op: crate::ChangeOp,
        commune: &crate::Commune,
    ) -> Result<i64, serde_json::Error> {
        self.push("commune", commune.id.to_string(), op, commune)
    }
}

/// The range of commune codes of a département: `[dep, next)` (`54` → `54`..`55`, `2A` →
/// `2A`..`2B`, `971` → `971`..`972`). Codes compare as text, so one index range serves it.
pub fn departement_bounds(departement: &str) -> (String, String) {
    let mut high: Vec<char> = departement.chars().collect();
    if let Some(last) = high.last_mut() {
        *last = char::from_u32(*last as u32 + 1).unwrap_or(char::MAX);
    }
    (departement.to_owned(), high.into_iter().collect())
}
