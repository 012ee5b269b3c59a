//! Validation of a whole file: header, then every row as it streams, then the rules across
//! rows, then the verdict under the profile.
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use ban_domain::{Level, TOPONYM_NUMERO};
use ban_spatial::checks::Position;
use rustc_hash::FxHashMap;

use crate::check::{CheckedBatch, Checker, Columns, IdKey, RowMaterial, Span};
use crate::fields::today_utc;
use crate::findings::{Finding, FindingSink};
use crate::profile::Profile;
use crate::read::{self, Dialect, Encoding, FileSource, QuoteProblem, RawRow, Source};
use crate::report::{Column, FileIssue, FindingCounts, Issue, ParseError, Report};
use crate::rows::{check_rows, IdInterner, Interner, Records, RowKeys, NONE};
use crate::schema::{split_localized, Field, REGIONAL_LANGUAGES};

pub use crate::read::Refusal;

/// Rows per batch checked at once (on the rayon pool).
const BATCH_ROWS: usize = 512;

/// Data rows cut from the file, to be checked together.
struct RowBatch {
    seq: usize,
    first_row: usize,
    rows: Vec<RawRow>,
    len: usize,
    /// Where the checker puts its outcome.
    checked: CheckedBatch,
}

impl RowBatch {
    /// Holds the place of the batch being dispatched, without a buffer.
    fn placeholder() -> Self {
        RowBatch { seq: 0, first_row: 0, rows: Vec::new(), len: 0, checked: CheckedBatch::default() }
    }

    fn check_with(&mut self, checker: &mut Checker<'_>) {
        for (offset, raw) in self.rows[..self.len].iter().enumerate() {
            checker.check(self.first_row + offset, raw, &mut self.checked);
        }
    }
}

/// Checked batches, merged in file order whatever the order they are checked in: the batch
/// that completes the sequence merges it, and any waiting batches that follow.
struct InOrder<'m, 'c> {
    merger: Mutex<&'m mut Merger<'c>>,
    /// Checked batches waiting for the ones before them, the next to merge, and whether a
    /// batch is merging.
    waiting: Mutex<(BTreeMap<usize, CheckedBatch>, usize, bool)>,
}

impl<'m, 'c> InOrder<'m, 'c> {
    fn new(merger: &'m mut Merger<'c>) -> Self {
        InOrder { merger: Mutex::new(merger), waiting: Mutex::new((BTreeMap::new(), 0, false)) }
    }

    /// Batch `seq` is checked; merged batches go back to `free` to be used again.
    fn done(&self, seq: usize, checked: CheckedBatch, free: &mpsc::Sender<CheckedBatch>) {
        let mut waiting = lock(&self.waiting);
        waiting.0.insert(seq, checked);
        if waiting.2 {
            return;
        }
        waiting.2 = true;
        loop {
            let next = waiting.1;
            let Some(mut checked) = waiting.0.remove(&next) else {
                waiting.2 = false;
                return;
            };
            waiting.1 += 1;
            drop(waiting);
            lock(&self.merger).merge(&checked);
            checked.clear();
            let _ = free.send(checked);
            waiting = lock(&self.waiting);
        }
    }
}

/// A lock whose holder may have panicked: the panic is reported by the scope.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How to validate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Force a profile; by default it is detected from the columns.
    pub profile: Option<Profile>,
    /// The date "today" is, for future-date checks; by default the current UTC date.
    pub today: Option<(i32, u32, u32)>,
    /// Keep every row's position with its address keys in [`Report::positions`], for the
    /// spatial checks of the depot.
    pub keep_positions: bool,
    /// Batches of rows checked at once on the shared rayon pool: `Some(0)` checks them on the
    /// calling thread (which then keeps its PROJ setup for the next file); by default, small
    /// files are checked on the calling thread and larger ones up to as many batches at once as
    /// the pool has threads, 4 at most.
    pub threads: Option<usize>,
    /// Keep at most this many findings of each code (and of parse errors) in the report; the
    /// others are only counted ([`Report::counts`]). A file of hundreds of thousands of
    /// broken rows then costs memory for its rows, not for millions of findings. `None` keeps
    /// every finding, as the reference does.
    pub max_findings_per_code: Option<usize>,
    /// Called with every finding as it is found, kept in the report or not: the whole detail
    /// of a file, streamed, while the report stays bounded by
    /// [`Options::max_findings_per_code`].
    pub on_finding: Option<FindingSink>,
}

