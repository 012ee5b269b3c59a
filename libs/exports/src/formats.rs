//! The export formats, their file names, and the writer that turns prepared communes into
//! their bytes.
use std::collections::BTreeSet;
use std::io::{self, Write};

use ban_domain::{departement_of, is_departement};
use serde_json::{json, Map, Value};

use crate::commune::{legal_xy, Located, Prepared, Street};
use crate::text::{opt_number, round_to, CsvStyle, CsvWriter};

/// An export format, as the download site's folders name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `csv/adresses-*.csv.gz`: the 23-column BAN CSV, one row per address.
    Csv,
    /// `csv-with-ids/adresses-with-ids-*.csv.gz`: the same + the three BAN ids.
    CsvWithIds,
    /// `csv/lieux-dits-*-beta.csv.gz`.
    LieuxDits,
    /// `csv-with-ids/lieux-dits-with-ids-*-beta.csv.gz`.
    LieuxDitsWithIds,
    /// `csv-bal/adresses-*.csv.gz`: the base as a BAL, one row per position.
    Bal(BalVersion),
    /// `geojson/adresses-*.geojson.gz`: a FeatureCollection of address points.
    GeoJson,
    /// `geojson/toponymes-*.geojson.gz`: streets and lieux-dits with a position.
    GeoJsonToponyms,
    /// `geojson/adresses-*.geojsonl.gz`: one address Feature per line (GeoJSON Lines).
    GeoJsonLines,
    /// `addok/adresses-addok-*.ndjson.gz`: the geocoder's input documents.
    Addok,
}

/// The BAL layout of a `csv-bal` export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BalVersion {
    /// Ids in `uid_adresse` (the daily files).
    V1_3,
    /// Ids in `id_ban_commune`, `id_ban_toponyme`, `id_ban_adresse` (1.4 and 1.5 share these
    /// columns).
    V1_4,
}

/// Which part of the base a file holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    France,
    Departement(String),
    Commune(String),
}

impl Scope {
    /// `france`, a département code or a commune code, as file names spell them.
    pub fn parse(text: &str) -> Option<Scope> {
        if text == "france" {
            Some(Scope::France)
        } else if is_departement(text) {
            Some(Scope::Departement(text.to_owned()))
        } else if text.len() == 5 && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Some(Scope::Commune(text.to_uppercase()))
        } else {
            None
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Scope::France => "france",
            Scope::Departement(code) | Scope::Commune(code) => code,
        }
    }

    /// The département whose communes a store read selects (`None`: all of them).
    pub fn departement(&self) -> Option<&str> {
        match self {
            Scope::France => None,
            Scope::Departement(code) => Some(code),
            Scope::Commune(code) => Some(departement_of(code)),
        }
    }

    pub fn contains(&self, commune: &str) -> bool {
        match self {
            Scope::France => true,
            Scope::Departement(code) => departement_of(commune) == code,
            Scope::Commune(code) => commune == code,
        }
    }
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Csv,
        Format::CsvWithIds,
        Format::LieuxDits,
        Format::LieuxDitsWithIds,
        Format::Bal(BalVersion::V1_3),
        Format::Bal(BalVersion::V1_4),
        Format::GeoJson,
        Format::GeoJsonToponyms,
        Format::GeoJsonLines,
        Format::Addok,
    ];

    /// The folder of the download site.
    pub fn folder(self) -> &'static str {
        match self {
            Format::Csv | Format::LieuxDits => "csv",
            Format::CsvWithIds | Format::LieuxDitsWithIds => "csv-with-ids",
            Format::Bal(BalVersion::V1_3) => "csv-bal",
            Format::Bal(BalVersion::V1_4) => "csv-bal-1.4",
            Format::GeoJson | Format::GeoJsonToponyms | Format::GeoJsonLines => "geojson",
            Format::Addok => "addok",
        }
    }

    /// The name the command line and the docs use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::CsvWithIds => "csv-with-ids",
            Format::LieuxDits => "lieux-dits",
            Format::LieuxDitsWithIds => "lieux-dits-with-ids",
            Format::Bal(BalVersion::V1_3) => "csv-bal",
            Format::Bal(BalVersion::V1_4) => "csv-bal-1.4",
            Format::GeoJson => "geojson",
            Format::GeoJsonToponyms => "geojson-toponymes",
            Format::GeoJsonLines => "geojsonl",
            Format::Addok => "addok",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The file name for a scope (gzip-compressed).
    pub fn file_name(self, scope: &Scope) -> String {
        let s = scope.name();
        match self {
            Format::Csv | Format::Bal(_) => format!("adresses-{s}.csv.gz"),
            Format::CsvWithIds => format!("adresses-with-ids-{s}.csv.gz"),
            Format::LieuxDits => format!("lieux-dits-{s}-beta.csv.gz"),
            Format::LieuxDitsWithIds => format!("lieux-dits-with-ids-{s}-beta.csv.gz"),
            Format::GeoJson => format!("adresses-{s}.geojson.gz"),
            Format::GeoJsonToponyms => format!("toponymes-{s}.geojson.gz"),
            Format::GeoJsonLines => format!("adresses-{s}.geojsonl.gz"),
            Format::Addok => format!("adresses-addok-{s}.ndjson.gz"),
        }
    }

    /// The format and scope a download path names (`csv`, `adresses-54.csv.gz`).
    pub fn parse_path(folder: &str, file: &str) -> Option<(Format, Scope)> {
        let candidates = Format::ALL.into_iter().filter(|f| f.folder() == folder);
        for format in candidates {
            let template = format.file_name(&Scope::France);
            let (prefix, suffix) = template.split_once("france")?;
            if let Some(middle) = file.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(suffix)) {
                if let Some(scope) = Scope::parse(middle) {
                    return Some((format, scope));
                }
            }
        }
        None
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::GeoJson | Format::GeoJsonToponyms => "application/geo+json",
            Format::GeoJsonLines => "application/geo+json-seq",
            Format::Addok => "application/x-ndjson",
            _ => "text/csv; charset=utf-8",
        }
    }
}

