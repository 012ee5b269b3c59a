//! The geocoder's configuration: its own options ([`GeocoderArgs`]: how it follows the feed,
//! what it indexes), beside the groups every server shares for a geocoder process alone
//! (`ban_service_kit::AloneArgs`). Read once at start by the `ban` command, from flags or the
//! environment.
use std::path::PathBuf;
use std::time::Duration;

/// How often the feed is read when it has nothing new, unless told otherwise.
pub const DEFAULT_POLL: Duration = Duration::from_millis(100);
/// The largest file `/search/csv/` and `/reverse/csv/` take, unless told otherwise: 1 GiB,
/// about 10 million rows of addresses (larger files go to the batch jobs).
pub const DEFAULT_CSV_MAX_BYTES: u64 = 1 << 30;
/// The largest file of a batch job, unless told otherwise: 20 GiB.
pub const DEFAULT_JOB_MAX_BYTES: u64 = 20 << 30;
/// How long a finished batch job's result is kept, unless told otherwise.
pub const DEFAULT_JOB_TTL_HOURS: u64 = 24;
/// The most batch jobs waiting their turn, unless told otherwise.
pub const DEFAULT_MAX_QUEUED_JOBS: usize = 20;

/// The geocoder's own options (also read by `ban geocode`, which builds the same index).
#[derive(Debug, Clone, clap::Args)]
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
    /// The largest CSV file (bytes) that `/search/csv/` and `/reverse/csv/` take; larger ones
    /// are refused 413 (give them to a batch job).
    #[arg(long = "geocoder-csv-max-bytes", env = "GEOCODER_CSV_MAX_BYTES", value_name = "BYTES", default_value_t = DEFAULT_CSV_MAX_BYTES)]
    pub csv_max_bytes: u64,
    /// The largest CSV file (bytes) of a batch job.
    #[arg(long = "geocoder-job-max-bytes", env = "GEOCODER_JOB_MAX_BYTES", value_name = "BYTES", default_value_t = DEFAULT_JOB_MAX_BYTES)]
    pub job_max_bytes: u64,
    /// How long (hours) a finished batch job and its result are kept.
    #[arg(long = "geocoder-job-ttl-hours", env = "GEOCODER_JOB_TTL_HOURS", value_name = "HOURS", default_value_t = DEFAULT_JOB_TTL_HOURS)]
    pub job_ttl_hours: u64,
    /// The most batch jobs waiting their turn: beyond, a new one is refused (503, Retry-After)
    /// before its file is read, so that the queue and the disk stay bounded.
    #[arg(long = "geocoder-max-queued-jobs", env = "GEOCODER_MAX_QUEUED_JOBS", value_name = "JOBS", default_value_t = DEFAULT_MAX_QUEUED_JOBS)]
    pub max_queued_jobs: usize,
    /// Where the CSV files being geocoded and the batch jobs are kept, the jobs outliving a
    /// restart there; one process's own (locked while it runs). By default a directory of the
    /// system's temporary directory made for the process, removed when it stops.
    #[arg(long = "geocoder-files-dir", env = "GEOCODER_FILES_DIR", value_name = "DIR", value_parser = files_dir)]
    pub files_dir: Option<PathBuf>,
}

impl Default for GeocoderArgs {
    fn default() -> Self {
        GeocoderArgs {
            poll: DEFAULT_POLL,
            empty_communes: true,
            csv_max_bytes: DEFAULT_CSV_MAX_BYTES,
            job_max_bytes: DEFAULT_JOB_MAX_BYTES,
            job_ttl_hours: DEFAULT_JOB_TTL_HOURS,
            max_queued_jobs: DEFAULT_MAX_QUEUED_JOBS,
            files_dir: None,
        }
    }
}

impl GeocoderArgs {
    /// The directory of the uploads and the batch jobs given, if any (`GEOCODER_FILES_DIR=`
    /// gives none).
    pub fn files_dir(&self) -> Option<PathBuf> {
        self.files_dir.clone().filter(|dir| !dir.as_os_str().is_empty())
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

/// A directory, or none when empty (`GEOCODER_FILES_DIR=` as in deploy/env.sample).
fn files_dir(value: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(value.trim()))
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
        let given = |dir: &str| GeocoderArgs { files_dir: files_dir(dir).ok(), ..GeocoderArgs::default() };
        assert_eq!(given("").files_dir(), None);
        assert_eq!(given("/var/lib/ban/geocoder").files_dir(), Some(PathBuf::from("/var/lib/ban/geocoder")));
    }
}