/// Below this size a file is checked on the calling thread: handing batches to other threads,
/// each setting PROJ up the first time (~20 ms), costs more than checking the rows (~8,000 rows at ~150 bytes).
const INLINE_BYTES: u64 = 1 << 20;

/// Validates a BAL file on disk.
pub fn validate_file(path: impl AsRef<Path>, options: &Options) -> Result<Report, Refusal> {
    validate(&FileSource::new(path), options)
}

/// Validates a BAL file. `Err` only when the file cannot be taken as text at all (binary,
/// unsupported encoding, I/O): every other problem is a finding in the report.
pub fn validate(source: &(impl Source + ?Sized), options: &Options) -> Result<Report, Refusal> {
    let dialect = read::detect(source)?;
    if dialect.delimiter.is_none() {
        let error = ParseError {
            code: "UndetectableDelimiter",
            message: "no column separator found: the file must have several columns separated by ';'".into(),
            row: None,
            line: None,
        };
        return Ok(unparsed(&dialect, vec![error], 0));
    }
    let mut tokenizer = read::tokenize(source, &dialect)?;
    let mut raw = RawRow::default();

    // The header is the first non-blank row; only a header on the very first row has its
    // byte-order mark stripped and repeated names renamed (as the reference parser does).
    let mut header: Option<(Vec<String>, bool)> = None;
    let mut first = true;
    while tokenizer.next_row(&mut raw)? {
        if raw.is_blank() {
            first = false;
            continue;
        }
        let names = raw.fields().map(|f| dialect.encoding.decode(f).into_owned()).collect();
        header = Some((names, first));
        break;
    }
    let names = match header {
        Some((names, true)) => rename_duplicates(names),
        Some((names, false)) => names,
        None => Vec::new(),
    };
    let columns = Columns::detect(&names);
    let profile = options.profile.unwrap_or_else(|| columns.detected_profile());

    let today = options.today.unwrap_or_else(today_utc);
    let mut parse_errors = Vec::new();
    let mut parse_errors_total = 0usize;
    let parse_errors_cap = options.max_findings_per_code.unwrap_or(usize::MAX);
    let mut data_row = 0usize;
    let mut merger = Merger::new(&columns, profile, options.keep_positions, options.max_findings_per_code);
    merger.sink = options.on_finding.clone();
    let sink = options.on_finding.as_ref();
    // Rows are cut here, checked in batches on the shared rayon pool and merged back in file
    // order.
    let workers = match options.threads {
        Some(threads) => threads.min(4),
        None if source.size_hint().is_some_and(|size| size < INLINE_BYTES) => 0,
        None => rayon::current_num_threads().clamp(1, 4),
    };
    let in_order = InOrder::new(&mut merger);
    let checkers = Mutex::new(Vec::<Checker<'_>>::new());
    // Buffers go back to the reader once used, so they are allocated once per run; there are
    // `workers + 1` row buffers (one being filled), which bounds the batches checked at once
    // and the rows read ahead.
    let (free_tx, free_rx) = mpsc::channel::<Vec<RawRow>>();
    let (free_checked_tx, free_checked_rx) = mpsc::channel::<CheckedBatch>();
    let mut buffers = 0;
    let mut take_rows = || loop {
        if let Ok(rows) = free_rx.try_recv() {
            return rows;
        }
        if buffers <= workers {
            buffers += 1;
            return vec![RawRow::default(); BATCH_ROWS];
        }
        // Every buffer is in a batch being checked: on a pool thread, help; else wait.
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            Some(rayon::Yield::Idle) => {
                if let Ok(rows) = free_rx.recv_timeout(std::time::Duration::from_millis(1)) {
                    return rows;
                }
            }
            None => {
                if let Ok(rows) = free_rx.recv() {
                    return rows;
                }
            }
        }
    };
    let mut inline = (workers == 0).then(|| Checker::new(&columns, today, dialect.encoding));
    rayon::in_place_scope(|scope| -> io::Result<()> {
        let (in_order, checkers, columns) = (&in_order, &checkers, &columns);
        let (free_tx, free_checked_tx) = (&free_tx, &free_checked_tx);
        let mut dispatch = |mut batch: RowBatch| {
            if let Some(checker) = inline.as_mut() {
                batch.check_with(checker);
                let _ = free_tx.send(batch.rows);
                in_order.done(batch.seq, batch.checked, free_checked_tx);
                return;
            }
            scope.spawn(move |_| {
                let reused = lock(checkers).pop();
                let mut checker = reused.unwrap_or_else(|| Checker::new(columns, today, dialect.encoding));
                batch.check_with(&mut checker);
                lock(checkers).push(checker);
                let _ = free_tx.send(batch.rows);
                in_order.done(batch.seq, batch.checked, free_checked_tx);
            });
        };

        let mut new_batch = |seq: usize, first_row: usize| RowBatch {
            seq,
            first_row,
            rows: take_rows(),
            checked: free_checked_rx.try_recv().unwrap_or_default(),
            len: 0,
        };
        let mut batch = new_batch(0, 0);
        loop {
            if !tokenizer.next_row(&mut batch.rows[batch.len])? {
                break;
            }
            let raw = &batch.rows[batch.len];
            if raw.is_blank() {
                continue;
            }
            if raw.len() != names.len() {
                parse_errors_total += 1;
                if parse_errors.len() < parse_errors_cap || sink.is_some() {
                    let (code, word) = if raw.len() > names.len() {
                        ("TooManyFields", "many")
                    } else {
                        ("TooFewFields", "few")
                    };
                    let error = ParseError {
                        code,
                        message: format!(
                            "too {word} fields: the header has {} columns but line {} has {}",
                            names.len(),
                            raw.line,
                            raw.len()
                        ),
                        row: Some(data_row),
                        line: Some(raw.line),
                    };
                    keep_parse_error(error, &mut parse_errors, parse_errors_cap, sink);
                }
            } else if parse_errors_total == 0 {
                batch.len += 1;
                if batch.len == BATCH_ROWS {
                    let seq = batch.seq + 1;
                    let full = std::mem::replace(&mut batch, RowBatch::placeholder());
                    dispatch(full);
                    batch = new_batch(seq, data_row + 1);
                }
            }
            data_row += 1;
        }
        if batch.len > 0 && parse_errors_total == 0 {
            dispatch(batch);
        }
        Ok(())
    })?;
    for problem in &tokenizer.problems {
        if let QuoteProblem::Missing { line, .. } = problem {
            parse_errors_total += 1;
            if parse_errors.len() >= parse_errors_cap && sink.is_none() {
                continue;
            }
            let error = ParseError {
                code: "MissingQuotes",
                message: format!("a quoted value opened on line {line} is never closed"),
                row: None,
                line: Some(*line),
            };
            keep_parse_error(error, &mut parse_errors, parse_errors_cap, sink);
        }
    }
    if parse_errors_total > 0 {
        let mut report = unparsed(&dialect, parse_errors, data_row);
        report.counts.parse_errors = parse_errors_total;
        return Ok(report);
    }
    Ok(merger.finish(&dialect, &columns, data_row))
}

