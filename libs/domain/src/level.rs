//! Severity of a validation finding.
use serde::{Deserialize, Serialize};

/// How serious a finding is under a given profile: an error blocks publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "E")]
    Error,
    #[serde(rename = "W")]
    Warning,
    #[serde(rename = "I")]
    Info,
}

impl Level {
    /// The one-letter form used in reports: `E`, `W` or `I`.
    pub fn letter(self) -> &'static str {
        match self {
            Level::Error => "E",
            Level::Warning => "W",
            Level::Info => "I",
        }
    }

    /// The word used in human output.
    pub fn word(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        }
    }
}
