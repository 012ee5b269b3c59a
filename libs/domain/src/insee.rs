//! INSEE commune codes (COG).
use std::fmt;

use serde::{Deserialize, Serialize};

/// An INSEE commune code: five characters, digits, or `2A`/`2B` followed by three digits
/// for Corsica. Stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InseeCode([u8; 5]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an INSEE commune code (five digits, or 2A/2B and three digits)")]
pub struct InvalidInseeCode(pub String);

impl InseeCode {
    /// Parses a code, accepting lower-case `2a`/`2b`.
    pub fn parse(text: &str) -> Result<Self, InvalidInseeCode> {
        let bytes = text.as_bytes();
        let invalid = || InvalidInseeCode(text.to_owned());
        let [a, b, c, d, e] = <[u8; 5]>::try_from(bytes).map_err(|_| invalid())?;
        let b = b.to_ascii_uppercase();
        let corsica = a == b'2' && (b == b'A' || b == b'B');
        let ok =
            a.is_ascii_digit() && (b.is_ascii_digit() || corsica) && [c, d, e].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(InseeCode([a, b, c, d, e]))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The département code: see [`departement_of`].
    pub fn departement(&self) -> &str {
        departement_of(self.as_str())
    }
}

/// The département of a commune code, the one rule for it: the first three characters
/// overseas (`971`…`976` for the DROM and `975`, `977`, `978`, `984`, `986`…`989` for the
/// other territories, as the COG files them: 98818 is in `988`), else the first two (`2A`
/// in Corsica). A code shorter than that is its own département.
pub fn departement_of(commune: &str) -> &str {
    let overseas = commune.starts_with("97") || commune.starts_with("98");
    let len = if overseas { 3 } else { 2 };
    commune.get(..len).unwrap_or(commune)
}

/// Whether `code` is a département code as [`departement_of`] gives them (`01`…`95`, `2A`,
/// `2B`, `971`…`989`).
pub fn is_departement(code: &str) -> bool {
    let bytes = code.as_bytes();
    match bytes {
        [b'2', b'A' | b'B'] => true,
        [a, b] => a.is_ascii_digit() && b.is_ascii_digit() && code != "00" && code != "20" && code < "96",
        [b'9', b'7' | b'8', c] => c.is_ascii_digit(),
        _ => false,
    }
}

impl fmt::Display for InseeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for InseeCode {
    type Error = InvalidInseeCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        InseeCode::parse(&value)
    }
}

impl From<InseeCode> for String {
    fn from(code: InseeCode) -> Self {
        code.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_metropolitan_corsican_and_overseas_codes() {
        assert_eq!(InseeCode::parse("31591").map(|c| c.departement().to_owned()), Ok("31".into()));
        assert_eq!(InseeCode::parse("2a004").map(|c| c.to_string()), Ok("2A004".into()));
        assert_eq!(InseeCode::parse("97411").map(|c| c.departement().to_owned()), Ok("974".into()));
    }

    #[test]
    fn departements_of_metropolitan_corsican_and_overseas_codes() {
        for (commune, departement) in [
            ("54084", "54"),
            ("01001", "01"),
            ("2A004", "2A"),
            ("2B033", "2B"),
            ("97105", "971"),
            ("97411", "974"),
            ("97501", "975"),
            ("97617", "976"),
            ("97701", "977"),
            ("98411", "984"),
            ("98611", "986"),
            ("98735", "987"),
            ("98818", "988"),
            ("98901", "989"),
        ] {
            assert_eq!(departement_of(commune), departement, "{commune}");
            let code = InseeCode::parse(commune).map_err(|e| e.to_string());
            assert_eq!(code.as_ref().map(InseeCode::departement), Ok(departement), "{commune}");
            assert!(is_departement(departement), "{departement}");
        }
        assert_eq!(departement_of("5"), "5");
        for code in ["00", "20", "96", "2C", "9", "5", "540", "97", "abc"] {
            assert!(!is_departement(code), "{code}");
        }
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in ["3159", "315910", "2C004", "ab123", "", "3159é"] {
            assert!(InseeCode::parse(bad).is_err(), "{bad}");
        }
    }
}
