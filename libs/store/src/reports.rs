//! Citizen reports (signalements): anyone asks a commune to create, change or delete one of
//! its addresses or toponyms; the commune processes or ignores the request, or a publication
//! of the commune that does what it asked closes it. The request's content (`existingLocation`,
//! `changesRequested`) is checked by `ban_reports` and kept as JSON; the author (name, e-mail)
//! is kept apart, never answered publicly. Every change of status is an event: who, when, why,
//! and the revision that did it.
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{NoticeEnd, NoticeStatus, Page, PageRequest, StoreResult};

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
    /// The address it was sent from: never answered (it bounds the pending reports of one
    /// address, and finds the other reports of a spammer).
    pub source_ip: Option<String>,
    /// Its town hall is told in the day's digest (the commune's choice), not at once: else a
    /// [`ReportMailKind::NewReport`] is queued with it.
    pub town_hall_digest: bool,
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
    /// Queue the author's e-mail when the report is processed or ignored and they left an
    /// address (not for spam ignored in bulk: its "author" may be anyone's address).
    pub tell_author: bool,
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

/// An e-mail owed about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportMailKind {
    /// A new report, to the town hall of its commune.
    NewReport,
    /// The new reports of a day, to the town hall of a commune that chose a digest.
    DailyDigest,
    /// The report was processed (by the commune, or a publication), to its author.
    ProcessedToAuthor,
    /// The report was ignored, with the reason, to its author.
    IgnoredToAuthor,
}

ban_domain::text_enum!(ReportMailKind {
    NewReport => "new_report",
    DailyDigest => "daily_digest",
    ProcessedToAuthor => "processed_to_author",
    IgnoredToAuthor => "ignored_to_author",
});

/// An e-mail owed about a report (or a day's reports), queued like a refusal's notices
/// ([`NoticeStatus`], ended by a [`NoticeEnd`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ReportMail {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: ReportMailKind,
    pub code_commune: String,
    /// The report (every kind but the digest).
    pub report_id: Option<String>,
    /// The day (UTC, `YYYY-MM-DD`) whose new reports a digest lists.
    pub digest_day: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: NoticeStatus,
    pub attempts: i32,
    /// The addresses it was sent to, comma-separated.
    pub recipients: Option<String>,
    /// Why it could not be sent, or the last attempt's error.
    pub message: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The citizen reports.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores a new pending report and its first event (`actor`: who sent it), and queues the
    /// town hall's e-mail unless it is told in the day's digest.
    async fn create_report(&self, report: NewReport, actor: &str) -> StoreResult<Report>;
    async fn report(&self, id: &str) -> StoreResult<Option<Report>>;
    /// A page of the reports that match `filter`, newest first.
    async fn reports(&self, filter: &ReportFilter, page: PageRequest) -> StoreResult<Page<Report>>;
    /// Every change of status of a report, oldest first.
    async fn report_events(&self, id: &str) -> StoreResult<Vec<ReportEvent>>;
    /// Ends a pending report (or keeps it pending) and records the event, in one transaction:
    /// `NotFound`, or `Precondition` when the report is not pending any more. A report
    /// processed or ignored queues its author's e-mail, in the same transaction, when they left
    /// an address and `tell_author`.
    async fn decide_report(&self, id: &str, decision: ReportDecision) -> StoreResult<Report>;
    /// Expires the reports still pending that were created before `before`: how many.
    async fn expire_reports(&self, before: DateTime<Utc>, at: DateTime<Utc>) -> StoreResult<u64>;
    /// The commune's choices, if it made any.
    async fn report_settings(&self, code_commune: &str) -> StoreResult<Option<ReportSettings>>;
    async fn save_report_settings(&self, settings: &ReportSettings) -> StoreResult<()>;
    /// How many reports of the commune sent from `source_ip` are pending.
    async fn pending_reports_from(&self, code_commune: &str, source_ip: &str) -> StoreResult<u64>;
    /// The pending reports of the same commune sent from the same address as report `id` (it
    /// among them if it is pending), oldest first; none when its address is unknown.
    /// `NotFound` when there is no such report.
    async fn pending_reports_of_same_source(&self, id: &str) -> StoreResult<Vec<String>>;
    /// The reports told in the digest of `day` (UTC) of a commune, oldest first.
    async fn digest_reports(&self, code_commune: &str, day: NaiveDate) -> StoreResult<Vec<Report>>;
    /// Queues the digest of `day` (UTC) of each commune that has reports to tell in it, once
    /// (a digest queued already is left as it is): how many were queued.
    async fn queue_report_digests(&self, day: NaiveDate, at: DateTime<Utc>) -> StoreResult<u64>;
    /// Claims for `sender` the oldest report e-mail due (or one whose sender let its lease run
    /// out), until `lease_until`. Concurrent senders never claim the same one.
    async fn claim_report_mail(
        &self,
        sender: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<ReportMail>>;
    /// Records how a claimed report e-mail ended. `NotFound` if there is no such e-mail.
    async fn finish_report_mail(&self, id: i64, end: NoticeEnd, at: DateTime<Utc>) -> StoreResult<()>;
    /// The e-mails owed about a commune's reports, in the order they were queued.
    async fn report_mails(&self, code_commune: &str) -> StoreResult<Vec<ReportMail>>;
}
