//! `ban import DIR` (publishes every BAL file of a directory, one commune each, through the
//! depot's path: revision, validation with the spatial checks, publication, consolidation)
//! and `ban import-legacy FILE` (a legacy BAN export as the base of the communes without BAL).
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use ban_bal::Report;
use ban_consolidation::legacy::read_legacy;
use ban_consolidator::{Consolidator, Input, Outcome};
use ban_domain::base::CommuneSource;
use ban_domain::{InseeCode, Level};
use ban_service_kit::{DatabaseArgs, LogArgs};
use ban_store::ids::{object_id, token};
use ban_store::{AuthorizationStrategy, Client, JobStatus, NewClient, NewRevision, Publication, Store};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

/// The client the imports publish as.
const IMPORT_CLIENT: &str = "ban import";

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Directory of BAL files (`*.csv`, searched recursively), each named after its commune's
    /// INSEE code (`54084.csv`).
    pub dir: PathBuf,
    /// Files worked on at once.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// For bulk loads of imperfect data: a file refused for some rows is published without
    /// those rows (error-level issues, rows of another commune); the depot never does this.
    #[arg(long)]
    pub drop_invalid_rows: bool,
    #[command(flatten)]
    pub store: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, clap::Args)]
pub struct LegacyArgs {
    /// A BAN export in the legacy "adresses" CSV format (`.csv` or `.csv.gz`).
    pub file: PathBuf,
    #[command(flatten)]
    pub store: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// A file that did not make it, and why.
#[derive(Debug)]
struct Failure {
    commune: String,
    file: PathBuf,
    reason: String,
    /// Whether trying again may succeed (the store was busy or away, or another revision of
    /// the commune was published while the file was checked).
    transient: bool,
}

pub(crate) fn bar(length: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    let template = format!("{what:>13} [{{bar:40}}] {{pos}}/{{len}} {{per_sec}} eta {{eta}} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub async fn import(args: &ImportArgs) -> anyhow::Result<()> {
    args.log.init("warn");
    let started = Instant::now();
    let store = args.store.open().await.context("opening the store")?;
    let client = import_client(&*store).await?;
    let mut files = Vec::new();
    csv_files(&args.dir, &mut files).with_context(|| format!("reading {}", args.dir.display()))?;
    files.sort();
    if files.is_empty() {
        anyhow::bail!("no .csv file under {}", args.dir.display());
    }

    // Validate and publish, a few files at a time.
    let publishing = bar(files.len() as u64, "publishing");
    let permits = Arc::new(tokio::sync::Semaphore::new(args.jobs.max(1)));
    let mut tasks = JoinSet::new();
    for file in files.iter().cloned() {
        let (store, client, permits) = (store.clone(), client.clone(), permits.clone());
        let drop_invalid_rows = args.drop_invalid_rows;
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let started = Instant::now();
            publish_file_retrying(&*store, &client, file, drop_invalid_rows)
                .await
                .map(|done| (done, started.elapsed()))
        });
    }
    let mut failures = Vec::new();
    let mut published = Vec::new();
    let mut publish_times = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done? {
            Ok((file, took)) => {
                published.push(file);
                publish_times.push(took);
            }
            Err(failure) => failures.push(failure),
        }
        publishing.inc(1);
    }
    publishing.finish();
    let published_in = started.elapsed();

    // Consolidate what was published (a running `ban serve` may take part of the jobs), until
    // every job of this import has ended: jobs sent back for a passing failure are tried
    // again after their backoff, jobs another worker holds are waited for.
    let consolidating = bar(published.len() as u64, "consolidating");
    // Jobs a killed import or server of this host left running are worked now.
    if let Err(error) = Consolidator::new(store.clone()).take_back_dead_workers().await {
        tracing::warn!(%error, "cannot take back the jobs of dead workers");
    }
    let unfinished = Arc::new(tokio::sync::Mutex::new(published.clone()));
    let mut workers = JoinSet::new();
    for _ in 0..args.jobs.max(1) {
        let worker = Consolidator::new(store.clone());
        let (store, bar, unfinished) = (store.clone(), consolidating.clone(), unfinished.clone());
        workers.spawn(async move {
            let mut times = Vec::new();
            loop {
                let started = Instant::now();
                match worker.work_one().await {
                    Ok(true) => {
                        times.push(started.elapsed());
                        continue;
                    }
                    Ok(false) => {}
                    Err(error) if error.is_transient() => {
                        tracing::warn!(%error, "cannot claim jobs, trying again");
                    }
                    Err(error) => return Err(error),
                }
                let mut unfinished = unfinished.lock().await;
                let before = unfinished.len();
                let mut still = Vec::new();
                for file in unfinished.drain(..) {
                    match job_of(&*store, &file).await {
                        Ok(job) if job.as_ref().is_some_and(ban_store::Job::is_finished) => {}
                        Ok(_) => still.push(file),
                        Err(error) if error.is_transient() => {
                            tracing::warn!(%error, "cannot read a job, looking again later");
                            still.push(file);
                        }
                        Err(error) => return Err(error),
                    }
                }
                *unfinished = still;
                bar.inc((before - unfinished.len()) as u64);
                if unfinished.is_empty() {
                    return Ok::<_, ban_store::StoreError>(times);
                }
                drop(unfinished);
                tokio::time::sleep(WAIT_FOR_JOBS).await;
            }
        });
    }
    let mut consolidation_times = Vec::new();
    while let Some(done) = workers.join_next().await {
        consolidation_times.extend(done??);
    }
    consolidating.finish();
    let consolidated_in = started.elapsed() - published_in;

    // Every file is counted once: published (in the base), skipped (a later file of the
    // same commune replaced it), or failed (not published, or not consolidated).
    let (mut consolidated, mut skipped) = (0, Vec::new());
    for file in &published {
        let Some(job) = job_of(&*store, file).await? else {
            failures.push(file.failure("published, but its consolidation job is missing".into()));
            continue;
        };
        match (job.status, job.outcome.as_deref()) {
            (JobStatus::Done, Some("superseded" | "skipped")) => skipped.push(file.failure(format!(
                "published, then replaced by a later revision of the commune ({})",
                job.outcome.unwrap_or_default()
            ))),
            (JobStatus::Done, _) => consolidated += 1,
            (status, _) => failures.push(file.failure(format!(
                "published, but not consolidated: job {} {status} after {} attempts: {}",
                job.id,
                job.attempts,
                job.message.unwrap_or_default()
            ))),
        }
    }

    let (communes, toponyms, addresses) = store.base_counts().await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} files: {consolidated} published, {} failed, {} skipped, in {seconds:.1} s",
        files.len(),
        failures.len(),
        skipped.len()
    );
    println!("base: {communes} communes, {toponyms} toponyms, {addresses} addresses");
    println!(
        "validation and publication: {:.1} s (per file: {}); consolidation: {:.1} s (per commune: {})",
        published_in.as_secs_f64(),
        spread(&mut publish_times),
        consolidated_in.as_secs_f64(),
        spread(&mut consolidation_times),
    );
    report(&mut skipped, "skipped");
    report(&mut failures, "failed");
    Ok(())
}

