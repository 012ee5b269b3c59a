//! The behaviour every backend of `ban-store` must have: one check per case, each run by
//! every backend's tests on a fresh database (SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set) through [`store_conformance_tests!`], one `#[tokio::test]` per
//! case so that a failure names its case and hides none of the others. The checks panic
//! with a message on failure, like assertions in a test. A dev-only crate: nothing in
//! production depends on it.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::json;

use ban_store::ids::{object_id, token};
use ban_store::{
    Address, AddressPosition, Applied, AuthorizationStrategy, BanId, BaseChanges, Change, ChangeCounts,
    ChangeOp, ChefDeFile, ClientChanges, ClientLinks, Commune, CommuneSource, ComputedValidation, FeedChange,
    FeedQuery, Found, Habilitation, HabilitationStatus, JobEnd, JobStatus, Mandataire, NewClient,
    NewRevision, NoticeEnd, NoticeKind, NoticeStatus, ObjectCounts, ObjectKind, PageRequest, Perimeter,
    Publication, PublicationCounts, Refusal, RevisionFilter, RevisionStatus, Secret, Store, StoreError,
    StoredFile, Toponym, Viewer, FILE_PIECE_BYTES,
};
use ban_store::{
    AuditAction, AuditFilter, HabilitationOpening, NewAuditEntry, NewDirectoryImport, NewReport,
    ReportDecision, ReportFilter, ReportMailKind, ReportSettings, ReportStatus, ReportType, TownHall,
    ADMIN_ACTOR,
};

async fn new_client(store: &dyn Store, strategy: AuthorizationStrategy) -> ban_store::Client {
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

async fn new_revision(store: &dyn Store, client: &ban_store::Client, commune: &str) -> ban_store::Revision {
    let revision = NewRevision {
        id: object_id(Utc::now()),
        client_id: client.id.clone(),
        code_commune: commune.into(),
        context: json!({"nomComplet": "Jeanne Martin", "organisation": "Mairie"}),
    };
    store.create_revision(revision, Utc::now()).await.unwrap()
}

fn file_for(revision: &ban_store::Revision, bytes: &[u8]) -> StoredFile {
    StoredFile {
        id: object_id(Utc::now()),
        revision_id: revision.id.clone(),
        size: bytes.len() as i64,
        hash: "00".repeat(32),
        kind: "bal".into(),
        created_at: Utc::now(),
    }
}

/// A valid file's validation, checked against `checked_against`.
fn ready_against(rows: i64, checked_against: Option<String>) -> ComputedValidation {
    ComputedValidation {
        validation: serde_json::value::to_raw_value(&json!({"valid": true, "rowsCount": rows})).unwrap(),
        is_ready: true,
        rows_count: rows,
        checked_against,
    }
}

/// A valid file's validation, checked against the commune's current revision.
async fn ready(store: &dyn Store, commune: &str, rows: i64) -> ComputedValidation {
    let current = store.current_revision(commune).await.unwrap().map(|r| r.id);
    ready_against(rows, current)
}

async fn ready_revision(store: &dyn Store, client: &ban_store::Client, commune: &str) -> ban_store::Revision {
    let revision = new_revision(store, client, commune).await;
    store.attach_file(&revision.id, file_for(&revision, b"x"), b"x").await.unwrap();
    let computed = ready(store, commune, 10).await;
    store.save_validation(&revision.id, computed, Utc::now()).await.unwrap()
}

fn publication() -> Publication {
    Publication { habilitation: None, at: Utc::now() }
}

/// Clients are found by id and by token; tokens are unique.
pub async fn clients(store: Arc<dyn Store>) {
    let store = &*store;
    let client = new_client(store, AuthorizationStrategy::ChefDeFile).await;
    assert!(client.is_active);
    assert_eq!(client.perimeters, vec![Perimeter::parse("departement:54").unwrap()]);
    let by_token = store.client_by_token(client.token.expose()).await.unwrap().unwrap();
    assert_eq!(by_token.id, client.id);
    // The store keeps a digest of the token, never the token.
    assert_ne!(by_token.token.expose(), client.token.expose());
    assert!(by_token.token.expose().starts_with(ban_store::ids::TOKEN_DIGEST_PREFIX));
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
pub async fn revision_lifecycle(store: Arc<dyn Store>) {
    let store = &*store;
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

    let computed =
        store.save_validation(&revision.id, ready(store, "54084", 1).await, Utc::now()).await.unwrap();
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
        store.save_validation(&revision.id, ready(store, "54084", 1).await, Utc::now()).await,
        Err(StoreError::Precondition(_))
    ));
    assert!(matches!(store.publish(&revision.id, publication()).await, Err(StoreError::Precondition(_))));

    // The next publication replaces the current one.
    let next = ready_revision(store, &client, "54084").await;
    store.publish(&next.id, publication()).await.unwrap();
    assert_eq!(store.current_revision("54084").await.unwrap().unwrap().id, next.id);
    assert!(!store.revision(&revision.id).await.unwrap().unwrap().is_current);
    let all = store.commune_revisions("54084", RevisionFilter::All, Viewer::Admin, WHOLE).await.unwrap();
    assert_eq!(all.items.iter().map(|r| &r.id).collect::<Vec<_>>(), vec![&revision.id, &next.id]);
    let pending = store.commune_revisions("54084", RevisionFilter::Pending, Viewer::Admin, WHOLE).await;
    assert_eq!(pending.unwrap().total, 0);
    let current = store.current_revisions(None, Some(&["54084".to_owned()]), WHOLE).await.unwrap();
    assert_eq!((current.items.len(), current.total), (1, 1));
    let future = Utc::now() + Duration::hours(1);
    assert!(store.current_revisions(Some(future), None, WHOLE).await.unwrap().items.is_empty());
    let mine = store.client_revisions(&client.id, Viewer::Client(&client.id), WHOLE).await.unwrap();
    assert_eq!(mine.items.len(), 2);
}

/// A page large enough for every list of these cases.
const WHOLE: PageRequest = PageRequest { offset: 0, limit: 1000 };

/// Lists come in pages with the whole list's size, and show a draft to its client and to
/// administrators only; a file is read in pieces.
pub async fn revision_pages_and_drafts(store: Arc<dyn Store>) {
    let store = &*store;
    let owner = new_client(store, AuthorizationStrategy::Internal).await;
    let stranger = new_client(store, AuthorizationStrategy::Internal).await;
    let mut published = Vec::new();
    for _ in 0..5 {
        let revision = ready_revision(store, &owner, "54084").await;
        store.publish(&revision.id, publication()).await.unwrap();
        published.push(revision.id);
    }
    let draft = new_revision(store, &owner, "54084").await;
    let page = |offset, limit| PageRequest { offset, limit };

    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let got = store
            .commune_revisions("54084", RevisionFilter::All, Viewer::Anyone, page(offset, 2))
            .await
            .unwrap();
        assert_eq!(got.total, 5, "a stranger's total counts published revisions only");
        assert!(got.items.len() <= 2);
        seen.extend(got.items.into_iter().map(|r| r.id));
    }
    assert_eq!(seen, published, "the pages hold every published revision once, oldest first");
    let past = store.commune_revisions("54084", RevisionFilter::All, Viewer::Anyone, page(10, 2)).await;
    assert!(past.unwrap().items.is_empty());

    for (viewer, sees_draft) in [
        (Viewer::Anyone, false),
        (Viewer::Client(&stranger.id), false),
        (Viewer::Client(&owner.id), true),
        (Viewer::Admin, true),
    ] {
        let all = store.commune_revisions("54084", RevisionFilter::All, viewer, WHOLE).await.unwrap();
        assert_eq!(all.items.iter().any(|r| r.id == draft.id), sees_draft, "{viewer:?}");
        assert_eq!(all.total, if sees_draft { 6 } else { 5 }, "{viewer:?}");
        let pending = store.commune_revisions("54084", RevisionFilter::Pending, viewer, WHOLE).await.unwrap();
        assert_eq!(pending.total, u64::from(sees_draft), "{viewer:?}");
        let of_client = store.client_revisions(&owner.id, viewer, WHOLE).await.unwrap();
        assert_eq!(of_client.total, if sees_draft { 6 } else { 5 }, "{viewer:?}");
    }

    let current = store.current_revisions(None, None, page(0, 1)).await.unwrap();
    assert_eq!((current.items.len(), current.total), (1, 1));
    assert_eq!(current.items[0].id, *published.last().unwrap());

    let bytes: Vec<u8> = (0..=255u8).cycle().take(2 * FILE_PIECE_BYTES + 10).collect();
    store.attach_file(&draft.id, file_for(&draft, &bytes), &bytes).await.unwrap();
    let mut read = Vec::new();
    for index in 0..3 {
        let piece = store.file_piece(&draft.id, index).await.unwrap().unwrap();
        assert_eq!(piece.len(), if index < 2 { FILE_PIECE_BYTES } else { 10 });
        read.extend(piece);
    }
    assert_eq!(read, bytes, "the pieces make the file, byte for byte");
    assert_eq!(store.file_bytes(&draft.id).await.unwrap().unwrap(), bytes, "and so does the whole");
    assert_eq!(store.file_piece("000000000000000000000000", 0).await.unwrap(), None, "no file, no piece");
    let past = store.file_piece(&draft.id, 3).await.unwrap();
    assert_eq!(past, Some(Vec::new()), "past the end: an empty piece");
}

