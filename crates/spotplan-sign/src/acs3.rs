//! Alibaba Cloud ACS3-HMAC-SHA256 ("V3", the Tea SDK's default), as `Utils.get_authorization` of the PyPI package
//! alibabacloud-tea-openapi 0.4.6 computes it; the steps are those of Alibaba's V3 signature page
//! (https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature).
//!
//! Steps: [`PayloadHash`] → [`CanonicalRequest`] → [`StringToSign`] → [`Signature`] → `Authorization` header.
//! The signer adds `x-acs-date`, `x-acs-signature-nonce` and `x-acs-content-sha256` and signs **every** header the
//! request carries (names lower-cased, values trimmed, repeated names joined by `,`). The HMAC key is the secret as
//! is. Canonical query: names sorted and left unencoded (as the SDK does), values RFC 3986-encoded (`%20`, `%2A`,
//! `%2F`, `~` bare), empty values kept as `name=`.

pub use crate::digest::PayloadHash;
use crate::digest::{hmac_sha256, sha256_hex};
use crate::encode::{rfc3986_into, rfc3986_path};
use crate::error::SigningError;
use crate::request::{Credentials, Secret, SignableRequest, SigningOutput, check_nonce};
use spotplan_time::UtcTime;

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The headers this signer sets; a request that already carries one is rejected.
pub const SIGNER_HEADERS: [&str; 4] = [
    "authorization",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

const SCHEME: &str = "ACS3-HMAC-SHA256";

/// Time and nonce of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params<'a> {
    /// The signing instant, sent as `x-acs-date` (`YYYY-MM-DDTHH:MM:SSZ`).
    pub unix_seconds: u64,
    /// A value never used before, sent as `x-acs-signature-nonce` (the SDK uses 32 hex digits).
    pub nonce: &'a str,
}

/// The intermediate steps of one ACS3 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    /// Lower-hex SHA-256 of the body (`x-acs-content-sha256`).
    pub payload_hash: PayloadHash,
    /// The canonical request.
    pub canonical_request: CanonicalRequest,
    /// `ACS3-HMAC-SHA256\n<hex sha256(canonical request)>`.
    pub string_to_sign: StringToSign,
    /// The hex signature.
    pub signature: Signature,
}

/// Signs `request`: returns the `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256` and `Authorization`
/// headers to add. The caller's other headers (`x-acs-action`, `x-acs-version`, `content-type` …) are all signed,
/// so send exactly those.
pub fn sign(
    request: &SignableRequest<'_>,
    credentials: &Credentials,
    params: &Params<'_>,
) -> Result<SigningOutput<Steps>, SigningError> {
    request.validate()?;
    request.reject_headers(SCHEME, &SIGNER_HEADERS)?;
    check_nonce(params.nonce)?;
    let date = UtcTime::from_unix_seconds(params.unix_seconds)?.to_string();
    let payload_hash = PayloadHash::of(request.body);

    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request.headers.len() + 4);
    headers.push(("host", request.host));
    headers.extend(request.headers_without_host());
    headers.push(("x-acs-date", &date));
    headers.push(("x-acs-signature-nonce", params.nonce));
    headers.push(("x-acs-content-sha256", payload_hash.as_str()));

    let canonical_request = CanonicalRequest::new(request.method, request.path, request.query, &headers, &payload_hash);
    let string_to_sign = StringToSign::new(&canonical_request);
    let signature = Signature::compute(&string_to_sign, &credentials.secret);
    let authorization = format!(
        "{ALGORITHM} Credential={},SignedHeaders={},Signature={signature}",
        credentials.access_key_id,
        canonical_request.signed_headers()
    );

    let mut path_and_query = rfc3986_path(request.path);
    for (index, (name, value)) in request.query.iter().enumerate() {
        path_and_query.push(if index == 0 { '?' } else { '&' });
        rfc3986_into(&mut path_and_query, name);
        path_and_query.push('=');
        rfc3986_into(&mut path_and_query, value);
    }

    Ok(SigningOutput {
        headers: vec![
            ("x-acs-date".to_owned(), date.clone()),
            ("x-acs-signature-nonce".to_owned(), params.nonce.to_owned()),
            ("x-acs-content-sha256".to_owned(), payload_hash.as_str().to_owned()),
            ("Authorization".to_owned(), authorization),
        ],
        path_and_query,
        steps: Steps {
            payload_hash,
            canonical_request,
            string_to_sign,
            signature,
        },
    })
}

/// `METHOD\nCanonicalURI\nCanonicalQueryString\nCanonicalHeaders\nSignedHeaders\nHashedRequestPayload`, where
/// CanonicalHeaders already ends in `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    text: String,
    signed_headers: String,
}

impl CanonicalRequest {
    /// Builds the canonical request from the unencoded path and query and **all** headers to sign (including
    /// `host` and the `x-acs-*` headers the signer adds).
    pub fn new(
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &[(&str, &str)],
        payload_hash: &PayloadHash,
    ) -> Self {
        let (canonical_headers, signed_headers) = canonical_headers(headers);
        let mut text = String::with_capacity(256 + canonical_headers.len() + 32 * query.len());
        text.push_str(method);
        text.push('\n');
        text.push_str(&rfc3986_path(path));
        text.push('\n');
        text.push_str(&canonical_query(query));
        text.push('\n');
        text.push_str(&canonical_headers);
        text.push('\n');
        text.push_str(&signed_headers);
        text.push('\n');
        text.push_str(payload_hash.as_str());
        CanonicalRequest { text, signed_headers }
    }

