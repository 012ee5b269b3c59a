//! Golden (snapshot) tests of every export format, on a small hard-coded base of two communes
//! of the Ain (01): L'Abergement-Clémenciat (01001, one postcode, a BAL) and the commune
//! nouvelle Bâgé-Dommartin (01025, former communes 01025 Bâgé-la-Ville and 01144 Dommartin,
//! a legacy base).
//!
//! The expected files are `tests/golden/<format-name>[-<variant>].<ext>`. Run with
//! `UPDATE_GOLDEN=1` to (re)write them after a deliberate change, then review the diff.
use std::path::PathBuf;

use ban_domain::base::{Address, AddressPosition, Commune, CommuneSource, Toponym};
use ban_domain::{BanId, PositionType};
use ban_exports::{BalVersion, CommuneData, CsvStyle, ExportWriter, Format, Prepared, Scope};
use ban_spatial::Territories;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The base
// ---------------------------------------------------------------------------------------------

const C_ABERGEMENT: &str = "6a1b0c9e-1001-4c11-8a11-000000001001";
const C_BAGE: &str = "6a1b0c9e-1025-4c11-8a11-000000001025";

// Toponyms of 01001.
const T_EGLISE: &str = "b1000001-0000-4000-8000-000000000001";
/// No `cle_voie`: its street id is the pseudo-code `7e2a41` (first 6 hex digits).
const T_MOULIN: &str = "7e2a41c9-5d3b-4f60-9a7e-0c2b1d4e5f60";
const T_PRES: &str = "b1000003-0000-4000-8000-000000000003";
const T_BOURG: &str = "b1000004-0000-4000-8000-000000000004";
/// Lieu-dit without position nor `cle_voie` (pseudo-code `4c9d2e`).
const T_CHAMPS: &str = "4c9d2e11-2b3c-4d5e-8f60-718293a4b5c6";
const T_DISPARUE: &str = "b1000006-0000-4000-8000-000000000006";

// Toponyms of 01025.
const T_BOULEVARD: &str = "b2000001-0000-4000-8000-000000000001";
const T_LAVOIR: &str = "b2000002-0000-4000-8000-000000000002";
const T_GRANDE_BAGE: &str = "b2000003-0000-4000-8000-000000000003";
const T_GRANDE_DOMMARTIN: &str = "b2000004-0000-4000-8000-000000000004";
const T_COMMUNAUX: &str = "9f31b2c4-7a6e-4d1f-b2c3-d4e5f6a7b8c9";

// Addresses of 01001.
const A_1: &str = "a1000001-0000-4000-8000-000000000001";
const A_1_BIS: &str = "a1000002-0000-4000-8000-000000000002";
const A_2_MULTI: &str = "a1000003-0000-4000-8000-000000000003";
const A_3_TER: &str = "a1000004-0000-4000-8000-000000000004";
const A_10: &str = "a1000005-0000-4000-8000-000000000005";
const A_99_INACTIVE: &str = "a1000006-0000-4000-8000-000000000006";
const A_5_A: &str = "a1000007-0000-4000-8000-000000000007";
const A_7_REBUILT: &str = "a1000008-0000-4000-8000-000000000008";
const A_4_PRES: &str = "a1000009-0000-4000-8000-000000000009";

// Addresses of 01025.
const B_12: &str = "a2000001-0000-4000-8000-000000000001";
const B_14: &str = "a2000002-0000-4000-8000-000000000002";
const B_LAVOIR_1: &str = "a2000003-0000-4000-8000-000000000003";
const B_GRANDE_3: &str = "a2000004-0000-4000-8000-000000000004";
const B_DOMMARTIN_3: &str = "a2000005-0000-4000-8000-000000000005";
const B_DOMMARTIN_5_BIS: &str = "a2000006-0000-4000-8000-000000000006";

/// The entrée of the multi-position address (its main position).
const MULTI_ENTREE: [f64; 2] = [4.93088123, 46.15291877];

fn id(text: &str) -> BanId {
    BanId::parse(text).expect("the fixture ids are version-4 UUIDs")
}

