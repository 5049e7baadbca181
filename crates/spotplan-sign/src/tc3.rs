//! Tencent Cloud TC3-HMAC-SHA256 (the SDK default), as `AbstractClient._get_tc3_signature` and `Sign.sign_tc3` of
//! the PyPI package tencentcloud-sdk-python-common 3.1.195 compute it; the steps are those of CVM's "signature
//! method v3" page (https://cloud.tencent.com/document/api/213/30654).
//!
//! Steps: [`PayloadHash`] → [`CanonicalRequest`] → [`CredentialScope`] → [`StringToSign`] → [`SigningKey`] →
//! [`Signature`] → `Authorization` header. Only `content-type;host` are signed, with their values verbatim. POST:
//! empty canonical query, payload hash of the exact body bytes. GET: canonical query = the query string as sent
//! (form-encoded in the request's order, not sorted, space as `+`), payload hash of the empty string. The service
//! in the credential scope is the API's (`cvm`), given by the caller — never read from the host, which an endpoint
//! override changes (the SDKs take it from the client: `CvmClient._service = "cvm"`).

use std::fmt;

pub use crate::digest::PayloadHash;
use crate::digest::{hmac_sha256, sha256_hex};
use crate::encode::{form_into, rfc3986_path};
use crate::error::SigningError;
use crate::request::{Credentials, Secret, SignableRequest, SigningOutput};
use spotplan_time::{UtcDate, UtcTime};

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The only headers TC3 signs, as the SDK does.
pub const SIGNED_HEADERS: &str = "content-type;host";

/// The headers this signer sets; a request that already carries one is rejected.
pub const SIGNER_HEADERS: [&str; 2] = ["authorization", "x-tc-timestamp"];

const SCHEME: &str = "TC3-HMAC-SHA256";

/// Time and service of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params<'a> {
    /// The signing instant, sent as `X-TC-Timestamp` (Unix seconds); its UTC date scopes the key.
    pub unix_seconds: u64,
    /// The API's service name in the credential scope (`cvm`), whatever host the request goes to.
    pub service: &'a str,
}

/// The intermediate steps of one TC3 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    /// `HashedRequestPayload`.
    pub payload_hash: PayloadHash,
    /// The canonical request.
    pub canonical_request: CanonicalRequest,
    /// `<date>/<service>/tc3_request`.
    pub credential_scope: CredentialScope,
    /// The string to sign.
    pub string_to_sign: StringToSign,
    /// The derived key (valid for the scope's day; `Debug` redacts it).
    pub signing_key: SigningKey,
    /// The hex signature.
    pub signature: Signature,
}

/// Signs `request` (GET with a query and no body, or POST with a body and no query; a `content-type` header is
/// required). Returns the `X-TC-Timestamp` and `Authorization` headers to add; `X-TC-Action`, `X-TC-Version`,
/// `X-TC-Region` are the caller's (they are not signed).
pub fn sign(
    request: &SignableRequest<'_>,
    credentials: &Credentials,
    params: &Params,
) -> Result<SigningOutput<Steps>, SigningError> {
    request.validate()?;
    request.reject_headers(SCHEME, &SIGNER_HEADERS)?;
    let mut content_types = request.header_values("content-type");
    let content_type = content_types.next().ok_or(SigningError::MissingHeader {
        scheme: SCHEME,
        name: "content-type",
    })?;
    if content_types.next().is_some() {
        return Err(SigningError::DuplicateHeader {
            scheme: SCHEME,
            name: "content-type",
        });
    }
    let time = UtcTime::from_unix_seconds(params.unix_seconds)?;

    let (canonical_query, payload_hash) = match request.method {
        "GET" if !request.body.is_empty() => {
            return Err(SigningError::UnsignedBody {
                scheme: SCHEME,
                method: request.method.to_owned(),
            });
        }
        "GET" => (form_query(request.query), PayloadHash::of(b"")),
        "POST" if !request.query.is_empty() => {
            return Err(SigningError::UnsignedQuery {
                scheme: SCHEME,
                method: request.method.to_owned(),
            });
        }
        "POST" => (String::new(), PayloadHash::of(request.body)),
        _ => {
            return Err(SigningError::UnsupportedMethod {
                scheme: SCHEME,
                method: request.method.to_owned(),
            });
        }
    };
    let canonical_uri = rfc3986_path(request.path);
    let canonical_request = CanonicalRequest::new(
        request.method,
        &canonical_uri,
        &canonical_query,
        content_type,
        request.host,
        &payload_hash,
    );
    let credential_scope = CredentialScope::new(time.date(), params.service);
    let string_to_sign = StringToSign::new(params.unix_seconds, &credential_scope, &canonical_request);
    let signing_key = SigningKey::derive(&credentials.secret, &credential_scope);
    let signature = Signature::compute(&signing_key, &string_to_sign);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}",
        credentials.access_key_id
    );

    let mut path_and_query = canonical_uri;
    if !canonical_query.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(&canonical_query);
    }
    Ok(SigningOutput {
        headers: vec![
            ("X-TC-Timestamp".to_owned(), params.unix_seconds.to_string()),
            ("Authorization".to_owned(), authorization),
        ],
        path_and_query,
        steps: Steps {
            payload_hash,
            canonical_request,
            credential_scope,
            string_to_sign,
            signing_key,
            signature,
        },
    })
}

