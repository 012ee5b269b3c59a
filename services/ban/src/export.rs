//! `ban export`: an export of the local base written to a file, as the downloads service
//! serves it.
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use ban_downloads::export::{communes_of, ExportStream};
use ban_exports::{CsvStyle, Format, Scope};
use ban_service_kit::{DatabaseArgs, LogArgs};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// csv, csv-with-ids, lieux-dits, lieux-dits-with-ids, csv-bal, csv-bal-1.4, geojson,
    /// geojson-toponymes, geojsonl or addok.
    #[arg(long)]
    pub format: String,
    /// A département (`54`, `2A`, `971`); France when neither this nor --commune is given.
    #[arg(long, conflicts_with = "commune")]
    pub dep: Option<String>,
    /// One commune (INSEE code).
    #[arg(long)]
    pub commune: Option<String>,
    /// The file to write (gzip when it ends in `.gz`); the download site's name by default.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub store: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

pub async fn export(args: &ExportArgs) -> anyhow::Result<()> {
    args.log.init("warn");
    let Some(format) = Format::from_name(&args.format) else {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        bail!("unknown format {:?}: one of {}", args.format, names.join(", "));
    };
    let scope = match (&args.dep, &args.commune) {
        (Some(dep), _) => match Scope::parse(&dep.to_uppercase()) {
            Some(scope @ Scope::Departement(_)) => scope,
            _ => bail!("{dep:?} is not a département code (01…95, 2A, 2B, 971…989)"),
        },
        (None, Some(code)) => match Scope::parse(&code.to_uppercase()) {
            Some(scope @ Scope::Commune(_)) => scope,
            _ => bail!("{code:?} is not a commune code"),
        },
        (None, None) => Scope::France,
    };
    let output = args.output.clone().unwrap_or_else(|| PathBuf::from(format.file_name(&scope)));
    let gzip = output.extension().is_some_and(|e| e == "gz");
    let started = Instant::now();
    let store = args.store.open().await.context("opening the store")?;
    let communes = communes_of(&*store, &scope).await?;
    let mut stream = ExportStream::new(store, format, scope, &communes, CsvStyle::Daily, gzip);
    let partial = output.with_extension("partial");
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&partial).with_context(|| format!("creating {}", partial.display()))?,
    );
    let bar = crate::import::bar(communes.len() as u64, "exporting");
    while let Some(chunk) = stream.next_chunk().await? {
        file.write_all(&chunk)?;
        bar.set_position(stream.progress().0 as u64);
    }
    file.flush()?;
    drop(file);
    // Written whole or not at all.
    std::fs::rename(&partial, &output).with_context(|| format!("writing {}", output.display()))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let rows = stream.rows();
    println!(
        "{}: {} rows of {} communes in {seconds:.1} s ({:.0} rows/s)",
        output.display(),
        rows,
        communes.len(),
        rows as f64 / seconds.max(1e-9)
    );
    Ok(())
}
