//! Validation of a whole file: header, then every row as it streams, then the rules across
//! rows, then the verdict under the profile.
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use ban_domain::{Level, TOPONYM_NUMERO};
use ban_spatial::Projector;
use rustc_hash::FxHashMap;

use crate::cog::Cog;
use std::borrow::Cow;

use crate::fields::{read_value, today_utc, CleParts, Value};
use crate::normalize::normalize_street_name;
use crate::profile::Profile;
use crate::read::{self, Dialect, Encoding, FileSource, QuoteProblem, RawRow, Source};
use crate::report::{Column, FileIssue, Issue, ParseError, Report};
use crate::rows::{check_rows, IdInterner, Interner, RowKeys, NONE};
use crate::schema::{split_localized, Field, REGIONAL_LANGUAGES};

pub use crate::read::Refusal;

/// How to validate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Force a profile; by default it is detected from the columns.
    pub profile: Option<Profile>,
    /// The date "today" is, for future-date checks; by default the current UTC date.
    pub today: Option<(i32, u32, u32)>,
}

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

    let mut engine =
        Engine::new(&columns, profile, options.today.unwrap_or_else(today_utc), dialect.encoding);
    let mut parse_errors = Vec::new();
    let mut data_row = 0usize;
    while tokenizer.next_row(&mut raw)? {
        if raw.is_blank() {
            continue;
        }
        if raw.len() != names.len() {
            let (code, word) =
                if raw.len() > names.len() { ("TooManyFields", "many") } else { ("TooFewFields", "few") };
            parse_errors.push(ParseError {
                code,
                message: format!(
                    "too {word} fields: the header has {} columns but line {} has {}",
                    names.len(),
                    raw.line,
                    raw.len()
                ),
                row: Some(data_row),
                line: Some(raw.line),
            });
        } else if parse_errors.is_empty() {
            engine.row(data_row, &raw);
        }
        data_row += 1;
    }
    for problem in &tokenizer.problems {
        if let QuoteProblem::Missing { line, .. } = problem {
            parse_errors.push(ParseError {
                code: "MissingQuotes",
                message: format!("a quoted value opened on line {line} is never closed"),
                row: None,
                line: Some(*line),
            });
        }
    }
    if !parse_errors.is_empty() {
        return Ok(unparsed(&dialect, parse_errors, data_row));
    }
    Ok(engine.finish(&dialect, &columns, data_row))
}

