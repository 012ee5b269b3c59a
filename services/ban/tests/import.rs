//! `ban import-legacy`, `ban import` and `ban changes` as an operator runs them, on a
//! temporary SQLite store: a legacy base, then the commune's BAL replacing it, in the feed.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::process::Command;

fn ban(database: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "ban {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn feed(database: &str) -> Vec<serde_json::Value> {
    let out = ban(database, &["changes", "--since", "0", "--limit", "100000"]);
    out.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn a_bal_replaces_the_legacy_base_and_keeps_its_ids() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let legacy = root.join("../shared/data/real-ban-legacy/adresses-54084_ban-legacy.csv");
    if !legacy.exists() {
        eprintln!("skipped: {} not found", legacy.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());

    let out = ban(&database, &["import-legacy", &legacy.display().to_string()]);
    assert!(out.starts_with("1 communes imported"), "{out}");
    let legacy_feed = feed(&database);
    assert!(legacy_feed
        .windows(2)
        .all(|w| w[1]["seq"].as_i64().unwrap() == w[0]["seq"].as_i64().unwrap() + 1));
    let commune = legacy_feed.last().unwrap();
    assert_eq!(
        (commune["kind"].as_str(), commune["state"]["source"].as_str()),
        (Some("commune"), Some("legacy"))
    );

    // The commune's BAL, published by `ban import` from a directory of CODE.csv files.
    let bal = dir.path().join("bal");
    std::fs::create_dir(&bal).unwrap();
    std::fs::copy(root.join("data/samples/54084_mont-bonvillers.csv"), bal.join("54084.csv")).unwrap();
    std::fs::write(bal.join("not-a-commune.csv"), "x").unwrap();
    let out = ban(&database, &["import", &bal.display().to_string()]);
    assert!(out.starts_with("2 files: 1 published, 1 failed"), "{out}");
    assert!(out.contains("not-a-commune.csv: the file is not named after an INSEE code"), "{out}");

    let changes = feed(&database);
    let after: Vec<_> = changes[legacy_feed.len()..].iter().collect();
    let kept = after.iter().filter(|c| c["kind"] == "address" && c["op"] == "updated").count();
    assert!(kept > 400, "{kept} legacy ids kept");
    let commune = after.last().unwrap();
    assert_eq!(
        (commune["kind"].as_str(), commune["state"]["source"].as_str()),
        (Some("commune"), Some("bal"))
    );

    // A legacy export no longer replaces a commune that publishes its BAL.
    let out = ban(&database, &["import-legacy", &legacy.display().to_string()]);
    assert!(out.contains("1 left to their BAL"), "{out}");
    assert_eq!(feed(&database).len(), changes.len());
}
