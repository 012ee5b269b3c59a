//! The depot's configuration: its own options ([`DepotArgs`]: the administrators' token, the
//! SMTP relay of its e-mails and the site's address for their links, the limits against
//! guessing PIN codes and tokens and against floods of citizen reports), beside the
//! groups every server shares for a depot process alone
//! (`ban_service_kit::AloneArgs`). Read once at start by the `ban` command, from flags or the
//! environment.
use std::sync::Arc;

use ban_service_kit::config::{secret, secret_url, unless_empty};
use ban_service_kit::SecretUrl;
use secrecy::SecretString;

use crate::mailer::SmtpSettings;
use crate::{LogMailer, Mailer, SmtpMailer};

/// The sender of the depot's e-mails unless told otherwise.
pub const DEFAULT_SMTP_FROM: &str = "ne-pas-repondre@ban-sync.invalid";

/// The depot's own options. An empty variable (`ADMIN_TOKEN=`) counts as unset.
#[derive(Debug, Clone, clap::Args)]
pub struct DepotArgs {
    /// The token of the administration routes (Authorization: Token …); they are closed
    /// without it.
    #[arg(
        long,
        env = "ADMIN_TOKEN",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true,
        value_parser = unless_empty(secret)
    )]
    pub admin_token: std::option::Option<SecretString>,
    /// The SMTP relay of the depot's e-mails (PIN codes, refused publications, citizen reports):
    /// smtp://HOST[:PORT] (no TLS, a local relay), smtp://[USER:PASSWORD@]HOST[:PORT]?tls=starttls
    /// or smtps://[USER:PASSWORD@]HOST[:PORT] (implicit TLS); without it they are only logged.
    #[arg(
        long,
        env = "SMTP_URL",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true,
        value_parser = unless_empty(secret_url)
    )]
    pub smtp_url: std::option::Option<SecretUrl>,
    /// The sender of the depot's e-mails.
    #[arg(long, env = "SMTP_FROM", default_value = DEFAULT_SMTP_FROM)]
    pub smtp_from: String,
    /// An address every e-mail is also sent to, hidden from the other recipients (an archive).
    #[arg(long, env = "SMTP_BCC", default_value = "", hide_default_value = true, value_parser = unless_empty(text))]
    pub smtp_bcc: std::option::Option<String>,
    /// Root certificates (a PEM file) trusted besides the public ones, for a relay whose
    /// certificate a private authority signed.
    #[arg(long, env = "SMTP_CA_FILE", default_value = "", hide_default_value = true, value_parser = unless_empty(path))]
    pub smtp_ca_file: std::option::Option<std::path::PathBuf>,
    /// Revisions validated at once (each takes a core and memory in proportion to its file);
    /// more are answered 503 with `Retry-After`.
    #[arg(long = "max-concurrent-computes", env = "MAX_CONCURRENT_COMPUTES", default_value_t = DEFAULT_CONCURRENT_COMPUTES)]
    pub max_concurrent_computes: usize,
    /// Pending habilitations a client may hold for one commune; one more is refused (409)
    /// until one of them is accepted or rejected. 0: no cap.
    #[arg(long = "max-open-habilitations", env = "MAX_OPEN_HABILITATIONS", default_value_t = DEFAULT_OPEN_HABILITATIONS)]
    pub max_open_habilitations: u32,
    /// PIN code checks per minute with one client's token (429 with Retry-After beyond; 0: no
    /// limit).
    #[arg(long = "pin-checks-per-client", env = "PIN_CHECKS_PER_CLIENT", default_value_t = DEFAULT_PIN_CHECKS)]
    pub pin_checks_per_client: u32,
    /// Clients that relay people, by id or fixed id, comma-separated: the web pages' own
    /// (`formulaire-publication`), whose token every visitor of the publication pages uses.
    /// Their PIN code checks per minute (`PIN_CHECKS_PER_CLIENT`) are counted per address
    /// they pass on (the person's), not all together.
    #[arg(long = "relay-clients", env = "RELAY_CLIENTS", default_value = DEFAULT_RELAY_CLIENTS, value_delimiter = ',')]
    pub relay_clients: Vec<String>,
    /// PIN code checks per minute from one client address (429 with Retry-After beyond; 0: no
    /// limit).
    #[arg(long = "pin-checks-per-ip", env = "PIN_CHECKS_PER_IP", default_value_t = DEFAULT_PIN_CHECKS)]
    pub pin_checks_per_ip: u32,
    /// Failed authentications (an unknown client token, a wrong administration token) per
    /// minute from one client address; beyond, 429 with Retry-After instead of 401 (0: no
    /// limit).
    #[arg(long = "auth-failures-per-ip", env = "AUTH_FAILURES_PER_IP", default_value_t = DEFAULT_AUTH_FAILURES)]
    pub auth_failures_per_ip: u32,
    /// Citizen reports per minute from one client address (429 with Retry-After beyond; 0: no
    /// limit).
    #[arg(long = "reports-per-ip", env = "REPORTS_PER_IP", default_value_t = DEFAULT_REPORTS_PER_IP)]
    pub reports_per_ip: u32,
    /// Days a citizen report may stay pending before it expires (0: never).
    #[arg(long = "report-expiry-days", env = "REPORT_EXPIRY_DAYS", default_value_t = DEFAULT_REPORT_EXPIRY_DAYS)]
    pub report_expiry_days: u32,
    /// Pending citizen reports one address may have for one commune; one more is refused
    /// (409) until the commune decides on some (0: no cap).
    #[arg(long = "max-pending-reports-per-ip", env = "MAX_PENDING_REPORTS_PER_IP", default_value_t = DEFAULT_PENDING_REPORTS_PER_IP)]
    pub max_pending_reports_per_ip: u32,
    /// The hour (UTC, 0 to 23) from which the daily digests of the previous day's citizen
    /// reports are sent to the town halls that chose them.
    #[arg(long = "report-digest-hour", env = "REPORT_DIGEST_HOUR", default_value_t = DEFAULT_REPORT_DIGEST_HOUR,
          value_parser = clap::value_parser!(u32).range(0..24))]
    pub report_digest_hour: u32,
    /// The public address of the site (its web pages), for the links of the e-mails: a
    /// commune's page is `{PUBLIC_URL}/commune/{code}`.
    #[arg(long = "public-url", env = "PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL, value_parser = public_url)]
    pub public_url: String,
}

