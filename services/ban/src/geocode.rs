//! `ban geocode FILE.csv`: batch geocoding of a CSV file against the local base, with the
//! columns `/search/csv/` appends (or `--reverse`: those of `/reverse/csv/`).
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use ban_bal::read::FileSource;
use ban_geocoder::live::{LiveIndex, Progress};
use ban_geocoder::GeocoderArgs;
use ban_search::csv::{reverse_csv, search_csv, CsvError, CsvOptions, CsvRun, Sink};
use ban_service_kit::{DatabaseArgs, LogArgs};

#[derive(Debug, clap::Args)]
pub struct GeocodeArgs {
    /// The CSV file (delimiter, quotes and encoding are detected).
    pub file: PathBuf,
    /// Columns joined to make the query (repeat, or comma-separated); all by default.
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Column holding a citycode filter.
    #[arg(long)]
    pub citycode: Option<String>,
    /// Column holding a postcode filter.
    #[arg(long)]
    pub postcode: Option<String>,
    /// Columns of a preference point (search) or of the point (reverse).
    #[arg(long)]
    pub lat: Option<String>,
    #[arg(long)]
    pub lon: Option<String>,
    /// Result columns to append (comma-separated); the API's by default.
    #[arg(long, value_delimiter = ',')]
    pub result_columns: Vec<String>,
    /// Reverse geocoding of the rows' points.
    #[arg(long)]
    pub reverse: bool,
    /// Where to write the result (standard output by default).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub store: DatabaseArgs,
    #[command(flatten)]
    pub geocoder: GeocoderArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

pub async fn geocode(args: &GeocodeArgs) -> anyhow::Result<()> {
    args.log.init("warn");
    // Read where it is, twice (checked, then geocoded): constant memory whatever its size.
    std::fs::metadata(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let store = args.store.open().await.context("opening the store")?;
    let started = Instant::now();
    let live = LiveIndex::start(store, args.geocoder.clone());
    let bar = crate::import::bar(0, "indexing");
    let mut progress = live.progress.clone();
    loop {
        match *progress.borrow_and_update() {
            Progress::Building { communes_done, communes } => {
                bar.set_length(communes as u64);
                bar.set_position(communes_done as u64);
            }
            Progress::Following { .. } => break,
        }
        if progress.changed().await.is_err() {
            anyhow::bail!("the index could not be built");
        }
    }
    bar.finish_and_clear();
    let indexed = started.elapsed().as_secs_f64();
    let options = CsvOptions {
        columns: args.columns.clone(),
        citycode: args.citycode.clone(),
        postcode: args.postcode.clone(),
        kind: None,
        lat: args.lat.clone(),
        lon: args.lon.clone(),
        result_columns: args.result_columns.clone(),
    };
    let bar = crate::import::bar(0, "geocoding");
    let started = Instant::now();
    let index = live.index.clone();
    let reverse = args.reverse;
    let (source, destination) = (FileSource(args.file.clone()), args.output.clone());
    let rows = std::sync::atomic::AtomicUsize::new(0);
    let (written, bar, rows) = tokio::task::spawn_blocking(move || {
        let report = |done: usize, total: usize| {
            rows.store(total, std::sync::atomic::Ordering::Relaxed);
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        };
        let written = write_output(destination, |sink| {
            let geocode = if reverse { reverse_csv } else { search_csv };
            geocode(CsvRun { index: &*index, file: &source, options: &options, progress: &report, sink })
        });
        (written, bar, rows.into_inner())
    })
    .await?;
    bar.finish_and_clear();
    written?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{rows} rows geocoded and written in {seconds:.2} s ({:.0} rows/s); index built in {indexed:.1} s",
        rows as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// Runs `geocode` with a sink that writes each block to the destination as it comes.
fn write_output(
    destination: Option<PathBuf>,
    geocode: impl FnOnce(Sink<'_>) -> Result<(), CsvError>,
) -> anyhow::Result<()> {
    let out: Box<dyn Write> = match &destination {
        Some(path) => {
            Box::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    geocode(&mut |block| out.write_all(&block)).context("geocoding the file")?;
    out.flush().context("writing the geocoded file")
}
