//! Batch geocoding of a CSV file (`POST /search/csv/`, `POST /reverse/csv/`, `ban geocode`):
//! the file's dialect is detected (delimiter, quotes, encoding, line breaks) and kept in the
//! output; each row is geocoded exactly as `/search/?autocomplete=0&limit=2` (or `/reverse/`)
//! would answer it, and the result columns of the production API are appended.
use ban_bal::read::{detect, tokenize, Dialect, Linebreak, QuoteProblem, RawRow};
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

/// Told how many rows are done.
pub type Progress<'a> = &'a (dyn Fn(usize) + Sync);
/// Given the output file in order, a block of lines at a time (the header line first), as
/// the blocks are geocoded: it can be sent or written while the rest is being geocoded.
pub type Sink<'a> = &'a mut dyn FnMut(Vec<u8>);
/// What a CSV geocoding reads and where it writes: the same for both ([`search_csv`] and
/// [`reverse_csv`]).
pub struct CsvRun<'a> {
    pub index: &'a Index,
    /// The file, as uploaded.
    pub bytes: &'a [u8],
    pub options: &'a CsvOptions,
    pub progress: Progress<'a>,
    pub sink: Sink<'a>,
}

impl std::fmt::Debug for CsvRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRun")
            .field("bytes", &self.bytes.len())
            .field("options", self.options)
            .finish_non_exhaustive()
    }
}
/// A CSV geocoding: the index, the file, its options → the file with result columns, into
/// the sink. Errors come before anything is given to the sink.
pub type CsvGeocoding = fn(CsvRun<'_>) -> Result<(), CsvError>;

/// How to read the rows of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    dialect: Dialect,
}

fn read_table(bytes: &[u8]) -> Result<Table, CsvError> {
    let dialect = detect(bytes).map_err(|e| CsvError::Unreadable(e.to_string()))?;
    let mut tokenizer = tokenize(bytes, &dialect).map_err(|e| CsvError::Unreadable(e.to_string()))?;
    let mut row = RawRow::default();
    let mut all = Vec::new();
    while tokenizer.next_row(&mut row).map_err(|e| CsvError::Unreadable(e.to_string()))? {
        if row.is_blank() {
            continue;
        }
        let fields: Vec<String> = row.fields().map(|f| dialect.encoding.decode(f).into_owned()).collect();
        all.push(fields);
    }
    if let Some(QuoteProblem::Missing { line, .. }) =
        tokenizer.problems.iter().find(|p| matches!(p, QuoteProblem::Missing { .. }))
    {
        return Err(CsvError::UnclosedQuote { line: *line });
    }
    let mut rows = all.into_iter();
    let mut header = rows.next().ok_or(CsvError::Empty)?;
    if let Some(first) = header.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_owned();
    }
    Ok(Table { header, rows: rows.collect(), dialect })
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
    let CsvRun { index, bytes, options, progress, sink } = run;
    let table = read_table(bytes)?;
    let header = &table.header;
    let query_columns: Vec<usize> = if options.columns.is_empty() {
        (0..header.len()).collect()
    } else {
        options.columns.iter().map(|c| column(header, c)).collect::<Result<_, _>>()?
    };
    let filter_columns = filter_columns(header, options)?;
    let (lat, lon) = (optional_column(header, &options.lat)?, optional_column(header, &options.lon)?);
    let result_columns = chosen_columns(options, &SEARCH_COLUMNS);
    in_parallel(&table, &result_columns, progress, sink, |row| {
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
    });
    Ok(())
}

/// Reverse-geocodes every row of a CSV file (its `lat`/`lon` columns).
pub fn reverse_csv(run: CsvRun<'_>) -> Result<(), CsvError> {
    let CsvRun { index, bytes, options, progress, sink } = run;
    let table = read_table(bytes)?;
    let header = &table.header;
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
    in_parallel(&table, &result_columns, progress, sink, |row| {
        let point = (cell(row, Some(lon)).parse::<f64>(), cell(row, Some(lat)).parse::<f64>());
        let (Ok(x), Ok(y)) = point else { return status_only(&result_columns, "skipped") };
        if !(x.abs() < 180.0 && y.abs() < 90.0) {
            return status_only(&result_columns, "skipped");
        }
        let query = ReverseQuery { lon: x, lat: y, limit: 1, filters: filters_of(row, &filter_columns) };
        result_cells(index, &index.reverse(&query), &result_columns)
    });
    Ok(())
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

/// Runs `f` on every row of the table on the shared rayon pool (one task per pool thread) and
/// gives the sink the output: the header line, then each row followed by the result cells `f`
/// gives, in the rows' order, a block of rows at a time as soon as it and the blocks before it
/// are done. Tasks take blocks in the file's order as they go, so a block of slow queries does
/// not leave a core idle, and the blocks come out about as fast as they are done.
fn in_parallel<F>(table: &Table, result_columns: &[String], progress: Progress<'_>, sink: Sink<'_>, f: F)
where
    F: Fn(&[String]) -> Vec<String> + Sync,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut header = String::new();
    table.write_line(&mut header, table.header.iter().chain(result_columns).map(String::as_str));
    sink(header.into_bytes());
    let rows = &table.rows;
    let block_count = rows.len().div_ceil(ROWS_PER_BLOCK);
    let tasks = rayon::current_num_threads().clamp(1, block_count.max(1));
    let (next_block, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (sender, blocks) = std::sync::mpsc::channel::<(usize, String)>();
    rayon::in_place_scope(|scope| {
        for _ in 0..tasks {
            let (f, next_block, done, sender) = (&f, &next_block, &done, sender.clone());
            scope.spawn(move |_| loop {
                let block = next_block.fetch_add(1, Ordering::Relaxed);
                let Some(part) = rows.chunks(ROWS_PER_BLOCK).nth(block) else { break };
                let mut out = String::with_capacity(part.len() * 256);
                for row in part {
                    table.write_line(&mut out, row.iter().chain(&f(row)).map(String::as_str));
                }
                progress(done.fetch_add(part.len(), Ordering::Relaxed) + part.len());
                if sender.send((block, out)).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        // Blocks arrive in any order; they leave in the file's.
        let mut waiting = std::collections::BTreeMap::new();
        let mut next = 0;
        while let Some((block, out)) = receive(&blocks) {
            waiting.insert(block, out);
            while let Some(out) = waiting.remove(&next) {
                sink(out.into_bytes());
                next += 1;
            }
        }
    });
}

/// The next message, `None` once every sender is gone. Called on a thread of the pool (whose
/// tasks may be queued behind the caller), it runs pending tasks while it waits.
fn receive<T>(receiver: &std::sync::mpsc::Receiver<T>) -> Option<T> {
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

impl Table {
    /// Appends one output line: the cells, in the file's dialect.
    fn write_line<'a>(&self, out: &mut String, cells: impl Iterator<Item = &'a str>) {
        let delimiter = self.dialect.delimiter.unwrap_or(b',') as char;
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
        out.push_str(match self.dialect.linebreak {
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
        pool.install(|| {
            let options = CsvOptions::default();
            let sink = &mut |block: Vec<u8>| out.extend_from_slice(&block);
            search_csv(CsvRun {
                index: &Index::new(),
                bytes: file.as_bytes(),
                options: &options,
                progress: &|_| {},
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
            bytes: file.as_bytes(),
            options: &options,
            progress: &|n| done.store(n, std::sync::atomic::Ordering::Relaxed),
            sink: &mut |block| {
                blocks += 1;
                out.extend_from_slice(&block);
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
}
