//! Habilitations: a commune's consent, given by a PIN code sent to the town hall, that a
//! client publishes its addresses. The code goes only to an address of the commune's town
//! halls in the directory of public services (`crate::directory`), has 10 tries per
//! habilitation whatever the number of codes sent, and a client holds a few pending
//! habilitations per commune at most (`crate::abuse`). Every step is written to the audit
//! log (`crate::audit`). Each handler carries its OpenAPI description (`#[utoipa::path]`,
//! see [`crate::openapi`]).
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ban_bal::Cog;
use ban_service_kit::openapi::CommunePath;
use ban_service_kit::ApiError;
use ban_store::ids::{is_object_id, object_id, pin_code};
use ban_store::{AuditAction, Habilitation, HabilitationOpening, HabilitationStatus, NewAuditEntry, Secret};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::record;
use crate::directory::offered_emails;
use crate::openapi::{ClientProblems, HabilitationAnswer};
use crate::{json_body, Admin, Authenticated, ClientIp, DepotState};
use ban_service_kit::Problem;

type AppState = State<Arc<DepotState>>;

/// A PIN code is valid this long.
const PIN_VALIDITY: Duration = Duration::hours(24);
/// A new code may be asked for after this delay.
const PIN_RESEND_DELAY: Duration = Duration::minutes(5);
/// Wrong codes allowed before the habilitation is rejected, whatever the number of codes
/// sent: a new code does not give new tries.
const PIN_ATTEMPTS: i32 = 10;

/// The habilitation of a route's path (`/habilitations/{id}…`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct HabilitationPath {
    /// Identifiant de l’habilitation (24 chiffres hexadécimaux)
    id: String,
}

async fn habilitation_of(state: &DepotState, id: &str) -> Result<Habilitation, ApiError> {
    if !is_object_id(id) {
        return Err(ApiError::bad_request(
            "invalid_id",
            format!("« {id} » n’est pas un identifiant valide."),
        ));
    }
    state.store.habilitation(id).await?.ok_or_else(|| {
        ApiError::not_found("habilitation_not_found", format!("Habilitation {id} introuvable."))
    })
}

fn public(h: &Habilitation, client: Option<&ban_store::Client>) -> Value {
    let mut value = serde_json::to_value(h).unwrap_or(Value::Null);
    if let (Some(object), Some(client)) = (value.as_object_mut(), client) {
        object.insert(
            "client".into(),
            json!({"id": client.id, "nom": client.nom, "mandataire": client.mandataire}),
        );
    }
    value
}

/// `POST /communes/{code}/habilitations`
#[utoipa::path(
    post,
    path = "/communes/{code}/habilitations",
    tag = "habilitations",
    summary = "Demander une habilitation pour une commune",
    description = "Un client détient au plus MAX_OPEN_HABILITATIONS (3 par défaut) habilitations en attente par commune : \
        au-delà, 409 avec leurs identifiants, à utiliser (un code peut être renvoyé toutes les 5 minutes).",
    params(CommunePath),
    security(("token" = [])),
    responses(
        (status = 201, description = "L’habilitation créée, en attente", body = HabilitationAnswer),
        ClientProblems,
        (status = 404, description = "Commune inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Trop d’habilitations en attente de ce client pour cette commune", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): AppState,
    Path(CommunePath { code }): Path<CommunePath>,
    caller: Authenticated,
    ClientIp(ip): ClientIp,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if !Cog::get().is_current(&code) {
        return Err(ApiError::not_found("commune_not_found", format!("Commune {code} inconnue.")));
    }
    let now = Utc::now();
    let habilitation = Habilitation::pending(object_id(now), caller.0.id.clone(), code, PIN_ATTEMPTS, now);
    let max_open = state.limits.max_open_habilitations;
    let created = match state.store.open_habilitation(habilitation, max_open).await? {
        HabilitationOpening::Created(created) => created,
        HabilitationOpening::Capped { open } => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "too_many_open_habilitations",
                format!(
                    "Ce client a déjà {} habilitation(s) en attente pour cette commune ({}) : utilisez-en une, \
                     ou attendez qu’elles soient acceptées ou rejetées.",
                    open.len(),
                    open.join(", ")
                ),
            ));
        }
    };
    record(
        &state,
        NewAuditEntry::by_client(&caller.0.id, AuditAction::HabilitationCreated)
            .object(&created.id)
            .commune(&created.code_commune)
            .ip(ip),
    )
    .await;
    Ok((StatusCode::CREATED, Json(public(&created, Some(&caller.0)))))
}

