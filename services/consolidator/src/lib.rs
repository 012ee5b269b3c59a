//! The consolidation worker: claims the jobs that publications queue, reads the published
//! file, plans the changes to the commune's part of the national base with
//! `ban-consolidation`, and applies them with their change feed in one transaction.
//!
//! A crash at any point leaves the base as it was and the job claimable again: at once when a
//! worker that starts recognises the dead one (see [`Consolidator::take_back_dead_workers`]),
//! else once its lease runs out; running a job twice changes nothing the second time (the
//! commune already holds the revision). A job that fails for a passing reason is tried again
//! after a growing wait, then fails for good. Several workers may run against one PostgreSQL
//! store: a commune is worked on by one of them at a time, and a plan made on a state another
//! worker changed meanwhile is refused by the store and made again.
//!
//! A plan that breaks a rule of the base (an id of another commune, a mass deletion) ends its
//! job refused, with the reason the producer is shown and the e-mails it is owed (see
//! `ban_store::Refusal`); the job is not tried again, unless an operator retries it or an
//! administrator forces it, which applies the plan despite the rule.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ban_bal::records::{read_records, BalRecord};
use ban_consolidation::{plan, Changeset, CommuneState, PlanError, Row};
use ban_domain::base::{Address, Commune, CommuneSource, Toponym};
use ban_domain::BanId;
use ban_reports::AppliedChanges;
use ban_spatial::contours::Contours;
use ban_store::{
    BaseChanges, ChangeCounts, Job, JobEnd, ObjectCounts, PageRequest, Refusal, Report, ReportDecision,
    ReportFilter, ReportStatus, Revision, Store, StoreError,
};
use chrono::Utc;
use rustc_hash::{FxHashMap, FxHashSet};
use tracing::Instrument;

pub mod config;

pub use config::{ConsolidatorArgs, ConsolidatorConfig};

/// Production drops positions farther than this outside their commune's contour.
pub const OUTSIDE_TOLERANCE_M: f64 = 5_000.0;
/// A job failing for a passing reason (the database busy or away) is tried this many times,
/// then fails for good.
pub const MAX_ATTEMPTS: i32 = 5;
/// The wait before a job's second attempt, doubled before each next one (2, 4, 8, 16 s:
/// half a minute of trouble is ridden out) and never longer than [`MAX_BACKOFF`].
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(2);
/// The longest wait between two attempts of a job.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// A plan refused because the commune changed meanwhile is made again this many times.
const MAX_REPLANS: usize = 3;

/// Why a commune could not be consolidated.
#[derive(Debug, thiserror::Error)]
pub enum ConsolidateError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("the file of revision {revision} cannot be read: {reason}")]
    Unreadable { revision: String, reason: String },
    #[error("revision {0} not found, or without a file")]
    MissingRevision(String),
    #[error("commune {0} kept changing while it was consolidated")]
    Busy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConsolidateError {
    /// Whether trying again later may succeed.
    fn is_passing(&self) -> bool {
        match self {
            ConsolidateError::Busy(_) => true,
            ConsolidateError::Store(error) => error.is_transient(),
            _ => false,
        }
    }
}

/// The refusal stored and shown for a planner's error.
pub fn refusal_of(error: &PlanError) -> Refusal {
    match error {
        PlanError::MassDeletion { disabled, active, percent } => Refusal::MassDeletion {
            disabled: *disabled as u64,
            active: *active as u64,
            percent: *percent,
            limit: ban_consolidation::DELETION_REFUSED_RATIO * 100.0,
        },
        PlanError::ForeignId { line, id, owner } => {
            Refusal::ForeignId { line: *line, id: id.to_string(), owner: owner.clone() }
        }
    }
}

