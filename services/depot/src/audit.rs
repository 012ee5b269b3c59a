//! The audit log as the depot writes it and administrators read it. Handlers write an entry
//! once their action is done ([`record`]), with who acted (a client's id, or `admin`), the
//! object, the commune, the client's address and a short detail — never a secret (a PIN
//! code, a token). `GET /admin/audit` reads it, newest first, by page, filtered by commune,
//! client and action; `ban audit` reads the same store method.
use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use ban_service_kit::{ApiError, Problem};
use ban_store::{AuditAction, AuditEntry, AuditFilter, NewAuditEntry};
use serde::Deserialize;

use crate::pages::PageQuery;
use crate::{Admin, DepotState};

/// Writes `entry`. The action it records is already done: a store that fails now does not
/// undo it nor fail the request; the failure is logged (error level, with the action) and
/// counted in `audit_write_failed_total`.
pub async fn record(state: &DepotState, entry: NewAuditEntry) {
    record_in(&*state.store, entry).await
}

/// [`record`] on a store (code shared with the command line).
pub async fn record_in(store: &dyn ban_store::Store, entry: NewAuditEntry) {
    let (action, object) = (entry.action, entry.object_id.clone());
    if let Err(error) = store.record_audit(entry).await {
        metrics::counter!("audit_write_failed_total").increment(1);
        tracing::error!(%error, action = action.as_str(), object, "audit entry not written");
    }
}

/// The filters of `GET /admin/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Cette commune seulement (code INSEE).
    commune: Option<String>,
    /// Ce client seulement : ses actions, et celles des administrateurs sur ses objets.
    client: Option<String>,
    /// Cette action seulement (`revision.published`, `habilitation.forced`…).
    #[param(value_type = Option<AuditAction>)]
    action: Option<String>,
}

impl AuditQuery {
    fn filter(self) -> Result<AuditFilter, ApiError> {
        let action = match self.action.as_deref() {
            None => None,
            Some(text) => Some(AuditAction::parse(text).ok_or_else(|| {
                let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                ApiError::bad_request(
                    "invalid_action",
                    format!("action « {text} » : attendu l’une de {}.", known.join(", ")),
                )
            })?),
        };
        Ok(AuditFilter { code_commune: self.commune, client_id: self.client, action })
    }
}

/// `GET /admin/audit?commune=&client=&action=&page=&limit=`
#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "administration",
    summary = "Le journal d’audit, par page",
    description = "Publications, habilitations (demande, code envoyé — jamais le code —, code refusé, acceptée, \
        rejetée, forcée) et actions d’administration : qui (identifiant du client, ou admin), quoi, sur quel objet, \
        quand, depuis quelle adresse. Les plus récentes d’abord. Le corps est la page (un tableau) ; X-Total-Count \
        et Link (first, prev, next, last) disent le reste.",
    params(AuditQuery, PageQuery),
    security(("adminToken" = [])),
    responses(
        (status = 200, description = "Une page du journal", body = Vec<AuditEntry>, headers(
            ("x-total-count" = u64, description = "Nombre d’entrées de la liste entière"),
            ("link" = String, description = "Les pages first, prev, next et last (RFC 8288)"))),
        (status = 400, description = "action, page ou limit invalide", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Jeton d’administration absent ou faux", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Trop d’authentifications échouées depuis cette adresse", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn entries(
    State(state): State<Arc<DepotState>>,
    _admin: Admin,
    Query(query): Query<AuditQuery>,
    Query(page): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<AuditEntry>>), ApiError> {
    let filter = query.filter()?;
    let paging = page.paging()?;
    let found = state.store.audit_entries(&filter, paging.request()).await?;
    let headers = paging.headers(&uri, &found);
    Ok((headers, Json(found.items)))
}
