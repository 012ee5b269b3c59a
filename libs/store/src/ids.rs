//! Identifiers and secrets in the shapes the production submission API uses.
use chrono::{DateTime, Utc};
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

use crate::Secret;

/// A 24-hexadecimal-digit id (a MongoDB ObjectId's shape): 4 bytes of seconds, then 8
/// random bytes, so ids sort roughly by creation time.
pub fn object_id(at: DateTime<Utc>) -> String {
    let seconds = at.timestamp().clamp(0, i64::from(u32::MAX)) as u32;
    let random: u64 = rand::rng().random();
    format!("{seconds:08x}{random:016x}")
}

/// Whether `text` has the shape of [`object_id`].
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the store keeps of a client token: `sha256:` and the token's SHA-256 in hexadecimal.
/// A copy of the database gives no token that works; a token has 190 bits of randomness, so
/// an unsalted fast hash is enough (no dictionary to try).
pub fn token_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{TOKEN_DIGEST_PREFIX}{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// The prefix of a stored [`token_digest`] (rows without it hold a token in clear, as an
/// earlier version stored them: replaced by their digest when the store opens).
pub const TOKEN_DIGEST_PREFIX: &str = "sha256:";

/// A client token: 32 characters from `[a-zA-Z0-9]`.
pub fn token() -> Secret {
    Secret::new(Alphanumeric.sample_string(&mut rand::rng(), 32))
}

/// A 6-digit PIN code.
pub fn pin_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = object_id(Utc::now());
        assert!(is_object_id(&id), "{id}");
        assert!(!is_object_id("not-an-id"));
        let token = token();
        assert_eq!(token.expose().len(), 32);
        assert!(token.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(!format!("{token:?}").contains(token.expose()), "a token is never in Debug");
        let pin = pin_code();
        assert_eq!(pin.len(), 6);
        assert!(pin.bytes().all(|b| b.is_ascii_digit()));
    }
}
