//! The scheme-neutral inputs and output of signing: the request, the credentials (secret redacted) and what to add.

use std::fmt;

use crate::error::SigningError;

/// A request to sign, before any signing header or parameter is added. Everything is unencoded: each scheme
/// percent-encodes path, query and header values by its own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignableRequest<'a> {
    /// Upper-case HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The Host header as sent: host name plus `:port` when the port is not the scheme's default.
    pub host: &'a str,
    /// The unencoded absolute path, e.g. `/` or `/v2/instance/bid`.
    pub path: &'a str,
    /// Query parameters, in order, unencoded. A name may appear once.
    pub query: &'a [(String, String)],
    /// Headers other than the ones the signer adds; a `host` entry, if present, must equal [`Self::host`].
    pub headers: &'a [(String, String)],
    /// The exact body bytes that will be sent.
    pub body: &'a [u8],
}

/// An access key: the public id and its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Alibaba `AccessKeyId`, Tencent `SecretId`, Baidu access key id.
    pub access_key_id: String,
    /// Alibaba `AccessKeySecret`, Tencent `SecretKey`, Baidu secret access key.
    pub secret: Secret,
}

impl Credentials {
    /// Pairs an access key id with its secret.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret: Secret::new(secret),
        }
    }
}

/// A secret key. `Debug` prints `<redacted>`; there is no `Display`, so it cannot end up in a log by accident;
/// its bytes are wiped from memory when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Secret {
    /// Wraps a secret key.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself, for the HMAC key; do not log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What a scheme's `sign()` returns: what to add to the request, and each intermediate step for inspection.
/// Nothing has been sent.
#[derive(Debug, Clone)]
pub struct SigningOutput<Steps> {
    /// Headers to add, in order (e.g. `Authorization`, and the date/nonce/hash headers the signature covers).
    pub headers: Vec<(String, String)>,
    /// The request target to send, `path` or `path?query`, percent-encoded exactly as the signature assumed.
    /// Sending this string avoids a second, disagreeing encoder.
    pub path_and_query: String,
    /// The scheme's intermediate steps (canonical request, string to sign, signature …).
    pub steps: Steps,
}

