//! Conformance with the reference validator: every file of the shared conformance corpus
//! must get the reference's verdict (validity, profile, file codes per level, and the
//! (row, code, level) triples). The corpus is read from `../shared/data/conformance` when it
//! is there; without it the test says so and passes.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ban_bal::{validate_file, Options};
use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/conformance");
    dir.is_dir().then_some(dir)
}

fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            csv_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "csv") {
            out.push(p);
        }
    }
}

#[derive(Debug, PartialEq)]
struct Verdict {
    valid: bool,
    parsed: bool,
    profile: Option<String>,
    codes: [BTreeSet<String>; 3],
    triples: BTreeSet<(i64, String, String)>,
}

fn verdict(v: &Value) -> Verdict {
    let list = |key: &str| -> BTreeSet<String> {
        v[key]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let mut triples = BTreeSet::new();
    for row in v["rows"].as_array().into_iter().flatten() {
        let line = row["line"].as_i64().unwrap_or(-1);
        for e in row["errors"].as_array().into_iter().flatten() {
            triples.insert((
                line,
                e["code"].as_str().unwrap_or("").to_owned(),
                e["level"].as_str().unwrap_or("").to_owned(),
            ));
        }
    }
    Verdict {
        valid: v["valid"].as_bool().unwrap_or(false),
        parsed: v.get("parseOk").and_then(Value::as_bool) != Some(false) && v.get("thrown").is_none(),
        profile: v["profile"].as_str().map(str::to_owned),
        codes: [list("errors"), list("warnings"), list("infos")],
        triples,
    }
}

#[test]
fn every_corpus_file_gets_the_reference_verdict() {
    let Some(dir) = corpus() else {
        eprintln!("conformance corpus not found (../shared/data/conformance): skipped");
        return;
    };
    let mut files = Vec::new();
    csv_files(&dir, &mut files);
    assert!(files.len() > 200, "corpus looks incomplete: {} files", files.len());
    let mut mismatches = Vec::new();
    for file in &files {
        let expected_path = file.with_extension("expected.json");
        let Ok(text) = std::fs::read_to_string(&expected_path) else { continue };
        let expected: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => panic!("{}: {e}", expected_path.display()),
        };
        let ours = match validate_file(file, &Options::default()) {
            Ok(report) => report.to_reference_json(),
            Err(refusal) => {
                serde_json::json!({"valid": false, "parseOk": false, "thrown": refusal.to_string()})
            }
        };
        let (mut want, mut got) = (verdict(&expected), verdict(&ours));
        if !want.parsed {
            // Where the reference could not read the file, only the refusal itself counts.
            want.profile = None;
            got.profile = None;
            got.parsed = false;
        }
        if want != got {
            let name = file.strip_prefix(&dir).unwrap_or(file).display().to_string();
            let extra: Vec<_> = got.triples.difference(&want.triples).take(3).collect();
            let lacking: Vec<_> = want.triples.difference(&got.triples).take(3).collect();
            mismatches.push(format!(
                "{name}: valid {}/{} profile {:?}/{:?} codes {:?} vs {:?}; extra {extra:?}; lacking {lacking:?}",
                got.valid, want.valid, got.profile, want.profile, got.codes, want.codes
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} files differ:\n{}",
        mismatches.len(),
        files.len(),
        mismatches.join("\n")
    );
}

/// Checking rows on the calling thread or on several threads gives the same report.
#[test]
fn threads_do_not_change_the_report() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/real-bal-derived/988-nouvelle-caledonie/98805_dumbea.csv");
    if !file.exists() {
        eprintln!("skipped: {} not found", file.display());
        return;
    }
    let report = |threads| {
        let options = Options { threads: Some(threads), keep_positions: true, ..Options::default() };
        validate_file(&file, &options).expect("the file is readable")
    };
    let inline = report(0);
    assert!(inline.rows_count > 0);
    assert_eq!(inline, report(1));
    assert_eq!(inline, report(3));
}