/// How long the import's workers wait, when no job can be claimed, before looking again.
const WAIT_FOR_JOBS: std::time::Duration = std::time::Duration::from_millis(200);
/// How many times a file is tried when it failed for a passing reason.
const FILE_ATTEMPTS: u32 = 3;

/// A file published: its commune and the revision its job consolidates.
#[derive(Debug, Clone)]
struct Published {
    commune: String,
    file: PathBuf,
    revision: String,
}

impl Published {
    fn failure(&self, reason: String) -> Failure {
        Failure { commune: self.commune.clone(), file: self.file.clone(), reason, transient: false }
    }
}

/// The consolidation job of a published file.
async fn job_of(
    store: &dyn Store,
    file: &Published,
) -> Result<Option<ban_store::Job>, ban_store::StoreError> {
    Ok(store.jobs(&file.commune).await?.into_iter().find(|job| job.revision_id == file.revision))
}

/// Median and maximum of some durations, in milliseconds.
fn spread(times: &mut [std::time::Duration]) -> String {
    times.sort();
    match (times.get(times.len() / 2), times.last()) {
        (Some(median), Some(max)) => {
            format!("median {:.1} ms, max {:.1} ms", median.as_secs_f64() * 1e3, max.as_secs_f64() * 1e3)
        }
        _ => "none".into(),
    }
}

fn report(failures: &mut [Failure], what: &str) {
    if failures.is_empty() {
        return;
    }
    failures.sort_by(|a, b| (&a.commune, &a.file).cmp(&(&b.commune, &b.file)));
    println!("{what}:");
    for failure in failures.iter() {
        println!("  {} {}: {}", failure.commune, failure.file.display(), failure.reason);
    }
}

