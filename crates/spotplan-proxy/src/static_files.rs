//! Serves the built web app: hashed assets cached forever, `index.html` never cached, unknown paths fall back
//! to `index.html` so client-side routes survive a reload.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// A router serving `dir` at `/`.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let assets = ServeDir::new(dir)
        .precompressed_gzip()
        .precompressed_br()
        .fallback(ServeFile::new(&index));
    Router::new()
        .fallback_service(assets)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            cache_control_for,
        ))
        .layer(CompressionLayer::new())
}

/// Trunk names every asset with a content hash (`spotplan-web-<hash>_bg.wasm`), so those never change; the HTML
/// that points at them must always be revalidated.
fn cache_control_for<B>(response: &axum::http::Response<B>) -> Option<HeaderValue> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        Some(HeaderValue::from_static("no-cache"))
    } else if response.status().is_success() {
        Some(HeaderValue::from_static("public, max-age=31536000, immutable"))
    } else {
        None
    }
}