/// Publishing needs a pending, ready revision, and makes the commune's other pending
/// revisions not ready.
pub async fn publication_guards(store: Arc<dyn Store>) {
    let store = &*store;
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
    assert!(store.current_revision("31591").await.unwrap().unwrap().id == first.id);
    // The second was checked against no current revision: it is told so.
    match store.publish(&second.id, publication()).await {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains(&format!("commune 31591 ({})", first.id)), "{message}");
            assert!(message.contains("validé à nouveau"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// A validation is saved, and a revision published, only while the revision its file was
/// checked against is still the commune's current one: a check that finishes after another
/// publication (R3 checked against nothing while R2 was published) cannot make its revision
/// ready, nor be published; checked again against R2, it can.
pub async fn outdated_checks(store: Arc<dyn Store>) {
    let store = &*store;
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let r3 = new_revision(store, &client, "31592").await;
    store.attach_file(&r3.id, file_for(&r3, b"x"), b"x").await.unwrap();
    let checked_before = store.current_revision("31592").await.unwrap().map(|r| r.id);
    assert_eq!(checked_before, None);
    // R2 is published while R3's file is being checked.
    let r2 = ready_revision(store, &client, "31592").await;
    store.publish(&r2.id, publication()).await.unwrap();
    let late = store.save_validation(&r3.id, ready_against(10, checked_before), Utc::now()).await;
    assert!(matches!(&late, Err(StoreError::Conflict(m)) if m.contains(&r2.id)), "{late:?}");
    let r3_now = store.revision(&r3.id).await.unwrap().unwrap();
    assert!(!r3_now.is_ready && r3_now.validation.is_none(), "nothing of the outdated check is saved");
    assert!(matches!(store.publish(&r3.id, publication()).await, Err(StoreError::Precondition(_))));
    // Checked against R2, it is saved and published.
    let saved = store.save_validation(&r3.id, ready_against(10, Some(r2.id.clone())), Utc::now()).await;
    assert_eq!(saved.unwrap().checked_against.as_deref(), Some(r2.id.as_str()));
    assert!(store.publish(&r3.id, publication()).await.unwrap().is_current);
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
        let current = store.commune_revisions("71346", RevisionFilter::All, Viewer::Admin, WHOLE).await;
        assert_eq!(current.unwrap().items.iter().filter(|r| r.is_current).count(), 1);
    }
}

/// Habilitations are saved whole, and a concurrent change is detected.
pub async fn habilitations(store: Arc<dyn Store>) {
    let store = &*store;
    let client = new_client(store, AuthorizationStrategy::Habilitation).await;
    let now = Utc::now();
    let created = store
        .create_habilitation(Habilitation::pending(
            object_id(now),
            client.id.clone(),
            "54084".into(),
            10,
            now,
        ))
        .await
        .unwrap();
    let read = store.habilitation(&created.id).await.unwrap().unwrap();
    assert_eq!(read.status, HabilitationStatus::Pending);
    let mut changed = read.clone();
    changed.pin_code = Some(Secret::new("123456"));
    changed.updated_at = Utc::now() + Duration::milliseconds(1);
    let saved = store.update_habilitation(&changed, read.updated_at).await.unwrap();
    assert_eq!(saved.pin_code.as_ref().map(Secret::expose), Some("123456"));
    // A second writer that read the old version loses.
    let mut stale = read.clone();
    stale.status = HabilitationStatus::Accepted;
    stale.updated_at = Utc::now() + Duration::milliseconds(2);
    assert!(matches!(store.update_habilitation(&stale, read.updated_at).await, Err(StoreError::Conflict(_))));
}

/// A client may hold only so many pending habilitations of a commune; accepted and rejected
/// ones do not count, nor other communes', nor other clients'. Concurrent openings cannot
/// pass the cap together.
pub async fn habilitation_cap(store: Arc<dyn Store>) {
    let client = new_client(&*store, AuthorizationStrategy::Habilitation).await;
    let other = new_client(&*store, AuthorizationStrategy::Habilitation).await;
    let pending = |client: &ban_store::Client, commune: &str| {
        let now = Utc::now();
        Habilitation::pending(object_id(now), client.id.clone(), commune.into(), 10, now)
    };
    let mut opened = Vec::new();
    for _ in 0..2 {
        match store.open_habilitation(pending(&client, "54084"), 2).await.unwrap() {
            HabilitationOpening::Created(h) => opened.push(h),
            capped => panic!("under the cap: {capped:?}"),
        }
    }
    let capped = store.open_habilitation(pending(&client, "54084"), 2).await.unwrap();
    let ids: Vec<String> = opened.iter().map(|h| h.id.clone()).collect();
    assert_eq!(capped, HabilitationOpening::Capped { open: ids });
    for (client, commune) in [(&client, "67482"), (&other, "54084")] {
        let h = store.open_habilitation(pending(client, commune), 2).await.unwrap();
        assert!(matches!(h, HabilitationOpening::Created(_)), "{commune}: {h:?}");
    }
    // A rejected habilitation frees its place.
    let mut rejected = opened[0].clone();
    rejected.status = HabilitationStatus::Rejected;
    rejected.updated_at = Utc::now() + Duration::milliseconds(1);
    store.update_habilitation(&rejected, opened[0].updated_at).await.unwrap();
    // Concurrent openings: exactly one takes the freed place.
    let attempts: Vec<_> = (0..4)
        .map(|_| {
            let (store, h) = (store.clone(), pending(&client, "54084"));
            tokio::spawn(async move { store.open_habilitation(h, 2).await })
        })
        .collect();
    let mut created = 0;
    for attempt in attempts {
        if let HabilitationOpening::Created(_) = attempt.await.unwrap().unwrap() {
            created += 1;
        }
    }
    assert_eq!(created, 1, "one place was free");
    // Requests left untouched longer than a code lives hold no place.
    let abandoned = new_client(&*store, AuthorizationStrategy::Habilitation).await;
    let long_ago = Utc::now() - ban_store::HABILITATION_ABANDONED_AFTER - Duration::minutes(1);
    for _ in 0..2 {
        let old =
            Habilitation::pending(object_id(long_ago), abandoned.id.clone(), "54084".into(), 10, long_ago);
        assert!(matches!(store.open_habilitation(old, 2).await.unwrap(), HabilitationOpening::Created(_)));
    }
    let h = store.open_habilitation(pending(&abandoned, "54084"), 2).await.unwrap();
    assert!(matches!(h, HabilitationOpening::Created(_)), "abandoned requests hold no place: {h:?}");
}

fn office(id: &str, commune: &str, emails: &[&str], delegated: bool) -> TownHall {
    TownHall {
        id: id.into(),
        code_commune: commune.into(),
        nom: if delegated { "Mairie déléguée - Ancienne".into() } else { format!("Mairie - {commune}") },
        siret: Some("21540084000017".into()),
        emails: emails.iter().map(|e| e.to_string()).collect(),
        delegated,
    }
}

fn directory_import(source: &str) -> NewDirectoryImport {
    NewDirectoryImport { source: source.into(), sha256: "ab".repeat(32), at: Utc::now() }
}

/// The directory is replaced whole, keeps the file's order within a commune, says what
/// changed, and records each import.
pub async fn directory(store: Arc<dyn Store>) {
    assert!(store.town_halls("54084").await.unwrap().is_empty(), "no directory yet");
    assert!(store.directory_imports(10).await.unwrap().is_empty());
    let first = vec![
        office("b", "54084", &["mairie@mont-bonvillers.fr", "secretariat@mont-bonvillers.fr"], false),
        office("a", "67482", &["mairie@strasbourg.eu"], false),
        office("c", "54084", &["ancienne@mont-bonvillers.fr"], true),
        office("d", "31591", &[], false),
    ];
    let replaced = store.replace_directory(directory_import("v1.json"), &first).await.unwrap();
    assert_eq!(replaced.changes.added.len(), 3);
    assert!(replaced.changes.removed.is_empty() && replaced.changes.changed.is_empty());
    assert_eq!((replaced.import.town_halls, replaced.import.communes), (4, 3));
    assert_eq!(replaced.import.source, "v1.json");
    let read = store.town_halls("54084").await.unwrap();
    assert_eq!(read, vec![first[0].clone(), first[2].clone()], "the file's order, whole");
    assert_eq!(store.town_halls("31591").await.unwrap(), vec![first[3].clone()]);

    let second = vec![
        office("b", "54084", &["mairie@mont-bonvillers.fr"], false),
        office("a", "67482", &["mairie@strasbourg.eu"], false),
        office("e", "57463", &["mairie@metz.fr"], false),
    ];
    let replaced = store.replace_directory(directory_import("v2.json.gz"), &second).await.unwrap();
    let codes = |list: &[ban_store::CommuneEmails]| list.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&replaced.changes.added), ["57463"]);
    assert_eq!(codes(&replaced.changes.removed), ["31591"]);
    assert_eq!(codes(&replaced.changes.changed), ["54084"]);
    assert_eq!(replaced.changes.changed[0].after, ["mairie@mont-bonvillers.fr"]);
    assert_eq!((replaced.import.added, replaced.import.removed, replaced.import.changed), (1, 1, 1));
    assert!(store.town_halls("31591").await.unwrap().is_empty());
    assert_eq!(store.town_halls("54084").await.unwrap(), vec![second[0].clone()]);
    let imports = store.directory_imports(10).await.unwrap();
    let sources: Vec<&str> = imports.iter().map(|i| i.source.as_str()).collect();
    assert_eq!(sources, ["v2.json.gz", "v1.json"], "newest first");
    assert_eq!(store.directory_imports(1).await.unwrap().len(), 1);

    // A large directory, in several statements, in one transaction.
    let many: Vec<TownHall> = (0..1_234)
        .map(|n| office(&format!("o{n}"), &format!("{:05}", 1_000 + n / 2), &["m@x.fr"], n % 2 == 1))
        .collect();
    let replaced = store.replace_directory(directory_import("big.json"), &many).await.unwrap();
    assert_eq!((replaced.import.town_halls, replaced.import.communes), (1_234, 617));
    assert_eq!(replaced.changes.removed.len(), 3);
    let pair = store.town_halls("01616").await.unwrap();
    assert_eq!(pair.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["o1232", "o1233"]);
}

