//! The downloads service's configuration: its own options ([`DownloadsArgs`]: where the
//! France files are kept), beside the groups every server shares for a downloads process
//! alone (`ban_service_kit::AloneArgs`). Read once at start by the `ban` command, from flags
//! or the environment.
use std::path::PathBuf;

/// The downloads service's own options.
#[derive(Debug, Clone, clap::Args)]
pub struct DownloadsArgs {
    /// Where the France-wide files are kept once built (one per version and format); by
    /// default `ban-sync-exports` in the system's temporary directory.
    #[arg(long, env, value_name = "DIR", default_value = "", hide_default_value = true, value_parser = cache_dir)]
    pub export_cache_dir: PathBuf,
}

impl Default for DownloadsArgs {
    fn default() -> Self {
        DownloadsArgs { export_cache_dir: default_cache_dir() }
    }
}

/// `ban-sync-exports` in the system's temporary directory.
pub fn default_cache_dir() -> PathBuf {
    std::env::temp_dir().join("ban-sync-exports")
}

/// A directory; empty for the default.
fn cache_dir(value: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(if value.is_empty() { default_cache_dir() } else { PathBuf::from(value) })
}
