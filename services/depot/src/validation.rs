//! Computing a revision: the full validation of its file, plus the depot's own checks
//! (rows of another commune, perimeter of a chef de file, mass deletion). Pure, and run off
//! the async runtime by the caller.
use std::sync::Arc;

use ban_bal::depot::{apply_depot_checks, apply_spatial_checks, DepotContext};
use ban_bal::{Options, Report};
use ban_domain::insee::InvalidInseeCode;
use ban_domain::{InseeCode, Level};
use ban_spatial::contours::Contours;
use ban_store::ids::object_id;
use ban_store::{
    AuthorizationStrategy, Client, ComputedValidation, Perimeter, PerimeterKind, Revision, Store, StoreError,
    StoredFile,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The version of the rules, as stored with each validation.
pub const VALIDATOR_VERSION: &str =
    concat!("ban-sync ", env!("CARGO_PKG_VERSION"), " (validateur-bal 3.5.2)");

/// What computing a file gave.
#[derive(Debug)]
pub struct Computed {
    /// The stored validation, as JSON text.
    pub validation: Box<RawValue>,
    pub valid: bool,
    pub rows_count: i64,
}

/// The stored form of a revision's BAL file: its size and SHA-256.
pub fn bal_file(revision_id: &str, bytes: &[u8], at: DateTime<Utc>) -> StoredFile {
    StoredFile {
        id: object_id(at),
        revision_id: revision_id.to_owned(),
        size: bytes.len() as i64,
        hash: hex::encode(Sha256::digest(bytes)),
        kind: "bal".into(),
        created_at: at,
    }
}

/// Why a revision could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the validation stopped: {0}")]
    Stopped(String),
    /// The revision's commune code, read from the store, is not an INSEE code.
    #[error(transparent)]
    Commune(#[from] InvalidInseeCode),
}

/// Computes `bytes`, the file of the pending `revision` submitted by `client`, off the async
/// runtime (mass deletion measured against the commune's current revision), and stores the
/// validation: the revision as saved, ready when the file is valid.
pub async fn compute_revision(
    store: &dyn Store,
    revision: &Revision,
    client: &Client,
    bytes: Vec<u8>,
) -> Result<Revision, ComputeError> {
    let previous_rows =
        store.current_revision(&revision.code_commune).await?.and_then(|r| r.rows_count).unwrap_or(0);
    let commune = InseeCode::parse(&revision.code_commune)?;
    let client = client.clone();
    let span = tracing::Span::current();
    let computed = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let started = std::time::Instant::now();
        let computed = compute(&bytes, commune, &client, previous_rows.max(0) as usize);
        let verdict = if computed.valid { "valid" } else { "invalid" };
        metrics::histogram!("validation_duration_seconds", "verdict" => verdict)
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("validation_rows_total").increment(computed.rows_count.max(0) as u64);
        computed
    })
    .await
    .map_err(|e| ComputeError::Stopped(e.to_string()))?;
    let saved = ComputedValidation {
        validation: computed.validation,
        is_ready: computed.valid,
        rows_count: computed.rows_count,
    };
    let revision = store.save_validation(&revision.id, saved, Utc::now()).await?;
    tracing::info!(revision = %revision.id, valid = computed.valid, rows = computed.rows_count, "revision computed");
    Ok(revision)
}

/// Validates `bytes` as the file of a revision of `commune` submitted by `client`: the rules
/// of the standard, the depot's checks, then the spatial checks of the positions.
pub fn compute(bytes: &[u8], commune: InseeCode, client: &Client, previous_rows: usize) -> Computed {
    let context = DepotContext { commune, previous_rows };
    let options = Options { keep_positions: true, ..Options::default() };
    let report = match ban_bal::validate(bytes, &options) {
        Ok(report) => {
            apply_spatial_checks(apply_depot_checks(report, &context), commune, Contours::national())
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
            return Computed { validation: raw(&validation), valid: false, rows_count: 0 };
        }
    };
    let report = check_perimeter(report, commune, client);
    let valid = report.valid();
    Computed { validation: to_json(&report), valid, rows_count: report.rows_count as i64 }
}

/// A chef de file publishes only for the communes of its perimeter.
fn check_perimeter(mut report: Report, commune: InseeCode, client: &Client) -> Report {
    if client.authorization_strategy == AuthorizationStrategy::ChefDeFile
        && !client.perimeters.iter().any(|p| in_perimeter(p, commune))
    {
        report.file_issues.push(ban_bal::FileIssue {
            code: Arc::from("commune_insee.out_of_perimeter"),
            level: Level::Error,
        });
    }
    report
}

/// Whether `commune` belongs to a perimeter. An arrondissement belongs to its city's
/// perimeter. EPCI membership is not in the reference data shipped: an `epci` perimeter
/// matches no commune (such partners publish with habilitations, or an operator lists their
/// communes).
pub fn in_perimeter(perimeter: &Perimeter, commune: InseeCode) -> bool {
    match perimeter.kind {
        PerimeterKind::Commune => {
            perimeter.code == commune.as_str() || city_of(commune) == Some(perimeter.code.as_str())
        }
        PerimeterKind::Departement => commune.departement() == perimeter.code,
        PerimeterKind::Epci => false,
    }
}

/// The city of a municipal arrondissement of Paris, Lyon or Marseille.
fn city_of(commune: InseeCode) -> Option<&'static str> {
    let number: u32 = commune.as_str().parse().ok()?;
    match number {
        75101..=75120 => Some("75056"),
        69381..=69389 => Some("69123"),
        13201..=13216 => Some("13055"),
        _ => None,
    }
}

fn raw(value: &impl Serialize) -> Box<RawValue> {
    // Serialising plain data to a string cannot fail; an empty object stands in if it did.
    serde_json::value::to_raw_value(value)
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).unwrap_or_default())
}

/// The stored validation: the production depot's summary (`valid`, `format`, codes by level,
/// `rowsCount`), plus the line-numbered issues. Written straight to JSON text: a report may
/// hold tens of thousands of issues.
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
    issues: StoredIssues<'a>,
}

#[derive(Serialize)]
struct StoredParseError<'a> {
    code: &'a str,
    message: &'a str,
    line: Option<usize>,
}

struct StoredIssues<'a>(&'a [ban_bal::Issue]);

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
        issues: StoredIssues(&report.issues),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> InseeCode {
        InseeCode::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn perimeters_of_departements_and_cities() {
        let paris = Perimeter { kind: PerimeterKind::Commune, code: "75056".into() };
        assert!(in_perimeter(&paris, code("75112")));
        assert!(!in_perimeter(&paris, code("69381")));
        let meurthe = Perimeter { kind: PerimeterKind::Departement, code: "54".into() };
        assert!(in_perimeter(&meurthe, code("54084")));
        assert!(!in_perimeter(&meurthe, code("57001")));
        // 98x communes belong to three-character départements, as the COG files them
        let caledonia = Perimeter { kind: PerimeterKind::Departement, code: "988".into() };
        assert!(in_perimeter(&caledonia, code("98818")));
        let truncated = Perimeter { kind: PerimeterKind::Departement, code: "98".into() };
        assert!(!in_perimeter(&truncated, code("98818")));
    }
}
