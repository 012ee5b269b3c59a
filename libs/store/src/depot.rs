//! The depot's aggregate: publishing clients, the revisions they submit with their file and
//! validation, and the habilitations (a commune's consent) they publish with.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value as Json;

use crate::{Secret, StoreResult};

/// How a client is allowed to publish for a commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuthorizationStrategy {
    /// Managed clients of the platform: no per-commune check.
    Internal,
    /// Territorial partners: communes of their perimeter only, checked at compute time.
    ChefDeFile,
    /// Everyone else: an accepted habilitation of the commune, checked at publication.
    Habilitation,
}

ban_domain::text_enum!(AuthorizationStrategy {
    Internal => "internal",
    ChefDeFile => "chef-de-file",
    Habilitation => "habilitation",
});

/// One element of a chef de file's perimeter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Perimeter {
    /// `commune`, `departement` or `epci`.
    #[serde(rename = "type")]
    pub kind: PerimeterKind,
    pub code: String,
}

ban_domain::text_enum!(PerimeterKind { Commune => "commune", Departement => "departement", Epci => "epci" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PerimeterKind {
    Commune,
    Departement,
    Epci,
}

impl Perimeter {
    /// Parses `commune:54084`, `departement:54` or `epci:245400676`.
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, code) = text.split_once(':')?;
        let kind = PerimeterKind::parse(kind)?;
        (!code.is_empty()).then(|| Perimeter { kind, code: code.to_owned() })
    }
}

impl std::fmt::Display for Perimeter {
    /// As [`Perimeter::parse`] reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.code)
    }
}

/// A publishing client (a software vendor, a partner, a platform tool).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: String,
    pub nom: String,
    /// The name of the organisation operating the client: its mandataire's, when linked.
    pub mandataire: String,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub authorization_strategy: AuthorizationStrategy,
    /// For `chef-de-file` clients: the communes they may publish for (its chef de file's,
    /// when linked).
    #[sqlx(json)]
    pub perimeters: Vec<Perimeter>,
    pub is_active: bool,
    /// The secret the client authenticates with: never serialised.
    #[serde(skip)]
    pub token: Secret,
    pub created_at: DateTime<Utc>,
    /// Its mandataire (see [`crate::Mandataire`]).
    pub mandataire_id: Option<String>,
    /// Its chef de file, whose perimeters it publishes within (see [`crate::ChefDeFile`]).
    pub chef_de_file_id: Option<String>,
    /// The fixed id of one of the platform's own clients (`mes-adresses`…).
    pub legacy_id: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A client to create.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: String,
    pub nom: String,
    pub mandataire: String,
    pub email: Option<String>,
    pub authorization_strategy: AuthorizationStrategy,
    pub perimeters: Vec<Perimeter>,
    pub token: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RevisionStatus {
    Pending,
    Published,
}

ban_domain::text_enum!(RevisionStatus { Pending => "pending", Published => "published" });

/// One submission of a commune's whole address file.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// 24 hexadecimal digits, as the production API's ids.
    pub id: String,
    pub client_id: String,
    pub code_commune: String,
    #[sqlx(try_from = "String")]
    pub status: RevisionStatus,
    pub is_ready: bool,
    pub is_current: bool,
    /// `{nomComplet, organisation, extras}` as the client gave it.
    #[sqlx(json)]
    #[schema(value_type = Object)]
    pub context: Json,
    /// The validation, once computed: see the depot for its shape. Kept as JSON text: a
    /// report can list tens of thousands of issues, passed through without being parsed.
    #[sqlx(json(nullable))]
    #[schema(value_type = Option<Object>)]
    pub validation: Option<Box<RawValue>>,
    /// Rows of the file, once computed (the next revision's deletion check uses it).
    #[serde(skip)]
    pub rows_count: Option<i64>,
    /// The commune's current revision when the file was validated (`None`: it had none):
    /// the mass-deletion check compared the file with it. Published only while it is still
    /// the current one.
    #[serde(skip)]
    pub checked_against: Option<String>,
    /// The habilitation the publication relied on, as it was then.
    #[sqlx(json(nullable))]
    #[schema(value_type = Option<Object>)]
    pub habilitation: Option<Json>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A revision to create.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub id: String,
    pub client_id: String,
    pub code_commune: String,
    pub context: Json,
}

/// The file of a revision, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    pub id: String,
    pub revision_id: String,
    pub size: i64,
    /// SHA-256, hexadecimal.
    pub hash: String,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

