//! The outcome of validating a file: findings as data, and the verdict.
use std::sync::Arc;

use ban_domain::Level;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::profile::Profile;

/// One finding on one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// 0-based index of the data row (blank lines and the header not counted).
    pub row: usize,
    /// 1-based line of the file where the row starts.
    pub line: usize,
    /// The column, for findings on a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Arc<str>>,
    pub code: Arc<str>,
    pub level: Level,
    /// The offending value as written, for findings on a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Box<str>>,
}

/// A code found somewhere in the file, with its level under the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileIssue {
    pub code: Arc<str>,
    pub level: Level,
}

/// Why the rows could not be cut (then nothing else is checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    /// `TooFewFields`, `TooManyFields`, `MissingQuotes` or `UndetectableDelimiter`.
    pub code: &'static str,
    pub message: String,
    /// 0-based data row, where it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// 1-based file line, where it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// A column of the file and what it was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    /// The BAL field, when recognised.
    pub field: Option<&'static str>,
    /// The regional language of a localized column (`bre` for `voie_nom_bre`).
    pub locale: Option<&'static str>,
}

/// The validation report of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// No finding of level error under the profile (and the rows could be read).
    pub valid: bool,
    /// The profile applied: forced, or detected from the columns. `None` when unreadable.
    pub profile: Option<Profile>,
    /// Whether rows could be cut at all.
    pub parsed: bool,
    pub encoding: &'static str,
    pub linebreak: &'static str,
    pub delimiter: Option<char>,
    pub columns: Vec<Column>,
    /// BAL fields with no column, with the level of their absence.
    pub missing_fields: Vec<FileIssue>,
    pub parse_errors: Vec<ParseError>,
    /// Data rows read.
    pub rows_count: usize,
    /// Distinct commune codes of the rows (`commune_insee`, else the key's commune).
    pub communes: Vec<String>,
    /// Every code found, with its level under the profile (file, column and row codes).
    pub file_issues: Vec<FileIssue>,
    /// Row findings, by row.
    pub issues: Vec<Issue>,
    /// Validity under every profile, ignoring which columns each format has.
    pub profiles_valid: Vec<(Profile, bool)>,
}

impl Report {
    /// Codes of the file at `level`.
    pub fn codes_at(&self, level: Level) -> impl Iterator<Item = &str> {
        self.file_issues.iter().filter(move |i| i.level == level).map(|i| &*i.code)
    }

    /// Rows with at least one finding.
    pub fn rows_with_issues(&self) -> usize {
        let mut count = 0;
        let mut last = None;
        for issue in &self.issues {
            if last != Some(issue.row) {
                count += 1;
                last = Some(issue.row);
            }
        }
        count
    }

    /// Count of findings at `level`.
    pub fn count(&self, level: Level) -> usize {
        self.issues.iter().filter(|i| i.level == level).count()
    }

    /// The report in the shape of the reference validator's JSON front end (keys `valid`,
    /// `profile`, `errors`/`warnings`/`infos`, `rowsCount`, `rows: [{line, errors}]` with
    /// `line` the 0-based data row), plus `fileLine` and the values, so both can be compared
    /// file by file.
    pub fn to_reference_json(&self) -> Json {
        let codes = |level| self.codes_at(level).collect::<Vec<_>>();
        let mut rows: Vec<Json> = Vec::new();
        let mut current: Option<(usize, usize, Vec<Json>)> = None;
        for issue in &self.issues {
            if current.as_ref().is_some_and(|(row, _, _)| *row != issue.row) {
                if let Some((row, line, errors)) = current.take() {
                    rows.push(json!({"line": row, "fileLine": line, "errors": errors}));
                }
            }
            let entry = current.get_or_insert_with(|| (issue.row, issue.line, Vec::new()));
            entry.2.push(json!({
                "code": issue.code,
                "level": issue.level,
                "schemaName": issue.field,
                "value": issue.value,
            }));
        }
        if let Some((row, line, errors)) = current {
            rows.push(json!({"line": row, "fileLine": line, "errors": errors}));
        }
        let mut out = json!({
            "valid": self.valid,
            "profile": self.profile,
            "parseOk": self.parsed,
            "encoding": self.encoding,
            "linebreak": self.linebreak,
            "delimiter": self.delimiter.map(String::from),
            "errors": codes(Level::Error),
            "warnings": codes(Level::Warning),
            "infos": codes(Level::Info),
            "rowsCount": self.rows_count,
            "rowsWithIssues": self.rows_with_issues(),
            "rows": rows,
        });
        if !self.parse_errors.is_empty() {
            out["parseErrors"] = json!(self.parse_errors);
        }
        if self.parsed {
            out["fields"] = json!(self.columns);
            out["notFoundFields"] = json!(self.missing_fields);
            out["profilesValidation"] =
                self.profiles_valid.iter().map(|(p, ok)| (p.name().to_owned(), json!(ok))).collect();
        }
        out
    }
}
