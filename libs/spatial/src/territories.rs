//! The territories reference: every commune, municipal arrondissement and former commune
//! (déléguée or associée) of the COG, with its département, region, population, centre and
//! postcodes (La Poste routing names), plus the postcode of each street of the communes that
//! have several. Embedded (`data/territories/`), loaded once on first use.
use std::io::Read;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

const COMMUNES: &[u8] = include_bytes!("../../../data/territories/communes-2026.csv.gz");
const STREET_POSTCODES: &[u8] = include_bytes!("../../../data/territories/postcodes-voies.csv.gz");

/// What kind of COG entity a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerritoryKind {
    Commune,
    /// Of Paris, Lyon or Marseille.
    Arrondissement,
    /// A former commune merged into a commune nouvelle.
    Deleguee,
    /// A former commune associated with another.
    Associee,
}

/// One postcode of a territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postcode {
    pub code: String,
    /// La Poste routing name (`libelle_acheminement`), upper-case, may be empty.
    pub routing_name: String,
}

#[derive(Debug, Clone)]
pub struct Territory {
    pub code: String,
    pub kind: TerritoryKind,
    pub name: String,
    /// The commune a former commune or an arrondissement belongs to.
    pub parent: Option<String>,
    pub departement: String,
    pub departement_name: String,
    pub region: String,
    pub region_name: String,
    pub population: u32,
    /// Longitude, latitude of its centre, when known.
    pub centre: Option<[f64; 2]>,
    /// The COG's order (its first is the commune's main postcode), then La Poste's others.
    pub postcodes: Vec<Postcode>,
}

