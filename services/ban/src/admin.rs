//! Administration from the command line, on the store of `DATABASE_URL`: clients, mandataires
//! and chefs de file (the operations of the depot's administration routes,
//! [`ban_depot::administration`]), habilitations, failed consolidation jobs and the audit log.
//! Every change, and every PIN code read, is written to the audit log as an administrator's
//! action.
use anyhow::{bail, Context};
use ban_depot::administration::{
    self, CreateChefDeFile, CreateClient, CreateMandataire, Origin, UpdateChefDeFile, UpdateClient,
    UpdateMandataire,
};
use ban_service_kit::DatabaseArgs;
use ban_store::{
    AuditAction, AuditFilter, AuthorizationStrategy, NewAuditEntry, PageRequest, Perimeter, Store,
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
    /// Create a client and print its token (shown this once).
    Create {
        /// The client's name.
        #[arg(long)]
        name: String,
        /// The name of the organisation operating it, when it has no mandataire record
        /// (defaults to the name).
        #[arg(long, conflicts_with = "mandataire_id")]
        mandataire: Option<String>,
        /// The mandataire operating it (`ban mandataire create`).
        #[arg(long)]
        mandataire_id: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// A perimeter of its own: commune:CODE, departement:CODE or epci:SIREN (repeatable);
        /// makes the client a chef de file.
        #[arg(long = "chef-de-file", value_name = "PERIMETER", conflicts_with = "chef_de_file_id")]
        chef_de_file: Vec<String>,
        /// The chef de file whose perimeters it publishes within (`ban chef-de-file create`).
        #[arg(long)]
        chef_de_file_id: Option<String>,
        /// A managed client of the platform, without per-commune checks.
        #[arg(long, conflicts_with_all = ["chef_de_file", "chef_de_file_id"])]
        internal: bool,
        /// The fixed id of one of the platform's own clients (mes-adresses, moissonneur-bal…),
        /// which the statistics count apart.
        #[arg(long)]
        legacy_id: Option<String>,
        /// Create it disabled (`ban client enable` lets it authenticate).
        #[arg(long)]
        disabled: bool,
    },
    /// List the clients (id, name, strategy, state, perimeters).
    List,
    /// Print a client (JSON, without its token).
    Show { id: String },
    /// Change a client; print it (JSON).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// Link it to this mandataire.
        #[arg(long, conflicts_with = "no_mandataire")]
        mandataire_id: Option<String>,
        /// Unlink it from its mandataire (the name stays).
        #[arg(long)]
        no_mandataire: bool,
        /// Link it to this chef de file (it becomes chef-de-file).
        #[arg(long, conflicts_with = "no_chef_de_file")]
        chef_de_file_id: Option<String>,
        /// Unlink it from its chef de file (it publishes by habilitation).
        #[arg(long)]
        no_chef_de_file: bool,
        #[arg(long, conflicts_with = "no_email")]
        email: Option<String>,
        #[arg(long)]
        no_email: bool,
        /// internal, chef-de-file or habilitation.
        #[arg(long, value_parser = strategy)]
        strategy: Option<AuthorizationStrategy>,
        #[arg(long)]
        legacy_id: Option<String>,
    },
    /// Disable a client: it no longer authenticates (its publications stay).
    Disable { id: String },
    /// Enable a disabled client.
    Enable { id: String },
    /// Give a client a new token and print it; the old one no longer authenticates.
    RotateToken { id: String },
    /// Replace the perimeters a chef-de-file client publishes within (its chef de file's, shared
    /// by the chef de file's other clients, or its own).
    Perimeter {
        id: String,
        /// commune:CODE, departement:CODE or epci:SIREN.
        #[arg(required = true, value_parser = perimeter)]
        perimeters: Vec<Perimeter>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum MandataireCommand {
    /// Create a mandataire (the organisation operating clients); print it (JSON).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// List the mandataires (id, name, e-mail).
    List,
    /// Print a mandataire (JSON).
    Show { id: String },
    /// Change a mandataire; print it (JSON).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ChefDeFileCommand {
    /// Create a chef de file (a partner publishing within a perimeter); print it (JSON).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// commune:CODE, departement:CODE or epci:SIREN (repeatable).
        #[arg(long = "perimeter", value_parser = perimeter)]
        perimeters: Vec<Perimeter>,
        /// Show its address with its clients' publications.
        #[arg(long)]
        email_public: bool,
        /// It signed the BAL charter.
        #[arg(long)]
        signataire_charte: bool,
    },
    /// List the chefs de file (id, name, e-mail, perimeters).
    List,
    /// Print a chef de file (JSON).
    Show { id: String },
    /// Change a chef de file; print it (JSON).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Replaces its whole perimeter (repeatable); its clients publish within the new one.
        #[arg(long = "perimeter", value_parser = perimeter)]
        perimeters: Vec<Perimeter>,
        #[arg(long)]
        email_public: Option<bool>,
        #[arg(long)]
        signataire_charte: Option<bool>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum HabilitationCommand {
    /// Print the PIN code last sent for a habilitation (when no SMTP relay is configured).
    Pin { id: String },
}

fn perimeter(text: &str) -> Result<Perimeter, String> {
    Perimeter::parse(text)
        .ok_or_else(|| format!("perimeter {text:?}: expected commune:CODE, departement:CODE or epci:SIREN"))
}

fn strategy(text: &str) -> Result<AuthorizationStrategy, String> {
    AuthorizationStrategy::parse(text)
        .ok_or_else(|| format!("strategy {text:?}: expected internal, chef-de-file or habilitation"))
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn perimeters_text(perimeters: &[Perimeter]) -> String {
    perimeters.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// `ban client …`: the operations of the administration routes ([`ban_depot::administration`]).
pub async fn client(command: &ClientCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    let store = &*store;
    match command {
        ClientCommand::Create {
            name,
            mandataire,
            mandataire_id,
            email,
            chef_de_file,
            chef_de_file_id,
            internal,
            legacy_id,
            disabled,
        } => {
            let perimeters = chef_de_file.iter().map(|p| perimeter(p)).collect::<Result<Vec<_>, _>>();
            let input = CreateClient {
                nom: name.clone(),
                mandataire_id: mandataire_id.clone(),
                chef_de_file_id: chef_de_file_id.clone(),
                email: email.clone(),
                is_active: Some(!disabled),
                authorization_strategy: internal.then_some(AuthorizationStrategy::Internal),
                legacy_id: legacy_id.clone(),
                mandataire: mandataire_id
                    .is_none()
                    .then(|| mandataire.clone().unwrap_or_else(|| name.clone())),
                perimeters: perimeters.map_err(anyhow::Error::msg)?,
            };
            let created = administration::create_client(store, Origin::COMMAND_LINE, input).await?;
            let client = &created.client;
            let strategy = client.authorization_strategy.as_str();
            eprintln!(
                "client {} ({}) created, strategy {strategy}{}",
                client.id,
                client.nom,
                if client.is_active { "" } else { ", disabled" }
            );
            println!("{}", created.token);
        }
        ClientCommand::List => {
            for c in administration::clients(store).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.id,
                    c.nom,
                    c.authorization_strategy.as_str(),
                    if c.is_active { "active" } else { "inactive" },
                    perimeters_text(&c.perimeters)
                );
            }
        }
        ClientCommand::Show { id } => print_json(&administration::client(store, id).await?)?,
        ClientCommand::Update {
            id,
            name,
            mandataire_id,
            no_mandataire,
            chef_de_file_id,
            no_chef_de_file,
            email,
            no_email,
            strategy,
            legacy_id,
        } => {
            let either = |value: &Option<String>, none: bool| match (value, none) {
                (Some(value), _) => Some(Some(value.clone())),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let input = UpdateClient {
                nom: name.clone(),
                mandataire_id: either(mandataire_id, *no_mandataire),
                chef_de_file_id: either(chef_de_file_id, *no_chef_de_file),
                email: either(email, *no_email),
                authorization_strategy: *strategy,
                legacy_id: legacy_id.clone().map(Some),
                ..UpdateClient::default()
            };
            print_json(&administration::update_client(store, Origin::COMMAND_LINE, id, input).await?)?;
        }
        ClientCommand::Disable { id } => {
            let client = administration::set_client_active(store, Origin::COMMAND_LINE, id, false).await?;
            eprintln!("client {} ({}) disabled", client.id, client.nom);
        }
        ClientCommand::Enable { id } => {
            let client = administration::set_client_active(store, Origin::COMMAND_LINE, id, true).await?;
            eprintln!("client {} ({}) enabled", client.id, client.nom);
        }
        ClientCommand::RotateToken { id } => {
            let renewed = administration::rotate_client_token(store, Origin::COMMAND_LINE, id).await?;
            eprintln!(
                "client {} ({}): new token, the old one no longer works",
                renewed.client.id, renewed.client.nom
            );
            println!("{}", renewed.token);
        }
        ClientCommand::Perimeter { id, perimeters } => {
            print_json(
                &administration::set_client_perimeters(store, Origin::COMMAND_LINE, id, perimeters).await?,
            )?;
        }
    }
    Ok(())
}

/// `ban mandataire …`
pub async fn mandataire(command: &MandataireCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    let store = &*store;
    match command {
        MandataireCommand::Create { name, email } => {
            let input = CreateMandataire { nom: name.clone(), email: email.clone() };
            print_json(&administration::create_mandataire(store, Origin::COMMAND_LINE, input).await?)?;
        }
        MandataireCommand::List => {
            for m in administration::mandataires(store).await? {
                println!("{}\t{}\t{}", m.id, m.nom, m.email);
            }
        }
        MandataireCommand::Show { id } => print_json(&administration::mandataire(store, id).await?)?,
        MandataireCommand::Update { id, name, email } => {
            let input = UpdateMandataire { nom: name.clone(), email: email.clone() };
            print_json(&administration::update_mandataire(store, Origin::COMMAND_LINE, id, input).await?)?;
        }
    }
    Ok(())
}

/// `ban chef-de-file …`
pub async fn chef_de_file(command: &ChefDeFileCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    let store = &*store;
    match command {
        ChefDeFileCommand::Create { name, email, perimeters, email_public, signataire_charte } => {
            let input = CreateChefDeFile {
                nom: name.clone(),
                email: email.clone(),
                is_email_public: Some(*email_public),
                is_signataire_charte: Some(*signataire_charte),
                perimeters: Some(perimeters.clone()),
            };
            print_json(&administration::create_chef_de_file(store, Origin::COMMAND_LINE, input).await?)?;
        }
        ChefDeFileCommand::List => {
            for c in administration::chefs_de_file(store).await? {
                println!("{}\t{}\t{}\t{}", c.id, c.nom, c.email, perimeters_text(&c.perimeters));
            }
        }
        ChefDeFileCommand::Show { id } => print_json(&administration::chef_de_file(store, id).await?)?,
        ChefDeFileCommand::Update { id, name, email, perimeters, email_public, signataire_charte } => {
            let input = UpdateChefDeFile {
                nom: name.clone(),
                email: email.clone(),
                is_email_public: *email_public,
                is_signataire_charte: *signataire_charte,
                perimeters: (!perimeters.is_empty()).then(|| perimeters.clone()),
            };
            print_json(&administration::update_chef_de_file(store, Origin::COMMAND_LINE, id, input).await?)?;
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
