//! What became of a publication: the consolidation of each revision, as its producer is told
//! it (on the revision's answer and per commune), and the administrators' decision to force
//! a refused plan (the route here; `ban jobs force` calls [`force`] too). Each handler
//! carries its OpenAPI description (`#[utoipa::path]`, see [`crate::openapi`]).
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use ban_bal::Cog;
use ban_service_kit::openapi::CommunePath;
use ban_service_kit::{ApiError, Problem};
use ban_store::{
    AuditAction, ChangeCounts, Job, JobStatus, NewAuditEntry, Refusal, Revision, Store, StoreError, REFUSED,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Admin, ClientIp, DepotState};

type AppState = State<Arc<DepotState>>;

/// Where the consolidation of a revision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConsolidationStatus {
    /// Queued, not yet worked (or waiting to be tried again).
    Pending,
    /// A worker is on it.
    Running,
    /// Its changes are in the national base.
    Applied,
    /// The base already held this revision.
    Unchanged,
    /// A later revision of the commune was published before this one was consolidated.
    Superseded,
    /// Not applied, rightly (a legacy export for a commune that publishes its BAL).
    Skipped,
    /// Its plan breaks a rule of the base: not applied (see `refusal`).
    Refused,
    /// An internal error: operators must act.
    Failed,
}

impl ConsolidationStatus {
    /// The status in plain French.
    fn label(self, forced: bool) -> &'static str {
        match self {
            ConsolidationStatus::Pending => "En attente d’intégration dans la Base Adresse Nationale",
            ConsolidationStatus::Running => "En cours d’intégration dans la Base Adresse Nationale",
            ConsolidationStatus::Applied if forced => {
                "Intégrée à la Base Adresse Nationale, publication forcée par un administrateur"
            }
            ConsolidationStatus::Applied => "Intégrée à la Base Adresse Nationale",
            ConsolidationStatus::Unchanged => {
                "Déjà intégrée : la Base Adresse Nationale contenait cette révision"
            }
            ConsolidationStatus::Superseded => {
                "Remplacée par une publication plus récente de la commune avant d’être intégrée"
            }
            ConsolidationStatus::Skipped => "Non intégrée : la commune publie sa propre Base Adresse Locale",
            ConsolidationStatus::Refused => "Refusée : non intégrée à la Base Adresse Nationale",
            ConsolidationStatus::Failed => {
                "Erreur interne lors de l’intégration : l’équipe technique de la plateforme doit intervenir"
            }
        }
    }
}

/// Why a consolidation was refused: the rule (`code` and its figures) and, in plain French,
/// why and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefusalAnswer {
    #[serde(flatten)]
    pub rule: Refusal,
    /// Le motif, en clair.
    pub message: String,
    /// Ce qu’il faut faire.
    pub advice: String,
}

impl From<Refusal> for RefusalAnswer {
    fn from(rule: Refusal) -> Self {
        RefusalAnswer { message: rule.message(), advice: rule.advice().to_owned(), rule }
    }
}

/// The consolidation of a revision into the national base, as its producer is told it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Consolidation {
    pub status: ConsolidationStatus,
    /// Le statut, en clair.
    pub label: String,
    /// Its job (what `POST /jobs/{id}/force` and `ban jobs` name).
    pub job_id: i64,
    pub revision_id: String,
    /// When it was queued: the revision's publication.
    pub queued_at: DateTime<Utc>,
    /// When it reached its status (applied, refused…); for a pending one, its last change.
    pub updated_at: DateTime<Utc>,
    /// What the applied revision changed (addresses and toponyms added, updated, deleted,
    /// unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangeCounts>,
    /// Why it was refused; on an applied consolidation an administrator forced, the refusal
    /// that was overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalAnswer>,
    /// When an administrator forced the refused plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced_at: Option<DateTime<Utc>>,
}

