//! The web service's options (`ban web`, and `ban serve`).
use std::path::PathBuf;

use ban_service_kit::config::{secret, unless_empty};
use secrecy::SecretString;

/// Options of the web pages, the map and `POST /api/validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct WebArgs {
    /// Files validated at once by the validator page and `POST /api/validate` (each holds its
    /// file, up to 50 MB, in memory); past that, 503 with Retry-After.
    #[arg(
        long = "web-max-concurrent-validations",
        env = "WEB_MAX_CONCURRENT_VALIDATIONS",
        default_value_t = 2
    )]
    pub max_concurrent_validations: usize,
    // The optional settings are spelled `std::option::Option` so that clap reads an empty
    // variable as none (through `unless_empty`), as the depot's settings do.
    /// The depot the publication pages call (`ban web` alone): its base URL, e.g.
    /// http://depot:8080/api-depot. `ban serve` calls its own depot in process.
    #[arg(long = "web-depot-url", env = "WEB_DEPOT_URL", default_value = "", hide_default_value = true, value_parser = unless_empty(text))]
    pub depot_url: std::option::Option<String>,
    /// The token of the web's own client of the depot (a habilitation client: `ban client
    /// create --name "Pages web BAN Sync"`). Required with WEB_DEPOT_URL; `ban serve` creates
    /// its client at start when this is not given.
    #[arg(
        long = "web-depot-token",
        env = "WEB_DEPOT_TOKEN",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true,
        value_parser = unless_empty(secret)
    )]
    pub depot_token: std::option::Option<SecretString>,
    /// The geocoder the publication's status page asks whether a publication is searchable
    /// (`ban web` alone), e.g. http://geocoder:8080. `ban serve` asks its own.
    #[arg(long = "web-geocoder-url", env = "WEB_GEOCODER_URL", default_value = "", hide_default_value = true, value_parser = unless_empty(text))]
    pub geocoder_url: std::option::Option<String>,
    /// Where the downloads service keeps the France files, read by the downloads page for
    /// their size and date: the downloads service's `EXPORT_CACHE_DIR` (given by
    /// [`WebAloneArgs`] to `ban web`, by the downloads options to `ban serve`).
    #[arg(skip = ban_downloads::config::default_cache_dir())]
    pub export_cache_dir: PathBuf,
    /// Objects (addresses and toponyms) of the communes kept in memory for the commune pages
    /// and the map tiles (the least recently used communes are dropped past it; about 500
    /// bytes each).
    #[arg(long = "web-cache-objects", env = "WEB_CACHE_OBJECTS", default_value_t = 500_000)]
    pub cache_objects: usize,
    /// Megabytes of encoded map tiles kept in memory (each with the versions it shows).
    #[arg(long = "web-tile-cache-mb", env = "WEB_TILE_CACHE_MB", default_value_t = 64)]
    pub tile_cache_mb: usize,
    /// URL of a MapLibre style drawn under the addresses on the maps (IGN Plan, OpenMapTiles…);
    /// without it the maps draw the commune contours on a plain background, which needs
    /// nothing outside BAN Sync.
    #[arg(
        long = "web-basemap-style",
        env = "WEB_BASEMAP_STYLE",
        default_value = "",
        hide_default_value = true,
        value_parser = unless_empty(text)
    )]
    pub basemap_style: std::option::Option<String>,
}

fn text(value: &str) -> Result<String, std::convert::Infallible> {
    Ok(value.to_owned())
}

impl Default for WebArgs {
    fn default() -> Self {
        WebArgs {
            max_concurrent_validations: 2,
            depot_url: None,
            depot_token: None,
            geocoder_url: None,
            export_cache_dir: ban_downloads::config::default_cache_dir(),
            cache_objects: 500_000,
            tile_cache_mb: 64,
            basemap_style: None,
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
