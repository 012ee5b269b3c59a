//! The depot's configuration: its own options ([`DepotArgs`]: the administrators' token, the
//! SMTP relay of PIN codes), beside the groups every server shares for a depot process alone
//! (`ban_service_kit::AloneArgs`). Read once at start by the `ban` command, from flags or the
//! environment.
use std::sync::Arc;

use ban_service_kit::config::{secret, secret_url, unless_empty};
use ban_service_kit::SecretUrl;
use secrecy::SecretString;

use crate::{LogMailer, Mailer, SmtpMailer};

/// The sender of PIN codes unless told otherwise.
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
    /// The SMTP relay that sends PIN codes to town halls (smtp://HOST[:PORT], no TLS: a local
    /// relay); without it codes are only logged.
    #[arg(
        long,
        env = "SMTP_URL",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true,
        value_parser = unless_empty(secret_url)
    )]
    pub smtp_url: std::option::Option<SecretUrl>,
    /// The sender of PIN codes.
    #[arg(long, env = "SMTP_FROM", default_value = DEFAULT_SMTP_FROM)]
    pub smtp_from: String,
    /// Revisions validated at once (each takes a core and memory in proportion to its file);
    /// more are answered 503 with `Retry-After`.
    #[arg(long = "max-concurrent-computes", env = "MAX_CONCURRENT_COMPUTES", default_value_t = DEFAULT_CONCURRENT_COMPUTES)]
    pub max_concurrent_computes: usize,
}

/// Validations at once unless told otherwise.
pub const DEFAULT_CONCURRENT_COMPUTES: usize = 2;

impl Default for DepotArgs {
    fn default() -> Self {
        DepotArgs {
            admin_token: None,
            smtp_url: None,
            smtp_from: DEFAULT_SMTP_FROM.to_owned(),
            max_concurrent_computes: DEFAULT_CONCURRENT_COMPUTES,
        }
    }
}

impl DepotArgs {
    /// How PIN codes are sent: through the SMTP relay if there is one, else to the log.
    pub fn mailer(&self) -> Result<Arc<dyn Mailer>, String> {
        Ok(match &self.smtp_url {
            Some(url) => Arc::new(SmtpMailer::new(url, &self.smtp_from)?),
            None => Arc::new(LogMailer),
        })
    }
}