/// Audit entries are appended, read newest first, filtered by commune, client and action,
/// and paged.
pub async fn audit_log(store: Arc<dyn Store>) {
    let empty = store.audit_entries(&AuditFilter::default(), WHOLE).await.unwrap();
    assert_eq!((empty.items.len(), empty.total), (0, 0));
    let ip = Some("192.0.2.7".parse().unwrap());
    let created = NewAuditEntry::by_client("client-a", AuditAction::HabilitationCreated)
        .object("h1")
        .commune("54084")
        .ip(ip)
        .detail("demande d’habilitation");
    let first = store.record_audit(created.clone()).await.unwrap();
    assert_eq!(first.actor, "client-a");
    assert_eq!(first.client_id.as_deref(), Some("client-a"));
    assert_eq!(first.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(first.action, AuditAction::HabilitationCreated);
    assert_eq!(first.detail, "demande d’habilitation");
    let forced = NewAuditEntry::by_admin(AuditAction::HabilitationForced)
        .object("h1")
        .commune("54084")
        .client("client-a");
    store.record_audit(forced).await.unwrap();
    let published =
        NewAuditEntry::by_client("client-b", AuditAction::RevisionPublished).object("r1").commune("67482");
    store.record_audit(published).await.unwrap();
    store
        .record_audit(NewAuditEntry::by_admin(AuditAction::DirectoryImported).detail("v1.json"))
        .await
        .unwrap();

    let all = store.audit_entries(&AuditFilter::default(), WHOLE).await.unwrap();
    assert_eq!(all.total, 4);
    let actions: Vec<AuditAction> = all.items.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::DirectoryImported,
            AuditAction::RevisionPublished,
            AuditAction::HabilitationForced,
            AuditAction::HabilitationCreated
        ],
        "newest first"
    );
    assert!(all.items.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(all.items[2].actor, ADMIN_ACTOR);
    let by = |code_commune: Option<&str>, client_id: Option<&str>, action: Option<AuditAction>| AuditFilter {
        code_commune: code_commune.map(Into::into),
        client_id: client_id.map(Into::into),
        action,
    };
    let count = |filter: AuditFilter| {
        let store = store.clone();
        async move { store.audit_entries(&filter, WHOLE).await.unwrap().total }
    };
    assert_eq!(count(by(Some("54084"), None, None)).await, 2);
    assert_eq!(
        count(by(None, Some("client-a"), None)).await,
        2,
        "its own action and the admin's on its object"
    );
    assert_eq!(count(by(None, None, Some(AuditAction::RevisionPublished))).await, 1);
    assert_eq!(count(by(Some("54084"), Some("client-a"), Some(AuditAction::HabilitationForced))).await, 1);
    assert_eq!(count(by(Some("67482"), Some("client-a"), None)).await, 0);
    let page =
        store.audit_entries(&AuditFilter::default(), PageRequest { offset: 1, limit: 2 }).await.unwrap();
    assert_eq!((page.total, page.items.len()), (4, 2));
    assert_eq!(page.items[0].action, AuditAction::RevisionPublished);
}

/// Jobs are claimed once, by one worker per commune at a time, for a lease; a lapsed lease
/// makes the job claimable again; a job ends done, failed, or back in the queue.
pub async fn job_queue(store: Arc<dyn Store>) {
    let store = &*store;
    let now = Utc::now();
    let lease = now + Duration::seconds(60);
    // Earlier checks left jobs behind: clear them.
    while let Some(job) = store.claim_job("a", now, lease).await.unwrap() {
        let end = JobEnd::Done { outcome: "superseded", message: None };
        store.finish_job(job.id, end, now).await.unwrap();
    }
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let first = ready_revision(store, &client, "55001").await;
    store.publish(&first.id, publication()).await.unwrap();
    let second = ready_revision(store, &client, "55001").await;
    store.publish(&second.id, publication()).await.unwrap();
    let other = ready_revision(store, &client, "55002").await;
    store.publish(&other.id, publication()).await.unwrap();

    let job = store.claim_job("a", now, lease).await.unwrap().expect("a pending job");
    assert_eq!(
        (job.revision_id.as_str(), job.status.as_str(), job.attempts),
        (first.id.as_str(), "running", 1)
    );
    // The commune is held: the next claim takes the other commune's job.
    let next = store.claim_job("a", now, lease).await.unwrap().expect("the other commune's job");
    assert_eq!(next.revision_id, other.id);
    assert!(store.claim_job("a", now, lease).await.unwrap().is_none());

    store.finish_job(next.id, JobEnd::Done { outcome: "unchanged", message: None }, now).await.unwrap();
    // A worker that dies lets its lease run out; the job is claimed again.
    let later = lease + Duration::seconds(1);
    let again =
        store.claim_job("b", later, later + Duration::seconds(60)).await.unwrap().expect("a lapsed job");
    assert_eq!((again.id, again.attempts), (job.id, 2));
    let not_before = later + Duration::seconds(30);
    let retry = JobEnd::Retry { message: "database away".into(), not_before };
    store.finish_job(again.id, retry, later).await.unwrap();
    // Sent back with a backoff: not claimed before its time; its commune is free meanwhile.
    assert_eq!(store.job_queue(later).await.unwrap().waiting, 2);
    let newer =
        store.claim_job("b", later, later + Duration::seconds(60)).await.unwrap().expect("a newer job");
    assert_eq!(newer.revision_id, second.id);
    store.finish_job(newer.id, JobEnd::Done { outcome: "unchanged", message: None }, later).await.unwrap();
    assert!(store.claim_job("b", later, later + Duration::seconds(60)).await.unwrap().is_none());
    assert_eq!(store.job_queue(later).await.unwrap().waiting, 1);
    let retried = store
        .claim_job("b", not_before, not_before + Duration::seconds(60))
        .await
        .unwrap()
        .expect("a retried job");
    assert_eq!((retried.id, retried.attempts), (job.id, 3));
    assert_eq!(store.job_queue(later).await.unwrap().failed, 0);
    store.finish_job(retried.id, JobEnd::Failed { message: "bad file".into() }, later).await.unwrap();
    // A failed job of a revision no longer current (`first`, replaced by `second`) is moot.
    assert_eq!(store.job_queue(later).await.unwrap().failed, 0);
    let jobs = store.jobs("55001").await.unwrap();
    assert_eq!(jobs[0].status, JobStatus::Failed);
    assert_eq!(jobs[0].message.as_deref(), Some("bad file"));
    assert_eq!(jobs[1].status, JobStatus::Done);
    assert_eq!(store.jobs("55002").await.unwrap()[0].outcome.as_deref(), Some("unchanged"));
    assert!(matches!(
        store.finish_job(i64::MAX, JobEnd::Failed { message: String::new() }, later).await,
        Err(StoreError::NotFound(_))
    ));
    // A failed job of a current revision is counted: its commune's base lags.
    let lagging = ready_revision(store, &client, "55003").await;
    store.publish(&lagging.id, publication()).await.unwrap();
    let job = store.claim_job("b", later, later + Duration::seconds(60)).await.unwrap().expect("its job");
    assert_eq!(job.revision_id, lagging.id);
    store.finish_job(job.id, JobEnd::Failed { message: "bad file".into() }, later).await.unwrap();
    assert_eq!(store.job_queue(later).await.unwrap().failed, 1);
    let failed = store.failed_jobs().await.unwrap();
    assert_eq!(failed.iter().map(|j| j.id).collect::<Vec<_>>(), [job.id]);
    // An operator puts it back in the queue, attempts from zero.
    let retried = store.retry_job(job.id, later).await.unwrap();
    assert_eq!((retried.status, retried.attempts), (JobStatus::Pending, 0));
    assert!(store.failed_jobs().await.unwrap().is_empty());
    let claimed = store.claim_job("b", later, later + Duration::seconds(60)).await.unwrap().expect("retried");
    assert_eq!((claimed.id, claimed.attempts), (job.id, 1));
    assert!(matches!(store.retry_job(job.id, later).await, Err(StoreError::Precondition(_))));
    assert!(matches!(store.retry_job(i64::MAX, later).await, Err(StoreError::NotFound(_))));
}

