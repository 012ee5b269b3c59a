//! `ban client|mandataire|chef-de-file` as operators run them, on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL (schema `adm_cli`): the operations of the depot's
//! administration routes, with the same checks.
use std::process::Command;

use ban_store::prelude::*;
use ban_store::{AuditAction, AuditFilter, PageRequest};
use serde_json::Value;

/// `ban ARGS` on the store of `url`: exit status, stdout, stderr.
fn ban(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ban"))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .expect("ban runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// `ban ARGS` that must succeed: its stdout.
fn ok(url: &str, args: &[&str]) -> String {
    let (status, out, err) = ban(url, args);
    assert_eq!(status, 0, "ban {args:?}: {err}");
    out
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn administration_from_the_command_line(url: &str, store: &dyn Store) {
    let mandataire =
        json(&ok(url, &["mandataire", "create", "--name", "ACME", "--email", "contact@acme.example"]));
    let mandataire = mandataire["id"].as_str().expect("id").to_owned();
    let chef = json(&ok(
        url,
        &[
            "chef-de-file",
            "create",
            "--name",
            "CC Coeur du Pays Haut",
            "--email",
            "sig@example.org",
            "--perimeter",
            "epci:200070290",
        ],
    ));
    let chef = chef["id"].as_str().expect("id").to_owned();
    let token = ok(
        url,
        &[
            "client",
            "create",
            "--name",
            "Éditeur",
            "--mandataire-id",
            &mandataire,
            "--chef-de-file-id",
            &chef,
        ],
    );
    assert_eq!(token.len(), 32, "the token alone on stdout: {token}");
    let client = store.client_by_token(&token).await.expect("read").expect("the token authenticates");
    assert_eq!(
        (client.mandataire.as_str(), client.chef_de_file_id.as_deref()),
        ("ACME", Some(chef.as_str()))
    );
    assert_eq!(client.perimeters[0].to_string(), "epci:200070290");
    let list = ok(url, &["client", "list"]);
    assert!(
        list.contains(&format!("{}\tÉditeur\tchef-de-file\tactive\tepci:200070290", client.id)),
        "{list}"
    );
    assert_eq!(json(&ok(url, &["client", "show", &client.id]))["mandataireId"], mandataire.as_str());

    ok(url, &["client", "disable", &client.id]);
    assert!(!store.client(&client.id).await.expect("read").expect("client").is_active);
    ok(url, &["client", "enable", &client.id]);
    assert!(store.client(&client.id).await.expect("read").expect("client").is_active);

    let renewed = ok(url, &["client", "rotate-token", &client.id]);
    assert!(store.client_by_token(&token).await.expect("read").is_none(), "the old token no longer works");
    assert_eq!(store.client_by_token(&renewed).await.expect("read").map(|c| c.id), Some(client.id.clone()));

    let changed = json(&ok(url, &["client", "perimeter", &client.id, "epci:246700488", "departement:54"]));
    assert_eq!(changed["perimeters"].as_array().map(Vec::len), Some(2));
    let shared = json(&ok(url, &["chef-de-file", "show", &chef]));
    assert_eq!(shared["perimeters"], changed["perimeters"]);
    let renamed = json(&ok(url, &["mandataire", "update", &mandataire, "--name", "ACME France"]));
    assert_eq!(renamed["nom"], "ACME France");
    assert!(ok(url, &["mandataire", "list"]).contains("ACME France"));
    assert!(ok(url, &["chef-de-file", "list"]).contains("epci:246700488,departement:54"));
    let unlinked = json(&ok(url, &["client", "update", &client.id, "--no-chef-de-file"]));
    assert_eq!(unlinked["authorizationStrategy"], "habilitation");

    // Every operation is in the audit log, by `admin`, with no address (the command line).
    let filter = AuditFilter { client_id: Some(client.id.clone()), ..AuditFilter::default() };
    let log = store.audit_entries(&filter, PageRequest { offset: 0, limit: 100 }).await.expect("audit");
    let actions: Vec<&str> = log.items.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "client.created",
            "client.disabled",
            "client.enabled",
            "client.token_renewed",
            "client.perimeters_set",
            "client.changed",
        ]
    );
    assert!(log.items.iter().all(|e| e.actor == "admin" && e.ip.is_none()), "{log:?}");
    let filter = AuditFilter { action: Some(AuditAction::MandataireChanged), ..AuditFilter::default() };
    let changed = store.audit_entries(&filter, PageRequest { offset: 0, limit: 10 }).await.expect("audit");
    assert_eq!(changed.items[0].object_id.as_deref(), Some(mandataire.as_str()));

    // The same refusals as the routes.
    for (args, says) in [
        (vec!["client", "show", "coucou"], "identifiant valide"),
        (vec!["client", "show", "0123456789abcdef01234567"], "introuvable"),
        (vec!["client", "perimeter", &client.id, "commune:54084"], "habilitation"),
        (vec!["chef-de-file", "create", "--name", "AB", "--email", "a@b.fr"], "nom"),
        (
            vec![
                "chef-de-file",
                "create",
                "--name",
                "ABC",
                "--email",
                "a@b.fr",
                "--perimeter",
                "epci:000000000",
            ],
            "EPCI inconnu",
        ),
        (
            vec!["client", "create", "--name", "X", "--mandataire-id", "0123456789abcdef01234567"],
            "Mandataire",
        ),
    ] {
        let (status, _, err) = ban(url, &args);
        assert_eq!(status, 1, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A client of no recorded mandataire, with its own perimeter, as before.
    let token = ok(url, &["client", "create", "--name", "Partenaire", "--chef-de-file", "departement:54"]);
    let partner = store.client_by_token(&token).await.expect("read").expect("client");
    assert_eq!((partner.mandataire.as_str(), partner.mandataire_id), ("Partenaire", None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let store = ban_store_sqlite::open(&url).await.expect("open");
    administration_from_the_command_line(&url, &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_on_postgres() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: skipped");
        return;
    };
    let url = ban_store_postgres::fresh_schema(&url, "adm_cli").await.expect("schema");
    let store = ban_store_postgres::open(&url, 2).await.expect("open");
    administration_from_the_command_line(&url, &store).await;
}