/// What consolidating a commune did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Changes written: so many objects changed, up to this seq of the feed.
    Applied { toponyms: usize, addresses: usize, last_seq: i64, counts: ChangeCounts },
    /// The base already holds this revision.
    Unchanged,
    /// A later revision of the commune was published: its job does the work.
    Superseded,
    /// Not applied, and rightly so (a legacy export for a commune that publishes its BAL).
    Skipped(String),
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Applied { .. } => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Superseded => "superseded",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// Rows of one commune to make the commune's part of the base.
#[derive(Debug, Clone)]
pub struct Input {
    pub commune: String,
    pub source: CommuneSource,
    /// The published revision the rows come from (BAL source).
    pub revision: Option<Revision>,
    /// The commune's BAN id, when the file gives it.
    pub commune_id: Option<BanId>,
    pub rows: Vec<Row>,
    /// The job this completes.
    pub job: Option<i64>,
    /// An administrator forced the plan past its refusal: a mass deletion is let through, and
    /// ids that belong to other communes are left out (those communes keep them).
    pub force: bool,
}

/// How often a worker reads the job queue for its gauges.
const QUEUE_METRICS_EVERY: Duration = Duration::from_secs(5);

/// The worker.
#[derive(Debug, Clone)]
pub struct Consolidator {
    store: Arc<dyn Store>,
    /// The worker's name in the job queue: `host:pid` (see [`worker_id`]).
    worker: String,
    lease: Duration,
    idle: Duration,
    backoff: Duration,
}