fn unparsed(dialect: &Dialect, parse_errors: Vec<ParseError>, rows: usize) -> Report {
    Report {
        valid: false,
        profile: None,
        parsed: false,
        encoding: dialect.encoding.name(),
        linebreak: dialect.linebreak.name(),
        delimiter: dialect.delimiter.map(char::from),
        columns: Vec::new(),
        missing_fields: Vec::new(),
        parse_errors,
        rows_count: rows,
        communes: Vec::new(),
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

/// The header, matched to the BAL fields.
#[derive(Debug)]
struct Columns {
    /// Per column: name, field, regional language.
    specs: Vec<(Arc<str>, Option<Field>, Option<&'static str>)>,
    /// Columns to read per row (for repeated names, the last one, as the reference keeps).
    effective: Vec<usize>,
    /// Fields without a base column, in the standard's order.
    missing: Vec<Field>,
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

/// The parsed base values of one row.
#[derive(Debug, Default)]
struct RowValues<'a> {
    values: [Option<Value<'a>>; 23],
    raw_present: [bool; 23],
    /// Some value of `commune_insee` or `commune_deleguee_insee` had a finding.
    commune_column_issue: bool,
}

impl<'a> RowValues<'a> {
    fn get(&self, field: Field) -> Option<&Value<'a>> {
        self.values[field as usize].as_ref()
    }

    fn text(&self, field: Field) -> Option<&str> {
        match self.get(field) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    fn number(&self, field: Field) -> Option<f64> {
        match self.get(field) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        }
    }

    fn numero(&self) -> Option<u32> {
        match self.get(Field::Numero) {
            Some(Value::Numero(n)) => Some(*n),
            _ => None,
        }
    }

    fn cle(&self) -> Option<&CleParts<'a>> {
        match self.get(Field::CleInterop) {
            Some(Value::Cle(parts)) => Some(parts),
            _ => None,
        }
    }

    /// The street name: `voie_nom`, else `toponyme`.
    fn street_name(&self) -> Option<&str> {
        self.text(Field::VoieNom).or_else(|| self.text(Field::Toponyme))
    }

    /// `commune_insee`, else the commune of `cle_interop`.
    fn commune_code(&self) -> Option<&str> {
        self.text(Field::CommuneInsee).or_else(|| self.cle().map(|p| &*p.commune))
    }

    fn ban_ids(&self) -> [Option<&str>; 3] {
        let uid = match self.get(Field::UidAdresse) {
            Some(Value::Uid(ids)) => Some(ids),
            _ => None,
        };
        [
            self.text(Field::IdBanCommune).or_else(|| uid.and_then(|u| u.commune)),
            self.text(Field::IdBanToponyme).or_else(|| uid.and_then(|u| u.toponyme)),
            self.text(Field::IdBanAdresse).or_else(|| uid.and_then(|u| u.adresse)),
        ]
    }
}

/// A finding before leveling: column index for value findings.
struct Pending {
    column: Option<usize>,
    code: Arc<str>,
    value: Option<Box<str>>,
}

struct Engine<'c> {
    columns: &'c Columns,
    profile: Profile,
    today: (i32, u32, u32),
    encoding: Encoding,
    cog: &'static Cog<'static>,
    projector: Projector,
    /// Code strings, shared by every finding that carries them.
    codes: FxHashMap<(usize, &'static str), Arc<str>>,
    static_codes: FxHashMap<&'static str, Arc<str>>,
    interner: Interner,
    ids: IdInterner,
    /// Raw street name → interned normalised form.
    normalized: FxHashMap<Box<str>, u32>,
    records: Vec<RowKeys>,
    /// Row number → file line, for rows with findings added at the end.
    lines: Vec<u32>,
    issues: Vec<Issue>,
    /// Every code met, before the profile's format filter.
    seen: BTreeSet<Arc<str>>,
    communes: BTreeSet<String>,
}

impl<'c> Engine<'c> {
    fn new(columns: &'c Columns, profile: Profile, today: (i32, u32, u32), encoding: Encoding) -> Self {
        Engine {
            columns,
            profile,
            today,
            encoding,
            cog: Cog::get(),
            projector: Projector::new(),
            codes: FxHashMap::default(),
            static_codes: FxHashMap::default(),
            interner: Interner::default(),
            ids: IdInterner::default(),
            normalized: FxHashMap::default(),
            records: Vec::new(),
            lines: Vec::new(),
            issues: Vec::new(),
            seen: BTreeSet::new(),
            communes: BTreeSet::new(),
        }
    }

    fn field_code(&mut self, column: usize, finding: &'static str) -> Arc<str> {
        let name = &self.columns.specs[column].0;
        self.codes.entry((column, finding)).or_insert_with(|| Arc::from(format!("{name}.{finding}"))).clone()
    }

    fn code(&mut self, code: &'static str) -> Arc<str> {
        self.static_codes.entry(code).or_insert_with(|| Arc::from(code)).clone()
    }

    fn normalized(&mut self, name: Option<&str>) -> u32 {
        let key = name.unwrap_or("");
        if let Some(&id) = self.normalized.get(key) {
            return id;
        }
        let id = self.interner.intern(&normalize_street_name(name));
        self.normalized.insert(key.into(), id);
        id
    }

    fn row(&mut self, index: usize, raw: &RawRow) {
        let encoding = self.encoding;
        // Valid UTF-8 rows (the usual case) are checked once and borrowed field by field.
        let whole = match encoding {
            Encoding::Utf8 => std::str::from_utf8(raw.bytes()).ok(),
            Encoding::Windows1252 => None,
        };
        let texts: Vec<Cow<'_, str>> = self
            .columns
            .effective
            .iter()
            .map(|&c| match whole.and_then(|w| w.get(raw.range(c))) {
                Some(text) => Cow::Borrowed(text),
                None => encoding.decode(raw.field(c)),
            })
            .collect();
        let mut values = RowValues::default();
        let mut pending: Vec<Pending> = Vec::new();
        for (&c, text) in self.columns.effective.iter().zip(&texts) {
            let (name, field, lang) = &self.columns.specs[c];
            let Some(field) = *field else { continue };
            let read = read_value(field, text, lang.is_some(), self.cog, self.today);
            if lang.is_none() {
                values.raw_present[field as usize] = !text.is_empty();
            }
            if !read.findings.is_empty() {
                if matches!(&**name, "commune_insee" | "commune_deleguee_insee") {
                    values.commune_column_issue = true;
                }
                for finding in read.findings.iter() {
                    let code = self.field_code(c, finding);
                    pending.push(Pending { column: Some(c), code, value: Some(text.as_ref().into()) });
                }
            }
            if lang.is_none() {
                values.values[field as usize] = read.value;
            }
        }
        for code in self.row_rules(&values) {
            let code = self.code(code);
            pending.push(Pending { column: None, code, value: None });
        }
        if let Some(code) = values.commune_code() {
            if !self.communes.contains(code) {
                self.communes.insert(code.to_owned());
            }
        }
        let keys = self.row_keys(index, &values);
        self.records.push(keys);
        self.lines.push(raw.line as u32);
        for p in pending {
            self.push(index, raw.line, p);
        }
    }

    fn push(&mut self, row: usize, line: usize, p: Pending) {
        if !self.seen.contains(&p.code) {
            self.seen.insert(p.code.clone());
        }
        let column = p.column.map(|c| &self.columns.specs[c].0);
        if !self.profile.reports_column(column.map(|c| &**c)) {
            return;
        }
        let level = self.profile.level(&p.code);
        let issue = Issue { row, line, field: column.cloned(), code: p.code, level, value: p.value };
        // The same finding twice on a row (e.g. both case checks) is reported once.
        if !self
            .issues
            .iter()
            .rev()
            .take_while(|i| i.row == row)
            .any(|i| i.code == issue.code && i.field == issue.field)
        {
            self.issues.push(issue);
        }
    }

    /// The row rules, in the reference's order.
    fn row_rules(&mut self, v: &RowValues) -> Vec<&'static str> {
        let mut codes = Vec::new();
        let numero = v.numero();
        let cle = v.cle();
        // The number of the key must be the numero (a 0 numero is not compared).
        if let (Some(parts), Some(n)) = (cle, numero) {
            if n != 0 && parts.numero.parse::<u32>().ok() != Some(n) {
                codes.push("row.incoherence_numero");
            }
        }
        if cle.is_none() && v.text(Field::CommuneInsee).is_none() {
            codes.push("row.commune_manquante");
        }
        let commune = v.commune_code().and_then(|code| self.cog.commune(code));
        if let (Some(commune), Some(nom)) = (commune, v.text(Field::CommuneNom)) {
            if nom != commune.nom {
                codes.push("row.commune_nom_invalide");
            }
        }
        let street = self.normalized(v.street_name());
        let complement = self.normalized(v.text(Field::LieuditComplementNom));
        if street == complement {
            codes.push("row.voie_nom_have_same_lieudit_complement_nom");
        }
        let numbered = numero.is_some_and(|n| n != TOPONYM_NUMERO);
        if numbered && !v.raw_present[Field::Position as usize] {
            codes.push("row.position_manquante");
        }
        if numbered && !(v.raw_present[Field::Long as usize] && v.raw_present[Field::Lat as usize]) {
            codes.push("row.longlat_vides");
        } else {
            let projected = match (v.number(Field::Long), v.number(Field::Lat)) {
                (Some(lon), Some(lat)) => self.projector.project(lon, lat).ok().flatten(),
                _ => None,
            };
            match projected {
                Some(p) => {
                    if let (Some(x), Some(y)) = (v.number(Field::X), v.number(Field::Y)) {
                        if ((x - p.x).powi(2) + (y - p.y).powi(2)).sqrt() > 10.0 {
                            codes.push("row.longlat_xy_incoherents");
                        }
                    }
                }
                None if numero != Some(TOPONYM_NUMERO) => codes.push("row.longlat_invalides"),
                None => {}
            }
        }
        if numero.is_none() || v.street_name().is_none() {
            codes.push("row.adresse_incomplete");
        }
        if let Some(deleguee) = v.text(Field::CommuneDelegueeInsee) {
            // The reference fails on an unknown commune here; we skip the check instead.
            if !v.commune_column_issue {
                if let Some(commune) = v.commune_code().and_then(|c| self.cog.commune(c)) {
                    if deleguee != commune.code && !commune.has_former_code(deleguee) {
                        codes.push("row.chef_lieu_invalide");
                    }
                }
            }
        }
        let [commune_id, toponyme_id, adresse_id] = v.ban_ids();
        let uses_ids = commune_id.is_some() || toponyme_id.is_some() || adresse_id.is_some();
        let lacks_one = commune_id.is_none()
            || toponyme_id.is_none()
            || (adresse_id.is_none() && numero != Some(TOPONYM_NUMERO));
        if uses_ids && lacks_one {
            codes.push("row.lack_of_id_ban");
        }
        codes
    }

    fn row_keys(&mut self, index: usize, v: &RowValues) -> RowKeys {
        let numero = v.numero();
        let street_name = self.normalized(v.street_name());
        let mut optional = |s: Option<&str>| s.map_or(NONE, |s| self.interner.intern(s));
        let voie_code = optional(v.cle().and_then(|p| p.voie.as_deref()));
        let suffixe = optional(v.text(Field::Suffixe));
        let deleguee = optional(v.text(Field::CommuneDelegueeInsee));
        let name = optional(if numero == Some(TOPONYM_NUMERO) { v.street_name() } else { None });
        let lieudit = optional(v.text(Field::LieuditComplementNom));
        let [c, t, a] = v.ban_ids();
        RowKeys {
            row: index as u32,
            numero,
            street: (street_name, voie_code),
            address: [numero.unwrap_or(NONE), suffixe, street_name, deleguee],
            id_commune: c.map(|s| self.ids.intern(s)),
            id_toponyme: t.map(|s| self.ids.intern(s)),
            id_adresse: a.map(|s| self.ids.intern(s)),
            name: (name != NONE).then_some(name),
            lieudit: (lieudit != NONE).then_some(lieudit),
        }
    }

    fn finish(mut self, dialect: &Dialect, columns: &Columns, rows_count: usize) -> Report {
        let found = check_rows(&self.records);
        for (row, code) in found.rows {
            let line = self.lines.get(row as usize).copied().unwrap_or(0) as usize;
            let code = self.code(code);
            self.push(row as usize, line, Pending { column: None, code, value: None });
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
            valid: !file_issues.iter().any(|i| i.level == Level::Error),
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
            file_issues,
            issues: self.issues,
            profiles_valid,
        }
    }
}

/// Whether a header name is a regional variant of a field (exposed for the CLI's hints).
pub fn is_regional_column(name: &str) -> bool {
    split_localized(name).is_some()
}
