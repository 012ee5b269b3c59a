//! The depot's e-mails: PIN codes to town halls, the notices of a publication refused at
//! consolidation to its producer and to the commune's town hall, and those of citizen reports
//! (to the town hall, to their authors) (one method per kind of
//! message, their French texts in [`messages`]). Sent through an SMTP relay when one is
//! configured ([`SmtpMailer`]: plain, STARTTLS or implicit TLS through rustls, with
//! authentication), else written to the log ([`LogMailer`], for local use, where `ban
//! habilitation pin ID` also shows the code).
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use ban_service_kit::SecretUrl;
use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why a message was not sent. Never shows a password: the relay is named by its URL
/// without it.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("address {address:?}: {reason}")]
    Address { address: String, reason: String },
    /// The relay refused the user name and password (SMTP 535).
    #[error("the SMTP relay {relay} refused the credentials of user {user:?} (wrong user name or password): {reply}")]
    Credentials { relay: String, user: String, reply: String },
    #[error("TLS with the SMTP relay {relay} failed: {reason}")]
    Tls { relay: String, reason: String },
    /// The relay refused the message for good (an unknown recipient…).
    #[error("the SMTP relay {relay} refused the message: {reply}")]
    Refused { relay: String, reply: String },
    /// The relay could not be reached, or answered "try again later".
    #[error("the SMTP relay {relay} is unavailable: {reason}")]
    Unavailable { relay: String, reason: String },
    #[error("the message cannot be written: {0}")]
    Message(String),
}

impl MailError {
    /// Whether sending again later may succeed (the relay away or busy), as opposed to a
    /// refusal that will not change until the configuration or the address does.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Unavailable { .. })
    }
}

/// What the notices of a refused publication say: which commune, which revision, why, and
/// what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusalNotice {
    pub code_commune: String,
    /// The commune's name in the COG, when it is there.
    pub nom_commune: Option<String>,
    pub revision_id: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The client that published it, and the organisation operating that client.
    pub client: String,
    pub mandataire: String,
    /// The reason, in plain French (`ban_store::Refusal::message`).
    pub reason: String,
    /// What the producer should do, in plain French (`ban_store::Refusal::advice`); the town
    /// hall is told to see the producer.
    pub advice: String,
}

/// A citizen report as its e-mails describe it: what is asked, never who asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    pub id: String,
    /// What kind of change: « Créer une adresse », « Modifier une voie »…
    pub request: String,
    /// The object concerned, as the report names it (« 12 Rue des Acacias »), if any.
    pub concerned: Option<String>,
    /// What is asked (« 14 bis Allée des Acacias »), with the parcels and positions given.
    pub asked: Vec<String>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An e-mail about citizen reports of a commune.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMessage {
    pub code_commune: String,
    /// The commune's name in the COG, when it is there.
    pub nom_commune: Option<String>,
    /// The commune's page of the site, where its reports are listed.
    pub commune_page: String,
    pub about: ReportAbout,
}

/// What a report's e-mail is about.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportAbout {
    /// A new report, to the town hall.
    New(ReportSummary),
    /// The new reports of a day, to the town hall.
    Digest { day: NaiveDate, reports: Vec<ReportSummary> },
    /// To the author: done by the commune, or by a publication (its revision).
    Processed { report: ReportSummary, revision_id: Option<String> },
    /// To the author: refused by the commune, for a reason.
    Ignored { report: ReportSummary, reason: String },
}

/// Sends the messages of the depot, one method per kind of message.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// The PIN code of a habilitation, to the town hall's address.
    async fn send_pin_code(&self, to: &str, code_commune: &str, pin: &str) -> Result<(), MailError>;
    /// A refused publication, to the client that published it.
    async fn send_refusal_to_producer(&self, to: &[String], notice: &RefusalNotice) -> Result<(), MailError>;
    /// A refused publication, to the town hall of its commune.
    async fn send_refusal_to_town_hall(&self, to: &[String], notice: &RefusalNotice)
        -> Result<(), MailError>;
    /// An e-mail about citizen reports: to the town hall, or to a report's author.
    async fn send_report_mail(&self, to: &[String], message: &ReportMessage) -> Result<(), MailError>;
}

