//! Asynchronous batch jobs, for files too large to wait for on one request (as the national
//! geocoder's batch service): `POST /geocoder/jobs/search` (or `…/reverse`) takes the form of
//! `/search/csv/` and answers 202 at once with the job; `GET /geocoder/jobs/{id}` follows it
//! (rows done, of how many); `GET /geocoder/jobs/{id}/result` downloads the geocoded file
//! once it is done; `DELETE /geocoder/jobs/{id}` cancels it or deletes its files. A finished
//! job is kept `GEOCODER_JOB_TTL_HOURS`, then deleted (410 from then on, until a restart).
//!
//! Each job is a directory `<files dir>/jobs/<id>`: the file as uploaded, `job.json` (its
//! state, written again at each change of status) and the result (`result.csv.part` while it
//! is written, renamed when done). Jobs are run one at a time, in the order they came, on the
//! rayon pool beside the interactive requests; a job queued or running when the process
//! stopped is run again from the start when the process comes back. Its id (128 random bits)
//! is the only key to a job: whoever holds it may follow, download or delete it.
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ban_bal::read::FileSource;
use ban_search::csv::{self, CsvError, CsvOptions, CsvRun};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::LiveIndex;

/// What a job does to each row: `/search/csv/` or `/reverse/csv/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Search,
    Reverse,
}

impl Operation {
    fn geocoding(self) -> csv::CsvGeocoding {
        match self {
            Operation::Search => csv::search_csv,
            Operation::Reverse => csv::reverse_csv,
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for the jobs before it (or for the index to be built).
    Queued,
    Running,
    /// The result can be downloaded.
    Done,
    /// The file could not be geocoded: `error` says why.
    Failed,
}

/// A job as kept in its `job.json` and told by `GET /geocoder/jobs/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub operation: Operation,
    pub status: JobStatus,
    /// The form's options (columns, filters, result columns).
    #[schema(value_type = Object)]
    pub options: CsvOptions,
    /// The size of the file, in bytes.
    pub bytes: u64,
    /// The rows of the file, once it is read (blank lines left out).
    pub rows: Option<usize>,
    /// The rows geocoded so far.
    pub rows_done: usize,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When a finished job and its result are deleted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why the file could not be geocoded.
    pub error: Option<String>,
}

/// Why a job cannot be given.
#[derive(Debug, PartialEq, Eq)]
pub enum JobError {
    NotFound,
    /// Finished, kept its time, and deleted.
    Expired,
    /// Its result is not there yet.
    NotDone(JobStatus),
    /// As many jobs wait their turn as the settings allow.
    Full,
}

/// The jobs of this process, and the task that runs them.
pub struct Jobs {
    dir: PathBuf,
    ttl: chrono::Duration,
    max_queued: usize,
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    /// Jobs deleted at the end of their time (their ids answer 410, not 404).
    expired: Mutex<HashSet<String>>,
    wake: tokio::sync::Notify,
    /// Set when the process stops: the running job stops at its next block, and is run
    /// again from the start when the process comes back.
    stopping: AtomicBool,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("dir", &self.dir).finish_non_exhaustive()
    }
}

struct Job {
    record: Mutex<JobRecord>,
    rows_done: AtomicUsize,
    cancelled: AtomicBool,
}

impl Job {
    fn new(record: JobRecord) -> Arc<Job> {
        Arc::new(Job {
            record: Mutex::new(record),
            rows_done: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
        })
    }

    fn record(&self) -> JobRecord {
        let mut record = self.record.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if record.status == JobStatus::Running {
            record.rows_done = self.rows_done.load(Ordering::Relaxed);
        }
        record
    }

    fn update(&self, change: impl FnOnce(&mut JobRecord)) -> JobRecord {
        let mut record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut record);
        record.clone()
    }
}

/// How often finished jobs are looked at for expiry.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// How often a job waiting for the index to be built looks again.
const WAIT_FOR_INDEX: std::time::Duration = std::time::Duration::from_millis(500);

