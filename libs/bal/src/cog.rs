//! The commune reference (INSEE COG 2026): current communes and municipal arrondissements,
//! with the codes of the former communes merged into them. Paris, Lyon and Marseille appear
//! only as their arrondissements, which are the units of the address base.
//!
//! The table ships inside the binary (`data/cog/communes-2026.csv`) and is parsed once.
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A current commune or arrondissement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    pub code: String,
    pub nom: String,
    pub anciens_codes: Vec<String>,
}

/// The commune reference.
#[derive(Debug, Default)]
pub struct Cog {
    communes: HashMap<String, Commune>,
    former: HashSet<String>,
}

const EMBEDDED: &str = include_str!("../../../data/cog/communes-2026.csv");

impl Cog {
    /// The embedded COG 2026 table.
    pub fn get() -> &'static Cog {
        static COG: OnceLock<Cog> = OnceLock::new();
        COG.get_or_init(|| Cog::parse(EMBEDDED))
    }

    /// Parses a `code;nom;anciens_codes` table (former codes `|`-separated).
    pub fn parse(text: &str) -> Cog {
        let mut cog = Cog::default();
        for line in text.lines().skip(1) {
            let mut cells = line.splitn(3, ';');
            let (Some(code), Some(nom), anciens) = (cells.next(), cells.next(), cells.next()) else {
                continue;
            };
            let nom = nom
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .map_or_else(|| nom.to_owned(), |n| n.replace("\"\"", "\""));
            let anciens_codes: Vec<String> =
                anciens.unwrap_or_default().split('|').filter(|c| !c.is_empty()).map(str::to_owned).collect();
            cog.former.extend(anciens_codes.iter().cloned());
            cog.communes.insert(code.to_owned(), Commune { code: code.to_owned(), nom, anciens_codes });
        }
        cog
    }

    /// A current commune or arrondissement by code.
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.communes.get(code)
    }

    pub fn is_current(&self, code: &str) -> bool {
        self.communes.contains_key(code)
    }

    /// Whether the code is a former code of some current commune.
    pub fn is_former(&self, code: &str) -> bool {
        self.former.contains(code)
    }

    pub fn len(&self) -> usize {
        self.communes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_is_cog_2026() {
        let cog = Cog::get();
        assert_eq!(cog.len(), 35_011);
        assert_eq!(cog.commune("31591").map(|c| c.nom.as_str()), Some("Escoulis"));
        assert!(cog.is_current("75101"));
        assert!(!cog.is_current("75056"), "Paris is addressed by arrondissement");
        assert!(cog.is_current("2A004"));
    }
}
