//! The depot's administration: clients, their mandataires and chefs de file with their
//! perimeters. The operations live here once, free of HTTP: the administration routes
//! ([`crate::admin_routes`]) and the `ban client|mandataire|chef-de-file` commands call them
//! with the same inputs, and get the same typed refusals ([`AdminError`]).
//!
//! A client publishes through its strategy: `chef-de-file` within its chef de file's
//! perimeters (checked at compute time), `habilitation` with a commune's consent, `internal`
//! without per-commune checks. A client created with a chef de file is `chef-de-file`, else
//! `habilitation`, unless the strategy is given.
use ban_bal::Cog;
use ban_spatial::{Epcis, Territories};
use ban_store::ids::{is_object_id, object_id, token};
use ban_store::{
    AuditAction, AuthorizationStrategy, ChefDeFile, Client, ClientChanges, ClientLinks, Mandataire,
    NewAuditEntry, NewClient, Perimeter, PerimeterKind, Store, StoreError,
};
use chrono::Utc;
use serde::{Deserialize, Deserializer, Serialize};

use crate::audit::record_in;

/// Where an administration operation comes from, written with it to the audit log: the
/// administration API (the caller's address) or the command line (no address). The actor is
/// `admin` either way: `ADMIN_TOKEN` names no one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<std::net::IpAddr>,
}

impl Origin {
    /// An operation run by `ban client|mandataire|chef-de-file`.
    pub const COMMAND_LINE: Origin = Origin { ip: None };

    /// The audit entry of `action` on the object `id`, done now from here.
    fn entry(self, action: AuditAction, id: &str, detail: String) -> NewAuditEntry {
        NewAuditEntry::by_admin(action).object(id).ip(self.ip).detail(detail)
    }
}

/// Perimeters as the audit log shows them (`commune:54084, epci:200039865`), or « aucun ».
fn perimeters_text(perimeters: &[Perimeter]) -> String {
    if perimeters.is_empty() {
        return "aucun".to_owned();
    }
    perimeters.iter().map(Perimeter::to_string).collect::<Vec<_>>().join(", ")
}

/// « champs modifiés : nom, email » for the fields given.
fn changed_fields(fields: &[(&str, bool)]) -> String {
    let names: Vec<&str> = fields.iter().filter_map(|(name, given)| given.then_some(*name)).collect();
    format!("champs modifiés : {}", names.join(", "))
}

/// What the administration manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Client,
    Mandataire,
    ChefDeFile,
}

impl Record {
    fn name(self) -> &'static str {
        match self {
            Record::Client => "Client",
            Record::Mandataire => "Mandataire",
            Record::ChefDeFile => "Chef de file",
        }
    }
}

/// Why an administration operation is refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// An id of a path that is not an id (400).
    #[error("« {id} » n’est pas un identifiant valide (24 chiffres hexadécimaux).")]
    InvalidId { id: String },
    /// No such record (404); `field` names the body's field that referred to it.
    #[error("{} {id} introuvable.", what.name())]
    NotFound { what: Record, id: String, field: Option<&'static str> },
    /// A field of the input is missing or wrong (422).
    #[error("{field} : {message}")]
    Invalid { field: String, message: String },
    /// The change contradicts the state of the records (409).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid { field: field.to_owned(), message: message.into() }
}

/// Reads a field that may be given as `null` (to empty it) apart from a field left out:
/// `None` when absent, `Some(None)` when `null`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A new client. `mandataireId` is required unless a mandataire's name is given (the command
/// line's `--mandataire NAME`, for clients of no recorded mandataire).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateClient {
    /// Nom du client (1 à 200 caractères).
    pub nom: String,
    /// Le mandataire qui opère le client.
    #[schema(required = true)]
    pub mandataire_id: Option<String>,
    /// Le chef de file dont le client publie le périmètre (stratégie `chef-de-file`).
    pub chef_de_file_id: Option<String>,
    /// Adresse de contact du client.
    pub email: Option<String>,
    /// Actif dès sa création (vrai par défaut).
    pub is_active: Option<bool>,
    /// `chef-de-file` avec un chef de file, `habilitation` sinon, par défaut ; `internal` pour
    /// les clients de la plateforme, sans contrôle par commune.
    pub authorization_strategy: Option<AuthorizationStrategy>,
    /// Identifiant fixe d’un client de la plateforme (`mes-adresses`, `moissonneur-bal`…), unique.
    pub legacy_id: Option<String>,
    /// The mandataire's name, for a client of no recorded mandataire (command line only).
    #[serde(skip)]
    pub mandataire: Option<String>,
    /// The client's own perimeters, without a chef de file (command line only).
    #[serde(skip)]
    pub perimeters: Vec<Perimeter>,
}

