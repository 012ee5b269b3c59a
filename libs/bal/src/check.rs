//! Checking rows: every field rule and every row rule of one row, with no state shared
//! between rows, so that batches of rows can be checked on several threads. What the rules
//! across rows need of a row comes out as [`RowMaterial`], interned later in file order.
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use ban_domain::{BanId, TOPONYM_NUMERO};
use ban_spatial::Projector;
use rustc_hash::FxHashMap;

use crate::cog::Cog;
use crate::fields::{read_value_into, CleParts, Findings, Value};
use crate::normalize::normalize_street_name;
use crate::read::{Encoding, RawRow};
use crate::schema::Field;

/// The header, matched to the BAL fields.
#[derive(Debug)]
pub(crate) struct Columns {
    /// Per column: name, field, regional language.
    pub specs: Vec<(std::sync::Arc<str>, Option<Field>, Option<&'static str>)>,
    /// Columns to read per row (for repeated names, the last one, as the reference keeps).
    pub effective: Vec<usize>,
    /// Fields without a base column, in the standard's order.
    pub missing: Vec<Field>,
}

/// A byte range of [`CheckedBatch::text`].
pub(crate) type Span = Range<u32>;

/// A BAN id as the rules across rows compare it: as written, so an upper-case spelling is
/// another id; the usual lower-case spelling is kept as a number.
#[derive(Debug, Clone)]
pub(crate) enum IdKey {
    Canonical(u128),
    Written(Span),
}

/// What the rules across rows need of one row, before interning.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowMaterial {
    pub numero: Option<u32>,
    /// Normalised street name.
    pub street: Span,
    pub voie_code: Option<Span>,
    pub suffixe: Option<Span>,
    pub deleguee: Option<Span>,
    /// The raw street name of a lieu-dit (numero 99999).
    pub name: Option<Span>,
    pub lieudit: Option<Span>,
    pub ids: [Option<IdKey>; 3],
}

/// One row's findings, before leveling.
#[derive(Debug, Default)]
pub(crate) struct CheckedRow {
    pub index: u32,
    pub line: u32,
    /// Value findings: column, finding name (`type_invalide`…), the value as read.
    pub findings: Vec<(usize, &'static str, Box<str>)>,
    /// Row rule codes, in the reference's order.
    pub rules: Vec<&'static str>,
    pub commune: Option<Span>,
    pub material: RowMaterial,
    /// Longitude and latitude, when both are numbers.
    pub position: Option<[f64; 2]>,
}

/// The checked rows of one batch; their strings live in one buffer.
#[derive(Debug, Default)]
pub(crate) struct CheckedBatch {
    pub rows: Vec<CheckedRow>,
    pub text: String,
}

impl CheckedBatch {
    pub fn clear(&mut self) {
        self.rows.clear();
        self.text.clear();
    }

    pub fn get(&self, span: &Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    fn put(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        start..self.text.len() as u32
    }
}

/// Checks rows one by one, keeping the street names it has normalised; one per concurrent batch
/// (the projections are per thread: `Projector::with_thread_local`).
pub(crate) struct Checker<'c> {
    columns: &'c Columns,
    today: (i32, u32, u32),
    encoding: Encoding,
    cog: &'static Cog<'static>,
    /// Raw street name → normalised form.
    normalized: FxHashMap<Box<str>, Arc<str>>,
}

impl<'c> Checker<'c> {
    pub fn new(columns: &'c Columns, today: (i32, u32, u32), encoding: Encoding) -> Self {
        Checker { columns, today, encoding, cog: Cog::get(), normalized: FxHashMap::default() }
    }

    fn normalized(&mut self, name: Option<&str>) -> Arc<str> {
        let key = name.unwrap_or("");
        if let Some(found) = self.normalized.get(key) {
            return found.clone();
        }
        let value: Arc<str> = normalize_street_name(name).into();
        self.normalized.insert(key.into(), value.clone());
        value
    }

