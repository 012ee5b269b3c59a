//! What the store keeps, as plain data. JSON field names follow the submission API in
//! production (camelCase), so that the depot can answer with these types directly.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value as Json;

pub use ban_domain::base::{Address, AddressPosition, Change, ChangeOp, Commune, CommuneSource, Toponym};

/// How a client is allowed to publish for a commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthorizationStrategy {
    /// Managed clients of the platform: no per-commune check.
    Internal,
    /// Territorial partners: communes of their perimeter only, checked at compute time.
    ChefDeFile,
    /// Everyone else: an accepted habilitation of the commune, checked at publication.
    Habilitation,
}

impl AuthorizationStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationStrategy::Internal => "internal",
            AuthorizationStrategy::ChefDeFile => "chef-de-file",
            AuthorizationStrategy::Habilitation => "habilitation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "internal" => Some(AuthorizationStrategy::Internal),
            "chef-de-file" => Some(AuthorizationStrategy::ChefDeFile),
            "habilitation" => Some(AuthorizationStrategy::Habilitation),
            _ => None,
        }
    }
}

/// One element of a chef de file's perimeter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perimeter {
    /// `commune`, `departement` or `epci`.
    #[serde(rename = "type")]
    pub kind: PerimeterKind,
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        let kind = match kind {
            "commune" => PerimeterKind::Commune,
            "departement" => PerimeterKind::Departement,
            "epci" => PerimeterKind::Epci,
            _ => return None,
        };
        (!code.is_empty()).then(|| Perimeter { kind, code: code.to_owned() })
    }
}

/// A publishing client (a software vendor, a partner, a platform tool).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: String,
    pub nom: String,
    /// The organisation operating the client.
    pub mandataire: String,
    pub email: Option<String>,
    pub authorization_strategy: AuthorizationStrategy,
    /// For `chef-de-file` clients: the communes they may publish for.
    pub perimeters: Vec<Perimeter>,
    pub is_active: bool,
    /// The secret the client authenticates with; never serialised.
    #[serde(skip)]
    pub token: String,
    pub created_at: DateTime<Utc>,
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
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionStatus {
    Pending,
    Published,
}

impl RevisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionStatus::Pending => "pending",
            RevisionStatus::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(RevisionStatus::Pending),
            "published" => Some(RevisionStatus::Published),
            _ => None,
        }
    }
}

/// One submission of a commune's whole address file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// 24 hexadecimal digits, as the production API's ids.
    pub id: String,
    pub client_id: String,
    pub code_commune: String,
    pub status: RevisionStatus,
    pub is_ready: bool,
    pub is_current: bool,
    /// `{nomComplet, organisation, extras}` as the client gave it.
    pub context: Json,
    /// The validation, once computed: see the depot for its shape. Kept as JSON text: a
    /// report can list tens of thousands of issues, passed through without being parsed.
    pub validation: Option<Box<RawValue>>,
    /// Rows of the file, once computed (the next revision's deletion check uses it).
    #[serde(skip)]
    pub rows_count: Option<i64>,
    /// The habilitation the publication relied on, as it was then.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    pub id: String,
    pub revision_id: String,
    pub size: i64,
    /// SHA-256, hexadecimal.
    pub hash: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

/// The outcome of a validation, to store on a pending revision.
#[derive(Debug, Clone)]
pub struct ComputedValidation {
    pub validation: Box<RawValue>,
    pub is_ready: bool,
    pub rows_count: i64,
}

/// Which revisions of a commune to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionFilter {
    Published,
    Pending,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HabilitationStatus {
    Pending,
    Accepted,
    Rejected,
}

impl HabilitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HabilitationStatus::Pending => "pending",
            HabilitationStatus::Accepted => "accepted",
            HabilitationStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(HabilitationStatus::Pending),
            "accepted" => Some(HabilitationStatus::Accepted),
            "rejected" => Some(HabilitationStatus::Rejected),
            _ => None,
        }
    }
}

