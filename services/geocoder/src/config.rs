//! The geocoder's configuration: its own options ([`GeocoderArgs`]: how it follows the feed,
//! what it indexes), beside the groups every server shares for a geocoder process alone
//! (`ban_service_kit::AloneArgs`). Read once at start by the `ban` command, from flags or the
//! environment.
use std::time::Duration;

/// How often the feed is read when it has nothing new, unless told otherwise.
pub const DEFAULT_POLL: Duration = Duration::from_millis(100);

/// The geocoder's own options (also read by `ban geocode`, which builds the same index).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct GeocoderArgs {
    /// How often (milliseconds, 10 to 60,000) the change feed is read when it has nothing new.
    #[arg(
        long = "geocoder-poll-ms",
        env = "GEOCODER_POLL_MS",
        value_name = "MS",
        default_value = "100",
        value_parser = poll_interval
    )]
    pub poll: Duration,
    /// `true` indexes every commune of a covered département by its name, even without
    /// addresses; `false` (or `0`) only the communes of the base.
    #[arg(
        long = "geocoder-empty-communes",
        env = "GEOCODER_EMPTY_COMMUNES",
        value_name = "BOOL",
        default_value = "true",
        value_parser = empty_communes,
        action = clap::ArgAction::Set
    )]
    pub empty_communes: bool,
}

impl Default for GeocoderArgs {
    fn default() -> Self {
        GeocoderArgs { poll: DEFAULT_POLL, empty_communes: true }
    }
}

/// Milliseconds, kept within 10 ms and a minute; empty for the default.
fn poll_interval(value: &str) -> Result<Duration, String> {
    match value.trim() {
        "" => Ok(DEFAULT_POLL),
        value => value
            .parse::<u64>()
            .map(|ms| Duration::from_millis(ms.clamp(10, 60_000)))
            .map_err(|_| format!("{value:?}: expected milliseconds")),
    }
}

/// Only `false` and `0` turn it off.
fn empty_communes(value: &str) -> Result<bool, std::convert::Infallible> {
    Ok(value != "false" && value != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_documented() {
        assert_eq!(poll_interval(""), Ok(DEFAULT_POLL));
        assert_eq!(poll_interval("250"), Ok(Duration::from_millis(250)));
        assert_eq!(poll_interval("1"), Ok(Duration::from_millis(10)));
        assert_eq!(poll_interval("999999"), Ok(Duration::from_secs(60)));
        assert!(poll_interval("soon").is_err());
        assert_eq!(empty_communes("false"), Ok(false));
        assert_eq!(empty_communes("0"), Ok(false));
        assert_eq!(empty_communes("true"), Ok(true));
        assert_eq!(empty_communes(""), Ok(true));
    }
}