/// Hands a parse error to the sink, and keeps it in the report within the cap.
fn keep_parse_error(error: ParseError, kept: &mut Vec<ParseError>, cap: usize, sink: Option<&FindingSink>) {
    if let Some(sink) = sink {
        sink.send(Finding::Parse(&error));
    }
    if kept.len() < cap {
        kept.push(error);
    }
}

fn unparsed(dialect: &Dialect, parse_errors: Vec<ParseError>, rows: usize) -> Report {
    Report {
        profile: None,
        parsed: false,
        encoding: dialect.encoding.name(),
        linebreak: dialect.linebreak.name(),
        delimiter: dialect.delimiter.map(char::from),
        columns: Vec::new(),
        missing_fields: Vec::new(),
        counts: FindingCounts { parse_errors: parse_errors.len(), ..FindingCounts::default() },
        parse_errors,
        rows_count: rows,
        communes: Vec::new(),
        positions: Vec::new(),
        file_issues: Vec::new(),
        issues: Vec::new(),
        profiles_valid: Vec::new(),
    }
}

/// `a;a;a` → `a;a_1;a_2`, skipping names already taken; a leading U+FEFF is dropped.
fn rename_duplicates(names: Vec<String>) -> Vec<String> {
    let mut used: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    names
        .into_iter()
        .map(|name| {
            let name = name.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(name);
            let renamed = match counts.get_mut(&name) {
                None => {
                    counts.insert(name.clone(), 1);
                    name.clone()
                }
                Some(count) => {
                    let mut candidate;
                    loop {
                        candidate = format!("{name}_{count}");
                        *count += 1;
                        if !used.contains(&candidate) {
                            break;
                        }
                    }
                    used.insert(candidate.clone());
                    candidate
                }
            };
            used.insert(name);
            renamed
        })
        .collect()
}