/// The texts of the messages: subject and body, in French.
pub mod messages {
    use super::{RefusalNotice, ReportAbout, ReportMessage, ReportSummary};

    /// A message's subject and plain-text body.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Text {
        pub subject: String,
        pub body: String,
    }

    /// The PIN code's message, with production's subject.
    pub fn pin_code(code_commune: &str, pin: &str) -> Text {
        let commune = match ban_bal::Cog::get().commune(code_commune) {
            Some(c) => format!("{} ({code_commune})", c.nom),
            None => format!("la commune {code_commune}"),
        };
        Text {
            subject: "Demande de code d’identification".to_owned(),
            body: format!(
                "Bonjour,\n\nPublication de la Base Adresse Locale de {commune}\n\
                 Demande d’authentification\n\n\
                 Votre code de validation est : {pin}\n\nIl est valable 24 heures.\n\n\
                 Pourquoi recevez-vous ce courriel ? Quelqu’un souhaite s’authentifier comme agent ou élu \
                 de la commune habilité à publier sa Base Adresse Locale, et a choisi cette adresse de la mairie.\n\
                 Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : sans ce code, \
                 rien ne peut être publié.\n\nL’équipe BAN Sync\n"
            ),
        }
    }

    /// `Mont-Bonvillers (54084)`, or the code alone outside the COG.
    fn commune(notice: &RefusalNotice) -> String {
        match &notice.nom_commune {
            Some(nom) => format!("{nom} ({})", notice.code_commune),
            None => format!("la commune {}", notice.code_commune),
        }
    }

    /// ` le 03/03/2026 à 14:05 (UTC)`, or nothing.
    fn published(notice: &RefusalNotice) -> String {
        notice.published_at.map(|at| at.format(" le %d/%m/%Y à %H:%M (UTC)").to_string()).unwrap_or_default()
    }

    fn follow_up(notice: &RefusalNotice) -> String {
        format!(
            "L’état de cette publication : GET /api-depot/revisions/{}\n\
             Les dernières publications de la commune : GET /api-depot/communes/{}/consolidations\n\n\
             Ce message est envoyé une seule fois pour cette publication, automatiquement : n’y répondez pas.\n",
            notice.revision_id, notice.code_commune
        )
    }

    pub fn refusal_to_producer(notice: &RefusalNotice) -> Text {
        let commune = commune(notice);
        Text {
            subject: format!("Publication refusée : Base Adresse Locale de {commune}"),
            body: format!(
                "Bonjour,\n\n\
                 La révision {} de la Base Adresse Locale de {commune}, publiée{} par {}, n’a pas été \
                 intégrée à la Base Adresse Nationale : sa consolidation l’a refusée.\n\n\
                 Motif : {}\n\n\
                 Que faire : {}\n\n\
                 Tant qu’une nouvelle publication n’est pas intégrée, la Base Adresse Nationale garde les \
                 adresses de la publication précédente de la commune.\n\n{}",
                notice.revision_id,
                published(notice),
                notice.client,
                notice.reason,
                notice.advice,
                follow_up(notice)
            ),
        }
    }

    pub fn refusal_to_town_hall(notice: &RefusalNotice) -> Text {
        let commune = commune(notice);
        Text {
            subject: format!("Commune de {commune} : une publication de vos adresses a été refusée"),
            body: format!(
                "Bonjour,\n\n\
                 {} ({}) a publié{} la révision {} de la Base Adresse Locale de votre commune, \
                 {commune}. Cette publication n’a pas été intégrée à la Base Adresse Nationale : sa \
                 consolidation l’a refusée.\n\n\
                 Motif : {}\n\n\
                 Que faire : rapprochez-vous de {}, qui a déposé ce fichier pour la commune ; il a reçu \
                 le même message, avec ce qu’il faut corriger. Si la publication est voulue telle quelle, \
                 l’équipe de la Base Adresse Nationale peut la forcer.\n\n\
                 Les adresses de la commune dans la Base Adresse Nationale restent celles de la \
                 publication précédente. Vous recevez ce message parce que cette adresse a confirmé \
                 l’habilitation de publier les adresses de la commune.\n\n{}",
                notice.client,
                notice.mandataire,
                published(notice),
                notice.revision_id,
                notice.reason,
                notice.mandataire,
                follow_up(notice)
            ),
        }
    }

    /// `Mont-Bonvillers (54084)`, or the code alone outside the COG.
    fn report_commune(message: &ReportMessage) -> String {
        match &message.nom_commune {
            Some(nom) => format!("{nom} ({})", message.code_commune),
            None => format!("la commune {}", message.code_commune),
        }
    }

    /// A report's lines: what is asked, about what, the comment (never its author).
    fn report_lines(report: &ReportSummary) -> String {
        let mut lines = vec![format!("Demande : {}", report.request)];
        if let Some(concerned) = &report.concerned {
            lines.push(format!("Concerne : {concerned}"));
        }
        lines.extend(report.asked.iter().map(|asked| format!("Demandé : {asked}")));
        if let Some(comment) = &report.comment {
            lines.push(format!("Commentaire : {comment}"));
        }
        lines.push(format!(
            "Reçu le {} (UTC), signalement {}",
            report.created_at.format("%d/%m/%Y à %H:%M"),
            report.id
        ));
        lines.join("\n")
    }

    const AUTOMATIC: &str = "Ce message est envoyé automatiquement : n’y répondez pas.";

    /// The texts of citizen reports' e-mails. The town hall is never told who reported.
    pub fn report(message: &ReportMessage) -> Text {
        let commune = report_commune(message);
        let page = &message.commune_page;
        match &message.about {
            ReportAbout::New(report) => Text {
                subject: format!("Nouveau signalement d’adresse pour {commune}"),
                body: format!(
                    "Bonjour,\n\n\
                     Une erreur sur les adresses de votre commune, {commune}, a été signalée sur la Base \
                     Adresse Nationale :\n\n{}\n\n\
                     Seule la commune modifie ses adresses : si la demande est fondée, corrigez votre Base \
                     Adresse Locale et publiez-la ; le signalement sera clos de lui-même par la publication \
                     qui l’applique. Vous pouvez aussi le traiter ou l’ignorer depuis la page de la commune :\n\
                     {page}\n\n\
                     Vous recevez ce message parce que cette adresse est celle de la mairie. La commune peut \
                     choisir de recevoir un seul courriel par jour qui récapitule les signalements.\n\n{AUTOMATIC}\n",
                    report_lines(report)
                ),
            },
            ReportAbout::Digest { day, reports } => {
                let count = reports.len();
                let listed =
                    reports.iter().map(report_lines).collect::<Vec<_>>().join("\n\n---\n\n");
                let (noun, verb) = if count > 1 {
                    (format!("{count} signalements d’adresse"), "ont été reçus")
                } else {
                    ("1 signalement d’adresse".to_owned(), "a été reçu")
                };
                Text {
                    subject: format!(
                        "Signalements d’adresse pour {commune} : récapitulatif du {}",
                        day.format("%d/%m/%Y")
                    ),
                    body: format!(
                        "Bonjour,\n\n\
                         {noun} {verb} le {} pour votre commune, {commune} :\n\n{listed}\n\n\
                         Seule la commune modifie ses adresses : si une demande est fondée, corrigez votre \
                         Base Adresse Locale et publiez-la ; le signalement sera clos de lui-même par la \
                         publication qui l’applique. Les signalements de la commune, à traiter ou ignorer :\n\
                         {page}\n\n\
                         Vous recevez ce récapitulatif une fois par jour, comme la commune l’a choisi.\n\n{AUTOMATIC}\n",
                        day.format("%d/%m/%Y")
                    ),
                }
            }
            ReportAbout::Processed { report, revision_id } => {
                let how = match revision_id {
                    Some(revision) => format!(
                        "La commune a publié ses adresses avec la modification demandée (révision {revision}) : \
                         elle est dans la Base Adresse Nationale."
                    ),
                    None => "La commune l’a traité.".to_owned(),
                };
                Text {
                    subject: format!("Votre signalement d’adresse à {commune} a été traité"),
                    body: format!(
                        "Bonjour,\n\nVotre signalement sur les adresses de {commune} a été traité. {how}\n\n\
                         {}\n\nLes adresses et les signalements de la commune : {page}\n\n\
                         Merci de votre aide.\n\n{AUTOMATIC}\n",
                        report_lines(report)
                    ),
                }
            }
            ReportAbout::Ignored { report, reason } => Text {
                subject: format!("Votre signalement d’adresse à {commune} n’a pas été retenu"),
                body: format!(
                    "Bonjour,\n\nLa commune de {commune} n’a pas retenu votre signalement sur ses adresses.\n\n\
                     Motif : {reason}\n\n{}\n\n\
                     Les adresses et les signalements de la commune : {page}\n\n{AUTOMATIC}\n",
                    report_lines(report)
                ),
            },
        }
    }
}