impl Jobs {
    /// The jobs kept in `dir` (made if missing): those queued or running when the process
    /// stopped are queued again, those past their time are deleted.
    pub fn open(dir: &Path, ttl_hours: u64, max_queued: usize) -> std::io::Result<Jobs> {
        std::fs::create_dir_all(dir)?;
        let jobs = Jobs {
            dir: dir.to_owned(),
            ttl: chrono::Duration::hours(i64::try_from(ttl_hours).unwrap_or(i64::MAX / 3_600_000)),
            max_queued,
            jobs: Mutex::new(HashMap::new()),
            expired: Mutex::new(HashSet::new()),
            wake: tokio::sync::Notify::new(),
            stopping: AtomicBool::new(false),
        };
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let record = std::fs::read(path.join("job.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<JobRecord>(&bytes).ok());
            let Some(mut record) = record else {
                // A job whose upload never finished, or not a job.
                tracing::warn!(path = %path.display(), "batch jobs: not a job, removed");
                let _ = std::fs::remove_dir_all(&path);
                continue;
            };
            if matches!(record.status, JobStatus::Queued | JobStatus::Running) {
                record.status = JobStatus::Queued;
                record.rows_done = 0;
                record.started_at = None;
            }
            jobs.jobs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(record.id.clone(), Job::new(record));
        }
        jobs.sweep(Utc::now());
        Ok(jobs)
    }

    /// Runs the queued jobs, one at a time, on `live`'s index, until `stop` resolves; deletes
    /// the jobs past their time meanwhile.
    pub fn start(
        self: &Arc<Self>,
        live: LiveIndex,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let jobs = self.clone();
        tokio::spawn(async move {
            stop.await;
            jobs.stopping.store(true, Ordering::SeqCst);
            jobs.wake.notify_one();
        });
        let jobs = self.clone();
        tokio::spawn(async move {
            let mut last_sweep = tokio::time::Instant::now();
            while !jobs.stopping.load(Ordering::SeqCst) {
                if last_sweep.elapsed() >= SWEEP_EVERY {
                    jobs.sweep(Utc::now());
                    last_sweep = tokio::time::Instant::now();
                }
                let Some(job) = jobs.next_queued() else {
                    let _ = tokio::time::timeout(SWEEP_EVERY, jobs.wake.notified()).await;
                    continue;
                };
                if !live.is_ready() {
                    tokio::time::sleep(WAIT_FOR_INDEX).await;
                    continue;
                }
                let (runner, index) = (jobs.clone(), live.index.clone());
                if let Err(error) = tokio::task::spawn_blocking(move || runner.run(&job, &index)).await {
                    tracing::error!(%error, "batch jobs: a job's task failed");
                }
            }
        });
    }

    /// `Full` when as many jobs wait their turn as allowed (asked before a file is read).
    pub fn room(&self) -> Result<(), JobError> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let queued = jobs.values().filter(|job| job.record().status == JobStatus::Queued).count();
        if queued >= self.max_queued {
            return Err(JobError::Full);
        }
        Ok(())
    }

