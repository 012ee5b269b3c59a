//! Revisions: create, upload the file, compute, publish, and the read routes (open data for
//! published revisions, drafts and personal data for their client; see docs/depot.md); each
//! handler carries its OpenAPI description (`#[utoipa::path]`, see [`crate::openapi`]).
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ban_bal::Cog;
use ban_service_kit::openapi::CommunePath;
use ban_service_kit::ApiError;
use ban_store::ids::{is_object_id, object_id};
use ban_store::{
    AuditAction, AuthorizationStrategy, NewAuditEntry, NewRevision, Publication, Revision, RevisionFilter,
    RevisionSummary, StoreError, StoredFile,
};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use md5::Md5;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Digest;
use tokio_stream::StreamExt as _;
use tracing::Instrument as _;

use crate::consolidation::{with_consolidation, RevisionAnswer};
use crate::openapi::{ClientProblems, CurrentRevision, ReaderProblems};
use crate::pages::PageQuery;
use crate::{json_body, Authenticated, ClientIp, DepotState, Reader, MAX_FILE_BYTES};
use ban_service_kit::Problem;

type AppState = State<Arc<DepotState>>;

/// The revision of a route's path (`/revisions/{id}…`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RevisionPath {
    /// Identifiant de la révision (24 chiffres hexadécimaux)
    id: String,
}

pub(crate) fn checked_id(id: &str) -> Result<(), ApiError> {
    if is_object_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_id",
            format!("« {id} » n’est pas un identifiant valide (24 chiffres hexadécimaux)."),
        ))
    }
}

async fn revision_of(state: &DepotState, id: &str) -> Result<Revision, ApiError> {
    checked_id(id)?;
    state
        .store
        .revision(id)
        .await?
        .ok_or_else(|| ApiError::not_found("revision_not_found", format!("Révision {id} introuvable.")))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CommuneQuery {
    /// Accepter aussi une commune déléguée ou ancienne du COG.
    #[serde(default)]
    ancienne_commune_allowed: Option<bool>,
}

fn known_commune(code: &str, former_allowed: bool) -> Result<(), ApiError> {
    let cog = Cog::get();
    if cog.is_current(code) || (former_allowed && cog.is_former(code)) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "commune_not_found",
            format!("Commune {code} inconnue du Code officiel géographique."),
        ))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateBody {
    /// `{nomComplet, organisation, extras}`: qui dépose, gardé tel quel avec la révision.
    #[schema(value_type = Object, required = true)]
    context: Option<Value>,
}

