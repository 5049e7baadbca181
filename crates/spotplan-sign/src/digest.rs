//! Thin wrappers over the hash and HMAC primitives the schemes share (SHA-256, HMAC-SHA256).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// `HashedRequestPayload`: lower-hex SHA-256 of the exact body bytes (the empty body gives `e3b0c442…b855`).
/// Shared by ACS3 and TC3, which both hash the payload this way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadHash(String);

impl PayloadHash {
    /// Hashes `body`.
    pub fn of(body: &[u8]) -> Self {
        PayloadHash(sha256_hex(body))
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(PayloadHash);

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (key "Jefe"), plus the empty-input SHA-256.
    #[test]
    fn primitives_match_their_rfc_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
