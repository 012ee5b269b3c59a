//! Citizen reports (signalements): anyone asks a commune to create, change or delete one of
//! its addresses or toponyms; the commune processes or ignores the request, or a publication
//! of the commune that does what it asked closes it. The request's content (`existingLocation`,
//! `changesRequested`) is checked by `ban_reports` and kept as JSON; the author (name, e-mail)
//! is kept apart, never answered publicly. Every change of status is an event: who, when, why,
//! and the revision that did it.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Page, PageRequest, StoreResult};

/// What a report asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportType {
    /// A new address or toponym.
    LocationToCreate,
    /// An existing address, street or lieu-dit changed (its whole requested state).
    LocationToUpdate,
    /// An existing address or toponym deleted.
    LocationToDelete,
}

ban_domain::text_enum!(ReportType {
    LocationToCreate => "LOCATION_TO_CREATE",
    LocationToUpdate => "LOCATION_TO_UPDATE",
    LocationToDelete => "LOCATION_TO_DELETE",
});

/// Where a report is in its life: pending until the commune (or a publication) ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportStatus {
    Pending,
    /// Done: by the commune, or by a publication that applied it.
    Processed,
    /// Refused by the commune, with a reason.
    Ignored,
    /// Left pending past the delay.
    Expired,
}

ban_domain::text_enum!(ReportStatus {
    Pending => "PENDING",
    Processed => "PROCESSED",
    Ignored => "IGNORED",
    Expired => "EXPIRED",
});

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] =
        [ReportStatus::Pending, ReportStatus::Processed, ReportStatus::Ignored, ReportStatus::Expired];
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Report {
    pub id: String,
    pub code_commune: String,
    #[sqlx(try_from = "String")]
    pub kind: ReportType,
    #[sqlx(try_from = "String")]
    pub status: ReportStatus,
    /// The object the report is about, when it exists (`ban_reports::ExistingLocation`).
    #[sqlx(json(nullable))]
    pub existing_location: Option<Json>,
    /// What the report asks (`ban_reports::ChangesRequested`).
    #[sqlx(json)]
    pub changes_requested: Json,
    /// Where the report is, for maps: the first requested position, or the object's.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Never answered publicly.
    pub author_name: Option<String>,
    /// Never answered publicly; told when the report is processed or ignored.
    pub author_email: Option<String>,
    /// The partner client that sent it; none from the web page.
    pub source_client_id: Option<String>,
    /// Who ended it: a client's id, `admin`, or `consolidation`.
    pub processed_by: Option<String>,
    /// The revision whose publication applied it.
    pub processed_revision_id: Option<String>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A report to store (checked already).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub id: String,
    pub code_commune: String,
    pub kind: ReportType,
    pub existing_location: Option<Json>,
    pub changes_requested: Json,
    pub point: Option<[f64; 2]>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub source_client_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// A report's change of status.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDecision {
    pub status: ReportStatus,
    /// A client's id, `admin`, or `consolidation`.
    pub actor: String,
    pub reason: Option<String>,
    pub revision_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// One change of a report's status.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportEvent {
    pub at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: ReportStatus,
    /// A client's id, `admin`, `consolidation`, or `public` (its creation from the web page).
    pub actor: String,
    pub reason: Option<String>,
    pub revision_id: Option<String>,
}

/// Which reports to list: all of those given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub code_commune: Option<String>,
    pub status: Option<ReportStatus>,
}

/// A commune's choices about reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportSettings {
    pub code_commune: String,
    /// Whether the commune accepts new reports.
    pub accepted: bool,
    /// One e-mail a day listing the new reports, rather than one e-mail per report.
    pub daily_digest: bool,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The citizen reports.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores a new pending report and its first event (`actor`: who sent it).
    async fn create_report(&self, report: NewReport, actor: &str) -> StoreResult<Report>;
    async fn report(&self, id: &str) -> StoreResult<Option<Report>>;
    /// A page of the reports that match `filter`, newest first.
    async fn reports(&self, filter: &ReportFilter, page: PageRequest) -> StoreResult<Page<Report>>;
    /// Every change of status of a report, oldest first.
    async fn report_events(&self, id: &str) -> StoreResult<Vec<ReportEvent>>;
    /// Ends a pending report (or keeps it pending) and records the event, in one transaction:
    /// `NotFound`, or `Precondition` when the report is not pending any more.
    async fn decide_report(&self, id: &str, decision: ReportDecision) -> StoreResult<Report>;
    /// Expires the reports still pending that were created before `before`: how many.
    async fn expire_reports(&self, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<u64>;
    /// The commune's choices, if it made any.
    async fn report_settings(&self, code_commune: &str) -> StoreResult<Option<ReportSettings>>;
    async fn save_report_settings(&self, settings: &ReportSettings) -> StoreResult<()>;
}
