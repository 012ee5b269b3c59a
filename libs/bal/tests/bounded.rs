//! A hostile file (hundreds of thousands of rows of empty fields, or of rows cut wrong) gives
//! a bounded report when a cap is set: the first findings of each code, the count of all,
//! every error line for `ban import --drop-invalid-rows`; the stored validation stays small.
#![allow(clippy::unwrap_used)]
use ban_bal::depot::DepotContext;
use ban_bal::revision::{compute, MAX_STORED_FINDINGS_PER_CODE};
use ban_bal::{validate, Options};
use ban_domain::{InseeCode, Level};

const HEADER: &str = "uid_adresse;cle_interop;commune_insee;commune_nom;commune_deleguee_insee;commune_deleguee_nom;voie_nom;lieudit_complement_nom;numero;suffixe;position;x;y;long;lat;cad_parcelles;source;date_der_maj;certification_commune\r\n";

fn empty_rows(rows: usize) -> Vec<u8> {
    let mut file = HEADER.as_bytes().to_vec();
    for _ in 0..rows {
        file.extend_from_slice(b";;;;;;;;;;;;;;;;;;\r\n");
    }
    file
}

#[test]
fn a_cap_keeps_the_first_findings_of_each_code_and_counts_all() {
    let rows = 5_000;
    let file = empty_rows(rows);
    let full = validate(&file[..], &Options::default()).unwrap();
    let capped =
        validate(&file[..], &Options { max_findings_per_code: Some(10), ..Options::default() }).unwrap();

    assert!(!full.truncated());
    assert!(capped.truncated());
    assert_eq!(full.valid(), capped.valid());
    assert_eq!(full.file_issues, capped.file_issues);
    assert_eq!(full.counts.per_code, capped.counts.per_code);
    assert_eq!(capped.counts.per_code["numero.valeur_manquante"], rows);
    for (code, count) in &capped.counts.per_code {
        let kept: Vec<_> = capped.issues.iter().filter(|i| &i.code == code).collect();
        assert_eq!(kept.len(), (*count).min(10), "{code}");
        // The first ones, in file order.
        let first: Vec<_> = full.issues.iter().filter(|i| &i.code == code).take(10).collect();
        assert_eq!(kept, first, "{code}");
    }
    // Every row is in error: all of them are known, kept or not.
    let error_lines: Vec<u32> = full
        .issues
        .iter()
        .filter(|i| i.level == Level::Error)
        .map(|i| i.line)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(capped.counts.error_lines, error_lines);
    assert_eq!(capped.counts.error_lines.len(), rows);
}

#[test]
fn rows_cut_wrong_are_counted_beyond_the_cap() {
    let mut file = HEADER.as_bytes().to_vec();
    for _ in 0..1_000 {
        file.extend_from_slice(b";;;\r\n");
    }
    let capped =
        validate(&file[..], &Options { max_findings_per_code: Some(10), ..Options::default() }).unwrap();
    assert!(!capped.parsed);
    assert_eq!(capped.parse_errors.len(), 10);
    assert_eq!(capped.counts.parse_errors, 1_000);
    assert!(capped.truncated());
}

#[test]
fn the_stored_validation_of_a_hostile_file_stays_small() {
    let rows = 50_000;
    let file = empty_rows(rows);
    let context = DepotContext { commune: InseeCode::parse("71346").unwrap(), previous_rows: 0 };
    let computed = compute(&file, &context, true);
    assert!(!computed.valid);
    let stored: serde_json::Value = serde_json::from_str(computed.validation.get()).unwrap();
    assert_eq!(stored["truncated"], true);
    assert_eq!(stored["issueCounts"]["numero.valeur_manquante"], rows);
    let issues = stored["issues"].as_array().unwrap();
    let codes = stored["issueCounts"].as_object().unwrap().len();
    assert!(issues.len() <= codes * MAX_STORED_FINDINGS_PER_CODE, "{} issues", issues.len());
    // 50,000 broken rows: a few tens of kilobytes, not tens of megabytes.
    assert!(computed.validation.get().len() < 256 * 1024, "{} bytes", computed.validation.get().len());
}
