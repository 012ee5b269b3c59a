//! `ban directory import` as operators run it, on SQLite (and on PostgreSQL in the schema
//! `dir_cli` when `TEST_DATABASE_URL` is set): the fixture of `data/directory/` imported,
//! imported again changed (what changed is reported), a malformed file refused with its
//! position and nothing replaced; `ban directory show` and `ban audit` read the result, which
//! holds the imports and the other administration commands (`ban client create`).
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Runs `ban ARGS` on the store `url`: exit status, stdout, stderr.
fn ban(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("ban runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/directory/api-lannuaire-administration.json")
}

fn imports(url: &str, dir: &Path) {
    let path = fixture().display().to_string();
    let (status, out, err) = ban(url, &["directory", "import", &path]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(out.contains("8 town halls of 7 communes (9 records read)"), "{out}");
    assert!(out.contains("communes added: 7"), "{out}");
    assert!(
        out.contains("54084 mairie@mont-bonvillers.invalid, secretariat@mont-bonvillers.invalid"),
        "{out}"
    );
    assert!(out.contains("31591 (no address)"), "{out}");

    let (status, out, _) = ban(url, &["directory", "show", "57463"]);
    assert_eq!(status, 0);
    assert!(out.contains("Mairie déléguée - Magny") && out.contains("delegated"), "{out}");
    assert!(out.contains("offered: mairie@metz.invalid, magny@metz.invalid"), "{out}");

    // The same export a day later, gzipped: Escoulis gone, Strasbourg's address changed.
    let mut records: Vec<Value> = serde_json::from_slice(&std::fs::read(fixture()).unwrap()).unwrap();
    records.retain(|r| r["code_insee_commune"] != "31591");
    for record in &mut records {
        if record["code_insee_commune"] == "67482" {
            record["adresse_courriel"] = "accueil@strasbourg.invalid".into();
        }
    }
    let changed = dir.join("annuaire.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &serde_json::to_vec(&records).unwrap()).unwrap();
    std::fs::write(&changed, gz.finish().unwrap()).unwrap();
    let (status, out, err) = ban(url, &["directory", "import", &changed.display().to_string()]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(!out.contains("communes added"), "{out}");
    assert!(out.contains("communes removed: 1\n  31591 (no address)"), "{out}");
    assert!(
        out.contains("communes whose addresses changed: 1\n  67482 mairie@strasbourg.invalid → accueil@strasbourg.invalid"),
        "{out}"
    );

    // A malformed file: refused with where, nothing replaced.
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "[{\"id\": \"x\",\n \"pivot\": \"[{\\\"type_service_local\\\": \"}]").unwrap();
    let (status, out, err) = ban(url, &["directory", "import", &broken.display().to_string()]);
    assert_ne!(status, 0, "{out}");
    assert!(err.contains("malformed export") && err.contains("line 2"), "{err}");
    let (_, out, _) = ban(url, &["directory", "show", "67482"]);
    assert!(out.contains("offered: accueil@strasbourg.invalid"), "the directory of before: {out}");
    let (status, _, err) =
        ban(url, &["directory", "import", &dir.join("missing.json").display().to_string()]);
    assert_ne!(status, 0);
    assert!(err.contains("missing.json"), "{err}");

    let (status, out, _) = ban(url, &["directory", "imports"]);
    assert_eq!(status, 0);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().next().unwrap().contains("annuaire.json.gz"), "newest first: {out}");

    // Both imports are in the audit log, as an administrator's.
    let (status, out, _) = ban(url, &["audit", "--action", "directory.imported", "--json"]);
    assert_eq!(status, 0);
    let entries: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 2, "{out}");
    assert!(entries.iter().all(|e| e["actor"] == "admin"));
    assert!(entries[0]["detail"].as_str().unwrap().contains("1 retirées, 1 aux adresses changées"), "{out}");
    // Other administration commands are logged as well.
    let (status, token, _) = ban(url, &["client", "create", "--name", "Éditeur"]);
    assert_eq!(status, 0);
    assert!(!token.trim().is_empty());
    let (_, out, _) = ban(url, &["audit", "--action", "client.created"]);
    let columns: Vec<&str> = out.trim_end().split('\t').collect();
    assert_eq!(columns[1..3], ["admin", "client.created"], "{out}");
    assert!(columns[7].starts_with("Éditeur (Éditeur), stratégie habilitation"), "{out}");
    assert!(!out.contains(token.trim()), "never the token: {out}");
    let (status, _, err) = ban(url, &["audit", "--action", "nothing"]);
    assert_ne!(status, 0);
    assert!(err.contains("directory.imported"), "{err}");
}

#[test]
fn the_directory_is_imported_replaced_and_read() {
    let dir = tempfile::tempdir().unwrap();
    imports(&format!("sqlite://{}", dir.path().join("ban.db").display()), dir.path());
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let url = runtime.block_on(ban_store_postgres::fresh_schema(&url, "dir_cli")).unwrap();
        imports(&url, dir.path());
    }
}
