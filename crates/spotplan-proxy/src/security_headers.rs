//! The browser-side protections on every answer: a strict `Content-Security-Policy` on the app's HTML (its only
//! inline script, Trunk's wasm loader, allowed by its SHA-256 computed from the served `index.html`), no framing,
//! no referrer, no MIME sniffing, no cross-origin reads; and `no-store` with a deny-all policy on API answers.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// The policy for the app's HTML, allowing the inline scripts of `index_html` by hash. WebAssembly compilation
/// needs `'wasm-unsafe-eval'` (not `'unsafe-eval'`); Yew and the SVG charts set inline styles.
pub fn app_policy(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .into_iter()
        .map(|script| format!(" 'sha256-{}'", BASE64.encode(Sha256::digest(script.as_bytes()))))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self'"
    )
}

/// The policy for the built app in `static_dir` (without an `index.html`, a policy with no inline script).
pub fn app_policy_for_dir(static_dir: &Path) -> String {
    let index = std::fs::read_to_string(static_dir.join("index.html")).unwrap_or_default();
    app_policy(&index)
}

/// The policy for JSON answers: nothing may load, nothing may frame them.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Headers every answer carries: no MIME sniffing, no framing, no referrer, no cross-origin reads or openers.
const COMMON: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// The app's Content-Security-Policy, ready to send.
#[derive(Debug, Clone)]
pub struct AppPolicy(HeaderValue);

impl AppPolicy {
    /// The policy for the built app in `static_dir`.
    pub fn for_dir(static_dir: &Path) -> AppPolicy {
        let policy = app_policy_for_dir(static_dir);
        AppPolicy(HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")))
    }
}

/// Adds the common headers to every answer (those a handler set are kept).
pub async fn common(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in COMMON {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Adds the app's policy to HTML answers.
pub async fn app_html(State(policy): State<AppPolicy>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if is_html(&response) {
        response
            .headers_mut()
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(policy.0);
    }
    response
}

/// Marks API answers as not to be stored, and as nothing a browser should render.
pub async fn api(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_POLICY));
    response
}

/// Whether an answer is HTML.
pub fn is_html<B>(response: &axum::http::Response<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

/// The text of each `<script>` element without a `src`, exactly as served (the browser hashes those bytes).
/// A scan rather than an HTML parser: the policy needs the raw bytes between the tags, and `index.html` is
/// Trunk's own small output.
fn inline_scripts(html: &str) -> Vec<&str> {
    let lowercase = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut from = 0;
    while let Some(open) = lowercase[from..].find("<script").map(|at| at + from) {
        let Some(tag_end) = lowercase[open..].find('>').map(|at| at + open) else {
            break;
        };
        let Some(close) = lowercase[tag_end..].find("</script").map(|at| at + tag_end) else {
            break;
        };
        let attributes = &lowercase[open + "<script".len()..tag_end];
        if !has_src_attribute(attributes) {
            scripts.push(&html[tag_end + 1..close]);
        }
        from = close + "</script".len();
    }
    scripts
}

fn has_src_attribute(attributes: &str) -> bool {
    attributes
        .split(|c: char| c.is_ascii_whitespace())
        .any(|attribute| attribute == "src" || attribute.starts_with("src="))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_INDEX: &str = "<!DOCTYPE html><html><head>\
        <link rel=\"modulepreload\" href=\"/spotplan-web-1a2b.js\" crossorigin=\"anonymous\">\
        <script type=\"module\">\nimport init, * as bindings from '/spotplan-web-1a2b.js';\n\
        const wasm = await init({ module_or_path: '/spotplan-web-1a2b_bg.wasm' });\n</script>\
        <SCRIPT src=\"/other.js\"></SCRIPT></head><body></body></html>";

    #[test]
    fn inline_scripts_are_found_and_src_scripts_skipped() {
        let scripts = inline_scripts(TRUNK_INDEX);
        assert_eq!(scripts.len(), 1);
        assert!(scripts[0].starts_with("\nimport init") && scripts[0].ends_with(");\n"));
        assert!(inline_scripts("<script>unterminated").is_empty());
    }

    #[test]
    fn the_policy_allows_the_inline_script_by_its_hash() {
        let policy = app_policy("<script>alert(1)</script>");
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert!(
            policy.contains(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=';"
            ),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"));
        assert!(!app_policy("").contains("sha256"));
    }
}
