//! The outcome of validating a file: findings as data, and the verdict.
use std::sync::Arc;

use ban_domain::Level;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

use crate::profile::Profile;

/// One finding on one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// 0-based index of the data row (blank lines and the header not counted).
    pub row: u32,
    /// 1-based line of the file where the row starts.
    pub line: u32,
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

/// What a validation found, whether or not the findings were kept in the report (see
/// [`Options::max_findings_per_code`](crate::Options)): row findings per code (`per_code`),
/// parse errors (`parse_errors`), the file lines of the rows with an error-level finding,
/// sorted (`error_lines`: what `ban import --drop-invalid-rows` leaves out), and the cap
/// on findings kept per code, if any (`cap`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingCounts {
    pub per_code: std::collections::BTreeMap<Arc<str>, usize>,
    pub parse_errors: usize,
    pub error_lines: Vec<u32>,
    pub cap: Option<usize>,
}

/// The validation report of one file. Its verdict is not stored: [`Report::valid`] computes
/// it from the findings, so adding a finding can never leave a stale verdict behind.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
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
    /// Why the rows could not be cut: the first ones, when a cap applies.
    pub parse_errors: Vec<ParseError>,
    /// Data rows read.
    pub rows_count: usize,
    /// Distinct commune codes of the rows (`commune_insee`, else the key's commune).
    pub communes: Vec<String>,
    /// Every code found, with its level under the profile (file, column and row codes).
    pub file_issues: Vec<FileIssue>,
    /// Row findings, by row: every one, or the first of each code when a cap applies.
    pub issues: Vec<Issue>,
    /// What was found, kept or not.
    pub counts: FindingCounts,
    /// Validity under every profile, ignoring which columns each format has.
    pub profiles_valid: Vec<(Profile, bool)>,
    /// Each row's position and address keys, when [`Options::keep_positions`](crate::Options)
    /// asked for them (empty otherwise).
    pub positions: Vec<ban_spatial::checks::Position>,
}

impl Report {
    /// The verdict, the one rule for it: the rows could be read and no code of the file has
    /// the level error (under the profile, plus the depot's and the spatial checks once they
    /// are added to [`Report::file_issues`]).
    pub fn valid(&self) -> bool {
        self.parsed && !self.file_issues.iter().any(|i| i.level == Level::Error)
    }

    /// Codes of the file at `level`.
    pub fn codes_at(&self, level: Level) -> impl Iterator<Item = &str> {
        self.file_issues.iter().filter(move |i| i.level == level).map(|i| &*i.code)
    }

    /// Whether findings were counted but not kept (a cap applied).
    pub fn truncated(&self) -> bool {
        self.counts.per_code.values().sum::<usize>() > self.issues.len()
            || self.counts.parse_errors > self.parse_errors.len()
    }

    /// Adds row findings found after the validation (the spatial checks), counted and kept
    /// within the report's cap like the others.
    pub fn add_issues(&mut self, issues: impl IntoIterator<Item = Issue>) {
        let cap = self.counts.cap.unwrap_or(usize::MAX);
        let mut kept: std::collections::HashMap<Arc<str>, usize> = std::collections::HashMap::new();
        for issue in &self.issues {
            *kept.entry(issue.code.clone()).or_default() += 1;
        }
        for issue in issues {
            *self.counts.per_code.entry(issue.code.clone()).or_default() += 1;
            if issue.level == Level::Error {
                self.counts.error_lines.push(issue.line);
            }
            let kept = kept.entry(issue.code.clone()).or_default();
            if *kept < cap {
                *kept += 1;
                self.issues.push(issue);
            }
        }
        self.issues.sort_by_key(|i| i.row);
        self.counts.error_lines.sort_unstable();
        self.counts.error_lines.dedup();
    }

    /// Rows with at least one finding (among those kept).
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

    /// Count of findings at `level`, kept or not.
    pub fn count(&self, level: Level) -> usize {
        let level_of = |code: &str| self.file_issues.iter().find(|i| &*i.code == code).map(|i| i.level);
        self.counts.per_code.iter().filter(|(code, _)| level_of(code) == Some(level)).map(|(_, n)| n).sum()
    }

