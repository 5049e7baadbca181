//! Baidu AI Cloud bce-auth-v1, as `baidubce.auth.bce_v1_signer.sign` of the PyPI package bce-python-sdk 0.9.79
//! computes it with the SDK's default header set; the steps are those of Baidu's "Generate Authentication String"
//! page (https://intl.cloud.baidu.com/doc/Reference/s/njwvz1yfu-en).
//!
//! Steps: [`AuthStringPrefix`] → [`SigningKey`] (the **hex text** of an HMAC) → [`CanonicalRequest`] →
//! [`Signature`] → `Authorization: <prefix>//<signature>` (empty signed-headers field, as the SDK sends). Signed
//! headers: `host`, `content-length`, `content-type`, `content-md5` and every `x-bce-*` header with a non-empty
//! value. Encoding keeps `A-Z a-z 0-9 . ~ - _`, everything else `%XX` (also `/` in the query; the canonical URI keeps
//! `/`). The query is sorted after encoding, as whole `name=value` strings. The body is **not** signed.

use std::fmt;

use crate::digest::hmac_sha256;
use crate::encode::{rfc3986_into, rfc3986_path};
use crate::error::SigningError;
use crate::request::{Credentials, Secret, SignableRequest, SigningOutput};
use spotplan_time::UtcTime;

/// The version tag that opens the authorization string.
pub const AUTH_VERSION: &str = "bce-auth-v1";

/// The SDK's default validity of a signature, in seconds.
pub const DEFAULT_EXPIRATION_SECONDS: u32 = 1800;

/// The headers this signer sets; a request that already carries one is rejected.
pub const SIGNER_HEADERS: [&str; 2] = ["authorization", "x-bce-date"];

/// Headers signed besides the `x-bce-*` ones.
const DEFAULT_SIGNED_HEADERS: [&str; 4] = ["host", "content-md5", "content-length", "content-type"];

const SCHEME: &str = "bce-auth-v1";

/// Time and validity of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The signing instant, sent as `x-bce-date` (`YYYY-MM-DDTHH:MM:SSZ`).
    pub unix_seconds: u64,
    /// How long the signature stays valid.
    pub expiration_seconds: u32,
}

impl Params {
    /// Signs at `unix_seconds` with the SDK's default validity of 1800 seconds.
    pub fn new(unix_seconds: u64) -> Self {
        Params {
            unix_seconds,
            expiration_seconds: DEFAULT_EXPIRATION_SECONDS,
        }
    }
}

/// The intermediate steps of one bce-auth-v1 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    /// `bce-auth-v1/<ak>/<timestamp>/<expiration>`.
    pub auth_string_prefix: AuthStringPrefix,
    /// The derived key (`Debug` redacts it).
    pub signing_key: SigningKey,
    /// The canonical request.
    pub canonical_request: CanonicalRequest,
    /// The hex signature.
    pub signature: Signature,
}

