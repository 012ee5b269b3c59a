//! The directory of town halls as the depot answers it: the addresses a commune's PIN code
//! may be sent to (`GET /communes/{code}/emails`, as the production depot answers it), read
//! from the directory imported into the store (`ban directory import`).
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use ban_directory::commune_emails;
use ban_service_kit::openapi::CommunePath;
use ban_service_kit::ApiError;

use crate::DepotState;

/// The addresses offered for a commune's PIN code (empty when it has none, or is unknown).
pub async fn offered_emails(state: &DepotState, code: &str) -> Result<Vec<String>, ApiError> {
    let town_halls = state.store.town_halls(code).await?;
    Ok(commune_emails(&town_halls))
}

/// `GET /communes/{code}/emails`
#[utoipa::path(
    get,
    path = "/communes/{code}/emails",
    tag = "habilitations",
    summary = "Les adresses de la mairie, auxquelles un code PIN peut être envoyé",
    description = "Les adresses électroniques des mairies de la commune (mairie principale, mairies déléguées et annexes) \
        dans l’annuaire des services publics (DILA), dans son ordre, sans doublon ni adresse invalide : \
        `send-pin-code` n’accepte que l’une d’elles, à l’octet près. Un tableau vide pour une commune sans adresse \
        ou inconnue, jamais 404, comme l’API de dépôt de production.",
    params(CommunePath),
    responses(
        (status = 200, description = "Les adresses, peut-être aucune", body = Vec<String>,
            example = json!(["mairie@exempleville.fr", "secretariat@exempleville.fr"])),
    )
)]
pub async fn emails(
    State(state): State<Arc<DepotState>>,
    Path(CommunePath { code }): Path<CommunePath>,
) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(offered_emails(&state, &code).await?))
}
