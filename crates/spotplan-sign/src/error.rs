//! The one error type of the crate: why a request cannot be signed, naming the field and the bad value.

/// Why a request cannot be signed. Header values are never quoted (one may carry a token); everything else is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The method is not an upper-case token such as `POST`.
    #[error("invalid method {method:?}: expected an upper-case HTTP method such as \"POST\"")]
    InvalidMethod { method: String },
    /// The scheme signs only some methods.
    #[error("{scheme} does not sign {method:?} requests: use GET or POST")]
    UnsupportedMethod { scheme: &'static str, method: String },
    /// The host is empty.
    #[error("missing host: set the host the request is sent to (with :port when it is not the default)")]
    MissingHost,
    /// The host holds characters a Host header cannot.
    #[error("invalid host {host:?}: expected a host name with an optional :port, no scheme, path or spaces")]
    InvalidHost { host: String },
    /// A `host` entry among the headers disagrees with the request's host.
    #[error("host header {header:?} differs from the request host {host:?}: drop the header or make them equal")]
    ConflictingHost { header: String, host: String },
    /// The path does not start with `/`.
    #[error("invalid path {path:?}: expected an unencoded absolute path starting with \"/\"")]
    InvalidPath { path: String },
    /// A header name is empty or holds a character outside the RFC 9110 token set.
    #[error("invalid header name {name:?}: expected letters, digits and !#$%&'*+-.^_`|~")]
    InvalidHeaderName { name: String },
    /// A header value holds a control character (tab excepted).
    #[error("invalid value for header {name:?}: control characters other than tab are not allowed")]
    InvalidHeaderValue { name: String },
    /// The request already carries a header the signer computes itself.
    #[error("header {name:?} is set by the {scheme} signer: remove it from the request")]
    ReservedHeader { scheme: &'static str, name: String },
    /// A header the scheme signs is absent.
    #[error("missing header {name:?}: {scheme} signs it, so the request must carry it")]
    MissingHeader { scheme: &'static str, name: &'static str },
    /// A header the scheme signs as a single value appears twice.
    #[error("header {name:?} appears more than once: {scheme} signs a single value")]
    DuplicateHeader { scheme: &'static str, name: &'static str },
    /// `content-length` disagrees with the body.
    #[error("header \"content-length\" is {value:?} but the body has {body_len} bytes")]
    ContentLengthMismatch { value: String, body_len: usize },
    /// A parameter name appears twice (query, or query and form body); the clouds sign each name once.
    #[error("parameter {name:?} appears more than once: each name can be signed once")]
    DuplicateParameter { name: String },
    /// The scheme would leave these query parameters unsigned.
    #[error("{scheme} does not sign the query of a {method} request: move the parameters into the body")]
    UnsignedQuery { scheme: &'static str, method: String },
    /// The scheme would leave this body unsigned.
    #[error("{scheme} does not sign the body of a {method} request: send an empty body")]
    UnsignedBody { scheme: &'static str, method: String },
    /// The timestamp cannot be written as a four-digit year.
    #[error("timestamp {unix_seconds} is after 9999-12-31T23:59:59Z: pass Unix seconds, not milliseconds")]
    TimestampOutOfRange { unix_seconds: u64 },
    /// The nonce is empty, too long, or not visible ASCII.
    #[error("invalid nonce {nonce:?}: expected 1 to 64 visible ASCII characters, e.g. 32 hex digits")]
    InvalidNonce { nonce: String },
}

impl From<spotplan_time::OutOfRange> for SigningError {
    fn from(error: spotplan_time::OutOfRange) -> SigningError {
        SigningError::TimestampOutOfRange {
            unix_seconds: error.unix_seconds,
        }
    }
}
