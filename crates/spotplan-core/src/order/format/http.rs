//! The raw HTTP request, unsigned: the exact method, path, query, headers and body the proxy signs, with
//! placeholders where the time, nonce and signature go (each cloud names its own) and where a password would
//! change the body. Header names are lower-case, as signed.

use std::fmt::Write;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::super::request::HttpRequest;
use crate::clouds::Cloud;

/// Everything but the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~`: what the signers encode in a query value (the
/// same set as in `spotplan-sign`'s `encode.rs`; the core does not depend on the signer).
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// RFC 3986 percent-encoding of a query component (unreserved characters stay), upper-case hex.
pub(super) fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, RESERVED).to_string()
}

pub(super) fn render(request: &HttpRequest, cloud: Cloud) -> String {
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    let target = if query.is_empty() {
        request.path.clone()
    } else {
        format!("{}?{}", request.path, query.join("&"))
    };
    let mut text = format!("{} {target} HTTP/1.1\n", request.method);
    for (name, value) in &request.headers {
        let _ = writeln!(text, "{name}: {value}");
    }
    for (name, value) in crate::clouds::api(cloud).signing_placeholders(request) {
        let _ = writeln!(text, "{name}: {value}");
    }
    if !request.body.is_empty() {
        // A body shown with a password placeholder is not the body sent: its length would be wrong.
        let body = request.body_text();
        if body.contains(super::PASSWORD_PLACEHOLDER) || body.contains(crate::order::request::ADMIN_PASS_PLACEHOLDER) {
            let _ = writeln!(text, "content-length: <bytes of the body as sent, with the password>");
        } else {
            let _ = writeln!(text, "content-length: {}", request.body.len());
        }
    }
    text.push('\n');
    text.push_str(&request.body_text());
    text
}
