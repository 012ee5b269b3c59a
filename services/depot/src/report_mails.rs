//! Sending the e-mails of citizen reports, queued by the store with what owes them
//! (`ban_store::ReportStore`): a new report to the commune's town hall, at once or in the
//! day's digest (the commune's choice when the report was sent), and a report processed or
//! ignored to its author. The [`Notifier`] that sends the refusal notices sends them too, the
//! same way: claimed under a lease, marked once the relay took them, tried again with a
//! growing wait when the relay is away.
//!
//! The town hall is told what is asked, never who asked. A report that expires tells nobody:
//! its author is not waiting for a year-old answer, and the town hall was told when it came.
use ban_bal::Cog;
use ban_reports::{ChangesRequested, ExistingLocation};
use ban_store::{NoticeEnd, Report, ReportMail, ReportMailKind, ReportType, StoreError};
use chrono::{DateTime, NaiveDate, Timelike, Utc};

use crate::config::{DEFAULT_PUBLIC_URL, DEFAULT_REPORT_DIGEST_HOUR};
use crate::mailer::{ReportAbout, ReportMessage, ReportSummary};
use crate::notices::commune_town_hall_emails;
use crate::Notifier;

/// What the reports' e-mails need to know of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMailSettings {
    /// The site's address, without a trailing slash: a commune's page is
    /// `{public_url}/commune/{code}`.
    pub public_url: String,
    /// The hour (UTC) from which a day's digests are sent, the next day.
    pub digest_hour: u32,
}

impl Default for ReportMailSettings {
    fn default() -> Self {
        ReportMailSettings {
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            digest_hour: DEFAULT_REPORT_DIGEST_HOUR,
        }
    }
}

/// Days before the last one due whose digests are still queued if they were not (a process
/// down when they were due).
const DIGEST_CATCH_UP_DAYS: u64 = 3;

/// The days whose digests are due at `now`, the latest first: the previous day's from the
/// digest hour on, the one before until then, and a few before (queued once anyway).
pub fn due_digest_days(now: DateTime<Utc>, digest_hour: u32) -> Vec<NaiveDate> {
    let back = if now.hour() >= digest_hour { 1 } else { 2 };
    let latest = now.date_naive() - chrono::Days::new(back);
    (0..DIGEST_CATCH_UP_DAYS).map(|days| latest - chrono::Days::new(days)).collect()
}

impl Notifier {
    /// Queues the digests due at `now` (see [`due_digest_days`]), once per commune and day:
    /// how many were queued.
    pub async fn queue_report_digests(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut queued = 0;
        for day in due_digest_days(now, self.report_mails.digest_hour) {
            queued += self.store.queue_report_digests(day, now).await?;
        }
        if queued > 0 {
            tracing::info!(queued, "daily digests of citizen reports queued");
        }
        Ok(queued)
    }

    /// Sends a claimed report e-mail and records how it ended.
    pub(crate) async fn send_report_mail(&self, mail: ReportMail) -> Result<(), StoreError> {
        let end = match self.compose_report_mail(&mail).await {
            Ok(Ok((recipients, message))) => {
                match self.mailer.send_report_mail(&recipients, &message).await {
                    Ok(()) => NoticeEnd::Sent { recipients },
                    Err(error) => self.failed_attempt(mail.attempts, error.to_string(), error.is_transient()),
                }
            }
            Ok(Err(reason)) => NoticeEnd::Unsendable { reason },
            Err(error) => self.failed_attempt(mail.attempts, error.to_string(), error.is_transient()),
        };
        let outcome = match &end {
            NoticeEnd::Sent { recipients } => {
                tracing::info!(mail = mail.id, kind = %mail.kind, commune = %mail.code_commune, recipients = recipients.len(), "report e-mail sent");
                "sent"
            }
            NoticeEnd::Unsendable { reason } => {
                tracing::warn!(mail = mail.id, kind = %mail.kind, commune = %mail.code_commune, %reason, "report e-mail without recipient");
                "unsendable"
            }
            NoticeEnd::Retry { error, not_before } => {
                tracing::warn!(mail = mail.id, kind = %mail.kind, %error, %not_before, "report e-mail not sent, will be tried again");
                "retry"
            }
            NoticeEnd::Failed { error } => {
                tracing::error!(mail = mail.id, kind = %mail.kind, commune = %mail.code_commune, %error, "report e-mail not sent, given up");
                "failed"
            }
        };
        metrics::counter!("report_mails_total", "kind" => mail.kind.as_str(), "outcome" => outcome)
            .increment(1);
        self.store.finish_report_mail(mail.id, end, Utc::now()).await
    }

