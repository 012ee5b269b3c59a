//! Profiles: which level each issue code has for a BAL version, and which columns belong to
//! that version's format (issues on other columns are left out of its report).
use ban_domain::Level;
use serde::Serialize;

use crate::schema::{Field, Format};

/// A validation profile of the BAL standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Profile {
    #[serde(rename = "1.3")]
    V1_3,
    #[serde(rename = "1.4")]
    V1_4,
    #[serde(rename = "1.5")]
    V1_5,
    /// The lenient 1.3 variant some submitters were once allowed.
    #[serde(rename = "1.3-relax")]
    V1_3Relax,
}

impl Profile {
    pub const ALL: [Profile; 4] = [Profile::V1_3, Profile::V1_4, Profile::V1_5, Profile::V1_3Relax];

    pub fn name(self) -> &'static str {
        match self {
            Profile::V1_3 => "1.3",
            Profile::V1_4 => "1.4",
            Profile::V1_5 => "1.5",
            Profile::V1_3Relax => "1.3-relax",
        }
    }

    pub fn parse(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The column set the profile checks.
    pub fn format(self) -> Format {
        match self {
            Profile::V1_3 | Profile::V1_3Relax => Format::V1_3,
            Profile::V1_4 => Format::V1_4,
            Profile::V1_5 => Format::V1_5,
        }
    }

    fn column(self) -> usize {
        match self {
            Profile::V1_3 => 0,
            Profile::V1_4 => 1,
            Profile::V1_5 => 2,
            Profile::V1_3Relax => 3,
        }
    }

    /// The level of `code` in this profile; codes a profile does not list are infos.
    /// Regional-language codes (`voie_nom_bre.trop_court`) take the level of their
    /// generic form (`voie_nom_@@.trop_court`).
    pub fn level(self, code: &str) -> Level {
        let letters = levels(code).or_else(|| {
            let (column, error) = code.split_once('.')?;
            let (field, _lang) = crate::schema::split_localized(column)?;
            levels(&format!("{}_@@.{error}", field.name()))
        });
        match letters.map(|l| l[self.column()]) {
            Some(b'E') => Level::Error,
            Some(b'W') => Level::Warning,
            _ => Level::Info,
        }
    }

    /// Whether an issue on `column` (a raw column name; `None` for row and file codes)
    /// belongs in this profile's report.
    pub fn reports_column(self, column: Option<&str>) -> bool {
        match column.and_then(Field::from_name) {
            Some(field) => field.formats().contains(self.format()),
            None => true,
        }
    }

    /// Whether a code belongs in this profile's list of file codes: codes of a field
    /// (`numero.*`, `field.numero.missing`) only when the field is in the format.
    pub fn reports_code(self, code: &str) -> bool {
        let head = code.split('.').next().unwrap_or_default();
        let field = match head {
            "file" | "row" | "rows" => return true,
            "field" => code.split('.').nth(1).and_then(Field::from_name),
            // A regional column's codes follow its base field here (not in row lists).
            _ => Field::from_name(head).or_else(|| crate::schema::split_localized(head).map(|(f, _)| f)),
        };
        field.is_none_or(|f| f.formats().contains(self.format()))
    }
}

