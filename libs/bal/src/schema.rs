//! The BAL columns: their names, the format versions they belong to, and how their values
//! are read (trimmed, required, allowed in regional-language variants).

/// A BAL format version (a column set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    V1_1,
    V1_2,
    V1_3,
    V1_4,
    V1_5,
}

/// A set of format versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats(u8);

impl Formats {
    const fn bit(format: Format) -> u8 {
        match format {
            Format::V1_1 => 1,
            Format::V1_2 => 2,
            Format::V1_3 => 4,
            Format::V1_4 => 8,
            Format::V1_5 => 16,
        }
    }

    pub fn contains(self, format: Format) -> bool {
        self.0 & Self::bit(format) != 0
    }
}

const ALL: Formats = Formats(31);
const FROM_1_2: Formats = Formats(2 | 4 | 8 | 16);
const UP_TO_1_4: Formats = Formats(1 | 2 | 4 | 8);

/// A column of the BAL standard, in the order the standard lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    CleInterop,
    UidAdresse,
    IdBanCommune,
    IdBanToponyme,
    IdBanAdresse,
    VoieNom,
    Toponyme,
    LieuditComplementNom,
    Numero,
    Suffixe,
    CommuneInsee,
    CommuneNom,
    CommuneDelegueeInsee,
    CommuneDelegueeNom,
    Position,
    X,
    Y,
    Long,
    Lat,
    CadParcelles,
    Source,
    DateDerMaj,
    CertificationCommune,
}

impl Field {
    pub const ALL: [Field; 23] = [
        Field::CleInterop,
        Field::UidAdresse,
        Field::IdBanCommune,
        Field::IdBanToponyme,
        Field::IdBanAdresse,
        Field::VoieNom,
        Field::Toponyme,
        Field::LieuditComplementNom,
        Field::Numero,
        Field::Suffixe,
        Field::CommuneInsee,
        Field::CommuneNom,
        Field::CommuneDelegueeInsee,
        Field::CommuneDelegueeNom,
        Field::Position,
        Field::X,
        Field::Y,
        Field::Long,
        Field::Lat,
        Field::CadParcelles,
        Field::Source,
        Field::DateDerMaj,
        Field::CertificationCommune,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::CleInterop => "cle_interop",
            Field::UidAdresse => "uid_adresse",
            Field::IdBanCommune => "id_ban_commune",
            Field::IdBanToponyme => "id_ban_toponyme",
            Field::IdBanAdresse => "id_ban_adresse",
            Field::VoieNom => "voie_nom",
            Field::Toponyme => "toponyme",
            Field::LieuditComplementNom => "lieudit_complement_nom",
            Field::Numero => "numero",
            Field::Suffixe => "suffixe",
            Field::CommuneInsee => "commune_insee",
            Field::CommuneNom => "commune_nom",
            Field::CommuneDelegueeInsee => "commune_deleguee_insee",
            Field::CommuneDelegueeNom => "commune_deleguee_nom",
            Field::Position => "position",
            Field::X => "x",
            Field::Y => "y",
            Field::Long => "long",
            Field::Lat => "lat",
            Field::CadParcelles => "cad_parcelles",
            Field::Source => "source",
            Field::DateDerMaj => "date_der_maj",
            Field::CertificationCommune => "certification_commune",
        }
    }

    /// The field with exactly this column name (names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The format versions the column belongs to.
    pub fn formats(self) -> Formats {
        match self {
            Field::CleInterop | Field::VoieNom => UP_TO_1_4,
            Field::UidAdresse => Formats(1 | 2 | 4),
            Field::IdBanCommune | Field::IdBanToponyme | Field::IdBanAdresse => Formats(8 | 16),
            Field::Toponyme => Formats(16),
            Field::CertificationCommune => Formats(4 | 8 | 16),
            Field::LieuditComplementNom
            | Field::CommuneInsee
            | Field::CommuneDelegueeInsee
            | Field::CommuneDelegueeNom
            | Field::CadParcelles => FROM_1_2,
            Field::Numero
            | Field::Suffixe
            | Field::CommuneNom
            | Field::Position
            | Field::X
            | Field::Y
            | Field::Long
            | Field::Lat
            | Field::Source
            | Field::DateDerMaj => ALL,
        }
    }

    /// An empty value is an issue (`valeur_manquante`) for these columns.
    pub fn required(self) -> bool {
        matches!(
            self,
            Field::CleInterop
                | Field::Numero
                | Field::CommuneInsee
                | Field::CommuneNom
                | Field::Source
                | Field::DateDerMaj
        )
    }

    /// Names that may have regional-language variants (`voie_nom_bre`).
    pub fn allows_regional(self) -> bool {
        matches!(
            self,
            Field::VoieNom
                | Field::Toponyme
                | Field::LieuditComplementNom
                | Field::CommuneNom
                | Field::CommuneDelegueeNom
        )
    }
}

/// The regional-language codes accepted as column suffixes (shared-data 1.4.3).
pub const REGIONAL_LANGUAGES: [&str; 25] = [
    "fra",
    "bre",
    "eus",
    "gsw",
    "cos",
    "gcr",
    "gcf",
    "rcf",
    "swb",
    "oci",
    "cat",
    "pcd",
    "oc-provenc",
    "oc-nicard",
    "vls",
    "fr-gallo",
    "aji",
    "dhv",
    "nen",
    "pri",
    "ty",
    "mrq",
    "pmt",
    "mrv",
    "frp",
];

/// Splits a regional column name (`voie_nom_bre`) into its field and language, if it is one.
/// The first language in the list that ends the name decides, as in the reference.
pub fn split_localized(column: &str) -> Option<(Field, &'static str)> {
    let lang = REGIONAL_LANGUAGES.into_iter().find(|lang| {
        column.len() > lang.len()
            && column.ends_with(lang)
            && column.as_bytes()[column.len() - lang.len() - 1] == b'_'
    })?;
    let base = &column[..column.len() - lang.len() - 1];
    let field = Field::from_name(base)?;
    field.allows_regional().then_some((field, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(f));
        }
        assert_eq!(Field::from_name("Numero"), None);
    }

    #[test]
    fn regional_columns() {
        assert_eq!(split_localized("voie_nom_bre"), Some((Field::VoieNom, "bre")));
        assert_eq!(split_localized("commune_nom_oc-provenc"), Some((Field::CommuneNom, "oc-provenc")));
        assert_eq!(split_localized("numero_bre"), None);
        assert_eq!(split_localized("voie_nom_xyz"), None);
        assert_eq!(split_localized("_bre"), None);
    }
}
