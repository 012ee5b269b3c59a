//! `ban backup` as an operator runs it: a copy of the SQLite store taken while `ban serve`
//! runs on it, restored by starting from the copy, gives byte-identical exports; an existing
//! file is never overwritten, and a PostgreSQL store is pointed to PostgreSQL's tools; the
//! PostgreSQL procedure of docs/operations.md (`pg_dump -Fc`, the schema lost, `pg_restore`)
//! gives byte-identical exports too.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn ban(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(database: &str, args: &[&str]) {
    let out = ban(database, args);
    assert!(out.status.success(), "ban {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

const FORMATS: [&str; 5] = ["csv", "csv-with-ids", "csv-bal-1.4", "geojson", "addok"];

/// The exports of département 54 in every format, written under `dir` with `label`.
fn exports(database: &str, dir: &Path, label: &str) -> Vec<Vec<u8>> {
    FORMATS
        .iter()
        .map(|format| {
            let path = dir.join(format!("{label}-{format}"));
            ok(database, &["export", "--format", format, "--dep", "54", "-o", &path.display().to_string()]);
            let bytes = std::fs::read(path).unwrap();
            assert!(!bytes.is_empty(), "{format}");
            bytes
        })
        .collect()
}

/// A directory holding the Mont-Bonvillers sample, ready for `ban import`.
fn sample_dir(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bal = dir.join("bal");
    std::fs::create_dir_all(&bal).unwrap();
    std::fs::copy(root.join("data/samples/54084_mont-bonvillers.csv"), bal.join("54084.csv")).unwrap();
    bal.display().to_string()
}

#[test]
fn a_backup_taken_while_serving_restores_to_identical_exports() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());
    ok(&database, &["import", &sample_dir(dir.path())]);

    // The server runs on the store while the copy is taken.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let copy = dir.path().join("copy.db");
    ok(&database, &["backup", &copy.display().to_string()]);
    server.kill().unwrap();
    server.wait().unwrap();

    // Never over an existing file.
    let again = ban(&database, &["backup", &copy.display().to_string()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    let restored = format!("sqlite://{}", copy.display());
    assert!(exports(&restored, dir.path(), "restored") == exports(&database, dir.path(), "original"));
}

#[test]
fn postgres_stores_are_backed_up_with_postgres_tools() {
    let out = ban("postgres://ban@127.0.0.1:1/ban", &["backup", "/nonexistent/copy.db"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

/// The procedure of docs/operations.md for PostgreSQL: a `pg_dump -Fc` of the store's schema,
/// the schema lost, `pg_restore` into the emptied database: the same exports, byte for byte,
/// and a store that goes on (the next publication's feed sequence follows the restored one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_dump_restores_to_identical_exports() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    const SCHEMA: &str = "ban_backup";
    let database = ban_store_postgres::fresh_schema(&url, SCHEMA).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    ok(&database, &["import", &sample_dir(dir.path())]);
    let original = exports(&database, dir.path(), "original");

    let dump = dir.path().join("ban.dump");
    let pg = |program: &str, args: &[&str]| {
        let out = Command::new(program).args(args).output().unwrap();
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    pg("pg_dump", &["-Fc", "-n", SCHEMA, "-f", &dump.display().to_string(), "-d", &url]);
    pg("psql", &["-q", "-d", &url, "-c", &format!("DROP SCHEMA {SCHEMA} CASCADE")]);
    let lost = ban(&database, &["export", "--format", "csv", "--dep", "54", "-o", "/dev/null"]);
    assert!(!lost.status.success(), "the schema was not dropped");
    pg("pg_restore", &["-d", &url, &dump.display().to_string()]);

    assert!(exports(&database, dir.path(), "restored") == original);
    // The restored store takes the next import (its sequences came back with it): the same
    // file again leaves the exports as they were.
    ok(&database, &["import", &sample_dir(dir.path())]);
    assert!(exports(&database, dir.path(), "again") == original);
}
