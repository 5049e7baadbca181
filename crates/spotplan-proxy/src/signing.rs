//! Signs a neutral request from the core with the cloud's own scheme (ACS3-HMAC-SHA256 for Alibaba,
//! TC3-HMAC-SHA256 for Tencent, bce-auth-v1 for Baidu) into the exact bytes to send, and encrypts Baidu's
//! administrator password the way Baidu requires. The only place credentials touch a request.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use sha2::{Digest, Sha256};
use spotplan_core::Cloud;
use spotplan_core::clouds::{PasswordPlace, api};
use spotplan_core::order::request::HttpRequest;
use spotplan_sign::{Credentials, SignableRequest, SigningError, acs3, bce, tc3};

/// The header that carries the SHA-256 of a Baidu request body (signed like every `x-bce-*` header).
pub const BAIDU_BODY_HASH: &str = "x-bce-content-sha256";

/// A request ready to send: everything is fixed, including the encoded target. `Debug` shows the redacted form:
/// the URL may carry a password (Alibaba), the headers the signature, the body a password.
#[derive(Clone)]
pub struct SignedRequest {
    /// `POST`.
    pub method: String,
    /// The full URL (scheme, host, path and query exactly as signed).
    pub url: String,
    /// Every header to send, `authorization` included.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignedRequest({})", self.redacted())
    }
}

impl SignedRequest {
    /// The request with secrets removed, for the order log: no authorization header, no signature parameter.
    pub fn redacted(&self) -> serde_json::Value {
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret =
                    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-acs-security-token");
                (name.clone(), if secret { "<redacted>".into() } else { value.clone() })
            })
            .collect();
        let body = redact_body(&self.body);
        serde_json::json!({ "method": self.method, "url": redact_url(&self.url), "headers": headers, "body": body })
    }
}

/// Every place any cloud puts an instance password (each cloud's folder in the core names its own), so a log
/// never carries one whichever cloud a request is for.
fn password_places() -> impl Iterator<Item = PasswordPlace> {
    Cloud::ALL.into_iter().map(|cloud| api(cloud).password_place())
}

fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        None => url.to_owned(),
        Some((base, query)) => {
            let parts: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _))
                        if name == "Signature"
                            || password_places()
                                .any(|place| matches!(place, PasswordPlace::Query(query) if query == name)) =>
                    {
                        format!("{name}=<redacted>")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", parts.join("&"))
        }
    }
}

fn redact_body(body: &[u8]) -> serde_json::Value {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut json) => {
            for place in password_places() {
                if let PasswordPlace::Body(pointer) = place
                    && let Some(value) = json.pointer_mut(pointer)
                {
                    *value = serde_json::Value::String("<redacted>".into());
                }
            }
            json
        }
        Err(_) if body.is_empty() => serde_json::Value::Null,
        Err(_) => serde_json::Value::String(format!("<{} bytes>", body.len())),
    }
}

/// Signs `request` for `cloud` at `unix_seconds` with a fresh `nonce`.
pub fn sign(
    cloud: Cloud,
    request: &HttpRequest,
    credentials: &Credentials,
    unix_seconds: u64,
    nonce: &str,
) -> Result<SignedRequest, SigningError> {
    let signable = SignableRequest {
        method: &request.method,
        host: &request.host,
        path: &request.path,
        query: &request.query,
        headers: &request.headers,
        body: &request.body,
    };
    let (added, path_and_query) = match cloud {
        Cloud::Alibaba => {
            let output = acs3::sign(&signable, credentials, &acs3::Params { unix_seconds, nonce })?;
            (output.headers, output.path_and_query)
        }
        Cloud::Tencent => {
            // The scope names the API's service, not the host: an endpoint override must not change it.
            let params = tc3::Params {
                unix_seconds,
                service: spotplan_core::clouds::tencent::order::tc3_service(&request.action),
            };
            let output = tc3::sign(&signable, credentials, &params)?;
            (output.headers, output.path_and_query)
        }
        Cloud::Baidu => {
            // bce-auth-v1 leaves the body unsigned; its hash in a signed `x-bce-*` header binds it, so a captured
            // Authorization header cannot carry another body for its 30 minutes.
            let mut headers = signable.headers.to_vec();
            headers.push((BAIDU_BODY_HASH.into(), hex::encode(Sha256::digest(&request.body))));
            let with_hash = SignableRequest {
                headers: &headers,
                ..signable
            };
            let output = bce::sign(&with_hash, credentials, &bce::Params::new(unix_seconds))?;
            let mut added = vec![(BAIDU_BODY_HASH.to_owned(), hex::encode(Sha256::digest(&request.body)))];
            added.extend(output.headers);
            (added, output.path_and_query)
        }
    };
    let mut headers = request.headers.clone();
    headers.extend(added);
    Ok(SignedRequest {
        method: request.method.clone(),
        url: format!("{}://{}{}", request.scheme, request.host, path_and_query),
        headers,
        body: request.body.clone(),
    })
}

