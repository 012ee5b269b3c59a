//! Reading the official export of the directory (shared/spec/PARTICIPATION.md §1.3–1.4): the
//! JSON records of the DILA "API Annuaire de l'administration", either the bare array of
//! `…/exports/json` or a page of the records API (`{"total_count": N, "results": […]}`),
//! gzip-compressed or not. Nested fields (`pivot`, `adresse`, `telephone`…) are JSON written
//! inside strings; `adresse_courriel` is a plain string of addresses joined by `;`. The
//! legacy local database (`{"service": […]}`, real arrays) is read too.
//!
//! The file is read as a stream, one record at a time: only the town halls are kept, so the
//! whole export (every public office of France) never sits in memory. A file that is not
//! JSON, or a record whose fields have the wrong shape, is an error that says where; an office
//! of type `mairie` that cannot be used (no commune code, no id) is left out and listed.
use std::fmt;
use std::io::{BufRead, BufReader, Read};

use ban_domain::InseeCode;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer as _;
use serde_json::{Map, Value};

use crate::TownHall;

/// The town halls of an export, and what was read to find them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    /// The offices of type `mairie`, in the file's order.
    pub town_halls: Vec<TownHall>,
    /// Records read, of every type.
    pub records: u64,
    /// Offices of type `mairie` left out, with why.
    pub skipped: Vec<Skipped>,
}

/// A town-hall record that was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The record's position in the file, from 1.
    pub record: u64,
    pub id: Option<String>,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.record)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Why an export cannot be read. Nothing of it should be used then.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be read (before its JSON).
    #[error("reading the export: {0}")]
    Io(#[from] std::io::Error),
    /// Not the JSON of an export: malformed JSON, an unexpected shape, a record whose
    /// fields are wrong. The message says where (record number, line and column).
    #[error("malformed export: {0}")]
    Malformed(serde_json::Error),
    /// A page of the records API, not the whole directory: replacing the directory with it
    /// would drop every commune of the other pages.
    #[error(
        "the file holds {found} records of the {total_count} its total_count announces: a page of \
         the records API, not the whole directory (download …/exports/json)"
    )]
    Partial { found: u64, total_count: u64 },
}

impl ExportError {
    /// Line and column (from 1) where a malformed export went wrong.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ExportError::Malformed(e) if e.line() > 0 => Some((e.line(), e.column())),
            _ => None,
        }
    }
}

/// Reads an export from `input` (gzip-compressed or not, told by its first bytes).
pub fn read_export(input: impl Read) -> Result<Export, ExportError> {
    let mut buffered = BufReader::with_capacity(256 * 1024, input);
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if gzip {
        Box::new(BufReader::with_capacity(256 * 1024, flate2::bufread::MultiGzDecoder::new(buffered)))
    } else {
        Box::new(buffered)
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut reading = Reading::default();
    (&mut deserializer).deserialize_any(ExportVisitor(&mut reading)).map_err(ExportError::Malformed)?;
    deserializer.end().map_err(ExportError::Malformed)?;
    let Reading { export, total_count } = reading;
    match total_count {
        Some(total_count) if total_count > export.records => {
            Err(ExportError::Partial { found: export.records, total_count })
        }
        _ => Ok(export),
    }
}

#[derive(Default)]
struct Reading {
    export: Export,
    total_count: Option<u64>,
}

/// The whole file: the bare array of records, or an object that holds it.
struct ExportVisitor<'r>(&'r mut Reading);

impl<'de> Visitor<'de> for ExportVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of directory records, or an object with them under \"results\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, records: A) -> Result<(), A::Error> {
        read_records(&mut self.0.export, records)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = fields.next_key::<String>()? {
            match key.as_str() {
                "results" | "service" if !found => {
                    fields.next_value_seed(Records(&mut self.0.export))?;
                    found = true;
                }
                "total_count" => self.0.total_count = fields.next_value::<Option<u64>>()?,
                _ => {
                    fields.next_value::<IgnoredAny>()?;
                }
            }
        }
        if found {
            Ok(())
        } else {
            Err(A::Error::custom("no \"results\" array of directory records"))
        }
    }
}

/// The array of records under `results`.
struct Records<'e>(&'e mut Export);

impl<'de> DeserializeSeed<'de> for Records<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(RecordsVisitor(self.0))
    }
}

struct RecordsVisitor<'e>(&'e mut Export);

impl<'de> Visitor<'de> for RecordsVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of directory records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, records: A) -> Result<(), A::Error> {
        read_records(self.0, records)
    }
}