/// Changes of a client: the fields given, `null` to empty a nullable one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateClient {
    pub nom: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub mandataire_id: Option<Option<String>>,
    /// `null` : le client n’a plus de chef de file (il publie alors par habilitation).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub chef_de_file_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// `false` : le client ne s’authentifie plus (ses publications restent).
    pub is_active: Option<bool>,
    pub authorization_strategy: Option<AuthorizationStrategy>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub legacy_id: Option<Option<String>>,
    /// The mandataire's name (command line only).
    #[serde(skip)]
    pub mandataire: Option<String>,
}

/// A client as created, or with a new token: the token, shown this once (the store keeps only
/// its digest).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientWithToken {
    #[serde(flatten)]
    pub client: Client,
    /// Le jeton du client, montré cette fois seulement.
    pub token: String,
}

/// The perimeters a client publishes within.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PerimetersBody {
    pub perimeters: Vec<Perimeter>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateMandataire {
    /// Nom de l’organisation (1 à 200 caractères).
    pub nom: String,
    /// Son adresse, à laquelle les jetons de ses clients sont envoyés.
    pub email: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMandataire {
    pub nom: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateChefDeFile {
    /// Nom du partenaire (3 à 200 caractères).
    pub nom: String,
    pub email: String,
    /// Son adresse est-elle montrée avec les publications de ses clients (faux par défaut).
    pub is_email_public: Option<bool>,
    /// A-t-il signé la charte de la Base Adresse Locale (faux par défaut).
    pub is_signataire_charte: Option<bool>,
    /// Communes (code INSEE), départements et EPCI (SIREN) dont ses clients publient les adresses.
    pub perimeters: Option<Vec<Perimeter>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateChefDeFile {
    pub nom: Option<String>,
    pub email: Option<String>,
    pub is_email_public: Option<bool>,
    pub is_signataire_charte: Option<bool>,
    /// Remplace le périmètre entier.
    pub perimeters: Option<Vec<Perimeter>>,
}

/// Checks an id of a path.
pub fn checked_id(id: &str) -> Result<(), AdminError> {
    if is_object_id(id) {
        Ok(())
    } else {
        Err(AdminError::InvalidId { id: id.to_owned() })
    }
}

/// A name, trimmed, of `min` to 200 characters.
fn name(field: &str, text: &str, min: usize) -> Result<String, AdminError> {
    let text = text.trim();
    let length = text.chars().count();
    if length < min.max(1) || length > 200 {
        return Err(invalid(field, format!("attendu de {} à 200 caractères.", min.max(1))));
    }
    Ok(text.to_owned())
}

/// An e-mail address, trimmed: one `@`, a dotted domain, no space.
fn email(field: &str, text: &str) -> Result<String, AdminError> {
    let text = text.trim();
    let plausible = text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !text.contains(char::is_whitespace)
        && text.len() <= 254;
    if plausible {
        Ok(text.to_owned())
    } else {
        Err(invalid(field, format!("« {text} » n’est pas une adresse électronique valide.")))
    }
}

/// The id of a record a body refers to: its shape checked (422), then the record read (404).
fn referred_id(field: &'static str, id: &str) -> Result<String, AdminError> {
    let id = id.trim();
    if is_object_id(id) {
        Ok(id.to_owned())
    } else {
        Err(invalid(field, format!("« {id} » n’est pas un identifiant valide (24 chiffres hexadécimaux).")))
    }
}

fn legacy_id(text: &str) -> Result<String, AdminError> {
    let text = text.trim();
    let fits = !text.is_empty()
        && text.len() <= 100
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fits {
        Ok(text.to_owned())
    } else {
        Err(invalid("legacyId", "attendu 1 à 100 lettres, chiffres, - ou _."))
    }
}

/// Checks perimeters against the reference data (a current commune or a city of
/// arrondissements, a département, an EPCI by its SIREN) and drops repeated ones.
pub fn checked_perimeters(field: &str, perimeters: &[Perimeter]) -> Result<Vec<Perimeter>, AdminError> {
    let mut kept: Vec<Perimeter> = Vec::with_capacity(perimeters.len());
    for (i, perimeter) in perimeters.iter().enumerate() {
        let code = perimeter.code.trim();
        let known = match perimeter.kind {
            PerimeterKind::Commune => {
                Cog::get().is_current(code) || matches!(code, "75056" | "69123" | "13055")
            }
            PerimeterKind::Departement => Territories::national().departement_name(code).is_some(),
            PerimeterKind::Epci => Epcis::national().get(code).is_some(),
        };
        if !known {
            let what = match perimeter.kind {
                PerimeterKind::Commune => "commune inconnue du COG",
                PerimeterKind::Departement => "département inconnu",
                PerimeterKind::Epci => "EPCI inconnu (SIREN de 9 chiffres, COG 2026)",
            };
            return Err(invalid(&format!("{field}[{i}].code"), format!("« {code} » : {what}.")));
        }
        let perimeter = Perimeter { kind: perimeter.kind, code: code.to_owned() };
        if !kept.contains(&perimeter) {
            kept.push(perimeter);
        }
    }
    Ok(kept)
}

async fn mandataire_of(
    store: &dyn Store,
    field: Option<&'static str>,
    id: &str,
) -> Result<Mandataire, AdminError> {
    store.mandataire(id).await?.ok_or_else(|| AdminError::NotFound {
        what: Record::Mandataire,
        id: id.to_owned(),
        field,
    })
}

async fn chef_de_file_of(
    store: &dyn Store,
    field: Option<&'static str>,
    id: &str,
) -> Result<ChefDeFile, AdminError> {
    store.chef_de_file(id).await?.ok_or_else(|| AdminError::NotFound {
        what: Record::ChefDeFile,
        id: id.to_owned(),
        field,
    })
}

/// Refuses a legacy id another client than `except` has.
async fn legacy_id_free(store: &dyn Store, legacy_id: &str, except: Option<&str>) -> Result<(), AdminError> {
    let taken = store
        .clients()
        .await?
        .into_iter()
        .any(|c| c.legacy_id.as_deref() == Some(legacy_id) && Some(c.id.as_str()) != except);
    if taken {
        return Err(legacy_id_taken(legacy_id));
    }
    Ok(())
}

fn legacy_id_taken(legacy_id: &str) -> AdminError {
    AdminError::Conflict {
        code: "legacy_id_taken",
        message: format!("Un autre client a déjà l’identifiant fixe « {legacy_id} »."),
    }
}

/// The strategy a client has with (or without) a chef de file or perimeters of its own: the
/// one asked for if it fits, else `chef-de-file` with a perimeter, `habilitation` without.
fn strategy(
    asked: Option<AuthorizationStrategy>,
    has_chef_de_file: bool,
    has_own_perimeters: bool,
) -> Result<AuthorizationStrategy, AdminError> {
    match asked {
        Some(AuthorizationStrategy::ChefDeFile) if !has_chef_de_file && !has_own_perimeters => Err(invalid(
            "authorizationStrategy",
            "un client chef-de-file publie le périmètre de son chef de file : donnez chefDeFileId.",
        )),
        Some(other) if other != AuthorizationStrategy::ChefDeFile && has_chef_de_file => Err(invalid(
            "authorizationStrategy",
            format!("un client qui a un chef de file publie par chef-de-file, pas par {}.", other.as_str()),
        )),
        Some(asked) => Ok(asked),
        None if has_chef_de_file || has_own_perimeters => Ok(AuthorizationStrategy::ChefDeFile),
        None => Ok(AuthorizationStrategy::Habilitation),
    }
}

/// Creates a client and its token.
pub async fn create_client(
    store: &dyn Store,
    origin: Origin,
    input: CreateClient,
) -> Result<ClientWithToken, AdminError> {
    let nom = name("nom", &input.nom, 1)?;
    let email = input.email.as_deref().map(|e| email("email", e)).transpose()?;
    let perimeters = checked_perimeters("perimeters", &input.perimeters)?;
    let legacy_id = input.legacy_id.as_deref().map(legacy_id).transpose()?;
    let mandataire_id =
        input.mandataire_id.as_deref().map(|id| referred_id("mandataireId", id)).transpose()?;
    let chef_de_file_id =
        input.chef_de_file_id.as_deref().map(|id| referred_id("chefDeFileId", id)).transpose()?;
    let strategy = strategy(input.authorization_strategy, chef_de_file_id.is_some(), !perimeters.is_empty())?;
    let mandataire = match (&mandataire_id, input.mandataire.as_deref()) {
        (Some(id), _) => mandataire_of(store, Some("mandataireId"), id).await?.nom,
        (None, Some(given)) => name("mandataire", given, 1)?,
        (None, None) => return Err(invalid("mandataireId", "requis : le mandataire qui opère le client.")),
    };
    if let Some(id) = &chef_de_file_id {
        chef_de_file_of(store, Some("chefDeFileId"), id).await?;
    }
    if let Some(legacy_id) = &legacy_id {
        legacy_id_free(store, legacy_id, None).await?;
    }
    let token = token();
    let new = NewClient {
        id: object_id(Utc::now()),
        nom,
        mandataire,
        email,
        authorization_strategy: strategy,
        perimeters,
        token: token.clone(),
    };
    let links = ClientLinks {
        mandataire_id,
        chef_de_file_id,
        legacy_id: legacy_id.clone(),
        disabled: input.is_active == Some(false),
    };
    let client = store.create_client_linked(new, links).await.map_err(|e| match (e, &legacy_id) {
        (StoreError::Conflict(_), Some(legacy_id)) => legacy_id_taken(legacy_id),
        (e, _) => e.into(),
    })?;
    tracing::info!(client = %client.id, strategy = strategy.as_str(), "client created");
    let detail = format!("{} ({}), stratégie {}", client.nom, client.mandataire, strategy.as_str());
    record_in(store, origin.entry(AuditAction::ClientCreated, &client.id, detail).client(&client.id)).await;
    Ok(ClientWithToken { client, token: token.expose().to_owned() })
}

/// Every client, oldest first.
pub async fn clients(store: &dyn Store) -> Result<Vec<Client>, AdminError> {
    Ok(store.clients().await?)
}

/// The client `id`.
pub async fn client(store: &dyn Store, id: &str) -> Result<Client, AdminError> {
    checked_id(id)?;
    store.client(id).await?.ok_or_else(|| AdminError::NotFound {
        what: Record::Client,
        id: id.to_owned(),
        field: None,
    })
}

/// Changes the client `id`.
pub async fn update_client(
    store: &dyn Store,
    origin: Origin,
    id: &str,
    input: UpdateClient,
) -> Result<Client, AdminError> {
    let current = client(store, id).await?;
    let mut changes = ClientChanges {
        nom: input.nom.as_deref().map(|n| name("nom", n, 1)).transpose()?,
        is_active: input.is_active,
        ..ClientChanges::default()
    };
    if let Some(e) = input.email {
        changes.email = Some(e.as_deref().map(|e| email("email", e)).transpose()?);
    }
    if let Some(l) = input.legacy_id {
        let l = l.as_deref().map(legacy_id).transpose()?;
        if let Some(l) = &l {
            legacy_id_free(store, l, Some(id)).await?;
        }
        changes.legacy_id = Some(l);
    }
    match input.mandataire_id {
        Some(Some(m)) => {
            let m = referred_id("mandataireId", &m)?;
            // The name is kept with the client too: it is read if the link is removed.
            changes.mandataire = Some(mandataire_of(store, Some("mandataireId"), &m).await?.nom);
            changes.mandataire_id = Some(Some(m));
        }
        Some(None) => {
            changes.mandataire_id = Some(None);
            changes.mandataire = Some(current.mandataire.clone());
        }
        None => {}
    }
    if let Some(given) = &input.mandataire {
        changes.mandataire = Some(name("mandataire", given, 1)?);
    }
    let chef_de_file_id = match input.chef_de_file_id {
        Some(Some(c)) => {
            let c = referred_id("chefDeFileId", &c)?;
            chef_de_file_of(store, Some("chefDeFileId"), &c).await?;
            changes.chef_de_file_id = Some(Some(c.clone()));
            Some(c)
        }
        Some(None) => {
            changes.chef_de_file_id = Some(None);
            None
        }
        None => current.chef_de_file_id.clone(),
    };
    // Its own perimeters are those read when it has no chef de file.
    let own_perimeters = current.chef_de_file_id.is_none() && !current.perimeters.is_empty();
    let linked_changed = changes.chef_de_file_id.is_some();
    if input.authorization_strategy.is_some() || linked_changed {
        let strategy = strategy(input.authorization_strategy, chef_de_file_id.is_some(), own_perimeters)?;
        if strategy != current.authorization_strategy {
            changes.authorization_strategy = Some(strategy);
        }
    }
    if changes.is_empty() {
        return Ok(current);
    }
    let (action, detail) = client_change_entry(&current, &changes);
    let updated = store.update_client(id, changes, Utc::now()).await.map_err(|e| match e {
        StoreError::Conflict(_) => AdminError::Conflict {
            code: "legacy_id_taken",
            message: "Un autre client a déjà cet identifiant fixe.".into(),
        },
        StoreError::NotFound(_) => {
            AdminError::NotFound { what: Record::Client, id: id.to_owned(), field: None }
        }
        e => e.into(),
    })?;
    tracing::info!(client = %id, active = updated.is_active, "client changed");
    record_in(store, origin.entry(action, id, detail).client(id)).await;
    Ok(updated)
}

/// The audit action and detail of a client's change: enabled or disabled when only that
/// changed, else the fields changed (by name: never a value that could be a secret).
fn client_change_entry(current: &Client, changes: &ClientChanges) -> (AuditAction, String) {
    let activity = changes.is_active.filter(|active| *active != current.is_active);
    let fields = [
        ("nom", changes.nom.is_some()),
        ("email", changes.email.is_some()),
        ("mandataire", changes.mandataire.is_some() || changes.mandataire_id.is_some()),
        ("chefDeFileId", changes.chef_de_file_id.is_some()),
        ("legacyId", changes.legacy_id.is_some()),
        ("authorizationStrategy", changes.authorization_strategy.is_some()),
        ("isActive", activity.is_some()),
    ];
    let only_activity = fields.iter().all(|(name, changed)| *name == "isActive" || !changed);
    match activity {
        Some(false) if only_activity => (AuditAction::ClientDisabled, "client désactivé".to_owned()),
        Some(true) if only_activity => (AuditAction::ClientEnabled, "client réactivé".to_owned()),
        _ => (AuditAction::ClientChanged, changed_fields(&fields)),
    }
}

/// Enables or disables the client `id`: a disabled client no longer authenticates (403), its
/// publications stay.
pub async fn set_client_active(
    store: &dyn Store,
    origin: Origin,
    id: &str,
    active: bool,
) -> Result<Client, AdminError> {
    update_client(store, origin, id, UpdateClient { is_active: Some(active), ..UpdateClient::default() })
        .await
}

/// Gives the client `id` a new token: the old one no longer authenticates.
pub async fn rotate_client_token(
    store: &dyn Store,
    origin: Origin,
    id: &str,
) -> Result<ClientWithToken, AdminError> {
    client(store, id).await?;
    let token = token();
    let changes = ClientChanges { token: Some(token.clone()), ..ClientChanges::default() };
    let client = store.update_client(id, changes, Utc::now()).await?;
    tracing::info!(client = %id, "client token renewed");
    let entry = origin.entry(AuditAction::ClientTokenRenewed, id, "l’ancien jeton ne vaut plus".to_owned());
    record_in(store, entry.client(id)).await;
    Ok(ClientWithToken { client, token: token.expose().to_owned() })
}

/// Replaces the perimeters the client `id` publishes within: its chef de file's (which its
/// chef de file's other clients share), or its own when it has none. 409 for a client that
/// does not publish as chef de file.
pub async fn set_client_perimeters(
    store: &dyn Store,
    origin: Origin,
    id: &str,
    perimeters: &[Perimeter],
) -> Result<Client, AdminError> {
    let current = client(store, id).await?;
    let perimeters = checked_perimeters("perimeters", perimeters)?;
    let detail = perimeters_text(&perimeters);
    if let Some(chef) = &current.chef_de_file_id {
        let input = UpdateChefDeFile { perimeters: Some(perimeters), ..UpdateChefDeFile::default() };
        update_chef_de_file(store, origin, chef, input).await?;
        let detail = format!("ceux de son chef de file {chef} : {detail}");
        record_in(store, origin.entry(AuditAction::ClientPerimetersSet, id, detail).client(id)).await;
        return client(store, id).await;
    }
    if current.authorization_strategy != AuthorizationStrategy::ChefDeFile {
        return Err(AdminError::Conflict {
            code: "not_chef_de_file",
            message: format!(
                "Le client {id} publie par {} : il n’a pas de périmètre (donnez-lui un chef de file).",
                current.authorization_strategy.as_str()
            ),
        });
    }
    let changes = ClientChanges { perimeters: Some(perimeters), ..ClientChanges::default() };
    let updated = store.update_client(id, changes, Utc::now()).await?;
    record_in(store, origin.entry(AuditAction::ClientPerimetersSet, id, detail).client(id)).await;
    Ok(updated)
}

pub async fn create_mandataire(
    store: &dyn Store,
    origin: Origin,
    input: CreateMandataire,
) -> Result<Mandataire, AdminError> {
    let now = Utc::now();
    let mandataire = Mandataire {
        id: object_id(now),
        nom: name("nom", &input.nom, 1)?,
        email: email("email", &input.email)?,
        created_at: now,
        updated_at: now,
    };
    let created = store.create_mandataire(mandataire).await?;
    tracing::info!(mandataire = %created.id, "mandataire created");
    record_in(store, origin.entry(AuditAction::MandataireCreated, &created.id, created.nom.clone())).await;
    Ok(created)
}

pub async fn mandataires(store: &dyn Store) -> Result<Vec<Mandataire>, AdminError> {
    Ok(store.mandataires().await?)
}

pub async fn mandataire(store: &dyn Store, id: &str) -> Result<Mandataire, AdminError> {
    checked_id(id)?;
    mandataire_of(store, None, id).await
}

pub async fn update_mandataire(
    store: &dyn Store,
    origin: Origin,
    id: &str,
    input: UpdateMandataire,
) -> Result<Mandataire, AdminError> {
    let current = mandataire(store, id).await?;
    let changed = Mandataire {
        nom: input.nom.as_deref().map(|n| name("nom", n, 1)).transpose()?.unwrap_or(current.nom),
        email: input.email.as_deref().map(|e| email("email", e)).transpose()?.unwrap_or(current.email),
        updated_at: Utc::now(),
        ..current
    };
    let saved = store.update_mandataire(&changed).await.map_err(|e| match e {
        StoreError::NotFound(_) => {
            AdminError::NotFound { what: Record::Mandataire, id: id.to_owned(), field: None }
        }
        e => e.into(),
    })?;
    tracing::info!(mandataire = %id, "mandataire changed");
    let fields = [("nom", input.nom.is_some()), ("email", input.email.is_some())];
    let detail = changed_fields(&fields);
    record_in(store, origin.entry(AuditAction::MandataireChanged, id, detail)).await;
    Ok(saved)
}

pub async fn create_chef_de_file(
    store: &dyn Store,
    origin: Origin,
    input: CreateChefDeFile,
) -> Result<ChefDeFile, AdminError> {
    let now = Utc::now();
    let chef_de_file = ChefDeFile {
        id: object_id(now),
        nom: name("nom", &input.nom, 3)?,
        email: email("email", &input.email)?,
        is_email_public: input.is_email_public.unwrap_or(false),
        is_signataire_charte: input.is_signataire_charte.unwrap_or(false),
        perimeters: checked_perimeters("perimeters", input.perimeters.as_deref().unwrap_or_default())?,
        created_at: now,
        updated_at: now,
    };
    let created = store.create_chef_de_file(chef_de_file).await?;
    tracing::info!(chef_de_file = %created.id, perimeters = created.perimeters.len(), "chef de file created");
    let detail = format!("{}, périmètres : {}", created.nom, perimeters_text(&created.perimeters));
    record_in(store, origin.entry(AuditAction::ChefDeFileCreated, &created.id, detail)).await;
    Ok(created)
}

pub async fn chefs_de_file(store: &dyn Store) -> Result<Vec<ChefDeFile>, AdminError> {
    Ok(store.chefs_de_file().await?)
}

pub async fn chef_de_file(store: &dyn Store, id: &str) -> Result<ChefDeFile, AdminError> {
    checked_id(id)?;
    chef_de_file_of(store, None, id).await
}

/// Changes the chef de file `id`; new perimeters replace the old ones, for all its clients.
pub async fn update_chef_de_file(
    store: &dyn Store,
    origin: Origin,
    id: &str,
    input: UpdateChefDeFile,
) -> Result<ChefDeFile, AdminError> {
    let current = chef_de_file(store, id).await?;
    let mut detail = changed_fields(&[
        ("nom", input.nom.is_some()),
        ("email", input.email.is_some()),
        ("isEmailPublic", input.is_email_public.is_some()),
        ("isSignataireCharte", input.is_signataire_charte.is_some()),
        ("perimeters", input.perimeters.is_some()),
    ]);
    let current_perimeters = current.perimeters.clone();
    let changed = ChefDeFile {
        nom: input.nom.as_deref().map(|n| name("nom", n, 3)).transpose()?.unwrap_or(current.nom),
        email: input.email.as_deref().map(|e| email("email", e)).transpose()?.unwrap_or(current.email),
        is_email_public: input.is_email_public.unwrap_or(current.is_email_public),
        is_signataire_charte: input.is_signataire_charte.unwrap_or(current.is_signataire_charte),
        perimeters: match input.perimeters {
            Some(perimeters) => checked_perimeters("perimeters", &perimeters)?,
            None => current.perimeters,
        },
        updated_at: Utc::now(),
        ..current
    };
    let saved = store.update_chef_de_file(&changed).await.map_err(|e| match e {
        StoreError::NotFound(_) => {
            AdminError::NotFound { what: Record::ChefDeFile, id: id.to_owned(), field: None }
        }
        e => e.into(),
    })?;
    tracing::info!(chef_de_file = %id, perimeters = saved.perimeters.len(), "chef de file changed");
    if saved.perimeters != current_perimeters {
        detail = format!("{detail} ; périmètres : {}", perimeters_text(&saved.perimeters));
    }
    record_in(store, origin.entry(AuditAction::ChefDeFileChanged, id, detail)).await;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perimeter(text: &str) -> Perimeter {
        Perimeter::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn perimeters_are_checked_against_the_reference_data() {
        let given = [
            perimeter("commune:54084"),
            perimeter("commune:75056"),
            perimeter("departement:2A"),
            perimeter("epci:246700488"),
            perimeter("commune:54084"),
        ];
        let kept = checked_perimeters("perimeters", &given).unwrap_or_default();
        assert_eq!(kept.len(), 4, "the repeated commune is dropped");
        for (wrong, field) in [
            ("commune:99999", "perimeters[0].code"),
            ("departement:00", "perimeters[0].code"),
            ("epci:123456789", "perimeters[0].code"),
        ] {
            match checked_perimeters("perimeters", &[perimeter(wrong)]) {
                Err(AdminError::Invalid { field: f, .. }) => assert_eq!(f, field, "{wrong}"),
                other => panic!("{wrong}: {other:?}"),
            }
        }
    }

    #[test]
    fn strategies_follow_the_chef_de_file() {
        use AuthorizationStrategy::*;
        assert_eq!(strategy(None, true, false).ok(), Some(ChefDeFile));
        assert_eq!(strategy(None, false, false).ok(), Some(Habilitation));
        assert_eq!(strategy(Some(Internal), false, false).ok(), Some(Internal));
        assert!(strategy(Some(ChefDeFile), false, false).is_err());
        assert!(strategy(Some(Habilitation), true, false).is_err());
    }

    #[test]
    fn names_and_addresses() {
        assert!(name("nom", "  ", 1).is_err());
        assert_eq!(name("nom", " ACME ", 1).ok().as_deref(), Some("ACME"));
        assert!(name("nom", "AB", 3).is_err());
        assert!(email("email", "a@b.fr").is_ok());
        for wrong in ["a@b", "@b.fr", "a b@c.fr", "a@b@c.fr", "a@.fr"] {
            assert!(email("email", wrong).is_err(), "{wrong}");
        }
    }
}
