//! Batch geocoding of a CSV file (`POST /search/csv/`, `POST /reverse/csv/`, the batch jobs,
//! `ban geocode`): the file's dialect is detected (delimiter, quotes, encoding, line breaks)
//! and kept in the output; each row is geocoded exactly as `/search/?autocomplete=0&limit=2`
//! (or `/reverse/`) would answer it, and the result columns of the production API are
//! appended.
//!
//! Files of millions of rows go through in constant memory: the file is read twice from its
//! source (a file on disk), once to check it whole ([`inspect`]: its dialect, header, rows,
//! an unclosed quote) so that a bad file is refused before any output, then a block of rows
//! at a time, the blocks geocoded on the rayon pool and given to the sink in the file's
//! order, never more than [`MAX_BLOCKS_AHEAD`] blocks read ahead of the sink. The index is
//! read-locked a block at a time, so that a long run never holds the live index's updates.
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, PoisonError, RwLock};

use ban_bal::read::{detect, tokenize, Dialect, Linebreak, QuoteProblem, RawRow, Source, Tokenizer};
use serde_json::Value;

use crate::render;
use crate::{Filters, Hit, Index, ResultType, ReverseQuery, SearchQuery};

/// The columns appended by `/search/csv/` when `result_columns` is not given.
pub const SEARCH_COLUMNS: [&str; 18] =
    concat(["longitude", "latitude", "result_score", "result_score_next"], RESULT_COLUMNS);

/// The columns appended by `/reverse/csv/`.
pub const REVERSE_COLUMNS: [&str; 17] =
    concat(["result_longitude", "result_latitude", "result_distance"], RESULT_COLUMNS);

/// The result's own columns, appended by both after their position and score columns.
const RESULT_COLUMNS: [&str; 14] = [
    "result_label",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_name",
    "result_street",
    "result_postcode",
    "result_city",
    "result_context",
    "result_citycode",
    "result_oldcitycode",
    "result_oldcity",
    "result_district",
    "result_status",
];

/// `head` then `tail` as one array, for the constants above (`N` is checked when they are
/// built).
const fn concat<const H: usize, const T: usize, const N: usize>(
    head: [&'static str; H],
    tail: [&'static str; T],
) -> [&'static str; N] {
    assert!(H + T == N, "N must be the sum of the lengths");
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < H { head[i] } else { tail[i - H] };
        i += 1;
    }
    out
}

/// Told how many rows are done, of how many.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);
/// Given the output file in order, a block of lines at a time (the header line first), as
/// the blocks are geocoded: it can be sent or written while the rest is being geocoded. An
/// error (the client gone, a full disk) stops the geocoding.
pub type Sink<'a> = &'a mut dyn FnMut(Vec<u8>) -> std::io::Result<()>;

/// Where a geocoding reads the index: for each block of rows, so that a run of millions of
/// rows lets the live index be updated between its blocks.
pub trait IndexReader: Sync {
    fn read(&self) -> Box<dyn Deref<Target = Index> + '_>;
}

impl IndexReader for Index {
    fn read(&self) -> Box<dyn Deref<Target = Index> + '_> {
        Box::new(self)
    }
}

impl IndexReader for RwLock<Index> {
    fn read(&self) -> Box<dyn Deref<Target = Index> + '_> {
        Box::new(RwLock::read(self).unwrap_or_else(PoisonError::into_inner))
    }
}

/// What a CSV geocoding reads and where it writes: the same for both ([`search_csv`] and
/// [`reverse_csv`]).
pub struct CsvRun<'a> {
    pub index: &'a dyn IndexReader,
    /// The file, as uploaded (read twice: see the module's doc).
    pub file: &'a (dyn Source + Sync),
    pub options: &'a CsvOptions,
    pub progress: Progress<'a>,
    pub sink: Sink<'a>,
}

impl std::fmt::Debug for CsvRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRun")
            .field("file", &self.file.name())
            .field("options", self.options)
            .finish_non_exhaustive()
    }
}
/// A CSV geocoding: the index, the file, its options → the file with result columns, into
/// the sink. Errors about the file come before anything is given to the sink.
pub type CsvGeocoding = fn(CsvRun<'_>) -> Result<(), CsvError>;

/// How to read the rows of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CsvOptions {
    /// Columns joined to make the query (all when empty).
    pub columns: Vec<String>,
    /// Columns holding filter values (a cell may hold `a+b`).
    pub citycode: Option<String>,
    pub postcode: Option<String>,
    pub kind: Option<String>,
    /// Columns holding a preference centre (search) or the point (reverse).
    pub lat: Option<String>,
    pub lon: Option<String>,
    /// Result columns to append, in order (the defaults when empty).
    pub result_columns: Vec<String>,
}