/// Writes messages to the log instead of sending them.
#[derive(Debug, Default)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send_pin_code(&self, to: &str, code_commune: &str, pin: &str) -> Result<(), MailError> {
        tracing::info!(to, code_commune, pin, "PIN code (no SMTP_URL: not sent by e-mail)");
        Ok(())
    }

    async fn send_refusal_to_producer(&self, to: &[String], notice: &RefusalNotice) -> Result<(), MailError> {
        let text = messages::refusal_to_producer(notice);
        tracing::info!(?to, subject = %text.subject, body = %text.body, "refusal notice (no SMTP_URL: not sent)");
        Ok(())
    }

    async fn send_refusal_to_town_hall(
        &self,
        to: &[String],
        notice: &RefusalNotice,
    ) -> Result<(), MailError> {
        let text = messages::refusal_to_town_hall(notice);
        tracing::info!(?to, subject = %text.subject, body = %text.body, "refusal notice (no SMTP_URL: not sent)");
        Ok(())
    }

    async fn send_report_mail(&self, to: &[String], message: &ReportMessage) -> Result<(), MailError> {
        let text = messages::report(message);
        tracing::info!(?to, subject = %text.subject, body = %text.body, "report e-mail (no SMTP_URL: not sent)");
        Ok(())
    }
}

