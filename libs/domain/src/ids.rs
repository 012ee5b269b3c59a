//! BAN identifiers: version-4 UUIDs.
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::{Uuid, Variant};

/// A BAN identifier (commune, toponym or address): a UUID of version 4, kept in its
/// canonical lower-case hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BanId(Uuid);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a version-4 UUID")]
pub struct InvalidBanId(pub String);

impl BanId {
    /// Parses a UUID of version 4 (case-insensitive) in its hyphenated form only, as the BAL
    /// standard and the reference validator (the `uuid` npm package) require.
    pub fn parse(text: &str) -> Result<Self, InvalidBanId> {
        // 36 characters: the hyphenated form (the crate also reads the simple, braced and URN ones).
        match Uuid::try_parse(text) {
            Ok(uuid)
                if text.len() == 36
                    && uuid.get_version_num() == 4
                    && uuid.get_variant() == Variant::RFC4122 =>
            {
                Ok(BanId(uuid))
            }
            _ => Err(InvalidBanId(text.to_owned())),
        }
    }

    /// A version-4 UUID from 128 random bits (the version and variant bits are set).
    pub fn from_random(random: u128) -> Self {
        BanId(uuid::Builder::from_random_bytes(random.to_be_bytes()).into_uuid())
    }

    pub fn as_u128(self) -> u128 {
        self.0.as_u128()
    }
}

impl fmt::Display for BanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl TryFrom<String> for BanId {
    type Error = InvalidBanId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        BanId::parse(&value)
    }
}

impl From<BanId> for String {
    fn from(id: BanId) -> Self {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_version_4() {
        for random in [0, u128::MAX, 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef] {
            let id = BanId::from_random(random);
            assert_eq!(BanId::parse(&id.to_string()), Ok(id));
        }
    }

    #[test]
    fn accepts_v4_in_any_case_and_prints_lower_case() {
        let id = BanId::parse("0246E48C-F33D-433A-8984-034219BE842E").expect("valid");
        assert_eq!(id.to_string(), "0246e48c-f33d-433a-8984-034219be842e");
    }

    #[test]
    fn rejects_other_versions_variants_and_shapes() {
        for bad in [
            "0246e48c-f33d-133a-8984-034219be842e", // version 1
            "0246e48c-f33d-433a-c984-034219be842e", // variant
            "00000000-0000-0000-0000-000000000000", // nil is a UUID but not v4
            "0246e48cf33d433a8984034219be842e",
            "0246e48c-f33d-433a-8984-034219be842",
            "",
        ] {
            assert!(BanId::parse(bad).is_err(), "{bad}");
        }
    }
}
