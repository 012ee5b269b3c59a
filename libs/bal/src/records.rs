//! Reading a BAL's rows as typed records, for consolidation: each value read by the same
//! rules as validation (trimmed, parsed; a value the rules drop is absent), so that a file the
//! validator accepted reads the way it was judged.
use ban_domain::{BanId, PositionType};

use crate::fields::{read_value_into, today_utc, Findings, Value};
use crate::read::{self, RawRow, Refusal, Source};
use crate::schema::Field;
use crate::Cog;

/// One data row of a BAL, typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BalRecord {
    /// 1-based line of the file where the row starts.
    pub line: u32,
    pub id_ban_commune: Option<BanId>,
    pub id_ban_toponyme: Option<BanId>,
    pub id_ban_adresse: Option<BanId>,
    pub cle_interop: Option<String>,
    pub commune_insee: Option<String>,
    pub commune_nom: Option<String>,
    pub commune_deleguee_insee: Option<String>,
    pub commune_deleguee_nom: Option<String>,
    /// `voie_nom`, else `toponyme`.
    pub voie_nom: Option<String>,
    pub lieudit_complement_nom: Option<String>,
    pub numero: Option<u32>,
    pub suffixe: Option<String>,
    pub position: Option<PositionType>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub long: Option<f64>,
    pub lat: Option<f64>,
    pub cad_parcelles: Vec<String>,
    pub source: Option<String>,
    /// ISO date.
    pub date_der_maj: Option<String>,
    pub certification_commune: Option<bool>,
}

