//! The commune reference (INSEE COG 2026): current communes and municipal arrondissements,
//! with the codes of the former communes merged into them. Paris, Lyon and Marseille appear
//! only as their arrondissements, which are the units of the address base.
//!
//! The table ships inside the binary (`data/cog/communes-2026.csv`) and is indexed once,
//! without copying it: sorted code arrays searched by bisection (a few hundred kilobytes).
use std::sync::OnceLock;

/// A current commune or arrondissement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune<'a> {
    pub code: &'a str,
    pub nom: &'a str,
    /// Former codes, `|`-separated.
    anciens_codes: &'a str,
}

impl<'a> Commune<'a> {
    /// Codes of the former communes merged into this one.
    pub fn anciens_codes(&self) -> impl Iterator<Item = &'a str> {
        self.anciens_codes.split('|').filter(|c| !c.is_empty())
    }

    pub fn has_former_code(&self, code: &str) -> bool {
        self.anciens_codes().any(|c| c == code)
    }
}

type Code = [u8; 5];

fn key(code: &str) -> Option<Code> {
    code.as_bytes().try_into().ok()
}

/// The commune reference.
#[derive(Debug, Default)]
pub struct Cog<'a> {
    codes: Vec<Code>,
    communes: Vec<Commune<'a>>,
    former: Vec<Code>,
}

const EMBEDDED: &str = include_str!("../../../data/cog/communes-2026.csv");

impl Cog<'static> {
    /// The embedded COG 2026 table.
    pub fn get() -> &'static Cog<'static> {
        static COG: OnceLock<Cog<'static>> = OnceLock::new();
        COG.get_or_init(|| Cog::parse(EMBEDDED))
    }
}

impl<'a> Cog<'a> {
    /// Indexes a `code;nom;anciens_codes` table (former codes `|`-separated, no quoting).
    pub fn parse(text: &'a str) -> Cog<'a> {
        let mut rows: Vec<(Code, Commune<'a>)> = text
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cells = line.splitn(3, ';');
                let (code, nom) = (cells.next()?, cells.next()?);
                let commune = Commune { code, nom, anciens_codes: cells.next().unwrap_or("") };
                Some((key(code)?, commune))
            })
            .collect();
        rows.sort_unstable_by_key(|(k, _)| *k);
        let mut former: Vec<Code> =
            rows.iter().flat_map(|(_, c)| c.anciens_codes()).filter_map(key).collect();
        former.sort_unstable();
        former.dedup();
        let (codes, communes) = rows.into_iter().unzip();
        Cog { codes, communes, former }
    }

    /// A current commune or arrondissement by code.
    pub fn commune(&self, code: &str) -> Option<&Commune<'a>> {
        let i = self.codes.binary_search(&key(code)?).ok()?;
        self.communes.get(i)
    }

    pub fn is_current(&self, code: &str) -> bool {
        key(code).is_some_and(|k| self.codes.binary_search(&k).is_ok())
    }

    /// Whether the code is a former code of some current commune.
    pub fn is_former(&self, code: &str) -> bool {
        key(code).is_some_and(|k| self.former.binary_search(&k).is_ok())
    }

    /// Every current commune and arrondissement, by code.
    pub fn communes(&self) -> impl Iterator<Item = &Commune<'a>> {
        self.communes.iter()
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_is_cog_2026() {
        let cog = Cog::get();
        assert_eq!(cog.len(), 35_011);
        assert_eq!(cog.commune("31591").map(|c| c.nom), Some("Escoulis"));
        assert!(cog.is_current("75101"));
        assert!(!cog.is_current("75056"), "Paris is addressed by arrondissement");
        assert!(cog.is_current("2A004"));
        assert!(!cog.is_current("2a004"));
        assert!(!cog.is_current("3159"));
    }

    #[test]
    fn former_codes() {
        let cog = Cog::parse("code;nom;anciens_codes\n01001;Une;01002|01003\n01004;Autre;\n");
        assert!(cog.is_former("01003"));
        assert!(!cog.is_former("01004"));
        assert!(cog.commune("01001").is_some_and(|c| c.has_former_code("01002")));
    }
}