/// `METHOD\nURI\nQuery\ncontent-type:<ct>\nhost:<host>\n\ncontent-type;host\n<payload hash>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest(String);

impl CanonicalRequest {
    /// Builds the canonical request from the already-encoded URI and query string and the verbatim header values.
    pub fn new(
        method: &str,
        canonical_uri: &str,
        canonical_query: &str,
        content_type: &str,
        host: &str,
        payload_hash: &PayloadHash,
    ) -> Self {
        CanonicalRequest(format!(
            "{method}\n{canonical_uri}\n{canonical_query}\ncontent-type:{content_type}\nhost:{host}\n\n\
             {SIGNED_HEADERS}\n{payload_hash}"
        ))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-hex SHA-256 of the text, the last line of the string to sign.
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

display_as_str!(CanonicalRequest);

/// `<YYYY-MM-DD>/<service>/tc3_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    date: String,
    service: String,
}

impl CredentialScope {
    /// The scope of `service` on UTC `date`.
    pub fn new(date: UtcDate, service: &str) -> Self {
        CredentialScope {
            date: date.to_string(),
            service: service.to_owned(),
        }
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The service name, e.g. `cvm`.
    pub fn service(&self) -> &str {
        &self.service
    }
}

impl fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/tc3_request", self.date, self.service)
    }
}

/// `TC3-HMAC-SHA256\n<timestamp>\n<credential scope>\n<hex sha256(canonical request)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign(String);