    /// The `;`-joined lower-case names of the signed headers.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// The canonical request text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Lower-hex SHA-256 of the text, the second line of the string to sign.
    pub fn hash(&self) -> String {
        sha256_hex(self.text.as_bytes())
    }
}

display_as_str!(CanonicalRequest);

/// `ACS3-HMAC-SHA256\n` + lower-hex SHA-256 of the canonical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(String);

impl StringToSign {
    /// Hashes the canonical request into the string to sign.
    pub fn new(canonical_request: &CanonicalRequest) -> Self {
        StringToSign(format!("{ALGORITHM}\n{}", canonical_request.hash()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(StringToSign);

/// Lower-hex HMAC-SHA256 of the string to sign, keyed with the secret as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(String);

impl Signature {
    /// Computes the signature.
    pub fn compute(string_to_sign: &StringToSign, secret: &Secret) -> Self {
        Signature(hex::encode(hmac_sha256(
            secret.expose_secret().as_bytes(),
            string_to_sign.as_str().as_bytes(),
        )))
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(Signature);

/// `name=value` pairs sorted by name (unencoded, as the SDK leaves it), values RFC 3986-encoded, joined by `&`.
fn canonical_query(query: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = query.iter().collect();
    sorted.sort_by(|left, right| left.0.cmp(&right.0));
    let mut out = String::with_capacity(query.iter().map(|(name, value)| name.len() + value.len() * 3 + 2).sum());
    for (index, (name, value)) in sorted.into_iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        rfc3986_into(&mut out, value);
    }
    out
}

/// `name:value\n` lines sorted by lower-case name, values trimmed and, for a repeated name, sorted and joined by
/// `,`; plus the `;`-joined names.
fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut lowered: Vec<(String, &str)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
        .collect();
    lowered.sort_unstable();
    let mut canonical = String::with_capacity(headers.iter().map(|(name, value)| name.len() + value.len() + 2).sum());
    let mut signed = String::new();
    let mut previous: Option<&str> = None;
    for (name, value) in &lowered {
        if previous == Some(name.as_str()) {
            canonical.pop();
            canonical.push(',');
        } else {
            if previous.is_some() {
                signed.push(';');
            }
            signed.push_str(name);
            canonical.push_str(name);
            canonical.push(':');
        }
        canonical.push_str(value);
        canonical.push('\n');
        previous = Some(name);
    }
    (canonical, signed)
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
    fn canonical_query_sorts_raw_names_and_encodes_values() {
        let query = pairs(&[
            ("RegionId", "cn-hangzhou"),
            ("Name", "未命名 a+b*c~d%e/f=g&h"),
            ("Empty", ""),
            ("A.1", "😀"),
        ]);
        assert_eq!(
            canonical_query(&query),
            "A.1=%F0%9F%98%80&Empty=&Name=%E6%9C%AA%E5%91%BD%E5%90%8D%20a%2Bb%2Ac~d%25e%2Ff%3Dg%26h&\
             RegionId=cn-hangzhou"
        );
        assert_eq!(canonical_query(&[]), "");
    }

    #[test]
    fn canonical_headers_lower_trim_sort_and_join_repeats() {
        let (canonical, signed) = canonical_headers(&[
            ("X-Acs-B", "  two "),
            ("host", "h"),
            ("x-acs-b", "one"),
            ("Accept", "\tjson"),
        ]);
        assert_eq!(canonical, "accept:json\nhost:h\nx-acs-b:one,two\n");
        assert_eq!(signed, "accept;host;x-acs-b");
    }

    #[test]
    fn empty_body_hashes_to_the_well_known_value() {
        assert_eq!(
            PayloadHash::of(b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn sign_adds_the_acs_headers_and_rejects_them_as_input() {
        let headers = pairs(&[("x-acs-action", "RunInstances"), ("x-acs-version", "2014-05-26")]);
        let query = pairs(&[("RegionId", "cn-beijing"), ("InstanceName", "web 1")]);
        let request = SignableRequest {
            method: "POST",
            host: "ecs.cn-beijing.aliyuncs.com",
            path: "/",
            query: &query,
            headers: &headers,
            body: b"",
        };
        let credentials = Credentials::new("id", "secret");
        let params = Params {
            unix_seconds: 1_698_315_752,
            nonce: "3156853299f313e23d1673dc12e1703d",
        };
        let output = sign(&request, &credentials, &params).unwrap();
        assert_eq!(output.header("x-acs-date"), Some("2023-10-26T10:22:32Z"));
        assert_eq!(output.path_and_query, "/?RegionId=cn-beijing&InstanceName=web%201");
        let authorization = output.header("authorization").unwrap();
        assert!(authorization.starts_with(
            "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;\
             x-acs-signature-nonce;x-acs-version,Signature="
        ));
        assert!(authorization.ends_with(output.steps.signature.as_str()));

        let headers = pairs(&[("X-Acs-Date", "2023-10-26T10:22:32Z")]);
        let request = SignableRequest {
            headers: &headers,
            ..request
        };
        assert_eq!(
            sign(&request, &credentials, &params).unwrap_err(),
            SigningError::ReservedHeader {
                scheme: SCHEME,
                name: "X-Acs-Date".into()
            }
        );
    }
}
