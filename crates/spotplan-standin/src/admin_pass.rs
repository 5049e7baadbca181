//! The Baidu stand-in's reading of `adminPass`: BCC decrypts it with the first 16 characters of the caller's
//! secret access key (AES-128-ECB, PKCS#7, hex — bce-python-sdk's `aes128_encrypt_16char_key`), so a password the
//! proxy encrypted wrongly is refused here as it would be there, not accepted because it is present.

use aes::Aes128;
use aes::cipher::{BlockDecrypt, KeyInit, generic_array::GenericArray};

/// Checks the `adminPass` of a Baidu order body, when it has one: it must decrypt, under `secret`, to a
/// printable ASCII password. The error is the reason, in words.
pub fn check(body: &[u8], secret: &str) -> Result<(), String> {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    let Some(cipher_hex) = json.get("adminPass").and_then(serde_json::Value::as_str) else {
        return Ok(());
    };
    let password = decrypt(cipher_hex, secret).ok_or("adminPass does not decrypt with the account's secret key")?;
    if password.is_empty() || !password.bytes().all(|byte| (0x21..0x7f).contains(&byte)) {
        return Err("adminPass decrypts to something that is not a password".into());
    }
    Ok(())
}

/// The password, or `None` when the hex, the key, the blocks or the padding are wrong.
fn decrypt(cipher_hex: &str, secret: &str) -> Option<String> {
    let key = secret.as_bytes().get(..16)?;
    let mut data = hex::decode(cipher_hex).ok()?;
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return None;
    }
    let cipher = Aes128::new(GenericArray::from_slice(key));
    for chunk in data.chunks_mut(16) {
        cipher.decrypt_block(GenericArray::from_mut_slice(chunk));
    }
    let padding = usize::from(*data.last()?);
    if !(1..=16).contains(&padding)
        || data[data.len() - padding..]
            .iter()
            .any(|byte| usize::from(*byte) != padding)
    {
        return None;
    }
    data.truncate(data.len() - padding);
    String::from_utf8(data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_sdks_ciphertext_decrypts_to_the_password() {
        // bce-python-sdk 0.9.79's aes128_encrypt_16char_key("Spot2026!", SECRET).
        assert_eq!(
            decrypt("a02695c9c151f730b710510bc5cf7c7d", SECRET).as_deref(),
            Some("Spot2026!")
        );
        assert!(check(br#"{"adminPass": "a02695c9c151f730b710510bc5cf7c7d"}"#, SECRET).is_ok());
    }

    #[test]
    fn a_wrong_key_or_a_plain_password_is_refused() {
        let body = br#"{"adminPass": "a02695c9c151f730b710510bc5cf7c7d"}"#;
        assert!(check(body, "fedcba9876543210fedcba9876543210").is_err());
        assert!(check(br#"{"adminPass": "Spot2026!"}"#, SECRET).is_err());
        assert!(check(br#"{"name": "no password"}"#, SECRET).is_ok());
    }
}
