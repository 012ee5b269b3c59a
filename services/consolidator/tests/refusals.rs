//! What a consolidation ends with, on SQLite and on PostgreSQL (when `TEST_DATABASE_URL` is
//! set): an applied plan says what it added, updated, deleted and left; a plan that deletes
//! more than 80 % of a commune's addresses, or takes another commune's id, ends its job
//! refused with its reason and owes its two notices once, however often it is tried; forced
//! by an administrator, it is applied (another commune's ids left to it). A publication that
//! does what a pending citizen report asked closes it.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use ban_consolidator::Consolidator;
use ban_store::ids::{object_id, token};
use ban_store::{
    AuthorizationStrategy, BanId, ChangeCounts, ComputedValidation, Job, JobStatus, NewClient, NewReport,
    NewRevision, NoticeKind, ObjectCounts, Publication, Refusal, ReportMailKind, ReportStatus, ReportType,
    Store, StoredFile,
};
use chrono::Utc;
use serde_json::json;

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ban.db").display());
    (Arc::new(ban_store_sqlite::open(&url).await.unwrap()), dir)
}

async fn postgres(test: &str) -> Option<Arc<dyn Store>> {
    let url = std::env::var("TEST_DATABASE_URL").ok()?;
    let url = ban_store_postgres::fresh_schema(&url, &format!("ntf_{test}")).await.unwrap();
    Some(Arc::new(ban_store_postgres::open(&url, 4).await.unwrap()))
}

/// Runs a test body on every available backend.
macro_rules! on_every_backend {
    ($name:ident, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let body = $body;
            let (store, _dir) = sqlite().await;
            body(store).await;
            if let Some(store) = postgres(stringify!($name)).await {
                body(store).await;
            }
        }
    };
}

/// An address of a test file: its BAN id, number and certification.
#[derive(Debug, Clone, Copy)]
struct Row {
    id: BanId,
    numero: u32,
    certified: bool,
}

fn new_id() -> BanId {
    BanId::from_random(rand::random())
}

/// A BAL file of one street of `commune` (id `street`), a row per address.
fn file(commune: &str, street: BanId, rows: &[Row]) -> Vec<u8> {
    let mut text = String::from(
        "id_ban_toponyme;id_ban_adresse;cle_interop;commune_insee;voie_nom;numero;suffixe;certification_commune\n",
    );
    for row in rows {
        text.push_str(&format!(
            "{street};{};{commune}_0001_{:05};{commune};Rue des Essais;{};;{}\n",
            row.id,
            row.numero,
            row.numero,
            u8::from(row.certified)
        ));
    }
    text.into_bytes()
}

struct Harness {
    store: Arc<dyn Store>,
    client: ban_store::Client,
    worker: Consolidator,
}

impl Harness {
    async fn new(store: Arc<dyn Store>) -> Self {
        let client = store
            .create_client(NewClient {
                id: object_id(Utc::now()),
                nom: "Éditeur".into(),
                mandataire: "Éditeur".into(),
                email: Some("contact@editeur.example".into()),
                authorization_strategy: AuthorizationStrategy::Internal,
                perimeters: vec![],
                token: token(),
            })
            .await
            .unwrap();
        Harness { worker: Consolidator::new(store.clone()), store, client }
    }

    /// Publishes `bytes` for `commune` through the store and consolidates it: its job.
    async fn publish(&self, commune: &str, bytes: Vec<u8>) -> Job {
        let now = Utc::now();
        let new = NewRevision {
            id: object_id(now),
            client_id: self.client.id.clone(),
            code_commune: commune.into(),
            context: json!({}),
        };
        let revision = self.store.create_revision(new, now).await.unwrap();
        let file = StoredFile {
            id: object_id(now),
            revision_id: revision.id.clone(),
            size: bytes.len() as i64,
            hash: "00".repeat(32),
            kind: "bal".into(),
            created_at: now,
        };
        self.store.attach_file(&revision.id, file, &bytes).await.unwrap();
        let computed = ComputedValidation {
            validation: serde_json::value::to_raw_value(&json!({"valid": true})).unwrap(),
            is_ready: true,
            rows_count: 1,
            checked_against: self.store.current_revision(commune).await.unwrap().map(|r| r.id),
        };
        self.store.save_validation(&revision.id, computed, now).await.unwrap();
        self.store.publish(&revision.id, Publication { habilitation: None, at: now }).await.unwrap();
        self.consolidate(&revision.id).await
    }

    /// Works the pending jobs: the revision's job as it ended.
    async fn consolidate(&self, revision: &str) -> Job {
        self.worker.run_pending().await.unwrap();
        self.store.revision_job(revision).await.unwrap().unwrap()
    }

    async fn active_ids(&self, commune: &str) -> Vec<BanId> {
        let base = self.store.commune_base(commune).await.unwrap();
        base.addresses.iter().filter(|a| a.active).map(|a| a.id).collect()
    }
}

fn counts(addresses: ObjectCounts, toponyms: ObjectCounts) -> Option<ChangeCounts> {
    Some(ChangeCounts { addresses, toponyms })
}