/// Validations at once unless told otherwise.
pub const DEFAULT_CONCURRENT_COMPUTES: usize = 2;
/// Pending habilitations per client and commune unless told otherwise.
pub const DEFAULT_OPEN_HABILITATIONS: u32 = 3;
/// PIN code checks per minute, per client and per address, unless told otherwise: a town
/// hall's agent types a code or two; a platform publishing for thousands of communes checks
/// a few codes a minute.
pub const DEFAULT_PIN_CHECKS: u32 = 30;
/// The clients that relay people unless told otherwise: the fixed id of the web pages' client,
/// as `ban serve` makes it.
pub const DEFAULT_RELAY_CLIENTS: &str = "formulaire-publication";
/// Failed authentications per minute and address unless told otherwise.
pub const DEFAULT_AUTH_FAILURES: u32 = 20;
/// Citizen reports per minute and address unless told otherwise: a resident reports one or
/// two errors; more in a minute from one address is a script.
pub const DEFAULT_REPORTS_PER_IP: u32 = 5;
/// Days a report stays pending unless told otherwise: a year, the rhythm of the slowest town
/// halls' updates.
pub const DEFAULT_REPORT_EXPIRY_DAYS: u32 = 365;

/// Pending reports per address and commune unless told otherwise: a resident has a few
/// errors to report in their commune; dozens waiting from one address are a script.
pub const DEFAULT_PENDING_REPORTS_PER_IP: u32 = 10;
/// The digests' hour unless told otherwise: 6 h UTC, 7 or 8 h in metropolitan France, before
/// the town hall opens.
pub const DEFAULT_REPORT_DIGEST_HOUR: u32 = 6;
/// The site's address unless told otherwise: `ban serve` on this machine.
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";

impl Default for DepotArgs {
    fn default() -> Self {
        DepotArgs {
            admin_token: None,
            smtp_url: None,
            smtp_from: DEFAULT_SMTP_FROM.to_owned(),
            smtp_bcc: None,
            smtp_ca_file: None,
            max_concurrent_computes: DEFAULT_CONCURRENT_COMPUTES,
            max_open_habilitations: DEFAULT_OPEN_HABILITATIONS,
            pin_checks_per_client: DEFAULT_PIN_CHECKS,
            relay_clients: vec![DEFAULT_RELAY_CLIENTS.to_owned()],
            pin_checks_per_ip: DEFAULT_PIN_CHECKS,
            auth_failures_per_ip: DEFAULT_AUTH_FAILURES,
            reports_per_ip: DEFAULT_REPORTS_PER_IP,
            report_expiry_days: DEFAULT_REPORT_EXPIRY_DAYS,
            max_pending_reports_per_ip: DEFAULT_PENDING_REPORTS_PER_IP,
            report_digest_hour: DEFAULT_REPORT_DIGEST_HOUR,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
        }
    }
}

impl DepotArgs {
    /// What the citizen reports' e-mails need: the site's address, the digests' hour.
    pub fn report_mail_settings(&self) -> crate::ReportMailSettings {
        crate::ReportMailSettings {
            public_url: self.public_url.clone(),
            digest_hour: self.report_digest_hour,
        }
    }

    /// How e-mails are sent: through the SMTP relay if there is one, else to the log.
    pub fn mailer(&self) -> Result<Arc<dyn Mailer>, String> {
        Ok(match &self.smtp_url {
            Some(url) => Arc::new(SmtpMailer::new(&SmtpSettings {
                url: url.clone(),
                from: self.smtp_from.clone(),
                bcc: self.smtp_bcc.clone(),
                ca_file: self.smtp_ca_file.clone(),
            })?),
            None => Arc::new(LogMailer),
        })
    }
}

/// An http(s) URL, without its trailing slash.
fn public_url(value: &str) -> Result<String, String> {
    let url = url::Url::parse(value).map_err(|e| format!("{value:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{value:?}: expected http(s)://HOST[:PORT][/PATH]"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn text(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

fn path(value: &str) -> Result<std::path::PathBuf, String> {
    Ok(value.into())
}