    /// Checks data row number `index` and appends the outcome to `out`.
    pub fn check(&mut self, index: usize, raw: &RawRow, out: &mut CheckedBatch) {
        let encoding = self.encoding;
        // Valid UTF-8 rows (the usual case) are checked once and borrowed field by field.
        let whole = match encoding {
            // A field must be valid on its own: bytes split around a removed separator or
            // quote could make a valid whole of two invalid halves.
            Encoding::Utf8 => std::str::from_utf8(raw.bytes())
                .ok()
                .filter(|whole| (0..raw.len()).all(|i| whole.is_char_boundary(raw.range(i).start))),
            Encoding::Windows1252 => None,
        };
        // Other rows are decoded field by field into one buffer.
        let (decoded, ranges): (Cow<'_, str>, Option<Vec<Range<usize>>>) = match whole {
            Some(whole) => (Cow::Borrowed(whole), None),
            None => {
                let mut text = String::with_capacity(raw.bytes().len());
                let mut ranges = Vec::with_capacity(raw.len());
                for field in raw.fields() {
                    let start = text.len();
                    text.push_str(&encoding.decode(field));
                    ranges.push(start..text.len());
                }
                (Cow::Owned(text), Some(ranges))
            }
        };
        let mut values = RowValues::default();
        let mut row = CheckedRow { index: index as u32, line: raw.line as u32, ..CheckedRow::default() };
        let columns = self.columns;
        let mut findings = Findings::default();
        for &c in &columns.effective {
            let (name, field, lang) = &columns.specs[c];
            let Some(field) = *field else { continue };
            let range = match &ranges {
                Some(ranges) => ranges[c].clone(),
                None => raw.range(c),
            };
            let text = &decoded[range];
            if lang.is_none() {
                values.raw_present[field as usize] = !text.is_empty();
            }
            findings.clear();
            let value = read_value_into(field, text, lang.is_some(), self.cog, self.today, &mut findings);
            if !findings.is_empty() {
                if matches!(&**name, "commune_insee" | "commune_deleguee_insee") {
                    values.commune_column_issue = true;
                }
                for finding in findings.iter() {
                    row.findings.push((c, finding, text.into()));
                }
            }
            if lang.is_none() {
                values.values[field as usize] = value;
            }
        }
        self.row_rules(&values, &mut row.rules);
        row.commune = values.commune_code().map(|code| out.put(code));
        row.material = self.material(&values, out);
        row.position = match (values.number(Field::Long), values.number(Field::Lat)) {
            (Some(lon), Some(lat)) => Some([lon, lat]),
            _ => None,
        };
        out.rows.push(row);
    }

    /// The row rules, in the reference's order.
    fn row_rules(&mut self, v: &RowValues, codes: &mut Vec<&'static str>) {
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
                (Some(lon), Some(lat)) => {
                    Projector::with_thread_local(|p| p.project(lon, lat).ok().flatten())
                }
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
    }

    fn material(&mut self, v: &RowValues, out: &mut CheckedBatch) -> RowMaterial {
        let numero = v.numero();
        let street = self.normalized(v.street_name());
        let name = if numero == Some(TOPONYM_NUMERO) { v.street_name() } else { None };
        let mut put = |s: Option<&str>| s.map(|s| out.put(s));
        let material = RowMaterial {
            numero,
            street: 0..0,
            voie_code: put(v.cle().and_then(|p| p.voie.as_deref())),
            suffixe: put(v.text(Field::Suffixe)),
            deleguee: put(v.text(Field::CommuneDelegueeInsee)),
            name: put(name),
            lieudit: put(v.text(Field::LieuditComplementNom)),
            ids: v.ban_ids().map(|id| {
                id.map(|(written, value)| match value {
                    Some(value) if !written.bytes().any(|b| b.is_ascii_uppercase()) => {
                        IdKey::Canonical(value.as_u128())
                    }
                    _ => IdKey::Written(out.put(written)),
                })
            }),
        };
        RowMaterial { street: out.put(&street), ..material }
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

    /// The three BAN ids, from their columns or else from `uid_adresse`, with their value
    /// when already parsed.
    fn ban_ids(&self) -> [Option<(&str, Option<BanId>)>; 3] {
        let uid = match self.get(Field::UidAdresse) {
            Some(Value::Uid(ids)) => Some(ids),
            _ => None,
        };
        let id = |field: Field, from_uid: Option<&'a str>| match self.get(field) {
            Some(Value::Id(written, value)) => Some((*written, Some(*value))),
            _ => from_uid.map(|w| (w, BanId::parse(w).ok())),
        };
        [
            id(Field::IdBanCommune, uid.and_then(|u| u.commune)),
            id(Field::IdBanToponyme, uid.and_then(|u| u.toponyme)),
            id(Field::IdBanAdresse, uid.and_then(|u| u.adresse)),
        ]
    }
}
