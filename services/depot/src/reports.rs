//! Citizen reports (signalements), in the shape of the national platform's report API: anyone
//! reports an error on an address, a street or a lieu-dit of a commune (no account; a partner
//! application with its client token), the reports of a commune are public without their
//! author, and only the commune decides on them: a client holding an accepted habilitation of
//! the commune (given as `habilitationId`), a chef de file whose perimeter holds it, a platform
//! client (strategy `internal`), or an administrator. The commune also chooses whether it
//! accepts reports. Each field of a request is checked by [`ban_reports::check`]; the object a
//! report names by its BAN id must be in the base, in that commune.
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use ban_bal::Cog;
use ban_domain::InseeCode;
use ban_reports::{Checked, ExistingLocation, GeoPoint, ReportRequest};
use ban_service_kit::openapi::CommunePath;
use ban_service_kit::{ApiError, FieldProblem, Problem};
use ban_store::ids::object_id;
use ban_store::{
    AuthorizationStrategy, Found, NewReport, Report, ReportDecision, ReportEvent, ReportFilter,
    ReportSettings, ReportStatus, ReportType, StoreError,
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::openapi::ReaderProblems;
use crate::pages::PageQuery;
use crate::validation::in_perimeter;
use crate::{json_body, ClientIp, DepotState, Reader};

type AppState = State<Arc<DepotState>>;

/// A report as answered: its author only to the commune and the administrators.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    pub id: String,
    pub code_commune: String,
    /// Nom de la commune (COG).
    pub nom_commune: Option<String>,
    #[serde(rename = "type")]
    pub kind: ReportType,
    pub status: ReportStatus,
    #[schema(value_type = Option<Object>)]
    pub existing_location: Option<Value>,
    #[schema(value_type = Object)]
    pub changes_requested: Value,
    /// Où est le signalement : sa première position demandée, ou celle de l’objet.
    pub point: Option<GeoPoint>,
    /// Le client partenaire qui l’a envoyé ; aucun depuis la page web.
    pub source_client_id: Option<String>,
    /// Qui l’a traité : un client, `admin`, `consolidation` (une publication qui l’a appliqué)
    /// ou `expiry`.
    pub processed_by: Option<String>,
    /// La révision dont la publication l’a appliqué.
    pub processed_revision_id: Option<String>,
    pub rejection_reason: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    /// L’auteur : pour la commune et les administrateurs seulement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<AuthorView>,
    /// Ses changements de statut (un signalement lu seul).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<ReportEvent>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorView {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl ReportView {
    fn public(report: Report) -> Self {
        ReportView {
            nom_commune: Cog::get().commune(&report.code_commune).map(|c| c.nom.to_owned()),
            point: report
                .lon
                .zip(report.lat)
                .map(|(lon, lat)| GeoPoint { kind: "Point".into(), coordinates: [lon, lat] }),
            id: report.id,
            code_commune: report.code_commune,
            kind: report.kind,
            status: report.status,
            existing_location: report.existing_location,
            changes_requested: report.changes_requested,
            source_client_id: report.source_client_id,
            processed_by: report.processed_by,
            processed_revision_id: report.processed_revision_id,
            rejection_reason: report.rejection_reason,
            created_at: report.created_at,
            updated_at: report.updated_at,
            author: None,
            events: None,
        }
    }

    fn with_author(report: Report) -> Self {
        let author = AuthorView { name: report.author_name.clone(), email: report.author_email.clone() };
        ReportView { author: Some(author), ..Self::public(report) }
    }
}

