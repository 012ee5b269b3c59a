//! Validating the file of a revision as the submission service does: the rules of the standard,
//! the depot's own checks ([`crate::depot`]), the spatial checks of the positions, and the
//! stored form of the verdict (the production depot's summary plus the line-numbered issues).
//! Pure: no store, no HTTP. The depot runs it off the async runtime; `ban import` calls it
//! the same way, so a file imported and a file published are judged alike.
use std::sync::Arc;

use ban_domain::Level;
use ban_spatial::contours::Contours;
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

use crate::depot::{apply_depot_checks, apply_spatial_checks, DepotContext};
use crate::{FileIssue, Options, Report};

/// The version of the rules, as stored with each validation.
pub const VALIDATOR_VERSION: &str =
    concat!("ban-sync ", env!("CARGO_PKG_VERSION"), " (validateur-bal 3.5.2)");

/// Findings of one code kept in a stored validation (and in memory while computing): the
/// first ones, with the count of all. The real depot stores only the codes; this keeps enough
/// to show a producer where to look, and a file of a million broken rows stays small.
pub const MAX_STORED_FINDINGS_PER_CODE: usize = 100;

/// What computing a file gave.
#[derive(Debug)]
pub struct Computed {
    /// The stored validation, as JSON text.
    pub validation: Box<RawValue>,
    pub valid: bool,
    pub rows_count: i64,
    /// The report, typed; `None` when the file could not be read as text.
    pub report: Option<Report>,
}

/// Validates `bytes` as the file of a revision of `context.commune`: the rules of the
/// standard, the depot's checks, the spatial checks of the positions, then the perimeter of
/// the submitting client (`within_perimeter` false: `commune_insee.out_of_perimeter`).
pub fn compute(bytes: &[u8], context: &DepotContext, within_perimeter: bool) -> Computed {
    let options = Options {
        keep_positions: true,
        max_findings_per_code: Some(MAX_STORED_FINDINGS_PER_CODE),
        ..Options::default()
    };
    let mut report = match crate::validate(bytes, &options) {
        Ok(report) => {
            apply_spatial_checks(apply_depot_checks(report, context), context.commune, Contours::national())
        }
        Err(refusal) => {
            let validation = json!({
                    "valid": false,
                    "validatorVersion": VALIDATOR_VERSION,
                    "errors": ["file.unreadable"],
                    "warnings": [],
                    "infos": [],
                    "rowsCount": 0,
                "message": refusal.to_string(),
            });
            return Computed { validation: raw(&validation), valid: false, rows_count: 0, report: None };
        }
    };
    if !within_perimeter {
        report
            .file_issues
            .push(FileIssue { code: Arc::from("commune_insee.out_of_perimeter"), level: Level::Error });
    }
    Computed {
        validation: to_json(&report),
        valid: report.valid(),
        rows_count: report.rows_count as i64,
        report: Some(report),
    }
}

/// Every finding of `bytes`, the file of a revision of `commune`, handed to `sink` as it is
/// found, none kept: the row findings of the standard (row checks in file order, then the
/// checks across rows), then the spatial ones; or the parse errors. What [`compute`] stores
/// is bounded ([`MAX_STORED_FINDINGS_PER_CODE`] per code); this is the whole detail, with
/// memory for the rows' keys and positions only. The depot's and the perimeter's checks are
/// codes of the whole file, not of rows: they are not repeated here.
pub fn each_finding(
    bytes: &[u8],
    commune: ban_domain::InseeCode,
    sink: crate::FindingSink,
) -> Result<(), crate::Refusal> {
    let options = Options {
        keep_positions: true,
        max_findings_per_code: Some(0),
        on_finding: Some(sink.clone()),
        ..Options::default()
    };
    let mut report = crate::validate(bytes, &options)?;
    for issue in crate::depot::spatial_findings(&mut report, commune, Contours::national()) {
        sink.send(crate::Finding::Row(&issue));
    }
    Ok(())
}

fn raw(value: &impl Serialize) -> Box<RawValue> {
    // Serialising plain data to a string cannot fail; an empty object stands in if it did.
    serde_json::value::to_raw_value(value)
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).unwrap_or_default())
}

/// The stored validation: the production depot's summary (`valid`, `format`, codes by level,
/// `rowsCount`), plus the line-numbered issues: the first [`MAX_STORED_FINDINGS_PER_CODE`] of
/// each code, with the count of each (`issueCounts`) and whether some were left out
/// (`truncated`). Written straight to JSON text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredValidation<'a> {
    valid: bool,
    format: Option<&'static str>,
    validator_version: &'static str,
    errors: Vec<&'a str>,
    warnings: Vec<&'a str>,
    infos: Vec<&'a str>,
    rows_count: usize,
    parse_errors: Vec<StoredParseError<'a>>,
    parse_errors_count: usize,
    issues: StoredIssues<'a>,
    issue_counts: &'a std::collections::BTreeMap<std::sync::Arc<str>, usize>,
    truncated: bool,
}

#[derive(Serialize)]
struct StoredParseError<'a> {
    code: &'a str,
    message: &'a str,
    line: Option<usize>,
}

struct StoredIssues<'a>(&'a [crate::Issue]);

#[derive(Serialize)]
struct StoredIssue<'a> {
    line: u32,
    row: u32,
    field: Option<&'a str>,
    code: &'a str,
    level: Level,
    value: Option<&'a str>,
}

impl Serialize for StoredIssues<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|i| StoredIssue {
            line: i.line,
            row: i.row,
            field: i.field.as_deref(),
            code: &i.code,
            level: i.level,
            value: i.value.as_deref(),
        }))
    }
}

/// The stored validation of a report, as JSON text.
pub fn to_json(report: &Report) -> Box<RawValue> {
    let codes = |level: Level| report.codes_at(level).collect::<Vec<_>>();
    raw(&StoredValidation {
        valid: report.valid(),
        format: report.profile.map(|p| p.name()),
        validator_version: VALIDATOR_VERSION,
        errors: codes(Level::Error),
        warnings: codes(Level::Warning),
        infos: codes(Level::Info),
        rows_count: report.rows_count,
        parse_errors: report
            .parse_errors
            .iter()
            .map(|e| StoredParseError { code: e.code, message: &e.message, line: e.line })
            .collect(),
        parse_errors_count: report.counts.parse_errors,
        issues: StoredIssues(&report.issues),
        issue_counts: &report.counts.per_code,
        truncated: report.truncated(),
    })
}