#[derive(Debug)]
struct Fixture {
    commune: Commune,
    toponyms: Vec<Toponym>,
    addresses: Vec<Address>,
}

impl Fixture {
    fn data(&self) -> CommuneData<'_> {
        CommuneData { commune: &self.commune, toponyms: &self.toponyms, addresses: &self.addresses }
    }

    fn code(&self) -> &str {
        &self.commune.code
    }
}

fn commune(ban_id: &str, code: &str, name: &str, source: CommuneSource) -> Commune {
    Commune {
        id: id(ban_id),
        code: code.to_owned(),
        name: Some(name.to_owned()),
        source,
        revision: None,
        revision_published_at: None,
        addresses: 0,
        certified_addresses: 0,
        toponyms: 0,
    }
}

fn toponym(ban_id: &str, commune: &str, name: &str, cle_voie: Option<&str>) -> Toponym {
    Toponym {
        id: id(ban_id),
        commune: commune.to_owned(),
        name: name.to_owned(),
        lieu_dit: false,
        cle_voie: cle_voie.map(str::to_owned),
        position: None,
        active: true,
    }
}

fn lieu_dit(
    ban_id: &str,
    commune: &str,
    name: &str,
    cle_voie: Option<&str>,
    at: Option<[f64; 2]>,
) -> Toponym {
    Toponym { lieu_dit: true, position: at, ..toponym(ban_id, commune, name, cle_voie) }
}

fn at(kind: Option<PositionType>, lon: f64, lat: f64) -> AddressPosition {
    AddressPosition { kind, coordinates: [lon, lat] }
}

fn entree(lon: f64, lat: f64) -> AddressPosition {
    at(Some(PositionType::Entree), lon, lat)
}

/// An active, uncertified address with one entrée and a `cle_interop`.
fn address(
    ban_id: &str,
    commune: &str,
    toponym: &str,
    numero: u32,
    suffixe: Option<&str>,
    cle: Option<&str>,
    position: AddressPosition,
) -> Address {
    Address {
        id: id(ban_id),
        commune: commune.to_owned(),
        toponym: id(toponym),
        numero,
        suffixe: suffixe.map(str::to_owned),
        positions: vec![position],
        cle_interop: cle.map(str::to_owned),
        complement: None,
        commune_deleguee: None,
        parcelles: Vec::new(),
        source: None,
        updated: None,
        certified: false,
        active: true,
    }
}