impl Territory {
    /// The postcode every address of the territory has, when it has only one.
    pub fn single_postcode(&self) -> Option<&Postcode> {
        match self.postcodes.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// The territories reference, indexed by code.
#[derive(Debug, Default)]
pub struct Territories {
    current: FxHashMap<String, Territory>,
    former: FxHashMap<String, Territory>,
    street_postcodes: FxHashMap<(String, String), String>,
}

impl Territories {
    /// The embedded reference (COG 2026).
    pub fn national() -> &'static Territories {
        static TERRITORIES: OnceLock<Territories> = OnceLock::new();
        TERRITORIES.get_or_init(|| {
            // The embedded files are checked by the tests; an empty table only loses names.
            Territories::from_csv_gz(COMMUNES, STREET_POSTCODES).unwrap_or_default()
        })
    }

    fn from_csv_gz(communes: &[u8], streets: &[u8]) -> std::io::Result<Territories> {
        let mut territories = Territories::default();
        for line in gunzip(communes)?.lines().skip(1) {
            let Some(territory) = parse_territory(line) else { continue };
            let table = match territory.kind {
                TerritoryKind::Commune | TerritoryKind::Arrondissement => &mut territories.current,
                TerritoryKind::Deleguee | TerritoryKind::Associee => &mut territories.former,
            };
            table.insert(territory.code.clone(), territory);
        }
        for line in gunzip(streets)?.lines().skip(1) {
            let mut fields = line.split(';');
            if let (Some(commune), Some(voie), Some(postcode)) = (fields.next(), fields.next(), fields.next())
            {
                territories
                    .street_postcodes
                    .insert((commune.to_owned(), voie.to_owned()), postcode.to_owned());
            }
        }
        Ok(territories)
    }

    /// A current commune or municipal arrondissement.
    pub fn commune(&self, code: &str) -> Option<&Territory> {
        self.current.get(code)
    }

    /// A former commune (déléguée or associée); its code may also be its parent's.
    pub fn former_commune(&self, code: &str) -> Option<&Territory> {
        self.former.get(code)
    }

    /// The postcode of an address: its street's when the commune has several (FANTOIR street
    /// code of its `cle_interop`), else its former commune's or its commune's only one, else the
    /// commune's first.
    pub fn postcode(
        &self,
        commune: &str,
        former: Option<&str>,
        street_code: Option<&str>,
    ) -> Option<&Postcode> {
        let territory = self.commune(commune)?;
        if let Some(single) = territory.single_postcode() {
            return Some(single);
        }
        if let Some(code) = street_code
            .and_then(|voie| self.street_postcodes.get(&(commune.to_owned(), voie.to_ascii_uppercase())))
        {
            return territory.postcodes.iter().find(|p| &p.code == code);
        }
        if let Some(single) =
            former.and_then(|code| self.former_commune(code)).and_then(Territory::single_postcode)
        {
            return territory.postcodes.iter().find(|p| p.code == single.code).or(Some(single));
        }
        territory.postcodes.first()
    }

    /// Name of a département from its code.
    pub fn departement_name(&self, departement: &str) -> Option<&str> {
        self.current.values().find(|t| t.departement == departement).map(|t| t.departement_name.as_str())
    }

    /// Every current commune and arrondissement.
    pub fn communes(&self) -> impl Iterator<Item = &Territory> {
        self.current.values()
    }
}

fn gunzip(bytes: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

fn parse_territory(line: &str) -> Option<Territory> {
    let fields: Vec<&str> = line.split(';').collect();
    let [code, kind, name, parent, departement, departement_name, region, region_name, population, lon, lat, postcodes] =
        fields.as_slice()
    else {
        return None;
    };
    let kind = match *kind {
        "commune-actuelle" => TerritoryKind::Commune,
        "arrondissement-municipal" => TerritoryKind::Arrondissement,
        "commune-deleguee" => TerritoryKind::Deleguee,
        "commune-associee" => TerritoryKind::Associee,
        _ => return None,
    };
    let centre = match (lon.parse::<f64>(), lat.parse::<f64>()) {
        (Ok(lon), Ok(lat)) => Some([lon, lat]),
        _ => None,
    };
    let postcodes = postcodes
        .split('|')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (code, routing_name) = pair.split_once(':').unwrap_or((pair, ""));
            Postcode { code: code.to_owned(), routing_name: routing_name.to_owned() }
        })
        .collect();
    let text = |s: &str| s.to_owned();
    Some(Territory {
        code: text(code),
        kind,
        name: text(name),
        parent: (!parent.is_empty()).then(|| text(parent)),
        departement: text(departement),
        departement_name: text(departement_name),
        region: text(region),
        region_name: text(region_name),
        population: population.parse().unwrap_or(0),
        centre,
        postcodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_reference_knows_every_kind_of_territory() {
        let territories = Territories::national();
        let mont = territories.commune("54084").expect("54084");
        assert_eq!((mont.name.as_str(), mont.departement.as_str()), ("Mont-Bonvillers", "54"));
        assert_eq!(mont.departement_name, "Meurthe-et-Moselle");
        assert_eq!(mont.single_postcode().map(|p| p.routing_name.as_str()), Some("MONT-BONVILLERS"));
        assert_eq!(territories.commune("75101").map(|t| t.kind), Some(TerritoryKind::Arrondissement));
        // 01015 is both a commune nouvelle and one of its former communes.
        assert_eq!(territories.commune("01015").map(|t| t.name.as_str()), Some("Arboys en Bugey"));
        assert_eq!(territories.former_commune("01015").map(|t| t.name.as_str()), Some("Arbignieu"));
        assert!(territories.communes().count() > 34_000);
    }

    #[test]
    fn postcodes_come_from_the_street_when_the_commune_has_several() {
        let territories = Territories::national();
        assert_eq!(territories.postcode("54084", None, None).map(|p| p.code.as_str()), Some("54111"));
        let toulouse = territories.commune("31555").expect("Toulouse");
        assert!(toulouse.postcodes.len() > 1);
        let first = territories.postcode("31555", None, None).map(|p| p.code.clone());
        assert_eq!(first.as_deref(), Some(toulouse.postcodes[0].code.as_str()));
    }
}