impl<Steps> SigningOutput<Steps> {
    /// The value of the added header `name` (ASCII case-insensitive), if the signer added it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl SignableRequest<'_> {
    /// Checks what every scheme needs: method, host, path, header syntax, a consistent `host` header and
    /// unique query names.
    pub(crate) fn validate(&self) -> Result<(), SigningError> {
        if self.method.is_empty() || !self.method.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(SigningError::InvalidMethod {
                method: self.method.to_owned(),
            });
        }
        if self.host.is_empty() {
            return Err(SigningError::MissingHost);
        }
        if self
            .host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '@' | '\\'))
        {
            return Err(SigningError::InvalidHost {
                host: self.host.to_owned(),
            });
        }
        if !self.path.starts_with('/') {
            return Err(SigningError::InvalidPath {
                path: self.path.to_owned(),
            });
        }
        for (name, value) in self.headers {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(SigningError::InvalidHeaderName { name: name.clone() });
            }
            if value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(SigningError::InvalidHeaderValue { name: name.clone() });
            }
            if name.eq_ignore_ascii_case("host") && value != self.host {
                return Err(SigningError::ConflictingHost {
                    header: value.clone(),
                    host: self.host.to_owned(),
                });
            }
        }
        check_unique_names(self.query.iter().map(|(name, _)| name.as_str()))
    }

    /// The headers other than `host` (which every scheme takes from [`Self::host`]).
    pub(crate) fn headers_without_host(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Fails when the request carries any of the headers the scheme sets itself.
    pub(crate) fn reject_headers(&self, scheme: &'static str, reserved: &[&str]) -> Result<(), SigningError> {
        match self
            .headers
            .iter()
            .find(|(name, _)| reserved.iter().any(|r| name.eq_ignore_ascii_case(r)))
        {
            Some((name, _)) => Err(SigningError::ReservedHeader {
                scheme,
                name: name.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The values of header `name` (ASCII case-insensitive).
    pub(crate) fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> {
        self.headers
            .iter()
            .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Fails on the first name that appears twice.
pub(crate) fn check_unique_names<'n>(names: impl Iterator<Item = &'n str>) -> Result<(), SigningError> {
    let mut sorted: Vec<&str> = names.collect();
    sorted.sort_unstable();
    match sorted.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(SigningError::DuplicateParameter {
            name: pair[0].to_owned(),
        }),
        None => Ok(()),
    }
}

/// Checks a nonce that travels in a header or a query parameter.
pub(crate) fn check_nonce(nonce: &str) -> Result<(), SigningError> {
    if nonce.is_empty() || nonce.len() > 64 || !nonce.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(SigningError::InvalidNonce {
            nonce: nonce.to_owned(),
        });
    }
    Ok(())
}

/// RFC 9110 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(headers: &'a [(String, String)], query: &'a [(String, String)]) -> SignableRequest<'a> {
        SignableRequest {
            method: "POST",
            host: "ecs.cn-beijing.aliyuncs.com",
            path: "/",
            query,
            headers,
            body: b"",
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let credentials = Credentials::new("LTAI-id", "very-secret-value");
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(debug.contains("LTAI-id"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert_eq!(format!("{:?}", credentials.secret), "<redacted>");
        assert_eq!(credentials.secret.expose_secret(), "very-secret-value");
    }

    #[test]
    fn accepts_a_plain_request() {
        let headers = pairs(&[
            ("Host", "ecs.cn-beijing.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
        ]);
        assert_eq!(request(&headers, &[]).validate(), Ok(()));
    }

    #[test]
    fn rejects_bad_method_host_and_path() {
        let mut bad = request(&[], &[]);
        bad.method = "post";
        assert_eq!(
            bad.validate(),
            Err(SigningError::InvalidMethod { method: "post".into() })
        );
        let mut bad = request(&[], &[]);
        bad.host = "";
        assert_eq!(bad.validate(), Err(SigningError::MissingHost));
        let mut bad = request(&[], &[]);
        bad.host = "https://ecs.aliyuncs.com";
        assert_eq!(
            bad.validate(),
            Err(SigningError::InvalidHost {
                host: "https://ecs.aliyuncs.com".into()
            })
        );
        let mut bad = request(&[], &[]);
        bad.path = "v2/instance";
        assert_eq!(
            bad.validate(),
            Err(SigningError::InvalidPath {
                path: "v2/instance".into()
            })
        );
    }

    #[test]
    fn rejects_bad_headers() {
        let headers = pairs(&[("bad name", "x")]);
        assert_eq!(
            request(&headers, &[]).validate(),
            Err(SigningError::InvalidHeaderName {
                name: "bad name".into()
            })
        );
        let headers = pairs(&[("x-acs-foo", "line\nbreak")]);
        assert_eq!(
            request(&headers, &[]).validate(),
            Err(SigningError::InvalidHeaderValue {
                name: "x-acs-foo".into()
            })
        );
        let headers = pairs(&[("host", "other.example")]);
        assert_eq!(
            request(&headers, &[]).validate(),
            Err(SigningError::ConflictingHost {
                header: "other.example".into(),
                host: "ecs.cn-beijing.aliyuncs.com".into()
            })
        );
    }

    #[test]
    fn rejects_repeated_query_names() {
        let query = pairs(&[("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(
            request(&[], &query).validate(),
            Err(SigningError::DuplicateParameter { name: "a".into() })
        );
    }

    #[test]
    fn nonce_must_be_visible_ascii() {
        assert_eq!(check_nonce("3156853299f313e23d1673dc12e1703d"), Ok(()));
        for bad in ["", "has space", "非", &"x".repeat(65)] {
            assert_eq!(
                check_nonce(bad),
                Err(SigningError::InvalidNonce { nonce: bad.to_owned() })
            );
        }
    }
}
