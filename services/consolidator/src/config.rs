//! The consolidator's configuration: its own options ([`ConsolidatorArgs`]: the lease of a
//! job) and, for a consolidator process alone, the groups every server shares
//! ([`ConsolidatorConfig`]: it serves health and metrics). Read once at start by the `ban`
//! command, from flags or the environment.
use std::time::Duration;

use ban_service_kit::ServerArgs;

/// How long a claimed job stays with its worker unless told otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);

/// The consolidator's own options.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ConsolidatorArgs {
    /// How long (seconds) a consolidation job stays with its worker: if the process dies,
    /// another takes the job over after that.
    #[arg(
        long = "consolidator-lease-secs",
        env = "CONSOLIDATOR_LEASE_SECS",
        value_name = "SECS",
        default_value = "120",
        value_parser = seconds
    )]
    pub lease: Duration,
}

impl Default for ConsolidatorArgs {
    fn default() -> Self {
        ConsolidatorArgs { lease: DEFAULT_LEASE }
    }
}

fn seconds(value: &str) -> Result<Duration, String> {
    value.parse().map(Duration::from_secs).map_err(|_| format!("{value:?}: expected seconds"))
}

/// A consolidator process alone (`ban consolidator`).
#[derive(Debug, Clone, clap::Args)]
pub struct ConsolidatorConfig {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub consolidator: ConsolidatorArgs,
}