/// Reads the records one at a time, keeping the town halls.
fn read_records<'de, A: SeqAccess<'de>>(export: &mut Export, mut records: A) -> Result<(), A::Error> {
    while let Some(record) = records.next_element::<Value>()? {
        export.records += 1;
        let number = export.records;
        let Value::Object(fields) = record else {
            return Err(A::Error::custom(format!("record {number}: not an object")));
        };
        match town_hall(&fields) {
            Ok(Some(office)) => export.town_halls.push(office),
            Ok(None) => {}
            Err(Refusal::Skip(reason)) => {
                export.skipped.push(Skipped { record: number, id: text(&fields, "id"), reason });
            }
            Err(Refusal::Malformed(reason)) => {
                let id = text(&fields, "id").map(|id| format!(" (id {id})")).unwrap_or_default();
                return Err(A::Error::custom(format!("record {number}{id}: {reason}")));
            }
        }
    }
    Ok(())
}

/// Why a record is not kept: a town hall that cannot be used, or a record of the wrong shape.
enum Refusal {
    Skip(String),
    Malformed(String),
}

/// A field's text: a non-empty string (a number is written as text).
fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field that holds JSON: written inside a string (the API), or as it is (the legacy
/// database); `None` when absent, null or empty.
fn nested(fields: &Map<String, Value>, name: &str) -> Result<Option<Value>, Refusal> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| Refusal::Malformed(format!("field {name}: not the JSON text it should hold ({e})"))),
        Some(value) => Ok(Some(value.clone())),
    }
}

/// The record as a town hall: `Ok(None)` for an office of another type.
fn town_hall(fields: &Map<String, Value>) -> Result<Option<TownHall>, Refusal> {
    let Some(pivot) = nested(fields, "pivot")? else { return Ok(None) };
    let Value::Array(entries) = pivot else {
        return Err(Refusal::Malformed("field pivot: expected an array of service types".into()));
    };
    let mut mairie = None;
    for entry in &entries {
        let kind = entry
            .get("type_service_local")
            .and_then(Value::as_str)
            .ok_or_else(|| Refusal::Malformed("field pivot: an entry without type_service_local".into()))?;
        if kind == "mairie" && mairie.is_none() {
            mairie = Some(entry);
        }
    }
    let Some(mairie) = mairie else { return Ok(None) };
    // The commune of the record, as the production depot's query filters on it; else the
    // first commune its pivot names.
    let pivot_code =
        || mairie.get("code_insee_commune").and_then(Value::as_array)?.first()?.as_str().map(str::to_owned);
    let code = text(fields, "code_insee_commune")
        .or_else(pivot_code)
        .ok_or_else(|| Refusal::Skip("a town hall without code_insee_commune".into()))?;
    let code = InseeCode::parse(code.trim())
        .map_err(|_| Refusal::Skip(format!("code_insee_commune {code:?} is not a commune code")))?;
    let id = text(fields, "id").ok_or_else(|| Refusal::Skip("a town hall without id".into()))?;
    let nom = text(fields, "nom").unwrap_or_default();
    let emails = match fields.get("adresse_courriel") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(joined)) => pieces(joined),
        Some(Value::Array(list)) => {
            let mut emails = Vec::new();
            for item in list {
                let Value::String(joined) = item else {
                    return Err(Refusal::Malformed("field adresse_courriel: expected strings".into()));
                };
                emails.extend(pieces(joined));
            }
            emails
        }
        Some(_) => {
            return Err(Refusal::Malformed("field adresse_courriel: expected a string".into()));
        }
    };
    Ok(Some(TownHall {
        id,
        code_commune: code.as_str().to_owned(),
        delegated: TownHall::is_delegated_name(&nom),
        nom,
        siret: text(fields, "siret"),
        emails,
    }))
}

