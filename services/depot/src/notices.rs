//! Sending the notices owed about publications refused at consolidation (queued by the
//! consolidator with the refusal, see `ban_store::NoticeStore`): whom each goes to, what it
//! says, and the loop that sends them through the depot's [`Mailer`]. It runs in every
//! process that runs the depot (the one that holds the SMTP settings).
//!
//! Each notice is sent once: claimed under a lease by one sender, marked sent when the relay
//! took it. A relay away is tried again later, with a growing wait; a process that dies
//! between the relay's acceptance and the mark leaves the notice to be sent again when its
//! lease runs out (the one case of a second copy).
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ban_bal::Cog;
use ban_directory::commune_emails;
use ban_store::{Notice, NoticeEnd, NoticeKind, Revision, Store, StoreError};
use chrono::Utc;

use crate::mailer::{Mailer, RefusalNotice};
use crate::report_mails::ReportMailSettings;

/// How long a claimed notice stays with its sender (an SMTP exchange takes seconds).
const NOTICE_LEASE: Duration = Duration::from_secs(300);
/// A notice that cannot be sent is tried this many times, then given up (and logged).
pub const MAX_NOTICE_ATTEMPTS: i32 = 8;
/// The wait before a notice's second attempt, doubled before each next one (1, 2, 4… 64 min:
/// a relay away for two hours is ridden out).
const NOTICE_BACKOFF: Duration = Duration::from_secs(60);

/// The town hall's addresses for a publication of `revision`. The one place that says where
/// they come from, in order: the address the habilitation the revision was published with
/// was confirmed with (one of the directory's, when it was sent); else the commune's
/// ([`commune_town_hall_emails`]).
pub async fn town_hall_emails(store: &dyn Store, revision: &Revision) -> Result<Vec<String>, StoreError> {
    let of_revision = revision
        .habilitation
        .as_ref()
        .and_then(|h| h.get("emailCommune"))
        .and_then(|e| e.as_str())
        .filter(|e| !e.is_empty());
    if let Some(email) = of_revision {
        return Ok(vec![email.to_owned()]);
    }
    commune_town_hall_emails(store, &revision.code_commune).await
}

/// The town hall's addresses of a commune, in order: the one of the commune's habilitation
/// last confirmed by e-mail; else the main town hall's addresses in the directory of town
/// halls (its offices not delegated, or all of them when every office is).
pub async fn commune_town_hall_emails(
    store: &dyn Store,
    code_commune: &str,
) -> Result<Vec<String>, StoreError> {
    let confirmed = store.last_confirmed_habilitation(code_commune).await?;
    if let Some(email) = confirmed.and_then(|h| h.email_commune) {
        return Ok(vec![email]);
    }
    let offices = store.town_halls(code_commune).await?;
    let main: Vec<_> = offices.iter().filter(|office| !office.delegated).collect();
    Ok(if main.is_empty() { commune_emails(&offices) } else { commune_emails(main) })
}

/// Sends the notices owed, one at a time.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) mailer: Arc<dyn Mailer>,
    /// The sender's name in the queue.
    pub(crate) sender: String,
    idle: Duration,
    backoff: Duration,
    /// How long a citizen report may stay pending (none: for ever).
    report_expiry: Option<chrono::Duration>,
    /// The site's address and the digests' hour, for the e-mails of citizen reports.
    pub(crate) report_mails: ReportMailSettings,
}

/// How often pending reports are looked at for expiry.
const REPORT_EXPIRY_EVERY: Duration = Duration::from_secs(3600);
/// How often the daily digests owed are looked for (queued once per commune and day).
const DIGESTS_EVERY: Duration = Duration::from_secs(60);