/// Signs `request`: returns the `x-bce-date` header, `content-length` when the request has none (the SDK always
/// sends and signs it), and `Authorization`. The body is not covered: add `x-bce-content-sha256` or `content-md5`
/// yourself to protect it.
pub fn sign(
    request: &SignableRequest<'_>,
    credentials: &Credentials,
    params: &Params,
) -> Result<SigningOutput<Steps>, SigningError> {
    request.validate()?;
    request.reject_headers(SCHEME, &SIGNER_HEADERS)?;
    let body_len = request.body.len().to_string();
    let mut has_content_length = false;
    for value in request.header_values("content-length") {
        if value.trim_ascii() != body_len {
            return Err(SigningError::ContentLengthMismatch {
                value: value.to_owned(),
                body_len: request.body.len(),
            });
        }
        has_content_length = true;
    }
    let time = UtcTime::from_unix_seconds(params.unix_seconds)?;
    let date = time.to_string();

    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request.headers.len() + 3);
    headers.push(("host", request.host));
    headers.extend(request.headers_without_host());
    headers.push(("x-bce-date", &date));
    if !has_content_length {
        headers.push(("content-length", &body_len));
    }

    let auth_string_prefix = AuthStringPrefix::new(&credentials.access_key_id, time, params.expiration_seconds);
    let signing_key = SigningKey::derive(&credentials.secret, &auth_string_prefix);
    let canonical_request = CanonicalRequest::new(request.method, request.path, request.query, &headers);
    let signature = Signature::compute(&signing_key, &canonical_request);
    let authorization = format!("{auth_string_prefix}//{signature}");

    let mut path_and_query = canonical_request.uri().to_owned();
    if !canonical_request.query().is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(canonical_request.query());
    }
    let mut added = vec![("x-bce-date".to_owned(), date.clone())];
    if !has_content_length {
        added.push(("content-length".to_owned(), body_len.clone()));
    }
    added.push(("Authorization".to_owned(), authorization));
    Ok(SigningOutput {
        headers: added,
        path_and_query,
        steps: Steps {
            auth_string_prefix,
            signing_key,
            canonical_request,
            signature,
        },
    })
}

/// `bce-auth-v1/<AccessKeyId>/<YYYY-MM-DDTHH:MM:SSZ>/<expirationSeconds>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthStringPrefix(String);