/// Who may decide for `commune`, as the audit of the decision names them: an administrator,
/// a platform client, a chef de file whose perimeter holds the commune, or a client with an
/// accepted habilitation of the commune (`habilitation_id`).
async fn commune_authority(
    state: &DepotState,
    reader: &Reader,
    commune: &str,
    habilitation_id: Option<&str>,
) -> Result<String, ApiError> {
    let client = match reader {
        Reader::Admin => return Ok(ban_store::ADMIN_ACTOR.to_owned()),
        Reader::Client(client) => client,
        Reader::Anyone => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Jeton manquant : seule la commune décide de ses signalements (en-tête Authorization: Token <jeton>).",
            ))
        }
    };
    let not_commune = || {
        ApiError::forbidden("not_commune", format!("Ce client ne peut pas agir pour la commune {commune}."))
    };
    match client.authorization_strategy {
        AuthorizationStrategy::Internal => Ok(client.id.clone()),
        AuthorizationStrategy::ChefDeFile => {
            let code = InseeCode::parse(commune).map_err(|_| not_commune())?;
            if client.perimeters.iter().any(|p| in_perimeter(p, code)) {
                Ok(client.id.clone())
            } else {
                Err(not_commune())
            }
        }
        AuthorizationStrategy::Habilitation => {
            let id = habilitation_id.ok_or_else(|| {
                ApiError::bad_request(
                    "habilitation_required",
                    "Ce client doit donner habilitationId : l’habilitation acceptée de la commune.",
                )
            })?;
            crate::habilitations::accepted(state, client, id, commune).await?;
            Ok(client.id.clone())
        }
    }
}

/// The request's body read into a report request: a 400 naming the field of the wrong type.
fn report_body(body: Result<Json<Value>, JsonRejection>) -> Result<ReportRequest, ApiError> {
    let value = json_body(body)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner().to_string();
        ApiError::bad_request("invalid_report", format!("Champ « {field} » : {inner}")).with_field(field)
    })
}

/// The object named by the report's BAN id, if any, is in the base, of the commune, and of
/// the kind the report says.
async fn check_object(state: &DepotState, checked: &Checked) -> Result<(), ApiError> {
    let (Some(id), Some(existing)) = (&checked.ban_id, &checked.request.existing_location) else {
        return Ok(());
    };
    let refused = |message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_object", message)
            .with_field("existingLocation.banId")
    };
    let commune = &checked.request.code_commune;
    let (of, active) = match state.store.find(id).await? {
        Some(Found::Address(a)) if matches!(existing, ExistingLocation::Numero { .. }) => {
            (a.commune, a.active)
        }
        Some(Found::Toponym(t)) if !matches!(existing, ExistingLocation::Numero { .. }) => {
            (t.commune, t.active)
        }
        Some(_) => {
            return Err(refused(format!(
                "{id} n’est pas un objet de type {} de la Base Adresse Nationale.",
                existing.kind()
            )))
        }
        None => return Err(refused(format!("{id} n’est pas dans la Base Adresse Nationale."))),
    };
    if of != *commune {
        return Err(refused(format!("{id} est un objet de la commune {of}, pas de {commune}.")));
    }
    if !active {
        return Err(refused(format!("{id} a été supprimé de la Base Adresse Nationale.")));
    }
    Ok(())
}

