//! Checks the submission service adds to a validation report: a file publishes exactly one
//! commune, and a revision may not silently delete most of the commune's addresses.
//!
//! The mass-deletion rule here is the depot's, as the BAN's api-depot has it
//! (`validation.service.ts`): the file's rows against the `rowsCount` of the commune's current
//! revision, a warning over [`DELETION_WARNING_RATIO`] (20 %) lost, an error over
//! [`DELETION_ERROR_RATIO`] (80 %). It is what a producer sees when the file is validated.
//! The consolidation planner has a second guard, on purpose (`ban_consolidation`,
//! 25 % / 80 % of the commune's active addresses disabled, the rule of the BAN's id-fix): it
//! counts addresses, not rows, and acts when the base is written. The two are distinct rules
//! of the reference at two stages, not copies of one; each has its constants in its crate
//! (see `docs/validation.md`).
use std::sync::Arc;

use ban_domain::{InseeCode, Level};

use ban_spatial::checks::check_positions;
use ban_spatial::contours::Contours;

use crate::report::{FileIssue, Issue, Report};

/// Share of the previous row count whose loss is a warning (api-depot: 20 %).
pub const DELETION_WARNING_RATIO: f64 = 0.2;
/// Share of the previous row count whose loss is an error (api-depot: 80 %).
pub const DELETION_ERROR_RATIO: f64 = 0.8;

/// What the depot knows beyond the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotContext {
    /// The commune the revision is for.
    pub commune: InseeCode,
    /// Rows of the commune's current revision (0 when it has none).
    pub previous_rows: usize,
}

/// The depot's findings on a report.
pub fn depot_checks(report: &Report, context: &DepotContext) -> Vec<FileIssue> {
    let mut found = Vec::new();
    if report.communes.iter().any(|c| c != context.commune.as_str()) {
        found.push(FileIssue { code: Arc::from("commune_insee.valeur_inattendue"), level: Level::Error });
    }
    let previous = context.previous_rows as f64;
    let lost = previous - report.rows_count as f64;
    if lost > DELETION_ERROR_RATIO * previous {
        found.push(FileIssue { code: Arc::from("rows.delete_too_many_addresses"), level: Level::Error });
    } else if lost > DELETION_WARNING_RATIO * previous {
        found.push(FileIssue { code: Arc::from("rows.delete_many_addresses"), level: Level::Warning });
    }
    found
}

/// Adds the depot's findings to a report (its verdict follows them).
pub fn apply_depot_checks(mut report: Report, context: &DepotContext) -> Report {
    let found = depot_checks(&report, context);
    report.file_issues.extend(found);
    report
}

/// Adds the spatial findings on the positions the report kept (see
/// [`Options::keep_positions`](crate::Options)); the verdict follows: a position far
/// outside the commune is an error, the other findings are warnings.
pub fn apply_spatial_checks(mut report: Report, commune: InseeCode, contours: &Contours) -> Report {
    let findings = spatial_findings(&mut report, commune, contours);
    report.add_issues(findings);
    report
}

/// The spatial findings on the positions the report kept, as row findings, their codes added
/// to the report's codes; the caller adds the findings ([`Report::add_issues`]).
pub fn spatial_findings(report: &mut Report, commune: InseeCode, contours: &Contours) -> Vec<Issue> {
    let positions = std::mem::take(&mut report.positions);
    let findings = check_positions(commune, &positions, contours);
    for f in &findings {
        if !report.file_issues.iter().any(|i| *i.code == *f.code) {
            report.file_issues.push(FileIssue { code: Arc::from(f.code), level: f.level });
        }
    }
    findings
        .into_iter()
        .map(|f| Issue {
            row: f.row,
            line: f.line,
            field: None,
            code: Arc::from(f.code),
            level: f.level,
            value: f.value.map(String::into_boxed_str),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{validate, Options};

    fn report(rows: usize) -> Report {
        let mut csv = String::from("cle_interop;commune_insee;commune_nom;numero;suffixe;voie_nom;position;x;y;long;lat;source;date_der_maj\n");
        for i in 1..=rows {
            csv.push_str(&format!(
                "31591_0010_{i:05};31591;Escoulis;{i};;Rue des Places;entrée;539416.13;6225601.11;1.028392;43.111637;Commune;2024-01-01\n"
            ));
        }
        match validate(csv.as_bytes(), &Options::default()) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn code(text: &str) -> InseeCode {
        InseeCode::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn codes(found: &[FileIssue]) -> Vec<&str> {
        found.iter().map(|f| &*f.code).collect()
    }

    #[test]
    fn other_commune_is_an_error() {
        let r = report(3);
        let context = DepotContext { commune: code("31592"), previous_rows: 0 };
        assert_eq!(codes(&depot_checks(&r, &context)), vec!["commune_insee.valeur_inattendue"]);
        let context = DepotContext { commune: code("31591"), previous_rows: 0 };
        assert!(depot_checks(&r, &context).is_empty());
    }

    #[test]
    fn mass_deletion_thresholds() {
        let r = report(10);
        let ctx = |previous_rows| DepotContext { commune: code("31591"), previous_rows };
        assert!(depot_checks(&r, &ctx(12)).is_empty());
        assert_eq!(codes(&depot_checks(&r, &ctx(13))), vec!["rows.delete_many_addresses"]);
        assert_eq!(codes(&depot_checks(&r, &ctx(51))), vec!["rows.delete_too_many_addresses"]);
        assert!(!apply_depot_checks(r, &ctx(51)).valid());
    }
}