/// `POST /communes/{code}/revisions`
#[utoipa::path(
    post,
    path = "/communes/{code}/revisions",
    tag = "revisions",
    summary = "Créer une révision pour une commune",
    params(CommunePath, CommuneQuery),
    request_body(content = CreateBody, description = "Le contexte de la révision", content_type = "application/json"),
    security(("token" = [])),
    responses(
        (status = 201, description = "La révision créée, en attente", body = Revision),
        (status = 400, description = "Corps invalide (context manquant)", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Commune inconnue du COG", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): AppState,
    Path(CommunePath { code }): Path<CommunePath>,
    Query(query): Query<CommuneQuery>,
    caller: Authenticated,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Revision>), ApiError> {
    known_commune(&code, query.ancienne_commune_allowed.unwrap_or(false))?;
    let body = json_body(body)?;
    let context = match body.context {
        Some(context @ Value::Object(_)) => context,
        _ => return Err(ApiError::bad_request("invalid_body", "Le champ context (objet) est requis.")),
    };
    let now = Utc::now();
    let revision =
        NewRevision { id: object_id(now), client_id: caller.0.id.clone(), code_commune: code, context };
    let revision = state.store.create_revision(revision, now).await?;
    tracing::info!(revision = %revision.id, commune = %revision.code_commune, client = %caller.0.id, "revision created");
    Ok((StatusCode::CREATED, Json(revision)))
}

/// `PUT /revisions/{id}/files/bal`: the raw file, at most 50,000,000 bytes.
#[utoipa::path(
    put,
    path = "/revisions/{id}/files/bal",
    tag = "revisions",
    summary = "Déposer le fichier BAL (corps brut, 50 000 000 octets au plus)",
    params(RevisionPath, ("content-md5" = Option<String>, Header, description = "MD5 du fichier, en base64 : vérifié s’il est donné")),
    request_body(content = String, description = "Le fichier BAL, sans Content-Encoding", content_type = "text/csv"),
    security(("token" = [])),
    responses(
        (status = 200, description = "Le fichier attaché", body = StoredFile),
        (status = 400, description = "Identifiant invalide, Content-Encoding, Content-MD5 différent", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Révision inconnue, ou fichier vide", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Révision plus en attente, ou fichier déjà attaché", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Fichier trop gros", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    State(state): AppState,
    Path(RevisionPath { id }): Path<RevisionPath>,
    caller: Authenticated,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<StoredFile>, ApiError> {
    let revision = revision_of(&state, &id).await?;
    caller.owns(&revision.client_id)?;
    if headers.contains_key(header::CONTENT_ENCODING) {
        return Err(ApiError::bad_request(
            "content_encoding",
            "Le fichier doit être envoyé sans Content-Encoding.",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("Le fichier dépasse la taille maximale de {MAX_FILE_BYTES} octets."),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES as u64) {
        return Err(too_large());
    }
    if revision.status != ban_store::RevisionStatus::Pending {
        return Err(ApiError::precondition("revision_not_pending", "La révision n’est plus en attente."));
    }
    let bytes: Bytes = axum::body::to_bytes(body, MAX_FILE_BYTES).await.map_err(|_| too_large())?;
    if bytes.is_empty() {
        return Err(ApiError::not_found("file_missing", "Fichier non fourni."));
    }
    if let Some(expected) = headers.get("content-md5").and_then(|v| v.to_str().ok()) {
        if BASE64.encode(Md5::digest(&bytes)) != expected.trim() {
            return Err(ApiError::bad_request(
                "content_md5_mismatch",
                "Le Content-MD5 ne correspond pas au fichier reçu.",
            ));
        }
    }
    let file = crate::validation::bal_file(&revision.id, &bytes, Utc::now());
    let file = state.store.attach_file(&revision.id, file, &bytes).await.map_err(|e| match e {
        StoreError::Precondition(message) | StoreError::Conflict(message) => {
            ApiError::precondition("file_already_attached", message)
        }
        other => other.into(),
    })?;
    tracing::info!(revision = %revision.id, size = file.size, hash = %file.hash, "file attached");
    Ok(Json(file))
}

/// `POST /revisions/{id}/compute`: validates the file (off the async runtime).
#[utoipa::path(
    post,
    path = "/revisions/{id}/compute",
    tag = "revisions",
    summary = "Valider le fichier de la révision",
    params(RevisionPath),
    security(("token" = [])),
    responses(
        (status = 200, description = "La révision avec sa validation (validation.valid false si le fichier a des erreurs)", body = Revision),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Révision inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "D’autres révisions de la commune ont été publiées pendant chaque validation : recommencer", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Révision plus en attente, ou sans fichier", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Trop de validations en cours (Retry-After dit quand réessayer)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn compute(
    State(state): AppState,
    Path(RevisionPath { id }): Path<RevisionPath>,
    caller: Authenticated,
) -> Result<Json<Revision>, ApiError> {
    let revision = revision_of(&state, &id).await?;
    caller.owns(&revision.client_id)?;
    if revision.status != ban_store::RevisionStatus::Pending {
        return Err(ApiError::precondition("revision_not_pending", "La révision n’est plus en attente."));
    }
    // Taken before the file is read: a busy depot holds no more files in memory.
    let _permit = state.compute_permit()?;
    let bytes = state.store.file_bytes(&revision.id).await?.ok_or_else(|| {
        ApiError::precondition("file_missing", "Aucun fichier n’est attaché à la révision.")
    })?;
    let revision = crate::validation::compute_revision(&*state.store, &revision, &caller.0, bytes)
        .await
        .map_err(|e| match e {
            crate::validation::ComputeError::Store(StoreError::Conflict(message)) => outdated(message),
            crate::validation::ComputeError::Store(e) => e.into(),
            stopped => ApiError::internal("validation_failed", stopped),
        })?;
    Ok(Json(revision))
}

/// 409: another revision of the commune was published since the file was checked.
fn outdated(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "revision_outdated", message)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishBody {
    /// L’habilitation acceptée de la commune (clients qui publient par habilitation).
    habilitation_id: Option<String>,
}

/// `POST /revisions/{id}/publish`
#[utoipa::path(
    post,
    path = "/revisions/{id}/publish",
    tag = "revisions",
    summary = "Publier une révision valide",
    params(RevisionPath),
    request_body(content = Option<PublishBody>, description = "L’habilitation, pour les clients qui publient par habilitation", content_type = "application/json"),
    security(("token" = [])),
    responses(
        (status = 200, description = "La révision publiée, devenue courante, avec sa consolidation (en attente)", body = RevisionAnswer),
        (status = 400, description = "Identifiant invalide, habilitationId manquant", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Révision inconnue, ou aucune habilitation acceptée", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Une autre révision de la commune a été publiée depuis la validation : le fichier doit être validé à nouveau", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Révision pas en attente, pas calculée ou pas valide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish(
    State(state): AppState,
    Path(RevisionPath { id }): Path<RevisionPath>,
    caller: Authenticated,
    ClientIp(ip): ClientIp,
    body: Option<Json<PublishBody>>,
) -> Result<Json<RevisionAnswer>, ApiError> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let revision = revision_of(&state, &id).await?;
    caller.owns(&revision.client_id)?;
    let impossible = || {
        ApiError::precondition(
            "publication_impossible",
            "La publication n’est pas possible : la révision doit être en attente et valide (calculée).",
        )
    };
    if revision.status != ban_store::RevisionStatus::Pending || revision.validation.is_none() {
        return Err(impossible());
    }
    // Checked against a revision that is no longer current: say so rather than "not ready"
    // (the publication that replaced it made this one not ready). The store checks again.
    let current = state.store.current_revision(&revision.code_commune).await?.map(|r| r.id);
    if current != revision.checked_against {
        return Err(outdated(ban_store::outdated_check(&revision.code_commune, current.as_deref())));
    }
    if !revision.is_ready {
        return Err(impossible());
    }
    let habilitation = match caller.0.authorization_strategy {
        AuthorizationStrategy::Habilitation => {
            let hid = body.habilitation_id.ok_or_else(|| {
                ApiError::bad_request("habilitation_required", "Ce client doit fournir habilitationId.")
            })?;
            let h = crate::habilitations::accepted(&state, &caller.0, &hid, &revision.code_commune).await?;
            Some(serde_json::to_value(&h).unwrap_or(Value::Null))
        }
        _ => None,
    };
    let published =
        state.store.publish(&revision.id, Publication { habilitation, at: Utc::now() }).await.map_err(
            |e| match e {
                StoreError::Precondition(_) => impossible(),
                StoreError::Conflict(message) => outdated(message),
                other => other.into(),
            },
        )?;
    tracing::info!(revision = %published.id, commune = %published.code_commune, "revision published");
    let habilitation = published.habilitation.as_ref().and_then(|h| h["id"].as_str());
    let detail = match (habilitation, published.rows_count) {
        (Some(h), Some(rows)) => format!("{rows} lignes, habilitation {h}"),
        (Some(h), None) => format!("habilitation {h}"),
        (None, Some(rows)) => format!("{rows} lignes"),
        (None, None) => String::new(),
    };
    let entry = NewAuditEntry::by_client(&caller.0.id, AuditAction::RevisionPublished)
        .object(&published.id)
        .commune(&published.code_commune)
        .ip(ip)
        .detail(detail);
    crate::audit::record(&state, entry).await;
    Ok(Json(with_consolidation(&*state.store, published).await?))
}

/// What everyone may read of a submitter's context: the organisation and the extras (the
/// ids the platform's tools read: `balId`, `sourceId`…), as the production API shows them;
/// never the person (`nomComplet`) nor anything else a client put there (an e-mail…).
fn public_context(context: &Value) -> Value {
    let Value::Object(fields) = context else { return json!({}) };
    let kept = fields.iter().filter(|(key, _)| matches!(key.as_str(), "organisation" | "extras"));
    Value::Object(kept.map(|(key, value)| (key.clone(), value.clone())).collect())
}

/// A revision as `reader` may see it: a draft only by its client and the administrators
/// (403 for anyone else, as the production API answers for the file of an unpublished
/// revision), the submitter's personal data only by them too.
fn readable(reader: &Reader, mut revision: Revision) -> Result<Revision, ApiError> {
    if reader.sees_all_of(&revision.client_id) {
        return Ok(revision);
    }
    if revision.status != ban_store::RevisionStatus::Published {
        return Err(ApiError::forbidden(
            "revision_not_published",
            "La révision n’est pas encore accessible car non publiée : seuls son client et les administrateurs la voient.",
        ));
    }
    revision.context = public_context(&revision.context);
    Ok(revision)
}

/// `GET /revisions/{id}`
#[utoipa::path(
    get,
    path = "/revisions/{id}",
    tag = "revisions",
    summary = "Une révision, avec son rapport de validation complet et sa consolidation",
    description = "Une révision publiée est publique, sans les données personnelles de celui qui l’a déposée \
        (du contexte, seuls organisation et extras sont montrés). Un brouillon (révision non publiée) \
        et le contexte complet ne sont montrés qu’au client de la révision et aux administrateurs.",
    params(RevisionPath),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "La révision, avec la consolidation de sa publication (intégrée avec ses comptes, en attente, ou refusée avec son motif)", body = RevisionAnswer),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
        (status = 404, description = "Révision inconnue", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): AppState,
    Path(RevisionPath { id }): Path<RevisionPath>,
    reader: Reader,
) -> Result<Json<RevisionAnswer>, ApiError> {
    let revision = readable(&reader, revision_of(&state, &id).await?)?;
    Ok(Json(with_consolidation(&*state.store, revision).await?))
}

/// A revision's file, streamed from the store piece by piece ([`ban_store::FILE_PIECE_BYTES`]): a
/// download holds a few pieces, whatever the file's size.
async fn file_response(state: &DepotState, revision: &Revision) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("file_missing", "Aucun fichier pour cette révision.");
    let file = state.store.file(&revision.id).await?.ok_or_else(missing)?;
    // The first piece is read before answering, so that a failing store is a 5xx.
    let first = state.store.file_piece(&revision.id, 0).await?.ok_or_else(missing)?;
    let size = u64::try_from(file.size).unwrap_or(0);
    let body = if first.len() as u64 >= size {
        Body::from(first)
    } else {
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
        let (store, id, mut sent) = (state.store.clone(), revision.id.clone(), first.len() as u64);
        tokio::spawn(
            async move {
                let mut index = 1;
                while sent < size {
                    let piece = match store.file_piece(&id, index).await {
                        Ok(Some(piece)) if !piece.is_empty() => piece,
                        outcome => {
                            let error = outcome
                                .err()
                                .map_or("file shorter than its size".to_owned(), |e| e.to_string());
                            tracing::error!(revision = %id, index, error, "file download stopped");
                            // The client sees a cut answer (shorter than Content-Length).
                            let _ = sender.send(Err(std::io::Error::other("download stopped"))).await;
                            return;
                        }
                    };
                    (sent, index) = (sent + piece.len() as u64, index + 1);
                    if sender.send(Ok(Bytes::from(piece))).await.is_err() {
                        return; // The client went away.
                    }
                }
            }
            .instrument(tracing::Span::current()),
        );
        let rest = tokio_stream::wrappers::ReceiverStream::new(receiver);
        Body::from_stream(tokio_stream::once(Ok(Bytes::from(first))).chain(rest))
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    let name = format!("bal-{}.csv", revision.code_commune);
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `GET /revisions/{id}/files/bal/download`
#[utoipa::path(
    get,
    path = "/revisions/{id}/files/bal/download",
    tag = "revisions",
    summary = "Télécharger le fichier d’une révision",
    description = "Le fichier d’une révision publiée est public ; celui d’un brouillon n’est servi qu’à son client \
        et aux administrateurs (403 pour les autres).",
    params(RevisionPath),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Le fichier BAL, tel que déposé", content_type = "text/csv", body = String, headers(("content-disposition" = String, description = "attachment; filename=\"bal-CODE.csv\""))),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
        (status = 404, description = "Révision inconnue, ou sans fichier", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn file(
    State(state): AppState,
    Path(RevisionPath { id }): Path<RevisionPath>,
    reader: Reader,
) -> Result<Response, ApiError> {
    let revision = readable(&reader, revision_of(&state, &id).await?)?;
    file_response(&state, &revision).await
}

/// How the findings of a file are written.
#[derive(Debug, Default, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FindingsFormat {
    /// `;`-separated, with a header line: line;row;field;code;level;value;label
    #[default]
    Csv,
    /// One JSON object per line, with the same keys.
    Ndjson,
}

/// The query of the findings route.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FindingsQuery {
    /// `csv` (par défaut) ou `ndjson`
    #[serde(default)]
    #[param(inline)]
    format: FindingsFormat,
}

/// Bytes of findings sent to the client at once.
const FINDINGS_CHUNK: usize = 64 * 1024;

/// `GET /revisions/{id}/files/bal/findings`
#[utoipa::path(
    get,
    path = "/revisions/{id}/files/bal/findings",
    tag = "revisions",
    summary = "Toutes les anomalies du fichier d’une révision",
    description = "La validation enregistrée garde les 100 premières anomalies de chaque code, avec le nombre de \
        toutes (`issueCounts`). Cette route les donne toutes, ligne par ligne, en revalidant le fichier : \
        les anomalies des lignes (puis des contrôles entre lignes et des positions), ou les erreurs de lecture. \
        Le fichier d’une révision publiée est public ; celui d’un brouillon n’est lu que pour son client et les \
        administrateurs. La réponse est envoyée au fil de la validation, en mémoire constante.",
    params(RevisionPath, FindingsQuery),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Les anomalies : line;row;field;code;level;value;label (niveau E, W ou I ; libellé en français)", content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, description = "Identifiant ou format invalide", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
        (status = 404, description = "Révision inconnue, ou sans fichier", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Le fichier n’est pas lisible comme du texte", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Trop de validations en cours (en-tête Retry-After)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn findings(
    State(state): AppState,
    Path(RevisionPath { id }): Path<RevisionPath>,
    query: Result<Query<FindingsQuery>, axum::extract::rejection::QueryRejection>,
    reader: Reader,
) -> Result<Response, ApiError> {
    let Query(FindingsQuery { format }) = query.map_err(|e| {
        ApiError::bad_request(
            "invalid_format",
            format!("Paramètre invalide : {} (format : csv ou ndjson).", e.body_text()),
        )
    })?;
    let revision = readable(&reader, revision_of(&state, &id).await?)?;
    let commune = ban_domain::InseeCode::parse(&revision.code_commune)
        .map_err(|e| ApiError::internal("invalid_commune", format!("revision {id}: {e}")))?;
    // A validation like a compute: the same cap, taken before the file is read.
    let permit = state.compute_permit()?;
    let bytes = state.store.file_bytes(&revision.id).await?.ok_or_else(|| {
        ApiError::not_found("file_not_found", format!("La révision {id} n’a pas de fichier."))
    })?;
    if let Err(refusal) = ban_bal::read::detect(&bytes[..]) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "file_unreadable",
            format!("Le fichier n’est pas lisible : {refusal}."),
        ));
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let _permit = permit;
        // Lines gather here and leave in chunks; a full channel holds the validation back (the
        // client reads slowly), a closed one (the client left) makes the rest a no-op.
        let pending = Arc::new(std::sync::Mutex::new((Vec::with_capacity(FINDINGS_CHUNK), false)));
        let flush = {
            let sender = sender.clone();
            move |buffer: &mut Vec<u8>, closed: &mut bool| {
                if !*closed && !buffer.is_empty() {
                    let chunk = Bytes::from(std::mem::replace(buffer, Vec::with_capacity(FINDINGS_CHUNK)));
                    *closed = sender.blocking_send(Ok(chunk)).is_err();
                }
                buffer.clear();
            }
        };
        if let FindingsFormat::Csv = format {
            lock(&pending).0.extend_from_slice(ban_bal::findings::CSV_HEADER.as_bytes());
        }
        let sink = {
            let (pending, flush) = (pending.clone(), flush.clone());
            ban_bal::FindingSink::new(move |finding| {
                let mut guard = lock(&pending);
                let (buffer, closed) = &mut *guard;
                if *closed {
                    return;
                }
                match format {
                    FindingsFormat::Csv => finding.write_csv(buffer),
                    FindingsFormat::Ndjson => finding.write_ndjson(buffer),
                }
                if buffer.len() >= FINDINGS_CHUNK {
                    flush(buffer, closed);
                }
            })
        };
        match ban_bal::revision::each_finding(&bytes, commune, sink) {
            Ok(()) => {
                let mut guard = lock(&pending);
                let (buffer, closed) = &mut *guard;
                flush(buffer, closed);
            }
            Err(refusal) => {
                tracing::error!(%refusal, "findings stopped");
                let _ = sender.blocking_send(Err(std::io::Error::other("findings stopped")));
            }
        }
    });
    let content_type = match format {
        FindingsFormat::Csv => "text/csv; charset=utf-8",
        FindingsFormat::Ndjson => "application/x-ndjson",
    };
    let mut response =
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn current_of(state: &DepotState, code: &str, query: &CommuneQuery) -> Result<Revision, ApiError> {
    known_commune(code, query.ancienne_commune_allowed.unwrap_or(false))?;
    state.store.current_revision(code).await?.ok_or_else(|| {
        ApiError::not_found("no_current_revision", format!("Aucune révision trouvée pour la commune {code}."))
    })
}

