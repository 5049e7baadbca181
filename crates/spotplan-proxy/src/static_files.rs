//! Serves the built web app: hashed assets cached forever, `index.html` never cached, the `.br`/`.gz` files `cargo xtask`
//! writes beside each asset at build time (compressing on the fly only what has none) where the client
//! accepts it, and unknown paths falling back to `index.html` so client-side routes survive a reload. Loading the
//! page hands out nothing: a browser gets the API token only through a sign-in link ([`crate::sign_in`]).

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::security_headers::is_html;

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
    if is_html(response) {
        Some(HeaderValue::from_static("no-cache"))
    } else if response.status().is_success() {
        Some(HeaderValue::from_static("public, max-age=31536000, immutable"))
    } else {
        None
    }
}