/// L'Abergement-Clémenciat (01001): one postcode (01400), its own BAL.
fn abergement() -> Fixture {
    let c = "01001";
    // Given out of order on purpose: exports sort streets by name and numbers by numero.
    let toponyms = vec![
        toponym(T_PRES, c, "Chemin des Prés; Haut", Some("01001_0020")),
        toponym(T_MOULIN, c, "Rue du \"Moulin\"", None),
        toponym(T_EGLISE, c, "Allée de l'Église", Some("01001_0010")),
        lieu_dit(T_BOURG, c, "Le Bourg", Some("01001_B005"), Some([4.9287654321, 46.1512345678])),
        lieu_dit(T_CHAMPS, c, "Les Grands Champs", None, None),
        Toponym { active: false, ..toponym(T_DISPARUE, c, "Rue Disparue", Some("01001_0099")) },
    ];
    let addresses = vec![
        address(
            A_10,
            c,
            T_EGLISE,
            10,
            None,
            Some("01001_0010_00010"),
            at(Some(PositionType::DelivrancePostale), 4.931802, 46.153411),
        ),
        Address {
            certified: true,
            parcelles: vec!["01001000AB0012".to_owned(), "01001000AB0013".to_owned()],
            updated: Some("2024-03-15".to_owned()),
            ..address(
                A_1,
                c,
                T_EGLISE,
                1,
                None,
                Some("01001_0010_00001"),
                entree(4.9301234567, 46.1523456789),
            )
        },
        // No cle_interop: rebuilt from the street id.
        address(A_1_BIS, c, T_EGLISE, 1, Some("bis"), None, entree(4.930187, 46.152401)),
        // Three positions: the main one is the entrée, neither first nor last.
        Address {
            positions: vec![
                at(Some(PositionType::Segment), 4.930611, 46.152988),
                entree(MULTI_ENTREE[0], MULTI_ENTREE[1]),
                at(Some(PositionType::Batiment), 4.930912, 46.152944),
            ],
            parcelles: vec!["01001000AB0014".to_owned()],
            ..address(A_2_MULTI, c, T_EGLISE, 2, None, Some("01001_0010_00002"), entree(0.0, 0.0))
        },
        // A position without a type.
        address(
            A_3_TER,
            c,
            T_EGLISE,
            3,
            Some("ter"),
            Some("01001_0010_00003_ter"),
            at(None, 4.93102, 46.153102),
        ),
        Address {
            active: false,
            ..address(A_99_INACTIVE, c, T_EGLISE, 99, None, Some("01001_0010_00099"), entree(4.9333, 46.1544))
        },
        Address {
            complement: Some("Le Bourg".to_owned()),
            ..address(
                A_5_A,
                c,
                T_MOULIN,
                5,
                Some("a"),
                Some("01001_7E2A41_00005_A"),
                entree(4.92911, 46.151522),
            )
        },
        address(A_7_REBUILT, c, T_MOULIN, 7, None, None, entree(4.929305, 46.151611)),
        Address {
            certified: true,
            ..address(A_4_PRES, c, T_PRES, 4, None, Some("01001_0020_00004"), entree(4.932477, 46.150712))
        },
    ];
    Fixture {
        commune: commune(C_ABERGEMENT, c, "L'Abergement-Clémenciat", CommuneSource::Bal),
        toponyms,
        addresses,
    }
}

/// Bâgé-Dommartin (01025): a commune nouvelle (01025 Bâgé-la-Ville, 01144 Dommartin), legacy.
fn bage() -> Fixture {
    let c = "01025";
    let toponyms = vec![
        toponym(T_BOULEVARD, c, "Boulevard du Maréchal Jean Marie de Lattre de Tassigny", Some("01025_0100")),
        toponym(T_LAVOIR, c, "Impasse du Lavoir\nHaut", Some("01025_0200")),
        toponym(T_GRANDE_BAGE, c, "Grande Rue", Some("01025_0300")),
        // The same name in the other former commune (street id on the former commune's code).
        toponym(T_GRANDE_DOMMARTIN, c, "Grande Rue", Some("01144_0300")),
        lieu_dit(T_COMMUNAUX, c, "Les Communaux", None, Some([4.9612, 46.3301])),
    ];
    let addresses = vec![
        Address {
            commune_deleguee: Some("01144".to_owned()),
            parcelles: vec!["01025000ZK0042".to_owned()],
            ..address(B_12, c, T_BOULEVARD, 12, None, Some("01025_0100_00012"), entree(4.998712, 46.334588))
        },
        Address {
            updated: Some("2023-11-02".to_owned()),
            ..address(B_14, c, T_BOULEVARD, 14, None, Some("01025_0100_00014"), entree(4.998901, 46.334702))
        },
        address(B_LAVOIR_1, c, T_LAVOIR, 1, None, Some("01025_0200_00001"), entree(4.940033, 46.327145)),
        Address {
            commune_deleguee: Some("01025".to_owned()),
            ..address(
                B_GRANDE_3,
                c,
                T_GRANDE_BAGE,
                3,
                None,
                Some("01025_0300_00003"),
                entree(4.942288, 46.328011),
            )
        },
        Address {
            commune_deleguee: Some("01144".to_owned()),
            ..address(
                B_DOMMARTIN_3,
                c,
                T_GRANDE_DOMMARTIN,
                3,
                None,
                Some("01144_0300_00003"),
                entree(4.999401, 46.335233),
            )
        },
        Address {
            commune_deleguee: Some("01144".to_owned()),
            ..address(
                B_DOMMARTIN_5_BIS,
                c,
                T_GRANDE_DOMMARTIN,
                5,
                Some("bis"),
                None,
                entree(4.999622, 46.335417),
            )
        },
    ];
    Fixture { commune: commune(C_BAGE, c, "Bâgé-Dommartin", CommuneSource::Legacy), toponyms, addresses }
}

