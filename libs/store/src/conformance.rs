//! The behaviour every backend must have, as one suite of checks run by each backend's tests
//! on a fresh database (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set).
//! The checks panic with a message on failure, like assertions in a test.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::json;

use crate::ids::{object_id, token};
use crate::{
    AuthorizationStrategy, ComputedValidation, Habilitation, HabilitationStatus, NewClient, NewRevision,
    Perimeter, Publication, RevisionFilter, RevisionStatus, Store, StoreError, StoredFile,
};

/// Runs every check on `store` (a fresh, empty database).
pub async fn run_all(store: Arc<dyn Store>) {
    clients(&*store).await;
    revision_lifecycle(&*store).await;
    publication_guards(&*store).await;
    concurrent_publications(store.clone()).await;
    habilitations(&*store).await;
}

async fn new_client(store: &dyn Store, strategy: AuthorizationStrategy) -> crate::Client {
    store
        .create_client(NewClient {
            id: object_id(Utc::now()),
            nom: "Éditeur de test".into(),
            mandataire: "Mandataire".into(),
            email: Some("contact@example.org".into()),
            authorization_strategy: strategy,
            perimeters: vec![Perimeter::parse("departement:54").unwrap()],
            token: token(),
        })
        .await
        .unwrap()
}

async fn new_revision(store: &dyn Store, client: &crate::Client, commune: &str) -> crate::Revision {
    let revision = NewRevision {
        id: object_id(Utc::now()),
        client_id: client.id.clone(),
        code_commune: commune.into(),
        context: json!({"nomComplet": "Jeanne Martin", "organisation": "Mairie"}),
    };
    store.create_revision(revision, Utc::now()).await.unwrap()
}

fn file_for(revision: &crate::Revision, bytes: &[u8]) -> StoredFile {
    StoredFile {
        id: object_id(Utc::now()),
        revision_id: revision.id.clone(),
        size: bytes.len() as i64,
        hash: "00".repeat(32),
        kind: "bal".into(),
        created_at: Utc::now(),
    }
}

fn ready(rows: i64) -> ComputedValidation {
    ComputedValidation {
        validation: serde_json::value::to_raw_value(&json!({"valid": true, "rowsCount": rows})).unwrap(),
        is_ready: true,
        rows_count: rows,
    }
}

async fn ready_revision(store: &dyn Store, client: &crate::Client, commune: &str) -> crate::Revision {
    let revision = new_revision(store, client, commune).await;
    store.attach_file(&revision.id, file_for(&revision, b"x"), b"x").await.unwrap();
    store.save_validation(&revision.id, ready(10), Utc::now()).await.unwrap()
}

fn publication() -> Publication {
    Publication { habilitation: None, at: Utc::now() }
}

/// Clients are found by id and by token; tokens are unique.
pub async fn clients(store: &dyn Store) {
    let client = new_client(store, AuthorizationStrategy::ChefDeFile).await;
    assert!(client.is_active);
    assert_eq!(client.perimeters, vec![Perimeter::parse("departement:54").unwrap()]);
    let by_token = store.client_by_token(&client.token).await.unwrap().unwrap();
    assert_eq!(by_token.id, client.id);
    assert_eq!(store.client(&client.id).await.unwrap().unwrap().nom, "Éditeur de test");
    assert!(store.client_by_token("unknown").await.unwrap().is_none());
    let twin = NewClient {
        id: object_id(Utc::now()),
        nom: "Twin".into(),
        mandataire: "M".into(),
        email: None,
        authorization_strategy: AuthorizationStrategy::Internal,
        perimeters: vec![],
        token: client.token.clone(),
    };
    assert!(matches!(store.create_client(twin).await, Err(StoreError::Conflict(_))));
    assert!(store.clients().await.unwrap().iter().any(|c| c.id == client.id));
}