    /// Takes a new job: its file (already on disk, moved into the job's directory) and its
    /// options. Its record, queued; `Full` (the file dropped) when the queue filled meanwhile.
    pub fn submit(
        &self,
        operation: Operation,
        options: CsvOptions,
        upload: tempfile::NamedTempFile,
        bytes: u64,
    ) -> std::io::Result<Result<JobRecord, JobError>> {
        if let Err(full) = self.room() {
            return Ok(Err(full));
        }
        let id = format!("{:032x}", rand::random::<u128>());
        let dir = self.dir.join(&id);
        std::fs::create_dir(&dir)?;
        upload.persist(dir.join("input.csv")).map_err(|e| e.error)?;
        let record = JobRecord {
            id: id.clone(),
            operation,
            status: JobStatus::Queued,
            options,
            bytes,
            rows: None,
            rows_done: 0,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            expires_at: None,
            error: None,
        };
        self.save(&record)?;
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).insert(id, Job::new(record.clone()));
        metrics::counter!("geocoder_jobs_submitted_total").increment(1);
        self.wake.notify_one();
        Ok(Ok(record))
    }

    /// A job's record.
    pub fn get(&self, id: &str) -> Result<JobRecord, JobError> {
        self.job(id).map(|job| job.record())
    }

    /// The path of a finished job's result, and its record.
    pub fn result(&self, id: &str) -> Result<(PathBuf, JobRecord), JobError> {
        let record = self.get(id)?;
        match record.status {
            JobStatus::Done => Ok((self.dir.join(id).join("result.csv"), record)),
            status => Err(JobError::NotDone(status)),
        }
    }

    /// Cancels a job (a running one stops at its next block) and deletes its files.
    pub fn delete(&self, id: &str) -> Result<(), JobError> {
        let job = self.jobs.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        let Some(job) = job else { return Err(self.missing(id)) };
        job.cancelled.store(true, Ordering::SeqCst);
        // A running job's files go once it has stopped (`run` removes them).
        if job.record().status != JobStatus::Running {
            let _ = std::fs::remove_dir_all(self.dir.join(id));
        }
        Ok(())
    }

    fn job(&self, id: &str) -> Result<Arc<Job>, JobError> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.get(id).cloned().ok_or_else(|| self.missing(id))
    }

    fn missing(&self, id: &str) -> JobError {
        if self.expired.lock().unwrap_or_else(PoisonError::into_inner).contains(id) {
            JobError::Expired
        } else {
            JobError::NotFound
        }
    }

    /// The oldest queued job.
    fn next_queued(&self) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.values()
            .filter(|job| job.record().status == JobStatus::Queued)
            .min_by_key(|job| job.record().created_at)
            .cloned()
    }

    /// Deletes the finished jobs past their time.
    fn sweep(&self, now: DateTime<Utc>) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let ended: Vec<String> = jobs
            .values()
            .map(|job| job.record())
            .filter(|record| record.expires_at.is_some_and(|at| at <= now))
            .map(|record| record.id)
            .collect();
        for id in ended {
            jobs.remove(&id);
            let _ = std::fs::remove_dir_all(self.dir.join(&id));
            tracing::info!(job = %id, "batch job expired: its files are deleted");
            self.expired.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
        }
    }

    fn save(&self, record: &JobRecord) -> std::io::Result<()> {
        // Written beside, then renamed: a crash never leaves half a record.
        let dir = self.dir.join(&record.id);
        let part = dir.join("job.json.part");
        std::fs::write(&part, serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?)?;
        std::fs::rename(part, dir.join("job.json"))
    }

    /// Runs one job to its end (on a blocking thread).
    fn run(&self, job: &Job, index: &std::sync::RwLock<ban_search::Index>) {
        let started = job.update(|r| {
            r.status = JobStatus::Running;
            r.started_at = Some(Utc::now());
            r.rows_done = 0;
        });
        job.rows_done.store(0, Ordering::Relaxed);
        let dir = self.dir.join(&started.id);
        if let Err(error) = self.save(&started) {
            tracing::warn!(job = %started.id, %error, "batch job: cannot save its state");
        }
        tracing::info!(job = %started.id, bytes = started.bytes, "batch job started");
        let outcome = self.geocode(job, &started, &dir, index);
        if job.cancelled.load(Ordering::SeqCst) {
            tracing::info!(job = %started.id, "batch job cancelled: its files are deleted");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        if self.stopping.load(Ordering::SeqCst) && outcome.is_err() {
            // Stopped with the process: run again when it comes back.
            let queued = job.update(|r| {
                r.status = JobStatus::Queued;
                r.started_at = None;
                r.rows_done = 0;
            });
            let _ = self.save(&queued);
            return;
        }
        let now = Utc::now();
        let ended = job.update(|r| {
            r.finished_at = Some(now);
            r.expires_at = Some(now + self.ttl);
            r.rows_done = job.rows_done.load(Ordering::Relaxed);
            match &outcome {
                Ok(()) => r.status = JobStatus::Done,
                Err(error) => {
                    r.status = JobStatus::Failed;
                    r.error = Some(error.to_string());
                }
            }
        });
        let _ = std::fs::remove_file(dir.join("input.csv"));
        if let Err(error) = self.save(&ended) {
            tracing::warn!(job = %ended.id, %error, "batch job: cannot save its state");
        }
        metrics::counter!("geocoder_jobs_finished_total", "status" => if outcome.is_ok() { "done" } else { "failed" })
            .increment(1);
        tracing::info!(job = %ended.id, rows = ended.rows_done, status = ?ended.status, "batch job ended");
    }

    /// Geocodes the job's file into its result.
    fn geocode(
        &self,
        job: &Job,
        record: &JobRecord,
        dir: &Path,
        index: &std::sync::RwLock<ban_search::Index>,
    ) -> Result<(), CsvError> {
        let unwritable = |e: std::io::Error| CsvError::Output(e.to_string());
        let part = dir.join("result.csv.part");
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&part).map_err(unwritable)?);
        let source = FileSource(dir.join("input.csv"));
        let progress = |done: usize, total: usize| {
            job.rows_done.store(done, Ordering::Relaxed);
            if done == 0 {
                job.update(|r| r.rows = Some(total));
            }
        };
        let mut sink = |block: Vec<u8>| {
            if job.cancelled.load(Ordering::SeqCst) || self.stopping.load(Ordering::SeqCst) {
                return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "the job was stopped"));
            }
            out.write_all(&block)
        };
        let run =
            CsvRun { index, file: &source, options: &record.options, progress: &progress, sink: &mut sink };
        record.operation.geocoding()(run)?;
        out.flush().map_err(unwritable)?;
        drop(out);
        std::fs::rename(&part, dir.join("result.csv")).map_err(unwritable)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn upload(dir: &Path, text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new_in(dir).unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    fn wait_for(jobs: &Jobs, id: &str, status: JobStatus) -> JobRecord {
        let started = std::time::Instant::now();
        loop {
            let record = jobs.get(id).unwrap();
            if record.status == status {
                return record;
            }
            assert!(started.elapsed().as_secs() < 30, "{record:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn a_job_is_queued_run_kept_then_expired_and_survives_a_restart() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("jobs");
        let jobs = Jobs::open(&dir, 1, 1).unwrap();
        let file = upload(root.path(), "adresse\n1 rue des Lilas\n\n2 rue des Lilas\n");
        let record = jobs.submit(Operation::Search, CsvOptions::default(), file, 40).unwrap().unwrap();
        // One job waits: the queue of one is full.
        assert_eq!(jobs.room(), Err(JobError::Full));
        let another = upload(root.path(), "adresse\n3 rue des Lilas\n");
        assert_eq!(
            jobs.submit(Operation::Search, CsvOptions::default(), another, 30).unwrap(),
            Err(JobError::Full)
        );
        assert_eq!(record.status, JobStatus::Queued);
        assert_eq!(jobs.result(&record.id).unwrap_err(), JobError::NotDone(JobStatus::Queued));

        // A restart keeps it queued.
        drop(jobs);
        let jobs = Jobs::open(&dir, 1, 1).unwrap();
        let job = jobs.next_queued().unwrap();
        jobs.run(&job, &std::sync::RwLock::new(ban_search::Index::new()));
        let done = jobs.get(&record.id).unwrap();
        assert_eq!((done.status, done.rows, done.rows_done), (JobStatus::Done, Some(2), 2));
        assert_eq!(done.expires_at, Some(done.finished_at.unwrap() + chrono::Duration::hours(1)));
        let (path, _) = jobs.result(&record.id).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.lines().nth(2).unwrap().ends_with(",not-found"), "{text}");
        assert!(!dir.join(&record.id).join("input.csv").exists(), "the upload is deleted once geocoded");

        // Past its time: deleted, and told so.
        jobs.sweep(done.expires_at.unwrap());
        assert_eq!(jobs.get(&record.id), Err(JobError::Expired));
        assert!(!dir.join(&record.id).exists());
        assert_eq!(jobs.get("0123"), Err(JobError::NotFound));
    }

    #[test]
    fn a_bad_file_fails_with_its_reason_and_a_deleted_job_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("jobs");
        let jobs = Jobs::open(&dir, 24, 20).unwrap();
        let file = upload(root.path(), "adresse;ville\n\"1 allee;x\n");
        let record = jobs.submit(Operation::Search, CsvOptions::default(), file, 24).unwrap().unwrap();
        jobs.run(&jobs.next_queued().unwrap(), &std::sync::RwLock::new(ban_search::Index::new()));
        let failed = wait_for(&jobs, &record.id, JobStatus::Failed);
        assert!(failed.error.as_deref().is_some_and(|e| e.contains("line 2")), "{failed:?}");

        jobs.delete(&record.id).unwrap();
        assert_eq!(jobs.get(&record.id), Err(JobError::NotFound));
        assert!(!dir.join(&record.id).exists());
        assert_eq!(jobs.delete(&record.id), Err(JobError::NotFound));
    }
}