/// Both communes, in code order (as the store hands them out).
fn base() -> Vec<Fixture> {
    vec![abergement(), bage()]
}

// ---------------------------------------------------------------------------------------------
// Writing and comparing
// ---------------------------------------------------------------------------------------------

fn export(format: Format, scope: Scope, style: CsvStyle, communes: &[&Fixture]) -> Vec<u8> {
    let mut writer = ExportWriter::new(format, scope, style);
    let mut out = Vec::new();
    writer.begin(&mut out).expect("writing to memory");
    for fixture in communes {
        ban_exports::write_commune(&mut writer, &mut out, fixture.data()).expect("writing to memory");
    }
    writer.finish(&mut out).expect("writing to memory");
    out
}

fn departement() -> Scope {
    Scope::Departement("01".to_owned())
}

/// `csv`, `geojson`, `geojsonl` or `ndjson`: the extension of the format's files.
fn extension(format: Format) -> String {
    let name = format.file_name(&Scope::France);
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.rsplit('.').next().unwrap_or(name).to_owned()
}

/// Every golden file: its name and its bytes.
fn cases() -> Vec<(String, Vec<u8>)> {
    let base = base();
    let all: Vec<&Fixture> = base.iter().collect();
    let mut cases = Vec::new();
    for format in Format::ALL {
        let ext = extension(format);
        if format == Format::Addok {
            // A département's addok file ends with a municipality for each of its other
            // communes (hundreds): one file per commune keeps the golden files small.
            for fixture in &base {
                let scope = Scope::Commune(fixture.code().to_owned());
                let bytes = export(format, scope, CsvStyle::Daily, &[fixture]);
                cases.push((format!("{}-{}.{ext}", format.name(), fixture.code()), bytes));
            }
        } else {
            // Streets of a former commune carry its code and name; their `parcelles` is "".
            let bytes = export(format, departement(), CsvStyle::Daily, &all);
            cases.push((format!("{}.{ext}", format.name()), bytes));
        }
    }
    // The per-commune downloads (papaparse: CRLF between lines, none at the end).
    let bal = Format::Bal(BalVersion::V1_3);
    let scope = Scope::Commune("01001".to_owned());
    cases
        .push(("csv-bal-download-01001.csv".to_owned(), export(bal, scope, CsvStyle::Download, &[&base[0]])));
    let scope = Scope::Commune("01025".to_owned());
    cases.push((
        "csv-download-01025.csv".to_owned(),
        export(Format::Csv, scope, CsvStyle::Download, &[&base[1]]),
    ));
    cases
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden")
}

fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// Where two files first differ, line by line (`\r` shown), for the failure message.
fn diff_hint(expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let e: Vec<&str> = expected.split('\n').collect();
    let a: Vec<&str> = actual.split('\n').collect();
    for i in 0..e.len().max(a.len()) {
        let (left, right) = (e.get(i), a.get(i));
        if left != right {
            return format!(
                "first difference at line {} ({} lines expected, {} written)\n  expected: {}\n  actual:   {}",
                i + 1,
                e.len(),
                a.len(),
                left.map_or("<end of file>".to_owned(), |l| format!("{l:?}")),
                right.map_or("<end of file>".to_owned(), |l| format!("{l:?}")),
            );
        }
    }
    "the files differ in bytes that are not UTF-8".to_owned()
}

