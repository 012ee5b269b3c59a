//! Two stores on one SQLite file, as `ban import` beside a running `ban serve`: their write
//! transactions wait for each other, and none is lost to `database is locked`.
use std::sync::Arc;

use ban_store::ids::{object_id, token};
use ban_store::prelude::*;
use ban_store::{
    AuthorizationStrategy, ComputedValidation, JobEnd, NewClient, NewRevision, Publication, StoredFile,
};
use chrono::Utc;

/// Communes each writer publishes for.
const COMMUNES: usize = 40;

/// Publishes a revision for each of `communes` (create, attach, validate, publish: two of
/// these are transactions that read before they write), claiming and finishing jobs on the
/// way; every step must succeed.
async fn publish_all(store: Arc<dyn Store>, client: String, communes: Vec<String>) -> usize {
    let mut published = 0;
    for code in communes {
        let now = Utc::now();
        let revision = NewRevision {
            id: object_id(now),
            client_id: client.clone(),
            code_commune: code.clone(),
            context: serde_json::json!({}),
        };
        let revision = store.create_revision(revision, now).await.expect("create a revision");
        let file = StoredFile {
            id: object_id(now),
            revision_id: revision.id.clone(),
            size: 1,
            hash: "00".repeat(32),
            kind: "bal".into(),
            created_at: now,
        };
        store.attach_file(&revision.id, file, b"x").await.expect("attach its file");
        let computed = ComputedValidation {
            validation: serde_json::value::to_raw_value(&serde_json::json!({"valid": true})).expect("json"),
            is_ready: true,
            rows_count: 1,
            checked_against: None,
        };
        store.save_validation(&revision.id, computed, Utc::now()).await.expect("save its validation");
        let publication = Publication { habilitation: None, at: Utc::now() };
        store.publish(&revision.id, publication).await.expect("publish it");
        published += 1;
        let now = Utc::now();
        if let Some(job) =
            store.claim_job("writer", now, now + chrono::Duration::seconds(60)).await.expect("claim")
        {
            let end = JobEnd::Done { outcome: "unchanged", message: None };
            store.finish_job(job.id, end, Utc::now()).await.expect("finish a job");
        }
    }
    published
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_wait_for_each_other() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    let first: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.expect("open the store"));
    let second: Arc<dyn Store> = Arc::new(ban_store_sqlite::open(&url).await.expect("open it again"));
    let client = first
        .create_client(NewClient {
            id: object_id(Utc::now()),
            nom: "Import".into(),
            mandataire: "Import".into(),
            email: None,
            authorization_strategy: AuthorizationStrategy::Internal,
            perimeters: vec![],
            token: token(),
        })
        .await
        .expect("create a client");
    let communes = |first: usize| (first..first + COMMUNES).map(|n| format!("{n:05}")).collect::<Vec<_>>();
    let mut writers = tokio::task::JoinSet::new();
    for (store, first) in
        [(first.clone(), 1001), (second.clone(), 2001), (first.clone(), 3001), (second, 4001)]
    {
        writers.spawn(publish_all(store, client.id.clone(), communes(first)));
    }
    let mut published = 0;
    while let Some(done) = writers.join_next().await {
        published += done.expect("a writer");
    }
    assert_eq!(published, 4 * COMMUNES);
    let whole = ban_store::PageRequest { offset: 0, limit: 1000 };
    let current = first.current_revisions(None, None, whole).await.expect("current revisions");
    assert_eq!(current.items.len(), 4 * COMMUNES, "every publication is there");
}