/// A refused job ends failed with its reason, and queues one notice for the producer and one
/// for the town hall, in its transaction; refused again (an operator retried it), it queues
/// nothing more. A revision's job and a commune's last jobs are read back.
pub async fn refusal_notices(store: Arc<dyn Store>) {
    let store = &*store;
    // Microseconds: what PostgreSQL keeps of a time.
    let now = Utc::now().trunc_subsecs(6);
    let lease = now + Duration::seconds(60);
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let first = ready_revision(store, &client, "58001").await;
    store.publish(&first.id, publication()).await.unwrap();
    let revision = ready_revision(store, &client, "58001").await;
    store.publish(&revision.id, publication()).await.unwrap();
    let refusal = Refusal::MassDeletion { disabled: 9, active: 10, percent: 90.0, limit: 80.0 };
    let replaced = store.claim_job("w", now, lease).await.unwrap().expect("the first job");
    assert_eq!(replaced.revision_id, first.id);
    store.finish_job(replaced.id, JobEnd::Done { outcome: "superseded", message: None }, now).await.unwrap();
    let job = store.claim_job("w", now, lease).await.unwrap().expect("the second job");
    assert_eq!(job.revision_id, revision.id);
    assert_eq!(store.revision_job(&revision.id).await.unwrap().map(|j| j.id), Some(job.id));
    store.finish_job(job.id, JobEnd::Refused { refusal: refusal.clone() }, now).await.unwrap();
    // An operator retries it; refused again, it owes nothing more.
    store.retry_job(job.id, now).await.unwrap();
    let again = store.claim_job("w", now, lease).await.unwrap().expect("the job again");
    assert_eq!(again.id, job.id);
    store.finish_job(job.id, JobEnd::Refused { refusal: refusal.clone() }, now).await.unwrap();
    let refused = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (refused.status, refused.outcome.as_deref(), refused.refusal.as_ref()),
        (JobStatus::Failed, Some("refused"), Some(&refusal))
    );
    assert_eq!(refused.message.as_deref(), Some(refusal.message().as_str()));
    assert!(refusal.message().starts_with("Plus de 80 % des adresses supprimées"), "{}", refusal.message());
    assert_eq!(store.failed_jobs().await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), [job.id]);
    let notices = store.notices(&revision.id).await.unwrap();
    let kinds: Vec<_> = notices.iter().map(|n| (n.kind, n.status, n.job_id)).collect();
    assert_eq!(
        kinds,
        [
            (NoticeKind::RefusalToProducer, NoticeStatus::Pending, job.id),
            (NoticeKind::RefusalToTownHall, NoticeStatus::Pending, job.id)
        ]
    );
    assert!(store.notices(&first.id).await.unwrap().is_empty());
    let recent = store.recent_jobs("58001", 10).await.unwrap();
    assert_eq!(recent.iter().map(|j| &j.revision_id).collect::<Vec<_>>(), [&revision.id, &first.id]);
    assert_eq!(store.recent_jobs("58001", 1).await.unwrap().len(), 1);
    assert!(store.revision_job(&object_id(now)).await.unwrap().is_none());

    // Senders claim each notice once; a lapsed lease gives it to another; it ends once.
    let producer = store.claim_notice("s1", now, lease).await.unwrap().expect("a notice");
    let town_hall = store.claim_notice("s1", now, lease).await.unwrap().expect("another");
    assert_eq!(
        (producer.kind, town_hall.kind),
        (NoticeKind::RefusalToProducer, NoticeKind::RefusalToTownHall)
    );
    assert_eq!((producer.status, producer.attempts), (NoticeStatus::Sending, 1));
    assert!(store.claim_notice("s2", now, lease).await.unwrap().is_none(), "both are held");
    let sent = NoticeEnd::Sent { recipients: vec!["contact@example.org".into()] };
    store.finish_notice(producer.id, sent, now).await.unwrap();
    let later = lease + Duration::seconds(1);
    let taken = store.claim_notice("s2", later, later + Duration::seconds(60)).await.unwrap();
    assert_eq!(taken.as_ref().map(|n| (n.id, n.attempts)), Some((town_hall.id, 2)), "a lapsed lease");
    let retry = NoticeEnd::Retry { error: "relay away".into(), not_before: later + Duration::seconds(30) };
    store.finish_notice(town_hall.id, retry, later).await.unwrap();
    assert!(store.claim_notice("s2", later, later).await.unwrap().is_none(), "not before its time");
    let again = later + Duration::seconds(31);
    let claimed = store.claim_notice("s2", again, again).await.unwrap().expect("tried again");
    let unsendable = NoticeEnd::Unsendable { reason: "no address".into() };
    store.finish_notice(claimed.id, unsendable, again).await.unwrap();
    assert!(store.claim_notice("s3", again + Duration::hours(1), again).await.unwrap().is_none());
    let notices = store.notices(&revision.id).await.unwrap();
    assert_eq!(
        notices.iter().map(|n| (n.status, n.recipients.as_deref(), n.message.as_deref())).collect::<Vec<_>>(),
        [
            (NoticeStatus::Sent, Some("contact@example.org"), None),
            (NoticeStatus::Unsendable, None, Some("no address"))
        ]
    );
    assert_eq!(notices[0].sent_at, Some(now));
    assert!(matches!(
        store.finish_notice(i64::MAX, NoticeEnd::Failed { error: String::new() }, now).await,
        Err(StoreError::NotFound(_))
    ));
}

/// An administrator forces a refused job of a current revision back into the queue, marked
/// forced; any other job cannot be forced.
pub async fn forced_jobs(store: Arc<dyn Store>) {
    let store = &*store;
    // Microseconds: what PostgreSQL keeps of a time.
    let now = Utc::now().trunc_subsecs(6);
    let lease = now + Duration::seconds(60);
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let revision = ready_revision(store, &client, "58002").await;
    store.publish(&revision.id, publication()).await.unwrap();
    let job = store.claim_job("w", now, lease).await.unwrap().expect("its job");
    assert!(matches!(store.force_job(job.id, now).await, Err(StoreError::Precondition(_))), "running");
    let refusal = Refusal::ForeignId { line: 7, id: new_id().to_string(), owner: "57001".into() };
    assert!(refusal.message().contains("ligne 7") && refusal.message().contains("57001"));
    store.finish_job(job.id, JobEnd::Refused { refusal: refusal.clone() }, now).await.unwrap();
    let forced = store.force_job(job.id, now).await.unwrap();
    assert_eq!((forced.status, forced.attempts, forced.forced_at), (JobStatus::Pending, 0, Some(now)));
    assert_eq!(forced.refusal, Some(refusal), "the refusal it overrides is kept");
    let claimed = store.claim_job("w", now, lease).await.unwrap().expect("claimed again");
    assert_eq!((claimed.id, claimed.forced_at), (job.id, Some(now)));
    store.finish_job(job.id, JobEnd::Done { outcome: "unchanged", message: None }, now).await.unwrap();
    assert!(matches!(store.force_job(job.id, now).await, Err(StoreError::Precondition(_))), "done");
    assert!(matches!(store.force_job(i64::MAX, now).await, Err(StoreError::NotFound(_))));
    // A refused job whose revision was replaced since is moot.
    let replaced = ready_revision(store, &client, "58003").await;
    store.publish(&replaced.id, publication()).await.unwrap();
    let job = store.claim_job("w", now, lease).await.unwrap().expect("its job");
    store
        .finish_job(job.id, JobEnd::Refused { refusal: forced.refusal.clone().unwrap() }, now)
        .await
        .unwrap();
    let newer = ready_revision(store, &client, "58003").await;
    store.publish(&newer.id, publication()).await.unwrap();
    assert!(matches!(store.force_job(job.id, now).await, Err(StoreError::Precondition(_))), "replaced");
}

/// A running job names its worker; the jobs of a worker known dead are put back in the queue
/// at once, claimable by another worker before their lease runs out; others stay held.
pub async fn job_takeover(store: Arc<dyn Store>) {
    let store = &*store;
    let now = Utc::now();
    let lease = now + Duration::hours(1);
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    for commune in ["57001", "57002"] {
        let revision = ready_revision(store, &client, commune).await;
        store.publish(&revision.id, publication()).await.unwrap();
    }
    let dead = store.claim_job("host:41", now, lease).await.unwrap().expect("a job");
    let alive = store.claim_job("host:42", now, lease).await.unwrap().expect("another job");
    assert!(store.claim_job("host:43", now, lease).await.unwrap().is_none(), "both are held");
    assert_eq!(store.job_holders().await.unwrap(), ["host:41", "host:42"]);

    assert_eq!(store.release_jobs(&["host:41".to_owned()], now).await.unwrap(), 1);
    let taken = store.claim_job("host:43", now, lease).await.unwrap().expect("the dead worker's job");
    assert_eq!((taken.id, taken.attempts), (dead.id, 2));
    assert!(store.claim_job("host:44", now, lease).await.unwrap().is_none(), "the live one's stays held");
    assert_eq!(store.job_holders().await.unwrap(), ["host:42", "host:43"]);
    assert_eq!(store.release_jobs(&["host:41".to_owned()], now).await.unwrap(), 0);
    store.finish_job(alive.id, JobEnd::Done { outcome: "unchanged", message: None }, now).await.unwrap();
    assert_eq!(store.job_holders().await.unwrap(), ["host:43"], "a finished job names no worker");
}