impl AuthStringPrefix {
    /// Builds the prefix.
    pub fn new(access_key_id: &str, time: UtcTime, expiration_seconds: u32) -> Self {
        AuthStringPrefix(format!("{AUTH_VERSION}/{access_key_id}/{time}/{expiration_seconds}"))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(AuthStringPrefix);

/// Lower-hex HMAC-SHA256(secret, auth string prefix); its hex **text** keys the signature. `Display` prints it;
/// `Debug` redacts it, since it signs anything until the prefix expires.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(String);

impl SigningKey {
    /// Derives the key for `prefix`.
    pub fn derive(secret: &Secret, prefix: &AuthStringPrefix) -> Self {
        SigningKey(hex::encode(hmac_sha256(
            secret.expose_secret().as_bytes(),
            prefix.as_str().as_bytes(),
        )))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `METHOD\nCanonicalURI\nCanonicalQueryString\nCanonicalHeaders` (no payload hash, no trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    text: String,
    uri: String,
    query: String,
}

impl CanonicalRequest {
    /// Builds the canonical request from the unencoded path and query and all headers (the ones outside the
    /// signed set and those with empty values are skipped here).
    pub fn new(method: &str, path: &str, query: &[(String, String)], headers: &[(&str, &str)]) -> Self {
        let uri = rfc3986_path(path);
        let query = canonical_query(query);
        let headers = canonical_headers(headers);
        let text = format!("{method}\n{uri}\n{query}\n{headers}");
        CanonicalRequest { text, uri, query }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The canonical URI: the path encoded with `/` kept.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The canonical query string (also what the SDK sends).
    pub fn query(&self) -> &str {
        &self.query
    }
}

display_as_str!(CanonicalRequest);

/// Lower-hex HMAC-SHA256 of the canonical request, keyed with the signing key's hex text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(String);

impl Signature {
    /// Computes the signature.
    pub fn compute(signing_key: &SigningKey, canonical_request: &CanonicalRequest) -> Self {
        Signature(hex::encode(hmac_sha256(
            signing_key.0.as_bytes(),
            canonical_request.as_str().as_bytes(),
        )))
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(Signature);

/// `enc(name)=enc(value)` strings, sorted as strings, joined by `&`.
fn canonical_query(query: &[(String, String)]) -> String {
    let mut encoded: Vec<String> = query
        .iter()
        .map(|(name, value)| {
            let mut pair = String::with_capacity(name.len() + value.len() * 3 + 1);
            rfc3986_into(&mut pair, name);
            pair.push('=');
            rfc3986_into(&mut pair, value);
            pair
        })
        .collect();
    encoded.sort_unstable();
    encoded.join("&")
}

/// `enc(lower-case name):enc(trimmed value)` lines for the signed headers with non-empty values, sorted, joined
/// by `\n`.
fn canonical_headers(headers: &[(&str, &str)]) -> String {
    let mut lines: Vec<String> = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.trim_ascii().to_ascii_lowercase();
            let value = value.trim_ascii();
            let signed = name.starts_with("x-bce-") || DEFAULT_SIGNED_HEADERS.contains(&name.as_str());
            if !signed || value.is_empty() {
                return None;
            }
            let mut line = String::with_capacity(name.len() + value.len() * 3 + 1);
            rfc3986_into(&mut line, &name);
            line.push(':');
            rfc3986_into(&mut line, value);
            Some(line)
        })
        .collect();
    lines.sort_unstable();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn canonical_query_sorts_encoded_pairs_and_encodes_slash() {
        let query = pairs(&[
            ("a-b", "1"),
            ("a", "x/y z+*~%=&"),
            ("clientToken", ""),
            ("名", "未命名"),
            ("authorization", "kept"),
        ]);
        assert_eq!(
            canonical_query(&query),
            "%E5%90%8D=%E6%9C%AA%E5%91%BD%E5%90%8D&a-b=1&a=x%2Fy%20z%2B%2A~%25%3D%26&authorization=kept&clientToken="
        );
        assert_eq!(canonical_query(&[]), "");
    }

    #[test]
    fn canonical_headers_pick_the_default_set_and_skip_empty_values() {
        let headers = [
            ("Host", "bcc.bj.baidubce.com:8080"),
            ("Content-Type", " application/json; charset=utf-8 "),
            ("User-Agent", "not signed"),
            ("x-bce-meta-name", "未 命名"),
            ("x-bce-empty", "  "),
            ("Content-MD5", ""),
        ];
        assert_eq!(
            canonical_headers(&headers),
            "content-type:application%2Fjson%3B%20charset%3Dutf-8\nhost:bcc.bj.baidubce.com%3A8080\n\
             x-bce-meta-name:%E6%9C%AA%20%E5%91%BD%E5%90%8D"
        );
    }

    #[test]
    fn sign_adds_date_and_content_length_and_keeps_slash_in_the_uri() {
        let query = pairs(&[("clientToken", "t/1")]);
        let request = SignableRequest {
            method: "POST",
            host: "bcc.bj.baidubce.com",
            path: "/v2/instance/bid",
            query: &query,
            headers: &[],
            body: b"{\"a\":1}",
        };
        let output = sign(&request, &Credentials::new("ak", "sk"), &Params::new(1_430_123_029)).unwrap();
        assert_eq!(output.header("x-bce-date"), Some("2015-04-27T08:23:49Z"));
        assert_eq!(output.header("content-length"), Some("7"));
        assert_eq!(output.path_and_query, "/v2/instance/bid?clientToken=t%2F1");
        assert_eq!(
            output.steps.canonical_request.as_str(),
            "POST\n/v2/instance/bid\nclientToken=t%2F1\ncontent-length:7\nhost:bcc.bj.baidubce.com\n\
             x-bce-date:2015-04-27T08%3A23%3A49Z"
        );
        let authorization = output.header("authorization").unwrap();
        assert!(
            authorization.starts_with("bce-auth-v1/ak/2015-04-27T08:23:49Z/1800//"),
            "{authorization}"
        );
        assert_eq!(format!("{:?}", output.steps.signing_key), "<redacted>");

        let wrong = pairs(&[("Content-Length", "8")]);
        assert_eq!(
            sign(
                &SignableRequest {
                    headers: &wrong,
                    ..request
                },
                &Credentials::new("ak", "sk"),
                &Params::new(0)
            )
            .unwrap_err(),
            SigningError::ContentLengthMismatch {
                value: "8".into(),
                body_len: 7
            }
        );
    }
}
