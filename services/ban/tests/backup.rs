//! `ban backup` as an operator runs it: a copy of the SQLite store taken while `ban serve`
//! runs on it, restored by starting from the copy, gives byte-identical exports; an existing
//! file is never overwritten, and a PostgreSQL store is pointed to PostgreSQL's tools.
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

#[test]
fn a_backup_taken_while_serving_restores_to_identical_exports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let bal = dir.path().join("bal");
    std::fs::create_dir_all(&bal).unwrap();
    for sample in ["54084_mont-bonvillers.csv"] {
        std::fs::copy(root.join("data/samples").join(sample), bal.join("54084.csv")).unwrap();
    }
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());
    ok(&database, &["import", &bal.display().to_string()]);

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
    for format in ["csv", "csv-with-ids", "csv-bal-1.4", "geojson", "addok"] {
        let export = |database: &str, name: &str| {
            let path = dir.path().join(name);
            ok(database, &["export", "--format", format, "--dep", "54", "-o", &path.display().to_string()]);
            std::fs::read(path).unwrap()
        };
        let original = export(&database, &format!("original-{format}"));
        assert!(!original.is_empty(), "{format}");
        assert_eq!(export(&restored, &format!("restored-{format}")), original, "{format}");
    }
}

#[test]
fn postgres_stores_are_backed_up_with_postgres_tools() {
    let out = ban("postgres://ban@127.0.0.1:1/ban", &["backup", "/nonexistent/copy.db"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
