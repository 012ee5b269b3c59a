//! The town hall's consent by e-mail code, shared by the pages that act for a commune (the
//! publication `/publier`, the processing of reports `/commune/{code}/signalements/mairie`):
//! the web's client opens a habilitation of the commune, the depot sends a 6-digit code to an
//! address of the town hall from the directory, the person types it. What a habilitation's
//! state means for the page ([`Consent`]), the two actions ([`request_code`],
//! [`check_code`]), and the depot's refusals in plain French ([`plain`], [`status_of`]).
use axum::http::StatusCode;

use crate::depot_client::{Browser, DepotClient, DepotError, Habilitation, HabilitationStatus};

/// What went wrong, for the alert of a page.
#[derive(Debug, Clone)]
pub struct Problem {
    pub title: String,
    pub message: String,
}

impl Problem {
    pub fn new(title: &str, message: impl Into<String>) -> Self {
        Problem { title: title.to_owned(), message: message.into() }
    }
}

/// Where the consent of a habilitation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// Opened, no code sent yet: choose the town hall's address.
    Opened,
    /// A code was sent to `email`; `remaining` tries left.
    CodeSent { email: Option<String>, remaining: i64 },
    /// The code was right: the page may act for the commune.
    Accepted,
    /// Too many wrong codes: a new code is needed.
    Rejected,
}

impl Consent {
    pub fn of(habilitation: &Habilitation) -> Self {
        match habilitation.status {
            HabilitationStatus::Accepted => Consent::Accepted,
            HabilitationStatus::Rejected => Consent::Rejected,
            _ if habilitation.strategy.as_deref() == Some("email") => Consent::CodeSent {
                email: habilitation.email_commune.clone(),
                remaining: i64::from(habilitation.remaining_attempts),
            },
            _ => Consent::Opened,
        }
    }
}

/// A code sent to `email` for `commune`: on the open habilitation when there is one, else on
/// a new one (opened only now, so that visitors who never ask a code hold no place under the
/// depot's `MAX_OPEN_HABILITATIONS`). The habilitation's id; on failure, the id if one is open.
pub async fn request_code(
    depot: &DepotClient,
    commune: &str,
    habilitation: Option<String>,
    email: &str,
    browser: Browser,
) -> Result<String, (Option<String>, DepotError)> {
    let habilitation = match habilitation {
        Some(h) => h,
        None => depot.open_habilitation(commune, browser).await.map_err(|e| (None, e))?.id,
    };
    match depot.send_code(&habilitation, email, browser).await {
        Ok(_) => Ok(habilitation),
        Err(error) => Err((Some(habilitation), error)),
    }
}

/// The message of a code that cannot be right (not 6 digits), before asking the depot.
pub const INCOMPLETE_CODE: &str = "Le code compte 6 chiffres : saisissez-le tel que la mairie l’a reçu.";

/// The code typed checked by the depot: `Ok(())` when accepted, or when the habilitation is
/// now rejected (its page says so); `Err(None)` for a code that is not 6 digits.
pub async fn check_code(
    depot: &DepotClient,
    habilitation: &str,
    typed: &str,
    browser: Browser,
) -> Result<(), Option<DepotError>> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(None);
    }
    match depot.check_code(habilitation, &code, browser).await {
        Ok(_) => Ok(()),
        Err(error) if error.code == "pin_code_rejected" => Ok(()),
        Err(error) => Err(Some(error)),
    }
}

/// A depot's answer as plain French for a person: the depot's own message, except where it
/// speaks of tokens or routes.
pub fn plain(error: &DepotError) -> String {
    let wait = error.retry_after.map(|s| format!(" Réessayez dans {s} s.")).unwrap_or_default();
    match error.code.as_str() {
        "rate_limited" => format!("Trop d’essais en peu de temps.{wait}"),
        "pin_code_expired" => "Ce code a expiré (il est valable 24 heures) : demandez-en un nouveau.".into(),
        "pin_code_not_sent" => "Aucun code n’a encore été envoyé : choisissez l’adresse de la mairie.".into(),
        "too_many_open_habilitations" => {
            "Trop de demandes de code sont en attente pour cette commune sur ce site : \
            utilisez le dernier code reçu par la mairie, ou réessayez quand ces demandes auront abouti."
                .into()
        }
        "commune_without_email" => {
            "La mairie n’a aucune adresse électronique dans l’Annuaire de l’administration : \
            aucun code ne peut lui être envoyé."
                .into()
        }
        "not_commune_email" => {
            "Cette adresse n’est pas l’une de celles de la mairie dans l’Annuaire de l’administration.".into()
        }
        "revision_outdated" => "Une autre Base Adresse Locale de la commune a été publiée entre-temps : \
            déposez à nouveau votre fichier pour qu’il soit comparé à celle-ci."
            .into(),
        "client_inactive" | "unauthorized" => {
            tracing::error!(code = %error.code, "the web's client of the depot is refused");
            "Ce service est momentanément indisponible sur ce site : réessayez plus tard.".into()
        }
        _ => format!("{}{}", error.message, if error.message.contains("Réessayez") { "" } else { &wait }),
    }
}

/// The status a page answers for a depot's error: the depot's, except for the web's own
/// client refused (503: the pages cannot act) and another client's object (404, as for
/// nothing there).
pub fn status_of(error: &DepotError) -> StatusCode {
    match (error.status, error.code.as_str()) {
        (StatusCode::UNAUTHORIZED, _) | (StatusCode::FORBIDDEN, "client_inactive") => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        (StatusCode::FORBIDDEN, _) => StatusCode::NOT_FOUND,
        (status, _) => status,
    }
}