/// `GET /habilitations/{id}` (the PIN code is never shown).
#[utoipa::path(
    get,
    path = "/habilitations/{id}",
    tag = "habilitations",
    summary = "Une habilitation (jamais son code PIN)",
    params(HabilitationPath),
    security(("token" = [])),
    responses(
        (status = 200, description = "L’habilitation", body = HabilitationAnswer),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Habilitation inconnue", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): AppState,
    Path(HabilitationPath { id }): Path<HabilitationPath>,
    caller: Authenticated,
) -> Result<Json<Value>, ApiError> {
    let h = habilitation_of(&state, &id).await?;
    caller.owns(&h.client_id)?;
    Ok(Json(public(&h, Some(&caller.0))))
}

/// Most ids one `are-valid` request may ask about (each is a store read).
pub const MAX_ARE_VALID_IDS: usize = 1_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct IdsBody {
    /// Identifiants d’habilitations.
    ids: Vec<String>,
}

/// `POST /habilitations/are-valid`: `{ids}` → `{id: accepted}`.
#[utoipa::path(
    post,
    path = "/habilitations/are-valid",
    tag = "habilitations",
    summary = "Habilitations acceptées",
    request_body(content = IdsBody, content_type = "application/json"),
    security(("token" = [])),
    responses(
        (status = 200, description = "Pour chaque identifiant, s’il désigne une habilitation acceptée", body = BTreeMap<String, bool>),
        (status = 400, description = "Corps invalide, ou plus de 1 000 identifiants", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
    )
)]
pub async fn are_valid(
    State(state): AppState,
    _caller: Authenticated,
    body: Result<Json<IdsBody>, JsonRejection>,
) -> Result<Json<BTreeMap<String, bool>>, ApiError> {
    let body = json_body(body)?;
    if body.ids.len() > MAX_ARE_VALID_IDS {
        return Err(ApiError::bad_request(
            "too_many_ids",
            format!("{} identifiants : {MAX_ARE_VALID_IDS} au plus par requête.", body.ids.len()),
        ));
    }
    let mut out = BTreeMap::new();
    for id in body.ids {
        let accepted = if is_object_id(&id) {
            state
                .store
                .habilitation(&id)
                .await?
                .is_some_and(|h| h.status == HabilitationStatus::Accepted && h.accepted_at.is_some())
        } else {
            false
        };
        out.insert(id, accepted);
    }
    Ok(Json(out))
}

fn still_pending(h: &Habilitation) -> Result<(), ApiError> {
    match h.status {
        HabilitationStatus::Pending => Ok(()),
        status => Err(ApiError::precondition(
            "habilitation_closed",
            format!(
                "Cette habilitation est déjà {}.",
                if status == HabilitationStatus::Accepted { "acceptée" } else { "rejetée" }
            ),
        )),
    }
}