impl Columns {
    fn detect(names: &[String]) -> Self {
        let mut specs: Vec<(Arc<str>, Option<Field>, Option<&'static str>)> =
            names.iter().map(|n| (Arc::from(n.as_str()), None, None)).collect();
        let mut missing = Vec::new();
        for field in Field::ALL {
            match specs.iter_mut().find(|(n, f, _)| &**n == field.name() && f.is_none()) {
                Some(spec) => spec.1 = Some(field),
                None => missing.push(field),
            }
            let found = !missing.contains(&field);
            if found && field.allows_regional() {
                for lang in REGIONAL_LANGUAGES {
                    let localized = format!("{}_{lang}", field.name());
                    if let Some(spec) = specs.iter_mut().find(|(n, f, _)| **n == *localized && f.is_none()) {
                        spec.1 = Some(field);
                        spec.2 = Some(lang);
                    }
                }
            }
        }
        let mut last: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, (name, _, _)) in specs.iter().enumerate() {
            last.insert(name, i);
        }
        let mut effective: Vec<usize> = last.into_values().collect();
        effective.sort_unstable();
        Columns { specs, effective, missing }
    }

    fn has(&self, field: Field) -> bool {
        !self.missing.contains(&field)
    }

    /// 1.4 with the three id columns, 1.5 with `toponyme` too, else 1.3.
    fn detected_profile(&self) -> Profile {
        let ids =
            [Field::IdBanCommune, Field::IdBanToponyme, Field::IdBanAdresse].into_iter().all(|f| self.has(f));
        match (ids, self.has(Field::Toponyme)) {
            (true, true) => Profile::V1_5,
            (true, false) => Profile::V1_4,
            _ => Profile::V1_3,
        }
    }
}

/// A code as the profile sees it, worked out once.
#[derive(Debug, Clone)]
struct Code {
    code: Arc<str>,
    level: Level,
    /// The column it is reported on (value findings).
    field: Option<Arc<str>>,
    /// Whether the profile reports it on rows at all.
    reported: bool,
}

/// Gathers checked rows in file order: levels their findings under the profile and interns
/// what the rules across rows need.
struct Merger<'c> {
    columns: &'c Columns,
    profile: Profile,
    /// Code strings, shared by every finding that carries them.
    codes: FxHashMap<(usize, &'static str), Code>,
    static_codes: FxHashMap<&'static str, Code>,
    interner: Interner,
    ids: IdInterner,
    records: Records,
    /// Row number → file line, for rows with findings added at the end.
    lines: Vec<u32>,
    issues: Vec<Issue>,
    /// Findings of each code, and the row of the last one (the same finding twice on a row
    /// counts once).
    counts: FxHashMap<Arc<str>, (usize, u32)>,
    /// Lines of the rows with an error-level finding.
    error_lines: Vec<u32>,
    /// Findings kept per code (see [`Options::max_findings_per_code`]).
    cap: usize,
    /// Every code met, before the profile's format filter.
    seen: BTreeSet<Arc<str>>,
    communes: BTreeSet<String>,
    /// Positions with their address keys, when asked for.
    positions: Option<Vec<Position>>,
    /// Where every finding goes as well, when asked for.
    sink: Option<FindingSink>,
}