impl From<Job> for Consolidation {
    fn from(job: Job) -> Self {
        let status = match (job.status, job.outcome.as_deref()) {
            (JobStatus::Pending, _) => ConsolidationStatus::Pending,
            (JobStatus::Running, _) => ConsolidationStatus::Running,
            (JobStatus::Failed, Some(REFUSED)) => ConsolidationStatus::Refused,
            (JobStatus::Failed, _) => ConsolidationStatus::Failed,
            (JobStatus::Done, Some("applied")) => ConsolidationStatus::Applied,
            (JobStatus::Done, Some("superseded")) => ConsolidationStatus::Superseded,
            (JobStatus::Done, Some("skipped")) => ConsolidationStatus::Skipped,
            (JobStatus::Done, _) => ConsolidationStatus::Unchanged,
        };
        let forced = job.forced_at.is_some();
        // A refusal is shown while it stands, and once forced through; a plan refused then
        // applied on its own (retried after the base changed) no longer has one.
        let refusal = job.refusal.filter(|_| status == ConsolidationStatus::Refused || forced);
        Consolidation {
            status,
            label: status.label(forced).to_owned(),
            job_id: job.id,
            revision_id: job.revision_id,
            queued_at: job.created_at,
            updated_at: job.updated_at,
            changes: job.counts.filter(|_| status == ConsolidationStatus::Applied),
            refusal: refusal.map(RefusalAnswer::from),
            forced_at: job.forced_at,
        }
    }
}

/// A revision with the consolidation of its publication (absent while it is not published).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionAnswer {
    #[serde(flatten)]
    pub revision: Revision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consolidation: Option<Consolidation>,
}

/// `revision` with its consolidation, as the store knows it now.
pub async fn with_consolidation(store: &dyn Store, revision: Revision) -> Result<RevisionAnswer, StoreError> {
    let consolidation = store.revision_job(&revision.id).await?.map(Consolidation::from);
    Ok(RevisionAnswer { revision, consolidation })
}

/// The consolidations of a commune's last publications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommuneConsolidations {
    pub code_commune: String,
    pub nom_commune: Option<String>,
    /// The commune's current revision: its last publication.
    pub current_revision_id: Option<String>,
    /// The revision the national base holds for the commune: the current one once its
    /// consolidation is applied, an earlier one while it waits or after it was refused.
    pub base_revision_id: Option<String>,
    /// Newest first.
    pub consolidations: Vec<Consolidation>,
}

/// Publications listed by default, and at most.
const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 100;

/// `limit`, read as text so that a wrong value gets an answer that names it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// Nombre de publications listées (10 par défaut, 100 au plus).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 10)]
    limit: Option<String>,
}

/// `GET /communes/{code}/consolidations?limit=N`
#[utoipa::path(
    get,
    path = "/communes/{code}/consolidations",
    tag = "consolidation",
    summary = "Ce que sont devenues les dernières publications d’une commune",
    description = "Pour chaque publication, la plus récente d’abord : intégrée à la Base Adresse Nationale (avec le \
        nombre d’adresses et de voies ajoutées, modifiées, supprimées et inchangées), en attente, ou refusée (avec \
        le motif en clair et ce qu’il faut faire). currentRevisionId est la dernière publication, baseRevisionId \
        celle que la Base Adresse Nationale contient. Public, comme les révisions publiées.",
    params(CommunePath, LimitQuery),
    responses(
        (status = 200, description = "Les consolidations des dernières publications", body = CommuneConsolidations),
        (status = 400, description = "limit invalide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Commune inconnue du COG", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn commune(
    State(state): AppState,
    Path(CommunePath { code }): Path<CommunePath>,
    Query(query): Query<LimitQuery>,
) -> Result<Json<CommuneConsolidations>, ApiError> {
    let cog = Cog::get();
    if !cog.is_current(&code) && !cog.is_former(&code) {
        return Err(ApiError::not_found(
            "commune_not_found",
            format!("Commune {code} inconnue du Code officiel géographique."),
        ));
    }
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => {
            text.trim().parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_limit",
                    format!("limit « {text} » : attendu un entier de 1 à {MAX_LIMIT}."),
                )
            })?
        }
    };
    let store = &*state.store;
    let jobs = store.recent_jobs(&code, limit).await?;
    let current = store.current_revision(&code).await?.map(|r| r.id);
    let base = store.base_commune(&code).await?.and_then(|c| c.revision);
    Ok(Json(CommuneConsolidations {
        nom_commune: cog.commune(&code).map(|c| c.nom.to_owned()),
        code_commune: code,
        current_revision_id: current,
        base_revision_id: base,
        consolidations: jobs.into_iter().map(Consolidation::from).collect(),
    }))
}

