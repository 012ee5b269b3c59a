//! The web service's options (`ban web`, and `ban serve`).

/// Options of the web pages and of `POST /api/validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct WebArgs {
    /// Files validated at once by the validator page and `POST /api/validate` (each holds its
    /// file, up to 50 MB, in memory); past that, 503 with Retry-After.
    #[arg(
        long = "web-max-concurrent-validations",
        env = "WEB_MAX_CONCURRENT_VALIDATIONS",
        default_value_t = 2
    )]
    pub max_concurrent_validations: usize,
}

impl Default for WebArgs {
    fn default() -> Self {
        WebArgs { max_concurrent_validations: 2 }
    }
}
