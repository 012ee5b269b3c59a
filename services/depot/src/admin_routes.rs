//! The administration routes, behind `ADMIN_TOKEN` ([`Admin`]): clients, mandataires and
//! chefs de file with their perimeters, at the paths and with the bodies of the production
//! API's administration. Each handler reads its input and calls [`crate::administration`],
//! where the operations live; refusals are typed there and answered here: 400 (malformed body,
//! an id that is not one), 404, 409, 422 (a field missing or wrong, named in `field`).
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ban_service_kit::{ApiError, Problem};
use ban_store::{ChefDeFile, Client, Mandataire};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::administration::{
    self as admin, AdminError, ClientWithToken, CreateChefDeFile, CreateClient, CreateMandataire, Origin,
    PerimetersBody, Record, UpdateChefDeFile, UpdateClient, UpdateMandataire,
};
use crate::openapi::AdminProblems;
use crate::{json_body, Admin, ClientIp, DepotState};

type AppState = State<Arc<DepotState>>;

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let message = error.to_string();
        match error {
            AdminError::InvalidId { .. } => ApiError::bad_request("invalid_id", message),
            AdminError::NotFound { what, field, .. } => {
                let code = match what {
                    Record::Client => "client_not_found",
                    Record::Mandataire => "mandataire_not_found",
                    Record::ChefDeFile => "chef_de_file_not_found",
                };
                let found = ApiError::not_found(code, message);
                match field {
                    Some(field) => found.with_field(field),
                    None => found,
                }
            }
            AdminError::Invalid { field, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("Champ « {field} » : {message}"),
            )
            .with_field(field),
            AdminError::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            AdminError::Store(e) => e.into(),
        }
    }
}

/// The body of an administration route: 400 if it is not JSON (or not an object), 422 naming
/// the field that is missing or of the wrong type.
fn admin_body<T: DeserializeOwned>(body: Result<Json<Value>, JsonRejection>) -> Result<T, ApiError> {
    let value = json_body(body)?;
    if !value.is_object() {
        return Err(ApiError::bad_request("invalid_body", "Le corps doit être un objet JSON."));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        // A missing field is reported at its object's path, its name in the message.
        let missing = inner.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
        let (field, message) = match missing {
            Some(name) if path == "." => (name.to_owned(), "requis.".to_owned()),
            Some(name) => (format!("{path}.{name}"), "requis.".to_owned()),
            None => (path, format!("valeur refusée ({inner}).")),
        };
        AdminError::Invalid { field, message }.into()
    })
}

/// `GET /clients`
#[utoipa::path(
    get,
    path = "/clients",
    tag = "administration",
    summary = "Les clients (administration)",
    description = "Tous les clients, les plus anciens d’abord, sans leur jeton.",
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Les clients", body = Vec<Client>),
        AdminProblems,
    )
)]
pub async fn list_clients(State(state): AppState, _admin: Admin) -> Result<Json<Vec<Client>>, ApiError> {
    Ok(Json(admin::clients(&*state.store).await?))
}