/// The outcome of a validation, to store on a pending revision.
#[derive(Debug, Clone)]
pub struct ComputedValidation {
    pub validation: Box<RawValue>,
    pub is_ready: bool,
    pub rows_count: i64,
    /// The commune's current revision the file was checked against (`None`: it had none).
    pub checked_against: Option<String>,
}

/// Why a revision of commune `code` cannot be published, or its validation saved: another
/// revision of the commune (`current`) was published since its file was checked, and the
/// mass-deletion check must be made again against it.
pub fn outdated_check(code: &str, current: Option<&str>) -> String {
    let current = current.map(|id| format!(" ({id})")).unwrap_or_default();
    format!(
        "Une autre révision de la commune {code}{current} a été publiée entre-temps : le fichier \
         doit être validé à nouveau (compute) avant d’être publié."
    )
}

/// Which revisions of a commune to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionFilter {
    Published,
    Pending,
    All,
}

/// Who reads a list of revisions, which decides the drafts (pending revisions) it holds:
/// published revisions are open data, a draft is shown to its client and to administrators
/// only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer<'a> {
    /// No token: published revisions only.
    Anyone,
    /// A client: published revisions, and its own drafts.
    Client(&'a str),
    /// An administrator: everything.
    Admin,
}

impl Viewer<'_> {
    /// Whether this viewer may see every revision of `client_id`, drafts included.
    pub fn sees_all_of(&self, client_id: &str) -> bool {
        match self {
            Viewer::Anyone => false,
            Viewer::Client(id) => *id == client_id,
            Viewer::Admin => true,
        }
    }
}

/// A page of a list: `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u32,
}

/// One page of a list, and how many items the whole list has.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A revision as lists show it: everything but its validation report, which can weigh
/// megabytes and is read one revision at a time (`GET /revisions/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionSummary {
    pub id: String,
    pub client_id: String,
    pub code_commune: String,
    #[sqlx(try_from = "String")]
    pub status: RevisionStatus,
    pub is_ready: bool,
    pub is_current: bool,
    /// `{nomComplet, organisation, extras}` as the client gave it (see the depot for what
    /// is shown to whom).
    #[sqlx(json)]
    #[schema(value_type = Object)]
    pub context: Json,
    /// The habilitation the publication relied on, as it was then.
    #[sqlx(json(nullable))]
    #[schema(value_type = Option<Object>)]
    pub habilitation: Option<Json>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HabilitationStatus {
    Pending,
    Accepted,
    Rejected,
}

ban_domain::text_enum!(HabilitationStatus { Pending => "pending", Accepted => "accepted", Rejected => "rejected" });

