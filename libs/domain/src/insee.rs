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

    /// The département code: two characters, three for the overseas départements (97x, 98x).
    pub fn departement(&self) -> &str {
        let code = self.as_str();
        if code.starts_with("97") || code.starts_with("98") {
            &code[..3]
        } else {
            &code[..2]
        }
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
    fn rejects_malformed_codes() {
        for bad in ["3159", "315910", "2C004", "ab123", "", "3159é"] {
            assert!(InseeCode::parse(bad).is_err(), "{bad}");
        }
    }
}
