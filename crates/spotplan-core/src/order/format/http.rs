//! The raw HTTP request, unsigned: the exact method, path, query, headers and body the proxy signs, with
//! placeholders where the time, nonce and signature go. Header names are lower-case, as signed.

use std::fmt::Write;

use super::super::request::HttpRequest;
use crate::clouds::Cloud;

/// RFC 3986 percent-encoding of a query component (unreserved characters stay).
pub(super) fn encode_component(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
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
    for (name, value) in signing_headers(cloud, request) {
        let _ = writeln!(text, "{name}: {value}");
    }
    if !request.body.is_empty() {
        let _ = writeln!(text, "content-length: {}", request.body.len());
    }
    text.push('\n');
    text.push_str(&request.body_text());
    text
}

/// What each cloud's signer adds, shown as placeholders.
fn signing_headers(cloud: Cloud, request: &HttpRequest) -> Vec<(&'static str, String)> {
    match cloud {
        Cloud::Alibaba => vec![
            ("x-acs-date", "<UTC time, e.g. 2026-11-23T08:00:00Z>".into()),
            ("x-acs-signature-nonce", "<a unique nonce>".into()),
            ("x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()),
            (
                "authorization",
                "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=accept;host;x-acs-action;x-acs-content-sha256;\
                 x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=<signature, computed by the proxy>"
                    .into(),
            ),
        ],
        Cloud::Tencent => vec![
            ("x-tc-timestamp", "<Unix seconds>".into()),
            (
                "authorization",
                "TC3-HMAC-SHA256 Credential=<SecretId>/<UTC date>/cvm/tc3_request, SignedHeaders=content-type;host, \
                 Signature=<signature, computed by the proxy>"
                    .into(),
            ),
        ],
        Cloud::Baidu => vec![
            ("x-bce-date", "<UTC time, e.g. 2026-11-23T08:00:00Z>".into()),
            (
                "authorization",
                format!(
                    "bce-auth-v1/<AccessKeyId>/<UTC time>/1800//<signature over {} {}, computed by the proxy>",
                    request.method, request.path
                ),
            ),
        ],
    }
}