fn c(added: u64, updated: u64, deleted: u64, unchanged: u64) -> ObjectCounts {
    ObjectCounts { added, updated, deleted, unchanged }
}

on_every_backend!(applied_plans_say_what_they_changed, |store: Arc<dyn Store>| async move {
    let h = Harness::new(store).await;
    let street = new_id();
    let mut rows: Vec<Row> = (1..=10).map(|numero| Row { id: new_id(), numero, certified: false }).collect();
    let job = h.publish("54084", file("54084", street, &rows)).await;
    assert_eq!((job.status, job.outcome.as_deref()), (JobStatus::Done, Some("applied")));
    assert_eq!(job.counts, counts(c(10, 0, 0, 0), c(1, 0, 0, 0)));
    rows[0].certified = true;
    rows.push(Row { id: new_id(), numero: 11, certified: false });
    let job = h.publish("54084", file("54084", street, &rows[1..])).await;
    assert_eq!(job.counts, counts(c(1, 0, 1, 9), c(0, 0, 0, 1)), "one added, one deleted");
    let job = h.publish("54084", file("54084", street, &rows)).await;
    assert_eq!(job.counts, counts(c(1, 0, 0, 10), c(0, 0, 0, 1)), "a deleted address given again is added");
    assert!(job.refusal.is_none() && job.forced_at.is_none());
});

on_every_backend!(a_mass_deletion_is_refused_once_then_forced, |store: Arc<dyn Store>| async move {
    let h = Harness::new(store).await;
    let street = new_id();
    let rows: Vec<Row> = (1..=10).map(|numero| Row { id: new_id(), numero, certified: false }).collect();
    h.publish("54084", file("54084", street, &rows)).await;
    let job = h.publish("54084", file("54084", street, &rows[..1])).await;
    let refusal = Refusal::MassDeletion { disabled: 9, active: 10, percent: 90.0, limit: 80.0 };
    assert_eq!((job.status, job.outcome.as_deref()), (JobStatus::Failed, Some("refused")));
    assert_eq!(job.refusal.as_ref(), Some(&refusal));
    assert_eq!(job.attempts, 1, "refused for good at once, not tried again");
    assert_eq!(
        job.message.as_deref(),
        Some("Plus de 80 % des adresses supprimées : la publication supprimerait 9 des 10 adresses de la commune (90 %).")
    );
    assert_eq!(h.active_ids("54084").await.len(), 10, "the base is left as it was");
    let notices = h.store.notices(&job.revision_id).await.unwrap();
    assert_eq!(
        notices.iter().map(|n| n.kind).collect::<Vec<_>>(),
        [NoticeKind::RefusalToProducer, NoticeKind::RefusalToTownHall]
    );

    // An operator retries it: refused again, nothing more owed.
    h.store.retry_job(job.id, Utc::now()).await.unwrap();
    let again = h.consolidate(&job.revision_id).await;
    assert_eq!((again.id, again.outcome.as_deref()), (job.id, Some("refused")));
    assert_eq!(h.store.notices(&job.revision_id).await.unwrap(), notices);

    // An administrator forces it: applied.
    let forced = h.store.force_job(job.id, Utc::now()).await.unwrap();
    assert!(forced.forced_at.is_some());
    let applied = h.consolidate(&job.revision_id).await;
    assert_eq!((applied.status, applied.outcome.as_deref()), (JobStatus::Done, Some("applied")));
    assert_eq!(applied.counts, counts(c(0, 0, 9, 1), c(0, 0, 0, 1)));
    assert_eq!((applied.refusal.as_ref(), applied.forced_at), (Some(&refusal), forced.forced_at));
    assert_eq!(h.active_ids("54084").await, [rows[0].id]);
    assert_eq!(h.store.notices(&job.revision_id).await.unwrap().len(), 2, "no notice for a forced plan");
});

on_every_backend!(
    another_communes_id_is_refused_then_left_out_when_forced,
    |store: Arc<dyn Store>| async move {
        let h = Harness::new(store).await;
        let theirs: Vec<Row> = (1..=3).map(|numero| Row { id: new_id(), numero, certified: false }).collect();
        h.publish("54084", file("54084", new_id(), &theirs)).await;
        let ours = vec![
            Row { id: new_id(), numero: 1, certified: false },
            Row { id: theirs[1].id, numero: 2, certified: false },
        ];
        let job = h.publish("54085", file("54085", new_id(), &ours)).await;
        let refusal = Refusal::ForeignId { line: 3, id: theirs[1].id.to_string(), owner: "54084".into() };
        assert_eq!((job.outcome.as_deref(), job.refusal.as_ref()), (Some("refused"), Some(&refusal)));
        assert!(job.message.as_deref().unwrap().starts_with("Identifiant d’une autre commune"), "{job:?}");
        assert!(h.active_ids("54085").await.is_empty());

        h.store.force_job(job.id, Utc::now()).await.unwrap();
        let applied = h.consolidate(&job.revision_id).await;
        assert_eq!(applied.counts, counts(c(2, 0, 0, 0), c(1, 0, 0, 0)));
        let mine = h.active_ids("54085").await;
        assert_eq!(mine.len(), 2);
        assert!(
            mine.contains(&ours[0].id) && !mine.contains(&theirs[1].id),
            "the other commune's id left out"
        );
        assert_eq!(h.active_ids("54084").await, theirs.iter().map(|r| r.id).collect::<Vec<_>>(), "untouched");
    }
);