/// The wait after a job's `attempts`-th failed attempt: `first`, doubled for each attempt
/// before, at most [`MAX_BACKOFF`].
fn backoff(first: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
    first.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// This process's name in the job queue, `host:pid`: the jobs it holds say who holds them,
/// and a worker that starts on the same host can tell whether that process still runs.
pub fn worker_id() -> String {
    format!("{}:{}", this_host(), std::process::id())
}

/// The machine's host name (a container's own, in a container), without `:`.
fn this_host() -> String {
    hostname::get()
        .ok()
        .and_then(|name| name.into_string().ok())
        .filter(|name| !name.is_empty())
        .map_or_else(|| "localhost".to_owned(), |name| name.replace(':', "_"))
}

/// Whether the worker `holder` is dead, as far as a worker named `me` that has just started
/// (and claimed nothing yet) can tell: a holder of its own name is a previous instance of it
/// (a container restarted keeps its host name, and its process is pid 1 again); a holder on
/// the same host whose process no longer runs is dead (or is this process, new under that
/// pid). A holder on another host, or not named `host:pid`, is left to its lease.
fn is_dead(holder: &str, me: &str) -> bool {
    if holder == me {
        return true;
    }
    let Some((host, pid)) = holder.rsplit_once(':') else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    host == this_host() && (pid == std::process::id() || !process_runs(pid))
}

/// Whether a process of this host runs (`/proc/PID` exists). Where there is no `/proc`,
/// every process is taken to run: only leases take jobs back there.
fn process_runs(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

impl Consolidator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Consolidator {
            store,
            worker: worker_id(),
            lease: config::DEFAULT_LEASE,
            idle: Duration::from_millis(200),
            backoff: DEFAULT_BACKOFF,
        }
    }

    /// The worker's name in the job queue.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Takes back at once the jobs that dead workers hold (see [`is_dead`]), rather than
    /// letting them wait for their leases: a restarted `ban serve` resumes its interrupted
    /// job as soon as it starts. Call it once when the process starts, before any of its
    /// workers claims a job (they share its name). Returns how many jobs were taken back.
    pub async fn take_back_dead_workers(&self) -> Result<u64, StoreError> {
        let dead: Vec<String> = self
            .store
            .job_holders()
            .await?
            .into_iter()
            .filter(|holder| is_dead(holder, &self.worker))
            .collect();
        if dead.is_empty() {
            return Ok(0);
        }
        let released = self.store.release_jobs(&dead, Utc::now()).await?;
        tracing::warn!(workers = ?dead, jobs = released, "jobs of dead workers taken back");
        Ok(released)
    }

    /// The wait before a failed job's second attempt (doubled before each next one).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// When a job that failed on its `attempts`-th attempt may be tried again.
    fn retry_at(&self, attempts: i32, now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        let wait = backoff(self.backoff, attempts);
        now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero())
    }

    /// How long a claimed job stays with this worker (if it dies, others wait that long).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long to wait before looking for jobs again when there were none.
    pub fn with_idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// Works jobs until `shutdown` resolves; a job under way is finished first.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        tracing::info!(worker = %self.worker, "consolidator started");
        let mut queue_read: Option<std::time::Instant> = None;
        loop {
            if queue_read.is_none_or(|at| at.elapsed() >= QUEUE_METRICS_EVERY) {
                queue_read = Some(std::time::Instant::now());
                self.record_queue().await;
            }
            let worked = match self.work_one().await {
                Ok(worked) => worked,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim jobs");
                    false
                }
            };
            if worked {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.idle) => {}
            }
        }
        tracing::info!("consolidator stopped");
    }

    /// The queue's gauges (every worker reports them: take the max across workers).
    async fn record_queue(&self) {
        let now = Utc::now();
        match self.store.job_queue(now).await {
            Ok(queue) => {
                metrics::gauge!("consolidation_jobs_waiting").set(queue.waiting as f64);
                metrics::gauge!("consolidation_jobs_running").set(queue.running as f64);
                let waited = queue
                    .oldest_waiting
                    .map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
                metrics::gauge!("consolidation_oldest_waiting_seconds").set(waited);
                metrics::gauge!("consolidation_jobs_failed").set(queue.failed as f64);
            }
            Err(error) => tracing::warn!(%error, "cannot read the job queue"),
        }
    }

    /// Works jobs until none can be claimed; returns how many were worked.
    pub async fn run_pending(&self) -> Result<usize, StoreError> {
        let mut worked = 0;
        while self.work_one().await? {
            worked += 1;
        }
        Ok(worked)
    }

    /// Claims one job and works it; `false` when there was none.
    pub async fn work_one(&self) -> Result<bool, StoreError> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(120));
        let Some(job) = self.store.claim_job(&self.worker, now, now + lease).await? else {
            return Ok(false);
        };
        let span =
            tracing::info_span!("job", id = job.id, commune = %job.code_commune, revision = %job.revision_id);
        let end = self.outcome(&job).instrument(span).await;
        if let Some(end) = end {
            self.store.finish_job(job.id, end, Utc::now()).await?;
        }
        Ok(true)
    }

    /// Works a claimed job; how it ends, unless the transaction that applied it ended it.
    async fn outcome(&self, job: &Job) -> Option<JobEnd> {
        let started = std::time::Instant::now();
        let result = self.process(job).await;
        let name = match &result {
            Ok(outcome) => outcome.name(),
            Err(ConsolidateError::Plan(_)) => "refused",
            Err(error) if error.is_passing() && job.attempts < MAX_ATTEMPTS => "retry",
            Err(_) => "failed",
        };
        metrics::histogram!("consolidation_duration_seconds", "outcome" => name)
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("consolidation_jobs_total", "outcome" => name).increment(1);
        match result {
            Ok(outcome) => {
                tracing::info!(outcome = ?outcome, ms = started.elapsed().as_millis() as u64, "job done");
                match outcome {
                    // Marked done by the transaction that applied the changes.
                    Outcome::Applied { .. } => None,
                    Outcome::Skipped(message) => {
                        Some(JobEnd::Done { outcome: "skipped", message: Some(message) })
                    }
                    other => Some(JobEnd::Done { outcome: other.name(), message: None }),
                }
            }
            Err(ConsolidateError::Plan(error)) => {
                // For good, with its reason: the producer and the town hall are told (once per
                // revision) and the job waits for a new publication or an administrator.
                tracing::warn!(%error, "plan refused");
                Some(JobEnd::Refused { refusal: refusal_of(&error) })
            }
            Err(error) if error.is_passing() && job.attempts < MAX_ATTEMPTS => {
                let not_before = self.retry_at(job.attempts, Utc::now());
                tracing::warn!(%error, attempts = job.attempts, %not_before, "job failed, will be tried again");
                Some(JobEnd::Retry { message: error.to_string(), not_before })
            }
            Err(error) => {
                // For good: the commune's base lags its published revision until an operator
                // acts (the job keeps the reason; `consolidation_jobs_failed` counts them).
                tracing::error!(%error, attempts = job.attempts, "job failed for good");
                Some(JobEnd::Failed { message: error.to_string() })
            }
        }
    }

    /// Consolidates the revision of a job.
    pub async fn process(&self, job: &Job) -> Result<Outcome, ConsolidateError> {
        let missing = || ConsolidateError::MissingRevision(job.revision_id.clone());
        let revision = self.store.revision(&job.revision_id).await?.ok_or_else(missing)?;
        if !revision.is_current {
            return Ok(Outcome::Superseded);
        }
        let commune = self.store.base_commune(&job.code_commune).await?;
        if commune.is_some_and(|c| c.revision.as_deref() == Some(revision.id.as_str())) {
            return Ok(Outcome::Unchanged);
        }
        let bytes = self.store.file_bytes(&revision.id).await?.ok_or_else(missing)?;
        let records = tokio::task::spawn_blocking(move || read_records(bytes.as_slice()))
            .await
            .map_err(|e| ConsolidateError::Unreadable {
                revision: revision.id.clone(),
                reason: e.to_string(),
            })?
            .map_err(|e| ConsolidateError::Unreadable {
                revision: revision.id.clone(),
                reason: e.to_string(),
            })?;
        let input = Input {
            commune: job.code_commune.clone(),
            source: CommuneSource::Bal,
            commune_id: records.iter().find_map(|r| r.id_ban_commune),
            rows: rows_of(&records),
            revision: Some(revision),
            job: Some(job.id),
            force: job.forced_at.is_some(),
        };
        self.consolidate(input).await
    }

    /// Makes the commune's part of the base match `input`.
    pub async fn consolidate(&self, mut input: Input) -> Result<Outcome, ConsolidateError> {
        let rows = std::mem::take(&mut input.rows);
        let rows = Arc::new(within_tolerance(&input.commune, rows, Contours::national()));
        // The commune's pending reports, compared with the changes each plan makes.
        let pending = self.pending_reports(&input).await;
        for _ in 0..MAX_REPLANS {
            let base = self.store.commune_base(&input.commune).await?;
            let current_source = base.commune.as_ref().map(|c| c.source);
            if input.source == CommuneSource::Legacy && current_source == Some(CommuneSource::Bal) {
                return Ok(Outcome::Skipped(format!(
                    "commune {} publishes its own BAL: the legacy export does not replace it",
                    input.commune
                )));
            }
            let known: FxHashSet<BanId> =
                base.toponyms.iter().map(|t| t.id).chain(base.addresses.iter().map(|a| a.id)).collect();
            let given: Vec<BanId> = rows
                .iter()
                .flat_map(|r| [r.id_toponyme, r.id_adresse])
                .flatten()
                .filter(|id| !known.contains(id))
                .collect::<FxHashSet<_>>()
                .into_iter()
                .collect();
            let owners: FxHashMap<BanId, String> = self.store.id_owners(&given).await?.into_iter().collect();
            let rows =
                if input.force { without_foreign_ids(&input.commune, &rows, &owners) } else { rows.clone() };
            // A BAL replaces a legacy export whole: no mass-deletion guard then.
            let force = input.force
                || (current_source == Some(CommuneSource::Legacy) && input.source == CommuneSource::Bal);
            let state = CommuneState { toponyms: base.toponyms, addresses: base.addresses };
            let code = input.commune.clone();
            let (planned, state) = tokio::task::spawn_blocking(move || {
                let mut new_id = || BanId::from_random(rand::random());
                let planned = plan(&code, &state, &rows, &owners, &mut new_id, force);
                (planned, state)
            })
            .await
            .map_err(|e| StoreError::database(std::io::Error::other(e.to_string())))?;
            let changeset = planned?;
            for warning in &changeset.warnings {
                tracing::warn!(commune = %input.commune, "{warning}");
            }
            let commune = commune_record(&input, base.commune.as_ref(), &state, &changeset);
            let counts = ChangeCounts {
                addresses: object_counts(&changeset.addresses, |a: &Address| a.active, commune.addresses),
                toponyms: object_counts(&changeset.toponyms, |t: &Toponym| t.active, commune.toponyms),
            };
            let (toponyms, addresses) = (changeset.toponyms.len(), changeset.addresses.len());
            // The pending reports these changes answer, closed once the changes are written.
            let answered: Vec<Report> = if pending.is_empty() {
                Vec::new()
            } else {
                let applied = AppliedChanges::new(&changeset.addresses, &changeset.toponyms, &state.toponyms);
                pending.iter().filter(|r| ban_reports::answered_by(r, &applied)).cloned().collect()
            };
            let changes = BaseChanges {
                commune,
                planned_on: base.version,
                toponyms: changeset.toponyms,
                addresses: changeset.addresses,
                job: input.job,
                counts,
                at: Utc::now(),
            };
            match self.store.apply_changes(changes).await {
                Ok(applied) => {
                    self.close_reports(&input, answered).await;
                    return Ok(Outcome::Applied { toponyms, addresses, last_seq: applied.last_seq, counts });
                }
                Err(StoreError::Conflict(reason)) => {
                    tracing::info!(commune = %input.commune, %reason, "planned again");
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(ConsolidateError::Busy(input.commune))
    }
}

impl Consolidator {
    /// The pending citizen reports of the publication's commune (none for a legacy import,
    /// and none when they cannot be read: closing them waits for the next publication).
    async fn pending_reports(&self, input: &Input) -> Vec<Report> {
        if input.revision.is_none() {
            return Vec::new();
        }
        let filter =
            ReportFilter { code_commune: Some(input.commune.clone()), status: Some(ReportStatus::Pending) };
        match self.store.reports(&filter, PageRequest { offset: 0, limit: MAX_REPORTS_CHECKED }).await {
            Ok(page) => page.items,
            Err(error) => {
                tracing::warn!(commune = %input.commune, %error, "cannot read the pending reports");
                Vec::new()
            }
        }
    }

    /// Marks processed, by the publication's revision, the reports that its changes answer
    /// ([`ban_reports::closing`]). The changes are written already: a report that cannot be
    /// marked is logged and left pending, never a failed job.
    async fn close_reports(&self, input: &Input, answered: Vec<Report>) {
        let Some(revision) = &input.revision else { return };
        for report in answered {
            let decision = ReportDecision {
                status: ReportStatus::Processed,
                actor: CONSOLIDATION_ACTOR.to_owned(),
                reason: Some(format!("Appliqué par la publication de la révision {}.", revision.id)),
                revision_id: Some(revision.id.clone()),
                at: Utc::now(),
                // Its author is told, with the revision (queued with the decision).
                tell_author: true,
            };
            match self.store.decide_report(&report.id, decision).await {
                Ok(_) => {
                    tracing::info!(report = %report.id, revision = %revision.id, "report answered by a publication");
                    metrics::counter!("reports_closed_by_publication_total").increment(1);
                }
                // Decided by the commune meanwhile.
                Err(StoreError::Precondition(_)) => {}
                Err(error) => {
                    tracing::warn!(report = %report.id, %error, "cannot close a report answered by a publication")
                }
            }
        }
    }
}

/// Who closes a report answered by a publication, in its events.
pub const CONSOLIDATION_ACTOR: &str = "consolidation";
/// Pending reports of a commune compared with a publication (the oldest beyond wait for the
/// next one).
const MAX_REPORTS_CHECKED: u32 = 1_000;

/// Rows without the ids that belong to other communes (a forced plan: those communes keep
/// their objects; the rows are matched by the other rules of identity, or get new ids).
fn without_foreign_ids(commune: &str, rows: &[Row], owners: &FxHashMap<BanId, String>) -> Arc<Vec<Row>> {
    let foreign =
        |id: &Option<BanId>| id.and_then(|id| owners.get(&id)).is_some_and(|owner| owner != commune);
    let rows = rows
        .iter()
        .map(|row| {
            let mut row = row.clone();
            for id in [&mut row.id_toponyme, &mut row.id_adresse] {
                if foreign(id) {
                    tracing::warn!(commune, line = row.line, id = ?id, "forced: an id of another commune left out");
                    *id = None;
                }
            }
            row
        })
        .collect();
    Arc::new(rows)
}

/// What changes of one kind add (new, or disabled and given again), update and delete, and
/// what they leave: of the `active_after` objects active once they are made, those not changed.
fn object_counts<T>(
    changes: &[ban_consolidation::Change<T>],
    active: fn(&T) -> bool,
    active_after: u32,
) -> ObjectCounts {
    use ban_consolidation::Change;
    let mut counts = ObjectCounts::default();
    for change in changes {
        match change {
            Change::Created(_) => counts.added += 1,
            Change::Updated { before, .. } if !active(before) => counts.added += 1,
            Change::Updated { .. } => counts.updated += 1,
            Change::Disabled(_) => counts.deleted += 1,
        }
    }
    counts.unchanged = u64::from(active_after).saturating_sub(counts.added + counts.updated);
    counts
}

/// The planner's rows of a file's records (records without street or number are left out:
/// a validated file has none).
pub fn rows_of(records: &[BalRecord]) -> Vec<Row> {
    records.iter().filter_map(Row::from_record).collect()
}

/// Rows without the positions far outside the commune (as production drops them); a row
/// left without position is dropped when it had one.
fn within_tolerance(commune: &str, rows: Vec<Row>, contours: &Contours) -> Vec<Row> {
    let Some(contour) = contours.get(commune) else { return rows };
    let before = rows.len();
    let kept: Vec<Row> = rows
        .into_iter()
        .filter(|row| row.position.is_none_or(|(_, p)| contour.distance_m(p) <= OUTSIDE_TOLERANCE_M))
        .collect();
    if kept.len() < before {
        tracing::warn!(
            commune,
            dropped = before - kept.len(),
            "rows more than 5 km outside the commune dropped"
        );
    }
    kept
}

/// The commune's new record: its id (kept, else the file's, else new), source, revision and
/// the counts of active objects once the changes are made.
fn commune_record(
    input: &Input,
    current: Option<&Commune>,
    state: &CommuneState,
    changes: &Changeset,
) -> Commune {
    let mut addresses: FxHashMap<BanId, (bool, bool)> =
        state.addresses.iter().map(|a| (a.id, (a.active, a.certified))).collect();
    for change in &changes.addresses {
        let a = change.state();
        addresses.insert(a.id, (a.active, a.certified));
    }
    let mut toponyms: FxHashMap<BanId, bool> = state.toponyms.iter().map(|t| (t.id, t.active)).collect();
    for change in &changes.toponyms {
        toponyms.insert(change.state().id, change.state().active);
    }
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Commune {
        id: current.map(|c| c.id).or(input.commune_id).unwrap_or_else(|| BanId::from_random(rand::random())),
        code: input.commune.clone(),
        name: ban_bal::Cog::get().commune(&input.commune).map(|c| c.nom.to_owned()),
        source: input.source,
        revision: input.revision.as_ref().map(|r| r.id.clone()),
        revision_published_at: input.revision.as_ref().and_then(|r| r.published_at).map(|t| t.to_rfc3339()),
        addresses: count(addresses.values().filter(|(active, _)| *active).count()),
        certified_addresses: count(
            addresses.values().filter(|(active, certified)| *active && *certified).count(),
        ),
        toponyms: count(toponyms.values().filter(|active| **active).count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process that ran on this host and has exited: its pid names no running process.
    fn exited_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap_or_else(|e| panic!("{e}"));
        let pid = child.id();
        child.wait().unwrap_or_else(|e| panic!("{e}"));
        pid
    }

    #[test]
    fn dead_workers_are_those_of_this_host_that_no_longer_run() {
        let me = worker_id();
        let host = this_host();
        assert!(is_dead(&me, &me), "a previous instance of this very name");
        assert!(is_dead(&format!("{host}:{}", exited_pid()), &me), "an exited process of this host");
        assert!(is_dead(&format!("{host}:{}", std::process::id()), "configured-name"), "this pid, before");
        assert!(!is_dead(&format!("{host}:1"), &me), "init runs");
        assert!(!is_dead(&format!("elsewhere-{host}:{}", exited_pid()), &me), "another host: its lease");
        assert!(!is_dead("a-name", &me), "not host:pid: its lease");
    }

    #[test]
    fn retries_wait_longer_each_time() {
        let first = Duration::from_secs(2);
        let waits: Vec<u64> = (1..=5).map(|attempts| backoff(first, attempts).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32]);
        assert_eq!(backoff(first, 40), MAX_BACKOFF);
    }
}