/// A commune's consent that a client publishes its addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Habilitation {
    pub id: String,
    pub client_id: String,
    pub code_commune: String,
    /// The address the PIN code was sent to.
    pub email_commune: Option<String>,
    pub status: HabilitationStatus,
    /// `email` once a code was sent, `internal` when an administrator accepted it.
    pub strategy: Option<String>,
    #[serde(skip)]
    pub pin_code: Option<String>,
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

/// A unit of background work: for now, consolidating a commune after a publication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub code_commune: String,
    pub revision_id: String,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// How a finished job ended (`applied`, `unchanged`, `superseded`).
    pub outcome: Option<String>,
    /// Why it failed, or what its last attempt said.
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The consolidation queue at a moment, for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobQueue {
    /// Jobs no worker holds: pending, or left by a worker whose lease ran out.
    pub waiting: i64,
    /// Jobs a worker holds.
    pub running: i64,
    /// When the oldest waiting job was queued.
    pub oldest_waiting: Option<DateTime<Utc>>,
}

/// How a claimed job ends.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    /// Done; `outcome` says how (`unchanged`, `superseded`).
    Done { outcome: &'static str, message: Option<String> },
    /// Failed for good: the message says why.
    Failed { message: String },
    /// Failed this time: back in the queue.
    Retry { message: String },
}

/// A commune's part of the national base, as consolidation reads it.
#[derive(Debug, Clone, Default)]
pub struct CommuneBase {
    /// `None` when the commune is not in the base yet.
    pub commune: Option<Commune>,
    /// The seq of the commune's last change (its version), 0 when not in the base.
    pub version: i64,
    /// Every toponym and address ever in the commune, disabled ones included.
    pub toponyms: Vec<Toponym>,
    pub addresses: Vec<Address>,
}

/// Changes to one commune's part of the base, written in one transaction with their feed.
#[derive(Debug, Clone)]
pub struct BaseChanges {
    /// The commune's new state.
    pub commune: Commune,
    /// The version the changes were planned on: `Conflict` if the commune changed since.
    pub planned_on: i64,
    pub toponyms: Vec<Change<Toponym>>,
    pub addresses: Vec<Change<Address>>,
    /// The job these changes complete (marked done, `applied`, in the same transaction).
    pub job: Option<i64>,
    pub at: DateTime<Utc>,
}

/// What applying changes wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The seqs of the feed rows written, first and last.
    pub first_seq: i64,
    pub last_seq: i64,
}

/// One row of the change feed, as readers and mirrors get it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedChange {
    pub seq: i64,
    /// `commune`, `toponym` or `address`.
    pub kind: String,
    pub id: String,
    pub op: String,
    pub commune: String,
    pub revision: Option<String>,
    /// The object's full new state.
    pub state: Box<RawValue>,
    pub at: DateTime<Utc>,
}

/// What part of the feed a reader asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedQuery {
    /// Rows after this seq.
    pub since: i64,
    /// At most this many rows.
    pub limit: i64,
    /// Only these communes (INSEE codes); none means all.
    pub communes: Vec<String>,
    /// Only the communes of these départements (`54`, `2A`, `971`); none means all.
    pub departements: Vec<String>,
    /// Only the rows that hold an object's current state: the base itself, in feed order
    /// (what a new mirror copies first, skipping the history).
    pub current_only: bool,
}

impl FeedQuery {
    pub fn since(since: i64, limit: i64) -> Self {
        FeedQuery { since, limit, ..FeedQuery::default() }
    }
}

/// A commune of the base with the change that made its current state.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseCommune {
    pub commune: Commune,
    /// Its last change: what the commune's exports and caches are versioned by.
    pub seq: i64,
    pub changed_at: DateTime<Utc>,
}

/// An object of the base found by its BAN id, with its current state.
#[derive(Debug, Clone)]
pub enum Found {
    Commune(Commune),
    Toponym(Toponym),
    Address(Address),
}
