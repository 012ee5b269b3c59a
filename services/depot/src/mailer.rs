//! Sending PIN codes to town halls: SMTP when configured, else the log (for local use, where
//! `ban habilitation pin ID` also shows the code).
use async_trait::async_trait;
use ban_service_kit::SecretUrl;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends the messages of the depot.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    async fn send_pin_code(&self, to: &str, code_commune: &str, pin: &str) -> Result<(), String>;
}

/// Writes messages to the log instead of sending them.
#[derive(Debug, Default)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send_pin_code(&self, to: &str, code_commune: &str, pin: &str) -> Result<(), String> {
        tracing::info!(to, code_commune, pin, "PIN code (no SMTP_URL: not sent by e-mail)");
        Ok(())
    }
}

/// Sends through an SMTP relay (`SMTP_URL`, e.g. `smtp://relay.example.org:25`). The relay is
/// reached without TLS (a local or in-cluster relay does the delivery). Errors show the URL
/// without any password it may carry.
#[derive(Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(secret_url: &SecretUrl, from: &str) -> Result<Self, String> {
        let url = secret_url.expose();
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("SMTP_URL {secret_url:?}: expected smtp://HOST[:PORT]"))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => {
                (host, port.parse().map_err(|_| format!("SMTP_URL {secret_url:?}: bad port"))?)
            }
            None => (rest, 25),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).build();
        let from = from.parse().map_err(|e| format!("sender address {from:?}: {e}"))?;
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send_pin_code(&self, to: &str, code_commune: &str, pin: &str) -> Result<(), String> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().map_err(|e| format!("address {to:?}: {e}"))?)
            .subject(format!(
                "Code de validation pour la publication des adresses de la commune {code_commune}"
            ))
            .body(format!(
                "Bonjour,\n\nVotre code de validation est : {pin}\n\nIl est valable 24 heures.\n\
                 Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.\n"
            ))
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map_err(|e| e.to_string())?;
        Ok(())
    }
}