/// How long a pending habilitation left untouched still counts against its client's cap: a
/// PIN code lives 24 hours, so a request abandoned for longer holds no place (a platform whose
/// visitors share one client, as the web pages, would otherwise be closed to a commune for good
/// by three abandoned requests).
pub const HABILITATION_ABANDONED_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// A commune's consent that a client publishes its addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Habilitation {
    pub id: String,
    pub client_id: String,
    pub code_commune: String,
    /// The address the PIN code was sent to.
    pub email_commune: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: HabilitationStatus,
    /// `email` once a code was sent, `internal` when an administrator accepted it.
    pub strategy: Option<String>,
    #[serde(skip)]
    pub pin_code: Option<Secret>,
    #[serde(skip)]
    pub pin_code_expiration: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub pin_sent_at: Option<DateTime<Utc>>,
    pub remaining_attempts: i32,
    pub accepted_at: Option<DateTime<Utc>>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Habilitation {
    /// A new habilitation of `client_id` for a commune, waiting for the town hall's consent:
    /// no code sent yet, `attempts` tries allowed.
    pub fn pending(
        id: String,
        client_id: String,
        code_commune: String,
        attempts: i32,
        now: DateTime<Utc>,
    ) -> Self {
        Habilitation {
            id,
            client_id,
            code_commune,
            email_commune: None,
            status: HabilitationStatus::Pending,
            strategy: None,
            pin_code: None,
            pin_code_expiration: None,
            pin_sent_at: None,
            remaining_attempts: attempts,
            accepted_at: None,
            rejected_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// What [`DepotStore::open_habilitation`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum HabilitationOpening {
    /// The habilitation, created.
    Created(Habilitation),
    /// Nothing created: the client already has as many pending habilitations of the commune
    /// as allowed (their ids, oldest first).
    Capped { open: Vec<String> },
}

/// The size of the pieces a file is stored and read in (all but the last are full).
pub const FILE_PIECE_BYTES: usize = 256 * 1024;

/// What a publication needs beyond the revision id.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The habilitation the client relied on, as it was (stored with the revision).
    pub habilitation: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

/// Clients, revisions and their files, habilitations.
#[async_trait]
pub trait DepotStore: Send + Sync {
    async fn create_client(&self, client: NewClient) -> StoreResult<Client>;
    async fn client(&self, id: &str) -> StoreResult<Option<Client>>;
    async fn client_by_token(&self, token: &str) -> StoreResult<Option<Client>>;
    async fn clients(&self) -> StoreResult<Vec<Client>>;

    async fn create_revision(&self, revision: NewRevision, at: DateTime<Utc>) -> StoreResult<Revision>;
    async fn revision(&self, id: &str) -> StoreResult<Option<Revision>>;
    /// Attaches the one file of a pending revision. `Precondition` if the revision is not
    /// pending or already has a file.
    async fn attach_file(&self, revision_id: &str, file: StoredFile, bytes: &[u8])
        -> StoreResult<StoredFile>;
    async fn file(&self, revision_id: &str) -> StoreResult<Option<StoredFile>>;
    async fn file_bytes(&self, revision_id: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Piece `index` (from 0) of a revision's file: its bytes from `index *
    /// FILE_PIECE_BYTES`, at most [`FILE_PIECE_BYTES`] of them. A download reads the file
    /// piece by piece, never whole. Empty past the end; `None` without a file.
    async fn file_piece(&self, revision_id: &str, index: u32) -> StoreResult<Option<Vec<u8>>>;
    /// Stores the validation of a pending revision, checked against the commune's current
    /// revision `computed.checked_against`. `Precondition` if it is not pending; `Conflict`
    /// ([`outdated_check`]) if another revision became current meanwhile: nothing is saved,
    /// the file must be checked against the new one.
    async fn save_validation(
        &self,
        revision_id: &str,
        computed: ComputedValidation,
        at: DateTime<Utc>,
    ) -> StoreResult<Revision>;
    /// Publishes a pending, ready revision, in one transaction: it becomes the commune's
    /// current revision, the previous one is no longer current, the commune's other pending
    /// revisions are no longer ready (they must be computed again), and a consolidation job
    /// is queued. `Conflict` ([`outdated_check`]) if its file was checked against a revision
    /// that is no longer the current one (another publication came first);
    /// `Precondition` if the revision is not pending, or not computed, or not ready.
    async fn publish(&self, revision_id: &str, publication: Publication) -> StoreResult<Revision>;
    async fn current_revision(&self, code_commune: &str) -> StoreResult<Option<Revision>>;
    /// A page of a commune's revisions that `viewer` may see, oldest first.
    async fn commune_revisions(
        &self,
        code_commune: &str,
        filter: RevisionFilter,
        viewer: Viewer<'_>,
        page: PageRequest,
    ) -> StoreResult<Page<RevisionSummary>>;
    /// A page of the current revisions (all published), by commune code, optionally
    /// published since a date and for some communes only.
    async fn current_revisions(
        &self,
        published_since: Option<DateTime<Utc>>,
        communes: Option<&[String]>,
        page: PageRequest,
    ) -> StoreResult<Page<RevisionSummary>>;
    /// A page of a client's revisions that `viewer` may see, oldest first.
    async fn client_revisions(
        &self,
        client_id: &str,
        viewer: Viewer<'_>,
        page: PageRequest,
    ) -> StoreResult<Page<RevisionSummary>>;

    async fn create_habilitation(&self, habilitation: Habilitation) -> StoreResult<Habilitation>;
    /// Creates a pending habilitation unless its client already has `max_open` pending
    /// habilitations of the same commune, each touched (created, a code sent, a code tried)
    /// within [`HABILITATION_ABANDONED_AFTER`] of the new one; counted and created in one
    /// transaction, so that concurrent requests cannot pass the cap together.
    async fn open_habilitation(
        &self,
        habilitation: Habilitation,
        max_open: u32,
    ) -> StoreResult<HabilitationOpening>;
    async fn habilitation(&self, id: &str) -> StoreResult<Option<Habilitation>>;
    /// The commune's habilitation last accepted through a code sent by e-mail (whatever its
    /// client): the town hall's address it was confirmed with is the last one known to answer.
    async fn last_confirmed_habilitation(&self, code_commune: &str) -> StoreResult<Option<Habilitation>>;
    /// Saves a changed habilitation, if it was not changed meanwhile (`updated_at` as read).
    /// `Conflict` otherwise.
    async fn update_habilitation(
        &self,
        habilitation: &Habilitation,
        read_at: DateTime<Utc>,
    ) -> StoreResult<Habilitation>;
}