/// Why Baidu's password could not be encrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Baidu secret access key is shorter than the 16 characters its password encryption needs")]
pub struct ShortSecret;

/// Baidu's `adminPass`: AES-128-ECB of the password with the first 16 characters of the secret access key as
/// the key, PKCS#7 padding, lower-case hex (what bce-python-sdk's `aes128_encrypt_16char_key` does).
pub fn baidu_admin_pass(password: &str, secret: &str) -> Result<String, ShortSecret> {
    let key = secret.as_bytes().get(..16).ok_or(ShortSecret)?;
    let cipher = Aes128::new(GenericArray::from_slice(key));
    let mut data = password.as_bytes().to_vec();
    let padding = 16 - data.len() % 16;
    data.extend(std::iter::repeat_n(padding as u8, padding));
    let mut out = String::with_capacity(data.len() * 2);
    for chunk in data.chunks(16) {
        let mut block = GenericArray::clone_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        out.push_str(&hex::encode(block));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baidu_password_encryption_pads_to_whole_blocks() {
        let secret = "0123456789abcdef0123456789abcdef";
        let one_block = baidu_admin_pass("Spot2026!", secret).unwrap();
        assert_eq!(one_block.len(), 32);
        assert_eq!(
            baidu_admin_pass("Spot2026!", secret).unwrap(),
            one_block,
            "deterministic (ECB)"
        );
        assert_eq!(
            baidu_admin_pass("exactly16chars!!", secret).unwrap().len(),
            64,
            "a full block gains a padding block"
        );
        assert_eq!(baidu_admin_pass("x", "short"), Err(ShortSecret));
    }

    #[test]
    fn baidu_password_encryption_equals_the_sdks() {
        // Recorded from bce-python-sdk 0.9.79: `baidubce.utils.aes128_encrypt_16char_key(password, secret)` with
        // the secret as bytes, as `BccClient` passes it.
        let secret = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            baidu_admin_pass("Spot2026!", secret).unwrap(),
            "a02695c9c151f730b710510bc5cf7c7d"
        );
        assert_eq!(
            baidu_admin_pass("exactly16chars!!", secret).unwrap(),
            "caa5bdc5717c41543c64a9954426b898377222e061a924c591cd9c27ea163ed4"
        );
    }

    #[test]
    fn redaction_removes_every_secret_place() {
        let signed = SignedRequest {
            method: "POST".into(),
            url: "https://ecs.cn-beijing.aliyuncs.com/?Password=hunter2&Signature=abc&RegionId=cn-beijing".into(),
            headers: vec![(
                "authorization".into(),
                "ACS3-HMAC-SHA256 Credential=LTAI,Signature=ff".into(),
            )],
            body: br#"{"LoginSettings":{"Password":"hunter2"},"adminPass":"beef"}"#.to_vec(),
        };
        let text = signed.redacted().to_string();
        let debug = format!("{signed:?}");
        for secret in ["hunter2", "Signature=abc", "Credential=LTAI", "beef"] {
            assert!(!text.contains(secret), "{secret} in {text}");
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(text.contains("RegionId=cn-beijing"));
    }
}