impl StringToSign {
    /// Builds the string to sign.
    pub fn new(unix_seconds: u64, credential_scope: &CredentialScope, canonical_request: &CanonicalRequest) -> Self {
        StringToSign(format!(
            "{ALGORITHM}\n{unix_seconds}\n{credential_scope}\n{}",
            canonical_request.hash()
        ))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(StringToSign);

/// kSigning = HMAC(HMAC(HMAC("TC3" + secret, date), service), "tc3_request"), raw bytes. `Display` prints hex;
/// `Debug` redacts it, since it signs anything for the scope's service and day.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives the key for `credential_scope`.
    pub fn derive(secret: &Secret, credential_scope: &CredentialScope) -> Self {
        let mut date_key_seed = String::with_capacity(3 + secret.expose_secret().len());
        date_key_seed.push_str("TC3");
        date_key_seed.push_str(secret.expose_secret());
        let date_key = hmac_sha256(date_key_seed.as_bytes(), credential_scope.date.as_bytes());
        let service_key = hmac_sha256(&date_key, credential_scope.service.as_bytes());
        SigningKey(hmac_sha256(&service_key, b"tc3_request"))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Lower-hex HMAC-SHA256 of the string to sign under the signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(String);

impl Signature {
    /// Computes the signature.
    pub fn compute(signing_key: &SigningKey, string_to_sign: &StringToSign) -> Self {
        Signature(hex::encode(hmac_sha256(
            &signing_key.0,
            string_to_sign.as_str().as_bytes(),
        )))
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(Signature);

/// The query as Python's `urlencode` writes it: pairs in order, `quote_plus`-encoded, joined by `&`.
fn form_query(query: &[(String, String)]) -> String {
    let mut out = String::new();
    for (index, (name, value)) in query.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        form_into(&mut out, name);
        out.push('=');
        form_into(&mut out, value);
    }
    out
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

    const PARAMS: Params = Params {
        unix_seconds: 1_551_113_065,
        service: "cvm",
    };

    #[test]
    fn get_signs_the_query_as_sent_and_an_empty_payload() {
        let query = pairs(&[("Limit", "10"), ("Name", "未命名 a+b*c~d%e/f=g&h"), ("Empty", "")]);
        let headers = pairs(&[("Content-Type", "application/x-www-form-urlencoded")]);
        let request = SignableRequest {
            method: "GET",
            host: "cvm.tencentcloudapi.com",
            path: "/",
            query: &query,
            headers: &headers,
            body: b"",
        };
        let output = sign(&request, &Credentials::new("AKID", "secret"), &PARAMS).unwrap();
        let expected_query = "Limit=10&Name=%E6%9C%AA%E5%91%BD%E5%90%8D+a%2Bb%2Ac~d%25e%2Ff%3Dg%26h&Empty=";
        assert_eq!(output.path_and_query, format!("/?{expected_query}"));
        assert_eq!(
            output.steps.canonical_request.as_str(),
            format!(
                "GET\n/\n{expected_query}\ncontent-type:application/x-www-form-urlencoded\n\
                 host:cvm.tencentcloudapi.com\n\ncontent-type;host\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            )
        );
        assert_eq!(output.header("X-TC-Timestamp"), Some("1551113065"));
        assert_eq!(
            output.header("Authorization").unwrap(),
            format!(
                "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, \
                 Signature={}",
                output.steps.signature
            )
        );
        assert_eq!(format!("{:?}", output.steps.signing_key), "<redacted>");
    }

    #[test]
    fn post_with_an_empty_body_hashes_the_empty_string() {
        let headers = pairs(&[("content-type", "application/json")]);
        let request = SignableRequest {
            method: "POST",
            host: "cvm.ap-guangzhou.tencentcloudapi.com",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let output = sign(&request, &Credentials::new("AKID", "secret"), &PARAMS).unwrap();
        assert_eq!(output.path_and_query, "/");
        assert!(
            output
                .steps
                .canonical_request
                .as_str()
                .starts_with("POST\n/\n\ncontent-type:application/json\n")
        );
        assert_eq!(output.steps.credential_scope.to_string(), "2019-02-25/cvm/tc3_request");
    }

    #[test]
    fn rejects_what_it_cannot_sign() {
        let credentials = Credentials::new("AKID", "secret");
        let json = pairs(&[("content-type", "application/json")]);
        let query = pairs(&[("Limit", "1")]);
        let base = SignableRequest {
            method: "POST",
            host: "cvm.tencentcloudapi.com",
            path: "/",
            query: &[],
            headers: &json,
            body: b"{}",
        };
        assert_eq!(
            sign(&SignableRequest { headers: &[], ..base }, &credentials, &PARAMS).unwrap_err(),
            SigningError::MissingHeader {
                scheme: SCHEME,
                name: "content-type"
            }
        );
        assert_eq!(
            sign(&SignableRequest { query: &query, ..base }, &credentials, &PARAMS).unwrap_err(),
            SigningError::UnsignedQuery {
                scheme: SCHEME,
                method: "POST".into()
            }
        );
        assert_eq!(
            sign(&SignableRequest { method: "GET", ..base }, &credentials, &PARAMS).unwrap_err(),
            SigningError::UnsignedBody {
                scheme: SCHEME,
                method: "GET".into()
            }
        );
        assert_eq!(
            sign(&SignableRequest { method: "PUT", ..base }, &credentials, &PARAMS).unwrap_err(),
            SigningError::UnsupportedMethod {
                scheme: SCHEME,
                method: "PUT".into()
            }
        );
        let twice = pairs(&[("content-type", "application/json"), ("Content-Type", "text/plain")]);
        assert_eq!(
            sign(
                &SignableRequest {
                    headers: &twice,
                    ..base
                },
                &credentials,
                &PARAMS
            )
            .unwrap_err(),
            SigningError::DuplicateHeader {
                scheme: SCHEME,
                name: "content-type"
            }
        );
    }

    #[test]
    fn the_scope_names_the_given_service_whatever_the_host() {
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let request = SignableRequest {
            method: "POST",
            host: "127.0.0.1:8443",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"{}",
        };
        let output = sign(
            &request,
            &Credentials::new("AKID", "secret"),
            &Params {
                unix_seconds: 1_551_113_065,
                service: "cvm",
            },
        )
        .unwrap();
        assert!(
            output
                .header("Authorization")
                .unwrap()
                .starts_with("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, ")
        );
    }
}