fn new_id() -> BanId {
    BanId::from_random(rand::random())
}

fn toponym(commune: &str, name: &str) -> Toponym {
    Toponym {
        id: new_id(),
        commune: commune.into(),
        name: name.into(),
        lieu_dit: false,
        cle_voie: None,
        position: None,
        active: true,
    }
}

fn address(toponym: &Toponym, numero: u32, lon: f64) -> Address {
    Address {
        id: new_id(),
        commune: toponym.commune.clone(),
        toponym: toponym.id,
        numero,
        suffixe: None,
        positions: vec![AddressPosition { kind: None, coordinates: [lon, 49.3] }],
        cle_interop: None,
        complement: None,
        commune_deleguee: None,
        parcelles: vec![],
        source: None,
        updated: None,
        certified: numero.is_multiple_of(2),
        active: true,
    }
}

fn commune(code: &str, addresses: u32) -> Commune {
    Commune {
        id: new_id(),
        code: code.into(),
        name: Some("Commune de test".into()),
        source: CommuneSource::Bal,
        revision: Some("rev".into()),
        revision_published_at: None,
        addresses,
        certified_addresses: 0,
        toponyms: 1,
    }
}

/// Changes land whole with their feed rows, numbered in order; objects are read back as
/// written; disabled objects stay; a stale plan is refused.
pub async fn base_and_feed(store: Arc<dyn Store>) {
    let store = &*store;
    let empty = store.commune_base("56001").await.unwrap();
    assert!(empty.commune.is_none() && empty.addresses.is_empty());
    assert_eq!(empty.version, 0);
    let feed_start = store.changes_since(0, i64::MAX).await.unwrap().last().map_or(0, |c| c.seq);

    let street = toponym("56001", "Rue des Lilas");
    let (a1, a2, a3) = (address(&street, 1, 5.1), address(&street, 2, 5.2), address(&street, 3, 5.3));
    let first = BaseChanges {
        commune: commune("56001", 3),
        planned_on: 0,
        toponyms: vec![Change::Created(street.clone())],
        addresses: vec![
            Change::Created(a1.clone()),
            Change::Created(a2.clone()),
            Change::Created(a3.clone()),
        ],
        job: None,
        counts: ChangeCounts::default(),
        at: Utc::now(),
    };
    let applied = store.apply_changes(first.clone()).await.unwrap();
    assert_eq!(applied, Applied { first_seq: feed_start + 1, last_seq: feed_start + 5 });
    let base = store.commune_base("56001").await.unwrap();
    assert_eq!(base.version, applied.last_seq);
    assert_eq!(base.commune.as_ref(), Some(&first.commune));
    assert_eq!(base.toponyms, vec![street.clone()]);
    assert_eq!(base.addresses, vec![a1.clone(), a2.clone(), a3.clone()]);

    // Planned on a version that is no longer the commune's: refused, nothing written.
    assert!(matches!(store.apply_changes(first.clone()).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.changes_since(applied.last_seq, 10).await.unwrap().len(), 0);

    let moved =
        Address { positions: vec![AddressPosition { kind: None, coordinates: [5.25, 49.3] }], ..a2.clone() };
    let gone = Address { active: false, ..a3.clone() };
    let second = BaseChanges {
        commune: Commune { addresses: 2, ..first.commune.clone() },
        planned_on: applied.last_seq,
        toponyms: vec![],
        addresses: vec![
            Change::Updated { before: a2.clone(), after: moved.clone() },
            Change::Disabled(gone.clone()),
        ],
        job: None,
        counts: ChangeCounts::default(),
        at: Utc::now(),
    };
    let applied2 = store.apply_changes(second).await.unwrap();
    let base = store.commune_base("56001").await.unwrap();
    let mut addresses = base.addresses.clone();
    addresses.sort_by_key(|a| a.numero);
    assert_eq!(addresses, vec![a1.clone(), moved, gone]);
    assert_eq!(base.version, applied2.last_seq);

    let feed = store.changes_since(feed_start, 100).await.unwrap();
    let summary: Vec<(&str, &str)> = feed.iter().map(|c| (c.kind.as_str(), c.op.as_str())).collect();
    let expected = [
        ("toponym", "created"),
        ("address", "created"),
        ("address", "created"),
        ("address", "created"),
        ("commune", "created"),
        ("address", "updated"),
        ("address", "disabled"),
        ("commune", "updated"),
    ];
    assert_eq!(summary, expected);
    assert!(feed.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert!(feed.iter().all(|c| c.commune == "56001" && c.revision.as_deref() == Some("rev")));
    let disabled: serde_json::Value = serde_json::from_str(feed[6].state.get()).unwrap();
    assert_eq!(
        (disabled["id"].as_str(), disabled["active"].as_bool()),
        (Some(&*a3.id.to_string()), Some(false))
    );
    assert_eq!(store.changes_since(feed_start, 2).await.unwrap().len(), 2);

    let owners = store.id_owners(&[a1.id, street.id, new_id()]).await.unwrap();
    assert_eq!(owners.len(), 2);
    assert!(owners.iter().all(|(_, commune)| commune == "56001"));
    let (communes, toponyms, addresses) = store.base_counts().await.unwrap();
    assert!(communes >= 1 && toponyms >= 1 && addresses >= 2);

    // Changes that complete a job mark it done in the same transaction.
    let client = new_client(store, AuthorizationStrategy::Internal).await;
    let revision = ready_revision(store, &client, "56002").await;
    store.publish(&revision.id, publication()).await.unwrap();
    let job = store.jobs("56002").await.unwrap().remove(0);
    let street = toponym("56002", "Grand-Rue");
    let with_job = BaseChanges {
        commune: commune("56002", 1),
        planned_on: 0,
        toponyms: vec![Change::Created(street.clone())],
        addresses: vec![Change::Created(address(&street, 1, 5.0))],
        job: Some(job.id),
        counts: one_added(),
        at: Utc::now(),
    };
    store.apply_changes(with_job).await.unwrap();
    let job = store.jobs("56002").await.unwrap().remove(0);
    assert_eq!((job.status.as_str(), job.outcome.as_deref()), ("done", Some("applied")));
    assert_eq!(job.counts, Some(one_added()), "with what it changed");
}

/// One address and one toponym added.
fn one_added() -> ChangeCounts {
    let added = ObjectCounts { added: 1, ..ObjectCounts::default() };
    ChangeCounts { addresses: added, toponyms: added }
}

/// Two workers applying changes planned on the same version: one wins, the other is told.
pub async fn concurrent_changes(store: Arc<dyn Store>) {
    let street = toponym("56003", "Rue Haute");
    let attempt = |store: Arc<dyn Store>, street: Toponym| async move {
        let changes = BaseChanges {
            commune: commune("56003", 1),
            planned_on: 0,
            toponyms: vec![Change::Created(street.clone())],
            addresses: vec![Change::Created(address(&street, 1, 5.0))],
            job: None,
            counts: ChangeCounts::default(),
            at: Utc::now(),
        };
        store.apply_changes(changes).await
    };
    let (a, b) = tokio::join!(
        tokio::spawn(attempt(store.clone(), street.clone())),
        tokio::spawn(attempt(store.clone(), street.clone()))
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, Err(StoreError::Conflict(_)))));
    assert_eq!(store.commune_base("56003").await.unwrap().addresses.len(), 1);
}

fn changes_of(
    commune: Commune,
    toponyms: Vec<Toponym>,
    addresses: Vec<Address>,
    planned_on: i64,
) -> BaseChanges {
    BaseChanges {
        commune,
        planned_on,
        toponyms: toponyms.into_iter().map(Change::Created).collect(),
        addresses: addresses.into_iter().map(Change::Created).collect(),
        job: None,
        counts: ChangeCounts::default(),
        at: Utc::now(),
    }
}