/// `POST /signalements`
#[utoipa::path(
    post,
    path = "/signalements",
    tag = "signalements",
    summary = "Signaler une erreur d’adresse",
    description = "Ouvert à tous (sans jeton : depuis la page web) et aux applications partenaires (avec leur jeton \
        de client). Chaque champ est vérifié avec les règles de la BAL ; les positions doivent être dans la commune ; \
        l’objet nommé par son identifiant BAN doit être de la commune. L’auteur n’est jamais publié. La commune peut \
        refuser les signalements (403).",
    request_body(content = ReportRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Le signalement enregistré, en attente (sans son auteur)", body = ReportView),
        (status = 400, description = "Corps illisible, ou champs invalides (errors les nomme tous)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "La commune n’accepte pas les signalements", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "L’objet nommé n’est pas dans la base, ou pas de cette commune", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de signalements depuis cette adresse", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn create(
    State(state): AppState,
    reader: Reader,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    state.limits.report(ip)?;
    let request = report_body(body)?;
    let checked = ban_reports::check(request).map_err(|errors| {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ; ");
        let errors =
            errors.into_iter().map(|e| FieldProblem { field: e.field, message: e.message }).collect();
        ApiError::bad_request("invalid_report", format!("Signalement invalide : {detail}"))
            .with_errors(errors)
    })?;
    let commune = checked.request.code_commune.clone();
    let settings = state.store.report_settings(&commune).await?;
    if settings.as_ref().is_some_and(|s| !s.accepted) {
        return Err(ApiError::forbidden(
            "reports_not_accepted",
            format!("La commune {commune} n’accepte pas les signalements en ligne : contactez sa mairie."),
        ));
    }
    check_object(&state, &checked).await?;
    let source_ip = ip.map(|ip| ip.to_string());
    if let Some(ip) = &source_ip {
        let max = state.limits.max_pending_reports_per_ip;
        if state.store.pending_reports_from(&commune, ip).await? >= u64::from(max) {
            metrics::counter!("depot_abuse_refused_total", "limit" => "pending_reports_ip").increment(1);
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "too_many_pending_reports",
                format!(
                    "Déjà {max} signalements en attente depuis cette adresse pour la commune {commune} : \
                     attendez que la commune en ait traité."
                ),
            ));
        }
    }
    let (source, actor) = match &reader {
        Reader::Client(client) => (Some(client.id.clone()), client.id.clone()),
        Reader::Admin => (None, ban_store::ADMIN_ACTOR.to_owned()),
        Reader::Anyone => (None, "public".to_owned()),
    };
    let at = Utc::now();
    let request = &checked.request;
    let new = NewReport {
        id: object_id(at),
        code_commune: commune,
        kind: request.kind,
        existing_location: request
            .existing_location
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(internal)?,
        changes_requested: serde_json::to_value(&request.changes_requested).map_err(internal)?,
        point: checked.point,
        author_name: checked.author_name.clone(),
        author_email: checked.author_email.clone(),
        source_client_id: source,
        source_ip,
        town_hall_digest: settings.is_some_and(|s| s.daily_digest),
        at,
    };
    let report = state.store.create_report(new, &actor).await?;
    tracing::info!(report = %report.id, commune = %report.code_commune, kind = report.kind.as_str(), "report received");
    metrics::counter!("reports_received_total").increment(1);
    Ok((StatusCode::CREATED, Json(ReportView::public(report))))
}

fn internal(error: serde_json::Error) -> ApiError {
    ApiError::internal("report_encoding", error)
}

/// The filters of `GET /signalements`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ReportQuery {
    /// Cette commune seulement (code INSEE).
    code_commune: Option<String>,
    /// Ce statut seulement (`PENDING`, `PROCESSED`, `IGNORED`, `EXPIRED`).
    #[param(value_type = Option<ReportStatus>)]
    status: Option<String>,
}

/// `GET /signalements?codeCommune=&status=&page=&limit=`
#[utoipa::path(
    get,
    path = "/signalements",
    tag = "signalements",
    summary = "Les signalements, par page",
    description = "Les plus récents d’abord, sans leurs auteurs. Le corps est la page ; X-Total-Count et Link \
        (first, prev, next, last) disent le reste.",
    params(ReportQuery, PageQuery),
    responses(
        (status = 200, description = "Une page de signalements", body = Vec<ReportView>, headers(
            ("x-total-count" = u64, description = "Nombre de signalements de la liste entière"),
            ("link" = String, description = "Les pages first, prev, next et last (RFC 8288)"))),
        (status = 400, description = "status, page ou limit invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): AppState,
    Query(query): Query<ReportQuery>,
    Query(page): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<ReportView>>), ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(ReportStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_status",
                format!("status « {text} » : attendu PENDING, PROCESSED, IGNORED ou EXPIRED."),
            )
        })?),
    };
    let paging = page.paging()?;
    let filter = ReportFilter { code_commune: query.code_commune, status };
    let found = state.store.reports(&filter, paging.request()).await?;
    let headers = paging.headers(&uri, &found);
    Ok((headers, Json(found.items.into_iter().map(ReportView::public).collect())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReportPath {
    /// Identifiant du signalement
    id: String,
}

/// How the commune shows who it is on a read: its accepted habilitation, for clients that
/// publish by habilitation.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct HabilitationQuery {
    /// L’habilitation acceptée de la commune (clients qui publient par habilitation).
    habilitation_id: Option<String>,
}

async fn report_of(state: &DepotState, id: &str) -> Result<Report, ApiError> {
    state
        .store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::not_found("report_not_found", format!("Signalement {id} introuvable.")))
}

