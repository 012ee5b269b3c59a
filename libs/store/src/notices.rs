//! Notices owed to people about what became of a publication: the e-mails telling a
//! producer and a town hall that a revision was refused at consolidation. A notice is queued
//! with the refusal, in its transaction, once per revision and kind (a job tried again and
//! refused again owes nothing more); a sender claims it under a lease (a dead sender's notice
//! is taken over when the lease runs out), sends it, and records how it ended, so that a
//! restarted process does not send it again.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// Who a notice is for, and about what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The client that published a refused revision (its contact e-mail).
    RefusalToProducer,
    /// The town hall of the commune of a refused revision.
    RefusalToTownHall,
}

ban_domain::text_enum!(NoticeKind {
    RefusalToProducer => "refusal_to_producer",
    RefusalToTownHall => "refusal_to_town_hall",
});

impl NoticeKind {
    /// The notices a refusal owes.
    pub const OF_REFUSAL: [NoticeKind; 2] = [NoticeKind::RefusalToProducer, NoticeKind::RefusalToTownHall];
}

/// Where a notice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeStatus {
    /// Waiting for a sender (again after a failed attempt, from `run_after`).
    Pending,
    /// Held by a sender until its lease runs out.
    Sending,
    /// Sent: ends its life.
    Sent,
    /// Nobody to send it to (no contact address known): ends its life, said in `message`.
    Unsendable,
    /// Every attempt failed: ends its life, the last error in `message`.
    Failed,
}

ban_domain::text_enum!(NoticeStatus {
    Pending => "pending",
    Sending => "sending",
    Sent => "sent",
    Unsendable => "unsendable",
    Failed => "failed",
});

/// A notice owed about a revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NoticeKind,
    pub revision_id: String,
    /// The job whose refusal queued it.
    pub job_id: i64,
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

/// How a claimed notice ends.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeEnd {
    Sent {
        recipients: Vec<String>,
    },
    /// Nobody to send it to.
    Unsendable {
        reason: String,
    },
    /// Failed this time (the relay away): claimable again from `not_before`.
    Retry {
        error: String,
        not_before: DateTime<Utc>,
    },
    /// Failed for good (attempts spent, or refused by the relay).
    Failed {
        error: String,
    },
}

/// The notices owed. They are queued by [`JobStore::finish_job`](crate::JobStore::finish_job)
/// with a [`JobEnd::Refused`](crate::JobEnd::Refused).
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Claims for `sender` the oldest pending notice (or one whose sender let its lease run
    /// out), until `lease_until`. Concurrent senders never claim the same notice.
    async fn claim_notice(
        &self,
        sender: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Notice>>;
    /// Records how a claimed notice ended. `NotFound` if there is no such notice.
    async fn finish_notice(&self, notice_id: i64, end: NoticeEnd, at: DateTime<Utc>) -> StoreResult<()>;
    /// The notices owed about a revision, in the order they were queued.
    async fn notices(&self, revision_id: &str) -> StoreResult<Vec<Notice>>;
}
