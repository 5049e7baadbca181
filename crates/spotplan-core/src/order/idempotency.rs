//! Idempotency keys and the client tokens derived from them. The browser (or a script) picks one key per
//! intended order and reuses it on every retry; the cloud's ClientToken is derived from it deterministically, so
//! a retry — from the UI, the proxy or the network layer — can never create a second order.

/// Why an idempotency key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency key `{key}` must be 8–48 characters of letters, digits, `-` and `_` (a UUID works)")]
pub struct InvalidIdempotencyKey {
    /// The key as given.
    pub key: String,
}

/// The prefix of every derived client token.
pub const CLIENT_TOKEN_PREFIX: &str = "spotplan-";

/// Checks a key: 8–48 ASCII letters, digits, `-` or `_`.
pub fn check_idempotency_key(key: &str) -> Result<(), InvalidIdempotencyKey> {
    let ok = (8..=48).contains(&key.len())
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_".contains(&byte));
    if ok {
        Ok(())
    } else {
        Err(InvalidIdempotencyKey { key: key.to_owned() })
    }
}

/// The client token for a key: `spotplan-<key>`, at most 57 ASCII characters, so it fits every cloud's limit
/// (Alibaba and Tencent ≤ 64, Baidu < 64).
pub fn client_token_for(key: &str) -> Result<String, InvalidIdempotencyKey> {
    check_idempotency_key(key)?;
    Ok(format!("{CLIENT_TOKEN_PREFIX}{key}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_uuid_key_gives_a_token_every_cloud_accepts() {
        let token = client_token_for("0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13").unwrap();
        assert_eq!(token, "spotplan-0b7e2c61-5d4e-4f7a-9c1b-2f0d8e6a4b13");
        assert!(token.len() < 64);
    }

    #[test]
    fn bad_keys_are_refused_with_the_rule() {
        for key in ["short", "has space in it", "ключ-идемпотентности", &"k".repeat(49)] {
            let error = client_token_for(key).unwrap_err();
            assert!(error.to_string().contains("8–48 characters"), "{key}");
        }
    }
}