/// `POST /clients`
#[utoipa::path(
    post,
    path = "/clients",
    tag = "administration",
    summary = "Créer un client (administration)",
    description = "Sa stratégie est `chef-de-file` s’il a un chef de file, `habilitation` sinon, sauf \
        `authorizationStrategy` donnée. Son jeton est dans la réponse, cette fois seulement : la base n’en garde \
        que l’empreinte.",
    request_body(content = CreateClient, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le client créé, avec son jeton", body = ClientWithToken),
        (status = 400, description = "Corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Mandataire ou chef de file inconnu (field le nomme)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "legacyId déjà pris", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Champ manquant ou invalide (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_client(
    State(state): AppState,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ClientWithToken>, ApiError> {
    let input: CreateClient = admin_body(body)?;
    Ok(Json(admin::create_client(&*state.store, Origin { ip }, input).await?))
}

/// `GET /clients/{client_id}`
#[utoipa::path(
    get,
    path = "/clients/{client_id}",
    tag = "administration",
    summary = "Un client (administration)",
    params(("client_id" = String, Path, description = "Identifiant du client")),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le client, sans son jeton", body = Client),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Client inconnu", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_client(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
) -> Result<Json<Client>, ApiError> {
    Ok(Json(admin::client(&*state.store, &id).await?))
}

/// `PUT /clients/{client_id}`
#[utoipa::path(
    put,
    path = "/clients/{client_id}",
    tag = "administration",
    summary = "Modifier un client (administration)",
    description = "Les champs donnés changent ; `isActive: false` désactive le client (il ne s’authentifie plus, \
        ses publications restent), `true` le réactive. Donner ou retirer (`null`) un chef de file change sa \
        stratégie.",
    params(("client_id" = String, Path, description = "Identifiant du client")),
    request_body(content = UpdateClient, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le client modifié, sans son jeton", body = Client),
        (status = 400, description = "Identifiant invalide, ou corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Client, mandataire ou chef de file inconnu", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "legacyId déjà pris", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Champ invalide (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_client(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Client>, ApiError> {
    admin::checked_id(&id)?;
    let input: UpdateClient = admin_body(body)?;
    Ok(Json(admin::update_client(&*state.store, Origin { ip }, &id, input).await?))
}

/// `POST /clients/{client_id}/token/renew`
#[utoipa::path(
    post,
    path = "/clients/{client_id}/token/renew",
    tag = "administration",
    summary = "Renouveler le jeton d’un client (administration)",
    description = "L’ancien jeton ne s’authentifie plus ; le nouveau est dans la réponse, cette fois seulement.",
    params(("client_id" = String, Path, description = "Identifiant du client")),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le client, avec son nouveau jeton", body = ClientWithToken),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Client inconnu", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn renew_token(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
    ClientIp(ip): ClientIp,
) -> Result<Json<ClientWithToken>, ApiError> {
    Ok(Json(admin::rotate_client_token(&*state.store, Origin { ip }, &id).await?))
}

/// `PUT /clients/{client_id}/chef_de_file/perimeter`
#[utoipa::path(
    put,
    path = "/clients/{client_id}/chef_de_file/perimeter",
    tag = "administration",
    summary = "Remplacer le périmètre d’un client chef de file (administration)",
    description = "Le périmètre de son chef de file (partagé par les autres clients de celui-ci), ou le sien \
        s’il n’a pas de chef de file.",
    params(("client_id" = String, Path, description = "Identifiant du client")),
    request_body(content = PerimetersBody, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le client, avec son nouveau périmètre", body = Client),
        (status = 400, description = "Identifiant invalide, ou corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Client inconnu", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Le client ne publie pas comme chef de file", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Périmètre invalide : type, commune, département ou EPCI inconnu (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_client_perimeters(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Client>, ApiError> {
    admin::checked_id(&id)?;
    let input: PerimetersBody = admin_body(body)?;
    Ok(Json(admin::set_client_perimeters(&*state.store, Origin { ip }, &id, &input.perimeters).await?))
}

/// `GET /mandataires`
#[utoipa::path(
    get,
    path = "/mandataires",
    tag = "administration",
    summary = "Les mandataires (administration)",
    security(("adminToken" = [])),
    responses((status = 200, description = "Les mandataires, les plus anciens d’abord", body = Vec<Mandataire>), AdminProblems)
)]
pub async fn list_mandataires(
    State(state): AppState,
    _admin: Admin,
) -> Result<Json<Vec<Mandataire>>, ApiError> {
    Ok(Json(admin::mandataires(&*state.store).await?))
}

/// `POST /mandataires`
#[utoipa::path(
    post,
    path = "/mandataires",
    tag = "administration",
    summary = "Créer un mandataire (administration)",
    request_body(content = CreateMandataire, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le mandataire créé", body = Mandataire),
        (status = 400, description = "Corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 422, description = "Champ manquant ou invalide (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_mandataire(
    State(state): AppState,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Mandataire>, ApiError> {
    let input: CreateMandataire = admin_body(body)?;
    Ok(Json(admin::create_mandataire(&*state.store, Origin { ip }, input).await?))
}

/// `GET /mandataires/{mandataire_id}`
#[utoipa::path(
    get,
    path = "/mandataires/{mandataire_id}",
    tag = "administration",
    summary = "Un mandataire (administration)",
    params(("mandataire_id" = String, Path, description = "Identifiant du mandataire")),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le mandataire", body = Mandataire),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Mandataire inconnu", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_mandataire(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
) -> Result<Json<Mandataire>, ApiError> {
    Ok(Json(admin::mandataire(&*state.store, &id).await?))
}

/// `PUT /mandataires/{mandataire_id}`
#[utoipa::path(
    put,
    path = "/mandataires/{mandataire_id}",
    tag = "administration",
    summary = "Modifier un mandataire (administration)",
    params(("mandataire_id" = String, Path, description = "Identifiant du mandataire")),
    request_body(content = UpdateMandataire, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le mandataire modifié", body = Mandataire),
        (status = 400, description = "Identifiant invalide, ou corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Mandataire inconnu", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Champ invalide (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_mandataire(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Mandataire>, ApiError> {
    admin::checked_id(&id)?;
    let input: UpdateMandataire = admin_body(body)?;
    Ok(Json(admin::update_mandataire(&*state.store, Origin { ip }, &id, input).await?))
}

/// `GET /chefs-de-file`
#[utoipa::path(
    get,
    path = "/chefs-de-file",
    tag = "administration",
    summary = "Les chefs de file (administration)",
    security(("adminToken" = [])),
    responses((status = 200, description = "Les chefs de file, les plus anciens d’abord", body = Vec<ChefDeFile>), AdminProblems)
)]
pub async fn list_chefs_de_file(
    State(state): AppState,
    _admin: Admin,
) -> Result<Json<Vec<ChefDeFile>>, ApiError> {
    Ok(Json(admin::chefs_de_file(&*state.store).await?))
}

/// `POST /chefs-de-file`
#[utoipa::path(
    post,
    path = "/chefs-de-file",
    tag = "administration",
    summary = "Créer un chef de file (administration)",
    description = "Son périmètre : des communes (code INSEE ; Paris, Lyon et Marseille couvrent leurs \
        arrondissements), des départements, des EPCI (SIREN, membres du COG 2026).",
    request_body(content = CreateChefDeFile, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le chef de file créé", body = ChefDeFile),
        (status = 400, description = "Corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 422, description = "Champ manquant ou invalide, périmètre inconnu (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_chef_de_file(
    State(state): AppState,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ChefDeFile>, ApiError> {
    let input: CreateChefDeFile = admin_body(body)?;
    Ok(Json(admin::create_chef_de_file(&*state.store, Origin { ip }, input).await?))
}

/// `GET /chefs-de-file/{chef_de_file_id}`
#[utoipa::path(
    get,
    path = "/chefs-de-file/{chef_de_file_id}",
    tag = "administration",
    summary = "Un chef de file (administration)",
    params(("chef_de_file_id" = String, Path, description = "Identifiant du chef de file")),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le chef de file", body = ChefDeFile),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Chef de file inconnu", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_chef_de_file(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
) -> Result<Json<ChefDeFile>, ApiError> {
    Ok(Json(admin::chef_de_file(&*state.store, &id).await?))
}

/// `PUT /chefs-de-file/{chef_de_file_id}`
#[utoipa::path(
    put,
    path = "/chefs-de-file/{chef_de_file_id}",
    tag = "administration",
    summary = "Modifier un chef de file (administration)",
    description = "Un périmètre donné remplace l’ancien, pour tous ses clients.",
    params(("chef_de_file_id" = String, Path, description = "Identifiant du chef de file")),
    request_body(content = UpdateChefDeFile, content_type = "application/json"),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Le chef de file modifié", body = ChefDeFile),
        (status = 400, description = "Identifiant invalide, ou corps qui n’est pas un objet JSON", body = Problem, content_type = "application/problem+json"),
        AdminProblems,
        (status = 404, description = "Chef de file inconnu", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Champ invalide, périmètre inconnu (field le nomme)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_chef_de_file(
    State(state): AppState,
    Path(id): Path<String>,
    _admin: Admin,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ChefDeFile>, ApiError> {
    admin::checked_id(&id)?;
    let input: UpdateChefDeFile = admin_body(body)?;
    Ok(Json(admin::update_chef_de_file(&*state.store, Origin { ip }, &id, input).await?))
}
