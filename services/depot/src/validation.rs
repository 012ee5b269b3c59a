//! Computing a revision: the full validation of its file, plus the depot's own checks
//! (rows of another commune, perimeter of a chef de file, mass deletion). Pure, and run off
//! the async runtime by the caller.
use std::sync::Arc;

use ban_bal::depot::{apply_depot_checks, DepotContext};
use ban_bal::{Options, Report};
use ban_domain::Level;
use ban_store::{AuthorizationStrategy, Client, Perimeter, PerimeterKind};
use serde_json::{json, Value as Json};

/// The version of the rules, as stored with each validation.
pub const VALIDATOR_VERSION: &str =
    concat!("ban-sync ", env!("CARGO_PKG_VERSION"), " (validateur-bal 3.5.2)");

/// What computing a file gave.
#[derive(Debug)]
pub struct Computed {
    pub validation: Json,
    pub valid: bool,
    pub rows_count: i64,
}

/// Validates `bytes` as the file of a revision of `commune` submitted by `client`.
pub fn compute(bytes: &[u8], commune: &str, client: &Client, previous_rows: usize) -> Computed {
    let context = DepotContext { commune: commune.to_owned(), previous_rows };
    let report = match ban_bal::validate(bytes, &Options::default()) {
        Ok(report) => apply_depot_checks(report, &context),
        Err(refusal) => {
            return Computed {
                validation: json!({
                    "valid": false,
                    "validatorVersion": VALIDATOR_VERSION,
                    "errors": ["file.unreadable"],
                    "warnings": [],
                    "infos": [],
                    "rowsCount": 0,
                    "message": refusal.to_string(),
                }),
                valid: false,
                rows_count: 0,
            };
        }
    };
    let report = check_perimeter(report, commune, client);
    let valid = report.valid;
    Computed { validation: to_json(&report), valid, rows_count: report.rows_count as i64 }
}

/// A chef de file publishes only for the communes of its perimeter.
fn check_perimeter(mut report: Report, commune: &str, client: &Client) -> Report {
    if client.authorization_strategy == AuthorizationStrategy::ChefDeFile
        && !client.perimeters.iter().any(|p| in_perimeter(p, commune))
    {
        report.file_issues.push(ban_bal::FileIssue {
            code: Arc::from("commune_insee.out_of_perimeter"),
            level: Level::Error,
        });
        report.valid = false;
    }
    report
}

/// Whether `commune` belongs to a perimeter. An arrondissement belongs to its city's
/// perimeter. EPCI membership is not in the reference data shipped: an `epci` perimeter
/// matches no commune (such partners publish with habilitations, or an operator lists their
/// communes).
pub fn in_perimeter(perimeter: &Perimeter, commune: &str) -> bool {
    match perimeter.kind {
        PerimeterKind::Commune => {
            perimeter.code == commune || city_of(commune) == Some(perimeter.code.as_str())
        }
        PerimeterKind::Departement => departement_of(commune) == perimeter.code,
        PerimeterKind::Epci => false,
    }
}

/// The city of a municipal arrondissement of Paris, Lyon or Marseille.
fn city_of(commune: &str) -> Option<&'static str> {
    let number: u32 = commune.parse().ok()?;
    match number {
        75101..=75120 => Some("75056"),
        69381..=69389 => Some("69123"),
        13201..=13216 => Some("13055"),
        _ => None,
    }
}

/// `54` for `54084`, `971` for `97105`, `2A` for `2A004`.
pub fn departement_of(commune: &str) -> &str {
    let length = if commune.starts_with("97") { 3 } else { 2 };
    commune.get(..length).unwrap_or(commune)
}

/// The stored validation: the production depot's summary (`valid`, `format`, codes by level,
/// `rowsCount`), plus the line-numbered issues.
pub fn to_json(report: &Report) -> Json {
    let codes = |level: Level| report.codes_at(level).collect::<Vec<_>>();
    let issues: Vec<Json> = report
        .issues
        .iter()
        .map(|i| {
            json!({
                "line": i.line,
                "row": i.row,
                "field": i.field.as_deref(),
                "code": &*i.code,
                "level": i.level,
                "value": i.value.as_deref(),
            })
        })
        .collect();
    let parse_errors: Vec<Json> = report
        .parse_errors
        .iter()
        .map(|e| json!({"code": e.code, "message": e.message, "line": e.line}))
        .collect();
    json!({
        "valid": report.valid,
        "format": report.profile.map(|p| p.name()),
        "validatorVersion": VALIDATOR_VERSION,
        "errors": codes(Level::Error),
        "warnings": codes(Level::Warning),
        "infos": codes(Level::Info),
        "rowsCount": report.rows_count,
        "parseErrors": parse_errors,
        "issues": issues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departements_and_cities() {
        assert_eq!(departement_of("54084"), "54");
        assert_eq!(departement_of("97105"), "971");
        assert_eq!(departement_of("2A004"), "2A");
        let paris = Perimeter { kind: PerimeterKind::Commune, code: "75056".into() };
        assert!(in_perimeter(&paris, "75112"));
        assert!(!in_perimeter(&paris, "69381"));
        let meurthe = Perimeter { kind: PerimeterKind::Departement, code: "54".into() };
        assert!(in_perimeter(&meurthe, "54084"));
        assert!(!in_perimeter(&meurthe, "57001"));
    }
}
