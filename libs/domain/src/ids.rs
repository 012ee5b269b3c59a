//! BAN identifiers: version-4 UUIDs.
use std::fmt;

use serde::{Deserialize, Serialize};

/// A BAN identifier (commune, toponym or address): a UUID of version 4, kept in its
/// canonical lower-case hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BanId(u128);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a version-4 UUID")]
pub struct InvalidBanId(pub String);

impl BanId {
    /// Parses a UUID of version 4 (case-insensitive), as the BAL standard requires.
    pub fn parse(text: &str) -> Result<Self, InvalidBanId> {
        match parse_uuid(text) {
            Some((value, 4)) => Ok(BanId(value)),
            _ => Err(InvalidBanId(text.to_owned())),
        }
    }

    /// A version-4 UUID from 128 random bits (the version and variant bits are set).
    pub fn from_random(random: u128) -> Self {
        let version = (random & !(0xf << 76)) | (0x4 << 76);
        BanId((version & !(0x3 << 62)) | (0x2 << 62))
    }

    pub fn as_u128(self) -> u128 {
        self.0
    }
}

/// Parses a hyphenated UUID as the `uuid` npm package validates it (version digit 1–8,
/// RFC variant, or the nil and max UUIDs) and returns its value and version digit.
fn parse_uuid(text: &str) -> Option<(u128, u32)> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    if bytes[8] != b'-' || bytes[13] != b'-' || bytes[18] != b'-' || bytes[23] != b'-' {
        return None;
    }
    let mut value: u128 = 0;
    for group in [&bytes[..8], &bytes[9..13], &bytes[14..18], &bytes[19..23], &bytes[24..]] {
        for &b in group {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return None,
            };
            value = (value << 4) | u128::from(digit);
        }
    }
    let version = ((value >> 76) & 0xf) as u32;
    let variant = ((value >> 62) & 0x3) as u32;
    let nil_or_max = value == 0 || value == u128::MAX;
    if nil_or_max || ((1..=8).contains(&version) && variant == 0b10) {
        Some((value, version))
    } else {
        None
    }
}

impl fmt::Display for BanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (v >> 96) as u32,
            (v >> 80) as u16,
            (v >> 64) as u16,
            (v >> 48) as u16,
            v & 0xffff_ffff_ffff
        )
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