impl Notifier {
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>) -> Self {
        Notifier {
            store,
            mailer,
            sender: format!("depot:{}", std::process::id()),
            idle: Duration::from_secs(2),
            backoff: NOTICE_BACKOFF,
            report_expiry: None,
            report_mails: ReportMailSettings::default(),
        }
    }

    /// The site's address (the links of the reports' e-mails) and the digests' hour.
    pub fn with_report_mails(mut self, settings: ReportMailSettings) -> Self {
        self.report_mails = settings;
        self
    }

    /// Expires the citizen reports left pending `days` days (0: never), once an hour.
    pub fn with_report_expiry(mut self, days: u32) -> Self {
        self.report_expiry = (days > 0).then(|| chrono::Duration::days(i64::from(days)));
        self
    }

    /// Expires the reports pending for longer than the delay: how many.
    pub async fn expire_reports(&self) -> Result<u64, StoreError> {
        let Some(delay) = self.report_expiry else { return Ok(0) };
        let now = Utc::now();
        let expired = self.store.expire_reports(now - delay, now).await?;
        if expired > 0 {
            tracing::info!(expired, "citizen reports left pending expired");
            metrics::counter!("reports_expired_total").increment(expired);
        }
        Ok(expired)
    }

    /// How long to wait before looking for notices again when there were none.
    pub fn with_idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// The wait before a failed notice's second attempt (doubled before each next one).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sends notices until `shutdown` resolves; a notice under way is finished first.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut next_expiry = tokio::time::Instant::now();
        let mut next_digests = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_expiry {
                if let Err(error) = self.expire_reports().await {
                    tracing::warn!(%error, "cannot expire citizen reports");
                }
                next_expiry = tokio::time::Instant::now() + REPORT_EXPIRY_EVERY;
            }
            if tokio::time::Instant::now() >= next_digests {
                if let Err(error) = self.queue_report_digests(Utc::now()).await {
                    tracing::warn!(%error, "cannot queue the daily digests of citizen reports");
                }
                next_digests = tokio::time::Instant::now() + DIGESTS_EVERY;
            }
            let sent = match self.send_one().await {
                Ok(sent) => sent,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim notices");
                    false
                }
            };
            if sent {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.idle) => {}
            }
        }
    }

    /// Sends notices until none can be claimed; how many were worked.
    pub async fn send_pending(&self) -> Result<usize, StoreError> {
        let mut worked = 0;
        while self.send_one().await? {
            worked += 1;
        }
        Ok(worked)
    }

    /// Claims one notice or report e-mail and sends it; `false` when there was none.
    pub async fn send_one(&self) -> Result<bool, StoreError> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(NOTICE_LEASE).unwrap_or(chrono::Duration::minutes(5));
        let Some(notice) = self.store.claim_notice(&self.sender, now, now + lease).await? else {
            return match self.store.claim_report_mail(&self.sender, now, now + lease).await? {
                Some(mail) => self.send_report_mail(mail).await.map(|()| true),
                None => Ok(false),
            };
        };
        let end = self.send(&notice).await;
        let outcome = match &end {
            NoticeEnd::Sent { .. } => "sent",
            NoticeEnd::Unsendable { .. } => "unsendable",
            NoticeEnd::Retry { .. } => "retry",
            NoticeEnd::Failed { .. } => "failed",
        };
        metrics::counter!("notices_total", "kind" => notice.kind.as_str(), "outcome" => outcome).increment(1);
        match &end {
            NoticeEnd::Sent { recipients } => {
                tracing::info!(notice = notice.id, kind = %notice.kind, revision = %notice.revision_id, recipients = recipients.len(), "notice sent")
            }
            NoticeEnd::Unsendable { reason } => {
                tracing::warn!(notice = notice.id, kind = %notice.kind, revision = %notice.revision_id, %reason, "notice without recipient")
            }
            NoticeEnd::Retry { error, not_before } => {
                tracing::warn!(notice = notice.id, kind = %notice.kind, %error, %not_before, "notice not sent, will be tried again")
            }
            NoticeEnd::Failed { error } => {
                tracing::error!(notice = notice.id, kind = %notice.kind, revision = %notice.revision_id, %error, "notice not sent, given up")
            }
        }
        self.store.finish_notice(notice.id, end, Utc::now()).await?;
        Ok(true)
    }

    /// Sends a claimed notice; how it ends.
    async fn send(&self, notice: &Notice) -> NoticeEnd {
        let (recipients, message) = match self.compose(notice).await {
            Ok(Ok(composed)) => composed,
            Ok(Err(reason)) => return NoticeEnd::Unsendable { reason },
            Err(error) => return self.failed(notice, error.to_string(), error.is_transient()),
        };
        let sent = match notice.kind {
            NoticeKind::RefusalToProducer => {
                self.mailer.send_refusal_to_producer(&recipients, &message).await
            }
            NoticeKind::RefusalToTownHall => {
                self.mailer.send_refusal_to_town_hall(&recipients, &message).await
            }
        };
        match sent {
            Ok(()) => NoticeEnd::Sent { recipients },
            Err(error) => self.failed(notice, error.to_string(), error.is_transient()),
        }
    }

    /// A failed attempt: tried again later if the cause may pass and attempts remain.
    fn failed(&self, notice: &Notice, error: String, transient: bool) -> NoticeEnd {
        self.failed_attempt(notice.attempts, error, transient)
    }

    /// A failed attempt, the `attempts`-th: tried again later if the cause may pass and
    /// attempts remain.
    pub(crate) fn failed_attempt(&self, attempts: i32, error: String, transient: bool) -> NoticeEnd {
        if transient && attempts < MAX_NOTICE_ATTEMPTS {
            let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
            let wait = self.backoff.saturating_mul(1 << doublings);
            let not_before =
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
            NoticeEnd::Retry { error, not_before }
        } else {
            NoticeEnd::Failed { error }
        }
    }

    /// Whom a notice goes to and what it says; `Ok(Err(reason))` when there is nobody to
    /// send it to.
    async fn compose(
        &self,
        notice: &Notice,
    ) -> Result<Result<(Vec<String>, RefusalNotice), String>, StoreError> {
        let Some(revision) = self.store.revision(&notice.revision_id).await? else {
            return Ok(Err(format!("revision {} not found", notice.revision_id)));
        };
        let refusal = self.store.job(notice.job_id).await?.and_then(|job| job.refusal);
        let Some(refusal) = refusal else {
            return Ok(Err(format!("job {} holds no refusal", notice.job_id)));
        };
        let client = self.store.client(&revision.client_id).await?;
        let recipients = match notice.kind {
            NoticeKind::RefusalToProducer => client
                .as_ref()
                .and_then(|c| c.email.clone())
                .filter(|e| !e.trim().is_empty())
                .into_iter()
                .collect(),
            NoticeKind::RefusalToTownHall => town_hall_emails(&*self.store, &revision).await?,
        };
        if recipients.is_empty() {
            return Ok(Err(match notice.kind {
                NoticeKind::RefusalToProducer => {
                    format!("client {} has no contact e-mail", revision.client_id)
                }
                NoticeKind::RefusalToTownHall => {
                    format!("no town-hall address known for commune {}", revision.code_commune)
                }
            }));
        }
        let message = RefusalNotice {
            nom_commune: Cog::get().commune(&revision.code_commune).map(|c| c.nom.to_owned()),
            code_commune: revision.code_commune.clone(),
            revision_id: revision.id.clone(),
            published_at: revision.published_at,
            client: client.as_ref().map_or_else(|| revision.client_id.clone(), |c| c.nom.clone()),
            mandataire: client.as_ref().map_or_else(|| revision.client_id.clone(), |c| c.mandataire.clone()),
            reason: refusal.message(),
            advice: refusal.advice().to_owned(),
        };
        Ok(Ok((recipients, message)))
    }
}