/// Why a job cannot be forced.
#[derive(Debug, thiserror::Error)]
pub enum ForceError {
    #[error("job {0} not found")]
    NotFound(i64),
    #[error("job {job} is {state}: only a refused plan can be forced")]
    NotRefused { job: i64, state: String },
    #[error("job {job}: revision {revision} is no longer the current one of commune {commune}")]
    NotCurrent { job: i64, revision: String, commune: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Forces a refused plan (an administrator's decision, written to the audit log with the
/// address it came from, `None` from the command line): its job goes back to the queue and
/// the consolidation applies the plan despite the rule that refused it (a mass deletion is
/// let through; ids of other communes are left out, those communes keeping them). The route
/// and `ban jobs force` call this.
pub async fn force(store: &dyn Store, job_id: i64, ip: Option<std::net::IpAddr>) -> Result<Job, ForceError> {
    let job = store.job(job_id).await?.ok_or(ForceError::NotFound(job_id))?;
    if job.status != JobStatus::Failed || job.outcome.as_deref() != Some(REFUSED) {
        // A job queued again keeps the outcome of its last end: its status says where it is.
        let state = match job.status {
            JobStatus::Done | JobStatus::Failed => job.outcome.clone(),
            JobStatus::Pending | JobStatus::Running => None,
        };
        let state = state.unwrap_or_else(|| job.status.as_str().to_owned());
        return Err(ForceError::NotRefused { job: job_id, state });
    }
    let current = store.current_revision(&job.code_commune).await?.map(|r| r.id);
    if current.as_deref() != Some(job.revision_id.as_str()) {
        return Err(ForceError::NotCurrent {
            job: job_id,
            revision: job.revision_id,
            commune: job.code_commune,
        });
    }
    // The store checks both again, in the statement that makes the change.
    let forced = store.force_job(job_id, Utc::now()).await.map_err(|error| match error {
        StoreError::Precondition(_) => {
            ForceError::NotRefused { job: job_id, state: "no longer refused".into() }
        }
        StoreError::NotFound(_) => ForceError::NotFound(job_id),
        other => ForceError::Store(other),
    })?;
    tracing::warn!(
        job = forced.id,
        commune = %forced.code_commune,
        revision = %forced.revision_id,
        refusal = forced.refusal.as_ref().map(Refusal::code),
        "refused plan forced by an administrator"
    );
    let client = store.revision(&forced.revision_id).await?.map(|r| r.client_id);
    let rule = forced.refusal.as_ref().map(Refusal::message).unwrap_or_default();
    let mut entry = NewAuditEntry::by_admin(AuditAction::JobForced)
        .object(forced.id.to_string())
        .commune(&forced.code_commune)
        .ip(ip)
        .detail(format!("révision {}, malgré : {rule}", forced.revision_id));
    if let Some(client) = client {
        entry = entry.client(client);
    }
    crate::audit::record_in(store, entry).await;
    Ok(forced)
}

/// The job of a route's path (`/jobs/{id}…`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct JobPath {
    /// Identifiant du job de consolidation (jobId d’une consolidation)
    id: i64,
}

/// `POST /jobs/{id}/force` (administrators)
#[utoipa::path(
    post,
    path = "/jobs/{id}/force",
    tag = "consolidation",
    summary = "Forcer une publication refusée (administration)",
    description = "Remet en file le job d’une consolidation refusée, marqué forcé : la consolidation applique alors le \
        plan malgré la règle qui l’a refusé (une suppression massive passe ; les identifiants d’autres communes sont \
        écartés, ces communes les gardent). Seulement si la révision est toujours la révision courante de la commune.",
    params(JobPath),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "La consolidation, de nouveau en attente, forcée", body = Consolidation),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Jeton d’administration absent ou faux", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Job inconnu", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Job pas refusé, ou révision plus courante", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn force_route(
    State(state): AppState,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    path: Result<Path<JobPath>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Consolidation>, ApiError> {
    let Path(JobPath { id }) = path.map_err(|e| {
        ApiError::bad_request("invalid_id", format!("Identifiant de job invalide : {}", e.body_text()))
    })?;
    let forced = force(&*state.store, id, ip).await.map_err(|error| match error {
        ForceError::NotFound(id) => ApiError::not_found("job_not_found", format!("Job {id} introuvable.")),
        ForceError::NotRefused { job, state } => ApiError::new(
            StatusCode::CONFLICT,
            "job_not_refused",
            format!("Le job {job} n’est pas refusé ({state}) : seul un plan refusé peut être forcé."),
        ),
        ForceError::NotCurrent { job, revision, commune } => ApiError::new(
            StatusCode::CONFLICT,
            "revision_not_current",
            format!(
                "Le job {job} concerne la révision {revision}, qui n’est plus la révision courante de la commune \
                 {commune} : rien à forcer."
            ),
        ),
        ForceError::Store(error) => error.into(),
    })?;
    Ok(Json(Consolidation::from(forced)))
}
