//! Spotplan's signing proxy as a library: [`app`] builds the whole HTTP surface so tests can drive it with
//! `oneshot` and no socket; `main.rs` only parses flags, binds and serves.
//!
//! Architecture invariant: this is the only crate that ever holds cloud credentials.

pub mod config;
pub mod error;
pub mod health;
pub mod static_files;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use config::Config;
pub use error::ApiError;

/// What every request handler can see.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration the proxy was started with.
    pub config: Arc<Config>,
}

impl AppState {
    /// State for a proxy started with `config`.
    pub fn new(config: Config) -> AppState {
        AppState {
            config: Arc::new(config),
        }
    }
}

/// The proxy's whole HTTP surface: the JSON API under `/api/` and the built web app at `/`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/health", get(health::health))
        .fallback(error::api_not_found);
    let static_dir = state.config.static_dir.clone();
    Router::new()
        .nest("/api", api)
        .with_state(state)
        .fallback_service(static_files::router(&static_dir))
}
