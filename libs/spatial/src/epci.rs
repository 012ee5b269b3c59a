//! The EPCI (établissements publics de coopération intercommunale: communautés de communes,
//! d'agglomération, urbaines, métropoles) of the COG 2026 and their member communes, for the
//! depot's `epci` perimeters: a chef de file whose perimeter names an EPCI by its SIREN publishes
//! for its members. Embedded (`data/territories/epci-2026.csv`, built by `build_epci.py` from
//! `@etalab/decoupage-administratif` 6.0.0), indexed once on first use.
//!
//! Paris, Lyon and Marseille are members as cities (75056, 69123, 13055), as the source lists
//! them; [`Epcis::contains`] counts their municipal arrondissements in.
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

const EMBEDDED: &str = include_str!("../../../data/territories/epci-2026.csv");

/// One EPCI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epci<'a> {
    /// Its SIREN (9 digits), the code of an `epci` perimeter.
    pub siren: &'a str,
    pub nom: &'a str,
    /// INSEE codes of its member communes, sorted.
    pub communes: Vec<&'a str>,
}

impl Epci<'_> {
    /// Whether `commune` (an INSEE code) is a member, or an arrondissement of a member city.
    pub fn contains(&self, commune: &str) -> bool {
        let member = |code: &str| self.communes.binary_search(&code).is_ok();
        member(commune) || city_of(commune).is_some_and(member)
    }
}

/// The EPCI, by SIREN, and the EPCI of each commune (a commune belongs to one at most).
#[derive(Debug, Default)]
pub struct Epcis<'a> {
    by_siren: FxHashMap<&'a str, Epci<'a>>,
    by_commune: FxHashMap<&'a str, &'a str>,
}

impl Epcis<'static> {
    /// The embedded table (COG 2026).
    pub fn national() -> &'static Epcis<'static> {
        static EPCIS: OnceLock<Epcis<'static>> = OnceLock::new();
        EPCIS.get_or_init(|| Epcis::parse(EMBEDDED))
    }
}

impl<'a> Epcis<'a> {
    /// Indexes a `siren;nom;communes` table (communes `|`-separated, no quoting).
    pub fn parse(text: &'a str) -> Epcis<'a> {
        let mut epcis = Epcis::default();
        for line in text.lines().skip(1) {
            let mut cells = line.splitn(3, ';');
            let (Some(siren), Some(nom), Some(members)) = (cells.next(), cells.next(), cells.next()) else {
                continue;
            };
            let mut communes: Vec<&str> = members.split('|').filter(|c| !c.is_empty()).collect();
            communes.sort_unstable();
            for commune in &communes {
                epcis.by_commune.insert(commune, siren);
            }
            epcis.by_siren.insert(siren, Epci { siren, nom, communes });
        }
        epcis
    }

    /// The EPCI of this SIREN.
    pub fn get(&self, siren: &str) -> Option<&Epci<'a>> {
        self.by_siren.get(siren)
    }

    /// Whether `commune` belongs to the EPCI `siren` (false for an unknown SIREN).
    pub fn contains(&self, siren: &str, commune: &str) -> bool {
        self.get(siren).is_some_and(|epci| epci.contains(commune))
    }

    /// The EPCI `commune` (or its city, for an arrondissement) belongs to.
    pub fn of_commune(&self, commune: &str) -> Option<&Epci<'a>> {
        let siren = self.by_commune.get(commune).or_else(|| self.by_commune.get(city_of(commune)?))?;
        self.get(siren)
    }

    pub fn len(&self) -> usize {
        self.by_siren.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_siren.is_empty()
    }
}

/// The city of a municipal arrondissement of Paris, Lyon or Marseille.
pub fn city_of(commune: &str) -> Option<&'static str> {
    let number: u32 = commune.parse().ok().filter(|_| commune.len() == 5)?;
    match number {
        75101..=75120 => Some("75056"),
        69381..=69389 => Some("69123"),
        13201..=13216 => Some("13055"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_knows_the_epci_of_the_samples() {
        let epcis = Epcis::national();
        assert_eq!(epcis.len(), 1255);
        let pays_haut = epcis.of_commune("54084").expect("Mont-Bonvillers has an EPCI");
        assert_eq!((pays_haut.siren, pays_haut.nom), ("200070290", "CC Coeur du Pays Haut"));
        assert!(epcis.contains("200070290", "54084"));
        assert!(!epcis.contains("200070290", "67482"));
        let strasbourg = epcis.of_commune("67482").expect("Strasbourg has an EPCI");
        assert_eq!((strasbourg.siren, strasbourg.nom), ("246700488", "Eurométropole de Strasbourg"));
        assert_eq!(strasbourg.communes.len(), 33);
        assert!(!epcis.contains("246700488", "54084"));
        assert!(!epcis.contains("999999999", "54084"));
    }

    #[test]
    fn arrondissements_belong_to_their_city_s_epci() {
        let epcis = Epcis::national();
        let grand_paris = epcis.of_commune("75056").expect("Paris is in the Métropole du Grand Paris");
        assert!(grand_paris.contains("75112"));
        assert_eq!(epcis.of_commune("75112").map(|e| e.siren), Some(grand_paris.siren));
        assert!(epcis.of_commune("69381").is_some_and(|e| e.contains("69123")));
        assert_eq!(city_of("75121"), None);
        assert_eq!(city_of("1320"), None);
    }

    #[test]
    fn a_table_is_read_as_written() {
        let epcis = Epcis::parse("siren;nom;communes\n123456789;CC Test;01002|01001\n");
        let epci = epcis.get("123456789").expect("parsed");
        assert_eq!(epci.communes, ["01001", "01002"]);
        assert!(epcis.contains("123456789", "01002"));
        assert_eq!(epcis.of_commune("01001").map(|e| e.nom), Some("CC Test"));
    }
}