/// The habilitation `id` for the PIN code routes: the caller's own, still pending.
async fn pending_of_caller(
    state: &DepotState,
    id: &str,
    caller: &Authenticated,
) -> Result<Habilitation, ApiError> {
    let h = habilitation_of(state, id).await?;
    caller.owns(&h.client_id)?;
    still_pending(&h)?;
    Ok(h)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EmailBody {
    /// L’une des adresses de la mairie (`GET /communes/{code}/emails`), à l’octet près.
    email: String,
}

/// The production depot's answer to an address that is not one of the commune's.
pub const NOT_THE_TOWN_HALL: &str =
    "Impossible d’envoyer le code, l’email préconisé n’appartient pas à la commune";

/// `POST /habilitations/{id}/authentication/email/send-pin-code`: `{email}`.
#[utoipa::path(
    post,
    path = "/habilitations/{id}/authentication/email/send-pin-code",
    tag = "habilitations",
    summary = "Envoyer un code PIN à la mairie",
    description = "L’adresse doit être l’une de celles que donne GET /communes/{code}/emails (l’annuaire des services \
        publics), à l’octet près. Une commune sans adresse dans l’annuaire ne peut pas recevoir de code : un \
        administrateur peut accepter l’habilitation (PUT /habilitations/{id}/validate) après avoir vérifié le \
        consentement de la mairie. Un nouveau code ne rend pas de tentatives : 10 au total par habilitation.",
    params(HabilitationPath),
    request_body(content = EmailBody, content_type = "application/json"),
    security(("token" = [])),
    responses(
        (status = 200, description = "L’habilitation, code envoyé (valable 24 h)", body = HabilitationAnswer),
        (status = 400, description = "Identifiant ou corps invalide", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Habilitation inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Un code a été envoyé il y a moins de 5 minutes", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Habilitation close ; adresse qui n’est pas l’une de la mairie (not_commune_email) ; commune sans adresse dans l’annuaire (commune_without_email)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Le code n’a pas pu être envoyé", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send_pin_code(
    State(state): AppState,
    Path(HabilitationPath { id }): Path<HabilitationPath>,
    caller: Authenticated,
    ClientIp(ip): ClientIp,
    body: Result<Json<EmailBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(body)?;
    let h = pending_of_caller(&state, &id, &caller).await?;
    let offered = offered_emails(&state, &h.code_commune).await?;
    if offered.is_empty() {
        return Err(without_email(&state, &h).await?);
    }
    // Byte for byte, as production compares them: the address is the directory's, not one
    // that looks like it.
    let email = body.email;
    if !offered.contains(&email) {
        return Err(ApiError::precondition("not_commune_email", NOT_THE_TOWN_HALL));
    }
    let now = Utc::now();
    if let Some(sent) = h.pin_sent_at.filter(|sent| now - *sent < PIN_RESEND_DELAY) {
        let wait = (PIN_RESEND_DELAY - (now - sent)).num_seconds().max(1);
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "pin_code_recently_sent",
            format!("Un code a été envoyé il y a moins de 5 minutes : réessayez dans {wait} s."),
        ));
    }
    let pin = pin_code();
    let read_at = h.updated_at;
    // The tries left stay as they are: a new code is not a new chance to guess.
    let changed = Habilitation {
        email_commune: Some(email.clone()),
        strategy: Some("email".into()),
        pin_code: Some(Secret::new(pin.clone())),
        pin_code_expiration: Some(now + PIN_VALIDITY),
        pin_sent_at: Some(now),
        updated_at: now,
        ..h
    };
    let saved = state.store.update_habilitation(&changed, read_at).await?;
    state.mailer.send_pin_code(&email, &saved.code_commune, &pin).await.map_err(|error| {
        // The relay's detail is for the operators (the log), not for the client.
        tracing::error!(%error, habilitation = %saved.id, "PIN code not sent");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "mail_failed",
            "Le code n’a pas pu être envoyé : le serveur de courriel ne répond pas, réessayez plus tard.",
        )
    })?;
    let detail = format!("code envoyé à {email} ({} tentatives restantes)", saved.remaining_attempts);
    record(&state, audit(&caller, AuditAction::HabilitationCodeSent, &saved, ip).detail(detail)).await;
    Ok(Json(public(&saved, Some(&caller.0))))
}