/// `GET /communes/{code}/current-revision`
#[utoipa::path(
    get,
    path = "/communes/{code}/current-revision",
    tag = "revisions",
    summary = "Révision courante d’une commune",
    description = "Publique, sans les données personnelles de celui qui l’a déposée (montrées à son client et aux administrateurs).",
    params(CommunePath, CommuneQuery),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "La révision courante", body = Revision),
        ReaderProblems,
        (status = 404, description = "Commune inconnue, ou sans révision publiée", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn current(
    State(state): AppState,
    Path(CommunePath { code }): Path<CommunePath>,
    Query(query): Query<CommuneQuery>,
    reader: Reader,
) -> Result<Json<Revision>, ApiError> {
    Ok(Json(readable(&reader, current_of(&state, &code, &query).await?)?))
}

/// `GET /communes/{code}/current-revision/files/bal/download`
#[utoipa::path(
    get,
    path = "/communes/{code}/current-revision/files/bal/download",
    tag = "revisions",
    summary = "Fichier BAL courant d’une commune",
    params(CommunePath, CommuneQuery),
    responses(
        (status = 200, description = "Le fichier BAL, tel que déposé", content_type = "text/csv", body = String, headers(("content-disposition" = String, description = "attachment; filename=\"bal-CODE.csv\""))),
        (status = 404, description = "Commune inconnue, ou sans révision publiée", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn current_file(
    State(state): AppState,
    Path(CommunePath { code }): Path<CommunePath>,
    Query(query): Query<CommuneQuery>,
) -> Result<Response, ApiError> {
    let revision = current_of(&state, &code, &query).await?;
    file_response(&state, &revision).await
}

/// A page of revisions as `reader` may see them (the store left out the drafts it may not).
fn readable_page(reader: &Reader, items: Vec<RevisionSummary>) -> Vec<RevisionSummary> {
    items
        .into_iter()
        .map(|mut revision| {
            if !reader.sees_all_of(&revision.client_id) {
                revision.context = public_context(&revision.context);
            }
            revision
        })
        .collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// `published` (par défaut), `pending` ou `all`.
    #[param(pattern = "^(published|pending|all)$")]
    status: Option<String>,
}

/// `GET /communes/{code}/revisions?status=published|pending|all&page=N&limit=M`
#[utoipa::path(
    get,
    path = "/communes/{code}/revisions",
    tag = "revisions",
    summary = "Révisions d’une commune, par page",
    description = "Les plus anciennes d’abord, sans leur rapport de validation (GET /revisions/{id}). Les brouillons \
        (pending) ne sont listés que pour leur client et les administrateurs. Le corps est la page (un tableau) ; \
        X-Total-Count et Link (first, prev, next, last) disent le reste.",
    params(CommunePath, StatusQuery, PageQuery),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Une page des révisions", body = Vec<RevisionSummary>, headers(
            ("x-total-count" = u64, description = "Nombre de révisions de la liste entière"),
            ("link" = String, description = "Les pages first, prev, next et last (RFC 8288)"))),
        (status = 400, description = "status, page ou limit invalide", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn commune_revisions(
    State(state): AppState,
    Path(CommunePath { code }): Path<CommunePath>,
    Query(query): Query<StatusQuery>,
    Query(page): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
    reader: Reader,
) -> Result<(HeaderMap, Json<Vec<RevisionSummary>>), ApiError> {
    let filter = match query.status.as_deref() {
        None | Some("published") => RevisionFilter::Published,
        Some("pending") => RevisionFilter::Pending,
        Some("all") => RevisionFilter::All,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                format!("status « {other} » : attendu published, pending ou all."),
            ))
        }
    };
    let paging = page.paging()?;
    let found = state.store.commune_revisions(&code, filter, reader.viewer(), paging.request()).await?;
    let headers = paging.headers(&uri, &found);
    Ok((headers, Json(readable_page(&reader, found.items))))
}