impl<'c> Merger<'c> {
    fn new(columns: &'c Columns, profile: Profile, keep_positions: bool, cap: Option<usize>) -> Self {
        Merger {
            counts: FxHashMap::default(),
            error_lines: Vec::new(),
            cap: cap.unwrap_or(usize::MAX),
            positions: keep_positions.then(Vec::new),
            columns,
            profile,
            codes: FxHashMap::default(),
            static_codes: FxHashMap::default(),
            interner: Interner::default(),
            ids: IdInterner::default(),
            records: Records::default(),
            lines: Vec::new(),
            issues: Vec::new(),
            seen: BTreeSet::new(),
            communes: BTreeSet::new(),
            sink: None,
        }
    }

    /// A value finding's code, seen for the first time or not.
    fn field_code(&mut self, column: usize, finding: &'static str) -> &Code {
        let (columns, profile, seen) = (self.columns, self.profile, &mut self.seen);
        self.codes.entry((column, finding)).or_insert_with(|| {
            let name = &columns.specs[column].0;
            let code: Arc<str> = Arc::from(format!("{name}.{finding}"));
            seen.insert(code.clone());
            Code {
                level: profile.level(&code),
                field: Some(name.clone()),
                reported: profile.reports_column(Some(name)),
                code,
            }
        })
    }

    fn code(&mut self, code: &'static str) -> &Code {
        let (profile, seen) = (self.profile, &mut self.seen);
        self.static_codes.entry(code).or_insert_with(|| {
            let code: Arc<str> = Arc::from(code);
            seen.insert(code.clone());
            Code { level: profile.level(&code), field: None, reported: true, code }
        })
    }

    fn merge(&mut self, batch: &CheckedBatch) {
        for row in &batch.rows {
            let (index, line) = (row.index, row.line);
            for (column, finding, value) in &row.findings {
                let code = self.field_code(*column, finding).clone();
                self.push(index, line, code, Some(value.clone()));
            }
            for rule in &row.rules {
                let code = self.code(rule).clone();
                self.push(index, line, code, None);
            }
            if let Some(commune) = &row.commune {
                let commune = batch.get(commune);
                if !self.communes.contains(commune) {
                    self.communes.insert(commune.to_owned());
                }
            }
            let keys = self.row_keys(index, &row.material, batch);
            if let (Some(positions), Some([lon, lat])) = (self.positions.as_mut(), row.position) {
                positions.push(Position {
                    line,
                    row: index,
                    lon,
                    lat,
                    street: keys.street.0,
                    address: keys.address,
                    toponym: keys.numero == TOPONYM_NUMERO,
                });
            }
            self.records.push(keys);
            self.lines.push(row.line);
        }
    }

    fn row_keys(&mut self, index: u32, m: &RowMaterial, batch: &CheckedBatch) -> RowKeys {
        let street = self.interner.intern(batch.get(&m.street));
        let mut optional = |s: &Option<Span>| s.as_ref().map_or(NONE, |s| self.interner.intern(batch.get(s)));
        let voie_code = optional(&m.voie_code);
        let suffixe = optional(&m.suffixe);
        let deleguee = optional(&m.deleguee);
        let name = optional(&m.name);
        let lieudit = optional(&m.lieudit);
        let [c, t, a] = m.ids.clone().map(|id| {
            id.map(|id| match id {
                IdKey::Canonical(value) => self.ids.intern_canonical(value),
                IdKey::Written(span) => self.ids.intern_written(batch.get(&span)),
            })
        });
        RowKeys {
            row: index,
            numero: m.numero.unwrap_or(NONE),
            street: (street, voie_code),
            address: [m.numero.unwrap_or(NONE), suffixe, street, deleguee],
            id_commune: c.unwrap_or(NONE),
            id_toponyme: t.unwrap_or(NONE),
            id_adresse: a.unwrap_or(NONE),
            name,
            lieudit,
        }
    }

