//! Spotplan's signing proxy as a library: [`app`] builds the whole HTTP surface so tests can drive it with
//! `oneshot` and no socket; `main.rs` only parses flags, loads credentials, binds and serves.
//!
//! Architecture invariant: this is the only crate that ever holds cloud credentials. It rebuilds every request
//! from a typed order with the core (it never forwards an arbitrary request), contacts only the clouds' API
//! hosts (or configured overrides), and never logs or returns a secret.

pub mod at_rest;
pub mod config;
pub mod credentials;
pub mod endpoints;
pub mod error;
pub mod exactly_once;
pub mod health;
pub mod openapi;
pub mod orders;
pub mod outcome;
pub mod prices;
pub mod security;
pub mod signing;
pub mod spend;
pub mod static_files;
pub mod store;
pub mod upstream;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use at_rest::InstallKey;
pub use config::Config;
pub use credentials::CloudCredentials;
pub use error::ApiError;
pub use store::Store;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;
/// API calls handled at once; more wait.
pub const MAX_CONCURRENT_API_CALLS: usize = 512;

/// What every request handler can see.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration the proxy was started with.
    pub config: Arc<Config>,
    /// Each cloud's credentials, when configured.
    pub credentials: Arc<CloudCredentials>,
    /// The order log.
    pub store: Store,
    /// The per-install key: keyed order hashes and sealed passwords.
    pub install_key: Arc<InstallKey>,
    /// The HTTP client for the clouds.
    pub upstream: upstream::Upstream,
    /// One lock per idempotency key.
    pub key_locks: exactly_once::KeyLocks,
    /// Held while an order is checked against the hourly spend ceiling and logged.
    pub spend_gate: Arc<tokio::sync::Mutex<()>>,
    /// Live quotes of the last five minutes.
    pub quotes: prices::QuoteCache,
    /// The embedded catalog (pay-as-you-go prices bound market bids), decoded on first use.
    catalog: Arc<OnceLock<Option<spotplan_core::catalog::Catalog>>>,
}

impl AppState {
    /// State for a proxy started with `config`, `credentials`, an order log and the install key.
    pub fn new(
        config: Config,
        credentials: CloudCredentials,
        store: Store,
        install_key: InstallKey,
    ) -> Result<AppState, upstream::UpstreamError> {
        let upstream = upstream::Upstream::new(&upstream::UpstreamLimits {
            timeout: config.upstream_timeout,
            in_flight: config.upstream_in_flight,
            proxy: config.upstream_proxy.clone(),
            extra_hosts: config.endpoints.hosts(),
            ..upstream::UpstreamLimits::default()
        })?;
        Ok(AppState {
            config: Arc::new(config),
            credentials: Arc::new(credentials),
            store,
            install_key: Arc::new(install_key),
            upstream,
            key_locks: exactly_once::KeyLocks::default(),
            spend_gate: Arc::default(),
            quotes: prices::QuoteCache::default(),
            catalog: Arc::default(),
        })
    }

    /// The embedded price catalog, or `None` if it does not decode (it always does in a released build).
    pub fn catalog(&self) -> Option<&spotplan_core::catalog::Catalog> {
        self.catalog
            .get_or_init(|| match spotplan_core::catalog::Catalog::embedded() {
                Ok(catalog) => Some(catalog),
                Err(error) => {
                    tracing::error!(%error, "the embedded catalog does not decode");
                    None
                }
            })
            .as_ref()
    }
}

/// The proxy's whole HTTP surface: the JSON API under `/api/` and the built web app at `/`.
pub fn app(state: AppState) -> Router {
    // The work that waits on the clouds is bounded; health stays outside that bound, so it answers at once
    // however many orders and quotes are waiting.
    let bounded = Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .route("/v1/orders", get(orders::list).post(orders::submit))
        .route("/v1/orders/{id}", get(orders::get))
        .route("/v1/prices", axum::routing::post(prices::prices))
        .layer(ConcurrencyLimitLayer::new(MAX_CONCURRENT_API_CALLS));
    let api = Router::new()
        .route("/v1/health", get(health::health))
        .merge(bounded)
        .fallback(error::api_not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::guard))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(120),
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES));
    let static_dir = state.config.static_dir.clone();
    let token = state.config.token.expose_secret().to_owned();
    Router::new()
        .nest("/api", api)
        .with_state(state)
        .fallback_service(static_files::router(&static_dir, &token))
}