/// Commune codes `codesCommunes` may list.
const MAX_CODES: usize = 1000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CurrentQuery {
    /// Publiées depuis cette date (RFC 3339, ou AAAA-MM-JJ).
    published_since: Option<String>,
    /// Ces communes seulement : codes INSEE séparés par des virgules (1 000 au plus).
    codes_communes: Option<String>,
}

/// `GET /current-revisions?publishedSince=DATE&codesCommunes=a,b&page=N&limit=M`
#[utoipa::path(
    get,
    path = "/current-revisions",
    tag = "revisions",
    summary = "Révisions courantes, par page",
    description = "Par code commune. Le corps est la page (un tableau) ; X-Total-Count et Link (first, prev, next, last) \
        disent le reste. Les révisions de communes sorties du COG sont comptées mais pas listées.",
    params(CurrentQuery, PageQuery),
    responses(
        (status = 200, description = "Une page des révisions courantes des communes actuelles", body = Vec<CurrentRevision>, headers(
            ("x-total-count" = u64, description = "Nombre de révisions courantes de la liste entière"),
            ("link" = String, description = "Les pages first, prev, next et last (RFC 8288)"))),
        (status = 400, description = "publishedSince n’est pas une date ; codesCommunes vide ou trop long ; page ou limit invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn current_revisions(
    State(state): AppState,
    Query(query): Query<CurrentQuery>,
    Query(page): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<CurrentRevision>>), ApiError> {
    let since = match query.published_since.as_deref() {
        None => None,
        Some(text) => Some(parse_date(text).ok_or_else(|| {
            ApiError::bad_request("invalid_date", format!("publishedSince « {text} » n’est pas une date."))
        })?),
    };
    let codes: Option<Vec<String>> = query
        .codes_communes
        .map(|c| c.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    match codes.as_ref().map(Vec::len) {
        Some(0) => {
            return Err(ApiError::bad_request(
                "invalid_codes_communes",
                "codesCommunes est vide : omettez-le pour toutes les communes.",
            ))
        }
        Some(n) if n > MAX_CODES => {
            return Err(ApiError::bad_request(
                "invalid_codes_communes",
                format!("codesCommunes : {n} codes, {MAX_CODES} au plus."),
            ))
        }
        _ => {}
    }
    let paging = page.paging()?;
    let found = state.store.current_revisions(since, codes.as_deref(), paging.request()).await?;
    let headers = paging.headers(&uri, &found);
    let cog = Cog::get();
    let items = found
        .items
        .into_iter()
        .filter(|r| cog.is_current(&r.code_commune))
        .map(|r| CurrentRevision {
            id: r.id,
            code_commune: r.code_commune,
            published_at: r.published_at,
            client_id: r.client_id,
        })
        .collect();
    Ok((headers, Json(items)))
}

fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

/// `GET /revisions/client/{clientId}?page=N&limit=M`
#[utoipa::path(
    get,
    path = "/revisions/client/{client_id}",
    tag = "revisions",
    summary = "Révisions d’un client, par page",
    description = "Les plus anciennes d’abord, sans leur rapport de validation. Ses brouillons et le contexte complet \
        ne sont montrés qu’au client lui-même et aux administrateurs ; les autres voient ses révisions publiées. \
        Le corps est la page (un tableau) ; X-Total-Count et Link (first, prev, next, last) disent le reste.",
    params(("client_id" = String, Path, description = "Identifiant du client"), PageQuery),
    security((), ("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Une page des révisions du client", body = Vec<RevisionSummary>, headers(
            ("x-total-count" = u64, description = "Nombre de révisions de la liste entière"),
            ("link" = String, description = "Les pages first, prev, next et last (RFC 8288)"))),
        (status = 400, description = "page ou limit invalide", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn client_revisions(
    State(state): AppState,
    Path(client_id): Path<String>,
    Query(page): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
    reader: Reader,
) -> Result<(HeaderMap, Json<Vec<RevisionSummary>>), ApiError> {
    let paging = page.paging()?;
    let found = state.store.client_revisions(&client_id, reader.viewer(), paging.request()).await?;
    let headers = paging.headers(&uri, &found);
    Ok((headers, Json(readable_page(&reader, found.items))))
}