/// Why a file cannot be geocoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is not a readable CSV: {0}")]
    Unreadable(String),
    #[error("the file has no header line")]
    Empty,
    #[error("line {line}: a quoted field is never closed")]
    UnclosedQuote { line: usize },
    #[error("At least one given column name is unknown: {0}")]
    UnknownColumn(String),
    #[error("no latitude/longitude columns: name them lat and lon (or give lat= and lon=)")]
    NoCoordinates,
    /// The sink refused a block: the geocoding stopped there.
    #[error("the output could not be written: {0}")]
    Output(String),
}

/// A file checked whole, before any row is geocoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    pub dialect: Dialect,
    /// The header line's cells (without a byte-order mark).
    pub header: Vec<String>,
    /// Rows after the header, blank lines left out.
    pub rows: usize,
}

/// Reads the whole file once, in constant memory: its dialect, header and number of rows,
/// or why it cannot be geocoded (a quoted field never closed is found only at the end).
pub fn inspect(file: &(dyn Source + Sync)) -> Result<CsvFile, CsvError> {
    let dialect = detect(file).map_err(|e| CsvError::Unreadable(e.to_string()))?;
    let mut reader = Rows::open(file, &dialect)?;
    let header = reader.header()?;
    let mut rows = 0;
    while reader.next_row()?.is_some() {
        rows += 1;
    }
    Ok(CsvFile { dialect, header, rows })
}

/// The rows of a file, decoded, read through its tokenizer.
struct Rows<'s> {
    tokenizer: Tokenizer<Box<dyn Read + Send + 's>>,
    dialect: Dialect,
    row: RawRow,
}

impl<'s> Rows<'s> {
    fn open(file: &'s (dyn Source + Sync), dialect: &Dialect) -> Result<Self, CsvError> {
        let tokenizer = tokenize(file, dialect).map_err(|e| CsvError::Unreadable(e.to_string()))?;
        Ok(Rows { tokenizer, dialect: *dialect, row: RawRow::default() })
    }

    /// The first row that is not blank, without a byte-order mark.
    fn header(&mut self) -> Result<Vec<String>, CsvError> {
        let mut header = self.next_row()?.ok_or(CsvError::Empty)?;
        if let Some(first) = header.first_mut() {
            *first = first.trim_start_matches('\u{feff}').to_owned();
        }
        Ok(header)
    }

    /// The next row that is not blank; `None` at the end.
    fn next_row(&mut self) -> Result<Option<Vec<String>>, CsvError> {
        loop {
            let more =
                self.tokenizer.next_row(&mut self.row).map_err(|e| CsvError::Unreadable(e.to_string()))?;
            // Harmless quote problems are dropped as they come (memory stays constant).
            let problems = std::mem::take(&mut self.tokenizer.problems);
            if let Some(QuoteProblem::Missing { line, .. }) =
                problems.iter().find(|p| matches!(p, QuoteProblem::Missing { .. }))
            {
                return Err(CsvError::UnclosedQuote { line: *line });
            }
            if !more {
                return Ok(None);
            }
            if !self.row.is_blank() {
                let encoding = self.dialect.encoding;
                return Ok(Some(self.row.fields().map(|f| encoding.decode(f).into_owned()).collect()));
            }
        }
    }
}

fn column(header: &[String], name: &str) -> Result<usize, CsvError> {
    header.iter().position(|h| h == name).ok_or_else(|| CsvError::UnknownColumn(name.to_owned()))
}

fn optional_column(header: &[String], name: &Option<String>) -> Result<Option<usize>, CsvError> {
    name.as_deref().map(|n| column(header, n)).transpose()
}

fn cell(row: &[String], index: Option<usize>) -> &str {
    index.and_then(|i| row.get(i)).map_or("", |v| v.trim())
}