#[test]
fn every_format_matches_its_golden_file() {
    let dir = golden_dir();
    let mut failures = Vec::new();
    for (name, actual) in cases() {
        let path = dir.join(&name);
        if updating() {
            std::fs::create_dir_all(&dir).expect("creating tests/golden");
            std::fs::write(&path, &actual).expect("writing a golden file");
            continue;
        }
        match std::fs::read(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!("{name}: {}", diff_hint(&expected, &actual))),
            Err(error) => failures.push(format!("{name}: cannot read {} ({error})", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) differ (rerun with UPDATE_GOLDEN=1 to rewrite them, then review the diff):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Focused assertions
// ---------------------------------------------------------------------------------------------

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("exports are UTF-8")
}

/// The rows of a daily CSV (LF-terminated), without the header. Cells may hold `\n` inside
/// quotes, so this splits on `\n` outside quotes only.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ';') => record.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && record.is_empty(), "a daily CSV ends with a newline");
    records
}

/// Header and rows of a daily CSV export of the département, as maps column → value.
fn csv_table(format: Format) -> (Vec<String>, Vec<Vec<String>>) {
    let base = base();
    let all: Vec<&Fixture> = base.iter().collect();
    let mut records = csv_records(&text(export(format, departement(), CsvStyle::Daily, &all)));
    let header = records.remove(0);
    for record in &records {
        assert_eq!(record.len(), header.len(), "{}: {record:?}", format.name());
    }
    (header, records)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn inactive_objects_are_in_no_format() {
    let base = base();
    let all: Vec<&Fixture> = base.iter().collect();
    let mut outputs: Vec<(String, String)> = Format::ALL
        .into_iter()
        .map(|format| (format.name().to_owned(), text(export(format, departement(), CsvStyle::Daily, &all))))
        .collect();
    outputs.push((
        "csv-bal download".to_owned(),
        text(export(
            Format::Bal(BalVersion::V1_3),
            Scope::Commune("01001".to_owned()),
            CsvStyle::Download,
            &[&base[0]],
        )),
    ));
    for (name, output) in &outputs {
        for absent in [A_99_INACTIVE, "01001_0010_00099", T_DISPARUE, "Rue Disparue", "01001_0099"] {
            assert!(!output.contains(absent), "{name} holds {absent}");
        }
    }
    // Active neighbours of the inactive address are there.
    for (name, output) in &outputs {
        if !name.starts_with("lieux-dits") && name != "geojson-toponymes" {
            assert!(output.contains(A_1) || output.contains("01001_0010_00001"), "{name} lacks number 1");
        }
    }
}

#[test]
fn the_main_position_of_a_multi_position_address_is_its_entree() {
    let fixture = abergement();
    let prepared = Prepared::new(fixture.data(), Territories::national());
    let (_, located) = prepared
        .addresses()
        .find(|(_, a)| a.address.id == id(A_2_MULTI))
        .expect("the multi-position address is prepared");
    assert_eq!(located.address.positions.len(), 3);
    let main = located.main.expect("a main position");
    assert_eq!(main.kind, Some(PositionType::Entree));
    assert_eq!(main.coordinates, MULTI_ENTREE);

    // BAN CSV: one row, the entrée's type and its coordinates rounded to 6 decimals.
    let (header, rows) = csv_table(Format::Csv);
    let row = rows.iter().find(|r| r[0] == "01001_0010_00002").expect("a row for number 2");
    assert_eq!(rows.iter().filter(|r| r[0] == "01001_0010_00002").count(), 1);
    assert_eq!(row[column(&header, "type_position")], "entrée");
    assert_eq!(row[column(&header, "lon")], "4.930881");
    assert_eq!(row[column(&header, "lat")], "46.152919");

    // GeoJSON: the feature's point is the entrée.
    let base = base();
    let geojson = export(Format::GeoJson, departement(), CsvStyle::Daily, &[&base[0]]);
    let collection: Value = serde_json::from_slice(&geojson).expect("the GeoJSON file is JSON");
    let feature = collection["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["banId"] == A_2_MULTI)
        .expect("a feature for number 2");
    assert_eq!(feature["geometry"]["coordinates"], serde_json::json!(MULTI_ENTREE));

    // addok: housenumber 2 is at the entrée.
    let addok = text(export(Format::Addok, Scope::Commune("01001".to_owned()), CsvStyle::Daily, &[&base[0]]));
    let street: Value = addok
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("an addok line is JSON"))
        .find(|d| d["banId"] == T_EGLISE)
        .expect("the street of number 2");
    assert_eq!(street["housenumbers"]["2"]["lon"], 4.930881);
    assert_eq!(street["housenumbers"]["2"]["lat"], 46.152919);
}

#[test]
fn a_missing_cle_interop_is_rebuilt_from_the_street_id() {
    let expected = [
        (A_1_BIS, "01001_0010_00001_bis"),
        (A_7_REBUILT, "01001_7e2a41_00007"),
        (B_DOMMARTIN_5_BIS, "01144_0300_00005_bis"),
    ];
    for fixture in base() {
        let prepared = Prepared::new(fixture.data(), Territories::national());
        for (street, located) in prepared.addresses() {
            let address = located.address;
            let cle = &located.cle_interop;
            assert_eq!(cle, &cle.to_lowercase(), "{cle} is lower-case");
            if address.cle_interop.is_none() {
                // <commune>_<voie>_<numero on 5 digits>[_<suffix>]
                let mut parts = cle.split('_');
                let (commune, voie, numero) = (parts.next(), parts.next(), parts.next());
                assert_eq!(commune.map(str::len), Some(5), "{cle}");
                assert!(matches!(voie.map(str::len), Some(4 | 6)), "{cle}");
                assert_eq!(numero, Some(format!("{:05}", address.numero).as_str()), "{cle}");
                assert_eq!(parts.next(), address.suffixe.as_deref(), "{cle}");
                assert_eq!(parts.next(), None, "{cle}");
                assert!(cle.starts_with(&format!("{}_", street.voie_id.to_lowercase())), "{cle}");
                let want = expected.iter().find(|(a, _)| id(a) == address.id).map(|(_, c)| *c);
                assert_eq!(Some(cle.as_str()), want, "rebuilt key of {}", address.id);
            }
        }
    }
    // A stored key is kept, lower-cased.
    let (header, rows) = csv_table(Format::CsvWithIds);
    let of = |ban_id: &str| {
        rows.iter()
            .find(|r| r[column(&header, "id_ban_adresse")] == ban_id)
            .map(|r| r[0].clone())
            .unwrap_or_else(|| panic!("no row for {ban_id}"))
    };
    assert_eq!(of(A_5_A), "01001_7e2a41_00005_a");
    for (ban_id, cle) in expected {
        assert_eq!(of(ban_id), cle);
    }
}

#[test]
fn csv_bal_has_one_row_per_position_and_one_per_lieu_dit() {
    let base = base();
    for version in [BalVersion::V1_3, BalVersion::V1_4] {
        let (header, rows) = csv_table(Format::Bal(version));
        let numero = column(&header, "numero");
        let cle = column(&header, "cle_interop");
        let mut expected_rows = 0;
        for fixture in &base {
            let active_toponyms: Vec<BanId> =
                fixture.toponyms.iter().filter(|t| t.active).map(|t| t.id).collect();
            for address in
                fixture.addresses.iter().filter(|a| a.active && active_toponyms.contains(&a.toponym))
            {
                let key = address.id.to_string();
                let mine: Vec<&Vec<String>> =
                    rows.iter().filter(|r| r.iter().any(|c| c.contains(&key))).collect();
                assert_eq!(mine.len(), address.positions.len(), "rows of {key}");
                expected_rows += address.positions.len();
            }
            for lieu_dit in fixture.toponyms.iter().filter(|t| t.active && t.lieu_dit) {
                let key = lieu_dit.id.to_string();
                let mine: Vec<&Vec<String>> =
                    rows.iter().filter(|r| r.iter().any(|c| c.contains(&key))).collect();
                assert_eq!(mine.len(), 1, "the 99999 row of {}", lieu_dit.name);
                assert_eq!(mine[0][numero], "99999");
                assert!(mine[0][cle].ends_with("_99999"));
                expected_rows += 1;
            }
        }
        assert_eq!(rows.len(), expected_rows);
        // The multi-position address: its three positions, in their order.
        let kinds: Vec<&str> = rows
            .iter()
            .filter(|r| r[cle] == "01001_0010_00002")
            .map(|r| r[column(&header, "position")].as_str())
            .collect();
        assert_eq!(kinds, ["segment", "entrée", "bâtiment"]);
    }
    // 1.3: the ids in uid_adresse, each token after a space (unquoted in the daily file).
    let (header, rows) = csv_table(Format::Bal(BalVersion::V1_3));
    assert_eq!(header[0], "uid_adresse");
    let uid = rows.iter().find(|r| r[1] == "01001_0010_00001").map(|r| r[0].clone());
    assert_eq!(uid, Some(format!(" @a:{A_1} @v:{T_EGLISE} @c:{C_ABERGEMENT}")));
}

#[test]
fn files_are_framed_as_their_readers_expect() {
    let base = base();
    let all: Vec<&Fixture> = base.iter().collect();
    // GeoJSON: `[`, features separated by `\n,\n`, `]}` and no final newline.
    for format in [Format::GeoJson, Format::GeoJsonToponyms] {
        let bytes = export(format, departement(), CsvStyle::Daily, &all);
        let file = text(bytes.clone());
        assert!(file.starts_with("{\"type\":\"FeatureCollection\",\"features\":[{"), "{}", format.name());
        assert!(file.ends_with("}]}"), "{}", format.name());
        let collection: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        let features = collection["features"].as_array().map_or(0, Vec::len);
        assert_eq!(file.matches("\n,\n").count() + 1, features);
        assert_eq!(file.matches('\n').count(), 2 * (features - 1), "no other newline");
    }
    let empty = text(export(Format::GeoJson, departement(), CsvStyle::Daily, &[]));
    assert_eq!(empty, "{\"type\":\"FeatureCollection\",\"features\":[]}");
    // GeoJSON Lines: one Feature per line, each line ends with `\n`.
    let lines = text(export(Format::GeoJsonLines, departement(), CsvStyle::Daily, &all));
    assert!(lines.ends_with('\n'));
    for line in lines.lines() {
        let feature: Value = serde_json::from_str(line).expect("a line is JSON");
        assert_eq!(feature["type"], "Feature");
    }
    // Download: CRLF between lines, none after the last; the 1.3 uid_adresse is quoted.
    let download = text(export(
        Format::Bal(BalVersion::V1_3),
        Scope::Commune("01001".to_owned()),
        CsvStyle::Download,
        &[&base[0]],
    ));
    assert!(!download.ends_with('\n'));
    assert!(download.starts_with("uid_adresse;cle_interop;"));
    assert_eq!(download.matches('\n').count(), download.matches("\r\n").count());
    assert!(
        download.contains(&format!("\r\n\" @a:{A_1} @v:{T_EGLISE} @c:{C_ABERGEMENT}\";01001_0010_00001;"))
    );
}

#[test]
fn a_departement_addok_file_adds_the_communes_without_addresses() {
    let base = base();
    let all: Vec<&Fixture> = base.iter().collect();
    let file = text(export(Format::Addok, departement(), CsvStyle::Daily, &all));
    let mut per_commune = String::new();
    for fixture in &base {
        let scope = Scope::Commune(fixture.code().to_owned());
        per_commune.push_str(&text(export(Format::Addok, scope, CsvStyle::Daily, &[fixture])));
    }
    let rest = file.strip_prefix(&per_commune).expect("the communes' documents come first, unchanged");
    let codes: Vec<String> = rest
        .lines()
        .map(|line| {
            let document: Value = serde_json::from_str(line).expect("an addok line is JSON");
            assert_eq!(document["type"], "municipality");
            assert_eq!(document["banId"], Value::Null);
            document["citycode"].as_str().expect("a citycode").to_owned()
        })
        .collect();
    let mut expected: Vec<String> = Territories::national()
        .communes()
        .filter(|t| t.departement == "01" && t.centre.is_some() && t.code != "01001" && t.code != "01025")
        .map(|t| t.code.clone())
        .collect();
    expected.sort();
    assert!(expected.len() > 300, "the Ain has some 390 communes");
    assert_eq!(codes, expected);
}
