//! Administration from the command line: clients, habilitations, failed consolidation jobs
//! and the audit log, on the store of `DATABASE_URL`. Every change, and every PIN code read,
//! is written to the audit log as an administrator's action.
use anyhow::{bail, Context};
use ban_service_kit::DatabaseArgs;
use ban_store::ids::{object_id, token};
use ban_store::{
    AuditAction, AuditFilter, AuthorizationStrategy, NewAuditEntry, NewClient, PageRequest, Perimeter, Store,
};

/// Writes an entry of the audit log for an action already done: a failure is reported on
/// stderr, the action is not undone.
pub async fn audit(store: &dyn Store, entry: NewAuditEntry) {
    let action = entry.action;
    if let Err(error) = store.record_audit(entry).await {
        eprintln!("warning: the audit entry of {action} was not written: {error}");
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Create a client and print its token.
    Create {
        /// The client's name.
        #[arg(long)]
        name: String,
        /// The organisation operating it (defaults to the name).
        #[arg(long)]
        mandataire: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// A perimeter: commune:CODE, departement:CODE or epci:SIREN (repeatable); makes the
        /// client a chef de file.
        #[arg(long = "chef-de-file", value_name = "PERIMETER")]
        chef_de_file: Vec<String>,
        /// A managed client of the platform, without per-commune checks.
        #[arg(long, conflicts_with = "chef_de_file")]
        internal: bool,
    },
    /// List the clients.
    List,
}

#[derive(Debug, clap::Subcommand)]
pub enum HabilitationCommand {
    /// Print the PIN code last sent for a habilitation (when no SMTP relay is configured).
    Pin { id: String },
}

pub async fn client(command: &ClientCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    match command {
        ClientCommand::Create { name, mandataire, email, chef_de_file, internal } => {
            let perimeters = chef_de_file
                .iter()
                .map(|p| {
                    Perimeter::parse(p).with_context(|| {
                        format!("perimeter {p:?}: expected commune:CODE, departement:CODE or epci:SIREN")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let strategy = if *internal {
                AuthorizationStrategy::Internal
            } else if perimeters.is_empty() {
                AuthorizationStrategy::Habilitation
            } else {
                AuthorizationStrategy::ChefDeFile
            };
            let client = store
                .create_client(NewClient {
                    id: object_id(chrono::Utc::now()),
                    nom: name.clone(),
                    mandataire: mandataire.clone().unwrap_or_else(|| name.clone()),
                    email: email.clone(),
                    authorization_strategy: strategy,
                    perimeters,
                    token: token(),
                })
                .await?;
            eprintln!("client {} ({}) created, strategy {}", client.id, client.nom, strategy.as_str());
            let detail = format!("{} ({}), stratégie {}", client.nom, client.mandataire, strategy.as_str());
            let entry =
                NewAuditEntry::by_admin(AuditAction::ClientCreated).object(&client.id).client(&client.id);
            audit(&*store, entry.detail(detail)).await;
            println!("{}", client.token.expose());
        }
        ClientCommand::List => {
            for c in store.clients().await? {
                let perimeters: Vec<String> = c
                    .perimeters
                    .iter()
                    .map(|p| {
                        format!(
                            "{}:{}",
                            serde_json::to_value(p.kind).unwrap_or_default().as_str().unwrap_or(""),
                            p.code
                        )
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.id,
                    c.nom,
                    c.authorization_strategy.as_str(),
                    if c.is_active { "active" } else { "inactive" },
                    perimeters.join(",")
                );
            }
        }
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum JobCommand {
    /// List the consolidation jobs failed for good whose revision is still current (the
    /// communes whose base lags their published file), with the reason.
    Failed,
    /// Put failed jobs back in the queue, their attempts from zero (once the cause is fixed).
    Retry {
        /// Job ids, as `ban jobs failed` lists them.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Force refused plans (an administrator's decision): their jobs go back to the queue and
    /// the consolidation applies them despite the rule that refused them (a mass deletion is
    /// let through; ids of other communes are left out). As `POST /api-depot/jobs/{id}/force`.
    Force {
        /// Job ids of refused consolidations, as `ban jobs failed` lists them.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

pub async fn jobs(command: &JobCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    match command {
        JobCommand::Failed => {
            for job in store.failed_jobs().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{} attempts\t{}",
                    job.id,
                    job.code_commune,
                    job.revision_id,
                    job.outcome.as_deref().unwrap_or("failed"),
                    job.attempts,
                    job.message.unwrap_or_default()
                );
            }
        }
        JobCommand::Force { ids } => {
            for id in ids {
                // Written to the audit log by `force`, as from the API.
                let job = ban_depot::consolidation::force(&*store, *id, None).await?;
                println!(
                    "job {} of commune {} forced: revision {} queued again",
                    job.id, job.code_commune, job.revision_id
                );
            }
        }
        JobCommand::Retry { ids } => {
            for id in ids {
                let job =
                    store.retry_job(*id, chrono::Utc::now()).await.with_context(|| format!("job {id}"))?;
                println!("job {} of commune {} queued again", job.id, job.code_commune);
                let entry = NewAuditEntry::by_admin(AuditAction::JobRetried)
                    .object(job.id.to_string())
                    .commune(&job.code_commune)
                    .detail(format!("révision {}", job.revision_id));
                audit(&*store, entry).await;
            }
        }
    }
    Ok(())
}

pub async fn habilitation(command: &HabilitationCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    match command {
        HabilitationCommand::Pin { id } => {
            let Some(h) = store.habilitation(id).await? else { bail!("habilitation {id} not found") };
            match (h.pin_code, h.pin_code_expiration) {
                (Some(pin), Some(until)) => {
                    // Reading the code stands in for the town hall's consent: logged.
                    let entry = NewAuditEntry::by_admin(AuditAction::HabilitationCodeRead)
                        .object(&h.id)
                        .commune(&h.code_commune)
                        .client(&h.client_id)
                        .detail("code lu dans la base (ban habilitation pin)");
                    audit(&*store, entry).await;
                    println!(
                        "{}\t(valid until {until}, {} attempts left)",
                        pin.expose(),
                        h.remaining_attempts
                    )
                }
                _ => bail!("no PIN code pending for habilitation {id} (status {})", h.status.as_str()),
            }
        }
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The new file to write the copy to (never overwritten).
    pub destination: std::path::PathBuf,
    #[command(flatten)]
    pub store: DatabaseArgs,
}

/// `ban backup FILE`: a consistent copy of the SQLite store, taken while the services run (a
/// PostgreSQL store is backed up with PostgreSQL's own tools: docs/operations.md).
pub async fn backup(args: &BackupArgs) -> anyhow::Result<()> {
    let url = args.store.database_url.expose();
    if !url.starts_with("sqlite:") {
        bail!(
            "ban backup copies a SQLite store; back up PostgreSQL with pg_dump -Fc or continuous archiving (docs/operations.md, Backups)"
        );
    }
    let bytes = ban_store_sqlite::backup(url, &args.destination).await.with_context(|| {
        format!("backing up {} to {}", args.store.database_url, args.destination.display())
    })?;
    eprintln!("backup: {} ({bytes} bytes)", args.destination.display());
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct ChangesArgs {
    /// Print the changes after this seq.
    #[arg(long, default_value_t = 0)]
    pub since: i64,
    /// At most this many.
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
    #[command(flatten)]
    pub store: DatabaseArgs,
}

/// `ban changes`: the change feed as JSON lines, in seq order.
pub async fn changes(args: &ChangesArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let store = args.store.open().await.context("opening the store")?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for change in store.changes_since(args.since, args.limit).await? {
        serde_json::to_writer(&mut out, &change)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// This commune only.
    #[arg(long)]
    pub commune: Option<String>,
    /// This client only: its actions, and the administrators' on its objects.
    #[arg(long)]
    pub client: Option<String>,
    /// This action only (revision.published, habilitation.forced…).
    #[arg(long, value_parser = action)]
    pub action: Option<AuditAction>,
    /// Entries printed, newest first.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Skip this many of the newest first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// One JSON object per line instead of tab-separated columns.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: DatabaseArgs,
}

fn action(text: &str) -> Result<AuditAction, String> {
    AuditAction::parse(text).ok_or_else(|| {
        let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        format!("expected one of {}", known.join(", "))
    })
}

/// `ban audit`: the audit log, newest first (the store method `GET /api-depot/admin/audit`
/// reads): when, who, what, object, commune, client, address, detail.
pub async fn audit_log(args: &AuditArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let store = args.store.open().await.context("opening the store")?;
    let filter = AuditFilter {
        code_commune: args.commune.clone(),
        client_id: args.client.clone(),
        action: args.action,
    };
    let page = store.audit_entries(&filter, PageRequest { offset: args.offset, limit: args.limit }).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for entry in &page.items {
        if args.json {
            serde_json::to_writer(&mut out, entry)?;
            out.write_all(b"\n")?;
        } else {
            let field = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                entry.actor,
                entry.action,
                field(&entry.object_id),
                field(&entry.code_commune),
                field(&entry.client_id),
                field(&entry.ip),
                entry.detail
            )?;
        }
    }
    out.flush()?;
    if !args.json && page.total > page.items.len() as u64 + args.offset {
        eprintln!("({} of {} entries; --offset and --limit show the others)", page.items.len(), page.total);
    }
    Ok(())
}