fn filters_of(row: &[String], columns: &FilterColumns) -> Filters {
    let split =
        |text: &str| text.split(['+', ' ']).filter(|v| !v.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    Filters {
        types: split(cell(row, columns.kind)).iter().filter_map(|t| ResultType::parse(t)).collect(),
        postcodes: split(cell(row, columns.postcode)),
        citycodes: split(cell(row, columns.citycode)),
    }
}

fn value_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Geocodes every row of a CSV file with the index; `progress` is told how many rows are done.
pub fn search_csv(run: CsvRun<'_>) -> Result<(), CsvError> {
    let file = inspect(run.file)?;
    let (header, options) = (&file.header, run.options);
    let query_columns: Vec<usize> = if options.columns.is_empty() {
        (0..header.len()).collect()
    } else {
        options.columns.iter().map(|c| column(header, c)).collect::<Result<_, _>>()?
    };
    let filter_columns = filter_columns(header, options)?;
    let (lat, lon) = (optional_column(header, &options.lat)?, optional_column(header, &options.lon)?);
    let result_columns = chosen_columns(options, &SEARCH_COLUMNS);
    in_parallel(run, &file, &result_columns, |index, row| {
        let q: String = query_columns
            .iter()
            .map(|i| cell(row, Some(*i)))
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !SearchQuery::accepts_q(&q) {
            return status_only(&result_columns, "skipped");
        }
        let center = match (cell(row, lon).parse::<f64>(), cell(row, lat).parse::<f64>()) {
            (Ok(lon), Ok(lat)) if lon.abs() < 180.0 && lat.abs() < 90.0 => Some([lon, lat]),
            _ => None,
        };
        let query = SearchQuery {
            q: q.trim().to_owned(),
            limit: 2,
            autocomplete: false,
            center,
            filters: filters_of(row, &filter_columns),
        };
        result_cells(index, &index.search(&query), &result_columns)
    })
}

/// Reverse-geocodes every row of a CSV file (its `lat`/`lon` columns).
pub fn reverse_csv(run: CsvRun<'_>) -> Result<(), CsvError> {
    let file = inspect(run.file)?;
    let (header, options) = (&file.header, run.options);
    let find = |given: &Option<String>, names: &[&str]| -> Result<usize, CsvError> {
        match given {
            Some(name) => column(header, name),
            None => names
                .iter()
                .find_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
                .ok_or(CsvError::NoCoordinates),
        }
    };
    let lat = find(&options.lat, &["lat", "latitude"])?;
    let lon = find(&options.lon, &["lon", "lng", "long", "longitude"])?;
    let filter_columns = filter_columns(header, options)?;
    let result_columns = chosen_columns(options, &REVERSE_COLUMNS);
    in_parallel(run, &file, &result_columns, |index, row| {
        let point = (cell(row, Some(lon)).parse::<f64>(), cell(row, Some(lat)).parse::<f64>());
        let (Ok(x), Ok(y)) = point else { return status_only(&result_columns, "skipped") };
        if !(x.abs() < 180.0 && y.abs() < 90.0) {
            return status_only(&result_columns, "skipped");
        }
        let query = ReverseQuery { lon: x, lat: y, limit: 1, filters: filters_of(row, &filter_columns) };
        result_cells(index, &index.reverse(&query), &result_columns)
    })
}

/// The columns holding the filters' values.
struct FilterColumns {
    citycode: Option<usize>,
    postcode: Option<usize>,
    kind: Option<usize>,
}

fn filter_columns(header: &[String], options: &CsvOptions) -> Result<FilterColumns, CsvError> {
    Ok(FilterColumns {
        citycode: optional_column(header, &options.citycode)?,
        postcode: optional_column(header, &options.postcode)?,
        kind: optional_column(header, &options.kind)?,
    })
}

/// The result columns asked for, else the route's.
fn chosen_columns(options: &CsvOptions, defaults: &[&str]) -> Vec<String> {
    if options.result_columns.is_empty() {
        defaults.iter().map(|c| c.to_string()).collect()
    } else {
        options.result_columns.clone()
    }
}

/// The result cells of a row: the best hit's point and properties (`result_X` = property X),
/// the next hit's score, the status.
fn result_cells(index: &Index, hits: &[Hit], columns: &[String]) -> Vec<String> {
    let Some(best) = hits.first() else { return status_only(columns, "not-found") };
    let with_xy = columns.iter().any(|c| c == "result_x" || c == "result_y");
    let properties = render::properties_with(index, best, with_xy);
    let [lon, lat] = best.point(index);
    columns
        .iter()
        .map(|name| match name.as_str() {
            "longitude" | "result_longitude" => lon.to_string(),
            "latitude" | "result_latitude" => lat.to_string(),
            "result_score_next" => hits.get(1).map(|h| h.score.to_string()).unwrap_or_default(),
            "result_status" => "ok".to_owned(),
            other => value_text(properties.get(other.strip_prefix("result_").unwrap_or(other))),
        })
        .collect()
}

fn status_only(columns: &[String], status: &str) -> Vec<String> {
    columns.iter().map(|c| if c == "result_status" { status.to_owned() } else { String::new() }).collect()
}

/// Rows a task takes at a time (small enough that every core finishes at about the same time).
const ROWS_PER_BLOCK: usize = 512;

/// Blocks read from the file and not yet given to the sink, at most: what a run holds in
/// memory whatever the file's size (a sink slower than the geocoding holds the reading).
pub const MAX_BLOCKS_AHEAD: usize = 16;

/// The file's rows, read a block at a time by whichever task needs one.
struct BlockReader<'s> {
    rows: Rows<'s>,
    /// The number of the next block read.
    next_block: usize,
    finished: bool,
    error: Option<CsvError>,
}

