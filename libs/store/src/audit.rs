//! The audit log: who did what to which object, when and from where — every publication,
//! every step of a habilitation, every administration action. Append-only: entries are
//! never changed nor deleted by the services.
//!
//! To log an action, call [`AuditStore::record_audit`] with a [`NewAuditEntry`] once the
//! action succeeded (the builders say who acted: [`NewAuditEntry::by_client`],
//! [`NewAuditEntry::by_admin`]), and add its [`AuditAction`] below if it is a new kind of
//! action. The depot records through `ban_depot::audit::record`, which logs a failure to write
//! the entry rather than failing the request whose action is already done.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Page, PageRequest, StoreResult};

/// Who acts when an administrator does (`ADMIN_TOKEN` on the API, or the command line).
pub const ADMIN_ACTOR: &str = "admin";

/// What was done. The text (`revision.published`) is what is stored, answered and filtered
/// on: the object's kind, a dot, the verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AuditAction {
    /// A revision became its commune's current one.
    #[serde(rename = "revision.published")]
    RevisionPublished,
    /// A client asked for a habilitation of a commune.
    #[serde(rename = "habilitation.created")]
    HabilitationCreated,
    /// A PIN code was sent to a town-hall address (the detail names the address, never the code).
    #[serde(rename = "habilitation.code_sent")]
    HabilitationCodeSent,
    /// A wrong PIN code was given (the detail says how many tries are left).
    #[serde(rename = "habilitation.code_refused")]
    HabilitationCodeRefused,
    /// The town hall's code was given: the habilitation is accepted.
    #[serde(rename = "habilitation.accepted")]
    HabilitationAccepted,
    /// The tries ran out: the habilitation is rejected.
    #[serde(rename = "habilitation.rejected")]
    HabilitationRejected,
    /// An administrator accepted a habilitation without a code.
    #[serde(rename = "habilitation.forced")]
    HabilitationForced,
    /// An administrator read a pending PIN code from the store (`ban habilitation pin`).
    #[serde(rename = "habilitation.code_read")]
    HabilitationCodeRead,
    /// A client was created.
    #[serde(rename = "client.created")]
    ClientCreated,
    /// A client's record was changed (the detail names the fields, never a token).
    #[serde(rename = "client.changed")]
    ClientChanged,
    /// A client was disabled: its token no longer authenticates.
    #[serde(rename = "client.disabled")]
    ClientDisabled,
    /// A disabled client was enabled again.
    #[serde(rename = "client.enabled")]
    ClientEnabled,
    /// A client was given a new token (the old one no longer authenticates).
    #[serde(rename = "client.token_renewed")]
    ClientTokenRenewed,
    /// The perimeters a client publishes within were replaced (the detail lists them).
    #[serde(rename = "client.perimeters_set")]
    ClientPerimetersSet,
    /// A mandataire was created.
    #[serde(rename = "mandataire.created")]
    MandataireCreated,
    /// A mandataire was changed.
    #[serde(rename = "mandataire.changed")]
    MandataireChanged,
    /// A chef de file was created (the detail lists its perimeters).
    #[serde(rename = "chef_de_file.created")]
    ChefDeFileCreated,
    /// A chef de file was changed (the detail names the fields).
    #[serde(rename = "chef_de_file.changed")]
    ChefDeFileChanged,
    /// A failed consolidation job was queued again.
    #[serde(rename = "job.retried")]
    JobRetried,
    /// An administrator forced a refused plan: its job queued again, to be applied despite
    /// the rule that refused it (the detail names the rule).
    #[serde(rename = "job.forced")]
    JobForced,
    /// The directory of town halls was replaced by an import.
    #[serde(rename = "directory.imported")]
    DirectoryImported,
}

ban_domain::text_enum!(AuditAction {
    RevisionPublished => "revision.published",
    HabilitationCreated => "habilitation.created",
    HabilitationCodeSent => "habilitation.code_sent",
    HabilitationCodeRefused => "habilitation.code_refused",
    HabilitationAccepted => "habilitation.accepted",
    HabilitationRejected => "habilitation.rejected",
    HabilitationForced => "habilitation.forced",
    HabilitationCodeRead => "habilitation.code_read",
    ClientCreated => "client.created",
    ClientChanged => "client.changed",
    ClientDisabled => "client.disabled",
    ClientEnabled => "client.enabled",
    ClientTokenRenewed => "client.token_renewed",
    ClientPerimetersSet => "client.perimeters_set",
    MandataireCreated => "mandataire.created",
    MandataireChanged => "mandataire.changed",
    ChefDeFileCreated => "chef_de_file.created",
    ChefDeFileChanged => "chef_de_file.changed",
    JobRetried => "job.retried",
    JobForced => "job.forced",
    DirectoryImported => "directory.imported",
});

