//! Rows of a legacy BAN export, as planner rows per commune: the base of the communes that
//! have not published a BAL. Reads the 2016–2019 "licence gratuite de repartage" files
//! (`id;nom_voie;id_fantoir;numero;rep;code_insee;…;lon;lat;…`) and the daily
//! `adresses-{dep}.csv` of the BAN (`id;id_fantoir;numero;rep;nom_voie;…`, optionally with
//! `id_ban_*` columns): columns are found by name.
use std::collections::BTreeMap;

use ban_bal::read::{self, RawRow, Refusal, Source};
use ban_domain::{BanId, PositionType, TOPONYM_NUMERO};

use crate::Row;

/// Why a legacy export cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    #[error(transparent)]
    Unreadable(#[from] Refusal),
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the header has no column {0:?}")]
    MissingColumn(&'static str),
}

/// The rows of an export.
#[derive(Debug, Default)]
pub struct LegacyRows {
    /// Planner rows, by INSEE code.
    pub communes: BTreeMap<String, Vec<Row>>,
    /// Rows left out: line and reason.
    pub skipped: Vec<(u32, String)>,
}

/// Reads a legacy export.
pub fn read_legacy(source: &(impl Source + ?Sized)) -> Result<LegacyRows, LegacyError> {
    let dialect = read::detect(source)?;
    let mut tokenizer = read::tokenize(source, &dialect)?;
    let mut raw = RawRow::default();
    let mut names: Vec<String> = Vec::new();
    while tokenizer.next_row(&mut raw)? {
        if !raw.is_blank() {
            names = raw
                .fields()
                .map(|f| dialect.encoding.decode(f).trim_start_matches('\u{feff}').to_owned())
                .collect();
            break;
        }
    }
    let column = |name: &str| names.iter().position(|n| n == name);
    let required = |name: &'static str| column(name).ok_or(LegacyError::MissingColumn(name));
    let (code_insee, nom_voie, numero) =
        (required("code_insee")?, required("nom_voie")?, required("numero")?);
    let optional = [
        "id",
        "id_fantoir",
        "rep",
        "lon",
        "lat",
        "type_position",
        "nom_ld",
        "cad_parcelles",
        "certification_commune",
        "id_ban_adresse",
        "id_ban_toponyme",
        "code_insee_ancienne_commune",
        "source_position",
    ]
    .map(column);
    let [id, id_fantoir, rep, lon, lat, type_position, nom_ld, parcelles, certification, id_adresse, id_toponyme, ancienne, source_position] =
        optional;

    let mut rows = LegacyRows::default();
    while tokenizer.next_row(&mut raw)? {
        if raw.is_blank() {
            continue;
        }
        let line = raw.line as u32;
        if raw.len() != names.len() {
            rows.skipped.push((line, format!("{} fields for {} columns", raw.len(), names.len())));
            continue;
        }
        let text = |i: Option<usize>| -> Option<String> {
            let value = dialect.encoding.decode(raw.field(i?));
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        let (Some(code), Some(voie)) = (text(Some(code_insee)), text(Some(nom_voie))) else {
            rows.skipped.push((line, "no code_insee or nom_voie".into()));
            continue;
        };
        let Some(number) = text(Some(numero)).and_then(|n| n.parse::<u32>().ok()) else {
            rows.skipped.push((line, "numero is not a number".into()));
            continue;
        };
        // As production: numbers from 10000 are pseudo-numbers, except the lieu-dit marker.
        if number >= 10_000 && number != TOPONYM_NUMERO {
            rows.skipped.push((line, format!("pseudo-number {number}")));
            continue;
        }
        let suffixe = text(rep).map(|s| s.to_lowercase());
        let number_f = |i| text(i).and_then(|v| v.replace(',', ".").parse::<f64>().ok());
        let position = number_f(lon).zip(number_f(lat)).map(|(lon, lat)| {
            (text(type_position).and_then(|t| PositionType::from_canonical(&t)), [lon, lat])
        });
        let cle_interop = text(id)
            .filter(|id| looks_like_cle(id))
            .or_else(|| {
                let fantoir = text(id_fantoir)?;
                let voie = fantoir.rsplit('_').next()?.to_owned();
                let suffix = suffixe.as_ref().map(|s| format!("_{s}")).unwrap_or_default();
                Some(format!("{code}_{voie}_{number:05}{suffix}"))
            })
            .map(|c| c.to_lowercase());
        let row = Row {
            line,
            id_toponyme: text(id_toponyme).and_then(|id| BanId::parse(&id).ok()),
            id_adresse: text(id_adresse).and_then(|id| BanId::parse(&id).ok()),
            cle_interop,
            voie_nom: voie,
            numero: number,
            suffixe,
            position,
            complement: text(nom_ld),
            commune_deleguee: text(ancienne),
            parcelles: text(parcelles).map(|p| p.split('|').map(str::to_owned).collect()).unwrap_or_default(),
            source: text(source_position),
            updated: None,
            certified: text(certification).is_some_and(|c| c == "1"),
        };
        rows.communes.entry(code).or_default().push(row);
    }
    Ok(rows)
}

/// `54084_0020_00018`, `54084_b7zu5x_00001_bis`: commune, street code, number, suffix.
fn looks_like_cle(id: &str) -> bool {
    let parts: Vec<&str> = id.split('_').collect();
    parts.len() >= 3
        && parts[0].len() == 5
        && parts[2].len() == 5
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_generations_of_exports() {
        let old = "id;nom_voie;id_fantoir;numero;rep;code_insee;code_post;alias;nom_ld;nom_afnor;libelle_acheminement;x;y;lon;lat;nom_commune\n\
                   ADRNIVX_0000000265767225;allée des acacias;0020;18;\"\";54084;54111;\"\";\"\";ALLEE DES ACACIAS;MONT BONVILLERS;905959;6917588.2;5.8330401618155;49.3246174823707;Mont-Bonvillers\n\
                   ADRNIVX_1;rue x;0021;12000;\"\";54084;54111;\"\";\"\";RUE X;MONT BONVILLERS;1;1;5.8;49.3;Mont-Bonvillers\n";
        let rows = read_legacy(old.as_bytes()).expect("readable");
        let commune = &rows.communes["54084"];
        assert_eq!(commune.len(), 1);
        assert_eq!(commune[0].cle_interop.as_deref(), Some("54084_0020_00018"));
        assert_eq!(commune[0].voie_nom, "allée des acacias");
        assert_eq!(commune[0].position.map(|p| p.1), Some([5.8330401618155, 49.3246174823707]));
        assert_eq!(rows.skipped.len(), 1);

        let new = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;lon;lat;type_position;certification_commune;id_ban_adresse\n\
                   54084_0200_00001_bis;54084_0200;1;bis;Rue Joffre;54111;54084;5.83;49.32;entrée;1;0ef3c4a2-5f4e-4b7c-9a55-6ad2f5a0b001\n";
        let rows = read_legacy(new.as_bytes()).expect("readable");
        let row = &rows.communes["54084"][0];
        assert_eq!(row.cle_interop.as_deref(), Some("54084_0200_00001_bis"));
        assert_eq!(row.suffixe.as_deref(), Some("bis"));
        assert_eq!(row.position.and_then(|p| p.0), Some(PositionType::Entree));
        assert!(row.certified && row.id_adresse.is_some());
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused() {
        let error = read_legacy("a;b\n1;2\n".as_bytes()).expect_err("no columns");
        assert!(matches!(error, LegacyError::MissingColumn("code_insee")));
    }
}