    /// The report in the shape of the reference validator's JSON front end (keys `valid`,
    /// `profile`, `errors`/`warnings`/`infos`, `rowsCount`, `rows: [{line, errors}]` with
    /// `line` the 0-based data row), plus `fileLine` and the values, so both can be compared
    /// file by file. Serialised as it is written: nothing is built in memory.
    pub fn reference_view(&self) -> ReferenceView<'_> {
        ReferenceView(self)
    }

    /// [`Report::reference_view`] as a JSON value.
    pub fn to_reference_json(&self) -> Json {
        serde_json::to_value(self.reference_view()).unwrap_or(Json::Null)
    }
}

/// The report's fields in declaration order, the verdict first (as the field it once was),
/// positions left out.
impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Report", 14)?;
        st.serialize_field("valid", &self.valid())?;
        st.serialize_field("profile", &self.profile)?;
        st.serialize_field("parsed", &self.parsed)?;
        st.serialize_field("encoding", self.encoding)?;
        st.serialize_field("linebreak", self.linebreak)?;
        st.serialize_field("delimiter", &self.delimiter)?;
        st.serialize_field("columns", &self.columns)?;
        st.serialize_field("missing_fields", &self.missing_fields)?;
        st.serialize_field("parse_errors", &self.parse_errors)?;
        st.serialize_field("rows_count", &self.rows_count)?;
        st.serialize_field("communes", &self.communes)?;
        st.serialize_field("file_issues", &self.file_issues)?;
        st.serialize_field("issues", &self.issues)?;
        st.serialize_field("profiles_valid", &self.profiles_valid)?;
        st.skip_field("positions")?;
        st.end()
    }
}

/// The reference-compatible JSON shape of a report; see [`Report::reference_view`].
#[derive(Debug, Clone, Copy)]
pub struct ReferenceView<'a>(&'a Report);

struct Codes<'a>(&'a Report, Level);

impl Serialize for Codes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.codes_at(self.1))
    }
}

struct Rows<'a>(&'a [Issue]);

#[derive(Serialize)]
struct RowEntry<'a> {
    line: u32,
    #[serde(rename = "fileLine")]
    file_line: u32,
    errors: Vec<RowError<'a>>,
}

#[derive(Serialize)]
struct RowError<'a> {
    code: &'a str,
    level: Level,
    #[serde(rename = "schemaName")]
    schema_name: Option<&'a str>,
    value: Option<&'a str>,
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for group in self.0.chunk_by(|a, b| a.row == b.row) {
            let errors = group
                .iter()
                .map(|i| RowError {
                    code: &i.code,
                    level: i.level,
                    schema_name: i.field.as_deref(),
                    value: i.value.as_deref(),
                })
                .collect();
            seq.serialize_element(&RowEntry { line: group[0].row, file_line: group[0].line, errors })?;
        }
        seq.end()
    }
}

struct ProfilesValid<'a>(&'a [(Profile, bool)]);

impl Serialize for ProfilesValid<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(p, ok)| (p.name(), ok)))
    }
}

impl Serialize for ReferenceView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("valid", &r.valid())?;
        map.serialize_entry("profile", &r.profile)?;
        map.serialize_entry("parseOk", &r.parsed)?;
        map.serialize_entry("encoding", r.encoding)?;
        map.serialize_entry("linebreak", r.linebreak)?;
        map.serialize_entry("delimiter", &r.delimiter)?;
        map.serialize_entry("errors", &Codes(r, Level::Error))?;
        map.serialize_entry("warnings", &Codes(r, Level::Warning))?;
        map.serialize_entry("infos", &Codes(r, Level::Info))?;
        map.serialize_entry("rowsCount", &r.rows_count)?;
        map.serialize_entry("rowsWithIssues", &r.rows_with_issues())?;
        if !r.parse_errors.is_empty() {
            map.serialize_entry("parseErrors", &r.parse_errors)?;
        }
        if r.parsed {
            map.serialize_entry("fields", &r.columns)?;
            map.serialize_entry("notFoundFields", &r.missing_fields)?;
            map.serialize_entry("profilesValidation", &ProfilesValid(&r.profiles_valid))?;
        }
        map.serialize_entry("rows", &Rows(&r.issues))?;
        map.end()
    }
}
