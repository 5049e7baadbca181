//! Spotplan's signing proxy as a library: [`app`] builds the whole HTTP surface so tests can drive it with
//! `oneshot` and no socket; [`serve::serve`] runs it on a socket (HTTP or HTTPS); `main.rs` only parses flags,
//! checks the listen policy, loads credentials, binds, prints the sign-in link and serves.
//!
//! Architecture invariant: this is the only crate that ever holds cloud credentials. It rebuilds every request
//! from a typed order with the core (it never forwards an arbitrary request), contacts only the clouds' API
//! hosts (or configured overrides), and never logs or returns a secret.
//!
//! Architecture invariant: every request passes the `Host` allow-list first ([`host_check`]); every API call
//! but health needs the token ([`security`]); a browser gets the token only through a sign-in link
//! ([`sign_in`]); every error answer has one JSON shape ([`json_errors`]).

pub mod config;
pub mod credentials;
pub mod endpoints;
pub mod error;
pub mod health;
pub mod host_check;
pub mod json_errors;
pub mod listen_policy;
pub mod openapi;
pub mod orders;
pub mod outcome;
pub mod prices;
pub mod security;
pub mod security_headers;
pub mod serve;
pub mod sign_in;
pub mod signing;
pub mod static_files;
pub mod store;
pub mod tls;
pub mod upstream;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use tower::limit::ConcurrencyLimitLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use config::Config;
pub use credentials::CloudCredentials;
pub use error::ApiError;
pub use store::Store;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;
/// API calls handled at once; more wait.
pub const MAX_CONCURRENT_API_CALLS: usize = 512;
/// How long one API call may take before the proxy answers 504.
pub const API_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// What every request handler can see.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration the proxy was started with.
    pub config: Arc<Config>,
    /// Each cloud's credentials, when configured.
    pub credentials: Arc<CloudCredentials>,
    /// The order log.
    pub store: Store,
    /// The HTTP client for the clouds.
    pub upstream: upstream::Upstream,
    /// One lock per idempotency key.
    pub key_locks: orders::KeyLocks,
    /// Live quotes of the last five minutes.
    pub quotes: prices::QuoteCache,
    /// The `Host` names (and so the `Origin`s) this proxy answers to.
    pub allowed_hosts: Arc<host_check::AllowedHosts>,
    /// Sign-in codes handed out and not yet used.
    pub sign_in: sign_in::SignInCodes,
}

impl AppState {
    /// State for a proxy started with `config`, `credentials` and an order log.
    pub fn new(
        config: Config,
        credentials: CloudCredentials,
        store: Store,
    ) -> Result<AppState, upstream::UpstreamError> {
        let upstream = upstream::Upstream::new(config.upstream_timeout)?;
        let allowed_hosts = host_check::AllowedHosts::new(config.listen, config.tls, &config.allowed_hosts);
        Ok(AppState {
            allowed_hosts: Arc::new(allowed_hosts),
            sign_in: sign_in::SignInCodes::default(),
            config: Arc::new(config),
            credentials: Arc::new(credentials),
            store,
            upstream,
            key_locks: orders::KeyLocks::default(),
            quotes: prices::QuoteCache::default(),
        })
    }
}

/// The proxy's whole HTTP surface: the JSON API under `/api/` and the built web app at `/`, behind the `Host`
/// allow-list, with one JSON error shape and the security headers on every answer.
pub fn app(state: AppState) -> Router {
    let with_token = Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .route("/v1/orders", get(orders::list).post(orders::submit))
        .route("/v1/orders/{id}", get(orders::get))
        .route("/v1/prices", post(prices::prices))
        .route_layer(from_fn_with_state(state.clone(), security::token_required));
    let api = Router::new()
        .route("/v1/health", get(health::health))
        .merge(with_token)
        .route_layer(from_fn_with_state(state.clone(), security::same_origin_only))
        .fallback(error::api_not_found)
        .layer(ConcurrencyLimitLayer::new(MAX_CONCURRENT_API_CALLS))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            API_CALL_TIMEOUT,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(from_fn(security_headers::api));
    let site = static_files::router(&state.config.static_dir)
        .layer(from_fn_with_state(state.clone(), sign_in::exchange))
        .layer(from_fn_with_state(
            security_headers::AppPolicy::for_dir(&state.config.static_dir),
            security_headers::app_html,
        ));
    let allowed_hosts = state.allowed_hosts.clone();
    Router::new()
        .nest("/api", api)
        .with_state(state)
        .fallback_service(site)
        .layer(from_fn(json_errors::one_shape))
        .layer(from_fn_with_state(allowed_hosts, host_check::require_allowed_host))
        .layer(from_fn(security_headers::common))
}
