//! French labels of issue codes, kept apart from the codes themselves.
//!
//! Labels are short sentences for a municipal clerk reading a report: they say what is wrong
//! in the file, not how the validator found it. Three kinds of codes get a label:
//!
//! * fixed codes (`numero.type_invalide`, `row.longlat_vides`, …), matched one by one;
//! * regional-language variants (`voie_nom_bre.trop_court`): the base field's label followed by
//!   ` [bre]`; the profile placeholder `voie_nom_@@.trop_court` gets ` [langue régionale]`;
//! * generic codes built from the field name: `<field>.espaces_debut_fin`,
//!   `<field>.valeur_manquante`, `<field>.valeur_invalide`, `<field>.caractere_invalide`,
//!   `field.<name>.missing` and `field.<name>.fuzzy`.
//!
//! Any other code is its own label.
use std::borrow::Cow;

use crate::schema::REGIONAL_LANGUAGES;

/// Fields that may have regional-language variants.
const REGIONAL_FIELDS: [&str; 5] =
    ["voie_nom", "toponyme", "lieudit_complement_nom", "commune_nom", "commune_deleguee_nom"];

/// Placeholder for "any regional language" used by the profiles (`voie_nom_@@.trop_court`).
const ANY_LANG: &str = "@@";

/// The French label of `code`, e.g. `numero.type_invalide`.
///
/// Regional-language variants (`voie_nom_bre.trop_court`) get the base field's label followed
/// by ` [bre]`. Generic codes (`<field>.espaces_debut_fin`, `<field>.valeur_manquante`,
/// `field.<name>.missing`, …) have labels built from the field name even when not listed.
/// Unknown codes return the code itself.
pub fn label(code: &str) -> Cow<'static, str> {
    if let Some(text) = fixed(code) {
        return Cow::Borrowed(text);
    }
    if let Some((base_code, lang)) = regional(code) {
        let base = fixed(&base_code).map(Cow::Borrowed).or_else(|| generic(&base_code).map(Cow::Owned));
        if let Some(base) = base {
            let lang = if lang == ANY_LANG { "langue régionale" } else { lang };
            return Cow::Owned(format!("{base} [{lang}]"));
        }
    }
    if let Some(text) = generic(code) {
        return Cow::Owned(text);
    }
    Cow::Owned(code.to_owned())
}

/// `voie_nom_bre.trop_court` → (`voie_nom.trop_court`, `bre`), when the field before the dot is
/// a field allowing regional languages followed by `_<lang>`.
fn regional(code: &str) -> Option<(String, &str)> {
    let (field, rest) = code.split_once('.')?;
    REGIONAL_LANGUAGES.iter().copied().chain(std::iter::once(ANY_LANG)).find_map(|lang| {
        let base = field.strip_suffix(lang)?.strip_suffix('_')?;
        REGIONAL_FIELDS.contains(&base).then(|| (format!("{base}.{rest}"), lang))
    })
}