/// Writes one export: `begin`, then each commune of the scope in code order, then `finish`.
#[derive(Debug)]
pub struct ExportWriter {
    format: Format,
    scope: Scope,
    csv: CsvWriter,
    features: u64,
    rows: u64,
    /// Communes written with addresses (the addok file adds a municipality for the others).
    seen: BTreeSet<String>,
}

/// Where a place is, in the addresses' and the lieux-dits' CSV: its postcode, its commune
/// (and former commune), then its position in Lambert 93 and in WGS 84 ([`position_cells`]).
const PLACE_COLUMNS: [&str; 9] = [
    "code_postal",
    "code_insee",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "x",
    "y",
    "lon",
    "lat",
];

/// The header of the addresses' CSV (`adresses-*.csv`).
fn csv_columns() -> impl Iterator<Item = &'static str> {
    ["id", "id_fantoir", "numero", "rep", "nom_voie"].into_iter().chain(PLACE_COLUMNS).chain([
        "type_position",
        "alias",
        "nom_ld",
        "libelle_acheminement",
        "nom_afnor",
        "source_position",
        "source_nom_voie",
        "certification_commune",
        "cad_parcelles",
    ])
}

/// The header of the lieux-dits' CSV (`lieux-dits-*-beta.csv`).
fn lieux_dits_columns() -> impl Iterator<Item = &'static str> {
    ["id", "nom_lieu_dit"].into_iter().chain(PLACE_COLUMNS).chain(["source_position", "source_nom_voie"])
}

/// The cells of a position (WGS 84 `[lon, lat]`): x and y in Lambert 93 (empty outside its
/// area), then lon and lat; all four empty without a position.
fn position_cells(point: Option<[f64; 2]>) -> [String; 4] {
    let xy = point.and_then(legal_xy);
    [
        opt_number(xy.map(|(x, _)| x)),
        opt_number(xy.map(|(_, y)| y)),
        opt_number(point.map(|p| p[0])),
        opt_number(point.map(|p| p[1])),
    ]
}
const BAL_COLUMNS: [&str; 18] = [
    "cle_interop",
    "commune_insee",
    "commune_nom",
    "commune_deleguee_insee",
    "commune_deleguee_nom",
    "voie_nom",
    "lieudit_complement_nom",
    "numero",
    "suffixe",
    "position",
    "x",
    "y",
    "long",
    "lat",
    "cad_parcelles",
    "source",
    "date_der_maj",
    "certification_commune",
];