/// The addresses of an `adresse_courriel`: cut at `;`, empty pieces left out, nothing trimmed
/// (the rules that decide which are offered read them as written).
fn pieces(joined: &str) -> Vec<String> {
    joined.split(';').filter(|piece| !piece.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::commune_emails;

    /// The fixture of shared/spec/PARTICIPATION.md §1.4, with an office of another type.
    const PAGE: &str = r#"{"total_count": 3, "results": [
 {"id": "4b3bd44a-0000-4000-8000-000000000001", "nom": "Mairie - Exempleville",
  "pivot": "[{\"type_service_local\": \"mairie\", \"code_insee_commune\": [\"99001\"]}]",
  "code_insee_commune": "99001", "siret": "21990001000011",
  "adresse_courriel": "mairie@exempleville.fr;secretariat@exempleville.fr",
  "telephone": "[{\"valeur\": \"01 02 03 04 05\", \"description\": \"\"}]",
  "adresse": "[{\"type_adresse\": \"Adresse\", \"numero_voie\": \"1 place de la Mairie\"}]",
  "url_service_public": "https://lannuaire.service-public.fr/…"},
 {"id": "4b3bd44a-0000-4000-8000-000000000009", "nom": "Centre communal d'action sociale",
  "pivot": "[{\"type_service_local\": \"ccas\", \"code_insee_commune\": [\"99001\"]}]",
  "code_insee_commune": "99001", "adresse_courriel": "ccas@exempleville.fr"},
 {"id": "4b3bd44a-0000-4000-8000-000000000002", "nom": "Mairie déléguée - Ancienneville",
  "pivot": "[{\"type_service_local\": \"mairie\", \"code_insee_commune\": [\"99001\"]}]",
  "code_insee_commune": "99001", "siret": "21990001000029",
  "adresse_courriel": "ancienneville@exempleville.fr", "telephone": null, "site_internet": null,
  "adresse": null, "plage_ouverture": null, "url_service_public": null}]}"#;

    #[test]
    fn a_page_of_the_records_api() {
        let export = read_export(PAGE.as_bytes()).unwrap();
        assert_eq!(export.records, 3);
        assert!(export.skipped.is_empty());
        let [main, delegated] = &export.town_halls[..] else { panic!("{export:?}") };
        assert_eq!(main.code_commune, "99001");
        assert_eq!(main.siret.as_deref(), Some("21990001000011"));
        assert_eq!(main.emails, ["mairie@exempleville.fr", "secretariat@exempleville.fr"]);
        assert!(!main.delegated && delegated.delegated);
        assert_eq!(
            commune_emails(&export.town_halls),
            ["mairie@exempleville.fr", "secretariat@exempleville.fr", "ancienneville@exempleville.fr"]
        );
    }

    #[test]
    fn the_bare_array_of_the_export_gzipped_or_not() {
        let start = PAGE.find('[').unwrap();
        let array = &PAGE[start..PAGE.len() - 1];
        let plain = read_export(array.as_bytes()).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(array.as_bytes()).unwrap();
        let gzipped = read_export(&gz.finish().unwrap()[..]).unwrap();
        assert_eq!(plain, gzipped);
        assert_eq!(plain.town_halls, read_export(PAGE.as_bytes()).unwrap().town_halls);
    }

    #[test]
    fn the_legacy_database_with_real_arrays() {
        let legacy = r#"{"service": [{"id": "a", "nom": "Mairie - Exempleville",
            "pivot": [{"type_service_local": "mairie", "code_insee_commune": ["99001"]}],
            "adresse_courriel": ["mairie@exempleville.fr", "accueil@exempleville.fr"]}]}"#;
        let export = read_export(legacy.as_bytes()).unwrap();
        assert_eq!(export.town_halls[0].code_commune, "99001", "the commune from the pivot");
        assert_eq!(export.town_halls[0].emails, ["mairie@exempleville.fr", "accueil@exempleville.fr"]);
    }

    #[test]
    fn unusable_town_halls_are_listed() {
        let records = r#"[
            {"id": "a", "nom": "Mairie", "pivot": "[{\"type_service_local\": \"mairie\"}]"},
            {"id": "b", "nom": "Mairie", "pivot": "[{\"type_service_local\": \"mairie\"}]", "code_insee_commune": "9900"},
            {"nom": "Mairie", "pivot": "[{\"type_service_local\": \"mairie\"}]", "code_insee_commune": "99001"}
        ]"#;
        let export = read_export(records.as_bytes()).unwrap();
        assert!(export.town_halls.is_empty());
        let reasons: Vec<String> = export.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            [
                "record 1 (id a): a town hall without code_insee_commune",
                "record 2 (id b): code_insee_commune \"9900\" is not a commune code",
                "record 3: a town hall without id",
            ]
        );
    }

    #[test]
    fn malformed_files_say_where() {
        for (text, message, line) in [
            ("[{\"id\": \"a\",\n \"nom\": }]", "expected value", 2),
            ("{\"total_count\": 1}", "no \"results\" array", 1),
            ("\"mairies\"", "invalid type: string", 1),
            ("[1]", "record 1: not an object", 1),
            (
                "[{\"id\": \"x\", \"nom\": \"n\"},\n{\"id\": \"y\", \"pivot\": \"[{oops\"}]",
                "record 2 (id y): field pivot: not the JSON text",
                2,
            ),
            ("[{\"id\": \"x\", \"pivot\": \"{}\"}]", "field pivot: expected an array", 1),
            ("[] []", "trailing characters", 1),
        ] {
            let error = read_export(text.as_bytes()).unwrap_err();
            assert!(error.to_string().contains(message), "{text}: {error}");
            assert_eq!(error.position().map(|(l, _)| l), Some(line), "{text}: {error}");
        }
        let page = r#"{"total_count": 35000, "results": []}"#;
        assert!(matches!(
            read_export(page.as_bytes()),
            Err(ExportError::Partial { found: 0, total_count: 35000 })
        ));
    }
}