/// The feed read by commune, by département and as a snapshot of current states; communes
/// listed by département with their versions; objects found by id.
pub async fn feed_readers(store: Arc<dyn Store>) {
    let store = &*store;
    let start = store.last_seq().await.unwrap();
    let corsica = toponym("2A004", "Cours Napoléon");
    let ajaccio = commune("2A004", 1);
    let a1 = address(&corsica, 1, 8.7);
    store
        .apply_changes(changes_of(ajaccio.clone(), vec![corsica.clone()], vec![a1.clone()], 0))
        .await
        .unwrap();
    let street = toponym("29001", "Rue du Port");
    let b1 = address(&street, 1, -4.1);
    let b2 = address(&street, 2, -4.2);
    let first = changes_of(commune("29001", 2), vec![street.clone()], vec![b1.clone(), b2.clone()], 0);
    let applied = store.apply_changes(first.clone()).await.unwrap();
    let moved = Address { numero: 3, ..b2.clone() };
    let second = BaseChanges {
        commune: first.commune.clone(),
        planned_on: applied.last_seq,
        toponyms: vec![],
        addresses: vec![Change::Updated { before: b2.clone(), after: moved.clone() }],
        job: None,
        counts: ChangeCounts::default(),
        at: Utc::now(),
    };
    let last = store.apply_changes(second).await.unwrap().last_seq;
    assert_eq!(store.last_seq().await.unwrap(), last);

    let read = |query: FeedQuery| async move { store.feed(&query).await.unwrap() };
    let all = read(FeedQuery::since(start, 100)).await;
    assert_eq!(all.len(), 3 + 4 + 2);
    let corse = read(FeedQuery { departements: vec!["2A".into()], ..FeedQuery::since(start, 100) }).await;
    assert_eq!(corse.len(), 3);
    assert!(corse.iter().all(|c| c.commune == "2A004"));
    let finistere = read(FeedQuery { communes: vec!["29001".into()], ..FeedQuery::since(start, 100) }).await;
    assert_eq!(finistere.len(), 6);
    let both = read(FeedQuery {
        communes: vec!["29001".into()],
        departements: vec!["2A".into()],
        ..FeedQuery::since(start, 100)
    })
    .await;
    assert_eq!(both.len(), all.len());
    // The snapshot skips the superseded states: b2's first state and 29001's first record.
    let current = read(FeedQuery { current_only: true, ..FeedQuery::since(start, 100) }).await;
    assert_eq!(current.len(), all.len() - 2);
    assert!(current.windows(2).all(|w| w[0].seq < w[1].seq));
    let b2_states: Vec<_> = current.iter().filter(|c| c.id == b2.id.to_string()).collect();
    assert_eq!(b2_states.len(), 1);
    assert_eq!(b2_states[0].op, ChangeOp::Updated);
    let page = read(FeedQuery { current_only: true, ..FeedQuery::since(start, 2) }).await;
    assert_eq!(
        page.iter().map(|c| c.seq).collect::<Vec<_>>(),
        current[..2].iter().map(|c| c.seq).collect::<Vec<_>>()
    );

    let in_2a = store.base_communes(Some("2A")).await.unwrap();
    assert_eq!(in_2a.len(), 1);
    assert_eq!(in_2a[0].commune, ajaccio);
    assert_eq!(store.scope_seq(Some("2A")).await.unwrap(), in_2a[0].seq);
    assert_eq!(store.scope_seq(Some("29")).await.unwrap(), last);
    assert_eq!(store.scope_seq(None).await.unwrap(), last);
    assert_eq!(store.scope_seq(Some("971")).await.unwrap(), 0);
    // The versions of several communes at once (a map tile's), by code; unknown codes left out.
    let codes = ["29001", "2A004", "00000", "29001"].map(String::from);
    assert_eq!(
        store.commune_versions(&codes).await.unwrap(),
        vec![("29001".to_owned(), last), ("2A004".to_owned(), in_2a[0].seq)]
    );
    assert!(store.commune_versions(&[]).await.unwrap().is_empty());
    let codes: Vec<String> =
        store.base_communes(None).await.unwrap().into_iter().map(|c| c.commune.code).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "communes ordered by code: {codes:?}");

    assert!(matches!(store.find(&moved.id).await.unwrap(), Some(Found::Address(a)) if a == moved));
    assert!(matches!(store.find(&street.id).await.unwrap(), Some(Found::Toponym(t)) if t == street));
    assert!(matches!(store.find(&ajaccio.id).await.unwrap(), Some(Found::Commune(c)) if c == ajaccio));
    assert!(store.find(&new_id()).await.unwrap().is_none());
}

/// A mirror's writes: rows keep their seqs (gaps allowed), the base follows the latest state
/// of each object, rows already there are skipped, and local changes go on after them.
pub async fn replication(store: Arc<dyn Store>) {
    let store = &*store;
    let origin = store.last_seq().await.unwrap() + 100;
    let street = toponym("35001", "Rue de Rennes");
    let a1 = address(&street, 1, -1.6);
    let moved = Address { numero: 7, ..a1.clone() };
    let record = commune("35001", 1);
    let row = |seq: i64, kind: &str, id: String, op: &str, state: serde_json::Value| FeedChange {
        seq,
        kind: ObjectKind::parse(kind).unwrap(),
        id,
        op: ChangeOp::parse(op).unwrap(),
        commune: "35001".into(),
        revision: Some("rev".into()),
        state: serde_json::value::to_raw_value(&state).unwrap(),
        at: Utc::now(),
    };
    let rows = vec![
        row(origin, "toponym", street.id.to_string(), "created", serde_json::to_value(&street).unwrap()),
        row(origin + 1, "address", a1.id.to_string(), "created", serde_json::to_value(&a1).unwrap()),
        row(origin + 5, "address", a1.id.to_string(), "updated", serde_json::to_value(&moved).unwrap()),
        row(origin + 9, "commune", record.id.to_string(), "created", serde_json::to_value(&record).unwrap()),
    ];
    store.replicate(&rows).await.unwrap();
    let base = store.commune_base("35001").await.unwrap();
    assert_eq!(base.commune.as_ref(), Some(&record));
    assert_eq!(base.version, origin + 9);
    assert_eq!(base.toponyms, vec![street.clone()]);
    assert_eq!(base.addresses, vec![moved.clone()]);
    // Again, and an older state alone: nothing moves back.
    store.replicate(&rows).await.unwrap();
    store.replicate(&rows[1..2]).await.unwrap();
    assert_eq!(store.commune_base("35001").await.unwrap().addresses, vec![moved.clone()]);
    assert_eq!(store.last_seq().await.unwrap(), origin + 9);
    assert_eq!(store.changes_since(origin - 1, 100).await.unwrap().len(), 4);
    let next = store.apply_changes(changes_of(commune("35002", 0), vec![], vec![], 0)).await.unwrap();
    assert_eq!(next.first_seq, origin + 10);
}

/// Mandataires and chefs de file; a client linked to them reads its mandataire's name and its
/// chef de file's perimeters; changes of clients, their tokens and legacy ids.
pub async fn administration_records(store: Arc<dyn Store>) {
    let store = &*store;
    let now = Utc::now();
    let mandataire = Mandataire {
        id: object_id(now),
        nom: "ACME".into(),
        email: "contact@acme.example".into(),
        created_at: now,
        updated_at: now,
    };
    let mandataire = store.create_mandataire(mandataire).await.unwrap();
    assert_eq!(store.mandataire(&mandataire.id).await.unwrap().as_ref(), Some(&mandataire));
    let chef = ChefDeFile {
        id: object_id(now),
        nom: "CC Coeur du Pays Haut".into(),
        email: "sig@example.org".into(),
        is_email_public: true,
        is_signataire_charte: false,
        perimeters: vec![Perimeter::parse("epci:200070290").unwrap()],
        created_at: now,
        updated_at: now,
    };
    let chef = store.create_chef_de_file(chef).await.unwrap();
    assert_eq!(store.chefs_de_file().await.unwrap(), vec![chef.clone()]);

    let new = NewClient {
        id: object_id(now),
        nom: "Éditeur".into(),
        mandataire: "ACME".into(),
        email: None,
        authorization_strategy: AuthorizationStrategy::ChefDeFile,
        perimeters: vec![Perimeter::parse("departement:54").unwrap()],
        token: token(),
    };
    let links = ClientLinks {
        mandataire_id: Some(mandataire.id.clone()),
        chef_de_file_id: Some(chef.id.clone()),
        legacy_id: Some("mes-adresses".into()),
        disabled: false,
    };
    let client = store.create_client_linked(new, links).await.unwrap();
    assert_eq!(client.perimeters, chef.perimeters, "its chef de file's perimeters");
    assert_eq!(
        (client.mandataire_id.as_deref(), client.legacy_id.as_deref()),
        (Some(mandataire.id.as_str()), Some("mes-adresses"))
    );
    assert!(client.is_active);

    // The mandataire renamed, the chef de file's perimeters changed: the client reads them.
    let renamed = Mandataire { nom: "ACME France".into(), updated_at: Utc::now(), ..mandataire.clone() };
    assert_eq!(store.update_mandataire(&renamed).await.unwrap().nom, "ACME France");
    let wider = ChefDeFile { perimeters: vec![Perimeter::parse("departement:67").unwrap()], ..chef.clone() };
    store.update_chef_de_file(&wider).await.unwrap();
    let read = store.client_by_token(client.token.expose()).await.unwrap().unwrap();
    assert_eq!(
        (read.mandataire.as_str(), read.perimeters.clone()),
        ("ACME France", wider.perimeters.clone())
    );

    // Unlinked from its chef de file, it reads its own perimeters again.
    let changes = ClientChanges {
        chef_de_file_id: Some(None),
        nom: Some("Éditeur 2".into()),
        ..ClientChanges::default()
    };
    let changed = store.update_client(&client.id, changes, Utc::now()).await.unwrap();
    assert_eq!((changed.nom.as_str(), changed.chef_de_file_id.as_deref()), ("Éditeur 2", None));
    assert_eq!(changed.perimeters, vec![Perimeter::parse("departement:54").unwrap()]);
    assert!(changed.updated_at >= client.updated_at);

    // A new token: the old one no longer finds the client.
    let fresh = token();
    let changes =
        ClientChanges { token: Some(fresh.clone()), is_active: Some(false), ..ClientChanges::default() };
    let changed = store.update_client(&client.id, changes, Utc::now()).await.unwrap();
    assert!(!changed.is_active);
    assert!(store.client_by_token(client.token.expose()).await.unwrap().is_none());
    assert_eq!(store.client_by_token(fresh.expose()).await.unwrap().map(|c| c.id), Some(client.id.clone()));

    // A legacy id is one client's only; unknown records are NotFound.
    let other = new_client(store, AuthorizationStrategy::Internal).await;
    let taken = ClientChanges { legacy_id: Some(Some("mes-adresses".into())), ..ClientChanges::default() };
    assert!(matches!(store.update_client(&other.id, taken, Utc::now()).await, Err(StoreError::Conflict(_))));
    let nobody = "0123456789abcdef01234567";
    let named = ClientChanges { nom: Some("X".into()), ..ClientChanges::default() };
    assert!(matches!(store.update_client(nobody, named, Utc::now()).await, Err(StoreError::NotFound(_))));
    let ghost = Mandataire { id: nobody.into(), ..mandataire };
    assert!(matches!(store.update_mandataire(&ghost).await, Err(StoreError::NotFound(_))));
    let ghost = ChefDeFile { id: nobody.into(), ..chef };
    assert!(matches!(store.update_chef_de_file(&ghost).await, Err(StoreError::NotFound(_))));
}