impl ExportWriter {
    pub fn new(format: Format, scope: Scope, style: CsvStyle) -> Self {
        ExportWriter {
            format,
            scope,
            csv: CsvWriter::new(style),
            features: 0,
            rows: 0,
            seen: BTreeSet::new(),
        }
    }

    /// Rows (or documents, or features) written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn begin(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self.format {
            Format::Csv => self.csv.row(out, csv_columns()),
            Format::CsvWithIds => self
                .csv
                .row(out, csv_columns().chain(["id_ban_adresse", "id_ban_toponyme", "id_ban_commune"])),
            Format::LieuxDits => self.csv.row(out, lieux_dits_columns()),
            Format::LieuxDitsWithIds => {
                self.csv.row(out, lieux_dits_columns().chain(["id_ban_toponyme", "id_ban_commune"]))
            }
            Format::Bal(BalVersion::V1_3) => {
                self.csv.row(out, std::iter::once("uid_adresse").chain(BAL_COLUMNS.iter().copied()))
            }
            Format::Bal(BalVersion::V1_4) => self.csv.row(
                out,
                ["id_ban_commune", "id_ban_toponyme", "id_ban_adresse"]
                    .into_iter()
                    .chain(BAL_COLUMNS.iter().copied()),
            ),
            Format::GeoJson | Format::GeoJsonToponyms => {
                out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")
            }
            Format::GeoJsonLines | Format::Addok => Ok(()),
        }
    }

    pub fn commune(&mut self, out: &mut impl Write, commune: &Prepared<'_>) -> io::Result<()> {
        match self.format {
            Format::Csv | Format::CsvWithIds => self.csv_addresses(out, commune),
            Format::LieuxDits | Format::LieuxDitsWithIds => self.csv_lieux_dits(out, commune),
            Format::Bal(version) => self.bal(out, commune, version),
            Format::GeoJson => {
                for (street, address) in commune.addresses() {
                    if let Some(feature) = address_feature(commune, street, address) {
                        self.feature(out, &feature)?;
                    }
                }
                Ok(())
            }
            Format::GeoJsonToponyms => {
                for street in commune.streets.iter().chain(&commune.lieux_dits) {
                    if let Some(feature) = toponym_feature(commune, street) {
                        self.feature(out, &feature)?;
                    }
                }
                Ok(())
            }
            Format::GeoJsonLines => {
                for (street, address) in commune.addresses() {
                    if let Some(feature) = address_feature(commune, street, address) {
                        serde_json::to_writer(&mut *out, &feature)?;
                        out.write_all(b"\n")?;
                        self.rows += 1;
                    }
                }
                Ok(())
            }
            Format::Addok => self.addok(out, commune),
        }
    }

    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self.format {
            Format::GeoJson | Format::GeoJsonToponyms => out.write_all(b"]}"),
            Format::Addok => {
                // Communes without addresses are still found by name, at their centre.
                let territories = ban_spatial::Territories::national();
                let mut missing: Vec<_> = territories
                    .communes()
                    .filter(|t| self.scope.contains(&t.code) && !self.seen.contains(&t.code))
                    .collect();
                missing.sort_by(|a, b| a.code.cmp(&b.code));
                for territory in missing {
                    if let Some(centre) = territory.centre {
                        let document = crate::addok::municipality(territory, None, centre);
                        self.line(out, &document.to_json())?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn feature(&mut self, out: &mut impl Write, feature: &Value) -> io::Result<()> {
        if self.features > 0 {
            out.write_all(b"\n,\n")?;
        }
        serde_json::to_writer(&mut *out, feature)?;
        self.features += 1;
        self.rows += 1;
        Ok(())
    }

    fn line(&mut self, out: &mut impl Write, document: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut *out, document)?;
        out.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    fn csv_addresses(&mut self, out: &mut impl Write, commune: &Prepared<'_>) -> io::Result<()> {
        let with_ids = self.format == Format::CsvWithIds;
        let source = commune.source();
        for (street, located) in commune.addresses() {
            let Some(main) = located.main else { continue };
            let address = located.address;
            let id_fantoir =
                if street.voie_id.len() == 10 { street.voie_id.to_uppercase() } else { String::new() };
            let postcode = located.postcode;
            let mut cells = vec![
                located.cle_interop.clone(),
                id_fantoir,
                address.numero.to_string(),
                address.suffixe.clone().unwrap_or_default(),
                street.toponym.name.clone(),
                postcode.map(|p| p.code.clone()).unwrap_or_default(),
                commune.commune.code.clone(),
                commune.name.clone(),
                located.former.map(|t| t.code.clone()).unwrap_or_default(),
                located.former.map(|t| t.name.clone()).unwrap_or_default(),
            ];
            cells.extend(position_cells(Some(main.coordinates.map(|v| round_to(v, 6)))));
            cells.extend([
                main.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
                String::new(),
                address.complement.clone().unwrap_or_default(),
                postcode.map(|p| p.routing_name.clone()).unwrap_or_default(),
                crate::afnor::nom_afnor(&street.toponym.name),
                source.to_owned(),
                source.to_owned(),
                if address.certified { "1" } else { "0" }.to_owned(),
                address.parcelles.join("|"),
            ]);
            if with_ids {
                cells.push(address.id.to_string());
                cells.push(street.toponym.id.to_string());
                cells.push(commune.commune.id.to_string());
            }
            self.csv.row(out, &cells)?;
            self.rows += 1;
        }
        Ok(())
    }

    fn csv_lieux_dits(&mut self, out: &mut impl Write, commune: &Prepared<'_>) -> io::Result<()> {
        let with_ids = self.format == Format::LieuxDitsWithIds;
        for street in &commune.lieux_dits {
            let postcode = commune.postcode_of_street(street);
            let point = street.toponym.position.map(|p| p.map(|v| round_to(v, 6)));
            let mut cells = vec![
                street.voie_id.clone(),
                street.toponym.name.clone(),
                postcode.map(|p| p.code.clone()).unwrap_or_default(),
                commune.commune.code.clone(),
                commune.name.clone(),
                String::new(),
                String::new(),
            ];
            cells.extend(position_cells(point));
            cells.extend([commune.raw_source().to_owned(), commune.raw_source().to_owned()]);
            if with_ids {
                cells.push(street.toponym.id.to_string());
                cells.push(commune.commune.id.to_string());
            }
            self.csv.row(out, &cells)?;
            self.rows += 1;
        }
        Ok(())
    }

    fn bal(&mut self, out: &mut impl Write, commune: &Prepared<'_>, version: BalVersion) -> io::Result<()> {
        let commune_id = commune.commune.id.to_string();
        let source = commune.source();
        // Streets and lieux-dits in name order, as one list (a BAL lists both).
        let mut all: Vec<&Street<'_>> = commune.streets.iter().chain(&commune.lieux_dits).collect();
        all.sort_by(|a, b| a.toponym.name.cmp(&b.toponym.name).then(a.voie_id.cmp(&b.voie_id)));
        for street in all {
            let toponym_id = street.toponym.id.to_string();
            if street.toponym.lieu_dit {
                let ids = match version {
                    BalVersion::V1_3 => vec![format!(" @v:{toponym_id} @c:{commune_id}")],
                    BalVersion::V1_4 => vec![commune_id.clone(), toponym_id.clone(), String::new()],
                };
                let cells = ids.into_iter().chain([
                    format!("{}_99999", street.voie_id),
                    commune.commune.code.clone(),
                    commune.name.clone(),
                    String::new(),
                    String::new(),
                    street.toponym.name.clone(),
                    String::new(),
                    "99999".to_owned(),
                    String::new(),
                    String::new(),
                ]);
                let cells = cells.chain(position_cells(street.toponym.position)).chain([
                    String::new(),
                    String::new(),
                    String::new(),
                    "0".to_owned(),
                ]);
                self.csv.row(out, cells)?;
                self.rows += 1;
                continue;
            }
            for located in &street.addresses {
                let address = located.address;
                let address_id = address.id.to_string();
                for position in &address.positions {
                    let ids = match version {
                        BalVersion::V1_3 => vec![format!(" @a:{address_id} @v:{toponym_id} @c:{commune_id}")],
                        BalVersion::V1_4 => vec![commune_id.clone(), toponym_id.clone(), address_id.clone()],
                    };
                    let cells = ids.into_iter().chain([
                        located.cle_interop.clone(),
                        commune.commune.code.clone(),
                        commune.name.clone(),
                        located.former.map(|t| t.code.clone()).unwrap_or_default(),
                        located.former.map(|t| t.name.clone()).unwrap_or_default(),
                        street.toponym.name.clone(),
                        address.complement.clone().unwrap_or_default(),
                        address.numero.to_string(),
                        address.suffixe.clone().unwrap_or_default(),
                        position.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
                    ]);
                    let cells = cells.chain(position_cells(Some(position.coordinates))).chain([
                        address.parcelles.join("|"),
                        source.to_owned(),
                        address.updated.clone().unwrap_or_default(),
                        if address.certified { "1" } else { "0" }.to_owned(),
                    ]);
                    self.csv.row(out, cells)?;
                    self.rows += 1;
                }
            }
        }
        Ok(())
    }

    fn addok(&mut self, out: &mut impl Write, commune: &Prepared<'_>) -> io::Result<()> {
        for document in crate::addok::commune_documents(commune) {
            if document.kind == crate::addok::DocumentKind::Municipality {
                self.seen.insert(commune.commune.code.clone());
            }
            self.line(out, &document.to_json())?;
        }
        Ok(())
    }
}

/// An address as a GeoJSON Feature (its main position), with the properties of the BAN's
/// GeoJSON and map tiles; `None` without a position.
pub fn address_feature(commune: &Prepared<'_>, street: &Street<'_>, located: &Located<'_>) -> Option<Value> {
    let main = located.main?;
    let address = located.address;
    let mut properties = Map::new();
    properties.insert("id".into(), json!(located.cle_interop));
    properties.insert("banId".into(), json!(address.id.to_string()));
    properties.insert("numero".into(), json!(address.numero));
    if let Some(suffixe) = &address.suffixe {
        properties.insert("suffixe".into(), json!(suffixe));
    }
    properties.insert("nomVoie".into(), json!(street.toponym.name));
    if let Some(complement) = &address.complement {
        properties.insert("lieuDitComplementNom".into(), json!(complement));
    }
    properties.insert("parcelles".into(), json!(address.parcelles.join("|")));
    properties.insert("codeCommune".into(), json!(commune.commune.code));
    properties.insert("nomCommune".into(), json!(commune.name));
    if let Some(former) = located.former {
        properties.insert("codeAncienneCommune".into(), json!(former.code));
        properties.insert("nomAncienneCommune".into(), json!(former.name));
    }
    properties.insert("sourcePosition".into(), json!(commune.raw_source()));
    properties.insert("sourceNomVoie".into(), json!(commune.raw_source()));
    properties.insert("certifie".into(), json!(address.certified));
    if let Some(updated) = &address.updated {
        properties.insert("dateMAJ".into(), json!(updated));
    }
    Some(json!({
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": main.coordinates},
    }))
}

/// A street or lieu-dit as a GeoJSON Feature (its position), with the properties of the
/// BAN's GeoJSON and map tiles; `None` without a position.
pub fn toponym_feature(commune: &Prepared<'_>, street: &Street<'_>) -> Option<Value> {
    let position = street.position?;
    let lieu_dit = street.toponym.lieu_dit;
    let mut properties = Map::new();
    properties.insert("id".into(), json!(street.voie_id));
    properties.insert("banId".into(), json!(street.toponym.id.to_string()));
    properties.insert("type".into(), json!(if lieu_dit { "lieu-dit" } else { "voie" }));
    properties.insert("nomVoie".into(), json!(street.toponym.name));
    // A toponym has no parcels of its own in the base (the reference writes "" for streets).
    properties.insert("parcelles".into(), json!(""));
    properties.insert("codeCommune".into(), json!(commune.commune.code));
    properties.insert("nomCommune".into(), json!(commune.name));
    if let Some(former) = street.addresses.iter().find_map(|a| a.former) {
        properties.insert("codeAncienneCommune".into(), json!(former.code));
        properties.insert("nomAncienneCommune".into(), json!(former.name));
    }
    if !lieu_dit {
        properties.insert("sourceNomVoie".into(), json!(commune.raw_source()));
        properties.insert("nbNumeros".into(), json!(street.addresses.len()));
    }
    Some(json!({
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": position},
    }))
}
