//! Tencent Cloud's legacy v1 signature (HmacSHA1 / HmacSHA256), kept only to reproduce the published example
//! (cloud-apis.md §2.9, vector 4). The proxy signs Tencent requests with [`crate::tc3`]; v1 cannot carry JSON
//! bodies, so there is deliberately no `sign()` here.
//!
//! StringToSign = `METHOD` + host + path + `?` + every parameter except `Signature`, sorted by name, as raw
//! (unencoded) `name=value` joined by `&`, with `_` in names written as `.` (as the Python SDK does).
//! Signature = Base64(HMAC(SecretKey, StringToSign)).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::digest::{hmac_sha1, hmac_sha256};
use crate::request::Secret;

/// The `SignatureMethod` parameter's two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    /// `HmacSHA1`, the default when the parameter is absent.
    HmacSha1,
    /// `HmacSHA256`.
    HmacSha256,
}

/// `GETcvm.tencentcloudapi.com/?Action=…&Nonce=…` with raw values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(String);

impl StringToSign {
    /// Builds the string to sign from every parameter (a `Signature` entry is ignored).
    pub fn new(method: &str, host: &str, path: &str, parameters: &[(&str, &str)]) -> Self {
        let mut renamed: Vec<(String, &str)> = parameters
            .iter()
            .filter(|(name, _)| *name != "Signature")
            .map(|(name, value)| (name.replace('_', "."), *value))
            .collect();
        renamed.sort();
        let mut text = format!("{method}{host}{path}?");
        for (index, (name, value)) in renamed.iter().enumerate() {
            if index > 0 {
                text.push('&');
            }
            text.push_str(name);
            text.push('=');
            text.push_str(value);
        }
        StringToSign(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(StringToSign);

/// Base64 of the HMAC of the string to sign, keyed with the secret as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(String);

impl Signature {
    /// Computes the signature with `method`.
    pub fn compute(string_to_sign: &StringToSign, secret: &Secret, method: SignatureMethod) -> Self {
        let key = secret.expose_secret().as_bytes();
        let message = string_to_sign.as_str().as_bytes();
        Signature(match method {
            SignatureMethod::HmacSha1 => BASE64.encode(hmac_sha1(key, message)),
            SignatureMethod::HmacSha256 => BASE64.encode(hmac_sha256(key, message)),
        })
    }

    /// The Base64 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(Signature);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_after_underscores_become_dots() {
        let text = StringToSign::new(
            "POST",
            "cvm.tencentcloudapi.com",
            "/",
            &[("b_c", "1 2"), ("a", "未"), ("Signature", "x")],
        );
        assert_eq!(text.as_str(), "POSTcvm.tencentcloudapi.com/?a=未&b.c=1 2");
    }
}