/// How the SMTP relay is reached.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://HOST[:PORT]` (no TLS, port 25: a local relay), `smtp://…?tls=starttls`
    /// (STARTTLS required, port 587) or `smtps://HOST[:PORT]` (implicit TLS, port 465), with
    /// `USER:PASSWORD@` before the host to authenticate (over TLS only; percent-encoded).
    pub url: SecretUrl,
    /// The sender of every message.
    pub from: String,
    /// An address every message is also sent to, unseen by the others (an archive).
    pub bcc: Option<String>,
    /// Root certificates (PEM) trusted besides the public ones (Mozilla's, built in): a
    /// relay whose certificate a private authority signed.
    pub ca_file: Option<PathBuf>,
}

/// How long a relay may take to answer before sending fails (and is tried again later).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    ImplicitTls,
}

/// Sends through an SMTP relay (see [`SmtpSettings`]). Errors and `Debug` name the relay by
/// its URL without its password.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    bcc: Option<Mailbox>,
    /// The relay's URL without its password, for messages.
    relay: String,
    user: Option<String>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("relay", &self.relay)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

impl SmtpMailer {
    /// The mailer of `settings`, or why they are wrong (never showing the password).
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let shown = settings.url.redacted();
        let wrong = |what: &str| {
            format!(
                "SMTP_URL {shown}: {what} (expected smtp://HOST[:PORT], smtp://[USER:PASSWORD@]HOST[:PORT]?tls=starttls \
                 or smtps://[USER:PASSWORD@]HOST[:PORT])"
            )
        };
        let url = url::Url::parse(settings.url.expose()).map_err(|e| wrong(&e.to_string()))?;
        let mut tls_param = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" if tls_param.is_none() => tls_param = Some(value.into_owned()),
                _ => return Err(wrong(&format!("unexpected parameter {key:?}"))),
            }
        }
        let security = match (url.scheme(), tls_param.as_deref()) {
            ("smtp", None | Some("none")) => Security::Plain,
            ("smtp", Some("starttls")) => Security::StartTls,
            ("smtps", None | Some("implicit")) => Security::ImplicitTls,
            ("smtp" | "smtps", Some(other)) => return Err(wrong(&format!("tls={other:?}"))),
            (scheme, _) => return Err(wrong(&format!("scheme {scheme:?}"))),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| wrong("no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::ImplicitTls => 465,
        });
        let user = (!url.username().is_empty()).then(|| decoded(url.username()));
        if user.is_some() && security == Security::Plain {
            return Err(wrong(
                "a user name and password are only sent over TLS: add ?tls=starttls, or use smtps://",
            ));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(port)
            .timeout(Some(SMTP_TIMEOUT));
        if security != Security::Plain {
            let mut tls = TlsParameters::builder(host.clone());
            if let Some(path) = &settings.ca_file {
                let pem = std::fs::read(path).map_err(|e| format!("SMTP_CA_FILE {}: {e}", path.display()))?;
                let certificate = Certificate::from_pem(&pem)
                    .map_err(|e| format!("SMTP_CA_FILE {}: not a PEM certificate: {e}", path.display()))?;
                tls = tls.add_root_certificate(certificate);
            }
            let tls = tls.build_rustls().map_err(|e| format!("TLS settings of SMTP_URL {shown}: {e}"))?;
            builder = builder.tls(match security {
                Security::StartTls => Tls::Required(tls),
                _ => Tls::Wrapper(tls),
            });
        }
        if let Some(user) = &user {
            let password = decoded(url.password().unwrap_or_default());
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let mailbox = |what: &str, address: &str| {
            address.parse::<Mailbox>().map_err(|e| format!("{what} {address:?}: {e}"))
        };
        Ok(SmtpMailer {
            transport: builder.build(),
            from: mailbox("SMTP_FROM", &settings.from)?,
            bcc: settings.bcc.as_deref().map(|bcc| mailbox("SMTP_BCC", bcc)).transpose()?,
            relay: shown,
            user,
        })
    }

    async fn send(&self, to: &[String], text: messages::Text) -> Result<(), MailError> {
        // UTF-8 said explicitly: without a Content-Type, readers take the body for ASCII.
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(text.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN);
        for address in to {
            let mailbox = address
                .parse::<Mailbox>()
                .map_err(|e| MailError::Address { address: address.clone(), reason: e.to_string() })?;
            message = message.to(mailbox);
        }
        if let Some(bcc) = &self.bcc {
            message = message.bcc(bcc.clone());
        }
        let message = message.body(text.body).map_err(|e| MailError::Message(e.to_string()))?;
        self.transport.send(message).await.map(drop).map_err(|e| self.error(e))
    }

    /// A relay's error, told apart by its kind and reply code (never by its text).
    fn error(&self, error: lettre::transport::smtp::Error) -> MailError {
        let relay = self.relay.clone();
        let reply = error.to_string();
        let code = error.status().map(|code| code.to_string());
        match (&self.user, code.as_deref()) {
            (Some(user), Some("535")) => return MailError::Credentials { relay, user: user.clone(), reply },
            _ if error.is_tls() || caused_by_tls(&error) => return MailError::Tls { relay, reason: reply },
            _ => {}
        }
        if error.is_permanent() {
            MailError::Refused { relay, reply }
        } else {
            MailError::Unavailable { relay, reason: reply }
        }
    }
}