/// `/last-revisions` and the statistics: the latest revision of each commune as each viewer
/// sees it, and publications counted by day.
pub async fn statistics_and_last_revisions(store: Arc<dyn Store>) {
    let store = &*store;
    let links = ClientLinks { legacy_id: Some("mes-adresses".into()), ..ClientLinks::default() };
    let mes_adresses = store
        .create_client_linked(
            NewClient {
                id: object_id(Utc::now()),
                nom: "Mes Adresses".into(),
                mandataire: "ANCT".into(),
                email: None,
                authorization_strategy: AuthorizationStrategy::Internal,
                perimeters: vec![],
                token: token(),
            },
            links,
        )
        .await
        .unwrap();
    let other = new_client(store, AuthorizationStrategy::Internal).await;
    let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
    let publish = |client: ban_store::Client, commune: &'static str, when: &'static str| async move {
        let revision = ready_revision(store, &client, commune).await;
        store.publish(&revision.id, Publication { habilitation: None, at: at(when) }).await.unwrap();
        revision.id
    };
    publish(mes_adresses.clone(), "54084", "2000-01-02T23:30:00Z").await;
    let current = publish(other.clone(), "54084", "2000-01-03T00:30:00Z").await;
    publish(other.clone(), "67482", "2000-01-03T10:00:00Z").await;
    // A draft of `other`, not valid.
    let draft = new_revision(store, &other, "54084").await;
    store.attach_file(&draft.id, file_for(&draft, b"x"), b"x").await.unwrap();
    let mut invalid = ready(store, "54084", 1).await;
    (invalid.is_ready, invalid.validation) =
        (false, serde_json::value::to_raw_value(&json!({"valid": false})).unwrap());
    store.save_validation(&draft.id, invalid, Utc::now()).await.unwrap();

    let page = PageRequest { offset: 0, limit: 10 };
    let public = store.last_revisions(Viewer::Anyone, page).await.unwrap();
    assert_eq!(public.total, 2);
    let communes: Vec<(&str, &str)> =
        public.items.iter().map(|r| (r.code_commune.as_str(), r.id.as_str())).collect();
    assert_eq!(communes[0], ("54084", current.as_str()));
    assert_eq!(public.items[0].is_valid, Some(true));
    let own = store.last_revisions(Viewer::Client(&other.id), page).await.unwrap();
    assert_eq!((own.items[0].id.as_str(), own.items[0].is_valid), (draft.id.as_str(), Some(false)));
    assert_eq!(own.items[0].status, RevisionStatus::Pending);
    let theirs = store.last_revisions(Viewer::Client(&mes_adresses.id), page).await.unwrap();
    assert_eq!(theirs.items[0].id, current);
    let admin = store.last_revisions(Viewer::Admin, PageRequest { offset: 1, limit: 1 }).await.unwrap();
    assert_eq!((admin.total, admin.items.len(), admin.items[0].code_commune.as_str()), (2, 1, "67482"));

    // Days are UTC days.
    let firsts = store.first_publications(at("2000-01-04T00:00:00Z")).await.unwrap();
    let days: Vec<(&str, u64, u64)> =
        firsts.iter().map(|f| (f.day.as_str(), f.counts.total, f.counts.via_mes_adresses)).collect();
    assert_eq!(days, [("2000-01-02", 1, 1), ("2000-01-03", 1, 0)]);
    assert_eq!(store.first_publications(at("2000-01-03T00:00:00Z")).await.unwrap().len(), 1);
    let publications =
        store.publications(at("2000-01-03T00:00:00Z"), at("2000-01-04T00:00:00Z")).await.unwrap();
    let rows: Vec<(&str, &str, u64)> =
        publications.iter().map(|p| (p.day.as_str(), p.code_commune.as_str(), p.counts.total)).collect();
    assert_eq!(rows, [("2000-01-03", "54084", 1), ("2000-01-03", "67482", 1)]);
    let all = store.publications(at("1999-12-31T00:00:00Z"), at("2001-01-01T00:00:00Z")).await.unwrap();
    assert_eq!(all[0].counts, PublicationCounts { total: 1, via_mes_adresses: 1, via_moissonneur: 0 });
}

/// A store opened for one case, and what must live as long as it (a temporary directory).
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub guard: Option<Box<dyn std::any::Any + Send>>,
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStore").field("store", &self.store).finish_non_exhaustive()
    }
}

/// One `#[tokio::test]` per case of the suite, each on the store that `$open(case_name)`
/// returns: an `async fn(&'static str) -> Option<TestStore>`, `None` to skip the backend.
/// Citizen reports: created pending with their first event, read with their request and
/// author, listed newest first by commune and status, decided once (a second decision is a
/// precondition failure and changes nothing), expired when left pending, and the communes'
/// settings replaced.
pub async fn reports(store: Arc<dyn Store>) {
    let at = Utc::now().trunc_subsecs(3) - Duration::days(10);
    let new = |id: &str, commune: &str, at: DateTime<Utc>| NewReport {
        id: id.into(),
        code_commune: commune.into(),
        kind: ReportType::LocationToCreate,
        existing_location: None,
        changes_requested: json!({"numero": 12, "suffixe": "bis", "nomVoie": "Rue des Acacias",
            "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": [5.8335, 49.3259]}}]}),
        point: Some([5.8335, 49.3259]),
        author_name: Some("Jeanne Martin".into()),
        author_email: Some("jeanne@example.org".into()),
        source_client_id: None,
        source_ip: None,
        town_hall_digest: false,
        at,
    };
    let first = store.create_report(new("r-1", "54084", at), "public").await.unwrap();
    assert_eq!((first.status, first.kind), (ReportStatus::Pending, ReportType::LocationToCreate));
    assert_eq!(first.changes_requested["suffixe"], "bis");
    assert_eq!((first.lon, first.lat), (Some(5.8335), Some(49.3259)));
    assert_eq!(first.author_email.as_deref(), Some("jeanne@example.org"));
    store.create_report(new("r-2", "54084", at + Duration::days(1)), "public").await.unwrap();
    store.create_report(new("r-3", "54578", at + Duration::days(2)), "public").await.unwrap();
    assert_eq!(store.report("r-1").await.unwrap().as_ref(), Some(&first));
    assert_eq!(store.report("nope").await.unwrap(), None);

    let page = PageRequest { offset: 0, limit: 10 };
    let of_commune = ReportFilter { code_commune: Some("54084".into()), ..ReportFilter::default() };
    let listed = store.reports(&of_commune, page).await.unwrap();
    assert_eq!(listed.total, 2);
    assert_eq!(listed.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["r-2", "r-1"]);

    let decided_at = at + Duration::days(3);
    let decision = ReportDecision {
        status: ReportStatus::Ignored,
        actor: "client-1".into(),
        reason: Some("Signalement en double".into()),
        revision_id: None,
        at: decided_at,
        tell_author: true,
    };
    let ignored = store.decide_report("r-2", decision.clone()).await.unwrap();
    assert_eq!(ignored.status, ReportStatus::Ignored);
    assert_eq!(ignored.processed_by.as_deref(), Some("client-1"));
    assert_eq!(ignored.rejection_reason.as_deref(), Some("Signalement en double"));
    let again = ReportDecision { status: ReportStatus::Processed, ..decision.clone() };
    assert!(matches!(store.decide_report("r-2", again).await, Err(StoreError::Precondition(_))));
    assert!(matches!(store.decide_report("nope", decision).await, Err(StoreError::NotFound(_))));
    let events = store.report_events("r-2").await.unwrap();
    let statuses: Vec<_> = events.iter().map(|e| (e.status, e.actor.as_str())).collect();
    assert_eq!(statuses, [(ReportStatus::Pending, "public"), (ReportStatus::Ignored, "client-1")]);
    let pending = ReportFilter { status: Some(ReportStatus::Pending), ..of_commune.clone() };
    assert_eq!(store.reports(&pending, page).await.unwrap().total, 1);

    // Left pending before the horizon: expired, with an event; the others stay.
    let expired = store.expire_reports(at + Duration::days(2), decided_at).await.unwrap();
    assert_eq!(expired, 1);
    assert_eq!(store.report("r-1").await.unwrap().unwrap().status, ReportStatus::Expired);
    assert_eq!(store.report("r-3").await.unwrap().unwrap().status, ReportStatus::Pending);
    assert_eq!(store.report_events("r-1").await.unwrap().last().unwrap().status, ReportStatus::Expired);

    assert_eq!(store.report_settings("54084").await.unwrap(), None);
    let mut settings = ReportSettings {
        code_commune: "54084".into(),
        accepted: false,
        daily_digest: true,
        updated_by: "client-1".into(),
        updated_at: decided_at,
    };
    store.save_report_settings(&settings).await.unwrap();
    assert_eq!(store.report_settings("54084").await.unwrap().as_ref(), Some(&settings));
    settings.accepted = true;
    store.save_report_settings(&settings).await.unwrap();
    assert_eq!(store.report_settings("54084").await.unwrap().map(|s| s.accepted), Some(true));
}

