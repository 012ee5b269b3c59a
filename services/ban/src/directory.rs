//! `ban directory import FILE` (the directory of town halls, from the official export of the
//! DILA "API Annuaire de l'administration", replacing the previous one), `ban directory show
//! CODE` (a commune's offices and the addresses offered for its PIN code) and `ban directory
//! imports` (when, and from which file, the directory was imported).
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use ban_directory::{commune_emails, read_export, CommuneEmails, Export};
use ban_service_kit::DatabaseArgs;
use ban_store::{AuditAction, DirectoryReplaced, NewAuditEntry, NewDirectoryImport, Store};
use sha2::{Digest, Sha256};

use crate::admin::audit;

#[derive(Debug, clap::Subcommand)]
pub enum DirectoryCommand {
    /// Replace the directory of town halls by an export of the DILA "API Annuaire de
    /// l'administration" (the JSON of …/exports/json, or {"total_count", "results"}; gzip
    /// accepted; `-` reads stdin), and print what changed. Nothing is replaced if the file
    /// cannot be read whole.
    Import {
        /// The export (`.json` or `.json.gz`), or `-` for stdin.
        file: PathBuf,
    },
    /// A commune's town-hall offices, and the addresses its PIN code may be sent to.
    Show {
        /// The commune's INSEE code.
        code: String,
    },
    /// The last imports: when, from which file, what they changed.
    Imports {
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
}

pub async fn directory(command: &DirectoryCommand, store: &DatabaseArgs) -> anyhow::Result<()> {
    let store = store.open().await.context("opening the store")?;
    match command {
        DirectoryCommand::Import { file } => {
            let (export, replaced) = import_directory(&*store, file).await?;
            print_import(file, &export, &replaced);
        }
        DirectoryCommand::Show { code } => {
            let offices = store.town_halls(code).await?;
            if offices.is_empty() {
                println!("{code}: no town hall in the directory");
            }
            for office in &offices {
                let kind = if office.delegated { "delegated" } else { "main" };
                let siret = office.siret.as_deref().unwrap_or("-");
                println!("{}\t{kind}\t{}\tSIRET {siret}\t{}", office.id, office.nom, office.emails.join(";"));
            }
            println!("offered: {}", commune_emails(&offices).join(", "));
        }
        DirectoryCommand::Imports { limit } => {
            for import in store.directory_imports(*limit).await? {
                println!(
                    "{}\t{}\t{} town halls, {} communes\t+{} -{} ~{}\tsha256 {}",
                    import.imported_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    import.source,
                    import.town_halls,
                    import.communes,
                    import.added,
                    import.removed,
                    import.changed,
                    import.sha256
                );
            }
        }
    }
    Ok(())
}

/// A reader that computes the SHA-256 of what is read through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        Ok(read)
    }
}

/// Reads the export at `path` (`-`: stdin) and replaces the store's directory with it,
/// recording the import in the audit log. Nothing is replaced when the file cannot be read
/// whole, or holds no town hall (not the directory of public services).
pub async fn import_directory(store: &dyn Store, path: &Path) -> anyhow::Result<(Export, DirectoryReplaced)> {
    let source = path.display().to_string();
    let owned = path.to_owned();
    // Reading and parsing are blocking work: off the async workers.
    let (export, sha256) = tokio::task::spawn_blocking(move || -> anyhow::Result<(Export, String)> {
        let input: Box<dyn Read> = if owned.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::fs::File::open(&owned).with_context(|| format!("opening {}", owned.display()))?)
        };
        let mut hashing = Hashing { inner: input, hasher: Sha256::new() };
        let export = read_export(&mut hashing).with_context(|| format!("reading {}", owned.display()))?;
        // The hash covers the whole file, whatever the JSON reader left unread.
        std::io::copy(&mut hashing, &mut std::io::sink())?;
        Ok((export, hex::encode(hashing.hasher.finalize())))
    })
    .await??;
    if export.town_halls.is_empty() {
        bail!(
            "{source}: no town hall among its {} records (records whose pivot has the type \"mairie\"): \
             the directory is left as it is",
            export.records
        );
    }
    let import = NewDirectoryImport { source: source.clone(), sha256, at: chrono::Utc::now() };
    let replaced =
        store.replace_directory(import, &export.town_halls).await.context("replacing the directory")?;
    let changes = &replaced.changes;
    let detail = format!(
        "{source} : {} mairies, {} communes ; {} ajoutées, {} retirées, {} aux adresses changées",
        replaced.import.town_halls,
        replaced.import.communes,
        changes.added.len(),
        changes.removed.len(),
        changes.changed.len()
    );
    audit(store, NewAuditEntry::by_admin(AuditAction::DirectoryImported).detail(detail)).await;
    Ok((export, replaced))
}

/// Communes listed in full in each part of the report; beyond, their number.
const LISTED: usize = 50;

fn print_import(file: &Path, export: &Export, replaced: &DirectoryReplaced) {
    let import = &replaced.import;
    println!(
        "directory imported from {}: {} town halls of {} communes ({} records read), sha256 {}",
        file.display(),
        import.town_halls,
        import.communes,
        export.records,
        import.sha256
    );
    for skipped in &export.skipped {
        eprintln!("warning: town hall left out: {skipped}");
    }
    let changes = &replaced.changes;
    if changes.is_empty() {
        println!("no change");
    }
    let list = |title: &str, communes: &[CommuneEmails], line: &dyn Fn(&CommuneEmails) -> String| {
        if communes.is_empty() {
            return;
        }
        println!("{title}: {}", communes.len());
        for commune in communes.iter().take(LISTED) {
            println!("  {}", line(commune));
        }
        if communes.len() > LISTED {
            println!("  … and {} more", communes.len() - LISTED);
        }
    };
    let shown =
        |emails: &[String]| if emails.is_empty() { "(no address)".to_owned() } else { emails.join(", ") };
    list("communes added", &changes.added, &|c| format!("{} {}", c.code, shown(&c.after)));
    list("communes removed", &changes.removed, &|c| format!("{} {}", c.code, shown(&c.before)));
    list("communes whose addresses changed", &changes.changed, &|c| {
        format!("{} {} → {}", c.code, shown(&c.before), shown(&c.after))
    });
}