    /// Whom a report e-mail goes to and what it says; `Ok(Err(reason))` when there is nobody
    /// to send it to, or nothing to say.
    async fn compose_report_mail(
        &self,
        mail: &ReportMail,
    ) -> Result<Result<(Vec<String>, ReportMessage), String>, StoreError> {
        let commune = &mail.code_commune;
        let report = match &mail.report_id {
            Some(id) => match self.store.report(id).await? {
                Some(report) => Some(report),
                None => return Ok(Err(format!("report {id} not found"))),
            },
            None => None,
        };
        let (recipients, about) = match (mail.kind, report) {
            (ReportMailKind::NewReport, Some(report)) => {
                (commune_town_hall_emails(&*self.store, commune).await?, ReportAbout::New(summary(&report)))
            }
            (ReportMailKind::DailyDigest, _) => {
                let Some(day) = mail.digest_day.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()) else {
                    return Ok(Err(format!("digest without a day: {:?}", mail.digest_day)));
                };
                let reports = self.store.digest_reports(commune, day).await?;
                if reports.is_empty() {
                    return Ok(Err(format!("no report of {day} to tell")));
                }
                let reports = reports.iter().map(summary).collect();
                (commune_town_hall_emails(&*self.store, commune).await?, ReportAbout::Digest { day, reports })
            }
            (ReportMailKind::ProcessedToAuthor, Some(report)) => {
                let about = ReportAbout::Processed {
                    report: summary(&report),
                    revision_id: report.processed_revision_id.clone(),
                };
                (author(&report), about)
            }
            (ReportMailKind::IgnoredToAuthor, Some(report)) => {
                let reason = report.rejection_reason.clone().unwrap_or_default();
                (author(&report), ReportAbout::Ignored { report: summary(&report), reason })
            }
            (kind, None) => return Ok(Err(format!("{kind} without a report"))),
        };
        if recipients.is_empty() {
            return Ok(Err(match mail.kind {
                ReportMailKind::NewReport | ReportMailKind::DailyDigest => {
                    format!("no town-hall address known for commune {commune}")
                }
                _ => "the author left no address".to_owned(),
            }));
        }
        let message = ReportMessage {
            code_commune: commune.clone(),
            nom_commune: Cog::get().commune(commune).map(|c| c.nom.to_owned()),
            commune_page: format!("{}/commune/{commune}", self.report_mails.public_url),
            about,
        };
        Ok(Ok((recipients, message)))
    }
}

fn author(report: &Report) -> Vec<String> {
    report.author_email.iter().filter(|e| !e.trim().is_empty()).cloned().collect()
}

/// What a report asks, in words, from its stored request (checked when it was sent).
pub fn summary(report: &Report) -> ReportSummary {
    let changes: ChangesRequested =
        serde_json::from_value(report.changes_requested.clone()).unwrap_or_else(|error| {
            tracing::warn!(report = %report.id, %error, "a stored report's request does not read");
            ChangesRequested::default()
        });
    let existing: Option<ExistingLocation> =
        report.existing_location.clone().and_then(|value| serde_json::from_value(value).ok());
    let object = match &existing {
        Some(ExistingLocation::Numero { .. }) => "une adresse",
        Some(ExistingLocation::Voie { .. }) => "une voie",
        Some(ExistingLocation::Toponyme { .. }) => "un lieu-dit",
        None if changes.numero.is_some() => "une adresse",
        None => "une voie ou un lieu-dit",
    };
    let request = match report.kind {
        ReportType::LocationToCreate if changes.numero.is_some() => "Créer une adresse".to_owned(),
        ReportType::LocationToCreate => "Créer une voie ou un lieu-dit".to_owned(),
        ReportType::LocationToUpdate => format!("Modifier {object}"),
        ReportType::LocationToDelete => format!("Supprimer {object}"),
    };
    let concerned = existing.as_ref().map(|location| {
        let named = match location {
            ExistingLocation::Numero { numero, suffixe, toponyme, .. } => {
                number(*numero, suffixe.as_deref(), toponyme.as_ref().map(|t| t.nom.as_str()))
            }
            ExistingLocation::Voie { nom, .. } => format!("la voie {nom}"),
            ExistingLocation::Toponyme { nom, .. } => format!("le lieu-dit {nom}"),
        };
        match location.ban_id() {
            Some(id) => format!("{named} (identifiant BAN {id})"),
            None => named,
        }
    });
    let mut asked = Vec::new();
    if report.kind != ReportType::LocationToDelete {
        match (changes.numero, &changes.nom) {
            (Some(numero), _) => {
                asked.push(number(numero, changes.suffixe.as_deref(), changes.nom_voie.as_deref()))
            }
            (None, Some(nom)) => asked.push(format!("le nom « {nom} »")),
            (None, None) => {}
        }
        if let Some(complement) = &changes.nom_complement {
            asked.push(format!("lieu-dit complémentaire « {complement} »"));
        }
        if !changes.parcelles.is_empty() {
            asked.push(format!("parcelles {}", changes.parcelles.join(", ")));
        }
        for position in &changes.positions {
            let [lon, lat] = position.point.coordinates;
            asked.push(format!(
                "position ({}) : latitude {lat:.6}, longitude {lon:.6}",
                position.kind.as_str()
            ));
        }
    }
    ReportSummary {
        id: report.id.clone(),
        request,
        concerned,
        asked,
        comment: changes.comment.filter(|c| !c.trim().is_empty()),
        created_at: report.created_at,
    }
}

/// `14 bis Allée des Acacias`.
fn number(numero: u32, suffixe: Option<&str>, voie: Option<&str>) -> String {
    [Some(numero.to_string()), suffixe.map(str::to_owned), voie.map(str::to_owned)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_due_from_the_hour_the_next_day() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap_or_else(|e| panic!("{text}: {e}"));
        let day = |text: &str| text.parse::<NaiveDate>().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(due_digest_days(at("2026-12-08T06:00:00Z"), 6)[0], day("2026-12-07"));
        assert_eq!(due_digest_days(at("2026-12-08T05:59:59Z"), 6)[0], day("2026-12-06"));
        assert_eq!(
            due_digest_days(at("2026-12-08T23:00:00Z"), 6),
            [day("2026-12-07"), day("2026-12-06"), day("2026-12-05")]
        );
    }
}