/// Levels in profiles 1.3, 1.4, 1.5 and 1.3-relax, for every code some profile lists as an
/// error or a warning (the BAL standard's profiles, validator 3.5.2).
fn levels(code: &str) -> Option<&'static [u8; 4]> {
    Some(match code {
        "cad_parcelles.espaces_debut_fin" => b"WWWW",
        "cad_parcelles.pipe_debut_fin" => b"WWWW",
        "cad_parcelles.valeur_invalide" => b"WWWW",
        "certification_commune.valeur_invalide" => b"WWWW",
        "cle_interop.casse_invalide" => b"EEEW",
        "cle_interop.commune_ancienne" => b"WWWW",
        "cle_interop.commune_invalide" => b"EEEE",
        "cle_interop.espaces_debut_fin" => b"WWWW",
        "cle_interop.numero_invalide" => b"EEEE",
        "cle_interop.numero_prefixe_manquant" => b"EEEW",
        "cle_interop.structure_invalide" => b"EEEE",
        "cle_interop.valeur_manquante" => b"EEEW",
        "cle_interop.voie_invalide" => b"WWWW",
        "commune_deleguee_insee.commune_invalide" => b"WWWW",
        "commune_deleguee_insee.commune_non_deleguee" => b"WWWW",
        "commune_deleguee_insee.espaces_debut_fin" => b"WWWW",
        "commune_deleguee_nom.espaces_debut_fin" => b"WWWW",
        "commune_insee.commune_ancienne" => b"WWWW",
        "commune_insee.commune_invalide" => b"EEEE",
        "commune_insee.espaces_debut_fin" => b"EEEW",
        "commune_insee.valeur_manquante" => b"EEEI",
        "commune_nom.espaces_debut_fin" => b"WWWW",
        "date_der_maj.date_ancienne" => b"WWWW",
        "date_der_maj.date_future" => b"WWWW",
        "date_der_maj.date_invalide" => b"EEEW",
        "date_der_maj.espaces_debut_fin" => b"WWWW",
        "date_der_maj.valeur_manquante" => b"WWWW",
        "field.certification_commune.missing" => b"WWWW",
        "field.cle_interop.missing" => b"WWWW",
        "field.commune_insee.missing" => b"EEEW",
        "field.date_der_maj.missing" => b"WWWW",
        "field.id_ban_adresse.missing" => b"IWEI",
        "field.id_ban_commune.missing" => b"IWEI",
        "field.id_ban_toponyme.missing" => b"IWEI",
        "field.lat.missing" => b"EEEW",
        "field.long.missing" => b"EEEW",
        "field.numero.missing" => b"EEEE",
        "field.position.missing" => b"WWWW",
        "field.source.missing" => b"WWWW",
        "field.suffixe.missing" => b"WWWW",
        "field.toponyme.missing" => b"IIEI",
        "field.voie_nom.missing" => b"EEIE",
        "field.x.missing" => b"WWWW",
        "field.y.missing" => b"WWWW",
        "file.delimiter.non_standard" => b"EEEI",
        "file.encoding.non_standard" => b"EEEI",
        "file.linebreak.non_standard" => b"EEEI",
        "id_ban_adresse.type_invalide" => b"IEEI",
        "id_ban_commune.type_invalide" => b"IEEI",
        "id_ban_toponyme.type_invalide" => b"IEEI",
        "lat.espaces_debut_fin" => b"WWWW",
        "lat.separateur_decimal_invalide" => b"EEEW",
        "lat.valeur_invalide" => b"EEEE",
        "lieudit_complement_nom.espaces_debut_fin" => b"WWWW",
        "lieudit_complement_nom_@@.espaces_debut_fin" => b"WWWW",
        "long.espaces_debut_fin" => b"WWWW",
        "long.separateur_decimal_invalide" => b"EEEW",
        "long.valeur_invalide" => b"EEEE",
        "numero.contient_prefixe" => b"EEEW",
        "numero.espaces_debut_fin" => b"WWWW",
        "numero.not_to_be_zero" => b"WWWI",
        "numero.trop_grand" => b"EEEE",
        "numero.type_invalide" => b"EEEE",
        "numero.valeur_manquante" => b"EEEE",
        "position.enum_fuzzy" => b"WWWW",
        "position.espaces_debut_fin" => b"WWWW",
        "position.valeur_invalide" => b"WWWW",
        "row.adresse_incomplete" => b"EEEE",
        "row.chef_lieu_invalide" => b"WWWW",
        "row.cog_no_match_id_ban_commune" => b"IEEI",
        "row.commune_manquante" => b"EEEE",
        "row.commune_nom_invalide" => b"WWWI",
        "row.different_adresse_with_same_id_ban_adresse" => b"IWWI",
        "row.different_id_ban_adresses_with_same_adresse" => b"IWWI",
        "row.different_id_ban_toponyme_with_same_voie_nom" => b"IWWI",
        "row.different_voie_nom_with_same_id_ban_toponyme" => b"IWWI",
        "row.incoherence_numero" => b"EEEE",
        "row.lack_of_id_ban" => b"IEEI",
        "row.lieudit_complement_nom_not_declared" => b"WWWI",
        "row.longlat_invalides" => b"EEEE",
        "row.longlat_vides" => b"EEEE",
        "row.longlat_xy_incoherents" => b"WWWW",
        "row.position_manquante" => b"WWWW",
        "row.voie_nom_have_same_lieudit_complement_nom" => b"WWWI",
        "rows.empty" => b"EEEE",
        "rows.every_line_required_id_ban" => b"IEEI",
        "rows.multi_id_ban_commune" => b"IEEI",
        "source.espaces_debut_fin" => b"WWWW",
        "source.valeur_manquante" => b"WWWW",
        "suffixe.caractere_invalide" => b"WWWW",
        "suffixe.debut_invalide" => b"EEEE",
        "suffixe.espaces_debut_fin" => b"EEEW",
        "suffixe.trop_long" => b"EEEE",
        "toponyme.caractere_invalide" => b"IIEI",
        "toponyme.casse_incorrecte" => b"IIWI",
        "toponyme.contient_tiret_bas" => b"IIWI",
        "toponyme.trop_court" => b"IIEI",
        "toponyme.trop_long" => b"IIEI",
        "toponyme.valeur_manquante" => b"IIEI",
        "toponyme_@@.caractere_invalide" => b"IIWI",
        "toponyme_@@.casse_incorrecte" => b"IIWI",
        "toponyme_@@.contient_tiret_bas" => b"IIWI",
        "toponyme_@@.trop_court" => b"IIWI",
        "toponyme_@@.trop_long" => b"IIWI",
        "uid_adresse.espaces_debut_fin" => b"WWWW",
        "uid_adresse.incoherence_ids_ban" => b"WWWW",
        "uid_adresse.type_invalide" => b"WEEW",
        "voie_nom.caractere_invalide" => b"EEEE",
        "voie_nom.casse_incorrecte" => b"WWWW",
        "voie_nom.contient_tiret_bas" => b"WWWW",
        "voie_nom.espaces_debut_fin" => b"WWWW",
        "voie_nom.trop_court" => b"EEEE",
        "voie_nom.trop_long" => b"EEEE",
        "voie_nom.valeur_manquante" => b"EEEE",
        "voie_nom_@@.caractere_invalide" => b"WWWW",
        "voie_nom_@@.casse_incorrecte" => b"WWWW",
        "voie_nom_@@.contient_tiret_bas" => b"WWWW",
        "voie_nom_@@.espaces_debut_fin" => b"WWWW",
        "voie_nom_@@.trop_court" => b"WWWW",
        "voie_nom_@@.trop_long" => b"WWWW",
        "x.espaces_debut_fin" => b"WWWW",
        "x.separateur_decimal_invalide" => b"EEEW",
        "x.valeur_invalide" => b"EEEE",
        "y.espaces_debut_fin" => b"WWWW",
        "y.separateur_decimal_invalide" => b"EEEW",
        "y.valeur_invalide" => b"EEEE",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_profiles() {
        assert_eq!(Profile::V1_3.level("numero.type_invalide"), Level::Error);
        assert_eq!(Profile::V1_3.level("id_ban_adresse.type_invalide"), Level::Info);
        assert_eq!(Profile::V1_4.level("id_ban_adresse.type_invalide"), Level::Error);
        assert_eq!(Profile::V1_5.level("field.voie_nom.missing"), Level::Info);
        assert_eq!(Profile::V1_3Relax.level("file.encoding.non_standard"), Level::Info);
        assert_eq!(Profile::V1_4.level("cle_interop.voie_non_renseignee"), Level::Info);
        assert_eq!(Profile::V1_4.level("no.such_code"), Level::Info);
    }

    #[test]
    fn regional_codes_take_the_generic_level() {
        assert_eq!(Profile::V1_4.level("voie_nom_bre.trop_court"), Level::Warning);
        assert_eq!(Profile::V1_5.level("toponyme_eus.trop_long"), Level::Warning);
        assert_eq!(Profile::V1_3.level("voie_nom_xx.trop_court"), Level::Info);
    }

    #[test]
    fn formats_filter_codes() {
        assert!(!Profile::V1_3.reports_code("id_ban_commune.type_invalide"));
        assert!(Profile::V1_4.reports_code("id_ban_commune.type_invalide"));
        assert!(!Profile::V1_5.reports_code("cle_interop.casse_invalide"));
        assert!(!Profile::V1_5.reports_code("field.cle_interop.missing"));
        assert!(Profile::V1_5.reports_code("row.adresse_incomplete"));
        assert!(Profile::V1_3.reports_code("voie_nom_bre.trop_court"));
        assert!(!Profile::V1_5.reports_code("voie_nom_bre.trop_court"));
        assert!(Profile::V1_5.reports_column(Some("voie_nom_bre")));
        assert!(!Profile::V1_5.reports_column(Some("voie_nom")));
    }
}
