//! What the depot's administration reads and changes, beside the publication flow
//! ([`AdminStore`]): the organisations that operate clients (mandataires), the territorial
//! partners that publish within a perimeter (chefs de file), the changes of a client, and the
//! aggregates of the statistics routes and `/last-revisions`.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    AuthorizationStrategy, Client, NewClient, Page, PageRequest, Perimeter, RevisionStatus, Secret,
    StoreResult, Viewer,
};

/// The `legacy_id` of the platform's editor, Mes Adresses, whose publications the statistics
/// count apart.
pub const MES_ADRESSES: &str = "mes-adresses";
/// The `legacy_id` of the harvester of BAL files published on data.gouv.fr.
pub const MOISSONNEUR: &str = "moissonneur-bal";

/// The organisation operating one or more clients (a software vendor, a partner), told of its
/// clients' tokens and publications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Mandataire {
    pub id: String,
    pub nom: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A territorial partner (an EPCI, a département…) that signed the BAL charter and publishes
/// for the communes of its perimeter without a habilitation of each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChefDeFile {
    pub id: String,
    pub nom: String,
    pub email: String,
    /// Whether its address is shown with its clients' publications.
    pub is_email_public: bool,
    pub is_signataire_charte: bool,
    /// Communes, départements and EPCI it publishes for.
    #[sqlx(json)]
    pub perimeters: Vec<Perimeter>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What links a new client to the administration's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientLinks {
    pub mandataire_id: Option<String>,
    pub chef_de_file_id: Option<String>,
    /// A fixed id of one of the platform's own clients ([`MES_ADRESSES`]…), unique.
    pub legacy_id: Option<String>,
    /// Created disabled: it authenticates once enabled.
    pub disabled: bool,
}

/// Changes of a client: `None` keeps a value, `Some(None)` empties a nullable one.
#[derive(Debug, Clone, Default)]
pub struct ClientChanges {
    pub nom: Option<String>,
    pub email: Option<Option<String>>,
    /// The name kept with the client (read when it has no mandataire record).
    pub mandataire: Option<String>,
    pub mandataire_id: Option<Option<String>>,
    pub chef_de_file_id: Option<Option<String>>,
    pub legacy_id: Option<Option<String>>,
    pub authorization_strategy: Option<AuthorizationStrategy>,
    /// The client's own perimeters (read when it has no chef de file).
    pub perimeters: Option<Vec<Perimeter>>,
    pub is_active: Option<bool>,
    /// A new token: the store keeps its digest, and the old one no longer authenticates.
    pub token: Option<Secret>,
}

impl ClientChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        let ClientChanges {
            nom,
            email,
            mandataire,
            mandataire_id,
            chef_de_file_id,
            legacy_id,
            authorization_strategy,
            perimeters,
            is_active,
            token,
        } = self;
        nom.is_none()
            && email.is_none()
            && mandataire.is_none()
            && mandataire_id.is_none()
            && chef_de_file_id.is_none()
            && legacy_id.is_none()
            && authorization_strategy.is_none()
            && perimeters.is_none()
            && is_active.is_none()
            && token.is_none()
    }
}

/// The latest revision of a commune, as `/last-revisions` lists it (never its report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastRevision {
    pub id: String,
    pub code_commune: String,
    pub client_id: String,
    #[sqlx(try_from = "String")]
    pub status: RevisionStatus,
    pub is_ready: bool,
    /// Whether its file was valid (`null`: not computed yet).
    pub is_valid: Option<bool>,
    pub is_current: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Publications counted, in all and by the platform's own clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationCounts {
    pub total: u64,
    pub via_mes_adresses: u64,
    pub via_moissonneur: u64,
}

/// The communes first published on one day (UTC), by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstPublications {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub counts: PublicationCounts,
}

/// The publications of one commune on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunePublications {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub code_commune: String,
    pub counts: PublicationCounts,
}

/// Mandataires, chefs de file, changes of clients, and the aggregates of the statistics.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Creates a client linked to a mandataire, a chef de file, a legacy id. `Conflict` if its
    /// token or its legacy id is taken.
    async fn create_client_linked(&self, client: NewClient, links: ClientLinks) -> StoreResult<Client>;
    /// Changes a client. `NotFound` if there is none with this id; `Conflict` if the new legacy
    /// id is another client's.
    async fn update_client(&self, id: &str, changes: ClientChanges, at: DateTime<Utc>)
        -> StoreResult<Client>;

    async fn create_mandataire(&self, mandataire: Mandataire) -> StoreResult<Mandataire>;
    async fn mandataire(&self, id: &str) -> StoreResult<Option<Mandataire>>;
    /// Every mandataire, oldest first.
    async fn mandataires(&self) -> StoreResult<Vec<Mandataire>>;
    /// Saves a changed mandataire (`NotFound` if there is none with its id).
    async fn update_mandataire(&self, mandataire: &Mandataire) -> StoreResult<Mandataire>;

    async fn create_chef_de_file(&self, chef_de_file: ChefDeFile) -> StoreResult<ChefDeFile>;
    async fn chef_de_file(&self, id: &str) -> StoreResult<Option<ChefDeFile>>;
    /// Every chef de file, oldest first.
    async fn chefs_de_file(&self) -> StoreResult<Vec<ChefDeFile>>;
    /// Saves a changed chef de file (`NotFound` if there is none with its id): its clients
    /// publish within its new perimeters from then on.
    async fn update_chef_de_file(&self, chef_de_file: &ChefDeFile) -> StoreResult<ChefDeFile>;

    /// A page of the latest revision of each commune (the last one created) among those
    /// `viewer` may see, by commune code; the total counts the communes.
    async fn last_revisions(&self, viewer: Viewer<'_>, page: PageRequest) -> StoreResult<Page<LastRevision>>;
    /// For each day (UTC) before `before`, the communes whose first publication was that day,
    /// oldest day first: at most one row per day with publications.
    async fn first_publications(&self, before: DateTime<Utc>) -> StoreResult<Vec<FirstPublications>>;
    /// The publications from `from` (included) to `before` (excluded), by day (UTC) and
    /// commune, in that order.
    async fn publications(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<CommunePublications>>;
}
