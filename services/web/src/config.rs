//! The web service's options (`ban web`, and `ban serve`).
use ban_service_kit::config::unless_empty;

/// Options of the web pages, the map and `POST /api/validate`.
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

impl Default for WebArgs {
    fn default() -> Self {
        WebArgs {
            max_concurrent_validations: 2,
            cache_objects: 500_000,
            tile_cache_mb: 64,
            basemap_style: None,
        }
    }
}

fn text(value: &str) -> Result<String, std::convert::Infallible> {
    Ok(value.to_owned())
}