/// Where number `n` of the located test street is.
fn at(n: u32) -> [f64; 2] {
    [5.8335 + f64::from(n) * 0.0002, 49.3259]
}

/// A BAL file of one located street of `commune`: each address at `at(numero)`, moved by
/// `shift` degrees of longitude.
fn located_file(commune: &str, street: BanId, rows: &[Row], shift: f64) -> Vec<u8> {
    let mut text = String::from("id_ban_toponyme;id_ban_adresse;cle_interop;commune_insee;voie_nom;numero;suffixe;position;long;lat\n");
    for row in rows {
        let [lon, lat] = at(row.numero);
        text.push_str(&format!(
            "{street};{};{commune}_0001_{:05};{commune};Rue des Essais;{};;entrée;{:.6};{lat:.6}\n",
            row.id,
            row.numero,
            row.numero,
            lon + shift
        ));
    }
    text.into_bytes()
}

/// A pending report of 54084, stored as the depot stores it.
async fn report(
    store: &dyn Store,
    id: &str,
    kind: ReportType,
    existing: Option<serde_json::Value>,
    changes: serde_json::Value,
) {
    let new = NewReport {
        id: id.into(),
        code_commune: "54084".into(),
        kind,
        existing_location: existing,
        changes_requested: changes,
        point: None,
        author_name: None,
        author_email: Some("habitant@example.org".into()),
        source_client_id: None,
        source_ip: None,
        town_hall_digest: false,
        at: Utc::now(),
    };
    store.create_report(new, "public").await.unwrap();
}

fn number_asked(numero: u32) -> serde_json::Value {
    json!({"numero": numero, "nomVoie": "rue des essais",
        "positions": [{"type": "entrée", "point": {"type": "Point", "coordinates": at(numero)}}]})
}

on_every_backend!(a_publication_closes_the_reports_it_answers, |store: Arc<dyn Store>| async move {
    let h = Harness::new(store).await;
    let street = new_id();
    let rows: Vec<Row> = (1..=10).map(|numero| Row { id: new_id(), numero, certified: false }).collect();
    h.publish("54084", located_file("54084", street, &rows, 0.0)).await;
    let voie = json!({"type": "VOIE", "nom": "Rue des Essais"});
    report(&*h.store, "create-11", ReportType::LocationToCreate, Some(voie.clone()), number_asked(11)).await;
    report(&*h.store, "create-12", ReportType::LocationToCreate, Some(voie.clone()), number_asked(12)).await;
    let demolished = json!({"type": "NUMERO", "numero": 3, "banId": rows[2].id.to_string()});
    report(
        &*h.store,
        "delete-3",
        ReportType::LocationToDelete,
        Some(demolished),
        json!({"comment": "démolie"}),
    )
    .await;
    let rename = json!({"nom": "Rue des Tests"});
    report(&*h.store, "rename", ReportType::LocationToUpdate, Some(voie), rename).await;

    // The next publication adds number 11 (3 m from where it was asked) and deletes number 3.
    let mut next: Vec<Row> = rows.iter().copied().filter(|r| r.numero != 3).collect();
    next.push(Row { id: new_id(), numero: 11, certified: false });
    let job = h.publish("54084", located_file("54084", street, &next, 0.00004)).await;
    assert_eq!(job.outcome.as_deref(), Some("applied"));
    let revision = h.store.current_revision("54084").await.unwrap().unwrap().id;
    for id in ["create-11", "delete-3"] {
        let closed = h.store.report(id).await.unwrap().unwrap();
        assert_eq!(closed.status, ReportStatus::Processed, "{id}");
        assert_eq!(closed.processed_by.as_deref(), Some(ban_consolidator::CONSOLIDATION_ACTOR));
        assert_eq!(closed.processed_revision_id.as_deref(), Some(revision.as_str()));
        let events = h.store.report_events(id).await.unwrap();
        assert_eq!(events.last().unwrap().revision_id.as_deref(), Some(revision.as_str()));
    }
    for id in ["create-12", "rename"] {
        assert_eq!(h.store.report(id).await.unwrap().unwrap().status, ReportStatus::Pending, "{id}");
    }
    // The authors of the closed reports are owed an e-mail (sent by the depot's notifier).
    let mut told: Vec<_> = h
        .store
        .report_mails("54084")
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == ReportMailKind::ProcessedToAuthor)
        .map(|m| m.report_id.unwrap())
        .collect();
    told.sort();
    assert_eq!(told, ["create-11", "delete-3"]);
});