impl AuditAction {
    /// Every action, in the order above.
    pub const ALL: [AuditAction; 21] = [
        AuditAction::RevisionPublished,
        AuditAction::HabilitationCreated,
        AuditAction::HabilitationCodeSent,
        AuditAction::HabilitationCodeRefused,
        AuditAction::HabilitationAccepted,
        AuditAction::HabilitationRejected,
        AuditAction::HabilitationForced,
        AuditAction::HabilitationCodeRead,
        AuditAction::ClientCreated,
        AuditAction::ClientChanged,
        AuditAction::ClientDisabled,
        AuditAction::ClientEnabled,
        AuditAction::ClientTokenRenewed,
        AuditAction::ClientPerimetersSet,
        AuditAction::MandataireCreated,
        AuditAction::MandataireChanged,
        AuditAction::ChefDeFileCreated,
        AuditAction::ChefDeFileChanged,
        AuditAction::JobRetried,
        AuditAction::JobForced,
        AuditAction::DirectoryImported,
    ];
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Increasing in the order entries were written.
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted: a client's id, or `admin`.
    pub actor: String,
    #[sqlx(try_from = "String")]
    pub action: AuditAction,
    /// The object acted on, of the kind the action names (a revision's, a habilitation's,
    /// a client's id…).
    pub object_id: Option<String>,
    /// The commune concerned.
    pub code_commune: Option<String>,
    /// The client concerned: the actor, or the client whose object an administrator acted on.
    pub client_id: Option<String>,
    /// The address the request came from (none from the command line).
    pub ip: Option<String>,
    /// A short text for people (never a secret).
    pub detail: String,
}

/// An entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: AuditAction,
    pub object_id: Option<String>,
    pub code_commune: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

impl NewAuditEntry {
    /// `action` done now by the client `client_id` (also the client concerned).
    pub fn by_client(client_id: &str, action: AuditAction) -> Self {
        NewAuditEntry { client_id: Some(client_id.to_owned()), ..Self::by(client_id, action) }
    }

    /// `action` done now by an administrator.
    pub fn by_admin(action: AuditAction) -> Self {
        Self::by(ADMIN_ACTOR, action)
    }

    fn by(actor: &str, action: AuditAction) -> Self {
        NewAuditEntry {
            at: Utc::now(),
            actor: actor.to_owned(),
            action,
            object_id: None,
            code_commune: None,
            client_id: None,
            ip: None,
            detail: String::new(),
        }
    }

    /// The object acted on.
    pub fn object(self, id: impl Into<String>) -> Self {
        NewAuditEntry { object_id: Some(id.into()), ..self }
    }

    /// The commune concerned.
    pub fn commune(self, code: impl Into<String>) -> Self {
        NewAuditEntry { code_commune: Some(code.into()), ..self }
    }

    /// The client concerned, when an administrator acts on a client's object.
    pub fn client(self, id: impl Into<String>) -> Self {
        NewAuditEntry { client_id: Some(id.into()), ..self }
    }

    /// The address the request came from.
    pub fn ip(self, ip: Option<std::net::IpAddr>) -> Self {
        NewAuditEntry { ip: ip.map(|ip| ip.to_string()), ..self }
    }

    /// A short text for people.
    pub fn detail(self, detail: impl Into<String>) -> Self {
        NewAuditEntry { detail: detail.into(), ..self }
    }
}

/// Which entries to read: all of those given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub code_commune: Option<String>,
    pub client_id: Option<String>,
    pub action: Option<AuditAction>,
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry; returns it as stored (with its id).
    async fn record_audit(&self, entry: NewAuditEntry) -> StoreResult<AuditEntry>;
    /// A page of the entries that match `filter`, newest first.
    async fn audit_entries(&self, filter: &AuditFilter, page: PageRequest) -> StoreResult<Page<AuditEntry>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_answered_names_agree() {
        for action in AuditAction::ALL {
            let answered = serde_json::to_value(action).unwrap_or_default();
            assert_eq!(answered.as_str(), Some(action.as_str()));
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
    }
}