impl BlockReader<'_> {
    /// The next block of rows and its number, if it may be read: not past the end, and not
    /// more than [`MAX_BLOCKS_AHEAD`] blocks ahead of the sink (which has had `emitted`).
    fn next_block(&mut self, emitted: usize) -> Option<(usize, Vec<Vec<String>>)> {
        if !self.may_read(emitted) {
            return None;
        }
        let mut rows = Vec::with_capacity(ROWS_PER_BLOCK);
        while rows.len() < ROWS_PER_BLOCK {
            match self.rows.next_row() {
                Ok(Some(row)) => rows.push(row),
                Ok(None) => {
                    self.finished = true;
                    break;
                }
                Err(error) => {
                    self.error = Some(error);
                    self.finished = true;
                    break;
                }
            }
        }
        if rows.is_empty() {
            return None;
        }
        self.next_block += 1;
        Some((self.next_block - 1, rows))
    }

    fn may_read(&self, emitted: usize) -> bool {
        !self.finished && self.next_block < emitted + MAX_BLOCKS_AHEAD
    }
}

/// What a task tells the coordinating thread: a block's output, or that it stopped.
enum Message {
    Block(usize, String),
    Stopped,
}

/// Runs `f` on every row of the file on the shared rayon pool and gives the sink the output:
/// the header line, then each row followed by the result cells `f` gives, in the rows' order,
/// a block at a time as soon as it and the blocks before it are done. Up to one task per pool
/// thread reads the next block, geocodes it and sends it; a task stops when the sink is
/// [`MAX_BLOCKS_AHEAD`] blocks behind (the caller starts tasks again as the sink catches up),
/// so that no task ever waits: a pool of one thread, whose only thread is the caller, works
/// the same way. A slow block does not leave a core idle.
fn in_parallel<F>(run: CsvRun<'_>, file: &CsvFile, result_columns: &[String], f: F) -> Result<(), CsvError>
where
    F: Fn(&Index, &[String]) -> Vec<String> + Sync,
{
    let CsvRun { index, file: source, progress, sink, .. } = run;
    let layout = Layout(file.dialect);
    let mut header = String::new();
    layout.write_line(&mut header, file.header.iter().chain(result_columns).map(String::as_str));
    let output_error = |e: std::io::Error| CsvError::Output(e.to_string());
    sink(header.into_bytes()).map_err(output_error)?;
    progress(0, file.rows);

    let mut rows = Rows::open(source, &file.dialect)?;
    rows.header()?;
    let reader = Mutex::new(BlockReader { rows, next_block: 0, finished: false, error: None });
    let lock = || reader.lock().unwrap_or_else(PoisonError::into_inner);
    let (emitted, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (sender, messages) = mpsc::channel::<Message>();
    let tasks = rayon::current_num_threads().max(1);
    let mut written = Ok(());
    rayon::in_place_scope(|scope| {
        let (f, layout, emitted, done, lock) = (&f, &layout, &emitted, &done, &lock);
        let task = |sender: mpsc::Sender<Message>| {
            move |_: &rayon::Scope<'_>| {
                loop {
                    let Some((block, rows)) = lock().next_block(emitted.load(Ordering::Acquire)) else {
                        break;
                    };
                    let mut out = String::with_capacity(rows.len() * 256);
                    {
                        let guard = index.read();
                        let index: &Index = &guard;
                        for row in &rows {
                            layout.write_line(&mut out, row.iter().chain(&f(index, row)).map(String::as_str));
                        }
                    }
                    progress(done.fetch_add(rows.len(), Ordering::Relaxed) + rows.len(), file.rows);
                    if sender.send(Message::Block(block, out)).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Message::Stopped);
            }
        };
        let mut running = 0;
        let mut waiting = BTreeMap::new();
        loop {
            while running < tasks && lock().may_read(emitted.load(Ordering::Acquire)) {
                scope.spawn(task(sender.clone()));
                running += 1;
            }
            if running == 0 {
                break;
            }
            // Never `None`: this thread holds a sender.
            let Some(message) = receive(&messages) else { break };
            match message {
                Message::Stopped => running -= 1,
                // Blocks arrive in any order; they leave in the file's.
                Message::Block(block, out) => {
                    waiting.insert(block, out);
                    let mut next = emitted.load(Ordering::Acquire);
                    while let Some(out) = waiting.remove(&next) {
                        if written.is_ok() {
                            written = sink(out.into_bytes()).map_err(output_error);
                            if written.is_err() {
                                lock().finished = true;
                            }
                        }
                        next += 1;
                    }
                    emitted.store(next, Ordering::Release);
                }
            }
        }
    });
    written?;
    match reader.into_inner().unwrap_or_else(PoisonError::into_inner).error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The next message, `None` once every sender is gone. Called on a thread of the pool (whose
/// tasks may be queued behind the caller), it runs pending tasks while it waits.
fn receive<T>(receiver: &mpsc::Receiver<T>) -> Option<T> {
    use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
    loop {
        match receiver.try_recv() {
            Ok(message) => return Some(message),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        match rayon::yield_now() {
            None => return receiver.recv().ok(),
            Some(rayon::Yield::Executed) => {}
            Some(rayon::Yield::Idle) => match receiver.recv_timeout(std::time::Duration::from_millis(1)) {
                Ok(message) => return Some(message),
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {}
            },
        }
    }
}

/// How the output's lines are written: in the file's dialect.
struct Layout(Dialect);

impl Layout {
    /// Appends one output line: the cells, in the file's dialect.
    fn write_line<'a>(&self, out: &mut String, cells: impl Iterator<Item = &'a str>) {
        let delimiter = self.0.delimiter.unwrap_or(b',') as char;
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            if cell.contains([delimiter, '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(cell);
            }
        }
        out.push_str(match self.0.linebreak {
            Linebreak::CrLf => "\r\n",
            _ => "\n",
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_columns_are_those_of_the_production_api() {
        let result = "result_label;result_type;result_id;result_housenumber;result_name;result_street;\
            result_postcode;result_city;result_context;result_citycode;result_oldcitycode;result_oldcity;\
            result_district;result_status";
        assert_eq!(
            SEARCH_COLUMNS.join(";"),
            format!("longitude;latitude;result_score;result_score_next;{result}")
        );
        assert_eq!(
            REVERSE_COLUMNS.join(";"),
            format!("result_longitude;result_latitude;result_distance;{result}")
        );
    }

    #[test]
    fn a_pool_thread_waiting_for_its_blocks_runs_them() {
        let mut file = String::from("adresse\n");
        for i in 0..ROWS_PER_BLOCK * 3 {
            file.push_str(&format!("{i} rue des Lilas\n"));
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        let file = file.into_bytes();
        pool.install(|| {
            let options = CsvOptions::default();
            let sink = &mut |block: Vec<u8>| {
                out.extend_from_slice(&block);
                Ok(())
            };
            search_csv(CsvRun {
                index: &Index::new(),
                file: &file,
                options: &options,
                progress: &|_, _| {},
                sink,
            })
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), ROWS_PER_BLOCK * 3 + 1);
    }

    #[test]
    fn blocks_come_out_in_the_rows_order() {
        let mut file = String::from("id;adresse\r\n");
        let rows = ROWS_PER_BLOCK * 5 + 7;
        for i in 0..rows {
            file.push_str(&format!("{i};{i} rue \"des\" Lilas\r\n"));
        }
        let options = CsvOptions { columns: vec!["adresse".into()], ..CsvOptions::default() };
        let (mut blocks, done) = (0, std::sync::atomic::AtomicUsize::new(0));
        let mut out = Vec::new();
        search_csv(CsvRun {
            index: &Index::new(),
            file: &file.into_bytes(),
            options: &options,
            progress: &|n, total| {
                assert_eq!(total, rows);
                done.store(n, std::sync::atomic::Ordering::Relaxed);
            },
            sink: &mut |block| {
                blocks += 1;
                out.extend_from_slice(&block);
                Ok(())
            },
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(blocks, 1 + rows.div_ceil(ROWS_PER_BLOCK), "the header, then one message per block");
        assert_eq!(done.into_inner(), rows);
        let text = String::from_utf8(out).unwrap_or_default();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), rows + 1, "the file's line breaks are kept");
        assert!(lines[0].starts_with("id;adresse;longitude;latitude;"));
        for (i, line) in lines[1..].iter().enumerate() {
            // The delimiter and the quotes of the file are kept; an empty index finds nothing.
            assert!(line.starts_with(&format!("{i};\"{i} rue \"\"des\"\" Lilas\";")), "{line}");
            assert!(line.ends_with(";not-found"), "{line}");
        }
    }

    /// A sink slower than the geocoding holds the reading: never more than
    /// [`MAX_BLOCKS_AHEAD`] blocks are read ahead of it, whatever the file's size.
    #[test]
    fn the_reading_waits_for_the_sink() {
        let rows = ROWS_PER_BLOCK * (MAX_BLOCKS_AHEAD * 4) + 3;
        let mut file = String::from("adresse\n");
        for i in 0..rows {
            file.push_str(&format!("{i} rue des Lilas\n"));
        }
        let done = AtomicUsize::new(0);
        let mut given = 0;
        let mut most_ahead = 0;
        search_csv(CsvRun {
            index: &Index::new(),
            file: &file.into_bytes(),
            options: &CsvOptions::default(),
            progress: &|n, _| {
                done.store(n, Ordering::SeqCst);
            },
            sink: &mut |block| {
                given += block.iter().filter(|b| **b == b'\n').count();
                // Rows geocoded beyond those given to the sink (the header line aside).
                most_ahead =
                    most_ahead.max(done.load(Ordering::SeqCst).saturating_sub(given.saturating_sub(1)));
                std::thread::sleep(std::time::Duration::from_millis(2));
                Ok(())
            },
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(given, rows + 1);
        assert!(most_ahead <= ROWS_PER_BLOCK * (MAX_BLOCKS_AHEAD + 1), "{most_ahead} rows ahead");
    }

    /// A sink that fails (the client gone) stops the geocoding: its error is the run's, and
    /// no block is given after it.
    #[test]
    fn a_failing_sink_stops_the_run() {
        let mut file = String::from("adresse\n");
        for i in 0..ROWS_PER_BLOCK * 40 {
            file.push_str(&format!("{i} rue des Lilas\n"));
        }
        let (done, mut calls) = (AtomicUsize::new(0), 0);
        let result = search_csv(CsvRun {
            index: &Index::new(),
            file: &file.into_bytes(),
            options: &CsvOptions::default(),
            progress: &|n, _| {
                done.store(n, Ordering::SeqCst);
            },
            sink: &mut |_| {
                calls += 1;
                if calls == 3 {
                    Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
                } else {
                    Ok(())
                }
            },
        });
        assert_eq!(result, Err(CsvError::Output("client gone".into())));
        assert_eq!(calls, 3);
        assert!(done.into_inner() < ROWS_PER_BLOCK * 40, "the geocoding went on");
    }

    /// A quoted field never closed is found before anything is written, at the file's end.
    #[test]
    fn an_unclosed_quote_is_refused_before_any_output() {
        let mut file = String::from("id;adresse\n");
        for i in 0..ROWS_PER_BLOCK * 3 {
            file.push_str(&format!("{i};{i} rue des Lilas\n"));
        }
        file.push_str("9;\"rue sans fin\n");
        let mut given = 0;
        let result = search_csv(CsvRun {
            index: &Index::new(),
            file: &file.into_bytes(),
            options: &CsvOptions::default(),
            progress: &|_, _| {},
            sink: &mut |_| {
                given += 1;
                Ok(())
            },
        });
        assert!(matches!(result, Err(CsvError::UnclosedQuote { .. })), "{result:?}");
        assert_eq!(given, 0);
    }
}