/// create → attach → compute → publish, and what each step leaves behind.
pub async fn revision_lifecycle(store: &dyn Store) {
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let revision = new_revision(store, &client, "54084").await;
    assert_eq!(revision.status, RevisionStatus::Pending);
    assert!(!revision.is_ready && !revision.is_current);
    assert_eq!(revision.context["nomComplet"], "Jeanne Martin");

    let bytes = "cle_interop;numero\n54084_0001_00001;1\n".as_bytes();
    let file = store.attach_file(&revision.id, file_for(&revision, bytes), bytes).await.unwrap();
    assert_eq!(file.size, bytes.len() as i64);
    assert_eq!(store.file(&revision.id).await.unwrap().unwrap(), file);
    assert_eq!(store.file_bytes(&revision.id).await.unwrap().unwrap(), bytes);
    // One immutable file per revision.
    let again = store.attach_file(&revision.id, file_for(&revision, b"other"), b"other").await;
    assert!(matches!(again, Err(StoreError::Precondition(_))), "{again:?}");
    assert_eq!(store.file_bytes(&revision.id).await.unwrap().unwrap(), bytes);

    let computed = store.save_validation(&revision.id, ready(1), Utc::now()).await.unwrap();
    assert!(computed.is_ready);
    assert_eq!(computed.rows_count, Some(1));
    let validation: serde_json::Value =
        serde_json::from_str(computed.validation.as_ref().unwrap().get()).unwrap();
    assert_eq!(validation["valid"], true);

    let published = store.publish(&revision.id, publication()).await.unwrap();
    assert_eq!(published.status, RevisionStatus::Published);
    assert!(published.is_current);
    assert!(published.published_at.is_some());
    assert_eq!(store.current_revision("54084").await.unwrap().unwrap().id, revision.id);
    let jobs = store.jobs("54084").await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].kind.as_str(), jobs[0].status.as_str()), ("consolidate", "pending"));
    assert_eq!(jobs[0].revision_id, revision.id);

    // A published revision takes no file, no validation and no second publication.
    let late = store.attach_file(&revision.id, file_for(&revision, b"y"), b"y").await;
    assert!(matches!(late, Err(StoreError::Precondition(_))));
    assert!(matches!(
        store.save_validation(&revision.id, ready(1), Utc::now()).await,
        Err(StoreError::Precondition(_))
    ));
    assert!(matches!(store.publish(&revision.id, publication()).await, Err(StoreError::Precondition(_))));

    // The next publication replaces the current one.
    let next = ready_revision(store, &client, "54084").await;
    store.publish(&next.id, publication()).await.unwrap();
    assert_eq!(store.current_revision("54084").await.unwrap().unwrap().id, next.id);
    assert!(!store.revision(&revision.id).await.unwrap().unwrap().is_current);
    let all = store.commune_revisions("54084", RevisionFilter::All).await.unwrap();
    assert_eq!(all.iter().map(|r| &r.id).collect::<Vec<_>>(), vec![&revision.id, &next.id]);
    assert_eq!(store.commune_revisions("54084", RevisionFilter::Pending).await.unwrap().len(), 0);
    let current = store.current_revisions(None, Some(&["54084".to_owned()])).await.unwrap();
    assert_eq!(current.len(), 1);
    let future = Utc::now() + Duration::hours(1);
    assert!(store.current_revisions(Some(future), None).await.unwrap().is_empty());
    assert_eq!(store.client_revisions(&client.id).await.unwrap().len(), 2);
}

/// Publishing needs a pending, ready revision, and makes the commune's other pending
/// revisions not ready.
pub async fn publication_guards(store: &dyn Store) {
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let unready = new_revision(store, &client, "31591").await;
    assert!(matches!(store.publish(&unready.id, publication()).await, Err(StoreError::Precondition(_))));
    assert!(matches!(
        store.publish("000000000000000000000000", publication()).await,
        Err(StoreError::NotFound(_))
    ));
    let first = ready_revision(store, &client, "31591").await;
    let second = ready_revision(store, &client, "31591").await;
    store.publish(&first.id, publication()).await.unwrap();
    let second = store.revision(&second.id).await.unwrap().unwrap();
    assert!(!second.is_ready, "a publication makes other pending revisions not ready");
    assert!(matches!(store.publish(&second.id, publication()).await, Err(StoreError::Precondition(_))));
    assert!(store.current_revision("31591").await.unwrap().unwrap().id == first.id);
}

/// Two publications of one commune at the same time: one wins, the other is refused.
pub async fn concurrent_publications(store: Arc<dyn Store>) {
    let client = new_client(&*store, AuthorizationStrategy::Internal).await;
    for _ in 0..5 {
        let a = ready_revision(&*store, &client, "71346").await;
        let b = ready_revision(&*store, &client, "71346").await;
        let (sa, sb) = (store.clone(), store.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { sa.publish(&a.id, publication()).await }),
            tokio::spawn(async move { sb.publish(&b.id, publication()).await }),
        );
        let outcomes = [ra.unwrap(), rb.unwrap()];
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "exactly one publication wins: {outcomes:?}");
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, Ok(_) | Err(StoreError::Precondition(_)) | Err(StoreError::Conflict(_)))));
        let current = store.commune_revisions("71346", RevisionFilter::All).await.unwrap();
        assert_eq!(current.iter().filter(|r| r.is_current).count(), 1);
    }
}

/// Habilitations are saved whole, and a concurrent change is detected.
pub async fn habilitations(store: &dyn Store) {
    let client = new_client(store, AuthorizationStrategy::Habilitation).await;
    let now = Utc::now();
    let created = store
        .create_habilitation(Habilitation {
            id: object_id(now),
            client_id: client.id.clone(),
            code_commune: "54084".into(),
            email_commune: None,
            status: HabilitationStatus::Pending,
            strategy: None,
            pin_code: None,
            pin_code_expiration: None,
            pin_sent_at: None,
            remaining_attempts: 10,
            accepted_at: None,
            rejected_at: None,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    let read = store.habilitation(&created.id).await.unwrap().unwrap();
    assert_eq!(read.status, HabilitationStatus::Pending);
    let mut changed = read.clone();
    changed.pin_code = Some("123456".into());
    changed.updated_at = Utc::now() + Duration::milliseconds(1);
    let saved = store.update_habilitation(&changed, read.updated_at).await.unwrap();
    assert_eq!(saved.pin_code.as_deref(), Some("123456"));
    // A second writer that read the old version loses.
    let mut stale = read.clone();
    stale.status = HabilitationStatus::Accepted;
    stale.updated_at = Utc::now() + Duration::milliseconds(2);
    assert!(matches!(store.update_habilitation(&stale, read.updated_at).await, Err(StoreError::Conflict(_))));
}