/// The import's client, created on first use.
async fn import_client(store: &dyn Store) -> anyhow::Result<Client> {
    if let Some(client) = store.clients().await?.into_iter().find(|c| c.nom == IMPORT_CLIENT) {
        return Ok(client);
    }
    Ok(store
        .create_client(NewClient {
            id: object_id(Utc::now()),
            nom: IMPORT_CLIENT.into(),
            mandataire: IMPORT_CLIENT.into(),
            email: None,
            authorization_strategy: AuthorizationStrategy::Internal,
            perimeters: vec![],
            token: token(),
        })
        .await?)
}

fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            csv_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            out.push(path);
        }
    }
    Ok(())
}

/// [`publish_file`], tried again (after a growing wait) while it fails for a passing reason.
async fn publish_file_retrying(
    store: &dyn Store,
    client: &Client,
    file: PathBuf,
    drop_invalid_rows: bool,
) -> Result<Published, Failure> {
    let mut wait = std::time::Duration::from_secs(1);
    for attempt in 1.. {
        match publish_file(store, client, file.clone(), drop_invalid_rows).await {
            Err(failure) if failure.transient && attempt < FILE_ATTEMPTS => {
                tracing::warn!(file = %file.display(), reason = %failure.reason, attempt, "trying the file again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            done => return done,
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// Publishes one file as a revision of its commune.
async fn publish_file(
    store: &dyn Store,
    client: &Client,
    file: PathBuf,
    drop_invalid_rows: bool,
) -> Result<Published, Failure> {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let fail =
        |reason: String| Failure { commune: stem.clone(), file: file.clone(), reason, transient: false };
    let Ok(commune) = InseeCode::parse(&stem) else {
        return Err(fail("the file is not named after an INSEE code (54084.csv)".into()));
    };
    let mut bytes = tokio::fs::read(&file).await.map_err(|e| fail(format!("cannot read: {e}")))?;
    let store_error =
        |e: ban_store::StoreError| Failure { transient: e.is_transient(), ..fail(e.to_string()) };
    for attempt in 0..2 {
        let (revision, report) = validated_revision(store, client, &stem, &file, bytes.clone()).await?;
        if revision.is_ready {
            let publication = Publication { habilitation: None, at: Utc::now() };
            // Refused as checked against a revision no longer current (another file of the
            // commune, or the server, published meanwhile): the file is worth another try.
            store.publish(&revision.id, publication).await.map_err(|e| match e {
                ban_store::StoreError::Conflict(reason) => Failure { transient: true, ..fail(reason) },
                other => store_error(other),
            })?;
            return Ok(Published { commune: stem, file, revision: revision.id });
        }
        let report = match report {
            Some(report) if drop_invalid_rows && attempt == 0 => report,
            report => return Err(fail(format!("invalid ({})", first_errors(report.as_ref())))),
        };
        bytes = without_invalid_rows(&bytes, &report, commune);
    }
    Err(fail("invalid".into()))
}

/// The file without the rows of its error-level issues and its rows of other communes. Rows
/// are found by the BAL reader (their start line and their `commune_insee`, read with the
/// file's encoding and delimiter); the bytes of the lines kept are copied unchanged.
fn without_invalid_rows(bytes: &[u8], report: &Report, commune: InseeCode) -> Vec<u8> {
    let mut bad: BTreeSet<usize> = report.counts.error_lines.iter().map(|&line| line as usize).collect();
    let records = ban_bal::records::read_records(bytes).unwrap_or_default();
    bad.extend(
        records
            .iter()
            .filter(|r| r.commune_insee.as_deref().is_some_and(|c| c.trim() != commune.as_str()))
            .map(|r| r.line as usize),
    );
    let mut out = Vec::with_capacity(bytes.len());
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        if i == 0 || !bad.contains(&(i + 1)) {
            out.extend_from_slice(line);
        }
    }
    out
}

/// A revision of `bytes` for a commune, created, stored and validated (not published), with
/// the typed report of its file.
async fn validated_revision(
    store: &dyn Store,
    client: &Client,
    stem: &str,
    file: &Path,
    bytes: Vec<u8>,
) -> Result<(ban_store::Revision, Option<Report>), Failure> {
    let fail = |reason: String| Failure {
        commune: stem.to_owned(),
        file: file.to_owned(),
        reason,
        transient: false,
    };
    let store_error =
        |e: ban_store::StoreError| Failure { transient: e.is_transient(), ..fail(e.to_string()) };
    let now = Utc::now();
    let revision = NewRevision {
        id: object_id(now),
        client_id: client.id.clone(),
        code_commune: stem.to_owned(),
        context: serde_json::json!({"organisation": IMPORT_CLIENT, "extras": {"file": file.display().to_string()}}),
    };
    let revision = store.create_revision(revision, now).await.map_err(store_error)?;
    let stored = ban_depot::validation::bal_file(&revision.id, &bytes, now);
    store.attach_file(&revision.id, stored, &bytes).await.map_err(store_error)?;
    ban_depot::validation::compute_revision_report(store, &revision, client, bytes).await.map_err(|e| match e
    {
        ban_depot::validation::ComputeError::Store(e) => store_error(e),
        other => fail(other.to_string()),
    })
}

/// The error codes of a report, with the first line of each; `file.unreadable` when the file
/// could not be read as text.
fn first_errors(report: Option<&Report>) -> String {
    let Some(report) = report else {
        return "file.unreadable".into();
    };
    let mut first_line: BTreeMap<&str, u32> = BTreeMap::new();
    for issue in report.issues.iter().filter(|i| i.level == Level::Error) {
        first_line.entry(&issue.code).or_insert(issue.line);
    }
    let codes: Vec<String> = report
        .codes_at(Level::Error)
        .map(|code| match first_line.get(code) {
            Some(line) => format!("{code} line {line}"),
            None => code.to_owned(),
        })
        .collect();
    codes.join(", ")
}

pub async fn import_legacy(args: &LegacyArgs) -> anyhow::Result<()> {
    args.log.init("warn");
    let started = Instant::now();
    let bytes = read_maybe_gzip(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let rows = read_legacy(bytes.as_slice()).with_context(|| format!("reading {}", args.file.display()))?;
    let store = args.store.open().await.context("opening the store")?;
    let worker = Consolidator::new(store.clone());
    let progress = bar(rows.communes.len() as u64, "importing");
    let (mut applied, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for (commune, commune_rows) in rows.communes {
        let input = Input {
            commune: commune.clone(),
            source: CommuneSource::Legacy,
            revision: None,
            commune_id: None,
            rows: commune_rows,
            job: None,
            force: false,
        };
        match worker.consolidate(input).await {
            Ok(Outcome::Skipped(reason)) => skipped.push(reason),
            Ok(_) => applied += 1,
            Err(error) => failures.push(Failure {
                commune,
                file: args.file.clone(),
                reason: error.to_string(),
                transient: false,
            }),
        }
        progress.inc(1);
    }
    progress.finish();
    println!(
        "{applied} communes imported from {}, {} left to their BAL, {} failed, {} rows left out, in {:.1} s",
        args.file.display(),
        skipped.len(),
        failures.len(),
        rows.skipped.len(),
        started.elapsed().as_secs_f64()
    );
    for (line, reason) in rows.skipped.iter().take(20) {
        println!("  line {line}: {reason}");
    }
    report(&mut failures, "failed");
    Ok(())
}

fn read_maybe_gzip(path: &Path) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "cle_interop;commune_insee;commune_nom;numero;suffixe;voie_nom;position;x;y;long;lat;source;date_der_maj\n";

    fn row(commune: &str, numero: &str) -> String {
        format!(
            "31591_0010_{numero:0>5};{commune};Escoulis;{numero};;Rue des Places;entrée;539416.13;6225601.11;1.028392;43.111637;Commune;2024-01-01\n"
        )
    }

    #[test]
    fn invalid_rows_and_rows_of_other_communes_are_left_out_byte_for_byte() {
        let commune = InseeCode::parse("31591").unwrap_or_else(|e| panic!("{e}"));
        let csv =
            [HEADER.to_owned(), row("31591", "1"), row("31591", "x"), row("31592", "3"), row("31591", "4")]
                .concat();
        let report =
            ban_bal::validate(csv.as_bytes(), &ban_bal::Options::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(first_errors(Some(&report)).contains("line 3"), "{}", first_errors(Some(&report)));
        let kept = without_invalid_rows(csv.as_bytes(), &report, commune);
        assert_eq!(
            String::from_utf8_lossy(&kept),
            [HEADER.to_owned(), row("31591", "1"), row("31591", "4")].concat()
        );
        assert_eq!(first_errors(None), "file.unreadable");
    }
}