/// `GET /signalements/{id}`
#[utoipa::path(
    get,
    path = "/signalements/{id}",
    tag = "signalements",
    summary = "Un signalement, avec ses changements de statut",
    description = "Public, sans son auteur ; la commune (avec son jeton, et habilitationId pour un client qui publie \
        par habilitation) et les administrateurs voient l’auteur.",
    params(ReportPath, HabilitationQuery),
    responses(
        (status = 200, description = "Le signalement", body = ReportView),
        (status = 404, description = "Signalement inconnu", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn get(
    State(state): AppState,
    Path(ReportPath { id }): Path<ReportPath>,
    Query(query): Query<HabilitationQuery>,
    reader: Reader,
) -> Result<Json<ReportView>, ApiError> {
    let report = report_of(&state, &id).await?;
    let events = state.store.report_events(&id).await?;
    let commune = report.code_commune.clone();
    let sees_author = !matches!(reader, Reader::Anyone)
        && commune_authority(&state, &reader, &commune, query.habilitation_id.as_deref()).await.is_ok();
    let view = if sees_author { ReportView::with_author(report) } else { ReportView::public(report) };
    Ok(Json(ReportView { events: Some(events), ..view }))
}

/// The commune's decision on a report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionBody {
    /// `PROCESSED` (fait) ou `IGNORED` (refusé, avec sa raison).
    pub status: ReportStatus,
    /// Pourquoi il est ignoré (obligatoire pour IGNORED).
    #[serde(default)]
    pub rejection_reason: Option<String>,
    /// L’habilitation acceptée de la commune (clients qui publient par habilitation).
    #[serde(default)]
    pub habilitation_id: Option<String>,
}

/// Characters of a rejection reason.
const MAX_REASON: usize = 1_000;

/// `PUT /signalements/{id}`
#[utoipa::path(
    put,
    path = "/signalements/{id}",
    tag = "signalements",
    summary = "Traiter ou ignorer un signalement (la commune)",
    description = "Seule la commune décide : un client avec une habilitation acceptée de la commune (habilitationId), \
        un chef de file dont le périmètre la contient, un client interne, ou un administrateur. Un signalement qui \
        n’est plus en attente ne change plus (409).",
    params(ReportPath),
    request_body(content = DecisionBody, content_type = "application/json"),
    security(("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Le signalement, avec son auteur", body = ReportView),
        (status = 400, description = "Corps invalide, statut qui n’est pas une décision, habilitationId manquant", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Ce client n’agit pas pour cette commune", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Signalement ou habilitation inconnus", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Le signalement n’est plus en attente", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Raison manquante pour IGNORED, ou trop longue", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn decide(
    State(state): AppState,
    Path(ReportPath { id }): Path<ReportPath>,
    reader: Reader,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<ReportView>, ApiError> {
    let body = json_body(body)?;
    let report = report_of(&state, &id).await?;
    let actor =
        commune_authority(&state, &reader, &report.code_commune, body.habilitation_id.as_deref()).await?;
    if !matches!(body.status, ReportStatus::Processed | ReportStatus::Ignored) {
        return Err(ApiError::bad_request(
            "invalid_status",
            format!("{} n’est pas une décision : PROCESSED ou IGNORED.", body.status.as_str()),
        ));
    }
    let reason = body.rejection_reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    let unprocessable = |message: &str| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_reason", message)
            .with_field("rejectionReason")
    };
    if body.status == ReportStatus::Ignored && reason.is_none() {
        return Err(unprocessable("Un signalement ignoré l’est pour une raison : rejectionReason."));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(unprocessable("rejectionReason : 1 000 caractères au plus."));
    }
    let decision = ReportDecision {
        status: body.status,
        actor,
        reason,
        revision_id: None,
        at: Utc::now(),
        tell_author: true,
    };
    let decided = state.store.decide_report(&id, decision).await.map_err(|e| match e {
        StoreError::Precondition(_) => ApiError::new(
            StatusCode::CONFLICT,
            "report_not_pending",
            format!("Le signalement {id} n’est plus en attente : il ne change plus."),
        ),
        e => e.into(),
    })?;
    tracing::info!(report = %decided.id, status = decided.status.as_str(), "report decided");
    Ok(Json(ReportView::with_author(decided)))
}

/// A commune's choices about reports, as answered.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub code_commune: String,
    /// La commune accepte les signalements.
    pub accepted: bool,
    /// Un courriel par jour qui les récapitule, plutôt qu’un par signalement.
    pub daily_digest: bool,
}

/// `GET /communes/{code}/signalements/settings`
#[utoipa::path(
    get,
    path = "/communes/{code}/signalements/settings",
    tag = "signalements",
    summary = "Si la commune accepte les signalements",
    description = "Par défaut, une commune les accepte, et sa mairie reçoit un courriel par signalement.",
    params(CommunePath),
    responses(
        (status = 200, description = "Les choix de la commune", body = SettingsView),
        (status = 404, description = "Code qui n’est pas celui d’une commune", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn settings(
    State(state): AppState,
    Path(path): Path<CommunePath>,
) -> Result<Json<SettingsView>, ApiError> {
    let code = known_commune(&path.code)?;
    let saved = state.store.report_settings(&code).await?;
    Ok(Json(match saved {
        Some(s) => {
            SettingsView { code_commune: s.code_commune, accepted: s.accepted, daily_digest: s.daily_digest }
        }
        None => SettingsView { code_commune: code, accepted: true, daily_digest: false },
    }))
}

fn known_commune(code: &str) -> Result<String, ApiError> {
    if Cog::get().commune(code).is_some() {
        Ok(code.to_owned())
    } else {
        Err(ApiError::not_found(
            "commune_not_found",
            format!("« {code} » n’est pas le code INSEE d’une commune."),
        ))
    }
}

/// The commune's new choices.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsBody {
    pub accepted: bool,
    #[serde(default)]
    pub daily_digest: bool,
    /// L’habilitation acceptée de la commune (clients qui publient par habilitation).
    #[serde(default)]
    pub habilitation_id: Option<String>,
}

/// `PUT /communes/{code}/signalements/settings`
#[utoipa::path(
    put,
    path = "/communes/{code}/signalements/settings",
    tag = "signalements",
    summary = "Accepter ou non les signalements (la commune)",
    description = "Mêmes droits que pour traiter un signalement.",
    params(CommunePath),
    request_body(content = SettingsBody, content_type = "application/json"),
    security(("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Les choix de la commune", body = SettingsView),
        (status = 400, description = "Corps invalide, habilitationId manquant", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Ce client n’agit pas pour cette commune", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Commune ou habilitation inconnue", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn save_settings(
    State(state): AppState,
    Path(path): Path<CommunePath>,
    reader: Reader,
    body: Result<Json<SettingsBody>, JsonRejection>,
) -> Result<Json<SettingsView>, ApiError> {
    let code = known_commune(&path.code)?;
    let body = json_body(body)?;
    let actor = commune_authority(&state, &reader, &code, body.habilitation_id.as_deref()).await?;
    let settings = ReportSettings {
        code_commune: code.clone(),
        accepted: body.accepted,
        daily_digest: body.daily_digest,
        updated_by: actor,
        updated_at: Utc::now(),
    };
    state.store.save_report_settings(&settings).await?;
    Ok(Json(SettingsView { code_commune: code, accepted: body.accepted, daily_digest: body.daily_digest }))
}

/// What to ignore as spam: reports by their ids, and/or every pending report sent from the
/// same address as a given one (the address itself is never shown).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkIgnoreBody {
    /// Ces signalements (1 000 au plus).
    #[serde(default)]
    pub ids: Vec<String>,
    /// Et tous les signalements en attente de la commune envoyés depuis la même adresse que
    /// celui-ci (l’adresse n’est jamais montrée).
    #[serde(default)]
    pub same_source_as: Option<String>,
    /// La raison, gardée pour chacun (« Signalement abusif. » par défaut).
    #[serde(default)]
    pub rejection_reason: Option<String>,
    /// L’habilitation acceptée de la commune (clients qui publient par habilitation).
    #[serde(default)]
    pub habilitation_id: Option<String>,
}

/// What a bulk ignore did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkIgnoreView {
    /// Les signalements ignorés, chacun avec son changement de statut.
    pub ignored: Vec<String>,
    /// Ceux qui n’étaient plus en attente, laissés tels quels.
    pub not_pending: Vec<String>,
}

/// Reports ignored at once, at most.
const MAX_BULK_IGNORE: usize = 1_000;
/// The reason kept when the commune gives none.
const SPAM_REASON: &str = "Signalement abusif.";

/// `POST /communes/{code}/signalements/ignore`
#[utoipa::path(
    post,
    path = "/communes/{code}/signalements/ignore",
    tag = "signalements",
    summary = "Ignorer des signalements abusifs en une fois (la commune)",
    description = "Ignore les signalements donnés par leurs ids, et/ou tous les signalements en attente de la commune \
        envoyés depuis la même adresse que sameSourceAs (l’adresse n’est jamais montrée). Chacun garde son changement \
        de statut, avec la raison ; leurs auteurs ne sont pas prévenus (l’adresse d’un signalement abusif peut être \
        celle de n’importe qui). Ceux qui ne sont plus en attente sont laissés tels quels (notPending). Mêmes droits \
        que pour traiter un signalement ; tous doivent être de la commune, sinon rien n’est fait.",
    params(CommunePath),
    request_body(content = BulkIgnoreBody, content_type = "application/json"),
    security(("token" = []), ("adminToken" = [])),
    responses(
        (status = 200, description = "Ce qui a été ignoré", body = BulkIgnoreView),
        (status = 400, description = "Corps invalide, rien à ignorer, habilitationId manquant", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Ce client n’agit pas pour cette commune", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Commune, signalement ou habilitation inconnus", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Un signalement d’une autre commune, trop de signalements, raison trop longue", body = Problem, content_type = "application/problem+json"),
        ReaderProblems,
    )
)]
pub async fn ignore_many(
    State(state): AppState,
    Path(path): Path<CommunePath>,
    reader: Reader,
    body: Result<Json<BulkIgnoreBody>, JsonRejection>,
) -> Result<Json<BulkIgnoreView>, ApiError> {
    let code = known_commune(&path.code)?;
    let body = json_body(body)?;
    let actor = commune_authority(&state, &reader, &code, body.habilitation_id.as_deref()).await?;
    if body.ids.is_empty() && body.same_source_as.is_none() {
        return Err(ApiError::bad_request(
            "nothing_to_ignore",
            "Rien à ignorer : donnez ids, sameSourceAs, ou les deux.",
        ));
    }
    let unprocessable = |code: &'static str, field: &str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field(field)
    };
    let reason = body.rejection_reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(unprocessable(
            "invalid_reason",
            "rejectionReason",
            "rejectionReason : 1 000 caractères au plus.".into(),
        ));
    }
    let mut ids = Vec::new();
    for (at, id) in body.ids.iter().enumerate() {
        let report = report_of(&state, id).await?;
        if report.code_commune != code {
            return Err(unprocessable(
                "not_of_commune",
                &format!("ids[{at}]"),
                format!("Le signalement {id} est de la commune {}, pas de {code}.", report.code_commune),
            ));
        }
        ids.push(report.id);
    }
    if let Some(id) = &body.same_source_as {
        let report = report_of(&state, id).await?;
        if report.code_commune != code {
            return Err(unprocessable(
                "not_of_commune",
                "sameSourceAs",
                format!("Le signalement {id} est de la commune {}, pas de {code}.", report.code_commune),
            ));
        }
        ids.extend(state.store.pending_reports_of_same_source(id).await?);
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.len() > MAX_BULK_IGNORE {
        return Err(unprocessable(
            "too_many_reports",
            "ids",
            format!("{} signalements : {MAX_BULK_IGNORE} au plus en une fois.", ids.len()),
        ));
    }
    let reason = reason.unwrap_or_else(|| SPAM_REASON.to_owned());
    let mut view = BulkIgnoreView { ignored: Vec::new(), not_pending: Vec::new() };
    for id in ids {
        let decision = ReportDecision {
            status: ReportStatus::Ignored,
            actor: actor.clone(),
            reason: Some(reason.clone()),
            revision_id: None,
            at: Utc::now(),
            tell_author: false,
        };
        match state.store.decide_report(&id, decision).await {
            Ok(_) => view.ignored.push(id),
            Err(StoreError::Precondition(_)) => view.not_pending.push(id),
            Err(error) => return Err(error.into()),
        }
    }
    tracing::info!(commune = %code, ignored = view.ignored.len(), "reports ignored as spam");
    metrics::counter!("reports_ignored_as_spam_total").increment(view.ignored.len() as u64);
    Ok(Json(view))
}