/// The e-mails of citizen reports: a report told at once queues its town hall's e-mail with
/// it, one told in the digest does not; a decision queues its author's e-mail when they left
/// an address and the decision says so; the day's digest is queued once per commune; e-mails
/// are claimed once, under a lease, and finished. The pending reports of one address are
/// counted and found from one of them.
pub async fn report_mails(store: Arc<dyn Store>) {
    let day = Utc::now().date_naive() - Duration::days(3);
    let noon = day.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let new = |id: &str, commune: &str, ip: Option<&str>, digest: bool, author: Option<&str>| NewReport {
        id: id.into(),
        code_commune: commune.into(),
        kind: ReportType::LocationToCreate,
        existing_location: None,
        changes_requested: json!({"numero": 12, "nomVoie": "Rue des Acacias"}),
        point: None,
        author_name: None,
        author_email: author.map(Into::into),
        source_client_id: None,
        source_ip: ip.map(Into::into),
        town_hall_digest: digest,
        at: noon,
    };
    store
        .create_report(new("m-1", "54084", Some("192.0.2.1"), false, Some("a@example.org")), "public")
        .await
        .unwrap();
    store.create_report(new("m-2", "54084", Some("192.0.2.1"), false, None), "public").await.unwrap();
    store.create_report(new("m-3", "54084", Some("192.0.2.2"), false, None), "public").await.unwrap();
    store.create_report(new("d-1", "54578", Some("192.0.2.1"), true, None), "public").await.unwrap();
    store.create_report(new("d-2", "54578", None, true, None), "public").await.unwrap();
    let mails = store.report_mails("54084").await.unwrap();
    let kinds: Vec<_> = mails.iter().map(|m| (m.kind, m.report_id.as_deref().unwrap())).collect();
    assert_eq!(
        kinds,
        [
            (ReportMailKind::NewReport, "m-1"),
            (ReportMailKind::NewReport, "m-2"),
            (ReportMailKind::NewReport, "m-3")
        ]
    );
    assert!(mails.iter().all(|m| m.status == NoticeStatus::Pending && m.attempts == 0));
    assert_eq!(store.report_mails("54578").await.unwrap(), []);

    // The pending reports of one address, per commune.
    assert_eq!(store.pending_reports_from("54084", "192.0.2.1").await.unwrap(), 2);
    assert_eq!(store.pending_reports_from("54578", "192.0.2.1").await.unwrap(), 1);
    assert_eq!(store.pending_reports_of_same_source("m-2").await.unwrap(), ["m-1", "m-2"]);
    assert_eq!(store.pending_reports_of_same_source("d-2").await.unwrap(), Vec::<String>::new());
    assert!(matches!(store.pending_reports_of_same_source("nope").await, Err(StoreError::NotFound(_))));

    // Decisions: the author told once, when there is one and the decision says so.
    let decision = |status, tell_author| ReportDecision {
        status,
        actor: "client-1".into(),
        reason: Some("Doublon".into()),
        revision_id: None,
        at: noon,
        tell_author,
    };
    store.decide_report("m-1", decision(ReportStatus::Processed, true)).await.unwrap();
    store.decide_report("m-2", decision(ReportStatus::Ignored, true)).await.unwrap();
    store.decide_report("m-3", decision(ReportStatus::Ignored, false)).await.unwrap();
    let kinds: Vec<_> = store
        .report_mails("54084")
        .await
        .unwrap()
        .iter()
        .skip(3)
        .map(|m| (m.kind, m.report_id.clone().unwrap()))
        .collect();
    assert_eq!(kinds, [(ReportMailKind::ProcessedToAuthor, "m-1".to_owned())]);
    assert_eq!(store.pending_reports_from("54084", "192.0.2.1").await.unwrap(), 0);

    // The day's digest: once per commune that has reports to tell in it.
    assert_eq!(store.queue_report_digests(day - Duration::days(1), noon).await.unwrap(), 0);
    assert_eq!(store.queue_report_digests(day, noon).await.unwrap(), 1);
    assert_eq!(store.queue_report_digests(day, noon).await.unwrap(), 0);
    let digests = store.report_mails("54578").await.unwrap();
    assert_eq!(digests.len(), 1);
    assert_eq!(
        (digests[0].kind, digests[0].digest_day.clone()),
        (ReportMailKind::DailyDigest, Some(day.format("%Y-%m-%d").to_string()))
    );
    let told: Vec<_> = store.digest_reports("54578", day).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(told, ["d-1", "d-2"]);
    assert_eq!(store.digest_reports("54084", day).await.unwrap(), []);

    // Claimed once, oldest first, under a lease; a finished one is not claimed again.
    let now = Utc::now();
    let first = store.claim_report_mail("s-1", now, now + Duration::minutes(5)).await.unwrap().unwrap();
    assert_eq!(
        (first.report_id.as_deref(), first.status, first.attempts),
        (Some("m-1"), NoticeStatus::Sending, 1)
    );
    let second = store.claim_report_mail("s-2", now, now + Duration::minutes(5)).await.unwrap().unwrap();
    assert_ne!(first.id, second.id);
    store
        .finish_report_mail(first.id, NoticeEnd::Sent { recipients: vec!["mairie@example.org".into()] }, now)
        .await
        .unwrap();
    let later = now + Duration::hours(1);
    store
        .finish_report_mail(second.id, NoticeEnd::Retry { error: "away".into(), not_before: later }, now)
        .await
        .unwrap();
    let mut claimed = Vec::new();
    while let Some(mail) = store.claim_report_mail("s-1", now, now + Duration::minutes(5)).await.unwrap() {
        claimed.push(mail.id);
    }
    assert_eq!(claimed.len(), 3, "the other mails, not the sent one nor the one waiting: {claimed:?}");
    assert!(!claimed.contains(&first.id) && !claimed.contains(&second.id));
    // Leases run out: taken over; the retried one is due again.
    let after = later + Duration::minutes(1);
    let again = store.claim_report_mail("s-3", after, after + Duration::minutes(5)).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (second.id, 2));
    let sent = store.report_mails("54084").await.unwrap().into_iter().find(|m| m.id == first.id).unwrap();
    assert_eq!((sent.status, sent.recipients.as_deref()), (NoticeStatus::Sent, Some("mairie@example.org")));
    assert!(sent.sent_at.is_some());
    assert!(matches!(
        store.finish_report_mail(-1, NoticeEnd::Failed { error: "x".into() }, now).await,
        Err(StoreError::NotFound(_))
    ));
}

#[macro_export]
macro_rules! store_conformance_tests {
    ($open:path) => {
        $crate::store_conformance_tests!(@cases $open;
            clients, revision_lifecycle, revision_pages_and_drafts, publication_guards, outdated_checks,
            concurrent_publications, habilitations, habilitation_cap, directory, audit_log,
            refusal_notices, forced_jobs, administration_records, statistics_and_last_revisions,
            job_queue, job_takeover, base_and_feed, concurrent_changes, feed_readers, replication, reports, report_mails);
    };
    (@cases $open:path; $($case:ident),+) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let Some(opened) = $open(stringify!($case)).await else { return };
            $crate::$case(opened.store.clone()).await;
            drop(opened);
        }
    )+};
}
