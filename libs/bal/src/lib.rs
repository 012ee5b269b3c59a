//! Base Adresse Locale (BAL) files: reading them as the reference validator does, checking
//! every rule of the standard, and reporting the findings as data.
//!
//! ```text
//! bytes ─read─▶ header + rows ─fields─▶ values ─row rules─▶ issues ─rows rules─▶ Report
//! ```
//! Findings are data ([`Issue`]): a stable dotted code, the level the profile gives it, the
//! row and column where it was found. Labels for humans live apart, in [`labels`].
mod check;
pub mod cog;
pub mod depot;
pub mod fields;
pub mod findings;
pub mod labels;
pub mod normalize;
pub mod profile;
pub mod read;
pub mod records;
pub mod report;
pub mod revision;
pub mod rows;
pub mod schema;
pub mod validate;

pub use cog::Cog;
pub use findings::{Finding, FindingSink};
pub use profile::Profile;
pub use report::{FileIssue, FindingCounts, Issue, ParseError, Report};
pub use validate::{validate, validate_file, Options, Refusal};