    fn push(&mut self, row: u32, line: u32, code: Code, value: Option<Box<str>>) {
        if !code.reported {
            return;
        }
        let issue = Issue { row, line, field: code.field, code: code.code, level: code.level, value };
        let (count, last_row) = self.counts.entry(issue.code.clone()).or_insert((0, u32::MAX));
        let kept = *count < self.cap;
        // The same finding twice on a row (e.g. both case checks) is reported once: looked up
        // among the findings kept, or by the last row counted once they are no longer kept.
        let duplicate = if kept {
            self.issues
                .iter()
                .rev()
                .take_while(|i| i.row == row)
                .any(|i| i.code == issue.code && i.field == issue.field)
        } else {
            *last_row == row
        };
        if duplicate {
            return;
        }
        *count += 1;
        *last_row = row;
        if issue.level == Level::Error {
            self.error_lines.push(line);
        }
        if let Some(sink) = &self.sink {
            sink.send(Finding::Row(&issue));
        }
        if kept {
            self.issues.push(issue);
        }
    }

    fn finish(mut self, dialect: &Dialect, columns: &Columns, rows_count: usize) -> Report {
        let found = check_rows(&self.records);
        for (row, code) in found.rows {
            let line = self.lines.get(row as usize).copied().unwrap_or(0);
            let code = self.code(code).clone();
            self.push(row, line, code, None);
        }
        self.issues.sort_by_key(|i| i.row);

        let mut all: BTreeSet<Arc<str>> = std::mem::take(&mut self.seen);
        for field in &columns.missing {
            all.insert(Arc::from(format!("field.{}.missing", field.name())));
        }
        for code in found.file {
            all.insert(Arc::from(code));
        }
        if dialect.encoding != Encoding::Utf8 {
            all.insert(Arc::from("file.encoding.non_standard"));
        }
        if dialect.delimiter != Some(b';') {
            all.insert(Arc::from("file.delimiter.non_standard"));
        }
        if dialect.linebreak == read::Linebreak::Cr {
            all.insert(Arc::from("file.linebreak.non_standard"));
        }
        let profile = self.profile;
        let file_issues: Vec<FileIssue> = all
            .iter()
            .filter(|code| profile.reports_code(code))
            .map(|code| FileIssue { code: code.clone(), level: profile.level(code) })
            .collect();
        let profiles_valid =
            Profile::ALL.iter().map(|p| (*p, !all.iter().any(|c| p.level(c) == Level::Error))).collect();
        let missing_fields = columns
            .missing
            .iter()
            .filter(|f| f.formats().contains(profile.format()))
            .map(|f| {
                let code = format!("field.{}.missing", f.name());
                FileIssue { level: profile.level(&code), code: code.into() }
            })
            .collect();
        Report {
            profile: Some(profile),
            parsed: true,
            encoding: dialect.encoding.name(),
            linebreak: dialect.linebreak.name(),
            delimiter: dialect.delimiter.map(char::from),
            columns: columns
                .specs
                .iter()
                .map(|(name, field, locale)| Column {
                    name: name.to_string(),
                    field: field.map(Field::name),
                    locale: *locale,
                })
                .collect(),
            missing_fields,
            parse_errors: Vec::new(),
            rows_count,
            communes: self.communes.into_iter().collect(),
            positions: self.positions.unwrap_or_default(),
            file_issues,
            issues: self.issues,
            counts: FindingCounts {
                per_code: self.counts.into_iter().map(|(code, (count, _))| (code, count)).collect(),
                parse_errors: 0,
                error_lines: sorted_unique(self.error_lines),
                cap: (self.cap != usize::MAX).then_some(self.cap),
            },
            profiles_valid,
        }
    }
}

fn sorted_unique(mut lines: Vec<u32>) -> Vec<u32> {
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Whether a header name is a regional variant of a field (exposed for the CLI's hints).
pub fn is_regional_column(name: &str) -> bool {
    split_localized(name).is_some()
}