/// The answer for a commune without any address in the directory: no code can be sent, and
/// an administrator can accept the habilitation by hand. Says whether the directory was
/// ever imported (a server set up without it refuses every commune).
async fn without_email(state: &DepotState, h: &Habilitation) -> Result<ApiError, ApiError> {
    let code = &h.code_commune;
    let imported = !state.store.directory_imports(1).await?.is_empty();
    let why = if imported {
        format!("La commune {code} n’a aucune adresse électronique de mairie dans l’annuaire des services publics")
    } else {
        "L’annuaire des mairies n’a pas encore été chargé sur ce serveur (ban directory import)".to_owned()
    };
    Ok(ApiError::precondition(
        "commune_without_email",
        format!(
            "{why} : aucun code ne peut être envoyé. Un administrateur peut accepter l’habilitation \
             (PUT /habilitations/{}/validate) après avoir vérifié le consentement de la mairie.",
            h.id
        ),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeBody {
    /// Le code à 6 chiffres reçu par la mairie.
    code: String,
}

/// `POST /habilitations/{id}/authentication/email/validate-pin-code`: `{code}`.
#[utoipa::path(
    post,
    path = "/habilitations/{id}/authentication/email/validate-pin-code",
    tag = "habilitations",
    summary = "Valider le code PIN",
    params(HabilitationPath),
    request_body(content = CodeBody, content_type = "application/json"),
    security(("token" = [])),
    responses(
        (status = 200, description = "L’habilitation acceptée", body = HabilitationAnswer),
        (status = 400, description = "Identifiant ou corps invalide", body = Problem, content_type = "application/problem+json"),
        ClientProblems,
        (status = 404, description = "Habilitation inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Code faux, expiré ou jamais envoyé ; habilitation close", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop de codes vérifiés avec ce jeton ou depuis cette adresse (PIN_CHECKS_PER_CLIENT, PIN_CHECKS_PER_IP), ou trop d’authentifications échouées (Retry-After)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn validate_pin_code(
    State(state): AppState,
    Path(HabilitationPath { id }): Path<HabilitationPath>,
    caller: Authenticated,
    ClientIp(ip): ClientIp,
    body: Result<Json<CodeBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(body)?;
    state.limits.pin_check(&caller.0, ip)?;
    let h = pending_of_caller(&state, &id, &caller).await?;
    let (Some(expected), Some(expiration)) = (h.pin_code.clone(), h.pin_code_expiration) else {
        return Err(ApiError::precondition(
            "pin_code_not_sent",
            "Aucun code n’a été envoyé pour cette habilitation.",
        ));
    };
    let now = Utc::now();
    let read_at = h.updated_at;
    // As production: the code is compared before its expiry is checked, so that a wrong code
    // costs a try even once the code has expired; the right one, expired, is refused.
    if body.code.trim() == expected.expose() {
        if now > expiration {
            return Err(ApiError::precondition("pin_code_expired", "Code expiré."));
        }
        let accepted = Habilitation {
            status: HabilitationStatus::Accepted,
            accepted_at: Some(now),
            pin_code: None,
            updated_at: now,
            ..h
        };
        let saved = state.store.update_habilitation(&accepted, read_at).await?;
        tracing::info!(habilitation = %saved.id, commune = %saved.code_commune, "habilitation accepted");
        let detail = format!("code envoyé à {} : validé", saved.email_commune.as_deref().unwrap_or("?"));
        record(&state, audit(&caller, AuditAction::HabilitationAccepted, &saved, ip).detail(detail)).await;
        return Ok(Json(public(&saved, Some(&caller.0))));
    }
    let remaining = h.remaining_attempts - 1;
    let failed = if remaining <= 0 {
        Habilitation {
            status: HabilitationStatus::Rejected,
            rejected_at: Some(now),
            remaining_attempts: 0,
            pin_code: None,
            updated_at: now,
            ..h
        }
    } else {
        Habilitation { remaining_attempts: remaining, updated_at: now, ..h }
    };
    let saved = state.store.update_habilitation(&failed, read_at).await?;
    let refused = format!("code faux, {} tentative(s) restante(s)", remaining.max(0));
    record(&state, audit(&caller, AuditAction::HabilitationCodeRefused, &saved, ip).detail(refused)).await;
    if remaining <= 0 {
        tracing::warn!(habilitation = %saved.id, commune = %saved.code_commune, "habilitation rejected: no try left");
        let detail = "plus aucune tentative";
        record(&state, audit(&caller, AuditAction::HabilitationRejected, &saved, ip).detail(detail)).await;
    }
    Err(if remaining <= 0 {
        ApiError::precondition(
            "pin_code_rejected",
            "Code non valide : plus aucune tentative, l’habilitation est rejetée.",
        )
    } else {
        ApiError::precondition(
            "pin_code_invalid",
            format!("Code non valide, {remaining} tentatives restantes."),
        )
    })
}

/// An entry of the audit log: `action` of the caller on habilitation `h`.
fn audit(caller: &Authenticated, action: AuditAction, h: &Habilitation, ip: Option<IpAddr>) -> NewAuditEntry {
    NewAuditEntry::by_client(&caller.0.id, action).object(&h.id).commune(&h.code_commune).ip(ip)
}

/// `PUT /habilitations/{id}/validate` (administrators): accepts without a code.
#[utoipa::path(
    put,
    path = "/habilitations/{id}/validate",
    tag = "habilitations",
    summary = "Accepter une habilitation (administration)",
    description = "Sans code : pour une commune sans adresse dans l’annuaire, une fois le consentement de la mairie \
        vérifié autrement. Écrit au journal d’audit (habilitation.forced).",
    params(HabilitationPath),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "L’habilitation acceptée (sans client)", body = HabilitationAnswer),
        (status = 400, description = "Identifiant invalide", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Jeton d’administration absent ou faux", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Habilitation inconnue", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Habilitation close", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop d’authentifications échouées depuis cette adresse", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn force_accept(
    State(state): AppState,
    Path(HabilitationPath { id }): Path<HabilitationPath>,
    _admin: Admin,
    ClientIp(ip): ClientIp,
) -> Result<Json<Value>, ApiError> {
    let h = habilitation_of(&state, &id).await?;
    still_pending(&h)?;
    let now = Utc::now();
    let read_at = h.updated_at;
    let accepted = Habilitation {
        status: HabilitationStatus::Accepted,
        strategy: Some("internal".into()),
        accepted_at: Some(now),
        updated_at: now,
        ..h
    };
    let saved = state.store.update_habilitation(&accepted, read_at).await?;
    tracing::info!(habilitation = %saved.id, commune = %saved.code_commune, client = %saved.client_id,
        "habilitation accepted by an administrator");
    record(
        &state,
        NewAuditEntry::by_admin(AuditAction::HabilitationForced)
            .object(&saved.id)
            .commune(&saved.code_commune)
            .client(&saved.client_id)
            .ip(ip)
            .detail("acceptée sans code par un administrateur"),
    )
    .await;
    Ok(Json(public(&saved, None)))
}

/// The habilitation `id` of `client` for `commune`, if it is accepted: a 404 otherwise (an
/// id that is not one: 400). What publishing, and deciding on a citizen report, rely on.
pub async fn accepted(
    state: &DepotState,
    client: &ban_store::Client,
    id: &str,
    commune: &str,
) -> Result<Habilitation, ApiError> {
    crate::revisions::checked_id(id)?;
    let found = state.store.habilitation(id).await?;
    found
        .filter(|h| {
            h.status == HabilitationStatus::Accepted && h.client_id == client.id && h.code_commune == commune
        })
        .ok_or_else(|| {
            ApiError::not_found(
                "habilitation_not_found",
                "Aucune habilitation acceptée de ce client pour cette commune.",
            )
        })
}
