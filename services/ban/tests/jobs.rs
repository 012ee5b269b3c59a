//! `ban jobs` as an operator runs it on a SQLite store: a publication refused at consolidation
//! (the commune renumbered: more than 80 % of its addresses deleted) is listed with its reason,
//! forced with `ban jobs force ID` (the code of `POST /api-depot/jobs/{id}/force`), and then
//! applied; a job that is not refused cannot be forced.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::process::{Command, Output};

use ban_store::JobStatus;

fn run(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ban(database: &str, args: &[&str]) -> String {
    let out = run(database, args);
    assert!(out.status.success(), "ban {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The sample with every number + 700 (and its `cle_interop`): as many rows, none of the
/// commune's addresses found again.
fn renumbered(text: &str) -> String {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let columns: Vec<&str> = header.split(';').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let (numero, cle) = (at("numero"), at("cle_interop"));
    let mut out = vec![header.to_owned()];
    for line in lines {
        let mut cells: Vec<String> = line.split(';').map(str::to_owned).collect();
        let n: u32 = cells[numero].parse().unwrap();
        if n != 99999 {
            cells[numero] = (n + 700).to_string();
            let mut parts: Vec<String> = cells[cle].split('_').map(str::to_owned).collect();
            parts[2] = format!("{:05}", n + 700);
            cells[cle] = parts.join("_");
        }
        out.push(cells.join(";"));
    }
    out.join("\n") + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_plan_is_listed_then_forced() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sample = std::fs::read_to_string(root.join("data/samples/54084_mont-bonvillers.csv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("ban.db").display());
    for (name, text) in [("first", sample.clone()), ("renumbered", renumbered(&sample))] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("54084.csv"), text).unwrap();
    }
    let out = ban(&database, &["import", &dir.path().join("first").display().to_string()]);
    assert!(out.starts_with("1 files: 1 published"), "{out}");
    let out = ban(&database, &["import", &dir.path().join("renumbered").display().to_string()]);
    assert!(out.starts_with("1 files: 0 published, 1 failed"), "{out}");
    assert!(out.contains("Plus de 80 % des adresses supprimées"), "{out}");

    let failed = ban(&database, &["jobs", "failed"]);
    let fields: Vec<&str> = failed.trim_end().split('\t').collect();
    assert_eq!(failed.lines().count(), 1, "{failed}");
    assert_eq!((fields[1], fields[3]), ("54084", "refused"), "{failed}");
    assert!(fields[5].starts_with("Plus de 80 % des adresses supprimées"), "{failed}");
    let job = fields[0];

    let out = ban(&database, &["jobs", "force", job]);
    assert_eq!(out, format!("job {job} of commune 54084 forced: revision {} queued again\n", fields[2]));
    assert_eq!(ban(&database, &["jobs", "failed"]), "", "queued again, no longer failed");
    let again = run(&database, &["jobs", "force", job]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(&format!("job {job} is pending: only a refused plan can be forced")), "{stderr}");
    let unknown = run(&database, &["jobs", "force", "999999"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("job 999999 not found"));
    let audit = ban(&database, &["audit", "--action", "job.forced", "--json"]);
    let entries: Vec<serde_json::Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 1, "the force, once: {audit}");
    assert_eq!((entries[0]["actor"].as_str(), entries[0]["objectId"].as_str()), (Some("admin"), Some(job)));
    assert!(entries[0]["detail"].as_str().unwrap().contains("Plus de 80 %"), "{audit}");

    // A worker applies it.
    let store = ban_service_kit::open_store(&database).await.unwrap();
    ban_consolidator::Consolidator::new(store.clone()).run_pending().await.unwrap();
    let job = store.job(job.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!((job.status, job.outcome.as_deref()), (JobStatus::Done, Some("applied")));
    assert!(job.forced_at.is_some());
    let base = store.base_commune("54084").await.unwrap().unwrap();
    assert_eq!(base.revision.as_deref(), Some(job.revision_id.as_str()));
}
