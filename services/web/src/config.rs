//! The web service's options (`ban web`, and `ban serve`).
use std::path::PathBuf;

/// Options of the web pages and of `POST /api/validate`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct WebArgs {
    /// Files validated at once by the validator page and `POST /api/validate` (each holds its
    /// file, up to 50 MB, in memory); past that, 503 with Retry-After.
    #[arg(
        long = "web-max-concurrent-validations",
        env = "WEB_MAX_CONCURRENT_VALIDATIONS",
        default_value_t = 2
    )]
    pub max_concurrent_validations: usize,
    /// Where the downloads service keeps the France files, read by the downloads page for
    /// their size and date: the downloads service's `EXPORT_CACHE_DIR` (given by
    /// [`WebAloneArgs`] to `ban web`, by the downloads options to `ban serve`).
    #[arg(skip = ban_downloads::config::default_cache_dir())]
    pub export_cache_dir: PathBuf,
}

impl Default for WebArgs {
    fn default() -> Self {
        WebArgs {
            max_concurrent_validations: 2,
            export_cache_dir: ban_downloads::config::default_cache_dir(),
        }
    }
}

/// The options of `ban web`: the web's own, and where the downloads service keeps the France
/// files (`--export-cache-dir`, `EXPORT_CACHE_DIR`, the same option as `ban downloads`).
#[derive(Debug, Clone, clap::Args)]
pub struct WebAloneArgs {
    #[command(flatten)]
    pub web: WebArgs,
    #[command(flatten)]
    pub downloads: ban_downloads::DownloadsArgs,
}

impl WebAloneArgs {
    /// The web's options, with the downloads' directory.
    pub fn into_web(self) -> WebArgs {
        WebArgs { export_cache_dir: self.downloads.export_cache_dir, ..self.web }
    }
}