/// Whether rustls is among an error's causes (a certificate refused during the handshake
/// reaches lettre as a connection error).
fn caused_by_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        let inner = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        if error.is::<rustls::Error>() || inner.is_some_and(|inner| inner.is::<rustls::Error>()) {
            return true;
        }
        cause = error.source();
    }
    false
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send_pin_code(&self, to: &str, code_commune: &str, pin: &str) -> Result<(), MailError> {
        self.send(&[to.to_owned()], messages::pin_code(code_commune, pin)).await
    }

    async fn send_refusal_to_producer(&self, to: &[String], notice: &RefusalNotice) -> Result<(), MailError> {
        self.send(to, messages::refusal_to_producer(notice)).await
    }

    async fn send_refusal_to_town_hall(
        &self,
        to: &[String],
        notice: &RefusalNotice,
    ) -> Result<(), MailError> {
        self.send(to, messages::refusal_to_town_hall(notice)).await
    }

    async fn send_report_mail(&self, to: &[String], message: &ReportMessage) -> Result<(), MailError> {
        self.send(to, messages::report(message)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> SmtpSettings {
        SmtpSettings { url: SecretUrl::new(url), from: "ban@example.org".into(), bcc: None, ca_file: None }
    }

    #[test]
    fn relay_urls() {
        for good in [
            "smtp://relay.example.org",
            "smtp://relay.example.org:2525?tls=none",
            "smtp://user:p%40ss@relay.example.org?tls=starttls",
            "smtps://user:secret@relay.example.org:4650",
            "smtps://relay.example.org?tls=implicit",
        ] {
            assert!(SmtpMailer::new(&settings(good)).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("smtp://user:hunter2@relay.example.org", "only sent over TLS"),
            ("smtp://relay.example.org?tls=yes", "tls=\"yes\""),
            ("smtps://relay.example.org?tls=starttls", "tls=\"starttls\""),
            ("smtp://relay.example.org?tls=starttls&pool=1", "unexpected parameter \"pool\""),
            ("http://relay.example.org", "scheme \"http\""),
            ("relay.example.org:25", "scheme"),
        ] {
            let error = SmtpMailer::new(&settings(bad)).expect_err(bad);
            assert!(error.contains(why), "{bad}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
        let error = SmtpMailer::new(&SmtpSettings { from: "not an address".into(), ..settings("smtp://h") })
            .expect_err("a bad sender");
        assert!(error.contains("SMTP_FROM"), "{error}");
    }

    #[test]
    fn refusal_texts_say_which_commune_which_revision_why_and_what_to_do() {
        let notice = RefusalNotice {
            code_commune: "54084".into(),
            nom_commune: Some("Mont-Bonvillers".into()),
            revision_id: "0123456789abcdef01234567".into(),
            published_at: DateTime::from_timestamp(1_772_546_700, 0),
            client: "Éditeur".into(),
            mandataire: "Société".into(),
            reason: "Plus de 80 % des adresses supprimées.".into(),
            advice: "Vérifiez le fichier.".into(),
        };
        for text in [messages::refusal_to_producer(&notice), messages::refusal_to_town_hall(&notice)] {
            assert!(text.subject.contains("Mont-Bonvillers (54084)"), "{}", text.subject);
            for part in ["0123456789abcdef01234567", "Plus de 80 %", "Que faire", "le 03/03/2026 à 14:05"] {
                assert!(text.body.contains(part), "{part}: {}", text.body);
            }
        }
        // The producer is told what to correct; the town hall whom to see.
        assert!(messages::refusal_to_producer(&notice).body.contains("Vérifiez le fichier."));
        assert!(messages::refusal_to_town_hall(&notice).body.contains("rapprochez-vous de Société,"));
    }
}