/// Reads every data row of a BAL file. `Err` only when it cannot be read as text.
pub fn read_records(source: &(impl Source + ?Sized)) -> Result<Vec<BalRecord>, Refusal> {
    let dialect = read::detect(source)?;
    if dialect.delimiter.is_none() {
        return Ok(Vec::new());
    }
    let mut tokenizer = read::tokenize(source, &dialect)?;
    let mut raw = RawRow::default();
    let mut columns: Vec<(usize, Field)> = Vec::new();
    let mut width = 0;
    while tokenizer.next_row(&mut raw)? {
        if raw.is_blank() {
            continue;
        }
        let names: Vec<String> = raw
            .fields()
            .map(|f| dialect.encoding.decode(f).trim_start_matches('\u{feff}').to_owned())
            .collect();
        width = names.len();
        // For a repeated name, the last column wins, as in validation.
        for field in Field::ALL {
            if let Some(i) = names.iter().rposition(|n| n == field.name()) {
                columns.push((i, field));
            }
        }
        break;
    }
    let (cog, today) = (Cog::get(), today_utc());
    let mut records = Vec::new();
    let mut findings = Findings::default();
    while tokenizer.next_row(&mut raw)? {
        if raw.is_blank() || raw.len() != width {
            continue;
        }
        let mut record = BalRecord { line: raw.line as u32, ..BalRecord::default() };
        let mut toponyme = None;
        for &(i, field) in &columns {
            let text = dialect.encoding.decode(raw.field(i));
            findings.clear();
            let Some(value) = read_value_into(field, &text, false, cog, today, &mut findings) else {
                continue;
            };
            let text_of = |v: &Value| match v {
                Value::Text(t) => Some(t.to_string()),
                _ => None,
            };
            match (field, &value) {
                (Field::IdBanCommune, Value::Id(_, id)) => record.id_ban_commune = Some(*id),
                (Field::IdBanToponyme, Value::Id(_, id)) => record.id_ban_toponyme = Some(*id),
                (Field::IdBanAdresse, Value::Id(_, id)) => record.id_ban_adresse = Some(*id),
                (Field::UidAdresse, Value::Uid(uid)) => {
                    let parse = |s: Option<&str>| s.and_then(|s| BanId::parse(s).ok());
                    record.id_ban_commune = record.id_ban_commune.or(parse(uid.commune));
                    record.id_ban_toponyme = record.id_ban_toponyme.or(parse(uid.toponyme));
                    record.id_ban_adresse = record.id_ban_adresse.or(parse(uid.adresse));
                }
                (Field::CleInterop, Value::Cle(_)) => record.cle_interop = Some(text.trim().to_owned()),
                (Field::CommuneInsee, v) => record.commune_insee = text_of(v),
                (Field::CommuneNom, v) => record.commune_nom = text_of(v),
                (Field::CommuneDelegueeInsee, v) => record.commune_deleguee_insee = text_of(v),
                (Field::CommuneDelegueeNom, v) => record.commune_deleguee_nom = text_of(v),
                (Field::VoieNom, v) => record.voie_nom = text_of(v),
                (Field::Toponyme, v) => toponyme = text_of(v),
                (Field::LieuditComplementNom, v) => record.lieudit_complement_nom = text_of(v),
                (Field::Numero, Value::Numero(n)) => record.numero = Some(*n),
                (Field::Suffixe, v) => record.suffixe = text_of(v),
                (Field::Position, Value::Position(p)) => record.position = Some(*p),
                (Field::X, Value::Number(n)) => record.x = Some(*n),
                (Field::Y, Value::Number(n)) => record.y = Some(*n),
                (Field::Long, Value::Number(n)) => record.long = Some(*n),
                (Field::Lat, Value::Number(n)) => record.lat = Some(*n),
                (Field::CadParcelles, Value::Parcelles(_)) => {
                    record.cad_parcelles =
                        text.trim().trim_matches('|').split('|').map(str::to_owned).collect();
                }
                (Field::Source, v) => record.source = text_of(v),
                (Field::DateDerMaj, _) => record.date_der_maj = Some(text.trim().to_owned()),
                (Field::CertificationCommune, Value::Bool(b)) => record.certification_commune = Some(*b),
                _ => {}
            }
        }
        record.voie_nom = record.voie_nom.or(toponyme);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_rows() {
        let csv = "\u{feff}id_ban_commune;id_ban_toponyme;id_ban_adresse;cle_interop;commune_insee;commune_nom;voie_nom;numero;suffixe;position;long;lat;x;y;cad_parcelles;source;date_der_maj;certification_commune\n\
            329d6486-7de7-46ed-bedd-d13152533891;40406978-6029-4dd8-a3da-f3274cee7f58;629d6150-7c32-4413-b600-1763270cabd7;02148_0005_00001;02148;Celles-sur-Aisne; Rue Saint-Georges ;1;b;entrée;3.459254;49.406079;733341.55;6923052.65;02148000HH1189|02148000HH1010;Commune;2023-11-28;1\n\
            \n\
            ;;;02148_0005_00002;02148;Celles-sur-Aisne;Rue Saint-Georges;pas un numéro;;;;;;;;;;\n";
        let records = read_records(csv.as_bytes()).expect("a readable file");
        assert_eq!(records.len(), 2);
        let first = &records[0];
        assert_eq!(first.line, 2);
        assert_eq!(
            first.id_ban_adresse.map(|id| id.to_string()).as_deref(),
            Some("629d6150-7c32-4413-b600-1763270cabd7")
        );
        assert_eq!(first.voie_nom.as_deref(), Some("Rue Saint-Georges"));
        assert_eq!((first.numero, first.suffixe.as_deref()), (Some(1), Some("b")));
        assert_eq!(first.position, Some(PositionType::Entree));
        assert_eq!((first.long, first.lat), (Some(3.459254), Some(49.406079)));
        assert_eq!(first.cad_parcelles, vec!["02148000HH1189", "02148000HH1010"]);
        assert_eq!(
            (first.date_der_maj.as_deref(), first.certification_commune),
            (Some("2023-11-28"), Some(true))
        );
        let second = &records[1];
        assert_eq!((second.line, second.numero, second.id_ban_adresse), (4, None, None));
    }
}