/// Labels built from the field name, for codes every field (or column) may raise.
fn generic(code: &str) -> Option<String> {
    let parts: Vec<&str> = code.split('.').collect();
    match parts.as_slice() {
        ["field", name, "missing"] if is_name(name) => Some(format!("La colonne {name} est absente")),
        ["field", name, "fuzzy"] if is_name(name) => {
            Some(format!("La colonne {name} a été reconnue malgré un nom d’en-tête mal orthographié"))
        }
        [field, error] if is_name(field) && !matches!(*field, "field" | "file" | "row" | "rows") => {
            match *error {
                "espaces_debut_fin" => {
                    Some(format!("La valeur du champ {field} ne doit pas commencer ni finir par des espaces"))
                }
                "valeur_manquante" => Some(format!("Le champ {field} doit être renseigné")),
                "valeur_invalide" => Some(format!("La valeur du champ {field} n’est pas valide")),
                "caractere_invalide" => Some(format!("Le champ {field} contient un caractère non valide")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A plausible field or column name: non-empty, no blanks.
fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_whitespace)
}

/// Labels of the codes listed one by one.
fn fixed(code: &str) -> Option<&'static str> {
    let text = match code {
        // cad_parcelles
        "cad_parcelles.pipe_debut_fin" => {
            "La liste des parcelles ne doit ni commencer ni finir par le symbole |"
        }
        "cad_parcelles.valeur_invalide" => {
            "Chaque parcelle cadastrale doit avoir un identifiant de 14 ou 15 caractères, les parcelles étant séparées par |"
        }
        // certification_commune
        "certification_commune.valeur_invalide" => {
            "La certification doit valoir 1 (adresse certifiée) ou 0 (non certifiée)"
        }
        // cle_interop
        "cle_interop.casse_invalide" => "La clé d’interopérabilité doit être écrite en minuscules",
        "cle_interop.commune_ancienne" => {
            "La clé d’interopérabilité commence par le code INSEE d’une commune ancienne"
        }
        "cle_interop.commune_invalide" => {
            "La clé d’interopérabilité ne commence pas par un code INSEE de commune existant"
        }
        "cle_interop.numero_invalide" => {
            "La partie numéro de la clé d’interopérabilité ne doit contenir que des chiffres"
        }
        "cle_interop.numero_prefixe_manquant" => {
            "La partie numéro de la clé d’interopérabilité doit compter 5 chiffres, complétés par des zéros devant"
        }
        "cle_interop.structure_invalide" => {
            "La clé d’interopérabilité doit compter au moins 3 parties non vides séparées par _"
        }
        "cle_interop.valeur_manquante" => "La clé d’interopérabilité doit être renseignée",
        "cle_interop.voie_invalide" => {
            "La partie voie de la clé d’interopérabilité doit compter 4 caractères"
        }
        "cle_interop.voie_non_renseignee" => {
            "La partie voie de la clé d’interopérabilité n’est pas renseignée (0000 ou xxxx)"
        }
        // commune_deleguee_insee
        "commune_deleguee_insee.commune_invalide" => {
            "Le code INSEE de la commune déléguée n’existe pas"
        }
        "commune_deleguee_insee.commune_non_deleguee" => {
            "Le code INSEE indiqué n’est pas celui d’une commune déléguée"
        }
        // commune_insee
        "commune_insee.commune_ancienne" => {
            "Le code INSEE est celui d’une commune ancienne, fusionnée depuis dans une autre"
        }
        "commune_insee.commune_invalide" => "Le code INSEE de la commune n’existe pas",
        "commune_insee.valeur_manquante" => "Le code INSEE de la commune doit être renseigné",
        // commune_nom
        "commune_nom.casse_incorrecte" => {
            "Le nom de la commune ne doit pas être écrit tout en majuscules ni tout en minuscules"
        }
        "commune_nom.valeur_manquante" => "Le nom de la commune doit être renseigné",
        // date_der_maj
        "date_der_maj.date_ancienne" => "La date de mise à jour est antérieure à 2010",
        "date_der_maj.date_future" => "La date de mise à jour est dans le futur",
        "date_der_maj.date_invalide" => {
            "La date de mise à jour doit être une date existante au format AAAA-MM-JJ"
        }
        "date_der_maj.valeur_manquante" => "La date de mise à jour doit être renseignée",
        // file
        "file.delimiter.non_standard" => "Les colonnes doivent être séparées par des points-virgules",
        "file.encoding.non_standard" => "Le fichier doit être enregistré en UTF-8",
        "file.linebreak.non_standard" => {
            "Les fins de ligne du fichier ne sont pas standard (retour chariot seul)"
        }
        // id_ban_*
        "id_ban_adresse.type_invalide" => {
            "L’identifiant BAN de l’adresse doit être un UUID version 4"
        }
        "id_ban_commune.type_invalide" => {
            "L’identifiant BAN de la commune doit être un UUID version 4"
        }
        "id_ban_toponyme.type_invalide" => {
            "L’identifiant BAN de la voie ou du lieu-dit doit être un UUID version 4"
        }
        // coordinates
        "lat.separateur_decimal_invalide" => {
            "La latitude doit utiliser le point comme séparateur décimal, pas la virgule"
        }
        "lat.valeur_invalide" => "La latitude doit être un nombre décimal",
        "long.separateur_decimal_invalide" => {
            "La longitude doit utiliser le point comme séparateur décimal, pas la virgule"
        }
        "long.valeur_invalide" => "La longitude doit être un nombre décimal",
        "x.separateur_decimal_invalide" => {
            "La coordonnée x doit utiliser le point comme séparateur décimal, pas la virgule"
        }
        "x.valeur_invalide" => "La coordonnée x doit être un nombre décimal",
        "y.separateur_decimal_invalide" => {
            "La coordonnée y doit utiliser le point comme séparateur décimal, pas la virgule"
        }
        "y.valeur_invalide" => "La coordonnée y doit être un nombre décimal",
        // numero
        "numero.contient_prefixe" => "Le numéro ne doit pas commencer par des zéros",
        "numero.not_to_be_zero" => "Le numéro ne doit pas valoir 0",
        "numero.trop_grand" => "Le numéro ne doit pas dépasser 99999",
        "numero.type_invalide" => "Le numéro doit être un nombre entier, écrit seulement avec des chiffres",
        "numero.valeur_manquante" => "Le numéro doit être renseigné",
        // position
        "position.enum_fuzzy" => {
            "Le type de position est reconnu mais n’est pas écrit exactement comme prévu"
        }
        "position.valeur_invalide" => {
            "Le type de position doit être entrée, bâtiment, cage d’escalier, logement, service technique, délivrance postale, parcelle ou segment"
        }
        // row
        "row.adresse_incomplete" => {
            "L’adresse est incomplète : le numéro ou le nom de la voie manque"
        }
        "row.chef_lieu_invalide" => {
            "La commune déléguée n’appartient pas à la commune indiquée dans commune_insee"
        }
        "row.cog_no_match_id_ban_commune" => {
            "L’identifiant BAN de la commune ne correspond pas à son code INSEE"
        }
        "row.commune_manquante" => "Aucun code INSEE de commune valide n’est indiqué sur la ligne",
        "row.commune_nom_invalide" => {
            "Le nom de la commune ne correspond pas à son nom officiel"
        }
        "row.different_adresse_with_same_id_ban_adresse" => {
            "Un même identifiant BAN d’adresse est utilisé pour des adresses différentes"
        }
        "row.different_id_ban_adresses_with_same_adresse" => {
            "Une même adresse porte plusieurs identifiants BAN d’adresse"
        }
        "row.different_id_ban_toponyme_with_same_voie_nom" => {
            "Une même voie porte plusieurs identifiants BAN de voie"
        }
        "row.different_voie_nom_with_same_id_ban_toponyme" => {
            "Un même identifiant BAN de voie est utilisé pour des voies différentes"
        }
        "row.incoherence_numero" => {
            "Le numéro ne correspond pas à celui de la clé d’interopérabilité"
        }
        "row.lack_of_id_ban" => {
            "Il manque des identifiants BAN sur la ligne (commune, voie ou adresse)"
        }
        "row.lieudit_complement_nom_not_declared" => {
            "Le lieu-dit complémentaire n’est déclaré sur aucune ligne de numéro 99999"
        }
        "row.longlat_invalides" => {
            "Les coordonnées long/lat ne sont pas valides ou tombent hors du territoire"
        }
        "row.longlat_vides" => "Les coordonnées long et lat doivent être renseignées",
        "row.longlat_xy_incoherents" => {
            "Les coordonnées x/y ne correspondent pas aux coordonnées long/lat"
        }
        "row.position_manquante" => "Le type de position doit être renseigné",
        "row.voie_nom_have_same_lieudit_complement_nom" => {
            "Le nom de la voie et le lieu-dit complémentaire sont identiques"
        }
        // rows
        "rows.empty" => "Le fichier ne contient aucune ligne d’adresse",
        "rows.every_line_required_id_ban" => {
            "Dès que des identifiants BAN sont utilisés, toutes les lignes doivent en avoir"
        }
        "rows.multi_id_ban_commune" => {
            "Le fichier contient plusieurs identifiants BAN de commune différents"
        }
        // suffixe
        "suffixe.caractere_invalide" => {
            "Le suffixe ne doit contenir que des lettres, des chiffres et des espaces"
        }
        "suffixe.debut_invalide" => "Le suffixe doit commencer par une lettre ou un chiffre",
        "suffixe.trop_long" => "Le suffixe ne doit pas dépasser 9 caractères",
        // toponyme
        "toponyme.caractere_invalide" => {
            "Le nom de la voie ou du lieu-dit contient un caractère illisible (problème d’encodage)"
        }
        "toponyme.casse_incorrecte" => {
            "Le nom de la voie ou du lieu-dit ne doit pas être écrit tout en majuscules"
        }
        "toponyme.contient_tiret_bas" => {
            "Le nom de la voie ou du lieu-dit ne doit pas contenir de tiret bas (_)"
        }
        "toponyme.trop_court" => {
            "Le nom de la voie ou du lieu-dit doit compter au moins 3 caractères"
        }
        "toponyme.trop_long" => {
            "Le nom de la voie ou du lieu-dit ne doit pas dépasser 200 caractères"
        }
        "toponyme.valeur_manquante" => "Le nom de la voie ou du lieu-dit doit être renseigné",
        // uid_adresse
        "uid_adresse.incoherence_ids_ban" => {
            "Les identifiants BAN de uid_adresse ne correspondent pas aux colonnes id_ban_*"
        }
        "uid_adresse.type_invalide" => {
            "Les identifiants BAN de uid_adresse doivent être des UUID version 4"
        }
        // voie_nom
        "voie_nom.caractere_invalide" => {
            "Le nom de la voie contient un caractère illisible (problème d’encodage)"
        }
        "voie_nom.casse_incorrecte" => {
            "Le nom de la voie ne doit pas être écrit tout en majuscules"
        }
        "voie_nom.contient_tiret_bas" => "Le nom de la voie ne doit pas contenir de tiret bas (_)",
        "voie_nom.trop_court" => "Le nom de la voie doit compter au moins 3 caractères",
        "voie_nom.trop_long" => "Le nom de la voie ne doit pas dépasser 200 caractères",
        "voie_nom.valeur_manquante" => "Le nom de la voie doit être renseigné",
        // api-depot
        "commune_insee.valeur_inattendue" => {
            "La commune du fichier n’est pas celle pour laquelle il est publié (un fichier ne concerne qu’une commune)"
        }
        "commune_insee.out_of_perimeter" => {
            "La commune est hors du périmètre de l’organisme qui publie"
        }
        "rows.delete_too_many_addresses" => {
            "Le fichier supprimerait plus de 80 % des adresses déjà publiées"
        }
        "rows.delete_many_addresses" => {
            "Le fichier supprimerait plus de 20 % des adresses déjà publiées"
        }
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code of the table "Every issue code" (BAN-DOMAIN.md §1.12).
    const TABLE_CODES: &[&str] = &[
        "cad_parcelles.espaces_debut_fin",
        "cad_parcelles.pipe_debut_fin",
        "cad_parcelles.valeur_invalide",
        "certification_commune.espaces_debut_fin",
        "certification_commune.valeur_invalide",
        "cle_interop.casse_invalide",
        "cle_interop.commune_ancienne",
        "cle_interop.commune_invalide",
        "cle_interop.espaces_debut_fin",
        "cle_interop.numero_invalide",
        "cle_interop.numero_prefixe_manquant",
        "cle_interop.structure_invalide",
        "cle_interop.valeur_manquante",
        "cle_interop.voie_invalide",
        "cle_interop.voie_non_renseignee",
        "commune_deleguee_insee.commune_invalide",
        "commune_deleguee_insee.commune_non_deleguee",
        "commune_deleguee_insee.espaces_debut_fin",
        "commune_deleguee_nom.espaces_debut_fin",
        "commune_insee.commune_ancienne",
        "commune_insee.commune_invalide",
        "commune_insee.espaces_debut_fin",
        "commune_insee.valeur_manquante",
        "commune_nom.casse_incorrecte",
        "commune_nom.espaces_debut_fin",
        "commune_nom.valeur_manquante",
        "date_der_maj.date_ancienne",
        "date_der_maj.date_future",
        "date_der_maj.date_invalide",
        "date_der_maj.espaces_debut_fin",
        "date_der_maj.valeur_manquante",
        "field.cad_parcelles.missing",
        "field.certification_commune.missing",
        "field.cle_interop.missing",
        "field.commune_deleguee_insee.missing",
        "field.commune_deleguee_nom.missing",
        "field.commune_insee.missing",
        "field.commune_nom.missing",
        "field.date_der_maj.missing",
        "field.id_ban_adresse.missing",
        "field.id_ban_commune.missing",
        "field.id_ban_toponyme.missing",
        "field.lat.missing",
        "field.lieudit_complement_nom.missing",
        "field.long.missing",
        "field.numero.missing",
        "field.position.missing",
        "field.source.missing",
        "field.suffixe.missing",
        "field.toponyme.missing",
        "field.uid_adresse.missing",
        "field.voie_nom.missing",
        "field.x.missing",
        "field.y.missing",
        "file.delimiter.non_standard",
        "file.encoding.non_standard",
        "file.linebreak.non_standard",
        "id_ban_adresse.espaces_debut_fin",
        "id_ban_adresse.type_invalide",
        "id_ban_commune.type_invalide",
        "id_ban_toponyme.type_invalide",
        "lat.espaces_debut_fin",
        "lat.separateur_decimal_invalide",
        "lat.valeur_invalide",
        "lieudit_complement_nom.espaces_debut_fin",
        "lieudit_complement_nom_@@.espaces_debut_fin",
        "long.espaces_debut_fin",
        "long.separateur_decimal_invalide",
        "long.valeur_invalide",
        "numero.contient_prefixe",
        "numero.espaces_debut_fin",
        "numero.not_to_be_zero",
        "numero.trop_grand",
        "numero.type_invalide",
        "numero.valeur_manquante",
        "position.enum_fuzzy",
        "position.espaces_debut_fin",
        "position.valeur_invalide",
        "row.adresse_incomplete",
        "row.chef_lieu_invalide",
        "row.cog_no_match_id_ban_commune",
        "row.commune_manquante",
        "row.commune_nom_invalide",
        "row.different_adresse_with_same_id_ban_adresse",
        "row.different_id_ban_adresses_with_same_adresse",
        "row.different_id_ban_toponyme_with_same_voie_nom",
        "row.different_voie_nom_with_same_id_ban_toponyme",
        "row.incoherence_numero",
        "row.lack_of_id_ban",
        "row.lieudit_complement_nom_not_declared",
        "row.longlat_invalides",
        "row.longlat_vides",
        "row.longlat_xy_incoherents",
        "row.position_manquante",
        "row.voie_nom_have_same_lieudit_complement_nom",
        "rows.empty",
        "rows.every_line_required_id_ban",
        "rows.multi_id_ban_commune",
        "source.espaces_debut_fin",
        "source.valeur_manquante",
        "suffixe.caractere_invalide",
        "suffixe.debut_invalide",
        "suffixe.espaces_debut_fin",
        "suffixe.trop_long",
        "toponyme.caractere_invalide",
        "toponyme.casse_incorrecte",
        "toponyme.contient_tiret_bas",
        "toponyme.espaces_debut_fin",
        "toponyme.trop_court",
        "toponyme.trop_long",
        "toponyme.valeur_manquante",
        "toponyme_@@.caractere_invalide",
        "toponyme_@@.casse_incorrecte",
        "toponyme_@@.contient_tiret_bas",
        "toponyme_@@.trop_court",
        "toponyme_@@.trop_long",
        "uid_adresse.espaces_debut_fin",
        "uid_adresse.incoherence_ids_ban",
        "uid_adresse.type_invalide",
        "voie_nom.caractere_invalide",
        "voie_nom.casse_incorrecte",
        "voie_nom.contient_tiret_bas",
        "voie_nom.espaces_debut_fin",
        "voie_nom.trop_court",
        "voie_nom.trop_long",
        "voie_nom.valeur_manquante",
        "voie_nom_@@.caractere_invalide",
        "voie_nom_@@.casse_incorrecte",
        "voie_nom_@@.contient_tiret_bas",
        "voie_nom_@@.espaces_debut_fin",
        "voie_nom_@@.trop_court",
        "voie_nom_@@.trop_long",
        "x.espaces_debut_fin",
        "x.separateur_decimal_invalide",
        "x.valeur_invalide",
        "y.espaces_debut_fin",
        "y.separateur_decimal_invalide",
        "y.valeur_invalide",
    ];

    /// The api-depot codes (BAN-DOMAIN.md §1.8).
    const DEPOT_CODES: &[&str] = &[
        "commune_insee.valeur_inattendue",
        "commune_insee.out_of_perimeter",
        "rows.delete_too_many_addresses",
        "rows.delete_many_addresses",
    ];

    #[test]
    fn fixed_code() {
        assert_eq!(label("numero.contient_prefixe"), "Le numéro ne doit pas commencer par des zéros");
        assert!(matches!(label("rows.empty"), Cow::Borrowed(_)));
    }

    #[test]
    fn regional_code() {
        assert_eq!(
            label("voie_nom_bre.trop_court"),
            "Le nom de la voie doit compter au moins 3 caractères [bre]"
        );
        assert_eq!(
            label("toponyme_oc-provenc.contient_tiret_bas"),
            format!("{} [oc-provenc]", label("toponyme.contient_tiret_bas"))
        );
        assert_eq!(
            label("lieudit_complement_nom_eus.espaces_debut_fin"),
            format!("{} [eus]", label("lieudit_complement_nom.espaces_debut_fin"))
        );
        // Not a regional language, or a field without regional variants.
        for (input, expected) in [
            ("voie_nom_xyz.trop_court", "voie_nom_xyz.trop_court"),
            ("numero_bre.type_invalide", "numero_bre.type_invalide"),
            // Regional variant of an unknown code.
            ("voie_nom_bre.inconnu", "voie_nom_bre.inconnu"),
        ] {
            assert_eq!(label(input), expected, "{input}");
        }
    }

    #[test]
    fn every_language_is_recognised() {
        for lang in REGIONAL_LANGUAGES {
            let code = format!("voie_nom_{lang}.casse_incorrecte");
            assert_eq!(label(&code), format!("{} [{lang}]", label("voie_nom.casse_incorrecte")), "{code}");
        }
    }

    #[test]
    fn missing_column_code() {
        for column in ["numero", "colonne_inventee"] {
            assert_eq!(label(&format!("field.{column}.missing")), format!("La colonne {column} est absente"));
        }
        assert_ne!(label("field.voie_nom.fuzzy"), "field.voie_nom.fuzzy");
    }

    #[test]
    fn generic_codes() {
        assert_eq!(label("source.valeur_manquante"), "Le champ source doit être renseigné");
        assert!(label("numero.espaces_debut_fin").contains("numero"));
        assert!(label("nouvelle_colonne.espaces_debut_fin").contains("nouvelle_colonne"));
    }

    #[test]
    fn unknown_code() {
        for (input, expected) in [
            ("numero.inconnu", "numero.inconnu"),
            ("row.inconnu", "row.inconnu"),
            ("row.valeur_manquante", "row.valeur_manquante"),
            ("field..missing", "field..missing"),
            ("", ""),
        ] {
            assert_eq!(label(input), expected, "{input}");
        }
    }

    #[test]
    fn every_listed_code_has_a_label() {
        for code in TABLE_CODES.iter().chain(DEPOT_CODES) {
            let text = label(code);
            assert_ne!(text, *code, "no label for {code}");
            assert!(!text.trim().is_empty(), "empty label for {code}");
            if let Some(prefix) = code.split_once('.').map(|(f, _)| f) {
                if prefix.ends_with("_@@") {
                    assert!(text.ends_with(" [langue régionale]"), "{code}: {text}");
                    for lang in REGIONAL_LANGUAGES {
                        let real = code.replace("@@", lang);
                        assert!(label(&real).ends_with(&format!(" [{lang}]")), "{real}");
                    }
                }
            }
        }
    }

    #[test]
    fn labels_do_not_repeat_across_fields() {
        // A label names what is wrong precisely enough to tell codes of one field apart.
        let mut seen = std::collections::HashMap::new();
        for code in TABLE_CODES.iter().chain(DEPOT_CODES) {
            if code.contains("@@") {
                continue;
            }
            if let Some(other) = seen.insert(label(code), *code) {
                panic!("{code} and {other} share a label");
            }
        }
    }
}
