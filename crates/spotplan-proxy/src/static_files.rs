//! Serves the built web app: hashed assets cached forever, `index.html` never cached and carrying the API token
//! in a `SameSite=Strict` cookie (so only this page can call the API), gzip/brotli where the client accepts it,
//! and unknown paths falling back to `index.html` so client-side routes survive a reload.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::security::token_cookie;

/// A router serving `dir` at `/`.
pub fn router(dir: &Path, token: &str) -> Router {
    let index = dir.join("index.html");
    let assets = ServeDir::new(dir)
        .precompressed_gzip()
        .precompressed_br()
        .fallback(ServeFile::new(&index));
    let cookie = HeaderValue::from_str(&token_cookie(token)).ok();
    Router::new()
        .fallback_service(assets)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            cache_control_for,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::SET_COOKIE,
            move |response: &axum::http::Response<_>| is_html(response).then(|| cookie.clone()).flatten(),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new())
}

fn is_html<B>(response: &axum::http::Response<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

/// Trunk names every asset with a content hash (`spotplan-web-<hash>_bg.wasm`), so those never change; the HTML
/// that points at them must always be revalidated.
fn cache_control_for<B>(response: &axum::http::Response<B>) -> Option<HeaderValue> {
    if is_html(response) {
        Some(HeaderValue::from_static("no-cache"))
    } else if response.status().is_success() {
        Some(HeaderValue::from_static("public, max-age=31536000, immutable"))
    } else {
        None
    }
}
